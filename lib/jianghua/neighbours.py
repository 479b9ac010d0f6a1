"""Each unit's k nearest other units by TF-IDF cosine: exact, and kept up to date cheaply.

A cosine is the sparse product's: the products of the two units' shared terms, in the order
of the terms (sorted by word), added one after another. Blocks of a float32 (or float64)
product only propose candidates; the candidates' cosines are then computed in that one way.
The table therefore depends neither on block sizes nor on BLAS, nor on how the corpus came
about: read whole, or grown a file at a time.

Each unit keeps K = k + EXTRA candidates and a bound on every other unit's cosine. When the
k-th candidate does not beat the bound, the unit's whole row is computed.

Adding a speech changes every weight a little, since the IDF counts the speeches. A unit
whose vector moved by d_i from the last run has no cosine that moved by more than
d_i + d_j. So a rerun rescores each unit's kept candidates, the new speeches and the few
units that moved most, and bounds all the others.
"""

from dataclasses import dataclass

import numpy as np

EXTRA = 3
# how far a block's cosine may be from the exact one: float32 sums of a few thousand products
SLACK = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-9}
MOVED = 16  # the units that moved most are scored against every unit, not bounded
MAX_CHANGED = 0.1  # past this share of new or removed units, every row is computed again
PAIR_ROWS = 8  # rows whose candidates are scored together


@dataclass
class Rows:
    """Candidates of some rows: columns (-1: none), estimates, radii, and the bound on every
    other column's exact cosine."""

    cols: np.ndarray
    est: np.ndarray
    rad: np.ndarray
    bound: np.ndarray

    def take(self, where) -> "Rows":
        """Return the candidates of the rows at where."""
        return Rows(self.cols[where], self.est[where], self.rad[where], self.bound[where])

    def put(self, where, other: "Rows"):
        """Set the candidates of the rows at where."""
        self.cols[where], self.est[where] = other.cols, other.est
        self.rad[where], self.bound[where] = other.rad, other.bound


@dataclass
class Kept:
    """What the next run needs: units, their text keys, the IDF, and their candidate Rows."""

    ids: list
    keys: list
    words: np.ndarray
    idf: np.ndarray
    rows: Rows


def nearest(x, k: int, side: int, dense_bytes: int, kept=None, moved=None):
    """Return (columns n x k, exact cosines n x k, Rows for the next run): each row's k most
    similar other rows, ties in row order, from kept Rows where `moved` allows."""
    # terms found in one unit only add nothing to any cosine between two units
    x = x[:, np.bincount(x.indices, minlength=x.shape[1]) >= 2]
    n = x.shape[0]
    kk = min(k + EXTRA, n - 1)
    rows = np.arange(n)
    xt = None  # the sparse product's right side: exact cosines against every row
    if kept is not None:
        xt = x.T.tocsr()
        found, todo = _update(x, xt, k, kk, *kept, moved)
    else:
        found, ok = _settle(x, rows, _propose(x, kk, side, dense_bytes), k, kk)
        todo = rows[~ok]
    if len(todo):
        xt = x.T.tocsr() if xt is None else xt
        found.put(todo, _full_rows(x, xt, todo, kk, side))
    return found.cols[:, :k], found.est[:, :k], found


def _propose(x, kk: int, side: int, dense_bytes: int) -> Rows:
    """Return each row's K + 1 best by the block product, with the block's error as radius."""
    n = x.shape[0]
    if kk + 1 > n - 1:  # every other row is a candidate: nothing is left to bound
        cols = np.array([[c for c in range(n) if c != r] for r in range(n)], dtype=np.int64)
        cols = cols.reshape(n, n - 1)
        est = np.zeros(cols.shape)
        return Rows(cols, est, np.full(cols.shape, np.inf), np.full(n, -np.inf))
    cols, vals = block_nearest(x, kk + 1, side, dense_bytes)
    slack = SLACK[vals.dtype]
    vals = vals.astype(np.float64)
    rad = np.full(cols.shape, slack)
    return Rows(cols[:, :kk], vals[:, :kk], rad[:, :kk], vals[:, kk] + slack)


