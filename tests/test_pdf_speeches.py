"""Speeches in PDFs laid out as real exporters do (tests/fixtures/read/make_pdf_speeches.py)."""

import shutil

import pandas as pd
import pytest
from jianghua import config, load_corpus
from jianghua.read import read_document

PDFS = config.TESTS_DIR / "fixtures" / "read" / "pdf"
TITLE = "在全区作风建设大会上的讲话"
P2 = (
    "过去一年，全区上下认真落实中央八项规定精神，持续纠治“四风”，干部作风明显好转，群众满意度"
    "稳步提升。全年共查处违反中央八项规定精神问题37起，处理党员干部52人，形成了有力震慑。"
    "各级领导干部带头转变作风，深入基层调查研究，为群众办实事、解难题，赢得了群众的信任。"
)
# a paragraph that runs across the page break in the word, web and redhead files
ACROSS = (
    "要提升精神区位抓落实。区位优势是县域经济发展的外在因素，但不是决定因素，区位优势先天不足"
    "可以靠精神区位来弥补，说明精神力量的巨大作用。要实现跨越式发展，必须提升精神区位。一要提升"
    "信心，强化进取意识。二要提升境界，强化责任意识。三要提升标准，强化争先意识。"
)
HEADINGS = ["一、充分肯定成绩", "二、清醒认识问题", "（一）要提升精神区位抓落实"]


def _load(tmp_path, name):
    """Return (speech row, removed rows, problems) of one fixture PDF loaded alone."""
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(PDFS / f"{name}.pdf", folder)
    corpus = load_corpus(folder, cache=False)
    (row,) = corpus.speeches.itertuples()
    return row, corpus.removed, corpus.problems, corpus.sections


def _kinds(removed, kind):
    """Return the removed texts of one kind, in order."""
    return removed[removed.kind == kind].text.tolist()


def test_subset_font_past_256_glyphs_reads_right():
    # fpdf2 writes an embedded two-byte encoding CMap: pypdf read it one byte at a time, so
    # 说明 came out 2午明 once a page used more than 256 different characters
    text = read_document(PDFS / "web.pdf").text
    assert "，说明精神力量的巨大作用" in text
    assert "\x00" not in text


def test_word_export(tmp_path):
    row, removed, problems, sections = _load(tmp_path, "word")
    assert (row.title, row.speaker, row.role) == (TITLE, "王明", "区委书记")
    assert row.date == pd.Timestamp("2019-03-12")
    paragraphs = row.text.split("\n")
    assert paragraphs[:2] == ["同志们：", paragraphs[1]] and paragraphs[1].endswith("我都同意。")
    assert ACROSS in paragraphs and P2 in paragraphs
    assert _kinds(removed, "page number") == ["- 1 -", "- 2 -"]
    assert _kinds(removed, "running head") == [TITLE]
    assert sections.label.tolist()[:3] == ["一", "二", "一"] and problems.empty


def test_browser_printed_web_page(tmp_path):
    row, removed, problems, sections = _load(tmp_path, "web")
    assert (row.title, row.speaker) == (TITLE, "王明")
    assert row.published == pd.Timestamp("2019-03-15") and pd.isna(row.date)
    # the print header of page 2 no longer sits inside the paragraph the page break cut
    assert ACROSS in row.text.split("\n") and P2 in row.text.split("\n")
    assert "下午" not in row.text and "http" not in row.text and "1/2" not in row.text
    header = "2019/3/15 下午3:20 王明同志在全区作风建设大会上的讲话-章贡区人民政府"
    assert _kinds(removed, "browser header") == [header, header]
    assert _kinds(removed, "page number") == ["1/2", "2/2"]
    assert len(_kinds(removed, "url")) == 2
    assert _kinds(removed, "page control") == ["【打印本页】", "【关闭窗口】"]
    assert [h for h in HEADINGS if h in row.text.split("\n")] == HEADINGS
    assert problems.empty


def test_official_document_header_and_distribution_block(tmp_path):
    row, removed, problems, sections = _load(tmp_path, "redhead")
    assert _kinds(removed, "document header") == ["中共章贡区委办公室文件"]
    assert _kinds(removed, "document number") == ["章办发〔2019〕5号"]
    assert _kinds(removed, "cover notice") == [
        "关于印发王明同志在全区作风建设大会上的讲话的通知",
        "各乡镇（街道）党（工）委，区直各单位党组（党委）：",
        "现将王明同志在全区作风建设大会上的讲话印发给你们，请结合实际认真学习贯彻。",
        "中共章贡区委办公室",
        "2019年3月15日",
    ]
    assert _kinds(removed, "distribution note") == [
        "抄送：市委办公室，区人大常委会办公室，区政府办公室，区政协办公室。",
        "中共章贡区委办公室 2019年3月15日印发",
    ]
    # below the notice, the speech's own title block: the notice's date is its issue date
    assert (row.title, row.speaker) == (TITLE, "王明")
    assert (row.date, row.published) == (pd.Timestamp("2019-03-12"), pd.Timestamp("2019-03-15"))
    assert row.text.startswith("同志们：\n今天，我们召开")
    assert row.text.endswith("奋力开创新局面！")
    assert ACROSS in row.text.split("\n")


def test_justified_text_and_letter_spaced_title(tmp_path):
    row, removed, problems, sections = _load(tmp_path, "spaced")
    assert (row.title, row.speaker) == (TITLE, "王明")
    assert row.date == pd.Timestamp("2019-03-12")
    assert row.text.startswith("同志们：\n今天，我们召开")
    assert " " not in row.text and "\u3000" not in row.text
    assert P2 in row.text.split("\n")
    assert _kinds(removed, "page number") == ["第 1 页共 2 页", "第 2 页共 2 页"]


def test_footnotes_at_a_page_foot(tmp_path):
    row, removed, problems, sections = _load(tmp_path, "footnotes")
    assert _kinds(removed, "footnote") == [
        "①党的二十大：中国共产党第二十次全国代表大会，2022年10月在北京召开。",
        "②中央八项规定：2012年12月4日中央政治局会议通过的改进作风的规定。",
    ]
    assert "党的二十大：" not in row.text
    assert "①" not in sections.label.tolist()
    paragraphs = row.text.split("\n")
    # the last paragraph of page 1 and the heading opening page 2 stay apart
    assert paragraphs[3].endswith("决不能掉以轻心。") and paragraphs[4] == "二、清醒认识问题"


@pytest.mark.parametrize(
    ("lines", "kept"),
    [
        # a numbered list in the speech: the marks follow no word, so nothing is a footnote
        (["要做到三点：", "①加强学习，提高本领。", "②转变作风，真抓实干。", "- 3 -"], 3),
        # a footnote mark after a word, the note above the page number
        (["要深化改革①，扩大开放。" * 8, "①改革：指全面深化改革。", "- 3 -"], 1),
    ],
)
def test_footnote_needs_a_mark_in_the_text(lines, kept):
    from jianghua.clean import clean_text

    cleaned, removed = clean_text("\n".join(lines))
    assert len([line for line in cleaned.split("\n") if line]) == kept
    assert all(r["kind"] != "footnote" for r in removed) == (kept == 3)
