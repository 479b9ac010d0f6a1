"""Find speeches wholly or mostly contained in another one (copies, truncated copies).

Texts are reduced to their letters (whitespace and punctuation dropped) and cut into
character k-grams. A fixed, content-based sample of the k-grams (about one in `sample`) goes
into an inverted index, so only speeches that share k-grams are ever compared: this scales to
tens of thousands of speeches without looking at all pairs. Containment of the shorter speech
in the longer one is the share of its sampled k-grams found in the longer one.

update_duplicates keeps the index and the pairs found for the next run (see
jianghua.fingerprint_index), so adding one speech to ten thousand compares what it changes.
"""

from dataclasses import dataclass

import numpy as np

from jianghua.fingerprint_index import SLOT_MASK, FingerprintIndex

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


@dataclass
class DuplicateIndex:
    """What the duplicate check keeps for its next run: the k-gram index, each slot's letters
    and usable k-grams, and the pairs that passed (rows of slot a, slot b, shared k-grams)."""

    settings: tuple
    index: FingerprintIndex
    lengths: np.ndarray
    sizes: np.ndarray
    passing: np.ndarray

    def check(self) -> None:
        """Raise ValueError unless the parts fit together (a damaged or foreign state)."""
        self.index.check()
        n_slots = len(self.index.keys)
        if self.index.hashes.dtype != np.uint64 or len(self.lengths) != n_slots:
            raise ValueError("duplicate index of another kind")
        if len(self.sizes) != n_slots or self.passing.ndim != 2 or self.passing.shape[1] != 3:
            raise ValueError("duplicate index parts of different sizes")
        pairs = self.passing[:, :2]
        if len(pairs) and (pairs.min() < 0 or pairs.max() >= n_slots):
            raise ValueError("duplicate pairs name unknown slots")


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
    state = _from_prints(ids, found, (k, sample, max_df, threshold, MIN_SHINGLES))
    return _answer(ids, state)


def update_duplicates(
    texts,
    keys: list,
    kept=None,
    threshold: float = THRESHOLD,
    k: int = K,
    sample: int = SAMPLE,
    max_df: int = MAX_DF,
) -> tuple:
    """Return (find_duplicates' answer, the DuplicateIndex to keep, True if only what changed
    since the kept DuplicateIndex was compared).

    keys: a stable key per text (its id and a hash of it), in the order of texts.
    """
    ids = list(texts.keys())
    if len(ids) > SLOT_MASK:  # compared on whole hashes: not what an index holds
        return find_duplicates(texts, threshold, k, sample, max_df), None, False
    settings = (k, sample, max_df, threshold, MIN_SHINGLES)
    update = None
    if isinstance(kept, DuplicateIndex) and kept.settings == settings:
        found = {i: text_prints(texts[ids[i]], k, sample) for i in kept.index.missing(keys)}
        prints = {i: (_indexed(p, len(ids)), None) for i, (_, p) in found.items()}
        update = kept.index.update(keys, prints)
    if update is None:
        found = [text_prints(texts[i], k, sample) for i in ids]
        state = _from_prints(keys, found, settings)
        return _answer(ids, state), state, False
    if not update.stale.any():
        return _answer(ids, kept), kept, True
    lengths = np.zeros(len(update.index.keys), dtype=np.int64)
    lengths[: len(kept.lengths)] = kept.lengths
    for i, (n, _) in found.items():
        lengths[update.index.order[i]] = n
    if not update.small:
        state = _paired(update.index, lengths, settings)
        return _answer(ids, state), state, False
    state = _repaired(kept, update, lengths)
    return _answer(ids, state), state, True


def _indexed(hashes: np.ndarray, n_docs: int) -> np.ndarray:
    """Return the hashes as the index compares them: their top 40 bits, below 2**24 docs."""
    # the low bits then hold the doc in one plain sort; a 40-bit hash still tells millions of
    # k-grams apart
    return hashes & ~SLOT_MASK if n_docs <= SLOT_MASK else hashes


def _from_prints(keys: list, found: list, settings: tuple) -> DuplicateIndex:
    """Return the DuplicateIndex of texts with found[i] = text_prints of text i."""
    prints = [(_indexed(p, len(found)), None) for _, p in found]
    index = FingerprintIndex.build(keys, prints, np.uint64, positions=False)
    return _paired(index, np.array([n for n, _ in found], dtype=np.int64), settings)


