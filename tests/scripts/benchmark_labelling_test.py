import re
import subprocess
import sys

from tests.conftest import FIXTURES, REPO


def test_the_labelling_benchmark_runs_every_kind_and_onnx_runtime_agrees_with_fp32(
    tiny_teacher_archive,
):
    # scripts/benchmark_labelling.py, the figures of issue 13's labelling table, on the tiny
    # teacher: every kind is measured and compared with fp32 (ONNX Runtime to float rounding).
    command = [
        sys.executable, "scripts/benchmark_labelling.py", str(tiny_teacher_archive),
        str(FIXTURES / "sst2_train.tsv"), "--texts", "8", "--batch-size", "4", "--threads", "1,2",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert out.startswith("8 texts from ")
    for kind in ("fp32, input order", "fp32, sorted by length", "int8, sorted by length",
                 "bf16, sorted by length", "onnxruntime, sorted", "onnxruntime int8",
                 "2 threads: fp32, sorted", "2 threads: onnxruntime, sorted"):  # fmt: skip
        assert re.search(rf"^{kind} +\d+\.\d texts/s", out, re.MULTILINE), kind
    onnx = re.search(r"^onnxruntime vs fp32: argmax agreement (\S+), mean \|logit difference\| "
                     r"(\S+), largest (\S+)$", out, re.MULTILINE)  # fmt: skip
    # The same labels, logits equal to the printed 3 decimals (float rounding).
    assert onnx and float(onnx[1]) == 1.0 and onnx[3] == "0.000", out
