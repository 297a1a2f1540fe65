"""
Teacher labelling throughput on this machine, measured in one run: texts in input order against
texts sorted by length, and the sorted int8 teacher against fp32 (with how often their argmax
labels agree and the largest logit difference).

    .venv/bin/python scripts/benchmark_labelling.py runs/sst2/teacher/model.tar.gz \
        runs/sst2/transfer.jsonl --texts 4000
"""

import argparse
import random
import time

import torch
from allennlp.models.archival import load_archive

import allennlp_distill  # noqa: F401
from allennlp_distill.dataset_readers.rows import iter_rows, require_text
from allennlp_distill.predictors.labelling import quantize_int8, teacher_logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("teacher_archive")
    parser.add_argument("data_file", help="TSV or JSONL with a `sentence` column")
    parser.add_argument("--texts", type=int, default=4000, help="a seeded sample of this many")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    archive = load_archive(args.teacher_archive)
    model, reader = archive.model.eval(), archive.validation_dataset_reader
    texts = [
        require_text(args.data_file, n, row, "sentence") for n, row in iter_rows(args.data_file)
    ]
    texts = random.Random(13370).sample(texts, min(args.texts, len(texts)))
    teacher_logits(model, reader, texts[:256], args.batch_size)  # warm-up

    def timed(label_model, sort_by_length):
        start = time.perf_counter()
        logits = teacher_logits(label_model, reader, texts, args.batch_size, sort_by_length)
        return logits, len(texts) / (time.perf_counter() - start)

    print(
        f"{len(texts)} texts from {args.data_file}, batch {args.batch_size}, "
        f"{torch.get_num_threads()} threads"
    )
    _, unsorted_rate = timed(model, False)
    fp32, sorted_rate = timed(model, True)
    int8, int8_rate = timed(quantize_int8(model), True)
    agree = sum(
        max(range(len(a)), key=a.__getitem__) == max(range(len(b)), key=b.__getitem__)
        for a, b in zip(fp32, int8)
    ) / len(texts)
    largest = max(abs(x - y) for a, b in zip(fp32, int8) for x, y in zip(a, b))
    print(f"fp32, input order      {unsorted_rate:8.1f} texts/s")
    print(
        f"fp32, sorted by length {sorted_rate:8.1f} texts/s  ({sorted_rate / unsorted_rate:.2f}x)"
    )
    print(f"int8, sorted by length {int8_rate:8.1f} texts/s  ({int8_rate / sorted_rate:.2f}x fp32)")
    print(f"int8 vs fp32: argmax agreement {agree:.4f}, largest |logit difference| {largest:.3f}")


if __name__ == "__main__":
    main()
