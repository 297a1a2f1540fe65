"""
Teacher labelling throughput on this machine, measured in one run: texts in input order against
texts sorted by length, and, sorted, the int8 teacher (torch's dynamic quantization, and
torchao's int8 where that package is installed), the teacher under bfloat16 autocast
(`"precision": "bf16"`), the teacher run by ONNX Runtime (`"runtime": "onnxruntime"`, for a
transformer classifier or regressor of one sentence or a pair) in fp32 and int8, and with
`--compile` the teacher's transformer under `torch.compile` in fp32, bf16 and torchao's int8
(each timed on a second pass, after a first that compiles), each against fp32 with how often
its argmax label agrees with fp32's, the mean and the largest logit difference. `--threads
2,1` measures fp32, bf16 and ONNX Runtime (sorted) again at each further thread count. Each
timed pass follows an untimed warm-up. Single sentences (`sentence`) or pairs (`sentence1`,
`sentence2`); a regression teacher's one score is its logit (argmax agreement is then
trivially 1).

    .venv/bin/python scripts/benchmark_labelling.py runs/sst2/teacher/model.tar.gz \
        runs/sst2/transfer.jsonl --texts 4000 --threads 2,1 --compile
"""

import argparse
import copy
import random
import time

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.models import Model
from allennlp.models.archival import load_archive

import allennlp_distill  # noqa: F401
from allennlp_distill.commands.measure import cpu_name
from allennlp_distill.dataset_readers.rows import iter_rows, require_text
from allennlp_distill.predictors.labelling import (
    OnnxRuntimeTeacher,
    compile_teacher,
    quantize_int8,
    teacher_logits,
)


def compiled(model: Model) -> Model:
    """A copy of `model` whose transformers run by `torch.compile` (`compile_teacher`)."""
    return compile_teacher(copy.deepcopy(model))


def torchao_int8(model: Model) -> Model:
    """A copy of `model` with torchao's int8 dynamic quantization of every `torch.nn.Linear`
    (int8 weights and activations, the successor of `torch.ao.quantization.quantize_dynamic`)."""
    from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_

    model = copy.deepcopy(model)
    quantize_(model, Int8DynamicActivationInt8WeightConfig())
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("teacher_archive")
    parser.add_argument("data_file", help="TSV or JSONL with `sentence` or `sentence1`/`sentence2`")
    parser.add_argument("--texts", type=int, default=4000, help="a seeded sample of this many")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--threads",
        default="2",
        help="comma-separated thread counts: every kind at the first, fp32, bf16 and ONNX "
        "Runtime (sorted) again at each other",
    )
    parser.add_argument(
        "--compile", action="store_true", help="also torch.compile (minutes to compile)"
    )
    args = parser.parse_args()
    try:
        threads = [int(count) for count in args.threads.split(",")]
    except ValueError:
        parser.error(f"--threads {args.threads!r}: comma-separated whole numbers, e.g. 2,1")

    torch.set_num_threads(threads[0])
    archive = load_archive(args.teacher_archive)
    model, reader = archive.model.eval(), archive.validation_dataset_reader
    texts = [
        require_text(args.data_file, n, row, "sentence")
        if "sentence1" not in row
        else tuple(require_text(args.data_file, n, row, c) for c in ("sentence1", "sentence2"))
        for n, row in iter_rows(args.data_file)
    ]
    texts = random.Random(13370).sample(texts, min(args.texts, len(texts)))

    def timed(label_model, sort_by_length=True, precision="fp32"):
        """The logits of `texts` and texts/s, after a warm-up on 256 of them that is not timed."""
        teacher_logits(label_model, reader, texts[:256], args.batch_size, precision=precision)
        start = time.perf_counter()
        logits = teacher_logits(
            label_model, reader, texts, args.batch_size, sort_by_length, precision=precision
        )
        return logits, len(texts) / (time.perf_counter() - start)

    def onnx_timed(count, int8=False):
        """ONNX Runtime's logits and texts/s, or (None, None) for a teacher it cannot run."""
        try:
            onnx = OnnxRuntimeTeacher(model, reader, threads=count, int8=int8)
        except ConfigurationError as error:
            print(f"onnxruntime: not measured ({error})")
            return None, None
        onnx.logits(texts[:256], args.batch_size)  # warm-up
        start = time.perf_counter()
        logits = onnx.logits(texts, args.batch_size)
        return logits, len(texts) / (time.perf_counter() - start)

    print(
        f"{len(texts)} texts from {args.data_file}, batch {args.batch_size}, "
        f"{torch.get_num_threads()} threads, {cpu_name()}"
    )
    _, unsorted_rate = timed(model, False)
    fp32, sorted_rate = timed(model)
    print(f"fp32, input order      {unsorted_rate:8.1f} texts/s")
    print(
        f"fp32, sorted by length {sorted_rate:8.1f} texts/s  ({sorted_rate / unsorted_rate:.2f}x)"
    )
    # name -> logits, each printed as it is measured and compared with fp32 at the end
    others = {}

    def report(name, logits, rate):
        others[name] = logits
        print(f"{name:<22} {rate:8.1f} texts/s  ({rate / sorted_rate:.2f}x fp32)")

    report("int8, sorted by length", *timed(quantize_int8(model)))
    try:
        report("int8 torchao, sorted", *timed(torchao_int8(model)))
    except ImportError:
        print("int8 torchao: not measured (pip install torchao)")
    report("bf16, sorted by length", *timed(model, precision="bf16"))
    for int8 in (False, True):
        logits, rate = onnx_timed(threads[0], int8)
        if logits is not None:
            report("onnxruntime int8" if int8 else "onnxruntime, sorted", logits, rate)
    if args.compile:
        compiled_model = compiled(model)
        kinds = [("torch.compile, sorted", compiled_model, "fp32")]
        kinds.append(("torch.compile + bf16", compiled_model, "bf16"))
        try:
            kinds.append(("torchao int8 + compile", compiled(torchao_int8(model)), "fp32"))
        except ImportError:
            pass
        for name, label_model, precision in kinds:
            torch._dynamo.reset()  # each kind compiles afresh, within dynamo's recompile limit
            start = time.perf_counter()
            timed(label_model, precision=precision)  # compiles for the shapes it meets
            seconds = time.perf_counter() - start
            print(f"{name.split(',')[0]}: compiling and a first pass {seconds:.0f} s")
            try:  # the timed pass meets the same shapes: it must run compiled code only
                with torch._dynamo.config.patch(error_on_recompile=True):
                    report(name, *timed(label_model, precision=precision))
            except Exception as error:  # dynamo's RecompileError, or an eager fallback's
                print(f"{name.split(',')[0]}: not measured, it recompiled while timed ({error})")
    for count in threads[1:]:
        torch.set_num_threads(count)
        for name, (_, rate) in (
            ("fp32, sorted", timed(model)),
            ("bf16, sorted", timed(model, precision="bf16")),
            ("onnxruntime, sorted", onnx_timed(count)),
        ):
            if rate is not None:
                print(f"{count} threads: {name:<20} {rate:8.1f} texts/s")
    for name, logits in others.items():
        agree = sum(
            max(range(len(a)), key=a.__getitem__) == max(range(len(b)), key=b.__getitem__)
            for a, b in zip(fp32, logits)
        ) / len(texts)
        differences = [abs(x - y) for a, b in zip(fp32, logits) for x, y in zip(a, b)]
        print(
            f"{name.split(',')[0]} vs fp32: argmax agreement {agree:.4f}, mean |logit difference| "
            f"{sum(differences) / len(differences):.4f}, largest {max(differences):.3f}"
        )


if __name__ == "__main__":
    main()
