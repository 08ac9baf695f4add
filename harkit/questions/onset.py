"""How does substance use that starts young differ from substance use that starts later?

Onset is read from the register as the age at the *first recorded* substance-use diagnosis
(``age_first_sud`` of :func:`harkit.cohort.build`; ``onset_group`` splits it at
``onset_cut``, 25 by default). That is an upper bound on the true onset: the disorder
usually begins years before anyone records it, so "young" by first diagnosis is reliable
but many young onsets look late. This module assembles the answer to the brochure
question::

    from harkit.questions import onset
    onset.onset_share(cohort, truth=truth)        # share young by main substance
    onset.onset_table_one(cohort)                 # substance mix, comorbidity, causes, ages
    onset.cause_mor_by_onset(cohort)              # cause mix, crude and within substance/age
    onset.onset_hazard_ratio(cohort)              # age at death (Gompertz in the window)

**Outcome dependence.** A person who died at 22 was necessarily diagnosed before 25: the
onset group is partly defined by age at death. Comparisons of age at death between onset
groups therefore need a landmark (count only deaths after the cut, with everyone at risk
from the cut), and even then the first *recorded* diagnosis may depend on how long the
person went on to live.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from harkit import _disclosure as dc
from harkit import compare, privacy, survival
from harkit.compare.table_one import TableOneResult
from harkit.questions._common import quiet
from harkit.questions.recovery import attach_truth

__all__ = [
    "DEFAULT_TABLE_ONE_COLUMNS",
    "SUBSTANCE_GROUPS",
    "cause_mor_by_onset",
    "charlson_by_onset",
    "hierarchy_substance",
    "onset_hazard_ratio",
    "onset_share",
    "onset_table_one",
    "substance_group",
    "young_flag",
]

#: Coarse substance groups for adjustment (main substance -> group). Cocaine goes with the
#: stimulants; rare substances with the unspecified/poly drug group.
SUBSTANCE_GROUPS: dict[str, str] = {
    "alcohol": "alcohol", "opioids": "opioids", "cocaine": "stimulants",
    "stimulants": "stimulants", "sedatives": "sedatives", "cannabis": "cannabis",
    "hallucinogens": "polydrug", "solvents": "polydrug", "polydrug": "polydrug",
}

#: Cohort columns described by :func:`onset_table_one` (those present are used).
DEFAULT_TABLE_ONE_COLUMNS: tuple[str, ...] = (
    "sex", "birth_cohort", "main_substance", "uses_alcohol", "uses_opioids",
    "uses_cocaine", "uses_stimulants", "uses_sedatives", "uses_cannabis", "uses_solvents",
    "uses_polydrug", "n_substances", "age_first_sud", "age_at_death", "charlson_score",
    "cci_mild_liver_disease", "cci_chronic_obstructive_pulmonary_disease",
    "recovered_proxy", "underlying_cause_group",
)

_LABELS = ("young", "late")


def _has_sud(cohort: pd.DataFrame) -> np.ndarray:
    if "age_first_sud" not in cohort:
        raise KeyError("the cohort needs 'age_first_sud' (harkit.cohort.build)")
    return cohort["age_first_sud"].notna().to_numpy(bool)


def young_flag(cohort: pd.DataFrame, cut: float = 25.0) -> pd.Series:
    """Young onset: first recorded substance-use diagnosis before age ``cut``.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build` (``age_first_sud``).
    cut : float, default 25.0
        Age cut. With the cut used to build the cohort this equals
        ``onset_group == "young"``.

    Returns
    -------
    pandas.Series
        Nullable boolean aligned with ``cohort``; NA without a substance-use diagnosis.
    """
    sud = _has_sud(cohort)
    y = cohort["age_first_sud"].to_numpy(float) < cut
    return pd.Series(pd.array(np.where(sud, y, pd.NA), dtype="boolean"),
                     index=cohort.index, name="young_onset")


def substance_group(cohort: pd.DataFrame, column: str = "main_substance") -> pd.Series:
    """Coarse substance group of :data:`SUBSTANCE_GROUPS` (object dtype, None if none)."""
    s = cohort[column].astype(object)
    # built as object: Series.map would infer pandas 3's "str" dtype and turn None to NaN
    return pd.Series([SUBSTANCE_GROUPS.get(v, v) if isinstance(v, str) else None for v in s],
                     index=s.index, dtype=object, name=s.name)


def hierarchy_substance(cohort: pd.DataFrame,
                        hierarchy: Sequence[str] | None = None) -> pd.Series:
    """Highest-ranked substance ever diagnosed, from the ``uses_<substance>`` flags.

    What :func:`harkit.cohort.build` gives as ``main_substance`` with its default
    ``main_substance="hierarchy"``, recomputed from a cohort built otherwise (e.g. with
    ``"main_diagnosis"``) to compare the two definitions. A single co-use code moves a
    person up the hierarchy, so the hierarchy substance depends on how many contacts were
    recorded, and with it on onset age.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build` (``uses_<substance>`` columns).
    hierarchy : sequence of str, optional
        Substances from highest to lowest rank; default
        :data:`harkit.cohort.DEFAULT_HIERARCHY`. Substances with a ``uses_`` column but not
        listed rank below, in alphabetical order.

    Returns
    -------
    pandas.Series
        Object dtype aligned with ``cohort``; None without a substance-use diagnosis.
    """
    from harkit.cohort import DEFAULT_HIERARCHY

    ranked = list(hierarchy if hierarchy is not None else DEFAULT_HIERARCHY)
    present = {c[len("uses_"):] for c in cohort.columns if c.startswith("uses_")}
    ranked = [s for s in ranked if s in present] + sorted(present - set(ranked))
    if not ranked:
        raise KeyError("the cohort has no 'uses_<substance>' columns (harkit.cohort.build)")
    uses = cohort[[f"uses_{s}" for s in ranked]].fillna(False).to_numpy(bool)
    pick = np.array(ranked, dtype=object)[uses.argmax(axis=1)]
    return pd.Series(np.where(uses.any(axis=1), pick, None), index=cohort.index,
                     name="main_substance", dtype=object)


def _groups(cohort: pd.DataFrame, cut: float) -> pd.Series:
    y = young_flag(cohort, cut)
    lab = np.where(y.fillna(False).to_numpy(bool), _LABELS[0], _LABELS[1])
    return pd.Series(pd.Categorical(np.where(y.isna(), None, lab), categories=list(_LABELS)),
                     index=cohort.index, name="onset")


def onset_share(cohort: pd.DataFrame, by: str = "main_substance", *, cut: float = 25.0,
                truth: Any = None, threshold: int | None = None,
                suppress: bool = True) -> pd.DataFrame:
    """Share with young onset by group, with (synthetic data) the truth beside it.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build`.
    by : str, default "main_substance"
        Grouping column (persons with a substance-use diagnosis only).
    cut : float, default 25.0
        Age cut of :func:`young_flag`.
    truth : harkit.synth.Truth, optional
        The synthetic register's truth. Adds ``truth_percent`` (true onset age below
        ``cut`` among the same persons), ``planted_percent`` (only for a truth that
        plants a young-onset probability per group, for ``cut == 25``; cocaine counts as
        stimulants), ``sensitivity`` and ``ppv`` of the register definition.
    threshold : int, optional
        Smallest count shown; default the policy in force.
    suppress : bool, default True
        Show the counts through the disclosure-control policy (the groups with the
        ``Total`` row as a cross-table of young and not young with its margins, secondary
        suppression), and hide the percentages and truth columns that would reveal a
        small count; ``False`` returns the unrounded numbers (not for publication).

    Returns
    -------
    pandas.DataFrame
        One row per group and a ``Total`` row: ``persons``, ``young`` (counts),
        ``percent`` and the truth columns.
    """
    sud = _has_sud(cohort)
    y = young_flag(cohort, cut).fillna(False).to_numpy(bool)
    d = pd.DataFrame({by: cohort[by].astype(object).to_numpy(), "young": y})[sud]
    d[by] = d[by].fillna("unknown")
    tr = None
    if truth is not None:
        ct = attach_truth(cohort, truth, ["onset_age"])
        tr = (ct["truth_onset_age"].to_numpy(float) < cut)[sud]
        d["truth_young"] = tr
    order = list(cohort[by].cat.categories) if isinstance(cohort[by].dtype,
                                                         pd.CategoricalDtype) else None
    rows = []
    keys = [k for k in (order or sorted(d[by].unique())) if (d[by] == k).any()]
    if (d[by] == "unknown").any() and "unknown" not in keys:
        keys.append("unknown")
    planted = {}
    if truth is not None and cut == 25.0 and hasattr(truth, "prevalences"):
        planted = dict(truth.prevalences.get("young_onset_prob", {}))
    for k in [*keys, "Total"]:
        g = d if k == "Total" else d[d[by] == k]
        row: dict[str, Any] = {by: k, "persons": len(g), "young": int(g["young"].sum()),
                               "percent": round(100 * g["young"].mean(), 1) if len(g) else np.nan}
        if tr is not None:
            t, f = g["truth_young"].to_numpy(bool), g["young"].to_numpy(bool)
            p = planted.get(SUBSTANCE_GROUPS.get(k, k)) if k != "Total" else None
            row.update({"truth_percent": round(100 * t.mean(), 1) if len(g) else np.nan})
            if planted:  # a generator that plants a young-onset probability per group
                row["planted_percent"] = round(100 * p, 1) if p is not None else np.nan
            row.update({"sensitivity": (t & f).sum() / t.sum() if t.any() else np.nan,
                        "ppv": (t & f).sum() / f.sum() if f.any() else np.nan})
        rows.append(row)
    numbers = pd.DataFrame(rows)
    if not suppress:
        return numbers
    thr = dc.threshold_for(threshold)
    shown = _shown_young(numbers, by, threshold)
    for c in ("sensitivity", "ppv"):
        if c in shown:
            shown[c] = numbers[c].astype(float).round(3)
    if tr is not None:  # truth shares reveal counts too: hide them where any is small
        n_true = pd.Series([int(d["truth_young"].sum()) if k == "Total" else
                            int(d.loc[d[by] == k, "truth_young"].sum()) for k in numbers[by]])
        small = ((numbers["persons"] < thr)
                 | numbers["young"].between(1, thr - 1)
                 | n_true.between(1, thr - 1)
                 | (numbers["persons"] - n_true).between(1, thr - 1)).to_numpy()
        shown.loc[small, ["truth_percent", "sensitivity", "ppv"]] = np.nan
    return shown


def _shown_young(numbers: pd.DataFrame, by: str, threshold: int | None) -> pd.DataFrame:
    """Persons and young per group with the Total row, as one cross-table (young, not
    young, persons) with secondary suppression; a percentage goes with its hidden count."""
    grid = pd.DataFrame({by: numbers[by], "young": numbers["young"].astype("int64"),
                         "_rest": (numbers["persons"] - numbers["young"]).astype("int64"),
                         "Total": numbers["persons"].astype("int64")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", privacy.DisclosureWarning)
        cells = privacy.suppress(grid, ["young", "_rest", "Total"], threshold=threshold,
                                 secondary=True, total="Total")
    shown = numbers.copy()
    shown["persons"], shown["young"] = cells["Total"], cells["young"]
    hidden = (dc.hidden_cells(cells["young"], grid["young"])
              | dc.hidden_cells(cells["Total"], grid["Total"])
              | dc.hidden_cells(cells["_rest"], grid["_rest"]))
    shown["percent"] = numbers["percent"].astype(float).where(~hidden)
    shown.attrs.update(cells.attrs)
    return shown


def onset_table_one(cohort: pd.DataFrame, cut: float = 25.0,
                    columns: Sequence[str] | None = None, **kwargs: Any) -> TableOneResult:
    """Table 1 of persons with a substance-use diagnosis, young vs late onset.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build`.
    cut : float, default 25.0
        Age cut of :func:`young_flag`.
    columns : sequence of str, optional
        Variables; default those of :data:`DEFAULT_TABLE_ONE_COLUMNS` present.
    **kwargs
        Passed to :func:`harkit.compare.table_one` (counts suppressed by default).

    Returns
    -------
    TableOneResult
        With a note on truncation of age at death and birth cohorts.
    """
    sud = _has_sud(cohort)
    cols = list(columns) if columns is not None else \
        [c for c in DEFAULT_TABLE_ONE_COLUMNS if c in cohort.columns]
    d = cohort.loc[sud, cols].copy()
    for c in d.columns:
        if isinstance(d[c].dtype, pd.CategoricalDtype):
            d[c] = d[c].cat.remove_unused_categories()
    d["onset"] = _groups(cohort, cut)[sud]
    kwargs.setdefault("nonnormal", True)
    res = compare.table_one(d, groupby="onset", columns=cols, **kwargs)
    res.notes.append(
        f"Onset = first recorded substance-use diagnosis (young: before {cut:g}). Young "
        "onsets come from later birth cohorts, which the archive window admits only if "
        "they died young: crude ages at death and causes of death mix onset with cohort.")
    return res


def cause_mor_by_onset(cohort: pd.DataFrame, causes: Sequence[str] | None = None, *,
                       cut: float = 25.0, young: pd.Series | None = None,
                       cause_col: str = "underlying_cause_group",
                       adjust: Sequence[str] = ("age_group", "substance_group"),
                       age_bins: Sequence[float] = (0, 50, 70, np.inf),
                       threshold: int | None = None,
                       suppress: bool = True) -> pd.DataFrame:
    """Mortality odds ratios of each cause of death, young vs late onset.

    The crude MOR shows how different the cause mix of the two groups is; the
    Mantel-Haenszel MOR within strata of ``adjust`` (default: age at death <50, 50-69, 70+,
    and coarse substance group) asks whether onset age matters beyond the substance and the
    age at death.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build`.
    causes : sequence of str, optional
        Causes (values of ``cause_col``); default every cause seen among persons with a
        substance-use diagnosis.
    cut : float, default 25.0
        Age cut of :func:`young_flag`.
    young : pandas.Series, optional
        A young-onset flag to use instead (e.g. the synthetic truth).
    cause_col : str
        Cause column.
    adjust : sequence of str
        Strata; ``age_group`` and ``substance_group`` are derived when absent.
    age_bins : sequence of float
        Age-group edges.
    threshold : int, optional
        Smallest count shown; default the policy in force.
    suppress : bool, default True
        Show the death counts through the disclosure-control policy (causes by onset as
        a cross-table with secondary suppression, the group totals being public), leave
        out the crude MOR of a cause with a hidden count (with the margins it gives the
        count back) and round the estimates; ``False`` returns the unrounded numbers (not
        for publication).

    Returns
    -------
    pandas.DataFrame
        One row per cause: ``cause``, ``young_deaths``, ``late_deaths``, ``crude_mor``,
        ``crude_low``, ``crude_high``, ``mor``, ``ci_low``, ``ci_high`` (Mantel-Haenszel),
        ``strata``. NaN where a cell is empty.
    """
    sud = _has_sud(cohort)
    d = cohort.loc[sud].copy()
    flag = young_flag(cohort, cut) if young is None else pd.Series(young, index=cohort.index)
    d["onset"] = np.where(flag.astype("boolean").fillna(False).to_numpy(bool)[sud],
                          _LABELS[0], _LABELS[1])
    if "substance_group" in adjust and "substance_group" not in d:
        d["substance_group"] = substance_group(d)
    d[cause_col] = d[cause_col].astype(object)
    if causes is None:
        causes = [c for c in (cohort[cause_col].cat.categories
                              if isinstance(cohort[cause_col].dtype, pd.CategoricalDtype)
                              else sorted(d[cause_col].dropna().unique()))
                  if (d[cause_col] == c).any()]
    rows = []
    for c in causes:
        row: dict[str, Any] = {
            "cause": c,
            "young_deaths": int(((d["onset"] == "young") & (d[cause_col] == c)).sum()),
            "late_deaths": int(((d["onset"] == "late") & (d[cause_col] == c)).sum())}
        try:
            with quiet():
                m = survival.mortality_odds_ratio(
                    d, cause_col, [c], group_col="onset", reference="late",
                    strata=tuple(adjust), age_bins=list(age_bins), method="mh",
                    suppress=False)
            t = m.table.set_index("method")
        except ValueError as err:  # an empty group or a zero cell: no MOR for this cause
            warnings.warn(f"cause {c!r}: {err}", stacklevel=2)
            t = pd.DataFrame()
        if "crude" in t.index:
            row.update({"crude_mor": t.loc["crude", "mor"], "crude_low": t.loc["crude", "ci_low"],
                        "crude_high": t.loc["crude", "ci_high"]})
        if "mantel-haenszel" in t.index:
            r = t.loc["mantel-haenszel"]
            row.update({"mor": r["mor"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                        "strata": int(r["strata"])})
        rows.append(row)
    numbers = pd.DataFrame(rows)
    for c in ("crude_mor", "crude_low", "crude_high", "mor", "ci_low", "ci_high", "strata"):
        if c not in numbers:
            numbers[c] = np.nan
    numbers = numbers.astype({c: float for c in ("crude_mor", "crude_low", "crude_high",
                                                   "mor", "ci_low", "ci_high")})
    if not suppress:
        return numbers
    long = numbers.melt(id_vars="cause", value_vars=["young_deaths", "late_deaths"],
                        var_name="onset", value_name="n").astype({"n": "int64"})
    cells = privacy.suppress(long, ["n"], rows="cause", cols="onset", threshold=threshold)
    text = dict(zip(zip(long["cause"], long["onset"]), cells["n"]))
    shown = numbers.copy()
    for col in ("young_deaths", "late_deaths"):
        shown[col] = [text[(c, col)] for c in numbers["cause"]]
    hidden = (dc.hidden_cells(shown["young_deaths"], numbers["young_deaths"])
              | dc.hidden_cells(shown["late_deaths"], numbers["late_deaths"]))
    for c in ("crude_mor", "crude_low", "crude_high", "mor", "ci_low", "ci_high"):
        shown[c] = numbers[c].round(2)
    single = hidden | (numbers["strata"].fillna(0).to_numpy() <= 1)
    shown.loc[hidden, ["crude_mor", "crude_low", "crude_high"]] = np.nan
    shown.loc[single & hidden, ["mor", "ci_low", "ci_high"]] = np.nan
    shown["strata"] = numbers["strata"].astype("Int64")
    return shown


def charlson_by_onset(cohort: pd.DataFrame, cut: float = 25.0) -> pd.DataFrame:
    """Charlson score, young vs late onset: rate ratios crude and within substance group.

    Poisson regressions (:func:`harkit.compare.regress`, robust errors) of
    ``charlson_score`` on young onset, alone and with the coarse substance group.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build`.
    cut : float, default 25.0
        Age cut of :func:`young_flag`.

    Returns
    -------
    pandas.DataFrame
        Rows ``crude`` and ``within substance group``: ``rate_ratio``, ``lower``, ``upper``,
        ``p_value``.
    """
    sud = _has_sud(cohort)
    d = pd.DataFrame({
        "charlson_score": cohort["charlson_score"].to_numpy(float),
        "young": young_flag(cohort, cut).fillna(False).to_numpy(bool).astype(int),
        "substance_group": substance_group(cohort).to_numpy(object)})[sud]
    rows = []
    for label, f in (("crude", "charlson_score ~ young"),
                     ("within substance group",
                      "charlson_score ~ young + C(substance_group, Treatment('alcohol'))")):
        with quiet():
            r = compare.regress(f, d, family="poisson", suppress=False)
        t = r.table.set_index("term").loc["young"]
        rows.append({"model": label, "rate_ratio": float(t["estimate"]),
                     "lower": float(t["lower"]), "upper": float(t["upper"]),
                     "p_value": float(t["p_value"])})
    return pd.DataFrame(rows)


def onset_hazard_ratio(cohort: pd.DataFrame, *, cut: float = 25.0,
                       truth_young: pd.Series | None = None,
                       adjust: str = "C(sex, Treatment('female')) + "
                                     "C(substance_group, Treatment('alcohol'))"
                       ) -> pd.DataFrame:
    """Gompertz-window hazard ratio of young onset: fixed covariate, landmark, truth.

    Fits :func:`harkit.survival.gompertz_window` on persons with a substance-use diagnosis:

    * ``first diagnosis before <cut>``: the register flag as a fixed covariate. Biased
      upwards: whoever died before ``cut`` was necessarily diagnosed before it.
    * ``landmark at <cut>``: only deaths after age ``cut``, everyone at risk from ``cut``
      (entry ``max(entry_age, cut)``), so the flag is known at the start of follow-up.
    * ``truth: young onset`` (with ``truth_young``): the generator's covariate, fixed at
      birth, as a benchmark.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build` (``age_at_death``, ``entry_age``, ``exit_age``).
    cut : float, default 25.0
        Age cut of :func:`young_flag` and landmark age.
    truth_young : pandas.Series, optional
        True young-onset flag aligned with ``cohort`` (synthetic data).
    adjust : str
        Adjustment terms (patsy); ``substance_group`` is derived when absent. The Charlson
        score is not among them by default: it counts conditions recorded up to death and
        so depends on the age at death itself. Standard errors are the sandwich
        (``robust=True``).

    Returns
    -------
    pandas.DataFrame
        One row per variant: ``model``, ``persons`` (suppressed with
        :func:`harkit.privacy.suppress`), ``log_hr``, ``se``, ``hazard_ratio``,
        ``hr_lower``, ``hr_upper``.
    """
    sud = _has_sud(cohort)
    d = cohort.loc[sud].copy()
    for c in d.columns:
        if isinstance(d[c].dtype, pd.CategoricalDtype):
            d[c] = d[c].astype(object)
    if "substance_group" not in d:
        d["substance_group"] = substance_group(d)
    d["young"] = young_flag(cohort, cut).fillna(False).to_numpy(bool)[sud].astype(int)
    variants = [(f"first diagnosis before {cut:g}", d, "young", "entry_age")]
    lm = d[(d["age_at_death"] > cut) & (d["exit_age"] > cut)].copy()
    lm["entry_landmark"] = np.maximum(lm["entry_age"].to_numpy(float), cut)
    variants.append((f"landmark at {cut:g}", lm, "young", "entry_landmark"))
    if truth_young is not None:
        d["truth_young"] = pd.Series(truth_young, index=cohort.index).astype(
            "boolean").fillna(False).to_numpy(bool)[sud].astype(int)
        variants.append(("truth: young onset", d, "truth_young", "entry_age"))
    rows = []
    for label, data, col, entry in variants:
        g = survival.gompertz_window(data, f"{adjust} + {col}", entry=entry, robust=True)
        r = g.table.set_index("term").loc[col]
        rows.append({"model": label, "persons": len(data), "log_hr": float(r["coef"]),
                     "se": float(r["se"]), "hazard_ratio": float(r["hazard_ratio"]),
                     "hr_lower": float(r["hr_lower"]), "hr_upper": float(r["hr_upper"])})
    return privacy.suppress(pd.DataFrame(rows), ["persons"])
