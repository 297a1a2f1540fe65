// The siamese small-transformer student (one pooled_transformer shared by both sentences)
// distilled on the sick transfer set: the pair twin of sst2_distill_transformer.jsonnet,
// otherwise as sick_distill.jsonnet.
local student = import "student.libsonnet";
local tasks = import "tasks.libsonnet";

student.distilled(tasks.sick, epochs=10, architecture="transformer")
