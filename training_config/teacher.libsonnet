// A transformer teacher fine-tuned with AllenNLP's own pieces (pretrained_transformer tokenizer /
// indexer / embedder, mean pooling as the sentence-transformers checkpoints were trained). Sentence
// pairs are encoded jointly, with the tokenizer's separator and segment ids.
//
// External variables (defaults set by the plugin, see allennlp_distill/config_vars.py):
//   DISTILL_TEACHER_MODEL        a local Hugging Face model directory (default: the packaged all-MiniLM-L6-v2)
//   DISTILL_TEACHER_HIDDEN_SIZE  its hidden size (default: read from its config.json)
//   DISTILL_EPOCHS               number of epochs (default: each config's own)
//   DISTILL_TRAIN, DISTILL_DEV   data files (default: the task's, see tasks.libsonnet)
//   DISTILL_CUDA_DEVICE, DISTILL_DISTRIBUTED, ...  where it trains (devices.libsonnet)
//   DISTILL_TRUNCATE_FROM        the truncated student only: "" (default) starts it from the
//                                pre-trained model, a fine-tuned teacher's model.tar.gz (or
//                                best.th) from that teacher's embeddings and first blocks
//   DISTILL_WEIGHT_AVERAGE       the truncated student only: a moving average of its weights
//                                (weight_average.libsonnet)
local devices = import "devices.libsonnet";
local tasks = import "tasks.libsonnet";
local teacher = std.extVar("DISTILL_TEACHER_MODEL");
local hidden_size = std.parseInt(std.extVar("DISTILL_TEACHER_HIDDEN_SIZE"));
local epochs_var = std.extVar("DISTILL_EPOCHS");
local truncate_from = std.extVar("DISTILL_TRUNCATE_FROM");
local weight_average = import "weight_average.libsonnet";

{
  // max_tokens: the longest input the teacher sees, in word pieces (both sentences of a pair).
  teacher(task, epochs=2, lr=3e-5, batch_size=32, max_tokens=128):: {
    local embedder = {
      token_embedders: {
        tokens: { type: "pretrained_transformer", model_name: teacher, max_length: max_tokens },
      },
    },
    local encoder = { type: "boe", embedding_dim: hidden_size, averaged: true },
    dataset_reader: tasks.reader(
      task,
      // A pair reader adds the pair's special tokens itself.
      { type: "pretrained_transformer", model_name: teacher, add_special_tokens: !task.pair,
        max_length: if task.pair then null else max_tokens },
      { tokens: { type: "pretrained_transformer", model_name: teacher, max_length: max_tokens } },
      max_tokens=if task.pair then max_tokens else null,
    ),
    train_data_path: tasks.train(task),
    validation_data_path: tasks.dev(task),
    model: if task.regression then {
      type: "text_regressor",
      text_field_embedder: embedder,
      seq2vec_encoder: encoder,
      dropout: 0.1,
    } else {
      type: "f1_classifier",
      namespace: "tags",
      text_field_embedder: embedder,
      seq2vec_encoder: encoder,
      dropout: 0.1,
      positive_label: task.positive_label,
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
      validation_metric: task.metric,
    },
  // The transformer's pooler is not used (mean pooling): DDP must not wait for its gradients.
  } + devices.overlay(find_unused_parameters=true),

  // A truncated teacher as the student ("Which Student is Best?", arXiv 2201.00558; TinyBERT's
  // and PKD's students start from a teacher's lower layers): the first `layers` blocks of the
  // pre-trained teacher model, or with DISTILL_TRUNCATE_FROM of the fine-tuned teacher (AllenNLP's
  // `pretrained` initializer copies its embeddings and those blocks by name; the head starts at
  // random, as the two runs' label orders may differ), mean-pooled, distilled on the task's
  // transfer set by MSE on the teacher's logits (alpha = 0), validated on the gold dev set. Only
  // the transfer set feeds the vocabulary (its labels; word pieces come from the model).
  truncated(task, layers, epochs, lr=1e-4, batch_size=32)::
    local base = self.teacher(task, epochs=epochs, lr=lr, batch_size=batch_size);
    base + {
      train_data_path: tasks.transfer_set(task),
      datasets_for_vocab_creation: ["train"],
      model+: {
        text_field_embedder+: {
          token_embedders+: {
            tokens+: { transformer_kwargs: { num_hidden_layers: layers } },
          },
        },
      } + (if truncate_from == "" then {} else {
        initializer: {
          regexes: [["_text_field_embedder\\..*",
                     { type: "pretrained", weights_file_path: truncate_from }]],
        },
      }),
      trainer+: {
        // The distillation callback first, as in every distilled config (one override,
        // `trainer.callbacks.0.*`, changes the loss), then the devices overlay's (DISTILL_AMP=bf16).
        callbacks: [
          { type: "distillation", soft_loss: { type: "mse" }, alpha: 0.0 },
          { type: "tensorboard" },
        ] + (if "callbacks" in super then super.callbacks else []),
      } + weight_average.trainer,
    },
}
