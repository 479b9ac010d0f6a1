"""Tests for compare, similar and text_reuse: groups, keyness, similarity, reuse, profiles."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from jianghua import compare, config, neighbours, similar, text_reuse
from jianghua.compare import (
    comparison_terms,
    formulation_profiles,
    groups,
    keyness,
    keyness_stats,
    theme_profiles,
)
from jianghua.corpus import Corpus
from jianghua.similar import cluster_order, nearest_neighbours, similarity
from jianghua.text_reuse import load_stop_passages, reuse

FIXTURES = config.TESTS_DIR / "fixtures" / "compare"
SEED_002 = config.CORPUS_DIR / "002_2b1bf25027684282.txt"


def _words(counts: dict) -> str:
    """Return a text in which each word occurs counts[word] times, one word per sentence."""
    return "".join(f"{w}。" * n for w, n in counts.items())


@pytest.fixture
def known_counts():
    """Target 市 (two speeches): 改革 6, 发展 2, 创新 2; reference 县: 改革 2, 发展 8, 群众 10."""
    texts = {
        "a1": _words({"改革": 4, "发展": 1, "创新": 2}),
        "a2": _words({"改革": 2, "发展": 1}),
        "b1": _words({"改革": 2, "发展": 8, "群众": 10}),
    }
    return Corpus.from_texts(texts, level=["市", "市", "县"])


def _quiet(func, *args, **kwargs):
    """Call func with the small-group warnings of tiny fixtures silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


# ---------------------------------------------------------------- groups


def test_groups_by_column_reports_missing_and_small_groups():
    corpus = Corpus.from_texts(
        {"s1": "甲" * 1500, "s2": "乙" * 1000, "s3": "丙" * 300, "s4": "丁" * 50},
        level=["市", "市", "县", pd.NA],
    )
    with pytest.warns(UserWarning) as caught:
        g = groups(corpus, "level", min_chars=2000)
    assert g.to_dict() == {"s1": "市", "s2": "市", "s3": "县"}
    assert g.attrs["missing"] == ["s4"]
    assert g.attrs["sizes"] == {"县": 300, "市": 2500}
    assert g.attrs["too_small"] == ["县"]
    messages = [str(w.message) for w in caught]
    assert any("'县'" in m and "300 characters" in m for m in messages)
    assert any("no level" in m and "s4" in m for m in messages)


def test_groups_by_year_mapping_and_duplicates():
    corpus = Corpus.from_texts(
        {"s1": "甲" * 10, "s2": "乙" * 10, "s3": "丙" * 10},
        date=["2009-02-02", "2015-03-30", pd.NaT],
        duplicate_of=[pd.NA, pd.NA, "s1"],
    )
    years = _quiet(groups, corpus, "year", min_chars=0)
    assert years.to_dict() == {"s1": 2009, "s2": 2015}
    assert years.attrs["missing"] == ["s3"]
    with pytest.warns(UserWarning, match="duplicate speech"):
        mapped = groups(corpus, {"s1": "甲组", "s3": "甲组", "s2": "乙组"}, min_chars=0)
    assert mapped.to_dict() == {"s1": "甲组", "s2": "乙组"}
    assert mapped.attrs["duplicates"] == ["s3"]
    kept = _quiet(groups, corpus, {"s1": "甲组", "s3": "甲组"}, min_chars=0, duplicates=True)
    assert kept.to_dict() == {"s1": "甲组", "s3": "甲组"}
    with pytest.raises(ValueError, match="cannot group by 'colour'"):
        groups(corpus, "colour")


def test_a_speech_without_a_date_takes_the_year_in_its_title():
    corpus = Corpus.from_texts(
        {"s1": "甲" * 10, "s2": "乙" * 10, "s3": "丙" * 10, "s4": "丁" * 10},
        date=["2009-02-02", pd.NaT, pd.NaT, pd.NaT],
        title=["2015年工作报告", "二〇一九年政府工作报告", "在全区大会上的讲话", "八十年代的回顾"],
    )
    with pytest.warns(UserWarning, match=r"no date or year in the title .*s3, s4"):
        years = groups(corpus, "year", min_chars=0)
    # a written date wins over the title; a decade is not a year
    assert years.to_dict() == {"s1": 2009, "s2": 2019}


