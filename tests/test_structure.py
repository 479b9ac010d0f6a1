"""Structure: numbered section headings and the warnings about them."""

import pandas as pd
import pytest
from jianghua.structure import (
    check_structure,
    find_sections,
    numeral_value,
    outline,
    sections_and_warnings,
    top_sections,
)


def _outline(sections, max_level=2):
    return [(s["level"], s["label"], s["heading"]) for s in sections if s["level"] <= max_level]


def test_numeral_value():
    assert [numeral_value(x) for x in ("一", "九", "十", "十二", "二十", "二十三")] == [
        1,
        9,
        10,
        12,
        20,
        23,
    ]


def test_three_levels_with_offsets_and_ends():
    body = (
        "同志们:\n下面,我讲两点意见。\n一、认清形势\n(一)成绩。一是增长快。二是结构优。\n"
        "(二)问题。\n二、狠抓落实\n要真抓实干。"
    )
    sections = find_sections(body)
    assert _outline(sections, 3) == [
        (1, "一", "认清形势"),
        (2, "一", "成绩"),
        (3, "一", "增长快"),
        (3, "二", "结构优"),
        (2, "二", "问题"),
        (1, "二", "狠抓落实"),
    ]
    first, sub, item = sections[0], sections[1], sections[2]
    assert body[first["start"] :].startswith("一、认清形势")
    assert first["end"] == body.index("二、狠抓落实")
    assert sub["end"] == body.index("(二)问题")
    assert item["end"] == body.index("二是结构优")
    assert sections[-1]["end"] == len(body)
    assert check_structure(body, sections) == []


def test_run_on_headings_are_cut_at_the_sentence_or_space():
    body = (
        "一、进一步提高执行能力\n(一)要提升精神区位抓落实。省委书记曾指出:要弥补。\n"
        "二、共克时艰,全面深入开展“三服务”活动 新的一年,我们面临的任务很重,要干的工作很多。"
    )
    assert _outline(find_sections(body)) == [
        (1, "一", "进一步提高执行能力"),
        (2, "一", "要提升精神区位抓落实"),
        (1, "二", "共克时艰,全面深入开展“三服务”活动"),
    ]


def test_numbers_inside_sentences_and_lists_are_not_headings():
    body = (
        "一、抓经济\n一、二季度经济回暖,统一是前提。要把三、四月份抓好。\n"
        "他说一是一,二是二。\n二、抓党建\n"
    )
    assert _outline(find_sections(body), 3) == [(1, "一", "抓经济"), (1, "二", "抓党建")]


def test_full_width_brackets_and_restart_under_new_parent():
    body = "一、甲\n（一）甲一\n（二）甲二\n二、乙\n（一）乙一\n"
    assert [(s["level"], s["label"]) for s in find_sections(body)] == [
        (1, "一"),
        (2, "一"),
        (2, "二"),
        (1, "二"),
        (2, "一"),
    ]


def test_skipped_and_repeated_numbers_are_warned():
    body = "一、甲\n(一)甲一\n(三)甲三\n(三)又一个甲三\n二、乙\n"
    sections = find_sections(body)
    assert [(s["level"], s["label"]) for s in sections] == [
        (1, "一"),
        (2, "一"),
        (2, "三"),
        (1, "二"),
    ]
    warnings = check_structure(body, sections)
    assert len(warnings) == 2
    assert "jumps from (一) to (三)" in warnings[0]
    assert "(三) under 一、" in warnings[1] and "not counted as a section" in warnings[1]


def test_announced_count_mismatch_is_warned():
    body = "同志们:\n下面,我讲四点意见。\n一、甲\n内容。\n二、乙\n内容。\n三、丙\n内容。"
    assert check_structure(body, find_sections(body)) == [
        "announces 四点意见 but has 3 level-1 sections: text may be truncated"
    ]


def _sections(seed_corpus, seed_ids, key):
    df = seed_corpus.sections
    return df[df.speech_id == seed_ids[key]].sort_values("start").to_dict("records")


def _problems(seed_corpus, prefix):
    df = seed_corpus.problems
    return list(df[df.source.str.startswith(prefix)].message)


def test_seed_000_sections_and_truncation_warning(seed_corpus, seed_ids):
    sections = _sections(seed_corpus, seed_ids, "000-1")
    assert [s["heading"] for s in sections if s["level"] == 1] == [
        "执行力就是竞争力",
        "执行力就是落实力",
    ]
    # (一) after a colon mid-line still opens the first subsection of 二、
    level2 = [s["label"] for s in sections if s["level"] == 2]
    assert level2 == ["一", "二", "三", "四", "一", "二"]
    assert "announces 三点意见 but has 2 level-1 sections: text may be truncated" in _problems(
        seed_corpus, "000"
    )


def test_seed_001_run_on_subsections(seed_corpus, seed_ids):
    sections = _sections(seed_corpus, seed_ids, "001-1")
    assert [s["heading"] for s in sections if s["level"] == 2] == [
        "要提升精神区位抓落实",
        "要加强工作谋划抓落实",
        "要坚持雷厉风行抓落实",
        "要加强团结协作抓落实",
    ]
    assert any("announces 三个方面的意见 but has 1" in m for m in _problems(seed_corpus, "001"))


