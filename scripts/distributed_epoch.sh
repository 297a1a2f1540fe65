#!/usr/bin/env bash
# One SST-2 student epoch (the BiLSTM baseline config on the GLUE training file, 67,349 phrases),
# in one process (2 torch threads) and in two CPU worker processes (gloo, 1 thread each), one after
# the other: run it alone. Output in runs/scaleout/{one,two}/metrics.json (training_duration).
set -euo pipefail
export DISTILL_TRAIN=../shared/data/glue/SST-2/train.tsv DISTILL_DEV=../shared/data/glue/SST-2/dev.tsv
export DISTILL_EPOCHS=1
rm -rf runs/scaleout/one runs/scaleout/two && mkdir -p runs/scaleout
/usr/bin/time -v .venv/bin/allennlp train training_config/sst2_baseline.jsonnet -s runs/scaleout/one \
  --include-package allennlp_distill > runs/scaleout/one.log 2>&1
OMP_NUM_THREADS=1 DISTILL_DISTRIBUTED=-1,-1 /usr/bin/time -v .venv/bin/allennlp train \
  training_config/sst2_baseline.jsonnet -s runs/scaleout/two --include-package allennlp_distill \
  > runs/scaleout/two.log 2>&1
echo done
