"""The corpus layer: load_corpus() and the Corpus tables."""

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from jianghua import config

SPEECH_COLUMNS = [
    "speech_id",
    "source",
    "part",
    "title",
    "speaker",
    "date",
    "published",
    "occasion",
    "level",
    "place",
    "text",
    "n_chars",
    "duplicate_of",
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
        df["text"] = [texts[i] for i in ids]
        df["n_chars"] = df["text"].str.len()
        df["date"] = pd.to_datetime(df["date"])
        df["published"] = pd.to_datetime(df["published"])
        for name, values in columns.items():
            df[name] = values
        return cls(speeches=df[SPEECH_COLUMNS + [c for c in df if c not in SPEECH_COLUMNS]])

    def __len__(self):
        return len(self.speeches)

    def __repr__(self):
        return (
            f"Corpus({len(self.speeches)} speeches, {len(self.sections)} sections, "
            f"{len(self.removed)} removals, {len(self.problems)} problems)"
        )


MIN_SPEECH_CHARS = 50
# removals that tell the metadata step when a speech was published
CONTEXT_KINDS = {"publish line", "cover"}
_HAN = re.compile(r"[\u3400-\u9fff]")


def load_corpus(path=None, metadata=None) -> Corpus:
    """Return the Corpus read from a folder (recursively) or a single file."""
    from jianghua import read
    from jianghua.clean import load_clutter
    from jianghua.metadata import load_rules
    from jianghua.progress import progress

    root = config.corpus_dir(path)
    files, problems = read.list_files(root)
    folder = root if root.is_dir() else root.parent
    setup = {"patterns": load_clutter(folder), "rules": load_rules(folder)}
    sources = [read.source_name(f, root) for f in files]
    stems = _id_stems(sources)
    speeches, sections, removed = [], [], []
    for file, source in progress(list(zip(files, sources, strict=True)), desc="reading"):
        try:
            document = read.read_document(file)
        except read.ReadError as err:
            problems.append(_problem(source, "error", str(err)))
            continue
        found = _load_document(document.text, source, stems[source], setup)
        for table, rows in zip((speeches, sections, removed, problems), found, strict=True):
            table.extend(rows)
    corpus = _assemble(speeches, sections, removed, problems, root)
    _mark_duplicates(corpus.speeches)
    return _apply_metadata_csv(corpus, folder, metadata)


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
        found = _load_part(part, mine + part.removed, shared, f"{stem}-{n}", setup)
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


def _load_part(part, removals: list, shared: list, speech_id: str, setup: dict) -> tuple:
    """Return (speech row or None, section rows, removed rows, [(severity, message)])."""
    from jianghua.metadata import extract_metadata, split_header
    from jianghua.structure import check_structure, find_sections

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
    context = [r["text"] for r in shared + removals if r["kind"] in CONTEXT_KINDS]
    meta = extract_metadata(header, body, context, setup["rules"])
    found = find_sections(body)
    issues = [("warning", message) for message in check_structure(body, found)]
    secs = [{"speech_id": speech_id, **{k: s[k] for k in SECTION_COLUMNS[1:]}} for s in found]
    speech = {"speech_id": speech_id, **meta, "text": body, "n_chars": len(body)}
    return speech, secs, rows, issues


def _assemble(speeches, sections, removed, problems, root) -> Corpus:
    """Return the Corpus with typed, sorted tables."""
    df = pd.DataFrame(speeches, columns=SPEECH_COLUMNS)
    for name in ("date", "published"):
        df[name] = pd.to_datetime(df[name])
    for name in ("title", "speaker", "occasion", "level", "place", "duplicate_of"):
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


def _mark_duplicates(speeches: pd.DataFrame) -> None:
    """Fill speeches.duplicate_of with the id of the speech each copy is contained in."""
    from jianghua.duplicates import find_duplicates

    found = find_duplicates(dict(zip(speeches["speech_id"], speeches["text"], strict=True)))
    speeches["duplicate_of"] = _with_na(speeches["speech_id"].map(found))


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


def speech_outlines(corpus: Corpus, max_level: int = 2) -> str:
    """Return the section outline of every speech, each under its id and title."""
    from jianghua.structure import outline

    blocks = []
    for row in corpus.speeches.itertuples():
        sections = corpus.sections[corpus.sections.speech_id == row.speech_id]
        title = "" if pd.isna(row.title) else f"  {row.title}"
        body = outline(sections, max_level=max_level) or "  (no headings)"
        blocks.append(f"{row.speech_id}{title}\n{body}")
    return "\n\n".join(blocks)
