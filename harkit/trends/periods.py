"""Counts, proportions and rates per calendar period (:func:`over_time`)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from harkit.privacy import suppress as _suppress
from harkit.results import Result
from harkit.survival.mortality import poisson_exact_ci
from harkit.trends._common import _UNITS, DECEDENTS_NOTE, _to_year, draw_revision_bands


@dataclass(repr=False)
class TrendResult(Result):
    """Counts, proportions and rates per period, from :func:`over_time`.

    ``extra`` holds ``by`` (group column or None), ``setting`` and ``icd9_hospital_start``.
    """

    def plot(self, ax: Any = None, y: str | None = None) -> Any:
        """Draw the series per group with the ICD revision periods shaded.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        y : str, optional
            Column to draw: default ``rate`` if present, else ``proportion`` when grouped,
            else ``n``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        t = self.table
        by = self.extra.get("by")
        if y is None:
            y = "rate" if "rate" in t else ("proportion" if by else "n")
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4))
        x0 = "period_start"
        mid = self.extra.get("width", 1) / 2 - 0.5
        groups = t.groupby(by, observed=True, sort=False) if by else [(None, t)]
        for name, g in groups:
            vals = pd.to_numeric(g[y].astype(str).str.replace(",", ""), errors="coerce")
            ax.plot(g[x0] + mid, vals, marker="o", ms=3,
                    label=None if name is None else str(name))
        if by:
            ax.legend(title=by, fontsize=8)
        ax.set_xlabel("year")
        ax.set_ylabel(y)
        xlim = ((t[x0].min() - 0.5, t[x0].max() + self.extra.get("width", 1) - 0.5)
                if len(t) else None)
        draw_revision_bands(ax, self.extra.get("setting", "hospital"),
                            self.extra.get("icd9_hospital_start", 1987), xlim=xlim)
        return ax


def _denominator_frame(denominator: Any, by: str | None) -> pd.DataFrame:
    if isinstance(denominator, pd.Series | Mapping):
        s = pd.Series(denominator, dtype="float64")
        return pd.DataFrame({"year": s.index.astype(float), "denominator": s.to_numpy()})
    d = pd.DataFrame(denominator).copy()
    if "year" not in d or "denominator" not in d:
        raise ValueError("denominator frame needs columns 'year' and 'denominator'"
                         + (f" (and {by!r})" if by else ""))
    d["year"] = d["year"].astype(float)
    return d


