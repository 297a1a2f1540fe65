"""
What `allennlp distill-report` measures of one model: its task metrics on a gold file (through
`scoring`), its parameters, its size on disk, the memory of a process serving it
(`serving_memory`), and its CPU throughput and latency, for an archive (optionally quantized to
int8) or a `distill-export` directory. `allennlp_distill.commands.report` writes the rows into a
report.
"""

import io
import os
import platform
import statistics
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, TypeVar

import torch
from allennlp.data import Batch, Instance
from allennlp.data.fields import TextField
from allennlp.models import Model
from allennlp.models.archival import load_archive
from allennlp.modules.token_embedders import (
    Embedding,
    PretrainedTransformerEmbedder,
    PretrainedTransformerMismatchedEmbedder,
)
from allennlp.nn.util import move_to_device

from allennlp_distill.commands.scoring import (
    METRICS,
    archive_metrics,
    evaluate_exported,
    evaluate_exported_tagger,
    instance_metrics,
)
from allennlp_distill.commands.serving_memory import encoder_serving_memory_mb, serving_memory_mb
from allennlp_distill.modules.packaged_word_vectors import PackagedWordVectors
from allennlp_distill.modules.wide_cnn_encoder import LENGTH_CHUNK
from allennlp_distill.predictors.labelling import mixed_precision, quantize_int8
from allennlp_distill.serving import read_metadata

T = TypeVar("T")
B = TypeVar("B")


#: How a report may run an archive's model: as trained, dynamically quantized to int8 (CPU), or
#: under bfloat16 autocast (mixed precision: matrix products in bf16, reductions in fp32).
VARIANTS = ("", "int8", "bf16")


def measure(
    name: str,
    archive_path: str,
    variant: str,
    eval_file: str,
    texts: int,
    batch_sizes: Sequence[int],
    progress,
    heldout_file: Optional[str] = None,
    cuda_device: int = -1,
) -> Dict[str, Any]:
    """
    The row of one model; see `write_report`. `variant` is one of `VARIANTS`; `cuda_device` ≥ 0
    runs an archive's model (metrics and timing) on that GPU, its inputs already on it, each
    timed call ended by `torch.cuda.synchronize`. An archive that embeds with a pre-trained
    transformer runs each timed batch as length-sorted sub-batches (`length_sorted_parts`), as
    the exported students do; any other archive as one padded batch, as AllenNLP does.
    """
    if os.path.isdir(archive_path):
        return measure_exported(
            name, archive_path, eval_file, texts, batch_sizes, progress, heldout_file
        )
    archive = load_archive(archive_path)
    model, reader = archive.model, archive.validation_dataset_reader
    model.eval()
    instances = list(reader.read(eval_file))
    for instance in instances:
        reader.apply_token_indexers(instance)
    parameters = count_parameters(model)
    size = os.path.getsize(archive_path)
    if variant == "int8":
        model = quantize_int8(model)
        buffer = io.BytesIO()
        torch.save(model.state_dict(), buffer)
        size = buffer.tell()
    device = torch.device("cpu") if cuda_device < 0 else torch.device("cuda", cuda_device)
    model.to(device)
    progress.set_postfix_str(f"{name}: evaluate")
    row: Dict[str, Any] = {
        "name": name,
        "archive": archive_path,
        "int8": variant == "int8",
        "bf16": variant == "bf16",
    }
    with mixed_precision(device.type, _precision(variant)):
        row.update(instance_metrics(model, instances, cuda_device))
        progress.update(1)
        if heldout_file:
            row["heldout"] = archive_metrics(model, reader, heldout_file, cuda_device)
    row.update(parameters)
    row["size_mb"] = size / 1e6
    timed = spread(instances, texts)
    if "tags" in instances[0].fields:
        row["tokens_per_text"] = tokens_per_text([len(i["tokens"]) for i in timed])

    sub_batches = runs_a_transformer(model)

    def batch_of(chunk: Sequence[Instance]) -> List[Dict[str, Any]]:
        parts = serving_parts(chunk, sub_batches)
        return [move_to_device(_tensors(model, part), device) for part in parts]

    def forward(parts: List[Dict[str, Any]]) -> Any:
        outputs = [model(**tensors) for tensors in parts]
        if device.type == "cuda":
            torch.cuda.synchronize(device)  # the GPU's work is done, not only queued
        return outputs

    if device.type == "cpu":
        progress.set_postfix_str(f"{name}: memory")
        row["serving_memory_mb"] = serving_memory_mb(
            archive_path, variant, eval_file, torch.get_num_threads()
        )
    with torch.inference_mode(), mixed_precision(device.type, _precision(variant)):
        row.update(
            measure_speed(
                name,
                timed,
                batch_sizes,
                batch_of,
                forward,
                progress,
            )
        )
    progress.update(1)
    return row


