from typing import List, Optional

from allennlp.data.tokenizers import Token, Tokenizer
from allennlp.data.vocabulary import DEFAULT_OOV_TOKEN

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
    lowercase : `bool`, optional (default = `False`)
        Lowercase every token (a student's word vectors, GloVe 6B, are lowercase). Done here
        rather than by the token indexer so that `@@UNKNOWN@@` keeps its case.
    special_tokens_as_unknown : `bool`, optional (default = `False`)
        Emit each special token as AllenNLP's `@@UNKNOWN@@`: Tang et al. (2019) §3.3, "[MASK],
        which corresponds to an unknown token in our models". The student's unknown-word row is
        then trained on the transfer set's masked words, and a word no vector covers is read as a
        masked word.
    """

    def __init__(
        self,
        language: str = "en",
        special_tokens: Optional[List[str]] = None,
        lowercase: bool = False,
        special_tokens_as_unknown: bool = False,
    ) -> None:
        import spacy
        from spacy.symbols import ORTH
        from spacy.tokenizer import Tokenizer as SpacyTokenizer

        self._language = language
        self._special_tokens = list(special_tokens or DEFAULT_SPECIAL_TOKENS)
        self._lowercase = lowercase
        self._special_tokens_as_unknown = special_tokens_as_unknown
        self._replacements = (
            {special: DEFAULT_OOV_TOKEN for special in self._special_tokens}
            if special_tokens_as_unknown
            else {}
        )
        self._tokenizer: SpacyTokenizer = spacy.blank(language).tokenizer
        for special in self._special_tokens:
            self._tokenizer.add_special_case(special, [{ORTH: special}])

    @property
    def lowercase(self) -> bool:
        """Whether every token is lowercased (serving must do the same)."""
        return self._lowercase

    @property
    def unknown_tokens(self) -> List[str]:
        """The strings read as `@@UNKNOWN@@`: the special tokens, or none."""
        return list(self._replacements)

    def tokenize(self, text: str) -> List[Token]:
        tokens = []
        for token in self._tokenizer(text):
            if token.is_space:
                continue
            word = self._replacements.get(token.text) or (
                token.text.lower() if self._lowercase else token.text
            )
            tokens.append(Token(word, idx=token.idx))
        return tokens

    def batch_tokenize(self, texts: List[str]) -> List[List[Token]]:
        return [self.tokenize(text) for text in texts]

    def _to_params(self):
        return {
            "type": "spacy_rules",
            "language": self._language,
            "special_tokens": self._special_tokens,
            "lowercase": self._lowercase,
            "special_tokens_as_unknown": self._special_tokens_as_unknown,
        }
