import inspect
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from allennlp_distill.predictors.tagging_transfer_set import TaggingTransferSetPredictor
from allennlp_distill.predictors.transfer_set import TransferSetPredictor
from tests.conftest import REPO

# A stand-in for `allennlp` that records each call's subcommand with the variables the pipeline
# sets for it, and writes the output the pipeline checks for, so the script runs in a second.
FAKE_ALLENNLP = r"""#!/usr/bin/env bash
echo "$1 DISTILL_AMP=${DISTILL_AMP:-} DISTILL_TRAIN=$DISTILL_TRAIN" >> "$CALLS"
echo "$* TRANSFER=${DISTILL_TRANSFER_SET:-} EPOCHS=${DISTILL_EPOCHS:-}\
 FROM=${DISTILL_TRUNCATE_FROM:-} WORD_VECTORS=${DISTILL_WORD_VECTORS:-}\
 ENCODER_VECTORS=${DISTILL_SENTENCE_ENCODER_VECTORS:-}\
 PROJECTION=${DISTILL_SENTENCE_ENCODER_PROJECTION-unset}\
 SENTENCE_ENCODER=${DISTILL_SENTENCE_ENCODER:-}\
 FILTERS=${DISTILL_SENTENCE_ENCODER_FILTERS:-}" >> "$CALLS.argv"
out=
while [ $# -gt 0 ]; do
  case $1 in
    -s|-o|--output-file|--output-dir) out=$2; shift ;;
    --predictor-args) echo "$2" > "$CALLS.predictor_args"; shift ;;
  esac
  shift
done
case $out in
  *.jsonl) echo "{\"written_to\": \"$out\"}" > "$out" ;;
  */teacher|*/student|*/student_cnn|*/student_transformer|*/student_truncated|*/baseline \
  |*/student_casing|*/baseline_casing|*/student_seed2|*/baseline_seed2)
    mkdir -p "$out" && touch "$out/config.json" "$out/model.tar.gz" "$out/metrics.json" ;;
  *) echo '{}' > "$out" ;;
esac
"""


def run_pipeline(tmp_path: Path, script: str = "scripts/pipeline.sh", **variables: str) -> list:
    """
    The stand-in's calls to `allennlp` made by `script`, one line each (`--predictor-args` go to
    `calls.txt.predictor_args`, each call's whole command line to `calls.txt.argv`).
    """
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "allennlp"
    fake.write_text(FAKE_ALLENNLP)
    fake.chmod(0o755)
    # The pipeline asks the Python beside `allennlp` for the task's files.
    python = bin_dir / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    calls = tmp_path / "calls.txt"
    env = {
        **os.environ,
        "ALLENNLP": str(fake),
        "CALLS": str(calls),
        "TRAIN": "train.tsv",
        "DEV": "dev.tsv",
        "OUT": str(tmp_path / "run"),
        **variables,
    }
    env.pop("DISTILL_AMP", None)
    subprocess.run(["bash", script], cwd=REPO, env=env, check=True, capture_output=True)
    return calls.read_text().splitlines()


def pipeline_error(tmp_path: Path, script: str = "scripts/pipeline.sh", **variables: str) -> str:
    """`script`'s message when it refuses `variables`; it must have run no step at all."""
    with pytest.raises(subprocess.CalledProcessError) as error:
        run_pipeline(tmp_path, script, **variables)
    assert not (tmp_path / "calls.txt").exists()
    return error.value.stderr.decode()


def test_teacher_amp_and_teacher_train_reach_the_teacher_alone(tmp_path):
    calls = run_pipeline(tmp_path, TEACHER_AMP="bf16", TEACHER_TRAIN="sample.tsv")
    trains = [call for call in calls if call.startswith("train ")]
    assert trains == [
        "train DISTILL_AMP=bf16 DISTILL_TRAIN=sample.tsv",  # the teacher
        "train DISTILL_AMP= DISTILL_TRAIN=train.tsv",  # the student
        "train DISTILL_AMP= DISTILL_TRAIN=train.tsv",  # the baseline
    ]
    assert "transfer-set DISTILL_AMP= DISTILL_TRAIN=train.tsv" in calls


