// The same BiLSTM student trained on SST-2's gold labels only: the no-distillation baseline.
//   DISTILL_TRAIN  training TSV (default ../shared/data/glue/SST-2/train.tsv)
//   DISTILL_DEV    dev TSV      (default ../shared/data/glue/SST-2/dev.tsv)
local student = import "student.libsonnet";

student.bilstm_student(std.extVar("DISTILL_TRAIN"), std.extVar("DISTILL_DEV"), epochs=10)
