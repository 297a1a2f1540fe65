"""
Sharded labelling (`allennlp transfer-set --num-shards N --shard-index K`) and
`allennlp transfer-set-merge`: N shards join into the transfer set of one run.
"""

import json
import os

import pytest
from allennlp.common.checks import ConfigurationError
from allennlp.predictors import Predictor

import allennlp_distill.commands.transfer_set as transfer_set_module
from allennlp_distill.commands import merge_transfer_set_shards, write_transfer_set
from allennlp_distill.commands.transfer_set import (
    check_shard,
    progress_path,
    provenance,
    shard_lines,
    shard_path,
)
from tests.conftest import FIXTURES, run_allennlp

TRAIN = FIXTURES / "sst2_train.tsv"


@pytest.fixture(scope="module")
def numbered_input(tmp_path_factory):
    """
    150 labelled sentences made from the fixture's: the same words with another number each,
    so that masking the number makes equal augmented copies of different lines, in different
    shards too.
    """
    rows = [line.split("\t") for line in TRAIN.read_text().splitlines()[1:]]
    path = tmp_path_factory.mktemp("input") / "train.tsv"
    lines = [f"{rows[i % 16][0]} number {i}\t{rows[i % 16][1]}" for i in range(150)]
    path.write_text("sentence\tlabel\n" + "\n".join(lines) + "\n")
    return path


@pytest.fixture()
def label(tiny_teacher_archive):
    """Writes a transfer set (or shard) of an input with a new predictor, as the command does."""

    def write(input_file, output_file, batch_size, shard=None):
        predictor = Predictor.from_path(
            str(tiny_teacher_archive), "transfer_set", unigram_file=str(TRAIN), n_iter=3
        )
        made = provenance(predictor, str(tiny_teacher_archive), str(input_file))  # type: ignore
        if shard is not None:
            output_file = shard_path(str(output_file), *shard)
        return write_transfer_set(
            predictor, str(input_file), str(output_file), batch_size, made, shard=shard
        )

    return write


