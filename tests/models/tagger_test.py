import json
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
from tests.conftest import FIXTURES

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
