"""Speech metadata: the header block, title, speaker, dates, occasion, level and place."""

import calendar
import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from jianghua import config
from jianghua.read_text import read_analyst_text

# CJK ideographs, Extension A and Extensions B-H (王𠮷: rare name characters lie beyond the BMP)
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# the dot between the parts of a Uyghur or Tibetan name, in the forms editors type it
NAME_DOTS = "·•・．.‧∙⋅･"
LEVELS = ("国家", "省", "地区", "市", "县", "区", "乡镇")
FIELDS = ("title", "speaker", "role", "date", "published", "occasion", "level", "place")
DATE_FIELDS = ("date", "published")
PRECISIONS = ("day", "month")

_FULLWIDTH = str.maketrans("０１２３４５６７８９／－．：（）", "0123456789/-.:()")
_CN_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")}
_CN_DIGIT.update({"○": 0, "零": 0, "O": 0, "o": 0, "Ｏ": 0, "0": 0, "两": 2})
_CN = "〇○零Ｏ一二三四五六七八九十两"
_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"),
    re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"),
    re.compile(rf"([{_CN}Oo0]{{4}})\s*年\s*([{_CN}]{{1,3}})\s*月\s*([{_CN}]{{1,3}})\s*[日号]"),
    # mixed forms such as 2019年三月十五日
    re.compile(
        rf"(?<!\d)(\d{{4}}|[{_CN}Oo0]{{4}})\s*年\s*(\d{{1,2}}|[{_CN}]{{1,3}})\s*月"
        rf"\s*(\d{{1,2}}|[{_CN}]{{1,3}})\s*[日号]"
    ),
)
# a line that is only a year and month: 2019年3月, （二〇一九年三月）
_MONTH_ONLY = re.compile(
    rf"[(（\s—-]*(\d{{4}}|[{_CN}Oo0]{{4}})\s*年\s*(\d{{1,2}}|[{_CN}]{{1,3}})\s*月份?[)）\s]*"
)
_MONTH_NUMERIC = re.compile(r"[(（\s]*(\d{4})[-/.](\d{1,2})[)）\s]*")  # 2019-03, 2019.3
_BRACKETED = re.compile(r"[(（【\[][^()（）【】\[\]]*[)）】\]]")
_DASH_DATE = re.compile(rf"——(?=\s*(?:\d{{4}}|[{_CN}Oo0]{{4}})\s*年)")
_DATE_PAREN = re.compile(r"[(（][^()（）]{6,24}[)）]")
_PUBLISH = re.compile(
    r"(发布时间|发布日期|发表时间|更新时间|时间|日期|来源|作者|浏览|点击)\s*[:：]"
)
_BREADCRUMB = re.compile(r"(当前位置|您所在的位置|您的位置|首页\s*[>›»])")
# 政府信息公开 pages head a document with a table of fields (索引号, 发文机关, 成文日期, 标题 …)
_PUBLIC_FIELD = re.compile(
    r"(索\s*引\s*号|主题分类|体裁分类|组配分类|服务对象|发文机关|发布机构|成文日期|发布日期|"
    r"生成日期|发文字号|文\s*号|主\s*题\s*词|有\s*效\s*性|公开方式|公开范围|信息来源|"
    r"标\s*题|题\s*目|名\s*称)\s*[:：]"
)
_TITLE_FIELDS = {"标题", "题目", "名称"}
_WRITTEN_FIELDS = {"成文日期", "生成日期"}
_SENTENCE_END = re.compile(r"[。!?！？;；]")
_SECTION_START = re.compile(
    r"^([一二三四五六七八九十]+[、.]|[(（][一二三四五六七八九十]+[)）]|第[一二三四五六七八九十]+[,，、])"
)
_CHAPTER = re.compile(r"^第[一二三四五六七八九十百\d]+篇\s*[:：]?\s*")
_SPEECH_WORDS = "讲话|发言|报告|致辞|致词|主持词|主持辞|讲演|演讲|汇报|表态|讲稿|宣讲|党课"
# 在…上的表态发言 / 交流发言 / 主题报告 / 重要讲话: a short qualifier may stand before the word
_KIND = rf"[{HAN}]{{0,4}}?(?:{_SPEECH_WORDS})"
_OCCASION_TITLE = re.compile(rf"在(.+)上的?{_KIND}")
_OCCASION_LINE = re.compile(r"在(.+)上\s*$")
_OCCASION_FULL = re.compile(rf"在.+上的?{_KIND}(?:提纲)?\s*$")
# a title line ending in a joining word (暨, 关于, 的 …) goes on on the next line
_TITLE_BREAK = re.compile(r"(?:暨|和|与|及|以及|并|的|之|、|关于|在|对|同|为|以)$")
_OCCASION_BODY = re.compile(
    r"(?:召开|这次|今天的?|本次)(全[区县市省国][^,，。;；、:：“”\s]{2,24}?(?:大会|会议))"
)
_CONGRESS = re.compile(r"([省市县区])(?:第[一二三四五六七八九十]+届)?人民代表大会")
_NOT_NAME_CHARS = set("的了在是与及之讲话会议报告年月日")
# 尊敬的各位领导、各位来宾, 同志们: the address words before a salutation belong to it
_ADDRESS_CHAIN = re.compile(
    r"(?:(?:尊敬的|亲爱的|各位)[^、,，:：]{0,12}[、,，])*(?:尊敬的|亲爱的)?[ \u3000]*$"
)
MAX_HEADER_LINES = 8
SIGNATURE_LINES = 3  # a signature block: the issuing body, a name, the date
MAX_HEADER_CHARS = 90


