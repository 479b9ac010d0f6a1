"""Remove web-page clutter from a speech file, recording every removal for audit.

Patterns live in data/clutter.yaml (an analyst's corpus/clutter.yaml adds to them). Besides
the patterns, the cleaner removes page numbers that split words (using the rising page
sequence as evidence), drops short lines repeated through the text (watermarks, running
heads), closes up names spaced out for layout, flags redaction marks without deleting them,
and rejoins lines broken in the middle of a sentence or by a page footer. A text copied from a
PDF with hard line wraps is rejoined into paragraphs (which indents, blank lines or a short last
line mark), after its running heads are dropped.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jianghua import config
from jianghua.read_text import read_analyst_text

CJK = "\u3400-\u9fff\uf900-\ufaff"
SCOPES = ("line", "paragraph", "inline", "tail", "beside", "cover")
# a line longer than this, or with more sentences, is speech: patterns may only cut inside it
LINE_MAX_CHARS = 200
LINE_MAX_SENTENCES = 2
TAIL_ITEM_MAX_CHARS = 60
FOOTER_KINDS = {"disclaimer", "url", "related links"}
# the web page around a speech: a bare date next to one of these was the page's stamp
PAGE_KINDS = {"breadcrumb", "publish line", "page control", "disclaimer", "url", "wechat"}
# removed lines of this kind were page breaks: the sentence on either side is joined back
PAGE_KIND = "page number"

_SENTENCE_END = re.compile(r"[。!?！？]")
_PAGE_NUMBER = re.compile(
    rf"(?<=[{CJK}])[ ]+(\d{{1,3}})[ ]+(?=[{CJK}])"  # 机 2 关
    rf"|(?<=[,，、。;；:：!?！？])[ ]*(\d{{1,3}})[ ]+(?=[{CJK}])"  # 措施,10 充分
    rf"|^(\d{{1,3}})[ ]+(?=[{CJK}])"  # line start
    rf"|(?<=[{CJK}。])[ ]+(\d{{1,3}})$"  # line end
    r"|^(\d{1,3})$"  # a line of its own
)
# a page sequence may skip pages that began with a new paragraph
PAGE_MAX_STEP = 3
# pages hold several hundred characters: numbered list lines (1 … 2 … 3) are closer than this
PAGE_MIN_CHARS = 150
_SPACED_RUN = re.compile(rf"(?<![{CJK}])[{CJK}](?: [{CJK}]){{2,3}}(?! [{CJK}])")
_SPACED_LINE = re.compile(rf"^[{CJK}](?: [{CJK}]){{1,5}}$")
_STRAY_SPACE = re.compile(rf"(?<=[{CJK}“”]) (?=[{CJK}“”])")
# Chinese characters and full-width punctuation: in a letter-spaced line every one of them
# stands alone between spaces (同 志 们 ： 今 天)
_WIDE_CHAR = rf"[{CJK}\u3000-\u303f\uff01-\uff0f\uff1a-\uff20“”‘’…—]"
_WIDE_GAP = re.compile(rf"(?<={_WIDE_CHAR}) (?={_WIDE_CHAR})")
_WIDE_PAIR = re.compile(rf"{_WIDE_CHAR}(?={_WIDE_CHAR})")
# a space between two one-character pieces: 2 0 1 0 年 G D P, but not 推 进 WTO 谈 判
_SINGLE_GAP = re.compile(r"(?:(?<=^\S)|(?<= \S)) (?=\S(?: |$))")
LETTER_SPACED_MIN_GAPS = 4
_REDACTION = re.compile(rf"\*{{2,}}|(?<=[{CJK}“”])\*(?=[{CJK}“”])")
_FOOTER_TITLE = re.compile(r"^《[^《》]{1,60}》$")
HEADING_START = re.compile(
    r"^([一二三四五六七八九十百]+[、.．]|[(（][一二三四五六七八九十百]+[)）]|第[一二三四五六七八九十]+[篇章部分]?[,，、:：])"
)
_GLUED_HEADING = re.compile(
    r"^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）])"
    rf"([^。!?！？ ]{{2,40}}) (?=[{CJK}“])"
)
_BODY_START = re.compile(rf"^[{CJK}“‘《]")
# a line repeated this often, short and without sentence punctuation, is not the speech
REPEAT_MIN = 3
REPEAT_MAX_CHARS = 30
_NOT_RUNNING = re.compile(r"[。!?！？;；:：,，、]|^[\d\W]*$")
OPENING_MAX_CHARS = 40
SALUTATION = re.compile(r"^(同志们|各位(代表|领导|委员|来宾|同志)|尊敬的)")
_OPENING = re.compile(
    r"[:：]$|(讲话|发言|报告|致辞|主持词)$|\d{4}\s*[-./年]|[〇○零一二三四五六七八九]{4}年"
)
_CLAUSE_START = re.compile(r"^[,，、;；.。!！?？)）”’》]")
_CUT_END = re.compile(rf"[{CJK}\d,，、“‘《(（]$")
# hard-wrapped text (copied from a PDF): lines this close to the wrap width were cut by it
WRAP_FULL = 0.8
# a line no longer than this share of the wrap width ended its paragraph (or is a header line)
WRAP_SHORT = 0.75
WRAP_MIN_LINES = 3
# a wrapped text has (almost) no line far beyond the wrap width
WRAP_LONG = 1.25
_CLOSES = re.compile(r"[。!?！？…:：][”’)）」』]*$")
_OPEN_END = re.compile(r"[,，、;；“‘《(（\[【—-]$")
_SALUTATION = ("同志们", "各位")
# a footnote at a page's foot opens with the mark a word above it carries: 精神① … ①党的二十大：…
_FOOTNOTE = re.compile(r"^([\u2460-\u2473]|\[\d{1,2}\]|［\d{1,2}］)")
FOOTNOTE_MAX_LINES = 8


@dataclass(frozen=True)
class Wrap:
    """How a hard-wrapped text is laid out: wrap width, indented lines and blank lines."""

    width: int
    lengths: tuple  # length of each source line, indent included
    indented: frozenset  # source lines that open with an indent (when the text indents some)
    blank: frozenset  # source lines that are blank
    plain: bool  # neither indents nor blank lines mark paragraphs: only a short last line does


@dataclass(frozen=True)
class Pattern:
    """One clutter pattern: what it is called, where it applies, and the regex."""

    kind: str
    scope: str
    regex: re.Pattern
    origin: str


def load_clutter(corpus=None) -> tuple:
    """Return the clutter Patterns: the shipped defaults, then corpus/clutter.yaml's if any."""
    files = [config.DATA_DIR / "clutter.yaml"]
    if corpus is not None:
        folder = Path(corpus) if Path(corpus).is_dir() else Path(corpus).parent
        if (folder / "clutter.yaml").is_file():
            files.append(folder / "clutter.yaml")
    return tuple(p for f in files for p in _read_patterns(f.resolve(), f.stat().st_mtime))


