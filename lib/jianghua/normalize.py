"""Normalise characters: line endings, full-width forms, odd spaces, traditional script."""

import re
from collections import Counter
from functools import cache, partial
from pathlib import Path

# Line and page separators that copies from PDFs and Word carry over.
LINE_BREAKS = "\r\u2028\u2029\x0b\x0c\x85"
LINE_BREAK_RE = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
# Invisible characters: zero-width space/joiners, word joiner, direction marks, BOM, soft hyphen.
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"
INVISIBLE_RE = re.compile(f"[{INVISIBLE}]")
# Full-width digits and Latin letters map to ASCII; full-width punctuation is Chinese, kept.
FULLWIDTH = {
    **{0xFF10 + i: 0x30 + i for i in range(10)},
    **{0xFF21 + i: 0x41 + i for i in range(26)},
    **{0xFF41 + i: 0x61 + i for i in range(26)},
}
# Ideographs, CJK punctuation and full-width forms: text where spaces are not used.
CJK_RANGES = [
    (0x2E80, 0x303F),
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
]
ODD_SPACE = "\u3000\u00a0\u2000-\u200a\u202f\u205f"
WIDE = "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff0e"
# One pass over the text finds runs of both; a plain class scans far faster than alternatives.
WIDTH_SPACE_RE = re.compile(f"[{WIDE}{ODD_SPACE}]+")
PARTS_RE = re.compile(f"(?P<wide>[{WIDE}]+)|(?P<space>[{ODD_SPACE}]+)")
# A space in a short line without punctuation separates header fields (区委书记　张三).
HEADER_MAX_CHARS = 40
HEADER_PUNCT = set("，,、。；;：:！!？?")
SAMPLE_CHUNK = 5000
SAMPLE_CHUNKS = 40


def normalize_text(text: str) -> tuple[str, list[str]]:
    """Return (normalised text, notes for the analyst about what was changed)."""
    notes = []
    # Cheap membership tests first: a regex pass over a 50 MB text costs half a second.
    if any(ch in text for ch in LINE_BREAKS):
        text = LINE_BREAK_RE.sub("\n", text)
    if any(ch in text for ch in INVISIBLE):
        text = INVISIBLE_RE.sub("", text)
    damaged = text.count("\ufffd")
    if damaged:
        text = text.replace("\ufffd", "")
        plural = "s" if damaged > 1 else ""
        notes.append(f"{damaged} replacement character{plural} (U+FFFD): the source was damaged")
    text = WIDTH_SPACE_RE.sub(_fix_width_or_space, text)
    if is_mostly_traditional(text):
        converted = _converter("t2s").convert(text)
        changed = sum(a != b for a, b in zip(text, converted, strict=False))
        text = converted
        notes.append(f"converted traditional characters to simplified ({changed} characters)")
    return text, notes


def _fix_width_or_space(match: re.Match) -> str:
    """Return the replacement for a run of full-width characters and odd spaces."""
    text, start, end = match.string, match.start(), match.end()
    run = (text[start - 1] if start else "") + match.group() + text[end : end + 1]
    inner = PARTS_RE.sub(partial(_fix_part, text=text, offset=start - (1 if start else 0)), run)
    return inner[1 if start else 0 : len(inner) - (1 if end < len(text) else 0)]


def _fix_part(match: re.Match, text: str, offset: int) -> str:
    """Return one run of odd spaces or of full-width characters, normalised."""
    run, start, end = match.string, match.start(), match.end()
    before = run[start - 1] if start else ""
    after = run[end] if end < len(run) else ""
    if match.group("space"):
        if not (_is_cjk(before) and _is_cjk(after)):
            return " " * (end - start)
        # Chinese sets no spaces between characters, except between the fields of a header
        return " " if _separates_fields(text, offset + start, offset + end) else ""
    wide = match.group().translate(FULLWIDTH)
    # A full-width point between digits is a decimal point; elsewhere it is punctuation.
    padded = (before or " ") + wide + (after or " ")
    return "".join(
        "." if ch == "\uff0e" and padded[i].isdigit() and padded[i + 2].isdigit() else ch
        for i, ch in enumerate(wide)
    )


def _separates_fields(text: str, start: int, end: int) -> bool:
    """Return True when text[start:end] parts two words of a short unpunctuated line."""
    low = max(0, start - HEADER_MAX_CHARS)
    head = text.rfind("\n", low, start)
    tail = text.find("\n", end, end + HEADER_MAX_CHARS)
    if (head < 0 and low > 0) or (tail < 0 and end + HEADER_MAX_CHARS < len(text)):
        return False  # the line is longer than a header line
    line = text[head + 1 : tail if tail >= 0 else len(text)]
    if len(line.strip()) > HEADER_MAX_CHARS or HEADER_PUNCT & set(line):
        return False
    left, right = text[head + 1 : start].split(), text[end : end + len(line)].split()
    # 张　永　霞: single characters spaced out for layout are one word
    return not (len(left[-1]) == 1 and len(right[0]) == 1)


def _is_cjk(ch: str) -> bool:
    """Return True for a Chinese character, CJK punctuation or a full-width form."""
    if not ch or ch.translate(FULLWIDTH) != ch:  # full-width digits and letters become ASCII
        return False
    return any(low <= ord(ch) <= high for low, high in CJK_RANGES)


def is_mostly_traditional(text: str) -> bool:
    """Return True when traditional-only characters outnumber simplified-only ones."""
    counts = Counter(_sample(text))  # each distinct character looked up once
    traditional, simplified = _script_characters()
    return sum(counts[c] for c in traditional.intersection(counts)) > sum(
        counts[c] for c in simplified.intersection(counts)
    )


def _sample(text: str) -> str:
    """Return text, or evenly spread chunks of it when it is long (detection only)."""
    if len(text) <= SAMPLE_CHUNK * SAMPLE_CHUNKS:
        return text
    step = len(text) // SAMPLE_CHUNKS
    return "".join(text[i : i + SAMPLE_CHUNK] for i in range(0, len(text), step))


@cache
def _script_characters() -> tuple[frozenset, frozenset]:
    """Return (traditional-only, simplified-only) characters from OpenCC's character tables."""
    to_simple = _character_table("TSCharacters.txt")
    to_traditional = _character_table("STCharacters.txt")
    # A character counts for one script only when the other conversion leaves it alone.
    traditional = frozenset(ch for ch in to_simple if ch not in to_traditional)
    simplified = frozenset(ch for ch in to_traditional if ch not in to_simple)
    return traditional, simplified


def _character_table(name: str) -> set[str]:
    """Return the characters an OpenCC character table converts to something else."""
    from importlib.util import find_spec

    # Locate the table without importing opencc_purepy: its import alone takes 85 ms.
    table = Path(find_spec("opencc_purepy").origin).parent / "dicts" / name
    changed = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if targets and targets.split()[0] != source:
            changed.add(source)
    return changed


@cache
def _converter(config: str):
    """Return a cached OpenCC converter (built on first use, not at import)."""
    from opencc_purepy import OpenCC

    return OpenCC(config)
