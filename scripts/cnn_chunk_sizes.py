"""
The CNN student's sentence encoder at batch 256 on SST-2 dev, with its texts sorted by length
and cut into sub-batches of each size (`pooled_by_length`; 256 = one padded batch): the
measurement behind `LENGTH_CHUNK`. Run alone, after `bash scripts/student_speed.sh` (which
trains `runs/sst2_speed/cnn`):

    .venv/bin/python scripts/cnn_chunk_sizes.py [runs/sst2_speed/cnn/model.tar.gz] [dev.tsv]

Prints milliseconds per 1,024 texts (best of 5 passes, 2 torch threads) for each sub-batch size.
"""

import csv
import sys
import time

import torch
from allennlp.models.archival import load_archive

import allennlp_distill  # noqa: F401  (registers the student)
from allennlp_distill.commands.export_models import ExportableBiLstmStudent
from allennlp_distill.modules.wide_cnn_encoder import pooled_by_length, wide_padding
from allennlp_distill.serving import ExportedStudent


def main(archive: str, dev_file: str) -> None:
    torch.set_num_threads(2)
    student = load_archive(archive).model.eval()
    encoder = ExportableBiLstmStudent(student).encoder
    with open(dev_file, encoding="utf-8") as dev:
        rows = list(csv.DictReader(dev, delimiter="\t", quoting=csv.QUOTE_NONE))
    # Token ids as serving reads them: the export's vocabulary and tokenizer.
    export_dir = archive.replace("/cnn/model.tar.gz", "/cnn_export")
    serving = ExportedStudent(export_dir)
    texts = (rows * (1 + 1024 // len(rows)))[:1024]
    batches = [serving.inputs(texts[first : first + 256])[0] for first in range(0, 1024, 256)]
    with torch.inference_mode():
        padded = [wide_padding(encoder.embedding(ids), ids != 0, encoder.pad) for ids in batches]
        for chunk_size in (256, 128, 64, 32, 16):
            best = float("inf")
            for _ in range(5):
                start = time.perf_counter()
                for vectors, mask in padded:
                    pooled_by_length(
                        vectors, mask.sum(dim=1), encoder.filters, encoder.blocks, chunk_size
                    )
                best = min(best, time.perf_counter() - start)
            print(f"sub-batches of {chunk_size:3d}: {1000 * best:6.1f} ms per 1,024 texts")


if __name__ == "__main__":
    main(*(sys.argv[1:] or ["runs/sst2_speed/cnn/model.tar.gz", "runs/sst2/data/dev.tsv"]))
