"""
Teacher labelling with ONNX Runtime (`OnnxRuntimeTeacher`, the transfer_set predictor's
`"runtime": "onnxruntime"`): the torch teacher's logits to float rounding, in input order.
"""

import json

import pytest
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive

from allennlp_distill.predictors.labelling import OnnxRuntimeTeacher, teacher_logits
from tests.conftest import FIXTURES
from tests.predictors.transfer_set_test import transfer_set

TEXTS = [
    "a gorgeous , witty , seductive movie .",
    "Zürich's Ōsaka [MASK] naïve — 東京",
    "x",
    # Longer than the teacher's window: truncated as its reader truncates.
    " ".join(["the plot is nothing but boilerplate clichés ."] * 120),
    "the",
]


def test_onnxruntime_gives_the_torch_teachers_logits_in_input_order(tiny_teacher):
    model, reader = tiny_teacher
    expected = teacher_logits(model, reader, TEXTS, batch_size=4)
    onnx = OnnxRuntimeTeacher(model, reader, threads=1)
    assert max(len(onnx.word_pieces(text)) for text in TEXTS) == reader._tokenizer._max_length
    done = []
    got = onnx.logits(TEXTS, batch_size=4, on_batch=done.append)
    assert done == [4, 1]
    assert len(got) == len(TEXTS)
    for row, reference in zip(got, expected):
        assert row == pytest.approx(reference, abs=1e-4)
    # Different texts have different logits: the comparison above could not pass by accident.
    assert len({tuple(round(x, 4) for x in row) for row in got}) == len(TEXTS)
    # Empty text: the reader's own error, as with torch.
    with pytest.raises(ValueError, match="empty text"):
        onnx.logits(["a fine film", " "])


def test_int8_runs_a_quantized_graph_near_the_fp32_logits(tiny_teacher):
    model, reader = tiny_teacher
    fp32 = OnnxRuntimeTeacher(model, reader, threads=1).logits(TEXTS)
    int8 = OnnxRuntimeTeacher(model, reader, threads=1, int8=True).logits(TEXTS)
    differences = [abs(x - y) for a, b in zip(fp32, int8) for x, y in zip(a, b)]
    scale = max(abs(x) for row in fp32 for x in row)
    # Quantized (the logits moved), and still the same model: they moved a little on average.
    # How far one logit moves depends on the CPU: ONNX Runtime's u8s8 kernels for AVX2 without
    # VNNI can saturate (its docs' `reduce_range` caveat); on such an AMD EPYC one logit of this
    # tiny teacher moved by 0.163 of a 0.415 scale and the mean by 0.035, where a CPU with VNNI
    # kept every one under a fifth of the scale.
    assert max(differences) > 1e-4
    assert sum(differences) / len(differences) < 0.15 * scale


def test_the_transfer_set_predictor_labels_with_onnxruntime_as_with_torch(tiny_teacher_archive):
    lines = (FIXTURES / "sst2_train.tsv").read_text().splitlines(keepends=True)[:6]
    torch_predictor, torch_text = transfer_set(tiny_teacher_archive, lines)
    onnx_predictor, onnx_text = transfer_set(tiny_teacher_archive, lines, runtime="onnxruntime")
    # A transfer set begun with one runtime resumes with the other.
    assert onnx_predictor.settings == torch_predictor.settings
    assert onnx_predictor._onnx is not None and torch_predictor._onnx is None
    torch_rows = [json.loads(line) for line in torch_text.splitlines()]
    onnx_rows = [json.loads(line) for line in onnx_text.splitlines()]
    assert [row["sentence"] for row in onnx_rows] == [row["sentence"] for row in torch_rows]
    for ours, theirs in zip(onnx_rows, torch_rows):
        assert ours["teacher_logits"] == pytest.approx(theirs["teacher_logits"], abs=1e-4)


PAIRS = [
    ("A man is playing a guitar.", "A person plays a guitar."),
    ("Zürich's Ōsaka [MASK] naïve", "東京"),
    ("x", " ".join(["the plot is nothing but boilerplate clichés ."] * 120)),  # cut to the bound
    ("The cat sat.", "The cat sat."),
]


@pytest.mark.parametrize("task", ["mrpc", "stsb"])
def test_a_pair_teacher_classifier_or_regressor_gives_the_torch_teachers_logits(
    task, tiny_mrpc_teacher_archive, tiny_stsb_teacher_archive
):
    archive = {"mrpc": tiny_mrpc_teacher_archive, "stsb": tiny_stsb_teacher_archive}[task]
    loaded = load_archive(str(archive))
    model, reader = loaded.model.eval(), loaded.validation_dataset_reader
    expected = teacher_logits(model, reader, PAIRS, batch_size=3)
    onnx = OnnxRuntimeTeacher(model, reader, threads=1)
    assert onnx._type_ids  # the tiny BERT has segment embeddings: they are an input
    got = onnx.logits(PAIRS, batch_size=3)
    assert [len(row) for row in got] == [len(row) for row in expected]  # stsb: one score
    for row, reference in zip(got, expected):
        assert row == pytest.approx(reference, abs=1e-4)
    assert len({tuple(round(x, 4) for x in row) for row in got}) == len(PAIRS)


def test_the_pair_transfer_set_predictor_labels_with_onnxruntime_as_with_torch(
    tiny_mrpc_teacher_archive,
):
    from tests.predictors.transfer_set_pairs_test import MRPC_TRAIN
    from tests.predictors.transfer_set_pairs_test import transfer_set as pair_transfer_set

    torch_rows, onnx_rows = (
        pair_transfer_set(tiny_mrpc_teacher_archive, MRPC_TRAIN, **args)
        for args in ({}, {"runtime": "onnxruntime"})
    )
    assert [row["#1 String"] for row in onnx_rows] == [row["#1 String"] for row in torch_rows]
    for ours, theirs in zip(onnx_rows, torch_rows):
        assert ours["teacher_logits"] == pytest.approx(theirs["teacher_logits"], abs=1e-4)


def test_a_model_that_is_no_transformer_teacher_is_refused_with_what_onnxruntime_labels(
    tiny_student_archive,
):
    archive = load_archive(str(tiny_student_archive))
    with pytest.raises(ConfigurationError, match='runtime "onnxruntime" labels with a transformer'):
        OnnxRuntimeTeacher(archive.model, archive.validation_dataset_reader)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"runtime": "tensorrt"}, "runtime 'tensorrt', one of torch, onnxruntime"),
        ({"runtime": "onnxruntime", "quantize": True}, "labels in fp32"),
        ({"runtime": "onnxruntime", "precision": "bf16"}, "labels in fp32"),
    ],
)
def test_runtime_settings_that_cannot_label_are_configuration_errors(
    tiny_teacher_archive, arguments, message
):
    with pytest.raises(ConfigurationError, match=message):
        transfer_set(tiny_teacher_archive, [], **arguments)
