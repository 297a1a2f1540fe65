"""
A held-out slice of a sentence-pair task's training file, for a task whose test split has no
labels (GLUE MRPC): no step of the pipeline touches it, neither the teacher, the transfer set, the
student's vocabulary nor early stopping, so it measures what a user gets on pairs never seen.

`size` pairs are drawn with a fixed seed, and every other training pair that shares a sentence
with a held-out one leaves training too (MRPC repeats some sentences across pairs; a held-out
sentence seen in training would flatter the figure).

    python -m allennlp_distill.corpora.pairs_heldout ../shared/data/glue/MRPC runs/mrpc/data

writes `train.tsv` (the pairs left), `dev.tsv` (the task's dev file, copied) and `heldout.tsv`,
each with the input's header and columns, all three written whole or not at all
(`write_files_atomically`).
"""

import argparse
import os
import random
from typing import Dict, List, Sequence, Tuple

from allennlp_distill.corpora.files import tsv_bytes, write_files_atomically
from allennlp_distill.dataset_readers.rows import iter_rows

#: MRPC's sentence columns (GLUE's header).
MRPC_COLUMNS = ("#1 String", "#2 String")


def _key(text: str) -> str:
    return " ".join(text.split())


def split_pairs(
    rows: List[Dict[str, str]], columns: Sequence[str], size: int, seed: int
) -> Tuple[List[Dict[str, str]], List[Dict[str, str]]]:
    """
    `(train, heldout)`: `size` rows drawn with `random.Random(seed)`, and the rows that share no
    sentence (compared with whitespace collapsed) with any of them, both in their input order.

    # Raises
    `ValueError` when `size` is not between 1 and the number of rows.
    """
    if not 0 < size <= len(rows):
        raise ValueError(f"a held-out slice of {size} pairs from {len(rows)} training pairs")
    chosen = set(random.Random(seed).sample(range(len(rows)), size))
    heldout = [row for index, row in enumerate(rows) if index in chosen]
    held_sentences = {_key(row[column]) for row in heldout for column in columns}
    train = [
        row
        for index, row in enumerate(rows)
        if index not in chosen and not any(_key(row[c]) in held_sentences for c in columns)
    ]
    return train, heldout


def write_splits(
    task_dir: str,
    out_dir: str,
    columns: Sequence[str] = MRPC_COLUMNS,
    size: int = 400,
    seed: int = 13370,
) -> Dict[str, int]:
    """
    Writes `train.tsv`, `dev.tsv` and `heldout.tsv` into `out_dir` from `task_dir`'s `train.tsv`
    and `dev.tsv` (headed TSV, read as every reader reads them: BOM, CRLF, no quoting).

    # Returns
    The number of rows in each file, and `removed`: training pairs dropped for sharing a
    sentence with a held-out pair.

    # Raises
    `DataFormatError` naming `file:line` for a missing column or a row of the wrong width;
    `ValueError` for a `size` larger than the training file. Nothing is written then.
    """
    train_file = os.path.join(task_dir, "train.tsv")
    rows = [row for _, row in iter_rows(train_file, required_columns=columns)]
    header = list(rows[0])
    train, heldout = split_pairs(rows, columns, size, seed)
    dev_file = os.path.join(task_dir, "dev.tsv")
    dev_rows = sum(1 for _ in iter_rows(dev_file, required_columns=columns))
    with open(dev_file, "rb") as dev:
        dev_bytes = dev.read()
    write_files_atomically(
        out_dir,
        {
            "train.tsv": tsv_bytes(header, ([row[c] for c in header] for row in train)),
            "heldout.tsv": tsv_bytes(header, ([row[c] for c in header] for row in heldout)),
            "dev.tsv": dev_bytes,
        },
    )
    removed = len(rows) - len(train) - len(heldout)
    return {"train": len(train), "dev": dev_rows, "heldout": len(heldout), "removed": removed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task_dir", help="the task's folder (train.tsv, dev.tsv), e.g. GLUE MRPC")
    parser.add_argument("out_dir")
    parser.add_argument(
        "--columns", nargs=2, default=list(MRPC_COLUMNS), help="the two sentence columns (MRPC's)"
    )
    parser.add_argument("--size", type=int, default=400, help="held-out pairs (400)")
    parser.add_argument("--seed", type=int, default=13370)
    args = parser.parse_args()
    counts = write_splits(args.task_dir, args.out_dir, args.columns, args.size, args.seed)
    print(
        f"train: {counts['train']} pairs ({counts['removed']} more left out: they share a "
        f"sentence with a held-out pair), dev: {counts['dev']}, heldout: {counts['heldout']}"
    )


if __name__ == "__main__":
    main()
