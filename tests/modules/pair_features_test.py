import pytest
import torch

from allennlp_distill.modules import pair_features


def test_pair_features_are_both_vectors_their_product_and_absolute_difference():
    u = torch.tensor([[1.0, -2.0]])
    v = torch.tensor([[3.0, 4.0]])
    assert pair_features(u, v).tolist() == [[1.0, -2.0, 3.0, 4.0, 3.0, -8.0, 2.0, 6.0]]


def test_the_product_and_difference_parts_do_not_depend_on_the_order():
    u, v = torch.randn(5, 3), torch.randn(5, 3)
    assert torch.equal(pair_features(u, v)[:, 6:], pair_features(v, u)[:, 6:])


def test_vectors_of_different_shapes_are_an_error():
    with pytest.raises(ValueError, match="differ in shape"):
        pair_features(torch.zeros(2, 3), torch.zeros(2, 4))
