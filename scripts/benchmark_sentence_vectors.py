"""
How fast a pre-trained teacher encodes an unlabelled corpus on this machine (issue 14: the
teacher's sentence vectors of Wu et al. 2020's approximation), measured in one run: fp32 against
bfloat16 autocast (`allennlp sentence-vectors --precision bf16`), both with the command's own
`encode_sentences` (batches sorted by word-piece count), with how far the bf16 vectors are from
fp32's (cosine and relative difference, after the float16 the command stores).

    .venv/bin/python scripts/benchmark_sentence_vectors.py all-MiniLM-L6-v2 \
        ~/.cache/allennlp_distill/unlabelled.txt --texts 4000
"""

import argparse
import random
import time

import numpy
import torch
from transformers import AutoModel, AutoTokenizer

from allennlp_distill.commands.measure import cpu_name
from allennlp_distill.commands.sentence_vectors import MAX_WORD_PIECES, encode_sentences
from allennlp_distill.predictors.labelling import mixed_precision
from allennlp_distill.teachers import PACKAGED_TEACHERS, resolve_teacher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("teacher", help=f"one of {PACKAGED_TEACHERS} or a HF model dir")
    parser.add_argument("corpus", help="UTF-8 text, one sentence a line")
    parser.add_argument("--texts", type=int, default=4000, help="a seeded sample of this many")
    parser.add_argument("--batch-size", type=int, default=64, help="the command's default")
    parser.add_argument(
        "--max-length", type=int, default=MAX_WORD_PIECES, help="the command's default"
    )
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    teacher_dir = resolve_teacher(args.teacher)
    tokenizer = AutoTokenizer.from_pretrained(teacher_dir)
    model = AutoModel.from_pretrained(teacher_dir).eval()
    with open(args.corpus, encoding="utf-8") as corpus:
        lines = [line.strip() for line in corpus if line.strip()]
    texts = random.Random(13370).sample(lines, min(args.texts, len(lines)))

    def timed(precision):
        with torch.inference_mode(), mixed_precision("cpu", precision):
            encode_sentences(model, tokenizer, texts[:256], "mean", args.max_length, 64)  # warm-up
            start = time.perf_counter()
            vectors = encode_sentences(
                model, tokenizer, texts, "mean", args.max_length, args.batch_size
            )
        return vectors.astype(numpy.float32), len(texts) / (time.perf_counter() - start)

    print(
        f"{len(texts)} sentences from {args.corpus}, {args.teacher}, batch {args.batch_size}, "
        f"{torch.get_num_threads()} threads, {cpu_name()}"
    )
    fp32, fp32_rate = timed("fp32")
    bf16, bf16_rate = timed("bf16")
    print(f"fp32, sorted by length  {fp32_rate:8.1f} sentences/s")
    print(
        f"bf16, sorted by length  {bf16_rate:8.1f} sentences/s  ({bf16_rate / fp32_rate:.2f}x fp32)"
    )
    norms = numpy.linalg.norm(fp32, axis=1) * numpy.linalg.norm(bf16, axis=1)
    cosine = (fp32 * bf16).sum(1) / norms
    relative = numpy.abs(fp32 - bf16).mean() / numpy.abs(fp32).mean()
    print(
        f"bf16 vs fp32: cosine mean {cosine.mean():.6f}, smallest {cosine.min():.6f}; "
        f"mean |difference| {relative:.4f} of the mean |value|"
    )


if __name__ == "__main__":
    main()
