#!/usr/bin/env bash
# The whole `allennlp transfer-set` command (loading, augmentation, labelling, writing) timed once
# per way of labelling on the same input, then how far each way's rows differ from the first's.
# A way is a fragment of --predictor-args; by default the teacher run by torch, then by ONNX
# Runtime:
#   bash scripts/benchmark_transfer_set_runtime.sh TEACHER INPUT_TSV OUT_DIR [N_ITER [WAY...]]
#   e.g. the WAYs '"precision": "bf16"' '"precision": "bf16", "compile": true'
# Sentences or sentence pairs (any columns the teacher's reader takes).
set -euo pipefail
teacher=$1 input=$2 out=$3 n_iter=${4:-4}
shift $(($# < 4 ? $# : 4))
ways=("$@")
[ ${#ways[@]} -gt 0 ] || ways=('"runtime": "torch"' '"runtime": "onnxruntime"')
ALLENNLP=${ALLENNLP:-.venv/bin/allennlp}
mkdir -p "$out"
files=()
for i in "${!ways[@]}"; do
  file=$out/transfer_way$((i + 1)).jsonl
  files+=("$file")
  rm -f "$file" "$file.progress"
  start=$(date +%s.%N)
  DISTILL_TRAIN=$input "$ALLENNLP" transfer-set "$teacher" "$input" -o "$file" --batch-size 256 \
    --predictor-args "{\"n_iter\": $n_iter, ${ways[$i]}}" \
    --include-package allennlp_distill 2>/dev/null
  end=$(date +%s.%N)
  echo "{${ways[$i]}}: $(wc -l < "$file") rows, $(echo "$end - $start" | bc) s"
done
"$(dirname "$ALLENNLP")/python" - "${files[@]}" <<'PY'
import json, sys

first, *others = ([json.loads(line) for line in open(path)] for path in sys.argv[1:])
for number, rows in enumerate(others, 2):
    # The same texts (a sentence or a pair's columns) and gold labels, row for row.
    texts = [{k: v for k, v in r.items() if k != "teacher_logits"} for r in rows]
    assert texts == [{k: v for k, v in r.items() if k != "teacher_logits"} for r in first], "rows differ"
    pairs = [(a["teacher_logits"], b["teacher_logits"]) for a, b in zip(first, rows)]
    largest = max(abs(a[k] - b[k]) for a, b in pairs for k in a)
    agree = sum(max(a, key=a.get) == max(b, key=b.get) for a, b in pairs) / len(pairs)
    print(f"way {number} against way 1: same rows; label agreement {agree:.4f}, "
          f"largest logit difference {largest:.6f}")
PY
