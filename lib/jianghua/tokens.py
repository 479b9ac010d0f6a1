"""Word segmentation of every speech (jieba semantics), cached on disk per text.

Tokens are kept as int32 codes into one list of words (one string object per distinct
word); a large corpus's tokens are also kept together in one bundle file for quick reruns.

The engine is rjieba (jieba-rs) loaded with the same dictionary as jieba and patched where
jieba-rs differs (Latin/digit runs), so its tokens equal jieba's accurate mode with HMM; if
rjieba cannot be imported, jieba itself runs, with a warning. JIANGHUA_ENGINE=jieba forces it.
"""

import hashlib
import json
import math
import operator
import os
import re
import sys
import tempfile
import warnings
from bisect import bisect_left, bisect_right
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import metadata
from itertools import accumulate, compress
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from jianghua import config
from jianghua.progress import progress

TOKEN_COLUMNS = ["speech_id", "position", "token", "start"]
ENGINES = ("auto", "rjieba", "jieba")

# Bump when the word filter or the jieba-compatibility fixes change: it renames the cache.
FILTER_VERSION = 1
CACHE_FORMAT = b"JHTOK3\n"

# Every user dictionary is topped up to the same total frequency with an unreachable ballast
# word (private-use characters never reach jieba's dictionary lookup). jieba scores a path by
# log(freq) - log(total), so a fixed total means a dictionary edit can only change the tokens
# of texts that contain an edited word: the cache then re-segments exactly those texts.
BALLAST_WORD = "\ue000\ue001"
BALLAST_BUDGET = 20_000_000

# Enough characters of uncached text to be worth starting worker processes for.
POOL_MIN_CHARS = 500_000
# From this many distinct texts, a corpus's tokens are also kept in one bundle file: a rerun
# then reads one file instead of one per speech (10,000 speeches: 6 s down to about 1 s).
BUNDLE_MIN_TEXTS = 200
BUNDLE_FORMAT = b"JHBUN1\n"

_NUMERAL_CHARS = "零〇○一二三四五六七八九十百千万亿两"
_URL = re.compile(
    r"(?:https?://|www\.)[\x21-\x7e]+"
    r"|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|net|org|cn|gov|edu|info|html?)\b(?:/[\x21-\x7e]*)?",
    re.IGNORECASE,
)
# jieba's HMM stage splits runs of Latin letters/digits with this pattern; jieba-rs keeps some
# of those runs whole (www.xx.com, COVID-19), so its output is re-split the same way.
_JIEBA_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
_ASCII_RUN = re.compile(r"[a-zA-Z0-9+#&._%\-]{2,}")
_USERDICT_SPLIT = re.compile(r"[ \t]+")
_NUMBER = re.compile(r"^[-+]?\d*\.?\d+$")  # a frequency jieba cannot use: -5, 3.5
# what jieba lets through to its dictionary lookup (its re_han_default)
_JIEBA_WORD = re.compile(r"[\u4e00-\u9fd5a-zA-Z0-9+#&._%\-]+")


@dataclass(frozen=True)
class Dictionary:
    """A resolved user dictionary: (word, freq, tag) entries plus the pinned total."""

    entries: tuple
    target_total: int
    sources: tuple
    # jieba's default dictionary: its total, and the frequencies the user entries replace
    base_total: int = 0
    replaced: int = 0

    @cached_property
    def version(self) -> str:
        """Return a short hash of the entries' words and frequencies and the total."""
        payload = json.dumps([self.target_total, [e[:2] for e in self.entries]], ensure_ascii=False)
        return hashlib.blake2b(payload.encode("utf-8"), digest_size=10).hexdigest()

    def freqs(self) -> dict:
        """Return {word: freq} of the user entries."""
        return {w: f for w, f, _ in self.entries}


# ---------------------------------------------------------------- user dictionary files


def read_word_file(path) -> str:
    """Return an analyst's word list decoded as UTF-8 (BOM or not), else GB18030, else ""."""
    from jianghua.read_text import decode_analyst_text

    path = Path(path)
    try:
        return decode_analyst_text(path.read_bytes())
    except UnicodeDecodeError as exc:
        warnings.warn(
            f"{path.name}: not UTF-8 or GB18030 text (bad byte at {exc.start}): file ignored",
            stacklevel=3,
        )
        return ""


