// The conll2003 teacher: the transformer (DISTILL_TEACHER_MODEL) fine-tuned for token classification.
local tagging = import "tagging.libsonnet";
local tasks = import "tasks.libsonnet";

tagging.teacher(tasks.conll2003)
