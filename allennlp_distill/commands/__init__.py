from allennlp_distill.commands.transfer_set import TransferSetCommand, write_transfer_set

__all__ = ["TransferSetCommand", "write_transfer_set"]
