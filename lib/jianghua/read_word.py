"""Read Word .docx files as Word shows them: tracked changes, content controls, list numbers."""

import io
import re
import zipfile
from dataclasses import dataclass

from jianghua.read_text import ReadError, check_zip, row_lines


def read_docx(data: bytes) -> tuple[str, list[str]]:
    """Return (paragraphs and table rows of a .docx, one per line in document order; notes)."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        # read_document sends these to read_doc, which reads a .doc and names other kinds
        raise ReadError(
            "not a .docx: an OLE compound file (a Word 97-2003 .doc or a password-protected file)"
        )
    check_zip(data, ".docx")
    import docx  # imported here: only needed for Word files
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise ReadError("corrupt .docx: no word/document.xml inside")
            notes = _unread_notes(archive)
            if _needs_rewrite(archive):
                data = _transitional(archive)
        document = docx.Document(io.BytesIO(data))
        word = _Word(document, _Numbering(document))
    except ReadError:
        raise
    except (zipfile.BadZipFile, KeyError) as err:
        raise ReadError(f"corrupt .docx: {err}") from err
    except etree.XMLSyntaxError as err:
        raise ReadError(f"corrupt .docx: broken XML inside ({err})") from err
    except Exception as err:  # python-docx raises many types for damaged packages
        raise ReadError(f"corrupt .docx: {type(err).__name__}: {err}") from err
    return "\n".join(_docx_lines(word)), notes


# Word's "Strict Open XML" files (and some converters') name the same markup by ISO namespaces,
# which python-docx does not know: http://purl.oclc.org/ooxml/wordprocessingml/main is
# http://schemas.openxmlformats.org/wordprocessingml/2006/main, and so on for every part.
STRICT_MARK = b"http://purl.oclc.org/ooxml/"
STRICT_RE = re.compile(
    rb"http://purl\.oclc\.org/ooxml/(officeDocument|drawingml|wordprocessingml)/"
)


# A macro-enabled document (.docm) or a template (.dotx, .dotm), often renamed .docx, differs
# from a .docx only in its main part's content type, which python-docx refuses.
DOCUMENT_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
OTHER_MAIN_TYPE = re.compile(
    rb"application/vnd\.(?:ms-word\.(?:document|template)\.macroEnabled"
    rb"|openxmlformats-officedocument\.wordprocessingml\.template)\.main\+xml"
)
CONTENT_TYPES = "[Content_Types].xml"


def _needs_rewrite(archive) -> bool:
    """Return True for a Strict OOXML package, a macro-enabled document or a template."""
    names = archive.namelist()
    types = archive.read(CONTENT_TYPES) if CONTENT_TYPES in names else b""
    document = archive.read("word/document.xml")[:4096]
    return STRICT_MARK in document or OTHER_MAIN_TYPE.search(types) is not None


def _transitional(archive) -> bytes:
    """Return the package with transitional namespaces and a plain document's content type."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as copy:
        for info in archive.infolist():
            part = archive.read(info)
            if info.filename.endswith((".xml", ".rels")):
                part = STRICT_RE.sub(rb"http://schemas.openxmlformats.org/\1/2006/", part)
            if info.filename == CONTENT_TYPES:
                part = OTHER_MAIN_TYPE.sub(DOCUMENT_TYPE, part)
            copy.writestr(info, part)
    return out.getvalue()


# Footnote parts hold separators (typed) beside the real notes (untyped).
NOTE_PARTS = {"footnote": "word/footnotes.xml", "endnote": "word/endnotes.xml"}


def _unread_notes(archive) -> list[str]:
    """Return a reading note counting the footnotes and endnotes, which are not read."""
    counts = []
    for kind, name in NOTE_PARTS.items():
        if name in archive.namelist():
            xml = archive.read(name)
            found = len(re.findall(rb"<w:%s(?=[\s>])(?![^>]*w:type=)" % kind.encode(), xml))
            if found:
                counts.append(f"{found} {kind}{'s' if found > 1 else ''}")
    return [" and ".join(counts) + " not read"] if counts else []


@dataclass
class _Word:
    """A python-docx document with the running list numbers of the paragraphs read so far."""

    document: object
    numbering: "_Numbering"


def _docx_lines(word: _Word) -> list[str]:
    """Return the non-empty lines of a Word document: paragraphs and table rows."""
    lines = _block_lines(word.document.element.body, word)
    return [line for line in lines if line.strip()]


