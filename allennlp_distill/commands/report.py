"""
`allennlp distill-report`: teacher, students and baselines side by side, measured in one run on one
machine (Tang et al. 2019, §5: parameters and inference speed against accuracy).

    allennlp distill-report teacher=runs/sst2/teacher/model.tar.gz \\
        student=runs/sst2/student/model.tar.gz student-int8=runs/sst2/student/model.tar.gz:int8 \\
        --eval-file ../shared/data/glue/SST-2/dev.tsv --output-dir runs/sst2/report

writes `report.md`, `report.json` and `report.png` (task metric against throughput at the
smallest and largest batch size, log scale). Per model: the task metrics of `allennlp evaluate`;
parameters, in all and without embedding matrices; archive size on disk; forward-pass throughput
on the CPU at each batch size (texts/s, texts already tokenized and indexed, in file order, after
warm-up) and latency p50/p95 at batch 1; and the speed-up over the first model (the teacher) at
each batch size, and over each of the first N models with `--teachers N` (e.g. MiniLM and MPNet
teachers). `--heldout-file` adds each model's metrics on a second gold file, one that neither
training, the vocabulary nor early stopping touched, beside those on `--eval-file`. The thread
count is fixed (`--threads`) and printed. `NAME=ARCHIVE:int8` measures the
archive's model with every Linear and LSTM layer dynamically quantized to int8 (`quantize_int8`);
its size is that of its saved state dict. `NAME=DIRECTORY` measures a student exported by
`allennlp distill-export` through `allennlp_distill.serving` (no AllenNLP in the loop; its token
ids are built before timing too); an export's parameters are counted before quantization.
"""

import argparse
import io
import json
import logging
import os
import platform
import statistics
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar

import torch
from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError
from allennlp.common.tqdm import Tqdm
from allennlp.data import Batch, Instance
from allennlp.data.data_loaders import SimpleDataLoader
from allennlp.models import Model
from allennlp.models.archival import load_archive
from allennlp.modules.token_embedders import Embedding
from allennlp.training.metrics import PearsonCorrelation, SpearmanCorrelation
from allennlp.training.util import evaluate

from allennlp_distill.dataset_readers.rows import iter_rows
from allennlp_distill.modules.packaged_word_vectors import PackagedWordVectors
from allennlp_distill.predictors.labelling import quantize_int8

logger = logging.getLogger(__name__)

METRICS = ("accuracy", "f1", "pearson", "spearman")
T = TypeVar("T")
B = TypeVar("B")


@Subcommand.register("distill-report")
class DistillReport(Subcommand):
    """Registered as a `Subcommand` with name "distill-report"; see the module docstring."""

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = "Compare model archives: task metric, size, CPU throughput and latency."
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument(
            "models",
            nargs="+",
            help="NAME=ARCHIVE, NAME=ARCHIVE:int8 or NAME=EXPORT_DIR; the first is the teacher",
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
        subparser.add_argument("--texts", type=int, default=1024, help="texts timed per size")
        subparser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32, 256])
        subparser.set_defaults(func=_run)
        return subparser


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
    )
    print(markdown_table(rows, args.batch_sizes))


def parse_model(spec: str) -> Tuple[str, str, bool]:
    """
    `NAME=ARCHIVE[:int8]` as `(name, archive, quantize)`.

    # Raises
    `ConfigurationError` for a spec without `=` or whose archive is not a file.
    """
    name, sep, path = spec.partition("=")
    if not sep or not name:
        raise ConfigurationError(f"model {spec!r}: expected NAME=ARCHIVE or NAME=ARCHIVE:int8")
    quantize = path.endswith(":int8")
    path = path[: -len(":int8")] if quantize else path
    exported = os.path.isfile(os.path.join(path, "student.ts"))
    if not os.path.isfile(path) and not exported:
        raise ConfigurationError(
            f"model {name!r}: {path!r} is neither an archive nor a distill-export directory"
        )
    if exported and quantize:
        raise ConfigurationError(
            f"model {name!r}: quantize an export with `allennlp distill-export --int8`"
        )
    return name, path, quantize


