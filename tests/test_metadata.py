"""Metadata: header splitting, dates, speaker, occasion, level, place and analyst overrides."""

import pandas as pd
import pytest
from jianghua import config
from jianghua.metadata import (
    apply_overrides,
    date_in_name,
    extract_metadata,
    is_name,
    load_rules,
    parse_date,
    split_header,
    split_signature,
)

FIXTURES = config.TESTS_DIR / "fixtures" / "metadata"


def _meta(text, context=()):
    """Return (header lines, body, metadata) for a whole speech text."""
    header, offset = split_header(text)
    body = text[offset:]
    return header, body, extract_metadata(header, body, list(context))


def _fixture(name):
    return (FIXTURES / name).read_text(encoding="utf-8")


# ------------------------------------------------------------ dates


@pytest.mark.parametrize(
    "text, expected",
    [
        ("(2009年2月2日)", "2009-02-02"),
        ("——2015年3月5日在第十二届全国人民代表大会第三次会议上", "2015-03-05"),
        ("发布时间: 2015-03-30 来源:区委办公室", "2015-03-30"),
        ("时间:2022-06-16 04:50:00", "2022-06-16"),
        ("2015.3.5", "2015-03-05"),
        ("2015/3/5", "2015-03-05"),
        ("２０２１年１月２７日", "2021-01-27"),
        ("学习型干部”活动领导小组办公室编印 二○○九 年二月六日", "2009-02-06"),
        ("二〇二〇年十二月三十一日", "2020-12-31"),
        ("二零一八年三月十二日", "2018-03-12"),
    ],
)
def test_parse_date_reads_many_forms(text, expected):
    assert parse_date(text) == pd.Timestamp(expected)


@pytest.mark.parametrize("text", ["2015年2月30日", "2015年", "今天是228日", "国发〔201462号", ""])
def test_parse_date_rejects_partial_or_impossible_dates(text):
    assert pd.isna(parse_date(text))


# ------------------------------------------------------------ header


def test_split_header_stops_inside_a_run_on_line():
    text = (
        "用心执行谋发展 聚力突破求跨越——在全区“执行力建设年”活动动员大会上的讲话"
        "(2009年2月2日)张 永 霞同志们:宏伟蓝图,执行为要。\n今天上午,我们隆重召开了大会。"
    )
    header, offset = split_header(text)
    assert text[offset:].startswith("同志们:宏伟蓝图")
    assert header == [
        "用心执行谋发展 聚力突破求跨越——在全区“执行力建设年”活动动员大会上的讲话",
        "(2009年2月2日)",
        "张 永 霞",
    ]


def test_split_header_repeated_web_titles_end_at_salutation():
    text = (
        "徐文泊在全区三级干部大会上的讲话\n\n在全区三级干部大会上的讲话\n\n徐文泊\n \n"
        "同志们:\n\n今天是农历正月初十。"
    )
    header, offset = split_header(text)
    assert header == ["徐文泊在全区三级干部大会上的讲话", "在全区三级干部大会上的讲话", "徐文泊"]
    assert text[offset:].startswith("同志们:")


def test_split_header_without_salutation_ends_at_first_paragraph():
    text = (
        "在执政效能攻坚工程会上的发言\n一、实施攻坚工程,是有力保证。当前,地区发展正处在关键节点。"
    )
    header, offset = split_header(text)
    assert header == ["在执政效能攻坚工程会上的发言"]
    assert text[offset:].startswith("一、实施")


def test_split_header_keeps_the_address_chain_with_the_salutation():
    text = "在全市大会上的讲话\n尊敬的各位领导、各位来宾,同志们:\n今天召开大会。"
    header, offset = split_header(text)
    assert header == ["在全市大会上的讲话"]
    assert text[offset:].startswith("尊敬的各位领导")


def test_split_header_none_when_text_opens_with_the_body():
    assert split_header("同志们:\n今天这次会议,主要任务是落实全县会议精神。") == ([], 0)
    assert split_header("今天这次会议,主要任务是落实全县会议精神。下面讲三点。") == ([], 0)


