from collections import defaultdict

import pytest
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.data.token_indexers import TokenIndexer
from allennlp.data.tokenizers import Token

from allennlp_distill.token_indexers import CappedCharactersIndexer


def test_words_are_cut_to_their_first_max_characters_and_the_batch_is_no_wider():
    indexer = TokenIndexer.from_params(
        Params({"type": "capped_characters", "max_characters": 4, "min_padding_length": 3})
    )
    assert isinstance(indexer, CappedCharactersIndexer)
    tokens = [Token("https://example.org"), Token("a"), Token("Paris")]
    counts = defaultdict(lambda: defaultdict(int))
    for token in tokens:
        indexer.count_vocab_items(token, counts)
    assert counts["token_characters"]["g"] == 1  # the vocabulary still sees every character
    vocab = Vocabulary(counter=counts)
    ids = indexer.tokens_to_indices(tokens, vocab)
    index = lambda word: [vocab.get_token_index(c, "token_characters") for c in word]  # noqa: E731
    assert ids["token_characters"] == [index("http"), index("a"), index("Pari")]
    padded = indexer.as_padded_tensor_dict(ids, indexer.get_padding_lengths(ids))
    assert padded["token_characters"].shape == (3, 4)
    assert padded["token_characters"][1].tolist() == index("a") + [0, 0, 0]


def test_a_cap_under_the_widest_filter_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="max_characters.*min_padding_length"):
        CappedCharactersIndexer(max_characters=2, min_padding_length=3)
