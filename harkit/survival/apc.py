"""Age-period-cohort Poisson model of rates, with one stated identification choice.

Age (A), period (P) and birth cohort (C = P - A) are linearly dependent, so only the sum of
the period and cohort linear trends (the *drift*) is identified. Every APC analysis must
choose how to split it; the choice here is Holford's (1983) and Carstensen's (2007,
Epi ``apc.fit(parm="ACP")``): the period effects have mean 0 and slope 0 (only their
curvature is shown), the drift goes into the cohort effects, and the age effects are the
rates of the reference cohort. Other choices move a straight line between the period and
cohort effects and change nothing else; the fitted rates and the deviance do not depend
on the choice.

References
----------
Holford TR (1983). The estimation of age, period and cohort effects for vital rates.
Biometrics 39:311-324.
Carstensen B (2007). Age-period-cohort models for the Lexis diagram. Stat Med 26:3018-3045.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from harkit.plot import axes as _axes
from harkit.results import Result

__all__ = ["APCResult", "age_period_cohort"]


class APCResult(Result):
    """Age, period and cohort effects (see :func:`age_period_cohort`)."""

    def plot(self, ax: Any = None) -> Any:
        """Age rates and period and cohort rate ratios on a log scale.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = _axes(ax, (7, 4))
        for comp, sub in self.table.groupby("component", sort=False):
            ax.plot(sub["value"], sub["estimate"], marker="o", label=comp)
            ax.fill_between(sub["value"], sub["ci_lower"], sub["ci_upper"], alpha=0.2)
        ax.set_yscale("log")
        ax.set_xlabel("age / calendar year")
        ax.set_ylabel("rate (age) or rate ratio (period, cohort)")
        ax.legend(fontsize="small")
        return ax


def _detrended(levels: np.ndarray) -> np.ndarray:
    """Contrast columns for a factor whose effects have mean 0 and slope 0 in its values.

    Returns a (levels x (k - 2)) matrix spanning the effects orthogonal to a constant and
    a straight line in the level values.
    """
    k = levels.size
    base = np.column_stack([np.ones(k), levels - levels.mean()])
    # orthonormal basis of the complement of span(base)
    q, _ = np.linalg.qr(np.column_stack([base, np.eye(k)]))
    return q[:, 2:k]