# ---------------------------------------------------------------- keyness


def test_keyness_matches_hand_arithmetic(known_counts):
    tab = _quiet(keyness, known_counts, "市", by="level", min_count=1, stopwords=None, alpha0=10)
    assert tab.columns.tolist() == compare.KEYNESS_COLUMNS
    row = tab.set_index("term").loc["改革"]
    assert (row.count_target, row.count_reference) == (6, 2)
    # target 10 tokens, reference 20; 改革 6 vs 2 -> expected 10*8/30 and 20*8/30
    e1, e2 = 10 * 8 / 30, 20 * 8 / 30
    g2 = 2 * (6 * math.log(6 / e1) + 2 * math.log(2 / e2))
    assert g2 == pytest.approx(5.807846, abs=1e-6)
    assert row.G2 == pytest.approx(g2)
    assert row.log_ratio == pytest.approx(math.log2((6 / 10) / (2 / 20)))
    # informative Dirichlet prior: alpha_w = alpha0 * corpus share = 10 * 8/30
    alpha = 10 * 8 / 30
    delta = math.log((6 + alpha) / (10 + 10 - 6 - alpha)) - math.log(
        (2 + alpha) / (20 + 10 - 2 - alpha)
    )
    assert row.log_odds == pytest.approx(delta)
    assert row.z == pytest.approx(delta / math.sqrt(1 / (6 + alpha) + 1 / (2 + alpha)))
    # 创新 2 vs 0: the zero becomes 0.5 in the log ratio; G2 has only the target term
    new = tab.set_index("term").loc["创新"]
    assert new.log_ratio == pytest.approx(math.log2((2 / 10) / (0.5 / 20))) == pytest.approx(3)
    assert new.G2 == pytest.approx(2 * 2 * math.log(2 / (10 * 2 / 30)))
    # 发展 2 vs 8 is under-represented in the target: negative G2
    dev = tab.set_index("term").loc["发展"]
    e1, e2 = 10 * 10 / 30, 20 * 10 / 30
    assert dev.G2 == pytest.approx(-2 * (2 * math.log(2 / e1) + 8 * math.log(8 / e2)))
    assert tab["term"].tolist() == ["改革", "创新", "发展", "群众"]
    assert tab.attrs["tokens_target"] == 10 and tab.attrs["tokens_reference"] == 20


def test_keyness_min_count_reference_and_errors(known_counts):
    tab = _quiet(keyness, known_counts, "市", min_count=3, stopwords=None)
    assert set(tab["term"]) == {"改革", "发展", "群众"}  # 创新 (2) is dropped
    reverse = _quiet(keyness, known_counts, "县", reference="市", min_count=1, stopwords=None)
    assert reverse["term"].iloc[0] == "群众"
    assert reverse.set_index("term").loc["改革", "count_reference"] == 6
    # a groups() result works as `by`, and gives the same table as the column name
    g = _quiet(groups, known_counts, "level", min_chars=0)
    again = _quiet(keyness, known_counts, "县", reference="市", by=g, min_count=1, stopwords=None)
    pd.testing.assert_frame_equal(reverse, again)
    with pytest.raises(ValueError, match="no group"):
        _quiet(keyness, known_counts, "省", stopwords=None)
    with pytest.raises(ValueError, match="overlap"):
        _quiet(keyness, known_counts, "市", reference=["市", "县"], stopwords=None)


def test_keyness_stats_symmetry():
    a, b, prior = np.array([5, 1, 0]), np.array([1, 5, 4]), np.array([6, 6, 4])
    fwd, back = keyness_stats(a, b, prior), keyness_stats(b, a, prior)
    assert np.allclose(fwd["G2"], -back["G2"])
    assert np.allclose(fwd["z"], -back["z"])
    assert np.allclose(fwd["log_ratio"], -back["log_ratio"])


