// Sequence labelling ("Which Student is Best?", arXiv 2201.00558, task-specific distillation for
// tagging): a transformer teacher fine-tuned for token classification, and a BiLSTM tagger student
// that learns the teacher's logits of every token of the token-level transfer set (Tang et al.
// 2019's MSE on logits, per token), or, as the baseline, the gold tags alone.
//
// External variables (defaults set by the plugin, see allennlp_distill/config_vars.py):
//   DISTILL_TEACHER_MODEL   a local Hugging Face model directory (default: all-MiniLM-L6-v2)
//   DISTILL_WORD_VECTORS, DISTILL_EMBEDDING_DIM, DISTILL_EMBEDDING_MODE  the student's word
//                                              vectors (word_vectors.libsonnet)
//   DISTILL_EPOCHS, DISTILL_SEED
//   DISTILL_WEIGHT_AVERAGE  a moving average of the student's weights (weight_average.libsonnet)
//   DISTILL_TRAIN, DISTILL_TRANSFER_SET, DISTILL_DEV  data files (default: tasks.libsonnet's)
//   DISTILL_CUDA_DEVICE, DISTILL_DISTRIBUTED, ...  where it trains (devices.libsonnet)
local devices = import "devices.libsonnet";
local tasks = import "tasks.libsonnet";
local teacher_model = std.extVar("DISTILL_TEACHER_MODEL");
local weight_average = import "weight_average.libsonnet";
local word_vectors = import "word_vectors.libsonnet";
local epochs_var = std.extVar("DISTILL_EPOCHS");
local seed = std.parseInt(std.extVar("DISTILL_SEED"));
local num_epochs(epochs) = if epochs_var == "" then epochs else std.parseInt(epochs_var);

// Longer inputs are split into windows of this many word pieces and joined again by AllenNLP's
// mismatched embedder (never truncated): 512 is BERT's and MiniLM's window.
local teacher_window = 512;
local transformer = { type: "pretrained_transformer_mismatched", model_name: teacher_model,
                      max_length: teacher_window };

local bucket(size) = { type: "bucket", batch_size: size, sorting_keys: ["tokens"] };

// A CNN over each word's characters (Ma & Hovy 2016: 16-d characters, filters of width 3), the
// student's and, by default, the teacher's: it sees the case that an uncased teacher's word
// pieces and GloVe 6B have lost.
local characters_indexer = { type: "characters", min_padding_length: 3 };
// The student reads each word's first 20 characters (`capped_characters`): a batch's character
// tensor is as wide as its longest word, and web text (UD English-EWT) has URLs of 143
// characters. Measured on the exported UD POS student, batch 256: 2.7x the sentences/s, dev
// accuracy -0.04 before any retraining (README, UD English-EWT).
local student_characters_indexer = characters_indexer + { type: "capped_characters",
                                                          max_characters: 20 };
// `real_word_characters`: AllenNLP's `character_encoding` that skips the padding words of a batch
// (the same parameters and outputs; an archive of either type loads as the other).
local characters_embedder(filters) = {
  type: "real_word_characters",
  embedding: { embedding_dim: 16, vocab_namespace: "token_characters" },
  encoder: { type: "cnn", embedding_dim: 16, num_filters: filters, ngram_filter_sizes: [3] },
};

local reader(task, token_indexers) = {
  type: "tagging",
  token_indexers: token_indexers,
  label_encoding: task.label_encoding,
  tags: task.tags,
  // The teacher's mask token, written by the augmentation, is the student's unknown word.
  unknown_tokens: ["[MASK]", "<mask>"],
};

