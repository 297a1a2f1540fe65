"""
A CoNLL column file as JSON lines `{"tokens": [...], "pos": [...], "tags": [...]}`, the input of
`allennlp transfer-set` for a tagger teacher (one line per sentence, so the command can resume at
any line), written whole or not at all:

    python -m allennlp_distill.corpora.conll_jsonl runs/conll2003/data/train.txt \\
        -o runs/conll2003/data/train.jsonl [--tag-column -1] [--pos-column 1]

or unlabelled sentences, one a line (`allennlp_distill.corpora.unlabelled` writes them), as
`{"tokens": [...]}` lines for the teacher to tag: a transfer set of real text rather than
augmented copies ("Which Student is Best?", arXiv 2201.00558, §3: unlabelled data):

    python -m allennlp_distill.corpora.conll_jsonl --text unlabelled.txt -o unlabelled.jsonl \\
        --sample 40120 --seed 1 --max-tokens 60 \\
        --exclude runs/conll2003/data/valid.txt --exclude runs/conll2003/data/test.txt
"""

import argparse
import json
import os
import random
import tempfile
from typing import Iterable, List, Optional, Sequence, Set, Tuple

from allennlp_distill.dataset_readers.tagging import iter_conll_sentences


def conll_to_jsonl(
    conll_file: str, output_file: str, tag_column: int = -1, pos_column: Optional[int] = 1
) -> int:
    """
    Writes every sentence of `conll_file` (see `iter_conll_sentences`) to `output_file` as one
    JSON object per line, atomically.

    # Returns
    The number of sentences written.

    # Raises
    `DataFormatError` naming the file and line for a malformed CoNLL line (no output is left).
    """
    rows = []
    for _, words, pos, tags in iter_conll_sentences(conll_file, tag_column, pos_column):
        row = {"tokens": words}
        if pos is not None:
            row["pos"] = pos
        if tags is not None:
            row["tags"] = tags
        rows.append(row)
    _write_rows(rows, output_file)
    return len(rows)


def text_to_jsonl(
    text_file: str,
    output_file: str,
    sample: Optional[int] = None,
    seed: int = 0,
    max_tokens: Optional[int] = None,
    exclude: Sequence[str] = (),
) -> Tuple[int, int]:
    """
    Writes the sentences of `text_file` (one a line, UTF-8) as `{"tokens": [...]}` JSON lines,
    tokenized by the tagger predictor's tokenizer (`SpacyRulesTokenizer`, spaCy's English
    rules), so that the teacher labels the words a user's text is split into. Blank lines are
    skipped; so is a sentence of more than `max_tokens` tokens, and one whose tokens equal a
    sentence of an `exclude` CoNLL file (the evaluation splits: no sentence a figure is measured
    on is distilled on). With `sample`, `sample` of the remaining sentences drawn at random by
    `seed`, kept in file order. Written atomically.

    # Returns
    `(written, excluded)`: the sentences written, and those dropped as equal to an excluded one.

    # Raises
    `ValueError` naming the file if fewer than `sample` sentences remain (no output is left).
    """
    from allennlp_distill.tokenizers.spacy_rules import SpacyRulesTokenizer

    held_out: Set[Tuple[str, ...]] = {
        tuple(words) for path in exclude for _, words, _, _ in iter_conll_sentences(path)
    }
    tokenizer = SpacyRulesTokenizer()
    sentences: List[List[str]] = []
    excluded = 0
    with open(text_file, encoding="utf-8") as text:
        for line in text:
            if not line.strip():
                continue
            words = [token.text for token in tokenizer.tokenize(line.strip())]
            if max_tokens is not None and len(words) > max_tokens:
                continue
            if tuple(words) in held_out:
                excluded += 1
                continue
            sentences.append(words)
    if sample is not None:
        if sample > len(sentences):
            raise ValueError(
                f"{text_file}: --sample {sample}, but only {len(sentences)} sentences remain"
                f" (of at most {max_tokens} tokens, not in an excluded file)"
            )
        chosen = sorted(random.Random(seed).sample(range(len(sentences)), sample))
        sentences = [sentences[index] for index in chosen]
    _write_rows(({"tokens": words} for words in sentences), output_file)
    return len(sentences), excluded


def _write_rows(rows: Iterable[dict], output_file: str) -> None:
    """Writes `rows` as JSON lines to a temporary file beside `output_file`, then renames it."""
    directory = os.path.dirname(os.path.abspath(output_file))
    os.makedirs(directory, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=directory, suffix=".partial", delete=False
    ) as partial:
        try:
            for row in rows:
                partial.write(json.dumps(row, ensure_ascii=False) + "\n")
        except BaseException:
            partial.close()
            os.unlink(partial.name)
            raise
    os.replace(partial.name, output_file)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input_file", help="a CoNLL file, or with --text one sentence a line")
    parser.add_argument("-o", "--output-file", required=True)
    parser.add_argument("--tag-column", type=int, default=-1)
    parser.add_argument("--pos-column", type=int, default=1)
    parser.add_argument("--text", action="store_true", help="the input is plain sentences")
    parser.add_argument("--sample", type=int, help="--text: this many sentences at random")
    parser.add_argument("--seed", type=int, default=0, help="--text: the sample's seed")
    parser.add_argument("--max-tokens", type=int, help="--text: skip longer sentences")
    parser.add_argument(
        "--exclude", action="append", default=[], help="--text: a CoNLL file held out"
    )
    args = parser.parse_args(argv)
    if args.text:
        count, excluded = text_to_jsonl(
            args.input_file,
            args.output_file,
            args.sample,
            args.seed,
            args.max_tokens,
            args.exclude,
        )
        print(f"{args.output_file}: {count} sentences ({excluded} dropped as held out)")
        return
    count = conll_to_jsonl(args.input_file, args.output_file, args.tag_column, args.pos_column)
    print(f"{args.output_file}: {count} sentences")


if __name__ == "__main__":
    main()
