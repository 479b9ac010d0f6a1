"""Speech structure: numbered headings (第一部分, 一、, (一), 一是, 1. (1) ①) and checks on them."""

import re
from dataclasses import dataclass, field

NUMERALS = "一二三四五六七八九十"
_N = f"[{NUMERALS}]{{1,3}}"
_SPACE = "[ \\t\\u3000\\xa0]*"
_LINE_START = rf"(?:^|(?<=\n)){_SPACE}"
_SENTENCE_START = rf"(?:^|(?<=[\n。!?！？;；:：])){_SPACE}"
# level 0: the parts of a long report (第一部分 过去五年的工作回顾), each restarting at 一、;
# 第一篇 is left alone: split.py reads it as the start of a speech in a compilation
_L0 = re.compile(rf"{_LINE_START}第(?P<label>{_N})(?P<style>部分|章)(?![是的中内])")
_L1 = re.compile(rf"{_LINE_START}(?P<label>{_N})[、.．]")
_L2 = re.compile(rf"(?:{_LINE_START}|(?<=[:：]))[(（](?P<label>{_N})[)）]")
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# level 3 is a list inside a section: 一是 / 第一， / 1. / (1) / ①; a 1. or (1) item opens a
# line or sentence and is not the start of a number (1.5亿, 3、4月份)
_L3 = re.compile(
    rf"{_SENTENCE_START}(?:(?P<label>{_N})(?P<style>是|要)"
    rf"|第(?P<label2>{_N})(?P<style2>[,，、:：])"
    rf"|(?P<label3>\d{{1,2}})(?P<style3>[.．、])(?![\d.．、])"
    rf"|[(（](?P<label4>\d{{1,2}})(?P<style4>[)）])"
    rf"|(?P<label5>[{_CIRCLED}])(?P<style5>))"
)
# 一、二季度 / 一、二、三产业: a list of numerals, not a heading
_NUMERAL_LIST = re.compile(rf"[{NUMERALS}]+(?:、|季|产|类|级|等|期|线|批|次)")
# 附件 / 附件：1．… / 附件1: the list of attachments after a speech holds no sections
_ATTACHMENTS = re.compile(rf"{_LINE_START}附\s*件\s*[\d一二三四五六七八九十]*\s*(?:[:：]|$|\n)")
_HEADING_END = re.compile(r"[。!?！？;；\n]")
_ANNOUNCE = re.compile(
    r"(?:讲|谈|提|说|强调|讲讲|谈谈)(?:以下)?(?P<n>[两二三四五六七八九十])"
    r"(?P<what>点意见|个问题|个方面的意见|个方面意见|个方面的问题|个方面的内容|个方面|层意思"
    r"|点看法|点体会|点要求|点建议|点)"
)
_NUMBER = re.compile("[二三四五六七八九]?十[一二三四五六七八九]?|[一二三四五六七八九]")
MAX_HEADING = 60
MAX_GAP = 2  # a forward jump of up to two numbers is kept (text lost), with a warning
# In a speech without 一、 or (一) headings, a list of these styles opening paragraphs
# (第一，… 第二，…; 1. … 2. …; 一是… 二是…; 一要… 二要…) holds its main points: level 1.
PROMOTED_STYLES = ("第", "1.", "是", "要")


def numeral_value(label: str) -> int:
    """Return the number written by a numeral label (一 -> 1, 十二 -> 12, 12 -> 12, ③ -> 3)."""
    if label.isascii() and label.isdigit():
        return int(label)
    if len(label) == 1 and label in _CIRCLED:
        return _CIRCLED.index(label) + 1
    digits = {c: i + 1 for i, c in enumerate(NUMERALS[:9])}
    if not _NUMBER.fullmatch(label):
        return -1
    if "十" in label:
        tens, _, ones = label.partition("十")
        return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)
    return digits[label]


def _heading(body: str, start: int, level: int) -> str:
    """Return the heading text that begins at start: up to 。 or line end, run-on text cut off."""
    m = _HEADING_END.search(body, start)
    end = m.start() if m else len(body)
    text = body[start:end].strip()
    if level <= 1:
        # 二、共克时艰,…活动 新的一年,…: a level-1 heading that runs on after a space
        run_on = re.search(r"[ \u3000\xa0]+(?=\S.{19,})", text)
        if run_on and run_on.start() >= 2:
            text = text[: run_on.start()]
    if len(text) > MAX_HEADING:
        comma = re.search(r"[,，:：]", text)
        text = text[: comma.start()] if comma and comma.start() >= 2 else text[:MAX_HEADING]
    return text.strip()


