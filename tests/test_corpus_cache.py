"""The per-file cache and the worker processes behind load_corpus, on the seed corpus."""

import re
import shutil
import warnings
from pathlib import Path

import pandas.testing as pdt
import pytest
from jianghua import config, corpus, load_corpus

TABLES = ("speeches", "sections", "removed", "problems")
FIRST = "000_08fcc9c379b76566.txt"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A copy of the seed corpus in tmp_path, with an empty cache folder of its own."""
    monkeypatch.setenv("JIANGHUA_CACHE", str(tmp_path / "cache"))
    target = tmp_path / "corpus"
    target.mkdir()
    for path in config.CORPUS_DIR.glob("*.txt"):
        shutil.copy(path, target / path.name)
    return target


@pytest.fixture
def calls(monkeypatch):
    """The sources _load_document is called with (the per-file work), in order."""
    seen = []
    real = corpus._load_document

    def spy(text, source, stem, setup):
        seen.append(source)
        return real(text, source, stem, setup)

    monkeypatch.setattr(corpus, "_load_document", spy)
    return seen


def _assert_same(a, b):
    """Fail unless two corpora have equal tables."""
    for name in TABLES:
        pdt.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


def _entries(tmp_path) -> list:
    """Return the per-file cache entries under the test's cache folder."""
    found = (tmp_path / "cache" / "corpus").rglob("*.pkl")
    return sorted(p for p in found if "duplicates" not in p.parts)


def test_warm_load_reads_no_file_and_equals_cold(folder, tmp_path, calls):
    before = sorted(p.name for p in folder.iterdir())
    cold = load_corpus(folder)
    assert len(calls) == 5 and len(cold.speeches) == 9
    assert len(_entries(tmp_path)) == 5
    calls.clear()
    warm = load_corpus(folder)
    assert calls == []
    _assert_same(cold, warm)
    # the cache lives under JIANGHUA_CACHE, never in the corpus folder
    assert sorted(p.name for p in folder.iterdir()) == before


def test_uncached_load_equals_cached_and_writes_nothing(folder, tmp_path):
    plain = load_corpus(folder, cache=False)
    assert not (tmp_path / "cache").exists()
    load_corpus(folder)
    _assert_same(plain, load_corpus(folder))


def test_editing_one_file_reads_only_that_file(folder, calls):
    load_corpus(folder)
    path = folder / FIRST
    path.write_text(path.read_text(encoding="utf-8") + "\n我们要继续加油干。\n", encoding="utf-8")
    calls.clear()
    edited = load_corpus(folder)
    assert calls == [FIRST]
    assert edited.speeches.text[edited.speeches.source == FIRST].iloc[0].endswith("继续加油干。")
    _assert_same(edited, load_corpus(folder, cache=False))


def test_editing_clutter_yaml_reads_every_file_again(folder, calls):
    load_corpus(folder)
    (folder / "clutter.yaml").write_text(
        "patterns:\n  - kind: test marker\n    scope: inline\n    regex: '宏伟蓝图，?'\n",
        encoding="utf-8",
    )
    calls.clear()
    changed = load_corpus(folder)
    assert sorted(calls) == sorted(p.name for p in folder.glob("*.txt"))
    assert set(changed.removed.source[changed.removed.kind == "test marker"]) == {FIRST}
    _assert_same(changed, load_corpus(folder, cache=False))


def test_only_the_last_used_cache_versions_are_kept(folder, tmp_path, monkeypatch, calls):
    monkeypatch.setattr(corpus, "KEEP_VERSIONS", 2)
    versions = tmp_path / "cache" / "corpus"
    clutter = folder / "clutter.yaml"
    for marker in ("宏伟蓝图", "执行力", "落实"):
        clutter.write_text(
            f"patterns:\n  - kind: marker\n    scope: inline\n    regex: '{marker}'\n",
            encoding="utf-8",
        )
        load_corpus(folder)
    kept = [p for p in versions.iterdir() if p.name != "duplicates"]
    assert len(kept) == 2
    # the settings of two loads ago are still cached: going back reads no file again
    clutter.write_text(
        "patterns:\n  - kind: marker\n    scope: inline\n    regex: '执行力'\n", encoding="utf-8"
    )
    calls.clear()
    load_corpus(folder)
    assert calls == []


def test_damaged_entry_is_read_again_with_a_warning(folder, tmp_path, calls):
    cold = load_corpus(folder)
    damaged = _entries(tmp_path)[0]
    damaged.write_bytes(damaged.read_bytes()[:100])  # as if a run died while writing
    calls.clear()
    with pytest.warns(UserWarning, match="damaged"):
        again = load_corpus(folder)
    assert len(calls) == 1
    _assert_same(cold, again)
    calls.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the entry was rewritten whole: no warning now
        _assert_same(cold, load_corpus(folder))
    assert calls == []


