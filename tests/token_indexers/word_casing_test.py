from collections import defaultdict

import pytest
from allennlp.data import Vocabulary
from allennlp.data.tokenizers import Token
from allennlp.data.vocabulary import DEFAULT_OOV_TOKEN

from allennlp_distill.serving import CASING_CLASSES, word_casing
from allennlp_distill.token_indexers import WordCasingIndexer


@pytest.mark.parametrize(
    "word, casing",
    [
        ("1996", "numeric"),
        ("1996-08-30", "mainly_numeric"),
        ("the", "all_lower"),
        ("EU", "all_upper"),
        ("German", "initial_upper"),
        ("McDonald", "initial_upper"),
        ("x1", "all_lower"),
        ("3rd", "all_lower"),
        ("1990s", "mainly_numeric"),
        ("a1b2c", "all_lower"),
        ("iPhone", "other"),
        ("iPhone4", "contains_digit"),
        (",", "other"),
        ("", "other"),
    ],
)
def test_word_casing_takes_the_first_class_that_fits(word, casing):
    assert word_casing(word) == casing


def test_a_word_is_indexed_by_its_casing_class_and_the_unknown_word_has_none():
    indexer = WordCasingIndexer()
    counts = defaultdict(lambda: defaultdict(int))
    for token in [Token("Paris"), Token("Lyon"), Token("EU"), Token(DEFAULT_OOV_TOKEN)]:
        indexer.count_vocab_items(token, counts)
    assert dict(counts["word_casing"]) == {"initial_upper": 2, "all_upper": 1, DEFAULT_OOV_TOKEN: 1}

    vocab = Vocabulary()
    ids = {c: vocab.add_token_to_namespace(c, "word_casing") for c in CASING_CLASSES}
    indices = indexer.tokens_to_indices(
        [Token("Paris"), Token("paris"), Token("1996"), Token(DEFAULT_OOV_TOKEN)], vocab
    )["tokens"]
    unknown = vocab.get_token_index(DEFAULT_OOV_TOKEN, "word_casing")
    assert indices == [ids["initial_upper"], ids["all_lower"], ids["numeric"], unknown]
