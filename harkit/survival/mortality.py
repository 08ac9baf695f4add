"""What decedents die of, and how many years they lose: PMR, MOR and years of life lost.

These methods need no denominators (person-time), which a decedents-only register such as
Helsearkivregisteret cannot supply. Selection into the register depends on birth and death
dates only, so the cause mix at a given age and death period is not biased by the truncation
(``methods.md`` section 0); standardising or stratifying by age, sex and period is what
makes the comparisons valid. Years of life lost use the bundled Norwegian HMD life tables
(HMD, www.mortality.org, CC BY 4.0).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from harkit import _disclosure as dc
from harkit import privacy
from harkit.icd.causes import check_cause_column
from harkit.plot import forest
from harkit.results import Result

DEFAULT_AGE_BINS = (0, 15, 25, 35, 45, 55, 65, 75, 85, np.inf)
_NO_DENOMINATOR = ("These measures answer 'what do they die of' without denominators: they "
                   "compare the cause mix of deaths, not death rates. A PMR or MOR above 1 "
                   "can come from more deaths from the cause or from fewer deaths from the "
                   "other causes.")


def poisson_exact_ci(observed: Any, expected: Any = 1.0,
                     alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) confidence limits for a Poisson count divided by ``expected``.

    Parameters
    ----------
    observed : int or array of int
        Observed counts O.
    expected : float or array
        Divisor E (1 gives limits for the Poisson mean itself).
    alpha : float
        1 - confidence level.

    Returns
    -------
    tuple of numpy.ndarray
        ``chi2.ppf(alpha/2, 2 O) / (2 E)`` (0 when O = 0) and
        ``chi2.ppf(1 - alpha/2, 2 (O + 1)) / (2 E)``.
    """
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    if np.any(o < 0) or np.any(np.isnan(o)):
        raise ValueError("observed counts must be non-negative")
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(o > 0, stats.chi2.ppf(alpha / 2, 2 * np.maximum(o, 1)) / 2, 0.0) / e
        hi = stats.chi2.ppf(1 - alpha / 2, 2 * (o + 1)) / 2 / e
    return lo, hi


