"""Age at death in a decedents-only register: naive summaries next to truncation-aware ones.

A mean age at death compared between groups mixes the groups' mortality with the birth
cohorts the archive window lets in; the truncation-aware summaries come from the
Efron-Petrosian NPMLE (:func:`harkit.survival.truncation.efron_petrosian`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from harkit import _disclosure as dc
from harkit.plot import axes as _axes
from harkit.results import Result
from harkit.survival.truncation import efron_petrosian

__all__ = ["AgeAtDeathResult", "age_at_death"]

@dataclass
class AgeAtDeathResult(Result):
    """Naive and truncation-aware summaries of age at death, per group.

    ``table`` has one row per group with ``n``, ``naive_mean`` (+ ``_lower``/``_upper``),
    ``naive_median`` (+ CI), ``aware_mean`` and ``aware_median`` (+ bootstrap CIs when
    bootstrapped), ``naive_minus_aware_mean`` and ``support_min``/``support_max`` (the age
    range on which the truncation-aware distribution is identified). ``extra["fits"]`` maps
    each group to its :class:`EfronPetrosianResult`.
    """

    by: list[str] = field(default_factory=list)

    def plot(self, ax: Any = None, *, stat: str = "mean") -> Any:
        """Naive and truncation-aware mean (or median) age at death per group, with CIs.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        stat : {"mean", "median"}
            Which summary to draw.

        Returns
        -------
        matplotlib.axes.Axes
        """
        if stat not in ("mean", "median"):
            raise ValueError(f"stat must be 'mean' or 'median', got {stat!r}")
        ax = _axes(ax, (6, 0.5 * len(self.table) + 1.5))
        t = self.table
        labels = (t[self.by].astype(str).agg(", ".join, axis=1) if self.by
                  else pd.Series(["all"] * len(t)))
        pos = np.arange(len(t))
        for off, kind, name in ((-0.12, "naive", "naive"), (0.12, "aware", "truncation-aware")):
            est = t[f"{kind}_{stat}"].to_numpy(float)
            lo_c, hi_c = f"{kind}_{stat}_lower", f"{kind}_{stat}_upper"
            if lo_c in t:
                err = np.vstack([est - t[lo_c].to_numpy(float), t[hi_c].to_numpy(float) - est])
                ax.errorbar(est, pos + off, xerr=err, fmt="o", capsize=3, label=name)
            else:
                ax.plot(est, pos + off, "o", label=name)
        ax.set_yticks(pos, labels)
        ax.set_xlabel(f"{stat} age at death (years)")
        ax.legend()
        return ax


def _naive(a: np.ndarray, conf: float) -> dict[str, float]:
    n = a.size
    mean = float(a.mean())
    if n > 1:
        se = float(a.std(ddof=1) / np.sqrt(n))
        lo_m, hi_m = stats.t.interval(conf, n - 1, loc=mean, scale=se) if se > 0 else (mean, mean)
    else:
        lo_m = hi_m = np.nan
    srt = np.sort(a)
    # distribution-free CI of the median from binomial order statistics
    k_lo = int(stats.binom.ppf((1 - conf) / 2, n, 0.5))
    k_hi = int(stats.binom.isf((1 - conf) / 2, n, 0.5))
    med_lo = float(srt[max(k_lo - 1, 0)]) if k_lo >= 1 else np.nan
    med_hi = float(srt[min(k_hi, n - 1)]) if k_hi < n else np.nan
    return {"naive_mean": mean, "naive_mean_lower": float(lo_m), "naive_mean_upper": float(hi_m),
            "naive_median": float(np.median(a)), "naive_median_lower": med_lo,
            "naive_median_upper": med_hi}


_BIAS_NOTE = (
    "Everyone in the register has died, and only deaths inside the archive window are seen. "
    "People born late enter only if they died young, and people born early only if they lived "
    "long enough to die after the window opened, so the plain ('naive') mean and median age at "
    "death mix up who was born when with how long people lived. The truncation-aware columns "
    "reweight each death by the chance that a death at that age could be seen for that person "
    "(Efron-Petrosian NPMLE), and estimate the age-at-death distribution of everyone born in "
    "the same cohorts, on the age range the windows cover (support_min to support_max). "
    "Compare groups with the aware columns, or with gompertz_window for adjusted effects; "
    "never with the naive ones. The aware estimate assumes that within a group the "
    "age-at-death distribution does not change with birth cohort (quasi-independence of age "
    "at death and the window); where it does (e.g. the mix of drugs changes across cohorts), "
    "stratify by birth cohort or use gompertz_window."
)


def age_at_death(
    cohort: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    age: str = "age_at_death",
    entry: str = "entry_age",
    exit: str = "exit_age",
    bootstrap: int = 200,
    conf: float = 0.95,
    seed: int | np.random.Generator | None = None,
    min_n: int = 10,
    tol: float = 1e-10,
    max_iter: int = 10_000,
    progress: bool = True,
    suppress: bool = True,
    threshold: int | None = None,
) -> AgeAtDeathResult:
    """Naive and truncation-aware mean and median age at death, overall or per group.

    Parameters
    ----------
    cohort : pandas.DataFrame
        One row per person (the cohort table).
    by : str or list of str, optional
        Grouping columns (e.g. ``"sex"``, a birth-cohort or death-period column).
    age, entry, exit : str
        Columns of age at death, the age at which the person could first be seen dying (left
        truncation) and the age at the window end (right truncation), in float years.
    bootstrap : int
        Bootstrap resamples per group for the truncation-aware CIs; 0 for none.
    conf : float
        Confidence level.
    seed : int or numpy.random.Generator, optional
        Randomness of the bootstrap.
    min_n : int
        Groups with fewer persons are left out with a warning.
    tol, max_iter : float, int
        Passed to :func:`efron_petrosian`.
    progress : bool
        tqdm progress bar over the groups.
    suppress : bool, default True
        Disclosure control (:mod:`harkit.privacy`): ``n`` (and the sizes of groups left
        out, in notes and warnings) through the policy, a group's summaries left out where
        its ``n`` is hidden, ``support_min``/``support_max`` (the youngest and oldest age
        at death, each one person's) widened to whole years, and the fits in
        ``extra["fits"]`` suppressed alike (:func:`efron_petrosian`). ``False`` shows
        everything exactly.
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    AgeAtDeathResult
        ``table`` with one row per group; ``notes`` explain the bias of the naive summaries.

    Raises
    ------
    KeyError
        A named column is missing.
    ValueError
        No usable rows or no group with at least ``min_n`` persons, or an age at death
        outside the person's own window.

    Warns
    -----
    UserWarning
        Rows with missing ages dropped; small or empty groups left out.
    TruncationWarning
        Per group, as :func:`efron_petrosian`.

    Notes
    -----
    Naive mean CIs use the t distribution; naive median CIs are distribution-free (binomial
    order statistics). Truncation-aware CIs are bootstrap percentile intervals.
    """
    from tqdm.auto import tqdm

    by_cols = [by] if isinstance(by, str) else list(by or [])
    missing_cols = [c for c in [age, entry, exit, *by_cols] if c not in cohort.columns]
    if missing_cols:
        raise KeyError(f"age_at_death: column(s) {missing_cols} not in the cohort table")
    if len(cohort) == 0:
        raise ValueError("age_at_death: the cohort table is empty")
    df = cohort[[*by_cols, age, entry, exit]].copy()
    for c in (age, entry, exit):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    na = df[[age, entry, exit, *by_cols]].isna().any(axis=1)
    if na.any():
        warnings.warn(f"age_at_death: {int(na.sum())} of {len(df)} rows have a missing "
                      f"{age}, {entry}, {exit} or grouping value (e.g. a missing birth or "
                      "death date) and are left out", UserWarning, stacklevel=2)
        df = df[~na]
    if df.empty:
        raise ValueError("age_at_death: no rows with age at death and window ages")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    groups = (list(df.groupby(by_cols, observed=False, sort=True)) if by_cols
              else [((), df)])
    rows, fits, skipped = [], {}, []
    for key, g in tqdm(groups, desc="age at death", disable=not progress or len(groups) < 2):
        key = key if isinstance(key, tuple) else (key,)
        if len(g) < min_n:
            n_text = dc.count_text(len(g), threshold) if suppress else str(len(g))
            skipped.append(f"{dict(zip(by_cols, key))} (n={n_text})")
            continue
        a = g[age].to_numpy(float)
        fit = efron_petrosian(a, g[entry].to_numpy(float), g[exit].to_numpy(float),
                              bootstrap=bootstrap, seed=rng, conf=conf, tol=tol,
                              max_iter=max_iter, progress=False, suppress=suppress,
                              threshold=threshold)
        row: dict[str, Any] = dict(zip(by_cols, key))
        row["n"] = len(g)
        row.update(_naive(a, conf))
        row["aware_mean"], row["aware_median"] = fit.mean(), fit.quantile(0.5)
        if bootstrap:
            al = (1 - conf) / 2
            bt = fit.extra["bootstrap"]
            for s in ("mean", "median"):
                row[f"aware_{s}_lower"], row[f"aware_{s}_upper"] = np.quantile(
                    bt[s], [al, 1 - al])
        row["naive_minus_aware_mean"] = row["naive_mean"] - row["aware_mean"]
        row["support_min"], row["support_max"] = float(a.min()), float(a.max())
        row["connected"] = fit.extra["n_components"] == 1
        rows.append(row)
        fits[key if by_cols else "all"] = fit
    if skipped:
        warnings.warn(f"age_at_death: groups with fewer than {min_n} persons left out: "
                      + "; ".join(skipped), UserWarning, stacklevel=2)
    if not rows:
        raise ValueError(f"age_at_death: no group has at least {min_n} persons")
    cols = ["naive_mean", "naive_mean_lower", "naive_mean_upper", "aware_mean"]
    if bootstrap:
        cols += ["aware_mean_lower", "aware_mean_upper"]
    cols += ["naive_median", "naive_median_lower", "naive_median_upper", "aware_median"]
    if bootstrap:
        cols += ["aware_median_lower", "aware_median_upper"]
    cols += ["naive_minus_aware_mean", "support_min", "support_max", "connected"]
    table = pd.DataFrame(rows)[[*by_cols, "n", *cols]]
    notes = [_BIAS_NOTE]
    if not table["connected"].all():
        notes.append("In some groups the truncation-aware estimate does not exist or is not "
                     "unique (connected = False); see the warnings.")
    if skipped:
        notes.append(f"Left out (fewer than {min_n} persons): " + "; ".join(skipped))
    if suppress:
        table = _shown(table, cols, threshold)
        notes.append(dc.policy_note(threshold, extra=(
            "support_min and support_max are widened to whole years (each is one "
            "person's age at death).")))
    method = "Age at death: naive vs truncation-aware (Efron-Petrosian NPMLE)"
    return AgeAtDeathResult(table=table, method=method, notes=notes, model=None,
                            extra={"fits": fits}, by=by_cols)


def _shown(table: pd.DataFrame, cols: list[str], threshold: int | None) -> pd.DataFrame:
    """``n`` through the policy, the summaries of a hidden group left out, and the extreme
    ages widened to whole years."""
    out = dc.suppress_table(table, ["n"], threshold=threshold,
                            derived={"n": [c for c in cols if c != "connected"]})
    out["support_min"] = np.floor(out["support_min"].astype(float))
    out["support_max"] = np.ceil(out["support_max"].astype(float))
    return out
