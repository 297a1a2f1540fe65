import os
import subprocess
import sys
import tarfile

import pytest
import torch
from allennlp.common.checks import ConfigurationError

from allennlp_distill.config_vars import (
    check_device_vars,
    check_weight_average,
    default_config_vars,
    projection_width,
)


def environ(**changes: str) -> dict:
    return {**default_config_vars(), **changes}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"DISTILL_CUDA_DEVICE": "3", "DISTILL_AMP": "1"},
        {"DISTILL_AMP": "bf16"},
        {"DISTILL_DISTRIBUTED": "-1,-1"},
        {
            "DISTILL_DISTRIBUTED": "0,1,2,3",
            "DISTILL_NUM_NODES": "4",
            "DISTILL_PRIMARY_ADDRESS": "10.0.0.1",
            "DISTILL_PRIMARY_PORT": "29500",
        },
        {  # one GPU on each of two machines
            "DISTILL_DISTRIBUTED": "0",
            "DISTILL_NUM_NODES": "2",
            "DISTILL_PRIMARY_ADDRESS": "node0.cluster",
            "DISTILL_PRIMARY_PORT": "29500",
        },
    ],
)
def test_good_device_variables_pass(changes):
    check_device_vars(environ(**changes))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"DISTILL_CUDA_DEVICE": "cuda:0"}, "DISTILL_CUDA_DEVICE='cuda:0': a device is -1"),
        ({"DISTILL_CUDA_DEVICE": "-2"}, "DISTILL_CUDA_DEVICE='-2'"),
        ({"DISTILL_DISTRIBUTED": "0, 1"}, "DISTILL_DISTRIBUTED='0, 1': a device is -1"),
        ({"DISTILL_DISTRIBUTED": "1"}, "names one device"),
        ({"DISTILL_DISTRIBUTED": "-1,0"}, "mixes the CPU (-1) with GPUs"),
        ({"DISTILL_NUM_NODES": "0"}, "DISTILL_NUM_NODES='0'"),
        ({"DISTILL_NUM_NODES": "2"}, "DISTILL_NUM_NODES=2 needs DISTILL_DISTRIBUTED"),
        ({"DISTILL_PRIMARY_PORT": "70000"}, "DISTILL_PRIMARY_PORT='70000'"),
        ({"DISTILL_AMP": "true"}, "DISTILL_AMP='true'"),
        (
            {"DISTILL_DISTRIBUTED": "0,1", "DISTILL_NUM_NODES": "2", "DISTILL_PRIMARY_PORT": "1"},
            "DISTILL_NUM_NODES=2 needs the address every machine reaches node rank 0 at",
        ),
        (
            {
                "DISTILL_DISTRIBUTED": "0,1",
                "DISTILL_NUM_NODES": "2",
                "DISTILL_PRIMARY_ADDRESS": "h",
            },
            "and a port (DISTILL_PRIMARY_PORT, now '')",
        ),
    ],
)
def test_a_wrong_device_variable_is_named(changes, message):
    with pytest.raises(ConfigurationError) as error:
        check_device_vars(environ(**changes))
    assert message in str(error.value)


@pytest.mark.parametrize("value", ["", "0.999", "0.5"])
def test_a_weight_average_decay_passes(value):
    check_weight_average(environ(DISTILL_WEIGHT_AVERAGE=value))


@pytest.mark.parametrize("value", ["1", "0", "1.5", "-0.9", "NaN", "inf", "true", ".5"])
def test_a_weight_average_that_is_no_decay_is_named(value):
    with pytest.raises(ConfigurationError, match=f"DISTILL_WEIGHT_AVERAGE={value!r}: the decay"):
        check_weight_average(environ(DISTILL_WEIGHT_AVERAGE=value))


def test_the_projection_width_is_read_from_a_sentence_encoders_weights(tmp_path):
    # A sentence_representation_student's best.th: `_projection` maps the encoder's 6-d
    # features to the teacher's 4 dimensions.
    weights = {
        "_encoder.conv_layer_0.weight": torch.zeros(3, 2, 1),
        "_projection.weight": torch.zeros(4, 6),
        "_projection.bias": torch.zeros(4),
    }
    torch.save(weights, tmp_path / "best.th")
    assert projection_width(str(tmp_path / "best.th")) == 4
    # Its model.tar.gz (weights.th inside, as AllenNLP archives it).
    torch.save(weights, tmp_path / "weights.th")
    with tarfile.open(tmp_path / "model.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "weights.th", arcname="weights.th")
    assert projection_width(str(tmp_path / "model.tar.gz")) == 4
    # No projection to keep: unset, a missing file (the initializer names it), a task student.
    torch.save({"_encoder.conv_layer_0.weight": torch.zeros(3, 2, 1)}, tmp_path / "task.th")
    assert projection_width("") == projection_width(str(tmp_path / "missing.th")) == 0
    assert projection_width(str(tmp_path / "task.th")) == 0
    (tmp_path / "text.th").write_text("not weights")
    with pytest.raises(ConfigurationError, match="DISTILL_PRETRAINED_ENCODER=.*text.th: not a"):
        projection_width(str(tmp_path / "text.th"))


def test_the_plugin_sets_the_projection_from_the_pretrained_encoder_unless_told(tmp_path):
    torch.save({"_projection.weight": torch.zeros(7, 6)}, tmp_path / "best.th")
    env = {**os.environ, "DISTILL_PRETRAINED_ENCODER": str(tmp_path / "best.th")}

    def imported(**changes: str) -> str:
        code = (
            "import os, allennlp_distill; print(os.environ['DISTILL_SENTENCE_ENCODER_PROJECTION'])"
        )
        result = subprocess.run([sys.executable, "-c", code], env={**env, **changes},
                                capture_output=True, text=True, check=True)  # fmt: skip
        return result.stdout.strip()

    # Empty without an encoder (none): a child that inherits it and names one reads its width.
    assert imported(DISTILL_SENTENCE_ENCODER_PROJECTION="", DISTILL_PRETRAINED_ENCODER="") == ""
    assert imported(DISTILL_SENTENCE_ENCODER_PROJECTION="") == "7"
    assert imported(DISTILL_SENTENCE_ENCODER_PROJECTION="0") == "0"
