"""Read OpenDocument text (.odt) files, as LibreOffice and WPS write them, from content.xml.

Paragraphs and headings come out one per line, tables one row per line with tab-separated cells
(as the .docx reader does); notes, comments and the deleted text of tracked changes are not
body text, and a text box's lines come before its paragraph's.
"""

import io
import zipfile
import zlib
from xml.etree import ElementTree

from jianghua.read_text import ReadError, check_zip, row_lines
from jianghua.read_word import spaced_label

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"  # -template for .ott too
OTHER_ODF = {
    "spreadsheet": "an OpenDocument spreadsheet (.ods)",
    "presentation": "an OpenDocument presentation (.odp)",
    "graphics": "an OpenDocument drawing (.odg)",
}
LOCKED_REASON = (
    "password-protected OpenDocument file: it needs a password to open; save a copy without it"
)
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
# Markup whose text is not shown in the body: notes, comments, deletions, index templates.
HIDDEN = {
    f"{TEXT}note",
    f"{OFFICE}annotation",
    f"{TEXT}tracked-changes",
    f"{TEXT}ruby-text",
    f"{TEXT}table-of-content-source",
    f"{TEXT}alphabetical-index-source",
    f"{TEXT}illustration-index-source",
    f"{TEXT}sequence-decls",
    f"{OFFICE}forms",
}
PARAGRAPHS = {f"{TEXT}p", f"{TEXT}h"}
TABLES = {f"{TABLE}table"}
ROW_GROUPS = {f"{TABLE}table-header-rows", f"{TABLE}table-rows", f"{TABLE}table-row-group"}


def read_odt(data: bytes) -> tuple[str, list[str]]:
    """Return (paragraphs and table rows of an .odt, one per line in document order; notes)."""
    check_zip(data, ".odt")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_package(archive)
            root = ElementTree.fromstring(archive.read("content.xml"))
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError) as err:
        raise ReadError(f"corrupt .odt: {err}") from err
    except (RuntimeError, NotImplementedError, ValueError) as err:
        # damaged member headers: an "encrypted" flag, an unknown compression method
        raise ReadError(f"corrupt .odt: {err}") from err
    except ElementTree.ParseError as err:
        raise ReadError(f"corrupt .odt: broken XML inside ({err})") from err
    body = root.find(f"{OFFICE}body/{OFFICE}text")
    if body is None:
        raise ReadError("corrupt .odt: no text body in content.xml")
    text = "\n".join(line for line in _block_lines(body) if line.strip())
    if not text.strip():
        raise ReadError("empty OpenDocument file: no text in the document body")
    return text, _note_count(body)


def _check_package(archive: zipfile.ZipFile) -> None:
    """Raise ReadError unless the zip is an unencrypted OpenDocument text with content.xml."""
    names = set(archive.namelist())
    mimetype = archive.read("mimetype") if "mimetype" in names else b""
    kind = mimetype.decode("ascii", "replace").strip().rsplit(".", 1)[-1]
    kind = kind.removesuffix("-template")
    if kind in OTHER_ODF:
        raise ReadError(f"not a text document: {OTHER_ODF[kind]}")
    if "META-INF/manifest.xml" in names and b"encryption-data" in archive.read(
        "META-INF/manifest.xml"
    ):
        raise ReadError(LOCKED_REASON)
    if "content.xml" not in names:
        if "word/document.xml" in names:
            raise ReadError("not an .odt: a Word .docx file")
        raise ReadError("corrupt .odt: no content.xml inside")


def _note_count(body) -> list[str]:
    """Return a reading note counting the footnotes and endnotes, which are not read."""
    counts = {}
    for note in body.iter(f"{TEXT}note"):
        kind = note.get(f"{TEXT}note-class", "footnote")
        counts[kind] = counts.get(kind, 0) + 1
    found = [
        f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in sorted(counts.items(), reverse=True)
    ]
    return [" and ".join(found) + " not read"] if found else []


def _block_lines(container) -> list[str]:
    """Return the lines of the paragraphs, lists, tables and sections in a container."""
    lines = []
    for block in container:
        if block.tag in HIDDEN:
            continue
        if block.tag in PARAGRAPHS:
            lines.extend(_paragraph_lines(block))
        elif block.tag in TABLES:
            lines.extend(_table_rows(block))
        else:  # lists and their items, sections, index bodies: paragraphs inside
            lines.extend(_block_lines(block))
    return lines


def _paragraph_lines(paragraph) -> list[str]:
    """Return the lines a paragraph shows: its text boxes' lines, then its text."""
    parts, boxes = [], []
    _collect_text(paragraph, parts, boxes)
    return [*boxes, "".join(parts)]


def _collect_text(element, parts: list, boxes: list) -> None:
    """Append the shown text under element to parts, and its text boxes' lines to boxes."""
    if element.text:
        parts.append(element.text)
    for child in element:
        tag = child.tag
        if tag in HIDDEN:
            pass
        elif tag == f"{TEXT}s":
            count = child.get(f"{TEXT}c", "1")
            parts.append(" " * (min(int(count), 100) if count.isdigit() else 1))
        elif tag == f"{TEXT}tab":
            parts.append("\t")
        elif tag == f"{TEXT}line-break":
            parts.append("\n")
        elif tag == f"{TEXT}number":  # the list number LibreOffice stores with a heading
            label = "".join(child.itertext()).strip()
            parts.append(spaced_label(label) if label else "")
        elif tag == f"{DRAW}text-box":
            boxes.extend(_block_lines(child))
        else:  # spans, links, fields, frames
            _collect_text(child, parts, boxes)
        if child.tail:
            parts.append(child.tail)


def _table_rows(table) -> list[str]:
    """Return the lines of a table's rows (see row_lines); merged cells appear once."""
    rows = []
    for row in _rows(table):
        # covered cells of a merge are left out: the merged cell is read once
        cells = [_block_lines(cell) for cell in row if cell.tag == f"{TABLE}table-cell"]
        rows.extend(row_lines(cells))
    return rows


def _rows(table) -> list:
    """Return a table's rows, those in header and row groups included, in order."""
    rows = []
    for child in table:
        if child.tag == f"{TABLE}table-row":
            rows.append(child)
        elif child.tag in ROW_GROUPS:
            rows.extend(_rows(child))
    return rows
