// The CNN student of sst2_distill_cnn.jsonnet trained on the gold sst2 training set alone (no
// teacher): what distillation adds to this student.
local student = import "student.libsonnet";
local tasks = import "tasks.libsonnet";

student.baseline(tasks.sst2, epochs=10, architecture="cnn")