def test_comparison_terms_positive_only_and_group_limit(known_counts):
    terms = _quiet(comparison_terms, known_counts, "level", n=5, min_count=1, stopwords=None)
    assert terms.columns.tolist() == ["group", "term", "score"]
    assert (terms["score"] > 0).all()
    by_group = terms.groupby("group")["term"].apply(list).to_dict()
    assert by_group == {"县": ["群众", "发展"], "市": ["改革", "创新"]}
    many = Corpus.from_texts(
        {f"s{i}": "改革。发展。" for i in range(9)}, place=list("甲乙丙丁戊己庚辛壬")
    )
    with pytest.raises(ValueError, match="9 groups is too many"):
        _quiet(comparison_terms, many, "place")


# ---------------------------------------------------------------- similarity


@pytest.fixture
def three_texts():
    return Corpus.from_texts({"x": "改革。发展。", "y": "改革。群众。", "z": "创新。"})


def test_similarity_matches_tfidf_by_hand(three_texts):
    sim = similarity(three_texts, stopwords=None)
    assert sim.index.tolist() == sim.columns.tolist() == ["x", "y", "z"]
    # smooth idf: ln((1 + n) / (1 + df)) + 1 with n = 3 speeches; tf 1 -> weight = idf
    idf_shared, idf_own = math.log(4 / 3) + 1, math.log(4 / 2) + 1
    expected = idf_shared**2 / (idf_shared**2 + idf_own**2)
    assert sim.loc["x", "y"] == pytest.approx(expected) == pytest.approx(0.36645, abs=1e-4)
    assert sim.loc["x", "z"] == 0.0
    assert np.allclose(np.diag(sim), 1.0)
    assert np.allclose(sim, sim.T)


def test_nearest_neighbours_blocks_agree(three_texts):
    nn = nearest_neighbours(three_texts, k=2, stopwords=None)
    assert nn.columns.tolist() == similar.NEIGHBOUR_COLUMNS
    first = nn[nn["rank"] == 1].set_index("speech_id")["neighbour"].to_dict()
    assert first == {"x": "y", "y": "x", "z": "x"}  # z ties at 0: corpus order decides
    small = nearest_neighbours(three_texts, k=2, stopwords=None, block_cells=3)
    pd.testing.assert_frame_equal(nn, small)
    # the sparse product (for vocabularies too large to densify) gives the same table
    sparse = nearest_neighbours(three_texts, k=2, stopwords=None, dense_bytes=0)
    pd.testing.assert_frame_equal(nn, sparse, rtol=1e-6)
    assert nn.set_index(["speech_id", "neighbour"]).loc[("x", "y"), "cosine"] == pytest.approx(
        similarity(three_texts, stopwords=None).loc["x", "y"]
    )


def test_similarity_refuses_large_dense(three_texts, monkeypatch):
    monkeypatch.setattr(similar, "DENSE_LIMIT", 2)
    with pytest.raises(ValueError, match="nearest_neighbours"):
        similarity(three_texts, stopwords=None)
    assert similarity(three_texts, stopwords=None, dense=True).shape == (3, 3)


def test_cluster_order_keeps_similar_speeches_together():
    ids = ["a", "b", "c", "d"]
    sim = pd.DataFrame(
        [[1, 0.1, 0.9, 0.0], [0.1, 1, 0.0, 0.8], [0.9, 0.0, 1, 0.1], [0.0, 0.8, 0.1, 1]],
        index=ids,
        columns=ids,
    )
    cl = cluster_order(sim)
    assert sorted(cl.order) == ids
    pos = {s: i for i, s in enumerate(cl.order)}
    assert abs(pos["a"] - pos["c"]) == 1 and abs(pos["b"] - pos["d"]) == 1
    assert cl.linkage.shape == (3, 4)
    assert cl.linkage[0, 2] == pytest.approx(0.1)  # a and c join first, at distance 1 - 0.9