def test_an_interrupted_training_step_is_continued_and_a_finished_one_skipped(tmp_path):
    run = tmp_path / "run"
    for model, files in {
        "teacher": ["config.json", "model.tar.gz", "metrics.json"],  # finished
        # Stopped by Ctrl-C after an epoch: AllenNLP archived its best epoch so far.
        "student": ["config.json", "model.tar.gz", "model_state_e0_b0.th"],
        "baseline": ["out.log"],  # killed before it wrote its config
    }.items():
        (run / model).mkdir(parents=True)
        for name in files:
            (run / model / name).touch()
    run_pipeline(tmp_path)
    argv = (tmp_path / "calls.txt.argv").read_text().splitlines()
    trains = [line.split(" TRANSFER=")[0] for line in argv if line.startswith("train ")]
    assert len(trains) == 2  # not the teacher
    assert f"-s {run}/student " in trains[0] and trains[0].endswith(" --recover")
    assert f"-s {run}/baseline " in trains[1] and "--recover" not in trains[1]
    assert not (run / "baseline" / "out.log").exists()  # allennlp would refuse the folder


def test_the_makefiles_training_runs_are_skipped_when_finished_and_continued_when_interrupted(
    tmp_path,
):
    fake = tmp_path / "allennlp"
    fake.write_text(FAKE_ALLENNLP)
    fake.chmod(0o755)
    env = {**os.environ, "CALLS": str(tmp_path / "calls.txt")}
    run = tmp_path / "run"
    for name in ("student_cnn", "student_glove100"):
        (run / name).mkdir(parents=True)
        (run / name / "config.json").touch()
    (run / "student_glove100" / "metrics.json").touch()
    for name in ("student_cnn", "student_glove100", "baseline"):
        command = [str(fake), "train", "config.jsonnet", "-s", str(run / name)]
        subprocess.run(["bash", "scripts/train_step.sh", str(run / name), *command], cwd=REPO,
                       env=env, check=True, capture_output=True)  # fmt: skip
    argv = (tmp_path / "calls.txt.argv").read_text().splitlines()
    assert [line.split(" TRANSFER=")[0] for line in argv] == [
        f"train config.jsonnet -s {run}/student_cnn --recover",
        f"train config.jsonnet -s {run}/baseline",
    ]
    times = (run / "times.txt").read_text()
    assert "student_cnn: " in times and "baseline: " in times and "glove100" not in times


# The stand-in's word-vectors call leaves the record that the script's step checks.
WORD_VECTORS_DONE = 'mkdir -p "$out" && touch "$out/word_vectors.json"'
# The encoder's measurements as the real commands leave them: the file each step is done by.
MEASURED_DONE = (
    '  */sts) mkdir -p "$out" && touch "$out/sts.json" ;;\n'
    '  */export) mkdir -p "$out" && touch "$out/vocab.json" ;;\n'
    '  */report) mkdir -p "$out" && touch "$out/report.json" ;;\n'
)


def sentence_encoder_workspace(tmp_path: Path):
    """
    A working folder for `scripts/sentence_encoder.sh` (it reads runs/mrpc/data relative to
    where it runs) with one-line stand-ins for its data and the stand-in `allennlp`, whose
    students finish as AllenNLP's do: the config with the training file, and the metrics that
    the script's summary table reads. Returns the folder, the script's environment (TASKS=mrpc,
    OUT=out) and a function that runs the script there.
    """
    work = tmp_path / "work"
    (work / "runs" / "mrpc" / "data").mkdir(parents=True)
    for name in ("train.tsv", "dev.tsv", "heldout.tsv", "corpus.txt", "stsb_test.tsv"):
        target = work / "runs" / "mrpc" / "data" / name if name.endswith(".tsv") else work / name
        target.write_text("x\n")
    (work / "shared" / "glue" / "STS-B").mkdir(parents=True)
    (work / "shared" / "sick").mkdir(parents=True)
    (work / "shared" / "glue" / "STS-B" / "dev.tsv").write_text("x\n")
    (work / "shared" / "sick" / "SICK_test_annotated.tsv").write_text("x\n")
    fake = tmp_path / "allennlp"
    metrics = """'{"best_validation_accuracy": 0.5, "accuracy": 0.5}'"""
    fake.write_text(
        FAKE_ALLENNLP.replace(
            "*/baseline_seed2)", "*/baseline_seed2|*/encoder|*/from_encoder|*/random_init)"
        )
        .replace(
            "  *) echo '{}'",
            f"  */word_vectors) {WORD_VECTORS_DONE} ;;\n{MEASURED_DONE}  *) echo '{{}}'",
        )
        .replace(
            'touch "$out/config.json" ',
            'echo "{\\"train_data_path\\": \\"$DISTILL_TRAIN\\"}" > "$out/config.json"'
            " && touch ",
        )
        .replace('"$out/metrics.json"', f'&& echo {metrics} > "$out/metrics.json"')
        .replace("echo '{}'", f"echo {metrics}")
    )
    fake.chmod(0o755)
    env = {
        **os.environ,
        "ALLENNLP": str(fake),
        "PYTHON": sys.executable,
        "CALLS": str(tmp_path / "calls.txt"),
        "OUT": "out",
        "TASKS": "mrpc",
        "SHARED": "shared",
        "CORPUS": "corpus.txt",
        "STSB_TEST": "runs/mrpc/data/stsb_test.tsv",
    }

    def sentence_encoder():
        return subprocess.run(["bash", str(REPO / "scripts" / "sentence_encoder.sh")], cwd=work,
                              env=env, capture_output=True, text=True)  # fmt: skip

    return work, env, sentence_encoder


