"""Read Word 97-2003 .doc files (and WPS .wps files, the same format) by their piece table.

The layout follows [MS-DOC]: the File Information Block (FIB) at the start of the WordDocument
stream says which table stream holds the piece table (Clx) and how long the main text is; each
piece is a run of characters stored as UTF-16 or as 8-bit cp1252. The paragraph properties
(PAPX) say which paragraph marks end a table cell or a table row, and which paragraphs are in an
automatically numbered list: their numbers are rebuilt from the list tables (PlfLst, PlfLfo) and
the paragraph styles (STSH), as Word counts them.
"""

import io
import struct
from dataclasses import dataclass

from jianghua.read_text import ReadError, row_lines
from jianghua.read_word import NUMBER_FORMATS, spaced_label

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORD_IDENT = 0xA5EC
WORD6_IDENT = 0xA5DC  # Word 6.0; Word 95 files carry Word 97's mark with an older nFib
MIN_WORD97_NFIB = 106  # Word 6.0 wrote 101, Word 95 104; Word 97 and later 193 or more
LOCKED_REASON = "password-protected Word file: it needs a password to open; save a copy without it"
OLD_REASON = "Word 6.0/95 format: save it as .docx"
CUT_REASON = "corrupt Word file: the compound file is damaged or cut short"
# Streams that say which program wrote an OLE file that has no WordDocument stream.
OTHER_OLE = {
    "workbook": "an Excel workbook (.xls)",
    "book": "an Excel 5.0/95 workbook (.xls)",
    "powerpoint document": "a PowerPoint presentation (.ppt)",
    "visiodocument": "a Visio drawing",
    "contents": "a Works or Publisher document",
}
ENCRYPTED_OOXML = {"encryptedpackage", "encryptioninfo"}  # a password-protected .docx/.xlsx
COMPRESSED = 0x40000000  # bit 30 of a piece's fc: 8-bit text at half the offset
# Paragraph-property sprms: in a table cell, and "this mark ends a table row" (fTtp).
SPRM_IN_TABLE, SPRM_TTP, SPRM_INNER_TTP = 0x2416, 0x2417, 0x244C
SPRM_TABLE_DEFINITION = 0xD608  # its operand length is two bytes, not one
SPRM_ILVL, SPRM_ILFO = 0x260A, 0x460B  # a paragraph's list level, and its list (LFO, 1-based)
MAX_ILFO = 0x07FE  # 0 is no list; 0xF801 and up say "no list", overriding the style's list
SPRM_OPERAND_BYTES = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}  # by spra; 6 is variable
FKP_BYTES = 512
CELL_MARK, PARAGRAPH_MARK = "\x07", "\r"
PARAGRAPH_ENDS = frozenset((CELL_MARK, PARAGRAPH_MARK))
FIELD_BEGIN, FIELD_SEPARATOR, FIELD_END = "\x13", "\x14", "\x15"
LINE_BREAKS = {"\x0b", "\x0c", "\x0e"}  # line, page or section, column break
SHOWN_CONTROLS = {"\t": "\t", "\x1e": "-"}  # tab, non-breaking hyphen; other controls are anchors
# cp1252 where Latin-1 differs (0x80-0x9f); the five bytes cp1252 leaves undefined stay Latin-1.
CP1252_HIGH = {
    b: bytes([b]).decode("cp1252") for b in range(0x80, 0xA0) if b not in b"\x81\x8d\x8f\x90\x9d"
}
# [MS-DOC] MSONFC number formats, by the names .docx gives them (read_word.NUMBER_FORMATS)
NFC_NAMES = {
    0x00: "decimal",
    0x01: "upperRoman",
    0x02: "lowerRoman",
    0x03: "upperLetter",
    0x04: "lowerLetter",
    0x0E: "decimalFullWidth",
    0x12: "decimalEnclosedCircle",
    0x13: "decimalFullWidth2",
    0x16: "decimalZero",
    0x1A: "decimalEnclosedFullstop",
    0x1B: "decimalEnclosedParen",
    0x1C: "decimalEnclosedCircleChinese",
    0x1E: "ideographTraditional",
    0x21: "taiwaneseCounting",
    0x23: "taiwaneseCountingThousand",  # LibreOffice writes its 一, 二, 三 as this
    0x25: "chineseCounting",
    0x27: "chineseCountingThousand",
}
UNNUMBERED_NFC = {0x17, 0xFF}  # bullet, none: no number is shown
LSTF_BYTES, LVLF_BYTES, LFO_BYTES, LFOLVL_BYTES = 28, 28, 16, 8
MAX_LIST_NUMBER = 10000  # beyond it, Chinese counting and letters are not worth building
LIST_DAMAGED = "list numbers not read: the list tables are damaged"


