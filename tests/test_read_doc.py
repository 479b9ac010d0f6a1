"""Reading Word 97-2003 .doc files: real files LibreOffice wrote (make_doc_fixtures.py)."""

import io
import random
import shutil
import struct
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from conftest import damaged_copies, load_script, read_outcomes, write_files
from jianghua import load_corpus
from jianghua.read import ReadError, read_document
from jianghua.read_doc import CUT_REASON, LOCKED_REASON, OLD_REASON, read_doc

FIXTURES = Path(__file__).parent / "fixtures" / "read"

SRC = load_script(FIXTURES / "make_doc_fixtures.py")
SPEECH = (FIXTURES / "speech.doc").read_bytes()


def _read_error(path) -> str:
    with pytest.raises(ReadError) as info:
        read_document(path)
    return str(info.value)


def _patched(tmp_path, data: bytes, stream: str, at: int, value: bytes) -> bytes:
    """Return a .doc with bytes of one stream overwritten (same length, so olefile can)."""
    import olefile

    path = tmp_path / "patched.doc"
    path.write_bytes(data)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        content = bytearray(ole.openstream(stream).read())
        content[at : at + len(value)] = value
        ole.write_stream(stream, bytes(content))
    return path.read_bytes()


def _stream(data: bytes, name: str) -> bytes:
    """Return one stream of an OLE file."""
    import olefile

    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        return ole.openstream(name).read()


def test_doc_paragraphs_come_out_one_per_line_in_order():
    doc = read_document(FIXTURES / "speech.doc")
    assert (doc.format, doc.encoding) == ("doc", "utf-16-le")
    assert doc.text.split("\n") == SRC.BODY_LINES
    assert doc.notes == ["1 footnote not read"]
    # full-width digits, ASCII and the ideographic space are kept as typed
    assert "（２０１８年４月２日）" in doc.text and "GDP增长" in doc.text and "12.5%" in doc.text
    assert doc.text.split("\n")[1] == "县长\u3000李明"


def test_doc_table_rows_one_per_line():
    lines = read_document(FIXTURES / "speech.doc").text.split("\n")
    start = lines.index(SRC.TABLE_LINES[0])
    assert lines[start : start + 5] == [*SRC.TABLE_LINES, SRC.CLOSING]
    assert (
        SRC.TABLE_LINES[-1] == "县住建局 县交通局\t１２月底"
    )  # empty cell dropped, paragraphs joined


def test_doc_footnote_text_is_not_in_the_body():
    assert SRC.FOOTNOTE.encode("utf-16-le") in SPEECH  # it is in the file...
    text = read_document(FIXTURES / "speech.doc").text
    assert SRC.FOOTNOTE not in text and "数据来源" not in text  # ...but not in the body
    assert SRC.PARA_1_BEFORE + SRC.PARA_1_AFTER in text.split("\n")  # nor its reference mark


def test_doc_hyperlink_keeps_its_text_not_its_field_code():
    assert "HYPERLINK".encode("utf-16-le") in SPEECH
    text = read_document(FIXTURES / "speech.doc").text
    assert SRC.PARA_2_BEFORE + SRC.LINK_TEXT + SRC.PARA_2_AFTER in text.split("\n")
    assert "HYPERLINK" not in text and SRC.LINK_URL not in text
    assert not any(ch < " " and ch not in "\t\n" for ch in text)


def test_nested_fields_show_only_the_outer_result():
    from jianghua.read_doc import _lines

    # made up, not written by Word: a field whose instruction holds a field, then one whose
    # result does (a page number inside a hyperlink), then a field without a result
    raw = (
        '前\x13 IF \x13 PAGE \x141\x15 = 1 "x" \x14甲\x15中'
        '\x13 HYPERLINK "u" \x14乙\x13 PAGE \x142\x15丙\x15后\x13 TOC \x15。\r'
    )
    chars = [(ch, n) for n, ch in enumerate(raw)]
    assert _lines(chars, {}) == ["前甲中乙2丙后。", ""]


