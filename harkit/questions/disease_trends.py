"""How has the disease picture changed over time? (notebook ``06_disease_over_time``)

The substance-use diagnoses of a register, harmonised across ICD-7 to ICD-10 and uncoded
text, counted by substance and period; level shifts at the ICD revision changeovers;
age-standardised shares among deaths; and the drug share by birth cohort. Everything here
assembles :mod:`harkit.icd`, :mod:`harkit.trends` and :mod:`harkit.compare`:

    sud = disease_trends.sud_diagnoses(ex.diagnoses)
    hk.trends.over_time(sud, "date", by="group", unit="5y").table
    disease_trends.revision_shifts(sud).table

Everyone in the Health Archive Register has died, so every series is a *share* (of
substance-use diagnoses, or of deaths), never a rate: there is no population at risk.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from harkit.icd.infer import revision_periods
from harkit.privacy import suppress as _suppress
from harkit.questions._common import quiet
from harkit.results import Result

__all__ = ["GROUP_ORDER", "SUBSTANCE_GROUPS", "RevisionShiftResult", "cohort_drug_share",
           "compare_shifts", "hide_small_points", "how_recorded", "planted_drug_share",
           "register_vs_truth", "revision_shifts", "standardised_share", "sud_diagnoses",
           "yearly_share"]

#: Harmonised substance (``codelists/substance.csv``) -> display group. Cocaine is shown
#: with the other stimulants (few diagnoses; the text lexicon groups them too); solvents
#: and hallucinogens are too rare to show alone.
SUBSTANCE_GROUPS: dict[str, str] = {
    "alcohol": "alcohol", "opioids": "opioids", "cocaine": "stimulants",
    "stimulants": "stimulants", "cannabis": "cannabis", "sedatives": "sedatives",
    "polydrug": "polydrug", "solvents": "other drugs", "hallucinogens": "other drugs"}

#: Order of the display groups in tables and figures.
GROUP_ORDER: tuple[str, ...] = ("alcohol", "opioids", "stimulants", "cannabis", "sedatives",
                                "polydrug", "other drugs")


def _revision_of(year: pd.Series, icd9_hospital_start: int) -> pd.Categorical:
    periods = revision_periods("hospital", icd9_hospital_start)
    out = pd.Series(pd.NA, index=year.index, dtype="object")
    for rev, (lo, hi) in periods.items():
        inside = year.notna()
        if lo is not None:
            inside &= year >= lo
        if hi is not None:
            inside &= year <= hi
        out[inside.fillna(False).astype(bool)] = rev
    return pd.Categorical(out, categories=list(periods))


def _hidden(col: pd.Series) -> np.ndarray:
    """Cells of a suppressed count column that show a marker instead of a number."""
    text = col.astype("string").str.replace(",", "", regex=False)
    return (pd.to_numeric(text, errors="coerce").isna() & col.notna()).to_numpy()


def _suppress_share(t: pd.DataFrame, event: str, total: str, derived: Sequence[str]
                    ) -> pd.DataFrame:
    """Suppress ``event`` and ``total`` of a share table, protecting ``total - event`` too.

    The complement (persons without the event) is a cell of the same cross-table, so it
    takes part in secondary suppression; shares of hidden counts are blanked.
    """
    d = t.copy()
    d["_others"] = d[total] - d[event]
    shown = _suppress(d, [event, "_others", total], secondary=True, total=total)
    hidden = _hidden(shown[event]) | _hidden(shown[total]) | _hidden(shown["_others"])
    shown.loc[hidden, list(derived)] = np.nan
    return shown.drop(columns="_others")


def sud_diagnoses(
    diagnoses: pd.DataFrame,
    *,
    truth: pd.DataFrame | None = None,
    years: tuple[int | None, int | None] = (1950, None),
    exclude: Sequence[str] = ("tobacco",),
    icd9_hospital_start: int = 1987,
    codelists: Any = None,
) -> pd.DataFrame:
    """One row per substance-use diagnosis, with its year, revision and substance group.

    A substance-use diagnosis is one whose harmonised ``substance``
    (``harkit/codelists/substance.csv`` for codes of every revision, the Norwegian text
    rules for uncoded texts) is set and not in ``exclude``: the definition of
    :func:`harkit.cohort.build`.

    Parameters
    ----------
    diagnoses : pandas.DataFrame
        The ``diagnoses`` table of an extract, harmonised or not (it is passed through
        :func:`harkit.icd.harmonise` when it has no ``substance`` column).
    truth : pandas.DataFrame, optional
        Per-diagnosis truth of a synthetic register (``truth.diagnoses``: ``diagnosis_id``
        and the true ``substance``). When given, the true substance replaces the
        harmonised one, so the same analysis can be run on what the generator planted.
    years : (int or None, int or None), default (1950, None)
        First and last calendar year of diagnosis kept (None: open). The archive window
        starts in 1950; earlier diagnoses belong to persons who died after 1950 and are
        few and mostly uncoded.
    exclude : sequence of str, default ("tobacco",)
        Harmonised substances that do not make a substance-use diagnosis.
    icd9_hospital_start : int, default 1987
        First year of ICD-9 in hospitals (the ``revision`` column).
    codelists : optional
        Passed to :func:`harkit.icd.harmonise`.

    Returns
    -------
    pandas.DataFrame
        ``diagnosis_id``, ``person_id``, ``date``, ``year``, ``revision`` (in force at the
        date, hospital setting), ``code_system``, ``coded`` (False for uncoded text),
        ``substance``, ``group`` (:data:`SUBSTANCE_GROUPS`, categorical in
        :data:`GROUP_ORDER`) and ``drug`` (``alcohol`` or ``drugs``). ``attrs`` holds
        ``source`` (``"register"`` or ``"truth"``) and ``dropped_no_date``.
    """
    from harkit.icd import harmonise

    dx = diagnoses
    if "substance" not in dx.columns:
        dx = harmonise(dx, codelists=codelists, icd9_hospital_start=icd9_hospital_start)
    source = "register"
    substance = dx["substance"].astype("object")
    if truth is not None:
        if "diagnosis_id" not in truth or "substance" not in truth:
            raise ValueError("truth needs columns 'diagnosis_id' and 'substance'")
        true = truth.drop_duplicates("diagnosis_id").set_index("diagnosis_id")["substance"]
        substance = dx["diagnosis_id"].map(true).astype("object")
        source = "truth"
    substance = substance.where(pd.notna(substance), None)
    keep = substance.notna() & ~substance.isin(list(exclude))
    d = dx.loc[keep]
    out = pd.DataFrame({
        "diagnosis_id": d["diagnosis_id"].to_numpy(),
        "person_id": d["person_id"].to_numpy(),
        "date": pd.to_datetime(d["date"]).to_numpy(),
        "code_system": d["code_system"].astype("string").fillna("missing").to_numpy(),
        "substance": substance[keep].astype(str).to_numpy(),
    })
    out["coded"] = ~out["code_system"].isin(["none", "missing"])
    out["year"] = out["date"].dt.year.astype("Int64")
    n_no_date = int(out["year"].isna().sum())
    lo, hi = years
    inside = out["year"].notna()
    if lo is not None:
        inside &= out["year"] >= lo
    if hi is not None:
        inside &= out["year"] <= hi
    out = out.loc[inside.fillna(False).astype(bool)].reset_index(drop=True)
    out["year"] = out["year"].astype("int64")
    out["revision"] = _revision_of(out["year"], icd9_hospital_start)
    groups = out["substance"].map(SUBSTANCE_GROUPS)
    unknown = sorted(set(out.loc[groups.isna(), "substance"]))
    if unknown:
        warnings.warn(f"sud_diagnoses: substances {unknown} have no display group; shown "
                      "as 'other drugs'", stacklevel=2)
        groups = groups.fillna("other drugs")
    out["group"] = pd.Categorical(groups, categories=list(GROUP_ORDER))
    out["drug"] = pd.Categorical(np.where(out["group"] == "alcohol", "alcohol", "drugs"),
                                 categories=["alcohol", "drugs"])
    cols = ["diagnosis_id", "person_id", "date", "year", "revision", "code_system", "coded",
            "substance", "group", "drug"]
    out = out[cols]
    out.attrs.update(source=source, dropped_no_date=n_no_date)
    return out


def how_recorded(sud: pd.DataFrame, *, width: int = 10, suppress: bool = True
                 ) -> pd.DataFrame:
    """Substance-use diagnoses per period by code system, and the share found in free text.

    Parameters
    ----------
    sud : pandas.DataFrame
        From :func:`sud_diagnoses`.
    width : int, default 10
        Period length in years (periods start at multiples of ``width``).
    suppress : bool, default True
        Pass the counts through :func:`harkit.privacy.suppress` (secondary suppression
        against the ``total`` column; the text share is hidden with its count).

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period``, one count column per code system present
        (``ICD-7`` ... ``ICD-10``, ``none`` = uncoded text mapped by the text rules,
        ``missing``), ``total`` and ``text_percent`` (percent of the period's
        substance-use diagnoses known only from uncoded text).
    """
    start = (sud["year"] // width * width).astype(int)
    label = [f"{s}-{s + width - 1}" for s in start]
    order = [c for c in ("ICD-6", "ICD-7", "ICD-8", "ICD-9", "ICD-10", "none", "missing")
             if c in set(sud["code_system"])]
    order += sorted(set(sud["code_system"]) - set(order))
    tab = pd.crosstab(pd.Series(label, name="period"), sud["code_system"].to_numpy())
    tab = tab.reindex(columns=order, fill_value=0)
    tab.columns.name = None
    tab["total"] = tab.sum(axis=1)
    text = tab["none"] if "none" in tab else pd.Series(0, index=tab.index)
    tab["text_percent"] = (100 * text / tab["total"]).round(1)
    tab = tab.reset_index()
    if suppress:
        hidden_pct = tab["text_percent"].copy()
        tab = _suppress(tab, [*order, "total"], secondary=True, total="total")
        hide = _hidden(tab["total"]) | (_hidden(tab["none"]) if "none" in tab else False)
        tab["text_percent"] = hidden_pct.where(~hide)
    return tab


def yearly_share(sud: pd.DataFrame, category: str, *, column: str = "group",
                 years: tuple[int, int] | None = None) -> pd.DataFrame:
    """Yearly count of one category and of all substance-use diagnoses (for modelling).

    Parameters
    ----------
    sud : pandas.DataFrame
        From :func:`sud_diagnoses`.
    category : str
        A value of ``column`` (``"opioids"``, or ``"drugs"`` with ``column="drug"``).
    column : str, default "group"
        Column holding the category.
    years : (int, int), optional
        First and last year of the series; every year in between gets a row (years
        without any diagnosis have ``total = 0``). Default: the years in ``sud``.

    Returns
    -------
    pandas.DataFrame
        ``year``, ``n``, ``total``, ``proportion``. Not suppressed: meant for
        :func:`harkit.trends.revision_breaks` and :func:`harkit.trends.joinpoint`, not for
        display.
    """
    if column not in sud:
        raise ValueError(f"column {column!r} not in data")
    if years is None:
        years = (int(sud["year"].min()), int(sud["year"].max()))
    idx = pd.RangeIndex(years[0], years[1] + 1, name="year")
    total = sud.groupby("year").size().reindex(idx, fill_value=0)
    hit = (sud[column].astype("object") == category).to_numpy()
    n = sud.loc[hit].groupby("year").size().reindex(idx, fill_value=0)
    out = pd.DataFrame({"n": n.astype("int64"), "total": total.astype("int64")}).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["proportion"] = np.where(out["total"] > 0, out["n"] / out["total"].clip(lower=1),
                                     np.nan)
    return out


class RevisionShiftResult(Result):
    """Level shifts at the ICD changeovers per category, from :func:`revision_shifts`.

    ``extra["fits"]`` maps each category to its
    :class:`harkit.trends.RevisionBreakResult`.
    """

    def plot(self, ax: Any = None, category: str | None = None) -> Any:
        """Draw one category's series, its fits with and without shifts, and revision bands.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
        category : str, optional
            Default: the first category.

        Returns
        -------
        matplotlib.axes.Axes
        """
        fits = self.extra["fits"]
        name = category if category is not None else next(iter(fits))
        ax = hide_small_points(fits[name], self.extra["series"][name]).plot(ax=ax)
        ax.set_title(f"{name}: share of substance-use diagnoses", fontsize=10)
        return ax


def revision_shifts(
    sud: pd.DataFrame,
    categories: Sequence[str] | None = None,
    *,
    column: str = "group",
    trend: str | int = 4,
    scale: str | None = "X2",
    icd9_hospital_start: int = 1987,
    min_events: int = 5,
    alpha: float = 0.05,
) -> RevisionShiftResult:
    """Odds ratio of each category's share at each ICD changeover, beyond a smooth trend.

    For each category, the yearly share of substance-use diagnoses it makes up is fitted
    with :func:`harkit.trends.revision_breaks` (binomial, the year's substance-use
    diagnoses as trials): ``logit p_t = f(t) + sum_k g_k [t >= c_k]``. ``exp(g_k)`` is
    the jump of the share's odds at changeover ``c_k`` (hospital setting: ICD-8 1969,
    ICD-9 ``icd9_hospital_start``, ICD-10 1999) beyond the trend: a coding artefact
    candidate, or a real change in the same year.

    Parameters
    ----------
    sud : pandas.DataFrame
        From :func:`sud_diagnoses`.
    categories : sequence of str, optional
        Values of ``column``; default every category with at least ``min_events``
        diagnoses on both sides of some changeover.
    column : str, default "group"
    trend : "linear" or int, default 4
        The smooth trend: a natural cubic spline with this many degrees of freedom (the
        substance mix changes by birth cohort, far from log-linearly), or ``"linear"``.
    scale : {"X2", None}, default "X2"
        Quasi-binomial intervals: several diagnoses of one person fall in the same years,
        so the counts are overdispersed.
    icd9_hospital_start : int, default 1987
    min_events : int, default 5
        Categories with fewer diagnoses before the first or after the last changeover
        inside the data are left out by default (their shifts are not estimable; with
        few diagnoses the intervals are wide, not wrong).
    alpha : float, default 0.05

    Returns
    -------
    RevisionShiftResult
        ``table``: ``category``, ``changeover``, ``year``, ``odds_ratio``, ``lower``,
        ``upper``, ``p_value`` and ``se_log`` (standard error of the log odds ratio), one
        row per category and changeover.
    """
    from harkit.trends import revision_breaks

    years = (int(sud["year"].min()), int(sud["year"].max()))
    periods = revision_periods("hospital", icd9_hospital_start)
    starts = [lo for rev, (lo, _) in periods.items() if rev != "ICD-7" and lo is not None]
    inside = [c for c in starts if years[0] < c <= years[1]]
    if categories is None:
        cats = (list(sud[column].cat.categories)
                if isinstance(sud[column].dtype, pd.CategoricalDtype)
                else sorted(sud[column].dropna().unique(), key=str))
        categories = []
        for c in cats:
            yr = sud.loc[sud[column].astype("object") == c, "year"]
            if inside and (yr < inside[0]).sum() >= min_events and \
                    (yr >= inside[-1]).sum() >= min_events:
                categories.append(c)
        if not categories:
            warnings.warn("revision_shifts: no category has enough diagnoses on both sides "
                          "of the changeovers", stacklevel=2)
    rows, fits, series_of = [], {}, {}
    z = float(stats.norm.ppf(1 - alpha / 2))
    for c in categories:
        series = yearly_share(sud, c, column=column, years=years)
        series = series[series["total"] > 0]
        with quiet():
            fit = revision_breaks(series, time="year", count="n", total="total",
                                  family="binomial", setting="hospital", trend=trend,
                                  scale=scale, icd9_hospital_start=icd9_hospital_start,
                                  alpha=alpha)
        fits[c] = fit
        series_of[c] = series
        for r in fit.table[fit.table["term"].str.startswith("shift")].itertuples():
            se = (np.log(r.upper) - np.log(r.lower)) / (2 * z) if r.upper > 0 else np.nan
            rows.append({"category": c, "changeover": r.term.removeprefix("shift "),
                         "year": int(r.changeover_year), "odds_ratio": r.estimate,
                         "lower": r.lower, "upper": r.upper, "p_value": r.p_value,
                         "se_log": se})
    table = pd.DataFrame(rows, columns=["category", "changeover", "year", "odds_ratio",
                                        "lower", "upper", "p_value", "se_log"])
    notes = [
        "Binomial GLM per category: share of substance-use diagnoses, smooth trend "
        f"({'linear' if trend == 'linear' else f'natural spline, {trend} df'}) plus a level "
        "shift at each ICD changeover" + (" (quasi-binomial CIs)." if scale else "."),
        "A shift is a coding artefact candidate or a real change in the same year; the "
        "two cannot be told apart from the series alone.",
        "Decedents-only register: shares of diagnoses, not rates.",
    ]
    return RevisionShiftResult(table=table, method="Level shifts at ICD changeovers",
                               notes=notes, extra={"fits": fits, "series": series_of,
                                                   "column": column})


def hide_small_points(result: Result, series: pd.DataFrame, *, time: str = "year",
                      count: str = "n", total: str = "total",
                      threshold: int | None = None) -> Result:
    """A copy of a trend fit whose plot leaves out the points of small yearly counts.

    :func:`harkit.trends.revision_breaks` and :func:`harkit.trends.joinpoint` already show
    their observed series this way by default; this applies the same rule
    (:func:`harkit._disclosure.plotted_ratio`: a share whose count, or whose complement
    ``total - count``, would be hidden is blanked) to a fit made with ``suppress=False``.

    Parameters
    ----------
    result : RevisionBreakResult or JoinpointResult
        With ``extra["fitted"]`` holding ``time`` and ``observed``.
    series : pandas.DataFrame
        The yearly counts the result was fitted to.
    time, count, total : str
        Columns of ``series``; ``total=None`` checks the count only.
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    Result
        A shallow copy with ``extra["fitted"]["observed"]`` blanked where small and
        ``extra["hidden_points"]`` their number.
    """
    import copy

    from harkit import _disclosure as dc

    y = series[count].to_numpy(float)
    shown = (dc.plotted_ratio(y, series[total].to_numpy(float), threshold, complement=True)
             if total is not None else dc.plotted_counts(y, threshold))
    hide = set(series.loc[np.isnan(shown) & ~np.isnan(y), time].astype(float))
    out = copy.copy(result)
    out.extra = dict(result.extra)
    fitted = result.extra["fitted"].copy()
    if len(fitted):
        mask = fitted["time"].astype(float).isin(hide)
        fitted.loc[mask, "observed"] = np.nan
        out.extra["hidden_points"] = int(mask.sum())
    out.extra["fitted"] = fitted
    return out
def register_vs_truth(sud: pd.DataFrame, sud_truth: pd.DataFrame, *,
                      years: tuple[int | None, int | None] = (None, None),
                      column: str = "group", suppress: bool = True) -> pd.DataFrame:
    """Substance-use diagnoses per group as the register codes them and as they truly are.

    Parameters
    ----------
    sud, sud_truth : pandas.DataFrame
        :func:`sud_diagnoses` without and with ``truth=``.
    years : (int or None, int or None)
        Calendar years of diagnosis to include (None: open).
    column : str, default "group"
    suppress : bool, default True
        Counts through :func:`harkit.privacy.suppress`.

    Returns
    -------
    pandas.DataFrame
        Index: the groups; columns ``register`` and ``truth`` (diagnoses of the group in
        each) and ``ratio`` = register / truth (blank where a count is hidden).
    """
    def count(d: pd.DataFrame) -> pd.Series:
        lo, hi = years
        keep = pd.Series(True, index=d.index)
        if lo is not None:
            keep &= d["year"] >= lo
        if hi is not None:
            keep &= d["year"] <= hi
        return d.loc[keep, column].astype("object").value_counts()

    order = list(GROUP_ORDER)
    reg, tru = count(sud), count(sud_truth)
    order += sorted((set(reg.index) | set(tru.index)) - set(order))
    tab = pd.DataFrame({"register": reg, "truth": tru}).reindex(order).fillna(0)
    tab = tab.astype("int64")
    tab = tab[(tab["register"] > 0) | (tab["truth"] > 0)]
    tab.index.name = column
    with np.errstate(invalid="ignore", divide="ignore"):
        tab["ratio"] = (tab["register"] / tab["truth"].where(tab["truth"] > 0)).round(2)
    if suppress:
        ratio = tab["ratio"].copy()
        tab = _suppress(tab, ["register", "truth"])
        tab["ratio"] = ratio.where(~(_hidden(tab["register"]) | _hidden(tab["truth"])))
    return tab


def compare_shifts(register: pd.DataFrame | Result, truth: pd.DataFrame | Result
                   ) -> pd.DataFrame:
    """Put the register's level shifts next to those of the true series.

    Parameters
    ----------
    register, truth : pandas.DataFrame or RevisionShiftResult
        :func:`revision_shifts` of :func:`sud_diagnoses` without and with ``truth=``.

    Returns
    -------
    pandas.DataFrame
        ``category``, ``changeover``, ``year``, ``or_register`` (with ``lower``,
        ``upper``), ``or_truth``, ``ratio`` = ``or_register / or_truth`` (the part of the
        jump due to how codes map to substances) and ``z`` = the log ratio over the
        register's standard error.
    """
    r = register.table if isinstance(register, Result) else register
    t = truth.table if isinstance(truth, Result) else truth
    m = r.merge(t[["category", "changeover", "odds_ratio"]].rename(
        columns={"odds_ratio": "or_truth"}), on=["category", "changeover"], how="left")
    m = m.rename(columns={"odds_ratio": "or_register"})
    m["ratio"] = m["or_register"] / m["or_truth"]
    m["z"] = np.log(m["ratio"]) / m["se_log"]
    return m[["category", "changeover", "year", "or_register", "lower", "upper", "or_truth",
              "ratio", "z"]]


def standardised_share(
    persons: pd.DataFrame,
    event: str,
    *,
    by: str | Sequence[str] = "death_period",
    age: str = "age_at_death",
    bands: Sequence[float] = (15, 30, 45, 60, 75),
    standard: Mapping[float, float] | None = None,
    per: float = 100,
    suppress: bool = True,
) -> Result:
    """Crude and directly age-standardised share of persons with ``event``, per group.

    Among the deaths of each group (e.g. death period), the share with the event in each
    age-at-death band is weighted by a standard age distribution
    (:func:`harkit.compare.standardise`, Fay-Feuer intervals). A decedents-only register
    has no population at risk: this standardises a proportion *among deaths*, removing
    differences in the age at death of the groups (which the archive window shapes:
    early periods hold no deaths of late birth cohorts), not a mortality rate.

    Parameters
    ----------
    persons : pandas.DataFrame
        One row per person (the cohort table, restricted as the question needs).
    event : str
        Boolean column: the event whose share is standardised.
    by : str or sequence of str, default "death_period"
        Group columns.
    age : str, default "age_at_death"
    bands : sequence of float, default (15, 30, 45, 60, 75)
        Lower bounds of the age bands; the last is open. Persons below the first bound
        are left out (with a warning).
    standard : mapping, optional
        Weights keyed by each band's lower bound. Default: the internal standard, the age
        distribution of all persons in ``persons`` (pooled over the groups).
    per : float, default 100
        Scale of the shares (100: percent).
    suppress : bool, default True
        Suppress ``events`` and ``deaths`` (counts); shares of a hidden count are blanked.

    Returns
    -------
    harkit.results.Result
        ``table``: the group columns, ``events``, ``deaths``, ``crude``, ``standardised``,
        ``lower``, ``upper``. ``extra["standard"]`` holds the weights and
        ``extra["result"]`` the :class:`harkit.compare.StandardisedResult`.
    """
    from harkit.compare import standardise

    by_cols = [by] if isinstance(by, str) else list(by)
    for c in [event, age, *by_cols]:
        if c not in persons:
            raise ValueError(f"column {c!r} not in data")
    lows = np.asarray(sorted(bands), dtype=float)
    a = persons[age].to_numpy(dtype=float)
    pos = np.searchsorted(lows, a, side="right") - 1
    ok = (pos >= 0) & np.isfinite(a)
    if (~ok).any():
        warnings.warn(f"standardised_share: {int((~ok).sum())} persons below age {lows[0]:g} "
                      "or without age left out", stacklevel=2)
    d = persons.loc[ok, by_cols].copy()
    d["band"] = lows[pos[ok]]
    d["events"] = persons.loc[ok, event].astype(bool).to_numpy().astype(int)
    d["deaths"] = 1
    counts = d.groupby([*by_cols, "band"], observed=True)[["events", "deaths"]].sum()
    counts = counts.reset_index()
    if standard is None:
        weights = counts.groupby("band")["deaths"].sum()
        weights = (weights / weights.sum()).to_dict()
    else:
        weights = dict(standard)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*weights renormalised.*")
        res = standardise(counts, rate_or_events="events", denominator="deaths", age="band",
                          by=by_cols, standard=weights, kind="proportion", per=per,
                          suppress=False)
    t = res.table.rename(columns={"denominator": "deaths", "crude_rate": "crude",
                                  "std_rate": "standardised"})
    t = t[[*by_cols, "events", "deaths", "crude", "standardised", "lower", "upper"]].copy()
    t[["events", "deaths"]] = t[["events", "deaths"]].astype("int64")
    t = t.sort_values(by_cols, kind="stable").reset_index(drop=True)
    if suppress:
        t = _suppress_share(t, "events", "deaths", ["crude", "standardised", "lower", "upper"])
    notes = list(res.notes) + [
        "Internal standard: the age-at-death distribution of all persons shown."
        if standard is None else "Standard: user weights."]
    return Result(table=t, method="Directly age-standardised share among deaths", notes=notes,
                  extra={"standard": pd.Series(weights, name="weight"), "result": res})


def planted_drug_share(birth_year: Any, spec: Mapping[str, float]) -> np.ndarray:
    """The generator's share of drug users among substance-use lives by birth year.

    Parameters
    ----------
    birth_year : array-like
        Integer birth years.
    spec : mapping
        ``truth.prevalences["drug_share_by_cohort"]``: ``early`` (share before ``start``),
        ``start``, ``full`` (first cohort at ``full_share``) and ``full_share``; the share
        rises linearly in between.

    Returns
    -------
    numpy.ndarray
    """
    b = np.asarray(birth_year, dtype=float)
    a, full = float(spec["start"]), float(spec["full"])
    t = np.clip((b - a) / (full - a), 0, 1)
    share = spec["early"] + t * (spec["full_share"] - spec["early"])
    return np.where(b < a, spec["early"], share)


def cohort_drug_share(
    cohort: pd.DataFrame,
    *,
    width: int = 5,
    first: int | None = 1900,
    last: int | None = 1965,
    planted: Mapping[str, float] | None = None,
    drug: str | pd.Series | None = None,
    suppress: bool = True,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Share of persons with a substance-use diagnosis whose main substance is a drug.

    By birth cohort, among the persons of :func:`harkit.cohort.build` with
    ``sud_group != "none"``. In a decedents-only register this is the share among those
    who *died inside the archive window*: for late cohorts only early deaths are seen, and
    drug users die younger, so the share overstates the share among all users of those
    cohorts (right truncation); early cohorts are seen only at old ages.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build`.
    width : int, default 5
        Cohort width in years.
    first : int, optional, default 1900
        Persons born before this year are pooled into the first cohort row.
    last : int, optional, default 1965
        Persons born in or after this year are pooled into the last row (few persons of
        late cohorts died inside the window).
    planted : mapping, optional
        ``truth.prevalences["drug_share_by_cohort"]`` of a synthetic register: adds
        ``planted``, the generator's share among all lives born in the persons' birth years
        (averaged over the persons of the cohort).
    drug : str or pandas.Series, optional
        Boolean column (or Series aligned with ``cohort``) marking drug persons instead of
        ``sud_group == "other_sud"``, e.g. the true group of a synthetic register.
    suppress : bool, default True
        Suppress ``persons`` and ``drug_persons``; shares of a hidden count are blanked.
    alpha : float, default 0.05
        For the Wilson interval of the share.

    Returns
    -------
    pandas.DataFrame
        ``birth_cohort``, ``persons``, ``drug_persons``, ``share``, ``lower``, ``upper``
        (and ``planted``).
    """
    from statsmodels.stats.proportion import proportion_confint

    sud = cohort["sud_group"].astype("object") != "none"
    sud &= cohort["sud_group"].notna()
    if drug is None:
        is_drug = cohort["sud_group"].astype("object") == "other_sud"
    else:
        is_drug = cohort[drug] if isinstance(drug, str) else drug
        is_drug = pd.Series(np.asarray(is_drug, dtype=bool), index=cohort.index)
    d = pd.DataFrame({"birth_year": cohort.loc[sud, "birth_year"].astype(float),
                      "drug": is_drug[sud].astype(bool)}).dropna()
    start = (d["birth_year"] // width * width).astype(int)
    if first is not None:
        start = start.clip(lower=first - width)
    if last is not None:
        start = start.clip(upper=last)
    d["start"] = start

    def label(s: int) -> str:
        if first is not None and s < first:
            return f"<{first}"
        if last is not None and s >= last:
            return f"{last}+"
        return f"{s}-{s + width - 1}"

    g = d.groupby("start")
    t = pd.DataFrame({"persons": g.size(), "drug_persons": g["drug"].sum().astype("int64")})
    t.index = [label(s) for s in t.index]
    t.index.name = "birth_cohort"
    t["share"] = t["drug_persons"] / t["persons"]
    lo, hi = proportion_confint(t["drug_persons"], t["persons"], alpha=alpha, method="wilson")
    t["lower"], t["upper"] = np.asarray(lo), np.asarray(hi)
    if planted is not None:
        t["planted"] = g["birth_year"].apply(
            lambda b: float(planted_drug_share(b.astype(int), planted).mean())).to_numpy()
    t = t.reset_index()
    if suppress:
        t = _suppress_share(t, "drug_persons", "persons", ["share", "lower", "upper"])
    return t
