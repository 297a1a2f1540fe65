// The same student trained on sick_relatedness's gold labels only: the no-distillation baseline.
// Data: DISTILL_TRAIN / DISTILL_DEV, default the task's files in tasks.libsonnet.
local student = import "student.libsonnet";
local tasks = import "tasks.libsonnet";

student.baseline(tasks.sick_relatedness, epochs=20)
