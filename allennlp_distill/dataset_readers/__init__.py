from allennlp_distill.dataset_readers.rows import DataFormatError
from allennlp_distill.dataset_readers.teacher_logits import TeacherLogitsReader
from allennlp_distill.dataset_readers.teacher_logits_field import TeacherLogitsField

__all__ = ["DataFormatError", "TeacherLogitsField", "TeacherLogitsReader"]
