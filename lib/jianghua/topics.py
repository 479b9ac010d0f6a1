"""Topic models over the cached tokens: NMF on TF-IDF (default) or LDA on counts.

Documents are paragraphs by default (a handful of speeches is too few documents for a topic
model). Models are deterministic for a given seed. guided=True seeds NMF topics with the theme
dictionary, so topics start from (and are labelled with) the themes they line up with.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from jianghua.memo import memoized
from jianghua.steps import NotEnoughData

METHODS = ("nmf", "lda")
GUIDE_STRENGTH = 0.25  # guided NMF: weight of the theme pseudo-documents, as a share of units
LDA_ITER = 20  # batch EM passes; each costs ~0.15 s on the seed paragraphs


@dataclass
class TopicModel:
    """A fitted topic model as tidy tables; `model` keeps the scikit-learn estimator."""

    method: str
    k: int
    terms: pd.DataFrame  # topic, rank, term, weight, label
    shares: pd.DataFrame  # speech_id, topic, share, label
    unit_shares: pd.DataFrame  # unit_id, speech_id, topic, share
    labels: pd.DataFrame  # topic, label, seed_theme, theme, lift
    coherence: float  # mean NPMI of the top terms, over units
    topic_coherence: pd.DataFrame = field(repr=False)  # topic, coherence
    model: object = field(default=None, repr=False)


@dataclass
class _Docs:
    units: pd.DataFrame  # unit_id, speech_id, n_terms
    docs: list  # token lists, one per unit
    vocab: np.ndarray
    counts: object  # sparse unit x term counts


def _documents(corpus, unit="paragraph", stopwords="default", min_chars=2, min_df=2) -> _Docs:
    """Return the unit documents (stopwords and short tokens removed) and their term counts."""
    from sklearn.feature_extraction.text import CountVectorizer

    from jianghua.themes import assign_units, corpus_folder, text_units
    from jianghua.tokens import load_stopwords, tokens

    stop = load_stopwords(stopwords, corpus_root=corpus_folder(corpus))
    tok = tokens(corpus)
    tok = tok[(tok["token"].str.len() >= min_chars) & ~tok["token"].isin(stop)]
    units = text_units(corpus, unit)
    tok = assign_units(tok[["speech_id", "start", "token"]], units)
    grouped = tok.groupby("unit_id", sort=False)["token"].apply(list)
    units = units[units["unit_id"].isin(grouped.index)].reset_index(drop=True)
    docs = [grouped[u] for u in units["unit_id"]]
    if len(docs) < 2:
        raise NotEnoughData(f"topic models need at least 2 non-empty {unit} units, got {len(docs)}")
    vec = CountVectorizer(analyzer=_identity, min_df=min(min_df, len(docs)))
    counts = vec.fit_transform(docs)
    units = units.assign(n_terms=np.asarray(counts.sum(axis=1)).ravel())
    return _Docs(
        units[["unit_id", "speech_id", "n_terms"]], docs, vec.get_feature_names_out(), counts
    )


def _identity(doc):
    """Return the document unchanged (documents are already token lists)."""
    return doc


def _npmi(binary, top_idx: list) -> list:
    """Return the mean NPMI of each topic's top terms, from unit co-occurrence."""
    n = binary.shape[0]
    scores = []
    for idx in top_idx:
        sub = binary[:, idx]
        joint = (sub.T @ sub).toarray() / n
        single = np.diag(joint)
        pairs = []
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                pj = joint[a, b]
                if pj <= 0:
                    pairs.append(-1.0)
                elif pj >= 1:
                    pairs.append(1.0)
                else:
                    pairs.append(np.log(pj / (single[a] * single[b])) / -np.log(pj))
        scores.append(float(np.mean(pairs)) if pairs else float("nan"))
    return scores


def _theme_matrix(vocab: np.ndarray, themes: dict) -> pd.DataFrame:
    """Return a theme x vocabulary 0/1 matrix: which vocabulary terms are theme words."""
    index = {t: j for j, t in enumerate(vocab)}
    mat = np.zeros((len(themes), len(vocab)))
    for i, entries in enumerate(themes.values()):
        for entry in entries:
            if entry in index:
                mat[i, index[entry]] = 1.0
    return pd.DataFrame(mat, index=list(themes), columns=vocab)


