"""Similarity between speeches (or sections): TF-IDF vectors, cosines, nearest neighbours.

Also the clustering order that puts similar speeches next to each other in a table.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jianghua.memo import memoized, part_store, read_parts, write_parts
from jianghua.neighbours import MAX_CHANGED, Kept, moved_by, nearest
from jianghua.steps import TooMuchData
from jianghua.structure import top_sections

NEIGHBOUR_COLUMNS = ["speech_id", "neighbour", "rank", "cosine"]
DENSE_LIMIT = 2000


def _token_table(corpus, stopwords="default") -> pd.DataFrame:
    """Return tokens(corpus) [speech_id, token, start] without stopwords."""
    from jianghua.tokens import load_stopwords, tokens

    tok = tokens(corpus)[["speech_id", "token", "start"]]
    stop = load_stopwords(stopwords, corpus_root=corpus.root)
    if stop:
        tok = tok[~tok["token"].isin(stop)]
    return tok


def _unit_codes(corpus, unit, stopwords) -> tuple:
    """Return (unit ids in corpus order, unit code per token, term code per token, words)."""
    tok = _token_table(corpus, stopwords)
    rank = {sid: i for i, sid in enumerate(corpus.speeches["speech_id"])}
    speech = tok["speech_id"].map(rank).to_numpy(dtype=np.int64)
    if unit == "speech":
        key = speech
    elif unit == "section":
        key = (speech << 32) + _section_index(corpus, tok)
    else:
        raise ValueError(f'unit must be "speech" or "section", not {unit!r}')
    keys, unit_code = np.unique(key, return_inverse=True)  # sorted: corpus, then section order
    sids = list(corpus.speeches["speech_id"])
    if unit == "speech":
        ids = [sids[k] for k in keys]
    else:
        ids = [f"{sids[k >> 32]}#{k & 0xFFFFFFFF}" for k in keys.tolist()]
    term_code, words = pd.factorize(tok["token"])
    return ids, unit_code, term_code, words


def _speech_counts(corpus, stopwords):
    """Return (ids of speeches with a word left, words, their sparse word counts) without
    stopwords."""
    from jianghua.tokens import counts_without_stopwords

    words, counts = counts_without_stopwords(corpus, stopwords)
    # as a table of units: a speech left with no words at all is not a unit
    found = np.flatnonzero(np.diff(counts.indptr) > 0)
    ids = corpus.speeches["speech_id"].to_numpy()[found].tolist()
    return ids, words, counts[found] if len(found) < counts.shape[0] else counts


def _section_index(corpus, tok) -> np.ndarray:
    """Return, per token row, k: it lies in the k-th top-level section (0 before the first)."""
    secs = top_sections(corpus.sections)
    codes, uniques = pd.factorize(tok["speech_id"])
    sec_codes = pd.Index(uniques).get_indexer(secs["speech_id"])
    found = sec_codes >= 0
    # one sorted key space: speech code in the high bits, character offset in the low bits
    sec_keys = np.sort((sec_codes[found].astype(np.int64) << 32) + secs["start"].to_numpy()[found])
    tok_keys = (codes.astype(np.int64) << 32) + tok["start"].to_numpy().astype(np.int64)
    before = np.searchsorted(sec_keys, tok_keys, side="right")
    first = np.searchsorted(sec_keys, codes.astype(np.int64) << 32, side="left")
    return before - first


def tfidf_matrix(corpus, unit="speech", stopwords="default"):
    """Return (unit ids, L2-normalised sparse TF-IDF matrix) over the units' tokens.

    Weights as scikit-learn's TfidfVectorizer(sublinear_tf=True): (1 + ln tf) times the
    smooth idf ln((1 + n) / (1 + df)) + 1, each row scaled to unit length. Columns are the
    words in sorted order, so every sum over a row's terms is made in one order.
    """
    ids, _, _, x = _weights(corpus, unit, stopwords)
    return ids, x


def _weights(corpus, unit, stopwords):
    """Return (unit ids, words in column order, their idf, the TF-IDF matrix)."""
    from scipy import sparse

    if unit == "speech":
        ids, words, counts = _speech_counts(corpus, stopwords)
    else:
        ids, unit_code, term_code, words = _unit_codes(corpus, unit, stopwords)
        counts = sparse.csr_matrix(
            (np.ones(len(term_code)), (unit_code, term_code)), shape=(len(ids), len(words))
        )
        counts.sum_duplicates()
    words, counts = _sorted_columns(np.asarray(words, dtype=object), counts)
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1 + len(ids)) / (1 + df)) + 1
    x = counts.copy()
    x.data = (1 + np.log(x.data)) * idf[x.indices]
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    x = sparse.diags(1 / np.where(norms > 0, norms, 1)) @ x
    return ids, words, idf, x.tocsr()


def _sorted_columns(words, counts):
    """Return (the words used, sorted; counts with their columns in that order)."""
    from scipy import sparse

    used = np.flatnonzero(np.bincount(counts.indices, minlength=len(words)))
    # word codes follow the order texts were first segmented in, which the cache's history
    # decides; the sorted words do not depend on it
    order = used[np.argsort(words[used], kind="stable")]
    rank = np.full(len(words), -1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    # the data copied: sorting the indices reorders it in place
    sorted_counts = sparse.csr_matrix(
        (counts.data.copy(), rank[counts.indices], counts.indptr.copy()),
        shape=(counts.shape[0], len(order)),
    )
    sorted_counts.has_sorted_indices = False
    sorted_counts.sort_indices()
    return words[order], sorted_counts


@memoized
def similarity(corpus, unit="speech", stopwords="default", dense=False) -> pd.DataFrame:
    """Return the square TF-IDF cosine table (index and columns: speech or section ids)."""
    ids, x = tfidf_matrix(corpus, unit, stopwords)
    if len(ids) > DENSE_LIMIT and not dense:
        gb = len(ids) ** 2 * 8 / 1e9
        raise TooMuchData(
            f"{len(ids)} units: a full similarity table would take {gb:.1f} GB; use "
            "nearest_neighbours() for the closest pairs, or pass dense=True"
        )
    sim = (x @ x.T).toarray()
    np.fill_diagonal(sim, 1.0)
    return pd.DataFrame(sim, index=pd.Index(ids, name="unit"), columns=pd.Index(ids, name="unit"))


@memoized
def nearest_neighbours(
    corpus,
    k=5,
    unit="speech",
    stopwords="default",
    block_cells=20_000_000,
    dense_bytes=1_000_000_000,
) -> pd.DataFrame:
    """Return speech_id, neighbour, rank, cosine: each unit's k most similar other units.

    Speeches' candidates are kept on disk: after a speech is added, a rerun rescores those
    and bounds the rest (see jianghua.neighbours), with the same table as a full run.
    """
    ids, words, idf, x = _weights(corpus, unit, stopwords)
    n = len(ids)
    k = min(k, n - 1)
    if k <= 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in NEIGHBOUR_COLUMNS})
    side = max(1, math.isqrt(block_cells))
    # the kept rows are of these words: another stopword list gives other rows for a text
    store = part_store(corpus, nearest_neighbours, (k, stopwords)) if unit == "speech" else None
    keys = _unit_keys(corpus, ids) if store else None
    last = read_parts(store, None) if store else None
    kept, moved = (
        _kept_for(last, ids, keys, words, idf, x) if isinstance(last, Kept) else (None, None)
    )
    top, cos, found = nearest(x, k, side, dense_bytes, kept, moved)
    if store:
        write_parts(store, Kept(ids, keys, words, idf, found))
    ids_arr = np.array(ids, dtype=object)
    return pd.DataFrame(
        {
            "speech_id": np.repeat(ids_arr, k),
            "neighbour": ids_arr[top.ravel()],
            "rank": np.tile(np.arange(1, k + 1), n),
            "cosine": cos.ravel().astype(float),
        }
    )


def _unit_keys(corpus, ids) -> list:
    """Return the text hash of each speech in ids."""
    from jianghua.cache_files import text_hashes

    speeches = corpus.speeches
    hashes = text_hashes(speeches["text"].fillna("").tolist())
    digest = dict(zip(speeches["speech_id"], hashes, strict=True))
    return [digest[i] for i in ids]


def _kept_for(last: Kept, ids, keys, words, idf, x):
    """Return (kept candidates, bounds and row numbers, how far each row moved) for
    nearest(), or (None, None) to start afresh."""
    where = {(i, key): r for r, (i, key) in enumerate(zip(last.ids, last.keys, strict=True))}
    old_of = np.array([where.get(pair, -1) for pair in zip(ids, keys, strict=True)], np.int64)
    kept_rows = int((old_of >= 0).sum())
    changed = len(ids) - kept_rows + len(last.ids) - kept_rows
    if changed > MAX_CHANGED * len(ids) or last.rows.cols.shape[1] > len(ids) - 1:
        return None, None
    moved = moved_by(x, idf, last.idf, last.words, words, old_of)
    if moved is None:
        return None, None
    return (last.rows, old_of), moved


@dataclass
class Clustering:
    """Leaf order and scipy linkage of a hierarchical clustering of a similarity table."""

    order: list
    linkage: np.ndarray
    labels: list


def cluster_order(matrix: pd.DataFrame, method="average") -> Clustering:
    """Return the Clustering (leaf order + linkage) of a square similarity table."""
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    labels = list(matrix.index)
    if len(labels) < 2:
        return Clustering(order=labels, linkage=np.empty((0, 4)), labels=labels)
    sim = matrix.to_numpy(dtype=float)
    dist = np.clip(1.0 - (sim + sim.T) / 2.0, 0.0, None)
    np.fill_diagonal(dist, 0.0)
    z = linkage(squareform(dist, checks=False), method=method, optimal_ordering=True)
    return Clustering(order=[labels[i] for i in leaves_list(z)], linkage=z, labels=labels)
