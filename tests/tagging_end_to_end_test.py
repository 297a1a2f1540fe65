"""
The sequence-labelling main job on the CoNLL-2003 fixture through the real command line: a tiny
BERT teacher fine-tuned for tagging, `allennlp transfer-set` writing per-token teacher logits,
the distilled BiLSTM tagger, `allennlp evaluate` and `allennlp predict --predictor tagger`.
"""

import json
from pathlib import Path

import numpy
import pytest
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allennlp_distill.corpora.conll_jsonl import conll_to_jsonl
from allennlp_distill.dataset_readers.rows import EMPTY_TEXT, DataFormatError
from allennlp_distill.dataset_readers.tagging import iter_conll_sentences
from tests.conftest import CONFIGS, FIXTURES, run_allennlp, tagger_logits

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
        # The keys scripts/pipeline.sh passes for every task, a tagger's included.
        '{"n_iter": 2, "runtime": "torch"}',
        env=env,
    )
    student = out / "student"
    # Every epoch kept, the last one archived: early stopping on the fixture's gold F1 would keep
    # the first epoch, since the tiny teacher's tags are not the gold ones. The soft loss alone
    # (alpha 0; the config's KL at temperature 2): the config's alpha 0.5 would pull the student
    # to the gold tags, which the tiny teacher does not know, and there is nothing to compare.
    run_allennlp(
        "train", str(CONFIGS / "conll2003_distill.jsonnet"), "-s", str(student),
        "-o", '{"validation_data_path": null, "trainer.patience": null, '
        '"data_loader.batch_sampler.batch_size": 4, "trainer.callbacks": [{"type": '
        '"distillation", "soft_loss": {"type": "kl"}, "temperature": 2.0, "alpha": 0.0}]}',
        env={**env, "DISTILL_EPOCHS": "10"},
    )  # fmt: skip
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


def test_teacher_reads_characters_trained_at_their_own_rate(ner_run):
    """The teacher: the transformer joined by a character CNN trained at `char_lr`."""
    teacher = ner_run["teacher"]
    config = json.loads((teacher / "config.json").read_text())
    assert "token_characters" in config["dataset_reader"]["token_indexers"]
    groups = config["trainer"]["optimizer"]["parameter_groups"]
    # AllenNLP logs each group's parameters: the character CNN's, and only they, at 1e-3.
    log = (teacher / "out.log").read_text().splitlines()
    first_group = next(line for line in log if "Group 0:" in line)
    assert groups[0][1]["lr"] == 1e-3 and "conv_layer_0.bias" in first_group
    assert "transformer_model" not in first_group


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
    # The transfer set's logits are the teacher's, word for word, keyed by tag, to float rounding
    # (its batches pad differently; their argmax tags are no test: the tiny teacher's margins
    # are near 0, and a tie can break either way from one run to the next).
    written = {
        tuple(row["tokens"]): row["teacher_logits"]
        for row in map(json.loads, (ner_run["out"] / "transfer.jsonl").open())
    }
    teacher_archive = ner_run["teacher"] / "model.tar.gz"
    teacher_vocab = load_archive(str(teacher_archive)).model.vocab
    teacher_tags = list(teacher_vocab.get_index_to_token_vocabulary("labels").values())
    for words, reference in zip(sentences, tagger_logits(teacher_archive, sentences)):
        table = numpy.array([written[tuple(words)][tag] for tag in teacher_tags]).T
        assert numpy.allclose(table, reference.numpy(), atol=1e-4)
    # The student learned the teacher's tag distributions (KL at temperature 2, the config's soft
    # loss, which fixes each word's logits up to a constant): its logits, centred per word,
    # explain part of the variance of the teacher's, centred likewise, around each tag's mean
    # (an untrained one, about none). (Agreement of argmax tags is no measure here: the tiny
    # teacher's margins are small, and whether they beat its most frequent tag varies with the
    # thread count.)
    vocab = load_archive(str(ner_run["student"] / "model.tar.gz")).model.vocab
    tag_names = list(vocab.get_index_to_token_vocabulary("labels").values())
    target = numpy.concatenate(
        [numpy.array([written[tuple(words)][tag] for tag in tag_names]).T for words in sentences]
    )
    learned = numpy.concatenate(tagger_logits(ner_run["student"] / "model.tar.gz", sentences))
    target = target - target.mean(axis=1, keepdims=True)
    learned = learned - learned.mean(axis=1, keepdims=True)
    explained = 1 - ((learned - target) ** 2).sum() / ((target - target.mean(0)) ** 2).sum()
    assert explained > 0.1, explained
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


