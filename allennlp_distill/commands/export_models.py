"""
The exported form of every model `distill-export` writes, in plain torch modules that
`torch.jit.script` compiles (a Hugging Face transformer is traced): a single-sentence student
(`ExportableBiLstmStudent`), a siamese pair student (`ExportableSiameseStudent`), a sentence
encoder (`ExportableSentenceEncoder`), a sequence-labelling student (`ExportableTagger`) and a
transformer classifier read as word pieces (`ExportableTransformerClassifier`,
`LengthSortedClassifier`). Their encoders are in `export_encoders.py`; `export.py` writes them.
"""

import copy
from typing import Any, Dict, List, Optional, Union, cast

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.models.basic_classifier import BasicClassifier
from allennlp.modules.seq2vec_encoders import BagOfEmbeddingsEncoder, CnnEncoder
from allennlp.modules.token_embedders import (
    Embedding,
    PretrainedTransformerEmbedder,
    TokenCharactersEncoder,
)
from torch.jit import Final
from torch.nn.utils.rnn import pad_packed_sequence

from allennlp_distill.commands.export_encoders import (
    embedding_table,
    exported_encoder,
    max_over_windows,
    pack_by_length,
    pool_padded,
)
from allennlp_distill.models.bilstm_student import BiLstmStudent
from allennlp_distill.models.sentence_encoder_student import SentenceRepresentationStudent
from allennlp_distill.models.siamese_bilstm_student import SiameseBiLstmStudent
from allennlp_distill.models.text_regressor import TextRegressor
from allennlp_distill.modules.crf_decoding import crf_transitions, viterbi_paths
from allennlp_distill.modules.pair_features import pair_features
from allennlp_distill.modules.wide_cnn_encoder import (
    LENGTH_CHUNK,
    length_sorted_chunks,
)


class ExportableBiLstmStudent(torch.nn.Module):
    """
    A `BiLstmStudent` (or `CnnStudent`) in plain torch modules, scriptable with
    `torch.jit.script`: `forward(token_ids)` (see `ExportedEncoder`, `ExportedCnnEncoder`)
    returns the student's logits `(batch_size, num_labels)` (equal up to float rounding).
    """

    def __init__(self, student: BiLstmStudent) -> None:
        super().__init__()
        self.encoder = exported_encoder(student)
        self.relu_layer = student._relu_layer._linear_layers[0]
        self.output_layer = student._classification_layer

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        return self.output_layer(torch.relu(self.relu_layer(self.encoder(token_ids))))


class ExportableSiameseStudent(torch.nn.Module):
    """
    A `SiameseBiLstmStudent` (Tang et al. 2019, §3.2) in plain torch modules, scriptable:
    `forward(token_ids1, token_ids2)`, each `(batch_size, num_tokens_i)` (see `ExportedEncoder`),
    returns the logits `(batch_size, num_labels)`, or the scores `(batch_size,)` of a regression
    student.
    """

    def __init__(self, student: SiameseBiLstmStudent) -> None:
        super().__init__()
        self.encoder = exported_encoder(student)
        self.relu_layer = student._relu_layer._linear_layers[0]
        self.output_layer = student._output_layer
        self.regression = student._regression

    def forward(self, token_ids1: torch.Tensor, token_ids2: torch.Tensor) -> torch.Tensor:
        features = pair_features(self.encoder(token_ids1), self.encoder(token_ids2))
        outputs = self.output_layer(torch.relu(self.relu_layer(features)))
        return outputs.squeeze(-1) if self.regression else outputs


class ExportableSentenceEncoder(torch.nn.Module):
    """
    A `SentenceRepresentationStudent` (Wu et al. 2020, §3.1) in plain torch modules, scriptable:
    `forward(token_ids)` (see `ExportedPooledEncoder`, `ExportedCnnEncoder`) returns its sentence
    vectors `(batch_size, teacher_size)`, the approximation of the teacher's.
    """

    def __init__(self, student: SentenceRepresentationStudent) -> None:
        super().__init__()
        self.encoder = exported_encoder(student)
        self.projection = student._projection

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        return self.projection(self.encoder(token_ids))


# The embedders an exported tagger reads: its words, and optionally their characters and casing.
_TAGGER_EMBEDDERS = frozenset({"tokens", "token_characters", "word_casing"})


