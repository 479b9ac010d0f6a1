"""Word speeches as offices write them: contents fields, 公文 layout, compilations, Strict OOXML."""

import io
import re
import zipfile

import pandas as pd
import pytest
from conftest import load_script, write_files
from jianghua import config, load_corpus
from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TITLE = "在全区经济工作会议上的讲话"
HEADINGS = ["一、总体要求", "二、重点任务", "三、工作保障"]
BODY = [
    "同志们：",
    "今天，我们召开全区经济工作会议，总结去年工作，部署今年任务。下面，我讲三点意见。",
    HEADINGS[0],
    "做好今年经济工作，必须坚持稳中求进工作总基调，坚持新发展理念，保持经济持续健康发展。",
    HEADINGS[1],
    "（一）抓好项目建设。项目是经济发展的生命线。要紧盯全年投资目标，加快项目落地。",
    "（二）优化营商环境。要深化“放管服”改革，提升政务服务效能，切实为企业排忧解难。",
    HEADINGS[2],
    "各级各部门要切实加强组织领导，压实工作责任，确保各项任务落到实处。同志们，让我们团结一心、"
    "开拓进取，为全面完成全年目标任务而努力奋斗！",
]


def _xml(text: str):
    """Return one WordprocessingML element parsed from text."""
    return etree.fromstring(f'<w:x xmlns:w="{W_NS}">{text}</w:x>')[0]


def _run(text: str, tag: str = "t") -> str:
    return f'<w:r><w:{tag} xml:space="preserve">{text}</w:{tag}></w:r>'