def test_sentence_encoder_trains_mrpc_students_on_the_held_out_split_and_refuses_older_runs(
    tmp_path,
):
    work, env, sentence_encoder = sentence_encoder_workspace(tmp_path)
    calls = tmp_path / "calls.txt"

    # A student of the earlier layout, trained on MRPC's whole training file from the finished
    # encoder of this OUT.
    encoder = work / "out" / "encoder"
    encoder.mkdir(parents=True)
    for name in ("config.json", "model.tar.gz", "metrics.json"):
        (encoder / name).write_text("{}")
    older = work / "out" / "mrpc" / "from_encoder"
    older.mkdir(parents=True)
    (older / "metrics.json").touch()
    (older / "config.json").write_text('{"train_data_path": "shared/glue/MRPC/train.tsv"}')
    result = sentence_encoder()
    assert result.returncode != 0
    assert "trained on shared/glue/MRPC/train.tsv, not runs/mrpc/data/train.tsv" in result.stderr
    assert not any(line.startswith("evaluate ") for line in calls.read_text().splitlines())

    older.rename(work / "out" / "mrpc" / "from_encoder_whole_train")
    calls.unlink()
    result = sentence_encoder()
    assert result.returncode == 0, result.stderr
    calls_made = calls.read_text().splitlines()
    trains = [line for line in calls_made if line.startswith("train ")]
    # Both MRPC students on the split's training file (the encoder finished)...
    assert trains == ["train DISTILL_AMP= DISTILL_TRAIN=runs/mrpc/data/train.tsv"] * 2
    argv = (tmp_path / "calls.txt.argv").read_text()
    # ... each evaluated on the held-out pairs.
    for variant in ("from_encoder", "random_init"):
        assert f"evaluate out/mrpc/{variant}/model.tar.gz runs/mrpc/data/heldout.tsv" in argv
    # The encoder exported, then reported against its teacher (listed first) on STS-B dev, the
    # STS Benchmark test split held out.
    assert "distill-export out/encoder/model.tar.gz -o out/export --force" in argv
    assert (
        "distill-report teacher=teacher:all-MiniLM-L6-v2 encoder=out/encoder/model.tar.gz "
        "export=out/export --eval-file shared/glue/STS-B/dev.tsv --heldout-file "
        "runs/mrpc/data/stsb_test.tsv --threads 2 --cuda-device -1 --output-dir out/report"
    ) in argv
    # Run again: students trained on the split are finished runs, skipped, not refused.
    calls.unlink()
    result = sentence_encoder()
    assert result.returncode == 0, result.stderr
    assert "mrpc_from_encoder: skipped" in result.stdout
    assert not [line for line in calls.read_text().splitlines() if line.startswith("train ")]
    # The BiLSTM by default; ENCODER=cnn: the encoder and both students are Kim's CNN, with
    # 300 filters a width unless FILTERS says otherwise.
    env.pop("DISTILL_SENTENCE_ENCODER", None)
    env.pop("DISTILL_SENTENCE_ENCODER_FILTERS", None)
    env.pop("FILTERS", None)
    runs = (("out_bilstm", None, None), ("out_cnn", "cnn", None), ("out_cnn150", "cnn", "150"))
    for out, encoder, filters in runs:
        (tmp_path / "calls.txt.argv").unlink()
        env.update(OUT=out, **({"ENCODER": encoder} if encoder else {}))
        if filters:  # FILTERS over the caller's DISTILL_SENTENCE_ENCODER_FILTERS
            env.update(FILTERS=filters, DISTILL_SENTENCE_ENCODER_FILTERS="200")
        result = sentence_encoder()
        assert result.returncode == 0, result.stderr
        trains = [line for line in (tmp_path / "calls.txt.argv").read_text().splitlines()
                  if line.startswith("train ")]  # fmt: skip
        assert len(trains) == 3
        expected = f" SENTENCE_ENCODER={encoder or 'bilstm'} FILTERS={filters or 300}"
        assert all(line.endswith(expected) for line in trains)
        glove = env.get("DISTILL_WORD_VECTORS", "")  # the caller's, if any
        assert all(f" WORD_VECTORS={glove} ENCODER_VECTORS=frozen " in line for line in trains)
        assert "word-vectors" not in (tmp_path / "calls.txt.argv").read_text()
    env.pop("FILTERS")
    env.pop("DISTILL_SENTENCE_ENCODER_FILTERS")
    # ENCODER_VECTORS=fine-tuned: the encoder trains its word vectors, which are written out and
    # read by the students from the encoder; those from random initialisation read the caller's.
    (tmp_path / "calls.txt.argv").unlink()
    env.update(OUT="out_vectors", ENCODER_VECTORS="fine-tuned", DISTILL_WORD_VECTORS="glove")
    result = sentence_encoder()
    assert result.returncode == 0, result.stderr
    argv = (tmp_path / "calls.txt.argv").read_text().splitlines()
    trains = {line.split(" -s ")[1].split()[0]: line for line in argv if line.startswith("train ")}
    assert " ENCODER_VECTORS=fine-tuned " in trains["out_vectors/encoder"]
    assert " WORD_VECTORS=out_vectors/word_vectors " in trains["out_vectors/mrpc/from_encoder"]
    assert " WORD_VECTORS=glove " in trains["out_vectors/mrpc/random_init"]
    # After the encoder, before its students.
    steps = [line.split()[0] + " " + line.split()[1] for line in argv]
    written = steps.index("word-vectors out_vectors/encoder/model.tar.gz")
    assert steps.index("train training_config/sentence_representation_distill.jsonnet") < written
    assert written < min(i for i, step in enumerate(steps) if "baseline.jsonnet" in step)
    assert "-o out_vectors/word_vectors --force " in argv[written]

    def encoder_run(out, trainable):  # a finished encoder run that trained its vectors or not
        (work / out / "encoder").mkdir(parents=True)
        (work / out / "encoder" / "metrics.json").touch()
        tokens = {"type": "packaged_word_vectors", "trainable": trainable}
        config = {"model": {"text_field_embedder": {"token_embedders": {"tokens": tokens}}}}
        (work / out / "encoder" / "config.json").write_text(json.dumps(config))

    encoder_run("out_frozen_encoder", False)
    env.update(OUT="out_frozen_encoder")
    result = sentence_encoder()
    assert result.returncode != 0 and "this encoder kept its word vectors frozen" in result.stderr
    encoder_run("out_trained_encoder", True)
    archive = work / "out_trained_encoder" / "encoder" / "model.tar.gz"
    archive.touch()
    env.update(OUT="out_trained_encoder")
    for rewritten in (True, False):  # written; then done
        result = sentence_encoder()
        assert result.returncode == 0, result.stderr
        assert ("word_vectors: skipped" not in result.stdout) is rewritten
    # The encoder trained again (everything else made 100 s before it): its students are
    # refused before anything runs...
    earlier = time.time() - 100
    for path in (work / "out_trained_encoder").rglob("*"):
        os.utime(path, (earlier, earlier))
    archive.touch()
    calls.unlink()
    result = sentence_encoder()
    assert result.returncode != 0
    assert (
        "out_trained_encoder/mrpc/from_encoder was fine-tuned from an earlier encoder"
        in result.stderr
    )
    assert not calls.exists()
    # ... and once they are moved away, its word vectors, STS figures, export and report are made
    # again and its students trained again; the students from random initialisation are kept.
    students = work / "out_trained_encoder" / "mrpc"
    (students / "from_encoder").rename(students / "from_encoder_earlier_encoder")
    (tmp_path / "calls.txt.argv").unlink()
    result = sentence_encoder()
    assert result.returncode == 0, result.stderr
    made = [line.split()[0] for line in (tmp_path / "calls.txt.argv").read_text().splitlines()]
    # (sentence-vectors checks its finished folder on every run)
    again = ["word-vectors", "sts-eval", "distill-export", "distill-report", "train", "evaluate"]
    assert made == ["sentence-vectors", *again]
    assert "mrpc_random_init: skipped" in result.stdout
    # Run again: nothing is older than the encoder now.
    (tmp_path / "calls.txt.argv").unlink()
    result = sentence_encoder()
    assert result.returncode == 0, result.stderr
    made = [line.split()[0] for line in (tmp_path / "calls.txt.argv").read_text().splitlines()]
    assert made == ["sentence-vectors"]
    env.update(OUT="out_lstm", ENCODER="lstm")
    result = sentence_encoder()
    assert result.returncode != 0 and "ENCODER=lstm: bilstm or cnn" in result.stderr
    assert not (work / "out_lstm").exists()  # refused before any step
    env.update(OUT="out_trainable", ENCODER="cnn", ENCODER_VECTORS="trainable")
    result = sentence_encoder()
    assert result.returncode != 0
    assert "ENCODER_VECTORS=trainable: frozen or fine-tuned" in result.stderr
    assert not (work / "out_trainable").exists()
    for filters in ("0", "00", "050", "1.5", "many", "-3"):
        env.update(OUT="out_filters", ENCODER="cnn", ENCODER_VECTORS="frozen", FILTERS=filters)
        result = sentence_encoder()
        assert result.returncode != 0
        assert f"FILTERS={filters}: a whole number above 0" in result.stderr
        assert not (work / "out_filters").exists()
    env.update(OUT="out_bilstm_filters", ENCODER="bilstm", FILTERS="150")
    result = sentence_encoder()
    assert result.returncode != 0
    assert "FILTERS=150 sizes the CNN: set ENCODER=cnn too" in result.stderr
    assert not (work / "out_bilstm_filters").exists()
    env.update(ENCODER="cnn")
    # An OUT whose CNN encoder has another number of filters: refused before any step.
    (work / "out_cnn300" / "encoder").mkdir(parents=True)
    config = {"model": {"encoder": {"type": "wide_cnn", "num_filters": 300}}}
    (work / "out_cnn300" / "encoder" / "config.json").write_text(json.dumps(config))
    calls.unlink(missing_ok=True)
    env.update(OUT="out_cnn300", FILTERS="150")
    result = sentence_encoder()
    assert result.returncode != 0
    assert "has 300 filters a width, not FILTERS=150: choose another OUT" in result.stderr
    assert not calls.exists()


