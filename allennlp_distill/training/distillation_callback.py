import logging
from typing import TYPE_CHECKING, Any, Dict, List, Optional

import torch
import torch.distributed as dist
from allennlp.common.checks import ConfigurationError
from allennlp.common.util import is_distributed
from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_distill.dataset_readers.rows import TEACHER_LOGITS_KEY
from allennlp_distill.training.losses import (
    MseSoftLoss,
    SoftLoss,
    distillation_loss,
    regression_distillation_loss,
)

if TYPE_CHECKING:
    from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

logger = logging.getLogger(__name__)


@TrainerCallback.register("distillation")
class DistillationCallback(TrainerCallback):
    """
    Trains any AllenNLP classifier whose output has `logits` `(batch_size, num_labels)` as a student
    of the teacher logits in the batch (Tang et al. 2019, §3.2): while training, the model's `loss`
    becomes `alpha * hard + (1 - alpha) * soft` (see `distillation_loss`), so the loss in the
    progress bar and in the logs is the loss being optimized. Validation keeps the model's own loss.
    A regression student (output `score` `(batch_size,)`) learns the teacher's score with MSE
    soft and hard losses (see `regression_distillation_loss`); its soft loss must be `mse`. A
    tagger (output `logits` `(batch_size, num_tokens, num_tags)` and `mask` `(batch_size,
    num_tokens)`, e.g. `distilled_tagger`) learns the teacher's logits of every real token, each
    token one example of the same losses, with the batch's `tags` as hard targets; where the
    model gives a `crf_loss` (a tagger with a CRF) that is the hard loss.

    On `on_start` it attaches to the model: a forward pre-hook takes the `teacher_logits` field
    out of the batch (the model never sees it), and a forward hook replaces `loss`. `hard_loss`,
    `soft_loss`, `alpha` and `temperature` join the model's training metrics, and so the progress
    bar, `metrics.json` and TensorBoard (with the `tensorboard` callback). `on_end` detaches.

    `alpha` and `temperature` may change linearly over training, from their value at the first
    batch to `alpha_end` / `temperature_end` at the last.

    Registered as a `TrainerCallback` with name "distillation".

    # Parameters
    serialization_dir : `str`
    soft_loss : `SoftLoss`, optional (default = `mse`)
    alpha : `float`, optional (default = `0.0`)
        Weight of the hard loss; 0 learns from the teacher's logits alone.
    alpha_end : `float`, optional (default = `alpha`)
    temperature : `float`, optional (default = `1.0`)
        Used by the `kl` soft loss.
    temperature_end : `float`, optional (default = `temperature`)

    # Raises
    `ConfigurationError` for `alpha` outside [0, 1] or a non-positive temperature, and, in
    training, for a batch without teacher logits, a model output with neither `logits` nor
    `score`, or a regression student with a soft loss other than `mse`.
    """

    def __init__(
        self,
        serialization_dir: str,
        soft_loss: Optional[SoftLoss] = None,
        alpha: float = 0.0,
        alpha_end: Optional[float] = None,
        temperature: float = 1.0,
        temperature_end: Optional[float] = None,
    ) -> None:
        super().__init__(serialization_dir)
        self._soft_loss = soft_loss or MseSoftLoss()
        self._alpha = (alpha, alpha if alpha_end is None else alpha_end)
        self._temperature = (
            temperature,
            temperature if temperature_end is None else temperature_end,
        )
        if not all(0.0 <= value <= 1.0 for value in self._alpha):
            raise ConfigurationError(
                f"distillation callback: alpha must lie in [0, 1]: {self._alpha}"
            )
        if not all(value > 0.0 for value in self._temperature):
            raise ConfigurationError(
                f"distillation callback: temperature must be positive: {self._temperature}"
            )
        self._trainer: Optional[GradientDescentTrainer] = None
        self._hooks: List[Any] = []
        self._teacher_logits: Optional[torch.Tensor] = None
        self._sums = {"hard_loss": 0.0, "soft_loss": 0.0}
        self._count = 0
        # Where the distributed reduction of the metrics happens (NCCL needs the GPU).
        self._device = torch.device("cpu")

    def progress(self) -> float:
        """The fraction of training batches done, in [0, 1]."""
        trainer = self._trainer
        if trainer is None:
            return 0.0
        try:
            batches_per_epoch = len(trainer.data_loader)
        except TypeError:
            return 0.0
        total = trainer._num_epochs * batches_per_epoch
        return min(1.0, trainer._total_batches_completed / max(1, total - 1))

    def alpha(self) -> float:
        """The hard-loss weight for the next batch."""
        start, end = self._alpha
        return start + (end - start) * self.progress()

    def temperature(self) -> float:
        """The temperature for the next batch."""
        start, end = self._temperature
        return start + (end - start) * self.progress()

    def on_start(
        self, trainer: "GradientDescentTrainer", is_primary: bool = True, **kwargs
    ) -> None:
        self._trainer = trainer
        model = trainer.model
        self._device = next(model.parameters()).device
        self._hooks = [
            model.register_forward_pre_hook(self._take_teacher_logits, with_kwargs=True),
            model.register_forward_hook(self._replace_loss, with_kwargs=True),
        ]
        model_get_metrics = model.get_metrics

        def get_metrics(reset: bool = False) -> Dict[str, float]:
            metrics = model_get_metrics(reset)
            metrics.update(self._metrics(reset))
            return metrics

        model.get_metrics = get_metrics  # type: ignore[method-assign]
        self._hooks.append(_RestoreAttribute(model, "get_metrics"))

    def on_end(
        self,
        trainer: "GradientDescentTrainer",
        metrics: Optional[Dict[str, Any]] = None,
        epoch: Optional[int] = None,
        is_primary: bool = True,
        **kwargs,
    ) -> None:
        for hook in self._hooks:
            hook.remove()
        self._hooks = []
        self._trainer = None

    def _take_teacher_logits(self, module, args, kwargs):
        self._teacher_logits = kwargs.pop(TEACHER_LOGITS_KEY, None)
        return args, kwargs

    def _replace_loss(self, module, args, kwargs, output: Dict[str, torch.Tensor]):
        teacher_logits, self._teacher_logits = self._teacher_logits, None
        if not module.training:
            return output
        if teacher_logits is None:
            raise ConfigurationError(
                "distillation callback: a training batch has no 'teacher_logits' field; train "
                "on a transfer set (JSONL written by the transfer_set predictor)"
            )
        # This batch's point of the schedule, the same for every kind of student below.
        alpha, temperature = self.alpha(), self.temperature()
        if "logits" in output and output["logits"].dim() == 3:
            # A tagger: every real token is one example (output["mask"] `(batch, num_tokens)`).
            mask = output["mask"].bool()
            if teacher_logits.shape[:2] != mask.shape:
                raise ConfigurationError(
                    f"distillation callback: teacher logits {tuple(teacher_logits.shape)} are "
                    f"not one row per token of the student's {tuple(mask.shape)} batch"
                )
            tags = kwargs.get("tags")
            parts = distillation_loss(
                output["logits"][mask],
                teacher_logits[mask],
                self._soft_loss,
                alpha=alpha,
                temperature=temperature,
                labels=None if tags is None else tags[mask],
                # A CRF tagger's hard loss is its own (on the batch's tags).
                hard_loss=output.get("crf_loss"),
            )
        elif "logits" in output:
            parts = distillation_loss(
                output["logits"],
                teacher_logits,
                self._soft_loss,
                alpha=alpha,
                temperature=temperature,
                labels=kwargs.get("label"),
            )
        elif "score" in output:
            if not isinstance(self._soft_loss, MseSoftLoss):
                raise ConfigurationError(
                    "distillation callback: a regression student (output 'score') learns the "
                    'teacher\'s score by MSE; set soft_loss to {"type": "mse"}'
                )
            parts = regression_distillation_loss(
                output["score"], teacher_logits, alpha=alpha, labels=kwargs.get("label")
            )
        else:
            raise ConfigurationError(
                "distillation callback: the student's output has neither 'logits' nor 'score' "
                "to distil into"
            )
        self._sums["hard_loss"] += parts.hard_loss.item()
        self._sums["soft_loss"] += parts.soft_loss.item()
        self._count += 1
        output["loss"] = parts.loss
        output["hard_loss"] = parts.hard_loss.detach()
        output["soft_loss"] = parts.soft_loss.detach()
        return output

    def _metrics(self, reset: bool) -> Dict[str, float]:
        """
        The mean hard and soft loss of the training batches since the last reset, with the current
        `alpha` and `temperature`. At a reset (the end of an epoch's training or validation, which
        AllenNLP's trainer reaches on every process of a distributed run alike) the means are over
        every process; in between (the progress bar) over this process's batches, since a
        process may call `get_metrics` once more than another (a last, partial group of
        accumulated batches) and a collective call there would not be matched.
        """
        totals = [self._sums["hard_loss"], self._sums["soft_loss"], float(self._count)]
        if reset and is_distributed():
            reduced = torch.tensor(totals, dtype=torch.float64, device=self._device)
            dist.all_reduce(reduced)
            totals = reduced.tolist()
        hard_loss, soft_loss, count = totals
        if count == 0:
            return {}
        metrics = {"hard_loss": hard_loss / count, "soft_loss": soft_loss / count}
        metrics["alpha"] = self.alpha()
        metrics["temperature"] = self.temperature()
        if reset:
            self._sums = dict.fromkeys(self._sums, 0.0)
            self._count = 0
        return metrics


class _RestoreAttribute:
    """Undoes an instance attribute that shadows a method, like a hook handle's `remove()`."""

    def __init__(self, owner: Any, name: str) -> None:
        self._owner = owner
        self._name = name

    def remove(self) -> None:
        self._owner.__dict__.pop(self._name, None)
