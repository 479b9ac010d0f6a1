"""Notebook steps that say why an analysis cannot be done on this corpus, instead of failing.

A library function raises NotEnoughData when the corpus cannot support an analysis (no
speeches, one group where a comparison needs two, no term to draw). A notebook wraps each
analysis in `with jh.step("..."):`; the step prints the reason and the notebook goes on. Under
the main job (JIANGHUA_NOTEBOOK set) the reason is also recorded for the run summary.
"""

import contextlib
import json
import os

from jianghua import config

SKIPPED_FILE = "skipped.jsonl"


class NotEnoughData(ValueError):
    """The corpus cannot support an analysis; the message says what is missing."""


class TooMuchData(NotEnoughData):
    """The analysis would be too large to hold or to read; the message says what to use."""


@contextlib.contextmanager
def step(what: str, figures_dir=None):
    """Yield to an analysis; a NotEnoughData inside it is reported and swallowed."""
    try:
        yield
    except NotEnoughData as exc:
        reason = str(exc)
        print(f"⚠ {what}: not done: {reason}")
        _record(what, reason, figures_dir)


def _record(what: str, reason: str, figures_dir=None) -> None:
    """Append a skipped step to the figures folder's log, only when the main job runs."""
    notebook = os.environ.get("JIANGHUA_NOTEBOOK")
    if not notebook:
        return  # an interactive session sees the message; nothing to collect
    folder = config.figures_dir(figures_dir)
    folder.mkdir(parents=True, exist_ok=True)
    row = {"notebook": notebook, "step": what, "reason": reason}
    with open(folder / SKIPPED_FILE, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_skipped(figures_dir=None) -> list[dict]:
    """Return the steps recorded as not done, in the order the notebooks ran them."""
    path = config.figures_dir(figures_dir) / SKIPPED_FILE
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def clear_skipped(figures_dir=None) -> None:
    """Delete the log of skipped steps, so a new run starts from nothing."""
    (config.figures_dir(figures_dir) / SKIPPED_FILE).unlink(missing_ok=True)
