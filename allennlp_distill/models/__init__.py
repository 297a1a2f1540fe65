from allennlp_distill.models.bilstm_student import BiLstmStudent
from allennlp_distill.models.cnn_student import CnnStudent
from allennlp_distill.models.f1_classifier import F1Classifier
from allennlp_distill.models.sentence_encoder_student import SentenceRepresentationStudent
from allennlp_distill.models.siamese_bilstm_student import SiameseBiLstmStudent
from allennlp_distill.models.siamese_cnn_student import SiameseCnnStudent
from allennlp_distill.models.siamese_transformer_student import SiameseTransformerStudent
from allennlp_distill.models.tagger import DistilledTagger
from allennlp_distill.models.text_regressor import TextRegressor
from allennlp_distill.models.transformer_student import TransformerStudent

__all__ = [
    "BiLstmStudent",
    "CnnStudent",
    "DistilledTagger",
    "F1Classifier",
    "SentenceRepresentationStudent",
    "SiameseBiLstmStudent",
    "SiameseCnnStudent",
    "SiameseTransformerStudent",
    "TextRegressor",
    "TransformerStudent",
]
