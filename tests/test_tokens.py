"""Segmentation, user dictionaries, stopword lists and the token cache."""

import dataclasses
import importlib
import sys
import warnings

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from jianghua import cache_files, config, segment, token_cache
from jianghua.corpus import Corpus

# the module: the package attribute jianghua.tokens is the tokens() function
tk = importlib.import_module("jianghua.tokens")
FIXTURES = config.TESTS_DIR / "fixtures" / "tokens"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty token cache folder for one test (and no tokens table kept in memory)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("JIANGHUA_CACHE", str(folder))
    tk.clear_memory()
    yield folder
    tk.clear_memory()


def _tokens_of(frame, speech_id):
    return frame.loc[frame["speech_id"] == speech_id, "token"].tolist()


# ---------------------------------------------------------------- engines


def test_rjieba_and_jieba_agree_on_the_whole_seed_corpus(seed_corpus):
    fast = segment.segmenter(engine="rjieba")
    reference = segment.Segmenter("jieba", fast.dictionary)
    texts = seed_corpus.speeches["text"].tolist()
    # the raw files too: their URLs, dates and page furniture exercise the Latin-run fixes
    texts += [p.read_text(encoding="utf-8") for p in sorted(config.CORPUS_DIR.glob("*.txt"))]
    for text in texts:
        assert fast.cut(text) == reference.cut(text)
    assert sum(len(fast.cut(t)) for t in texts) > 60_000


def test_latin_runs_split_like_jieba():
    fast = segment.segmenter(engine="rjieba")
    text = "访问www.bsmz.net/757149.html，COVID-19和a_b于2015-03-30增长2.9%"
    pieces = fast.cut(text)
    assert pieces == segment.Segmenter("jieba", fast.dictionary).cut(text)
    assert ["COVID", "-", "19"] == pieces[pieces.index("COVID") : pieces.index("COVID") + 3]
    assert "2.9%" in pieces


@pytest.mark.parametrize(
    "text",
    [
        "推广C++和.NET，5G+工业互联网，A&B两地，版本1.2.3发布，a-b-c试点",
        "#主题教育#活动，增长100%以上，占50.5%，--，http://localhost:8080与https://x.gov.cn/a?b=1",
        "Ｗ型（全角）与W型，3.14.15，GDP增长7.5%%，ok.，_下划线_，x.y.z.com/路径",
    ],
)
def test_latin_edge_cases_cut_like_jieba(text):
    fast = segment.segmenter(engine="rjieba")
    reference = segment.Segmenter("jieba", fast.dictionary)
    assert fast.cut(text) == reference.cut(text)
    assert fast.words(text)[1] == segment.word_tokens(text, reference.cut(text))[1]
    starts, words, codes = fast.coded(text)
    assert [words[c] for c in codes] == fast.words(text)[1]
    assert starts.tolist() == fast.words(text)[0].tolist()
    assert sorted(set(codes.tolist())) == list(range(len(words)))  # no unused word is kept


def test_auto_engine_is_rjieba_and_unknown_engine_is_refused():
    assert segment.segmenter().engine == "rjieba"
    with pytest.raises(ValueError, match="engine must be one of"):
        segment.segmenter(engine="pkuseg")


# ---------------------------------------------------------------- what a token is


def test_formulations_are_single_tokens(seed_corpus, cache):
    frame = tk.tokens(seed_corpus)
    texts = seed_corpus.speeches["text"]
    assert (frame["token"] == "科学发展观").sum() == texts.str.count("科学发展观").sum() == 6
    assert (frame["token"] == "作风建设").sum() == 25
    assert (frame["token"] == "抓落实").sum() == 31
    assert (frame["token"] == "三个代表").sum() == 8
    for inner in ("科学", "发展观", "作风", "抓"):
        assert inner not in set(frame.loc[frame["token"].str.len() > 2, "token"])