# ---------------------------------------------------------------- reuse


def _mutate(passage: str, every=50, seed=7) -> tuple[str, list[int]]:
    """Return passage with one character changed in each run of `every`, and the positions."""
    rng = np.random.default_rng(seed)
    chars, changed = list(passage), []
    for start in range(0, len(passage), every):
        i = start + int(rng.integers(5, every - 5))
        chars[i] = "乙" if chars[i] == "甲" else "甲"
        changed.append(i)
    return "".join(chars), changed


def _planted():
    """Return (corpus, source offset, host offset): 600 chars of seed 002 near-copied into water."""
    source = SEED_002.read_text(encoding="utf-8")
    off = source.index("解放初期,原新喻县")
    copy, changed = _mutate(source[off : off + 600])
    assert len(changed) == 12
    water = (FIXTURES / "water.txt").read_text(encoding="utf-8")
    at = water.index("二、突出重点")
    host = water[:at] + copy + "\n" + water[at:]
    school = (FIXTURES / "school.txt").read_text(encoding="utf-8")
    return Corpus.from_texts({"src": source, "host": host, "school": school}), off, at


def test_reuse_finds_planted_near_copy_with_spans():
    corpus, off, at = _planted()
    found = reuse(corpus)
    assert found.passages.columns.tolist() == text_reuse.PASSAGE_COLUMNS
    assert len(found.passages) == 1
    p = found.passages.iloc[0]
    assert (p.speech_a, p.start_a, p.end_a) == ("src", off, off + 600)
    assert (p.speech_b, p.start_b, p.end_b) == ("host", at, at + 600)
    # 12 characters differ; spaces do not count: 598 characters, ratio 2 * 586 / (2 * 598)
    assert len("".join(p.text_a.split())) == 598
    assert p.similarity == round(2 * 586 / (2 * 598), 4) == 0.9799
    assert p.text_a.startswith("解放初期") and len(p.text_b) == 600
    pair = found.pairs.iloc[0]
    assert (pair.speech_a, pair.speech_b, pair.shared_chars) == ("src", "host", 600)
    assert pair.pct_b == pytest.approx(600 / len(corpus.speeches.text[1]))
    ctx = found.context(0, width=6)
    assert ctx.columns.tolist() == ["side", "speech_id", "start", "end", "left", "match", "right"]
    assert ctx.loc[1, "right"] == "\n二、突出重"
    assert ctx.loc[1, "left"] == water_line_end()


def water_line_end() -> str:
    water = (FIXTURES / "water.txt").read_text(encoding="utf-8")
    at = water.index("二、突出重点")
    return water[at - 6 : at]


def test_reuse_bridges_inserted_and_dropped_characters():
    source = SEED_002.read_text(encoding="utf-8")
    off = source.index("解放初期,原新喻县")
    passage = source[off : off + 300]
    edited = passage[:100] + "又" + passage[100:200] + passage[201:]  # one added, one dropped
    corpus = Corpus.from_texts({"src": source, "copy": "前言。" + edited + "结语。"})
    p = reuse(corpus).passages
    assert len(p) == 1
    assert (p.start_a[0], p.end_a[0], p.start_b[0], p.end_b[0]) == (off, off + 300, 3, 303)
    assert p.similarity[0] == pytest.approx(round(2 * 299 / 600, 4))


def test_reuse_ignores_shared_boilerplate():
    water = (FIXTURES / "water.txt").read_text(encoding="utf-8")
    school = (FIXTURES / "school.txt").read_text(encoding="utf-8")
    corpus = Corpus.from_texts({"water": water, "school": school})
    assert reuse(corpus).pairs.empty
    assert reuse(corpus, min_chars=30).pairs.empty
    # the stop list, not the length limit, is what keeps the boilerplate out
    # an explicit list replaces the default one
    own = reuse(corpus, min_chars=10, stop_passages=["在此,我代表*表示热烈的祝贺!"]).passages
    assert own.text_a.tolist() == ["下面,我讲三点意见。"]
    assert reuse(corpus, min_chars=10).passages.empty
    bare = reuse(corpus, min_chars=30, stop_passages=None).passages
    assert len(bare) == 1
    assert bare.text_a[0].startswith("下面,我讲三点意见。")
    assert "表示热烈的祝贺!" in bare.text_a[0]


