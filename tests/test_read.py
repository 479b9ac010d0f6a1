"""Reading files of every kind: encodings, web pages, Word files, and bad input."""

import os
import random
import time
import zipfile
from pathlib import Path

import pytest
from conftest import load_script
from jianghua import config
from jianghua.read import ReadError, list_files, read_document, source_name

FIXTURES = config.TESTS_DIR / "fixtures" / "read"
SEED_NAMES = [
    "000_08fcc9c379b76566.txt",
    "001_3847ef4609f19094.txt",
    "002_2b1bf25027684282.txt",
    "003_a5a9ba5a6d09eae4.txt",
    "004_50195de51b0d9e2d.txt",
]


SRC = load_script(FIXTURES / "make_fixtures.py")


def _read_error(path) -> str:
    with pytest.raises(ReadError) as info:
        read_document(path)
    return str(info.value)


# ---------------------------------------------------------------- seed corpus


def test_seed_files_read_as_utf8():
    docs = {name: read_document(config.CORPUS_DIR / name) for name in SEED_NAMES}
    assert {d.encoding for d in docs.values()} == {"utf-8"}
    assert {d.format for d in docs.values()} == {"txt"}
    assert [len(d.text) for d in docs.values()] == [4660, 3029, 10817, 31567, 7041]
    assert docs["003_a5a9ba5a6d09eae4.txt"].text.startswith("第一篇:在全市机关干部大会上的讲话\n")
    assert docs["002_2b1bf25027684282.txt"].text.count("\xa0") == 17  # reading changes nothing


def test_list_files_on_seed_corpus():
    files, problems = list_files(config.CORPUS_DIR)
    assert [source_name(f, config.CORPUS_DIR) for f in files] == SEED_NAMES
    assert problems == []


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("name", "encoding", "lines", "sep"),
    [
        ("gbk.txt", "gb18030", SRC.SPEECH_002, "\n"),
        ("utf16le_bom.txt", "utf-16-le", SRC.SPEECH_000, "\n"),
        ("utf16be_bom.txt", "utf-16-be", SRC.SPEECH_000, "\n"),
        ("utf8_bom_crlf.txt", "utf-8-sig", SRC.SPEECH_004, "\r\n"),
        ("cr_only.txt", "utf-8", SRC.SPEECH_003, "\r"),
    ],
)
def test_encodings_decode_to_the_seed_paragraphs(name, encoding, lines, sep):
    doc = read_document(FIXTURES / name)
    assert doc.encoding == encoding
    assert doc.format == "txt"
    assert doc.text == sep.join(lines)
    assert not doc.text.startswith("\ufeff")


