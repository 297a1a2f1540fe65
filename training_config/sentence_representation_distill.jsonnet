// Non-task-specific distillation (Wu et al. 2020, "Towards Non-task-specific Distillation of BERT via
// Sentence Representation Approximation", §3.1, BiLSTM-SRA; issue 14 step 3): a BiLSTM (or CNN)
// sentence encoder learns to approximate a pre-trained teacher's sentence vector of every sentence
// of an unlabelled corpus, written once by `allennlp sentence-vectors`:
//
//   allennlp sentence-vectors all-MiniLM-L6-v2 ~/.cache/allennlp_distill/unlabelled.txt \
//       -o runs/minilm_vectors --include-package allennlp_distill
//   DISTILL_SENTENCE_VECTORS=runs/minilm_vectors DISTILL_SENTENCE_VECTORS_DEV= \
//       allennlp train training_config/sentence_representation_distill.jsonnet \
//       -s runs/sentence_encoder --include-package allennlp_distill
//
// External variables:
//   DISTILL_SENTENCE_VECTORS      the training vectors' folder. Required: the plugin gives it no
//                                 default.
//   DISTILL_SENTENCE_VECTORS_DEV  a validation vectors' folder (another corpus, by the same
//                                 teacher), or "" for none. Required too, as jsonnet cannot test
//                                 whether an external variable is set: set it empty to train
//                                 without validation (every epoch is then kept, the last is the
//                                 model).
//   DISTILL_TEACHER_HIDDEN_SIZE   the teacher's width (default by the plugin: the hidden size of
//                                 DISTILL_TEACHER_MODEL, 384 for all-MiniLM-L6-v2); the model
//                                 stops at the first batch when the vectors are of another width.
//   DISTILL_SENTENCE_ENCODER      "bilstm" (default: Wu et al.'s max-pooled BiLSTM) or "cnn" (Kim's
//                                 CNN in its place); sentence_encoder.libsonnet.
//   DISTILL_SENTENCE_ENCODER_VECTORS  "frozen" (default by the plugin: the word vectors a task
//                                 student starting from this encoder reads too) or "fine-tuned"
//                                 (the encoder trains the rows of its corpus's words: closer to
//                                 the teacher as a sentence-embedding model, whose export carries
//                                 them; `allennlp word-vectors` writes them, by word, for the task
//                                 students that start from it: scripts/sentence_encoder.sh).
//   DISTILL_WORD_VECTORS, DISTILL_EMBEDDING_DIM, DISTILL_EPOCHS, DISTILL_SEED, and where it
//                                 trains (DISTILL_CUDA_DEVICE, ...): as every student
//                                 (see student.libsonnet).
local train_vectors = std.extVar("DISTILL_SENTENCE_VECTORS");
local dev_vectors = std.extVar("DISTILL_SENTENCE_VECTORS_DEV");
local teacher_size = std.parseInt(std.extVar("DISTILL_TEACHER_HIDDEN_SIZE"));
local word_vectors = std.extVar("DISTILL_WORD_VECTORS");
local embedding_dim = std.parseInt(std.extVar("DISTILL_EMBEDDING_DIM"));
local epochs_var = std.extVar("DISTILL_EPOCHS");
local seed = std.parseInt(std.extVar("DISTILL_SEED"));
local vectors_mode = std.extVar("DISTILL_SENTENCE_ENCODER_VECTORS");

local devices = import "devices.libsonnet";
local sentence_encoder = import "sentence_encoder.libsonnet";
// MSE, Wu et al.'s approximation loss ("cosine": 1 - cosine); the encoder and its sizes are in
// sentence_encoder.libsonnet, shared with the task students that start from it.
local loss = "mse";
local batch_size = 128;
local lr = 1e-3;
local epochs = 10;
local patience = 3;

local bucket(size) = { type: "bucket", batch_size: size, sorting_keys: ["tokens"] };

{
  random_seed: seed,
  numpy_seed: seed,
  pytorch_seed: seed,
  // The students' tokenizer: lowercase words (GloVe 6B is lowercase), mask tokens read as
  // @@UNKNOWN@@ as in the transfer sets, so that a task student can start from this encoder.
  dataset_reader: {
    type: "sentence_vectors",
    tokenizer: { type: "spacy_rules", lowercase: true, special_tokens_as_unknown: true },
  },
  train_data_path: train_vectors,
  // Only the training corpus feeds the vocabulary; every other word of the vectors is still known
  // (open_vocabulary below).
  datasets_for_vocab_creation: ["train"],
  model: {
    type: "sentence_representation_student",
    text_field_embedder: {
      token_embedders: {
        tokens: {
          type: "packaged_word_vectors",
          embedding_dim: embedding_dim,
          pretrained_file: word_vectors,
          // Frozen by default: a task student that starts from this encoder embeds its words
          // with the pretrained vectors themselves (the two runs' vocabularies differ, so rows
          // are not copied), so the encoder learns to read exactly those vectors.
          trainable:
            if vectors_mode == "frozen" then false
            else if vectors_mode == "fine-tuned" then true
            else error "DISTILL_SENTENCE_ENCODER_VECTORS must be 'frozen' or 'fine-tuned', not '"
              + vectors_mode + "'",
          open_vocabulary: true,
        },
      },
    },
    encoder: sentence_encoder.encoder(embedding_dim),
    teacher_size: teacher_size,
    loss: loss,
  },
  data_loader: { batch_sampler: bucket(batch_size) },
  trainer: {
    num_epochs: if epochs_var == "" then epochs else std.parseInt(epochs_var),
    optimizer: { type: "adam", lr: lr },
    callbacks: [{ type: "tensorboard" }],
  } + (if dev_vectors == "" then {} else { patience: patience, validation_metric: "-mse" }),
} + (if dev_vectors == "" then {} else {
  validation_data_path: dev_vectors,
  validation_data_loader: { batch_sampler: bucket(256) },
}) + devices.overlay()
