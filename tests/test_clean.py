"""The cleaner removes web clutter, records every removal, and never cuts the speech."""

from pathlib import Path

import pandas as pd
import pytest
from jianghua import config
from jianghua.clean import clean_text, load_clutter
from jianghua.split import split_speeches

FIXTURES = Path(__file__).parent / "fixtures" / "clean"


def _seed(name: str) -> str:
    """Return the raw text of the seed file whose name starts with name."""
    (path,) = config.CORPUS_DIR.glob(f"{name}_*.txt")
    return path.read_text(encoding="utf-8")


def _pairs(removed):
    return [(r["kind"], r["text"]) for r in removed]


def test_other_site_clutter_is_removed_exactly():
    text, removed = clean_text((FIXTURES / "other_site.txt").read_text(encoding="utf-8"))
    assert _pairs(removed) == [
        ("breadcrumb", "首页 » 新闻中心 » 领导讲话 » 正文"),
        ("page control", "【字体:大 中 小】"),
        ("page control", "【打印】"),
        ("page control", "【关闭】"),
        ("publish line", "2021-03-05 09:30 来源:区委宣传部"),
        ("photo caption", "(记者 王明 摄)"),
        ("page control", "【字体:大 中 小】"),
        ("publish line", "责任编辑:赵静"),
        ("related links", "上一篇:区委常委会召开专题会议"),
        ("related links", "下一篇:全区春耕生产现场会召开"),
        ("page control", "分享到:微信 微博 QQ空间"),
        ("page control", "扫一扫在手机打开当前页"),
        ("disclaimer", "Copyright © 2021 某区人民政府 版权所有"),
    ]
    lines = text.split("\n")
    assert lines[0] == "在全区作风建设推进会上的讲话"
    assert lines[1] == "同志们:"
    # the inline font widget is cut and the two sentences are joined back
    assert "部署今年任务。去年全区生产总值增长8.5%,前10名的乡镇有3个来自山区" in text
    assert "一、提高认识,切实增强作风建设的紧迫感" in lines
    assert lines[-1] == "要在3月31日前完成自查,对照问题清单逐项整改。"
    assert len(lines) == 8


def test_page_numbers_follow_the_page_sequence():
    text, removed = clean_text((FIXTURES / "page_numbers.txt").read_text(encoding="utf-8"))
    assert _pairs(removed) == [("page number", n) for n in ("2", "3", "4", "5")]
    assert "全市机关干部围绕中心" in text
    assert "抓住了经济建设这个中心" in text
    assert "制定有效措施,充分发挥企业服务110平台作用" in text
    assert "作出了重要贡献。市委、市政府将加强督查" in text
    # numbers that belong to the speech stay, also a spaced one outside the page sequence
    for kept in (
        "增长13%",
        "1000亿",
        "1.3亿",
        "2008年",
        "共有 14 项",
        "前10名",
        "“第二期”",
        "3月31日前",
    ):
        assert kept in text


def test_a_lone_spaced_number_is_not_a_page_number():
    text, removed = clean_text("全市共有 3 个乡镇完成了任务,成绩显著。")
    assert removed == []
    assert text == "全市共有 3 个乡镇完成了任务,成绩显著。"


def test_seed_003_page_numbers_and_watermarks():
    text, removed = clean_text(_seed("003"))
    pages = [r["text"] for r in removed if r["kind"] == "page number"]
    assert pages == [str(n) for n in range(2, 21) if n != 6]
    for joined in (
        "全市机关干部围绕中心",
        "成效是明显的",
        "抓住了经济建设这个中心",
        "取得很大成绩",
        "以即将全面展开的学习实践科学发展观活动为契机",
        "现代科技",
        "组织、红十字会",
        "措施,充分发挥政策",
        "攻坚活动。市委、市政府决定",
        "“三军汇集”",
    ):
        assert joined in text
    for kept in (
        "全市生产总值增长13%",
        "开通金融服务110,",
        "企业服务110平台",
        "1.3亿",
        "3月31日前还没报来",
        "2008年",
    ):
        assert kept in text
    marks = [r["text"] for r in removed if r["kind"] == "watermark"]
    assert marks == [
        "好范文版权所有",
        "(本文权属文秘之音所有,更多文章请登陆www.xiexiebang.com查看)",
    ]
    assert "大家一定要非常重视学习,要勤于学习,善于学习。" in text
    assert "“智囊团”的作用。\n(二)强化宗旨意识" in text
    assert ("related links", "12全文查看") in _pairs(removed)
    assert text.split("\n")[-1].startswith("春节后上班") is False


