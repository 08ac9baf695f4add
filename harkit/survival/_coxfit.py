"""Cox partial likelihood for counting-process data: Efron or Breslow ties, strata, clusters.

One engine for the three data shapes of :func:`harkit.survival.cox`: one row per person,
delayed entry, and start/stop rows with time-varying covariates (R's
``Surv(start, stop, event)``). lifelines offers Efron ties only, and its time-varying
fitter no stratified cluster-robust variance, so the partial likelihood is maximised here
by Newton-Raphson, as R's ``coxph`` does, and the robust variance is the sandwich of the
score residuals summed within clusters (Lin & Wei 1989; R's ``cluster()``).

A row is at risk at an event time *t* when ``entry < t <= exit``. With ``d`` tied events
at *t* (sum of the risk scores of the tied rows ``A``, of the risk set ``S``), Efron's
approximation replaces the denominator ``S`` by ``S - (l/d) A`` for ``l = 0..d-1``;
Breslow's keeps ``S`` for all ``d``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

TIES = ("efron", "breslow")


@dataclass
class CoxFit:
    """A fitted Cox model: estimates, variances and log partial likelihoods.

    Attributes
    ----------
    names : list of str
        Covariate (design column) names.
    coef : numpy.ndarray
        Log hazard ratios.
    var : numpy.ndarray
        Model-based variance (inverse information).
    robust_var : numpy.ndarray or None
        Sandwich variance summed within clusters; None when not asked for.
    loglik_null, loglik : float
        Log partial likelihood at 0 and at the estimate.
    n_iter : int
        Newton-Raphson iterations.
    ties : str
        ``"efron"`` or ``"breslow"``.
    """

    names: list[str]
    coef: np.ndarray
    var: np.ndarray
    robust_var: np.ndarray | None
    loglik_null: float
    loglik: float
    n_iter: int
    ties: str


class _Stratum:
    """Index arrays of one stratum, computed once for all iterations."""

    def __init__(self, entry: np.ndarray, exit_: np.ndarray, event: np.ndarray) -> None:
        self.times = np.unique(exit_[event == 1])
        m = self.times.size
        # risk set at times[j]: exit >= t_j minus entry >= t_j
        self.exit_pos = np.searchsorted(self.times, exit_, side="right")   # exit >= t_j: j < pos
        self.entry_pos = np.searchsorted(self.times, entry, side="right")  # entry >= t_j: j < pos
        ev = event == 1
        self.ev_rows = np.flatnonzero(ev)
        self.ev_time = np.searchsorted(self.times, exit_[ev])
        self.d = np.bincount(self.ev_time, minlength=m).astype(float)
        self.m = m

    def _at_times(self, vals: np.ndarray) -> np.ndarray:
        """sum over rows at risk at each event time of ``vals`` (rows x k)."""
        k = vals.shape[1]
        add = np.zeros((self.m + 1, k))
        np.add.at(add, self.exit_pos, vals)
        sub = np.zeros((self.m + 1, k))
        np.add.at(sub, self.entry_pos, vals)
        # rows with exit_pos > j have exit >= t_j: reverse cumulative sums
        return (np.cumsum(add[::-1], axis=0)[::-1] - np.cumsum(sub[::-1], axis=0)[::-1])[1:]

    def _tied(self, vals: np.ndarray) -> np.ndarray:
        k = vals.shape[1]
        out = np.zeros((self.m, k))
        np.add.at(out, self.ev_time, vals[self.ev_rows])
        return out


def _levels(st: _Stratum, ties: str) -> tuple[np.ndarray, np.ndarray]:
    """For every event (ordered by its time), its time index and Efron fraction l/d."""
    j = np.repeat(np.arange(st.m), st.d.astype(int))
    first = np.concatenate([[0], np.cumsum(st.d.astype(int))[:-1]])
    pos = np.arange(j.size) - first[j]
    frac = pos / st.d[j] if ties == "efron" else np.zeros(j.size)
    return j, frac


def _stratum_terms(x: np.ndarray, beta: np.ndarray, st: _Stratum, ties: str,
                   scores: bool = False):
    """Log-likelihood, gradient, information (and per-row score residuals) of one stratum."""
    p = x.shape[1]
    eta = x @ beta
    # the partial likelihood is unchanged by a constant added to a stratum's eta: shift it
    # so that exp() cannot overflow
    eta = eta - eta.max() if len(eta) else eta
    r = np.exp(eta)
    xr = x * r[:, None]
    xxr = (x[:, :, None] * x[:, None, :] * r[:, None, None]).reshape(len(r), p * p)
    s0 = st._at_times(r[:, None])[:, 0]
    s1 = st._at_times(xr)
    s2 = st._at_times(xxr).reshape(st.m, p, p)
    a0 = st._tied(r[:, None])[:, 0]
    a1 = st._tied(xr)
    a2 = st._tied(xxr).reshape(st.m, p, p)
    j, frac = _levels(st, ties)
    den = s0[j] - frac * a0[j]
    xbar = (s1[j] - frac[:, None] * a1[j]) / den[:, None]
    x2bar = (s2[j] - frac[:, None, None] * a2[j]) / den[:, None, None]
    ll = eta[st.ev_rows].sum() - np.log(den).sum()
    grad = x[st.ev_rows].sum(axis=0) - xbar.sum(axis=0)
    info = (x2bar - xbar[:, :, None] * xbar[:, None, :]).sum(axis=0)
    if not scores:
        return ll, grad, info, None
    # score residuals (R's residuals(type="score")): event term minus risk terms
    h = 1.0 / den
    m = st.m
    hsum = np.bincount(j, weights=h, minlength=m)
    hx = np.zeros((m, p))
    np.add.at(hx, j, h[:, None] * xbar)
    # for the tied events themselves Efron down-weights level l by (1 - l/d)
    w_own = 1.0 - frac
    hsum_own = np.bincount(j, weights=w_own * h, minlength=m)
    hx_own = np.zeros((m, p))
    np.add.at(hx_own, j, (w_own * h)[:, None] * xbar)
    xbar_mean = np.zeros((m, p))
    np.add.at(xbar_mean, j, xbar)
    xbar_mean /= np.maximum(st.d, 1)[:, None]
    cum_h = np.concatenate([[0.0], np.cumsum(hsum)])
    cum_hx = np.vstack([np.zeros((1, p)), np.cumsum(hx, axis=0)])
    # a row is at risk at event times j with entry_pos <= j < exit_pos
    lo, hi = st.entry_pos, st.exit_pos
    sum_h = cum_h[hi] - cum_h[lo]
    sum_hx = cum_hx[hi] - cum_hx[lo]
    ev, jt = st.ev_rows, st.ev_time
    sum_h[ev] += hsum_own[jt] - hsum[jt]
    sum_hx[ev] += hx_own[jt] - hx[jt]
    resid = -r[:, None] * (x * sum_h[:, None] - sum_hx)
    resid[ev] += x[ev] - xbar_mean[jt]
    return ll, grad, info, resid


def fit_cox(x: np.ndarray, entry: np.ndarray, exit_: np.ndarray, event: np.ndarray,
            strata: np.ndarray | None = None, cluster: np.ndarray | None = None, *,
            ties: str = "efron", robust: bool = False, names: list[str] | None = None,
            tol: float = 1e-12, max_iter: int = 50) -> CoxFit:
    """Maximise the Cox partial likelihood by Newton-Raphson with step halving.

    Parameters
    ----------
    x : numpy.ndarray
        Design matrix (rows x covariates), no intercept.
    entry, exit_, event : numpy.ndarray
        Interval ``(entry, exit]`` of each row and its event indicator (0/1).
    strata : numpy.ndarray, optional
        Stratum label of each row (a separate baseline hazard per stratum).
    cluster : numpy.ndarray, optional
        Cluster label of each row; implies ``robust``.
    ties : {"efron", "breslow"}
        Approximation for tied event times.
    robust : bool, default False
        Compute the sandwich variance (per row, or per cluster when given).
    names : list of str, optional
        Covariate names.
    tol : float
        Convergence: relative change of the log partial likelihood.
    max_iter : int
        Most Newton-Raphson iterations.

    Returns
    -------
    CoxFit

    Raises
    ------
    ValueError
        Unknown ties, or an information matrix that stays singular (collinear covariates).
    """
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}, not {ties!r}")
    x = np.asarray(x, float)
    p = x.shape[1]
    labels = np.zeros(len(x), int) if strata is None else np.unique(strata,
                                                                    return_inverse=True)[1]
    parts = []
    for k in np.unique(labels):
        rows = np.flatnonzero(labels == k)
        parts.append((rows, _Stratum(entry[rows], exit_[rows], event[rows])))

    def total(beta: np.ndarray, scores: bool = False):
        ll, g, info = 0.0, np.zeros(p), np.zeros((p, p))
        resid = np.zeros((len(x), p)) if scores else None
        for rows, st in parts:
            a, b, c, u = _stratum_terms(x[rows], beta, st, ties, scores)
            ll, g, info = ll + a, g + b, info + c
            if scores:
                resid[rows] = u
        return ll, g, info, resid

    beta = np.zeros(p)
    ll, g, info, _ = total(beta)
    ll0 = ll
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter reported
        try:
            step = np.linalg.solve(info, g)
        except np.linalg.LinAlgError as err:
            raise ValueError("the Cox information matrix is singular: collinear or constant "
                             f"covariates among {names}") from err
        new = beta + step
        ll_new, g_new, info_new, _ = total(new)
        halvings = 0
        while not np.isfinite(ll_new) or ll_new < ll - 1e-10 * abs(ll):
            step /= 2
            new = beta + step
            ll_new, g_new, info_new, _ = total(new)
            halvings += 1
            if halvings > 30:
                break
        done = abs(ll_new - ll) <= tol * max(abs(ll), 1.0) and np.max(np.abs(step)) < 1e-8
        beta, ll, g, info = new, ll_new, g_new, info_new
        if done:
            break
    else:
        warnings.warn(f"Cox fit did not converge in {max_iter} iterations", stacklevel=3)
    var = np.linalg.inv(info)
    # R's coxph check: the score still moves a coefficient although the log-likelihood
    # has converged (monotone likelihood, e.g. no events in one group)
    infinite = np.abs(g @ var)
    infinite = (infinite > 1e-9) & (infinite > np.sqrt(np.finfo(float).eps) * np.abs(beta))
    # in floating point the score can be exactly 0 there; the information then is ~0, so
    # the standard error per standard deviation of the covariate explodes
    infinite |= np.sqrt(np.abs(np.diag(var))) * x.std(axis=0) > 100
    if infinite.any():
        which = [list(names)[i] if names is not None else f"x{i}"
                 for i in np.flatnonzero(infinite)]
        warnings.warn("the Cox log-likelihood converged before " + ", ".join(which)
                      + ": the coefficient may be infinite (monotone likelihood, e.g. no "
                      "events in one group)", stacklevel=3)
    robust_var = None
    if robust or cluster is not None:
        _, _, _, resid = total(beta, scores=True)
        if cluster is not None:
            codes = np.unique(cluster, return_inverse=True)[1]
            summed = np.zeros((codes.max() + 1, p))
            np.add.at(summed, codes, resid)
        else:
            summed = resid
        dfbeta = summed @ var
        robust_var = dfbeta.T @ dfbeta
    return CoxFit(names=list(names) if names is not None else [f"x{i}" for i in range(p)],
                  coef=beta, var=var, robust_var=robust_var, loglik_null=float(ll0),
                  loglik=float(ll), n_iter=n_iter, ties=ties)