def test_doc_notes_count_footnotes_endnotes_and_text_boxes():
    doc = read_document(FIXTURES / "notes.doc")
    assert doc.text.split("\n") == SRC.NOTES_LINES
    assert doc.notes == ["1 footnote and 2 endnotes not read", "text boxes not read"]


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("speech.wps", []),  # Kingsoft WPS writes Word's format under its own name
        ("speech.docx", ["the .docx file is a Word 97-2003 .doc file: read as one"]),
    ],
)
def test_doc_under_other_word_names(tmp_path, name, note):
    path = tmp_path / name
    path.write_bytes(SPEECH)
    doc = read_document(path)
    assert (doc.format, doc.text) == ("doc", read_document(FIXTURES / "speech.doc").text)
    assert doc.notes == [*note, "1 footnote not read"]


def test_8bit_pieces_are_read_as_cp1252(tmp_path):
    # LibreOffice stores all text as UTF-16; Word stores Western text 8-bit ("compressed").
    # Rewrite the real file's one piece that way: its text as cp1252 bytes where the UTF-16 was,
    # and the piece's fc doubled and flagged by bit 30.
    data = (FIXTURES / "english.doc").read_bytes()
    assert read_doc(data) == (SRC.ENGLISH, [])
    fc_clx = struct.unpack_from("<I", _stream(data, "WordDocument"), 0x1A2)[0]  # fcClx
    piece_fc = fc_clx + 1 + 4 + 8 + 2  # Pcdt tag and size, two positions, the Pcd's flags
    (text_at,) = struct.unpack_from("<I", _stream(data, "1Table"), piece_fc)
    assert _stream(data, "WordDocument")[text_at:].startswith(SRC.ENGLISH.encode("utf-16-le"))
    data = _patched(tmp_path, data, "WordDocument", text_at, SRC.ENGLISH.encode("cp1252"))
    flagged = struct.pack("<I", text_at * 2 | 0x40000000)
    data = _patched(tmp_path, data, "1Table", piece_fc, flagged)
    assert read_doc(data) == (SRC.ENGLISH, [])


# ---------------------------------------------------------------- bad files


def test_password_protected_doc(tmp_path):
    path = tmp_path / "locked.doc"
    shutil.copy(FIXTURES / "locked.doc", path)
    assert _read_error(path) == LOCKED_REASON


def test_excel_workbook_named_doc(tmp_path):
    path = tmp_path / "budget.doc"
    shutil.copy(FIXTURES / "workbook.xls", path)
    assert _read_error(path) == "not a Word file: it is an Excel workbook (.xls)"


@pytest.mark.parametrize(
    ("at", "value", "reason"),
    [
        (2, 104, OLD_REASON),  # Word 95's nFib
        (2, 101, OLD_REASON),  # Word 6.0's
        (0, 0xA5DC, OLD_REASON),  # Word 6.0's wIdent
        (0, 0x1234, "corrupt Word file: the WordDocument stream has no Word header"),
    ],
)
def test_word_95_and_older(tmp_path, at, value, reason):
    path = tmp_path / "old.doc"
    path.write_bytes(_patched(tmp_path, SPEECH, "WordDocument", at, struct.pack("<H", value)))
    assert _read_error(path) == reason


def test_blank_doc(tmp_path):
    path = tmp_path / "blank.doc"
    shutil.copy(FIXTURES / "blank.doc", path)
    assert _read_error(path) == "empty Word file: no text in the document body"


BAD_DOCS = [
    ("cut.doc", SPEECH[:5000], CUT_REASON),
    ("header.doc", SPEECH[:4], CUT_REASON),
    ("zeros.doc", SPEECH[:8] + bytes(600), CUT_REASON),
    ("cut.wps", SPEECH[:700], CUT_REASON),
    ("speech.doc", "同志们：今天开会。".encode("gbk"), None),  # read as text, with a note
    ("rtf.doc", b"{\\rtf1\\ansi hello}", "no Chinese text"),  # read as the RTF it is
    (
        "random.doc",
        random.Random(0).randbytes(2048),
        "not a Word 97-2003 file (no OLE compound-file header): open it and save it as .docx",
    ),
]


