import json
import logging

import numpy
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import WorkerInfo
from allennlp.data.fields import TensorField

from allennlp_distill.dataset_readers import DataFormatError, SentenceVectorsReader
from allennlp_distill.tokenizers.spacy_rules import SpacyRulesTokenizer
from tests.tiny_sentence_vectors import (
    SHARD_SIZE,
    TEACHER_SIZE,
    fixture_sentences,
    write_tiny_sentence_vectors,
)


@pytest.fixture(scope="module")
def vectors(tiny_bert, tmp_path_factory):
    return write_tiny_sentence_vectors(tiny_bert, tmp_path_factory.mktemp("sentence_vectors"))


def stored_vectors(folder):
    """The folder's float16 shards in order, as one float32 array."""
    shards = sorted(folder.glob("vectors-*.npy"))
    return numpy.concatenate([numpy.load(shard) for shard in shards]).astype(numpy.float32)


def words(instance):
    return [token.text for token in instance["tokens"].tokens]


def teacher_vectors(instances):
    return numpy.stack([instance["teacher_vector"].tensor.numpy() for instance in instances])


def test_each_instance_is_a_corpus_sentences_lowercase_words_and_its_teacher_vector(vectors):
    instances = list(SentenceVectorsReader().read(str(vectors)))
    sentences = fixture_sentences()
    stored = stored_vectors(vectors)
    assert len(list(vectors.glob("vectors-*.npy"))) == 3  # reading crosses shard boundaries
    assert len(instances) == len(sentences) == len(stored)
    # Every two sentences' vectors and texts differ, so a row read against another line shows.
    assert len({row.tobytes() for row in stored}) == len({*sentences}) == len(stored)
    cased = SpacyRulesTokenizer()
    for instance, sentence, row in zip(instances, sentences, stored):
        assert set(instance.fields) == {"tokens", "teacher_vector"}
        assert sentence[0].isupper()
        assert words(instance) == [token.text.lower() for token in cased.tokenize(sentence)]
        field = instance["teacher_vector"]
        assert isinstance(field, TensorField)
        assert field.tensor.dtype == torch.float32 and field.tensor.shape == (TEACHER_SIZE,)
        assert numpy.array_equal(field.tensor.numpy(), row)


def test_the_tokenizer_max_tokens_and_the_corpus_path_are_settings(vectors, tiny_bert, tmp_path):
    first = fixture_sentences()[0]
    cased = SentenceVectorsReader(tokenizer=SpacyRulesTokenizer(), max_tokens=2)
    assert words(next(iter(cased.read(str(vectors))))) == first.split()[:2]
    # The corpus read from elsewhere than the manifest's path (e.g. on another machine).
    folder = write_tiny_sentence_vectors(tiny_bert, tmp_path / "written")
    moved = tmp_path / "moved.txt"
    (tmp_path / "written" / "corpus.txt").rename(moved)
    with pytest.raises(FileNotFoundError):
        list(SentenceVectorsReader().read(str(folder)))
    instances = list(SentenceVectorsReader(corpus=str(moved)).read(str(folder)))
    assert numpy.array_equal(teacher_vectors(instances), stored_vectors(vectors))


def test_max_instances_and_worker_shards_take_their_share_of_the_rows(vectors):
    stored = stored_vectors(vectors)
    first = list(SentenceVectorsReader(max_instances=5).read(str(vectors)))
    assert numpy.array_equal(teacher_vectors(first), stored[:5])
    for worker in range(2):
        reader = SentenceVectorsReader()
        reader._set_worker_info(WorkerInfo(num_workers=2, id=worker))
        share = list(reader._read(str(vectors)))
        assert numpy.array_equal(teacher_vectors(share), stored[worker::2])


def test_an_unfinished_folder_or_one_without_a_manifest_is_refused(vectors, tmp_path):
    folder = tmp_path / "unfinished"
    folder.mkdir()
    for path in vectors.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["shards"] = manifest["shards"][:2]
    manifest["complete"] = False
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ConfigurationError, match=r"incomplete \(2 shards written\).*rerun"):
        list(SentenceVectorsReader().read(str(folder)))
    with pytest.raises(ConfigurationError, match="no manifest.json"):
        list(SentenceVectorsReader().read(str(tmp_path)))


def test_a_corpus_changed_since_the_vectors_were_written_is_refused(tiny_bert, tmp_path):
    folder = write_tiny_sentence_vectors(tiny_bert, tmp_path)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(corpus.read_text().replace("film", "movie"))
    with pytest.raises(ConfigurationError, match="corpus.txt changed after the sentence vectors"):
        list(SentenceVectorsReader().read(str(folder)))


class AlphanumericWords(SpacyRulesTokenizer):
    """Drops punctuation, so that a line of punctuation alone has no token."""

    def tokenize(self, text):
        return [token for token in super().tokenize(text) if token.text.isalnum()]


def test_a_sentence_of_no_tokens_names_its_corpus_line_or_is_skipped_and_counted(
    tiny_bert, tmp_path, caplog
):
    sentences = fixture_sentences()[: SHARD_SIZE + 2]
    sentences[SHARD_SIZE] = "... !"  # line 9, the second shard's first
    folder = write_tiny_sentence_vectors(tiny_bert, tmp_path, sentences)
    corpus = tmp_path / "corpus.txt"
    reader = SentenceVectorsReader(tokenizer=AlphanumericWords())
    with pytest.raises(
        DataFormatError, match=f"^{corpus}:9: empty text: .*; the tokenizer splits .* no token"
    ):
        list(reader.read(str(folder)))

    skipping = SentenceVectorsReader(tokenizer=AlphanumericWords(), skip_bad_rows=True)
    with caplog.at_level(logging.WARNING):
        instances = list(skipping.read(str(folder)))
    stored = stored_vectors(folder)
    assert numpy.array_equal(teacher_vectors(instances), numpy.delete(stored, SHARD_SIZE, 0))
    assert f"{corpus}: skipped 1 bad rows" in caplog.text and f"{corpus}:9:" in caplog.text


def test_text_to_instance_without_a_vector_gives_the_words_alone_and_refuses_empty_text():
    reader = SentenceVectorsReader()
    instance = reader.text_to_instance("A Film .")
    assert set(instance.fields) == {"tokens"} and words(instance) == ["a", "film", "."]
    with pytest.raises(ValueError, match="empty text"):
        reader.text_to_instance("   ")
    with pytest.raises(ValueError, match="^empty text: .*no token"):
        SentenceVectorsReader(tokenizer=AlphanumericWords()).text_to_instance("?!")
