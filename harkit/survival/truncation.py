"""Truncation-aware nonparametric estimators for a decedents-only register.

A person enters Helsearkivregisteret only if their death falls inside the archive window, so
age at death ``x`` is seen only when ``u <= x <= v``, with ``u`` the age at which the person
could first be seen dying (window start, or later entry) and ``v`` the age at the window end.
The nonparametric maximum likelihood estimator (NPMLE) of the distribution of ``x`` under this
double truncation is computed here by the Efron-Petrosian (1999) / Shen (2010) fixed-point
iteration; when one side is open it has the Lynden-Bell (1971) closed form.

References
----------
Efron B, Petrosian V (1999). Nonparametric methods for doubly truncated data. JASA 94:824-834.
Shen P-S (2010). Nonparametric analysis of doubly truncated data. Ann Inst Stat Math 62:835-853.
Lynden-Bell D (1971). A method of allowing for known observational selection in small samples
applied to 3CR quasars. MNRAS 155:95-118.
Xiao J, Hudgens MG (2019). On nonparametric maximum likelihood estimation with double
truncation. Biometrika 106:989-996.
Moreira C, de Una-Alvarez J (2010). Bootstrapping the NPMLE for doubly truncated data.
J Nonparametr Stat 22:567-583.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from harkit import _disclosure as dc
from harkit import privacy
from harkit.plot import axes as _axes
from harkit.results import Result

__all__ = ["EfronPetrosianResult", "TruncationWarning", "efron_petrosian"]


class TruncationWarning(UserWarning):
    """The NPMLE under truncation may not exist, be unique, or be well determined."""


@dataclass
class _Fit:
    z: np.ndarray          # sorted unique x
    counts: np.ndarray     # observations at each z
    f: np.ndarray          # mass at each z
    n_iter: int
    converged: bool
    algorithm: str


# ----------------------------------------------------------------------------- core

def _validate(x: Any, u: Any, v: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float).ravel()
    u = np.broadcast_to(np.asarray(u, dtype=float), x.shape).astype(float)
    v = np.broadcast_to(np.asarray(v, dtype=float), x.shape).astype(float)
    if x.size == 0:
        raise ValueError("efron_petrosian: no observations (x is empty)")
    for name, a in (("x", x), ("u", u), ("v", v)):
        bad = np.isnan(a)
        if bad.any():
            raise ValueError(f"efron_petrosian: {int(bad.sum())} missing value(s) in {name} "
                             f"(first at position {int(np.flatnonzero(bad)[0])}); drop or "
                             "impute them first")
    if not np.isfinite(x).all():
        raise ValueError("efron_petrosian: x must be finite")
    out = (x < u) | (x > v)
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise ValueError(f"efron_petrosian: {int(out.sum())} observation(s) lie outside their "
                         f"own truncation window u <= x <= v (first at position {i}: "
                         f"u={u[i]}, x={x[i]}, v={v[i]})")
    return x, u, v


def _arrays(x: Any, u: Any, v: Any, exit: str | None, entry: str | None,
            right_truncation: str | None) -> tuple[Any, Any, Any]:
    """The (x, u, v) arrays from a DataFrame and column names, or as given."""
    if not isinstance(x, pd.DataFrame):
        if u is None or v is None:
            raise TypeError("efron_petrosian: give a DataFrame with exit=, entry=, "
                            "right_truncation=, or the arrays x, u, v")
        return x, u, v
    if exit is None:
        raise TypeError("efron_petrosian: with a DataFrame, name its event-time column (exit=)")
    if u is not None or v is not None:
        raise TypeError("efron_petrosian: with a DataFrame, name the truncation columns "
                        "(entry=, right_truncation=) instead of passing u, v")
    cols = [c for c in (exit, entry, right_truncation) if c is not None]
    missing = [c for c in cols if c not in x.columns]
    if missing:
        raise KeyError(f"efron_petrosian: column(s) not in df: {missing}")
    lo = x[entry].to_numpy(float) if entry is not None else -np.inf
    hi = x[right_truncation].to_numpy(float) if right_truncation is not None else np.inf
    return x[exit].to_numpy(float), lo, hi


def _index(x: np.ndarray, u: np.ndarray, v: np.ndarray):
    """Unique x, counts, and per-observation window index ranges ``[lo, hi)`` on it."""
    z, xi, counts = np.unique(x, return_inverse=True, return_counts=True)
    lo = np.searchsorted(z, u, side="left")
    hi = np.searchsorted(z, v, side="right")
    return z, xi, counts.astype(float), lo, hi


def _compress(lo: np.ndarray, hi: np.ndarray, m: int):
    """Collapse identical windows: unique (lo, hi) pairs with multiplicities."""
    key = lo.astype(np.int64) * (m + 1) + hi
    keys, mult = np.unique(key, return_counts=True)
    return keys // (m + 1), keys % (m + 1), mult.astype(float)


def _ep_map(f: np.ndarray, counts: np.ndarray, lo: np.ndarray, hi: np.ndarray,
            mult: np.ndarray) -> np.ndarray:
    """One Efron-Petrosian self-consistency step: ``f_j <- c_j / sum_i J_ij / F_i``."""
    m = f.size
    cum = np.concatenate(([0.0], np.cumsum(f)))
    big_f = cum[hi] - cum[lo]                       # probability of each window
    w = mult / np.maximum(big_f, 1e-300)
    k = np.cumsum(np.bincount(lo, weights=w, minlength=m + 1)
                  - np.bincount(hi, weights=w, minlength=m + 1))[:m]
    new = counts / np.maximum(k, 1e-300)
    return new / new.sum()


def _ep_iterate(counts, lo, hi, tol, max_iter) -> tuple[np.ndarray, int, bool]:
    """Efron-Petrosian fixed point, accelerated by SQUAREM (Varadhan & Roland 2008)."""
    m = counts.size
    lo_c, hi_c, mult = _compress(lo, hi, m)
    f = counts / counts.sum()
    n_iter = 0
    while n_iter < max_iter:
        f1 = _ep_map(f, counts, lo_c, hi_c, mult)
        f2 = _ep_map(f1, counts, lo_c, hi_c, mult)
        n_iter += 2
        r, q = f1 - f, f2 - 2 * f1 + f
        nq = np.sqrt(np.dot(q, q))
        if nq > 0:
            alpha = min(-np.sqrt(np.dot(r, r)) / nq, -1.0)
            fa = f - 2 * alpha * r + alpha * alpha * q
            if (fa > 0).all():
                f_new = _ep_map(fa / fa.sum(), counts, lo_c, hi_c, mult)
                n_iter += 1
            else:
                f_new = f2
        else:
            f_new = f2
        if np.max(np.abs(f_new - f)) < tol:
            # confirm with a plain step, so the stopping rule is that of DTDA
            f_chk = _ep_map(f_new, counts, lo_c, hi_c, mult)
            n_iter += 1
            if np.max(np.abs(f_chk - f_new)) < tol:
                return f_chk, n_iter, True
            f_new = f_chk
        f = f_new
    return f, n_iter, False


def _lynden_bell(counts, xi, lo, hi, side: str) -> np.ndarray:
    """Lynden-Bell product-limit masses for one-sided truncation."""
    m = counts.size
    if side == "left":      # windows [u, inf): risk set #{u_i <= z_j <= x_i}
        r = np.cumsum(np.bincount(lo, minlength=m + 1) - np.bincount(xi + 1, minlength=m + 1))
        h = counts / r[:m]
        s = np.cumprod(1.0 - h)
        s_prev = np.concatenate(([1.0], s[:-1]))
        return s_prev * h
    # windows (-inf, v]: reverse time, risk set #{x_i <= z_j <= v_i}
    r = np.cumsum(np.bincount(xi, minlength=m + 1) - np.bincount(hi, minlength=m + 1))
    h = counts / r[:m]
    # F(z_j) = prod_{k > j} (1 - h_k)
    tail = np.cumprod((1.0 - h)[::-1])[::-1]
    big_f = np.concatenate((tail[1:], [1.0]))
    return np.diff(np.concatenate(([0.0], big_f)))


def _fit(x, u, v, tol, max_iter) -> tuple[_Fit, np.ndarray, np.ndarray, np.ndarray]:
    z, xi, counts, lo, hi = _index(x, u, v)
    if np.isposinf(v).all() and np.isneginf(u).all():
        f, n_iter, conv, alg = counts / counts.sum(), 0, True, "empirical (no truncation)"
    elif np.isposinf(v).all():
        f, n_iter, conv, alg = (_lynden_bell(counts, xi, lo, hi, "left"), 0, True,
                                "Lynden-Bell (left truncation)")
    elif np.isneginf(u).all():
        f, n_iter, conv, alg = (_lynden_bell(counts, xi, lo, hi, "right"), 0, True,
                                "Lynden-Bell (right truncation)")
    else:
        f, n_iter, conv = _ep_iterate(counts, lo, hi, tol, max_iter)
        alg = "Efron-Petrosian"
    return _Fit(z, counts, f, n_iter, conv, alg), xi, lo, hi


def _strong_components(xi: np.ndarray, lo: np.ndarray, hi: np.ndarray, m: int) -> np.ndarray:
    """Strongly connected components of the graph ``j -> k`` when ``z_k`` is in a window of an
    observation at ``z_j`` (Xiao & Hudgens 2019); component label per unique x.

    The edges to index ranges go through a segment tree, so the graph has O(m log m) edges.
    """
    if m == 1:
        return np.zeros(1, dtype=int)
    lo_n = np.full(m, m, dtype=np.int64)
    hi_n = np.zeros(m, dtype=np.int64)
    np.minimum.at(lo_n, xi, lo)
    np.maximum.at(hi_n, xi, hi)
    p = 1 << int(np.ceil(np.log2(m)))
    src, dst = [], []
    internal = np.arange(1, p)
    src += [internal, internal]
    dst += [2 * internal, 2 * internal + 1]
    node = np.arange(m) + p
    left, right = lo_n + p, hi_n + p
    while True:
        act = left < right
        if not act.any():
            break
        a = act & (left & 1 == 1)
        src.append(node[a])
        dst.append(left[a])
        left = np.where(a, left + 1, left)
        b = act & (right & 1 == 1)
        right = np.where(b, right - 1, right)
        src.append(node[b])
        dst.append(right[b])
        left, right = left >> 1, right >> 1
    s, d = np.concatenate(src), np.concatenate(dst)
    g = sparse.csr_matrix((np.ones(s.size, dtype=np.int8), (s, d)), shape=(2 * p, 2 * p))
    _, labels = connected_components(g, directed=True, connection="strong")
    return labels[p:p + m]


def _eval_cdf(z_fit: np.ndarray, f_fit: np.ndarray, t: np.ndarray) -> np.ndarray:
    cum = np.concatenate(([0.0], np.cumsum(f_fit)))
    return cum[np.searchsorted(z_fit, t, side="right")]


def _mean(z: np.ndarray, f: np.ndarray) -> float:
    return float(np.dot(z, f))


def _quantile(z: np.ndarray, f: np.ndarray, p: float) -> float:
    cum = np.cumsum(f)
    j = int(np.searchsorted(cum, p - 1e-12, side="left"))
    return float(z[min(j, z.size - 1)])


# ----------------------------------------------------------------------------- results

@dataclass
class EfronPetrosianResult(Result):
    """NPMLE of a distribution under (double) truncation.

    ``table`` has one row per distinct observed value: ``x``, ``n`` (observations at x),
    ``mass`` (probability at x), ``cdf`` (``F(x) = P(X <= x)``), ``survival`` (``1 - F``)
    and, when bootstrapped, ``cdf_lower``, ``cdf_upper``, ``survival_lower``,
    ``survival_upper``. ``extra`` holds ``algorithm``,
    ``n_iter``, ``converged``, ``n_components`` (strongly connected components of the data
    graph; 1 when the NPMLE exists and is unique) and, when bootstrapped, ``bootstrap`` (a
    DataFrame of the mean and median per replicate).
    """

    conf: float = 0.95
    _z: np.ndarray = field(default=None, repr=False)
    _f: np.ndarray = field(default=None, repr=False)
    #: What :meth:`plot` draws: the exact step function, without its tails of fewer than
    #: the threshold observations when the result is suppressed.
    curve: pd.DataFrame | None = field(default=None, repr=False)

    def cdf(self, t: Any) -> np.ndarray:
        """Estimated distribution function at ``t``.

        Parameters
        ----------
        t : array_like
            Points.

        Returns
        -------
        numpy.ndarray
            ``F(t) = P(X <= t)``.
        """
        return _eval_cdf(self._z, self._f, np.asarray(t, dtype=float))

    def mean(self) -> float:
        """Mean of the estimated distribution (on the support the data identify).

        Returns
        -------
        float
        """
        return _mean(self._z, self._f)

    def quantile(self, p: float) -> float:
        """Smallest observed value with ``F >= p``.

        Parameters
        ----------
        p : float
            Probability in (0, 1].

        Returns
        -------
        float
        """
        if not 0 < p <= 1:
            raise ValueError(f"quantile: p must be in (0, 1], got {p}")
        return _quantile(self._z, self._f, p)

    def plot(self, ax: Any = None, *, survival: bool = False, label: str | None = None,
             **kwargs: Any) -> Any:
        """Step plot of F (or S) with the bootstrap band when there is one.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        survival : bool
            Plot S = 1 - F instead of F.
        label : str, optional
            Legend label.
        **kwargs
            Passed to ``Axes.step``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = _axes(ax)
        col = "survival" if survival else "cdf"
        t = self.table if self.curve is None else self.curve
        line = ax.step(t["x"], t[col], where="post", label=label or self.method, **kwargs)[0]
        if f"{col}_lower" in t:
            ax.fill_between(t["x"], t[f"{col}_lower"], t[f"{col}_upper"], step="post",
                            alpha=0.25, color=line.get_color(), linewidth=0)
        ax.set_xlabel("x")
        ax.set_ylabel("S(x)" if survival else "F(x)")
        ax.set_ylim(-0.02, 1.02)
        return ax


