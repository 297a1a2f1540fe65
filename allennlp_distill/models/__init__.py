from allennlp_distill.models.bilstm_student import BiLstmStudent

__all__ = ["BiLstmStudent"]
