"""Time audited secondary suppression, and attack its output and the old rule's.

Usage::

    .venv/bin/python benchmarks/bench_privacy.py [n_tables] [--seed S] [--policy report]

Draws random wide cross-tables (4x4 to 10x8 interior cells, with row and column totals;
cells a mix of small counts, zeros and larger counts), then for each:

- the old rule (line rule only, zeros allowed as complements) is attacked with the LP
  audit, an attacker who knows only that hidden counts are at least 0;
- :func:`harkit.privacy.suppress` (``secondary=True``) is timed, and its output attacked
  with :func:`harkit.privacy.audit`.

It prints how many tables leak (a primary cell pinned to one value, or narrowed below the
rule ``hi - lo >= threshold``), the complements hidden and the time per table, then times a
few 30x12 tables. With ``--pairs N`` it also suppresses N pairs of tables that share their
column totals (deaths by sex x cause and by age group x cause), each on its own, and
attacks each pair with :func:`harkit.privacy.attack_tables`. It prints figures; it asserts
nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

# run from a checkout without installing: make the repository importable
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harkit import privacy  # noqa: E402
from harkit.privacy._grid import grids  # noqa: E402
from harkit.privacy._lp import grid_system  # noqa: E402
from harkit.privacy._secondary import line_rule  # noqa: E402
from harkit.privacy.suppression import count_array  # noqa: E402


def random_table(rng: np.random.Generator, n_rows: int, n_cols: int,
                 threshold: int) -> pd.DataFrame:
    """A wide table with margins: about 25 % small counts, 10 % zeros, the rest 5-300."""
    u = rng.random((n_rows, n_cols))
    big = np.round(np.exp(rng.uniform(np.log(5), np.log(300), (n_rows, n_cols))))
    small = rng.integers(1, threshold, (n_rows, n_cols))
    cells = np.where(u < 0.25, small, np.where(u < 0.35, 0, big)).astype(int)
    t = pd.DataFrame(cells, index=[f"r{i}" for i in range(n_rows)],
                     columns=[f"c{j}" for j in range(n_cols)])
    t["Total"] = t.sum(axis=1)
    t.loc["Total"] = t.sum(axis=0)
    return t


def old_rule_leaks(table: pd.DataFrame, threshold: int, round_to: int | None
                   ) -> tuple[bool, bool, int]:
    """(pinned, narrowed, complements) of the line rule alone, against the LP attack."""
    cols = list(table.columns)
    values = count_array(table, cols)
    grid = grids(table, cols, values)[0]
    primary = (values > 0) & (values < threshold)
    mask = primary.copy()
    line_rule(grid, mask, old=True)
    gs = grid_system(grid)
    # the old rule hides zeros, so its attacker knows only that a hidden count is >= 0
    shown = privacy.round_counts(values, round_to)
    lo, hi = gs.bounds(mask, shown, threshold=threshold, round_to=round_to, hidden_min=0.0)
    pinned = narrowed = False
    for k in gs.index[primary]:
        a, b, _ = gs.system.interval(int(k), lo, hi)
        pinned |= a == b
        narrowed |= b - a < threshold
    return pinned, narrowed, int((mask & ~primary).sum())


def new_rule(table: pd.DataFrame) -> tuple[bool, bool, int, float, bool]:
    """(pinned, narrowed, complements, seconds, warned) of suppress + audit."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        out = privacy.suppress(table, secondary=True)
        seconds = time.perf_counter() - start
    res = privacy.audit(table, out)
    prim = res[res["primary"]]
    pinned = bool((prim["lo"] == prim["hi"]).any())
    narrowed = bool((~prim["protected"]).any())
    return pinned, narrowed, out.attrs["secondary_cells"], seconds, bool(caught)


def shared_pair(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two wide tables with margins that share their column totals (the causes)."""
    n_causes = int(rng.integers(3, 6))
    totals = np.where(rng.random(n_causes) < 0.4, rng.integers(2, 12, n_causes),
                      rng.integers(12, 80, n_causes))
    women = rng.binomial(totals, 0.5)
    ages = np.array([rng.multinomial(t, rng.dirichlet([1, 1, 1])) for t in totals]).T

    def wide(cells: np.ndarray, index: list[str]) -> pd.DataFrame:
        t = pd.DataFrame(cells, index=index, columns=[f"c{j}" for j in range(n_causes)])
        t["Total"] = t.sum(axis=1)
        t.loc["Total"] = t.sum(axis=0)
        return t

    by_sex = wide(np.vstack([women, totals - women]), ["f", "m"])
    return by_sex, wide(ages, ["young", "middle", "old"])


def attack_pairs(rng: np.random.Generator, n_pairs: int) -> None:
    """Suppress each table of a pair on its own; attack the pair together."""
    found = {"disclosed": 0, "narrowed": 0}
    start = time.perf_counter()
    for _ in range(n_pairs):
        a, b = shared_pair(rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", privacy.DisclosureWarning)
            shown = {"A": privacy.suppress(a, secondary=True),
                     "B": privacy.suppress(b, secondary=True)}
        res = privacy.attack_tables(shown)
        for flag in found:
            found[flag] += bool(res[flag].any())
    if not n_pairs:
        return
    per = (time.perf_counter() - start) / n_pairs
    print(f"pairs sharing a margin: {found['disclosed']} of {n_pairs} with a small cell "
          f"recovered exactly, {found['narrowed']} narrowed below the rule "
          f"({per:.2f} s per pair)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n_tables", nargs="?", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--policy", choices=["default", "report"], default="default")
    ap.add_argument("--pairs", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    privacy.set_policy(args.policy)
    pol = privacy.get_policy()
    print(f"policy: {pol.describe()}; {args.n_tables} tables 4x4..10x8 with totals")
    old, new = [], []
    for _ in range(args.n_tables):
        t = random_table(rng, int(rng.integers(4, 11)), int(rng.integers(4, 9)), pol.threshold)
        old.append(old_rule_leaks(t, pol.threshold, pol.round_to))
        new.append(new_rule(t))
    old_a, new_a = np.array(old, dtype=float), np.array(new, dtype=float)
    n = args.n_tables
    print(f"old line rule:  {int(old_a[:, 0].sum()):4d} tables with a cell pinned "
          f"({old_a[:, 0].mean():.1%}), {int(old_a[:, 1].sum()):4d} narrowed below the rule "
          f"({old_a[:, 1].mean():.1%}); complements {old_a[:, 2].mean():.1f} per table")
    print(f"audited rule:   {int(new_a[:, 0].sum()):4d} tables with a cell pinned, "
          f"{int(new_a[:, 1].sum()):4d} narrowed below the rule "
          f"({int(new_a[:, 4].sum())} of {n} warned); "
          f"complements {new_a[:, 2].mean():.1f} per table")
    sec = new_a[:, 3]
    print(f"time per table: mean {sec.mean() * 1e3:.0f} ms, median "
          f"{np.median(sec) * 1e3:.0f} ms, 95th percentile {np.quantile(sec, 0.95) * 1e3:.0f} "
          f"ms, max {sec.max() * 1e3:.0f} ms")
    big = [random_table(rng, 30, 12, pol.threshold) for _ in range(5)]
    times = [new_rule(t)[3] for t in big]
    print(f"30x12 tables: {', '.join(f'{s:.2f}' for s in times)} s")
    attack_pairs(rng, args.pairs)


if __name__ == "__main__":
    main()
