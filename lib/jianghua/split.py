"""Split a file that compiles several speeches into one text per speech.

Parts start at "第N篇:title" lines, or (without such markers) at repeated title blocks: a
speech title followed within a few lines by a salutation (同志们:). A compilation's cover
lines (简报, 第二期, …编印 二○○九 年二月六日) are removed from the part and reported, so the
metadata step can read dates from them.
"""

import re
from dataclasses import dataclass, field

from jianghua.clean import HEADING_START, SALUTATION, load_clutter

# 第一篇 / 篇一 / 【篇一】 / 范文一, as compilations and 范文 sites number their speeches
_PART_NUMBER = "[一二三四五六七八九十百零〇\\d]+"
_MARKER = re.compile(
    rf"^(第{_PART_NUMBER}篇|篇{_PART_NUMBER}|【篇{_PART_NUMBER}】|范文{_PART_NUMBER})"
    r"(?:\s*[:：]?\s*(\S.{0,80}))?$"
)
_SPEECH_TITLE = re.compile(
    r"(讲话|发言|致辞|讲话稿|报告|总结|主持词|演讲|讲演|动员|提纲)([(（][^()（）]{4,20}[)）])?$"
)
# 一、张三同志在全区大会上的讲话: a compilation's numbered list of speeches, not a section
_NUMBER = re.compile(
    r"^(?:[一二三四五六七八九十百]+[、.．]|\d{1,3}[、.．]|[(（][一二三四五六七八九十百\d]+[)）])\s*"
)
_NUMBERED_TITLE = re.compile(
    r"在.{2,50}上的?\S{0,4}?(讲话|发言|致辞|讲话稿|报告|总结|主持词|演讲|讲演)([(（][^()（）]{4,20}[)）])?$"
)
# a table of contents: 目录, and entries that end in leader dots and a page number
_CONTENTS_HEAD = re.compile(r"^(?:目\s*录|目\s*次)$")
_CONTENTS_ENTRY = re.compile(r"^(\S.{1,80}?)[ \u3000]*(?:[.…·．_—-][ \u3000]*){3,}(\d{1,4})$")
# Word's automatic contents: the tab before each entry's page number reads as a space, and its
# dot leaders are a tab setting, not characters; the entry's heading comes again further down
_CONTENTS_PAGE = re.compile(r"^(\S.{1,80}?)[ \u3000]+(\d{1,4})$")
MIN_ENTRY_CHARS = 4  # a shorter entry text could be found anywhere further down
# below 目录, an entry may have no page number at all (a web copy drops them): a short line
# whose heading comes again further down
BARE_ENTRY_CHARS = 40
_SENTENCE = re.compile(r"[。!?！？;；]")
FRONT_LINES = 8  # cover, title echo and speaker lines sit within the first lines of a part
# An official document that circulates a speech opens with a cover notice: its addressees
# (各乡镇党委…：), 现将…讲话印发给你们…, the issuing office and the date it was issued.
_NOTICE_BODY = re.compile(r"^现将.{2,120}?(?:印发|转发|印送|发)给你们")
# the issue date: 2019年3月15日, or in Chinese numerals with 〇, ○ or 零 (二○一九年三月十五日)
_NOTICE_DATE = re.compile(
    r"^[一二三四五六七八九十零〇○Ｏ\d]+年[一二三四五六七八九十\d]+月[一二三四五六七八九十\d]+日$"
)
NOTICE_LINES = 5  # from 现将… to the date: the notice's sentences, the office, the date
MIN_PART_CHARS = 100  # a new title block needs this much speech since the last one
# one title block in a file starts a second speech only below a whole speech this long
LONE_START_MIN_CHARS = 1000
LONE_START_MIN_SENTENCES = 10
TITLE_MAX_CHARS = 60


@dataclass
class Part:
    """One speech cut from a file: its text, what was removed, and where it lay in the input."""

    text: str
    start: int
    end: int
    removed: list = field(default_factory=list)


