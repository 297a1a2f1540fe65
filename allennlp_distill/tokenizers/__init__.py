from allennlp_distill.tokenizers.spacy_rules import SpacyRulesTokenizer

__all__ = ["SpacyRulesTokenizer"]
