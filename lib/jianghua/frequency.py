"""Frequency tables: term counts, keywords in context, collocations, dispersion, 提法."""

import re

import numpy as np
import pandas as pd

from jianghua.memo import memoized
from jianghua.segment import segmenter
from jianghua.tokens import load_stopwords, membership, token_counts, tokens

FREQUENCY_COLUMNS = ["term", "count", "per_10k", "doc_freq", "rank"]
KWIC_COLUMNS = ["speech_id", "start", "left", "match", "right"]
COLLOCATION_COLUMNS = ["w1", "w2", "collocation", "count", "G2", "pmi"]
DISPERSION_COLUMNS = ["speech_id", "term", "start", "position"]
FORMULATION_COLUMNS = ["speech_id", "formulation", "kind", "count"]


def _texts(corpus):
    """Return (speech_id, text) pairs in corpus order."""
    frame = corpus.speeches
    return list(zip(frame["speech_id"], frame["text"].fillna(""), strict=True))


@memoized
def term_frequencies(corpus, by=None, stopwords="default", min_chars=1) -> pd.DataFrame:
    """Return [by,] term, count, per_10k, doc_freq, rank, ranked by count then term.

    per_10k is relative to all word tokens of the group, stopwords included, so that it does
    not move when the stopword list changes.
    """
    words, counts = token_counts(corpus)
    labels, member = _groups_of(corpus.speeches, by)
    grouped = (member @ counts).tocsr()  # group x word counts
    present = (member @ (counts > 0).astype(np.int64)).tocsr()  # speeches holding each word
    grouped.sort_indices()
    present.sort_indices()
    # counts are positive, so both products hold the same entries in the same order
    if not np.array_equal(grouped.indices, present.indices):
        raise RuntimeError("term counts and document frequencies do not line up")
    doc_freq = present.data
    grouped = grouped.tocoo()
    totals = np.asarray(member @ counts.sum(axis=1)).ravel()
    stop = load_stopwords(stopwords, corpus.root)
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    ok = (lengths >= min_chars) & ~pd.Series(words).isin(stop).to_numpy()
    keep = ok[grouped.col]
    g, w, count, doc_freq = grouped.row[keep], grouped.col[keep], grouped.data[keep], doc_freq[keep]
    # the rank order by codes: group, then count (high first), then term, as sorting the table
    order = np.lexsort((_sort_rank(words)[w], -count, _sort_rank(labels)[g]))
    g, w, count, doc_freq = g[order], w[order], count[order], doc_freq[order]
    starts = np.r_[0, np.flatnonzero(np.diff(g)) + 1] if len(g) else np.zeros(0, np.int64)
    table = pd.DataFrame(
        {
            "term": words[w],
            "count": count.astype(np.int64),
            "per_10k": count / totals[g] * 10_000,
            "doc_freq": doc_freq.astype(np.int64),
            "rank": np.arange(len(g)) - np.repeat(starts, np.diff(np.r_[starts, len(g)])) + 1,
        }
    )
    if by is not None:
        table.insert(0, by, labels.take(g).reset_index(drop=True))
    return table


def _groups_of(speeches, by):
    """Return (group labels, groups x speeches 0/1 sparse matrix); one group "all" if by=None."""
    if by is None:
        codes, labels = np.zeros(len(speeches), dtype=np.int64), pd.Series(["all"])
    else:
        codes, _ = pd.factorize(speeches[by], use_na_sentinel=False)
        first = np.unique(codes, return_index=True)[1]
        labels = speeches[by].iloc[first].reset_index(drop=True)  # keeps the column's dtype
    return labels, membership(codes, len(labels))


def _sort_rank(values) -> np.ndarray:
    """Return each value's place in the order pandas sorts them (missing values last)."""
    order = pd.Series(values).sort_values(kind="stable").index.to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def kwic(corpus, pattern, window=15, regex=False) -> pd.DataFrame:
    """Return speech_id, start, left, match, right for each non-overlapping match in the texts."""
    compiled = re.compile(pattern if regex else re.escape(pattern))
    rows = []
    for speech_id, text in _texts(corpus):
        for m in compiled.finditer(text):
            if m.end() == m.start():
                continue  # an empty regex match is not a hit
            rows.append(
                (
                    speech_id,
                    m.start(),
                    text[max(0, m.start() - window) : m.start()].replace("\n", " "),
                    m.group(),
                    text[m.end() : m.end() + window].replace("\n", " "),
                )
            )
    return pd.DataFrame(rows, columns=KWIC_COLUMNS).astype({"start": "int64"})


