"""An inverted index of fingerprint hashes that follows a corpus as documents come and go.

The duplicate check and the text-reuse candidates both find pairs of documents through the
fingerprint hashes they share, leaving out hashes that too many documents hold. The index
holds one row (hash, slot, position) per hash and document, grouped by ascending hash. A slot
numbers a document for as long as the index holds it (corpus positions shift when a file is
inserted), so adding or removing a document rewrites only its own rows.

Between two documents that did not change, what their shared hashes give changes only where
a hash's number of documents (its df) crossed a bound that makes it usable or not; Update
names those hashes, so a caller recomputes only the pairs they touch.

Stored (write_state, read_state), the rows are written in full only now and then; each run
writes the rows of the documents changed since, so adding one document writes little.
"""

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# With more than this share of the documents added or removed since, recomputing every pair
# costs about as much as working out which ones changed, and the rows are stored in full again.
MAX_CHANGED = 0.1
SLOT_MASK = np.uint64(2**24 - 1)  # slots packed into free low hash bits for one plain sort


@dataclass
class FingerprintIndex:
    """Rows (hash, slot, position) grouped by ascending hash; one row per hash and document."""

    keys: list  # the document key held in each slot; None for a free slot
    order: np.ndarray  # the slots of the documents in corpus order
    hashes: np.ndarray
    slots: np.ndarray
    positions: np.ndarray | None  # where the hash first occurs in its document, if known
    stored_rows: str = ""  # the name of the IndexRows last stored in full ("": none)
    dead: np.ndarray | None = None  # bool per slot: its rows stored in full no longer count
    fresh: np.ndarray | None = None  # bool per slot: its rows are not among those stored

    @classmethod
    def build(cls, keys: list, prints: list, dtype, positions: bool) -> "FingerprintIndex":
        """Return the index of documents keys[i] whose prints[i] is (hashes, positions or None);
        positions: whether they hold positions, so that an empty index knows too."""
        slots = np.arange(len(keys), dtype=np.int32)
        rows = _sorted_rows(prints, slots, dtype, positions)
        return cls(list(keys), slots.astype(np.int64), *rows)

    def check(self) -> None:
        """Raise ValueError unless the parts fit together (a damaged or foreign state)."""
        n = len(self.hashes)
        if len(self.slots) != n or (self.positions is not None and len(self.positions) != n):
            raise ValueError("index columns of different lengths")
        if n and (int(self.slots.min()) < 0 or int(self.slots.max()) >= len(self.keys)):
            raise ValueError("index rows name unknown slots")
        if np.any(self.hashes[1:] < self.hashes[:-1]):
            raise ValueError("index hashes out of order")
        held = [slot for slot, key in enumerate(self.keys) if key is not None]
        if sorted(self.order.tolist()) != held:
            raise ValueError("index order does not list its documents")
        if self.stored_rows and not self.dead.shape == self.fresh.shape == (len(self.keys),):
            raise ValueError("index changes do not fit its slots")

    def position_of_slot(self) -> np.ndarray:
        """Return the corpus position of the document in each slot (-1 for a free slot)."""
        where = np.full(len(self.keys), -1, dtype=np.int64)
        where[self.order] = np.arange(len(self.order))
        return where

    def missing(self, keys) -> list[int]:
        """Return the corpus positions of the documents the index does not hold."""
        held = set(self.keys)
        return [i for i, key in enumerate(keys) if key not in held]

    def groups(self, hashes) -> tuple[np.ndarray, np.ndarray]:
        """Return the first row and the number of rows (its df) of each hash's group."""
        first = np.searchsorted(self.hashes, hashes, side="left")
        return first, np.searchsorted(self.hashes, hashes, side="right") - first

    def members(self, hashes) -> np.ndarray:
        """Return the slots of the documents holding any of the hashes."""
        first, size = self.groups(hashes)
        return np.unique(self.slots[_ranges(first, size)])

    def pairs(self, low: int, high: int, hot=None) -> tuple[np.ndarray, np.ndarray]:
        """Return the row numbers (i, j) of every two rows in a group of low..high rows; when
        hot (a bool per slot) is given, only the pairs with a row of a hot slot."""
        low = max(low, 2)
        if hot is None:
            first, size = self._all_groups()
            keep = (size >= low) & (size <= high)
            return _pairs_within(first[keep], size[keep])
        hot_row = hot[self.slots]
        rows = np.flatnonzero(hot_row)
        first, size = self.groups(self.hashes[rows])
        keep = (size >= low) & (size <= high)
        rows, first, size = rows[keep], first[keep], size[keep]
        i, j = np.repeat(rows, size), _ranges(first, size)
        # a pair of two hot rows is met from both of them: keep it once
        keep = (j != i) & (~hot_row[j] | (j > i))
        return i[keep], j[keep]

    def pairs_in(self, hashes) -> tuple[np.ndarray, np.ndarray]:
        """Return the row numbers (i, j) of every two rows in the groups of these hashes."""
        first, size = self.groups(hashes)
        return _pairs_within(first, size)

    def usable_rows(self, high: int, hot=None) -> np.ndarray:
        """Return per slot how many of its rows are in groups of at most high rows (for the
        hot slots only, when hot is given)."""
        if hot is None:
            size = self._all_groups()[1]
            usable = np.repeat(size <= high, size)
            return np.bincount(self.slots[usable], minlength=len(self.keys))
        rows = np.flatnonzero(hot[self.slots])
        size = self.groups(self.hashes[rows])[1]
        return np.bincount(self.slots[rows][size <= high], minlength=len(self.keys))

    def _all_groups(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the first row and the number of rows of every hash's group."""
        first = np.flatnonzero(np.r_[True, self.hashes[1:] != self.hashes[:-1]][: len(self.hashes)])
        return first, np.diff(np.r_[first, len(self.hashes)])

    def update(self, keys: list, prints: dict) -> "Update | None":
        """Return the Update that brings the index to documents keys (in corpus order), with
        prints {position: (hashes, positions or None)} of those missing(keys); None when the
        keys repeat or the documents kept are no longer in their old order."""
        slot_of = {key: slot for slot, key in enumerate(self.keys) if key is not None}
        now = np.array([slot_of.get(key, -1) for key in keys], dtype=np.int64)
        kept = now[now >= 0]
        if len(set(keys)) != len(keys) or np.any(np.diff(self.position_of_slot()[kept]) <= 0):
            return None
        removed = np.ones(len(self.keys), dtype=bool)
        removed[kept] = False
        free = np.flatnonzero(removed)
        removed &= np.array([key is not None for key in self.keys], dtype=bool)
        new = np.flatnonzero(now < 0)
        spare = np.arange(len(self.keys), len(self.keys) + len(new))
        now[new] = np.concatenate([free, spare])[: len(new)]
        n_slots = max([len(self.keys), *(now[new] + 1).tolist()])
        added = np.zeros(n_slots, dtype=bool)
        added[now[new]] = True
        stale = added.copy()
        stale[: len(removed)] |= removed
        keys_by_slot = [*self.keys, *[None] * (n_slots - len(self.keys))]
        for slot in np.flatnonzero(removed).tolist():
            keys_by_slot[slot] = None
        for i in new.tolist():
            keys_by_slot[int(now[i])] = keys[i]
        prints = [prints[i] for i in new.tolist()]
        fresh = _sorted_rows(prints, now[new], self.hashes.dtype, self.positions is not None)
        small = stale.sum() <= MAX_CHANGED * max(len(keys), 1)
        index, touched, before = self._merged(keys_by_slot, now, removed, fresh, small)
        if self.stored_rows:
            index.stored_rows = self.stored_rows
            index.dead, index.fresh = self._since_stored(removed, added)
        return Update(index, small, stale, added, touched, before, index.groups(touched)[1])

    def _since_stored(self, removed: np.ndarray, added: np.ndarray) -> tuple:
        """Return (dead, fresh) after removing and adding documents (bools per slot)."""
        dead, fresh = np.zeros(len(added), dtype=bool), np.zeros(len(added), dtype=bool)
        dead[: len(self.dead)], fresh[: len(self.fresh)] = self.dead, self.fresh
        # rows of a document added since they were stored are not among them: nothing to drop
        dead[: len(removed)] |= removed & ~fresh[: len(removed)]
        fresh[: len(removed)] &= ~removed
        return dead, fresh | added

    def _merged(self, keys_by_slot, order, removed, fresh, small: bool) -> tuple:
        """Return (the index without the removed slots' rows and with the fresh rows, the
        hashes of either and their df before, if the change is small)."""
        rows = [self.hashes, self.slots, self.positions]
        touched = fresh[0] if small else fresh[0][:0]
        if removed.any():
            drop = removed[self.slots]
            if small:
                touched = np.concatenate([self.hashes[drop], touched])
            rows = [None if r is None else r[~drop] for r in rows]
        touched = np.unique(touched)
        before = self.groups(touched)[1]
        return FingerprintIndex(keys_by_slot, order, *_inserted(rows, fresh)), touched, before

    def stored(self) -> tuple["IndexRows | None", "IndexChanges"]:
        """Return (the rows to store in full, or None while those stored still serve; the
        index as changes to them)."""
        columns = (self.hashes, self.slots, self.positions)
        limit = MAX_CHANGED * max(len(self.order), 1)
        if self.stored_rows and (self.dead | self.fresh).sum() <= limit:
            pick = self.fresh[self.slots]
            rows = IndexRows("", *[None if c is None else c[pick] for c in columns])
            since = (self.dead, self.fresh, rows)
            return None, IndexChanges(self.stored_rows, self.keys, self.order, *since)
        # a name for these rows, so that changes are never joined to rows of other documents
        name = hashlib.blake2b(repr(self.keys).encode(), digest_size=10).hexdigest()
        none = np.zeros(len(self.keys), dtype=bool)
        rows = IndexRows("", *[None if c is None else c[:0] for c in columns])
        return IndexRows(name, *columns), IndexChanges(
            name, self.keys, self.order, none, none, rows
        )

    @classmethod
    def from_stored(cls, rows: "IndexRows", changes: "IndexChanges") -> "FingerprintIndex":
        """Return the index stored as rows in full and changes to them."""
        if rows.name != changes.rows:
            raise ValueError("index changes made for other rows")
        columns = [rows.hashes, rows.slots, rows.positions]
        if changes.dead.any():
            keep = ~changes.dead[rows.slots]
            columns = [None if c is None else c[keep] for c in columns]
        fresh = changes.rows_since
        columns = _inserted(columns, (fresh.hashes, fresh.slots, fresh.positions))
        since = (rows.name, changes.dead, changes.fresh)
        return cls(changes.keys, changes.order, *columns, *since)


@dataclass
class Update:
    """An index brought up to date, and what changed on the way."""

    index: FingerprintIndex
    small: bool  # few enough documents changed to recompute only what they touch
    stale: np.ndarray  # bool per slot: its document was removed, or is new to the index
    added: np.ndarray  # bool per slot: its document is new to the index
    touched: np.ndarray  # the hashes whose df changed (if small)
    before: np.ndarray  # their df before the update
    after: np.ndarray  # and after it

    def crossed(self, low: int, high: int) -> np.ndarray:
        """Return the touched hashes usable (held by low..high documents) before or after the
        update, but not both."""
        was = (self.before >= low) & (self.before <= high)
        now = (self.after >= low) & (self.after <= high)
        return self.touched[was != now]


@dataclass
class IndexRows:
    """Rows of an index as stored, under a name that changes to them refer to."""

    name: str
    hashes: np.ndarray
    slots: np.ndarray
    positions: np.ndarray | None


@dataclass
class IndexChanges:
    """An index as stored on every run: its documents, and its rows as the stored IndexRows
    named rows without the rows of dead slots, plus the rows of fresh slots (rows_since)."""

    rows: str
    keys: list
    order: np.ndarray
    dead: np.ndarray
    fresh: np.ndarray
    rows_since: IndexRows


def write_state(path: Path, state, write) -> None:
    """Write a state holding a FingerprintIndex (state.index) to path with write(path, value):
    the index as changes to its rows, which go in full to a file of their own now and then."""
    rows, changes = state.index.stored()
    if rows is not None:
        write(_rows_path(path, rows.name), rows)
    write(path, dataclasses.replace(state, index=changes))
    if rows is not None:  # rows no state refers to any more
        for old in path.parent.glob(f"{path.stem}-rows-*{path.suffix}"):
            if old != _rows_path(path, rows.name):
                old.unlink(missing_ok=True)


def read_state(path: Path, read):
    """Return the state write_state wrote to path, read with read(path), its index joined to
    its rows again; None if either file is missing (or read returns None)."""
    state = read(path) if path.is_file() else None
    if state is None or not _rows_path(path, state.index.rows).is_file():
        return None
    rows = read(_rows_path(path, state.index.rows))
    if rows is None:
        return None
    return dataclasses.replace(state, index=FingerprintIndex.from_stored(rows, state.index))


def _rows_path(path: Path, name: str) -> Path:
    """Return the file of the rows named name of the state stored at path."""
    return path.with_name(f"{path.stem}-rows-{name}{path.suffix}")


def _inserted(columns: list, fresh) -> list:
    """Return the columns (hashes first, sorted) with the fresh rows merged in."""
    if not len(fresh[0]):
        return columns
    at = np.searchsorted(columns[0], fresh[0])
    return [None if c is None else np.insert(c, at, f) for c, f in zip(columns, fresh, strict=True)]


def _sorted_rows(prints: list, slots: np.ndarray, dtype, has_positions: bool) -> tuple:
    """Return (hashes, slots, positions) of the prints of slots sorted by hash: one row per hash
    and slot, at its first position; prints[i] = (hashes, positions or None) of slots[i]."""
    counts = [len(h) for h, _ in prints]
    hashes = np.concatenate([np.empty(0, dtype=dtype), *[h for h, _ in prints]])
    owner = np.repeat(np.asarray(slots, dtype=np.int32), counts)
    if not has_positions and dtype == np.uint64 and not np.any(hashes & SLOT_MASK):
        # one plain sort of (hash, slot) packed in a uint64 is several times quicker than an
        # argsort; hashes whose low bits are free (the duplicate check's) allow it
        packed = hashes | owner.astype(np.uint64)
        packed.sort()
        packed = packed[np.r_[True, packed[1:] != packed[:-1]][: len(packed)]]
        return packed & ~SLOT_MASK, (packed & SLOT_MASK).astype(np.int32), None
    # rows come in (slot, position) order: a stable sort by hash keeps each slot's first
    order = np.argsort(hashes, kind="stable")
    hashes, owner = hashes[order], owner[order]
    first = np.r_[True, (hashes[1:] != hashes[:-1]) | (owner[1:] != owner[:-1])][: len(hashes)]
    if not has_positions:
        return hashes[first], owner[first], None
    positions = np.concatenate([np.empty(0, dtype=np.int32), *[p for _, p in prints]])
    return hashes[first], owner[first], positions[order][first].astype(np.int32)


def _ranges(first: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Return the row numbers first[k] .. first[k] + size[k] - 1 of every k, concatenated."""
    return np.repeat(first - np.cumsum(size) + size, size) + np.arange(size.sum())


def _pairs_within(starts, sizes) -> tuple[np.ndarray, np.ndarray]:
    """Return index arrays (i, j), i < j, of every pair of rows inside each group of rows."""
    member = _ranges(starts, sizes)
    after = np.repeat(starts + sizes, sizes) - member - 1
    ia = np.repeat(member, after)
    ib = ia + 1 + np.arange(after.sum()) - np.repeat(np.cumsum(after) - after, after)
    return ia, ib
