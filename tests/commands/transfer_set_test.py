import json
import os
import signal
import subprocess
import sys
import time

import pytest
from allennlp.common.checks import ConfigurationError
from allennlp.predictors import Predictor

from allennlp_distill.commands import write_transfer_set
from allennlp_distill.commands.transfer_set import file_sha256, provenance
from allennlp_distill.dataset_readers import DataFormatError, TeacherLogitsReader
from allennlp_distill.dataset_readers.rows import progress_path
from tests.conftest import FIXTURES, REPO, run_allennlp

TRAIN = FIXTURES / "sst2_train.tsv"
PREDICTOR_ARGS = json.dumps({"n_iter": 3, "unigram_file": str(TRAIN)})


@pytest.fixture(scope="module")
def long_input(tmp_path_factory):
    """600 distinct labelled sentences made from the fixture's, so a run takes a few seconds."""
    rows = [line.split("\t") for line in TRAIN.read_text().splitlines()[1:]]
    path = tmp_path_factory.mktemp("input") / "train.tsv"
    lines = [f"{rows[i % 16][0]} number {i}\t{rows[i % 16][1]}" for i in range(600)]
    path.write_text("sentence\tlabel\n" + "\n".join(lines) + "\n")
    return path


def command(archive, input_file, output_file):
    return [
        "transfer-set", str(archive), str(input_file), "-o", str(output_file),
        "--batch-size", "4", "--predictor-args", PREDICTOR_ARGS,
    ]  # fmt: skip