def test_gb18030_four_byte_character():
    data = (FIXTURES / "gb18030.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("gbk")  # the fixture really needs GB18030, not just GBK
    doc = read_document(FIXTURES / "gb18030.txt")
    assert doc.encoding == "gb18030"
    lines = doc.text.split("\n")
    assert lines[:3] == SRC.SPEECH_001
    assert lines[3] == "(录入:张𠮷林)"


def test_big5_traditional():
    doc = read_document(FIXTURES / "big5_traditional.txt")
    assert doc.encoding == "big5"
    lines = doc.text.split("\n")
    assert lines[0] == "在全區三級幹部大會上的講話"
    assert lines[2] == "同志們:"
    assert len(lines) == len(SRC.SPEECH_002)


def test_bomless_utf16_is_read(tmp_path):
    path = tmp_path / "nobom.txt"
    path.write_bytes("\n".join(SRC.SPEECH_001).encode("utf-16-le"))
    doc = read_document(path)
    assert (doc.encoding, doc.text.split("\n")) == ("utf-16-le", SRC.SPEECH_001)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_bomless_utf16_with_nuls_on_both_sides(tmp_path, encoding):
    # 一 (U+4E00), 上 (U+4E0A) and the like put NUL bytes where ASCII does not
    lines = [
        *SRC.SPEECH_002[:3],
        "一要开门纳谏，二要言必信、行必果，三要最大限度开发潜力，做到需求一口清、销号一本账。",
        "一以贯之，一抓到底，一步不退，一心一意开创新局面。",
        "2015年3月30日",
    ]
    data = "\n".join(lines).encode(encoding)
    nuls = data[0::2].count(0), data[1::2].count(0)
    assert min(nuls) * 2 >= max(nuls)  # the old one-sided NUL test could not tell
    path = tmp_path / "nobom.txt"
    path.write_bytes(data)
    doc = read_document(path)
    assert (doc.encoding, doc.text.split("\n")) == (encoding, lines)


def test_nul_padded_binary_is_not_read_as_utf16(tmp_path):
    path = tmp_path / "padded.txt"
    path.write_bytes("同志们今天".encode("utf-16-le") + bytes(400))
    assert _read_error(path) == "binary file, not text"


def test_short_gbk_file(tmp_path):
    path = tmp_path / "short.txt"
    path.write_bytes("同志们:".encode("gbk"))
    assert read_document(path).text == "同志们:"


def test_same_speech_twice_under_two_names(tmp_path):
    text = (config.CORPUS_DIR / SEED_NAMES[1]).read_bytes()
    (tmp_path / "a.txt").write_bytes(text)
    (tmp_path / "b_copy.txt").write_bytes(text)
    files, problems = list_files(tmp_path)
    assert [f.name for f in files] == ["a.txt", "b_copy.txt"] and problems == []
    texts = [read_document(f).text for f in files]
    assert texts[0] == texts[1] and len(texts[0]) == 3029


@pytest.mark.parametrize(
    ("original", "wrong"), [("gbk", "latin-1"), ("gbk", "cp1252"), ("utf-8", "latin-1")]
)
def test_text_decoded_as_latin1_and_saved_again_is_repaired(tmp_path, original, wrong):
    text = "\n".join(SRC.SPEECH_001[:4])
    path = tmp_path / "speech.txt"
    path.write_bytes(text.encode(original).decode(wrong).encode("utf-8"))
    doc = read_document(path)
    assert doc.text == text
    assert doc.notes == ["mojibake repaired: text had been decoded as Latin-1"]


def test_utf8_decoded_as_gbk_and_saved_again_is_repaired(tmp_path):
    text = "\n".join(SRC.SPEECH_001[:4])
    garbled = text.encode("utf-8").decode("gbk", errors="replace")
    assert "浠" in garbled and "\ufffd" in garbled
    path = tmp_path / "speech.txt"
    path.write_text(garbled, encoding="utf-8")
    doc = read_document(path)
    assert "主动适应新常\ufffd,狠抓政府各项工作落实," in doc.text
    assert "浠" not in doc.text and len(doc.text) == len(text)
    assert doc.notes == [
        "mojibake repaired: text had been decoded as GBK; 23 characters lost (U+FFFD)"
    ]


def test_western_utf8_text_is_not_taken_for_mojibake(tmp_path):
    path = tmp_path / "speech.txt"
    path.write_text("Le président a prononcé un discours à la réunion. Élevé.", encoding="utf-8")
    assert _read_error(path) == "no Chinese text"


def test_kunjinkao_marks_characters_lost_before_saving(tmp_path):
    text = SRC.SPEECH_001[1].replace("县域经济", "锟斤拷锟斤拷")
    path = tmp_path / "speech.txt"
    path.write_text(text, encoding="utf-8")
    doc = read_document(path)
    assert doc.text == text
    assert doc.notes == [
        "the text contains 锟斤拷 2 times: characters were lost (replaced by U+FFFD) "
        "before the file was saved; the text is kept as it is"
    ]


@pytest.mark.parametrize("first", ["gbk", "utf-8"])
def test_file_pasted_together_from_gbk_and_utf8(tmp_path, first):
    second = "utf-8" if first == "gbk" else "gbk"
    lines = SRC.SPEECH_002[:6]
    path = tmp_path / "speech.txt"
    path.write_bytes(
        "\n".join(lines[:2]).encode(first) + b"\n" + "\n".join(lines[2:]).encode(second)
    )
    doc = read_document(path)
    assert doc.text.split("\n") == lines
    utf8 = 2 if first == "utf-8" else 4
    assert doc.notes == [f"mixed encodings: {utf8} lines UTF-8, {6 - utf8} lines GB18030"]


def test_gbk_file_is_not_taken_for_mixed(tmp_path):
    path = tmp_path / "speech.txt"
    path.write_bytes("\n".join(SRC.SPEECH_002).encode("gbk"))
    doc = read_document(path)
    assert (doc.encoding, doc.notes) == ("gb18030", [])


# ---------------------------------------------------------------- web pages


def test_html_page_keeps_speech_and_drops_navigation():
    doc = read_document(FIXTURES / "page_nav.html")
    assert (doc.encoding, doc.format) == ("utf-8", "html")
    lines = doc.text.split("\n")
    assert lines[0] == "在全区三级干部大会上的讲话"
    assert lines[1] == "发布时间: 2015-03-30 来源:区委办公室 浏览次数: 1024"
    assert lines[2:] == SRC.SPEECH_002[1:]
    for clutter in [
        "网站首页",
        "您所在的位置",
        "渝水要闻",
        "分享到",
        "微博",
        "打印本页",
        "相关链接",
        "区政府召开常务会议",
        "版权所有",
        "ICP",
        "_hmt",
        "float",
    ]:
        assert clutter not in doc.text


def test_gbk_html_page_with_meta_charset():
    raw = (FIXTURES / "page_gbk.html").read_bytes()
    assert b"charset=gbk" in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    doc = read_document(FIXTURES / "page_gbk.html")
    assert doc.encoding == "gb18030"
    lines = doc.text.split("\n")
    assert lines[0] == SRC.SPEECH_000[0]
    assert lines[2:] == ["张永霞", *SRC.SPEECH_000[1:]]


def test_html_that_lies_about_its_charset(tmp_path):
    page = (
        f'<html><head><meta charset="utf-8"></head><body><p>{SRC.SPEECH_001[1]}</p></body></html>'
    )
    path = tmp_path / "liar.html"
    path.write_bytes(page.encode("gbk"))
    doc = read_document(path)
    assert (doc.encoding, doc.text) == ("gb18030", SRC.SPEECH_001[1])


def test_html_fallback_when_trafilatura_finds_nothing(monkeypatch):
    import trafilatura

    monkeypatch.setattr(trafilatura, "bare_extraction", lambda *a, **k: None)
    lines = read_document(FIXTURES / "page_nav.html").text.split("\n")
    assert "发布时间: 2015-03-30 来源:区委办公室 浏览次数: 1024" in lines
    for line in SRC.SPEECH_002:
        assert line in lines
    assert not any("网站首页" in line or "ICP" in line for line in lines)


NAV_TABLE = (
    '<table width="980"><tr><td class="dh"><a href="/">首页</a> | <a href="#">领导讲话</a>'
    "</td></tr></table>"
)
FOOT_TABLE = '<table width="980"><tr><td align="center">版权所有：区委办公室</td></tr></table>'


def _layout_page(tmp_path, content: str) -> list[str]:
    page = (
        '<html><head><meta charset="gbk">'
        "<title>在全区三级干部大会上的讲话_领导讲话_某某区人民政府</title></head><body>"
        f'{NAV_TABLE}<table width="980"><tr><td width="200" valign="top"><table>'
        "<tr><td>栏目导航</td></tr><tr><td><a href='#'>领导讲话</a></td></tr>"
        "<tr><td><a href='#'>通知公告</a></td></tr></table></td>"
        f'<td valign="top">{content}</td></tr></table>{FOOT_TABLE}</body></html>'
    )
    path = tmp_path / "layout.html"
    path.write_bytes(page.encode("gbk"))
    return read_document(path).text.split("\n")


def test_layout_table_with_one_paragraph_per_cell(tmp_path):
    title, speaker, *body = SRC.SPEECH_002
    rows = "".join(f"<tr><td>&nbsp;&nbsp;{line}</td></tr>" for line in body)
    content = (
        f'<table width="100%"><tr><td align="center"><b>{title}</b></td></tr>'
        f'<tr><td align="center">{speaker}</td></tr>{rows}</table>'
    )
    lines = _layout_page(tmp_path, content)
    assert not any("|" in line for line in lines)
    start = lines.index(title)
    assert lines[start : start + len(SRC.SPEECH_002)] == SRC.SPEECH_002


def test_layout_table_cell_holding_paragraphs(tmp_path):
    title, speaker, *body = SRC.SPEECH_002
    content = (
        f'<table width="100%"><tr><td align="center"><h2>{title}</h2></td></tr>'
        '<tr><td align="center">发布时间：2019-03-18 点击数：356</td></tr></table>'
        f'<table width="100%"><tr><td id="zoom"><p align="center">{speaker}</p>'
        + "".join(f"<p>{line}</p>" for line in body)
        + "</td></tr></table>"
    )
    lines = _layout_page(tmp_path, content)
    assert lines[:2] == [title, "发布时间：2019-03-18 点击数：356"]
    assert lines[2 : 2 + len(body) + 1] == [speaker, *body]
    assert not any("|" in line for line in lines)


def test_data_table_in_a_page_keeps_its_rows(tmp_path):
    paragraphs = "".join(f"<p>{line}</p>" for line in SRC.SPEECH_002[2:])
    table = (
        "<table><tr><th>指标</th><th>增长</th></tr><tr><td>全市生产总值</td><td>13%</td></tr>"
        "<tr><td>规模以上工业利润</td><td>28.6%</td></tr></table>"
    )
    page = (
        f'<html><head><meta charset="utf-8"></head><body><div class="article">'
        f"<h1>{SRC.SPEECH_002[0]}</h1>{paragraphs}{table}{paragraphs}</div></body></html>"
    )
    path = tmp_path / "data.html"
    path.write_text(page, encoding="utf-8")
    lines = read_document(path).text.split("\n")
    at = lines.index("指标\t增长")
    assert lines[at - 1 : at + 3] == [
        SRC.SPEECH_002[-1],
        "指标\t增长",
        "全市生产总值\t13%",
        "规模以上工业利润\t28.6%",
    ]


def _page_without_h1(title: str) -> str:
    paragraphs = "".join(f"<p>{line}</p>" for line in SRC.SPEECH_002[2:])
    return (
        f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
        f'<div class="nav"><a href="/">首页</a></div><div class="article">{paragraphs}</div>'
        "</body></html>"
    )


@pytest.mark.parametrize(
    ("title", "headline"),
    [
        ("在全区三级干部大会上的讲话_领导讲话_某某区人民政府", "在全区三级干部大会上的讲话"),
        ("在全区三级干部大会上的讲话 - 某某区纪委监委", "在全区三级干部大会上的讲话"),
        ("在全区三级干部大会上的讲话 | 人民网", "在全区三级干部大会上的讲话"),
        # a subtitle dash and an unknown last part are the headline's own
        ("真抓实干——在全区三级干部大会上的讲话", "真抓实干——在全区三级干部大会上的讲话"),
        ("在全区三级干部大会上的讲话_徐文泊", "在全区三级干部大会上的讲话_徐文泊"),
    ],
)
def test_title_tag_headline_loses_the_site_name(tmp_path, title, headline):
    path = tmp_path / "page.html"
    path.write_text(_page_without_h1(title), encoding="utf-8")
    lines = read_document(path).text.split("\n")
    assert lines[0] == headline
    assert lines[1:] == SRC.SPEECH_002[2:]


def _mhtml(page: bytes, part_headers: str) -> bytes:
    head = (
        "From: <Saved by Blink>\r\nSubject: page\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/related;\r\n\ttype="text/html";\r\n\tboundary="--b--"\r\n\r\n'
        f"----b--\r\n{part_headers}\r\n\r\n"
    )
    return head.encode("ascii") + page + b"\r\n----b----\r\n"


PAGERS = [
    (
        '<div class="page"><span>共3页</span> <a href="#">上一页</a> <span class="current">2</span>'
        ' <a href="a_1.html">1</a> <a href="a_3.html">3</a> <a href="a_3.html">下一页</a></div>',
        "page 2 of 3",
    ),
    (
        '<p align="center">第1页　<a href="a_2.html">第2页</a>　<a href="a_2.html">下一页</a>'
        '　<a href="a_2.html">尾页</a></p>',
        "page 1 of 2",
    ),
]


@pytest.mark.parametrize(("pager", "which"), PAGERS)
def test_page_of_a_paginated_article_gets_a_note(tmp_path, pager, which):
    body = "".join(f"<p>{line}</p>" for line in SRC.SPEECH_002[:5])
    path = tmp_path / "speech.html"
    path.write_text(
        f'<html><head><meta charset="utf-8"></head><body><div id="zoom">{body}</div>'
        f"{pager}</body></html>",
        encoding="utf-8",
    )
    doc = read_document(path)
    assert doc.text.split("\n") == SRC.SPEECH_002[:5]
    assert doc.notes == [
        f"{which} of a paginated article: save the other pages too "
        "(they are read as separate files)"
    ]


def test_page_with_home_link_and_next_article_is_not_paginated():
    assert read_document(FIXTURES / "page_nav.html").notes == []


@pytest.mark.parametrize("name", ["page.mht", "page.mhtml", "page.html", "page.doc"])
def test_mhtml_web_archive_is_read(tmp_path, name):
    import quopri

    page = (FIXTURES / "page_nav.html").read_bytes()
    headers = "Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable"
    path = tmp_path / name
    path.write_bytes(_mhtml(quopri.encodestring(page).replace(b"\n", b"\r\n"), headers))
    doc = read_document(path)
    assert (doc.format, doc.encoding) == ("mhtml", "utf-8")
    assert doc.text == read_document(FIXTURES / "page_nav.html").text
    suffix = Path(name).suffix
    expected = (
        []
        if suffix in (".mht", ".mhtml")
        else [f"the {suffix} file is an MHTML web archive: read as one"]
    )
    assert doc.notes == expected


def test_mhtml_part_charset_decodes_a_page_without_meta(tmp_path):
    import base64

    page = "<html><body>" + "".join(f"<p>{line}</p>" for line in SRC.SPEECH_002) + "</body></html>"
    headers = 'Content-Type: text/html; charset="gb2312"\r\nContent-Transfer-Encoding: base64'
    path = tmp_path / "page.mht"
    path.write_bytes(_mhtml(base64.encodebytes(page.encode("gbk")), headers))
    doc = read_document(path)
    assert (doc.encoding, doc.text.split("\n")) == ("gb18030", SRC.SPEECH_002)


def test_mhtml_without_a_web_page(tmp_path):
    path = tmp_path / "images.mht"
    path.write_bytes(_mhtml(b"iVBORw0KGgo=", "Content-Type: image/png"))
    assert _read_error(path) == (
        "MHTML web archive without a web page inside: open it in a browser and save it as .html"
    )


def test_html_without_chinese(tmp_path):
    path = tmp_path / "home.html"
    path.write_bytes(b"<html><body><div><a href='/'>Home</a></div></body></html>")
    assert _read_error(path) == "no Chinese text found in the web page (no main content either)"


def test_html_damaged_in_its_declared_charset(tmp_path):
    page = '<html><head><meta charset="gbk"></head><body><p>同志们:今天我们召开大会</p>'
    data = page.encode("gbk") + b"\xff\xff</body></html>"
    path = tmp_path / "damaged.html"
    path.write_bytes(data)
    offset = data.index(b"\xff\xff")
    assert _read_error(path) == (
        f"cannot decode as GBK at byte {offset} (the page declares charset=gbk)"
    )


# ---------------------------------------------------------------- Word files


def test_docx_paragraphs_and_table_rows():
    doc = read_document(FIXTURES / "speech.docx")
    assert doc.format == "docx"
    assert doc.text.split("\n") == [
        *SRC.SPEECH_003[:5],
        "指标\t增长\t位次",
        "全市生产总值\t13%\t列全省第二",
        "规模以上工业利润\t28.6%\t列全省第一",
        *SRC.SPEECH_003[5:],
    ]


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _word_xml(markup: str):
    from lxml import etree

    return etree.fromstring(
        f'<w:x xmlns:w="{W_NS}" xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        f"{markup}</w:x>"
    )[0]


def _run(text: str, tag: str = "t") -> str:
    return f"<w:r><w:{tag}>{text}</w:{tag}></w:r>"


def _docx_with(tmp_path, build) -> list[str]:
    import docx

    document = docx.Document()
    build(document)
    path = tmp_path / "speech.docx"
    document.save(path)
    return read_document(path).text.split("\n")


def test_docx_speech_laid_out_in_a_table_keeps_its_paragraphs(tmp_path):
    title, speaker, *body = SRC.SPEECH_002

    def build(document):
        # a document template: the whole speech in one cell, beside a narrow label column
        cell = document.add_table(rows=1, cols=2).cell(0, 1)
        document.tables[0].cell(0, 0).text = "讲话"
        cell.text = title
        for line in [speaker, *body]:
            cell.add_paragraph(line)
        data = document.add_table(rows=1, cols=2)
        data.cell(0, 0).text, data.cell(0, 1).text = "全市生产总值", "13%"
        data.cell(0, 0).add_paragraph("（2008年）")

    lines = _docx_with(tmp_path, build)
    assert lines == ["讲话", *SRC.SPEECH_002, "全市生产总值 （2008年）\t13%"]


def test_docx_tracked_changes_read_as_word_shows_them(tmp_path):
    first, second = SRC.SPEECH_001[1][:20], SRC.SPEECH_001[1][20:]

    def build(document):
        document.add_paragraph(SRC.SPEECH_001[0])
        paragraph = document.add_paragraph(first)
        paragraph._p.append(_word_xml(f'<w:ins w:id="1" w:author="秘书">{_run(second)}</w:ins>'))
        paragraph._p.append(
            _word_xml(f'<w:del w:id="2" w:author="秘书">{_run("删掉的话", "delText")}</w:del>')
        )
        paragraph._p.append(_word_xml(f'<w:moveFrom w:id="3">{_run("挪走的话")}</w:moveFrom>'))
        inserted = document.add_paragraph()._p
        inserted.append(_word_xml(f'<w:ins w:id="4" w:author="秘书">{_run("新加的一段")}</w:ins>'))

    assert _docx_with(tmp_path, build) == [SRC.SPEECH_001[0], SRC.SPEECH_001[1], "新加的一段"]


def test_docx_content_controls_keep_their_paragraphs_in_order(tmp_path):
    def build(document):
        document.add_paragraph(SRC.SPEECH_002[0])
        wrapped = "".join(f"<w:p>{_run(line)}</w:p>" for line in SRC.SPEECH_002[1:4])
        block = _word_xml(f"<w:sdt><w:sdtPr/><w:sdtContent>{wrapped}</w:sdtContent></w:sdt>")
        document.element.body.sectPr.addprevious(block)
        paragraph = document.add_paragraph("回顾")
        inline = f"<w:sdt><w:sdtContent>{_run(SRC.SPEECH_002[4][2:])}</w:sdtContent></w:sdt>"
        paragraph._p.append(_word_xml(inline))

    assert _docx_with(tmp_path, build) == SRC.SPEECH_002[:5]


def test_docx_text_box_title_read_once_before_its_anchor(tmp_path):
    title, *body = SRC.SPEECH_000[:3]
    box = f"<w:txbxContent><w:p>{_run(title)}</w:p></w:txbxContent>"
    # Word writes a DrawingML box with a VML copy for old readers: read it once
    shape = (
        "<w:r><mc:AlternateContent><mc:Choice Requires='wps'><w:drawing><wps:txbx>"
        f"{box}</wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>"
        f"{box}</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    )

    def build(document):
        document.add_paragraph()._p.append(_word_xml(shape))
        for line in body:
            document.add_paragraph(line)

    assert _docx_with(tmp_path, build) == SRC.SPEECH_000[:3]


def test_docx_field_shows_its_result_not_its_code(tmp_path):
    def build(document):
        paragraph = document.add_paragraph("（2009年")
        field = (
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            + _run(" DATE \\@ M ", "instrText")
            + '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            + _run("2")
            + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        )
        for element in _word_xml(f"<w:p>{field}</w:p>"):
            paragraph._p.append(element)
        paragraph.add_run("月2日)")
        document.add_paragraph(SRC.SPEECH_003[2])

    assert _docx_with(tmp_path, build) == ["（2009年2月2日)", SRC.SPEECH_003[2]]


NUMBERING = (
    '<w:abstractNum w:abstractNumId="20">'
    '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
    '<w:lvlText w:val="%1、"/></w:lvl>'
    '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCountingThousand"/>'
    '<w:lvlText w:val="（%2）"/></w:lvl>'
    '<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimalEnclosedCircle"/>'
    '<w:lvlText w:val="%3"/></w:lvl></w:abstractNum>'
    '<w:abstractNum w:abstractNumId="21"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
    '<w:numFmt w:val="bullet"/><w:lvlText w:val="●"/></w:lvl></w:abstractNum>'
    '<w:num w:numId="30"><w:abstractNumId w:val="20"/></w:num>'
    '<w:num w:numId="31"><w:abstractNumId w:val="21"/></w:num>'
)


def _numbered(document, text: str, num_id: int, level: int) -> None:
    numbered = f'<w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'
    document.element.body.sectPr.addprevious(
        _word_xml(f"<w:p><w:pPr>{numbered}</w:pPr>{_run(text)}</w:p>")
    )


def test_docx_automatic_heading_numbers_are_shown(tmp_path):
    def build(document):
        numbering = document.part.numbering_part.element
        for child in list(numbering):
            numbering.remove(child)
        for element in _word_xml(f"<w:n>{NUMBERING}</w:n>"):
            numbering.append(element)
        heading = document.styles.add_style("要点", 1).element  # 1: a paragraph style
        heading.get_or_add_pPr().append(
            _word_xml('<w:numPr><w:ilvl w:val="1"/><w:numId w:val="30"/></w:numPr>')
        )
        for text, level in [("深刻认识形势", 0), ("成绩来之不易", 1), ("问题不容忽视", 1)]:
            _numbered(document, text, 30, level)
        _numbered(document, "第一个细项", 30, 2)
        _numbered(document, "扎实做好工作", 30, 0)
        document.add_paragraph("全面开展隐患排查", style="要点")
        _numbered(document, "不编号的要点", 31, 0)

    assert _docx_with(tmp_path, build) == [
        "一、深刻认识形势",
        "（一）成绩来之不易",
        "（二）问题不容忽视",
        "①第一个细项",
        "二、扎实做好工作",
        "（一）全面开展隐患排查",
        "不编号的要点",
    ]


@pytest.mark.parametrize(
    ("number", "chinese"),
    [(1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (35, "三十五"), (105, "一百零五")],
)
def test_word_chinese_counting(number, chinese):
    from jianghua.read_word import chinese_number

    assert chinese_number(number) == chinese


@pytest.mark.parametrize(
    ("number_format", "numbers"),
    [
        ("upperRoman", ["I", "IV", "IX", "XIV", "MCMXCIX"]),
        ("lowerRoman", ["i", "iv", "ix", "xiv", "mcmxcix"]),
        ("decimalZero", ["01", "04", "09", "14", "1999"]),
        ("decimalFullWidth", ["１", "４", "９", "１４", "１９９９"]),
        ("decimalEnclosedParen", ["⑴", "⑷", "⑼", "⒁", "1999"]),
        ("decimalEnclosedFullstop", ["⒈", "⒋", "⒐", "⒕", "1999"]),
        ("decimalEnclosedCircle", ["①", "④", "⑨", "⑭", "1999"]),
    ],
)
def test_word_number_formats(number_format, numbers):
    from jianghua.read_word import NUMBER_FORMATS

    shown = [NUMBER_FORMATS[number_format](n) for n in (1, 4, 9, 14, 1999)]
    assert shown == numbers


def test_docx_footnotes_are_counted_in_a_note(tmp_path):
    source = tmp_path / "plain.docx"
    source.write_bytes((FIXTURES / "speech.docx").read_bytes())
    notes = (
        f'<w:footnotes xmlns:w="{W_NS}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p/></w:footnote>'
        '<w:footnote w:id="1"><w:p><w:r><w:t>注释一</w:t></w:r></w:p></w:footnote>'
        '<w:footnote w:id="2"><w:p><w:r><w:t>注释二</w:t></w:r></w:p></w:footnote>'
        "</w:footnotes>"
    )
    path = tmp_path / "speech.docx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
        dst.writestr("word/footnotes.xml", notes)
    doc = read_document(path)
    assert doc.notes == ["2 footnotes not read"]
    assert doc.text == read_document(FIXTURES / "speech.docx").text
    assert read_document(FIXTURES / "speech.docx").notes == []


def test_doc_that_is_really_a_docx(tmp_path):
    path = tmp_path / "speech.doc"
    path.write_bytes((FIXTURES / "speech.docx").read_bytes())
    doc = read_document(path)
    assert doc.format == "docx"
    assert doc.text == read_document(FIXTURES / "speech.docx").text
    assert doc.notes == ["the .doc file is a Word .docx file: read as one"]


def test_doc_and_docx_that_are_really_web_pages(tmp_path):
    page = (FIXTURES / "page_gbk.html").read_bytes()
    for name in ["speech.doc", "speech.docx"]:
        path = tmp_path / name
        path.write_bytes(page)
        doc = read_document(path)
        assert (doc.format, doc.encoding) == ("html", "gb18030")
        assert doc.text == read_document(FIXTURES / "page_gbk.html").text
        assert doc.notes == [f"the {path.suffix} file is a web page: read as one"]


def test_txt_that_is_a_saved_web_page(tmp_path):
    path = tmp_path / "speech.txt"
    path.write_bytes((FIXTURES / "page_gbk.html").read_bytes())
    doc = read_document(path)
    assert (doc.format, doc.encoding) == ("html", "gb18030")
    assert doc.text == read_document(FIXTURES / "page_gbk.html").text
    assert doc.notes == ["the .txt file is a web page: read as one"]


def test_txt_holding_pasted_html_paragraphs(tmp_path):
    markup = "\n".join(f"<p>&nbsp;&nbsp;{line}</p>" for line in SRC.SPEECH_001[:4])
    path = tmp_path / "speech.txt"
    path.write_text(markup, encoding="utf-8")
    doc = read_document(path)
    assert doc.format == "html"
    assert doc.text.split("\n") == SRC.SPEECH_001[:4]
    assert doc.notes == ["the .txt file is a web page: read as one"]


def test_txt_mentioning_a_tag_stays_text(tmp_path):
    text = f"{SRC.SPEECH_001[1]}网页中的<p>标签和<br>换行不会被当作网页。\n{SRC.SPEECH_001[2]}"
    path = tmp_path / "speech.txt"
    path.write_text(text, encoding="utf-8")
    doc = read_document(path)
    assert (doc.format, doc.text, doc.notes) == ("txt", text, [])


def test_docx_without_document_part(tmp_path):
    path = tmp_path / "workbook.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert _read_error(path) == "corrupt .docx: no word/document.xml inside"


def test_docx_with_broken_xml(tmp_path):
    path = tmp_path / "broken.docx"
    with zipfile.ZipFile(FIXTURES / "speech.docx") as src, zipfile.ZipFile(path, "w") as dst:
        for name in src.namelist():
            broken = name == "word/document.xml"
            dst.writestr(name, b"<w:document><w:body" if broken else src.read(name))
    assert _read_error(path).startswith("corrupt .docx: broken XML inside (")


# ---------------------------------------------------------------- bad input


def _truncated_gb18030() -> bytes:
    return "\n".join(SRC.SPEECH_002).encode("gb18030")[:-1]


def _truncated_utf8() -> bytes:
    return "\n".join(SRC.SPEECH_002).encode("utf-8")[:-1]


BAD_INPUTS = [
    ("empty.txt", b"", "empty file"),
    ("blank.txt", b" \r\n\t\n  \n", "empty file (only whitespace)"),
    ("random.txt", random.Random(0).randbytes(4096), "binary file, not text"),
    ("nul.txt", "同志们:\x00今天".encode(), "binary file, not text"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary file, not text"),
    (
        "latin1.txt",
        "Le président a prononcé un discours à la réunion.\n".encode("latin-1"),
        "no Chinese text",
    ),
    ("cp1252.txt", "\u201cQuoted\u201d \u2013 café".encode("cp1252"), "no Chinese text"),
    ("english.txt", b"Speech of the mayor, 12 March 2009.\n", "no Chinese text"),
    # GB18030 decodes these bytes strictly (cr閍, r閟eaux): the mojibake must not pass as Chinese
    ("french.txt", "Elle créa des réseaux.\n".encode("latin-1") * 3, "no Chinese text"),
    # cut short after a few characters: too little text to trust a repair
    ("cut.txt", _truncated_gb18030()[:9], "cannot decode as GB18030 at byte 8"),
    ("cut_utf8.txt", _truncated_utf8()[:88], "cannot decode as UTF-8 at byte 86"),
    (
        "odd_utf16.txt",
        b"\xff\xfe" + "同志们".encode("utf-16-le") + b"\x0a",
        "cannot decode as UTF-16-LE at byte 8",
    ),
    (
        "speech.docx",
        b"PK\x03\x04" + bytes(100),
        "corrupt .docx: the zip archive is truncated or damaged",
    ),
    ("notzip.docx", "同志们:".encode(), "corrupt .docx: not a zip archive"),
    (
        "old.docx",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
        "corrupt Word file: the compound file is damaged or cut short",
    ),
    (
        "speech.doc",
        b"\xd0\xcf\x11\xe0",
        "corrupt Word file: the compound file is damaged or cut short",
    ),
    ("speech.pdf", b"%PDF-1.4\n", "corrupt PDF: the file is cut short (no end-of-file marker)"),
    ("speech.caj", b"CAJ", "unsupported file type .caj: copy its text into a .txt file"),
    ("speech.xyz", b"abc", "unsupported file type .xyz"),
    (
        "speeches.rar",
        b"Rar!\x1a\x07\x00",
        "unsupported file type .rar: unpack it into the corpus folder",
    ),
    (
        "scan.JPG",
        b"\xff\xd8\xff\xe0",
        "unsupported file type .jpg: a picture of the text: OCR it into a .txt file",
    ),
]


@pytest.mark.parametrize(("name", "data", "reason"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gives_the_exact_reason(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    assert _read_error(path) == reason


def test_french_bytes_really_decode_as_gb18030():
    assert "閍" in "Elle créa".encode("latin-1").decode("gb18030")


def test_empty_docx(tmp_path):
    import docx

    path = tmp_path / "blank.docx"
    docx.Document().save(path)
    assert _read_error(path) == "empty file (only whitespace)"


def test_damaged_utf8_in_the_middle(tmp_path):
    text = "\n".join(SRC.SPEECH_002)
    head, tail = text[:100].encode("utf-8"), text[100:].encode("utf-8")
    path = tmp_path / "damaged.txt"
    path.write_bytes(head + b"\xe5\x9c" + tail)  # half a character inserted
    doc = read_document(path)
    assert (doc.encoding, doc.text) == ("utf-8", text[:100] + "\ufffd" + text[100:])
    at = len(head)
    assert doc.notes == [f"2 bytes not valid UTF-8 (at byte {at}-{at + 1}) replaced with U+FFFD"]


@pytest.mark.parametrize(("encoding", "name"), [("gb18030", "GB18030"), ("utf-8", "UTF-8")])
def test_file_cut_mid_character_is_read_with_a_warning(tmp_path, encoding, name):
    text = "\n".join(SRC.SPEECH_002)
    data = text.encode(encoding)[:-1]
    path = tmp_path / "cut.txt"
    path.write_bytes(data)
    doc = read_document(path)
    assert (doc.encoding, doc.text) == (encoding, text[:-1] + "\ufffd")
    cut = len(text[:-1].encode(encoding))
    where = str(cut) if len(data) - cut == 1 else f"{cut}-{len(data) - 1}"
    assert doc.notes == [
        f"{len(data) - cut} byte{'s' if len(data) - cut > 1 else ''} not valid {name} "
        f"(at byte {where}) replaced with U+FFFD; the file ends mid-character (cut short?)"
    ]


def test_stray_byte_in_gbk_loses_one_character_only(tmp_path):
    text = "\n".join(SRC.SPEECH_002)
    at = text.index("实施")
    data = bytearray(text.encode("gbk"))
    lead = len(text[:at].encode("gbk"))
    data[lead] = 0xFF  # the lead byte of 实 damaged: its trail byte must not pair with 施
    path = tmp_path / "stray.txt"
    path.write_bytes(bytes(data))
    doc = read_document(path)
    assert (doc.encoding, doc.text) == ("gb18030", text[:at] + "\ufffd" + text[at + 1 :])
    assert doc.notes == [
        f"2 bytes not valid GB18030 (at byte {lead}-{lead + 1}) replaced with U+FFFD"
    ]


def test_badly_damaged_file_is_still_an_error(tmp_path):
    text = "\n".join(SRC.SPEECH_002)
    data = text.encode("gbk")
    step = len(data) // 20
    damaged = b"".join(data[i : i + step] + b"\xff" for i in range(0, len(data), step))
    path = tmp_path / "damaged.txt"
    path.write_bytes(damaged)
    assert _read_error(path) == f"cannot decode as GB18030 at byte {step}"


def test_truncated_real_docx(tmp_path):
    data = (FIXTURES / "speech.docx").read_bytes()
    path = tmp_path / "half.docx"
    path.write_bytes(data[: len(data) // 2])
    assert _read_error(path) == "corrupt .docx: the zip archive is truncated or damaged"


def test_fifty_megabyte_single_line(tmp_path):
    line = "".join(SRC.SPEECH_002 + SRC.SPEECH_003).encode("utf-8")
    repeats = 50 * 1024 * 1024 // len(line) + 1
    path = tmp_path / "huge.txt"
    path.write_bytes(line * repeats)
    start = time.perf_counter()
    doc = read_document(path)
    seconds = time.perf_counter() - start
    print(f"\n50 MB single line read in {seconds:.2f} s")
    assert path.stat().st_size > 50 * 1024 * 1024
    assert len(doc.text) == len(line.decode()) * repeats
    assert "\n" not in doc.text and doc.text.startswith(SRC.SPEECH_002[0])
    files, problems = list_files(path)
    assert problems == [
        {
            "source": "huge.txt",
            "severity": "warning",
            "message": "large file (50 MB): later steps will be slow",
        }
    ]


# ---------------------------------------------------------------- permissions and links


def test_permission_denied_is_reported(tmp_path, monkeypatch):
    path = tmp_path / "locked.txt"
    path.write_bytes("\n".join(SRC.SPEECH_001).encode())

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    # Tests often run as root, where chmod 000 does not stop reading: simulate the refusal.
    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert _read_error(path) == "permission denied"


def test_unreadable_file_listed_as_problem(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("同志们:", encoding="utf-8")
    (tmp_path / "locked.txt").write_text("同志们:", encoding="utf-8")
    real_access = os.access
    # As root os.access always says yes; simulate what a normal user would see.
    monkeypatch.setattr(
        os, "access", lambda p, m: Path(p).name != "locked.txt" and real_access(p, m)
    )
    files, problems = list_files(tmp_path)
    assert [f.name for f in files] == ["a.txt"]
    assert problems == [
        {"source": "locked.txt", "severity": "error", "message": "permission denied"}
    ]


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0,
    reason="root can read files with mode 000; the monkeypatched tests cover it",
)
def test_chmod_000_file(tmp_path):
    path = tmp_path / "locked.txt"
    path.write_text("同志们:", encoding="utf-8")
    path.chmod(0)
    try:
        assert _read_error(path) == "permission denied"
        assert list_files(tmp_path)[1][0]["message"] == "permission denied"
    finally:
        path.chmod(0o644)


def test_links_loops_hidden_and_config_files(tmp_path):
    root = tmp_path / "corpus"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "__MACOSX").mkdir()
    speech = (config.CORPUS_DIR / SEED_NAMES[1]).read_bytes()
    for name in ["a.txt", "sub/b.html", "sub/deeper/c.md", "x.pdf"]:
        (root / name).write_bytes(speech)
    for name in [
        "metadata.csv",
        "userdict.txt",
        "themes.yaml",
        "stopwords_extra.txt",
        "README.md",
        ".hidden.txt",
        ".git/x.txt",
        "__MACOSX/._a.txt",
        "~$draft.docx",
        "~WRL0001.tmp",
        "a.txt~",
        "clutter.yaml",
        "names.json",
    ]:
        (root / name).write_bytes(b"x")
    (root / "sub" / "loop").symlink_to("..")
    (root / "broken.txt").symlink_to("nowhere.txt")
    (root / "l1.txt").symlink_to("l2.txt")
    (root / "l2.txt").symlink_to("l1.txt")
    (root / "0link.txt").symlink_to("a.txt")
    files, problems = list_files(root)
    assert [source_name(f, root) for f in files] == [
        "a.txt",
        "sub/b.html",
        "sub/deeper/c.md",
        "x.pdf",
    ]
    assert problems == [
        {
            "source": "0link.txt",
            "severity": "warning",
            "message": "same file as a.txt (a link): read once",
        },
        {
            "source": "broken.txt",
            "severity": "error",
            "message": "broken link: nowhere.txt does not exist",
        },
        {"source": "l1.txt", "severity": "error", "message": "symlink loop"},
        {"source": "l2.txt", "severity": "error", "message": "symlink loop"},
        {
            "source": "sub/loop/",
            "severity": "error",
            "message": "symlink loop: the link points back to a parent folder",
        },
    ]
    assert _read_error(root / "l1.txt") == "symlink loop"


def test_list_files_single_file_and_missing(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("同志们:", encoding="utf-8")
    assert list_files(path) == ([path], [])
    assert source_name(path, path) == "one.txt"
    missing = tmp_path / "gone"
    assert list_files(missing) == (
        [],
        [{"source": str(missing), "severity": "error", "message": "file or folder not found"}],
    )


def test_list_files_never_writes(tmp_path):
    (tmp_path / "a.txt").write_text("同志们:", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    list_files(tmp_path)
    read_document(tmp_path / "a.txt")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def _write_bytes_name(folder, raw_name: bytes, text: str) -> None:
    """Write a UTF-8 text file whose name is the given raw bytes (as unzip leaves GBK names)."""
    with open(os.path.join(os.fsencode(folder), raw_name), "wb") as handle:
        handle.write(text.encode("utf-8"))


def test_gbk_file_and_folder_names_are_read_as_chinese(tmp_path):
    from jianghua.corpus import load_corpus

    seed = sorted(config.CORPUS_DIR.glob("*.txt"))[0].read_text(encoding="utf-8")
    speech = seed[:3000]
    _write_bytes_name(tmp_path, "区长讲话.txt".encode("gbk"), speech)
    os.mkdir(os.path.join(os.fsencode(tmp_path), "二〇一〇年".encode("gbk")))
    _write_bytes_name(tmp_path, "二〇一〇年/书记讲话.txt".encode("gbk"), speech.replace("区", "市"))
    files, problems = list_files(tmp_path)
    assert problems == []
    assert sorted(source_name(f, tmp_path) for f in files) == [
        "二〇一〇年/书记讲话.txt",
        "区长讲话.txt",
    ]
    corpus = load_corpus(tmp_path, cache=False)
    assert sorted(corpus.speeches["source"]) == ["二〇一〇年/书记讲话.txt", "区长讲话.txt"]
    assert "区长讲话-1" in set(corpus.speeches["speech_id"])
    corpus.speeches.to_csv(tmp_path.parent / "speeches.csv")  # no lone surrogates left


def test_the_same_name_in_utf8_and_in_gbk_bytes_reads_the_utf8_one(tmp_path):
    _write_bytes_name(tmp_path, "讲话.txt".encode("gbk"), "同志们：抓落实。" * 20)
    _write_bytes_name(tmp_path, "讲话.txt".encode(), "同志们：讲作风。" * 20)
    files, problems = list_files(tmp_path)
    assert [os.fsencode(f.name) for f in files] == ["讲话.txt".encode()]
    assert [p["source"] for p in problems] == ["讲话.txt"]
    assert "GBK" in problems[0]["message"] and "not read" in problems[0]["message"]


def test_a_name_in_neither_utf8_nor_gb18030_is_escaped(tmp_path):
    _write_bytes_name(tmp_path, b"\xff\xfe\x81.txt", "同志们：抓落实。" * 20)
    files, _ = list_files(tmp_path)
    assert source_name(files[0], tmp_path) == "\\xff\\xfe\\x81.txt"