def split_speeches(text: str, patterns=None) -> list[str]:
    """Return one text per speech in the file (a single-speech file gives one text)."""
    return [part.text for part in split_document(text, patterns)]


def split_document(text: str, patterns=None) -> list[Part]:
    """Return the Parts of a (cleaned) file, cover lines removed and recorded per part."""
    patterns = load_clutter() if patterns is None else patterns
    covers = [p.regex for p in patterns if p.scope == "cover"]
    lines = text.split("\n")
    starts = _line_offsets(lines)
    contents = _contents_blocks(lines)
    firsts = _part_starts(lines, contents)
    parts = []
    # short lines above the first part: the compilation's own title (cover) and its contents
    prefix = [
        {"kind": "contents" if _is_contents(line) or i in contents else "cover", "text": line}
        for i, line in enumerate(lines[: firsts[0]])
        if line.strip()
    ]
    for n, first in enumerate(firsts):
        last = firsts[n + 1] if n + 1 < len(firsts) else len(lines)
        chunk = lines[first:last]
        # a speech's own contents (Word's, below its title block) is no part of its text
        inside = [
            {"kind": "contents", "text": chunk[i - first]} for i in contents if first <= i < last
        ]
        chunk = ["" if first + k in contents else line for k, line in enumerate(chunk)]
        body, removed = _front_matter(chunk, covers)
        removed = (prefix if n == 0 else []) + inside + removed
        end = starts[last] - 1 if last < len(lines) else len(text)
        parts.append(Part("\n".join(body).strip("\n"), starts[first], end, removed))
    return parts


def _line_offsets(lines: list[str]) -> list[int]:
    """Return the offset where each line starts (plus one past the end)."""
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    return offsets


def _part_starts(lines: list[str], contents: set[int]) -> list[int]:
    """Return the line numbers where speeches start (always at least [0])."""
    markers = [i for i, line in enumerate(lines) if _MARKER.match(line.strip())]
    if len(markers) >= 2:
        return _with_preface(lines, markers)
    starts, since = [], MIN_PART_CHARS
    listed = _contents_titles(lines, contents)
    for i, line in enumerate(lines):
        opens = _salutation_follows(lines, i) or _listed(line, listed)
        if since >= MIN_PART_CHARS and _is_title(line) and opens:
            first = i
            while first > 0 and _is_title(lines[first - 1]):
                first -= 1
            if (
                first > 0
                and lines[first].strip().startswith("——")
                and lines[first - 1].strip()
                and _is_front(lines[first - 1].strip())
            ):
                first -= 1  # 凝心聚力抓落实 / ——在…上的讲话: the main title opens the part
            starts.append(first)
            since = 0
        since += len(line)
    if len(starts) == 1 and _speech_above(lines, starts[0]):
        return [0, starts[0]]  # two web copies pasted together: the first lost its title block
    return _with_preface(lines, starts) if len(starts) >= 2 else [0]


def _speech_above(lines: list[str], start: int) -> bool:
    """Return True when a whole speech (long, many sentences) lies above line start."""
    above = [line for line in lines[:start] if not _is_contents(line)]
    sentences = sum(len(_SENTENCE.findall(line)) for line in above)
    return sum(map(len, above)) >= LONE_START_MIN_CHARS and sentences >= LONE_START_MIN_SENTENCES


def _with_preface(lines: list[str], starts: list[int]) -> list[int]:
    """Return starts, with line 0 added when the text above the first start is a speech."""
    above = [line for line in lines[: starts[0]] if not _is_contents(line)]
    speech = sum(len(line) for line in above) >= MIN_PART_CHARS or any(
        _SENTENCE.search(line) for line in above
    )
    return [0, *starts] if above and speech else starts


def _is_contents(line: str) -> bool:
    """Return True for a table-of-contents line: 目录, or an entry ending in ……21."""
    line = line.strip()
    return bool(_CONTENTS_HEAD.match(line) or _CONTENTS_ENTRY.match(line))