def test_seed_003_spacing_redaction_and_broken_lines():
    text, removed = clean_text(_seed("003"))
    pairs = _pairs(removed)
    assert ("spacing", "简 报") in pairs and ("spacing", "孙 建 国") in pairs
    assert "孙建国(2009年2月2日)" in text.split("\n")
    # redactions are flagged, never deleted
    runs = [r["text"] for r in removed if r["kind"] == "redaction"]
    assert runs[:2] == ["****", "***"]
    assert "刚才****对机关春节期间的工作" in text
    assert "机关干部要进一步转变工作作风" in text
    assert "思想和行为是否规范" in text
    # a heading glued to its paragraph is put on its own line
    assert "\n二、共克时艰,全面深入开展“三服务”活动\n新的一年," in text


def test_seed_000_breadcrumb_related_links_and_name():
    text, removed = clean_text(_seed("000"))
    assert _pairs(removed) == [
        ("breadcrumb", "当前位置:文档之家› 在“执行力建设年”活动动员大会上的讲话"),
        ("spacing", "张 永 霞"),
        ("related links", "相关主题"),
    ]
    assert text.startswith("在“执行力建设年”活动动员大会上的讲话\n用心执行谋发展 聚力突破求跨越")
    assert "(2009年2月2日)张永霞同志们:" in text
    assert text.endswith("切实做到想干会干、真干巧干。")


def test_seed_001_footer_block_and_redactions():
    text, removed = clean_text(_seed("001"))
    footer = [p for p in _pairs(removed) if p[0] != "redaction"]
    assert footer == [
        (
            "disclaimer",
            "来源:网络整理 免责声明:本文仅限学习分享,如产生版权问题,请联系我们及时删除。",
        ),
        ("disclaimer", "《廉政工作会议讲话稿》"),
        ("disclaimer", "由互联网用户整理提供,转载分享请保留原作者信息,谢谢!"),
        ("url", "http://m.bsmz.net/gongwen/757149.html"),
    ]
    assert [r["text"] for r in removed if r["kind"] == "redaction"] == ["**"] * 11
    assert text.count("**") == 11
    assert text.endswith("促进各项工作更好的开展。")


def test_seed_002_and_004_header_clutter():
    text, removed = clean_text(_seed("002").replace("\xa0", " "))
    assert _pairs(removed) == [
        ("breadcrumb", "您所在的位置:"),
        ("breadcrumb", "首页 > 渝水要闻 > 领导讲话 >"),
        ("publish line", "发布时间: 2015-03-30 来源:区委办公室"),
    ]
    assert text.split("\n")[:4] == [
        "徐文泊在全区三级干部大会上的讲话",
        "在全区三级干部大会上的讲话",
        "徐文泊",
        "同志们:",
    ]
    text, removed = clean_text(_seed("004"))
    assert _pairs(removed) == [("publish line", "时间:2022-06-16 04:50:00")]


def test_output_has_single_newlines_and_no_outer_spaces():
    text, _ = clean_text("  标题  \n\n\n 同志们:  \n\t第一段话,内容。  \n\n")
    assert text == "标题\n同志们:\n第一段话,内容。"


def test_offsets_point_into_the_cleaned_text():
    text, removed = clean_text(_seed("003"))
    watermark = next(r for r in removed if r["text"] == "好范文版权所有")
    line_start = watermark["offset"]
    assert text[line_start:].startswith("(一)强化大局意识")


def test_analyst_patterns_extend_the_defaults(tmp_path):
    (tmp_path / "clutter.yaml").write_text(
        "patterns:\n  - {kind: watermark, scope: inline, regex: '〔内部资料〕'}\n", encoding="utf-8"
    )
    patterns = load_clutter(tmp_path)
    assert len(patterns) == len(load_clutter()) + 1
    text, removed = clean_text("当前位置:首页\n要〔内部资料〕勤于学习,善于学习。", patterns)
    assert text == "要勤于学习,善于学习。"
    assert _pairs(removed) == [("breadcrumb", "当前位置:首页"), ("watermark", "〔内部资料〕")]