def efron_petrosian(
    x: pd.DataFrame | Sequence[float] | np.ndarray | pd.Series,
    u: Sequence[float] | np.ndarray | pd.Series | float | None = None,
    v: Sequence[float] | np.ndarray | pd.Series | float | None = None,
    *,
    exit: str | None = None,
    entry: str | None = None,
    right_truncation: str | None = None,
    bootstrap: int = 0,
    seed: int | np.random.Generator | None = None,
    conf: float = 0.95,
    tol: float = 1e-10,
    max_iter: int = 10_000,
    progress: bool = True,
    suppress: bool = True,
    threshold: int | None = None,
    grid: Sequence[float] | None = None,
) -> EfronPetrosianResult:
    """NPMLE of the distribution of ``x`` observed only when ``u <= x <= v``.

    Uses the Efron-Petrosian (1999) self-consistency iteration, which has the same fixed point
    as Shen's (2010) alternating algorithm, vectorised over the sorted unique values of ``x``
    (cumulative sums and index ranges, O(n) per step) and accelerated by SQUAREM. Ties in
    ``x`` put mass on the unique value with its count. When every ``v`` is ``+inf`` (left
    truncation only) or every ``u`` is ``-inf`` (right truncation only) the Lynden-Bell
    product-limit closed form is used instead.

    Call it like the other survival functions, with a DataFrame and column names
    (``efron_petrosian(cohort, exit="age_at_death", entry="entry_age",
    right_truncation="exit_age")``), or with arrays (``efron_petrosian(x, u, v)``).

    Parameters
    ----------
    x : pandas.DataFrame or array_like
        A DataFrame with the columns named by ``exit``, ``entry``, ``right_truncation``;
        or the observed values (e.g. age at death) as an array.
    u, v : array_like or float, optional
        With arrays: lower and upper truncation limits per observation (scalars broadcast).
        ``-inf`` / ``+inf`` mark an open side.
    exit : str, optional
        With a DataFrame: column of the observed event time (e.g. ``age_at_death``).
    entry : str, optional
        With a DataFrame: column of the earliest time at which the event could be seen
        (left truncation, e.g. ``entry_age``); open (``-inf``) when None.
    right_truncation : str, optional
        With a DataFrame: column of the latest time at which the event could still be seen
        (e.g. the age at the archive window's end, ``exit_age``); open (``+inf``) when
        None.
    bootstrap : int
        Number of simple bootstrap resamples (Moreira & de Una-Alvarez 2010) for percentile
        confidence bands; 0 for none. DTDA's default is 500.
    seed : int or numpy.random.Generator, optional
        Randomness of the bootstrap.
    conf : float
        Confidence level of the bootstrap intervals.
    tol : float
        Stop when the largest change of a mass in one plain step is below ``tol`` (DTDA uses
        1e-6).
    max_iter : int
        Maximum number of fixed-point steps.
    progress : bool
        Show a tqdm progress bar during the bootstrap.
    suppress : bool, default True
        Disclosure control (:mod:`harkit.privacy`): every distinct ``x`` is an exact value
        of one or a few persons (an age at death), so ``table`` gives the estimate at the
        values of ``grid`` only, with the observations since the previous shown value
        through the policy (as :func:`harkit.survival.at_risk_table`); the estimate is
        left out where fewer than ``threshold`` observations lie at or below, or above,
        the value; notes give the identified range in whole units; the plot leaves out
        those tails. ``False`` gives the exact table at every distinct value.
    threshold : int, optional
        Smallest count shown; default the policy in force.
    grid : sequence of float, optional
        Values of the shown table; about eight round values over the range when None.

    Returns
    -------
    EfronPetrosianResult
        With ``suppress=False``, ``table`` has ``x``, ``n``, ``mass``, ``cdf``,
        ``survival`` (+ CI columns when bootstrapped) at every distinct value; with
        ``suppress=True``, ``x``, ``n_interval`` (text), ``cdf``, ``survival`` (+ CI
        columns) at the ``grid`` values.
        ``cdf``, ``mean`` and ``quantile`` use the exact estimate either way.

    Raises
    ------
    ValueError
        Empty input, missing values, or an observation outside its own window.

    Warns
    -----
    TruncationWarning
        When the data graph is not strongly connected (the NPMLE does not exist or is not
        unique; Xiao & Hudgens 2019), when all values are tied, or when the iteration did not
        converge.

    Notes
    -----
    F is identified only on the range the truncation windows reach: the estimate is the
    distribution conditional on ``min(x) <= X <= max(x)`` at best.

    Examples
    --------
    >>> x = [0.75, 1.25, 1.50, 1.05, 2.40, 2.50, 2.25]
    >>> u = [0.4, 0.8, 0.0, 0.3, 1.1, 2.3, 1.3]
    >>> v = [2.0, 1.8, 2.3, 1.4, 3.0, 3.4, 2.6]
    >>> res = efron_petrosian(x, u, v, suppress=False)
    >>> res.table["cdf"].round(5).tolist()[:2]
    [0.13713, 0.22766]
    """
    x, u, v = _validate(*_arrays(x, u, v, exit, entry, right_truncation))
    if not 0 < conf < 1:
        raise ValueError(f"conf must be in (0, 1), got {conf}")
    fit, xi, lo, hi = _fit(x, u, v, tol, max_iter)
    m = fit.z.size
    first, last = ((f"{np.floor(fit.z[0]):g}", f"{np.ceil(fit.z[-1]):g} (whole units)")
                   if suppress else (f"{fit.z[0]:.4g}", f"{fit.z[-1]:.4g}"))
    notes = [
        "NPMLE under truncation: each observation counts relative to the probability of its "
        "own window u <= x <= v, so values seen only through narrow windows get more mass. "
        f"F is identified only on the range the windows reach, from {first} to {last}.",
    ]

    def count(k: int) -> str:
        return dc.count_text(k, threshold) if suppress else str(k)

    labels = _strong_components(xi, lo, hi, m)
    n_comp = int(np.unique(labels).size)
    if m == 1:
        msg = ("all observed values are tied: the NPMLE is a point mass and says nothing about "
               "the shape of the distribution")
        warnings.warn(msg, TruncationWarning, stacklevel=2)
        notes.append(msg)
    elif n_comp > 1:
        main = np.bincount(labels).argmax()
        n_off = int(np.isin(xi, np.flatnonzero(labels != main)).sum())
        msg = (f"the data graph is not strongly connected ({n_comp} components; "
               f"{count(n_off)} of {count(x.size)} observations outside the largest): some "
               "windows reach no other "
               "observation or the data split into groups no window bridges, so the NPMLE "
               "does not exist or is not unique (Xiao & Hudgens 2019). Masses of some "
               "points drift to 0; read the estimate with care, or widen or pool the windows")
        warnings.warn(msg, TruncationWarning, stacklevel=2)
        notes.append(msg)
    if not fit.converged:
        msg = (f"the Efron-Petrosian iteration did not converge in {max_iter} steps "
               f"(tol={tol}); raise max_iter or tol")
        warnings.warn(msg, TruncationWarning, stacklevel=2)
        notes.append(msg)
    big_f = np.minimum(np.cumsum(fit.f), 1.0)
    table = pd.DataFrame({"x": fit.z, "n": fit.counts.astype(np.int64), "mass": fit.f,
                          "cdf": big_f, "survival": 1.0 - big_f})
    extra: dict[str, Any] = {"algorithm": fit.algorithm, "n_iter": fit.n_iter,
                             "converged": fit.converged, "n_components": n_comp}
    if bootstrap:
        table, extra["bootstrap"], n_fail = _bootstrap(x, u, v, fit, table, int(bootstrap),
                                                       seed, conf, tol, max_iter, progress)
        notes.append(f"{conf:.0%} percentile bootstrap band from {bootstrap} simple "
                     "resamples of (u, x, v) (Moreira & de Una-Alvarez 2010).")
        if n_fail:
            msg = (f"{n_fail} of {bootstrap} bootstrap fits did not converge, usually because "
                   "the resample's data graph is not connected (too few observations, or "
                   "narrow windows); the band is unreliable")
            warnings.warn(msg, TruncationWarning, stacklevel=2)
            notes.append(msg)
    method = f"{fit.algorithm} NPMLE under truncation (n={count(x.size)}" + (
        ")" if suppress else f", {m} distinct values)")
    curve = None
    if suppress:
        curve = _tails_left_out(table, dc.threshold_for(threshold))
        table = _grid_table(table, x, grid, threshold)
        notes.append(dc.policy_note(threshold, extra=(
            "The table gives the estimate at a grid of values, not at each observed value.")))
    return EfronPetrosianResult(table=table, method=method, notes=notes, model=None,
                                extra=extra, conf=conf, _z=fit.z, _f=fit.f, curve=curve)


