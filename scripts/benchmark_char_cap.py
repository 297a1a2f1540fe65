"""
An exported tagger's throughput at batch 256 (sentences in file order) with every word's
characters against characters cut to the first K, and the token accuracy of each, without
retraining: what a `capped_characters` indexer would buy before a student is trained with one.

    .venv/bin/python scripts/benchmark_char_cap.py runs/ud_pos/before_cap/student_export \\
        runs/ud_pos/data/dev.txt --caps 30 20
"""

import argparse
import time

import torch

from allennlp_distill.serving import ExportedStudent


def read_conll(path: str):
    """(words, tags) per sentence of a CoNLL column file: words first, the tag last."""
    sentences, words, tags = [], [], []
    for line in open(path, encoding="utf-8"):
        columns = line.split()
        if not columns or columns[0] == "-DOCSTART-":
            if words:
                sentences.append((words, tags))
            words, tags = [], []
            continue
        words.append(columns[0])
        tags.append(columns[-1])
    if words:
        sentences.append((words, tags))
    return sentences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export_dir")
    parser.add_argument("conll_file")
    parser.add_argument("--caps", type=int, nargs="+", default=[30, 20])
    parser.add_argument("--texts", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    student = ExportedStudent(args.export_dir)
    data = read_conll(args.conll_file)[: args.texts]
    for cap in [None] + args.caps:
        batches = []
        for start in range(0, len(data), args.batch_size):
            words = [w for w, _ in data[start : start + args.batch_size]]
            token_ids, char_ids = student.tagger_inputs(words)
            batches.append((token_ids, char_ids[:, :, :cap].contiguous() if cap else char_ids))
        for batch in batches[:2]:  # warm-up
            student.outputs(list(batch))
        start_time = time.perf_counter()
        outputs = [student.outputs(list(batch)) for batch in batches]
        rate = len(data) / (time.perf_counter() - start_time)
        right = total = 0
        for number, logits in enumerate(outputs):
            sentences = data[number * args.batch_size : (number + 1) * args.batch_size]
            lengths = torch.tensor([len(words) for words, _ in sentences])
            # The tags the export serves (a CRF tagger's Viterbi path).
            for row, (words, tags) in zip(student.tag_ids(logits, lengths), sentences):
                predicted = row[: len(words)].tolist()
                right += sum(student.labels[p] == gold for p, gold in zip(predicted, tags))
                total += len(tags)
        widths = [batch[1].shape[2] for batch in batches]
        print(
            f"characters {cap or 'all'}: widths {min(widths)}-{max(widths)}, "
            f"{rate:.0f} sentences/s, accuracy {100 * right / total:.2f}"
        )


if __name__ == "__main__":
    main()