class ExportableTagger(torch.nn.Module):
    """
    A `distilled_tagger` student (word vectors, an optional character CNN, an optional casing
    embedding, a BiLSTM, the tag projection; Lample et al. 2016, Ma & Hovy 2016, Reimers &
    Gurevych 2017) in plain torch modules, scriptable: `forward(token_ids, char_ids,
    casing_ids=None)`, `token_ids` `(batch_size, num_tokens)` int64 with 0 for padding,
    `char_ids` `(batch_size, num_tokens, num_chars)` int64 with 0 for padding (ignored, and may
    be `(batch_size, num_tokens, 0)`, for a student without characters), `casing_ids`
    `(batch_size, num_tokens)` int64, each word's id in the `word_casing` namespace (required by
    a student with a casing embedding, ignored otherwise), returns the tag logits
    `(batch_size, num_tokens, num_tags)` (padding positions: the projection's bias),
    equal to the AllenNLP model's up to float rounding; `tags(logits, lengths)` decodes them, with
    the tagger's CRF when it has one.

    The character CNN is AllenNLP's `cnn` `Seq2VecEncoder` with ReLU: each filter is max-pooled
    over the windows that lie inside the word, 0 for a word shorter than the filter; unlike
    AllenNLP's `TokenCharactersEncoder` it reads only the real words of a padded batch (a padding
    word's vector is 0, which no output depends on). As in
    `ExportedEncoder`, one sentence runs the LSTM on the dense tensor, a batch is packed by length.

    # Raises
    `ConfigurationError` for a tagger without a BiLSTM encoder (a transformer teacher is served
    through AllenNLP), with embedders other than `tokens`, `token_characters` and
    `word_casing` (an `embedding`), or with a character encoder that is not a ReLU `cnn` without
    projection.
    """

    def __init__(self, tagger: torch.nn.Module) -> None:
        super().__init__()
        encoder = getattr(tagger, "_encoder", None)
        if encoder is None:
            raise ConfigurationError(
                "distill-export exports a tagger with a model.encoder (the BiLSTM student); a "
                "transformer tagger without one (the teacher) is served through AllenNLP"
            )
        if not isinstance(getattr(encoder, "_module", None), torch.nn.LSTM):
            raise ConfigurationError(
                f"distill-export exports a tagger whose model.encoder is an lstm, not "
                f"{type(getattr(encoder, '_module', encoder)).__name__}"
            )
        token_embedders: Dict[str, Any] = tagger._text_field_embedder._token_embedders  # type: ignore
        if "tokens" not in token_embedders or not set(token_embedders) <= _TAGGER_EMBEDDERS:
            raise ConfigurationError(
                "distill-export exports a tagger whose token_embedders are tokens and, "
                f"optionally, token_characters and word_casing, not {sorted(token_embedders)}"
            )
        casing = token_embedders.get("word_casing")
        self.casing = casing is not None
        casing_weight = torch.zeros(1, 0)
        if casing is not None:
            if (
                not isinstance(casing, Embedding)
                or casing._projection is not None
                or casing.max_norm is not None
            ):
                raise ConfigurationError(
                    "distill-export exports word_casing as an embedding without projection_dim "
                    f"or max_norm, not this {type(casing).__name__}"
                )
            casing_weight = casing.weight.detach().clone()
        # BasicTextFieldEmbedder joins its embedders in the sorted order of their names:
        # token_characters, tokens, word_casing (forward joins them so).
        self.casing_embedding = torch.nn.Embedding.from_pretrained(casing_weight)
        self.embedding = embedding_table(tagger)
        characters = token_embedders.get("token_characters")
        self.characters = characters is not None
        # No character parameters without characters (TorchScript needs the attribute).
        self.char_embedding = torch.nn.Embedding(1, 0)
        self.char_convolutions = torch.nn.ModuleList()
        if characters is not None:
            cnn = getattr(getattr(characters, "_encoder", None), "_module", None)
            if not isinstance(characters, TokenCharactersEncoder) or not isinstance(
                cnn, CnnEncoder
            ):
                raise ConfigurationError(
                    "distill-export exports token_characters as a character_encoding or "
                    "real_word_characters with a cnn encoder, not "
                    f"{type(characters).__name__} with {type(cnn).__name__}"
                )
            if cnn.projection_layer is not None or not isinstance(cnn._activation, torch.nn.ReLU):
                raise ConfigurationError(
                    "distill-export exports a character cnn with ReLU (the default "
                    "conv_layer_activation) and no output_dim"
                )
            weight = characters._embedding._module.weight.detach().clone()
            self.char_embedding = torch.nn.Embedding.from_pretrained(weight, padding_idx=0)
            self.char_convolutions = torch.nn.ModuleList(
                [copy.deepcopy(layer) for layer in cnn._convolution_layers]
            )
        self.lstm: torch.nn.LSTM = copy.deepcopy(encoder._module)
        self.projection = cast(torch.nn.Linear, tagger._tag_projection)
        crf = getattr(tagger, "_crf", None)
        self.crf = crf is not None
        self.transitions: torch.Tensor
        self.register_buffer(
            "transitions", crf_transitions(crf) if crf is not None else torch.zeros(0, 0)
        )

    @torch.jit.export
    def tags(self, logits: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """
        Each word's tag id `(batch_size, num_tokens)` for `forward`'s `logits` and the sentences'
        `lengths` `(batch_size,)`: the Viterbi path of the tagger's CRF (`viterbi_paths`), or
        without one the per-word argmax.
        """
        if self.crf:
            return viterbi_paths(logits, lengths.clamp(min=1), self.transitions)
        return logits.argmax(dim=-1)

    def forward(
        self,
        token_ids: torch.Tensor,
        char_ids: torch.Tensor,
        casing_ids: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        embedded = self.embedding(token_ids)
        if self.characters:
            batch_size, num_tokens, num_chars = char_ids.shape
            # The CNN reads real words only: a padded batch is mostly padding words (a quarter of
            # a CoNLL dev batch of 256 is real), whose vectors the packed LSTM never reads.
            real = (token_ids.reshape(-1) != 0).nonzero().squeeze(1)
            flat = char_ids.reshape(batch_size * num_tokens, num_chars).index_select(0, real)
            present = flat != 0
            inputs = (self.char_embedding(flat) * present.unsqueeze(-1)).transpose(1, 2)
            last = present.sum(dim=1, keepdim=True)
            pooled = [
                max_over_windows(torch.relu(convolution(inputs)), last, num_chars)
                for convolution in self.char_convolutions
            ]
            real_words = torch.cat(pooled, dim=1)
            words = real_words.new_zeros(batch_size * num_tokens, real_words.shape[1])
            words = words.index_copy(0, real, real_words).reshape(batch_size, num_tokens, -1)
            embedded = torch.cat([words, embedded], dim=-1)
        if self.casing:
            if casing_ids is None:
                raise ValueError("this tagger reads each word's casing: give casing_ids")
            embedded = torch.cat([embedded, self.casing_embedding(casing_ids)], dim=-1)
        num_tokens = token_ids.shape[1]
        if token_ids.shape[0] == 1:
            length = max(1, int((token_ids != 0).sum()))
            states = self.lstm(embedded[:, :length])[0]
            states = torch.nn.functional.pad(states, [0, 0, 0, num_tokens - length])
        else:
            packed = pack_by_length(embedded, token_ids)
            states = pad_packed_sequence(self.lstm(packed)[0], batch_first=True,
                                         total_length=num_tokens)[0]  # fmt: skip
        return self.projection(states)


class ExportableTransformerClassifier(torch.nn.Module):
    """
    A transformer classifier or regressor in plain torch, for `torch.jit.trace`: a fine-tuned
    teacher (`f1_classifier` or `text_regressor` over a `pretrained_transformer` embedder,
    mean-pooled, as `training_config/teacher.libsonnet` builds it) or the truncated-teacher
    student (its first k blocks; "Which Student is Best?", arXiv 2201.00558), of one sentence or
    of a sentence pair read jointly (a cross-encoder, Devlin et al. 2019, §3.2).
    `forward(token_ids, mask, type_ids=None)`, each `(batch_size, num_pieces)` int64 (word-piece
    ids padded with the tokenizer's pad id; mask 1 for a real piece, 0 for padding; a pair's
    segment ids, which reach the transformer only where it has token-type embeddings, as
    AllenNLP's embedder passes them), gives the logits `(batch_size, num_labels)`, or a
    regressor's scores `(batch_size,)`: the transformer's last hidden states, their mean over
    each text's pieces (AllenNLP's `boe` encoder, averaged), the output layer; equal to the
    archive's to float rounding. A text must fit the embedder's window (`max_length`): AllenNLP
    folds longer ones into windows, which this module does not, so the export truncates as the
    archive's reader does (see `_check_wordpiece_reader`).

    # Raises
    `ConfigurationError` for a classifier with a `seq2seq_encoder` or `feedforward`, embedders
    other than one `pretrained_transformer` (with `last_layer_only`), or an encoder other than an
    averaged `boe`.
    """

    def __init__(self, classifier: Union[BasicClassifier, TextRegressor]) -> None:
        super().__init__()
        token_embedders: Dict[str, Any] = classifier._text_field_embedder._token_embedders  # type: ignore
        embedder = token_embedders.get("tokens")
        if set(token_embedders) != {"tokens"} or not isinstance(
            embedder, PretrainedTransformerEmbedder
        ):
            raise ConfigurationError(
                "distill-export exports a transformer classifier whose token_embedders are one "
                f"pretrained_transformer named tokens, not {sorted(token_embedders)}"
            )
        if embedder._scalar_mix is not None:
            raise ConfigurationError(
                "distill-export exports a pretrained_transformer embedder with last_layer_only"
            )
        encoder = classifier._seq2vec_encoder
        if not isinstance(encoder, BagOfEmbeddingsEncoder) or not encoder._averaged:
            raise ConfigurationError(
                "distill-export exports a transformer classifier whose seq2vec_encoder is boe "
                f"with averaged: true (mean pooling), not {type(encoder).__name__}"
            )
        if (
            getattr(classifier, "_seq2seq_encoder", None) is not None
            or getattr(classifier, "_feedforward", None) is not None
        ):
            raise ConfigurationError(
                "distill-export exports a transformer classifier without seq2seq_encoder or "
                "feedforward"
            )
        self.transformer: torch.nn.Module = embedder.transformer_model
        self.regression = isinstance(classifier, TextRegressor)
        self.output_layer: torch.nn.Module = (
            classifier._output_layer
            if isinstance(classifier, TextRegressor)
            else classifier._classification_layer
        )
        self.token_types = embedder._number_of_token_type_embeddings() > 0

    def forward(
        self, token_ids: torch.Tensor, mask: torch.Tensor, type_ids: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        inputs = {"input_ids": token_ids, "attention_mask": mask}
        if type_ids is not None and self.token_types:
            # Only then: some models (MPNet, DistilBERT) take no token_type_ids argument at all.
            inputs["token_type_ids"] = type_ids
        states = self.transformer(**inputs, return_dict=False)[0]
        outputs = self.output_layer(pool_padded(states, mask.bool(), mean=True))
        return outputs.squeeze(-1) if self.regression else outputs


class LengthSortedClassifier(torch.nn.Module):
    """
    A traced `ExportableTransformerClassifier` run as the GloVe-transformer exports run their
    batches: a batch of more than `chunk_size` texts in length-sorted sub-batches of
    `chunk_size`, each cut to its longest text, so that self-attention, whose cost grows with the
    square of the padded length, is not spent on padding (an SST-2 dev batch of 256 is padded to
    its longest text, 2-3 times the mean). A batch of at most `chunk_size` texts runs whole (it is
    padded to its own longest text already). The CNN's 32 of before 2026-12-08 (`LENGTH_CHUNK`)
    is the transformer's best too: `scripts/transformer_chunk_sizes.py` on the demo's exported
    MiniLM teacher, 1,024 dev texts at batch 256, 2 threads, 11.9 / 8.1 / 5.6 / 4.7 / 5.1 s for
    sub-batches of 256 (one padded batch) / 128 / 64 / 32 / 16.
    """

    pair: Final[bool]

    def __init__(
        self, classifier: torch.nn.Module, chunk_size: int = LENGTH_CHUNK, pair: bool = False
    ) -> None:
        super().__init__()
        self.classifier = classifier
        self.chunk_size = chunk_size
        # A pair's classifier was traced with segment ids, a single sentence's without
        # (TorchScript drops the branch that does not apply).
        self.pair = pair

    def forward(
        self, token_ids: torch.Tensor, mask: torch.Tensor, type_ids: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        """
        # Parameters
        token_ids : `torch.Tensor`
            `(batch_size, num_pieces)` int64 word-piece ids, padded with the tokenizer's pad id.
        mask : `torch.Tensor`
            `(batch_size, num_pieces)` int64, 1 for a real piece, 0 for padding.
        type_ids : `torch.Tensor`, optional
            `(batch_size, num_pieces)` int64 segment ids; required for a pair classifier
            (`RuntimeError` without them), ignored for a single sentence.

        # Returns
        The logits `(batch_size, num_labels)` (a regressor's scores `(batch_size,)`) in the
        batch's order, equal to the classifier's on the whole padded batch to float rounding.
        """
        if type_ids is None:
            if self.pair:
                raise RuntimeError("a sentence-pair classifier needs its type_ids")
            type_ids = torch.zeros_like(token_ids)
        if token_ids.shape[0] <= self.chunk_size:
            return self._classify(token_ids, mask, type_ids)
        chunks = length_sorted_chunks(mask.sum(dim=1), self.chunk_size)
        logits: List[torch.Tensor] = []
        for chunk, longest in chunks:
            logits.append(
                self._classify(
                    token_ids.index_select(0, chunk)[:, :longest],
                    mask.index_select(0, chunk)[:, :longest],
                    type_ids.index_select(0, chunk)[:, :longest],
                )
            )
        order = torch.cat([chunk for chunk, _ in chunks])
        return torch.cat(logits).index_select(0, order.argsort())

    def _classify(
        self, token_ids: torch.Tensor, mask: torch.Tensor, type_ids: torch.Tensor
    ) -> torch.Tensor:
        if self.pair:
            return self.classifier(token_ids, mask, type_ids)
        return self.classifier(token_ids, mask)
