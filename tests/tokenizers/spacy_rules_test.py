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
        "type": "spacy_rules", "language": "en", "special_tokens": ["<x>"]
    }  # fmt: skip
    assert [t.text for t in tokenizer.tokenize("a<x>")] == ["a", "<x>"]
