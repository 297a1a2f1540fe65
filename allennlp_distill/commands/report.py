"""
`allennlp distill-report`: teacher, students and baselines side by side, measured in one run on one
machine (Tang et al. 2019, §5: parameters and inference speed against accuracy).

    allennlp distill-report teacher=runs/sst2/teacher/model.tar.gz \\
        student=runs/sst2/student/model.tar.gz student-int8=runs/sst2/student/model.tar.gz:int8 \\
        --eval-file ../shared/data/glue/SST-2/dev.tsv --output-dir runs/sst2/report

writes `report.md`, `report.json` and `report.png` (task metric against throughput at the smallest
and largest batch size, log scale). Per model: the task metrics of `allennlp evaluate`; parameters,
in all and without embedding matrices; archive size on disk; forward-pass throughput on the CPU at
each batch size (texts/s, texts already tokenized and indexed, taken evenly over the file, after
warm-up; a model on a pre-trained transformer, a teacher above all, in length-sorted sub-batches of
32, as the exported students run) and latency p50/p95 at batch 1; the peak memory of a fresh process
that serves it over the whole eval file at batch 256 (`serving_memory.serving_memory_mb`:
interpreter, libraries, weights and activations; an export is served by `serving.py` without
AllenNLP; CPU runs only); and the speed-up over the first model (the teacher) at each batch size,
and over each of the first N models with `--teachers N` (e.g. MiniLM and MPNet teachers).
`--heldout-file` adds each model's metrics on a second gold file, one that neither training, the
vocabulary nor early stopping touched, beside those on `--eval-file`. The thread count is fixed
(`--threads`) and printed. `NAME=ARCHIVE:int8` measures the archive's model with every Linear and
LSTM layer dynamically quantized to int8 (`quantize_int8`); its size is that of its saved state
dict. `NAME=DIRECTORY` measures a student exported by `allennlp distill-export` through
`allennlp_distill.serving` (no AllenNLP in the loop; its token ids are built before timing too); an
export's parameters are counted before quantization.

Sentence encoders (Wu et al. 2020, §4) are reported alike, on a similarity file (GLUE STS-B's or
SICK's layout, `sts_eval.LAYOUTS`) as `--eval-file` and `--heldout-file`:

    allennlp distill-report teacher=teacher:all-MiniLM-L6-v2 \\
        encoder=runs/sentence_encoder/encoder/model.tar.gz export=runs/sentence_encoder/export \\
        --eval-file ../shared/data/glue/STS-B/dev.tsv --output-dir runs/sentence_encoder/report

Each model is an `sts-eval` encoder (`NAME=teacher:NAME_OR_DIR`, a pre-trained teacher's
mean-pooled vectors; the archive of a `sentence_representation_student`; or its export), its
metrics the Spearman and Pearson correlations of each pair's cosine with the gold score (nothing
fine-tuned), its throughput that of its forward pass over the pairs' sentences. A
report takes sentence encoders or task models, not both. `measure.py` measures a row, `scoring.py`
its task metrics, `report_output.py` writes the table and the plot.
"""

import argparse
import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError
from allennlp.common.tqdm import Tqdm

from allennlp_distill.commands.measure import VARIANTS, cpu_name, measure, measure_sentence_encoder
from allennlp_distill.commands.report_output import markdown_table, plot, write_text
from allennlp_distill.commands.sentence_encoders import is_sentence_encoder, named_encoder
from allennlp_distill.serving import ONNX_FILE, TORCHSCRIPT_FILE
from allennlp_distill.teachers import PACKAGED_TEACHERS, resolve_teacher


@Subcommand.register("distill-report")
class DistillReport(Subcommand):
    """Registered as a `Subcommand` with name "distill-report"; see the module docstring."""

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = "Compare model archives: task metric, size, CPU throughput and latency."
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument(
            "models",
            nargs="+",
            help="NAME=ARCHIVE, NAME=ARCHIVE:int8, NAME=EXPORT_DIR or (sentence encoders) "
            "NAME=teacher:NAME_OR_DIR; the first is the teacher",
        )
        subparser.add_argument(
            "--teachers", type=int, default=1, help="the first N models are teachers (speed-ups)"
        )
        subparser.add_argument("--eval-file", required=True, help="gold file the models read")
        subparser.add_argument(
            "--heldout-file",
            help="a second gold file that no training step touched: its metrics are reported too",
        )
        subparser.add_argument("--output-dir", required=True)
        subparser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
        subparser.add_argument(
            "--texts", type=_at_least_one, default=1024, help="texts timed per size"
        )
        subparser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32, 256])
        subparser.add_argument(
            "--cuda-device",
            type=int,
            default=int(os.environ.get("DISTILL_CUDA_DEVICE") or -1),
            help="measure the archives on this GPU (default: DISTILL_CUDA_DEVICE, else -1, the "
            "CPU); exports and int8 models run on the CPU only",
        )
        subparser.set_defaults(func=_run)
        return subparser


