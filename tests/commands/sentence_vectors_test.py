import json

import numpy
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from transformers import AutoModel, AutoTokenizer

from allennlp_distill.commands import SentenceVectors, write_sentence_vectors
from allennlp_distill.commands import sentence_vectors as module
from allennlp_distill.dataset_readers import DataFormatError
from tests.conftest import build_tiny_bert, run_allennlp

# Seven lines of different word-piece counts (so every batch of two is padded), the fourth longer
# than MAX_LENGTH (so it is truncated), the fifth with spaces to strip.
SENTENCES = [
    "a film",
    "contains no wit , only labored gags",
    "hide new secretions",
    "that loves its characters and communicates something rather beautiful about human nature",
    "  remains utterly satisfied  ",
    "the film",
    "on the worst revenge",
]
STRIPPED = [text.strip() for text in SENTENCES]
MAX_LENGTH = 8
# Three shards (3, 3 and 1 lines), batches of two.
SETTINGS = {"max_length": MAX_LENGTH, "batch_size": 2, "shard_size": 3}


@pytest.fixture()
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(SENTENCES) + "\n", encoding="utf-8")
    return path


def write(teacher, corpus, out, **settings):
    return write_sentence_vectors(str(teacher), str(corpus), str(out), **{**SETTINGS, **settings})


def shards(out):
    """The stored vectors in file order, concatenated, and the shards' row counts."""
    arrays = [numpy.load(path) for path in sorted(out.glob("vectors-*.npy"))]
    assert all(array.dtype == numpy.float16 for array in arrays)
    return numpy.concatenate(arrays), [len(array) for array in arrays]