def read_userdict(path) -> list:
    """Return [(word, freq or None, tag or None)] from a jieba-format user dictionary file."""
    path = Path(path)
    rows = []
    text = read_word_file(path)
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = _USERDICT_SPLIT.split(line)
        word, freq, tag = parts[0], None, None
        rest = parts[1:]
        if rest and rest[0].isdigit():
            freq = int(rest.pop(0))
        elif rest and _NUMBER.match(rest[0]):
            # jieba would take "-5" or "3.5" for a part-of-speech tag
            warnings.warn(
                f"{path.name} line {lineno}: frequency {rest.pop(0)!r} is not a positive whole "
                f"number; {word!r} kept without a frequency",
                stacklevel=2,
            )
        if rest:
            tag = rest.pop(0)
        if rest or (tag and tag.isdigit()):
            warnings.warn(
                f"{path.name} line {lineno}: expected 'word [freq] [pos]', got {line!r}",
                stacklevel=2,
            )
        if freq == 0:
            warnings.warn(
                f"{path.name} line {lineno}: frequency 0 (deleting a word) is not supported; "
                f"{word!r} skipped",
                stacklevel=2,
            )
            continue
        rows.append((word, freq, tag))
    return rows


def userdict_paths(corpus_root=None) -> list:
    """Return the user dictionary files in use: the shipped one, then the analyst's if present."""
    paths = [config.DATA_DIR / "userdict.txt"]
    analyst = _analyst_folder(corpus_root) / "userdict.txt"
    if analyst.is_file():
        paths.append(analyst)
    return paths


