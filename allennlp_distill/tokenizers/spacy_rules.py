from typing import List, Optional

from allennlp.data.tokenizers import Token, Tokenizer

DEFAULT_SPECIAL_TOKENS = ["[MASK]", "<mask>"]


@Tokenizer.register("spacy_rules")
class SpacyRulesTokenizer(Tokenizer):
    """
    spaCy's rule-based word tokenizer for a language (`spacy.blank(language)`), without a
    statistical pipeline.

    AllenNLP's `spacy` tokenizer loads a full pipeline and, with spaCy 3, still runs its tok2vec,
    tagger and lemmatizer on every sentence even when `pos_tags` is off (measured here: ~900
    sentences/s against ~35,000 for the rules alone). A student only needs the words, and the rules
    are the same ones the packaged English pipeline tokenizes with, so the transfer set's
    augmented text (tokenized by that pipeline) and raw user input split alike.

    Registered as a `Tokenizer` with name "spacy_rules".

    # Parameters
    language : `str`, optional (default = `"en"`)
        A spaCy language code.
    special_tokens : `List[str]`, optional (default = `["[MASK]", "<mask>"]`)
        Strings kept whole, such as the mask tokens the transfer-set augmentation writes.
    """

    def __init__(self, language: str = "en", special_tokens: Optional[List[str]] = None) -> None:
        import spacy
        from spacy.symbols import ORTH
        from spacy.tokenizer import Tokenizer as SpacyTokenizer

        self._language = language
        self._special_tokens = list(special_tokens or DEFAULT_SPECIAL_TOKENS)
        self._tokenizer: SpacyTokenizer = spacy.blank(language).tokenizer
        for special in self._special_tokens:
            self._tokenizer.add_special_case(special, [{ORTH: special}])

    def tokenize(self, text: str) -> List[Token]:
        return [
            Token(token.text, idx=token.idx)
            for token in self._tokenizer(text)
            if not token.is_space
        ]

    def batch_tokenize(self, texts: List[str]) -> List[List[Token]]:
        return [self.tokenize(text) for text in texts]

    def _to_params(self):
        return {
            "type": "spacy_rules",
            "language": self._language,
            "special_tokens": self._special_tokens,
        }
