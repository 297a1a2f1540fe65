"""
`allennlp transfer-set-merge`: joins the shards of a transfer set labelled by N processes or
machines into the file one `allennlp transfer-set` run writes.

    # on N machines (or N processes of one), K = 0 .. N-1, the same teacher, input and settings:
    allennlp transfer-set teacher/model.tar.gz train.tsv -o transfer.jsonl \\
        --num-shards N --shard-index K --predictor-args '{"n_iter": 20}'
    # then, where the N files transfer.jsonl.shard-K-of-N lie:
    allennlp transfer-set-merge transfer.jsonl --num-shards N

Each shard labels consecutive input lines and de-duplicates only within itself; the merge keeps
the shards' rows in input order and drops each row that one run would not have written (an
augmented copy equal to an earlier row, an original equal to an earlier original), so the merged
rows are the one-process run's rows (their teacher logits agree to the 5 decimals written, up to
the rounding of a batch's padding). The merge first checks that every shard is there, complete,
and made from the same input, teacher, unigram file and settings, and writes nothing otherwise;
it writes the output to a temporary file and renames it, then records it as a complete transfer
set of the same provenance, which `allennlp transfer-set` accepts as finished.
"""

import argparse
import json
import logging
import os
from typing import Any, Dict, List, Set, Tuple

from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError

from allennlp_distill.commands.transfer_set import check_shard, shard_path, write_json_atomically
from allennlp_distill.dataset_readers.rows import progress_path

logger = logging.getLogger(__name__)


@Subcommand.register("transfer-set-merge")
class TransferSetMergeCommand(Subcommand):
    """
    Registered as a `Subcommand` with name "transfer-set-merge"; see the module docstring.
    """

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = "Join the shards of a transfer set written by `transfer-set --num-shards`."
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("output_file", help="the transfer set's path (the shards' -o)")
        subparser.add_argument("--num-shards", type=int, required=True)
        subparser.add_argument(
            "--force", action="store_true", help="replace an output file not made by this merge"
        )
        subparser.set_defaults(
            func=lambda args: merge_transfer_set_shards(
                args.output_file, args.num_shards, force=args.force
            )
        )
        return subparser


def merge_transfer_set_shards(
    output_file: str, num_shards: int, force: bool = False
) -> Dict[str, Any]:
    """
    Writes `output_file` from its `num_shards` shards (`shard_path(output_file, K, N)`), see the
    module docstring.

    # Returns
    The merged transfer set's progress record: `{"input_lines": int, "bytes": int,
    "complete": True, "provenance": ...}` (the shards' provenance without the shard).

    # Raises
    `ConfigurationError`, with nothing written, when a shard or its progress record is missing,
    a shard is not complete, holds another shard number, or was made from another input,
    teacher, unigram file or settings than shard 0, or no shard holds a row; or when
    `output_file` exists and is not this merge's (without `force`).
    """
    check_shard(num_shards, 0)
    shards = [shard_path(output_file, index, num_shards) for index in range(num_shards)]
    records = [_shard_record(path, index, num_shards) for index, path in enumerate(shards)]
    provenance = {key: value for key, value in records[0]["provenance"].items() if key != "shard"}
    for index, record in enumerate(records[1:], start=1):
        theirs = {key: value for key, value in record["provenance"].items() if key != "shard"}
        if theirs != provenance:
            changed = _differences(provenance, theirs) + _differences(
                provenance.get("settings", {}), theirs.get("settings", {})
            )
            raise ConfigurationError(
                f"{shards[index]} was made from another {', '.join(changed)} than {shards[0]}: "
                "every shard must label the same input with the same teacher and settings"
            )
    merged_record = progress_path(output_file)
    if os.path.exists(output_file):
        if os.path.exists(merged_record):
            with open(merged_record, encoding="utf-8") as record_file:
                existing = json.load(record_file)
            if existing.get("complete") and existing.get("provenance") == provenance:
                logger.info("%s is already merged", output_file)
                return existing
        if not force:
            raise ConfigurationError(
                f"{output_file} exists and is not these shards' merge: remove it, or pass --force"
            )
    if all(record["bytes"] == 0 for record in records):
        raise ConfigurationError(
            f"the {num_shards} shards of {output_file} hold no rows: the input has no data rows"
        )
    key_columns = provenance.get("settings", {}).get("text_columns") or ["tokens"]
    # A record of an earlier, unfinished run must not describe the new file.
    if os.path.exists(merged_record):
        os.remove(merged_record)
    size = _write_merged(output_file, shards, key_columns)
    merged = {
        "input_lines": records[-1]["input_lines"],
        "bytes": size,
        "provenance": provenance,
        "complete": True,
    }
    write_json_atomically(merged_record, merged)
    logger.info("Merged %d shards into %s (%d bytes)", num_shards, output_file, size)
    return merged


def _differences(ours: Dict[str, Any], theirs: Dict[str, Any]) -> List[str]:
    """The keys, other than `settings`, whose values differ, sorted."""
    keys = (ours.keys() | theirs.keys()) - {"settings"}
    return sorted(key for key in keys if ours.get(key) != theirs.get(key))


def _shard_record(path: str, index: int, num_shards: int) -> Dict[str, Any]:
    """The progress record of a complete shard; `ConfigurationError` otherwise."""
    record_path = progress_path(path)
    rerun = f"run `allennlp transfer-set ... --num-shards {num_shards} --shard-index {index}`"
    if not (os.path.exists(path) and os.path.exists(record_path)):
        raise ConfigurationError(f"shard {index} of {num_shards} ({path}) is missing: {rerun}")
    with open(record_path, encoding="utf-8") as record_file:
        record = json.load(record_file)
    if not record.get("complete"):
        raise ConfigurationError(
            f"shard {index} of {num_shards} ({path}) is not complete ({record['input_lines']} "
            f"input lines done): {rerun} again to finish it"
        )
    shard = (record.get("provenance") or {}).get("shard")
    if shard != {"index": index, "count": num_shards}:
        raise ConfigurationError(
            f"{path} records shard {shard} in {record_path}, not shard {index} of {num_shards}"
        )
    return record


def _write_merged(output_file: str, shards: List[str], key_columns: List[str]) -> int:
    """
    Concatenates the shards' rows in order without the rows one run would not have written
    (`transfer_set` predictors' rule: an original is dropped after an equal original, an
    augmented copy after any equal row), to a temporary file renamed over `output_file`.
    Returns the bytes written.
    """
    seen: Set[Tuple[Any, ...]] = set()
    originals: Set[Tuple[Any, ...]] = set()
    temporary = output_file + ".tmp"
    with open(temporary, "wb") as merged:
        for path in shards:
            with open(path, "rb") as shard:
                for line in shard:
                    row = json.loads(line)
                    key = tuple(
                        tuple(value) if isinstance(value, list) else value
                        for value in (row[column] for column in key_columns)
                    )
                    if row.get("augmented"):
                        if key in seen:
                            continue
                    elif key in originals:
                        continue
                    else:
                        originals.add(key)
                    seen.add(key)
                    merged.write(line)
        merged.flush()
        os.fsync(merged.fileno())
        size = merged.tell()
    os.replace(temporary, output_file)
    return size
