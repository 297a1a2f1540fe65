// A transformer teacher fine-tuned with AllenNLP's own pieces (basic_classifier, pretrained_transformer
// tokenizer / indexer / embedder, mean pooling as the sentence-transformers checkpoints were trained).
//
// External variables (defaults set by the plugin, see allennlp_distill/config_vars.py):
//   DISTILL_TEACHER_MODEL        a local Hugging Face model directory (default: the packaged all-MiniLM-L6-v2)
//   DISTILL_TEACHER_HIDDEN_SIZE  its hidden size (default: read from its config.json)
//   DISTILL_EPOCHS               number of epochs (default: each config's own)
local teacher = std.extVar("DISTILL_TEACHER_MODEL");
local hidden_size = std.parseInt(std.extVar("DISTILL_TEACHER_HIDDEN_SIZE"));
local epochs_var = std.extVar("DISTILL_EPOCHS");

{
  // max_tokens: the longest input the teacher sees, in word pieces.
  teacher(train_path, dev_path, epochs=2, lr=3e-5, batch_size=32, max_tokens=128):: {
    dataset_reader: {
      type: "teacher_logits",
      tokenizer: { type: "pretrained_transformer", model_name: teacher, max_length: max_tokens },
      token_indexers: {
        tokens: { type: "pretrained_transformer", model_name: teacher, max_length: max_tokens },
      },
    },
    train_data_path: train_path,
    validation_data_path: dev_path,
    model: {
      type: "basic_classifier",
      namespace: "tags",
      text_field_embedder: {
        token_embedders: {
          tokens: { type: "pretrained_transformer", model_name: teacher, max_length: max_tokens },
        },
      },
      seq2vec_encoder: { type: "boe", embedding_dim: hidden_size, averaged: true },
      dropout: 0.1,
    },
    data_loader: {
      batch_sampler: { type: "bucket", batch_size: batch_size, sorting_keys: ["tokens"] },
    },
    validation_data_loader: {
      batch_sampler: { type: "bucket", batch_size: 128, sorting_keys: ["tokens"] },
    },
    trainer: {
      num_epochs: if epochs_var == "" then epochs else std.parseInt(epochs_var),
      optimizer: {
        type: "huggingface_adamw",
        lr: lr,
        weight_decay: 0.01,
        parameter_groups: [[["bias", "LayerNorm\\.weight"], { weight_decay: 0.0 }]],
      },
      learning_rate_scheduler: { type: "slanted_triangular", cut_frac: 0.06 },
      grad_norm: 1.0,
      validation_metric: "+accuracy",
    },
  },
}
