"""Kaplan-Meier, Cox and Aalen-Johansen curves with delayed entry (age as time scale).

Kaplan-Meier and Cox wrap lifelines' ``KaplanMeierFitter`` and ``CoxPHFitter`` with
``entry`` (left truncation). The Aalen-Johansen cumulative incidence by cause is computed
here with numpy because lifelines' ``AalenJohansenFitter`` jitters tied times at random:
all events at the same time are processed together and delayed entry enters the risk set.

Risk-set convention (as R's ``Surv(entry, exit, status)``): a person is at risk at time
*t* when ``entry < t <= exit``. These methods handle left truncation only: in a
decedents-only register they do not correct for the right truncation by the archive window
(use the truncation-aware estimators for that).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from harkit import _disclosure as dc
from harkit.plot import forest
from harkit.results import Result
from harkit.survival._shown import (
    _cif_grid,
    _counts_as_text,
    _km_grid,
    _plot_curve,
    _risk_counts,
    _shown_grid,
)

__all__ = [
    "KaplanMeierResult",
    "CoxResult",
    "CumulativeIncidenceResult",
    "at_risk_table",
    "kaplan_meier",
    "cox",
    "cumulative_incidence",
]

_ALL = "all"


def _exit_alias(exit: str | None, duration: str | None) -> str:
    """The exit-time column, accepting the former keyword ``duration``."""
    if exit is not None and duration is not None and exit != duration:
        raise TypeError("give the exit-time column once (exit=; duration= is its old name)")
    col = exit if exit is not None else duration
    if col is None:
        raise TypeError("the exit-time column is required (exit=)")
    return col

_LEFT_TRUNC_NOTE = (
    "Delayed entry (left truncation) is handled: a person is at risk from entry to exit. "
    "Right truncation by the archive window is not: in a decedents-only register these "
    "curves describe deaths inside the window, not a population's survival."
)


# ----------------------------------------------------------------------------- input


def _prepare(df: pd.DataFrame, duration: str, event: str, entry: str | None,
             by: str | None, *, event_kind: str) -> pd.DataFrame:
    """Validate and return columns ``_exit``, ``_event``, ``_entry``, ``_group``."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError("df must be a pandas DataFrame")
    if len(df) == 0:
        raise ValueError("df has no rows")
    cols = [c for c in (duration, event, entry, by) if c is not None]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"column(s) not in df: {missing}")
    out = pd.DataFrame(index=df.index)
    for name, col in (("_exit", duration), ("_entry", entry)):
        if col is None:
            out[name] = 0.0
            continue
        vals = pd.to_numeric(df[col], errors="coerce")
        n_bad = int(vals.isna().sum() - df[col].isna().sum())
        if n_bad:
            raise ValueError(f"column {col!r} has {n_bad} non-numeric value(s)")
        n_na = int(vals.isna().sum())
        if n_na:
            raise ValueError(f"column {col!r} has {n_na} missing value(s) (missing dates?); "
                             "drop or impute them first")
        if not np.isfinite(vals.to_numpy(float)).all():
            raise ValueError(f"column {col!r} has infinite value(s)")
        out[name] = vals.to_numpy(float)
    if df[event].isna().any():
        raise ValueError(f"column {event!r} has {int(df[event].isna().sum())} missing value(s)")
    if event_kind == "binary":
        ev = df[event]
        if ev.dtype == bool:
            out["_event"] = ev.to_numpy(int)
        else:
            vals = pd.to_numeric(ev, errors="coerce")
            if vals.isna().any() or not vals.isin([0, 1]).all():
                raise ValueError(f"column {event!r} must be 0/1 or boolean")
            out["_event"] = vals.to_numpy(int)
    else:
        out["_event"] = df[event].to_numpy()
    if entry is not None:
        bad = out["_entry"] > out["_exit"]
        if bad.any():
            raise ValueError(f"{int(bad.sum())} row(s) have {entry!r} > {duration!r}")
        same = out["_entry"] == out["_exit"]
        if same.any():
            warnings.warn(f"{int(same.sum())} row(s) with {entry!r} == {duration!r} are never at "
                          "risk and were dropped", UserWarning, stacklevel=3)
            out = out.loc[~same]
            if len(out) == 0:
                raise ValueError("no rows left after dropping zero-length intervals")
    if by is None:
        out["_group"] = _ALL
    else:
        if df[by].isna().any():
            raise ValueError(f"column {by!r} has {int(df[by].isna().sum())} missing value(s)")
        out["_group"] = df.loc[out.index, by]
    return out


def _groups(d: pd.DataFrame, df: pd.DataFrame, by: str | None) -> list[Any]:
    """Groups in order; warn about empty categories."""
    if by is None:
        return [_ALL]
    col = df[by]
    present = pd.unique(d["_group"])
    if isinstance(col.dtype, pd.CategoricalDtype):
        empty = [c for c in col.cat.categories if c not in set(present)]
        if empty:
            warnings.warn(f"group(s) {empty} of {by!r} have no rows and are left out",
                          UserWarning, stacklevel=3)
        return [c for c in col.cat.categories if c in set(present)]
    try:
        return sorted(present)
    except TypeError:
        return list(present)


def _check_gaps(entry: np.ndarray, exit_: np.ndarray, label: str) -> None:
    """Warn when the risk set empties between the first entry and the last exit."""
    order = np.argsort(entry, kind="stable")
    reach = np.maximum.accumulate(exit_[order])
    nxt = entry[order][1:]
    gap = np.nonzero(nxt >= reach[:-1])[0]
    if gap.size:
        a, b = reach[gap[0]], nxt[gap[0]]
        warnings.warn(f"{label}: nobody is at risk between {a:g} and {b:g}; the curve after "
                      f"{b:g} is conditional on reaching it and is not identified from "
                      "earlier data", UserWarning, stacklevel=4)


