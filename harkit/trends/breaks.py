"""Level shifts at ICD revision changeovers (:func:`revision_breaks`)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from harkit import _disclosure as dc
from harkit.icd.causes import check_cause_column
from harkit.icd.infer import revision_periods
from harkit.plot import axes as _axes
from harkit.results import Result
from harkit.trends._common import (
    DECEDENTS_NOTE,
    _check_counts,
    _numeric,
    _shown_observed,
    draw_revision_bands,
)


@dataclass(repr=False)
class RevisionBreakResult(Result):
    """Level shifts at ICD revision changeovers, from :func:`revision_breaks`.

    ``extra["fitted"]`` holds the observed series and the fitted values with and without
    the shifts; ``extra["model_without_shifts"]`` the reduced GLM; ``extra["lr_test"]`` the
    likelihood-ratio test of all shifts together.
    """

    def plot(self, ax: Any = None) -> Any:
        """Draw observed values, the fit with and without shifts, and revision bands.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        f = self.extra["fitted"]
        ax = _axes(ax, (8, 4))
        if f.empty:  # model not fitted: bands only
            return draw_revision_bands(ax, self.extra["setting"],
                                       self.extra["icd9_hospital_start"], xlim=(1950, 2020))
        ax.plot(f["time"], f["observed"], "o", ms=3, color="black", label="observed")
        ax.plot(f["time"], f["fitted_with_shifts"], label="trend + level shifts")
        ax.plot(f["time"], f["fitted_without_shifts"], ls="--", label="trend only")
        for y in self.table["changeover_year"].dropna():
            ax.axvline(y - 0.5, color="grey", lw=0.8, ls=":")
        ax.set_xlabel("year")
        ax.set_ylabel(self.extra.get("scale_label", ""))
        ax.legend(fontsize=8)
        draw_revision_bands(ax, self.extra["setting"], self.extra["icd9_hospital_start"])
        return ax


def _glm_fit(y: np.ndarray, xm: pd.DataFrame, family: str, total: np.ndarray | None,
             scale: str | None) -> Any:
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        if family == "poisson":
            off = None if total is None else np.log(total)
            model = sm.GLM(y, xm, family=sm.families.Poisson(), offset=off)
        else:
            model = sm.GLM(np.column_stack([y, total - y]), xm, family=sm.families.Binomial())
        if isinstance(scale, str) and scale.lower() == "x2":
            # statsmodels' own X2 scale leaves out the number of trials of a two-column
            # binomial response (a scale of about dispersion / trials); use Pearson's
            # chi-square over the residual df of the unscaled fit instead
            fit = model.fit()
            return model.fit(scale=float(fit.pearson_chi2 / max(fit.df_resid, 1)))
        return model.fit(scale=scale)


