// The BiLSTM student distilled on the sick_relatedness transfer set (Tang et al. 2019): MSE on the teacher's
// logits alone (alpha = 0), validated on the gold dev set.
// Data: DISTILL_TRANSFER_SET / DISTILL_DEV, default the task's files in tasks.libsonnet.
local student = import "student.libsonnet";
local tasks = import "tasks.libsonnet";

student.distilled(tasks.sick_relatedness, epochs=10)