# Word markup whose text is not shown: deletions, text moved away, field codes, properties.
WORD_HIDDEN = {"del", "moveFrom", "instrText", "delText", "pPr", "rPr", "Fallback"}
WORD_CHARACTERS = {"tab": "\t", "ptab": "\t", "br": "\n", "cr": "\n", "noBreakHyphen": "-"}


def _block_lines(container, word: _Word) -> list[str]:
    """Return the lines of the paragraphs and tables in a Word body, cell, box or control."""
    from docx.table import Table

    lines = []
    for block in container.iterchildren():
        tag = _word_tag(block)
        if tag == "p":
            lines.extend(_paragraph_lines(block, word))
        elif tag == "tbl":
            lines.extend(_table_rows(Table(block, word.document), word))
        elif tag in ("sdt", "sdtContent", "customXml", "ins", "moveTo"):
            # content controls and tracked insertions wrap whole paragraphs Word shows
            lines.extend(_block_lines(block, word))
    return lines


def _paragraph_lines(paragraph, word: _Word) -> list[str]:
    """Return the lines Word shows for a paragraph: its text boxes' lines, then its text."""
    number = word.numbering.label(paragraph)
    parts, boxes = [], []
    _collect_text(paragraph, word, parts, boxes)
    text = "".join(parts)
    return [*boxes, number + text if text.strip() else text]


def _collect_text(element, word: _Word, parts: list, boxes: list) -> None:
    """Append the shown text under element to parts, and its text boxes' lines to boxes."""
    for child in element.iterchildren():
        tag = _word_tag(child)
        if tag in WORD_HIDDEN or tag is None:
            continue
        if tag == "txbxContent":
            boxes.extend(_block_lines(child, word))
        elif tag == "t":
            parts.append(child.text or "")
        elif tag in WORD_CHARACTERS:
            parts.append(WORD_CHARACTERS[tag])
        else:  # runs, insertions, hyperlinks, inline controls, fields, drawings
            _collect_text(child, word, parts, boxes)


def _word_tag(element) -> str | None:
    """Return an XML element's local name (None for comments and processing instructions)."""
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else None