def _text_end(body: str) -> int:
    """Return where the speech's own text ends: at its list of attachments, if any."""
    m = _ATTACHMENTS.search(body)
    return m.start() if m else len(body)


def _candidates(body: str) -> list[dict]:
    """Return every numbered marker that could open a section, in text order."""
    found, end = [], _text_end(body)
    for level, pattern in ((0, _L0), (1, _L1), (2, _L2), (3, _L3)):
        for m in pattern.finditer(body, 0, end):
            label, style = _label_and_style(m.groupdict())
            if level == 1 and _NUMERAL_LIST.match(body, m.end()):
                continue
            number = numeral_value(label)
            if number < 1:
                continue
            start = m.start() + len(m.group()) - len(m.group().lstrip(" \t\u3000\xa0"))
            found.append(
                dict(
                    level=level,
                    label=label,
                    number=number,
                    style=style,
                    start=start,
                    text_start=m.end(),
                )
            )
    return sorted(found, key=lambda c: (c["start"], c["level"]))


_STYLES = {"2": "第", "3": "1.", "4": "(1)", "5": "①"}


def _label_and_style(groups: dict) -> tuple[str, str]:
    """Return a marker's label and list style (是, 要, 第, 1., (1) or ①) from its match groups."""
    for suffix, style in _STYLES.items():
        if groups.get("label" + suffix):
            return groups["label" + suffix], style
    return groups["label"], groups.get("style") or ""


@dataclass
class _Scan:
    sections: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def _describe(c: dict) -> str:
    """Return how a marker is written in the text, e.g. 第三部分, 三、, (三) or 三是."""
    if c["level"] == 0:
        return f"第{c['label']}{c['style']}"
    if c["level"] == 1:
        return f"{c['label']}、"
    if c["level"] == 2:
        return f"({c['label']})"
    return _marker(c["label"], c["style"])


def _marker(label: str, style: str) -> str:
    """Return a level-3 list marker as written: 一是, 第一, 1., (1) or ①."""
    if style == "第":
        return f"第{label}"
    if style == "1.":
        return f"{label}."
    if style == "(1)":
        return f"({label})"
    return label if style == "①" else f"{label}{style}"


def _accept(c: dict, last: dict, parent: str, notes: list) -> bool:
    """Return True when a marker continues its parent's numbering; note skips and repeats."""
    level, number = c["level"], c["number"]
    prev = last.get(level)
    if level == 3:
        # a new list may start at 一 anywhere; later items follow their own style's last item,
        # so a 1. 2. list resumes at 3. after a nested (1) (2) list
        return number == 1 or (prev or {}).get(c["style"]) == number - 1
    if level == 1 and last.get("carried") and number == last["carried"] + 1:
        return True  # a report whose 一、 numbering runs on through its parts
    expected = (prev or 0) + 1
    if number == expected:
        return True
    where = f"under {parent}" if parent else "at the top level"
    if expected < number <= expected + MAX_GAP:
        before = f"{_describe({**c, 'label': _label(prev)})}" if prev else "the start"
        notes.append(
            f"level-{level} numbering {where} jumps from {before} to {_describe(c)} "
            f"(char {c['start']}): a heading may be missing"
        )
        return True
    notes.append(
        f"level-{level} heading {_describe(c)} {where} (char {c['start']}) is out of sequence "
        f"(expected {_describe({**c, 'label': _label(expected)})}) and was not counted as a section"
    )
    return False


def _label(number: int) -> str:
    """Return the Chinese numeral for 1..99."""
    units = " 一二三四五六七八九"
    if number < 10:
        return units[number]
    tens, ones = divmod(number, 10)
    return ("" if tens == 1 else units[tens]) + "十" + (units[ones] if ones else "")


def _promoted(candidates: list[dict], body: str) -> list[dict]:
    """Return the candidates, a paragraph-level 第一，/1. list made level 1 if no heading is."""
    if any(c["level"] <= 2 for c in candidates):
        return candidates
    for style in PROMOTED_STYLES:
        items = [
            c
            for c in candidates
            if c["level"] == 3 and c["style"] == style and _opens_paragraph(body, c["start"])
        ]
        # one run 1, 2, 3 …: two lists that each restart at 1 are lists, not the outline
        if len(items) >= 2 and [c["number"] for c in items] == list(range(1, len(items) + 1)):
            for c in items:
                c["level"] = 1
            break
    return candidates


def _opens_paragraph(body: str, start: int) -> bool:
    """Return True when position start is the first non-space character of a line."""
    return not body[body.rfind("\n", 0, start) + 1 : start].strip()