def test_a_bad_analyst_pattern_names_the_file(tmp_path):
    (tmp_path / "clutter.yaml").write_text(
        "patterns:\n  - {kind: x, scope: everywhere, regex: 'a'}\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="clutter.yaml: pattern 1 has scope 'everywhere'"):
        load_clutter(tmp_path)


def test_a_long_paragraph_is_never_dropped_by_a_line_pattern():
    paragraph = "来源:" + "各级干部要把作风建设摆在更加突出的位置。" * 12
    text, removed = clean_text(paragraph)
    assert text == paragraph
    assert removed == []


def test_a_numbered_list_is_not_a_page_sequence():
    text = "工作要求如下:\n1 提高认识,统一思想。\n2 加强领导,落实责任。\n3 狠抓落实,务求实效。"
    cleaned, removed = clean_text(text)
    assert cleaned == text
    assert removed == []


def test_stray_spaces_in_paragraphs_are_closed_but_titles_keep_theirs():
    text, removed = clean_text(_seed("003"))
    assert "战胜了严重冰雪灾害,出色做好" in text
    assert "市本级深入开展“百家部门结百企”活动" in text
    assert ("spacing", "雪 灾") in _pairs(removed)
    text, _ = clean_text(_seed("000"))
    assert "用心执行谋发展 聚力突破求跨越" in text


def test_letter_spaced_lines_are_closed_up_before_the_clutter_is_removed():
    raw = (
        "同 志 们 ： 今 天 我 们 召 开 全 区 作 风 建 设 大 会 ， 主 要 任 务 是 抓 落 实 。\n"
        "一 、 提 高 认 识 ， 2 0 1 0 年 G D P 增 长 8 % ， 推 进 WTO 谈 判 。\n"
        "打 印 本 页   关 闭 窗 口\n"
        "用心执行谋发展 聚力突破求跨越\n"
        "出席：张三 李四 王五 赵六 钱七\n"
    )
    text, removed = clean_text(raw)
    assert text.splitlines() == [
        "同志们：今天我们召开全区作风建设大会，主要任务是抓落实。",
        "一、提高认识，2010年GDP增长8%，推进 WTO 谈判。",
        "用心执行谋发展 聚力突破求跨越",
        "出席：张三 李四 王五 赵六 钱七",  # names apart: not letter-spacing
    ]
    # the closed-up page control is then recognised as clutter
    assert ("page control", "打印本页关闭窗口") in _pairs(removed)
    assert [k for k, t in _pairs(removed) if t.startswith("同 志 们")] == ["spacing"]


def test_fan_wen_site_download_buttons_and_thanks_are_removed():
    raw = "\n".join(
        [
            "同志们：",
            "今天会议开得很好。以上就是我讲的几点意见，请大家抓好落实。",
            "以上是我的几点意见。",
            "以上就是小编为大家整理的作风建设讲话稿范文，希望对大家有所帮助。",
            "感谢您的阅读，欢迎下载！",
            "文档为doc格式",
            "【下载文档】",
            "相关热词搜索：作风建设 讲话稿",
        ]
    )
    text, removed = clean_text(raw)
    # the speaker's own 以上就是我讲的… stays
    assert text.splitlines() == raw.splitlines()[:3]
    assert [k for k, _ in _pairs(removed)] == [
        "watermark",
        "page control",
        "page control",
        "page control",
        "related links",
    ]


# ------------------------------------------------------------ speech files of other shapes

BODY = [
    "同志们：",
    "今天，区委召开全区作风建设大会，主要任务是深入贯彻落实上级关于加强作风建设的部署要求，"
    "总结去年以来全区作风建设工作，安排部署今年的重点任务。",
    "一、提高政治站位，充分认识作风建设的重要性和紧迫性",
    "作风建设永远在路上。党的十八大以来，以习近平同志为核心的党中央从制定和落实中央八项规定破题，"
    "以上率下、以身作则，推动党风政风社风民风持续好转。",
    "同志们，作风建设关系人心向背，关系事业成败。让我们以更加务实的作风，奋力开创新局面！",
]
HEADER = ["在全区作风建设大会上的讲话", "区委书记 张三"]


def _load(tmp_path, text: str):
    """Return the single speech row load_corpus makes of text saved as a file."""
    from jianghua import load_corpus

    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "speech.txt").write_text(text, encoding="utf-8")
    corpus = load_corpus(folder)
    (row,) = corpus.speeches.itertuples()
    return row, corpus.removed


