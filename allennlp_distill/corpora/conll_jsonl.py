"""
A CoNLL column file as JSON lines `{"tokens": [...], "pos": [...], "tags": [...]}`, the input of
`allennlp transfer-set` for a tagger teacher (one line per sentence, so the command can resume at
any line), written whole or not at all:

    python -m allennlp_distill.corpora.conll_jsonl runs/conll2003/data/train.txt \\
        -o runs/conll2003/data/train.jsonl [--tag-column -1] [--pos-column 1]
"""

import argparse
import json
import os
import tempfile
from typing import List, Optional

from allennlp_distill.dataset_readers.tagging import iter_conll_sentences


def conll_to_jsonl(
    conll_file: str, output_file: str, tag_column: int = -1, pos_column: Optional[int] = 1
) -> int:
    """
    Writes every sentence of `conll_file` (see `iter_conll_sentences`) to `output_file` as one
    JSON object per line, atomically.

    # Returns
    The number of sentences written.

    # Raises
    `DataFormatError` naming the file and line for a malformed CoNLL line (no output is left).
    """
    directory = os.path.dirname(os.path.abspath(output_file))
    os.makedirs(directory, exist_ok=True)
    sentences = 0
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=directory, suffix=".partial", delete=False
    ) as partial:
        try:
            for _, words, pos, tags in iter_conll_sentences(conll_file, tag_column, pos_column):
                row = {"tokens": words}
                if pos is not None:
                    row["pos"] = pos
                if tags is not None:
                    row["tags"] = tags
                partial.write(json.dumps(row, ensure_ascii=False) + "\n")
                sentences += 1
        except BaseException:
            partial.close()
            os.unlink(partial.name)
            raise
    os.replace(partial.name, output_file)
    return sentences


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("conll_file")
    parser.add_argument("-o", "--output-file", required=True)
    parser.add_argument("--tag-column", type=int, default=-1)
    parser.add_argument("--pos-column", type=int, default=1)
    args = parser.parse_args(argv)
    count = conll_to_jsonl(args.conll_file, args.output_file, args.tag_column, args.pos_column)
    print(f"{args.output_file}: {count} sentences")


if __name__ == "__main__":
    main()