def rows(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def assert_same_transfer_set(merged, whole):
    """The same rows in the same order; logits equal to the 5 decimals written (± rounding)."""
    assert len(merged) == len(whole)
    for ours, theirs in zip(merged, whole):
        logits, their_logits = ours.pop("teacher_logits"), theirs.pop("teacher_logits")
        assert ours == theirs
        assert logits.keys() == their_logits.keys()
        for name, value in logits.items():
            assert value == pytest.approx(their_logits[name], abs=1.1e-5)


def test_three_shards_merge_into_the_one_process_transfer_set(label, numbered_input, tmp_path):
    whole = tmp_path / "whole.jsonl"
    label(numbered_input, whole, batch_size=16)
    output = tmp_path / "transfer.jsonl"
    for index in range(3):
        label(numbered_input, output, batch_size=7, shard=(index, 3))
    shard_rows = [rows(shard_path(str(output), index, 3)) for index in range(3)]
    merged = merge_transfer_set_shards(str(output), 3)

    assert_same_transfer_set(rows(output), rows(whole))
    # The shards overlap (copies that mask the number), and the merge dropped what one run drops.
    assert sum(map(len, shard_rows)) > len(rows(whole))
    whole_record = json.loads(open(progress_path(str(whole))).read())
    assert merged["provenance"] == whole_record["provenance"]
    assert merged["input_lines"] == whole_record["input_lines"] == 151
    # `transfer-set` takes the merge for the finished run of the same input, teacher and settings.
    before = output.read_bytes()
    assert label(numbered_input, output, batch_size=16)["complete"]
    assert output.read_bytes() == before


def test_the_shards_are_consecutive_and_cover_every_line_once():
    for total in (1, 2, 7, 151):
        for count in (1, 2, 3, 8):
            parts = [shard_lines(total, index, count) for index in range(count)]
            covered = [n for first, last in parts for n in range(first, last + 1)]
            assert covered == list(range(1, total + 1))
            sizes = [last - first + 1 for first, last in parts]
            assert max(sizes) - min(sizes) <= 1


def test_a_killed_shard_resumes_to_the_bytes_of_an_uninterrupted_one(
    label, numbered_input, tmp_path, monkeypatch
):
    label(numbered_input, tmp_path / "whole.jsonl", batch_size=7, shard=(1, 3))
    append = transfer_set_module._append
    calls = []

    def killed_after_two_batches(*args, **kwargs):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(args)
        return append(*args, **kwargs)

    monkeypatch.setattr(transfer_set_module, "_append", killed_after_two_batches)
    output = tmp_path / "resumed.jsonl"
    with pytest.raises(KeyboardInterrupt):
        label(numbered_input, output, batch_size=7, shard=(1, 3))
    shard = shard_path(str(output), 1, 3)
    record = json.loads(open(progress_path(shard)).read())
    # Shard 1 of 3 of 151 lines is lines 51-100: two batches of 7 are done.
    assert record["input_lines"] == 64 and not record.get("complete")
    monkeypatch.setattr(transfer_set_module, "_append", append)
    label(numbered_input, output, batch_size=7, shard=(1, 3))
    whole_shard = shard_path(str(tmp_path / "whole.jsonl"), 1, 3)
    assert open(shard, "rb").read() == open(whole_shard, "rb").read()


@pytest.mark.parametrize(
    "num_shards, shard_index, message",
    [
        (2, 2, "--shard-index 2 is not one of the 2 shards"),
        (2, -1, "--shard-index -1 is not one of the 2 shards"),
        (0, 0, "--num-shards 0"),
        (2, None, "give both or neither"),
    ],
)
def test_a_shard_outside_the_shards_is_refused(num_shards, shard_index, message):
    with pytest.raises(ConfigurationError, match=message):
        check_shard(num_shards, shard_index)


@pytest.fixture()
def two_shards(label, tmp_path):
    output = tmp_path / "transfer.jsonl"
    for index in range(2):
        label(TRAIN, output, batch_size=4, shard=(index, 2))
    return output


def _edit_record(path, **changes):
    """Changes the progress record of `path`: a key of the record, else of its provenance."""
    record = json.loads(open(progress_path(path)).read())
    for key, value in changes.items():
        if key in record:
            record[key] = value
        else:
            record["provenance"][key] = value
    open(progress_path(path), "w").write(json.dumps(record))


@pytest.mark.parametrize(
    "problem, message",
    [
        ("missing", r"shard 1 of 2 \(.*shard-00001-of-00002\) is missing"),
        ("teacher", r"shard-00001-of-00002 was made from another teacher_sha256 than"),
        ("settings", r"was made from another n_iter than"),
        ("incomplete", r"shard 1 of 2 .* is not complete \(9 input lines done\)"),
        ("number", r"records shard \{'index': 0, 'count': 2\} .*not shard 1 of 2"),
    ],
)
def test_a_merge_of_bad_shards_names_the_shard_and_writes_nothing(two_shards, problem, message):
    shard = shard_path(str(two_shards), 1, 2)
    if problem == "missing":
        os.remove(shard)
        os.remove(progress_path(shard))
    elif problem == "teacher":
        _edit_record(shard, teacher_sha256="0" * 64)
    elif problem == "settings":
        record = json.loads(open(progress_path(shard)).read())
        record["provenance"]["settings"]["n_iter"] = 20
        open(progress_path(shard), "w").write(json.dumps(record))
    elif problem == "incomplete":
        _edit_record(shard, complete=False, input_lines=9)
    else:
        _edit_record(shard, shard={"index": 0, "count": 2})
    with pytest.raises(ConfigurationError, match=message):
        merge_transfer_set_shards(str(two_shards), 2)
    assert not two_shards.exists() and not (two_shards.parent / "transfer.jsonl.tmp").exists()


def test_shards_of_an_input_without_data_rows_do_not_merge(label, tmp_path):
    header_only = tmp_path / "train.tsv"
    header_only.write_text("sentence\tlabel\n")
    output = tmp_path / "transfer.jsonl"
    for index in range(2):
        label(header_only, output, batch_size=4, shard=(index, 2))
    with pytest.raises(ConfigurationError, match="the 2 shards of .* hold no rows"):
        merge_transfer_set_shards(str(output), 2)
    assert not output.exists()


def test_the_command_line_labels_shards_and_merges_them(
    label, tiny_teacher_archive, tiny_teacher_env, tmp_path
):
    output = tmp_path / "transfer.jsonl"
    predictor_args = json.dumps({"n_iter": 3, "unigram_file": str(TRAIN)})
    for index in range(2):
        run_allennlp(
            "transfer-set", str(tiny_teacher_archive), str(TRAIN), "-o", str(output),
            "--num-shards", "2", "--shard-index", str(index), "--predictor-args", predictor_args,
            env=tiny_teacher_env,
        )  # fmt: skip
    run_allennlp("transfer-set-merge", str(output), "--num-shards", "2", env=tiny_teacher_env)
    whole = tmp_path / "whole.jsonl"
    label(TRAIN, whole, batch_size=256)
    assert_same_transfer_set(rows(output), rows(whole))
    failed = run_allennlp(
        "transfer-set", str(tiny_teacher_archive), str(TRAIN), "-o", str(output),
        "--num-shards", "2", "--shard-index", "2", env=tiny_teacher_env, fails=True,
    )  # fmt: skip
    assert "--shard-index 2 is not one of the 2 shards (0 to 1)" in failed.stderr
