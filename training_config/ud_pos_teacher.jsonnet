// The ud_pos teacher: the transformer (DISTILL_TEACHER_MODEL) fine-tuned for token classification.
local tagging = import "tagging.libsonnet";
local tasks = import "tasks.libsonnet";

tagging.teacher(tasks.ud_pos)
