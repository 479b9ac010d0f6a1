"""The corpus layer: load_corpus() and the Corpus tables."""

import hashlib
import json
import math
import os
import pickle
import re
import shutil
import sys
import time
import unicodedata
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from importlib import metadata as importlib_metadata
from multiprocessing import get_context
from pathlib import Path

import pandas as pd

from jianghua import config
from jianghua.read_archive import ARCHIVE_SUFFIXES

SPEECH_COLUMNS = [
    "speech_id",
    "source",
    "part",
    "title",
    "speaker",
    "role",
    "date",
    "published",
    "occasion",
    "level",
    "place",
    "text",
    "n_chars",
    "duplicate_of",
    "date_precision",
]
SECTION_COLUMNS = ["speech_id", "level", "label", "heading", "start", "end"]
REMOVED_COLUMNS = ["source", "speech_id", "kind", "text"]
PROBLEM_COLUMNS = ["source", "severity", "message"]


def _empty(columns):
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


@dataclass
class Corpus:
    """Tables describing a corpus of speeches; derived results are computed by functions."""

    speeches: pd.DataFrame
    sections: pd.DataFrame = field(default_factory=lambda: _empty(SECTION_COLUMNS))
    removed: pd.DataFrame = field(default_factory=lambda: _empty(REMOVED_COLUMNS))
    problems: pd.DataFrame = field(default_factory=lambda: _empty(PROBLEM_COLUMNS))
    root: Path | None = None

    @classmethod
    def from_texts(cls, texts: dict, **columns) -> "Corpus":
        """Return a Corpus built from {speech_id: text}, for fixtures and quick experiments."""
        ids = list(texts)
        df = pd.DataFrame({"speech_id": ids, "source": ids, "part": 1})
        for name in SPEECH_COLUMNS[3:]:
            df[name] = pd.NA
        df["text"] = pd.Series([texts[i] for i in ids], dtype="object")  # object even when empty
        df["n_chars"] = df["text"].str.len().astype("int64")
        df["date"] = pd.to_datetime(df["date"])
        df["published"] = pd.to_datetime(df["published"])
        for name, values in columns.items():
            df[name] = values
        if "date_precision" not in columns:
            df["date_precision"] = df["date"].notna().map({True: "day", False: pd.NA})
        return cls(speeches=df[SPEECH_COLUMNS + [c for c in df if c not in SPEECH_COLUMNS]])

    def __len__(self):
        return len(self.speeches)

    def __repr__(self):
        text = (
            f"Corpus({len(self.speeches)} speeches, {len(self.sections)} sections, "
            f"{len(self.removed)} removals, {len(self.problems)} problems)"
        )
        if self.speeches.empty:
            # the first thing a notebook shows: say why every analysis below will be skipped
            text += "\nNo speech was read: nothing to analyse (corpus.problems says why)."
        return text


MIN_SPEECH_CHARS = 50
# removals that tell the metadata step when a speech was published
CONTEXT_KINDS = {"publish line", "cover", "cover notice"}
_HAN = re.compile(r"[\u3400-\u9fff]")

# Bump when the way one file becomes rows changes in a way the code hash below cannot see
# (it renames the per-file cache folder, so old entries are never read again).
CACHE_VERSION = 1
CACHE_FORMAT = b"JHDOC1\n"
# Versions of the per-file cache kept (the most recently used): each code or settings change
# starts a new one, and the old ones are only read again if the change is undone.
KEEP_VERSIONS = 3
_VERSION_NAME = re.compile(r"[0-9a-f]{20}")
# Enough uncached files to be worth starting worker processes for.
POOL_MIN_FILES = 200
# the modules whose code turns one file's bytes into rows, and the libraries they read with
_FILE_MODULES = (
    "read",
    "read_text",
    "read_web",
    "read_word",
    "read_doc",
    "read_pdf",
    "read_rtf",
    "read_odt",
    "read_archive",
    "normalize",
    "clean",
    "split",
    "metadata",
    "structure",
    "corpus",
)
_CACHE_PACKAGES = (
    "jianghua",
    "charset-normalizer",
    "trafilatura",
    "lxml",
    "python-docx",
    "olefile",
    "pypdf",
    "opencc-purepy",
    "pandas",
)


