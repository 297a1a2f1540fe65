#!/usr/bin/env bash
# Ablation of the SST-2 student ("Which Student is Best?", arXiv 2201.00558, §4): one change at a
# time against the default student (MSE on logits, alpha = 0, augmented transfer set, GloVe 50d),
# same teacher, transfer set, vocabulary policy and seed. Each run writes $OUT/<name>/model.tar.gz;
# `make report-ablation` then measures all of them with `allennlp distill-report`.
#
#   TRANSFER   the transfer set of `make sst2` (default runs/sst2/transfer.jsonl)
#   OUT        where the runs go (default runs/ablation)
#   EPOCHS     epochs per run on the augmented transfer set (default 3)
#   RUNS       which runs (default: all of the names below not yet trained)
set -euo pipefail

TRANSFER=${TRANSFER:-runs/sst2/transfer.jsonl}
OUT=${OUT:-runs/ablation}
EPOCHS=${EPOCHS:-3}
RUNS=${RUNS:-"mse kl mixed no_augmentation random_vectors"}
ALLENNLP=${ALLENNLP:-allennlp}
mkdir -p "$OUT"

# The training sentences alone, with the teacher's logits (the rows the transfer set did not
# augment): distillation without augmentation.
ORIGINALS="$OUT/transfer_originals.jsonl"
if [[ ! -s $ORIGINALS ]]; then
  grep -F '"augmented": false' "$TRANSFER" > "$ORIGINALS.tmp"
  mv "$ORIGINALS.tmp" "$ORIGINALS"
fi
# Without augmentation an epoch is ~3.7x shorter: train for as many updates as the others.
ORIGINAL_EPOCHS=$(( (EPOCHS * $(wc -l < "$TRANSFER") + $(wc -l < "$ORIGINALS") - 1) / $(wc -l < "$ORIGINALS") ))

train() {  # name, transfer set, epochs, overrides
  local name=$1 transfer=$2 epochs=$3 overrides=$4
  [[ -s $OUT/$name/model.tar.gz ]] && { echo "$name: already trained"; return; }
  rm -rf "${OUT:?}/$name"
  local start=$SECONDS
  DISTILL_TRANSFER_SET=$transfer DISTILL_EPOCHS=$epochs "$ALLENNLP" train \
    training_config/sst2_distill.jsonnet -s "$OUT/$name" -o "$overrides" \
    --include-package allennlp_distill
  echo "$name: $((SECONDS - start)) s" >> "$OUT/times.txt"
}

distillation() {  # soft loss, alpha, temperature: one override of the distillation callback,
  # the first of every distilled config's callbacks (the others, TensorBoard, stay)
  echo "{\"trainer.callbacks.0.soft_loss.type\": \"$1\", \"trainer.callbacks.0.alpha\": $2, \"trainer.callbacks.0.temperature\": $3}"
}

for run in $RUNS; do
  case $run in
    mse) train mse "$TRANSFER" "$EPOCHS" "$(distillation mse 0.0 1.0)" ;;
    kl) train kl "$TRANSFER" "$EPOCHS" "$(distillation kl 0.0 2.0)" ;;
    mixed) train mixed "$TRANSFER" "$EPOCHS" "$(distillation mse 0.5 1.0)" ;;
    no_augmentation) train no_augmentation "$ORIGINALS" "$ORIGINAL_EPOCHS" '{}' ;;
    random_vectors) DISTILL_EMBEDDING_MODE=random train random_vectors "$TRANSFER" "$EPOCHS" '{}' ;;
    *) echo "unknown run $run" >&2; exit 2 ;;
  esac
done