def test_no_punctuation_numbers_urls_or_redactions(cache):
    text = "访问 www.example.com/a.html ，2009年增长十五倍3.5%，**县委要抓落实。一是"
    frame = tk.tokens(Corpus.from_texts({"a": text}))
    assert frame["token"].tolist() == ["访问", "年", "增长", "倍", "县委", "要", "抓落实", "一是"]
    assert frame["position"].tolist() == list(range(8))
    assert frame["start"].tolist()[:4] == [0, 31, 32, 36]


def test_starts_point_into_the_text(seed_corpus, cache):
    frame = tk.tokens(seed_corpus)
    texts = dict(zip(seed_corpus.speeches["speech_id"], seed_corpus.speeches["text"], strict=True))
    for sid, start, token in zip(frame["speech_id"], frame["start"], frame["token"], strict=True):
        assert texts[sid][start : start + len(token)] == token
    assert list(frame.columns) == tk.TOKEN_COLUMNS


# ---------------------------------------------------------------- user dictionaries


def test_read_userdict_tolerates_bom_crlf_and_missing_frequency():
    rows = segment.read_userdict(FIXTURES / "userdict_analyst.txt")
    assert rows == [("富民强区", 800, "nz"), ("东港率先", None, None), ("大干09", 300, None)]


def test_analyst_userdict_extends_the_shipped_one(cache):
    text = "推动东港率先发展，建设富民强区。"
    corpus = Corpus.from_texts({"a": text})
    before = tk.tokens(corpus, userdict=[config.DATA_DIR / "userdict.txt"])["token"].tolist()
    after = tk.tokens(corpus, userdict=FIXTURES / "userdict_analyst.txt")["token"].tolist()
    assert "富民强区" not in before and "东港率先" not in before
    assert after == ["推动", "东港率先", "发展", "建设", "富民强区"]


