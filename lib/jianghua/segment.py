"""Word segmentation with jieba's semantics: user dictionaries, engines, the word filter.

The engine is rjieba (jieba-rs) loaded with the same dictionary as jieba and patched where
jieba-rs differs (Latin/digit runs), so its tokens equal jieba's accurate mode with HMM; if
rjieba cannot be imported, jieba itself runs, with a warning. JIANGHUA_ENGINE=jieba forces it.
Many texts are segmented in worker processes, which send back int32 word codes.
"""

import hashlib
import json
import math
import os
import re
import sys
import warnings
from bisect import bisect_left, bisect_right
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import metadata
from itertools import accumulate
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from jianghua import config
from jianghua.progress import progress

ENGINES = ("auto", "rjieba", "jieba")

# Bump when the word filter or the jieba-compatibility fixes change: it renames the cache.
FILTER_VERSION = 1

# Every user dictionary is topped up to the same total frequency with an unreachable ballast
# word (private-use characters never reach jieba's dictionary lookup). jieba scores a path by
# log(freq) - log(total), so a fixed total means a dictionary edit can only change the tokens
# of texts that contain an edited word: the cache then re-segments exactly those texts.
BALLAST_WORD = "\ue000\ue001"
BALLAST_BUDGET = 20_000_000

# Enough characters of uncached text to be worth starting worker processes for.
POOL_MIN_CHARS = 500_000

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
    analyst = config.analyst_folder(corpus_root) / "userdict.txt"
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
        """Return the token cache folder name: engine, its version, filter and cache format."""
        # imported here: the token cache module imports this one
        from jianghua.token_cache import CACHE_FORMAT

        payload = f"{self.engine}-{_engine_version(self.engine)}-{FILTER_VERSION}-{CACHE_FORMAT}"
        return f"{self.engine}-{hashlib.blake2b(payload.encode(), digest_size=6).hexdigest()}"

    def cut(self, text, classes=None) -> list:
        """Return every piece jieba would cut the text into (punctuation and spaces included)."""
        return _cut_function(self.engine, self.dictionary)(text, classes)

    def words(self, text):
        """Return (starts: int32 array, tokens: list) of the word tokens of a text."""
        classes = character_classes(text)
        return word_tokens(text, self.cut(text, classes), classes)

    def coded(self, text, coder=None):
        """Return (starts, words, codes) of the word tokens of a text: codes into words."""
        coder = WordCoder() if coder is None else coder
        classes = character_classes(text)
        starts, codes = coder.code(text, self.cut(text, classes), classes)
        return starts, coder.words, codes


def segmenter(userdict=None, corpus_root=None, engine="auto") -> Segmenter:
    """Return a Segmenter: shipped + analyst user dictionaries (or the given files)."""
    if userdict is None:
        paths = userdict_paths(corpus_root)
    elif isinstance(userdict, (str, os.PathLike)):
        paths = [config.DATA_DIR / "userdict.txt", Path(userdict)]
    else:
        paths = [Path(p) for p in userdict]
    return Segmenter(_resolve_engine(engine), load_dictionary(paths))


# ---------------------------------------------------------------- the word filter


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


class _Column:
    """A numpy array grown by appending, its capacity doubled as needed."""

    def __init__(self, dtype, fill=0):
        self.data, self.n, self.fill = np.full(1024, fill, dtype), 0, fill

    def extend(self, values):
        """Append values."""
        end = self.n + len(values)
        if end > len(self.data):
            bigger = np.full(max(end, 2 * len(self.data)), self.fill, self.data.dtype)
            bigger[: self.n] = self.data[: self.n]
            self.data = bigger
        self.data[self.n : end] = values
        self.n = end


class _PieceCodes(dict):
    """Every distinct piece met, with an internal code; new pieces listed in order."""

    def __init__(self):
        super().__init__()
        self.order = []

    def __missing__(self, piece):
        code = self[piece] = len(self.order)
        self.order.append(piece)
        return code


class WordCoder:
    """Codes the word tokens of many texts into one growing list of words, `words`."""

    def __init__(self):
        self.pieces, self.words = _PieceCodes(), []
        # per internal piece code: its length, whether it can be a word, its code in words
        self._sizes, self._is_word = _Column(np.int64), _Column(bool)
        self._out = _Column(np.int32, fill=-1)

    def code(self, text, pieces, classes=None):
        """Return (starts, codes into words) of the word tokens of a text cut into pieces."""
        if not pieces:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
        # one dict lookup per piece; a speech repeats its words, so the characters of each
        # distinct piece are classified once, when it is first met
        known = len(self.pieces.order)
        codes = np.fromiter(map(self.pieces.__getitem__, pieces), np.int32, len(pieces))
        if len(self.pieces.order) > known:
            self._classify(self.pieces.order[known:])
        starts = _piece_starts(text, self._sizes.data[codes])
        keep = self._is_word.data[codes]
        _drop_urls(keep, starts, text, character_classes(text) if classes is None else classes)
        self._number_new(codes, keep)
        return starts[keep].astype(np.int32), self._out.data[codes[keep]]

    def _classify(self, new):
        """Record the length and word test of pieces met for the first time."""
        sizes = np.fromiter(map(len, new), dtype=np.int64, count=len(new))
        self._sizes.extend(sizes)
        mask = _word_mask(character_classes("".join(new)), np.cumsum(sizes) - sizes, sizes)
        self._is_word.extend(mask)
        self._out.extend(np.full(len(new), -1, np.int32))

    def _number_new(self, codes, keep):
        """Give the words first kept in this text the next codes, by first appearance."""
        kept = codes[keep]
        fresh = np.unique(kept[self._out.data[kept] < 0])
        if not fresh.size:
            return
        hits = codes[np.isin(codes, fresh)]
        found, first = np.unique(hits, return_index=True)
        order = found[np.argsort(first)]
        self._out.data[order] = np.arange(len(self.words), len(self.words) + len(order))
        self.words.extend(map(self.pieces.order.__getitem__, order.tolist()))


# ---------------------------------------------------------------- word codes


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
        # consecutive texts share one words list (a pool batch's, or one WordCoder's, which
        # grows): each word is encoded once
        if words is not self.last:
            self.last, self.table = words, _Column(np.int32)
        if self.table.n < len(words):
            self.table.extend(self.vocab.encode(words[self.table.n :]))
        return self.table.data[codes] if len(codes) else np.zeros(0, np.int32)


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
    coder, packed = WordCoder(), []
    for text in texts:
        starts, _, codes = _WORKER_SEGMENTER.coded(text, coder)
        packed.append((starts.tobytes(), codes.tobytes()))
    return coder.words, packed


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

    codes index words. Consecutive texts share one words list (a pool batch's, or on one
    core all of them), which grows as later texts are yielded.
    """
    workers = _worker_count(workers)
    if workers <= 1 or sum(map(len, texts)) < POOL_MIN_CHARS:
        coder = WordCoder()
        for text in progress(texts, desc="segmenting"):
            yield seg.coded(text, coder)
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
