from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from allennlp.common.checks import ConfigurationError
from allennlp.modules.seq2vec_encoders import CnnEncoder, Seq2VecEncoder


def wide_padding(
    embedded: torch.Tensor, mask: torch.Tensor, pad: int
) -> Tuple[torch.Tensor, torch.Tensor]:
    """
    Kim (2014)'s zero padding, `pad` zero vectors before and after each text's tokens, so that a
    filter of width `pad + 1` has a window on every text, even a one-word one.

    # Parameters
    embedded : `torch.Tensor`
        `(batch_size, num_tokens, embedding_dim)`; rows where `mask` is false are ignored
        (zeros in the output, whatever they hold).
    mask : `torch.Tensor`
        `(batch_size, num_tokens)` bool, true on each text's tokens, which come first.
    pad : `int`
        Zero vectors added on each side of every text.

    # Returns
    The padded embeddings `(batch_size, num_tokens + 2 * pad, embedding_dim)` (each text's tokens
    at `pad ... pad + length - 1`, zeros around them) and their mask, true on the text and its
    `2 * pad` zeros.
    """
    num_tokens = embedded.shape[1]
    padded = F.pad(embedded.masked_fill(~mask.unsqueeze(-1), 0.0), (0, 0, pad, pad))
    lengths = mask.sum(dim=1, keepdim=True) + 2 * pad
    positions = torch.arange(num_tokens + 2 * pad, device=mask.device).unsqueeze(0)
    return padded, positions < lengths


def max_pooled_windows(
    padded: torch.Tensor,
    lengths: torch.Tensor,
    filters: torch.Tensor,
    blocks: List[Tuple[int, int, int]],
) -> torch.Tensor:
    """
    Every filter's largest score (before bias and activation) over the windows that lie inside
    each text: filters of several widths at once (Kim 2014, §2, max-over-time pooling). ReLU and
    the bias commute with the max, so they can follow it on `(batch_size, num_filters)` instead
    of every window; `WideCnnEncoder` and its exports all pool this way.

    Each window's vectors are laid side by side once, `(batch_size * num_windows, max_width *
    embedding_dim)`, and each block of filters of width `k` multiplies the first `k *
    embedding_dim` columns (a strided view, no copy) by its own rows of `filters`, so that no
    multiply-add is spent on the zeros past a filter's width, and each block's scores come out
    `(batch_size, num_windows, block_filters)` with the max over contiguous rows. On 2 cores,
    against one `conv1d` and a max over its last axis (the sentence encoder's 900 filters of
    widths 1-3 on STS-B dev): 1.7-1.9x as fast in eager mode (AllenNLP's archive), 1.4-1.5x
    forward and backward (training), 1.7x in the TorchScript export; one product per block
    instead of one for all filters added 1.0-1.2x (docs/results.md, "The CNN's windows as one
    matrix product" and "One matrix product per filter width"). Only the widest filters need
    their windows past a text masked: with `wide_padding`'s zeros, such a window reads zeros
    alone and scores exactly 0, and every narrower filter has a window that scores 0 inside the
    text's leading `max_width - 1` zeros, so a 0 past the text cannot raise its max.

    # Parameters
    padded : `torch.Tensor`
        `(batch_size, num_positions, embedding_dim)`, as `wide_padding` gives it for the widest
        filter: each text's tokens between `max_width - 1` zero vectors on either side, zeros
        after.
    lengths : `torch.Tensor`
        `(batch_size,)` int, each text's positions: its tokens and `2 * (max_width - 1)` zeros.
    filters : `torch.Tensor`
        `(max_width * embedding_dim, num_filters)`, every filter as one column, zero past its
        own width (`fused_filters`).
    blocks : `List[Tuple[int, int, int]]`
        Each block of filters of one width as `(width, start, end)`: its columns `[start, end)`
        of `filters`, together covering them all (`filter_layout`).

    # Returns
    `(batch_size, num_filters)`; `-inf` for a filter with no window inside a text (a text shorter
    than the filter, which `wide_padding` rules out for texts of one token or more).
    """
    batch_size, num_positions, embedding_dim = padded.shape
    max_width = filters.shape[0] // embedding_dim
    # Every filter gets the widest filters' windows: a narrower filter's windows after those
    # lie in the text's trailing zeros or past it, read zeros alone, and score the 0 that its
    # first window scores anyway.
    num_windows = num_positions - max_width + 1
    windows = torch.cat([padded[:, shift : shift + num_windows] for shift in range(max_width)], 2)
    windows = windows.reshape(batch_size * num_windows, max_width * embedding_dim)
    starts = torch.arange(num_windows, device=padded.device).view(1, -1, 1)
    past_text = starts > (lengths.view(-1, 1, 1) - max_width)  # (batch_size, num_windows, 1)
    pooled: List[torch.Tensor] = []
    for width, start, end in blocks:
        columns = width * embedding_dim
        scores = windows[:, :columns].mm(filters[:columns, start:end])
        scores = scores.view(batch_size, num_windows, end - start)
        if width == max_width:
            scores.masked_fill_(past_text, float("-inf"))
        pooled.append(scores.amax(dim=1))
    return torch.cat(pooled, dim=1)


