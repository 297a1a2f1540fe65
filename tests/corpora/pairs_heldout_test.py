import pytest

from allennlp_distill.corpora.pairs_heldout import MRPC_COLUMNS, split_pairs, write_splits
from allennlp_distill.dataset_readers.rows import DataFormatError, iter_rows
from tests.conftest import FIXTURES

COLUMNS = ("a", "b")


def pair(a: str, b: str, label: str = "1") -> dict:
    return {"label": label, "a": a, "b": b}


def test_a_training_pair_sharing_a_sentence_with_a_heldout_pair_leaves_training():
    rows = [pair(f"s{i}", f"t{i}") for i in range(20)]
    rows += [pair("s3", "new one"), pair("another", "t7 "), pair("s3  and more", "x")]
    for seed in range(5):
        train, heldout = split_pairs(rows, COLUMNS, size=4, seed=seed)
        assert len(heldout) == 4 and split_pairs(rows, COLUMNS, 4, seed) == (train, heldout)
        held = {" ".join(row[c].split()) for row in heldout for c in COLUMNS}
        assert all(row[c].strip() not in held for row in train for c in COLUMNS)
        # Every other pair stays, in input order; a sentence merely containing another stays.
        kept = [r for r in rows if r not in heldout and not {r["a"].strip(), r["b"].strip()} & held]
        assert train == kept and pair("s3  and more", "x") in train
    with pytest.raises(ValueError, match="a held-out slice of 24 pairs from 23"):
        split_pairs(rows, COLUMNS, size=24, seed=0)


def test_mrpc_splits_keep_its_header_and_columns(tmp_path):
    train = FIXTURES / "pairs" / "mrpc_train.tsv"
    (tmp_path / "task").mkdir()
    for name, source in (("train.tsv", train), ("dev.tsv", FIXTURES / "pairs" / "mrpc_dev.tsv")):
        (tmp_path / "task" / name).write_bytes(source.read_bytes())
    counts = write_splits(str(tmp_path / "task"), str(tmp_path / "out"), MRPC_COLUMNS, size=3)
    rows = [row for _, row in iter_rows(str(train))]
    out = {
        name: [row for _, row in iter_rows(str(tmp_path / "out" / f"{name}.tsv"))]
        for name in ("train", "dev", "heldout")
    }
    assert counts == {"train": len(out["train"]), "dev": len(out["dev"]), "heldout": 3,
                      "removed": len(rows) - len(out["train"]) - 3}  # fmt: skip
    assert all(row in rows for row in out["train"] + out["heldout"])
    assert list(out["heldout"][0]) == list(rows[0])  # the same columns in the same order
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "dev.tsv", "heldout.tsv", "train.tsv"]  # fmt: skip


def test_a_file_without_the_sentence_columns_names_itself_and_writes_nothing(tmp_path):
    (tmp_path / "task").mkdir()
    (tmp_path / "task" / "train.tsv").write_text("label\tsentence\n1\ta b\n")
    with pytest.raises(DataFormatError, match=r"train\.tsv:1"):
        write_splits(str(tmp_path / "task"), str(tmp_path / "out"), MRPC_COLUMNS, size=1)
    assert not (tmp_path / "out").exists()