def test_seed_002_003_004_level_one_counts(seed_corpus, seed_ids):
    counts = {
        key: sum(1 for s in _sections(seed_corpus, seed_ids, key) if s["level"] == 1)
        for key in ("002-1", "003-1", "004-1")
    }
    assert counts == {"002-1": 2, "003-1": 3, "004-1": 3}
    first = _sections(seed_corpus, seed_ids, "003-1")
    assert [s["heading"] for s in first if s["level"] == 1] == [
        "肯定成绩,进一步增强机关作风建设的紧迫感责任感",
        "共克时艰,全面深入开展“三服务”活动",
        "崇尚实干,大力弘扬求真务实之风",
    ]


def test_seed_sections_point_into_text(seed_corpus):
    texts = dict(zip(seed_corpus.speeches.speech_id, seed_corpus.speeches.text, strict=True))
    for s in seed_corpus.sections.to_dict("records"):
        text = texts[s["speech_id"]]
        assert 0 <= s["start"] < s["end"] <= len(text)
        assert text[s["start"] :].lstrip("(（第").startswith(s["label"])


def test_seed_003_part_2_numbering_warnings(seed_corpus):
    messages = _problems(seed_corpus, "003")
    assert any(
        "part 2: level-2 numbering under 四、 jumps from (一) to (三)" in m for m in messages
    )
    assert any("part 4: announces 四点意见 but has 1 level-1 sections" in m for m in messages)


def test_outline_of_seed_003_part_1(seed_corpus, seed_ids):
    df = seed_corpus.sections
    text = outline(df[df.speech_id == seed_ids["003-1"]])
    assert text.splitlines()[:3] == [
        "一、肯定成绩,进一步增强机关作风建设的紧迫感责任感",
        "二、共克时艰,全面深入开展“三服务”活动",
        "  (一)服务企业,大力帮扶企业发展",
    ]
    assert len(text.splitlines()) == 6


def test_arabic_and_circled_list_items_nest_under_sections():
    body = (
        "一、抓经济\n（一）稳增长\n1.抓项目。全年引资1.5亿元，3、4月份开工。\n2．抓招商。\n"
        "（1）抓签约；（2）抓落地。\n①强化服务。②优化环境。\n3、抓消费\n二、抓党建\n"
    )
    sections = find_sections(body)
    assert [(s["level"], s["label"], s["heading"]) for s in sections] == [
        (1, "一", "抓经济"),
        (2, "一", "稳增长"),
        (3, "1", "抓项目"),
        (3, "2", "抓招商"),
        (3, "1", "抓签约"),
        (3, "2", "抓落地"),
        (3, "①", "强化服务"),
        (3, "②", "优化环境"),
        (3, "3", "抓消费"),
        (1, "二", "抓党建"),
    ]
    assert check_structure(body, sections) == []
    assert "    3.抓消费" in outline(sections, max_level=3).splitlines()


def test_numbers_that_open_a_line_are_not_list_items():
    body = "一、抓经济\n12.5%的增速来之不易。\n1、2月份开局良好。\n2019年是关键一年。\n"
    assert [s["level"] for s in find_sections(body)] == [1]
    assert numeral_value("12") == 12 and numeral_value("③") == 3


def test_top_sections_fall_back_to_level_two_per_speech():
    rows = [("a", s) for s in find_sections("一、甲\n（一）甲一\n（二）甲二\n二、乙\n")]
    rows += [("b", s) for s in find_sections("同志们：\n（一）抓经济\n1.抓项目\n（二）抓党建\n")]
    sections = pd.DataFrame([{"speech_id": sid, **s} for sid, s in rows])
    top = top_sections(sections)
    assert list(zip(top["speech_id"], top["level"], top["heading"], strict=True)) == [
        ("a", 1, "甲"),
        ("a", 1, "乙"),
        ("b", 2, "抓经济"),
        ("b", 2, "抓党建"),
    ]


PARTS = (
    "同志们：\n现在，我代表市委向大会作报告。\n"
    "第一部分 过去五年的工作回顾\n五年来，各项事业取得新成就。\n"
    "一、综合实力显著增强。生产总值年均增长7.1%。\n二、脱贫攻坚全面胜利。贫困人口全部脱贫。\n"
    "第二部分 今后五年的主要任务\n一、坚持创新驱动。研发投入强度达到2.5%。\n"
    "（一）培育新兴产业。\n二、坚持城乡统筹。推进乡村振兴。\n"
    "第三部分 全面加强党的建设\n一、加强党的政治建设。做到两个维护。\n"
)


def test_report_parts_restart_their_numbering_without_warnings():
    found = find_sections(PARTS)
    assert [(s["level"], s["label"], s["heading"]) for s in found] == [
        (0, "一", "过去五年的工作回顾"),
        (1, "一", "综合实力显著增强"),
        (1, "二", "脱贫攻坚全面胜利"),
        (0, "二", "今后五年的主要任务"),
        (1, "一", "坚持创新驱动"),
        (2, "一", "培育新兴产业"),
        (1, "二", "坚持城乡统筹"),
        (0, "三", "全面加强党的建设"),
        (1, "一", "加强党的政治建设"),
    ]
    assert check_structure(PARTS, found) == []
    part_two = found[3]
    assert PARTS[part_two["start"] : part_two["end"]].startswith("第二部分 今后五年")
    assert PARTS[part_two["start"] : part_two["end"]].endswith("推进乡村振兴。\n")


