import json
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import Batch, Vocabulary
from allennlp.models import Model

from allennlp_distill.dataset_readers.tagging import TaggingReader
from allennlp_distill.models.tagger import DistilledTagger
from allennlp_distill.training import DistillationCallback, MseSoftLoss
from allennlp_distill.training.losses import distillation_loss
from tests.conftest import FIXTURES, strong_crf_scores

TAGS = ["O", "B-PER", "I-PER", "B-LOC"]


def tagger_params(encoder: bool = True, label_encoding="BIO") -> Params:
    return Params(
        {
            "type": "distilled_tagger",
            "text_field_embedder": {
                "token_embedders": {"tokens": {"type": "embedding", "embedding_dim": 8}}
            },
            "encoder": {"type": "lstm", "input_size": 8, "hidden_size": 5, "bidirectional": True}
            if encoder
            else None,
            "label_encoding": label_encoding,
        }
    )


def rows(tmp_path, sentences):
    """A transfer set: each `(words, tags)` with teacher logits 3 on its tag, else 0."""
    path = tmp_path / "transfer.jsonl"
    with path.open("w") as out:
        for words, tags in sentences:
            logits = {name: [3.0 * (name == tag) for tag in tags] for name in TAGS}
            out.write(json.dumps({"tokens": words, "tags": tags, "teacher_logits": logits}) + "\n")
    return str(path)


@pytest.fixture()
def tagger_and_batch(tmp_path):
    reader = TaggingReader(label_encoding="BIO")
    path = rows(
        tmp_path,
        [
            (["Peter", "Blackburn", "visited", "Paris"], ["B-PER", "I-PER", "O", "B-LOC"]),
            (["Paris"], ["B-LOC"]),
        ],
    )
    instances = list(reader.read(path))
    vocab = Vocabulary.from_instances(instances)
    for instance in instances:
        reader.apply_token_indexers(instance)
    torch.manual_seed(0)
    model = Model.from_params(vocab=vocab, params=tagger_params())
    batch = Batch(instances)
    batch.index_instances(vocab)
    return model, batch.as_tensor_dict()


def test_forward_gives_per_token_logits_mask_and_a_loss_on_real_tokens_only(tagger_and_batch):
    model, batch = tagger_and_batch
    teacher_logits = batch.pop("teacher_logits")
    output = model(**batch)
    assert output["logits"].shape == (2, 4, len(TAGS))
    assert output["mask"].tolist() == [[True] * 4, [True, False, False, False]]
    # The loss is the mean cross-entropy over the 5 real tokens; padding does not count.
    flat = output["logits"][output["mask"]]
    expected = torch.nn.functional.cross_entropy(flat, batch["tags"][output["mask"]])
    assert output["loss"].item() == pytest.approx(expected.item(), rel=1e-5)
    assert teacher_logits.shape == (2, 4, len(TAGS))


@pytest.mark.parametrize("crf", [False, True])
def test_the_loss_under_bf16_autocast_is_float32_and_near_the_fp32_loss(tagger_and_batch, crf):
    # `DISTILL_AMP=bf16` (the bf16_autocast callback) runs forward under bfloat16 autocast, so the
    # tag projection gives bf16 logits; the loss must still be computed (AllenNLP's cross-entropy
    # refuses bf16) and in float32.
    model, batch = tagger_and_batch
    batch.pop("teacher_logits")
    tagger = crf_tagger(model.vocab) if crf else model
    fp32 = tagger(**batch)["loss"]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        output = tagger(**batch)
    assert output["logits"].dtype == torch.bfloat16
    assert output["loss"].dtype == torch.float32
    assert output["loss"].item() == pytest.approx(fp32.item(), rel=0.02)


def test_human_readable_tags_are_one_per_real_word(tagger_and_batch):
    model, batch = tagger_and_batch
    batch.pop("teacher_logits")
    output = model.make_output_human_readable(model(**batch))
    assert [len(tags) for tags in output["tags"]] == [4, 1]
    assert output["words"] == [["Peter", "Blackburn", "visited", "Paris"], ["Paris"]]
    assert set(output["tags"][0]) <= set(TAGS)


