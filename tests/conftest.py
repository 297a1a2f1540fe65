import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import allennlp_distill  # noqa: F401  (registers the components)

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
CONFIGS = REPO / "training_config"


def build_tiny_bert(directory: Path, seed: int = 0) -> Path:
    """A 2-layer, 16-dimensional BERT with a ~110-piece WordPiece vocabulary, its weights drawn
    under `seed`."""
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    words = sorted(
        {
            word.lower()
            for line in (FIXTURES / "sst2_train.tsv").read_text().splitlines()[1:]
            for word in line.split("\t")[0].split()
        }
    )
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    letters = list("abcdefghijklmnopqrstuvwxyz")
    vocab = list(dict.fromkeys(specials + letters + [f"##{c}" for c in letters] + words[:60]))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(directory / "vocab.txt"), do_lower_case=True)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=512,
    )
    # Seeded apart from the global generator: the tiny teacher's weights, and so the tests that
    # train it, must not depend on which tests ran before in the same process.
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        BertForMaskedLM(config).bert.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def run_allennlp(
    *args: str, env: dict, include_package: bool = True, fails: bool = False
) -> subprocess.CompletedProcess:
    """
    Runs the real `allennlp` command line from the repository root, failing the test with its
    output if it fails (or, with `fails`, if it succeeds). Without `include_package` the plugin
    is found through `.allennlp_plugins`.
    """
    plugin = ["--include-package", "allennlp_distill"] if include_package else []
    command = [sys.executable, "-m", "allennlp", *args, *plugin]
    result = subprocess.run(
        command, cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True
    )
    if fails:
        assert result.returncode != 0, f"{' '.join(args[:1])} succeeded on bad input"
    else:
        assert result.returncode == 0, f"{' '.join(args[:1])} failed:\n{result.stderr[-4000:]}"
    return result


def tagger_logits(archive_file, sentences) -> list:
    """A tagger archive's logits for each sentence (a list of words) alone, as the `tagger`
    predictor reads it: `(num_words, num_tags)` float tensors, tags in the vocabulary's order."""
    import torch
    from allennlp.models.archival import load_archive
    from allennlp.predictors import Predictor

    archive = load_archive(str(archive_file))
    predictor = Predictor.from_archive(archive, "tagger")
    outputs = []
    for words in sentences:
        instance = predictor._json_to_instance({"tokens": words})
        archive.dataset_reader.apply_token_indexers(instance)
        outputs.append(torch.tensor(archive.model.forward_on_instance(instance)["logits"]))
    return outputs


def strong_crf_scores(crf, seed: int) -> None:
    """Draw a CRF's transition, start and end scores from N(0, 3²) in place: strong enough that
    the best path is seldom the per-word argmax, so a decoder's test means something."""
    import torch

    torch.manual_seed(seed)
    with torch.no_grad():
        for name in ("transitions", "start_transitions", "end_transitions"):
            getattr(crf, name).normal_(0.0, 3.0)


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("tiny_bert"))


@pytest.fixture(scope="session")
def tiny_teacher_env(tiny_bert) -> dict:
    """The external variables that point every config at the fixtures and the tiny teacher."""
    return {
        "DISTILL_TEACHER_MODEL": str(tiny_bert),
        "DISTILL_TEACHER_HIDDEN_SIZE": "16",
        "DISTILL_TRAIN": str(FIXTURES / "sst2_train.tsv"),
        "DISTILL_DEV": str(FIXTURES / "sst2_dev.tsv"),
        "DISTILL_TRANSFER_SET": str(FIXTURES / "transfer_set.jsonl"),
        "DISTILL_WORD_VECTORS": str(FIXTURES / "word_vectors"),
        "DISTILL_EPOCHS": "1",
    }


@pytest.fixture(scope="session")
def tiny_teacher_archive(tmp_path_factory, tiny_teacher_env) -> Path:
    """A teacher fine-tuned for one epoch on the fixture through `allennlp train`."""
    out = tmp_path_factory.mktemp("teacher") / "run"
    run_allennlp(
        "train", str(CONFIGS / "sst2_teacher.jsonnet"), "-s", str(out), env=tiny_teacher_env
    )
    return out / "model.tar.gz"


@pytest.fixture(scope="session")
def tiny_teacher(tiny_teacher_archive) -> tuple:
    """That teacher loaded for labelling: `(model in eval mode, its validation reader)`."""
    from allennlp.models.archival import load_archive

    archive = load_archive(str(tiny_teacher_archive))
    return archive.model.eval(), archive.validation_dataset_reader