@pytest.mark.parametrize(
    "line", ["2019年3月15日", "2019.3.15", "2019/03/15", "2019-3-15", "（2019年3月15日 星期五）"]
)
def test_a_bare_date_under_the_speaker_is_the_speech_date(tmp_path, line):
    text = "\n".join([*HEADER, line, *BODY])
    assert clean_text(text) == (text, [])
    row, _ = _load(tmp_path, text)
    assert (row.speaker, row.date) == ("张三", pd.Timestamp("2019-03-15"))
    assert pd.isna(row.published)


def test_a_bare_date_beside_page_clutter_is_a_publish_line():
    text = "\n".join(["首页 > 领导讲话 > 正文", HEADER[0], "2019-03-16", "来源:区委办公室", *BODY])
    cleaned, removed = clean_text(text)
    assert _pairs(removed) == [
        ("breadcrumb", "首页 > 领导讲话 > 正文"),
        ("publish line", "2019-03-16"),
        ("publish line", "来源:区委办公室"),
    ]
    assert cleaned.split("\n")[:2] == [HEADER[0], "同志们："]
    stamped = "\n".join([HEADER[0], "2019-03-16 20:30", *BODY])
    assert _pairs(clean_text(stamped)[1]) == [("publish line", "2019-03-16 20:30")]


def test_a_bracketed_date_beside_a_publish_line_stays_the_speech_date(tmp_path):
    # a page that prints 发布时间 between the headline and the speech's own (date)
    text = "\n".join([HEADER[0], "发布时间: 2019-03-20 来源:区委办公室", "(2019年3月15日)", *BODY])
    _, removed = clean_text(text)
    assert _pairs(removed) == [("publish line", "发布时间: 2019-03-20 来源:区委办公室")]
    row, _ = _load(tmp_path, text)
    assert (row.date, row.published) == (pd.Timestamp("2019-03-15"), pd.Timestamp("2019-03-20"))


@pytest.mark.parametrize(
    "footer", ["- {} -", "—{}—", "第{}页 共3页", "第 {} 页", "{}/3", "Page {}"]
)
def test_pdf_page_footers_go_and_the_cut_sentence_is_joined(footer):
    pages = [footer.format(n) for n in (1, 2, 3)]
    lines = [*HEADER, BODY[0], BODY[1][:30], pages[0], BODY[1][30:], BODY[2], pages[1]]
    cut = BODY[3].index("、以身作则")  # a page may begin with a comma
    lines += [BODY[3][:cut], pages[2], BODY[3][cut:], BODY[4]]
    text, removed = clean_text("\n".join(lines))
    assert _pairs(removed) == [("page number", page) for page in pages]
    # the heading before page 2 stays on its own line
    assert text == "\n".join([*HEADER, *BODY])


def test_inline_page_footers_go_and_the_word_is_joined():
    text, removed = clean_text("推动党风政 第2页 共5页 风社风民风持续好转，作风建设永远在路上。")
    assert text == "推动党风政风社风民风持续好转，作风建设永远在路上。"
    assert _pairs(removed) == [("page number", "第2页 共5页")]


def test_page_numbers_on_lines_of_their_own_follow_the_page_sequence():
    first, second = BODY[1] + BODY[3] + BODY[1], BODY[3] + BODY[1] + BODY[3]
    lines = [BODY[0], first[:200], "2", first[200:], second[:160], "3", second[160:], BODY[4]]
    text, removed = clean_text("\n".join(lines))
    assert _pairs(removed) == [("page number", "2"), ("page number", "3")]
    assert text == "\n".join([BODY[0], first, second, BODY[4]])
    listed = "工作要求如下:\n1\n提高认识,统一思想。\n2\n加强领导,落实责任。"
    assert clean_text(listed) == (listed, [])


def test_a_short_line_repeated_through_the_text_is_a_watermark():
    mark = "内部资料 注意保存"
    lines = [*HEADER, BODY[0], mark, BODY[1], BODY[2], mark, BODY[3], mark, BODY[4]]
    text, removed = clean_text("\n".join(lines))
    assert _pairs(removed) == [("watermark", mark)] * 3
    assert text == "\n".join([*HEADER, *BODY])


def test_a_speaker_line_repeated_in_a_compilation_stays():
    speech = [HEADER[0], HEADER[1], "（2019年3月15日）", *BODY]
    text = "\n".join(speech * 3)
    assert clean_text(text) == (text, [])


