"""How do alcohol patients differ from patients with other substance-use disorders?

The recipe behind the notebook ``01_alcohol_vs_other``. Patients are grouped by
``sud_group`` of :func:`harkit.cohort.build`: ``alcohol`` (main substance alcohol) and
``other_sud`` (main substance a drug). Build the cohort with
``main_substance="main_diagnosis"`` (the substance of most substance-use main
diagnoses): with the default hierarchy any drug outranks alcohol, so a single sedative or
cannabis co-use code moves an alcohol patient into ``other_sud``. The pieces:

* :func:`sud_patients` - the two groups, with a Charlson category and 20-year birth
  cohorts, ready for the tables below;
* :func:`table_one` - the publication Table 1 with standardized mean differences;
* :func:`age_at_death` - naive next to truncation-aware mean and median age at death;
* :func:`mortality_contrast` - the Gompertz hazard ratio of other SUD against alcohol,
  conditional on the archive window;
* :func:`causes_of_death` - proportional mortality ratios, indirectly standardised by age,
  sex and death period against the alcohol group;
* :func:`profile` and :func:`planted_cohort` - a few headline numbers per group, computed
  in the same way from the register and from the synthetic register's ground truth.

Example::

    import harkit as hk
    from harkit.questions import substance_groups as sg

    cohort = hk.cohort.build(ex, sud_entry_age=15, main_substance="main_diagnosis")
    sg.table_one(cohort)
    sg.mortality_contrast(cohort).table
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from harkit import _disclosure as dc
from harkit import compare, privacy, survival

__all__ = [
    "CAUSE_ORDER",
    "GROUPS",
    "GROUP_LABELS",
    "LABELS",
    "PLANTED_TO_CHARLSON",
    "TREATMENTS",
    "age_at_death",
    "causes_of_death",
    "mortality_contrast",
    "planted_cohort",
    "profile",
    "sud_patients",
    "table_one",
]

#: The two groups compared, in display order (values of ``sud_group``).
GROUPS: tuple[str, str] = ("alcohol", "other_sud")

#: Display names of the ``sud_group`` values.
GROUP_LABELS: dict[str, str] = {
    "alcohol": "Alcohol", "other_sud": "Other SUD", "none": "Comparison",
}

#: Treatments of the ``treatments`` table, as ``tx_<type>`` columns of the cohort table.
TREATMENTS: tuple[str, ...] = (
    "institutional_stay", "detoxification", "disulfiram", "methadone", "buprenorphine",
    "outpatient_counselling", "psychiatric_care", "coercive_admission", "other",
)

#: Order of the underlying cause-of-death groups (``harkit/codelists/cause_group.csv``).
CAUSE_ORDER: tuple[str, ...] = (
    "alcohol_induced", "drug_induced", "suicide", "accident", "violence", "cancer",
    "cardiovascular", "respiratory", "liver", "other",
)

#: Variable labels of :func:`table_one` (cohort column -> label).
LABELS: dict[str, str] = {
    "sex": "Sex",
    "birth_cohort_20": "Birth cohort",
    "death_period": "Death period",
    "age_first_sud": "Age at first SUD diagnosis, years",
    "age_at_death": "Age at death, years",
    "years_first_sud_to_death": "Years from first SUD diagnosis to death",
    "n_sud_episodes": "Contacts with a SUD diagnosis",
    "charlson_score": "Charlson score",
    "charlson_group": "Charlson score, groups",
    "underlying_cause_group": "Underlying cause of death",
    **{f"tx_{t}": "Treatment: " + t.replace("_", " ") for t in TREATMENTS},
}

#: Planted comorbid condition of the synthetic register (``truth.persons`` column
#: ``cond_<key>``) -> Charlson condition of :func:`harkit.icd.charlson` (``cci_<value>``).
PLANTED_TO_CHARLSON: dict[str, str] = {
    "mi": "myocardial_infarction",
    "chf": "congestive_heart_failure",
    "pvd": "peripheral_vascular_disease",
    "cvd": "cerebrovascular_disease",
    "dementia": "dementia",
    "copd": "chronic_obstructive_pulmonary_disease",
    "rheumatic": "rheumatic_disease",
    "ulcer": "peptic_ulcer_disease",
    "mild_liver": "mild_liver_disease",
    "diabetes": "diabetes_without_chronic_complication",
    "malignancy": "malignancy",
    "aids": "aids",
}

_BIRTH_EDGES = (1910, 1930, 1950, 1970)
_BIRTH_LABELS = ("before 1910", "1910-1929", "1930-1949", "1950-1969", "1970 or later")
_CHARLSON_LABELS = ("0", "1", "2", "3+")
_YEAR = 365.25


def sud_patients(cohort: pd.DataFrame, *, group: str = "sud_group",
                 groups: Sequence[str] = GROUPS) -> pd.DataFrame:
    """The persons of the compared groups, with two derived columns.

    Parameters
    ----------
    cohort : pandas.DataFrame
        The cohort table (:func:`harkit.cohort.build`) or :func:`planted_cohort`.
    group : str, default "sud_group"
        Column holding the group.
    groups : sequence of str, default ``GROUPS``
        Groups kept, in display order.

    Returns
    -------
    pandas.DataFrame
        The rows of ``groups``, with ``group`` an ordered categorical of exactly these
        levels, ``birth_cohort_20`` (20-year birth cohorts, from ``birth_year``) and
        ``charlson_group`` (0, 1, 2, 3+, from ``charlson_score``) when their source
        columns exist.

    Raises
    ------
    KeyError
        If ``group`` is not a column.
    """
    if group not in cohort.columns:
        raise KeyError(f"column {group!r} not in the cohort table")
    values = cohort[group].astype("string")
    out = cohort.loc[values.isin(list(groups)).fillna(False).to_numpy()].copy()
    out[group] = pd.Categorical(out[group].astype(str), categories=list(groups),
                                ordered=True)
    if "birth_year" in out.columns:
        year = pd.to_numeric(out["birth_year"], errors="coerce").to_numpy(float)
        pos = np.searchsorted(_BIRTH_EDGES, year, side="right")
        labels = np.asarray(_BIRTH_LABELS, dtype=object)[np.minimum(pos, len(_BIRTH_EDGES))]
        labels[np.isnan(year)] = None
        out["birth_cohort_20"] = pd.Categorical(labels, categories=list(_BIRTH_LABELS),
                                                ordered=True)
    if "charlson_score" in out.columns:
        score = pd.to_numeric(out["charlson_score"], errors="coerce").to_numpy(float)
        labels = np.asarray(_CHARLSON_LABELS, dtype=object)[
            np.clip(np.nan_to_num(score), 0, 3).astype(int)]
        labels[np.isnan(score)] = None
        out["charlson_group"] = pd.Categorical(labels, categories=list(_CHARLSON_LABELS),
                                               ordered=True)
    return out


def table_one(cohort: pd.DataFrame, *, columns: Sequence[str] | None = None,
              pvalues: bool = False, suppress: bool = True,
              threshold: int | None = None) -> compare.TableOneResult:
    """Table 1 of alcohol against other substance-use disorder patients, with SMDs.

    Sex, 20-year birth cohort, death period, ages at first substance-use diagnosis and at
    death, years between them, substance-use contacts, the Charlson score (coded
    diagnoses, whole history) as a number and in groups, the underlying cause of death and
    every treatment ever received (``tx_*`` columns with at least one treated person).
    Variables are labelled with :data:`LABELS`; the ``SMD`` column is the absolute
    standardized mean difference between the two groups
    (:func:`harkit.compare.table_one`).

    Parameters
    ----------
    cohort : pandas.DataFrame
        The cohort table (:func:`harkit.cohort.build`) or :func:`planted_cohort`.
    columns : sequence of str, optional
        Cohort columns to describe; default all of the above that exist.
    pvalues : bool, default False
        Add p-values (they are nearly all tiny at register sizes; SMDs say more).
    suppress : bool, default True
        Counts through the disclosure-control policy (:func:`harkit.compare.table_one`).
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    harkit.compare.TableOneResult
        Groups as columns ``Alcohol`` and ``Other SUD`` (plus ``Overall``).
    """
    df = sud_patients(cohort)
    if columns is None:
        columns = [c for c in LABELS if c in df.columns]
        columns = [c for c in columns
                   if not c.startswith("tx_") or df[c].fillna(False).astype(bool).any()]
    columns = list(columns)
    categorical = [c for c in columns
                   if c.startswith("tx_") or c in ("sex", "birth_cohort_20", "death_period",
                                                   "charlson_group", "underlying_cause_group")]
    renamed = {c: LABELS.get(c, c) for c in [*columns, "sud_group"]}
    renamed["sud_group"] = "group"
    data = df[[*columns, "sud_group"]].rename(columns=renamed)
    data["group"] = data["group"].cat.rename_categories(
        [GROUP_LABELS.get(g, g) for g in data["group"].cat.categories])
    for c in categorical:
        if c.startswith("tx_"):
            data[renamed[c]] = data[renamed[c]].map({True: "yes", False: "no"}).astype(
                pd.CategoricalDtype(["yes", "no"], ordered=True))
    order = {}
    if "underlying_cause_group" in columns:
        seen = set(df["underlying_cause_group"].dropna().astype(str))
        order[renamed["underlying_cause_group"]] = (
            [c for c in CAUSE_ORDER if c in seen] + sorted(seen - set(CAUSE_ORDER)))
    return compare.table_one(
        data, groupby="group", columns=[renamed[c] for c in columns],
        categorical=[renamed[c] for c in categorical],
        continuous=[renamed[c] for c in columns if c not in categorical],
        pvalues=pvalues, order=order, suppress=suppress, threshold=threshold)


def age_at_death(cohort: pd.DataFrame, *, bootstrap: int = 200, seed: int = 1,
                 by: Sequence[str] = (), suppress: bool = True) -> survival.AgeAtDeathResult:
    """Naive and truncation-aware mean and median age at death of the two groups.

    Use a cohort built with ``sud_entry_age=15`` (nobody is a substance-use patient as a
    child), so the left truncation age of the patients is at least 15.

    Parameters
    ----------
    cohort : pandas.DataFrame
        The cohort table.
    bootstrap : int, default 200
        Bootstrap resamples for the truncation-aware intervals.
    seed : int, default 1
        Bootstrap seed.
    by : sequence of str, optional
        Further grouping columns (e.g. ``["sex"]``).
    suppress : bool, default True
        Counts through the disclosure-control policy (:func:`harkit.survival.age_at_death`).

    Returns
    -------
    harkit.survival.AgeAtDeathResult
        One row per group (see :func:`harkit.survival.age_at_death`).
    """
    df = sud_patients(cohort)
    return survival.age_at_death(df, by=["sud_group", *by], bootstrap=bootstrap, seed=seed,
                                 progress=False, suppress=suppress)


def mortality_contrast(cohort: pd.DataFrame, *, at_age: float = 40.0
                       ) -> survival.GompertzWindowResult:
    """Hazard ratio of death, other SUD against alcohol, adjusted for sex.

    A Gompertz proportional-hazards model of age at death fitted conditional on each
    person's archive window (:func:`harkit.survival.gompertz_window`): unlike the mean age
    at death it does not depend on which birth cohorts the window admits.

    Parameters
    ----------
    cohort : pandas.DataFrame
        The cohort table, built with ``sud_entry_age=15``.
    at_age : float, default 40
        Age at which remaining life expectancy is compared (``e_diff``).

    Returns
    -------
    harkit.survival.GompertzWindowResult
        Terms ``male`` and ``other_sud`` (log hazard ratio ``coef`` and ``hazard_ratio``),
        with sandwich standard errors (``robust=True``): real mortality is only roughly a
        Gompertz curve, and the model-based errors are then too narrow
        (``benchmarks/coverage_study.py``).
    """
    df = sud_patients(cohort)
    df["male"] = (df["sex"].astype(str) == "male").astype(float)
    df["other_sud"] = (df["sud_group"] == "other_sud").astype(float)
    return survival.gompertz_window(df, "male + other_sud", at_age=at_age, robust=True)


def causes_of_death(cohort: pd.DataFrame, *, suppress: bool = True,
                    threshold: int | None = None) -> survival.PMRResult:
    """Proportional mortality ratios of other SUD against alcohol, by cause group.

    Indirectly standardised by 10-year age group, sex and death period
    (:func:`harkit.survival.proportional_mortality`): the cause mix of other SUD deaths
    against what the alcohol deaths of the same age, sex and period would predict.

    Parameters
    ----------
    cohort : pandas.DataFrame
        The cohort table (needs ``underlying_cause_group``).

    suppress : bool, default True
        Counts through the disclosure-control policy, with the PMRs of hidden counts left
        out (:func:`harkit.survival.proportional_mortality`).
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    harkit.survival.PMRResult
        One row per cause group, in the order of :data:`CAUSE_ORDER`. The warnings of
        :func:`harkit.survival.proportional_mortality` (deaths in strata without
        reference deaths, causes without expected deaths) are in ``notes``.
    """
    df = sud_patients(cohort)
    df["sud_group"] = df["sud_group"].astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the same messages are in notes
        res = survival.proportional_mortality(df, "underlying_cause_group",
                                              group_col="sud_group", reference="alcohol",
                                              suppress=suppress, threshold=threshold)
    t = res.table.copy()
    rank = {c: i for i, c in enumerate(CAUSE_ORDER)}
    t["_rank"] = t["cause"].map(lambda c: rank.get(c, len(rank)))
    t = t.sort_values(["_rank", "cause"], kind="stable").drop(columns="_rank")
    t = t.reset_index(drop=True)
    t.attrs.update(res.table.attrs)
    res.table = t
    return res


def profile(cohort: pd.DataFrame, *, groups: Sequence[str] = (*GROUPS, "none"),
            suppress: bool = True) -> pd.DataFrame:
    """Headline numbers per group, the same way from the register or from the truth.

    Parameters
    ----------
    cohort : pandas.DataFrame
        The cohort table, or :func:`planted_cohort` (where ``age_first_sud`` is the true
        onset age and ``charlson_score`` the planted score).
    groups : sequence of str
        Groups (``sud_group`` values), in row order.
    suppress : bool, default True
        Show ``persons`` through the disclosure-control policy; a group whose count is
        hidden shows no numbers, and a percentage whose count of persons (or its
        complement) would be hidden is left out.

    Returns
    -------
    pandas.DataFrame
        Index ``group``; columns ``persons``, ``men_pct``, ``mean_age_first_sud``,
        ``mean_age_at_death``, ``mean_charlson``, ``alcohol_induced_pct``,
        ``drug_induced_pct`` (means and percentages rounded to 0.1 when suppressed, else
        unrounded).
    """
    df = sud_patients(cohort, groups=groups)
    rows = []
    for g in groups:
        d = df[df["sud_group"] == g]
        cause = d["underlying_cause_group"].astype("string")
        rows.append({
            "group": g,
            "persons": len(d),
            "men_pct": 100 * float((d["sex"].astype(str) == "male").mean()) if len(d)
            else np.nan,
            "mean_age_first_sud": float(d["age_first_sud"].mean()),
            "mean_age_at_death": float(d["age_at_death"].mean()),
            "mean_charlson": float(d["charlson_score"].mean()),
            "alcohol_induced_pct": 100 * float((cause == "alcohol_induced").mean())
            if len(d) else np.nan,
            "drug_induced_pct": 100 * float((cause == "drug_induced").mean())
            if len(d) else np.nan,
        })
    out = pd.DataFrame(rows).set_index("group")
    if suppress:
        out = _shown_profile(out)
    return out


def _shown_profile(out: pd.DataFrame) -> pd.DataFrame:
    """Persons through the policy; a percentage of persons hidden where it (or its
    complement) stands for a count the policy hides, as it would give that count back."""
    n = out["persons"].to_numpy(float)
    shown = out.round(1)
    for pct in ("men_pct", "alcohol_induced_pct", "drug_induced_pct"):
        k = np.round(out[pct].to_numpy(float) / 100 * n)
        ratio = dc.plotted_ratio(k, n, complement=True)
        shown.loc[np.isnan(ratio), pct] = np.nan
    small = (out["persons"] > 0) & (out["persons"] < dc.threshold_for(None))
    shown.loc[small, shown.columns.drop("persons")] = np.nan
    return privacy.suppress(shown, ["persons"])


def _years(a: pd.Series, b: Any) -> np.ndarray:
    delta = pd.to_datetime(b) - pd.to_datetime(a)
    return (pd.Series(delta).dt.total_seconds() / (86400 * _YEAR)).to_numpy(float)


def planted_cohort(truth: Any) -> pd.DataFrame:
    """The synthetic register's ground truth laid out like the cohort table.

    For comparisons of register estimates with what the generator planted
    (:class:`harkit.synth.Truth`): one row per person of ``truth.persons`` with the columns
    of :func:`harkit.cohort.build` that the question recipes use, filled with the true
    values: ``sud_group`` from the true group (drug groups are ``other_sud``), exact ages,
    ``entry_age`` (max of the age at window start and the true entry age, 15 for
    substance-use lives) and ``exit_age``, ``age_first_sud`` = the true onset age,
    ``charlson_score`` = the planted score, ``cci_<condition>`` from the planted
    ``cond_<condition>`` flags (:data:`PLANTED_TO_CHARLSON`; conditions never planted are
    False), and ``underlying_cause_group`` = the category of the underlying cause code
    (``truth.causes_of_death.cause_group``).

    Parameters
    ----------
    truth : harkit.synth.Truth
        The generator's truth (``extract.truth`` or :func:`harkit.datasets.fixture_truth`).

    Returns
    -------
    pandas.DataFrame
    """
    p = truth.persons
    start_year, end_year = truth.death_window
    birth = pd.to_datetime(p["birth_date"])
    out = pd.DataFrame({"person_id": p["person_id"].to_numpy()})
    out["sex"] = pd.Categorical(p["sex"].astype(str).to_numpy(),
                                categories=["male", "female"])
    out["birth_year"] = birth.dt.year.to_numpy()
    out["death_year"] = pd.to_datetime(p["death_date"]).dt.year.to_numpy()
    out["age_at_death"] = p["age_at_death"].to_numpy(float)
    at_start = _years(birth, pd.Timestamp(f"{start_year}-01-01"))
    out["entry_age"] = np.maximum(np.maximum(at_start, 0.0), p["entry_age"].to_numpy(float))
    out["exit_age"] = _years(birth, pd.Timestamp(f"{end_year + 1}-01-01"))
    group = p["group"].astype(str).to_numpy()
    out["group"] = group
    out["sud_group"] = pd.Categorical(
        np.where(group == "none", "none", np.where(group == "alcohol", "alcohol",
                                                   "other_sud")),
        categories=["alcohol", "other_sud", "none"])
    decade = out["death_year"] // 10 * 10
    out["death_period"] = pd.Categorical(decade.astype(str) + "-" + (decade + 9).astype(str),
                                         ordered=True)
    out["age_first_sud"] = p["onset_age"].to_numpy(float)
    out["charlson_score"] = p["comorbidity"].to_numpy(float)
    for planted, condition in PLANTED_TO_CHARLSON.items():
        # a truth written before a condition was planted has no flag for it
        flag = p.get(f"cond_{planted}", False)
        out[f"cci_{condition}"] = np.broadcast_to(np.asarray(flag, dtype=bool), len(p)).copy()
    causes = truth.causes_of_death
    under = causes[causes["cause_type"].astype(str) == "underlying"]
    under = under.drop_duplicates("person_id").set_index("person_id")["cause_group"]
    out["underlying_cause_group"] = out["person_id"].map(under).astype("string")
    return out
