"""Reading OpenDocument text (.odt): LibreOffice's files, markup written here, bad files."""

import io
import zipfile
from pathlib import Path

import pytest
from conftest import damaged_copies, load_script, read_error, read_outcomes, write_files
from jianghua import load_corpus
from jianghua.read import document_from_bytes, read_document
from jianghua.read_odt import LOCKED_REASON, read_odt

FIXTURES = Path(__file__).parent / "fixtures" / "read"
SRC = load_script(FIXTURES / "make_doc_fixtures.py")
SPEECH = (FIXTURES / "speech.odt").read_bytes()
CONTENT = (
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<office:body><office:text>{}</office:text></office:body></office:document-content>"
)


def _odt(body: str, mimetype=b"application/vnd.oasis.opendocument.text", **members) -> bytes:
    """Return an .odt package, its mimetype first and stored as ODF asks, of body markup."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", mimetype)
        archive.writestr("content.xml", CONTENT.format(body), zipfile.ZIP_DEFLATED)
        for name, data in members.items():
            archive.writestr(name.replace("__", "/"), data)
    return out.getvalue()


def _reason(data: bytes, suffix=".odt") -> str:
    return read_error(data, suffix)


def test_libreoffice_odt_gives_the_speech_line_by_line():
    doc = read_document(FIXTURES / "speech.odt")
    assert (doc.format, doc.encoding) == ("odt", "utf-8")
    assert doc.text.split("\n") == SRC.BODY_LINES  # the same lines as the .doc and .rtf
    assert doc.notes == ["1 footnote not read"]
    assert SRC.FOOTNOTE not in doc.text and SRC.LINK_URL not in doc.text
    assert "县住建局 县交通局\t１２月底" in doc.text.split("\n")  # a cell's paragraphs joined


def test_notes_are_counted_not_read_and_a_text_box_is_read():
    doc = read_document(FIXTURES / "notes.odt")
    assert doc.notes == ["1 footnote and 2 endnotes not read"]
    # like the .docx reader (not the .doc one), a text box's lines come before its paragraph
    assert doc.text.split("\n") == ["正文甲乙", "文本框内容", "正文丙"]


@pytest.mark.parametrize(
    ("body", "lines"),
    [
        ('<text:p>甲<text:s text:c="3"/>乙<text:s/>丙</text:p>', ["甲   乙 丙"]),
        ("<text:p>甲<text:tab/>乙<text:line-break/>丙</text:p>", ["甲\t乙", "丙"]),
        ('<text:h text:outline-level="1"><text:span>标题</text:span></text:h>', ["标题"]),
        (
            "<text:list><text:list-item><text:p>一项</text:p><text:list><text:list-item>"
            "<text:p>子项</text:p></text:list-item></text:list></text:list-item></text:list>",
            ["一项", "子项"],
        ),
        (  # a tracked deletion is kept out of the body in its own region
            "<text:tracked-changes><text:changed-region><text:deletion><text:p>删去的</text:p>"
            "</text:deletion></text:changed-region></text:tracked-changes><text:p>保留的</text:p>",
            ["保留的"],
        ),
        (
            "<text:p>正文<office:annotation><dc:creator>张</dc:creator><text:p>批注</text:p>"
            "</office:annotation>继续</text:p>",
            ["正文继续"],
        ),
        (
            "<table:table><table:table-header-rows><table:table-row><table:table-cell>"
            "<text:p>甲</text:p></table:table-cell><table:covered-table-cell/>"
            "<table:table-cell><text:p>乙</text:p></table:table-cell></table:table-row>"
            "</table:table-header-rows><table:table-row><table:table-cell><text:p>丙</text:p>"
            "</table:table-cell><table:table-cell/><table:table-cell><text:p>丁</text:p>"
            "</table:table-cell></table:table-row></table:table>",
            ["甲\t乙", "丙\t丁"],
        ),
        ('<text:section text:name="s"><text:p>节中</text:p></text:section>', ["节中"]),
    ],
)
def test_odt_markup(body, lines):
    assert read_odt(_odt(body))[0].split("\n") == lines


def test_odt_named_docx_and_docx_named_odt_are_read_by_their_bytes():
    doc = document_from_bytes(SPEECH, ".docx")
    assert doc.format == "odt"
    assert doc.notes[0] == "the .docx file is an OpenDocument text (.odt) file: read as one"
    assert doc.text.split("\n") == SRC.BODY_LINES
    word = document_from_bytes((FIXTURES / "speech.docx").read_bytes(), ".odt")
    assert word.format == "docx" and word.notes == [
        "the .odt file is a Word .docx file: read as one"
    ]
    # an .odt whose mimetype is not stored first is still told apart by its members
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content.xml", CONTENT.format("<text:p>同志们，大家好。</text:p>"))
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text")
    assert document_from_bytes(out.getvalue(), ".docx").format == "odt"


def test_bad_odt_files_give_reasons():
    assert _reason((FIXTURES / "locked.odt").read_bytes()) == LOCKED_REASON
    assert _reason(SPEECH[:3000]) == "corrupt .odt: the zip archive is truncated or damaged"
    assert _reason(b"") == "empty file"
    assert _reason(b"not a zip at all") == "corrupt .odt: not a zip archive"
    assert _reason(_odt("<text:p/><text:p> </text:p>")) == (
        "empty OpenDocument file: no text in the document body"
    )
    sheet = _odt("", mimetype=b"application/vnd.oasis.opendocument.spreadsheet")
    assert _reason(sheet) == "not a text document: an OpenDocument spreadsheet (.ods)"
    broken = _odt("<text:p>断开").replace(b"</office:text>", b"")
    assert _reason(broken).startswith("corrupt .odt: broken XML inside")


def test_damaged_bytes_give_a_reason_never_a_crash():
    outcomes = read_outcomes(read_odt, damaged_copies(SPEECH, seed=0, n=200))
    assert outcomes["read"] > 0 and len(outcomes) > 1


def test_odt_and_rtf_in_the_corpus_and_in_a_zip(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("讲话.odt", SPEECH)
        archive.writestr("通知.rtf", (FIXTURES / "gbk.rtf").read_bytes())
    files = {
        "speech.odt": SPEECH,
        "saved_as.docx": SPEECH,
        "locked.odt": (FIXTURES / "locked.odt").read_bytes(),
        "received.zip": inner.getvalue(),
    }
    folder = write_files(tmp_path / "corpus", files)
    corpus = load_corpus(folder, cache=False)
    speeches = corpus.speeches.set_index("source")
    assert sorted(speeches.index) == [
        "received.zip/讲话.odt",
        "received.zip/通知.rtf",
        "saved_as.docx",
        "speech.odt",
    ]
    assert speeches.loc["received.zip/讲话.odt", "title"] == SRC.TITLE
    assert "现就有关事项通知如下" in speeches.loc["received.zip/通知.rtf", "text"]
    errors = corpus.problems[corpus.problems.severity == "error"]
    assert list(zip(errors.source, errors.message, strict=True)) == [("locked.odt", LOCKED_REASON)]
