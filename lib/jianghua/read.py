"""Read speech files of every real-world kind (.txt in any Chinese encoding, .html, .docx)."""

import codecs
import copy
import errno
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

TEXT_SUFFIXES = {".txt", ".text", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
DOCX_SUFFIXES = {".docx"}
MHTML_SUFFIXES = {".mht", ".mhtml"}
# Files whose bytes decide how they are read: Word and browsers save one format under
# another's name (a .docx as .doc, a web page or web archive as .doc or .html).
SNIFFED_SUFFIXES = {".doc", ".wps", *DOCX_SUFFIXES, *HTML_SUFFIXES, *MHTML_SUFFIXES}
FORMAT_NAMES = {"docx": "a Word .docx file", "html": "a web page", "mhtml": "an MHTML web archive"}
# Hints for formats people commonly drop into a corpus folder.
UNSUPPORTED_HINTS = {
    ".doc": "save it as .docx",
    ".wps": "save it as .docx",
    ".rtf": "save it as .docx",
    ".odt": "save it as .docx",
    ".pdf": "copy its text into a .txt file",
    ".caj": "copy its text into a .txt file",
}
# Analyst-owned settings and tables that live beside the speeches, never speeches themselves.
CONFIG_NAMES = {
    "metadata.csv",
    "userdict.txt",
    "themes.yaml",
    "clutter.yaml",
    "thumbs.db",
    "desktop.ini",
}
CONFIG_SUFFIXES = {".csv", ".tsv", ".yaml", ".yml", ".json", ".toml", ".ini", ".xlsx", ".xls"}
CONFIG_PREFIXES = ("stopwords", "stop_passages", "userdict", "readme", "~$")
OFFICE_TEMP_RE = re.compile(r"~.*\.tmp", re.I)  # Word's ~WRL0001.tmp while a file is open
SKIP_DIRS = {"__MACOSX", "__pycache__"}
LARGE_FILE_BYTES = 20 * 1024 * 1024

BOMS = [  # longest first: the UTF-32-LE BOM starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Control bytes that never occur in text (tab, LF, FF, CR and ESC excluded).
CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 27), *range(28, 32), 127])
SAMPLE = 1 << 16
CHINESE_ENCODINGS = ("gb18030", "big5")
GUESS_MIN_BYTES = 256  # charset-normalizer's guess is unreliable on fewer bytes
# A clearly encoded file with at most this many bad bytes (and under 1% of it) is read with
# U+FFFD in their place: one stray byte should not lose a whole speech.
MAX_DAMAGED_BYTES = 16
# charset-normalizer guesses folded into our candidate names
FAMILY = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "hz": "hz",
    "big5": "big5",
    "cp950": "cp950",
    "big5hkscs": "big5hkscs",
}


class ReadError(Exception):
    """A file could not be read; the message is the reason in plain words."""


@dataclass
class Document:
    """The text of one file, with the encoding and format it was read from, and reading notes."""

    text: str
    encoding: str
    format: str
    notes: list[str] = field(default_factory=list)  # warnings, e.g. damaged bytes replaced


