"""
`allennlp distill-export`: a trained `bilstm_student` or `siamese_bilstm_student` (or their CNN
and transformer twins, `cnn_student`, `transformer_student` and their siamese forms), a BiLSTM
`distilled_tagger` (sequence labelling), a distilled sentence encoder
(`sentence_representation_student`, Wu et al. 2020), or a transformer classifier or regressor of
one sentence or of a sentence pair read jointly (a fine-tuned teacher, or the truncated-teacher
student), as a TorchScript module that serves
without AllenNLP (only torch, and spaCy for the tokenizer; a transformer's word pieces by the
`tokenizers` library), optionally dynamically quantized to int8.

    allennlp distill-export runs/sst2/student/model.tar.gz -o runs/sst2/student_export [--int8]

writes `student.ts` (`torch.jit.load` it; input: one `token_ids` tensor `(batch_size,
num_tokens)` int64 with 0 for padding per text column, i.e. two for a pair student; output: logits
`(batch_size, num_labels)`, scores `(batch_size,)` for a regression student, or sentence vectors
`(batch_size, teacher_size)` for a sentence encoder; a `distilled_tagger` student takes
`token_ids`, `char_ids` `(batch_size, num_tokens, num_chars)` and, with a casing embedding,
`casing_ids` `(batch_size, num_tokens)`, and gives tag logits
`(batch_size, num_tokens, num_tags)`, see `ExportableTagger`) and `vocab.json` (the token list,
whose index is the id, `@@UNKNOWN@@` = 1; the label names in logit order; whether it is a
regression or a sentence encoder; the text and label columns; whether tokens are lowercased;
the tokens read as `@@UNKNOWN@@`, the mask tokens, when the student's tokenizer does so; the
gold labels whose rows are not scored; a tagger's characters, casing classes, tag column,
label encoding and whether it decodes with a CRF (then `student.ts`'s `tags(logits, lengths)`
gives the tags); the float parameter counts).
An open-vocabulary student's trained and frozen embedding rows become one table.
A transformer classifier takes word-piece `token_ids` and a `mask`, both `(batch_size,
num_pieces)`, and for a pair the segment `type_ids` too (see `ExportableTransformerClassifier`; a
batch of more than 32 texts runs in length-sorted sub-batches, `LengthSortedClassifier`); its
tokenizer is written beside it as `tokenizer.json`, and `vocab.json` holds `wordpieces`
(`max_length`, `pad_id`; a pair's `pair_template`, see `_pair_template`) instead of tokens.
`allennlp_distill/serving.py` is the whole serving path.

TorchScript rather than `torch.export`: on torch 2.14, `torch.export` specializes an LSTM to the
sequence length it was traced with, while a scripted LSTM takes any length. Students are
scripted; a Hugging Face transformer does not script, and is traced (its graph takes any batch
size and length; tested). `--onnx` writes a BiLSTM, CNN or small-transformer student for ONNX
Runtime instead (`onnx_export.py`).
"""

import argparse
import copy
import glob
import json
import math
import os
import shutil
import tempfile
import warnings
from typing import Any, Dict, List, Optional, Tuple, Union, cast

import torch
from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError
from allennlp.data.tokenizers import PretrainedTransformerTokenizer
from allennlp.models.archival import load_archive
from allennlp.models.basic_classifier import BasicClassifier
from allennlp.modules.seq2vec_encoders import BagOfEmbeddingsEncoder, CnnEncoder
from allennlp.modules.token_embedders import (
    Embedding,
    PretrainedTransformerEmbedder,
    TokenCharactersEncoder,
)
from tokenizers import Tokenizer
from torch.jit import Final
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from allennlp_distill.commands.measure import count_parameters
from allennlp_distill.models.bilstm_student import BiLstmStudent
from allennlp_distill.models.sentence_encoder_student import SentenceRepresentationStudent
from allennlp_distill.models.siamese_bilstm_student import SiameseBiLstmStudent
from allennlp_distill.models.tagger import DistilledTagger
from allennlp_distill.models.text_regressor import TextRegressor
from allennlp_distill.modules.crf_decoding import crf_transitions, viterbi_paths
from allennlp_distill.modules.pair_features import pair_features
from allennlp_distill.modules.pooled_bilstm import PooledBiLstm
from allennlp_distill.modules.pooled_transformer import PooledTransformer
from allennlp_distill.modules.wide_cnn_encoder import (
    LENGTH_CHUNK,
    WideCnnEncoder,
    fused_filters,
    length_sorted_chunks,
    max_pooled_windows,
    pooled_by_length,
    wide_padding,
)
from allennlp_distill.predictors.labelling import quantize_int8
from allennlp_distill.serving import METADATA_FILE, ONNX_FILE, TOKENIZER_FILE, TORCHSCRIPT_FILE
from allennlp_distill.token_indexers.lowercase_words import LowercaseWordsIndexer
from allennlp_distill.token_indexers.word_casing import WordCasingIndexer

# The folder inside `output_dir` that an export is written into before it is moved into place.
SCRATCH_PREFIX = ".export-"