def cpu_name(cpuinfo: str = "/proc/cpuinfo") -> str:
    """
    The processor's model name as Linux gives it (the first `model name` line of `cpuinfo`, e.g.
    "Intel(R) Xeon(R) Processor"), else `platform.processor()` or the architecture: speed ratios
    depend on the CPU (bf16 and int8 kernels differ between processors), so reports name it.
    """
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def runs_a_transformer(model: Model) -> bool:
    """Whether the model embeds with a pre-trained transformer (a teacher, or a student cut from
    one), which a report times on length-sorted sub-batches (`length_sorted_parts`)."""
    kinds = (PretrainedTransformerEmbedder, PretrainedTransformerMismatchedEmbedder)
    return any(isinstance(module, kinds) for module in model.modules())


def serving_parts(instances: Sequence[Instance], sub_batches: bool) -> List[List[Instance]]:
    """
    One batch of `instances` as a report runs it, timed (`measure`) and served for its
    peak memory (`serving_memory.serving_memory_mb`) alike: `length_sorted_parts` where
    `sub_batches` (a model that `runs_a_transformer`), else the whole batch, as AllenNLP pads it.
    """
    return length_sorted_parts(instances) if sub_batches else [list(instances)]


def length_sorted_parts(instances: Sequence[Instance]) -> List[List[Instance]]:
    """
    A batch's instances sorted by their number of tokens and cut into sub-batches of
    `LENGTH_CHUNK`, as the transformer students' exports run a batch (and
    sentence-transformers' `encode`): a transformer's batch padded to its longest text would be
    timed on padding.
    """

    def length(instance: Instance) -> int:  # its tokens, over every text field (a pair's too)
        return sum(len(field) for field in instance.fields.values() if isinstance(field, TextField))

    ordered = sorted(instances, key=length)
    return [ordered[i : i + LENGTH_CHUNK] for i in range(0, len(ordered), LENGTH_CHUNK)]