def read_document(path) -> Document:
    """Return the Document read from a .txt/.text/.md, .html/.htm, .mht/.mhtml or .docx file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        data = _read_bytes(path)
        text, encoding, notes = decode_text(data)
        doc = Document(text, encoding, "txt", notes)
        if _is_html_text(text):
            # a saved page or markup copied from "view source", renamed to .txt
            text, encoding, notes = _read_html(data)
            doc = Document(text, encoding, "html", [TXT_HTML_NOTE.format(suffix), *notes])
    elif suffix in SNIFFED_SUFFIXES:
        doc = _read_by_content(_read_bytes(path), suffix)
    else:
        raise _unsupported(suffix)
    _check_chinese(doc.text)
    return doc


def _read_by_content(data: bytes, suffix: str) -> Document:
    """Return the Document of a Word or web file, read by what its bytes are."""
    expected = _SUFFIX_FORMATS.get(suffix)
    found = _sniff_format(data) or expected
    if found is None:
        raise _unsupported(suffix)
    notes = (
        [] if found == expected else [f"the {suffix} file is {FORMAT_NAMES[found]}: read as one"]
    )
    if found == "docx":
        text, more = _read_docx(data)
        return Document(text, "utf-8", "docx", notes + more)
    if found == "mhtml":
        text, encoding, more = _read_mhtml(data)
    else:
        text, encoding, more = _read_html(data)
    return Document(text, encoding, found, notes + more)


_SUFFIX_FORMATS = {
    **dict.fromkeys(DOCX_SUFFIXES, "docx"),
    **dict.fromkeys(HTML_SUFFIXES, "html"),
    **dict.fromkeys(MHTML_SUFFIXES, "mhtml"),
}
MAIL_HEADER_RE = re.compile(rb"\s*[A-Za-z][A-Za-z0-9-]*:")
MHTML_RE = re.compile(rb"^Content-Type:\s*multipart/related", re.I | re.M)
HTML_START_RE = re.compile(
    rb"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|meta|body)\b", re.I | re.S
)


TXT_HTML_NOTE = "the {} file is a web page: read as one"
# Tags of pasted markup: a text that merely mentions "<p>" once is not a web page.
HTML_TAG_RE = re.compile(
    r"<(/?)(p|br|div|span|h[1-6]|li|ul|ol|td|tr|table|strong|em|b|font|a|img|section)\b[^<>]*>",
    re.I,
)
MIN_HTML_TAGS = 4


def _is_html_text(text: str) -> bool:
    """Return True when decoded text is a web page or a fragment of HTML markup."""
    head = text[:SAMPLE]
    if HTML_START_RE.match(head[:4096].lstrip("\ufeff").encode("utf-8", "replace")):
        return True
    tags = HTML_TAG_RE.findall(head)
    closing = sum(1 for slash, name in tags if slash or name.lower() == "br")
    return len(tags) >= MIN_HTML_TAGS and closing >= MIN_HTML_TAGS // 2


def _sniff_format(data: bytes) -> str | None:
    """Return 'docx', 'mhtml' or 'html' when the bytes are plainly one, else None."""
    if data.startswith(b"PK\x03\x04"):
        return "docx"
    head = data[:4096].removeprefix(codecs.BOM_UTF8)
    if MAIL_HEADER_RE.match(head) and MHTML_RE.search(head[:2048]):
        return "mhtml"
    if HTML_START_RE.match(head):
        return "html"
    return None


def _unsupported(suffix: str) -> ReadError:
    """Return the error for a file type that is not read, with a hint when one helps."""
    hint = UNSUPPORTED_HINTS.get(suffix)
    name = suffix or "(no extension)"
    return ReadError(f"unsupported file type {name}" + (f": {hint}" if hint else ""))


def _read_bytes(path: Path) -> bytes:
    """Return the file's bytes, turning OS failures into ReadError reasons."""
    try:
        return path.read_bytes()
    except PermissionError as err:
        raise ReadError("permission denied") from err
    except IsADirectoryError as err:
        raise ReadError("is a folder, not a file") from err
    except FileNotFoundError as err:
        raise ReadError("file not found (or a broken link)") from err
    except OSError as err:
        raise ReadError(_os_reason(err)) from err


def _os_reason(err: OSError) -> str:
    """Return a plain reason for an OSError."""
    if err.errno == errno.ELOOP:
        return "symlink loop"
    return (err.strerror or str(err)).lower()


def _check_chinese(text: str) -> None:
    """Raise ReadError when text is empty or has no Chinese in it."""
    if not text.strip():
        raise ReadError("empty file (only whitespace)")
    if not CJK_RE.search(text):
        raise ReadError("no Chinese text")


# ---------------------------------------------------------------- plain text decoding


def decode_text(data: bytes) -> tuple[str, str, list[str]]:
    """Return (text, encoding, notes) for raw bytes, decoded and with mojibake undone."""
    text, encoding, notes = _decode_bytes(data)
    text, more = _undo_mojibake(text)
    return text, encoding, notes + more + _lost_character_notes(text)


def _decode_bytes(data: bytes) -> tuple[str, str, list[str]]:
    """Return (text, encoding, notes) for raw bytes, decoded in a verified encoding."""
    if not data:
        raise ReadError("empty file")
    for bom, encoding in BOMS:
        if data.startswith(bom):
            name = "utf-8-sig" if encoding == "utf-8" else encoding
            text, notes = _repaired_or_raise(data[len(bom) :], encoding, len(bom))
            return text, name, notes
    if b"\x00" in data:
        return (*_decode_nul_bytes(data), [])
    head = data[:SAMPLE]
    if sum(head.count(b) for b in CONTROL_BYTES) > len(head) // 100:
        raise ReadError("binary file, not text")
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as err:
        utf8_error = err
    mixed = _decode_mixed(data)
    if mixed is not None:
        return mixed
    if _damaged_utf8(data, utf8_error.start):
        text, notes = _repaired_or_raise(data, "utf-8")
        return text, "utf-8", notes
    return _decode_legacy(data, utf8_error)


# Text saved after being decoded in the wrong encoding: (what it was decoded as, what the
# bytes really were). Latin-1 and cp1252 turn Chinese into 'ÖÐ¹ú'; GBK turns UTF-8 into '涓浗'.
MOJIBAKE = [("latin-1", ("utf-8", "gb18030")), ("gbk", ("utf-8",))]
MOJIBAKE_NOTE = "mojibake repaired: text had been decoded as {}"
MAX_LOST_SHARE = 4  # at most one character in this many lost in a round trip