def test_students_from_the_encoder_keep_its_projection_unless_projection_is_0(tmp_path):
    import torch

    work, env, sentence_encoder = sentence_encoder_workspace(tmp_path)
    env.pop("DISTILL_SENTENCE_ENCODER_PROJECTION", None)
    env.pop("PROJECTION", None)
    argv = tmp_path / "calls.txt.argv"
    for out in ("out", "out_projected"):  # a finished encoder each
        (work / out / "encoder").mkdir(parents=True)
        for name in ("config.json", "model.tar.gz", "metrics.json"):
            (work / out / "encoder" / name).write_text("{}")

    def trains():
        lines = argv.read_text().splitlines()
        argv.unlink()
        return {
            line.split(" -s ")[1].split()[0]: line for line in lines if line.startswith("train ")
        }

    # Unset: empty, so that the plugin reads the width from the encoder's weights; 0 at random.
    result = sentence_encoder()
    assert result.returncode == 0, result.stderr
    made = trains()
    assert " PROJECTION= " in made["out/mrpc/from_encoder"]
    assert " PROJECTION=0 " in made["out/mrpc/random_init"]
    # Those students were built without one (the stand-in's config has no output_dim): now that
    # the encoder's weights hold a projection of 4 dimensions, the default refuses them...
    torch.save({"_projection.weight": torch.zeros(4, 6)}, work / "out" / "encoder" / "best.th")
    result = sentence_encoder()
    assert result.returncode != 0
    assert "kept a projection of width 0, not 4 (PROJECTION): move it away" in result.stderr
    assert not argv.exists()
    # ... and PROJECTION=0 keeps them as finished.
    env.update(PROJECTION="0")
    result = sentence_encoder()
    assert result.returncode == 0, result.stderr
    assert "mrpc_from_encoder: skipped" in result.stdout
    argv.unlink()
    env.update(OUT="out_projected")
    result = sentence_encoder()
    assert result.returncode == 0, result.stderr
    made = trains()
    assert " PROJECTION=0 " in made["out_projected/mrpc/from_encoder"]
    assert " PROJECTION=0 " in made["out_projected/mrpc/random_init"]
    # Only the encoder's own width builds (the initializer refuses another): no other is taken.
    for projection in ("384", "00", "-1", "x"):
        env.update(OUT="out_bad", PROJECTION=projection)
        result = sentence_encoder()
        assert result.returncode != 0
        assert f"PROJECTION={projection}: unset (the encoder's own) or 0 (none)" in result.stderr
        assert not (work / "out_bad").exists()


