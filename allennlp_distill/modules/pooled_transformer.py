import warnings
from typing import Optional, cast

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.modules.seq2seq_encoders import PytorchTransformer
from allennlp.modules.seq2vec_encoders import Seq2VecEncoder
from allennlp.nn.util import masked_max, masked_mean

POOLINGS = ("max", "mean")
# The tokens of a text a small-transformer student reads by default: BERT's 512 positions, far
# beyond any sentence of the tasks (SST-2's longest: 52 words).
MAX_TOKENS = 512


@Seq2VecEncoder.register("pooled_transformer")
class PooledTransformer(Seq2VecEncoder):
    """
    The small-transformer student's sentence encoder ("Which Student is Best?", arXiv 2201.00558,
    §3): the word vectors are projected to `hidden_dim`, given sinusoidal position features
    (Vaswani et al. 2017, §3.5; no length limit, unlike learned positions), contextualized by
    `num_layers` self-attention blocks (AllenNLP's `pytorch_transformer`, post-norm as in
    Vaswani et al.), and pooled over each text's tokens by their mean (default) or element-wise
    maximum. Padding is masked out of attention and pooling, so a text gets the same vector in
    any batch.

    A text of no tokens gets a vector of zeros, as `pooled_bilstm` does. A text longer than
    `max_tokens` is read up to its first `max_tokens` tokens (a transformer teacher's word
    pieces are cut alike): self-attention's memory grows with the square of the length, about
    1.6 GB a layer for one text of 10,000 tokens at 4 heads, where 512 tokens need 4 MB.

    Registered as a `Seq2VecEncoder` with name "pooled_transformer".

    # Parameters
    input_dim : `int`
        Width of the word vectors.
    hidden_dim : `int`, optional (default = `200`)
        Width of the self-attention blocks and of the sentence vector.
    num_layers : `int`, optional (default = `2`)
    num_attention_heads : `int`, optional (default = `4`)
        Must divide `hidden_dim`.
    feedforward_hidden_dim : `int`, optional (default = `400`)
    dropout : `float`, optional (default = `0.1`)
        Dropout inside each block (attention weights, feed-forward, both residual branches).
    pooling : `str`, optional (default = `"mean"`)
        `"mean"` or `"max"` over each text's tokens.
    max_tokens : `int`, optional (default = `512`)
        The tokens of a text that are read (its first ones); `None`: every token.
    **kwargs
        Passed to `Seq2VecEncoder` (`stateful`).

    `forward(tokens, mask)`: `tokens` `(batch_size, num_tokens, input_dim)`, `mask`
    `(batch_size, num_tokens)` bool (`None`: no padding); returns `(batch_size, hidden_dim)`.

    # Raises
    `ConfigurationError` for a `pooling` other than `"mean"` or `"max"`, a size (or
    `max_tokens`) below 1, a `hidden_dim` below 4, or `num_attention_heads` that does not divide
    `hidden_dim`.
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int = 200,
        num_layers: int = 2,
        num_attention_heads: int = 4,
        feedforward_hidden_dim: int = 400,
        dropout: float = 0.1,
        pooling: str = "mean",
        max_tokens: Optional[int] = MAX_TOKENS,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if pooling not in POOLINGS:
            raise ConfigurationError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
        sizes = {
            "input_dim": input_dim,
            "hidden_dim": hidden_dim,
            "num_layers": num_layers,
            "num_attention_heads": num_attention_heads,
            "feedforward_hidden_dim": feedforward_hidden_dim,
            "max_tokens": 1 if max_tokens is None else max_tokens,
        }
        for name, size in sizes.items():
            if size < 1:
                raise ConfigurationError(f"{name} must be at least 1, not {size}")
        if hidden_dim < 4:
            raise ConfigurationError(
                f"hidden_dim must be at least 4 (sinusoidal positions need two frequencies), "
                f"not {hidden_dim}"
            )
        if hidden_dim % num_attention_heads:
            raise ConfigurationError(
                f"num_attention_heads ({num_attention_heads}) must divide hidden_dim ({hidden_dim})"
            )
        self._input_dim = input_dim
        self._projection = torch.nn.Linear(input_dim, hidden_dim)
        # AllenNLP's wrapper is sequence-first, which torch warns keeps its nested-tensor path
        # off; distill-export builds the batch-first form for serving.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="enable_nested_tensor is True")
            self._transformer = PytorchTransformer(
                input_dim=hidden_dim,
                num_layers=num_layers,
                feedforward_hidden_dim=feedforward_hidden_dim,
                num_attention_heads=num_attention_heads,
                positional_encoding="sinusoidal",
                dropout_prob=dropout,
            )
        self._pooling = pooling
        self._max_tokens = max_tokens

    @property
    def pooling(self) -> str:
        """`"mean"` or `"max"`."""
        return self._pooling

    @property
    def max_tokens(self) -> Optional[int]:
        """The tokens of a text that are read, its first ones (`None`: all)."""
        return self._max_tokens

    def get_input_dim(self) -> int:
        return self._input_dim

    def get_output_dim(self) -> int:
        return self._transformer.get_output_dim()

    def forward(
        self, tokens: torch.Tensor, mask: Optional[torch.BoolTensor] = None
    ) -> torch.Tensor:
        """
        # Parameters
        tokens : `torch.Tensor`
            `(batch_size, num_tokens, input_dim)`.
        mask : `torch.BoolTensor`, optional
            `(batch_size, num_tokens)`.

        # Returns
        `(batch_size, hidden_dim)`.
        """
        if self._max_tokens is not None:
            tokens = tokens[:, : self._max_tokens]
            mask = None if mask is None else cast(torch.BoolTensor, mask[:, : self._max_tokens])
        present = cast(
            torch.BoolTensor,
            torch.ones(tokens.shape[:2], dtype=torch.bool, device=tokens.device)
            if mask is None
            else mask.bool(),
        )
        empty = ~present.any(dim=1)
        states = self._transformer(self._projection(tokens), present)
        token_mask = cast(torch.BoolTensor, present.unsqueeze(-1))
        if self._pooling == "mean":
            pooled = masked_mean(states, token_mask, dim=1)
        else:
            pooled = masked_max(states, token_mask, dim=1)
        return pooled.masked_fill(empty.unsqueeze(-1), 0.0)
