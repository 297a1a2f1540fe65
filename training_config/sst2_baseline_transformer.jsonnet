// The small-transformer student's architecture (sst2_distill_transformer.jsonnet) trained on the
// gold labels alone: the no-teacher baseline of the transformer student, and its speed reference
// in scripts/student_speed.sh.
local student = import "student.libsonnet";
local tasks = import "tasks.libsonnet";

student.baseline(tasks.sst2, epochs=10, architecture="transformer")
