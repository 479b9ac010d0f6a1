"""Similarity between speeches (or sections): TF-IDF vectors, cosines, nearest neighbours.

Also the clustering order that puts similar speeches next to each other in a table.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jianghua.memo import memoized
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


def _unit_codes(corpus, unit, stopwords) -> tuple[list, np.ndarray, np.ndarray]:
    """Return (unit ids in corpus order, unit code per token, term code per token)."""
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
    term_code, _ = pd.factorize(tok["token"])
    return ids, unit_code, term_code


def _speech_counts(corpus, stopwords):
    """Return (ids of speeches with a word left, their sparse word counts) without stopwords."""
    from jianghua.tokens import counts_without_stopwords

    _, counts = counts_without_stopwords(corpus, stopwords)
    # as a table of units: a speech left with no words at all is not a unit
    found = np.flatnonzero(np.diff(counts.indptr) > 0)
    ids = corpus.speeches["speech_id"].to_numpy()[found].tolist()
    return ids, counts[found] if len(found) < counts.shape[0] else counts


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
    smooth idf ln((1 + n) / (1 + df)) + 1, each row scaled to unit length.
    """
    from scipy import sparse

    if unit == "speech":
        ids, counts = _speech_counts(corpus, stopwords)
    else:
        ids, unit_code, term_code = _unit_codes(corpus, unit, stopwords)
        n_terms = int(term_code.max()) + 1 if len(term_code) else 0
        counts = sparse.csr_matrix(
            (np.ones(len(term_code)), (unit_code, term_code)), shape=(len(ids), n_terms)
        )
        counts.sum_duplicates()
    n_terms = counts.shape[1]
    df = np.bincount(counts.indices, minlength=n_terms)
    idf = np.log((1 + len(ids)) / (1 + df)) + 1
    x = counts.copy()
    x.data = (1 + np.log(x.data)) * idf[x.indices]
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    x = sparse.diags(1 / np.where(norms > 0, norms, 1)) @ x
    return ids, x.tocsr()


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
    """Return speech_id, neighbour, rank, cosine: each unit's k most similar other units."""
    ids, x = tfidf_matrix(corpus, unit, stopwords)
    n = len(ids)
    k = min(k, n - 1)
    if k <= 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in NEIGHBOUR_COLUMNS})
    side = max(1, math.isqrt(block_cells))
    top, cos = _nearest(x, k, side, dense_bytes)
    ids_arr = np.array(ids, dtype=object)
    return pd.DataFrame(
        {
            "speech_id": np.repeat(ids_arr, k),
            "neighbour": ids_arr[top.ravel()],
            "rank": np.tile(np.arange(1, k + 1), n),
            "cosine": cos.ravel().astype(float),
        }
    )


def _nearest(x, k: int, side: int, dense_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (columns, cosines), n x k: each row's k most similar other rows, ties in order.

    The cosine table is symmetric: each block above the diagonal is computed once and serves
    the rows of both its sides.
    """
    n = x.shape[0]
    best, cols = None, np.full((n, k), n, dtype=np.int64)
    for lo, hi, lo2, hi2, block in _cosine_blocks(x, side, dense_bytes):
        if best is None:  # float32 from BLAS, float64 from the sparse product
            best = np.full((n, k), -np.inf, dtype=block.dtype)
        if lo == lo2:  # a speech is not its own neighbour
            np.fill_diagonal(block, -np.inf)
        _keep_best(best, cols, lo, hi, block, lo2, k)
        if lo != lo2:
            _keep_best(best, cols, lo2, hi2, np.ascontiguousarray(block.T), lo, k)
    return cols, best


def _keep_best(best, cols, lo, hi, block, first_col, k):
    """Merge the k best of each block row into rows lo..hi of best/cols (value, then column)."""
    top = _top_k(block, k)
    values = np.concatenate([best[lo:hi], np.take_along_axis(block, top, axis=1)], axis=1)
    where = np.concatenate([cols[lo:hi], top + first_col], axis=1)
    order = np.lexsort((where, -values), axis=1)[:, :k]
    best[lo:hi] = np.take_along_axis(values, order, axis=1)
    cols[lo:hi] = np.take_along_axis(where, order, axis=1)


def _cosine_blocks(x, side, dense_bytes):
    """Yield (lo, hi, lo2, hi2, cosines of rows lo..hi with rows lo2..hi2) for lo2 >= lo,
    over the row pairs of a normalised x, in side x side blocks.

    Terms found in one unit only add nothing to any cosine between two units, so they are
    dropped first; if the rest fits in dense_bytes as float32, BLAS multiplies dense blocks,
    else the sparse product is used.
    """
    x = x[:, np.bincount(x.indices, minlength=x.shape[1]) >= 2]
    n = x.shape[0]
    dense = n * x.shape[1] * 4 <= dense_bytes
    x = x.astype(np.float32).toarray() if dense else x
    xt = x.T if dense else x.T.tocsc()
    for lo in range(0, n, side):
        hi = min(n, lo + side)
        for lo2 in range(lo, n, side):
            hi2 = min(n, lo2 + side)
            block = x[lo:hi] @ xt[:, lo2:hi2]
            yield lo, hi, lo2, hi2, block if dense else block.toarray()


def _top_k(block: np.ndarray, k: int) -> np.ndarray:
    """Return per row the column indices of the k largest values, ties in column order."""
    m = block.shape[1]
    if m <= k:
        return np.argsort(-block, axis=1, kind="stable")
    kth = np.partition(block, m - k, axis=1)[:, m - k : m - k + 1]  # each row's k-th largest
    above, tied = block > kth, block == kth
    need = k - above.sum(axis=1)
    take = above | tied
    # where more values tie with the k-th than are needed, the first ones in column order
    crowded = np.flatnonzero(tied.sum(axis=1) > need)
    if crowded.size:
        first = np.cumsum(tied[crowded], axis=1) <= need[crowded, None]
        take[crowded] = above[crowded] | (tied[crowded] & first)
    top = np.nonzero(take)[1].reshape(-1, k)  # k per row, in column order
    order = np.lexsort((top, -np.take_along_axis(block, top, axis=1)), axis=1)
    return np.take_along_axis(top, order, axis=1)


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
