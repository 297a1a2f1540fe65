import warnings
from typing import Optional, cast

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.modules.seq2seq_encoders import PytorchTransformer
from allennlp.modules.seq2vec_encoders import Seq2VecEncoder
from allennlp.nn.util import masked_max, masked_mean

POOLINGS = ("max", "mean")


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

    A text of no tokens gets a vector of zeros, as `pooled_bilstm` does.

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
    **kwargs
        Passed to `Seq2VecEncoder` (`stateful`).

    `forward(tokens, mask)`: `tokens` `(batch_size, num_tokens, input_dim)`, `mask`
    `(batch_size, num_tokens)` bool (`None`: no padding); returns `(batch_size, hidden_dim)`.

    # Raises
    `ConfigurationError` for a `pooling` other than `"mean"` or `"max"`, a size below 1, a
    `hidden_dim` below 4, or `num_attention_heads` that does not divide `hidden_dim`.
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

    @property
    def pooling(self) -> str:
        """`"mean"` or `"max"`."""
        return self._pooling

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
