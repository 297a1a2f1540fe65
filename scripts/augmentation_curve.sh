#!/usr/bin/env bash
# Augmentation strength against student accuracy (issue 13, item 4; Tang et al. 2019, §3.3 and
# §4.4): the SST-2 student distilled from one transfer set cut to at most K augmented copies per
# training sentence, one row per K, printed as a Markdown table with the transfer set's size.
#   TRANSFER  a finished transfer set (default runs/sst2_mpnet16000/transfer.jsonl, `n_iter` = 4)
#   COPIES    the K to train (default "0 1 2"); the cut keeps every training sentence and the first
#             K augmented rows written after it, i.e. the first K distinct copies the labelling
#             run kept (a row the run had already written, anywhere, it dropped). So K = n_iter of
#             TRANSFER is TRANSFER itself; a smaller K holds about as many rows as `n_iter` = K,
#             not the same rows: the run also kept a later draw where an earlier one repeated.
#   FULL      the student already distilled from all of TRANSFER, for the table's last row
#             (default: the `student` folder beside TRANSFER); K = n_iter is not retrained
#   TRAIN, DEV, TEST  the job's training, dev and held-out files (default runs/sst2/data/*)
#   EPOCHS    student epochs (default: the config's; dev chooses the best, as in the job)
#   OUT       output folder (default runs/augmentation_curve); a K whose model exists is skipped
set -euo pipefail
TRANSFER=${TRANSFER:-runs/sst2_mpnet16000/transfer.jsonl}
COPIES=${COPIES:-0 1 2}
FULL=${FULL:-$(dirname "$TRANSFER")/student}
TRAIN=${TRAIN:-runs/sst2/data/train.tsv}
DEV=${DEV:-runs/sst2/data/dev.tsv}
TEST=${TEST:-runs/sst2/data/heldout.tsv}
OUT=${OUT:-runs/augmentation_curve}
ALLENNLP=${ALLENNLP:-.venv/bin/allennlp}
PLUGIN=(--include-package allennlp_distill)
mkdir -p "$OUT"

evaluate() {  # run folder: its dev and held-out metrics, unless written
  local run=$1
  [ -s "$run/dev_metrics.json" ] || "$ALLENNLP" evaluate "$run/model.tar.gz" "$DEV" \
    --output-file "$run/dev_metrics.json" "${PLUGIN[@]}"
  [ -s "$run/test_metrics.json" ] || "$ALLENNLP" evaluate "$run/model.tar.gz" "$TEST" \
    --output-file "$run/test_metrics.json" "${PLUGIN[@]}"
}

rows=()
for copies in $COPIES; do
  run=$OUT/copies_$copies
  transfer=$OUT/transfer_$copies.jsonl
  [ -s "$transfer" ] || bash "$(dirname "$0")/cut_transfer_set.sh" "$copies" "$TRANSFER" "$transfer"
  if [ ! -e "$run/model.tar.gz" ]; then
    rm -rf "$run"
    start=$SECONDS
    DISTILL_TRAIN=$TRAIN DISTILL_DEV=$DEV DISTILL_TRANSFER_SET=$transfer \
      DISTILL_EPOCHS=${EPOCHS:-} "$ALLENNLP" train training_config/sst2_distill.jsonnet \
      -s "$run" "${PLUGIN[@]}" > "$OUT/copies_$copies.log" 2>&1
    echo $((SECONDS - start)) > "$run/seconds.txt"
  fi
  evaluate "$run"
  rows+=("$copies $transfer $run")
done
if [ -e "$FULL/model.tar.gz" ]; then
  evaluate "$FULL"
  rows+=("all $TRANSFER $FULL")
fi

echo "| augmented copies per sentence (at most) | transfer set rows | student dev | student held-out | best epoch | student minutes (2 cores) |"
echo "| --- | --- | --- | --- | --- | --- |"
for row in "${rows[@]}"; do
  # shellcheck disable=SC2086
  set -- $row
  "$(dirname "$ALLENNLP")/python" - "$1" "$2" "$3" <<'EOF'
import json, os, sys
copies, transfer, run = sys.argv[1:]
size = sum(1 for _ in open(transfer))
if copies == "all":  # the labelling run's n_iter, from its provenance
    settings = json.load(open(f"{transfer}.progress"))["provenance"]["settings"]
    copies = f"{settings['n_iter']} (all: n_iter = {settings['n_iter']})"
dev = json.load(open(f"{run}/dev_metrics.json"))["accuracy"]
test = json.load(open(f"{run}/test_metrics.json"))["accuracy"]
best = json.load(open(f"{run}/metrics.json"))["best_epoch"] + 1
seconds = os.path.join(run, "seconds.txt")
minutes = f"{int(open(seconds).read()) / 60:.1f}" if os.path.exists(seconds) else "(the job's)"
print(f"| {copies} | {int(size):,} | {100 * dev:.2f} | {100 * test:.2f} | {best} | {minutes} |")
EOF
done