@lru_cache(maxsize=16)
def _read_patterns(path: Path, mtime: float) -> tuple:
    """Return the Patterns of one clutter.yaml (cached per file version)."""
    import yaml

    data = yaml.safe_load(read_analyst_text(path)) or {}
    rows = data.get("patterns") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise ValueError(f"{path}: expected a top-level 'patterns:' list")
    patterns = []
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not {"kind", "scope", "regex"} <= set(row):
            raise ValueError(f"{path}: pattern {n} needs kind, scope and regex")
        if row["scope"] not in SCOPES:
            raise ValueError(f"{path}: pattern {n} has scope {row['scope']!r}; use one of {SCOPES}")
        try:
            regex = re.compile(str(row["regex"]))
        except re.error as err:
            raise ValueError(f"{path}: pattern {n} ({row['kind']}) is not a regex: {err}") from err
        patterns.append(Pattern(str(row["kind"]), row["scope"], regex, str(path)))
    return tuple(patterns)


def clean_text(text: str, patterns=None) -> tuple[str, list[dict]]:
    """Return (cleaned text, removals as dicts of kind, text and offset into the cleaned text)."""
    patterns = load_clutter() if patterns is None else patterns
    by_scope = {s: [p for p in patterns if p.scope == s] for s in SCOPES}
    raw = text.split("\n")
    wrap = _hard_wrap(raw)
    lines = [_tidy(line) or None for line in raw]
    removed: list[dict] = []
    # first, so that the clutter patterns and headings below see the words closed up
    _close_letter_spacing(lines, removed)
    _remove_inline(lines, by_scope["inline"], removed)
    _remove_lines(lines, by_scope["line"], removed)
    _remove_lines(lines, by_scope["paragraph"], removed, any_length=True)
    _remove_repeated(lines, removed)
    _remove_tails(lines, by_scope["tail"], removed)
    _remove_footer_titles(lines, removed)
    _remove_beside(lines, by_scope["beside"], removed)
    _remove_page_numbers(lines, removed)
    _remove_footnotes(lines, removed)
    if wrap is not None:
        _remove_running_heads(lines, wrap, removed)
    _close_spaced_chars(lines, removed)
    _close_stray_spaces(lines, removed)
    _flag_redactions(lines, removed)
    breaks = {r["line"] for r in removed if r["kind"] == PAGE_KIND and lines[r["line"]] is None}
    out, where = _assemble(lines, breaks, wrap)
    starts = [0]
    for line in out:
        starts.append(starts[-1] + len(line) + 1)
    cleaned = "\n".join(out)
    removed.sort(key=lambda row: row["line"])  # stable: within a line, in order of the steps
    for row in removed:
        row["offset"] = min(starts[where[row.pop("line")]], len(cleaned))
    return cleaned, removed


