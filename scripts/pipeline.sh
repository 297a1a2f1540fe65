#!/usr/bin/env bash
# The main job, step by step with each step's wall time (Tang et al. 2019):
# teacher -> transfer set -> distilled student and baseline -> evaluate -> predict.
#   TASK     configs training_config/$TASK_{teacher,distill,baseline}.jsonnet (default sst2; a
#            tagging task, conll2003 or ud_pos, runs the same steps with a tagger teacher)
#   DATA     folder with train.tsv / dev.tsv in the task's format (default: the task's files)
#   TRAIN, DEV  the files themselves (default $DATA/train.tsv, $DATA/dev.tsv)
#   TEACHER_TRAIN  what the teacher is fine-tuned on (default TRAIN; `make sst2-mpnet`: a sample,
#            so that a BERT-base-size teacher fits the CPU budget); the transfer set is always TRAIN
#   TEST     a held-out gold file to evaluate on, touched by no training step (optional; SICK test,
#            the demo's test split, the SST-2 held-out slice)
#   N_ITER   augmented copies per item (Tang et al.: 20, pairs 10; default 4 to fit a CPU session)
#   UNLABELLED  a tagger's real unlabelled sentences, JSON lines {"tokens": [...]} (`make
#            ner-unlabelled`; `python -m allennlp_distill.corpora.conll_jsonl --text`): the teacher
#            labels them without copies into $OUT/transfer_unlabelled.jsonl, and the student
#            learns from both transfer sets ($OUT/transfer_student.jsonl); N_ITER=0 leaves out
#            Tang's copies of the training sentences
#   OUT      output folder (default runs/$TASK); a step whose output exists is skipped, and an
#            interrupted training step continues from its last checkpoint (steps.sh: train_step)
#   VARIANT  a student and baseline that share OUT's teacher and transfer sets: trained into
#            $OUT/student_$VARIANT and $OUT/baseline_$VARIANT from the configs
#            training_config/${TASK}_{distill,baseline}_$VARIANT.jsonnet where they exist
#            (VARIANT=casing for conll2003's casing students), the task's own configs elsewhere,
#            so that DISTILL_SEED, DISTILL_EMBEDDING_MODE, ... can set a variant apart
#            (VARIANT=seed2 DISTILL_SEED=2); a name of letters, digits, '-' and '_'. It prints
#            the configs it chose, and is refused without a finished teacher in OUT or where its
#            folder holds something other than a training run (an export)
#   TEACHER_EPOCHS, STUDENT_EPOCHS, BASELINE_EPOCHS  override the configs' epoch counts
#   TEACHER_AMP  DISTILL_AMP for the teacher's fine-tuning alone: bf16 trains it under bfloat16
#            autocast (MPNet on a CPU with bfloat16 instructions: 1.3-1.5x, dev within noise)
#   RUNTIME  what runs the teacher while it labels the transfer set: onnxruntime (the default for
#            a sentence or pair classifier or regressor: the same logits to 1e-5, labelling 1.5x
#            as fast on 2 cores for single sentences, 3.0x for STS-B pairs, the whole transfer-set
#            step 1.2x for SST-2; README, "Teacher labelling") or torch (the only choice for
#            taggers)
#   PRECISION  fp32 (default) or bf16: the torch teacher labels under bfloat16 autocast (1.9x for
#            MPNet at 99.92 % label agreement, on a CPU with bfloat16 instructions; slower without
#            them); a tagger teacher too. Given, it makes torch the default RUNTIME.
#   COMPILE  1: the torch teacher labels through torch.compile (with PRECISION=bf16 the fastest
#            on a CPU with AMX: MiniLM 1.46x, MPNet 1.20x eager bf16; README); makes torch the
#            default RUNTIME too.
#            Settings a teacher cannot label with are refused before anything trains.
set -euo pipefail
TASK=${TASK:-sst2}
DATA=${DATA:-}
N_ITER=${N_ITER:-4}
OUT=${OUT:-runs/$TASK}
ALLENNLP=${ALLENNLP:-.venv/bin/allennlp}
PLUGIN=(--include-package allennlp_distill)
export DISTILL_TRANSFER_SET=$OUT/transfer.jsonl
# timed, step, task_file, data_files
source "$(dirname "$0")/steps.sh"
data_files
PAIR=$(task_file pair)
TAGGER=$(task_file tagger)
if [ "$TAGGER" = "true" ] || [ "${PRECISION:-fp32}" != fp32 ] || [ -n "${COMPILE:-}" ]; then
  RUNTIME=${RUNTIME:-torch}
