"""Directive density, enumerations and parallelism on hand-made texts and the seed corpus."""

import pytest
from jianghua import config
from jianghua.corpus import Corpus
from jianghua.rhetoric import (
    DirectiveFileError,
    directive_density,
    directive_hits,
    enumerations,
    load_directives,
    parallelisms,
)

FIX = config.TESTS_DIR / "fixtures" / "themes"

DIRECTIVE_TEXT = (
    "这项工作很重要,主要靠大家。我们要抓紧,一定要落实,必须确保安全。\n"
    "不得拖延,不得不说,这是总体要求。不要等。"
)


@pytest.fixture(scope="module")
def small():
    return Corpus.from_texts({"d": DIRECTIVE_TEXT})


def test_yao_inside_words_does_not_count(small):
    counts = directive_density(small).set_index("directive")["count"]
    # 要: 我们要, 不要 (重要, 主要, 要求 excluded; the 要 of 一定要 belongs to 一定要)
    assert counts["要"] == 2
    assert counts["一定要"] == 1
    assert counts["必须"] == 1
    assert counts["确保"] == 1
    assert counts["不得"] == 1  # 不得拖延; 不得不 is "have to", not a prohibition
    assert counts["严禁"] == 0
    hits = directive_hits(small)
    assert hits[hits.directive == "要"]["start"].tolist() == [
        DIRECTIVE_TEXT.index("我们要") + 2,
        DIRECTIVE_TEXT.index("不要") + 1,
    ]


def test_enumerating_yao_is_a_directive_even_before_qiu():
    one = Corpus.from_texts({"x": "一要求真务实,真抓实干。二要只争朝夕。工作要求很高。"})
    hits = directive_hits(one)
    assert hits["left"].str[-1].tolist() == ["一", "二"]  # not the 要 of 工作要求


def test_density_is_per_1000_characters(small):
    row = directive_density(small).set_index("directive").loc["要"]
    assert row["per_1k_chars"] == pytest.approx(2 / len(DIRECTIVE_TEXT) * 1000)


def test_yaoqiu_can_be_counted_on_request(small):
    counts = directive_density(small, words=["要求", "必须"]).set_index("directive")["count"]
    assert counts.to_dict() == {"要求": 1, "必须": 1}


def test_directive_file(small):
    words = load_directives(FIX / "directives_short.txt")
    assert words == {"要": ("重要",), "务必": ()}
    counts = directive_density(small, words=FIX / "directives_short.txt")
    # without the long exclusion list 主要, 一定要 and 要求 each add a 要
    assert counts.set_index("directive")["count"].to_dict() == {"要": 5, "务必": 0}
    with pytest.raises(DirectiveFileError, match=r"line 3: exclusion '必需' does not contain"):
        load_directives(FIX / "bad_directives.txt")
    with pytest.raises(DirectiveFileError, match=r"no such directive file .*pass a list"):
        directive_density(small, words="要求")


def test_seed_directive_sentence(seed_corpus, seed_ids):
    sid = seed_ids["000-1"]
    text = seed_corpus.speeches.set_index("speech_id").loc[sid, "text"]
    sentence = text[text.index("面对千帆竞发") : text.index("奋斗目标上来")]
    one = Corpus.from_texts({"s": sentence})
    counts = directive_density(one).set_index("directive")["count"]
    # 任务要求, 重要性, 必要性 are not directives; 一定要 and 切实 are
    assert counts[counts > 0].to_dict() == {"一定要": 1, "切实": 1}


def test_enumeration_styles():
    text = (
        "下面讲三点。一要提升信心。二要明确差距。\n三要抢抓机遇。\n"
        "第一,抓项目;第二,抓招商。全市工业列全省第一、第二位。\n"
        "首先要统一思想,其次要明确责任,最后要狠抓落实。一是孤零零的一条。"
    )
    e = enumerations(Corpus.from_texts({"x": text}))
    assert e.groupby("enum_id")["style"].first().tolist() == ["要", "第", "序"]
    assert e["label"].tolist() == ["一要", "二要", "三要", "第一", "第二", "首先", "其次", "最后"]
    assert e["text"].tolist() == [
        "提升信心", "明确差距", "抢抓机遇", "抓项目", "抓招商",
        "要统一思想,其次要明确责任,最后要狠抓落实",
        "要明确责任,最后要狠抓落实", "要狠抓落实",
    ]  # fmt: skip
    assert text[e["start"].iloc[2] :].startswith("三要")


def test_seed_000_enumeration_of_four_ways_of_not_executing(seed_corpus, seed_ids):
    sid = seed_ids["000-1"]
    e = enumerations(seed_corpus)
    first = e[(e.speech_id == sid) & (e.enum_id == 1)]
    assert first["label"].tolist() == ["一是", "二是", "三是", "四是"]
    assert first["text"].tolist() == ["拒绝执行", "消极执行", "低效执行", "机械执行"]
    assert first["item"].tolist() == [1, 2, 3, 4]
    # the items sit in four different paragraphs
    text = seed_corpus.speeches.set_index("speech_id").loc[sid, "text"]
    starts = first["start"].tolist()
    assert all("\n" in text[a:b] for a, b in zip(starts, starts[1:], strict=False))
    # 000 then has 一是…三是 (学习) and 一是/二是 (解放思想): three enumerations in all
    assert e[e.speech_id == sid].groupby("enum_id").size().tolist() == [4, 3, 2]


def test_seed_000_parallel_runs(seed_corpus, seed_ids):
    sid = seed_ids["000-1"]
    p = parallelisms(seed_corpus)
    own = p[p.speech_id == sid]
    text = seed_corpus.speeches.set_index("speech_id").loc[sid, "text"]
    meiyou = own[own.opening == "没有执行"]
    assert meiyou["clause"].tolist() == [
        "没有执行,再美好的憧憬也只能在展望中成空",
        "没有执行,再渺小的困难也能令人却步",
        "没有执行,再豪迈的激情最终也会在等待中退却",
    ]
    shizhong = own[own.opening == "始终保持一种"]
    assert shizhong["clause"].tolist() == [
        "始终保持一种坐不住的感觉",
        "始终保持一种大干一场的冲动",
        "始终保持一种不达目的誓不罢休的干劲",
    ]
    for r in own.itertuples():
        assert text[r.start : r.start + len(r.clause)] == r.clause
    assert "只有" not in set(own.opening)  # 只有起点,没有终点;只有更好,没有最好: two, not three


def test_min_run_and_numbers_are_not_openings():
    text = "增长13%,增长12%,增长11%。2008年完成,2009年完成,2010年完成。"
    p = parallelisms(Corpus.from_texts({"x": text}))
    assert p["opening"].unique().tolist() == ["增长"]
    assert parallelisms(Corpus.from_texts({"x": text}), min_run=4).empty