def _settle(x, rows, cand: Rows, k: int, kk: int):
    """Return (Rows of the K best, ok) from candidates: the contenders for the k best are
    scored exactly; ok where the k-th exact cosine beats the bound on every other column."""
    cols = np.where(cand.cols == rows[:, None], -1, cand.cols)  # not its own neighbour
    cols, est, rad = _unique_columns(cols, cand.est, cand.rad)
    low = np.where(cols >= 0, est - rad, -np.inf)
    high = est + rad
    kth_low = (
        -np.sort(-low, axis=1)[:, k - 1 : k]
        if cols.shape[1] >= k
        else np.full((len(rows), 1), -np.inf)
    )
    # a candidate that could reach the k best: scored exactly (radius 0)
    contend = (cols >= 0) & (high >= kth_low)
    exact = pair_cosines(x, np.broadcast_to(rows[:, None], cols.shape)[contend], cols[contend])
    est, rad = est.copy(), rad.copy()
    est[contend], rad[contend] = exact, 0.0
    # best first by estimate (exact for the contenders), ties in column order
    key = np.where(cols >= 0, est, -np.inf)
    order = np.lexsort((np.where(cols >= 0, cols, x.shape[0]), -key), axis=1)
    cols, est, rad = (np.take_along_axis(a, order, 1) for a in (cols, key, rad))
    if cols.shape[1] < kk + 1:  # pad, so that the K-th and the next exist
        pad = ((0, 0), (0, kk + 1 - cols.shape[1]))
        cols = np.pad(cols, pad, constant_values=-1)
        est = np.pad(est, pad, constant_values=-np.inf)
        rad = np.pad(rad, pad, constant_values=0.0)
    top_exact = (rad[:, :k] == 0).all(axis=1) & (cols[:, k - 1] >= 0)
    ok = top_exact & (est[:, k - 1] > cand.bound)
    # every candidate not kept is bounded too: sorted by estimate, not by how high it may be
    dropped = np.where(cols[:, kk:] >= 0, est[:, kk:] + rad[:, kk:], -np.inf).max(axis=1)
    bound = np.maximum(cand.bound, dropped)
    return Rows(cols[:, :kk].copy(), est[:, :kk].copy(), rad[:, :kk].copy(), bound), ok


def _unique_columns(cols, est, rad):
    """Return (cols, est, rad) with a column proposed twice in a row kept once (the tighter)."""
    order = np.lexsort((rad, cols), axis=1)
    cols, est, rad = (np.take_along_axis(a, order, 1) for a in (cols, est, rad))
    again = np.zeros(cols.shape, dtype=bool)
    again[:, 1:] = (cols[:, 1:] == cols[:, :-1]) & (cols[:, 1:] >= 0)
    return np.where(again, -1, cols), est, rad


