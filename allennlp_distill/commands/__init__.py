from allennlp_distill.commands.export import DistillExport, export_archive
from allennlp_distill.commands.report import DistillReport, write_report
from allennlp_distill.commands.sentence_vectors import (
    SentenceVectors,
    SentenceVectorsCommand,
    write_sentence_vectors,
)
from allennlp_distill.commands.sts_eval import StsEval, evaluate_sts
from allennlp_distill.commands.transfer_set import TransferSetCommand, write_transfer_set

__all__ = [
    "DistillExport",
    "DistillReport",
    "SentenceVectors",
    "SentenceVectorsCommand",
    "StsEval",
    "TransferSetCommand",
    "evaluate_sts",
    "export_archive",
    "write_report",
    "write_sentence_vectors",
    "write_transfer_set",
]
