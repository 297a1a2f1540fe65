from allennlp_distill.commands.report import DistillReport, write_report
from allennlp_distill.commands.transfer_set import TransferSetCommand, write_transfer_set

__all__ = ["DistillReport", "TransferSetCommand", "write_report", "write_transfer_set"]