@pytest.mark.parametrize("row", [{"sentence": "   "}, {"sentence": ""}, {"tokens": []}])
def test_tagger_predictor_refuses_an_empty_sentence_as_every_path_does(row, ner_run, tmp_path):
    inputs = tmp_path / "in.jsonl"
    inputs.write_text(json.dumps(row) + "\n")
    result = run_allennlp(
        "predict", str(ner_run["student"] / "model.tar.gz"), str(inputs), "--predictor",
        "tagger", "--output-file", str(tmp_path / "out.jsonl"), "--silent",
        env=ner_run["env"], fails=True,
    )  # fmt: skip
    assert f"in.jsonl:1: {EMPTY_TEXT}" in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_transfer_set_does_not_depend_on_the_batch_size(ner_run, tmp_path):
    """
    Each sentence's copies depend on the seed and its words only (resuming relies on it): the
    same rows in the same order; the logits agree to float rounding (batches pad differently).
    """
    output = tmp_path / "transfer.jsonl"
    run_allennlp(
        "transfer-set", str(ner_run["teacher"] / "model.tar.gz"), str(ner_run["train"]),
        "-o", str(output), "--batch-size", "7", "--predictor-args", '{"n_iter": 2}',
        env=ner_run["env"],
    )  # fmt: skip
    small = [json.loads(line) for line in output.open()]
    large = [json.loads(line) for line in (ner_run["out"] / "transfer.jsonl").open()]
    assert [{**row, "teacher_logits": None} for row in small] == [
        {**row, "teacher_logits": None} for row in large
    ]
    for a, b in zip(small, large):
        for tag, logits in a["teacher_logits"].items():
            assert logits == pytest.approx(b["teacher_logits"][tag], abs=2e-3)


def test_distill_report_measures_taggers_in_span_f1_and_words_per_second(ner_run, tmp_path):
    out = tmp_path / "report"
    run_allennlp(
        "distill-report", f"teacher={ner_run['teacher'] / 'model.tar.gz'}",
        f"student={ner_run['student'] / 'model.tar.gz'}", "--eval-file", str(CONLL),
        "--heldout-file", str(CONLL), "--texts", "64", "--batch-sizes", "1", "16",
        "--output-dir", str(out), env=ner_run["env"],
    )  # fmt: skip
    rows = json.loads((out / "report.json").read_text())["models"]
    words = [len(s[1]) for s in iter_conll_sentences(str(CONLL))]
    assert len(rows) == 2
    for row, model in zip(rows, ("teacher", "student")):  # span F1 as `allennlp evaluate` gives it
        evaluated = tmp_path / f"{model}.json"
        run_allennlp(
            "evaluate", str(ner_run[model] / "model.tar.gz"), str(CONLL), "--output-file",
            str(evaluated), env=ner_run["env"],
        )  # fmt: skip
        f1 = json.loads(evaluated.read_text())["f1-measure-overall"]
        assert row["f1-measure-overall"] == pytest.approx(f1)
        assert row["heldout"]["f1-measure-overall"] == pytest.approx(row["f1-measure-overall"])
        assert "examples" not in row  # no binomial interval for token accuracy
        # The 64 timed sentences are the file's 60 and 4 more taken evenly over it.
        assert len(words) == 60
        again = sum(words[i] for i in (0, 15, 30, 45))
        assert row["tokens_per_text"] == pytest.approx((sum(words) + again) / 64)
    table = (out / "report.md").read_text()
    assert "f1-measure-overall" in table and "tokens/s @16" in table


