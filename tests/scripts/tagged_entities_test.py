import importlib.util
import json

from tests.conftest import REPO


def test_counts_follow_the_teachers_argmax_and_skip_copies_when_asked(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "tagged_entities", REPO / "scripts/tagged_entities.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = [
        # argmax: B-PER I-PER O O -> one entity, two entity tokens
        {"tokens": ["Angela", "Merkel", "said", "."], "augmented": False,
         "teacher_logits": {"O": [0, 0, 5, 5], "B-PER": [3, 0, 0, 0], "I-PER": [0, 4, 0, 0]}},
        # argmax: O O -> no entity
        {"tokens": ["it", "rained"], "augmented": False,
         "teacher_logits": {"O": [1, 1], "B-PER": [0, 0], "I-PER": [0, 0]}},
        {"tokens": ["Paris"], "augmented": True,
         "teacher_logits": {"O": [0], "B-PER": [1], "I-PER": [0]}},
    ]  # fmt: skip
    path = tmp_path / "transfer.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    counts = module.entity_counts(str(path), originals_only=True)
    assert counts["sentences"] == 2
    assert counts["entity_tokens_percent"] == 100 * 2 / 6
    assert counts["sentences_with_entity_percent"] == 50
    assert counts["entities_per_100_tokens"] == 100 * 1 / 6
    assert counts["types_percent"] == {"PER": 100}
    assert module.entity_counts(str(path))["entities_per_100_tokens"] == 100 * 2 / 7
