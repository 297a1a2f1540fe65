from typing import Any, Dict, List, Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.models.model import Model
from allennlp.modules import ConditionalRandomField, Seq2SeqEncoder, TextFieldEmbedder
from allennlp.modules.conditional_random_field import allowed_transitions
from allennlp.nn import InitializerApplicator
from allennlp.nn.util import get_text_field_mask, sequence_cross_entropy_with_logits
from allennlp.training.metrics import CategoricalAccuracy, SpanBasedF1Measure

from allennlp_distill.modules.crf_decoding import crf_transitions, viterbi_paths


@Model.register("distilled_tagger")
class DistilledTagger(Model):
    """
    A token-level classifier for sequence labelling, the shape of both the teacher and the student
    of task-specific distillation for tagging ("Which Student is Best?", arXiv 2201.00558, §3;
    Tang et al. 2019's logit matching, §3.2, applied to every token): embeddings, an optional
    `Seq2SeqEncoder` (a BiLSTM for the student; none for a transformer teacher, whose
    `pretrained_transformer_mismatched` embedder is already contextual), dropout, and a linear
    layer giving each token's tag logits.

    The hard loss is the per-token cross-entropy, averaged over the tokens of the batch; with the
    `distillation` trainer callback the loss being optimized becomes the distillation loss over
    every token (`output["mask"]` tells it which tokens are real). Metrics: token `accuracy`, and
    span precision, recall and F1 (AllenNLP's `SpanBasedF1Measure`, the CoNLL-2003 measure) when
    `label_encoding` is given.

    With `crf` the logits are the emission scores of AllenNLP's `ConditionalRandomField` (Lample
    et al. 2016, §2.2; the hard loss of the issue's "optional CRF"): the hard loss is the CRF's
    negative log-likelihood of the tag sequence divided by the number of real tokens (the
    per-token scale of the cross-entropy it replaces), the tags are its Viterbi path, and a
    `label_encoding` forbids that path the transitions it makes invalid (`I-PER` after `O` in
    BIO; the likelihood normalises over every path, as AllenNLP's CRF does). The
    transition scores start at zero, so a CRF that no loss has trained (a student distilled with
    `alpha = 0`: the soft loss reaches the emissions only) decodes as the per-token argmax under
    those constraints.

    Registered as a `Model` with name "distilled_tagger".

    # Parameters
    vocab : `Vocabulary`
    text_field_embedder : `TextFieldEmbedder`
        Embeds the `tokens` field: `(batch_size, num_tokens, embedding_dim)`.
    encoder : `Seq2SeqEncoder`, optional (default = none)
        Contextualizes the embeddings, e.g. a bidirectional `lstm`.
    dropout : `float`, optional (default = `0.0`)
        Dropout on the embeddings and on the encoder's output.
    label_namespace : `str`, optional (default = `"labels"`)
    label_encoding : `str`, optional (default = `None`)
        `"BIO"` or `"IOB1"`: the tags are spans, measured by span F1 (`f1-measure-overall`).
    crf : `bool`, optional (default = `False`)
        Score tag sequences with a linear-chain CRF over the logits (above).
    initializer : `InitializerApplicator`, optional

    # Raises
    `ConfigurationError` when the encoder's input width is not the embedder's output width.
    """

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        encoder: Optional[Seq2SeqEncoder] = None,
        dropout: float = 0.0,
        label_namespace: str = "labels",
        label_encoding: Optional[str] = None,
        crf: bool = False,
        initializer: Optional[InitializerApplicator] = None,
        **kwargs,
    ) -> None:
        super().__init__(vocab, **kwargs)
        self._text_field_embedder = text_field_embedder
        width = text_field_embedder.get_output_dim()
        if encoder is not None and encoder.get_input_dim() != width:
            raise ConfigurationError(
                f"model.encoder reads {encoder.get_input_dim()}-d vectors but "
                f"model.text_field_embedder gives {width}-d ones: make them equal"
            )
        self._encoder = encoder
        self._dropout = torch.nn.Dropout(dropout)
        self._label_namespace = label_namespace
        self._label_encoding = label_encoding
        output_dim = encoder.get_output_dim() if encoder is not None else width
        num_tags = vocab.get_vocab_size(label_namespace)
        self._tag_projection = torch.nn.Linear(output_dim, num_tags)
        self._crf: Optional[ConditionalRandomField] = None
        if crf:
            labels = vocab.get_index_to_token_vocabulary(label_namespace)
            constraints = allowed_transitions(label_encoding, labels) if label_encoding else None
            self._crf = ConditionalRandomField(num_tags, constraints)  # type: ignore[arg-type]
        self._accuracy = CategoricalAccuracy()
        self._span_f1 = (
            SpanBasedF1Measure(vocab, label_namespace, label_encoding=label_encoding)
            if label_encoding is not None
            else None
        )
        (initializer or InitializerApplicator())(self)
        if self._crf is not None:
            for name in ("transitions", "start_transitions", "end_transitions"):
                torch.nn.init.zeros_(getattr(self._crf, name))

    def forward(
        self,
        tokens: TextFieldTensors,
        tags: Optional[torch.LongTensor] = None,
        metadata: Optional[List[Dict[str, Any]]] = None,
    ) -> Dict[str, Any]:
        """
        # Parameters
        tokens : `TextFieldTensors`
            The words, `(batch_size, num_tokens)` ids (word pieces for a transformer embedder).
        tags : `torch.LongTensor`, optional
            Gold (or teacher argmax) tag indices, `(batch_size, num_tokens)`.
        metadata : `List[Dict[str, Any]]`, optional
            `{"words": [...]}` per sentence, passed to the output.

        # Returns
        `logits`, `probs`: `(batch_size, num_tokens, num_tags)`; `mask`: `(batch_size,
        num_tokens)` bool; `loss` (scalar, mean per-token cross-entropy) when `tags` is given;
        `words` with `metadata`. With a CRF also `predicted_tags`, the Viterbi path `(batch_size,
        num_tokens)` (0 at padding), and `loss` is the CRF's negative log-likelihood per real
        token, given again as `crf_loss` (the `distillation` callback's hard loss).
        """
        mask = get_text_field_mask(tokens)
        embedded = self._dropout(self._text_field_embedder(tokens))
        if self._encoder is not None:
            embedded = self._dropout(self._encoder(embedded, mask))
        logits = self._tag_projection(embedded)
        output: Dict[str, Any] = {
            "logits": logits,
            "probs": torch.softmax(logits, dim=-1),
            "mask": mask,
        }
        if metadata is not None:
            output["words"] = [sentence["words"] for sentence in metadata]
        predictions = logits
        if self._crf is not None:
            # AllenNLP's `viterbi_tags` decodes one sentence at a time; this, the export's
            # decoder, the whole batch at once, the same path wherever no two paths tie (tested).
            predicted = viterbi_paths(
                logits.detach().float(), mask.sum(dim=1), crf_transitions(self._crf)
            )
            output["predicted_tags"] = predicted
            # The metrics score the Viterbi path: its tags as one-hot "logits".
            predictions = torch.nn.functional.one_hot(predicted, logits.size(-1)).to(logits)
        if tags is not None:
            # In float32: under bfloat16 autocast (`DISTILL_AMP=bf16`) the logits are bf16, which
            # AllenNLP's cross-entropy refuses (the CRF adds its float32 transitions anyway).
            scores = logits.float()
            if self._crf is not None:
                tokens_in_batch = mask.sum().clamp(min=1)
                output["loss"] = output["crf_loss"] = (
                    -self._crf(scores, tags, mask) / tokens_in_batch
                )
            else:
                output["loss"] = sequence_cross_entropy_with_logits(
                    scores, tags, mask, average="token"
                )
            self._accuracy(predictions, tags, mask)
            if self._span_f1 is not None:
                self._span_f1(predictions, tags, mask)
        return output

    def make_output_human_readable(self, output_dict: Dict[str, Any]) -> Dict[str, Any]:
        """
        Adds `tags`: per sentence, the name of each real token's tag, the most probable one (the
        Viterbi path's with a CRF).
        """
        names = self.vocab.get_index_to_token_vocabulary(self._label_namespace)
        best_tags = output_dict.get("predicted_tags")
        if best_tags is None:
            best_tags = output_dict["probs"].argmax(dim=-1)
        output_dict["tags"] = [
            [names[int(index)] for index in best[: int(length)]]
            for best, length in zip(best_tags, output_dict["mask"].sum(dim=-1))
        ]
        return output_dict

    @property
    def label_encoding(self) -> Optional[str]:
        """`"BIO"` or `"IOB1"` for a span tagger, else `None`."""
        return self._label_encoding

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        metrics = {"accuracy": self._accuracy.get_metric(reset)}
        if self._span_f1 is not None:
            span_metrics = self._span_f1.get_metric(reset)
            metrics.update(
                {name: value for name, value in span_metrics.items() if "overall" in name}
            )
        return metrics

    default_predictor = "tagger"
