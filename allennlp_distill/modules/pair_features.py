import torch


def pair_features(sentence1: torch.Tensor, sentence2: torch.Tensor) -> torch.Tensor:
    """
    The sentence-pair features of Tang et al. (2019), §3.2 (after Mou et al. 2016):
    `[h1; h2; h1 ⊙ h2; |h1 − h2|]`.

    # Parameters
    sentence1, sentence2 : `torch.Tensor`
        Sentence vectors of the same shape, `(batch_size, dim)`.

    # Returns
    `(batch_size, 4 * dim)`.

    # Raises
    `ValueError` when the shapes differ.

    Scriptable (`torch.jit.script`): the exported siamese student calls it too.
    """
    if sentence1.shape != sentence2.shape:
        raise ValueError(
            f"sentence vectors differ in shape: {list(sentence1.shape)} and "
            f"{list(sentence2.shape)}"
        )
    return torch.cat(
        [sentence1, sentence2, sentence1 * sentence2, (sentence1 - sentence2).abs()], dim=-1
    )