def _hard_wrap(raw: list[str]) -> Wrap | None:
    """Return the layout of a text hard-wrapped at a fixed width (a PDF copy), else None."""
    lengths = tuple(len(line.rstrip()) for line in raw)
    body = sorted(n for n in lengths if n >= 8)
    if len(body) < WRAP_MIN_LINES:
        return None
    width = body[int(0.8 * (len(body) - 1))]
    full = [line.strip() for line, n in zip(raw, lengths, strict=True) if n >= WRAP_FULL * width]
    # wrapped prose: full lines carry clause punctuation yet most stop mid-sentence
    prose = [line for line in full if re.search(r"[,，、。;；]", line)]
    cut = [line for line in prose if not _CLOSES.search(line)]
    # only prose says the text is not wrapped: a printed page's url or header line runs long
    long = [
        n
        for line, n in zip(raw, lengths, strict=True)
        if n > WRAP_LONG * width and re.search(r"[,，、。;；]", line)
    ]
    if (
        width < 16
        or len(full) < max(WRAP_MIN_LINES, 0.4 * len(body))
        or len(prose) < 0.6 * len(full)
        or len(cut) < max(WRAP_MIN_LINES, 0.6 * len(full))
        or len(long) > 0.1 * len(full)
    ):
        return None
    text = [i for i, n in enumerate(lengths) if n]
    indented = [i for i in text if raw[i][:1].isspace()]
    # when every line is indented the indent says nothing about paragraphs
    if len(indented) > 0.7 * len(text):
        indented = []
    blank = frozenset(i for i, n in enumerate(lengths) if not n)
    plain = not indented and not any(text[0] < i < text[-1] for i in blank)
    return Wrap(width, lengths, frozenset(indented), blank, plain)


def _tidy(line: str) -> str:
    """Return the line without outer whitespace and with inner runs of spaces made single."""
    return re.sub(r"[ \t\u00a0\u3000]+", " ", line).strip()


