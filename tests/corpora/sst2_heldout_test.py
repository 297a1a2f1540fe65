from allennlp_distill.corpora.sst2_heldout import read_tsv, split_heldout, write_splits

SENTENCES = [
    ("a gorgeous , witty movie", "1"),
    ("a dull , witless movie", "0"),
    ("the plot is thin", "0"),
]
# GLUE's training file: every labelled phrase of every training tree, de-duplicated.
PHRASES = [
    ("a gorgeous , witty movie", "1"),
    ("gorgeous", "1"),
    ("witty movie", "1"),
    ("a dull , witless movie", "0"),
    ("witless movie", "0"),
    ("movie", "1"),
    ("the plot is thin", "0"),
    ("is thin", "0"),
]


def test_heldout_sentences_and_the_phrases_only_they_contain_leave_training():
    train, heldout = split_heldout(
        PHRASES, SENTENCES, [text for text, _ in SENTENCES], size=1, seed=0
    )
    assert len(heldout) == 1 and heldout[0] in SENTENCES
    held = heldout[0][0]
    train_texts = {text for text, _ in train}
    assert held not in train_texts
    for text, _ in PHRASES:
        inside_held = f" {text} " in f" {held} "
        inside_kept = any(f" {text} " in f" {s} " for s, _ in SENTENCES if s != held)
        assert (text in train_texts) == (not inside_held or inside_kept), text
    # "movie" is in two sentences: it stays whichever one is held out.
    assert "movie" in train_texts


def test_the_split_is_fixed_by_its_seed():
    sentences = [text for text, _ in SENTENCES]
    first = split_heldout(PHRASES, SENTENCES, sentences, size=2, seed=7)
    assert split_heldout(PHRASES, SENTENCES, sentences, size=2, seed=7) == first


def test_write_splits_writes_train_dev_and_heldout(tmp_path):
    glue, sst = tmp_path / "glue", tmp_path / "sst"
    glue.mkdir()
    sst.mkdir()
    rows = "".join(f"{text} \t{label}\n" for text, label in PHRASES)
    (glue / "train.tsv").write_text("sentence\tlabel\n" + rows)
    (glue / "dev.tsv").write_text("sentence\tlabel\nit 's fine . \t1\n")
    sentences = "".join(f"{label}\t{text}\n" for text, label in SENTENCES)
    (sst / "stsa.binary.train.tsv").write_text("label\tsentence\n" + sentences)
    (sst / "stsa.fine.train.tsv").write_text("label\tsentence\n" + sentences)
    counts = write_splits(str(glue), str(sst), str(tmp_path / "out"), size=1, seed=0)
    assert counts["dev"] == 1 and counts["heldout"] == 1
    heldout = read_tsv(str(tmp_path / "out" / "heldout.tsv"), "sentence", "label")
    train = read_tsv(str(tmp_path / "out" / "train.tsv"), "sentence", "label")
    assert len(train) == counts["train"] < len(PHRASES)
    assert not {text for text, _ in heldout} & {text for text, _ in train}