# ------------------------------------------------------------ names


@pytest.mark.parametrize("name", ["张永霞", "徐文泊", "欧阳晓峰", "雪克来提·扎克尔", "李鹏"])
def test_is_name_accepts_names(name):
    assert is_name(name)


@pytest.mark.parametrize("name", ["**", "张**", "简报", "同志们", "在全区", "区委办公室", "讲话"])
def test_is_name_rejects_redactions_and_words(name):
    assert not is_name(name)


def test_redacted_speaker_is_missing():
    text = "在全县经济工作会议上的讲话\n**(2015年2月12日)\n同志们:\n今天这次会议很重要。"
    _, _, meta = _meta(text)
    assert pd.isna(meta["speaker"])
    assert meta["date"] == pd.Timestamp("2015-02-12")


def test_public_information_table_gives_title_speaker_and_dates():
    # 政府信息公开 pages: a table of fields above the speech, one row per line once read
    header = [
        "索引号： 11360702MB1234567X/2019-00123 主题分类： 综合政务",
        "发文机关： 章贡区人民政府办公室 成文日期： 2019-03-12",
        "标 题： 王明同志在全区作风建设大会上的讲话",
        "发文字号： 发布日期： 2019-03-15",
    ]
    meta = extract_metadata(header, "同志们:今天召开全区作风建设大会。")
    assert meta["title"] == "在全区作风建设大会上的讲话"
    assert meta["speaker"] == "王明"
    assert meta["date"] == pd.Timestamp("2019-03-12")  # 成文日期: the document's date
    assert meta["published"] == pd.Timestamp("2019-03-15")
    assert meta["occasion"] == "全区作风建设大会"


def test_public_information_page_loads_with_its_fields(tmp_path):
    from jianghua.corpus import load_corpus

    (tmp_path / "page.html").write_bytes((FIXTURES / "public_info.html").read_bytes())
    corpus = load_corpus(tmp_path, cache=False)
    row = corpus.speeches.iloc[0]
    assert (row["title"], row["speaker"]) == ("在全区作风建设大会上的讲话", "王明")
    assert (row["date"], row["published"]) == (
        pd.Timestamp("2019-03-12"),
        pd.Timestamp("2019-03-15"),
    )
    assert row["text"].startswith("同志们：\n今天我们召开全区作风建设大会")
    assert "索引号" not in row["text"] and "分享到" not in row["text"]


def test_a_date_in_the_speech_header_comes_before_the_public_information_date():
    header = ["成文日期：2019-03-20", "在全区作风建设大会上的讲话", "(2019年3月12日)"]
    meta = extract_metadata(header, "同志们:今天召开大会。")
    assert meta["date"] == pd.Timestamp("2019-03-12")


def test_role_line_with_ethnic_name():
    text = "在全区干部大会上的讲话\n自治区主席 雪克来提·扎克尔\n同志们:\n今天召开大会。"
    _, _, meta = _meta(text)
    assert meta["speaker"] == "雪克来提·扎克尔"
    assert meta["level"] == "省"


def test_role_and_name_inside_a_subtitle():
    header = ["——市委书记张三在全市经济工作会议上的讲话"]
    meta = extract_metadata(header, "同志们:今年的任务很重。", [])
    assert (meta["speaker"], meta["level"]) == ("张三", "市")
    assert meta["title"] == "市委书记张三在全市经济工作会议上的讲话"
    assert meta["occasion"] == "全市经济工作会议"


def test_township_place_from_its_party_committee():
    body = "同志们:今年,青山镇党委、镇政府带领全镇干部群众苦干实干。"
    meta = extract_metadata(["在全镇三级干部大会上的讲话"], body, [])
    assert (meta["level"], meta["place"]) == ("乡镇", "青山")


# ------------------------------------------------------------ fixtures of our own


