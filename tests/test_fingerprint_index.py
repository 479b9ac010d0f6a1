"""The fingerprint index kept between runs: updated by the documents that changed, it gives the
duplicate check and the text-reuse candidates exactly what a cold run gives."""

import random
import warnings

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from jianghua import corpus, duplicates, memo, text_reuse
from jianghua.corpus import Corpus
from jianghua.fingerprint_index import FingerprintIndex

N_TEXTS = 220  # above memo.MIN_SPEECHES: the result cache and the kept index are on


def han(rng: random.Random, n: int) -> str:
    """Return n random common Chinese characters: text no other test text holds."""
    return "".join(chr(0x4E00 + rng.randrange(0x5000)) for _ in range(n))


@pytest.fixture(scope="module")
def paragraphs(seed_corpus):
    """The seed speeches' paragraphs: texts made of them share passages, as real ones do."""
    found = [p for t in seed_corpus.speeches["text"] for p in t.split("\n") if len(p) > 40]
    assert len(found) > 50
    return found


def make_texts(paragraphs, rng, n=N_TEXTS, stock="", holders=0, unique=()) -> dict:
    """Return n texts of seed paragraphs and words of their own; the first holders are words
    of their own and the stock passage, those named in unique hold mostly their own words."""
    texts = {}
    for i in range(n):
        body = rng.sample(paragraphs, rng.randint(1, 4)) + [han(rng, 30)]
        if i < holders:
            body = [han(rng, 100), stock]
        elif f"t{i:03d}" in unique:
            body = [han(rng, 400), rng.choice(paragraphs)]
        texts[f"t{i:03d}"] = "\n".join(body)
    return texts


def inserted(texts: dict, at: int, speech_id: str, text: str) -> dict:
    """Return texts with one more at position at (corpus order is insertion order)."""
    items = list(texts.items())
    return dict(items[:at] + [(speech_id, text)] + items[at:])


def stored_rows(folder) -> list:
    """Return (name, inode) of the files of index rows stored in full in a folder: a file
    written again (atomically, by a rename) has a new inode."""
    return [(p.name, p.stat().st_ino) for p in sorted(folder.glob("*-rows-*.pkl"))]


def forbid(monkeypatch, module, name):
    """Make module.name fail: the incremental path must not fall back to it."""

    def fail(*args, **kwargs):
        raise AssertionError(f"{name} called: the incremental update fell back to a cold run")

    monkeypatch.setattr(module, name, fail)


# ---------------------------------------------------------------- the index itself


def rows_of(index: FingerprintIndex) -> set:
    """Return the index rows as (hash, document key, position)."""
    positions = [None] * len(index.hashes) if index.positions is None else index.positions.tolist()
    return {
        (h, index.keys[s], p)
        for h, s, p in zip(index.hashes.tolist(), index.slots.tolist(), positions, strict=True)
    }


def test_an_updated_index_holds_the_rows_of_one_built_afresh():
    rng = np.random.default_rng(5)

    def prints():  # a small alphabet: hashes shared by many documents
        h = rng.integers(0, 40, rng.integers(0, 12)).astype(np.int64)
        return h, np.sort(rng.choice(1000, len(h), replace=False)).astype(np.int64)

    docs = {f"k{i}": prints() for i in range(30)}
    index = FingerprintIndex.build(list(docs), list(docs.values()), np.int64, positions=True)
    for step in range(60):
        items = list(docs.items())
        if step % 3 == 0 and len(items) > 2:
            items.pop(int(rng.integers(len(items))))
        at = int(rng.integers(len(items) + 1))
        items.insert(at, (f"new{step}", prints()))
        new_docs = dict(items)
        keys = list(new_docs)
        missing = index.missing(keys)
        assert [keys[i] for i in missing] == [f"new{step}"]
        update = index.update(keys, {i: new_docs[keys[i]] for i in missing})
        fresh = FingerprintIndex.build(keys, list(new_docs.values()), np.int64, positions=True)
        update.index.check()
        assert rows_of(update.index) == rows_of(fresh)
        where = update.index.position_of_slot()
        assert where[update.index.order].tolist() == list(range(len(keys)))
        # the hashes whose df crossed 2..3, counted document by document
        df_old = {h: sum(h in set(p[0].tolist()) for p in docs.values()) for h in range(40)}
        df_new = {h: sum(h in set(p[0].tolist()) for p in new_docs.values()) for h in range(40)}
        usable = {h: (2 <= df_old[h] <= 3, 2 <= df_new[h] <= 3) for h in range(40)}
        assert update.crossed(2, 3).tolist() == [h for h, (a, b) in usable.items() if a != b]
        index, docs = update.index, new_docs


