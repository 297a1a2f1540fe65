import dataclasses
import json
import os
from typing import Iterable, List, Optional, Set, Tuple

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
    item_random,
)
from allennlp_distill.dataset_readers.rows import TEACHER_LOGITS_KEY, DataFormatError
from allennlp_distill.dataset_readers.tagging import iter_tagged_rows
from allennlp_distill.predictors.labelling import (
    check_precision,
    compile_teacher,
    teacher_logits,
)


@Predictor.register("tagging_transfer_set")
class TaggingTransferSetPredictor(Predictor):
    """
    The token-level transfer set of a tagger teacher (Tang et al. 2019, §3.3, applied to sequence
    labelling as in "Which Student is Best?", arXiv 2201.00558): every input sentence plus up to
    `n_iter` augmented copies, each with the teacher's logits of **every token**, keyed by tag
    name. The augmentation keeps token alignment by construction: masking and POS-guided
    replacement change one word into one word, and n-gram sampling keeps a window of words; the
    teacher then labels the words the student will read, so no sub-word realignment is needed
    (the teacher's `pretrained_transformer_mismatched` embedder pools each word's pieces).

        allennlp transfer-set runs/conll2003/teacher/model.tar.gz train.jsonl -o transfer.jsonl \\
            --include-package allennlp_distill

    (`allennlp transfer-set` picks this predictor for a `distilled_tagger` teacher.) Input lines
    are JSON objects `{"tokens": [...], "pos": [...], "tags": [...]}` (`tags` optional; `pos`
    needed when `p_pos > 0` and `n_iter > 0`): `python -m allennlp_distill.corpora.conll_jsonl`
    writes them from a CoNLL file, or from plain sentences with `--text`. Each output line is
    `{"tokens": [...], "augmented": bool, "tags": [...] (gold, originals only), "teacher_logits":
    {tag: [logit per token]}}`. A sentence's copies depend only on `seed` and its words, so the
    output does not depend on the batch size.

    Registered as a `Predictor` with name "tagging_transfer_set".

    # Parameters
    model : `Model`
        The teacher: a tagger whose output has `logits` `(batch_size, num_tokens, num_tags)` and
        `mask`.
    dataset_reader : `DatasetReader`
        The teacher's `tagging` reader.
    p_mask, p_pos, p_ng : `float`, optional (defaults = `0.1`, `0.1`, `0.25`)
    n_iter : `int`, optional (default = `20`)
    max_ngram : `int`, optional (default = `5`)
    seed : `int`, optional (default = `13370`)
    unigram_file : `str`, optional (default = `$DISTILL_TRAIN`)
        The training set (CoNLL or JSONL with `pos`) whose words, by POS tag, replacement samples;
        neither read nor needed when no word is replaced (`p_pos` or `n_iter` is 0).
    label_namespace : `str`, optional (default = `"labels"`)
    mask_token : `str`, optional (default = the teacher tokenizer's mask token, else `"[MASK]"`)
    labelling_batch_size : `int`, optional (default = `64`)
    runtime : `str`, optional (default = `"torch"`)
        Accepted so that one `--predictor-args` serves every task (`scripts/pipeline.sh` passes
        it); a tagger teacher labels with torch only.
    precision : `str`, optional (default = `"fp32"`)
        One of `PRECISIONS`: `"bf16"` labels under bfloat16 autocast (`teacher_logits`), for a
        large teacher on a CPU with bfloat16 instructions or on a GPU; part of the recorded
        settings when not fp32, since the logits differ slightly.
    compile : `bool`, optional (default = `False`)
        Run the teacher's transformer by `torch.compile` (`compile_teacher`), faster with bf16 on
        a CPU with AMX; not part of the settings (the transfer_set predictor's `compile`).

    # Raises
    `ConfigurationError` for bad rates, a missing unigram file when copies replace words, a
    `runtime` other than `"torch"`, a `precision` not in `PRECISIONS`, or `compile` with a
    teacher without a transformer; `DataFormatError` naming `input:N` for an input line that is
    not a JSON object with a non-empty `tokens` list, whose `pos` or `tags` are not one per token
    (or that has no `pos` when copies replace words), or whose gold tag the teacher does not
    know.
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
        label_namespace: str = "labels",
        mask_token: Optional[str] = None,
        labelling_batch_size: int = 64,
        runtime: str = "torch",
        precision: str = "fp32",
        compile: bool = False,
    ) -> None:
        if runtime != "torch":
            raise ConfigurationError(
                f"tagging_transfer_set predictor: runtime {runtime!r}: a tagger teacher labels "
                'with runtime "torch" only (ONNX Runtime is for single-sentence classifiers)'
            )
        check_precision(precision, "tagging_transfer_set predictor: ")
        # Refused settings first, as the transfer_set predictor does: then the teacher is wrapped.
        super().__init__(compile_teacher(model) if compile else model, dataset_reader)
        self._precision = precision
        try:
            self._rates = AugmentationRates(p_mask, p_pos, p_ng, n_iter, max_ngram)
        except ValueError as error:
            raise ConfigurationError(f"tagging_transfer_set predictor: {error}") from None
        self._seed = seed
        self._tag_names = [
            model.vocab.get_token_from_index(index, label_namespace)
            for index in range(model.vocab.get_vocab_size(label_namespace))
        ]
        self._mask_token = mask_token or _mismatched_mask_token(dataset_reader) or "[MASK]"
        self._labelling_batch_size = labelling_batch_size
        self._unigram_file = unigram_file or os.environ.get("DISTILL_TRAIN")
        # Without copies (n_iter = 0: a transfer set of real unlabelled sentences) no word is
        # replaced, so neither the unigram file nor the input's POS tags are needed.
        self._replaces = p_pos > 0 and n_iter > 0
        if self._replaces and (not self._unigram_file or not os.path.isfile(self._unigram_file)):
            raise ConfigurationError(
                "tagging_transfer_set predictor: POS-guided replacement samples words from the "
                f"training set; unigram_file {self._unigram_file!r} is not a file. Pass it with "
                '--predictor-args \'{"unigram_file": "train.txt"}\' or set DISTILL_TRAIN.'
            )
        self._pos_unigrams: Optional[PosUnigrams] = None
        # Every sentence written, and the originals among them: an original that an earlier
        # sentence's copy already wrote is still written, with its gold tags.
        self._seen: Set[Tuple[str, ...]] = set()
        self._originals: Set[Tuple[str, ...]] = set()
        self._input_lines = 0
        self._progress = Tqdm.tqdm(desc="transfer set", unit=" sentences")

    @property
    def _unigrams(self) -> PosUnigrams:
        """
        The words of the unigram file by POS tag, read on first use.

        # Raises
        `ConfigurationError` when the file has no POS tag (replacement would silently never
        happen).
        """
        if self._pos_unigrams is None and not self._replaces:
            self._pos_unigrams = PosUnigrams([])  # no word is ever replaced
        if self._pos_unigrams is None:
            tagged = [
                (words, pos)
                for (_, words, pos, _), _ in iter_tagged_rows(str(self._unigram_file))
                if pos is not None
            ]
            if not tagged:
                raise ConfigurationError(
                    f"tagging_transfer_set predictor: {self._unigram_file} has no POS tags for "
                    "POS-guided replacement ('pos' in JSON lines, the second CoNLL column); "
                    'give another unigram_file or set "p_pos": 0'
                )
            self._pos_unigrams = PosUnigrams(tagged)
        return self._pos_unigrams

    @property
    def settings(self) -> JsonDict:
        """What besides the teacher, the input and the unigram file decides the rows written."""
        return {
            "tags": list(self._tag_names),
            "mask_token": self._mask_token,
            **dataclasses.asdict(self._rates),
            "seed": self._seed,
            **({"precision": self._precision} if self._precision != "fp32" else {}),
        }

    @property
    def unigram_file(self) -> Optional[str]:
        """
        The file whose words, by POS tag, replacement samples from; `None` when no word is
        replaced (`n_iter` or `p_pos` is 0), so that the transfer set's provenance does not
        depend on a file it never read.
        """
        return str(self._unigram_file) if self._replaces else None

    def load_line(self, line: str) -> JsonDict:
        """
        One input line, a JSON object; its tokens, POS tags and gold tags are checked.

        # Raises
        `DataFormatError` naming `input:N` (N counts non-blank lines, as `allennlp predict`).
        """
        self._input_lines += 1
        where = ("input", self._input_lines)
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataFormatError(*where, f"not JSON ({error.msg})") from None
        words = row.get("tokens") if isinstance(row, dict) else None
        if not isinstance(words, list) or not words or not all(isinstance(w, str) for w in words):
            raise DataFormatError(*where, "not a JSON object with a non-empty 'tokens' list")
        for key in ("pos", "tags"):
            values = row.get(key)
            if values is not None and (not isinstance(values, list) or len(values) != len(words)):
                raise DataFormatError(*where, f"{key!r} does not have one entry per token")
        if row.get("pos") is None and self._replaces:
            raise DataFormatError(
                *where, "no 'pos' for POS-guided replacement (p_pos > 0 and n_iter > 0)"
            )
        unknown = sorted(set(row.get("tags") or ()) - set(self._tag_names))
        if unknown:
            raise DataFormatError(
                *where, f"tag(s) {unknown} are not ones the teacher knows ({self._tag_names})"
            )
        return row

    def remember_written(self, rows: Iterable[JsonDict]) -> None:
        """Marks rows of an interrupted run as written (see `allennlp transfer-set`)."""
        for row in rows:
            self._seen.add(tuple(row["tokens"]))
            if not row.get("augmented"):
                self._originals.add(tuple(row["tokens"]))

    def dump_line(self, outputs: JsonDict) -> str:
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in outputs["rows"])

    def predict_json(self, inputs: JsonDict) -> JsonDict:
        return self.predict_batch_json([inputs])[0]

    def predict_batch_json(self, inputs: List[JsonDict]) -> List[JsonDict]:
        """`{"rows": [...]}` per input: the sentence and its copies not written before."""
        outputs = [{"rows": self._new_rows(row)} for row in inputs]
        rows = [row for output in outputs for row in output["rows"]]
        logits = teacher_logits(
            self._model,
            self._dataset_reader,
            [(row["tokens"],) for row in rows],
            self._labelling_batch_size,
            on_batch=self._progress.update,
            precision=self._precision,
        )
        for row, per_token in zip(rows, logits):
            row[TEACHER_LOGITS_KEY] = {
                tag: [round(token[i], 4) for token in per_token]
                for i, tag in enumerate(self._tag_names)
            }
        return outputs

    def _new_rows(self, row: JsonDict) -> List[JsonDict]:
        words: List[str] = row["tokens"]
        rows: List[JsonDict] = []
        if tuple(words) not in self._originals:
            original: JsonDict = {"tokens": words, "augmented": False}
            if row.get("tags") is not None:
                original["tags"] = row["tags"]
            rows.append(original)
            self._seen.add(tuple(words))
            self._originals.add(tuple(words))
        if self._rates.n_iter == 0:
            return rows
        pos = row.get("pos") or ["X"] * len(words)
        rng = item_random(self._seed, words)
        for copy in augmented_copies(
            words, pos, self._unigrams, self._rates, rng, self._mask_token
        ):
            if tuple(copy) not in self._seen:
                rows.append({"tokens": copy, "augmented": True})
                self._seen.add(tuple(copy))
        return rows


def _mismatched_mask_token(dataset_reader: DatasetReader) -> Optional[str]:
    """The mask token of a reader's transformer indexer (`pretrained_transformer[_mismatched]`)."""
    for indexer in getattr(dataset_reader, "_token_indexers", {}).values():
        mask_token = getattr(getattr(indexer, "_tokenizer", None), "mask_token", None)
        if mask_token:
            return str(mask_token)
    return None
