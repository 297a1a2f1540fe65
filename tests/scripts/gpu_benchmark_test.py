import importlib.util
import json
import os
import subprocess
import sys
import time

import pytest
import torch

from allennlp_distill.commands import export_archive
from allennlp_distill.dataset_readers.rows import DataFormatError
from allennlp_distill.serving import ExportedStudent
from tests.conftest import FIXTURES, REPO

SCRIPT = REPO / "scripts" / "gpu_benchmark.py"
spec = importlib.util.spec_from_file_location("gpu_benchmark", SCRIPT)
assert spec and spec.loader
gpu_benchmark = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpu_benchmark)


def benchmark(*args: str) -> subprocess.CompletedProcess:
    """`scripts/gpu_benchmark.py ARGS` as a user runs it; fails the test if it fails."""
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def bundle(tiny_student_archive, tiny_bert, tmp_path_factory):
    """
    The fixture student's export and the tiny BERT as its teacher, on the fixture texts; its
    tokenizer set to pad every text to 128 pieces, as the MiniLM package's pads to 128.
    """
    from tokenizers import Tokenizer

    root = tmp_path_factory.mktemp("gpu_benchmark")
    pieces = Tokenizer.from_file(str(tiny_bert / "tokenizer.json"))
    pieces.enable_padding(length=128)
    pieces.save(str(root / "tokenizer.json"))
    export_archive(str(tiny_student_archive), str(root / "export"))
    benchmark(
        "prepare",
        str(FIXTURES / "sst2_train.tsv"),
        "--student",
        f"bilstm={root / 'export'}",
        "--tokenizer",
        str(root / "tokenizer.json"),
        "--teacher",
        f"tiny={tiny_bert / 'config.json'}",
        "-o",
        str(root / "bundle"),
    )
    return root


def texts() -> list:
    return gpu_benchmark.read_texts(str(FIXTURES / "sst2_train.tsv"), "sentence", 0)


def test_the_bundle_holds_the_texts_as_the_student_and_the_teacher_read_them(bundle, tiny_bert):
    from tokenizers import Tokenizer

    inputs = torch.load(bundle / "bundle" / "inputs.pt")
    student = ExportedStudent(str(bundle / "export"))
    expected_words = [student.word_ids(student.words(text)) for text in texts()]
    assert gpu_benchmark.unflat(inputs["bilstm"]) == expected_words
    pieces = Tokenizer.from_file(str(tiny_bert / "tokenizer.json"))
    expected_pieces = [e.ids for e in pieces.encode_batch(texts())]
    # Each text's own pieces, none of the tokenizer's fixed padding.
    assert gpu_benchmark.unflat(inputs["wordpieces"]) == expected_pieces
    assert any(len(row) > 1 for row in expected_pieces)
    assert max(len(row) for row in expected_pieces) < 128


def test_the_stripped_student_is_the_export_once_its_table_is_put_back(bundle):
    original = torch.jit.load(str(bundle / "export" / "student.ts"))
    stripped = torch.jit.load(str(bundle / "bundle" / "bilstm.ts"))
    manifest = json.loads((bundle / "bundle" / "bundle.json").read_text())
    (name, shape), *_ = manifest["students"]["bilstm"]["stripped"].items()
    table = dict(original.named_parameters())[name]
    assert list(table.shape) == shape
    assert dict(stripped.named_parameters())[name].numel() == 0
    gpu_benchmark.set_parameter(stripped, name, table.detach().clone())
    ids = torch.tensor([[2, 3, 4, 0], [5, 6, 0, 0]])
    with torch.inference_mode():
        torch.testing.assert_close(stripped(ids), original(ids))


