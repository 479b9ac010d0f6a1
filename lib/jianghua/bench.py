"""Benchmarks that print numbers: `python -m jianghua.bench segment|scale`.

segment: plain jieba against the library's engine on the seed corpus repeated to >= 10 MB,
         then term_frequencies with a cold and a warm token cache.
scale:   the whole pipeline on a synthetic corpus (jianghua.scale).
"""

import argparse
import contextlib
import os
import sys
import tempfile
import time

from jianghua import config, memo

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


def _best_of(func, repeat):
    """Return (result, fastest wall seconds, its CPU seconds) over repeat calls of func."""
    best = None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = func()
        timing = (time.perf_counter() - start, time.process_time() - start_cpu)
        best = timing if best is None or timing < best else best
    return result, *best


def compare_engines(texts, workers=None, repeat=3) -> dict:
    """Return the best wall and CPU seconds of jieba and of the library engine, and identity."""
    from jianghua.segment import Segmenter, segment_coded, segmenter, word_tokens

    library = segmenter(engine="auto")
    reference = Segmenter("jieba", library.dictionary)
    reference.cut("预热")  # load both dictionaries outside the timed runs
    library.cut("预热")
    wall, cpu = {}, {}
    # the machine's speed drifts: alternate the runs and keep each one's best
    runs = {
        "jieba": lambda: [reference.cut(t) for t in texts],
        "cut": lambda: [library.cut(t) for t in texts],
        # word tokens as tokens() makes them: int32 codes into the words (see segment_coded)
        "words": lambda: list(segment_coded(library, texts, 1)),
        "all cores": lambda: list(segment_coded(library, texts, workers)),
    }
    results = {}
    for _ in range(repeat):
        for name, run in runs.items():
            result, seconds, cpu_seconds = _best_of(run, 1)
            results[name] = result
            wall[name] = min(wall.get(name, seconds), seconds)
            cpu[name] = min(cpu.get(name, cpu_seconds), cpu_seconds)
    plain = results["jieba"]
    expected, wall["filter"], _ = _best_of(
        lambda: [word_tokens(t, p) for t, p in zip(texts, plain, strict=True)], repeat
    )
    return {
        "engine": library.engine,
        "wall": wall,
        "cpu": cpu,
        "identical pieces": plain == results["cut"],
        "identical word tokens": _same(results["words"], expected)
        and _same(results["all cores"], expected),
        "pieces": sum(map(len, plain)),
    }


def _same(coded, expected) -> bool:
    """Return whether (starts, words, codes) per text equal the (starts, tokens) expected."""
    return all(
        [words[c] for c in codes.tolist()] == tokens and starts.tolist() == want.tolist()
        for (starts, words, codes), (want, tokens) in zip(coded, expected, strict=True)
    )


@contextlib.contextmanager
def _environment(**values):
    """Set environment variables for the duration of a with block, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def cache_timings(texts) -> dict:
    """Return seconds of term_frequencies with a cold and a warm cache (in a temp folder)."""
    from jianghua.corpus import Corpus
    from jianghua.frequency import term_frequencies
    from jianghua.tokens import clear_memory

    ids = {f"bench-{i:05d}": t for i, t in enumerate(texts)}

    def timed(**env):
        with _environment(**env):
            return _best_of(lambda: term_frequencies(Corpus.from_texts(ids)), 1)[1]

    timings = {}
    with tempfile.TemporaryDirectory(prefix="jianghua-bench-") as tmp:
        try:
            clear_memory()
            timings["cold (nothing cached)"] = timed(JIANGHUA_CACHE=tmp)
            clear_memory()  # a restarted notebook: only the disk caches are left
            no_results = {"JIANGHUA_CACHE": tmp, memo.DISABLE_ENV: "1"}
            timings["warm, token cache on disk (result cache off)"] = timed(**no_results)
            clear_memory()
            timings["warm, result cache on disk"] = timed(JIANGHUA_CACHE=tmp)
            timings["warm, same session"] = timed(JIANGHUA_CACHE=tmp)
        finally:
            clear_memory()
    return timings


def bench_segment(args) -> int:
    """Print segmentation throughput, the speed-up, token identity and cache timings."""
    texts = repeated(seed_texts(), args.mb)
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"corpus: {len(texts)} speeches, {mb:.1f} MB (seed corpus repeated)")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"cores: {os.cpu_count()}, load average {load}; best of {args.repeat} runs each")
    r = compare_engines(texts, args.workers, args.repeat)
    wall, cpu, name = r["wall"], r["cpu"], r["engine"]
    cores = args.workers or os.cpu_count()
    print("segmentation into jieba's pieces (accurate mode, HMM, same dictionary):")
    print(f"  jieba, one core:              {mb / wall['jieba']:6.2f} MB/s")
    print(
        f"  {name}, one core:             {mb / wall['cut']:6.2f} MB/s"
        f" = {wall['jieba'] / wall['cut']:.1f}x jieba (CPU time {cpu['jieba'] / cpu['cut']:.1f}x)"
    )
    print(f"  identical pieces ({r['pieces']:,} incl. punctuation): {r['identical pieces']}")
    print("word tokens (pieces, then punctuation, numbers and URLs dropped), as tokens() does:")
    jieba_words = wall["jieba"] + wall["filter"]
    print(f"  jieba + the word filter, one core: {mb / jieba_words:6.2f} MB/s")
    for key, label in (("words", "one core"), ("all cores", f"all {cores} cores")):
        print(
            f"  library engine, {label}: {mb / wall[key]:6.2f} MB/s"
            f" = {jieba_words / wall[key]:.1f}x jieba"
        )
    print(f"  identical word tokens (text and offsets): {r['identical word tokens']}")
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
    seg.add_argument("--repeat", type=int, default=3, help="runs of each, best kept (default 3)")
    sub.add_parser("scale", help="the whole pipeline on a synthetic corpus (jianghua.scale)")
    args = parser.parse_args(argv)
    return bench_segment(args)


if __name__ == "__main__":
    sys.exit(main())
