"""
A copy of an AllenNLP archive whose config has some keys overridden (AllenNLP's dotted `-o`
keys), weights and vocabulary untouched: to measure, in one `allennlp distill-report` run, a model
trained before a component was swapped for an equivalent one with the same parameters, e.g. a
tagger's character CNN as `real_word_characters` instead of `character_encoding`:

    .venv/bin/python scripts/retype_archive.py runs/conll2003/student/model.tar.gz \\
        runs/conll2003/student_real_words.tar.gz \\
        model.text_field_embedder.token_embedders.token_characters.type=real_word_characters

The copy is loaded once before it is written, so a key that does not fit fails here.
"""

import argparse
import io
import json
import os
import tarfile

from allennlp.common.params import with_overrides
from allennlp.models.archival import load_archive

import allennlp_distill  # noqa: F401  (registers the plugin's components)


def parse(pair: str):
    """`KEY=VALUE` as (KEY, VALUE), VALUE read as JSON when it is JSON, else as a string."""
    key, sep, value = pair.partition("=")
    if not sep:
        raise SystemExit(f"{pair!r}: expected KEY=VALUE")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive")
    parser.add_argument("output")
    parser.add_argument(
        "overrides", nargs="+", help="KEY=VALUE (a dotted key; VALUE as JSON or a string)"
    )
    args = parser.parse_args()
    with tarfile.open(args.archive, "r:gz") as source:
        members = [(member, source.extractfile(member)) for member in source.getmembers()]
        contents = {m.name: f.read() if f else None for m, f in members}
    config = with_overrides(
        json.loads(contents["config.json"]), dict(parse(pair) for pair in args.overrides)
    )
    contents["config.json"] = json.dumps(config, indent=4).encode()
    with tarfile.open(args.output + ".tmp", "w:gz") as target:
        for member, _ in members:
            data = contents[member.name]
            if data is not None:
                member.size = len(data)
                target.addfile(member, io.BytesIO(data))
            else:
                target.addfile(member)
    try:
        load_archive(args.output + ".tmp")
    except Exception:
        os.remove(args.output + ".tmp")
        raise
    os.replace(args.output + ".tmp", args.output)


if __name__ == "__main__":
    main()
