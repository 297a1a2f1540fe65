from typing import Dict, Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.models.model import Model
from allennlp.modules import Seq2VecEncoder, TextFieldEmbedder
from allennlp.nn import Initializer, InitializerApplicator
from allennlp.nn.initializers import PretrainedModelInitializer
from allennlp.nn.util import dist_reduce_sum, get_text_field_mask

from allennlp_distill.models.bilstm_student import student_encoder
from allennlp_distill.modules.pooled_bilstm import PooledBiLstm

LOSSES = ("mse", "cosine")
DEFAULT_HIDDEN_SIZE = 300


class ApproximationMetrics:
    """
    How close the student's sentence vectors are to the teacher's over an epoch: `mse`, the mean
    squared difference over every dimension of every sentence (the `mse` loss, epoch-wide), and
    `cosine`, the mean cosine similarity of a sentence's two vectors.
    """

    def __init__(self) -> None:
        self.reset()

    def __call__(self, student: torch.Tensor, teacher: torch.Tensor) -> None:
        """`student`, `teacher`: `(batch_size, teacher_size)`."""
        student, teacher = student.detach().float(), teacher.detach().float()
        self._squared_error += dist_reduce_sum(float((student - teacher).pow(2).sum()))
        self._values += dist_reduce_sum(student.numel())
        cosine = torch.nn.functional.cosine_similarity(student, teacher, dim=-1)
        self._cosine += dist_reduce_sum(float(cosine.sum()))
        self._rows += dist_reduce_sum(student.size(0))

    def get_metric(self, reset: bool = False) -> Dict[str, float]:
        metrics = {
            "mse": self._squared_error / max(self._values, 1),
            "cosine": self._cosine / max(self._rows, 1),
        }
        if reset:
            self.reset()
        return metrics

    def reset(self) -> None:
        self._squared_error = 0.0
        self._values = 0
        self._cosine = 0.0
        self._rows = 0


