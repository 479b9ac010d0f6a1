"""The synthetic corpus of the scale benchmark: deterministic, readable, clutter and copies."""

import re

import pandas as pd
import pytest
from jianghua import config, scale, synthetic

# More of every variant than the full-size defaults, so that 40 files hold each kind.
SHARES = {"copy": 0.2, "gb18030": 0.2, "utf-16": 0.2, "html": 0.15}
N = 40
PAGE = re.compile(r"[\u4e00-\u9fff] \d{1,2} [\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def generated(tmp_path_factory, seed_corpus):
    """A 40-file synthetic corpus and its manifest."""
    out = tmp_path_factory.mktemp("synthetic")
    manifest = synthetic.make_corpus(
        out, n_files=N, target_mb=0.4, seeds=seed_corpus, shares=SHARES
    )
    return out, manifest


@pytest.fixture(scope="module")
def loaded(generated):
    """The generated corpus read back with load_corpus."""
    from jianghua import load_corpus

    return load_corpus(generated[0])


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.*")}


def _raw_text(folder, row):
    data = (folder / row.file).read_bytes()
    return data[2:].decode("utf-16-le") if row.encoding == "utf-16" else data.decode(row.encoding)


def _by_file(loaded):
    return loaded.speeches.set_index("source")


def test_same_seed_same_bytes(generated, tmp_path, seed_corpus):
    out, manifest = generated
    again = synthetic.make_corpus(
        tmp_path / "again", n_files=N, target_mb=0.4, seeds=seed_corpus, shares=SHARES
    )
    pd.testing.assert_frame_equal(manifest, again)
    assert _files(out) == _files(tmp_path / "again")
    other = synthetic.make_corpus(
        tmp_path / "other", n_files=N, seed=1, target_mb=0.4, seeds=seed_corpus, shares=SHARES
    )
    assert list(other.file) != list(manifest.file)


def test_manifest_columns_and_files(generated):
    out, manifest = generated
    assert list(manifest.columns) == synthetic.MANIFEST_COLUMNS
    assert len(manifest) == N and manifest.file.is_unique
    assert set(manifest.encoding) == {"utf-8", "gb18030", "utf-16"}
    assert set(manifest.format) == {"txt", "html"}
    assert manifest.date.between("1995-01-01", "2024-12-31").all()
    assert set(manifest.level) <= {"县", "市", "区", "省", "乡镇"}
    copies = manifest.dropna(subset=["copy_of"])
    assert len(copies) >= 2 and set(copies.copy_kind) <= {"truncated", "near"}
    assert copies.copy_of.isin(manifest.file).all()
    for row in manifest.itertuples():
        assert (out / row.file).stat().st_size == row.bytes
    assert (out / synthetic.MANIFEST_NAME).exists()


def test_encodings_on_disk(generated):
    out, manifest = generated
    for row in manifest[manifest.format == "txt"].itertuples():
        data = (out / row.file).read_bytes()
        assert (data[:2] == b"\xff\xfe") == (row.encoding == "utf-16")
        text = _raw_text(out, row)
        assert row.speaker in text.replace(" ", "")
        if row.encoding == "gb18030":
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")


def test_near_copy_changes_one_char_in_fifty(generated):
    out, manifest = generated
    near = manifest[manifest.copy_kind == "near"]
    assert len(near)
    row = near.iloc[0]
    original = manifest.set_index("file").loc[row.copy_of]
    assert row.n_chars == original.n_chars and row.title == original.title


def test_refuses_seed_corpus_and_foreign_folders(tmp_path, seed_corpus):
    with pytest.raises(ValueError, match="seed corpus"):
        synthetic.make_corpus(config.CORPUS_DIR / "synthetic", n_files=2, seeds=seed_corpus)
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ValueError, match="not empty"):
        synthetic.make_corpus(tmp_path, n_files=2, seeds=seed_corpus)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_load_corpus_reads_every_file(generated, loaded):
    _, manifest = generated
    speeches = _by_file(loaded)
    assert sorted(speeches.index) == sorted(manifest.file)
    assert not (loaded.problems.severity == "error").any()
    dates = speeches.loc[manifest.file, "date"].reset_index(drop=True)
    assert (dates == manifest.date).mean() >= 0.9


