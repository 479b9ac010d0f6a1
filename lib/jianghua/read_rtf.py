"""Read RTF files as Word, WPS, WordPad and LibreOffice write them, Chinese included.

Chinese RTF holds its text in two ways, often both: \\'hh byte escapes in the code page of the
current font (a Chinese character is two of them in GBK, code page 936) and \\uN Unicode escapes
(N a signed 16-bit number) each followed by \\ucN fallback characters that a Unicode reader
skips. Groups starting with \\* and the known destinations (font table, styles, pictures,
headers, footnotes, field codes) hold no body text; a field's result (\\fldrslt) is the text
shown. Paragraphs end at \\par; a table cell at \\cell and a row at \\row.
"""

import codecs
import re
from dataclasses import dataclass, replace

from jianghua.read_text import ReadError, row_lines
from jianghua.read_word import spaced_label

RTF_MAGIC = b"{\\rtf"
TOKEN_RE = re.compile(
    rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|[\r\n]+|([^\\{}\r\n]+)",
    re.S,
)
# Groups whose text is not body text (the RTF 1.9 destinations that hold text or data).
DESTINATIONS = frozenset(
    (
        "fonttbl colortbl stylesheet listtable listoverridetable revtbl rsidtbl info pict "
        "header headerl headerr headerf footer footerl footerr footerf footnote annotation "
        "atnid atnauthor atndate atnref fldinst xe tc txe rxe themedata colorschememapping "
        "datastore latentstyles xmlnstbl generator objdata objclass objname private "
        "shpinst sp sn sv nonshppict bkmkstart bkmkend filetbl userprops docvar template "
        "pgdsctbl mmathPr listtext pntext"
    ).split()
)
LABEL_DESTINATIONS = {"listtext", "pntext"}  # the list number Word shows before a paragraph
CHARACTERS = {
    "tab": "\t",
    "line": "\n",
    "emdash": "\u2014",
    "endash": "\u2013",
    "emspace": "\u2003",
    "enspace": "\u2002",
    "qmspace": "\u2005",
    "bullet": "\u2022",
    "lquote": "\u2018",
    "rquote": "\u2019",
    "ldblquote": "\u201c",
    "rdblquote": "\u201d",
}
SYMBOLS = {"~": "\xa0", "_": "-", "-": "", "{": "{", "}": "}", "\\": "\\"}
PARAGRAPH_ENDS = {"par", "sect", "page", "\n", "\r"}  # "\\" + a line end is a \par too
# \fcharsetN: the code page of a font's \'hh bytes; 0 (ANSI) and 1 (default) are the
# document's own \ansicpg, which Chinese Word and WPS set to 936.
CHARSET_CODECS = {
    2: "cp1252",
    77: "mac_roman",
    128: "cp932",
    129: "cp949",
    130: "johab",
    134: "gb18030",
    136: "cp950",
    161: "cp1253",
    162: "cp1254",
    163: "cp1258",
    177: "cp1255",
    178: "cp1256",
    186: "cp1257",
    204: "cp1251",
    222: "cp874",
    238: "cp1250",
    254: "cp437",
    255: "cp850",
}
CODE_PAGES = {936: "gb18030", 950: "cp950", 10000: "mac_roman", 65001: "utf-8"}
CHARSET_WORDS = {"ansi": "cp1252", "mac": "mac_roman", "pc": "cp437", "pca": "cp850"}


@dataclass
class _Group:
    """The state a group inherits from its parent and gets back when it closes."""

    skip: str = ""  # "": body text; "dest": a destination; "upr": upr's non-Unicode copy
    dest: str = ""  # the destination the group is in ("fonttbl", "listtext", ...)
    uc: int = 1  # fallback characters after each \uN
    font: str | None = None
    in_table: bool = False


def read_rtf(data: bytes) -> tuple[str, list[str]]:
    """Return (paragraphs and table rows of an RTF file, one per line in order; notes)."""
    if not data.strip():
        raise ReadError("empty file")
    start = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n\0")
    if not start.startswith(RTF_MAGIC):
        raise ReadError("not an RTF file: it does not start with {\\rtf")
    reader = _Reader()
    reader.read(data[data.index(RTF_MAGIC) :])
    text = "\n".join(line for line in reader.lines if line.strip())
    if not text.strip():
        raise ReadError("empty RTF file: no text in the document body")
    return text, reader.notes()


