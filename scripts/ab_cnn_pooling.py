"""
The CNN's max-pooled windows by two implementations in one run: an older checkout of this
repository's `wide_cnn_encoder.py` (read from OLD_CHECKOUT: 9c17f39 for the length-sorted
sub-batches of 32 texts, one matrix product per filter width, of before 2026-12-08; e3b62f0
for the fused `conv1d` of before 2026-12-07; 42fcab9 for one matrix product for all filters)
against this checkout's (`wide_packing` and `max_pooled_packed`: the texts packed without the
batch's padding), on a trained `wide_cnn` student's or sentence encoder's own filters and word
vectors, over texts taken evenly from a file's text column. Eager mode, as AllenNLP's archive
and training run it: inference, and forward plus backward (training); the two alternate, five
passes each, the median printed. Run alone:

    git worktree add /tmp/old_kernel 9c17f39
    .venv/bin/python scripts/ab_cnn_pooling.py /tmp/old_kernel \
        runs/sentence_encoder_cnn50_cosine_tasks_12ep/encoder/model.tar.gz \
        ../shared/data/glue/STS-B/dev.tsv sentence1,sentence2

Prints, per batch size (32 and 256), the largest difference between the two's features and
texts/s of each, with the ratio.
"""

import csv
import statistics
import sys
import time
from typing import Callable, List, Tuple

import torch
from allennlp.data import Batch
from allennlp.models.archival import load_archive

import allennlp_distill  # noqa: F401  (registers the components)
from allennlp_distill.commands.measure import spread
from allennlp_distill.modules import wide_cnn_encoder as matrix

TEXTS = 2048
PASSES = 5


def older_functions(old_checkout: str) -> dict:
    """The older module's functions, without its registered class (already registered)."""
    path = f"{old_checkout}/allennlp_distill/modules/wide_cnn_encoder.py"
    with open(path, encoding="utf-8") as source:
        code = source.read().split('@Seq2VecEncoder.register("wide_cnn")')[0]
    functions: dict = {}
    exec(compile(code, path, "exec"), functions)  # noqa: S102  (our own earlier source)
    return functions


def main(old_checkout: str, archive: str, text_file: str, columns: str) -> None:
    torch.set_num_threads(2)
    old = older_functions(old_checkout)
    loaded = load_archive(archive)
    model, reader = loaded.model.eval(), loaded.validation_dataset_reader
    encoder = model._encoder
    convolutions = encoder._convolution_layers
    with open(text_file, encoding="utf-8") as rows_file:
        rows = list(csv.DictReader(rows_file, delimiter="\t", quoting=csv.QUOTE_NONE))
    texts = spread([row[column] for column in columns.split(",") for row in rows], TEXTS)

    def by_older(vectors: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        padded, padded_mask = old["wide_padding"](vectors, mask, encoder._pad)
        # e3b62f0: (weight, bias, widths); 42fcab9: (filters, bias) and filter_layout's
        # (narrowest, widest); later: filter_layout's list of blocks. Either way the older
        # pooled_by_length's arguments, in order.
        weight, bias, *widths = old["fused_filters"](convolutions)
        layout = old["filter_layout"](convolutions) if "filter_layout" in old else ()
        layout = layout if isinstance(layout, tuple) else (layout,)
        pooled = old["pooled_by_length"](padded, padded_mask.sum(1), weight, *widths, *layout)
        return torch.relu(pooled + bias)

    def by_packing(vectors: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        packed, window_counts = matrix.wide_packing(vectors, mask, encoder._pad)
        filters, bias = matrix.fused_filters(convolutions)
        pooled = matrix.max_pooled_packed(packed, window_counts, filters, encoder._blocks)
        return torch.relu(pooled + bias)

    kinds: List[Tuple[str, Callable]] = [("older", by_older), ("this checkout", by_packing)]
    for batch_size in (32, 256):
        inputs = []
        with torch.no_grad():
            for first in range(0, len(texts), batch_size):
                instances = [reader.text_to_instance(text) for text in texts[first:][:batch_size]]
                for instance in instances:
                    reader.apply_token_indexers(instance)
                batch = Batch(instances)
                batch.index_instances(model.vocab)
                tokens = batch.as_tensor_dict()["tokens"]
                vectors = model._text_field_embedder(tokens)
                inputs.append((vectors, tokens["tokens"]["tokens"] != 0))
            difference = (by_older(*inputs[0]) - by_packing(*inputs[0])).abs().max()
        print(f"batch {batch_size}: largest |older - this checkout| {float(difference):.1e}")
        for mode in ("inference", "training"):
            rates: dict = {name: [] for name, _ in kinds}
            for _ in range(PASSES):
                for name, pool in kinds:
                    began = time.perf_counter()
                    for vectors, mask in inputs:
                        if mode == "inference":
                            with torch.inference_mode():
                                pool(vectors, mask)
                        else:
                            pool(vectors.clone().requires_grad_(True), mask).sum().backward()
                    rates[name].append(len(texts) / (time.perf_counter() - began))
            older, current = (statistics.median(rates[name]) for name, _ in kinds)
            print(
                f"batch {batch_size} {mode}: older {older:,.0f} texts/s, this checkout "
                f"{current:,.0f} texts/s, {current / older:.2f}x",
                flush=True,
            )


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
