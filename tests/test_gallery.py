"""Gallery: index.html from the sidecars, notebook order, determinism, and a real browser."""

import re
import subprocess

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
from fontTools.ttLib import TTFont
from jianghua import gallery, plots
from PIL import Image

matplotlib.use("Agg")

# Counts of these terms in the seed files (plain substring counts, see test_plots.py).
FREQ = pd.DataFrame(
    {
        "term": ["发展", "干部", "经济", "群众", "服务", "落实", "项目", "企业", "作风", "执行"],
        "count": [372, 293, 151, 149, 136, 123, 117, 110, 98, 75],
    }
)
CAPTIONS = {
    "words-top10-all": "高频词前十位 (top 10 terms)",
    "cloud-fazhan": "词云：发展",
    "cloud-ganbu": "词云：干部",
    "dispersion-zuofeng-zhixing": "词语分布：作风、执行",
    "keyness-shi": "关键词：市 vs 其他",
}


def _notebook(path, title, calls):
    """Write a small notebook whose code cells hold the given save_figure calls."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\n说明。")]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in calls]
    nbformat.write(nb, path)
    return path


def _save(name, ax, folder, data=None):
    plots.save_figure(ax.figure, name, data=data, caption=CAPTIONS[name], figures_dir=folder)
    plt.close(ax.figure)


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    """Return a figures folder written by two fixture notebooks (saved out of call order)."""
    root = tmp_path_factory.mktemp("gallery")
    folder = root / "figures"
    words = _notebook(
        root / "01_words.ipynb",
        "词频 (word frequency)",
        [
            'plots.save_figure(ax.figure, "words-top10-all", data=freq)',
            'for t in terms:\n    plots.save_figure(ax.figure, f"cloud-{plots.slug(t)}")',
            'plots.save_figure(ax.figure, "dispersion-" + "-".join(terms), data=disp)',
        ],
    )
    compare = _notebook(
        root / "03_compare.ipynb",
        "比较 (comparison)",
        ['plots.save_figure(ax.figure, f"keyness-{plots.slug(target)}")'],
    )
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("JIANGHUA_NOTEBOOK", str(compare))
        keyness = FREQ.assign(
            count_target=FREQ["count"] // 2, count_reference=FREQ["count"] - FREQ["count"] // 2
        )
        keyness["G2"] = np.linspace(9, -9, len(FREQ)) ** 2
        keyness["log_ratio"] = np.linspace(1, -1, len(FREQ))
        _save(
            "keyness-shi", plots.plot_keyness(keyness, n=4, target="市", reference="其他"), folder
        )
        mp.setenv("JIANGHUA_NOTEBOOK", str(words))
        disp = pd.DataFrame(
            {"speech_id": "004_50195de51b0d9e2d-1", "term": ["作风", "作风", "执行"],
             "start": [10, 500, 4830], "position": [0.0014, 0.071, 0.686]}
        )  # fmt: skip
        _save("dispersion-zuofeng-zhixing", plots.plot_dispersion(disp), folder, data=disp)
        for term in ["干部", "发展"]:
            table = FREQ[FREQ.term != term]
            _save(f"cloud-{plots.slug(term)}", plots.plot_wordcloud(table, n=9), folder)
        _save("words-top10-all", plots.plot_top_terms(FREQ, n=10), folder, data=FREQ)
    finally:
        mp.undo()
    (folder / "notes.json").write_text('{"not": "a figure"}', encoding="utf-8")
    gallery.write_gallery(folder)
    return folder


def _html(folder):
    return (folder / "index.html").read_text(encoding="utf-8")


def test_gallery_groups_by_notebook_in_call_order(figures):
    page = _html(figures)
    assert re.findall(r"<h2>([^<]+)", page) == ["词频 (word frequency) ", "比较 (comparison) "]
    order = re.findall(r'<figure id="([^"]+)"', page)
    assert order == [
        "words-top10-all",
        "cloud-fazhan",
        "cloud-ganbu",
        "dispersion-zuofeng-zhixing",
        "keyness-shi",
    ]
    for caption in CAPTIONS.values():
        assert caption in page
    assert '<meta charset="utf-8">' in page and '"Noto Sans CJK SC"' in page
    assert "notes" not in order


def test_gallery_links_point_at_existing_files(figures):
    page = _html(figures)
    links = re.findall(r'(?:href|src)="([^"#]+)"', page)
    assert {link.rsplit(".", 1)[1] for link in links} == {"png", "svg", "csv"}
    assert all((figures / link).is_file() for link in links)
    assert page.count('.csv"') == 2  # only the two figures saved with data
    assert re.search(r'url\("(gallery-font\.otf)"\)', page)


def test_gallery_font_subset_covers_every_character(figures):
    font = TTFont(str(figures / "gallery-font.otf"))
    cmap = font.getBestCmap()
    text = re.sub(r"<[^>]+>", "", _html(figures).split("</style>")[1])
    missing = sorted({c for c in text if not c.isspace() and ord(c) not in cmap})
    assert missing == []
    assert (figures / "gallery-font.otf").stat().st_size < 200_000


def test_gallery_is_deterministic(figures, tmp_path):
    before = {p.name: p.read_bytes() for p in figures.glob("*") if p.suffix in (".html", ".otf")}
    gallery.write_gallery(figures)
    after = {p.name: p.read_bytes() for p in figures.glob("*") if p.suffix in (".html", ".otf")}
    assert before == after and set(before) == {"index.html", "gallery-font.otf"}


def test_gallery_warns_about_a_missing_png(figures, tmp_path):
    for p in figures.glob("words-top10-all.*"):
        (tmp_path / p.name).write_bytes(p.read_bytes())
    (tmp_path / "words-top10-all.png").unlink()
    with pytest.warns(UserWarning, match="words-top10-all.png is listed but missing"):
        index = gallery.write_gallery(tmp_path)
    assert "PNG 缺失" in index.read_text(encoding="utf-8")


def test_empty_gallery_says_how_to_make_figures(tmp_path):
    index = gallery.write_gallery(tmp_path)
    assert "make figures" in index.read_text(encoding="utf-8")


def _cjk_font_on_system() -> bool:
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(out.stdout.strip())


@pytest.fixture(scope="module")
def browser():
    path = gallery.find_chromium()
    if path is None:
        pytest.skip("Chromium is not installed: run scripts/install-browser.sh (make setup)")
    return path


def test_gallery_in_headless_chromium(figures, browser):
    seen = gallery.check_gallery(figures)
    assert seen["images"] == len(CAPTIONS) and seen["loaded"] == len(CAPTIONS), seen["broken"]
    # Without a system CJK font, the Chinese can only have come from the shipped subset.
    assert gallery.FONT_FAMILY in seen["fonts"] or _cjk_font_on_system()
    assert not (figures / ".gallery-check.html").exists()


def test_gallery_screenshot_shows_the_page(figures, browser):
    shot = gallery.screenshot_gallery(figures, width=1280, height=1600)
    assert shot == figures / "gallery-screenshot.png"
    image = np.asarray(Image.open(shot).convert("L"))
    assert image.shape == (1600, 1280)
    # the heading row holds dark text on white; the figures add large inked areas
    assert (image[:120] < 100).mean() > 0.005
    assert (image < 200).mean() > 0.02
    assert "gallery-screenshot" not in _html(figures)  # no sidecar, so never a gallery figure
