import json

import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.predictors import Predictor

from allennlp_distill.commands import write_transfer_set
from allennlp_distill.dataset_readers.rows import progress_path
from allennlp_distill.predictors.labelling import compile_teacher, quantize_int8, teacher_logits
from tests.conftest import FIXTURES

TRAIN = FIXTURES / "sst2_train.tsv"
TEXTS = [
    line.split("\t")[0].strip() for line in (FIXTURES / "sst2_train.tsv").read_text().splitlines()
][1:]


def test_sorting_by_length_changes_the_batches_not_the_logits_or_their_order(tiny_teacher):
    model, reader = tiny_teacher
    progress = []
    by_length = teacher_logits(model, reader, TEXTS, batch_size=5, on_batch=progress.append)
    in_order = teacher_logits(model, reader, TEXTS, batch_size=5, sort_by_length=False)
    one_by_one = [teacher_logits(model, reader, [text])[0] for text in TEXTS]
    assert torch.allclose(torch.tensor(by_length), torch.tensor(one_by_one), atol=1e-5)
    assert torch.allclose(torch.tensor(in_order), torch.tensor(one_by_one), atol=1e-5)
    assert progress == [5, 5, 5, 1]


def test_the_int8_teacher_is_quantized_and_stays_close_to_fp32(tiny_teacher):
    model, reader = tiny_teacher
    quantized = quantize_int8(model)
    assert any("quantized" in type(module).__module__ for module in quantized.modules())
    fp32 = torch.tensor(teacher_logits(model, reader, TEXTS))
    int8 = torch.tensor(teacher_logits(quantized, reader, TEXTS))
    assert torch.allclose(fp32, int8, atol=0.05)


def test_int8_gives_each_output_row_of_a_linear_layer_its_own_scale():
    """
    One row 100x larger than the others (a transformer's outlier dimensions): with one scale
    for the whole matrix the small rows round to a few levels and their outputs are lost.
    """
    torch.manual_seed(0)
    layer = torch.nn.Linear(64, 8)
    with torch.no_grad():
        layer.weight[0] *= 100
    quantized = quantize_int8(torch.nn.Sequential(layer))  # type: ignore[arg-type]
    inputs = torch.randn(32, 64)
    expected = layer(inputs)[:, 1:]
    error = (quantized(inputs)[:, 1:] - expected).abs().max()
    assert error < 0.02 * expected.abs().max()


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_labelling_stays_close_to_fp32(tiny_teacher, precision):
    model, reader = tiny_teacher
    fp32 = torch.tensor(teacher_logits(model, reader, TEXTS))
    mixed = torch.tensor(teacher_logits(model, reader, TEXTS, precision=precision))
    # Close, and not equal: the forward pass did run in half precision.
    assert torch.allclose(fp32, mixed, atol=0.05) and not torch.equal(fp32, mixed)
    with pytest.raises(ConfigurationError, match="precision 'int4': one of fp32, bf16, fp16"):
        teacher_logits(model, reader, TEXTS, precision="int4")


@pytest.mark.parametrize("precision, advice", [("fp16", '"bf16" .* or "fp32"'),
                                               ("bf16", '"precision": "fp32"$')])  # fmt: skip
def test_non_finite_mixed_precision_logits_are_refused_with_what_to_use_instead(
    tiny_teacher, monkeypatch, precision, advice
):
    model, reader = tiny_teacher
    forward = model.forward

    def overflowing(*args, **kwargs):  # what an fp16 overflow, or a layer's bf16 bug, gives
        output = forward(*args, **kwargs)
        if torch.is_autocast_enabled("cpu"):
            output["logits"] = output["logits"] * float("inf")
        return output

    monkeypatch.setattr(model, "forward", overflowing)
    assert len(teacher_logits(model, reader, TEXTS)) == len(TEXTS)  # no autocast, no overflow
    message = f"{precision} logits are not all finite.*{advice}"
    with pytest.raises(ConfigurationError, match=message):
        teacher_logits(model, reader, TEXTS, precision=precision)


def predictor(archive, **args):
    return Predictor.from_path(
        str(archive), "transfer_set", unigram_file=str(TRAIN), n_iter=1, **args
    )


def test_a_mixed_precision_transfer_set_labels_and_records_in_its_precision(
    tiny_teacher_archive, tmp_path
):
    rows = [{"sentence": text, "label": "1"} for text in TEXTS[:4]]

    def logits(labeller):
        outputs = labeller.predict_batch_json([dict(row) for row in rows])
        return [list(r["teacher_logits"].values()) for output in outputs for r in output["rows"]]

    fp32, bf16 = predictor(tiny_teacher_archive), predictor(tiny_teacher_archive, precision="bf16")
    assert "precision" not in fp32.settings  # unchanged for transfer sets made before the option
    assert bf16.settings["precision"] == "bf16"
    assert logits(fp32) != logits(bf16)
    assert torch.allclose(torch.tensor(logits(fp32)), torch.tensor(logits(bf16)), atol=0.05)

    # A transfer set labelled in bf16 is not continued in fp32, and the error says why.
    output = tmp_path / "transfer.jsonl"
    labeller = predictor(tiny_teacher_archive, precision="bf16")
    write_transfer_set(labeller, str(TRAIN), str(output), 4, {"settings": labeller.settings})
    record = json.loads(open(progress_path(str(output))).read())
    open(progress_path(str(output)), "w").write(json.dumps({**record, "complete": False}))
    labeller = predictor(tiny_teacher_archive)
    with pytest.raises(ConfigurationError, match="made from another precision than"):
        write_transfer_set(labeller, str(TRAIN), str(output), 4, {"settings": labeller.settings})

    for bad, message in (
        ({"precision": "half"}, "precision 'half'"),
        ({"precision": "bf16", "quantize": True}, "choose one"),
    ):
        with pytest.raises(ConfigurationError, match=message):
            predictor(tiny_teacher_archive, **bad)


def test_a_compiled_teacher_labels_as_the_eager_one_and_is_not_a_setting(tiny_teacher_archive):
    rows = [{"sentence": text, "label": "1"} for text in TEXTS[:6]]

    def logits(labeller):
        outputs = labeller.predict_batch_json([dict(row) for row in rows])
        return [list(r["teacher_logits"].values()) for output in outputs for r in output["rows"]]

    eager, compiled = predictor(tiny_teacher_archive), predictor(tiny_teacher_archive, compile=True)
    assert any(
        isinstance(module, torch._dynamo.eval_frame.OptimizedModule)
        for module in compiled._model.modules()
    )
    assert compiled.settings == eager.settings  # a transfer set may be resumed either way
    assert torch.allclose(torch.tensor(logits(compiled)), torch.tensor(logits(eager)), atol=1e-4)
    for bad, message in (
        ({"quantize": True}, "compile runs the float teacher"),
        ({"runtime": "onnxruntime"}, "labels in fp32; quantize, precision and compile"),
    ):
        with pytest.raises(ConfigurationError, match=message):
            predictor(tiny_teacher_archive, compile=True, **bad)
    with pytest.raises(ConfigurationError, match="no pretrained_transformer embedder"):
        compile_teacher(torch.nn.Sequential(torch.nn.Linear(2, 2)))  # type: ignore[arg-type]