def _short(line: str) -> bool:
    """Return True when the line is short enough to be dropped whole by a line pattern."""
    return len(line) <= LINE_MAX_CHARS and len(_SENTENCE_END.findall(line)) <= LINE_MAX_SENTENCES


def _cut(line: str, start: int, end: int) -> str:
    """Return the line with [start, end) cut out, joining CJK neighbours without a space."""
    left, right = line[:start].rstrip(" "), line[end:].lstrip(" ")
    if left and right and (left[-1].isascii() and left[-1].isalnum()) and right[0].isalnum():
        return f"{left} {right}"
    return left + right


def _remove_inline(lines, patterns, removed):
    """Cut inline clutter (watermarks, share widgets, inline urls) out of each line."""
    for i, line in enumerate(lines):
        if line is None:
            continue
        for pattern in patterns:
            found = [m for m in pattern.regex.finditer(line) if m.end() > m.start()]
            removed += [
                {"kind": pattern.kind, "text": m.group(0).strip(), "line": i} for m in found
            ]
            for m in reversed(found):  # right to left so earlier offsets stay valid
                line = _cut(line, m.start(), m.end())
        lines[i] = line or None


def _remove_lines(lines, patterns, removed, any_length=False):
    """Drop short lines that a line pattern matches (first matching pattern names the kind)."""
    for i, line in enumerate(lines):
        if line is None or not (any_length or _short(line)):
            continue
        for pattern in patterns:
            if pattern.regex.search(line):
                removed.append({"kind": pattern.kind, "text": line, "line": i})
                lines[i] = None
                break


def _remove_repeated(lines, removed):
    """Drop a short unpunctuated line repeated through the text (a watermark or running head)."""
    seen: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        if (
            line is not None
            and len(line) <= REPEAT_MAX_CHARS
            and not (_NOT_RUNNING.search(line) or _OPENING.search(line))
            and not HEADING_START.match(line)
        ):
            seen.setdefault(line, []).append(i)
    for line, where in seen.items():
        # titles and speaker lines repeated in a compilation sit next to a title, date or salutation
        openings = sum(_beside_opening(lines, i) for i in where)
        if len(where) >= REPEAT_MIN and openings <= 1:
            removed += [{"kind": "watermark", "text": line, "line": i} for i in where]
            for i in where:
                lines[i] = None


def _beside_opening(lines, i) -> bool:
    """Return True when the non-blank line before or after line i opens a speech."""
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(lines) and lines[j] is None:
            j += step
        if 0 <= j < len(lines) and len(lines[j]) <= OPENING_MAX_CHARS and _OPENING.search(lines[j]):
            return True
    return False


def _remove_tails(lines, patterns, removed):
    """Drop a related-links heading and the short link-like lines that follow it."""
    for i, line in enumerate(lines):
        if line is None or len(line) > 40:
            continue
        pattern = next((p for p in patterns if p.regex.search(line)), None)
        if pattern is None:
            continue
        removed.append({"kind": pattern.kind, "text": line, "line": i})
        lines[i] = None
        for j in range(i + 1, len(lines)):
            item = lines[j]
            if item is None:
                continue
            if (
                len(item) > TAIL_ITEM_MAX_CHARS
                or _SENTENCE_END.search(item)
                or HEADING_START.match(item)
                or _speech_opens(lines, j)
            ):
                break
            removed.append({"kind": pattern.kind, "text": item, "line": j})
            lines[j] = None


def _speech_opens(lines, j, reach=4) -> bool:
    """Return True when one of the next few kept lines from line j is a salutation (同志们:)."""
    # two web pages pasted into one file: the next speech's title block ends a links list
    ahead = [line for line in lines[j : j + 3 * reach] if line is not None][:reach]
    return any(SALUTATION.match(line.strip()) for line in ahead)


