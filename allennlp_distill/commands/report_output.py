"""
How `allennlp distill-report` writes its rows (`report.write_report` measures them): `report.md`,
one Markdown row per model with its metrics (± the 95 % interval of an accuracy), size, memory,
throughput, latency and speed-ups over each teacher, and `report.png`, task metric against
throughput at the smallest and largest batch size. Each file is written beside its name and
moved into place, so a failure leaves none half-written.
"""

import os
from typing import Any, Dict, List, Optional, Sequence

from allennlp.common.checks import ConfigurationError

from allennlp_distill.commands.scoring import METRICS, accuracy_interval


def markdown_table(
    rows: List[Dict[str, Any]], batch_sizes: Sequence[int], meta: Optional[Dict[str, Any]] = None
) -> str:
    """The report as a Markdown table, one row per model."""
    metrics = [key for key in METRICS if any(key in row for row in rows)]
    heldout = [key for key in METRICS if any(key in row.get("heldout", {}) for row in rows)]
    # Speed-ups over the first teacher, then over any other teacher (named in the header).
    teachers = list(rows[0].get("speedup_over", {}))[1:]
    taggers = any("tokens_per_text" in row for row in rows)
    memory = any("serving_memory_mb" in row for row in rows)
    header = (
        ["model", *metrics, *[f"held-out {key}" for key in heldout]]
        + ["params", "params w/o emb.", "size MB"]
        + (["serving RAM MB"] if memory else [])
        + [f"texts/s @{size}" for size in batch_sizes]
        + ([f"tokens/s @{max(batch_sizes)}"] if taggers else [])
        + ["p50 ms @1", "p95 ms @1"]
        + [f"speed-up @{size}" for size in batch_sizes]
        + [f"vs {teacher} @{size}" for teacher in teachers for size in batch_sizes]
    )
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        cells = (
            [row["name"] + (" (int8)" if row["int8"] else " (bf16)" if row.get("bf16") else "")]
            + [_metric_cell(row, key) for key in metrics]
            + [_metric_cell(row.get("heldout", {}), key) for key in heldout]
            + [f"{row['parameters']:,}", f"{row['parameters_without_embeddings']:,}"]
            + [f"{row['size_mb']:.1f}"]
            + ([f"{row['serving_memory_mb']:,.0f}" if "serving_memory_mb" in row else ""] * memory)
            + [f"{row['throughput'][size]:,.0f}" for size in batch_sizes]
            + (
                [f"{row['throughput'][max(batch_sizes)] * row['tokens_per_text']:,.0f}"]
                if taggers and "tokens_per_text" in row
                else [""] * taggers
            )
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
            f"{meta.get('device', 'cpu')}, {meta['threads']} torch threads, torch {meta['torch']}, "
            f"{meta['cpu_count']} CPUs" + (f" ({meta['cpu']})" if meta.get("cpu") else "") + ", "
            f"{meta['texts']} texts of `{meta['eval_file']}`; "
            + (
                "metrics in %: the correlation of each pair's cosine similarity with its gold "
                "score (nothing fine-tuned)"
                if meta.get("sentence_encoders")
                else "metrics in %, accuracy ± half its 95 % confidence interval"
            )
            + (
                f", held-out metrics on `{meta['heldout_file']}`."
                if meta.get("heldout_file")
                else "."
            )
        )
    return "\n".join(lines) + "\n"


def _metric_cell(metrics: Dict[str, Any], key: str) -> str:
    """A metric in %; an accuracy with ± half its 95 % interval when the row count is known."""
    if key not in metrics:
        return ""
    cell = f"{100 * metrics[key]:.2f}"
    if key == "accuracy" and "examples" in metrics:
        cell += f" ±{100 * accuracy_interval(metrics[key], metrics['examples']):.1f}"
    return cell


def plot(rows: List[Dict[str, Any]], batch_sizes: Sequence[int], path: str) -> None:
    """
    Task metric against throughput (log scale), one panel per batch size in `batch_sizes` and one
    marker per model, named in the legend (student variants often overlap).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError as error:
        raise ConfigurationError(
            f"report.png needs matplotlib (pip install matplotlib): {error}"
        ) from None
    # Sentence encoders (rows of `pairs`) are judged by Spearman, as in `sts-eval`; a row without
    # the metric (an encoder of constant cosines has no correlation) is left out of the plot.
    encoders = all("pairs" in row for row in rows)
    order = ("spearman",) * encoders + METRICS
    metric = next((key for key in order if any(key in row for row in rows)), METRICS[0])
    rows = [row for row in rows if metric in row]
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
        # Minor ticks unlabelled: on a span under a decade their labels overlap.
        axes.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        axes.set_xlabel(f"texts/s on CPU at batch {batch_size} (log scale)")
    panels[0][0].set_ylabel(f"{metric} (%)")
    panels[0][-1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    figure.tight_layout()
    figure.savefig(path + ".tmp.png", dpi=120)
    plt.close(figure)
    os.replace(path + ".tmp.png", path)


def write_text(path: str, text: str) -> None:
    """`text` as the UTF-8 file `path`, through `path`.tmp, which replaces it once written."""
    with open(path + ".tmp", "w", encoding="utf-8") as output:
        output.write(text)
    os.replace(path + ".tmp", path)
