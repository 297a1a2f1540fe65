import json
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "cut_transfer_set.sh"

# Two training sentences, the first with three augmented copies, the second with one; a copy's
# text quotes the key the cut looks for (escaped by JSON, so it must not count as an original).
ROWS = [
    {"sentence": "good film", "augmented": False, "label": "1", "teacher_logits": {"1": 2.0}},
    {"sentence": "good", "augmented": True, "teacher_logits": {"1": 1.0}},
    {"sentence": 'a "augmented": false film', "augmented": True, "teacher_logits": {"1": 0.5}},
    {"sentence": "<mask> film", "augmented": True, "teacher_logits": {"1": 0.1}},
    {"sentence": "bad film", "augmented": False, "label": "0", "teacher_logits": {"1": -2.0}},
    {"sentence": "bad", "augmented": True, "teacher_logits": {"1": -1.0}},
]


def cut(tmp_path: Path, k: str) -> subprocess.CompletedProcess:
    source = tmp_path / "transfer.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    return subprocess.run(
        ["bash", str(SCRIPT), k, str(source), str(tmp_path / "cut.jsonl")],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    "k, kept",
    [("0", ["good film", "bad film"]), ("1", ["good film", "good", "bad film", "bad"])],
)
def test_keeps_every_original_and_its_first_k_copies(tmp_path, k, kept):
    assert cut(tmp_path, k).returncode == 0
    rows = [json.loads(line) for line in (tmp_path / "cut.jsonl").open(encoding="utf-8")]
    assert [row["sentence"] for row in rows] == kept
    assert rows == [row for row in ROWS if row["sentence"] in kept]


def test_k_of_n_iter_or_more_is_the_whole_transfer_set(tmp_path):
    assert cut(tmp_path, "3").returncode == 0
    assert (tmp_path / "cut.jsonl").read_text(encoding="utf-8") == (
        tmp_path / "transfer.jsonl"
    ).read_text(encoding="utf-8")


def test_a_k_that_is_not_a_whole_number_is_refused_and_writes_nothing(tmp_path):
    result = cut(tmp_path, "-1")
    assert result.returncode == 2
    assert "K must be a whole number" in result.stderr
    assert not (tmp_path / "cut.jsonl").exists()


def test_an_unfinished_transfer_set_is_refused_and_a_finished_one_cut(tmp_path):
    record = tmp_path / "transfer.jsonl.progress"
    record.write_text(json.dumps({"input_lines": 1, "bytes": 10}), encoding="utf-8")
    result = cut(tmp_path, "1")
    assert result.returncode == 1 and "unfinished transfer set" in result.stderr
    assert not (tmp_path / "cut.jsonl").exists()
    # As `allennlp transfer-set` records the end (json.dump's separators).
    record.write_text(json.dumps({"input_lines": 2, "bytes": 10, "complete": True}), "utf-8")
    assert cut(tmp_path, "1").returncode == 0
