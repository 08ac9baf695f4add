"""Segmented log-linear (joinpoint) regression (:func:`joinpoint`)."""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from harkit import _disclosure as dc
from harkit.icd.causes import check_cause_column
from harkit.plot import axes as _axes
from harkit.plot import log_axis
from harkit.results import Result
from harkit.trends._common import (
    DECEDENTS_NOTE,
    _check_counts,
    _numeric,
    _shown_observed,
    draw_revision_bands,
)


@dataclass(repr=False)
class JoinpointResult(Result):
    """Segmented log-linear regression, from :func:`joinpoint`.

    ``table``: one row per segment (APC) and a final AAPC row. ``extra["selection"]``:
    best fit and BIC for each number of joinpoints; ``extra["joinpoints"]``: chosen years;
    ``extra["fitted"]``: observed and fitted series.
    """

    def plot(self, ax: Any = None) -> Any:
        """Draw the observed series, the segmented fit, joinpoints and revision bands.

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
        ax.plot(f["time"], f["observed"], "o", ms=3, color="black", label="observed")
        ax.plot(f["time"], f["fitted"], label=f"{len(self.extra['joinpoints'])} joinpoint(s)")
        for jp in self.extra["joinpoints"]:
            ax.axvline(jp, color="C3", lw=0.8, ls="--")
        log_axis(ax, "y")
        ax.set_xlabel("year")
        ax.legend(fontsize=8)
        draw_revision_bands(ax, self.extra.get("setting", "hospital"),
                            self.extra.get("icd9_hospital_start", 1987))
        return ax


def _design(t: np.ndarray, taus: tuple[float, ...]) -> np.ndarray:
    cols = [np.ones_like(t), t] + [np.maximum(t - tau, 0.0) for tau in taus]
    return np.column_stack(cols)


def _grid_design(t: np.ndarray, cands: np.ndarray) -> np.ndarray:
    # (candidates, n, 2 + k) designs for all joinpoint placements at once
    c, k = cands.shape
    hinge = np.maximum(t[None, :, None] - t[cands][:, None, :], 0.0)
    base = np.broadcast_to(np.column_stack([np.ones_like(t), t]), (c, len(t), 2))
    return np.concatenate([base, hinge], axis=2)


def _grid_poisson_llf(y: np.ndarray, xs: np.ndarray, off: np.ndarray) -> np.ndarray:
    # Batched Newton for the grid search; the chosen model is refitted by statsmodels.
    z = np.log((y + 0.5) / np.exp(off))
    beta = np.zeros((len(xs), xs.shape[2]))
    beta[:, :2] = np.linalg.lstsq(xs[0, :, :2], z, rcond=None)[0]
    for _ in range(30):
        mu = np.exp(np.clip(np.einsum("cnp,cp->cn", xs, beta) + off, -700, 700))
        grad = np.einsum("cnp,cn->cp", xs, y - mu)
        hess = np.einsum("cnp,cn,cnq->cpq", xs, mu, xs)
        ridge = 1e-9 * np.trace(hess, axis1=1, axis2=2)[:, None, None] + 1e-9
        step = np.linalg.solve(hess + ridge * np.eye(xs.shape[2]), grad[..., None])[..., 0]
        step = np.clip(step, -1.0, 1.0)
        beta += step
        if np.max(np.abs(step)) < 1e-8:
            break
    mu = np.exp(np.clip(np.einsum("cnp,cp->cn", xs, beta) + off, -700, 700))
    return np.sum(y * np.log(np.where(y > 0, mu, 1.0)) - mu, axis=1)


def _grid_gauss_llf(y: np.ndarray, xs: np.ndarray) -> np.ndarray:
    xtx = np.einsum("cnp,cnq->cpq", xs, xs) + 1e-10 * np.eye(xs.shape[2])
    beta = np.linalg.solve(xtx, np.einsum("cnp,n->cp", xs, y)[..., None])[..., 0]
    resid = y[None, :] - np.einsum("cnp,cp->cn", xs, beta)
    n = len(y)
    sse = np.maximum(np.sum(resid**2, axis=1), 1e-300)
    return -n / 2 * (np.log(2 * np.pi * sse / n) + 1)


def _candidates(n: int, k: int, min_segment: int) -> list[tuple[int, ...]]:
    gap = min_segment - 1
    out = []
    for combo in itertools.combinations(range(gap, n - gap), k):
        if all(b - a >= gap for a, b in itertools.pairwise(combo)):
            out.append(combo)
    return out


def joinpoint(
    df: pd.DataFrame,
    *,
    time: str,
    count: str | None = None,
    rate: str | None = None,
    total: str | None = None,
    max_joinpoints: int = 3,
    criterion: str = "bic",
    min_segment: int = 3,
    alpha: float = 0.05,
    ci: str = "location",
    dispersion: str = "poisson",
    setting: str = "hospital",
    icd9_hospital_start: int = 1987,
    suppress: bool = True,
    threshold: int | None = None,
    cause_group: str | None = None,
) -> JoinpointResult:
    """Segmented log-linear (joinpoint) regression with APC per segment and AAPC.

    Model: ``log mu_t = b0 + b1 t + sum_j d_j (t - tau_j)_+`` with joinpoints ``tau_j`` at
    observed years. With ``count`` it is a Poisson GLM (``log total`` as offset when
    given, so a rate or a proportion); with ``rate`` it is least squares on ``log rate``.
    For each number of joinpoints k = 0..max_joinpoints every admissible placement is fitted
    (grid search) and the best by likelihood kept; k is then chosen by the smallest
    ``BIC = -2 logL + 2(k+1) log n`` (each joinpoint counts as two parameters, its slope
    change and its location, as in NCI Joinpoint's BIC; the Gaussian log-likelihood gives
    NCI's ``ln(SSE/n) + 2(k+1) ln(n)/n`` up to constants).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per year.
    time : str
        Year column.
    count, rate : str
        Give exactly one: counts (Poisson) or positive rates (log-linear least squares).
    total : str, optional
        With ``count``: exposure or all deaths in the year (offset).
    max_joinpoints : int, default 3
        Largest number of joinpoints considered.
    criterion : {"bic"}
        Model selection criterion. NCI Joinpoint's permutation test (Kim et al. 2000) is
        not offered.
    min_segment : int, default 3
        Minimum number of observed years in every segment, joinpoints included
        (a joinpoint is never at the first or last ``min_segment - 1`` years).
    alpha : float, default 0.05
        1 - confidence level.
    ci : {"location", "conditional"}
        ``"location"`` (default) adds the uncertainty of the joinpoint locations to the
        covariance by the delta method, treating each ``tau_j`` as a parameter with
        derivative ``-d_j [t > tau_j]`` (the linearisation of Muggeo's ``segmented``);
        ``"conditional"`` takes the locations as known (narrower, under-covers).
    dispersion : {"poisson", "quasi"}, default "poisson"
        With ``count``: ``"quasi"`` scales the covariance by the Pearson dispersion
        ``phi = X^2 / (n - p)`` of the chosen model (quasi-Poisson, as R's
        ``glm(family=quasipoisson)``), for counts more variable than Poisson; the choice
        of the number of joinpoints still uses the Poisson likelihood.
    setting, icd9_hospital_start
        Revision bands drawn by :meth:`JoinpointResult.plot`.
    suppress : bool, default True
        With ``count``: the observed series in ``extra["fitted"]`` (and the plot) through
        the disclosure-control policy (:mod:`harkit.privacy`): a hidden count is NaN, and
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
    JoinpointResult
        ``table`` has one row per segment (``start``, ``end``, ``apc`` in percent with CI and
        p-value) and an ``AAPC`` row over the whole range (Wald on the log scale; delta
        method for the AAPC:
        ``AAPC = 100 (exp(sum_j w_j b_j / sum_j w_j) - 1)``, ``w_j`` segment lengths in
        years, Clegg et al. 2009). ``model`` is the statsmodels fit of the chosen model.

    Notes
    -----
    Decedents-only data: use counts with all deaths as ``total`` (a proportion), not mean
    age at death. BIC over a grid of locations now and then adds a spurious joinpoint
    (about 1 in 8 simulated series with large counts); check the ``selection`` table.
    With ``dispersion="poisson"`` the counts are assumed not overdispersed; check
    ``extra["dispersion"]`` (Pearson X^2 / df, near 1 under the Poisson model).
    """
    import statsmodels.api as sm

    if dispersion not in ("poisson", "quasi"):
        raise ValueError(f"dispersion must be 'poisson' or 'quasi', not {dispersion!r}")
    if ci not in ("location", "conditional"):
        raise ValueError(f"ci must be 'location' or 'conditional', not {ci!r}")
    if criterion != "bic":
        raise ValueError(f"criterion must be 'bic', not {criterion!r} (the permutation test "
                         "of NCI Joinpoint is not offered)")
    if (count is None) == (rate is None):
        raise ValueError("give exactly one of count= or rate=")
    if min_segment < 2:
        raise ValueError("min_segment must be at least 2")
    ycol = count or rate
    cols = [time, ycol] + ([total] if total and count else [])
    for c in cols:
        if c not in df:
            raise ValueError(f"column {c!r} not in data; columns are {list(df.columns)}")
    d = _numeric(df[cols], "joinpoint")
    if count is not None:
        _check_counts(d, count, None)
    bad = d.isna().any(axis=1)
    if rate is not None:
        bad |= d[rate] <= 0
    if total and count:
        bad |= d[total] <= 0
    if bad.any():
        warnings.warn(f"joinpoint: {int(bad.sum())} rows with missing, zero or negative "
                      "values left out", stacklevel=2)
    d = d.loc[~bad].sort_values(time)
    if d[time].duplicated().any():
        raise ValueError(f"joinpoint needs one row per {time!r}; aggregate first")
    t = d[time].to_numpy(float)
    y = d[ycol].to_numpy(float)
    n = len(t)
    off = np.log(d[total].to_numpy(float)) if total and count else np.zeros(n)
    notes = [DECEDENTS_NOTE]
    if cause_group is not None:
        notes += check_cause_column([cause_group], t, setting=setting)
    if n < 3:
        raise ValueError(f"joinpoint needs at least 3 years, got {n}")
    if count is not None and y.sum() == 0:
        raise ValueError("joinpoint: all counts are zero")
    tc = t - t[0]
    sel = []
    best: dict[int, tuple[int, ...]] = {}
    for k in range(max_joinpoints + 1):
        cands = _candidates(n, k, min_segment) if k else [()]
        if not cands:
            notes.append(f"{k} joinpoints do not fit {n} years with min_segment={min_segment}.")
            break
        arr = np.array(cands, dtype=np.int64).reshape(len(cands), k)
        llfs = np.concatenate([
            _grid_poisson_llf(y, _grid_design(tc, arr[i:i + 2000]), off) if count
            else _grid_gauss_llf(np.log(y), _grid_design(tc, arr[i:i + 2000]))
            for i in range(0, len(arr), 2000)])
        if count:  # the constant -log(y!) makes logL the true Poisson log-likelihood
            llfs = llfs - float(np.sum(special.gammaln(y + 1)))
        i = int(np.argmax(llfs))
        best[k] = cands[i]
        p = 2 * (k + 1) + (0 if count else 1)
        sel.append({"joinpoints": k, "locations": tuple(t[list(cands[i])]),
                    "loglik": llfs[i], "bic": -2 * llfs[i] + p * np.log(n)})
    selection = pd.DataFrame(sel)
    k = int(selection.loc[selection["bic"].idxmin(), "joinpoints"])
    idx = best[k]
    taus = tuple(tc[list(idx)])
    names = ["const", "slope"] + [f"change_{t[i]:g}" for i in idx]
    xd = pd.DataFrame(_design(tc, taus), columns=names)
    if count:
        fit = sm.GLM(y, xd, family=sm.families.Poisson(), offset=off).fit()
        fitted = fit.fittedvalues / np.exp(off)
        observed = y / np.exp(off)
    else:
        fit = sm.OLS(np.log(y), xd).fit()
        fitted = np.exp(fit.fittedvalues)
        observed = y
    beta = fit.params.to_numpy()
    cov = fit.cov_params().to_numpy()
    df_resid = float(fit.df_resid)
    if ci == "location" and k:
        jac = np.column_stack([xd.to_numpy()] + [-beta[2 + j] * (tc > taus[j])
                                                 for j in range(k)])
        if count:
            info = jac.T @ (jac * np.asarray(fitted * np.exp(off))[:, None])
            full = np.linalg.pinv(info)
        else:
            df_resid -= k
            sigma2 = float(np.sum(fit.resid**2)) / max(df_resid, 1.0)
            full = sigma2 * np.linalg.pinv(jac.T @ jac)
        cov = full[:len(beta), :len(beta)]
    phi = float(fit.pearson_chi2 / max(fit.df_resid, 1)) if count else np.nan
    if count and dispersion == "quasi":
        cov = cov * phi  # quasi-Poisson: the variance is phi times the mean
    zq = stats.norm.ppf(1 - alpha / 2) if count else stats.t.ppf(1 - alpha / 2, df_resid)
    bounds = [t[0]] + [t[i] for i in idx] + [t[-1]]
    rows = []
    agg = np.zeros(len(beta))
    for j in range(k + 1):
        c = np.zeros(len(beta))
        c[1] = 1.0
        c[2:2 + j] = 1.0
        b = c @ beta
        se = float(np.sqrt(c @ cov @ c))
        w = bounds[j + 1] - bounds[j]
        agg += w * c
        rows.append(_apc_row(f"segment {j + 1}", bounds[j], bounds[j + 1], b, se, zq,
                             count is not None, df_resid))
    agg /= bounds[-1] - bounds[0]
    rows.append(_apc_row("AAPC", bounds[0], bounds[-1], agg @ beta,
                         float(np.sqrt(agg @ cov @ agg)), zq, count is not None, df_resid))
    table = pd.DataFrame(rows)
    if suppress and count:
        observed = _shown_observed(d, count, total, threshold)
        notes.append(dc.policy_note(threshold, extra="The observed series is shown so."))
    if count:
        notes.append(f"Pearson dispersion {phi:.2f}" + (
            " (covariance scaled by it: quasi-Poisson)." if dispersion == "quasi" else
            "; well above 1 means overdispersion: consider dispersion='quasi'."))
    notes.append(f"{k} joinpoint(s) chosen by BIC among 0-{selection['joinpoints'].max()}; "
                 + ("CIs include location uncertainty (delta method)." if ci == "location"
                    else "CIs conditional on the joinpoint locations."))
    return JoinpointResult(
        table=table, method="Joinpoint regression (" + ("Poisson" if count else
                                                        "log-linear least squares") + ")",
        notes=notes, model=fit,
        extra={"selection": selection, "joinpoints": [t[i] for i in idx],
               "dispersion": phi,
               "fitted": pd.DataFrame({"time": t, "observed": observed, "fitted": fitted}),
               "setting": setting, "icd9_hospital_start": icd9_hospital_start})


def _apc_row(label: str, start: float, end: float, b: float, se: float, q: float,
             normal: bool, df_resid: float) -> dict[str, Any]:
    z = b / se if se > 0 else np.nan
    p = 2 * (stats.norm.sf(abs(z)) if normal else stats.t.sf(abs(z), df_resid))
    return {"segment": label, "start": start, "end": end, "slope": b, "se": se,
            "apc": 100 * np.expm1(b), "lower": 100 * np.expm1(b - q * se),
            "upper": 100 * np.expm1(b + q * se), "p_value": p}
