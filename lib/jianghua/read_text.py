"""Decode the bytes of a text file: BOMs, UTF-8/16/32, GB18030, Big5, damaged bytes, mojibake."""

import codecs
import re
from collections import Counter
from functools import lru_cache


def decode_analyst_text(raw: bytes) -> str:
    """Return an analyst's own file (word lists, metadata.csv) as UTF-8 (BOM or not) or GB18030."""
    try:
        return raw.decode("utf-8-sig")  # CRLF is left to splitlines and the csv reader
    except UnicodeDecodeError:
        # Notepad and Excel on Chinese Windows save GBK; raises when it is neither
        return raw.decode("gb18030")


def read_analyst_text(path) -> str:
    """Return the text of an analyst's own file (see decode_analyst_text)."""
    with open(path, "rb") as handle:
        return decode_analyst_text(handle.read())


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
    if sample.isascii() or plausible_chinese(sample):
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
            if (
                plausible_chinese(fixed[:SAMPLE].replace("\ufffd", ""))
                and lost * MAX_LOST_SHARE < common
            ):
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
            if plausible_chinese(line):
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
        key = (plausible_chinese(sample), _common_cjk(sample), trusted, -rank)
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
        if repaired is None or not plausible_chinese(repaired[0][:SAMPLE]):
            continue
        text, notes = repaired
        key = (-text.count("\ufffd"), _common_cjk(text[:SAMPLE]), -rank)
        if best_key is None or key > best_key:
            best, best_key = (text, encoding, notes), key
    return best


def plausible_chinese(text: str) -> bool:
    """Return True when most non-ASCII characters are everyday Chinese or CJK punctuation."""
    # judge each distinct character once: a 64k sample holds a few thousand of them
    wide = usual = 0
    for ch, n in Counter(text).items():
        if ord(ch) > 0x7F:
            wide += n
            usual += n if _is_common(ch) or _is_cjk_punctuation(ch) else 0
    return wide > 0 and usual >= 0.8 * wide


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
    return sum(n for ch, n in Counter(CJK_RE.findall(text)).items() if _is_common(ch))


# ---------------------------------------------------------------- office documents


def check_zip(data: bytes, kind: str) -> None:
    """Raise ReadError, naming kind (".docx", ".odt"), unless data is a whole zip archive."""
    import io
    import zipfile

    if not data:
        raise ReadError("empty file")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if data.startswith(b"PK\x03\x04"):
            raise ReadError(f"corrupt {kind}: the zip archive is truncated or damaged")
        raise ReadError(f"corrupt {kind}: not a zip archive")


# ---------------------------------------------------------------- table rows of documents

# A cell this long, or with two paragraphs of sentences, holds running text: the table only
# lays out the page (a whole speech in one cell, as document templates do).
LAYOUT_CELL_CHARS = 200
_SENTENCE_END = re.compile(r"[。！？!?；;]$")


def row_lines(cells: list[list[str]]) -> list[str]:
    """Return a table row's lines: one line of tab-separated cells, or each cell's paragraphs."""
    cells = [
        [ln.strip() for para in cell for ln in para.split("\n") if ln.strip()] for cell in cells
    ]
    if any(_running_text(cell) for cell in cells):
        return [p for cell in cells for p in cell]
    # a data row: each cell's paragraphs on one line (县住建局 县交通局), cells apart by tabs
    return ["\t".join(" ".join(cell) for cell in cells if cell)]


def _running_text(paragraphs: list[str]) -> bool:
    """Return True when a cell's paragraphs are running text rather than a table value."""
    sentences = sum(1 for p in paragraphs if _SENTENCE_END.search(p))
    return sentences >= 2 or sum(map(len, paragraphs)) >= LAYOUT_CELL_CHARS