@Subcommand.register("distill-export")
class DistillExport(Subcommand):
    """Registered as a `Subcommand` with name "distill-export"; see the module docstring."""

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = "Export a student archive to TorchScript (optionally int8)."
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("archive_file")
        subparser.add_argument("-o", "--output-dir", required=True)
        subparser.add_argument("--int8", action="store_true", help="dynamic int8 quantization")
        subparser.add_argument(
            "--onnx",
            action="store_true",
            help="a BiLSTM, CNN or transformer student (single or siamese) as student.onnx for "
            "ONNX Runtime instead of TorchScript",
        )
        subparser.add_argument(
            "--force", action="store_true", help="replace an export already in the output folder"
        )
        subparser.set_defaults(func=lambda args: export_archive(**_export_args(args)))
        return subparser


def _export_args(args: argparse.Namespace) -> Dict[str, Any]:
    return {
        "archive_file": args.archive_file,
        "output_dir": args.output_dir,
        "int8": args.int8,
        "onnx": args.onnx,
        "force": args.force,
    }


def pack_by_length(embedded: torch.Tensor, token_ids: torch.Tensor) -> PackedSequence:
    """
    `embedded` `(batch_size, num_tokens, dim)` packed for an LSTM by each text's length, its
    number of non-zero (non-padding) `token_ids` `(batch_size, num_tokens)`, at least 1 (an
    empty text reads one padding vector, as AllenNLP's encoders give it a state), so that no
    step is spent on padding, as AllenNLP's `PytorchSeq2VecWrapper` packs. The lengths go to the
    CPU wherever the tensors are: inside TorchScript, packing refuses lengths on a GPU
    ("'lengths' argument should be a 1D CPU int64 tensor"). Every exported LSTM packs here.
    """
    lengths = (token_ids != 0).sum(dim=1).clamp(min=1).cpu()
    return pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)


class ExportedEncoder(torch.nn.Module):
    """
    A student's embeddings and BiLSTM (Tang et al. 2019, §3.1) in plain torch modules:
    `forward(token_ids)`, `token_ids` `(batch_size, num_tokens)` int64 with 0 for padding, gives
    `(batch_size, 2 * hidden_size)`, the final forward then backward states.

    One text runs the LSTM on the dense tensor (torch's oneDNN kernel, the fastest at batch 1); a
    batch of several is packed by length, as AllenNLP's encoder does, so that no step is spent on
    padding.
    """

    def __init__(self, student: Union[BiLstmStudent, SiameseBiLstmStudent]) -> None:
        super().__init__()
        # An open-vocabulary embedder keeps its frozen rows apart; serving needs one table.
        self.embedding = _embedding_table(student)
        self.lstm: torch.nn.LSTM = copy.deepcopy(student._encoder._module)  # type: ignore[assignment]

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        embedded = self.embedding(token_ids)
        if token_ids.shape[0] == 1:
            length = max(1, int((token_ids != 0).sum()))
            final_states = self.lstm(embedded[:, :length])[1][0]
        else:
            final_states = self.lstm(pack_by_length(embedded, token_ids))[1][0]
        # final_states: (2, batch_size, hidden_size), the forward then the backward direction.
        return torch.cat([final_states[0], final_states[1]], dim=-1)


class ExportedCnnEncoder(torch.nn.Module):
    """
    A `cnn_student`'s embeddings and `wide_cnn` encoder (Kim 2014, §2) in plain torch modules:
    `forward(token_ids)`, `token_ids` `(batch_size, num_tokens)` int64 with 0 for padding, gives
    `(batch_size, num_filters * num_widths)`: each text zero-padded by `max width - 1` vectors on
    both sides, each filter's ReLU activation max-pooled over the text's windows, every width in
    one convolution, texts sorted by length 32 at a time (`pooled_by_length`, as the encoder
    itself runs).
    """

    weight: torch.Tensor
    bias: torch.Tensor
    widths: torch.Tensor

    def __init__(self, student: Union[BiLstmStudent, SiameseBiLstmStudent]) -> None:
        super().__init__()
        self.embedding = _embedding_table(student)
        encoder = cast(WideCnnEncoder, student._encoder)
        with torch.no_grad():
            weight, bias, widths = fused_filters(encoder._convolution_layers)
        # Buffers: the fused weight holds zeros past each filter's width, which are no
        # parameters (the export counts the student's own, `count_parameters`).
        self.register_buffer("weight", weight.clone())
        self.register_buffer("bias", bias.clone())
        self.register_buffer("widths", widths)
        self.pad = encoder._pad

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        mask = token_ids != 0
        padded, padded_mask = wide_padding(self.embedding(token_ids), mask, self.pad)
        pooled = pooled_by_length(padded, padded_mask.sum(dim=1), self.weight, self.widths)
        return torch.relu(pooled + self.bias)

    def whole_batch(self, token_ids: torch.Tensor) -> torch.Tensor:
        """
        `forward`'s features, `(batch_size, num_filters * num_widths)`, from one convolution over
        the whole padded batch (`max_pooled_windows`): no loop over sub-batches and no branch on
        the batch's shape, so that `torch.export` traces one graph for any batch (the ONNX
        export, `onnx_export.traced_student_graph`).
        """
        mask = token_ids != 0
        padded, padded_mask = wide_padding(self.embedding(token_ids), mask, self.pad)
        pooled = max_pooled_windows(padded, padded_mask.sum(dim=1), self.weight, self.widths)
        return torch.relu(pooled + self.bias)