# Texts per length-sorted sub-batch of the exported transformers (`ExportedTransformerEncoder`,
# `LengthSortedClassifier`) and of the teacher's batches in `measure`, `sts-eval` and
# `serving-memory`. Measured on the CNN when it ran this way (before 2026-12-08):
# `scripts/cnn_chunk_sizes.py` of 9c17f39, SST-2 dev at batch 256, 2 threads, two runs, ms
# per 1,024 texts for 256 (one padded batch) / 128 / 64 / 32 / 16: 93 / 77 / 61 / 60 / 66 and
# 164 / 74 / 74 / 80 / 90; 32 and 64 within noise (docs/results.md).
LENGTH_CHUNK = 32


def length_sorted_chunks(
    lengths: torch.Tensor, chunk_size: int = LENGTH_CHUNK
) -> List[Tuple[torch.Tensor, int]]:
    """
    A batch's texts sorted by length and cut into sub-batches of `chunk_size`, so that each can
    be cut to its own longest text: the loop of the exported transformers
    (`ExportedTransformerEncoder`, `LengthSortedClassifier`). Scriptable; reads the lengths once
    (one device sync).

    # Parameters
    lengths : `torch.Tensor`
        `(batch_size,)` int64, each text's number of tokens.
    chunk_size : `int`, optional (default = `LENGTH_CHUNK`)
        Texts per sub-batch; the last holds the rest.

    # Returns
    Per sub-batch, shortest first: its texts' indices into the batch, `(<= chunk_size,)` int64,
    and its longest length, at least 1 (a sub-batch of empty texts keeps one padding position).
    """
    order = lengths.argsort()
    sorted_lengths: List[int] = lengths.index_select(0, order).tolist()
    chunks: List[Tuple[torch.Tensor, int]] = []
    for start in range(0, len(sorted_lengths), chunk_size):
        end = min(start + chunk_size, len(sorted_lengths))
        chunks.append((order[start:end], max(1, sorted_lengths[end - 1])))
    return chunks


def wide_packing(
    embedded: torch.Tensor, mask: torch.Tensor, pad: int
) -> Tuple[torch.Tensor, torch.Tensor]:
    """
    Kim (2014)'s zero padding without the batch's own padding: the texts one after another in
    one sequence, each after `pad` zero vectors, and `pad` more at the end, so that every text
    lies between `pad` zeros on either side (the zeros between two texts serve both). A window
    of width `pad + 1` then never holds words of two texts, and each text's windows (those of
    `wide_padding`) follow each other: `lengths + pad` of them, text after text. The CNN's
    counterpart of the BiLSTM's packed sequence, for `max_pooled_packed`.

    # Parameters
    embedded : `torch.Tensor`
        `(batch_size, num_tokens, embedding_dim)`; rows where `mask` is false are left out.
    mask : `torch.Tensor`
        `(batch_size, num_tokens)` bool, true on each text's tokens, which come first.
    pad : `int`
        Zero vectors before each text, and after the last.

    # Returns
    The packed sequence `(sum(lengths) + pad * (batch_size + 1), embedding_dim)` and each
    text's number of windows of width `pad + 1`, `(batch_size,)` int64: its tokens and `pad`.
    """
    lengths = mask.sum(dim=1)
    num_tokens = embedded.shape[1]
    leading = F.pad(embedded.masked_fill(~mask.unsqueeze(-1), 0.0), (0, 0, pad, 0))
    positions = torch.arange(num_tokens + pad, device=mask.device).unsqueeze(0)
    kept = positions < (lengths + pad).unsqueeze(1)  # (batch_size, pad + num_tokens)
    return F.pad(leading[kept], (0, 0, 0, pad)), lengths + pad