def test_national_work_report():
    header, body, meta = _meta(_fixture("national_report.txt"))
    assert header[-1] == "国务院总理 李克强"
    assert body.startswith("各位代表:")
    assert meta["title"] == "政府工作报告"
    assert meta["speaker"] == "李克强"
    assert meta["date"] == pd.Timestamp("2015-03-05")
    assert pd.isna(meta["published"])
    assert meta["occasion"] == "第十二届全国人民代表大会第三次会议"
    assert meta["level"] == "国家"
    assert pd.isna(meta["place"])


def test_provincial_report_with_fullwidth_digits():
    _, body, meta = _meta(_fixture("provincial_report.txt"))
    assert body.startswith("各位代表：")
    assert meta["speaker"] == "赵刚"
    assert meta["date"] == pd.Timestamp("2021-01-27")
    assert meta["occasion"] == "陕西省第十三届人民代表大会第五次会议"
    assert (meta["level"], meta["place"]) == ("省", "陕西")


def test_county_speech_with_chinese_numeral_date_and_subtitle():
    _, _, meta = _meta(_fixture("county_numeral_date.txt"), ["发布日期:2018年3月20日"])
    assert meta["title"] == "凝心聚力 绿色发展——在全县农村工作会议上的讲话"
    assert meta["speaker"] == "王立新"
    assert meta["date"] == pd.Timestamp("2018-03-12")
    assert meta["published"] == pd.Timestamp("2018-03-20")
    assert meta["occasion"] == "全县农村工作会议"
    assert (meta["level"], meta["place"]) == ("县", "安吉")


def test_level_from_body_counts_when_title_is_silent():
    body = "我市今年的任务很重。市委、市政府决定开展活动,全市上下要高于全省平均水平。衢州发展要快。"
    meta = extract_metadata(["在机关干部大会上的讲话"], body, [])
    assert (meta["level"], meta["place"]) == ("市", "衢州")


def test_level_and_place_missing_when_unclear():
    meta = extract_metadata([], "各位同事,今天我们一起学习文件精神,要认真领会,抓好落实。", [])
    assert pd.isna(meta["level"]) and pd.isna(meta["place"]) and pd.isna(meta["title"])


def test_ambiguous_place_words_do_not_count_bare():
    # 来宾 (guests) and 长治久安 are not the cities 来宾市 and 长治市
    body = "各位来宾,全市上下要维护长治久安,我市市委、市政府高度重视。"
    meta = extract_metadata(["在全市大会上的致辞"], body, [])
    assert meta["level"] == "市"
    assert pd.isna(meta["place"])


# ------------------------------------------------------------ seed corpus


def test_seed_000_metadata(seed_corpus, seed_ids):
    row = seed_corpus.speeches.set_index("speech_id").loc[seed_ids["000-1"]]
    assert row.title == "用心执行谋发展 聚力突破求跨越——在全区“执行力建设年”活动动员大会上的讲话"
    assert row.speaker == "张永霞"
    assert row.date == pd.Timestamp("2009-02-02")
    assert row.occasion == "全区“执行力建设年”活动动员大会"
    assert (row.level, row.place) == ("区", "东港")
    assert row.text.startswith("同志们:宏伟蓝图")


def test_seed_001_is_anonymised_county_speech(seed_corpus, seed_ids):
    row = seed_corpus.speeches.set_index("speech_id").loc[seed_ids["001-1"]]
    assert row.level == "县"
    assert pd.isna(row.speaker)
    assert pd.isna(row.place)


def test_seed_002_metadata(seed_corpus, seed_ids):
    row = seed_corpus.speeches.set_index("speech_id").loc[seed_ids["002-1"]]
    assert row.title == "在全区三级干部大会上的讲话"
    assert row.speaker == "徐文泊"
    assert row.published == pd.Timestamp("2015-03-30")
    assert pd.isna(row.date)
    assert row.occasion == "全区三级干部大会"
    assert (row.level, row.place) == ("区", "渝水")


def test_seed_003_parts_1_and_5(seed_corpus, seed_ids):
    df = seed_corpus.speeches.set_index("speech_id")
    first = df.loc[seed_ids["003-1"]]
    assert first.speaker == "孙建国"
    assert first.date == pd.Timestamp("2009-02-02")
    assert first.published == pd.Timestamp("2009-02-06")
    assert first.occasion == "全市机关干部大会"
    assert (first.level, first.place) == ("市", "衢州")
    fifth = df.loc[seed_ids["003-5"]]
    assert (fifth.level, fifth.place) == ("市", "衢州")
    assert pd.isna(fifth.speaker)


