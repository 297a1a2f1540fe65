"""
A README table of finished training runs, read from the files AllenNLP and `allennlp evaluate`
wrote, so that a table is regenerated rather than retyped:

    python scripts/metrics_table.py "student=runs/conll2003_unlab/student" \\
        "baseline=runs/conll2003_mpnet/baseline" [--metric f1-measure-overall]

For each `LABEL=DIR`: the metric on `DIR/dev_metrics.json` and `DIR/test_metrics.json` (in %),
the test precision and recall when the metric is a span F1, the best epoch (counted from 1) of
`DIR/metrics.json`, and the validation metric of every `DIR/metrics_epoch_N.json`, the best in
bold. A missing file is an error naming it.

Runs given the same LABEL (the same setting trained with other seeds, `DISTILL_SEED`) get a
second table beside the first: for each such label, how many runs, and the mean of dev and test
with the lowest and highest run, so that a difference between settings can be read against the
spread of one setting:

    python scripts/metrics_table.py student=runs/a/student student=runs/a/student_seed2 \
        baseline=runs/a/baseline baseline=runs/a/baseline_seed2
"""

import argparse
import glob
import json
import os
import re
from collections import defaultdict
from typing import Dict, List, Optional, Tuple


def read_json(path: str) -> Dict:
    """The JSON object in `path`; `FileNotFoundError` naming it when there is none."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file (has the run finished and been evaluated?)")
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def value_of(metrics: Dict, key: str, path: str) -> float:
    """`metrics[key]`; `ValueError` naming `path`, the key and the keys it has when it lacks it
    (a classification run read with a tagger's default `--metric`, say)."""
    if key not in metrics:
        raise ValueError(
            f"{path} has no {key!r} (it has {', '.join(sorted(metrics))}): choose another --metric"
        )
    return metrics[key]


def row(label: str, directory: str, metric: str) -> Tuple[List[str], Tuple[float, float]]:
    """
    One table row: label, dev, test, test P / R, best epoch, the metric on dev per epoch; and
    the dev and test figures (in %) unrounded, for the table over seeds.
    """
    dev_path, test_path = (os.path.join(directory, f"{s}_metrics.json") for s in ("dev", "test"))
    dev, test = read_json(dev_path), read_json(test_path)
    dev_value, test_value = value_of(dev, metric, dev_path), value_of(test, metric, test_path)
    best = read_json(os.path.join(directory, "metrics.json")).get("best_epoch")
    epochs = sorted(
        (int(re.findall(r"(\d+)\.json$", path)[0]), path)
        for path in glob.glob(os.path.join(directory, "metrics_epoch_*.json"))
    )
    curve = []
    for epoch, path in epochs:
        value = f"{100 * value_of(read_json(path), f'validation_{metric}', path):.2f}"
        curve.append(f"**{value}**" if epoch == best else value)
    precision_recall = ""
    if metric.startswith("f1-measure"):
        suffix = metric[len("f1-measure") :]
        precision_recall = (
            f"{100 * test[f'precision{suffix}']:.2f} / {100 * test[f'recall{suffix}']:.2f}"
        )
    cells = [
        label,
        f"{100 * dev_value:.2f}",
        f"{100 * test_value:.2f}",
        precision_recall,
        "" if best is None else str(best + 1),
        " · ".join(curve),
    ]
    return cells, (100 * dev_value, 100 * test_value)


def seed_rows(values: Dict[str, List[Tuple[float, float]]]) -> List[List[str]]:
    """
    For each label with more than one `(dev, test)` pair (in %), in first-seen order: label,
    number of runs, and dev and test as `mean (lowest–highest)`.
    """
    rows = []
    for label, pairs in values.items():
        if len(pairs) < 2:
            continue
        cells = [label, str(len(pairs))]
        for column in zip(*pairs):
            mean = sum(column) / len(column)
            cells.append(f"{mean:.2f} ({min(column):.2f}–{max(column):.2f})")
        rows.append(cells)
    return rows


def print_table(header: List[str], rows: List[List[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for cells in rows:
        print("| " + " | ".join(cells) + " |")


def main(argv: Optional[List[str]] = None) -> None:
    """Prints the table (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", metavar="LABEL=DIR")
    parser.add_argument("--metric", default="f1-measure-overall")
    args = parser.parse_args(argv)
    rows = []
    values: Dict[str, List[Tuple[float, float]]] = defaultdict(list)
    for run in args.runs:
        label, separator, directory = run.partition("=")
        if not separator:
            parser.error(f"{run}: give LABEL=DIR")
        cells, dev_test = row(label, directory, args.metric)
        rows.append(cells)
        values[label].append(dev_test)
    print_table(["model", "dev", "test", "test P / R", "best epoch", "dev per epoch"], rows)
    over_seeds = seed_rows(values)
    if over_seeds:
        print()
        print_table(["model", "runs", "dev: mean (range)", "test: mean (range)"], over_seeds)


if __name__ == "__main__":
    main()
