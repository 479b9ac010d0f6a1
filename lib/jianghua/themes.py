"""Theme coding: a dictionary of officialese themes counted in speeches, sections, paragraphs.

The dictionary lives in data/themes.yaml (its header documents the entry syntax); an analyst's
corpus/themes.yaml extends or replaces it. Every score is the sum of the hits listed by
theme_hits(), and theme_matches() gives the character offsets of each hit.
"""

import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from jianghua import config
from jianghua.memo import memoized, memoized_by_speech
from jianghua.read_text import read_analyst_text
from jianghua.structure import top_sections
from jianghua.tokens import token_codes, tokens

UNITS = ("speech", "section", "paragraph")
NEAR_GAP = 4  # "A + B": at most this many tokens between A and B
MAX_SPLIT = 6  # a word may be found split into at most this many tokens
CLAUSE_BREAK = re.compile(r"[,;:!?，。；：！？、\n]")
TOP_KEYS = {"mode", "themes"}


class ThemeFileError(Exception):
    """A theme file that cannot be used; the message names the file, line and problem."""


class ThemeWarning(UserWarning):
    """A theme file that can be used but has an entry worth a look."""


@dataclass(frozen=True)
class _Entry:
    theme: str
    term: str
    kind: str  # word | near | regex
    parts: tuple = ()
    regex: re.Pattern | None = None


# ---------------------------------------------------------------- loading


def load_themes(path=None) -> dict:
    """Return {theme: [entries]} from the shipped dictionary and an analyst's copy."""
    default = _read_theme_file(config.DATA_DIR / "themes.yaml")
    if path is None:
        candidate = config.corpus_dir() / "themes.yaml"
        path = candidate if candidate.exists() else None
    if path is None:
        themes, source = default["themes"], str(config.DATA_DIR / "themes.yaml")
    else:
        own = _read_theme_file(Path(path))
        source = str(path)
        if own["mode"] == "replace":
            themes = own["themes"]
        else:
            themes = {k: list(v) for k, v in default["themes"].items()}
            for name, entries in own["themes"].items():
                themes[name] = list(dict.fromkeys(themes.get(name, []) + entries))
    themes = {name: _usable_entries(name, entries, source) for name, entries in themes.items()}
    _warn_shared_words(themes, source)
    return themes


def _read_theme_file(path: Path) -> dict:
    """Return {"mode", "themes"} parsed from one YAML theme file, or raise ThemeFileError."""
    try:
        text = read_analyst_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeFileError(f"{path}: cannot read the theme file ({exc})") from exc
    if not text.strip():
        raise ThemeFileError(f"{path}: the file is empty (expected 'mode:' and 'themes:')")
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "unknown line"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ThemeFileError(f"{path}: {where}: not valid YAML ({problem})") from exc
    if not isinstance(root, yaml.MappingNode):
        raise ThemeFileError(f"{path}: expected 'mode:' and 'themes:' at the top of the file")
    top = {key.value: (key, value) for key, value in root.value}
    unknown = sorted(set(top) - TOP_KEYS)
    if unknown:
        line = top[unknown[0]][0].start_mark.line + 1
        raise ThemeFileError(f"{path}: line {line}: unknown key {unknown[0]!r} (use mode, themes)")
    mode = top["mode"][1].value if "mode" in top else "extend"
    if mode not in ("extend", "replace"):
        line = top["mode"][1].start_mark.line + 1
        raise ThemeFileError(f"{path}: line {line}: mode must be extend or replace, not {mode!r}")
    if "themes" not in top or not isinstance(top["themes"][1], yaml.MappingNode):
        raise ThemeFileError(f"{path}: needs a 'themes:' mapping of theme name -> list of words")
    return {"mode": mode, "themes": _theme_entries(path, top["themes"][1])}


def _theme_entries(path: Path, node: yaml.MappingNode) -> dict:
    """Return {theme: [entry strings]} from the themes mapping node, checking each theme."""
    themes = {}
    for key, value in node.value:
        name, line = str(key.value).strip(), key.start_mark.line + 1
        if name in themes:
            raise ThemeFileError(f"{path}: line {line}: theme {name!r} is defined twice")
        if isinstance(value, yaml.ScalarNode) and value.value in ("", "~", "null"):
            raise ThemeFileError(f"{path}: line {line}: theme {name!r} is empty (no words listed)")
        if not isinstance(value, yaml.SequenceNode):
            raise ThemeFileError(
                f"{path}: line {line}: theme {name!r} must be a list of '- word' lines"
            )
        entries = []
        for item in value.value:
            if not isinstance(item, yaml.ScalarNode):
                raise ThemeFileError(
                    f"{path}: line {item.start_mark.line + 1}: theme {name!r} has an entry "
                    "that is not a plain word or pattern"
                )
            entries.append(str(item.value).strip())
        entries = [e for e in entries if e]
        if not entries:
            raise ThemeFileError(f"{path}: line {line}: theme {name!r} is empty (no words listed)")
        themes[name] = entries
    return themes