def _field(code: str, result: str) -> str:
    """Return the runs of a Word field: its code, hidden, then the result Word shows."""
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        + _run(code, "instrText")
        + '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        + result
        + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def _contents(document, entries: list[tuple[str, int]], leader: str) -> None:
    """Append Word's automatic table of contents: a TOC field of linked entries and page numbers."""
    tabs = f'<w:tabs><w:tab w:val="right" w:leader="{leader}" w:pos="8296"/></w:tabs>'
    for n, (text, page) in enumerate(entries):
        opening = ""
        if n == 0:  # the TOC field opens in the first entry and closes after the last
            opening = (
                '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
                + _run(' TOC \\o "1-3" \\h \\z \\u ', "instrText")
                + '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            )
        page_field = _field(f" PAGEREF _Toc{n} \\h ", _run(str(page)))
        document.element.body.sectPr.addprevious(
            _xml(
                f'<w:p><w:pPr><w:pStyle w:val="TOC1"/>{tabs}</w:pPr>{opening}'
                f'<w:hyperlink w:anchor="_Toc{n}">{_run(text)}<w:r><w:tab/></w:r>'
                f"{page_field}</w:hyperlink></w:p>"
            )
        )
    document.element.body.sectPr.addprevious(
        _xml('<w:p><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
    )


def _speech_body(document, headings_styled: bool = True) -> None:
    """Append the speech body, its section headings in Word's Heading 1 style."""
    for line in BODY:
        if headings_styled and line in HEADINGS:
            document.add_paragraph(line, style="Heading 1")
        else:
            document.add_paragraph("\u3000\u3000" + line)


def _docx_bytes(build) -> bytes:
    """Return the bytes of a .docx that build(document) filled."""
    import docx

    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _load(tmp_path, files: dict):
    """Return the corpus loaded (without cache) from a folder holding files."""
    return load_corpus(write_files(tmp_path / "corpus", files), cache=False)


def _removed(corpus, kind: str) -> list[str]:
    return corpus.removed.loc[corpus.removed.kind == kind, "text"].tolist()


# ---------------------------------------------------------------- table of contents


@pytest.mark.parametrize("leader", ["dot", "none"])
def test_word_contents_field_is_removed_and_its_entries_are_no_sections(tmp_path, leader):
    entries = [(HEADINGS[0], 1), (HEADINGS[1], 2), ("（一）抓好项目建设", 2), (HEADINGS[2], 3)]

    def build(document):
        document.add_paragraph(TITLE)
        document.add_paragraph("区委书记 王建国")
        document.add_paragraph("（2019年3月12日）")
        document.add_paragraph("目  录")
        _contents(document, entries, leader)
        _speech_body(document)

    corpus = _load(tmp_path, {"speech.docx": _docx_bytes(build)})
    speech = corpus.speeches.iloc[0]
    assert (speech.title, speech.speaker, speech.role) == (TITLE, "王建国", "区委书记")
    assert speech.date == pd.Timestamp(2019, 3, 12)
    assert speech.text.startswith("同志们：\n今天，")
    assert _removed(corpus, "contents") == [
        "目录",
        "一、总体要求 1",
        "二、重点任务 2",
        "（一）抓好项目建设 2",
        "三、工作保障 3",
    ]
    assert corpus.sections.heading.tolist() == [
        "总体要求",
        "重点任务",
        "抓好项目建设",
        "优化营商环境",
        "工作保障",
    ]
    assert corpus.problems.empty


def test_contents_without_its_heading_line_or_numbers_is_found_by_its_headings(tmp_path):
    def build(document):
        document.add_paragraph(TITLE)
        _contents(document, [("总体要求", 1), ("重点任务", 2), ("工作保障", 3)], "dot")
        document.add_paragraph("王建国")
        _speech_body(document)

    corpus = _load(tmp_path, {"speech.docx": _docx_bytes(build)})
    assert _removed(corpus, "contents") == ["总体要求 1", "重点任务 2", "工作保障 3"]
    assert corpus.speeches.iloc[0][["title", "speaker"]].tolist() == [TITLE, "王建国"]
    assert len(corpus.sections) == 5


def test_lines_ending_in_a_number_that_head_nothing_below_stay():
    from jianghua.split import split_document

    table = ["全年新开工项目 12", "完成投资总额 35", "新增市场主体 148"]
    text = "\n".join([TITLE, "同志们：", BODY[1], *table, BODY[3]])
    part = split_document(text)[0]
    assert all(line in part.text.split("\n") for line in table)
    assert part.removed == []


# ---------------------------------------------------------------- 公文


@pytest.mark.parametrize(
    ("issued", "published"),
    [("二○一九年三月十五日", (2019, 3, 15)), ("二〇一九年三月十五日", (2019, 3, 15))],
)
def test_official_document_dated_in_chinese_numerals_loses_its_cover_notice(
    tmp_path, issued, published
):
    notice = "现将王建国同志在全区经济工作会议上的讲话印发给你们，请结合实际认真学习贯彻。"

    def build(document):
        for line in [
            "000128",
            "中共某某区委文件",
            "某发〔2019〕5号",
            "中共某某区委",
            "关于印发王建国同志在全区经济工作会议上的讲话的通知",
            "各乡镇党委，区委各部委，区级各部门党组（党委）：",
            "\u3000\u3000" + notice,
            "中共某某区委",
            issued,
            TITLE,
            "王建国",
            "（2019年3月12日）",
        ]:
            document.add_paragraph(line)
        _speech_body(document, headings_styled=False)
        document.add_paragraph("抄送：市委办公室。")
        document.add_paragraph("中共某某区委办公室\u3000\u3000\u3000\u30002019年3月15日印发")

    corpus = _load(tmp_path, {"speech.docx": _docx_bytes(build)})
    speech = corpus.speeches.iloc[0]
    assert (speech.title, speech.speaker) == (TITLE, "王建国")
    assert speech.date == pd.Timestamp(2019, 3, 12)
    assert speech.published == pd.Timestamp(*published)
    assert speech.text.startswith("同志们：") and speech.text.endswith("努力奋斗！")
    assert _removed(corpus, "cover notice") == [
        "关于印发王建国同志在全区经济工作会议上的讲话的通知",
        "000128",
        "中共某某区委",
        "各乡镇党委，区委各部委，区级各部门党组（党委）：",
        notice,
        "中共某某区委",
        issued,
    ]
    assert _removed(corpus, "document header") == ["中共某某区委文件"]
    assert _removed(corpus, "document number") == ["某发〔2019〕5号"]
    assert len(_removed(corpus, "distribution note")) == 2


# ---------------------------------------------------------------- Strict Open XML


def _strict(data: bytes) -> bytes:
    """Return a .docx saved as Word's "Strict Open XML Document": ISO namespaces throughout."""
    transitional = (
        rb"http://schemas\.openxmlformats\.org/(officeDocument|drawingml|wordprocessingml)/2006/"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as strict:
        for info in source.infolist():
            part = re.sub(transitional, rb"http://purl.oclc.org/ooxml/\1/", source.read(info))
            strict.writestr(info, part)
    return out.getvalue()


def test_strict_open_xml_docx_is_read_like_any_docx(tmp_path):
    from jianghua.read import read_document

    def build(document):
        document.add_paragraph(TITLE)
        document.add_paragraph("王建国")
        _speech_body(document)

    data = _docx_bytes(build)
    with zipfile.ZipFile(io.BytesIO(_strict(data))) as package:
        assert b"http://purl.oclc.org/ooxml/wordprocessingml/main" in package.read(
            "word/document.xml"
        )
    (tmp_path / "strict.docx").write_bytes(_strict(data))
    (tmp_path / "plain.docx").write_bytes(data)
    strict = read_document(tmp_path / "strict.docx")
    assert (strict.format, strict.notes) == ("docx", [])
    assert strict.text == read_document(tmp_path / "plain.docx").text
    assert strict.text.split("\n")[:3] == [TITLE, "王建国", "\u3000\u3000同志们："]


MAIN_TYPES = {
    "docm": b"application/vnd.ms-word.document.macroEnabled.main+xml",
    "dotx": b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "dotm": b"application/vnd.ms-word.template.macroEnabled.main+xml",
}


def _retyped(data: bytes, main_type: bytes) -> bytes:
    """Return a .docx package whose main part has another content type (.docm, .dotx...)."""
    plain = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "[Content_Types].xml":
                part = part.replace(plain, main_type)
            copy.writestr(info, part)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "kind"),
    [("宏.docm", "docm"), ("模板.dotx", "dotx"), ("模板.dotm", "dotm"), ("改名.docx", "docm")],
)
def test_macro_enabled_documents_and_templates_are_read(tmp_path, name, kind):
    from jianghua.read import read_document

    def build(document):
        document.add_paragraph(TITLE)
        _speech_body(document)

    (tmp_path / name).write_bytes(_retyped(_docx_bytes(build), MAIN_TYPES[kind]))
    doc = read_document(tmp_path / name)
    assert (doc.format, doc.notes) == ("docx", [])
    assert doc.text.split("\n")[:2] == [TITLE, "\u3000\u3000同志们："]


@pytest.mark.parametrize("suffix", [".dot", ".wpt"])
def test_word_and_wps_97_templates_are_read_as_doc(tmp_path, suffix):
    from jianghua.read import read_document

    fixtures = config.TESTS_DIR / "fixtures" / "read"
    (tmp_path / f"speech{suffix}").write_bytes((fixtures / "speech.doc").read_bytes())
    doc = read_document(tmp_path / f"speech{suffix}")
    plain = read_document(fixtures / "speech.doc")
    assert (doc.format, doc.text, doc.notes) == ("doc", plain.text, plain.notes)


# ---------------------------------------------------------------- compilations and layout

TALKS = [
    ("在全区经济工作会议上的讲话", "王建国"),
    ("在全区安全生产工作会议上的讲话", "李红梅"),
    ("在全区脱贫攻坚推进会上的讲话", "张志强"),
]


def test_compilation_with_word_contents_and_page_breaks_splits_per_speech(tmp_path):
    def build(document):
        document.add_paragraph("领导讲话汇编")
        document.add_paragraph("中共某某区委办公室编")
        document.add_paragraph("目录")
        _contents(
            document,
            [(f"{name}同志{title}", 1 + 4 * n) for n, (title, name) in enumerate(TALKS)],
            "dot",
        )
        for title, name in TALKS:
            paragraph = document.add_paragraph(title)
            paragraph.paragraph_format.page_break_before = True
            document.add_paragraph(name)
            document.add_paragraph("（2019年3月12日）")
            _speech_body(document, headings_styled=False)

    corpus = _load(tmp_path, {"汇编.docx": _docx_bytes(build)})
    speeches = corpus.speeches
    assert speeches[["title", "speaker"]].values.tolist() == [list(t) for t in TALKS]
    assert (speeches.date == pd.Timestamp(2019, 3, 12)).all()
    assert speeches.text.str.startswith("同志们：").all()
    assert _removed(corpus, "cover") == ["领导讲话汇编", "中共某某区委办公室编"]
    assert _removed(corpus, "contents") == [
        "目录",
        "王建国同志在全区经济工作会议上的讲话 1",
        "李红梅同志在全区安全生产工作会议上的讲话 5",
        "张志强同志在全区脱贫攻坚推进会上的讲话 9",
    ]
    assert len(corpus.sections) == 15


def test_two_paragraph_title_right_aligned_speaker_and_chinese_date(tmp_path):
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    def build(document):
        document.add_paragraph("在全区经济工作会议暨")
        document.add_paragraph("优化营商环境大会上的讲话")
        for line in ["区委书记\u3000王建国", "二〇一九年三月十二日"]:
            document.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        first = document.add_paragraph("\u3000\u3000" + BODY[0])
        # a comment on the first sentence and a footnote mark: neither shows as text
        first._p.append(_xml('<w:commentRangeStart w:id="0"/>'))
        paragraph = document.add_paragraph("\u3000\u3000" + BODY[1][:12])
        paragraph._p.append(_xml('<w:r><w:commentReference w:id="0"/></w:r>'))
        paragraph._p.append(_xml('<w:r><w:footnoteReference w:id="1"/></w:r>'))
        paragraph._p.append(_xml(_run(BODY[1][12:])))
        # a paragraph pasted from a PDF, its lines ended with Shift+Enter
        wrapped = document.add_paragraph("\u3000\u3000" + BODY[3][:20])
        wrapped.add_run().add_break()
        wrapped.add_run(BODY[3][20:])
        for line in BODY[4:]:
            document.add_paragraph("\u3000\u3000" + line)

    corpus = _load(tmp_path, {"speech.docx": _docx_bytes(build)})
    speech = corpus.speeches.iloc[0]
    assert speech.title == "在全区经济工作会议暨优化营商环境大会上的讲话"
    assert (speech.speaker, speech.role) == ("王建国", "区委书记")
    assert speech.date == pd.Timestamp(2019, 3, 12)
    assert speech.text.split("\n")[:3] == ["同志们：", BODY[1], BODY[3]]


def test_doc_contents_field_is_removed_like_a_docx_one(tmp_path):
    fixtures = config.TESTS_DIR / "fixtures" / "read"
    script = load_script(fixtures / "make_contents_doc.py")
    corpus = _load(tmp_path, {"contents.doc": (fixtures / "contents.doc").read_bytes()})
    speech = corpus.speeches.iloc[0]
    assert (speech.title, speech.speaker, speech.role) == (
        "在全县农村工作会议上的讲话",
        "赵志刚",
        "县委书记",
    )
    assert speech.date == pd.Timestamp(2020, 2, 18)
    assert speech.text == "\n".join(script.BODY)
    assert _removed(corpus, "contents") == ["目录"] + [f"{t} {p}" for t, p in script.ENTRIES]
    assert corpus.sections.heading.tolist() == [t[2:] for t, _ in script.ENTRIES]


def test_table_rows_of_names_and_falling_counts_are_not_contents():
    from jianghua.split import split_document

    rows = ["道路交通领域 12", "危险化学品领域 5"]
    later = ["道路交通领域要严查超载超限。", "危险化学品领域要落实企业主体责任。"]
    text = "\n".join([TITLE, "同志们：", BODY[1], *rows, *later])
    part = split_document(text)[0]
    assert part.text.split("\n")[-4:] == rows + later
    assert part.removed == []
