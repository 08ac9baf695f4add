"""Two-group contrasts: risk, odds and rate ratios and differences, and Mantel-Haenszel.

Wald intervals on the log scale by default; exact or score methods where cells are small.
Each row of a result names its method. The computations are statsmodels' and scipy's.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable, Table2x2
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.rates import confint_poisson_2indep

from harkit import _disclosure as dc
from harkit import privacy
from harkit.results import Result

#: Cells (2x2 counts, or event counts for rates) below this switch to exact/score methods.
SMALL_CELL = 5

_COLS = ["comparison", "measure", "estimate", "lower", "upper", "p_value", "method"]


@dataclass(repr=False)
class ContrastResult(Result):
    """Result of :func:`compare_proportions`, :func:`compare_rates` and :func:`stratified`.

    ``table`` has one row per comparison and measure with ``estimate``, ``lower``,
    ``upper``, ``p_value`` and ``method``; ``extra["counts"]`` holds the counts used
    (through the disclosure-control policy unless built with ``suppress=False``).
    """

    def plot(self, ax: Any = None) -> Any:
        """Forest plot of the ratio measures.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from harkit.plot import forest

        t = self.table[self.table["measure"].str.contains("ratio")]
        return forest(t, "estimate", "lower", "upper", ["comparison", "measure"], ax=ax,
                      xlabel="ratio (log scale)")


def _binary(s: pd.Series, name: str, event: Any = None) -> pd.Series:
    """Outcome as 0/1 (NaN kept); ``event`` names the event level of a 2-level column."""
    if event is not None:
        return (s == event).astype(float).where(s.notna())
    if pd.api.types.is_bool_dtype(s) or set(pd.unique(s.dropna())) <= {0, 1}:
        return s.astype(float)
    raise ValueError(f"outcome {name!r} must be boolean or 0/1, or give event=; "
                     f"values are {sorted(map(str, pd.unique(s.dropna())))[:10]}")


def _exposure_levels(s: pd.Series, reference: Any) -> tuple[Any, list[Any]]:
    if isinstance(s.dtype, pd.CategoricalDtype):
        levels = [lv for lv in s.cat.categories if (s == lv).any()]
    else:
        levels = sorted(pd.unique(s.dropna()), key=lambda v: (str(type(v)), v))
    if reference is None:
        if not levels:
            raise ValueError("exposure has no non-missing values")
        reference = levels[0]
    elif reference not in levels:
        raise ValueError(f"reference {reference!r} not among exposure levels {levels}")
    return reference, [lv for lv in levels if lv != reference]


def _ratio_ci(a: int, n1: int, c: int, n0: int, alpha: float) -> tuple[Any, str]:
    """Risk-ratio CI for small cells: score (Miettinen-Nurminen), else log with 0.5 added."""
    if a > 0 and c > 0:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                ci = confint_proportions_2indep(a, n1, c, n0, method="score",
                                                compare="ratio", alpha=alpha)
            if np.all(np.isfinite(ci)):
                return ci, "Miettinen-Nurminen score"
        except (ValueError, RuntimeError):
            pass
    ci = confint_proportions_2indep(a, n1, c, n0, method="log-adjusted", compare="ratio",
                                    alpha=alpha)
    return ci, "log (0.5 added to cells)"


