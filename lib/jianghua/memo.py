"""An on-disk cache of analysis results, so that a rerun with nothing changed is quick.

A result is keyed on the function, the corpus tables it can read (corpus_fingerprint), the
files and code that shape it (settings_fingerprint) and its arguments. Entries are pickles
under cache_dir()/results/, written atomically; each analysis keeps its most recently used
ones (KEEP_RESULTS). JIANGHUA_NO_RESULT_CACHE=1 turns it off.
"""

import functools
import hashlib
import inspect
import os
import pickle
import shutil
import struct
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

from jianghua import config

# Below this many speeches an analysis is quick: caching it would cost more than it saves.
MIN_SPEECHES = 200
DISABLE_ENV = "JIANGHUA_NO_RESULT_CACHE"
# Whole results and part stores kept per analysis, the most recently used first: a corpus
# that changes every day would otherwise fill the disk with results nobody asks for again.
KEEP_RESULTS = 32
KEEP_PARTS = 4
# Bump when the entry layout changes: old entries then no longer match any key.
ENTRY_FORMAT = b"JHRES1\n"
_LENGTH = struct.Struct("<Q")
ANALYST_FILES = (
    "userdict.txt",
    "stopwords*.txt",
    "themes.yaml",
    "stop_passages.txt",
    "clutter.yaml",
    "metadata_rules.yaml",
    "places.yaml",
)
DEPENDENCIES = ("jianghua", "pandas", "numpy", "scipy", "scikit-learn", "jieba", "rjieba")


class ResultCacheWarning(UserWarning):
    """A result cache entry that could not be read or written; the result is computed."""


class _Uncacheable(Exception):
    """An argument with no deterministic stand-in: the call is not cached."""


# ---------------------------------------------------------------- fingerprints


def corpus_fingerprint(corpus) -> str:
    """Return a hash of the speeches and sections tables (every column and the index)."""
    digest = hashlib.sha256()
    for frame in (corpus.speeches, corpus.sections):
        _hash_frame(digest, frame)
    return digest.hexdigest()[:32]


def _hash_frame(digest, frame):
    """Feed a DataFrame's shape, index, column names, dtypes and values to a hash."""
    digest.update(repr((frame.shape, [str(c) for c in frame.columns])).encode())
    _hash_values(digest, frame.index)
    for name in frame.columns:
        column = frame[name]
        digest.update(f"\x1d{name}\x1f{column.dtype}\x1e".encode())
        _hash_values(digest, column, by_text=name == "text")


def _hash_values(digest, values, by_text=False):
    """Feed a column's (or index's) values to a hash, unambiguously; by_text: each text by
    its text_hash, which loading, tokens and every analysis of one corpus share."""
    import pandas as pd

    from jianghua.cache_files import text_hashes

    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biufcmM":
        digest.update(np.ascontiguousarray(values.to_numpy()).tobytes())
        return
    missing = np.asarray(pd.isna(values), dtype=bool)
    present = np.asarray(values, dtype=object)[~missing].tolist()
    digest.update(np.packbits(missing).tobytes())
    if by_text and all(type(v) is str for v in present):
        # 100 MB of speeches hashed once, not once per analysis (0.25 s each)
        digest.update("".join(text_hashes(present)).encode())
    elif all(type(v) is str for v in present):
        # one join and one encode per column: 37M characters take ~0.25 s (UTF-16 is the
        # quickest encoding of Chinese text, SHA-256 the quickest hash with CPU support)
        lengths = np.fromiter(map(len, present), dtype=np.int64, count=len(present))
        digest.update(lengths.tobytes())
        digest.update("".join(present).encode("utf-16-le", "surrogatepass"))
    else:
        digest.update(repr([(type(v).__name__, v) for v in present]).encode())


def settings_fingerprint(corpus, func=None) -> str:
    """Return a hash of the data files, the analyst's files, the code and library versions."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(_versions()).encode())
    digest.update(os.environ.get("JIANGHUA_ENGINE", "auto").encode())
    data = config.DATA_DIR
    files = [(f"data/{p.relative_to(data)}", p) for p in sorted(data.rglob("*")) if p.is_file()]
    # every module, not just the function's: analyses share helpers (tokens, themes, ...)
    files += [(p.name, p) for p in sorted(config.PACKAGE_DIR.glob("*.py"))]
    source = inspect.getsourcefile(func) if func is not None else None
    if source and Path(source).resolve().parent != config.PACKAGE_DIR:
        files.append((Path(source).name, Path(source)))
    folder = config.analyst_folder(getattr(corpus, "root", None))
    for pattern in ANALYST_FILES if folder.is_dir() else ():
        files += [(f"corpus/{p.name}", p) for p in sorted(folder.glob(pattern))]
    # names, not full paths: a project moved to another folder keeps its cached results
    for name, path in files:
        digest.update(f"\x1d{name}\x1e{_file_digest(path)}".encode())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _versions() -> tuple:
    """Return (python version, (package, version) for each dependency installed)."""
    found = []
    for name in DEPENDENCIES:
        try:
            found.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            found.append((name, None))
    return sys.version, tuple(found)


def _file_digest(path) -> str:
    """Return a hash of a file's bytes."""
    return hashlib.blake2b(Path(path).read_bytes(), digest_size=16).hexdigest()