@dataclass(frozen=True)
class Rules:
    """Cue lists from metadata_rules.yaml and the places.yaml gazetteer."""

    salutations: tuple
    levels: dict
    roles: dict
    not_names: frozenset
    surnames: frozenset
    compound_surnames: frozenset
    title_tags: tuple
    role_endings: tuple
    role_units: dict
    role_organs: tuple
    zones: tuple
    speaker_labels: tuple
    places: dict  # kind -> {short name: [full names]}
    ambiguous: frozenset
    cache: dict = field(default_factory=dict, compare=False, repr=False)  # level -> candidates


def _read_yaml(path: Path) -> dict:
    """Return the mapping in a YAML file ({} for an empty file)."""
    # libyaml's C loader parses the 77 KB gazetteer ~10x faster than the pure-Python one
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(read_analyst_text(path), Loader=loader) or {}


def _merge(base: dict, extra: dict) -> dict:
    """Return base extended by extra: lists are concatenated, mappings merged, scalars replaced."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = out[key] + [v for v in value if v not in out[key]]
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_rules(corpus_path=None) -> Rules:
    """Return the metadata rules: shipped defaults extended by the corpus folder's own copies."""
    return _load_rules(str(corpus_path) if corpus_path else "")


@functools.lru_cache(maxsize=8)
def _load_rules(corpus_path: str) -> Rules:
    """Return Rules for a corpus folder path ("" for the defaults only); cached per folder."""
    rules = _read_yaml(config.DATA_DIR / "metadata_rules.yaml")
    places = _read_yaml(config.DATA_DIR / "places.yaml")
    folder = Path(corpus_path) if corpus_path else None
    if folder and (folder / "metadata_rules.yaml").is_file():
        rules = _merge(rules, _read_yaml(folder / "metadata_rules.yaml"))
    if folder and (folder / "places.yaml").is_file():
        places = _merge(places, _read_yaml(folder / "places.yaml"))
    return Rules(
        salutations=tuple(sorted(rules["salutations"], key=len, reverse=True)),
        levels=rules["levels"],
        roles=rules["roles"],
        not_names=frozenset(rules["not_names"]),
        surnames=frozenset(rules["surnames"]),
        compound_surnames=frozenset(rules["compound_surnames"]),
        title_tags=tuple(sorted(rules.get("title_tags") or [], key=len, reverse=True)),
        role_endings=tuple(rules.get("role_endings") or []),
        role_units=rules.get("role_units") or {},
        role_organs=tuple(rules.get("role_organs") or []),
        zones=tuple(rules.get("zones") or []),
        speaker_labels=tuple(sorted(rules.get("speaker_labels") or [], key=len, reverse=True)),
        places={k: places.get(k) or {} for k in ("province", "prefecture", "county")},
        ambiguous=frozenset(places.get("ambiguous") or []),
    )


# ---------------------------------------------------------------- dates


def _cn_number(text: str) -> int:
    """Return the value of a digit string or small Chinese numeral (一 .. 三十一), else -1."""
    if text.isdigit():
        return int(text)
    if text.count("十") > 1 or any(c not in _CN_DIGIT and c != "十" for c in text):
        return -1
    if "十" in text:
        tens, _, ones = text.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            return -1
        return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)
    return int("".join(str(_CN_DIGIT[c]) for c in text))


def _valid_date(year: int, month: int, day: int) -> bool:
    """Return True when year/month/day is a real calendar date in a plausible range."""
    if not (1900 <= year <= 2100 and 1 <= month <= 12):
        return False
    return 1 <= day <= calendar.monthrange(year, month)[1]


def find_date(text: str):
    """Return (Timestamp, start, end) of the first full date in text, or (NaT, -1, -1)."""
    text = str(text).translate(_FULLWIDTH)
    found = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            y, mo, d = (_cn_number(g.replace(" ", "")) for g in m.groups())
            if _valid_date(y, mo, d):
                found.append((m.start(), m.end(), pd.Timestamp(y, mo, d)))
                break
    if not found:
        return pd.NaT, -1, -1
    start, end, stamp = min(found, key=lambda f: f[0])
    return stamp, start, end


_YEAR = re.compile(rf"(?<![\d{_CN}])(\d{{4}}|[{_CN}Oo0]{{4}})\s*年(?!代|度以来)")


def find_year(text: str):
    """Return the first plausible year (1900-2100) written as 2019年 or 二〇一九年, else NA."""
    for m in _YEAR.finditer(str(text).translate(_FULLWIDTH)):
        year = _cn_number(m.group(1))
        if 1900 <= year <= 2100:
            return year
    return pd.NA