def _full_rows(x, xt, rows, kk: int, side: int) -> Rows:
    """Return the exact K best of rows scored against every row."""
    n = x.shape[0]
    found = Rows(
        np.empty((len(rows), kk), dtype=np.int64),
        np.empty((len(rows), kk)),
        np.zeros((len(rows), kk)),
        np.full(len(rows), -np.inf),
    )
    step = max(1, side * side // max(n, 1))
    for lo in range(0, len(rows), step):
        part = rows[lo : lo + step]
        block = (x[part] @ xt).toarray()  # the sparse product: exact cosines
        block[np.arange(len(part)), part] = -np.inf
        found.put(slice(lo, lo + step), _best_of(block, kk))
    return found


def _best_of(block, kk: int) -> Rows:
    """Return the exact K best of each row of a block of exact cosines (-inf: not a column)."""
    top = top_k(block, min(kk + 1, block.shape[1] - 1))
    best = np.take_along_axis(block, top, axis=1)
    bound = best[:, kk] if top.shape[1] > kk else np.full(len(block), -np.inf)
    return Rows(top[:, :kk], best[:, :kk], np.zeros((len(block), kk)), bound)


def _update(x, xt, k, kk, kept: Rows, old_of, moved):
    """Return (Rows, rows still to compute in full) from the last run's Rows (old_of: each
    row's number then, -1 if new) and how far each row moved."""
    n = x.shape[0]
    new_of = np.full(len(kept.cols), -1, dtype=np.int64)
    same = np.flatnonzero(old_of >= 0)
    new_of[old_of[same]] = same
    most = same[np.argsort(-moved[same], kind="stable")[:MOVED]]
    rest = np.setdiff1d(same, most)
    spread = float(moved[rest].max()) if len(rest) else 0.0
    scored = np.union1d(np.flatnonzero(old_of < 0), most)
    exact = (x[scored] @ xt).toarray() if len(scored) else np.zeros((0, n))
    found = Rows(
        np.full((n, kk), -1, dtype=np.int64),
        np.full((n, kk), -np.inf),
        np.zeros((n, kk)),
        np.full(n, -np.inf),
    )
    if len(scored):  # rows scored against every row: their best straight from the product
        block = exact.copy()
        block[np.arange(len(scored)), scored] = -np.inf
        found.put(scored, _best_of(block, kk))
    if not len(rest):
        return found, np.zeros(0, dtype=np.int64)
    old = kept.take(old_of[rest])
    carried = np.where(old.cols >= 0, new_of[np.maximum(old.cols, 0)], -1)
    widen = moved[rest][:, None] + moved[np.maximum(carried, 0)] + 1e-10
    bound = old.bound + moved[rest] + spread + 1e-10
    # a new or much-moved row is a candidate where its exact cosine could beat the bound
    near = exact[:, rest].T > bound[:, None]
    cand = Rows(
        np.hstack([carried, np.where(near, scored[None, :], -1)]),
        np.hstack([old.est, exact[:, rest].T]),
        np.hstack([old.rad + widen, np.zeros(near.shape)]),
        bound,
    )
    settled, ok = _settle(x, rest, cand, k, kk)
    found.put(rest, settled)
    return found, rest[~ok]


def moved_by(x, idf, kept_idf, kept_words, words, old_of):
    """Return how far each kept row's unit vector moved from the last run (0 for new rows),
    or None when a kept row holds a word the last run did not know."""
    if not len(kept_words) or not len(x.data) or np.diff(x.indptr).min() == 0:
        return None
    where = np.minimum(np.searchsorted(kept_words, words), len(kept_words) - 1)
    known = kept_words[where] == words
    starts = x.indptr[:-1]
    if (np.add.reduceat(~known[x.indices], starts)[old_of >= 0] > 0).any():
        return None
    # a kept row's old weights are its new ones times old idf over new idf, up to its scale
    before = x.data * np.where(known, kept_idf[where] / idf, 0.0)[x.indices]
    size = np.sqrt(np.add.reduceat(before * before, starts))
    along = np.add.reduceat(x.data * before, starts) / size
    # |x - b/|b||^2 = |x|^2 - 2 x.b/|b| + 1; the 1e-12 covers the rounding of these sums
    gap2 = np.add.reduceat(x.data * x.data, starts) - 2 * along + 1
    return np.where(old_of >= 0, np.sqrt(np.maximum(gap2, 0) + 1e-12), 0.0)


def pair_cosines(x, rows, cols) -> np.ndarray:
    """Return the cosine of each (rows[p], cols[p]) pair, exactly as the sparse product."""
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    out = np.zeros(len(rows))
    order = np.argsort(rows, kind="stable")
    rows, cols = rows[order], cols[order]
    distinct = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else []
    # a few rows at a time: each of their candidates is multiplied by all of them
    for lo in range(0, len(distinct), PAIR_ROWS):
        a = distinct[lo]
        b = distinct[lo + PAIR_ROWS] if lo + PAIR_ROWS < len(distinct) else len(rows)
        held, which = np.unique(rows[a:b], return_inverse=True)
        dense = x[held].toarray(order="F").T  # terms x rows, C-ordered without a copy
        # sparse rows times dense columns adds each candidate's terms in term order, as the
        # sparse product does (a zero, for a term the row lacks, leaves the sum as it is)
        products = x[cols[a:b]] @ dense
        out[order[a:b]] = products[np.arange(b - a), which]
    return out


def block_nearest(x, k: int, side: int, dense_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (columns, cosines), n x k: each row's k most similar other rows by the block
    product (float32 when dense), ties in order.

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
    top = top_k(block, k)
    values = np.concatenate([best[lo:hi], np.take_along_axis(block, top, axis=1)], axis=1)
    where = np.concatenate([cols[lo:hi], top + first_col], axis=1)
    order = np.lexsort((where, -values), axis=1)[:, :k]
    best[lo:hi] = np.take_along_axis(values, order, axis=1)
    cols[lo:hi] = np.take_along_axis(where, order, axis=1)


def _cosine_blocks(x, side, dense_bytes):
    """Yield (lo, hi, lo2, hi2, cosines of rows lo..hi with rows lo2..hi2) for lo2 >= lo,
    over the row pairs of a normalised x, in side x side blocks.

    If x fits in dense_bytes as float32, BLAS multiplies dense blocks, else the sparse
    product is used.
    """
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


def top_k(block: np.ndarray, k: int) -> np.ndarray:
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
