// The small-transformer student ("Which Student is Best?", arXiv 2201.00558) distilled on the sst2
// transfer set: 2 self-attention blocks of width 200 over the word vectors, mean-pooled, MSE on
// the teacher's logits alone (alpha = 0), validated on the gold dev set. The same data, vocabulary
// policy and word vectors as sst2_distill.jsonnet; only the encoder (and Adam's rate) differs.
local student = import "student.libsonnet";
local tasks = import "tasks.libsonnet";

student.distilled(tasks.sst2, epochs=6, architecture="transformer")
