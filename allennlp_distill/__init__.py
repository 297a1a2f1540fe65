"""
allennlp-distill: distil a fine-tuned transformer teacher into small students with AllenNLP.

Importing the package (`--include-package allennlp_distill` or `.allennlp_plugins`) registers
every component and sets the defaults of the configs' external variables.
"""

from allennlp_distill import compat

compat.apply_all()

from allennlp_distill.config_vars import set_default_config_vars  # noqa: E402
from allennlp_distill.teachers import resolve_teacher_names_when_built  # noqa: E402

set_default_config_vars()
resolve_teacher_names_when_built()

from allennlp_distill import (  # noqa: E402,F401
    commands,
    dataset_readers,
    models,
    modules,
    predictors,
    token_indexers,
    tokenizers,
    training,
)
