"""Regression models, direct age standardisation and inverse probability weighting.

* :func:`regress` - logistic, Poisson and negative binomial regression from a formula, with
  a tidy table of exponentiated estimates (OR, RR, IRR) and a forest plot.
* :func:`standardise` - direct age standardisation of rates or proportions to the European
  Standard Population 2013 (:data:`ESP2013`) or a custom standard, with Fay-Feuer intervals.
* :func:`iptw` - inverse probability of treatment weighting: propensity by logistic
  regression, weights, balance (standardised mean differences before and after) with a love
  plot, and the weighted outcome contrast (OR and risk difference, robust standard errors).
* :func:`episode_treatment_table` - the episode-level table on which the synthetic register
  plants its treatment probabilities, for analyses of who received a treatment.

Bad input (a constant outcome, empty or single categories, all-missing variables, perfect
separation) gives a :class:`ModelWarning` and a table with missing estimates, not an error
from inside statsmodels.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import patsy
import statsmodels.api as sm
from scipy import stats

from harkit import _disclosure as dc
from harkit.plot import axes as _axes
from harkit.plot import forest
from harkit.privacy import suppress as _suppress
from harkit.results import Result

__all__ = ["ESP2013", "IPTWResult", "ModelWarning", "RegressionResult", "StandardisedResult",
           "episode_treatment_table", "iptw", "regress", "standardise"]

#: European Standard Population 2013: weight per 5-year age band, keyed by the band's lower
#: age (90 = 90+); total 100,000. Source: Eurostat (2013), "Revision of the European
#: Standard Population", as tabulated in ukhsa-collaboration/PHEindicatormethods
#: ``R/data.R`` (esp2013).
ESP2013: pd.Series = pd.Series(
    [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500,
     5000, 4000, 2500, 1500, 1000],
    index=pd.Index(range(0, 95, 5), name="age_band"), name="esp2013", dtype=float)

_MEASURE = {"logistic": "OR", "poisson": "RR", "negbin": "IRR"}
_SEPARATION_LOGIT = 15.0  # |log OR| beyond this means the fit ran off to infinity


class ModelWarning(UserWarning):
    """A model could not be fitted as asked (separation, empty groups, missing data)."""


def _warn(msg: str) -> None:
    warnings.warn(msg, ModelWarning, stacklevel=3)


# --------------------------------------------------------------------------- regression


class RegressionResult(Result):
    """Result of :func:`regress`: one row per model term.

    ``table`` columns: ``term``, ``measure`` (OR, RR or IRR), ``estimate``, ``lower``,
    ``upper``, ``p_value``, ``n`` (observations with the indicator set, for indicator
    terms), ``events`` (outcome total among them) and ``flag`` (why an estimate is missing).
    """

    def plot(self, ax: Any = None) -> Any:
        """Forest plot of the exponentiated estimates (intercept left out).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on.

        Returns
        -------
        matplotlib.axes.Axes
        """
        t = self.table[self.table["term"] != "Intercept"]
        measure = t["measure"].iloc[0] if len(t) else ""
        return forest(t, "estimate", "lower", "upper", "term", ax=ax,
                      xlabel=f"{measure} (95% CI)")


def _design(formula: str, data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Outcome and design matrix, with unused categories and all-missing columns handled."""
    data = data.copy()
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula))
    for col in [c for c in data.columns if c in names]:
        if len(data) and data[col].isna().all():
            _warn(f"variable {col!r} is missing in every row; left out of the model")
            data[col] = 0.0
            continue
        if isinstance(data[col].dtype, pd.CategoricalDtype):
            data[col] = data[col].cat.remove_unused_categories()
    n_in = len(data)
    y, x = patsy.dmatrices(formula, data, return_type="dataframe", NA_action="drop")
    if len(y) < n_in:
        _warn(f"{n_in - len(y)} of {n_in} rows dropped for missing values")
    if y.shape[1] == 2:  # boolean or two-level outcome: model the second level
        y = y.iloc[:, [1]]
    elif y.shape[1] > 2:
        raise ValueError(f"outcome of {formula!r} must be numeric or two-level")
    return y.iloc[:, 0].astype(float).to_frame(y.columns[-1]), x


