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


def at_risk_table(df: pd.DataFrame, duration: str, event: str, *, entry: str | None = None,
                  by: str | None = None, times: Sequence[float] | None = None,
                  censor_value: Any = 0, suppress: bool = True,
                  threshold: int | None = None) -> pd.DataFrame:
    """Numbers at risk, with events and censored, at chosen times, by group.

    Correct under delayed entry: at risk at *t* are those with ``entry < t <= exit``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per person.
    duration : str
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
    d = _prepare(df, duration, event, entry, by, event_kind="any")
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


def _km_exact(g: Any, s: pd.DataFrame, kmf: Any) -> pd.DataFrame:
    """The exact Kaplan-Meier table of one group: one row per distinct exit time."""
    t = np.unique(s["_exit"].to_numpy())
    sf = kmf.survival_function_.iloc[:, 0].reindex(t, method="ffill").to_numpy()
    ci = kmf.confidence_interval_survival_function_.reindex(t, method="ffill")
    ev = s.loc[s["_event"] == 1, "_exit"].value_counts().reindex(t, fill_value=0)
    start = pd.DataFrame({"group": [g], "time": [float(s["_entry"].min())],
                          "at_risk": [np.nan], "events": [0], "survival": [1.0],
                          "ci_lower": [1.0], "ci_upper": [1.0]})
    body = pd.DataFrame({"group": g, "time": t,
                         "at_risk": _risk_counts(s["_entry"].to_numpy(),
                                                 s["_exit"].to_numpy(), t),
                         "events": ev.to_numpy(), "survival": sf,
                         "ci_lower": ci.iloc[:, 0].to_numpy(),
                         "ci_upper": ci.iloc[:, 1].to_numpy()})
    return pd.concat([start, body], ignore_index=True)


def kaplan_meier(df: pd.DataFrame, duration: str, event: str, *, entry: str | None = None,
                 by: str | None = None, alpha: float = 0.05,
                 at_risk_times: Sequence[float] | None = None, suppress: bool = True,
                 threshold: int | None = None) -> KaplanMeierResult:
    """Kaplan-Meier survival with delayed entry, by group (lifelines ``KaplanMeierFitter``).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per person (e.g. the cohort table).
    duration : str
        Column of exit time on the analysis time scale (e.g. ``age_at_death``).
    event : str
        Column of the event indicator (1/True = event, 0/False = censored).
    entry : str, optional
        Column of entry time (left truncation, e.g. ``entry_age``).
    by : str, optional
        Grouping column; one curve per group.
    alpha : float, default 0.05
        1 - confidence level of the pointwise (log-log, exponential Greenwood) intervals.
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

    Returns
    -------
    KaplanMeierResult
        With ``suppress=False``, ``table`` has one row per group and distinct exit time
        with ``at_risk``, ``events``, ``survival``, ``ci_lower``, ``ci_upper``. With
        ``suppress=True``, one row per group and time of ``at_risk_times`` with
        ``at_risk``, ``events_interval``, ``censored_interval`` (text),
        ``survival``, ``ci_lower``, ``ci_upper``. ``extra["at_risk"]`` is
        :func:`at_risk_table` (suppressed alike); ``model`` is a dict of fitted
        ``KaplanMeierFitter`` by group (exact: not for display).

    Raises
    ------
    ValueError
        Empty input, missing values, entry after exit, or a non-binary event.
    """
    from lifelines import KaplanMeierFitter

    d = _prepare(df, duration, event, entry, by, event_kind="binary")
    thr = dc.threshold_for(threshold)
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
        kmf = KaplanMeierFitter(alpha=alpha)
        kmf.fit(s["_exit"], s["_event"], entry=s["_entry"] if entry is not None else None,
                label=str(g))
        models[g] = kmf
        exact.append(_km_exact(g, s, kmf))
        if suppress:
            shown.append(_km_grid(g, s, kmf, grid_t, thr))
        evb = exact[-1].loc[exact[-1]["events"] > 0]
        notes += _early_note(g, evb["time"].to_numpy(), evb["at_risk"].to_numpy(),
                             suppress, threshold)
    table = pd.concat(exact, ignore_index=True)
    table["at_risk"] = table["at_risk"].astype("Int64")
    method = "Kaplan-Meier" + (" with delayed entry" if entry else "")
    if not suppress:
        ar = at_risk_table(df.loc[d.index], duration, event, entry=entry, by=by,
                           times=at_risk_times, suppress=False)
        return KaplanMeierResult(table=table, method=method, notes=notes, model=models,
                                 extra={"at_risk": ar, "time_label": duration})
    cols = ["at_risk", "events_interval", "censored_interval"]
    grid = _counts_as_text(pd.concat(shown, ignore_index=True), cols, threshold)
    notes.append(dc.policy_note(threshold, extra=_GRID_NOTE.format(thr=thr)))
    return KaplanMeierResult(
        table=grid[["group", "time", *cols, "survival", "ci_lower", "ci_upper"]].reset_index(
            drop=True),
        method=method, notes=notes, model=models,
        extra={"at_risk": grid[["group", "time", *cols]].reset_index(drop=True),
               "time_label": duration},
        curve=_plot_curve(table, thr))


# ----------------------------------------------------------------------------- Cox


class CoxResult(Result):
    """Cox proportional-hazards fit; ``model`` is the lifelines ``CoxPHFitter``."""

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


def cox(df: pd.DataFrame, formula_or_covariates: str | Sequence[str], duration: str,
        event: str, *, entry: str | None = None, strata: str | Sequence[str] | None = None,
        alpha: float = 0.05, suppress: bool = True, threshold: int | None = None,
        **fit_kwargs: Any) -> CoxResult:
    """Cox proportional-hazards regression with delayed entry (lifelines ``CoxPHFitter``).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per person.
    formula_or_covariates : str or sequence of str
        A formula right-hand side (``"sex + charlson_score"``, lifelines/formulaic syntax)
        or a list of numeric covariate columns.
    duration : str
        Column of exit time (e.g. ``age_at_death`` with age as time scale).
    event : str
        Column of the event indicator (0/1 or boolean).
    entry : str, optional
        Column of entry time (left truncation).
    strata : str or sequence of str, optional
        Stratification columns (separate baseline hazards).
    alpha : float, default 0.05
        1 - confidence level.
    suppress : bool, default True
        Show the number of events and the at-risk table through the disclosure-control
        policy (:mod:`harkit.privacy`); ``False`` shows them exactly.
    threshold : int, optional
        Smallest count shown; default the policy in force.
    **fit_kwargs
        Passed to ``CoxPHFitter.fit`` (e.g. ``robust=True``).

    Returns
    -------
    CoxResult
        ``table`` with ``covariate``, ``coef``, ``se``, ``hazard_ratio``, ``ci_lower``,
        ``ci_upper``, ``p``; ``model`` the fitted ``CoxPHFitter``; ``extra["at_risk"]``
        (:func:`at_risk_table`).

    Raises
    ------
    ValueError
        No events, a single distinct event time, missing values or entry after exit.
    """
    from lifelines import CoxPHFitter

    d = _prepare(df, duration, event, entry, None, event_kind="binary")
    if isinstance(formula_or_covariates, str):
        formula, covs = formula_or_covariates, None
    else:
        formula, covs = None, list(formula_or_covariates)
    strata_l = [strata] if isinstance(strata, str) else list(strata or [])
    data = df.loc[d.index].copy()
    if covs is not None:
        miss = [c for c in covs if c not in data.columns]
        if miss:
            raise KeyError(f"covariate column(s) not in df: {miss}")
        nonnum = [c for c in covs if not (pd.api.types.is_numeric_dtype(data[c])
                                          or pd.api.types.is_bool_dtype(data[c]))]
        if nonnum:
            raise TypeError(f"covariate column(s) {nonnum} are not numeric; use a formula "
                            f"(e.g. {' + '.join(covs)!r}) to code categories")
        keep = covs + strata_l
    else:
        from formulaic import Formula

        keep = sorted(Formula(formula).required_variables) + strata_l
        miss = [c for c in keep if c not in data.columns]
        if miss:
            raise KeyError(f"formula variable(s) not in df: {miss}")
    if data[keep].isna().any().any():
        bad = data[keep].columns[data[keep].isna().any()].tolist()
        raise ValueError(f"covariate column(s) {bad} have missing values")
    n_ev = int(d["_event"].sum())
    if n_ev == 0:
        raise ValueError("no events: the Cox model cannot be fitted")
    if d.loc[d["_event"] == 1, "_exit"].nunique() < 2:
        raise ValueError("all event times are tied: the partial likelihood carries no "
                         "information about the covariates")
    work = data[keep].copy()
    work["_exit"], work["_event"] = d["_exit"], d["_event"]
    if entry is not None:
        work["_entry"] = d["_entry"]
        _check_gaps(d["_entry"].to_numpy(), d["_exit"].to_numpy(), "cox")
    cph = CoxPHFitter(alpha=alpha)
    cph.fit(work, duration_col="_exit", event_col="_event",
            entry_col="_entry" if entry is not None else None, formula=formula,
            strata=strata_l or None, **fit_kwargs)
    s = cph.summary
    ci = cph.confidence_intervals_.loc[s.index]
    table = pd.DataFrame({
        "covariate": s.index.astype(str), "coef": s["coef"].to_numpy(),
        "se": s["se(coef)"].to_numpy(), "hazard_ratio": s["exp(coef)"].to_numpy(),
        "ci_lower": np.exp(ci.iloc[:, 0].to_numpy()),
        "ci_upper": np.exp(ci.iloc[:, 1].to_numpy()),
        "p": s["p"].to_numpy()})
    ar = at_risk_table(df.loc[d.index], duration, event, entry=entry, suppress=suppress,
                       threshold=threshold)
    events = dc.count_text(n_ev, threshold) if suppress else str(n_ev)
    notes = [_LEFT_TRUNC_NOTE] if entry else []
    if suppress:
        notes.append(dc.policy_note(threshold))
    return CoxResult(table=table, method="Cox proportional hazards"
                     + (" with delayed entry" if entry else "") + f" ({events} events)",
                     notes=notes, model=cph, extra={"at_risk": ar})


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
                    is_event: np.ndarray, causes: list[Any], z: float) -> pd.DataFrame:
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
        with np.errstate(divide="ignore", invalid="ignore"):
            lf = np.log(-np.log(f))
            se_t = se / (f * np.abs(np.log(f)))
            lo = np.exp(-np.exp(lf + z * se_t))
            hi = np.exp(-np.exp(lf - z * se_t))
        lo = np.where(f <= 0, 0.0, np.where(f >= 1, 1.0, lo))
        hi = np.where(f <= 0, 0.0, np.where(f >= 1, 1.0, hi))
        out.append(pd.DataFrame({"cause": k, "time": t, "at_risk": n.astype(int),
                                 "events": dk.astype(int), "events_all": d.astype(int),
                                 "survival_all": surv, "cif": f, "se": se,
                                 "ci_lower": lo, "ci_upper": hi}))
    return pd.concat(out, ignore_index=True)


def cumulative_incidence(df: pd.DataFrame, duration: str, event: str, *,
                         entry: str | None = None, by: str | None = None,
                         causes: Sequence[Any] | None = None, censor_value: Any = 0,
                         alpha: float = 0.05,
                         at_risk_times: Sequence[float] | None = None,
                         suppress: bool = True, threshold: int | None = None
                         ) -> CumulativeIncidenceResult:
    """Aalen-Johansen cumulative incidence by cause, with exact ties and delayed entry.

    ``F_k(t) = sum_{t_j <= t} S(t_{j-1}) d_kj / n_j`` with ``S`` the all-cause Kaplan-Meier,
    ``d_kj`` the cause-*k* events at ``t_j`` (all tied events processed together, no
    jitter) and ``n_j = #{entry < t_j <= exit}``. Variance by the delta method
    (Greenwood-type, Marubini & Valsecchi; as SAS ``PROC LIFETEST`` and lifelines), CIs on
    the log(-log) scale.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per person.
    duration : str
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
    at_risk_times : sequence of float, optional
        Times of the at-risk table (and of the shown table); about six round values when
        None.
    suppress : bool, default True
        Disclosure control (:mod:`harkit.privacy`), as for :func:`kaplan_meier`: the
        estimates at ``at_risk_times`` only, counts through the policy, no exact event
        time. ``False`` gives the exact table at every event time.
    threshold : int, optional
        Smallest count shown; default the policy in force.

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
    d = _prepare(df, duration, event, entry, by, event_kind="any")
    observed = _observed_causes(d, event, censor_value)
    causes = _check_causes(causes, observed, event)
    z = float(stats.norm.ppf(1 - alpha / 2))
    thr = dc.threshold_for(threshold)
    grid_t = np.asarray(at_risk_times if at_risk_times is not None else _nice_times(
        float(d["_entry"].min()), float(d["_exit"].max())), float)
    parts, shown, early = [], [], []
    for g in _groups(d, df, by):
        s = d.loc[d["_group"] == g]
        exact = _cif_exact(g, s, causes, censor_value, z, entry is not None)
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
        ar = at_risk_table(df.loc[d.index], duration, event, entry=entry, by=by,
                           times=at_risk_times, censor_value=censor_value, suppress=False)
        return CumulativeIncidenceResult(table=table, method=method, notes=notes,
                                         model=None,
                                         extra={"at_risk": ar, "time_label": duration})
    grid = pd.concat(shown, ignore_index=True)
    notes.append(dc.policy_note(threshold, extra=_GRID_NOTE.format(thr=thr)))
    return CumulativeIncidenceResult(
        table=grid, method=method, notes=notes, model=None,
        extra={"at_risk": at_risk_table(df.loc[d.index], duration, event, entry=entry, by=by,
                                        times=grid_t, censor_value=censor_value,
                                        threshold=threshold),
               "time_label": duration},
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
               delayed: bool) -> pd.DataFrame:
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
    aj = pd.concat([start, _aalen_johansen(en, ex, cause, is_ev, causes, z)],
                   ignore_index=True)
    aj.insert(0, "group", g)
    return aj