# ---------------------------------------------------------------- arguments


def _plain(value):
    """Return a deterministic, repr-able stand-in for an argument, or raise _Uncacheable."""
    if value is None or isinstance(value, bool | int | float | complex | bytes):
        return value
    if isinstance(value, str | os.PathLike):
        # a file argument (stopwords, themes, directives) counts by its content
        return (type(value).__name__, str(value), _maybe_file(value))
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_plain(v) for v in value))
    if isinstance(value, set | frozenset):
        return ("set", tuple(sorted((_plain(v) for v in value), key=repr)))
    if isinstance(value, Mapping):  # order kept: a themes dict's order orders the output
        return ("map", tuple((_plain(k), _plain(v)) for k, v in value.items()))
    return _plain_pandas(value)


def _plain_pandas(value):
    """Return a stand-in for a Series or DataFrame (values, index, attrs), or raise."""
    import pandas as pd

    if isinstance(value, pd.Series):
        value = value.to_frame(name=("series", value.name))
    if not isinstance(value, pd.DataFrame):
        raise _Uncacheable(type(value).__name__)
    digest = hashlib.blake2b(digest_size=16)
    _hash_frame(digest, value)
    return ("frame", digest.hexdigest(), _plain(dict(value.attrs)))


def _maybe_file(value):
    """Return the digest of the file a string names, or None if it names no file."""
    try:
        path = Path(value)
        return _file_digest(path) if path.is_file() else None
    except (OSError, ValueError):  # too long or odd for a path: a plain string
        return None


def _call_key(func, signature, corpus, args, kwargs, whole=True):
    """Return the cache key of a call, or None when the call is not to be cached.

    whole=False leaves the corpus out: the key of the settings and arguments alone.
    """
    if os.environ.get(DISABLE_ENV, "") not in ("", "0"):
        return None
    if not hasattr(corpus, "speeches") or len(corpus.speeches) < MIN_SPEECHES:
        return None
    try:
        bound = signature.bind(corpus, *args, **kwargs)
    except TypeError:
        return None  # a wrong call: let the function itself say what is wrong
    bound.apply_defaults()
    try:
        arguments = tuple((k, _plain(v)) for k, v in list(bound.arguments.items())[1:])
    except _Uncacheable:
        return None
    payload = (
        func.__module__,
        func.__qualname__,
        corpus_fingerprint(corpus) if whole else None,
        settings_fingerprint(corpus, func),
        arguments,
    )
    return hashlib.blake2b(repr(payload).encode(), digest_size=20).hexdigest()


def speech_fingerprints(corpus) -> list:
    """Return a hash per speech (in order) of its row and its sections' rows, as hex text."""
    import pandas as pd

    from jianghua.cache_files import text_hashes

    # text, not bytes: pandas' isin misses some bytes values (4 of 1,000 in a test)
    sections = _section_hashes(corpus.sections)
    speeches = corpus.speeches
    # the text by its hash: the repr of 100 MB of text would cost more than the rest
    texts = speeches["text"].fillna("").tolist() if "text" in speeches else []
    digests = text_hashes(texts) if texts else [""] * len(speeches)
    rest = speeches.drop(columns="text", errors="ignore")
    columns = tuple(rest.columns)
    rows = zip(speeches["speech_id"], rest.itertuples(index=False, name=None), strict=True)
    marks = []
    for (sid, row), digest in zip(rows, digests, strict=True):
        held = sections.get(sid) if not pd.isna(sid) else None
        payload = repr((columns, row, digest, held)).encode()
        marks.append(hashlib.blake2b(payload, digest_size=16).hexdigest())
    return marks


