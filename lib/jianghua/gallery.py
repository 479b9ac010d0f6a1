"""The figure gallery: figures/index.html from the save_figure sidecars, and a browser check.

`write_gallery()` lists every figure that has a <name>.json sidecar, grouped by the notebook
that saved it (notebook order, then the order of the save_figure calls in the notebook). The
page carries a small subset of the CJK font beside it, so Chinese captions render on machines
without a CJK font installed. `screenshot_gallery()` and `check_gallery()` open the page in
headless Chromium.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from jianghua import config

INDEX = "index.html"
SCREENSHOT = "gallery-screenshot.png"
FONT_STEM = "gallery-font"
FONT_FAMILY = "jianghua-cjk"
FONT_STACK = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
    f'"Microsoft YaHei", "WenQuanYi Micro Hei", "{FONT_FAMILY}", sans-serif'
)
NO_SOURCE = "未标注来源 (no source notebook)"
FILE_KINDS = ("png", "svg", "csv")

# ---------------------------------------------------------------- reading the sidecars


def figure_records(figures_dir=None) -> pd.DataFrame:
    """Return name, caption, source, png, svg, csv (file names or "") for each sidecar."""
    folder = config.figures_dir(figures_dir)
    rows = []
    for sidecar in sorted(folder.glob("*.json")):
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or "files" not in meta:
            continue  # other JSON files (not written by save_figure) are not figures
        row = {
            "name": meta.get("name") or sidecar.stem,
            "caption": meta.get("caption") or "",
            "source": meta.get("source") or "",
        }
        for kind in FILE_KINDS:
            file = meta["files"].get(kind, "")
            if file and not (folder / file).is_file():
                warnings.warn(f"figure {row['name']}: {file} is listed but missing", stacklevel=2)
                file = ""
            row[kind] = file
        rows.append(row)
    return pd.DataFrame(rows, columns=["name", "caption", "source", *FILE_KINDS])


def _notebook_file(source: str) -> Path | None:
    """Return the .ipynb a sidecar's source names (a stem or a path), if it exists."""
    if not source:
        return None
    path = Path(source)
    candidates = [path, config.PROJ_ROOT / path, config.NOTEBOOKS_DIR / path.name]
    candidates += [c.with_suffix(".ipynb") for c in candidates]
    return next((c for c in candidates if c.suffix == ".ipynb" and c.is_file()), None)


def _notebook_cells(path: Path | None) -> list[dict]:
    """Return the cells of a notebook file, or [] without one."""
    if path is None:
        return []
    return json.loads(path.read_text(encoding="utf-8")).get("cells", [])


def _name_patterns(cells) -> list[re.Pattern]:
    """Return, in notebook order, a pattern per save_figure call for the names it writes."""
    call = re.compile(r"save_figure\(\s*[^,]+,\s*(f?)(\"|')(.*?)\2(\s*\+)?")
    patterns = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        for is_f, _, literal, concat in call.findall("".join(cell.get("source", ""))):
            # f-string fields and "+ ..." tails stand for any text in the saved name.
            parts = re.split(r"\{[^}]*\}", literal) if is_f else [literal]
            body = ".+".join(re.escape(p) for p in parts) + (".+" if concat else "")
            patterns.append(re.compile(f"^{body}$"))
    return patterns


def _notebook_title(cells, fallback: str) -> str:
    """Return the first markdown heading of a notebook, or the fallback."""
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            match = re.search(r"^#+\s*(.+)$", "".join(cell.get("source", "")), re.M)
            if match:
                return match.group(1).strip()
    return fallback


