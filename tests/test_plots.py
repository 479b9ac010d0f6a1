"""Plots: Chinese glyphs, export, determinism, one test per plot function.

The tables are built here from the raw seed files with plain string counting, in the columns the
contract fixes, so these tests do not depend on the analysis modules.
"""

import io
import json
import math
import re
import warnings
from collections import Counter
from itertools import pairwise
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from jianghua import config, plots
from jianghua.similar import cluster_order
from PIL import Image

matplotlib.use("Agg")

TERMS = ["发展", "干部", "作风", "执行", "效能", "服务", "项目", "经济", "落实", "企业", "群众"]
THEMES = {
    "经济发展": ["发展", "经济", "项目", "企业"],
    "作风建设": ["作风", "效能", "执行", "落实"],
    "干部队伍": ["干部", "党员", "组织"],
    "群众工作": ["群众", "服务", "民生"],
}
DIRECTIVES = ["要", "必须", "确保", "务必", "坚决"]
LEVELS = {"000": "区", "001": "县", "002": "区", "003": "市", "004": "地区"}


# ---------------------------------------------------------------- tables from the seed files


def _seed_texts() -> dict:
    """Return {speech_id: text}: one speech per file, the 003 compilation split at 第N篇."""
    texts = {}
    for path in sorted(config.CORPUS_DIR.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        parts = [p for p in re.split(r"(?m)^第[一二三四五六七八九十]+篇[:：]", text) if p.strip()]
        for i, part in enumerate(parts, start=1):
            texts[f"{path.stem}-{i}"] = part
    return texts


def _counts(texts) -> pd.DataFrame:
    """Return speech_id, term, count for TERMS by substring counting."""
    rows = [(s, t, text.count(t)) for s, text in texts.items() for t in TERMS]
    return pd.DataFrame(rows, columns=["speech_id", "term", "count"])


def _freq(counts: pd.DataFrame, chars: int, by=None) -> pd.DataFrame:
    """Return a frequency table (term, count, per_10k, doc_freq, rank)."""
    keys = [by, "term"] if by else ["term"]
    out = counts.groupby(keys, as_index=False).agg(
        count=("count", "sum"), doc_freq=("count", lambda c: int((c > 0).sum()))
    )
    out["per_10k"] = out["count"] / chars * 1e4
    out = out.sort_values(
        [*([by] if by else []), "count", "term"], ascending=[True] * bool(by) + [False, True]
    )
    out["rank"] = out.groupby(by).cumcount() + 1 if by else range(1, len(out) + 1)
    return out[[*keys, "count", "per_10k", "doc_freq", "rank"]].reset_index(drop=True)


def _theme_scores(texts, unit="speech") -> pd.DataFrame:
    """Return theme scores (unit_id, speech_id, unit_index, theme, hits, n_tokens, per_1k)."""
    rows = []
    for sid, text in texts.items():
        units = [text] if unit == "speech" else [p for p in text.split("\n") if p.strip()]
        for i, body in enumerate(units):
            for theme, words in THEMES.items():
                hits = sum(body.count(w) for w in words)
                n = max(1, len(body) // 2)  # about two characters per word
                rows.append((f"{sid}:{i}", sid, i, theme, hits, n, 1000 * hits / n))
    cols = ["unit_id", "speech_id", "unit_index", "theme", "hits", "n_tokens", "per_1k"]
    return pd.DataFrame(rows, columns=cols)


def _keyness(texts, target_prefix="003") -> pd.DataFrame:
    """Return keyness columns for a few terms, target = speeches of one file."""
    target = "".join(t for s, t in texts.items() if s.startswith(target_prefix))
    ref = "".join(t for s, t in texts.items() if not s.startswith(target_prefix))
    words = TERMS + DIRECTIVES + ["活动", "机关", "攻坚", "农业", "工业", "城市", "改革", "安全"]
    rows = []
    for w in dict.fromkeys(words):
        a, b = target.count(w) + 0.5, ref.count(w) + 0.5
        na, nb = len(target), len(ref)
        e1, e2 = na * (a + b) / (na + nb), nb * (a + b) / (na + nb)
        g2 = 2 * (a * math.log(a / e1) + b * math.log(b / e2))
        lr = math.log2((a / na) / (b / nb))
        lo = math.log(a / (na - a)) - math.log(b / (nb - b))
        z = lo / math.sqrt(1 / a + 1 / b)
        # signed as compare.keyness signs it: negative when typical of the reference
        rows.append((w, int(a), int(b), g2 if lr > 0 else -g2, lr, lo, z))
    cols = ["term", "count_target", "count_reference", "G2", "log_ratio", "log_odds", "z"]
    return pd.DataFrame(rows, columns=cols).sort_values(["G2", "term"], ascending=[False, True])


def _positions(texts, terms) -> pd.DataFrame:
    """Return dispersion rows (speech_id, term, start, position)."""
    rows = [
        (s, t, m.start(), m.start() / len(text))
        for s, text in texts.items()
        for t in terms
        for m in re.finditer(re.escape(t), text)
    ]
    return pd.DataFrame(rows, columns=["speech_id", "term", "start", "position"])


@pytest.fixture(scope="module")
def tables():
    """Return every contract table the plots draw, built from the seed files."""
    texts = _seed_texts()
    chars = sum(len(t) for t in texts.values())
    counts = _counts(texts)
    freq = _freq(counts, chars)
    scores = _theme_scores(texts)
    vec = counts.pivot(index="speech_id", columns="term", values="count").astype(float)
    unit = vec.div(np.linalg.norm(vec, axis=1), axis=0)
    level = counts.assign(group=counts["speech_id"].str[:3].map(LEVELS))
    rate = level.groupby(["group", "term"])["count"].sum() / counts.groupby("term")["count"].sum()
    comparison = rate.rename("score").reset_index()
    comparison["score"] = comparison["score"] * comparison["group"].nunique() - 1
    return {
        "texts": texts,
        "freq": freq,
        "freq_by": _freq(level, chars, by="group"),
        "disp": _positions(texts, ["作风", "效能", "执行"]),
        "scores": scores,
        "flow": _theme_scores({k: v for k, v in texts.items() if k.startswith("002")}, "paragraph"),
        "keyness": _keyness(texts),
        "similarity": unit @ unit.T,
        "comparison": comparison,
        "profiles": scores.assign(group=scores["speech_id"].str[:3].map(LEVELS))
        .groupby(["group", "theme"], as_index=False)["per_1k"]
        .mean(),
    }


# ---------------------------------------------------------------- helpers


def _glyph_ids(svg: str) -> set:
    """Return the glyph indices that an SVG (svg.fonttype "path") defines as paths."""
    font = re.escape(Path(plots.chinese_font()).stem)
    return {int(h, 16) for h in re.findall(rf'<path id="{font}-([0-9a-f]+)"', svg)}


def _glyph_index(char: str) -> int:
    """Return the CJK font's glyph index for a character (0 would be the tofu box)."""
    from matplotlib.ft2font import FT2Font

    return FT2Font(str(plots.chinese_font())).get_char_index(ord(char))


def _check_export(fig, name, tmp_path, must_show: str):
    """Save fig, check PNG/SVG/JSON exist, the SVG holds the Chinese glyphs, the PNG has ink."""
    paths = plots.save_figure(fig, name, caption=f"测试 {name}", figures_dir=tmp_path)
    assert paths["png"].stat().st_size > 5000 and paths["svg"].exists()
    svg = paths["svg"].read_text(encoding="utf-8")
    assert "<path" in svg and " d=" in svg and "missing" not in svg.lower()
    wanted = {_glyph_index(c) for c in must_show if 0x4E00 <= ord(c) <= 0x9FFF}
    drawn = _glyph_ids(svg)
    assert 0 not in wanted | drawn, f"{name}: a character was drawn as the tofu box"
    assert wanted and wanted <= drawn, f"{name}: glyphs absent for {must_show}"
    grey = np.asarray(Image.open(paths["png"]).convert("L"))
    assert (grey < 128).mean() > 0.002, f"{name}: PNG is blank"
    plt.close(fig)
    return paths


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------- fonts and style


def test_chinese_font_falls_back_to_mplfonts_or_system(monkeypatch):
    monkeypatch.delenv("JIANGHUA_FONT", raising=False)
    path = plots.chinese_font()
    assert path.is_file()
    system = plots._system_cjk_font()
    expected = system or Path(__import__("mplfonts").__file__).parent / "fonts"
    assert path == system if system else path.parent == expected.resolve()
    assert "CJK" in plots.font_family(path) or system is not None


def test_chinese_font_explicit_env_path_and_bad_name(monkeypatch, tmp_path):
    serif = plots._mplfonts_font().with_name("NotoSerifCJKsc-Regular.otf")
    monkeypatch.setenv("JIANGHUA_FONT", str(serif))
    assert plots.chinese_font() == serif.resolve()
    assert plots.chinese_font(plots._mplfonts_font()) == plots._mplfonts_font()
    monkeypatch.setenv("JIANGHUA_FONT", "DejaVu Sans")
    assert plots.chinese_font().name == "DejaVuSans.ttf"
    monkeypatch.setenv("JIANGHUA_FONT", "No Such Font 12345")
    with pytest.raises(ValueError, match="No Such Font 12345"):
        plots.chinese_font()


def test_importing_plots_changes_no_rcparams():
    import subprocess
    import sys

    code = (
        "import matplotlib as mpl; before = dict(mpl.rcParams); "
        "import jianghua.plots, jianghua.gallery; "
        "import jianghua; jianghua.apply_style; "
        "assert dict(mpl.rcParams) == before; print('same')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "same"


def test_apply_style_sets_house_rcparams():
    family = plots.apply_style()
    rc = matplotlib.rcParams
    assert rc["font.sans-serif"][0] == family == plots.font_family(plots.chinese_font())
    assert rc["svg.fonttype"] == "path" and rc["svg.hashsalt"] == "jianghua"
    assert rc["axes.unicode_minus"] is False and rc["axes.spines.top"] is False


def test_explicit_style_font_is_kept_by_plot_functions(tables):
    serif = plots._mplfonts_font().with_name("NotoSerifCJKsc-Regular.otf")
    with matplotlib.rc_context():
        assert plots.apply_style(serif) == "Noto Serif CJK SC"
        ax = plots.plot_top_terms(tables["freq"], n=3)
        ax.figure.canvas.draw()
        assert ax.get_yticklabels()[0].get_fontname() == "Noto Serif CJK SC"


def test_missing_glyph_is_an_error_under_pytest_config():
    fig, ax = plt.subplots()
    ax.set_title("发展", fontfamily="DejaVu Sans")
    # pyproject's filterwarnings turns the warning into an error...
    with pytest.raises(UserWarning, match="missing from font"):
        fig.canvas.draw()
    # ...and the warning itself is what matplotlib emits for a non-CJK font.
    with pytest.warns(UserWarning, match=r"Glyph \d+ .*missing from font"):
        fig.canvas.draw()


def test_short_id():
    assert plots.short_id("003_a5a9ba5a6d09eae4-4") == "003-4"
    assert plots.short_id("speech-a") == "speech-a"
    assert plots.short_ids(["x_abcdef12-1", "x_abcdef34-1"]) == ["x_abcdef12-1", "x_abcdef34-1"]
    assert plots.short_ids(["001_3847ef4609f19094-1", "003_a5a9ba5a6d09eae4-2"]) == [
        "001-1",
        "003-2",
    ]


# ---------------------------------------------------------------- save_figure


def _bars(freq):
    ax = plots.plot_top_terms(freq, n=8)
    return ax.figure


def test_save_figure_writes_all_files_and_sidecar(tables, tmp_path, monkeypatch):
    monkeypatch.setenv("JIANGHUA_NOTEBOOK", str(config.NOTEBOOKS_DIR / "01_frequency.ipynb"))
    fig = _bars(tables["freq"])
    paths = plots.save_figure(fig, "freq-top8-all", data=tables["freq"], caption="高频词前八位",
                              figures_dir=tmp_path)  # fmt: skip
    assert sorted(p.name for p in paths.values()) == [
        "freq-top8-all.csv", "freq-top8-all.json", "freq-top8-all.png", "freq-top8-all.svg",
    ]  # fmt: skip
    meta = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert meta["caption"] == "高频词前八位"
    assert meta["source"] == "notebooks/01_frequency.ipynb"
    table = pd.read_csv(paths["csv"])
    assert table.loc[0, "term"] == "发展" and table.loc[0, "count"] == 372
    assert Image.open(paths["png"]).info.get("dpi", (0,))[0] == pytest.approx(300, abs=1)
    assert "Software" not in Image.open(paths["png"]).info
    assert "<dc:date>" not in paths["svg"].read_text(encoding="utf-8")


def test_save_figure_rejects_bad_names(tables, tmp_path):
    fig = _bars(tables["freq"])
    for bad in ["Fig 3", "freq_top", "fig3", "词频", "", "freq--top", "plot"]:
        with pytest.raises(ValueError, match="figure name"):
            plots.save_figure(fig, bad, figures_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_save_figure_is_byte_identical_across_runs(tables, tmp_path):
    outputs = []
    for run in ("a", "b"):
        fig = _bars(tables["freq"])
        paths = plots.save_figure(fig, "freq-top8-all", figures_dir=tmp_path / run)
        outputs.append((paths["png"].read_bytes(), paths["svg"].read_bytes()))
    assert outputs[0] == outputs[1]


def test_save_figure_drops_stale_csv(tables, tmp_path):
    plots.save_figure(
        _bars(tables["freq"]), "freq-top8-all", data=tables["freq"], figures_dir=tmp_path
    )
    paths = plots.save_figure(_bars(tables["freq"]), "freq-top8-all", figures_dir=tmp_path)
    assert "csv" not in paths and not (tmp_path / "freq-top8-all.csv").exists()


# ---------------------------------------------------------------- word clouds


def _cloud_png(freq, **kwargs) -> bytes:
    ax = plots.plot_wordcloud(freq, **kwargs)
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(ax.figure)
    return buf.getvalue()


def test_wordcloud_is_identical_across_runs_and_draws_chinese(tables, tmp_path):
    freq = tables["freq"]
    assert _cloud_png(freq) == _cloud_png(freq)
    assert _cloud_png(freq) != _cloud_png(freq, random_state=7)
    ax = plots.plot_wordcloud(freq, value="per_10k", mask="circle")
    image = ax.get_images()[0].get_array()
    assert image.shape == (800, 800, 3)
    assert (image[0, 0] == 255).all(), "corner of the circle mask must stay white"
    paths = plots.save_figure(ax.figure, "freq-cloud-all", figures_dir=tmp_path)
    grey = np.asarray(Image.open(paths["png"]).convert("L"))
    assert (grey < 200).mean() > 0.01


def test_wordcloud_uses_generate_from_frequencies_with_one_char_terms(monkeypatch):
    from wordcloud import WordCloud

    seen = {}
    real = WordCloud.generate_from_frequencies

    def spy(self, frequencies, max_font_size=None):
        # wordcloud calls itself again with normalised weights: keep the first call
        seen.setdefault("freq", dict(frequencies))
        seen.setdefault("font", self.font_path)
        return real(self, frequencies, max_font_size)

    monkeypatch.setattr(WordCloud, "generate_from_frequencies", spy)
    monkeypatch.setattr(WordCloud, "generate", lambda *a, **k: pytest.fail("generate() used"))
    freq = pd.DataFrame({"term": ["要", "发展", "干部"], "count": [465, 103, 181]})
    plots.plot_wordcloud(freq)
    assert seen["freq"] == {"要": 465.0, "干部": 181.0, "发展": 103.0} and seen["font"] == str(
        plots.chinese_font()
    )


def test_wordcloud_refuses_grouped_table(tables):
    with pytest.raises(ValueError, match="repeated terms"):
        plots.plot_wordcloud(tables["freq_by"])


def test_comparison_cloud_colours_terms_by_group(tables, tmp_path):
    comp = tables["comparison"]
    ax = plots.plot_comparison_cloud(comp)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == sorted(comp["group"].unique()) == ["区", "县", "地区", "市"]
    _check_export(ax.figure, "compare-cloud-level", tmp_path, "".join(legend))
    weights, owner, _ = plots._comparison_weights(comp)
    # 效能 occurs 43 times in the 地区 speech and only 4 times elsewhere.
    assert owner["效能"] == "地区"
    too_many = pd.DataFrame({"group": list("abcdefghi"), "term": ["发展"] * 9, "score": 1.0})
    with pytest.raises(ValueError, match="9 groups"):
        plots.plot_comparison_cloud(too_many)


# ---------------------------------------------------------------- plot functions


def test_plot_top_terms(tables, tmp_path):
    ax = plots.plot_top_terms(tables["freq"], n=5, value="per_10k")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # counted in the seed files: 发展 372, 干部 293, 经济 151, 群众 149, 服务 136
    assert labels == ["发展", "干部", "经济", "群众", "服务"]
    _check_export(ax.figure, "freq-top5-all", tmp_path, "".join(labels))


def test_plot_top_terms_by_facets(tables, tmp_path):
    axes = plots.plot_top_terms_by(tables["freq_by"], by="group", n=4, value="per_10k")
    assert [a.get_title() for a in axes] == ["区", "县", "地区", "市"]
    assert [t.get_text() for t in axes[2].get_yticklabels()][:2] == ["发展", "干部"]
    assert len({a.get_xlim() for a in axes}) == 1  # rates share one scale
    _check_export(axes[0].figure, "freq-top4-by-level", tmp_path, "区县地区市发展")


def test_plot_dispersion(tables, tmp_path):
    ax = plots.plot_dispersion(tables["disp"])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "000-1 · 作风" and "004-1 · 效能" in labels
    n_ticks = sum(len(c.get_offsets()) for c in ax.collections)
    assert n_ticks == len(tables["disp"])
    _check_export(ax.figure, "dispersion-style-terms", tmp_path, "作风效能执行位置")


def test_plot_formulations(tables, tmp_path):
    rows = []
    for sid, text in tables["texts"].items():
        for f, c in Counter(re.findall(r"“([^”]{2,10})”", text)).items():
            kind = "numbered" if f[0] in "一二三四五六七八九十两" else "quoted"
            rows.append((sid, f, kind, c))
    form = pd.DataFrame(rows, columns=["speech_id", "formulation", "kind", "count"])
    ax = plots.plot_formulations(form, n=10)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "提升执政效能攻坚工程" or labels[0] == "三服务"
    _check_export(ax.figure, "formulations-top10", tmp_path, labels[0])


def test_plot_collocations(tables, tmp_path):
    text = "".join(tables["texts"].values())
    pairs = [
        ("机关", "作风"),
        ("执政", "效能"),
        ("经济", "发展"),
        ("服务", "企业"),
        ("干部", "群众"),
    ]
    rows = []
    for w1, w2 in pairs:
        n = text.count(w1 + w2)
        g2 = 2 * n * math.log(n * len(text) / (text.count(w1) * text.count(w2)))
        rows.append(
            (w1, w2, w1 + w2, n, g2, math.log2(n * len(text) / text.count(w1) / text.count(w2)))
        )
    coll = pd.DataFrame(rows, columns=["w1", "w2", "collocation", "count", "G2", "pmi"])
    ax = plots.plot_collocations(coll, n=5)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == coll.sort_values("G2").iloc[-1]["collocation"]
    _check_export(ax.figure, "collocations-top5", tmp_path, "".join(labels))


def test_plot_theme_heatmap_and_shares(tables, tmp_path):
    scores = tables["scores"]
    ax = plots.plot_theme_heatmap(scores)
    assert [t.get_text() for t in ax.get_yticklabels()] == sorted(THEMES)
    assert ax.get_xticklabels()[0].get_text() == "000-1"
    values = ax.get_images()[0].get_array()
    ref = scores.set_index(["theme", "speech_id"]).loc[
        ("作风建设", "004_50195de51b0d9e2d-1"), "per_1k"
    ]
    col = [t.get_text() for t in ax.get_xticklabels()].index("004-1")
    assert values[sorted(THEMES).index("作风建设"), col] == pytest.approx(ref)
    _check_export(ax.figure, "themes-heatmap-speech", tmp_path, "".join(THEMES))
    ax = plots.plot_theme_shares(scores)
    widths = np.array([p.get_width() for p in ax.patches]).reshape(len(THEMES), -1)
    assert widths.sum(axis=0) == pytest.approx(1.0)
    _check_export(ax.figure, "themes-shares-speech", tmp_path, "".join(THEMES))


def test_plot_theme_flow(tables, tmp_path):
    flow = tables["flow"]
    ax = plots.plot_theme_flow(flow, smooth=3)
    assert len(ax.get_lines()) == len(THEMES)
    assert len(ax.get_lines()[0].get_xdata()) == flow["unit_index"].nunique()
    _check_export(ax.figure, "themes-flow-002-1", tmp_path, "".join(THEMES) + "段落")
    with pytest.raises(ValueError, match="pass speech_id"):
        plots.plot_theme_flow(tables["scores"])
    # ten themes: the 9th and 10th share colours with the 1st and 2nd but not the line style
    many = pd.concat([flow.assign(theme=flow.theme + str(k)) for k in range(3)])
    themes = sorted(many.theme.unique())[:10]
    lines = plots.plot_theme_flow(many, themes=themes).get_lines()
    assert len(lines) == 10 and lines[8].get_color() == lines[0].get_color()
    assert lines[8].get_linestyle() != lines[0].get_linestyle()


def test_plot_topic_terms_and_heatmap(tables, tmp_path):
    freq = tables["freq"].set_index("term")["count"]
    rows = [
        (i, r, w, float(freq.get(w, 0)))
        for i, ws in enumerate(THEMES.values())
        for r, w in enumerate(ws)
    ]
    terms = pd.DataFrame(rows, columns=["topic", "rank", "term", "weight"])
    axes = plots.plot_topic_terms(terms, n=4)
    assert [a.get_title() for a in axes] == ["主题 0", "主题 1", "主题 2", "主题 3"]
    _check_export(axes[0].figure, "topics-terms-k4", tmp_path, "主题发展作风")
    scores = tables["scores"]
    shares = scores.assign(topic=scores["theme"].map({t: i for i, t in enumerate(THEMES)}))
    shares["share"] = shares["hits"] / shares.groupby("speech_id")["hits"].transform("sum")
    ax = plots.plot_topic_heatmap(shares[["speech_id", "topic", "share"]], terms=terms)
    assert ax.get_yticklabels()[0].get_text() == "0: 发展 经济 项目"
    _check_export(ax.figure, "topics-shares-k4", tmp_path, "发展经济项目")


def test_plot_directives(tables, tmp_path):
    rows = [
        (s, d, t.count(d), 1000 * t.count(d) / len(t))
        for s, t in tables["texts"].items()
        for d in DIRECTIVES
    ]
    density = pd.DataFrame(rows, columns=["speech_id", "directive", "count", "per_1k_chars"])
    ax = plots.plot_directives(density)
    assert [t.get_text() for t in ax.get_yticklabels()] == sorted(DIRECTIVES)
    _check_export(ax.figure, "directives-speech", tmp_path, "".join(DIRECTIVES))


def test_plot_enumerations(tables, tmp_path):
    rows = []
    patterns = {"一是": r"([一二三四五六七八九十])是", "一、": r"(?m)^([一二三四五六七八九十])、"}
    for sid, text in tables["texts"].items():
        for style, pat in patterns.items():
            for j, m in enumerate(re.finditer(pat, text)):
                rows.append(
                    (
                        sid,
                        f"{sid}:{style}",
                        style,
                        j + 1,
                        m.group(1),
                        text[m.end() : m.end() + 10],
                        m.start(),
                    )
                )
    enums = pd.DataFrame(
        rows, columns=["speech_id", "enum_id", "style", "item", "label", "text", "start"]
    )
    ax = plots.plot_enumerations(enums)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["一、", "一是"]
    _check_export(ax.figure, "enumerations-speech", tmp_path, "一是列举")


def test_plot_keyness_diverges(tables, tmp_path):
    k = tables["keyness"]
    ax = plots.plot_keyness(k, n=5, target="003 市", reference="其他")
    widths = [p.get_width() for p in ax.patches]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert widths[0] > 0 > widths[-1]
    top_target = k[k.log_ratio > 0].sort_values("G2").iloc[-1]["term"]
    top_reference = k[k.log_ratio < 0].sort_values("G2").iloc[0]["term"]
    assert labels[0] == top_target
    assert labels[-1] == top_reference
    assert widths[-1] == -abs(k.set_index("term").at[top_reference, "G2"])
    _check_export(ax.figure, "keyness-003-vs-rest", tmp_path, "".join(labels) + "市其他")


def test_plot_fightin_words_labels_do_not_overlap(tables, tmp_path):
    ax = plots.plot_fightin_words(tables["keyness"], n_labels=12)
    texts = [t for t in ax.texts if t.get_text()]
    assert len(texts) == 12
    fig = ax.figure
    fig.canvas.draw()
    boxes = [t.get_window_extent().padded(-1) for t in texts]
    overlaps = sum(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert overlaps == 0
    _check_export(fig, "keyness-fightin-003", tmp_path, "".join(t.get_text() for t in texts))


def test_plot_similarity_with_dendrogram(tables, tmp_path):
    sim = tables["similarity"]
    ax = plots.plot_similarity(sim)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert sorted(labels) == sorted(plots.short_ids(sim.index))
    assert ax.dendrogram_axes.figure is ax.figure and len(ax.dendrogram_axes.collections) > 0
    values = np.asarray(ax.get_images()[0].get_array())
    assert list(np.diag(values)) == pytest.approx([1.0] * len(sim))
    # leaves of the dendrogram sit over the heatmap columns: clustered order, not input order
    assert labels == plots.short_ids(cluster_order(sim).order)
    _check_export(ax.figure, "similarity-speech", tmp_path, "余弦相似度文本")


def test_plot_reuse_heatmap(tables, tmp_path):
    texts = tables["texts"]
    grams = {s: {t[i : i + 8] for i in range(len(t) - 8)} for s, t in texts.items()}
    ids = sorted(texts)
    rows = []
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            shared = len(grams[a] & grams[b])
            rows.append((a, b, shared, shared / len(grams[a]), shared / len(grams[b])))
    pairs = pd.DataFrame(rows, columns=["speech_a", "speech_b", "shared_chars", "pct_a", "pct_b"])
    ax = plots.plot_reuse_heatmap(pairs)
    assert [t.get_text() for t in ax.get_yticklabels()] == plots.short_ids(ids)
    values = np.asarray(ax.get_images()[0].get_array())
    best = pairs.sort_values("pct_a").iloc[-1]
    row, col = ids.index(best.speech_a), ids.index(best.speech_b)
    assert values[row, col] == pytest.approx(100 * best.pct_a) and best.pct_a > 0
    with pytest.raises(ValueError, match="fractions"):
        plots.plot_reuse_heatmap(pairs.assign(pct_a=pairs.pct_a * 100 + 2))
    _check_export(ax.figure, "reuse-speech", tmp_path, "文本复用比例")


def test_plot_theme_profiles(tables, tmp_path):
    ax = plots.plot_theme_profiles(tables["profiles"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["区", "县", "地区", "市"]
    assert len(ax.collections) == 4
    _check_export(ax.figure, "themes-profiles-level", tmp_path, "".join(THEMES) + "区县市")


def test_every_public_plot_function_is_tested():
    names = {n for n in dir(plots) if n.startswith("plot_")}
    source = Path(__file__).read_text(encoding="utf-8")
    untested = sorted(n for n in names if f"plots.{n}(" not in source)
    assert untested == []


def test_no_glyph_warning_when_drawing_every_label(tables):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plots.plot_top_terms(tables["freq"], n=11)
        ax.figure.canvas.draw()


def test_slug_makes_content_like_name_parts():
    assert plots.slug("003_a5a9ba5a6d09eae4-4") == "003-4"
    assert plots.slug("发展") == "fazhan"
    assert plots.slug("作风建设 2010") == "zuofengjianshe-2010"
    assert plots.slug("市") == "shi"
    name = f"keyness-level-{plots.slug('地区')}"
    plots._validate_name(name)
    assert name == "keyness-level-diqu"
    with pytest.raises(ValueError, match="cannot make"):
        plots.slug("——")


def test_close_frees_the_figure(tables, tmp_path):
    axes = plots.plot_top_terms_by(tables["freq_by"], by="group", n=3)
    fig = axes[0].figure
    # the array a faceted plot returns is accepted where a figure is expected
    assert plots.save_figure(axes, "freq-top3-by-level", figures_dir=tmp_path)["png"].is_file()
    assert plt.fignum_exists(fig.number)
    plots.close(axes)
    assert not plt.fignum_exists(fig.number)


def test_plot_corpus_overview(tables, tmp_path):
    texts = tables["texts"]
    speeches = pd.DataFrame(
        {
            "speech_id": list(texts),
            "title": [t.strip().split("\n")[0][:20] for t in texts.values()],
            "n_chars": [len(t) for t in texts.values()],
            "duplicate_of": pd.NA,
        }
    )
    speeches.loc[len(speeches)] = [
        "005_0123456789abcdef-1",
        pd.NA,
        7041,
        speeches.speech_id.iloc[-1],
    ]
    removed = pd.DataFrame({"source": ["000.txt"] * 3, "kind": "breadcrumb", "text": "当前位置"})
    ax = plots.plot_corpus_overview(speeches, removed)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "005-1" and labels[0].startswith("000-1 当前位置")
    assert [p.get_width() for p in ax.patches] == speeches["n_chars"].tolist()
    assert "重复 (duplicate of 004-1)" in ax.texts[-1].get_text()
    assert "10 篇讲话，清理 3 处" in ax.get_title()
    _check_export(ax.figure, "corpus-overview", tmp_path, "语料概览篇讲话重复")


# ---------------------------------------------------------------- many speeches


@pytest.fixture(scope="module")
def many(tables):
    """Return the seed speeches cut into runs of 6 paragraphs: more than MAX_SPEECHES."""
    texts = {}
    for sid, text in tables["texts"].items():
        paras = [p for p in text.split("\n") if p.strip()]
        for i in range(0, len(paras), 6):
            texts[f"{plots.short_id(sid)}_{i // 6:02d}"] = "\n".join(paras[i : i + 6])
    assert len(texts) > plots.MAX_SPEECHES
    return texts


def _fits(fig) -> bool:
    width, height = fig.get_size_inches()
    return width <= plots.MAX_FIGURE[0] and height <= plots.MAX_FIGURE[1]


def test_many_speeches_heatmaps_keep_those_with_most_hits(many):
    scores = _theme_scores(many)
    hits = scores.groupby("speech_id", sort=False)["hits"].sum()
    expected = sorted(hits.sort_values(ascending=False, kind="mergesort").index[:40])
    ax = plots.plot_theme_heatmap(scores)
    shown = [t.get_text() for t in ax.get_xticklabels()]
    assert sorted(shown) == expected
    assert f"40/{len(many)}" in ax.get_title() and _fits(ax.figure)
    ax = plots.plot_theme_shares(scores, max_speeches=5)
    assert len(ax.get_yticklabels()) == 5 and "5/" in ax.get_title()
    ax = plots.plot_theme_heatmap(_theme_scores(dict(list(many.items())[:30])))
    assert len(ax.get_xticklabels()) == 30 and "/" not in ax.get_title()


def test_many_speeches_dispersion_keeps_those_with_most_hits(many):
    disp = _positions(many, ["要", "工作"])
    assert disp.speech_id.nunique() > plots.MAX_SPEECHES
    ax = plots.plot_dispersion(disp)
    speeches = {t.get_text().split(" · ")[0] for t in ax.get_yticklabels()}
    top = disp.speech_id.value_counts(sort=False).sort_values(ascending=False, kind="mergesort")
    assert speeches == set(top.index[:40]) and _fits(ax.figure)
    assert "speeches with the most hits" in ax.get_title()


def test_many_speeches_overview_is_a_length_histogram(many):
    ids = list(many)
    speeches = pd.DataFrame(
        {
            "speech_id": ids,
            "n_chars": [len(t) for t in many.values()],
            "duplicate_of": [ids[0] if i % 10 == 9 else pd.NA for i in range(len(ids))],
        }
    )
    ax = plots.plot_corpus_overview(speeches)
    heights = [p.get_height() for p in ax.patches]
    assert sum(heights) == len(ids) and ax.get_xscale() == "log"
    assert f"{len(ids)} 篇讲话" in ax.get_title() and _fits(ax.figure)
    assert [t.get_text() for t in ax.get_legend().get_texts()][1] == "重复 (duplicates)"


def test_many_speeches_similarity_and_reuse_stay_readable(many):
    ids = sorted(many)
    vec = pd.DataFrame([[t.count(w) for w in TERMS] for t in map(many.get, ids)], index=ids)
    unit = vec.div(np.linalg.norm(vec, axis=1).clip(1e-9), axis=0)
    big = pd.concat([unit, unit.set_axis([f"{i}b" for i in ids])])  # 144 speeches
    ax = plots.plot_similarity(big @ big.T)
    assert ax.get_xticklabels() == [] and _fits(ax.figure)
    assert "labels left off" in ax.dendrogram_axes.get_title()
    rows = [(a, b, 0.1 + 0.01 * i, 0.5, 0.2) for i, (a, b) in enumerate(pairwise(ids))]
    pairs = pd.DataFrame(rows, columns=["speech_a", "speech_b", "shared_chars", "pct_a", "pct_b"])
    ax = plots.plot_reuse_heatmap(pairs)
    assert len(ax.get_yticklabels()) == 40 and f"40/{len(ids)}" in ax.get_title()


def test_many_speeches_facets_stop_at_max_panels(many):
    counts = _counts(many)
    freq = _freq(counts, sum(map(len, many.values())), by="speech_id")
    axes = plots.plot_top_terms_by(freq, by="speech_id", n=3)
    assert len(axes) == plots.MAX_SPEECHES and _fits(axes[0].figure)
    assert axes[0].get_title() == sorted(many)[0]
    assert f"the first 40 of {len(many)} (speech_id)" in axes[0].figure.get_suptitle()
    assert len(plots.plot_top_terms_by(freq, by="speech_id", n=3, max_panels=4)) == 4
