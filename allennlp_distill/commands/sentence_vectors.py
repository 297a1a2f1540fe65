"""
`allennlp sentence-vectors`: the pre-trained teacher's sentence vector of every line of an
unlabelled corpus, stored once as the targets of non-task-specific distillation (Wu et al. 2020,
"Towards Non-task-specific Distillation of BERT via Sentence Representation Approximation", arXiv
2004.03097, §3.1: the student learns to approximate the teacher's sentence representation).

    allennlp sentence-vectors all-MiniLM-L6-v2 ~/.cache/allennlp_distill/unlabelled.txt \\
        -o runs/minilm_vectors --pooling mean --include-package allennlp_distill

OUT_DIR holds `manifest.json` and shards `vectors-00000.npy`, ...: float16 arrays of shape
`(rows, hidden_size)` for `--shard-size` consecutive corpus lines. Each shard, then the manifest,
is written to a temporary file and renamed, so a killed run leaves a consistent folder, and the
same command continues at the first unfinished shard with the bytes an uninterrupted run writes.
The manifest records the provenance (corpus and teacher SHA-256, pooling, max length, shard size,
precision); continuing a folder made from another is an error rather than a mix, and `--force`
starts again.
`--batch-size` is a speed setting, not provenance (resume with the same one for identical bytes).
Vectors are not normalised: sentence-transformers ends all-MiniLM-L6-v2 with a `Normalize`, so a
stored mean vector divided by its L2 norm is that model's `encode` output. `SentenceVectors`
reads a finished folder back.
"""

import argparse
import glob
import hashlib
import json
import logging
import os
import re
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence, Set, Tuple

import numpy
from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError
from allennlp.common.tqdm import Tqdm

from allennlp_distill.commands.transfer_set import (
    check_shard,
    file_sha256,
    write_json_atomically,
)
from allennlp_distill.dataset_readers.rows import DataFormatError
from allennlp_distill.predictors.labelling import PRECISIONS, mixed_precision
from allennlp_distill.teachers import PACKAGED_TEACHERS, resolve_teacher

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
POOLINGS = ("mean", "cls")
# Word pieces a sentence is cut to by default (`--max-length`): sentence-transformers' cut for
# all-MiniLM-L6-v2, and what `sentence_encoders.TeacherEncoder` and the report's teacher compute.
MAX_WORD_PIECES = 128
# What decides the vectors: a folder is only continued when all of these are unchanged.
PROVENANCE_KEYS = (
    "format_version",
    "corpus",
    "teacher",
    "pooling",
    "max_length",
    "shard_size",
    "precision",
)
# A provenance key that a folder written before the key existed lacks reads as this value.
_PROVENANCE_DEFAULTS = {"precision": "fp32"}
_WEIGHT_PATTERNS = ("*.safetensors", "*.safetensors.index.json", "pytorch_model*.bin*")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
_VOCABULARY_FILES = ("vocab.txt", "vocab.json", "merges.txt", "spiece.model")


@Subcommand.register("sentence-vectors")
class SentenceVectorsCommand(Subcommand):
    """
    Registered as a `Subcommand` with name "sentence-vectors"; see the module docstring.
    """

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = "Store a pre-trained teacher's sentence vectors of a corpus, resumably."
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("teacher", help=f"one of {PACKAGED_TEACHERS} or a HF model dir")
        subparser.add_argument("corpus", help="UTF-8 text, one sentence a line")
        subparser.add_argument("-o", "--output-dir", required=True, help="the vectors' folder")
        subparser.add_argument("--pooling", choices=POOLINGS, default="mean")
        subparser.add_argument(
            "--max-length", type=int, default=MAX_WORD_PIECES, help="in word pieces"
        )
        subparser.add_argument("--batch-size", type=int, default=64)
        subparser.add_argument("--shard-size", type=int, default=50000, help="lines per shard")
        subparser.add_argument(
            "--precision",
            choices=PRECISIONS,
            default="fp32",
            help="bf16: the teacher runs under bfloat16 autocast (2.2x on a CPU with AMX; vectors "
            "within 1e-4 of fp32 in cosine); recorded in the manifest",
        )
        subparser.add_argument(
            "--num-shards",
            type=int,
            default=None,
            help="with --shard-index K: write only the shard files K, K + N, K + 2N, ... (one of N "
            "processes or machines); `allennlp sentence-vectors-merge` then records them as one",
        )
        subparser.add_argument("--shard-index", type=int, default=None, help="K, 0 to N - 1")
        subparser.add_argument(
            "--cuda-device",
            type=int,
            default=int(os.environ.get("DISTILL_CUDA_DEVICE") or -1),
            help="the teacher's device (default: DISTILL_CUDA_DEVICE, else -1, the CPU)",
        )
        subparser.add_argument("--force", action="store_true", help="start the folder again")
        subparser.set_defaults(func=_run)
        return subparser


