// The BiLSTM student distilled on the SST-2 transfer set (Tang et al. 2019): MSE on the teacher's
// logits alone (alpha = 0; the callback can mix in the hard loss), validated on the gold dev set.
//   DISTILL_TRANSFER_SET  transfer-set JSONL from the transfer_set predictor (default runs/sst2/transfer.jsonl)
//   DISTILL_DEV           dev TSV (default ../shared/data/glue/SST-2/dev.tsv)
local student = import "student.libsonnet";

student.bilstm_student(
  std.extVar("DISTILL_TRANSFER_SET"),
  std.extVar("DISTILL_DEV"),
  callbacks=[
    { type: "distillation", soft_loss: { type: "mse" }, alpha: 0.0 },
    { type: "tensorboard" },
  ],
  epochs=6,
)