def over_time(
    df: pd.DataFrame,
    date_col: str,
    *,
    by: str | None = None,
    unit: str = "year",
    denominator: pd.DataFrame | pd.Series | Mapping[int, float] | None = None,
    suppress: bool = True,
    setting: str = "hospital",
    icd9_hospital_start: int = 1987,
    alpha: float = 0.05,
) -> TrendResult:
    """Count records per calendar period (and group), with proportions and rates.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per record (person, diagnosis, death).
    date_col : str
        Date column (datetime) or a numeric year column (e.g. ``death_year``).
    by : str, optional
        Group column; each group's ``proportion`` is its share of the period's records.
    unit : {"year", "5y"}
        Period length; five-year periods start at multiples of 5 (1970-1974, ...).
    denominator : DataFrame, Series or mapping, optional
        Population (or person-years) per year: a mapping/Series year -> value, or a frame
        with ``year``, ``denominator`` and optionally the ``by`` column. Summed over the
        years of a period. Adds ``rate`` = n / denominator with exact Poisson limits.
    suppress : bool, default True
        Pass the counts through :func:`harkit.privacy.suppress`; proportions and rates of
        hidden cells are blanked too. ``suppress=False`` opts out.
    setting : {"hospital", "death"}
        Revision periods drawn by :meth:`TrendResult.plot`.
    icd9_hospital_start : int, default 1987
        First year of ICD-9 in hospitals.
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    TrendResult
        ``table`` has ``period`` (label), ``period_start``, the group, ``n``, ``total``
        (records in the period), with ``by`` the ``proportion`` with Wilson limits, and with
        a denominator ``denominator``, ``rate`` and exact Poisson limits. Empty groups in a
        period show ``n = 0``; a group's categories keep their order.

    Notes
    -----
    For decedents-only data the meaningful series is the *proportion* (share of all deaths
    or records in the period), not mean age at death; see the module docstring.
    """
    from statsmodels.stats.proportion import proportion_confint

    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {list(_UNITS)}, not {unit!r}")
    if date_col not in df:
        raise ValueError(f"column {date_col!r} not in data; columns are {list(df.columns)}")
    if by is not None and by not in df:
        raise ValueError(f"group column {by!r} not in data")
    width = _UNITS[unit]
    notes = [DECEDENTS_NOTE]
    year = _to_year(df[date_col])
    keep = year.notna()
    if by is not None:
        keep &= df[by].notna()
    if (~keep).any():
        msg = f"{int((~keep).sum())} rows without a {date_col}" + (f" or {by}" if by else "")
        warnings.warn(f"over_time: {msg} left out", stacklevel=2)
        notes.append(f"{msg} left out.")
    start = (np.floor(year[keep] / width) * width).astype(int)
    if by is not None:
        grp = df.loc[keep, by]
        cats = (list(grp.cat.categories) if isinstance(grp.dtype, pd.CategoricalDtype)
                else sorted(grp.unique(), key=str))
        if len(cats) == 1:
            warnings.warn(f"over_time: {by!r} has a single category; proportions are 1",
                          stacklevel=2)
        counts = pd.crosstab(start.to_numpy(), pd.Categorical(grp, categories=cats),
                             dropna=False).rename_axis(index="period_start", columns=by)
        t = counts.stack().rename("n").reset_index()
        t[by] = pd.Categorical(t[by], categories=cats)
        t["total"] = t.groupby("period_start")["n"].transform("sum")
    else:
        counts = start.value_counts().sort_index()
        t = pd.DataFrame({"period_start": counts.index.astype(int), "n": counts.to_numpy()})
        t["total"] = t["n"]
    if t.empty:
        warnings.warn("over_time: no rows with a usable date; empty table", stacklevel=2)
    t = t.sort_values(["period_start"] + ([by] if by else []), kind="stable")
    t["n"] = t["n"].astype("int64")
    t["total"] = t["total"].astype("int64")
    t.insert(0, "period", [str(s) if width == 1 else f"{s}-{s + width - 1}"
                           for s in t["period_start"]])
    tot = t["total"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        t["proportion"] = np.where(tot > 0, t["n"] / np.maximum(tot, 1), np.nan)
    lo, hi = proportion_confint(t["n"].to_numpy(), np.maximum(tot, 1), alpha=alpha,
                                method="wilson")
    t["proportion_lower"] = np.where(tot > 0, lo, np.nan)
    t["proportion_upper"] = np.where(tot > 0, hi, np.nan)
    if denominator is not None:
        d = _denominator_frame(denominator, by)
        d["period_start"] = (np.floor(d["year"] / width) * width).astype(int)
        keys = ["period_start"] + ([by] if by and by in d else [])
        d = d.groupby(keys, observed=True)["denominator"].sum().reset_index()
        if len(keys) == 2:
            d[by] = pd.Categorical(d[by], categories=t[by].cat.categories)
        t = t.merge(d, on=keys, how="left")
        if t["denominator"].isna().any():
            warnings.warn("over_time: some periods have no denominator; their rate is NaN",
                          stacklevel=2)
        n = t["n"].to_numpy(float)
        den = t["denominator"].to_numpy(float)
        ok = den > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            t["rate"] = np.where(ok, n / den, np.nan)
            lower, upper = poisson_exact_ci(n, np.where(ok, den, 1.0), alpha)
            t["rate_lower"] = np.where(ok, lower, np.nan)
            t["rate_upper"] = np.where(ok, upper, np.nan)
    t = t.reset_index(drop=True)
    if by is None:  # a share of itself: always 1
        t = t.drop(columns=["proportion", "proportion_lower", "proportion_upper"])
    if suppress:
        t = _suppress_with_derived(t, ["n", "total"], grouped=by is not None)
        notes.append(f"Counts below {t.attrs.get('suppression_threshold', 5)} suppressed "
                     "with their proportions and rates; '*' marks a count hidden so that a "
                     "small one cannot be recovered from the period total "
                     "(suppress=False to opt out).")
    return TrendResult(table=t, method=f"Counts per {unit}", notes=notes,
                       extra={"by": by, "setting": setting, "width": width,
                              "icd9_hospital_start": icd9_hospital_start})


def _suppress_with_derived(t: pd.DataFrame, count_cols: list[str], grouped: bool
                           ) -> pd.DataFrame:
    out = _suppress(t, count_cols)

    def hidden_in(col: str) -> np.ndarray:
        shown = pd.to_numeric(out[col].astype(str).str.replace(",", ""), errors="coerce")
        return (shown.isna() & t[col].notna()).to_numpy()

    hidden = np.zeros(len(t), dtype=bool)
    for c in count_cols:
        hidden |= hidden_in(c)
    if grouped:
        # complementary suppression: a period's shown total minus its shown cells must not
        # give away a single hidden cell, so hide the period's next smallest count too
        n = t["n"].to_numpy()
        cell_hidden = hidden_in("n")
        for _, pos in t.groupby("period_start", sort=False).indices.items():
            h = cell_hidden[pos]
            if h.sum() == 1 and not hidden_in("total")[pos].any():
                free = [i for i in pos if not cell_hidden[i] and n[i] > 0]
                if free:
                    j = min(free, key=lambda i: n[i])
                    out.loc[out.index[j], "n"] = "*"
                    hidden[j] = True
    derived = [c for c in t.columns if c.startswith(("proportion", "rate"))]
    out.loc[hidden, derived] = np.nan
    out.attrs["complementary_cells"] = int(
        (out["n"].astype(str) == "*").sum()) if grouped else 0
    return out
