// The siamese CNN student (Kim 2014 encoder shared by both sentences) distilled on the mrpc
// transfer set: the pair twin of sst2_distill_cnn.jsonnet, otherwise as mrpc_distill.jsonnet.
local student = import "student.libsonnet";
local tasks = import "tasks.libsonnet";

student.distilled(tasks.mrpc, epochs=10, architecture="cnn")
