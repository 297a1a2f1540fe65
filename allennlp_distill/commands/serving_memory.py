"""
The memory a service of a model needs, measured as `allennlp distill-report` reports it: the peak
resident memory of a fresh Python process that loads the model as its user would (AllenNLP for an
archive, `serving.py` for an export, transformers alone for a pre-trained teacher) and predicts a
file with it. Split out of `measure.py`, which calls it for every row.
"""

import inspect
import json
import os
import subprocess
import sys
import tempfile
from typing import Sequence

from allennlp_distill.dataset_readers.rows import iter_rows
from allennlp_distill.dataset_readers.tagging import iter_conll_sentences
from allennlp_distill.serving import read_metadata


def encoder_serving_memory_mb(
    encoder, sentences: Sequence[str], threads: int, batch_size: int = 256
) -> float:
    """
    `serving_memory_mb` of a sentence encoder (a `sentence_encoders.SentenceEncoder`): the peak
    resident memory (MB) of a fresh process that loads it as a user would and encodes
    `sentences` in batches of `batch_size`: an export through `serving.py` (torch and spaCy), a
    teacher through transformers alone (mean pooling; each batch as length-sorted sub-batches,
    as the report times it), an archive through AllenNLP and this plugin.

    # Raises
    `RuntimeError` with the child's error output when it fails.
    """
    from allennlp_distill.commands.sentence_encoders import ExportEncoder, TeacherEncoder

    if isinstance(encoder, ExportEncoder):
        path, code = encoder.export_dir, _SERVING_CHILD_EXPORT
        lines = [json.dumps({encoder.column: sentence}) for sentence in sentences]
    elif isinstance(encoder, TeacherEncoder):
        path, code, lines = encoder.teacher_dir, _serving_child_teacher(), list(sentences)
    else:
        path, code, lines = encoder.archive_file, _SERVING_CHILD_ENCODER, list(sentences)
    with tempfile.TemporaryDirectory() as scratch:
        texts = os.path.join(scratch, "texts")
        with open(texts, "w", encoding="utf-8") as output:
            output.write("".join(line + "\n" for line in lines))
        return _peak_memory_of_child(code, path, "", texts, threads, batch_size)


def serving_memory_mb(
    path: str, variant: str, eval_file: str, threads: int, batch_size: int = 256
) -> float:
    """
    Peak resident memory (MB of 10**6 bytes, as `size_mb`) of a fresh Python process that
    serves the model as a user would: it imports what that needs (AllenNLP and this plugin for
    an archive, optionally as `int8` or `bf16`; torch and spaCy alone, through `serving.py`, for
    a `distill-export` directory),
    loads the model, and predicts every text of `eval_file` in batches of `batch_size` (an
    archive that embeds with a pre-trained transformer: each as `measure.serving_parts`, as the
    report times it) with `threads` torch threads. The interpreter, the libraries and the
    activations are counted: it is the memory a service of this model needs, not the size of its
    weights.

    # Raises
    `RuntimeError` with the child's error output when it fails.
    """
    with tempfile.TemporaryDirectory() as scratch:
        texts = eval_file
        if os.path.isdir(path):
            # serving.py reads no TSV: the rows as this package reads them, one JSON per line.
            texts = os.path.join(scratch, "rows.jsonl")
            tagger = read_metadata(path).get("tagger", False)
            with open(texts, "w", encoding="utf-8") as rows:
                if tagger:
                    sentences = iter_conll_sentences(eval_file, tag_column=None, pos_column=None)
                    for _, words, _, _ in sentences:
                        rows.write(json.dumps({"tokens": words}) + "\n")
                else:
                    for _, row in iter_rows(eval_file):
                        rows.write(json.dumps(row) + "\n")
        code = _SERVING_CHILD_EXPORT if os.path.isdir(path) else _SERVING_CHILD_ARCHIVE
        return _peak_memory_of_child(code, path, variant, texts, threads, batch_size)


def _peak_memory_of_child(
    code: str, path: str, variant: str, texts: str, threads: int, batch_size: int
) -> float:
    """Runs one `_SERVING_CHILD_*` program in a fresh interpreter; the peak MB it prints."""
    from allennlp_distill import serving

    command = [sys.executable, "-c", code, path, variant, texts, str(threads),
               str(batch_size), serving.__file__]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"serving {path} to measure its memory failed:\n{result.stderr}")
    return float(result.stdout.strip().splitlines()[-1])