def _drop_degenerate(x: pd.DataFrame) -> pd.DataFrame:
    """Drop constant and collinear columns (empty or single groups) with a warning."""
    keep = [c for c in x.columns if c == "Intercept" or x[c].nunique() > 1]
    for c in x.columns.difference(keep):
        _warn(f"term {c!r} is constant (an empty or single category); left out of the model")
    x = x[keep]
    xtx = x.T @ x  # rank(X) = rank(X'X), and X'X is small
    if x.shape[1] and np.linalg.matrix_rank(xtx.to_numpy()) < x.shape[1]:
        kept: list[str] = []
        for c in x.columns:
            sub = xtx.loc[kept + [c], kept + [c]].to_numpy()
            if np.linalg.matrix_rank(sub) == len(kept) + 1:
                kept.append(c)
            else:
                _warn(f"term {c!r} is collinear with earlier terms; left out of the model")
        x = x[kept]
    return x


def _empty_table(x_cols: Sequence[str], measure: str, flag: str) -> pd.DataFrame:
    return pd.DataFrame({"term": list(x_cols), "measure": measure, "estimate": np.nan,
                         "lower": np.nan, "upper": np.nan, "p_value": np.nan, "flag": flag})


def _cell_counts(table: pd.DataFrame, x: pd.DataFrame, y: pd.Series) -> pd.DataFrame:
    n, ev = [], []
    for term in table["term"]:
        col = x.get(term)
        if col is None or term == "Intercept" or not set(np.unique(col)) <= {0.0, 1.0}:
            n.append(np.nan)
            ev.append(np.nan)
        else:
            on = col.to_numpy() == 1
            n.append(float(on.sum()))
            ev.append(float(y.to_numpy()[on].sum()))
    table = table.copy()
    table.insert(6, "n", n)
    table.insert(7, "events", ev)
    return table


