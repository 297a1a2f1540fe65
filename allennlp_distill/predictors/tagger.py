from typing import List

from allennlp.common import JsonDict
from allennlp.common.checks import ConfigurationError
from allennlp.data import Instance
from allennlp.data.dataset_readers.dataset_utils.span_utils import (
    bio_tags_to_spans,
    iob1_tags_to_spans,
)
from allennlp.predictors.predictor import Predictor

from allennlp_distill.tokenizers.spacy_rules import SpacyRulesTokenizer

_SPANS = {"BIO": bio_tags_to_spans, "IOB1": iob1_tags_to_spans}


@Predictor.register("tagger")
class TaggerPredictor(Predictor):
    """
    Serves a `distilled_tagger` (teacher or student) to `allennlp predict`: each input line is
    `{"sentence": "..."}`, split into words by spaCy's English rules (as CoNLL-2003 and UD split
    them, near enough), or `{"tokens": [...]}` already split. The output has `words`, `tags` (one
    per word) and, for a span tagger (BIO or IOB1), `spans`: `[{"type": "PER", "start": i,
    "end": j, "text": "..."}]` with inclusive word offsets.

        allennlp predict runs/conll2003/student/model.tar.gz sentences.jsonl --predictor tagger \\
            --include-package allennlp_distill

    Registered as a `Predictor` with name "tagger".

    # Raises
    `ConfigurationError` for a line with neither a `sentence` (text) nor `tokens` (a list of
    texts); `EmptyTextError` (a `ValueError`, the empty-text answer of every path) for a
    sentence of no word or an empty list of tokens.
    """

    def __init__(self, model, dataset_reader, **kwargs) -> None:
        super().__init__(model, dataset_reader, **kwargs)
        self._tokenizer = SpacyRulesTokenizer()

    def predict(self, sentence: str) -> JsonDict:
        """The tags and spans of one sentence."""
        return self.predict_json({"sentence": sentence})

    def _json_to_instance(self, json_dict: JsonDict) -> Instance:
        words = json_dict.get("tokens")
        if words is None and isinstance(json_dict.get("sentence"), str):
            words = [token.text for token in self._tokenizer.tokenize(json_dict["sentence"])]
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ConfigurationError(
                "tagger predictor: each input needs a 'sentence' (text) or a list of "
                f"'tokens' (texts), got {json_dict!r}"
            )
        return self._dataset_reader.text_to_instance(words)  # refuses no words

    def predict_batch_json(self, inputs: List[JsonDict]) -> List[JsonDict]:
        return [self._with_spans(output) for output in super().predict_batch_json(inputs)]

    def predict_json(self, inputs: JsonDict) -> JsonDict:
        return self._with_spans(super().predict_json(inputs))

    def _with_spans(self, output: JsonDict) -> JsonDict:
        result = {"words": output["words"], "tags": output["tags"]}
        to_spans = _SPANS.get(getattr(self._model, "label_encoding", None) or "")
        if to_spans is not None:
            result["spans"] = [
                {
                    "type": kind,
                    "start": start,
                    "end": end,
                    "text": " ".join(output["words"][start : end + 1]),
                }
                for kind, (start, end) in sorted(to_spans(output["tags"]), key=lambda s: s[1])
            ]
        return result