# Windows per matrix product of `max_pooled_packed`: each block's scores are reduced while they
# are still in the processor's cache. Timed by hand on 2026-12-08 (AMD EPYC, 2 threads, eager,
# median of 7 passes over 2,048 texts; random filters, 300 of each width 1-3, over 50-d vectors of
# random words, texts of 1.15x the words of STS-B dev's sentences), against the length-sorted
# sub-batches of 32 texts that came before: 256 / 512 / 1,024 / 2,048 / all windows at once
# 1.17 / 1.31 / 1.42 / 1.31 / 0.93x at batch 256, 1.46 / 1.66 / 1.66 / 1.59 / 1.57x at batch 32.
WINDOW_CHUNK = 1024


def max_pooled_packed(
    packed: torch.Tensor,
    window_counts: torch.Tensor,
    filters: torch.Tensor,
    blocks: List[Tuple[int, int, int]],
    chunk_size: int = WINDOW_CHUNK,
) -> torch.Tensor:
    """
    `max_pooled_windows` over `wide_packing`'s sequence: each block's scores of the batch's
    windows, none of them padding, by one matrix product per `chunk_size` windows, and each
    filter's largest score per text (`scatter_reduce`'s "amax" into the text's row; a text's
    windows follow each other). The same features as the whole padded batch (tests) and as the
    length-sorted sub-batches of 32 texts that this replaces (2026-12-08), with no sort, no
    loop over texts and no copy of them in and out of sub-batches. A narrower filter's windows
    past a text are left out as in `max_pooled_windows`: they read zeros alone and score the 0
    that the text's first window scores anyway. Differentiable: the gradient of each max reaches
    a window that gave it. Timed by `scripts/ab_cnn_pooling.py` (docs/results.md, "The CNN's
    texts packed").

    # Parameters
    packed : `torch.Tensor`
        `(num_positions, embedding_dim)`, `wide_packing`'s sequence for the widest filter
        (`pad` = its width - 1).
    window_counts : `torch.Tensor`
        `(batch_size,)` int64, each text's windows of the widest filter, as `wide_packing`
        gives them; they sum to `num_positions - max_width + 1`.
    filters, blocks : as `max_pooled_windows`.
    chunk_size : `int`, optional (default = `WINDOW_CHUNK`)
        Windows per matrix product.

    # Returns
    `(batch_size, num_filters)`; `-inf` for a text with no window (an empty text when every
    filter is one word wide).
    """
    embedding_dim = packed.shape[1]
    max_width = filters.shape[0] // embedding_dim
    num_windows = packed.shape[0] - max_width + 1
    windows = torch.cat([packed[shift : shift + num_windows] for shift in range(max_width)], 1)
    batch_size = window_counts.shape[0]
    owner = torch.repeat_interleave(
        torch.arange(batch_size, device=packed.device), window_counts, output_size=num_windows
    ).unsqueeze(1)  # (num_windows, 1): the text each window belongs to
    pooled: List[torch.Tensor] = []
    for width, start, end in blocks:
        columns = width * embedding_dim
        best = windows.new_full((batch_size, end - start), float("-inf"))
        for first in range(0, num_windows, chunk_size):
            scores = windows[first : first + chunk_size, :columns].mm(filters[:columns, start:end])
            texts = owner[first : first + chunk_size].expand(-1, end - start)
            best = best.scatter_reduce(0, texts, scores, "amax")
        pooled.append(best)
    return torch.cat(pooled, dim=1)


def fused_filters(
    convolutions: Sequence[torch.nn.Conv1d],
) -> Tuple[torch.Tensor, torch.Tensor]:
    """
    The filters of `convolutions` (one `Conv1d` per width, as AllenNLP's `CnnEncoder` holds them)
    as one matrix for `max_pooled_windows`: `filters` `(max_width * embedding_dim,
    num_filters)`, row `shift * embedding_dim + d` holding each filter's weight on dimension `d`
    of a window's word at `shift` (0 past the filter's own width), and `bias` `(num_filters,)`,
    in the order of `convolutions`. Differentiable: training through `max_pooled_windows`
    updates the `Conv1d`s.
    """
    sizes = [int(conv.kernel_size[0]) for conv in convolutions]
    weight = torch.cat(
        [F.pad(conv.weight, (0, max(sizes) - size)) for conv, size in zip(convolutions, sizes)]
    )  # (num_filters, embedding_dim, max_width), as one Conv1d's
    bias = torch.cat([conv.bias for conv in convolutions])  # type: ignore[misc]
    return weight.permute(2, 1, 0).reshape(-1, weight.shape[0]), bias


