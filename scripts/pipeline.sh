#!/usr/bin/env bash
# The main job, step by step with each step's wall time (Tang et al. 2019):
# teacher -> transfer set -> distilled student and baseline -> evaluate -> predict.
#   DATA    folder with train.tsv / dev.tsv, `sentence<TAB>label` (default ../shared/data/glue/SST-2)
#   N_ITER  augmented copies per sentence (Tang et al.: 20; default 4 to fit a 3-hour CPU session)
#   OUT     output folder (default runs/sst2); a step whose output exists is skipped
#   TEACHER_EPOCHS, STUDENT_EPOCHS, BASELINE_EPOCHS  override the configs' epoch counts
set -euo pipefail
DATA=${DATA:-../shared/data/glue/SST-2}
N_ITER=${N_ITER:-4}
OUT=${OUT:-runs/sst2}
ALLENNLP=${ALLENNLP:-.venv/bin/allennlp}
PLUGIN=(--include-package allennlp_distill)
export DISTILL_TRAIN=$DATA/train.tsv DISTILL_DEV=$DATA/dev.tsv DISTILL_TRANSFER_SET=$OUT/transfer.jsonl
mkdir -p "$OUT"

step() {
  local name=$1 done_file=$2
  shift 2
  if [ -e "$done_file" ]; then echo "$name: skipped ($done_file exists)"; return; fi
  local start=$SECONDS
  "$@"
  echo "$name: $((SECONDS - start)) s" | tee -a "$OUT/times.txt"
}

step teacher "$OUT/teacher/model.tar.gz" env DISTILL_EPOCHS="${TEACHER_EPOCHS:-}" \
  "$ALLENNLP" train training_config/sst2_teacher.jsonnet -s "$OUT/teacher" "${PLUGIN[@]}"
step transfer_set "$OUT/transfer.jsonl" \
  "$ALLENNLP" predict "$OUT/teacher/model.tar.gz" "$DISTILL_TRAIN" --predictor transfer_set \
  --batch-size 256 --predictor-args "{\"n_iter\": $N_ITER}" --output-file "$OUT/transfer.jsonl" \
  --silent "${PLUGIN[@]}"
wc -l "$OUT/transfer.jsonl" | tee -a "$OUT/times.txt"
step student "$OUT/student/model.tar.gz" env DISTILL_EPOCHS="${STUDENT_EPOCHS:-}" \
  "$ALLENNLP" train training_config/sst2_distill.jsonnet -s "$OUT/student" "${PLUGIN[@]}"
step baseline "$OUT/baseline/model.tar.gz" env DISTILL_EPOCHS="${BASELINE_EPOCHS:-}" \
  "$ALLENNLP" train training_config/sst2_baseline.jsonnet -s "$OUT/baseline" "${PLUGIN[@]}"
for model in teacher student baseline; do
  step "evaluate_$model" "$OUT/$model/dev_metrics.json" \
    "$ALLENNLP" evaluate "$OUT/$model/model.tar.gz" "$DISTILL_DEV" \
    --output-file "$OUT/$model/dev_metrics.json" "${PLUGIN[@]}"
done
printf '%s\n' '{"sentence": "a gorgeous , witty , seductive movie ."}' \
  '{"sentence": "the plot is nothing but boilerplate clichés ."}' > "$OUT/predict_input.jsonl"
"$ALLENNLP" predict "$OUT/student/model.tar.gz" "$OUT/predict_input.jsonl" \
  --predictor text_classifier --output-file "$OUT/student_predictions.jsonl" --silent "${PLUGIN[@]}"
cat "$OUT/student_predictions.jsonl"
