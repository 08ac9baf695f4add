"""Coverage study: do the register's analyses cover the population truth?

For each seed a modest synthetic register is generated (``load_synthetic``, half of the
persons with a substance-use disorder) and each method below is applied to it as a
notebook would; its 95 % confidence interval is compared with the truth estimand of the
model (the untruncated population, :func:`population_truth`).

Methods
-------
mean_age_naive
    Mean age at death of the register's decedents by group (t interval), read as the
    mean age at death of *all* persons with the disorder -- the naive reading.
mean_age_window
    The same mean read as the mean age at death of persons with the disorder *who died in
    the window* (what it estimates).
hr_entry15
    Cox model other substances vs alcohol (strata sex), follow-up from age 15 or the
    window start, with the group taken from later diagnoses (immortal time).
hr_first_diagnosis
    The same with follow-up from the first substance-use diagnosis (``entry=
    "first_diagnosis"``).
mean_age_aware
    The Efron-Petrosian mean age at death (``survival.age_at_death``, each person's
    window as double truncation, bootstrap percentile interval), read as the mean age at
    death of all persons with the disorder.
hr_gompertz_window
    Gompertz hazard ratio other substances vs alcohol conditional on each person's window
    (``survival.gompertz_window``, formula ``sex + other``), follow-up from the first
    diagnosis (left truncation) to the window end (right truncation), sandwich standard
    errors (``robust=True``).

Usage::

    python benchmarks/coverage_study.py [n_seeds] [n_persons] [out.csv] [figure.png]

Prints a table of coverage, mean bias and mean estimate per method, and writes the
per-seed rows (default ``coverage_study.csv`` in the working folder; not committed).
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from scipy import stats

import harkit as hk
from harkit.synth import DEFAULTS
from harkit.synth.estimands import population_estimands


def _mean_ci(x: pd.Series) -> tuple[float, float, float]:
    m, se = float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x)))
    q = stats.t.ppf(0.975, len(x) - 1)
    return m, m - q * se, m + q * se


def _cox_hr(c: pd.DataFrame) -> tuple[float, float, float]:
    d = c[["entry_age", "age_at_death", "sex"]].copy()
    d["other"] = (c["sud_group"].astype(str) == "other_sud").astype(float)
    d["event"] = 1
    d = d[d["age_at_death"] > d["entry_age"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = CoxPHFitter().fit(d, duration_col="age_at_death", event_col="event",
                                entry_col="entry_age", strata=["sex"])
    lo, hi = np.exp(fit.confidence_intervals_.loc["other"])
    return float(np.exp(fit.params_["other"])), float(lo), float(hi)


def population_truth(n_lives: int = 600_000) -> pd.DataFrame:
    """The model's population estimands, simulated once with many lives.

    The estimands are properties of the model (``synth.DEFAULTS``), the same for every
    seed; each register's own ``truth.estimands`` differs from these only by Monte Carlo
    error, so one precise simulation is used as the fixed truth of every seed.
    """
    return population_estimands(DEFAULTS, seed=0, death_window=(1950, 2015),
                                n_lives=n_lives)


def _value(table: pd.DataFrame, name: str, **where: str) -> float:
    sel = table["estimand"] == name
    for k, v in where.items():
        sel &= table[k] == v
    return float(table.loc[sel, "value"].iloc[0])


def one_seed(seed: int, n_persons: int, truth: pd.DataFrame, n_boot: int = 200) -> list[dict]:
    """Apply every method to one register and compare with the population truth."""
    ex = hk.datasets.load_synthetic(n_persons, seed=seed, documents=False)
    rows = []
    base = hk.cohort.build(ex, sud_entry_age=15)
    sud = base[base["sud_group"].astype(str) != "none"]
    for group, tgroup in (("alcohol", "alcohol"), ("other_sud", "other_substances")):
        est, lo, hi = _mean_ci(sud.loc[sud["sud_group"].astype(str) == group,
                                       "age_at_death"])
        for method, name in (("mean_age_naive", "mean_age_at_death"),
                             ("mean_age_window", "mean_age_at_death_in_window")):
            t = _value(truth, name, sex="all", group=tgroup)
            rows.append({"seed": seed, "method": method, "target": f"{name}[{tgroup}]",
                         "estimate": est, "lower": lo, "upper": hi, "truth": t})
    aware = hk.survival.age_at_death(sud, by="sud_group", bootstrap=n_boot, seed=seed,
                                     progress=False, suppress=False).table
    for group, tgroup in (("alcohol", "alcohol"), ("other_sud", "other_substances")):
        r = aware.loc[aware["sud_group"].astype(str) == group].iloc[0]
        rows.append({"seed": seed, "method": "mean_age_aware",
                     "target": f"mean_age_at_death[{tgroup}]", "estimate": r["aware_mean"],
                     "lower": r["aware_mean_lower"], "upper": r["aware_mean_upper"],
                     "truth": _value(truth, "mean_age_at_death", sex="all", group=tgroup)})
    t_hr = _value(truth, "hazard_ratio_other_vs_alcohol", group="window")
    est, lo, hi = _cox_hr(sud)
    rows.append({"seed": seed, "method": "hr_entry15", "target": "hr_other_vs_alcohol[window]",
                 "estimate": est, "lower": lo, "upper": hi, "truth": t_hr})
    first = hk.cohort.build(ex, entry="first_diagnosis")
    first = first[first["sud_group"].astype(str) != "none"]
    est, lo, hi = _cox_hr(first)
    rows.append({"seed": seed, "method": "hr_first_diagnosis",
                 "target": "hr_other_vs_alcohol[window]", "estimate": est, "lower": lo,
                 "upper": hi, "truth": t_hr})
    first["other"] = (first["sud_group"].astype(str) == "other_sud").astype(float)
    fit = hk.survival.gompertz_window(first, "sex + other", robust=True).table
    r = fit.loc[fit["term"] == "other"].iloc[0]
    rows.append({"seed": seed, "method": "hr_gompertz_window",
                 "target": "hr_other_vs_alcohol[window]", "estimate": r["hazard_ratio"],
                 "lower": r["hr_lower"], "upper": r["hr_upper"], "truth": t_hr})
    return rows


def summarise(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Coverage, mean estimate, mean truth and mean bias per method and target."""
    d = per_seed.assign(covered=(per_seed["lower"] <= per_seed["truth"])
                        & (per_seed["truth"] <= per_seed["upper"]),
                        bias=per_seed["estimate"] - per_seed["truth"])
    return (d.groupby(["method", "target"])
            .agg(seeds=("seed", "size"), coverage=("covered", "mean"),
                 estimate=("estimate", "mean"), truth=("truth", "mean"),
                 bias=("bias", "mean"))
            .reset_index())