def folder_bytes(out):
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_stored_vectors_are_the_teachers_pooled_last_hidden_states_in_corpus_order(
    tiny_bert, corpus, tmp_path, pooling
):
    manifest = write(tiny_bert, corpus, tmp_path / "out", pooling=pooling)
    stored, rows = shards(tmp_path / "out")
    assert rows == [3, 3, 1] and manifest["complete"]

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_bert))
    model = AutoModel.from_pretrained(str(tiny_bert)).eval()
    lengths = [len(tokenizer(text)["input_ids"]) for text in STRIPPED]
    assert len(set(lengths)) == len(SENTENCES) and max(lengths) > MAX_LENGTH
    expected = []
    for text in STRIPPED:
        inputs = tokenizer(text, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
        with torch.no_grad():
            hidden = model(**inputs).last_hidden_state[0]  # (pieces, hidden_size), no padding
        expected.append((hidden.mean(0) if pooling == "mean" else hidden[0]).numpy())
    expected = numpy.stack(expected)
    # Rounding to float16 moves a value by at most half of float16's spacing there (plus float32
    # noise from padding): one spacing is the tolerance.
    ulp = numpy.spacing(numpy.abs(expected).astype(numpy.float16)).astype(numpy.float32)
    assert (numpy.abs(stored - expected) <= ulp).all()
    # Any two lines' vectors differ by more than that, so a misplaced row would show.
    others = [(i, j) for i in range(len(SENTENCES)) for j in range(len(SENTENCES)) if i != j]
    assert all((numpy.abs(expected[i] - expected[j]) > ulp[i]).any() for i, j in others)


def test_bf16_vectors_are_the_fp32_vectors_to_bfloat16_rounding_and_computed_under_autocast(
    tiny_bert, corpus, tmp_path, monkeypatch
):
    write(tiny_bert, corpus, tmp_path / "fp32")
    used = []
    real = module.mixed_precision
    monkeypatch.setattr(module, "mixed_precision", lambda *args: used.append(args) or real(*args))
    manifest = write(tiny_bert, corpus, tmp_path / "bf16", precision="bf16")
    assert used == [("cpu", "bf16")] and manifest["precision"] == "bf16"
    fp32, bf16 = shards(tmp_path / "fp32")[0], shards(tmp_path / "bf16")[0]
    fp32, bf16 = fp32.astype(numpy.float32), bf16.astype(numpy.float32)
    assert not numpy.array_equal(fp32, bf16)  # the teacher did run in bfloat16
    cosine = (
        (fp32 * bf16).sum(1) / numpy.linalg.norm(fp32, axis=1) / numpy.linalg.norm(bf16, axis=1)
    )
    assert cosine.min() > 0.999


def test_a_folder_written_before_precision_was_recorded_continues_as_fp32(
    tiny_bert, corpus, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    crash = {"calls": 0}
    real_save = module._save_shard

    def save_then_crash(*args):
        crash["calls"] += 1
        if crash["calls"] == 2:
            raise KeyboardInterrupt
        real_save(*args)

    monkeypatch.setattr(module, "_save_shard", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        write(tiny_bert, corpus, out)
    monkeypatch.setattr(module, "_save_shard", real_save)
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["precision"]  # as the command wrote it before 2026-12-05
    (out / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(ConfigurationError, match="another precision"):
        write(tiny_bert, corpus, out, precision="bf16")
    write(tiny_bert, corpus, out)
    write(tiny_bert, corpus, tmp_path / "fresh")
    assert shards(out)[0].tobytes() == shards(tmp_path / "fresh")[0].tobytes()


@pytest.mark.parametrize("crash_in, crash_on_call", [("_save_shard", 2), ("_write_manifest", 3)])
def test_an_interrupted_run_resumes_at_its_first_unfinished_shard_to_the_same_bytes(
    tiny_bert, corpus, tmp_path, monkeypatch, crash_in, crash_on_call
):
    write(tiny_bert, corpus, tmp_path / "whole")
    out = tmp_path / "resumed"
    real = getattr(module, crash_in)
    calls = []

    def crashing(path, data, *rest):
        calls.append(path)
        if len(calls) == crash_on_call:
            if crash_in == "_save_shard":  # killed while writing the second shard
                open(path + ".tmp", "wb").write(b"\x93NUMPY half")
            # else killed after writing the second shard, before the manifest recorded it
            raise KeyboardInterrupt
        real(path, data, *rest)

    monkeypatch.setattr(module, crash_in, crashing)
    with pytest.raises(KeyboardInterrupt):
        write(tiny_bert, corpus, out)
    monkeypatch.undo()
    manifest = json.loads((out / "manifest.json").read_text())
    assert not manifest["complete"]
    assert manifest["shards"] == [{"file": "vectors-00000.npy", "first_line": 1, "rows": 3}]
    assert (out / "vectors-00001.npy").exists() == (crash_in == "_write_manifest")

    encoded = []
    real_encode = module.encode_sentences

    def encode(model, tokenizer, texts, *settings):
        encoded.append(texts)
        return real_encode(model, tokenizer, texts, *settings)

    monkeypatch.setattr(module, "encode_sentences", encode)
    write(tiny_bert, corpus, out)
    assert encoded == [STRIPPED[3:6], STRIPPED[6:]]
    assert folder_bytes(out) == folder_bytes(tmp_path / "whole")


def test_a_finished_folder_is_only_checked(tiny_bert, corpus, tmp_path, monkeypatch):
    out = tmp_path / "out"
    write(tiny_bert, corpus, out)
    before = {path.name: path.stat().st_mtime_ns for path in out.iterdir()}
    monkeypatch.setattr(module, "encode_sentences", None)  # any computation would fail
    assert write(tiny_bert, corpus, out)["complete"]
    assert {path.name: path.stat().st_mtime_ns for path in out.iterdir()} == before


@pytest.fixture(scope="module")
def other_teacher(tmp_path_factory):
    """Another tiny BERT: the same architecture, other random weights."""
    return build_tiny_bert(tmp_path_factory.mktemp("other_bert"), seed=1)


@pytest.mark.parametrize(
    "key, change",
    [
        ("corpus", {}),
        ("teacher", {}),
        ("pooling", {"pooling": "cls"}),
        ("max_length", {"max_length": 6}),
        ("shard_size", {"shard_size": 2}),
        ("precision", {"precision": "bf16"}),
    ],
)
def test_a_folder_of_another_provenance_is_refused_naming_the_change_and_force_restarts(
    tiny_bert, other_teacher, corpus, tmp_path, key, change
):
    out = tmp_path / "out"
    write(tiny_bert, corpus, out)
    before = folder_bytes(out)
    teacher = other_teacher if key == "teacher" else tiny_bert
    if key == "corpus":
        corpus = tmp_path / "other.txt"
        corpus.write_text("\n".join(SENTENCES[:4]) + "\n")
    with pytest.raises(ConfigurationError, match=f"another {key} than .*another -o.*--force"):
        write(teacher, corpus, out, **change)
    assert folder_bytes(out) == before

    write(teacher, corpus, out, force=True, **change)
    write(teacher, corpus, tmp_path / "fresh", **change)
    assert folder_bytes(out) == folder_bytes(tmp_path / "fresh") != before


def test_a_folder_not_written_by_the_command_is_left_alone(tiny_bert, corpus, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(ConfigurationError, match="no manifest.json.*--force"):
        write(tiny_bert, corpus, out)
    assert [path.name for path in out.iterdir()] == ["precious.txt"]


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"a film\n\nthe film\n", ":2: a blank line"),
        (b"a film\n  \t \n", ":2: a blank line"),
        (b"a film\nthe \xff film\n", ":2: not valid UTF-8"),
        (b"", ":1: an empty corpus"),
        (b"a film\nthe fi", ":2: the corpus ends mid-line"),
        (b"a film\nthe film\n a film \n", ":3: the sentence of line 1 again"),
    ],
)
def test_a_bad_corpus_names_its_file_and_line_and_writes_nothing(
    tiny_bert, tmp_path, content, problem
):
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(content)
    with pytest.raises(DataFormatError, match=f"corpus.txt{problem}"):
        write(tiny_bert, corpus, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_command_line_writes_what_the_reading_api_gives_back(tiny_bert, corpus, tmp_path):
    out = tmp_path / "out"
    result = run_allennlp(
        "sentence-vectors", str(tiny_bert), str(corpus), "-o", str(out),
        "--max-length", str(MAX_LENGTH), "--batch-size", "2", "--shard-size", "3",
        env={},
    )  # fmt: skip
    assert "sentences/s" in result.stderr
    write(tiny_bert, corpus, tmp_path / "api")
    vectors = SentenceVectors(str(out))
    assert len(vectors) == 7 and vectors.hidden_size == 16
    numpy.testing.assert_allclose(
        numpy.stack([vector for _, _, vector in vectors]), shards(tmp_path / "api")[0], atol=2e-3
    )


def test_the_reading_api_gives_back_each_line_with_its_vector(tiny_bert, corpus, tmp_path):
    write(tiny_bert, corpus, tmp_path / "out")
    vectors = SentenceVectors(str(tmp_path / "out"))
    assert len(vectors) == 7 and vectors.hidden_size == 16 and vectors.corpus == str(corpus)
    rows = list(vectors)
    assert [(number, text) for number, text, _ in rows] == list(enumerate(STRIPPED, start=1))
    assert all(vector.dtype == numpy.float32 and vector.shape == (16,) for _, _, vector in rows)
    stored, _ = shards(tmp_path / "out")
    assert numpy.array_equal(numpy.stack([vector for _, _, vector in rows]), stored)


def test_the_reading_api_refuses_an_incomplete_folder(tiny_bert, corpus, tmp_path, monkeypatch):
    def killed(path, data):
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "_save_shard", killed)
    with pytest.raises(KeyboardInterrupt):
        write(tiny_bert, corpus, tmp_path / "out")
    with pytest.raises(ConfigurationError, match="incomplete.*rerun"):
        SentenceVectors(str(tmp_path / "out"))
    with pytest.raises(ConfigurationError, match="no manifest.json"):
        SentenceVectors(str(tmp_path))


def test_the_reading_api_refuses_a_corpus_changed_after_writing(tiny_bert, corpus, tmp_path):
    write(tiny_bert, corpus, tmp_path / "out")
    corpus.write_text("\n".join(reversed(SENTENCES)) + "\n")
    with pytest.raises(ConfigurationError, match="corpus.txt changed after .*write them again"):
        SentenceVectors(str(tmp_path / "out"))


@pytest.mark.parametrize(
    "damage, message",
    [("rows", r"is not the recorded \(\d+, 16\)"), ("width", r"is not the recorded"),
     ("dtype", r"is not the recorded"), ("cut", "is recorded but unreadable")],
)  # fmt: skip
def test_a_shard_file_changed_after_writing_is_refused_by_reader_and_writer(
    tiny_bert, corpus, tmp_path, damage, message
):
    write(tiny_bert, corpus, tmp_path / "out")
    first = sorted((tmp_path / "out").glob("vectors-*.npy"))[0]
    stored = numpy.load(first)
    if damage == "cut":
        first.write_bytes(first.read_bytes()[:90])
    else:
        numpy.save(first, {"rows": stored[:-1], "width": stored[:, :8],
                           "dtype": stored.astype(numpy.float32)}[damage])  # fmt: skip
    with pytest.raises(ConfigurationError, match=message):
        list(SentenceVectors(str(tmp_path / "out")))
    with pytest.raises(ConfigurationError, match=message):  # the rerun's check of the folder
        write(tiny_bert, corpus, tmp_path / "out")


@pytest.mark.parametrize("num_shards", [2, 4])
def test_labelling_shards_merge_into_the_one_process_folder(
    tiny_bert, corpus, tmp_path, num_shards
):
    whole = tmp_path / "whole"
    write(tiny_bert, corpus, whole)
    out = tmp_path / "sharded"
    for index in range(num_shards):  # with 4, shard 3 has no file of the 3 to write
        part = write(tiny_bert, corpus, out, labelling_shard=(index, num_shards))
        assert part["complete"]
        assert [s["file"] for s in part["shards"]] == [
            f"vectors-{n:05d}.npy" for n in range(index, 3, num_shards)
        ]
    merged = module.merge_sentence_vectors(str(out), num_shards)

    expected = json.loads((whole / module.MANIFEST).read_text())
    assert merged == expected == json.loads((out / module.MANIFEST).read_text())
    for path in whole.glob("vectors-*.npy"):
        assert (out / path.name).read_bytes() == path.read_bytes()
    assert [text for _, text, _ in SentenceVectors(str(out))] == STRIPPED
    # The merged folder is one finished run to `sentence-vectors`, and no shard writes into it.
    before = folder_bytes(out)
    assert write(tiny_bert, corpus, out)["complete"] and folder_bytes(out) == before
    for force in (False, True):  # and --force removes none of the merged folder's files
        with pytest.raises(ConfigurationError, match="already has manifest.json"):
            write(tiny_bert, corpus, out, labelling_shard=(0, num_shards), force=force)
        assert folder_bytes(out) == before


def test_a_killed_labelling_shard_resumes_and_force_removes_only_its_own_files(
    tiny_bert, corpus, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    write(tiny_bert, corpus, out, labelling_shard=(1, 2))  # file 1
    save = module._save_shard

    def killed(path, vectors):
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "_save_shard", killed)
    with pytest.raises(KeyboardInterrupt):
        write(tiny_bert, corpus, out, labelling_shard=(0, 2))  # files 0 and 2
    monkeypatch.setattr(module, "_save_shard", save)
    with pytest.raises(
        ConfigurationError, match="manifest.shard-00000-of-00002.json is not complete"
    ):
        module.merge_sentence_vectors(str(out), 2)
    assert not (out / module.MANIFEST).exists()
    write(tiny_bert, corpus, out, labelling_shard=(0, 2))
    module.merge_sentence_vectors(str(out), 2)

    shard_one = (out / "vectors-00001.npy").read_bytes()
    (out / module.MANIFEST).unlink()
    write(tiny_bert, corpus, out, labelling_shard=(0, 2), force=True)
    assert (out / "vectors-00001.npy").read_bytes() == shard_one


@pytest.mark.parametrize(
    "problem, message",
    [
        ("missing", r"manifest.shard-00001-of-00002.json is missing: run .*--shard-index 1"),
        ("pooling", r"manifest.shard-00001-of-00002.json was made with another pooling than"),
        ("teacher", r"manifest.shard-00001-of-00002.json was made with another teacher than"),
        ("gap", r"no shard file holds the vectors from corpus line 4"),
        ("bad index", r"--num-shards 0"),
    ],
)
def test_a_merge_of_bad_labelling_shards_names_the_problem_and_writes_nothing(
    tiny_bert, other_teacher, corpus, tmp_path, problem, message
):
    out = tmp_path / "out"
    write(tiny_bert, corpus, out, labelling_shard=(0, 2))
    second = out / "manifest.shard-00001-of-00002.json"
    if problem == "pooling":
        write(tiny_bert, corpus, out, labelling_shard=(1, 2), pooling="cls")
    elif problem == "teacher":
        write(other_teacher, corpus, out, labelling_shard=(1, 2))
    elif problem == "gap":
        write(tiny_bert, corpus, out, labelling_shard=(1, 2))
        manifest = json.loads(second.read_text())
        manifest["shards"] = []
        second.write_text(json.dumps(manifest))
    with pytest.raises(ConfigurationError, match=message):
        module.merge_sentence_vectors(str(out), 0 if problem == "bad index" else 2)
    assert not (out / module.MANIFEST).exists()


def test_the_command_line_merges_labelling_shards(tiny_bert, corpus, tmp_path):
    out = tmp_path / "out"
    for index in range(2):
        write(tiny_bert, corpus, out, labelling_shard=(index, 2))
    run_allennlp("sentence-vectors-merge", str(out), "--num-shards", "2", env={})
    assert len(SentenceVectors(str(out))) == len(SENTENCES)
    failed = run_allennlp(
        "sentence-vectors", str(tiny_bert), str(corpus), "-o", str(tmp_path / "other"),
        "--num-shards", "2", "--shard-index", "5", env={}, fails=True,
    )  # fmt: skip
    assert "--shard-index 5 is not one of the 2 shards" in failed.stderr


def test_a_gpu_that_torch_does_not_see_is_refused_before_anything_is_written(
    tiny_bert, corpus, tmp_path
):
    gpus = torch.cuda.device_count()
    with pytest.raises(ConfigurationError, match=f"--cuda-device {gpus}: torch sees {gpus} GPU"):
        write(tiny_bert, corpus, tmp_path / "out", cuda_device=gpus)
    assert not (tmp_path / "out").exists()
