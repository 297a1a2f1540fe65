"""
The `DdpAccelerator` that `training_config/devices.libsonnet` gives AllenNLP's distributed
training (`"distributed": {"cuda_devices": [...], "ddp_accelerator": {"type": "distill"}}`).
"""

from typing import Optional, Union

import torch
from allennlp.nn.parallel import DdpAccelerator, TorchDdpAccelerator


@DdpAccelerator.register("distill")
class DistillDdpAccelerator(TorchDdpAccelerator):
    """
    AllenNLP's `torch` accelerator (PyTorch's `DistributedDataParallel`) that does not broadcast
    the model's buffers from rank 0 before every forward pass.

    PyTorch's default (`broadcast_buffers=True`) exists for buffers that training changes, such as
    batch-norm statistics. None of ours do: a student's buffers are the frozen rows of its open
    vocabulary (`packaged_word_vectors`: about 385k × 50 float32, 77 MB), a teacher's are
    constant position ids. Broadcasting 77 MB per batch would make a student step several times
    slower; the one broadcast of parameters and buffers when the model is wrapped already makes
    every rank start from rank 0's model. Gradients are averaged over the ranks, as always.

    Registered as a `DdpAccelerator` with name "distill".

    # Parameters
    find_unused_parameters : `bool`, optional (default = `False`)
        PyTorch's flag; needed where some parameters get no gradient in a step (a transformer
        teacher's unused pooler, a tagger's CRF when its hard loss has weight 0).
    local_rank, world_size, cuda_device :
        Filled in by `allennlp train` for each worker.
    """

    def __init__(
        self,
        find_unused_parameters: bool = False,
        local_rank: Optional[int] = None,
        world_size: Optional[int] = None,
        cuda_device: Union[torch.device, int] = -1,
    ) -> None:
        super().__init__(
            find_unused_parameters=find_unused_parameters,
            local_rank=local_rank,
            world_size=world_size,
            cuda_device=cuda_device,
        )
        self._ddp_kwargs["broadcast_buffers"] = False