def write_report(
    models: Sequence[Tuple[str, str, bool]],
    eval_file: str,
    output_dir: str,
    threads: int = 2,
    texts: int = 1024,
    batch_sizes: Sequence[int] = (1, 32, 256),
    teachers: int = 1,
    heldout_file: Optional[str] = None,
) -> List[Dict[str, Any]]:
    """
    Measures each `(name, archive, quantize)` and writes `report.json`, `report.md` and
    `report.png` into `output_dir`; the first `teachers` models are the teachers of the speed-ups.
    Metrics and speed come from `eval_file`; with `heldout_file`, each model's metrics on it too.

    # Returns
    One dict per model: `name`, `archive`, `int8`, each of `METRICS` it reports on `eval_file`,
    `heldout` (the same metrics on `heldout_file`, when given), `parameters`,
    `parameters_without_embeddings`, `size_mb`, `throughput` (texts/s per batch size),
    `latency_ms` (`p50`, `p95` at batch 1), `speedup` (per batch size, over the first model) and
    `speedup_over` (`{teacher name: per batch size}`, over each teacher).

    # Raises
    `ConfigurationError` when `teachers` is not between 1 and the number of models.
    """
    if not 1 <= teachers <= len(models):
        raise ConfigurationError(f"--teachers {teachers}: expected 1 to {len(models)}")
    torch.set_num_threads(threads)
    print(f"distill-report: {threads} torch threads, {texts} texts from {eval_file}")
    rows = []
    progress = Tqdm.tqdm(total=len(models) * (2 + len(batch_sizes)), desc="distill-report")
    for name, archive_path, quantize in models:
        rows.append(
            measure(
                name, archive_path, quantize, eval_file, texts, batch_sizes, progress, heldout_file
            )
        )
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
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    _write(
        os.path.join(output_dir, "report.json"),
        json.dumps({"meta": meta, "models": rows}, indent=2),
    )
    _write(os.path.join(output_dir, "report.md"), markdown_table(rows, batch_sizes, meta))
    plot(rows, sorted({min(batch_sizes), max(batch_sizes)}), os.path.join(output_dir, "report.png"))
    return rows


