"""Shared fixtures: the seed corpus, loaded once per test session; the fixture scripts' texts."""

import importlib.util

import matplotlib
import pytest
from jianghua import config

matplotlib.use("Agg")


def load_script(path):
    """Return a fixture-making script loaded as a module, for the texts it wrote into files."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def seed_corpus():
    """The five seed files in corpus/, loaded with load_corpus."""
    from jianghua import load_corpus

    return load_corpus(config.CORPUS_DIR)


@pytest.fixture(scope="session")
def seed_ids(seed_corpus):
    """Map 'NNN-part' (e.g. '003-4') to the speech_id of that seed speech."""
    df = seed_corpus.speeches
    return {f"{s[:3]}-{p}": i for s, p, i in zip(df.source, df.part, df.speech_id, strict=True)}
