import json
import subprocess
import sys

import pytest
import torch
from allennlp.commands.train import train_model_from_file
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allennlp_distill.commands import export_archive
from allennlp_distill.commands.export_models import ExportableBiLstmStudent
from allennlp_distill.serving import ExportedStudent, onnx_session
from tests.commands.export_test import (
    PAIRS,
    SENTENCES,
    assert_the_export_gives_the_predictors_logits,
)
from tests.conftest import FIXTURES, REPO


@pytest.fixture(scope="module", params=["final_states", "max", "mean", "max+projected"])
def bilstm_archive(request, tmp_path_factory):
    """A BiLSTM student on the fixtures: Tang's final states, or a `pooled_bilstm` (max, mean;
    with a projection, as a task student keeps its distilled encoder's)."""
    out = tmp_path_factory.mktemp(request.param)
    overrides = {"trainer.num_epochs": 1}
    pooling, _, projected = request.param.partition("+")
    if pooling != "final_states":
        overrides["model.encoder"] = {
            "type": "pooled_bilstm", "input_dim": 8, "hidden_size": 3, "pooling": pooling
        }  # fmt: skip
        if projected:
            overrides["model.encoder"]["output_dim"] = 5
    train_model_from_file(
        str(FIXTURES / "bilstm_student.jsonnet"), str(out), overrides=json.dumps(overrides)
    )
    return str(out / "model.tar.gz")


def test_the_onnx_export_gives_the_allennlp_models_logits(bilstm_archive, tmp_path):
    export_archive(bilstm_archive, str(tmp_path / "onnx"), onnx=True)
    assert not (tmp_path / "onnx" / "student.ts").exists()
    # In a padded batch each direction must read each text's own tokens only (sequence_lens).
    assert_the_export_gives_the_predictors_logits(str(tmp_path / "onnx"), bilstm_archive)


@pytest.mark.parametrize(
    "fixture,pooling",
    [
        ("siamese_student_regression", None),
        ("siamese_student_classification", None),
        ("siamese_student_regression", "max"),
        ("siamese_student_classification", "max+projected"),
        ("siamese_student_regression", "cnn+projected"),
        ("siamese_cnn_student_regression", None),
        ("siamese_transformer_student_regression", None),
    ],
)
def test_the_onnx_export_of_a_siamese_student_gives_its_outputs(fixture, pooling, tmp_path):
    overrides = {}
    if pooling:
        pooling, _, projected = pooling.partition("+")
        overrides["model.encoder"] = {
            "type": "pooled_bilstm", "input_dim": 8, "hidden_size": 3, "pooling": pooling
        }  # fmt: skip
        if pooling == "cnn":  # the CNN sentence encoder (traced, not written by hand)
            overrides["model.encoder"] = {
                "type": "wide_cnn", "embedding_dim": 8, "num_filters": 3,
                "ngram_filter_sizes": [1, 2],
            }  # fmt: skip
        if projected:
            overrides["model.encoder"]["output_dim"] = 5
    train_model_from_file(
        str(FIXTURES / f"{fixture}.jsonnet"), str(tmp_path / "run"), overrides=json.dumps(overrides)
    )
    archive = str(tmp_path / "run" / "model.tar.gz")
    export_archive(archive, str(tmp_path / "onnx"), onnx=True)
    exported = ExportedStudent(str(tmp_path / "onnx"))
    columns = exported.text_columns
    rows = [{columns[0]: pair["sentence1"], columns[1]: pair["sentence2"]} for pair in PAIRS]
    predictor = Predictor.from_path(archive, "sentence_pair")
    expected = [predictor.predict_json(pair) for pair in PAIRS]  # one at a time: no padding
    outputs = [exported.predict_rows([row])[0] for row in rows] + exported.predict_rows(rows)
    key = "score" if exported.regression else "probs"
    got = torch.tensor([output[key] if exported.regression else list(output[key].values())
                        for output in outputs])  # fmt: skip
    assert torch.allclose(got, torch.tensor([e[key] for e in expected] * 2), atol=1e-5)


def test_a_row_of_padding_reads_as_the_torchscript_export_reads_it(bilstm_archive, tmp_path):
    # One padding step for Tang's final states, zeros for a pooled encoder (no token to pool).
    export_archive(bilstm_archive, str(tmp_path / "onnx"), onnx=True)
    exported = ExportedStudent(str(tmp_path / "onnx"))
    module = ExportableBiLstmStudent(load_archive(bilstm_archive).model.eval()).eval()
    token_ids = torch.tensor([[0, 0, 0], [2, 3, 0], [4, 0, 0]])
    with torch.no_grad():
        expected = module(token_ids)
    assert torch.allclose(exported.logits(token_ids), expected, atol=1e-5)


