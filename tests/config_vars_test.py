import pytest
from allennlp.common.checks import ConfigurationError

from allennlp_distill.config_vars import (
    check_device_vars,
    check_weight_average,
    default_config_vars,
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