def test_site_watermark_sentences_are_cut_out_of_the_paragraph():
    paragraph = BODY[3] + "本文来源于好范文网，转载请保留出处。" + BODY[1]
    text, removed = clean_text(paragraph)
    assert text == BODY[3] + BODY[1]
    assert _pairs(removed) == [("watermark", "本文来源于好范文网，转载请保留出处。")]
    text, removed = clean_text(BODY[1] + "更多精彩内容请访问我们的网站。")
    assert (text, _pairs(removed)) == (BODY[1], [("watermark", "更多精彩内容请访问我们的网站。")])


def test_notes_around_the_speech_are_recorded_not_counted(tmp_path):
    header = [*HEADER, "（2019年3月15日）", "（根据录音整理，未经本人审阅）"]
    tail = ["（此件发至县处级）", "（作者系某某区委书记）", "原标题：锤炼过硬作风 推动高质量发展"]
    row, removed = _load(tmp_path, "\n".join([*header, *BODY, *tail]))
    assert (row.title, row.speaker, row.date) == (HEADER[0], "张三", pd.Timestamp("2019-03-15"))
    assert row.text == "\n".join(BODY)
    notes = removed[removed.kind != "header"]
    assert list(zip(notes.kind, notes.text, strict=True)) == [
        ("recording note", "（根据录音整理，未经本人审阅）"),
        ("distribution note", "（此件发至县处级）"),
        ("byline", "（作者系某某区委书记）"),
        ("publish line", "原标题：锤炼过硬作风 推动高质量发展"),
    ]


def test_an_editors_note_above_the_title_is_removed(tmp_path):
    note = (
        "编者按：3月15日，区委召开全区作风建设大会，区委书记张三同志出席会议并作重要讲话。"
        "会议总结了去年的工作。现将讲话全文刊发，请各单位认真学习贯彻。"
    )
    row, removed = _load(tmp_path, "\n".join([note, *HEADER, "2019年3月15日", *BODY]))
    assert (row.title, row.speaker, row.date) == (HEADER[0], "张三", pd.Timestamp("2019-03-15"))
    assert row.text == "\n".join(BODY)
    assert ("editor's note", note) in list(zip(removed.kind, removed.text, strict=True))


def test_wechat_article_furniture_is_removed(tmp_path):
    top = [
        "重磅！区委书记张三在全区作风建设大会上的讲话（全文）",
        "点击上方蓝字关注我们",
        "3月15日，全区作风建设大会召开。区委书记张三出席会议并讲话。现将讲话全文刊发如下。",
    ]
    bottom = ["长按识别二维码 关注我们", "点个在看，你最好看", "阅读原文", "关注该公众号"]
    row, removed = _load(tmp_path, "\n".join([*top, *HEADER, "（2019年3月15日）", *BODY, *bottom]))
    assert (row.title, row.speaker, row.date) == (HEADER[0], "张三", pd.Timestamp("2019-03-15"))
    assert row.text == "\n".join(BODY)
    kinds = dict(zip(removed.text, removed.kind, strict=True))
    assert kinds["重磅！"] == kinds["（全文）"] == "headline tag"
    assert [kinds[line] for line in [top[1], *bottom]] == ["wechat"] * 5
    assert kinds[top[2]] == "editor's note"


def test_a_speech_sentence_asking_for_attention_is_not_a_watermark():
    text = BODY[1] + "希望更多的干部群众请关注作风建设，积极参与监督。"
    assert clean_text(text) == (text, [])


def _wrap(paragraph: str, width: int, indent: str = "") -> list[str]:
    """Return the paragraph cut into lines of width characters, as a PDF copy has it."""
    text = indent + paragraph
    return [text[i : i + width] for i in range(0, len(text), width)]


# at width 26 the heading fills a line; without indents or blank lines nothing tells it
# from a heading wrapped onto the next line, so the plain layout is wrapped wider
@pytest.mark.parametrize(("layout", "width"), [("indent", 26), ("blank", 26), ("plain", 28)])
def test_hard_wrapped_lines_are_joined_into_paragraphs(layout, width):
    lines = [*HEADER, ""] if layout == "blank" else list(HEADER)
    for paragraph in BODY:
        lines += _wrap(paragraph, width, "\u3000\u3000" if layout == "indent" else "")
        lines += [""] if layout == "blank" else []
    text, removed = clean_text("\r\n".join(line + " " for line in lines))
    assert text == "\n".join([*HEADER, *BODY])
    assert removed == []


