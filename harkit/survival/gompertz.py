"""Gompertz proportional-hazards MLE of age at death for deaths observed inside a window.

Everyone in a decedents-only register has died, and only deaths inside the archive window
are seen. Person *i* is in the data only if their age at death lies in ``[entry_i, r_i]``
(age at the window start, or later entry, to ``r_i``, the right-truncation age at the window
end). The likelihood of
each person is therefore conditional on dying inside their own window,

    L_i = f(a_i | x_i) / (F(r_i | x_i) - F(entry_i | x_i)),

with the Gompertz proportional-hazards model ``h(a | x) = b exp(g a) exp(beta' x)``. This is
the design of Goldstein et al. (2023, Population Research and Policy Review,
doi:10.1007/s11113-023-09785-z; R package ``gompertztrunc``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import integrate, optimize, special, stats

from harkit import _disclosure as dc
from harkit.plot import axes as _axes
from harkit.plot import forest
from harkit.results import Result

__all__ = ["GompertzFit", "GompertzWindowResult", "gompertz_life_expectancy",
           "gompertz_window"]

_WINDOW_NOTE = (
    "Everyone in the register died, and only deaths inside the archive window are seen, so "
    "each person's age at death is truncated to their own window [entry age, age at the "
    "window end]. The model conditions on that: each death contributes f(age) / "
    "(F(window end) - F(entry)). "
    "A naive comparison of mean ages at death is biased: late birth cohorts enter only if "
    "they died young, early cohorts only if they died old, so group differences in birth "
    "cohort (e.g. drug users born later) are read as differences in age at death, and real "
    "differences in mortality are compressed by the window. Hazard ratios and remaining "
    "life expectancy from this model are free of that bias if the Gompertz "
    "proportional-hazards model holds and covariates do not depend on age at death."
)


def gompertz_life_expectancy(at_age: float | np.ndarray, rate: float | np.ndarray,
                             g: float | np.ndarray) -> np.ndarray:
    """Remaining life expectancy at ``at_age`` under the hazard ``rate * exp(g * age)``.

    Integrates the Gompertz survival from ``at_age`` to infinity in closed form,
    ``e(a) = exp(z) E1(z) / g`` with ``z = rate * exp(g a) / g``.

    Parameters
    ----------
    at_age : float or array
        Age from which remaining life is counted (years).
    rate : float or array
        Hazard at age 0, ``b * exp(beta' x)`` (per year, > 0).
    g : float or array
        Gompertz slope (per year, > 0).

    Returns
    -------
    numpy.ndarray
        Remaining life expectancy in years.
    """
    rate, g, at_age = np.broadcast_arrays(np.asarray(rate, float), np.asarray(g, float),
                                          np.asarray(at_age, float))
    if np.any(rate <= 0) or np.any(g <= 0):
        raise ValueError("rate and g must be positive")
    z = rate * np.exp(g * at_age) / g
    out = np.empty_like(z)
    small = z < 50
    out[small] = np.exp(z[small]) * special.exp1(z[small])
    zl = z[~small]  # asymptotic series of exp(z) E1(z)
    out[~small] = (1 - 1 / zl + 2 / zl**2 - 6 / zl**3 + 24 / zl**4) / zl
    return out / g


def _cum_hazard(t: np.ndarray, lam: np.ndarray, g: float) -> np.ndarray:
    """Cumulative hazard lam/g (exp(g t) - 1); inf for infinite t."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(np.isinf(t), np.inf, lam * np.expm1(g * t) / g)


def _dcum_dg(t: np.ndarray, lam: np.ndarray, g: float) -> np.ndarray:
    """Derivative of the cumulative hazard with respect to g (0 for infinite t)."""
    with np.errstate(over="ignore", invalid="ignore"):
        val = lam / g * (t * np.exp(g * t) - np.expm1(g * t) / g)
        return np.where(np.isinf(t), 0.0, val)


def _negloglik(theta: np.ndarray, age: np.ndarray, lo: np.ndarray, hi: np.ndarray,
               x: np.ndarray, a_ref: float, grad: bool = True, scores: bool = False) -> Any:
    """Negative window-conditional log likelihood and gradient in internal parameters.

    ``theta = (c, log g, beta)`` with ``c`` the log hazard at age ``a_ref`` for x = 0.
    With ``scores=True`` the per-person score contributions (n x p, derivatives of each
    person's log likelihood) are returned instead, for the sandwich variance.
    """
    c, g = theta[0], np.exp(theta[1])
    eta = c - g * a_ref + x @ theta[2:]
    if np.any(eta > 700):
        return (np.inf, np.full_like(theta, np.nan)) if grad else np.inf
    lam = np.exp(eta)
    h_a, h_lo, h_hi = (_cum_hazard(t, lam, g) for t in (age, lo, hi))
    d = h_hi - h_lo
    with np.errstate(divide="ignore", over="ignore"):
        log_window = -h_lo + np.log(-np.expm1(-d))
        ll = eta + g * age - h_a - log_window
        nll = -ll.sum()
    if not grad:
        return nll
    with np.errstate(over="ignore", invalid="ignore"):
        ratio = np.nan_to_num(1.0 / np.expm1(d), nan=0.0, posinf=0.0)  # -d/dD log(1-e^-D)
        d_term = np.where(ratio == 0, 0.0, d * ratio)
        d_eta = 1 - h_a + h_lo - d_term
        hg_a, hg_lo, hg_hi = (_dcum_dg(t, lam, g) for t in (age, lo, hi))
        d_g = age - hg_a + hg_lo - np.where(ratio == 0, 0.0, (hg_hi - hg_lo) * ratio)
    # chain rule: eta depends on g through -g * a_ref
    d_g_total = d_g - a_ref * d_eta
    if scores:
        return np.column_stack([d_eta, g * d_g_total, x * d_eta[:, None]])
    gr = np.empty_like(theta)
    gr[0] = d_eta.sum()
    gr[1] = g * d_g_total.sum()
    gr[2:] = x.T @ d_eta
    return nll, -gr


def _negloglik_makeham(theta: np.ndarray, age: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                       x: np.ndarray, a_ref: float, scores: bool = False) -> Any:
    """As :func:`_negloglik` with a Makeham term: ``h(a | x) = (m + b exp(g a)) exp(beta' x)``.

    ``theta = (c, log g, beta, log m)``; ``m`` the age-constant hazard of the reference
    profile (accidents, overdoses: deaths at any age), proportional to the same
    ``exp(beta' x)`` so that the hazard ratios keep their meaning.
    """
    k = x.shape[1]
    c, g, beta, log_m = theta[0], np.exp(theta[1]), theta[2:2 + k], theta[-1]
    xb = x @ beta
    eta = c - g * a_ref + xb
    if np.any(eta > 700) or np.any(log_m + xb > 700) or g > 50:
        return np.inf, np.full_like(theta, np.nan)
    r, mk = np.exp(eta), np.exp(log_m + xb)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        def cum(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """E(t) = (exp(g t) - 1) / g and its derivative in g (inf / 0 at t = inf)."""
            e = np.where(np.isinf(t), np.inf, np.expm1(g * t) / g)
            de = np.where(np.isinf(t), 0.0, (t * np.exp(g * t) - np.expm1(g * t) / g) / g)
            return e, de

        (e_a, de_a), (e_lo, de_lo), (e_hi, de_hi) = cum(age), cum(lo), cum(hi)
        h = mk + r * np.exp(g * age)
        big_h = {k_: mk * np.where(np.isinf(t), np.inf, t) + r * e_
                 for k_, t, e_ in (("a", age, e_a), ("lo", lo, e_lo), ("hi", hi, e_hi))}
        d = big_h["hi"] - big_h["lo"]
        ll = np.log(h) - big_h["a"] + big_h["lo"] - np.log(-np.expm1(-d))
        nll = -float(ll.sum())
        ratio = np.nan_to_num(1.0 / np.expm1(d), nan=0.0, posinf=0.0)  # d/dD of -log(1-e^-D)
        fin = np.isfinite(hi)
        span_e = np.where(fin, e_hi - e_lo, 0.0)
        span_t = np.where(fin, hi - lo, 0.0)
        span_de = np.where(fin, de_hi - de_lo, 0.0)
        d_c = r * np.exp(g * age) / h - r * e_a + r * e_lo - ratio * r * span_e
        d_m = mk / h - mk * age + mk * lo - ratio * mk * span_t
        dh_g = r * np.exp(g * age) * (age - a_ref)
        dbh = {k_: r * (de_ - a_ref * np.where(np.isinf(e_), 0.0, e_))
               for k_, de_, e_ in (("a", de_a, e_a), ("lo", de_lo, e_lo))}
        dbh_hi = r * (span_de + de_lo - a_ref * np.where(fin, e_hi, 0.0))
        d_g = dh_g / h - dbh["a"] + dbh["lo"] - ratio * np.where(fin, dbh_hi - dbh["lo"], 0.0)
    if scores:
        return np.column_stack([d_c, g * d_g, x * (d_c + d_m)[:, None], d_m])
    gr = np.empty_like(theta)
    gr[0] = d_c.sum()
    gr[1] = g * d_g.sum()
    gr[2:2 + k] = x.T @ (d_c + d_m)
    gr[-1] = d_m.sum()
    return nll, -gr


def _makeham_life_expectancy(at_age: float, rate: np.ndarray, g: np.ndarray,
                             mk: np.ndarray) -> np.ndarray:
    """Remaining life expectancy at ``at_age`` under ``mk + rate exp(g age)`` (quadrature).

    ``e(a) = int_0^inf exp(-(mk s + rate exp(g a) (exp(g s) - 1) / g)) ds`` by the
    trapezoidal rule on 0..150 years in steps of 0.02 (the integrand is below 1e-12 there
    for adult Gompertz slopes).
    """
    s = np.linspace(0.0, 150.0, 7501)
    rate, g, mk = np.broadcast_arrays(np.asarray(rate, float), np.asarray(g, float),
                                      np.asarray(mk, float))
    with np.errstate(over="ignore"):
        expo = (mk[..., None] * s + (rate * np.exp(g * at_age) / g)[..., None]
                * np.expm1(g[..., None] * s))
    return integrate.trapezoid(np.exp(-expo), s, axis=-1)


def _num_hessian(fun: Any, theta: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of a function returning (value, gradient)."""
    k = theta.size
    hess = np.empty((k, k))
    for j in range(k):
        step = 1e-5 * max(1.0, abs(theta[j]))
        e = np.zeros(k)
        e[j] = step
        hess[:, j] = (fun(theta + e)[1] - fun(theta - e)[1]) / (2 * step)
    return (hess + hess.T) / 2


@dataclass
class GompertzFit:
    """The fitted window-conditional Gompertz model (``.model`` of the result).

    Attributes
    ----------
    params : pandas.Series
        ``log_b``, ``g`` and the log hazard ratios by design column.
    cov : pandas.DataFrame
        Covariance of ``params`` from the inverse observed information.
    loglik : float
        Maximised window-conditional log likelihood.
    nobs : int
        Persons used.
    design_info : patsy.DesignInfo
        Design of the formula (to build covariate profiles).
    optimize_result : scipy.optimize.OptimizeResult
        The optimiser's output (internal parametrisation).
    """

    params: pd.Series
    cov: pd.DataFrame
    loglik: float
    nobs: int
    design_info: Any
    optimize_result: Any

    @property
    def bse(self) -> pd.Series:
        """Standard errors of :attr:`params`."""
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index)


class GompertzWindowResult(Result):
    """Result of :func:`gompertz_window`: hazard ratios and life-expectancy differences.

    ``table`` has one row per covariate: log hazard ratio, standard error, hazard ratio
    with CI, p value and the difference in remaining life expectancy at ``at_age`` between
    the covariate set to 1 and the reference profile (all covariates 0). ``extra`` holds
    ``"gompertz"`` (b, g, modal age of the reference profile) and ``"life_expectancy"``
    (one row per profile when profiles were given).
    """

    def plot(self, ax: Any = None) -> Any:
        """Forest plot of the hazard ratios with their confidence intervals.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return forest(self.table, "hazard_ratio", "hr_lower", "hr_upper", "term", ax=ax,
                      xlabel="hazard ratio (95% CI), Gompertz model conditional on the window")

    def fit_diagnostic(self, n_points: int = 60) -> pd.DataFrame:
        """The fitted model's distribution of age at death next to the Efron-Petrosian NPMLE.

        Both estimate the distribution of age at death corrected for each person's window,
        on the range the windows identify (``[min age, max age]`` of the deaths): the NPMLE
        without a model (:func:`harkit.survival.efron_petrosian`), the model as the average
        over persons of ``(F(t | x_i) - F(lo | x_i)) / (F(hi | x_i) - F(lo | x_i))``. Where
        they part, the Gompertz shape (or proportional hazards) does not fit: typically
        young deaths (accidents, overdoses) above a pure Gompertz curve.

        Parameters
        ----------
        n_points : int, default 60
            Ages at which both are evaluated.

        Returns
        -------
        pandas.DataFrame
            ``age``, ``npmle_cdf``, ``model_cdf``, ``difference``; ``attrs["max_abs_difference"]``.
        """
        from harkit.survival.truncation import efron_petrosian

        pp = self.extra["per_person"]
        a = pp["age"].to_numpy(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a disconnected NPMLE is reported by the user's call
            ep = efron_petrosian(a, pp["entry"].to_numpy(float),
                                 pp["right_truncation"].to_numpy(float), suppress=False)
        lo_a, hi_a = float(a.min()), float(a.max())
        t = np.linspace(lo_a, hi_a, n_points)
        p = self.model.params
        names = [c for c in p.index if c not in ("log_b", "g", "makeham")]
        x = pp[names].to_numpy(float) if names else np.zeros((len(pp), 0))
        eta = p["log_b"] + x @ p[names].to_numpy(float)
        lam = np.exp(eta)[:, None]
        mk = float(p["makeham"]) * np.exp(x @ p[names].to_numpy(float))[:, None] \
            if "makeham" in p.index else 0.0

        def cum(age: np.ndarray) -> np.ndarray:
            return lam * np.expm1(p["g"] * age) / p["g"] + mk * age

        h_lo, h_hi = cum(np.array([lo_a])), cum(np.array([hi_a]))
        with np.errstate(over="ignore", invalid="ignore"):
            # F(t) - F(lo) = S(lo) - S(t), over S(lo) - S(hi), on the log scale for stability
            num = -np.expm1(-(cum(t[None, :]) - h_lo))
            den = -np.expm1(-(h_hi - h_lo))
            model = np.nanmean(num / den, axis=0)
        out = pd.DataFrame({"age": t, "npmle_cdf": ep.cdf(t), "model_cdf": model})
        out["difference"] = out["model_cdf"] - out["npmle_cdf"]
        out.attrs["max_abs_difference"] = float(out["difference"].abs().max())
        return out

    def plot_fit(self, ax: Any = None) -> Any:
        """Draw :meth:`fit_diagnostic`: the model's and the NPMLE's distribution of age at death.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = _axes(ax, (6, 4))
        d = self.fit_diagnostic()
        ax.step(d["age"], d["npmle_cdf"], where="post", label="Efron-Petrosian NPMLE")
        ax.plot(d["age"], d["model_cdf"], label=self.method.split(" MLE")[0] + " model")
        ax.set_xlabel("age at death")
        ax.set_ylabel("cumulative distribution (identified range)")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize="small")
        return ax


def _drop_unused_levels(data: pd.DataFrame, formula: str) -> tuple[pd.DataFrame, list[str]]:
    """Remove categories no row has from the formula's categorical columns, with a note."""
    import re

    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula))
    notes = []
    for col in [c for c in data.columns if c in names]:
        if isinstance(data[col].dtype, pd.CategoricalDtype):
            present = set(data[col].dropna().unique())
            unused = [v for v in data[col].cat.categories if v not in present]
            if unused:
                data = data.assign(**{col: data[col].cat.remove_unused_categories()})
                notes.append(f"Unused level(s) {unused} of {col!r} were dropped.")
    return data, notes


def _prepare(cohort: pd.DataFrame, formula: str, age: str, entry: str,
             right: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str],
                                 Any, list[str]]:
    """Check the cohort, drop incomplete rows (with a warning), build the design."""
    import patsy

    for col in (age, entry, right):
        if col not in cohort.columns:
            raise KeyError(f"column {col!r} not in the cohort table")
    if len(cohort) == 0:
        raise ValueError("the cohort table is empty")
    data = cohort.reset_index(drop=True)
    times = data[[age, entry, right]].apply(pd.to_numeric, errors="coerce")
    data, level_notes = _drop_unused_levels(data, formula)
    try:
        dm = patsy.dmatrix(formula, data, return_type="dataframe", NA_action="drop")
    except patsy.PatsyError as exc:
        raise ValueError(f"cannot build the design from formula {formula!r}: {exc}") from exc
    ok = times.notna().all(axis=1) & data.index.isin(dm.index)
    if not ok.any():
        raise ValueError("no person has age at death, entry, right-truncation age and "
                         "covariates all present")
    if not ok.all():
        warnings.warn(f"gompertz_window: dropped {int((~ok).sum())} of {len(data)} persons "
                      "with a missing age, entry, right-truncation age or covariate",
                      stacklevel=3)
    design_info = dm.design_info
    dm = dm.loc[ok[ok].index]
    a, lo, hi = (times.loc[ok, c].to_numpy(float) for c in (age, entry, right))
    if np.any(lo < 0):
        raise ValueError(f"{entry!r} has negative ages")
    bad = (a < lo) | (a > hi)
    if bad.any():
        raise ValueError(f"{int(bad.sum())} persons have {age!r} outside [{entry!r}, "
                         f"{right!r}]; the window must contain the age at death")
    if np.any(hi <= lo):
        raise ValueError(f"{int((hi <= lo).sum())} persons have an empty window "
                         f"({right!r} <= {entry!r})")
    if np.unique(a).size < 3:
        raise ValueError("fewer than 3 distinct ages at death: the Gompertz slope is not "
                         "identified (all-tied times)")
    if "Intercept" not in dm.columns:
        raise ValueError("the formula must keep its intercept (it is the Gompertz level b)")
    dm = dm.drop(columns="Intercept")
    x = dm.to_numpy(float)
    for j, name in enumerate(dm.columns):
        if np.ptp(x[:, j]) == 0:
            raise ValueError(f"covariate column {name!r} is constant (an empty group, or "
                             "only one group?); its hazard ratio is not identified")
    if x.shape[1] and np.linalg.matrix_rank(np.column_stack([np.ones(len(x)), x])) \
            < x.shape[1] + 1:
        raise ValueError("the design is collinear; drop or merge covariates")
    return a, lo, hi, x, list(dm.columns), design_info, level_notes


def gompertz_window(cohort: pd.DataFrame, formula: str, *, age: str = "age_at_death",
                    entry: str = "entry_age", right_truncation: str | None = None,
                    at_age: float = 65.0, profiles: pd.DataFrame | None = None,
                    alpha: float = 0.05, ci_method: str = "delta", n_sim: int = 2000,
                    seed: int | np.random.Generator | None = None,
                    makeham: bool = False, robust: bool = False,
                    exit: str | None = None) -> GompertzWindowResult:
    """Fit a Gompertz proportional-hazards model of age at death conditional on the window.

    Maximises ``sum_i log f(a_i | x_i) - log(F(r_i | x_i) - F(entry_i | x_i))`` with
    ``h(a | x) = b exp(g a) exp(beta' x)``: the likelihood of age at death given that the
    person died inside their own observation window (Goldstein et al. 2023, the
    ``gompertztrunc`` design). Fitted by BFGS with the analytic gradient; standard errors
    come from the inverse observed information (numerical Hessian of the analytic
    gradient).

    Parameters
    ----------
    cohort : pandas.DataFrame
        One row per person (e.g. from ``harkit.cohort.build``).
    formula : str
        Right-hand side of a patsy formula for the covariates, e.g.
        ``"sex + C(sud_group, Treatment('none'))"``. The intercept is the Gompertz level
        ``b`` and must stay.
    age : str
        Column of age at death (the exit time), in years.
    entry : str
        Column of the lowest age at which a death could be seen (left truncation).
    right_truncation : str, optional
        Column of the highest age at which a death could still be seen (the age at the
        archive window's end; ``inf`` for no upper limit); default ``"exit_age"``.
    at_age : float
        Age at which remaining life expectancy is compared.
    profiles : pandas.DataFrame, optional
        Covariate profiles (columns as in ``cohort``, one row each, index used as label)
        for which remaining life expectancy at ``at_age`` and its difference from the first
        profile are reported in ``extra["life_expectancy"]``.
    alpha : float
        1 - confidence level.
    ci_method : {"delta", "simulation"}
        CIs of life-expectancy quantities: delta method, or percentiles over ``n_sim``
        parameter draws from the asymptotic normal distribution of the MLE.
    n_sim : int
        Draws for ``ci_method="simulation"``.
    seed : int or numpy.random.Generator, optional
        Seed of the draws for ``ci_method="simulation"``.
    makeham : bool, default False
        Add an age-constant Makeham term: ``h(a | x) = (m + b exp(g a)) exp(beta' x)``,
        for deaths that happen at any age (accidents, overdoses) and that a pure Gompertz
        curve from age 0 fits poorly. ``m`` is reported in ``extra["gompertz"]`` and
        ``model.params["makeham"]``; remaining life expectancy is then integrated
        numerically. Compare the fits with :meth:`GompertzWindowResult.fit_diagnostic`.
    robust : bool, default False
        Standard errors from the sandwich (robust) variance ``H^-1 (sum_i s_i s_i') H^-1``
        of the per-person scores ``s_i`` instead of the inverse information ``H^-1``. The
        model-based errors assume that mortality follows the Gompertz (-Makeham) curve
        exactly; real mortality, with its calendar decline and its mix of causes, does
        not, and the sandwich keeps the intervals valid for the hazard ratio the model
        estimates (the person-level analogue of ``coxph(..., robust=TRUE)``).
    exit : str, optional
        Former name of ``right_truncation``, still accepted.

    Returns
    -------
    GompertzWindowResult
        ``table`` with columns ``term, coef, se, hazard_ratio, hr_lower, hr_upper, z,
        p_value, e_diff, e_diff_lower, e_diff_upper`` (``e_diff``: remaining life
        expectancy at ``at_age`` with the covariate at 1 minus the reference profile, in
        years); ``extra["gompertz"]`` (b, g, modal age and ``e{at_age}`` of the reference
        profile), ``extra["life_expectancy"]`` (with ``profiles``); ``model`` a
        :class:`GompertzFit`. The reference profile has every design column at 0, so
        centre continuous covariates (or pass ``profiles``) for meaningful ``e_diff``.

    Raises
    ------
    ValueError
        Empty cohort, ages outside their window, empty windows, all-tied ages, constant or
        collinear covariates, or a fit that does not converge.
    KeyError
        A named column is missing.
    """
    if ci_method not in ("delta", "simulation"):
        raise ValueError("ci_method must be 'delta' or 'simulation'")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    if exit is not None and right_truncation is not None and exit != right_truncation:
        raise TypeError("give the right-truncation column once (right_truncation=; exit= is "
                        "its old name)")
    right_truncation = right_truncation or exit or "exit_age"
    a, lo, hi, x, names, design_info, level_notes = _prepare(cohort, formula, age, entry,
                                                             right_truncation)

    # internal scale: age centred at a_ref, covariates standardised
    a_ref = float(np.median(a))
    x_mean, x_sd = x.mean(axis=0), x.std(axis=0)
    xs = (x - x_mean) / x_sd
    start = np.r_[np.log(0.08), np.log(0.08), np.zeros(x.shape[1])]
    # the likelihood has flat ridges (young deaths, a Makeham term): a second start guards
    alt = np.r_[np.log(0.05), np.log(0.08), np.zeros(x.shape[1])]
    starts = [start, alt]
    if makeham:
        starts = [np.r_[start, np.log(1e-3)], np.r_[alt, np.log(1e-2)]]

    def fun(th: np.ndarray) -> tuple[float, np.ndarray]:
        if makeham:
            return _negloglik_makeham(th, a, lo, hi, xs, a_ref)
        return _negloglik(th, a, lo, hi, xs, a_ref)

    # BFGS line searches may step where the likelihood overflows (inf); those steps are
    # rejected, and convergence is checked below, so their RuntimeWarnings are noise
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        best = None
        for st in starts:
            res_s = optimize.minimize(fun, st, jac=True, method="BFGS",
                                      options={"gtol": 1e-7, "maxiter": 2000})
            th_s, hess_s = _polish(fun, res_s.x, len(a))
            value = float(fun(th_s)[0])
            # a start that diverged (nan/inf) must never win over a finite one
            cand = (value if np.isfinite(value) else np.inf, th_s, hess_s, res_s)
            if best is None or cand[0] < best[0]:
                best = cand
        _, theta, hess, res = best
        gr = fun(theta)[1]
    if makeham and theta[-1] < np.log(1e-8):
        raise ValueError("makeham=True: the age-constant hazard is estimated at 0 (the "
                         "data show no deaths beyond the Gompertz curve); fit without it")
    if not np.all(np.isfinite(gr)) or np.max(np.abs(gr)) > 1e-3 * max(1.0, len(a) / 100):
        raise ValueError(f"the Gompertz fit did not converge ({res.message}); check that "
                         "ages and windows are in years and the covariates are not separated"
                         + ("" if makeham else "; young deaths a Gompertz curve cannot "
                            "fit? try makeham=True"))
    eig = np.linalg.eigvalsh(hess)
    if eig.min() <= 1e-10 * max(1.0, eig.max()):
        # e.g. the level runs to 0 and only the shape inside each window is left: ages at
        # death that do not rise like a Gompertz curve (many young deaths)
        raise ValueError("the observed information is singular: a parameter is not "
                         "identified (too few deaths in a group or windows too narrow"
                         + (")" if makeham else ", or young deaths a Gompertz curve cannot "
                            "fit: try makeham=True)"))
    cov_int = np.linalg.inv(hess)
    if robust:
        # sandwich H^-1 (sum_i s_i s_i') H^-1: valid when the Gompertz form is only an
        # approximation (Huber 1967; White 1982), as for any real mortality curve
        fn = _negloglik_makeham if makeham else _negloglik
        score = fn(theta, a, lo, hi, xs, a_ref, scores=True)
        cov_int = cov_int @ (score.T @ score) @ cov_int
    k = len(names)

    # internal (c, log g, standardised beta[, log m]) -> public (log b, g, beta[, m])
    g = float(np.exp(theta[1]))
    beta = theta[2:2 + k] / x_sd
    shift = beta @ x_mean
    params = np.r_[theta[0] - g * a_ref - shift, g, beta]
    jac = np.eye(theta.size)
    jac[0, 1] = -a_ref * g
    jac[0, 2:2 + k] = -x_mean / x_sd
    jac[1, 1] = g
    jac[2:2 + k, 2:2 + k] = np.diag(1 / x_sd)
    index = ["log_b", "g", *names]
    if makeham:
        m_pub = float(np.exp(theta[-1] - shift))
        params = np.r_[params, m_pub]
        jac[-1, -1] = m_pub
        jac[-1, 2:2 + k] = -m_pub * x_mean / x_sd
        index.append("makeham")
    cov = jac @ cov_int @ jac.T
    se_beta = np.sqrt(np.diag(cov))[2:2 + k]
    vague = [f"{n} (SE {v:.1f})" for n, v in zip(names, se_beta) if v > 3.0]
    if vague:
        # a log hazard ratio with SE above 3 has a 95 % interval wider than a factor of
        # 10^5: the term is barely identified, as in R's warning for coxph
        warnings.warn("gompertz_window: the hazard ratio of " + ", ".join(vague) + " is "
                      "barely identified (log-scale standard error above 3): too few deaths "
                      "in the group, or deaths only where the window allows nothing else; "
                      "merge the group or leave it out", RuntimeWarning, stacklevel=2)
    fit = GompertzFit(params=pd.Series(params, index=index),
                      cov=pd.DataFrame(cov, index=index, columns=index),
                      loglik=-float(fun(theta)[0]), nobs=len(a), design_info=design_info,
                      optimize_result=res)
    return _window_result(fit, params, cov, names, design_info, at_age, profiles, alpha,
                          ci_method, n_sim, seed, makeham, level_notes, a, lo, hi, x)


def _polish(fun: Any, theta: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Newton steps from the BFGS solution (BFGS stops loose on flat likelihoods)."""
    hess = _num_hessian(fun, theta)
    for _ in range(20):
        gr = fun(theta)[1]
        if np.max(np.abs(gr)) < 1e-6 * max(1.0, n / 1000):
            break
        try:
            step = np.linalg.solve(hess, gr)
        except np.linalg.LinAlgError:
            break
        new = theta - step
        if not np.isfinite(fun(new)[0]) or fun(new)[0] > fun(theta)[0] + 1e-9:
            break
        theta = new
        hess = _num_hessian(fun, theta)
    return theta, hess


def _window_result(fit: GompertzFit, params: np.ndarray, cov: np.ndarray, names: list[str],
                   design_info: Any, at_age: float, profiles: pd.DataFrame | None,
                   alpha: float, ci_method: str, n_sim: int, seed: Any, makeham: bool,
                   level_notes: list[str], a: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                   x: np.ndarray) -> GompertzWindowResult:
    """The tables of :func:`gompertz_window` from the fitted public parameters."""
    g = float(params[1])
    z_crit = stats.norm.ppf(1 - alpha / 2)
    se = np.sqrt(np.diag(cov))

    # life expectancy of design rows, as a function of the parameter vector
    k = len(names)
    rows = np.vstack([np.zeros(k), np.eye(k)]) if k else np.zeros((1, 0))

    # functions of the parameter matrix P (m draws x parameters) -> (m, quantities)
    def e_of(p: np.ndarray, xr: np.ndarray) -> np.ndarray:
        rel = np.exp(p[:, 2:2 + k] @ xr.T)
        rate = np.exp(p[:, :1]) * rel
        if makeham:
            return _makeham_life_expectancy(at_age, rate, p[:, 1:2], p[:, -1:] * rel)
        return gompertz_life_expectancy(at_age, rate, p[:, 1:2])

    def diff_fun(p: np.ndarray) -> np.ndarray:
        e = e_of(p, rows)
        return e[:, 1:] - e[:, :1]

    def modal(p: np.ndarray) -> np.ndarray:
        return np.maximum(np.log(p[:, 1:2]) - p[:, :1], 0.0) / p[:, 1:2]

    def ref_e(p: np.ndarray) -> np.ndarray:
        return e_of(p, rows[:1])

    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(params, cov, size=n_sim, method="eigh") \
        if ci_method == "simulation" else None
    if draws is not None:
        draws = draws[(draws[:, 1] > 0) & ((draws[:, -1] > 0) if makeham else True)]

    def interval(f: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        est = f(params[None, :])[0]
        if draws is None:
            steps = 1e-6 * np.maximum(1.0, np.abs(params))
            shift = np.diag(steps)
            grads = (f(params + shift) - f(params - shift)) / (2 * steps[:, None])
            s = np.sqrt(np.einsum("ji,jk,ki->i", grads, cov, grads))
            return est, est - z_crit * s, est + z_crit * s
        vals = f(draws)
        return est, np.quantile(vals, alpha / 2, axis=0), np.quantile(vals, 1 - alpha / 2,
                                                                         axis=0)

    coef = params[2:2 + k]
    se_b = se[2:2 + k]
    zval = coef / se_b
    ed, ed_lo, ed_hi = interval(diff_fun) if k else (np.array([]),) * 3
    table = pd.DataFrame({
        "term": names, "coef": coef, "se": se_b, "hazard_ratio": np.exp(coef),
        "hr_lower": np.exp(coef - z_crit * se_b), "hr_upper": np.exp(coef + z_crit * se_b),
        "z": zval, "p_value": 2 * stats.norm.sf(np.abs(zval)),
        "e_diff": ed, "e_diff_lower": ed_lo, "e_diff_upper": ed_hi,
    })
    table.attrs["at_age"] = at_age

    m_est, m_lo, m_hi = interval(modal)
    e_est, e_lo, e_hi = interval(ref_e)
    gomp = pd.DataFrame({
        "parameter": ["b", "g", "modal_age", f"e{at_age:g}"],
        "estimate": [np.exp(params[0]), g, m_est[0], e_est[0]],
        "lower": [np.exp(params[0] - z_crit * se[0]), g - z_crit * se[1], m_lo[0], e_lo[0]],
        "upper": [np.exp(params[0] + z_crit * se[0]), g + z_crit * se[1], m_hi[0], e_hi[0]],
    })
    if makeham:
        gomp = pd.concat([gomp, pd.DataFrame({
            "parameter": ["makeham"], "estimate": [params[-1]],
            "lower": [params[-1] * np.exp(-z_crit * se[-1] / params[-1])],
            "upper": [params[-1] * np.exp(z_crit * se[-1] / params[-1])]})],
            ignore_index=True)
    gomp.attrs["profile"] = "reference (all covariates 0)"

    extra: dict[str, Any] = {"gompertz": gomp}
    if profiles is not None:
        extra["life_expectancy"] = _profile_table(profiles, design_info, e_of, interval,
                                                  at_age)
    notes = [
        _WINDOW_NOTE,
        f"e_diff: remaining life expectancy at age {at_age:g} with the covariate at 1 minus "
        "the reference profile (all covariates 0), in years "
        f"({'delta method' if ci_method == 'delta' else 'simulation'} "
        f"{100 * (1 - alpha):g}% CIs).",
        f"{dc.count_text(fit.nobs)} persons; log likelihood {fit.loglik:.2f}.",
        *level_notes,
    ] + (["Gompertz-Makeham: an age-constant hazard m (same hazard ratios) is added to "
          "b exp(g a); modal_age is that of the Gompertz part; life expectancy by "
          "quadrature."] if makeham else [])
    # row-level working data for fit_diagnostic (not for display)
    extra["per_person"] = pd.DataFrame(np.column_stack([a, lo, hi, x]),
                                       columns=["age", "entry", "right_truncation", *names])
    model = "Gompertz-Makeham" if makeham else "Gompertz"
    return GompertzWindowResult(table=table, method=f"{model} PH MLE conditional on the "
                                "death window", notes=notes, model=fit, extra=extra)


def _profile_table(profiles: pd.DataFrame, design_info: Any, e_of: Any, interval: Any,
                   at_age: float) -> pd.DataFrame:
    import patsy

    if len(profiles) == 0:
        raise ValueError("profiles is empty")
    try:
        xp = np.asarray(patsy.build_design_matrices([design_info], profiles)[0])[:, 1:]
    except patsy.PatsyError as exc:
        raise ValueError(f"cannot build the design of profiles: {exc}") from exc
    if len(xp) != len(profiles):
        raise ValueError("profiles have missing values")
    e, e_lo, e_hi = interval(lambda p: e_of(p, xp))
    d, d_lo, d_hi = interval(lambda p: e_of(p, xp) - e_of(p, xp[:1]))
    return pd.DataFrame({
        "profile": profiles.index.astype(str), f"e{at_age:g}": e, "lower": e_lo,
        "upper": e_hi, "diff_vs_first": d, "diff_lower": d_lo, "diff_upper": d_hi,
    })