@Model.register("sentence_representation_student")
class SentenceRepresentationStudent(Model):
    """
    Non-task-specific distillation of a pre-trained teacher into a BiLSTM sentence encoder (Wu et
    al. 2020, "Towards Non-task-specific Distillation of BERT via Sentence Representation
    Approximation", §3.1, BiLSTM-SRA): word embeddings, a sentence encoder (by default one BiLSTM
    layer max-pooled over the tokens, `pooled_bilstm`; or Kim's CNN, `wide_cnn`) and a linear
    projection to the teacher's width, trained on unlabelled sentences to approximate the
    teacher's sentence vector of each (the `sentence_vectors` reader). The encoder is then the
    start of a task student (`bilstm_student`'s `encoder`), fine-tuned or distilled further on a
    task.

    Registered as a `Model` with name "sentence_representation_student".

    # Parameters
    vocab : `Vocabulary`
    text_field_embedder : `TextFieldEmbedder`
        Embeds the `tokens` field: shape `(batch_size, num_tokens, embedding_dim)`.
    teacher_size : `int`
        The width of the teacher's sentence vectors (its hidden size: 384 for all-MiniLM-L6-v2).
    encoder : `Seq2VecEncoder`, optional (default = `pooled_bilstm` of 300 units per direction)
        The student's sentence encoder, reading the embedder's vectors.
    loss : `str`, optional (default = `"mse"`)
        `"mse"`, the mean squared difference from the teacher's vector (Wu et al.'s approximation
        loss), or `"cosine"`, one minus their cosine similarity, averaged over the batch (the
        direction alone: a teacher whose vectors are compared by cosine, as sentence-transformers'
        are, cares for no more).
    dropout : `float`, optional (default = `0.0`)
        Dropout on the encoder's sentence vector, before the projection.
    initializer : `InitializerApplicator`, optional

    `forward(tokens, teacher_vector=None)` returns `sentence_vector`, `(batch_size,
    teacher_size)`, and, with `teacher_vector` `(batch_size, teacher_size)`, the scalar `loss`.
    Metrics: `mse` and `cosine` over the epoch (`ApproximationMetrics`), so `"-mse"` or
    `"+cosine"` is a `validation_metric`.

    # Raises
    `ConfigurationError` when `loss` is neither `"mse"` nor `"cosine"` or `encoder`'s input width
    is not the embedder's output width; in `forward`, when `teacher_vector` is not
    `teacher_size` wide (a vectors folder of another teacher).
    """

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        teacher_size: int,
        encoder: Optional[Seq2VecEncoder] = None,
        loss: str = "mse",
        dropout: float = 0.0,
        initializer: Optional[InitializerApplicator] = None,
        **kwargs,
    ) -> None:
        super().__init__(vocab, **kwargs)
        if loss not in LOSSES:
            raise ConfigurationError(f"model.loss must be one of {LOSSES}, not {loss!r}")
        self._text_field_embedder = text_field_embedder
        if encoder is None:
            width = text_field_embedder.get_output_dim()
            encoder = PooledBiLstm(input_dim=width, hidden_size=DEFAULT_HIDDEN_SIZE)
        self._encoder = student_encoder(text_field_embedder, encoder, DEFAULT_HIDDEN_SIZE)
        self._dropout = torch.nn.Dropout(dropout)
        self._projection = torch.nn.Linear(self._encoder.get_output_dim(), teacher_size)
        self._teacher_size = teacher_size
        self._loss = loss
        self._metrics = ApproximationMetrics()
        (initializer or InitializerApplicator())(self)

    def forward(
        self, tokens: TextFieldTensors, teacher_vector: Optional[torch.Tensor] = None
    ) -> Dict[str, torch.Tensor]:
        """
        # Parameters
        tokens : `TextFieldTensors`
            Token ids, `(batch_size, num_tokens)`.
        teacher_vector : `torch.Tensor`, optional
            The teacher's sentence vectors, `(batch_size, teacher_size)`.

        # Returns
        `sentence_vector`: `(batch_size, teacher_size)`; `loss` (scalar) when `teacher_vector`
        is given.

        # Raises
        `ConfigurationError` when `teacher_vector` is not `(batch_size, teacher_size)`.
        """
        mask = get_text_field_mask(tokens)
        encoded = self._encoder(self._text_field_embedder(tokens), mask)
        sentence_vector = self._projection(self._dropout(encoded))
        output = {"sentence_vector": sentence_vector}
        if teacher_vector is None:
            return output
        if teacher_vector.shape != sentence_vector.shape:
            raise ConfigurationError(
                f"the teacher's sentence vectors are {teacher_vector.size(-1)}-d but "
                f"model.teacher_size is {self._teacher_size}: set it to the teacher's hidden size "
                "(DISTILL_TEACHER_HIDDEN_SIZE), or read vectors written by the teacher meant"
            )
        if self._loss == "mse":
            output["loss"] = torch.nn.functional.mse_loss(sentence_vector, teacher_vector)
        else:
            cosine = torch.nn.functional.cosine_similarity(sentence_vector, teacher_vector, dim=-1)
            output["loss"] = (1 - cosine).mean()
        self._metrics(sentence_vector, teacher_vector)
        return output

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        return self._metrics.get_metric(reset)

    default_predictor = "sentence_embedding"


def encoder_architecture(weights: Dict[str, torch.Tensor]) -> Optional[str]:
    """
    Which sentence encoder of `training_config/sentence_encoder.libsonnet` a state dict's
    `_encoder.*` parameters belong to: "cnn" (`wide_cnn`'s `conv_layer_*`), "bilstm"
    (`pooled_bilstm`'s `_lstm`), or `None` (no encoder of either).
    """
    names = [name for name in weights if name.startswith("_encoder.")]
    if any(name.startswith("_encoder.conv_layer_") for name in names):
        return "cnn"
    if any(name.startswith("_encoder._lstm.") for name in names):
        return "bilstm"
    return None


# A task student's copy of the distilled student's `_projection` (the encoder's `output_dim`).
PROJECTION_PREFIX = "_encoder.projection_layer."


