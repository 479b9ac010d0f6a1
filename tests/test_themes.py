"""Theme dictionary loading, matching and scores (hand-counted fixtures and the seed corpus)."""

import warnings

import pandas as pd
import pytest
from jianghua import config
from jianghua.corpus import Corpus
from jianghua.structure import find_sections
from jianghua.themes import (
    ThemeFileError,
    ThemeWarning,
    load_themes,
    text_units,
    theme_hits,
    theme_matches,
    theme_scores,
)

FIX = config.TESTS_DIR / "fixtures" / "themes"

# Tokens (segmenter output, checked by hand):
# a: 我们/要/狠抓落实/抓好/落实/抓/工作/落实/确保/落实/到位/
#    要/加强/作风建设/转变/干部作风/改进/工作作风
# b: 招商引资/是/重中之重/抓/招商/抓/项目/抓落实/作风/问题/不是/小事
TEXTS = {
    "a": "我们要狠抓落实,抓好落实,抓工作落实,确保落实到位。\n"
    "要加强作风建设,转变干部作风,改进工作作风。",
    "b": "招商引资是重中之重。抓招商、抓项目,抓落实。\n作风问题不是小事。",
}


@pytest.fixture(scope="module")
def small():
    return Corpus.from_texts(TEXTS)


@pytest.fixture(scope="module")
def small_themes():
    return load_themes(FIX / "small.yaml")


def test_hand_counted_hits(small, small_themes):
    hits = theme_hits(small, themes=small_themes)
    got = {(r.speech_id, r.theme, r.term): r.hits for r in hits.itertuples()}
    assert got == {
        # 狠抓落实 once (not also 落实); 抓好落实 -> 落实 (抓好 is not 抓);
        # 抓工作落实 -> "抓 + 落实"; 确保落实 -> 落实; 到位
        ("a", "执行", "狠抓落实"): 1,
        ("a", "执行", "落实"): 2,
        ("a", "执行", "抓 + 落实"): 1,
        ("a", "执行", "到位"): 1,
        # 作风建设 counts once; 工作作风 is one token, so 作风 does not count inside it
        ("a", "作风", "作风建设"): 1,
        ("a", "作风", "转变 干部 作风"): 1,
        # 抓落实 is one token: neither 落实 nor "抓 + 落实" (one side each) matches it
        ("b", "招商", "招商引资"): 1,
        ("b", "招商", "招商"): 1,
        ("b", "招商", "re:抓.{0,2}项目"): 1,
        ("b", "作风", "作风"): 1,
    }


def test_scores_per_speech_and_paragraph(small, small_themes):
    speech = theme_scores(small, themes=small_themes).set_index(["speech_id", "theme"])
    assert speech.loc[("a", "执行"), "hits"] == 5
    assert speech.loc[("a", "作风"), "hits"] == 2
    assert speech.loc[("a", "招商"), "hits"] == 0
    assert speech.loc[("a", "执行"), "n_tokens"] == 18
    assert speech.loc[("a", "执行"), "per_1k"] == pytest.approx(5 / 18 * 1000)
    para = theme_scores(small, unit="paragraph", themes=small_themes).set_index(
        ["unit_id", "theme"]
    )
    assert para.loc[("b:p0", "招商"), "hits"] == 3
    assert para.loc[("b:p0", "招商"), "n_tokens"] == 8
    assert para.loc[("b:p0", "招商"), "per_1k"] == pytest.approx(375.0)
    assert para.loc[("b:p1", "作风"), "hits"] == 1
    assert para.loc[("b:p1", "作风"), "unit_index"] == 1


def test_matches_point_at_the_text(small, small_themes):
    m = theme_matches(small, themes=small_themes)
    for r in m.itertuples():
        assert TEXTS[r.speech_id][r.start : r.end] == r.text
    near = m[m.term == "抓 + 落实"].iloc[0]
    assert near.text == "抓工作落实"


def test_broken_yaml_names_file_and_line():
    with pytest.raises(ThemeFileError, match=r"malformed\.yaml: line 5: not valid YAML"):
        load_themes(FIX / "malformed.yaml")


def test_empty_theme_is_named():
    with pytest.raises(ThemeFileError, match=r"empty_theme\.yaml: line 5: theme '作风' is empty"):
        load_themes(FIX / "empty_theme.yaml")


def test_unknown_top_key_is_an_error():
    with pytest.raises(ThemeFileError, match=r"line 2: unknown key 'theme'"):
        load_themes(FIX / "typo_key.yaml")


def test_unmatchable_entries_warn_and_are_skipped():
    with pytest.warns(ThemeWarning) as record:
        themes = load_themes(FIX / "unmatchable.yaml")
    messages = [str(w.message) for w in record]
    assert any("'执行'" in m and "'落实,到位'" in m and "','" in m for m in messages)
    assert any("'re:抓(落实'" in m and "does not compile" in m for m in messages)
    assert any("'2009'" in m and "digits" in m for m in messages)
    assert themes == {"执行": ["落实"]}