def _early_note(group: Any, times: np.ndarray, n_at_risk: np.ndarray,
                suppress: bool = False, threshold: int | None = None) -> list[str]:
    """A note when the risk set at the first event is small (curves can collapse).

    Under disclosure control the count goes through the policy and the exact time of the
    first event (an age at death) is left out.
    """
    if times.size == 0 or n_at_risk[0] >= 10:
        return []
    tail = ("under delayed entry early steps are large and the whole curve inherits them. "
            "Consider starting the time scale later.")
    if suppress:
        return [f"Group {group!r}: only {dc.count_text(n_at_risk[0], threshold)} at risk at "
                f"the first event; {tail}"]
    return [f"Group {group!r}: only {int(n_at_risk[0])} at risk at the first event "
            f"({times[0]:g}); {tail}"]


def _nice_times(lo: float, hi: float, n: int = 6) -> np.ndarray:
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(nbins=n).tick_values(lo, hi)
    return ticks[(ticks >= lo) & (ticks <= hi)]


def at_risk_table(df: pd.DataFrame, exit: str | None = None, event: str | None = None, *,
                  entry: str | None = None, by: str | None = None,
                  times: Sequence[float] | None = None, censor_value: Any = 0,
                  suppress: bool = True, threshold: int | None = None,
                  duration: str | None = None) -> pd.DataFrame:
    """Numbers at risk, with events and censored, at chosen times, by group.

    Correct under delayed entry: at risk at *t* are those with ``entry < t <= exit``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per person.
    exit : str
        Column of exit time (e.g. ``age_at_death``).
    event : str
        Column of the event indicator (0/1) or cause label; ``censor_value`` marks censoring.
    entry : str, optional
        Column of entry time (delayed entry); 0 for everybody when None.
    by : str, optional
        Grouping column.
    times : sequence of float, optional
        Times to report; about six round values over the observed range when None.
    censor_value : object, default 0
        Value of ``event`` meaning censored.
    suppress : bool, default True
        Show counts only through the disclosure-control policy (:mod:`harkit.privacy`):
        see Returns. ``False`` gives the exact cumulative counts.
    threshold : int, optional
        Smallest count shown; default the policy in force.
    duration : str, optional
        Former name of ``exit``, still accepted.

    Returns
    -------
    pandas.DataFrame
        With ``suppress=False``: ``group``, ``time``, ``at_risk``, ``entered`` (entry < t),
        ``events`` and ``censored`` (cumulative, exit <= t), exact.

        With ``suppress=True`` (the default): ``group``, ``time``, ``at_risk``,
        ``events_interval`` and ``censored_interval`` as text, the last two counted since
        the previous time whose numbers are shown. A time's numbers are shown only when
        the number at risk is 0 or at least ``threshold`` and every count since the
        previous shown time (events, censored, the change in the number at risk) is 0 or
        at least ``threshold``; otherwise all its counts show ``*``, so no small count can
        be worked out by subtraction. Shown counts are rounded as the policy says.
    """
    exit = _exit_alias(exit, duration)
    d = _prepare(df, exit, event, entry, by, event_kind="any")
    if times is None:
        times = _nice_times(float(d["_entry"].min()), float(d["_exit"].max()))
    t = np.asarray(times, float)
    raw, shown = [], []
    for g in _groups(d, df, by):
        s = d.loc[d["_group"] == g]
        en, ex = s["_entry"].to_numpy(), s["_exit"].to_numpy()
        is_ev = (s["_event"] != censor_value).to_numpy()
        if not suppress:
            raw.append(_cumulative_counts(g, en, ex, is_ev, t))
            continue
        grid = _shown_grid(en, ex, is_ev, None, t, dc.threshold_for(threshold))
        shown.append(grid.assign(group=g))
    if not suppress:
        return pd.concat(raw, ignore_index=True)
    out = pd.concat(shown, ignore_index=True)
    return _counts_as_text(out, ["at_risk", "events_interval", "censored_interval"],
                           threshold)[["group", "time", "at_risk", "events_interval",
                                       "censored_interval"]]


def _cumulative_counts(g: Any, en: np.ndarray, ex: np.ndarray, is_ev: np.ndarray,
                       t: np.ndarray) -> pd.DataFrame:
    """The exact at-risk table of one group (cumulative entries, events and censored)."""
    ex_ev, ex_c = np.sort(ex[is_ev]), np.sort(ex[~is_ev])
    return pd.DataFrame({
        "group": g, "time": t,
        "at_risk": _risk_counts(en, ex, t),
        "entered": np.searchsorted(np.sort(en), t, side="left"),
        "events": np.searchsorted(ex_ev, t, side="right"),
        "censored": np.searchsorted(ex_c, t, side="right"),
    })


# ----------------------------------------------------------------------------- plotting


