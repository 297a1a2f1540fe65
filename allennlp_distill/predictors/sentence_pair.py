from allennlp.common import JsonDict
from allennlp.common.checks import ConfigurationError
from allennlp.data import Instance
from allennlp.predictors.predictor import Predictor


@Predictor.register("sentence_pair")
class SentencePairPredictor(Predictor):
    """
    Serves a sentence-pair model (the siamese student, or a pair teacher) to `allennlp predict`:
    each input line is `{"sentence1": "...", "sentence2": "..."}`; the output adds the model's
    `label` and `probs` (classification) or `score` (regression).

        allennlp predict runs/mrpc/student/model.tar.gz pairs.jsonl --predictor sentence_pair \\
            --include-package allennlp_distill

    Registered as a `Predictor` with name "sentence_pair".

    # Raises
    `ConfigurationError` naming the missing key for a line without `sentence1` or `sentence2`
    (or whose value is not text); an empty or whitespace-only sentence gets the reader's
    empty-text answer (`EmptyTextError`), as on every other path.
    """

    def predict(self, sentence1: str, sentence2: str) -> JsonDict:
        """The model's output for one pair."""
        return self.predict_json({"sentence1": sentence1, "sentence2": sentence2})

    def _json_to_instance(self, json_dict: JsonDict) -> Instance:
        keys = ("sentence1", "sentence2")
        missing = [key for key in keys if not isinstance(json_dict.get(key), str)]
        if missing:
            raise ConfigurationError(
                f"sentence_pair predictor: input {json_dict!r} has no {' or '.join(missing)}"
            )
        return self._dataset_reader.text_to_instance(json_dict["sentence1"], json_dict["sentence2"])
