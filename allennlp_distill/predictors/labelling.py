"""
Teacher labelling for the transfer set: the teacher's logits for many texts at once, in batches of
texts sorted by length, because on a CPU padding otherwise dominates the cost (Tang et al. 2019
label millions of augmented sentences this way).
"""

import contextlib
import os
import tempfile
import warnings
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import DatasetReader
from allennlp.data.batch import Batch
from allennlp.data.fields import TextField
from allennlp.data.instance import Instance
from allennlp.models import Model
from allennlp.modules.token_embedders import PretrainedTransformerEmbedder
from allennlp.nn.util import move_to_device

from allennlp_distill.serving import padded_wordpieces

#: How a teacher may label: full precision, or mixed precision with bfloat16 or float16.
PRECISIONS = ("fp32", "bf16", "fp16")

#: What runs the teacher when it labels: PyTorch through AllenNLP, or ONNX Runtime (CPU).
RUNTIMES = ("torch", "onnxruntime")


def check_precision(precision: str, where: str = "") -> None:
    """
    # Raises
    `ConfigurationError` (its message starting with `where`) for a `precision` not in
    `PRECISIONS`: the one check of `teacher_logits` and of the transfer-set predictors, which run
    it when built so that a bad setting fails before any text is labelled.
    """
    if precision not in PRECISIONS:
        raise ConfigurationError(f"{where}precision {precision!r}: one of {', '.join(PRECISIONS)}")


def mixed_precision(device_type: str, precision: str) -> Any:
    """
    `torch.autocast` on `device_type` (`"cpu"` or `"cuda"`) with bfloat16 (`precision` `"bf16"`)
    or float16 (`"fp16"`): matrix products in half precision, reductions in fp32. Nothing for
    `"fp32"` or `""`. The one mixed-precision switch of labelling and of `distill-report`'s
    `:bf16` models.
    """
    if precision in ("", "fp32"):
        return contextlib.nullcontext()
    return torch.autocast(
        device_type, dtype=torch.bfloat16 if precision == "bf16" else torch.float16
    )


def teacher_logits(
    model: Model,
    dataset_reader: DatasetReader,
    texts: Sequence[Union[str, Tuple[Any, ...]]],
    batch_size: int = 128,
    sort_by_length: bool = True,
    on_batch: Optional[Callable[[int], None]] = None,
    precision: str = "fp32",
) -> List[List[Any]]:
    """
    The teacher's logits for each text (or sentence pair), in the order of `texts`.

    The texts become instances through `dataset_reader.text_to_instance(*texts)`; the model's
    `forward` alone runs on them (`forward_on_instances` would also decode every token back to a
    string and copy each output: ~10% of the labelling time on a CPU).

    # Parameters
    model : `Model`
        Any classifier whose output has `logits` of shape `(batch_size, num_labels)`, or a
        regressor whose output has `score` of shape `(batch_size,)` (one column).
    texts : `Sequence[Union[str, Tuple[str, ...]]]`
        Single texts, or tuples of the reader's text fields (a sentence pair).
    batch_size : `int`, optional (default = `128`)
        Texts per forward pass.
    sort_by_length : `bool`, optional (default = `True`)
        Batch texts of similar length together.
    on_batch : `Callable[[int], None]`, optional
        Called with the number of texts after each batch (a progress bar's `update`).
    precision : `str`, optional (default = `"fp32"`)
        One of `PRECISIONS`: `"bf16"` or `"fp16"` run the teacher under `torch.autocast` with that
        dtype on its device (mixed precision: matrix products in half precision, the logits
        returned as floats); meant for a GPU, where it is several times faster.

    # Raises
    `ConfigurationError` for a `precision` not in `PRECISIONS`, or when a half-precision forward
    pass gives a logit that is not finite (fp16 overflows past 65504: use bf16; a bf16 one
    names fp32).

    # Returns
    `len(texts)` lists of `num_labels` floats, columns in the order of the model's label vocabulary
    (one float, the score, for a regressor). For a tagger (`logits` `(batch_size, num_tokens,
    num_tags)` with its `mask`; each text a 1-tuple holding its list of words), one such list per
    word of each text.
    """
    check_precision(precision)
    instances = [
        dataset_reader.text_to_instance(*((text,) if isinstance(text, str) else text))
        for text in texts
    ]
    for instance in instances:
        dataset_reader.apply_token_indexers(instance)
    order = list(range(len(instances)))
    if sort_by_length:
        order.sort(key=lambda i: _num_tokens(instances[i]))
    logits: List[List[Any]] = [[] for _ in instances]
    device = model._get_prediction_device()
    with torch.inference_mode(), mixed_precision("cpu" if device < 0 else "cuda", precision):
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            batch = Batch([instances[i] for i in chunk])
            batch.index_instances(model.vocab)
            output = model(**move_to_device(batch.as_tensor_dict(), device))
            outputs = output["logits"] if "logits" in output else output["score"].unsqueeze(-1)
            if precision != "fp32" and not torch.isfinite(outputs).all():
                raise ConfigurationError(
                    f"the teacher's {precision} logits are not all finite: label with "
                    + ('"precision": "bf16" (fp16 overflows past 65504) or "fp32"'
                       if precision == "fp16" else '"precision": "fp32"')
                )  # fmt: skip
            rows = outputs.float().tolist()
            if outputs.dim() == 3:  # a tagger: each text's real tokens only
                rows = [row[:length] for row, length in zip(rows, output["mask"].sum(-1).tolist())]
            for i, row in zip(chunk, rows):
                logits[i] = row
            if on_batch is not None:
                on_batch(len(chunk))
    return logits