def revision_breaks(
    counts_df: pd.DataFrame,
    *,
    time: str = "year",
    count: str = "n",
    total: str | None = None,
    setting: str = "hospital",
    family: str = "poisson",
    icd9_hospital_start: int = 1987,
    trend: str | int = "linear",
    scale: str | None = None,
    alpha: float = 0.05,
    suppress: bool = True,
    threshold: int | None = None,
    cause_group: str | None = None,
) -> RevisionBreakResult:
    """Test for level shifts in a yearly series at the ICD revision changeovers.

    Fits ``log mu_t = b0 + f(t) + sum_k g_k [t >= c_k]`` (Poisson, with ``log total`` as
    offset when given) or the same on the logit of the proportion ``count / total``
    (binomial), where ``c_k`` are the first years of ICD-8, ICD-9 and ICD-10 in the chosen
    setting that have data on both sides. ``exp(g_k)`` is the rate (odds) ratio at the
    changeover beyond the smooth trend: a coding-artefact check. The same trend is also
    fitted without shifts.

    Parameters
    ----------
    counts_df : pandas.DataFrame
        One row per year (e.g. ``over_time(..., suppress=False).table`` with
        ``period_start`` renamed to ``year``).
    time, count : str
        Year and count columns.
    total : str, optional
        Poisson: exposure (offset). Binomial: number of trials (required), e.g. all deaths
        in the year, which makes the model one of proportional mortality.
    setting : {"hospital", "death"}
        Which changeover years apply.
    family : {"poisson", "binomial"}
        GLM family.
    icd9_hospital_start : int, default 1987
        First year of ICD-9 in hospitals.
    trend : "linear" or int, default "linear"
        Linear trend in years, or a natural cubic spline with that many degrees of freedom.
    scale : {None, "X2"}
        ``"X2"`` estimates an overdispersion scale (quasi-Poisson / quasi-binomial CIs).
    alpha : float, default 0.05
        1 - confidence level.
    suppress : bool, default True
        The observed series in ``extra["fitted"]`` (and the plot) through the
        disclosure-control policy (:mod:`harkit.privacy`): a hidden count is NaN, and
        counts (and proportions of ``total``) are rounded as the policy says. ``False``
        shows the exact series.
    threshold : int, optional
        Smallest count shown; default the policy in force.
    cause_group : str, optional
        The cause-of-death group the series counts; when its definition changes inside the
        years of the series, a :class:`~harkit.icd.DefinitionChangeWarning` is issued and a
        note added.

    Returns
    -------
    RevisionBreakResult
        ``table`` rows: one ``shift`` per changeover (``estimate`` = rate/odds ratio, CI,
        p-value) and, for a linear trend, the annual ``trend`` ratio with and without the
        shifts. ``model`` is the statsmodels GLM with shifts.

    Notes
    -----
    A shift is confounded with any real change in the same year; read it as "the series
    jumps at the changeover more than the trend explains". Decedents-only data: model
    cause proportions (binomial with all deaths as ``total``), not mean age at death.
    """
    if family not in ("poisson", "binomial"):
        raise ValueError(f"family must be 'poisson' or 'binomial', not {family!r}")
    for c in [time, count] + ([total] if total else []):
        if c not in counts_df:
            raise ValueError(f"column {c!r} not in data; columns are {list(counts_df.columns)}")
    if family == "binomial" and total is None:
        raise ValueError("family='binomial' needs total= (the number of trials per year)")
    notes = [DECEDENTS_NOTE]
    d = _numeric(counts_df[[time, count] + ([total] if total else [])], "revision_breaks")
    _check_counts(d, count, total if family == "binomial" else None)
    bad = d.isna().any(axis=1)
    if total:
        bad |= d[total] <= 0
    if bad.any():
        warnings.warn(f"revision_breaks: {int(bad.sum())} rows with missing or "
                      "non-positive values left out", stacklevel=2)
    d = d.loc[~bad].groupby(time, as_index=False).sum().sort_values(time)
    if cause_group is not None:
        notes += check_cause_column([cause_group], d[time], setting=setting)
    yrs = d[time].to_numpy(float)
    y = d[count].to_numpy(float)
    tot = d[total].to_numpy(float) if total else None
    periods = revision_periods(setting, icd9_hospital_start)
    changes = []
    for prev, rev in zip(list(periods)[:-1], list(periods)[1:], strict=True):
        c = periods[rev][0]
        if (yrs < c).any() and (yrs >= c).any():
            changes.append((f"{prev} -> {rev}", c))
    if not changes:
        warnings.warn("revision_breaks: no revision changeover inside the data range; "
                      "only the trend is estimated", stacklevel=2)
        notes.append("No changeover inside the data range.")
    if len(d) < 3 or y.sum() == 0 or (tot is not None and np.all(y == tot)):
        warnings.warn("revision_breaks: too few years or no variation in the outcome; "
                      "estimates are not available", stacklevel=2)
        table = pd.DataFrame({"term": [f"shift {n}" for n, _ in changes],
                              "changeover_year": [c for _, c in changes],
                              "estimate": np.nan, "lower": np.nan, "upper": np.nan,
                              "p_value": np.nan, "model": "with shifts"})
        return RevisionBreakResult(table=table, method="Revision level-shift GLM",
                                   notes=notes + ["Model not fitted."],
                                   extra={"setting": setting, "fitted": pd.DataFrame(),
                                          "icd9_hospital_start": icd9_hospital_start})
    tc = yrs - np.round(yrs.mean())
    if trend == "linear":
        base = pd.DataFrame({"const": 1.0, "trend": tc})
    else:
        import patsy

        spec = f"cr(x, df={int(trend)}, constraints='center')"
        base = patsy.dmatrix(spec, {"x": tc}, return_type="dataframe")
        base.columns = ["const"] + [f"spline{i}" for i in range(1, base.shape[1])]
    xm = base.copy()
    for name, c in changes:
        xm[f"shift {name}"] = (yrs >= c).astype(float)
    fit = _glm_fit(y, xm, family, tot, scale)
    fit0 = _glm_fit(y, base, family, tot, scale)
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for name, c in changes:
        b, se = fit.params[f"shift {name}"], fit.bse[f"shift {name}"]
        rows.append({"term": f"shift {name}", "changeover_year": c, "estimate": np.exp(b),
                     "lower": np.exp(b - z * se), "upper": np.exp(b + z * se),
                     "p_value": fit.pvalues[f"shift {name}"], "model": "with shifts"})
    if trend == "linear":
        for label, f in (("with shifts", fit), ("without shifts", fit0)):
            b, se = f.params["trend"], f.bse["trend"]
            rows.append({"term": "annual trend", "changeover_year": np.nan,
                         "estimate": np.exp(b), "lower": np.exp(b - z * se),
                         "upper": np.exp(b + z * se), "p_value": f.pvalues["trend"],
                         "model": label})
    table = pd.DataFrame(rows)
    if not np.all(np.isfinite(fit.bse)) or (fit.bse > 20).any():
        warnings.warn("revision_breaks: some estimates are unstable (near-perfect separation "
                      "or empty periods); treat their CIs with care", stacklevel=2)
        notes.append("Unstable estimates (separation or empty periods).")
    dev = fit0.deviance - fit.deviance
    lr = pd.DataFrame({"lr_statistic": [dev], "df": [len(changes)],
                       "p_value": [stats.chi2.sf(dev, len(changes)) if changes else np.nan]})
    dispersion = fit.pearson_chi2 / max(fit.df_resid, 1)
    if scale is None and dispersion > 1.5:
        notes.append(f"Pearson dispersion {dispersion:.2f} > 1.5: consider scale='X2'.")
    div = tot if tot is not None else 1.0
    observed = y / div
    if suppress:
        observed = _shown_observed(d, count, total, threshold)
        notes.append(dc.policy_note(threshold, extra="The observed series is shown so."))
    fitted = pd.DataFrame({"time": yrs, "observed": observed,
                           "fitted_with_shifts": fit.fittedvalues / (div if family == "poisson"
                                                                    else 1.0),
                           "fitted_without_shifts": fit0.fittedvalues / (
                               div if family == "poisson" else 1.0)})
    label = ("proportion" if family == "binomial" else ("rate" if total else "count"))
    return RevisionBreakResult(
        table=table, method=f"{family.capitalize()} GLM with level shifts at ICD changeovers",
        notes=notes, model=fit,
        extra={"model_without_shifts": fit0, "lr_test": lr, "fitted": fitted,
               "setting": setting, "icd9_hospital_start": icd9_hospital_start,
               "scale_label": label, "dispersion": dispersion})