def _guided_init(x, counts, theme_mat: pd.DataFrame, k: int, seed: int):
    """Return (W0, H0, seed themes): NMF starting factors whose rows are theme word lists;
    the k themes whose words occur most often in the documents are the seeds."""
    strength = np.asarray(counts.sum(axis=0)).ravel() @ theme_mat.to_numpy().T
    ranked = sorted(range(len(theme_mat)), key=lambda i: (-strength[i], theme_mat.index[i]))
    chosen = [i for i in ranked[:k] if strength[i] > 0]
    avg = float(np.sqrt(x.mean() / k))
    rng = np.random.default_rng(seed)
    h0 = rng.uniform(0, avg * 0.01, size=(k, x.shape[1]))
    h0[: len(chosen)] += theme_mat.to_numpy()[chosen] * avg
    if len(chosen) < k:  # topics beyond the themes start from small random noise
        h0[len(chosen) :] += rng.uniform(0, avg, size=(k - len(chosen), x.shape[1]))
    w0 = np.asarray(x @ h0.T)
    approx = w0 @ h0
    dense = x.toarray()
    w0 *= float((dense * approx).sum() / max((approx * approx).sum(), 1e-12))
    seeds = [theme_mat.index[i] for i in chosen] + [None] * (k - len(chosen))
    return np.maximum(w0, 1e-9), h0, seeds


def _anchor_rows(x, w0, h0, seeds: list, theme_mat: pd.DataFrame, strength=GUIDE_STRENGTH):
    """Return (X, W0) with one pseudo-document per seed theme appended, made of its words.

    Pseudo-document i starts with weight on topic i only; the multiplicative-update solver
    never makes a zero weight positive, so topic i alone must explain it. That keeps each
    guided topic tied to its theme while the real paragraphs decide its other words."""
    chosen = [i for i, s in enumerate(seeds) if s is not None]
    rows = theme_mat.loc[[seeds[i] for i in chosen]].to_numpy(copy=True)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    scale = np.sqrt(strength * x.shape[0] / max(len(chosen), 1))
    anchor_w = np.zeros((len(chosen), h0.shape[0]))
    for r, t in enumerate(chosen):
        anchor_w[r, t] = scale / max(float(h0[t] @ rows[r]), 1e-12)
    xa = sparse.vstack([x, sparse.csr_matrix(rows * scale)]).tocsr()
    return xa, np.vstack([w0, anchor_w])


def _fit(d: _Docs, k: int, method: str, seed: int, guided: bool, themes: dict):
    """Return (estimator, unit x topic weights, topic x term weights, seed themes)."""
    from sklearn.decomposition import NMF, LatentDirichletAllocation
    from sklearn.feature_extraction.text import TfidfTransformer

    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if k < 2 or k > min(d.counts.shape):
        raise NotEnoughData(
            f"k must be between 2 and {min(d.counts.shape)} for this corpus, not {k}"
        )
    if method == "lda":
        if guided:
            raise ValueError("guided topics are available for method='nmf' only")
        est = LatentDirichletAllocation(
            n_components=k, random_state=seed, learning_method="batch", max_iter=LDA_ITER
        )
        doc_topic = est.fit_transform(d.counts)
        comps = est.components_ / est.components_.sum(axis=1, keepdims=True)
        return est, doc_topic, comps, [None] * k
    x = TfidfTransformer().fit_transform(d.counts)
    est = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=1000, tol=1e-5)
    seeds = [None] * k
    if guided:
        w0, h0, seeds = _guided_init(x, d.counts, _theme_matrix(d.vocab, themes), k, seed)
        xa, wa = _anchor_rows(x, w0, h0, seeds, _theme_matrix(d.vocab, themes))
        est.set_params(init="custom", solver="mu")
        weights = est.fit_transform(xa, W=wa, H=h0)[: x.shape[0]]
    else:
        weights = est.fit_transform(x)
    return est, weights, est.components_, seeds


def _label_topics(comps, d: _Docs, theme_mat: pd.DataFrame, seeds: list, guided: bool):
    """Return topic, label, seed_theme, theme, lift: the theme whose words the topic
    over-represents most (lift = theme share of topic weight / theme share of all counts)."""
    share = comps / np.maximum(comps.sum(axis=1, keepdims=True), 1e-12)
    overlap = share @ theme_mat.to_numpy().T
    freq = np.asarray(d.counts.sum(axis=0)).ravel()
    baseline = (freq / freq.sum()) @ theme_mat.to_numpy().T
    lift = np.divide(overlap, baseline, out=np.zeros_like(overlap), where=baseline > 0)
    rows, used = [], {}
    for t in range(comps.shape[0]):
        best = int(np.argmax(lift[t])) if lift.shape[1] else -1
        theme = theme_mat.index[best] if best >= 0 and lift[t, best] > 1 else None
        top = [d.vocab[j] for j in _top_terms(comps[t], d.vocab, 3)]
        label = theme if guided and theme else "·".join(top)
        used[label] = used.get(label, 0) + 1
        if used[label] > 1:
            label = f"{label} ({used[label]})"
        value = float(lift[t, best]) if best >= 0 else float("nan")
        rows.append((t, label, seeds[t], theme, value))
    return pd.DataFrame(rows, columns=["topic", "label", "seed_theme", "theme", "lift"])


