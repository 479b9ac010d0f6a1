"""Odd corpora: what the analyses say when a corpus cannot support them, and bad analyst files.

Each corpus is built in a temporary folder; the notebooks wrap every analysis in jh.step(),
so a NotEnoughData names the reason and the run goes on.
"""

import json
import warnings

import pandas as pd
import pytest
from jianghua import config, load_corpus, plots, run, steps
from jianghua.compare import comparison_terms, keyness, theme_profiles
from jianghua.corpus import Corpus
from jianghua.segment import read_userdict
from jianghua.steps import NotEnoughData
from jianghua.themes import ThemeWarning, resolve_themes, theme_flow
from jianghua.tokens import read_stopwords
from jianghua.topics import topic_model

SEED = config.CORPUS_DIR / "000_08fcc9c379b76566.txt"
HEADER = "在全区作风建设大会上的讲话\n区委书记 张永霞\n（2009年5月10日）\n同志们：\n"


def _words(counts: dict) -> str:
    """Return a text in which each word occurs counts[word] times, one word per sentence."""
    return "".join(f"{w}。" * n for w, n in counts.items())


def _quiet(func, *args, **kwargs):
    """Call func with the small-group warnings of tiny fixtures silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


@pytest.fixture
def one_speaker():
    """Two speeches, both by 张三 at 区 level in 2009."""
    texts = {"a": _words({"改革": 6, "发展": 3}), "b": _words({"改革": 2, "群众": 7})}
    dates = pd.to_datetime(["2009-02-02", "2009-05-10"])
    return Corpus.from_texts(texts, speaker=["张三", "张三"], level=["区", "区"], date=dates)


# ---------------------------------------------------------------- steps


def test_step_reports_not_enough_data_and_goes_on(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("JIANGHUA_NOTEBOOK", "03_comparison")
    monkeypatch.setenv("JIANGHUA_FIGURES", str(tmp_path))
    with steps.step("keyness by speaker"):
        raise NotEnoughData("comparison needs at least two groups: only one speaker: 张三")
    assert capsys.readouterr().out == (
        "⚠ keyness by speaker: not done: comparison needs at least two groups: "
        "only one speaker: 张三\n"
    )
    assert steps.read_skipped(tmp_path) == [
        {
            "notebook": "03_comparison",
            "step": "keyness by speaker",
            "reason": "comparison needs at least two groups: only one speaker: 张三",
        }
    ]


def test_step_lets_other_errors_through(monkeypatch, tmp_path):
    monkeypatch.delenv("JIANGHUA_NOTEBOOK", raising=False)
    with pytest.raises(ValueError, match="a real bug"), steps.step("anything"):
        raise ValueError("a real bug")
    with steps.step("interactive"):
        raise NotEnoughData("only printed")
    assert not (tmp_path / steps.SKIPPED_FILE).exists()


# ---------------------------------------------------------------- comparisons


def test_keyness_with_one_group_names_the_group(one_speaker):
    with pytest.raises(NotEnoughData, match="at least two groups: every speech has level 区$"):
        _quiet(keyness, one_speaker, "区", by="level")
    with pytest.raises(NotEnoughData, match="every speech has year 2009$"):
        _quiet(keyness, one_speaker, 2009, by="year")


def test_keyness_with_an_absent_target_lists_the_groups(one_speaker):
    with pytest.raises(NotEnoughData, match=r"no group \['市'\].*groups are \['区'\]"):
        _quiet(keyness, one_speaker, "市", by="level")


def test_keyness_by_year_without_any_date_says_so():
    texts = {"a": _words({"改革": 6}), "b": _words({"发展": 6})}
    with pytest.raises(NotEnoughData, match="no speech has a year: there are no groups"):
        _quiet(keyness, Corpus.from_texts(texts), 2009, by="year")


def test_comparison_terms_and_profiles_refuse_one_speaker(one_speaker):
    with pytest.raises(NotEnoughData, match="at least two groups: only one speaker: 张三$"):
        _quiet(comparison_terms, one_speaker, "speaker")
    profiles = _quiet(theme_profiles, one_speaker, "speaker")
    assert set(profiles.group) == {"张三"}
    with pytest.raises(NotEnoughData, match="at least two groups: only one, 张三"):
        plots.plot_theme_profiles(profiles)
    with pytest.raises(NotEnoughData, match="at least two groups: no speech is in any group"):
        plots.plot_theme_profiles(profiles.iloc[:0])


def test_similarity_and_reuse_plots_refuse_to_draw_nothing():
    one = pd.DataFrame([[1.0]], index=["a"], columns=["a"])
    with pytest.raises(NotEnoughData, match="at least two speeches to compare, found 1"):
        plots.plot_similarity(one)
    no_pairs = pd.DataFrame(columns=["speech_a", "speech_b", "shared_chars", "pct_a", "pct_b"])
    with pytest.raises(NotEnoughData, match="no passage is shared by two speeches"):
        plots.plot_reuse_heatmap(no_pairs)


# ---------------------------------------------------------------- themes and topics


def test_theme_flow_on_an_empty_corpus_and_an_unknown_speech(one_speaker):
    empty = Corpus.from_texts({})
    with pytest.raises(NotEnoughData, match="the corpus has no speech"):
        theme_flow(empty)
    with pytest.raises(NotEnoughData, match=r"no speech '003-1' in this corpus; .* are a, b"):
        theme_flow(one_speaker, "003-1")


def test_topic_model_on_too_little_text_says_why():
    tiny = Corpus.from_texts({"a": "改革发展。"})
    with pytest.raises(NotEnoughData, match="at least 2 non-empty paragraph units, got 1"):
        topic_model(tiny, k=2)


# ---------------------------------------------------------------- corpora that give nothing


def test_an_empty_folder_is_a_problem_not_a_silence(tmp_path):
    corpus = load_corpus(tmp_path, cache=False)
    assert len(corpus) == 0
    assert corpus.problems.to_dict("records") == [
        {
            "source": tmp_path.name,
            "severity": "error",
            "message": f"no speech files (.txt, .html, .mht, .docx ...) found in {tmp_path}: "
            "nothing to analyse",
        }
    ]
    assert "No speech was read: nothing to analyse" in repr(corpus)


def test_a_folder_of_bad_files_says_none_gave_a_speech(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 8)
    corpus = load_corpus(tmp_path, cache=False)
    assert len(corpus) == 0
    last = corpus.problems.iloc[-1]
    assert last.source == tmp_path.name
    assert last.message == "none of the 2 files gave a speech (see the problems above): " + (
        "nothing to analyse"
    )
    assert set(corpus.problems.source) == {"empty.txt", "binary.txt", tmp_path.name}


# ---------------------------------------------------------------- metadata.csv


@pytest.fixture
def seed_copy(tmp_path):
    """A corpus folder holding one seed speech (id 000_08fcc9c379b76566-1)."""
    (tmp_path / SEED.name).write_bytes(SEED.read_bytes())
    return tmp_path


def _messages(corpus, source):
    """Return the problem messages of one source, in order."""
    return corpus.problems.loc[corpus.problems.source == source, "message"].tolist()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty: nothing applied"),
        (b"\r\n \r\n", "the file is empty: nothing applied"),
        (bytes(range(128, 256)) * 2, "not UTF-8 or GB18030 text (bad byte at 0): nothing applied"),
        ('speech_id,speaker\n"x,张三\n'.encode(), "not a readable CSV table"),
    ],
)
def test_an_unusable_metadata_csv_is_reported_and_the_run_goes_on(seed_copy, content, message):
    (seed_copy / "metadata.csv").write_bytes(content)
    corpus = load_corpus(seed_copy, cache=False)
    assert len(corpus) == 1
    assert corpus.speeches.speaker.iloc[0] == "张永霞"
    problems = corpus.problems[corpus.problems.source == "metadata.csv"]
    assert len(problems) == 1
    assert problems.severity.iloc[0] == "error"
    assert problems.message.iloc[0].startswith(message)


def test_metadata_csv_in_gbk_with_duplicates_bad_dates_and_extra_columns(seed_copy):
    sid = "000_08fcc9c379b76566-1"
    rows = [
        "speech_id,speaker,date,notes",
        f"{sid},李四,二〇一九年,x",
        f"{sid},王五,2019/13/45,",
        "no-such-speech,赵六,2019-01-01,",
        f"{sid},,二〇一九年三月五日,",
    ]
    (seed_copy / "metadata.csv").write_bytes("\n".join(rows).encode("gbk"))
    corpus = load_corpus(seed_copy, cache=False)
    row = corpus.speeches.iloc[0]
    assert row.speaker == "王五"  # the later row wins, and the duplicate is reported
    assert row.date == pd.Timestamp("2019-03-05")
    assert _messages(corpus, "metadata.csv") == [
        "unknown column 'notes' ignored",
        f"speech_id '{sid}' is on 3 rows (lines 2, 3, 5): a later row's values override an "
        "earlier row's",
        f"{sid}: date '二〇一九年' is not a date",
        f"{sid}: date '2019/13/45' is not a date",
        "unknown speech_id 'no-such-speech' ignored",
    ]


# ---------------------------------------------------------------- dictionaries and themes


def test_stopwords_in_gbk_are_read(tmp_path):
    path = tmp_path / "stopwords.txt"
    path.write_bytes("同志们\n进一步，切实\n".encode("gbk"))
    assert read_stopwords(path) == frozenset({"同志们", "进一步", "切实"})


def test_userdict_with_a_bad_frequency_keeps_the_word(tmp_path):
    path = tmp_path / "userdict.txt"
    path.write_text("冲刺30强 -5\n作风建设 10 n\n抓落实 3.5 v\n", encoding="utf-8")
    with pytest.warns(UserWarning) as caught:
        rows = read_userdict(path)
    assert rows == [("冲刺30强", None, None), ("作风建设", 10, "n"), ("抓落实", None, "v")]
    assert [str(w.message) for w in caught] == [
        "userdict.txt line 1: frequency '-5' is not a positive whole number; '冲刺30强' kept "
        "without a frequency",
        "userdict.txt line 3: frequency '3.5' is not a positive whole number; '抓落实' kept "
        "without a frequency",
    ]


def test_an_undecodable_userdict_is_ignored_with_a_warning(tmp_path):
    path = tmp_path / "userdict.txt"
    path.write_bytes(b"\xff\xfe\x00garbage\x00" * 4)
    with pytest.warns(UserWarning, match=r"userdict.txt: not UTF-8 or GB18030 .*: file ignored"):
        assert read_userdict(path) == []


def test_a_broken_themes_yaml_falls_back_to_the_shipped_themes(seed_copy):
    (seed_copy / "themes.yaml").write_text(
        "mode: extend\nthemes:\n  生态: [绿水, 青山\n  作风: [作风]\n", encoding="utf-8"
    )
    corpus = load_corpus(seed_copy, cache=False)
    with pytest.warns(ThemeWarning, match="not valid YAML .*the shipped themes are used instead"):
        themes = resolve_themes(None, corpus)
    assert themes == resolve_themes(config.DATA_DIR / "themes.yaml")
    [message] = _messages(corpus, "themes.yaml")
    assert message.startswith(f"{seed_copy / 'themes.yaml'}: line 4: not valid YAML")
    assert message.endswith("; the shipped themes are used instead")


def test_analyst_file_problems_reach_the_corpus_problems(seed_copy):
    (seed_copy / "themes.yaml").write_text(
        "mode: replace\nthemes:\n  空主题: []\n", encoding="utf-8"
    )
    (seed_copy / "userdict.txt").write_text("执行力建设 -1\n", encoding="utf-8")
    (seed_copy / "stopwords.txt").write_bytes("同志们\n".encode("gbk"))
    corpus = load_corpus(seed_copy, cache=False)
    assert _messages(corpus, "userdict.txt") == [
        "userdict.txt line 1: frequency '-1' is not a positive whole number; '执行力建设' kept "
        "without a frequency"
    ]
    [themes] = _messages(corpus, "themes.yaml")
    assert "theme '空主题' is empty (no words listed)" in themes
    assert _messages(corpus, "stopwords.txt") == []  # GBK is read, not a problem


# ---------------------------------------------------------------- the main job's bookkeeping


def test_clear_outputs_deletes_only_figures_named_by_a_sidecar(tmp_path):
    for suffix in (".png", ".svg", ".csv"):
        (tmp_path / f"keyness-level-qu{suffix}").write_text("old")
    files = {"png": "keyness-level-qu.png", "svg": "keyness-level-qu.svg"}
    files["csv"] = "keyness-level-qu.csv"
    sidecar = {"name": "keyness-level-qu", "files": files}
    (tmp_path / "keyness-level-qu.json").write_text(json.dumps(sidecar))
    (tmp_path / "notes.json").write_text('{"mine": true}')
    (tmp_path / "index.html").write_text("gallery")
    (tmp_path / steps.SKIPPED_FILE).write_text('{"notebook": "x", "step": "y", "reason": "z"}\n')
    assert run.clear_outputs(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html", "notes.json"]


def test_summary_lists_the_analyses_not_done(tmp_path, one_speaker):
    rows = [{"notebook": "03_comparison", "step": "keyness", "reason": "only one level: 区"}]
    (tmp_path / steps.SKIPPED_FILE).write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    skipped = run.skipped_problems(tmp_path)
    assert skipped.to_dict("records") == [
        {
            "source": "03_comparison.ipynb",
            "severity": "skipped",
            "message": "keyness: only one level: 区",
        }
    ]
    runs = pd.DataFrame(
        [{"notebook": "03_comparison.ipynb", "ok": True, "seconds": 1.0, "error": ""}]
    )
    text = run.summary_text(runs, one_speaker, tmp_path, skipped)
    assert "Analyses not done: 1\n  - 03_comparison.ipynb: keyness: only one level: 区" in text
    empty = run.summary_text(runs, Corpus.from_texts({}), tmp_path, skipped, n_files=4)
    assert empty.startswith("Speeches loaded: 0 from 0 files (4 more files gave no speech)\n")
    assert "Analyses not done: 1 (no speech to analyse)" in empty
    assert "  - 03_comparison.ipynb" not in empty


def test_summary_lists_errors_first_and_stops_at_twenty(tmp_path, one_speaker):
    warnings_ = [(f"{i:03d}.txt", "warning", "announces 三点意见 but has 2") for i in range(30)]
    errors = [("zz.txt", "error", "no Chinese text"), ("aa.png", "error", "unsupported")]
    one_speaker.problems = pd.DataFrame(
        warnings_ + errors, columns=["source", "severity", "message"]
    )
    runs = pd.DataFrame([{"notebook": "00_corpus.ipynb", "ok": True, "seconds": 1.0, "error": ""}])
    lines = run.summary_text(runs, one_speaker, tmp_path).splitlines()
    assert lines[1] == f"Problems: 32 (2 errors, 30 warnings) (see {tmp_path / 'problems.csv'})"
    assert lines[2:4] == ["  - zz.txt: error: no Chinese text", "  - aa.png: error: unsupported"]
    assert lines[4] == "  - 000.txt: warning: announces 三点意见 but has 2"
    assert lines[22] == f"  … and 12 more in {tmp_path / 'problems.csv'}"
    assert lines[23] == "Analyses not done: 0"


# ---------------------------------------------------------------- the main job, end to end


def _job(corpus, figures, cache):
    """Run the main job as `make figures` does; return (exit code, output)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "JIANGHUA_CACHE": str(cache), "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "jianghua.run", "--corpus", str(corpus), "--figures", str(figures)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    return done.returncode, done.stdout + done.stderr