def _undo_mojibake(text: str) -> tuple[str, list[str]]:
    """Return (text, notes): Chinese garbled by a wrong decoding and re-saving, put right."""
    sample = text[:SAMPLE]
    if sample.isascii() or _plausible(sample):
        return text, []
    has_cjk = CJK_RE.search(sample) is not None
    for wrong, originals in MOJIBAKE:
        if has_cjk != (wrong == "gbk"):
            continue  # Latin-1 mojibake has no hanzi at all; GBK mojibake is all rare hanzi
        data = _mojibake_bytes(text, wrong)
        if data is None:
            continue
        for original in originals:
            fixed = data.decode(original, errors="replace")
            lost = fixed.count("\ufffd")
            common = _common_cjk(fixed[:SAMPLE])
            if _plausible(fixed[:SAMPLE].replace("\ufffd", "")) and lost * MAX_LOST_SHARE < common:
                name = {"latin-1": "Latin-1", "gbk": "GBK"}[wrong]
                note = MOJIBAKE_NOTE.format(name)
                return fixed, [note + (f"; {lost} characters lost (U+FFFD)" if lost else "")]
    return text, []


def _mojibake_bytes(text: str, wrong: str) -> bytes | None:
    """Return the bytes a wrong decoding turned into text, or None if it cannot have."""
    # cp1252 has letters where Latin-1 has controls; a U+FFFD left by the wrong decoding
    # stands for bytes that are gone.
    encodings = ("cp1252", "latin-1") if wrong == "latin-1" else ("gb18030",)
    out = []
    for ch in text:
        if ch == "\ufffd":
            continue
        for encoding in encodings:
            try:
                out.append(ch.encode(encoding))
                break
            except UnicodeEncodeError:
                continue
        else:
            return None
    return b"".join(out)


# A character lost to U+FFFD in UTF-8, then saved as GBK and read back, shows as 锟斤拷.
LOST_MARKS = ("锟斤拷",)


def _lost_character_notes(text: str) -> list[str]:
    """Return a note when the text carries the marks of characters lost before it was saved."""
    found = sum(text.count(mark) for mark in LOST_MARKS)
    if not found:
        return []
    return [
        f"the text contains 锟斤拷 {found} time{'s' if found > 1 else ''}: characters were "
        "lost (replaced by U+FFFD) before the file was saved; the text is kept as it is"
    ]


MIXED_ENCODINGS = ("utf-8", "gb18030")  # tried in this order on each line


def _decode_mixed(data: bytes) -> tuple[str, str, list[str]] | None:
    """Return (text, encoding, notes) of a file pasted together from UTF-8 and GBK parts."""
    raws = data.split(b"\n")
    if not any(_is_utf8(raw) for raw in raws if not raw.isascii()):
        return None  # the usual legacy file: no need to judge it line by line
    lines, counts = [], dict.fromkeys(MIXED_ENCODINGS, 0)
    for raw in raws:
        if raw.isascii():
            lines.append(raw.decode("ascii"))
            continue
        for encoding in MIXED_ENCODINGS:
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            # GBK bytes that happen to be valid UTF-8 read as odd symbols, not Chinese
            if _plausible(line):
                lines.append(line)
                counts[encoding] += 1
                break
        else:
            return None
    if not all(counts.values()):
        return None
    note = "mixed encodings: {} lines UTF-8, {} lines GB18030".format(*counts.values())
    return "\n".join(lines), "utf-8+gb18030", [note]