def _paired(index: FingerprintIndex, lengths: np.ndarray, settings: tuple) -> DuplicateIndex:
    """Return the DuplicateIndex with every pair of docs compared."""
    max_df, threshold = settings[2], settings[3]
    sizes = index.usable_rows(max_df)
    a, b, count = _pair_counts(index, *index.pairs(2, max_df))
    passing = _passing(a, b, count, lengths, sizes, index.position_of_slot(), threshold)
    return DuplicateIndex(settings, index, lengths, sizes, passing)


def _repaired(kept: DuplicateIndex, update, lengths: np.ndarray) -> DuplicateIndex:
    """Return the DuplicateIndex after an update, comparing only the docs it may change: new
    docs, and docs holding a k-gram that crossed max_df (their usable k-grams changed)."""
    max_df, threshold = kept.settings[2], kept.settings[3]
    index = update.index
    hot = update.added.copy()
    hot[index.members(update.crossed(0, max_df))] = True
    sizes = np.zeros(len(index.keys), dtype=np.int64)
    sizes[: len(kept.sizes)] = kept.sizes
    sizes[hot] = index.usable_rows(max_df, hot)[hot]
    a, b, count = _pair_counts(index, *index.pairs(2, max_df, hot))
    fresh = _passing(a, b, count, lengths, sizes, index.position_of_slot(), threshold)
    old = kept.passing
    dirty = update.stale | hot
    old = old[~(dirty[old[:, 0]] | dirty[old[:, 1]])]
    return DuplicateIndex(kept.settings, index, lengths, sizes, np.concatenate([old, fresh]))


def _pair_counts(index: FingerprintIndex, i: np.ndarray, j: np.ndarray) -> tuple:
    """Return (slot a, slot b, shared k-grams) per pair of slots met in rows i, j (a < b)."""
    n_slots = len(index.keys)
    a, b = index.slots[i], index.slots[j]
    keys = np.minimum(a, b).astype(np.int64) * n_slots + np.maximum(a, b)
    pairs, counts = np.unique(keys, return_counts=True)
    a, b = np.divmod(pairs, n_slots)
    return a, b, counts


def _oriented(a, b, count, lengths, sizes, position) -> tuple:
    """Return (copy, original, containment of the copy) per pair of slots."""
    # the shorter one (the later one on a tie) is the copy
    length_a, length_b = lengths[a], lengths[b]
    a_is_copy = length_a < length_b
    tie = np.flatnonzero(length_a == length_b)
    a_is_copy[tie] = position[a[tie]] > position[b[tie]]
    copy, original = np.where(a_is_copy, a, b), np.where(a_is_copy, b, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        return copy, original, count / sizes[copy]


def _passing(a, b, count, lengths, sizes, position, threshold) -> np.ndarray:
    """Return the rows (slot a, slot b, shared k-grams) of the pairs where one is a copy."""
    copy, _, containment = _oriented(a, b, count, lengths, sizes, position)
    # millions of pairs share a k-gram or two: only the few that pass go on
    keep = (sizes[copy] >= MIN_SHINGLES) & (containment >= threshold)
    return np.stack([a[keep], b[keep], count[keep]], axis=1).astype(np.int64)


def _answer(ids: list, state: DuplicateIndex) -> dict:
    """Return {id: id of its original} of the copies among the passing pairs."""
    position = state.index.position_of_slot()
    a, b, count = state.passing.T
    copy, original, containment = _oriented(a, b, count, state.lengths, state.sizes, position)
    best: dict[int, tuple] = {}
    for c, o, share in zip(
        position[copy].tolist(), original.tolist(), containment.tolist(), strict=True
    ):
        rank = (float(share), int(state.lengths[o]), -int(position[o]))
        if rank > best.get(c, (0.0, 0, 0))[:3]:
            best[c] = (*rank, int(position[o]))
    parent = {c: entry[3] for c, entry in best.items()}
    return {ids[c]: ids[_root(c, parent)] for c in sorted(parent)}


def _root(i: int, parent: dict) -> int:
    """Return the original at the end of a chain of duplicates."""
    seen = {i}
    while i in parent and parent[i] not in seen:
        i = parent[i]
        seen.add(i)
    return i
