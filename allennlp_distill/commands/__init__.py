from allennlp_distill.commands.export import DistillExport, export_archive
from allennlp_distill.commands.report import DistillReport, write_report
from allennlp_distill.commands.sentence_vectors import (
    SentenceVectors,
    SentenceVectorsCommand,
    SentenceVectorsMergeCommand,
    merge_sentence_vectors,
    write_sentence_vectors,
)
from allennlp_distill.commands.sts_eval import StsEval, evaluate_sts
from allennlp_distill.commands.transfer_set import TransferSetCommand, write_transfer_set
from allennlp_distill.commands.transfer_set_merge import (
    TransferSetMergeCommand,
    merge_transfer_set_shards,
)
from allennlp_distill.commands.word_vectors import WordVectorsCommand, write_word_vectors

__all__ = [
    "DistillExport",
    "DistillReport",
    "SentenceVectors",
    "SentenceVectorsCommand",
    "SentenceVectorsMergeCommand",
    "StsEval",
    "TransferSetCommand",
    "TransferSetMergeCommand",
    "WordVectorsCommand",
    "evaluate_sts",
    "export_archive",
    "merge_sentence_vectors",
    "merge_transfer_set_shards",
    "write_report",
    "write_sentence_vectors",
    "write_transfer_set",
    "write_word_vectors",
]