def _contents_titles(lines: list[str], contents: set[int]) -> list[str]:
    """Return the titles listed in the file's table of contents, without spaces."""
    found = [_CONTENTS_ENTRY.match(line.strip()) for line in lines]
    titles = [_key(m.group(1)) for m in found if m]
    for i in sorted(contents):
        line = lines[i].strip()
        m = _CONTENTS_PAGE.match(line)
        if not _CONTENTS_ENTRY.match(line) and not _CONTENTS_HEAD.match(line):
            titles.append(_key(m.group(1) if m else line))
    return titles


def _contents_blocks(lines: list[str]) -> set[int]:
    """Return the line numbers of tables of contents: 目录 with its entries, or 2+ entries."""
    found, block, later = set(), [], _LaterLines(lines)
    for i, line in enumerate([*lines, ""]):
        line = line.strip()
        head = _CONTENTS_HEAD.match(line) and not block
        headed = bool(block) and _CONTENTS_HEAD.match(lines[block[0]].strip()) is not None
        if line and (head or _is_entry(lines, i, later, headed)):
            block.append(i)
        elif line or i == len(lines):
            if _is_contents_block([lines[k].strip() for k in block]):
                found.update(block)
            block = []
    return found


def _is_contents_block(block: list[str]) -> bool:
    """Return True for 目录 with an entry below it, or two entries or more, pages in order."""
    entries = block[1:] if block and _CONTENTS_HEAD.match(block[0]) else block
    # a table's rows of names and counts can look like entries; their numbers seldom rise
    pages = [int(m.group()) for m in (re.search(r"\d+$", e) for e in entries) if m]
    rising = all(a <= b for a, b in zip(pages, pages[1:], strict=False))
    return rising and (len(entries) >= 2 or len(entries) == 1 and len(block) == 2)


class _LaterLines:
    """The lines of a text indexed by how their keys begin, and its short lines by key.

    A contents entry is looked up among the lines below it: an index, not a scan of every
    later line per entry, which took a minute on a file of 20,000 lines.
    """

    def __init__(self, lines: list[str]):
        self.starts, self.fronts = {}, {}
        for j, line in enumerate(lines):
            key = _key(line)
            if not key or _CONTENTS_PAGE.match(line.strip()):
                continue
            for form in {key, _NUMBER.sub("", key, count=1)}:
                self.starts.setdefault(form[:MIN_ENTRY_CHARS], []).append((j, form))
            if len(key) >= 6 and _is_front(line):
                self.fronts.setdefault(key, []).append(j)

    def opened(self, entry: str, i: int) -> bool:
        """Return True when a line below line i opens with entry, its number there or not."""
        found = self.starts.get(entry[:MIN_ENTRY_CHARS], ())
        return any(j > i and form.startswith(entry) for j, form in found)

    def ended(self, entry: str, i: int) -> bool:
        """Return True when a short line below line i (a speech title) ends entry."""
        ends = (entry[k:] for k in range(len(entry) - 5))
        return any(j > i for end in ends for j in self.fronts.get(end, ()))


def _is_entry(lines: list[str], i: int, later: _LaterLines, headed: bool = False) -> bool:
    """Return True for a contents entry: …21 with leaders, or a heading found again below
    (with its page number, or below 目录 a short line without one)."""
    line = lines[i].strip()
    if _CONTENTS_ENTRY.match(line):
        return True
    m = _CONTENTS_PAGE.match(line)
    bare = headed and not m and len(line) <= BARE_ENTRY_CHARS
    text = m.group(1) if m else line if bare else ""
    if _SENTENCE.search(line) or len(_key(text)) < MIN_ENTRY_CHARS:
        return False
    entry = _key(text)
    return later.opened(entry, i) or later.ended(entry, i)


def _listed(line: str, listed: list[str]) -> bool:
    """Return True when a title line is one the contents list (王建国同志在… lists 在…)."""
    key = _key(line)
    return len(key) >= 6 and any(key in entry or entry in key for entry in listed)