def _is_utf8(data: bytes) -> bool:
    """Return True when the bytes are valid UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _repaired_or_raise(data: bytes, encoding: str, offset: int = 0) -> tuple[str, list[str]]:
    """Return (text, notes): strict, else with a few bad bytes replaced; else ReadError."""
    try:
        return data.decode(encoding), []
    except UnicodeDecodeError as err:
        failed_at = err.start + offset
    repaired = _repair(data, encoding, offset)
    if repaired is None:
        raise ReadError(f"cannot decode as {encoding.upper()} at byte {failed_at}")
    return repaired


def _repair(data: bytes, encoding: str, offset: int = 0) -> tuple[str, list[str]] | None:
    """Return (text with one U+FFFD per bad byte run, a note on them), or None if too damaged."""
    allowed = min(MAX_DAMAGED_BYTES, len(data) // 100)
    pieces, runs, pos = [], [], 0
    while True:
        try:
            pieces.append(data[pos:].decode(encoding))
            break
        except UnicodeDecodeError as err:
            start, end = pos + err.start, _resync(data, pos + err.start, pos + err.end, encoding)
            # The bytes before the bad run decoded in the failed pass, so they decode alone.
            pieces.append(data[pos:start].decode(encoding))
            if runs and runs[-1][1] == start:  # one damaged character, one replacement
                runs[-1][1] = end
            else:
                pieces.append("\ufffd")
                runs.append([start, end])
            pos = end
            if sum(b - a for a, b in runs) > allowed:
                return None
    return "".join(pieces), [_damage_note(encoding, runs, offset, len(data))]


def _resync(data: bytes, start: int, end: int, encoding: str) -> int:
    """Return where decoding resumes after a bad byte: after it, or after the pair it began."""
    if encoding.startswith("utf") or end - start != 1 or start + 2 > len(data):
        return end  # UTF-8 finds character starts by itself
    # A damaged lead byte of a two-byte character leaves its trail byte, which may pair
    # with the next lead byte and shift the rest of the line: keep the better-reading choice.
    return max((end, start + 2), key=lambda p: (_reads_well(data[p : p + 64], encoding), -p))


def _reads_well(data: bytes, encoding: str) -> int:
    """Return how many ASCII, everyday Chinese and punctuation characters outnumber the rest."""
    text = data.decode(encoding, errors="replace")
    good = sum(1 for ch in text if ord(ch) < 0x80 or _is_common(ch) or _is_cjk_punctuation(ch))
    return 2 * good - len(text)


def _damage_note(encoding: str, runs: list, offset: int, size: int) -> str:
    """Return the warning for byte runs replaced while decoding."""
    bad = sum(b - a for a, b in runs)
    where = ", ".join(
        str(a + offset) if b - a == 1 else f"{a + offset}-{b + offset - 1}" for a, b in runs
    )
    note = (
        f"{bad} byte{'s' if bad > 1 else ''} not valid {encoding.upper()} "
        f"(at byte {where}) replaced with U+FFFD"
    )
    return note + ("; the file ends mid-character (cut short?)" if runs[-1][1] == size else "")


def _decode_nul_bytes(data: bytes) -> tuple[str, str]:
    """Return BOM-less UTF-16 text, or raise: NUL bytes otherwise mean a binary file."""
    found = []
    # The NULs of ASCII (newlines, digits) fall on one side, but CJK characters such as
    # 一 (U+4E00) put some on the other: judge each byte order by the text it gives.
    for encoding in ("utf-16-le", "utf-16-be") if len(data) % 2 == 0 else ():
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[: SAMPLE // 2]
        controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
        if controls <= len(sample) // 100 and _looks_like_chinese(sample):
            found.append((_common_cjk(sample), text, encoding))
    if not found:
        raise ReadError("binary file, not text")
    _, text, encoding = max(found)
    return text, encoding


def _looks_like_chinese(text: str) -> bool:
    """Return True when the text has Chinese and nearly all its characters are usual ones."""
    odd = sum(
        1 for ch in text if ord(ch) > 0x7F and not (_is_common(ch) or _is_cjk_punctuation(ch))
    )
    return odd <= len(text) // 20 and _common_cjk(text) > 0


def _damaged_utf8(data: bytes, failed_at: int) -> bool:
    """Return True when the bytes before a UTF-8 failure were real multi-byte UTF-8."""
    # A legacy Chinese file fails within its first few characters; a damaged UTF-8 file
    # decodes many multi-byte characters before the bad spot.
    prefix = data[max(0, failed_at - 4096) : failed_at]
    start = next((i for i in range(min(4, len(prefix))) if prefix[i] & 0xC0 != 0x80), 0)
    try:
        before = prefix[start:].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return sum(1 for ch in before if ord(ch) > 0x7F) >= 8


def _looks_western(head: bytes) -> bool:
    """Return True when non-ASCII bytes stand alone (Latin-1/cp1252), not in CJK pairs."""
    high = [i for i, b in enumerate(head) if b >= 0x80]
    if not high:
        return False
    marks = set(high)
    paired = sum(1 for i in high if i - 1 in marks or i + 1 in marks)
    return paired < len(high) / 4


def _decode_legacy(data: bytes, utf8_error: UnicodeDecodeError) -> tuple[str, str, list[str]]:
    """Return (text, encoding, notes) with the most everyday Chinese characters, or raise."""
    guess = _guess_encoding(data)
    candidates = list(dict.fromkeys([*CHINESE_ENCODINGS, *([guess] if guess else [])]))
    best, best_key, failures = None, None, {"utf-8": utf8_error.start}
    for rank, encoding in enumerate(candidates):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as err:
            failures[encoding] = err.start
            continue
        # GB18030 also decodes Big5 (and Latin-1) bytes, into rare characters and symbols:
        # prefer decodings made of everyday characters, then the most of them; on a tie
        # trust charset-normalizer when it had enough bytes to judge.
        sample = text[:SAMPLE]
        trusted = encoding == guess and len(data) >= GUESS_MIN_BYTES
        key = (_plausible(sample), _common_cjk(sample), trusted, -rank)
        if best_key is None or key > best_key:
            best, best_key = (text, encoding), key
    if (best is None or not best_key[0]) and _looks_western(data[:SAMPLE]):
        raise ReadError("no Chinese text")
    if best is not None:
        return (*best, [])
    repaired = _repair_legacy(data, candidates)
    if repaired is not None:
        return repaired
    # The encoding that got furthest before failing is the most likely one.
    order = ["utf-8", *candidates]
    likely = max(failures, key=lambda e: (failures[e], -order.index(e)))
    raise ReadError(f"cannot decode as {likely.upper()} at byte {failures[likely]}")


def _repair_legacy(data: bytes, candidates: list[str]) -> tuple[str, str, list[str]] | None:
    """Return (text, encoding, notes) of the plausible decoding needing fewest replacements."""
    best, best_key = None, None
    for rank, encoding in enumerate(candidates):
        repaired = _repair(data, encoding)
        if repaired is None or not _plausible(repaired[0][:SAMPLE]):
            continue
        text, notes = repaired
        key = (-text.count("\ufffd"), _common_cjk(text[:SAMPLE]), -rank)
        if best_key is None or key > best_key:
            best, best_key = (text, encoding, notes), key
    return best


def _plausible(text: str) -> bool:
    """Return True when most non-ASCII characters are everyday Chinese or CJK punctuation."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    usual = sum(1 for ch in wide if _is_common(ch) or _is_cjk_punctuation(ch))
    return bool(wide) and usual >= 0.8 * len(wide)