def test_seed_004_metadata(seed_corpus, seed_ids):
    row = seed_corpus.speeches.set_index("speech_id").loc[seed_ids["004-1"]]
    assert row.title == "在执政效能攻坚工程会上的发言"
    assert row.published == pd.Timestamp("2022-06-16")
    assert pd.isna(row.date)
    assert (row.level, row.place) == ("地区", "塔城")


def test_seed_header_lines_are_not_in_text(seed_corpus):
    for text in seed_corpus.speeches.text:
        assert not text.startswith(("在全市机关干部大会上的讲话", "在执政效能攻坚工程会上的发言"))


# ------------------------------------------------------------ overrides


def test_apply_overrides_utf8_bom(seed_corpus, seed_ids):
    speeches, problems = apply_overrides(seed_corpus.speeches, FIXTURES / "overrides_utf8_bom.csv")
    row = speeches.set_index("speech_id").loc[seed_ids["001-1"]]
    assert row.speaker == "李明"
    assert row.date == pd.Timestamp("2015-03-02")
    messages = [p["message"] for p in problems]
    assert "unknown column 'mood' ignored" in messages
    assert "unknown speech_id '999_missing-1' ignored" in messages
    assert any("level '兵团' is not one of" in m for m in messages)
    second = speeches.set_index("speech_id").loc[seed_ids["003-2"]]
    assert second.date == pd.Timestamp("2004-10-01")
    assert pd.isna(second.level)  # the bad level was reported, not applied
    assert pd.isna(seed_corpus.speeches.set_index("speech_id").loc[seed_ids["001-1"]].speaker)


def test_apply_overrides_gbk(seed_corpus, seed_ids):
    speeches, problems = apply_overrides(seed_corpus.speeches, FIXTURES / "overrides_gbk.csv")
    row = speeches.set_index("speech_id").loc[seed_ids["004-1"]]
    assert row.title == "在地区执政效能攻坚工程会上的发言"
    assert row.published == pd.Timestamp("2010-05-08")
    assert problems == []
    assert str(speeches["published"].dtype).startswith("datetime64")


def test_apply_overrides_missing_file(seed_corpus, tmp_path):
    speeches, problems = apply_overrides(seed_corpus.speeches, tmp_path / "metadata.csv")
    assert len(speeches) == len(seed_corpus.speeches)
    assert problems[0]["severity"] == "error"


def test_analyst_places_extend_the_gazetteer(tmp_path):
    (tmp_path / "places.yaml").write_text("county:\n  示例: [示例县]\n", encoding="utf-8")
    rules = load_rules(tmp_path)
    body = "全县上下要推动示例县发展,我县县委、县政府高度重视。"
    assert extract_metadata([], body, [], rules)["place"] == "示例"
    assert pd.isna(extract_metadata([], body, [])["place"])


# ------------------------------------------------------------ header notes and partial dates

BODY = "同志们:\n今天,区委召开全区作风建设大会,安排部署今年的重点任务。"


@pytest.mark.parametrize(
    "note",
    ["(根据录音整理)", "（根据录音整理，未经本人审阅）", "（2019年3月15日 星期五）", "（摘要）"],
)
def test_a_bracketed_header_line_is_never_the_title(note):
    header = ["在全区作风建设大会上的讲话", "区委书记 张三", "（2019年3月15日）", note]
    meta = extract_metadata(header, BODY, [])
    assert meta["title"] == "在全区作风建设大会上的讲话"
    assert (meta["speaker"], meta["date"]) == ("张三", pd.Timestamp("2019-03-15"))