{
  // The teacher: each word is the mean of its word pieces' last hidden states (BERT's token
  // classification with AllenNLP's word-level pooling), joined by default with a character CNN of
  // `char_filters` filters, then a linear layer. The packaged teachers are uncased, and case is
  // most of what tells a name in NER: the character CNN gives it back, trained from scratch at
  // `char_lr` while the transformer is fine-tuned at `lr`. `char_filters=0`: the transformer alone.
  teacher(task, epochs=3, lr=5e-5, batch_size=16, char_filters=50, char_lr=1e-3):: {
    local characters = char_filters > 0,
    local chars = "^_text_field_embedder\\.token_embedder_token_characters\\.",
    random_seed: seed,
    numpy_seed: seed,
    pytorch_seed: seed,
    dataset_reader: reader(task, { tokens: transformer }
                                 + (if characters then { token_characters: characters_indexer }
                                    else {})) + { unknown_tokens: [] },
    train_data_path: tasks.train(task),
    validation_data_path: tasks.dev(task),
    datasets_for_vocab_creation: ["train"],
    model: {
      type: "distilled_tagger",
      text_field_embedder: { token_embedders: { tokens: transformer }
                                              + (if characters then
                                                   { token_characters: characters_embedder(char_filters) }
                                                 else {}) },
      dropout: 0.1,
      label_encoding: task.label_encoding,
    },
    data_loader: { batch_sampler: bucket(batch_size) },
    validation_data_loader: { batch_sampler: bucket(64) },
    trainer: {
      num_epochs: num_epochs(epochs),
      optimizer: {
        type: "huggingface_adamw",
        lr: lr,
        weight_decay: 0.01,
        // The character CNN trains at char_lr without weight decay (its own group: a parameter
        // may match one group only, hence the bias pattern that skips it).
        parameter_groups: (if characters then [[[chars], { lr: char_lr, weight_decay: 0.0 }]]
                           else [])
                          + [[["^(?!" + chars + ").*bias$", "LayerNorm\\.weight"],
                              { weight_decay: 0.0 }]],
      },
      learning_rate_scheduler: { type: "slanted_triangular", cut_frac: 0.06 },
      grad_norm: 1.0,
      validation_metric: task.metric,
    },
  // The transformer's pooler is not used: DDP must not wait for its gradients.
  } + devices.overlay(find_unused_parameters=true),

  // The distilled student: the transfer set, MSE on every token's logits (alpha = 0: the soft
  // loss alone, Tang et al.'s choice), or `soft_loss="kl"` at `temperature` (Hinton et al. 2015).
  // `crf`: a linear-chain CRF over the logits, its sequence loss the hard loss (alpha > 0 trains
  // its transitions; at alpha = 0 it only keeps the decoded tags a valid BIO path).
  distilled(task, epochs=10, alpha=0.0, soft_loss="mse", temperature=1.0, crf=false,
            hidden_size=150, char_filters=50, casing_dim=0)::
    self.student(task, tasks.transfer_set(task), epochs, crf=crf, hidden_size=hidden_size,
                 char_filters=char_filters, casing_dim=casing_dim, callbacks=[
      { type: "distillation", soft_loss: { type: soft_loss }, temperature: temperature,
        alpha: alpha },
      { type: "tensorboard" },
    ]),

  // The no-distillation baseline: the same student on the gold training set alone.
  baseline(task, epochs=20, crf=false, hidden_size=150, char_filters=50, casing_dim=0)::
    self.student(task, tasks.train(task), epochs, crf=crf, hidden_size=hidden_size,
                 char_filters=char_filters, casing_dim=casing_dim),

  // A BiLSTM tagger (Lample et al. 2016, its CRF optional; Ma & Hovy 2016's character CNN): each
  // word is its GloVe vector (lowercase, open vocabulary) and a CNN over its characters, which
  // sees the case that GloVe 6B has lost; one bidirectional LSTM layer; dropout 0.3.
  // `char_filters=0`: no character CNN. `casing_dim > 0`: each word's casing class (all lower,
  // initial upper, numeric, ...: the `word_casing` indexer, Reimers & Gurevych 2017) embedded in
  // that many dimensions, a cheaper way to see the case than the characters.
  student(task, train_path, epochs, callbacks=[], hidden_size=150, char_filters=50,
          casing_dim=0, batch_size=32, lr=1e-3, patience=4, crf=false):: {
    random_seed: seed,
    numpy_seed: seed,
    pytorch_seed: seed,
    dataset_reader: reader(task, { tokens: { type: "lowercase_words" } }
                                 + (if char_filters > 0 then
                                      { token_characters: student_characters_indexer }
                                    else {})
                                 + (if casing_dim > 0 then { word_casing: { type: "word_casing" } }
                                    else {})),
    train_data_path: train_path,
    validation_data_path: tasks.dev(task),
    // Only the training data feeds the vocabulary; every other GloVe word is still known.
    datasets_for_vocab_creation: ["train"],
    model: {
      type: "distilled_tagger",
      text_field_embedder: {
        token_embedders: {
          tokens: word_vectors.embedder(word_vectors.dim),
        } + (if char_filters > 0 then { token_characters: characters_embedder(char_filters) }
             else {})
          + (if casing_dim > 0 then { word_casing: { embedding_dim: casing_dim,
                                                     vocab_namespace: "word_casing" } }
             else {}),
      },
      encoder: { type: "lstm",
                 input_size: word_vectors.width(word_vectors.dim) + char_filters + casing_dim,
                 hidden_size: hidden_size, bidirectional: true },
      dropout: 0.3,
      label_encoding: task.label_encoding,
      crf: crf,
    },
    data_loader: { batch_sampler: bucket(batch_size) },
    validation_data_loader: { batch_sampler: bucket(256) },
    trainer: {
      num_epochs: num_epochs(epochs),
      patience: patience,
      optimizer: { type: "adam", lr: lr },
      validation_metric: task.metric,
      callbacks: callbacks,
    } + weight_average.trainer,
  // A CRF (the hard loss's, optional) gets no gradient when the soft loss is all.
  } + devices.overlay(find_unused_parameters=true),
}
