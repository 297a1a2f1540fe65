// The same student trained on qqp's gold labels only: the no-distillation baseline.
// Data: DISTILL_TRAIN / DISTILL_DEV, default the task's files in tasks.libsonnet.
local student = import "student.libsonnet";
local tasks = import "tasks.libsonnet";

student.baseline(tasks.qqp, epochs=10)
