"""load_corpus on the seed corpus and on small folders made for the test."""

import shutil

import jianghua as jh
import pandas as pd
import pytest
from jianghua import config, load_corpus
from jianghua.corpus import SPEECH_COLUMNS, Corpus
from jianghua.duplicates import find_duplicates

FORBIDDEN = [
    "当前位置",
    "您所在的位置",
    "发布时间",
    "免责声明",
    "xiexiebang",
    "bsmz.net",
    "http",
    "相关主题",
    "全文查看",
    "简报",
    "机 2 关",
    "建 9 设",
]


def _text(corpus, seed_ids, key):
    """Return the cleaned text of seed speech key (e.g. '003-1')."""
    speeches = corpus.speeches.set_index("speech_id")
    return speeches.loc[seed_ids[key], "text"]


def test_seed_has_nine_speeches(seed_corpus):
    df = seed_corpus.speeches
    assert len(df) == 9
    assert df.source.str[:3].value_counts().sort_index().to_dict() == {
        "000": 1,
        "001": 1,
        "002": 1,
        "003": 5,
        "004": 1,
    }
    assert df.speech_id.tolist()[3:8] == [f"003_a5a9ba5a6d09eae4-{n}" for n in range(1, 6)]
    assert df.part.tolist() == [1, 1, 1, 1, 2, 3, 4, 5, 1]
    assert list(df.columns) == [
        "speech_id",
        "source",
        "part",
        "title",
        "speaker",
        "role",
        "date",
        "published",
        "occasion",
        "level",
        "place",
        "text",
        "n_chars",
        "duplicate_of",
        "date_precision",
    ]
    assert str(df["date"].dtype).startswith("datetime64")
    assert str(df["published"].dtype).startswith("datetime64")
    assert (df.n_chars == df.text.str.len()).all()


def test_seed_texts_are_clean(seed_corpus):
    for text in seed_corpus.speeches.text:
        for word in FORBIDDEN:
            assert word not in text
        assert "\n\n" not in text and text == text.strip()
        assert all(line == line.strip() for line in text.split("\n"))


def test_seed_page_numbers_are_joined_and_numbers_kept(seed_corpus, seed_ids):
    text = _text(seed_corpus, seed_ids, "003-1")
    assert "全市机关干部围绕中心" in text
    assert "抓住了经济建设这个中心" in text
    assert "全市生产总值增长13%" in text
    assert "在国家新增1000亿投资中,我市争取到1.3亿" in text
    assert "开通金融服务110,有力地支持了" in text
    assert "3月31日前还没报来的" in _text(seed_corpus, seed_ids, "003-3")


def test_seed_removed_is_an_audit_trail(seed_corpus, seed_ids):
    removed = seed_corpus.removed
    assert list(removed.columns) == ["source", "speech_id", "kind", "text"]
    marks = removed[removed.kind == "watermark"]
    assert marks.text.tolist() == [
        "好范文版权所有",
        "(本文权属文秘之音所有,更多文章请登陆www.xiexiebang.com查看)",
    ]
    assert marks.speech_id.tolist() == [seed_ids["003-2"], seed_ids["003-3"]]
    redactions = removed[(removed.kind == "redaction") & (removed.speech_id == seed_ids["001-1"])]
    assert len(redactions) == 11 and set(redactions.text) == {"**"}
    pages = removed[removed.kind == "page number"]
    assert len(pages) == 18 and set(pages.speech_id) == {seed_ids["003-1"]}
    covers = removed[removed.kind == "cover"]
    assert set(covers.speech_id) == {seed_ids["003-1"]} and "简报" in covers.text.tolist()
    url = removed[removed.kind == "url"]
    assert url.text.tolist() == ["http://m.bsmz.net/gongwen/757149.html"]
    assert url.speech_id.tolist() == [seed_ids["001-1"]]
    tail = removed[(removed.kind == "related links")]
    assert tail.text.tolist() == ["相关主题", "12全文查看"]
    assert tail.speech_id.tolist() == [seed_ids["000-1"], seed_ids["003-4"]]


def test_seed_sections_and_structure_warnings(seed_corpus, seed_ids):
    secs = seed_corpus.sections
    level1 = secs[secs.level == 1].groupby("speech_id").size()
    assert level1[seed_ids["000-1"]] == 2
    assert level1[seed_ids["002-1"]] == 2
    assert level1[seed_ids["004-1"]] == 3
    problems = seed_corpus.problems
    warning = problems[problems.source.str.startswith("000")].message.tolist()
    assert "announces 三点意见 but has 2 level-1 sections: text may be truncated" in warning
    assert set(problems.severity) <= {"warning"}


