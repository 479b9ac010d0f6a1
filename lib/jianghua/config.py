"""Every path the project uses, derived from the package location."""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJ_ROOT = PACKAGE_DIR.parents[1]
DATA_DIR = PACKAGE_DIR / "data"
CORPUS_DIR = PROJ_ROOT / "corpus"
FIGURES_DIR = PROJ_ROOT / "figures"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
TESTS_DIR = PROJ_ROOT / "tests"


def cache_dir() -> Path:
    """Return the token/result cache folder (JIANGHUA_CACHE overrides the default)."""
    return Path(os.environ.get("JIANGHUA_CACHE", PROJ_ROOT / ".cache"))


def figures_dir(path=None) -> Path:
    """Return the figures folder: the argument, else JIANGHUA_FIGURES, else the default."""
    return Path(path or os.environ.get("JIANGHUA_FIGURES", FIGURES_DIR))


def corpus_dir(path=None) -> Path:
    """Return the corpus folder: the argument, else JIANGHUA_CORPUS, else the default."""
    return Path(path or os.environ.get("JIANGHUA_CORPUS", CORPUS_DIR))


def analyst_folder(corpus_root=None) -> Path:
    """Return the folder holding the analyst's files: the corpus folder (or a file's folder)."""
    folder = corpus_dir(corpus_root)
    return folder.parent if folder.is_file() else folder
