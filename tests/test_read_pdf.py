"""Reading PDF files: real PDFs written during the test with fpdf2 and a Chinese font."""

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from jianghua import load_corpus
from jianghua.read import ReadError, read_document

fpdf = pytest.importorskip("fpdf")

TITLE = "在全区作风建设大会上的讲话"
SPEAKER = "区委书记\u3000张三"
DATE = "（2019年3月15日）"
BODY = [
    "同志们：",
    "一、充分肯定成绩",
    "今天，我们召开全区作风建设大会，主要任务是深入贯彻落实党的二十大精神，总结去年作风建设"
    "工作，部署今年任务。刚才，几位同志作了很好的发言，讲得都很实在，我都同意。",
    "过去一年，全区上下认真落实中央八项规定精神，持续纠治“四风”，干部作风明显好转，群众满意度"
    "稳步提升。全年共查处违反中央八项规定精神问题37起，处理党员干部52人，形成了有力震慑。"
    "各级领导干部带头转变作风，深入基层调查研究，为群众办实事、解难题，赢得了群众的信任。",
    "二、清醒认识问题",
    "作风建设永远在路上，永远没有休止符。我们必须清醒看到，一些地方和部门形式主义、官僚主义"
    "问题仍然突出，有的干部担当精神不足，遇到矛盾绕着走，有的干部服务意识不强，门难进、脸难看、"
    "事难办的现象还时有发生，这些问题群众反映强烈，必须下大力气解决，决不能掉以轻心。",
    "同志们，作风建设关系人心向背，关系事业成败。让我们以更加务实的作风，奋力开创新局面！",
]
PAGE = (420, 595)  # A5 in points: a short speech fills two pages
MARGIN, SIZE, LEAD = 56, 14, 24


def _font() -> Path:
    """Return the Noto Sans CJK SC font that mplfonts ships."""
    import mplfonts

    return Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"


class _Speech(fpdf.FPDF):
    """An A5 document with Word's "- 1 -" page footers."""

    def footer(self):
        self.set_font("cjk", size=9)
        label = f"- {self.page_no()} -"
        self.text((PAGE[0] - self.get_string_width(label)) / 2, PAGE[1] - 30, label)


def _wrap(pdf, text: str, indent: float) -> list[str]:
    """Return text broken into lines that fit the page width, the first one indented."""
    lines, line, room = [], "", PAGE[0] - 2 * MARGIN - indent
    for ch in text:
        if pdf.get_string_width(line + ch) > room:
            lines.append(line)
            line, room = "", PAGE[0] - 2 * MARGIN
        line += ch
    return [*lines, line]


def _speech_pdf(path: Path, body=BODY, repeat: int = 1, spacing: float = 0) -> list[int]:
    """Write a speech as Word lays it out; return (first page, last page) of each paragraph."""
    pdf = _Speech(format=PAGE, unit="pt")
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", fname=str(_font()))
    pdf.add_page()
    y, spans = MARGIN + SIZE, []
    for kind, text in [("title", TITLE), ("centre", SPEAKER), ("centre", DATE)]:
        pdf.set_font("cjk", size=SIZE + 4 if kind == "title" else SIZE)
        pdf.text((PAGE[0] - pdf.get_string_width(text)) / 2, y, text)
        y += LEAD + (8 if kind == "title" else 0)
    pdf.set_font("cjk", size=SIZE)
    pdf.set_char_spacing(spacing)
    for paragraph in body * repeat:
        indent = 0 if paragraph == "同志们：" else 2 * SIZE  # Word's 首行缩进 2 字符
        first = pdf.page_no()
        for n, line in enumerate(_wrap(pdf, paragraph, indent)):
            if y > PAGE[1] - MARGIN:
                pdf.add_page()
                pdf.set_font("cjk", size=SIZE)
                y = MARGIN + SIZE
            pdf.text(MARGIN + (indent if n == 0 else 0), y, line)
            y += LEAD
        spans.append((first, pdf.page_no()))
    pdf.output(str(path))
    return spans