else
  RUNTIME=${RUNTIME:-onnxruntime}
fi
# `label_args N`: the labelling predictor's arguments for N copies per item.
label_args() {
  echo "{\"n_iter\": $1, \"runtime\": \"$RUNTIME\"${PRECISION:+, \"precision\": \"$PRECISION\"}\
${COMPILE:+, \"compile\": true}}"
}
# What the labelling predictor would refuse, refused here: before the teacher trains, not after.
refuse() { echo "scripts/pipeline.sh: $*" >&2; exit 2; }
case $RUNTIME in torch | onnxruntime) ;; *) refuse "RUNTIME=$RUNTIME: torch or onnxruntime" ;; esac
if [ "$RUNTIME" = onnxruntime ] && [ "$TAGGER" = true ]; then
  refuse "RUNTIME=onnxruntime labels sentence and pair classifiers, not taggers; TASK=$TASK needs torch"
fi
case ${PRECISION:-fp32} in fp32 | bf16 | fp16) ;; *) refuse "PRECISION=$PRECISION: fp32, bf16 or fp16 (fp16: a GPU)" ;; esac
if [ "${PRECISION:-fp32}" != fp32 ] && [ "$RUNTIME" = onnxruntime ]; then
  refuse "PRECISION=$PRECISION: the torch runtime only (RUNTIME=$RUNTIME)"
fi
case ${COMPILE:-} in "" | 1) ;; *) refuse "COMPILE=$COMPILE: 1, or unset" ;; esac
if [ -n "${COMPILE:-}" ] && [ "$RUNTIME" = onnxruntime ]; then
  refuse "COMPILE=1: the torch runtime only (RUNTIME=$RUNTIME)"
fi
# `config KIND`: the variant's config of KIND (distill, baseline), else the task's.
config() {
  local own="training_config/${TASK}_$1${VARIANT:+_$VARIANT}.jsonnet"
  if [ -f "$own" ]; then echo "$own"; else echo "training_config/${TASK}_$1.jsonnet"; fi
}
STUDENT_NAME=student${VARIANT:+_$VARIANT} BASELINE_NAME=baseline${VARIANT:+_$VARIANT}
STUDENT=$OUT/$STUDENT_NAME BASELINE=$OUT/$BASELINE_NAME
if [ -n "${VARIANT:-}" ]; then
  [[ $VARIANT =~ ^[A-Za-z0-9_-]+$ ]] || refuse "VARIANT=$VARIANT: a name of letters, digits, - and _"
  [ -e "$OUT/teacher/metrics.json" ] \
    || refuse "VARIANT=$VARIANT: trains beside a finished run's teacher; $OUT/teacher has none"
  for dir in "$STUDENT" "$BASELINE"; do
    # Not a training run (an export, say), which train_step would take for a dead one and delete.
    if [ -d "$dir" ] && [ ! -e "$dir/config.json" ] && [ -n "$(ls -A "$dir")" ]; then
      refuse "VARIANT=$VARIANT: $dir holds something other than a training run"
    fi
  done
  echo "VARIANT=$VARIANT: $(config distill) -> $STUDENT, $(config baseline) -> $BASELINE" >&2
fi
STUDENT_TRANSFER_SET=$OUT/transfer.jsonl
if [ -n "${UNLABELLED:-}" ]; then
  [ "$TAGGER" = true ] || refuse "UNLABELLED=$UNLABELLED: for a tagging task; TASK=$TASK is not one"
  [ -f "$UNLABELLED" ] || refuse "UNLABELLED=$UNLABELLED: no such file (make ner-unlabelled)"
  [ "$(head -c 1 "$UNLABELLED")" = "{" ] \
    || refuse "UNLABELLED=$UNLABELLED: not JSON lines of {\"tokens\": [...]} (make ner-unlabelled)"
  STUDENT_TRANSFER_SET=$OUT/transfer_student.jsonl
fi
# A run left in OUT by other data (another TRAIN, TEACHER_TRAIN or UNLABELLED) is refused here.
check_trained_on "$OUT/teacher" "${TEACHER_TRAIN:-$DISTILL_TRAIN}"
check_trained_on "$STUDENT" "$STUDENT_TRANSFER_SET"
check_trained_on "$BASELINE" "$DISTILL_TRAIN"
mkdir -p "$OUT"

