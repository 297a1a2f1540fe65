from collections import defaultdict

from allennlp.data import Vocabulary
from allennlp.data.tokenizers import Token
from allennlp.data.vocabulary import DEFAULT_OOV_TOKEN

from allennlp_distill.token_indexers import LowercaseWordsIndexer


def test_words_are_looked_up_lowercased_but_the_unknown_word_is_kept():
    indexer = LowercaseWordsIndexer()
    counts = defaultdict(lambda: defaultdict(int))
    for token in [Token("Paris"), Token(DEFAULT_OOV_TOKEN), Token("PARIS")]:
        indexer.count_vocab_items(token, counts)
    assert dict(counts["tokens"]) == {"paris": 2, DEFAULT_OOV_TOKEN: 1}
    vocab = Vocabulary()
    paris = vocab.add_token_to_namespace("paris", "tokens")
    vocab.add_token_to_namespace("@@unknown@@", "tokens")  # a word, not the unknown row
    indices = indexer.tokens_to_indices(
        [Token("Paris"), Token(DEFAULT_OOV_TOKEN), Token("Lyon")], vocab
    )["tokens"]
    unknown = vocab.get_token_index(DEFAULT_OOV_TOKEN, "tokens")
    assert indices == [paris, unknown, unknown]
