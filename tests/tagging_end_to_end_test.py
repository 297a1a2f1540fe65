"""
The sequence-labelling main job on the CoNLL-2003 fixture through the real command line: a tiny
BERT teacher fine-tuned for tagging, `allennlp transfer-set` writing per-token teacher logits,
the distilled BiLSTM tagger, `allennlp evaluate` and `allennlp predict --predictor tagger`.
"""

import json
from pathlib import Path

import pytest

from allennlp_distill.corpora.conll_jsonl import conll_to_jsonl
from allennlp_distill.dataset_readers.tagging import iter_conll_sentences
from tests.conftest import CONFIGS, FIXTURES, run_allennlp

CONLL = FIXTURES / "conll2003_tiny.txt"


@pytest.fixture(scope="module")
def ner_run(tmp_path_factory, tiny_teacher_env) -> dict:
    """Teacher, transfer set (n_iter 2) and distilled student, trained once for the module."""
    out = tmp_path_factory.mktemp("ner")
    train = out / "train.jsonl"
    conll_to_jsonl(str(CONLL), str(train))
    env = {
        **tiny_teacher_env,
        "DISTILL_TRAIN": str(train),
        "DISTILL_DEV": str(CONLL),
        "DISTILL_TRANSFER_SET": str(out / "transfer.jsonl"),
        "DISTILL_EPOCHS": "3",
        # The fixture's word vectors are 8-d (the plugin's default width is the packaged 50-d).
        "DISTILL_EMBEDDING_DIM": "8",
    }
    teacher = out / "teacher"
    run_allennlp("train", str(CONFIGS / "conll2003_teacher.jsonnet"), "-s", str(teacher), env=env)
    run_allennlp(
        "transfer-set",
        str(teacher / "model.tar.gz"),
        str(train),
        "-o",
        str(out / "transfer.jsonl"),
        "--predictor-args",
        '{"n_iter": 2}',
        env=env,
    )
    student = out / "student"
    run_allennlp("train", str(CONFIGS / "conll2003_distill.jsonnet"), "-s", str(student), env=env)
    return {"out": out, "env": env, "train": train, "teacher": teacher, "student": student}


def test_transfer_set_has_logits_for_every_token_and_keeps_gold_tags(ner_run):
    rows = [json.loads(line) for line in (ner_run["out"] / "transfer.jsonl").open()]
    sentences = list(iter_conll_sentences(str(CONLL)))
    originals = [row for row in rows if not row["augmented"]]
    assert len({tuple(s[1]) for s in sentences}) == len(originals)
    gold = {tuple(words): tags for _, words, _, tags in sentences}
    assert all(row["tags"] == gold[tuple(row["tokens"])] for row in originals)
    augmented = [row for row in rows if row["augmented"]]
    assert augmented and all("tags" not in row for row in augmented)
    assert any("[MASK]" in row["tokens"] for row in augmented)
    tag_names = {tag for tags in gold.values() for tag in tags}
    for row in rows:
        assert set(row["teacher_logits"]) == tag_names
        assert all(len(logits) == len(row["tokens"]) for logits in row["teacher_logits"].values())


def test_transfer_set_refuses_a_tag_the_teacher_does_not_know(ner_run, tmp_path):
    bad = tmp_path / "bad.jsonl"
    lines = ner_run["train"].read_text().splitlines()[:3]
    row = json.loads(lines[2])
    row["tags"][0] = "B-CITY"
    bad.write_text("\n".join(lines[:2] + [json.dumps(row)]) + "\n")
    result = run_allennlp(
        "transfer-set",
        str(ner_run["teacher"] / "model.tar.gz"),
        str(bad),
        "-o",
        str(tmp_path / "out.jsonl"),
        env=ner_run["env"],
        fails=True,
    )
    assert "bad.jsonl:3:" in result.stderr and "B-CITY" in result.stderr


def predict(archive: Path, inputs: Path, output: Path, env: dict) -> list:
    run_allennlp(
        "predict", str(archive), str(inputs), "--predictor", "tagger",
        "--output-file", str(output), "--silent", env=env,
    )  # fmt: skip
    return [json.loads(line) for line in output.open()]


def test_distilled_student_tags_as_its_teacher_and_evaluates_with_span_f1(ner_run, tmp_path):
    inputs = tmp_path / "dev.jsonl"
    sentences = [words for _, words, _, _ in iter_conll_sentences(str(CONLL))]
    inputs.write_text("".join(json.dumps({"tokens": words}) + "\n" for words in sentences))
    teacher = predict(
        ner_run["teacher"] / "model.tar.gz", inputs, tmp_path / "t.jsonl", ner_run["env"]
    )
    student = predict(
        ner_run["student"] / "model.tar.gz", inputs, tmp_path / "s.jsonl", ner_run["env"]
    )
    pairs = [
        (t_tag, s_tag)
        for t, s, words in zip(teacher, student, sentences)
        for t_tag, s_tag in zip(t["tags"], s["tags"])
        if len(t["tags"]) == len(s["tags"]) == len(words)
    ]
    assert len(pairs) == sum(len(words) for words in sentences)
    agreement = sum(t == s for t, s in pairs) / len(pairs)
    # A student that had not learned its teacher's logits agrees on ~1 tag in 9.
    assert agreement > 0.5, agreement
    metrics_file = tmp_path / "metrics.json"
    run_allennlp(
        "evaluate", str(ner_run["student"] / "model.tar.gz"), str(CONLL),
        "--output-file", str(metrics_file), env=ner_run["env"],
    )  # fmt: skip
    metrics = json.loads(metrics_file.read_text())
    assert {"accuracy", "f1-measure-overall", "precision-overall"} <= set(metrics)


def test_tagger_predictor_splits_sentences_and_reports_spans(ner_run, tmp_path):
    inputs = tmp_path / "in.jsonl"
    inputs.write_text(json.dumps({"sentence": "Peter Blackburn visited Paris, France."}) + "\n")
    (output,) = predict(
        ner_run["student"] / "model.tar.gz", inputs, tmp_path / "out.jsonl", ner_run["env"]
    )
    assert output["words"] == ["Peter", "Blackburn", "visited", "Paris", ",", "France", "."]
    assert len(output["tags"]) == len(output["words"])
    for span in output["spans"]:
        words = output["words"][span["start"] : span["end"] + 1]
        assert span["text"] == " ".join(words)
        assert output["tags"][span["start"]][2:] == span["type"]


def test_tagger_predictor_refuses_an_empty_sentence(ner_run, tmp_path):
    inputs = tmp_path / "in.jsonl"
    inputs.write_text(json.dumps({"sentence": "   "}) + "\n")
    result = run_allennlp(
        "predict", str(ner_run["student"] / "model.tar.gz"), str(inputs), "--predictor",
        "tagger", "--output-file", str(tmp_path / "out.jsonl"), "--silent",
        env=ner_run["env"], fails=True,
    )  # fmt: skip
    assert "in.jsonl:1:" in result.stderr and "non-empty 'sentence'" in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_transfer_set_does_not_depend_on_the_batch_size(ner_run, tmp_path):
    """Each sentence's copies depend on the seed and its words only (resuming relies on it)."""
    output = tmp_path / "transfer.jsonl"
    run_allennlp(
        "transfer-set", str(ner_run["teacher"] / "model.tar.gz"), str(ner_run["train"]),
        "-o", str(output), "--batch-size", "7", "--predictor-args", '{"n_iter": 2}',
        env=ner_run["env"],
    )  # fmt: skip
    assert output.read_bytes() == (ner_run["out"] / "transfer.jsonl").read_bytes()