def test_a_sentence_longer_than_the_teachers_window_is_split_not_truncated(ner_run):
    """
    720 words of several pieces each, far beyond the teacher's 512-piece window: every word gets
    logits from the transformer (a truncated word would get the bias alone, the same for all).
    """
    from allennlp_distill.predictors.labelling import teacher_logits

    archive = load_archive(str(ner_run["teacher"] / "model.tar.gz"))
    words = ["Blackburn", "visited", "Brussels"] * 240
    (logits,) = teacher_logits(archive.model, archive.dataset_reader, [(words,)])
    assert len(logits) == len(words)
    tail = {tuple(round(x, 4) for x in row) for row in logits[-60:]}
    assert len(tail) > 3  # contextual: the repeats of three words differ


def transfer_set_predictor(ner_run, **args):
    archive = load_archive(str(ner_run["teacher"] / "model.tar.gz"))
    return Predictor.from_archive(archive, "tagging_transfer_set", extra_args=args)


def test_rows_remembered_from_an_interrupted_run_are_not_written_again(ner_run):
    predictor = transfer_set_predictor(ner_run, n_iter=2, unigram_file=str(ner_run["train"]))
    lines = ner_run["train"].read_text().splitlines()[:5]
    first = predictor.predict_batch_json([predictor.load_line(line) for line in lines])
    resumed = transfer_set_predictor(ner_run, n_iter=2, unigram_file=str(ner_run["train"]))
    resumed.remember_written(row for output in first for row in output["rows"])
    again = resumed.predict_batch_json([resumed.load_line(line) for line in lines])
    assert sum(len(output["rows"]) for output in first) > 5
    assert all(output["rows"] == [] for output in again)


def test_each_sentence_draws_its_own_random_stream(ner_run):
    # Two sentences of ten words: one stream for both would mask them at the same positions.
    predictor = transfer_set_predictor(
        ner_run, n_iter=1, p_mask=0.5, p_pos=0.0, p_ng=0.0, mask_token="[M]"
    )
    lines = [json.dumps({"tokens": [f"{w}{i}" for i in range(10)]}) for w in "ab"]
    outputs = predictor.predict_batch_json([predictor.load_line(line) for line in lines])
    masked = [
        [index for index, word in enumerate(row["tokens"]) if word == "[M]"]
        for output in outputs
        for row in output["rows"]
        if row["augmented"]
    ]
    assert len(masked) == 2 and masked[0] != masked[1]


def test_an_original_sentence_is_written_even_after_an_equal_copy(ner_run):
    predictor = transfer_set_predictor(ner_run, n_iter=2, unigram_file=str(ner_run["train"]))
    predictor.remember_written([{"tokens": ["Peter", "Blackburn"], "augmented": True}])
    line = json.dumps({"tokens": ["Peter", "Blackburn"], "pos": ["NNP", "NNP"],
                       "tags": ["B-PER", "I-PER"]})  # fmt: skip
    (output,) = predictor.predict_batch_json([predictor.load_line(line)])
    assert output["rows"][0]["tags"] == ["B-PER", "I-PER"]
    assert output["rows"][0]["augmented"] is False


def test_a_unigram_file_without_pos_tags_is_refused(ner_run, tmp_path):
    from allennlp.common.checks import ConfigurationError

    no_pos = tmp_path / "no_pos.jsonl"
    no_pos.write_text(json.dumps({"tokens": ["Peter"], "tags": ["B-PER"]}) + "\n")
    predictor = transfer_set_predictor(ner_run, n_iter=2, unigram_file=str(no_pos))
    line = ner_run["train"].read_text().splitlines()[0]
    with pytest.raises(ConfigurationError, match="has no POS tags"):
        predictor.predict_batch_json([predictor.load_line(line)])
    # Without replacement no POS tag is needed, and no unigram file either.
    plain = transfer_set_predictor(ner_run, n_iter=2, p_pos=0.0, unigram_file="/nonexistent")
    line = json.dumps({"tokens": ["Peter", "Blackburn", "said"]})
    (output,) = plain.predict_batch_json([plain.load_line(line)])
    assert output["rows"][0]["tokens"] == ["Peter", "Blackburn", "said"]


