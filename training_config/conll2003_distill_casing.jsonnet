// conll2003_distill.jsonnet's student without the character CNN: each word is its GloVe vector and
// its casing class (all lower, initial upper, all upper, numeric, ...) embedded in 8 dimensions,
// the case that a name is told by at the cost of one lookup. The same recipe otherwise (KL at
// temperature 2, alpha 0.5, 300 units per direction, a CRF).
local tagging = import "tagging.libsonnet";
local tasks = import "tasks.libsonnet";

tagging.distilled(tasks.conll2003, soft_loss="kl", temperature=2.0, alpha=0.5, crf=true,
                  hidden_size=300, char_filters=0, casing_dim=8)