def test_load_corpus_removes_planted_clutter(generated, loaded):
    _, manifest = generated
    texts = loaded.speeches.text
    for marker in ("当前位置", "您所在的位置", "发布时间", "免责声明", "http", "www.", "本文来源"):
        assert not texts.str.contains(marker, regex=False).any(), marker
    # Page numbers splitting words ("机 2 关"): the cleaner needs a rising sequence as
    # evidence, so a lone first page may stay; most must go.
    planted = sum(len(PAGE.findall(_raw_text(generated[0], row))) for row in manifest.itertuples())
    removed = (loaded.removed.kind == "page number").sum()
    left = texts.str.count(PAGE.pattern).sum()
    assert planted > 10 and removed >= 0.7 * planted and left <= 0.3 * planted
    kinds = set(loaded.removed.kind)
    assert {"breadcrumb", "publish line", "url"} <= kinds
    n_watermarks = manifest.clutter.str.contains("watermark").sum()
    assert (loaded.removed.kind == "watermark").sum() >= n_watermarks > 0


def test_planted_copies_are_found(generated, loaded):
    from jianghua import reuse

    _, manifest = generated
    found = scale.planted_copies_found(manifest, loaded.speeches, reuse(loaded))
    assert len(found) == manifest.copy_of.notna().sum() >= 2
    assert (found.by_duplicate_of | found.by_reuse).all(), found
    truncated = found[found.copy_kind == "truncated"]
    assert truncated.by_duplicate_of.all(), truncated


def test_scale_runs_on_a_small_corpus(tmp_path, capsys):
    results = tmp_path / "results.csv"
    code = scale.main(
        [
            "--files",
            "12",
            "--data",
            str(tmp_path / "data"),
            "--cache",
            str(tmp_path / "cache"),
            "--results",
            str(results),
        ]
    )
    table = pd.read_csv(results)
    assert code in (0, 1)
    assert list(table.stage[:6]) == scale.COLD_STAGES
    # the warm rerun and the rerun after adding one file each cover the whole pipeline
    warm = [s + " (rerun)" for s in ["load_corpus", *scale.COLD_STAGES[2:]]]
    assert set(warm) <= set(table.stage)
    assert table.stage.iloc[-1] == "reuse (+1 file)"
    assert table.set_index("stage").loc["tokens (+1 file)", "rows"] > 0
    assert (table.seconds >= 0).all() and (table.peak_self_mb > 0).all()
    assert len(table[table.stage == "load_corpus"].rows) == 1
    assert table.set_index("stage").loc["load_corpus", "rows"] == 12
    out = capsys.readouterr().out
    assert "pipeline cold (s)" in out and "CPUs" in out
    # the extra file of the incremental step is removed again
    speeches = [p for p in (tmp_path / "data").rglob("*.*") if not p.name.startswith(".")]
    assert len(speeches) == 12


def test_totals_against_targets():
    table = pd.DataFrame(
        {
            "n_files": 100,
            "stage": scale.COLD_STAGES
            + ["load_corpus (rerun)", "tokens (warm)"]
            + [s + " (rerun)" for s in scale.COLD_STAGES[2:]]
            + ["load_corpus (+1 file)", "tokens (+1 file)", "reuse (+1 file)"],
            "seconds": [10.0, 50.0, 5.0, 5.0, 20.0, 10.0, 5.0, 1.0, 0.5, 0.5, 0.5, 0.5]
            + [6.0, 1.5, 4.0],
            "peak_self_mb": 900.0,
            "peak_children_mb": 100.0,
        }
    )
    out = scale.totals(table).set_index("measure")
    assert out.loc["pipeline cold (s)", "value"] == 100.0
    assert out.loc["peak memory (MB)", "value"] == 1000.0
    # the warm rerun is the whole pipeline again: 5 + 1 + 4 * 0.5 = 8 s of the 100 s cold
    assert out.loc["warm / cold rerun", "value"] == pytest.approx(8 / 100, abs=1e-4)
    assert out.loc["warm / cold rerun", "ok"] == "yes"
    assert out.loc["pipeline cold (s)", "ok"] == "yes"
    assert out.loc["+1 file: load + tokens (s)", "value"] == 7.5
    assert out.loc["+1 file: whole pipeline (s)", "value"] == 11.5
    assert out.loc["+1 file: whole pipeline minus warm rerun (s)", "value"] == 3.5
    # 11.5 s after adding a file against 8 s unchanged: within twice a rerun
    assert out.loc["+1 file / warm rerun", "value"] == pytest.approx(11.5 / 8, abs=1e-4)
    assert out.loc["+1 file / warm rerun", "ok"] == "yes"


def test_clauses_carry_no_outline_markers():
    clauses = synthetic._split_clauses(
        "下面，我讲三点意见：（一）要提升精神区位抓落实，一要提升信心。"
    )
    assert clauses == []
    assert synthetic._split_clauses("通过近二十年的努力，我们改变了面貌。") == [
        "通过近二十年的努力",
        "我们改变了面貌",
    ]
