"""
Viterbi decoding of a linear-chain CRF for a whole batch at once, scriptable: the decoder of the
`distilled_tagger`'s optional CRF in the model and in its TorchScript export alike.
"""

import torch
from allennlp.modules import ConditionalRandomField


def viterbi_paths(logits: torch.Tensor, lengths: torch.Tensor, transitions: torch.Tensor):
    """
    The best tag path of each sentence of a batch under a linear-chain CRF (Viterbi; Lample et al.
    2016, §2.2), as AllenNLP's `ConditionalRandomField.viterbi_tags` decodes it one sentence at a
    time, here for the whole batch at once and scriptable: `logits` `(batch_size, num_tokens,
    num_tags)` emission scores, `lengths` `(batch_size,)` real tokens per sentence (at least 1),
    `transitions` `(num_tags + 2, num_tags + 2)` the scores of tag i followed by tag j, row
    `num_tags` from the start, column `num_tags + 1` to the end, forbidden ones at -10000 (see
    `crf_transitions`). Returns `(batch_size, num_tokens)` int64 tag ids, 0 past each length.
    """
    batch_size, num_tokens, num_tags = logits.shape
    pairs = transitions[:num_tags, :num_tags].unsqueeze(0)
    score = transitions[num_tags, :num_tags].unsqueeze(0) + logits[:, 0]
    pointers = []
    for position in range(1, num_tokens):
        best, pointer = (score.unsqueeze(2) + pairs).max(dim=1)
        inside = (position < lengths).unsqueeze(1)
        score = torch.where(inside, best + logits[:, position], score)
        # Past its end a sentence's path stays on its last tag.
        same = torch.arange(num_tags, device=logits.device).expand(batch_size, num_tags)
        pointers.append(torch.where(inside, pointer, same))
    last = (score + transitions[:num_tags, num_tags + 1].unsqueeze(0)).argmax(dim=1)
    path = [last]
    for pointer in pointers[::-1]:
        last = pointer.gather(1, last.unsqueeze(1)).squeeze(1)
        path.append(last)
    tags = torch.stack(path[::-1], dim=1)
    inside = torch.arange(num_tokens, device=logits.device).unsqueeze(0) < lengths.unsqueeze(1)
    return tags * inside


def crf_transitions(crf: ConditionalRandomField) -> torch.Tensor:
    """
    The `(num_tags + 2, num_tags + 2)` transition scores `viterbi_paths` takes, built from an
    AllenNLP `ConditionalRandomField` as its `viterbi_tags` builds them: its transitions, start
    and end scores where its constraints allow the transition, -10000 where they do not.
    """
    num_tags = crf.num_tags
    allowed = crf._constraint_mask.detach()
    scores = torch.zeros(num_tags + 2, num_tags + 2, device=crf.transitions.device)
    scores[:num_tags, :num_tags] = crf.transitions.detach()
    if crf.include_start_end_transitions:
        scores[num_tags, :num_tags] = crf.start_transitions.detach()
        scores[:num_tags, num_tags + 1] = crf.end_transitions.detach()
    return scores * allowed + -10000.0 * (1 - allowed)
