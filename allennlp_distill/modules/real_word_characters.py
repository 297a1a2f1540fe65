import torch
from allennlp.modules.token_embedders import TokenCharactersEncoder, TokenEmbedder


@TokenEmbedder.register("real_word_characters")
class RealWordCharactersEncoder(TokenCharactersEncoder):
    """
    AllenNLP's `character_encoding` (a character embedding and a `Seq2VecEncoder` over each word's
    characters; Ma & Hovy 2016's character CNN in our taggers) that encodes only the real words of
    a padded batch. `TokenCharactersEncoder` runs its encoder over every position of the batch's
    `(batch_size, num_tokens)` grid, and a CoNLL-2003 dev batch of 256 sentences is about three
    quarters padding words; here the real words (a word with at least one character) are gathered,
    encoded, and scattered back. The same parameters and names (an archive trained with either
    type loads into the other) and the same outputs: each real word's encoding, and 0 for a
    padding word (AllenNLP's `cnn` masks every window of a word without characters).
    `distill-export`'s tagger does the same (`ExportableTagger`).

    Registered as a `TokenEmbedder` with name "real_word_characters".

    # Parameters
    embedding : `Embedding`
        The character embedding.
    encoder : `Seq2VecEncoder`
        The encoder over one word's embedded characters (e.g. `cnn`).
    dropout : `float`, optional (default = `0.0`)
        Dropout on the encoder's output. (All three as `TokenCharactersEncoder` takes them.)
    """

    def forward(self, token_characters: torch.Tensor) -> torch.Tensor:
        """
        # Parameters
        token_characters : `torch.Tensor`
            `(batch_size, num_tokens, num_characters)` character ids, 0 for padding.

        # Returns
        `(batch_size, num_tokens, encoder output dim)`: each real word's encoding, 0 for a
        padding word.
        """
        words = token_characters.reshape(-1, token_characters.shape[-1])
        real = (words != 0).any(dim=1).nonzero().squeeze(1)
        dim = self.get_output_dim()
        if real.numel() == 0:
            return words.new_zeros(*token_characters.shape[:-1], dim, dtype=torch.float)
        chars = words.index_select(0, real)  # (num_real_words, num_characters)
        encoded = self._dropout(self._encoder._module(self._embedding._module(chars), chars != 0))
        output = encoded.new_zeros(words.shape[0], dim).index_copy(0, real, encoded)
        return output.view(*token_characters.shape[:-1], dim)
