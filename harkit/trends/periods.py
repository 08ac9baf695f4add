"""Counts, proportions and rates per calendar period (:func:`over_time`)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from harkit import _disclosure as dc
from harkit import privacy
from harkit.icd.causes import check_cause_column
from harkit.plot import axes as _axes
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
        t = self.table
        by = self.extra.get("by")
        if y is None:
            y = "rate" if "rate" in t else ("proportion" if by else "n")
        ax = _axes(ax, (8, 4))
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
    threshold: int | None = None,
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
        Show the counts through the disclosure-control policy (:mod:`harkit.privacy`):
        with ``by``, each period's groups and its total are a row of a cross-table with
        secondary suppression, so no hidden count follows from the total; proportions
        and rates of hidden counts (and proportions of a hidden total) are blanked, and
        under a rounding policy they are computed from the rounded counts.
        ``suppress=False`` shows everything exactly.
    setting : {"hospital", "death"}
        Revision periods drawn by :meth:`TrendResult.plot`. When ``by`` holds cause groups,
        a :class:`~harkit.icd.DefinitionChangeWarning` (and a note) names every group whose
        definition changes inside the years covered.
    icd9_hospital_start : int, default 1987
        First year of ICD-9 in hospitals.
    alpha : float, default 0.05
        1 - confidence level.
    threshold : int, optional
        Smallest count shown; default the policy in force.

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
        notes += check_cause_column(df.loc[keep, by], year[keep], setting=setting)
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
        t = _shown(t, by, alpha, threshold)
        notes.append(dc.policy_note(threshold, secondary=by is not None, extra=(
            "Proportions and rates of hidden counts are left out.")))
    return TrendResult(table=t, method=f"Counts per {unit}", notes=notes,
                       extra={"by": by, "setting": setting, "width": width,
                              "icd9_hospital_start": icd9_hospital_start})


def _shown(t: pd.DataFrame, by: str | None, alpha: float,
           threshold: int | None) -> pd.DataFrame:
    """The counts through the policy, with the values derived from hidden counts blanked."""
    if by is None:
        out = dc.suppress_table(t, ["n", "total"], threshold=threshold)
        hidden_n = dc.hidden_cells(out["n"], t["n"])
        hidden_total = hidden_n
    else:
        out = _suppress_grouped(t, by, threshold)
        hidden_n = dc.hidden_cells(out["n"], t["n"])
        hidden_total = dc.hidden_cells(out["total"], t["total"])
    if dc.policy_for(threshold).round_to:
        out = _derived_from_rounded(out, alpha)
    rates = [c for c in t.columns if c.startswith("rate")]
    props = [c for c in t.columns if c.startswith("proportion")]
    out.loc[hidden_n, rates + props] = np.nan
    out.loc[hidden_total, props] = np.nan  # n over a hidden total gives the total back
    out.attrs["complementary_cells"] = int(out.attrs.get("secondary_cells", 0))
    return out


def _suppress_grouped(t: pd.DataFrame, by: str, threshold: int | None) -> pd.DataFrame:
    """Each period as a row of groups with its total (secondary suppression)."""
    # names, not codes: a warning about an unprotected cell names the period and group
    labels = t[by].astype(str).to_numpy(dtype=object)
    group_key = by if by not in ("period", "n") else "group"
    total_label = next(x for x in ("Total", "All periods' total", "__total__")
                       if x not in set(labels))
    first = ~t["period_start"].duplicated().to_numpy()
    long = pd.DataFrame({
        "period": [int(p) for p in np.concatenate([t["period_start"],
                                                   t.loc[first, "period_start"]])],
        group_key: np.concatenate([labels, np.full(int(first.sum()), total_label,
                                                   dtype=object)]),
        "n": np.concatenate([t["n"], t.loc[first, "total"]]).astype("int64")})
    shown = privacy.suppress(long, ["n"], rows="period", cols=group_key,
                             threshold=threshold, total=total_label)
    out = t.copy()
    out["n"] = shown["n"].to_numpy()[: len(t)]
    totals = dict(zip(long["period"].to_numpy()[len(t):], shown["n"].to_numpy()[len(t):]))
    out["total"] = out["period_start"].map(totals).astype(object)
    out.attrs.update(shown.attrs)
    return out


def _derived_from_rounded(out: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Proportions and rates of the rounded counts: exact ones would give the exact counts
    behind the rounded ones back."""
    from statsmodels.stats.proportion import proportion_confint

    n = dc.shown_number(out["n"]).to_numpy(float)
    tot = dc.shown_number(out["total"]).to_numpy(float)
    if "proportion" in out:
        ok = np.isfinite(n) & np.isfinite(tot) & (tot > 0)
        lo, hi = proportion_confint(np.where(ok, n, 0), np.where(ok, tot, 1), alpha=alpha,
                                    method="wilson")
        out["proportion"] = np.where(ok, n / np.where(ok, tot, 1), np.nan)
        out["proportion_lower"] = np.where(ok, lo, np.nan)
        out["proportion_upper"] = np.where(ok, hi, np.nan)
    if "rate" in out:
        den = out["denominator"].to_numpy(float)
        ok = np.isfinite(n) & (den > 0)
        lower, upper = poisson_exact_ci(np.where(ok, n, 0), np.where(ok, den, 1.0), alpha)
        out["rate"] = np.where(ok, n / np.where(ok, den, 1.0), np.nan)
        out["rate_lower"] = np.where(ok, lower, np.nan)
        out["rate_upper"] = np.where(ok, upper, np.nan)
    return out
