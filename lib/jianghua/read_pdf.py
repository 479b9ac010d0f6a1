"""Read PDF files with pypdf: one line per PDF text line, pages apart, paragraph indents kept.

pypdf was chosen over pdfminer.six after trying both on Chinese PDFs (CID fonts with ToUnicode,
predefined UniGB CMaps, text set with character spacing or one glyph at a time, digits in a
Latin font): pypdf kept each line whole with no spaces between CJK characters and read a page in
a quarter of the time; pdfminer.six put a space between every character of spaced or justified
text, split a line at a font change into separate blocks, and read nothing from fonts whose
encoding is an embedded CMap.
"""

import io
import logging
import re
from collections import Counter
from contextlib import contextmanager

from jianghua.read_text import CJK_RE, ReadError, plausible_chinese

# The PDF header may follow a little junk (a BOM, a mail or HTTP header left by a download).
HEADER_WINDOW = 1024
# Readers look for the end-of-file marker this near the end; a cut file has none.
EOF_WINDOW = 2048
# A line starting this many characters right of the page's usual left edge is indented.
INDENT_EMS = 1.5
# Lines at least this long set the page's left edge (short ones may be centred).
MARGIN_MIN_CHARS = 8
INDENT_MARK = "\u3000\u3000"  # what an indent is typed as; normalize turns it into spaces
# pypdf puts a space at a gap between two text pieces; between Chinese characters it becomes a
# full-width space, which normalize drops inside sentences and keeps between header fields.
CJK_CLASS = "[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]"
CJK_GAP_RE = re.compile(f"(?<={CJK_CLASS}) +(?={CJK_CLASS})")
# Characters that no font maps to real text: controls, private use, replacement characters.
JUNK_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\ufffd]")
MAX_JUNK_SHARE = 0.1
MIN_CJK_CHARS = 20  # fewer Chinese characters than this say nothing about the fonts
LOCKED_REASON = "encrypted PDF: it needs a password to open; save a copy without it"
SCAN_REASON = "PDF has no text layer (a scan?): OCR it first"
# an embedded encoding CMap whose codes are all two bytes long (fpdf2 and some converters write one)
TWO_BYTE_CMAP_RE = re.compile(
    rb"begincodespacerange\s*(<[0-9A-Fa-f]{4}>\s*<[0-9A-Fa-f]{4}>\s*)+endcodespacerange"
)
GARBLED_REASON = (
    "PDF text is garbled: its fonts do not say which characters their glyphs are"
    " (no ToUnicode map); OCR it first"
)


def read_pdf(data: bytes) -> tuple[str, list[str]]:
    """Return (text of a PDF, one line per text line, pages apart by a form feed; notes)."""
    if b"%PDF-" not in data[:HEADER_WINDOW]:
        raise ReadError("corrupt PDF: no %PDF header")
    if b"%%EOF" not in data.rstrip(b"\x00 \t\r\n")[-EOF_WINDOW:]:  # NULs a server padded with
        raise ReadError("corrupt PDF: the file is cut short (no end-of-file marker)")
    with _quiet_pypdf():
        reader = _open(data)
        pages, failed, blank = _read_pages(reader)
        if not any(page.strip() for page in pages):
            if failed:
                raise ReadError(f"corrupt PDF: {failed[0][1]}")
            scan = _has_images(reader)
            raise ReadError(SCAN_REASON if scan else "empty PDF: no text on any page")
    text = "\f".join(pages)
    if _garbled(text):
        raise ReadError(GARBLED_REASON)
    notes = [f"page {n} not read: {reason}" for n, reason in failed]
    if blank:
        notes.append(f"{_pages(blank)} no text (a blank or scanned page): not read")
    return text, notes


@contextmanager
def _quiet_pypdf():
    """Silence pypdf's log warnings about damaged structure while a file is read."""
    # pypdf logs every repair it makes; problem rows and notes report what matters instead
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _open(data: bytes):
    """Return a pypdf reader of the bytes, decrypted when the empty password opens them."""
    from pypdf import PdfReader  # imported here: only needed for PDF files
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # most protected PDFs only restrict printing or copying: anyone may open them
            if not reader.decrypt(""):
                raise ReadError(
                    "encrypted PDF: it needs a password to open; save a copy without it"
                )
        len(reader.pages)  # the page tree is read lazily: a broken one fails here
    except ReadError:
        raise
    except DependencyError as err:
        raise ReadError(f"encrypted PDF: {err}") from err
    except Exception as err:  # pypdf raises many types for damaged files
        raise ReadError(f"corrupt PDF: {_reason(err)}") from err
    return reader