def _poisson_p(o: np.ndarray, e: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        p = 2 * np.minimum(stats.poisson.cdf(o, e), stats.poisson.sf(o - 1, e))
    return np.minimum(p, 1.0)


def _age_groups(age: pd.Series, bins: Sequence[float]) -> pd.Series:
    """Left-closed age groups labelled like '25-34' and '85+' (None outside the bins)."""
    edges = list(bins)
    labels = [f"{lo:g}+" if np.isinf(hi) else
              (f"{lo:g}-{hi - 1:g}" if float(lo).is_integer() and float(hi).is_integer()
               else f"{lo:g}-<{hi:g}")
              for lo, hi in zip(edges[:-1], edges[1:])]
    cut = pd.cut(age, edges, right=False, labels=labels)
    return cut.astype(object).where(cut.notna(), None)


def _prepare(df: pd.DataFrame, needed: Sequence[str], strata: Sequence[str], age: str,
             death_year: str, age_bins: Sequence[float], period_width: int) -> pd.DataFrame:
    """Copy the columns needed, derive age_group/period strata, drop missing rows (warn)."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError("cohort must be a pandas DataFrame")
    if df.empty:
        raise ValueError("the cohort table is empty")
    if not strata:
        raise ValueError("give at least one stratum (e.g. strata=('age_group',))")
    out = pd.DataFrame(index=df.index)
    for c in needed:
        if c not in df.columns:
            raise ValueError(f"column {c!r} not in the cohort table")
        out[c] = df[c].astype(object)  # categoricals would add unobserved levels
    for s in strata:
        if s in df.columns:
            out[s] = df[s].astype(object)
        elif s == "age_group":
            if age not in df.columns:
                raise ValueError(f"stratum 'age_group' needs column {age!r}")
            out[s] = _age_groups(df[age], age_bins)
        elif s == "period":
            if death_year not in df.columns:
                raise ValueError(f"stratum 'period' needs column {death_year!r}")
            y = df[death_year]
            start = (y // period_width) * period_width
            out[s] = [None if pd.isna(a) else f"{int(a)}-{int(a) + period_width - 1}"
                      for a in start]
        else:
            raise ValueError(f"stratum column {s!r} not in the cohort table")
    bad = out.isna().any(axis=1)
    if bad.all():
        raise ValueError("every row has a missing value in " + ", ".join(out.columns))
    if bad.any():
        warnings.warn(f"{int(bad.sum())} of {len(out)} rows dropped for missing values in "
                      f"{[c for c in out.columns if out[c].isna().any()]}", stacklevel=3)
    return out[~bad]


def _forest(table: pd.DataFrame, est: str, label_cols: Sequence[str], ax: Any,
            xlabel: str) -> Any:
    return forest(table, est, "ci_low", "ci_high", label_cols, ax=ax, xlabel=xlabel)


@dataclass(repr=False)
class PMRResult(Result):
    """Indirectly standardised PMRs (see :func:`proportional_mortality`)."""

    def plot(self, ax: Any = None) -> Any:
        """Forest plot of PMRs with their CIs (log scale).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return _forest(self.table, "pmr", ["group", "cause"], ax, "PMR (observed / expected)")


def proportional_mortality(
    cohort: pd.DataFrame,
    cause_col: str = "underlying_cause_group",
    *,
    group_col: str | None = "sud_group",
    reference: Any = "none",
    exposed: Sequence[Any] | None = None,
    causes: Sequence[Any] | None = None,
    strata: Sequence[str] = ("age_group", "sex", "period"),
    age: str = "age_at_death",
    death_year: str = "death_year",
    age_bins: Sequence[float] = DEFAULT_AGE_BINS,
    period_width: int = 10,
    alpha: float = 0.05,
    ci_method: str = "exact",
    suppress: bool = True,
    threshold: int | None = None,
) -> PMRResult:
    """Proportional mortality ratios, indirectly standardised by age, sex and period.

    ``PMR_c = O_c / E_c`` with ``E_c = sum_s D_s * pi_cs``: ``D_s`` the exposed group's deaths
    in stratum s, ``pi_cs`` the share of cause c among the reference deaths in stratum s.

    Parameters
    ----------
    cohort : pandas.DataFrame
        One row per decedent (e.g. ``harkit.cohort.build`` output).
    cause_col : str
        Cause of death column.
    group_col : str or None
        Exposure group column. None treats the whole table as one exposed group (then
        ``reference`` must be a cause distribution).
    reference : scalar or pandas.DataFrame
        A value of ``group_col`` (the reference group, e.g. ``"none"``: other register
        patients), or a supplied cause distribution with the strata columns, ``cause_col`` and
        a ``deaths`` or ``proportion`` column (e.g. the national cause-of-death statistics).
    exposed : sequence, optional
        Exposed groups; default every group except the reference.
    causes : sequence, optional
        Causes to report; default all causes seen.
    strata : sequence of str
        Standardisation strata. ``"age_group"`` and ``"period"`` are derived from ``age`` and
        ``death_year`` unless present as columns: left-closed age bins labelled like
        ``"25-34"`` and ``"85+"``, and ``period_width``-year periods labelled like
        ``"1950-1959"`` (a supplied reference distribution must use the same labels).
    age, death_year : str
        Columns used to derive the strata.
    age_bins : sequence of float
        Age-group edges.
    period_width : int
        Width of death periods in years.
    alpha : float
        1 - confidence level.
    ci_method : {"exact", "delta"}, default "exact"
        ``"exact"``: the expected count ``E`` is taken as fixed; exact (Garwood) Poisson
        limits for ``O`` divided by ``E``, and the exact two-sided Poisson p-value
        ``min(1, 2 min(P(X <= O), P(X >= O)))`` with ``X ~ Poisson(E)`` (the doubled
        smaller tail). Right when the reference shares come from a large population (a
        national distribution). ``"delta"``: the reference group's cause shares are
        estimates too (binomial within each stratum), and ``E``'s sampling variance is
        added by the delta method: ``Var(log PMR) = 1/O + sum_s D_s^2 pi_cs (1 - pi_cs) /
        R_s / E^2`` (``R_s`` the reference deaths in stratum s); Wald interval and p-value
        on the log scale. Needed for an internal reference group and rare causes, where the
        exact interval is too narrow. Needs reference counts (an internal group or a
        supplied distribution with ``deaths``).
    suppress : bool, default True
        Disclosure control (:mod:`harkit.privacy`): ``observed`` and ``deaths`` as text
        through the policy, each group's causes with its deaths as a cross-table with
        secondary suppression (so no hidden count follows from the total); ``pmr``,
        ``ci_low``, ``ci_high`` and ``p_value`` are NaN where ``observed`` is hidden, as
        they would give it back with ``expected``. ``False`` shows everything exactly.
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    PMRResult
        ``table``: group, cause, observed, expected, pmr, ci_low, ci_high, p_value (see
        ``ci_method``), deaths (exposed deaths in usable strata); with ``ci_method="delta"``
        also ``se_log_pmr``.
        ``extra["reference_proportions"]``: the reference cause shares by stratum (under
        ``suppress``, NaN where the reference count behind a share is hidden).

    Raises
    ------
    ValueError
        Missing columns, an empty cohort, an empty exposed or reference group, or no stratum
        shared by the exposed and reference deaths.

    Warns
    -----
    UserWarning
        Rows dropped for missing values; exposed deaths in strata without reference deaths
        (excluded from O and E); causes with no expected deaths (PMR undefined).
    """
    if ci_method not in ("exact", "delta"):
        raise ValueError(f"ci_method must be 'exact' or 'delta', not {ci_method!r}")
    supplied = isinstance(reference, pd.DataFrame)
    if group_col is None and not supplied:
        raise ValueError("without group_col, reference must be a cause-distribution DataFrame")
    needed = [cause_col] + ([group_col] if group_col else [])
    d = _prepare(cohort, needed, strata, age, death_year, age_bins, period_width)
    s_cols = list(strata)
    years = cohort.loc[d.index, death_year] if death_year in cohort.columns else None
    definition_notes = check_cause_column(d[cause_col], years, setting="death")
    if group_col is None:
        d["_group"] = "all"
        group_col = "_group"
    if supplied:
        ref = reference.copy()
        for c in [*s_cols, cause_col]:
            if c not in ref.columns:
                raise ValueError(f"reference distribution lacks column {c!r}")
        w = "deaths" if "deaths" in ref.columns else "proportion"
        if w not in ref.columns:
            raise ValueError("reference distribution needs a 'deaths' or 'proportion' column")
        if ref[w].isna().any() or (ref[w] < 0).any():
            raise ValueError(f"reference distribution: missing or negative {w!r}")
        ref[s_cols] = ref[s_cols].astype(str)
        ref_counts = ref.groupby([*s_cols, cause_col])[w].sum()
        ref_label = "supplied distribution"
        if ci_method == "delta" and w != "deaths":
            raise ValueError("ci_method='delta' needs reference counts: a 'deaths' column, "
                             "not proportions")
    else:
        ref_rows = d[d[group_col] == reference]
        if ref_rows.empty:
            raise ValueError(f"reference group {reference!r} has no deaths in {group_col!r}")
        ref_rows = ref_rows.astype({c: str for c in s_cols})
        ref_counts = ref_rows.groupby([*s_cols, cause_col]).size()
        ref_label = f"{group_col} = {reference!r}"
    ref_total = ref_counts.groupby(level=list(range(len(s_cols)))).transform("sum")
    pi = (ref_counts / ref_total).rename("pi").reset_index()
    pi["_R"] = ref_total.to_numpy(float)
    groups = list(exposed) if exposed is not None else \
        [g for g in pd.unique(d[group_col]) if supplied or g != reference]
    all_causes = list(causes) if causes is not None else \
        sorted(set(d[cause_col]) | set(pi[cause_col]), key=str)
    d = d.astype({c: str for c in s_cols})
    rows, notes = [], list(definition_notes)
    for g in groups:
        dg = d[d[group_col] == g]
        if dg.empty:
            raise ValueError(f"exposed group {g!r} has no deaths")
        ds = dg.groupby(s_cols).size().rename("D").reset_index()
        known = ds.merge(pi[s_cols].drop_duplicates(), on=s_cols, how="inner")
        lost = int(ds["D"].sum() - known["D"].sum())
        if known.empty:
            raise ValueError(f"group {g!r} shares no stratum with the reference")
        if lost:
            shown = dc.count_text(lost, threshold) if suppress else str(lost)
            msg = (f"group {g!r}: {shown} deaths in strata with no reference deaths were "
                   "excluded from observed and expected")
            warnings.warn(msg, stacklevel=2)
            notes.append(msg)
        keep = dg.merge(known[s_cols], on=s_cols, how="inner")
        exp = known.merge(pi, on=s_cols)
        exp["E"] = exp["D"] * exp["pi"]
        # binomial variance of each estimated share, times D_s^2 (delta method)
        exp["VE"] = exp["D"] ** 2 * exp["pi"] * (1 - exp["pi"]) / exp["_R"]
        e_by = exp.groupby(cause_col)["E"].sum()
        ve_by = exp.groupby(cause_col)["VE"].sum()
        o_by = keep.groupby(cause_col).size()
        for c in all_causes:
            rows.append({"group": g, "cause": c, "observed": int(o_by.get(c, 0)),
                         "expected": float(e_by.get(c, 0.0)), "deaths": int(known["D"].sum()),
                         "_var_e": float(ve_by.get(c, 0.0))})
    tab = pd.DataFrame(rows)
    zero = tab["expected"] <= 0
    if zero.any():
        bad = tab.loc[zero, ["group", "cause"]].to_records(index=False).tolist()
        msg = f"no expected deaths (PMR undefined, shown as NaN) for {bad}"
        warnings.warn(msg, stacklevel=2)
        notes.append(msg)
    with np.errstate(divide="ignore", invalid="ignore"):
        tab["pmr"] = np.where(zero, np.nan, tab["observed"] / tab["expected"])
    if ci_method == "exact":
        with np.errstate(divide="ignore", invalid="ignore"):
            lo, hi = poisson_exact_ci(tab["observed"], tab["expected"], alpha)
        p = _poisson_p(tab["observed"].to_numpy(float), tab["expected"].to_numpy(float))
        ci_note = (f"exact Poisson {100 * (1 - alpha):g}% CIs with the expected count taken "
                   "as fixed; two-sided p-values by doubling the smaller exact Poisson tail")
        cols = []
    else:
        lo, hi, p, se = _pmr_delta(tab, alpha)
        tab["se_log_pmr"] = se
        ci_note = (f"{100 * (1 - alpha):g}% CIs and Wald p-values on the log scale by the "
                   "delta method, with the sampling variance of the reference shares "
                   "(undefined where nothing is observed)")
        cols = ["se_log_pmr"]
    tab["ci_low"] = np.where(zero, np.nan, lo)
    tab["ci_high"] = np.where(zero, np.nan, hi)
    tab["p_value"] = np.where(zero, np.nan, p)
    tab = tab[["group", "cause", "observed", "expected", "pmr", "ci_low", "ci_high", "p_value",
               *cols, "deaths"]]
    notes = [f"Indirectly standardised by {', '.join(s_cols)} against {ref_label}; "
             f"{ci_note}.", _NO_DENOMINATOR,
             "The cause mix at a given age and death period is not biased by the register's "
             "window truncation, so standardised PMRs are valid in a decedents-only register; "
             "crude cause shares are not comparable across groups of different age.", *notes]
    pi = pi.drop(columns="_R")  # stratum totals of the reference: not part of the output
    if suppress:
        tab = _shown_pmr(tab, threshold)
        if not supplied:
            pi = _shown_reference(pi, ref_counts, s_cols, cause_col, threshold)
        notes.append(dc.policy_note(threshold, secondary=True, extra=(
            "PMRs, their intervals and p-values are left out where the observed count is "
            "hidden.")))
    return PMRResult(table=tab, method="Proportional mortality ratio (indirect standardisation)",
                     notes=notes, extra={"reference_proportions": pi})


def _pmr_delta(tab: pd.DataFrame, alpha: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Delta-method CI and Wald p of log PMR with the reference shares' variance."""
    o = tab["observed"].to_numpy(float)
    e = tab["expected"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(1.0 / o + tab["_var_e"].to_numpy(float) / e**2)
        se = np.where(o > 0, se, np.nan)
        z = float(stats.norm.ppf(1 - alpha / 2))
        log_pmr = np.log(o / e)
        lo, hi = np.exp(log_pmr - z * se), np.exp(log_pmr + z * se)
        p = 2 * stats.norm.sf(np.abs(log_pmr) / se)
    return lo, hi, p, se


def _shown_pmr(tab: pd.DataFrame, threshold: int | None) -> pd.DataFrame:
    """The PMR table through the policy: per group, the causes and the rest of the deaths
    form a row with its total, suppressed with secondary suppression."""
    groups = list(pd.unique(tab["group"]))
    causes = list(pd.unique(tab["cause"]))
    obs = tab.pivot_table(index="group", columns="cause", values="observed", aggfunc="sum",
                          sort=False).reindex(index=groups, columns=causes).to_numpy()
    deaths = tab.groupby("group", sort=False)["deaths"].first().reindex(groups).to_numpy()
    grid = pd.DataFrame(obs.astype("int64"), columns=[f"c{i}" for i in range(len(causes))])
    # the deaths of causes not listed: never shown, but part of the row's total
    grid["other"] = np.maximum(deaths - obs.sum(axis=1), 0).astype("int64")
    grid["Total"] = deaths.astype("int64")
    shown = privacy.suppress(grid, list(grid.columns), threshold=threshold, secondary=True,
                             total="Total")
    out = tab.copy()
    out["observed"] = [shown.iloc[groups.index(g)][f"c{causes.index(c)}"]
                       for g, c in zip(tab["group"], tab["cause"])]
    out["deaths"] = [shown.iloc[groups.index(g)]["Total"] for g in tab["group"]]
    hidden = dc.hidden_cells(out["observed"], tab["observed"])
    out.loc[hidden, ["pmr", "ci_low", "ci_high", "p_value"]] = np.nan
    out.attrs.update(shown.attrs)
    return out


def _shown_reference(pi: pd.DataFrame, ref_counts: pd.Series, s_cols: list[str],
                     cause_col: str, threshold: int | None) -> pd.DataFrame:
    """Reference shares with the shares of hidden reference counts left out.

    A share is a count over its stratum's deaths, so the counts of each stratum are
    suppressed as a row with its total (secondary suppression)."""
    counts = ref_counts.rename("n").reset_index()
    counts["_stratum"] = counts[s_cols].astype(str).agg(" | ".join, axis=1)
    totals = counts.groupby("_stratum", sort=False)["n"].sum().reset_index()
    totals[cause_col] = "_total"
    long = pd.concat([counts[["_stratum", cause_col, "n"]], totals], ignore_index=True)
    long["n"] = long["n"].round().astype("int64")
    long[cause_col] = long[cause_col].astype(str)
    with warnings.catch_warnings():
        # the fixed point also guards cause totals over strata, which are not shown here
        warnings.simplefilter("ignore", privacy.DisclosureWarning)
        shown = privacy.suppress(long, ["n"], rows="_stratum", cols=cause_col,
                                 threshold=threshold, total="_total")
    hidden = dc.hidden_cells(shown["n"], long["n"])[: len(counts)]
    out = pi.copy()
    out.loc[hidden, "pi"] = np.nan
    return out


@dataclass(repr=False)
class MORResult(Result):
    """Mortality odds ratios (see :func:`mortality_odds_ratio`)."""

    def plot(self, ax: Any = None) -> Any:
        """Forest plot of MORs with CIs (log scale).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return _forest(self.table, "mor", ["group", "cause", "method"], ax,
                       "mortality odds ratio")


def _chi2_p(res: Any, df: int = 1) -> float:
    """Upper-tail chi-squared p-value by the survival function.

    statsmodels' contingency-table tests return ``1 - chi2.cdf(...)``, which is exactly 0
    below about 1e-16; ``chi2.sf`` keeps p-values down to 1e-300 (as R's ``pchisq(...,
    lower.tail = FALSE)``).
    """
    return float(stats.chi2.sf(res.statistic, getattr(res, "df", df)))


def mortality_odds_ratio(
    cohort: pd.DataFrame,
    cause_col: str = "underlying_cause_group",
    causes: Sequence[Any] | None = None,
    *,
    group_col: str = "sud_group",
    reference: Any = "none",
    exposed: Sequence[Any] | None = None,
    reference_causes: Sequence[Any] | None = None,
    strata: Sequence[str] = ("age_group", "sex", "period"),
    method: str = "both",
    age: str = "age_at_death",
    death_year: str = "death_year",
    age_bins: Sequence[float] = DEFAULT_AGE_BINS,
    period_width: int = 10,
    alpha: float = 0.05,
    suppress: bool = True,
    threshold: int | None = None,
) -> MORResult:
    """Mortality odds ratios (Miettinen & Wang 1981): Mantel-Haenszel and logistic.

    For cause c, the odds of dying of c rather than of the reference causes in the exposed
    group, over the same odds in the reference group, within strata of age, sex and period.

    Parameters
    ----------
    cohort : pandas.DataFrame
        One row per decedent.
    cause_col : str
        Cause of death column.
    causes : sequence, optional
        Causes to estimate MORs for; default every cause seen.
    group_col : str
        Exposure group column.
    reference : scalar
        Reference (unexposed) value of ``group_col``.
    exposed : sequence, optional
        Exposed groups; default every group except the reference.
    reference_causes : sequence, optional
        Referent causes (the denominator of the odds); default all causes other than c.
        Deaths from neither c nor the referent causes are left out.
    strata : sequence of str
        Strata (see :func:`proportional_mortality` for derived ``age_group``/``period``).
    method : {"both", "mh", "logistic"}
        Mantel-Haenszel (``statsmodels.stats.contingency_tables.StratifiedTable``, with a crude
        Woolf row) and/or logistic regression (statsmodels GLM binomial with the strata as
        categorical terms).
    age, death_year : str
        Columns used to derive the strata.
    age_bins : sequence of float
        Age-group edges.
    period_width : int
        Width of death periods in years.
    alpha : float
        1 - confidence level.
    suppress : bool, default True
        Disclosure control (:mod:`harkit.privacy`): the cells ``a``, ``b``, ``c``, ``d`` as
        text through the policy, each 2x2 table with secondary suppression (its margins
        are public); the crude estimate (and any estimate from a single stratum) is left
        out where a cell is hidden, as it gives the cells back with the margins. ``False``
        shows everything exactly.
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    MORResult
        ``table``: group, cause, method (crude / mantel-haenszel / logistic), mor, ci_low,
        ci_high, p_value, a, b, c, d (exposed cause, exposed referent, reference cause,
        reference referent deaths), strata (informative strata used). ``model``: dict keyed
        by (group, cause) of the StratifiedTable and GLM results.

    Raises
    ------
    ValueError
        Missing columns, an empty cohort, an empty exposed or reference group, unknown method.

    Warns
    -----
    UserWarning
        Rows dropped for missing values; a cause with no informative stratum or zero cells.
    """
    import statsmodels.formula.api as smf
    from statsmodels.genmod.families import Binomial
    from statsmodels.stats.contingency_tables import StratifiedTable, Table2x2

    if method not in ("both", "mh", "logistic"):
        raise ValueError("method must be 'both', 'mh' or 'logistic'")
    d = _prepare(cohort, [cause_col, group_col], strata, age, death_year, age_bins,
                 period_width)
    years = cohort.loc[d.index, death_year] if death_year in cohort.columns else None
    definition_notes = check_cause_column(d[cause_col], years, setting="death")
    s_cols = list(strata)
    d = d.astype({c: str for c in s_cols})
    if not (d[group_col] == reference).any():
        raise ValueError(f"reference group {reference!r} has no deaths in {group_col!r}")
    groups = list(exposed) if exposed is not None else \
        [g for g in pd.unique(d[group_col]) if g != reference]
    all_causes = list(causes) if causes is not None else sorted(pd.unique(d[cause_col]), key=str)
    z = stats.norm.ppf(1 - alpha / 2)
    rows, models, notes = [], {}, list(definition_notes)
    for g in groups:
        dg = d[d[group_col].isin([g, reference])].copy()
        if not (dg[group_col] == g).any():
            raise ValueError(f"exposed group {g!r} has no deaths")
        dg["_exposed"] = (dg[group_col] == g).astype(int)
        for c in all_causes:
            referent = dg[cause_col] != c if reference_causes is None else \
                dg[cause_col].isin(reference_causes) & (dg[cause_col] != c)
            sub = dg[(dg[cause_col] == c) | referent].copy()
            sub["_case"] = (sub[cause_col] == c).astype(int)
            a = int(((sub._exposed == 1) & (sub._case == 1)).sum())
            b = int(((sub._exposed == 1) & (sub._case == 0)).sum())
            cc = int(((sub._exposed == 0) & (sub._case == 1)).sum())
            dd = int(((sub._exposed == 0) & (sub._case == 0)).sum())
            base = {"group": g, "cause": c, "a": a, "b": b, "c": cc, "d": dd}
            models[(g, c)] = {}
            if min(a, b, cc, dd) == 0:
                cells = ", ".join(f"{k}={dc.count_text(v, threshold) if suppress else v}"
                                  for k, v in zip("abcd", (a, b, cc, dd)))
                msg = f"{g!r} / {c!r}: a zero cell ({cells}); MOR not estimated"
                warnings.warn(msg, stacklevel=2)
                notes.append(msg)
                continue
            if method in ("both", "mh"):
                t2 = Table2x2(np.array([[a, b], [cc, dd]]))
                lo, hi = t2.oddsratio_confint(alpha)
                rows.append({**base, "method": "crude", "mor": t2.oddsratio, "ci_low": lo,
                             "ci_high": hi, "p_value": _chi2_p(t2.test_nominal_association()),
                             "strata": 1})
                cnt = sub.groupby([*s_cols, "_exposed", "_case"]).size()
                cube = cnt.unstack(["_exposed", "_case"], fill_value=0).reindex(
                    columns=pd.MultiIndex.from_tuples([(1, 1), (1, 0), (0, 1), (0, 0)]),
                    fill_value=0).to_numpy(float).reshape(-1, 2, 2)
                ok = (cube.sum(2).min(1) > 0) & (cube.sum(1).min(1) > 0)
                tabs = list(cube[ok])
                if not tabs:
                    msg = f"{g!r} / {c!r}: no stratum has both groups and both outcomes"
                    warnings.warn(msg, stacklevel=2)
                    notes.append(msg)
                else:
                    st = StratifiedTable(np.dstack(tabs))
                    lo, hi = st.oddsratio_pooled_confint(alpha)
                    rows.append({**base, "method": "mantel-haenszel", "mor": st.oddsratio_pooled,
                                 "ci_low": lo, "ci_high": hi,
                                 "p_value": _chi2_p(st.test_null_odds(correction=False)),
                                 "strata": len(tabs)})
                    models[(g, c)]["mh"] = st
            if method in ("both", "logistic"):
                terms = " + ".join(f"C(Q('{s}'))" for s in s_cols)
                formula = "_case ~ _exposed" + (f" + {terms}" if terms else "")
                # small fit: threaded BLAS only adds contention
                with warnings.catch_warnings(record=True) as caught, \
                        threadpool_limits(1, user_api="blas"):
                    warnings.simplefilter("always")
                    fit = smf.glm(formula, data=sub, family=Binomial()).fit()
                sep = [w for w in caught if "separation" in str(w.message).lower()]
                if sep:
                    msg = (f"{g!r} / {c!r}: (quasi-)separation in the logistic model "
                           "(sparse strata); use the Mantel-Haenszel estimate")
                    warnings.warn(msg, stacklevel=2)
                    notes.append(msg)
                beta, se = fit.params["_exposed"], fit.bse["_exposed"]
                rows.append({**base, "method": "logistic", "mor": float(np.exp(beta)),
                             "ci_low": float(np.exp(beta - z * se)),
                             "ci_high": float(np.exp(beta + z * se)),
                             "p_value": float(fit.pvalues["_exposed"]),
                             "strata": int(sub.groupby(s_cols).ngroups)})
                models[(g, c)]["logistic"] = fit
    cols = ["group", "cause", "method", "mor", "ci_low", "ci_high", "p_value", "a", "b", "c",
            "d", "strata"]
    tab = pd.DataFrame(rows, columns=cols)
    if tab.empty:
        raise ValueError("no mortality odds ratio could be estimated (every cause had a zero "
                         "cell); see the warnings")
    notes = [f"Exposed vs {group_col} = {reference!r}, stratified by {', '.join(s_cols)}; "
             "cause c vs " + ("all other causes" if reference_causes is None
                              else f"referent causes {list(reference_causes)}") + ".",
             _NO_DENOMINATOR,
             "The MOR estimates the ratio of SMRs if mortality from the referent causes is "
             "unrelated to exposure (Miettinen & Wang 1981); choose referent causes with that "
             "in mind.", *notes]
    if suppress:
        tab = _shown_mor(tab, threshold)
        notes.append(dc.policy_note(threshold, secondary=True, extra=(
            "Crude (single-stratum) estimates are left out where a cell of their 2x2 "
            "table is hidden.")))
    return MORResult(table=tab, method="Mortality odds ratio", notes=notes, model=models)


def _shown_mor(tab: pd.DataFrame, threshold: int | None) -> pd.DataFrame:
    """The MOR table through the policy: each (group, cause) 2x2 table suppressed with
    its margins, and single-stratum estimates of a table with a hidden cell left out."""
    keys = tab[["group", "cause"]].drop_duplicates().reset_index(drop=True)
    cells = tab.drop_duplicates(["group", "cause"]).set_index(["group", "cause"])
    long = pd.DataFrame([
        {"_table": i, "_row": r, "_col": col,
         "n": int(cells.loc[(k.group, k.cause), name])}
        for i, k in enumerate(keys.itertuples(index=False))
        for name, r, col in (("a", 1, 1), ("b", 1, 0), ("c", 0, 1), ("d", 0, 0))])
    shown = privacy.suppress(long, ["n"], rows="_row", cols="_col", by="_table",
                             threshold=threshold)
    text = {(keys.loc[t, "group"], keys.loc[t, "cause"], name): v
            for t, name, v in zip(long["_table"], np.tile(list("abcd"), len(keys)),
                                  shown["n"])}
    out = tab.copy()
    for name in "abcd":
        out[name] = [text[(g, c, name)] for g, c in zip(tab["group"], tab["cause"])]
    hidden = np.zeros(len(out), bool)
    for name in "abcd":
        hidden |= dc.hidden_cells(out[name], tab[name])
    single = (out["method"] == "crude") | (out["strata"] <= 1)
    out.loc[hidden & single.to_numpy(), ["mor", "ci_low", "ci_high", "p_value"]] = np.nan
    out.attrs.update(shown.attrs)
    return out
