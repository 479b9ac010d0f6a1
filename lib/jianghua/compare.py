"""Group comparison: speeches grouped by speaker, year or level; keyness and profiles.

Every analysis takes `by` (a speeches column, "year", or a {speech_id: group} mapping) and
works on the groups that `groups()` returns, so left-out speeches and groups too small to
compare are reported in one place. Similarity between speeches is in jianghua.similar, and
passages shared between them in jianghua.text_reuse.
"""

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from jianghua.memo import memoized
from jianghua.steps import NotEnoughData

KEYNESS_COLUMNS = ["term", "count_target", "count_reference", "G2", "log_ratio", "log_odds", "z"]
MAX_COMPARISON_GROUPS = 8


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


def pick_group(corpus, by, target=None, min_chars=2000):
    """Return target, or by default the group with the most text (for "year": the latest)."""
    if target is not None:
        return target
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the analysis that follows warns about the groups
        sizes = groups(corpus, by, min_chars).attrs["sizes"]
    if not sizes:
        raise NotEnoughData(f"no speech has a {by!r}: there is no group to compare")
    if by == "year":
        return max(sizes)
    # most text first; among equals the first name, so the choice never depends on load order
    return min(sizes, key=lambda g: (-sizes[g], str(g)))


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


def group_counts(corpus, by="level", stopwords="default", min_chars=2000) -> pd.DataFrame:
    """Return a term x group table of token counts (rows sorted by term, columns by group)."""
    from jianghua.tokens import counts_without_stopwords, membership

    g = _as_groups(corpus, by, min_chars)
    words, counts = counts_without_stopwords(corpus, stopwords)
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