def test_analyst_stop_passages_extend_the_default(tmp_path):
    (tmp_path / "stop_passages.txt").write_text(
        "# our own\n解放初期,原新喻县、新余县时期*的状况\n", encoding="utf-8"
    )
    lines = load_stop_passages(corpus_root=tmp_path)
    assert "同志们:" in lines and lines[-1] == "解放初期,原新喻县、新余县时期*的状况"
    corpus, off, _ = _planted()
    corpus.root = tmp_path
    p = reuse(corpus).passages
    assert len(p) == 1
    # the masked opening is not reported but the copy around it still is one passage
    assert p.start_a[0] > off and p.end_a[0] == off + 600


def test_seed_reuse_is_only_the_truncated_copy(seed_corpus, seed_ids):
    found = reuse(seed_corpus)
    pairs = found.pairs
    assert pairs[["speech_a", "speech_b"]].values.tolist() == [
        [seed_ids["003-2"], seed_ids["003-4"]]
    ]
    assert pairs.pct_b[0] >= 0.95
    assert pairs.pct_a[0] == pytest.approx(
        pairs.shared_chars[0]
        / len(seed_corpus.speeches.set_index("speech_id").text[seed_ids["003-2"]])
    )
    assert found.passages.similarity.min() >= 0.99
    # the fingerprint index sends only a couple of the 36 speech pairs to alignment
    assert found.pairs.attrs["possible_pairs"] == 36
    assert 1 <= found.pairs.attrs["candidate_pairs"] <= 4


# ---------------------------------------------------------------- profiles


def test_theme_profiles_pool_hits_and_tokens(known_counts):
    themes = {"改革": ["改革", "创新"], "民生": ["群众"]}
    prof = _quiet(theme_profiles, known_counts, "level", themes=themes)
    assert prof.columns.tolist() == ["group", "theme", "per_1k", "hits", "n_tokens"]
    got = prof.set_index(["group", "theme"])
    # 市: 改革 6 + 创新 2 = 8 hits in 10 tokens; 县: 群众 10 in 20 tokens
    assert got.loc[("市", "改革"), "hits"] == 8 and got.loc[("市", "改革"), "n_tokens"] == 10
    assert got.loc[("市", "改革"), "per_1k"] == pytest.approx(800.0)
    assert got.loc[("县", "民生"), "per_1k"] == pytest.approx(500.0)
    assert got.loc[("县", "改革"), "per_1k"] == pytest.approx(100.0)


def test_formulation_profiles_sum_counts():
    corpus = Corpus.from_texts(
        {
            "a": "坚持“两个务必”。落实“两个务必”。实施“三改一拆”。",
            "b": "强化“两个务必”。",
            "c": "推进“三改一拆”。",
        },
        level=["市", "市", "县"],
    )
    prof = _quiet(formulation_profiles, corpus, "level")
    assert prof.columns.tolist()[:3] == ["group", "formulation", "count"]
    got = prof.set_index(["group", "formulation"])["count"].to_dict()
    assert got[("市", "两个务必")] == 3
    assert got[("市", "三改一拆")] == 1
    assert got[("县", "三改一拆")] == 1


# ---------------------------------------------------------------- seeds


