// The same BiLSTM-CRF tagger as conll2003_distill.jsonnet (300 units per direction, a CRF) trained
// on the gold tags alone (no teacher): the CRF's sequence loss is its whole loss.
local tagging = import "tagging.libsonnet";
local tasks = import "tasks.libsonnet";

tagging.baseline(tasks.conll2003, crf=true, hidden_size=300)