def load_corpus(path=None, metadata=None, cache=True, workers=None) -> Corpus:
    """Return the Corpus read from a folder (recursively) or a single file.

    Each file's rows are kept in a cache under config.cache_dir()/corpus/, keyed by the file's
    bytes, so a rerun only reads files that changed; cache=False reads everything afresh.
    Many uncached files are read in worker processes (workers: how many; default all cores).
    """
    from jianghua import read
    from jianghua.clean import load_clutter
    from jianghua.metadata import load_rules

    root = config.corpus_dir(path)
    files, problems = read.list_files(root)
    folder = root if root.is_dir() else root.parent
    setup = {"patterns": load_clutter(folder), "rules": load_rules(folder)}
    sources = [read.source_name(f, root) for f in files]
    stems = _id_stems(sources)
    jobs = [(file, source, stems[source]) for file, source in zip(files, sources, strict=True)]
    store = DocumentCache(setup) if cache else None
    speeches, sections, removed = [], [], []
    for found in _load_files(jobs, setup, store, workers):
        for table, rows in zip((speeches, sections, removed, problems), found, strict=True):
            table.extend(rows)
    if store is not None:
        store.prune()
    corpus = _assemble(speeches, sections, removed, problems, root)
    _mark_duplicates(corpus.speeches, cache)
    corpus = _apply_metadata_csv(corpus, folder, metadata)
    extra = _analyst_file_problems(folder) + _nothing_read(corpus, root, len(files))
    if extra:
        corpus.problems = pd.concat([corpus.problems, pd.DataFrame(extra)], ignore_index=True)
    return corpus


def _nothing_read(corpus: Corpus, root: Path, n_files: int) -> list[dict]:
    """Return a problem row when no speech was read, saying whether any file was found."""
    if len(corpus.speeches) or (n_files == 0 and not root.exists()):
        return []  # a missing folder is already reported by list_files
    if n_files == 0:
        why = f"no speech files (.txt, .html, .mht, .docx ...) found in {root}"
    else:
        why = f"none of the {n_files} files gave a speech (see the problems above)"
    return [_problem(root.name or str(root), "error", f"{why}: nothing to analyse")]


def _analyst_file_problems(folder: Path) -> list[dict]:
    """Return a problem row for each warning or error met reading the analyst's word files."""
    from jianghua.segment import read_userdict
    from jianghua.themes import ThemeFileError, load_themes
    from jianghua.tokens import analyst_stopword_files, read_stopwords

    checks = [(p, read_stopwords) for p in analyst_stopword_files(folder)]
    checks += [
        (folder / n, f) for n, f in (("userdict.txt", read_userdict), ("themes.yaml", load_themes))
    ]
    problems = []
    for path, read in checks:
        if not path.is_file():
            continue
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            try:
                read(path)
            except ThemeFileError as exc:
                why = f"{exc}; the shipped themes are used instead"
                problems.append(_problem(path.name, "error", why))
        problems += [_problem(path.name, "warning", str(w.message)) for w in seen]
    return problems


def _id_stems(sources: list[str]) -> dict:
    """Return source -> id stem: the file stem, with its folder when two files share a stem."""
    stem = {s: Path(s).stem for s in sources}
    counts = Counter(stem.values())
    out = {
        s: (stem[s] if counts[stem[s]] == 1 else Path(s).with_suffix("").as_posix())
        for s in sources
    }
    clashes = Counter(out.values())
    return {s: (out[s] if clashes[out[s]] == 1 else s) for s in sources}


def _problem(source: str, severity: str, message: str) -> dict:
    """Return one problems row."""
    return {"source": source, "severity": severity, "message": message}


# ---------------------------------------------------------------- reading files, cached