def spread(items: Sequence[T], count: int) -> List[T]:
    """
    `count` of `items`, taken evenly over the whole sequence in its order (every item `count //
    len(items)` times, then the rest evenly spaced), the texts a report times: the first `count`
    of a file sorted by source (STS-B dev: captions first, then forums and news, about twice as
    long) would time mostly one kind of text.
    """
    whole, rest = divmod(count, len(items)) if items else (0, 0)
    return list(items) * whole + [items[(i * len(items)) // rest] for i in range(rest)]


def tokens_per_text(lengths: Sequence[int]) -> float:
    """The mean number of words of the timed texts of a tagger: its speed is also read in words/s
    (the report's tokens/s column)."""
    return sum(lengths) / len(lengths)


def _precision(variant: str) -> str:
    """The `mixed_precision` of a `VARIANTS` entry: `"bf16"` for it, none for the others."""
    return "bf16" if variant == "bf16" else ""


def measure_exported(
    name: str,
    export_dir: str,
    eval_file: str,
    texts: int,
    batch_sizes: Sequence[int],
    progress,
    heldout_file: Optional[str] = None,
) -> Dict[str, Any]:
    """The row of a `distill-export` directory; see `write_report`."""
    from allennlp_distill.serving import ExportedStudent

    student = ExportedStudent(export_dir)
    progress.set_postfix_str(f"{name}: evaluate")
    evaluate_rows = evaluate_exported_tagger if student.tagger else evaluate_exported
    rows, metrics = evaluate_rows(student, eval_file)
    progress.update(1)
    timed = spread(rows, texts)
    row: Dict[str, Any] = {"name": name, "archive": export_dir, **metrics}
    row.update(export_footprint(export_dir))
    if student.tagger:
        row["tokens_per_text"] = tokens_per_text([len(r["tokens"]) for r in timed])
    if heldout_file:
        row["heldout"] = evaluate_rows(student, heldout_file)[1]
    progress.set_postfix_str(f"{name}: memory")
    row["serving_memory_mb"] = serving_memory_mb(export_dir, "", eval_file, torch.get_num_threads())

    def decoded(inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        return student.tag_ids(student.outputs(inputs), (inputs[0] != 0).sum(dim=1))

    # A CRF tagger serves its Viterbi path: decoding is part of its speed, as in the archive's.
    forward = decoded if student.crf else student.outputs
    row.update(measure_speed(name, timed, batch_sizes, student.inputs, forward, progress))
    progress.update(1)
    return row


def export_footprint(export_dir: str) -> Dict[str, Any]:
    """
    A `distill-export` folder's `parameters` and `parameters_without_embeddings` as its
    `vocab.json` records them (counted before any `--int8` quantization), `size_mb` (its files,
    MB of 10**6 bytes) and `int8`.
    """
    meta = read_metadata(export_dir)
    return {
        "int8": bool(meta.get("int8")),
        "parameters": meta["parameters"],
        "parameters_without_embeddings": meta["parameters_without_embeddings"],
        "size_mb": folder_mb(export_dir),
    }


def folder_mb(folder: str) -> float:
    """The files directly in `folder`, in MB of 10**6 bytes."""
    paths = [os.path.join(folder, name) for name in os.listdir(folder)]
    return sum(os.path.getsize(path) for path in paths if os.path.isfile(path)) / 1e6


def measure_sentence_encoder(
    name: str,
    spec: str,
    eval_file: str,
    texts: int,
    batch_sizes: Sequence[int],
    progress,
    heldout_file: Optional[str] = None,
) -> Dict[str, Any]:
    """
    The row of one sentence encoder (Wu et al. 2020) in a report on a similarity file
    (`sts_eval.LAYOUTS`): `spearman` and `pearson` of its pairs' cosines with the gold scores
    (as fractions, the report's unit; `sts-eval` prints the same × 100), on `eval_file` and
    under `heldout` on `heldout_file`; `pairs`; parameters and size as served
    (`SentenceEncoder.footprint`); `serving_memory_mb` (`encoder_serving_memory_mb`); and
    `throughput` / `latency_ms` of the forward pass over `texts` of the file's sentences, taken
    evenly over all of them (`spread`), tokenized beforehand. `spec` is an `sts-eval` encoder:
    an archive, a `distill-export` folder or `teacher:NAME_OR_DIR`.

    # Raises
    `ConfigurationError` for a spec that is none of those (`sentence_encoders.build_encoder`);
    `DataFormatError` naming `file:line` for a file that is no similarity file; `ValueError`
    for a sentence of no tokens; `RuntimeError` when the process serving it fails.
    """
    from allennlp_distill.commands.sentence_encoders import build_encoder
    from allennlp_distill.commands.sts_eval import read_similarity_pairs, similarity_correlations

    pairs = read_similarity_pairs(eval_file)
    heldout_pairs = read_similarity_pairs(heldout_file) if heldout_file else None
    progress.set_postfix_str(f"{name}: evaluate")
    encoder = build_encoder(spec)
    row: Dict[str, Any] = {"name": name, "archive": spec, "int8": False}
    row.update(_fractions(similarity_correlations(encoder, *pairs)))
    if heldout_pairs:
        row["heldout"] = _fractions(similarity_correlations(encoder, *heldout_pairs))
    progress.update(1)
    row.update(encoder.footprint())
    progress.set_postfix_str(f"{name}: memory")
    row["serving_memory_mb"] = encoder_serving_memory_mb(
        encoder, pairs[0] + pairs[1], torch.get_num_threads()
    )
    timed = spread(pairs[0] + pairs[1], texts)
    row.update(measure_speed(name, timed, batch_sizes, encoder.prepare, encoder.forward, progress))
    progress.update(1)
    return row


def _fractions(correlations: Dict[str, Any]) -> Dict[str, Any]:
    """`sts-eval`'s correlations × 100 as the report's fractions; undefined ones left out."""
    return {
        key: value / 100 if key in METRICS else value
        for key, value in correlations.items()
        if value is not None
    }


def count_parameters(model: Model) -> Dict[str, int]:
    """
    All weights, and those outside embedding matrices (word, position, segment). The frozen rows
    of an open-vocabulary embedder (`packaged_word_vectors`) and its static channel's rows are
    weights too, though not trained; a CRF's constraint mask (a constant AllenNLP keeps as a
    `Parameter`) is not.
    """
    embedders = [
        module
        for module in model.modules()
        if isinstance(module, (torch.nn.Embedding, Embedding, PackagedWordVectors))
    ]
    embedding_ids = {id(parameter) for module in embedders for parameter in module.parameters()}
    frozen = sum(
        buffer.numel()
        for module in embedders
        if isinstance(module, PackagedWordVectors)
        for name, buffer in module.named_buffers()
        if name in ("frozen_weight", "static_weight")
    )
    weights = [p for name, p in model.named_parameters() if not name.endswith("_constraint_mask")]
    total = sum(parameter.numel() for parameter in weights) + frozen
    embeddings = sum(p.numel() for p in weights if id(p) in embedding_ids) + frozen
    return {"parameters": total, "parameters_without_embeddings": total - embeddings}


def measure_speed(
    name: str,
    items: Sequence[T],
    batch_sizes: Sequence[int],
    batch_of: Callable[[Sequence[T]], B],
    forward: Callable[[B], Any],
    progress,
) -> Dict[str, Dict[Any, float]]:
    """
    `throughput` (items/s per batch size) and `latency_ms` (`p50`, `p95` of the batch-1 calls)
    of `forward` over `items`, in batches built by `batch_of` beforehand (not timed), each batch
    size after two warm-up calls.
    """
    speed: Dict[str, Dict[Any, float]] = {"throughput": {}, "latency_ms": {}}
    for batch_size in batch_sizes:
        progress.set_postfix_str(f"{name}: batch {batch_size}")
        batches = [
            batch_of(items[first : first + batch_size])
            for first in range(0, len(items), batch_size)
        ]
        for batch in batches[:2]:
            forward(batch)
        seconds = []
        for batch in batches:
            began = time.perf_counter()
            forward(batch)
            seconds.append(time.perf_counter() - began)
        speed["throughput"][batch_size] = len(items) / sum(seconds)
        if batch_size == 1:
            speed["latency_ms"] = {
                "p50": 1000 * statistics.median(seconds),
                "p95": 1000 * statistics.quantiles(seconds, n=20)[-1],
            }
        progress.update(1)
    return speed


def _tensors(model: Model, instances: Sequence[Instance]) -> Dict[str, Any]:
    """The model's input tensors for `instances`, without targets."""
    batch = Batch(list(instances))
    batch.index_instances(model.vocab)
    tensors = batch.as_tensor_dict()
    for target in ("label", "tags", "teacher_logits"):
        tensors.pop(target, None)
    return tensors
