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
#         Tang et al.'s for pairs); STUDENT_EPOCHS also sets the CNN's and the small transformer's
#   TRUNCATED_EPOCHS  the truncated teacher's epochs (default its config's)
#   TRUNCATE_FROM  what the truncated teacher starts from (DISTILL_TRUNCATE_FROM): default the run's
#         fine-tuned teacher, $OUT/teacher/model.tar.gz (chosen on SICK's trial set, README); empty:
#         the pre-trained model
# Each step is skipped when its output exists (an interrupted training step is continued:
# steps.sh, train_step) and timed in $OUT/times.txt.
set -euo pipefail
export TASK=${TASK:-sick}
export OUT=${OUT:-runs/$TASK}
export ALLENNLP=${ALLENNLP:-.venv/bin/allennlp}
export N_ITER=${N_ITER:-10}
if [ "$TASK" = sick ]; then export TEST=${TEST:-../shared/data/sick/SICK_test_annotated.tsv}; fi
PLUGIN=(--include-package allennlp_distill)
source "$(dirname "$0")/steps.sh"
# Refused before the teacher trains, not after: a single-sentence task, or a missing twin.
refuse() { echo "scripts/pair_students.sh: $*" >&2; exit 2; }
PAIR=$(task_file pair) || refuse "TASK=$TASK: not in training_config/tasks.libsonnet"
[ "$PAIR" = true ] || refuse "TASK=$TASK is not a pair task"
for arch in cnn transformer truncated; do
  [ -e "training_config/${TASK}_distill_$arch.jsonnet" ] ||
    refuse "TASK=$TASK has no training_config/${TASK}_distill_$arch.jsonnet"
done
bash "$(dirname "$0")/pipeline.sh"

data_files
export DISTILL_TRANSFER_SET=$OUT/transfer.jsonl
for arch in cnn transformer truncated; do
  epochs=${STUDENT_EPOCHS:-} start=
  if [ "$arch" = truncated ]; then
    epochs=${TRUNCATED_EPOCHS:-} start=${TRUNCATE_FROM-$OUT/teacher/model.tar.gz}
  fi
  train_step "student_$arch" "$OUT/student_$arch" \
    env DISTILL_EPOCHS="$epochs" DISTILL_TRUNCATE_FROM="$start" \
    "$ALLENNLP" train "training_config/${TASK}_distill_$arch.jsonnet" -s "$OUT/student_$arch" \
    "${PLUGIN[@]}"
done
# The students exported (TorchScript, served without AllenNLP): the siamese ones and the truncated
# teacher (a cross-encoder), the BiLSTM in int8 too.
for run in student student_cnn student_transformer student_truncated; do
  step "export_$run" "$OUT/${run}_export/student.ts" "$ALLENNLP" distill-export \
    "$OUT/$run/model.tar.gz" -o "$OUT/${run}_export" --force "${PLUGIN[@]}"
done
step export_student_int8 "$OUT/student_export_int8/student.ts" "$ALLENNLP" distill-export \
  "$OUT/student/model.tar.gz" -o "$OUT/student_export_int8" --int8 --force "${PLUGIN[@]}"
step report "$OUT/report/report.md" "$ALLENNLP" distill-report \
  teacher="$OUT/teacher/model.tar.gz" \
  student="$OUT/student/model.tar.gz" baseline="$OUT/baseline/model.tar.gz" \
  student="$OUT/student/model.tar.gz:int8" \
  exported="$OUT/student_export" exported="$OUT/student_export_int8" \
  cnn-student="$OUT/student_cnn/model.tar.gz" cnn-exported="$OUT/student_cnn_export" \
  transformer-student="$OUT/student_transformer/model.tar.gz" \
  transformer-exported="$OUT/student_transformer_export" \
  truncated="$OUT/student_truncated/model.tar.gz" truncated="$OUT/student_truncated/model.tar.gz:int8" \
  truncated-exported="$OUT/student_truncated_export" \
  --eval-file "$DISTILL_DEV" ${TEST:+--heldout-file "$TEST"} --output-dir "$OUT/report" --threads 2 \
  "${PLUGIN[@]}"
