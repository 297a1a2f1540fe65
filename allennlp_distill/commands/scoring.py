"""
The task metrics `allennlp distill-report` gives a model on a gold file: `allennlp evaluate`'s for
an archive (`archive_metrics`), the same ones computed from a `distill-export` directory's outputs
(`evaluate_exported`, `evaluate_exported_tagger`), and the 95 % interval of an accuracy. Split out
of `measure.py`, which measures the rest of a row (size, memory, speed).
"""

import math
from typing import Any, Dict, List, Sequence, Tuple

import torch
from allennlp.data import Instance, Vocabulary
from allennlp.data.data_loaders import SimpleDataLoader
from allennlp.models import Model
from allennlp.training.metrics import (
    CategoricalAccuracy,
    PearsonCorrelation,
    SpanBasedF1Measure,
    SpearmanCorrelation,
)
from allennlp.training.util import evaluate

from allennlp_distill.dataset_readers.rows import DataFormatError, iter_rows
from allennlp_distill.dataset_readers.tagging import iter_conll_sentences

#: The task metrics a report shows: `f1-measure-overall` is a tagger's span F1 (CoNLL-2003).
METRICS = ("accuracy", "f1", "f1-measure-overall", "pearson", "spearman")
#: Rows per call when an exported student scores a gold file.
EVAL_BATCH_SIZE = 256


def archive_metrics(
    model: Model, reader, gold_file: str, cuda_device: int = -1
) -> Dict[str, float]:
    """
    The task metrics (`METRICS`) of `allennlp evaluate` for a loaded model on `gold_file`, and
    `examples`, the number of rows scored; `cuda_device` is the model's GPU, or -1.
    """
    instances = list(reader.read(gold_file))
    for instance in instances:
        reader.apply_token_indexers(instance)
    return instance_metrics(model, instances, cuda_device)


def instance_metrics(
    model: Model, instances: Sequence[Instance], cuda_device: int = -1
) -> Dict[str, float]:
    """`archive_metrics` on instances already read and indexed."""
    loader = SimpleDataLoader(list(instances), batch_size=64, vocab=model.vocab)
    metrics = evaluate(model, loader, cuda_device=cuda_device)
    scores = {key: metrics[key] for key in METRICS if key in metrics}
    if "tags" in instances[0].fields:
        # A tagger's token accuracy is over words that are not independent draws: no interval.
        return scores
    return {**scores, "examples": len(instances)}


def evaluate_exported(student, eval_file: str) -> Tuple[List[Dict[str, str]], Dict[str, float]]:
    """
    The rows of `eval_file` an exported student is scored on, and its metrics on them (see
    `exported_metrics`). Rows whose label the student's reader skipped (`skip_labels`, MNLI's
    `-`) are not scored, as in `allennlp evaluate`.

    # Raises
    `DataFormatError` naming `eval_file` and the line of a row without a gold label, or with one
    the student does not know, and when no row is left to score.
    """
    rows = []
    for line_number, row in iter_rows(eval_file, required_columns=student.text_columns):
        label = str(row.get(student.label_column) or "").strip()
        if not student.regression and label in student.skip_labels:
            continue
        if not label:
            raise DataFormatError(eval_file, line_number, f"no gold {student.label_column!r}")
        if not student.regression and label not in student.labels:
            # The words of `allennlp evaluate` (GoldLabelField) for the same row.
            raise DataFormatError(
                eval_file,
                line_number,
                f"label {label!r} is not one the model knows: {sorted(student.labels)}",
            )
        rows.append(row)
    if not rows:
        raise DataFormatError(eval_file, 1, "every row was skipped: nothing to score")
    outputs = torch.cat(
        [
            student.outputs(student.inputs(rows[first : first + EVAL_BATCH_SIZE]))
            for first in range(0, len(rows), EVAL_BATCH_SIZE)
        ]
    )
    return rows, exported_metrics(student, outputs, [row[student.label_column] for row in rows])


