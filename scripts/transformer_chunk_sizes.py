"""
An exported transformer classifier (a teacher or a truncated teacher, `allennlp distill-export`)
at batch 256, its texts sorted by length and cut into sub-batches of each size
(`LengthSortedClassifier`; 256 = one padded batch): the measurement behind its chunk size. Run
alone:

    .venv/bin/python scripts/transformer_chunk_sizes.py runs/rotten_tomatoes/teacher_export \\
        runs/rotten_tomatoes/data/dev.tsv

Prints milliseconds per 1,024 texts (best of 3 passes, 2 torch threads) for each sub-batch size.
"""

import csv
import sys
import time

import torch

from allennlp_distill.commands.export_models import LengthSortedClassifier
from allennlp_distill.serving import ExportedStudent


def main(export_dir: str, dev_file: str) -> None:
    torch.set_num_threads(2)
    serving = ExportedStudent(export_dir)
    classifier = serving._model.classifier  # the traced model inside the scripted wrapper
    with open(dev_file, encoding="utf-8") as dev:
        rows = list(csv.DictReader(dev, delimiter="\t", quoting=csv.QUOTE_NONE))
    texts = (rows * (1 + 1024 // len(rows)))[:1024]
    batches = [serving.inputs(texts[first : first + 256]) for first in range(0, 1024, 256)]
    with torch.inference_mode():
        for chunk_size in (256, 128, 64, 32, 16):
            model = LengthSortedClassifier(classifier, chunk_size)
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                for token_ids, mask in batches:
                    model(token_ids, mask)
                best = min(best, time.perf_counter() - start)
            print(f"sub-batches of {chunk_size:3d}: {1000 * best:7.1f} ms per 1,024 texts")


if __name__ == "__main__":
    main(*sys.argv[1:3])
