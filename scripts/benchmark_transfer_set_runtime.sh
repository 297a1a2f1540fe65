#!/usr/bin/env bash
# The whole `allennlp transfer-set` command (loading, augmentation, labelling, writing) timed with
# the teacher run by torch, then by ONNX Runtime, on the same input; then how far their rows differ.
#   bash scripts/benchmark_transfer_set_runtime.sh TEACHER_ARCHIVE INPUT_TSV OUT_DIR [N_ITER]
set -euo pipefail
teacher=$1 input=$2 out=$3 n_iter=${4:-4}
ALLENNLP=${ALLENNLP:-.venv/bin/allennlp}
mkdir -p "$out"
for runtime in torch onnxruntime; do
  rm -f "$out/transfer_$runtime.jsonl" "$out/transfer_$runtime.jsonl.progress"
  start=$(date +%s.%N)
  DISTILL_TRAIN=$input "$ALLENNLP" transfer-set "$teacher" "$input" \
    -o "$out/transfer_$runtime.jsonl" --batch-size 256 \
    --predictor-args "{\"n_iter\": $n_iter, \"runtime\": \"$runtime\"}" \
    --include-package allennlp_distill 2>/dev/null
  end=$(date +%s.%N)
  echo "$runtime: $(wc -l < "$out/transfer_$runtime.jsonl") rows, $(echo "$end - $start" | bc) s"
done
"$(dirname "$ALLENNLP")/python" - "$out/transfer_torch.jsonl" "$out/transfer_onnxruntime.jsonl" <<'PY'
import json, sys
torch_rows, onnx_rows = ([json.loads(line) for line in open(path)] for path in sys.argv[1:])
assert [r["sentence"] for r in torch_rows] == [r["sentence"] for r in onnx_rows], "rows differ"
pairs = [(a["teacher_logits"], b["teacher_logits"]) for a, b in zip(torch_rows, onnx_rows)]
largest = max(abs(a[k] - b[k]) for a, b in pairs for k in a)
agree = sum(max(a, key=a.get) == max(b, key=b.get) for a, b in pairs) / len(pairs)
print(f"same rows; label agreement {agree:.4f}, largest logit difference {largest:.6f}")
PY
