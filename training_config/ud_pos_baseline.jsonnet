// The same BiLSTM tagger as ud_pos_distill.jsonnet trained on the gold tags alone (no teacher).
local tagging = import "tagging.libsonnet";
local tasks = import "tasks.libsonnet";

tagging.baseline(tasks.ud_pos)