def _is_title(line: str) -> bool:
    """Return True for a line that reads like a speech title (在…会议上的讲话)."""
    line = line.strip()
    return (
        0 < len(line) <= TITLE_MAX_CHARS
        and not _SENTENCE.search(line)
        and _SPEECH_TITLE.search(line) is not None
        and (not HEADING_START.match(line) or _numbering(line) is not None)
    )


def _numbering(line: str) -> str | None:
    """Return the number opening a numbered speech title (一、 of 一、…在…上的讲话), else None."""
    line = line.strip()
    m = _NUMBER.match(line)
    return m.group(0) if m and _NUMBERED_TITLE.search(line[m.end() :]) else None


def _salutation_follows(lines: list[str], i: int) -> bool:
    """Return True when a salutation line opens within four lines after line i."""
    return any(SALUTATION.match(line.strip()) for line in lines[i + 1 : i + 5])


def _cover_notice(lines: list[str]) -> int:
    """Return how many of a part's first lines are a cover notice (see _NOTICE_BODY), or 0."""
    for i, line in enumerate(lines[:FRONT_LINES]):
        if _NOTICE_BODY.match(line.strip()):
            above = lines[:i]
            if not all(_is_front(x) or x.rstrip().endswith(("：", ":")) for x in above):
                return 0
            ends = (j for j in range(i + 1, min(len(lines), i + NOTICE_LINES)))
            return next((j + 1 for j in ends if _NOTICE_DATE.match(_key(lines[j]))), 0)
    return 0


def _front_matter(chunk: list[str], covers: list) -> tuple[list[str], list[dict]]:
    """Return the part's lines without cover notice, marker, cover lines and title echoes."""
    lines = [line for line in chunk if line.strip()]
    notice = _cover_notice(lines)
    removed = [{"kind": "cover notice", "text": line} for line in lines[:notice]]
    lines = lines[notice:]
    if not lines:
        return lines, removed
    marker = next((i for i, line in enumerate(lines[:FRONT_LINES]) if _MARKER.match(line)), None)
    if marker is not None:
        m = _MARKER.match(lines[marker])
        removed.append({"kind": "header", "text": m.group(1)})
        if m.group(2):
            lines[marker] = m.group(2).strip()
        else:  # 【篇一】 on a line of its own: the title is the next line
            del lines[marker]
            if not lines:
                return lines, removed
    title_at = marker if marker is not None else 0
    number = _numbering(lines[title_at]) if _is_title(lines[title_at]) else None
    if number:
        removed.append({"kind": "header", "text": number.strip()})
        lines[title_at] = lines[title_at].strip()[len(number) :]
    title = _key(lines[title_at])
    echo = next(
        (
            j
            for j in range(title_at + 1, min(len(lines), title_at + FRONT_LINES))
            if _key(lines[j]) == title
        ),
        None,
    )
    between = lines[title_at + 1 : echo] if echo is not None and marker is not None else []
    if between and all(_is_front(line) for line in between):
        # in a compilation, all between a part's title and its repeat is the cover
        removed += [{"kind": "cover", "text": line} for line in between]
        lines = lines[: title_at + 1] + lines[echo:]
    keep = lines[: title_at + 1]
    for j, line in enumerate(lines[title_at + 1 :], title_at + 1):
        if j < title_at + FRONT_LINES and _key(line) == title:
            removed.append({"kind": "header", "text": line})
        elif j < title_at + FRONT_LINES and _is_front(line) and any(c.search(line) for c in covers):
            removed.append({"kind": "cover", "text": line})
        else:
            keep.append(line)
    return keep, removed


def _key(line: str) -> str:
    """Return a line without spaces, for comparing a title with its repeats."""
    return re.sub(r"\s+", "", line)


def _is_front(line: str) -> bool:
    """Return True for a short line without sentences (cover and header lines are such)."""
    return len(line) <= TITLE_MAX_CHARS and not _SENTENCE.search(line)
