"""How often a transfer set's teacher agrees with the gold labels it was given.

    .venv/bin/python scripts/transfer_set_agreement.py runs/sst2_mpnet16000/transfer.jsonl

Reads the rows of a classification transfer set (`allennlp transfer-set` output) that carry a gold
`label` (the original, not augmented, training texts) and prints how many there are and on what
share the teacher's argmax label (`teacher_logits`) equals the gold one: a teacher fine-tuned on a
sample of the training file labels the rest of it with its own errors, which the student learns.
Rows without a gold label (the augmented copies) are counted but not compared.
"""

import argparse

from allennlp_distill.dataset_readers.rows import (
    TEACHER_LOGITS_KEY,
    DataFormatError,
    iter_rows,
    optional_label,
    read_teacher_logits,
)


def agreement(path: str) -> tuple[int, int, int]:
    """
    Counts `(gold rows, rows whose teacher argmax equals gold, rows without gold)` in the transfer
    set `path` (JSON lines), read and checked as the student's reader reads it.

    # Raises
    `DataFormatError` (a `ValueError`) naming `path:line` for a row without `teacher_logits`, or
    one the reader refuses (bad JSON, logits that are not finite numbers or change their labels,
    a gold label the teacher does not have).
    """
    gold = agreeing = unlabelled = 0
    labels = None
    for number, row in iter_rows(path):
        label = optional_label(row, "label")
        logits = read_teacher_logits(path, number, row, label, labels)
        if logits is None:
            raise DataFormatError(path, number, f"no {TEACHER_LOGITS_KEY}: not a transfer-set row")
        labels = labels or list(logits)
        if label is None:
            unlabelled += 1
            continue
        gold += 1
        agreeing += max(logits, key=logits.__getitem__) == label
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
