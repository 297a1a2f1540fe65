"""
AllenNLP 2.10.1 on today's stack (Python 3.11, torch 2.14, transformers 4.43, spaCy 3.8).

The pinned dependency versions in `requirements.txt` make most patches unnecessary; what is left
is here, one small function per upstream change, each applied once by `apply_all()` when the
plugin is imported.
"""


def apply_all() -> None:
    """Applies every patch below; safe to call more than once."""
