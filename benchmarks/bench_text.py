"""Throughput of concept search over long synthetic record pages, against a plain ``re`` scan.

Usage::

    .venv/bin/python benchmarks/bench_text.py [--mb 500] [--mention-share 0.05]
        [--processes 1] [--baseline-mb 50] [--seed 0]

Pages stream from :func:`harkit.synth.pages.iter_record_pages` chunk by chunk (memory stays
bounded); each chunk is searched with ``harkit.text.search(chunk, q, context=True)`` for
the whole lexicon (``@abstinence OR @alcohol OR ...``). Only the search is timed, not the
generation. The baseline is one compiled Python ``re`` alternation of every term variant
of the lexicon, ``(?<!\\w)(?:v1|v2|...)(?!\\w)`` with ``re.IGNORECASE`` (a trailing ``*``
becomes ``\\w*``), run with ``finditer`` over each page of the first ``--baseline-mb`` MB.
MB are 10**6 bytes of UTF-8 text. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
import time
from pathlib import Path

# run from a checkout without installing: make the repository importable
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_synth import peak_rss_gib  # noqa: E402


def rss_gib() -> float:
    """Current resident set size of this process in GiB (NaN where /proc is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024 ** 2
    except OSError:
        pass
    return float("nan")


def baseline_pattern(lexicon) -> re.Pattern:
    """One ``re`` alternation of every term variant of every concept, longest first.

    Parameters
    ----------
    lexicon : harkit.text.Lexicon

    Returns
    -------
    re.Pattern
        ``(?<!\\w)(?:v1|v2|...)(?!\\w)`` compiled with ``re.IGNORECASE``.
    """
    variants = {v for c in lexicon.names for v in lexicon.variants(c)}
    alts = [re.escape(v[:-1]) + r"\w*" if v.endswith("*") else re.escape(v)
            for v in sorted(variants, key=lambda v: (-len(v), v))]
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.IGNORECASE)


