import subprocess
import sys

import pytest

from allennlp_distill.commands.serving_memory import _SERVING_CHILD_ARGS


def test_serving_ram_is_the_peak_in_megabytes_of_a_million_bytes():
    code = (
        _SERVING_CHILD_ARGS
        + (
            "block = bytearray(b'x' * 200_000_000); del block\n"  # freed: only a peak keeps it
            "print(peak_mb()); print(open('/proc/self/status').read())"
        )
    )
    argv = ["model", "", "rows.jsonl", "1", "1", "serving.py"]
    out = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    high_water_kib = next(int(line.split()[1]) for line in out if line.startswith("VmHWM:"))
    assert float(out[0]) == pytest.approx(high_water_kib * 1024 / 1e6)
    assert float(out[0]) > 200