def test_an_index_is_not_updated_to_documents_in_another_order():
    prints = [(np.array([i, 7]), np.array([0, 5])) for i in range(3)]
    index = FingerprintIndex.build(["a", "b", "c"], prints, np.int64, positions=True)
    assert index.update(["b", "a", "c"], {}) is None
    assert index.update(["a", "a", "c"], {1: prints[1]}) is None  # keys must be unique
    assert index.update(["a", "c"], {}).index.keys == ["a", None, "c"]


# ---------------------------------------------------------------- the duplicate check


def duplicates_of(texts: dict, cache: bool) -> pd.Series:
    """Return load_corpus' duplicate_of column for texts (cache: with the kept index)."""
    speeches = pd.DataFrame({"speech_id": list(texts), "text": list(texts.values())})
    corpus._mark_duplicates(speeches, cache)
    return speeches["duplicate_of"]


def assert_same_duplicates(found: pd.Series, cold: pd.Series):
    """Fail unless two duplicate_of columns are equal (NA where the other has an id, too)."""
    assert found.fillna("-").tolist() == cold.fillna("-").tolist()
    pdt.assert_series_equal(found, cold)


def test_duplicates_after_each_change_equal_a_cold_run(paragraphs, tmp_path, monkeypatch):
    monkeypatch.setenv("JIANGHUA_CACHE", str(tmp_path / "cache"))
    rng = random.Random(11)
    stock = han(rng, 200)  # a passage held by MAX_DF speeches: usable, one more and it is not
    texts = make_texts(paragraphs, rng, stock=stock, holders=duplicates.MAX_DF - 1)
    texts = inserted(texts, 120, "short", stock + han(rng, 20))  # a copy while stock counts
    changes = [inserted(texts, 7, "added", han(rng, 300))]
    changes.append({i: t for i, t in changes[-1].items() if i != "t150"})  # removed
    changes.append({**changes[-1], "t151": changes[-1]["t151"] + han(rng, 40)})  # changed
    original = rng.choice(paragraphs) + han(rng, 300)
    changes.append(inserted(changes[-1], 190, "original", original))
    near = original[:100] + "的" + original[101:-5]
    changes.append(inserted(changes[-1], 200, "near", near))  # a near copy, after it
    changes.append(inserted(changes[-1], 90, "over", han(rng, 50) + stock))  # 51 hold stock
    changes.append({i: t for i, t in changes[-1].items() if i != "t003"})  # 50 again
    first = duplicates_of(texts, cache=True)
    assert_same_duplicates(first, duplicates_of(texts, cache=False))
    rows = stored_rows(tmp_path / "cache" / "corpus" / "duplicates")
    answers = []
    for texts in changes:
        with monkeypatch.context() as patched:
            forbid(patched, FingerprintIndex, "build")
            forbid(patched, duplicates, "_paired")
            found = duplicates_of(texts, cache=True)
        assert_same_duplicates(found, duplicates_of(texts, cache=False))
        answers.append(dict(zip(texts, found, strict=True)))
    assert answers[0]["short"] is not pd.NA
    assert answers[-2]["short"] is pd.NA  # held by 51 speeches, stock is no evidence
    assert answers[-1]["short"] is not pd.NA
    assert answers[-1]["near"] == "original"
    assert stored_rows(tmp_path / "cache" / "corpus" / "duplicates") == rows  # not rewritten


def test_a_damaged_duplicate_index_is_rebuilt(paragraphs, tmp_path, monkeypatch):
    monkeypatch.setenv("JIANGHUA_CACHE", str(tmp_path / "cache"))
    rng = random.Random(12)
    texts = make_texts(paragraphs, rng, unique=("t010", "t100"))
    texts = inserted(texts, 150, "copy", texts["t100"][:-20])
    duplicates_of(texts, cache=True)
    (path,) = (tmp_path / "cache" / "corpus" / "duplicates").glob("index-*-rows-*.pkl")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    more = inserted(texts, len(texts), "more", texts["t010"])
    with pytest.warns(UserWarning, match="damaged"):
        found = duplicates_of(more, cache=True)
    assert_same_duplicates(found, duplicates_of(more, cache=False))
    assert dict(zip(more, found, strict=True))["more"] == "t010"
    again = inserted(more, 0, "again", han(rng, 100))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # rebuilt: read without complaint
        with monkeypatch.context() as patched:
            forbid(patched, FingerprintIndex, "build")
            found = duplicates_of(again, cache=True)
    assert dict(zip(again, found, strict=True))["copy"] == "t100"


# ---------------------------------------------------------------- text reuse


