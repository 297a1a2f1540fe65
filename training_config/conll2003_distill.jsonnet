// The BiLSTM tagger distilled on the conll2003 token-level transfer set (MSE on every token's logits),
// validated on the gold dev file.
local tagging = import "tagging.libsonnet";
local tasks = import "tasks.libsonnet";

tagging.distilled(tasks.conll2003)
