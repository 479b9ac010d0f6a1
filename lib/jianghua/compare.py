"""Comparison across speeches, speakers, years and levels: keyness, similarity, reuse, profiles.

Every analysis takes `by` (a speeches column, "year", or a {speech_id: group} mapping) and
works on the groups that `groups()` returns, so left-out speeches and groups too small to
compare are reported in one place.
"""

import dataclasses
import hashlib
import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jianghua import config
from jianghua.memo import memoized, part_store, read_parts, write_parts
from jianghua.steps import NotEnoughData, TooMuchData
from jianghua.structure import top_sections

KEYNESS_COLUMNS = ["term", "count_target", "count_reference", "G2", "log_ratio", "log_odds", "z"]
NEIGHBOUR_COLUMNS = ["speech_id", "neighbour", "rank", "cosine"]
PAIR_COLUMNS = ["speech_a", "speech_b", "shared_chars", "pct_a", "pct_b"]
PASSAGE_COLUMNS = [
    "speech_a",
    "start_a",
    "end_a",
    "speech_b",
    "start_b",
    "end_b",
    "text_a",
    "text_b",
    "similarity",
]
MAX_COMPARISON_GROUPS = 8
DENSE_LIMIT = 2000


# ---------------------------------------------------------------- groups


def groups(corpus, by, min_chars=2000, duplicates=False) -> pd.Series:
    """Return a Series speech_id -> group, with left-out speeches and small groups in .attrs."""
    df = corpus.speeches
    ids = df["speech_id"].astype(object)
    if isinstance(by, Mapping | pd.Series):
        values = ids.map(dict(by)).astype(object)
        label = "group"
    elif by == "year":
        values = speech_years(df).astype(object)
        label = "date or year in the title"
    elif isinstance(by, str) and by in df.columns:
        values = df[by].astype(object)
        label = by
    else:
        raise ValueError(
            f"cannot group by {by!r}: use a speeches column ({', '.join(df.columns)}), "
            '"year", or a {speech_id: group} mapping'
        )
    values = pd.Series(values.to_numpy(), index=pd.Index(ids, name="speech_id"), name="group")
    missing = values.index[values.isna()].tolist()
    dup = pd.Series(df["duplicate_of"].to_numpy(), index=values.index).notna()
    dropped_dups = [] if duplicates else values.index[dup & values.notna()].tolist()
    out = values.drop(index=missing + dropped_dups)
    _warn_left_out(missing, dropped_dups, label)
    sizes = pd.Series(df["n_chars"].to_numpy(), index=values.index).loc[out.index]
    sizes = sizes.groupby(out.to_numpy()).sum().sort_index()
    too_small = [g for g, n in sizes.items() if n < min_chars]
    for g in too_small:
        warnings.warn(
            f"group {g!r} has only {int(sizes[g])} characters of text (fewer than "
            f"min_chars={min_chars}); results for it rest on very little text",
            stacklevel=2,
        )
    out.attrs.update(
        by=by if isinstance(by, str) else "mapping",
        missing=missing,
        duplicates=dropped_dups,
        sizes={g: int(n) for g, n in sizes.items()},
        too_small=too_small,
    )
    return out


def speech_years(speeches: pd.DataFrame) -> pd.Series:
    """Return each speech's year (Int64): its date's, else one written in its title."""
    from jianghua.metadata import find_year

    years = pd.to_datetime(speeches["date"]).dt.year.astype("Int64")
    # "2019年政府工作报告", "在2015年全市经济工作会议上的讲话": web copies often drop the dated line
    titles = speeches["title"].astype(object).where(years.isna())
    found = [pd.NA if pd.isna(t) else find_year(t) for t in titles]
    return years.fillna(pd.Series(found, index=years.index, dtype="Int64"))


def _warn_left_out(missing, duplicates, label):
    """Warn about speeches that groups() leaves out, naming them."""
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        warnings.warn(
            f"{len(missing)} speech(es) have no {label} and are left out: {shown}", stacklevel=3
        )
    if duplicates:
        shown = ", ".join(duplicates[:10]) + (" ..." if len(duplicates) > 10 else "")
        warnings.warn(
            f"{len(duplicates)} duplicate speech(es) are left out so their words are not "
            f"counted twice (pass duplicates=True to keep them): {shown}",
            stacklevel=3,
        )


def _as_groups(corpus, by, min_chars):
    """Return by itself when it is already a groups() result, else groups(corpus, by)."""
    if isinstance(by, pd.Series) and "too_small" in by.attrs:
        return by
    return groups(corpus, by, min_chars=min_chars)


# ---------------------------------------------------------------- counts and keyness


def _token_table(corpus, stopwords="default") -> pd.DataFrame:
    """Return tokens(corpus) [speech_id, token, start] without stopwords."""
    from jianghua.tokens import load_stopwords, tokens

    tok = tokens(corpus)[["speech_id", "token", "start"]]
    stop = load_stopwords(stopwords, corpus_root=corpus.root)
    if stop:
        tok = tok[~tok["token"].isin(stop)]
    return tok


