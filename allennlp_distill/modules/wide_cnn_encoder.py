from typing import Sequence, Tuple

import torch
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
        `(batch_size, num_tokens, embedding_dim)`; rows where `mask` is false are ignored.
    mask : `torch.Tensor`
        `(batch_size, num_tokens)` bool, true on each text's tokens, which come first.
    pad : `int`
        Zero vectors added on each side of every text.

    # Returns
    The padded embeddings `(batch_size, num_tokens + 2 * pad, embedding_dim)` (each text's tokens
    at `pad ... pad + length - 1`, zeros around them) and their mask, true on the text and its
    `2 * pad` zeros.
    """
    batch_size, num_tokens, dim = embedded.shape
    padded = embedded.new_zeros(batch_size, num_tokens + 2 * pad, dim)
    padded[:, pad : pad + num_tokens] = embedded * mask.unsqueeze(-1)
    lengths = mask.sum(dim=1, keepdim=True) + 2 * pad
    positions = torch.arange(num_tokens + 2 * pad, device=mask.device).unsqueeze(0)
    return padded, positions < lengths


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
    (or `output_dim`).

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

    def forward(self, tokens: torch.Tensor, mask: torch.BoolTensor) -> torch.Tensor:
        if mask is None:
            mask = torch.ones(tokens.shape[:2], dtype=torch.bool, device=tokens.device)
        padded, padded_mask = wide_padding(tokens, mask, self._pad)
        return super().forward(padded, padded_mask)  # type: ignore[arg-type]
