"""
A held-out slice of GLUE SST-2 that no step of the pipeline touches: neither the teacher, the
transfer set, the student's vocabulary nor early stopping.

SST-2 has no labelled test split, and its training file holds every labelled *phrase* of the SST
training trees, so a random slice of it would leave most of each held-out sentence's phrases in
training. Instead we hold out whole sentences, as dev and test are: `size` sentences drawn with a
fixed seed from the binary SST training sentences (`stsa.binary.train.tsv`, Kim 2014) that appear
verbatim in GLUE's `train.tsv`, and remove from training every phrase that occurs only inside
held-out sentences (a phrase that is also part of a kept sentence of `stsa.fine.train.tsv`, the
8,544 training sentences, stays: it was a constituent of a kept tree too).

    python -m allennlp_distill.corpora.sst2_heldout ../shared/data/glue/SST-2 ../shared/data/sst \
        runs/sst2/data

writes `train.tsv` (the training phrases left), `dev.tsv` (GLUE dev, copied) and `heldout.tsv`,
each `sentence<TAB>label` with a header, all three written whole or not at all
(`write_files_atomically`).
"""

import argparse
import os
import random
from typing import Dict, Iterable, List, Set, Tuple

from allennlp_distill.corpora.files import tsv_bytes, write_files_atomically
from allennlp_distill.dataset_readers.rows import iter_rows


def read_tsv(path: str, text_column: str, label_column: str) -> List[Tuple[str, str]]:
    """
    `(text, label)` rows of a headed TSV file, text stripped of surrounding spaces, read by the
    readers' `iter_rows` (BOM, CRLF, no quoting).

    # Raises
    `DataFormatError` naming `path:line` for a missing column or a row of the wrong width.
    """
    return [
        (row[text_column].strip(), row[label_column])
        for _, row in iter_rows(path, required_columns=[text_column, label_column])
    ]


def token_spans(sentences: Iterable[str]) -> Set[str]:
    """Every contiguous run of whitespace tokens of every sentence, joined by single spaces."""
    spans = set()
    for sentence in sentences:
        tokens = sentence.split()
        for start in range(len(tokens)):
            for end in range(start + 1, len(tokens) + 1):
                spans.add(" ".join(tokens[start:end]))
    return spans


def split_heldout(
    glue_train: List[Tuple[str, str]],
    binary_sentences: List[Tuple[str, str]],
    all_sentences: List[str],
    size: int,
    seed: int,
) -> Tuple[List[Tuple[str, str]], List[Tuple[str, str]]]:
    """
    `(train, heldout)`: `size` whole sentences held out and the training phrases that do not
    occur only inside them (see the module docstring), both in their input order.

    # Raises
    `ValueError` when fewer than `size` binary sentences appear in the training file.
    """
    phrases = {text for text, _ in glue_train}
    candidates = [(text, label) for text, label in binary_sentences if text in phrases]
    if len(candidates) < size:
        raise ValueError(f"only {len(candidates)} SST sentences found in train.tsv, {size} asked")
    chosen = set(random.Random(seed).sample(range(len(candidates)), size))
    heldout = [row for index, row in enumerate(candidates) if index in chosen]
    heldout_texts = {text for text, _ in heldout}
    inside_heldout = token_spans(heldout_texts)
    inside_kept = token_spans(s for s in all_sentences if s not in heldout_texts)
    train = [
        (text, label)
        for text, label in glue_train
        if text not in inside_heldout or text in inside_kept
    ]
    return train, heldout


#: The header of the files written: GLUE SST-2's.
HEADER = ("sentence", "label")


def write_splits(
    glue_dir: str, sst_dir: str, out_dir: str, size: int = 1000, seed: int = 13370
) -> Dict[str, int]:
    """
    Writes `train.tsv`, `dev.tsv` and `heldout.tsv` into `out_dir` from GLUE SST-2 (`glue_dir`)
    and the SST sentence files (`sst_dir`: `stsa.binary.train.tsv`, `stsa.fine.train.tsv`).

    # Returns
    The number of rows in each file.
    """
    glue_train = read_tsv(os.path.join(glue_dir, "train.tsv"), "sentence", "label")
    binary = read_tsv(os.path.join(sst_dir, "stsa.binary.train.tsv"), "sentence", "label")
    fine = read_tsv(os.path.join(sst_dir, "stsa.fine.train.tsv"), "sentence", "label")
    train, heldout = split_heldout(glue_train, binary, [text for text, _ in fine], size, seed)
    dev_file = os.path.join(glue_dir, "dev.tsv")
    dev_rows = len(read_tsv(dev_file, "sentence", "label"))
    with open(dev_file, "rb") as dev:
        dev_bytes = dev.read()
    write_files_atomically(
        out_dir,
        {
            "train.tsv": tsv_bytes(HEADER, train),
            "heldout.tsv": tsv_bytes(HEADER, heldout),
            "dev.tsv": dev_bytes,
        },
    )
    return {"train": len(train), "dev": dev_rows, "heldout": len(heldout)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("glue_dir", help="GLUE SST-2 folder (train.tsv, dev.tsv)")
    parser.add_argument("sst_dir", help="folder of stsa.binary.train.tsv and stsa.fine.train.tsv")
    parser.add_argument("out_dir")
    parser.add_argument("--size", type=int, default=1000, help="held-out sentences (1000)")
    parser.add_argument("--seed", type=int, default=13370)
    args = parser.parse_args()
    counts = write_splits(args.glue_dir, args.sst_dir, args.out_dir, args.size, args.seed)
    for name, count in counts.items():
        print(f"{name}: {count} rows")


if __name__ == "__main__":
    main()