def _usable_entries(theme: str, entries: list, source: str) -> list:
    """Return the entries that can match, warning (naming theme and entry) about the rest."""
    usable = []
    for term in dict.fromkeys(entries):
        reason = _unmatchable_reason(term)
        if reason:
            warnings.warn(
                f"{source}: theme {theme!r}: entry {term!r} can never match ({reason}); "
                "it is skipped",
                ThemeWarning,
                stacklevel=3,
            )
        else:
            usable.append(term)
    if not usable:
        raise ThemeFileError(f"{source}: theme {theme!r} has no entry that can match")
    return usable


def _unmatchable_reason(term: str) -> str | None:
    """Return why an entry can never match a token sequence, or None if it can."""
    if term.startswith("re:"):
        try:
            pattern = re.compile(term[3:])
        except re.error as exc:
            return f"the regular expression does not compile: {exc}"
        if pattern.search("") is not None:
            return "the regular expression matches empty text"
        return None
    for part in _split_parts(term):
        if not part:
            return "a '+' pattern needs a word on each side"
        bad = [ch for ch in part if unicodedata.category(ch)[0] in "PZCS"]
        if bad:
            return f"tokens never contain {bad[0]!r} (punctuation, spaces or symbols)"
        if part.isdigit():
            return "tokens never consist of digits"
    return None


def _split_parts(term: str) -> list:
    """Return the token parts of a word, "A B" or "A + B" entry."""
    if "+" in term:
        return [p.strip() for p in term.split("+")]
    return term.split()


def _warn_shared_words(themes: dict, source: str) -> None:
    """Warn once per entry listed under more than one theme (it counts for each)."""
    owners = {}
    for name, entries in themes.items():
        for term in entries:
            owners.setdefault(term, []).append(name)
    for term, names in owners.items():
        if len(names) > 1:
            warnings.warn(
                f"{source}: {term!r} is listed under themes {', '.join(names)}; "
                "it is counted in each of them",
                ThemeWarning,
                stacklevel=3,
            )


def _compile(themes: dict) -> list:
    """Return the matching entries of a theme dictionary."""
    compiled = []
    for theme, entries in themes.items():
        for term in entries:
            if term.startswith("re:"):
                compiled.append(_Entry(theme, term, "regex", regex=re.compile(term[3:])))
            elif "+" in term:
                compiled.append(_Entry(theme, term, "near", tuple(_split_parts(term))))
            else:  # spaces only make a phrase readable: 转变 干部 作风 = 转变干部作风
                compiled.append(_Entry(theme, term, "word", ("".join(term.split()),)))
    return compiled


def corpus_folder(corpus):
    """Return the folder a corpus was loaded from (None for corpora built in memory)."""
    root = getattr(corpus, "root", None)
    if root is None:
        return None
    root = Path(root)
    return root if root.is_dir() else root.parent


def resolve_themes(themes, corpus=None) -> dict:
    """Return a checked theme dictionary from None (the corpus folder's copy, if any, over the
    shipped file), a path or a dict."""
    if themes is None:
        folder = corpus_folder(corpus)
        if folder is None:
            return load_themes()
        own = folder / "themes.yaml"
        return _corpus_themes(own) if own.exists() else load_themes(config.DATA_DIR / "themes.yaml")
    if isinstance(themes, str | Path):
        return load_themes(themes)
    checked = {n: _usable_entries(n, list(e), "themes argument") for n, e in themes.items()}
    _warn_shared_words(checked, "themes argument")
    return checked


def _corpus_themes(own: Path) -> dict:
    """Return the themes of a corpus folder's themes.yaml, or the shipped ones if it is broken."""
    try:
        return load_themes(own)
    except ThemeFileError as exc:
        # a typo in the analyst's file must not stop every theme analysis: say so and go on
        warnings.warn(f"{exc}; the shipped themes are used instead", ThemeWarning, stacklevel=3)
        return load_themes(config.DATA_DIR / "themes.yaml")


