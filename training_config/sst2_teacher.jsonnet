// Fine-tunes the teacher on GLUE SST-2 (Tang et al. 2019 §4: the teacher is a fine-tuned BERT).
//   DISTILL_TRAIN  training TSV (default ../shared/data/glue/SST-2/train.tsv)
//   DISTILL_DEV    dev TSV      (default ../shared/data/glue/SST-2/dev.tsv)
local lib = import "teacher.libsonnet";

lib.teacher(std.extVar("DISTILL_TRAIN"), std.extVar("DISTILL_DEV"), epochs=2)