def test_run_times_every_model_and_divides_the_students_speed_by_each_teachers(bundle, tmp_path):
    report_file = tmp_path / "report.json"
    result = benchmark(
        "run",
        str(bundle / "bundle"),
        "--device",
        "cpu",
        "--repeats",
        "1",
        "--output",
        str(report_file),
    )
    report = json.loads(report_file.read_text())
    assert report["texts"] == len(texts())
    rows = {(r["model"], r["precision"], r["order"]): r["texts_per_s"] for r in report["rows"]}
    orders, precisions = ("file order", "length-sorted"), ("fp32", "bf16 autocast")
    expected = {("bilstm", "fp32", o) for o in orders} | {
        ("tiny", p, o) for p in precisions for o in orders
    }
    assert set(rows) == expected and all(speed > 0 for speed in rows.values())
    for order in orders:
        # The student's row of this order's table: its speed over each teacher column, in order.
        ratios = [rows[("bilstm", "fp32", order)] / rows[("tiny", p, order)] for p in precisions]
        expected_row = "| bilstm | " + " | ".join(f"{r:.1f}×" for r in ratios) + " |"
        assert expected_row in result.stdout.split(f"texts/s, {order}:")[1].split("\n\n")[1]
    # The saved report prints the same tables again.
    again = benchmark("table", str(report_file))
    assert again.stdout.strip() in result.stdout
    assert report["device_vs_cpu_max_abs_diff"] == {"bilstm": 0.0}


def test_the_teacher_is_the_mean_of_its_real_word_pieces_then_a_linear_layer(tiny_bert):
    config = json.loads((tiny_bert / "config.json").read_text())
    torch.manual_seed(0)
    teacher = gpu_benchmark.TeacherClassifier(config, labels=2).eval()
    ids = torch.tensor([[2, 7, 8, 3]])
    with torch.inference_mode():
        states = teacher.transformer(input_ids=ids).last_hidden_state
        expected = teacher.output(states.mean(dim=1))
        torch.testing.assert_close(teacher(ids, torch.ones_like(ids)), expected)
        padded_ids = torch.tensor([[2, 7, 8, 3, 0, 0], [2, 9, 10, 11, 12, 3]])
        padded = teacher(padded_ids, (padded_ids != 0).long())
    torch.testing.assert_close(padded[0:1], expected, atol=1e-5, rtol=1e-5)


class Sleeper(torch.nn.Module):
    """A model whose every call takes 20 ms, counting its calls."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        time.sleep(0.02)
        return token_ids


def test_a_pass_is_timed_whole_after_one_warm_up_batch_per_shape():
    model = Sleeper()
    # 4 batches of 2 shapes: a warm-up of 2 calls, then 3 passes of 4 calls (80 ms each).
    inputs = [(torch.zeros(8, n),) for n in (3, 3, 5, 3)]
    speed, passes = gpu_benchmark.texts_per_second(
        model, inputs, texts=32, device=torch.device("cpu"), bf16=False, repeats=3
    )
    assert model.calls == 2 + 3 * 4 and passes == 3
    assert 32 / 0.08 * 0.8 < speed <= 32 / 0.08


def test_batches_sort_by_length_and_pad_each_to_its_longest():
    rows = [[5] * n for n in (3, 1, 2)] * 400
    sorted_batches = gpu_benchmark.batches(rows, True, 9, torch.device("cpu"), True)
    assert [tuple(b[0].shape) for b in sorted_batches] == [(512, 2), (512, 3), (176, 3)]
    ids, mask = sorted_batches[1]
    assert ((ids == 9) == (mask == 0)).all() and (mask.sum(dim=1) >= 2).all()
    in_order = gpu_benchmark.batches(rows, False, 0, torch.device("cpu"), False)
    assert in_order[0][0][:3].tolist() == [[5, 5, 5], [5, 0, 0], [5, 5, 0]]


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is here")
def test_run_on_a_gpu_where_there_is_none_says_so(bundle):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "run", str(bundle / "bundle")],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "sees no GPU here" in result.stderr


def test_a_file_without_the_column_is_named(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("text\tlabel\nfine\t1\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="bad.tsv:1: the header .* has no column 'sentence'"):
        gpu_benchmark.read_texts(str(bad), "sentence", 0)


def test_a_model_type_with_changes_is_a_teacher_config():
    config = gpu_benchmark.model_type_config(
        "bert:hidden_size=64,num_attention_heads=2,hidden_act=gelu"
    )
    assert config == {
        "model_type": "bert",
        "hidden_size": 64,
        "num_attention_heads": 2,
        "hidden_act": "gelu",
    }
    teacher = gpu_benchmark.TeacherClassifier(config, labels=3)
    assert teacher.transformer.config.hidden_size == 64 and teacher.output.out_features == 3
    with pytest.raises(SystemExit, match="'layers' is not key=value"):
        gpu_benchmark.model_type_config("bert:layers")