def _num_tokens(instance: Instance) -> int:
    return sum(len(field) for field in instance.fields.values() if isinstance(field, TextField))


def compile_teacher(model: Model) -> Model:
    """
    `model` with every pretrained transformer in it (a `pretrained_transformer` embedder's, or
    the one inside a `pretrained_transformer_mismatched` tagger's) run by `torch.compile`
    (TorchInductor, dynamic shapes: one compilation serves every batch size and text length,
    another the first batch under bf16 autocast; seconds to a minute, and a C++ compiler on
    the machine). Changed in place and returned. In fp32 the logits are eager torch's to float
    rounding; labelling is faster where bf16 autocast runs too (on 2 cores with AMX, MiniLM
    1,782 against 1,222 texts/s, MPNet 422 against 353; README "Teacher labelling").

    # Raises
    `ConfigurationError` for a teacher without a pretrained transformer.
    """
    embedders = [m for m in model.modules() if isinstance(m, PretrainedTransformerEmbedder)]
    if not embedders:
        raise ConfigurationError(
            "compile: the teacher has no pretrained_transformer embedder to compile"
        )
    for embedder in embedders:
        embedder.transformer_model = torch.compile(embedder.transformer_model, dynamic=True)
    return model


def quantize_int8(model: Model, keep_float: Tuple[type, ...] = ()) -> Model:
    """
    A copy of the model with every `torch.nn.Linear` and `torch.nn.LSTM` replaced by a dynamically
    quantized int8 one (`torch.ao.quantization.quantize_dynamic`): weights int8, activations
    quantized per batch. Faster on a CPU at the cost of slightly different logits: measure both
    (`scripts/benchmark_labelling.py` for a teacher, `allennlp distill-report` for any model)
    before relying on it. CPU only.

    A linear layer's weights get one scale per output row (`per_channel_dynamic_qconfig`), not
    one per matrix: as fast, and closer to float where a few rows are much larger than the rest,
    as in transformers (README "int8 with one scale per row"; SST-2 dev, fine-tuned MiniLM teacher
    87.50 -> 88.19 of fp32's 89.45, its 2-block truncation 88.07 -> 88.76 of 88.88). An LSTM keeps
    one scale per matrix (`default_dynamic_qconfig`). The layers inside a module of a `keep_float`
    type stay float (e.g. `torch.nn.TransformerEncoderLayer`, whose fused inference path reads its
    linear layers' float weights and cannot be scripted with int8 ones).
    """
    kept = [name for name, module in model.named_modules() if isinstance(module, keep_float)]
    qconfigs = {
        torch.nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig,
        torch.nn.LSTM: torch.ao.quantization.default_dynamic_qconfig,
    }
    spec: Any = {
        name: qconfigs[type(module)]
        for name, module in model.named_modules()
        if type(module) in qconfigs and not any(name.startswith(k + ".") for k in kept)
    }
    with warnings.catch_warnings():
        # torch 2.10+ points to torchao for new code; the eager API still ships and works.
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.ao.quantization.quantize_dynamic(model, spec, dtype=torch.qint8)