def test_word_in_two_themes_is_reported_and_counted_in_both(small):
    with pytest.warns(ThemeWarning, match=r"'落实' is listed under themes 执行, 考核"):
        themes = load_themes(FIX / "shared_word.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThemeWarning)  # reported above already
        scores = theme_scores(small, themes=themes).set_index(["speech_id", "theme"])
    assert scores.loc[("a", "执行"), "hits"] == 4  # 落实 x3 + 到位 (狠抓落实 is one token)
    assert scores.loc[("a", "考核"), "hits"] == 3


def test_default_dictionary_is_rich_and_clean():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ThemeWarning)  # shipped file: no overlaps, no dead words
        themes = load_themes(config.DATA_DIR / "themes.yaml")
    assert len(themes) == 10
    assert "执行落实" in themes and "机关效能" in themes
    assert all(30 <= len(words) <= 80 for words in themes.values()), {
        t: len(w) for t, w in themes.items()
    }


def test_extend_mode_adds_to_the_shipped_themes():
    themes = load_themes(FIX / "extend.yaml")
    assert len(themes) == 11
    assert themes["生态环保"] == ["生态", "环境保护", "节能减排"]
    assert themes["执行落实"][-1] == "立说立行"
    assert "狠抓落实" in themes["执行落实"]


def test_bad_unit_is_refused(small, small_themes):
    with pytest.raises(ValueError, match="unit must be one of"):
        theme_scores(small, unit="sentence", themes=small_themes)


# ---------------------------------------------------------------- seed corpus


@pytest.fixture(scope="module")
def seed_themes():
    return load_themes(config.DATA_DIR / "themes.yaml")


def test_seed_every_score_is_the_sum_of_its_hits(seed_corpus, seed_themes):
    for unit in ("speech", "section", "paragraph"):
        scores = theme_scores(seed_corpus, unit=unit, themes=seed_themes)
        hits = theme_hits(seed_corpus, unit=unit, themes=seed_themes)
        summed = hits.groupby(["unit_id", "theme"])["hits"].sum()
        nonzero = scores[scores.hits > 0].set_index(["unit_id", "theme"])["hits"]
        assert summed.sort_index().equals(nonzero.sort_index()), unit
        by_speech = scores.groupby(["speech_id", "theme"])["hits"].sum()
        if unit == "speech":
            speech_totals = by_speech
        else:  # sections and paragraphs together cover each speech's hits exactly
            assert by_speech.equals(speech_totals), unit


def test_seed_000_execution_words(seed_corpus, seed_ids, seed_themes):
    sid = seed_ids["000-1"]
    text = seed_corpus.speeches.set_index("speech_id").loc[sid, "text"]
    hits = theme_hits(seed_corpus, themes=seed_themes)
    own = hits[(hits.speech_id == sid) & (hits.theme == "执行落实")].set_index("term")["hits"]
    assert own["执行力"] == text.count("执行力") == 24
    sections = theme_scores(seed_corpus, unit="section", themes=seed_themes)
    own_sections = sections[(sections.speech_id == sid) & (sections.theme == "执行落实")]
    # 000 announces 三点意见 but the web copy stops inside 二: a preamble, then 一 and 二
    assert own_sections["unit_index"].tolist() == [0, 1, 2]
    assert own_sections["unit_id"].tolist() == [f"{sid}:s0", f"{sid}:s1", f"{sid}:s2"]


def test_analyst_copy_in_the_corpus_folder_is_used(tmp_path):
    from jianghua import load_corpus

    filler = "今天天气晴朗,大家来到会场,听取报告。\n" * 12  # too short a text is not loaded
    (tmp_path / "speech.txt").write_text(
        "在全县生态建设大会上的讲话\n同志们:\n要抓好节能减排,保护生态,推进环境保护,狠抓落实。\n"
        + filler,
        encoding="utf-8",
    )
    (tmp_path / "themes.yaml").write_text(
        (FIX / "extend.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    corpus = load_corpus(tmp_path)
    scores = theme_scores(corpus).set_index("theme")["hits"]
    assert len(scores) == 11
    assert scores["生态环保"] == 3  # 节能减排, 生态, 环境保护
    assert scores["执行落实"] == 3  # 抓好, 推进, 狠抓落实


def test_top_hit_terms_and_theme_flow(seed_corpus):
    from jianghua.themes import theme_flow, theme_hits, theme_scores, top_hit_terms

    hits = theme_hits(seed_corpus)
    top = top_hit_terms(hits, n=3)
    assert top.groupby("theme").size().max() == 3
    first = top[top.theme == "执行落实"].iloc[0]
    by_term = hits[hits.theme == "执行落实"].groupby("term")["hits"].sum()
    assert first["hits"] == by_term.max()
    flow = theme_flow(seed_corpus)
    longest = seed_corpus.speeches.sort_values("n_chars").speech_id.iloc[-1]
    assert set(flow.speech_id) == {longest}
    whole = theme_scores(seed_corpus)
    assert flow.hits.sum() == whole[whole.speech_id == longest].hits.sum()


def test_section_units_use_level_two_headings_when_a_speech_has_no_level_one():
    text = "同志们：\n（一）抓经济。要抓项目。\n（二）抓党建。要严管理。\n"
    sections = pd.DataFrame([{"speech_id": "x", **s} for s in find_sections(text)])
    corpus = Corpus.from_texts({"x": text})
    corpus.sections = sections
    units = text_units(corpus, unit="section")
    assert [text[a:b] for a, b in zip(units["start"], units["end"], strict=True)] == [
        "同志们：\n",
        "（一）抓经济。要抓项目。\n",
        "（二）抓党建。要严管理。\n",
    ]
