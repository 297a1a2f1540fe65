# Shared by scripts/pipeline.sh and scripts/sentence_encoder.sh (sourced; both set OUT first):
# `timed NAME CMD...` runs CMD and appends its wall time to $OUT/times.txt; `step NAME FILE CMD...`
# does so unless FILE, the step's output, exists (a finished step is skipped on a rerun).
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
