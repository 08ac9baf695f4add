"""Years of life lost by decedents against Norwegian population life tables.

For a decedent, years of life lost here is the period life expectancy remaining at the age
and calendar year of death, by sex (observed deaths against the population life table; the
bundled Norwegian HMD tables, www.mortality.org, CC BY 4.0). Andersen's definition needs
follow-up from diagnosis with censoring, which a decedents-only register does not have.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from harkit import _disclosure as dc
from harkit import privacy
from harkit.lifetables import HMD_CITATION, LifeTable, norway_life_table
from harkit.plot import axes as _axes
from harkit.results import Result


@lru_cache(maxsize=1)
def _default_life_table() -> LifeTable:
    return norway_life_table(sex=("female", "male", "total"))


@dataclass(repr=False)
class YLLResult(Result):
    """Years of life lost against population life tables (see :func:`life_years_lost`)."""

    def plot(self, ax: Any = None) -> Any:
        """Bar chart of mean years of life lost per death with CIs.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        t = self.table
        ax = _axes(ax, (6, 0.3 * len(t) + 1))
        keys = [c for c in t.columns[: list(t.columns).index("n")]]
        labels = [" / ".join(str(r[k]) for k in keys) or "all" for _, r in t.iterrows()]
        y = np.arange(len(t))[::-1]
        ax.barh(y, t["mean_yll"], xerr=[t["mean_yll"] - t["mean_ci_low"],
                                        t["mean_ci_high"] - t["mean_yll"]], capsize=2)
        ax.set_yticks(y)
        ax.set_yticklabels(labels)
        ax.set_xlabel("years of life lost per death")
        return ax


