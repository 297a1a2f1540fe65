"""
The exported form of every student encoder `distill-export` knows, in plain torch modules that
`torch.jit.script` compiles: Tang et al.'s BiLSTM final states (`ExportedEncoder`), Kim's CNN
(`ExportedCnnEncoder`), the max- or mean-pooled BiLSTM of Wu et al. 2020
(`ExportedPooledEncoder`) and the small transformer of "Which Student is Best?"
(`ExportedTransformerEncoder`), each with the student's embedding table as one matrix;
`exported_encoder` picks the one for a trained student. Each takes `token_ids` `(batch_size,
num_tokens)` int64 with 0 for padding and gives `(batch_size, features)`; the whole models that
wrap them are in `export_models.py`.
"""

import copy
import math
from typing import Any, Dict, List, Optional, Tuple, Union, cast

import torch
from allennlp.common.checks import ConfigurationError
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from allennlp_distill.models.bilstm_student import BiLstmStudent
from allennlp_distill.models.siamese_bilstm_student import SiameseBiLstmStudent
from allennlp_distill.modules.pooled_bilstm import PooledBiLstm
from allennlp_distill.modules.pooled_transformer import PooledTransformer
from allennlp_distill.modules.wide_cnn_encoder import (
    LENGTH_CHUNK,
    WideCnnEncoder,
    fused_filters,
    length_sorted_chunks,
    max_pooled_packed,
    max_pooled_windows,
    wide_packing,
    wide_padding,
)


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
        self.embedding = embedding_table(student)
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
    both sides, each filter's ReLU activation max-pooled over the text's windows, one matrix
    product per filter width over the texts packed without the batch's padding (`wide_packing`,
    `max_pooled_packed`, as the encoder itself runs); with the encoder's `output_dim` (a
    distilled sentence encoder's projection, kept by a task student) `(batch_size, output_dim)`
    through that linear layer.
    """

    filters: torch.Tensor
    bias: torch.Tensor
    blocks: List[Tuple[int, int, int]]

    def __init__(self, student: Union[BiLstmStudent, SiameseBiLstmStudent]) -> None:
        super().__init__()
        self.embedding = embedding_table(student)
        encoder = cast(WideCnnEncoder, student._encoder)
        with torch.no_grad():
            filters, bias = fused_filters(encoder._convolution_layers)
        # Buffers: the fused filters hold zeros past each filter's width, which are no
        # parameters (the export counts the student's own, `count_parameters`).
        self.register_buffer("filters", filters.clone())
        self.register_buffer("bias", bias.clone())
        self.blocks = list(encoder._blocks)
        self.pad = encoder._pad
        self.output_projection = output_projection(encoder.projection_layer)

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        packed, window_counts = wide_packing(self.embedding(token_ids), token_ids != 0, self.pad)
        pooled = max_pooled_packed(packed, window_counts, self.filters, self.blocks)
        return self.output_projection(torch.relu(pooled + self.bias))

    def whole_batch(self, token_ids: torch.Tensor) -> torch.Tensor:
        """
        `forward`'s features, `(batch_size, num_filters * num_widths)` (or the projection's
        `output_dim`), from the whole padded batch (`max_pooled_windows`): no shape that depends
        on the texts' lengths (`forward`'s packed sequence has one), so that `torch.export`
        traces one graph for any batch (the ONNX export, `onnx_export.traced_student_graph`).
        """
        mask = token_ids != 0
        padded, padded_mask = wide_padding(self.embedding(token_ids), mask, self.pad)
        lengths = padded_mask.sum(dim=1)
        pooled = max_pooled_windows(padded, lengths, self.filters, self.blocks)
        return self.output_projection(torch.relu(pooled + self.bias))


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
    text by element-wise max (or mean), and zeros for a text of no tokens, as `PooledBiLstm` does
    (then through its `projection_layer` where it has one: `(batch_size, output_dim)`).
    One text runs on the dense tensor (the fastest at batch 1, as `ExportedEncoder`); a batch is
    packed by length, so padding reaches no state.
    """

    def __init__(self, student: torch.nn.Module) -> None:
        super().__init__()
        self.embedding = embedding_table(student)
        encoder = cast(PooledBiLstm, student._encoder)
        self.lstm: torch.nn.LSTM = copy.deepcopy(encoder._lstm._module)  # type: ignore[assignment]
        self.mean = encoder.pooling == "mean"
        self.output_projection = output_projection(encoder.projection_layer)

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        present = token_ids != 0
        lengths = present.sum(dim=1)
        if token_ids.shape[0] == 1:
            length = int(lengths[0])
            states = self.lstm(self.embedding(token_ids[:, : max(1, length)]))[0]
            pooled = states.mean(dim=1) if self.mean else states.max(dim=1)[0]
            pooled = pooled if length > 0 else torch.zeros_like(pooled)
            return self.output_projection(pooled)
        packed = pack_by_length(self.embedding(token_ids), token_ids)
        states = pad_packed_sequence(
            self.lstm(packed)[0], batch_first=True, total_length=token_ids.shape[1]
        )[0]  # (batch_size, num_tokens, 2 * hidden_size)
        return self.output_projection(pool_padded(states, present, self.mean))


def output_projection(layer: Optional[torch.nn.Linear]) -> torch.nn.Module:
    """
    A copy of a pooled encoder's `projection_layer` (`wide_cnn`'s or `pooled_bilstm`'s
    `output_dim`: a distilled sentence encoder's projection to its teacher's width, Wu et al.
    2020, §3.1), or `Identity` for an encoder without one, so that the scripted module has one
    code path.
    """
    return torch.nn.Identity() if layer is None else copy.deepcopy(layer)


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
    length-sorted sub-batches of `LENGTH_CHUNK` texts, each cut to its longest text. A text is
    read up to the encoder's `max_tokens`, as the encoder reads it (`whole_batch`, which the
    ONNX export traces, leaves that cut to `serving.py`, which makes it from `vocab.json`).
    """

    def __init__(self, student: torch.nn.Module) -> None:
        super().__init__()
        self.embedding = embedding_table(student)
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
        # The tokens of a text that are read, its first ones (0: all), as the encoder reads.
        self.max_tokens = encoder.max_tokens or 0

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        if self.max_tokens > 0:
            token_ids = token_ids[:, : self.max_tokens]
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


def embedding_table(student: torch.nn.Module) -> torch.nn.Embedding:
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
