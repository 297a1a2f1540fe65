from allennlp_distill.modules.packaged_word_vectors import PackagedWordVectors
from allennlp_distill.modules.pair_features import pair_features
from allennlp_distill.modules.pooled_bilstm import PooledBiLstm
from allennlp_distill.modules.pooled_transformer import PooledTransformer
from allennlp_distill.modules.real_word_characters import RealWordCharactersEncoder
from allennlp_distill.modules.wide_cnn_encoder import WideCnnEncoder, wide_padding

__all__ = [
    "PackagedWordVectors",
    "PooledBiLstm",
    "PooledTransformer",
    "RealWordCharactersEncoder",
    "WideCnnEncoder",
    "pair_features",
    "wide_padding",
]