def dispersion(corpus, terms) -> pd.DataFrame:
    """Return speech_id, term, start, position (start / length of the text, 0..1) of each hit."""
    terms = [terms] if isinstance(terms, str) else list(terms)
    speeches = corpus.speeches
    lengths = dict(zip(speeches["speech_id"], speeches["text"].fillna("").str.len(), strict=True))
    frames = []
    for term in terms:
        hits = kwic(corpus, term, window=0)
        frames.append(hits.assign(term=term)[["speech_id", "term", "start"]])
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["start"])
    out["position"] = out["start"] / out["speech_id"].map(lengths).clip(lower=1)
    return out.reindex(columns=DISPERSION_COLUMNS).reset_index(drop=True)


@memoized
def collocations(corpus, min_count=3, stopwords="default") -> pd.DataFrame:
    """Return w1, w2, collocation, count, G2 (Dunning log-likelihood), pmi (log2) of bigrams.

    A bigram is two non-stopword tokens that touch in the text (no punctuation between them).
    """
    toks = tokens(corpus)
    stop = load_stopwords(stopwords, corpus.root)
    token = toks["token"].to_numpy()
    start = toks["start"].to_numpy()
    sid = toks["speech_id"].to_numpy()
    codes, vocab = pd.factorize(toks["token"])
    lengths = np.fromiter(map(len, vocab), dtype=np.int64, count=len(vocab))[codes]
    good = ~toks["token"].isin(stop).to_numpy()
    adjacent = (sid[:-1] == sid[1:]) & (start[:-1] + lengths[:-1] == start[1:])
    pair = adjacent & good[:-1] & good[1:]
    bigrams = pd.DataFrame({"w1": token[:-1][pair], "w2": token[1:][pair]})
    table = bigrams.groupby(["w1", "w2"], sort=False).size().rename("count").reset_index()
    n = float(len(bigrams))
    r1 = table["w1"].map(bigrams["w1"].value_counts()).to_numpy(float)
    c1 = table["w2"].map(bigrams["w2"].value_counts()).to_numpy(float)
    table = table.assign(G2=_g2(table["count"].to_numpy(float), r1, c1, n))
    table["pmi"] = np.log2(table["count"] * n / (r1 * c1))
    table["collocation"] = table["w1"] + table["w2"]
    table = table[table["count"] >= min_count]
    table = table.sort_values(["G2", "collocation"], ascending=[False, True], kind="stable")
    return table[COLLOCATION_COLUMNS].reset_index(drop=True)


def _g2(o11, r1, c1, n):
    """Return Dunning's G2 for 2x2 tables given cell O11, row total R1, column total C1, N."""
    observed = [o11, r1 - o11, c1 - o11, n - r1 - c1 + o11]
    expected = [r1 * c1 / n, r1 * (n - c1) / n, (n - r1) * c1 / n, (n - r1) * (n - c1) / n]
    total = np.zeros_like(o11)
    for o, e in zip(observed, expected, strict=True):
        with np.errstate(divide="ignore", invalid="ignore"):
            total += np.where(o > 0, o * np.log(o / e), 0.0)
    return 2 * total


# ---------------------------------------------------------------- formulations (提法)

_NUMERALS = "〇○零一二三四五六七八九十百千万亿两"
# a count of items: 二..九, 两, 十, 十一..九十九 (一 is left out: 一是, 一些, 一定 ... are not 提法)
_COUNT = "[二三四五六七八九]?十[一二三四五六七八九]?|[二三四五六七八九两]"
_COUNT_START = re.compile(rf"(?<![第{_NUMERALS}\d.])(?:{_COUNT})")
_MEASURES = "个项大条种点类"
# heads that make a quantity, a date, an ordinal or a speech outline, not a formulation
_JUNK_HEADS = frozenset(
    "年 月 日 天 周 季度 倍 次 人 名 位 家 户 元 万 亿 千 百 多 余 来 些 是 要"
    " 成 分 层 级 届 期 轮 批 类 中全会 方面 问题 意见 部分 句话 点 条 个 项"
    " 种 句 段 份 县 市 区 乡 镇 村 省 方 面 样 岁 小时 分钟 公里 亩 吨 米"
    " 平方米 百分点 季 代 号 层面 工作 街道 环节".split()
)
# a quoted phrase: 2-16 characters, no sentence punctuation, no redaction marks
_QUOTED = re.compile(r"[“「‘]([^“”「」‘’\s。！？；：，,!?;:*]{2,16})[”」’]")
_NUMBERED_SHAPE = re.compile(
    rf"(?:一|{_COUNT}|\d{{1,3}})([{_MEASURES}化要]?)([^\W\d{_NUMERALS}a-zA-Z]{{1,3}})"
)