def parse_date(text) -> pd.Timestamp:
    """Return the first full date written in text (many Chinese and ISO forms), else NaT."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return pd.NaT
    return find_date(text)[0]


_COMPACT_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)(\d\d)(\d\d)(?!\d)")


def date_in_name(name: str) -> pd.Timestamp:
    """Return the date written in a file name (2019-03-15 讲话, 20190315_讲话), else NaT."""
    stamp = parse_date(name)
    if not pd.isna(stamp):
        return stamp
    for m in _COMPACT_DATE.finditer(str(name)):
        year, month, day = (int(g) for g in m.groups())
        if _valid_date(year, month, day):
            return pd.Timestamp(year, month, day)
    return pd.NaT


def month_date(text) -> pd.Timestamp:
    """Return the first day of the month when text is only a year and month, else NaT."""
    text = str(text).strip().translate(_FULLWIDTH)
    m = _MONTH_ONLY.fullmatch(text) or _MONTH_NUMERIC.fullmatch(text)
    if not m:
        return pd.NaT
    year, month = (_cn_number(g.replace(" ", "")) for g in m.groups())
    return pd.Timestamp(year, month, 1) if _valid_date(year, month, 1) else pd.NaT


def parse_date_precision(text) -> tuple:
    """Return (date, "day"), (first of the month, "month") for 2019年3月, else (NaT, None)."""
    stamp = parse_date(text)
    if not pd.isna(stamp):
        return stamp, "day"
    stamp = (
        pd.NaT
        if text is None or (not isinstance(text, str) and pd.isna(text))
        else month_date(text)
    )
    return (stamp, "month") if not pd.isna(stamp) else (pd.NaT, None)


# ---------------------------------------------------------------- header


def _squeeze(text: str) -> str:
    """Return a name written with spaces between its characters (张 永 霞) without them."""
    if re.fullmatch(rf"(?:[{HAN}][ \u3000]+){{1,3}}[{HAN}]", text):
        return re.sub(r"[ \u3000]+", "", text)
    return text


def is_name(text: str, rules: Rules | None = None) -> bool:
    """Return True when text looks like a person's name (2-4 Han chars, or a name with ·)."""
    rules = rules or load_rules()
    if not text or re.search(r"[*＊×]", text):
        return False
    if re.search(f"[{NAME_DOTS}]", text):
        return bool(re.fullmatch(rf"[{HAN}]+(?:[{NAME_DOTS}][{HAN}]+)+", text)) and len(text) <= 15
    if not re.fullmatch(rf"[{HAN}]{{2,4}}", text) or text in rules.not_names:
        return False
    if is_role(text, rules):
        return False  # 区委书记: 区 is a surname, but this is a post
    if _NOT_NAME_CHARS & set(text):
        return False
    return text[:2] in rules.compound_surnames or text[0] in rules.surnames


def is_role(text: str, rules: Rules | None = None) -> bool:
    """Return True when text names a post (区委书记, 市委常委、组织部部长), not a person."""
    rules = rules or load_rules()
    text = text.strip()
    if not re.fullmatch(rf"[{HAN}、，, ]{{2,30}}", text) or re.search(_SPEECH_WORDS, text):
        return False
    return text.endswith(rules.role_endings) and not re.search("[的在了]", text)


def _salutation_at(line: str, rules: Rules) -> int:
    """Return where a salutation (同志们:, 各位领导、同志们:) begins in line, or -1."""
    best = -1
    for word in rules.salutations:
        m = re.search(re.escape(word) + r"\s*[:：,，!！]", line)
        if m and (best < 0 or m.start() < best):
            best = m.start()
    if best > 0:
        # 尊敬的各位领导、同志们: the address chain before the salutation belongs to it
        chain = _ADDRESS_CHAIN.search(line[:best])
        best = chain.start() if chain else best
    return best


def _header_like(text: str) -> bool:
    """Return True when a line can belong to a title block (short, no sentence punctuation)."""
    text = text.strip()
    if not text or len(text) > MAX_HEADER_CHARS or _SECTION_START.match(text):
        return False
    if text.endswith((":", "：")) and not _PUBLISH.search(text):
        return False
    return not _SENTENCE_END.search(text)


def _pieces(text: str) -> list[str]:
    """Return a header line split at an embedded date, e.g. 'title(date)name' -> 3 pieces."""
    text = text.strip()
    for m in _DATE_PAREN.finditer(text):
        if not pd.isna(parse_date(m.group())):
            parts = [text[: m.start()], m.group(), text[m.end() :]]
            return [p.strip() for p in parts if p.strip()]
    m = _DASH_DATE.search(text)
    if m and m.start() > 0:
        return [text[: m.start()].strip(), text[m.start() :].strip()]
    return [text]


def split_header(part_text: str, rules: Rules | None = None) -> tuple[list[str], int]:
    """Return the title-block lines at the top of a speech and the offset where its body starts."""
    rules = rules or load_rules()
    header, offset, raw_lines = [], 0, 0
    for m in re.finditer(r"[^\n]*(?:\n|$)", part_text):
        line, start = m.group().rstrip("\n"), m.start()
        stripped = line.strip()
        if m.start() == len(part_text) and not line:
            offset = len(part_text)
            break
        if not stripped:
            continue
        lead = start + len(line) - len(line.lstrip())
        at = _salutation_at(stripped, rules)
        if at == 0:
            offset = lead
            break
        if at > 0 and _header_like(stripped[:at]):
            header += _pieces(stripped[:at])
            offset = lead + at
            break
        if raw_lines >= MAX_HEADER_LINES or not _header_like(_untagged(stripped, rules)):
            offset = lead
            break
        header += _pieces(stripped)
        raw_lines += 1
    return (header, offset) if header else ([], 0)


# ---------------------------------------------------------------- fields


def _is_meta(line: str) -> bool:
    """Return True for publish lines, breadcrumbs and 信息公开 fields left in the header."""
    return bool(_PUBLISH.search(line) or _BREADCRUMB.search(line) or _PUBLIC_FIELD.match(line))


