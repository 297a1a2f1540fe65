import random

import pytest

from allennlp_distill.augmentation import (
    AugmentationRates,
    PosUnigrams,
    augment_once,
    augmented_copies,
    augmented_pair_copies,
)

WORDS = "the quick brown fox jumps over the lazy dog".split()
TAGS = ["DT", "JJ", "JJ", "NN", "VBZ", "IN", "DT", "JJ", "NN"]
UNIGRAMS = PosUnigrams(
    [
        (WORDS, TAGS),
        (["a", "slow", "cat", "sleeps"], ["DT", "JJ", "NN", "VBZ"]),
        (["a", "red", "cat"], ["DT", "JJ", "NN"]),
    ]
)


def test_mask_rate_is_close_to_p_mask_over_many_words():
    rates = AugmentationRates(p_mask=0.3, p_pos=0.0, p_ng=0.0)
    rng = random.Random(0)
    masked = total = 0
    for _ in range(2000):
        copy = augment_once(WORDS, TAGS, UNIGRAMS, rates, rng)
        masked += copy.count("[MASK]")
        total += len(copy)
    assert masked / total == pytest.approx(0.3, abs=0.015)


def test_with_both_rates_masking_happens_at_p_mask_and_pos_replacement_at_p_pos():
    # The only NN of the corpus is "swap", so every POS replacement is visible.
    rates = AugmentationRates(p_mask=0.3, p_pos=0.4, p_ng=0.0)
    unigrams = PosUnigrams([(["swap"], ["NN"])])
    rng = random.Random(5)
    words = [
        word
        for _ in range(2000)
        for word in augment_once(["w"] * 5, ["NN"] * 5, unigrams, rates, rng)
    ]
    assert words.count("[MASK]") / len(words) == pytest.approx(0.3, abs=0.015)
    assert words.count("swap") / len(words) == pytest.approx(0.4, abs=0.015)
    assert words.count("w") / len(words) == pytest.approx(0.3, abs=0.015)


def test_pos_replacement_keeps_the_tag_and_follows_unigram_counts():
    rates = AugmentationRates(p_mask=0.0, p_pos=1.0, p_ng=0.0)
    rng = random.Random(1)
    nouns = []
    for _ in range(3000):
        copy = augment_once(WORDS, TAGS, UNIGRAMS, rates, rng)
        for word, tag in zip(copy, TAGS):
            assert word in {w for w, t in zip(*_corpus()) if t == tag}
        nouns.append(copy[3])
    # NN counts: fox 1, dog 1, cat 2 -> cat is drawn half the time.
    assert nouns.count("cat") / len(nouns) == pytest.approx(0.5, abs=0.03)


def _corpus():
    words = WORDS + ["a", "slow", "cat", "sleeps", "a", "red", "cat"]
    tags = TAGS + ["DT", "JJ", "NN", "VBZ", "DT", "JJ", "NN"]
    return words, tags


def test_unknown_tag_keeps_the_word():
    rates = AugmentationRates(p_mask=0.0, p_pos=1.0, p_ng=0.0)
    assert augment_once(["zz"], ["XX"], UNIGRAMS, rates, random.Random(0)) == ["zz"]


def test_ngram_sampling_keeps_a_contiguous_span_of_one_to_five_tokens():
    rates = AugmentationRates(p_mask=0.0, p_pos=0.0, p_ng=1.0)
    rng = random.Random(2)
    lengths, starts = set(), set()
    sentence = [f"w{i}" for i in range(12)]
    for _ in range(500):
        copy = augment_once(sentence, ["NN"] * 12, UNIGRAMS, rates, rng)
        assert 1 <= len(copy) <= 5
        start = sentence.index(copy[0])
        assert sentence[start : start + len(copy)] == copy
        lengths.add(len(copy))
        starts.add(start)
    assert lengths == {1, 2, 3, 4, 5}
    assert starts == set(range(12))  # a span may start anywhere, the last word alone included


def test_the_defaults_are_tang_et_als():
    assert AugmentationRates() == AugmentationRates(
        p_mask=0.1, p_pos=0.1, p_ng=0.25, n_iter=20, max_ngram=5
    )


def test_ngram_rate_is_close_to_p_ng():
    rates = AugmentationRates(p_mask=0.0, p_pos=0.0, p_ng=0.25)
    rng = random.Random(3)
    sentence = [f"w{i}" for i in range(12)]
    shortened = sum(
        len(augment_once(sentence, ["NN"] * 12, UNIGRAMS, rates, rng)) < 12 for _ in range(4000)
    )
    assert shortened / 4000 == pytest.approx(0.25, abs=0.02)


def test_copies_are_distinct_differ_from_the_original_and_are_at_most_n_iter():
    rates = AugmentationRates(n_iter=30)
    copies = augmented_copies(WORDS, TAGS, UNIGRAMS, rates, random.Random(4))
    assert 0 < len(copies) <= 30
    assert len({tuple(c) for c in copies}) == len(copies)
    assert WORDS not in copies


def test_same_seed_gives_the_same_copies():
    rates = AugmentationRates(n_iter=10)
    first = augmented_copies(WORDS, TAGS, UNIGRAMS, rates, random.Random("seed:text"))
    second = augmented_copies(WORDS, TAGS, UNIGRAMS, rates, random.Random("seed:text"))
    other = augmented_copies(WORDS, TAGS, UNIGRAMS, rates, random.Random("other:text"))
    assert first == second
    assert first != other


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"p_mask": 1.5}, "p_mask must lie in"),
        ({"p_ng": -0.1}, "p_ng must lie in"),
        ({"p_mask": 0.6, "p_pos": 0.6}, "p_mask \\+ p_pos"),
        ({"n_iter": -1}, "n_iter"),
        ({"max_ngram": 0}, "max_ngram"),
    ],
)
def test_bad_rates_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AugmentationRates(**kwargs)


def test_pair_iterations_change_the_first_the_second_then_both_sentences():
    first = (["a", "b"], ["NN", "NN"])
    second = (["c", "d"], ["NN", "NN"])
    rates = AugmentationRates(p_mask=1.0, p_pos=0.0, p_ng=0.0, n_iter=3)
    copies = augmented_pair_copies(first, second, PosUnigrams([]), rates, random.Random(0), "M")
    assert copies == [
        (["M", "M"], ["c", "d"]),
        (["a", "b"], ["M", "M"]),
        (["M", "M"], ["M", "M"]),
    ]


def test_pair_copies_are_distinct_and_never_the_original_pair():
    first = (["good", "film"], ["JJ", "NN"])
    second = (["nice", "movie"], ["JJ", "NN"])
    unigrams = PosUnigrams([first, second])
    rates = AugmentationRates(n_iter=30)
    copies = augmented_pair_copies(first, second, unigrams, rates, random.Random(4))
    keys = [(tuple(a), tuple(b)) for a, b in copies]
    assert len(set(keys)) == len(keys) > 3
    assert (("good", "film"), ("nice", "movie")) not in keys
    assert all(a and b for a, b in copies)