@pytest.mark.parametrize(
    "line, expected",
    [
        ("（2019年3月15日 星期五）", "2019-03-15"),
        ("（2019年三月十五日）", "2019-03-15"),
        ("二〇一九年3月5日", "2019-03-05"),
    ],
)
def test_weekday_and_mixed_dates_parse(line, expected):
    meta = extract_metadata(["在全区作风建设大会上的讲话", "区委书记 张三", line], BODY, [])
    assert (meta["date"], meta["date_precision"]) == (pd.Timestamp(expected), "day")
    assert meta["title"] == "在全区作风建设大会上的讲话"


@pytest.mark.parametrize(
    "line", ["（2019年3月）", "2019年3月", "二〇一九年三月", "(2019年3月份)", "2019-03", "2019.3"]
)
def test_year_and_month_give_the_first_of_the_month(line):
    meta = extract_metadata(["在全区作风建设大会上的讲话", "区委书记 张三", line], BODY, [])
    assert meta["date"] == pd.Timestamp("2019-03-01")
    assert meta["date_precision"] == "month"
    assert meta["title"] == "在全区作风建设大会上的讲话"


def test_a_year_alone_is_no_date():
    meta = extract_metadata(["2019年政府工作报告", "（2019年）"], BODY, [])
    assert pd.isna(meta["date"]) and pd.isna(meta["date_precision"])
    assert meta["title"] == "2019年政府工作报告"


def test_month_in_a_title_is_not_a_date():
    meta = extract_metadata(["在2019年3月全区作风建设大会上的讲话"], BODY, [])
    assert pd.isna(meta["date"])


# ------------------------------------------------------------ titles over two lines


@pytest.mark.parametrize(
    "first, second",
    [
        ("在全区作风建设暨优化营商环境", "大会上的讲话"),
        ("在全区作风建设暨", "优化营商环境大会上的讲话"),
        ("关于进一步加强和", "改进机关作风建设的报告"),
    ],
)
def test_a_title_broken_over_two_lines_is_joined(first, second):
    text = f"{first}\n{second}\n区委书记 张三\n（2019年3月15日）\n{BODY}"
    header, body, meta = _meta(text)
    assert meta["title"] == first + second
    assert meta["speaker"] == "张三"
    assert body.startswith("同志们:")


def test_a_main_title_and_a_speech_title_stay_apart():
    header = ["凝心聚力谋发展", "在全县农村工作会议上的讲话", "王立新"]
    meta = extract_metadata(header, BODY, [])
    assert meta["title"] == "在全县农村工作会议上的讲话"
    assert meta["occasion"] == "全县农村工作会议"


# ------------------------------------------------------------ speakers and roles


def test_role_and_name_on_separate_lines():
    text = f"在全区作风建设大会上的讲话\n区委书记\n张三\n（2019年3月15日）\n{BODY}"
    header, _, meta = _meta(text)
    assert header == ["在全区作风建设大会上的讲话", "区委书记", "张三", "（2019年3月15日）"]
    assert (meta["speaker"], meta["role"]) == ("张三", "区委书记")
    assert meta["title"] == "在全区作风建设大会上的讲话"


@pytest.mark.parametrize("word", ["区委书记", "区长", "市委常委", "区委副书记、区长", "乡长"])
def test_a_role_is_never_a_name(word):
    assert not is_name(word)


@pytest.mark.parametrize(
    "line, role",
    [("张三（区委书记）", "区委书记"), ("张三同志(区委副书记、区长)", "区委副书记、区长")],
)
def test_name_followed_by_bracketed_role(line, role):
    meta = extract_metadata(["在全区作风建设大会上的讲话", line, "（2019年3月15日）"], BODY, [])
    assert (meta["speaker"], meta["role"]) == ("张三", role)
    assert meta["title"] == "在全区作风建设大会上的讲话"
    assert meta["level"] == "区"


def test_role_column_value_from_a_role_name_line():
    meta = extract_metadata(["在全区作风建设大会上的讲话", "区委副书记、区长 赵六"], BODY, [])
    assert (meta["speaker"], meta["role"]) == ("赵六", "区委副书记、区长")


@pytest.mark.parametrize(
    "first",
    [
        "重磅！区委书记张三在全区作风建设大会上的讲话（全文）",
        "【讲话】区委书记张三在全区作风建设大会上的讲话",
        "全文|区委书记张三在全区作风建设大会上的讲话",
    ],
)
def test_web_tags_before_a_title_are_dropped(first):
    text = (
        f"{first}\n3月15日,全区作风建设大会召开。区委书记张三出席会议并讲话。\n"
        f"在全区作风建设大会上的讲话\n区委书记 张三\n（2019年3月15日）\n{BODY}"
    )
    header, body, meta = _meta(text)
    assert header == [first]
    assert body.startswith("3月15日,全区作风建设大会召开。")
    assert meta["title"] == "区委书记张三在全区作风建设大会上的讲话"
    assert (meta["speaker"], meta["role"]) == ("张三", "区委书记")
    # the speech's own date line sits above its salutation, after the editor's lead
    assert meta["date"] == pd.Timestamp("2019-03-15")


def test_only_listed_tags_are_dropped():
    # 加油干! is not a tag: the line keeps its exclamation and does not open a header
    assert split_header("撸起袖子加油干！奋力开创新局面\n今天召开大会。") == ([], 0)


def test_apply_overrides_role_and_month_date(seed_corpus, seed_ids, tmp_path):
    csv = tmp_path / "metadata.csv"
    sid = seed_ids["001-1"]
    csv.write_text(f"speech_id,role,date\n{sid},县委书记,2015年3月\n", encoding="utf-8")
    speeches, problems = apply_overrides(seed_corpus.speeches, csv)
    row = speeches.set_index("speech_id").loc[sid]
    assert problems == []
    assert row.role == "县委书记"
    assert (row.date, row.date_precision) == (pd.Timestamp("2015-03-01"), "month")
    assert str(speeches["date"].dtype).startswith("datetime64")


# ------------------------------------------------------------ levels from roles


@pytest.mark.parametrize(
    "title, role, level",
    [
        ("在全旗作风建设大会上的讲话", "旗委书记", "县"),
        ("在全州作风建设大会上的讲话", "州委书记", "地区"),
        ("在全盟干部大会上的讲话", "盟委书记", "地区"),
        ("在作风建设推进会上的讲话", "街道党工委书记", "乡镇"),
        ("在作风建设推进会上的讲话", "市委常委、组织部部长", "市"),
        ("在作风建设推进会上的讲话", "区纪委书记", "区"),
        ("在作风建设推进会上的讲话", "县人大常委会主任", "县"),
        ("在作风建设推进会上的讲话", "自治区党委常委", "省"),
        ("在作风建设推进会上的讲话", "自治县县长", "县"),
        ("在作风建设推进会上的讲话", "市委常委、区委书记", "区"),
    ],
)
def test_level_from_the_role(title, role, level):
    # the body speaks of 全区/我区: the role's level wins over body counts
    body = "同志们:今天,区委召开全区大会。我区作风建设取得成效,全区上下要再接再厉。"
    meta = extract_metadata([title, f"{role} 张三"], body, [])
    assert (meta["speaker"], meta["role"], meta["level"]) == ("张三", role, level)


def test_a_development_zone_role_gives_no_level_and_the_body_decides():
    header = ["在作风建设推进会上的讲话", "开发区党工委书记 张三"]
    assert pd.isna(extract_metadata(header, "同志们:今天开会,大家辛苦了。", [])["level"])
    body = "同志们:今年全区上下苦干实干,我区经济发展加快,区委、区政府高度重视。"
    assert extract_metadata(header, body, [])["level"] == "区"


def test_autonomous_prefecture_level_and_place_from_the_body():
    body = "同志们:今年全州上下苦干实干,我州州委、州政府高度重视,临夏回族自治州发展加快。"
    meta = extract_metadata(["在干部大会上的讲话"], body, [])
    assert (meta["level"], meta["place"]) == ("地区", "临夏")


def test_banner_place():
    body = "同志们:今年全旗上下苦干实干,我旗旗委、旗政府高度重视,达拉特旗发展加快。"
    meta = extract_metadata(["在全旗干部大会上的讲话", "旗委书记 巴特尔"], body, [])
    assert (meta["speaker"], meta["level"], meta["place"]) == ("巴特尔", "县", "达拉特")


