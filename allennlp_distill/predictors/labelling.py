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
    A fine-tuned single-sentence transformer classifier teacher run by ONNX Runtime on the CPU,
    for labelling a transfer set: the logits of `teacher_logits` to float rounding, faster where
    the model is small (on 2 cores 1.48x for all-MiniLM-L6-v2, 1.06x for all-mpnet-base-v2;
    README "Teacher labelling"). The teacher is exported in memory with `torch.onnx.export`
    (opset 17) as `distill-export` traces it (`ExportableTransformerClassifier`: the
    transformer's last hidden states, mean-pooled, the classification layer), and each text's
    word pieces are the ones its own reader makes.

    # Parameters
    model : `Model`
        An `f1_classifier` / `basic_classifier` over one `pretrained_transformer` embedder with
        averaged `boe` pooling, as `training_config/teacher.libsonnet` builds it.
    dataset_reader : `DatasetReader`
        Its reader, with one text column and a truncating `pretrained_transformer` tokenizer.
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
    `ConfigurationError` for a teacher of another kind (a sentence pair, a regressor, a tagger,
    another pooling), naming what `distill-export` accepts.
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
        from allennlp_distill.commands.export import (
            ExportableTransformerClassifier,
            _check_wordpiece_reader,
        )

        try:
            module = ExportableTransformerClassifier(model).eval()  # type: ignore[arg-type]
            pair = len(getattr(dataset_reader, "text_columns", ["sentence"])) != 1
            if module.regression or pair:
                raise ConfigurationError(
                    f"a {'sentence-pair' if pair else 'regressor'} teacher is labelled by the "
                    "torch runtime"
                )
            pad_id = _check_wordpiece_reader(dataset_reader, "the teacher")["pad_id"]
        except ConfigurationError as error:
            raise ConfigurationError(
                f'runtime "onnxruntime" labels with a single-sentence transformer classifier '
                f"teacher: {error}"
            ) from None
        self._pad_id = pad_id
        self._reader = dataset_reader
        example = torch.full((2, 4), pad_id, dtype=torch.long)
        axes = {0: "batch_size", 1: "num_pieces"}
        with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings(), torch.no_grad():
            graph = os.path.join(folder, "teacher.onnx")
            # The TorchScript-based exporter is deprecated in favour of torch.export's; it
            # exports these models as they are and needs no onnxscript.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module,
                (example, torch.ones_like(example)),
                graph,
                input_names=["token_ids", "mask"],
                output_names=["logits"],
                dynamic_axes={"token_ids": axes, "mask": axes},
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

    def word_pieces(self, text: str) -> List[int]:
        """The word-piece ids of `text`, special tokens included, as the teacher's reader makes
        them (truncated to its `max_length`)."""
        instance = self._reader.text_to_instance(text)
        field = instance["tokens"]
        return [token.text_id for token in field.tokens]  # type: ignore[attr-defined]

    def logits(
        self,
        texts: Sequence[Union[str, Tuple[str]]],
        batch_size: int = 128,
        on_batch: Optional[Callable[[int], None]] = None,
    ) -> List[List[float]]:
        """
        The teacher's logits for each text (a string or a 1-tuple holding one), in the order of
        `texts`: `len(texts)` lists of `num_labels` floats in the model's label order, computed in
        batches of `batch_size` texts sorted by length (`on_batch` as in `teacher_logits`).
        """
        pieces = [self.word_pieces(text if isinstance(text, str) else text[0]) for text in texts]
        order = sorted(range(len(pieces)), key=lambda i: len(pieces[i]))
        logits: List[List[float]] = [[] for _ in pieces]
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            token_ids, mask = padded_wordpieces([pieces[i] for i in chunk], self._pad_id)
            (outputs,) = self._session.run(
                None, {"token_ids": token_ids.numpy(), "mask": mask.numpy()}
            )
            for i, row_logits in zip(chunk, outputs.tolist()):
                logits[i] = row_logits
            if on_batch is not None:
                on_batch(len(chunk))
        return logits