def _ordered_groups(records: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    """Return (source, title, figures) per notebook in notebook order, figures in call order."""
    groups = []
    sources = sorted(set(records["source"]), key=lambda s: (s == "", Path(s).stem, s))
    for source in sources:
        cells = _notebook_cells(_notebook_file(source))
        patterns = _name_patterns(cells)
        figs = records[records["source"] == source].copy()
        figs["order"] = [
            next((i for i, p in enumerate(patterns) if p.match(n)), len(patterns))
            for n in figs["name"]
        ]
        figs = figs.sort_values(["order", "name"], kind="mergesort")
        title = _notebook_title(cells, Path(source).stem) if source else NO_SOURCE
        groups.append((source, title, figs))
    return groups


# ---------------------------------------------------------------- writing the page


def _figure_html(fig) -> str:
    """Return the <figure> block of one figure row."""
    esc = html.escape
    caption = esc(fig.caption or fig.name)
    links = " · ".join(
        f'<a href="{esc(getattr(fig, k))}">{k.upper()}</a>' for k in FILE_KINDS if getattr(fig, k)
    )
    image = (
        f'<a href="{esc(fig.png)}"><img src="{esc(fig.png)}" alt="{caption}"></a>'
        if fig.png
        else '<p class="missing">PNG 缺失 (missing)</p>'
    )
    return (
        f'<figure id="{esc(fig.name)}">{image}\n'
        f"<figcaption>{caption}<br><code>{esc(fig.name)}</code> {links}</figcaption></figure>"
    )


STYLE = """
@font-face { font-family: "%(family)s"; src: url("%(font)s"); }
body { font-family: %(stack)s; margin: 2rem auto; max-width: 1400px; padding: 0 1rem;
       color: #222; background: #fff; line-height: 1.5; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; border-bottom: 1px solid #ddd; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 1.5rem; }
figure { margin: 0; padding: .75rem; border: 1px solid #eee; border-radius: 6px; }
figure img { width: 100%%; height: auto; display: block; }
figcaption { font-size: .95rem; margin-top: .5rem; }
code { font-size: .8rem; color: #555; }
nav a { margin-right: 1rem; }
"""


def _page(groups, font_file: str) -> str:
    """Return the whole gallery page as HTML text."""
    esc = html.escape
    total = sum(len(f) for _, _, f in groups)
    nav = "".join(
        f'<a href="#nb-{i}">{esc(title)} ({len(figs)})</a>'
        for i, (_, title, figs) in enumerate(groups)
    )
    sections = []
    for i, (source, title, figs) in enumerate(groups):
        blocks = "\n".join(_figure_html(f) for f in figs.itertuples())
        origin = f" <code>{esc(source)}</code>" if source else ""
        sections.append(
            f'<section id="nb-{i}"><h2>{esc(title)}{origin}</h2>\n<div class="grid">\n'
            f"{blocks}\n</div></section>"
        )
    style = STYLE % {"family": FONT_FAMILY, "font": font_file, "stack": FONT_STACK}
    body = (
        "\n".join(sections) or "<p>还没有图表 (no figures yet): run <code>make figures</code>.</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>讲话研究图表 jianghua figures</title>\n<style>{style}</style>\n</head>\n<body>\n"
        f"<h1>讲话研究图表 (jianghua figures): {total}</h1>\n<nav>{nav}</nav>\n{body}\n"
        "</body>\n</html>\n"
    )


def _write_font_subset(text: str, folder: Path) -> str:
    """Return the file name of a subset of the CJK font covering `text`, written into folder."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from jianghua.plots import chinese_font

    path = chinese_font()
    number = 0 if path.suffix.lower() == ".ttc" else -1
    # recalcTimestamp=False keeps the file byte-identical between runs.
    font = TTFont(str(path), fontNumber=number, recalcTimestamp=False)
    subsetter = subset.Subsetter(subset.Options())
    subsetter.populate(text="".join(sorted(set(text))))
    subsetter.subset(font)
    name = FONT_STEM + (".otf" if "CFF " in font else ".ttf")
    for old in folder.glob(FONT_STEM + ".*"):
        old.unlink()
    font.save(str(folder / name))
    return name


def write_gallery(figures_dir=None) -> Path:
    """Return the path of figures/index.html, written from every figure's sidecar."""
    folder = config.figures_dir(figures_dir)
    folder.mkdir(parents=True, exist_ok=True)
    groups = _ordered_groups(figure_records(folder))
    draft = _page(groups, FONT_STEM)
    page = _page(groups, _write_font_subset(re.sub(r"<[^>]+>", "", draft), folder))
    index = folder / INDEX
    index.write_text(page, encoding="utf-8")
    return index


# ---------------------------------------------------------------- headless Chromium


def find_chromium() -> str | None:
    """Return the path of a Chromium/Chrome executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _chromium(url: str, *args: str, timeout=120) -> subprocess.CompletedProcess:
    """Return the finished headless Chromium run on url (a throwaway profile each time)."""
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError("Chromium is not installed (scripts/install-browser.sh adds it)")
    with tempfile.TemporaryDirectory(prefix="jianghua-chromium-") as profile:
        command = [
            browser, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--no-first-run", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
            *args, url,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"Chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return done


def screenshot_gallery(figures_dir=None, out=None, width=1280, height=2400) -> Path:
    """Return the path of a PNG screenshot of the gallery (default: figures dir)."""
    folder = config.figures_dir(figures_dir)
    index = folder / INDEX
    if not index.is_file():
        raise FileNotFoundError(f"{index} does not exist: run write_gallery() first")
    out = Path(out) if out else folder / SCREENSHOT
    _chromium(
        index.resolve().as_uri(),
        f"--screenshot={out.resolve()}",
        f"--window-size={width},{height}",
        "--virtual-time-budget=10000",
    )
    if not out.is_file():
        raise RuntimeError(f"Chromium ran but wrote no screenshot at {out}")
    return out


CHECK_SCRIPT = """<script>
window.addEventListener("load", async () => {
  await document.fonts.ready;
  const imgs = [...document.images];
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  const fonts = [...document.fonts].filter(f => f.status === "loaded").map(f => f.family);
  const out = document.createElement("pre");
  out.id = "jianghua-check";
  out.textContent = JSON.stringify({images: imgs.length, loaded: ok,
    broken: imgs.filter(i => !(i.naturalWidth > 0)).map(i => i.getAttribute("src")),
    fonts: fonts, text: document.body.innerText.length});
  document.body.appendChild(out);
});
</script>"""


def check_gallery(figures_dir=None) -> dict:
    """Return what Chromium saw: images, loaded, broken (srcs), fonts loaded, text length."""
    folder = config.figures_dir(figures_dir)
    page = (folder / INDEX).read_text(encoding="utf-8")
    # A sibling copy, so the page's relative links resolve exactly as in index.html.
    probe = folder / ".gallery-check.html"
    probe.write_text(page.replace("</body>", CHECK_SCRIPT + "\n</body>"), encoding="utf-8")
    try:
        run = _chromium(probe.resolve().as_uri(), "--dump-dom", "--virtual-time-budget=10000")
    finally:
        probe.unlink()
    match = re.search(r'<pre id="jianghua-check">(.*?)</pre>', run.stdout, re.S)
    if match is None:
        raise RuntimeError("the gallery check script did not report (page failed to load?)")
    return json.loads(html.unescape(match.group(1)))