def test_without_teacher_amp_every_step_trains_in_the_default_precision(tmp_path):
    calls = run_pipeline(tmp_path)
    assert [call for call in calls if call.startswith("train ")] == [
        "train DISTILL_AMP= DISTILL_TRAIN=train.tsv"
    ] * 3


@pytest.mark.parametrize(
    "task, runtime", [("sst2", "onnxruntime"), ("stsb", "onnxruntime"), ("conll2003", "torch")]
)
def test_sentence_and_pair_teachers_label_with_onnxruntime_and_taggers_with_torch(
    tmp_path, task, runtime
):
    run_pipeline(tmp_path, TASK=task)
    assert json.loads((tmp_path / "calls.txt.predictor_args").read_text())["runtime"] == runtime


@pytest.mark.parametrize(
    "task, predictor",
    [
        ("sst2", TransferSetPredictor),
        ("stsb", TransferSetPredictor),
        ("ud_pos", TaggingTransferSetPredictor),
        ("conll2003", TaggingTransferSetPredictor),
    ],
)
def test_the_transfer_set_step_passes_only_arguments_its_predictor_takes(tmp_path, task, predictor):
    # `allennlp transfer-set` hands these to the predictor's constructor (Predictor.from_archive's
    # extra_args): a key it does not take is a TypeError after the teacher has been trained.
    run_pipeline(tmp_path, TASK=task, PRECISION="bf16", COMPILE="1")
    args = json.loads((tmp_path / "calls.txt.predictor_args").read_text())
    assert args["n_iter"] == 4 and args["precision"] == "bf16" and args["compile"] is True
    assert args["runtime"] == "torch"
    assert set(args) <= set(inspect.signature(predictor.__init__).parameters)


