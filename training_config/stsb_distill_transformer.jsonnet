// The siamese small-transformer student distilled on the stsb transfer set (regression on the
// teacher's score): the pair twin of sst2_distill_transformer.jsonnet, otherwise as
// stsb_distill.jsonnet. `make demo-pairs` data: runs/stsb_demo (see the README).
local student = import "student.libsonnet";
local tasks = import "tasks.libsonnet";

student.distilled(tasks.stsb, epochs=10, architecture="transformer")