def test_seed_groups_by_level_leave_out_the_unplaced_compilation(seed_corpus, seed_ids):
    with pytest.warns(UserWarning, match="have no level"):
        g = groups(seed_corpus, "level")
    assert g[seed_ids["000-1"]] == "区" and g[seed_ids["002-1"]] == "区"
    assert g[seed_ids["003-1"]] == "市" and g[seed_ids["004-1"]] == "地区"
    assert g.attrs["missing"] == [seed_ids["003-2"], seed_ids["003-3"], seed_ids["003-4"]]
    assert g.attrs["too_small"] == []


def test_seed_keyness_district_speeches(seed_corpus):
    tab = _quiet(keyness, seed_corpus, "区")
    top = tab.head(4).set_index("term")
    # 渝水区 and 区委 occur only in the two district speeches (000 and 002)
    assert {"渝水区", "区委"} <= set(top.index)
    assert top.loc["渝水区", "count_reference"] == 0 and top.loc["渝水区", "count_target"] >= 20
    c, d = tab.attrs["tokens_target"], tab.attrs["tokens_reference"]
    a = top.loc["渝水区", "count_target"]
    # with no reference occurrences, G2 = 2 a ln(a / E1) and E1 = c a / (c + d)
    assert top.loc["渝水区", "G2"] == pytest.approx(2 * a * math.log((c + d) / c))
    assert (tab["G2"].diff().dropna() <= 0).all()
    city = _quiet(comparison_terms, seed_corpus, "level", n=10)
    assert "机关干部" in set(city[city.group == "市"].term)
    assert "渝水区" in set(city[city.group == "区"].term)


def test_seed_similarity_pairs_the_truncated_copy(seed_corpus, seed_ids):
    sim = similarity(seed_corpus)
    assert sim.shape == (9, 9)
    off = sim.where(~np.eye(9, dtype=bool))
    best = off.stack().idxmax()
    assert set(best) == {seed_ids["003-2"], seed_ids["003-4"]}
    nn = nearest_neighbours(seed_corpus, k=3)
    first = nn[(nn.speech_id == seed_ids["003-4"]) & (nn["rank"] == 1)].iloc[0]
    assert first.neighbour == seed_ids["003-2"]
    assert first.cosine == pytest.approx(sim.loc[seed_ids["003-4"], seed_ids["003-2"]])
    order = cluster_order(sim).order
    assert abs(order.index(seed_ids["003-2"]) - order.index(seed_ids["003-4"])) == 1


def test_seed_profiles_by_level(seed_corpus):
    themes = _quiet(theme_profiles, seed_corpus, "level")
    assert set(themes.group) == {"区", "县", "市", "地区"}
    row = themes.iloc[0]
    assert row.per_1k == pytest.approx(1000 * row.hits / row.n_tokens)
    forms = _quiet(formulation_profiles, seed_corpus, "level")
    district = forms[forms.group == "区"].set_index("formulation")["count"]
    assert district.index[0] == "冲刺30强" and district.iloc[0] >= 5


def test_seed_section_similarity_matches_the_copied_preamble(seed_corpus, seed_ids):
    nn = nearest_neighbours(seed_corpus, k=1, unit="section")
    top = nn.set_index("speech_id")
    # the text before the first 一、 heading of 003-4 is a verbatim copy of 003-2's
    assert top.loc[f"{seed_ids['003-4']}#0", "neighbour"] == f"{seed_ids['003-2']}#0"
    assert top.loc[f"{seed_ids['003-4']}#0", "cosine"] == pytest.approx(1.0)
    sim = similarity(seed_corpus, unit="section")
    assert sim.index[0] == f"{seed_ids['000-1']}#0"
    with pytest.raises(ValueError, match='unit must be "speech" or "section"'):
        similarity(seed_corpus, unit="paragraph")