def test_unlabelled_sentences_are_labelled_without_copies_for_the_student_alone(tmp_path):
    unlabelled = tmp_path / "unlabelled.jsonl"
    unlabelled.write_text('{"tokens": ["Paris"]}\n')
    run_pipeline(tmp_path, TASK="conll2003", UNLABELLED=str(unlabelled), PRECISION="bf16")
    run = tmp_path / "run"
    argv = (tmp_path / "calls.txt.argv").read_text().splitlines()
    labels = [line for line in argv if line.startswith("transfer-set ")]
    assert len(labels) == 2
    assert f" train.tsv -o {run}/transfer.jsonl " in labels[0] and '"n_iter": 4' in labels[0]
    assert f" {unlabelled} -o {run}/transfer_unlabelled.jsonl " in labels[1]
    assert '"n_iter": 0' in labels[1] and '"precision": "bf16"' in labels[1]
    student = next(line for line in argv if f" -s {run}/student " in line)
    assert f"TRANSFER={run}/transfer_student.jsonl " in student
    written = [json.loads(line) for line in (run / "transfer_student.jsonl").open()]
    assert written == [
        {"written_to": f"{run}/{name}.jsonl"} for name in ("transfer", "transfer_unlabelled")
    ]


@pytest.mark.parametrize(
    "task, variant, distill, baseline",
    [
        ("conll2003", "casing", "conll2003_distill_casing", "conll2003_baseline_casing"),
        ("sst2", "seed2", "sst2_distill", "sst2_baseline"),  # no such configs: the task's own
    ],
)
def test_a_variant_trains_its_own_student_and_baseline_beside_the_runs_teacher(
    tmp_path, task, variant, distill, baseline
):
    run_pipeline(tmp_path, TASK=task, TEST="test.tsv")
    first = (tmp_path / "calls.txt.argv").read_text().splitlines()
    (tmp_path / "bin").rename(tmp_path / "bin1")
    (tmp_path / "calls.txt.argv").unlink()
    run_pipeline(tmp_path, TASK=task, TEST="test.tsv", VARIANT=variant)
    argv = (tmp_path / "calls.txt.argv").read_text().splitlines()
    run = tmp_path / "run"
    trains = [line.split(" TRANSFER=")[0] for line in argv if line.startswith("train ")]
    # The teacher is the run's (skipped), the transfer set only checked.
    assert trains == [
        f"train training_config/{distill}.jsonnet -s {run}/student_{variant} "
        "--include-package allennlp_distill",
        f"train training_config/{baseline}.jsonnet -s {run}/baseline_{variant} "
        "--include-package allennlp_distill",
    ]
    evaluated = [line.split()[1] for line in argv if line.startswith("evaluate ")]
    assert evaluated == [
        f"{run}/{model}/model.tar.gz"
        for model in ("student_" + variant, "baseline_" + variant)
        for _ in ("dev", "test")
    ]
    assert any(f"predict {run}/student_{variant}/model.tar.gz" in line for line in argv)
    assert sum(line.startswith("train ") for line in first) == 3  # the first run: all three
    for name, problem in [("bad", "a name of letters"), ("new", "has none")]:
        (tmp_path / name).mkdir()
        message = pipeline_error(tmp_path / name, VARIANT="seed 2" if name == "bad" else variant)
        assert problem in message
    # An export where the variant's baseline would train is refused, not deleted.
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "run").symlink_to(run)  # the finished run, under a fresh stand-in
    export = tmp_path / "kept" / "run" / f"baseline_{variant}_x"
    export.mkdir()
    (export / "student.ts").touch()
    message = pipeline_error(tmp_path / "kept", TASK=task, VARIANT=f"{variant}_x")
    assert f"{export} holds something other than a training run" in message
    assert (export / "student.ts").exists()


