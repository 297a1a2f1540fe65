// The sentence encoder of non-task-specific distillation (Wu et al. 2020, BiLSTM-SRA), shared by
// the config that distils it (sentence_representation_distill.jsonnet) and the task students that
// start from it (student.libsonnet with DISTILL_PRETRAINED_ENCODER): both must build the same
// `pooled_bilstm` for its weights to load.
//
// 300 units per direction: the upper end of Tang et al.'s BiLSTM (150 to 300); Wu et al.'s own
// sizes could not be checked offline, so this is our choice, not a reproduction of theirs. Max
// pooling over the tokens' states (mean is the other choice of pooled_bilstm).
{
  hidden_size: 300,
  pooling: "max",
  encoder(input_dim):: {
    type: "pooled_bilstm",
    input_dim: input_dim,
    hidden_size: $.hidden_size,
    pooling: $.pooling,
  },
  // AllenNLP's `pretrained` initializer: every parameter under the model's `_encoder` (the task
  // students and the sentence-representation student name their encoder alike) from the distilled
  // run's weights file; the embeddings start from the word vectors as usual (the two runs'
  // vocabularies differ, so rows cannot be copied by index), the heads at random.
  initializer(weights_file):: {
    regexes: [["_encoder\\..*", { type: "pretrained", weights_file_path: weights_file }]],
  },
}
