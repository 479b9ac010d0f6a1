"""Rhetoric measures: directive density, enumerations (一是/二是…) and parallelism (排比).

Directives are counted on the text with explicit exclusion words (data/directives.txt explains
why); enumerations and parallel runs are found with patterns and listed item by item, so every
count can be read back in the speech.
"""

import re
from pathlib import Path

import pandas as pd

from jianghua import config
from jianghua.memo import memoized
from jianghua.read_text import read_analyst_text

NUMERALS = "一二三四五六七八九十"
BOUNDARY = r"(?:^|(?<=[\n。；;：:！？!?，,]))"
MAX_GAP = 3000  # chars allowed between two items of one enumeration
SENTENCE_BREAKS = "。；;！？!?\n"
CLAUSE_BREAKS = SENTENCE_BREAKS + "，,"
ITEM_END = re.compile(r"[。；;！？!?\n]")
ENUM_STYLES = {
    "是": re.compile(BOUNDARY + rf"([{NUMERALS}]{{1,3}})是"),
    "要": re.compile(BOUNDARY + rf"([{NUMERALS}]{{1,3}})要"),
    "第": re.compile(BOUNDARY + rf"第([{NUMERALS}]{{1,3}})(?=[，,、：:是])"),
    "序": re.compile(BOUNDARY + r"(首先|其次|再次|最后)"),
}


class DirectiveFileError(Exception):
    """A directive list that cannot be used; the message names the file, line and problem."""


# ---------------------------------------------------------------- directives


