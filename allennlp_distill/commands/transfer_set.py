"""
`allennlp transfer-set`: the `transfer_set` predictor over a whole input file, written so that a
killed run loses nothing. `allennlp predict` opens its output with `"w"`, so an interrupted run
of hours starts again from nothing; this command appends each batch's complete lines, `fsync`s
them, and only then records in `<output>.progress` how many input lines and output bytes are
done. Rerunning the same command continues after the last recorded batch: the output is cut back
to the recorded size (dropping any lines of a batch whose progress was not recorded), the rows
already written are remembered for de-duplication, and because an item's augmented copies depend
only on the seed and its text, the finished file is byte-identical to an uninterrupted run's.

    allennlp transfer-set runs/sst2/teacher/model.tar.gz train.tsv -o runs/sst2/transfer.jsonl \\
        --predictor-args '{"n_iter": 4}' --include-package allennlp_distill

The progress record also holds the run's provenance: the SHA-256 of the input file, of the
teacher archive and of the unigram file, and the predictor's settings (label order, columns,
augmentation rates, seed, ...). Resuming, or rerunning a finished run, with any of them changed
is an error rather than a file mixed from two runs or a stale one kept; `--force` starts again.

AllenNLP finds a plugin's subcommand through the `.allennlp_plugins` file of the working
directory (this repository has one), not through `--include-package`.
"""

import argparse
import collections
import contextlib
import hashlib
import itertools
import json
import logging
import os
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allennlp_distill.dataset_readers.rows import DataFormatError, no_rows_error, progress_path
from allennlp_distill.models.tagger import DistilledTagger
from allennlp_distill.predictors.transfer_set import TransferSetPredictor

logger = logging.getLogger(__name__)


@Subcommand.register("transfer-set")
class TransferSetCommand(Subcommand):
    """
    Registered as a `Subcommand` with name "transfer-set"; see the module docstring.
    """

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = "Write a transfer set with a teacher archive, resumably."
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("archive_file", help="the fine-tuned teacher (model.tar.gz)")
        subparser.add_argument("input_file", help="training set: TSV with a header, or JSONL")
        subparser.add_argument("-o", "--output-file", required=True, help="transfer-set JSONL")
        subparser.add_argument(
            "--batch-size", type=int, default=256, help="input lines per batch (and checkpoint)"
        )
        subparser.add_argument(
            "--predictor-args",
            type=str,
            default="{}",
            help="JSON arguments of the transfer_set predictor, e.g. '{\"n_iter\": 4}'",
        )
        subparser.add_argument(
            "--cuda-device",
            type=int,
            default=int(os.environ.get("DISTILL_CUDA_DEVICE") or -1),
            help="the teacher's device (default: DISTILL_CUDA_DEVICE, else -1, the CPU)",
        )
        subparser.add_argument(
            "--num-shards",
            type=int,
            default=None,
            help="label one of N consecutive parts of the input (with --shard-index), written to "
            "OUTPUT.shard-K-of-N; `allennlp transfer-set-merge` joins them",
        )
        subparser.add_argument(
            "--shard-index", type=int, default=None, help="which part, 0 to N - 1"
        )
        subparser.add_argument(
            "--force",
            action="store_true",
            help="start again when the output was made from another input, teacher or settings",
        )
        subparser.set_defaults(func=_run)
        return subparser


def _run(args: argparse.Namespace) -> None:
    try:
        predictor_args = json.loads(args.predictor_args)
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"--predictor-args is not JSON: {error}") from None
    shard = check_shard(args.num_shards, args.shard_index)
    archive = load_archive(args.archive_file, cuda_device=args.cuda_device)
    # A tagger teacher labels every token (`tagging_transfer_set`); any other, each text.
    name = "tagging_transfer_set" if isinstance(archive.model, DistilledTagger) else "transfer_set"
    predictor = Predictor.from_archive(archive, name, extra_args=predictor_args)
    write_transfer_set(
        predictor,  # type: ignore[arg-type]
        args.input_file,
        args.output_file if shard is None else shard_path(args.output_file, *shard),
        args.batch_size,
        provenance=provenance(predictor, args.archive_file, args.input_file),  # type: ignore
        force=args.force,
        shard=shard,
    )


