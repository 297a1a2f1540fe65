from allennlp_distill.commands.export import DistillExport, export_archive
from allennlp_distill.commands.report import DistillReport, write_report
from allennlp_distill.commands.transfer_set import TransferSetCommand, write_transfer_set

__all__ = [
    "DistillExport",
    "DistillReport",
    "TransferSetCommand",
    "export_archive",
    "write_report",
    "write_transfer_set",
]