train_step teacher "$OUT/teacher" env DISTILL_EPOCHS="${TEACHER_EPOCHS:-}" \
  DISTILL_AMP="${TEACHER_AMP:-${DISTILL_AMP:-}}" \
  DISTILL_TRAIN="${TEACHER_TRAIN:-$DISTILL_TRAIN}" \
  "$ALLENNLP" train "training_config/${TASK}_teacher.jsonnet" -s "$OUT/teacher" "${PLUGIN[@]}"
# `label NAME INPUT OUTPUT N`: the teacher's transfer set of INPUT with N copies per item.
# Resumable: rerunning after an interruption continues the transfer set where it stopped. A
# finished one is only checked: made from another input, teacher or n_iter, the command fails
# (its provenance, in OUTPUT.progress) instead of training on stale data.
label() {
  local name=$1 input=$2 output=$3 copies=$4
  local command=("$ALLENNLP" transfer-set "$OUT/teacher/model.tar.gz" "$input" -o "$output" \
    --batch-size 256 --predictor-args "$(label_args "$copies")" "${PLUGIN[@]}")
  if grep -qs '"complete": true' "$output.progress"; then
    "${command[@]}"
    echo "$name: skipped ($output is complete, made from this input and teacher)"
  else
    timed "$name" "${command[@]}"
    wc -l "$output" | tee -a "$OUT/times.txt"
  fi
}
label transfer_set "$DISTILL_TRAIN" "$OUT/transfer.jsonl" "$N_ITER"
if [ -n "${UNLABELLED:-}" ]; then
  label transfer_set_unlabelled "$UNLABELLED" "$OUT/transfer_unlabelled.jsonl" 0
  cat "$OUT/transfer.jsonl" "$OUT/transfer_unlabelled.jsonl" > "$STUDENT_TRANSFER_SET.partial"
  mv "$STUDENT_TRANSFER_SET.partial" "$STUDENT_TRANSFER_SET"
fi
export DISTILL_TRANSFER_SET=$STUDENT_TRANSFER_SET
train_step "$STUDENT_NAME" "$STUDENT" env DISTILL_EPOCHS="${STUDENT_EPOCHS:-}" \
  "$ALLENNLP" train "$(config distill)" -s "$STUDENT" "${PLUGIN[@]}"
train_step "$BASELINE_NAME" "$BASELINE" env DISTILL_EPOCHS="${BASELINE_EPOCHS:-}" \
  "$ALLENNLP" train "$(config baseline)" -s "$BASELINE" "${PLUGIN[@]}"
for model in teacher "$STUDENT_NAME" "$BASELINE_NAME"; do
  step "evaluate_$model" "$OUT/$model/dev_metrics.json" \
    "$ALLENNLP" evaluate "$OUT/$model/model.tar.gz" "$DISTILL_DEV" \
    --output-file "$OUT/$model/dev_metrics.json" "${PLUGIN[@]}"
  if [ -n "${TEST:-}" ]; then
    step "test_$model" "$OUT/$model/test_metrics.json" \
      "$ALLENNLP" evaluate "$OUT/$model/model.tar.gz" "$TEST" \
      --output-file "$OUT/$model/test_metrics.json" "${PLUGIN[@]}"
  fi
done
if [ "$TAGGER" = "true" ]; then
  printf '%s\n' '{"sentence": "Angela Merkel met Emmanuel Macron in Paris on Tuesday."}' \
    '{"sentence": "Shares of Apple rose 3 percent after the report from Reuters."}' \
    > "$OUT/predict_input.jsonl"
  predictor=tagger
elif [ "$PAIR" = "true" ]; then
  printf '%s\n' '{"sentence1": "A man is playing a guitar.", "sentence2": "A person plays a guitar."}' \
    '{"sentence1": "A woman is slicing an onion.", "sentence2": "A dog runs in the park."}' \
    > "$OUT/predict_input.jsonl"
  predictor=sentence_pair
else
  printf '%s\n' '{"sentence": "a gorgeous , witty , seductive movie ."}' \
    '{"sentence": "the plot is nothing but boilerplate clichés ."}' > "$OUT/predict_input.jsonl"
  predictor=text_classifier
fi
"$ALLENNLP" predict "$STUDENT/model.tar.gz" "$OUT/predict_input.jsonl" \
  --predictor "$predictor" --output-file "${STUDENT}_predictions.jsonl" --silent "${PLUGIN[@]}"
cat "${STUDENT}_predictions.jsonl"