def _draw_at_risk(ax: Any, at_risk: pd.DataFrame, colors: dict[Any, Any]) -> None:
    """Write the at-risk counts under the axes, one line per group, as the table shows them.

    The table is the result's ``extra["at_risk"]``: text through the disclosure-control
    policy by default, exact numbers only when the result was built with ``suppress=False``.
    """
    import matplotlib.transforms as mtransforms

    trans = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    groups = list(pd.unique(at_risk["group"]))
    ax.text(0.0, -0.16, "At risk", transform=ax.transAxes, ha="right", va="top",
            fontsize="small", fontweight="bold")
    for i, g in enumerate(groups):
        y = -0.16 - 0.07 * (i + 1)
        if len(groups) > 1:
            ax.text(-0.02, y, str(g), transform=ax.transAxes, ha="right", va="top",
                    fontsize="small", color=colors.get(g, "black"))
        rows = (at_risk["group"] == g).to_numpy()
        for t, n in zip(at_risk.loc[rows, "time"], at_risk.loc[rows, "at_risk"], strict=True):
            ax.text(t, y, str(n), transform=trans, ha="center", va="top",
                    fontsize="small", color=colors.get(g, "black"), gid="at_risk")
    ax.set_xticks(sorted(pd.unique(at_risk["time"])))


def _new_ax(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 5))
        ax.figure.subplots_adjust(bottom=0.32, left=0.15)
    return ax


def _plot_steps(ax: Any, table: pd.DataFrame, ycol: str, curve_cols: list[str],
                at_risk: pd.DataFrame, ylabel: str, xlabel: str) -> Any:
    colors: dict[Any, Any] = {}
    for key, sub in table.groupby(curve_cols, sort=False, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        label = " / ".join(str(k) for k in key if k != _ALL) or None
        (line,) = ax.step(sub["time"], sub[ycol], where="post", label=label)
        ax.fill_between(sub["time"], sub["ci_lower"], sub["ci_upper"], step="post",
                        alpha=0.2, color=line.get_color())
        colors.setdefault(key[0], line.get_color())
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    ax.set_ylim(0, 1.02)
    if ax.get_legend_handles_labels()[1]:
        ax.legend()
    if len(pd.unique(table[curve_cols[0]])) == 1 and len(curve_cols) > 1:
        colors = {}
    _draw_at_risk(ax, at_risk, colors)
    return ax


# ----------------------------------------------------------------------------- Kaplan-Meier


_GRID_NOTE = ("The table gives the estimate at a grid of times (at_risk_times), with the "
              "numbers at risk and the events and censorings since the previous shown time; "
              "exact event times (ages at death) and the sizes of small risk sets are not "
              "listed, and the plot leaves out steps with fewer than {thr} at risk.")


@dataclass(repr=False)
class KaplanMeierResult(Result):
    """Kaplan-Meier curves by group; ``model`` holds the lifelines fitters by group.

    ``curve`` is what :meth:`plot` draws: the step curve, without the steps taken with
    fewer than the threshold at risk when the result is suppressed.
    """

    curve: pd.DataFrame | None = field(default=None, repr=False)

    def plot(self, ax: Any = None) -> Any:
        """Draw survival curves with CI bands and the at-risk table under the axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = _new_ax(ax)
        curve = self.table if self.curve is None else self.curve
        return _plot_steps(ax, curve, "survival", ["group"], self.extra["at_risk"],
                           "Survival", self.extra.get("time_label", "time"))


CONF_TYPES = ("log", "log-log", "plain")


def _check_conf_type(conf_type: str) -> str:
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}, not {conf_type!r}")
    return conf_type


def _pointwise_ci(est: np.ndarray, se: np.ndarray, z: float,
                  conf_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise CI of a probability from its standard error (R ``survfit``'s ``conf.type``).

    ``"log"``: ``est * exp(+-z se / est)``; ``"log-log"``: on ``log(-log est)``;
    ``"plain"``: ``est +- z se``. Clipped to [0, 1]. As R, undefined (NaN) where the
    estimate is 0 (log, log-log) and where the standard error is undefined; an estimate
    of 1 with no variance has the interval [1, 1].
    """
    est = np.asarray(est, float)
    se = np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log":
            w = z * se / est
            lo, hi = est * np.exp(-w), est * np.exp(w)
        elif conf_type == "log-log":
            w = z * se / (est * np.abs(np.log(est)))
            lo = np.exp(-np.exp(np.log(-np.log(est)) + w))
            hi = np.exp(-np.exp(np.log(-np.log(est)) - w))
        else:
            lo, hi = est - z * se, est + z * se
    undefined = (est <= 0) if conf_type != "plain" else np.zeros(est.shape, bool)
    lo = np.where(undefined, np.nan, np.clip(lo, 0.0, 1.0))
    hi = np.where(undefined, np.nan, np.clip(hi, 0.0, 1.0))
    one = (est >= 1) & (se == 0)
    return np.where(one, 1.0, lo), np.where(one, 1.0, hi)


def _product_limit(entry: np.ndarray, exit_: np.ndarray, event: np.ndarray, z: float,
                   conf_type: str) -> pd.DataFrame:
    """Kaplan-Meier with delayed entry and Greenwood variance at every distinct exit time.

    ``S(t) = prod_{t_j <= t} (1 - d_j / n_j)`` with ``n_j = #{entry < t_j <= exit}``;
    Greenwood ``Var S(t) = S(t)^2 sum_{t_j <= t} d_j / (n_j (n_j - d_j))``. Computed here
    (not by lifelines) so that a curve that drops to 0, when everybody at risk dies, is a
    valid result: from there on ``S = 0`` and, as in R, its standard error and interval
    are undefined (NaN).
    """
    t = np.unique(exit_)
    n = _risk_counts(entry, exit_, t).astype(float)
    d = np.bincount(np.searchsorted(t, exit_[event == 1]), minlength=t.size).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(d > 0, 1.0 - d / n, 1.0))
        inc = np.where(d > 0, d / (n * (n - d)), 0.0)  # inf where everybody at risk dies
        g = np.cumsum(inc)
        var = np.where(np.isinf(g), np.nan, surv**2 * g)
    se = np.sqrt(var)
    lo, hi = _pointwise_ci(surv, se, z, conf_type)
    return pd.DataFrame({"time": t, "at_risk": n.astype(int), "events": d.astype(int),
                         "survival": surv, "se": se, "var_greenwood": var,
                         "ci_lower": lo, "ci_upper": hi})


