// The BiLSTM student distilled on the sst2 transfer set (Tang et al. 2019): MSE on the teacher's
// logits alone (alpha = 0), validated on the gold dev set.
// Data: DISTILL_TRANSFER_SET / DISTILL_DEV, default the task's files in tasks.libsonnet.
local student = import "student.libsonnet";
local tasks = import "tasks.libsonnet";

student.distilled(tasks.sst2, epochs=6)
