"""The on-disk token cache: one file per distinct text, and a bundle file per large corpus.

Tokens are kept as int32 codes into each text's own list of words; a large corpus's tokens are
also kept together in one bundle file, so that a rerun reads one file instead of one per speech.
"""

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np

from jianghua import config
from jianghua.cache_files import atomic_write, text_hashes
from jianghua.segment import Recoder, Segmenter, Vocabulary, segment_coded

CACHE_FORMAT = b"JHTOK3\n"
# From this many distinct texts, a corpus's tokens are also kept in one bundle file: a rerun
# then reads one file instead of one per speech (10,000 speeches: 6 s down to about 1 s).
BUNDLE_MIN_TEXTS = 200
BUNDLE_FORMAT = b"JHBUN3\n"
# Texts not in the bundle (a few speeches added since) go to a small second file that names
# the bundle it extends: adding one speech to 10,000 then writes one speech's tokens, not
# the 130 MB bundle again. Past this share of the bundle's texts, the bundle is rewritten.
ADDED_SHARE = 0.1


class TokenCache:
    """One file per distinct text under cache_dir()/tokens/<engine key>/, written atomically.

    Each entry records the dictionary version it was segmented with. When the dictionary
    changes, an entry stays valid unless the text contains a word whose frequency changed.
    """

    def __init__(self, seg: Segmenter, root=None):
        self.seg = seg
        self.root = Path(root or config.cache_dir()) / "tokens" / seg.key
        self.current = seg.dictionary.freqs()
        self._changed = {seg.dictionary.version: frozenset()}

    def path(self, digest) -> Path:
        """Return the file of a text hash."""
        return self.root / digest[:2] / f"{digest}.tok"

    def get(self, digest, text):
        """Return (starts, words, codes) if a valid entry exists, else None."""
        path = self.path(digest)
        if not path.is_file():
            return None
        try:
            version, starts, words, codes = _read_entry(path)
        except ValueError as err:  # damaged on disk: say so, then segment the text again
            warnings.warn(f"{err}; segmenting that text again", stacklevel=2)
            return None
        if not self.valid(version, text):
            return None
        if version != self.seg.dictionary.version:
            self.put(digest, starts, words, codes)  # re-stamp: the next run takes the fast path
        return starts, words, codes

    def valid(self, version, text) -> bool:
        """Return whether tokens segmented with an older dictionary version still hold."""
        changed = self._changed_since(version)
        return changed is not None and not any(word in text for word in changed)

    def put(self, digest, starts, words, codes):
        """Write an entry atomically: each distinct word once, then int32 codes into them."""
        self._save_snapshot()
        # a batch's words can hold words this text lacks: keep only the text's own
        used, codes = np.unique(codes, return_inverse=True)
        words = [words[i] for i in used.tolist()]
        body = "\n".join(words).encode("utf-8")
        header = {
            "dict": self.seg.dictionary.version,
            "n": len(codes),
            "words": len(words),
            "bytes": len(body),
        }
        atomic_write(
            self.path(digest),
            CACHE_FORMAT
            + json.dumps(header).encode()
            + b"\n"
            + starts.astype("<i4").tobytes()
            + codes.astype("<i4").tobytes()
            + body,
        )

    def read_bundle(self):
        """Return the Bundle of the last large corpus, or None (absent, damaged, other dict)."""
        path = self.root / "bundle.tok"
        if not path.is_file():
            return None
        try:
            version, bundle = _read_bundle(path)
            added = self.root / "bundle-added.tok"
            if bundle is not None and added.is_file():
                extra = _read_bundle(added, base=bundle)[1]
                bundle = extra if extra is not None else bundle
        except (ValueError, KeyError, UnicodeDecodeError) as err:
            warnings.warn(f"{err}; reading the texts' own entries instead", stacklevel=3)
            return None
        return bundle if version == self.seg.dictionary.version else None

    def write_bundle(self, found: dict, vocab: Vocabulary, bundle=None) -> dict:
        """Keep the (starts, codes) of texts by hash on disk: the texts the bundle lacks in
        the added file when they are few, else all of them in a new bundle. Return the word
        bags (see word_bags) of the texts written."""
        version = self.seg.dictionary.version
        if bundle is not None and bundle.version == version:
            added = {d: v for d, v in found.items() if d not in bundle.own}
            if len(added) <= ADDED_SHARE * len(bundle.own):
                bags = word_bags(added)
                data = _bundle_bytes(version, added, bags, vocab, base=bundle)
                atomic_write(self.root / "bundle-added.tok", data)
                return bags
        bags = word_bags(found)
        atomic_write(self.root / "bundle.tok", _bundle_bytes(version, found, bags, vocab))
        # an added file names the bundle it extends: one left from the old bundle is ignored
        (self.root / "bundle-added.tok").unlink(missing_ok=True)
        return bags

    def _changed_since(self, version):
        """Return the words whose frequency differs from an older dictionary (None: unknown)."""
        if version not in self._changed:
            snapshot = self.root / "dicts" / f"{version}.json"
            if not snapshot.is_file():
                return None
            old = json.loads(snapshot.read_text(encoding="utf-8"))
            if old["target_total"] != self.seg.dictionary.target_total:
                self._changed[version] = None
            else:
                before, now = old["freqs"], self.current
                self._changed[version] = frozenset(
                    w for w in before.keys() | now.keys() if before.get(w) != now.get(w)
                )
        return self._changed[version]

    def _save_snapshot(self):
        """Keep the current dictionary's frequencies so later versions can be compared."""
        snapshot = self.root / "dicts" / f"{self.seg.dictionary.version}.json"
        if not snapshot.is_file():
            payload = {"target_total": self.seg.dictionary.target_total, "freqs": self.current}
            atomic_write(snapshot, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


class Bundle:
    """The tokens of many texts read from one bundle file: codes into one list of words, and
    each text's word bag."""

    def __init__(self, words, digests, parts, version=None, base=None):
        """parts: (sizes, starts, codes, bag sizes, bag codes, bag counts) of the texts."""
        self.words, self.version = words, version
        sizes, starts, codes, bag_sizes, bag_codes, bag_counts = parts
        k = 0 if base is None else len(base.parts)
        ends, bag_ends = np.cumsum(sizes).tolist(), np.cumsum(bag_sizes).tolist()
        spans = zip(digests, sizes.tolist(), ends, bag_sizes.tolist(), bag_ends, strict=True)
        rows = {d: (k, e - n, e, b - m, b) for d, n, e, m, b in spans}
        part = (starts, codes, bag_codes, bag_counts)
        if base is None:  # the bundle file itself: its texts, its words, its name
            self.own, self.n_own_words = frozenset(digests), len(words)
            self.key, self.parts, self.rows = _bundle_key(digests, sizes), [part], rows
        else:  # an added file read with its bundle
            self.own, self.n_own_words, self.key = base.own, base.n_own_words, base.key
            self.parts, self.rows = [*base.parts, part], {**base.rows, **rows}

    def part(self, digest) -> tuple:
        """Return (starts, codes) of one text."""
        k, lo, hi, _, _ = self.rows[digest]
        return self.parts[k][0][lo:hi], self.parts[k][1][lo:hi]

    def bag(self, digest) -> tuple:
        """Return (word codes, ascending; their counts) of one text."""
        k, _, _, lo, hi = self.rows[digest]
        return self.parts[k][2][lo:hi], self.parts[k][3][lo:hi]


def count_matrix(sizes, codes, width: int):
    """Return the texts x words sparse matrix of token counts (int64) of texts whose tokens'
    word codes are concatenated in codes, sizes[i] of them for text i."""
    from scipy import sparse

    ones = np.ones(len(codes), dtype=np.int64)
    # copied: summing duplicates sorts the indices in place, and callers keep their codes
    counts = sparse.csr_matrix(
        (ones, np.array(codes, copy=True), np.r_[0, np.cumsum(sizes)]), shape=(len(sizes), width)
    )
    counts.sum_duplicates()  # a text's tokens are contiguous: no global sort needed
    return counts


def word_bags(found: dict) -> dict:
    """Return {hash: (word codes, ascending; their counts)} of texts' (starts, codes)."""

    sizes = np.fromiter((len(c) for _, c in found.values()), np.int64, len(found))
    codes = np.concatenate([c for _, c in found.values()] or [np.zeros(0, np.int32)])
    # counted once, when the texts are written: each rerun then reads its counts ready-made
    bags = count_matrix(sizes, codes, int(codes.max()) + 1 if len(codes) else 0)
    ends = bags.indptr.tolist()
    return {
        d: (bags.indices[lo:hi], bags.data[lo:hi])
        for d, lo, hi in zip(found, ends[:-1], ends[1:], strict=True)
    }


def _bundle_key(digests, sizes) -> str:
    """Return a hash naming a bundle by its texts and their sizes."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(b"".join(bytes.fromhex(d) for d in digests))
    digest.update(np.asarray(sizes, dtype="<i8").tobytes())
    return digest.hexdigest()


def _bundle_bytes(version, found: dict, bags: dict, vocab: Vocabulary, base=None) -> bytes:
    """Return the bytes of a bundle file holding the (starts, codes) and word bags of texts
    by hash; with a base bundle, of an added file holding only the words the base lacks."""
    sizes = np.fromiter((len(c) for _, c in found.values()), np.int64, len(found))
    codes = np.concatenate([c for _, c in found.values()] or [np.zeros(0, np.int32)])
    starts = np.concatenate([s for s, _ in found.values()] or [np.zeros(0, np.int32)])
    bag_sizes = np.fromiter((len(bags[d][0]) for d in found), np.int64, len(found))
    bag_codes = np.concatenate([bags[d][0] for d in found] or [np.zeros(0, np.int32)])
    bag_counts = np.concatenate([bags[d][1] for d in found] or [np.zeros(0, np.int32)])
    words = vocab.words()
    if base is not None:
        words = words[base.n_own_words :]  # codes stay those of the bundle's words and these
    else:
        used = np.zeros(len(words), dtype=bool)
        used[codes] = True
        # words only seen in texts no longer in the corpus are dropped: the file stays small;
        # the renumbering keeps the words' order, so each bag stays ascending
        renumber = np.cumsum(used) - 1
        codes, bag_codes, words = renumber[codes], renumber[bag_codes], words[used]
    body = "\n".join(words.tolist()).encode("utf-8")
    header = {"dict": version, "texts": len(found), "n": len(codes), "words": len(words)}
    header.update(bags=len(bag_codes), bytes=len(body))
    header["base"] = base.key if base is not None else None
    return b"".join(
        [
            BUNDLE_FORMAT + json.dumps(header).encode() + b"\n",
            b"".join(bytes.fromhex(d) for d in found),
            sizes.astype("<i8").tobytes(),
            starts.astype("<i4").tobytes(),
            codes.astype("<i4").tobytes(),
            bag_sizes.astype("<i8").tobytes(),
            bag_codes.astype("<i4").tobytes(),
            bag_counts.astype("<i4").tobytes(),
            body,
        ]
    )


def _read_bundle(path, base=None) -> tuple:
    """Return (dict version, Bundle) of a bundle file; raise ValueError if it is damaged.

    With base, path is an added file: the Bundle holds both, or is None if the added file
    extends another bundle. A file of an older format gives (None, None).
    """
    data = path.read_bytes()
    if data.startswith(BUNDLE_FORMAT[:5]) and not data.startswith(BUNDLE_FORMAT):
        return None, None  # an older version's bundle: not damaged, just rewritten
    if not data.startswith(BUNDLE_FORMAT):
        raise ValueError(f"token bundle {path} is not in format {BUNDLE_FORMAT!r}")
    at = data.index(b"\n", len(BUNDLE_FORMAT)) + 1
    header = json.loads(data[len(BUNDLE_FORMAT) : at])
    if base is not None and (header["base"] != base.key or header["dict"] != base.version):
        return header["dict"], None
    t, n, n_bags, n_words = header["texts"], header["n"], header["bags"], header["words"]
    if len(data) != at + 32 * t + 8 * n + 8 * n_bags + header["bytes"]:
        raise ValueError(f"token bundle {path} is damaged")
    digests = [data[i : i + 16].hex() for i in range(at, at + 16 * t, 16)]
    arrays, offset = [], at + 16 * t
    for dtype, count in (("<i8", t), ("<i4", n), ("<i4", n), ("<i8", t), ("<i4", n_bags)):
        arrays.append(np.frombuffer(data, dtype, count, offset))
        offset += np.dtype(dtype).itemsize * count
    arrays.append(np.frombuffer(data, "<i4", n_bags, offset))
    sizes, starts, codes, bag_sizes, bag_codes, bag_counts = (
        a.astype(np.int32) if a.dtype.itemsize == 4 else a for a in arrays
    )
    words = data[offset + 4 * n_bags :].decode("utf-8").split("\n") if n_words else []
    if base is not None:
        words = list(base.words[: base.n_own_words]) + words
    if len(words) != n_words + (base.n_own_words if base else 0) or sizes.sum() != n:
        raise ValueError(f"token bundle {path} is damaged")
    if bag_sizes.sum() != n_bags or bag_counts.sum() != n:
        raise ValueError(f"token bundle {path} is damaged")
    if n and (codes.min() < 0 or codes.max() >= len(words) or bag_codes.max() >= len(words)):
        raise ValueError(f"token bundle {path} is damaged")
    parts = (sizes, starts, codes, bag_sizes, bag_codes, bag_counts)
    return header["dict"], Bundle(words, digests, parts, header["dict"], base)


def _read_entry(path):
    """Return (dict version, starts, vocabulary, codes) of a cache file; raise if damaged."""
    data = path.read_bytes()
    if not data.startswith(CACHE_FORMAT):
        raise ValueError(f"token cache entry {path} is not in format {CACHE_FORMAT!r}")
    head_end = data.index(b"\n", len(CACHE_FORMAT))
    header = json.loads(data[len(CACHE_FORMAT) : head_end])
    n, n_words, size = header.get("n", -1), header.get("words", -1), header.get("bytes", -1)
    if min(n, n_words, size) < 0 or len(data) != head_end + 1 + 8 * n + size:
        raise ValueError(f"token cache entry {path} is damaged")
    starts = np.frombuffer(data, dtype="<i4", count=n, offset=head_end + 1).astype(np.int32)
    codes = np.frombuffer(data, dtype="<i4", count=n, offset=head_end + 1 + 4 * n)
    vocabulary = data[head_end + 1 + 8 * n :].decode("utf-8").split("\n") if n_words else []
    if len(vocabulary) != n_words or (n and (codes.min() < 0 or codes.max() >= n_words)):
        raise ValueError(f"token cache entry {path} is damaged")
    return header.get("dict"), starts, vocabulary, codes


def segment_cached(seg: Segmenter, texts, workers=None, cache_root=None, digests=None):
    """Return ([(starts, codes)] per text, their Vocabulary, distinct texts segmented now,
    [word bag or None] per text: (word codes, ascending; counts) where the bundle holds it)."""
    cache = TokenCache(seg, cache_root)
    digests = digests or text_hashes(texts)
    distinct = dict(zip(digests, texts, strict=True))
    bundle = cache.read_bundle() if len(distinct) >= BUNDLE_MIN_TEXTS else None
    vocab = Vocabulary(bundle.words if bundle else ())
    recode, found, bags = Recoder(vocab), {}, {}
    for digest, text in distinct.items():
        if bundle and digest in bundle.rows:
            found[digest], bags[digest] = bundle.part(digest), bundle.bag(digest)
        elif (entry := cache.get(digest, text)) is not None:
            found[digest] = (entry[0], recode(*entry[1:]))
    todo = [d for d in distinct if d not in found]
    fresh = segment_coded(seg, [distinct[d] for d in todo], workers)
    for digest, (starts, words, codes) in zip(todo, fresh, strict=True):
        cache.put(digest, starts, words, codes)
        found[digest] = (starts, recode(words, codes))
    # a corpus the bundle already covers (a part of the last one) leaves the bundle as it is
    if len(distinct) >= BUNDLE_MIN_TEXTS and (bundle is None or found.keys() - bundle.rows.keys()):
        bags.update(cache.write_bundle(found, vocab, bundle))
    return [found[d] for d in digests], vocab, len(todo), [bags.get(d) for d in digests]