def _is_cjk_punctuation(ch: str) -> bool:
    """Return True for general, CJK and full-width punctuation."""
    code = ord(ch)
    return 0x2000 <= code <= 0x206F or 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF


def _guess_encoding(data: bytes) -> str | None:
    """Return charset-normalizer's guess among Chinese encodings, or None."""
    from charset_normalizer import from_bytes

    head = data
    if len(data) > SAMPLE:
        # Cut at a byte that is never part of a multi-byte character.
        head = data[:SAMPLE]
        cut = max(head.rfind(b) for b in (b"\n", b" ", b"\r"))
        head = head[: cut + 1] if cut > 0 else head
    guess = from_bytes(head).best()
    return FAMILY.get(guess.encoding) if guess is not None else None


@lru_cache(maxsize=65536)
def _is_common(ch: str) -> bool:
    """Return True for an everyday Chinese character (GB2312 hanzi or Big5 level 1)."""
    try:
        if ch.encode("gb2312")[0] >= 0xB0:
            return True
    except UnicodeEncodeError:
        pass
    try:
        return b"\xa4\x40" <= ch.encode("big5") <= b"\xc6\x7e"
    except UnicodeEncodeError:
        return False


def _common_cjk(text: str) -> int:
    """Return how many everyday Chinese characters text contains."""
    return sum(1 for ch in CJK_RE.findall(text) if _is_common(ch))


# ---------------------------------------------------------------- HTML

META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
HTML_FAMILY = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "big5-hkscs": "big5hkscs",
}


def _read_mhtml(data: bytes) -> tuple[str, str, list[str]]:
    """Return (text, encoding, notes) of the web page inside an MHTML web archive."""
    import email
    import email.policy

    archive = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in archive.walk():
        if part.get_content_type() == "text/html":
            page = part.get_payload(decode=True)
            if page:
                return _read_html(page, part.get_content_charset())
    raise ReadError(
        "MHTML web archive without a web page inside: open it in a browser and save it as .html"
    )


def _read_html(data: bytes, charset: str | None = None) -> tuple[str, str, list[str]]:
    """Return (title, publish line and main text; encoding; notes) of a saved web page."""
    html, encoding, notes = _decode_html(data, charset)
    import lxml.html
    import trafilatura  # imported here: it takes a third of a second to load

    try:
        root = lxml.html.fromstring(html)
    except Exception as err:  # lxml raises several types for broken markup
        raise ReadError(f"cannot parse the web page: {err}") from err
    root = _unwrap_layout_tables(root)
    pager = _pager(root)
    if pager is not None and pager.getparent() is not None:
        pager.drop_tree()  # page links are furniture, whichever block holds them
    # with_metadata=False: trafilatura's date guessing costs ~0.4 s a page and is unused here
    found = trafilatura.bare_extraction(
        copy.deepcopy(root),
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        favor_recall=True,
        deduplicate=False,
    )
    text = _table_rows_as_tabs(found.text or "") if found is not None else ""
    if not CJK_RE.search(text):
        text = _html_body_text(root)
        if not CJK_RE.search(text):
            raise ReadError("no Chinese text found in the web page (no main content either)")
    # The headline and publish line are page text the metadata stage needs, but
    # trafilatura keeps them out of the main text.
    flat = " ".join(text.split())
    head = [
        line
        for line in (_page_title(root), _publish_line(root))
        if line and CJK_RE.search(line) and line not in flat
    ]
    return _tidy_lines("\n".join([*head, text])), encoding, notes + _pagination_notes(pager)


# A pager: 上一页/下一页 or 第2页 links, with 共3页 or page numbers beside them.
PAGER_RE = re.compile(r"[上下]一页|第\s*\d+\s*页")
PAGER_LINK_RE = re.compile(r"^\s*(?:[上下]一页|尾页|末页|第\s*\d+\s*页|\d+)\s*$")
PAGE_TOTAL_RE = re.compile(r"共\s*(\d+)\s*页")
PAGE_NUMBER_RE = re.compile(r"第\s*(\d+)\s*页|^\s*(\d+)\s*$")
PAGER_MAX_CHARS = 120
PAGINATION_NOTE = (
    "page {} of {} of a paginated article: save the other pages too "
    "(they are read as separate files)"
)


