"""
`allennlp word-vectors`: a model's embedding rows, trained and frozen, as a folder that
`packaged_word_vectors` (and so `DISTILL_WORD_VECTORS`) reads, matched by word.
"""

import json

import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models.archival import load_archive

from allennlp_distill.commands.word_vectors import RECORD_FILE, write_word_vectors
from allennlp_distill.modules.packaged_word_vectors import PackagedVectors, PackagedWordVectors
from tests.conftest import FIXTURES, run_allennlp


def test_every_word_is_written_with_the_row_the_model_embeds_it_with(
    tiny_sentence_encoder_archive, tmp_path
):
    record = write_word_vectors(str(tiny_sentence_encoder_archive), str(tmp_path / "vectors"))
    model = load_archive(str(tiny_sentence_encoder_archive)).model
    embedder = model._text_field_embedder._token_embedders["tokens"]
    vocab = model.vocab
    written = PackagedVectors(str(tmp_path / "vectors"))
    size = vocab.get_vocab_size("tokens")
    assert written.words == [vocab.get_token_from_index(i, "tokens") for i in range(1, size)]
    assert record["words"] == size - 1 and record["embedding_dim"] == written.dim == 8
    with torch.no_grad():
        expected = embedder(torch.arange(1, size))
    assert torch.equal(written.rows(written.words), expected)
    # The trained rows, not the pretrained vectors they started from: the fixture encoder
    # fine-tuned them, and the frozen rows (words it never saw) are the pretrained ones.
    pretrained = PackagedVectors(str(FIXTURES / "word_vectors"))
    trained_words = [
        vocab.get_token_from_index(i, "tokens") for i in range(2, embedder.num_trained)
    ]
    shared = [word for word in trained_words if word in pretrained.row_of]
    assert shared and not torch.allclose(written.rows(shared), pretrained.rows(shared))
    frozen = [word for word in written.words[embedder.num_trained - 1 :]]
    assert frozen and torch.equal(written.rows(frozen), pretrained.rows(frozen))
    assert "@@PADDING@@" not in written.row_of and "@@UNKNOWN@@" in written.row_of
    recorded = json.loads((tmp_path / "vectors" / RECORD_FILE).read_text())
    assert recorded["archive"] == str(tiny_sentence_encoder_archive)


def test_a_model_reading_the_folder_starts_each_word_from_the_writers_row(
    tiny_sentence_encoder_archive, tmp_path
):
    write_word_vectors(str(tiny_sentence_encoder_archive), str(tmp_path / "vectors"))
    writer = load_archive(str(tiny_sentence_encoder_archive)).model
    writer_embedder = writer._text_field_embedder._token_embedders["tokens"]
    # Another vocabulary, in another order: the rows follow the words, not the ids.
    words = [writer.vocab.get_token_from_index(i, "tokens") for i in (5, 3, 2)]
    vocab = Vocabulary(tokens_to_add={"tokens": words})
    reader = PackagedWordVectors(vocab, 8, pretrained_file=str(tmp_path / "vectors"))
    for word in words + ["@@UNKNOWN@@"]:
        with torch.no_grad():
            theirs = writer_embedder(torch.tensor([writer.vocab.get_token_index(word, "tokens")]))
            ours = reader(torch.tensor([vocab.get_token_index(word, "tokens")]))
        assert torch.equal(ours, theirs), word


def test_a_folder_with_word_vectors_is_replaced_only_with_force(
    tiny_sentence_encoder_archive, tmp_path
):
    out = tmp_path / "vectors"
    write_word_vectors(str(tiny_sentence_encoder_archive), str(out))
    with pytest.raises(ConfigurationError, match="already holds word vectors"):
        write_word_vectors(str(tiny_sentence_encoder_archive), str(out))
    # One of the two files is enough: a folder of this command's is not taken for an empty one.
    (out / "word_vectors_index.parquet").unlink()
    with pytest.raises(ConfigurationError, match="already holds word vectors"):
        write_word_vectors(str(tiny_sentence_encoder_archive), str(out))
    assert write_word_vectors(str(tiny_sentence_encoder_archive), str(out), force=True)["words"]
    assert len(PackagedVectors(str(out)).words) > 0


def test_a_folder_with_other_word_vectors_is_refused_even_with_force(
    tiny_sentence_encoder_archive, tmp_path
):
    # packaged_word_vectors wants one *_emb.npy and one *_index.parquet in a folder.
    out = tmp_path / "vectors"
    out.mkdir()
    (out / "glove_emb.npy").write_bytes(b"")
    with pytest.raises(ConfigurationError, match=r"other word vectors \(glove_emb.npy\)"):
        write_word_vectors(str(tiny_sentence_encoder_archive), str(out), force=True)
    assert sorted(path.name for path in out.iterdir()) == ["glove_emb.npy"]


def test_an_embedder_whose_rows_and_vocabulary_disagree_is_refused(
    tiny_sentence_encoder_archive, tmp_path, monkeypatch
):
    from allennlp_distill.commands import word_vectors

    archive = load_archive(str(tiny_sentence_encoder_archive))
    archive.model.vocab.add_token_to_namespace("a-word-without-a-row", "tokens")
    monkeypatch.setattr(word_vectors, "load_archive", lambda path: archive)
    with pytest.raises(ConfigurationError, match="rows but its vocabulary"):
        write_word_vectors(str(tiny_sentence_encoder_archive), str(tmp_path / "vectors"))
    assert not (tmp_path / "vectors").exists()


def test_a_model_without_packaged_word_vectors_is_refused_on_the_command_line(
    tiny_teacher_archive, tiny_sentence_encoder_archive, tmp_path
):
    result = run_allennlp(
        "word-vectors", str(tiny_teacher_archive), "-o", str(tmp_path / "teacher"), env={},
        fails=True,
    )  # fmt: skip
    assert "0 packaged_word_vectors embedders" in result.stderr
    assert not (tmp_path / "teacher").exists()
    run_allennlp(
        "word-vectors", str(tiny_sentence_encoder_archive), "-o", str(tmp_path / "encoder"), env={}
    )  # fmt: skip
    assert len(PackagedVectors(str(tmp_path / "encoder")).words) > 0
