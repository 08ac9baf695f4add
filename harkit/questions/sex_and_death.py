"""Do women and men with substance-use disorders die at different ages, and of what?

The recipes behind ``notebooks/02_sex_age_at_death``. They assemble the answer from
:mod:`harkit.cohort`, :mod:`harkit.survival` and :mod:`harkit.privacy`:

* :func:`sud_cohort`: the cohort table of persons with a substance-use diagnosis who died
  inside the archive window, with ``entry_age`` = max(age at the window start, 15), a
  substance group fit for regression and wide birth cohorts;
* :func:`sex_gompertz`, :func:`sex_gompertz_by`: the window-conditional Gompertz model, whose
  male hazard ratio does not depend on which birth cohorts the window admits;
* :func:`pmr_by_sex`, :func:`mor_by_sex`, :func:`causes_by_sex`: what women and men die of,
  as proportional mortality and mortality odds ratios (no denominators needed);
* :func:`yll_by_sex`: years of life lost against the Norwegian population life tables;
* ``*_table`` functions: the same results as display tables with every count passed through
  :func:`harkit.privacy.suppress`, and every number that would reveal a hidden count
  hidden with it;
* :func:`planted_cause_pmr`: the PMR the synthetic register's cause model implies, to
  compare the estimates with (the register plants no sex hazard ratio: women and men live
  under the Norwegian life tables of their own sex; the population truth of the mean age
  at death by sex is in ``truth.estimands``).

Example::

    from harkit.questions import sex_and_death as sd
    sud = sd.sud_cohort(hk.datasets.load_fixture())
    sd.hazard_table(sd.sex_gompertz(sud))
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from harkit import _disclosure as dc
from harkit import cohort as _cohort
from harkit import privacy
from harkit import survival as _survival
from harkit.survival.mortality import DEFAULT_AGE_BINS

__all__ = [
    "BIRTH_COHORT_EDGES",
    "SUBSTANCE_MAP",
    "age_at_death_table",
    "causes_by_sex",
    "hazard_table",
    "mor_by_sex",
    "mor_table",
    "planted_cause_pmr",
    "pmr_by_sex",
    "pmr_table",
    "sex_gompertz",
    "sex_gompertz_by",
    "sud_cohort",
    "truth_cause_pmr",
    "yll_by_sex",
    "yll_table",
]

#: Harmonised main substances merged into a broader group for regression: cocaine is a
#: stimulant (EMCDDA), hallucinogens and solvents are rare and go with the unspecific
#: "polydrug" group (ICD-7 323, ICD-8 304.9, F19).
SUBSTANCE_MAP: dict[str, str] = {"cocaine": "stimulants", "hallucinogens": "polydrug",
                                 "solvents": "polydrug"}

#: Edges of the wide birth cohorts (``birth_cohort_wide``): before 1900, 1900-1919, ...,
#: 1960 or later.
BIRTH_COHORT_EDGES: tuple[int, ...] = (1900, 1920, 1940, 1960)

SEX_TERM = "C(sex, Treatment('female'))[T.male]"

_TERM = re.compile(r"^C\((\w+), Treatment\('([^']*)'\)\)\[T\.(.+)\]$")


# ----------------------------------------------------------------------------- cohort


def _wide_cohorts(year: pd.Series, edges: Sequence[int]) -> pd.Series:
    edges = sorted(int(e) for e in edges)
    labels = [f"before {edges[0]}"]
    labels += [f"{lo}-{hi - 1}" for lo, hi in zip(edges[:-1], edges[1:])]
    labels.append(f"{edges[-1]} or later")
    cut = pd.cut(year, [-np.inf, *edges, np.inf], right=False, labels=labels)
    return cut.astype(pd.CategoricalDtype(labels, ordered=True))


def sud_cohort(
    extract: Any,
    *,
    sud_entry_age: float = 15.0,
    main_substance: str = "main_diagnosis",
    include_comparison: bool = False,
    substance_map: Mapping[str, str] | None = None,
    min_substance_n: int = 20,
    cohort_edges: Sequence[int] = BIRTH_COHORT_EDGES,
) -> pd.DataFrame:
    """The cohort table of decedents with a substance-use diagnosis, ready for this question.

    Calls :func:`harkit.cohort.build` with ``sud_entry_age`` (nobody has a substance-use
    disorder as a child: the person could be seen dying from ``entry_age`` = max(age at
    the window start, ``sud_entry_age``)), keeps deaths inside the archive window and adds:

    * ``substance``: the main substance (column ``main_substance``) mapped by ``substance_map``;
      groups with fewer than ``min_substance_n`` persons are merged into
      ``"other_drugs"``; ``"none"`` for persons without a substance-use diagnosis;
    * ``birth_cohort_wide``: wide birth cohorts (ordered categorical);
    * ``sex`` as a categorical with the levels ``female``, ``male``.

    A person recorded as dying before ``sud_entry_age`` (a partial birth date, day
    rounding, or a child with a substance-use diagnosis) keeps ``entry_age`` equal to
    the age at death, so that every death stays inside its own window.

    Parameters
    ----------
    extract : Extract or mapping of DataFrames
        Passed to :func:`harkit.cohort.build`.
    sud_entry_age : float, default 15
        Lowest age from which a person with a substance-use diagnosis is at risk.
    main_substance : {"main_diagnosis", "hierarchy"}, default "main_diagnosis"
        How :func:`harkit.cohort.build` picks the main substance (and with it
        ``sud_group``). The default, the substance most often recorded as the main
        diagnosis, is the person's own disorder; ``"hierarchy"`` (any drug ever diagnosed
        outranks alcohol) moves co-users, e.g. people with alcohol use disorder who also
        used sedatives, into the drug groups, so that adjusting for substance no longer
        separates the substances' mortality.
    include_comparison : bool, default False
        Keep persons without a substance-use diagnosis (``sud_group == "none"``).
    substance_map : mapping, optional
        Main substance to analysis group; default :data:`SUBSTANCE_MAP`.
    min_substance_n : int, default 20
        Smallest substance group kept apart (a Gompertz coefficient needs persons).
    cohort_edges : sequence of int
        Birth years starting each wide cohort after the first.

    Returns
    -------
    pandas.DataFrame
        One row per person kept, in the order of the extract's persons.

    Raises
    ------
    ValueError
        When no person with a substance-use diagnosis died inside the window.
    """
    smap = dict(SUBSTANCE_MAP if substance_map is None else substance_map)
    with warnings.catch_warnings():
        # deaths outside the window are dropped here, deliberately; build warns about them
        warnings.filterwarnings("ignore", message=".*outside.*window.*")
        c = _cohort.build(extract, sud_entry_age=sud_entry_age,
                          main_substance=main_substance)
    c = c[c["in_window"].fillna(False).astype(bool)]
    if not include_comparison:
        c = c[c["sud_group"] != "none"]
    if not (c["sud_group"] != "none").any():
        raise ValueError("sud_cohort: no person with a substance-use diagnosis died inside "
                         "the archive window")
    c = c.copy()
    # a death recorded just before sud_entry_age (a birth date known to the month only,
    # or the 365.25-day year; in real data a child's diagnosis) must stay inside its window
    early = c["age_at_death"] < c["entry_age"]
    c.loc[early, "entry_age"] = c.loc[early, "age_at_death"]
    sub = c["main_substance"].astype(object).map(lambda s: smap.get(s, s))
    sub = sub.where(c["sud_group"] != "none", "none").fillna("none").astype(str)
    counts = sub.value_counts()
    rare = [s for s, n in counts.items() if s not in ("none", "alcohol") and n < min_substance_n]
    c["substance"] = sub.where(~sub.isin(rare), "other_drugs")
    c["birth_cohort_wide"] = _wide_cohorts(c["birth_year"], cohort_edges)
    c["sex"] = pd.Categorical(c["sex"].astype(object), categories=["female", "male"])
    return c


# ----------------------------------------------------------------------------- display


def _fmt(x: Any, decimals: int) -> str:
    return "" if x is None or not np.isfinite(x) else f"{x:.{decimals}f}"


def _est_ci(est: Any, lo: Any, hi: Any, decimals: int) -> pd.Series:
    est, lo, hi = (pd.Series(v, dtype=float).reset_index(drop=True) for v in (est, lo, hi))
    out = [f"{_fmt(e, decimals)} ({_fmt(a, decimals)} to {_fmt(b, decimals)})"
           if np.isfinite(a) and np.isfinite(b) else _fmt(e, decimals)
           for e, a, b in zip(est, lo, hi)]
    return pd.Series(out, dtype=object)


def _hidden(counts: pd.Series, threshold: int | None = None) -> np.ndarray:
    """Counts hidden by the policy: small numbers, or a marker already in their place."""
    text = counts.astype(str).str.replace(",", "", regex=False)
    v = pd.to_numeric(text, errors="coerce").to_numpy(float)
    return np.isnan(v) & counts.notna().to_numpy() | ((v > 0) & (v < dc.threshold_for(threshold)))


def _shown_counts(out: pd.DataFrame, column: str) -> pd.DataFrame:
    """A count column through the policy, unless the result already shows it so (text)."""
    if pd.api.types.is_numeric_dtype(out[column]):
        return privacy.suppress(out.astype({column: "int64"}), [column])
    return out


def age_at_death_table(result: _survival.AgeAtDeathResult, *, decimals: int = 1
                       ) -> pd.DataFrame:
    """Display table of :func:`harkit.survival.age_at_death`: estimates with their CIs.

    The persons per group pass through :func:`harkit.privacy.suppress`; the ages of the
    youngest and oldest death (``support_min``/``support_max``, single persons) are left
    out. A group whose count is hidden has every estimate hidden.

    Parameters
    ----------
    result : AgeAtDeathResult
        Output of :func:`harkit.survival.age_at_death`.
    decimals : int, default 1
        Decimals of the ages.

    Returns
    -------
    pandas.DataFrame
        Grouping columns, ``persons``, ``naive mean``, ``aware mean``, ``naive median``,
        ``aware median`` (each "estimate (lower to upper)", 95% CIs) and
        ``naive - aware (mean)``; the index is a plain range.
    """
    t = result.table.reset_index(drop=True)
    out = t[list(result.by)].astype(str) if result.by else pd.DataFrame(index=t.index)
    out["persons"] = t["n"]
    for kind in ("naive", "aware"):
        for stat in ("mean", "median"):
            col = f"{kind}_{stat}"
            lo, hi = t.get(f"{col}_lower"), t.get(f"{col}_upper")
            nan = pd.Series(np.nan, index=t.index)
            out[f"{kind} {stat}"] = _est_ci(t[col], nan if lo is None else lo,
                                            nan if hi is None else hi, decimals)
    out["naive - aware (mean)"] = [_fmt(v, decimals) for v in t["naive_minus_aware_mean"]]
    hide = _hidden(out["persons"])
    out = _shown_counts(out, "persons")
    out.loc[hide, [c for c in out.columns if c not in (*result.by, "persons")]] = ""
    return out[[*result.by, "persons", "naive mean", "aware mean", "naive median",
                "aware median", "naive - aware (mean)"]]


def _label(term: str) -> str:
    m = _TERM.match(term)
    if m is None:
        return "Charlson score (per point)" if term == "charlson_score" else term
    var, ref, level = m.groups()
    return f"{level} (vs {ref})" if var == "sex" else f"{var}: {level} (vs {ref})"


def hazard_table(result: _survival.GompertzWindowResult, *, decimals: int = 2
                 ) -> pd.DataFrame:
    """Display table of a Gompertz window model: hazard ratios and life-expectancy gaps.

    Parameters
    ----------
    result : GompertzWindowResult
        Output of :func:`sex_gompertz` (or :func:`harkit.survival.gompertz_window`).
    decimals : int, default 2
        Decimals of hazard ratios and years.

    Returns
    -------
    pandas.DataFrame
        ``term`` (readable), ``log HR`` and ``SE`` (3 decimals), ``HR (95% CI)``, ``p``
        and ``e_diff`` (difference in remaining life expectancy at the model's ``at_age``
        against the reference profile, years, with 95% CI).
    """
    t = result.table.reset_index(drop=True)
    at_age = t.attrs.get("at_age", np.nan)
    p = [("<0.001" if v < 0.001 else f"{v:.3f}") for v in t["p_value"]]
    return pd.DataFrame({
        "term": [_label(s) for s in t["term"]],
        "log HR": t["coef"].round(3),
        "SE": t["se"].round(3),
        "HR (95% CI)": _est_ci(t["hazard_ratio"], t["hr_lower"], t["hr_upper"], decimals),
        "p": p,
        f"e{at_age:g} difference, years (95% CI)": _est_ci(t["e_diff"], t["e_diff_lower"],
                                                         t["e_diff_upper"], decimals),
    })


# ----------------------------------------------------------------------------- Gompertz


def _formula(data: pd.DataFrame, adjust: Sequence[str], reference_substance: str) -> str:
    parts = ["C(sex, Treatment('female'))"]
    for col in adjust:
        if col not in data.columns:
            raise KeyError(f"adjustment column {col!r} not in the cohort table")
        if data[col].nunique(dropna=True) < 2:
            continue  # constant in this cohort (e.g. substance within the alcohol group)
        if col == "substance":
            levels = set(data[col].astype(str))
            ref = reference_substance if reference_substance in levels else \
                data[col].astype(str).value_counts().index[0]
            parts.append(f"C(substance, Treatment('{ref}'))")
        else:
            parts.append(col)
    return " + ".join(parts)


def sex_gompertz(
    cohort: pd.DataFrame,
    *,
    adjust: Sequence[str] = ("substance",),
    reference_substance: str = "alcohol",
    at_age: float = 50.0,
) -> _survival.GompertzWindowResult:
    """Window-conditional Gompertz model of age at death: men vs women, adjusted.

    Fits :func:`harkit.survival.gompertz_window` with the formula
    ``C(sex, Treatment('female')) + C(substance, Treatment(reference_substance))`` plus
    any further ``adjust`` columns (each adjustment that is constant in ``cohort`` is left
    out), with sandwich standard errors (``robust=True``). The male hazard ratio is the
    answer to "do men die younger", free of the birth-cohort selection of the window when
    the Gompertz proportional-hazards model holds. Covariates measured from the outcome
    are not adjusted for by default: the Charlson score counts conditions recorded over
    the whole history up to death, so it grows with the age at death itself, and young
    onset is read from the age at first diagnosis; both are biased by the age at death.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`sud_cohort` (``sex``, ``substance``, ``charlson_score``,
        ``age_at_death``, ``entry_age``, ``exit_age``).
    adjust : sequence of str
        Adjustment columns; ``"substance"`` is entered as categorical, others as given.
    reference_substance : str, default "alcohol"
        Reference level of ``substance`` (the largest group when absent).
    at_age : float, default 50
        Age at which remaining life expectancy is compared.

    Returns
    -------
    GompertzWindowResult
        As :func:`harkit.survival.gompertz_window`; ``extra["life_expectancy"]`` has the
        profiles ``women`` and ``men`` (reference substance, every other adjustment at 0)
        and ``extra["formula"]`` the formula.
    """
    formula = _formula(cohort, adjust, reference_substance)
    prof: dict[str, list[Any]] = {"sex": ["female", "male"]}
    if "C(substance" in formula:
        ref = re.search(r"C\(substance, Treatment\('([^']*)'\)\)", formula).group(1)
        prof["substance"] = [ref, ref]
    for col in adjust:
        if col != "substance" and f" {col}" in formula:
            prof[col] = [0, 0]
    profiles = pd.DataFrame(prof, index=["women", "men"])
    res = _survival.gompertz_window(cohort, formula, at_age=at_age, profiles=profiles,
                                    robust=True)
    res.extra["formula"] = formula
    return res


def sex_gompertz_by(
    cohort: pd.DataFrame,
    by: str = "sud_group",
    *,
    adjust: Sequence[str] = ("substance",),
    reference_substance: str = "alcohol",
    at_age: float = 50.0,
) -> pd.DataFrame:
    """The male log hazard ratio of :func:`sex_gompertz` overall and within each group.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`sud_cohort`.
    by : str, default "sud_group"
        Column whose groups are fitted separately (e.g. alcohol vs other substances).
    adjust, reference_substance, at_age
        As :func:`sex_gompertz`.

    Returns
    -------
    pandas.DataFrame
        One row for ``all`` and one per group: ``group``, ``persons`` (int), ``coef``,
        ``se``, ``hazard_ratio``, ``hr_lower``, ``hr_upper``, ``e_diff`` (men minus women,
        years at ``at_age``) and ``formula``.
    """
    rows = []
    groups = [("all", cohort)] + [(str(k), g) for k, g in
                                  cohort.groupby(by, observed=True, sort=True)]
    for name, g in groups:
        res = sex_gompertz(g, adjust=adjust, reference_substance=reference_substance,
                           at_age=at_age)
        r = res.table.set_index("term").loc[SEX_TERM]
        rows.append({"group": name, "persons": len(g), "coef": r["coef"], "se": r["se"],
                     "hazard_ratio": r["hazard_ratio"], "hr_lower": r["hr_lower"],
                     "hr_upper": r["hr_upper"], "e_diff": r["e_diff"],
                     "formula": res.extra["formula"]})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- causes


def causes_by_sex(cohort: pd.DataFrame, *, cause: str = "underlying_cause_group",
                  sex: str = "sex") -> pd.DataFrame:
    """Deaths by cause and sex with the share of each sex's deaths, suppressed.

    Secondary suppression is applied (the deaths per sex are public elsewhere), and a
    share is hidden with its count.

    Parameters
    ----------
    cohort : pandas.DataFrame
        One row per decedent.
    cause, sex : str
        Cause-of-death and sex columns.

    Returns
    -------
    pandas.DataFrame
        Index ``cause``; columns ``(sex, "deaths")`` and ``(sex, "%")`` per sex, as text.
        Missing causes are shown as ``"missing"``.
    """
    c = cohort[cause].astype(object).where(cohort[cause].notna(), "missing")
    long = (pd.crosstab(c.rename("cause"), cohort[sex].astype(object).rename("sex"))
            .stack().rename("deaths").reset_index())
    long["%"] = 100 * long["deaths"] / long.groupby("sex")["deaths"].transform("sum")
    shown = privacy.suppress(long, ["deaths"], rows="cause", cols="sex",
                             percent_columns={"%": "deaths"})
    wide = shown.pivot(index="cause", columns="sex", values=["deaths", "%"])
    wide = wide.swaplevel(axis=1)
    order = [s for s in cohort[sex].astype(object).dropna().unique()]
    if isinstance(cohort[sex].dtype, pd.CategoricalDtype):
        order = [s for s in cohort[sex].cat.categories if s in set(order)]
    wide = wide.reindex(columns=pd.MultiIndex.from_product([order, ["deaths", "%"]]))
    wide.columns.names = ["sex", ""]
    return wide.sort_index()


def _quiet(fun: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fun`` and move its warnings into the result's notes (shown with it)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fun(*args, **kwargs)
    for w in caught:
        msg = str(w.message)
        if msg not in res.notes:
            res.notes.append(msg)
    return res


def pmr_by_sex(
    cohort: pd.DataFrame,
    *,
    cause: str = "underlying_cause_group",
    exposed: str = "female",
    reference: str = "male",
    strata: Sequence[str] = ("age_group", "period", "sud_group"),
    causes: Sequence[str] | None = None,
    suppress: bool = True,
) -> _survival.PMRResult:
    """Proportional mortality of women against men, standardised by age, period and group.

    :func:`harkit.survival.proportional_mortality` with ``group_col="sex"``: the expected
    deaths from each cause among women are what the men's cause mix in the same age
    group, death decade and substance group (alcohol / other substances) would give. Men
    are the reference because they are the larger group: the exact CIs treat the
    reference mix as known. Warnings (deaths in strata without reference deaths) are kept
    in ``notes``.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`sud_cohort`.
    cause : str
        Cause-of-death column.
    exposed, reference : str
        Sex compared and reference sex.
    strata : sequence of str
        Standardisation strata (``age_group`` and ``period`` are derived).
    causes : sequence of str, optional
        Causes to report (default all).
    suppress : bool, default True
        Counts through the disclosure-control policy (the library's default); ``False``
        gives the exact numbers (not for publication).

    Returns
    -------
    PMRResult
    """
    return _quiet(_survival.proportional_mortality, cohort, cause, group_col="sex",
                  reference=reference, exposed=[exposed], strata=tuple(strata),
                  causes=causes, suppress=suppress)


def pmr_table(result: _survival.PMRResult, *, decimals: int = 2) -> pd.DataFrame:
    """Display table of a PMR result: counts suppressed, a PMR hidden with its count.

    Parameters
    ----------
    result : PMRResult
        Output of :func:`pmr_by_sex` or :func:`harkit.survival.proportional_mortality`.
    decimals : int, default 2
        Decimals of PMRs and expected deaths (expected: 1).

    Returns
    -------
    pandas.DataFrame
        ``group``, ``cause``, ``observed`` (text), ``expected``, ``PMR (95% CI)`` (exact
        Poisson), ``p``, sorted by group and cause.
    """
    t = result.table.sort_values(["group", "cause"]).reset_index(drop=True)
    hide = _hidden(t["observed"])
    p = ["" if not np.isfinite(v) else ("<0.001" if v < 0.001 else f"{v:.3f}")
         for v in t["p_value"]]
    out = pd.DataFrame({
        "group": t["group"].astype(str), "cause": t["cause"].astype(str),
        "observed": t["observed"],
        "expected": [_fmt(v, 1) for v in t["expected"]],
        "PMR (95% CI)": _est_ci(t["pmr"], t["ci_low"], t["ci_high"], decimals),
        "p": p,
    })
    out = _shown_counts(out, "observed")
    out.loc[hide, ["expected", "PMR (95% CI)", "p"]] = ""
    return out


def mor_by_sex(
    cohort: pd.DataFrame,
    causes: Sequence[str] | None = None,
    *,
    cause: str = "underlying_cause_group",
    exposed: str = "female",
    reference: str = "male",
    strata: Sequence[str] = ("age_group", "period", "sud_group"),
    suppress: bool = True,
) -> _survival.MORResult:
    """Mortality odds ratios of women against men (Mantel-Haenszel), stratified.

    :func:`harkit.survival.mortality_odds_ratio` with ``group_col="sex"`` and
    ``method="mh"``: the odds of dying of a cause rather than of any other, women over
    men, within age group, death decade and substance group. Unlike the PMR's exact CI,
    its CI counts the sampling error of both sexes. Warnings are kept in ``notes``.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`sud_cohort`.
    causes : sequence of str, optional
        Causes to estimate (default all).
    cause, exposed, reference, strata, suppress
        As :func:`pmr_by_sex`.

    Returns
    -------
    MORResult
    """
    return _quiet(_survival.mortality_odds_ratio, cohort, cause, causes, group_col="sex",
                  reference=reference, exposed=[exposed], strata=tuple(strata), method="mh",
                  suppress=suppress)


def mor_table(result: _survival.MORResult, *, decimals: int = 2) -> pd.DataFrame:
    """Display table of the Mantel-Haenszel rows of a MOR result (no cell counts).

    The 2x2 counts are not shown (the cause-by-sex table shows them, suppressed); the
    crude odds ratio is left out because with the published margins it would give away
    a suppressed cell.

    Parameters
    ----------
    result : MORResult
        Output of :func:`mor_by_sex`.
    decimals : int, default 2
        Decimals of the odds ratios.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``cause``, ``MOR (95% CI)``, ``p``, ``strata`` sorted by group and cause.
    """
    t = result.table[result.table["method"] == "mantel-haenszel"]
    t = t.sort_values(["group", "cause"]).reset_index(drop=True)
    return pd.DataFrame({
        "group": t["group"].astype(str), "cause": t["cause"].astype(str),
        "MOR (95% CI)": _est_ci(t["mor"], t["ci_low"], t["ci_high"], decimals),
        "p": [("<0.001" if v < 0.001 else f"{v:.3f}") for v in t["p_value"]],
        "strata": t["strata"].astype(int),
    })


# ----------------------------------------------------------------------------- YLL


def yll_by_sex(cohort: pd.DataFrame, *, cause: str | None = None,
               by: Sequence[str] = ("sex",), suppress: bool = True) -> _survival.YLLResult:
    """Years of life lost per death against the Norwegian life tables, by sex.

    :func:`harkit.survival.remaining_life_at_death` with normal-approximation CIs.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`sud_cohort`.
    cause : str, optional
        Cause column for the cause-specific split (e.g. ``"underlying_cause_group"``).
    by : sequence of str, default ("sex",)
        Grouping columns.
    suppress : bool, default True
        As :func:`pmr_by_sex`.

    Returns
    -------
    YLLResult
    """
    return _quiet(_survival.remaining_life_at_death, cohort, by=list(by), cause=cause,
                  progress=False, suppress=suppress)


def yll_table(result: _survival.YLLResult, *, decimals: int = 1) -> pd.DataFrame:
    """Display table of a YLL result: deaths suppressed, a row's figures hidden with them.

    Parameters
    ----------
    result : YLLResult
        Output of :func:`yll_by_sex` or :func:`harkit.survival.remaining_life_at_death`.
    decimals : int, default 1
        Decimals of years.

    Returns
    -------
    pandas.DataFrame
        Key columns, ``deaths``, ``mean YLL (95% CI)``, ``total YLL``, ``mean age at
        death`` and (by cause) ``share of YLL %``.
    """
    t = result.table.reset_index(drop=True)
    keys = list(t.columns[: list(t.columns).index("n")])
    out = t[keys].astype(str)
    out["deaths"] = t["n"]
    out["mean YLL (95% CI)"] = _est_ci(t["mean_yll"], t["mean_ci_low"], t["mean_ci_high"],
                                       decimals)
    out["total YLL"] = [f"{v:,.0f}" for v in t["total_yll"]]
    out["mean age at death"] = [_fmt(v, decimals) for v in t["mean_age_at_death"]]
    if "share_of_group_yll" in t:
        out["share of YLL %"] = [_fmt(100 * v, decimals) for v in t["share_of_group_yll"]]
    hide = _hidden(out["deaths"])
    out = _shown_counts(out, "deaths")
    out.loc[hide, [c for c in out.columns if c not in (*keys, "deaths")]] = ""
    return out


# ----------------------------------------------------------------------------- truth


def planted_cause_pmr(
    truth: Any,
    *,
    exposed: str = "female",
    reference: str = "male",
    population: str | None = "sud",
    strata: Sequence[str] = ("age_group", "period", "sud_group"),
    age_bins: Sequence[float] = DEFAULT_AGE_BINS,
    period_width: int = 10,
) -> pd.DataFrame:
    """The PMR of women against men that the generator's cause model implies.

    The generator draws each person's cause of death (its own groups: alcohol, overdose,
    suicide, ...) from the shares of the cause-specific hazards at the moment of death,
    which depend on substance group, age, calendar year and the states the person is in
    (recovery, organ disease, psychiatric comorbidity, hepatitis C), and not on sex; the
    truth keeps them per person (``truth.persons`` columns ``p_<cause>``). Replacing each
    observed death by
    those probabilities in the PMR gives the planted PMR for these persons:
    ``sum_exposed p_ic / sum_s D_s mean_{reference in s} p_ic``, with the strata of
    :func:`harkit.survival.proportional_mortality`. It differs from 1 only through
    differences between the sexes within strata (in ages, conditions, recovery and, for
    the two-level ``sud_group``, the drug mix).

    Parameters
    ----------
    truth : harkit.synth.Truth
        The generator's truth.
    exposed, reference : str
        Sexes compared.
    population : {"sud", "comparison"} or None, default "sud"
        Persons of this generator population only (None: all).
    strata : sequence of {"age_group", "period", "sud_group"}
        As in :func:`pmr_by_sex`; ``sud_group`` is the planted group (alcohol / other
        substances / none).
    age_bins : sequence of float
        Age-group edges (as :func:`harkit.survival.proportional_mortality`).
    period_width : int
        Width of death periods in years.

    Returns
    -------
    pandas.DataFrame
        One row per generator cause group: ``cause``, ``expected_observed`` (sum of the
        probabilities over the exposed), ``expected``, ``planted_pmr``.
    """
    tp = truth.persons
    if population is not None:
        tp = tp[tp["population"] == population]
    tp = tp[tp["sex"].isin([exposed, reference])]
    if tp.empty:
        raise ValueError("planted_cause_pmr: no persons of the given population and sexes")
    # the cause-specific hazard shares at each death, as the generator drew the cause
    share_cols = [c for c in tp.columns if c.startswith("p_")]
    prob = tp[share_cols].rename(columns=lambda c: c[2:])
    keys = pd.DataFrame(index=tp.index)
    for s in strata:
        if s == "age_group":
            keys[s] = pd.cut(tp["age_at_death"], list(age_bins), right=False).astype(str)
        elif s == "period":
            keys[s] = (pd.DatetimeIndex(tp["death_date"]).year // period_width).astype(str)
        elif s == "sud_group":
            grp = tp["group"].astype(str)
            keys[s] = np.where(grp == "alcohol", "alcohol",
                               np.where(grp == "none", "none", "other_sud"))
        else:
            raise ValueError(f"planted_cause_pmr: unknown stratum {s!r}")
    key = keys.astype(str).agg("|".join, axis=1)
    ex, rf = (tp["sex"] == exposed).to_numpy(), (tp["sex"] == reference).to_numpy()
    shares = prob[rf].groupby(key[rf].to_numpy()).mean()
    d_s = pd.Series(key[ex].to_numpy()).value_counts()
    common = d_s.index.intersection(shares.index)
    expected = shares.loc[common].mul(d_s.loc[common], axis=0).sum()
    observed = prob[ex][key[ex].isin(common).to_numpy()].sum()
    causes = list(prob.columns)
    return pd.DataFrame({"cause": causes,
                         "expected_observed": observed.to_numpy(float),
                         "expected": expected.reindex(causes).to_numpy(float),
                         "planted_pmr": (observed / expected).reindex(
                             causes).to_numpy(float)})


def truth_cause_pmr(cohort: pd.DataFrame, truth: Any, *, exposed: str = "female",
                    reference: str = "male",
                    strata: Sequence[str] = ("age_group", "period", "sud_group"),
                    decimals: int = 2) -> pd.DataFrame:
    """PMRs of the generator's own per-person cause groups next to the planted PMRs.

    Joins ``truth.persons.cause_group`` (the generator's vocabulary: alcohol, overdose,
    suicide, ...) to ``cohort`` by ``person_id``, runs :func:`pmr_by_sex` on it, and sets
    the planted PMR of :func:`planted_cause_pmr` beside each estimate.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`sud_cohort`.
    truth : harkit.synth.Truth
        The generator's truth for the same register.
    exposed, reference : str
        Sexes compared.
    strata : sequence of str
        Standardisation strata.
    decimals : int, default 2
        Decimals shown.

    Returns
    -------
    pandas.DataFrame
        ``cause``, ``observed`` (suppressed), ``PMR (95% CI)``, ``planted PMR``,
        ``covered``.
    """
    cg = truth.persons.set_index("person_id")["cause_group"]
    c = cohort.assign(generator_cause=cohort["person_id"].astype(str).map(cg).to_numpy())
    est = pmr_by_sex(c, cause="generator_cause", exposed=exposed, reference=reference,
                     strata=strata)
    pop = None if (cohort["sud_group"] == "none").any() else "sud"
    planted = planted_cause_pmr(truth, exposed=exposed, reference=reference,
                                population=pop, strata=strata)
    t = est.table.merge(planted[["cause", "planted_pmr"]], on="cause", how="left")
    t = t.sort_values("cause").reset_index(drop=True)
    shown = pmr_table(est, decimals=decimals).set_index("cause")
    hide = _hidden(t["observed"])
    out = pd.DataFrame({
        "cause": t["cause"].astype(str),
        "observed": shown.loc[t["cause"], "observed"].to_numpy(),
        "PMR (95% CI)": shown.loc[t["cause"], "PMR (95% CI)"].to_numpy(),
        "planted PMR": [_fmt(v, decimals) for v in t["planted_pmr"]],
        "covered": pd.Series([bool(lo <= p <= hi) for lo, p, hi in
                              zip(t["ci_low"], t["planted_pmr"], t["ci_high"])],
                             dtype=object),
    })
    out.loc[hide, ["PMR (95% CI)", "covered"]] = ""
    return out
