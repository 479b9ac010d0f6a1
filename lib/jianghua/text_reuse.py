"""Text reuse: passages that speeches share, word for word or nearly.

Candidate pairs come from winnowed character q-gram fingerprints (an inverted index, so not
every pair of speeches is compared); exact matches are grown from shared fingerprints and
chained across small gaps. Boilerplate (the stop passages) is masked before matching.
"""

import dataclasses
import hashlib
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jianghua import config
from jianghua.cache_files import text_hashes
from jianghua.fingerprint_index import FingerprintIndex, read_state, write_state
from jianghua.memo import ResultCacheWarning, memoized, part_store, read_parts, write_parts
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


def _seeded(index: FingerprintIndex, i, j, min_shared: int, reach: int):
    """Yield (doc_a, doc_b, pos_a, pos_b) for document pairs, doc_a before doc_b in the corpus,
    whose shared fingerprints (index rows i, j) hold min_shared that lie close together on one
    alignment diagonal."""
    where = index.position_of_slot()
    da, db = where[index.slots[i]], where[index.slots[j]]
    pa, pb = index.positions[i], index.positions[j]
    swap = da > db
    if swap.any():  # reused slots and inserted rows: a hash's rows are not in corpus order
        da, db, pa, pb = (np.where(swap, y, x) for x, y in ((da, db), (db, da), (pa, pb), (pb, pa)))
    n = len(index.order)
    key, pa, pb = _colinear(da * n + db, pa, pb, reach)
    bounds = np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        if hi - lo >= min_shared:
            da, db = divmod(int(key[lo]), n)
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
    path = part_store(corpus, reuse, (settings, patterns, max_docs, min_shared))
    # a speech is known by its id and text, not its corpus position, which a new file shifts
    keys = list(zip(ids, text_hashes(texts), strict=True)) if path else ids
    found = _found(_Docs(texts, pattern), keys, path, settings, (max_docs, min_shared))
    passages = _passages(found, ids, texts)
    text_of = dict(zip(ids, texts, strict=True))
    pairs = _pairs(passages, text_of)
    # how much work the index saved: speech pairs aligned out of all possible pairs
    pairs.attrs.update(candidate_pairs=len(found.a), possible_pairs=len(ids) * (len(ids) - 1) // 2)
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


@dataclass
class _ReuseIndex:
    """What reuse keeps for its next run: the fingerprint index and the candidate pairs (slots
    a, b with a first in the corpus; a digest of their seeds), with the passage rows found in
    each (owner: the candidate of each row, in ascending order)."""

    index: FingerprintIndex
    a: np.ndarray
    b: np.ndarray
    seeds: np.ndarray
    owner: np.ndarray
    spans: np.ndarray
    similarity: np.ndarray

    def check(self) -> None:
        """Raise ValueError unless the parts fit together (a damaged or foreign state)."""
        self.index.check()
        n, rows = len(self.a), len(self.owner)
        if self.index.positions is None or self.index.hashes.dtype != np.int64:
            raise ValueError("reuse index of another kind")
        if len(self.b) != n or self.seeds.shape != (n, 2) or self.spans.shape != (rows, 4):
            raise ValueError("reuse candidates of different lengths")
        if len(self.similarity) != rows or np.any(np.diff(self.owner) < 0):
            raise ValueError("reuse passages do not fit their candidates")
        pairs = np.r_[self.a, self.b]
        if n and (pairs.min() < 0 or pairs.max() >= len(self.index.keys)):
            raise ValueError("reuse candidates name unknown slots")
        if rows and (self.owner[0] < 0 or self.owner[-1] >= n):
            raise ValueError("reuse passages name unknown candidates")

    def subset(self, keep: np.ndarray) -> "_ReuseIndex":
        """Return the state with only the candidates where keep is True, and their rows."""
        rows = keep[self.owner]
        owner = (np.cumsum(keep) - 1)[self.owner[rows]]
        return dataclasses.replace(
            self,
            a=self.a[keep],
            b=self.b[keep],
            seeds=self.seeds[keep],
            owner=owner,
            spans=self.spans[rows],
            similarity=self.similarity[rows],
        )


def _found(docs, keys: list, path, settings: tuple, limits: tuple) -> _ReuseIndex:
    """Return the candidate pairs and their passages, working out again only what changed
    since the state kept in path (None: nothing kept, nothing stored)."""
    q, window, max_gap = settings[:3]
    max_docs, min_shared = limits
    kept, update = _kept(path), None
    if kept is not None:
        missing = kept.index.missing(keys)
        prints = {i: _winnowed(docs.norm(i), q, window) for i in _progress_fingerprints(missing)}
        update = kept.index.update(keys, prints)
        if update is not None and not update.stale.any():
            return kept
    stay = reusable = None
    if update is None:
        every = _progress_fingerprints(range(len(keys)))
        index = FingerprintIndex.build(
            keys, [_winnowed(docs.norm(i), q, window) for i in every], np.int64, positions=True
        )
        i, j = index.pairs(2, max_docs)
    else:
        index, n_slots = update.index, len(update.index.keys)
        stale = update.stale[kept.a] | update.stale[kept.b]
        if update.small:
            i, j, crossing = _dirty_rows(update, max_docs)
            redo = np.isin(_pair_key(kept.a, kept.b, n_slots), crossing) & ~stale
            stay, reusable = kept.subset(~stale & ~redo), kept.subset(redo)
        else:  # pairs whose seeds did not change still keep their passages
            i, j = index.pairs(2, max_docs)
            reusable = kept.subset(~stale)
    seeded = _seeded(index, i, j, min_shared, reach=max_gap + window + q)
    found = _aligned(docs, index, seeded, reusable, settings)
    if stay is not None:
        found = _joined(stay, found)
    if path is not None:
        write_state(path, found, write_parts)
    return found


def _kept(path) -> _ReuseIndex | None:
    """Return the state reuse kept in path on its last run; None if none (or it is damaged)."""
    if path is None:
        return None
    try:
        kept = read_state(path, lambda part: read_parts(part, None))
        if kept is None:
            return None
        kept.check()
    except Exception as err:  # damaged, or of another version: everything is found again
        warnings.warn(
            f"result cache entry {path} is damaged ({err}); computing it again",
            ResultCacheWarning,
            stacklevel=5,
        )
        return None
    return kept


def _pair_key(a: np.ndarray, b: np.ndarray, n_slots: int) -> np.ndarray:
    """Return one number per unordered pair of slots."""
    a, b = a.astype(np.int64), b.astype(np.int64)
    return np.minimum(a, b) * n_slots + np.maximum(a, b)


def _dirty_rows(update, max_docs: int) -> tuple:
    """Return the index rows (i, j) of the document pairs an update may change, and the
    _pair_key of those sharing a fingerprint whose df crossed max_docs.

    Only two things change the seeds of a pair: a new document in it, or a shared fingerprint
    that became usable or unusable for every pair of the documents holding it.
    """
    index, n_slots = update.index, len(update.index.keys)
    ci, cj = index.pairs_in(update.crossed(2, max_docs))
    crossing = np.unique(_pair_key(index.slots[ci], index.slots[cj], n_slots))
    hot = update.added.copy()
    hot[index.slots[ci]] = True
    hot[index.slots[cj]] = True
    i, j = index.pairs(2, max_docs, hot)
    a, b = index.slots[i], index.slots[j]
    dirty = update.added[a] | update.added[b] | np.isin(_pair_key(a, b, n_slots), crossing)
    return i[dirty], j[dirty], crossing


def _aligned(docs, index, seeded, reusable, settings) -> _ReuseIndex:
    """Return the state of the seeded candidate pairs, aligning those whose seeds are not those
    of the same pair in reusable (a _ReuseIndex or None)."""
    known = {}
    if reusable is not None:
        ends = np.searchsorted(reusable.owner, np.arange(len(reusable.a) + 1))
        for k, (a, b) in enumerate(zip(reusable.a.tolist(), reusable.b.tolist(), strict=True)):
            known[a, b] = (reusable.seeds[k].tobytes(), range(ends[k], ends[k + 1]))
    slots, seeds, owner, spans, similarity = [], [], [], [], []
    for da, db, pos_a, pos_b in seeded:
        pair = (int(index.order[da]), int(index.order[db]))
        digest = hashlib.blake2b(pos_a.tobytes() + pos_b.tobytes(), digest_size=16).digest()
        if pair in known and known[pair][0] == digest:
            rows = known[pair][1]
            spans += reusable.spans[rows].tolist()
            similarity += reusable.similarity[rows].tolist()
        else:
            rows = _pair_passages(docs, da, db, (pos_a, pos_b), settings)
            spans += [[r["start_a"], r["end_a"], r["start_b"], r["end_b"]] for r in rows]
            similarity += [r["similarity"] for r in rows]
        owner += [len(slots)] * len(rows)
        slots.append(pair)
        seeds.append(digest)
    slots = np.array(slots, dtype=np.int64).reshape(-1, 2)
    return _ReuseIndex(
        index,
        slots[:, 0],
        slots[:, 1],
        np.frombuffer(b"".join(seeds), dtype=np.uint64).reshape(-1, 2),
        np.array(owner, dtype=np.int64),
        np.array(spans, dtype=np.int64).reshape(-1, 4),
        np.array(similarity, dtype=np.float64),
    )


def _joined(first: _ReuseIndex, second: _ReuseIndex) -> _ReuseIndex:
    """Return the state holding the candidates of both (the index of the second)."""
    return _ReuseIndex(
        second.index,
        np.r_[first.a, second.a],
        np.r_[first.b, second.b],
        np.concatenate([first.seeds, second.seeds]),
        np.r_[first.owner, second.owner + len(first.a)],
        np.concatenate([first.spans, second.spans]),
        np.r_[first.similarity, second.similarity],
    )


def _passages(found: _ReuseIndex, ids: list, texts: list) -> pd.DataFrame:
    """Return the passages table: rows by candidate pair in corpus order, as found in each."""
    where = found.index.position_of_slot()
    da, db = where[found.a], where[found.b]
    rank = np.empty(len(da), dtype=np.int64)
    rank[np.lexsort((db, da))] = np.arange(len(da))
    rows = np.argsort(rank[found.owner], kind="stable")
    ra, rb = da[found.owner[rows]].tolist(), db[found.owner[rows]].tolist()
    spans, similarity = found.spans[rows].tolist(), found.similarity[rows].tolist()
    # rows of dicts, as pandas infers each column's type from them
    table = [
        {
            "speech_a": ids[a],
            "start_a": sa,
            "end_a": ea,
            "speech_b": ids[b],
            "start_b": sb,
            "end_b": eb,
            "text_a": texts[a][sa:ea],
            "text_b": texts[b][sb:eb],
            "similarity": sim,
        }
        for a, b, (sa, ea, sb, eb), sim in zip(ra, rb, spans, similarity, strict=True)
    ]
    passages = pd.DataFrame(table, columns=PASSAGE_COLUMNS)
    for col in ("start_a", "end_a", "start_b", "end_b"):
        passages[col] = passages[col].astype(np.int64)
    passages["similarity"] = passages["similarity"].astype(float)
    return passages


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