def regress(
    formula: str,
    data: pd.DataFrame,
    family: str = "logistic",
    *,
    exposure: str | None = None,
    robust: bool = True,
    cluster: str | None = None,
    conf_level: float = 0.95,
    suppress: bool = True,
    threshold: int | None = None,
) -> RegressionResult:
    """Fit a logistic, Poisson or negative binomial regression from a formula.

    Parameters
    ----------
    formula : str
        A patsy formula, e.g. ``"treated ~ C(sex) + age + C(period) + C(diagnosis)"``.
        A boolean or two-level outcome is modelled as the probability of its second level.
    data : pandas.DataFrame
        One row per unit of analysis.
    family : {"logistic", "poisson", "negbin"}
        Binomial GLM (odds ratios), Poisson GLM (rate ratios) or negative binomial with the
        dispersion estimated by maximum likelihood (``statsmodels`` ``NegativeBinomial``,
        incidence rate ratios).
    exposure : str, optional
        Column of person-time (Poisson, negbin); enters as ``log(exposure)`` offset.
    robust : bool, default True
        Sandwich (HC0) standard errors; with ``cluster``, cluster-robust ones.
    cluster : str, optional
        Column identifying clusters (e.g. ``person_id`` when a person has several episodes).
    conf_level : float, default 0.95
        Confidence level of the intervals.
    suppress : bool, default True
        Show the ``n`` and ``events`` columns (and ``extra["n_obs"]``) through the
        disclosure-control policy (:mod:`harkit.privacy`); ``False`` shows them exactly.
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    RegressionResult
        ``table`` of exponentiated estimates (``estimate``, ``lower``, ``upper``) with Wald
        p-values; ``model`` the fitted statsmodels results (None if nothing could be
        fitted); ``extra["alpha"]`` the negative binomial dispersion, ``extra["n_obs"]``
        the rows used.

    Warns
    -----
    ModelWarning
        Rows dropped for missing values, variables missing in every row, constant or
        collinear terms left out, a constant outcome, non-convergence, or perfect separation
        (those terms get missing estimates and a ``flag``).

    Raises
    ------
    ValueError
        Unknown family, a non-binary logistic outcome, or a bad exposure column.
    """
    if family not in _MEASURE:
        raise ValueError(f"family must be one of {sorted(_MEASURE)}, got {family!r}")
    measure = _MEASURE[family]
    y_df, x = _design(formula, data)
    y = y_df.iloc[:, 0]
    if len(y):
        x = _drop_degenerate(x)
    notes = [f"{measure}s from a {family} model; Wald intervals"
             + (" with robust (sandwich) standard errors." if robust else ".")]
    extra: dict[str, Any] = {"n_obs": len(y)}
    if family == "logistic" and not set(np.unique(y)) <= {0.0, 1.0}:
        raise ValueError("logistic outcome must be 0/1 or two-level")
    if len(y) == 0 or y.nunique() < 2:
        _warn("outcome is constant (or no rows left); no model fitted")
        table = _empty_table(x.columns, measure, "constant outcome")
        return _finish_regression(table, x, y, None, notes, extra, suppress, threshold)

    offset = None
    if exposure is not None:
        if family == "logistic":
            raise ValueError("exposure applies to the poisson and negbin families only")
        pt = data.loc[y.index, exposure].astype(float)
        if (pt <= 0).any() or pt.isna().any():
            raise ValueError(f"exposure column {exposure!r} must be positive")
        offset = np.log(pt.to_numpy())
    fit_kw: dict[str, Any] = {}
    if cluster is not None:
        fit_kw = {"cov_type": "cluster",
                  "cov_kwds": {"groups": pd.factorize(data.loc[y.index, cluster])[0]}}
    elif robust:
        fit_kw = {"cov_type": "HC0"}

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if family == "negbin":
                mod = sm.NegativeBinomial(y, x, offset=offset)
                res = mod.fit(disp=0, maxiter=200, **fit_kw)
            else:
                fam = sm.families.Binomial() if family == "logistic" else sm.families.Poisson()
                res = sm.GLM(y, x, family=fam, offset=offset).fit(maxiter=100, **fit_kw)
        except (np.linalg.LinAlgError, ValueError) as err:
            _warn(f"model could not be fitted ({err}); estimates left missing")
            table = _empty_table(x.columns, measure, "fit failed")
            return _finish_regression(table, x, y, None, notes, extra, suppress, threshold)
    separated = family == "logistic" and any(
        "separation" in str(w.message).lower() for w in caught)
    for w in caught:
        if "converge" in str(w.message).lower():
            _warn(f"statsmodels: {w.message}")

    params, ci = res.params, res.conf_int(alpha=1 - conf_level)
    if family == "negbin":
        extra["alpha"] = float(params["alpha"])
        params, ci = params.drop("alpha"), ci.drop("alpha")
    table = pd.DataFrame({"term": params.index, "measure": measure,
                          "estimate": np.exp(params.to_numpy()),
                          "lower": np.exp(ci.iloc[:, 0].to_numpy()),
                          "upper": np.exp(ci.iloc[:, 1].to_numpy()),
                          "p_value": res.pvalues.reindex(params.index).to_numpy(),
                          "flag": ""})
    bse = res.bse.reindex(params.index).to_numpy()
    bad = (np.abs(params.to_numpy()) > _SEPARATION_LOGIT) | ~np.isfinite(bse) | (bse > 1e3)
    bad &= (table["term"] != "Intercept").to_numpy()
    if separated or bad.any():
        terms = list(table.loc[bad, "term"]) or ["(not located)"]
        _warn(f"perfect or quasi-perfect separation: {terms}; those estimates set missing")
        table.loc[bad, ["estimate", "lower", "upper", "p_value"]] = np.nan
        table.loc[bad, "flag"] = "separation"
        notes.append("Perfect separation: terms flagged 'separation' have no finite estimate.")
    return _finish_regression(table, x, y, res, notes, extra, suppress, threshold)


def _finish_regression(table: pd.DataFrame, x: pd.DataFrame, y: pd.Series, model: Any,
                       notes: list[str], extra: dict[str, Any],
                       suppress: bool, threshold: int | None) -> RegressionResult:
    table = _cell_counts(table, x, y)
    if suppress:
        table = _suppress(table, ["n", "events"], threshold=threshold)
        extra["n_obs"] = dc.count_text(extra["n_obs"], threshold)
        notes.append(dc.policy_note(threshold))
    return RegressionResult(table=table, method="regression", notes=notes, model=model,
                            extra=extra)


# --------------------------------------------------------------------------- standardisation