@Initializer.register("pretrained_sentence_encoder")
class PretrainedSentenceEncoderInitializer(PretrainedModelInitializer):
    """
    AllenNLP's `pretrained` initializer for a task student's `_encoder.*` parameters from a
    distilled sentence encoder's weights (Wu et al. 2020, §3.2: the encoder distilled on
    unlabelled text, then trained on the task), which names the problem when the weights are of
    another encoder than the one the student builds: AllenNLP's own stops at a `KeyError`.

    Registered as an `Initializer` with name "pretrained_sentence_encoder"
    (`sentence_encoder.libsonnet`'s `initializer`).

    # Parameters
    weights_file_path : `str`
        A `sentence_representation_distill` run's `best.th` (or its `model.tar.gz`).

    # Raises
    `ConfigurationError` naming the file when it lacks a parameter of the student's encoder:
    the weights of the other architecture (then it names the `DISTILL_SENTENCE_ENCODER` to set),
    of the same architecture with fewer widths or layers, or of no sentence encoder; naming the
    `DISTILL_SENTENCE_ENCODER_FILTERS` to set when a CNN's filters are another number, and the
    `DISTILL_SENTENCE_ENCODER_PROJECTION` to set when the student's `_encoder.projection_layer`
    (loaded from the distilled `_projection`) is of another width or the file has none;
    AllenNLP's for a parameter of another size otherwise.
    """

    def __init__(self, weights_file_path: str, **kwargs) -> None:
        super().__init__(weights_file_path, **kwargs)
        self._weights_file_path = weights_file_path

    def __call__(self, tensor: torch.Tensor, parameter_name: str, **kwargs) -> None:  # type: ignore[override]
        if parameter_name.startswith(PROJECTION_PREFIX):
            self._projection(tensor, parameter_name, **kwargs)
            return
        if parameter_name not in self.weights:
            recorded = encoder_architecture(self.weights)
            if recorded is None:
                raise ConfigurationError(
                    f"{self._weights_file_path} holds no sentence encoder's weights: "
                    "DISTILL_PRETRAINED_ENCODER names the best.th of a "
                    "sentence_representation_distill run"
                )
            if encoder_architecture({parameter_name: tensor}) == recorded:
                raise ConfigurationError(
                    f"{self._weights_file_path} has no {parameter_name}: it holds a '{recorded}' "
                    "sentence encoder, as the task student builds, but of another shape (a "
                    "filter width or layer that one of the two runs added, e.g. by an -o "
                    "override); build the task student's encoder as the distilled one was"
                )
            raise ConfigurationError(
                f"{self._weights_file_path} has no {parameter_name}: it holds a '{recorded}' "
                f"sentence encoder; set DISTILL_SENTENCE_ENCODER={recorded} for the task student "
                "too, so that it builds the encoder those weights belong to"
            )
        recorded_filters = self.weights[parameter_name].size(0)
        if parameter_name.startswith("_encoder.conv_layer_") and recorded_filters != tensor.size(0):
            raise ConfigurationError(
                f"{self._weights_file_path} holds a 'cnn' sentence encoder of {recorded_filters} "
                f"filters a width, the task student builds {tensor.size(0)}: set "
                f"DISTILL_SENTENCE_ENCODER_FILTERS={recorded_filters} for the task student too"
            )
        super().__call__(tensor, parameter_name, **kwargs)

    def _projection(self, tensor: torch.Tensor, parameter_name: str, **kwargs) -> None:
        """The task student's `_encoder.projection_layer.*` from the distilled `_projection.*`."""
        source = "_projection." + parameter_name[len(PROJECTION_PREFIX) :]
        if source not in self.weights:
            raise ConfigurationError(
                f"{self._weights_file_path} has no {source}: it is not a sentence_representation_"
                "distill run's weights; set DISTILL_SENTENCE_ENCODER_PROJECTION=0 to build the "
                "task student's encoder without a projection"
            )
        width = self.weights["_projection.weight"].size(0)
        if width != tensor.size(0):
            raise ConfigurationError(
                f"{self._weights_file_path} projects to {width}-d vectors (its teacher's width), "
                f"the task student builds {tensor.size(0)}: set "
                f"DISTILL_SENTENCE_ENCODER_PROJECTION={width} (or 0: no projection)"
            )
        super().__call__(tensor, source, **kwargs)