def _public_fields(lines: list[str]) -> tuple[list[str], dict]:
    """Return the header lines with 信息公开 field rows cut one field per line, and the fields.

    A 标题 field becomes a plain line, a title candidate like any other.
    """
    out, fields = [], {}
    for line in lines:
        found = list(_PUBLIC_FIELD.finditer(line))
        if not found or found[0].start() > 0:
            out.append(line)
            continue
        ends = [m.start() for m in found[1:]] + [len(line)]
        for m, end in zip(found, ends, strict=True):
            label, value = re.sub(r"\s", "", m.group(1)), line[m.end() : end].strip()
            if not value:
                continue
            fields.setdefault(label, value)
            if label not in _WRITTEN_FIELDS:  # the document's own date, not the page's
                out.append(value if label in _TITLE_FIELDS else f"{label}：{value}")
    return out, fields


def _without_dates(line: str) -> str:
    """Return line with its date (and the brackets around it) taken out."""
    stamp, start, end = find_date(line)
    if pd.isna(stamp):
        return line.strip()
    line = line.translate(_FULLWIDTH)
    rest = (line[:start] + line[end:]).replace("()", "").replace("（）", "")
    return rest.strip(" \u3000()（）")


def _unlabelled(text: str, rules: Rules) -> tuple[str, bool]:
    """Return a speaker line without its label (讲话人：, 〔主讲人〕) and whether it had one."""
    labels = "|".join(map(re.escape, rules.speaker_labels))
    if not labels:
        return text, False
    m = re.match(
        rf"(?:[〔\[【(（]\s*(?:{labels})\s*[〕\]】)）]|(?:{labels})\s*[:：])[ \u3000]*", text
    )
    return (text[m.end() :].strip(), True) if m else (text, False)


def _plain_name(text: str, rules: Rules) -> bool:
    """Return True for 2-6 Han characters that can be a name once a role or label vouches for it."""
    return (
        is_name(text, rules)
        or bool(re.fullmatch(rf"[{HAN}]{{2,6}}", text))
        and not any(word in text for word in rules.not_names)
        and not is_role(text, rules)
        and not _NOT_NAME_CHARS & set(text)
    )


def _dotted(name: str) -> str:
    """Return a name with its separator dots (・ ． .) written as the usual middle dot ·."""
    return re.sub(f"[{NAME_DOTS}]", "·", name)


def _speaker_in_line(line: str, rules: Rules) -> tuple:
    """Return (name, role) from a speaker line (姓名, 职务 姓名, 讲话人：姓名), else Nones."""
    text, labelled = _unlabelled(_without_dates(line), rules)
    text = re.sub(r"同志$", "", _squeeze(text))
    if is_name(text, rules) or labelled and _plain_name(text, rules):
        return _dotted(text), None
    dots = NAME_DOTS
    m = re.fullmatch(rf"(.*[{HAN}])[ \u3000]+([{HAN}{dots}][{HAN}{dots} \u3000]{{1,15}})", text)
    if m:
        first, second = m.group(1).strip(), re.sub(r"同志$", "", _squeeze(m.group(2).strip()))
        # after a stated post the next words are a name, listed surname or not (县长 扎西次仁)
        if is_name(second, rules) or is_role(first, rules) and _plain_name(second, rules):
            return _dotted(second), first
        if is_name(first, rules) and is_role(second, rules):
            return first, second  # 张三 县委书记
    m = re.fullmatch(rf"([{HAN}{dots}]{{2,15}}?)(?:同志)?\s*[(（]([^()（）]{{2,30}})[)）]", text)
    if m and is_name(m.group(1), rules) and is_role(m.group(2), rules):
        return _dotted(m.group(1)), m.group(2).strip()  # 张三(区委书记)
    return None, None


def _speaker(lines: list[str], title: str | None, rules: Rules) -> tuple:
    """Return (name, role) from the speaker line (with a role line next to it) or the title."""
    for i, line in enumerate(lines):
        name, role = _speaker_in_line(line, rules)
        if not name:
            continue
        # 区委书记 / 张三: the post may stand on a line of its own, above or below the name
        near = [lines[j] for j in (i - 1, i + 1) if 0 <= j < len(lines)]
        role = role or next((x for x in near if is_role(x, rules)), None)
        return name, role
    return _speaker_in_title(title, rules) if title else (None, None)


# 以下为县委书记李明华在会上的讲话全文 / 以下是张三同志的讲话: a news lead naming the speaker
_LEAD_SPEAKER = re.compile(
    rf"以下[为是]([{HAN}{NAME_DOTS}、]{{2,30}}?)(?:同志)?(?:在[^,，。:：;；]{{0,40}}?上)?的?{_KIND}"
)


def _lead_speaker(body: str, rules: Rules) -> tuple:
    """Return (name, role) from the speaker line or news lead above a body's salutation."""
    for line in body.lstrip().split("\n")[: MAX_HEADER_LINES + 2]:
        line = line.strip()
        if _salutation_at(line, rules) == 0:
            break
        name, role = _speaker_in_line(line, rules) if _header_like(line) else (None, None)
        m = None if name else _LEAD_SPEAKER.search(line)
        if m:
            name, role = _role_and_name(m.group(1), rules)
        if name:
            return name, role
    return None, None


