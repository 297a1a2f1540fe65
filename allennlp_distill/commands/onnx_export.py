"""
The BiLSTM student as an ONNX graph for ONNX Runtime (`allennlp distill-export --onnx`): Tang et
al. 2019's single-sentence student (§3.1: the BiLSTM's final forward and backward states, a ReLU
layer, the logits) or a `pooled_bilstm` student (Wu et al. 2020, §3.1: the states max- or
mean-pooled), with the logits of the TorchScript export to float rounding, faster at batch 1
(README, "ONNX Runtime for the BiLSTM student").

The graph is written with `onnx.helper` around ONNX's own `LSTM` operator, not by
`torch.onnx.export`: on torch 2.14 the TorchScript-based exporter fails on a packed LSTM
(`RuntimeError: vector::_M_range_check`) and the dynamo-based one needs the `onnxscript`
package. ONNX's `LSTM` takes each text's length (`sequence_lens`), which is what packing gives
the torch LSTM: each direction reads only a text's real tokens, the backward one from its last
real token, so one graph serves any batch without spending steps on padding.
"""

from typing import List, Tuple, cast

import numpy
import torch
from allennlp.common.checks import ConfigurationError

from allennlp_distill.commands.export import (
    ExportableBiLstmStudent,
    ExportedEncoder,
    ExportedPooledEncoder,
)

#: ONNX opset of the graph: 18 is the first whose ReduceMax takes its axes as an input, as
#: ReduceSum does from 13.
OPSET = 18
#: The ONNX Runtime file name of an export (`student.ts` is TorchScript's).
ONNX_FILE = "student.onnx"


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


def bilstm_student_graph(module: ExportableBiLstmStudent):
    """
    The ONNX model (`onnx.ModelProto`) of an exportable BiLSTM student: input `token_ids`
    `(batch_size, num_tokens)` int64, 0 for padding (as `student.ts` takes it); output `logits`
    `(batch_size, num_labels)` float32. A text of no tokens reads one padding vector (final
    states) or pools to zeros (`pooled_bilstm`), as the TorchScript export does.

    # Raises
    `ConfigurationError` for a student whose encoder is not a one-layer BiLSTM (the CNN and
    transformer students export to TorchScript only).
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
    relu_layer = cast(torch.nn.Linear, module.relu_layer)
    output_layer = cast(torch.nn.Linear, module.output_layer)
    constants = {
        "embedding": encoder.embedding.weight.detach().float().numpy(),
        "W": weight,
        "R": recurrence,
        "B": bias,
        "relu_weight": relu_layer.weight.detach().float().numpy().T.copy(),
        "relu_bias": relu_layer.bias.detach().float().numpy(),
        "output_weight": output_layer.weight.detach().float().numpy().T.copy(),
        "output_bias": output_layer.bias.detach().float().numpy(),
        "tokens_axis": numpy.array([1], dtype=numpy.int64),
        "one": numpy.array([1], dtype=numpy.int32),
    }
    node = helper.make_node
    nodes = [
        node("Gather", ["embedding", "token_ids"], ["embedded"]),  # (batch, tokens, dim)
        node("Transpose", ["embedded"], ["steps"], perm=[1, 0, 2]),  # (tokens, batch, dim)
        node("Cast", ["token_ids"], ["present"], to=TensorProto.BOOL),  # (batch, tokens)
        node("Cast", ["present"], ["present_int"], to=TensorProto.INT32),
        node("ReduceSum", ["present_int", "tokens_axis"], ["lengths"], keepdims=0),  # (batch,)
        node("Max", ["lengths", "one"], ["read_lengths"]),  # at least one step, as packing
        node(
            "LSTM",
            ["steps", "W", "R", "B", "read_lengths"],
            ["states", "final_states"],
            direction="bidirectional",
            hidden_size=hidden,
        ),  # states (tokens, 2, batch, hidden); final_states (2, batch, hidden)
    ]
    if isinstance(encoder, ExportedEncoder):
        constants["flat"] = numpy.array([0, 2 * hidden], dtype=numpy.int64)
        nodes += [
            node("Transpose", ["final_states"], ["final_by_text"], perm=[1, 0, 2]),
            node("Reshape", ["final_by_text", "flat"], ["encoded"]),  # (batch, 2 * hidden)
        ]
    else:
        nodes += [
            node("Transpose", ["states"], ["states_by_text"], perm=[2, 0, 1, 3]),
            node("Reshape", ["states_by_text", "states_shape"], ["token_states"]),
            node("Unsqueeze", ["present", "tokens_axis_last"], ["token_mask"]),
        ]
        constants["states_shape"] = numpy.array([0, 0, 2 * hidden], dtype=numpy.int64)
        constants["tokens_axis_last"] = numpy.array([-1], dtype=numpy.int64)
        constants["zero"] = numpy.array(0.0, dtype=numpy.float32)
        if not encoder.mean:
            constants["lowest"] = numpy.array(-numpy.inf, dtype=numpy.float32)
        nodes += _pooling_nodes(node, encoder.mean)
    nodes += [
        node("Gemm", ["encoded", "relu_weight", "relu_bias"], ["relu_input"]),
        node("Relu", ["relu_input"], ["hidden"]),
        node("Gemm", ["hidden", "output_weight", "output_bias"], ["logits"]),
    ]
    num_labels = output_layer.out_features
    graph = helper.make_graph(
        nodes,
        "bilstm_student",
        [helper.make_tensor_value_info("token_ids", TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", num_labels])],
        [numpy_helper.from_array(value, name) for name, value in constants.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def _pooling_nodes(node, mean: bool) -> List:
    """
    Nodes pooling `token_states` `(batch, tokens, 2 * hidden)` over each text's real tokens
    (`token_mask` `(batch, tokens, 1)`) into `encoded` `(batch, 2 * hidden)`: the element-wise
    max, or the mean; zeros for a text of no tokens (`pool_padded` in `export.py`).
    """
    from onnx import TensorProto

    if mean:
        return [
            node("Where", ["token_mask", "token_states", "zero"], ["kept"]),
            node("ReduceSum", ["kept", "tokens_axis"], ["summed"], keepdims=0),
            node("Cast", ["read_lengths"], ["divisor"], to=TensorProto.FLOAT),  # at least 1
            node("Unsqueeze", ["divisor", "tokens_axis_last"], ["divisor_column"]),
            node("Div", ["summed", "divisor_column"], ["encoded"]),
        ]
    return [
        node("Where", ["token_mask", "token_states", "lowest"], ["kept"]),
        node("ReduceMax", ["kept", "tokens_axis"], ["pooled"], keepdims=0),
        node("Cast", ["lengths"], ["has_tokens"], to=TensorProto.BOOL),
        node("Unsqueeze", ["has_tokens", "tokens_axis_last"], ["has_tokens_column"]),
        node("Where", ["has_tokens_column", "pooled", "zero"], ["encoded"]),
    ]


def quantize_onnx_int8(float_path: str, int8_path: str) -> None:
    """
    ONNX Runtime's dynamic int8 quantization (`quantize_dynamic`) of the graph at `float_path`
    into `int8_path`: the LSTM and the two dense layers get int8 weights and activations
    quantized per batch, as `quantize_int8` does for TorchScript; the embedding table stays
    float.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        float_path,
        int8_path,
        op_types_to_quantize=["LSTM", "MatMul", "Gemm"],
        weight_type=QuantType.QInt8,
    )