# ---------------------------------------------------------------- matching


def _token_candidates(tok: pd.DataFrame, entries: list, codes, uniques) -> pd.DataFrame:
    """Return word and phrase matches: runs of adjacent whole tokens that spell an entry.

    codes: a word code per row of tok, into the words `uniques` (see tokens.token_codes).
    """
    table = pd.DataFrame(
        [(e.parts[0], e.theme, e.term) for e in entries if e.kind == "word"],
        columns=["key", "theme", "term"],
    )
    keys = set(table["key"])
    # runs are only extended while they spell the beginning of a longer entry
    prefixes = {k[:n] for k in keys for n in range(1, len(k))}
    uniques = np.asarray(uniques, dtype=object)
    start = tok["start"].to_numpy()
    end = start + np.array([len(u) for u in uniques], dtype=np.int64)[codes]
    same_speech = (tok["speech_id"].to_numpy()[1:] == tok["speech_id"].to_numpy()[:-1]).tolist()
    # joins[i]: token i+1 follows token i in the same speech with nothing in between
    joins = np.append(np.array(same_speech, dtype=bool) & (start[1:] == end[:-1]), False)
    is_key = np.array([u in keys for u in uniques], dtype=bool)
    is_prefix = np.array([u in prefixes for u in uniques], dtype=bool)
    found = [(np.flatnonzero(is_key[codes]), 1, uniques[codes[is_key[codes]]])]
    active = np.flatnonzero(is_prefix[codes] & joins)
    spelled = uniques[codes[active]]
    for n in range(2, MAX_SPLIT + 1):
        if not len(active):
            break
        nxt = active + n - 1
        spelled = np.array([a + b for a, b in zip(spelled, uniques[codes[nxt]], strict=True)])
        hit = np.array([w in keys for w in spelled], dtype=bool)
        found.append((active[hit], n, spelled[hit]))
        more = np.array([w in prefixes for w in spelled], dtype=bool) & joins[nxt]
        active, spelled = active[more], spelled[more]
    first = np.concatenate([f[0] for f in found])
    last = np.concatenate([f[0] + f[1] - 1 for f in found])
    runs = pd.DataFrame(
        {
            "speech_id": tok["speech_id"].to_numpy()[first],
            "key": np.concatenate([f[2] for f in found]).astype(object),
            "start": start[first],
            "end": end[last],
        }
    )
    out = runs.merge(table, on="key", how="inner")
    return out[["speech_id", "theme", "term", "start", "end"]]


def _near_candidates(tok: pd.DataFrame, entries: list, texts: dict) -> pd.DataFrame:
    """Return "A + B" matches: A, then B within NEAR_GAP tokens in the same clause."""
    rows = []
    sid, word = tok["speech_id"].to_numpy(), tok["token"].astype(str).to_numpy()
    start = tok["start"].to_numpy()
    for e in (e for e in entries if e.kind == "near"):
        first, last = e.parts[0], e.parts[-1]
        for i in np.flatnonzero(word == first):
            for j in range(i + 1, min(i + NEAR_GAP + 2, len(word))):
                if sid[j] != sid[i]:
                    break
                gap_text = texts[sid[i]][start[i] : start[j]]
                if CLAUSE_BREAK.search(gap_text):
                    break
                if word[j] == last:
                    rows.append((sid[i], e.theme, e.term, start[i], start[j] + len(last)))
                    break
    return pd.DataFrame(rows, columns=["speech_id", "theme", "term", "start", "end"])


def _regex_candidates(texts: dict, entries: list) -> pd.DataFrame:
    """Return "re:" matches found in each speech text."""
    rows = []
    for e in (e for e in entries if e.kind == "regex"):
        for sid, text in texts.items():
            rows.extend(
                (sid, e.theme, e.term, m.start(), m.end())
                for m in e.regex.finditer(text)
                if m.end() > m.start()
            )
    return pd.DataFrame(rows, columns=["speech_id", "theme", "term", "start", "end"])


