import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allennlp_distill.predictors import SentenceEmbeddingPredictor
from tests.tiny_sentence_vectors import TEACHER_SIZE


@pytest.fixture(scope="module")
def archive(tiny_sentence_encoder_archive):
    return load_archive(str(tiny_sentence_encoder_archive))


def test_the_default_predictor_gives_the_students_vector_of_a_sentence(archive):
    predictor = Predictor.from_archive(archive)
    assert isinstance(predictor, SentenceEmbeddingPredictor)
    output = predictor.predict("A gorgeous , witty film .")
    assert set(output) == {"sentence_vector"}
    vector = output["sentence_vector"]
    assert len(vector) == TEACHER_SIZE and all(isinstance(value, float) for value in vector)
    instance = archive.dataset_reader.text_to_instance("A gorgeous , witty film .")
    archive.dataset_reader.apply_token_indexers(instance)
    expected = archive.model.forward_on_instance(instance)["sentence_vector"]
    assert torch.allclose(torch.tensor(vector), torch.from_numpy(expected), atol=1e-6)


def test_a_line_without_a_sentence_or_with_an_empty_one_is_refused(archive):
    predictor = Predictor.from_archive(archive, "sentence_embedding")
    with pytest.raises(ConfigurationError, match='has no "sentence" text'):
        predictor.predict_json({"text": "a film"})
    with pytest.raises(ValueError, match="empty text"):
        predictor.predict_json({"sentence": "  "})