def test_a_run_killed_mid_way_resumes_to_the_same_bytes_as_an_uninterrupted_run(
    tiny_teacher_archive, tiny_teacher_env, long_input, tmp_path
):
    whole = tmp_path / "whole.jsonl"
    run_allennlp(*command(tiny_teacher_archive, long_input, whole), env=tiny_teacher_env)

    resumed = tmp_path / "resumed.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "allennlp", *command(tiny_teacher_archive, long_input, resumed)],
        cwd=REPO,
        env={**os.environ, **tiny_teacher_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    record = progress_path(str(resumed))
    done = 0
    while process.poll() is None and done < 40:
        time.sleep(0.02)
        if os.path.exists(record):
            with open(record) as record_file:
                done = json.load(record_file)["input_lines"]
    process.send_signal(signal.SIGKILL)
    process.wait()
    with open(record) as record_file:
        interrupted = json.load(record_file)
    assert 40 <= interrupted["input_lines"] < 600 and not interrupted.get("complete")

    run_allennlp(*command(tiny_teacher_archive, long_input, resumed), env=tiny_teacher_env)
    assert resumed.read_bytes() == whole.read_bytes()
    texts = [json.loads(line)["sentence"] for line in whole.read_text().splitlines()]
    assert len(texts) == len(set(texts)) and len(texts) > 600


@pytest.fixture()
def new_predictor(tiny_teacher_archive):
    def build():
        return Predictor.from_path(
            str(tiny_teacher_archive), "transfer_set", unigram_file=str(TRAIN), n_iter=2
        )

    return build


def test_a_half_written_batch_is_cut_back_and_written_again(new_predictor, tmp_path):
    whole = tmp_path / "whole.jsonl"
    write_transfer_set(new_predictor(), str(TRAIN), str(whole), batch_size=4)
    # The output after the first batch (the header and 3 sentences) of the same run.
    head = tmp_path / "head.tsv"
    head.write_text("".join(TRAIN.read_text().splitlines(keepends=True)[:4]))
    first = tmp_path / "first.jsonl"
    write_transfer_set(new_predictor(), str(head), str(first), batch_size=4)
    prefix = first.read_bytes()
    assert whole.read_bytes().startswith(prefix)
    # As if killed while appending the second batch: a line and a half more, not recorded.
    resumed = tmp_path / "resumed.jsonl"
    rest = whole.read_bytes()[len(prefix) :]
    resumed.write_bytes(prefix + rest[: rest.index(b"\n") + 20])
    with open(progress_path(str(resumed)), "w") as record_file:
        json.dump({"input_lines": 4, "bytes": len(prefix)}, record_file)

    write_transfer_set(new_predictor(), str(TRAIN), str(resumed), batch_size=4)
    assert resumed.read_bytes() == whole.read_bytes()


def test_an_output_not_written_by_the_command_is_left_alone(new_predictor, tmp_path):
    output = tmp_path / "transfer.jsonl"
    output.write_text('{"sentence": "precious"}\n')
    with pytest.raises(ConfigurationError, match="no .*progress"):
        write_transfer_set(new_predictor(), str(TRAIN), str(output))
    assert output.read_text() == '{"sentence": "precious"}\n'


def test_a_reader_refuses_an_unfinished_transfer_set_and_a_run_its_gone_output(
    new_predictor, tmp_path
):
    output = tmp_path / "transfer.jsonl"
    write_transfer_set(new_predictor(), str(TRAIN), str(output), batch_size=4)
    record = progress_path(str(output))
    finished = json.loads(open(record).read())
    assert len(list(TeacherLogitsReader().read(str(output)))) > 16
    # As if the run was killed: the record says how far it got, without "complete".
    with open(record, "w") as record_file:
        json.dump({**finished, "complete": False, "input_lines": 8}, record_file)
    unfinished = f"{output} is an unfinished transfer set .*8 input lines.*run the same command"
    with pytest.raises(ConfigurationError, match=unfinished):
        list(TeacherLogitsReader().read(str(output)))
    output.unlink()  # a record without its output: named, not a bare FileNotFoundError
    with pytest.raises(ConfigurationError, match=f"{output}, which is gone: remove the record"):
        write_transfer_set(new_predictor(), str(TRAIN), str(output))
    assert not output.exists()


def test_a_complete_output_is_not_written_again(new_predictor, tmp_path):
    output = tmp_path / "transfer.jsonl"
    write_transfer_set(new_predictor(), str(TRAIN), str(output), batch_size=4)
    before = output.read_bytes()
    assert write_transfer_set(new_predictor(), str(TRAIN), str(output))["complete"]
    assert output.read_bytes() == before


@pytest.mark.parametrize(
    "content, problem, before_labelling",
    [
        (b"sentence\tlabel\ngood film\t1\n\nbad\t1\textra\n", ":4: 3 tab-separated columns", True),
        (b"sentence\tlabel\ngood film\t1\n\xff\xfe\t1\n", ":3: not valid UTF-8", True),
        (b"a film\t1\n", ":1: the header .* has no column 'sentence'", True),
        (b'{"sentence": "x"\n', ":1: invalid JSON", True),
        (b"sentence\tlabel\ngood film\t1\nbad film\t7\n", ":3: label '7' is not one the teacher",
         True),
        (b"sentence\tlabel\ngood\t0\n \t1\n",
         ":3: empty text: nothing to classify .*; column 'sentence'", True),
        (b"sentence\tlabel\ngood\t0\n\xe2\x80\x8b\t1\n", ":3: empty text: .*has no token", False),
        (b"sentence\tlabel\n", ":1: no data rows", False),
        (b"", ":1: no data rows", False),
    ],
)  # fmt: skip
def test_a_bad_input_line_names_the_file_and_its_line(
    new_predictor, tmp_path, content, problem, before_labelling
):
    input_file = tmp_path / "train.tsv"
    input_file.write_bytes(content)
    output = tmp_path / "out.jsonl"
    with pytest.raises(DataFormatError, match=f"train.tsv{problem}"):
        write_transfer_set(new_predictor(), str(input_file), str(output))
    if before_labelling:  # found by the check of the whole input: nothing is written
        assert not output.exists() and not os.path.exists(progress_path(str(output)))
    else:
        assert not json.loads(open(progress_path(str(output))).read()).get("complete")


def test_a_teacher_of_other_labels_is_refused_before_anything_is_written(
    new_predictor, tiny_teacher_archive, tmp_path
):
    # The fixture teacher knows 0 and 1; a file of 1s alone is another task's (or a 1-label one).
    input_file = tmp_path / "train.tsv"
    input_file.write_text("sentence\tlabel\ngood film\t1\nfine film\t1\n")
    output = tmp_path / "out.jsonl"
    refused = "train.tsv: the teacher's labels are 0, 1, but no row has '0' .*another task"
    with pytest.raises(ConfigurationError, match=refused):
        write_transfer_set(new_predictor(), str(input_file), str(output))
    assert not output.exists() and not os.path.exists(progress_path(str(output)))
    # A file that lacks a label on purpose is labelled with check_labels off.
    unchecked = Predictor.from_path(
        str(tiny_teacher_archive), "transfer_set", unigram_file=str(TRAIN), check_labels=False
    )
    assert write_transfer_set(unchecked, str(input_file), str(output))["complete"]
    # Unlabelled text has no gold label to compare, and is labelled.
    input_file.write_text("sentence\ngood film\nfine film\n")
    assert write_transfer_set(new_predictor(), str(input_file), str(output), force=True)["complete"]


def test_a_bad_unigram_file_line_is_named_by_its_own_file_and_line(tiny_teacher_archive, tmp_path):
    # The unigram file is read once the first batch is labelled: its errors keep their own
    # file and line (the input's line numbers must not be applied to them).
    unigram_file = tmp_path / "unigrams.tsv"
    rows = [f"a good film number {n}\t1" for n in range(30)] + ["\t0"]
    unigram_file.write_text("sentence\tlabel\n" + "\n".join(rows) + "\n")
    predictor = Predictor.from_path(
        str(tiny_teacher_archive), "transfer_set", unigram_file=str(unigram_file), n_iter=2
    )
    with pytest.raises(DataFormatError, match=f"{unigram_file}:32: empty text"):
        write_transfer_set(predictor, str(TRAIN), str(tmp_path / "out.jsonl"), batch_size=4)


@pytest.fixture()
def other_input(tmp_path):
    """The fixture's training set less its last row."""
    path = tmp_path / "other.tsv"
    path.write_text("".join(TRAIN.read_text().splitlines(keepends=True)[:-1]))
    return path


def test_a_finished_transfer_set_of_another_input_is_refused_and_force_starts_again(
    new_predictor, tiny_teacher_archive, other_input, tmp_path
):
    output = tmp_path / "transfer.jsonl"
    predictor = new_predictor()
    write_transfer_set(
        predictor,
        str(TRAIN),
        str(output),
        4,
        provenance(predictor, str(tiny_teacher_archive), str(TRAIN)),
    )
    before = output.read_bytes()
    predictor = new_predictor()
    made = provenance(predictor, str(tiny_teacher_archive), str(other_input))
    with pytest.raises(ConfigurationError, match="another input_sha256 than .*--force"):
        write_transfer_set(predictor, str(other_input), str(output), 4, made)
    assert output.read_bytes() == before
    write_transfer_set(predictor, str(other_input), str(output), 4, made, force=True)
    fresh = tmp_path / "fresh.jsonl"
    predictor = new_predictor()
    write_transfer_set(predictor, str(other_input), str(fresh), 4, made)
    assert output.read_bytes() == fresh.read_bytes() != before


@pytest.mark.parametrize("change", ["n_iter", "teacher"])
def test_an_interrupted_run_is_not_resumed_with_other_settings_or_another_teacher(
    tiny_teacher_archive, tmp_path, change
):
    def predictor(n_iter):
        return Predictor.from_path(
            str(tiny_teacher_archive), "transfer_set", unigram_file=str(TRAIN), n_iter=n_iter
        )

    # Another teacher: an archive of other bytes (a retrained or other model) under another name.
    other_teacher = tmp_path / "other_teacher.tar.gz"
    other_teacher.write_bytes(tiny_teacher_archive.read_bytes() + b"\0")

    head = tmp_path / "head.tsv"
    head.write_text("".join(TRAIN.read_text().splitlines(keepends=True)[:5]))
    output = tmp_path / "transfer.jsonl"
    first = predictor(2)
    made = provenance(first, str(tiny_teacher_archive), str(TRAIN))
    write_transfer_set(first, str(head), str(output), 4, made)
    # As if killed after the first batch of the whole file: not complete.
    record = json.loads(open(progress_path(str(output))).read())
    record["complete"] = False
    open(progress_path(str(output)), "w").write(json.dumps(record))
    before = output.read_bytes()
    second = predictor(3 if change == "n_iter" else 2)
    teacher = other_teacher if change == "teacher" else tiny_teacher_archive
    with pytest.raises(ConfigurationError, match=f"another {change}(_sha256)? than"):
        write_transfer_set(
            second, str(TRAIN), str(output), 4, provenance(second, str(teacher), str(TRAIN))
        )
    assert output.read_bytes() == before


def test_a_transfer_set_from_before_provenance_is_refused_until_forced(new_predictor, tmp_path):
    output = tmp_path / "transfer.jsonl"
    write_transfer_set(new_predictor(), str(TRAIN), str(output), 4)  # records no provenance
    predictor = new_predictor()
    made = {"input_sha256": file_sha256(str(TRAIN)), "settings": predictor.settings}
    with pytest.raises(ConfigurationError, match="records no provenance.*--force"):
        write_transfer_set(predictor, str(TRAIN), str(output), 4, made)
    assert write_transfer_set(predictor, str(TRAIN), str(output), 4, made, force=True)["complete"]
