import copy

import torch
from allennlp.common import Params
from allennlp.modules.token_embedders import TokenCharactersEncoder, TokenEmbedder

from allennlp_distill.modules import RealWordCharactersEncoder

CONFIG = {
    "embedding": {"embedding_dim": 4, "num_embeddings": 12},
    "encoder": {"type": "cnn", "embedding_dim": 4, "num_filters": 5, "ngram_filter_sizes": [2, 3]},
}


def encoders():
    """AllenNLP's character_encoding and ours, with the same weights."""
    torch.manual_seed(0)
    reference = TokenEmbedder.from_params(
        Params({"type": "character_encoding", **copy.deepcopy(CONFIG)})
    )
    ours = TokenEmbedder.from_params(
        Params({"type": "real_word_characters", **copy.deepcopy(CONFIG)})
    )
    with torch.no_grad():  # a positive bias: a zero for a padding word must come from masking
        for layer in reference._encoder._module._convolution_layers:
            layer.bias.fill_(0.3)
    ours.load_state_dict(reference.state_dict())  # the same parameter names
    return reference, ours


# Two sentences of 4 and 2 words (4 character slots each; 0 is padding).
CHARACTERS = torch.tensor(
    [
        [[3, 4, 5, 0], [6, 7, 0, 0], [8, 9, 10, 11], [2, 3, 0, 0]],
        [[5, 5, 5, 0], [11, 2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
    ]
)


def test_it_gives_allennlps_encoding_real_words_and_zero_padding_words():
    reference, ours = encoders()
    assert isinstance(ours, RealWordCharactersEncoder) and isinstance(ours, TokenCharactersEncoder)
    expected, got = reference(CHARACTERS), ours(CHARACTERS)
    assert got.shape == expected.shape == (2, 4, 10)
    assert torch.allclose(got, expected, atol=1e-6)  # padding words included
    real = (CHARACTERS != 0).any(dim=-1)
    assert torch.equal(got[~real], torch.zeros_like(got[~real]))
    assert not torch.equal(got[real], torch.zeros_like(got[real]))


def test_gradients_reach_the_characters_of_real_words_as_in_allennlps():
    reference, ours = encoders()
    real = (CHARACTERS != 0).any(dim=-1)
    reference(CHARACTERS)[real].sum().backward()
    ours(CHARACTERS)[real].sum().backward()
    for (name, expected), (_, got) in zip(reference.named_parameters(), ours.named_parameters()):
        assert got.grad is not None and torch.allclose(got.grad, expected.grad, atol=1e-5), name


def test_a_batch_of_padding_only_is_zeros_and_an_empty_batch_keeps_its_shape():
    _, ours = encoders()
    assert torch.equal(ours(torch.zeros(2, 3, 4, dtype=torch.long)), torch.zeros(2, 3, 10))
    assert ours(torch.zeros(0, 3, 4, dtype=torch.long)).shape == (0, 3, 10)
