from typing import Optional, cast

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.modules.seq2seq_encoders import LstmSeq2SeqEncoder
from allennlp.modules.seq2vec_encoders import Seq2VecEncoder
from allennlp.nn.util import masked_max, masked_mean

POOLINGS = ("max", "mean")


@Seq2VecEncoder.register("pooled_bilstm")
class PooledBiLstm(Seq2VecEncoder):
    """
    The sentence encoder of Wu et al. (2020, "Towards Non-task-specific Distillation of BERT via
    Sentence Representation Approximation", §3.1, BiLSTM-SRA): one bidirectional LSTM layer over
    the word vectors, whose states at every token (forward and backward, concatenated) are pooled
    over the sentence, by their element-wise maximum (default) or mean. Padding is skipped by
    packing and left out of the pooling, so a sentence gets the same vector in any batch. Unlike
    Tang et al.'s final states (`bilstm_student`'s default encoder), every token's state reaches
    the sentence vector, which is what a general-purpose sentence representation is trained on.

    It reads and gives the widths any `Seq2VecEncoder` does, so it is also the `encoder` of a task
    student (`bilstm_student`), e.g. one that starts from a distilled sentence encoder.

    Registered as a `Seq2VecEncoder` with name "pooled_bilstm".

    # Parameters
    input_dim : `int`
        Width of the word vectors.
    hidden_size : `int`
        LSTM units per direction; the sentence vector has `2 * hidden_size` dimensions.
    pooling : `str`, optional (default = `"max"`)
        `"max"` or `"mean"` over each sentence's tokens.
    output_dim : `int`, optional (default = `None`)
        When given, a linear layer (`projection_layer`, as in AllenNLP's `cnn` encoder) maps the
        pooled states to this width: the distilled encoder's projection to its teacher's width,
        which a task student keeps (`sentence_encoder.libsonnet`).
    **kwargs
        Passed to `Seq2VecEncoder` (`stateful`).

    `forward(tokens, mask)`: `tokens` `(batch_size, num_tokens, input_dim)`, `mask`
    `(batch_size, num_tokens)` bool (true on each sentence's tokens, which come first; `None`:
    no padding); returns `(batch_size, 2 * hidden_size)` (or `output_dim`), zeros for a sentence
    of no tokens (the projection's bias with `output_dim`).

    # Raises
    `ConfigurationError` for a `pooling` other than `"max"` or `"mean"`, or an `output_dim`
    below 1.
    """

    def __init__(
        self,
        input_dim: int,
        hidden_size: int,
        pooling: str = "max",
        output_dim: Optional[int] = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if pooling not in POOLINGS:
            raise ConfigurationError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
        if output_dim is not None and output_dim < 1:
            raise ConfigurationError(f"output_dim must be at least 1 (or unset), not {output_dim}")
        self._lstm = LstmSeq2SeqEncoder(
            input_size=input_dim, hidden_size=hidden_size, num_layers=1, bidirectional=True
        )
        self._pooling = pooling
        self.projection_layer: Optional[torch.nn.Linear] = None
        if output_dim is not None:
            self.projection_layer = torch.nn.Linear(self._lstm.get_output_dim(), output_dim)

    @property
    def pooling(self) -> str:
        """`"max"` or `"mean"`."""
        return self._pooling

    def get_input_dim(self) -> int:
        return self._lstm.get_input_dim()

    def get_output_dim(self) -> int:
        if self.projection_layer is not None:
            return self.projection_layer.out_features
        return self._lstm.get_output_dim()

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
        `(batch_size, 2 * hidden_size)`, or `(batch_size, output_dim)`.
        """
        present = cast(
            torch.BoolTensor,
            mask if mask is not None else tokens.new_ones(tokens.shape[:2], dtype=torch.bool),
        )
        states = self._lstm(tokens, present)  # (batch_size, num_tokens, 2 * hidden_size)
        token_mask = cast(torch.BoolTensor, present.unsqueeze(-1))
        if self._pooling == "mean":
            pooled = masked_mean(states, token_mask, dim=1)
        else:
            # A sentence of no tokens would otherwise be the dtype's smallest value everywhere.
            empty = ~present.any(dim=1, keepdim=True)
            pooled = masked_max(states, token_mask, dim=1).masked_fill(empty, 0.0)
        return pooled if self.projection_layer is None else self.projection_layer(pooled)