def _errors_in(figures):
    """Return the error outputs of the executed notebooks."""
    found = []
    for path in sorted((figures / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            found += [o for o in cell.get("outputs", []) if o["output_type"] == "error"]
    return found


def test_main_job_on_an_empty_folder_runs_every_notebook_to_the_end(tmp_path):
    corpus, figures = tmp_path / "corpus", tmp_path / "figures"
    corpus.mkdir()
    figures.mkdir()
    (figures / "keyness-level-qu.png").write_bytes(b"stale")  # from an earlier run
    (figures / "keyness-level-qu.json").write_text(
        json.dumps({"name": "keyness-level-qu", "files": {"png": "keyness-level-qu.png"}})
    )
    code, out = _job(corpus, figures, tmp_path / "cache")
    assert code == 0, out[-3000:]
    assert "without encryption" not in out  # the kernel's start-up warning, once per notebook
    summary = (figures / "summary.txt").read_text(encoding="utf-8")
    assert "Speeches loaded: 0 from 0 files" in summary
    assert f"no speech files (.txt, .html, .mht, .docx ...) found in {corpus}" in summary
    assert "Analyses not done: 22 (no speech to analyse)" in summary
    assert "Figures written: 0 PNG" in summary
    assert summary.count(": ok (") == 4
    assert _errors_in(figures) == []
    assert not (figures / "keyness-level-qu.png").exists()


def test_main_job_on_one_speaker_skips_the_comparisons_and_says_why(tmp_path):
    corpus, figures = tmp_path / "corpus", tmp_path / "figures"
    corpus.mkdir()
    text = SEED.read_text(encoding="utf-8")
    body = text[text.index("今天上午") :]  # the speech after its web header
    half = len(body) // 2
    (corpus / "a.txt").write_text(HEADER + body[:half], encoding="utf-8")
    (corpus / "b.txt").write_text(HEADER.replace("5月10日", "9月1日") + body[half:], "utf-8")
    code, out = _job(corpus, figures, tmp_path / "cache")
    assert code == 0, out[-3000:]
    assert _errors_in(figures) == []
    problems = pd.read_csv(figures / "problems.csv")
    skipped = problems[problems.severity == "skipped"]
    assert set(skipped.source) == {"03_comparison.ipynb"}
    assert set(skipped.message) >= {
        "keyness by level: one group vs the rest: comparison needs at least two groups: every "
        "speech has level 区",
        "comparison word cloud by level: comparison needs at least two groups: only one level: 区",
        "theme profiles by level: comparison needs at least two groups: only one, 区",
    }
    summary = (figures / "summary.txt").read_text(encoding="utf-8")
    assert f"Analyses not done: {len(skipped)}" in summary
    pngs = {p.stem for p in figures.glob("*.png")}
    assert {"wordcloud-a-1", "wordcloud-b-1", "similarity-tfidf-speeches"} <= pngs
    assert not {"keyness-level-qu", "comparison-cloud-level", "themes-profile-level"} & pngs


# ---------------------------------------------------------------- figures that would mislead


def test_a_long_theme_flow_is_smoothed_and_says_so():
    units = 325  # a 60,000-character provincial work report
    flow = pd.DataFrame(
        {
            "speech_id": "report-1",
            "unit_index": range(units),
            "theme": "执行落实",
            "per_1k": [500.0 if i % 40 == 0 else 0.0 for i in range(units)],
        }
    )
    assert [plots.flow_window(n) for n in (27, 60, 61, 325)] == [1, 1, 2, 8]
    assert plots.flow_window(325, smooth=3) == 3
    ax = plots.plot_theme_flow(flow)
    assert ax.get_ylabel().endswith(", 平滑 8")
    # a spike away from the ends is spread over the 8 paragraphs of its window
    assert ax.get_lines()[0].get_ydata()[40] == pytest.approx(500.0 / 8)
    plots.close(ax)


def test_enumerations_show_the_speeches_without_any():
    enums = pd.DataFrame(
        {"speech_id": ["s2-1", "s2-1", "s3-1"], "enum_id": [1, 2, 1], "style": ["要", "序", "要"]}
    )
    ax = plots.plot_enumerations(enums, speech_ids=["s0-1", "s1-1", "s2-1", "s3-1"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["s0-1", "s1-1", "s2-1", "s3-1"]
    widths = {}
    for bar in ax.patches:
        widths[round(bar.get_y() + bar.get_height() / 2)] = (
            widths.get(round(bar.get_y() + bar.get_height() / 2), 0) + bar.get_width()
        )
    assert widths == {0: 0, 1: 0, 2: 2, 3: 1}
    plots.close(ax)
    with pytest.raises(NotEnoughData, match="no enumeration"):
        plots.plot_enumerations(enums.iloc[:0], speech_ids=["s0-1"])


def test_theme_profiles_mark_a_group_with_little_text():
    profiles = pd.DataFrame(
        {
            "group": ["县", "县", "省", "省"],
            "theme": ["执行落实", "民生服务", "执行落实", "民生服务"],
            "per_1k": [43.5, 0.0, 24.9, 11.5],
            "hits": [3, 0, 780, 360],
            "n_tokens": [69, 69, 31300, 31300],
        }
    )
    ax = plots.plot_theme_profiles(profiles)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["县 (文本过少 little text: 69 词)", "省"]
    small, large = ax.collections
    assert small.get_facecolors().size == 0  # hollow dots
    assert large.get_facecolors()[0][3] == 1.0
    plots.close(ax)