def evaluate_exported_tagger(
    student, eval_file: str
) -> Tuple[List[Dict[str, Any]], Dict[str, float]]:
    """
    The sentences of the CoNLL file `eval_file` as an exported tagger's rows (`{"tokens":
    words}`), and its metrics on them, AllenNLP's as `allennlp evaluate` gives them: token
    `accuracy`, and for a span tagger `SpanBasedF1Measure`'s `precision-overall`,
    `recall-overall`, `f1-measure-overall`.

    # Raises
    `DataFormatError` naming `eval_file` and the line of a sentence with a tag the tagger does not
    know (and `iter_conll_sentences`'s).
    """
    rows, gold = [], []
    sentences = iter_conll_sentences(eval_file, student.tag_column, pos_column=None)
    for line_number, words, _, tags in sentences:
        tags = tags or []  # (the tag column is read: iter_conll_sentences raises without it)
        unknown = sorted(set(tags) - set(student.labels))
        if unknown:
            raise DataFormatError(
                eval_file, line_number, f"tags {unknown} are not ones the model knows"
            )
        rows.append({"tokens": words})
        gold.append([student.labels.index(tag) for tag in tags])
    vocab = Vocabulary()
    vocab.add_tokens_to_namespace(student.labels, "labels")  # unpadded: index = logit column
    accuracy = CategoricalAccuracy()
    spans = (
        SpanBasedF1Measure(vocab, "labels", label_encoding=student.label_encoding)
        if student.label_encoding
        else None
    )
    for first in range(0, len(rows), EVAL_BATCH_SIZE):
        batch = rows[first : first + EVAL_BATCH_SIZE]
        logits = student.outputs(student.inputs(batch))
        gold_tags = torch.zeros(logits.shape[:2], dtype=torch.long)
        for i, indices in enumerate(gold[first : first + EVAL_BATCH_SIZE]):
            gold_tags[i, : len(indices)] = torch.tensor(indices)
        lengths = torch.tensor([len(row["tokens"]) for row in batch])
        mask = torch.arange(logits.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)
        # The tags the student gives (a CRF's Viterbi path), as one-hot scores.
        best = student.tag_ids(logits, lengths)
        predicted = torch.nn.functional.one_hot(best, logits.shape[-1]).to(logits)
        accuracy(predicted, gold_tags, mask)  # type: ignore[arg-type]
        if spans is not None:
            spans(predicted, gold_tags, mask)  # type: ignore[arg-type]
    metrics = {"accuracy": accuracy.get_metric()}
    if spans is not None:
        metrics.update(
            {key: value for key, value in spans.get_metric().items() if key.endswith("-overall")}
        )
    return rows, metrics


def exported_metrics(student, outputs: torch.Tensor, gold: Sequence[str]) -> Dict[str, float]:
    """
    `accuracy` of an exported classifier's `outputs` (logits `(num_rows, num_labels)`) against
    the `gold` label names, or `pearson` and `spearman` of a regression student's scores
    `(num_rows,)` against the gold scores; and `examples`, the number of rows.

    # Raises
    `ValueError` when a gold score is not a number.
    """
    if student.regression:
        scores = torch.tensor([float(label) for label in gold])
        pearson, spearman = PearsonCorrelation(), SpearmanCorrelation()
        pearson(outputs, scores)
        spearman(outputs, scores)
        return {
            "pearson": pearson.get_metric(),
            "spearman": spearman.get_metric(),
            "examples": len(gold),
        }
    predicted = [student.labels[int(index)] for index in outputs.argmax(dim=-1)]
    correct = sum(p == g.strip() for p, g in zip(predicted, gold))
    return {"accuracy": correct / len(gold), "examples": len(gold)}


def accuracy_interval(accuracy: float, examples: int) -> float:
    """
    Half the width of the 95 % confidence interval of an `accuracy` (a fraction) measured on
    `examples` independent texts, by the normal approximation of the binomial: 1.96 standard
    errors, as a fraction. On SST-2 dev (872 texts) near 88 % it is 0.022, so two models, or dev
    and a held-out slice, that differ by less are not told apart by one run.
    """
    return 1.96 * math.sqrt(accuracy * (1 - accuracy) / max(1, examples))
