"""Time ``harkit.read_extract`` on a delivery, in a process of its own.

Usage::

    .venv/bin/python benchmarks/bench_read.py DELIVERY_DIR

Prints wall time, peak RSS (of this process alone, so generation does not inflate it),
rows read per table and rejects. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    """Read the delivery and print the figures.

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
    ap.add_argument("path", help="delivery folder or file")
    args = ap.parse_args(argv)

    from bench_synth import peak_rss_gib

    from harkit.io import read_extract

    t0 = time.perf_counter()
    extract = read_extract(args.path)
    elapsed = time.perf_counter() - t0
    print(f"read_extract : {elapsed:8.1f} s   peak RSS {peak_rss_gib():.2f} GiB "
          "(reading process alone)")
    for name, df in extract.tables.items():
        print(f"  {name:<16} {len(df):>12,} rows")
    print(f"  rejects {len(extract.rejects):,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
