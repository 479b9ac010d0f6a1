"""Speeches saved from real kinds of web page: WeChat, news portals, government and 范文 sites."""

import pandas as pd
import pytest
from jianghua import load_corpus
from jianghua.clean import clean_text

TITLE = "在全区作风建设动员大会上的讲话"
BODY = [
    "同志们：",
    "今天，区委召开全区作风建设动员大会，主要任务是深入贯彻落实中央八项规定精神和省委、市委关于"
    "作风建设的部署要求，动员全区上下进一步转变作风、提升效能。下面，我讲两点意见。",
    "一、提高政治站位，充分认识加强作风建设的重要性",
    "作风建设是党的建设的重要内容，事关人心向背，事关事业成败。近年来，全区各级党组织认真落实"
    "作风建设各项要求，干部队伍精神面貌明显改善，但一些干部不作为、慢作为的问题依然存在。",
    "二、压实工作责任，确保作风建设取得实效",
    "各级党组织书记要履行第一责任人职责，班子成员要落实“一岗双责”。对顶风违纪的，发现一起、"
    "查处一起、通报一起，绝不姑息。同志们，作风建设永远在路上，让我们奋力开创新局面！",
]


def _load(tmp_path, page: str, encoding: str = "utf-8", name: str = "page.html"):
    """Return (the one speech row, removed rows) of a web page loaded alone."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / name).write_bytes(page.encode(encoding))
    corpus = load_corpus(folder, cache=False)
    (row,) = corpus.speeches.itertuples()
    return row, corpus.removed


def _kinds(removed, kind: str) -> list[str]:
    """Return the removed texts of one kind, in order."""
    return removed[removed.kind == kind].text.tolist()


def _tagged(tag: str, lines) -> str:
    """Return the lines each wrapped in the tag."""
    return "".join(f"<{tag}>{line}</{tag}>" for line in lines)


def test_wechat_article_in_bare_sections_keeps_every_paragraph(tmp_path):
    page = (
        '<html><head><meta charset="utf-8"><title>区委书记张建国讲话</title></head><body>'
        '<div id="js_article"><h1 id="activity-name">重磅！区委书记张建国在全区作风建设动员大会上的'
        '讲话（全文）</h1><div id="meta_content"><span>原创</span> <a id="js_name">清风某某</a> '
        '<em id="publish_time">2021-03-10 18:30</em></div>'
        '<div class="rich_media_content" id="js_content" style="visibility: hidden;">'
        "<section><span>点击上方蓝字关注我们</span></section>"
        + _tagged("section", BODY)
        + "<section>编辑：刘洋</section><section>往期推荐</section>"
        "<section><a>● 区委常委会召开会议</a></section><section>长按二维码关注我们</section>"
        '</div></div><a id="js_view_source">阅读原文</a><div>喜欢此内容的人还喜欢</div>'
        "<div>在看</div><div>点赞</div></body></html>"
    )
    row, removed = _load(tmp_path, page)
    assert row.text.split("\n") == BODY
    assert (row.title, row.speaker) == ("区委书记张建国在全区作风建设动员大会上的讲话", "张建国")
    assert row.published == pd.Timestamp("2021-03-10")
    buttons = ["点击上方蓝字关注我们", "长按二维码关注我们", "在看", "点赞"]
    assert _kinds(removed, "wechat") == buttons
    assert "往期推荐" in _kinds(removed, "related links")
    assert "喜欢此内容的人还喜欢" in _kinds(removed, "related links")
    assert _kinds(removed, "publish line") == ["原创 清风某某 2021-03-10 18:30", "编辑：刘洋"]


def test_news_portal_editor_credits_are_removed(tmp_path):
    page = (
        f'<html><head><meta charset="gbk"><title>{TITLE}--地方领导--人民网</title></head><body>'
        f'<div class="text_title"><h1>{TITLE}</h1><div class="box01">2021年03月10日08:25 | 来源：'
        f'<a>人民网－地方领导频道</a></div></div><div id="rwb_zw">{_tagged("p", BODY)}'
        '<div class="edit">(责任编辑：王晓丽、李军)</div>'
        '<p><a>【纠错】</a><span class="editor">【责任编辑:刘阳 】</span></p></div>'
        '<div class="share">分享让更多人看到</div></body></html>'
    )
    row, removed = _load(tmp_path, page, encoding="gbk")
    assert row.text.split("\n") == BODY
    assert (row.title, row.published) == (TITLE, pd.Timestamp("2021-03-10"))
    credits = ["(责任编辑：王晓丽、李军)", "【纠错】【责任编辑:刘阳 】"]
    assert _kinds(removed, "publish line")[-2:] == credits


def test_photo_captions_and_a_date_first_publish_stamp(tmp_path):
    page = (
        f'<html><head><meta charset="utf-8"><title>{TITLE} - 某某县新闻网</title></head><body>'
        f'<div class="article"><h1>{TITLE}</h1>'
        '<p class="time">2021-03-10 10:20:11 来源：某某日报 作者：记者 王芳</p>'
        '<div class="content">'
        '<p><img src="a.jpg"></p><p>图为会议现场</p>'
        + _tagged("p", BODY[:3])
        + '<p><img src="b.jpg"></p><p>图为区委书记张建国在会上讲话。</p>'
        + _tagged("p", BODY[3:])
        + "</div></div></body></html>"
    )
    row, removed = _load(tmp_path, page)
    assert row.text.split("\n") == BODY
    assert row.published == pd.Timestamp("2021-03-10")
    assert _kinds(removed, "photo caption") == ["图为会议现场", "图为区委书记张建国在会上讲话。"]
    assert _kinds(removed, "publish line") == ["2021-03-10 10:20:11 来源：某某日报 作者：记者 王芳"]


def test_fanwen_headline_quoted_in_a_closing_sentence_still_gives_the_title(tmp_path):
    headline = "区委书记在作风建设动员大会上的讲话"
    page = (
        f'<html><head><meta charset="gbk"><title>{headline}范文_好范文网</title></head><body>'
        f'<div class="article"><h1>{headline}</h1>'
        '<div class="info">时间：2021-03-11 作者：网友投稿 <a>下载文档</a></div>'
        f'<div class="content">{_tagged("p", BODY)}'
        f"<p>以上就是小编为大家整理的{headline}，希望对大家有所帮助。</p></div></div></body></html>"
    )
    row, removed = _load(tmp_path, page, encoding="gbk")
    assert row.text.split("\n") == BODY
    assert (row.title, row.published) == (headline, pd.Timestamp("2021-03-11"))
    assert _kinds(removed, "watermark") == [
        f"以上就是小编为大家整理的{headline}，希望对大家有所帮助。"
    ]


def test_public_information_page_of_a_county_site(tmp_path):
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        f"<title>张建国同志{TITLE}_领导讲话_某某区人民政府门户网站</title></head><body>"
        '<div class="position">当前位置：<a>首页</a> &gt; <a>政务公开</a> &gt; 领导讲话</div>'
        '<table class="xxgk"><tr><td>索引号：</td><td>000014349/2021-00312</td><td>主题分类：</td>'
        "<td>综合政务</td></tr><tr><td>发文机关：</td><td>中共某某区委办公室</td><td>成文日期：</td>"
        f"<td>2021年03月08日</td></tr><tr><td>标　　题：</td><td colspan=3>张建国同志{TITLE}</td>"
        f"</tr></table><h1>张建国同志{TITLE}</h1>"
        '<div class="property"><span>发布时间：2021-03-10 16:25</span> '
        "<span>来源：区委办</span></div>"
        '<div class="TRS_Editor"><p align="center"><font face="楷体_GB2312">区委书记　张建国</font>'
        f"</p>{_tagged('p', BODY)}</div>"
        '<div class="bottom">【<a>打印本页</a>】 【<a>关闭窗口</a>】</div></body></html>'
    )
    row, removed = _load(tmp_path, page, encoding="gbk")
    assert row.text.split("\n") == BODY
    assert (row.title, row.speaker, row.role) == (TITLE, "张建国", "区委书记")
    assert (row.date, row.published) == (pd.Timestamp("2021-03-08"), pd.Timestamp("2021-03-10"))
    assert _kinds(removed, "publish line") == ["发布时间：2021-03-10 16:25 来源：区委办"]


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("分享让更多人看到", "page control"),
        ("在看 点赞 分享", "wechat"),
        ("阅读 10万+", "wechat"),
        ("原创", "wechat"),
        ("（责任编辑：王晓丽）", "publish line"),
        ("图为会议现场", "photo caption"),
        ("原创 某某区融媒体中心 清风某某 2021-03-10 18:30 发表于江西", "publish line"),
        ("责编：李四", "publish line"),
        ("来源 | 某某发布", "publish line"),
        ("（完）", "end mark"),
        ("【我要纠错】", "page control"),
    ],
)
def test_web_furniture_line_is_removed_with_its_kind(line, kind):
    text, removed = clean_text("\n".join([BODY[1], line, BODY[3]]))
    assert text.split("\n") == [BODY[1], BODY[3]]
    assert [(r["kind"], r["text"]) for r in removed] == [(kind, line)]


@pytest.mark.parametrize(
    "line",
    [
        "在看到成绩的同时，我们也要清醒认识到存在的问题。",
        "点赞是对干部的激励，要让实干者得到实惠。",
        "文字是记录历史的载体。",
    ],
)
def test_speech_lines_like_web_buttons_stay(line):
    assert clean_text("\n".join([BODY[1], line, BODY[3]]))[0].split("\n")[1] == line
