"""Find speeches wholly or mostly contained in another one (copies, truncated copies).

Texts are reduced to their letters (whitespace and punctuation dropped) and cut into
character k-grams. A fixed, content-based sample of the k-grams (about one in `sample`) goes
into an inverted index, so only speeches that share k-grams are ever compared: this scales to
tens of thousands of speeches without looking at all pairs. Containment of the shorter speech
in the longer one is the share of its sampled k-grams found in the longer one.
"""

import numpy as np

K = 8
THRESHOLD = 0.8
SAMPLE = 4
MAX_DF = 50  # k-grams shared by more speeches than this are set phrases, not copying
MIN_SHINGLES = 5
# what is compared: Han characters (BMP and extensions), ASCII digits and letters
_LETTER_RANGES = [
    (0x30, 0x39),
    (0x41, 0x5A),
    (0x61, 0x7A),
    (0x3400, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3134F),
]
_BASE = np.uint64(1_000_003)
_DOC_MASK = np.uint64(2**24 - 1)  # the low hash bits that hold the doc number when sorting


def letters(text: str) -> np.ndarray:
    """Return the code points of a text's Chinese characters, ASCII letters and digits."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    keep = np.zeros(len(codes), dtype=bool)
    for low, high in _LETTER_RANGES:
        keep |= (codes >= low) & (codes <= high)
    return codes[keep].astype(np.uint64)


def fingerprints(codes: np.ndarray, k: int = K, sample: int = SAMPLE) -> np.ndarray:
    """Return the sorted unique sampled k-gram hashes of a letters() array."""
    if len(codes) < k:
        return np.empty(0, dtype=np.uint64)
    with np.errstate(over="ignore"):  # polynomial hash modulo 2**64, deterministic
        # hashes of 1, 2, 4 … chars, each from two of half the width: log2(k) passes
        blocks = {1: codes}
        width = 1
        while 2 * width <= k:
            half = blocks[width]
            blocks[2 * width] = half[: len(half) - width] * _BASE ** np.uint64(width) + half[width:]
            width *= 2
        n, done = len(codes) - k + 1, 0
        hashes = np.zeros(n, dtype=np.uint64)
        for width in sorted(blocks, reverse=True):
            if done + width <= k:
                hashes = hashes * _BASE ** np.uint64(width) + blocks[width][done : done + n]
                done += width
        hashes ^= hashes >> np.uint64(29)
        hashes *= np.uint64(0xBF58476D1CE4E5B9)
        hashes ^= hashes >> np.uint64(32)
    if sample > 1:
        hashes = hashes[hashes % np.uint64(sample) == 0]
    return np.unique(hashes)


def text_prints(text: str, k: int = K, sample: int = SAMPLE) -> tuple:
    """Return (number of letters, sorted sampled k-gram hashes) of one text."""
    codes = letters(text)
    return len(codes), fingerprints(codes, k, sample)


def find_duplicates(
    texts,
    threshold: float = THRESHOLD,
    k: int = K,
    sample: int = SAMPLE,
    max_df: int = MAX_DF,
    prints=None,
) -> dict:
    """Return {id: id of the longer/earlier speech it is (mostly) contained in} for duplicates.

    prints: {id: text_prints(text, k, sample)} already computed (e.g. kept from a last run).
    """
    ids = list(texts.keys())
    prints = prints or {}
    found = [prints[i] if i in prints else text_prints(texts[i], k, sample) for i in ids]
    length = np.array([n for n, _ in found], dtype=np.int64)
    a, b, count, sizes = _shared_counts([p for _, p in found], max_df)
    # the shorter one (the later one on a tie) is the copy
    a_is_copy = (length[a] < length[b]) | ((length[a] == length[b]) & (a > b))
    copy, original = np.where(a_is_copy, a, b), np.where(a_is_copy, b, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        containment = count / sizes[copy]
    # millions of pairs share a k-gram or two: only the few that pass go through Python
    passing = np.flatnonzero((sizes[copy] >= MIN_SHINGLES) & (containment >= threshold))
    best: dict[int, tuple] = {}
    for i in passing.tolist():
        c, o = int(copy[i]), int(original[i])
        rank = (float(containment[i]), int(length[o]), -o)
        if rank > best.get(c, (0.0, 0, 0))[:3]:
            best[c] = (*rank, o)
    parent = {c: entry[3] for c, entry in best.items()}
    return {ids[c]: ids[_root(c, parent)] for c in sorted(parent)}


def _shared_counts(prints: list, max_df: int) -> tuple:
    """Return (doc a, doc b, shared k-grams) arrays for pairs sharing any, and usable k-grams
    per doc, via an inverted index."""
    empty = np.empty(0, dtype=np.int64)
    if not prints:
        return empty, empty, empty, empty
    hashes, docs = _sorted_index(prints)
    bounds = np.flatnonzero(np.diff(hashes)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(hashes)]])
    df = ends - starts
    usable = df <= max_df
    sizes = np.bincount(docs[np.repeat(usable, df)], minlength=len(prints))
    keys = [_pair_keys(docs, starts, df, g, len(prints)) for g in range(2, max_df + 1)]
    keys = np.concatenate([empty, *keys])
    pairs, counts = np.unique(keys, return_counts=True)
    a, b = np.divmod(pairs, len(prints))
    return a, b, counts, sizes


def _sorted_index(prints: list) -> tuple:
    """Return (hash, doc) of every fingerprint, sorted by hash then doc."""
    hashes = np.concatenate(prints)
    docs = np.concatenate([np.full(len(p), i, dtype=np.int64) for i, p in enumerate(prints)])
    if len(prints) > _DOC_MASK:
        order = np.argsort(hashes, kind="stable")
        return hashes[order], docs[order]
    # one plain sort of (top 40 bits of the hash, doc) packed in a uint64 is several times
    # quicker than an argsort; a 40-bit hash still tells millions of k-grams apart
    packed = (hashes & ~_DOC_MASK) | docs.astype(np.uint64)
    packed.sort()
    packed = packed[np.r_[True, packed[1:] != packed[:-1]][: len(packed)]]  # now one k-gram
    return packed & ~_DOC_MASK, (packed & _DOC_MASK).astype(np.int64)


def _pair_keys(docs, starts, df, size: int, n_docs: int) -> np.ndarray:
    """Return a*n_docs+b for every pair of docs (a < b) sharing a k-gram held by `size` docs."""
    first = starts[df == size]
    if not len(first):
        return np.empty(0, dtype=np.int64)
    groups = docs[first[:, None] + np.arange(size)]  # one row of doc numbers per k-gram
    x, y = np.triu_indices(size, k=1)
    low = np.minimum(groups[:, x], groups[:, y])
    high = np.maximum(groups[:, x], groups[:, y])
    return (low * n_docs + high).ravel()


def _root(i: int, parent: dict) -> int:
    """Return the original at the end of a chain of duplicates."""
    seen = {i}
    while i in parent and parent[i] not in seen:
        i = parent[i]
        seen.add(i)
    return i
