"""Nearest neighbours: exact cosines, and a corpus grown a file at a time gives the same table."""

import numpy as np
import pandas.testing as pdt
import pytest
from jianghua import memo, neighbours
from jianghua.corpus import Corpus
from jianghua.similar import nearest_neighbours
from scipy import sparse


@pytest.fixture
def cache(monkeypatch, tmp_path):
    """A fresh result cache that caches corpora of any size."""
    monkeypatch.setenv("JIANGHUA_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(memo.DISABLE_ENV, raising=False)
    monkeypatch.setattr(memo, "MIN_SPEECHES", 0)
    return tmp_path / "cache"


def _unit_rows(n_rows, n_terms, seed):
    """Return a normalised random sparse matrix with repeated rows (exact ties)."""
    rng = np.random.default_rng(seed)
    base = sparse.random(n_rows, n_terms, density=0.2, random_state=rng, format="csr")
    x = sparse.vstack([base, base[:3]]).tocsr()
    x.data = np.round(x.data, 1)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    return (sparse.diags(1 / np.where(norms > 0, norms, 1)) @ x).tocsr()


def test_pair_cosines_are_the_sparse_products_bit_for_bit():
    x = _unit_rows(60, 400, seed=3)
    rng = np.random.default_rng(4)
    rows, cols = rng.integers(0, x.shape[0], 500), rng.integers(0, x.shape[0], 500)
    product = (x @ x.T.tocsr()).toarray()
    got = neighbours.pair_cosines(x, rows, cols)
    assert np.array_equal(got, product[rows, cols])
    assert np.array_equal(neighbours.pair_cosines(x, cols, rows), got)  # symmetric too


@pytest.mark.parametrize("dense_bytes", [0, 10**9])
def test_nearest_equals_a_full_sort_ties_in_row_order(dense_bytes):
    x = _unit_rows(40, 50, seed=7)
    k = 4
    cols, cos, _ = neighbours.nearest(x, k, side=7, dense_bytes=dense_bytes)
    full = (x @ x.T.tocsr()).toarray()
    np.fill_diagonal(full, -np.inf)
    for row in range(x.shape[0]):
        expected = sorted(range(x.shape[0]), key=lambda c, r=row: (-full[r, c], c))[:k]
        assert cols[row].tolist() == expected, row
        assert cos[row].tolist() == full[row, expected].tolist()  # exact, not approximately


def _texts(seed_corpus, n=40, seed=11) -> dict:
    """Return n speeches made of shuffled paragraphs of the seed speeches."""
    paragraphs = [
        p for text in seed_corpus.speeches["text"] for p in text.split("\n") if len(p) > 20
    ]
    rng = np.random.default_rng(seed)
    return {
        f"s{i:03d}": "\n".join(rng.choice(paragraphs, size=12, replace=False)) for i in range(n)
    }


def _cold(monkeypatch, corpus):
    """Return the neighbours of a corpus computed from nothing kept."""
    with monkeypatch.context() as m:
        m.setenv(memo.DISABLE_ENV, "1")
        return nearest_neighbours(corpus, k=4)


def _grown(monkeypatch, corpus):
    """Return the neighbours of a corpus from what the last run kept; the blocks unused."""
    calls = []
    update = neighbours._update

    def counted(*args, **kwargs):
        calls.append(1)
        return update(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(neighbours, "_update", counted)
        m.setattr(neighbours, "_propose", lambda *a: pytest.fail("computed afresh"))
        table = nearest_neighbours(corpus, k=4)
    assert calls == [1]
    return table


@pytest.mark.parametrize("moved", [0, 2])
def test_a_corpus_grown_a_file_at_a_time_gives_the_full_table(
    seed_corpus, cache, monkeypatch, moved
):
    # few rows scored in full (0 or 2 that moved most, not 64): the others are bounded
    monkeypatch.setattr(neighbours, "MOVED", moved)
    texts = _texts(seed_corpus)
    nearest_neighbours(Corpus.from_texts(texts), k=4)
    steps = [
        ("added", {**texts, "new": _texts(seed_corpus, n=1, seed=99)["s000"]}),
        ("a copy under another name: exact ties", None),
        ("removed", None),
        ("changed", None),
        ("new words of its own", None),
    ]
    now = steps[0][1]
    for name, _ in steps:
        if name.startswith("a copy"):
            now = {**now, "copy": now["s005"]}
        elif name == "removed":
            now = {k: v for k, v in now.items() if k != "s010"}
        elif name == "changed":
            now = {**now, "s020": now["s020"] + "\n要抓好招商引资和项目建设，狠抓落实。"}
        elif name.startswith("new words"):
            now = {**now, "odd": "量子通信 区块链 元宇宙 量子通信 " + now["s001"][:200]}
        corpus = Corpus.from_texts(now)
        grown = _grown(monkeypatch, corpus)
        pdt.assert_frame_equal(grown, _cold(monkeypatch, corpus), check_exact=True, obj=name)
    top = grown[grown["rank"] == 1].set_index("speech_id")
    assert top.loc["copy", "neighbour"] == "s005"
    assert top.loc["copy", "cosine"] == pytest.approx(1.0)
    # elsewhere the two have equal cosines: the earlier speech ranks first, every time
    both = grown[grown.neighbour.isin(["s005", "copy"]) & ~grown.speech_id.isin(["s005", "copy"])]
    first = both.groupby("speech_id").neighbour.first()
    assert len(first) > 0 and set(first) == {"s005"}


def test_damaged_kept_neighbours_are_computed_again(seed_corpus, cache, monkeypatch):
    texts = _texts(seed_corpus)
    nearest_neighbours(Corpus.from_texts(texts), k=4)
    (kept,) = (cache / "results").glob("jianghua.similar.nearest_neighbours/parts-*.pkl")
    kept.write_bytes(kept.read_bytes()[:-10])
    corpus = Corpus.from_texts({**texts, "new": texts["s003"][:300]})
    with pytest.warns(memo.ResultCacheWarning, match="damaged"):
        table = nearest_neighbours(corpus, k=4)
    pdt.assert_frame_equal(table, _cold(monkeypatch, corpus), check_exact=True)


def test_kept_rows_only_move_a_little_when_a_speech_is_added():
    x = _unit_rows(30, 80, seed=5)
    idf = np.linspace(1.0, 3.0, 80)
    words = np.array([f"w{i:03d}" for i in range(80)], dtype=object)
    old_of = np.r_[np.arange(x.shape[0] - 1), -1]
    moved = neighbours.moved_by(x, idf * 1.001, idf, words, words, old_of)
    # a uniform change keeps directions: only the margin for rounding (1e-6) is left
    assert moved[-1] == 0.0 and (moved[:-1] < 2e-6).all()
    skewed = idf.copy()
    skewed[:10] *= 2
    moved = neighbours.moved_by(x, skewed, idf, words, words, old_of)
    assert (moved[:-1] > 1e-3).any()
    assert neighbours.moved_by(x, idf, idf, words[::-1].copy(), words, old_of) is None


def test_candidates_kept_for_one_stopword_list_do_not_serve_another(
    seed_corpus, cache, monkeypatch
):
    texts = _texts(seed_corpus)
    nearest_neighbours(Corpus.from_texts(texts), k=4, stopwords=None)  # every word counts
    corpus = Corpus.from_texts({**texts, "new": texts["s002"][:400]})
    monkeypatch.setattr(neighbours, "_update", lambda *a: pytest.fail("kept rows reused"))
    table = nearest_neighbours(corpus, k=4)  # the default list: other words, other rows
    monkeypatch.undo()
    pdt.assert_frame_equal(table, _cold(monkeypatch, corpus), check_exact=True)