def test_the_int8_onnx_export_is_marked_and_close_to_the_float_one(tiny_student_archive, tmp_path):
    export_archive(str(tiny_student_archive), str(tmp_path / "float"), onnx=True)
    export_archive(str(tiny_student_archive), str(tmp_path / "int8"), onnx=True, int8=True)
    meta = json.loads((tmp_path / "int8" / "vocab.json").read_text())
    assert meta["int8"] is True and meta["runtime"] == "onnxruntime"
    exact, int8 = ExportedStudent(str(tmp_path / "float")), ExportedStudent(str(tmp_path / "int8"))
    ids = exact.token_ids(SENTENCES)
    assert torch.allclose(int8.logits(ids), exact.logits(ids), atol=0.1)
    graph_ops = {node.op_type for node in _graph(tmp_path / "int8").graph.node}
    assert "DynamicQuantizeLSTM" in graph_ops  # the LSTM itself runs on int8 weights


def _graph(export_dir):
    import onnx

    return onnx.load(str(export_dir / "student.onnx"))


def test_a_model_that_is_no_student_is_refused_and_nothing_is_written(
    tiny_teacher_archive, tmp_path
):
    # A fine-tuned transformer teacher: its TorchScript export is traced, it has no ONNX one.
    with pytest.raises(ConfigurationError, match="--onnx exports the BiLSTM, CNN and transformer"):
        export_archive(str(tiny_teacher_archive), str(tmp_path / "export"), onnx=True)
    assert not (tmp_path / "export").exists()


@pytest.mark.parametrize(
    "encoder", ["tiny_sentence_encoder_archive", "tiny_cnn_sentence_encoder_archive"]
)
def test_the_onnx_export_of_a_sentence_encoder_gives_the_predictors_vectors(
    encoder, request, tmp_path
):
    # Wu et al. 2020's encoder served by ONNX Runtime: a pooled BiLSTM (graph written by hand)
    # or Kim's CNN (traced), the same vectors as its archive, alone, in a batch, and in a batch
    # of more than 32 texts, which serving runs as length-sorted sub-batches.
    archive = str(request.getfixturevalue(encoder))
    export_archive(archive, str(tmp_path / "onnx"), onnx=True)
    assert not (tmp_path / "onnx" / "student.ts").exists()
    exported = ExportedStudent(str(tmp_path / "onnx"))
    assert exported.sentence_encoder
    assert [
        o.name for o in onnx_session(str(tmp_path / "onnx" / "student.onnx")).get_outputs()
    ] == ["vectors"]
    predictor = Predictor.from_path(archive)
    texts = [SENTENCES[i % len(SENTENCES)] + " ." * (i % 7) for i in range(40)]
    expected = torch.tensor(
        [predictor.predict_json({"sentence": text})["sentence_vector"] for text in texts]
    )
    batch = torch.tensor([row["sentence_vector"] for row in exported.predict(texts)])
    alone = torch.tensor([exported.predict([text])[0]["sentence_vector"] for text in texts[:5]])
    assert batch.shape == (40, 16)
    assert torch.allclose(batch, expected, atol=1e-5)
    assert torch.allclose(alone, expected[:5], atol=1e-5)
    export_archive(archive, str(tmp_path / "int8"), onnx=True, int8=True)
    assert json.loads((tmp_path / "int8" / "vocab.json").read_text())["int8"] is True
    quantized = {"DynamicQuantizeLSTM", "MatMulInteger", "DynamicQuantizeMatMul"}
    assert quantized & {node.op_type for node in _graph(tmp_path / "int8").graph.node}
    int8 = ExportedStudent(str(tmp_path / "int8"))
    vectors = torch.tensor([row["sentence_vector"] for row in int8.predict(texts)])
    assert torch.nn.functional.cosine_similarity(vectors, expected).min() > 0.95


@pytest.fixture(params=["cnn", "transformer"])
def cnn_or_transformer_archive(request, tiny_cnn_student_archive, tiny_transformer_student_archive):
    archives = {"cnn": tiny_cnn_student_archive, "transformer": tiny_transformer_student_archive}
    return str(archives[request.param])