def _km_exact(g: Any, s: pd.DataFrame, z: float, conf_type: str) -> pd.DataFrame:
    """The exact Kaplan-Meier table of one group: a start row, then each distinct exit."""
    body = _product_limit(s["_entry"].to_numpy(), s["_exit"].to_numpy(),
                          s["_event"].to_numpy(), z, conf_type)
    start = pd.DataFrame({"time": [float(s["_entry"].min())], "at_risk": [np.nan],
                          "events": [0], "survival": [1.0], "se": [0.0],
                          "var_greenwood": [0.0], "ci_lower": [1.0], "ci_upper": [1.0]})
    out = pd.concat([start, body], ignore_index=True)
    out.insert(0, "group", g)
    return out


def _lifelines_km(s: pd.DataFrame, label: str, alpha: float, delayed: bool) -> Any:
    """lifelines' fitter for users who want its methods; None where lifelines refuses."""
    from lifelines import KaplanMeierFitter

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return KaplanMeierFitter(alpha=alpha).fit(
                s["_exit"], s["_event"], entry=s["_entry"] if delayed else None, label=label)
    except Exception:  # noqa: BLE001 - e.g. StatError when the risk set empties early
        return None


def kaplan_meier(df: pd.DataFrame, exit: str | None = None, event: str | None = None, *,
                 entry: str | None = None, by: str | None = None, alpha: float = 0.05,
                 conf_type: str = "log", at_risk_times: Sequence[float] | None = None,
                 suppress: bool = True, threshold: int | None = None,
                 duration: str | None = None) -> KaplanMeierResult:
    """Kaplan-Meier survival with delayed entry and Greenwood variance, by group.

    Matches R's ``survfit(Surv(entry, exit, event) ~ by, conf.type=conf_type)``. The
    estimate is computed here, so that data lifelines refuses (a risk set that empties,
    a curve that drops to 0 when the only person at risk dies) give a curve as in R.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per person (e.g. the cohort table).
    exit : str
        Column of exit time on the analysis time scale (e.g. ``age_at_death``).
    event : str
        Column of the event indicator (1/True = event, 0/False = censored).
    entry : str, optional
        Column of entry time (left truncation, e.g. ``entry_age``).
    by : str, optional
        Grouping column; one curve per group.
    alpha : float, default 0.05
        1 - confidence level of the pointwise intervals.
    conf_type : {"log", "log-log", "plain"}, default "log"
        Scale of the pointwise interval, as R's ``conf.type`` (R's default is ``"log"``;
        lifelines and Stata use ``"log-log"``). Undefined (NaN) where the survival is 0.
    at_risk_times : sequence of float, optional
        Times of the at-risk table (and of the shown table); about six round values when
        None.
    suppress : bool, default True
        Disclosure control (:mod:`harkit.privacy`), in the spirit of R's
        ``summary(survfit, times=)``: ``table`` gives the estimate at ``at_risk_times``
        only, its counts through the policy (see :func:`at_risk_table`), and no exact
        event time; the estimate is left out (NaN) where fewer than ``threshold`` were at
        risk. ``False`` gives the exact table, one row per distinct exit time.
    threshold : int, optional
        Smallest count shown; default the policy in force.
    duration : str, optional
        Former name of ``exit``, still accepted.

    Returns
    -------
    KaplanMeierResult
        With ``suppress=False``, ``table`` has one row per group and distinct exit time
        (after a start row at the first entry) with ``at_risk``, ``events``,
        ``survival``, ``se`` (Greenwood standard error of the survival, R's
        ``summary(fit)$std.err``), ``var_greenwood`` (its square), ``ci_lower``,
        ``ci_upper``. With ``suppress=True``, one row per group and time of
        ``at_risk_times`` with ``at_risk``, ``events_interval``, ``censored_interval``
        (text), ``survival``, ``se``, ``ci_lower``, ``ci_upper``. ``extra["at_risk"]``
        is :func:`at_risk_table` (suppressed alike); ``model`` is a dict of lifelines
        ``KaplanMeierFitter`` by group (None for a group lifelines refuses; exact: not for
        display).

    Raises
    ------
    ValueError
        Empty input, missing values, entry after exit, a non-binary event or an unknown
        ``conf_type``.
    """
    exit = _exit_alias(exit, duration)
    if event is None:
        raise TypeError("kaplan_meier() needs the event column")
    _check_conf_type(conf_type)
    d = _prepare(df, exit, event, entry, by, event_kind="binary")
    thr = dc.threshold_for(threshold)
    z = float(stats.norm.ppf(1 - alpha / 2))
    grid_t = np.asarray(at_risk_times if at_risk_times is not None else _nice_times(
        float(d["_entry"].min()), float(d["_exit"].max())), float)
    models, exact, shown, notes = {}, [], [], [_LEFT_TRUNC_NOTE] if entry else []
    for g in _groups(d, df, by):
        s = d.loc[d["_group"] == g]
        if entry is not None:
            _check_gaps(s["_entry"].to_numpy(), s["_exit"].to_numpy(), f"group {g!r}")
        if s["_event"].sum() == 0:
            warnings.warn(f"group {g!r} has no events; its survival stays at 1", UserWarning,
                          stacklevel=2)
        models[g] = _lifelines_km(s, str(g), alpha, entry is not None)
        exact.append(_km_exact(g, s, z, conf_type))
        if suppress:
            shown.append(_km_grid(g, s, exact[-1], grid_t, thr))
        evb = exact[-1].loc[exact[-1]["events"] > 0]
        notes += _early_note(g, evb["time"].to_numpy(), evb["at_risk"].to_numpy(),
                             suppress, threshold)
        if (evb["survival"] == 0).any():
            notes.append(f"Group {g!r}: the curve drops to 0 where everybody at risk dies; "
                         "from there on its standard error and interval are undefined.")
    table = pd.concat(exact, ignore_index=True)
    table["at_risk"] = table["at_risk"].astype("Int64")
    method = "Kaplan-Meier" + (" with delayed entry" if entry else "") + \
        f" ({conf_type} CI)"
    if not suppress:
        ar = at_risk_table(df.loc[d.index], exit, event, entry=entry, by=by,
                           times=at_risk_times, suppress=False)
        return KaplanMeierResult(table=table, method=method, notes=notes, model=models,
                                 extra={"at_risk": ar, "time_label": exit})
    cols = ["at_risk", "events_interval", "censored_interval"]
    grid = _counts_as_text(pd.concat(shown, ignore_index=True), cols, threshold)
    notes.append(dc.policy_note(threshold, extra=_GRID_NOTE.format(thr=thr)))
    return KaplanMeierResult(
        table=grid[["group", "time", *cols, "survival", "se", "ci_lower",
                    "ci_upper"]].reset_index(drop=True),
        method=method, notes=notes, model=models,
        extra={"at_risk": grid[["group", "time", *cols]].reset_index(drop=True),
               "time_label": exit},
        curve=_plot_curve(table, thr))


