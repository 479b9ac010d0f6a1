"""Term frequencies, kwic, collocations, dispersion and formulations (提法)."""

import importlib
import math

import pandas.testing as pdt
import pytest
from jianghua import config
from jianghua import frequency as fq
from jianghua.corpus import Corpus

# the module: the package attribute jianghua.tokens is the tokens() function
tk = importlib.import_module("jianghua.tokens")
FIXTURES = config.TESTS_DIR / "fixtures" / "tokens"

SMALL = {
    "a": "同志们，要抓落实。要抓落实，狠抓执行力。执行力就是竞争力。",
    "b": "执行力建设：要抓落实。提高执行力，抓落实。",
}


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """Every test gets its own empty token cache."""
    monkeypatch.setenv("JIANGHUA_CACHE", str(tmp_path / "cache"))
    tk.clear_memory()
    yield
    tk.clear_memory()


@pytest.fixture
def small():
    return Corpus.from_texts(SMALL, level=["县", "市"])


# ---------------------------------------------------------------- term_frequencies


def test_term_frequencies_counts_ranks_and_rates(small):
    table = fq.term_frequencies(small)
    assert list(table.columns) == ["term", "count", "per_10k", "doc_freq", "rank"]
    top = table.head(3).to_dict("records")
    # 17 word tokens in all (同志们 and 就是 included); ties broken by term
    assert [(r["term"], r["count"], r["doc_freq"], r["rank"]) for r in top] == [
        ("执行力", 4, 2, 1),
        ("抓落实", 4, 2, 2),
        ("要", 3, 2, 3),
    ]
    assert top[0]["per_10k"] == pytest.approx(4 / 17 * 10_000)
    assert "同志们" not in set(table["term"]) and "就是" not in set(table["term"])


def test_term_frequencies_by_column_and_min_chars(small):
    table = fq.term_frequencies(small, by="level", min_chars=2)
    assert list(table.columns) == ["level", "term", "count", "per_10k", "doc_freq", "rank"]
    city = table[table["level"] == "市"]
    assert city["term"].tolist() == ["执行力", "抓落实", "建设", "提高"]
    assert city["rank"].tolist() == [1, 2, 3, 4]
    assert city["per_10k"].iloc[0] == pytest.approx(2 / 7 * 10_000)
    assert "要" not in set(table["term"])


@pytest.mark.parametrize("by", [None, "speech_id", "level", "speaker"])
def test_term_frequencies_equal_a_plain_count_of_the_tokens(seed_corpus, by):
    table = fq.term_frequencies(seed_corpus, by=by)
    toks = tk.tokens(seed_corpus)
    group = by or "_all"
    if by is None:
        toks[group] = "all"
    elif by != "speech_id":
        toks[by] = toks["speech_id"].map(seed_corpus.speeches.set_index("speech_id")[by])
    kept = toks[~toks["token"].isin(tk.load_stopwords("default"))]
    keys = [group, "token"]
    expected = kept.groupby(keys, dropna=False).agg(
        count=("speech_id", "size"), doc_freq=("speech_id", "nunique")
    )
    got = table.assign(**{group: "all"} if by is None else {}).set_index([group, "term"])
    got = got[["count", "doc_freq"]].sort_index()
    expected = expected.rename_axis([group, "term"]).sort_index()
    pdt.assert_frame_equal(got, expected, check_dtype=False, check_index_type=False)
    totals = toks.groupby(group, dropna=False).size()
    first = table.groupby(by or (lambda _: "all"), dropna=False).head(1)
    for row in first.itertuples(index=False):
        total = totals["all" if by is None else getattr(row, by)]
        assert row.per_10k == pytest.approx(row.count / total * 10_000)
    assert (table.groupby(by or (lambda _: 0), dropna=False)["count"].diff().dropna() <= 0).all()


def test_each_stopword_list_applies(small, tmp_path):
    terms = set(fq.term_frequencies(small, stopwords=None)["term"])
    assert {"同志们", "就是", "要", "执行力"} <= terms
    assert "就是" not in set(fq.term_frequencies(small, stopwords="general")["term"])
    filler = set(fq.term_frequencies(small, stopwords="officialese")["term"])
    assert "同志们" not in filler and "就是" in filler
    lines = set(fq.term_frequencies(small, stopwords=FIXTURES / "stopwords_lines.txt")["term"])
    assert lines == terms  # 率先, 东港 do not occur here: nothing else removed
    commas = fq.term_frequencies(small, stopwords=["执行力", "狠抓"])
    assert {"执行力", "狠抓"}.isdisjoint(commas["term"])
    small.root = tmp_path
    (tmp_path / "stopwords.txt").write_text("抓落实，提高\n", encoding="utf-8")
    analyst = set(fq.term_frequencies(small)["term"])
    assert {"抓落实", "提高", "同志们", "就是"}.isdisjoint(analyst) and "要" in analyst


