// Fine-tunes the teacher on mrpc (Tang et al. 2019 §4: the teacher is a fine-tuned BERT).
// Data: DISTILL_TRAIN / DISTILL_DEV, default the task's files in tasks.libsonnet.
local lib = import "teacher.libsonnet";
local tasks = import "tasks.libsonnet";

lib.teacher(tasks.mrpc, epochs=4)
