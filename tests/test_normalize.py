"""Character normalisation on real seed text and the reading fixtures."""

import importlib.util

import pytest
from jianghua import config
from jianghua.normalize import is_mostly_traditional, normalize_text
from jianghua.read import read_document

FIXTURES = config.TESTS_DIR / "fixtures" / "read"
_spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
SRC = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(SRC)


@pytest.mark.parametrize(
    "name",
    [
        "000_08fcc9c379b76566.txt",
        "001_3847ef4609f19094.txt",
        "003_a5a9ba5a6d09eae4.txt",
        "004_50195de51b0d9e2d.txt",
    ],
)
def test_clean_seed_files_are_left_alone(name):
    text = (config.CORPUS_DIR / name).read_text(encoding="utf-8")
    assert normalize_text(text) == (text, [])


def test_seed_002_nbsp_become_spaces():
    text = (config.CORPUS_DIR / "002_2b1bf25027684282.txt").read_text(encoding="utf-8")
    out, notes = normalize_text(text)
    assert notes == [] and "\xa0" not in out and len(out) == len(text)
    lines = out.split("\n")
    assert lines[2] == "首页  >  渝水要闻  >  领导讲话  >  "
    assert lines[24] == " 一、回顾历史,分析现状,坚定信心迎挑战"


def test_line_endings():
    crlf = read_document(FIXTURES / "utf8_bom_crlf.txt").text
    cr = read_document(FIXTURES / "cr_only.txt").text
    assert normalize_text(crlf)[0].split("\n") == SRC.SPEECH_004
    assert normalize_text(cr)[0].split("\n") == SRC.SPEECH_003
    assert normalize_text("一\u2028二\x0c三\r\n\r\n四")[0] == "一\n二\n三\n\n四"


def test_fullwidth_fixture():
    text = read_document(FIXTURES / "fullwidth.txt").text
    out, notes = normalize_text(text)
    assert out.split("\n") == [
        "  同志们:",
        "  " + SRC.STATISTICS_003[0],
        "一、肯定成绩,进一步增强机关作风建设的紧迫感责任感",
        "全市GDP增长13％。",
        "一年来我市机关作风建设成效明显,应予充分",
        "",
    ]
    assert notes == ["1 replacement character (U+FFFD): the source was damaged"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("１９９３年", "1993年"),
        ("增长２．９个百分点", "增长2.9个百分点"),
        ("第一．要", "第一．要"),  # a full-width point not between digits is punctuation
        ("同志们：\u3000今天，（一）要。", "同志们：今天，（一）要。"),
        ("张\u3000\u3000永", "张永"),
        ("2009\u3000年", "2009 年"),
        ("中\u3000２．５", "中 2.5"),
        ("ＧＤＰ１３％", "GDP13％"),
        ("第\u200b一\ufeff条\u00ad", "第一条"),
        ("“十二五”规划 2015年", "“十二五”规划 2015年"),
        # header fields typed with full-width spaces keep one space; a spaced name closes up
        ("区委书记\u3000张三", "区委书记 张三"),
        ("市长\u3000\u3000李建国", "市长 李建国"),
        ("区委书记\u3000张\u3000三", "区委书记 张三"),
        # in a sentence the space of a PDF copy goes, rejoining the word
        (
            "推动党风政\u3000风社风民风持续好转，作风建设永远在路上。",
            "推动党风政风社风民风持续好转，作风建设永远在路上。",
        ),
    ],
)
def test_character_rules(text, expected):
    assert normalize_text(text) == (expected, [])


def test_a_fullwidth_space_between_role_and_name_gives_the_speaker(tmp_path):
    from jianghua import load_corpus

    folder = tmp_path / "corpus"
    folder.mkdir()
    header = "在全区作风建设大会上的讲话\n区委书记\u3000张\u3000三\n（2019年3月15日）\n"
    body = "同志们：\n" + SRC.SPEECH_002[3] + "\n" + SRC.SPEECH_002[4] + "\n"
    (folder / "speech.txt").write_text(header + body, encoding="gb18030")
    row = load_corpus(folder).speeches.iloc[0]
    assert (row.title, row.speaker) == ("在全区作风建设大会上的讲话", "张三")
    assert row.text.startswith("同志们：\n" + SRC.SPEECH_002[3][:20])


def test_replacement_characters_are_counted():
    damaged = SRC.SPEECH_002[3][:30] + "\ufffd\n" + SRC.SPEECH_002[4][:20] + "\ufffd\ufffd"
    out, notes = normalize_text(damaged)
    assert "\ufffd" not in out and len(out) == len(damaged) - 3
    assert notes == ["3 replacement characters (U+FFFD): the source was damaged"]


def test_traditional_big5_becomes_the_simplified_original():
    text = read_document(FIXTURES / "big5_traditional.txt").text
    assert is_mostly_traditional(text)
    out, notes = normalize_text(text)
    assert out.split("\n") == SRC.SPEECH_002
    assert notes == ["converted traditional characters to simplified (101 characters)"]


def test_simplified_text_quoting_traditional_is_kept():
    text = SRC.SPEECH_002[3] + "正如《資治通鑑》所說"
    assert not is_mostly_traditional(text)
    assert normalize_text(text) == (text, [])


def test_normalize_is_idempotent():
    text = read_document(FIXTURES / "fullwidth.txt").text
    once = normalize_text(text)[0]
    assert normalize_text(once) == (once, [])
