// The truncated-teacher student for pairs (see sick_distill_truncated.jsonnet) distilled on the
// mrpc transfer set: the pair twin of sst2_distill_truncated.jsonnet (4 epochs as SICK's chose;
// not measured on MRPC).
local lib = import "teacher.libsonnet";
local tasks = import "tasks.libsonnet";

lib.truncated(tasks.mrpc, layers=2, epochs=4)