# 新华网临河1月21日电: a news agency's dateline, its year left to the reader
_DATELINE = re.compile(rf"^[{HAN}A-Za-z]{{2,16}}?(\d{{1,2}})月(\d{{1,2}})日电")


def _dateline(body: str, date) -> pd.Timestamp:
    """Return the date of a news dateline opening the body, its year taken from the speech date."""
    m = _DATELINE.match(body.lstrip())
    if not m or pd.isna(date):
        return pd.NaT
    month, day = int(m.group(1)), int(m.group(2))
    for year in (date.year, date.year + 1):  # a speech of 31 December reported on 1 January
        if _valid_date(year, month, day) and pd.Timestamp(year, month, day) >= date:
            return pd.Timestamp(year, month, day)
    return pd.NaT


# A reporter's lead above the speech: 以下为讲话全文 / 讲话全文如下 / 本报讯 / a news dateline
_LEAD = re.compile(
    r"以下[为是].{0,60}?(讲话|发言|报告|致辞|讲稿)(全文|摘要|摘编|节选|要点|实录)?[。:：]?$"
    r"|(全文|摘要|要点)如下[。:：]?$|^[【\[]?本(报|网|台)讯"
)


def split_lead(body: str, rules: Rules | None = None) -> tuple[str, list[str], list[str]]:
    """Return (body from its salutation, news lead lines, title-block lines) for a led speech."""
    rules = rules or load_rules()
    lines = body.split("\n")
    top = lines[: MAX_HEADER_LINES + 3]
    at = next((i for i, line in enumerate(top) if _salutation_at(line.strip(), rules) == 0), 0)
    if not at:
        return body, [], []
    above = [line.strip() for line in lines[:at] if line.strip()]
    lead = [line for line in above if _LEAD.search(line) or _DATELINE.match(line)]
    rest = [line for line in above if line not in lead]
    # only a lead plus the speech's own title block: anything else above 同志们 stays
    if not lead or not all(map(_header_like, rest)):
        return body, [], []
    return "\n".join(lines[at:]), lead, rest


def _role_and_name(prefix: str, rules: Rules) -> tuple:
    """Return (name, role) for 张三 or 县委书记张三 written without a space, else Nones."""
    if is_name(prefix, rules):
        return _dotted(prefix), None
    for size in (3, 2, 4):
        role, name = prefix[:-size], prefix[-size:]
        if is_name(name, rules) and _role_level(role, rules):
            return name, role
    return None, None


def _speaker_in_title(title: str, rules: Rules) -> tuple:
    """Return (name, role) opening a title like 市委书记张三在全市大会上的讲话, or Nones."""
    for part in reversed(title.split("——")):
        m = re.match(
            rf"([{HAN}{NAME_DOTS}]{{2,20}}?)(?:同志)?在.+(?:{_SPEECH_WORDS})", part.strip()
        )
        if m and _role_and_name(m.group(1), rules)[0]:
            return _role_and_name(m.group(1), rules)
    return None, None


def _untagged(line: str, rules: Rules) -> str:
    """Return a title line without a web tag before it (重磅!, 【讲话】) or 全文 after it."""
    line = line.strip()
    tags = "|".join(map(re.escape, rules.title_tags))
    line = re.sub(rf"^(?:【[^】]{{1,12}}】|(?:{tags})\s*[!！:：|丨｜]+)\s*", "", line)
    return re.sub(r"\s*[(（【\[]\s*(?:附|讲话|发言)?全文\s*[)）】\]]$", "", line)


def _title_candidate(line: str, rules: Rules) -> bool:
    """Return True for a header line that can be (part of) the title."""
    if not line or _is_meta(line) or is_role(line, rules) or _speaker_in_line(line, rules)[0]:
        return False
    if _BRACKETED.fullmatch(line) or not pd.isna(month_date(line)):
        return False  # (2019年3月), (根据录音整理): a date or a note, never the title
    return pd.isna(parse_date(line)) or not (line.startswith("——") or len(_without_dates(line)) < 2)


def _continues(first: str, second: str) -> bool:
    """Return True when second completes a title that first breaks off (在… / …大会上的讲话)."""
    if second.startswith(("——", "在")) or _SENTENCE_END.search(first[-1:]):
        return False
    if _TITLE_BREAK.search(first):
        return True
    whole = (first + second).split("——")[-1]
    alone = first.split("——")[-1]
    return bool(_OCCASION_FULL.match(whole)) and not _OCCASION_TITLE.search(alone)


def _title(lines: list[str], rules: Rules) -> str | None:
    """Return the speech title: the article title (last title line), with its ——subtitle."""
    titles, joinable = [], False
    for line in lines:
        line = _CHAPTER.sub("", _untagged(line, rules))
        if not _title_candidate(line, rules):
            joinable = False
            continue
        if line.startswith("——") and titles:
            titles[-1] = titles[-1] + line
        elif joinable and _continues(titles[-1], line):
            titles[-1] = titles[-1] + line  # a title broken over two lines
        elif line.strip("—") in titles:
            joinable = False
            continue
        else:
            titles.append(line.strip("—"))
        joinable = True
    if not titles:
        return None
    with_sub = [t for t in titles if "——" in t.strip("—")]
    speech = [t for t in titles if re.search(_SPEECH_WORDS, t)]
    return (with_sub or speech or titles)[-1]