def _section_hashes(sections) -> dict:
    """Return {speech_id: hex hash of its section rows, in order}."""
    import pandas as pd

    if sections.empty:
        return {}
    # one vectorised hash per row: a Python tuple per section row took 0.5 s per 500,000
    row_hash = pd.util.hash_pandas_object(sections, index=False).to_numpy()
    columns = repr((tuple(sections.columns), tuple(map(str, sections.dtypes)))).encode()
    codes, ids = pd.factorize(sections["speech_id"], use_na_sentinel=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    out = {}
    for sid, part in zip(ids, np.split(row_hash[order], bounds), strict=True):
        out[sid] = hashlib.blake2b(columns + part.tobytes(), digest_size=16).hexdigest()
    return out


# ---------------------------------------------------------------- the cache


def results_dir() -> Path:
    """Return the folder of the result cache."""
    return config.cache_dir() / "results"


def clear_results() -> int:
    """Return the number of cached results deleted (the token cache is kept)."""
    folder = results_dir()
    count = sum(1 for _ in folder.rglob("*.pkl")) if folder.is_dir() else 0
    shutil.rmtree(folder, ignore_errors=True)
    return count


def memoized(func):
    """Return func with its results cached on disk (see the module docstring)."""
    return _caching(func, by_speech=False)


def memoized_by_speech(func):
    """Return func cached on disk whole and speech by speech (see _by_speech)."""
    return _caching(func, by_speech=True)


def _caching(func, by_speech: bool):
    """Return the wrapper of func that caches its results (and its speeches' rows if asked)."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(corpus, *args, **kwargs):
        key = _call_key(func, signature, corpus, args, kwargs)
        if key is None:
            return func(corpus, *args, **kwargs)
        folder = results_dir() / f"{func.__module__}.{func.__qualname__}"
        if not by_speech:
            return _cached(folder / f"{key}.pkl", lambda: func(corpus, *args, **kwargs), corpus)
        settings = _call_key(func, signature, corpus, args, kwargs, whole=False)
        parts = folder / f"parts-{settings}.pkl"
        return _cached(
            folder / f"{key}.pkl", lambda: _by_speech(func, corpus, args, kwargs, parts), corpus
        )

    return wrapper


def _by_speech(func, corpus, args, kwargs, path: Path):
    """Return func's table for the corpus, computing only the speeches not kept in path.

    For analyses whose rows for a speech depend on that speech alone (its row, its sections
    and its tokens), in speech order: adding one speech to ten thousand then costs one
    speech's work, not ten thousand.
    """
    import dataclasses

    import pandas as pd

    marks = speech_fingerprints(corpus)
    kept = read_parts(path, {"done": set(), "rows": None})
    todo = [m not in kept["done"] for m in marks]
    rows = kept["rows"]
    if any(todo):
        ids = corpus.speeches["speech_id"][todo]
        part = dataclasses.replace(
            corpus,
            speeches=corpus.speeches[todo].reset_index(drop=True),
            sections=corpus.sections[corpus.sections["speech_id"].isin(ids)],
        )
        fresh = func(part, *args, **kwargs)
        mark_of = dict(zip(ids, np.array(marks, dtype=object)[todo], strict=True))
        fresh = fresh.assign(_speech=fresh["speech_id"].map(mark_of))
        rows = fresh if rows is None else pd.concat([rows, fresh], ignore_index=True)
    order = {m: i for i, m in enumerate(marks)}
    rows = rows[rows["_speech"].isin(order)]
    rows = rows.iloc[np.argsort(rows["_speech"].map(order).to_numpy(), kind="stable")]
    if any(todo) or len(kept["done"]) != len(order):
        write_parts(path, {"done": set(marks), "rows": rows})
    return rows.drop(columns="_speech").reset_index(drop=True)


def part_store(corpus, func, extra=()) -> Path | None:
    """Return the file of func's parts kept for the corpus' settings, or None if not caching."""
    if os.environ.get(DISABLE_ENV, "") not in ("", "0") or len(corpus.speeches) < MIN_SPEECHES:
        return None
    name = f"{func.__module__}.{func.__qualname__}"
    payload = (name, settings_fingerprint(corpus, func), _plain(extra))
    key = hashlib.blake2b(repr(payload).encode(), digest_size=20).hexdigest()
    return results_dir() / name / f"parts-{key}.pkl"


def read_parts(path: Path, empty):
    """Return the parts kept in a file, or empty when there are none (or they are damaged)."""
    if path.is_file():
        try:
            found = _read_entry(path)["result"]
            _used(path)
            return found
        except Exception as err:  # damaged: every part is computed again
            warnings.warn(
                f"result cache entry {path} is damaged ({err}); computing it again",
                ResultCacheWarning,
                stacklevel=4,
            )
    return empty


def write_parts(path: Path, parts):
    """Store parts in a file atomically (warns, and goes on, if it cannot)."""
    _write_entry(path, {"result": parts, "warnings": []})
    _used(path)
    prune(path.parent)


def prune(folder: Path, keep: int | None = None, keep_parts: int | None = None) -> int:
    """Return how many files were deleted: all but an analysis's most recently used results."""
    keep = KEEP_RESULTS if keep is None else keep
    keep_parts = KEEP_PARTS if keep_parts is None else keep_parts
    removed = 0
    for is_parts, limit in ((False, keep), (True, keep_parts)):
        found = []
        for path in folder.glob("*.pkl"):
            if path.name.startswith("parts-") == is_parts:
                try:
                    found.append((path.stat().st_mtime_ns, path.name, path))
                except OSError:  # deleted meanwhile by another run
                    continue
        for *_, path in sorted(found, reverse=True)[limit:]:
            try:
                path.unlink(missing_ok=True)
                removed += 1
            except OSError:  # a read-only cache: it only grows
                pass
    return removed


def _used(path: Path):
    """Mark a cache file as just used (its time), so pruning keeps it."""
    now = time.time_ns()  # finer than the file system's own clock, which ticks in milliseconds
    try:
        os.utime(path, ns=(now, now))
    except OSError:  # a read-only cache still serves its entries
        pass


def _cached(path: Path, compute, corpus=None):
    """Return the result stored at path, else compute, store and return it.

    A result with for_cache() is stored in that form (without what the corpus already
    holds, such as its texts) and read back through its from_cache(corpus).
    """
    if path.is_file():
        try:
            entry = _read_entry(path)
        except Exception as err:  # any damage at all: the result can always be recomputed
            warnings.warn(
                f"result cache entry {path} is damaged ({err}); computing it again",
                ResultCacheWarning,
                stacklevel=3,
            )
        else:
            _used(path)
            _replay(entry["warnings"])
            found = entry["result"]
            return found.from_cache(corpus) if hasattr(found, "from_cache") else found
    try:
        with warnings.catch_warnings(record=True) as caught:
            # record every warning, so that a later cache hit can show the same ones
            warnings.simplefilter("always")
            result = compute()
    except BaseException:
        _replay([(w.category, str(w.message)) for w in caught])
        raise
    shown = [(_picklable(w.category), str(w.message)) for w in caught]
    stored = result.for_cache() if hasattr(result, "for_cache") else result
    _write_entry(path, {"result": stored, "warnings": shown})
    _used(path)
    prune(path.parent)
    _replay(shown)
    return result


def _replay(shown):
    """Warn again, at the analysis call in the analyst's code, with recorded warnings."""
    for category, message in shown:
        warnings.warn(message, category, stacklevel=4)


def _picklable(category):
    """Return a warning category that pickles by reference (UserWarning if it cannot)."""
    module = sys.modules.get(category.__module__)
    found = module
    for part in category.__qualname__.split("."):
        found = getattr(found, part, None)
    return category if found is category else UserWarning


def _read_entry(path: Path) -> dict:
    """Return the entry stored in a file; raise if it is damaged."""
    with open(path, "rb") as handle:
        head = handle.read(len(ENTRY_FORMAT) + _LENGTH.size)
        if not head.startswith(ENTRY_FORMAT) or len(head) < len(ENTRY_FORMAT) + _LENGTH.size:
            raise ValueError("not a result cache entry")
        (length,) = _LENGTH.unpack(head[len(ENTRY_FORMAT) :])
        if os.fstat(handle.fileno()).st_size != len(head) + length:
            raise ValueError("truncated")
        entry = pickle.load(handle)
    if not isinstance(entry, dict) or set(entry) != {"result", "warnings"}:
        raise ValueError("unexpected content")
    return entry


def _write_entry(path: Path, entry: dict):
    """Store an entry atomically (a temporary file, then os.replace); warn if it fails."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    except OSError as err:
        warnings.warn(
            f"cannot cache the result in {path.parent}: {err}", ResultCacheWarning, stacklevel=4
        )
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(ENTRY_FORMAT + _LENGTH.pack(0))
            pickle.dump(entry, handle, protocol=pickle.HIGHEST_PROTOCOL)
            length = handle.tell() - len(ENTRY_FORMAT) - _LENGTH.size
            handle.seek(len(ENTRY_FORMAT))
            handle.write(_LENGTH.pack(length))
        os.replace(tmp, path)
    except Exception as err:  # unpicklable result, full disk ...: the result is still good
        os.unlink(tmp)
        warnings.warn(f"cannot cache the result in {path}: {err}", ResultCacheWarning, stacklevel=4)
