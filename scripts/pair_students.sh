#!/usr/bin/env bash
# "Which student is best" (arXiv 2201.00558) on a sentence-pair task: the main job of
# scripts/pipeline.sh (teacher, transfer set, siamese BiLSTM student and baseline), then the siamese
# CNN, the siamese small transformer and the truncated teacher (a 2-block cross-encoder) distilled
# on the same transfer set, then one `distill-report` over all of them: dev metrics, held-out
# metrics on TEST, parameters, sizes, serving RAM and CPU throughput in one run.
#   TASK  a pair task with training_config/TASK_distill_{cnn,transformer,truncated}.jsonnet
#         (default sick: its test set has gold labels, so TEST is a true held-out file)
#   TEST  the held-out gold file (default, for sick: ../shared/data/sick/SICK_test_annotated.tsv)
#   N_ITER, OUT, ALLENNLP, DATA, TRAIN, DEV, *_EPOCHS  as in scripts/pipeline.sh (N_ITER default 10,
#         Tang et al.'s for pairs)
# Each step is skipped when its output exists and timed in $OUT/times.txt.
set -euo pipefail
export TASK=${TASK:-sick}
export OUT=${OUT:-runs/$TASK}
export ALLENNLP=${ALLENNLP:-.venv/bin/allennlp}
export N_ITER=${N_ITER:-10}
if [ "$TASK" = sick ]; then export TEST=${TEST:-../shared/data/sick/SICK_test_annotated.tsv}; fi
PLUGIN=(--include-package allennlp_distill)
source "$(dirname "$0")/steps.sh"
[ "$(task_file pair)" = true ] || { echo "scripts/pair_students.sh: TASK=$TASK is not a pair task" >&2; exit 2; }
bash "$(dirname "$0")/pipeline.sh"

export DISTILL_TRAIN=${TRAIN:-${DATA:+$DATA/train.tsv}} DISTILL_DEV=${DEV:-${DATA:+$DATA/dev.tsv}}
DISTILL_TRAIN=${DISTILL_TRAIN:-$(task_file train)}
DISTILL_DEV=${DISTILL_DEV:-$(task_file dev)}
export DISTILL_TRANSFER_SET=$OUT/transfer.jsonl
for arch in cnn transformer truncated; do
  step "student_$arch" "$OUT/student_$arch/model.tar.gz" env DISTILL_EPOCHS="${STUDENT_EPOCHS:-}" \
    "$ALLENNLP" train "training_config/${TASK}_distill_$arch.jsonnet" -s "$OUT/student_$arch" \
    "${PLUGIN[@]}"
done
# The exported siamese BiLSTM (TorchScript, served without AllenNLP), fp32 and int8; a
# transformer cross-encoder is served through AllenNLP (distill-export exports single sentences).
for precision in fp32 int8; do
  suffix=${precision/fp32/}
  step "export$suffix" "$OUT/student_export${suffix:+_$suffix}/student.ts" "$ALLENNLP" distill-export \
    "$OUT/student/model.tar.gz" -o "$OUT/student_export${suffix:+_$suffix}" \
    ${suffix:+--int8} --force "${PLUGIN[@]}"
done
step report "$OUT/report/report.md" "$ALLENNLP" distill-report \
  teacher="$OUT/teacher/model.tar.gz" \
  student="$OUT/student/model.tar.gz" baseline="$OUT/baseline/model.tar.gz" \
  student="$OUT/student/model.tar.gz:int8" \
  exported="$OUT/student_export" exported="$OUT/student_export_int8" \
  cnn-student="$OUT/student_cnn/model.tar.gz" \
  transformer-student="$OUT/student_transformer/model.tar.gz" \
  truncated="$OUT/student_truncated/model.tar.gz" truncated="$OUT/student_truncated/model.tar.gz:int8" \
  --eval-file "$DISTILL_DEV" ${TEST:+--heldout-file "$TEST"} --output-dir "$OUT/report" --threads 2 \
  "${PLUGIN[@]}"
