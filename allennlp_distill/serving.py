"""
Serving an exported student (`allennlp distill-export`) with torch and spaCy only: this file
imports nothing from AllenNLP or from the rest of this package, so it can be copied next to a
service, or run as a file (not with `-m`, which would import the package):

    python allennlp_distill/serving.py runs/sst2/student_export "a gorgeous , witty movie ."
    python allennlp_distill/serving.py runs/stsb/student_export "A man plays." "A man is playing."

prints one JSON line per text (per pair of texts for a sentence-pair student: the arguments are
taken two at a time) with the label and its probabilities, the score of a regression student, the
sentence vector of a distilled sentence encoder (Wu et al. 2020), or the words, tags and spans of a
tagger (as the `tagger` predictor gives them).
`ExportedStudent` is the whole serving path: spaCy's English tokenization rules (as the
`spacy_rules` tokenizer), the vocabulary lookup (`@@UNKNOWN@@` for unseen words), padding, the
TorchScript forward pass. An exported transformer (a teacher, or a truncated-teacher student)
reads word pieces with its own `tokenizer.json` through the `tokenizers` library instead. A
BiLSTM, CNN or transformer student (single or siamese) or sentence encoder exported with `--onnx`
runs on ONNX Runtime (`student.onnx`; the `onnxruntime` package, imported only then) with as
many threads as torch has.
"""

import json
import os
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import spacy
import torch
from spacy.symbols import ORTH
from spacy.tokenizer import Tokenizer

PADDING, UNKNOWN = 0, 1
# AllenNLP's unknown word, which the tagging reader reads a mask word as.
UNKNOWN_WORD = "@@UNKNOWN@@"
# The files of an export (`allennlp distill-export`): the TorchScript or the ONNX Runtime model,
# and the metadata (vocabulary, tokenizer settings, label names, which runtime serves).
TORCHSCRIPT_FILE, ONNX_FILE, METADATA_FILE = "student.ts", "student.onnx", "vocab.json"
TOKENIZER_FILE = "tokenizer.json"  # a transformer's word pieces, for the `tokenizers` library
# What a damaged export's error tells the user to do.
EXPORT_AGAIN = "export it again with allennlp distill-export"
# As allennlp_distill.dataset_readers.rows.EMPTY_TEXT (this file imports nothing of the package).
EMPTY_TEXT = "empty text: nothing to classify (give at least one word)"
# Texts per length-sorted sub-batch of an ONNX Runtime export's batch (`ExportedStudent.outputs`),
# the TorchScript transformer exports' LENGTH_CHUNK (allennlp_distill/modules/wide_cnn_encoder.py).
ONNX_CHUNK = 32


def padded_wordpieces(
    rows: Sequence[Sequence[int]],
    pad_id: int,
    type_rows: Optional[Sequence[Sequence[int]]] = None,
) -> List[torch.Tensor]:
    """
    Texts' word-piece ids as a transformer's inputs: `token_ids` and `mask`, both
    `(len(rows), longest row)` int64, each row padded with `pad_id` (mask 1 for a real piece, 0
    for padding), and with `type_rows` (a pair's segment ids, one per piece) `type_ids`, padded
    with 0. Shared by serving (`ExportedStudent.wordpiece_inputs`) and teacher labelling with
    ONNX Runtime.
    """
    longest = max(len(row) for row in rows)
    token_ids = torch.tensor([list(row) + [pad_id] * (longest - len(row)) for row in rows])
    mask = torch.tensor([[1] * len(row) + [0] * (longest - len(row)) for row in rows])
    if type_rows is None:
        return [token_ids, mask]
    type_ids = torch.tensor([list(row) + [0] * (longest - len(row)) for row in type_rows])
    return [token_ids, mask, type_ids]


