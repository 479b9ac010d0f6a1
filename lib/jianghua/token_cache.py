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
BUNDLE_FORMAT = b"JHBUN2\n"
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
            if added.is_file():
                extra = _read_bundle(added, base=bundle)[1]
                bundle = extra if extra is not None else bundle
        except (ValueError, KeyError, UnicodeDecodeError) as err:
            warnings.warn(f"{err}; reading the texts' own entries instead", stacklevel=3)
            return None
        return bundle if version == self.seg.dictionary.version else None

    def write_bundle(self, found: dict, vocab: Vocabulary, bundle=None):
        """Keep the (starts, codes) of texts by hash on disk: the texts the bundle lacks in
        the added file when they are few, else all of them in a new bundle."""
        version = self.seg.dictionary.version
        if bundle is not None and bundle.version == version:
            added = {d: v for d, v in found.items() if d not in bundle.own}
            if len(added) <= ADDED_SHARE * len(bundle.own):
                data = _bundle_bytes(version, added, vocab, base=bundle)
                atomic_write(self.root / "bundle-added.tok", data)
                return
        atomic_write(self.root / "bundle.tok", _bundle_bytes(version, found, vocab))
        # an added file names the bundle it extends: one left from the old bundle is ignored
        (self.root / "bundle-added.tok").unlink(missing_ok=True)

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
    """The tokens of many texts read from one bundle file: codes into one list of words."""

    def __init__(self, words, digests, sizes, starts, codes, version=None, base=None):
        self.words, self.version = words, version
        ends = np.cumsum(sizes).tolist()
        rows = {d: (0, e - n, e) for d, n, e in zip(digests, sizes.tolist(), ends, strict=True)}
        if base is None:  # the bundle file itself: its texts, its words, its name
            self.own, self.n_own_words = frozenset(digests), len(words)
            self.key, self.parts, self.rows = _bundle_key(digests, sizes), [(starts, codes)], rows
        else:  # an added file read with its bundle
            self.own, self.n_own_words, self.key = base.own, base.n_own_words, base.key
            self.parts = [*base.parts, (starts, codes)]
            self.rows = {**base.rows, **{d: (1, lo, hi) for d, (_, lo, hi) in rows.items()}}

    def part(self, digest) -> tuple:
        """Return (starts, codes) of one text."""
        k, lo, hi = self.rows[digest]
        starts, codes = self.parts[k]
        return starts[lo:hi], codes[lo:hi]


def _bundle_key(digests, sizes) -> str:
    """Return a hash naming a bundle by its texts and their sizes."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(b"".join(bytes.fromhex(d) for d in digests))
    digest.update(np.asarray(sizes, dtype="<i8").tobytes())
    return digest.hexdigest()


def _bundle_bytes(version, found: dict, vocab: Vocabulary, base=None) -> bytes:
    """Return the bytes of a bundle file holding the (starts, codes) of texts by hash; with a
    base bundle, of an added file holding only the words the base lacks."""
    sizes = np.fromiter((len(c) for _, c in found.values()), np.int64, len(found))
    codes = np.concatenate([c for _, c in found.values()] or [np.zeros(0, np.int32)])
    starts = np.concatenate([s for s, _ in found.values()] or [np.zeros(0, np.int32)])
    words = vocab.words()
    if base is not None:
        words = words[base.n_own_words :]  # codes stay those of the bundle's words and these
    else:
        used = np.zeros(len(words), dtype=bool)
        used[codes] = True
        # words only seen in texts no longer in the corpus are dropped: the file stays small
        codes = (np.cumsum(used) - 1)[codes]
        words = words[used]
    body = "\n".join(words.tolist()).encode("utf-8")
    header = {"dict": version, "texts": len(found), "n": len(codes), "words": len(words)}
    header.update(bytes=len(body), base=base.key if base is not None else None)
    return b"".join(
        [
            BUNDLE_FORMAT + json.dumps(header).encode() + b"\n",
            b"".join(bytes.fromhex(d) for d in found),
            sizes.astype("<i8").tobytes(),
            starts.astype("<i4").tobytes(),
            codes.astype("<i4").tobytes(),
            body,
        ]
    )


def _read_bundle(path, base=None) -> tuple:
    """Return (dict version, Bundle) of a bundle file; raise ValueError if it is damaged.

    With base, path is an added file: the Bundle holds both, or is None if the added file
    extends another bundle.
    """
    data = path.read_bytes()
    if not data.startswith(BUNDLE_FORMAT):
        raise ValueError(f"token bundle {path} is not in format {BUNDLE_FORMAT!r}")
    at = data.index(b"\n", len(BUNDLE_FORMAT)) + 1
    header = json.loads(data[len(BUNDLE_FORMAT) : at])
    if base is not None and (header["base"] != base.key or header["dict"] != base.version):
        return header["dict"], None
    t, n, n_words = header["texts"], header["n"], header["words"]
    if len(data) != at + 24 * t + 8 * n + header["bytes"]:
        raise ValueError(f"token bundle {path} is damaged")
    digests = [data[i : i + 16].hex() for i in range(at, at + 16 * t, 16)]
    sizes = np.frombuffer(data, "<i8", t, at + 16 * t)
    starts = np.frombuffer(data, "<i4", n, at + 24 * t).astype(np.int32)
    codes = np.frombuffer(data, "<i4", n, at + 24 * t + 4 * n).astype(np.int32)
    words = data[at + 24 * t + 8 * n :].decode("utf-8").split("\n") if n_words else []
    if base is not None:
        words = list(base.words[: base.n_own_words]) + words
    if len(words) != n_words + (base.n_own_words if base else 0) or sizes.sum() != n:
        raise ValueError(f"token bundle {path} is damaged")
    if n and (codes.min() < 0 or codes.max() >= len(words)):
        raise ValueError(f"token bundle {path} is damaged")
    return header["dict"], Bundle(words, digests, sizes, starts, codes, header["dict"], base)


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
    """Return ([(starts, codes)] per text, their Vocabulary, distinct texts segmented now)."""
    cache = TokenCache(seg, cache_root)
    digests = digests or text_hashes(texts)
    distinct = dict(zip(digests, texts, strict=True))
    bundle = cache.read_bundle() if len(distinct) >= BUNDLE_MIN_TEXTS else None
    vocab = Vocabulary(bundle.words if bundle else ())
    recode, found = Recoder(vocab), {}
    for digest, text in distinct.items():
        if bundle and digest in bundle.rows:
            found[digest] = bundle.part(digest)
        elif (entry := cache.get(digest, text)) is not None:
            found[digest] = (entry[0], recode(*entry[1:]))
    todo = [d for d in distinct if d not in found]
    fresh = segment_coded(seg, [distinct[d] for d in todo], workers)
    for digest, (starts, words, codes) in zip(todo, fresh, strict=True):
        cache.put(digest, starts, words, codes)
        found[digest] = (starts, recode(words, codes))
    # a corpus the bundle already covers (a part of the last one) leaves the bundle as it is
    if len(distinct) >= BUNDLE_MIN_TEXTS and (bundle is None or found.keys() - bundle.rows.keys()):
        cache.write_bundle(found, vocab, bundle)
    return [found[d] for d in digests], vocab, len(todo)
