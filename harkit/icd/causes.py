"""Cause-of-death groups that mean the same across ICD-7 to ICD-10, and where they cannot.

Each group of ``cause_group.csv`` has one definition in words
(``cause_group_definitions.csv``) and a code set per revision. Where a revision cannot
express the definition, the list carries a documented bridge, and
``cause_group_changes.csv`` records every year at which the group's content still changes
(``kind = definition``) or at which coding practice changed but the definition absorbs it
(``kind = coding``, the Norwegian 2003 overdose coding change). Published comparability
ratios are given with their source where one exists.

An analysis whose years span a ``definition`` change of a group it uses gets a
:class:`DefinitionChangeWarning` naming the group and the years: :func:`harkit.icd.harmonise`
warns for causes of death, and :func:`check_definitions` is the check for any table of
years and groups (trend and comparison code calls it).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from harkit.icd.infer import REVISION_PERIODS

__all__ = ["DefinitionChangeWarning", "cause_group_definitions", "definition_changes",
           "check_definitions", "check_cause_column", "years_of", "level_shifts"]


class DefinitionChangeWarning(UserWarning):
    """An analysis spans a year at which a cause group's content changes."""


@cache
def _read(name: str) -> pd.DataFrame:
    with resources.as_file(resources.files("harkit.codelists").joinpath(name)) as p:
        return pd.read_csv(p, dtype=str, keep_default_na=False)


def cause_group_definitions() -> pd.DataFrame:
    """The definition in words of each cause-of-death group.

    Returns
    -------
    pandas.DataFrame
        Columns ``group``, ``definition`` and ``source``, one row per category of
        ``cause_group.csv``.
    """
    return _read("cause_group_definitions.csv").copy()


def definition_changes(start: int | None = None, end: int | None = None, *,
                       groups: Iterable[str] | None = None, setting: str = "death",
                       kind: str | None = None) -> pd.DataFrame:
    """Years at which cause groups change content or coding practice.

    Parameters
    ----------
    start, end : int, optional
        Keep changes an analysis of years ``start..end`` spans: a change in year ``y``
        separates ``y - 1`` from ``y``, so it is kept when ``start < y <= end``.
    groups : iterable of str, optional
        Keep these groups only.
    setting : {"death", "hospital"}, default "death"
        The changes are recorded for causes of death; for hospital diagnoses the revision
        years are shifted to the hospital changeovers (ICD-9 in 1987, ICD-10 in 1999).
    kind : {"definition", "coding"}, optional
        Keep one kind only.

    Returns
    -------
    pandas.DataFrame
        Columns ``group``, ``year`` (int), ``setting``, ``kind``, ``change``, ``bridge``,
        ``comparability_ratio`` (float, NaN where none is published), ``ratio_source`` and
        ``source``, sorted by year and group.
    """
    df = _read("cause_group_changes.csv").copy()
    df["year"] = df["year"].astype(int)
    df["comparability_ratio"] = pd.to_numeric(df["comparability_ratio"], errors="coerce")
    if setting not in REVISION_PERIODS:
        raise ValueError(f"setting must be one of {sorted(REVISION_PERIODS)}")
    if setting != "death":
        # a revision changeover moves to the hospital's year; a coding change stays put
        shift = {REVISION_PERIODS["death"][r][0]: REVISION_PERIODS[setting][r][0]
                 for r in ("ICD-8", "ICD-9", "ICD-10")}
        is_rev = df["kind"] == "definition"
        df.loc[is_rev, "year"] = df.loc[is_rev, "year"].map(lambda y: shift.get(y, y))
        df["setting"] = setting
    keep = np.ones(len(df), dtype=bool)
    if start is not None:
        keep &= (df["year"] > int(start)).to_numpy()
    if end is not None:
        keep &= (df["year"] <= int(end)).to_numpy()
    if groups is not None:
        keep &= df["group"].isin(list(groups)).to_numpy()
    if kind is not None:
        keep &= (df["kind"] == kind).to_numpy()
    return df[keep].sort_values(["year", "group"], kind="stable").reset_index(drop=True)


def check_definitions(years: Iterable[int] | pd.Series, groups: Iterable[str] | None = None,
                      *, setting: str = "death", stacklevel: int = 2) -> pd.DataFrame:
    """Warn when the years of an analysis span a change in a cause group's definition.

    Parameters
    ----------
    years : iterable of int or Series
        The calendar years the analysis covers (e.g. the death years of its rows); NA is
        ignored.
    groups : iterable of str, optional
        The cause groups the analysis uses; default every group.
    setting : {"death", "hospital"}, default "death"
        See :func:`definition_changes`.
    stacklevel : int, default 2
        Passed to :func:`warnings.warn`.

    Returns
    -------
    pandas.DataFrame
        The ``definition`` changes spanned (empty when none).

    Warns
    -----
    DefinitionChangeWarning
        Once, naming each group with the years at which it changes and the first and last
        year of the analysis.
    """
    y = pd.to_numeric(pd.Series(list(years) if not isinstance(years, pd.Series) else years),
                      errors="coerce").dropna()
    if y.empty:
        return definition_changes(0, 0)
    lo, hi = int(y.min()), int(y.max())
    wanted = None if groups is None else {str(g) for g in groups if not pd.isna(g)}
    spanned = definition_changes(lo, hi, groups=wanted, setting=setting, kind="definition")
    if not spanned.empty:
        per = spanned.groupby("group", sort=True)["year"].agg(
            lambda s: ", ".join(str(v) for v in sorted(set(s))))
        named = "; ".join(f"{g} at {yrs}" for g, yrs in per.items())
        warnings.warn(
            f"the analysis spans {lo}-{hi}, across changes in the definition of cause "
            f"groups: {named}. A level shift there may be a coding artefact; see "
            "harkit.icd.definition_changes() for what changes and the bridges.",
            DefinitionChangeWarning, stacklevel=stacklevel)
    return spanned