def _top_terms(weights, vocab, n: int) -> list:
    """Return indices of the n heaviest terms, ties broken by the term itself."""
    return sorted(range(len(vocab)), key=lambda j: (-weights[j], vocab[j]))[:n]


@memoized
def topic_model(
    corpus,
    k=6,
    method="nmf",
    unit="paragraph",
    seed=0,
    guided=False,
    n_terms=10,
    stopwords="default",
    themes=None,
) -> TopicModel:
    """Return a fitted TopicModel (terms, shares per speech, labels, NPMI coherence)."""
    from jianghua.themes import resolve_themes

    d = _documents(corpus, unit, stopwords)
    return _model_from_docs(d, k, method, seed, guided, n_terms, resolve_themes(themes, corpus))


def _model_from_docs(d: _Docs, k, method, seed, guided, n_terms, themes) -> TopicModel:
    """Return the TopicModel fitted on prepared documents."""
    est, weights, comps, seeds = _fit(d, k, method, seed, guided, themes)
    theme_mat = _theme_matrix(d.vocab, themes)
    labels = _label_topics(comps, d, theme_mat, seeds, guided)
    tops = [_top_terms(comps[t], d.vocab, n_terms) for t in range(k)]
    terms = pd.DataFrame(
        [
            (t, r, d.vocab[j], float(comps[t, j]))
            for t in range(k)
            for r, j in enumerate(tops[t], 1)
        ],
        columns=["topic", "rank", "term", "weight"],
    )
    unit_shares = _unit_shares(d.units, weights)
    per_topic = _npmi((d.counts > 0).astype(float).tocsc(), tops)
    label_of = dict(zip(labels["topic"], labels["label"], strict=True))
    return TopicModel(
        method=method,
        k=k,
        terms=terms.assign(label=terms["topic"].map(label_of)),
        shares=_speech_shares(d.units, unit_shares).assign(
            label=lambda s: s["topic"].map(label_of)
        ),
        unit_shares=unit_shares,
        labels=labels,
        coherence=float(np.nanmean(per_topic)),
        topic_coherence=pd.DataFrame({"topic": range(k), "coherence": per_topic}),
        model=est,
    )


def _unit_shares(units: pd.DataFrame, weights) -> pd.DataFrame:
    """Return unit_id, speech_id, topic, share with each unit's shares summing to 1."""
    total = weights.sum(axis=1, keepdims=True)
    norm = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
    k = weights.shape[1]
    return pd.DataFrame(
        {
            "unit_id": np.repeat(units["unit_id"].to_numpy(), k),
            "speech_id": np.repeat(units["speech_id"].to_numpy(), k),
            "topic": np.tile(np.arange(k), len(units)),
            "share": norm.ravel(),
        }
    )


def _speech_shares(units: pd.DataFrame, unit_shares: pd.DataFrame) -> pd.DataFrame:
    """Return speech_id, topic, share: unit shares averaged with unit lengths as weights."""
    size = unit_shares["unit_id"].map(dict(zip(units["unit_id"], units["n_terms"], strict=True)))
    weighted = unit_shares.assign(w=unit_shares["share"] * size)
    sums = weighted.groupby(["speech_id", "topic"], sort=False)["w"].sum()
    out = (sums / sums.groupby(level=0).transform("sum")).rename("share").reset_index()
    return out.fillna({"share": 0.0})


def topic_coherence(
    corpus,
    ks=(4, 6, 8),
    method="nmf",
    unit="paragraph",
    seed=0,
    stopwords="default",
    n_terms=10,
    themes=None,
) -> pd.DataFrame:
    """Return k, coherence (mean NPMI of top terms) for each number of topics in ks."""
    from jianghua.themes import resolve_themes

    d = _documents(corpus, unit, stopwords)
    themes = resolve_themes(themes, corpus)
    rows = [(k, _model_from_docs(d, k, method, seed, False, n_terms, themes).coherence) for k in ks]
    return pd.DataFrame(rows, columns=["k", "coherence"])