def test_unreadable_files_are_cached_too(folder, monkeypatch):
    (folder / "blank.txt").write_text("   \n", encoding="utf-8")
    first = load_corpus(folder)
    assert first.problems.message[first.problems.source == "blank.txt"].tolist() == [
        "empty file (only whitespace)"
    ]
    from jianghua import read

    def fail(path):
        raise AssertionError(f"{Path(path).name} read although cached")

    monkeypatch.setattr(read, "read_document", fail)
    _assert_same(first, load_corpus(folder))


def test_same_bytes_under_another_name_keep_their_own_source(folder):
    load_corpus(folder)
    shutil.copy(folder / FIRST, folder / "copy.txt")
    loaded = load_corpus(folder)
    row = loaded.speeches[loaded.speeches.source == "copy.txt"].iloc[0]
    assert row.speech_id == "copy-1"
    assert row.duplicate_of == "000_08fcc9c379b76566-1"


def test_duplicates_are_compared_again_only_when_a_text_changes(folder, monkeypatch):
    from jianghua import duplicates

    compared = []
    real = duplicates.find_duplicates

    def spy(texts, *args, **kwargs):
        compared.append(len(texts))
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(duplicates, "find_duplicates", spy)
    cold = load_corpus(folder)
    _assert_same(cold, load_corpus(folder))
    assert compared == [9]
    shutil.copy(folder / FIRST, folder / "copy.txt")
    copied = load_corpus(folder)
    assert compared == [9, 10]
    assert copied.speeches.set_index("speech_id").duplicate_of["copy-1"] == (
        "000_08fcc9c379b76566-1"
    )
    _assert_same(copied, load_corpus(folder, cache=False))


def test_adding_a_file_fingerprints_only_that_file(folder, monkeypatch):
    from jianghua import duplicates, memo

    monkeypatch.setattr(memo, "MIN_SPEECHES", 0)  # an index kept for a corpus this small

    printed = []
    real = duplicates.text_prints

    def spy(text, *args, **kwargs):
        printed.append(text[:10])
        return real(text, *args, **kwargs)

    monkeypatch.setattr(duplicates, "text_prints", spy)
    cold = load_corpus(folder)
    assert len(printed) == 9
    text = (folder / FIRST).read_text(encoding="utf-8")
    (folder / "copy.txt").write_text(text[: len(text) * 2 // 3], encoding="utf-8")  # truncated
    copied = load_corpus(folder)
    assert len(printed) == 10  # the nine known texts came from the kept fingerprints
    assert copied.speeches.set_index("speech_id").duplicate_of["copy-1"] == (
        "000_08fcc9c379b76566-1"
    )
    (folder / "copy.txt").unlink()
    _assert_same(cold, load_corpus(folder))
    assert len(printed) == 10


def test_duplicate_indexes_of_other_settings_are_deleted(folder, monkeypatch):
    from jianghua import memo

    monkeypatch.setattr(memo, "MIN_SPEECHES", 0)  # an index kept for a corpus this small
    load_corpus(folder)
    indexes = config.cache_dir() / "corpus" / "duplicates"
    ours = sorted(p.name for p in indexes.glob("index-*.pkl"))
    assert len(ours) == 2  # the index and its rows
    for name in ("index-0123abcd.pkl", "index-0123abcd-rows-99.pkl", "fingerprints-0123.pkl"):
        (indexes / name).write_bytes(b"left by an older version")
    monkeypatch.setattr(corpus, "CACHE_VERSION", corpus.CACHE_VERSION + 1)  # new settings key
    load_corpus(folder)
    left = sorted(p.name for p in indexes.glob("*.pkl"))
    assert not set(left) & {"index-0123abcd.pkl", "index-0123abcd-rows-99.pkl"}
    assert "fingerprints-0123.pkl" not in left and not set(ours) & set(left)
    assert len([n for n in left if n.startswith("index-")]) == 2  # the new version's own


def test_worker_processes_give_the_serial_result(folder, tmp_path, monkeypatch, calls):
    serial = load_corpus(folder, cache=False, workers=1)
    monkeypatch.setattr(corpus, "POOL_MIN_FILES", 1)  # 5 files are enough for the pool here
    calls.clear()
    pooled = load_corpus(folder, workers=2)
    assert calls == []  # the files were read in the worker processes
    _assert_same(serial, pooled)
    assert len(_entries(tmp_path)) == 5  # workers wrote the cache: the next load reads none
    _assert_same(serial, load_corpus(folder, workers=2))
    assert calls == []


def test_every_module_that_reads_a_file_is_in_the_cache_version():
    # a change to any of them must read the files afresh, not serve rows the old code made
    readers = {p.stem for p in config.PACKAGE_DIR.glob("read*.py")}
    assert readers <= set(corpus._FILE_MODULES)
    imported = {"docx": "python-docx", "olefile": "olefile", "pypdf": "pypdf"}
    source = "".join(config.PACKAGE_DIR.joinpath(f"{m}.py").read_text() for m in readers)
    for module, package in imported.items():
        assert re.search(rf"(import|from) {module}\b", source), module
        assert package in corpus._CACHE_PACKAGES
