import json
import os

import pytest
from allennlp.common.checks import ConfigurationError

from allennlp_distill.config_vars import (
    check_device_vars,
    default_config_vars,
    pretrained_encoder_architecture,
    set_default_config_vars,
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


def run_config(folder, encoder: object) -> str:
    """A run folder's config.json recording `encoder` as model.encoder; its best.th's path."""
    folder.mkdir()
    model = {"type": "sentence_representation_student", "encoder": encoder}
    (folder / "config.json").write_text(json.dumps({"model": model}))
    return str(folder / "best.th")


def test_the_pretrained_encoders_architecture_is_read_from_its_run(tmp_path):
    cnn = run_config(tmp_path / "cnn", {"type": "wide_cnn", "embedding_dim": 50})
    bilstm = run_config(tmp_path / "bilstm", {"type": "pooled_bilstm", "input_dim": 50})
    assert pretrained_encoder_architecture(cnn) == "cnn"
    assert pretrained_encoder_architecture(bilstm) == "bilstm"
    # A weights file outside a run folder: nothing recorded, the default applies.
    assert pretrained_encoder_architecture(str(tmp_path / "best.th")) is None


def test_the_default_follows_the_pretrained_encoder(tmp_path, monkeypatch):
    cnn = run_config(tmp_path / "cnn", {"type": "wide_cnn", "embedding_dim": 50})
    monkeypatch.delenv("DISTILL_SENTENCE_ENCODER", raising=False)
    monkeypatch.setenv("DISTILL_PRETRAINED_ENCODER", cnn)
    assert default_config_vars()["DISTILL_SENTENCE_ENCODER"] == "cnn"
    set_default_config_vars()
    assert os.environ["DISTILL_SENTENCE_ENCODER"] == "cnn"
    monkeypatch.setenv("DISTILL_PRETRAINED_ENCODER", "")
    assert default_config_vars()["DISTILL_SENTENCE_ENCODER"] == "bilstm"


def test_a_sentence_encoder_other_than_the_pretrained_ones_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(
        "DISTILL_PRETRAINED_ENCODER", run_config(tmp_path / "cnn", {"type": "wide_cnn"})
    )
    monkeypatch.setenv("DISTILL_SENTENCE_ENCODER", "bilstm")
    with pytest.raises(ConfigurationError, match="holds the weights of a 'cnn' sentence encoder"):
        set_default_config_vars()
    monkeypatch.setenv("DISTILL_SENTENCE_ENCODER", "cnn")
    set_default_config_vars()  # the same architecture: no complaint


@pytest.mark.parametrize(
    "config, message",
    [
        ('{"model": {"type": "bilstm_student", "encoder": {"type": "cnn"}}}', "records a 'cnn'"),
        ('{"model": {"type": "bilstm_student", "hidden_size": 150}}', "records no model.encoder"),
        ('{"model": ', "records no model.encoder"),
    ],
)
def test_a_pretrained_encoder_from_another_kind_of_run_is_named(config, message, tmp_path):
    (tmp_path / "config.json").write_text(config)
    with pytest.raises(ConfigurationError, match=message) as error:
        pretrained_encoder_architecture(str(tmp_path / "best.th"))
    assert str(tmp_path / "config.json") in str(error.value)
