from allennlp_distill.dataset_readers.pair_teacher_logits import PairTeacherLogitsReader
from allennlp_distill.dataset_readers.rows import DataFormatError
from allennlp_distill.dataset_readers.sentence_vectors import SentenceVectorsReader
from allennlp_distill.dataset_readers.tagging import TaggingReader
from allennlp_distill.dataset_readers.teacher_logits import TeacherLogitsReader
from allennlp_distill.dataset_readers.teacher_logits_field import TeacherLogitsField

__all__ = [
    "DataFormatError",
    "PairTeacherLogitsReader",
    "SentenceVectorsReader",
    "TaggingReader",
    "TeacherLogitsField",
    "TeacherLogitsReader",
]