def age_period_cohort(df: pd.DataFrame, *, age: str, period: str, events: str,
                      person_time: str, alpha: float = 0.05) -> APCResult:
    """Fit the age-period-cohort Poisson model with the drift assigned to the cohorts.

    ``log rate = f(A) + g(P) + h(C)`` with ``C = P - A``, each a factor of its levels,
    fitted by statsmodels' Poisson GLM with ``log(person_time)`` as offset. Identification
    (see the module notes): the period effects have mean 0 and no linear trend, so the
    drift sits in the cohort effects (Epi's ``apc.fit(parm="ACP")``); the cohort effects
    are rate ratios to the median cohort. Rows are summed by age and period first, so the
    pieces of :func:`harkit.survival.split_time` (``<scale>_band`` columns, ``event``,
    ``risk_time``) can be passed directly.

    Parameters
    ----------
    df : pandas.DataFrame
        Events and person-time by age and period (any finer split is summed).
    age, period : str
        Columns of the age band and the period band (numbers, e.g. their lower limits;
        equal widths make the cohorts ``P - A`` synthetic cohorts).
    events, person_time : str
        Columns of event counts and person-time.
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    APCResult
        ``table``: ``component`` (``age``: rate per unit of person-time in the reference
        cohort; ``period``, ``cohort``: rate ratios), ``value`` (the level), ``estimate``,
        ``ci_lower``, ``ci_upper``. ``extra["deviance"]``: the analysis of deviance of the
        models A, A+drift, A+C, A+P+C (deviance, residual df), and ``extra["drift"]``:
        the annual drift as a rate ratio per unit with its CI. ``model``: the statsmodels
        results of the A+P+C model.

    Raises
    ------
    KeyError
        A column is missing.
    ValueError
        Missing values, negative counts or non-positive person-time, or fewer than 3
        periods or 3 ages.
    """
    import statsmodels.api as sm
    from scipy import stats

    cols = [age, period, events, person_time]
    miss = [c for c in cols if c not in df.columns]
    if miss:
        raise KeyError(f"age_period_cohort: column(s) not in df: {miss}")
    d = df[cols].apply(pd.to_numeric, errors="coerce")
    if d.isna().any().any() or np.isinf(d[[age, period]].to_numpy(float)).any():
        raise ValueError("age_period_cohort: missing, non-numeric or infinite values in "
                         f"{[c for c in cols if d[c].isna().any()] or [age, period]}")
    d = d.groupby([age, period], as_index=False)[[events, person_time]].sum()
    if (d[events] < 0).any() or (d[person_time] <= 0).any():
        raise ValueError("age_period_cohort: negative events or non-positive person-time")
    a_lv, p_lv = np.sort(d[age].unique()), np.sort(d[period].unique())
    if a_lv.size < 3 or p_lv.size < 3:
        raise ValueError("age_period_cohort: needs at least 3 ages and 3 periods")
    d["_cohort"] = d[period] - d[age]
    c_lv = np.sort(d["_cohort"].unique())
    c_ref = c_lv[len(c_lv) // 2]
    y = d[events].to_numpy(float)
    off = np.log(d[person_time].to_numpy(float))
    ai = np.searchsorted(a_lv, d[age])
    pi = np.searchsorted(p_lv, d[period])
    ci = np.searchsorted(c_lv, d["_cohort"])
    xa = np.eye(a_lv.size)[ai]                                   # rates by age
    xc_full = np.eye(c_lv.size)[ci]
    xc = np.delete(xc_full, np.searchsorted(c_lv, c_ref), axis=1)  # ratios to c_ref
    pcon = _detrended(p_lv)
    xp = pcon[pi]
    x = np.column_stack([xa, xc, xp])
    empty = {name: sorted(lv[np.bincount(idx, weights=y, minlength=lv.size) == 0].tolist())
             for name, lv, idx in (("age", a_lv, ai), ("period", p_lv, pi),
                                   ("cohort", c_lv, ci))}
    empty = {k: v for k, v in empty.items() if v}
    if empty:
        # the MLE does not exist: those effects run off to -inf (rate 0)
        warnings.warn(f"age_period_cohort: levels with no events {empty}; their effects "
                      "are not estimable (rate 0): merge bands or restrict the range",
                      UserWarning, stacklevel=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence noise; reported above
        fit = sm.GLM(y, x, family=sm.families.Poisson(), offset=off).fit()
    beta, cov = fit.params, fit.cov_params()
    z = stats.norm.ppf(1 - alpha / 2)
    na, nc = a_lv.size, c_lv.size - 1
    rows = []

    def add(comp: str, values: np.ndarray, lin: np.ndarray) -> None:
        est = lin @ beta
        se = np.sqrt(np.einsum("ij,jk,ik->i", lin, cov, lin))
        for v, e, s in zip(values, est, se, strict=True):
            with np.errstate(over="ignore"):  # levels without events (warned above)
                rows.append({"component": comp, "value": v, "estimate": np.exp(e),
                             "ci_lower": np.exp(e - z * s), "ci_upper": np.exp(e + z * s)})

    lin_a = np.zeros((na, x.shape[1]))
    lin_a[:, :na] = np.eye(na)
    # the age rates are those of the reference cohort at mean period effect (0)
    add("age", a_lv, lin_a)
    lin_c = np.zeros((c_lv.size, x.shape[1]))
    keep = [i for i in range(c_lv.size) if c_lv[i] != c_ref]
    for j, i in enumerate(keep):
        lin_c[i, na + j] = 1.0
    add("cohort", c_lv, lin_c)
    lin_p = np.zeros((p_lv.size, x.shape[1]))
    lin_p[:, na + nc:] = pcon
    add("period", p_lv, lin_p)
    table = pd.DataFrame(rows)

    # analysis of deviance: A, A + drift, A + C, A + P + C (Carstensen 2007, Table 1)
    def dev(xm: np.ndarray) -> tuple[float, float]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = sm.GLM(y, xm, family=sm.families.Poisson(), offset=off).fit()
        return float(f.deviance), float(f.df_resid)

    drift_x = (d["_cohort"].to_numpy(float) - c_ref)[:, None]
    models = {"age": xa, "age + drift": np.column_stack([xa, drift_x]),
              "age + cohort": np.column_stack([xa, xc]), "age + period + cohort": x}
    deviance = pd.DataFrame([{"model": k, **dict(zip(("deviance", "df_resid"), dev(v)))}
                             for k, v in models.items()])
    dfit = sm.GLM(y, models["age + drift"], family=sm.families.Poisson(), offset=off).fit()
    b, s = float(dfit.params[-1]), float(dfit.bse[-1])
    drift = {"rate_ratio_per_unit": np.exp(b), "ci_lower": np.exp(b - z * s),
             "ci_upper": np.exp(b + z * s)}
    notes = [
        "Identification: period effects with mean 0 and no linear trend; the drift (the sum "
        "of the period and cohort linear trends, the only identified part) is in the cohort "
        f"effects, which are rate ratios to cohort {c_ref:g}; age effects are the rates of "
        "that cohort (Holford 1983; Epi apc.fit(parm='ACP')). Other choices move a straight "
        "line between period and cohort and leave the fitted rates unchanged.",
        f"Drift: rate ratio {drift['rate_ratio_per_unit']:.4f} per unit of time "
        f"({100 * (1 - alpha):g}% CI {drift['ci_lower']:.4f}-{drift['ci_upper']:.4f}).",
    ]
    return APCResult(table=table, method="Age-period-cohort Poisson model", notes=notes,
                     model=fit, extra={"deviance": deviance, "drift": drift})