# ----------------------------------------------------------------------------- Cox


class CoxResult(Result):
    """Cox proportional-hazards fit; ``model`` is the fitted :class:`CoxFit`.

    ``extra["fit"]`` holds the log partial likelihoods and the likelihood-ratio test
    against the model without covariates (as R's ``summary(coxph)``).
    """

    def plot(self, ax: Any = None) -> Any:
        """Draw hazard ratios with confidence intervals (log scale).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return forest(self.table, "hazard_ratio", "ci_lower", "ci_upper", "covariate", ax=ax,
                      xlabel="Hazard ratio")


def _cox_design(data: pd.DataFrame, formula_or_covariates: str | Sequence[str],
                extra_cols: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Design matrix (no intercept) and notes; unused categories dropped with a note."""
    notes: list[str] = []
    if not isinstance(formula_or_covariates, str):
        covs = list(formula_or_covariates)
        miss = [c for c in covs if c not in data.columns]
        if miss:
            raise KeyError(f"covariate column(s) not in df: {miss}")
        nonnum = [c for c in covs if not (pd.api.types.is_numeric_dtype(data[c])
                                          or pd.api.types.is_bool_dtype(data[c]))]
        if nonnum:
            raise TypeError(f"covariate column(s) {nonnum} are not numeric; use a formula "
                            f"(e.g. {' + '.join(covs)!r}) to code categories")
        _no_missing(data, covs + extra_cols)
        return data[covs].astype(float), notes
    from formulaic import Formula, model_matrix

    needed = sorted(Formula(formula_or_covariates).required_variables)
    miss = [c for c in needed + extra_cols if c not in data.columns]
    if miss:
        raise KeyError(f"formula variable(s) not in df: {miss}")
    _no_missing(data, needed + extra_cols)
    work = data[needed].copy()
    for c in needed:
        if isinstance(work[c].dtype, pd.CategoricalDtype):
            unused = [v for v in work[c].cat.categories if v not in set(work[c].unique())]
            if unused:
                notes.append(f"Unused level(s) {unused} of {c!r} were dropped.")
                work[c] = work[c].cat.remove_unused_categories()
    x = pd.DataFrame(model_matrix(formula_or_covariates, work))
    x = x.drop(columns=[c for c in x.columns if c == "Intercept"])
    const = [c for c in x.columns if x[c].nunique() < 2]
    if const:
        raise ValueError(f"term(s) {const} are constant in the data used: nothing to estimate")
    return x.astype(float), notes


def _no_missing(data: pd.DataFrame, cols: list[str]) -> None:
    bad = [c for c in cols if data[c].isna().any()]
    if bad:
        raise ValueError(f"covariate column(s) {bad} have missing values")