def _table_rows(table, word: _Word) -> list[str]:
    """Return the lines of a table's rows (see row_lines); merged cells appear once."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(_block_lines(cell._tc, word))
        rows.extend(row_lines(cells))
    return rows


W_ATTR = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CHINESE_DIGITS = "零一二三四五六七八九"
HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"


def chinese_number(n: int) -> str:
    """Return n (0-9999) in Chinese numerals as Word counts: 十一, 二十, 一百零五."""
    if n < 10:
        return CHINESE_DIGITS[n]
    if n < 20:
        return "十" + (CHINESE_DIGITS[n % 10] if n % 10 else "")
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit:
            out += ("零" if zero and out else "") + CHINESE_DIGITS[digit] + unit
        zero = not digit
    return out


def roman_number(n: int) -> str:
    """Return n (1-3999) in upper-case Roman numerals: IV, XII; str(n) outside that range."""
    if not 0 < n < 4000:
        return str(n)
    out = ""
    for value, letters in zip(ROMAN_VALUES, ROMAN_LETTERS, strict=True):
        count, n = divmod(n, value)
        out += letters * count
    return out


ROMAN_VALUES = (1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1)
ROMAN_LETTERS = ("M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I")
FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def _enclosed(first: int, last: int):
    """Return a formatter for the Unicode run of enclosed numbers 1..last starting at first."""
    return lambda n: chr(first - 1 + n) if 1 <= n <= last else str(n)


# Word's numFmt names for the counters speeches use; others (bullets...) get no number.
NUMBER_FORMATS = {
    "decimal": str,
    "decimalZero": lambda n: f"{n:02d}",
    "decimalFullWidth": lambda n: str(n).translate(FULL_WIDTH_DIGITS),
    "decimalFullWidth2": lambda n: str(n).translate(FULL_WIDTH_DIGITS),
    "decimalEnclosedParen": _enclosed(0x2474, 20),  # ⑴
    "decimalEnclosedFullstop": _enclosed(0x2488, 20),  # ⒈
    "upperRoman": roman_number,
    "lowerRoman": lambda n: roman_number(n).lower(),
    "chineseCounting": chinese_number,
    "chineseCountingThousand": chinese_number,
    "taiwaneseCounting": chinese_number,
    "taiwaneseCountingThousand": chinese_number,
    "ideographTraditional": lambda n: HEAVENLY_STEMS[(n - 1) % 10],
    "decimalEnclosedCircle": _enclosed(0x2460, 20),  # ①
    "decimalEnclosedCircleChinese": _enclosed(0x2460, 20),
    "lowerLetter": lambda n: chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1),
    "upperLetter": lambda n: chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1),
}
LEVEL_RE = re.compile(r"%([1-9])")


def spaced_label(label: str) -> str:
    """Return a list number as it goes before its paragraph's text (the .doc reader's too)."""
    # "1.2" needs a space before the text; "一、" and "（一）" end in punctuation
    return label + (" " if label[-1:].isascii() and label[-1:].isalnum() else "")


class _Numbering:
    """Word's automatic list numbers: each list's level formats and its running counters."""

    def __init__(self, document):
        self.levels = _list_levels(document.part.numbering_part.element)
        self.styles = _style_lists(document.part.styles.element)
        self.counters = {}  # numId -> {level: current value}

    def label(self, paragraph) -> str:
        """Return the number Word shows before a paragraph ('' if none), counting it."""
        num_id, level = self._list_of(paragraph)
        levels = self.levels.get(num_id)
        if not levels or level not in levels:
            return ""
        counts = self.counters.setdefault(num_id, {})
        counts[level] = counts[level] + 1 if level in counts else levels[level][0]
        for deeper in [k for k in counts if k > level]:
            del counts[deeper]  # a higher level advancing restarts the levels below it
        _, number_format, text = levels[level]
        if number_format not in NUMBER_FORMATS:
            return ""

        def number(match) -> str:
            shown = int(match.group(1)) - 1
            start, fmt, _ = levels.get(shown, (1, "decimal", ""))
            return NUMBER_FORMATS.get(fmt, str)(counts.get(shown, start))

        return spaced_label(LEVEL_RE.sub(number, text))

    def _list_of(self, paragraph) -> tuple[str | None, int]:
        """Return (numId, level) of a paragraph's list, set on it or by its style."""
        ppr = paragraph.pPr
        num_pr = ppr.numPr if ppr is not None else None
        style = self.styles.get(
            ppr.pStyle.val if ppr is not None and ppr.pStyle is not None else None
        )
        num_id, level = style or (None, 0)
        if num_pr is not None:
            if num_pr.numId is not None:
                num_id = str(num_pr.numId.val)
            if num_pr.ilvl is not None:
                level = num_pr.ilvl.val
        return num_id, level


def _list_levels(numbering) -> dict:
    """Return {numId: {level: (start, numFmt, lvlText)}} from word/numbering.xml."""
    abstract = {}
    for element in _xpath(numbering, "w:abstractNum"):
        abstract[element.get(f"{W_ATTR}abstractNumId")] = {
            int(lvl.get(f"{W_ATTR}ilvl", 0)): (
                int(_word_val(lvl, "w:start") or 1),
                _word_val(lvl, "w:numFmt") or "decimal",
                _word_val(lvl, "w:lvlText") or "",
            )
            for lvl in _xpath(element, "w:lvl")
        }
    lists = {}
    for num in _xpath(numbering, "w:num"):
        levels = dict(abstract.get(_word_val(num, "w:abstractNumId"), {}))
        for override in _xpath(num, "w:lvlOverride[w:startOverride]"):
            level = int(override.get(f"{W_ATTR}ilvl", 0))
            if level in levels:
                levels[level] = (int(_word_val(override, "w:startOverride")), *levels[level][1:])
        lists[num.get(f"{W_ATTR}numId")] = levels
    return lists


def _style_lists(styles) -> dict:
    """Return {styleId: (numId, level)} for paragraph styles that number their paragraphs."""
    found = {}
    for style in _xpath(styles, "w:style[w:pPr/w:numPr/w:numId]"):
        level = _xpath(style, "w:pPr/w:numPr/w:ilvl/@w:val")
        num_id = _xpath(style, "w:pPr/w:numPr/w:numId/@w:val")[0]
        found[style.get(f"{W_ATTR}styleId")] = (num_id, int(level[0]) if level else 0)
    return found


def _word_val(element, child: str) -> str | None:
    """Return the w:val of element's first child of that name, or None."""
    values = _xpath(element, f"{child}/@w:val")
    return values[0] if values else None


def _xpath(element, path: str) -> list:
    """Return the xpath matches under a Word element, with the w: prefix bound."""
    from lxml import etree

    return etree._Element.xpath(element, path, namespaces={"w": W_ATTR[1:-1]})