def check_cause_column(groups: Iterable[object] | pd.Series,
                       years: Iterable[int] | pd.Series | None,
                       *, setting: str = "death", stacklevel: int = 3) -> list[str]:
    """Check an analysis column that may hold cause groups; return notes for its result.

    The trend and comparison functions call this on their group or cause column. Nothing
    happens unless every value is a cause-group name (other groupings, such as substance
    or sex, are not cause groups) and years are known.

    Parameters
    ----------
    groups : iterable or Series
        The values of the group or cause column the analysis uses.
    years : iterable of int or Series, optional
        Calendar years of the analysis's rows; None skips the check.
    setting : {"death", "hospital"}, default "death"
        See :func:`definition_changes`.
    stacklevel : int, default 3
        Passed to :func:`warnings.warn` (3 points at the caller's caller).

    Returns
    -------
    list of str
        One note per definition change spanned (empty when none); a
        :class:`DefinitionChangeWarning` has been issued for them.
    """
    if years is None:
        return []
    values = {str(v) for v in pd.unique(pd.Series(list(groups) if not isinstance(groups, pd.Series)
                                                   else groups).dropna())}
    known = set(cause_group_definitions()["group"])
    if not values or not values <= known:
        return []
    spanned = check_definitions(years, values, setting=setting, stacklevel=stacklevel + 1)
    return [f"The definition of cause group {g} changes at {yrs}; a level shift there may be a "
            "coding artefact (harkit.icd.definition_changes())."
            for g, yrs in spanned.groupby("group", sort=True)["year"].agg(
                lambda s: ", ".join(str(v) for v in sorted(set(s)))).items()]


def years_of(table: pd.DataFrame) -> pd.Series | None:
    """Calendar years of a harmonised table's rows, from its dates, or None.

    Parameters
    ----------
    table : pandas.DataFrame
        A table with ``death_date``, ``date`` or ``death_year``.

    Returns
    -------
    pandas.Series or None
        Year per row (float, NaN where unknown), or None when the table has no date.
    """
    for col in ("death_date", "date"):
        if col in table.columns:
            return pd.to_datetime(table[col], errors="coerce").dt.year.astype(float)
    if "death_year" in table.columns:
        return pd.to_numeric(table["death_year"], errors="coerce").astype(float)
    return None


def revision_years(systems: Iterable[str], setting: str = "death") -> list[int]:
    """First and last year of the revisions present, for tables without dates."""
    periods = REVISION_PERIODS[setting]
    out: list[int] = []
    for s in set(systems):
        if s in periods:
            first, last = periods[s]
            out.extend(v for v in (first, last) if v is not None)
            if last is None:
                out.append(first)
    return out


def level_shifts(series: pd.DataFrame, years: Iterable[int], *, time: str = "year",
                 count: str = "n", total: str = "total", alpha: float = 0.05) -> pd.DataFrame:
    """Test a yearly share for level shifts at given years (coding changes, revisions).

    Fits the binomial GLM ``logit(count / total) = a + b * (year - first year) +
    sum_k g_k [year >= k]`` with statsmodels; ``exp(g_k)`` is the odds ratio of the share at
    year ``k`` beyond the linear trend. :func:`harkit.trends.revision_breaks` does this at
    the revision changeovers; this function takes any years, such as the 2003 Norwegian
    cause-of-death coding change.

    Parameters
    ----------
    series : pandas.DataFrame
        One row per year with the year, the count and the total (e.g. all deaths).
    years : iterable of int
        Years at which a shift is tested; each must have data on both sides.
    time, count, total : str
        Column names.
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per year: ``year``, ``odds_ratio``, ``ci_low``, ``ci_high``, ``p_value``.
        ``attrs["model"]`` holds the fitted statsmodels GLM.
    """
    import statsmodels.api as sm

    d = series[[time, count, total]].dropna().astype(float).sort_values(time)
    t = d[time].to_numpy()
    x = pd.DataFrame({"trend": t - t.min()}, index=d.index)
    for k in years:
        if not (t.min() < k <= t.max()):
            raise ValueError(f"year {k} has no data on both sides ({t.min():.0f}-{t.max():.0f})")
        x[f"shift_{k}"] = (t >= k).astype(float)
    y = np.column_stack([d[count].to_numpy(), (d[total] - d[count]).to_numpy()])
    fit = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial()).fit()
    ci = fit.conf_int(alpha)
    names = [f"shift_{k}" for k in years]
    out = pd.DataFrame({"year": [int(k) for k in years],
                        "odds_ratio": np.exp(fit.params[names].to_numpy()),
                        "ci_low": np.exp(ci.loc[names, 0].to_numpy()),
                        "ci_high": np.exp(ci.loc[names, 1].to_numpy()),
                        "p_value": fit.pvalues[names].to_numpy()})
    out.attrs["model"] = fit
    return out