def test_seed_groups_by_speaker_and_year(seed_corpus, seed_ids):
    with pytest.warns(UserWarning) as caught:
        g = groups(seed_corpus, "speaker", min_chars=5000)
    assert g.to_dict() == {
        seed_ids["000-1"]: "张永霞",
        seed_ids["002-1"]: "徐文泊",
        seed_ids["003-1"]: "孙建国",
    }
    # 张永霞's one speech (000) is the only group under 5,000 characters
    assert g.attrs["too_small"] == ["张永霞"]
    size = g.attrs["sizes"]["张永霞"]
    assert 4000 < size < 5000
    assert any(f"'张永霞' has only {size} characters" in str(w.message) for w in caught)
    years = _quiet(groups, seed_corpus, "year")
    assert years.to_dict() == {seed_ids["000-1"]: 2009, seed_ids["003-1"]: 2009}


def test_seed_keyness_of_the_only_year_uses_every_other_speech(seed_corpus):
    with pytest.warns(UserWarning) as caught:
        tab = keyness(seed_corpus, "2009", by="year")
    assert any("is the only group" in str(w.message) for w in caught)
    assert tab.attrs["target"] == [2009] and tab.attrs["reference"] == [compare.REST]
    # 000 and 003-1 are the dated speeches; 率先 and 东港 are 000's (the rest never says them)
    top = tab.head(6).set_index("term")
    assert top.loc["率先", "count_reference"] == 0 and top.loc["东港", "count_reference"] == 0
    pd.testing.assert_frame_equal(tab, _quiet(keyness, seed_corpus, 2009, by="year"))


@pytest.mark.parametrize("side", [1, 3, 7, 50])
@pytest.mark.parametrize("dense_bytes", [0, 10**9])
def test_nearest_rows_equal_a_full_sort_ties_in_row_order(side, dense_bytes):
    from scipy import sparse

    rng = np.random.default_rng(7)
    base = sparse.random(12, 30, density=0.3, random_state=rng, format="csr")
    # repeated rows and an empty row: many exact ties, as copies of a speech give
    x = sparse.vstack([base, base[:4], sparse.csr_matrix((1, 30)), base[2:3]]).tocsr()
    x.data = np.round(x.data, 1)  # coarse values: more ties
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    x = (sparse.diags(1 / np.where(norms > 0, norms, 1)) @ x).tocsr()
    k = 4
    cols, cos = neighbours.block_nearest(x, k, side, dense_bytes)
    full = (x @ x.T).toarray().astype(np.float32 if dense_bytes else np.float64)
    np.fill_diagonal(full, -np.inf)
    for row in range(x.shape[0]):
        expected = sorted(range(x.shape[0]), key=lambda c, r=row: (-full[r, c], c))[:k]
        assert cols[row].tolist() == expected, row
        assert np.allclose(cos[row], full[row, expected], atol=1e-6)


def test_pick_group_defaults_to_the_group_with_most_text_and_the_latest_year(seed_corpus):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sizes = compare.groups(seed_corpus, "level").attrs["sizes"]
    # 市 (the 003 compilation of four 市长 speeches) holds more text than 区, 县 or 地区
    assert compare.pick_group(seed_corpus, "level") == "市" == max(sizes, key=sizes.get)
    assert compare.pick_group(seed_corpus, "level", "县") == "县"
    years = seed_corpus.speeches.assign(y=compare.speech_years(seed_corpus.speeches)).y
    assert compare.pick_group(seed_corpus, "year") == years.dropna().max() == 2009
    empty = Corpus(seed_corpus.speeches.iloc[:0], seed_corpus.sections.iloc[:0])
    with pytest.raises(compare.NotEnoughData, match="no group"):
        compare.pick_group(empty, "level")


def test_covered_by_counts_each_character_of_overlapping_spans_once():
    rng = np.random.default_rng(7)
    group = rng.integers(0, 6, 300)
    start = rng.integers(0, 500, 300)
    end = start + rng.integers(1, 60, 300)
    expected = [
        len({c for g, s, e in zip(group, start, end, strict=True) if g == k for c in range(s, e)})
        for k in range(6)
    ]
    assert text_reuse._covered_by(group, start, end).tolist() == expected
    assert text_reuse._covered_by(
        np.array([0, 0]), np.array([5, 0]), np.array([9, 10])
    ).tolist() == [10]
