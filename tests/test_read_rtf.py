"""Reading RTF files: LibreOffice's (\\uN escapes), Word-style GBK (\\'hh pairs), bad ones."""

import re
from pathlib import Path

import pytest
from conftest import damaged_copies, load_script, read_error, read_outcomes, write_files
from jianghua import load_corpus
from jianghua.read import ReadError, document_from_bytes, read_document
from jianghua.read_rtf import read_rtf

FIXTURES = Path(__file__).parent / "fixtures" / "read"
SRC = load_script(FIXTURES / "make_doc_fixtures.py")
GBK = load_script(FIXTURES / "make_rtf_fixtures.py")
SPEECH = (FIXTURES / "speech.rtf").read_bytes()
HEAD = rb"{\rtf1\ansi\ansicpg936\deff0{\fonttbl{\f0\fnil\fcharset134 SimSun;}}\f0 "


def _text(body: bytes) -> str:
    """Return the text read from an RTF document of HEAD and body."""
    return read_rtf(HEAD + body + b"}")[0]


def _reason(data: bytes, suffix=".rtf") -> str:
    return read_error(data, suffix)


def test_libreoffice_rtf_gives_the_speech_line_by_line():
    doc = read_document(FIXTURES / "speech.rtf")
    assert doc.format == "rtf"
    assert doc.text.split("\n") == SRC.BODY_LINES  # the same lines as the .doc and .docx
    assert doc.notes == ["1 footnote not read"]
    assert SRC.FOOTNOTE not in doc.text and "HYPERLINK" not in doc.text
    assert SRC.PARA_2_BEFORE + SRC.LINK_TEXT + SRC.PARA_2_AFTER in doc.text.split("\n")
    assert b"\\u22312\\'3f" in SPEECH  # 在, as \uN with a one-byte fallback


def test_libreoffice_rtf_table_rows_one_per_line():
    lines = read_document(FIXTURES / "speech.rtf").text.split("\n")
    start = lines.index(SRC.TABLE_LINES[0])
    assert lines[start : start + 4] == SRC.TABLE_LINES


def test_word_style_gbk_rtf_decodes_byte_pairs():
    data = (FIXTURES / "gbk.rtf").read_bytes()
    assert b"\\'b9\\'d8\\'d3\\'da" in data  # 关于 as GBK pairs only, no \uN
    assert re.search(rb"\\u-?[0-9]", data) is None
    doc = read_document(FIXTURES / "gbk.rtf")
    assert doc.text.split("\n") == GBK.GBK_LINES
    assert doc.notes == []


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (rb"\'d6\'d0\'ce\'c4\par \'b5\'da\'b6\'fe\par", "中文\n第二"),  # GBK pairs
        (rb"\uc1\u20013?\u25991?\par", "中文"),  # \uN with a one-character fallback
        (rb"\uc1\u-30005?\u-20000?", "請뇠"),  # N above 32767 is written negative
        (rb"\uc2\u20013\'d6\'d0\u25991\'ce\'c4", "中文"),  # \uc2: both GBK bytes skipped
        (rb"\uc0\u20013\'ce\'c4", "中文"),  # \uc0: no fallback; the pair is text
        (rb"{\uc2\u20013\'d6\'d0}\u25991?", "中文"),  # \uc ends with its group
        (rb"\uc1\u-10174?\u-8289?", "\U00020b9f"),  # a surrogate pair: 𠮟
        (rb"a\tab b\line c", "a\tb\nc"),
        (rb"\ldblquote x\rdblquote\~y\{z\}", "\u201cx\u201d\xa0y{z}"),
        (rb"{\*\unknownword hidden}{\info{\title T}}shown", "shown"),
        (rb'{\field{\*\fldinst HYPERLINK "http://a.cn"}{\fldrslt link}}', "link"),
        (rb"{\pict\bin4 }}}}}\'d6\'d0", "中"),  # \bin data is skipped byte for byte
        (rb"{\header \'d2\'b3\'c3\'bc\par}\'d5\'fd\'ce\'c4", "正文"),  # header not read
        (rb"{\upr{\'d6\'d0}{\*\ud{\uc1\u20013?}}}", "中"),  # the Unicode copy, once
        (rb"{\listtext\pard\plain \'d2\'bb\'a1\'a2\tab}\'d7\'dc\par", "一、总"),
        (rb"{\listtext\pard\plain \f0\'b7\tab}item\par", "item"),  # a bullet: no number
    ],
)
def test_rtf_escapes(body, text):
    assert _text(body) == text


