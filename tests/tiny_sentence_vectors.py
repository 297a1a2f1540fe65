"""
A tiny `allennlp sentence-vectors` folder for the tests of the sentence-representation student
(Wu et al. 2020): the tiny BERT's mean-pooled 16-d vectors of 20 fixture sentences, written by the
command's own code in three shards (8, 8 and 4 lines).
"""

from pathlib import Path
from typing import List, Optional

from allennlp_distill.commands.sentence_vectors import write_sentence_vectors
from allennlp_distill.dataset_readers.rows import iter_rows
from tests.conftest import FIXTURES

TEACHER_SIZE = 16  # conftest.build_tiny_bert's hidden size
SHARD_SIZE = 8


def fixture_sentences() -> List[str]:
    """
    The first 20 sentences of the SST-2 fixtures (train, then dev), stripped and capitalized (the
    fixtures are lowercase; a corpus is not).
    """
    sentences = [
        row["sentence"].strip()
        for name in ("sst2_train.tsv", "sst2_dev.tsv")
        for _, row in iter_rows(str(FIXTURES / name))
    ]
    return [sentence[0].upper() + sentence[1:] for sentence in sentences[:20]]


def write_tiny_sentence_vectors(
    teacher: Path, directory: Path, sentences: Optional[List[str]] = None
) -> Path:
    """
    Writes `sentences` (default `fixture_sentences()`) as `directory/corpus.txt` and the
    teacher's sentence vectors of it into `directory/vectors`, which it returns.
    """
    directory.mkdir(parents=True, exist_ok=True)
    corpus = directory / "corpus.txt"
    corpus.write_text("\n".join(sentences or fixture_sentences()) + "\n", encoding="utf-8")
    out = directory / "vectors"
    write_sentence_vectors(
        str(teacher), str(corpus), str(out), max_length=32, batch_size=8, shard_size=SHARD_SIZE
    )
    return out