def check_shard(num_shards: Optional[int], shard_index: Optional[int]) -> Optional[Tuple[int, int]]:
    """
    `(shard_index, num_shards)`, or None for a whole run (neither given).

    # Raises
    `ConfigurationError` when only one of the two is given, `num_shards` < 1, or `shard_index`
    lies outside 0 .. `num_shards` - 1.
    """
    if num_shards is None and shard_index is None:
        return None
    if num_shards is None or shard_index is None:
        raise ConfigurationError("--num-shards and --shard-index go together: give both or neither")
    if num_shards < 1:
        raise ConfigurationError(f"--num-shards {num_shards}: the number of parts, at least 1")
    if not 0 <= shard_index < num_shards:
        raise ConfigurationError(
            f"--shard-index {shard_index} is not one of the {num_shards} shards (0 to "
            f"{num_shards - 1})"
        )
    return shard_index, num_shards


def shard_path(output_file: str, shard_index: int, num_shards: int) -> str:
    """Where shard `shard_index` of `num_shards` of `output_file` is written."""
    return f"{output_file}.shard-{shard_index:05d}-of-{num_shards:05d}"


def shard_lines(total: int, shard_index: int, num_shards: int) -> Tuple[int, int]:
    """
    The input lines (non-blank, counted from 1) of a shard, `(first, last)`: the `total` lines
    cut into `num_shards` consecutive parts whose sizes differ by at most one. A shard past the
    end of a short input is empty (`last` = `first` - 1).
    """
    return total * shard_index // num_shards + 1, total * (shard_index + 1) // num_shards


def provenance(
    predictor: TransferSetPredictor, archive_file: str, input_file: str
) -> Dict[str, Any]:
    """
    What a transfer set is made from: `input_sha256`, `teacher_sha256` (the archive file),
    `unigram_sha256` (the file POS-guided replacement samples from; `None` when the predictor
    replaces no word, as a tagging transfer set without copies) and the predictor's `settings`.
    """
    unigram_file = predictor.unigram_file
    return {
        "input_sha256": file_sha256(input_file),
        "teacher_sha256": file_sha256(archive_file),
        "unigram_sha256": None if unigram_file is None else file_sha256(unigram_file),
        "settings": predictor.settings,
    }


