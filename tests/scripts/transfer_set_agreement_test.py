import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "transfer_set_agreement.py"


@pytest.fixture(scope="module")
def agreement():
    spec = importlib.util.spec_from_file_location("transfer_set_agreement", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.agreement


def write_rows(path: Path, rows) -> str:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return str(path)


def test_counts_gold_rows_where_the_teacher_argmax_equals_gold(agreement, tmp_path):
    rows = [
        {"sentence": "good", "label": "1", "teacher_logits": {"1": 2.0, "0": -1.0}},
        {"sentence": "bad", "label": "0", "teacher_logits": {"1": 0.5, "0": 0.1}},
        {"sentence": "fine", "label": 1, "teacher_logits": {"0": -3.0, "1": 3.0}},
        {"sentence": "<mask>", "augmented": True, "teacher_logits": {"1": 1.0, "0": 0.0}},
    ]
    assert agreement(write_rows(tmp_path / "t.jsonl", rows)) == (3, 2, 1)


def test_a_row_without_teacher_logits_names_its_line(agreement, tmp_path):
    rows = [{"sentence": "good", "label": "1", "teacher_logits": {"1": 1.0}}, {"sentence": "x"}]
    with pytest.raises(ValueError, match=r"t\.jsonl:2"):
        agreement(write_rows(tmp_path / "t.jsonl", rows))
