// The sentence encoder of non-task-specific distillation (Wu et al. 2020, BiLSTM-SRA), shared by
// the config that distils it (sentence_representation_distill.jsonnet) and the task students that
// start from it (student.libsonnet with DISTILL_PRETRAINED_ENCODER): both must build the same
// encoder for its weights to load.
//
// DISTILL_SENTENCE_ENCODER picks it (default by the plugin: "bilstm"; set it alike for the encoder
// and its task students, whose initializer names a mismatch):
//   "bilstm"  Wu et al.'s: one BiLSTM layer, 300 units per direction (the upper end of Tang et
//             al.'s 150 to 300; Wu et al.'s own sizes could not be checked offline, so this is our
//             choice, not a reproduction of theirs), max-pooled over the tokens' states;
//   "cnn"     Kim (2014)'s sentence CNN (`wide_cnn`) in its place, as "Which Student is Best?"
//             (arXiv 2201.00558) swaps students: 300 filters of each width 1, 2 and 3, ReLU,
//             max over time: about 1/10 of the BiLSTM's multiply-adds per word and no
//             recurrence.
// DISTILL_SENTENCE_ENCODER_FILTERS: the CNN's filters of each width (default by the plugin: 300;
// 150: about 1.5x the sentences/s at batch 256, about one Spearman point further from the
// teacher, docs/results.md).
// DISTILL_SENTENCE_ENCODER_PROJECTION: the width of the distilled encoder's projection to its
// teacher's sentence vector that a task student keeps on top of the encoder (default by the
// plugin: read from DISTILL_PRETRAINED_ENCODER's weights, e.g. 384; empty, none, without one):
// the task student is fine-tuned on the representation that approximates the teacher's (Wu et
// al. 2020), not on the pooled features under it. "0": the pooled features (as before
// 2026-12-07).
local architecture = std.extVar("DISTILL_SENTENCE_ENCODER");
local filters_var = std.extVar("DISTILL_SENTENCE_ENCODER_FILTERS");
local digits(text) =
  std.length(text) > 0 && std.all([c >= "0" && c <= "9" for c in std.stringChars(text)]);
local filters =
  if digits(filters_var) && filters_var[0] != "0" then std.parseInt(filters_var)
  else error "DISTILL_SENTENCE_ENCODER_FILTERS must be a whole number of filters above 0, not '"
    + filters_var + "'";
local projection_var = std.extVar("DISTILL_SENTENCE_ENCODER_PROJECTION");
local projection =
  if projection_var == "" then 0
  else if digits(projection_var) && (projection_var == "0" || projection_var[0] != "0")
  then std.parseInt(projection_var)
  else error "DISTILL_SENTENCE_ENCODER_PROJECTION must be a whole number of dimensions (0 or empty: none), not '"
    + projection_var + "'";
{
  hidden_size: 300,
  pooling: "max",
  num_filters: filters,
  ngram_filter_sizes: [1, 2, 3],
  // The projection width a task student keeps (0: none).
  projection: projection,
  // output_dim > 0: the encoder's own linear layer to that width after the pooling (the task
  // students' `projection`; the distilling student keeps its projection outside the encoder).
  encoder(input_dim, output_dim=0)::
    (if architecture == "bilstm" then {
      type: "pooled_bilstm",
      input_dim: input_dim,
      hidden_size: $.hidden_size,
      pooling: $.pooling,
    } else if architecture == "cnn" then {
      type: "wide_cnn",
      embedding_dim: input_dim,
      num_filters: $.num_filters,
      ngram_filter_sizes: $.ngram_filter_sizes,
    } else error "DISTILL_SENTENCE_ENCODER must be 'bilstm' or 'cnn', not '" + architecture + "'")
    + (if output_dim > 0 then { output_dim: output_dim } else {}),
  // AllenNLP's `pretrained` initializer (ours names weights of the other architecture): every
  // parameter under the model's `_encoder` (the task students and the sentence-representation
  // student name their encoder alike; a task student's `_encoder.projection_layer` is the
  // distilled student's `_projection`) from the distilled run's weights file; the embeddings start
  // from the word vectors as usual (the two runs' vocabularies differ, so rows cannot be copied by
  // index), the heads at random.
  initializer(weights_file):: {
    regexes: [["_encoder\\..*", {
      type: "pretrained_sentence_encoder",
      weights_file_path: weights_file,
    }]],
  },
}