def file_sha256(path: str) -> str:
    """The hex SHA-256 of a file's bytes (about 1 s per GB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_transfer_set(
    predictor: TransferSetPredictor,
    input_file: str,
    output_file: str,
    batch_size: int = 256,
    provenance: Optional[Dict[str, Any]] = None,
    force: bool = False,
    shard: Optional[Tuple[int, int]] = None,
) -> Dict[str, Any]:
    """
    Runs `predictor` over `input_file` in batches of `batch_size` lines, appending to
    `output_file` and recording progress after each batch; continues an interrupted run made
    from the same `provenance` (see `provenance()`), or starts again with `force`.

    With `shard` = `(K, N)`, only the K-th of N consecutive parts of the input lines
    (`shard_lines`) is labelled, de-duplicated within itself, and the shard is part of the
    recorded provenance; `merge_transfer_set_shards` joins the N outputs into what one run writes.

    # Returns
    The final progress record: `{"input_lines": int, "bytes": int, "complete": True,
    "provenance": provenance}`.

    # Raises
    `ConfigurationError` when `output_file` exists without a progress record (it was not written
    by this command, so it is left alone), the progress record does not match the file, or it
    records another provenance (without `force`), or, before anything is written, when the
    teacher has a label that no row of `input_file` has (a `transfer_set` predictor's
    `check_input`: a teacher of another task); `DataFormatError` naming `input_file` and its
    line for a bad input line (one that does not parse, lacks its text or has a gold label the
    teacher does not know is found by `check_input` before anything is written; for one found
    while labelling, what was written before it stays, and a rerun after fixing the line
    continues), or when `input_file` has no data row (a whole run; a shard may have none).
    """
    checked = isinstance(predictor, TransferSetPredictor)  # a tagging one's rows are tokens
    first, last = 1, None
    if checked or shard is not None:  # one pass over the input: its check, and a shard's count
        with open(input_file, "rb") as input_lines, _named_by_file_line(input_file) as counted:
            lines = _decoded_non_blank_lines(input_file, input_lines, counted)
            if checked:
                predictor.check_input(lines, input_file)
            else:
                collections.deque(lines, maxlen=0)
    if shard is not None:
        first, last = shard_lines(len(counted), *shard)
        provenance = {**(provenance or {}), "shard": {"index": shard[0], "count": shard[1]}}
    progress = _start(output_file, provenance, force)
    if progress.get("complete"):
        logger.info("%s is complete (%s input lines)", output_file, progress["input_lines"])
        return progress
    done_lines = max(progress["input_lines"], first - 1)
    with open(output_file, encoding="utf-8") as written:
        predictor.remember_written(json.loads(line) for line in written)
    with open(input_file, "rb") as input_lines, _named_by_file_line(input_file) as file_lines:
        lines = _decoded_non_blank_lines(input_file, input_lines, file_lines)
        # Every line before the part to label still goes through `load_line` (the TSV
        # header, the predictor's line count), unlabelled.
        for number, line in enumerate(lines, start=1):
            if number > done_lines:
                pending = [(number, line)]
                break
            predictor.load_line(line)
        else:
            pending = []
        part: Iterator[Tuple[int, str]] = itertools.chain(
            pending, zip(itertools.count(done_lines + 2), lines)
        )
        if last is not None:
            part = itertools.takewhile(lambda numbered: numbered[0] <= last, part)
        for number, batch in _batches(part, batch_size):
            inputs = [predictor.load_line(line) for line in batch]
            outputs = predictor.predict_batch_json(inputs)
            text = "".join(predictor.dump_line(output) for output in outputs)
            progress = _append(output_file, text, number + len(batch) - 1, provenance)
    if shard is not None:
        progress = {**progress, "input_lines": max(progress["input_lines"], last or 0)}
    elif progress["bytes"] == 0:
        last_line = file_lines[-1] if file_lines else 1
        raise no_rows_error(input_file, last_line)
    progress["complete"] = True
    _record(output_file, progress)
    return progress


def _start(output_file: str, provenance: Optional[Dict[str, Any]], force: bool) -> Dict[str, Any]:
    """The progress so far, with the output cut back to it."""
    record = progress_path(output_file)
    if force:
        logger.info("--force: starting %s again", output_file)
        if os.path.exists(record):
            os.remove(record)
        open(output_file, "wb").close()
    if not os.path.exists(record):
        if os.path.exists(output_file) and os.path.getsize(output_file) > 0:
            raise ConfigurationError(
                f"{output_file} exists but has no {record}: it was not written by "
                "`allennlp transfer-set`; remove it, choose another output file or pass --force"
            )
        open(output_file, "wb").close()
        progress: Dict[str, Any] = {"input_lines": 0, "bytes": 0, "provenance": provenance}
        _record(output_file, progress)
        return progress
    with open(record, encoding="utf-8") as record_file:
        progress = json.load(record_file)
    _check_provenance(output_file, progress.get("provenance"), provenance)
    if not os.path.exists(output_file):
        raise ConfigurationError(
            f"{record} records {progress['input_lines']} input lines of {output_file}, which is "
            "gone: remove the record to start again, or pass --force"
        )
    if os.path.getsize(output_file) < progress["bytes"]:
        raise ConfigurationError(
            f"{output_file} is shorter than {record} says ({progress['bytes']} bytes): "
            "it was changed after the run; remove both to start again"
        )
    with open(output_file, "r+b") as output:
        output.truncate(progress["bytes"])
    logger.info("Resuming %s after %d input lines", output_file, progress["input_lines"])
    return progress


def _check_provenance(
    output_file: str, recorded: Optional[Dict[str, Any]], current: Optional[Dict[str, Any]]
) -> None:
    """
    # Raises
    `ConfigurationError` naming what differs when `output_file` was made from another input,
    teacher, unigram file or settings than `current`.
    """
    if current is None or recorded == current:
        return
    recorded = recorded or {}
    recorded_settings, settings = recorded.get("settings", {}), current["settings"]
    changed = sorted(
        [key for key in current if key != "settings" and recorded.get(key) != current[key]]
        + [
            key
            for key in recorded_settings.keys() | settings.keys()
            if recorded_settings.get(key) != settings.get(key)
        ]
    )
    problem = (
        f"was made from another {', '.join(changed)} than this run's"
        if recorded
        else "records no provenance (it was made by an older version)"
    )
    raise ConfigurationError(
        f"{output_file} {problem} ({progress_path(output_file)}): write to a new output file, or "
        "pass --force to start it again; a transfer set is never mixed from two runs"
    )


@contextlib.contextmanager
def _named_by_file_line(input_file: str) -> Iterator[List[int]]:
    """
    Yields the list that `_decoded_non_blank_lines` fills with each non-blank line's file line;
    a `DataFormatError` of the predictor's input (named `input:N`, N counting non-blank lines as
    `allennlp predict` feeds them) raised inside is raised again naming `input_file` and the
    file's line. Any other (the unigram file's, already by its file and line) passes as it is.
    """
    file_lines: List[int] = []
    try:
        yield file_lines
    except DataFormatError as error:
        if error.path != "input" or isinstance(error, _UndecodableLine):
            raise
        line_number = file_lines[error.line_number - 1]
        raise DataFormatError(input_file, line_number, error.problem) from None


class _UndecodableLine(DataFormatError):
    """A line of the input file that is not UTF-8, named by the file's own line number."""