@dataclass
class _Fib:
    """What the File Information Block says about where the main text is."""

    table: str
    ccp_text: int
    ccp_boxes: int
    clx: tuple[int, int]
    papx: tuple[int, int]
    styles: tuple[int, int]
    lists: tuple[int, int]
    overrides: tuple[int, int]
    footnotes: int
    endnotes: int


def read_doc(data: bytes) -> tuple[str, list[str]]:
    """Return (paragraphs and table rows of a .doc, one per line in document order; notes)."""
    word, table = _streams(data)
    fib = _fib(word)
    try:
        pieces = _pieces(_clx(table, fib))
        chars = _main_chars(word, pieces, fib.ccp_text)
        marks, listed = _paragraph_marks(word, table, fib)
    except (struct.error, IndexError, ValueError) as err:
        raise ReadError("corrupt Word file: its text tables are damaged") from err
    numbers, list_notes = _list_numbers(table, fib, chars, listed)
    text = "\n".join(line for line in _lines(chars, marks, numbers) if line.strip())
    if not text.strip():
        raise ReadError("empty Word file: no text in the document body")
    return text, _notes(fib) + list_notes


def _streams(data: bytes) -> tuple[bytes, bytes]:
    """Return the WordDocument and table streams of an OLE file, or say what the file is."""
    if data.startswith(b"{\\rtf"):
        # read_document sends these to read_rtf
        raise ReadError("not a Word 97-2003 file: an RTF file under a Word name")
    if data[:4] == OLE_MAGIC[:4] and len(data) < len(OLE_MAGIC):
        raise ReadError(CUT_REASON)
    if not data.startswith(OLE_MAGIC):
        raise ReadError(
            "not a Word 97-2003 file (no OLE compound-file header): open it and save it as .docx"
        )
    import olefile  # imported here: only needed for .doc files

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            names = {"/".join(entry).lower() for entry in ole.listdir()}
            if "worddocument" not in names:
                raise ReadError(_not_word(names, data))
            word = ole.openstream("WordDocument").read()
            table_name = _fib_table_name(word)
            if table_name.lower() not in names:
                raise ReadError(f"corrupt Word file: no {table_name} stream")
            return word, ole.openstream(table_name).read()
    except ReadError:
        raise
    except Exception as err:  # olefile raises OSError and others for damaged files
        raise ReadError(CUT_REASON) from err


def _not_word(names: set[str], data: bytes) -> str:
    """Return the reason an OLE file without a WordDocument stream is not read."""
    if names & ENCRYPTED_OOXML:
        return LOCKED_REASON
    for stream, kind in OTHER_OLE.items():
        if stream in names:
            return f"not a Word file: it is {kind}"
    # a file cut short loses the end of its directory, where the streams are listed; whole
    # files are whole sectors long (512 or 4096 bytes, as the header says; the header is one)
    sector = 1 << struct.unpack_from("<H", data, 30)[0]
    if len(data) % sector:
        return CUT_REASON
    return "not a Word file: an OLE compound file without a WordDocument stream"


def _fib_table_name(word: bytes) -> str:
    """Return the name of the table stream, after checking the Word version and password."""
    if len(word) < 32:
        raise ReadError("corrupt Word file: the WordDocument stream is cut short")
    ident, nfib = struct.unpack_from("<HH", word, 0)
    if ident == WORD6_IDENT or (ident == WORD_IDENT and nfib < MIN_WORD97_NFIB):
        raise ReadError(OLD_REASON)
    if ident != WORD_IDENT:
        raise ReadError("corrupt Word file: the WordDocument stream has no Word header")
    flags = struct.unpack_from("<H", word, 10)[0]
    if flags & 0x0100:  # fEncrypted (with fObfuscated: XOR; without: RC4)
        raise ReadError(LOCKED_REASON)
    return "1Table" if flags & 0x0200 else "0Table"  # fWhichTblStm


