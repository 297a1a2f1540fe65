#!/usr/bin/env bash
# The CNN and small-transformer students' throughput against the BiLSTM's on SST-2 dev (issue 15),
# after `make sst2-data`: the three no-teacher baselines (the students' architectures, vocabulary and word vectors), trained
# 1 epoch each (speed does not depend on the weights; no teacher or transfer set needed), their
# exports (TorchScript and ONNX Runtime), then one distill-report with both BiLSTMs as the reference models (--teachers 2), each
# batch size timed over 8,192 texts (1,024 took ~70 ms at batch 256: too short on a noisy machine).
# Run it alone. Output in runs/sst2_speed/report.
set -euo pipefail
OUT=runs/sst2_speed
export DISTILL_TRAIN=runs/sst2/data/train.tsv DISTILL_DEV=runs/sst2/data/dev.tsv DISTILL_EPOCHS=1
A=${ALLENNLP:-.venv/bin/allennlp}
P=(--include-package allennlp_distill)
for m in bilstm cnn transformer; do
  config=training_config/sst2_baseline.jsonnet
  [ $m = bilstm ] || config=training_config/sst2_baseline_$m.jsonnet
  [ -e $OUT/$m/model.tar.gz ] || $A train $config -s $OUT/$m "${P[@]}"
  $A distill-export $OUT/$m/model.tar.gz -o $OUT/${m}_export --force "${P[@]}"
  $A distill-export $OUT/$m/model.tar.gz -o $OUT/${m}_onnx --onnx --force "${P[@]}"
done
time $A distill-report bilstm=$OUT/bilstm/model.tar.gz bilstm-exported=$OUT/bilstm_export \
  bilstm-onnx=$OUT/bilstm_onnx cnn=$OUT/cnn/model.tar.gz cnn-exported=$OUT/cnn_export \
  cnn-onnx=$OUT/cnn_onnx transformer=$OUT/transformer/model.tar.gz \
  transformer-exported=$OUT/transformer_export transformer-onnx=$OUT/transformer_onnx --teachers 2 \
  --eval-file runs/sst2/data/dev.tsv --threads 2 --texts 8192 --output-dir $OUT/report "${P[@]}"
cat $OUT/report/report.md