def group_counts(corpus, by="level", stopwords="default", min_chars=2000) -> pd.DataFrame:
    """Return a term x group table of token counts (rows sorted by term, columns by group)."""
    from jianghua.tokens import membership

    g = _as_groups(corpus, by, min_chars)
    words, counts = _word_counts(corpus, stopwords)
    labels = sorted(g.unique(), key=str)
    group_codes = pd.Index(labels).get_indexer(corpus.speeches["speech_id"].map(g))
    by_group = (membership(group_codes, len(labels)) @ counts).T.tocsr()  # word x group
    used = np.flatnonzero(np.diff(by_group.indptr) > 0)
    order = used[np.argsort(words[used], kind="stable")]  # rows sorted by term
    return pd.DataFrame(
        by_group[order].toarray().astype(np.int64),
        index=pd.Index(words[order], name="term"),
        columns=pd.Index(labels, name="group"),
    )


def keyness_stats(a, b, prior, alpha0=500.0) -> pd.DataFrame:
    """Return G2 (signed), log_ratio, log_odds and z for target counts a vs reference counts b.

    a, b, prior are aligned count arrays over the same terms; prior holds the whole corpus
    counts that become the informative Dirichlet prior alpha_w = alpha0 * prior_w / sum(prior).
    """
    a, b, prior = (np.asarray(x, dtype=float) for x in (a, b, prior))
    c, d = a.sum(), b.sum()
    e1 = c * (a + b) / (c + d)
    e2 = d * (a + b) / (c + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = 2 * (
            np.where(a > 0, a * np.log(a / e1), 0.0) + np.where(b > 0, b * np.log(b / e2), 0.0)
        )
        # Hardie's log ratio: zero frequencies become 0.5 so the ratio stays finite.
        log_ratio = np.log2((np.where(a > 0, a, 0.5) / c) / (np.where(b > 0, b, 0.5) / d))
    sign = np.sign(a / c - b / d)
    alpha = alpha0 * prior / prior.sum()
    delta = np.log((a + alpha) / (c + alpha0 - a - alpha)) - np.log(
        (b + alpha) / (d + alpha0 - b - alpha)
    )
    z = delta / np.sqrt(1.0 / (a + alpha) + 1.0 / (b + alpha))
    return pd.DataFrame({"G2": sign * ll, "log_ratio": log_ratio, "log_odds": delta, "z": z})


def _as_list(x):
    """Return x as a list (a single group name becomes a one-item list)."""
    return list(x) if isinstance(x, list | tuple | set | frozenset) else [x]


@memoized
def keyness(
    corpus,
    target,
    reference=None,
    by="level",
    min_count=3,
    stopwords="default",
    alpha0=500.0,
    min_chars=2000,
) -> pd.DataFrame:
    """Return term, count_target, count_reference, G2, log_ratio, log_odds, z; target's first.

    target/reference: a group or a list of groups (years may be given as 2009 or "2009");
    reference None means every other group, or, when the target is the only group, every
    other speech (a warning says so).
    """
    g = _as_groups(corpus, by, min_chars)
    names = list(pd.unique(g.to_numpy()))
    tgt = _resolve(_as_list(target), names)
    _require_groups(tgt, names, by)
    if reference is None and not [x for x in names if x not in tgt]:
        g = _target_vs_rest(corpus, g, tgt, by)
        names = list(pd.unique(g.to_numpy()))
    counts = group_counts(corpus, g, stopwords=stopwords)
    ref = [c for c in counts.columns if c not in tgt] if reference is None else None
    ref = ref if ref is not None else _resolve(_as_list(reference), names)
    unknown = [x for x in tgt + ref if x not in counts.columns]
    if unknown:
        # the data decides which groups exist: a notebook step reports this and goes on
        raise NotEnoughData(
            f"no group {unknown!r} in the corpus grouped by {_by_name(by)!r}; groups are "
            f"{list(counts.columns)}"
        )
    if set(tgt) & set(ref):
        raise ValueError(f"target and reference overlap: {sorted(set(tgt) & set(ref), key=str)}")
    if not ref:
        shown = ", ".join(map(str, tgt))
        raise NotEnoughData(
            f"comparison needs at least two groups: every speech has {_by_name(by)} {shown}"
        )
    return _keyness_table(counts, tgt, ref, min_count, alpha0)


def _require_groups(wanted: list, names: list, by) -> None:
    """Raise NotEnoughData naming the groups there are when a wanted group is not one of them."""
    unknown = [x for x in wanted if x not in names]
    if not unknown:
        return
    if not names:
        raise NotEnoughData(f"no speech has a {_by_name(by)}: there are no groups to compare")
    raise NotEnoughData(
        f"no group {unknown!r} in the corpus grouped by {_by_name(by)!r}; groups are "
        f"{sorted(names, key=str)}"
    )


def _by_name(by) -> str:
    """Return a grouping's name for messages ("mapping" for a {speech_id: group} mapping)."""
    if isinstance(by, pd.Series) and "by" in by.attrs:
        return str(by.attrs["by"])
    return by if isinstance(by, str) else "mapping"


REST = "(其他)"


def _target_vs_rest(corpus, g, tgt, by) -> pd.Series:
    """Return groups with every speech outside the target (grouped or not) as REST."""
    ids = corpus.speeches["speech_id"]
    keep = ids[~ids.isin(g.attrs.get("duplicates", []))]
    out = pd.Series(
        [g.get(s) if g.get(s) in tgt else REST for s in keep], index=keep.to_numpy(), name="group"
    )
    if (out == REST).any():
        warnings.warn(
            f"grouped by {by!r}, {tgt} is the only group: comparing it with every other "
            f"speech ({int((out == REST).sum())}), including those with no {by}",
            stacklevel=3,
        )
    out.attrs.update(g.attrs, too_small=[])
    return out


def _resolve(names, groups_) -> list:
    """Return names matched to the actual group labels (2009 and "2009" are the same year)."""
    by_str = {str(x): x for x in groups_}
    return [x if x in groups_ else by_str.get(str(x), x) for x in names]


def _keyness_table(counts, tgt, ref, min_count, alpha0):
    """Return the sorted keyness table of groups tgt vs ref from a term x group count table."""
    a = counts[tgt].sum(axis=1).to_numpy()
    b = counts[ref].sum(axis=1).to_numpy()
    stats = keyness_stats(a, b, counts.sum(axis=1).to_numpy(), alpha0=alpha0)
    out = pd.DataFrame({"term": counts.index.astype(str), "count_target": a, "count_reference": b})
    out = pd.concat([out, stats], axis=1)
    out = out[out["count_target"] + out["count_reference"] >= min_count]
    out = out.sort_values(["G2", "term"], ascending=[False, True], kind="mergesort")
    out = out.reset_index(drop=True)[KEYNESS_COLUMNS]
    out.attrs.update(
        target=tgt, reference=ref, tokens_target=int(a.sum()), tokens_reference=int(b.sum())
    )
    return out


@memoized
def comparison_terms(
    corpus, by, n=40, score="z", min_count=3, stopwords="default", alpha0=500.0, min_chars=2000
) -> pd.DataFrame:
    """Return group, term, score: each group's n most over-represented terms vs the rest."""
    if score not in ("z", "log_ratio", "log_odds", "G2"):
        raise ValueError(f"score must be 'z', 'log_odds', 'log_ratio' or 'G2', not {score!r}")
    counts = group_counts(corpus, by, stopwords=stopwords, min_chars=min_chars)
    names = list(counts.columns)
    if len(names) > MAX_COMPARISON_GROUPS:
        raise ValueError(
            f"{len(names)} groups is too many to compare side by side (at most "
            f"{MAX_COMPARISON_GROUPS}); group more coarsely or pick groups with a mapping"
        )
    if len(names) < 2:
        found = f"only one {_by_name(by)}: {names[0]}" if names else "no group at all"
        raise NotEnoughData(f"comparison needs at least two groups: {found}")
    frames = []
    for name in names:
        rest = [c for c in names if c != name]
        tab = _keyness_table(counts, [name], rest, min_count, alpha0)
        tab = tab[(tab[score] > 0) & (tab["count_target"] > 0)]
        tab = tab.sort_values([score, "term"], ascending=[False, True], kind="mergesort").head(n)
        frames.append(pd.DataFrame({"group": name, "term": tab["term"], "score": tab[score]}))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- profiles


def theme_profiles(corpus, by, themes=None, min_chars=2000) -> pd.DataFrame:
    """Return group, theme, per_1k (theme hits per 1,000 tokens of the group), hits, n_tokens."""
    from jianghua.themes import theme_scores

    g = _as_groups(corpus, by, min_chars)
    scores = theme_scores(corpus, unit="speech", themes=themes)
    scores = scores.assign(group=scores["speech_id"].map(g)).dropna(subset=["group"])
    hits = scores.groupby(["group", "theme"], sort=False)["hits"].sum()
    # n_tokens repeats on every theme row of a speech: count each speech once per group.
    sizes = scores.drop_duplicates("speech_id").groupby("group", sort=False)["n_tokens"].sum()
    out = hits.reset_index()
    out["n_tokens"] = out["group"].map(sizes).astype(int)
    out["per_1k"] = 1000.0 * out["hits"] / out["n_tokens"].where(out["n_tokens"] > 0)
    out = out.sort_values(
        ["group", "theme"], key=lambda s: s.astype(str), kind="mergesort"
    ).reset_index(drop=True)
    return out[["group", "theme", "per_1k", "hits", "n_tokens"]]


def formulation_profiles(corpus, by, min_chars=2000) -> pd.DataFrame:
    """Return group, formulation, count, kind, n_speeches; most used first within a group."""
    from jianghua.frequency import formulations

    g = _as_groups(corpus, by, min_chars)
    form = formulations(corpus)
    form = form.assign(group=form["speech_id"].map(g)).dropna(subset=["group"])
    out = form.groupby(["group", "formulation", "kind"], sort=False).agg(
        count=("count", "sum"), n_speeches=("speech_id", "nunique")
    )
    out = out.reset_index()
    out["_g"] = out["group"].astype(str)
    out = out.sort_values(
        ["_g", "count", "formulation"], ascending=[True, False, True], kind="mergesort"
    )
    return out[["group", "formulation", "count", "kind", "n_speeches"]].reset_index(drop=True)


# ---------------------------------------------------------------- similarity


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


def _word_counts(corpus, stopwords):
    """Return (words, speeches x words sparse counts) of the corpus without stopwords."""
    from jianghua.tokens import load_stopwords, token_counts

    words, counts = token_counts(corpus)
    stop = load_stopwords(stopwords, corpus_root=corpus.root)
    counts = counts.astype(np.float64)
    counts.data *= ~pd.Series(words).isin(stop).to_numpy()[counts.indices]
    counts.eliminate_zeros()
    return words, counts


def _speech_counts(corpus, stopwords):
    """Return (ids of speeches with a word left, their sparse word counts) without stopwords."""
    _, counts = _word_counts(corpus, stopwords)
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


# ---------------------------------------------------------------- text reuse

# Copies of a speech differ in spacing and in ASCII vs full-width punctuation; neither is reuse.
_PUNCT = list(zip(",:;!?()", "\uff0c\uff1a\uff1b\uff01\uff1f\uff08\uff09", strict=True))
_MASK = "\x00"
_SPACE = re.compile(r"\s+")
# every character that str.isspace() (and so regex \s) calls whitespace; none is above U+3000
_WHITESPACE = np.array([c for c in range(0x3001) if chr(c).isspace()], dtype=np.uint64)
_LEADING_PUNCT = "。\uff0c\uff1b\uff1a\uff01\uff1f、”’)】》"
_NUMBER = "[一二三四五六七八九十百几两0-9]+"
_ANY = "[^。\uff01\uff1f\uff1b\x00]{0,60}"  # stays inside one sentence


def _canonical(text: str) -> tuple[str, np.ndarray]:
    """Return (text without whitespace, punctuation unified; offsets into the original)."""
    cp = _codepoints(text)
    offsets = np.flatnonzero(~np.isin(cp, _WHITESPACE)).astype(np.int64)
    norm = _SPACE.sub("", text)
    for ascii_char, wide in _PUNCT:
        # str.replace is a C loop; str.translate goes through a dict per character
        norm = norm.replace(ascii_char, wide)
    return norm, offsets


def load_stop_passages(path=None, corpus_root=None) -> list[str]:
    """Return the stop-passage lines: the shipped list plus an analyst's corpus copy."""
    files = [Path(path) if path else config.DATA_DIR / "stop_passages.txt"]
    extra = Path(corpus_root) / "stop_passages.txt" if corpus_root else None
    if extra is not None and extra.is_file():
        files.append(extra)
    lines = []
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def stop_passage_patterns(lines) -> list[tuple[str, re.Pattern]]:
    """Return (longest literal piece, regex) per stop passage (* = words, # = a number)."""
    out = []
    for line in lines:
        canon, _ = _canonical(line)
        pieces = [p for p in re.split(r"([*#])", canon) if p]
        if not pieces:
            continue
        regex = "".join(_ANY if p == "*" else _NUMBER if p == "#" else re.escape(p) for p in pieces)
        if pieces[0] == "*":
            # a leading * reaches back to the start of the sentence: anchor it there, which
            # keeps the regex from being tried at every character
            regex = "(?:(?<=[。\uff01\uff1f\uff1b\x00])|^)" + regex
        literals = [p for p in pieces if p not in ("*", "#")]
        out.append((max(literals, key=len) if literals else "", re.compile(regex)))
    # longest first, so a full sentence wins over its opening words
    out.sort(key=lambda x: (-len(x[1].pattern), x[1].pattern))
    return out


def _mask(norm: str, patterns) -> str:
    """Return norm with stop passages replaced by the mask character (same length)."""
    for literal, regex in patterns or ():
        # the literal test is a fast C scan; most speeches lack most passages
        if literal in norm:
            norm = regex.sub(lambda m: _MASK * len(m.group()), norm)
    return norm


def _codepoints(norm: str) -> np.ndarray:
    """Return the code points of norm as uint64."""
    return np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def _masked_cumsum(norm: str) -> np.ndarray:
    """Return c with c[i] = number of masked characters in norm[:i]."""
    return np.r_[0, np.cumsum(_codepoints(norm) == 0)]


def _qgram_hashes(norm: str, q: int) -> np.ndarray:
    """Return an int64 hash per q-gram of norm; q-grams touching a masked char get int64 max."""
    cp = _codepoints(norm)
    n = len(cp) - q + 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    h = np.zeros(n, dtype=np.uint64)
    for k in range(q):
        h = h * np.uint64(1_000_003) + cp[k : k + n]
    # splitmix64 finaliser: winnowing keeps minima, which must not favour particular characters
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    h = h.view(np.int64) >> np.int64(1)
    masked = np.concatenate([[0], np.cumsum(cp == 0)])
    h[(masked[q:] - masked[:n]) > 0] = np.iinfo(np.int64).max
    return h


def _winnow(h: np.ndarray, w: int) -> np.ndarray:
    """Return the positions winnowing keeps: each window of w q-grams keeps its minimum."""
    from numpy.lib.stride_tricks import sliding_window_view

    valid = h != np.iinfo(np.int64).max
    if len(h) <= w:
        return np.flatnonzero(valid)
    m = sliding_window_view(h, w).min(axis=1)
    pad = np.full(w - 1, np.iinfo(np.int64).min)
    best = sliding_window_view(np.concatenate([pad, m, pad]), w).max(axis=1)
    return np.flatnonzero((h == best) & valid)


def _candidate_seeds(prints, max_docs, min_shared, reach):
    """Yield (doc_a, doc_b, pos_a, pos_b) for document pairs sharing min_shared fingerprints
    that lie close together on one alignment diagonal.

    prints is a list (one per document) of (hashes, ascending positions). Fingerprints found
    in more than max_docs documents are stock phrases, not reuse, and are dropped; a
    fingerprint repeated inside one document counts once.
    """
    if not prints:
        return
    h = np.concatenate([p[0] for p in prints])
    doc = np.concatenate([np.full(len(p[0]), i, dtype=np.int64) for i, p in enumerate(prints)])
    pos = np.concatenate([p[1] for p in prints])
    # already in (doc, pos) order: a stable sort by hash gives the (hash, doc, pos) order
    order = np.argsort(h, kind="stable")
    h, doc, pos = h[order], doc[order], pos[order]
    first = np.r_[True, (h[1:] != h[:-1]) | (doc[1:] != doc[:-1])]
    h, doc, pos = h[first], doc[first], pos[first]
    starts = np.flatnonzero(np.r_[True, h[1:] != h[:-1]])
    sizes = np.diff(np.r_[starts, len(h)])
    keep = (sizes >= 2) & (sizes <= max_docs)
    ia, ib = _pairs_within(starts[keep], sizes[keep])
    key = doc[ia] * len(prints) + doc[ib]
    pa, pb = pos[ia], pos[ib]
    key, pa, pb = _colinear(key, pa, pb, reach)
    bounds = np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        if hi - lo >= min_shared:
            da, db = divmod(int(key[lo]), len(prints))
            yield da, db, pa[lo:hi], pb[lo:hi]


def _colinear(key, pa, pb, reach):
    """Return the seeds (sorted by pair) with another seed of the pair on the same diagonal
    within reach characters: a copied passage leaves a run of them, a stock phrase one."""
    if len(key) == 0:
        return key, pa, pb
    diag = pb - pa
    order = _by_pair_diagonal_position(key, diag, pa)
    key, pa, pb, diag = key[order], pa[order], pb[order], diag[order]
    near = (key[1:] == key[:-1]) & (diag[1:] == diag[:-1]) & (pa[1:] - pa[:-1] <= reach)
    keep = np.r_[near, False] | np.r_[False, near]
    return key[keep], pa[keep], pb[keep]


def _by_pair_diagonal_position(key, diag, pa) -> np.ndarray:
    """Return the order sorting seeds by pair, then diagonal, then position (as lexsort)."""
    low, high = int(diag.min()), int(diag.max())
    width = high - low + 1
    if int(key.max()) >= (2**62) // width:  # the combined key would overflow: three sorts
        return np.lexsort((pa, diag, key))
    # two stable sorts instead of three: pair and diagonal share one int64 key
    first = np.argsort(pa, kind="stable")
    combined = (key * width + (diag - low))[first]
    return first[np.argsort(combined, kind="stable")]


def _pairs_within(starts, sizes) -> tuple[np.ndarray, np.ndarray]:
    """Return index arrays (i, j), i < j, of every pair of rows inside each group of rows."""
    member = (
        np.repeat(starts, sizes)
        + np.arange(sizes.sum())
        - np.repeat(np.cumsum(sizes) - sizes, sizes)
    )
    after = np.repeat(starts + sizes, sizes) - member - 1
    ia = np.repeat(member, after)
    ib = ia + 1 + np.arange(after.sum()) - np.repeat(np.cumsum(after) - after, after)
    return ia, ib


def _extend(a: str, b: str, i: int, j: int) -> tuple[int, int, int]:
    """Return (start_a, start_b, length) of the maximal exact match through a[i] == b[j]."""
    left = 0
    while i - left > 0 and j - left > 0 and a[i - left - 1] == b[j - left - 1] != _MASK:
        left += 1
    right, step = 0, 64
    while step:
        # compare in chunks, then character by character near the end of the match
        ca, cb = a[i + right : i + right + step], b[j + right : j + right + step]
        if len(ca) == step and ca == cb and _MASK not in ca:
            right += step
        else:
            step //= 8
    return i - left, j - left, left + right


def _blocks(a: str, b: str, seeds, q: int) -> list[tuple[int, int, int]]:
    """Return the distinct exact-match blocks (start_a, start_b, length) grown from seeds."""
    last: dict = {}
    out = set()
    pos_a, pos_b = seeds
    order = np.lexsort((pos_a, pos_b - pos_a))
    for pa, pb in zip(pos_a[order].tolist(), pos_b[order].tolist(), strict=True):
        prev = last.get(pb - pa)
        if prev is not None and prev[0] <= pa < prev[0] + prev[2]:
            continue  # already inside a block on this diagonal
        if a[pa : pa + q] != b[pb : pb + q]:
            continue  # hash collision
        last[pb - pa] = _extend(a, b, pa, pb)
        out.add(last[pb - pa])
    return sorted(out)


def _run(a: str, b: str, i: int, j: int, step: int) -> int:
    """Return how many characters match going from a[i], b[j] in direction step (+1 or -1)."""
    n = 0
    while 0 <= i < len(a) and 0 <= j < len(b) and a[i] == b[j] != _MASK:
        n, i, j = n + 1, i + step, j + step
    return n


def _grow(a, b, span, max_shift, min_run=4) -> tuple[int, int, int, int]:
    """Return span (sa, ea, sb, eb) grown outwards over small edits near its ends.

    Seeds only guarantee long runs, so a short run after the last (or before the first)
    changed character would otherwise be cut off. Edits tried: d characters replaced, added
    or dropped, d <= max_shift.
    """
    sa, ea, sb, eb = span
    edits = [(d, d) for d in range(1, max_shift + 1)]
    edits += [(0, d) for d in range(1, max_shift + 1)] + [(d, 0) for d in range(1, max_shift + 1)]
    la, lb = len(a), len(b)
    for step in (1, -1):
        while True:
            best = (0, 0, 0)
            for da, db in edits:
                i, j = (ea + da, eb + db) if step == 1 else (sa - 1 - da, sb - 1 - db)
                if 0 <= i < la and 0 <= j < lb and a[i] == b[j]:
                    n = _run(a, b, i, j, step)
                    if n >= min_run and n - da - db > best[0] - best[1] - best[2]:
                        best = (n, da, db)
            n, da, db = best
            if n == 0:
                break
            if step == 1:
                ea, eb = ea + da + n, eb + db + n
            else:
                sa, sb = sa - da - n, sb - db - n
    return sa, ea, sb, eb


def _chain(blocks, masked_a, masked_b, max_gap: int, max_shift: int) -> list[list[tuple]]:
    """Return chains of blocks that follow each other in both texts with small gaps.

    masked_a/b are cumulative counts of masked characters: a stop passage inside a copied
    passage is not a gap, so the copy is not cut in two around its boilerplate.
    """
    chains: list[list] = []
    open_ids: list[int] = []  # chains that a later block may still continue
    for blk in blocks:
        sa, sb, n = blk
        best, still_open = None, []
        for k in open_ids:
            la, lb, ln = chains[k][-1]
            ga = sa - (la + ln) - max(0, masked_a[sa] - masked_a[min(la + ln, sa)])
            if ga > max_gap:
                continue  # blocks come sorted by start_a: this gap only grows
            still_open.append(k)
            gb = sb - (lb + ln) - max(0, masked_b[sb] - masked_b[min(lb + ln, sb)])
            close = -max_shift <= min(ga, gb) and max(ga, gb) <= max_gap
            if close and abs(ga - gb) <= max_shift:
                if best is None or la + ln > sum(chains[best][-1][::2]):
                    best = k
        open_ids = still_open
        if best is None:
            chains.append([blk])
            open_ids.append(len(chains) - 1)
        elif sa + n > sum(chains[best][-1][::2]):
            chains[best].append(blk)
    return chains


@dataclass
class Reuse:
    """Passages shared between speeches: .pairs per speech pair, .passages with both spans."""

    pairs: pd.DataFrame
    passages: pd.DataFrame
    texts: dict = field(default_factory=dict, repr=False)

    def for_cache(self) -> "Reuse":
        """Return this Reuse without the texts (the result cache stores the corpus once)."""
        return dataclasses.replace(self, texts={})

    def from_cache(self, corpus) -> "Reuse":
        """Return this Reuse with the corpus's texts (after reading it from the result cache)."""
        speeches = corpus.speeches
        texts = dict(zip(speeches["speech_id"], speeches["text"].fillna(""), strict=True))
        return dataclasses.replace(self, texts=texts)

    def context(self, i: int, width: int = 40) -> pd.DataFrame:
        """Return side, speech_id, start, end, left, match, right for passage row i."""
        row = self.passages.iloc[i]
        rows = []
        for side in ("a", "b"):
            sid, s, e = row[f"speech_{side}"], int(row[f"start_{side}"]), int(row[f"end_{side}"])
            text = self.texts[sid]
            rows.append(
                {
                    "side": side,
                    "speech_id": sid,
                    "start": s,
                    "end": e,
                    "left": text[max(0, s - width) : s],
                    "match": text[s:e],
                    "right": text[e : e + width],
                }
            )
        return pd.DataFrame(rows)


def _stop_pattern(corpus, stop_passages):
    """Return the compiled stop-passage regex for the reuse() argument."""
    if stop_passages is None:
        return None
    if isinstance(stop_passages, str | Path) and str(stop_passages) == "default":
        return stop_passage_patterns(load_stop_passages(corpus_root=corpus.root))
    if isinstance(stop_passages, str | Path):
        return stop_passage_patterns(load_stop_passages(path=stop_passages))
    return stop_passage_patterns(list(stop_passages))


@memoized
def reuse(
    corpus,
    min_chars=50,
    min_similarity=0.9,
    stop_passages="default",
    q=8,
    window=16,
    max_gap=30,
    max_shift=5,
    max_docs=100,
    min_shared=2,
) -> Reuse:
    """Return the Reuse (pairs, passages) of exact or near-exact passages shared by speeches.

    Candidate pairs come from winnowed character q-gram fingerprints (an inverted index, so
    not every pair of speeches is compared); exact matches are grown from shared fingerprints
    and chained across small gaps (a changed, added or dropped character or a few). Speech
    pairs sharing fewer than min_shared fingerprints are not aligned; an exact shared run of
    min_shared * window + q - 1 characters (39 by default) is always found.
    """
    from jianghua.tokens import text_hash

    df = corpus.speeches
    ids, texts = list(df["speech_id"]), list(df["text"].fillna(""))
    pattern = _stop_pattern(corpus, stop_passages)
    settings = (q, window, max_gap, max_shift, min_chars, min_similarity)
    patterns = [regex.pattern for _, regex in pattern or ()]
    store = _ReuseStore(part_store(corpus, reuse, (settings, patterns)))
    docs = _Docs(texts, pattern)
    digests = [text_hash(t) for t in texts]
    prints = [
        store.get("prints", digest, lambda i=i: _winnowed(docs.norm(i), q, window))
        for i, digest in enumerate(_progress_fingerprints(digests))
    ]
    rows, n_candidates = [], 0
    for da, db, pos_a, pos_b in _candidate_seeds(
        prints, max_docs, min_shared, reach=max_gap + window + q
    ):
        n_candidates += 1
        seeds = (pos_a, pos_b)
        seed_key = hashlib.blake2b(pos_a.tobytes() + pos_b.tobytes(), digest_size=16).hexdigest()
        found = store.get(
            "pairs",
            (digests[da], digests[db], seed_key),
            lambda a=da, b=db, s=seeds: _pair_passages(docs, a, b, s, settings),
        )
        for row in found:
            rows.append(
                {
                    **row,
                    "speech_a": ids[da],
                    "speech_b": ids[db],
                    "text_a": texts[da][row["start_a"] : row["end_a"]],
                    "text_b": texts[db][row["start_b"] : row["end_b"]],
                }
            )
    store.save()
    passages = pd.DataFrame(rows, columns=PASSAGE_COLUMNS)
    for col in ("start_a", "end_a", "start_b", "end_b"):
        passages[col] = passages[col].astype(np.int64)
    passages["similarity"] = passages["similarity"].astype(float)
    text_of = dict(zip(ids, texts, strict=True))
    pairs = _pairs(passages, text_of)
    # how much work the index saved: speech pairs aligned out of all possible pairs
    pairs.attrs.update(candidate_pairs=n_candidates, possible_pairs=len(ids) * (len(ids) - 1) // 2)
    return Reuse(pairs=pairs, passages=passages, texts=text_of)


def _winnowed(norm: str, q: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (hashes, positions) of the q-grams winnowing keeps in a normalised text."""
    h = _qgram_hashes(norm, q)
    keep = _winnow(h, window)
    return h[keep], keep.astype(np.int64)


def _pair_passages(docs, da: int, db: int, seeds, settings) -> list[dict]:
    """Return the passage rows (offsets into the texts, similarity) of one candidate pair."""
    q, _, max_gap, max_shift, min_chars, min_similarity = settings
    a, b = docs.norm(da), docs.norm(db)
    found = []
    for ch in _chain(_blocks(a, b, seeds, q), docs.masked(da), docs.masked(db), max_gap, max_shift):
        row = _passage(ch, a, b, docs.offsets(da), docs.offsets(db), min_chars, max_shift)
        if row is not None and row["similarity"] >= min_similarity:
            found.append(row)
    return found


class _Docs:
    """The texts' canonical forms, each computed when a text is first aligned or indexed."""

    def __init__(self, texts, pattern):
        self.texts, self.pattern = texts, pattern
        self._canon, self._norm, self._masked = {}, {}, {}

    def offsets(self, i) -> np.ndarray:
        """Return the offsets of text i's canonical characters in the original text."""
        if i not in self._canon:
            self._canon[i] = _canonical(self.texts[i])
        return self._canon[i][1]

    def norm(self, i) -> str:
        """Return text i canonical, with its stop passages masked."""
        if i not in self._norm:
            self.offsets(i)
            self._norm[i] = _mask(self._canon[i][0], self.pattern)
        return self._norm[i]

    def masked(self, i) -> np.ndarray:
        """Return the running count of masked characters of text i."""
        if i not in self._masked:
            self._masked[i] = _masked_cumsum(self.norm(i))
        return self._masked[i]


class _ReuseStore:
    """Fingerprints per text and passages per aligned pair, kept on disk from the last run.

    Adding one speech to ten thousand then fingerprints one text and aligns only the pairs
    whose texts or shared fingerprints are new. Only what this run used is written back.
    """

    def __init__(self, path):
        self.path, self.fresh = path, False
        self.kept = read_parts(path, {"prints": {}, "pairs": {}}) if path else None
        self.used = {"prints": {}, "pairs": {}}

    def get(self, kind: str, key, compute):
        """Return the kept value of key, else compute it (and keep it)."""
        value = self.kept[kind].get(key) if self.kept else None
        if value is None:
            value, self.fresh = compute(), True
        self.used[kind][key] = value
        return value

    def save(self):
        """Write back what this run used, if anything was new or dropped."""
        sizes = {k: len(v) for k, v in self.used.items()}
        if self.path and (self.fresh or sizes != {k: len(v) for k, v in self.kept.items()}):
            write_parts(self.path, self.used)


def _progress_fingerprints(items):
    """Return the items wrapped in a progress bar (quiet on small corpora)."""
    from jianghua.progress import progress

    return progress(items, desc="fingerprints")


def _passage(chain, a, b, offs_a, offs_b, min_chars, max_shift) -> dict | None:
    """Return the passage row for a chain of blocks, or None when it is too short."""
    from rapidfuzz.distance import Indel

    span = (
        chain[0][0],
        max(x[0] + x[2] for x in chain),
        chain[0][1],
        max(x[1] + x[2] for x in chain),
    )
    sa, ea, sb, eb = _grow(a, b, span, max_shift)
    # an exact match often starts with the full stop of the sentence before; drop it
    while sa < ea and sb < eb and a[sa] == b[sb] and a[sa] in _LEADING_PUNCT:
        sa, sb = sa + 1, sb + 1
    # masked boilerplate inside a copied passage neither counts nor differs
    span_a, span_b = a[sa:ea].replace(_MASK, ""), b[sb:eb].replace(_MASK, "")
    if min(len(span_a), len(span_b)) < min_chars:
        return None
    # 2 * LCS / (len a + len b), bit-parallel: difflib's ratio gave the same kind of score
    # (lower where its matching blocks miss part of the LCS) but took 100 s of 150 s on
    # 10,000 speeches
    sim = Indel.normalized_similarity(span_a, span_b)
    return {
        "start_a": int(offs_a[sa]),
        "end_a": int(offs_a[ea - 1]) + 1,
        "start_b": int(offs_b[sb]),
        "end_b": int(offs_b[eb - 1]) + 1,
        "similarity": round(sim, 4),
    }


def _covered(spans) -> int:
    """Return how many characters a set of [start, end) spans covers."""
    total, reach = 0, -1
    for s, e in sorted(spans):
        if e > reach:
            total += e - max(s, reach)
            reach = e
    return total


def _pairs(passages, text_of) -> pd.DataFrame:
    """Return speech_a, speech_b, shared_chars, pct_a, pct_b from the passages."""
    rows = []
    for (sa, sb), grp in passages.groupby(["speech_a", "speech_b"], sort=False):
        ca = _covered(zip(grp["start_a"], grp["end_a"], strict=True))
        cb = _covered(zip(grp["start_b"], grp["end_b"], strict=True))
        rows.append(
            {
                "speech_a": sa,
                "speech_b": sb,
                "shared_chars": ca,
                "pct_a": ca / max(len(text_of[sa]), 1),
                "pct_b": cb / max(len(text_of[sb]), 1),
            }
        )
    pairs = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    return pairs.sort_values(
        ["shared_chars", "speech_a", "speech_b"], ascending=[False, True, True], kind="mergesort"
    ).reset_index(drop=True)
