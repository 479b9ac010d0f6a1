"""Text reuse: passages that speeches share, word for word or nearly.

Candidate pairs come from winnowed character q-gram fingerprints (an inverted index, so not
every pair of speeches is compared); exact matches are grown from shared fingerprints and
chained across small gaps. Boilerplate (the stop passages) is masked before matching.
"""

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jianghua import config
from jianghua.cache_files import text_hash
from jianghua.memo import memoized, part_store, read_parts, write_parts
from jianghua.read_text import read_analyst_text

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
        for line in read_analyst_text(f).splitlines():
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


def _covered_by(group: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Return, per group number, how many characters its [start, end) spans cover together."""
    order = np.lexsort((end, start, group))
    g, s, e = group[order], start[order], end[order]
    # the span before reaches as far as the longest end so far in its group
    reach = pd.Series(e).groupby(g).cummax().to_numpy()
    before = np.r_[-1, reach[:-1]]
    before[np.r_[True, g[1:] != g[:-1]]] = -1
    gain = np.clip(e - np.maximum(s, before), 0, None)
    return np.bincount(g, weights=gain, minlength=int(group.max()) + 1).astype(np.int64)


def _pairs(passages, text_of) -> pd.DataFrame:
    """Return speech_a, speech_b, shared_chars, pct_a, pct_b from the passages."""
    if passages.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    # one vectorised pass, not a Python loop over thousands of speech pairs
    group, keys = pd.MultiIndex.from_frame(passages[["speech_a", "speech_b"]]).factorize()
    ca = _covered_by(group, passages["start_a"].to_numpy(), passages["end_a"].to_numpy())
    cb = _covered_by(group, passages["start_b"].to_numpy(), passages["end_b"].to_numpy())
    sa, sb = keys.get_level_values(0), keys.get_level_values(1)
    pairs = pd.DataFrame({"speech_a": sa, "speech_b": sb, "shared_chars": ca})
    pairs["pct_a"] = ca / np.maximum([len(text_of[x]) for x in sa], 1)
    pairs["pct_b"] = cb / np.maximum([len(text_of[x]) for x in sb], 1)
    return pairs.sort_values(
        ["shared_chars", "speech_a", "speech_b"], ascending=[False, True, True], kind="mergesort"
    ).reset_index(drop=True)