def test_seed_duplicates(seed_corpus, seed_ids):
    dup = seed_corpus.speeches.set_index("speech_id").duplicate_of
    assert dup[seed_ids["003-4"]] == seed_ids["003-2"]
    assert dup.drop(seed_ids["003-4"]).isna().all()


def test_seed_cover_dates_part_one(seed_corpus, seed_ids):
    speeches = seed_corpus.speeches.set_index("speech_id")
    first = speeches.loc[seed_ids["003-1"]]
    assert first.published == pd.Timestamp("2009-02-06")
    assert first.date == pd.Timestamp("2009-02-02")
    assert first.speaker == "孙建国"
    assert pd.isna(speeches.loc[seed_ids["003-5"], "published"])
    assert speeches.loc[seed_ids["002-1"], "published"] == pd.Timestamp("2015-03-30")
    assert speeches.loc[seed_ids["000-1"], "speaker"] == "张永霞"
    # header lines are not in the text
    assert _text(seed_corpus, seed_ids, "003-1").startswith("同志们:\n")
    assert _text(seed_corpus, seed_ids, "004-1").startswith("一、实施“提升执政效能攻坚工程”")


def _seed_copy(tmp_path, names):
    """Copy seed files whose names start with the given prefixes into tmp_path/corpus."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for prefix in names:
        (path,) = config.CORPUS_DIR.glob(f"{prefix}_*.txt")
        shutil.copy(path, folder / path.name)
    return folder


def test_unreadable_and_short_files_become_problems(tmp_path):
    folder = _seed_copy(tmp_path, ["004"])
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4 not text")
    (folder / "note.txt").write_text("同志们:\n谢谢大家。\n", encoding="utf-8")
    corpus = load_corpus(folder)
    assert corpus.speeches.source.tolist() == ["004_50195de51b0d9e2d.txt"]
    rows = corpus.problems.set_index("source")
    assert rows.loc["scan.pdf", "severity"] == "error"
    assert (
        rows.loc["scan.pdf", "message"]
        == "corrupt PDF: the file is cut short (no end-of-file marker)"
    )
    assert rows.loc["note.txt", "severity"] == "warning"
    assert rows.loc["note.txt", "message"] == "only 7 Chinese characters: not loaded as a speech"


def test_files_sharing_a_stem_get_folder_ids(tmp_path):
    folder = tmp_path / "corpus"
    (path,) = config.CORPUS_DIR.glob("002_*.txt")
    for sub in ("2015", "copy"):
        (folder / sub).mkdir(parents=True)
        shutil.copy(path, folder / sub / "speech.txt")
    corpus = load_corpus(folder)
    assert corpus.speeches.speech_id.tolist() == ["2015/speech-1", "copy/speech-1"]
    assert corpus.speeches.source.tolist() == ["2015/speech.txt", "copy/speech.txt"]
    # an exact copy is a duplicate of the first one
    assert corpus.speeches.duplicate_of.tolist()[1] == "2015/speech-1"


def test_single_file_and_corpus_folder_left_untouched(tmp_path):
    folder = _seed_copy(tmp_path, ["000", "001"])
    before = sorted((p.name, p.stat().st_mtime_ns) for p in folder.rglob("*"))
    corpus = load_corpus(folder / "001_3847ef4609f19094.txt")
    assert corpus.speeches.speech_id.tolist() == ["001_3847ef4609f19094-1"]
    load_corpus(folder)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in folder.rglob("*")) == before


def test_analyst_clutter_file_is_used(tmp_path):
    folder = _seed_copy(tmp_path, ["004"])
    (folder / "clutter.yaml").write_text(
        "patterns:\n  - {kind: watermark, scope: inline, regex: '又好又快'}\n", encoding="utf-8"
    )
    corpus = load_corpus(folder)
    assert "又好又快" not in corpus.speeches.text[0]
    assert (corpus.removed.kind == "watermark").sum() == 3


@pytest.mark.parametrize("cut", [1.0, 0.85])
def test_truncated_copies_are_found(cut):
    original = (config.CORPUS_DIR / "002_2b1bf25027684282.txt").read_text(encoding="utf-8")
    body = original[400:6000]
    copy = " ".join(body[: int(len(body) * cut)].split("。"))  # other whitespace, no 。
    other = (config.CORPUS_DIR / "004_50195de51b0d9e2d.txt").read_text(encoding="utf-8")
    found = find_duplicates({"a": body, "b": other, "c": copy})
    assert found == {"c": "a"}


def test_equal_texts_point_to_the_earlier():
    text = (config.CORPUS_DIR / "004_50195de51b0d9e2d.txt").read_text(encoding="utf-8")
    assert find_duplicates({"x": text, "y": text, "z": text}) == {"y": "x", "z": "x"}


def test_metadata_csv_corrections_are_applied(tmp_path):
    folder = _seed_copy(tmp_path, ["004"])
    (folder / "metadata.csv").write_text(
        "speech_id,speaker,date\n004_50195de51b0d9e2d-1,王明,2010-06-20\n", encoding="utf-8"
    )
    speech = load_corpus(folder).speeches.iloc[0]
    assert speech.speaker == "王明"
    assert speech.date == pd.Timestamp("2010-06-20")
    other = tmp_path / "fixes.csv"
    other.write_text("speech_id,speaker\n004_50195de51b0d9e2d-1,李华\n", encoding="utf-8")
    assert load_corpus(folder, metadata=other).speeches.speaker[0] == "李华"


def test_damaged_characters_are_listed(tmp_path):
    folder = _seed_copy(tmp_path, [])
    (path,) = config.CORPUS_DIR.glob("004_*.txt")
    damaged = path.read_text(encoding="utf-8").replace("塔城", "塔\ufffd", 2)
    (folder / "damaged.txt").write_text(damaged, encoding="utf-8")
    corpus = load_corpus(folder)
    rows = corpus.removed[corpus.removed.kind == "replacement character"]
    assert rows.text.tolist() == ["\ufffd", "\ufffd"]
    assert rows.speech_id.tolist() == ["damaged-1", "damaged-1"]
    messages = corpus.problems.message.tolist()
    assert "2 replacement characters (U+FFFD): the source was damaged" in messages


def test_a_publish_line_above_a_compilation_dates_every_part(tmp_path):
    folder = _seed_copy(tmp_path, [])
    (path,) = config.CORPUS_DIR.glob("003_*.txt")
    compiled = path.read_text(encoding="utf-8").split("第三篇:")[0]
    (folder / "two.txt").write_text("发布时间:2010-05-04\n" + compiled, encoding="utf-8")
    corpus = load_corpus(folder)
    assert corpus.speeches.speech_id.tolist() == ["two-1", "two-2"]
    assert corpus.speeches.published.tolist() == [pd.Timestamp("2010-05-04")] * 2
    publish = corpus.removed[corpus.removed.kind == "publish line"]
    assert publish.speech_id.tolist() == ["two-1"]


SPEECH = (
    "在全区作风建设大会上的讲话\n区委书记 张三\n（2019年3月）\n同志们:\n"
    "今天,区委召开全区作风建设大会,主要任务是总结去年以来全区作风建设工作,安排部署今年的重点任务。"
    "刚才,几个单位作了表态发言,讲得都很好,我完全同意。\n下面,我讲三点意见。\n"
)


def test_role_and_date_precision_columns(tmp_path):
    folder = _seed_copy(tmp_path, [])
    (folder / "zuofeng.txt").write_text(SPEECH, encoding="utf-8")
    row = load_corpus(folder).speeches.iloc[0]
    assert (row.title, row.speaker, row.role) == ("在全区作风建设大会上的讲话", "张三", "区委书记")
    assert (row.date, row.date_precision) == (pd.Timestamp("2019-03-01"), "month")
    assert row.text.startswith("同志们:\n今天,区委召开")


def test_from_texts_marks_given_dates_as_days():
    corpus = Corpus.from_texts({"a": "甲", "b": "乙"}, date=pd.to_datetime(["2019-03-15", None]))
    assert corpus.speeches.date_precision.tolist()[0] == "day"
    assert pd.isna(corpus.speeches.date_precision.tolist()[1])
    assert list(corpus.speeches.columns) == SPEECH_COLUMNS


def test_dates_from_a_signature_and_from_a_file_name(tmp_path):
    folder = _seed_copy(tmp_path, [])
    undated = SPEECH.replace("（2019年3月）\n", "")
    (folder / "signed.txt").write_text(undated + "中共某某区委\n2019年3月15日\n", encoding="utf-8")
    (folder / "20180105_讲话.txt").write_text(undated, encoding="utf-8")
    (folder / "web.txt").write_text(undated + "发布时间:2019-03-16\n", encoding="utf-8")
    rows = load_corpus(folder).speeches.set_index("source")
    assert rows.loc["signed.txt", "date"] == pd.Timestamp("2019-03-15")
    assert pd.isna(rows.loc["signed.txt", "published"])
    assert rows.loc["20180105_讲话.txt", "date"] == pd.Timestamp("2018-01-05")
    assert pd.isna(rows.loc["web.txt", "date"])
    assert rows.loc["web.txt", "published"] == pd.Timestamp("2019-03-16")
    assert rows.date_precision.tolist() == ["day", "day", pd.NA]


def test_a_signature_block_dates_the_speech_and_leaves_its_text(tmp_path):
    folder = _seed_copy(tmp_path, [])
    undated = SPEECH.replace("（2019年3月）\n", "")
    (folder / "a.txt").write_text(undated + "中共某某区委\n2019年3月15日\n", encoding="utf-8")
    (folder / "b.txt").write_text(undated + "某某县人民政府 2018年1月5日\n", encoding="utf-8")
    (folder / "c.txt").write_text(undated + "谢谢大家\n2017年6月1日\n", encoding="utf-8")
    corpus = load_corpus(folder)
    rows = corpus.speeches.set_index("source")
    assert rows.date.tolist() == pd.to_datetime(["2019-03-15", "2018-01-05", "2017-06-01"]).tolist()
    assert not rows.text.str.contains("某某区委|某某县人民政府|2019年3月15日").any()
    assert rows.loc["c.txt", "text"].endswith("谢谢大家")  # a closing word, not a name
    signed = corpus.removed[corpus.removed.kind == "signature"]
    assert signed.text.tolist() == [
        "中共某某区委",
        "2019年3月15日",
        "某某县人民政府 2018年1月5日",
        "2017年6月1日",
    ]


def test_a_few_damaged_bytes_keep_the_speech_and_say_where(tmp_path):
    body = "".join(f"第{n}项工作要抓紧抓实，确保按期完成任务。" for n in "一二三四五六七八九十")
    text = (
        f"在全县作风建设大会上的讲话\n县委书记 王五\n同志们：\n今天部署实施作风建设年活动。{body}"
    )
    data = bytearray(text.encode("gbk"))
    at = len(text[: text.index("实施")].encode("gbk"))
    data[at] = 0xFF
    (tmp_path / "damaged.txt").write_bytes(bytes(data))
    (tmp_path / "good.txt").write_text(text.replace("王五", "赵六"), encoding="utf-8")
    corpus = load_corpus(tmp_path, cache=False)
    assert corpus.speeches["speaker"].tolist() == ["王五", "赵六"]
    # the replacement character itself is dropped by the normaliser, which warns about it too
    assert "今天部署施作风建设年活动。第一项" in corpus.speeches["text"].iloc[0]
    notes = corpus.problems[corpus.problems["source"] == "damaged.txt"]["message"].tolist()
    assert f"2 bytes not valid GB18030 (at byte {at}-{at + 1}) replaced with U+FFFD" in notes


def test_a_news_lead_and_the_title_block_under_it_leave_the_text(tmp_path):
    lead = (
        "新华网临河1月21日电 1月20日，临河县召开全县安全生产工作会议。"
        "以下为县委书记李明华在会上的讲话全文："
    )
    body = (
        "同志们：\n岁末年初，是各类安全事故易发多发的时期。今天县委、县政府召开这次会议，就是要压实责任。"
        * 3
    )
    text = f"在全县安全生产工作会议上的讲话\n{lead}\n县委书记 李明华\n（2022年1月20日）\n{body}\n"
    (tmp_path / "led.txt").write_text(text, encoding="utf-8")
    # a paragraph of the speech above its salutation is not a lead: that text stays
    kept = f"在全县安全生产工作会议上的讲话\n这次会议很重要，大家要认真听、认真记。\n{body}\n"
    (tmp_path / "kept.txt").write_text(kept, encoding="utf-8")
    corpus = load_corpus(tmp_path)
    rows = corpus.speeches.set_index("source")
    assert rows.loc["led.txt", ["speaker", "role"]].tolist() == ["李明华", "县委书记"]
    assert rows.loc["led.txt", "date"] == pd.Timestamp("2022-01-20")
    assert rows.loc["led.txt", "text"].startswith("同志们：")
    assert rows.loc["kept.txt", "text"].startswith("这次会议很重要")
    removed = corpus.removed.set_index("kind").text
    assert removed["news lead"] == lead
    assert {"县委书记 李明华", "（2022年1月20日）"} <= set(removed["header"])


def test_speech_outlines_lists_the_first_n_and_says_how_many_more(seed_corpus):
    full = jh.corpus.speech_outlines(seed_corpus, n=None)
    ids = list(seed_corpus.speeches.speech_id)
    assert all(speech_id in full for speech_id in ids) and "more speeches" not in full
    assert "一、" in full  # the outlines hold real headings
    short = jh.corpus.speech_outlines(seed_corpus, n=2)
    assert ids[1] in short and ids[2] not in short
    assert short.endswith(
        f"… and {len(ids) - 2} more speeches: speech_outlines(corpus, n=None) shows all"
    )


def test_first_speeches_says_when_it_leaves_speeches_out(seed_corpus, capsys):
    ids = list(seed_corpus.speeches.speech_id)
    assert jh.corpus.first_speeches(seed_corpus, 3) == ids[:3]
    assert f"the first 3 of {len(ids)} speeches" in capsys.readouterr().out
    assert jh.corpus.first_speeches(seed_corpus, 50) == ids
    assert capsys.readouterr().out == ""
