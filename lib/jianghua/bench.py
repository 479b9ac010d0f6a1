"""Benchmarks that print numbers: `python -m jianghua.bench segment|scale`.

segment: plain jieba against the library's engine on the seed corpus repeated to >= 10 MB,
         then term_frequencies with a cold and a warm token cache.
scale:   the whole pipeline on a synthetic corpus (jianghua.scale).
"""

import argparse
import importlib
import os
import sys
import tempfile
import time

from jianghua import config

TARGET_MB = 10.0


# ---------------------------------------------------------------- segment


def seed_texts() -> list:
    """Return the cleaned texts of the seed corpus."""
    from jianghua.corpus import load_corpus

    return load_corpus(config.CORPUS_DIR).speeches["text"].fillna("").tolist()


def repeated(texts, target_mb=TARGET_MB) -> list:
    """Return copies of the texts, each made distinct, until they hold >= target_mb of UTF-8."""
    out, size, copy = [], 0, 0
    while size < target_mb * 1e6:
        copy += 1
        for text in texts:
            # a distinct tail gives every copy its own cache entry, like a real new speech
            out.append(f"{text}\n（副本{copy}）")
            size += len(out[-1].encode("utf-8"))
    return out


def _timed(func, cpu=None):
    """Return (result, wall seconds) of calling func; cpu (a dict) gets this process's CPU s."""
    start, start_cpu = time.perf_counter(), time.process_time()
    result = func()
    if cpu is not None:
        cpu["s"] = time.process_time() - start_cpu
    return result, time.perf_counter() - start


def compare_engines(texts, workers=None) -> dict:
    """Return wall and CPU seconds of jieba and of the library engine, and token identity."""
    tk = importlib.import_module("jianghua.tokens")  # the module, not the tokens() function

    library = tk.segmenter(engine="auto")
    reference = tk.Segmenter("jieba", library.dictionary)
    reference.cut("预热")  # load both dictionaries outside the timed runs
    library.cut("预热")
    cpu = {"jieba": {}, "cut": {}, "words": {}}
    plain, t_jieba = _timed(lambda: [reference.cut(t) for t in texts], cpu["jieba"])
    fast, t_cut = _timed(lambda: [library.cut(t) for t in texts], cpu["cut"])
    words, t_words = _timed(lambda: [library.words(t) for t in texts], cpu["words"])
    pooled, t_all = _timed(lambda: tk.segment_texts(library, texts, workers))
    expected = [tk.word_tokens(t, p) for t, p in zip(texts, plain, strict=True)]
    return {
        "engine": library.engine,
        "wall": {"jieba": t_jieba, "cut": t_cut, "words": t_words, "all cores": t_all},
        "cpu": {k: v["s"] for k, v in cpu.items()},
        "identical pieces": plain == fast,
        "identical word tokens": _same(words, expected) and _same(pooled, expected),
        "pieces": sum(map(len, plain)),
    }


def _same(results, expected) -> bool:
    """Return whether two lists of (starts, tokens) are equal."""
    return all(
        a[1] == b[1] and a[0].tolist() == b[0].tolist()
        for a, b in zip(results, expected, strict=True)
    )


def cache_timings(texts) -> dict:
    """Return seconds of term_frequencies with a cold and a warm cache (in a temp folder)."""
    tk = importlib.import_module("jianghua.tokens")  # the module, not the tokens() function
    from jianghua.corpus import Corpus
    from jianghua.frequency import term_frequencies

    ids = {f"bench-{i:05d}": t for i, t in enumerate(texts)}
    saved = os.environ.get("JIANGHUA_CACHE")
    with tempfile.TemporaryDirectory(prefix="jianghua-bench-") as tmp:
        os.environ["JIANGHUA_CACHE"] = tmp
        try:
            tk.clear_memory()
            _, cold = _timed(lambda: term_frequencies(Corpus.from_texts(ids)))
            tk.clear_memory()  # a restarted notebook: only the disk cache is left
            _, warm = _timed(lambda: term_frequencies(Corpus.from_texts(ids)))
            _, again = _timed(lambda: term_frequencies(Corpus.from_texts(ids)))
        finally:
            tk.clear_memory()
            if saved is None:
                os.environ.pop("JIANGHUA_CACHE", None)
            else:
                os.environ["JIANGHUA_CACHE"] = saved
    return {"cold": cold, "warm (disk cache)": warm, "warm (same session)": again}


def bench_segment(args) -> int:
    """Print segmentation throughput, the speed-up, token identity and cache timings."""
    texts = repeated(seed_texts(), args.mb)
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"corpus: {len(texts)} speeches, {mb:.1f} MB (seed corpus repeated)")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"cores: {os.cpu_count()}, load average {load} (wall times suffer on a busy machine)")
    r = compare_engines(texts, args.workers)
    wall, cpu, name = r["wall"], r["cpu"], r["engine"]
    print(f"jieba (accurate mode, HMM, same dictionary): {mb / wall['jieba']:6.2f} MB/s wall")
    for key, label in (("cut", "engine alone"), ("words", "engine + word filter")):
        print(
            f"{name}, {label}, one core: {mb / wall[key]:6.2f} MB/s wall"
            f" = {wall['jieba'] / wall[key]:.1f}x jieba; CPU time {cpu['jieba'] / cpu[key]:.1f}x"
        )
    print(
        f"{name}, engine + word filter, all {args.workers or os.cpu_count()} cores:"
        f" {mb / wall['all cores']:6.2f} MB/s wall = {wall['jieba'] / wall['all cores']:.1f}x jieba"
    )
    print(f"identical pieces ({r['pieces']:,} incl. punctuation): {r['identical pieces']}")
    print(f"identical word tokens (text and offsets): {r['identical word tokens']}")
    c = cache_timings(texts)
    for label, seconds in c.items():
        print(f"term_frequencies, {label}: {seconds:.2f} s")
    return 0 if r["identical pieces"] and r["identical word tokens"] else 1


# ---------------------------------------------------------------- scale (jianghua.scale)


def bench_scale(argv) -> int:
    """Run the scale benchmark (owned by jianghua.scale) with the remaining arguments."""
    from jianghua import scale

    return scale.main(argv)


# ---------------------------------------------------------------- command line


def main(argv=None) -> int:
    """Dispatch `segment` or `scale`; return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["scale"]:
        return bench_scale(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m jianghua.bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    seg = sub.add_parser("segment", help="jieba vs the library engine, cache cold/warm")
    seg.add_argument("--mb", type=float, default=TARGET_MB, help="corpus size (default 10)")
    seg.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    sub.add_parser("scale", help="the whole pipeline on a synthetic corpus (jianghua.scale)")
    args = parser.parse_args(argv)
    return bench_segment(args)


if __name__ == "__main__":
    sys.exit(main())