def test_unlabelled_sentences_without_pos_are_labelled_when_nothing_is_copied(ner_run, tmp_path):
    # n_iter = 0 (a transfer set of real unlabelled text): no copy, so no word is replaced and
    # the default p_pos asks for neither POS tags nor a unigram file; with copies, it does.
    from allennlp_distill.commands.transfer_set import provenance

    plain = transfer_set_predictor(ner_run, n_iter=0, unigram_file="/nonexistent")
    line = json.dumps({"tokens": ["Angela", "Merkel", "visited", "Paris", "."]})
    (output,) = plain.predict_batch_json([plain.load_line(line)])
    assert [row["tokens"] for row in output["rows"]] == [json.loads(line)["tokens"]]
    assert all(len(v) == 5 for v in output["rows"][0]["teacher_logits"].values())
    # Its provenance (what `allennlp transfer-set` records and checks) names no unigram file.
    unlabelled = tmp_path / "unlabelled.jsonl"
    unlabelled.write_text(line + "\n")
    made_from = provenance(plain, str(ner_run["teacher"] / "model.tar.gz"), str(unlabelled))
    assert made_from["unigram_sha256"] is None
    copying = transfer_set_predictor(ner_run, n_iter=1, unigram_file=str(ner_run["train"]))
    with pytest.raises(DataFormatError, match="no 'pos' for POS-guided replacement"):
        copying.load_line(line)


def test_bf16_labels_every_token_as_fp32_does_and_is_recorded_in_the_settings(ner_run):
    # bfloat16 autocast (a large teacher on a CPU with bfloat16 instructions): the same rows, each
    # token's logits within bf16's rounding of fp32's, and the precision in the settings that
    # `allennlp transfer-set` records, so that a run is never resumed in the other precision.
    lines = ner_run["train"].read_text().splitlines()[:6]
    fp32, bf16 = (
        transfer_set_predictor(ner_run, n_iter=2, unigram_file=str(ner_run["train"]), **args)
        for args in ({}, {"precision": "bf16"})
    )
    rows = [[row for out in p.predict_batch_json([p.load_line(x) for x in lines]) for row in
             out["rows"]] for p in (fp32, bf16)]  # fmt: skip
    assert len(rows[0]) > len(lines)
    assert [r["tokens"] for r in rows[0]] == [r["tokens"] for r in rows[1]]
    differences = [
        abs(a - b)
        for row32, row16 in zip(rows[0], rows[1])
        for tag, logits in row32["teacher_logits"].items()
        for a, b in zip(logits, row16["teacher_logits"][tag])
    ]
    assert 0 < max(differences) < 0.1  # autocast ran (not bit-equal), and only rounded
    assert "precision" not in fp32.settings and bf16.settings["precision"] == "bf16"


def test_compile_reaches_the_transformer_inside_the_tagger_teacher(ner_run):
    import torch

    predictor = transfer_set_predictor(ner_run, n_iter=2, unigram_file=str(ner_run["train"]),
                                       compile=True)  # fmt: skip
    compiled = [module for module in predictor._model.modules()
                if isinstance(module, torch._dynamo.eval_frame.OptimizedModule)]  # fmt: skip
    assert len(compiled) == 1  # the mismatched embedder's transformer, not yet run


@pytest.mark.parametrize(
    "args, message",
    [({"runtime": "onnxruntime"}, 'labels with runtime "torch" only'),
     ({"precision": "fp8"}, "precision 'fp8': one of fp32, bf16, fp16")],
)  # fmt: skip
def test_a_runtime_or_precision_a_tagger_cannot_label_with_is_refused(ner_run, args, message):
    from allennlp.common.checks import ConfigurationError

    with pytest.raises(ConfigurationError, match=message):
        transfer_set_predictor(ner_run, n_iter=2, unigram_file=str(ner_run["train"]), **args)