class OnnxRuntimeTeacher:
    """
    A fine-tuned transformer teacher run by ONNX Runtime on the CPU, for labelling a transfer set:
    a classifier or regressor of one sentence, or of a sentence pair read jointly (a
    cross-encoder: both sentences in one input with segment ids), giving the logits (a
    regressor: the score) of `teacher_logits` to float rounding, faster where the model is small
    (on 2 cores 1.48x for all-MiniLM-L6-v2, 1.06x for all-mpnet-base-v2; README "Teacher
    labelling"). The teacher is exported in memory with `torch.onnx.export` (opset 17) as
    `distill-export` traces it (`ExportableTransformerClassifier`: the transformer's last
    hidden states, mean-pooled, the output layer), and each input's word pieces (and a pair's
    segment ids) are the ones its own reader makes.

    # Parameters
    model : `Model`
        An `f1_classifier` / `basic_classifier` or `text_regressor` over one
        `pretrained_transformer` embedder with averaged `boe` pooling, as
        `training_config/teacher.libsonnet` builds it.
    dataset_reader : `DatasetReader`
        Its reader: one text column and a truncating `pretrained_transformer` tokenizer, or a
        pair reader that reads both sentences as one input bounded by `max_tokens`
        (`_check_wordpiece_reader`).
    threads : `int`, optional (default = `torch.get_num_threads()`)
        ONNX Runtime's intra-op threads.
    int8 : `bool`, optional (default = `False`)
        Run the graph after ONNX Runtime's dynamic quantization (`quantize_dynamic`) of its
        matrix products with a weight, as torch's `quantize_int8` quantizes the linear layers:
        int8 weights with one scale per output feature, activations quantized per batch; the
        embedding tables, attention's products of activations and the classification layer (a
        `Gemm`) stay float. Faster, but its labels differ from fp32's (1.0-1.4 % of them for
        MPNet and MiniLM: `scripts/benchmark_labelling.py`, README "Teacher labelling"); not
        offered by the transfer-set predictor.

    # Raises
    `ConfigurationError` for a teacher of another kind (a tagger, a pair read apart, another
    pooling), naming what `distill-export` accepts.
    """

    def __init__(
        self,
        model: Model,
        dataset_reader: DatasetReader,
        threads: Optional[int] = None,
        int8: bool = False,
    ) -> None:
        import onnxruntime

        # (Imported here: the export module imports the students, which import this one.)
        from allennlp_distill.commands.export import _check_wordpiece_reader
        from allennlp_distill.commands.export_models import ExportableTransformerClassifier

        try:
            module = ExportableTransformerClassifier(model).eval()  # type: ignore[arg-type]
            wordpieces = _check_wordpiece_reader(dataset_reader, "the teacher")
        except ConfigurationError as error:
            raise ConfigurationError(
                f'runtime "onnxruntime" labels with a transformer classifier or regressor '
                f"teacher of one sentence or a pair read jointly: {error}"
            ) from None
        self._pad_id = int(wordpieces["pad_id"])
        self._reader = dataset_reader
        self._indexer = dataset_reader._token_indexers["tokens"]  # type: ignore[attr-defined]
        self._vocab = model.vocab
        self._regression = module.regression
        # A pair's segment ids are an input where the transformer has token-type embeddings.
        self._type_ids = "pair_template" in wordpieces and module.token_types
        example = torch.full((2, 4), self._pad_id, dtype=torch.long)
        inputs = (example, torch.ones_like(example)) + (
            (torch.tensor([[0, 0, 1, 1], [0] * 4]),) if self._type_ids else ()
        )
        # The graph's inputs, in `padded_wordpieces`'s order.
        self._input_names = ["token_ids", "mask"] + (["type_ids"] if self._type_ids else [])
        axes = {0: "batch_size", 1: "num_pieces"}
        with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings(), torch.no_grad():
            graph = os.path.join(folder, "teacher.onnx")
            # The TorchScript-based exporter is deprecated in favour of torch.export's; it
            # exports these models as they are and needs no onnxscript.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module,
                inputs,
                graph,
                input_names=self._input_names,
                output_names=["logits"],
                dynamic_axes={name: axes for name in self._input_names},
                opset_version=17,
                dynamo=False,
            )
            if int8:
                from onnxruntime.quantization import QuantType, quantize_dynamic

                quantized = os.path.join(folder, "teacher_int8.onnx")
                quantize_dynamic(
                    graph,
                    quantized,
                    op_types_to_quantize=["MatMul"],
                    per_channel=True,
                    weight_type=QuantType.QInt8,
                )
                graph = quantized
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads or torch.get_num_threads()
            options.inter_op_num_threads = 1
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._session = onnxruntime.InferenceSession(
                graph, options, providers=["CPUExecutionProvider"]
            )

    def word_pieces(self, text: Union[str, Tuple[str, ...]]) -> List[int]:
        """The word-piece ids of `text` (a string, or a pair as a 2-tuple), special tokens
        included, as the teacher's reader makes them (truncated to its bound)."""
        return self._pieces(text)[0]

    def _pieces(self, text: Union[str, Tuple[str, ...]]) -> Tuple[List[int], List[int]]:
        """Word-piece ids and segment ids as the reader's indexer gives them to the model (an
        indexer with a `max_length` gives a pair's final `[SEP]` segment 0, not the tokenizer's 1:
        `export._pair_template`)."""
        texts = (text,) if isinstance(text, str) else text
        tokens = self._reader.text_to_instance(*texts)["tokens"].tokens  # type: ignore[attr-defined]
        indexed = self._indexer.tokens_to_indices(tokens, self._vocab)
        return list(indexed["token_ids"]), list(indexed["type_ids"])

    def logits(
        self,
        texts: Sequence[Union[str, Tuple[str, ...]]],
        batch_size: int = 128,
        on_batch: Optional[Callable[[int], None]] = None,
    ) -> List[List[float]]:
        """
        The teacher's logits for each text (a string, or a tuple of the reader's text fields: one
        text, or a sentence pair), in the order of `texts`: `len(texts)` lists of `num_labels`
        floats in the model's label order (a regressor: one float, its score), computed in
        batches of `batch_size` texts sorted by length (`on_batch` as in `teacher_logits`).
        """
        pieces = [self._pieces(text) for text in texts]
        order = sorted(range(len(pieces)), key=lambda i: len(pieces[i][0]))
        logits: List[List[float]] = [[] for _ in pieces]
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            inputs = padded_wordpieces(
                [pieces[i][0] for i in chunk],
                self._pad_id,
                [pieces[i][1] for i in chunk] if self._type_ids else None,
            )
            (outputs,) = self._session.run(
                None, {name: tensor.numpy() for name, tensor in zip(self._input_names, inputs)}
            )
            rows = outputs.reshape(len(chunk), -1) if self._regression else outputs
            for i, row_logits in zip(chunk, rows.tolist()):
                logits[i] = row_logits
            if on_batch is not None:
                on_batch(len(chunk))
        return logits