def _decoded_non_blank_lines(
    path: str, raw_lines: Iterable[bytes], file_lines: List[int]
) -> Iterator[str]:
    """Each non-blank line as text, its file line number appended to `file_lines`."""
    for line_number, raw in enumerate(raw_lines, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _UndecodableLine(path, line_number, f"not valid UTF-8 ({error.reason})") from None
        if line.strip():
            file_lines.append(line_number)
            yield line


def _batches(lines: Iterable[Tuple[int, str]], batch_size: int) -> Iterator[Tuple[int, List[str]]]:
    """`(number of the batch's first line, lines)` per batch of consecutive numbered lines."""
    batch: List[str] = []
    first = 0
    for number, line in lines:
        if not batch:
            first = number
        batch.append(line)
        if len(batch) == batch_size:
            yield first, batch
            batch = []
    if batch:
        yield first, batch


def _append(
    output_file: str, text: str, input_lines: int, provenance: Optional[Dict[str, Any]]
) -> Dict[str, Any]:
    with open(output_file, "ab") as output:
        output.write(text.encode("utf-8"))
        output.flush()
        os.fsync(output.fileno())
        size = output.tell()
    progress: Dict[str, Any] = {"input_lines": input_lines, "bytes": size, "provenance": provenance}
    _record(output_file, progress)
    return progress


def _record(output_file: str, progress: Dict[str, Any]) -> None:
    """Writes the progress record whole, then renames it over the old one (atomic)."""
    write_json_atomically(progress_path(output_file), progress)


def write_json_atomically(path: str, value: Any, indent: Optional[int] = None) -> None:
    """
    Writes `value` as JSON (and a final newline) to `path + ".tmp"`, flushed to disk, then
    renames it over `path`: a kill at any moment leaves the old file or the new one, whole.
    """
    with open(path + ".tmp", "w", encoding="utf-8") as json_file:
        json.dump(value, json_file, indent=indent)
        json_file.write("\n")
        json_file.flush()
        os.fsync(json_file.fileno())
    os.replace(path + ".tmp", path)
