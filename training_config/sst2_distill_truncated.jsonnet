// The truncated-teacher student: the first 2 of all-MiniLM-L6-v2's 6 blocks (pre-trained, not
// fine-tuned), mean-pooled, distilled on the sst2 transfer set by MSE on the teacher's logits.
// The word-vector small transformer is sst2_distill_transformer.jsonnet; the README compares them.
local lib = import "teacher.libsonnet";
local tasks = import "tasks.libsonnet";

lib.truncated(tasks.sst2, layers=2, epochs=2)
