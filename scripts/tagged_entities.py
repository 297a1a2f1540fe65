"""
How many entities a tagger teacher finds in a token-level transfer set: per file, the sentences
read, the share of tokens whose argmax tag is not `O`, the share of sentences with at least one
such token, entities (`B-` tags) per 100 tokens, and each entity type's share of them.

    python scripts/tagged_entities.py --originals runs/conll2003_mpnet/transfer.jsonl \\
        runs/conll2003_unlab/unlabelled_logits.jsonl

`--originals` reads only the rows that are not augmented copies, in every file.
"""

import argparse
import collections
import json
from typing import Dict, List, Optional


def entity_counts(path: str, originals_only: bool = False) -> Dict:
    """The counts above for the transfer set `path` (BIO tags keyed in `teacher_logits`)."""
    sentences = tokens = entity_tokens = with_entity = 0
    types: collections.Counter = collections.Counter()
    with open(path, encoding="utf-8") as rows:
        for line in rows:
            row = json.loads(line)
            if originals_only and row.get("augmented"):
                continue
            logits = row["teacher_logits"]
            tags = [max(logits, key=lambda tag: logits[tag][i]) for i in range(len(row["tokens"]))]
            sentences += 1
            tokens += len(tags)
            entity_tokens += sum(tag != "O" for tag in tags)
            with_entity += any(tag != "O" for tag in tags)
            types.update(tag[2:] for tag in tags if tag.startswith("B-"))
    entities = sum(types.values())
    return {
        "sentences": sentences,
        "entity_tokens_percent": 100 * entity_tokens / tokens,
        "sentences_with_entity_percent": 100 * with_entity / sentences,
        "entities_per_100_tokens": 100 * entities / tokens,
        "types_percent": {kind: 100 * n / entities for kind, n in types.most_common()},
    }


def main(argv: Optional[List[str]] = None) -> None:
    """Prints one line of counts per file (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--originals", action="store_true")
    args = parser.parse_args(argv)
    for path in args.files:
        counts = entity_counts(path, args.originals)
        types = ", ".join(
            f"{kind} {share:.0f} %" for kind, share in counts["types_percent"].items()
        )
        print(
            f"{path}: {counts['sentences']:,} sentences; entity tokens "
            f"{counts['entity_tokens_percent']:.1f} %; sentences with one "
            f"{counts['sentences_with_entity_percent']:.1f} %; entities per 100 tokens "
            f"{counts['entities_per_100_tokens']:.2f}; {types}"
        )


if __name__ == "__main__":
    main()