def _at_least_one(value: str) -> int:
    """`--texts`: a whole number of texts, 1 or more."""
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of texts (1 or more)")
    return int(value)


def _run(args: argparse.Namespace) -> None:
    rows = write_report(
        [parse_model(spec) for spec in args.models],
        args.eval_file,
        args.output_dir,
        threads=args.threads,
        texts=args.texts,
        batch_sizes=args.batch_sizes,
        teachers=args.teachers,
        heldout_file=args.heldout_file,
        cuda_device=args.cuda_device,
    )
    print(markdown_table(rows, args.batch_sizes))


def parse_model(spec: str) -> Tuple[str, str, str]:
    """
    `NAME=ARCHIVE[:int8|:bf16]`, `NAME=EXPORT_DIR` or, for a report of sentence encoders,
    `NAME=teacher:NAME_OR_DIR` as `(name, path, variant)`, the variant one of `measure.VARIANTS`
    ("" for the model as trained).

    # Raises
    `ConfigurationError` for a spec without `=`, whose path is neither an archive file nor an
    export directory, or a variant of an export.
    """
    name, sep, path = spec.partition("=")
    if not sep or not name:
        raise ConfigurationError(
            f"model {spec!r}: expected NAME=ARCHIVE, NAME=ARCHIVE:int8, NAME=ARCHIVE:bf16, "
            "NAME=EXPORT_DIR or NAME=teacher:NAME_OR_DIR"
        )
    variant = next((v for v in VARIANTS if v and path.endswith(":" + v)), "")
    path = path[: -len(variant) - 1] if variant else path
    if named_encoder(path)[0]:
        return name, path, variant  # an sts-eval encoder, checked by `write_report`
    exported = any(
        os.path.isfile(os.path.join(path, model)) for model in (TORCHSCRIPT_FILE, ONNX_FILE)
    )
    if not os.path.isfile(path) and not exported:
        raise ConfigurationError(
            f"model {name!r}: {path!r} is neither an archive nor a distill-export directory"
        )
    if exported and variant:
        raise ConfigurationError(
            f"model {name!r}: an export runs as exported (`allennlp distill-export --int8` "
            f"quantizes it), not as :{variant}"
        )
    return name, path, variant