def _two_by_two(a: int, b: int, c: int, d: int, label: str, alpha: float,
                exact: bool | None) -> tuple[list[dict[str, Any]], Table2x2 | None]:
    """Rows for RR, RD and OR of exposed (a events, b not) vs reference (c, d)."""
    n1, n0 = a + b, c + d
    rows: list[dict[str, Any]] = []
    if n1 == 0 or n0 == 0:
        warnings.warn(f"{label}: a group is empty; no contrast", stacklevel=3)
        return [dict(comparison=label, measure=m, estimate=np.nan, lower=np.nan,
                     upper=np.nan, p_value=np.nan, method="not estimable (empty group)")
                for m in ("risk ratio", "risk difference", "odds ratio")], None
    small = min(a, b, c, d) < SMALL_CELL if exact is None else exact
    tab = Table2x2(np.array([[a, b], [c, d]], float))
    p1, p0 = a / n1, c / n0
    if small:
        p_fisher = float(stats.fisher_exact([[a, b], [c, d]])[1])
        rr_ci, rr_m = _ratio_ci(a, n1, c, n0, alpha)
        rd_ci = confint_proportions_2indep(a, n1, c, n0, method="newcomb", compare="diff",
                                           alpha=alpha)
        orr = stats.contingency.odds_ratio([[a, b], [c, d]], kind="conditional")
        or_ci = orr.confidence_interval(1 - alpha)
        rows += [
            dict(measure="risk ratio", estimate=p1 / p0 if p0 else np.nan, lower=rr_ci[0],
                 upper=rr_ci[1], p_value=p_fisher,
                 method=f"{rr_m} CI; Fisher exact p"),
            dict(measure="risk difference", estimate=p1 - p0, lower=rd_ci[0],
                 upper=rd_ci[1], p_value=p_fisher,
                 method="Newcombe hybrid score CI; Fisher exact p"),
            dict(measure="odds ratio", estimate=float(orr.statistic), lower=or_ci.low,
                 upper=or_ci.high, p_value=p_fisher,
                 method="conditional MLE, exact CI; Fisher exact p"),
        ]
    else:
        rd_ci = confint_proportions_2indep(a, n1, c, n0, method="wald", compare="diff",
                                           alpha=alpha)
        se_rd = np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
        p_rd = float(2 * stats.norm.sf(abs(p1 - p0) / se_rd)) if se_rd > 0 else np.nan
        rr_ci = tab.riskratio_confint(alpha=alpha)
        or_ci = tab.oddsratio_confint(alpha=alpha)
        rows += [
            dict(measure="risk ratio", estimate=tab.riskratio, lower=rr_ci[0],
                 upper=rr_ci[1], p_value=tab.riskratio_pvalue(), method="Wald (log scale)"),
            dict(measure="risk difference", estimate=p1 - p0, lower=rd_ci[0],
                 upper=rd_ci[1], p_value=p_rd, method="Wald"),
            dict(measure="odds ratio", estimate=tab.oddsratio, lower=or_ci[0],
                 upper=or_ci[1], p_value=tab.oddsratio_pvalue(), method="Wald (log scale)"),
        ]
    for r in rows:
        r["comparison"] = label
        for k in ("estimate", "lower", "upper", "p_value"):
            r[k] = float(r[k])
    return rows, tab


