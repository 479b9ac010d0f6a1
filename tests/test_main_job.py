"""The main job end to end, as a newcomer uses it: add speeches (and some bad files), run, look.

The job runs twice on the same temporary corpus, so the same runs also prove determinism and
that the corpus folder is never written to.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from jianghua import config
from jianghua.plots import slug

FIXTURES = config.TESTS_DIR / "fixtures" / "walkthrough"
NEW_SPEECHES = {"anquan_gb18030.txt": "anquan_gb18030-1", "zuofeng.docx": "zuofeng-1"}
BAD_FILES = {
    "empty.txt": b"",
    "binary.txt": bytes(range(256)) * 8,
    "latin1.txt": "Café déjà vu, naïve façade. ".encode("latin-1") * 20,
    "broken.docx": b"PK\x03\x04 this is not really a zip archive",
}


def checksums(folder: Path) -> dict:
    """Return {relative path: sha256} for every file below the folder."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_job(corpus: Path, figures: Path, cache: Path, **kwargs):
    """Start the main job in a subprocess, as `make figures` does."""
    env = {**os.environ, "JIANGHUA_CACHE": str(cache), "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "jianghua.run", "--corpus", str(corpus), "--figures", str(figures)]
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs
    )


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """Run the main job twice on the seed corpus plus two new speeches and four bad files."""
    base = tmp_path_factory.mktemp("walkthrough")
    corpus = base / "corpus"
    shutil.copytree(config.CORPUS_DIR, corpus)
    for name in NEW_SPEECHES:
        shutil.copy(FIXTURES / name, corpus / name)
    for name, data in BAD_FILES.items():
        (corpus / "inbox" / name).parent.mkdir(exist_ok=True)
        (corpus / "inbox" / name).write_bytes(data)
    before = checksums(corpus)
    outputs = []
    for run in ("first", "second"):
        proc = run_job(corpus, base / run, base / "cache")
        out, _ = proc.communicate(timeout=1500)
        outputs.append((proc.returncode, out))
    return {"corpus": corpus, "before": before, "base": base, "outputs": outputs}


def test_main_job_runs_to_the_end(job):
    for code, out in job["outputs"]:
        assert code == 0, out[-3000:]
        assert "Speeches loaded: 11 from 7 files" in out
        assert "Gallery:" in out
    executed = sorted((job["base"] / "first" / "notebooks").glob("*.ipynb"))
    assert [p.stem for p in executed] == ["00_corpus", "01_frequency", "02_themes", "03_comparison"]
    for path in executed:
        assert "missing from font" not in path.read_text(encoding="utf-8"), path.name


def test_summary_names_every_bad_file_and_reason(job):
    summary = (job["base"] / "first" / "summary.txt").read_text(encoding="utf-8")
    problems = pd.read_csv(job["base"] / "first" / "problems.csv")
    for name in BAD_FILES:
        assert f"inbox/{name}" in summary
        assert (problems.source == f"inbox/{name}").sum() == 1
    reasons = dict(zip(problems.source, problems.message, strict=False))
    assert reasons["inbox/empty.txt"].startswith("empty")
    assert "binary" in reasons["inbox/binary.txt"]
    assert "no Chinese" in reasons["inbox/latin1.txt"]
    assert "docx" in reasons["inbox/broken.docx"]


def test_new_speeches_reach_tables_and_figures(job):
    figures = job["base"] / "first"
    by_speech = pd.read_csv(figures / "freq-top10-by-speech.csv")
    for speech_id in NEW_SPEECHES.values():
        assert speech_id in set(by_speech.speech_id)
        assert (figures / f"wordcloud-{slug(speech_id)}.png").is_file()
    themes = pd.read_csv(figures / "themes-heatmap-by-speech.csv")
    assert set(NEW_SPEECHES.values()) <= set(themes.speech_id)
    assert "anquan_gb18030" in (figures / "index.html").read_text(encoding="utf-8")


def test_two_runs_give_identical_tables_and_figures(job):
    first, second = job["base"] / "first", job["base"] / "second"
    names = sorted(p.name for p in first.glob("*") if p.suffix in {".png", ".csv", ".svg"})
    assert len([n for n in names if n.endswith(".png")]) >= 25
    assert names == sorted(p.name for p in second.glob("*") if p.suffix in {".png", ".csv", ".svg"})
    differ = [n for n in names if (first / n).read_bytes() != (second / n).read_bytes()]
    assert differ == []


def test_corpus_folder_is_unchanged(job):
    assert checksums(job["corpus"]) == job["before"]


def test_interrupted_run_leaves_nothing_a_later_run_would_trust(tmp_path):
    from jianghua import load_corpus, tokens
    from PIL import Image

    cache, figures = tmp_path / "cache", tmp_path / "figures"
    proc = run_job(config.CORPUS_DIR, figures, cache, start_new_session=True)
    time.sleep(40)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # Files are written under a hidden temporary name and renamed, so every visible figure
    # is whole; a temporary file cut short by the kill is ignored by the gallery.
    pngs = sorted(figures.glob("*.png"))
    assert pngs, "the job was killed before it wrote any figure: kill later"
    for png in pngs:
        with Image.open(png) as image:
            image.verify()
    for sidecar in figures.glob("*.json"):
        assert json.loads(sidecar.read_text(encoding="utf-8"))["name"] == sidecar.stem
    corpus = load_corpus(config.CORPUS_DIR)
    os.environ["JIANGHUA_CACHE"] = str(cache)
    try:
        after_kill = tokens(corpus)
    finally:
        os.environ.pop("JIANGHUA_CACHE")
    os.environ["JIANGHUA_CACHE"] = str(tmp_path / "fresh")
    try:
        fresh = tokens(corpus)
    finally:
        os.environ.pop("JIANGHUA_CACHE")
    pd.testing.assert_frame_equal(after_kill, fresh)