def _scan(body: str) -> _Scan:
    """Return the accepted sections of a body and notes on numbering that was skipped."""
    scan, last, parents = _Scan(), {}, {0: "", 1: "", 2: ""}
    for c in _promoted(_candidates(body), body):
        level = c["level"]
        parent = next((parents[p] for p in range(min(level, 3) - 1, -1, -1) if parents[p]), "")
        if not _accept(c, last, parent, scan.notes):
            continue
        if level < 3:
            last[level] = c["number"]
            last["carried"] = last.get(1) if level == 0 else None
            for deeper in range(level + 1, 4):
                last.pop(deeper, None)
            parents[level] = _describe(c)
            for deeper in range(level + 1, 3):
                parents[deeper] = ""
        else:
            last.setdefault(3, {})[c["style"]] = c["number"]
        heading = _heading(body, c["text_start"], level)
        scan.sections.append(dict(level=level, label=c["label"], heading=heading, start=c["start"]))
    text_end = _text_end(body)  # once: the attachments search reads the whole body
    for i, s in enumerate(scan.sections):
        nxt = (t["start"] for t in scan.sections[i + 1 :] if t["level"] <= s["level"])
        s["end"] = next(nxt, text_end)
    return scan


def find_sections(body: str) -> list[dict]:
    """Return the body's numbered sections as dicts of level, label, heading, start, end."""
    return _scan(body).sections


def top_sections(sections):
    """Return the sections table's top-level rows: level 1, or level 2 in a speech without 一、."""
    # 第一部分 parts (level 0) only group the 一、 sections, which stay the units compared
    heads = sections[sections["level"].between(1, 2)]
    return heads[heads["level"] == heads.groupby("speech_id")["level"].transform("min")]


def _announced(body: str, sections: list[dict]):
    """Return the match announcing the number of parts (讲三点意见) before the first heading."""
    first = min((s["start"] for s in sections), default=min(len(body), 1500))
    matches = list(_ANNOUNCE.finditer(body, 0, first))
    return matches[-1] if matches else None


def sections_and_warnings(body: str) -> tuple[list[dict], list[str]]:
    """Return find_sections(body) and check_structure's warnings, scanning the body once."""
    scan = _scan(body)
    return scan.sections, _warnings(body, scan.sections, scan.notes)


def check_structure(body: str, sections: list[dict]) -> list[str]:
    """Return plain-language warnings about a body's section structure (empty when fine)."""
    return _warnings(body, sections, _scan(body).notes)


def _warnings(body: str, sections: list[dict], notes: list[str]) -> list[str]:
    """Return the numbering notes plus warnings on the announced count and repeated headings."""
    warnings = list(notes)
    m = _announced(body, sections)
    levels = sorted({s["level"] for s in sections if 1 <= s["level"] < 3})
    if m:
        top = levels[0] if levels else 1
        n = numeral_value(m.group("n").replace("两", "二"))
        count = sum(1 for s in sections if s["level"] == top)
        if count != n:
            hint = "text may be truncated" if count < n else "extra headings or a wrong count"
            warnings.append(
                f"announces {m.group('n')}{m.group('what')} but has {count} level-{top} "
                f"sections: {hint}"
            )
    for i, s in enumerate(sections[:-1]):
        child = sections[i + 1]
        if s["level"] + 1 == child["level"] and s["heading"] and s["heading"] == child["heading"]:
            warnings.append(
                f"heading {s['label']} repeats the heading of its first subsection "
                f"(char {s['start']}): the copy may have lost the real heading"
            )
    return warnings


def outline(sections, max_level: int = 2) -> str:
    """Return section headings as an indented outline, one heading a line (一、… / (一)…)."""
    rows = sections.to_dict("records") if hasattr(sections, "to_dict") else list(sections)
    top = min((s["level"] for s in rows), default=1)
    lines = []
    for s in sorted(rows, key=lambda r: (r["start"], r["level"])):
        if s["level"] <= max_level:
            marker = {0: "第{}部分 ", 1: "{}、", 2: "({})"}.get(s["level"], "")
            marker = marker.format(s["label"]) if marker else _outline_marker(s["label"])
            lines.append("  " * (s["level"] - min(top, 1)) + marker + s["heading"])
    return "\n".join(lines)


def _outline_marker(label: str) -> str:
    """Return the outline marker of a level-3 item: 一是, 1. or ①, by the label's kind."""
    if label in _CIRCLED:
        return label
    return f"{label}." if label.isascii() else f"{label}是"