def filter_layout(convolutions: Sequence[torch.nn.Conv1d]) -> List[Tuple[int, int, int]]:
    """
    What `max_pooled_windows` needs to know of `fused_filters(convolutions)` besides the
    weights: one `(width, start, end)` block per `Conv1d`, its filters' width and their columns
    `[start, end)`, in the order of `convolutions` (e.g. widths 1, 2, 3 with 300 filters each:
    `[(1, 0, 300), (2, 300, 600), (3, 600, 900)]`). Plain ints, so that `torch.export` traces no
    data-dependent shape.
    """
    blocks: List[Tuple[int, int, int]] = []
    start = 0
    for conv in convolutions:
        blocks.append((int(conv.kernel_size[0]), start, start + conv.out_channels))
        start += conv.out_channels
    return blocks


@Seq2VecEncoder.register("wide_cnn")
class WideCnnEncoder(CnnEncoder):
    """
    The sentence CNN of Kim (2014, §2): one convolution per filter width over the word vectors,
    ReLU, and max-over-time pooling, with every text zero-padded by `max(ngram_filter_sizes) - 1`
    vectors on each side as in Kim's code (`wide_padding`). AllenNLP's `cnn` encoder without the
    padding gives a text shorter than a filter no window of it, so that filter's feature is 0 for
    every short text (one- and two-word SST-2 phrases all look alike to widths 3-5).

    Registered as a `Seq2VecEncoder` with name "wide_cnn".

    # Parameters
    embedding_dim : `int`
        Width of the word vectors.
    num_filters : `int`, optional (default = `100`)
        Filters per width (Kim: 100).
    ngram_filter_sizes : `Sequence[int]`, optional (default = `(3, 4, 5)`)
        Filter widths in tokens (Kim: 3, 4, 5).
    **kwargs
        Passed to AllenNLP's `CnnEncoder` (`conv_layer_activation`, `output_dim`).

    `forward(tokens, mask)`: `tokens` `(batch_size, num_tokens, embedding_dim)`, `mask`
    `(batch_size, num_tokens)`; returns `(batch_size, num_filters * len(ngram_filter_sizes))`
    (or `output_dim`). With a ReLU (the default) the windows are scored by one matrix product
    per filter width and the activation follows the pooling (`max_pooled_windows`: the same
    features, with one pass over the scores instead of four per width), over the texts packed
    without the batch's padding (`wide_packing`, `max_pooled_packed`); another activation runs
    AllenNLP's `CnnEncoder` on the padded text.

    # Raises
    `ConfigurationError` for an empty `ngram_filter_sizes` or a width or filter count below 1.
    """

    def __init__(
        self,
        embedding_dim: int,
        num_filters: int = 100,
        ngram_filter_sizes: Sequence[int] = (3, 4, 5),
        **kwargs,
    ) -> None:
        if not ngram_filter_sizes or min(ngram_filter_sizes) < 1 or num_filters < 1:
            raise ConfigurationError(
                f"ngram_filter_sizes ({list(ngram_filter_sizes)}) must be one or more widths of "
                f"at least 1 token and num_filters ({num_filters}) at least 1"
            )
        super().__init__(embedding_dim, num_filters, tuple(ngram_filter_sizes), **kwargs)
        self._pad = max(ngram_filter_sizes) - 1
        self._blocks = filter_layout(self._convolution_layers)

    def forward(self, tokens: torch.Tensor, mask: torch.BoolTensor) -> torch.Tensor:
        if mask is None:
            mask = torch.ones(tokens.shape[:2], dtype=torch.bool, device=tokens.device)
        if not isinstance(self._activation, torch.nn.ReLU):
            padded, padded_mask = wide_padding(tokens, mask, self._pad)
            return super().forward(padded, padded_mask)  # type: ignore[arg-type]
        filters, bias = fused_filters(self._convolution_layers)
        pooled = max_pooled_packed(*wide_packing(tokens, mask, self._pad), filters, self._blocks)
        pooled = torch.relu(pooled + bias)
        return pooled if self.projection_layer is None else self.projection_layer(pooled)