def compare_proportions(
    df: pd.DataFrame,
    exposure: str,
    outcome: str,
    *,
    reference: Any = None,
    event: Any = None,
    alpha: float = 0.05,
    exact: bool | None = None,
    suppress: bool = True,
    threshold: int | None = None,
) -> ContrastResult:
    """Risk ratio, risk difference and odds ratio of an outcome by exposure level.

    Each non-reference level is compared with ``reference``. With all four cells of the
    2x2 table at least 5 (``SMALL_CELL``) the intervals are Wald (log scale for ratios,
    via :class:`statsmodels.stats.contingency_tables.Table2x2`); otherwise the odds ratio
    is the conditional MLE with its exact interval
    (:func:`scipy.stats.contingency.odds_ratio`), risk ratio and difference get
    Miettinen-Nurminen score intervals, and the p-value is Fisher's exact test.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per person.
    exposure : str
        Grouping column.
    outcome : str
        Boolean or 0/1 column (or any column with ``event`` given).
    reference : optional
        Reference level; default the first category (or smallest value).
    event : optional
        Value of ``outcome`` counted as the event.
    alpha : float, default 0.05
        1 - confidence level.
    exact : bool, optional
        Force exact (True) or Wald (False) methods; default by cell size.
    suppress : bool, default True
        Disclosure control (:mod:`harkit.privacy`): the counts by exposure level and
        outcome are one cross-table, suppressed with secondary suppression, and shown in
        ``extra["counts"]`` as text; the estimates of a comparison with a hidden cell are
        left out (NaN), as they give the cells back. ``False`` shows everything exactly.
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    ContrastResult
        ``table`` with columns comparison, measure, estimate, lower, upper, p_value,
        method; ``extra["counts"]`` the 2x2 counts; ``model`` a dict of ``Table2x2``.

    Raises
    ------
    ValueError
        On missing columns, a non-binary outcome or an unknown reference.
    """
    for col in (exposure, outcome):
        if col not in df.columns:
            raise ValueError(f"column {col!r} not in data")
    df = df.reset_index(drop=True)
    y = _binary(df[outcome], outcome, event)
    keep = y.notna() & df[exposure].notna()
    notes = []
    if (~keep).sum():
        notes.append(f"{int((~keep).sum())} rows with missing {exposure} or {outcome} left out.")
    x, y = df.loc[keep, exposure], y[keep]
    reference, others = _exposure_levels(x, reference)
    if not others:
        warnings.warn(f"{exposure!r} has a single level; nothing to compare", stacklevel=2)
    c = int(y[x == reference].sum())
    d = int((x == reference).sum()) - c
    rows, models, counts = [], {}, []
    for lv in others:
        a = int(y[x == lv].sum())
        b = int((x == lv).sum()) - a
        label = f"{lv} vs {reference}"
        r, tab = _two_by_two(a, b, c, d, label, alpha, exact)
        rows += r
        models[label] = tab
        counts.append(dict(comparison=label, exposed_events=a, exposed_nonevents=b,
                           reference_events=c, reference_nonevents=d))
    table = pd.DataFrame(rows, columns=_COLS)
    counts = pd.DataFrame(counts, columns=["comparison", *_CELLS])
    notes.append(f"Exact/score methods when a 2x2 cell is below {SMALL_CELL}; else Wald.")
    if suppress:
        table, counts = _shown_proportions(table, counts, threshold)
        notes.append(dc.policy_note(threshold, secondary=True, extra=(
            "Estimates of a comparison with a hidden count are left out.")))
    return ContrastResult(table=table, method=f"{outcome} by {exposure}", notes=notes,
                          model=models, extra={"counts": counts})


_CELLS = ["exposed_events", "exposed_nonevents", "reference_events", "reference_nonevents"]


def _hide_comparisons(table: pd.DataFrame, hidden: pd.Series) -> pd.DataFrame:
    """Estimates of the comparisons flagged in ``hidden`` (indexed by comparison) as NaN."""
    out = table.copy()
    rows = out["comparison"].isin(hidden.index[hidden.to_numpy(bool)]).to_numpy()
    out.loc[rows, ["estimate", "lower", "upper", "p_value"]] = np.nan
    return out