def cox(df: pd.DataFrame, formula_or_covariates: str | Sequence[str],
        exit: str | None = None, event: str | None = None, *, entry: str | None = None,
        strata: str | Sequence[str] | None = None, cluster: str | None = None,
        ties: str = "efron", robust: bool = False, alpha: float = 0.05,
        suppress: bool = True, threshold: int | None = None,
        duration: str | None = None) -> CoxResult:
    """Cox proportional-hazards regression with delayed entry or start/stop rows.

    Matches R's ``coxph(Surv(entry, exit, event) ~ ... + strata(s), cluster=c,
    ties=ties)``: the partial likelihood is maximised by Newton-Raphson here because
    lifelines has Efron ties only. Time-varying covariates: give one row per person and
    interval with the covariates of that interval (``entry`` = interval start, ``exit`` =
    its end, ``event`` = 1 only on the interval that ends with the event; see
    :func:`split_time`) and ``cluster`` = the person identifier.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per person, or per person and interval (start/stop data).
    formula_or_covariates : str or sequence of str
        A formula right-hand side (``"sex + charlson_score"``, formulaic syntax; categories
        coded against their first level) or a list of numeric covariate columns.
    exit : str
        Column of exit time (e.g. ``age_at_death`` with age as time scale).
    event : str
        Column of the event indicator (0/1 or boolean).
    entry : str, optional
        Column of entry time (left truncation, or interval start of start/stop rows).
    strata : str or sequence of str, optional
        Stratification columns (a separate baseline hazard per combination).
    cluster : str, optional
        Column of cluster identifiers (e.g. ``person_id`` with start/stop rows): the
        standard errors become the cluster-robust sandwich (R's ``cluster()``).
    ties : {"efron", "breslow"}, default "efron"
        Tied event times: Efron (R's default) or Breslow (SAS's and Stata's default).
    robust : bool, default False
        Robust sandwich standard errors with each row its own cluster (implied by
        ``cluster``).
    alpha : float, default 0.05
        1 - confidence level.
    suppress : bool, default True
        Show the number of events and the at-risk table through the disclosure-control
        policy (:mod:`harkit.privacy`); ``False`` shows them exactly.
    threshold : int, optional
        Smallest count shown; default the policy in force.
    duration : str, optional
        Former name of ``exit``, still accepted.

    Returns
    -------
    CoxResult
        ``table`` with ``covariate``, ``coef``, ``se`` (model-based), ``robust_se`` (with
        ``cluster`` or ``robust``), ``hazard_ratio``, ``ci_lower``, ``ci_upper``, ``z``,
        ``p`` (Wald, from the robust SE when there is one, as R); ``model`` the fitted
        :class:`~harkit.survival._coxfit.CoxFit`; ``extra["fit"]`` a dict with
        ``loglik_null``, ``loglik``, ``lr_stat``, ``lr_df``, ``lr_p``; ``extra["at_risk"]``
        (:func:`at_risk_table`, rows not persons for start/stop data).

    Raises
    ------
    ValueError
        No events, a single distinct event time, missing values, entry after exit,
        unknown ``ties``, a constant term or collinear covariates.
    """
    from harkit.survival._coxfit import TIES, fit_cox

    exit = _exit_alias(exit, duration)
    if event is None:
        raise TypeError("cox() needs the event column")
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}, not {ties!r}")
    d = _prepare(df, exit, event, entry, None, event_kind="binary")
    strata_l = [strata] if isinstance(strata, str) else list(strata or [])
    extra_cols = strata_l + ([cluster] if cluster else [])
    miss = [c for c in extra_cols if c not in df.columns]
    if miss:
        raise KeyError(f"column(s) not in df: {miss}")
    data = df.loc[d.index]
    x, notes = _cox_design(data, formula_or_covariates, extra_cols)
    n_ev = int(d["_event"].sum())
    if n_ev == 0:
        raise ValueError("no events: the Cox model cannot be fitted")
    if d.loc[d["_event"] == 1, "_exit"].nunique() < 2:
        raise ValueError("all event times are tied: the partial likelihood carries no "
                         "information about the covariates")
    if entry is not None and cluster is None:
        _check_gaps(d["_entry"].to_numpy(), d["_exit"].to_numpy(), "cox")
    st = (data[strata_l].astype(str).agg("\x1f".join, axis=1).to_numpy()
          if strata_l else None)
    fit = fit_cox(x.to_numpy(float), d["_entry"].to_numpy(), d["_exit"].to_numpy(),
                  d["_event"].to_numpy(), st,
                  data[cluster].to_numpy() if cluster else None, ties=ties, robust=robust,
                  names=[str(c) for c in x.columns])
    table = _cox_table(fit, alpha)
    lr = 2 * (fit.loglik - fit.loglik_null)
    fit_stats = {"loglik_null": fit.loglik_null, "loglik": fit.loglik, "lr_stat": lr,
                 "lr_df": len(fit.coef), "lr_p": float(stats.chi2.sf(lr, len(fit.coef)))}
    ar = at_risk_table(data, exit, event, entry=entry, suppress=suppress,
                       threshold=threshold)
    events = dc.count_text(n_ev, threshold) if suppress else str(n_ev)
    notes = ([_LEFT_TRUNC_NOTE] if entry else []) + notes + [
        f"Log partial likelihood {fit.loglik:.3f} (null {fit.loglik_null:.3f}); "
        f"likelihood-ratio test {lr:.2f} on {len(fit.coef)} df, p = {fit_stats['lr_p']:.3g}."]
    if suppress:
        notes.append(dc.policy_note(threshold))
    method = (f"Cox proportional hazards ({ties} ties"
              + (", stratified by " + ", ".join(strata_l) if strata_l else "")
              + (f", cluster-robust SE by {cluster}" if cluster else
                 ", robust SE" if robust else "")
              + (", delayed entry" if entry else "") + f"; {events} events)")
    return CoxResult(table=table, method=method, notes=notes, model=fit,
                     extra={"at_risk": ar, "fit": fit_stats})


def _cox_table(fit: Any, alpha: float) -> pd.DataFrame:
    """Tidy coefficient table; Wald tests from the robust variance when there is one."""
    se = np.sqrt(np.diag(fit.var))
    out = pd.DataFrame({"covariate": fit.names, "coef": fit.coef, "se": se})
    use = se
    if fit.robust_var is not None:
        use = np.sqrt(np.diag(fit.robust_var))
        out["robust_se"] = use
    z = float(stats.norm.ppf(1 - alpha / 2))
    with np.errstate(over="ignore"):  # an infinite coefficient's limit is inf (warned)
        out["hazard_ratio"] = np.exp(fit.coef)
        out["ci_lower"] = np.exp(fit.coef - z * use)
        out["ci_upper"] = np.exp(fit.coef + z * use)
    out["z"] = fit.coef / use
    out["p"] = 2 * stats.norm.sf(np.abs(out["z"].to_numpy()))
    return out


