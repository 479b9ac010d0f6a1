"""Shared fixtures: the seed corpus, loaded once per test session; the fixture scripts' texts."""

import importlib.util
import random
from collections import Counter

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


def damaged_copies(data: bytes, seed: int, n: int = 300):
    """Yield n copies of data, each with 1, 8 or 40 random bytes overwritten."""
    rng = random.Random(seed)
    for _ in range(n):
        damaged = bytearray(data)
        for _ in range(rng.choice([1, 8, 40])):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        yield bytes(damaged)


def read_error(data: bytes, suffix: str) -> str:
    """Return the ReadError message that reading bytes as a file of this suffix gives."""
    from jianghua.read import document_from_bytes
    from jianghua.read_text import ReadError

    with pytest.raises(ReadError) as info:
        document_from_bytes(data, suffix)
    return str(info.value)


def read_outcomes(read, copies) -> Counter:
    """Return how often read(data) succeeded ("read") and gave each ReadError message."""
    from jianghua.read_text import ReadError

    outcomes = Counter()
    for data in copies:
        try:  # any other exception (struct.error, IndexError...) fails the calling test
            read(data)
            outcomes["read"] += 1
        except ReadError as err:
            outcomes[str(err)] += 1
    return outcomes


def write_files(folder, files: dict):
    """Return folder, created and holding files ({name: bytes}), as a corpus to load."""
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder
