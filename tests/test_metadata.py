"""Metadata: header splitting, dates, speaker, occasion, level, place and analyst overrides."""

import pandas as pd
import pytest
from jianghua import config
from jianghua.metadata import (
    apply_overrides,
    extract_metadata,
    is_name,
    load_rules,
    parse_date,
    split_header,
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
