"""Time :func:`harkit.cohort.build` on a full-size synthetic register.

Usage::

    .venv/bin/python benchmarks/bench_cohort.py [n_persons] [--seed S]

Generates the register in memory (``synth.generate``, not timed as part of the build),
then times the cohort build (cold: first harkit call of the process), and then, for
reference, ``harmonise`` of the diagnoses and the Charlson index on their own. Prints
wall times, peak RSS and the table size; it asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# run from a checkout without installing: make the repository importable
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_synth import peak_rss_gib as _rss_gib  # noqa: E402

from harkit import cohort, icd, synth  # noqa: E402


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1_300_000)
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()

    t0 = time.perf_counter()
    ex = synth.generate(args.n, seed=args.seed, progress=False)
    t_gen = time.perf_counter() - t0
    print(f"generate({args.n:,}): {t_gen:.1f} s; persons {len(ex.persons):,}, episodes "
          f"{len(ex.episodes):,}, diagnoses {len(ex.diagnoses):,}, causes "
          f"{len(ex.causes_of_death):,}, treatments {len(ex.treatments):,}")

    t0 = time.perf_counter()
    c = cohort.build(ex)
    t_b = time.perf_counter() - t0
    print(f"cohort.build: {t_b:.1f} s -> {c.shape[0]:,} rows x {c.shape[1]} columns, "
          f"{c.memory_usage(deep=True).sum() / 2**20:.0f} MiB; peak RSS {_rss_gib():.1f} GiB")
    t0 = time.perf_counter()
    dx = icd.harmonise(ex.diagnoses)
    t_h = time.perf_counter() - t0
    t0 = time.perf_counter()
    icd.charlson(dx, persons=ex.persons)
    t_c = time.perf_counter() - t0
    del dx
    print(f"  for reference (warm, same process): harmonise(diagnoses) {t_h:.1f} s, "
          f"charlson {t_c:.1f} s")
    print(c["sud_group"].value_counts().to_string())


if __name__ == "__main__":
    main()