def _corpus(tmp_path, files: dict):
    """Return load_corpus of a folder holding the given {name: bytes} files."""
    folder = tmp_path / "corpus"
    folder.mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return load_corpus(folder, cache=False)


@pytest.fixture(scope="module")
def speech_pdf(tmp_path_factory) -> bytes:
    """The bytes of a two-page speech whose fourth paragraph runs across the page break."""
    path = tmp_path_factory.mktemp("pdf") / "speech.pdf"
    spans = _speech_pdf(path)
    assert spans[-1] == (2, 2) and (1, 2) in spans, spans  # a paragraph runs onto page 2
    return path.read_bytes()


def test_pdf_is_read_line_by_line_with_pages_apart(tmp_path, speech_pdf):
    path = tmp_path / "speech.pdf"
    path.write_bytes(speech_pdf)
    doc = read_document(path)
    assert (doc.format, doc.encoding, doc.notes) == ("pdf", "utf-8", [])
    pages = doc.text.split("\f")
    assert len(pages) == 2
    lines = pages[0].split("\n")
    # centred lines sit right of the left edge: they are marked like an indent
    assert [line.strip("\u3000") for line in lines[:3]] == [TITLE, SPEAKER, DATE]
    assert lines[3] == "同志们："
    assert lines[4] == "\u3000\u3000一、充分肯定成绩"
    assert lines[5].startswith("\u3000\u3000今天，我们召开") and len(lines[5]) < len(BODY[2])
    assert pages[0].endswith("- 1 -") and pages[1].endswith("- 2 -")
    # every character is there, in order, and nothing else
    text = re.sub(r"\s|- \d -", "", doc.text)
    assert text == re.sub(r"\s", "", TITLE + SPEAKER + DATE + "".join(BODY))


def test_pdf_speech_in_the_corpus(tmp_path, speech_pdf):
    corpus = _corpus(tmp_path, {"speech.pdf": speech_pdf})
    (row,) = corpus.speeches.itertuples()
    assert (row.title, row.speaker, row.role) == (TITLE, "张三", "区委书记")
    assert row.date == pd.Timestamp("2019-03-15")
    # wrapped lines and the page break are joined: one paragraph per line, footers gone
    assert row.text == "\n".join(BODY)
    assert not re.search(r"[\u4e00-\u9fff，。] +[\u4e00-\u9fff，。]", row.text)
    removed = corpus.removed[corpus.removed.source == "speech.pdf"]
    assert sorted(removed[removed.kind == "page number"].text) == ["- 1 -", "- 2 -"]
    assert corpus.problems.empty


def test_spaced_out_characters_get_no_spaces(tmp_path):
    # text set with character spacing (Tc), as justified lines and some exporters have it
    path = tmp_path / "spaced.pdf"
    _speech_pdf(path, spacing=2)
    doc = read_document(path)
    assert " " not in doc.text.replace("- 1 -", "").replace("- 2 -", "")
    (row,) = _corpus(tmp_path, {"spaced.pdf": path.read_bytes()}).speeches.itertuples()
    assert row.text == "\n".join(BODY)


def test_page_without_text_gets_a_note(tmp_path, speech_pdf):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(speech_pdf)))
    writer.add_blank_page()
    path = tmp_path / "three.pdf"
    writer.write(path)
    doc = read_document(path)
    assert doc.notes == ["page 3 has no text (a blank or scanned page): not read"]