def _non_overlapping(cands: pd.DataFrame) -> pd.DataFrame:
    """Return the leftmost-longest matches that do not overlap, per speech (_s) and theme (_t)."""
    order = np.lexsort(
        (
            pd.factorize(cands["term"], sort=True)[0],
            cands["start"].to_numpy() - cands["end"].to_numpy(),  # longest first
            cands["start"].to_numpy(),
            cands["_t"].to_numpy(),
            cands["_s"].to_numpy(),
        )
    )
    cands = cands.iloc[order].reset_index(drop=True)
    group = (cands["_s"].to_numpy() * (cands["_t"].max() + 1) + cands["_t"].to_numpy()).tolist()
    keep, last_group, last_end = [], -1, -1
    for g, s, e in zip(group, cands["start"].tolist(), cands["end"].tolist(), strict=True):
        if g != last_group:
            last_group, last_end = g, -1
        ok = s >= last_end
        keep.append(ok)
        if ok:
            last_end = e
    return cands[np.array(keep, dtype=bool)].reset_index(drop=True)


def theme_matches(corpus, themes=None) -> pd.DataFrame:
    """Return every theme hit: speech_id, theme, term, start, end, text (the matched text)."""
    hits = _matches(corpus, resolve_themes(themes, corpus), tokens(corpus))
    texts = dict(zip(corpus.speeches["speech_id"], corpus.speeches["text"], strict=True))
    spans = zip(hits["speech_id"], hits["start"], hits["end"], strict=True)
    return hits.assign(text=[texts[s][a:b] for s, a, b in spans])


def _matches(corpus, themes: dict, tok: pd.DataFrame) -> pd.DataFrame:
    """Return speech_id, theme, term, start, end of the theme hits, in text order."""
    entries = _compile(themes)
    texts = dict(zip(corpus.speeches["speech_id"], corpus.speeches["text"], strict=True))
    cands = pd.concat(
        [
            _token_candidates(tok, entries, *token_codes(corpus)[1:]),
            _near_candidates(tok, entries, texts),
            _regex_candidates(texts, entries),
        ],
        ignore_index=True,
    )
    speech_order = pd.Categorical(cands["speech_id"], categories=corpus.speeches["speech_id"])
    theme_order = pd.Categorical(cands["theme"], categories=list(themes))
    cands = cands.assign(_s=speech_order.codes, _t=theme_order.codes)
    hits = _non_overlapping(cands.astype({"start": int, "end": int}))
    hits = hits.sort_values(["_s", "start", "_t"], kind="stable")
    return hits.drop(columns=["_s", "_t"]).reset_index(drop=True)


# ---------------------------------------------------------------- units and tables


def text_units(corpus, unit="speech") -> pd.DataFrame:
    """Return the units of each speech: unit_id, speech_id, unit_index, start, end."""
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    rows = []
    heads = {}
    if unit == "section":
        for sid, group in top_sections(corpus.sections).groupby("speech_id", sort=False):
            heads[sid] = sorted(int(s) for s in group["start"])
    for sid, text in zip(corpus.speeches["speech_id"], corpus.speeches["text"], strict=True):
        if unit == "speech":
            rows.append((sid, sid, 0, 0, len(text)))
        elif unit == "paragraph":
            rows.extend(_paragraph_units(sid, text))
        else:
            rows.extend(_section_units(sid, text, heads.get(sid, [])))
    return pd.DataFrame(rows, columns=["unit_id", "speech_id", "unit_index", "start", "end"])


def _paragraph_units(sid: str, text: str) -> list:
    """Return the non-blank "\\n"-separated paragraphs of one speech, numbered from 0."""
    rows, offset = [], 0
    for para in text.split("\n"):
        if para.strip():
            n = len(rows)
            rows.append((f"{sid}:p{n}", sid, n, offset, offset + len(para)))
        offset += len(para) + 1
    return rows


def _section_units(sid: str, text: str, starts: list) -> list:
    """Return top-level sections numbered from 1, and the text before the first heading as 0."""
    first = starts[0] if starts else len(text)
    rows = [(f"{sid}:s0", sid, 0, 0, first)] if text[:first].strip() else []
    bounds = starts + [len(text)]
    for n, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True), start=1):
        rows.append((f"{sid}:s{n}", sid, n, a, b))
    return rows


