"""Compilations are split into one text per speech, with their covers removed and reported."""

from pathlib import Path

from jianghua import config
from jianghua.clean import clean_text
from jianghua.split import split_document, split_speeches
from jianghua.structure import sections_and_warnings

FIXTURES = Path(__file__).parent / "fixtures" / "clean"


def _cleaned(name: str) -> str:
    """Return the cleaned text of the seed file whose name starts with name."""
    (path,) = config.CORPUS_DIR.glob(f"{name}_*.txt")
    return clean_text(path.read_text(encoding="utf-8"))[0]


def test_seed_003_gives_five_speeches_with_their_titles_first():
    texts = split_speeches(_cleaned("003"))
    assert len(texts) == 5
    firsts = [t.split("\n")[0] for t in texts]
    assert firsts == [
        "在全市机关干部大会上的讲话",
        "在机关干部大会上的讲话",
        "在机关干部大会上的讲话",
        "在机关干部大会上的讲话",
        "在全市机关干部大会上的讲话",
    ]
    assert texts[0].split("\n")[1:3] == ["孙建国(2009年2月2日)", "同志们:"]
    assert texts[2].split("\n")[1].startswith("刚才****对机关春节期间的工作")
    assert texts[3].endswith("基层组织是我们联系职工群众的桥梁和纽带")
    assert not any("第一篇" in t or "第四篇" in t for t in texts)


def test_seed_003_cover_lines_go_to_part_one_only():
    parts = split_document(_cleaned("003"))
    covers = [[r["text"] for r in p.removed if r["kind"] == "cover"] for p in parts]
    assert covers[0] == [
        "“创建学习型机关、争做学习型干部”学习活动",
        "简报",
        "第二期",
        "衢州市安监局“创建学习型机关、争做",
        "学习型干部”活动领导小组办公室编印 二○○九 年二月六日",
    ]
    assert covers[1:] == [[], [], [], []]
    assert "简报" not in parts[0].text and "编印" not in parts[0].text


def test_seed_003_markers_and_title_echoes_are_recorded():
    parts = split_document(_cleaned("003"))
    headers = [[r["text"] for r in p.removed if r["kind"] == "header"] for p in parts]
    assert headers[0] == ["第一篇", "在全市机关干部大会上的讲话"]
    assert headers[2] == ["第三篇"]
    assert headers[3] == ["第四篇", "在机关干部大会上的讲话", "在机关干部大会上的讲话"]


def test_parts_cover_the_input_in_order():
    text = _cleaned("003")
    parts = split_document(text)
    assert parts[0].start == 0
    assert [p.start for p in parts[1:]] == [p.end + 1 for p in parts[:-1]]
    assert parts[-1].end == len(text)
    assert text[parts[1].start :].startswith("第二篇:在机关干部大会上的讲话")


def test_repeated_title_blocks_split_without_markers():
    texts = split_speeches((FIXTURES / "two_titles.txt").read_text(encoding="utf-8"))
    assert [t.split("\n")[:3] for t in texts] == [
        ["在全县春季农业生产会议上的讲话", "王建华", "同志们:"],
        ["在全县安全生产工作会议上的讲话", "李明", "同志们:"],
    ]
    assert texts[0].endswith("我们必须保持清醒头脑。")


def test_a_single_speech_stays_whole():
    text = _cleaned("002")
    assert split_speeches(text) == [text]
    parts = split_document(_cleaned("004"))
    assert len(parts) == 1
    # the repeated title line of 004 is recorded and dropped
    assert [(r["kind"], r["text"]) for r in parts[0].removed] == [
        ("header", "在执政效能攻坚工程会上的发言")
    ]
    assert parts[0].text.split("\n")[:2] == [
        "在执政效能攻坚工程会上的发言",
        "一、实施“提升执政效能攻坚工程”,是抢抓发展机遇、加快推进地区经济社会又好又快发展的有力保证。"
        "当前,地区改革发展稳定正处在一个关键节点,今年是“十一五”发展规划的收官之年,"
        "“十二五”发展规划将在明年全面启动实施。",
    ]


def test_compilation_title_above_the_first_marker_is_cover():
    text = "领导讲话稿范文(精选2篇)\n" + _cleaned("003").split("第三篇:")[0].rstrip()
    parts = split_document(text)
    assert len(parts) == 2
    assert parts[0].removed[0] == {"kind": "cover", "text": "领导讲话稿范文(精选2篇)"}
    assert parts[0].text.startswith("在全市机关干部大会上的讲话\n孙建国")


