// The siamese CNN student (Kim 2014 encoder shared by both sentences) distilled on the sick
// transfer set: the pair twin of sst2_distill_cnn.jsonnet, otherwise as sick_distill.jsonnet.
// SICK is the pair task whose test set has gold labels: its held-out figure is honest.
local student = import "student.libsonnet";
local tasks = import "tasks.libsonnet";

student.distilled(tasks.sick, epochs=10, architecture="cnn")