def assign_units(df: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of df (speech_id, start, ...) that fall in a unit, with its unit_id."""
    if units["unit_id"].equals(units["speech_id"]):  # whole speeches: nothing to look up
        return df[df["speech_id"].isin(units["speech_id"])].assign(unit_id=df["speech_id"])
    # speech_id may be str or object dtype depending on the producer; merge_asof needs one
    left = df.reset_index(drop=True).assign(
        _row=lambda d: np.arange(len(d)), speech_id=lambda d: d["speech_id"].astype(object)
    )
    right = units[["speech_id", "start", "end", "unit_id"]].rename(
        columns={"start": "_ustart", "end": "_uend"}
    )
    right = right.assign(speech_id=right["speech_id"].astype(object))
    merged = pd.merge_asof(
        left.sort_values("start", kind="stable"),
        right.sort_values("_ustart", kind="stable"),
        left_on="start",
        right_on="_ustart",
        by="speech_id",
        direction="backward",
    )
    inside = merged["unit_id"].notna() & (merged["start"] < merged["_uend"])
    merged = merged[inside].sort_values("_row", kind="stable")
    return merged.drop(columns=["_row", "_ustart", "_uend"]).reset_index(drop=True)


@memoized
def theme_hits(corpus, unit="speech", themes=None) -> pd.DataFrame:
    """Return the words behind each theme score: unit_id, speech_id, theme, term, hits."""
    themes = resolve_themes(themes, corpus)
    return _hits(corpus, text_units(corpus, unit), themes, tokens(corpus))


def _hits(corpus, units: pd.DataFrame, themes: dict, tok: pd.DataFrame) -> pd.DataFrame:
    """Return theme_hits() for given units, checked themes and tokens."""
    matches = assign_units(_matches(corpus, themes, tok), units)
    hits = matches.groupby(["unit_id", "speech_id", "theme", "term"], sort=False).size()
    hits = hits.rename("hits").reset_index()
    order = {u: n for n, u in enumerate(units["unit_id"])}
    theme_order = {t: n for n, t in enumerate(themes)}
    hits = hits.assign(
        _u=hits["unit_id"].map(order), _t=hits["theme"].map(theme_order), _neg=-hits["hits"]
    )
    hits = hits.sort_values(["_u", "_t", "_neg", "term"], kind="stable")
    return hits.drop(columns=["_u", "_t", "_neg"]).reset_index(drop=True)


@memoized_by_speech
def theme_scores(corpus, unit="speech", themes=None) -> pd.DataFrame:
    """Return unit_id, speech_id, unit_index, theme, hits, n_tokens, per_1k (per 1,000 tokens)."""
    themes = resolve_themes(themes, corpus)
    units = text_units(corpus, unit)
    tok = tokens(corpus)
    if unit == "speech":  # counted already: no need to look 16 million rows up again
        n_tokens = pd.Series(token_codes(corpus)[0], index=corpus.speeches["speech_id"])
    else:
        n_tokens = assign_units(tok[["speech_id", "start"]], units).groupby("unit_id").size()
    hits = _hits(corpus, units, themes, tok).groupby(["unit_id", "theme"])["hits"].sum()
    grid = units.merge(pd.DataFrame({"theme": list(themes)}), how="cross")
    grid = grid.merge(hits.reset_index(), on=["unit_id", "theme"], how="left")
    grid["hits"] = grid["hits"].fillna(0).astype(int)
    grid["n_tokens"] = grid["unit_id"].map(n_tokens).fillna(0).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_1k = grid["hits"] / grid["n_tokens"].where(grid["n_tokens"] > 0) * 1000
    grid["per_1k"] = per_1k.astype(float)
    cols = ["unit_id", "speech_id", "unit_index", "theme", "hits", "n_tokens", "per_1k"]
    return grid[cols]


def top_hit_terms(hits: pd.DataFrame, n: int = 8) -> pd.DataFrame:
    """Return theme, term, hits: the n words behind most of each theme's hits."""
    totals = hits.groupby(["theme", "term"], as_index=False)["hits"].sum()
    totals = totals.sort_values(["theme", "hits", "term"], ascending=[True, False, True])
    return totals.groupby("theme").head(n).reset_index(drop=True)


def theme_flow(corpus, speech=None, themes=None) -> pd.DataFrame:
    """Return the paragraph-level theme scores of one speech (the longest when speech is None)."""
    from jianghua.steps import NotEnoughData

    ids = corpus.speeches.speech_id
    if ids.empty:
        raise NotEnoughData("the corpus has no speech")
    if speech is None:
        longest = corpus.speeches.sort_values(["n_chars", "speech_id"], ascending=[False, True])
        speech = longest.speech_id.iloc[0]
    elif speech not in set(ids):
        # a speech named for one corpus is missing when the notebook runs on another
        shown = ", ".join(map(str, ids.head(5))) + (" ..." if len(ids) > 5 else "")
        raise NotEnoughData(f"no speech {speech!r} in this corpus; speech ids are {shown}")
    scores = theme_scores(corpus, unit="paragraph", themes=themes)
    return scores[scores.speech_id == speech].reset_index(drop=True)
