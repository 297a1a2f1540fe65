"""
Serving an exported student (`allennlp distill-export`) with torch and spaCy only: this file
imports nothing from AllenNLP or from the rest of this package, so it can be copied next to a
service, or run as a file (not with `-m`, which would import the package):

    python allennlp_distill/serving.py runs/sst2/student_export "a gorgeous , witty movie ."

prints one JSON line per text with the label and its probabilities. `ExportedStudent` is the
whole serving path: spaCy's English tokenization rules (as the `spacy_rules` tokenizer), the
vocabulary lookup (`@@UNKNOWN@@` for unseen words), padding, the TorchScript forward pass.
"""

import json
import os
import sys
from typing import Dict, List, Sequence

import spacy
import torch
from spacy.symbols import ORTH
from spacy.tokenizer import Tokenizer

PADDING, UNKNOWN = 0, 1


class ExportedStudent:
    """
    A student exported by `allennlp distill-export`, loaded from its directory.

    # Raises
    `FileNotFoundError` when the directory lacks `student.ts` or `vocab.json`.
    """

    def __init__(self, export_dir: str) -> None:
        with open(os.path.join(export_dir, "vocab.json"), encoding="utf-8") as vocab_file:
            vocab = json.load(vocab_file)
        self.labels: List[str] = vocab["labels"]
        self.text_column: str = vocab["text_column"]
        self.label_column: str = vocab["label_column"]
        self._index = {token: index for index, token in enumerate(vocab["tokens"])}
        self._lowercase = vocab["lowercase_tokens"]
        self._model = torch.jit.load(os.path.join(export_dir, "student.ts"))
        self._tokenizer: Tokenizer = spacy.blank("en").tokenizer
        for special in ("[MASK]", "<mask>"):
            self._tokenizer.add_special_case(special, [{ORTH: special}])

    def token_ids(self, texts: Sequence[str]) -> torch.Tensor:
        """`(len(texts), longest)` int64 ids, 0-padded."""
        rows = []
        for text in texts:
            words = [t.text for t in self._tokenizer(text) if not t.is_space]
            words = [word.lower() for word in words] if self._lowercase else words
            rows.append([self._index.get(word, UNKNOWN) for word in words] or [UNKNOWN])
        longest = max(len(row) for row in rows)
        return torch.tensor([row + [PADDING] * (longest - len(row)) for row in rows])

    def logits(self, token_ids: torch.Tensor) -> torch.Tensor:
        """`(batch_size, num_labels)` logits for `token_ids` from `token_ids()`."""
        with torch.inference_mode():
            return self._model(token_ids)

    def predict(self, texts: Sequence[str]) -> List[Dict[str, object]]:
        """Per text: `label` and `probs` (`{label: probability}`)."""
        probs = torch.softmax(self.logits(self.token_ids(texts)), dim=-1)
        return [
            {
                "label": self.labels[int(row.argmax())],
                "probs": dict(zip(self.labels, row.tolist())),
            }
            for row in probs
        ]


if __name__ == "__main__":
    student = ExportedStudent(sys.argv[1])
    for output in student.predict(sys.argv[2:]):
        print(json.dumps(output))