def _pager(root):
    """Return the element holding an article's page links (上一页, 第2页, 下一页), or None."""
    for element in root.iter("div", "p", "span", "td", "center", "ul", "nav"):
        content = element.text_content()
        if len(content) > PAGER_MAX_CHARS or not PAGER_RE.search(content):
            continue
        if any(PAGER_LINK_RE.match(a.text_content()) for a in element.iter("a")):
            return element
    return None


def _pagination_notes(pager) -> list[str]:
    """Return a note naming which page of how many a pager shows, if more than one."""
    if pager is None:
        return []
    linked = {_page_number(a.text_content()) for a in pager.iter("a")} - {None}
    shown = {_page_number(text) for text in _unlinked_texts(pager)} - {None}
    total = PAGE_TOTAL_RE.search(pager.text_content())
    count = max([int(total.group(1))] if total else [], default=0)
    count = max([count, *linked, *shown])
    current = min(shown - linked, default=1)
    return [PAGINATION_NOTE.format(current, count)] if count > 1 else []


def _unlinked_texts(element) -> list[str]:
    """Return the pieces of text under element that are not inside a link."""
    pieces = []
    for node in element.iter():
        inside_link = node.tag == "a" or any(a.tag == "a" for a in node.iterancestors())
        if not inside_link and node.text:
            pieces.extend(node.text.split())
        if (
            node is not element
            and node.tail
            and not any(a.tag == "a" for a in node.iterancestors() if a is not element)
        ):
            pieces.extend(node.tail.split())
    return pieces


def _page_number(text: str) -> int | None:
    """Return the page number a pager piece names ('第2页' or '2'), else None."""
    match = PAGE_NUMBER_RE.search(text)
    return int(match.group(1) or match.group(2)) if match else None


LAYOUT_BLOCKS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li")


def _unwrap_layout_tables(root):
    """Return the page with its layout tables (page grids, not data) turned into plain blocks."""
    # Decide on the original structure first: unwrapping an outer table changes what inner ones see.
    layout = [table for table in root.iter("table") if _is_layout_table(table)]
    for table in layout:
        for element in [table, *table.iterchildren("thead", "tbody", "tfoot")]:
            element.tag = "div"
        for row in table.xpath("./tr|./div/tr"):
            row.tag = "div"
            for cell in row.iterchildren("td", "th"):
                cell.tag = "div"
    return root


def _is_layout_table(table) -> bool:
    """Return True for a table used to lay out a page rather than to hold rows of data."""
    if table.xpath(".//table"):
        return True
    rows = table.xpath("./tr|./*/tr")
    cells = [row.xpath("./td|./th") for row in rows]
    filled = [[c for c in row if c.text_content().strip()] for row in cells]
    # Old CMS pages put each paragraph (or the whole article) in a one-column table.
    if all(len(row) <= 1 for row in filled):
        return True
    # A data cell holds a value; a layout cell holds paragraphs or headings.
    return any(
        len(cell.xpath(f"./{'|./'.join(LAYOUT_BLOCKS)}")) > 1 or cell.xpath(".//h1|.//h2|.//h3")
        for row in cells
        for cell in row
    )


PIPE_ROW_RE = re.compile(r"^\|(.*)\|$")
PIPE_RULE_RE = re.compile(r"^\|(\s*:?-+:?\s*\|)+$")
CELL_SPLIT_RE = re.compile(r"(?<!\\)\|")


def _table_rows_as_tabs(text: str) -> str:
    """Return trafilatura's text with its '| a | b |' table rows as tab-separated cells."""
    lines = []
    for line in text.splitlines():
        match = PIPE_ROW_RE.match(line.strip())
        if PIPE_RULE_RE.match(line.strip()):
            continue
        if match:
            cells = (c.strip().replace("\\|", "|") for c in CELL_SPLIT_RE.split(match.group(1)))
            line = "\t".join(c for c in cells if c)
        lines.append(line)
    return "\n".join(lines)


def _page_title(root) -> str | None:
    """Return the page's headline: its first <h1>, else a heading named in <title>, else <title>."""
    title = _element_text(root.find(".//title"))
    for heading in root.xpath("//h1|//h2|//h3"):
        text = _element_text(heading)
        if text and (heading.tag == "h1" or (title and text in title)):
            return text
    return _without_site_name(title) or None


# <title> is often 'headline_channel_site' or 'headline - site'; a lone '—' with spaces
# separates too, but '——' (a subtitle dash) does not.
TITLE_SEPARATOR_RE = re.compile(r"\s*(?:_|\||｜|\s[-–—－]\s)\s*")
SITE_NAME_RE = re.compile(
    r"政府|网|门户|频道|官网|网站|在线|之窗|日报|晚报|新闻|委员会|办公厅|办公室|公众号|学习强国|"
    r"纪委|监委|[省市州盟区县旗]委$"
)
CHANNEL_MAX_CHARS = 8