def test_fcharset0_font_uses_the_document_code_page():
    # WPS and older Chinese tools set \ansicpg936 and write GBK in fonts of charset 0
    data = rb"{\rtf1\ansi\ansicpg936{\fonttbl{\f0\fcharset0 Arial;}}\f0 \'d6\'d0\par}"
    assert read_rtf(data)[0] == "中"
    english = rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0\fcharset0 Arial;}}\f0 caf\'e9\par}"
    assert read_rtf(english)[0] == "café"


def test_rtf_table_with_paragraphs_in_a_cell():
    row = rb"\trowd\cellx1\cellx2\pard\intbl \'d6\'d0\par x\cell \'ce\'c4|\cell\row"
    assert _text(row + rb"\pard after\par").split("\n") == ["中 x\t文|", "after"]


def test_damaged_gbk_byte_is_replaced_with_a_note():
    text, notes = read_rtf(HEAD + rb"\'d6\'d0\'ce\par}")
    assert text == "中\ufffd"
    assert notes == [
        "1 character of the RTF text did not decode in the font's code page: replaced with U+FFFD"
    ]


def test_doc_that_is_really_rtf_is_read_as_rtf():
    doc = document_from_bytes(SPEECH, ".doc")
    assert doc.format == "rtf"
    assert doc.notes[0] == "the .doc file is an RTF file: read as one"
    assert doc.text.split("\n") == SRC.BODY_LINES


def test_rtf_named_other_things_and_other_things_named_rtf():
    assert document_from_bytes(SPEECH, ".docx").format == "rtf"
    word = document_from_bytes((FIXTURES / "speech.doc").read_bytes(), ".rtf")
    assert word.format == "doc" and word.notes[0].startswith("the .rtf file is a Word 97-2003")
    text = document_from_bytes("同志们：今天开会。".encode("gbk"), ".rtf")
    assert (text.format, text.text) == ("txt", "同志们：今天开会。")


def test_bad_rtf_files_give_reasons():
    assert _reason(SPEECH[:6000]) == "corrupt RTF file: cut short (1 group not closed)"
    assert _reason((FIXTURES / "blank.rtf").read_bytes()) == (
        "empty RTF file: no text in the document body"
    )
    assert _reason(b"{\\rtf1\\ansi Hello\\par}") == "no Chinese text"
    assert _reason(b"") == "empty file"
    with pytest.raises(ReadError, match="not an RTF file"):
        read_rtf(b"\x00\x01binary")


def test_damaged_bytes_give_a_reason_never_a_crash():
    outcomes = read_outcomes(read_rtf, damaged_copies(SPEECH, seed=0, n=200))
    assert outcomes["read"] > 0


def test_a_long_rtf_is_read_whole():
    body = SPEECH.index(b"\\pard"), SPEECH.rindex(b"}")
    long = SPEECH[: body[0]] + SPEECH[body[0] : body[1]] * 50 + b"}"  # 600 KB, 700 lines
    text, _ = read_rtf(long)
    assert text.count(SRC.CLOSING) == 50


def test_rtf_speeches_and_bad_files_in_the_corpus(tmp_path):
    files = {
        "speech.rtf": SPEECH,
        "gbk.rtf": (FIXTURES / "gbk.rtf").read_bytes(),
        "saved_as.doc": SPEECH,
        "cut.rtf": SPEECH[:6000],
        "blank.rtf": (FIXTURES / "blank.rtf").read_bytes(),
    }
    folder = write_files(tmp_path / "corpus", files)
    corpus = load_corpus(folder, cache=False)
    speeches = corpus.speeches.set_index("source")
    assert sorted(speeches.index) == ["gbk.rtf", "saved_as.doc", "speech.rtf"]
    assert speeches.loc["speech.rtf", "title"] == SRC.TITLE
    assert SRC.CLOSING in speeches.loc["speech.rtf", "text"]
    assert "各乡镇人民政府" in speeches.loc["gbk.rtf", "text"]
    problems = corpus.problems.sort_values(["source", "message"])
    assert list(zip(problems.source, problems.severity, problems.message, strict=True)) == [
        ("blank.rtf", "error", "empty RTF file: no text in the document body"),
        ("cut.rtf", "error", "corrupt RTF file: cut short (1 group not closed)"),
        ("saved_as.doc", "warning", "1 footnote not read"),
        ("saved_as.doc", "warning", "the .doc file is an RTF file: read as one"),
        ("speech.rtf", "warning", "1 footnote not read"),
    ]
