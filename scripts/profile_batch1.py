"""
Where an exported student's batch-1 time goes: the whole TorchScript forward against its LSTM
alone, on the texts of an evaluation file, one text per call (best of three passes, µs per text).
Also times the same LSTM with oneDNN off, and a smaller LSTM, for comparison.

    .venv/bin/python scripts/profile_batch1.py runs/sst2_vocab/student_export \\
        ../shared/data/glue/SST-2/dev.tsv --threads 2
"""

import argparse
import runpy
import time
import warnings
from typing import Callable, List, Sequence

import torch


def per_call_us(function: Callable[[torch.Tensor], object], inputs: Sequence[torch.Tensor]):
    """Best of three passes over `inputs` (after 20 warm-up calls), in µs per call (a float)."""
    best = float("inf")
    for _ in range(3):
        for value in inputs[:20]:
            function(value)
        began = time.perf_counter()
        for value in inputs:
            function(value)
        best = min(best, (time.perf_counter() - began) / len(inputs) * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("export_dir")
    parser.add_argument("eval_file", help="a file with a header row and the text in column 1")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--texts", type=int, default=400)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(args.threads)
    # serving.py imports no AllenNLP; run it as a file, as a service would.
    student = runpy.run_path("allennlp_distill/serving.py")["ExportedStudent"](args.export_dir)
    with open(args.eval_file, encoding="utf-8") as eval_file:
        texts = [line.split("\t")[0] for line in eval_file.read().splitlines()[1:]][: args.texts]
    ids: List[torch.Tensor] = [student.token_ids([text]) for text in texts]
    # The student's own LSTM weights do not change its speed: a fresh one of the same sizes.
    dim = int(student._model.encoder.embedding.weight.shape[1])
    hidden = int(student._model.encoder.lstm.hidden_size)
    embedded = [torch.randn(1, row.shape[1], dim) for row in ids]
    tokens = sum(row.shape[1] for row in ids) / len(ids)
    lstm = torch.nn.LSTM(dim, hidden, batch_first=True, bidirectional=True).eval()
    small = torch.nn.LSTM(dim, hidden * 2 // 3, batch_first=True, bidirectional=True).eval()
    print(f"{len(ids)} texts, {tokens:.1f} tokens on average, {args.threads} threads")
    with torch.inference_mode():
        print(f"exported student forward   {per_call_us(student._model, ids):7.0f} us")
        print(f"its BiLSTM alone (oneDNN)  {per_call_us(lstm, embedded):7.0f} us")
        with torch.backends.mkldnn.flags(enabled=False):
            print(f"its BiLSTM alone (native)  {per_call_us(lstm, embedded):7.0f} us")
        print(f"BiLSTM of 2/3 the hidden   {per_call_us(small, embedded):7.0f} us")


if __name__ == "__main__":
    main()