class _Reader:
    """An RTF tokenizer that keeps the shown text: paragraphs, table rows and cells."""

    def __init__(self):
        self.group = _Group()
        self.stack: list[_Group] = []
        self.codec = "cp1252"  # the document's code page, for fonts of the ANSI charset
        self.fonts: dict[str, str] = {}  # font number -> codec of its charset
        self.font_def = None  # the font table entry being read
        self.default_font = None
        self.pending = bytearray()  # bytes of the current font not yet decoded
        self.pending_codec = None
        self.fallback = 0  # \uN fallback characters still to skip
        self.star = False  # a \* before the group's first control word
        self.parts: list[str] = []  # the current paragraph's text
        self.label: list[str] = []  # the current list number's text
        self.cell: list[str] = []  # the current cell's paragraphs
        self.row: list[str] = []  # the current row's cells
        self.lines: list[str] = []
        self.footnotes = 0
        self.replaced = 0

    def read(self, data: bytes) -> None:
        """Read the document's tokens up to the brace that closes its outer group."""
        pos, end = 0, len(data)
        while pos < end:
            match = TOKEN_RE.match(data, pos)
            if match is None:  # a lone backslash at the very end
                break
            pos = match.end()
            word, arg, hexa, symbol, brace, text = match.groups()
            if brace:
                if not self._brace(brace):
                    self._flush()
                    self._end_paragraph()
                    self._end_row()
                    return
            elif word:
                if word == b"bin" and arg:
                    pos += max(int(arg), 0)  # raw binary data (a picture), never text
                self._word(word.decode(), int(arg) if arg else None)
            elif hexa:
                self._bytes(bytes.fromhex(hexa.decode()), 1)
            elif symbol:
                self._symbol(symbol.decode("latin-1"))
            elif text:
                self._bytes(text, len(text))
        open_groups = f"{len(self.stack)} group{'s' if len(self.stack) > 1 else ''} not closed"
        raise ReadError(f"corrupt RTF file: cut short ({open_groups})")

    def notes(self) -> list[str]:
        """Return the reading notes: footnotes not read, bytes that did not decode."""
        notes = []
        if self.footnotes:
            notes.append(f"{self.footnotes} footnote{'s' if self.footnotes > 1 else ''} not read")
        if self.replaced:
            notes.append(
                f"{self.replaced} character{'s' if self.replaced > 1 else ''} of the RTF text "
                "did not decode in the font's code page: replaced with U+FFFD"
            )
        return notes

    def _brace(self, brace: bytes) -> bool:
        """Open or close a group; return False when the document's outer group closes."""
        self._flush()
        self.fallback = 0
        if brace == b"{":
            self.stack.append(self.group)
            self.group = replace(self.group)
            self.star = False
            return True
        if not self.stack:
            return False
        closed, self.group = self.group, self.stack.pop()
        if closed.dest in LABEL_DESTINATIONS and self.group.dest != closed.dest:
            self._add_label(closed)
        return bool(self.stack)

    def _add_label(self, closed: _Group) -> None:
        """Put the list number read in a closed listtext group before the paragraph's text."""
        label = self._decoded("".join(self.label)).strip()
        self.label = []
        # bullets (a Symbol-font dot, ·, ➢) are not numbers: the .docx reader skips them too
        if any(char.isalnum() for char in label) and not closed.skip and not self.group.skip:
            self.parts.append(spaced_label(label))

    def _word(self, word: str, arg: int | None) -> None:
        """Act on one control word."""
        self._flush()
        if self.fallback:
            self.fallback -= 1  # a control word in the fallback text counts as one character
            return
        group = self.group
        if self.star or word in DESTINATIONS:
            self._destination(word)
        elif word in ("u", "uc", "f", "plain", "deff", "fcharset", "fcpg", "upr", "ud"):
            self._font_or_unicode(word, arg)
        elif word == "ansicpg" and arg:
            self.codec = _code_page(arg)
        elif word in CHARSET_WORDS:
            self.codec = CHARSET_WORDS[word]
        elif word in ("pard", "intbl", "itap"):
            group.in_table = word == "intbl" or (word == "itap" and bool(arg))
        elif group.skip:
            return
        elif word in PARAGRAPH_ENDS:
            self._end_paragraph()
        elif word in CHARACTERS:
            self._add(CHARACTERS[word])
        elif word in ("cell", "nestcell"):
            self._end_paragraph(into_cell=True)
            if word == "cell":
                self._end_cell()
        elif word == "row":
            self._end_row()

    def _destination(self, word: str) -> None:
        """Mark the group as a destination, kept (a list number, \\ud) or skipped."""
        starred, self.star = self.star, False
        group = self.group
        if word == "ud" and group.skip == "upr":
            group.skip = ""  # the Unicode copy of an \upr group is the one to read
            return
        if word == "upr":
            group.skip = group.skip or "upr"
            return
        if word == "footnote" and not group.skip:
            self.footnotes += 1
        if word in LABEL_DESTINATIONS and not starred:
            group.dest = word
            return
        if word not in DESTINATIONS and not starred:
            return
        group.skip = "dest"
        group.dest = word if not group.dest else group.dest

    def _font_or_unicode(self, word: str, arg: int | None) -> None:
        """Act on a control word about fonts, code pages or Unicode characters."""
        group = self.group
        if word == "u" and arg is not None:
            if not group.skip:
                self._add(chr(arg & 0xFFFF))  # N is signed 16-bit: \u-20000 is U+B1E0
            self.fallback = group.uc
        elif word == "uc" and arg is not None:
            group.uc = max(arg, 0)
        elif word in ("upr", "ud"):
            self._destination(word)
        elif group.dest == "fonttbl":
            self._font_entry(word, arg)
        elif word == "f":
            group.font = str(arg)
        elif word == "plain":
            group.font = self.default_font
        elif word == "deff":
            self.default_font = group.font = str(arg)

    def _font_entry(self, word: str, arg: int | None) -> None:
        """Record a font table entry's number and the code page of its charset."""
        if word == "f":
            self.font_def = str(arg)
        elif word == "fcharset" and arg in CHARSET_CODECS:
            self.fonts[self.font_def] = CHARSET_CODECS[arg]
        elif word == "fcpg" and arg:
            self.fonts[self.font_def] = _code_page(arg)

    def _symbol(self, symbol: str) -> None:
        """Act on a control symbol: \\~, \\-, \\_, an escaped brace, \\* or a line end."""
        if self.fallback:
            self.fallback -= 1
            return
        if symbol == "*":
            self.star = True
        elif symbol in PARAGRAPH_ENDS:
            self._flush()
            if not self.group.skip:
                self._end_paragraph()
        elif symbol in SYMBOLS:
            self._bytes(SYMBOLS[symbol].encode("utf-8"), 1, codec="utf-8")

    def _bytes(self, data: bytes, count: int, codec: str | None = None) -> None:
        """Add text bytes (of count characters) in the current font's code page."""
        if self.fallback:
            skipped = min(self.fallback, count)
            self.fallback -= skipped
            data = data[skipped:] if count == len(data) else b""
            if not data:
                return
        if self.group.skip:
            return
        codec = codec or self.fonts.get(self.group.font) or self.codec
        if codec != self.pending_codec:
            self._flush()
            self.pending_codec = codec
        self.pending += data

    def _flush(self) -> None:
        """Decode the bytes gathered so far into the paragraph's text."""
        if not self.pending:
            return
        text = bytes(self.pending).decode(self.pending_codec, "replace")
        self.replaced += text.count("\ufffd")
        self.pending.clear()
        self._add(text)

    def _add(self, text: str) -> None:
        """Add decoded text to the current paragraph, or to the list number being read."""
        if self.group.dest in LABEL_DESTINATIONS:
            self.label.append(text)
        elif not self.group.skip:
            self.parts.append(text)

    def _decoded(self, text: str) -> str:
        """Return text with the UTF-16 surrogate pairs of \\uN escapes joined into characters."""
        if not any("\ud800" <= char <= "\udfff" for char in text):
            return text
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")

    def _end_paragraph(self, into_cell: bool = False) -> None:
        """End the current paragraph: a line of its own, or a paragraph of a table cell."""
        text = self._decoded("".join(self.parts))
        self.parts = []
        if into_cell or self.group.in_table:
            self.cell.extend(line.strip() for line in text.split("\n") if line.strip())
            return
        self._end_row()
        self.lines.append(text)

    def _end_cell(self) -> None:
        """End the current cell: its paragraphs kept for the row (see row_lines)."""
        self.row.append(self.cell)
        self.cell = []

    def _end_row(self) -> None:
        """End the current table row: its lines as every reader gives them (row_lines)."""
        if self.cell:
            self._end_cell()
        if self.row:
            self.lines.extend(row_lines(self.row))
            self.row = []


def _code_page(number: int) -> str:
    """Return the Python codec of a Windows code page number (cp1252 if it has none)."""
    name = CODE_PAGES.get(number, f"cp{number}")
    try:
        codecs.lookup(name)
    except LookupError:
        return "cp1252"
    return name
