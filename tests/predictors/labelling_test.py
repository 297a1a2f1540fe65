import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allennlp_distill.predictors.labelling import quantize_int8, teacher_logits
from tests.conftest import FIXTURES

TRAIN = FIXTURES / "sst2_train.tsv"
TEXTS = [
    line.split("\t")[0].strip() for line in (FIXTURES / "sst2_train.tsv").read_text().splitlines()
][1:]


@pytest.fixture(scope="module")
def teacher(tiny_teacher_archive):
    archive = load_archive(str(tiny_teacher_archive))
    return archive.model.eval(), archive.validation_dataset_reader


def test_sorting_by_length_changes_the_batches_not_the_logits_or_their_order(teacher):
    model, reader = teacher
    progress = []
    by_length = teacher_logits(model, reader, TEXTS, batch_size=5, on_batch=progress.append)
    in_order = teacher_logits(model, reader, TEXTS, batch_size=5, sort_by_length=False)
    one_by_one = [teacher_logits(model, reader, [text])[0] for text in TEXTS]
    assert torch.allclose(torch.tensor(by_length), torch.tensor(one_by_one), atol=1e-5)
    assert torch.allclose(torch.tensor(in_order), torch.tensor(one_by_one), atol=1e-5)
    assert progress == [5, 5, 5, 1]


def test_the_int8_teacher_is_quantized_and_stays_close_to_fp32(teacher):
    model, reader = teacher
    quantized = quantize_int8(model)
    assert any("quantized" in type(module).__module__ for module in quantized.modules())
    fp32 = torch.tensor(teacher_logits(model, reader, TEXTS))
    int8 = torch.tensor(teacher_logits(quantized, reader, TEXTS))
    assert torch.allclose(fp32, int8, atol=0.05)


def test_mixed_precision_labelling_runs_in_bf16_and_stays_close_to_fp32(teacher):
    model, reader = teacher
    fp32 = torch.tensor(teacher_logits(model, reader, TEXTS))
    bf16 = torch.tensor(teacher_logits(model, reader, TEXTS, precision="bf16"))
    assert bf16.dtype == torch.float32  # returned as floats
    assert torch.allclose(fp32, bf16, atol=0.05) and not torch.equal(fp32, bf16)
    with pytest.raises(ConfigurationError, match="precision 'int4': one of fp32, bf16, fp16"):
        teacher_logits(model, reader, TEXTS, precision="int4")


def test_a_mixed_precision_transfer_set_records_its_precision(tiny_teacher_archive):
    def settings(**args):
        predictor = Predictor.from_path(
            str(tiny_teacher_archive), "transfer_set", unigram_file=str(TRAIN), **args
        )
        return predictor.settings  # type: ignore[attr-defined]

    assert "precision" not in settings()  # unchanged for transfer sets made before the option
    assert settings(precision="bf16")["precision"] == "bf16"
    with pytest.raises(ConfigurationError, match="precision 'half'"):
        settings(precision="half")