def write_report(
    models: Sequence[Tuple[str, str, str]],
    eval_file: str,
    output_dir: str,
    threads: int = 2,
    texts: int = 1024,
    batch_sizes: Sequence[int] = (1, 32, 256),
    teachers: int = 1,
    heldout_file: Optional[str] = None,
    cuda_device: int = -1,
) -> List[Dict[str, Any]]:
    """
    Measures each `(name, archive, variant)` (see `parse_model`) and writes `report.json`,
    `report.md` and `report.png` into `output_dir`; the first `teachers` models are the teachers
    of the speed-ups. Metrics and speed come from `eval_file`; with `heldout_file`, each model's
    metrics on it too. With `cuda_device` ≥ 0 every model runs on that GPU (Tang et al. 2019,
    Table 3's setting: e.g. `--batch-sizes 512`, a teacher as it is and as `:bf16`).

    # Returns
    One dict per model: `name`, `archive`, `int8`, each of `METRICS` it reports on `eval_file`,
    `heldout` (the same metrics on `heldout_file`, when given), `parameters`,
    `parameters_without_embeddings`, `size_mb`, `serving_memory_mb` (on the CPU only; see
    `serving_memory.serving_memory_mb`), `throughput` (texts/s per batch size),
    `latency_ms` (`p50`, `p95` at batch 1), for a tagger `tokens_per_text` (the mean words of
    the timed sentences: words/s = texts/s × it), `speedup` (per batch size, over the first
    model) and `speedup_over` (`{teacher name: per batch size}`, over each teacher). Sentence
    encoders (`measure.measure_sentence_encoder`) have `spearman`, `pearson` and `pairs` for
    the task metrics.

    # Raises
    `ConfigurationError` when `teachers` is not between 1 and the number of models or two
    teachers share a name (the speed-ups over them are keyed by it; other models may: `student`
    and `student=...:int8` are two rows), or, with a `cuda_device`, when torch sees no such GPU
    or a model is an export or `:int8` (CPU only); for sentence encoders as
    `_sentence_encoders` says. Nothing is written then.
    """
    if not 1 <= teachers <= len(models):
        raise ConfigurationError(f"--teachers {teachers}: expected 1 to {len(models)}")
    names = [name for name, _, _ in models[:teachers]]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigurationError(
            f"--teachers {teachers}: the teachers' names {repeated} are given twice; name each "
            "teacher once (e.g. a-1=..., a-2=...)"
        )
    sentence_encoders = _sentence_encoders(models, cuda_device)
    device = "cpu"
    if cuda_device >= 0:
        if cuda_device >= torch.cuda.device_count():
            raise ConfigurationError(
                f"--cuda-device {cuda_device}: torch sees {torch.cuda.device_count()} GPU(s) "
                "here; use -1 for the CPU"
            )
        for name, path, variant in models:
            if variant == "int8" or os.path.isdir(path):
                raise ConfigurationError(
                    f"model {name!r}: exports and int8 models run on the CPU; measure them with "
                    "--cuda-device -1 (its default is DISTILL_CUDA_DEVICE)"
                )
        device = torch.cuda.get_device_name(cuda_device)
    torch.set_num_threads(threads)
    print(f"distill-report: {device}, {threads} torch threads, {texts} texts from {eval_file}")
    rows = []
    progress = Tqdm.tqdm(total=len(models) * (2 + len(batch_sizes)), desc="distill-report")
    for name, archive_path, variant in models:
        if sentence_encoders:
            row = measure_sentence_encoder(
                name, archive_path, eval_file, texts, batch_sizes, progress, heldout_file
            )
        else:
            row = measure(
                name,
                archive_path,
                variant,
                eval_file,
                texts,
                batch_sizes,
                progress,
                heldout_file,
                cuda_device,
            )
        rows.append(row)
    progress.close()
    for row in rows:
        row["speedup_over"] = {
            teacher["name"]: {
                size: row["throughput"][size] / teacher["throughput"][size] for size in batch_sizes
            }
            for teacher in rows[:teachers]
        }
        row["speedup"] = row["speedup_over"][rows[0]["name"]]
    os.makedirs(output_dir, exist_ok=True)
    meta = {
        "threads": threads,
        "texts": texts,
        "eval_file": eval_file,
        "heldout_file": heldout_file,
        "torch": torch.__version__,
        "cpu": cpu_name(),
        "device": device,
        "cpu_count": os.cpu_count(),
        "sentence_encoders": sentence_encoders,
    }
    write_text(
        os.path.join(output_dir, "report.json"),
        json.dumps({"meta": meta, "models": rows}, indent=2),
    )
    write_text(os.path.join(output_dir, "report.md"), markdown_table(rows, batch_sizes, meta))
    plot(rows, sorted({min(batch_sizes), max(batch_sizes)}), os.path.join(output_dir, "report.png"))
    return rows


def _sentence_encoders(models: Sequence[Tuple[str, str, str]], cuda_device: int) -> bool:
    """
    Whether the report compares sentence encoders (Wu et al. 2020: `teacher:…`, the archives
    and exports of `sentence_representation_student`s) rather than task models.

    # Raises
    `ConfigurationError` when the models mix the two, or sentence encoders come with a
    variant (`:int8`, `:bf16`) or a `cuda_device`: they are measured as they are, on the CPU.
    """
    # A list, not a dict by name: rows may share a name (`student` and `student=...:int8`).
    kinds = [(name, is_sentence_encoder(path)) for name, path, _ in models]
    if not any(encoder for _, encoder in kinds):
        return False
    if not all(encoder for _, encoder in kinds):
        task = next(name for name, encoder in kinds if not encoder)
        encoder = next(name for name, encoder in kinds if encoder)
        raise ConfigurationError(
            f"model {task!r} is a task model and {encoder!r} a sentence encoder: a report "
            "compares task models on their task's file, or sentence encoders on a similarity "
            "file, not both"
        )
    for name, path, variant in models:
        if variant:
            raise ConfigurationError(
                f"model {name!r}: a sentence encoder is measured as it is, not as :{variant} "
                "(`allennlp distill-export --int8` quantizes one)"
            )
        kind, teacher = named_encoder(path)
        if kind == "glove":
            raise ConfigurationError(
                f"model {name!r}: the word-vector floor has no model to report; `allennlp "
                "sts-eval` scores it"
            )
        if kind == "teacher" and not os.path.isdir(resolve_teacher(teacher)):
            raise ConfigurationError(
                f"model {name!r}: {teacher!r} is neither a packaged teacher "
                f"({', '.join(PACKAGED_TEACHERS)}) nor a model folder"
            )
    if cuda_device >= 0:
        raise ConfigurationError(
            "sentence encoders are measured on the CPU; use --cuda-device -1 (its default is "
            "DISTILL_CUDA_DEVICE)"
        )
    return True