def measure(
    name: str,
    archive_path: str,
    quantize: bool,
    eval_file: str,
    texts: int,
    batch_sizes: Sequence[int],
    progress,
    heldout_file: Optional[str] = None,
) -> Dict[str, Any]:
    """The row of one model; see `write_report`."""
    if os.path.isdir(archive_path):
        return measure_exported(
            name, archive_path, eval_file, texts, batch_sizes, progress, heldout_file
        )
    archive = load_archive(archive_path)
    model, reader = archive.model, archive.validation_dataset_reader
    model.eval()
    instances = list(reader.read(eval_file))
    for instance in instances:
        reader.apply_token_indexers(instance)
    parameters = count_parameters(model)
    size = os.path.getsize(archive_path)
    if quantize:
        model = quantize_int8(model)
        buffer = io.BytesIO()
        torch.save(model.state_dict(), buffer)
        size = buffer.tell()
    progress.set_postfix_str(f"{name}: evaluate")
    loader = SimpleDataLoader(instances, batch_size=64, vocab=model.vocab)
    metrics = evaluate(model, loader)
    progress.update(1)
    row: Dict[str, Any] = {"name": name, "archive": archive_path, "int8": quantize}
    row.update({key: metrics[key] for key in METRICS if key in metrics})
    if heldout_file:
        row["heldout"] = archive_metrics(model, reader, heldout_file)
    row.update(parameters)
    row["size_mb"] = size / 1e6
    timed = (instances * (1 + texts // max(1, len(instances))))[:texts]

    with torch.inference_mode():
        row.update(
            measure_speed(
                name,
                timed,
                batch_sizes,
                lambda chunk: _tensors(model, chunk),
                lambda tensors: model(**tensors),
                progress,
            )
        )
    progress.update(1)
    return row


def measure_exported(
    name: str,
    export_dir: str,
    eval_file: str,
    texts: int,
    batch_sizes: Sequence[int],
    progress,
    heldout_file: Optional[str] = None,
) -> Dict[str, Any]:
    """The row of a `distill-export` directory; see `write_report`."""
    from allennlp_distill.serving import ExportedStudent

    student = ExportedStudent(export_dir)
    progress.set_postfix_str(f"{name}: evaluate")
    rows, metrics = evaluate_exported(student, eval_file)
    progress.update(1)
    with open(os.path.join(export_dir, "vocab.json"), encoding="utf-8") as meta_file:
        meta = json.load(meta_file)
    timed = (rows * (1 + texts // max(1, len(rows))))[:texts]
    row: Dict[str, Any] = {
        "name": name,
        "archive": export_dir,
        "int8": bool(meta.get("int8")),
        **metrics,
        "parameters": meta["parameters"],
        "parameters_without_embeddings": meta["parameters_without_embeddings"],
        "size_mb": sum(
            os.path.getsize(os.path.join(export_dir, file)) for file in os.listdir(export_dir)
        )
        / 1e6,
    }
    if heldout_file:
        row["heldout"] = evaluate_exported(student, heldout_file)[1]
    row.update(measure_speed(name, timed, batch_sizes, student.inputs, student.outputs, progress))
    progress.update(1)
    return row


def archive_metrics(model: Model, reader, gold_file: str) -> Dict[str, float]:
    """The task metrics (`METRICS`) of `allennlp evaluate` for a loaded model on `gold_file`."""
    instances = list(reader.read(gold_file))
    for instance in instances:
        reader.apply_token_indexers(instance)
    metrics = evaluate(model, SimpleDataLoader(instances, batch_size=64, vocab=model.vocab))
    return {key: metrics[key] for key in METRICS if key in metrics}


def evaluate_exported(student, eval_file: str) -> Tuple[List[Dict[str, str]], Dict[str, float]]:
    """
    The rows of `eval_file` an exported student is scored on, and its metrics on them (see
    `exported_metrics`).
    """
    rows = [row for _, row in iter_rows(eval_file, required_columns=student.text_columns)]
    if not student.regression:
        # As the readers' skip_labels do for MNLI's "-": a row without a known label is not scored.
        rows = [row for row in rows if row[student.label_column].strip() in student.labels]
    outputs = torch.cat(
        [
            student.outputs(student.inputs(rows[first : first + 256]))
            for first in range(0, len(rows), 256)
        ]
    )
    return rows, exported_metrics(student, outputs, [row[student.label_column] for row in rows])


def exported_metrics(student, outputs: torch.Tensor, gold: Sequence[str]) -> Dict[str, float]:
    """
    `accuracy` of an exported classifier's `outputs` (logits `(num_rows, num_labels)`) against
    the `gold` label names, or `pearson` and `spearman` of a regression student's scores
    `(num_rows,)` against the gold scores.

    # Raises
    `ValueError` when a gold score is not a number.
    """
    if student.regression:
        scores = torch.tensor([float(label) for label in gold])
        pearson, spearman = PearsonCorrelation(), SpearmanCorrelation()
        pearson(outputs, scores)
        spearman(outputs, scores)
        return {"pearson": pearson.get_metric(), "spearman": spearman.get_metric()}
    predicted = [student.labels[int(index)] for index in outputs.argmax(dim=-1)]
    return {"accuracy": sum(p == g.strip() for p, g in zip(predicted, gold)) / len(gold)}


def count_parameters(model: Model) -> Dict[str, int]:
    """
    All weights, and those outside embedding matrices (word, position, segment). The frozen rows
    of an open-vocabulary embedder (`packaged_word_vectors`) are weights too, though not trained.
    """
    embedders = [
        module
        for module in model.modules()
        if isinstance(module, (torch.nn.Embedding, Embedding, PackagedWordVectors))
    ]
    embedding_ids = {id(parameter) for module in embedders for parameter in module.parameters()}
    frozen = sum(
        module.frozen_weight.numel()
        for module in embedders
        if isinstance(module, PackagedWordVectors)
    )
    total = sum(parameter.numel() for parameter in model.parameters()) + frozen
    embeddings = sum(p.numel() for p in model.parameters() if id(p) in embedding_ids) + frozen
    return {"parameters": total, "parameters_without_embeddings": total - embeddings}


def measure_speed(
    name: str,
    items: Sequence[T],
    batch_sizes: Sequence[int],
    batch_of: Callable[[Sequence[T]], B],
    forward: Callable[[B], Any],
    progress,
) -> Dict[str, Dict[Any, float]]:
    """
    `throughput` (items/s per batch size) and `latency_ms` (`p50`, `p95` of the batch-1 calls)
    of `forward` over `items`, in batches built by `batch_of` beforehand (not timed), each batch
    size after two warm-up calls.
    """
    speed: Dict[str, Dict[Any, float]] = {"throughput": {}, "latency_ms": {}}
    for batch_size in batch_sizes:
        progress.set_postfix_str(f"{name}: batch {batch_size}")
        batches = [
            batch_of(items[first : first + batch_size])
            for first in range(0, len(items), batch_size)
        ]
        for batch in batches[:2]:
            forward(batch)
        seconds = []
        for batch in batches:
            began = time.perf_counter()
            forward(batch)
            seconds.append(time.perf_counter() - began)
        speed["throughput"][batch_size] = len(items) / sum(seconds)
        if batch_size == 1:
            speed["latency_ms"] = {
                "p50": 1000 * statistics.median(seconds),
                "p95": 1000 * statistics.quantiles(seconds, n=20)[-1],
            }
        progress.update(1)
    return speed


def _tensors(model: Model, instances: Sequence[Instance]) -> Dict[str, Any]:
    """The model's input tensors for `instances`, without targets."""
    batch = Batch(list(instances))
    batch.index_instances(model.vocab)
    tensors = batch.as_tensor_dict()
    tensors.pop("label", None)
    tensors.pop("teacher_logits", None)
    return tensors


def markdown_table(
    rows: List[Dict[str, Any]], batch_sizes: Sequence[int], meta: Optional[Dict[str, Any]] = None
) -> str:
    """The report as a Markdown table, one row per model."""
    metrics = [key for key in METRICS if any(key in row for row in rows)]
    heldout = [key for key in METRICS if any(key in row.get("heldout", {}) for row in rows)]
    # Speed-ups over the first teacher, then over any other teacher (named in the header).
    teachers = list(rows[0].get("speedup_over", {}))[1:]
    header = (
        ["model", *metrics, *[f"held-out {key}" for key in heldout]]
        + ["params", "params w/o emb.", "size MB"]
        + [f"texts/s @{size}" for size in batch_sizes]
        + ["p50 ms @1", "p95 ms @1"]
        + [f"speed-up @{size}" for size in batch_sizes]
        + [f"vs {teacher} @{size}" for teacher in teachers for size in batch_sizes]
    )
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        cells = (
            [row["name"] + (" (int8)" if row["int8"] else "")]
            + [f"{100 * row[key]:.2f}" if key in row else "" for key in metrics]
            + [
                f"{100 * row['heldout'][key]:.2f}" if key in row.get("heldout", {}) else ""
                for key in heldout
            ]
            + [f"{row['parameters']:,}", f"{row['parameters_without_embeddings']:,}"]
            + [f"{row['size_mb']:.1f}"]
            + [f"{row['throughput'][size]:,.0f}" for size in batch_sizes]
            + [f"{row['latency_ms'][q]:.2f}" if row["latency_ms"] else "" for q in ("p50", "p95")]
            + [f"{row['speedup'][size]:.1f}x" for size in batch_sizes]
            + [
                f"{row['speedup_over'][teacher][size]:.1f}x"
                for teacher in teachers
                for size in batch_sizes
            ]
        )
        lines.append("| " + " | ".join(cells) + " |")
    if meta:
        lines.append("")
        lines.append(
            f"{meta['threads']} torch threads, torch {meta['torch']}, {meta['cpu_count']} CPUs, "
            f"{meta['texts']} texts of `{meta['eval_file']}`; metrics in %"
            + (
                f", held-out metrics on `{meta['heldout_file']}`."
                if meta.get("heldout_file")
                else "."
            )
        )
    return "\n".join(lines) + "\n"


def plot(rows: List[Dict[str, Any]], batch_sizes: Sequence[int], path: str) -> None:
    """
    Task metric against throughput (log scale), one panel per batch size in `batch_sizes` and one
    marker per model, named in the legend (student variants often overlap).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ConfigurationError(
            f"report.png needs matplotlib (pip install matplotlib): {error}"
        ) from None
    metric = next(key for key in METRICS if all(key in row for row in rows))
    figure, panels = plt.subplots(
        1, len(batch_sizes), figsize=(4 * len(batch_sizes) + 2, 4), sharey=True, squeeze=False
    )
    markers = "os^vD<>pP*Xh"
    for axes, batch_size in zip(panels[0], batch_sizes):
        for index, row in enumerate(rows):
            axes.scatter(
                row["throughput"][batch_size],
                100 * row[metric],
                marker=markers[index % len(markers)],
                label=row["name"] + (" (int8)" if row["int8"] else ""),
            )
        axes.set_xscale("log")
        axes.set_xlabel(f"texts/s on CPU at batch {batch_size} (log scale)")
    panels[0][0].set_ylabel(f"{metric} (%)")
    panels[0][-1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    figure.tight_layout()
    figure.savefig(path + ".tmp.png", dpi=120)
    plt.close(figure)
    os.replace(path + ".tmp.png", path)


def _write(path: str, text: str) -> None:
    with open(path + ".tmp", "w", encoding="utf-8") as output:
        output.write(text)
    os.replace(path + ".tmp", path)
