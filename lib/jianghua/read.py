"""Read speech files of every real-world kind: .txt in any encoding, .html, Word, PDF, RTF, .odt."""

import codecs
import errno
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from jianghua.read_doc import OLE_MAGIC, read_doc
from jianghua.read_odt import ODT_MIMETYPE, read_odt
from jianghua.read_pdf import HEADER_WINDOW, read_pdf
from jianghua.read_rtf import RTF_MAGIC, read_rtf
from jianghua.read_text import CJK_RE, SAMPLE, ReadError, decode_text
from jianghua.read_web import read_html, read_mhtml
from jianghua.read_word import read_docx

TEXT_SUFFIXES = {".txt", ".text", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
# Word's macro-enabled documents and its templates are .docx packages too
DOCX_SUFFIXES = {".docx", ".docm", ".dotx", ".dotm"}
# Word 97-2003 and its templates; Kingsoft WPS writes the same format (.wps, .wpt templates)
DOC_SUFFIXES = {".doc", ".dot", ".wps", ".wpt"}
MHTML_SUFFIXES = {".mht", ".mhtml"}
PDF_SUFFIXES = {".pdf"}
RTF_SUFFIXES = {".rtf"}
ODT_SUFFIXES = {".odt", ".ott"}  # OpenDocument text and its templates (LibreOffice, WPS)
# Files whose bytes decide how they are read: Word and browsers save one format under
# another's name (a .docx as .doc and a .doc as .docx, an RTF as .doc, an .odt as .docx, a web
# page or web archive as .doc or .html), and sites serve a web page or plain text under a .pdf
# link.
SNIFFED_SUFFIXES = {
    *DOC_SUFFIXES,
    *DOCX_SUFFIXES,
    *HTML_SUFFIXES,
    *MHTML_SUFFIXES,
    *PDF_SUFFIXES,
    *RTF_SUFFIXES,
    *ODT_SUFFIXES,
}
FORMAT_NAMES = {
    "doc": "a Word 97-2003 .doc file",
    "docx": "a Word .docx file",
    "html": "a web page",
    "mhtml": "an MHTML web archive",
    "odt": "an OpenDocument text (.odt) file",
    "pdf": "a PDF",
    "rtf": "an RTF file",
    "txt": "plain text",
}
# Hints for formats people commonly drop into a corpus folder.
UNSUPPORTED_HINTS = {
    ".caj": "copy its text into a .txt file",
    ".kdh": "copy its text into a .txt file",
    ".nh": "copy its text into a .txt file",
    ".ofd": "save it as .pdf with a text layer",
    **dict.fromkeys((".rar", ".7z", ".tar", ".gz"), "unpack it into the corpus folder"),
    **dict.fromkeys(
        (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"),
        "a picture of the text: OCR it into a .txt file",
    ),
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


@dataclass
class Document:
    """The text of one file, with the encoding and format it was read from, and reading notes."""

    text: str
    encoding: str
    format: str
    notes: list[str] = field(default_factory=list)  # warnings, e.g. damaged bytes replaced


def read_document(path) -> Document:
    """Return the Document read from a text, web page, Word, PDF, RTF or OpenDocument file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES | SNIFFED_SUFFIXES:
        raise _unsupported(suffix)  # before reading: a video in the folder is never loaded
    return document_from_bytes(read_bytes(path), suffix)


def document_from_bytes(data: bytes, suffix: str) -> Document:
    """Return the Document of a file's bytes, read as its suffix (and its content) says."""
    if suffix in TEXT_SUFFIXES:
        text, encoding, notes = decode_text(data)
        doc = Document(text, encoding, "txt", notes)
        if _is_html_text(text):
            # a saved page or markup copied from "view source", renamed to .txt
            text, encoding, notes = read_html(data)
            doc = Document(text, encoding, "html", [TXT_HTML_NOTE.format(suffix), *notes])
    elif suffix in SNIFFED_SUFFIXES:
        doc = _read_by_content(data, suffix)
    else:
        raise _unsupported(suffix)
    _check_chinese(doc.text)
    return doc


def _read_by_content(data: bytes, suffix: str) -> Document:
    """Return the Document of a Word, web or PDF file, read by what its bytes are."""
    expected = _SUFFIX_FORMATS.get(suffix)
    sniffed = _sniff_format(data)
    found = sniffed or expected
    if sniffed is None and expected in ("pdf", "doc", "rtf") and _is_text(data):
        found = "txt"  # a .pdf or .doc link that served the page's text, text named .rtf
    if found is None:
        raise _unsupported(suffix)
    notes = (
        [] if found == expected else [f"the {suffix} file is {FORMAT_NAMES[found]}: read as one"]
    )
    if found in _READERS:
        text, more = _READERS[found](data)
        return Document(text, _ENCODINGS.get(found, "utf-8"), found, notes + more)
    if found == "txt":
        text, encoding, more = decode_text(data)
        return Document(text, encoding, "txt", notes + more)
    if found == "mhtml":
        text, encoding, more = read_mhtml(data)
    else:
        text, encoding, more = read_html(data)
    return Document(text, encoding, found, notes + more)


# The readers of binary formats, each returning (text, notes); the encoding the text was in.
_READERS = {"doc": read_doc, "docx": read_docx, "pdf": read_pdf, "rtf": read_rtf, "odt": read_odt}
# (RTF is 7-bit text holding its characters as escapes, in code pages or Unicode.)
_ENCODINGS = {"doc": "utf-16-le", "rtf": "ascii"}
_SUFFIX_FORMATS = {
    **dict.fromkeys(RTF_SUFFIXES, "rtf"),
    **dict.fromkeys(ODT_SUFFIXES, "odt"),
    **dict.fromkeys(DOC_SUFFIXES, "doc"),
    **dict.fromkeys(DOCX_SUFFIXES, "docx"),
    **dict.fromkeys(HTML_SUFFIXES, "html"),
    **dict.fromkeys(MHTML_SUFFIXES, "mhtml"),
    **dict.fromkeys(PDF_SUFFIXES, "pdf"),
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
    """Return 'pdf', 'doc', 'docx', 'odt', 'rtf', 'mhtml' or 'html' when plainly one, else None."""
    if _is_pdf(data):
        return "pdf"
    if data.startswith(OLE_MAGIC):
        return "doc"  # or another OLE file: read_doc says which
    if data.startswith(b"PK\x03\x04"):
        return _zip_format(data)
    head = data[:4096].removeprefix(codecs.BOM_UTF8)
    if head.lstrip().startswith(RTF_MAGIC):
        return "rtf"
    if MAIL_HEADER_RE.match(head) and MHTML_RE.search(head[:2048]):
        return "mhtml"
    if HTML_START_RE.match(head):
        return "html"
    return None


def _zip_format(data: bytes) -> str | None:
    """Return 'odt' for an OpenDocument text package, None for a damaged zip, else 'docx'."""
    # ODF puts an uncompressed "mimetype" member first: its content follows its 38-byte header
    if data[30:38] == b"mimetype" and data.startswith(ODT_MIMETYPE, 38):
        return "odt"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None  # damaged: the reader its name says tells what is wrong
    if "word/document.xml" not in names and {"content.xml", "mimetype"} <= names:
        return "odt"
    return "docx"


def _is_pdf(data: bytes) -> bool:
    """Return True when the bytes start like a PDF (a little junk before the header allowed)."""
    return b"%PDF-" in data[:HEADER_WINDOW]


def _is_text(data: bytes) -> bool:
    """Return True when the bytes decode as Chinese text rather than binary data."""
    try:
        text, _, _ = decode_text(data)
    except ReadError:
        return False
    return CJK_RE.search(text) is not None


def _unsupported(suffix: str) -> ReadError:
    """Return the error for a file type that is not read, with a hint when one helps."""
    hint = UNSUPPORTED_HINTS.get(suffix)
    name = suffix or "(no extension)"
    return ReadError(f"unsupported file type {name}" + (f": {hint}" if hint else ""))


def read_bytes(path: Path) -> bytes:
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

    # Real files before links, so a link (not the file it points to) is the one dropped;
    # of two files named alike, the one named in UTF-8 (not in GBK bytes)
    def order(p):
        return p.is_symlink(), names[p], _UNDECODED.search(str(p)) is not None

    for path in sorted(found, key=order):
        _check_file(path, root, files, seen, problems)
    files.sort(key=names.__getitem__)
    problems.sort(key=lambda p: (p["source"], p["message"]))
    return files, problems


def source_name(path, root) -> str:
    """Return the posix path of a file relative to the corpus root (its name for a file root)."""
    text, prefix = os.fspath(path), os.path.join(os.fspath(root), "")
    if text.startswith(prefix) and os.sep == "/":  # the usual case, without pathlib's cost
        return readable_name(text[len(prefix) :])
    path, root = Path(path), Path(root)
    if path == root:
        return readable_name(path.name)
    return readable_name(path.relative_to(root).as_posix())


_UNDECODED = re.compile("[\udc80-\udcff]")


def readable_name(name: str) -> str:
    """Return a file path as text, its parts that are not UTF-8 decoded as GB18030."""
    # unzip on Linux keeps a Chinese Windows archive's GBK names as raw bytes, which Python
    # holds as lone surrogates: no CSV, figure title or web page can carry those
    if not _UNDECODED.search(name):
        return name
    return "/".join(_readable_part(part) for part in name.split("/"))


def _readable_part(part: str) -> str:
    """Return one path part as text: GB18030 where it is not UTF-8, else escaped bytes."""
    if not _UNDECODED.search(part):
        return part
    raw = os.fsencode(part)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace")


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
        if skipped_name(entry.name):
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


def skipped_name(name: str) -> bool:
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
    """Append path to files unless unreadable, a second link to a listed file or its name."""
    source = source_name(path, root)
    info = path.stat()
    key = (info.st_dev, info.st_ino)
    if key in seen:
        problems.append(
            _problem(source, "warning", f"same file as {seen[key]} (a link): read once")
        )
        return
    if source in seen:  # 中文.txt twice: once named in UTF-8, once in GBK bytes
        problems.append(
            _problem(
                source,
                "error",
                "another file has this name spelled in UTF-8, this one's name is in GBK "
                "bytes: rename one of them; this one was not read",
            )
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
    seen[key] = seen[source] = source
    files.append(path)
