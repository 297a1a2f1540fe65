from allennlp.common import JsonDict
from allennlp.common.checks import ConfigurationError
from allennlp.data import Instance
from allennlp.predictors.predictor import Predictor


@Predictor.register("sentence_embedding")
class SentenceEmbeddingPredictor(Predictor):
    """
    Serves a distilled sentence encoder (`sentence_representation_student`, Wu et al. 2020 §3.1)
    to `allennlp predict`: each input line is `{"sentence": "..."}`, each output
    `{"sentence_vector": [...]}`, the student's approximation of the teacher's sentence vector
    (`teacher_size` floats, not normalised).

        allennlp predict runs/sentence_encoder/model.tar.gz sentences.jsonl \\
            --include-package allennlp_distill

    The model's default predictor, so `--predictor` is not needed.

    Registered as a `Predictor` with name "sentence_embedding".

    # Raises
    `ConfigurationError` for a line without `sentence`; `ValueError` for an empty one, or one
    of no tokens.
    """

    def predict(self, sentence: str) -> JsonDict:
        """`{"sentence_vector": [...]}` of one sentence."""
        return self.predict_json({"sentence": sentence})

    def _json_to_instance(self, json_dict: JsonDict) -> Instance:
        sentence = json_dict.get("sentence")
        if not isinstance(sentence, str):
            raise ConfigurationError(
                f'sentence_embedding predictor: input {json_dict!r} has no "sentence" text'
            )
        return self._dataset_reader.text_to_instance(sentence)