def _without_site_name(title: str) -> str:
    """Return a <title> without the site and channel names that follow the headline."""
    parts = TITLE_SEPARATOR_RE.split(title)
    dropped = False
    # The site name comes last; once it is gone, short parts left of it are channels.
    while len(parts) > 1 and (
        (SITE_NAME_RE.search(parts[-1]) and len(parts[-1]) <= 20)
        or (dropped and len(parts[-1]) <= CHANNEL_MAX_CHARS)
    ):
        parts.pop()
        dropped = True
    return title if not dropped else "_".join(parts)


def _element_text(element) -> str:
    """Return the element's text with its whitespace runs collapsed ('' for None)."""
    return "" if element is None else " ".join(element.text_content().split())


PUBLISH_RE = re.compile(r"(发布|发表|更新|时间|日期)\s*[:：]\s*\d{4}")


def _publish_line(root) -> str | None:
    """Return the page's short 'published on' line (发布时间: 2015-03-30 ...), if any."""
    found = [
        element
        for element in root.iter("div", "p", "span", "td", "li")
        if len(element.text_content()) < 300 and PUBLISH_RE.search(element.text_content())
    ]
    # The innermost match: a wrapper around the headline and the publish line is not it.
    for element in found:
        content = " ".join(element.text_content().split())
        if len(content) < 100 and not any(
            e is not element and element in e.iterancestors() for e in found
        ):
            return content
    return None


def _decode_html(data: bytes, charset: str | None = None) -> tuple[str, str, list[str]]:
    """Return (page, encoding, notes) decoded by BOM, <meta charset>, given charset or guess."""
    if not data:
        raise ReadError("empty file")
    if any(data.startswith(bom) for bom, _ in BOMS):
        return decode_text(data)
    match = META_CHARSET_RE.search(data[:8192])
    if match is None and charset is None:
        return decode_text(data)
    declared = match.group(1).decode("ascii").lower() if match else charset.lower()
    encoding = HTML_FAMILY.get(declared, declared)
    try:
        return data.decode(encoding), encoding, []
    except LookupError:
        return decode_text(data)
    except UnicodeDecodeError as err:
        declared_error = f"cannot decode as {declared.upper()} at byte {err.start}"
    # Pages often lie about their charset; trust the bytes if they decode another way.
    try:
        return decode_text(data)
    except ReadError as err:
        raise ReadError(f"{declared_error} (the page declares charset={declared})") from err


def _html_body_text(root) -> str:
    """Return the visible text of the page body, one line per block, without navigation."""
    root = copy.deepcopy(root)
    for bad in root.xpath("//script|//style|//nav|//header|//footer|//aside|//noscript|//form"):
        bad.drop_tree()
    for bad in [e for e in root.iter("div", "ul", "span", "td", "table") if _is_chrome(e)]:
        if bad.getparent() is not None:
            bad.drop_tree()
    blocks = root.xpath("//p|//div[not(.//p|.//div)]|//li|//h1|//h2|//h3|//td")
    return "\n".join(b.text_content().strip() for b in blocks if b.text_content().strip())


CHROME_RE = re.compile(
    r"nav|menu|head|foot|bread|crumb|position|location|share|related|relate|link|copyright|"
    r"banner|sidebar|toolbar|print|comment",
    re.I,
)


def _is_chrome(element) -> bool:
    """Return True for page furniture (menus, breadcrumbs, share bars) by class or id."""
    return bool(CHROME_RE.search(f"{element.get('class', '')} {element.get('id', '')}"))


