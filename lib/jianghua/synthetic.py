"""A synthetic corpus for the scale benchmark: seed speeches recombined, with clutter and copies.

The material is the cleaned seed corpus (load_corpus of config.CORPUS_DIR). Each generated file
takes the clauses and headings of a few seed speeches and recombines them into new paragraphs
under a numbered outline. Whole seed paragraphs are not reused verbatim: with only nine seed
speeches every pair of the 10,000 files would then share passages, and the reuse stage would
measure that artefact instead of the planted copies.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from jianghua import config

SCOPES = (("全县", "县"), ("全市", "市"), ("全区", "区"), ("全省", "省"), ("全镇", "乡镇"))
OCCASIONS = (
    "经济工作会议",
    "三级干部大会",
    "机关作风建设大会",
    "党风廉政建设工作会议",
    "安全生产工作会议",
    "“执行力建设年”活动动员大会",
    "项目建设推进大会",
    "农村工作会议",
    "招商引资工作会议",
    "干部作风整顿动员大会",
    "民生工程推进会",
    "总结表彰大会",
)
SPEAKERS = ("张永霞", "孙建国", "徐文泊", "李明华", "王立新", "陈志强", "刘红梅", "赵卫东")
OFFICES = ("委办公室", "政府办公室", "委宣传部", "融媒体中心")
SITES = ("fanwen", "gongwen", "wenmi", "jianghua", "wendang")
NUMERALS = "一二三四五六七八九十"
FIRST_DAY = np.datetime64("1995-01-01")
N_DAYS = int((np.datetime64("2025-01-01") - FIRST_DAY) / np.timedelta64(1, "D"))
# Shares of files with each variant; clutter kinds are drawn independently per file.
SHARES = {"copy": 0.02, "gb18030": 0.05, "utf-16": 0.03, "html": 0.01, "crlf": 0.1}
CLUTTER_SHARES = {
    "breadcrumb": 0.3,
    "publish line": 0.3,
    "page number": 0.2,
    "watermark": 0.15,
    "url": 0.2,
    "disclaimer": 0.15,
    "related links": 0.1,
}
DISCLAIMER = "来源:网络整理 免责声明:本文仅限学习分享，如产生版权问题，请联系我们及时删除。"
WATERMARK = "（本文来源：{site}网 www.{site}.com）"
MANIFEST_COLUMNS = [
    "file",
    "format",
    "encoding",
    "title",
    "speaker",
    "date",
    "published",
    "level",
    "n_paragraphs",
    "n_chars",
    "bytes",
    "copy_of",
    "copy_kind",
    "clutter",
]
MANIFEST_NAME = ".manifest.csv"
HEADING1 = re.compile(r"^[一二三四五六七八九十]+、(.+)$")
HEADING2 = re.compile(r"^[(（][一二三四五六七八九十]+[)）]([^。]+)。?")
OUTLINE = re.compile(
    r"[(（][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、|^[一二三四五六七八九十][是要]"
    r"|第[一二三四五六七八九十]|点意见|个问题|个方面|方面的意见|[:：]"
)
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Material:
    """Clauses and headings of each seed speech, the raw stuff of generated speeches."""

    clauses: list  # per speech: list[str]
    headings1: list  # per speech: list[str]
    headings2: list  # per speech: list[str]
    chars: str  # CJK characters that near-copies substitute in


@dataclass
class Doc:
    """One generated speech before clutter and encoding."""

    title: str
    speaker: str
    date: np.datetime64
    level: str
    scope: str
    header: list
    body: list


def _split_clauses(paragraph: str) -> list[str]:
    """Return the clauses of a paragraph (split at ，；。！？), without their punctuation."""
    parts = [p.strip() for p in re.split(r"[，；。！？,;!?]", paragraph)]
    # Outline markers and announcements inside a clause would fake structure in the new text.
    return [p for p in parts if 4 <= len(p) <= 60 and not OUTLINE.search(p)]


def material(corpus) -> Material:
    """Return the clauses and headings of every speech of a loaded seed Corpus."""
    clauses, headings1, headings2 = [], [], []
    for text in corpus.speeches.text:
        own_c, own_1, own_2 = [], [], []
        for para in str(text).split("\n"):
            if m := HEADING1.match(para):
                own_1.append(m.group(1).rstrip("。"))
                continue
            if m := HEADING2.match(para):
                own_2.append(m.group(1))
                para = para[m.end() :]
            own_c.extend(_split_clauses(para))
        clauses.append(own_c)
        headings1.append(own_1)
        headings2.append(own_2)
    chars = "".join(sorted({c for own in clauses for cl in own for c in cl if CJK.match(c)}))
    if not any(clauses):
        raise ValueError("the seed corpus has no usable paragraphs to build speeches from")
    return Material(clauses, headings1, headings2, chars)


def _pick(rng, items):
    """Return one item of a sequence chosen by the generator."""
    return items[int(rng.integers(len(items)))]


def _paragraph(rng, pool, n_chars) -> str:
    """Return a paragraph of recombined clauses, about n_chars long."""
    sentences, length = [], 0
    while length < n_chars:
        clauses = [_pick(rng, pool) for _ in range(int(rng.integers(2, 5)))]
        sentence = "，".join(clauses) + ("！" if rng.random() < 0.05 else "。")
        sentences.append(sentence)
        length += len(sentence)
    return "".join(sentences)


def _outline(rng, mat: Material, speeches) -> list[tuple[str, str]]:
    """Return (level-1 heading, level-2 headings joined by \\t) for a new speech."""
    h1 = [h for i in speeches for h in mat.headings1[i]] or ["进一步统一思想，提高认识"]
    h2 = [h for i in speeches for h in mat.headings2[i]] or ["要突出重点抓落实"]
    n_sections = int(rng.integers(2, 6))
    outline = []
    for _ in range(n_sections):
        subs = [_pick(rng, h2) for _ in range(int(rng.integers(0, 4)))]
        outline.append((_pick(rng, h1), subs))
    return outline


def _body(rng, mat: Material, n_chars: int) -> list[str]:
    """Return the paragraphs of a new speech body of about n_chars characters."""
    speeches = rng.choice(len(mat.clauses), size=min(3, len(mat.clauses)), replace=False)
    speeches = [int(i) for i in speeches if mat.clauses[int(i)]]
    pool = [c for i in speeches for c in mat.clauses[i]]
    outline = _outline(rng, mat, speeches)
    slots = 3 + sum(max(1, len(subs)) * 2 for _, subs in outline)
    # A paragraph overshoots its size by about half a sentence.
    size = max(60, n_chars // slots - 30)
    say = lambda: _paragraph(rng, pool, int(size * rng.uniform(0.6, 1.4)))  # noqa: E731
    count = "两" if len(outline) == 2 else NUMERALS[len(outline) - 1]
    body = ["同志们：", say(), say(), f"下面，我讲{count}点意见。"]
    for i, (head, subs) in enumerate(outline):
        body.append(f"{NUMERALS[i]}、{head}")
        if not subs:
            body += [say(), say()]
        for j, sub in enumerate(subs):
            body += [f"（{NUMERALS[j]}）{sub}。" + say(), say()]
    body.append("同志们，" + say().rstrip("。！") + "而努力奋斗！")
    return body


def _new_doc(rng, mat: Material, n_chars: int) -> Doc:
    """Return a new speech with a random header (title, speaker, date) and body."""
    scope, level = _pick(rng, SCOPES)
    title = f"在{scope}{_pick(rng, OCCASIONS)}上的讲话"
    speaker = _pick(rng, SPEAKERS)
    date = FIRST_DAY + np.timedelta64(int(rng.integers(N_DAYS)), "D")
    day = pd.Timestamp(date)
    when = f"({day.year}年{day.month}月{day.day}日)"
    layout = int(rng.integers(3))
    if layout == 0:
        header = [title, speaker, when]
    elif layout == 1:
        header = [title, " ".join(speaker) + when]
    else:
        header = [speaker + title, when]
    return Doc(title, speaker, date, level, scope, header, _body(rng, mat, n_chars))


def _near_copy(rng, body: list[str], chars: str) -> list[str]:
    """Return the body with about one CJK character in 50 replaced by another."""
    out = []
    for para in body:
        letters = list(para)
        for k in range(int(rng.integers(50)), len(letters), 50):
            if CJK.match(letters[k]):
                letters[k] = _pick(rng, chars)
        out.append("".join(letters))
    return out


def _copy_doc(rng, original: Doc, chars: str) -> tuple[Doc, str]:
    """Return a planted copy of a generated speech (truncated or near) and its kind."""
    if rng.random() < 0.5:
        keep = max(3, int(len(original.body) * rng.uniform(0.4, 0.8)))
        body, kind = original.body[:keep], "truncated"
    else:
        body, kind = _near_copy(rng, original.body, chars), "near"
    fields = {**original.__dict__, "body": body}
    return Doc(**fields), kind


def _split_word(rng, para: str, insert: str) -> str:
    """Return the paragraph with `insert` placed between two CJK characters near its middle."""
    spots = [k for k in range(len(para) // 3, len(para) - 1) if CJK.match(para[k])]
    spots = [k for k in spots if CJK.match(para[k + 1])]
    if not spots:
        return para
    k = spots[int(rng.integers(len(spots)))] + 1
    return para[:k] + insert + para[k:]


def _clutter(rng, doc: Doc) -> tuple:
    """Return (top lines, body, bottom lines, published, kinds) with clutter drawn for a file."""
    kinds = [k for k, share in CLUTTER_SHARES.items() if rng.random() < share]
    top, bottom, body = [], [], list(doc.body)
    published = pd.NaT
    site = _pick(rng, SITES)
    if "breadcrumb" in kinds:
        top.append(
            _pick(
                rng,
                (
                    f"当前位置:首页 > 领导讲话 > {doc.title}",
                    "当前位置:首页 > 领导讲话",
                    f"您所在的位置:首页  >  要闻动态  >  领导讲话  >  {doc.title}",
                ),
            )
        )
    if "publish line" in kinds:
        published = pd.Timestamp(doc.date + np.timedelta64(int(rng.integers(0, 20)), "D"))
        office = doc.scope[1:] + _pick(rng, OFFICES)
        top.append(f"发布时间: {published:%Y-%m-%d} 来源:{office}")
    long = [i for i, p in enumerate(body) if len(p) > 120]
    if "page number" in kinds and long:
        # A PDF copy: pages 2, 3, ... rise through the text, each splitting a word.
        n_pages = min(len(long), max(2, sum(map(len, body)) // 800))
        spots = sorted(int(i) for i in rng.choice(long, size=n_pages, replace=False))
        for page, i in enumerate(spots, 2):
            body[i] = _split_word(rng, body[i], f" {page} ")
    if "watermark" in kinds and long:
        i = _pick(rng, long)
        body[i] = _split_word(rng, body[i], WATERMARK.format(site=site))
    if "disclaimer" in kinds:
        bottom.append(
            "来源:网络整理 免责声明:本文仅限学习分享，如产生版权问题，请联系我们及时删除。"
        )
    if "related links" in kinds:
        bottom += ["相关主题", f"《{_pick(rng, OCCASIONS)}讲话稿》"]
    if "url" in kinds:
        bottom.append(f"http://www.{site}.com/jianghua/{int(rng.integers(10**5, 10**6))}.html")
    return top, body, bottom, published, kinds


def _html(title: str, top: list[str], header: list[str], body: list[str], bottom: list[str]):
    """Return a saved-web-page rendering of a speech."""
    crumbs = "".join(f'<div class="crumb">{x}</div>\n' for x in top)
    byline = "".join(f'<p align="center">{x}</p>\n' for x in header[1:])
    text = "".join(f"<p>{x}</p>\n" for x in body)
    foot = "".join(f'<div class="bottom">{x}</div>\n' for x in bottom)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{title}</title>\n<script>var _hmt = _hmt || [];</script></head>\n<body>\n"
        f'{crumbs}<div class="article">\n<h1>{header[0]}</h1>\n{byline}{text}</div>\n{foot}'
        "</body></html>\n"
    )


def _encode(text: str, encoding: str) -> bytes:
    """Return the file bytes; UTF-16 files carry a little-endian byte order mark."""
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")
    return text.encode(encoding)


def _render(rng, doc: Doc, fmt: str, crlf: float) -> tuple[str, pd.Timestamp, list[str]]:
    """Return the file text of a speech with its clutter, the published date and clutter kinds."""
    top, body, bottom, published, kinds = _clutter(rng, doc)
    if fmt == "html":
        return _html(doc.title, top, doc.header, body, bottom), published, kinds
    sep = "\n\n" if rng.random() < 0.5 else "\n"
    text = sep.join(top + doc.header + body + bottom) + "\n"
    if rng.random() < crlf:
        text = text.replace("\n", "\r\n")
    return text, published, kinds


def _variant(rng, shares: dict) -> tuple[str, str]:
    """Return (format, encoding) drawn for one file."""
    if rng.random() < shares["html"]:
        return "html", "utf-8"
    roll = rng.random()
    if roll < shares["gb18030"]:
        return "txt", "gb18030"
    if roll < shares["gb18030"] + shares["utf-16"]:
        return "txt", "utf-16"
    return "txt", "utf-8"


def write_file(rng, out: Path, index: int, doc: Doc, shares=None) -> dict:
    """Return the manifest row of one speech written under out/<year>/ (copy fields empty)."""
    shares = {**SHARES, **(shares or {})}
    fmt, encoding = _variant(rng, shares)
    text, published, kinds = _render(rng, doc, fmt, shares["crlf"])
    year = pd.Timestamp(doc.date).year
    name = f"{year}/{index:05d}_{rng.bytes(8).hex()}.{fmt}"
    data = _encode(text, encoding)
    (out / name).parent.mkdir(parents=True, exist_ok=True)
    (out / name).write_bytes(data)
    return {
        "file": name,
        "format": fmt,
        "encoding": encoding,
        "title": doc.title,
        "speaker": doc.speaker,
        "date": pd.Timestamp(doc.date),
        "published": published,
        "level": doc.level,
        "n_paragraphs": len(doc.body),
        "n_chars": sum(map(len, doc.body)),
        "bytes": len(data),
        "copy_of": pd.NA,
        "copy_kind": pd.NA,
        "clutter": ";".join(kinds),
    }


def _prepare(out_dir) -> Path:
    """Return the output folder, emptied of a previous synthetic corpus; never inside corpus/."""
    out = Path(out_dir).resolve()
    seeds = config.CORPUS_DIR.resolve()
    if out == seeds or seeds in out.parents:
        raise ValueError(f"refusing to write a synthetic corpus into the seed corpus: {out}")
    manifest = out / MANIFEST_NAME
    if manifest.exists():
        for name in pd.read_csv(manifest, usecols=["file"]).file:
            (out / name).unlink(missing_ok=True)
        for sub in sorted((p for p in out.iterdir() if p.is_dir()), key=str):
            if not any(sub.iterdir()):
                sub.rmdir()
        manifest.unlink()
    elif out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty and holds no synthetic corpus manifest")
    out.mkdir(parents=True, exist_ok=True)
    return out


def default_dir(n_files: int) -> Path:
    """Return the default folder of a synthetic corpus of n_files (git-ignored bench-data/)."""
    return config.PROJ_ROOT / "bench-data" / f"synthetic-{n_files}"


def make_corpus(
    out_dir=None, n_files=10_000, seed=0, target_mb=100, seeds=None, shares=None
) -> pd.DataFrame:
    """Return the manifest of a synthetic corpus written to out_dir (one row per file).

    seeds: a loaded seed Corpus (default: load_corpus(config.CORPUS_DIR)); shares: overrides of
    SHARES, the proportions of copies, GB18030, UTF-16, HTML and CRLF files.
    """
    from jianghua.corpus import load_corpus
    from jianghua.progress import progress

    out = _prepare(out_dir or default_dir(n_files))
    mat = material(seeds if seeds is not None else load_corpus(config.CORPUS_DIR))
    rng = np.random.default_rng(seed)
    # UTF-8 Chinese is 3 bytes a character; the spread makes short and long speeches.
    mean_chars = target_mb * 1e6 / max(n_files, 1) / 3
    recent, rows, shares = [], [], shares or {}
    for index in progress(range(n_files), desc="synthetic corpus"):
        n_chars = int(mean_chars * np.clip(rng.lognormal(0, 0.35), 0.3, 3))
        if recent and rng.random() < shares.get("copy", SHARES["copy"]):
            original, name = _pick(rng, recent)
            doc, kind = _copy_doc(rng, original, mat.chars)
            row = write_file(rng, out, index, doc, shares) | {"copy_of": name, "copy_kind": kind}
        else:
            doc = _new_doc(rng, mat, n_chars)
            row = write_file(rng, out, index, doc, shares)
            # Copies come from recent files only, so the generator's memory stays small.
            recent = (recent + [(doc, row["file"])])[-100:]
        rows.append(row)
    pd.DataFrame(rows, columns=MANIFEST_COLUMNS).to_csv(out / MANIFEST_NAME, index=False)
    return read_manifest(out)


def read_manifest(out_dir) -> pd.DataFrame:
    """Return the manifest written by make_corpus in out_dir."""
    manifest = pd.read_csv(Path(out_dir) / MANIFEST_NAME, parse_dates=["date", "published"])
    manifest["clutter"] = manifest["clutter"].fillna("")
    return manifest[MANIFEST_COLUMNS]


def make_one(out_dir, index: int, seed: int, seeds=None) -> dict:
    """Return the manifest row of one extra speech written to out_dir (manifest unchanged)."""
    from jianghua.corpus import load_corpus

    mat = material(seeds if seeds is not None else load_corpus(config.CORPUS_DIR))
    rng = np.random.default_rng([seed, index])
    doc = _new_doc(rng, mat, int(rng.integers(2500, 4500)))
    return write_file(rng, Path(out_dir), index, doc)