def test_execution_capacity_is_a_top_term_of_the_execution_speech(seed_corpus, seed_ids):
    table = fq.term_frequencies(seed_corpus, by="speech_id")
    first = table[table["speech_id"] == seed_ids["000-1"]]
    assert "执行力" in first.head(5)["term"].tolist()
    assert first.set_index("term").loc["执行力", "count"] == 24


# ---------------------------------------------------------------- kwic and dispersion


@pytest.mark.parametrize("term", ["执行力", "落实", "作风建设"])
def test_kwic_hits_equal_substring_counts(seed_corpus, term):
    hits = fq.kwic(seed_corpus, term)
    assert len(hits) == seed_corpus.speeches["text"].str.count(term).sum()
    texts = dict(zip(seed_corpus.speeches["speech_id"], seed_corpus.speeches["text"], strict=True))
    for sid, start in zip(hits["speech_id"], hits["start"], strict=True):
        assert texts[sid][start : start + len(term)] == term


def test_kwic_counts_on_the_seeds_and_regex(seed_corpus, small):
    assert len(fq.kwic(seed_corpus, "执行力")) == 29
    assert len(fq.kwic(seed_corpus, "作风建设")) == 29
    hits = fq.kwic(small, r"抓\w{2}", regex=True, window=2)
    assert hits["match"].tolist() == ["抓落实", "抓落实", "抓执行", "抓落实", "抓落实"]
    assert hits.iloc[0][["left", "right"]].tolist() == ["，要", "。要"]


def test_dispersion_positions(small):
    table = fq.dispersion(small, ["执行力"])
    assert list(table.columns) == ["speech_id", "term", "start", "position"]
    assert table["start"].tolist() == [16, 20, 0, 13]
    assert table["position"].iloc[0] == pytest.approx(16 / len(SMALL["a"]))
    assert table["position"].between(0, 1).all()


# ---------------------------------------------------------------- collocations


def test_collocations_g2_and_pmi(small):
    table = fq.collocations(small, min_count=1)
    assert list(table.columns) == ["w1", "w2", "collocation", "count", "G2", "pmi"]
    first = table.iloc[0]
    assert (first["collocation"], first["count"]) == ("要抓落实", 3)
    # six touching non-stopword bigrams; 要 starts 3 of them and 抓落实 ends 3 of them
    assert first["G2"] == pytest.approx(12 * math.log(2))
    assert first["pmi"] == pytest.approx(1.0)
    # 执行力。执行力 and 抓落实，狠抓 are separated by punctuation: not bigrams
    assert "执行力执行力" not in set(table["collocation"])
    assert len(table) == 4
    assert fq.collocations(small)["collocation"].tolist() == ["要抓落实"]


# ---------------------------------------------------------------- formulations


def test_formulations_on_the_seeds(seed_corpus, seed_ids):
    table = fq.formulations(seed_corpus)
    assert list(table.columns) == ["speech_id", "formulation", "kind", "count"]
    rows = table.set_index(["speech_id", "formulation"])
    assert rows.loc[(seed_ids["000-1"], "冲刺30强"), "count"] == 9
    assert rows.loc[(seed_ids["000-1"], "冲刺30强"), "kind"] == "quoted"
    assert rows.loc[(seed_ids["003-1"], "三服务"), "count"] == 4
    assert rows.loc[(seed_ids["003-2"], "三个代表"), "kind"] == "numbered"
    total = table.groupby("formulation")["count"].sum()
    assert total["三个代表"] == 8
    for found in ("八项规定", "六大工程", "五落实", "四实", "三项公开", "执行力建设年"):
        assert found in total.index
    for junk in ("一是", "二是", "第一", "一些", "一定", "一直", "十八大", "两年", "二○○九年"):
        assert junk not in total.index
    assert not table["formulation"].str.match(r"^[二三四五六七八九十两]+[是要年月日]").any()


def test_formulations_of_a_small_text():
    corpus = Corpus.from_texts(
        {"a": "坚持“四个意识”，落实八项规定，一是抓“五落实”。二是讲三点意见。第三，2009年。"}
    )
    table = fq.formulations(corpus)
    assert sorted(zip(table["formulation"], table["kind"], table["count"], strict=True)) == [
        ("五落实", "numbered", 1),
        ("八项规定", "numbered", 1),
        ("四个意识", "numbered", 1),
    ]


def test_formulation_totals_sum_per_speech_counts(seed_corpus):
    from jianghua.frequency import formulation_totals, formulations

    form = formulations(seed_corpus)
    totals = formulation_totals(form)
    row = totals.set_index("formulation").loc["三个代表"]
    per_speech = form[form.formulation == "三个代表"]
    assert row["count"] == per_speech["count"].sum() == 8
    assert row["n_speeches"] == per_speech.speech_id.nunique()
    assert totals["count"].is_monotonic_decreasing