def max_over_windows(activations: torch.Tensor, last: torch.Tensor, length: int) -> torch.Tensor:
    """
    Max-over-time pooling of non-negative (ReLU) convolution `activations` `(batch_size,
    num_filters, num_windows)` over the windows that end inside each input: `last`
    `(batch_size, 1)` is each input's number of real positions out of `length`; 0 for an input
    with no such window (shorter than the filter), as AllenNLP's `CnnEncoder` gives (Kim 2014,
    §2). Returns `(batch_size, num_filters)`.
    """
    width = activations.shape[2]
    starts = torch.arange(width, device=activations.device).unsqueeze(0)
    outside = (starts >= last - (length - width)).unsqueeze(1)
    # ReLU outputs are >= 0: a filled 0 never wins unless no window is inside.
    return activations.masked_fill(outside, 0.0).max(dim=2)[0]


class ExportedPooledEncoder(torch.nn.Module):
    """
    A `pooled_bilstm` encoder (Wu et al. 2020, §3.1) with its embeddings in plain torch modules:
    `forward(token_ids)`, `token_ids` `(batch_size, num_tokens)` int64 with 0 for padding, gives
    `(batch_size, 2 * hidden_size)`, every token's forward and backward state pooled over the
    text by element-wise max (or mean), and zeros for a text of no tokens, as `PooledBiLstm` does.
    One text runs on the dense tensor (the fastest at batch 1, as `ExportedEncoder`); a batch is
    packed by length, so padding reaches no state.
    """

    def __init__(self, student: torch.nn.Module) -> None:
        super().__init__()
        self.embedding = _embedding_table(student)
        encoder = cast(PooledBiLstm, student._encoder)
        self.lstm: torch.nn.LSTM = copy.deepcopy(encoder._lstm._module)  # type: ignore[assignment]
        self.mean = encoder.pooling == "mean"

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        present = token_ids != 0
        lengths = present.sum(dim=1)
        if token_ids.shape[0] == 1:
            length = int(lengths[0])
            states = self.lstm(self.embedding(token_ids[:, : max(1, length)]))[0]
            pooled = states.mean(dim=1) if self.mean else states.max(dim=1)[0]
            return pooled if length > 0 else torch.zeros_like(pooled)
        packed = pack_by_length(self.embedding(token_ids), token_ids)
        states = pad_packed_sequence(
            self.lstm(packed)[0], batch_first=True, total_length=token_ids.shape[1]
        )[0]  # (batch_size, num_tokens, 2 * hidden_size)
        return pool_padded(states, present, self.mean)


def pool_padded(states: torch.Tensor, present: torch.Tensor, mean: bool) -> torch.Tensor:
    """
    `states` `(batch_size, num_tokens, dim)` pooled over each text's tokens (`present`
    `(batch_size, num_tokens)` bool) by their mean or element-wise max: `(batch_size, dim)`,
    zeros for a text of no tokens, as AllenNLP's `masked_mean` / `masked_max` pool in
    `PooledBiLstm` and `PooledTransformer`.
    """
    lengths = present.sum(dim=1)
    token_mask = present.unsqueeze(-1)
    if mean:
        summed = states.masked_fill(~token_mask, 0.0).sum(dim=1)
        return summed / lengths.clamp(min=1).unsqueeze(-1).to(states.dtype)
    pooled = states.masked_fill(~token_mask, float("-inf")).max(dim=1)[0]
    return pooled.masked_fill((lengths == 0).unsqueeze(-1), 0.0)


def sinusoidal_positions(num_tokens: int, dim: int, device: torch.device) -> torch.Tensor:
    """
    The sinusoidal position features of Vaswani et al. (2017, §3.5) exactly as AllenNLP's
    `add_positional_features` adds them (`pytorch_transformer`): `(num_tokens, dim)`, sines then
    cosines of `dim // 2` timescales from 1 to 10^4, and a zero column for an odd `dim` (>= 4).
    """
    timescales = dim // 2
    steps = torch.arange(num_tokens, device=device).float()
    increment = math.log(1.0e4) / float(timescales - 1)
    inverse = torch.exp(torch.arange(timescales, device=device).float() * -increment)
    scaled = steps.unsqueeze(1) * inverse.unsqueeze(0)
    features = torch.cat([torch.sin(scaled), torch.cos(scaled)], dim=1)
    if dim % 2 != 0:
        features = torch.cat([features, features.new_zeros(num_tokens, 1)], dim=1)
    return features


