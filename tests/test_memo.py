"""The on-disk result cache: hits skip the work, any change to inputs recomputes."""

import dataclasses
import inspect
import shutil
import warnings

import pandas as pd
import pandas.testing as pdt
import pytest
from jianghua import compare, config, frequency, memo, text_reuse, themes
from jianghua.corpus import Corpus


@pytest.fixture
def cache(monkeypatch, tmp_path):
    """A fresh result cache that caches corpora of any size; returns its folder."""
    monkeypatch.setenv("JIANGHUA_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(memo.DISABLE_ENV, raising=False)
    monkeypatch.setattr(memo, "MIN_SPEECHES", 0)
    return tmp_path / "cache" / "results"


def spy(monkeypatch, module, name) -> list:
    """Count the calls of module.name (a helper the body of an analysis calls)."""
    calls = []
    original = getattr(module, name)

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


def copy_of(corpus, **changes) -> Corpus:
    """Return a copy of a corpus whose tables can be edited without touching the original."""
    tables = {"speeches": corpus.speeches.copy(), "sections": corpus.sections.copy()}
    return dataclasses.replace(corpus, **tables, **changes)


def entries(folder) -> list:
    """Return the result files in the cache."""
    return sorted(folder.rglob("*.pkl")) if folder.is_dir() else []


def test_decorated_functions_keep_name_doc_and_signature():
    for func in (frequency.term_frequencies, themes.theme_scores, text_reuse.reuse):
        assert func.__name__ == func.__wrapped__.__name__
        assert func.__doc__ == func.__wrapped__.__doc__ and func.__doc__.startswith("Return")
        assert inspect.signature(func) == inspect.signature(func.__wrapped__)


def test_second_call_is_read_from_disk(seed_corpus, cache, monkeypatch):
    calls = spy(monkeypatch, frequency, "token_counts")
    first = frequency.term_frequencies(seed_corpus)
    second = frequency.term_frequencies(seed_corpus)
    assert len(calls) == 1
    assert len(entries(cache)) == 1
    pdt.assert_frame_equal(first, second)
    assert first.loc[0, "term"] == second.loc[0, "term"] and first.loc[0, "count"] > 10


def test_callers_may_mutate_a_cached_result(seed_corpus, cache):
    first = frequency.term_frequencies(seed_corpus)
    expected = first.copy()
    hit = frequency.term_frequencies(seed_corpus)
    hit.loc[0, "count"] = -1
    first["count"] = 0
    pdt.assert_frame_equal(frequency.term_frequencies(seed_corpus), expected)


def test_cached_equals_uncached_term_frequencies(seed_corpus, cache, monkeypatch):
    frequency.term_frequencies(seed_corpus, by="speech_id")
    cached = frequency.term_frequencies(seed_corpus, by="speech_id")
    monkeypatch.setenv(memo.DISABLE_ENV, "1")
    pdt.assert_frame_equal(cached, frequency.term_frequencies(seed_corpus, by="speech_id"))


def test_cached_equals_uncached_reuse(seed_corpus, cache, monkeypatch):
    calls = spy(monkeypatch, text_reuse, "_canonical")
    text_reuse.reuse(seed_corpus, min_chars=30)
    n = len(calls)
    cached = text_reuse.reuse(seed_corpus, min_chars=30)
    assert len(calls) == n  # no text was looked at again
    monkeypatch.setenv(memo.DISABLE_ENV, "1")
    fresh = text_reuse.reuse(seed_corpus, min_chars=30)
    assert len(fresh.passages) > 0
    pdt.assert_frame_equal(cached.passages, fresh.passages)
    pdt.assert_frame_equal(cached.pairs, fresh.pairs)
    assert cached.pairs.attrs == fresh.pairs.attrs and cached.texts == fresh.texts
    pdt.assert_frame_equal(cached.context(0), fresh.context(0))
    # the entry holds the tables, not a second copy of every text
    (entry,) = (cache / "jianghua.text_reuse.reuse").glob("[!p]*.pkl")
    assert memo._read_entry(entry)["result"].texts == {}
    assert entry.stat().st_size < sum(len(t.encode()) for t in fresh.texts.values()) / 2


def test_changed_text_metadata_or_argument_recomputes(seed_corpus, cache, monkeypatch):
    calls = spy(monkeypatch, frequency, "token_counts")
    base = frequency.term_frequencies(seed_corpus)
    edited = copy_of(seed_corpus)
    edited.speeches.loc[0, "text"] = edited.speeches.loc[0, "text"] + "独一无二的新词汇。"
    changed = frequency.term_frequencies(edited)
    assert len(calls) == 2
    assert changed["count"].sum() > base["count"].sum()
    relabelled = copy_of(seed_corpus)
    relabelled.speeches.loc[1, "level"] = "县级"
    frequency.term_frequencies(relabelled)
    frequency.term_frequencies(seed_corpus, min_chars=2)
    assert len(calls) == 4
    frequency.term_frequencies(seed_corpus)  # the original is still cached
    assert len(calls) == 4


def test_corpus_fingerprint_follows_every_table_edit(seed_corpus):
    fingerprint = memo.corpus_fingerprint(seed_corpus)
    assert memo.corpus_fingerprint(copy_of(seed_corpus)) == fingerprint
    section = copy_of(seed_corpus)
    section.sections.loc[0, "start"] += 1
    date = copy_of(seed_corpus)
    date.speeches.loc[0, "date"] = pd.Timestamp("1999-01-01")
    order = copy_of(seed_corpus)
    order.speeches = order.speeches.iloc[::-1].reset_index(drop=True)
    found = {memo.corpus_fingerprint(c) for c in (section, date, order)}
    assert len(found) == 3 and fingerprint not in found


@pytest.mark.filterwarnings("ignore::jianghua.themes.ThemeWarning")
def test_edited_analyst_files_recompute(seed_corpus, cache, monkeypatch, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for path in config.CORPUS_DIR.glob("*.txt"):
        shutil.copy(path, folder)
    corpus = copy_of(seed_corpus, root=folder)
    top = frequency.term_frequencies(corpus).loc[0, "term"]
    (folder / "stopwords.txt").write_text(f"{top}\n", encoding="utf-8")
    assert top not in set(frequency.term_frequencies(corpus)["term"])
    (folder / "themes.yaml").write_text("themes:\n  新主题:\n    - 发展\n", encoding="utf-8")
    assert "新主题" in set(themes.theme_scores(corpus)["theme"])
    (folder / "themes.yaml").write_text("themes:\n  新主题:\n    - 改革\n", encoding="utf-8")
    calls = spy(monkeypatch, themes, "tokens")
    themes.theme_scores(corpus)
    themes.theme_scores(corpus)
    assert len(calls) == 1


def test_edited_library_data_file_recomputes(seed_corpus, cache, monkeypatch, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(config.DATA_DIR, data)
    monkeypatch.setattr(config, "DATA_DIR", data)
    calls = spy(monkeypatch, frequency, "token_counts")
    frequency.term_frequencies(seed_corpus)
    with open(data / "stopwords_general.txt", "a", encoding="utf-8") as handle:
        handle.write("\n发展\n")
    table = frequency.term_frequencies(seed_corpus)
    assert len(calls) == 2 and "发展" not in set(table["term"])


def test_plain_arguments_key_the_same_however_passed(seed_corpus, cache, monkeypatch):
    calls = spy(monkeypatch, themes, "tokens")
    own = {"改革": ["改革", "深化"], "发展": ["发展"]}
    first = themes.theme_scores(seed_corpus, "speech", own)
    second = themes.theme_scores(seed_corpus, themes=dict(own), unit="speech")
    assert len(calls) == 1
    pdt.assert_frame_equal(first, second)
    themes.theme_scores(seed_corpus, themes={"发展": ["发展"], "改革": ["改革", "深化"]})
    assert len(calls) == 2  # theme order orders the output, so it is part of the key


def test_truncated_entry_is_recomputed_with_a_warning(seed_corpus, cache, monkeypatch):
    calls = spy(monkeypatch, frequency, "token_counts")
    first = frequency.term_frequencies(seed_corpus)
    (path,) = entries(cache)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.warns(memo.ResultCacheWarning, match="damaged"):
        again = frequency.term_frequencies(seed_corpus)
    pdt.assert_frame_equal(first, again)
    frequency.term_frequencies(seed_corpus)  # the entry was written anew
    assert len(calls) == 2


def test_environment_variable_disables_the_cache(seed_corpus, cache, monkeypatch):
    monkeypatch.setenv(memo.DISABLE_ENV, "1")
    calls = spy(monkeypatch, frequency, "token_counts")
    frequency.term_frequencies(seed_corpus)
    frequency.term_frequencies(seed_corpus)
    assert len(calls) == 2 and entries(cache) == []


def test_small_corpora_are_not_cached(seed_corpus, cache, monkeypatch):
    monkeypatch.setattr(memo, "MIN_SPEECHES", len(seed_corpus) + 1)
    frequency.term_frequencies(seed_corpus)
    assert entries(cache) == []


@pytest.mark.filterwarnings("ignore:.*are left out")
def test_warnings_reach_the_user_on_a_hit(seed_corpus, cache, monkeypatch):
    calls = spy(monkeypatch, compare, "group_counts")
    level = seed_corpus.speeches["level"].dropna().iloc[0]
    for _ in range(2):
        with pytest.warns(UserWarning, match="characters of text") as caught:
            table = compare.keyness(seed_corpus, level, by="level", min_chars=10**9)
        assert caught[0].filename == __file__
    assert len(calls) == 1 and len(table) > 0


def test_unplain_argument_is_not_cached(cache, seed_corpus):
    calls = []

    @memo.memoized
    def count(corpus, extra=None):
        """Return the number of speeches."""
        calls.append(extra)
        return len(corpus.speeches)

    marker = object()
    assert count(seed_corpus, marker) == count(seed_corpus, marker) == len(seed_corpus)
    assert count(seed_corpus, [1, "a"]) == count(seed_corpus, [1, "a"])
    assert len(calls) == 3
    assert count.__name__ == "count" and count.__doc__ == "Return the number of speeches."


def test_errors_are_not_cached(seed_corpus, cache):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(2):
            with pytest.raises(ValueError, match="no group"):
                compare.keyness(seed_corpus, "no such level", by="level")
    assert entries(cache) == []


def test_clear_results_deletes_cached_results(seed_corpus, cache):
    frequency.term_frequencies(seed_corpus)
    frequency.term_frequencies(seed_corpus, min_chars=2)
    assert memo.clear_results() == 2
    assert entries(cache) == [] and memo.clear_results() == 0


def _capture_sizes(monkeypatch) -> list:
    """Record how many speeches each call of themes.text_units is given."""
    sizes, original = [], themes.text_units

    def recording(corpus, *args, **kwargs):
        sizes.append(len(corpus.speeches))
        return original(corpus, *args, **kwargs)

    monkeypatch.setattr(themes, "text_units", recording)
    return sizes


@pytest.mark.parametrize("unit", ["speech", "section", "paragraph"])
def test_theme_scores_compute_only_added_or_changed_speeches(seed_corpus, cache, monkeypatch, unit):
    last = seed_corpus.speeches["speech_id"].iloc[-1]
    fewer = dataclasses.replace(
        seed_corpus,
        speeches=seed_corpus.speeches.iloc[:-1].reset_index(drop=True),
        sections=seed_corpus.sections[seed_corpus.sections["speech_id"] != last],
    )
    sizes = _capture_sizes(monkeypatch)
    themes.theme_scores(fewer, unit=unit)
    added = themes.theme_scores(seed_corpus, unit=unit)
    assert sizes == [len(seed_corpus) - 1, 1]  # the added speech alone
    pdt.assert_frame_equal(added, themes.theme_scores.__wrapped__(seed_corpus, unit=unit))
    assert set(added["speech_id"]) == set(seed_corpus.speeches["speech_id"])
    edited = copy_of(seed_corpus)
    edited.speeches.loc[2, "text"] = edited.speeches.loc[2, "text"] + "要狠抓作风建设。"
    changed = themes.theme_scores(edited, unit=unit)
    assert sizes[-1] == 1
    pdt.assert_frame_equal(changed, themes.theme_scores.__wrapped__(edited, unit=unit))
    assert changed["hits"].sum() > added["hits"].sum()
    before = len(sizes)
    pdt.assert_frame_equal(
        themes.theme_scores(fewer, unit=unit), added[added.speech_id != last].reset_index(drop=True)
    )
    assert len(sizes) == before  # a removed speech: every other one was kept


def test_theme_scores_by_speech_equal_the_whole_on_hundreds_of_speeches(seed_corpus, cache):
    paragraphs = [p for t in seed_corpus.speeches["text"] for p in t.split("\n") if len(p) > 30]
    texts = {f"s{i:03d}": "\n".join(paragraphs[i % len(paragraphs) :][:4]) for i in range(300)}
    many = Corpus.from_texts(texts)
    themes.theme_scores(Corpus.from_texts(dict(list(texts.items())[:150])))
    assembled = themes.theme_scores(many)
    pdt.assert_frame_equal(assembled, themes.theme_scores.__wrapped__(many))
    assert assembled["speech_id"].nunique() == 300


def test_reuse_after_an_added_speech_aligns_only_pairs_with_it(seed_corpus, cache, monkeypatch):
    texts = dict(zip(seed_corpus.speeches["speech_id"], seed_corpus.speeches["text"], strict=True))
    planted = next(iter(texts.values()))[200:900]  # a passage of the first speech, copied
    base = Corpus.from_texts(texts)
    extended = Corpus.from_texts({**texts, "planted": "会议指出，" + planted + "会议要求。"})
    aligned, original = [], text_reuse._pair_passages

    def recording(docs, da, db, *args):
        aligned.append((da, db))
        return original(docs, da, db, *args)

    monkeypatch.setattr(text_reuse, "_pair_passages", recording)
    text_reuse.reuse(base)
    before = len(aligned)
    assert before >= 1  # the seed corpus' own reuse (003's parts)
    found = text_reuse.reuse(extended)
    new = aligned[before:]
    assert new and all(len(texts) in pair for pair in new)  # only pairs with the new speech
    assert "planted" in set(found.pairs["speech_a"]) | set(found.pairs["speech_b"])
    monkeypatch.setenv(memo.DISABLE_ENV, "1")
    fresh = text_reuse.reuse(extended)
    pdt.assert_frame_equal(found.pairs, fresh.pairs)
    pdt.assert_frame_equal(found.passages, fresh.passages)


def test_only_the_most_recently_used_results_are_kept(seed_corpus, cache, monkeypatch):
    monkeypatch.setattr(memo, "KEEP_RESULTS", 2)
    folder = cache / "jianghua.frequency.term_frequencies"
    first = frequency.term_frequencies(seed_corpus, min_chars=1)
    frequency.term_frequencies(seed_corpus, min_chars=2)
    calls = spy(monkeypatch, frequency, "token_counts")
    frequency.term_frequencies(seed_corpus, min_chars=1)  # a hit: now the most recent
    frequency.term_frequencies(seed_corpus, min_chars=3)  # a third result: one must go
    assert len(entries(folder)) == 2
    again = frequency.term_frequencies(seed_corpus, min_chars=1)
    assert len(calls) == 1  # min_chars=1 was kept, as used after min_chars=2
    pdt.assert_frame_equal(again, first)
    frequency.term_frequencies(seed_corpus, min_chars=2)
    assert len(calls) == 2  # min_chars=2 was the one deleted


def test_prune_keeps_part_stores_apart_from_results(tmp_path):
    for i in range(5):
        (tmp_path / f"r{i}.pkl").write_bytes(b"x")
        (tmp_path / f"parts-{i}.pkl").write_bytes(b"x")
    assert memo.prune(tmp_path, keep=3, keep_parts=1) == 2 + 4
    assert len(list(tmp_path.glob("parts-*.pkl"))) == 1
    assert len(list(tmp_path.glob("r*.pkl"))) == 3
