import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO


def _report_command(precision: str, sst2_run: str = "/nowhere/sst2") -> str:
    """The `distill-report` command `make sst2-mpnet-report` runs (`make -n` prints it; the
    recursive `make report` runs to print its own), for a CPU of this `MPNET_PRECISION`, with
    an MPNet run folder that does not exist, and `make sst2`'s at `sst2_run` (by default none,
    so no MiniLM teacher or student joins)."""
    if shutil.which("make") is None:
        pytest.skip("no make here")
    out = subprocess.run(
        [
            "make",
            "-n",
            "sst2-mpnet-report",
            f"MPNET_PRECISION={precision}",
            f"SST2_RUN={sst2_run}",
            "MPNET_RUN=/nowhere/mpnet",
        ],  # fmt: skip
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out[out.index("distill-report") :].replace("\\\n", " ")


def test_the_mpnet_report_times_the_teacher_under_bf16_too_where_the_cpu_has_it():
    # On a CPU with bfloat16 instructions the teacher's fastest form is bf16: the speed-ups over
    # fp32 alone would flatter the student.
    bf16 = _report_command("bf16")
    assert "teacher-mpnet=/nowhere/mpnet/teacher/model.tar.gz" in bf16
    assert "teacher-mpnet-bf16=/nowhere/mpnet/teacher/model.tar.gz:bf16" in bf16
    assert re.search(r"--teachers 2\b", bf16)
    fp32 = _report_command("fp32")
    assert ":bf16" not in fp32 and re.search(r"--teachers 1\b", fp32)


def test_the_mpnet_report_shows_the_minilm_teachers_student_where_make_sst2_made_one(tmp_path):
    assert "minilm" not in _report_command("fp32")
    for model in ("teacher", "student"):
        (tmp_path / model).mkdir()
        (tmp_path / model / "model.tar.gz").write_bytes(b"")
    both = _report_command("fp32", str(tmp_path))
    assert f"teacher-minilm={tmp_path}/teacher/model.tar.gz" in both
    assert f"student-minilm={tmp_path}/student/model.tar.gz" in both
    assert re.search(r"--teachers 2\b", both)  # the MiniLM student is a student, not a teacher