def _shown_proportions(table: pd.DataFrame, counts: pd.DataFrame,
                       threshold: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts as one level-by-outcome cross-table through the policy (the reference row
    is shared by every comparison, so it is suppressed once)."""
    if counts.empty:
        return table, counts
    ref = counts.iloc[0]
    levels = [("reference", ref["reference_events"], ref["reference_nonevents"])]
    levels += [(c, r.exposed_events, r.exposed_nonevents)
               for c, r in zip(counts["comparison"], counts.itertuples(index=False))]
    long = pd.DataFrame([{"level": lv, "outcome": o, "n": int(n)}
                         for lv, ev, non in levels for o, n in (("event", ev), ("none", non))])
    shown = privacy.suppress(long, ["n"], rows="level", cols="outcome", threshold=threshold)
    text = dict(zip(zip(long["level"], long["outcome"]), shown["n"]))
    out = counts.copy()
    for col, lv, o in (("exposed_events", None, "event"), ("exposed_nonevents", None, "none"),
                       ("reference_events", "reference", "event"),
                       ("reference_nonevents", "reference", "none")):
        out[col] = [text[(lv or c, o)] for c in counts["comparison"]]
    hidden = np.zeros(len(out), bool)
    for col in _CELLS:
        hidden |= dc.hidden_cells(out[col], counts[col])
    out.attrs.update(shown.attrs)
    return _hide_comparisons(table, pd.Series(hidden, index=out["comparison"])), out


def _exact_rate_ratio(e1: int, t1: float, e0: int, t0: float,
                      alpha: float) -> tuple[tuple[float, float], float]:
    """Exact conditional rate-ratio CI and p: e1 | e1 + e0 is binomial."""
    n = e1 + e0
    if n == 0:
        return (np.nan, np.nan), np.nan
    ci = stats.binomtest(e1, n).proportion_ci(1 - alpha, method="exact")
    to_rr = lambda q: q * t0 / ((1 - q) * t1) if q < 1 else np.inf  # noqa: E731
    p = stats.binomtest(e1, n, t1 / (t1 + t0)).pvalue
    return (to_rr(ci.low), to_rr(ci.high)), float(p)


def compare_rates(
    df: pd.DataFrame,
    exposure: str,
    events: str,
    person_time: str,
    *,
    reference: Any = None,
    alpha: float = 0.05,
    exact: bool | None = None,
    per: float = 1.0,
    suppress: bool = True,
    threshold: int | None = None,
) -> ContrastResult:
    """Rate ratio and rate difference of event counts over person-time by exposure.

    Rows (persons, or aggregated strata) are summed per exposure level. With at least 5
    (``SMALL_CELL``) events in both groups: Wald intervals, on the log scale for the
    ratio (``se = sqrt(1/e1 + 1/e0)``) and ``se = sqrt(e1/t1**2 + e0/t0**2)`` for the
    difference. Otherwise the exact conditional (binomial) test and interval for the
    ratio and a score interval for the difference, from :mod:`statsmodels.stats.rates`.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows with event counts and person-time.
    exposure, events, person_time : str
        Columns.
    reference : optional
        Reference exposure level.
    alpha : float, default 0.05
        1 - confidence level.
    exact : bool, optional
        Force exact (True) or Wald (False); default by event counts.
    per : float, default 1.0
        Rate differences per this much person-time (e.g. 1000).
    suppress : bool, default True
        Disclosure control (:mod:`harkit.privacy`): event counts in ``extra["counts"]``
        as text through the policy; the estimates of a comparison with a hidden count are
        left out (with the person-time they give the count back). ``False`` shows
        everything exactly.
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    ContrastResult

    Raises
    ------
    ValueError
        On missing columns, negative counts or non-positive person-time in a group.
    """
    for col in (exposure, events, person_time):
        if col not in df.columns:
            raise ValueError(f"column {col!r} not in data")
    if (df[events] < 0).any() or (df[person_time] < 0).any():
        raise ValueError("events and person-time must be non-negative")
    agg = df.groupby(exposure, observed=True)[[events, person_time]].sum()
    reference, others = _exposure_levels(df[exposure], reference)
    e0, t0 = float(agg.loc[reference, events]), float(agg.loc[reference, person_time])
    rows, counts = [], []
    for lv in others:
        e1, t1 = float(agg.loc[lv, events]), float(agg.loc[lv, person_time])
        label = f"{lv} vs {reference}"
        counts.append(dict(comparison=label, exposed_events=e1, exposed_time=t1,
                           reference_events=e0, reference_time=t0))
        if t0 <= 0 or t1 <= 0:
            warnings.warn(f"{label}: no person-time in a group", stacklevel=2)
            rows += [dict(comparison=label, measure=m, estimate=np.nan, lower=np.nan,
                          upper=np.nan, p_value=np.nan, method="not estimable")
                     for m in ("rate ratio", "rate difference")]
            continue
        r1, r0 = e1 / t1, e0 / t0
        small = min(e1, e0) < SMALL_CELL if exact is None else exact
        if small:
            rr_ci, p = _exact_rate_ratio(int(e1), t1, int(e0), t0, alpha)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    rd_ci = confint_poisson_2indep(e1, t1, e0, t0, method="score",
                                                   compare="diff", alpha=alpha)
                m_rd = "score CI; exact conditional p"
                if not np.all(np.isfinite(rd_ci)):
                    raise ValueError
            except (ValueError, RuntimeError):
                rd_ci = confint_poisson_2indep(e1, t1, e0, t0, method="waldccv",
                                               compare="diff", alpha=alpha)
                m_rd = "Wald CI (variance-corrected); exact conditional p"
            m_rr = "exact conditional (binomial, Clopper-Pearson)"
            p_rd = p
        else:
            z = stats.norm.ppf(1 - alpha / 2)
            se = np.sqrt(1 / e1 + 1 / e0)
            rr_ci = np.exp(np.log(r1 / r0) + np.array([-z, z]) * se)
            p = 2 * stats.norm.sf(abs(np.log(r1 / r0)) / se)
            se_d = np.sqrt(e1 / t1**2 + e0 / t0**2)
            rd_ci = (r1 - r0) + np.array([-z, z]) * se_d
            p_rd = 2 * stats.norm.sf(abs(r1 - r0) / se_d)
            m_rr, m_rd = "Wald (log scale)", "Wald"
        est_rr = r1 / r0 if r0 > 0 else np.nan
        rows += [
            dict(comparison=label, measure="rate ratio", estimate=est_rr,
                 lower=float(rr_ci[0]), upper=float(rr_ci[1]), p_value=float(p),
                 method=m_rr),
            dict(comparison=label, measure="rate difference", estimate=(r1 - r0) * per,
                 lower=float(rd_ci[0]) * per, upper=float(rd_ci[1]) * per,
                 p_value=float(p_rd), method=m_rd + (f"; per {per:g} person-time"
                                                     if per != 1 else "")),
        ]
    table = pd.DataFrame(rows, columns=_COLS)
    counts = pd.DataFrame(counts, columns=["comparison", "exposed_events", "exposed_time",
                                           "reference_events", "reference_time"])
    notes = [f"Exact/score methods when a group has fewer than {SMALL_CELL} events; "
             "else Wald."]
    if suppress and len(counts):
        shown = dc.suppress_table(counts, ["exposed_events", "reference_events"],
                                  threshold=threshold)
        hidden = (dc.hidden_cells(shown["exposed_events"], counts["exposed_events"])
                  | dc.hidden_cells(shown["reference_events"], counts["reference_events"]))
        table = _hide_comparisons(table, pd.Series(hidden, index=counts["comparison"]))
        counts = shown
        notes.append(dc.policy_note(threshold, extra=(
            "Estimates of a comparison with a hidden count are left out.")))
    return ContrastResult(table=table, method=f"{events} per {person_time} by {exposure}",
                          notes=notes, extra={"counts": counts})


def _mh_rr_ci(tables: list[np.ndarray], alpha: float) -> tuple[float, float, float]:
    """Mantel-Haenszel risk ratio with the Greenland-Robins (1985) variance."""
    num = den = var_num = 0.0
    for t in tables:
        a, b, c, d = t.ravel()
        n1, n0, n = a + b, c + d, a + b + c + d
        num += a * n0 / n
        den += c * n1 / n
        var_num += (n1 * n0 * (a + c) - a * c * n) / n**2
    if num == 0 or den == 0:
        return (num / den if den else np.nan), np.nan, np.nan
    rr = num / den
    se = np.sqrt(var_num / (num * den))
    z = stats.norm.ppf(1 - alpha / 2)
    return rr, rr * np.exp(-z * se), rr * np.exp(z * se)


def _breslow_day(st_tab: StratifiedTable, tables: list[np.ndarray]) -> Any:
    """Breslow-Day test from statsmodels; when the pooled OR is exactly 1 (statsmodels
    divides by zero there) the expected cells are those of independence."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        bd = st_tab.test_equal_odds(adjust=False)
    if np.isfinite(bd.pvalue) or not np.isclose(st_tab.oddsratio_pooled, 1.0):
        return bd
    stat = 0.0
    for t in tables:
        e = np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()
        stat += (t[0, 0] - e[0, 0]) ** 2 * (1 / e).sum()
    bd.statistic = stat
    bd.pvalue = float(stats.chi2.sf(stat, len(tables) - 1))
    return bd


def stratified(
    df: pd.DataFrame,
    exposure: str,
    outcome: str,
    strata: str | list[str],
    *,
    reference: Any = None,
    event: Any = None,
    alpha: float = 0.05,
    suppress: bool = True,
    threshold: int | None = None,
) -> ContrastResult:
    """Mantel-Haenszel odds and risk ratios across strata, with homogeneity tests.

    Wraps :class:`statsmodels.stats.contingency_tables.StratifiedTable`: pooled MH odds
    ratio with the Robins-Breslow-Greenland interval, the Cochran-Mantel-Haenszel test
    of no association, and the Breslow-Day test of equal odds ratios. The MH risk ratio
    (not in statsmodels) uses the Greenland-Robins (1985) variance. Strata without both
    exposure groups or without both outcomes carry no information and are dropped.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per person.
    exposure : str
        Two-level exposure column (one level the ``reference``).
    outcome : str
        Boolean or 0/1 outcome (or give ``event``).
    strata : str or list of str
        Stratifying column(s).
    reference : optional
        Unexposed level; default the first.
    event : optional
        Outcome value counted as the event.
    alpha : float, default 0.05
        1 - confidence level.
    suppress : bool, default True
        Disclosure control (:mod:`harkit.privacy`): ``extra["counts"]`` as text through
        the policy, each stratum's 2x2 table with secondary suppression (its margins are
        public); a stratum's own odds ratio is left out where a cell is hidden. The pooled
        estimates and tests are shown. ``False`` shows everything exactly.
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    ContrastResult
        ``table`` with a crude and a stratum-specific odds ratio per stratum and the MH
        pooled OR and RR; ``extra["tests"]`` the CMH and Breslow-Day tests;
        ``extra["counts"]`` the 2x2 table per stratum; ``model`` the ``StratifiedTable``.

    Raises
    ------
    ValueError
        If the exposure does not have exactly two levels or no stratum is informative.
    """
    strata = [strata] if isinstance(strata, str) else list(strata)
    df = df.reset_index(drop=True)
    y = _binary(df[outcome], outcome, event)
    keep = y.notna() & df[exposure].notna() & df[strata].notna().all(axis=1)
    x, y, st = df.loc[keep, exposure], y[keep], df.loc[keep, strata]
    reference, others = _exposure_levels(x, reference)
    if len(others) != 1:
        raise ValueError(f"stratified needs a two-level exposure; {exposure!r} has "
                         f"{len(others) + 1} levels with data")
    lv = others[0]
    label = f"{lv} vs {reference}"
    tables, names, counts, dropped = [], [], [], []
    # iterate (keys are tuples in every pandas) rather than .groups (pandas 4 changes them)
    for key, part in st.groupby(strata, observed=True):
        xi, yi = x.loc[part.index], y.loc[part.index]
        a = int(yi[xi == lv].sum())
        b = int((xi == lv).sum()) - a
        c = int(yi[xi == reference].sum())
        d = int((xi == reference).sum()) - c
        name = key if not isinstance(key, tuple) or len(key) > 1 else key[0]
        counts.append(dict(stratum=name, a=a, b=b, c=c, d=d))
        if (a + b) == 0 or (c + d) == 0 or (a + c) == 0 or (b + d) == 0:
            dropped.append(str(name))
            continue
        tables.append(np.array([[a, b], [c, d]], float))
        names.append(name)
    notes = []
    if dropped:
        warnings.warn(f"uninformative strata dropped: {dropped}", stacklevel=2)
        notes.append(f"Strata without both exposure groups or both outcomes dropped: "
                     f"{', '.join(dropped)}.")
    if not tables:
        raise ValueError("no stratum has both exposure groups and both outcomes")
    rows = []
    for name, t in zip(names, tables):
        t2 = Table2x2(t, shift_zeros=True)
        ci = t2.oddsratio_confint(alpha=alpha)
        rows.append(dict(comparison=f"{label} | {name}", measure="odds ratio",
                         estimate=t2.oddsratio, lower=ci[0], upper=ci[1],
                         p_value=t2.oddsratio_pvalue(),
                         method="Wald (log scale)" + ("; 0.5 added to cells"
                                                      if (t == 0).any() else "")))
    st_tab = StratifiedTable(tables)
    ci = st_tab.oddsratio_pooled_confint(alpha=alpha)
    null = st_tab.test_null_odds(correction=False)
    # statsmodels gives 1 - chi2.cdf (0 below 1e-16); the survival function keeps it
    null.pvalue = float(stats.chi2.sf(null.statistic, 1))
    rr, rr_lo, rr_hi = _mh_rr_ci(tables, alpha)
    rows += [
        dict(comparison=f"{label} | Mantel-Haenszel", measure="odds ratio",
             estimate=st_tab.oddsratio_pooled, lower=ci[0], upper=ci[1],
             p_value=null.pvalue, method="Mantel-Haenszel, RGB CI; CMH test p"),
        dict(comparison=f"{label} | Mantel-Haenszel", measure="risk ratio",
             estimate=rr, lower=rr_lo, upper=rr_hi, p_value=null.pvalue,
             method="Mantel-Haenszel, Greenland-Robins CI; CMH test p"),
    ]
    bd = _breslow_day(st_tab, tables)
    tests = pd.DataFrame([
        dict(test="Cochran-Mantel-Haenszel (no association)", statistic=null.statistic,
             df=1, p_value=null.pvalue),
        dict(test="Breslow-Day (homogeneity of odds ratios)", statistic=bd.statistic,
             df=len(tables) - 1, p_value=bd.pvalue),
    ])
    table = pd.DataFrame(rows, columns=_COLS)
    for k in ("estimate", "lower", "upper", "p_value"):
        table[k] = table[k].astype(float)
    notes.append(f"Breslow-Day p = {bd.pvalue:.3g} (small p: odds ratios differ across "
                 f"strata and the pooled estimate may mislead).")
    counts = pd.DataFrame(counts, columns=["stratum", "a", "b", "c", "d"])
    if suppress:
        table, counts = _shown_strata(table, counts, label, threshold)
        notes.append(dc.policy_note(threshold, secondary=True, extra=(
            "A stratum's own odds ratio is left out where a count of its table is hidden.")))
    return ContrastResult(table=table, method=f"Mantel-Haenszel: {outcome} by {exposure} "
                          f"stratified by {', '.join(strata)}", notes=notes, model=st_tab,
                          extra={"tests": tests, "counts": counts})


def _shown_strata(table: pd.DataFrame, counts: pd.DataFrame, label: str,
                  threshold: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each stratum's 2x2 table through the policy, and its odds ratio hidden with it."""
    cells = (("a", "exposed", "event"), ("b", "exposed", "none"),
             ("c", "reference", "event"), ("d", "reference", "none"))
    long = pd.DataFrame([{"_stratum": i, "row": r, "col": c, "n": int(n)}
                         for i, vals in enumerate(counts[["a", "b", "c", "d"]].to_numpy())
                         for n, (_, r, c) in zip(vals, cells)])
    shown = privacy.suppress(long, ["n"], rows="row", cols="col", by="_stratum",
                             threshold=threshold)
    out = counts.copy()
    text = shown["n"].to_numpy(object).reshape(len(counts), 4)
    for j, (name, _, _) in enumerate(cells):
        out[name] = text[:, j]
    hidden = np.zeros(len(out), bool)
    for name in "abcd":
        hidden |= dc.hidden_cells(out[name], counts[name])
    own = pd.Series(hidden, index=[f"{label} | {s}" for s in counts["stratum"]])
    out.attrs.update(shown.attrs)
    return _hide_comparisons(table, own), out
