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
import random
from typing import Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from allennlp_distill.corpora.files import atomic_text_file
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

    def rows() -> Iterator[dict]:
        for _, words, pos, tags in iter_conll_sentences(conll_file, tag_column, pos_column):
            row: dict = {"tokens": words}
            if pos is not None:
                row["pos"] = pos
            if tags is not None:
                row["tags"] = tags
            yield row

    return _write_rows(rows(), output_file)


def text_to_jsonl(
    text_file: str,
    output_file: str,
    sample: Optional[int] = None,
    seed: int = 0,
    max_tokens: Optional[int] = None,
    exclude: Sequence[str] = (),
) -> Tuple[int, int, int]:
    """
    Writes the sentences of `text_file` (one a line, UTF-8) as `{"tokens": [...]}` JSON lines,
    tokenized by the tagger predictor's tokenizer (`SpacyRulesTokenizer`, spaCy's English
    rules), so that the teacher labels the words a user's text is split into. Skipped: blank
    lines, a sentence of more than `max_tokens` tokens (punctuation counts), and a sentence of an
    `exclude` CoNLL file (the evaluation splits: no sentence a figure is measured on is distilled
    on), compared by its characters without whitespace, since CoNLL's tokens are not spaCy's
    (`1996-08-30` is one CoNLL token). With `sample`, `sample` of the remaining sentences drawn at
    random by `seed`, kept in file order. Last, a sentence whose tokens repeat an earlier one's
    is dropped (the transfer set would drop it too), so a sample may write a few fewer lines.
    Written atomically.

    # Returns
    `(written, held_out, repeated)`: the sentences written, and those dropped as equal to a
    sentence of an `exclude` file or to an earlier sentence written.

    # Raises
    `ValueError` naming `text_file` for a negative `sample` or fewer than `sample` sentences
    left; `DataFormatError` naming the file and line for a malformed `exclude` file. No output is
    left.
    """
    from allennlp_distill.tokenizers.spacy_rules import SpacyRulesTokenizer

    if sample is not None and sample < 0:
        raise ValueError(f"{text_file}: --sample {sample} is negative")
    held_out_texts: Set[str] = {
        "".join(words) for path in exclude for _, words, _, _ in iter_conll_sentences(path)
    }
    tokenizer = SpacyRulesTokenizer()
    sentences: List[List[str]] = []
    held_out = 0
    with open(text_file, encoding="utf-8") as text:
        for line in text:
            if not line.strip():
                continue
            words = [str(token.text) for token in tokenizer.tokenize(line.strip())]
            if max_tokens is not None and len(words) > max_tokens:
                continue
            if "".join(words) in held_out_texts:
                held_out += 1
            else:
                sentences.append(words)
    if sample is not None:
        if sample > len(sentences):
            longest = "" if max_tokens is None else f" of at most {max_tokens} tokens"
            raise ValueError(
                f"{text_file}: --sample {sample}, but only {len(sentences)} sentences{longest}"
                " are left after the held-out ones"
            )
        chosen = sorted(random.Random(seed).sample(range(len(sentences)), sample))
        sentences = [sentences[index] for index in chosen]
    distinct = dict.fromkeys(tuple(words) for words in sentences)  # first occurrences, in order
    written = _write_rows(({"tokens": list(words)} for words in distinct), output_file)
    return written, held_out, len(sentences) - written


def _write_rows(rows: Iterable[dict], output_file: str) -> int:
    """
    Writes `rows` as JSON lines through `atomic_text_file`: an error while `rows` is read (a
    malformed input line) leaves no file. Returns the rows written.
    """
    written = 0
    with atomic_text_file(output_file) as partial:
        for row in rows:
            partial.write(json.dumps(row, ensure_ascii=False) + "\n")
            written += 1
    return written


def main(argv: Optional[List[str]] = None) -> None:
    """The command line (see the module docstring); a bad argument or input exits with its error."""
    parser = argparse.ArgumentParser(
        description="A CoNLL file, or with --text plain sentences, as the JSON lines that "
        "`allennlp transfer-set` reads for a tagger teacher."
    )
    parser.add_argument("input_file", help="a CoNLL file, or with --text one sentence a line")
    parser.add_argument("-o", "--output-file", required=True)
    conll = parser.add_argument_group("a CoNLL file")
    conll.add_argument("--tag-column", type=int, default=-1)
    conll.add_argument("--pos-column", type=int, default=1)
    text = parser.add_argument_group("plain sentences")
    text.add_argument("--text", action="store_true", help="the input is one sentence a line")
    text.add_argument("--sample", type=int, help="this many sentences, drawn at random")
    text.add_argument("--seed", type=int, default=0, help="the sample's seed")
    text.add_argument("--max-tokens", type=int, help="skip longer sentences")
    text.add_argument(
        "--exclude", action="append", default=[], help="a CoNLL file held out (repeatable)"
    )
    args = parser.parse_args(argv)
    text_only = {"--sample": args.sample, "--max-tokens": args.max_tokens}
    given = [flag for flag, value in text_only.items() if value is not None]
    if not args.text and (given or args.exclude):
        parser.error(f"{', '.join(given or ['--exclude'])}: for --text input only")
    try:
        if args.text:
            written, held_out, repeated = text_to_jsonl(
                args.input_file,
                args.output_file,
                args.sample,
                args.seed,
                args.max_tokens,
                args.exclude,
            )
            print(
                f"{args.output_file}: {written} sentences ({held_out} held out, "
                f"{repeated} repeated)"
            )
        else:
            written = conll_to_jsonl(
                args.input_file, args.output_file, args.tag_column, args.pos_column
            )
            print(f"{args.output_file}: {written} sentences")
    except ValueError as error:  # DataFormatError included
        parser.error(str(error))


if __name__ == "__main__":
    main()
