"""
Teacher labelling throughput on this machine, measured in one run: texts in input order against
texts sorted by length, and the sorted int8 teacher, the teacher under bfloat16 autocast
(`"precision": "bf16"`) and the teacher run by ONNX Runtime (`"runtime": "onnxruntime"`, for a
single-sentence transformer classifier) against fp32, each with how often its argmax label
agrees with fp32's, the mean and the largest logit difference. Single sentences (`sentence`) or
pairs (`sentence1`, `sentence2`); a regression teacher's one score is its logit (argmax
agreement is then trivially 1).

    .venv/bin/python scripts/benchmark_labelling.py runs/sst2/teacher/model.tar.gz \
        runs/sst2/transfer.jsonl --texts 4000
"""

import argparse
import random
import time

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive

import allennlp_distill  # noqa: F401
from allennlp_distill.commands.measure import cpu_name
from allennlp_distill.dataset_readers.rows import iter_rows, require_text
from allennlp_distill.predictors.labelling import (
    OnnxRuntimeTeacher,
    quantize_int8,
    teacher_logits,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("teacher_archive")
    parser.add_argument("data_file", help="TSV or JSONL with `sentence` or `sentence1`/`sentence2`")
    parser.add_argument("--texts", type=int, default=4000, help="a seeded sample of this many")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    archive = load_archive(args.teacher_archive)
    model, reader = archive.model.eval(), archive.validation_dataset_reader
    texts = [
        require_text(args.data_file, n, row, "sentence")
        if "sentence1" not in row
        else tuple(require_text(args.data_file, n, row, c) for c in ("sentence1", "sentence2"))
        for n, row in iter_rows(args.data_file)
    ]
    texts = random.Random(13370).sample(texts, min(args.texts, len(texts)))
    teacher_logits(model, reader, texts[:256], args.batch_size)  # warm-up
    teacher_logits(model, reader, texts[:256], args.batch_size, precision="bf16")

    def timed(label_model, sort_by_length, precision="fp32"):
        start = time.perf_counter()
        logits = teacher_logits(
            label_model, reader, texts, args.batch_size, sort_by_length, precision=precision
        )
        return logits, len(texts) / (time.perf_counter() - start)

    def versus_fp32(name, logits):
        agree = sum(
            max(range(len(a)), key=a.__getitem__) == max(range(len(b)), key=b.__getitem__)
            for a, b in zip(fp32, logits)
        ) / len(texts)
        differences = [abs(x - y) for a, b in zip(fp32, logits) for x, y in zip(a, b)]
        print(
            f"{name} vs fp32: argmax agreement {agree:.4f}, mean |logit difference| "
            f"{sum(differences) / len(differences):.4f}, largest {max(differences):.3f}"
        )

    print(
        f"{len(texts)} texts from {args.data_file}, batch {args.batch_size}, "
        f"{torch.get_num_threads()} threads, {cpu_name()}"
    )
    _, unsorted_rate = timed(model, False)
    fp32, sorted_rate = timed(model, True)
    int8, int8_rate = timed(quantize_int8(model), True)
    bf16, bf16_rate = timed(model, True, "bf16")
    print(f"fp32, input order      {unsorted_rate:8.1f} texts/s")
    print(
        f"fp32, sorted by length {sorted_rate:8.1f} texts/s  ({sorted_rate / unsorted_rate:.2f}x)"
    )
    print(f"int8, sorted by length {int8_rate:8.1f} texts/s  ({int8_rate / sorted_rate:.2f}x fp32)")
    print(f"bf16, sorted by length {bf16_rate:8.1f} texts/s  ({bf16_rate / sorted_rate:.2f}x fp32)")
    onnx = None
    if all(isinstance(text, str) for text in texts):
        try:
            onnx = OnnxRuntimeTeacher(model, reader, threads=args.threads)
        except ConfigurationError as error:
            print(f"onnxruntime: not measured ({error})")
    if onnx is not None:
        onnx.logits(texts[:256], args.batch_size)  # warm-up
        start = time.perf_counter()
        onnx_logits = onnx.logits(texts, args.batch_size)
        onnx_rate = len(texts) / (time.perf_counter() - start)
        ratio = onnx_rate / sorted_rate
        print(f"onnxruntime, sorted    {onnx_rate:8.1f} texts/s  ({ratio:.2f}x fp32)")
    versus_fp32("int8", int8)
    versus_fp32("bf16", bf16)
    if onnx is not None:
        versus_fp32("onnxruntime", onnx_logits)


if __name__ == "__main__":
    main()