class ExportedTransformerEncoder(torch.nn.Module):
    """
    A `pooled_transformer` encoder ("Which Student is Best?", arXiv 2201.00558, §3) with its
    embeddings in plain torch modules: `forward(token_ids)`, `token_ids` `(batch_size,
    num_tokens)` int64 with 0 for padding, gives `(batch_size, hidden_dim)`: projection,
    sinusoidal positions, the self-attention blocks with padding masked, then the mean (or max)
    over each text's tokens, zeros for a text of no tokens, as `PooledTransformer` does.

    The blocks are rebuilt batch-first with the same weights (AllenNLP's are sequence-first), so
    that torch's fused inference kernels serve them when no gradient is recorded and the head
    count is even (torch's conditions); one text runs unpadded and unmasked, a batch in
    length-sorted sub-batches of `LENGTH_CHUNK` texts, each cut to its longest text.
    """

    def __init__(self, student: torch.nn.Module) -> None:
        super().__init__()
        self.embedding = _embedding_table(student)
        encoder = cast(PooledTransformer, student._encoder)
        self.projection = copy.deepcopy(encoder._projection)
        source = cast(torch.nn.TransformerEncoder, encoder._transformer._transformer)
        first = cast(torch.nn.TransformerEncoderLayer, source.layers[0])
        layer = torch.nn.TransformerEncoderLayer(
            d_model=first.self_attn.embed_dim,
            nhead=first.self_attn.num_heads,
            dim_feedforward=first.linear1.out_features,
            dropout=0.0,
            activation="gelu" if first.activation_relu_or_gelu == 2 else "relu",
            layer_norm_eps=first.norm1.eps,
            batch_first=True,
            norm_first=first.norm_first,
        )
        self.transformer = torch.nn.TransformerEncoder(
            layer, len(source.layers), enable_nested_tensor=False
        )
        self.transformer.load_state_dict(source.state_dict())
        self.mean = encoder.pooling == "mean"
        self.chunk_size = LENGTH_CHUNK

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        if 1 < token_ids.shape[0] <= self.chunk_size:
            # Padded to its own longest text already: one pass, padding masked.
            return self.whole_batch(token_ids)
        present = token_ids != 0
        lengths = present.sum(dim=1)
        if token_ids.shape[0] == 1:
            length = int(lengths[0])
            token_ids = token_ids[:, : max(1, length)]
        states = self.projection(self.embedding(token_ids))
        states = states + sinusoidal_positions(states.shape[1], states.shape[2], states.device)
        if token_ids.shape[0] == 1:
            states = self.transformer(states)
            pooled = states.mean(dim=1) if self.mean else states.max(dim=1)[0]
            return pooled if int(lengths[0]) > 0 else torch.zeros_like(pooled)
        # Texts sorted by length, LENGTH_CHUNK at a time, each sub-batch cut to its longest:
        # attention grows with the square of the padded length (as `pooled_by_length`).
        pooled = states.new_zeros(states.shape[0], states.shape[2])
        for chunk, longest in length_sorted_chunks(lengths, self.chunk_size):
            mask = present.index_select(0, chunk)[:, :longest]
            sub = self.transformer(
                states.index_select(0, chunk)[:, :longest], src_key_padding_mask=~mask
            )
            pooled = pooled.index_copy(0, chunk, pool_padded(sub, mask, self.mean))
        return pooled

    def whole_batch(self, token_ids: torch.Tensor) -> torch.Tensor:
        """
        `forward`'s sentence vectors, `(batch_size, hidden_dim)`, from the whole padded batch in
        one pass, padding masked: no loop over sub-batches and no branch on the batch's shape, so
        that `torch.export` traces one graph for any batch (the ONNX export,
        `onnx_export.traced_student_graph`; traced with gradients on, where torch's fused
        inference kernel, which ONNX cannot express, stands aside).
        """
        present = token_ids != 0
        states = self.projection(self.embedding(token_ids))
        states = states + sinusoidal_positions(states.shape[1], states.shape[2], states.device)
        states = self.transformer(states, src_key_padding_mask=~present)
        return pool_padded(states, present, self.mean)


def _embedding_table(student: torch.nn.Module) -> torch.nn.Embedding:
    """The student's token embeddings as one table: an open vocabulary's frozen rows included."""
    token_embedders: Dict[str, Any] = student._text_field_embedder._token_embedders  # type: ignore
    tokens = token_embedders["tokens"]
    full_weight = getattr(tokens, "full_weight", None)
    weight = (full_weight() if full_weight else tokens.weight).detach().clone()
    return torch.nn.Embedding.from_pretrained(weight, padding_idx=0)