def test_pdf_of_blank_pages(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(420, 595)
    path = tmp_path / "blank.pdf"
    writer.write(path)
    with pytest.raises(ReadError, match="^empty PDF: no text on any page$"):
        read_document(path)


# ---------------------------------------------------------------- bad PDFs


def _encrypted(tmp_path, user_password: str) -> bytes:
    """Return a speech PDF encrypted with AES-128 and the given user password."""
    from pypdf import PdfReader, PdfWriter

    source = tmp_path / "plain.pdf"
    _speech_pdf(source)
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    path = tmp_path / "locked.pdf"
    writer.write(path)
    return path.read_bytes()


def _scan(tmp_path) -> bytes:
    """Return a PDF whose only page is an image of a page (a scan)."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (420, 595), 255)
    ImageDraw.Draw(image).rectangle((50, 50, 370, 400), fill=0)
    pdf = fpdf.FPDF(format=PAGE, unit="pt")
    pdf.add_page()
    pdf.image(image, x=0, y=0, w=PAGE[0])
    return bytes(pdf.output())


def _without_tounicode(data: bytes) -> bytes:
    """Return the PDF with the ToUnicode maps of its fonts removed."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        for font in page["/Resources"]["/Font"].values():
            font.get_object().pop(NameObject("/ToUnicode"), None)
    out = io.BytesIO(b"")
    writer.write(out)
    return out.getvalue()


def test_bad_pdfs_are_problems_with_reasons(tmp_path, speech_pdf):
    files = {
        "locked.pdf": _encrypted(tmp_path, "secret"),
        "scan.pdf": _scan(tmp_path),
        "cut.pdf": speech_pdf[: len(speech_pdf) // 2],
        "garbled.pdf": _without_tounicode(speech_pdf),
        "header.pdf": b"%PDF-1.7\n" + b"\x00garbage" * 50 + b"\n%%EOF\n",
        "good.pdf": speech_pdf,
    }
    corpus = _corpus(tmp_path, files)
    assert corpus.speeches.source.tolist() == ["good.pdf"]
    problems = corpus.problems.set_index("source")
    assert (problems.severity == "error").all()
    assert problems.message.to_dict() == {
        "cut.pdf": "corrupt PDF: the file is cut short (no end-of-file marker)",
        "garbled.pdf": (
            "PDF text is garbled: its fonts do not say which characters their glyphs are"
            " (no ToUnicode map); OCR it first"
        ),
        "header.pdf": problems.message["header.pdf"],
        "locked.pdf": "encrypted PDF: it needs a password to open; save a copy without it",
        "scan.pdf": "PDF has no text layer (a scan?): OCR it first",
    }
    assert problems.message["header.pdf"].startswith("corrupt PDF: ")


def test_pdf_encrypted_with_an_empty_password_is_read(tmp_path):
    path = tmp_path / "protected.pdf"
    path.write_bytes(_encrypted(tmp_path, ""))  # "copying not allowed": opens without asking
    doc = read_document(path)
    assert doc.text.split("\n")[3] == "同志们："


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (
            f"<!DOCTYPE html><html><head><title>{TITLE}</title></head><body>"
            f"<h1>{TITLE}</h1><p>{BODY[0]}</p><p>{BODY[2]}</p><p>{BODY[3]}</p></body></html>",
            "html",
        ),
        ("\n".join([TITLE, *BODY]), "txt"),
    ],
    ids=["html", "text"],
)
def test_pdf_that_is_a_web_page_or_text_is_read_by_content(tmp_path, data, fmt):
    path = tmp_path / "speech.pdf"
    path.write_bytes(data.encode("utf-8"))
    doc = read_document(path)
    assert doc.format == fmt
    assert BODY[2] in doc.text
    name = "a web page" if fmt == "html" else "plain text"
    assert doc.notes[0] == f"the .pdf file is {name}: read as one"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "corrupt PDF: no %PDF header"),
        (bytes(range(256)) * 8, "corrupt PDF: no %PDF header"),
        (b"%PDF-1.4\n", "corrupt PDF: the file is cut short (no end-of-file marker)"),
    ],
    ids=["empty", "binary", "header-only"],
)
def test_not_a_pdf(tmp_path, data, reason):
    path = tmp_path / "speech.pdf"
    path.write_bytes(data)
    with pytest.raises(ReadError) as err:
        read_document(path)
    assert str(err.value) == reason