def _fib(word: bytes) -> _Fib:
    """Return the FIB's table stream name, text lengths and table locations."""
    table = _fib_table_name(word)
    try:
        csw = struct.unpack_from("<H", word, 32)[0]
        lw = 32 + 2 + 2 * csw + 2  # FibRgLw97 follows FibRgW97 and its count
        cslw = struct.unpack_from("<H", word, lw - 2)[0]
        ccp = struct.unpack_from("<12i", word, lw)
        fc_lcb = lw + 4 * cslw + 2  # FibRgFcLcb97 follows FibRgLw97 and its count

        def pair(index: int) -> tuple[int, int]:
            return struct.unpack_from("<II", word, fc_lcb + 8 * index)

        fib = _Fib(
            table,
            ccp[3],
            ccp[9],
            pair(33),
            pair(13),
            pair(1),
            pair(73),
            pair(74),
            pair(2)[1],
            pair(46)[1],
        )
    except struct.error as err:
        raise ReadError("corrupt Word file: the File Information Block is cut short") from err
    # PlcfFndRef and PlcfEndRef: n+1 character positions and n two-byte entries
    fib.footnotes = max(0, (fib.footnotes - 4) // 6)
    fib.endnotes = max(0, (fib.endnotes - 4) // 6)
    return fib


def _clx(table: bytes, fib: _Fib) -> bytes:
    """Return the PlcPcd of the piece table, skipping the Clx's property entries (Prc)."""
    fc, lcb = fib.clx
    clx = table[fc : fc + lcb]
    if lcb == 0 or len(clx) < lcb:
        raise ReadError("corrupt Word file: the piece table is missing or cut short")
    at = 0
    while clx[at] == 0x01:  # Prc: clxt, a two-byte size, then property modifiers
        at += 3 + struct.unpack_from("<h", clx, at + 1)[0]
    if clx[at] != 0x02:  # Pcdt
        raise ReadError("corrupt Word file: the piece table is damaged")
    size = struct.unpack_from("<I", clx, at + 1)[0]
    return clx[at + 5 : at + 5 + size]


def _pieces(plc: bytes) -> list[tuple[int, int, int]]:
    """Return (first character, last character + 1, fc) of each piece, in text order."""
    count = (len(plc) - 4) // 12  # n+1 character positions, then n 8-byte piece descriptors
    if count < 1:
        raise ReadError("corrupt Word file: the piece table is empty")
    cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
    return [
        (cps[n], cps[n + 1], struct.unpack_from("<I", plc, 4 * (count + 1) + 8 * n + 2)[0])
        for n in range(count)
    ]


def _main_chars(word: bytes, pieces, ccp_text: int) -> list[tuple[str, int]]:
    """Return each character of the main document with the file offset just after it."""
    chars = []
    for start, end, fc in pieces:
        end = min(end, ccp_text)
        if start >= end:
            continue
        if fc & COMPRESSED:
            at, width = (fc & ~COMPRESSED) // 2, 1
            raw = word[at : at + end - start]
            text = raw.decode("latin-1").translate(CP1252_HIGH)
        else:
            at, width = fc, 2
            raw = word[at : at + 2 * (end - start)]
            # a lone surrogate becomes U+FFFD, which normalize counts in a note
            text = raw.decode("utf-16-le", "replace")
        if len(raw) < width * (end - start):
            raise ReadError(
                "corrupt Word file: the text runs past the end of the file (cut short?)"
            )
        chars.extend((ch, at + width * (k + 1)) for k, ch in enumerate(text))
    return chars


def _paragraph_marks(word: bytes, table: bytes, fib: _Fib) -> tuple[dict, dict]:
    """Return {offset after a paragraph mark: (in a table, ends a row)}, {offset: list sprms}."""
    fc, lcb = fib.papx
    plc = table[fc : fc + lcb]
    count = (len(plc) - 4) // 8  # n+1 file offsets, then n FKP page numbers
    marks, listed = {}, {}
    for n in range(max(count, 0)):
        page = struct.unpack_from("<I", plc, 4 * (count + 1) + 4 * n)[0] & 0x3FFFFF
        fkp = word[page * FKP_BYTES : (page + 1) * FKP_BYTES]
        if len(fkp) < FKP_BYTES:
            raise ReadError("corrupt Word file: paragraph properties run past the end of the file")
        runs = fkp[-1]
        ends = struct.unpack_from(f"<{runs + 1}I", fkp, 0)
        for k in range(runs):
            offset = 2 * fkp[4 * (runs + 1) + 13 * k]
            style, sprms = _papx(fkp, offset) if offset else (0, {})
            row_end = bool(_operand(sprms, SPRM_TTP) or _operand(sprms, SPRM_INNER_TTP))
            marks[ends[k + 1]] = (bool(_operand(sprms, SPRM_IN_TABLE)), row_end)
            listed[ends[k + 1]] = (style, sprms.get(SPRM_ILFO), sprms.get(SPRM_ILVL))
    return marks, listed


def _papx(fkp: bytes, offset: int) -> tuple[int, dict[int, bytes]]:
    """Return (style index, {sprm: operand}) of one paragraph's properties in an FKP."""
    size = 2 * fkp[offset] - 1
    start = offset + 1
    if size < 0:  # a zero count byte: the real (even) size is in the next byte
        size, start = 2 * fkp[offset + 1], offset + 2
    style = struct.unpack_from("<H", fkp, start)[0] if start + 2 <= len(fkp) else 0
    return style, _sprms(fkp[start + 2 : start + size])  # after the two-byte style index


def _operand(sprms: dict[int, bytes], sprm: int) -> int:
    """Return the first byte of a sprm's operand, 0 if the sprm is absent or empty."""
    operand = sprms.get(sprm, b"")
    return operand[0] if operand else 0


def _sprms(grpprl: bytes) -> dict[int, bytes]:
    """Return {sprm: operand bytes} of a group of property modifiers (the last one wins)."""
    sprms = {}
    at = 0
    while at + 2 < len(grpprl):
        sprm = struct.unpack_from("<H", grpprl, at)[0]
        at += 2
        width = SPRM_OPERAND_BYTES.get(sprm >> 13)
        if width is None:  # variable length: a size byte (two for a table definition)
            if sprm == SPRM_TABLE_DEFINITION:
                width = 1 + struct.unpack_from("<H", grpprl, at)[0]
            else:
                width = 1 + grpprl[at]
        sprms[sprm] = grpprl[at : at + width]
        at += width
    return sprms


def _lines(chars: list[tuple[str, int]], marks: dict, numbers: dict | None = None) -> list[str]:
    """Return the lines Word shows: paragraphs, and table rows with their cells tab-separated."""
    numbers = numbers or {}
    lines, cells, cell, line = [], [], [], []
    previous = ""
    for ch, end in _shown(chars):
        in_table, row_end = marks.get(end, (False, None))
        if ch == CELL_MARK:
            if row_end is None:  # no properties for this mark: a row ends in two marks
                row_end = previous == CELL_MARK
            if row_end:
                lines.extend(row_lines(cells))
                cells = []
            else:
                cell.append(_numbered(numbers.get(end, ""), line))
                cells.append(cell)
                cell = []
            line = []
        elif ch == PARAGRAPH_MARK:
            (cell if in_table else lines).append(_numbered(numbers.get(end, ""), line))
            line = []
        elif ch in LINE_BREAKS:
            line.append("\n")
        else:
            line.append(ch)
        previous = ch
    lines.append("".join(line))
    return lines


def _numbered(number: str, line: list[str]) -> str:
    """Return a paragraph's text after its list number, if it has text (as read_word does)."""
    text = "".join(line)
    return number + text if text.strip() else text


def _shown(chars: list[tuple[str, int]]):
    """Yield the characters Word shows: field results without field codes, no anchors."""
    fields = []  # for each open field: True once its result has begun
    for ch, end in chars:
        if ch == FIELD_BEGIN:
            fields.append(False)
        elif ch == FIELD_SEPARATOR:
            if fields:
                fields[-1] = True
        elif ch == FIELD_END:
            if fields:
                fields.pop()
        elif all(fields) and (ch >= " " or ch in SHOWN_CONTROLS or _is_break(ch)):
            yield SHOWN_CONTROLS.get(ch, ch), end


def _is_break(ch: str) -> bool:
    """Return True for the controls that end a paragraph, a cell or a line."""
    return ch in (CELL_MARK, PARAGRAPH_MARK) or ch in LINE_BREAKS


def _notes(fib: _Fib) -> list[str]:
    """Return reading notes for the footnotes, endnotes and text boxes, which are not read."""
    counts = [
        f"{n} {kind}{'s' if n > 1 else ''}"
        for kind, n in (("footnote", fib.footnotes), ("endnote", fib.endnotes))
        if n
    ]
    notes = [" and ".join(counts) + " not read"] if counts else []
    if fib.ccp_boxes:
        notes.append("text boxes not read")
    return notes


# ---------------------------------------------------------------- automatic list numbers


@dataclass
class _Level:
    """One level of a list: its first number, number format and number text."""

    start: int
    nfc: int
    text: str  # the number text: at the places below, chr(k) stands for level k's number
    places: frozenset[int]
    legal: bool  # fLegal: every level's number shown in decimal
    no_restart: bool  # fNoRestart: not restarted by a higher level


def _list_numbers(table: bytes, fib: _Fib, chars, listed: dict) -> tuple[dict[int, str], list]:
    """Return ({offset after a numbered paragraph's mark: its number}, notes)."""
    if not fib.lists[1] or not fib.overrides[1]:
        return {}, []  # no list in the file: nothing to number
    try:
        styles = _style_lists(table, fib.styles)
        counter = _ListCounter(*_list_tables(table, fib))
        numbers, missing = {}, 0
        # in text order; field codes, which _shown leaves out, hold no paragraph marks
        for end in [end for ch, end in chars if ch in PARAGRAPH_ENDS]:
            style, ilfo, ilvl = listed.get(end, (0, None, None))
            style_lfo, style_lvl = styles.get(style, (0, 0))
            ilfo = struct.unpack("<H", ilfo[:2])[0] if ilfo else style_lfo
            ilvl = ilvl[0] if ilvl else style_lvl
            if not 0 < ilfo <= MAX_ILFO:
                continue
            number = counter.number(ilfo, ilvl)
            if number is None:
                missing += 1
            elif number:
                numbers[end] = number
    except (struct.error, IndexError, ValueError, UnicodeDecodeError):
        # the text is worth more than its numbers: read it without them, and say so
        return {}, [LIST_DAMAGED]
    if not missing:
        return numbers, []
    many = "s: their lists are" if missing > 1 else ": its list is"
    return numbers, [f"list numbers not read for {missing} paragraph{many} not in the file"]


def _style_lists(table: bytes, where: tuple[int, int]) -> dict[int, tuple[int, int]]:
    """Return {style index: (list, level)} for paragraph styles that number their paragraphs."""
    fc, lcb = where
    stsh = table[fc : fc + lcb]
    if len(stsh) < 6:
        return {}
    cb_stshi, count, cb_base = struct.unpack_from("<HHH", stsh, 0)
    at, own = 2 + cb_stshi, {}
    for istd in range(count):
        (size,) = struct.unpack_from("<H", stsh, at)
        std = stsh[at + 2 : at + 2 + size]
        at += 2 + size
        if size < cb_base + 2 or std[2] & 0x0F != 1:  # empty, or not a paragraph style
            continue
        base = struct.unpack_from("<H", std, 2)[0] >> 4
        (name_chars,) = struct.unpack_from("<H", std, cb_base)
        upx = cb_base + 2 + 2 * (name_chars + 1)  # the name, its terminating zero, then UpxPapx
        upx_size = struct.unpack_from("<H", std, upx)[0] if upx + 2 <= len(std) else 0
        sprms = _sprms(std[upx + 4 : upx + 2 + upx_size])  # after the UPX's own style index
        own[istd] = (base, sprms.get(SPRM_ILFO), sprms.get(SPRM_ILVL))
    return {istd: _inherited(own, istd) for istd in own}


def _inherited(own: dict, istd: int) -> tuple[int, int]:
    """Return a style's (list, level), each set on it or on the styles it is based on."""
    ilfo = ilvl = None
    for _ in range(len(own)):  # a chain of bases is no longer than the style sheet
        if istd not in own:
            break
        base, style_lfo, style_lvl = own[istd]
        ilfo = ilfo if ilfo is not None else style_lfo
        ilvl = ilvl if ilvl is not None else style_lvl
        istd = base
    ilfo = struct.unpack("<H", ilfo[:2])[0] if ilfo and len(ilfo) >= 2 else 0
    return ilfo, ilvl[0] if ilvl else 0


def _list_tables(table: bytes, fib: _Fib) -> tuple[dict, list]:
    """Return ({lsid: levels} from the PlfLst, [(lsid, {level: overrides})] from the PlfLfo)."""
    fc = fib.lists[0]
    (count,) = struct.unpack_from("<h", table, fc)
    at = fc + 2
    heads = []
    for _ in range(count):
        (lsid,) = struct.unpack_from("<i", table, at)
        heads.append((lsid, 1 if table[at + 26] & 0x01 else 9))  # fSimpleList: one level
        at += LSTF_BYTES
    lists = {}
    for lsid, size in heads:  # each list's LVLs follow the PlfLst, in the lists' order
        levels = []
        for _ in range(size):
            level, at = _level(table, at)
            levels.append(level)
        lists[lsid] = levels
    return lists, _overrides(table, fib.overrides)


def _level(table: bytes, at: int) -> tuple[_Level, int]:
    """Return the LVL at an offset and the offset after it."""
    start, nfc, flags = struct.unpack_from("<iBB", table, at)
    places = []
    for place in table[at + 6 : at + 15]:  # rgbxchNums: 1-based, up to the first zero
        if not place:
            break
        places.append(place - 1)
    chpx, papx = table[at + 24], table[at + 25]
    at += LVLF_BYTES + papx + chpx
    (length,) = struct.unpack_from("<H", table, at)
    raw = table[at + 2 : at + 2 + 2 * length]
    if len(raw) < 2 * length:
        raise ValueError("a list's number text runs past the table stream")
    level = _Level(
        start,
        nfc,
        raw.decode("utf-16-le", "replace"),
        frozenset(places),
        bool(flags & 0x04),
        bool(flags & 0x08),
    )
    return level, at + 2 + 2 * length


def _overrides(table: bytes, where: tuple[int, int]) -> list[tuple[int, dict]]:
    """Return each LFO's (lsid, {level: (start-at or None, replacing LVL or None)})."""
    fc, lcb = where
    plf = table[fc : fc + lcb]
    (count,) = struct.unpack_from("<i", plf, 0)
    heads = [struct.unpack_from("<i8xB", plf, 4 + LFO_BYTES * n) for n in range(count)]
    at = 4 + LFO_BYTES * count
    lfos = []
    for lsid, size in heads:
        at += 4  # LFOData: a character position, then the LFOLVLs
        levels = {}
        for _ in range(size):
            start, flags = struct.unpack_from("<iI", plf, at)
            at += LFOLVL_BYTES
            level = None
            if flags & 0x20:  # fFormatting: a whole LVL replaces the list's
                level, at = _level(plf, at)
            levels[flags & 0x0F] = (start if flags & 0x10 else None, level)
        lfos.append((lsid, levels))
    return lfos


class _ListCounter:
    """Word's running list numbers: one counter per list (LSTF) and level, in text order."""

    def __init__(self, lists: dict, lfos: list):
        self.lists, self.lfos = lists, lfos
        self.counts = {}  # lsid -> {level: current number}
        self.restarted = set()  # (ilfo, level) whose start-at override has been used

    def number(self, ilfo: int, ilvl: int) -> str | None:
        """Return the number Word shows for a paragraph in a list ('' if none; None if lost)."""
        if not 1 <= ilfo <= len(self.lfos) or self.lfos[ilfo - 1][0] not in self.lists:
            return None
        lsid, overrides = self.lfos[ilfo - 1]
        levels = list(self.lists[lsid])
        for level, (_, replacing) in overrides.items():
            if replacing is not None and level < len(levels):
                levels[level] = replacing
        ilvl = min(ilvl, len(levels) - 1)
        counts = self.counts.setdefault(lsid, {})
        start = overrides.get(ilvl, (None, None))[0]
        if start is not None and (ilfo, ilvl) not in self.restarted:
            self.restarted.add((ilfo, ilvl))
            counts[ilvl] = start
        else:
            counts[ilvl] = counts[ilvl] + 1 if ilvl in counts else levels[ilvl].start
        for deeper in [k for k in counts if k > ilvl and not levels[k].no_restart]:
            del counts[deeper]  # a higher level advancing restarts the levels below it
        return _number_text(levels, counts, ilvl)


def _number_text(levels: list[_Level], counts: dict, ilvl: int) -> str:
    """Return a level's number text with each placeholder replaced by its level's number."""
    level = levels[ilvl]
    if level.nfc in UNNUMBERED_NFC:
        return ""
    out = []
    for k, ch in enumerate(level.text):
        shown = ord(ch)
        if k not in level.places or shown >= len(levels):
            out.append(ch)
            continue
        nfc = 0 if level.legal else levels[shown].nfc
        out.append(_formatted(counts.get(shown, levels[shown].start), nfc))
    return spaced_label("".join(out)) if out else ""


def _formatted(value: int, nfc: int) -> str:
    """Return a number in a list format; formats not read here are shown in decimal."""
    if not 0 <= value < MAX_LIST_NUMBER:  # a damaged start could ask for "a" * 2**31
        return str(value)
    return NUMBER_FORMATS.get(NFC_NAMES.get(nfc), str)(value)
