// DISTILL_WEIGHT_AVERAGE: "" (default) for a student evaluated and saved with the weights of its
// last step, or the decay of an exponential moving average of its weights (e.g. 0.999: about
// the last 1,000 batches), AllenNLP's `exponential` MovingAverage. Every validation, best.th and
// the archive then use the averaged weights; the optimizer steps the raw ones. The plugin checks
// the value (allennlp_distill/config_vars.py: check_weight_average).
local decay = std.extVar("DISTILL_WEIGHT_AVERAGE");

{
  // The trainer's part: merged into a student's `trainer`.
  trainer: if decay == "" then {}
           else { moving_average: { type: "exponential", decay: std.parseJson(decay) } },
}