# The casing classes of Reimers & Gurevych's BiLSTM-CNN-CRF tagger (2017, arXiv 1707.06799), in
# the order of `word_casing`'s tests: the first that fits a word is its class.
CASING_CLASSES = (
    "numeric",
    "mainly_numeric",
    "all_lower",
    "all_upper",
    "initial_upper",
    "contains_digit",
    "other",
)


def word_casing(word: str) -> str:
    """
    The casing class of `word`, one of `CASING_CLASSES` (Reimers & Gurevych 2017's casing feature):
    `numeric` (digits only), `mainly_numeric` (more than half digits), `all_lower`,
    `all_upper`, `initial_upper` (an upper-case first character), `contains_digit`, else
    `other` (punctuation, mixed case such as `eBay`, the empty string). Shared by the
    `word_casing` indexer and serving.
    """
    digits = sum(character.isdigit() for character in word)
    if word and digits == len(word):
        return "numeric"
    if digits > len(word) / 2:
        return "mainly_numeric"
    if word.islower():
        return "all_lower"
    if word.isupper():
        return "all_upper"
    if word[:1].isupper():
        return "initial_upper"
    if digits:
        return "contains_digit"
    return "other"


def longest_first(length1: int, length2: int, budget: Optional[int]) -> Tuple[int, int]:
    """
    How many tokens of each sentence of a pair to keep so that both fit in `budget` tokens: one
    dropped at a time from the end of the longer sentence (the first on a tie), as the
    `pair_teacher_logits` reader cuts a pair for a cross-encoder and serving cuts it the same
    way. `budget` None keeps all.
    """
    if budget is None or length1 + length2 <= budget:
        return length1, length2
    keep1, keep2 = length1, length2
    while keep1 + keep2 > budget:
        if keep1 >= keep2:
            keep1 -= 1
        else:
            keep2 -= 1
    return keep1, keep2


# What every export's `vocab.json` holds (`ExportedStudent` reads them with []).
_STUDENT_KEYS = ("labels", "label_column", "tokens", "lowercase_tokens")