def remaining_life_at_death(
    cohort: pd.DataFrame,
    *,
    age: str = "age_at_death",
    sex: str = "sex",
    death_year: str = "death_year",
    by: str | Sequence[str] | None = None,
    cause: str | None = None,
    life_table: LifeTable | None = None,
    ci: str = "normal",
    n_boot: int = 1000,
    seed: int | np.random.Generator | None = None,
    alpha: float = 0.05,
    progress: bool = True,
    outside_years: str = "nearest",
    suppress: bool = True,
    threshold: int | None = None,
) -> YLLResult:
    """Remaining period life expectancy at death (years of life lost by decedents, YLL).

    Formerly ``life_years_lost`` (still accepted). For Andersen's life-years lost over an
    age range (R ``lillies``) see :func:`harkit.survival.andersen_life_years_lost`.

    Each decedent loses ``e_ref(age, year, sex)``, the remaining life expectancy of the
    general population of the same sex at their exact age at death (linear interpolation
    between single years) in the calendar year of death. Totals and means are given by group
    (``by``) and cause.

    Parameters
    ----------
    cohort : pandas.DataFrame
        One row per decedent.
    age, sex, death_year : str
        Columns of age at death (float years), sex (``male``/``female``; other or missing
        values use the both-sex table with a warning) and calendar year of death.
    by : str or sequence of str, optional
        Grouping columns (e.g. ``"sud_group"``).
    cause : str, optional
        Cause column (e.g. ``"underlying_cause_group"``); gives one row per group and cause
        with the cause's share of the group's YLL.
    life_table : LifeTable, optional
        Reference tables keyed by ``year`` and ``sex``; default the bundled Norwegian HMD
        tables (:func:`harkit.lifetables.norway_life_table`).
    ci : {"normal", "bootstrap"}
        Normal approximation, or percentile bootstrap resampling decedents within groups.
    n_boot : int
        Bootstrap replicates.
    seed : int or numpy.random.Generator, optional
        Bootstrap randomness.
    alpha : float
        1 - confidence level.
    progress : bool
        tqdm progress bar over groups for the bootstrap.
    outside_years : {"nearest", "raise"}
        Death years outside the life tables use the nearest year (with a warning) or raise.
    suppress : bool, default True
        Disclosure control (:mod:`harkit.privacy`): ``n`` through the policy (with
        ``cause``, each group's causes with secondary suppression, the group's deaths
        being public elsewhere); every figure of a row whose ``n`` is hidden is left out
        (the total over the mean gives ``n`` back, and the mean age of one death is that
        person's). ``extra["per_person"]`` is row-level working data, not for display.
        ``False`` shows everything exactly.
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    YLLResult
        ``table``: grouping columns, n (deaths), total_yll (with total_ci_low/high), mean_yll
        (per death, with mean_ci_low/high), mean_age_at_death, share_of_group_yll (with
        ``cause``). ``extra["per_person"]``: the YLL of each decedent.

    Raises
    ------
    ValueError
        Missing columns, an empty table, negative ages, bad options.

    Warns
    -----
    UserWarning
        Rows dropped for missing values, unknown sex, death years outside the tables.

    Notes
    -----
    This is observed vs expected: the expected remaining life of the general population at
    the age and year each person died. It is not Andersen's life-years lost (Andersen
    2013; :func:`harkit.survival.andersen_life_years_lost`), which integrates
    cause-specific cumulative incidence over an age range and needs a cohort at risk
    including survivors. Life tables: HMD, www.mortality.org,
    CC BY 4.0.
    """
    if ci not in ("normal", "bootstrap"):
        raise ValueError("ci must be 'normal' or 'bootstrap'")
    if outside_years not in ("nearest", "raise"):
        raise ValueError("outside_years must be 'nearest' or 'raise'")
    by_cols = [by] if isinstance(by, str) else list(by or [])
    keys = by_cols + ([cause] if cause else [])
    if not isinstance(cohort, pd.DataFrame) or cohort.empty:
        raise ValueError("the cohort table is empty")
    for c in [age, sex, death_year, *keys]:
        if c not in cohort.columns:
            raise ValueError(f"column {c!r} not in the cohort table")
    req = [age, death_year, *keys]
    bad = cohort[req].isna().any(axis=1)
    if bad.all():
        raise ValueError(f"every row has a missing value in {req}")
    if bad.any():
        warnings.warn(f"{int(bad.sum())} of {len(cohort)} rows dropped for missing "
                      f"{[c for c in req if cohort[c].isna().any()]}", stacklevel=2)
    # a grouping column may be sex or death_year itself: select each column once
    d = cohort.loc[~bad, list(dict.fromkeys([age, sex, death_year, *keys]))].copy()
    if (d[age] < 0).any():
        raise ValueError(f"negative values in {age!r}")
    lt = life_table if life_table is not None else _default_life_table()
    if set(lt.by) != {"year", "sex"}:
        raise ValueError("life_table must have tables by 'year' and 'sex'")
    sx = d[sex].astype(object).where(d[sex].isin(["female", "male"]), "total")
    if (sx == "total").any():
        warnings.warn(f"{int((sx == 'total').sum())} decedents with sex not male/female use "
                      "the both-sex life table", stacklevel=2)
    years = lt.table["year"].unique()
    yr = d[death_year].astype(int).to_numpy()
    outside = (yr < years.min()) | (yr > years.max())
    if outside.any():
        if outside_years == "raise":
            raise ValueError(f"death years {sorted(set(yr[outside]))} outside the life tables "
                             f"({years.min()}-{years.max()})")
        warnings.warn(f"{int(outside.sum())} death years outside {years.min()}-{years.max()} "
                      "use the nearest table year", stacklevel=2)
        yr = np.clip(yr, years.min(), years.max())
    d["yll"] = lt.remaining(d[age].to_numpy(float), year=yr, sex=sx.to_numpy())
    z = stats.norm.ppf(1 - alpha / 2)
    rng = np.random.default_rng(seed)
    rows = []
    outer = d.groupby(by_cols, observed=True, sort=True) if by_cols else [((), d)]
    if ci == "bootstrap":
        from tqdm.auto import tqdm
        outer = tqdm(list(outer), desc="YLL bootstrap", disable=not progress)
    for gkey, g in outer:
        gk = dict(zip(by_cols, gkey if isinstance(gkey, tuple) else (gkey,)))
        y = g["yll"].to_numpy(float)
        ng = len(y)
        cells = [(None, np.ones(ng, bool))] if not cause else \
            [(c, (g[cause] == c).to_numpy()) for c in sorted(pd.unique(g[cause]), key=str)]
        if ci == "bootstrap":
            zb_all = {i: [] for i in range(len(cells))}
            nb_all = {i: [] for i in range(len(cells))}
            step = max(1, min(n_boot, 2_000_000 // max(ng, 1)))  # bound memory
            for start in range(0, n_boot, step):
                idx = rng.integers(0, ng, (min(step, n_boot - start), ng))
                for i, (_, m) in enumerate(cells):
                    zb_all[i].append((y * m)[idx].sum(1))
                    nb_all[i].append(m[idx].sum(1))
        for i, (c, m) in enumerate(cells):
            yc, n = y[m], int(m.sum())
            total, mean = float(yc.sum()), float(yc.mean())
            if ci == "normal":
                sd_mean = yc.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
                sd_tot = np.sqrt(ng) * (y * m).std(ddof=1) if ng > 1 else np.nan
                m_lo, m_hi = mean - z * sd_mean, mean + z * sd_mean
                t_lo, t_hi = total - z * sd_tot, total + z * sd_tot
            else:
                zb, nb = np.concatenate(zb_all[i]), np.concatenate(nb_all[i])
                mb = zb[nb > 0] / nb[nb > 0]
                q = [alpha / 2, 1 - alpha / 2]
                t_lo, t_hi = np.quantile(zb, q)
                m_lo, m_hi = np.quantile(mb, q) if n > 1 else (np.nan, np.nan)
            row = {**gk, **({cause: c} if cause else {}), "n": n, "total_yll": total,
                   "total_ci_low": t_lo, "total_ci_high": t_hi, "mean_yll": mean,
                   "mean_ci_low": m_lo, "mean_ci_high": m_hi,
                   "mean_age_at_death": float(g.loc[m, age].mean())}
            if cause:
                row["share_of_group_yll"] = total / y.sum() if y.sum() > 0 else 0.0
            rows.append(row)
    tab = pd.DataFrame(rows)
    if (tab["n"] < 2).any():
        warnings.warn("groups with fewer than 2 deaths have no CI (NaN)", stacklevel=2)
    if suppress:
        tab = _shown_yll(tab, by_cols, cause, threshold)
    notes = [
        "Years of life lost = expected remaining life at death: each decedent's remaining "
        "period life expectancy for the general population of the same sex, age and calendar "
        "year (observed deaths vs expected survival).",
        "This is not Andersen's life-years lost (Andersen 2013; "
        "andersen_life_years_lost), which needs follow-up with survivors.",
        "Totals count only deaths inside the archive window; means per death depend on the "
        "age-at-death distribution, which the window truncates (late birth cohorts are seen "
        "only if they die young). Compare groups within birth cohort or death period.",
        f"{'Normal-approximation' if ci == 'normal' else f'Percentile bootstrap ({n_boot})'} "
        f"{100 * (1 - alpha):g}% CIs.",
        f"Life tables: {HMD_CITATION}" if life_table is None else "User-supplied life tables.",
    ] + ([dc.policy_note(threshold, secondary=bool(cause), extra=(
        "A row's figures are left out where its number of deaths is hidden."))]
         if suppress else [])
    return YLLResult(table=tab, method="Years of life lost (remaining life expectancy at death)",
                     notes=notes, model=lt, extra={"per_person": d})


def life_years_lost(cohort: pd.DataFrame, **kwargs: Any) -> YLLResult:
    """Former name of :func:`remaining_life_at_death`, kept so that existing calls work.

    Parameters
    ----------
    cohort : pandas.DataFrame
        One row per decedent.
    **kwargs
        As :func:`remaining_life_at_death`.

    Returns
    -------
    YLLResult
    """
    return remaining_life_at_death(cohort, **kwargs)


def _shown_yll(tab: pd.DataFrame, by_cols: list[str], cause: str | None,
               threshold: int | None) -> pd.DataFrame:
    """Deaths through the policy and the figures of hidden rows left out."""
    figures = [c for c in tab.columns if c not in [*by_cols, "n"] and c != cause]
    if not cause:
        return dc.suppress_table(tab, ["n"], threshold=threshold, derived={"n": figures})
    long = pd.DataFrame({
        "_group": tab[by_cols].astype(str).agg(" | ".join, axis=1) if by_cols else "all",
        "_cause": tab[cause].astype(str), "n": tab["n"].astype("int64")})
    shown = privacy.suppress(long, ["n"], rows="_group", cols="_cause", threshold=threshold)
    out = tab.copy()
    out["n"] = shown["n"].to_numpy()
    out.loc[dc.hidden_cells(out["n"], tab["n"]), figures] = np.nan
    out.attrs.update(shown.attrs)
    return out


@dataclass(repr=False)
class RemainingLifeResult(Result):
    """Observed vs expected remaining life from diagnosis (see
    :func:`remaining_life_from_diagnosis`)."""

    def plot(self, ax: Any = None) -> Any:
        """Observed (truncation-aware and naive) and expected mean remaining life by group.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        t = self.table
        ax = _axes(ax, (6, 0.5 * len(t) + 1.5))
        keys = list(t.columns[: list(t.columns).index("n")])
        labels = [" / ".join(str(r[k]) for k in keys) or "all" for _, r in t.iterrows()]
        y = np.arange(len(t))[::-1]
        ax.errorbar(t["observed_mean"], y + 0.15, capsize=2, fmt="o",
                    xerr=[t["observed_mean"] - t["observed_ci_low"],
                          t["observed_ci_high"] - t["observed_mean"]],
                    label="observed (truncation-aware)")
        ax.plot(t["naive_mean"], y, "x", label="observed (naive)")
        ax.errorbar(t["expected_mean"], y - 0.15, capsize=2, fmt="s",
                    xerr=[t["expected_mean"] - t["expected_ci_low"],
                          t["expected_ci_high"] - t["expected_mean"]],
                    label="expected (population life table)")
        ax.set_yticks(y)
        ax.set_yticklabels(labels)
        ax.set_xlabel("mean remaining life from diagnosis (years)")
        ax.legend(fontsize="small")
        return ax


def _observed_fit(t: np.ndarray, u: np.ndarray, v: np.ndarray) -> tuple[float, str]:
    """Truncation-aware mean of t (and the algorithm) without the diagnostics."""
    from harkit.survival.truncation import _fit

    fit, _, _, _ = _fit(t, u, v, 1e-10, 10_000)
    return float(np.dot(fit.z, fit.f)), fit.algorithm


def remaining_life_from_diagnosis(
    cohort: pd.DataFrame,
    *,
    start_age: str = "age_first_sud",
    age: str = "age_at_death",
    exit: str = "exit_age",
    entry: str | None = "entry_age",
    sex: str = "sex",
    start_year: str = "first_sud_date",
    by: str | Sequence[str] | None = None,
    life_table: LifeTable | None = None,
    bootstrap: int = 200,
    seed: int | np.random.Generator | None = None,
    alpha: float = 0.05,
    progress: bool = True,
    suppress: bool = True,
    threshold: int | None = None,
) -> RemainingLifeResult:
    """Observed vs expected remaining life from first diagnosis, with right truncation.

    The time from diagnosis to death ``t = age - start_age`` is seen only if the death
    falls inside the archive window, i.e. ``t <= v`` with ``v = exit - start_age``: ``t`` is
    right truncated (long survivors after a late diagnosis are missing). The observed
    distribution of ``t`` is estimated by the Lynden-Bell (1971) product-limit NPMLE in
    reverse time (:func:`harkit.survival.efron_petrosian` with ``u = -inf``); when
    ``entry`` is given and some diagnoses precede the age from which a death could be
    seen (``entry > start_age``), those persons are also left truncated at
    ``entry - start_age`` and the Efron-Petrosian NPMLE under double truncation is used.
    The expected remaining life is the period life expectancy e(x) of the general
    population of the same sex at the diagnosis age in the diagnosis year.

    Parameters
    ----------
    cohort : pandas.DataFrame
        One row per decedent; rows without a diagnosis (missing ``start_age``) are skipped.
    start_age, age, exit : str
        Columns of age at first diagnosis, age at death and age at the end of the window
        (right truncation), in years.
    entry : str or None
        Column of the lowest age at which a death could be seen (left truncation); None
        for right truncation only.
    sex : str
        Sex column (``male``/``female``).
    start_year : str
        Calendar year of diagnosis, or a date column (its year is used).
    by : str or sequence of str, optional
        Grouping columns (e.g. ``"sud_group"``).
    life_table : LifeTable, optional
        Reference tables by ``year`` and ``sex``; default the bundled Norwegian HMD tables.
        Diagnosis years outside the tables use the nearest year, with a warning.
    bootstrap : int
        Bootstrap replicates (persons resampled within groups) for percentile CIs; 0 for
        none (CI columns are then NaN and a note says so).
    seed : int or numpy.random.Generator, optional
        Bootstrap randomness.
    alpha : float
        1 - confidence level.
    progress : bool
        tqdm progress bar over groups.
    suppress : bool, default True
        Disclosure control (:mod:`harkit.privacy`): ``n`` through the policy, a row's
        figures left out where its ``n`` is hidden, and ``max_observed_t`` (one person's
        time from diagnosis to death) widened to whole years. ``extra["per_person"]`` is
        row-level working data, not for display. ``False`` shows everything exactly.
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    RemainingLifeResult
        ``table``: grouping columns, ``n``, ``observed_mean`` (truncation-aware, with
        ``observed_ci_low/high``), ``naive_mean`` (plain mean of t), ``expected_mean``
        (mean population e(x) at diagnosis, with CIs), ``years_lost`` (expected - observed,
        with ``years_lost_ci_low/high``), ``max_observed_t`` (upper end of the support the
        data identify), ``algorithm``. ``extra["per_person"]``: t, v, u and expected e(x).

    Raises
    ------
    ValueError
        Missing columns, no person with a diagnosis, deaths outside their own window,
        negative times, groups of fewer than 2 persons.

    Warns
    -----
    UserWarning
        Rows dropped for missing values, unknown sex, diagnosis years outside the tables,
        all-tied times in a group.
    TruncationWarning
        Per group, as :func:`harkit.survival.efron_petrosian` (NPMLE not unique).

    Notes
    -----
    The truncation-aware mean is the mean of the NPMLE, which puts mass only on observed
    times: it estimates ``E[T | T <= max observed t]``, the mean restricted to the support
    the windows identify, while ``expected_mean`` is unrestricted, so ``years_lost`` is an
    upper bound when survivors beyond ``max_observed_t`` exist. The NPMLE assumes ``t`` is
    independent of the truncation limits (quasi-independence): diagnosis calendar time must
    not change survival after diagnosis. Andersen's life-years lost (Andersen,
    Canudas-Romo & Keiding 2013) needs follow-up from diagnosis with censoring and
    survivors, which a decedents-only register does not have.
    """
    if bootstrap < 0:
        raise ValueError("bootstrap must be >= 0")
    by_cols = [by] if isinstance(by, str) else list(by or [])
    if not isinstance(cohort, pd.DataFrame) or cohort.empty:
        raise ValueError("the cohort table is empty")
    cols = [start_age, age, exit, sex, start_year, *by_cols] + ([entry] if entry else [])
    for c in cols:
        if c not in cohort.columns:
            raise ValueError(f"column {c!r} not in the cohort table")
    d = cohort.loc[cohort[start_age].notna(), cols].copy()
    if d.empty:
        raise ValueError(f"no person has a diagnosis ({start_age!r} is all missing)")
    req = [age, exit, start_year, *by_cols]
    bad = d[req].isna().any(axis=1)
    if bad.all():
        raise ValueError(f"every diagnosed person has a missing value in {req}")
    if bad.any():
        warnings.warn(f"{int(bad.sum())} of {len(d)} diagnosed persons dropped for missing "
                      f"{[c for c in req if d[c].isna().any()]}", stacklevel=2)
        d = d.loc[~bad]
    s = d[start_age].to_numpy(float)
    t = d[age].to_numpy(float) - s
    v = d[exit].to_numpy(float) - s
    if (t < 0).any():
        raise ValueError(f"{int((t < 0).sum())} persons die before their diagnosis "
                         f"({age!r} < {start_age!r})")
    if (t > v).any():
        raise ValueError(f"{int((t > v).sum())} persons die after the window end "
                         f"({age!r} > {exit!r}); keep deaths inside the window")
    if entry:
        e = d[entry].to_numpy(float)
        u = np.where(np.isfinite(e) & (e > s), e - s, -np.inf)
        if (t < u).any():
            raise ValueError(f"{int((t < u).sum())} persons die before {entry!r}")
    else:
        u = np.full(t.size, -np.inf)
    yr_col = d[start_year]
    yr = (yr_col.dt.year if pd.api.types.is_datetime64_any_dtype(yr_col)
          else yr_col).to_numpy().astype(int)
    lt = life_table if life_table is not None else _default_life_table()
    if set(lt.by) != {"year", "sex"}:
        raise ValueError("life_table must have tables by 'year' and 'sex'")
    years = lt.table["year"].unique()
    outside = (yr < years.min()) | (yr > years.max())
    if outside.any():
        warnings.warn(f"{int(outside.sum())} diagnosis years outside {years.min()}-"
                      f"{years.max()} use the nearest table year", stacklevel=2)
        yr = np.clip(yr, years.min(), years.max())
    sx = d[sex].astype(object).where(d[sex].isin(["female", "male"]), "total")
    if (sx == "total").any():
        warnings.warn(f"{int((sx == 'total').sum())} persons with sex not male/female use "
                      "the both-sex life table", stacklevel=2)
    expected = lt.remaining(s, year=yr, sex=sx.to_numpy())
    d = d.assign(t=t, u=u, v=v, expected=expected)

    from tqdm.auto import tqdm

    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    groups = list(d.groupby(by_cols, observed=True, sort=True)) if by_cols else [((), d)]
    q = [alpha / 2, 1 - alpha / 2]
    rows = []
    for gkey, g in tqdm(groups, desc="remaining life", disable=not progress):
        gk = dict(zip(by_cols, gkey if isinstance(gkey, tuple) else (gkey,)))
        n = len(g)
        if n < 2:
            raise ValueError(f"group {gk} has fewer than 2 diagnosed persons")
        tg, ug, vg, eg = (g[c].to_numpy(float) for c in ("t", "u", "v", "expected"))
        if np.unique(tg).size < 2:
            warnings.warn(f"group {gk}: all times from diagnosis to death are tied; the "
                          "truncation-aware mean is that single value", stacklevel=2)
        from harkit.survival.truncation import efron_petrosian

        fit = efron_petrosian(tg, ug, vg, progress=False)  # warns if the NPMLE is not unique
        obs, alg = fit.mean(), fit.extra["algorithm"]
        exp_mean = float(eg.mean())
        ci = dict.fromkeys(["o_lo", "o_hi", "e_lo", "e_hi", "l_lo", "l_hi"], np.nan)
        if bootstrap:
            bo, be = np.empty(bootstrap), np.empty(bootstrap)
            for b in range(bootstrap):
                idx = rng.integers(0, n, n)
                bo[b] = _observed_fit(tg[idx], ug[idx], vg[idx])[0]
                be[b] = eg[idx].mean()
            ci.update(zip(["o_lo", "o_hi"], np.quantile(bo, q)))
            ci.update(zip(["e_lo", "e_hi"], np.quantile(be, q)))
            ci.update(zip(["l_lo", "l_hi"], np.quantile(be - bo, q)))
        rows.append({**gk, "n": n, "observed_mean": obs, "observed_ci_low": ci["o_lo"],
                     "observed_ci_high": ci["o_hi"], "naive_mean": float(tg.mean()),
                     "expected_mean": exp_mean, "expected_ci_low": ci["e_lo"],
                     "expected_ci_high": ci["e_hi"], "years_lost": exp_mean - obs,
                     "years_lost_ci_low": ci["l_lo"], "years_lost_ci_high": ci["l_hi"],
                     "max_observed_t": float(tg.max()), "algorithm": alg})
    tab = pd.DataFrame(rows)
    if suppress:
        figures = [c for c in tab.columns if c not in [*by_cols, "n", "algorithm"]]
        tab = dc.suppress_table(tab, ["n"], threshold=threshold, derived={"n": figures})
        tab["max_observed_t"] = np.ceil(tab["max_observed_t"].astype(float))
    notes = [
        "Time from diagnosis to death is right truncated: a person diagnosed at age s is in "
        "the register only if they died before the window end, i.e. t <= exit - s, so long "
        "survivors after late diagnoses are missing and the naive mean is too short. The "
        "observed mean is from the Lynden-Bell (1971) NPMLE (Efron-Petrosian when some are "
        "also left truncated).",
        "The truncation-aware mean is restricted to the support the data identify (up to "
        "max_observed_t); expected_mean is not, so years_lost is an upper bound if people "
        "survive longer than max_observed_t after diagnosis.",
        "The NPMLE assumes time to death is independent of the diagnosis calendar time "
        "(quasi-independence); check within diagnosis periods.",
        "Expected = period life expectancy of the general population of the same sex at the "
        "diagnosis age and year; years_lost = expected - observed.",
        "This is not Andersen's life-years lost (Andersen, Canudas-Romo & Keiding 2013), "
        "which needs follow-up from diagnosis with censoring and survivors; a decedents-only "
        "register does not have them.",
        (f"Percentile bootstrap ({bootstrap} replicates) {100 * (1 - alpha):g}% CIs."
         if bootstrap else "No bootstrap: CI columns are NaN."),
        f"Life tables: {HMD_CITATION}" if life_table is None else "User-supplied life tables.",
    ] + ([dc.policy_note(threshold, extra=(
        "max_observed_t is rounded up to whole years (one person's time)."))]
         if suppress else [])
    return RemainingLifeResult(table=tab, method="Observed vs expected remaining life from "
                               "diagnosis (right-truncation-aware)", notes=notes, model=lt,
                               extra={"per_person": d})
