// The same BiLSTM tagger as conll2003_distill.jsonnet trained on the gold tags alone (no teacher).
local tagging = import "tagging.libsonnet";
local tasks = import "tasks.libsonnet";

tagging.baseline(tasks.conll2003)
