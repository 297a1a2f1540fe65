// Where a config trains: one device, or several processes (GPUs, CPUs, machines) through
// AllenNLP's own distributed training (torch.distributed: NCCL on GPUs, gloo on CPUs).
// Every teacher, student and sentence-encoder config adds `devices.overlay(...)`.
//
// External variables (defaults set by the plugin, see allennlp_distill/config_vars.py):
//   DISTILL_CUDA_DEVICE      "-1" (default: CPU) or a GPU index, for one training process
//   DISTILL_DISTRIBUTED      "" (default: one process), or one device per process on this machine,
//                            comma-separated: "0,1,2,3" (four GPUs), "-1,-1" (two CPU processes)
//   DISTILL_NUM_NODES        machines taking part, each running the same devices (default "1");
//                            start `allennlp train ... --node-rank K` on machine K
//   DISTILL_PRIMARY_ADDRESS  address of the machine with node rank 0 (default "127.0.0.1")
//   DISTILL_PRIMARY_PORT     its port ("" (default): a free one, found when all run on one machine)
//   DISTILL_AMP              "" (default), "1": mixed precision (fp16 autocast and gradient
//                            scaling, AllenNLP's `use_amp`; needs a GPU), or "bf16": bfloat16
//                            autocast of every training forward pass on any device (the
//                            `bf16_autocast` callback; faster on CPUs with bfloat16 instructions)
local cuda_device = std.parseInt(std.extVar("DISTILL_CUDA_DEVICE"));
local distributed = std.extVar("DISTILL_DISTRIBUTED");
local num_nodes = std.parseInt(std.extVar("DISTILL_NUM_NODES"));
local primary_address = std.extVar("DISTILL_PRIMARY_ADDRESS");
local primary_port = std.extVar("DISTILL_PRIMARY_PORT");
local amp = std.extVar("DISTILL_AMP");

{
  // find_unused_parameters: PyTorch DDP's flag, for models where some parameters get no
  // gradient in a step (a transformer's pooler, a tagger's CRF under a soft loss alone).
  overlay(find_unused_parameters=false):: {
    trainer+: {
      [if amp == "1" then "use_amp"]: true,
      [if amp == "bf16" then "callbacks"]+: [{ type: "bf16_autocast" }],
    },
  } + if distributed == "" && num_nodes == 1 then {
    trainer+: { cuda_device: cuda_device },
  } else {
    distributed: {
      cuda_devices: std.map(std.parseInt, std.split(distributed, ",")),
      num_nodes: num_nodes,
      primary_address: primary_address,
      [if primary_port != "" then "primary_port"]: std.parseInt(primary_port),
      ddp_accelerator: { type: "distill", find_unused_parameters: find_unused_parameters },
    },
  },
}