# The fixture files of every task in training_config/tasks.libsonnet: (train, dev).
TASK_FIXTURES = {
    "sst2": ("sst2_train.tsv", "sst2_dev.tsv"),
    "qqp": ("pairs/qqp_train.tsv", "pairs/qqp_dev.tsv"),
    "mnli": ("pairs/mnli_train.tsv", "pairs/mnli_dev_matched.tsv"),
    "mrpc": ("pairs/mrpc_train.tsv", "pairs/mrpc_dev.tsv"),
    "stsb": ("pairs/stsb_train.tsv", "pairs/stsb_dev.tsv"),
    "sick": ("pairs/sick_train.tsv", "pairs/sick_dev.tsv"),
    "sick_relatedness": ("pairs/sick_train.tsv", "pairs/sick_dev.tsv"),
    # Taggers read CoNLL column files (training on the same sentences: a dry run needs no split).
    "conll2003": ("conll2003_tiny.txt", "conll2003_tiny.txt"),
    "ud_pos": ("ud_ewt_tiny.txt", "ud_ewt_tiny.txt"),
}


def task_env(tiny_teacher_env: dict, task: str) -> dict:
    """`tiny_teacher_env` with the data variables pointing at `task`'s fixtures."""
    train, dev = TASK_FIXTURES[task]
    return {
        **tiny_teacher_env,
        "DISTILL_TRAIN": str(FIXTURES / train),
        "DISTILL_DEV": str(FIXTURES / dev),
    }


def train_tiny_teacher(tmp_path_factory, tiny_teacher_env: dict, task: str) -> Path:
    """`task`'s teacher config trained for one epoch on its fixtures with the tiny BERT."""
    out = tmp_path_factory.mktemp(f"{task}_teacher") / "run"
    config = CONFIGS / f"{task}_teacher.jsonnet"
    run_allennlp("train", str(config), "-s", str(out), env=task_env(tiny_teacher_env, task))
    return out / "model.tar.gz"


@pytest.fixture(scope="session")
def tiny_mrpc_teacher_archive(tmp_path_factory, tiny_teacher_env) -> Path:
    return train_tiny_teacher(tmp_path_factory, tiny_teacher_env, "mrpc")


@pytest.fixture(scope="session")
def tiny_stsb_teacher_archive(tmp_path_factory, tiny_teacher_env) -> Path:
    return train_tiny_teacher(tmp_path_factory, tiny_teacher_env, "stsb")


@pytest.fixture(scope="session")
def tiny_student_archive(tmp_path_factory) -> Path:
    """The fixture student (`fixtures/bilstm_student.jsonnet`, tiny vectors) trained once."""
    from allennlp.commands.train import train_model_from_file

    out = tmp_path_factory.mktemp("student") / "run"
    train_model_from_file(str(FIXTURES / "bilstm_student.jsonnet"), str(out))
    return out / "model.tar.gz"


@pytest.fixture(scope="session")
def tiny_cnn_student_archive(tmp_path_factory) -> Path:
    """The fixture CNN student (`fixtures/cnn_student.jsonnet`, tiny vectors) trained once."""
    from allennlp.commands.train import train_model_from_file

    out = tmp_path_factory.mktemp("cnn_student") / "run"
    train_model_from_file(str(FIXTURES / "cnn_student.jsonnet"), str(out))
    return out / "model.tar.gz"


@pytest.fixture(scope="session")
def tiny_transformer_student_archive(tmp_path_factory) -> Path:
    """The fixture small-transformer student (`fixtures/transformer_student.jsonnet`), trained."""
    from allennlp.commands.train import train_model_from_file

    out = tmp_path_factory.mktemp("transformer_student") / "run"
    train_model_from_file(str(FIXTURES / "transformer_student.jsonnet"), str(out))
    return out / "model.tar.gz"


def train_sentence_encoder(tiny_bert: str, tmp_path_factory, overrides: str = "") -> Path:
    """
    The fixture sentence-representation student (Wu et al. 2020), trained on the tiny BERT's
    vectors of the fixture sentences (`tests/tiny_sentence_vectors.py`) and archived.
    """
    from allennlp.commands.train import train_model_from_file

    from tests.tiny_sentence_vectors import write_tiny_sentence_vectors

    vectors = write_tiny_sentence_vectors(tiny_bert, tmp_path_factory.mktemp("sentence_vectors"))
    out = tmp_path_factory.mktemp("sentence_encoder") / "run"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("DISTILL_SENTENCE_VECTORS", str(vectors))
        monkeypatch.setenv("DISTILL_SENTENCE_VECTORS_DEV", str(vectors))
        config = str(FIXTURES / "sentence_representation_student.jsonnet")
        train_model_from_file(config, str(out), overrides=overrides)
    return out / "model.tar.gz"


@pytest.fixture(scope="session")
def tiny_sentence_encoder_archive(tiny_bert, tmp_path_factory) -> Path:
    """The fixture sentence encoder: a pooled BiLSTM (`train_sentence_encoder`)."""
    return train_sentence_encoder(tiny_bert, tmp_path_factory)


@pytest.fixture(scope="session")
def tiny_cnn_sentence_encoder_archive(tiny_bert, tmp_path_factory) -> Path:
    """The fixture sentence encoder with Kim's CNN (`wide_cnn`, widths 1-3) for its BiLSTM."""
    cnn = {"type": "wide_cnn", "embedding_dim": 8, "num_filters": 4}
    cnn["ngram_filter_sizes"] = [1, 2, 3]
    return train_sentence_encoder(tiny_bert, tmp_path_factory, json.dumps({"model.encoder": cnn}))
