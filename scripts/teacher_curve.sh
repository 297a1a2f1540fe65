#!/usr/bin/env bash
# Teacher fine-tuning against minutes (issue 13, item 3): the SST-2 teacher fine-tuned on fixed
# samples of the training file, one row per sample size, printed as a Markdown table.
#   TRAIN    training file (default runs/sst2/data/train.tsv: SST-2 without the held-out slice)
#   DEV      dev file (default runs/sst2/data/dev.tsv); dev chooses nothing here, one epoch each
#   SIZES    sample sizes (default "2000 4000 8000"); the samples are `make sst2-mpnet`'s
#            (scripts/sample_rows.sh), so the 8,000 row is that job's teacher
#   EPOCHS   epochs per size (default 1)
#   OUT      output folder (default runs/teacher_curve); a size whose model exists is not retrained
# The teacher model is DISTILL_TEACHER_MODEL's (default MiniLM; all-mpnet-base-v2 for MPNet);
# DISTILL_AMP=bf16 fine-tunes it under bfloat16 autocast (rows marked "bf16 training").
set -euo pipefail
TRAIN=${TRAIN:-runs/sst2/data/train.tsv}
DEV=${DEV:-runs/sst2/data/dev.tsv}
SIZES=${SIZES:-2000 4000 8000}
EPOCHS=${EPOCHS:-1}
OUT=${OUT:-runs/teacher_curve}
ALLENNLP=${ALLENNLP:-.venv/bin/allennlp}
SOURCE=${SOURCE:-../shared/data/glue/SST-2/train.tsv}
mkdir -p "$OUT"
for size in $SIZES; do
  run=$OUT/${size}_e$EPOCHS
  if [ ! -e "$run/model.tar.gz" ]; then
    SOURCE=$SOURCE bash "$(dirname "$0")/sample_rows.sh" "$size" "$TRAIN" "$OUT/train_$size.tsv"
    start=$SECONDS
    DISTILL_TRAIN=$OUT/train_$size.tsv DISTILL_DEV=$DEV DISTILL_EPOCHS=$EPOCHS \
      "$ALLENNLP" train training_config/sst2_teacher.jsonnet -s "$run" \
      --include-package allennlp_distill > "$OUT/train_${size}_e$EPOCHS.log" 2>&1
    echo $((SECONDS - start)) > "$run/seconds.txt"
  fi
done
echo "| training sentences | epochs | dev accuracy | minutes (2 cores) |"
echo "| --- | --- | --- | --- |"
for size in $SIZES; do
  run=$OUT/${size}_e$EPOCHS
  "$(dirname "$ALLENNLP")/python" - "$run" "$size" "$EPOCHS" <<'EOF'
import json, os, sys
run, size, epochs = sys.argv[1:]
accuracy = json.load(open(f"{run}/metrics.json"))["best_validation_accuracy"]
seconds = int(open(f"{run}/seconds.txt").read())
training = ", bf16 training" if os.environ.get("DISTILL_AMP") == "bf16" else ""
print(f"| {int(size):,}{training} | {epochs} | {100 * accuracy:.2f} | {seconds / 60:.1f} |")
EOF
done