# ------------------------------------------------------------ dates from the end and the file name


@pytest.mark.parametrize(
    "name, expected",
    [
        ("20190315_在全区作风建设大会上的讲话", "2019-03-15"),
        ("2019-03-15-讲话", "2019-03-15"),
        ("2019.3.15 张三讲话", "2019-03-15"),
        ("2019年3月15日讲话", "2019-03-15"),
    ],
)
def test_date_in_name(name, expected):
    assert date_in_name(name) == pd.Timestamp(expected)


@pytest.mark.parametrize("name", ["20191345_讲话", "讲话稿123456789", "2019_讲话", "speech"])
def test_no_date_in_name(name):
    assert pd.isna(date_in_name(name))


HEADER = ["在全区作风建设大会上的讲话", "区委书记 张三"]


def test_file_name_date_only_when_the_text_has_none():
    meta = extract_metadata(HEADER, BODY, [], name="20190315_讲话")
    assert (meta["date"], meta["date_precision"]) == (pd.Timestamp("2019-03-15"), "day")
    meta = extract_metadata([*HEADER, "（2018年1月5日）"], BODY, [], name="20190315_讲话")
    assert meta["date"] == pd.Timestamp("2018-01-05")


def test_a_signature_date_is_the_speech_date():
    meta = extract_metadata(HEADER, BODY, [], closing=["2019年3月15日"])
    assert meta["date"] == pd.Timestamp("2019-03-15")
    assert pd.isna(meta["published"])
    # left in the text, under the issuing body, it is read from the end of the body
    signed = BODY + "\n中共某某区委\n二〇一九年三月十五日"
    assert extract_metadata(HEADER, signed, [])["date"] == pd.Timestamp("2019-03-15")


@pytest.mark.parametrize(
    "tail, block",
    [
        ("\n中共某某区委\n二〇一九年三月十五日", ["中共某某区委", "二〇一九年三月十五日"]),
        ("\n某某县人民政府办公室\n2019年3月15日", ["某某县人民政府办公室", "2019年3月15日"]),
        ("\n张三\n2019年3月15日", ["张三", "2019年3月15日"]),
        ("\n2019年3月15日", ["2019年3月15日"]),
        ("\n中共某某区委", []),  # no date under it: a closing line, left alone
        ("\n谢谢大家！", []),
        ("\n三、加强作风建设\n2019年3月15日", ["2019年3月15日"]),
    ],
)
def test_split_signature(tail, block):
    body, found = split_signature(BODY + tail)
    assert found == block
    assert body + "".join("\n" + line for line in found) == (BODY + tail).rstrip()


def test_a_labelled_or_timed_date_at_the_end_is_published():
    for line in ["发布时间:2019-03-16", "2019-03-16 20:30"]:
        meta = extract_metadata(HEADER, BODY, [], closing=[line])
        assert pd.isna(meta["date"])
        assert meta["published"] == pd.Timestamp("2019-03-16")


def test_a_header_date_wins_over_the_signature():
    meta = extract_metadata([*HEADER, "（2019年3月14日）"], BODY, [], closing=["2019年3月15日"])
    assert meta["date"] == pd.Timestamp("2019-03-14")


@pytest.mark.parametrize("value", ["2015-03", "2015/3", "2015年3月"])
def test_a_month_in_metadata_csv(seed_corpus, seed_ids, tmp_path, value):
    csv = tmp_path / "metadata.csv"
    sid = seed_ids["001-1"]
    csv.write_text(f"speech_id,date\n{sid},{value}\n", encoding="utf-8")
    speeches, problems = apply_overrides(seed_corpus.speeches, csv)
    row = speeches.set_index("speech_id").loc[sid]
    assert problems == []
    assert (row.date, row.date_precision) == (pd.Timestamp("2015-03-01"), "month")


# ------------------------------------------------------------ speaker lines of all shapes