def _occasion(title: str | None, lines: list[str], body: str) -> str | None:
    """Return the meeting named by 在…上的讲话 in the title or date line, or by the opening."""
    if title:
        for part in reversed(title.split("——")):
            m = _OCCASION_TITLE.search(part)
            if m:
                return m.group(1).strip()
    for line in lines:
        if not pd.isna(parse_date(line)):
            m = _OCCASION_LINE.search(_without_dates(line).lstrip("—"))
            if m:
                return m.group(1).strip()
    m = _OCCASION_BODY.search(body[:400])
    return m.group(1) if m else None


def _first_date(lines) -> pd.Timestamp:
    """Return the first full date found in a list of lines, else NaT."""
    for line in lines:
        stamp = parse_date(line)
        if not pd.isna(stamp):
            return stamp
    return pd.NaT


# ---------------------------------------------------------------- level and place


def _role_level(role: str | None, rules: Rules) -> str | None:
    """Return the level implied by a speaker's role (省长 -> 省; 市委常委 -> 市), else None."""
    if not role:
        return None
    for word in sorted(rules.roles, key=len, reverse=True):
        if word in role:
            return rules.roles[word]
    longest = functools.partial(sorted, key=len, reverse=True)
    units = "|".join(map(re.escape, longest(rules.role_units)))
    organs = "|".join(map(re.escape, longest(rules.role_organs)))
    if not units or not organs:
        return None
    for m in re.finditer(rf"({units})(?:{organs})", role):
        if not role[: m.end(1)].endswith(rules.zones):
            return rules.role_units[m.group(1)]
    return None


def _title_level(text: str | None, rules: Rules) -> str | None:
    """Return the level named first in a title or occasion (全区 -> 区), else None."""
    if not text:
        return None
    hits = []
    for level, cues in rules.levels.items():
        hits += [(text.find(cue), -len(cue), level) for cue in cues["title"] if cue in text]
    m = _CONGRESS.search(text)
    if m and "全国人民代表大会" not in text:
        hits.append((m.start(), -9, {"省": "省", "市": "市", "县": "县", "区": "区"}[m.group(1)]))
    return min(hits)[2] if hits else None


def _prefecture_context(body: str) -> bool:
    """Return True when 地委/行署 run the meeting, so 全区 and 我区 mean the whole prefecture."""
    prefecture_cues = body.count("地委") + body.count("行署") + body.count("地直")
    return prefecture_cues >= 2 and body.count("区委") == body.count("地区委")


def level_scores(body: str, rules: Rules | None = None) -> dict:
    """Return weighted counts of level cues in a body (区 cues go to 地区 under 地委/行署)."""
    rules = rules or load_rules()
    scores = {
        level: sum(body.count(cue) * w for cue, w in cues["body"].items())
        for level, cues in rules.levels.items()
    }
    if _prefecture_context(body):
        scores["地区"] += scores["区"]
        scores["区"] = 0
    return scores


def _level(title, occasion, role, body, rules: Rules) -> str | None:
    """Return the speech level: role, then title/occasion cues, then a clear lead in the body."""
    level = _role_level(role, rules) or _title_level(occasion, rules) or _title_level(title, rules)
    scores = level_scores(body, rules)
    if level == "区" and _prefecture_context(body):
        return "地区"  # 全区 means the whole prefecture when 地委/行署 run the meeting
    if level:
        return level
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], LEVELS.index(kv[0])))
    (best, top), (_, second) = ranked[0], ranked[1]
    return best if top >= 4 and top >= 2 * second else None


_PLACE_KINDS = {
    "国家": (),
    "省": (("province", ""),),
    "地区": (("prefecture", ""),),
    "市": (("prefecture", ""), ("county", "市")),
    "县": (("county", "县"), ("county", "旗")),
    "区": (("county", "区"),),
}


def _place_candidates(level: str | None, rules: Rules) -> tuple[dict, dict]:
    """Return ({short: [full names]}, {full name: short}) for the gazetteer kinds of a level."""
    if level in rules.cache:
        return rules.cache[level]
    kinds = _PLACE_KINDS.get(level) if level else None
    if kinds is None:
        kinds = [(k, "") for k in ("province", "prefecture", "county")] if not level else ()
    shorts = {}
    for kind, suffix in kinds:
        for short, fulls in rules.places[kind].items():
            fits = [f for f in fulls if f.endswith(suffix)]
            if fits:
                shorts.setdefault(short, []).extend(fits)
    fulls = {f: short for short, names in shorts.items() for f in names if f != short}
    rules.cache[level] = (shorts, fulls)
    return shorts, fulls


_TOWN = re.compile(rf"(?<![{HAN}])([{HAN}]{{2,3}}?)[镇乡](?:党委|政府|人民政府|人大)")
_SUFFIX_CHAR = re.compile("[市区县州盟旗省]")
MAX_PLACE_NAME = 12


def _place_counts(text: str, level: str | None, rules: Rules) -> dict:
    """Return {short name: mentions} counting full names and unambiguous bare short names."""
    import rjieba  # loaded only when places are counted

    shorts, fulls = _place_candidates(level, rules)
    found = Counter(rjieba.cut(text))
    counts = {t: found[t] for t in found.keys() & shorts.keys() if t not in rules.ambiguous}
    # full names (渝水区) end in a suffix character: look back from each one, longest first
    for m in _SUFFIX_CHAR.finditer(text):
        end = m.end()
        for size in range(min(MAX_PLACE_NAME, end), 1, -1):
            short = fulls.get(text[end - size : end])
            if short:
                counts[short] = counts.get(short, 0) + 1
                break
    return counts


