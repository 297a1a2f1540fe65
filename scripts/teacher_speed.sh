#!/usr/bin/env bash
# Tang's BiLSTM student against both teachers, speed only, after `make sst2-data` (and `make
# install-mpnet`): the MPNet and MiniLM teachers fine-tuned for 1 epoch on a fixed sample of 256
# training rows, the no-teacher BiLSTM baseline for 1 epoch (the student's architecture,
# vocabulary and word vectors; speed does not depend on the weights, so no transfer set is
# needed), its exports (TorchScript, ONNX Runtime fp32 and int8), then one distill-report with the
# two teachers as reference models (--teachers 2). The accuracy of these teachers and this
# student is not the trained models' (the report's speed columns are the point); the teachers are
# timed as every report times them since 2026-12-06: each batch as length-sorted sub-batches of 32.
# Run it alone, from the repository root (about 15 min on 2 cores). Output in $OUT/report (default
# runs/sst2_teacher_speed/report).
set -euo pipefail
OUT=${OUT:-runs/sst2_teacher_speed}
TEXTS=${TEXTS:-4096}
A=${ALLENNLP:-.venv/bin/allennlp}
P=(--include-package allennlp_distill)
export DISTILL_TRAIN=runs/sst2/data/train.tsv DISTILL_DEV=runs/sst2/data/dev.tsv DISTILL_EPOCHS=1
mkdir -p "$OUT"
[ -e "$OUT/train_256.tsv" ] || bash scripts/sample_rows.sh 256 runs/sst2/data/train.tsv "$OUT/train_256.tsv"
for t in minilm mpnet; do
  model=; [ $t = mpnet ] && model=all-mpnet-base-v2
  [ -e "$OUT/teacher_$t/model.tar.gz" ] || DISTILL_TEACHER_MODEL=$model DISTILL_TRAIN="$OUT/train_256.tsv" \
    $A train training_config/sst2_teacher.jsonnet -s "$OUT/teacher_$t" --force "${P[@]}"
done
[ -e "$OUT/bilstm/model.tar.gz" ] || $A train training_config/sst2_baseline.jsonnet -s "$OUT/bilstm" --force "${P[@]}"
$A distill-export "$OUT/bilstm/model.tar.gz" -o "$OUT/bilstm_export" --force "${P[@]}"
$A distill-export "$OUT/bilstm/model.tar.gz" -o "$OUT/bilstm_onnx" --onnx --force "${P[@]}"
$A distill-export "$OUT/bilstm/model.tar.gz" -o "$OUT/bilstm_onnx_int8" --onnx --int8 --force "${P[@]}"
time $A distill-report teacher-mpnet="$OUT/teacher_mpnet/model.tar.gz" \
  teacher-minilm="$OUT/teacher_minilm/model.tar.gz" bilstm="$OUT/bilstm/model.tar.gz" \
  bilstm-exported="$OUT/bilstm_export" bilstm-onnx="$OUT/bilstm_onnx" bilstm-onnx-int8="$OUT/bilstm_onnx_int8" \
  --teachers 2 --eval-file runs/sst2/data/dev.tsv --threads 2 --texts $TEXTS --output-dir "$OUT/report" "${P[@]}"
cat "$OUT/report/report.md"