class DocumentCache:
    """Per-file rows under cache_dir()/corpus/<version>/, one pickle per file, written atomically.

    The version covers everything besides the file that shapes its rows (the clutter patterns
    and metadata rules in effect, the code, the libraries), so an entry is only ever reused
    for the same bytes, at the same source path and id stem, read the same way.
    """

    def __init__(self, setup: dict, root=None):
        self.root = Path(root or config.cache_dir()) / "corpus" / cache_version(setup)
        self.failed = False

    def key(self, file, source: str, stem: str) -> str | None:
        """Return the cache key of a file (None when its bytes cannot be read)."""
        try:
            data = Path(file).read_bytes()
        except OSError:
            return None  # read_document reports why, and that report is not cached
        digest = hashlib.blake2b(data, digest_size=16)
        # source and stem end up in the rows, so the same bytes elsewhere are another entry
        for name in (source, stem):
            digest.update(b"\0" + name.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def path(self, key: str) -> Path:
        """Return the file of a cache key."""
        return self.root / key[:2] / f"{key}.pkl"

    def get(self, key: str):
        """Return the cached (speeches, sections, removed, problems) rows, else None."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            warnings.warn(
                f"corpus cache entry {path} unreadable ({err}); reading the file again",
                stacklevel=4,  # point at the caller of load_corpus
            )
            return None
        try:
            found = _decode_entry(data)
            if not _is_rows(found):
                raise ValueError("unexpected contents")
            return found
        except Exception as err:  # damaged on disk: never trusted, the file is read again
            warnings.warn(
                f"corpus cache entry {path} is damaged ({err}); reading the file again",
                stacklevel=4,  # point at the caller of load_corpus
            )
            return None

    def prune(self, keep: int | None = None) -> int:
        """Return how many folders of other versions were deleted: all but the last used."""
        keep = KEEP_VERSIONS if keep is None else keep
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            now = time.time_ns()  # this version was just used
            os.utime(self.root, ns=(now, now))
            found = [
                (p.stat().st_mtime_ns, p.name, p)
                for p in self.root.parent.iterdir()
                if p.is_dir() and _VERSION_NAME.fullmatch(p.name)
            ]
        except OSError:  # a read-only or vanished cache: nothing to tidy
            return 0
        old = sorted(found, reverse=True)[keep:]
        for *_, path in old:
            shutil.rmtree(path, ignore_errors=True)
        return len(old)

    def put(self, key: str, found: tuple) -> None:
        """Write an entry atomically; a cache that cannot be written only costs speed."""
        from jianghua.cache_files import atomic_write

        try:
            atomic_write(self.path(key), _encode_entry(found))
        except OSError as err:
            if not self.failed:  # say it once, not once per file
                warnings.warn(f"corpus cache not written under {self.root}: {err}", stacklevel=2)
            self.failed = True


def _decode_entry(data: bytes):
    """Return the object stored in a cache entry; raise ValueError if it is damaged."""
    head = len(CACHE_FORMAT) + 16
    if not data.startswith(CACHE_FORMAT) or len(data) <= head:
        raise ValueError(f"not a {CACHE_FORMAT!r} entry, or cut short")
    body = memoryview(data)[head:]  # not a copy: the duplicate check's index is ~100 MB
    if hashlib.blake2b(body, digest_size=16).digest() != data[len(CACHE_FORMAT) : head]:
        raise ValueError("checksum mismatch")
    return pickle.loads(body)


def _encode_entry(value) -> bytes:
    """Return the bytes of a cache entry: format tag, checksum of the pickle, the pickle."""
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return CACHE_FORMAT + hashlib.blake2b(body, digest_size=16).digest() + body


def _is_rows(found) -> bool:
    """Return True for a (speeches, sections, removed, problems) tuple of row lists."""
    return isinstance(found, tuple) and len(found) == 4 and all(isinstance(t, list) for t in found)


def cache_version(setup: dict) -> str:
    """Return a short hash of everything besides the file itself that shapes a file's rows."""
    from jianghua.metadata import Rules

    rules = {f.name: getattr(setup["rules"], f.name) for f in fields(Rules) if f.compare}
    payload = {
        "version": CACHE_VERSION,
        "format": CACHE_FORMAT.decode(),
        "python": list(sys.version_info[:2]),
        "unicode": unicodedata.unidata_version,
        "packages": _package_versions(),
        "code": _code_hash(),
        # the pattern's origin (which yaml file) is not in the rows: moving a corpus keeps hits
        "patterns": [(p.kind, p.scope, p.regex.pattern, p.regex.flags) for p in setup["patterns"]],
        "rules": _canonical(rules),
    }
    text = json.dumps(payload, ensure_ascii=False, default=repr)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()


def _package_versions() -> dict:
    """Return {distribution: version} of this package and the libraries that read files."""
    found = {}
    for name in _CACHE_PACKAGES:
        try:
            found[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            found[name] = None
    return found


def _code_hash() -> str:
    """Return a hash of the source of the modules that turn one file into rows."""
    # an editable install keeps its version number while the code changes under it
    digest = hashlib.blake2b(digest_size=16)
    for name in _FILE_MODULES:
        path = config.PACKAGE_DIR / f"{name}.py"
        digest.update(path.read_bytes() if path.is_file() else b"-")
    return digest.hexdigest()


def _canonical(value):
    """Return a JSON-able form of nested rules in which equal rules look the same."""
    if isinstance(value, dict):
        # insertion order is kept: rules are tried in the order they are written
        return [[_canonical(k), _canonical(v)] for k, v in value.items()]
    if isinstance(value, set | frozenset):
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, re.Pattern):
        return [value.pattern, value.flags]
    return value if isinstance(value, str | int | float | bool | None) else repr(value)


def _load_files(jobs: list, setup: dict, store, workers=None) -> list:
    """Return each (file, source, stem) job's (speeches, sections, removed, problems) rows."""
    from jianghua.progress import progress

    found, todo = [None] * len(jobs), []
    if store is None:
        todo = [(i, None) for i in range(len(jobs))]
    else:
        for i, job in enumerate(progress(jobs, desc="checking cache")):
            key = store.key(*job)
            found[i] = store.get(key) if key else None
            if found[i] is None:
                todo.append((i, key))
    work = [(*jobs[i], key) for i, key in todo]
    for (i, _), rows in zip(todo, _read_many(work, setup, store, workers), strict=True):
        found[i] = rows
    return found


def _read_many(work: list, setup: dict, store, workers=None) -> list:
    """Return the rows of each (file, source, stem, key), in worker processes when many."""
    from jianghua.progress import progress

    if workers is None:
        affinity = getattr(os, "sched_getaffinity", None)  # the cores this process may use
        workers = len(affinity(0)) if affinity else os.cpu_count() or 1
    if workers <= 1 or len(work) < POOL_MIN_FILES:
        return [_read_one(item, setup, store) for item in progress(work, desc="reading")]
    # many small ordered batches: workers stay busy to the end, and pool.map keeps the order
    size = max(1, math.ceil(len(work) / (workers * 32)))
    batches = [work[i : i + size] for i in range(0, len(work), size)]
    # fork on Linux: workers start at once and a script without a __main__ guard still works;
    # elsewhere fork is unsafe, and spawn needs that guard in analysts' scripts
    context = get_context("fork" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(setup, store)
    ) as pool:
        rows = (r for batch in pool.map(_read_batch, batches) for r in batch)
        return list(progress(rows, total=len(work), desc="reading"))


_WORKER = {}  # the setup and cache of a worker process, set by _init_worker


def _init_worker(setup: dict, store) -> None:
    """Keep the setup and the cache in a worker process (a pool initializer)."""
    _WORKER.update(setup=setup, store=store)


def _read_batch(batch: list) -> list:
    """Return the rows of each (file, source, stem, key) of a batch, inside a worker."""
    return [_read_one(item, _WORKER["setup"], _WORKER["store"]) for item in batch]


def _read_one(item: tuple, setup: dict, store) -> tuple:
    """Return (speeches, sections, removed, problems) rows of one file, and cache them."""
    from jianghua import read

    file, source, stem, key = item
    try:
        if Path(file).suffix.lower() in ARCHIVE_SUFFIXES:
            found = _read_archive(read.read_bytes(file), source, stem, setup)
        else:
            found = _rows_of(read.read_document(file), source, stem, setup)
    except read.ReadError as err:
        found = ([], [], [], [_problem(source, "error", str(err))])
    if store is not None and key is not None:
        store.put(key, found)
    return found


def _rows_of(document, source: str, stem: str, setup: dict) -> tuple:
    """Return the rows of one read Document, its reading notes first among the problems."""
    found = tuple(_load_document(document.text, source, stem, setup))
    # how the file was read (bytes replaced, a .doc that is really .docx) comes first
    found[3][:0] = [_problem(source, "warning", note) for note in document.notes]
    return found


def _read_archive(data: bytes, source: str, stem: str, setup: dict) -> tuple:
    """Return the rows of every speech file inside a .zip, each member read like a file."""
    from jianghua import read
    from jianghua.read_archive import zip_members

    members = zip_members(data, skip=read.skipped_name)
    stems = _id_stems([m.name for m in members])
    rows = ([], [], [], [])
    for member in members:
        name = f"{source}/{member.name}"
        try:
            if member.error:
                raise read.ReadError(member.error)
            document = read.document_from_bytes(member.data, Path(member.name).suffix.lower())
            found = _rows_of(document, name, f"{stem}/{stems[member.name]}", setup)
        except read.ReadError as err:
            found = ([], [], [], [_problem(name, "error", str(err))])
        for table, more in zip(rows, found, strict=True):
            table.extend(more)
    if not rows[0] and not rows[3]:
        rows[3].append(_problem(source, "error", "no speech files inside the .zip"))
    return rows


def _load_document(text: str, source: str, stem: str, setup: dict) -> tuple:
    """Return (speech rows, section rows, removed rows, problem rows) for one file's text."""
    from jianghua.clean import clean_text
    from jianghua.normalize import normalize_text
    from jianghua.split import split_document

    damaged = text.count("\ufffd")  # normalize drops these and notes how many
    text, notes = normalize_text(text)
    problems = [_problem(source, "warning", note) for note in notes]
    cleaned, cleanings = clean_text(text, setup["patterns"])
    parts = split_document(cleaned, setup["patterns"])
    owner = [_part_at(parts, row["offset"]) for row in cleanings]
    speeches, sections, removed = [], [], []
    for n, part in enumerate(parts, 1):
        mine = [row for row, o in zip(cleanings, owner, strict=True) if o == n - 1]
        # lines removed above the first part (a site header) describe every part
        shared = [
            r
            for r, o in zip(cleanings, owner, strict=True)
            if o == 0 and n > 1 and r["offset"] <= parts[0].start and r["kind"] in CONTEXT_KINDS
        ]
        found = _load_part(part, mine + part.removed, shared, (source, f"{stem}-{n}"), setup)
        speech, secs, rows, issues = found
        where = f"part {n}: " if len(parts) > 1 else ""
        problems += [_problem(source, sev, where + msg) for sev, msg in issues]
        removed += [{"source": source, **row} for row in rows]
        if speech is not None:
            speeches.append({"source": source, "part": n, **speech})
            sections += secs
    owner_id = speeches[0]["speech_id"] if len(parts) == 1 and speeches else pd.NA
    removed += [_replacement(source, owner_id)] * damaged
    return speeches, sections, removed, problems


def _replacement(source: str, speech_id) -> dict:
    """Return the removed row for one U+FFFD replacement character dropped by normalize."""
    return {
        "source": source,
        "speech_id": speech_id,
        "kind": "replacement character",
        "text": "\ufffd",
    }


def _part_at(parts: list, offset: int) -> int:
    """Return the index of the part that holds a cleaned-text offset."""
    index = 0
    for i, part in enumerate(parts):
        if part.start <= offset:
            index = i
    return index


def _load_part(part, removals: list, shared: list, names: tuple, setup: dict) -> tuple:
    """Return (speech row or None, section rows, removed rows, [(severity, message)])."""
    from jianghua.metadata import extract_metadata, split_header, split_lead, split_signature
    from jianghua.structure import sections_and_warnings

    source, speech_id = names
    header, offset = split_header(part.text, setup["rules"])
    body = part.text[offset:].strip()
    rows = [{"speech_id": speech_id, "kind": r["kind"], "text": r["text"]} for r in removals]
    rows += [{"speech_id": speech_id, "kind": "header", "text": line} for line in header]
    letters = len(_HAN.findall(body))
    if letters < MIN_SPEECH_CHARS:
        reason = "no Chinese text" if not letters else f"only {letters} Chinese characters"
        for row in rows:
            row["speech_id"] = pd.NA
        return None, [], rows, [("warning", f"{reason}: not loaded as a speech")]
    dating = [r for r in shared + removals if r["kind"] in CONTEXT_KINDS]
    # lines removed after the part's last line: a written speech's signature date
    closing = [r["text"] for r in dating if r.get("offset", -1) >= part.end]
    context = [r["text"] for r in dating if r.get("offset", -1) < part.end]
    meta = extract_metadata(header, body, context, setup["rules"], closing, Path(source).stem)
    # a reporter's lead and the signature block (中共某某区委 / 2019年3月15日) told who spoke
    # and when, but are not the speech's words
    body, lead, heading = split_lead(body, setup["rules"])
    body, signature = split_signature(body, setup["rules"])
    for kind, lines in (("news lead", lead), ("header", heading), ("signature", signature)):
        rows += [{"speech_id": speech_id, "kind": kind, "text": line} for line in lines]
    found, warnings = sections_and_warnings(body)
    issues = [("warning", message) for message in warnings]
    secs = [{"speech_id": speech_id, **{k: s[k] for k in SECTION_COLUMNS[1:]}} for s in found]
    speech = {"speech_id": speech_id, **meta, "text": body, "n_chars": len(body)}
    return speech, secs, rows, issues


def _assemble(speeches, sections, removed, problems, root) -> Corpus:
    """Return the Corpus with typed, sorted tables."""
    df = pd.DataFrame(speeches, columns=SPEECH_COLUMNS)
    for name in ("date", "published"):
        df[name] = pd.to_datetime(df[name])
    text = ("title", "speaker", "role", "occasion", "level", "place", "duplicate_of")
    for name in (*text, "date_precision"):
        df[name] = _with_na(df[name])
    df["n_chars"] = df["n_chars"].astype("int64")
    df["part"] = df["part"].astype("int64")
    df = df.sort_values(["source", "part"], kind="stable").reset_index(drop=True)
    secs = pd.DataFrame(sections, columns=SECTION_COLUMNS)
    for name in ("level", "start", "end"):
        secs[name] = secs[name].astype("int64")
    rem = pd.DataFrame(removed, columns=REMOVED_COLUMNS)
    probs = pd.DataFrame(problems, columns=PROBLEM_COLUMNS)
    probs = probs.sort_values(["source"], kind="stable").reset_index(drop=True)
    return Corpus(speeches=df, sections=secs, removed=rem, problems=probs, root=Path(root))


def _mark_duplicates(speeches: pd.DataFrame, cache: bool = True) -> None:
    """Fill speeches.duplicate_of with the id of the speech each copy is contained in."""
    from jianghua import memo
    from jianghua.cache_files import atomic_write, text_hashes
    from jianghua.duplicates import find_duplicates

    texts = dict(zip(speeches["speech_id"], speeches["text"], strict=True))
    digests = dict(zip(texts, text_hashes(list(texts.values())), strict=True))
    # comparing every speech with every other is the slow part of an unchanged rerun, and its
    # answer depends only on the ids and texts in order: keep it for the same ids and texts
    path = _duplicates_path(digests) if cache else None
    found = None
    if path is not None and path.is_file():
        try:
            found = _decode_entry(path.read_bytes())
        except Exception as err:  # damaged: compared again
            warnings.warn(f"corpus cache entry {path} is damaged ({err})", stacklevel=3)
    if not isinstance(found, dict):
        # a few hundred speeches are compared in no time; keeping no index for them also keeps
        # a quick look at a small corpus from replacing the index of the big one
        indexed = cache and len(texts) >= memo.MIN_SPEECHES
        found = _indexed_duplicates(texts, digests) if indexed else find_duplicates(texts)
        if path is not None:
            try:
                atomic_write(path, _encode_entry(found))
            except OSError as err:
                warnings.warn(f"corpus cache not written: {err}", stacklevel=3)
    speeches["duplicate_of"] = _with_na(speeches["speech_id"].map(found))


def _indexed_duplicates(texts: dict, digests: dict) -> dict:
    """Return find_duplicates' answer, comparing only the texts changed since the last run."""
    from jianghua.cache_files import atomic_write
    from jianghua.duplicates import update_duplicates
    from jianghua.fingerprint_index import read_state, write_state

    # adding one speech to ten thousand must not compare the other ten thousand again: the
    # k-gram index and the pairs found are kept, keyed by id and text, not corpus position
    key = _duplicates_settings().hexdigest()
    path = config.cache_dir() / "corpus" / "duplicates" / f"index-{key}.pkl"
    try:
        kept = read_state(path, lambda part: _decode_entry(part.read_bytes()))
        if kept is not None:
            kept.check()
    except Exception as err:  # damaged: every text is compared again
        warnings.warn(f"corpus cache entry {path} is damaged ({err})", stacklevel=4)
        kept = None
    found, state, _ = update_duplicates(texts, list(digests.items()), kept)
    if state is not None and state is not kept:
        try:
            write_state(path, state, lambda part, value: atomic_write(part, _encode_entry(value)))
        except OSError as err:
            warnings.warn(f"corpus cache not written: {err}", stacklevel=4)
        if kept is None:
            _drop_other_indexes(path.parent, key)
    return found


def _drop_other_indexes(folder: Path, key: str) -> None:
    """Delete the duplicate indexes of other settings or code, and older fingerprint files."""
    # each of them is as large as the corpus's k-grams (90 MB for 10,000 speeches), and a
    # new version of the code starts an index of its own: the old ones would only pile up
    for old in [*folder.glob("index-*.pkl"), *folder.glob("fingerprints-*.pkl")]:
        if not old.name.startswith(f"index-{key}"):
            try:
                old.unlink(missing_ok=True)
            except OSError:  # a read-only cache: it only grows
                pass


def _duplicates_settings():
    """Return a hash object seeded with the duplicate check's settings and code."""
    from jianghua import duplicates, fingerprint_index

    digest = hashlib.blake2b(digest_size=16)
    settings = [duplicates.K, duplicates.THRESHOLD, duplicates.SAMPLE, duplicates.MAX_DF]
    settings += [duplicates.MIN_SHINGLES, CACHE_VERSION, importlib_metadata.version("numpy")]
    digest.update(repr(settings).encode() + Path(duplicates.__file__).read_bytes())
    digest.update(Path(fingerprint_index.__file__).read_bytes())
    return digest


def _duplicates_path(digests: dict) -> Path:
    """Return the cache file of find_duplicates' answer for these ids and text hashes."""
    digest = _duplicates_settings()
    for speech_id, text_digest in digests.items():
        data = str(speech_id).encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little") + data + text_digest.encode())
    key = digest.hexdigest()
    return config.cache_dir() / "corpus" / "duplicates" / key[:2] / f"{key}.pkl"


def _with_na(column: pd.Series) -> pd.Series:
    """Return a text column as object dtype with pd.NA (not NaN or None) for missing values."""
    column = column.astype("object")
    return column.where(column.notna(), pd.NA)


def _apply_metadata_csv(corpus: Corpus, folder: Path, metadata) -> Corpus:
    """Return the corpus with metadata.csv corrections applied and their problems reported."""
    csv = Path(metadata) if metadata is not None else folder / "metadata.csv"
    if metadata is None and not csv.is_file():
        return corpus
    from jianghua.metadata import apply_overrides

    speeches, issues = apply_overrides(corpus.speeches, csv)
    extra = pd.DataFrame(list(issues), columns=PROBLEM_COLUMNS)
    corpus.speeches = speeches
    corpus.problems = pd.concat([corpus.problems, extra], ignore_index=True)
    return corpus


def cleaning_audit(corpus: Corpus) -> pd.DataFrame:
    """Return one row per file: how many removals of each kind, and characters removed."""
    removed = corpus.removed.assign(chars=corpus.removed.text.str.len())
    counts = removed.pivot_table(
        index="source", columns="kind", values="text", aggfunc="count", fill_value=0
    )
    counts["chars removed"] = removed.groupby("source")["chars"].sum()
    return counts.reset_index().rename_axis(columns=None)


def speech_outlines(corpus: Corpus, max_level: int = 2, n: int | None = 50) -> str:
    """Return the section outline of the first n speeches (None: all), each under its id."""
    from jianghua.structure import outline

    speeches = corpus.speeches if n is None else corpus.speeches.head(n)
    by_speech = dict(tuple(corpus.sections.groupby("speech_id", sort=False)))
    empty = corpus.sections.iloc[:0]
    blocks = []
    for row in speeches.itertuples():
        title = "" if pd.isna(row.title) else f"  {row.title}"
        body = outline(by_speech.get(row.speech_id, empty), max_level=max_level)
        blocks.append(f"{row.speech_id}{title}\n{body or '  (no headings)'}")
    if len(speeches) < len(corpus.speeches):
        more = len(corpus.speeches) - len(speeches)
        blocks.append(f"… and {more} more speeches: speech_outlines(corpus, n=None) shows all")
    return "\n\n".join(blocks)


def first_speeches(corpus: Corpus, n: int) -> list:
    """Return the ids of the first n speeches, saying so when the corpus holds more."""
    ids = list(corpus.speeches["speech_id"])
    if len(ids) > n:
        print(
            f"Per-speech charts: the first {n} of {len(ids)} speeches. Raise max_speeches, "
            "or filter corpus.speeches, to see others."
        )
    return ids[:n]
