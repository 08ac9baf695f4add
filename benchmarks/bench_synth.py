"""Time a full-size synthetic register: generation, and (if available) CSV write/read.

Usage::

    .venv/bin/python benchmarks/bench_synth.py [n_persons] [--seed S] [--out DIR] [--no-io]

Prints wall time, peak RSS and table sizes. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# run from a checkout without installing: make the repository importable
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def peak_rss_gib() -> float:
    """Peak resident set size of this process in GiB (Linux reports KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / (1024 ** 2) if sys.platform != "darwin" else kib / 1024 ** 3


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
    ap.add_argument("n", nargs="?", type=int, default=1_300_000, help="persons to keep")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--out", default=None, help="folder for the CSV round trip (temp)")
    ap.add_argument("--no-io", action="store_true", help="skip the CSV write/read")
    ap.add_argument("--validate", action="store_true", help="also time schema validation")
    args = ap.parse_args(argv)

    from harkit import schema, synth

    t0 = time.perf_counter()
    ex = synth.generate(args.n, seed=args.seed, progress=True)
    t_gen = time.perf_counter() - t0
    print(f"generate({args.n:,}) : {t_gen:8.1f} s   peak RSS {peak_rss_gib():.2f} GiB")
    for name, df in ex.tables.items():
        mem = df.memory_usage(deep=True).sum() / 1024 ** 2
        print(f"  {name:<16} {len(df):>12,} rows  {mem:10.1f} MiB in memory")
    truth = ex.truth
    print(f"  lives simulated  {truth.notes['lives_simulated']:>12,}  "
          f"(SUD {truth.n_sud:,}, comparison {truth.n_comparison:,})")

    if args.validate:
        t0 = time.perf_counter()
        for name, df in ex.tables.items():
            schema.validate_table(name, df)
        print(f"validate all tables : {time.perf_counter() - t0:8.1f} s   "
              f"peak RSS {peak_rss_gib():.2f} GiB")

    if args.no_io:
        return 0
    try:
        from harkit.io import write_extract
    except ImportError as err:
        print(f"CSV round trip skipped: harkit.io not available ({err})")
        return 0
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="harkit-bench-"))
    try:
        t0 = time.perf_counter()
        written = write_extract(ex, out, format="csv", layout="norwegian")
        t_w = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in Path(written).rglob("*") if p.is_file())
        print(f"write_extract (Norwegian CSV) : {t_w:8.1f} s   {size / 1024 ** 2:,.0f} MiB  "
              f"peak RSS {peak_rss_gib():.2f} GiB")
        # Read in a fresh process so its peak memory is its own, not generation's.
        del ex
        subprocess.run([sys.executable, str(Path(__file__).with_name("bench_read.py")),
                        str(written)], check=True)
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