# ----------------------------------------------------------------------------- Aalen-Johansen


@dataclass(repr=False)
class CumulativeIncidenceResult(Result):
    """Aalen-Johansen cumulative incidence by cause and group (no lifelines model).

    ``curve`` is what :meth:`plot` draws (see :class:`KaplanMeierResult`).
    """

    curve: pd.DataFrame | None = field(default=None, repr=False)

    def plot(self, ax: Any = None) -> Any:
        """Draw cumulative incidence curves with CI bands and the at-risk table.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = _new_ax(ax)
        curve = self.table if self.curve is None else self.curve
        return _plot_steps(ax, curve, "cif", ["group", "cause"], self.extra["at_risk"],
                           "Cumulative incidence", self.extra.get("time_label", "time"))


def _aalen_johansen(entry: np.ndarray, exit_: np.ndarray, cause: np.ndarray,
                    is_event: np.ndarray, causes: list[Any], z: float,
                    conf_type: str = "log") -> pd.DataFrame:
    """Aalen-Johansen CIFs at the distinct event times, with delta-method variance."""
    t = np.unique(exit_[is_event])
    n = _risk_counts(entry, exit_, t).astype(float)
    idx = np.searchsorted(t, exit_[is_event])
    d = np.bincount(idx, minlength=t.size).astype(float)
    surv = np.cumprod(1.0 - d / n)
    s_lag = np.concatenate([[1.0], surv[:-1]])
    # Greenwood-type coefficient; zero where everybody at risk dies (F is flat after)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(n > d, d / (n * (n - d)), 0.0)
    out = []
    ev_cause = cause[is_event]
    for k in causes:
        dk = np.bincount(idx[ev_cause == k], minlength=t.size).astype(float)
        f = np.cumsum(s_lag * dk / n)
        b = np.cumsum(s_lag**2 * dk * (n - dk) / n**3)
        c = s_lag * dk / n**2
        # sum_j (F(t)-F_j)^2 a_j - 2 (F(t)-F_j) c_j, expanded into cumulative sums
        var = (f**2 * np.cumsum(a) - 2 * f * np.cumsum(a * f) + np.cumsum(a * f**2)
               + b - 2 * (f * np.cumsum(c) - np.cumsum(c * f)))
        var = np.maximum(var, 0.0)
        se = np.sqrt(var)
        lo, hi = _pointwise_ci(f, se, z, conf_type)
        # a cumulative incidence of 0 (before the cause's first event) has the interval [0, 0]
        lo, hi = np.where(f <= 0, 0.0, lo), np.where(f <= 0, 0.0, hi)
        lo, hi = np.where(f >= 1, 1.0, lo), np.where(f >= 1, 1.0, hi)
        out.append(pd.DataFrame({"cause": k, "time": t, "at_risk": n.astype(int),
                                 "events": dk.astype(int), "events_all": d.astype(int),
                                 "survival_all": surv, "cif": f, "se": se,
                                 "ci_lower": lo, "ci_upper": hi}))
    return pd.concat(out, ignore_index=True)


def cumulative_incidence(df: pd.DataFrame, exit: str | None = None, event: str | None = None,
                         *, entry: str | None = None, by: str | None = None,
                         causes: Sequence[Any] | None = None, censor_value: Any = 0,
                         alpha: float = 0.05, conf_type: str = "log",
                         at_risk_times: Sequence[float] | None = None,
                         suppress: bool = True, threshold: int | None = None,
                         duration: str | None = None) -> CumulativeIncidenceResult:
    """Aalen-Johansen cumulative incidence by cause, with exact ties and delayed entry.

    ``F_k(t) = sum_{t_j <= t} S(t_{j-1}) d_kj / n_j`` with ``S`` the all-cause Kaplan-Meier,
    ``d_kj`` the cause-*k* events at ``t_j`` (all tied events processed together, no
    jitter) and ``n_j = #{entry < t_j <= exit}``. Variance by the delta method
    (Greenwood-type, Marubini & Valsecchi; as SAS ``PROC LIFETEST`` and lifelines). The
    estimate matches R's ``survfit(Surv(entry, exit, factor(event)) ~ 1)`` (whose standard
    error is the infinitesimal jackknife instead).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per person.
    exit : str
        Column of exit time (e.g. ``age_at_death``).
    event : str
        Column of the cause of exit; ``censor_value`` marks censoring.
    entry : str, optional
        Column of entry time (left truncation).
    by : str, optional
        Grouping column.
    causes : sequence, optional
        Causes to report; all non-censoring values when None. Unlisted causes still count
        as competing events.
    censor_value : object, default 0
        Value of ``event`` meaning censored.
    alpha : float, default 0.05
        1 - confidence level.
    conf_type : {"log", "log-log", "plain"}, default "log"
        Scale of the pointwise interval of each cumulative incidence (as R's
        ``conf.type``).
    at_risk_times : sequence of float, optional
        Times of the at-risk table (and of the shown table); about six round values when
        None.
    suppress : bool, default True
        Disclosure control (:mod:`harkit.privacy`), as for :func:`kaplan_meier`: the
        estimates at ``at_risk_times`` only, counts through the policy, no exact event
        time. ``False`` gives the exact table at every event time.
    threshold : int, optional
        Smallest count shown; default the policy in force.
    duration : str, optional
        Former name of ``exit``, still accepted.

    Returns
    -------
    CumulativeIncidenceResult
        With ``suppress=False``, ``table`` has one row per group, cause and distinct event
        time with ``at_risk``, ``events`` (of the cause), ``events_all``,
        ``survival_all``, ``cif``, ``se``, ``ci_lower``, ``ci_upper``. With
        ``suppress=True``, one row per group, cause and time of ``at_risk_times`` with
        ``at_risk`` and ``events_interval`` (of the cause, since the previous shown time;
        text), ``cif``, ``se``, ``ci_lower``, ``ci_upper``. ``extra["at_risk"]`` is
        :func:`at_risk_table` (suppressed alike).

    Raises
    ------
    ValueError
        Empty input, missing values, entry after exit, requested causes never observed, or
        no events at all.
    """
    exit = _exit_alias(exit, duration)
    if event is None:
        raise TypeError("cumulative_incidence() needs the event (cause) column")
    _check_conf_type(conf_type)
    d = _prepare(df, exit, event, entry, by, event_kind="any")
    observed = _observed_causes(d, event, censor_value)
    causes = _check_causes(causes, observed, event)
    z = float(stats.norm.ppf(1 - alpha / 2))
    thr = dc.threshold_for(threshold)
    grid_t = np.asarray(at_risk_times if at_risk_times is not None else _nice_times(
        float(d["_entry"].min()), float(d["_exit"].max())), float)
    parts, shown, early = [], [], []
    for g in _groups(d, df, by):
        s = d.loc[d["_group"] == g]
        exact = _cif_exact(g, s, causes, censor_value, z, entry is not None, conf_type)
        parts.append(exact)
        if suppress:
            shown.append(_cif_grid(g, s, exact, causes, observed, censor_value, grid_t, thr))
        first = exact.loc[(exact["cause"] == causes[0]) & (exact["events_all"] > 0)]
        early += _early_note(g, first["time"].to_numpy(), first["at_risk"].to_numpy(),
                             suppress, threshold)
    table = pd.concat(parts, ignore_index=True)
    table = table.sort_values(["group", "cause", "time"], kind="stable",
                              key=lambda c: c.astype(str) if c.name != "time" else c)
    table = table.reset_index(drop=True)
    # the start row's at_risk is not a risk-set count
    table["at_risk"] = table["at_risk"].astype("Int64")
    table.loc[table["events_all"] == 0, "at_risk"] = pd.NA
    notes = ["Ties are handled exactly (no jitter).", _LEFT_TRUNC_NOTE if entry else
             "No delayed entry given: everybody is at risk from time 0."] + early
    method = "Aalen-Johansen cumulative incidence by cause"
    if not suppress:
        ar = at_risk_table(df.loc[d.index], exit, event, entry=entry, by=by,
                           times=at_risk_times, censor_value=censor_value, suppress=False)
        return CumulativeIncidenceResult(table=table, method=method, notes=notes,
                                         model=None,
                                         extra={"at_risk": ar, "time_label": exit})
    grid = pd.concat(shown, ignore_index=True)
    notes.append(dc.policy_note(threshold, extra=_GRID_NOTE.format(thr=thr)))
    return CumulativeIncidenceResult(
        table=grid, method=method, notes=notes, model=None,
        extra={"at_risk": at_risk_table(df.loc[d.index], exit, event, entry=entry, by=by,
                                        times=grid_t, censor_value=censor_value,
                                        threshold=threshold),
               "time_label": exit},
        curve=_plot_curve(table, thr))


def _observed_causes(d: pd.DataFrame, event: str, censor_value: Any) -> list[Any]:
    is_ev_all = (d["_event"] != censor_value).to_numpy()
    observed = sorted(pd.unique(d.loc[is_ev_all, "_event"]), key=str)
    if not observed:
        raise ValueError(f"no events in {event!r}: every row equals censor_value "
                         f"{censor_value!r}")
    return observed


def _check_causes(causes: Sequence[Any] | None, observed: list[Any], event: str) -> list[Any]:
    if causes is None:
        return observed
    causes = list(causes)
    absent = [c for c in causes if c not in set(observed)]
    if absent:
        raise ValueError(f"cause(s) {absent} never occur in {event!r}")
    return causes


def _cif_exact(g: Any, s: pd.DataFrame, causes: list[Any], censor_value: Any, z: float,
               delayed: bool, conf_type: str = "log") -> pd.DataFrame:
    """The exact Aalen-Johansen table of one group, with a start row per cause."""
    en, ex = s["_entry"].to_numpy(), s["_exit"].to_numpy()
    cause = s["_event"].to_numpy()
    is_ev = cause != censor_value
    if delayed:
        _check_gaps(en, ex, f"group {g!r}")
    start = pd.DataFrame({"cause": causes, "time": float(en.min()), "at_risk": 0,
                          "events": 0, "events_all": 0, "survival_all": 1.0,
                          "cif": 0.0, "se": 0.0, "ci_lower": 0.0, "ci_upper": 0.0})
    if not is_ev.any():
        warnings.warn(f"group {g!r} has no events; its cumulative incidence is 0",
                      UserWarning, stacklevel=3)
        return start.assign(group=g)[["group", *start.columns]]
    aj = pd.concat([start, _aalen_johansen(en, ex, cause, is_ev, causes, z, conf_type)],
                   ignore_index=True)
    aj.insert(0, "group", g)
    return aj