# The child's peak memory: VmHWM, the high-water mark of this process image's resident memory
# (ru_maxrss would also count the parent's memory, inherited at fork, from before exec); where
# there is no /proc, ru_maxrss (bytes on macOS, KiB elsewhere). In MB of 10**6 bytes, as the
# sizes of archives and exports (before 2026-12-06 in MiB, 4.9 % less, under the same "MB").
_SERVING_CHILD_ARGS = """
import resource, sys
import torch
path, variant, eval_file, threads, batch_size, serving_file = sys.argv[1:7]
torch.set_num_threads(int(threads))
batch_size = int(batch_size)

def peak_mb():
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024 / 1e6  # VmHWM is in KiB
    except (OSError, StopIteration):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6
"""
_SERVING_CHILD_EXPORT = (
    _SERVING_CHILD_ARGS
    + """
import runpy
serving = runpy.run_path(serving_file, run_name="serving")
student = serving["ExportedStudent"](path)
import json
with open(eval_file, encoding="utf-8") as lines:
    rows = [json.loads(line) for line in lines]
with torch.inference_mode():
    for first in range(0, len(rows), batch_size):
        student.outputs(student.inputs(rows[first : first + batch_size]))
print(peak_mb())
"""
)
_SERVING_CHILD_ARCHIVE = (
    _SERVING_CHILD_ARGS
    + """
import allennlp_distill
from allennlp.models.archival import load_archive
from allennlp_distill.commands.measure import (
    _precision, _tensors, runs_a_transformer, serving_parts
)
from allennlp_distill.predictors.labelling import mixed_precision, quantize_int8
archive = load_archive(path)
model, reader = archive.model.eval(), archive.validation_dataset_reader
sub_batches = runs_a_transformer(model)
if variant == "int8":
    model = quantize_int8(model)
instances = list(reader.read(eval_file))
for instance in instances:
    reader.apply_token_indexers(instance)
with torch.inference_mode(), mixed_precision("cpu", _precision(variant)):
    for first in range(0, len(instances), batch_size):
        for part in serving_parts(instances[first : first + batch_size], sub_batches):
            model(**_tensors(model, part))
print(peak_mb())
"""
)


# A sentence encoder's archive (`sentence_encoders.ArchiveEncoder`), fed one sentence a line.
_SERVING_CHILD_ENCODER = (
    _SERVING_CHILD_ARGS
    + """
import allennlp_distill
from allennlp_distill.commands.sentence_encoders import ArchiveEncoder
encoder = ArchiveEncoder(path)
with open(eval_file, encoding="utf-8") as lines:
    sentences = [line.rstrip("\\n") for line in lines]
with torch.inference_mode():
    encoder(sentences, batch_size)
print(peak_mb())
"""
)


def _serving_child_teacher() -> str:
    """
    The child that serves a pre-trained teacher's folder as a user of transformers serves its
    mean-pooled vectors, each batch as the report times it (`sentence_encoders.TeacherEncoder`):
    sorted by word pieces and cut into sub-batches of `LENGTH_CHUNK`, each padded to its own
    longest text, by the very `length_sorted_batches` that times it, and pooled by the same
    `mean_pooled` (their source runs in the child, which imports transformers alone).
    """
    from allennlp_distill.commands.sentence_vectors import (
        MAX_WORD_PIECES,
        length_sorted_batches,
        mean_pooled,
    )
    from allennlp_distill.modules.wide_cnn_encoder import LENGTH_CHUNK

    return (
        _SERVING_CHILD_ARGS
        + "from typing import Any, List, Sequence, Tuple\n"
        + inspect.getsource(length_sorted_batches)
        + inspect.getsource(mean_pooled)
        + f"""
from transformers import AutoModel, AutoTokenizer
model, tokenizer = AutoModel.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)
with open(eval_file, encoding="utf-8") as lines:
    sentences = [line.rstrip("\\n") for line in lines]
with torch.inference_mode():
    for first in range(0, len(sentences), batch_size):
        batch = sentences[first : first + batch_size]
        for _, inputs in length_sorted_batches(tokenizer, batch, {MAX_WORD_PIECES}, {LENGTH_CHUNK}):
            mean_pooled(model(**inputs).last_hidden_state, inputs["attention_mask"])
print(peak_mb())
"""
    )
