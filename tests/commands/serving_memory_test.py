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


def _run_child_here(code: str, argv: list, monkeypatch) -> None:
    """A `_SERVING_CHILD_*` program run in this process (its `sys.argv` given), so that a test
    can watch what it calls; torch's thread count is put back after it."""
    import torch

    threads = torch.get_num_threads()
    monkeypatch.setattr(sys, "argv", ["-c", *argv])
    try:
        exec(compile(code, "<serving child>", "exec"), {"__name__": "__main__"})
    finally:
        torch.set_num_threads(threads)


def test_a_teacher_is_served_for_its_memory_in_the_sub_batches_it_is_timed_in(
    tiny_bert, tmp_path, monkeypatch
):
    # Its speed is timed on length-sorted sub-batches of 32 (`TeacherEncoder`): served for its
    # memory on one batch of 256 padded to its longest text, it would be charged for padding.
    import torch
    import transformers

    from allennlp_distill.commands.serving_memory import _serving_child_teacher
    from allennlp_distill.modules.wide_cnn_encoder import LENGTH_CHUNK

    model = transformers.AutoModel.from_pretrained(str(tiny_bert)).eval()
    calls = []

    class Recorded(torch.nn.Module):
        def forward(self, **inputs):
            calls.append((inputs["input_ids"].shape, inputs["attention_mask"].sum(1).tolist()))
            return model(**inputs)

    monkeypatch.setattr(transformers.AutoModel, "from_pretrained", lambda *args: Recorded())
    sentences = [("word " * (1 + (7 * i) % 40)).strip() for i in range(2 * LENGTH_CHUNK + 5)]
    texts = tmp_path / "texts"
    texts.write_text("".join(s + "\n" for s in sentences), encoding="utf-8")
    _run_child_here(
        _serving_child_teacher(), [str(tiny_bert), "", str(texts), "1", "256", "s.py"], monkeypatch
    )
    assert [shape[0] for shape, _ in calls] == [LENGTH_CHUNK, LENGTH_CHUNK, 5]
    longest = [max(lengths) for _, lengths in calls]
    assert [shape[1] for shape, _ in calls] == longest  # each cut to its own longest text
    assert longest == sorted(longest) and longest[0] < longest[-1]


def test_an_archive_is_served_for_its_memory_in_the_parts_it_is_timed_in(
    tiny_teacher_archive, tiny_student_archive, tmp_path, monkeypatch
):
    # A teacher archive (it embeds with a pre-trained transformer) in length-sorted sub-batches,
    # as `measure` times it; a student as one batch, as AllenNLP serves it.
    from allennlp_distill.commands import measure
    from allennlp_distill.commands.serving_memory import _SERVING_CHILD_ARCHIVE
    from allennlp_distill.modules.wide_cnn_encoder import LENGTH_CHUNK

    rows = 2 * LENGTH_CHUNK + 6
    gold = tmp_path / "gold.tsv"
    lines = [f"{'word ' * (1 + (7 * i) % 40)}\t{i % 2}\n" for i in range(rows)]
    gold.write_text("sentence\tlabel\n" + "".join(lines), encoding="utf-8")
    batches = []  # the texts of each forward pass the model runs: (count, longest)
    tensors = measure._tensors

    def recorded(model, instances):
        batches[-1].append([len(instance["tokens"]) for instance in instances])
        return tensors(model, instances)

    monkeypatch.setattr(measure, "_tensors", recorded)
    for archive in (tiny_teacher_archive, tiny_student_archive):
        batches.append([])
        argv = [str(archive), "", str(gold), "1", "256", "s.py"]
        _run_child_here(_SERVING_CHILD_ARCHIVE, argv, monkeypatch)
    teacher, student = batches
    assert [len(lengths) for lengths in teacher] == [LENGTH_CHUNK, LENGTH_CHUNK, 6]
    flat = [length for lengths in teacher for length in lengths]
    assert flat == sorted(flat) and flat[0] < flat[-1]
    assert [len(lengths) for lengths in student] == [rows]


def test_serving_parts_sort_a_transformers_batch_by_length_32_at_a_time(tiny_teacher):
    from allennlp_distill.commands.measure import serving_parts
    from allennlp_distill.modules.wide_cnn_encoder import LENGTH_CHUNK

    _, reader = tiny_teacher
    instances = [reader.text_to_instance(("word " * (1 + (7 * i) % 40)).strip()) for i in range(70)]
    parts = serving_parts(instances, True)
    assert [len(part) for part in parts] == [LENGTH_CHUNK, LENGTH_CHUNK, 70 - 2 * LENGTH_CHUNK]
    lengths = [len(instance["tokens"]) for part in parts for instance in part]
    assert lengths == sorted(lengths) and sorted(map(id, sum(parts, []))) == sorted(
        map(id, instances)
    )
    assert serving_parts(instances, False) == [instances]
