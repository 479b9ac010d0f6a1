"""Shared fixtures: the seed corpus, loaded once per test session."""

import matplotlib
import pytest
from jianghua import config

matplotlib.use("Agg")


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
