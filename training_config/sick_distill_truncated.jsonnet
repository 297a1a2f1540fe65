// The truncated-teacher student for pairs: the first 2 of all-MiniLM-L6-v2's 6 blocks
// (pre-trained, not fine-tuned) read both sentences jointly, as the teacher does (a cross-encoder,
// not a siamese one), mean-pooled, distilled on the sick transfer set by MSE on the teacher's
// logits: the pair twin of sst2_distill_truncated.jsonnet.
local lib = import "teacher.libsonnet";
local tasks = import "tasks.libsonnet";

lib.truncated(tasks.sick, layers=2, epochs=2)
