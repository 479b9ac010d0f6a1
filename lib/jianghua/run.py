"""The main job: rerun every notebook headless, then write the gallery and a summary."""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import pandas as pd

from jianghua import config


def notebook_paths(folder=None) -> list[Path]:
    """Return the notebooks to run, in their numbered order."""
    return sorted(Path(folder or config.NOTEBOOKS_DIR).glob("[0-9][0-9]_*.ipynb"))


def run_notebook(path: Path, corpus: Path, figures: Path) -> dict:
    """Return the outcome of executing one notebook with papermill into figures/notebooks/."""
    import papermill

    out = figures / "notebooks" / path.name
    out.parent.mkdir(parents=True, exist_ok=True)
    os.environ["JIANGHUA_NOTEBOOK"] = path.stem
    params = {"corpus_dir": str(corpus), "figures_dir": str(figures)}
    started = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(path),
            str(out),
            parameters=params,
            kernel_name="python3",
            cwd=str(path.parent),
            progress_bar=False,
            # ipykernel warns on every start that its local TCP sockets are unencrypted:
            # four identical lines in the job's output that say nothing about the corpus
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        error = ""
    except papermill.PapermillExecutionError as exc:
        # One failing notebook must not stop the others; the summary names it.
        error = f"{exc.ename}: {exc.evalue}"
    finally:
        os.environ.pop("JIANGHUA_NOTEBOOK", None)
    seconds = round(time.perf_counter() - started, 1)
    return {"notebook": path.name, "ok": not error, "seconds": seconds, "error": error}


def clear_outputs(figures: Path) -> int:
    """Return how many figures of an earlier run were deleted from the figures folder.

    A figure this run cannot draw (one speaker, no dates) must not survive from an earlier
    run on another corpus; only files named by a figure's sidecar (.json) are touched.
    """
    from jianghua.steps import clear_skipped

    clear_skipped(figures)
    cleared = 0
    for sidecar in sorted(figures.glob("*.json")):
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not a sidecar of ours: leave it
        if not isinstance(meta, dict) or meta.get("name") != sidecar.stem:
            continue
        for name in dict(meta.get("files") or {}).values():
            (figures / Path(name).name).unlink(missing_ok=True)
        sidecar.unlink()
        cleared += 1
    return cleared


def skipped_problems(figures: Path) -> pd.DataFrame:
    """Return the analyses the notebooks could not do, as problems rows (severity "skipped")."""
    from jianghua.corpus import PROBLEM_COLUMNS
    from jianghua.steps import read_skipped

    rows = [
        {
            "source": f"{s['notebook']}.ipynb",
            "severity": "skipped",
            "message": f"{s['step']}: {s['reason']}",
        }
        for s in read_skipped(figures)
    ]
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS)


# A summary lists this many problems at most, errors first; problems.csv holds them all.
MAX_LISTED = 20


def _by_severity(problems: pd.DataFrame) -> str:
    """Return " (2 errors, 170 warnings)" for a problems table, "" when it is empty."""
    counts = problems["severity"].value_counts()
    parts = [f"{counts[s]} {s}{'s' if counts[s] > 1 else ''}" for s in sorted(counts.index)]
    return f" ({', '.join(parts)})" if parts else ""


def _problem_lines(problems: pd.DataFrame, figures: Path) -> list[str]:
    """Return a line per problem, errors first, at most MAX_LISTED and then how many more."""
    ranked = problems.assign(_rank=problems["severity"].ne("error")).sort_values(
        "_rank", kind="mergesort"
    )
    lines = [
        f"  - {r.source}: {r.severity}: {r.message}" for r in ranked.head(MAX_LISTED).itertuples()
    ]
    if len(ranked) > MAX_LISTED:
        lines.append(f"  … and {len(ranked) - MAX_LISTED} more in {figures / 'problems.csv'}")
    return lines


def summary_text(runs: pd.DataFrame, corpus, figures: Path, skipped=None, n_files=None) -> str:
    """Return the closing summary: speeches, problems, analyses not done, figures and where.

    n_files: speech files found in the corpus folder, when known; the files that gave no
    speech are then counted too ("from 0 files" alone hid that four files were there).
    """
    pngs = sorted(figures.glob("*.png"))
    skipped = skipped if skipped is not None else pd.DataFrame(columns=["source", "message"])
    used = corpus.speeches.source.nunique()
    unused = (n_files or 0) - used
    lines = [
        f"Speeches loaded: {len(corpus.speeches)} from {used} files"
        + (f" ({unused} more files gave no speech)" if unused > 0 else ""),
        f"Problems: {len(corpus.problems)}"
        + _by_severity(corpus.problems)
        + (f" (see {figures / 'problems.csv'})" if len(corpus.problems) else ""),
    ]
    lines += _problem_lines(corpus.problems, figures)
    if corpus.speeches.empty and len(skipped):
        # every step fails for the same reason: one line instead of one per figure
        lines.append(f"Analyses not done: {len(skipped)} (no speech to analyse)")
    else:
        lines.append(f"Analyses not done: {len(skipped)}")
        lines += [f"  - {r.source}: {r.message}" for r in skipped.itertuples()]
    lines.append(f"Figures written: {len(pngs)} PNG (+ SVG, CSV) in {figures}")
    lines.append(f"Gallery: {figures / 'index.html'}")
    for r in runs.itertuples():
        state = "ok" if r.ok else f"FAILED: {r.error}"
        lines.append(f"  {r.notebook}: {state} ({r.seconds} s)")
    return "\n".join(lines)


def main(argv=None) -> int:
    """Return an exit code after running the notebooks, writing the gallery and the summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", default=None, help="corpus folder (default: corpus/)")
    parser.add_argument("--figures", default=None, help="figures folder (default: figures/)")
    args = parser.parse_args(argv)
    corpus_dir = config.corpus_dir(args.corpus).resolve()
    figures = config.figures_dir(args.figures).resolve()
    figures.mkdir(parents=True, exist_ok=True)
    os.environ["JIANGHUA_CORPUS"], os.environ["JIANGHUA_FIGURES"] = str(corpus_dir), str(figures)

    from jianghua import load_corpus
    from jianghua.gallery import write_gallery
    from jianghua.read import list_files

    clear_outputs(figures)
    runs = pd.DataFrame([run_notebook(p, corpus_dir, figures) for p in notebook_paths()])
    corpus = load_corpus(corpus_dir)
    n_files = len(list_files(corpus_dir)[0])
    skipped = skipped_problems(figures)
    problems = pd.concat([corpus.problems, skipped], ignore_index=True)
    problems.to_csv(figures / "problems.csv", index=False)
    write_gallery(figures)
    text = summary_text(runs, corpus, figures, skipped, n_files)
    (figures / "summary.txt").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0 if runs.ok.all() else 1


if __name__ == "__main__":
    sys.exit(main())