class StandardisedResult(Result):
    """Result of :func:`standardise`: one row per ``by`` group."""

    def plot(self, ax: Any = None) -> Any:
        """Forest-style plot of the standardised rates with their intervals.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        by = self.extra.get("by") or []
        t = self.table.copy()
        if not by:
            t["group"] = "all"
            by = ["group"]
        return forest(t, "std_rate", "lower", "upper", by, ax=ax, log=False, null=np.nan,
                      xlabel=f"Standardised rate per {self.extra['per']:,}")


def _age_band(age: pd.Series, bands: pd.Index) -> pd.Series:
    """Lower bound of the standard's band holding each age (number or label like '5-9')."""
    if not pd.api.types.is_numeric_dtype(age):
        age = age.astype(str).str.extract(r"(\d+)")[0].astype(float)
    lows = np.asarray(bands, dtype=float)
    pos = np.searchsorted(lows, age.to_numpy(dtype=float), side="right") - 1
    out = pd.Series(np.where(pos >= 0, lows[np.clip(pos, 0, None)], np.nan), index=age.index)
    return out.where(age.notna())


def _fay_feuer(dsr: float, var: float, wm: float, conf: float) -> tuple[float, float]:
    """Fay & Feuer (1997) gamma interval for a directly standardised rate."""
    a = 1 - conf
    lower = 0.0 if dsr == 0 or var == 0 else stats.gamma.ppf(a / 2, dsr**2 / var,
                                                               scale=var / dsr)
    upper = stats.gamma.ppf(1 - a / 2, (dsr + wm) ** 2 / (var + wm**2),
                            scale=(var + wm**2) / (dsr + wm))
    return float(lower), float(upper)