def test_the_onnx_export_of_a_cnn_or_transformer_student_gives_the_torchscript_outputs(
    cnn_or_transformer_archive, tmp_path
):
    archive = cnn_or_transformer_archive
    export_archive(archive, str(tmp_path / "onnx"), onnx=True)
    assert not (tmp_path / "onnx" / "student.ts").exists()
    assert_the_export_gives_the_predictors_logits(str(tmp_path / "onnx"), archive)
    # The graph runs the whole padded batch at once, where TorchScript runs length-sorted
    # sub-batches of 32: a batch of 40 texts of mixed lengths, two of them padding only.
    export_archive(archive, str(tmp_path / "ts"))
    onnx_export, torchscript = (ExportedStudent(str(tmp_path / name)) for name in ("onnx", "ts"))
    generator = torch.Generator().manual_seed(0)
    token_ids = torch.randint(1, 10, (40, 12), generator=generator)
    lengths = torch.randint(0, 13, (40,), generator=generator)
    lengths[:2] = 0
    token_ids[torch.arange(12).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
    expected = torchscript.logits(token_ids)
    assert torch.allclose(onnx_export.logits(token_ids), expected, atol=1e-5)
    assert torch.allclose(onnx_export.logits(token_ids[:1]), expected[:1], atol=1e-5)
    export_archive(archive, str(tmp_path / "int8"), onnx=True, int8=True)
    int8 = ExportedStudent(str(tmp_path / "int8"))
    assert torch.allclose(int8.logits(token_ids), expected, atol=0.1)
    # The dense layers run on int8 weights, activations quantized per batch.
    assert "DynamicQuantizeLinear" in {
        node.op_type for node in _graph(tmp_path / "int8").graph.node
    }


def test_a_large_onnx_batch_runs_in_length_sorted_sub_batches_cut_to_their_longest(
    tiny_cnn_student_archive, tmp_path, monkeypatch
):
    export_archive(str(tiny_cnn_student_archive), str(tmp_path / "onnx"), onnx=True)
    exported = ExportedStudent(str(tmp_path / "onnx"))
    lengths = torch.randperm(40, generator=torch.manual_seed(0)) % 20  # 0-19 tokens, two empty
    token_ids = (torch.arange(20).unsqueeze(0) < lengths.unsqueeze(1)).long() * 3
    whole = exported._run_session([token_ids])  # one padded batch, unsorted
    shapes = []
    run = exported._run_session
    monkeypatch.setattr(exported, "_run_session", lambda inputs: shapes.append(
        tuple(inputs[0].shape)) or run(inputs))  # fmt: skip
    assert torch.allclose(exported.logits(token_ids), whole, atol=1e-5)  # in the batch's order
    # Sorted by length, 32 then 8 texts, each cut to its own longest (at least one position).
    assert shapes == [(32, int(lengths.sort()[0][31])), (8, 19)]


def test_without_onnxscript_a_cnn_student_gets_an_error_naming_it_and_nothing_is_written(
    tiny_cnn_student_archive, tmp_path, monkeypatch
):
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # import onnxscript: ImportError
    with pytest.raises(ImportError, match="needs onnxscript: pip install onnxscript=="):
        export_archive(str(tiny_cnn_student_archive), str(tmp_path / "export"), onnx=True)
    assert not (tmp_path / "export").exists()


def test_replacing_an_export_with_the_other_runtime_leaves_one_model_file(
    tiny_student_archive, tmp_path
):
    export_dir = tmp_path / "export"
    export_archive(str(tiny_student_archive), str(export_dir))
    export_archive(str(tiny_student_archive), str(export_dir), onnx=True, force=True)
    assert sorted(path.name for path in export_dir.iterdir()) == ["student.onnx", "vocab.json"]
    export_archive(str(tiny_student_archive), str(export_dir), force=True)
    assert sorted(path.name for path in export_dir.iterdir()) == ["student.ts", "vocab.json"]
    assert json.loads((export_dir / "vocab.json").read_text())["runtime"] == "torchscript"


@pytest.mark.parametrize("onnx", [True, False])
@pytest.mark.parametrize("failing", ["quantizing", "the metadata"])
def test_a_failure_while_writing_leaves_the_earlier_export_whole_or_no_folder(
    tiny_student_archive, tmp_path, monkeypatch, onnx, failing
):
    from allennlp_distill.commands import export, onnx_export

    export_dir = tmp_path / "export"
    export_archive(str(tiny_student_archive), str(export_dir))
    before = {path.name: path.read_bytes() for path in export_dir.iterdir()}
    (export_dir / ".export-killed").mkdir()  # the scratch folder of a killed export

    def fail(*args, **kwargs):
        raise OSError("disk full")

    if failing == "quantizing":  # ONNX Runtime's quantizer runs after the float model is saved
        monkeypatch.setattr(onnx_export, "quantize_onnx_int8", fail)
        monkeypatch.setattr(export, "quantize_int8", fail)
    else:  # after the model file is written
        monkeypatch.setattr(export.json, "dump", fail)
    for target in (export_dir, tmp_path / "new"):
        with pytest.raises(OSError, match="disk full"):
            export_archive(str(tiny_student_archive), str(target), int8=True, force=True, onnx=onnx)
    assert {path.name: path.read_bytes() for path in export_dir.iterdir()} == before
    assert not (tmp_path / "new").exists()
    ExportedStudent(str(export_dir))  # still the whole earlier export


def test_a_truncated_onnx_file_gets_an_error_naming_it(tiny_student_archive, tmp_path):
    export_archive(str(tiny_student_archive), str(tmp_path / "export"), onnx=True)
    model_file = tmp_path / "export" / "student.onnx"
    model_file.write_bytes(model_file.read_bytes()[:1000])
    with pytest.raises(ValueError, match=f"{model_file} is not a readable ONNX model"):
        ExportedStudent(str(tmp_path / "export"))
    with pytest.raises(FileNotFoundError):
        onnx_session(str(tmp_path / "missing.onnx"))


@pytest.mark.parametrize(
    "onnx, name", [(True, "student.onnx"), (False, "student.ts"), (False, "vocab.json")]
)
def test_a_truncated_export_file_is_named_and_serving_py_says_so_without_a_traceback(
    tiny_student_archive, tmp_path, onnx, name
):
    export = tmp_path / "export"
    export_archive(str(tiny_student_archive), str(export), onnx=onnx)
    damaged = export / name
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])
    with pytest.raises(ValueError, match=f"{damaged} is not (whole|a readable)"):
        ExportedStudent(str(export))
    command = [sys.executable, "allennlp_distill/serving.py", str(export), "a movie"]
    served = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert served.returncode != 0
    assert str(damaged) in served.stderr and "export it again" in served.stderr
    assert "Traceback" not in served.stderr