def _remove_footer_titles(lines, removed):
    """Drop 《…》 title echoes that sit next to a removed footer line."""
    footer = {r["line"] for r in removed if r["kind"] in FOOTER_KINDS}
    for i, line in enumerate(lines):
        if line is not None and _FOOTER_TITLE.match(line) and ({i - 1, i + 1} & footer):
            removed.append({"kind": "disclaimer", "text": line, "line": i})
            lines[i] = None
            footer.add(i)


def _remove_beside(lines, patterns, removed):
    """Drop short lines a beside pattern matches when a neighbouring line went as page clutter."""
    gone = {r["line"] for r in removed if lines[r["line"]] is None and r["kind"] in PAGE_KINDS}
    changed = True
    while changed:  # a removal can make the next line's neighbour clutter too
        changed = False
        for i, line in enumerate(lines):
            if line is None or not _short(line) or not _dropped_beside(lines, gone, i):
                continue
            pattern = next((p for p in patterns if p.regex.search(line)), None)
            if pattern is not None:
                removed.append({"kind": pattern.kind, "text": line, "line": i})
                lines[i] = None
                gone.add(i)
                changed = True


def _dropped_beside(lines, gone, i) -> bool:
    """Return True when the nearest non-blank line above or below line i was dropped as gone."""
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(lines) and lines[j] is None and j not in gone:
            j += step
        if j in gone:
            return True
    return False


def _remove_page_numbers(lines, removed):
    """Remove page numbers left in the text, keeping only a rising sequence of candidates."""
    found, position = [], 0
    for i, line in enumerate(lines):
        for m in _PAGE_NUMBER.finditer(line or ""):
            number = next(g for g in m.groups() if g is not None)
            found.append((i, m.start(), m.end(), int(number), number, position + m.start()))
        position += len(line or "") + 1
    keep = _rising_run([f[3] for f in found], [f[5] for f in found])
    if len(keep) < 2:
        return
    removed += [{"kind": PAGE_KIND, "text": found[n][4], "line": found[n][0]} for n in keep]
    for n in sorted(keep, reverse=True):  # right to left so earlier offsets stay valid
        i, start, end = found[n][:3]
        lines[i] = _cut(lines[i], start, end) or None


def _rising_run(values: list[int], positions: list[int]) -> list[int]:
    """Return indices of the longest run rising by 1..PAGE_MAX_STEP, a page of text apart."""
    ending: dict[int, tuple[int, int]] = {}  # value -> (length, index) of the best run ending there
    length, back = [0] * len(values), [-1] * len(values)
    waiting = 0  # candidates before this one are too close to precede the current one
    for j, v in enumerate(values):
        # a candidate may precede j only if a page of text lies between them
        while waiting < j and positions[waiting] <= positions[j] - PAGE_MIN_CHARS:
            w = values[waiting]
            if length[waiting] > ending.get(w, (0, -1))[0]:
                ending[w] = (length[waiting], waiting)
            waiting += 1
        before = [ending[v - s] for s in range(1, PAGE_MAX_STEP + 1) if v - s in ending]
        best = max(before, default=(0, -1), key=lambda e: e[0])
        length[j], back[j] = best[0] + 1, best[1]
    if not values:
        return []
    j = max(range(len(values)), key=lambda k: (length[k], -k))
    run = []
    while j != -1:
        run.append(j)
        j = back[j]
    return run[::-1]


def _remove_footnotes(lines, removed):
    """Drop the footnotes between a page's last text line and its page number (or the end)."""
    ends = [r["line"] for r in removed if r["kind"] == PAGE_KIND and lines[r["line"]] is None]
    top = 0
    for end in sorted({*ends, len(lines)}):
        start = _footnote_start(lines, top, end)
        if start is not None:
            for i in range(start, end):
                if lines[i] is not None:
                    removed.append({"kind": "footnote", "text": lines[i], "line": i})
                    lines[i] = None
        top = end + 1