def test_span_f1_is_reported_for_bio_tags_and_perfect_on_gold_logits(tagger_and_batch):
    model, batch = tagger_and_batch
    batch.pop("teacher_logits")
    with torch.no_grad():  # make the tagger output the gold tags: one-hot logits
        model._tag_projection.weight.zero_()
        model._tag_projection.bias.zero_()
    # Replace the projection's output by gold one-hot scores through a forward hook.
    gold = torch.nn.functional.one_hot(batch["tags"], len(TAGS)).float() * 10
    handle = model._tag_projection.register_forward_hook(lambda *_: gold)
    model.get_metrics(reset=True)
    model(**batch)
    handle.remove()
    metrics = model.get_metrics(reset=True)
    assert metrics["f1-measure-overall"] == pytest.approx(1.0)
    assert metrics["accuracy"] == pytest.approx(1.0)
    assert model.label_encoding == "BIO"


def test_encoder_of_the_wrong_width_is_a_configuration_error(tagger_and_batch):
    model, _ = tagger_and_batch
    params = tagger_params()
    params["encoder"]["input_size"] = 9
    with pytest.raises(ConfigurationError, match="model.encoder reads 9-d vectors"):
        Model.from_params(vocab=model.vocab, params=params)


def test_distillation_callback_matches_every_real_token_and_ignores_padding(
    tmp_path, tagger_and_batch
):
    model, batch = tagger_and_batch
    trainer = SimpleNamespace(
        model=model, data_loader=[None] * 5, _num_epochs=1, _total_batches_completed=0
    )
    callback = DistillationCallback(str(tmp_path), soft_loss=MseSoftLoss(), alpha=0.25)
    callback.on_start(trainer)
    model.train()
    model._dropout.p = 0.0
    teacher = batch["teacher_logits"].clone()
    output = model(**batch)
    mask = output["mask"]
    expected = distillation_loss(
        output["logits"][mask], teacher[mask], MseSoftLoss(), 0.25, labels=batch["tags"][mask]
    )
    assert output["loss"].item() == pytest.approx(expected.loss.item(), rel=1e-5)
    # Teacher logits on padded positions must not change the loss.
    batch["teacher_logits"] = teacher.clone()
    batch["teacher_logits"][1, 1:] = 1e6
    again = model(**batch)
    assert again["loss"].item() == pytest.approx(output["loss"].item(), rel=1e-5)
    callback.on_end(trainer)


def test_a_tagger_without_encoder_is_the_transformer_teachers_shape(tagger_and_batch):
    model, batch = tagger_and_batch
    batch.pop("teacher_logits")
    teacher = Model.from_params(vocab=model.vocab, params=tagger_params(encoder=False))
    assert isinstance(teacher, DistilledTagger)
    assert teacher(**batch)["logits"].shape == (2, 4, len(TAGS))


def test_distillation_teaches_the_tagger_its_teachers_tags(tmp_path):
    """
    A few optimizer steps on the loss the distillation callback gives (soft loss alone): the
    tagger's MSE to the teacher's logits falls, and it tags as the teacher does.
    """
    reader = TaggingReader()
    path = rows(tmp_path, [(words, tags) for (_, words, _, tags), _ in _sentences()][:20])
    instances = list(reader.read(path))
    vocab = Vocabulary.from_instances(instances)
    for instance in instances:
        reader.apply_token_indexers(instance)
    torch.manual_seed(0)
    model = Model.from_params(vocab=vocab, params=tagger_params())
    batch = Batch(instances)
    batch.index_instances(vocab)
    tensors = batch.as_tensor_dict()
    trainer = SimpleNamespace(
        model=model, data_loader=[None] * 30, _num_epochs=1, _total_batches_completed=0
    )
    callback = DistillationCallback(str(tmp_path), soft_loss=MseSoftLoss(), alpha=0.0)
    callback.on_start(trainer)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    before = model(**tensors)["loss"].item()
    for _ in range(30):
        optimizer.zero_grad()
        output = model(**tensors)
        output["loss"].backward()
        optimizer.step()
    model.eval()
    mask = model(**tensors)["mask"]
    model.train()
    assert model(**tensors)["soft_loss"].item() < 0.2 * before
    model.eval()
    student_tags = model(**tensors)["logits"].argmax(-1)[mask]
    teacher_tags = tensors["teacher_logits"].argmax(-1)[mask]
    assert (student_tags == teacher_tags).float().mean() > 0.9
    callback.on_end(trainer)