@pytest.mark.parametrize(("name", "data", "reason"), BAD_DOCS, ids=[b[0] for b in BAD_DOCS])
def test_bad_doc_gives_the_exact_reason(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    if reason is None:
        doc = read_document(path)
        assert (doc.format, doc.notes) == ("txt", ["the .doc file is plain text: read as one"])
    else:
        assert _read_error(path) == reason


def test_every_cut_gives_a_reason_or_the_whole_text():
    full = read_doc(SPEECH)[0]
    outcomes = set()
    for size in range(0, len(SPEECH), 97):
        try:
            outcomes.add(read_doc(SPEECH[:size])[0] == full)
        except ReadError as err:
            outcomes.add(str(err))
    # a cut inside the last, unused sector loses nothing; any other cut gives the reason
    assert outcomes == {
        True,
        CUT_REASON,
        "not a Word 97-2003 file (no OLE compound-file header): open it and save it as .docx",
    }


# ---------------------------------------------------------------- in the corpus


def test_doc_speech_and_bad_files_in_the_corpus(tmp_path):
    files = {
        "speech.doc": SPEECH,
        "locked.doc": (FIXTURES / "locked.doc").read_bytes(),
        "budget.doc": (FIXTURES / "workbook.xls").read_bytes(),
        "cut.doc": SPEECH[:5000],
        "old.doc": _patched(tmp_path, SPEECH, "WordDocument", 2, struct.pack("<H", 104)),
        "blank.doc": (FIXTURES / "blank.doc").read_bytes(),
        "english.doc": (FIXTURES / "english.doc").read_bytes(),
    }
    folder = write_files(tmp_path / "corpus", files)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    corpus = load_corpus(folder, cache=False)
    (row,) = corpus.speeches.itertuples()
    assert (row.source, row.title, row.speaker, row.role) == (
        "speech.doc",
        SRC.TITLE,
        "李明",
        "县长",
    )
    assert row.date == pd.Timestamp("2018-04-02")
    assert row.text.split("\n")[0] == SRC.SALUTATION
    assert SRC.LINK_TEXT in row.text and SRC.FOOTNOTE not in row.text
    problems = corpus.problems.sort_values("source")
    assert list(zip(problems.source, problems.severity, problems.message, strict=True)) == [
        ("blank.doc", "error", "empty Word file: no text in the document body"),
        ("budget.doc", "error", "not a Word file: it is an Excel workbook (.xls)"),
        ("cut.doc", "error", CUT_REASON),
        ("english.doc", "error", "no Chinese text"),
        ("locked.doc", "error", LOCKED_REASON),
        ("old.doc", "error", OLD_REASON),
        ("speech.doc", "warning", "1 footnote not read"),
    ]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # nothing written


def test_damaged_bytes_give_a_reason_never_a_crash():
    outcomes = read_outcomes(read_doc, damaged_copies(SPEECH, seed=0))
    # damage in the text reads; damage in the tables gives one of several reasons
    assert outcomes["read"] > 100 and len(outcomes) > 5


# ---------------------------------------------------------------- automatic list numbers

LISTS = FIXTURES / "lists.doc"
HEADINGS = FIXTURES / "headings.doc"


def test_doc_list_numbers_are_rebuilt_as_word_shows_them():
    doc = read_document(LISTS)
    assert doc.text.split("\n") == SRC.LISTS_LINES
    assert doc.notes == []
    # the numbers are not in the text Word stores: they come from the list tables
    stored = _stream(LISTS.read_bytes(), "WordDocument")
    assert "总体要求".encode("utf-16-le") in stored and "一、".encode("utf-16-le") not in stored


def test_doc_list_levels_nest_and_restart():
    lines = read_document(LISTS).text.split("\n")
    after = {line: lines[n + 1] for n, line in enumerate(lines[:-1])}
    # the first level goes on after other lists; a new first-level item restarts the second
    assert after["3.坚持综合治理"] == "二、重点任务"
    assert after["二、重点任务"] == "（一）道路交通"
    # a second decimal list counts from 1 again; the first-level list's second level goes on
    assert after["（一）道路交通"] == "1.开展隐患排查"
    assert after["2.严格执法检查"] == "（二）危险化学品"
    assert after["（二）危险化学品"] == "①摸清底数"


def test_doc_headings_numbered_by_their_styles():
    assert read_doc(HEADINGS.read_bytes()) == ("\n".join(SRC.HEADINGS_LINES), [])


def _fkp_pages(word: bytes, table: bytes) -> list[int]:
    """Return the offsets of the paragraph-property pages (FKPs) in the WordDocument stream."""
    from jianghua.read_doc import _fib

    fc, lcb = _fib(word).papx
    count = (lcb - 4) // 8
    pages = struct.unpack_from(f"<{count}I", table, fc + 4 * (count + 1))
    return [512 * (page & 0x3FFFFF) for page in pages]


def test_doc_heading_numbers_come_from_the_style_sheet(tmp_path):
    # LibreOffice sets the list on each heading as well as on its style (Heading 1 and 2);
    # Word often sets it on the style only. Rename the headings' own list and level sprms
    # (0x460B with list 1, 0x260A) to a sprm nobody reads: the styles still number them.
    data = HEADINGS.read_bytes()
    word, table = _stream(data, "WordDocument"), _stream(data, "1Table")
    renamed = 0
    for page in _fkp_pages(word, table):
        fkp = word[page : page + 512]
        for old, new in ((b"\x0b\x46\x01\x00", b"\xff\x46\x01\x00"), (b"\x0a\x26", b"\xff\x26")):
            at = fkp.find(old)
            while at >= 0:
                data = _patched(tmp_path, data, "WordDocument", page + at, new)
                renamed += 1
                at = fkp.find(old, at + 1)
    assert renamed == 5 + 7  # the five headings' lists; their levels and the chapters'
    assert read_doc(data) == ("\n".join(SRC.HEADINGS_LINES), [])


def test_doc_list_numbers_in_the_corpus_give_sections(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(LISTS, folder / "lists.doc")
    corpus = load_corpus(folder, cache=False)
    assert corpus.problems.empty
    sections = corpus.sections
    assert list(zip(sections.level, sections.label, sections.heading, strict=True)) == [
        (1, "一", "总体要求"),
        (2, "一", "指导思想"),
        (2, "二", "基本原则"),
        (3, "1", "坚持安全第一"),
        (3, "2", "坚持预防为主"),
        (3, "3", "坚持综合治理"),
        (1, "二", "重点任务"),
        (2, "一", "道路交通"),
        (3, "1", "开展隐患排查"),
        (3, "2", "严格执法检查"),
        (2, "二", "危险化学品"),
        (3, "①", "摸清底数"),
        (3, "②", "落实责任"),
    ]


def _damaged_lists(tmp_path, data: bytes, part: str) -> bytes:
    """Return lists.doc with one part of its list tables (PlfLst and the LVLs after it) damaged."""
    fc_plf_lst = struct.unpack_from("<I", _stream(data, "WordDocument"), 0x2E2)[0]
    table = _stream(data, "1Table")
    lists = struct.unpack_from("<h", table, fc_plf_lst)[0]
    assert lists == 5  # zh, dec, dec-2, circled, and the outline numbering LibreOffice adds
    level = fc_plf_lst + 2 + 28 * lists  # the LVLs follow the PlfLst's count and its LSTFs
    number_text = level + 28 + table[level + 24] + table[level + 25]  # after the grpprls
    at, value = {
        "list count": (fc_plf_lst, struct.pack("<h", 30000)),  # far past the stream's end
        "number text": (number_text, b"\xff\xff"),  # longer than the stream
        "number format": (level + 4, b"\x99"),  # not one read here
    }[part]
    return _patched(tmp_path, data, "1Table", at, value)


@pytest.mark.parametrize("part", ["list count", "number text"])
def test_damaged_list_tables_leave_the_text_without_numbers(tmp_path, part):
    text, notes = read_doc(_damaged_lists(tmp_path, LISTS.read_bytes(), part))
    assert text.split("\n") == [text for _, text in SRC.LISTS]
    assert notes == ["list numbers not read: the list tables are damaged"]


def test_unknown_number_format_is_shown_in_decimal(tmp_path):
    text, notes = read_doc(_damaged_lists(tmp_path, LISTS.read_bytes(), "number format"))
    # the first list's first level: 一、 二、 become 1、 2、; its second level keeps （一）
    expected = [line.replace("一、", "1、").replace("二、", "2、") for line in SRC.LISTS_LINES]
    assert (text.split("\n"), notes) == (expected, [])
    assert "（一）指导思想" in expected


def test_damaged_list_file_gives_a_reason_never_a_crash():
    outcomes = Counter()
    for data in damaged_copies(LISTS.read_bytes(), seed=1):
        try:  # any other exception (struct.error, IndexError...) fails the test
            text, notes = read_doc(data)
            outcomes["numbered" if "一、总体要求" in text else "read"] += 1
        except ReadError as err:
            outcomes[str(err)] += 1
    assert outcomes["numbered"] > 100 and len(outcomes) > 4


def test_list_counter_start_at_overrides_and_formats():
    from jianghua.read_doc import _Level, _ListCounter, _overrides

    def level(start, nfc, text, places=(0,)):
        return _Level(start, nfc, text, frozenset(places), False, False)

    # made up, not written by Word: list 7 (一、 then 1.1), and a list of the unread
    # ordinal-text format (0x07) beside bullets (0x17) and an unknown code (0x99)
    lists = {
        7: [level(1, 0x25, "\x00、"), level(1, 0, "\x00.\x01", (0, 2))],
        8: [level(1, 0x07, "\x00."), level(1, 0x17, "\uf0b7"), level(3, 0x99, "(\x02)", (1,))],
    }
    # two LFOs of list 7, the second restarting level 1 at 5 (fStartAt); one of list 8
    plf = struct.pack("<i", 3)
    for lsid, overridden in ((7, 0), (7, 1), (8, 0)):
        plf += struct.pack("<i8xB3x", lsid, overridden)
    plf += struct.pack("<i", 0) * 2 + struct.pack("<iI", 5, 0x10 | 1) + struct.pack("<i", 0)
    lfos = _overrides(plf, (0, len(plf)))
    assert lfos == [(7, {}), (7, {1: (5, None)}), (8, {})]
    counter = _ListCounter(lists, lfos)
    shown = [counter.number(ilfo, ilvl) for ilfo, ilvl in [(1, 0), (1, 1), (2, 1), (1, 1)]]
    shown += [counter.number(1, 0), counter.number(2, 1)]
    # 一.1 as Word shows it: a level's number keeps its format in lower levels (not fLegal)
    assert shown == ["一、", "一.1 ", "一.5 ", "一.6 ", "二、", "二.1 "]
    assert [counter.number(3, n) for n in (0, 1, 2, 2)] == ["1.", "", "(3)", "(4)"]
    assert counter.number(4, 0) is None  # an LFO the file does not have


def test_simple_lists_have_one_level():
    from types import SimpleNamespace

    from jianghua.read_doc import _list_tables

    def lvl(nfc: int, text: str) -> bytes:
        places = bytes([text.index("\x00") + 1]) + bytes(8)
        lvlf = struct.pack("<iBB9sB4x4xBBBB", 1, nfc, 0, places, 0, 0, 2, 0, 0)
        return lvlf + b"\x00\x00" + struct.pack("<H", len(text)) + text.encode("utf-16-le")

    # made up, not written by Word: a simple list (fSimpleList, one LVL), then a 9-level one
    lstfs = b"".join(
        struct.pack("<ii18sBB", lsid, 0, bytes(18), simple, 0) for lsid, simple in ((1, 1), (2, 0))
    )
    plf_lst = struct.pack("<h", 2) + lstfs + lvl(0x12, "\x00") + lvl(0x25, "\x00、") * 9
    plf_lfo = struct.pack("<i", 0)
    fib = SimpleNamespace(lists=(0, 2 + 2 * 28), overrides=(len(plf_lst), 4))
    lists, lfos = _list_tables(plf_lst + plf_lfo, fib)
    assert [(lsid, len(levels), levels[0].text) for lsid, levels in lists.items()] == [
        (1, 1, "\x00"),
        (2, 9, "\x00、"),
    ]
    assert lfos == []