def test_numbering_that_runs_on_through_the_parts_is_kept():
    body = "第一部分 回顾\n一、甲。\n二、乙。\n第二部分 任务\n三、丙。\n四、丁。\n"
    found = find_sections(body)
    assert [s["label"] for s in found if s["level"] == 1] == ["一", "二", "三", "四"]
    assert check_structure(body, found) == []


def test_parts_stay_out_of_top_sections_and_lead_the_outline():
    sections = pd.DataFrame([{"speech_id": "a", **s} for s in find_sections(PARTS)])
    assert list(top_sections(sections)["heading"]) == [
        "综合实力显著增强",
        "脱贫攻坚全面胜利",
        "坚持创新驱动",
        "坚持城乡统筹",
        "加强党的政治建设",
    ]
    assert outline(sections).split("\n")[:2] == [
        "第一部分 过去五年的工作回顾",
        "  一、综合实力显著增强",
    ]


def test_a_sentence_about_a_part_is_not_a_heading():
    found = find_sections("第一部分是回顾。\n一、甲。\n")
    assert [(s["level"], s["label"]) for s in found] == [(1, "一")]


@pytest.mark.parametrize(
    "attachments",
    [
        "附件：1．全区作风建设重点任务清单\n2．全区作风问题专项整治工作方案\n",
        "附件\n1.临河区2023年乡村振兴重点任务分工方案\n2.临河区农村人居环境整治行动计划\n",
        "附件1：全区作风建设重点任务清单\n一、总体要求\n",
    ],
)
def test_the_attachment_list_after_a_speech_holds_no_sections(attachments):
    body = (
        "一、抓作风。\n1.抓学习。\n2.抓纪律。\n二、抓落实。要真抓实干。\n同志们，让我们共同努力！\n"
    )
    found = find_sections(body + attachments)
    assert [(s["level"], s["label"]) for s in found] == [(1, "一"), (3, "1"), (3, "2"), (1, "二")]
    assert found[-1]["end"] == len(body)
    assert check_structure(body + attachments, found) == []


def test_a_sentence_opening_with_the_word_attachment_does_not_end_the_text():
    body = "一、抓作风。\n附件中的清单要逐项落实。\n二、抓落实。\n"
    assert [s["label"] for s in find_sections(body)] == ["一", "二"]


SPOKEN_POINTS = (
    "今天召开全市作风建设大会。下面，我讲三点意见。\n"
    "第一，要充分认识作风建设的重要性。作风建设关系党的生死存亡。\n"
    "1.思想认识不到位。有的干部认为作风建设是软任务。\n"
    "2.工作落实不到位。有的干部习惯于以会议落实会议。\n"
    "第二，要聚焦突出问题精准发力。一是整治形式主义。二是整治官僚主义。\n"
    "第三，要强化责任担当。各级党组织要切实担负起主体责任。\n"
    "同志们，作风建设永远在路上。"
)


def test_paragraphs_opening_with_first_second_third_are_the_main_points():
    sections, warnings = sections_and_warnings(SPOKEN_POINTS)
    assert [(s["level"], s["label"], s["heading"]) for s in sections] == [
        (1, "一", "要充分认识作风建设的重要性"),
        (3, "1", "思想认识不到位"),
        (3, "2", "工作落实不到位"),
        (1, "二", "要聚焦突出问题精准发力"),
        (3, "一", "整治形式主义"),
        (3, "二", "整治官僚主义"),
        (1, "三", "要强化责任担当"),
    ]
    assert warnings == []  # 三点意见 and three points
    assert sections[0]["end"] == sections[3]["start"]


def test_first_second_inside_paragraphs_or_under_headings_stay_list_items():
    inside = "今天讲两点。第一，要提高认识。第二，要狠抓落实。\n同志们，要努力。"
    assert {s["level"] for s in find_sections(inside)} == {3}
    headed = "一、提高认识\n第一，要学习。\n第二，要落实。\n二、狠抓落实\n要落实。"
    assert [s["level"] for s in find_sections(headed)] == [1, 3, 3, 1]
    # 一是… 二是… opening paragraphs, without headings: the main points
    points = "讲三点。\n一是提高认识。要学习。\n二是狠抓落实。要检查。\n三是强化责任。要考核。"
    assert [(s["level"], s["heading"]) for s in find_sections(points)] == [
        (1, "提高认识"),
        (1, "狠抓落实"),
        (1, "强化责任"),
    ]
    # two lists that each restart at 1. are lists, not the outline
    restarts = "提高认识。\n1.学习。\n2.落实。\n狠抓落实。\n1.检查。\n2.考核。"
    assert {s["level"] for s in find_sections(restarts)} == {3}