@pytest.fixture
def result_cache(tmp_path, monkeypatch):
    """A fresh cache folder with the result cache on."""
    monkeypatch.setenv("JIANGHUA_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(memo.DISABLE_ENV, raising=False)
    return tmp_path / "cache" / "results"


def reused(texts: dict, monkeypatch, **kwargs):
    """Return reuse() of texts computed cold, with no cache at all."""
    with monkeypatch.context() as patched:
        patched.setenv(memo.DISABLE_ENV, "1")
        return text_reuse.reuse(Corpus.from_texts(texts), **kwargs)


def assert_same_reuse(found, cold):
    """Fail unless two Reuse results hold the same tables."""
    pdt.assert_frame_equal(found.passages, cold.passages)
    pdt.assert_frame_equal(found.pairs, cold.pairs)
    assert found.pairs.attrs == cold.pairs.attrs


def pairs_of(found) -> set:
    """Return the speech pairs of a Reuse, each as a frozenset."""
    return set(map(frozenset, zip(found.pairs["speech_a"], found.pairs["speech_b"], strict=True)))


def test_reuse_after_each_change_equals_a_cold_run(paragraphs, result_cache, monkeypatch):
    rng = random.Random(21)
    settings = {"max_docs": 4, "min_chars": 30}
    stock = han(rng, 120)  # in max_docs speeches: their pairs share it while it is usable
    texts = make_texts(paragraphs, rng, stock=stock, holders=4, unique=("t090",))
    first = text_reuse.reuse(Corpus.from_texts(texts), **settings)
    assert_same_reuse(first, reused(texts, monkeypatch, **settings))
    rows = stored_rows(result_cache / "jianghua.text_reuse.reuse")
    changes = [inserted(texts, 5, "added", han(rng, 200) + rng.choice(paragraphs))]
    changes.append({i: t for i, t in changes[-1].items() if i != "t070"})  # removed
    changes.append({**changes[-1], "t071": changes[-1]["t071"] + han(rng, 40)})  # changed
    copied = changes[-1]["t090"]
    near = "会议强调，" + copied[5:200] + "的" + copied[201:400]
    changes.append(inserted(changes[-1], 150, "near", near))  # a near copy
    changes.append(inserted(changes[-1], 100, "over", han(rng, 50) + stock))  # five hold it
    changes.append({i: t for i, t in changes[-1].items() if i != "t002"})  # four again
    aligned = []
    original = text_reuse._pair_passages

    def recording(docs, da, db, *args):
        aligned.append((da, db))
        return original(docs, da, db, *args)

    results = []
    for texts in changes:
        aligned.clear()
        with monkeypatch.context() as patched:
            forbid(patched, FingerprintIndex, "build")
            patched.setattr(text_reuse, "_pair_passages", recording)
            found = text_reuse.reuse(Corpus.from_texts(texts), **settings)
        assert_same_reuse(found, reused(texts, monkeypatch, **settings))
        # pairs with the changed speech or the crossing stock passage, not every candidate
        assert len(aligned) < first.pairs.attrs["candidate_pairs"] / 4
        results.append(found)
    assert frozenset(("t000", "t001")) in pairs_of(first)  # the stock passage, usable
    assert frozenset(("t000", "t001")) not in pairs_of(results[-2])  # five hold it
    assert frozenset(("t000", "t001")) in pairs_of(results[-1])
    assert frozenset(("near", "t090")) in pairs_of(results[-1])
    assert stored_rows(result_cache / "jianghua.text_reuse.reuse") == rows  # not rewritten


def test_a_damaged_reuse_index_is_rebuilt(paragraphs, result_cache, monkeypatch):
    rng = random.Random(22)
    texts = make_texts(paragraphs, rng)
    text_reuse.reuse(Corpus.from_texts(texts))
    (path,) = result_cache.glob("jianghua.text_reuse.reuse/parts-*-rows-*.pkl")
    path.write_bytes(path.read_bytes()[:-100])
    more = inserted(texts, 9, "more", "会议指出，" + texts["t020"][:300])
    with pytest.warns(memo.ResultCacheWarning, match="damaged"):
        found = text_reuse.reuse(Corpus.from_texts(more))
    assert_same_reuse(found, reused(more, monkeypatch))
    assert "more" in set(found.pairs.speech_a) | set(found.pairs.speech_b)


def test_both_stages_grow_from_an_empty_corpus(paragraphs, result_cache, monkeypatch):
    monkeypatch.setattr(memo, "MIN_SPEECHES", 0)  # keep the index of corpora this small
    rng = random.Random(23)
    shared = rng.choice(paragraphs) + han(rng, 100)
    steps = [{}, {"a": han(rng, 200)}, {"a": han(rng, 200), "b": shared, "c": shared[:-10]}]
    for texts in steps:
        found = text_reuse.reuse(Corpus.from_texts(texts))
        assert_same_reuse(found, reused(texts, monkeypatch))
        assert_same_duplicates(duplicates_of(texts, cache=True), duplicates_of(texts, False))
    assert pairs_of(found) == {frozenset(("b", "c"))}
    assert duplicates_of(steps[-1], cache=True).tolist() == [pd.NA, pd.NA, "b"]