def test_a_run_trained_on_other_data_is_refused_before_anything_trains(tmp_path):
    # A finished student in OUT, trained on the transfer set alone: with UNLABELLED it would be
    # kept (skipped as finished) though the student should learn from both transfer sets.
    student = tmp_path / "run" / "student"
    student.mkdir(parents=True)
    (student / "config.json").write_text(
        json.dumps({"train_data_path": f"{student.parent}/transfer.jsonl"})
    )
    (student / "metrics.json").touch()
    unlabelled = tmp_path / "unlabelled.jsonl"
    unlabelled.write_text('{"tokens": ["Paris"]}\n')
    message = pipeline_error(tmp_path, TASK="conll2003", UNLABELLED=str(unlabelled))
    assert f"{student} was trained on {student.parent}/transfer.jsonl, not " in message
    assert f"{student.parent}/transfer_student.jsonl: move it away" in message
    # The same run without UNLABELLED is the finished student it is.
    (tmp_path / "again").mkdir()
    calls = run_pipeline(tmp_path / "again", TASK="conll2003", OUT=str(tmp_path / "run"))
    assert not any(f"-s {student} " in line for line in calls)


@pytest.mark.parametrize(
    "variables, message",
    [
        ({"TASK": "ud_pos", "PRECISION": "fp8"}, "PRECISION=fp8: fp32, bf16 or fp16"),
        ({"TASK": "ud_pos", "RUNTIME": "onnxruntime"}, "not taggers; TASK=ud_pos needs torch"),
        ({"RUNTIME": "onnxruntime", "PRECISION": "bf16"}, "PRECISION=bf16: the torch runtime"),
        ({"RUNTIME": "tensorrt"}, "RUNTIME=tensorrt: torch or onnxruntime"),
        ({"RUNTIME": "onnxruntime", "COMPILE": "1"}, "COMPILE=1: the torch runtime only"),
        ({"COMPILE": "yes"}, "COMPILE=yes: 1, or unset"),
        ({"UNLABELLED": "u.jsonl"}, "UNLABELLED=u.jsonl: for a tagging task; TASK=sst2"),
        ({"TASK": "conll2003", "UNLABELLED": "/no/u.jsonl"}, "/no/u.jsonl: no such file"),
        ({"TASK": "conll2003", "UNLABELLED": "README.md"}, "README.md: not JSON lines of"),
    ],
)
def test_labelling_settings_a_teacher_cannot_use_are_refused_before_it_trains(
    tmp_path, variables, message
):
    assert message in pipeline_error(tmp_path, **variables)