def test_a_hard_wrap_never_splits_a_number_or_a_quotation():
    lines = [
        "在全县安全生产工作会议上的讲话",
        "县委书记 李明华",
        "  （一）全面开展隐患排查整治。各乡镇、各部门要立即组织力量，对",
        "辖区内企业进行一次拉网式排查，做到不留死角、不留盲区。",
        "  去年全县共发生各类生产安全事故12起，同比下降2",
        "0%，安全生产形势总体平稳，但是一些企业主体责任落实不到位",
        "，安全投入不足、隐患排查流于形式的问题比较突出。要把“",
        "一岗双责”落到实处。",
    ]
    text, _ = clean_text("\n".join(lines))
    assert text.split("\n")[2:] == [
        "（一）全面开展隐患排查整治。各乡镇、各部门要立即组织力量，对辖区内企业进行一次拉网式排查，"
        "做到不留死角、不留盲区。",
        "去年全县共发生各类生产安全事故12起，同比下降20%，安全生产形势总体平稳，但是一些企业主体"
        "责任落实不到位，安全投入不足、隐患排查流于形式的问题比较突出。要把“一岗双责”落到实处。",
    ]


def test_a_running_head_at_two_page_breaks_of_a_wrapped_text_goes():
    body = [line for paragraph in BODY for line in _wrap(paragraph, 26, "\u3000\u3000")]
    head = "张三同志在全区作风建设大会上的讲话"
    lines = [*HEADER, *body[:4], "", "- 1 -", "", head, *body[4:7], "- 2 -", head, *body[7:]]
    text, removed = clean_text("\n".join(lines))
    assert text == "\n".join([*HEADER, *BODY])
    assert _pairs(removed) == [
        ("page number", "- 1 -"),
        ("running head", head),
        ("page number", "- 2 -"),
        ("running head", head),
    ]


def test_the_title_repeated_once_at_a_page_break_of_a_wrapped_text_goes():
    body = [line for paragraph in BODY for line in _wrap(paragraph, 26, "\u3000\u3000")]
    lines = [*HEADER, *body[:7], "第1页", HEADER[0], *body[7:]]
    text, removed = clean_text("\n".join(lines))
    assert text == "\n".join([*HEADER, *BODY])
    assert _pairs(removed) == [("page number", "第1页"), ("running head", HEADER[0])]


def test_one_line_paragraphs_of_similar_length_are_not_joined():
    lines = [
        "在全区作风建设大会上的讲话",
        "作风建设永远在路上，全区上下要持之以恒。",
        "以上率下、以身作则，推动党风政风持续好转。",
        "坚持问题导向，坚决纠治形式主义官僚主义。",
        "强化责任落实，推动作风建设常态长效化。",
    ]
    text = "\n".join(lines)
    assert clean_text(text) == (text, [])


def test_an_english_abstract_and_keywords_go_and_the_speech_stays():
    abstract = (
        "Abstract: The county Party secretary stressed the importance of work safety during "
        "the Spring Festival and required all townships to carry out thorough inspections."
    )
    keywords = "Key words: work safety; hazard inspection; responsibility"
    lines = [*HEADER, abstract, keywords, *BODY]
    text, removed = clean_text("\n".join(lines))
    assert text == "\n".join([*HEADER, *BODY])
    assert _pairs(removed) == [("english abstract", abstract), ("english abstract", keywords)]
    chinese = "Keywords: 作风建设；形式主义"  # a Chinese keyword list is not an English abstract
    assert clean_text(chinese) == (chinese, [])


@pytest.mark.parametrize("line", ["————分割线————", "＊＊＊", "* * *", "———————", "※※※"])
def test_a_separator_between_compiled_speeches_goes(line):
    lines = [*HEADER, *BODY, line, "在全县安全生产工作会议上的讲话", "县委书记 李四", *BODY]
    text, removed = clean_text("\n".join(lines))
    assert text == "\n".join(
        [*HEADER, *BODY, "在全县安全生产工作会议上的讲话", "县委书记 李四", *BODY]
    )
    assert _pairs(removed) == [("separator", line)]
    assert len(split_speeches(text)) == 2  # split finds the speeches without the separator
    subtitle = "——在全区作风建设大会上的讲话"  # a subtitle opens with dashes but is no separator
    assert clean_text(subtitle) == (subtitle, [])
