import json

import pytest

from tests.conftest import REPO


def load_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "metrics_table", REPO / "scripts/metrics_table.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_run(directory, dev, test, curve, best_epoch):
    directory.mkdir()
    metrics = {"f1-measure-overall": dev, "precision-overall": 0.0, "recall-overall": 0.0}
    (directory / "dev_metrics.json").write_text(json.dumps(metrics))
    metrics = {"f1-measure-overall": test, "precision-overall": 0.9, "recall-overall": 0.875}
    (directory / "test_metrics.json").write_text(json.dumps(metrics))
    (directory / "metrics.json").write_text(json.dumps({"best_epoch": best_epoch}))
    for epoch, value in enumerate(curve):
        path = directory / f"metrics_epoch_{epoch}.json"
        path.write_text(json.dumps({"validation_f1-measure-overall": value}))


def test_a_row_holds_dev_test_and_the_curve_in_epoch_order_with_the_best_in_bold(tmp_path, capsys):
    metrics_table = load_script()
    # Eleven epochs: metrics_epoch_10 sorts before metrics_epoch_2 as text.
    curve = [0.5 + epoch / 100 for epoch in range(11)]
    write_run(tmp_path / "student", 0.9363, 0.8906, curve, best_epoch=10)
    metrics_table.main([f"unlabelled={tmp_path / 'student'}"])
    last = capsys.readouterr().out.splitlines()[-1]
    cells = [cell.strip() for cell in last.strip("|").split("|")]
    assert cells[:5] == ["unlabelled", "93.63", "89.06", "90.00 / 87.50", "11"]
    assert cells[5].split(" · ") == [f"{50 + e:.2f}" for e in range(10)] + ["**60.00**"]


def test_an_unevaluated_run_is_an_error_naming_the_file(tmp_path):
    metrics_table = load_script()
    write_run(tmp_path / "student", 0.9, 0.8, [0.9], best_epoch=0)
    (tmp_path / "student" / "test_metrics.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"student/test_metrics\.json: no such file"):
        metrics_table.main([f"s={tmp_path / 'student'}"])


def test_a_metric_the_run_lacks_is_an_error_naming_file_and_key(tmp_path):
    metrics_table = load_script()
    write_run(tmp_path / "student", 0.9, 0.8, [0.9], best_epoch=0)
    with pytest.raises(ValueError, match=r"student/dev_metrics\.json has no 'accuracy' .*--metric"):
        metrics_table.main([f"s={tmp_path / 'student'}", "--metric", "accuracy"])


def test_runs_of_one_label_are_summed_up_over_seeds_after_the_table(tmp_path, capsys):
    metrics_table = load_script()
    write_run(tmp_path / "a1", 0.9300, 0.8900, [0.93], best_epoch=0)
    write_run(tmp_path / "a2", 0.9100, 0.8800, [0.91], best_epoch=0)
    write_run(tmp_path / "b", 0.9000, 0.8700, [0.90], best_epoch=0)
    write_run(tmp_path / "a3", 0.9200, 0.8600, [0.92], best_epoch=0)
    metrics_table.main(
        [
            f"a={tmp_path / 'a1'}",
            f"a={tmp_path / 'a2'}",
            f"b={tmp_path / 'b'}",
            f"a={tmp_path / 'a3'}",
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("|")[1].strip() for line in lines[2:6]] == ["a", "a", "b", "a"]
    assert lines[6] == ""  # every run in its own row, then the table over seeds
    assert lines[7].startswith("| model | runs |")
    assert lines[9:] == ["| a | 3 | 92.00 (91.00–93.00) | 87.67 (86.00–89.00) |"]  # b ran once
