"""
Students as ONNX graphs for ONNX Runtime (`allennlp distill-export --onnx`), single-sentence or
siamese (Tang et al. 2019, §3.1-3.2), and distilled sentence encoders (Wu et al. 2020), with the
outputs of the TorchScript export to float rounding
(README, "ONNX Runtime for the BiLSTM student", "ONNX Runtime for the CNN and transformer
students").

The BiLSTM students (Tang's final states, or a `pooled_bilstm`, Wu et al. 2020, §3.1) are written
with `onnx.helper` around ONNX's own `LSTM` operator (`bilstm_student_graph`), not by
`torch.onnx.export`: on torch 2.14 the TorchScript-based exporter fails on a packed LSTM
(`RuntimeError: vector::_M_range_check`) and `torch.export` specializes an LSTM to the length it
was traced with. ONNX's `LSTM` takes each text's length (`sequence_lens`), which is what packing
gives the torch LSTM: each direction reads only a text's real tokens, the backward one from its
last real token, so one graph serves any batch without spending steps on padding.

The CNN (Kim 2014) and small-transformer students ("Which Student is Best?", arXiv 2201.00558)
are exported by `torch.onnx.export` through `torch.export` (`traced_student_graph`, with the
`onnxscript` package), over the whole padded batch at once (`whole_batch`): the TorchScript
exports' packed texts (the CNN's `wide_packing`) and loop over length-sorted sub-batches (the
transformer's) would be traced as one fixed batch, and the TorchScript-based exporter fixes the
attention's reshapes to the example's shape.
"""

import copy
from typing import List, Tuple, Union, cast

import numpy
import torch
from allennlp.common.checks import ConfigurationError

from allennlp_distill.commands.export_encoders import (
    ExportedCnnEncoder,
    ExportedEncoder,
    ExportedPooledEncoder,
    ExportedTransformerEncoder,
)
from allennlp_distill.commands.export_models import (
    ExportableBiLstmStudent,
    ExportableSentenceEncoder,
    ExportableSiameseStudent,
)

#: What `distill-export --onnx` writes: a single-sentence or siamese student, or a sentence
#: encoder (Wu et al. 2020), each over a BiLSTM, CNN or small-transformer encoder.
OnnxModule = Union[ExportableBiLstmStudent, ExportableSiameseStudent, ExportableSentenceEncoder]

#: ONNX opset of the graph: 18 is the first whose ReduceMax takes its axes as an input, as
#: ReduceSum does from 13.
OPSET = 18


def _onnx_gates(weight: torch.Tensor) -> numpy.ndarray:
    """
    A torch LSTM weight or bias, its 4 gates stacked along dim 0 in torch's order (input, forget,
    cell, output), in ONNX's order (input, output, forget, cell), as float32 numpy.
    """
    input_gate, forget_gate, cell_gate, output_gate = weight.detach().float().chunk(4, dim=0)
    return torch.cat([input_gate, output_gate, forget_gate, cell_gate]).numpy()


def _lstm_weights(lstm: torch.nn.LSTM) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """
    ONNX `LSTM`'s `W` `(2, 4 * hidden, input)`, `R` `(2, 4 * hidden, hidden)` and `B`
    `(2, 8 * hidden)` (input then recurrent biases) of a one-layer bidirectional torch LSTM.
    """
    directions = ["_l0", "_l0_reverse"]
    weights = [
        numpy.stack([_onnx_gates(getattr(lstm, name + suffix)) for suffix in directions])
        for name in ("weight_ih", "weight_hh")
    ]
    biases = numpy.stack(
        [
            numpy.concatenate(
                [_onnx_gates(getattr(lstm, name + suffix)) for name in ("bias_ih", "bias_hh")]
            )
            for suffix in directions
        ]
    )
    return weights[0], weights[1], biases