def test_teacher_logits_of_another_length_are_a_configuration_error(tmp_path, tagger_and_batch):
    model, batch = tagger_and_batch
    trainer = SimpleNamespace(
        model=model, data_loader=[None], _num_epochs=1, _total_batches_completed=0
    )
    DistillationCallback(str(tmp_path)).on_start(trainer)
    model.train()
    batch["teacher_logits"] = batch["teacher_logits"][:, :3]
    with pytest.raises(ConfigurationError, match=r"teacher logits \(2, 3, 4\) are not one row"):
        model(**batch)


def _sentences():
    from allennlp_distill.dataset_readers.tagging import iter_tagged_rows

    known = set(TAGS)
    for row, logits in iter_tagged_rows(str(FIXTURES / "conll2003_tiny.txt")):
        if set(row[3]) <= known:
            yield row, logits


def crf_tagger(vocab: Vocabulary) -> DistilledTagger:
    params = tagger_params()
    params["crf"] = True
    torch.manual_seed(0)
    return Model.from_params(vocab=vocab, params=params)  # type: ignore[return-value]


@contextmanager
def fixed_logits(model: DistilledTagger, scores: torch.Tensor):
    """While inside, the tag projection outputs `scores` `(batch_size, num_tokens, num_tags)`."""
    handle = model._tag_projection.register_forward_hook(lambda *_: scores)
    try:
        yield
    finally:
        handle.remove()


def test_crf_loss_is_the_sequence_nll_per_real_token(tagger_and_batch):
    model, batch = tagger_and_batch
    batch.pop("teacher_logits")
    tagger = crf_tagger(model.vocab)
    # The one-word sentence ["Paris"] (gold B-LOC) alone: with the transitions at zero, its
    # likelihood is the softmax of its scores (AllenNLP's CRF normalises over every path; the
    # BIO constraints bind the decoding).
    single = {"tokens": {"tokens": {"tokens": batch["tokens"]["tokens"]["tokens"][1:, :1]}}}
    gold = batch["tags"][1:, :1]
    scores = torch.tensor([[[0.5, 1.0, 2.0, -1.0]]])
    with fixed_logits(tagger, scores):
        output = tagger(**single, tags=gold)
    expected = torch.logsumexp(scores[0, 0], 0) - scores[0, 0, gold[0, 0]]
    assert output["loss"].item() == pytest.approx(expected.item(), rel=1e-5)
    assert output["crf_loss"] is output["loss"]
    # Over the whole batch the loss is divided by its 5 real tokens, not by its 2 sentences.
    whole = tagger(**batch)
    total = -tagger._crf(whole["logits"], batch["tags"], whole["mask"])
    assert whole["loss"].item() == pytest.approx(total.item() / 5, rel=1e-5)


def test_crf_decodes_a_valid_bio_path_where_the_argmax_is_not(tagger_and_batch):
    model, batch = tagger_and_batch
    batch.pop("teacher_logits")
    tagger = crf_tagger(model.vocab)
    index = tagger.vocab.get_token_to_index_vocabulary("labels")
    # Per token, argmax: O, I-PER (invalid after O), O, B-LOC; the second sentence is padding.
    scores = torch.zeros(2, 4, len(TAGS))
    for position, (first, second) in enumerate(
        [("O", "B-PER"), ("I-PER", "O"), ("O", "B-LOC"), ("B-LOC", "O")]
    ):
        scores[0, position, index[first]] = 3.0
        scores[0, position, index[second]] = 2.0
    scores[0, 0, index["B-PER"]] = 1.5  # B-PER I-PER (4.5) loses to O O (5)
    scores[1, 0, index["B-LOC"]] = 1.0
    with fixed_logits(tagger, scores):
        output = tagger.make_output_human_readable(tagger(**batch))
    # The best valid path: O I-PER costs -inf, so the second word falls to its next best, O.
    assert output["tags"] == [["O", "O", "O", "B-LOC"], ["B-LOC"]]
    assert output["predicted_tags"][1].tolist() == [index["B-LOC"], 0, 0, 0]
    # Where the argmax is a valid path, the untrained CRF (transitions at 0) decodes it.
    scores[0, 1, index["I-PER"]] = 0.0
    with fixed_logits(tagger, scores):
        output = tagger(**batch)
    assert output["predicted_tags"][0].tolist() == scores[0].argmax(-1).tolist()