def _run(args: argparse.Namespace) -> None:
    settings = (
        "pooling",
        "max_length",
        "batch_size",
        "shard_size",
        "force",
        "cuda_device",
        "precision",
    )
    write_sentence_vectors(
        args.teacher,
        args.corpus,
        args.output_dir,
        **{key: getattr(args, key) for key in settings},
        labelling_shard=check_shard(args.num_shards, args.shard_index),
    )


def manifest_name(labelling_shard: Optional[Tuple[int, int]] = None) -> str:
    """The manifest of a whole folder, or of labelling shard `(K, N)`'s part of it."""
    if labelling_shard is None:
        return MANIFEST
    return "manifest.shard-{:05d}-of-{:05d}.json".format(*labelling_shard)


def write_sentence_vectors(
    teacher: str,
    corpus: str,
    output_dir: str,
    pooling: str = "mean",
    max_length: int = MAX_WORD_PIECES,
    batch_size: int = 64,
    shard_size: int = 50000,
    force: bool = False,
    labelling_shard: Optional[Tuple[int, int]] = None,
    cuda_device: int = -1,
    precision: str = "fp32",
) -> Dict[str, Any]:
    """
    Writes the sentence vector of each line of `corpus` by `teacher` (a packaged teacher's name or
    a Hugging Face model directory, run with `AutoModel` in eval mode) into `output_dir`, shard by
    shard, continuing an interrupted run of the same provenance (or, with `force`, starting again).
    With `labelling_shard` = `(K, N)` it writes only the shard files K, K + N, ... and records them
    in `manifest_name((K, N))` (one of N processes sharing the work; `merge_sentence_vectors`
    then writes the folder's manifest), and `force` removes only those files. `cuda_device` ≥ 0
    runs the teacher on that GPU (not provenance: a GPU's vectors differ from a CPU's only by
    float rounding).
    `pooling` is `"mean"` (the attention-mask-weighted mean of the last hidden states, as
    sentence-transformers trained all-MiniLM-L6-v2 / all-mpnet-base-v2) or `"cls"` (the first
    token's); texts are cut to `max_length` word pieces; vectors are not normalised. `precision`
    `"bf16"` (or `"fp16"`) runs the teacher under that autocast (`mixed_precision`): on a CPU
    with bfloat16 instructions about twice as fast, the vectors within float rounding of fp32's;
    it is provenance (a folder is continued only in the precision that began it).

    # Returns
    The manifest, with `"complete": True`.

    # Raises
    `DataFormatError` naming `corpus:line` for a blank, repeated or non-UTF-8 line, or an empty
    corpus (before anything is written); `ConfigurationError` for bad settings, a teacher directory
    without config or weights, or an `output_dir` made from another provenance (naming each
    changed key of `PROVENANCE_KEYS`) or not by this command, unless `force`.
    """
    from transformers import AutoConfig, AutoTokenizer

    corpus_sha256, lines = _check_corpus(corpus)
    teacher_dir = resolve_teacher(teacher)
    identity = teacher_identity(teacher, teacher_dir)
    config = AutoConfig.from_pretrained(teacher_dir)
    tokenizer = AutoTokenizer.from_pretrained(teacher_dir)
    longest = min(tokenizer.model_max_length, config.max_position_embeddings)
    if (
        pooling not in POOLINGS
        or precision not in PRECISIONS
        or not 1 <= max_length <= longest
        or min(batch_size, shard_size) < 1
    ):
        raise ConfigurationError(
            f"bad settings: pooling {pooling!r} (one of {POOLINGS}), precision {precision!r} "
            f"(one of {PRECISIONS}), max_length {max_length} (1 to {longest}), batch_size "
            f"{batch_size}, shard_size {shard_size} (at least 1)"
        )
    import torch

    if cuda_device >= torch.cuda.device_count():
        raise ConfigurationError(
            f"--cuda-device {cuda_device}: torch sees {torch.cuda.device_count()} GPU(s) here"
        )
    manifest: Dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "corpus": {"path": os.path.abspath(corpus), "sha256": corpus_sha256, "lines": lines},
        "teacher": identity,
        "pooling": pooling,
        "max_length": max_length,
        "hidden_size": config.hidden_size,
        "dtype": "float16",
        "shard_size": shard_size,
        "precision": precision,
        "shards": [],
        "complete": False,
    }
    numbers = range(-(-lines // shard_size))  # the shard files of the whole corpus
    if labelling_shard is not None:
        manifest["labelling_shard"] = dict(zip(("index", "count"), labelling_shard))
        numbers = numbers[labelling_shard[0] :: labelling_shard[1]]
    manifest["shards"] = _start(output_dir, manifest, force, labelling_shard)
    todo = set(numbers[len(manifest["shards"]) :])
    if not todo:
        logger.info("%s is complete (%d sentences): nothing to do", output_dir, lines)
        manifest["complete"] = True
        if labelling_shard is not None:  # a shard with no file to write is done at once
            _write_manifest(output_dir, manifest, labelling_shard)
        return manifest
    from transformers import AutoModel

    device = torch.device("cpu") if cuda_device < 0 else torch.device("cuda", cuda_device)
    model = AutoModel.from_pretrained(teacher_dir).eval().to(device)
    total = sum(min(shard_size, lines - number * shard_size) for number in todo)
    started = time.perf_counter()
    progress = Tqdm.tqdm(total=total, desc="sentence vectors", unit=" sentences")
    with torch.inference_mode(), mixed_precision(device.type, precision):
        for number, texts in _shards(corpus, shard_size, todo):
            vectors = encode_sentences(
                model, tokenizer, texts, pooling, max_length, batch_size, progress
            )
            name = f"vectors-{number:05d}.npy"
            _save_shard(os.path.join(output_dir, name), vectors)
            first_line = number * shard_size + 1
            manifest["shards"].append({"file": name, "first_line": first_line, "rows": len(texts)})
            manifest["complete"] = number == numbers[-1]
            _write_manifest(output_dir, manifest, labelling_shard)
    progress.close()
    seconds = max(time.perf_counter() - started, 1e-9)
    logger.info("%.1f sentences/s (%d in %.1f s)", total / seconds, total, seconds)
    return manifest


def teacher_identity(teacher: str, teacher_dir: str) -> Dict[str, str]:
    """
    `{"name", "sha256"}` of a teacher: the packaged name, else its directory's name; the SHA-256
    over the names and SHA-256s of its `config.json`, weight files and tokenizer files (a changed
    vocabulary changes the vectors as much as changed weights).

    # Raises
    `ConfigurationError` when `teacher_dir` holds no `config.json` or no weight file.
    """
    found = [glob.glob(os.path.join(teacher_dir, pattern)) for pattern in _WEIGHT_PATTERNS]
    weights = sorted({os.path.basename(path) for paths in found for path in paths})
    if not os.path.isfile(os.path.join(teacher_dir, "config.json")) or not weights:
        raise ConfigurationError(
            f"{teacher_dir}: not a Hugging Face model directory (no config.json or weight file)"
        )
    files = ["config.json", *weights] + [
        name
        for name in _TOKENIZER_FILES + _VOCABULARY_FILES
        if os.path.isfile(os.path.join(teacher_dir, name))
    ]
    digest = hashlib.sha256()
    for name in files:
        digest.update(f"{name}\0{file_sha256(os.path.join(teacher_dir, name))}\n".encode())
    name = teacher if teacher in PACKAGED_TEACHERS else os.path.basename(os.path.normpath(teacher))
    return {"name": name, "sha256": digest.hexdigest()}


def _check_corpus(corpus: str) -> Tuple[str, int]:
    """
    The SHA-256 and line count of `corpus`, every line checked to be UTF-8, not blank, not a
    sentence of an earlier line (after stripping) and ended by a newline.

    # Raises
    `DataFormatError` naming `corpus:line` for the first line that is not; a last line without
    its newline is refused rather than guessed at, since it is what a file cut off while being
    written looks like.
    """
    digest = hashlib.sha256()
    lines = 0
    raw = b"\n"
    # Each sentence's first line, by a 16-byte digest of its text (a sentence read twice would
    # be trained on twice).
    first_lines: Dict[bytes, int] = {}
    with open(corpus, "rb") as data:
        for lines, raw in enumerate(data, start=1):
            digest.update(raw)
            try:
                text = raw.decode("utf-8").strip()
            except UnicodeDecodeError as error:
                raise DataFormatError(corpus, lines, f"not valid UTF-8 ({error.reason})") from None
            if not text:
                raise DataFormatError(corpus, lines, "a blank line: one sentence a line expected")
            key = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
            first = first_lines.setdefault(key, lines)
            if first != lines:
                raise DataFormatError(
                    corpus,
                    lines,
                    f"the sentence of line {first} again: each sentence once expected "
                    "(`python -m allennlp_distill.corpora.unlabelled --min-tokens 1 "
                    f"{corpus} -o FILE` writes it without duplicates)",
                )
    if lines == 0:
        raise DataFormatError(corpus, 1, "an empty corpus: no sentences")
    if not raw.endswith(b"\n"):
        raise DataFormatError(
            corpus,
            lines,
            "the corpus ends mid-line (no newline after its last sentence): it may have been "
            "cut off while written; end the file with a newline if it is whole",
        )
    return digest.hexdigest(), lines


def _shards(corpus: str, shard_size: int, wanted: Set[int]) -> Iterator[Tuple[int, List[str]]]:
    """`(shard number, its stripped lines)` for each shard whose number is `wanted`, in order."""
    texts: List[str] = []
    number = 0
    # Lines end at "\n" alone, as in `_check_corpus`'s binary reading.
    with open(corpus, encoding="utf-8", newline="\n") as data:
        for index, line in enumerate(data):
            number = index // shard_size
            if number not in wanted:
                continue
            texts.append(line.strip())
            if len(texts) == shard_size:
                yield number, texts
                texts = []
    if texts:
        yield number, texts


def mean_pooled(hidden: Any, attention_mask: Any) -> Any:
    """
    Sentence-transformers' mean pooling: the mean of `hidden` `(batch_size, num_pieces,
    hidden_size)` over each text's word pieces (`attention_mask` `(batch_size, num_pieces)`, 1
    on them), `(batch_size, hidden_size)`.
    """
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def length_sorted_batches(
    tokenizer: Any, texts: Sequence[str], max_length: int, batch_size: int
) -> List[Tuple[List[int], Any]]:
    """
    `texts` sorted by their number of word pieces (at most `max_length`) and cut into batches of
    `batch_size`, each padded to its own longest text, so that little is padding: `[(positions,
    inputs)]`, `positions` the batch's indices into `texts`, `inputs` the tokenizer's tensors
    (`input_ids`, `attention_mask`, ...). `encode_sentences` writes vectors so, and `distill-
    report` times a teacher so (`sentence_encoders.TeacherEncoder`).
    """
    pieces = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    order = sorted(range(len(texts)), key=lambda i: (len(pieces[i]), i))
    batches = []
    for start in range(0, len(order), batch_size):
        positions = order[start : start + batch_size]
        inputs = tokenizer(
            [texts[i] for i in positions],
            padding=True,
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        )
        batches.append((positions, inputs))
    return batches


def encode_sentences(
    model: Any,
    tokenizer: Any,
    texts: List[str],
    pooling: str,
    max_length: int,
    batch_size: int,
    progress: Optional[Any] = None,
) -> numpy.ndarray:
    """
    A pre-trained teacher's sentence vectors of `texts`, float16 `(len(texts), hidden_size)` in
    their order, computed in batches of similar word-piece counts (sorted by length) so that
    little is padding. `model` is a Hugging Face `AutoModel` (call under `torch.inference_mode`),
    `tokenizer` its tokenizer; `pooling` `"mean"` (the attention-mask-weighted mean of the last
    hidden states) or `"cls"`; texts are cut to `max_length` word pieces; `progress.update(n)`, when
    given, is called after each batch of `n` texts.

    # Raises
    `ConfigurationError` when a vector does not fit in float16.
    """
    vectors = numpy.empty((len(texts), model.config.hidden_size), dtype=numpy.float16)
    for batch, inputs in length_sorted_batches(tokenizer, texts, max_length, batch_size):
        inputs = inputs.to(model.device)
        hidden = model(**inputs).last_hidden_state  # (batch, pieces, hidden_size)
        pooled = hidden[:, 0] if pooling == "cls" else mean_pooled(hidden, inputs["attention_mask"])
        vectors[batch] = pooled.float().cpu().numpy().astype(numpy.float16)
        if progress is not None:
            progress.update(len(batch))
    if not numpy.isfinite(vectors).all():
        raise ConfigurationError("a sentence vector does not fit in float16 (|value| > 65504)")
    return vectors


def _start(
    output_dir: str,
    manifest: Dict[str, Any],
    force: bool,
    labelling_shard: Optional[Tuple[int, int]] = None,
) -> List[Dict[str, Any]]:
    """
    The shards already finished in `output_dir` (checked to be there, of the right shape), after
    writing `manifest` (no shards) into a new folder, or removing the old shards with `force`
    (a labelling shard's own files only: the folder is shared).

    # Raises
    `ConfigurationError` naming each changed key of `PROVENANCE_KEYS` when `output_dir` was made
    from another provenance, or when it holds files but no manifest (besides other labelling
    shards' files, for a labelling shard) or lacks a recorded shard, or when a labelling shard's
    folder already has the whole folder's manifest.
    """
    path = os.path.join(output_dir, manifest_name(labelling_shard))
    own = re.compile(r"vectors-(\d{5})\.npy(\.tmp)?$")
    if labelling_shard is not None and os.path.exists(os.path.join(output_dir, MANIFEST)):
        raise ConfigurationError(
            f"{output_dir} already has {MANIFEST}: its vectors were written by one process or "
            "merged; a labelling shard writes into a folder of shards only"
        )
    if force:
        logger.info("--force: starting %s again", path)
        for name in os.listdir(output_dir) if os.path.isdir(output_dir) else []:
            match = own.match(name)
            if match and (
                labelling_shard is None
                or int(match.group(1)) % labelling_shard[1] == labelling_shard[0]
            ):
                os.remove(os.path.join(output_dir, name))
        for old in (path, path + ".tmp"):
            if os.path.exists(old):
                os.remove(old)
    os.makedirs(output_dir, exist_ok=True)
    if not os.path.exists(path):
        shared = re.compile(r"(vectors-\d{5}\.npy|manifest\.shard-\d{5}-of-\d{5}\.json)$")
        others = [
            name
            for name in os.listdir(output_dir)
            if not name.endswith(".tmp") and (labelling_shard is None or not shared.match(name))
        ]
        if others and not force:
            raise ConfigurationError(
                f"{output_dir} holds files but no {os.path.basename(path)}: it was not written by "
                "`allennlp sentence-vectors`; use another -o, or pass --force"
            )
        _write_manifest(output_dir, manifest, labelling_shard)
        return []
    with open(path, encoding="utf-8") as manifest_file:
        recorded = json.load(manifest_file)
    changed = [key for key in PROVENANCE_KEYS if _key(recorded, key) != _key(manifest, key)]
    if recorded.get("labelling_shard") != manifest.get("labelling_shard"):
        changed.append("labelling_shard")
    if changed:
        raise ConfigurationError(
            f"{output_dir} was made with another {', '.join(changed)} than this run's ({path}): "
            "use another -o, or pass --force to remove its shards and start again; sentence "
            "vectors are never mixed from two runs"
        )
    for shard in recorded["shards"]:
        _load_shard(output_dir, shard, manifest["hidden_size"])
    logger.info("%s: %d shards already written", output_dir, len(recorded["shards"]))
    return recorded["shards"]


def _key(manifest: Dict[str, Any], key: str) -> Any:
    """
    What `key` of the provenance is in `manifest`: the SHA-256 for the corpus and teacher, the
    value before the key was recorded (`_PROVENANCE_DEFAULTS`) for a folder that lacks it.
    """
    value = manifest.get(key, _PROVENANCE_DEFAULTS.get(key))
    return value.get("sha256") if isinstance(value, dict) else value


def _load_shard(output_dir: str, shard: Dict[str, Any], hidden_size: int) -> numpy.ndarray:
    """The memory-mapped `(rows, hidden_size)` float16 array of a recorded shard."""
    path = os.path.join(output_dir, shard["file"])
    try:
        vectors = numpy.load(path, mmap_mode="r")
    except (OSError, ValueError) as error:
        raise ConfigurationError(
            f"{path} is recorded but unreadable ({error}): pass --force"
        ) from None
    if vectors.shape != (shard["rows"], hidden_size) or vectors.dtype != numpy.float16:
        raise ConfigurationError(f"{path} is not the recorded ({shard['rows']}, {hidden_size})")
    return vectors


def _save_shard(path: str, vectors: numpy.ndarray) -> None:
    """Writes `vectors` whole as `.npy`, then renames it to `path` (atomic)."""
    with open(path + ".tmp", "wb") as shard_file:
        numpy.save(shard_file, vectors)
        shard_file.flush()
        os.fsync(shard_file.fileno())
    os.replace(path + ".tmp", path)


def _write_manifest(
    output_dir: str, manifest: Dict[str, Any], labelling_shard: Optional[Tuple[int, int]] = None
) -> None:
    """Writes the manifest whole, then renames it over the old one (atomic)."""
    path = os.path.join(output_dir, manifest_name(labelling_shard))
    write_json_atomically(path, manifest, indent=2)


def merge_sentence_vectors(output_dir: str, num_shards: int) -> Dict[str, Any]:
    """
    Writes the manifest of a folder whose shard files N labelling processes wrote
    (`write_sentence_vectors(..., labelling_shard=(K, N))`, K = 0 .. N - 1, each with its own
    manifest), after checking them; the shard files stay where they are. The folder then reads
    as one run's (`SentenceVectors`), and `allennlp sentence-vectors` takes it as complete.

    # Returns
    The folder's manifest.

    # Raises
    `ConfigurationError`, with nothing written, when a labelling shard's manifest is missing or
    not complete, records another labelling shard, was made from another corpus, teacher,
    pooling, max length, shard size or precision than shard 0's (naming each), or when the shard
    files do not cover the corpus line by line or one is not its recorded shape.
    """
    check_shard(num_shards, 0)
    parts: List[Dict[str, Any]] = []
    for index in range(num_shards):
        path = os.path.join(output_dir, manifest_name((index, num_shards)))
        rerun = (
            f"run `allennlp sentence-vectors ... --num-shards {num_shards} --shard-index {index}`"
        )
        if not os.path.isfile(path):
            raise ConfigurationError(f"{path} is missing: {rerun}")
        with open(path, encoding="utf-8") as manifest_file:
            part = json.load(manifest_file)
        if part.get("labelling_shard") != {"index": index, "count": num_shards}:
            raise ConfigurationError(
                f"{path} records labelling shard {part.get('labelling_shard')}, not {index} of "
                f"{num_shards}"
            )
        if not part.get("complete"):
            raise ConfigurationError(f"{path} is not complete: {rerun} again to finish it")
        first = parts[0] if parts else part
        changed = [key for key in PROVENANCE_KEYS if _key(part, key) != _key(first, key)]
        if changed:
            raise ConfigurationError(
                f"{path} was made with another {', '.join(changed)} than shard 0's: every "
                "labelling shard must encode the same corpus with the same teacher and settings"
            )
        parts.append(part)
    shards = sorted((shard for part in parts for shard in part["shards"]), key=_first_line)
    next_line = 1
    for shard in shards:
        if shard["first_line"] != next_line:
            raise ConfigurationError(
                f"{output_dir}: no shard file holds the vectors from corpus line {next_line}"
            )
        _load_shard(output_dir, shard, parts[0]["hidden_size"])
        next_line += shard["rows"]
    if next_line - 1 != parts[0]["corpus"]["lines"]:
        raise ConfigurationError(
            f"{output_dir}: the shard files end at line {next_line - 1} of the corpus's "
            f"{parts[0]['corpus']['lines']}"
        )
    merged = {key: value for key, value in parts[0].items() if key != "labelling_shard"}
    merged.update(shards=shards, complete=True)
    _write_manifest(output_dir, merged)
    return merged


def _first_line(shard: Dict[str, Any]) -> int:
    return shard["first_line"]


@Subcommand.register("sentence-vectors-merge")
class SentenceVectorsMergeCommand(Subcommand):
    """
    Registered as a `Subcommand` with name "sentence-vectors-merge": `merge_sentence_vectors` of a
    folder written by N `allennlp sentence-vectors ... --num-shards N --shard-index K` runs.
    """

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = "Record the shard files of N sentence-vectors processes as one folder."
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("output_dir", help="the folder the N processes wrote into")
        subparser.add_argument("--num-shards", type=int, required=True)
        subparser.set_defaults(
            func=lambda args: merge_sentence_vectors(args.output_dir, args.num_shards)
        )
        return subparser


class SentenceVectors:
    """
    A finished `allennlp sentence-vectors` folder, read back: iterating gives
    `(line_number, text, vector)` for each corpus line in order, `line_number` counting from 1,
    `text` the stripped line and `vector` the teacher's sentence representation (Wu et al. 2020
    §3.1), float32 `(hidden_size,)` in the units of the teacher's last hidden states. Shards are
    memory-mapped one at a time.

    # Parameters
    output_dir : `str`
        The folder written by `write_sentence_vectors`.
    corpus : `str`, optional (default = `None`)
        The corpus, where not at the path the manifest records (e.g. on another machine).

    # Raises
    `ConfigurationError` when the folder has no manifest, is not complete, or the corpus file's
    SHA-256 is not the recorded one (it changed after the vectors were written); iterating raises
    it for a shard that is not the recorded shape.
    """

    def __init__(self, output_dir: str, corpus: Optional[str] = None) -> None:
        path = os.path.join(output_dir, MANIFEST)
        if not os.path.isfile(path):
            raise ConfigurationError(f"{output_dir}: no {MANIFEST} (from `sentence-vectors`)")
        with open(path, encoding="utf-8") as manifest_file:
            self.manifest: Dict[str, Any] = json.load(manifest_file)
        if self.manifest.get("format_version") != FORMAT_VERSION:
            raise ConfigurationError(f"{path}: not format version {FORMAT_VERSION}")
        if not self.manifest.get("complete"):
            raise ConfigurationError(
                f"{output_dir} is incomplete ({len(self.manifest['shards'])} shards written): "
                "rerun its `allennlp sentence-vectors` command to finish it"
            )
        self.corpus = corpus or self.manifest["corpus"]["path"]
        if file_sha256(self.corpus) != self.manifest["corpus"]["sha256"]:
            raise ConfigurationError(
                f"{self.corpus} changed after the sentence vectors in {output_dir} were written "
                "from it (its SHA-256 differs): write them again"
            )
        self._output_dir = output_dir

    @property
    def hidden_size(self) -> int:
        """The length of each vector: the teacher's hidden size."""
        return self.manifest["hidden_size"]

    def __len__(self) -> int:
        """The number of corpus lines, one vector each."""
        return self.manifest["corpus"]["lines"]

    def __iter__(self) -> Iterator[Tuple[int, str, numpy.ndarray]]:
        with open(self.corpus, encoding="utf-8", newline="\n") as data:
            for shard in self.manifest["shards"]:
                vectors = _load_shard(self._output_dir, shard, self.hidden_size)
                for row in range(shard["rows"]):
                    text = next(data).strip()
                    yield shard["first_line"] + row, text, vectors[row].astype(numpy.float32)
