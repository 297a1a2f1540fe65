from typing import TYPE_CHECKING, Any, Dict, List, Optional

import torch
from allennlp.training.callbacks.callback import TrainerCallback

if TYPE_CHECKING:
    from allennlp.training.gradient_descent_trainer import GradientDescentTrainer


@TrainerCallback.register("bf16_autocast")
class Bf16AutocastCallback(TrainerCallback):
    """
    Trains any model in mixed precision with bfloat16 on its own device, the CPU included: each
    training forward pass runs under `torch.autocast(device, dtype=torch.bfloat16)`, so its matrix
    products, and their gradients in the backward pass, are computed in bfloat16 while the
    parameters, the optimizer and autocast's fp32 operations (softmax, norms, losses) stay in
    float32 (Micikevicius et al. 2018, "Mixed Precision Training", with bfloat16's float32 range
    instead of a loss scale). AllenNLP's own `use_amp` is float16 with a gradient scaler, on a GPU
    only; on a CPU with bfloat16 instructions (`avx512_bf16`, `amx_bf16`) this is what makes
    fine-tuning a BERT-base-size teacher cheaper. Validation forward passes (`model.eval()`) stay
    in float32, so dev figures and early stopping are those of the float32 model.

    On `on_start` it attaches a forward pre-hook that enters autocast when the model is training
    and a forward hook, called even when the forward pass raises, that leaves it and returns the
    output's bfloat16 tensors as float32 (the loss, the logits the trainer and the other callbacks
    read). `on_end` detaches both.

    Registered as a `TrainerCallback` with name "bf16_autocast"; `DISTILL_AMP=bf16` adds it to
    every config (`training_config/devices.libsonnet`).

    # Parameters
    serialization_dir : `str`
    """

    def __init__(self, serialization_dir: str) -> None:
        super().__init__(serialization_dir)
        self._hooks: List[Any] = []
        self._autocast: Optional[torch.autocast] = None

    def on_start(
        self, trainer: "GradientDescentTrainer", is_primary: bool = True, **kwargs
    ) -> None:
        model = trainer.model
        device_type = next(model.parameters()).device.type
        self._hooks = [
            model.register_forward_pre_hook(self._enter_factory(device_type)),
            model.register_forward_hook(self._leave, always_call=True),
        ]

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

    def _enter_factory(self, device_type: str):
        def enter(module: torch.nn.Module, args: Any) -> None:
            if module.training:
                self._autocast = torch.autocast(device_type, dtype=torch.bfloat16)
                self._autocast.__enter__()

        return enter

    def _leave(self, module: torch.nn.Module, args: Any, output: Any) -> Any:
        autocast, self._autocast = self._autocast, None
        if autocast is None:
            return output
        autocast.__exit__(None, None, None)
        if isinstance(output, dict):
            return {key: _as_float32(value) for key, value in output.items()}
        return output


def _as_float32(value: Any) -> Any:
    """A bfloat16 tensor as float32 (differentiably); anything else unchanged."""
    if isinstance(value, torch.Tensor) and value.dtype == torch.bfloat16:
        return value.float()
    return value