def test_crf_metrics_score_the_viterbi_path(tagger_and_batch):
    model, batch = tagger_and_batch
    batch.pop("teacher_logits")
    tagger = crf_tagger(model.vocab)
    index = tagger.vocab.get_token_to_index_vocabulary("labels")
    # Gold is B-PER I-PER O B-LOC / B-LOC. Argmax says O I-PER O B-LOC: a path the CRF cannot
    # take, so it decodes O O O B-LOC (4 against B-PER I-PER's 3). Both get 3 of 5 tokens right,
    # but the argmax's lone I-PER would be a (wrong) PER span: precision 2/3 instead of 1.
    scores = torch.zeros(2, 4, len(TAGS))
    for position, tag in enumerate(["O", "I-PER", "O", "B-LOC"]):
        scores[0, position, index[tag]] = 3.0
    scores[0, 1, index["O"]] = 1.0
    scores[1, 0, index["B-LOC"]] = 3.0
    tagger.get_metrics(reset=True)
    with fixed_logits(tagger, scores):
        tagger(**batch)
    metrics = tagger.get_metrics(reset=True)
    # Viterbi O O O B-LOC + B-LOC: tokens right 1 (O) + 1 (B-LOC) + 1 (B-LOC) = 3 of 5.
    assert metrics["accuracy"] == pytest.approx(3 / 5)
    # Spans: gold PER, LOC, LOC; predicted LOC, LOC: precision 1, recall 2/3.
    assert metrics["precision-overall"] == pytest.approx(1.0)
    assert metrics["recall-overall"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_distillation_callback_takes_the_crf_loss_as_the_hard_loss(
    tmp_path, tagger_and_batch, alpha
):
    model, batch = tagger_and_batch
    tagger = crf_tagger(model.vocab)
    trainer = SimpleNamespace(
        model=tagger, data_loader=[None] * 5, _num_epochs=1, _total_batches_completed=0
    )
    callback = DistillationCallback(str(tmp_path), soft_loss=MseSoftLoss(), alpha=alpha)
    callback.on_start(trainer)
    tagger.train()
    tagger._dropout.p = 0.0
    teacher = batch["teacher_logits"].clone()
    output = tagger(**batch)
    mask = output["mask"]
    nll = -tagger._crf(output["logits"], batch["tags"], mask) / mask.sum()
    soft = MseSoftLoss()(output["logits"][mask], teacher[mask], 1.0)
    assert output["hard_loss"].item() == pytest.approx(nll.item(), rel=1e-5)
    assert output["loss"].item() == pytest.approx(
        (alpha * nll + (1 - alpha) * soft).item(), rel=1e-5
    )
    output["loss"].backward()
    # The transition scores learn from the hard loss only.
    gradient = tagger._crf.transitions.grad
    if alpha == 0.0:
        assert gradient is None or not gradient.any()
    else:
        assert gradient is not None and gradient.abs().sum() > 0
    callback.on_end(trainer)


def test_crf_tagger_decodes_a_padded_batch_as_allennlps_crf_decodes_each_sentence(
    tagger_and_batch,
):
    model, batch = tagger_and_batch
    batch.pop("teacher_logits")
    tagger = crf_tagger(model.vocab).eval()
    strong_crf_scores(tagger._crf, seed=4)
    # Padding positions score too (they must not reach the shorter sentence's path).
    scores = torch.randn(2, 4, len(TAGS)) * 2
    scores[1, 1:, :] = torch.tensor([0.0, 0.0, 9.0, 0.0])
    with fixed_logits(tagger, scores):
        output = tagger(**batch)
    mask = output["mask"]
    expected = [path for path, _ in tagger._crf.viterbi_tags(scores, mask)]
    lengths = mask.sum(dim=1)
    assert [row[:n].tolist() for row, n in zip(output["predicted_tags"], lengths)] == expected
    assert not output["predicted_tags"][~mask].any()