def _footnote_start(lines, top, end) -> int | None:
    """Return the first footnote line of the page from line top to end, or None."""
    kept = [i for i in range(top, end) if lines[i] is not None]
    start = None
    for i in reversed(kept[-FOOTNOTE_MAX_LINES:]):
        mark = _FOOTNOTE.match(lines[i])
        if mark is None:
            continue
        # the mark must follow a word on the page above, or the line is a list item (①加强…)
        above = "\n".join(lines[k] for k in kept if k < i)
        if re.search(rf"[{CJK}”’)）》]{re.escape(mark.group(1))}", above):
            start = i
    return start


def _remove_running_heads(lines, wrap, removed):
    """Drop short lines repeated at page breaks of a hard-wrapped text, or echoing its title."""
    pages = {r["line"] for r in removed if r["kind"] == PAGE_KIND and lines[r["line"]] is None}
    first = next((i for i, line in enumerate(lines) if line is not None), None)
    seen: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        if (
            line is not None
            and i != first
            and len(line) <= REPEAT_MAX_CHARS
            and not (_NOT_RUNNING.search(line) or HEADING_START.match(line))
            and _at_page_break(lines, pages, wrap, i)
        ):
            seen.setdefault(line, []).append(i)
    title = lines[first] if first is not None else None
    for line, where in seen.items():
        if len(where) >= 2 or (title and len(title) >= 6 and title in line):
            removed += [{"kind": "running head", "text": line, "line": i} for i in where]
            for i in where:
                lines[i] = None


def _at_page_break(lines, pages, wrap, i) -> bool:
    """Return True when line i sits at a page break: beside a page number, or inside a sentence."""
    above = i - 1
    while above >= 0 and lines[above] is None:
        above -= 1
    below = i + 1
    while below < len(lines) and lines[below] is None:
        below += 1
    if not pages.isdisjoint(range(above + 1, below)):
        return True
    # a line that stops mid-sentence at the full width was cut by the page end
    return (
        above >= 0
        and not _CLOSES.search(lines[above])
        and wrap.lengths[above] > WRAP_SHORT * wrap.width
    )


def _close_letter_spacing(lines, removed):
    """Close up lines with a space after every Chinese character (PDF and web copies)."""
    for i, line in enumerate(lines):
        if line is None or " " not in line:
            continue
        gaps = len(_WIDE_GAP.findall(line))
        # mostly spaced: a title with one space between two phrases is not letter-spaced
        if gaps >= LETTER_SPACED_MIN_GAPS and gaps >= 3 * len(_WIDE_PAIR.findall(line)):
            removed.append({"kind": "spacing", "text": line, "line": i})
            lines[i] = _WIDE_GAP.sub("", _SINGLE_GAP.sub("", line))


def _close_spaced_chars(lines, removed):
    """Close up characters spaced out for layout (张 永 霞 -> 张永霞, 简 报 -> 简报)."""
    for i, line in enumerate(lines):
        if line is None:
            continue
        runs = [line] if _SPACED_LINE.match(line) else _SPACED_RUN.findall(line)
        for run in runs:
            removed.append({"kind": "spacing", "text": run, "line": i})
            line = line.replace(run, run.replace(" ", ""), 1)
        lines[i] = line


def _close_stray_spaces(lines, removed):
    """Drop single spaces between Chinese characters inside paragraphs (冰雪 灾害 -> 冰雪灾害)."""
    for i, line in enumerate(lines):
        if line is None or len(_SENTENCE_END.findall(line)) < 2:
            continue  # titles and header lines keep their spaces (用心执行谋发展 聚力突破求跨越)
        glued = _GLUED_HEADING.match(line)  # the space after a glued heading is split later
        keep = glued.end() - 1 if glued else -1
        spaces = [m.start() for m in _STRAY_SPACE.finditer(line) if m.start() != keep]
        removed += [{"kind": "spacing", "text": line[k - 1 : k + 2], "line": i} for k in spaces]
        for k in reversed(spaces):
            line = line[:k] + line[k + 1 :]
        lines[i] = line