def load_directives(path=None) -> dict:
    """Return {directive: tuple of exclusion words} from data/directives.txt or a given file."""
    path = Path(path) if path is not None else config.DATA_DIR / "directives.txt"
    if not path.is_file():
        raise DirectiveFileError(
            f"{path}: no such directive file (to count single words pass a list: ['要求'])"
        )
    words = {}
    for n, line in enumerate(read_analyst_text(path).splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition("except:")
        word = word.strip()
        if not word or " " in word:
            raise DirectiveFileError(f"{path}: line {n}: expected 'WORD' or 'WORD except: ...'")
        bad = [w for w in rest.split() if word not in w]
        if bad:
            raise DirectiveFileError(
                f"{path}: line {n}: exclusion {bad[0]!r} does not contain {word!r}"
            )
        words[word] = words.get(word, ()) + tuple(rest.split())
    if not words:
        raise DirectiveFileError(f"{path}: lists no directive words")
    return words


def _resolve_directives(words) -> dict:
    """Return {directive: exclusions} from None, a file path or a list of words."""
    if words is None or isinstance(words, str | Path):
        return load_directives(words)
    known = load_directives()
    return {w: known.get(w, ()) for w in words}


def _directive_spans(text: str, directives: dict) -> list:
    """Return (start, directive) for directive occurrences that are not excluded or shadowed."""
    cands = []
    # the 要 of 一要/二要… is always a command, even in 一要求真务实 (要求 is excluded)
    enumerated = {m.end() - 1 for m in ENUM_STYLES["要"].finditer(text)}
    for word, exclusions in directives.items():
        blocked = set()
        for ex in exclusions:
            offset = ex.find(word)
            for m in re.finditer(re.escape(ex), text):
                blocked.add(m.start() + offset)
        if word == "要":
            blocked -= enumerated
        cands.extend(
            (m.start(), -len(word), word)
            for m in re.finditer(re.escape(word), text)
            if m.start() not in blocked
        )
    kept, last_end = [], -1
    for start, neg_len, word in sorted(cands):
        if start >= last_end:
            kept.append((start, word))
            last_end = start - neg_len
    return kept


def directive_hits(corpus, words=None, window=10) -> pd.DataFrame:
    """Return each counted directive: speech_id, directive, start, left, match, right."""
    return _directive_table(corpus, _resolve_directives(words), window)


def _directive_table(corpus, directives: dict, window: int) -> pd.DataFrame:
    """Return directive_hits() for a resolved directive dictionary."""
    rows = []
    for sid, text in zip(corpus.speeches["speech_id"], corpus.speeches["text"], strict=True):
        for start, word in _directive_spans(text, directives):
            end = start + len(word)
            left = text[max(0, start - window) : start]
            rows.append((sid, word, start, left, word, text[end : end + window]))
    return pd.DataFrame(rows, columns=["speech_id", "directive", "start", "left", "match", "right"])


@memoized
def directive_density(corpus, words=None) -> pd.DataFrame:
    """Return speech_id, directive, count, per_1k_chars (every speech x directive pair)."""
    directives = _resolve_directives(words)
    counts = _directive_table(corpus, directives, 0).groupby(["speech_id", "directive"]).size()
    grid = corpus.speeches[["speech_id", "n_chars"]].merge(
        pd.DataFrame({"directive": list(directives)}), how="cross"
    )
    grid["count"] = [
        int(counts.get((s, d), 0))
        for s, d in zip(grid["speech_id"], grid["directive"], strict=True)
    ]
    n_chars = grid["n_chars"].astype(float).where(grid["n_chars"] > 0)
    grid["per_1k_chars"] = grid["count"] / n_chars * 1000
    return grid[["speech_id", "directive", "count", "per_1k_chars"]]


# ---------------------------------------------------------------- enumerations


def _numeral(label: str) -> int:
    """Return the value of a Chinese numeral from 一 to 九十九."""
    digits = {ch: n for n, ch in enumerate(NUMERALS[:9], start=1)}
    if "十" not in label:
        return digits.get(label, 0) if len(label) == 1 else 0
    tens, _, ones = label.partition("十")
    return digits.get(tens, 1 if not tens else 0) * 10 + digits.get(ones, 0)


def _markers(text: str) -> list:
    """Return (start, end, style, label, number) for every enumeration marker in a text."""
    order = {"首先": 1, "其次": 0, "再次": 0, "最后": -1}
    found = []
    for style, pattern in ENUM_STYLES.items():
        for m in pattern.finditer(text):
            number = order[m.group(1)] if style == "序" else _numeral(m.group(1))
            found.append((m.start(), m.end(), style, m.group(0), number))
    return sorted(found)


def _group_markers(markers: list) -> list:
    """Return lists of markers that form numbered sequences (1, 2, 3 … of one style)."""
    groups, open_by_style = [], {}
    for marker in markers:
        start, _, style, _, number = marker
        current = open_by_style.get(style)
        fits = current is not None and start - current[-1][0] <= MAX_GAP
        if style == "序":
            fits = fits and number != 1 and current[-1][4] != -1
        else:
            fits = fits and number == current[-1][4] + 1
        if fits:
            current.append(marker)
        elif number == 1:
            open_by_style[style] = [marker]
            groups.append(open_by_style[style])
        else:
            open_by_style.pop(style, None)
    return [g for g in groups if len(g) >= 2]


@memoized
def enumerations(corpus) -> pd.DataFrame:
    """Return one row per enumerated item: speech_id, enum_id, style, item, label, text, start."""
    rows = []
    for sid, text in zip(corpus.speeches["speech_id"], corpus.speeches["text"], strict=True):
        groups = sorted(_group_markers(_markers(text)), key=lambda g: g[0][0])
        for enum_id, group in enumerate(groups, start=1):
            for item, (start, end, style, label, _) in enumerate(group, start=1):
                stop = ITEM_END.search(text, end)
                body = text[end : stop.start() if stop else len(text)].lstrip("，,、：: ")
                rows.append((sid, enum_id, style, item, label.strip(), body, start))
    cols = ["speech_id", "enum_id", "style", "item", "label", "text", "start"]
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------- parallelism


def _clauses(text: str, breaks: str) -> list:
    """Return (start, clause) for the non-empty clauses between break characters."""
    out, begin = [], 0
    for i, ch in enumerate(text + "\n"):
        if ch in breaks or i == len(text):
            clause = text[begin:i]
            stripped = clause.lstrip()
            if stripped:
                out.append((begin + len(clause) - len(stripped), stripped.rstrip()))
            begin = i + 1
    return out


def _common_prefix(a: str, b: str) -> str:
    """Return the longest common prefix of two strings."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _opening(prefix: str) -> str:
    """Return the shared opening as shown: up to a comma, without trailing digits or marks."""
    head = re.split(r"[，,]", prefix)[0]
    while head and not head[-1].isalpha():
        head = head[:-1]
    return head


def _runs(clauses: list, min_run: int) -> list:
    """Return (opening, clauses) for runs of clauses that open with the same >= 2 letters."""
    runs, i = [], 0
    while i < len(clauses):
        prefix, j = clauses[i][1], i + 1
        while j < len(clauses):
            shared = _common_prefix(prefix, clauses[j][1])
            if sum(ch.isalpha() for ch in shared) < 2:
                break
            prefix, j = shared, j + 1
        if j - i < 2:
            i += 1
            continue
        members = list(clauses[i:j])
        # the first clause of a run often carries a lead-in: 各级要始终保持一种…,始终保持一种…
        if i > 0 and clauses[i - 1][1].rfind(prefix) > 0:
            lead_start, lead = clauses[i - 1]
            k = lead.rfind(prefix)
            members.insert(0, (lead_start + k, lead[k:]))
        if len(members) >= min_run:
            runs.append((_opening(prefix), members))
        i = j
    return runs


@memoized
def parallelisms(corpus, min_run=3) -> pd.DataFrame:
    """Return one row per clause of each parallel run: speech_id, run_id, opening, clause, start."""
    rows = []
    for sid, text in zip(corpus.speeches["speech_id"], corpus.speeches["text"], strict=True):
        runs = sorted(_paragraph_runs(text, min_run), key=lambda r: r[1][0][0])
        for run_id, (opening, members) in enumerate(runs, start=1):
            rows.extend((sid, run_id, opening, clause, start) for start, clause in members)
    return pd.DataFrame(rows, columns=["speech_id", "run_id", "opening", "clause", "start"])


def _paragraph_runs(text: str, min_run: int) -> list:
    """Return the parallel runs of a text, each inside one paragraph, found at clause level
    (split on ，) and at sentence level (，kept inside: 没有执行,再…;没有执行,再…)."""
    runs, offset = [], 0
    for para in text.split("\n"):
        taken = {}
        for breaks in (CLAUSE_BREAKS, SENTENCE_BREAKS):
            clauses = [(offset + s, c) for s, c in _clauses(para, breaks)]
            for opening, members in _runs(clauses, min_run):
                starts = {s for s, _ in members}
                # a sentence-level run that re-finds clauses of a clause-level run adds nothing
                if starts & taken.get(opening, set()):
                    continue
                taken[opening] = taken.get(opening, set()) | starts
                runs.append((opening, members))
        offset += len(para) + 1
    return runs