@lru_cache(maxsize=1)
def _base_dictionary():
    """Return (total, {word: freq}) of jieba's default dictionary, as jieba itself counts them."""
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    total, freqs = 0, {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            word, freq = line.split(" ", 2)[:2]
            total += int(freq)
            freqs[word] = int(freq)
    return total, freqs


def load_dictionary(paths) -> Dictionary:
    """Return the Dictionary built from user dictionary files (later files override earlier)."""
    merged = {}
    for path in paths:
        for word, freq, tag in read_userdict(path):
            merged.pop(word, None)  # re-insert so the latest definition decides the order
            merged[word] = (freq, tag)
    for word in [w for w in merged if not _JIEBA_WORD.fullmatch(w)]:
        warnings.warn(
            f"user dictionary word {word!r} has characters jieba never keeps inside a word "
            "(only Chinese, Latin letters, digits and +#&._%- are): it cannot match, skipped",
            stacklevel=2,
        )
        del merged[word]
    missing = [w for w, (f, _) in merged.items() if f is None]
    suggested = _suggest_freqs(tuple(missing)) if missing else {}
    entries = tuple((w, f or suggested[w], t) for w, (f, t) in merged.items())
    base_total, base = _base_dictionary()
    replaced = sum(base.get(w, 0) for w, _, _ in entries)
    # jieba adds every user frequency to the total: leave room so the ballast stays positive
    needed = sum(f for _, f, _ in entries) + 1
    target = base_total + BALLAST_BUDGET * math.ceil(needed / BALLAST_BUDGET)
    return Dictionary(entries, target, tuple(str(p) for p in paths), base_total, replaced)


def _suggest_freqs(words) -> dict:
    """Return jieba's suggest_freq (just enough to keep the word whole) for each word."""
    try:
        import rjieba

        engine = rjieba.Jieba()
        return {w: max(1, engine.suggest_freq(w)) for w in words}
    except ImportError:
        import jieba

        tokenizer = jieba.Tokenizer()
        return {w: max(1, tokenizer.suggest_freq(w, False)) for w in words}


# ---------------------------------------------------------------- engines


def _engine_version(name) -> str:
    """Return the installed version of an engine package."""
    return metadata.version(name)


def _resolve_engine(engine) -> str:
    """Return the engine to use: rjieba when asked for "auto" and importable, else jieba."""
    engine = os.environ.get("JIANGHUA_ENGINE", engine) if engine == "auto" else engine
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    if engine == "jieba":
        return "jieba"
    try:
        import rjieba  # noqa: F401
    except ImportError:
        if engine == "rjieba":
            raise
        warnings.warn(
            "rjieba is not installed: falling back to jieba (about 20x slower)", stacklevel=2
        )
        return "jieba"
    return "rjieba"


def _build_rjieba(dictionary: Dictionary):
    """Return a cut(text, classes=None) function backed by a private rjieba.Jieba."""
    import rjieba

    engine = rjieba.Jieba()
    for word, freq, tag in dictionary.entries:
        engine.add_word(word, freq, tag)
    # jieba-rs replaces an existing word's frequency in the total, jieba adds on top: the
    # ballast makes both totals equal the pinned target all the same.
    added = sum(f for _, f, _ in dictionary.entries)
    total = dictionary.base_total + added - dictionary.replaced
    engine.add_word(BALLAST_WORD, dictionary.target_total - total, None)

    def cut(text, classes=None):
        pieces = engine.cut(text, hmm=True)
        if classes is None:
            classes = character_classes(text)
        return _jieba_compatible(text, pieces, engine.has_word, classes)

    return cut


def _build_jieba(dictionary: Dictionary):
    """Return a cut(text, classes=None) function backed by a private jieba.Tokenizer."""
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word, freq, tag in dictionary.entries:
        tokenizer.add_word(word, freq, tag)
    tokenizer.add_word(BALLAST_WORD, dictionary.target_total - tokenizer.total, None)

    def cut(text, classes=None):
        return list(tokenizer.cut(text, HMM=True))

    return cut


# Character classes, one bit each, looked up per code point in one table.
_LETTER, _NUMERAL, _RUN, _RUN_MARK, _PRINTABLE, _URL_MARK = 1, 2, 4, 8, 16, 32


@lru_cache(maxsize=1)
def _class_table():
    """Return a uint8 table of character-class bits for every code point."""
    table = np.zeros(0x110000, dtype=np.uint8)

    def mark(chars, bit):
        table[[ord(c) for c in chars]] |= bit

    latin = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    table[0x4E00:0xA000] |= _LETTER
    mark(latin, _LETTER)
    mark(_NUMERAL_CHARS, _NUMERAL)
    mark(latin + "0123456789+#&._%-", _RUN)  # what jieba's HMM stage treats as one run
    mark("+#&._%-", _RUN_MARK)
    table[0x21:0x7F] |= _PRINTABLE
    mark(".:", _URL_MARK)
    return table


def character_classes(text):
    """Return the uint8 character-class bits of every character of a text."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return _class_table()[codes]


def _runs(mask, min_length):
    """Return (begins, ends) of the runs of True in a boolean array at least min_length long."""
    edges = np.flatnonzero(np.diff(np.concatenate(([False], mask, [False])).view(np.int8)))
    begins, ends = edges[::2], edges[1::2]
    keep = ends - begins >= min_length
    return begins[keep], ends[keep]


def _runs_with(classes, run_bit, mark_bit, min_length):
    """Return [(begin, end)] of runs of run_bit characters that contain a mark_bit character."""
    begins, ends = _runs((classes & run_bit) > 0, min_length)
    if not begins.size:
        return []
    marks = np.concatenate(([0], np.cumsum((classes & mark_bit) > 0)))
    has_mark = marks[ends] > marks[begins]
    return list(zip(begins[has_mark].tolist(), ends[has_mark].tolist(), strict=True))


def _jieba_compatible(text, pieces, has_word, classes) -> list:
    """Return jieba-rs pieces with unknown Latin/digit runs split the way jieba splits them."""
    # a run of letters and digits only always matches jieba's pattern: only runs holding
    # one of +#&._%- can differ, and they are rare
    runs = [
        (b, e)
        for b, e in _runs_with(classes, _RUN, _RUN_MARK, 2)
        if not _JIEBA_SKIP.fullmatch(text, b, e)
    ]
    if not runs:
        return pieces
    starts = [0, *accumulate(map(len, pieces))]
    for begin, end in reversed(runs):  # from the end, so earlier indices stay valid
        first = bisect_right(starts, begin) - 1
        last = bisect_left(starts, end)
        for i in range(last - 1, first - 1, -1):
            piece = pieces[i]
            if _ASCII_RUN.fullmatch(piece) and not _JIEBA_SKIP.fullmatch(piece):
                if not has_word(piece):
                    pieces[i : i + 1] = [x for x in _JIEBA_SKIP.split(piece) if x]
    return pieces


@lru_cache(maxsize=4)
def _cut_function(engine: str, dictionary: Dictionary):
    """Return the (memoised) cut function of an engine loaded with a dictionary."""
    return _build_rjieba(dictionary) if engine == "rjieba" else _build_jieba(dictionary)


@dataclass(frozen=True)
class Segmenter:
    """An engine plus a resolved dictionary; `words(text)` gives the word tokens of a text."""

    engine: str
    dictionary: Dictionary

    @cached_property
    def key(self) -> str:
        """Return the cache folder name: engine, its version and the word filter version."""
        payload = f"{self.engine}-{_engine_version(self.engine)}-{FILTER_VERSION}-{CACHE_FORMAT}"
        return f"{self.engine}-{hashlib.blake2b(payload.encode(), digest_size=6).hexdigest()}"

    def cut(self, text, classes=None) -> list:
        """Return every piece jieba would cut the text into (punctuation and spaces included)."""
        return _cut_function(self.engine, self.dictionary)(text, classes)

    def words(self, text):
        """Return (starts: int32 array, tokens: list) of the word tokens of a text."""
        classes = character_classes(text)
        return word_tokens(text, self.cut(text, classes), classes)

    def coded(self, text):
        """Return (starts, words, codes) of the word tokens of a text (see coded_words)."""
        classes = character_classes(text)
        return coded_words(text, self.cut(text, classes), classes)


def segmenter(userdict=None, corpus_root=None, engine="auto") -> Segmenter:
    """Return a Segmenter: shipped + analyst user dictionaries (or the given files)."""
    if userdict is None:
        paths = userdict_paths(corpus_root)
    elif isinstance(userdict, (str, os.PathLike)):
        paths = [config.DATA_DIR / "userdict.txt", Path(userdict)]
    else:
        paths = [Path(p) for p in userdict]
    return Segmenter(_resolve_engine(engine), load_dictionary(paths))


def _url_spans(text, classes):
    """Yield (start, end) of the URLs in a text."""
    # the URL pattern is slow to try at every position: look only inside runs of printable
    # ASCII that hold a "." or ":", which every URL does
    for begin, end in _runs_with(classes, _PRINTABLE, _URL_MARK, 4):
        for match in _URL.finditer(text, begin, end):
            yield match.start(), match.end()


def _word_mask(classes, begins, sizes) -> np.ndarray:
    """Return whether each piece (begin, size in classes) is a word: a letter, not all numerals."""
    begins = np.minimum(begins, max(len(classes) - 1, 0))  # reduceat needs in-range indices
    letters = np.add.reduceat(classes & _LETTER, begins, dtype=np.int32)
    numerals = np.add.reduceat((classes & _NUMERAL) > 0, begins, dtype=np.int32)
    return (sizes > 0) & (letters > 0) & (numerals < sizes)


def _piece_starts(text, lengths) -> np.ndarray:
    """Return where each piece starts, checking the pieces add up to the text."""
    ends = np.cumsum(lengths)
    if ends[-1] != len(text):
        raise RuntimeError("segmenter lost characters: its pieces do not add up to the text")
    return ends - lengths


def _drop_urls(keep, starts, text, classes):
    """Set keep to False for the pieces that lie inside a URL."""
    for begin, end in _url_spans(text, classes):
        keep[np.searchsorted(starts, begin) : np.searchsorted(starts, end)] = False


def word_tokens(text, pieces, classes=None):
    """Return (starts, tokens) keeping words: no punctuation, numbers, URLs, spaces or *."""
    if not pieces:
        return np.zeros(0, dtype=np.int32), []
    lengths = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
    starts = _piece_starts(text, lengths)
    if classes is None:
        classes = character_classes(text)
    # classify characters once, then each piece by its characters (no Python loop per piece)
    keep = _word_mask(classes, starts, lengths)
    _drop_urls(keep, starts, text, classes)
    index = np.flatnonzero(keep)
    return starts[index].astype(np.int32), list(map(pieces.__getitem__, index.tolist()))


def coded_words(text, pieces, classes=None):
    """Return (starts, words, codes) of the word tokens of a text: int32 codes into words."""
    if not pieces:
        return np.zeros(0, dtype=np.int32), [], np.zeros(0, dtype=np.int32)
    # a speech repeats its words: code the pieces, then classify each distinct piece once
    local = list(dict.fromkeys(pieces))
    index = {word: i for i, word in enumerate(local)}
    codes = np.fromiter(map(index.__getitem__, pieces), dtype=np.int32, count=len(pieces))
    sizes = np.fromiter(map(len, local), dtype=np.int64, count=len(local))
    starts = _piece_starts(text, sizes[codes])
    keep = _word_mask(character_classes("".join(local)), np.cumsum(sizes) - sizes, sizes)[codes]
    _drop_urls(keep, starts, text, character_classes(text) if classes is None else classes)
    kept = np.flatnonzero(keep)
    codes = codes[kept]
    used = np.zeros(len(local), dtype=bool)
    used[codes] = True
    renumber = (np.cumsum(used) - 1).astype(np.int32)
    return starts[kept].astype(np.int32), list(compress(local, used.tolist())), renumber[codes]


# ---------------------------------------------------------------- the on-disk cache


def text_hash(text) -> str:
    """Return the cache key of a text (a hash of its UTF-8 bytes)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class Vocabulary:
    """The distinct words of a tokens table, each with an int32 code (insertion order)."""

    def __init__(self, words=()):
        self.code = {word: i for i, word in enumerate(words)}

    def encode(self, words) -> np.ndarray:
        """Return the codes of words, giving new words the next codes."""
        code = self.code
        # setdefault's default is evaluated before the word is added: the next free code
        return np.fromiter((code.setdefault(w, len(code)) for w in words), np.int32, len(words))

    def words(self) -> np.ndarray:
        """Return the words as an object array indexed by code."""
        out = np.empty(len(self.code), dtype=object)
        out[:] = list(self.code)
        return out


class Recoder:
    """Turns (words, codes) of texts into codes of one Vocabulary; a batch's words once."""

    def __init__(self, vocab: Vocabulary):
        self.vocab, self.last, self.table = vocab, None, None

    def __call__(self, words, codes) -> np.ndarray:
        """Return codes into words as codes into the vocabulary."""
        if words is not self.last:  # consecutive texts of a pool batch share one words list
            self.last, self.table = words, self.vocab.encode(words)
        return self.table[codes] if len(codes) else np.zeros(0, np.int32)


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
        _atomic_write(
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
        except (ValueError, KeyError, UnicodeDecodeError) as err:
            warnings.warn(f"{err}; reading the texts' own entries instead", stacklevel=3)
            return None
        return bundle if version == self.seg.dictionary.version else None

    def write_bundle(self, found: dict, vocab: Vocabulary):
        """Keep the (starts, codes) of texts by hash in one file, replacing the last one."""
        data = _bundle_bytes(self.seg.dictionary.version, found, vocab)
        _atomic_write(self.root / "bundle.tok", data)

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
            _atomic_write(snapshot, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


class Bundle:
    """The tokens of many texts read from one bundle file: codes into one list of words."""

    def __init__(self, words, digests, sizes, starts, codes):
        self.words, self.starts, self.codes = words, starts, codes
        ends = np.cumsum(sizes).tolist()
        self.rows = {d: (e - n, e) for d, n, e in zip(digests, sizes.tolist(), ends, strict=True)}

    def part(self, digest) -> tuple:
        """Return (starts, codes) of one text."""
        lo, hi = self.rows[digest]
        return self.starts[lo:hi], self.codes[lo:hi]


def _bundle_bytes(version, found: dict, vocab: Vocabulary) -> bytes:
    """Return the bytes of a bundle file holding the (starts, codes) of texts by hash."""
    sizes = np.fromiter((len(c) for _, c in found.values()), np.int64, len(found))
    codes = np.concatenate([c for _, c in found.values()] or [np.zeros(0, np.int32)])
    starts = np.concatenate([s for s, _ in found.values()] or [np.zeros(0, np.int32)])
    words = vocab.words()
    used = np.zeros(len(words), dtype=bool)
    used[codes] = True
    # words only seen in texts no longer in the corpus are dropped, so the file stays small
    codes = (np.cumsum(used) - 1)[codes]
    body = "\n".join(words[used].tolist()).encode("utf-8")
    header = {"dict": version, "texts": len(found), "n": len(codes), "words": int(used.sum())}
    header["bytes"] = len(body)
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


def _read_bundle(path) -> tuple:
    """Return (dict version, Bundle) of a bundle file; raise ValueError if it is damaged."""
    data = path.read_bytes()
    if not data.startswith(BUNDLE_FORMAT):
        raise ValueError(f"token bundle {path} is not in format {BUNDLE_FORMAT!r}")
    at = data.index(b"\n", len(BUNDLE_FORMAT)) + 1
    header = json.loads(data[len(BUNDLE_FORMAT) : at])
    t, n, n_words = header["texts"], header["n"], header["words"]
    if len(data) != at + 24 * t + 8 * n + header["bytes"]:
        raise ValueError(f"token bundle {path} is damaged")
    digests = [data[i : i + 16].hex() for i in range(at, at + 16 * t, 16)]
    sizes = np.frombuffer(data, "<i8", t, at + 16 * t)
    starts = np.frombuffer(data, "<i4", n, at + 24 * t).astype(np.int32)
    codes = np.frombuffer(data, "<i4", n, at + 24 * t + 4 * n).astype(np.int32)
    words = data[at + 24 * t + 8 * n :].decode("utf-8").split("\n") if n_words else []
    if len(words) != n_words or sizes.sum() != n or (n and codes.max() >= n_words):
        raise ValueError(f"token bundle {path} is damaged")
    return header["dict"], Bundle(words, digests, sizes, starts, codes)


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


def _atomic_write(path: Path, data: bytes):
    """Write bytes to path so that readers see either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# ---------------------------------------------------------------- segmenting many texts

_WORKER_SEGMENTER = None  # set in each worker process by _init_worker


def _worker_count(workers) -> int:
    """Return the number of workers to use: the given number, else the usable cores."""
    if workers is not None:
        return workers
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _init_worker(seg: Segmenter):
    """Keep the segmenter in a worker process (a pool initializer)."""
    global _WORKER_SEGMENTER
    _WORKER_SEGMENTER = seg


def _segment_batch(texts):
    """Return (vocabulary, [(starts bytes, codes bytes)]) for a batch of texts, in a worker."""
    # send each distinct word of the batch once and the tokens as int32 codes: the parent
    # then makes no new string per token
    vocab, packed = Vocabulary(), []
    for text in texts:
        starts, words, codes = _WORKER_SEGMENTER.coded(text)
        table = vocab.encode(words)
        packed.append((starts.tobytes(), table[codes].tobytes()))
    return list(vocab.code), packed


def _batches(texts, n_batches):
    """Return the texts cut into about n_batches runs of similar total length, in order."""
    size = sum(map(len, texts)) / max(n_batches, 1)
    batches, current, filled = [], [], 0
    for text in texts:
        current.append(text)
        filled += len(text)
        if filled >= size:
            batches.append(current)
            current, filled = [], 0
    if current:
        batches.append(current)
    return batches


def segment_coded(seg: Segmenter, texts, workers=None):
    """Yield (starts, words, codes) per text, on all cores when there is enough work.

    codes index words; the texts of one pool batch share one words list.
    """
    workers = _worker_count(workers)
    if workers <= 1 or sum(map(len, texts)) < POOL_MIN_CHARS:
        for text in progress(texts, desc="segmenting"):
            yield seg.coded(text)
    else:
        # Worker processes, not threads, although jieba-rs releases the GIL: on 10,000
        # speeches (2 cores) threads took 27 s, as the word filter and the token strings
        # stay on one core; processes that send back word codes took 15 s.
        yield from _segment_in_processes(seg, texts, workers)


def segment_texts(seg: Segmenter, texts, workers=None) -> list:
    """Return [(starts, tokens)] for texts, on all cores when there is enough work."""
    return [
        (starts, list(map(words.__getitem__, codes.tolist())))
        for starts, words, codes in segment_coded(seg, texts, workers)
    ]


def _segment_in_processes(seg: Segmenter, texts, workers):
    """Yield (starts, batch words, codes) per text, segmented in a process pool."""
    seg.cut("")  # build the engine first: forked workers inherit it ready to use
    # fork on Linux: workers start at once and a script without a __main__ guard still works;
    # elsewhere fork is unsafe, and spawn needs that guard in analysts' scripts
    context = get_context("fork" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(seg,)
    ) as pool:
        batches = pool.map(_segment_batch, _batches(texts, workers * 4))
        for vocabulary, packed in progress(batches, total=workers * 4, desc="segmenting"):
            for starts, codes in packed:
                yield np.frombuffer(starts, np.int32), vocabulary, np.frombuffer(codes, np.int32)


def segment_cached(seg: Segmenter, texts, workers=None, cache_root=None, digests=None):
    """Return ([(starts, codes)] per text, their Vocabulary, distinct texts segmented now)."""
    cache = TokenCache(seg, cache_root)
    digests = digests or [text_hash(t) for t in texts]
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
        cache.write_bundle(found, vocab)
    return [found[d] for d in digests], vocab, len(todo)


# The last tokens table, so that the many analyses of one notebook read the disk cache once.
_LAST = {}


def clear_memory():
    """Forget the tokens table kept in memory (the disk cache stays)."""
    _LAST.clear()


def tokens(corpus, userdict=None, engine="auto", workers=None, cache=True):
    """Return speech_id, position, token, start for every word token of every speech.

    `attrs["segmented"]` counts the distinct texts segmented by this call (0: all cached).
    """
    return _coded_tokens(corpus, userdict, engine, workers, cache)[0]


def token_counts(corpus, userdict=None, engine="auto", workers=None):
    """Return (words, speeches x words sparse matrix of token counts) of tokens(corpus).

    The matrix of the corpus whose tokens are kept in memory is kept too: callers must not
    change it in place.
    """
    from scipy import sparse

    _, sizes, codes, words = _coded_tokens(corpus, userdict, engine, workers, True)
    kept = _LAST.get("counts")
    if kept is not None and kept[0] is codes:  # the same tokens as the last call
        return words, kept[1]
    indptr = np.concatenate([[0], np.cumsum(sizes)])
    ones = np.ones(len(codes), dtype=np.int64)
    # copied: summing duplicates sorts the indices in place, and the codes are kept in memory
    counts = sparse.csr_matrix((ones, codes.copy(), indptr), shape=(len(sizes), len(words)))
    counts.sum_duplicates()  # a speech's tokens are contiguous: no global sort needed
    if "coded" in _LAST and _LAST["coded"][2] is codes:
        _LAST["counts"] = (codes, counts)
    return words, counts


def membership(group_codes, n_groups: int):
    """Return the groups x speeches 0/1 sparse matrix of each speech's group (-1: none)."""
    from scipy import sparse

    group_codes = np.asarray(group_codes)
    inside = np.flatnonzero(group_codes >= 0)
    ones = np.ones(len(inside), dtype=np.int64)
    shape = (n_groups, len(group_codes))
    return sparse.csr_matrix((ones, (group_codes[inside], inside)), shape=shape)


def token_codes(corpus, userdict=None, engine="auto", workers=None):
    """Return (tokens per speech, a word code per row of tokens(corpus), the words by code)."""
    return _coded_tokens(corpus, userdict, engine, workers, True)[1:]


def _coded_tokens(corpus, userdict, engine, workers, cache):
    """Return (tokens table, tokens per speech, word code per token, words by code)."""
    seg = segmenter(userdict, corpus.root, engine)
    texts = corpus.speeches["text"].fillna("").tolist()
    ids = corpus.speeches["speech_id"].tolist()
    if not cache:
        vocab = Vocabulary()
        recode = Recoder(vocab)
        coded = [(s, recode(w, c)) for s, w, c in segment_coded(seg, texts, workers)]
        return _coded_frame(ids, coded, vocab, seg, len(set(texts)))
    digests = _text_hashes(texts)
    key = (seg, str(config.cache_dir()), tuple(ids), tuple(digests))
    if _LAST.get("key") == key:
        frame, *rest = _LAST["coded"]
        frame = frame.copy(deep=False)
    elif (part := _part_of_last(key)) is not None:
        frame, *rest = part  # a few speeches of the table in memory (an analysis by speech)
    else:
        coded, vocab, segmented = segment_cached(seg, texts, workers, digests=digests)
        _LAST.clear()
        _LAST["hashed"] = (texts, digests)
        _LAST.update(key=key, coded=_coded_frame(ids, coded, vocab, seg, segmented))
        frame, *rest = _LAST["coded"]
        return (frame.copy(deep=False), *rest)
    frame.attrs = {**frame.attrs, "segmented": 0}
    return (frame, *rest)


def _text_hashes(texts) -> list:
    """Return text_hash of each text, reusing the last call's where the texts are the same."""
    # tokens(), token_counts() and token_codes() each ask for the same corpus: the same str
    # objects (strings cannot change) need not be hashed again, 0.2 s per 10,000 speeches
    last = _LAST.get("hashed")
    if last and len(last[0]) == len(texts) and all(map(operator.is_, last[0], texts)):
        return last[1]
    digests = [text_hash(t) for t in texts]
    _LAST["hashed"] = (texts, digests)
    return digests


def _part_of_last(key):
    """Return _coded_tokens' answer for key's speeches from the kept one, if it holds them."""
    if "key" not in _LAST or _LAST["key"][:2] != key[:2]:
        return None
    whole, sizes, codes, words = _LAST["coded"]
    if "rows" not in _LAST:  # where each speech's rows start and end, found once
        last_ids, last_digests = _LAST["key"][2:]
        ends = np.cumsum(sizes).tolist()
        _LAST["rows"] = {
            i: (d, e - n, e)
            for i, d, n, e in zip(last_ids, last_digests, sizes.tolist(), ends, strict=True)
        }
    rows = _LAST["rows"]
    wanted = [rows.get(i) for i in key[2]]
    if any(r is None or r[0] != d for r, d in zip(wanted, key[3], strict=True)):
        return None
    index = np.concatenate([np.arange(b, e) for _, b, e in wanted] or [np.zeros(0, np.int64)])
    part = whole.iloc[index].reset_index(drop=True)
    part.attrs = dict(whole.attrs)
    part_sizes = np.array([e - b for _, b, e in wanted], dtype=np.int64)
    return part, part_sizes, codes[index], words


def _coded_frame(ids, coded, vocab: Vocabulary, seg, segmented):
    """Return (tokens table, tokens per speech, code per token, words) from (starts, codes)."""
    import pandas as pd  # here, so that worker processes start without loading pandas

    counts = np.fromiter((len(c) for _, c in coded), dtype=np.int64, count=len(coded))
    first = np.cumsum(counts) - counts
    codes = np.concatenate([c for _, c in coded] or [np.zeros(0, np.int32)])
    words = vocab.words()
    # one object per distinct word: 16 million tokens as separate strings would take gigabytes
    frame = pd.DataFrame(
        {
            "speech_id": np.repeat(np.array(ids, dtype=object), counts),
            "position": np.arange(counts.sum(), dtype=np.int64) - np.repeat(first, counts),
            "token": words[codes],
            "start": np.concatenate([s for s, _ in coded] or [[]]).astype(np.int64),
        }
    )
    frame.attrs.update(segmented=segmented, engine=seg.engine, dictionary=seg.dictionary.version)
    return frame, counts, codes, words


# ---------------------------------------------------------------- stopwords

STOPWORD_LISTS = {
    "general": "stopwords_general.txt",
    "officialese": "stopwords_officialese.txt",
}
_STOPWORD_SEPARATORS = re.compile(r"[\s,，、;；]+")


def read_stopwords(path) -> frozenset:
    """Return the words of a stopword file: one per line or separated by spaces/commas/、."""
    text = read_word_file(path)
    words = set()
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        words.update(w for w in _STOPWORD_SEPARATORS.split(line) if w)
    return frozenset(words)


def analyst_stopword_files(corpus_root=None) -> list:
    """Return the analyst's stopword files in the corpus folder (stopwords*.txt), sorted."""
    folder = _analyst_folder(corpus_root)
    return sorted(folder.glob("stopwords*.txt")) if folder.is_dir() else []


def _analyst_folder(corpus_root=None) -> Path:
    """Return the folder holding the analyst's files: the corpus folder (or a file's folder)."""
    folder = config.corpus_dir(corpus_root)
    return folder.parent if folder.is_file() else folder


def load_stopwords(spec="default", corpus_root=None) -> frozenset:
    """Return a stopword set from a spec.

    spec: "default" (general + officialese + the analyst's corpus/stopwords*.txt), "general",
    "officialese", "analyst", None (no stopwords), a file path, or an iterable of words.
    """
    if spec is None:
        return frozenset()
    if isinstance(spec, str) and spec in ("default", "analyst"):
        files = analyst_stopword_files(corpus_root)
        if spec == "default":
            files = [config.DATA_DIR / name for name in STOPWORD_LISTS.values()] + files
        return frozenset().union(*(read_stopwords(f) for f in files))
    if isinstance(spec, str) and spec in STOPWORD_LISTS:
        return read_stopwords(config.DATA_DIR / STOPWORD_LISTS[spec])
    if isinstance(spec, (str, os.PathLike)):
        if not Path(spec).is_file():
            names = ", ".join(["default", "analyst", *STOPWORD_LISTS])
            raise ValueError(f"stopwords {spec!r} is neither a list name ({names}) nor a file")
        return read_stopwords(spec)
    return frozenset(spec)
