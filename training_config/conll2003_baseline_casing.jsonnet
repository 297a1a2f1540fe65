// conll2003_distill_casing.jsonnet's student (GloVe and an 8-d casing class per word, no
// character CNN; 300 units per direction, a CRF) trained on the gold tags alone (no teacher).
local tagging = import "tagging.libsonnet";
local tasks = import "tasks.libsonnet";

tagging.baseline(tasks.conll2003, crf=true, hidden_size=300, char_filters=0, casing_dim=8)
