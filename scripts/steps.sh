# Shared by scripts/pipeline.sh, scripts/pair_students.sh and scripts/sentence_encoder.sh (sourced;
# each sets OUT first):
# `timed NAME CMD...` runs CMD and appends its wall time to $OUT/times.txt; `step NAME FILE CMD...`
# does so unless FILE, the step's output, exists (a finished step is skipped on a rerun; see
# `redo_after` for outputs of an input made again);
# `train_step NAME DIR CMD...` does so for `allennlp train ... -s DIR`, continuing an interrupted run.
timed() {
  local name=$1 start=$SECONDS
  shift
  "$@"
  echo "$name: $((SECONDS - start)) s" | tee -a "$OUT/times.txt"
}

step() {
  local name=$1 done_file=$2
  shift 2
  if [ -e "$done_file" ]; then echo "$name: skipped ($done_file exists)"; return; fi
  timed "$name" "$@"
}

# `redo_after INPUT FILE...`: each FILE, a step's output, that is older than INPUT (an archive the
# step reads) is removed, so that its step runs again: a rerun after INPUT was made again (a
# retrained encoder, say) does not keep what the earlier INPUT gave.
redo_after() {
  local input=$1 file
  shift
  for file in "$@"; do
    if [ -e "$file" ] && [ "$input" -nt "$file" ]; then
      echo "$file is older than $input: made again"
      rm -f "$file"
    fi
  done
}

# A training step is done when DIR/metrics.json exists: AllenNLP writes it once training has
# finished, whereas a run stopped by Ctrl-C or SIGTERM still archives its best epoch so far as
# model.tar.gz. A DIR with a config.json but no metrics.json is an interrupted run: CMD continues it
# from its last checkpoint with --recover (from scratch when it has none; AllenNLP refuses a
# changed configuration). A DIR with neither (killed before it wrote its config) holds nothing and
# is removed.
train_step() {
  local name=$1 dir=$2
  shift 2
  if [ -e "$dir/metrics.json" ]; then echo "$name: skipped ($dir/metrics.json exists)"; return; fi
  if [ -e "$dir/config.json" ]; then
    echo "$name: continuing the interrupted run in $dir (--recover)"
    timed "$name" "$@" --recover
    return
  fi
  rm -rf "$dir"
  timed "$name" "$@"
}

# `check_trained_on DIR FILE`: a training run in DIR, finished or interrupted, made from another
# training file than FILE (its config.json's train_data_path) is refused: train_step would keep the
# finished one, and AllenNLP's --recover refuse the other only after the steps before it.
check_trained_on() {
  local recorded
  recorded=$({ grep -o '"train_data_path": "[^"]*"' "$1/config.json" 2>/dev/null || true; } \
    | head -n 1 | cut -d '"' -f 4)
  if [ -n "$recorded" ] && [ "$recorded" != "$2" ]; then
    echo "$1 was trained on $recorded, not $2: move it away, or give another OUT" >&2
    exit 2
  fi
}

# `task_file FIELD` prints a field of $TASK in training_config/tasks.libsonnet (train, dev, pair,
# tagger, ...), read with the venv of $ALLENNLP.
task_file() {
  "$(dirname "$ALLENNLP")/python" -c "import _jsonnet; print(_jsonnet.evaluate_snippet('t', \
    'local t = import \"training_config/tasks.libsonnet\"; t.$TASK.$1', \
    ext_vars={'DISTILL_TRAIN': '', 'DISTILL_DEV': '', 'DISTILL_TRANSFER_SET': ''}).strip('\"\\n'))"
}

# `data_files` exports DISTILL_TRAIN and DISTILL_DEV: TRAIN / DEV, else DATA/{train,dev}.tsv, else
# the configs' own task files (training_config/tasks.libsonnet).
data_files() {
  export DISTILL_TRAIN=${TRAIN:-${DATA:+$DATA/train.tsv}} DISTILL_DEV=${DEV:-${DATA:+$DATA/dev.tsv}}
  DISTILL_TRAIN=${DISTILL_TRAIN:-$(task_file train)}
  DISTILL_DEV=${DISTILL_DEV:-$(task_file dev)}
}
