"""Reading Word 97-2003 .doc files: real files LibreOffice wrote (make_doc_fixtures.py)."""

import importlib.util
import io
import random
import shutil
import struct
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from jianghua import load_corpus
from jianghua.read import ReadError, read_document
from jianghua.read_doc import CUT_REASON, LOCKED_REASON, OLD_REASON, read_doc

FIXTURES = Path(__file__).parent / "fixtures" / "read"


def _load_source():
    spec = importlib.util.spec_from_file_location("make_doc", FIXTURES / "make_doc_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SRC = _load_source()
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
    start = lines.index("领域\t责任单位\t完成时限")
    assert lines[start : start + 5] == [
        "领域\t责任单位\t完成时限",
        "道路交通\t县公安局\t６月底",
        "危险化学品\t县安监局\t９月底",
        "县住建局 县交通局\t１２月底",  # an empty cell dropped; a cell's paragraphs joined
        SRC.CLOSING,
    ]


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
    (
        "rtf.doc",
        b"{\\rtf1\\ansi hello}",
        "RTF file under a Word name: open it and save it as .docx",
    ),
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
    folder = tmp_path / "corpus"
    folder.mkdir()
    files = {
        "speech.doc": SPEECH,
        "locked.doc": (FIXTURES / "locked.doc").read_bytes(),
        "budget.doc": (FIXTURES / "workbook.xls").read_bytes(),
        "cut.doc": SPEECH[:5000],
        "old.doc": _patched(tmp_path, SPEECH, "WordDocument", 2, struct.pack("<H", 104)),
        "blank.doc": (FIXTURES / "blank.doc").read_bytes(),
        "english.doc": (FIXTURES / "english.doc").read_bytes(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
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
    rng = random.Random(0)
    outcomes = Counter()
    for _ in range(300):
        data = bytearray(SPEECH)
        for _ in range(rng.choice([1, 8, 40])):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:  # any other exception (struct.error, IndexError...) fails the test
            read_doc(bytes(data))
            outcomes["read"] += 1
        except ReadError as err:
            outcomes[str(err)] += 1
    # damage in the text reads; damage in the tables gives one of several reasons
    assert outcomes["read"] > 100 and len(outcomes) > 5