def _town(weighted_texts) -> str | None:
    """Return the township named most often with 镇/乡 and its party or government, else None."""
    totals = {}
    for text, weight in weighted_texts:
        for m in _TOWN.finditer(text or ""):
            totals[m.group(1)] = totals.get(m.group(1), 0) + weight
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return _leader(ranked, 1)


def _leader(ranked: list, minimum: int) -> str | None:
    """Return the first name of a ranked [(name, score)] list when it clearly leads."""
    if not ranked or ranked[0][1] < minimum:
        return None
    second = ranked[1][1] if len(ranked) > 1 else 0
    return ranked[0][0] if ranked[0][1] >= 2 * second else None


def _place(weighted_texts, level, rules: Rules) -> str | None:
    """Return the most mentioned gazetteer place of the speech's level, when it clearly leads."""
    if level == "乡镇":
        return _town(weighted_texts)
    if not _place_candidates(level, rules)[0]:
        return None
    totals = {}
    for text, weight in weighted_texts:
        for short, n in _place_counts(text or "", level, rules).items():
            totals[short] = totals.get(short, 0) + n * weight
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return _leader(ranked, 1 if level else 3)


# ---------------------------------------------------------------- public


def _date_only(line: str) -> tuple:
    """Return (date, precision) when a line holds nothing but a date, else (NaT, None)."""
    line = line.strip()
    date, precision = parse_date_precision(line)
    if precision == "month" or (not pd.isna(date) and len(_without_dates(line).strip("—- ")) < 2):
        return date, precision
    return pd.NaT, None


def _date_lines(body: str, rules: Rules) -> list[str]:
    """Return the date-only lines above the salutation near the top of a body."""
    found = []
    for line in body.lstrip().split("\n")[: MAX_HEADER_LINES + 2]:
        if _salutation_at(line.strip(), rules) == 0:
            break
        # an editor's lead can come first, then the speech's own title, speaker and date
        if not pd.isna(_date_only(line)[0]):
            found.append(line)
    return found


# The issuer written above a signature date: 中共某某区委, 某某县人民政府办公室, 某某区委员会
_ISSUER = re.compile(
    rf"[{HAN}（）()]{{1,28}}(委员会|党委|党组|党工委|工委|委|人民政府|政府|人大常委会|政协"
    r"|办公室|办公厅|办事处|厅|局|部|中心|院|会)"
)


def _signature_line(line: str, rules: Rules, bottom: bool) -> bool:
    """Return whether a closing line belongs to a signature block (issuer, name, date)."""
    if not pd.isna(_date_only(line)[0]):
        return True
    dated = not pd.isna(find_date(line)[0])
    if bottom and not dated:
        return False  # a block ends with its date: 中共某某区委 alone may be a closing sentence
    rest = re.sub(r"\s+", "", _without_dates(line) if dated else line)
    return bool(_ISSUER.fullmatch(rest)) or (not dated and is_name(rest, rules))


def split_signature(body: str, rules: Rules | None = None) -> tuple[str, list[str]]:
    """Return the body without its closing signature block (issuer, name, date), and the block."""
    rules = rules or load_rules()
    lines = body.rstrip().split("\n")
    block = []
    while len(lines) > 1 and len(block) < SIGNATURE_LINES:
        line = lines[-1].strip()
        if line and not _signature_line(line, rules, bottom=not block):
            break
        lines.pop()
        if line:
            block.insert(0, line)
    if not block:
        return body, []
    return "\n".join(lines).rstrip(), block


def _speech_date(lines: list[str], body: str, rules: Rules, closing=(), name=None) -> tuple:
    """Return (date, precision): header, top of the body, signature at the end, file name."""
    date = _first_date(lines)
    if not pd.isna(date):
        return date, "day"
    m = _DATE_PAREN.match(body.lstrip())
    for line in [*lines, *([m.group()] if m else []), *_date_lines(body, rules)]:
        date, precision = parse_date_precision(line)
        if not pd.isna(date):
            return date, precision
    # 中共某某区委 / 2019年3月15日 under a written speech: its date, not a web publish date
    for line in [*closing, *body.rstrip().split("\n")[-SIGNATURE_LINES:]]:
        date, precision = _date_only(str(line))
        if not pd.isna(date):
            return date, precision
    for line in split_signature(body, rules)[1]:  # 中共某某区委 2019年3月15日 on one line
        date = find_date(line)[0]
        if not pd.isna(date):
            return date, "day"
    date = date_in_name(name) if name else pd.NaT
    return (date, "day") if not pd.isna(date) else (pd.NaT, None)