def _flag_redactions(lines, removed):
    """Record each run of redaction asterisks; the marks stay in the text."""
    for i, line in enumerate(lines):
        for m in _REDACTION.finditer(line or ""):
            removed.append({"kind": "redaction", "text": m.group(0), "line": i})


def _assemble(lines, breaks=frozenset(), wrap=None):
    """Return (output lines, map from input line index to output line index)."""
    out: list[str] = []
    where = [0] * (len(lines) + 1)
    pending = []  # indices of dropped lines waiting for the next output line
    previous = -1  # the last line kept
    for i, line in enumerate(lines):
        pending.append(i)
        if line is None:
            continue
        if not out:
            join = False
        elif wrap is not None:
            join = not _wrap_break(out[-1], line, wrap, previous, pending)
        elif not breaks.isdisjoint(pending):
            join = _continues(out[-1], line)
        else:
            join = _broken(out[-1], line)
        previous = i
        if join:
            first = len(out) - 1
            # an English phrase wrapped at a line end still needs the space between its words
            words = all(ch.isascii() and ch.isalpha() for ch in out[-1][-1:] + line[0])
            out[-1] += f" {line}" if words else line
        else:
            first = len(out)
            glued = _GLUED_HEADING.match(line)
            if glued:  # "二、共克时艰…活动 新的一年,…": heading and paragraph on one line
                out.append(glued.group(0).rstrip())
                line = line[glued.end() :]
            out.append(line)
        for k in pending:
            where[k] = first
        pending = []
    for k in pending:
        where[k] = len(out)
    return out, where


def _wrap_break(before: str, line: str, wrap: Wrap, previous: int, pending: list) -> bool:
    """Return True when `line` opens a new paragraph of a hard-wrapped text."""
    if _CLAUSE_START.match(line) or _OPEN_END.search(before):
        return False
    short = wrap.lengths[previous] <= WRAP_SHORT * wrap.width
    heading = HEADING_START.match(before) and not _SENTENCE_END.search(before)
    if not (short or heading or _CLOSES.search(before)):
        return False  # the wrap cut this sentence
    gap = pending[:-1]
    # justified lines fill the width: a sentence end a few characters short ends a paragraph
    return (
        short
        or (wrap.plain and wrap.lengths[previous] <= wrap.width - 2)
        or (bool(gap) and wrap.blank.issuperset(gap))
        or pending[-1] in wrap.indented
        or HEADING_START.match(line) is not None
        or line.startswith(_SALUTATION)
    )


def _continues(previous: str, line: str) -> bool:
    """Return True when `line` carries on the sentence a page break cut off in `previous`."""
    if HEADING_START.match(line) or line.startswith(("同志们", "各位")):
        return False
    if _CLAUSE_START.match(line):  # no paragraph opens with 、 or ，
        return True
    return (
        _CUT_END.search(previous) is not None
        and re.search(r"[,，、。;；]", previous) is not None
        and not (HEADING_START.match(previous) and not _SENTENCE_END.search(previous))
        and _BODY_START.match(line) is not None
    )


def _broken(previous: str, line: str) -> bool:
    """Return True when `line` continues a sentence that `previous` broke off mid-word."""
    # prose evidence on both sides: clause punctuation outside quotations (titles have none)
    unquoted = re.sub(r"“[^”]*”?", "", previous)
    return (
        len(previous) >= 10
        and re.search(rf"[{CJK}]$", previous) is not None
        and re.search(r"[,，、。;；]", unquoted) is not None
        and re.search(r"[,，、。;；]", line) is not None
        and not HEADING_START.match(previous)
        and _BODY_START.match(line) is not None
        and not HEADING_START.match(line)
        and not line.startswith(("同志们", "各位"))
    )
