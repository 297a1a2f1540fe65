from typing import Dict, List, Optional

from allennlp.common.checks import ConfigurationError
from allennlp.data.token_indexers import TokenCharactersIndexer, TokenIndexer
from allennlp.data.tokenizers import CharacterTokenizer, Token
from allennlp.data.vocabulary import Vocabulary


@TokenIndexer.register("capped_characters")
class CappedCharactersIndexer(TokenCharactersIndexer):
    """
    AllenNLP's `characters` indexer that keeps only the first `max_characters` characters of
    each word. A batch's character tensor `(batch_size, num_tokens, num_characters)` is padded
    to its longest word, so one URL of 143 characters in web text (UD English-EWT) makes the
    character CNN of every word in the batch 7x wider; a cap bounds `num_characters`. The
    vocabulary still counts every character of every word.

    Registered as a `TokenIndexer` with name "capped_characters"; its parameters are
    `characters`' and `max_characters` (default 20). `distill-export` records the cap, and
    `serving.py` cuts words as this indexer does.

    # Raises
    `ConfigurationError` if `max_characters` is under `min_padding_length` (the widest
    character filter) or under 1.
    """

    def __init__(
        self,
        max_characters: int = 20,
        namespace: str = "token_characters",
        character_tokenizer: Optional[CharacterTokenizer] = None,
        start_tokens: Optional[List[str]] = None,
        end_tokens: Optional[List[str]] = None,
        min_padding_length: int = 0,
        token_min_padding_length: int = 0,
    ) -> None:
        if max_characters < max(1, min_padding_length):
            raise ConfigurationError(
                f"capped_characters: max_characters ({max_characters}) must be at least 1 and "
                f"at least min_padding_length ({min_padding_length})"
            )
        super().__init__(
            namespace=namespace,
            character_tokenizer=character_tokenizer or CharacterTokenizer(),
            start_tokens=start_tokens or [],
            end_tokens=end_tokens or [],
            min_padding_length=min_padding_length,
            token_min_padding_length=token_min_padding_length,
        )
        self.max_characters = max_characters

    def tokens_to_indices(
        self, tokens: List[Token], vocabulary: Vocabulary
    ) -> Dict[str, List[List[int]]]:
        indices = super().tokens_to_indices(tokens, vocabulary)["token_characters"]
        return {"token_characters": [word[: self.max_characters] for word in indices]}