@memoized
def formulations(corpus) -> pd.DataFrame:
    """Return speech_id, formulation, kind ("quoted"|"numbered"), count (提法 per speech).

    Formulations are phrases put in quotation marks (at least 3 characters, or shaped like a
    numbered one) and numbered phrases (三个代表, 八项规定, 五落实) found at word boundaries.
    Every formulation found anywhere is counted in every speech that uses it.
    """
    toks = tokens(corpus)
    dictionary = set(segmenter(None, corpus.root).dictionary.freqs())
    general = load_stopwords("general")
    starts, words = toks["start"].to_numpy(), toks["token"].to_numpy(dtype=object)
    rows_of = toks.groupby("speech_id", sort=False).indices
    none = np.zeros(0, dtype=np.int64)
    found = set()
    for speech_id, text in _texts(corpus):
        rows = rows_of.get(speech_id, none)
        found |= _quoted(text)
        found |= _numbered(text, starts[rows], words[rows].tolist(), dictionary, general)
    rows = []
    if found:
        # longest first, so that 三个代表 wins over a shorter formulation at the same place
        alternation = "|".join(map(re.escape, sorted(found, key=lambda f: (-len(f), f))))
        counter = re.compile(rf"(?<![第{_NUMERALS}\d])(?:{alternation})")
        for speech_id, text in _texts(corpus):
            counts = pd.Series(counter.findall(text), dtype=object).value_counts()
            rows += [(speech_id, f, _kind(f), int(c)) for f, c in counts.items()]
    out = pd.DataFrame(rows, columns=FORMULATION_COLUMNS)
    order = {s: i for i, s in enumerate(corpus.speeches["speech_id"])}
    out = out.assign(_o=out["speech_id"].map(order)).sort_values(
        ["_o", "count", "formulation"], ascending=[True, False, True], kind="stable"
    )
    return out[FORMULATION_COLUMNS].reset_index(drop=True)


def _kind(phrase) -> str:
    """Return "numbered" for phrases shaped like 三个代表 / 五落实, else "quoted"."""
    return "numbered" if _NUMBERED_SHAPE.fullmatch(phrase) else "quoted"


def _quoted(text) -> set:
    """Return the quoted phrases of a text that look like formulations."""
    out = set()
    for m in _QUOTED.finditer(text):
        phrase = m.group(1)
        shape = _NUMBERED_SHAPE.fullmatch(phrase)
        if shape and _good_head(shape.group(2) or shape.group(1), frozenset()):
            out.add(phrase)
        elif not shape and len(phrase) >= 3 and re.search(r"[\u4e00-\u9fff]", phrase):
            out.add(phrase)
    return out


def _numbered(text, starts, words, dictionary, stopwords) -> set:
    """Return numbered formulations: a count, an optional measure word, a 1-3 character head."""
    by_start = dict(zip(starts.tolist(), words, strict=True))
    ends = starts + np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    out = set()
    for m in _COUNT_START.finditer(text):
        p, q = m.start(), m.end()
        if text[q : q + 1] in ("是", "要") or (q - p > 1 and text[q : q + 1] == "大"):
            continue  # 二是 / 三要 enumerate points; 十八大 names a party congress
        token = by_start.get(p)
        if token is None:
            i = np.searchsorted(starts, p, side="right") - 1
            if i >= 0 and ends[i] > p:
                continue  # the number sits inside a word (e.g. 统一, 唯一)
            j = q + 1 if q < len(text) and by_start.get(q) == text[q] in _MEASURES else q
        elif len(token) > q - p and token[q - p :] in _MEASURES:
            j = p + len(token)  # 三个 + 代表
        else:
            if token in dictionary and _kind(token) == "numbered":
                out.add(token)  # a formulation the user dictionary keeps whole (三个代表)
            continue
        head = by_start.get(j)
        if head and _good_head(head, stopwords):
            out.add(text[p : j + len(head)])
    return out


def _good_head(head, stopwords) -> bool:
    """Return whether a word can be the head of a numbered formulation."""
    return (
        1 <= len(head) <= 3
        and re.fullmatch(rf"[^\W\d{_NUMERALS}a-zA-Z]+", head) is not None
        and head not in _JUNK_HEADS
        and head not in stopwords
    )


def formulation_totals(form: pd.DataFrame) -> pd.DataFrame:
    """Return formulation, kind, count, n_speeches over the corpus, most frequent first."""
    totals = form.groupby(["formulation", "kind"], as_index=False).agg(
        count=("count", "sum"), n_speeches=("speech_id", "nunique")
    )
    return totals.sort_values(["count", "formulation"], ascending=[False, True], ignore_index=True)