def _fmt(name: str, mb: float, sec: float, hits: int) -> str:
    rate = mb / sec if sec > 0 else float("nan")
    return f"  {name:<8} {mb:10.1f} MB {sec:10.2f} s {rate:10.2f} MB/s {hits:12,} hits"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code (0).
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=500.0, help="MB of page text to search")
    ap.add_argument("--mention-share", type=float, default=0.05,
                    help="share of sentences that are labelled substance mentions")
    ap.add_argument("--processes", type=int, default=1,
                    help="passed to search(processes=N) if search takes it")
    ap.add_argument("--baseline-mb", type=float, default=50.0,
                    help="MB (the first ones) also scanned with the re baseline")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pages-per-chunk", type=int, default=20_000)
    args = ap.parse_args(argv)
    if args.mb <= 0 or args.baseline_mb < 0 or args.processes < 1:
        ap.error("--mb must be > 0, --baseline-mb >= 0 and --processes >= 1")

    from harkit.synth.pages import iter_record_pages
    from harkit.text import load_lexicon, search

    lexicon = load_lexicon()
    query = "@" + " OR @".join(lexicon.names)
    kwargs = {}
    if "processes" in inspect.signature(search).parameters:
        kwargs["processes"] = args.processes
        proc_note = f"processes={args.processes}"
    else:
        proc_note = (f"search() has no 'processes' parameter: --processes {args.processes} "
                     f"ignored, one process")
    rx = baseline_pattern(lexicon)
    n_alts = rx.pattern.count("|") + 1

    print(f"bench_text: {args.mb:g} MB of synthetic record pages, mention share "
          f"{args.mention_share:g}, seed {args.seed}")
    print(f"  query: {len(lexicon.names)} concepts ({query[:60]}...); {proc_note}")
    print(f"  baseline: one re alternation of {n_alts} term variants, re.IGNORECASE, "
          f"finditer per page, on the first {min(args.baseline_mb, args.mb):g} MB")

    # the compiled kernels are built on first use (then cached on disk): time that apart
    w0 = time.perf_counter()
    warm = next(iter_record_pages(0.1, seed=args.seed + 1, pages_per_chunk=50,
                                  mention_share=0.05))
    search(warm, query, context=True)
    print(f"  first call (compiling or loading the kernels): {time.perf_counter() - w0:.1f} s, "
          "not timed below")

    mb = t_search = t_gen = 0.0
    cpu_search = cpu_re = 0.0
    hits = skipped = pages = 0
    mb_re = t_re = 0.0
    hits_re = 0
    next_report = 100.0
    vocab: set[str] = set()
    vocab_mb = 0.0
    t0 = time.perf_counter()
    stream = iter_record_pages(args.mb, seed=args.seed, pages_per_chunk=args.pages_per_chunk,
                               mention_share=args.mention_share)
    while True:
        g0 = time.perf_counter()
        chunk = next(stream, None)
        t_gen += time.perf_counter() - g0
        if chunk is None:
            break
        texts = chunk["text"].tolist()
        sizes = [len(t.encode("utf-8")) for t in texts]
        if vocab_mb < 10:  # vocabulary of the first 10 MB (generator check)
            for t, s in zip(texts, sizes):
                if vocab_mb >= 10:
                    break
                vocab.update(re.findall(r"\w+", t.lower()))
                vocab_mb += s / 1e6

        s0, c0 = time.perf_counter(), time.process_time()
        found = search(chunk, query, context=True, **kwargs)
        t_search += time.perf_counter() - s0
        cpu_search += time.process_time() - c0
        hits += len(found)
        skipped += sum(found.attrs.get("skipped", {}).values())

        if mb_re < args.baseline_mb:
            n_re = 0
            left = args.baseline_mb - mb_re
            for s in sizes:
                if left <= 0:
                    break
                left -= s / 1e6
                n_re += 1
            r0, c0 = time.perf_counter(), time.process_time()
            for t in texts[:n_re]:
                for _ in rx.finditer(t):
                    hits_re += 1
            t_re += time.perf_counter() - r0
            cpu_re += time.process_time() - c0
            mb_re += sum(sizes[:n_re]) / 1e6

        mb += sum(sizes) / 1e6
        pages += len(texts)
        while mb >= next_report:
            print(f"  after {mb:8.1f} MB: {pages:,} pages, search {t_search:8.1f} s, "
                  f"RSS {rss_gib():.2f} GiB (peak {peak_rss_gib():.2f} GiB)", flush=True)
            next_report += 100.0
        del chunk, texts, found

    print(f"pages {pages:,}; generation {t_gen:.1f} s ({mb / max(t_gen, 1e-9):.1f} MB/s, "
          f"not timed below); unique tokens in the first {vocab_mb:.1f} MB: {len(vocab):,}")
    print(_fmt("harkit", mb, t_search, hits) + f"   skipped {skipped:,} pages")
    print(_fmt("re", mb_re, t_re, hits_re) + f"   (first {mb_re:.1f} MB only)")
    if t_search > 0 and t_re > 0 and mb_re > 0:
        ratio = (mb / t_search) / (mb_re / t_re)
        print(f"  throughput ratio harkit/re: {ratio:.2f}")
    if cpu_search > 0 and cpu_re > 0 and mb_re > 0:
        # CPU time of this process: the per-core figure, robust to other load on the machine
        # (with --processes > 1 the workers' time is not included: use wall time then)
        print(f"  per core (CPU time): harkit {mb / cpu_search:.2f} MB/s, "
              f"re {mb_re / cpu_re:.2f} MB/s, ratio {(mb / cpu_search) / (mb_re / cpu_re):.2f}")
    print(f"wall {time.perf_counter() - t0:.1f} s; RSS {rss_gib():.2f} GiB, "
          f"peak RSS {peak_rss_gib():.2f} GiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
