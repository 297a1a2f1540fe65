// The CNN student (Kim 2014, as in "Which Student is Best?", arXiv 2201.00558) distilled on the
// sst2 transfer set: MSE on the teacher's logits alone (alpha = 0), validated on the gold dev set.
// The same data, vocabulary policy and word vectors as sst2_distill.jsonnet; only the encoder differs.
// 12 epochs, not 6: dev was still rising at the 6th (86.47), best at the 10th (86.93; 2026-12-04,
// about 40 s an epoch on 2 cores; dev chose, the held-out slice moved by +1.1).
local student = import "student.libsonnet";
local tasks = import "tasks.libsonnet";

student.distilled(tasks.sst2, epochs=12, architecture="cnn")
