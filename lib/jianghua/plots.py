"""Figures: house style, the Chinese font, save_figure, word clouds and one plot per table.

Every plot function takes one of the tidy tables fixed by the contract, draws on `ax` (or a
new figure) and returns the Axes (faceted plots return the array of Axes). Nothing here
changes matplotlib's state on import: call `apply_style()` first (plot functions call it for
you when it has not been applied yet).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from jianghua import config
from jianghua.steps import NotEnoughData

# Preferred installed CJK families, best first; the first one found on the system wins.
SYSTEM_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
)
# Okabe-Ito colours: distinguishable for colour-blind readers and in greyscale print.
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#7F7F7F",
    "#000000",
)
SVG_HASHSALT = "jianghua"
NAME_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Names that say nothing about the content ("fig3", "plot-1") are refused on purpose.
GENERIC_NAME = re.compile(r"^(?:fig|figure|plot|image|img|chart|untitled|test)-?\d*$")
MAX_GROUPS = 8
# A chart with one row or column per speech stays readable up to about this many speeches;
# beyond it the chart draws the speeches that matter most for it and says so in its title.
MAX_SPEECHES = 40
# Beyond this many rows a heatmap's labels overlap: they are left off (the CSV has them).
MAX_LABELS = 80
# No figure grows past this (inches): at 300 dpi a 357-speech chart was 50,000 pixels tall.
MAX_FIGURE = (16.0, 40.0)
# A group profiled from fewer tokens than this (a 200-character speech has ~100) rests on a
# handful of hits: its dots are drawn hollow and its legend entry gives the token count.
MIN_PROFILE_TOKENS = 1000


def _colour(i: int) -> str:
    """Return the palette colour of category i (the palette repeats after 8)."""
    return PALETTE[i % len(PALETTE)]


def _line_style(i: int) -> str:
    """Return a line style telling apart categories that share a colour (9th and later)."""
    return ("-", "--", ":", "-.")[(i // len(PALETTE)) % 4]


def _hatch(i: int) -> str | None:
    """Return a bar hatch telling apart categories that share a colour (9th and later)."""
    return (None, "//", "..", "xx")[(i // len(PALETTE)) % 4]


# ---------------------------------------------------------------- fonts and style


def chinese_font(font: str | os.PathLike | None = None) -> Path:
    """Return the path of the CJK font file: argument/JIANGHUA_FONT, else system, else mplfonts."""
    spec = font or os.environ.get("JIANGHUA_FONT")
    if spec:
        return _explicit_font(str(spec))
    return _system_cjk_font() or _mplfonts_font()


def _explicit_font(spec: str) -> Path:
    """Return the font file named by a path or a family name, or raise naming the setting."""
    path = Path(spec).expanduser()
    if path.is_file():
        return path.resolve()
    found = _installed_family(spec)
    if found is None:
        raise ValueError(
            f"font {spec!r} (argument or JIANGHUA_FONT) is neither a font file nor an installed "
            "font family; give a path to a .ttf/.otf/.ttc file or an installed family name"
        )
    return found


def _installed_family(family: str) -> Path | None:
    """Return the regular-weight file of an installed family (case-insensitive), if any."""
    from matplotlib import font_manager

    wanted = family.casefold()
    hits = [f for f in font_manager.fontManager.ttflist if f.name.casefold() == wanted]
    if not hits:
        return None
    # Prefer upright regular weight; the file name breaks ties so the choice is stable.
    best = min(hits, key=lambda f: (f.style != "normal", abs(_weight(f.weight) - 400), f.fname))
    return Path(best.fname)


def _weight(weight) -> int:
    """Return a numeric font weight from matplotlib's int-or-name weight."""
    from matplotlib.font_manager import weight_dict

    return weight if isinstance(weight, int) else weight_dict.get(weight, 400)


def _system_cjk_font() -> Path | None:
    """Return the best installed CJK font file known to matplotlib's font manager, if any."""
    for family in SYSTEM_CJK_FAMILIES:
        found = _installed_family(family)
        if found is not None:
            return found
    return None


def _mplfonts_font() -> Path:
    """Return Noto Sans CJK SC shipped by the mplfonts package."""
    import mplfonts

    path = Path(mplfonts.__file__).resolve().parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.is_file():
        raise FileNotFoundError(
            f"no CJK font: none installed on the system and mplfonts lacks {path}; "
            "set JIANGHUA_FONT to a font file"
        )
    return path


def font_family(path: str | os.PathLike) -> str:
    """Return the family name matplotlib reads from a font file."""
    from matplotlib.font_manager import FontProperties

    return FontProperties(fname=str(path)).get_name()


def apply_style(font: str | os.PathLike | None = None) -> str:
    """Return the CJK family name after registering it and setting the house rcParams."""
    import matplotlib as mpl
    from matplotlib import font_manager

    path = chinese_font(font)
    font_manager.fontManager.addfont(str(path))
    family = font_family(path)
    mpl.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [family, "DejaVu Sans"],
            "font.size": 10,
            "axes.titlesize": 12,
            "axes.labelsize": 10,
            "xtick.labelsize": 9,
            "ytick.labelsize": 9,
            "legend.fontsize": 9,
            "figure.titlesize": 13,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.unicode_minus": False,
            "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
            "figure.dpi": 100,
            "savefig.dpi": 300,
            "savefig.bbox": "tight",
            "svg.fonttype": "path",
            "svg.hashsalt": SVG_HASHSALT,
            "image.cmap": "Blues",
        }
    )
    return family


def _ensure_style() -> None:
    """Apply the house style unless apply_style() has already run (its svg.hashsalt says so)."""
    import matplotlib as mpl

    if mpl.rcParams["svg.hashsalt"] != SVG_HASHSALT:
        apply_style()


