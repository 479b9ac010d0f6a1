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
    "term_frequencies": "frequency",
    "kwic": "frequency",
    "collocations": "frequency",
    "dispersion": "frequency",
    "formulations": "frequency",
    "load_themes": "themes",
    "theme_scores": "themes",
    "theme_hits": "themes",
    "topic_model": "topics",
    "directive_density": "rhetoric",
    "enumerations": "rhetoric",
    "parallelisms": "rhetoric",
    "groups": "compare",
    "keyness": "compare",
    "similarity": "compare",
    "nearest_neighbours": "compare",
    "reuse": "compare",
    "theme_profiles": "compare",
    "formulation_profiles": "compare",
    "apply_style": "plots",
    "chinese_font": "plots",
    "save_figure": "plots",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jianghua' has no attribute {name!r}")
    return getattr(importlib.import_module(f"jianghua.{module}"), name)


def __dir__():
    return __all__
