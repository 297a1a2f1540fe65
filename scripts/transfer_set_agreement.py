"""How often a transfer set's teacher agrees with the gold labels it was given.

    .venv/bin/python scripts/transfer_set_agreement.py runs/sst2_mpnet/transfer.jsonl

Reads the rows of a classification transfer set (`allennlp transfer-set` output) that carry a gold
`label` (the original, not augmented, training texts) and prints how many there are and on what
share the teacher's argmax label (`teacher_logits`) equals the gold one: a teacher fine-tuned on a
sample of the training file labels the rest of it with its own errors, which the student learns.
Rows without a gold label (the augmented copies) are counted but not compared.
"""

import argparse
import json


def agreement(path: str) -> tuple[int, int, int]:
    """
    Counts `(gold rows, rows whose teacher argmax equals gold, rows without gold)` in the JSON
    lines file `path`. Raises `ValueError` naming `path:line` for a line that is not a JSON object
    with `teacher_logits` (label -> logit).
    """
    gold = agreeing = unlabelled = 0
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                row = json.loads(line)
                logits = row["teacher_logits"]
                teacher_label = max(logits, key=logits.get)
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as error:
                raise ValueError(f"{path}:{number}: not a transfer-set row ({error!r})") from None
            if row.get("label") is None:
                unlabelled += 1
                continue
            gold += 1
            agreeing += teacher_label == str(row["label"])
    return gold, agreeing, unlabelled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("transfer_set", help="a transfer set (JSON lines)")
    path = parser.parse_args().transfer_set
    gold, agreeing, unlabelled = agreement(path)
    if not gold:
        raise SystemExit(f"{path}: no row has a gold label")
    print(f"{gold:,} rows with a gold label, {unlabelled:,} without")
    print(f"teacher argmax = gold label on {agreeing:,} ({100 * agreeing / gold:.2f} %)")


if __name__ == "__main__":
    main()
