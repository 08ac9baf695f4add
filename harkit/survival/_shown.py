"""What a survival curve shows under disclosure control: estimates at a grid of times.

Exact event times are ages at death, and small risk sets show single persons, so a
suppressed Kaplan-Meier or cumulative incidence result gives, in the spirit of R's
``summary(survfit, times=)``, the estimate at a grid of times with the numbers at risk
and the events and censorings since the previous shown time, each through the policy of
:mod:`harkit.privacy`. A time shows its numbers only when no count of 1 to
``threshold - 1`` is shown or follows by difference from what is shown
(:func:`_shown_grid`); its estimate only when enough were at risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def _risk_counts(entry: np.ndarray, exit_: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Number with entry < t <= exit, for each t."""
    return (np.searchsorted(np.sort(entry), t, side="left")
            - np.searchsorted(np.sort(exit_), t, side="left"))


def _min_risk_between(ev_times: np.ndarray, ev_risk: np.ndarray, a: float, b: float) -> float:
    """Smallest risk set at an event time in (a, b]; inf when there is none."""
    inside = (ev_times > a) & (ev_times <= b)
    return float(ev_risk[inside].min()) if inside.any() else np.inf


def _shown_grid(en: np.ndarray, ex: np.ndarray, is_ev: np.ndarray, cause: np.ndarray | None,
                t: np.ndarray, thr: int, *, causes: Sequence[Any] = ()) -> pd.DataFrame:
    """Which grid times of one group may show their counts, and the counts since the last.

    A time is *kept* when its number at risk is 0 or at least ``thr`` and every count since
    the previous kept time (events, censored, each cause's events, and the change in the
    number at risk) is 0 or at least ``thr``: then no count of 1 to ``thr - 1`` is shown or
    follows from differences of what is shown. ``estimate_ok`` says whether the estimate
    may be shown too: nothing happened yet, or at least ``thr`` at risk at the time and at
    every event since the previous kept time (the step sizes of a small risk set would
    reveal its counts).
    """
    at_risk = _risk_counts(en, ex, t)
    cum_ev = np.searchsorted(np.sort(ex[is_ev]), t, side="right")
    cum_c = np.searchsorted(np.sort(ex[~is_ev]), t, side="right")
    cum_k = {k: np.searchsorted(np.sort(ex[is_ev & (cause == k)]), t, side="right")
             for k in causes}
    ev_times = np.unique(ex[is_ev])
    ev_risk = _risk_counts(en, ex, ev_times)
    rows: list[dict[str, Any]] = []
    last = {"i": None, "time": -np.inf, "ev": 0, "c": 0, "k": dict.fromkeys(causes, 0)}
    for i, ti in enumerate(t):
        diffs = {"events_interval": cum_ev[i] - last["ev"],
                 "censored_interval": cum_c[i] - last["c"]}
        by_cause = {k: int(cum_k[k][i] - last["k"][k]) for k in causes}
        moved = at_risk[i] - (at_risk[last["i"]] if last["i"] is not None else at_risk[i])
        small = [v for v in [*diffs.values(), *by_cause.values(), abs(moved)]
                 if 0 < v < thr]
        kept = not small and (at_risk[i] == 0 or at_risk[i] >= thr)
        est_ok = kept and (cum_ev[i] == 0 or (
            at_risk[i] >= thr
            and _min_risk_between(ev_times, ev_risk, last["time"], ti) >= thr))
        rows.append({"time": ti, "at_risk": at_risk[i], "kept": kept,
                     "estimate_ok": bool(est_ok), **diffs, "by_cause": by_cause})
        if kept:
            last = {"i": i, "time": ti, "ev": cum_ev[i], "c": cum_c[i],
                    "k": {k: cum_k[k][i] for k in causes}}
    return pd.DataFrame(rows)


def _counts_as_text(grid: pd.DataFrame, cols: Sequence[str],
                    threshold: int | None) -> pd.DataFrame:
    """Counts of kept rows through the policy (rounding), ``*`` in the rows not kept."""
    from harkit.privacy import suppress

    work = grid.copy()
    for c in cols:
        work[c] = work[c].astype("int64")
    out = suppress(work, list(cols), threshold=threshold)
    hidden = ~grid["kept"].to_numpy(bool)
    for c in cols:
        out[c] = out[c].astype(object)
        out.loc[hidden, c] = "*"
    out.attrs["hidden_rows"] = int(hidden.sum())
    return out


def _step_values(index: np.ndarray, values: np.ndarray, t: np.ndarray,
                 before: float) -> np.ndarray:
    """A right-continuous step function (``values`` from ``index`` on) at ``t``."""
    pos = np.searchsorted(index, t, side="right") - 1
    return np.where(pos >= 0, values[np.maximum(pos, 0)], before)


def _km_grid(g: Any, s: pd.DataFrame, exact: pd.DataFrame, t: np.ndarray,
             thr: int) -> pd.DataFrame:
    """The shown Kaplan-Meier rows of one group: the estimate at the grid times."""
    grid = _shown_grid(s["_entry"].to_numpy(), s["_exit"].to_numpy(),
                       (s["_event"] == 1).to_numpy(), None, t, thr)
    body = exact.iloc[1:]  # the start row is the value before the first exit
    idx = body["time"].to_numpy(float)
    ok = grid["estimate_ok"].to_numpy(bool)
    for col, before in (("survival", 1.0), ("se", 0.0), ("ci_lower", 1.0),
                        ("ci_upper", 1.0)):
        est = _step_values(idx, body[col].to_numpy(float), t, before)
        grid[col] = np.where(ok, est, np.nan)
    return grid.assign(group=g)


def _plot_curve(exact: pd.DataFrame, thr: int) -> pd.DataFrame:
    """The exact curve without the steps taken with fewer than ``thr`` at risk."""
    n = pd.to_numeric(exact["at_risk"], errors="coerce")
    keep = n.isna() | (n >= thr)
    return exact.loc[keep.to_numpy(), ["group", *[c for c in exact.columns
                                                  if c in ("cause", "time", "survival", "cif",
                                                           "ci_lower", "ci_upper")]]]


def _cif_grid(g: Any, s: pd.DataFrame, exact: pd.DataFrame, causes: list[Any],
              observed: list[Any], censor_value: Any, t: np.ndarray,
              thr: int) -> pd.DataFrame:
    """The shown rows of one group: each cause's estimate at the grid times."""
    from harkit.privacy import suppress as _suppress

    cause = s["_event"].to_numpy()
    grid = _shown_grid(s["_entry"].to_numpy(), s["_exit"].to_numpy(), cause != censor_value,
                       cause, t, thr, causes=observed)
    kept, ok = grid["kept"].to_numpy(bool), grid["estimate_ok"].to_numpy(bool)
    rows = []
    for k in causes:
        e = exact.loc[exact["cause"] == k].sort_values("time", kind="stable")
        part = pd.DataFrame({"group": g, "cause": k, "time": t,
                             "at_risk": grid["at_risk"].astype("int64"),
                             "events_interval": [bc[k] for bc in grid["by_cause"]]})
        part["events_interval"] = part["events_interval"].astype("int64")
        idx = e["time"].to_numpy(float)
        for col in ("cif", "se", "ci_lower", "ci_upper"):
            part[col] = np.where(ok, _step_values(idx, e[col].to_numpy(float), t, 0.0),
                                 np.nan)
        text = _suppress(part, ["at_risk", "events_interval"], threshold=thr)
        for col in ("at_risk", "events_interval"):
            text[col] = text[col].astype(object)
            text.loc[~kept, col] = "*"
        rows.append(text)
    return pd.concat(rows, ignore_index=True)