def bilstm_student_graph(module: OnnxModule):
    """
    The ONNX model (`onnx.ModelProto`) of an exportable BiLSTM student. A single-sentence student
    takes `token_ids` `(batch_size, num_tokens)` int64, 0 for padding (as `student.ts` takes
    it), and gives `logits` `(batch_size, num_labels)` float32; a siamese one (Tang et al. 2019,
    §3.2) takes `token_ids1` and `token_ids2`, encodes both with the one BiLSTM, and gives the
    logits from `[h1; h2; h1 * h2; |h1 - h2|]`, or `scores` `(batch_size,)` for a regression
    student; a sentence encoder (`ExportableSentenceEncoder`, Wu et al. 2020, §3.1) takes
    `token_ids` and gives its `vectors` `(batch_size, teacher_size)`, the pooled states through
    its projection. A `pooled_bilstm` with a `projection_layer` (a task student that kept its
    distilled encoder's projection) gives each text's pooled states through it. A text of no
    tokens reads one padding vector (final states) or pools to zeros (`pooled_bilstm`), as the
    TorchScript export does.

    # Raises
    `ConfigurationError` for a student whose encoder is not a one-layer BiLSTM (the CNN and
    transformer students: `traced_student_graph`).
    """
    from onnx import TensorProto, helper, numpy_helper

    encoder = module.encoder
    if not isinstance(encoder, (ExportedEncoder, ExportedPooledEncoder)):
        raise ConfigurationError(
            "distill-export --onnx exports BiLSTM students (Tang et al.'s final states, or "
            f"pooled_bilstm), not a student with a {type(encoder).__name__}: export it without "
            "--onnx (TorchScript)"
        )
    lstm = encoder.lstm
    if lstm.num_layers != 1 or not lstm.bidirectional or not lstm.batch_first:
        raise ConfigurationError("distill-export --onnx needs a one-layer bidirectional LSTM")
    hidden = lstm.hidden_size
    weight, recurrence, bias = _lstm_weights(lstm)
    constants = {
        "embedding": encoder.embedding.weight.detach().float().numpy(),
        "W": weight,
        "R": recurrence,
        "B": bias,
        "tokens_axis": numpy.array([1], dtype=numpy.int64),
        "one": numpy.array([1], dtype=numpy.int32),
    }
    if isinstance(module, ExportableSentenceEncoder):
        layers = {"projection": cast(torch.nn.Linear, module.projection)}
    else:
        layers = {
            "relu": cast(torch.nn.Linear, module.relu_layer),
            "output": cast(torch.nn.Linear, module.output_layer),
        }
    for name, layer in layers.items():
        constants[name + "_weight"] = layer.weight.detach().float().numpy().T.copy()
        constants[name + "_bias"] = layer.bias.detach().float().numpy()
    pooled = isinstance(encoder, ExportedPooledEncoder)
    mean = pooled and bool(encoder.mean)
    if pooled:
        constants["states_shape"] = numpy.array([0, 0, 2 * hidden], dtype=numpy.int64)
        constants["last_axis"] = numpy.array([-1], dtype=numpy.int64)
        constants["zero"] = numpy.array(0.0, dtype=numpy.float32)
        if not mean:
            constants["lowest"] = numpy.array(-numpy.inf, dtype=numpy.float32)
    else:
        constants["flat"] = numpy.array([0, 2 * hidden], dtype=numpy.int64)
    siamese = isinstance(module, ExportableSiameseStudent)
    inputs = ["token_ids1", "token_ids2"] if siamese else ["token_ids"]
    node = helper.make_node
    # A pooled encoder's own projection (a distilled sentence encoder's, kept by a task student).
    projection = getattr(encoder, "output_projection", None)
    if isinstance(projection, torch.nn.Linear):
        constants["encoder_projection_weight"] = projection.weight.detach().float().numpy().T.copy()
        constants["encoder_projection_bias"] = projection.bias.detach().float().numpy()
    nodes = []
    for text in inputs:
        text_nodes = _encoder_nodes(text, hidden, pooled, mean)
        if isinstance(projection, torch.nn.Linear):
            text_nodes[-1].output[0] = f"{text}/unprojected"
            text_nodes.append(
                node(
                    "Gemm",
                    [f"{text}/unprojected", "encoder_projection_weight", "encoder_projection_bias"],
                    [f"{text}/encoded"],
                )
            )
        nodes += text_nodes
    if siamese:
        nodes += [
            node("Mul", [i + "/encoded" for i in inputs], ["product"]),
            node("Sub", [i + "/encoded" for i in inputs], ["difference"]),
            node("Abs", ["difference"], ["distance"]),
            node(
                "Concat",
                [i + "/encoded" for i in inputs] + ["product", "distance"],
                ["features"],
                axis=-1,
            ),
        ]
    features = "features" if siamese else "token_ids/encoded"
    outputs = _output_name(module)
    regression = outputs == "scores"
    output_shape: List[Union[str, int]] = ["batch"]
    if "projection" in layers:
        nodes.append(node("Gemm", [features, "projection_weight", "projection_bias"], [outputs]))
        output_shape.append(layers["projection"].out_features)
    else:
        nodes += [
            node("Gemm", [features, "relu_weight", "relu_bias"], ["relu_input"]),
            node("Relu", ["relu_input"], ["hidden"]),
            node("Gemm", ["hidden", "output_weight", "output_bias"], ["outputs"]),
        ]
        if regression:
            constants["scores_shape"] = numpy.array([-1], dtype=numpy.int64)
            nodes.append(node("Reshape", ["outputs", "scores_shape"], [outputs]))
        else:
            nodes.append(node("Identity", ["outputs"], [outputs]))
            output_shape.append(layers["output"].out_features)
    kind = "sentence_encoder" if "projection" in layers else "student"
    graph = helper.make_graph(
        nodes,
        f"siamese_bilstm_{kind}" if siamese else f"bilstm_{kind}",
        [
            helper.make_tensor_value_info(i, TensorProto.INT64, ["batch", i + "_tokens"])
            for i in inputs
        ],
        [helper.make_tensor_value_info(outputs, TensorProto.FLOAT, output_shape)],
        [numpy_helper.from_array(value, name) for name, value in constants.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def student_graph(module: OnnxModule):
    """
    The ONNX model (`onnx.ModelProto`) of an exportable student, single-sentence
    (`ExportableBiLstmStudent`) or siamese (`ExportableSiameseStudent`), or of a sentence encoder
    (`ExportableSentenceEncoder`; `export_archive` refuses any other model first, naming its
    archive): `bilstm_student_graph` for a BiLSTM encoder,
    `traced_student_graph` for a CNN or transformer one. Inputs and outputs as
    `bilstm_student_graph` describes.

    # Raises
    `ConfigurationError` from `bilstm_student_graph` for an encoder it cannot write.
    """
    if isinstance(module.encoder, (ExportedCnnEncoder, ExportedTransformerEncoder)):
        return traced_student_graph(module)
    return bilstm_student_graph(module)


def _output_name(module: OnnxModule) -> str:
    """The graph's one output: `vectors` of a sentence encoder, `scores` of a regression
    student, `logits` of any other."""
    if isinstance(module, ExportableSentenceEncoder):
        return "vectors"
    regression = isinstance(module, ExportableSiameseStudent) and module.regression
    return "scores" if regression else "logits"


class _WholeBatch(torch.nn.Module):
    """An exported CNN or transformer encoder run by its `whole_batch` (one pass, no loop)."""

    def __init__(self, encoder: Union[ExportedCnnEncoder, ExportedTransformerEncoder]) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        return self.encoder.whole_batch(token_ids)


def traced_student_graph(module: OnnxModule):
    """
    The ONNX model (`onnx.ModelProto`) of a CNN or small-transformer student or sentence
    encoder, written by
    `torch.onnx.export` from `torch.export`'s graph, with the inputs and outputs of
    `bilstm_student_graph` and dynamic batch and token axes. The encoder runs over the whole
    padded batch (`whole_batch`; padding masked, so the outputs are the TorchScript export's to
    float rounding), and a text of no tokens gives what the TorchScript export gives.

    # Raises
    `ConfigurationError` when the encoder is neither `ExportedCnnEncoder` nor
    `ExportedTransformerEncoder`; `ImportError` naming the package when `onnxscript` (which
    `torch.onnx.export` needs for this) is not installed.
    """
    if not isinstance(module.encoder, (ExportedCnnEncoder, ExportedTransformerEncoder)):
        raise ConfigurationError(
            f"traced_student_graph exports CNN and transformer students, not a student with a "
            f"{type(module.encoder).__name__}"
        )
    try:
        import onnxscript  # noqa: F401  (torch.onnx.export's dynamo exporter imports it)
    except ImportError as error:
        raise ImportError(
            "distill-export --onnx of a CNN or transformer student or sentence encoder needs "
            "onnxscript: pip install onnxscript==0.7.2"
        ) from error
    whole = copy.deepcopy(module).eval()
    whole.encoder = _WholeBatch(cast(ExportedCnnEncoder, whole.encoder))
    # Gradients on: torch's fused transformer inference kernel, which has no ONNX form, runs
    # only without them. Batch 2 and 3 or 4 tokens: torch.export specializes axes of size 0
    # and 1, and would take two texts of one length as one axis.
    siamese = isinstance(module, ExportableSiameseStudent)
    inputs = ["token_ids1", "token_ids2"] if siamese else ["token_ids"]
    examples = [torch.tensor([[1, 2, 3], [1, 0, 0]]), torch.tensor([[1, 2, 3, 4], [1, 2, 0, 0]])]
    batch = torch.export.Dim("batch")
    dynamic_shapes = tuple({0: batch, 1: torch.export.Dim(f"{name}_tokens")} for name in inputs)
    with torch.enable_grad():
        program = torch.onnx.export(
            whole,
            tuple(examples[: len(inputs)]),
            dynamo=True,
            input_names=inputs,
            output_names=[_output_name(module)],
            dynamic_shapes=dynamic_shapes,
            opset_version=OPSET,
            verbose=False,
        )
    assert program is not None  # the dynamo exporter returns its program
    return program.model_proto


def _encoder_nodes(text: str, hidden: int, pooled: bool, mean: bool) -> List:
    """
    Nodes encoding the input `text` `(batch, tokens)` into `{text}/encoded` `(batch, 2 * hidden)`
    with the graph's one embedding table and BiLSTM: the final forward and backward states
    (Tang et al.), or every token's states pooled over the text (`pooled_bilstm`, max or mean;
    zeros for a text of no tokens, `pool_padded` in `export_encoders.py`). Intermediate names
    start with `{text}/`, so that a siamese graph encodes both texts with the same weights.
    """
    from onnx import TensorProto, helper

    def name(suffix: str) -> str:
        return f"{text}/{suffix}"

    node = helper.make_node
    nodes = [
        node("Gather", ["embedding", text], [name("embedded")]),  # (batch, tokens, dim)
        node("Transpose", [name("embedded")], [name("steps")], perm=[1, 0, 2]),
        node("Cast", [text], [name("present")], to=TensorProto.BOOL),  # (batch, tokens)
        node("Cast", [name("present")], [name("present_int")], to=TensorProto.INT32),
        node("ReduceSum", [name("present_int"), "tokens_axis"], [name("lengths")], keepdims=0),
        # At least one step, as packing reads an empty text.
        node("Max", [name("lengths"), "one"], [name("read_lengths")]),
        # states (tokens, 2, batch, hidden); final_states (2, batch, hidden): each direction
        # stops at, or starts from, each text's last real token.
        node(
            "LSTM",
            [name("steps"), "W", "R", "B", name("read_lengths")],
            [name("states"), name("final_states")],
            direction="bidirectional",
            hidden_size=hidden,
        ),
    ]
    if not pooled:
        return nodes + [
            node("Transpose", [name("final_states")], [name("final_by_text")], perm=[1, 0, 2]),
            node("Reshape", [name("final_by_text"), "flat"], [name("encoded")]),
        ]
    nodes += [
        node("Transpose", [name("states")], [name("states_by_text")], perm=[2, 0, 1, 3]),
        node("Reshape", [name("states_by_text"), "states_shape"], [name("token_states")]),
        node("Unsqueeze", [name("present"), "last_axis"], [name("token_mask")]),
    ]
    if mean:
        return nodes + [
            node("Where", [name("token_mask"), name("token_states"), "zero"], [name("kept")]),
            node("ReduceSum", [name("kept"), "tokens_axis"], [name("summed")], keepdims=0),
            node("Cast", [name("read_lengths")], [name("divisor")], to=TensorProto.FLOAT),
            node("Unsqueeze", [name("divisor"), "last_axis"], [name("divisor_column")]),
            node("Div", [name("summed"), name("divisor_column")], [name("encoded")]),
        ]
    return nodes + [
        node("Where", [name("token_mask"), name("token_states"), "lowest"], [name("kept")]),
        node("ReduceMax", [name("kept"), "tokens_axis"], [name("pooled")], keepdims=0),
        node("Cast", [name("lengths")], [name("has_tokens")], to=TensorProto.BOOL),
        node("Unsqueeze", [name("has_tokens"), "last_axis"], [name("has_tokens_column")]),
        node("Where", [name("has_tokens_column"), name("pooled"), "zero"], [name("encoded")]),
    ]


def quantize_onnx_int8(float_path: str, int8_path: str) -> None:
    """
    ONNX Runtime's dynamic int8 quantization (`quantize_dynamic`) of the graph at `float_path`
    into `int8_path`: the LSTM and the matrix products with a weight (the dense layers; a
    transformer student's attention and feed-forward layers too) get int8 weights and
    activations quantized per batch, as `quantize_int8` does for TorchScript; the embedding
    table and a CNN's convolution stay float.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        float_path,
        int8_path,
        op_types_to_quantize=["LSTM", "MatMul", "Gemm"],
        weight_type=QuantType.QInt8,
    )