def extract_metadata(
    header_lines, body: str, context=(), rules: Rules | None = None, closing=(), name=None
) -> dict:
    """Return title, speaker, role, date, published, occasion, level, place and date precision."""
    # context: removed publish lines and covers; closing: those removed after the speech's
    # last line (a bare date there is its signature date); name: the file name
    rules = rules or load_rules()
    lines = [str(x).strip() for x in header_lines if str(x).strip()]
    lines, fields = _public_fields(lines)
    plain = [x for x in lines if not _is_meta(x)]
    title = _title(lines, rules)
    speaker, role = _speaker(plain, title, rules)
    if not speaker:
        speaker, role = _lead_speaker(body, rules)
    if speaker and title:
        # 徐文泊在全区三级干部大会上的讲话: the name is kept in speaker, not in the title
        title = re.sub(rf"(^|——){re.escape(speaker)}(?:同志)?(?=在)", r"\1", title)
    closing = [str(c) for c in closing]
    date, precision = _speech_date(plain, body, rules, closing, name)
    written = parse_date(fields.get("成文日期") or fields.get("生成日期") or "")
    if pd.isna(date) and not pd.isna(written):
        date, precision = written, "day"  # the date the page files the document under
    publish = [x for x in lines if _PUBLISH.search(x)] + [str(c) for c in context]
    published = _first_date(publish + [c for c in closing if pd.isna(_date_only(c)[0])])
    if pd.isna(published):
        published = _dateline(body, date)
    occasion = _occasion(title, plain, body)
    level = _level(title, occasion, role, body, rules)
    header_text = "\n".join(lines)
    weighted = [(header_text, 5), ("\n".join(map(str, [*context, *closing])), 3), (body, 1)]
    place = _place(weighted, level, rules)
    out = dict(title=title, speaker=speaker, role=role, date=date, published=published)
    out.update(occasion=occasion, level=level, place=place, date_precision=precision)
    return {k: (pd.NA if v is None else v) for k, v in out.items()}


# ---------------------------------------------------------------- analyst overrides

# columns an analyst may correct in metadata.csv (the text itself is never overridden)
OVERRIDABLE = ("source", "part") + FIELDS + ("duplicate_of",)


def _read_table(path: Path) -> tuple[pd.DataFrame | None, str]:
    """Return (metadata.csv as a table of strings, "") or (None, why it cannot be used)."""
    import io

    try:
        text = read_analyst_text(path)
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 or GB18030 text (bad byte at {exc.start}): nothing applied"
    if not text.strip():
        return None, "the file is empty: nothing applied"
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = str(exc).strip().splitlines()[-1]
        return None, f"not a readable CSV table ({reason}): nothing applied"
    table.columns = [str(c).strip() for c in table.columns]
    return table, ""


def _duplicate_ids(ids: pd.Series, source: str) -> list[dict]:
    """Return a problem for each speech_id on several rows (the last row's values win)."""
    problems = []
    for sid, rows in ids.groupby(ids, sort=False).groups.items():
        if len(rows) > 1:
            lines = ", ".join(str(i + 2) for i in rows)  # +2: header line, 1-based lines
            problems.append(
                _problem(
                    source,
                    f"speech_id '{sid}' is on {len(rows)} rows (lines {lines}): "
                    "a later row's values override an earlier row's",
                )
            )
    return problems


def _override_value(column: str, value: str, speech_id: str, problems: list, source: str):
    """Return the typed override for one cell, or None (with a problem row) when it is unusable."""
    if column in DATE_FIELDS:
        # a speech may be dated to the month (2019年3月); a publication date is always a day
        stamp = parse_date_precision(value)[0] if column == "date" else parse_date(value)
        if pd.isna(stamp):
            problems.append(_problem(source, f"{speech_id}: {column} '{value}' is not a date"))
            return None
        return stamp
    if column == "level" and value not in LEVELS:
        allowed = "/".join(LEVELS)
        problems.append(_problem(source, f"{speech_id}: level '{value}' is not one of {allowed}"))
        return None
    if column == "part":
        if not value.isdigit():
            problems.append(_problem(source, f"{speech_id}: part '{value}' is not a number"))
            return None
        return int(value)
    return value


def _problem(source: str, message: str, severity: str = "warning") -> dict:
    """Return one problems row."""
    return {"source": source, "severity": severity, "message": message}


def apply_overrides(speeches: pd.DataFrame, path) -> tuple[pd.DataFrame, list[dict]]:
    """Return speeches with metadata.csv cells applied (blank cells keep values) and problems."""
    path, out, problems = Path(path), speeches.copy(), []
    source = path.name
    if not path.is_file():
        return out, [_problem(source, f"metadata file {path} does not exist", "error")]
    table, why = _read_table(path)
    if table is None:
        return out, [_problem(source, why, "error")]
    if "speech_id" not in table.columns:
        return out, [
            _problem(source, "metadata.csv has no speech_id column: nothing applied", "error")
        ]
    for column in table.columns:
        if column != "speech_id" and column not in OVERRIDABLE:
            problems.append(_problem(source, f"unknown column '{column}' ignored"))
    columns = [c for c in table.columns if c in OVERRIDABLE]
    problems += _duplicate_ids(table["speech_id"].str.strip(), source)
    index = {sid: i for i, sid in zip(out.index, out["speech_id"], strict=True)}
    for _, row in table.iterrows():
        sid = row["speech_id"].strip()
        if sid not in index:
            problems.append(_problem(source, f"unknown speech_id '{sid}' ignored"))
            continue
        for column in columns:
            value = row[column].strip()
            typed = _override_value(column, value, sid, problems, source) if value else None
            if typed is not None:
                out[column] = (
                    out[column].astype("object") if column not in DATE_FIELDS else out[column]
                )
                out.at[index[sid], column] = typed
                if column == "date" and "date_precision" in out:
                    out["date_precision"] = out["date_precision"].astype("object")
                    out.at[index[sid], "date_precision"] = parse_date_precision(value)[1]
    return out, problems
