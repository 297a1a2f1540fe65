// The same BiLSTM-CRF tagger as ud_pos_distill.jsonnet (300 units per direction, a CRF) trained
// on the gold tags alone (no teacher): the CRF's sequence loss is its whole loss.
local tagging = import "tagging.libsonnet";
local tasks = import "tasks.libsonnet";

tagging.baseline(tasks.ud_pos, crf=true, hidden_size=300)