def test_pair_students_distil_every_twin_on_the_transfer_set_and_report_the_held_out_file(tmp_path):
    # SICK's labelled test set is the held-out file by default.
    run_pipeline(tmp_path, "scripts/pair_students.sh", TASK="sick", STUDENT_EPOCHS="3")
    argv = (tmp_path / "calls.txt.argv").read_text().splitlines()
    assert json.loads((tmp_path / "calls.txt.predictor_args").read_text())["n_iter"] == 10
    run = tmp_path / "run"
    transfer = f"TRANSFER={run}/transfer.jsonl"
    teacher = f"{run}/teacher/model.tar.gz"
    for arch, epochs, start in (("cnn", 3, ""), ("transformer", 3, ""), ("truncated", "", teacher)):
        train = f"train training_config/sick_distill_{arch}.jsonnet -s {run}/student_{arch} "
        assert [f"{transfer} EPOCHS={epochs} FROM={start} WORD_VECTORS=" in line for line in argv
                if line.startswith(train)] == [True]  # fmt: skip
    plugin = "--include-package allennlp_distill"
    exports = [line.split(" TRANSFER=")[0] for line in argv if line.startswith("distill-export")]
    assert exports == [
        f"distill-export {run}/{name}/model.tar.gz -o {run}/{name}_export --force {plugin}"
        for name in ("student", "student_cnn", "student_transformer", "student_truncated")
    ] + [
        f"distill-export {run}/student/model.tar.gz -o {run}/student_export_int8 --int8 --force "
        + plugin
    ]
    (report,) = [line.split(" TRANSFER=")[0] for line in argv if line.startswith("distill-report")]
    models = {
        "teacher": "teacher/model.tar.gz",
        "student": "student/model.tar.gz",
        "baseline": "baseline/model.tar.gz",
        "student ": "student/model.tar.gz:int8",
        "exported": "student_export",
        "exported ": "student_export_int8",
        "cnn-student": "student_cnn/model.tar.gz",
        "cnn-exported": "student_cnn_export",
        "transformer-student": "student_transformer/model.tar.gz",
        "transformer-exported": "student_transformer_export",
        "truncated": "student_truncated/model.tar.gz",
        "truncated ": "student_truncated/model.tar.gz:int8",
        "truncated-exported": "student_truncated_export",
    }
    assert report == " ".join(
        ["distill-report"]
        + [f"{name.strip()}={run}/{path}" for name, path in models.items()]
        + [
            "--eval-file dev.tsv --heldout-file ../shared/data/sick/SICK_test_annotated.tsv",
            f"--output-dir {run}/report --threads 2 {plugin}",
        ]  # fmt: skip
    )


@pytest.mark.parametrize(
    "task, message",
    [
        ("sst2", "TASK=sst2 is not a pair task"),
        ("stsb", "TASK=stsb has no training_config/stsb_distill_cnn.jsonnet"),
    ],
)
def test_pair_students_refuse_a_task_without_its_twins_before_anything_trains(
    tmp_path, task, message
):
    assert message in pipeline_error(tmp_path, "scripts/pair_students.sh", TASK=task)
