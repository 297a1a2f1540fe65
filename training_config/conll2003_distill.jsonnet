// The BiLSTM tagger distilled on the conll2003 token-level transfer set with the recipe that UD POS
// chose on its dev set (training_config/ud_pos_distill.jsonnet): KL divergence between the
// teacher's and the student's tag distributions at temperature 2 on every token, 300 LSTM units
// per direction, a CRF whose sequence loss is the hard loss, mixed in at alpha 0.5 (README,
// CoNLL-2003). Validated on the gold dev file (span F1).
local tagging = import "tagging.libsonnet";
local tasks = import "tasks.libsonnet";

tagging.distilled(tasks.conll2003, soft_loss="kl", temperature=2.0, alpha=0.5, crf=true,
                  hidden_size=300)