def _tails_left_out(table: pd.DataFrame, thr: int) -> pd.DataFrame:
    """The exact step function without the values of its first and last ``thr - 1``
    observations (each a person's exact value)."""
    below = np.cumsum(table["n"].to_numpy())
    above = below[-1] - below + table["n"].to_numpy()
    return table.loc[(below >= thr) & (above >= thr)].drop(columns=["n", "mass"])


def _grid_table(table: pd.DataFrame, x: np.ndarray, grid: Sequence[float] | None,
                threshold: int | None) -> pd.DataFrame:
    """The estimate at round values, with the observations since the previous shown value.

    A value shows its numbers when the count since the previous shown value is 0 or at
    least the threshold, and its estimate when at least the threshold observations lie at
    or below it and above it (else the step sizes give single persons away).
    """
    from matplotlib.ticker import MaxNLocator

    thr = dc.threshold_for(threshold)
    lo, hi = float(x.min()), float(x.max())
    g = np.asarray(grid if grid is not None else MaxNLocator(nbins=8).tick_values(lo, hi),
                   float)
    xs = np.sort(x)
    at_or_below = np.searchsorted(xs, g, side="right")
    est_cols = [c for c in table.columns if c.startswith(("cdf", "survival"))]
    pos = np.searchsorted(table["x"].to_numpy(), g, side="right") - 1
    rows, last = [], 0
    for i, gi in enumerate(g):
        since = at_or_below[i] - last
        kept = since == 0 or since >= thr
        tail = min(at_or_below[i], xs.size - at_or_below[i])
        ok = kept and (tail >= thr or at_or_below[i] in (0, xs.size))
        row = {"x": gi, "n_interval": int(since), "kept": kept}
        for c in est_cols:
            before = 0.0 if c.startswith("cdf") else 1.0
            val = table[c].to_numpy()[max(pos[i], 0)] if pos[i] >= 0 else before
            row[c] = val if ok else np.nan
        rows.append(row)
        if kept:
            last = at_or_below[i]
    out = pd.DataFrame(rows)
    shown = privacy.suppress(out, ["n_interval"], threshold=threshold)
    shown["n_interval"] = shown["n_interval"].astype(object)
    shown.loc[~out["kept"].to_numpy(bool), "n_interval"] = "*"
    return shown.drop(columns="kept")


def _bootstrap(x, u, v, fit, table, n_boot, seed, conf, tol, max_iter, progress):
    from tqdm.auto import tqdm

    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = x.size
    curves = np.empty((n_boot, fit.z.size))
    means, medians = np.empty(n_boot), np.empty(n_boot)
    n_fail = 0
    for b in tqdm(range(n_boot), desc="bootstrap", disable=not progress):
        idx = rng.integers(0, n, n)
        bf, _, _, _ = _fit(x[idx], u[idx], v[idx], tol, max_iter)
        n_fail += not bf.converged
        curves[b] = _eval_cdf(bf.z, bf.f, fit.z)
        means[b], medians[b] = _mean(bf.z, bf.f), _quantile(bf.z, bf.f, 0.5)
    a = (1 - conf) / 2
    lo_q, hi_q = np.quantile(curves, [a, 1 - a], axis=0)
    table = table.assign(cdf_lower=np.minimum(lo_q, 1.0), cdf_upper=np.minimum(hi_q, 1.0))
    table["survival_lower"] = 1.0 - table["cdf_upper"]
    table["survival_upper"] = 1.0 - table["cdf_lower"]
    boot = pd.DataFrame({"mean": means, "median": medians})
    return table, boot, n_fail
