"""
The transfer-set augmentation rules of Tang et al. (2019), §3.3, as pure, seeded functions over a
sentence's tokens and their part-of-speech tags.

For each word, with X ~ U[0, 1]: X < p_mask replaces it by the mask token; p_mask <= X <
p_mask + p_pos replaces it by a word with the same POS tag drawn from the training set's unigram
distribution for that tag; otherwise the word is kept. Then, with probability p_ng, only a random
n-gram of the result is kept, n ~ U{1, ..., max_ngram}. Repeating this n_iter times and dropping
duplicates gives a sentence's augmented copies.
"""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import accumulate
from typing import Dict, Iterable, List, Sequence, Set, Tuple


@dataclass(frozen=True)
class AugmentationRates:
    """
    The probabilities and counts of Tang et al. (2019) §3.3 (their defaults).

    # Raises
    `ValueError` when a probability is outside [0, 1], `p_mask + p_pos > 1`, or a count is
    negative (`n_iter`) or below 1 (`max_ngram`).
    """

    p_mask: float = 0.1
    p_pos: float = 0.1
    p_ng: float = 0.25
    n_iter: int = 20
    max_ngram: int = 5

    def __post_init__(self) -> None:
        for name in ("p_mask", "p_pos", "p_ng"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
        if self.p_mask + self.p_pos > 1.0:
            raise ValueError(f"p_mask + p_pos must be at most 1, got {self.p_mask + self.p_pos}")
        if self.n_iter < 0:
            raise ValueError(f"n_iter must be at least 0, got {self.n_iter}")
        if self.max_ngram < 1:
            raise ValueError(f"max_ngram must be at least 1, got {self.max_ngram}")


class PosUnigrams:
    """
    Per-POS-tag unigram distributions of words, for POS-guided word replacement (Tang §3.3).

    # Parameters
    tagged_sentences : `Iterable[Tuple[Sequence[str], Sequence[str]]]`
        `(words, tags)` pairs of equal length, e.g. from spaCy's tagger over the training set.
    """

    def __init__(self, tagged_sentences: Iterable[Tuple[Sequence[str], Sequence[str]]]) -> None:
        counts: Dict[str, Counter] = defaultdict(Counter)
        for words, tags in tagged_sentences:
            for word, tag in zip(words, tags):
                counts[tag][word] += 1
        self._words: Dict[str, List[str]] = {}
        self._cumulative: Dict[str, List[int]] = {}
        for tag, counter in counts.items():
            words = sorted(counter)
            self._words[tag] = words
            self._cumulative[tag] = list(accumulate(counter[word] for word in words))

    def sample(self, tag: str, rng: random.Random) -> str:
        """
        A word drawn with probability proportional to its count among words tagged `tag`.

        # Raises
        `KeyError` when no word of the corpus has that tag.
        """
        return rng.choices(self._words[tag], cum_weights=self._cumulative[tag], k=1)[0]

    def __contains__(self, tag: str) -> bool:
        return tag in self._words


def item_random(seed: int, texts: Sequence[str]) -> random.Random:
    """
    The random stream of one input item (a sentence's text, a pair's two texts, a tagged
    sentence's words), seeded by `seed` and the item itself: each item draws its own copies,
    the same whatever the batch it comes in or where an interrupted transfer set resumed.
    """
    return random.Random(f"{seed}:" + "\t".join(texts))


def augment_once(
    words: Sequence[str],
    tags: Sequence[str],
    unigrams: PosUnigrams,
    rates: AugmentationRates,
    rng: random.Random,
    mask_token: str = "[MASK]",
) -> List[str]:
    """
    One augmented copy of a sentence (Tang §3.3): masking and POS-guided replacement per word,
    then n-gram sampling. A word whose tag the corpus never saw is kept where it would have been
    replaced.

    # Parameters
    words, tags : `Sequence[str]`
        The sentence's tokens and their POS tags, of equal length.
    rng : `random.Random`
        The only source of randomness: the same state gives the same copy.

    # Returns
    The augmented tokens: at most `rates.max_ngram` of them when an n-gram was sampled.
    """
    augmented = []
    for word, tag in zip(words, tags):
        x = rng.random()
        if x < rates.p_mask:
            augmented.append(mask_token)
        elif x < rates.p_mask + rates.p_pos and tag in unigrams:
            augmented.append(unigrams.sample(tag, rng))
        else:
            augmented.append(word)
    if augmented and rng.random() < rates.p_ng:
        n = rng.randint(1, min(rates.max_ngram, len(augmented)))
        start = rng.randint(0, len(augmented) - n)
        augmented = augmented[start : start + n]
    return augmented


def augmented_copies(
    words: Sequence[str],
    tags: Sequence[str],
    unigrams: PosUnigrams,
    rates: AugmentationRates,
    rng: random.Random,
    mask_token: str = "[MASK]",
) -> List[List[str]]:
    """
    Up to `rates.n_iter` distinct augmented copies of a sentence, none equal to the sentence
    itself, in the order drawn (Tang §3.3).
    """
    seen: Set[Tuple[str, ...]] = {tuple(words)}
    copies = []
    for _ in range(rates.n_iter):
        copy = augment_once(words, tags, unigrams, rates, rng, mask_token)
        key = tuple(copy)
        if copy and key not in seen:
            seen.add(key)
            copies.append(copy)
    return copies


#: Which sentences of a pair iteration `i` of `augmented_pair_copies` changes: `PAIR_SIDES[i % 3]`.
PAIR_SIDES = ((True, False), (False, True), (True, True))


def augmented_pair_copies(
    first: Tuple[Sequence[str], Sequence[str]],
    second: Tuple[Sequence[str], Sequence[str]],
    unigrams: PosUnigrams,
    rates: AugmentationRates,
    rng: random.Random,
    mask_token: str = "[MASK]",
) -> List[Tuple[List[str], List[str]]]:
    """
    Up to `rates.n_iter` distinct augmented copies of a sentence pair (Tang et al. 2019, §3.3 for
    pairs): iteration `i` applies `augment_once` to the first sentence only, the second only, or
    both, in turn (`PAIR_SIDES`). Copies equal to the pair or with an empty side are dropped.

    # Parameters
    first, second : `Tuple[Sequence[str], Sequence[str]]`
        Each sentence's `(words, tags)`.

    # Returns
    `(first_words, second_words)` per copy, in the order drawn.
    """
    original = (tuple(first[0]), tuple(second[0]))
    seen: Set[Tuple[Tuple[str, ...], Tuple[str, ...]]] = {original}
    copies = []
    for iteration in range(rates.n_iter):
        change_first, change_second = PAIR_SIDES[iteration % len(PAIR_SIDES)]
        words1 = (
            augment_once(*first, unigrams, rates, rng, mask_token)
            if change_first
            else list(first[0])
        )
        words2 = (
            augment_once(*second, unigrams, rates, rng, mask_token)
            if change_second
            else list(second[0])
        )
        key = (tuple(words1), tuple(words2))
        if words1 and words2 and key not in seen:
            seen.add(key)
            copies.append((words1, words2))
    return copies