class ExportedStudent:
    """
    A student exported by `allennlp distill-export`, loaded from its directory: a single-sentence
    student (`text_columns` has one column), a sentence-pair student (two: siamese, or a
    transformer cross-encoder reading both at once, `wordpiece_pair_inputs`), a sentence
    encoder (`sentence_encoder`: one column, sentence vectors instead of labels), or a tagger
    (`tagger`: a tag per word, see `tag_words`).

    # Raises
    `FileNotFoundError` when the directory lacks `student.ts` (`student.onnx` for an ONNX
    export) or `vocab.json`; `ValueError` naming the file when `vocab.json`, `student.ts` or
    `student.onnx` is not whole (e.g. a truncated copy), or `vocab.json` lacks a key every export
    has (a hand-edited file).
    """

    def __init__(self, export_dir: str) -> None:
        vocab = read_metadata(export_dir, _STUDENT_KEYS)
        self.labels: List[str] = vocab["labels"]
        self.regression: bool = vocab.get("regression", False)
        self.sentence_encoder: bool = vocab.get("sentence_encoder", False)
        # Exports before sentence pairs named their one column "text_column".
        self.text_columns: List[str] = vocab.get("text_columns") or [vocab.get("text_column")]
        if self.text_columns == [None]:
            path = os.path.join(export_dir, METADATA_FILE)
            raise ValueError(f"{path} has no 'text_columns': {EXPORT_AGAIN}")
        self.label_column: Optional[str] = vocab["label_column"]
        # Gold labels whose rows are not scored (MNLI's "-"), as the student's reader skipped them.
        self.skip_labels = set(vocab.get("skip_labels", []))
        self._index = {token: index for index, token in enumerate(vocab["tokens"])}
        self._lowercase = vocab["lowercase_tokens"]
        # A small transformer reads a text's first `max_tokens` ids (None: all of them).
        self._max_tokens: Optional[int] = vocab.get("max_tokens")
        # Words read as @@UNKNOWN@@ (the mask tokens, as the student's tokenizer did in training).
        self._unknown_tokens = set(vocab.get("unknown_tokens", []))
        # A tagger (`tagger`): one tag per word, its characters' ids, spans by its label encoding.
        self.tagger: bool = vocab.get("tagger", False)
        self.label_encoding: Optional[str] = vocab.get("label_encoding")
        # A tagger with a CRF decodes its logits with the module's `tags` (Viterbi).
        self.crf: bool = vocab.get("crf", False)
        self._characters = {char: index for index, char in enumerate(vocab.get("characters") or [])}
        self._min_char_padding: int = vocab.get("min_char_padding", 0)
        # The `capped_characters` indexer's cap: a word's first `max_characters` characters.
        self._max_characters: Optional[int] = vocab.get("max_characters")
        # A tagger with a casing embedding: each casing class's id (`word_casing`).
        self._casing = {name: index for index, name in enumerate(vocab.get("casing") or [])}
        # The gold tag's column in a CoNLL file (for scoring one: distill-report).
        self.tag_column: int = -1 if vocab.get("tag_column") is None else vocab["tag_column"]
        # A transformer (a teacher or a truncated teacher): word pieces by its own tokenizer,
        # truncated to `max_length` with the special tokens, as the archive's reader did; a
        # pair read jointly (`pair_template`) is cut and joined as its reader did.
        self._wordpieces: Optional[Dict[str, Any]] = vocab.get("wordpieces")
        self._pair_template: Optional[Dict[str, Any]] = None
        if self._wordpieces:
            from tokenizers import Tokenizer as WordPieceTokenizer

            self._pieces = WordPieceTokenizer.from_file(os.path.join(export_dir, TOKENIZER_FILE))
            self._pair_template = self._wordpieces.get("pair_template")
            if self._pair_template is None:
                self._pieces.enable_truncation(max_length=self._wordpieces["max_length"])
        # An ONNX export (`distill-export --onnx`) runs on ONNX Runtime; any other on TorchScript.
        self._session = None
        if vocab.get("runtime") == "onnxruntime":
            self._session = onnx_session(os.path.join(export_dir, ONNX_FILE))
            # The graph's inputs in `inputs()` order: token_ids, or token_ids1 and token_ids2.
            self._input_names = [node.name for node in self._session.get_inputs()]
        else:
            self._model = torchscript_module(os.path.join(export_dir, TORCHSCRIPT_FILE))
        self._tokenizer: Tokenizer = spacy.blank("en").tokenizer
        for special in ("[MASK]", "<mask>"):
            self._tokenizer.add_special_case(special, [{ORTH: special}])

    def words(self, text: str) -> List[str]:
        """
        A text's words by spaCy's English rules (the `spacy_rules` tokenizer's, and the `tagger`
        predictor's for a sentence).

        # Raises
        `ValueError` for an empty or whitespace-only text (`refuse_empty_text` in
        `dataset_readers/rows.py`).
        """
        if not text.strip():
            raise ValueError(EMPTY_TEXT)
        return [t.text for t in self._tokenizer(text) if not t.is_space]

    def token_ids(self, texts: Sequence[str]) -> torch.Tensor:
        """
        `(len(texts), longest)` int64 ids, 0-padded; a text's first `max_tokens` (`vocab.json`:
        a small transformer's) where the student reads no more.

        # Raises
        `ValueError` for an empty or whitespace-only text, with the message the AllenNLP paths
        give (`refuse_empty_text` in `dataset_readers/rows.py`).
        """
        rows = [
            (self.word_ids(self.words(text)) or [UNKNOWN])[: self._max_tokens] for text in texts
        ]
        longest = max(len(row) for row in rows)
        return torch.tensor([row + [PADDING] * (longest - len(row)) for row in rows])

    def wordpiece_inputs(self, texts: Sequence[str]) -> List[torch.Tensor]:
        """
        A transformer export's inputs: word-piece `token_ids` and `mask` `(len(texts),
        longest)` int64, padded with the tokenizer's pad id (mask 0).

        # Raises
        `ValueError` for an empty or whitespace-only text (as `token_ids`), and for a text of
        no word piece but the special ones.
        """
        if any(not text.strip() for text in texts):
            raise ValueError(EMPTY_TEXT)
        encodings = self._pieces.encode_batch(list(texts))
        # A text of special pieces alone (a zero-width space, a lone combining mark): the
        # reader's `refuse_no_tokens` refuses it, AllenNLP's indexer would leave no input.
        if any(all(encoding.special_tokens_mask) for encoding in encodings):
            raise ValueError(EMPTY_TEXT)
        rows = [encoding.ids for encoding in encodings]
        return padded_wordpieces(rows, self._wordpieces["pad_id"] if self._wordpieces else PADDING)

    def wordpiece_pair_inputs(self, pairs: Sequence[Tuple[str, str]]) -> List[torch.Tensor]:
        """
        A pair cross-encoder export's inputs (`pair_template` in `vocab.json`): word-piece
        `token_ids`, `mask` and segment `type_ids`, each `(len(pairs), longest)` int64. Each
        sentence is split without special pieces, the two cut longest first to `max_length`
        less the special pieces (`longest_first`), and joined by the template (`start`, first
        sentence, `mid`, second, `end`), as the `pair_teacher_logits` reader joins them.

        # Raises
        `ValueError` for an empty or whitespace-only sentence (as `token_ids`), or one of no
        word piece.
        """
        template = self._pair_template
        assert template is not None and self._wordpieces is not None
        if any(not text.strip() for pair in pairs for text in pair):
            raise ValueError(EMPTY_TEXT)
        specials = [template[part] for part in ("start", "mid", "end")]
        budget = self._wordpieces["max_length"] - sum(len(part) for part in specials)
        start, mid, end = ([piece for piece, _ in part] for part in specials)
        start_types, mid_types, end_types = ([kind for _, kind in part] for part in specials)
        texts = [first for first, _ in pairs] + [second for _, second in pairs]
        encodings = self._pieces.encode_batch(texts, add_special_tokens=False)
        if any(not encoding.ids for encoding in encodings):  # as `wordpiece_inputs`
            raise ValueError(EMPTY_TEXT)
        rows, type_rows = [], []
        for index in range(len(pairs)):
            ids1, ids2 = encodings[index].ids, encodings[len(pairs) + index].ids
            keep1, keep2 = longest_first(len(ids1), len(ids2), budget)
            rows.append(start + ids1[:keep1] + mid + ids2[:keep2] + end)
            type_rows.append(
                start_types
                + [template["first_type"]] * keep1
                + mid_types
                + [template["second_type"]] * keep2
                + end_types
            )
        return padded_wordpieces(rows, self._wordpieces["pad_id"], type_rows)

    def word_ids(self, words: Sequence[str]) -> List[int]:
        """The vocabulary ids of a text's words (`@@UNKNOWN@@` = 1 for unseen and mask words)."""
        return [
            UNKNOWN
            if word in self._unknown_tokens
            else self._index.get(word.lower() if self._lowercase else word, UNKNOWN)
            for word in words
        ]

    def tagger_inputs(self, sentences: Sequence[Sequence[str]]) -> List[torch.Tensor]:
        """
        A tagger's inputs for sentences given as words: `token_ids` `(batch_size, num_tokens)`
        and `char_ids` `(batch_size, num_tokens, num_chars)` (`num_chars` at least the
        characters' minimum padding; 0 columns for a tagger without characters), 0-padded; each
        word cut to its first `max_characters` characters where the export's indexer was
        `capped_characters`; and for a tagger with a casing embedding `casing_ids`
        `(batch_size, num_tokens)`, each word's casing class (`word_casing`). A mask word is read
        as `@@UNKNOWN@@`, its characters too, and its casing as unknown, as the tagging reader
        and the `word_casing` indexer do.

        # Raises
        `ValueError` for a sentence without words (or of blank ones), as the tagging reader.
        """
        if any(not "".join(words).strip() for words in sentences):
            raise ValueError(EMPTY_TEXT)
        longest = max(len(words) for words in sentences)
        token_ids = [
            ids + [PADDING] * (longest - len(ids)) for ids in map(self.word_ids, sentences)
        ]
        # The words as the tagging reader reads them, for their characters and casing.
        read = [[UNKNOWN_WORD if w in self._unknown_tokens else w for w in ws] for ws in sentences]
        char_rows: List[List[List[int]]] = [[] for _ in sentences]
        width = 0
        if self._characters:
            char_rows = [
                [
                    [self._characters.get(char, UNKNOWN) for char in text[: self._max_characters]]
                    for text in words
                ]
                for words in read
            ]
            width = max(self._min_char_padding, max(len(c) for row in char_rows for c in row))
        # One tensor from padded lists (no per-word tensor: this is every request's path).
        char_ids = [
            [chars + [PADDING] * (width - len(chars)) for chars in row]
            + [[PADDING] * width] * (longest - len(row))
            for row in char_rows
        ]
        inputs = [torch.tensor(token_ids), torch.tensor(char_ids, dtype=torch.long)]
        if self._casing:
            casing_ids = [
                [
                    UNKNOWN
                    if word == UNKNOWN_WORD
                    else self._casing.get(word_casing(word), UNKNOWN)
                    for word in words
                ]
                + [PADDING] * (longest - len(words))
                for words in read
            ]
            inputs.append(torch.tensor(casing_ids))
        return inputs

    def tag_words(self, sentences: Sequence[Sequence[str]]) -> List[Dict[str, object]]:
        """
        Per sentence (a list of words): `words`, `tags` (one per word) and, for a span tagger
        (BIO or IOB1), `spans` (`[{"type", "start", "end", "text"}]`, inclusive word offsets), as
        the `tagger` predictor gives them. No sentences, no results.
        """
        if not sentences:
            return []
        lengths = torch.tensor([len(words) for words in sentences])
        best = self.tag_ids(self.outputs(self.tagger_inputs(sentences)), lengths).tolist()
        results: List[Dict[str, object]] = []
        for words, indices in zip(sentences, best):
            tags = [self.labels[index] for index in indices[: len(words)]]
            result: Dict[str, object] = {"words": list(words), "tags": tags}
            if self.label_encoding in ("BIO", "IOB1"):
                result["spans"] = tag_spans(words, tags)
            results.append(result)
        return results

    def tag_ids(self, logits: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """
        A tagger's tag ids `(batch_size, num_words)` (indices into `labels`) for its `logits`
        `(batch_size, num_words, num_tags)` and the sentences' `lengths` `(batch_size,)`: the
        Viterbi path of its CRF, as `allennlp predict` decodes it, or the per-word argmax.
        """
        if not self.crf:
            return logits.argmax(dim=-1)
        with torch.inference_mode():
            return self._model.tags(logits, lengths)

    def inputs(self, rows: Sequence[Mapping[str, object]]) -> List[torch.Tensor]:
        """
        The model's inputs for `rows` (dicts holding each of `text_columns`): one `token_ids()`
        tensor per text column; for a tagger, rows holding `tokens` (a list of words, as the
        `tagger` predictor reads them): `tagger_inputs()`; for a transformer (a teacher or a
        truncated teacher), `wordpiece_inputs()`, or `wordpiece_pair_inputs()` for a pair.

        # Raises
        `KeyError` naming a text column a row lacks.
        """
        if self.tagger:
            return self.tagger_inputs([row["tokens"] for row in rows])  # type: ignore[misc]
        if self._pair_template is not None:
            first, second = self.text_columns
            return self.wordpiece_pair_inputs([(str(row[first]), str(row[second])) for row in rows])
        if self._wordpieces:
            return self.wordpiece_inputs([str(row[self.text_columns[0]]) for row in rows])
        return [self.token_ids([str(row[column]) for row in rows]) for column in self.text_columns]

    def outputs(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """
        Logits `(batch_size, num_labels)`, scores `(batch_size,)`, sentence vectors
        `(batch_size, teacher_size)`, or a tagger's logits `(batch_size, num_words, num_tags)`,
        for `inputs()`. An ONNX Runtime export runs a batch of more than `ONNX_CHUNK` texts
        (pairs) in length-sorted sub-batches of `ONNX_CHUNK`, each input cut to its sub-batch's
        longest text, as the TorchScript exports do inside their module: its graph reads the
        padding a batch of short and long texts holds (a CNN or transformer in every layer).
        """
        if self._session is None:
            with torch.inference_mode():
                return self._model(*inputs)
        batch_size = inputs[0].shape[0]
        if batch_size <= ONNX_CHUNK:
            return self._run_session(inputs)
        lengths = [(tensor != PADDING).sum(dim=1) for tensor in inputs]
        order = torch.stack(lengths).sum(dim=0).argsort()
        outputs = []
        for start in range(0, batch_size, ONNX_CHUNK):
            chunk = order[start : start + ONNX_CHUNK]
            # At least one position: an empty text reads one padding step, as in a whole batch.
            longest = [max(1, int(length.index_select(0, chunk).max())) for length in lengths]
            outputs.append(
                self._run_session(
                    [tensor.index_select(0, chunk)[:, :cut] for tensor, cut in zip(inputs, longest)]
                )
            )
        return torch.cat(outputs).index_select(0, order.argsort())

    def _run_session(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """The ONNX Runtime session's first output for `inputs`, in the graph's input order."""
        assert self._session is not None
        feed = {name: tensor.numpy() for name, tensor in zip(self._input_names, inputs)}
        return torch.from_numpy(self._session.run(None, feed)[0])

    def logits(self, token_ids: torch.Tensor) -> torch.Tensor:
        """`(batch_size, num_labels)` logits of a single-sentence student for `token_ids()`."""
        return self.outputs([token_ids])

    def predict_rows(self, rows: Sequence[Mapping[str, str]]) -> List[Dict[str, object]]:
        """
        Per row: `label` and `probs` (`{label: probability}`), `score` (regression), or
        `sentence_vector` (a sentence encoder: `teacher_size` floats, as the `sentence_embedding`
        predictor gives). No rows, no results.
        """
        if not rows:
            return []
        outputs = self.outputs(self.inputs(rows))
        if self.sentence_encoder:
            return [{"sentence_vector": vector} for vector in outputs.tolist()]
        if self.regression:
            return [{"score": score} for score in outputs.tolist()]
        return [
            {
                "label": self.labels[int(row.argmax())],
                "probs": dict(zip(self.labels, row.tolist())),
            }
            for row in torch.softmax(outputs, dim=-1)
        ]

    def predict(self, texts: Sequence[str]) -> List[Dict[str, object]]:
        """`predict_rows` for a single-sentence student, one text per row; `tag_words` of each
        text's words for a tagger."""
        if self.tagger:
            return self.tag_words([self.words(text) for text in texts])
        return self.predict_rows([{self.text_columns[0]: text} for text in texts])


def read_metadata(export_dir: str, required: Sequence[str] = ()) -> Dict[str, Any]:
    """
    An export's metadata (`vocab.json`): vocabulary, tokenizer settings, labels, runtime.

    # Parameters
    required : `Sequence[str]`, optional (default = `()`)
        Keys the caller reads; a missing one is an error naming it (a hand-edited file).

    # Raises
    `FileNotFoundError` when the folder has none; `ValueError` naming the file when it is not
    whole JSON (e.g. a truncated copy), not a JSON object, or lacks a `required` key.
    """
    path = os.path.join(export_dir, METADATA_FILE)
    with open(path, encoding="utf-8") as meta_file:
        try:
            metadata = json.load(meta_file)
        except ValueError as error:
            raise ValueError(f"{path} is not whole JSON ({error}): {EXPORT_AGAIN}") from error
    if not isinstance(metadata, dict):
        raise ValueError(f"{path} is not a JSON object: {EXPORT_AGAIN}")
    missing = [key for key in required if key not in metadata]
    if missing:
        raise ValueError(f"{path} has no {', '.join(map(repr, missing))}: {EXPORT_AGAIN}")
    return metadata


def torchscript_module(path: str) -> torch.jit.ScriptModule:
    """
    The TorchScript module in `path` (`student.ts`).

    # Raises
    `FileNotFoundError` when `path` does not exist; `ValueError` naming `path` when it is not a
    whole TorchScript archive (e.g. a truncated copy).
    """
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    try:
        return torch.jit.load(path)
    except RuntimeError as error:
        raise ValueError(f"{path} is not a readable TorchScript module: {EXPORT_AGAIN}") from error


def onnx_session(path: str):
    """
    An ONNX Runtime session (CPU) of the ONNX file `path`, with `torch.get_num_threads()` threads
    for each operator and one between operators, as torch runs a TorchScript export.

    # Raises
    `FileNotFoundError` when `path` does not exist; `ImportError` naming the package when
    `onnxruntime` is not installed; `ValueError` naming `path` when it is not a whole ONNX model.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    try:
        import onnxruntime
    except ImportError as error:
        raise ImportError(f"{path} needs ONNX Runtime: pip install onnxruntime==1.32.0") from error
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.inter_op_num_threads = 1
    try:
        return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    except Exception as error:  # ONNX Runtime raises its own types for a damaged file
        raise ValueError(
            f"{path} is not a readable ONNX model ({type(error).__name__}): {EXPORT_AGAIN} --onnx"
        ) from error


def tag_spans(words: Sequence[str], tags: Sequence[str]) -> List[Dict[str, object]]:
    """
    The typed spans of BIO or IOB1 tags, in order: `{"type", "start", "end", "text"}` with
    inclusive word offsets. A span goes on while the next tag is `I-` of its type; any other tag
    ends it, and any tag but `O` starts one. These are AllenNLP's `bio_tags_to_spans` and
    `iob1_tags_to_spans` (one rule for both), which this file cannot import.

    # Raises
    `ValueError` for a tag that does not start with `B`, `I` or `O`.
    """
    spans: List[Dict[str, object]] = []
    active: Optional[str] = None
    start = 0
    for index, tag in enumerate(list(tags) + ["O"]):
        if tag[:1] not in ("B", "I", "O"):
            raise ValueError(f"tag {tag!r} is not BIO")
        kind = tag[2:]
        if active is not None and (tag[0] != "I" or kind != active):
            text = " ".join(words[start:index])
            spans.append({"type": active, "start": start, "end": index - 1, "text": text})
            active = None
        if tag[0] != "O" and active is None:
            active, start = kind, index
    return spans


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(f"usage: python {sys.argv[0]} EXPORT_DIR TEXT [TEXT ...]")
    try:
        student = ExportedStudent(sys.argv[1])
    except (OSError, ValueError) as error:
        sys.exit(f"{sys.argv[0]}: {error}")
    texts = sys.argv[2:]
    width = len(student.text_columns)
    if len(texts) % width:
        sys.exit(f"{sys.argv[1]} is a sentence-pair student: give the texts two at a time")
    rows = [
        dict(zip(student.text_columns, texts[i : i + width])) for i in range(0, len(texts), width)
    ]
    try:
        outputs = student.predict(texts) if student.tagger else student.predict_rows(rows)
    except ValueError as error:
        sys.exit(f"{sys.argv[0]}: {error}")
    for output in outputs:
        print(json.dumps(output))
