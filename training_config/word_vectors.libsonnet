// The students' word embedding (`packaged_word_vectors`), shared by student.libsonnet and
// tagging.libsonnet: one choice of "Which Student is Best?" (arXiv 2201.00558) as one variable.
//
// External variables (defaults set by the plugin, see allennlp_distill/config_vars.py):
//   DISTILL_WORD_VECTORS, DISTILL_EMBEDDING_DIM  the vectors and their width
//   DISTILL_EMBEDDING_MODE  how the student uses them:
//     "fine-tuned" (default)  pretrained rows, fine-tuned (Tang et al. 2019)
//     "frozen"                pretrained rows, never updated (the unknown-word row stays random)
//     "multichannel"          a static channel of the same vectors beside the fine-tuned one,
//                             twice as wide (Kim 2014's multichannel embedding)
//     "random"                no pretrained vectors: rows from Xavier-uniform noise, trained,
//                             and a vocabulary closed to the training data's words
// In every mode with vectors, words outside the training data (the transfer set) keep their
// pretrained vectors as frozen rows (the open vocabulary).
local mode = std.extVar("DISTILL_EMBEDDING_MODE");
local modes = ["fine-tuned", "frozen", "multichannel", "random"];

{
  dim: std.parseInt(std.extVar("DISTILL_EMBEDDING_DIM")),
  mode: if std.member(modes, mode) then mode
        else error "DISTILL_EMBEDDING_MODE must be one of " + std.join(", ", modes) + ", not '"
                   + mode + "'",
  // The embedder's output width for vectors of `embedding_dim`.
  width(embedding_dim):: if self.mode == "multichannel" then 2 * embedding_dim else embedding_dim,
  embedder(embedding_dim):: {
    type: "packaged_word_vectors",
    embedding_dim: embedding_dim,
    pretrained_file: if $.mode == "random" then null else std.extVar("DISTILL_WORD_VECTORS"),
    trainable: $.mode != "frozen",
    open_vocabulary: true,
    static_channel: $.mode == "multichannel",
  },
}