def _axes(ax, size=(7, 5)):
    """Return ax, or the Axes of a new figure in the house style."""
    import matplotlib.pyplot as plt

    _ensure_style()
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=_bounded(size), layout="constrained")
    return new


def _bounded(size) -> tuple[float, float]:
    """Return a figure size no larger than MAX_FIGURE."""
    return min(size[0], MAX_FIGURE[0]), min(size[1], MAX_FIGURE[1])


def _facets(k: int, axes=None, ncols=3, size=(3.2, 2.8), sharex=False):
    """Return a flat array of k Axes (extra panels hidden) for small multiples."""
    import matplotlib.pyplot as plt

    _ensure_style()
    if axes is not None:
        flat = np.asarray(axes).ravel()
        if len(flat) < k:
            raise ValueError(f"need {k} axes for {k} panels, got {len(flat)}")
        return flat[:k]
    ncols = max(1, min(ncols, k))
    nrows = -(-k // ncols)
    _, grid = plt.subplots(
        nrows,
        ncols,
        figsize=_bounded((size[0] * ncols, size[1] * nrows)),
        layout="constrained",
        sharex=sharex,
        squeeze=False,
    )
    flat = grid.ravel()
    for extra in flat[k:]:
        extra.set_visible(False)
    return flat[:k]


# ---------------------------------------------------------------- labels and checks


def short_id(speech_id: str) -> str:
    """Return a short label for a speech id: "003_a5a9ba5a6d09eae4-4" -> "003-4"."""
    text = str(speech_id)
    match = re.match(r"^([^_]+)_[0-9a-f]{6,}-(\d+)$", text)
    if match:
        return f"{match.group(1)}-{match.group(2)}"
    return text if len(text) <= 18 else text[:17] + "…"


def short_ids(ids) -> list[str]:
    """Return short labels for ids, keeping the full ids if shortening would merge two."""
    ids = [str(i) for i in ids]
    short = [short_id(i) for i in ids]
    return short if len(set(short)) == len(set(ids)) else ids


def slug(value) -> str:
    """Return a file-name-safe form: speech ids shortened, Chinese as toneless pinyin."""
    from pypinyin import lazy_pinyin

    text = short_id(value) if re.search(r"_[0-9a-f]{6,}-\d+$", str(value)) else str(value)
    # Each Han character becomes one pinyin syllable; words stay together ("发展" -> "fazhan").
    words = re.findall(r"[\u3400-\u9fff]+|[A-Za-z0-9]+", text)
    parts = ["".join(lazy_pinyin(w)) if not w.isascii() else w for w in words]
    result = "-".join(p.lower() for p in parts if p)
    if not result:
        raise ValueError(f"cannot make a figure-name part from {value!r}")
    return result


def _figure_of(obj):
    """Return the Figure of a Figure, an Axes or an array of Axes."""
    first = np.asarray(obj, dtype=object).ravel()[0] if not hasattr(obj, "savefig") else obj
    return getattr(first, "figure", None) or first


def close(ax_or_fig) -> None:
    """Close the figure holding an Axes (or the figure itself) to free memory in loops."""
    import matplotlib.pyplot as plt

    plt.close(_figure_of(ax_or_fig))


def _require(df: pd.DataFrame, columns, what: str) -> None:
    """Raise a ValueError naming the missing columns of a contract table."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} table lacks column(s) {missing}; has {list(df.columns)}")
    if df.empty:
        raise NotEnoughData(f"{what} table is empty: nothing to draw")


def _top(df: pd.DataFrame, value: str, label: str, n: int) -> pd.DataFrame:
    """Return the n rows with the largest value, ties broken by label."""
    return df.sort_values([value, label], ascending=[False, True], kind="mergesort").head(n)


def _most(table: pd.DataFrame, value: str | None, what: str, n: int | None = None):
    """Return (table cut to the n speeches with the largest total value, a title note)."""
    n = MAX_SPEECHES if n is None else n
    order = list(dict.fromkeys(table["speech_id"]))
    if len(order) <= n:
        return table, ""
    if value is None:
        kept, which = order[:n], f"the first {n} of {len(order)} speeches"
    else:
        totals = table.groupby("speech_id", sort=False)[value].sum().reindex(order).fillna(0)
        # stable: among equal totals the earlier speech wins, and the kept ones stay in order
        picked = set(totals.sort_values(ascending=False, kind="mergesort").index[:n])
        kept = [s for s in order if s in picked]
        which = f"the {n} of {len(order)} speeches with the most {what}"
    return table[table["speech_id"].isin(kept)], f"（{n}/{len(order)} 篇）\n({which})"


def _single_group(freq: pd.DataFrame, what="frequency") -> pd.DataFrame:
    """Return freq, refusing a grouped table whose terms repeat across groups."""
    if freq["term"].duplicated().any():
        raise ValueError(
            f"{what} table has repeated terms (grouped by another column?): filter one group "
            "first, or use plot_top_terms_by"
        )
    return freq


# ---------------------------------------------------------------- saving


def _validate_name(name: str) -> None:
    """Raise unless name is content-like: lowercase ascii letters, digits and hyphens."""
    if not NAME_PATTERN.match(name or ""):
        raise ValueError(
            f"figure name {name!r} must be lowercase ascii letters, digits and single hyphens, "
            "named for its content, e.g. 'freq-top20-all'"
        )
    if GENERIC_NAME.match(name):
        raise ValueError(
            f"figure name {name!r} says nothing about the content; e.g. 'freq-top20-all'"
        )


def _notebook_source() -> str | None:
    """Return the notebook named by JIANGHUA_NOTEBOOK, relative to the project when inside it."""
    value = os.environ.get("JIANGHUA_NOTEBOOK")
    if not value:
        return None
    path = Path(value)
    if path.is_absolute():
        try:
            return path.resolve().relative_to(config.PROJ_ROOT).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


def _atomically(path: Path, write) -> Path:
    """Return path after write(temp) and a rename, so a killed run never leaves half a file."""
    temp = path.with_name(f".{path.name}.partial")
    try:
        write(temp)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return path


def _write_data(data, path: Path) -> None:
    """Write the table behind a figure as UTF-8 CSV with a BOM, so Excel shows the Chinese."""
    frame = data.to_frame() if isinstance(data, pd.Series) else pd.DataFrame(data)
    keep_index = not isinstance(frame.index, pd.RangeIndex)
    _atomically(
        path,
        lambda t: frame.to_csv(t, index=keep_index, encoding="utf-8-sig", lineterminator="\n"),
    )


def save_figure(fig, name: str, data=None, caption: str | None = None, figures_dir=None) -> dict:
    """Return the paths written: <name>.png (300 dpi), .svg, .csv (with data) and .json sidecar."""
    _validate_name(name)
    folder = config.figures_dir(figures_dir)
    folder.mkdir(parents=True, exist_ok=True)
    fig = _figure_of(fig)  # an Axes or the array from a faceted plot is accepted too
    paths = {"png": folder / f"{name}.png", "svg": folder / f"{name}.svg"}
    # Metadata without version/date keeps reruns byte-identical.
    _atomically(
        paths["png"], lambda t: fig.savefig(t, format="png", dpi=300, metadata={"Software": None})
    )
    _atomically(
        paths["svg"],
        lambda t: fig.savefig(t, format="svg", metadata={"Date": None, "Creator": "jianghua"}),
    )
    csv = folder / f"{name}.csv"
    if data is not None:
        _write_data(data, csv)
        paths["csv"] = csv
    elif csv.exists():
        csv.unlink()  # a stale table from an earlier run would mislead the reader
    sidecar = {
        "name": name,
        "caption": caption,
        "source": _notebook_source(),
        "files": {kind: p.name for kind, p in paths.items()},
    }
    # The sidecar is written last: the gallery lists only figures whose sidecar exists.
    paths["json"] = folder / f"{name}.json"
    text = json.dumps(sidecar, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    _atomically(paths["json"], lambda t: t.write_text(text, encoding="utf-8"))
    return paths


# ---------------------------------------------------------------- word clouds


def _circle_mask(size=800) -> np.ndarray:
    """Return a square mask array that keeps a centred disc (255 = blocked, wordcloud's rule)."""
    yy, xx = np.mgrid[:size, :size]
    radius = size / 2 - 2
    outside = (xx - size / 2) ** 2 + (yy - size / 2) ** 2 > radius**2
    return np.where(outside, 255, 0).astype(np.uint8)


def _load_mask(mask):
    """Return a mask array from None, "circle", an image path or an array."""
    if mask is None:
        return None
    if isinstance(mask, str) and mask == "circle":
        return _circle_mask()
    if isinstance(mask, (str, os.PathLike)):
        from PIL import Image

        with Image.open(mask) as image:
            return np.asarray(image.convert("L"))
    return np.asarray(mask)


def _rank_colours(frequencies: dict):
    """Return a wordcloud color_func giving neighbouring ranks different dark viridis shades."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    # Stop at 0.75: the yellow end of viridis is unreadable on white.
    shades = [to_hex(colormaps["viridis"](x)) for x in (0.0, 0.45, 0.2, 0.65, 0.3, 0.75)]
    order = sorted(frequencies, key=lambda t: (-frequencies[t], t))
    shade = {t: shades[i % len(shades)] for i, t in enumerate(order)}

    def colour(word, **_):
        return shade[word]

    return colour


def _cloud(frequencies: dict, mask, random_state: int, color_func=None, max_words=200, font=None):
    """Return a WordCloud laid out from {term: weight} with the Chinese font."""
    from wordcloud import WordCloud

    mask = _load_mask(mask)
    # Layout on an 800x533 canvas drawn at 1.5x gives a 1200x800 image in half the time of
    # laying out at full size: wordcloud reloads the font for every size it tries.
    size = {} if mask is not None else {"width": 800, "height": 533, "scale": 1.5}
    cloud = WordCloud(
        font_path=str(chinese_font(font)),
        random_state=random_state,
        background_color="white",
        mask=mask,
        max_words=max_words,
        # wordcloud turns vertical words on their side, which reads badly in Chinese.
        prefer_horizontal=1.0,
        relative_scaling=0.5,
        color_func=color_func or _rank_colours(frequencies),
        collocations=False,
        **size,
    )
    return cloud.generate_from_frequencies(frequencies)


def plot_wordcloud(freq, n=200, ax=None, mask=None, random_state=42, value="count", font=None):
    """Return Axes showing a word cloud of the n most frequent terms of a frequency table."""
    _require(freq, ["term", value], "frequency")
    top = _top(_single_group(freq), value, "term", n)
    top = top[top[value] > 0]
    if top.empty:
        raise NotEnoughData(f"no term has a positive {value}: nothing to draw")
    # Insertion order follows the stable ranking, so layout is reproducible.
    weights = {str(t): float(v) for t, v in zip(top["term"], top[value], strict=True)}
    cloud = _cloud(weights, mask, random_state, max_words=n, font=font)
    ax = _axes(ax, size=(8, 5.5))
    # no resampling: saving took 2.7 s a cloud with "bilinear", 0.8 s now, and the SVG keeps
    # the cloud's own pixels (a quarter of the size)
    ax.imshow(cloud.to_array(), interpolation="none")
    ax.set_axis_off()
    return ax


def _comparison_weights(terms: pd.DataFrame) -> tuple[dict, dict, list]:
    """Return ({term: score}, {term: group}, groups) keeping each term's highest-scoring group."""
    pos = terms[terms["score"] > 0].copy()
    if pos.empty:
        raise NotEnoughData("no term has a positive score: nothing is over-represented")
    pos["group"] = pos["group"].astype(str)
    pos = pos.sort_values(["score", "group", "term"], ascending=[False, True, True])
    best = pos.drop_duplicates("term", keep="first")
    weights = {str(t): float(s) for t, s in zip(best["term"], best["score"], strict=True)}
    owner = {str(t): g for t, g in zip(best["term"], best["group"], strict=True)}
    return weights, owner, sorted(terms["group"].astype(str).unique())


def plot_comparison_cloud(
    terms, ax=None, max_groups=MAX_GROUPS, random_state=42, mask=None, font=None
):
    """Return Axes with one cloud of group-typical terms, sized by score, coloured by group."""
    from matplotlib.patches import Patch

    _require(terms, ["group", "term", "score"], "comparison terms")
    n_groups = terms["group"].nunique()
    if n_groups > min(max_groups, MAX_GROUPS):
        raise ValueError(
            f"{n_groups} groups is too many for one comparison cloud (at most "
            f"{min(max_groups, MAX_GROUPS)}): merge groups or compare fewer"
        )
    weights, owner, groups = _comparison_weights(terms)
    colours = {g: PALETTE[i] for i, g in enumerate(groups)}

    def colour(word, **_):
        return colours[owner[word]]

    cloud = _cloud(weights, mask, random_state, colour, max_words=len(weights), font=font)
    ax = _axes(ax, size=(8, 6))
    ax.imshow(cloud.to_array(), interpolation="none")
    ax.set_axis_off()
    handles = [Patch(color=colours[g], label=g) for g in groups]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax


# ---------------------------------------------------------------- corpus and frequency tables


def _barh(ax, labels, values, color=PALETTE[0], xlabel=""):
    """Draw horizontal bars with the first label at the top; return ax."""
    y = np.arange(len(labels))
    ax.barh(y, values, color=color)
    ax.set_yticks(y, labels=list(labels))
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    return ax


VALUE_LABELS = {
    "count": "出现次数 (count)",
    "per_10k": "每万词 (per 10k tokens)",
    "per_1k": "每千词 (per 1k tokens)",
    "per_1k_chars": "每千字 (per 1k chars)",
}


def plot_corpus_overview(speeches, removed=None, ax=None, max_speeches=None):
    """Return Axes with one bar per speech (characters kept), duplicates greyed and marked.

    Past max_speeches (MAX_SPEECHES) speeches it draws how speech lengths are distributed.
    """
    _require(speeches, ["speech_id", "n_chars"], "speeches")
    ids = list(speeches["speech_id"])
    dup = speeches["duplicate_of"].tolist() if "duplicate_of" in speeches else [pd.NA] * len(ids)
    if len(ids) > (MAX_SPEECHES if max_speeches is None else max_speeches):
        ax = _length_histogram(_axes(ax, size=(8, 4.5)), speeches["n_chars"], pd.notna(dup))
    else:
        ax = _length_bars(_axes(ax, size=(8, max(3, 0.32 * len(ids) + 1.2))), speeches, dup)
    n_removed = 0 if removed is None else len(removed)
    ax.set_title(f"语料概览：{len(ids)} 篇讲话，清理 {n_removed} 处杂项 (corpus overview)")
    return ax


def _length_bars(ax, speeches, dup):
    """Draw one bar per speech, labelled with its length and whether it is a duplicate."""
    labels = short_ids(speeches["speech_id"])
    titles = speeches["title"].tolist() if "title" in speeches else [None] * len(labels)
    names = [
        lab if pd.isna(t) else f"{lab} {str(t)[:14]}" for lab, t in zip(labels, titles, strict=True)
    ]
    colours = [PALETTE[6] if pd.notna(d) else PALETTE[0] for d in dup]
    _barh(ax, names, speeches["n_chars"], color=colours, xlabel="字数 (characters after cleaning)")
    for y, (n, d) in enumerate(zip(speeches["n_chars"], dup, strict=True)):
        note = f" {n:,}" + ("" if pd.isna(d) else f"  重复 (duplicate of {short_id(d)})")
        ax.annotate(note, (n, y), va="center", fontsize=7)
    return ax


def _length_histogram(ax, n_chars, is_duplicate):
    """Draw a histogram of speech lengths on log-spaced bins, duplicates stacked in grey."""
    n_chars = np.asarray(n_chars, dtype=float)
    is_duplicate = np.asarray(is_duplicate, dtype=bool)
    top = max(n_chars.max(), 10.0)
    bins = np.geomspace(max(n_chars[n_chars > 0].min(initial=top), 10.0) / 1.2, top * 1.2, 31)
    clipped = np.clip(n_chars, bins[0], bins[-1])  # a near-empty speech still counts
    groups = [clipped[~is_duplicate], clipped[is_duplicate]]
    ax.hist(groups, bins=bins, stacked=True, color=[PALETTE[0], PALETTE[6]],
            label=["讲话 (speeches)", "重复 (duplicates)"])  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("字数 (characters after cleaning, log scale)")
    ax.set_ylabel("篇数 (speeches)")
    ax.legend(frameon=False)
    return ax


def plot_top_terms(freq, n=20, value="count", ax=None):
    """Return Axes with horizontal bars of the n top terms by count or per_10k."""
    _require(freq, ["term", value], "frequency")
    top = _top(_single_group(freq), value, "term", n)
    ax = _axes(ax, size=(6, max(3, 0.28 * len(top) + 1)))
    _barh(ax, top["term"], top[value], xlabel=VALUE_LABELS.get(value, value))
    ax.set_title(f"高频词 top {len(top)}")
    return ax


def plot_top_terms_by(freq, by, n=10, value="count", axes=None, ncols=3, max_panels=None):
    """Return the array of Axes: one panel of top-n terms per group of column `by`."""
    _require(freq, [by, "term", value], "frequency")
    groups = sorted(freq[by].dropna().unique(), key=str)
    limit = MAX_SPEECHES if max_panels is None else max_panels
    left_out = len(groups) - limit
    groups = groups[:limit]
    # A common scale only makes sense for normalised rates; raw counts differ by group size.
    panels = _facets(len(groups), axes, ncols=ncols, size=(3.2, 0.25 * n + 1.2))
    for ax, group in zip(panels, groups, strict=True):
        top = _top(freq[freq[by] == group], value, "term", n)
        _barh(ax, top["term"], top[value], color=PALETTE[0], xlabel=VALUE_LABELS.get(value, value))
        ax.set_title(short_id(group) if by == "speech_id" else str(group))
    if value != "count":
        hi = max(a.get_xlim()[1] for a in panels)
        for ax in panels:
            ax.set_xlim(0, hi)
    if left_out > 0:
        panels[0].figure.suptitle(
            f"the first {limit} of {limit + left_out} ({by}); max_panels= shows more"
        )
    return panels


def plot_dispersion(disp, ax=None, terms=None, max_speeches=None):
    """Return Axes with an x-ray plot: one row per speech x term, a tick at each position 0..1."""
    _require(disp, ["speech_id", "term", "position"], "dispersion")
    term_order = list(terms) if terms is not None else list(dict.fromkeys(disp["term"]))
    disp, note = _most(disp.assign(_hit=1), "_hit", "hits", max_speeches)
    speeches = list(dict.fromkeys(disp["speech_id"]))
    labels = dict(zip(speeches, short_ids(speeches), strict=True))
    positions = disp.groupby(["speech_id", "term"], sort=False)["position"]
    hits = {key: group.to_numpy() for key, group in positions}
    rows = [(s, t) for t in term_order for s in speeches if (s, t) in hits]
    ax = _axes(ax, size=(8, max(2.5, 0.3 * len(rows) + 1)))
    colours = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(term_order)}
    for y, (speech, term) in enumerate(rows):
        found = hits[(speech, term)]
        ax.scatter(found, np.full(len(found), y), marker="|", s=120, color=colours[term], lw=1.2)
    ax.set_yticks(range(len(rows)), labels=[f"{labels[s]} · {t}" for s, t in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_xlabel("在讲话中的位置 (position in speech, 0 = start, 1 = end)")
    ax.set_title("词语分布 (dispersion)" + note)
    return ax


def plot_formulations(form, n=15, ax=None):
    """Return Axes with bars of the n most used formulations summed over speeches, by kind."""
    _require(form, ["formulation", "kind", "count"], "formulations")
    total = form.groupby(["formulation", "kind"], as_index=False)["count"].sum()
    top = _top(total, "count", "formulation", n)
    kinds = sorted(total["kind"].unique())
    colours = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(kinds)}
    ax = _axes(ax, size=(6.5, max(3, 0.3 * len(top) + 1)))
    _barh(ax, top["formulation"], top["count"], color=[colours[k] for k in top["kind"]])
    ax.set_xlabel("出现次数 (count)")
    _legend(ax, colours)
    ax.set_title("提法 (formulations)")
    return ax


def _legend(ax, colours: dict, **kwargs):
    """Add a legend of coloured patches for {label: colour}."""
    from matplotlib.patches import Patch

    handles = [Patch(color=c, label=str(k)) for k, c in colours.items()]
    ax.legend(handles=handles, frameon=False, **kwargs)


def plot_collocations(coll, n=15, ax=None):
    """Return Axes with bars of the n strongest collocations by G2, each annotated with count."""
    _require(coll, ["collocation", "count", "G2"], "collocations")
    top = _top(coll, "G2", "collocation", n)
    ax = _axes(ax, size=(6.5, max(3, 0.3 * len(top) + 1)))
    _barh(ax, top["collocation"], top["G2"], xlabel="对数似然 G²")
    for y, (g2, count) in enumerate(zip(top["G2"], top["count"], strict=True)):
        ax.annotate(f" n={count}", (g2, y), va="center", fontsize=8)
    ax.set_title("搭配 (collocations)")
    return ax


# ---------------------------------------------------------------- heatmaps


def _heatmap(ax, table: pd.DataFrame, label: str, fmt="{:.1f}", cmap="Blues", xrot=45, **scale):
    """Draw an annotated heatmap of a (rows x columns) table on ax; return the image."""
    values = table.to_numpy(dtype=float)
    image = ax.imshow(values, cmap=cmap, aspect="auto", **scale)
    if table.shape[1] <= MAX_LABELS:
        ax.set_xticks(range(table.shape[1]), labels=[str(c) for c in table.columns], rotation=xrot)
    else:
        ax.set_xticks([])
    if table.shape[0] <= MAX_LABELS:
        ax.set_yticks(range(table.shape[0]), labels=[str(r) for r in table.index])
    else:
        ax.set_yticks([])
    if xrot:
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    finite = values[np.isfinite(values)]
    top = scale.get("vmax", finite.max() if finite.size else 0)
    if values.size <= 400:  # beyond that the numbers are unreadable anyway
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                dark = top > 0 and v > 0.6 * top
                ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")  # fmt: skip
    ax.spines[:].set_visible(False)
    ax.figure.colorbar(image, ax=ax, label=label, shrink=0.8)
    return image


def _speech_level(scores: pd.DataFrame) -> pd.DataFrame:
    """Return speech_id, theme, hits, n_tokens, per_1k pooled over units inside each speech."""
    _require(scores, ["unit_id", "speech_id", "theme", "hits", "n_tokens"], "theme scores")
    hits = scores.groupby(["speech_id", "theme"], as_index=False, sort=True)["hits"].sum()
    units = scores.drop_duplicates("unit_id")
    sizes = units.groupby("speech_id")["n_tokens"].sum()
    hits["n_tokens"] = hits["speech_id"].map(sizes)
    hits["per_1k"] = 1000 * hits["hits"] / hits["n_tokens"].where(hits["n_tokens"] > 0)
    return hits


def _by_speech(table: pd.DataFrame, rows: str, value: str) -> pd.DataFrame:
    """Return a (rows x speech) pivot with speech order kept and short speech labels."""
    speeches = list(dict.fromkeys(table["speech_id"]))
    wide = table.pivot_table(index=rows, columns="speech_id", values=value, aggfunc="sum")
    wide = wide.reindex(columns=speeches).sort_index()
    wide.columns = short_ids(speeches)
    return wide


def plot_theme_heatmap(scores, ax=None, max_speeches=None):
    """Return Axes with a theme x speech heatmap of hits per 1k tokens."""
    pooled, note = _most(_speech_level(scores), "hits", "theme hits", max_speeches)
    wide = _by_speech(pooled, "theme", "per_1k")
    ax = _axes(ax, size=(max(5, 0.7 * wide.shape[1] + 3), max(3, 0.4 * wide.shape[0] + 1.5)))
    _heatmap(ax, wide, VALUE_LABELS["per_1k"])
    ax.set_title("主题强度 (theme hits per 1k tokens)" + note)
    return ax


def _stacked_barh(ax, wide: pd.DataFrame) -> None:
    """Draw one horizontal stacked bar per row of a wide table, one segment per column."""
    left = np.zeros(len(wide))
    for i, column in enumerate(wide.columns):
        ax.barh(range(len(wide)), wide[column], left=left, color=_colour(i), label=str(column),
                hatch=_hatch(i), edgecolor="white", linewidth=0.3)  # fmt: skip
        left += wide[column].to_numpy()
    ax.set_yticks(range(len(wide)), labels=list(wide.index))
    ax.invert_yaxis()


def plot_theme_shares(scores, ax=None, max_speeches=None):
    """Return Axes with one stacked bar per speech: each theme's share of its theme hits."""
    pooled, note = _most(_speech_level(scores), "hits", "theme hits", max_speeches)
    wide = _by_speech(pooled, "theme", "hits").T.fillna(0)
    totals = wide.sum(axis=1)
    shares = wide.div(totals.where(totals > 0), axis=0).fillna(0)
    ax = _axes(ax, size=(7.5, max(3, 0.4 * len(shares) + 1.5)))
    _stacked_barh(ax, shares)
    ax.set_xlim(0, 1)
    ax.set_xlabel("主题词占比 (share of theme hits)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set_title("主题构成 (theme shares)" + note)
    return ax


# Above this many paragraphs a raw theme flow is a thicket of spikes (a 60,000-character work
# report has 300+); "auto" smoothing then averages about FLOW_POINTS windows' worth.
FLOW_RAW_MAX = 60
FLOW_POINTS = 40


def flow_window(n_units: int, smooth="auto") -> int:
    """Return the rolling-mean window for a theme flow over n_units ("auto": by length)."""
    if smooth != "auto":
        return int(smooth or 1)
    return 1 if n_units <= FLOW_RAW_MAX else round(n_units / FLOW_POINTS)


def plot_theme_flow(scores, speech_id=None, smooth="auto", themes=None, ax=None):
    """Return Axes with per_1k of each theme along the units of one speech (rolling mean)."""
    _require(scores, ["speech_id", "unit_index", "theme", "per_1k"], "theme scores")
    if themes is not None:
        scores = scores[scores["theme"].isin(list(themes))]
    speeches = list(dict.fromkeys(scores["speech_id"]))
    if speech_id is None:
        if len(speeches) != 1:
            raise ValueError(f"scores cover {len(speeches)} speeches: pass speech_id=")
        speech_id = speeches[0]
    one = scores[scores["speech_id"] == speech_id]
    if one.empty:
        raise ValueError(f"no theme scores for speech {speech_id!r}")
    wide = one.pivot_table(index="unit_index", columns="theme", values="per_1k", aggfunc="mean")
    wide = wide.sort_index().fillna(0)
    smooth = flow_window(len(wide), smooth)
    if smooth > 1:
        wide = wide.rolling(int(smooth), center=True, min_periods=1).mean()
    ax = _axes(ax, size=(8, 4))
    for i, theme in enumerate(wide.columns):
        ax.plot(
            wide.index, wide[theme], color=_colour(i), ls=_line_style(i), label=str(theme), lw=1.5
        )
    ax.set_xlabel("段落序号 (unit index)")
    ax.set_ylabel(VALUE_LABELS["per_1k"] + (f", 平滑 {smooth}" if smooth and smooth > 1 else ""))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set_title(f"主题走向 {short_id(speech_id)}")
    return ax


# ---------------------------------------------------------------- topics and rhetoric


def plot_topic_terms(terms, n=8, axes=None, ncols=3):
    """Return the array of Axes: one panel per topic with its n heaviest terms."""
    _require(terms, ["topic", "term", "weight"], "topic terms")
    topics = sorted(terms["topic"].unique())
    panels = _facets(len(topics), axes, ncols=ncols, size=(3, 0.26 * n + 1.1))
    for i, (ax, topic) in enumerate(zip(panels, topics, strict=True)):
        top = _top(terms[terms["topic"] == topic], "weight", "term", n)
        _barh(ax, top["term"], top["weight"], color=PALETTE[i % len(PALETTE)], xlabel="权重")
        ax.set_title(f"主题 {topic}")
    return panels


def topic_labels(terms, n=3) -> dict:
    """Return {topic: "topic: term1 term2 term3"} from a topic terms table."""
    labels = {}
    for topic, rows in terms.groupby("topic", sort=True):
        top = _top(rows, "weight", "term", n)
        labels[topic] = f"{topic}: " + " ".join(map(str, top["term"]))
    return labels


def plot_topic_heatmap(shares, terms=None, ax=None, max_speeches=None):
    """Return Axes with a topic x speech heatmap of topic shares (labelled by top terms)."""
    _require(shares, ["speech_id", "topic", "share"], "topic shares")
    shares, note = _most(shares, None, "", max_speeches)
    wide = _by_speech(shares, "topic", "share")
    if terms is not None:
        wide.index = [topic_labels(terms).get(t, str(t)) for t in wide.index]
    ax = _axes(ax, size=(max(5, 0.7 * wide.shape[1] + 3), max(3, 0.45 * wide.shape[0] + 1.5)))
    _heatmap(ax, wide, "占比 (share)", fmt="{:.2f}")
    ax.set_title("主题模型 (topic shares)" + note)
    return ax


def plot_directives(density, ax=None, max_speeches=None):
    """Return Axes with a directive-word x speech heatmap of uses per 1k characters."""
    _require(density, ["speech_id", "directive", "per_1k_chars"], "directive density")
    density, note = _most(density, "per_1k_chars", "directives", max_speeches)
    wide = _by_speech(density, "directive", "per_1k_chars")
    ax = _axes(ax, size=(max(5, 0.7 * wide.shape[1] + 3), max(3, 0.4 * wide.shape[0] + 1.5)))
    _heatmap(ax, wide, VALUE_LABELS["per_1k_chars"], fmt="{:.2f}", cmap="Oranges")
    ax.set_title("指令性用语 (directives)" + note)
    return ax


def plot_enumerations(enums, ax=None, speech_ids=None, max_speeches=None):
    """Return Axes with, per speech, the number of enumerations stacked by style.

    speech_ids: every speech to show; one without enumerations gets an empty row, so the
    chart does not suggest the corpus holds only the speeches that enumerate.
    """
    if enums.empty and "speech_id" in enums.columns:
        raise NotEnoughData("no enumeration (一是…二是…, 第一…第二…) in any speech")
    _require(enums, ["speech_id", "enum_id", "style"], "enumerations")
    counts = enums.drop_duplicates(["speech_id", "enum_id"]).assign(n=1)
    shown = list(dict.fromkeys(counts["speech_id"] if speech_ids is None else speech_ids))
    wide = counts.pivot_table(index="speech_id", columns="style", values="n", aggfunc="sum")
    wide = wide.reindex(shown).fillna(0)
    per_speech = pd.DataFrame({"speech_id": shown, "n": wide.sum(axis=1).to_numpy()})
    per_speech, note = _most(per_speech, "n", "enumerations", max_speeches)
    shown = list(per_speech["speech_id"])
    wide = wide.loc[shown]
    wide.index = short_ids(shown)
    ax = _axes(ax, size=(7, max(3, 0.4 * len(wide) + 1.5)))
    _stacked_barh(ax, wide)
    ax.set_xlabel("列举数 (enumerations)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, title="style")
    ax.set_title("列举结构 (enumerations)" + note)
    return ax


# ---------------------------------------------------------------- comparison


def plot_keyness(k, n=15, ax=None, target="target", reference="reference"):
    """Return Axes with diverging bars: top-n G2 terms of target (right), reference (left)."""
    _require(k, ["term", "G2", "log_ratio"], "keyness")
    # G2 may come signed (negative = typical of the reference): rank both sides by strength
    k = k.assign(_strength=k["G2"].abs())
    pos = _top(k[k["log_ratio"] > 0], "_strength", "term", n)
    neg = _top(k[k["log_ratio"] < 0], "_strength", "term", n)
    rows = pd.concat([pos, neg.iloc[::-1]])
    signed = np.where(rows["log_ratio"] > 0, rows["_strength"], -rows["_strength"])
    colours = np.where(signed > 0, PALETTE[0], PALETTE[1])
    ax = _axes(ax, size=(7, max(3, 0.27 * len(rows) + 1.2)))
    y = np.arange(len(rows))
    ax.barh(y, signed, color=colours)
    ax.set_yticks(y, labels=list(rows["term"]))
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"← {reference}    G²    {target} →")
    _legend(ax, {target: PALETTE[0], reference: PALETTE[1]}, loc="lower right")
    ax.set_title("关键词 (keyness)")
    return ax


def plot_fightin_words(k, n_labels=20, ax=None, target="target", reference="reference"):
    """Return Axes with z-score against total frequency, the n_labels most extreme terms named."""
    from adjustText import adjust_text

    _require(k, ["term", "count_target", "count_reference", "z"], "keyness")
    total = (k["count_target"] + k["count_reference"]).clip(lower=1)
    ax = _axes(ax, size=(8, 6))
    colours = np.where(k["z"] > 1.96, PALETTE[0], np.where(k["z"] < -1.96, PALETTE[1], "#BBBBBB"))
    ax.scatter(total, k["z"], s=10, c=colours, linewidths=0)
    ax.set_xscale("log")
    ax.axhline(0, color="black", lw=0.6)
    order = k.assign(_abs=k["z"].abs()).sort_values(["_abs", "term"], ascending=[False, True])
    picked = order.head(n_labels)
    texts = [
        ax.text(total.loc[i], k.at[i, "z"], str(k.at[i, "term"]), fontsize=8) for i in picked.index
    ]
    if texts:
        # An iteration limit, not adjustText's default 1-second time limit: a time limit
        # makes the layout depend on machine load, and reruns would differ.
        adjust_text(
            texts,
            ax=ax,
            iter_lim=300,
            arrowprops={"arrowstyle": "-", "color": "#888888", "lw": 0.5},
        )
    ax.set_xlabel("总频次 (total count, log scale)")
    ax.set_ylabel(f"z ({target} + / {reference} −)")
    ax.set_title("Fightin' words")
    return ax


def plot_similarity(matrix, ax=None):
    """Return the heatmap Axes of a similarity matrix ordered by clustering, dendrogram on top."""
    from mpl_toolkits.axes_grid1 import make_axes_locatable
    from scipy.cluster.hierarchy import dendrogram

    if matrix.shape[0] != matrix.shape[1] or list(matrix.index) != list(matrix.columns):
        raise ValueError("similarity matrix must be square with the same ids on both axes")
    if matrix.shape[0] < 2:
        raise NotEnoughData(
            f"similarity needs at least two speeches to compare, found {matrix.shape[0]}"
        )
    from jianghua.similar import cluster_order

    clustering = cluster_order(matrix)
    link, ids = clustering.linkage, clustering.order
    labels = short_ids(ids)
    table = matrix.loc[ids, ids].set_axis(labels, axis=0).set_axis(labels, axis=1)
    n = len(ids)
    side = min(max(5, 0.5 * n + 3), MAX_FIGURE[0])  # square, however many speeches
    ax = _axes(ax, size=(side, side))
    _heatmap(ax, table, "余弦相似度 (cosine)", fmt="{:.2f}", cmap="viridis")
    top = make_axes_locatable(ax).append_axes("top", size="18%", pad=0.05)
    # Leaves sit at 5, 15, 25...: scale to heatmap cells 0, 1, 2...
    dendrogram(link, ax=top, no_labels=True, color_threshold=0, above_threshold_color="#555555")
    top.set_xlim(0, 10 * n)
    top.set_xticks([])
    top.set_yticks([])
    top.spines[:].set_visible(False)
    hidden = f"\n({n} speeches: labels left off, the CSV beside the figure has them)"
    top.set_title("文本相似度 (similarity, clustered)" + (hidden if n > MAX_LABELS else ""))
    ax.dendrogram_axes = top  # for callers who want to restyle it
    return ax


def plot_reuse_heatmap(pairs, ax=None, max_speeches=None):
    """Return Axes with a speech x speech heatmap: % of the row speech reused in the column one."""
    if pairs.empty and {"speech_a", "speech_b"} <= set(pairs.columns):
        raise NotEnoughData("no passage is shared by two speeches: nothing to draw")
    _require(pairs, ["speech_a", "speech_b", "pct_a", "pct_b"], "reuse pairs")
    if pairs[["pct_a", "pct_b"]].max().max() > 1:
        raise ValueError("pct_a/pct_b must be fractions 0..1 (as jianghua.reuse returns them)")
    forward = pairs[["speech_a", "speech_b", "pct_a"]].set_axis(["row", "col", "pct"], axis=1)
    backward = pairs[["speech_b", "speech_a", "pct_b"]].set_axis(["row", "col", "pct"], axis=1)
    both = pd.concat([forward, backward]).sort_values("row", key=lambda c: c.astype(str))
    most, note = _most(both.rename(columns={"row": "speech_id"}), "pct", "reuse", max_speeches)
    both = both[both["row"].isin(most["speech_id"]) & both["col"].isin(most["speech_id"])]
    ids = sorted(set(both["row"]) | set(both["col"]), key=str)
    wide = 100 * both.pivot_table(index="row", columns="col", values="pct", aggfunc="max")
    wide = wide.reindex(index=ids, columns=ids)
    labels = short_ids(ids)
    wide.index, wide.columns = labels, labels
    ax = _axes(ax, size=(max(5, 0.55 * len(ids) + 3), max(4, 0.5 * len(ids) + 2)))
    label = "行讲话中复用的比例 (% of row speech)"
    _heatmap(ax, wide, label, fmt="{:.0f}%", cmap="Reds", vmin=0, vmax=100)
    ax.set_title("文本复用 (reuse)" + note)
    return ax


def _profile_label(group: str, rows: pd.DataFrame) -> str:
    """Return a group's legend label, with its token count when it has too little text."""
    if "n_tokens" not in rows.columns or rows.empty:
        return group
    n = int(rows["n_tokens"].max())
    return group if n >= MIN_PROFILE_TOKENS else f"{group} (文本过少 little text: {n} 词)"


def plot_theme_profiles(profiles, ax=None):
    """Return Axes with a dot plot: per theme, each group's per_1k as a coloured dot."""
    if profiles.empty and "group" in profiles.columns:
        raise NotEnoughData("comparison needs at least two groups: no speech is in any group")
    _require(profiles, ["group", "theme", "per_1k"], "theme profiles")
    groups = sorted(profiles["group"].astype(str).unique())
    if len(groups) > MAX_GROUPS:
        raise ValueError(f"{len(groups)} groups is too many to tell apart (at most {MAX_GROUPS})")
    if len(groups) < 2:
        # one row of dots under a "profiles by group" title would claim a comparison
        raise NotEnoughData(f"comparison needs at least two groups: only one, {groups[0]}")
    themes = sorted(profiles["theme"].unique(), key=str)
    ax = _axes(ax, size=(7, max(3, 0.4 * len(themes) + 1.5)))
    y = {t: i for i, t in enumerate(themes)}
    for i, group in enumerate(groups):
        rows = profiles[profiles["group"].astype(str) == group]
        ys = [y[t] + (i - (len(groups) - 1) / 2) * 0.08 for t in rows["theme"]]
        label, face = _profile_label(group, rows), PALETTE[i]
        if label != group:
            face = "none"
        ax.scatter(rows["per_1k"], ys, color=face, edgecolors=PALETTE[i], label=label, s=36,
                   zorder=3)  # fmt: skip
    ax.set_yticks(range(len(themes)), labels=[str(t) for t in themes])
    ax.grid(axis="y", color="#EEEEEE", zorder=0)
    ax.invert_yaxis()
    ax.set_xlabel(VALUE_LABELS["per_1k"])
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, title="group")
    ax.set_title("主题画像 (theme profiles)")
    return ax
