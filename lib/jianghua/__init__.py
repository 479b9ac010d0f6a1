"""jianghua: read, clean and analyse Chinese officials' speeches.

Names are imported lazily, so `import jianghua` stays cheap and has no side effects:
matplotlib, jieba and scikit-learn load only when a function that needs them is used.
"""

import importlib

# public name -> module that defines it, in pipeline order
_EXPORTS = {
    "load_corpus": "corpus",
    "Corpus": "corpus",
    "tokens": "tokens",
    "load_stopwords": "tokens",
    "term_frequencies": "frequency",
    "kwic": "frequency",
    "collocations": "frequency",
    "dispersion": "frequency",
    "formulations": "frequency",
    "load_themes": "themes",
    "theme_scores": "themes",
    "theme_hits": "themes",
    "topic_model": "topics",
    "topic_coherence": "topics",
    "directive_density": "rhetoric",
    "enumerations": "rhetoric",
    "parallelisms": "rhetoric",
    "groups": "compare",
    "keyness": "compare",
    "similarity": "similar",
    "nearest_neighbours": "similar",
    "reuse": "text_reuse",
    "theme_profiles": "compare",
    "formulation_profiles": "compare",
    "comparison_terms": "compare",
    "apply_style": "plots",
    "chinese_font": "plots",
    "save_figure": "plots",
    "step": "steps",
    "NotEnoughData": "steps",
    "TooMuchData": "steps",
}

# submodules reachable as attributes, e.g. jianghua.structure.outline
_MODULES = {
    "config",
    "read",
    "read_archive",
    "normalize",
    "clean",
    "split",
    "metadata",
    "structure",
    "duplicates",
    "corpus",
    "segment",
    "token_cache",
    "tokens",
    "frequency",
    "themes",
    "topics",
    "rhetoric",
    "compare",
    "similar",
    "text_reuse",
    "plots",
    "gallery",
    "progress",
    "memo",
    "steps",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is not None:
        return getattr(importlib.import_module(f"jianghua.{module}"), name)
    if name in _MODULES:
        return importlib.import_module(f"jianghua.{name}")
    raise AttributeError(f"module 'jianghua' has no attribute {name!r}")


def __dir__():
    return __all__


# The module jianghua.tokens shares its name with the function jianghua.tokens(). Importing
# the function here binds the package attribute to the function for good: a later
# `import jianghua.tokens` finds the module in sys.modules and leaves the attribute alone.
from jianghua.tokens import tokens as tokens  # noqa: E402