def exported_encoder(student: torch.nn.Module) -> torch.nn.Module:
    """
    The student's embeddings and sentence encoder (Tang et al.'s BiLSTM final states,
    `pooled_bilstm`, `pooled_transformer` or `wide_cnn`) in plain torch.

    # Raises
    `ConfigurationError` for any other encoder: exporting it as one of these would give wrong
    outputs.
    """
    encoder = student._encoder
    if isinstance(encoder, WideCnnEncoder):
        return ExportedCnnEncoder(student)  # type: ignore[arg-type]
    if isinstance(encoder, PooledBiLstm):
        return ExportedPooledEncoder(student)
    if isinstance(encoder, PooledTransformer):
        return ExportedTransformerEncoder(student)
    if isinstance(getattr(encoder, "_module", None), torch.nn.LSTM):
        return ExportedEncoder(student)  # type: ignore[arg-type]
    raise ConfigurationError(
        f"distill-export knows the BiLSTM, pooled_bilstm, pooled_transformer and wide_cnn "
        f"encoders, not "
        f"{type(encoder).__name__}"
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
        self.embedding = _embedding_table(tagger)
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
    A traced `ExportableTransformerClassifier` run as the CNN and GloVe-transformer exports run
    their batches: a batch of more than `chunk_size` texts in length-sorted sub-batches of
    `chunk_size`, each cut to its longest text, so that self-attention, whose cost grows with the
    square of the padded length, is not spent on padding (an SST-2 dev batch of 256 is padded to
    its longest text, 2-3 times the mean). A batch of at most `chunk_size` texts runs whole (it is
    padded to its own longest text already). The CNN's 32 (`LENGTH_CHUNK`) is the transformer's
    best too: `scripts/transformer_chunk_sizes.py` on the demo's exported MiniLM teacher, 1,024
    dev texts at batch 256, 2 threads, 11.9 / 8.1 / 5.6 / 4.7 / 5.1 s for sub-batches of 256 (one
    padded batch) / 128 / 64 / 32 / 16.
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


def _check_wordpiece_reader(reader, archive_file: str) -> Dict[str, Any]:
    """
    What serving needs to split a text, or a sentence pair, into word pieces as the archive's
    reader does: `max_length` (the most pieces of an input, special tokens included) and
    `pad_id`; for a pair reader (`pair_teacher_logits`, both sentences in one input) also
    `pair_template` (`_pair_template`), after the two sentences are cut longest first to
    `max_length` minus the special pieces (`serving.longest_first`).

    # Raises
    `ConfigurationError` naming `archive_file` when the reader's tokenizer is not a
    `pretrained_transformer` one adding special tokens and truncating (a pair reader: bounding
    the pair by `max_tokens`), or it lets an input outgrow the embedder's window (AllenNLP would
    fold it; the export cannot).
    """
    tokenizer = getattr(reader, "_tokenizer", None)
    columns = list(getattr(reader, "text_columns", ["sentence"]))
    pair = len(columns) == 2 and getattr(reader, "_combine", False)
    if len(columns) != 1 and not pair:
        raise ConfigurationError(
            f"{archive_file}: distill-export exports a transformer classifier of one text or of "
            f"a sentence pair read jointly, not one reading text columns {columns} apart"
        )
    if not isinstance(tokenizer, PretrainedTransformerTokenizer):
        raise ConfigurationError(
            f"{archive_file}: distill-export exports a transformer classifier whose reader's "
            "tokenizer is pretrained_transformer"
        )
    if pair and tokenizer._max_length is not None:
        raise ConfigurationError(
            f"{archive_file}: the pair reader's tokenizer cuts each sentence to its max_length "
            "before the pair is cut to dataset_reader.max_tokens, which the export does not: "
            "bound the pair by dataset_reader.max_tokens alone"
        )
    max_length = reader._max_tokens if pair else tokenizer._max_length
    if not max_length or not (pair or tokenizer._add_special_tokens):
        raise ConfigurationError(
            f"{archive_file}: distill-export exports a transformer classifier whose input is "
            "bounded: dataset_reader.max_tokens for a pair, else a tokenizer with "
            "add_special_tokens and a max_length"
        )
    indexer = reader._token_indexers["tokens"]
    window = getattr(indexer, "_max_length", None)
    if window is not None and max_length > window:
        raise ConfigurationError(
            f"{archive_file}: the reader's inputs of up to {max_length} word pieces exceed the "
            f"indexer's max_length {window}: AllenNLP folds such inputs into windows, an export "
            "cannot"
        )
    settings: Dict[str, Any] = {
        "max_length": int(max_length),
        "pad_id": int(tokenizer.tokenizer.pad_token_id),
    }
    if pair:
        settings["pair_template"] = _pair_template(tokenizer, indexer)
    return settings


def _pair_template(tokenizer: PretrainedTransformerTokenizer, indexer) -> Dict[str, Any]:
    """
    A sentence pair's special pieces and segment ids as the model received them: `start` +
    first sentence + `mid` + second sentence + `end`, each special piece `[id, type_id]`, and
    the segment ids of the two sentences' pieces, `first_type` and `second_type`. Read off the
    reader's own tokenizer and indexer on a two-word pair rather than rebuilt: an indexer with
    a `max_length` swaps the pair's outer special pieces for a single sequence's (BERT's final
    `[SEP]` gets segment 0, not 1), and the model was trained on what the indexer gave.
    """
    from allennlp.data import Vocabulary

    first, second = tokenizer.tokenize("a"), tokenizer.tokenize("b")
    joined = tokenizer.add_special_tokens(first, second)
    indexed = indexer.tokens_to_indices(joined, Vocabulary())
    ids, types = indexed["token_ids"], indexed["type_ids"]
    starts = len(tokenizer.sequence_pair_start_tokens)
    mids = len(tokenizer.sequence_pair_mid_tokens)
    ends = len(tokenizer.sequence_pair_end_tokens)
    second_start = starts + len(first) + mids
    if len(ids) != len(joined) or ids[starts : second_start - mids] != [t.text_id for t in first]:
        raise ConfigurationError(
            "distill-export cannot read the pair's special pieces off the reader's indexer"
        )

    def pieces(start: int, end: int) -> List[List[int]]:
        return [[int(ids[i]), int(types[i])] for i in range(start, end)]

    return {
        "start": pieces(0, starts),
        "mid": pieces(second_start - mids, second_start),
        "end": pieces(len(ids) - ends, len(ids)),
        "first_type": int(types[starts]),
        "second_type": int(types[second_start]),
    }


def export_archive(
    archive_file: str,
    output_dir: str,
    int8: bool = False,
    force: bool = False,
    onnx: bool = False,
) -> str:
    """
    Exports the archive's student (`bilstm_student`, `siamese_bilstm_student`, their CNN and
    transformer twins, a `sentence_representation_student`, a BiLSTM `distilled_tagger`, or a
    transformer classifier or regressor of one sentence or a pair: a teacher or a truncated
    teacher) into `output_dir`
    (see the module docstring), replacing an export already there only with `force`. With
    `onnx`, a BiLSTM, CNN or transformer student (single-sentence or siamese) is written as
    `student.onnx` for ONNX Runtime instead (`onnx_export.py`; `int8` then quantizes it with ONNX
    Runtime's own tools). The files are written into a scratch folder inside `output_dir` and
    moved into place once all are written (`_publish`): a failure leaves no half-written export.

    # Returns
    The path of the TorchScript (or ONNX) file.

    # Raises
    `ConfigurationError` when the archive's model is none of these or has an encoder the export
    does not know (with `onnx`: is not one of these students), or `output_dir`
    already holds an export and `force` is not set.
    """
    exports = (TORCHSCRIPT_FILE, ONNX_FILE, METADATA_FILE)
    if not force and any(os.path.exists(os.path.join(output_dir, name)) for name in exports):
        raise ConfigurationError(
            f"{output_dir} already holds an export: choose another --output-dir, or pass --force "
            "to replace it"
        )
    archive = load_archive(archive_file)
    student = archive.model.eval()
    module: torch.nn.Module
    transformer = isinstance(student, (BasicClassifier, TextRegressor))
    wordpieces: Optional[Dict[str, Any]] = None
    if isinstance(student, BiLstmStudent):
        module = ExportableBiLstmStudent(student)
    elif isinstance(student, SiameseBiLstmStudent):
        module = ExportableSiameseStudent(student)
    elif isinstance(student, SentenceRepresentationStudent):
        module = ExportableSentenceEncoder(student)
    elif isinstance(student, DistilledTagger):
        _check_character_indexer(archive.validation_dataset_reader, archive_file)
        _check_casing_indexer(archive.validation_dataset_reader, archive_file)
        module = ExportableTagger(student)
    elif isinstance(student, (BasicClassifier, TextRegressor)):
        module = ExportableTransformerClassifier(student)
        wordpieces = _check_wordpiece_reader(archive.validation_dataset_reader, archive_file)
    else:
        raise ConfigurationError(
            f"{archive_file}: distill-export handles the bilstm_student, cnn_student, "
            "transformer_student, their siamese forms, sentence_representation_student, "
            "distilled_tagger (a BiLSTM tagger) and transformer classifier and text_regressor "
            f"(a teacher, a truncated teacher) models, not {type(student).__name__}"
        )
    module.eval()
    if onnx and not isinstance(module, (ExportableBiLstmStudent, ExportableSiameseStudent)):
        raise ConfigurationError(
            f"{archive_file}: distill-export --onnx exports the BiLSTM, CNN and transformer "
            f"students (single-sentence or siamese), not {type(student).__name__}: export it "
            "without --onnx (TorchScript)"
        )
    # Counted on the archive's model, as `distill-report` counts it: the export holds some
    # weights as buffers (a CNN's fused filters, a CRF's transitions) or packed (int8).
    counts = count_parameters(student)
    reader = archive.validation_dataset_reader
    # Built before the output folder exists: a student it cannot export leaves nothing behind.
    # (Refused above unless a single-sentence or siamese student.)
    graph = _onnx_graph(module) if onnx else None  # type: ignore[arg-type]
    vocab = student.vocab
    indexer = reader._token_indexers["tokens"]  # type: ignore[attr-defined]
    tokenizer = getattr(reader, "_tokenizer", None)
    # A `spacy_rules` tokenizer says what serving must mirror; other tokenizers read no word as
    # @@UNKNOWN@@ and leave lowercasing to the indexer.
    unknown_tokens = list(getattr(tokenizer, "unknown_tokens", []))
    tagger = isinstance(student, DistilledTagger)
    if tagger:
        # The tagging reader reads whole words: its own unknown tokens are @@UNKNOWN@@.
        unknown_tokens = sorted(getattr(reader, "_unknown_tokens", ()))
    regression = isinstance(student, TextRegressor) or bool(getattr(student, "_regression", False))
    sentence_encoder = isinstance(student, SentenceRepresentationStudent)
    namespace = str(getattr(student, "_label_namespace", "labels"))
    num_labels = 0 if regression or sentence_encoder else vocab.get_vocab_size(namespace)
    characters = getattr(module, "characters", False)
    characters_indexer = (
        reader._token_indexers.get("token_characters") if characters else None  # type: ignore[attr-defined]
    )
    labels = [vocab.get_token_from_index(i, namespace) for i in range(num_labels)]

    def tokens_by_id(name: str) -> List[str]:  # a vocabulary namespace's tokens, by id
        return [vocab.get_token_from_index(i, name) for i in range(vocab.get_vocab_size(name))]

    meta = {
        # A transformer's word pieces are in tokenizer.json.
        "tokens": [] if transformer else tokens_by_id("tokens"),
        "wordpieces": wordpieces,
        "labels": labels,
        "regression": regression,
        "sentence_encoder": sentence_encoder,
        "lowercase_tokens": bool(
            getattr(indexer, "lowercase_tokens", False)
            or getattr(tokenizer, "lowercase", False)
            or isinstance(indexer, LowercaseWordsIndexer)
        ),
        "unknown_tokens": unknown_tokens,
        # The sentence_vectors reader has one text column and no label.
        "text_columns": list(getattr(reader, "text_columns", ["sentence"])),
        "label_column": getattr(reader, "label_column", None),
        "skip_labels": sorted(getattr(reader, "_skip_labels", ())),
        # A tagger: one tag per word, spans by its label encoding, and its characters' ids.
        "tagger": tagger,
        "label_encoding": getattr(student, "label_encoding", None) if tagger else None,
        # A tagger with a CRF: its tags are student.ts's `tags` (Viterbi), not the argmax.
        "crf": getattr(student, "_crf", None) is not None,
        "characters": tokens_by_id("token_characters") if characters else None,
        # A tagger with a casing embedding: the `word_casing` namespace's classes, by id.
        "casing": tokens_by_id("word_casing") if getattr(module, "casing", False) else None,
        "tag_column": getattr(reader, "_tag_column", -1) if tagger else None,
        "min_char_padding": int(getattr(characters_indexer, "_min_padding_length", 0)),
        # The `capped_characters` indexer's cap (None: every character).
        "max_characters": getattr(characters_indexer, "max_characters", None),
        "int8": int8,
        # Which file serves: student.onnx (ONNX Runtime) or student.ts (TorchScript).
        "runtime": "onnxruntime" if onnx else "torchscript",
        **counts,
    }
    # Every file is written into a scratch folder first and moved into `output_dir` only once
    # all are written: a failure on the way (quantizing, saving) leaves `output_dir` as it was,
    # or absent if it was (a failure while moving, a folder without vocab.json: `_publish`).
    created = not os.path.isdir(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    for left in glob.glob(os.path.join(output_dir, SCRATCH_PREFIX + "*")):
        shutil.rmtree(left, ignore_errors=True)  # the scratch folder of a killed export
    scratch = tempfile.mkdtemp(dir=output_dir, prefix=SCRATCH_PREFIX)
    try:
        if graph is not None:
            model_file = _write_onnx(graph, scratch, int8)
        else:
            template = wordpieces.get("pair_template") if wordpieces else None
            model_file = _write_torchscript(module, scratch, int8, transformer, template)
        written = [os.path.basename(model_file)]
        if transformer:
            # The reader's word-piece tokenizer (without its truncation or padding settings:
            # serving sets them from vocab.json), for the `tokenizers` library.
            backend = reader._tokenizer.tokenizer.backend_tokenizer  # type: ignore[attr-defined]
            pieces = Tokenizer.from_str(backend.to_str())
            pieces.no_truncation()
            pieces.no_padding()
            pieces.save(os.path.join(scratch, TOKENIZER_FILE))
            written.append(TOKENIZER_FILE)
        with open(os.path.join(scratch, METADATA_FILE), "w", encoding="utf-8") as meta_file:
            json.dump(meta, meta_file, ensure_ascii=False)
        _publish(scratch, output_dir, written, other=TORCHSCRIPT_FILE if onnx else ONNX_FILE)
    except BaseException:
        shutil.rmtree(scratch if not created else output_dir, ignore_errors=True)
        raise
    shutil.rmtree(scratch, ignore_errors=True)
    return os.path.join(output_dir, os.path.basename(model_file))


def _write_torchscript(
    module: torch.nn.Module,
    output_dir: str,
    int8: bool,
    transformer: bool,
    pair_template: Optional[Dict[str, Any]] = None,
) -> str:
    """`module` scripted (a transformer: traced, then scripted; a pair one, with its
    `pair_template`, with segment ids) into `output_dir`/student.ts, after `quantize_int8` with
    `int8`; its path."""
    if int8:
        # A transformer student's self-attention blocks stay float (see quantize_int8).
        keep_float = (torch.nn.TransformerEncoderLayer,)
        module = quantize_int8(module, keep_float)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated, see docstring
        if transformer:
            # Hugging Face models trace, they do not script; the traced graph takes any batch
            # size and length up to the window (tested).
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            example = torch.tensor([[1, 2, 3, 4], [1, 2, 0, 0]])
            inputs: Tuple[torch.Tensor, ...] = (example, (example != 0).long())
            if pair_template is not None:
                # The model's own segment ids: RoBERTa-style models have one token type only.
                first, second = pair_template["first_type"], pair_template["second_type"]
                inputs += (torch.tensor([[first, first, second, second], [first] * 4]),)
            with torch.no_grad():
                traced = torch.jit.trace(module, inputs)
            # The sub-batch loop depends on the texts' lengths: scripted around the trace.
            scripted = torch.jit.script(
                LengthSortedClassifier(traced, pair=pair_template is not None)
            )
        else:
            scripted = torch.jit.script(module)
    path = os.path.join(output_dir, TORCHSCRIPT_FILE)
    scripted.save(path)
    return path


def _onnx_graph(module: Union[ExportableBiLstmStudent, ExportableSiameseStudent]):
    """The student's checked ONNX graph (`onnx_export.student_graph`, which raises
    `ConfigurationError` for an encoder it cannot write)."""
    import onnx as onnx_format

    from allennlp_distill.commands.onnx_export import student_graph

    graph = student_graph(module)
    onnx_format.checker.check_model(graph)
    return graph


def _write_onnx(graph, output_dir: str, int8: bool) -> str:
    """The ONNX `graph` in `output_dir`/student.onnx, quantized by ONNX Runtime with `int8`;
    its path."""
    import onnx as onnx_format

    from allennlp_distill.commands.onnx_export import quantize_onnx_int8

    path = os.path.join(output_dir, ONNX_FILE)
    if int8:
        onnx_format.save(graph, path + ".float")
        quantize_onnx_int8(path + ".float", path)
        os.remove(path + ".float")
    else:
        onnx_format.save(graph, path)
    return path


def _publish(scratch: str, output_dir: str, files: List[str], other: str) -> None:
    """
    Moves `files` and then the metadata (`vocab.json`, which makes the folder an export) from
    `scratch` into `output_dir`, after removing the old metadata (so that a kill half-way leaves
    a folder that serving refuses, never one export's model beside another's vocabulary) and
    `other`, the other runtime's model file, which would only mislead.
    """
    for name in (METADATA_FILE, other):
        if os.path.exists(os.path.join(output_dir, name)):
            os.remove(os.path.join(output_dir, name))
    for name in [*files, METADATA_FILE]:
        os.replace(os.path.join(scratch, name), os.path.join(output_dir, name))


def _check_casing_indexer(reader, archive_file: str) -> None:
    """
    `serving.py` gives each word the id of its `word_casing` class in the `word_casing`
    namespace, as the `word_casing` indexer does with its defaults.

    # Raises
    `ConfigurationError` for a `word_casing` indexer of another type, namespace, or with start
    or end tokens.
    """
    indexer = reader._token_indexers.get("word_casing")
    if indexer is None:
        return
    if (
        not isinstance(indexer, WordCasingIndexer)
        or indexer.namespace != "word_casing"
        or indexer._start_tokens
        or indexer._end_tokens
    ):
        raise ConfigurationError(
            f"{archive_file}: distill-export serves dataset_reader.token_indexers.word_casing "
            "as the word_casing indexer with its defaults (namespace word_casing, no start or "
            "end tokens)"
        )


def _check_character_indexer(reader, archive_file: str) -> None:
    """
    `serving.py` indexes each word's characters as AllenNLP's `characters` indexer does by
    default: one id per character of the word, as written, in the `token_characters` namespace.

    # Raises
    `ConfigurationError` naming the setting `serving.py` does not mirror.
    """
    indexer = reader._token_indexers.get("token_characters")
    if indexer is None:
        return
    tokenizer = indexer._character_tokenizer
    settings = {
        "namespace": indexer._namespace != "token_characters",
        "start_tokens": bool(indexer._start_tokens),
        "end_tokens": bool(indexer._end_tokens),
        "character_tokenizer.lowercase_characters": tokenizer._lowercase_characters,
        "character_tokenizer.byte_encoding": tokenizer._byte_encoding is not None,
        "character_tokenizer.start_tokens": bool(tokenizer._start_tokens),
        "character_tokenizer.end_tokens": bool(tokenizer._end_tokens),
    }
    changed = [name for name, differs in settings.items() if differs]
    if changed:
        raise ConfigurationError(
            f"{archive_file}: distill-export serves the characters indexer with its defaults; "
            f"dataset_reader.token_indexers.token_characters sets {', '.join(changed)}"
        )