def test_a_speech_above_the_first_title_block_is_kept_as_its_own_part():
    fixture = (FIXTURES / "two_titles.txt").read_text(encoding="utf-8")
    first, second = fixture.split("在全县安全生产工作会议上的讲话")
    text = first.split("同志们:\n", 1)[1] + "在全县安全生产工作会议上的讲话" + second
    texts = split_speeches(text + "\n在全县防汛工作会议上的讲话\n同志们:\n" + first[-300:])
    assert len(texts) == 3
    assert texts[0].startswith("今天召开全县春季农业生产会议")
    assert texts[1].startswith("在全县安全生产工作会议上的讲话\n李明\n同志们:")


def _raw(name: str) -> str:
    """Return the raw text of the seed file whose name starts with name."""
    (path,) = config.CORPUS_DIR.glob(f"{name}_*.txt")
    return path.read_text(encoding="utf-8")


def test_two_web_copies_pasted_into_one_file_give_two_speeches():
    # 000 ends in a 相关主题 links list, 002 opens with its page's breadcrumb and title block
    text, _ = clean_text(_raw("000") + "\n" + _raw("002"))
    texts = split_speeches(text)
    assert len(texts) == 2
    assert texts[0] == _cleaned("000")
    assert texts[1] == _cleaned("002")  # as if read from its own file


def test_one_title_block_below_a_short_preface_does_not_split():
    preface = (
        "本报讯 2月28日，全区三级干部大会召开。区委书记徐文泊出席会议并讲话。以下是讲话全文。\n"
    )
    text = preface + _cleaned("002")
    assert split_speeches(text) == [text]


def test_a_main_title_above_a_subtitle_opens_the_next_part():
    fixture = (FIXTURES / "two_titles.txt").read_text(encoding="utf-8")
    first, second = fixture.split("在全县安全生产工作会议上的讲话")
    text = first + "守住底线 护航发展\n——在全县安全生产工作会议上的讲话" + second
    texts = split_speeches(text)
    assert len(texts) == 2
    assert texts[0].endswith("我们必须保持清醒头脑。")
    assert texts[1].split("\n")[:4] == [
        "守住底线 护航发展",
        "——在全县安全生产工作会议上的讲话",
        "李明",
        "同志们:",
    ]


def test_numbered_speech_titles_of_a_compilation_split_and_lose_their_numbers():
    fixture = (FIXTURES / "two_titles.txt").read_text(encoding="utf-8")
    first, second = fixture.split("在全县安全生产工作会议上的讲话")
    first = first.replace(
        "在全县春季农业生产会议上的讲话", "一、王建华同志在全县春季农业生产会议上的讲话"
    )
    text = (
        "全县工作会议材料汇编\n" + first + "二、李明同志在全县安全生产工作会议上的总结讲话" + second
    )
    parts = split_document(text)
    assert len(parts) == 2
    assert [p.text.split("\n")[:2] for p in parts] == [
        ["王建华同志在全县春季农业生产会议上的讲话", "王建华"],
        ["李明同志在全县安全生产工作会议上的总结讲话", "李明"],
    ]
    assert parts[0].removed[:2] == [
        {"kind": "cover", "text": "全县工作会议材料汇编"},
        {"kind": "header", "text": "一、"},
    ]
    assert {"kind": "header", "text": "二、"} in parts[1].removed
    # section headings of the speeches keep their numbers
    assert "\n一、认清形势,增强抓好春耕生产的责任感" in parts[0].text


def _contents_compilation(salutation: str) -> str:
    """Return a compilation with a cover, a table of contents and three speeches."""
    talks = [("王建国", "全市优化营商环境工作推进会"), ("李明华", "全县安全生产工作会议")]
    talks.append(("赵志刚", "全区乡村振兴工作会议"))
    toc = [
        f"{name}同志在{meeting}上的讲话………………{3 + 8 * i}" for i, (name, meeting) in enumerate(talks)
    ]
    parts = [
        f"在{meeting}上的讲话\n〔讲话人〕{name}\n（2021年4月8日）\n{salutation}"
        f"今天召开{meeting}，主要任务是总结工作、部署任务，推动各项举措落地见效。"
        * 3
        + "\n一、提高认识。要把思想统一到决策部署上来。\n"
        for name, meeting in talks
    ]
    return "领导讲话汇编\n中共临河市委办公室编\n目录\n" + "\n".join(toc) + "\n\n" + "\n".join(parts)


def test_contents_entries_split_a_compilation_without_salutations():
    parts = split_document(_contents_compilation(""))
    assert [p.text.split("\n")[:2] for p in parts] == [
        ["在全市优化营商环境工作推进会上的讲话", "〔讲话人〕王建国"],
        ["在全县安全生产工作会议上的讲话", "〔讲话人〕李明华"],
        ["在全区乡村振兴工作会议上的讲话", "〔讲话人〕赵志刚"],
    ]
    assert parts[0].text.endswith("一、提高认识。要把思想统一到决策部署上来。")
    kinds = [(r["kind"], r["text"][:6]) for r in parts[0].removed]
    assert kinds == [
        ("cover", "领导讲话汇编"),
        ("cover", "中共临河市委"),
        ("contents", "目录"),
        ("contents", "王建国同志在"),
        ("contents", "李明华同志在"),
        ("contents", "赵志刚同志在"),
    ]
    assert parts[1].removed == [] and parts[2].removed == []