def _tidy_lines(text: str) -> str:
    """Return text with one paragraph per line and no blank lines."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


# ---------------------------------------------------------------- DOCX


def _read_docx(data: bytes) -> tuple[str, list[str]]:
    """Return (paragraphs and table rows of a .docx, one per line in document order; notes)."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ReadError(
            "corrupt .docx: it is an old .doc or password-protected Word file; save it as .docx"
        )
    if not data:
        raise ReadError("empty file")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if data.startswith(b"PK\x03\x04"):
            raise ReadError("corrupt .docx: the zip archive is truncated or damaged")
        raise ReadError("corrupt .docx: not a zip archive")
    import docx  # imported here: only needed for Word files
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise ReadError("corrupt .docx: no word/document.xml inside")
            notes = _unread_notes(archive)
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
    """Return one tab-separated line per table row; merged cells appear once."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            lines = _block_lines(cell._tc, word)
            cells.append(" ".join(line.strip() for line in lines if line.strip()))
        rows.append("\t".join(c for c in cells if c))
    return rows


W_ATTR = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CHINESE_DIGITS = "零一二三四五六七八九"
HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"


def _chinese_number(n: int) -> str:
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


# Word's numFmt names for the counters speeches use; others (bullets, roman...) get no number.
NUMBER_FORMATS = {
    "decimal": str,
    "chineseCounting": _chinese_number,
    "chineseCountingThousand": _chinese_number,
    "ideographTraditional": lambda n: HEAVENLY_STEMS[(n - 1) % 10],
    "decimalEnclosedCircle": lambda n: chr(0x245F + n) if 1 <= n <= 20 else str(n),
    "decimalEnclosedCircleChinese": lambda n: chr(0x245F + n) if 1 <= n <= 20 else str(n),
    "lowerLetter": lambda n: chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1),
    "upperLetter": lambda n: chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1),
}
LEVEL_RE = re.compile(r"%([1-9])")


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

        label = LEVEL_RE.sub(number, text)
        # "1.2" needs a space before the text; "一、" and "（一）" end in punctuation
        return label + (" " if label[-1:].isascii() and label[-1:].isalnum() else "")

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


# ---------------------------------------------------------------- listing files


def list_files(root) -> tuple[list[Path], list[dict]]:
    """Return (speech files under root, sorted by relative path; problem rows)."""
    root = Path(root)
    problems = []
    if root.is_symlink() and not root.exists():
        return [], [_problem(root.name, "error", _link_reason(root))]
    if not root.exists():
        return [], [_problem(str(root), "error", "file or folder not found")]
    if root.is_file():
        found = [root]
    else:
        found = []
        _walk(root, root, set(), found, problems)
    files, seen = [], {}
    names = {path: source_name(path, root) for path in found}
    # Real files before links, so a link (not the file it points to) is the one dropped.
    for path in sorted(found, key=lambda p: (p.is_symlink(), names[p])):
        _check_file(path, root, files, seen, problems)
    files.sort(key=names.__getitem__)
    problems.sort(key=lambda p: (p["source"], p["message"]))
    return files, problems


def source_name(path, root) -> str:
    """Return the posix path of a file relative to the corpus root (its name for a file root)."""
    text, prefix = os.fspath(path), os.path.join(os.fspath(root), "")
    if text.startswith(prefix) and os.sep == "/":  # the usual case, without pathlib's cost
        return text[len(prefix) :]
    path, root = Path(path), Path(root)
    if path == root:
        return path.name
    return path.relative_to(root).as_posix()


def _problem(source: str, severity: str, message: str) -> dict:
    """Return one problem row."""
    return {"source": source, "severity": severity, "message": message}


def _link_reason(path: Path) -> str:
    """Return why a symlink cannot be followed: a loop or a missing target."""
    try:
        path.resolve(strict=True)
    except RuntimeError:
        return "symlink loop"
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "symlink loop"
        return f"broken link: {os.readlink(path)} does not exist"
    return "link cannot be followed"


def _walk(folder: Path, root: Path, ancestors: set, found: list, problems: list) -> None:
    """Collect candidate files under folder, reporting loops and unreadable folders."""
    info = folder.stat()
    key = (info.st_dev, info.st_ino)
    ancestors = ancestors | {key}
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except PermissionError:
        problems.append(
            _problem(
                source_name(folder, root) + "/", "error", "cannot open folder: permission denied"
            )
        )
        return
    for entry in entries:
        path = Path(entry.path)
        if _skipped(entry.name):
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=True)
            exists = path.exists()
        except OSError:
            is_dir, exists = False, False
        if entry.is_symlink() and not exists:
            problems.append(_problem(source_name(path, root), "error", _link_reason(path)))
        elif is_dir:
            if entry.name in SKIP_DIRS:
                continue
            target = path.stat()
            if (target.st_dev, target.st_ino) in ancestors:
                problems.append(
                    _problem(
                        source_name(path, root) + "/",
                        "error",
                        "symlink loop: the link points back to a parent folder",
                    )
                )
                continue
            _walk(path, root, ancestors, found, problems)
        elif entry.is_file(follow_symlinks=True):
            found.append(path)
        else:
            problems.append(
                _problem(
                    source_name(path, root),
                    "warning",
                    "not a regular file (device, pipe or socket): skipped",
                )
            )


def _skipped(name: str) -> bool:
    """Return True for hidden files and analyst config files that are not speeches."""
    lower = name.lower()
    return (
        name.startswith(".")
        or name.endswith("~")
        or lower in CONFIG_NAMES
        or lower.startswith(CONFIG_PREFIXES)
        or OFFICE_TEMP_RE.fullmatch(lower) is not None
        or Path(lower).suffix in CONFIG_SUFFIXES
    )


def _check_file(path: Path, root: Path, files: list, seen: dict, problems: list) -> None:
    """Append path to files unless it is unreadable or a second link to a listed file."""
    source = source_name(path, root)
    info = path.stat()
    key = (info.st_dev, info.st_ino)
    if key in seen:
        problems.append(
            _problem(source, "warning", f"same file as {seen[key]} (a link): read once")
        )
        return
    if not os.access(path, os.R_OK):
        problems.append(_problem(source, "error", "permission denied"))
        return
    if info.st_size > LARGE_FILE_BYTES and stat.S_ISREG(info.st_mode):
        size = info.st_size / 1024 / 1024
        problems.append(
            _problem(source, "warning", f"large file ({size:.0f} MB): later steps will be slow")
        )
    seen[key] = source
    files.append(path)