def standardise(
    df: pd.DataFrame,
    *,
    rate_or_events: str,
    denominator: str,
    age: str,
    by: str | Sequence[str] | None = None,
    standard: str | Mapping[int, float] | pd.Series = "esp2013",
    kind: str = "rate",
    per: float = 100_000,
    conf_level: float = 0.95,
    suppress: bool = True,
    threshold: int | None = None,
) -> StandardisedResult:
    """Direct age standardisation of rates or proportions.

    ``DSR = sum_i w_i d_i / n_i / sum_i w_i`` over the standard's age bands ``i`` with
    weights ``w_i``, events ``d_i`` and denominators ``n_i`` (person-time for rates, persons
    or deaths for proportions). Its variance is ``sum_i (w_i / W)^2 d_i / n_i^2`` (Poisson
    events) and the interval is the Fay-Feuer gamma interval (Fay & Feuer 1997, Stat Med
    16:791), the method of PHEindicatormethods ``phe_dsr``. For proportions the same
    Poisson-based interval is used: it is conservative (wider than binomial) and stays
    valid for zero counts; the upper limit is capped at 1.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows of counts; rows sharing an age band (and ``by`` group) are summed.
    rate_or_events : str
        Column of event counts (deaths, cases).
    denominator : str
        Column of person-time (rates) or of the population at risk (proportions).
    age : str
        Age in years, or the lower bound of a band, or a label such as ``"5-9"``/``"90+"``;
        mapped to the standard's bands.
    by : str or sequence of str, optional
        Columns of the groups to standardise separately (e.g. sex, period).
    standard : "esp2013", mapping or Series, default "esp2013"
        Weights keyed by the lower age of each band (:data:`ESP2013`), or a custom standard.
    kind : {"rate", "proportion"}
        What is standardised; only changes the notes and the cap at 1.
    per : float, default 100000
        Multiplier of the reported rates (use 100 for percentages).
    conf_level : float, default 0.95
    suppress : bool, default True
        Show event counts through the disclosure-control policy (:mod:`harkit.privacy`);
        crude rates of hidden counts are blanked, and under a rounding policy computed from
        the rounded counts. ``False`` shows them exactly.
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    StandardisedResult
        ``table`` with the ``by`` columns, ``events``, ``denominator``, ``crude_rate``,
        ``std_rate``, ``lower``, ``upper`` and ``bands_used`` (all scaled by ``per``).

    Warns
    -----
    ModelWarning
        Ages outside the standard, or bands without denominator (dropped; the remaining
        weights are renormalised, so the rate is standardised to a truncated standard).

    Raises
    ------
    ValueError
        Unknown standard or kind, or negative counts.
    """
    if kind not in ("rate", "proportion"):
        raise ValueError(f"kind must be 'rate' or 'proportion', got {kind!r}")
    if isinstance(standard, str):
        if standard.lower() != "esp2013":
            raise ValueError(f"unknown standard {standard!r}; use 'esp2013' or weights")
        weights = ESP2013
    else:
        weights = pd.Series(standard, dtype=float).sort_index()
    by_cols = [by] if isinstance(by, str) else list(by or [])
    d = df[[*by_cols, age, rate_or_events, denominator]].copy()
    if (d[rate_or_events] < 0).any() or (d[denominator] < 0).any():
        raise ValueError("events and denominators must be non-negative")
    d["_band"] = _age_band(d[age], weights.index)
    if d["_band"].isna().any():
        _warn(f"{int(d['_band'].isna().sum())} rows with missing age or age below the "
              "standard dropped")
        d = d.dropna(subset=["_band"])
    keys = [*by_cols, "_band"]
    agg = d.groupby(keys, observed=True, dropna=False)[[rate_or_events, denominator]].sum()
    agg = agg.reset_index()
    rows = []
    groups = agg.groupby(by_cols, observed=True, dropna=False) if by_cols else [((), agg)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        g = g.set_index("_band")
        ev_all, den_all = float(g[rate_or_events].sum()), float(g[denominator].sum())
        g = g[g[denominator] > 0]
        missing = weights.index.difference(g.index)
        if len(missing) and len(g):
            _warn(f"group {key or 'all'}: no denominator in bands {list(missing)}; "
                  "weights renormalised over the remaining bands")
        w = weights.reindex(g.index)
        row: dict[str, Any] = dict(zip(by_cols, key, strict=True))
        row.update(events=ev_all, denominator=den_all,
                   crude_rate=ev_all / den_all * per if den_all > 0 else np.nan,
                   bands_used=len(g))
        if len(g) == 0:
            _warn(f"group {key or 'all'}: no denominator; rate not estimable")
            row.update(std_rate=np.nan, lower=np.nan, upper=np.nan)
        else:
            wn = (w / w.sum()).to_numpy()
            ev, den = g[rate_or_events].to_numpy(float), g[denominator].to_numpy(float)
            dsr = float(np.sum(wn * ev / den))
            var = float(np.sum(wn**2 * ev / den**2))
            lo, hi = _fay_feuer(dsr, var, float(np.max(wn / den)), conf_level)
            if kind == "proportion":
                hi = min(hi, 1.0)
            row.update(std_rate=dsr * per, lower=lo * per, upper=hi * per)
        rows.append(row)
    table = pd.DataFrame(rows)
    if suppress and len(table):
        table = dc.suppress_table(table, ["events"], threshold=threshold,
                                  derived={"events": ["crude_rate"]})
        if dc.policy_for(threshold).round_to:  # exact rates would give exact counts back
            rounded = dc.shown_number(table["events"]).to_numpy(float)
            den = table["denominator"].to_numpy(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                table["crude_rate"] = np.where(den > 0, rounded / den * per, np.nan)
    what = "rates" if kind == "rate" else "proportions"
    notes = [f"Directly standardised {what} per {per:,}; Fay-Feuer gamma intervals.",
             "Standard: " + ("European Standard Population 2013 (Eurostat)."
                             if isinstance(standard, str) else "custom weights.")]
    if kind == "proportion":
        notes.append("In a decedents-only register, standardise cause or diagnosis "
                     "proportions among deaths, not mean age at death.")
    if suppress:
        notes.append(dc.policy_note(threshold))
    return StandardisedResult(table=table, method="direct age standardisation", notes=notes,
                              extra={"by": by_cols, "per": per, "weights": weights})


# --------------------------------------------------------------------------- IPTW


class IPTWResult(Result):
    """Result of :func:`iptw`.

    ``table`` is the weighted outcome contrast (OR and RD) when an outcome was given,
    otherwise the balance table. ``extra["balance"]`` holds, per covariate level, the
    standardised mean difference before and after weighting; ``extra["weights"]`` and
    ``extra["propensity"]`` are Series aligned with the analysed rows.
    """

    @property
    def balance(self) -> pd.DataFrame:
        """Balance table (``covariate``, ``smd_before``, ``smd_after``)."""
        return self.extra["balance"]

    @property
    def weights(self) -> pd.Series:
        """The inverse probability weights."""
        return self.extra["weights"]

    def plot(self, ax: Any = None) -> Any:
        """Love plot: absolute SMD per covariate before and after weighting.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        b = self.balance.iloc[::-1]
        ax = _axes(ax, (6, 0.35 * len(b) + 1.2))
        pos = np.arange(len(b))
        ax.scatter(b["smd_before"].abs(), pos, marker="o", facecolors="none",
                   edgecolors="C0", label="unweighted")
        ax.scatter(b["smd_after"].abs(), pos, marker="o", color="C1", label="weighted")
        ax.axvline(0.1, ls="--", color="grey", lw=0.8)
        ax.set_yticks(pos, b["covariate"])
        ax.set_xlabel("|standardised mean difference|")
        ax.legend(loc="lower right", frameon=False)
        return ax


def _wmean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    m = float(np.sum(w * x) / np.sum(w))
    return m, float(np.sum(w * (x - m) ** 2) / np.sum(w))


def _smd(x: np.ndarray, t: np.ndarray, w: np.ndarray, denom: float) -> float:
    m1 = np.sum(w[t] * x[t]) / np.sum(w[t])
    m0 = np.sum(w[~t] * x[~t]) / np.sum(w[~t])
    return float((m1 - m0) / denom) if denom > 0 else np.nan


def iptw(
    df: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    *,
    outcome: str | None = None,
    stabilised: bool = True,
    trim: float | None = None,
    cluster: str | None = None,
    conf_level: float = 0.95,
    suppress: bool = True,
    threshold: int | None = None,
) -> IPTWResult:
    """Inverse probability of treatment weighting (average treatment effect).

    The propensity ``e = P(treatment = 1 | covariates)`` is a main-effects logistic
    regression (statsmodels GLM; text, categorical and boolean covariates enter as
    indicators). Weights are ``1/e`` for the treated and ``1/(1-e)`` for the others,
    multiplied by the marginal probability of the group received when ``stabilised``.

    Balance is the standardised mean difference per covariate (per level of a categorical
    one), ``SMD = (m1 - m0) / sqrt((s1^2 + s0^2) / 2)``, with ``m`` the (weighted) group
    means and the denominator the *unweighted* pooled SD in both columns (as cobalt does),
    so that before and after are on one scale. For a level with prevalences ``p1, p0`` the
    SD is ``sqrt(p(1-p))``. ``|SMD| < 0.1`` is the usual balance criterion.

    The outcome contrast is a weighted logistic GLM of outcome on treatment (OR) and a
    weighted least squares difference in means (risk difference), both with sandwich
    standard errors (cluster-robust with ``cluster``). These ignore the estimation of the
    propensity and are therefore conservative (Lunceford & Davidian 2004).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit.
    treatment : str
        Binary treatment column (0/1 or boolean).
    covariates : sequence of str
        Confounders in the propensity model.
    outcome : str, optional
        Binary outcome column; gives the weighted OR and RD.
    stabilised : bool, default True
        Stabilised weights (mean near 1, same point estimates).
    trim : float, optional
        Truncate the weights at the ``trim`` and ``1 - trim`` quantiles (e.g. 0.01).
    cluster : str, optional
        Column of clusters (e.g. ``person_id``) for the outcome standard errors.
    conf_level : float, default 0.95
    suppress : bool, default True
        Show the group counts of the outcome table through the disclosure-control policy
        (:mod:`harkit.privacy`); ``False`` shows them exactly.
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    IPTWResult
        ``model`` is the propensity model (statsmodels results);
        ``extra["outcome_model"]`` the weighted logistic fit.

    Warns
    -----
    ModelWarning
        Rows dropped for missing values, propensities near 0 or 1 (positivity), weights
        truncated, or perfect separation in the propensity model.

    Raises
    ------
    ValueError
        Treatment not binary, a single treatment group, or treatment or outcome missing
        in every row (covariates missing everywhere are left out with a warning).
    """
    for c in [treatment, outcome]:
        if c is not None and df[c].isna().all():
            raise ValueError(f"variable {c!r} is missing in every row")
    empty = [c for c in covariates if df[c].isna().all()]
    if empty:
        _warn(f"covariates missing in every row left out: {empty}")
    covariates = [c for c in covariates if c not in empty]
    cols = [treatment, *covariates] + ([outcome] if outcome else []) + (
        [cluster] if cluster else [])
    d = df[cols].dropna()
    if len(d) < len(df):
        _warn(f"{len(df) - len(d)} of {len(df)} rows dropped for missing values")
    t_vals = set(pd.unique(d[treatment].astype(float)))
    if not t_vals <= {0.0, 1.0}:
        raise ValueError(f"treatment {treatment!r} must be 0/1 or boolean")
    if len(t_vals) < 2:
        raise ValueError(f"treatment {treatment!r} has a single group; nothing to compare")
    t = d[treatment].astype(float).to_numpy() == 1

    terms = []
    for c in covariates:
        # text is object dtype in pandas 2 and the "str" StringDtype in pandas 3
        if (isinstance(d[c].dtype, (pd.CategoricalDtype, pd.StringDtype))
                or d[c].dtype == object or pd.api.types.is_bool_dtype(d[c])):
            terms.append(f"C(Q('{c}'))")
        else:
            terms.append(f"Q('{c}')")
    x = patsy.dmatrix(" + ".join(terms) or "1", d, return_type="dataframe")
    x = _drop_degenerate(x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ps_fit = sm.GLM(t.astype(float), x, family=sm.families.Binomial()).fit(maxiter=100)
    if any("separation" in str(w.message).lower() for w in caught) or (
            np.abs(ps_fit.params.drop("Intercept", errors="ignore")) > _SEPARATION_LOGIT).any():
        _warn("perfect separation in the propensity model: some units are always or never "
              "treated given the covariates (positivity violated)")
    ps = np.clip(ps_fit.fittedvalues.to_numpy(), 1e-6, 1 - 1e-6)
    extreme = int(np.sum((ps < 0.01) | (ps > 0.99)))
    if extreme:
        _warn(f"{extreme} propensities below 0.01 or above 0.99 (positivity); "
              "consider trim=")
    w = np.where(t, 1 / ps, 1 / (1 - ps))
    if stabilised:
        w = w * np.where(t, t.mean(), 1 - t.mean())
    if trim is not None:
        lo, hi = np.quantile(w, [trim, 1 - trim])
        n_cut = int(np.sum((w < lo) | (w > hi)))
        w = np.clip(w, lo, hi)
        _warn(f"{n_cut} weights truncated to the [{trim}, {1 - trim}] quantiles")

    ones = np.ones(len(w))
    bal = []
    for c in x.columns.drop("Intercept", errors="ignore"):
        v = x[c].to_numpy(float)
        _, v1 = _wmean_var(v[t], ones[t])
        _, v0 = _wmean_var(v[~t], ones[~t])
        denom = float(np.sqrt((v1 + v0) / 2))
        label = re.sub(r"C\(Q\('(.+?)'\)\)\[T\.(.+)\]", r"\1: \2", c)
        label = re.sub(r"Q\('(.+?)'\)", r"\1", label)
        bal.append({"covariate": label, "mean_treated": float(v[t].mean()),
                    "mean_control": float(v[~t].mean()),
                    "smd_before": _smd(v, t, ones, denom), "smd_after": _smd(v, t, w, denom)})
    balance = pd.DataFrame(bal, columns=["covariate", "mean_treated", "mean_control",
                                         "smd_before", "smd_after"])
    ess = float(w.sum() ** 2 / np.sum(w**2))
    extra: dict[str, Any] = {"balance": balance, "weights": pd.Series(w, index=d.index),
                             "propensity": pd.Series(ps, index=d.index),
                             "effective_n": ess}
    notes = ["Propensity by main-effects logistic regression; "
             + ("stabilised " if stabilised else "") + "ATE weights.",
             "Robust SEs ignore propensity estimation (conservative)."]
    table = balance
    if outcome is not None:
        table = _weighted_contrast(d, t, w, outcome, cluster, conf_level, extra)
        if suppress:
            table = _suppress(table, ["n_treated", "events_treated", "n_control",
                                      "events_control"], threshold=threshold)
            notes.append(dc.policy_note(threshold))
    return IPTWResult(table=table, method="inverse probability of treatment weighting",
                      notes=notes, model=ps_fit, extra=extra)


def _weighted_contrast(d: pd.DataFrame, t: np.ndarray, w: np.ndarray, outcome: str,
                       cluster: str | None, conf: float, extra: dict[str, Any]) -> pd.DataFrame:
    y = d[outcome].astype(float).to_numpy()
    if not set(np.unique(y)) <= {0.0, 1.0}:
        raise ValueError(f"outcome {outcome!r} must be 0/1 or boolean")
    xo = sm.add_constant(t.astype(float))
    kw: dict[str, Any] = {"cov_type": "HC0"}
    if cluster is not None:
        kw = {"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(d[cluster])[0]}}
    counts = {"n_treated": float(t.sum()), "events_treated": float(y[t].sum()),
              "n_control": float((~t).sum()), "events_control": float(y[~t].sum())}
    a = 1 - conf
    rows = []
    cells = [y[t].sum(), t.sum() - y[t].sum(), y[~t].sum(), (~t).sum() - y[~t].sum()]
    if min(cells) == 0:
        _warn("an outcome-by-treatment cell is empty; the OR is not estimable")
        rows.append({"measure": "OR", "estimate": np.nan, "lower": np.nan,
                     "upper": np.nan, "p_value": np.nan})
    else:
        lg = sm.GLM(y, xo, family=sm.families.Binomial(), var_weights=w).fit()
        b = float(lg.params[1])
        se = float(np.sqrt(_logit_sandwich(xo, y, w, lg.fittedvalues,
                                           d[cluster] if cluster else None)[1, 1]))
        z = stats.norm.ppf(1 - a / 2)
        rows.append({"measure": "OR", "estimate": float(np.exp(b)),
                     "lower": float(np.exp(b - z * se)), "upper": float(np.exp(b + z * se)),
                     "p_value": float(2 * stats.norm.sf(abs(b) / se))})
        extra["outcome_model"] = lg
        extra["outcome_log_or_se"] = se
    ls = sm.WLS(y, xo, weights=w).fit(**kw)
    ci = ls.conf_int(alpha=a)[1]
    rows.append({"measure": "RD", "estimate": float(ls.params[1]), "lower": float(ci[0]),
                 "upper": float(ci[1]), "p_value": float(ls.pvalues[1])})
    extra["rd_model"] = ls
    return pd.DataFrame([{**r, **counts} for r in rows])


def _logit_sandwich(x: np.ndarray, y: np.ndarray, w: np.ndarray, mu: np.ndarray,
                    groups: pd.Series | None) -> np.ndarray:
    """Sandwich covariance of a weighted logistic fit (HC0, or clustered with G/(G-1))."""
    bread = np.linalg.inv((x * (w * mu * (1 - mu))[:, None]).T @ x)
    scores = x * (w * (y - mu))[:, None]
    if groups is not None:
        codes, uniq = pd.factorize(groups)
        summed = np.zeros((len(uniq), x.shape[1]))
        np.add.at(summed, codes, scores)
        scores = summed * np.sqrt(len(uniq) / (len(uniq) - 1))
    return bread @ (scores.T @ scores) @ bread


# --------------------------------------------------------------------------- helper


def episode_treatment_table(extract: Any, treatment: str) -> pd.DataFrame:
    """Episode-level table of who received a treatment among eligible episodes.

    Only ``"institutional_stay"`` (inpatient episodes at an addiction institution) has an
    eligibility rule that can be read from the register tables alone; this is the level at
    which :mod:`harkit.synth.treatments` plants its women-vs-men odds ratio.

    Parameters
    ----------
    extract : harkit.extract.Extract
        With ``episodes``, ``institutions``, ``treatments`` and ``persons``.
    treatment : str
        ``"institutional_stay"``.

    Returns
    -------
    pandas.DataFrame
        One row per eligible episode: ``episode_id``, ``person_id``, ``female`` (0/1),
        ``age`` at admission (years), ``period`` (decade of admission, text), ``treated``
        (0/1).

    Raises
    ------
    ValueError
        For other treatments.
    """
    if treatment != "institutional_stay":
        raise ValueError("only 'institutional_stay' eligibility is defined from the tables")
    inst = extract.institutions.drop_duplicates("institution_id")
    ep = extract.episodes.merge(inst[["institution_id", "addiction_department"]],
                                on="institution_id", how="left")
    ep = ep[(ep["episode_type"] == "inpatient") & ep["addiction_department"].fillna(False)
            .astype(bool)]
    ep = ep.merge(extract.persons[["person_id", "sex", "birth_date"]], on="person_id")
    got = extract.treatments.loc[extract.treatments["treatment_type"] == treatment,
                                 "episode_id"]
    adm = pd.to_datetime(ep["admission_date"])
    return pd.DataFrame({
        "episode_id": ep["episode_id"].to_numpy(),
        "person_id": ep["person_id"].to_numpy(),
        "female": (ep["sex"] == "female").astype(int).to_numpy(),
        "age": ((adm - pd.to_datetime(ep["birth_date"])).dt.days / 365.25).to_numpy(),
        "period": (adm.dt.year // 10 * 10).astype("Int64").astype(str).to_numpy(),
        "treated": ep["episode_id"].isin(got).astype(int).to_numpy(),
    })