def plot(per_seed: pd.DataFrame, path: str) -> None:
    """Estimates of every seed against the truth, one panel per target (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    targets = list(dict.fromkeys(per_seed["target"].str.replace(r"^mean_age_at_death_in_window",
                                                                 "mean_age_at_death", regex=True)))
    fig, axes = plt.subplots(1, len(targets), figsize=(4 * len(targets), 3.2))
    for ax, target in zip(axes, targets):
        key = target.split("[")[1]
        rows = per_seed[per_seed["target"].str.endswith(f"[{key}")
                        & per_seed["target"].str.startswith(target.split("[")[0])]
        for i, (_method, g) in enumerate(rows.groupby("method")):
            ax.errorbar(g["estimate"], i + np.linspace(-0.3, 0.3, len(g)),
                        # a percentile bootstrap interval need not hold its estimate
                        xerr=[(g["estimate"] - g["lower"]).clip(lower=0),
                              (g["upper"] - g["estimate"]).clip(lower=0)],
                        fmt=".", ms=3, lw=0.5, alpha=0.6)
            ax.plot([g["truth"].iloc[0]] * 2, [i - 0.4, i + 0.4], color="k", lw=2)
        ax.set_yticks(range(rows["method"].nunique()), sorted(rows["method"].unique()))
        ax.set_title(target, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str]) -> int:
    n_seeds = int(argv[1]) if len(argv) > 1 else 50
    n_persons = int(argv[2]) if len(argv) > 2 else 4000
    out = argv[3] if len(argv) > 3 else "coverage_study.csv"
    t0 = time.perf_counter()
    truth = population_truth()
    rows = []
    for seed in range(1, n_seeds + 1):
        rows += one_seed(seed, n_persons, truth)
    per_seed = pd.DataFrame(rows)
    per_seed.to_csv(out, index=False)
    with pd.option_context("display.width", 160, "display.precision", 3):
        print(summarise(per_seed).to_string(index=False))
    print(f"{n_seeds} seeds x {n_persons:,} persons in {time.perf_counter() - t0:.0f} s")
    if len(argv) > 4:
        plot(per_seed, argv[4])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
