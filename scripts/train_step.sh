#!/usr/bin/env bash
# `bash scripts/train_step.sh DIR CMD...`: one `allennlp train ... -s DIR` (CMD) as the Makefile's
# targets run it, with steps.sh's train_step: skipped when DIR/metrics.json shows it finished,
# continued with --recover when it was interrupted, its wall time added to DIR's parent's times.txt.
set -euo pipefail
dir=$1
shift
OUT=$(dirname "$dir")
source "$(dirname "$0")/steps.sh"
train_step "$(basename "$dir")" "$dir" "$@"
