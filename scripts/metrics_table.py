"""
A README table of finished training runs, read from the files AllenNLP and `allennlp evaluate`
wrote, so that a table is regenerated rather than retyped:

    python scripts/metrics_table.py "student=runs/conll2003_unlab/student" \\
        "baseline=runs/conll2003_mpnet/baseline" [--metric f1-measure-overall]

For each `LABEL=DIR`: the metric on `DIR/dev_metrics.json` and `DIR/test_metrics.json` (in %),
the test precision and recall when the metric is a span F1, the best epoch (counted from 1) of
`DIR/metrics.json`, and the validation metric of every `DIR/metrics_epoch_N.json`, the best in
bold. A missing file is an error naming it.
"""

import argparse
import glob
import json
import os
import re
from typing import Dict, List, Optional


def read_json(path: str) -> Dict:
    """The JSON object in `path`; `FileNotFoundError` naming it when there is none."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file (has the run finished and been evaluated?)")
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def row(label: str, directory: str, metric: str) -> List[str]:
    """One table row: label, dev, test, test P / R, best epoch, the metric on dev per epoch."""
    dev = read_json(os.path.join(directory, "dev_metrics.json"))
    test = read_json(os.path.join(directory, "test_metrics.json"))
    best = read_json(os.path.join(directory, "metrics.json")).get("best_epoch")
    epochs = sorted(
        (int(re.findall(r"(\d+)\.json$", path)[0]), path)
        for path in glob.glob(os.path.join(directory, "metrics_epoch_*.json"))
    )
    curve = []
    for epoch, path in epochs:
        value = f"{100 * read_json(path)[f'validation_{metric}']:.2f}"
        curve.append(f"**{value}**" if epoch == best else value)
    precision_recall = ""
    if metric.startswith("f1-measure"):
        suffix = metric[len("f1-measure") :]
        precision_recall = (
            f"{100 * test[f'precision{suffix}']:.2f} / {100 * test[f'recall{suffix}']:.2f}"
        )
    return [
        label,
        f"{100 * dev[metric]:.2f}",
        f"{100 * test[metric]:.2f}",
        precision_recall,
        "" if best is None else str(best + 1),
        " · ".join(curve),
    ]


def main(argv: Optional[List[str]] = None) -> None:
    """Prints the table (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", metavar="LABEL=DIR")
    parser.add_argument("--metric", default="f1-measure-overall")
    args = parser.parse_args(argv)
    header = ["model", "dev", "test", "test P / R", "best epoch", "dev per epoch"]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for run in args.runs:
        label, separator, directory = run.partition("=")
        if not separator:
            parser.error(f"{run}: give LABEL=DIR")
        print("| " + " | ".join(row(label, directory, args.metric)) + " |")


if __name__ == "__main__":
    main()