@pytest.mark.parametrize(
    "drop, problem",
    [(("tokens",), "has no 'tokens'"), (("text_columns",), "has no 'text_columns'"),
     (("labels", "label_column"), "has no 'labels', 'label_column'")],
)  # fmt: skip
def test_a_hand_edited_vocab_json_without_a_key_is_named(
    tiny_student_archive, tmp_path, drop, problem
):
    export = tmp_path / "export"
    export_archive(str(tiny_student_archive), str(export))
    metadata_file = export / "vocab.json"
    metadata = json.loads(metadata_file.read_text())
    metadata_file.write_text(json.dumps({k: v for k, v in metadata.items() if k not in drop}))
    with pytest.raises(ValueError, match=f"{metadata_file} {problem}: export it again"):
        ExportedStudent(str(export))
    metadata_file.write_text("[1, 2]")
    with pytest.raises(ValueError, match=f"{metadata_file} is not a JSON object"):
        ExportedStudent(str(export))


def test_serving_py_serves_the_onnx_export_without_allennlp(tiny_student_archive, tmp_path):
    export_archive(str(tiny_student_archive), str(tmp_path / "export"), onnx=True)
    check = (
        "import runpy, sys; serving = runpy.run_path('allennlp_distill/serving.py');"
        f"serving['ExportedStudent']({str(tmp_path / 'export')!r}).predict(['a dumb movie']);"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('allennlp', 'allennlp_distill')];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", check], cwd=REPO, check=True)
    command = [sys.executable, "allennlp_distill/serving.py", str(tmp_path / "export"), "a movie"]
    served = subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True)
    expected = ExportedStudent(str(tmp_path / "export")).predict(["a movie"])[0]
    assert json.loads(served.stdout)["label"] == expected["label"]


class _Progress:
    """What `measure_exported` reports its steps to."""

    def set_postfix_str(self, text):
        pass

    def update(self, steps):
        pass


def test_distill_report_measures_the_onnx_export_as_its_archive(tiny_student_archive, tmp_path):
    from allennlp_distill.commands.measure import measure_exported
    from allennlp_distill.commands.report import parse_model

    export_archive(str(tiny_student_archive), str(tmp_path / "onnx"), onnx=True)
    export_archive(str(tiny_student_archive), str(tmp_path / "ts"))
    # NAME=EXPORT_DIR takes an ONNX export as it takes a TorchScript one.
    assert parse_model(f"onnx={tmp_path / 'onnx'}") == ("onnx", str(tmp_path / "onnx"), "")
    dev, heldout = str(FIXTURES / "sst2_dev.tsv"), str(FIXTURES / "sst2_train.tsv")
    rows = [
        measure_exported(name, str(tmp_path / name), dev, 8, [1, 4], _Progress(), heldout)
        for name in ("onnx", "ts")
    ]
    onnx_row, torchscript_row = rows
    assert onnx_row["accuracy"] == torchscript_row["accuracy"]
    assert onnx_row["heldout"]["accuracy"] == torchscript_row["heldout"]["accuracy"]
    assert onnx_row["parameters"] == torchscript_row["parameters"]
    assert onnx_row["throughput"][4] > 0 and onnx_row["serving_memory_mb"] > 50