def test_contents_above_speeches_with_salutations_is_no_part_of_its_own():
    parts = split_document(_contents_compilation("同志们：\n"))
    assert len(parts) == 3
    assert parts[0].text.startswith("在全市优化营商环境工作推进会上的讲话\n")
    assert sum(r["kind"] == "contents" for r in parts[0].removed) == 4


def test_a_title_in_the_body_that_the_contents_do_not_list_does_not_split():
    text = (
        _contents_compilation("") + "在全市教育工作会议上的讲话\n今天开会。" + "要抓好落实。" * 20
    )
    assert len(split_document(text)) == 3


def _speech_with_points(contents: str) -> str:
    """Return a speech with three 一、 points, and contents lines above its salutation."""
    points = [
        ("一、统一思想认识", "作风建设是永恒课题。" + "要抓好落实。" * 30),
        ("二、明确目标任务", "今年要实现三个目标。" + "要压实责任。" * 30),
        ("三、强化工作保障", "各级各部门要加强领导。" + "要强化督查。" * 30),
    ]
    body = "\n".join(f"{heading}\n{paragraph}" for heading, paragraph in points)
    return (
        f"在全区作风建设大会上的讲话\n区委书记 张三\n{contents}同志们：\n"
        f"今天召开会议，动员全区上下狠抓作风建设。下面，我讲三点意见。\n{body}"
    )


def test_contents_without_page_numbers_below_its_heading_line_is_removed():
    # a web copy of a contents page: 目录, then the headings without leaders or numbers
    text = _speech_with_points("目录\n一、统一思想认识\n二、明确目标任务\n三、强化工作保障\n")
    (part,) = split_document(text)
    assert [r["text"] for r in part.removed if r["kind"] == "contents"] == [
        "目录",
        "一、统一思想认识",
        "二、明确目标任务",
        "三、强化工作保障",
    ]
    assert part.text.count("一、统一思想认识") == 1
    secs, warnings = sections_and_warnings(part.text)
    assert [s["heading"] for s in secs if s["level"] == 1] == [
        "统一思想认识",
        "明确目标任务",
        "强化工作保障",
    ]
    assert warnings == []


def test_short_lines_found_again_below_are_kept_without_a_contents_heading():
    # the same lines with no 目录 above them are the speech's own words: they stay
    (part,) = split_document(_speech_with_points("一、统一思想认识\n二、明确目标任务\n"))
    assert not [r for r in part.removed if r["kind"] == "contents"]
    assert part.text.count("一、统一思想认识") == 2


def test_fan_wen_site_markers_split_a_compilation():
    # 范文 sites number their speeches 篇一：title, or 【篇二】 on a line of its own
    text = "\n".join(
        [
            "作风建设讲话稿范文（精选3篇）",
            "篇一：在全区执行力建设年活动动员大会上的讲话",
            _cleaned("000"),
            "【篇二】",
            "执政效能攻坚工程发言稿",
            _cleaned("004"),
            "范文三：机关作风建设会议讲话",
            _cleaned("001"),
        ]
    )
    parts = split_document(text)
    assert len(parts) == 3
    assert [p.text.split("\n")[0] for p in parts] == [
        "在全区执行力建设年活动动员大会上的讲话",
        "执政效能攻坚工程发言稿",
        "机关作风建设会议讲话",
    ]
    assert [p.removed[0] for p in parts[1:]] == [
        {"kind": "header", "text": "【篇二】"},
        {"kind": "header", "text": "范文三"},
    ]
    assert {"kind": "header", "text": "篇一"} in parts[0].removed


def test_a_cover_notice_above_a_circulated_speech_is_removed():
    notice = [
        "各乡镇党委，区直各单位：",
        "现将区委书记王明同志在全区作风建设大会上的讲话印发给你们，请认真学习贯彻。",
        "中共某某区委办公室",
        "2019年3月15日",
    ]
    speech = [
        "在全区作风建设大会上的讲话",
        "（2019年3月12日）",
        "同志们：",
        "今天开会。下面讲三点。",
    ]
    (part,) = split_document("\n".join(notice + speech))
    assert part.text.split("\n") == speech
    assert part.removed == [{"kind": "cover notice", "text": line} for line in notice]
    # the same sentence inside a speech is the speaker's words
    said = ["同志们：", "今天开会。", "现将有关要求印发给你们，请抓好落实。", "2019年3月15日"]
    assert split_speeches("\n".join(said)) == ["\n".join(said)]
