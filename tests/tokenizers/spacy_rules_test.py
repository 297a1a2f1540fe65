from allennlp_distill.tokenizers import SpacyRulesTokenizer


def test_splits_like_spacys_english_rules_and_keeps_mask_tokens_whole():
    tokens = SpacyRulesTokenizer().tokenize("It's [MASK] fun, isn't it?  <mask>")
    assert [t.text for t in tokens] == [
        "It", "'s", "[MASK]", "fun", ",", "is", "n't", "it", "?", "<mask>"
    ]  # fmt: skip
    assert tokens[1].idx == 2


def test_round_trips_through_its_params():
    tokenizer = SpacyRulesTokenizer(special_tokens=["<x>"])
    assert tokenizer._to_params() == {
        "type": "spacy_rules", "language": "en", "special_tokens": ["<x>"],
        "lowercase": False, "special_tokens_as_unknown": False,
    }  # fmt: skip
    assert [t.text for t in tokenizer.tokenize("a<x>")] == ["a", "<x>"]


def test_lowercases_words_but_maps_mask_tokens_onto_the_unknown_token_verbatim():
    tokenizer = SpacyRulesTokenizer(lowercase=True, special_tokens_as_unknown=True)
    tokens = tokenizer.tokenize("A [MASK] Movie <mask>")
    assert [t.text for t in tokens] == ["a", "@@UNKNOWN@@", "movie", "@@UNKNOWN@@"]


def test_masked_words_index_to_the_vocabularys_unknown_row_without_a_row_of_their_own():
    from allennlp.data import Instance, Vocabulary
    from allennlp.data.fields import TextField
    from allennlp.data.token_indexers import SingleIdTokenIndexer

    tokenizer = SpacyRulesTokenizer(lowercase=True, special_tokens_as_unknown=True)
    field = TextField(tokenizer.tokenize("Good [MASK] film"), {"tokens": SingleIdTokenIndexer()})
    vocab = Vocabulary.from_instances([Instance({"tokens": field})])
    assert vocab.get_vocab_size("tokens") == 4  # padding, @@UNKNOWN@@, good, film
    field.index(vocab)
    ids = field.as_tensor(field.get_padding_lengths())["tokens"]["tokens"].tolist()
    assert ids[1] == vocab.get_token_index(vocab._oov_token) == 1


def test_tells_serving_what_to_mirror():
    assert SpacyRulesTokenizer().unknown_tokens == []
    assert not SpacyRulesTokenizer().lowercase
    tokenizer = SpacyRulesTokenizer(special_tokens=["<x>"], lowercase=True,
                                    special_tokens_as_unknown=True)  # fmt: skip
    assert tokenizer.unknown_tokens == ["<x>"]
    assert tokenizer.lowercase