@pytest.mark.parametrize(
    "line, speaker, role",
    [
        ("县长 扎西次仁", "扎西次仁", "县长"),  # no listed surname: the post vouches for it
        ("州长 买买提江・吾买尔", "买买提江·吾买尔", "州长"),  # katakana middle dot
        ("州长 买买提江．吾买尔", "买买提江·吾买尔", "州长"),  # full-width period
        ("县委书记 王\U00020bb7", "王\U00020bb7", "县委书记"),  # a name character beyond the BMP
        ("张三 县委书记", "张三", "县委书记"),
        ("主讲人：王建国", "王建国", None),
        ("讲话人：市长 王建国", "王建国", "市长"),
        ("〔讲话人〕王建国", "王建国", None),
        ("【讲话人】王建国", "王建国", None),
        ("[发言人] 扎西次仁", "扎西次仁", None),
    ],
)
def test_speaker_line_shapes(line, speaker, role):
    header = ["在全县安全生产工作会议上的讲话", line, "（2022年1月20日）"]
    meta = extract_metadata(header, "同志们：今天召开这次会议。", [])
    assert meta["speaker"] == speaker
    assert meta["role"] == role if role else pd.isna(meta["role"])
    assert meta["title"] == "在全县安全生产工作会议上的讲话"


@pytest.mark.parametrize(
    "line",
    ["县长 在全县大会上", "讲话人：讲话", "区委书记 区长", "县委书记 锟斤拷", "讲话人：全文"],
)
def test_words_after_a_role_or_label_are_not_always_a_name(line):
    meta = extract_metadata(["在全县安全生产工作会议上的讲话", line], "同志们：今天开会。", [])
    assert pd.isna(meta["speaker"])


@pytest.mark.parametrize(
    "salutation", ["尊敬的各位领导，同志们：", "尊敬的各位代表：", "亲爱的同学们："]
)
def test_an_address_word_before_the_salutation_stays_in_the_body(salutation):
    head = "在全县安全生产工作会议上的表态发言\n县应急管理局局长 周平"
    text = f"{head}\n{salutation}\n我们一定抓好落实。"
    header, offset = split_header(text)
    assert header == ["在全县安全生产工作会议上的表态发言", "县应急管理局局长 周平"]
    assert text[offset:].startswith(salutation + "\n我们一定抓好落实。")


@pytest.mark.parametrize(
    "title", ["表态发言", "交流发言", "典型发言", "汇报发言", "讲话提纲", "主题报告", "重要讲话"]
)
def test_occasion_before_a_qualified_speech_word(title):
    meta = extract_metadata([f"在全县安全生产工作会议上的{title}"], "同志们：今天开会。", [])
    assert meta["occasion"] == "全县安全生产工作会议"
    assert meta["title"] == f"在全县安全生产工作会议上的{title}"


def test_speaker_and_publish_date_from_a_news_lead():
    body = (
        "新华网临河1月21日电 1月20日，临河县召开全县安全生产工作会议。"
        "以下为县委书记李明华在会上的讲话全文：\n（2022年1月20日）\n同志们：\n今天开会。"
    )
    meta = extract_metadata(["在全县安全生产工作会议上的讲话"], body, [])
    assert (meta["speaker"], meta["role"]) == ("李明华", "县委书记")
    assert (meta["date"], meta["published"]) == (
        pd.Timestamp("2022-01-20"),
        pd.Timestamp("2022-01-21"),
    )


def test_speaker_line_between_a_lead_and_the_salutation():
    body = "1月20日，全县安全生产工作会议召开。\n县委书记 李明华\n同志们：\n今天开会。"
    meta = extract_metadata(["在全县安全生产工作会议上的讲话"], body, [])
    assert (meta["speaker"], meta["role"]) == ("李明华", "县委书记")
    assert pd.isna(meta["published"])


def test_a_name_in_the_body_below_the_salutation_is_not_the_speaker():
    body = "同志们：\n县委书记 李明华\n以下是张三同志的讲话。"
    assert pd.isna(extract_metadata(["在全县大会上的讲话"], body, [])["speaker"])