def test_frequency_zero_lines_are_reported_not_applied(tmp_path):
    path = tmp_path / "userdict.txt"
    path.write_text("执行力 0\n抓落实 100 v\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="frequency 0"):
        rows = segment.read_userdict(path)
    assert rows == [("抓落实", 100, "v")]


# ---------------------------------------------------------------- stopwords


def test_stopword_lists_apply():
    general, filler = tk.load_stopwords("general"), tk.load_stopwords("officialese")
    assert {"的", "了", "在", "和"} <= general
    assert {"同志们", "进一步", "切实", "各级"} <= filler
    assert "要" not in general | filler  # directive words stay countable
    assert tk.load_stopwords("default") >= general | filler
    assert tk.load_stopwords(None) == frozenset()
    assert tk.load_stopwords(["甲", "乙"]) == {"甲", "乙"}


def test_stopword_files_one_per_line_or_separated():
    assert tk.load_stopwords(FIXTURES / "stopwords_lines.txt") == {"率先", "东港"}
    assert tk.load_stopwords(FIXTURES / "stopwords_commas.txt") == {
        "执行", "活动", "全区", "干部", "区委",
    }  # fmt: skip


def test_analyst_stopwords_join_the_default(tmp_path):
    (tmp_path / "stopwords.txt").write_text("率先、东港\n", encoding="utf-8")
    (tmp_path / "stopwords_more.txt").write_text("执行\n", encoding="utf-8")
    default = tk.load_stopwords("default", corpus_root=tmp_path)
    assert {"率先", "东港", "执行", "同志们", "的"} <= default
    assert tk.load_stopwords("analyst", corpus_root=tmp_path) == {"率先", "东港", "执行"}
    with pytest.raises(ValueError, match="neither a list name"):
        tk.load_stopwords("no-such-list", corpus_root=tmp_path)


# ---------------------------------------------------------------- the cache


def test_second_call_segments_nothing(seed_corpus, cache):
    first = tk.tokens(seed_corpus)
    assert first.attrs["segmented"] == len(seed_corpus.speeches) == 9
    tk.clear_memory()  # as after a kernel restart: only the disk cache is left
    second = tk.tokens(seed_corpus)
    assert second.attrs["segmented"] == 0
    assert second.equals(first)
    assert len(list(cache.rglob("*.tok"))) == 9


def test_editing_the_userdict_invalidates_only_affected_texts(tmp_path, cache):
    texts = {"a": "要建设富民强区。", "b": "狠抓工作落实。", "c": "推动东港率先发展。"}
    corpus = Corpus.from_texts(texts)
    corpus.root = tmp_path
    userdict = tmp_path / "userdict.txt"
    userdict.write_text("执行力 2000 n\n", encoding="utf-8")
    first = tk.tokens(corpus)
    assert first.attrs["segmented"] == 3
    userdict.write_text("执行力 2000 n\n富民强区 800\n", encoding="utf-8")
    tk.clear_memory()
    second = tk.tokens(corpus)
    assert second.attrs["segmented"] == 1  # only "a" contains the new word
    assert _tokens_of(second, "a") == ["要", "建设", "富民强区"]
    assert _tokens_of(second, "b") == _tokens_of(first, "b")
    tk.clear_memory()
    assert tk.tokens(corpus).attrs["segmented"] == 0  # re-stamped entries: fast path
    userdict.write_text("执行力 2000 n\n富民强区 800\n东港率先 900\n", encoding="utf-8")
    tk.clear_memory()
    third = tk.tokens(corpus)
    assert third.attrs["segmented"] == 1
    assert _tokens_of(third, "c") == ["推动", "东港率先", "发展"]


def test_damaged_or_half_written_entries_are_not_trusted(cache):
    corpus = Corpus.from_texts({"a": "切实加强作风建设，狠抓落实。"})
    expected = tk.tokens(corpus)["token"].tolist()
    (entry,) = cache.rglob("*.tok")
    (entry.parent / ".tmp-killed.part").write_bytes(entry.read_bytes()[:20])  # a killed write
    entry.write_bytes(entry.read_bytes()[:-3])  # damage the real entry
    tk.clear_memory()
    with pytest.warns(UserWarning, match="damaged"):
        again = tk.tokens(corpus)
    assert again.attrs["segmented"] == 1
    assert again["token"].tolist() == expected == ["切实加强", "作风建设", "狠抓落实"]
    tk.clear_memory()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tk.tokens(corpus).attrs["segmented"] == 0


@pytest.mark.parametrize("engine", ["rjieba", "jieba"])
def test_all_cores_give_the_same_tokens_as_one_core(seed_corpus, monkeypatch, engine):
    seg = segment.segmenter(engine=engine)
    texts = seed_corpus.speeches["text"].tolist()
    monkeypatch.setattr(segment, "POOL_MIN_CHARS", 0)
    pooled = segment.segment_texts(seg, texts, workers=2)
    single = segment.segment_texts(seg, texts, workers=1)
    assert [t for _, t in pooled] == [t for _, t in single]
    assert [s.tolist() for s, _ in pooled] == [s.tolist() for s, _ in single]
    # the coded path (word codes, as tokens() keeps them) against the word filter on pieces
    assert [t for _, t in single] == [seg.words(text)[1] for text in texts]


def test_words_jieba_can_never_match_are_reported(tmp_path):
    path = tmp_path / "userdict.txt"
    path.write_text("放管服·改革 500\n冲刺30强 800 nz\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="放管服·改革"):
        dictionary = segment.load_dictionary([path])
    assert [e[0] for e in dictionary.entries] == ["冲刺30强"]


def test_without_rjieba_jieba_runs_with_a_warning(monkeypatch, cache):
    monkeypatch.setitem(sys.modules, "rjieba", None)  # import now fails
    with pytest.warns(UserWarning, match="falling back to jieba"):
        frame = tk.tokens(Corpus.from_texts({"a": "要抓落实，加强作风建设。"}))
    assert frame.attrs["engine"] == "jieba"
    assert frame["token"].tolist() == ["要", "抓落实", "加强", "作风建设"]


def test_some_speeches_of_the_table_in_memory_are_sliced_not_read(seed_corpus, cache):
    whole = tk.tokens(seed_corpus)
    part = dataclasses.replace(seed_corpus, speeches=seed_corpus.speeches.iloc[[4, 1]])
    sliced = tk.tokens(part)
    assert sliced.attrs["segmented"] == 0
    ids = part.speeches["speech_id"].tolist()
    expected = pd.concat([whole[whole["speech_id"] == i] for i in ids])
    pdt.assert_frame_equal(sliced, expected.reset_index(drop=True))
    assert tk._LAST["key"][2] == tuple(seed_corpus.speeches["speech_id"])  # still the whole


# ---------------------------------------------------------------- the corpus bundle


def _many_texts(n):
    return {f"s{i:03d}": f"第{i}次会议要求各级干部狠抓落实，加强作风建设。" for i in range(n)}


@pytest.fixture
def bundled(cache, monkeypatch):
    """The token cache with a bundle from three distinct texts (not 200), to stay quick."""
    monkeypatch.setattr(token_cache, "BUNDLE_MIN_TEXTS", 3)
    return cache


def test_a_rerun_reads_the_bundle_not_the_entries(bundled):
    corpus = Corpus.from_texts(_many_texts(5))
    first = tk.tokens(corpus)
    (bundle,) = bundled.rglob("bundle.tok")
    for entry in bundled.rglob("*.tok"):
        if entry != bundle:
            entry.unlink()  # only the bundle is left to read from
    tk.clear_memory()
    second = tk.tokens(corpus)
    assert second.attrs["segmented"] == 0
    pdt.assert_frame_equal(second, first)


def test_one_added_text_is_the_only_one_segmented_and_the_bundle_follows(bundled):
    texts = _many_texts(5)
    tk.tokens(Corpus.from_texts(texts))
    texts["new"] = "招商引资要有执行力，优化软环境。"
    corpus = Corpus.from_texts(texts)
    tk.clear_memory()
    added = tk.tokens(corpus)
    assert added.attrs["segmented"] == 1
    pdt.assert_frame_equal(added, tk.tokens(corpus, cache=False), check_like=False)
    assert _tokens_of(added, "new") == ["招商引资", "要", "有", "执行力", "优化", "软环境"]
    tk.clear_memory()
    assert tk.tokens(corpus).attrs["segmented"] == 0


def _only_bundles_left(folder):
    """Delete the texts' own entries, so that tokens can only come from the bundle files."""
    for entry in folder.rglob("*.tok"):
        if not entry.name.startswith("bundle"):
            entry.unlink()
    tk.clear_memory()


def test_added_texts_go_to_a_small_file_and_the_bundle_stays(bundled):
    texts = _many_texts(20)
    tk.tokens(Corpus.from_texts(texts))
    (bundle,) = bundled.rglob("bundle.tok")
    before = bundle.read_bytes()
    texts["new"] = "招商引资要有执行力，优化软环境。"
    corpus = Corpus.from_texts(texts)
    tk.clear_memory()
    assert tk.tokens(corpus).attrs["segmented"] == 1
    assert bundle.read_bytes() == before
    added = bundle.with_name("bundle-added.tok")
    assert added.stat().st_size < len(before) / 5
    _only_bundles_left(bundled)
    again = tk.tokens(corpus)
    assert again.attrs["segmented"] == 0
    pdt.assert_frame_equal(again, tk.tokens(corpus, cache=False))
    assert _tokens_of(again, "new") == ["招商引资", "要", "有", "执行力", "优化", "软环境"]


def test_many_added_texts_rewrite_the_bundle(bundled):
    texts = _many_texts(20)
    tk.tokens(Corpus.from_texts(texts))
    texts["new"] = "招商引资要有执行力，优化软环境。"
    tk.clear_memory()
    tk.tokens(Corpus.from_texts(texts))
    (added,) = bundled.rglob("bundle-added.tok")
    old_added = added.read_bytes()
    texts.update({f"more{i}": f"第{i}项任务要压实责任，确保落地见效。" for i in range(5)})
    corpus = Corpus.from_texts(texts)
    tk.clear_memory()
    assert tk.tokens(corpus).attrs["segmented"] == 5  # 6 texts not in the bundle: over 10%
    assert not added.exists()
    added.write_bytes(old_added)  # an added file of the old bundle is not read with the new
    _only_bundles_left(bundled)
    again = tk.tokens(corpus)
    assert again.attrs["segmented"] == 0
    pdt.assert_frame_equal(again, tk.tokens(corpus, cache=False))


def _counted(corpus):
    """Return token_counts' matrix, and the one made by counting the codes afresh."""
    from scipy import sparse

    words, counts = tk.token_counts(corpus)
    sizes, codes, _ = tk.token_codes(corpus)
    indptr = np.r_[0, np.cumsum(sizes)]
    ones = np.ones(len(codes), dtype=np.int64)
    fresh = sparse.csr_matrix((ones, codes.copy(), indptr), shape=(len(sizes), len(words)))
    fresh.sum_duplicates()
    return counts, fresh


def _same_matrix(a, b):
    assert a.shape == b.shape and a.has_sorted_indices
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(a, part), getattr(b, part)), part
    assert a.data.dtype == np.int64


def test_counts_come_from_the_word_bags_kept_with_the_tokens(bundled, monkeypatch):
    texts = _many_texts(20)
    texts["repeat"] = "落实落实再落实，要落实。" * 3
    corpus = Corpus.from_texts(texts)
    _same_matrix(*_counted(corpus))  # bags of the bundle just written
    texts["new"] = "招商引资要有执行力，优化软环境。"
    corpus = Corpus.from_texts(texts)
    tk.clear_memory()
    tk.tokens(corpus)
    bags = tk._LAST["bags"][1]
    assert sum(bag is not None for bag in bags) == len(texts)  # the added file's too
    _only_bundles_left(bundled)
    counts, fresh = _counted(corpus)  # bags read back from the bundle files
    _same_matrix(counts, fresh)
    row = list(texts).index("repeat")
    words = tk.token_counts(corpus)[0]
    assert counts[row, list(words).index("落实")] == 12
    # a bag the cache lacks is counted from the codes
    tk.clear_memory()
    tk.tokens(corpus)
    tk._LAST["bags"][1][row] = None
    _same_matrix(*_counted(corpus))


@pytest.mark.parametrize("name", ["bundle.tok", "bundle-added.tok"])
def test_a_damaged_bundle_file_is_not_trusted(bundled, name):
    texts = _many_texts(20)
    tk.tokens(Corpus.from_texts(texts))
    texts["new"] = "招商引资要有执行力，优化软环境。"
    corpus = Corpus.from_texts(texts)
    tk.clear_memory()
    expected = tk.tokens(corpus)  # the bundle, and the added file with the new text
    (damaged,) = bundled.rglob(name)
    damaged.write_bytes(damaged.read_bytes()[:-3])
    tk.clear_memory()
    with pytest.warns(UserWarning, match="damaged"):
        again = tk.tokens(corpus)
    pdt.assert_frame_equal(again, expected)
    assert again.attrs["segmented"] == 0  # the texts' own entries were still good


def test_a_bundle_of_an_older_format_is_replaced_without_a_warning(bundled):
    corpus = Corpus.from_texts(_many_texts(4))
    expected = tk.tokens(corpus)
    (bundle,) = bundled.rglob("bundle.tok")
    bundle.write_bytes(b"JHBUN1\n" + bundle.read_bytes()[7:])  # as an older version wrote it
    tk.clear_memory()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = tk.tokens(corpus)
    pdt.assert_frame_equal(again, expected)
    assert bundle.read_bytes().startswith(token_cache.BUNDLE_FORMAT)


def test_a_changed_userdict_bypasses_the_bundle(bundled, tmp_path):
    corpus = Corpus.from_texts({**_many_texts(3), "a": "要建设富民强区。"})
    corpus.root = tmp_path
    tk.tokens(corpus)
    (tmp_path / "userdict.txt").write_text("富民强区 800\n", encoding="utf-8")
    tk.clear_memory()
    again = tk.tokens(corpus)
    assert again.attrs["segmented"] == 1
    assert _tokens_of(again, "a") == ["要", "建设", "富民强区"]


def test_token_counts_equal_the_tokens_table(seed_corpus, cache):
    words, counts = tk.token_counts(seed_corpus)
    frame = tk.tokens(seed_corpus)
    expected = frame.groupby(["speech_id", "token"]).size()
    rows, cols = counts.nonzero()
    ids = seed_corpus.speeches["speech_id"].to_numpy()
    got = pd.Series(counts.data, index=pd.MultiIndex.from_arrays([ids[rows], words[cols]]))
    pdt.assert_series_equal(
        got.sort_index(), expected.sort_index(), check_names=False, check_dtype=False
    )
    assert counts.sum() == len(frame)
    # building the matrix leaves the kept codes as they were
    sizes, codes, same_words = tk.token_codes(seed_corpus)
    assert (same_words[codes] == frame["token"].to_numpy()).all()
    assert sizes.tolist() == frame.groupby("speech_id", sort=False).size().tolist()


def test_a_part_of_the_corpus_leaves_the_bundle_whole(bundled):
    texts = _many_texts(6)
    whole = Corpus.from_texts(texts)
    expected = tk.tokens(whole)
    (bundle,) = bundled.rglob("bundle.tok")
    before = bundle.read_bytes()
    tk.clear_memory()
    part = Corpus.from_texts({k: texts[k] for k in list(texts)[:4]})
    assert tk.tokens(part).attrs["segmented"] == 0
    assert bundle.read_bytes() == before
    for entry in bundled.rglob("*.tok"):
        if entry != bundle:
            entry.unlink()
    tk.clear_memory()
    pdt.assert_frame_equal(tk.tokens(whole), expected)


def test_the_count_matrix_of_the_kept_tokens_is_built_once(seed_corpus, cache):
    words, counts = tk.token_counts(seed_corpus)
    assert tk.token_counts(seed_corpus)[1] is counts
    part = dataclasses.replace(seed_corpus, speeches=seed_corpus.speeches.iloc[[1]])
    part_words, part_counts = tk.token_counts(part)  # a part: its own matrix
    assert part_counts.shape[0] == 1 and (part_counts != counts[1]).nnz == 0
    tk.clear_memory()
    again = tk.token_counts(seed_corpus)[1]
    assert again is not counts and (again != counts).nnz == 0


def test_the_same_texts_are_hashed_once_across_calls(seed_corpus, cache, monkeypatch):
    calls = []
    real = cache_files.text_hash
    monkeypatch.setattr(cache_files, "text_hash", lambda text: calls.append(1) or real(text))
    tk.clear_memory()
    frame = tk.tokens(seed_corpus)
    assert len(calls) == 9
    tk.token_counts(seed_corpus)
    tk.token_codes(seed_corpus)
    assert len(calls) == 9
    edited = dataclasses.replace(seed_corpus, speeches=seed_corpus.speeches.copy())
    edited.speeches.loc[0, "text"] = edited.speeches.loc[0, "text"] + "再抓落实。"
    changed = tk.tokens(edited)
    assert len(calls) > 9  # a new text object is hashed again
    assert changed.attrs["segmented"] == 1 and len(changed) > len(frame)


def test_one_word_coder_serves_many_texts_like_the_word_filter():
    seg = segment.segmenter(engine="rjieba")
    texts = [
        "访问www.gov.cn了解政务公开，gov改革",  # "gov" first inside a URL, then a word
        "",
        "。。。",  # punctuation only: no word
        "政务公开要落实，gov改革要深化，落实落实再落实",
    ]
    coder = segment.WordCoder()
    for text in texts:
        starts, words, codes = seg.coded(text, coder)
        want_starts, want = seg.words(text)
        assert [words[c] for c in codes.tolist()] == want
        assert starts.tolist() == want_starts.tolist()
    # each word once, numbered text by text in the order of its first piece in the text
    # (as one text's own words were): "gov" comes second, from inside the URL
    order = []
    for text in texts:
        kept = set(seg.words(text)[1])
        order += [p for p in dict.fromkeys(seg.cut(text)) if p in kept and p not in order]
    assert coder.words == order
    assert coder.words[:2] == ["访问", "gov"]