def _reason(err: Exception) -> str:
    """Return a short reason for a pypdf exception."""
    message = str(err).strip() or type(err).__name__
    return message[:200]


def _read_pages(reader) -> tuple[list[str], list[tuple[int, str]], list[int]]:
    """Return (text of each page, (number, reason) of pages that failed, textless page numbers)."""
    pages, failed, blank = [], [], []
    for number, page in enumerate(reader.pages, 1):
        try:
            _two_byte_codes(page)
            text = "\n".join(_page_lines(page)).strip("\n")
        except Exception as err:  # one damaged page should not cost the others
            failed.append((number, _reason(err)))
            text = ""
        else:
            if not text.strip():
                blank.append(number)
        pages.append(text)
    return pages, failed, blank


def _two_byte_codes(page) -> None:
    """Return nothing; give the page's fonts with a two-byte embedded CMap the Identity-H name."""
    from pypdf.generic import NameObject, StreamObject

    # pypdf reads an embedded encoding CMap as one-byte codes: every character past the 256th of
    # a subset font came out as two wrong ones (说 as "2午"). Text comes from ToUnicode, which
    # maps the same two-byte codes, so only the code length matters and Identity-H gives it.
    fonts = page.get("/Resources", {}).get("/Font", {})
    for ref in fonts.values():
        font = ref.get_object()
        encoding = font.get("/Encoding")
        encoding = encoding.get_object() if encoding is not None else None
        if (
            font.get("/Subtype") == "/Type0"
            and "/ToUnicode" in font
            and isinstance(encoding, StreamObject)
            and TWO_BYTE_CMAP_RE.search(encoding.get_data())
        ):
            font[NameObject("/Encoding")] = NameObject("/Identity-H")


def _page_lines(page) -> list[str]:
    """Return the text lines of one page in drawing order, indented first lines marked."""
    chunks = []

    def visit(text, cm, tm, font, size):
        if text:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (cm[0] ** 2 + cm[1] ** 2) ** 0.5
            chunks.append((text, x, size * scale))

    page.extract_text(visitor_text=visit)
    lines, starts = [""], [None]
    for text, x, size in chunks:
        for k, piece in enumerate(text.split("\n")):
            if k:
                lines.append("")
                starts.append(None)
            if piece and not lines[-1] and k == 0:
                starts[-1] = (x, size)  # a piece after a newline has no position of its own
            lines[-1] += piece
    return _mark_indents(lines, starts)


def _mark_indents(lines: list[str], starts: list) -> list[str]:
    """Return the lines tidied, with an indent mark on those starting right of the left edge."""
    # NUL comes from fonts whose codes pypdf splits wrongly (an embedded CMap): never text
    lines = [CJK_GAP_RE.sub("\u3000", line.replace("\x00", "").rstrip()) for line in lines]
    edges = Counter(
        round(start[0])
        for line, start in zip(lines, starts, strict=True)
        if start and len(line.strip()) >= MARGIN_MIN_CHARS
    )
    if not edges:
        return lines
    left = min(edge for edge, count in edges.items() if count == max(edges.values()))
    out = []
    for line, start in zip(lines, starts, strict=True):
        indented = start and start[0] - left >= INDENT_EMS * start[1]
        out.append(INDENT_MARK + line if indented and line[:1].strip() else line)
    return out


def _pages(numbers: list[int]) -> str:
    """Return 'page 3 has' or 'pages 3, 5, 6 have'."""
    if len(numbers) == 1:
        return f"page {numbers[0]} has"
    return "pages " + ", ".join(map(str, numbers)) + " have"


def _has_images(reader) -> bool:
    """Return True when a page of the PDF draws an image (a scanned page does)."""
    for page in reader.pages:
        try:
            if page.images:
                return True
        except Exception:  # an image that cannot be decoded is still an image
            return True
    return False


def _garbled(text: str) -> bool:
    """Return True when the text is mostly glyph codes rather than characters."""
    sample = "".join(text.split())[:20000]
    if not sample:
        return False
    junk = len(JUNK_RE.findall(sample))
    wide = [ch for ch in sample if ord(ch) > 0x7F]
    # glyph numbers read as characters: controls and Latin-1 for small fonts, rare hanzi for big
    # (a text without Chinese, French say, is left to the "no Chinese text" check)
    return junk > MAX_JUNK_SHARE * len(sample) or (
        len(CJK_RE.findall(sample)) >= MIN_CJK_CHARS and not plausible_chinese("".join(wide))
    )
