"""The corpus layer: load_corpus() and the Corpus tables."""

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

SPEECH_COLUMNS = [
    "speech_id", "source", "part", "title", "speaker", "date", "published",
    "occasion", "level", "place", "text", "n_chars", "duplicate_of",
]
SECTION_COLUMNS = ["speech_id", "level", "label", "heading", "start", "end"]
REMOVED_COLUMNS = ["source", "kind", "text"]
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


def load_corpus(path=None, metadata=None) -> Corpus:
    """Return the Corpus read from a folder (recursively) or a single file."""
    raise NotImplementedError("load_corpus is being written (corpus layer)")
