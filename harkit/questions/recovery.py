"""Who became drug-free? The recovery proxy, its definitions, and what follows recovery.

The register has no remission codes (the shipped code lists hold none), so recovery is read
from the care history: a person with a substance-use diagnosis whose substance-use contacts
stopped long before death, and who was still seen by health services after the last one
(:func:`harkit.cohort.build`, ``recovered_proxy``), optionally confirmed by a record text
saying *rusfri*, *edru*, *avholdende* ... (``recovery_text``). This module varies that
definition and assembles the answer to the brochure question::

    from harkit.questions import recovery
    defs = recovery.recovery_definitions(cohort)            # 3/5/10 years, with/without text
    recovery.definition_table(cohort, defs)                 # how many, and (synthetic) how right
    recovery.recovery_table_one(cohort, defs["5 years"])    # Table 1, recovered vs not
    recovery.substance_death_mor(cohort, defs)              # alcohol/drug-induced deaths
    recovery.naive_hazard_ratio(cohort, defs)               # immortal-time-biased comparison
    recovery.remaining_life_after_recovery(cohort, defs["5 years"])

**Immortal time.** A person is "recovered" only if they lived ``years`` after their last
substance-use contact: that survival is part of the definition, not an outcome of recovery.
Any comparison of the recovered with the others on age at death or survival counts those
years as if they were earned. Time after recovery is therefore measured from the date the
definition is met (last substance-use contact + ``years``), never from the last contact.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from harkit import _disclosure as dc
from harkit import compare, privacy, survival
from harkit.compare.table_one import TableOneResult
from harkit.questions._common import quiet
from harkit.survival.yll import RemainingLifeResult

__all__ = [
    "DEFAULT_TABLE_ONE_COLUMNS",
    "SUBSTANCE_CAUSES",
    "TEXT_MODES",
    "add_recovery_time",
    "attach_truth",
    "definition_curve",
    "definition_table",
    "naive_hazard_ratio",
    "planted_substance_death_or",
    "recovery_definitions",
    "recovery_flag",
    "recovery_table_one",
    "remaining_life_after_recovery",
    "substance_death_mor",
]

#: Underlying cause groups counted as substance-induced deaths (Norwegian Cause of Death
#: Registry / EMCDDA Selection B definitions of ``harkit/codelists/cause_group.csv``).
SUBSTANCE_CAUSES: tuple[str, ...] = ("alcohol_induced", "drug_induced")

#: How the record-text evidence combines with the contact-based proxy.
TEXT_MODES: tuple[str, ...] = ("ignore", "or", "and", "only")

#: Cohort columns described by :func:`recovery_table_one` (those present are used).
DEFAULT_TABLE_ONE_COLUMNS: tuple[str, ...] = (
    "sex", "birth_cohort", "main_substance", "n_substances", "age_first_sud",
    "age_at_death", "years_first_sud_to_death", "n_sud_episodes", "n_sud_stays",
    "charlson_score", "tx_institutional_stay", "tx_detoxification", "tx_disulfiram",
    "tx_methadone", "tx_coercive_admission", "underlying_cause_group",
)

_YEAR = 365.25


def _has_sud(cohort: pd.DataFrame) -> pd.Series:
    if "sud_group" in cohort:
        return (cohort["sud_group"].astype(object) != "none") & cohort["sud_group"].notna()
    if "first_sud_date" in cohort:
        return cohort["first_sud_date"].notna()
    raise KeyError("the cohort needs 'sud_group' or 'first_sud_date' (harkit.cohort.build)")


def _require(cohort: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in cohort.columns]
    if missing:
        raise KeyError(f"column(s) {missing} not in the cohort table (harkit.cohort.build)")


def recovery_flag(cohort: pd.DataFrame, *, years: float = 5.0, text: str = "ignore",
                  require_contact: bool = True) -> pd.Series:
    """Recovered (drug-free) flag under one definition.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build` (needs ``years_sud_free_before_death``,
        ``n_other_contacts_after_sud`` and ``sud_group``; ``recovery_text`` for text modes).
    years : float, default 5.0
        Minimum years from the last substance-use contact (or diagnosis) to death.
    text : {"ignore", "or", "and", "only"}
        Record-text evidence: not used; proxy **or** a sobriety text (more sensitive);
        proxy **and** a sobriety text (more specific); the text alone.
    require_contact : bool, default True
        Also require another health contact after the last substance-use contact (the
        silence is then not simply loss from care), as ``recovered_proxy`` does.

    Returns
    -------
    pandas.Series
        Nullable boolean, aligned with ``cohort``; NA for persons without a substance-use
        diagnosis (recovery is undefined for them).

    Raises
    ------
    ValueError
        Unknown ``text`` mode or negative ``years``.
    KeyError
        Missing cohort columns (``recovery_text`` when a text mode is asked for: the
        extract had no documents).
    """
    if text not in TEXT_MODES:
        raise ValueError(f"text must be one of {TEXT_MODES}, got {text!r}")
    if years < 0:
        raise ValueError("years must be >= 0")
    _require(cohort, ["years_sud_free_before_death", "n_other_contacts_after_sud"])
    sud = _has_sud(cohort).to_numpy(bool)
    free = cohort["years_sud_free_before_death"].to_numpy(float)
    proxy = np.nan_to_num(free, nan=-np.inf) >= years
    if require_contact:
        proxy &= cohort["n_other_contacts_after_sud"].fillna(0).to_numpy(float) > 0
    if text != "ignore":
        _require(cohort, ["recovery_text"])
        txt = cohort["recovery_text"].astype("boolean").fillna(False).to_numpy(bool)
        proxy = {"or": proxy | txt, "and": proxy & txt, "only": txt}[text]
    out = pd.array(np.where(sud, proxy, pd.NA), dtype="boolean")
    return pd.Series(out, index=cohort.index, name="recovered")


def recovery_definitions(cohort: pd.DataFrame, years: Sequence[float] = (3.0, 5.0, 10.0), *,
                         text: bool | None = None, main_years: float = 5.0) -> pd.DataFrame:
    """The recovery flag under several definitions, one column each.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build`.
    years : sequence of float
        Years without substance-use contact before death; one column ``"<y> years"`` each.
    text : bool, optional
        Add ``"<main_years> years or text"``, ``"<main_years> years and text"`` and
        ``"text only"``. Default: when the cohort has ``recovery_text`` (the extract had
        record texts).
    main_years : float, default 5.0
        The years of the proxy combined with the text evidence.

    Returns
    -------
    pandas.DataFrame
        Nullable boolean columns aligned with ``cohort`` (NA without a substance-use
        diagnosis), in the order given.
    """
    if text is None:
        text = "recovery_text" in cohort.columns
    cols: dict[str, pd.Series] = {}
    for y in years:
        cols[f"{y:g} years"] = recovery_flag(cohort, years=y)
    if text:
        for mode in ("or", "and"):
            cols[f"{main_years:g} years {mode} text"] = recovery_flag(
                cohort, years=main_years, text=mode)
        cols["text only"] = recovery_flag(cohort, years=main_years, text="only")
    return pd.DataFrame(cols, index=cohort.index)


def attach_truth(cohort: pd.DataFrame, truth: Any,
                 columns: Sequence[str] = ("recovered", "recovery_date", "onset_age",
                                           "young_onset", "group", "cause_group")
                 ) -> pd.DataFrame:
    """Add the synthetic register's per-person truth to a cohort table, by ``person_id``.

    Parameters
    ----------
    cohort : pandas.DataFrame
        With ``person_id``.
    truth : harkit.synth.Truth or pandas.DataFrame
        The generator's truth (``ex.truth``, :func:`harkit.datasets.fixture_truth`) or its
        ``persons`` table.
    columns : sequence of str
        Truth columns to add; each becomes ``truth_<column>``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``cohort`` with the ``truth_*`` columns (missing where a person is not in
        the truth).
    """
    persons = truth.persons if hasattr(truth, "persons") else truth
    _require(persons, ["person_id", *columns])
    t = persons.drop_duplicates("person_id").set_index(
        persons["person_id"].astype(str).drop_duplicates().to_numpy())
    ids = cohort["person_id"].astype(str).to_numpy()
    out = cohort.copy()
    for c in columns:
        out[f"truth_{c}"] = t[c].reindex(ids).to_numpy()
    return out


def _flags(cohort: pd.DataFrame, flags: pd.DataFrame | pd.Series | Mapping[str, Any]
           ) -> dict[str, pd.Series]:
    if isinstance(flags, pd.Series):
        return {str(flags.name or "recovered"): flags}
    if isinstance(flags, pd.DataFrame):
        return {str(c): flags[c] for c in flags.columns}
    return {str(k): pd.Series(v, index=cohort.index) for k, v in flags.items()}


def definition_table(cohort: pd.DataFrame,
                     definitions: pd.DataFrame | Mapping[str, Any] | None = None, *,
                     truth: Any = None, threshold: int | None = None,
                     suppress: bool = True) -> pd.DataFrame:
    """How many are recovered under each definition (and, on synthetic data, how right).

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build`.
    definitions : pandas.DataFrame or mapping, optional
        Boolean flags per definition (default :func:`recovery_definitions`).
    truth : harkit.synth.Truth or pandas.DataFrame, optional
        The synthetic register's truth; adds ``truly_recovered`` (persons recovered in
        the truth among those flagged), ``sensitivity``, ``specificity`` and ``ppv``
        against ``truth.persons.recovered``, over persons with a substance-use diagnosis.
    threshold : int, optional
        Smallest count shown; default the policy in force.
    suppress : bool, default True
        Show the counts through the disclosure-control policy; ``False`` returns the
        unrounded numbers (not for publication).

    Returns
    -------
    pandas.DataFrame
        One row per definition: ``definition``, ``sud_persons``, ``recovered`` (counts),
        ``percent`` (of persons with a substance-use diagnosis; hidden with its count) and
        the truth columns.
    """
    defs = _flags(cohort, recovery_definitions(cohort) if definitions is None else definitions)
    sud = _has_sud(cohort).to_numpy(bool)
    tr = None
    if truth is not None:
        t = attach_truth(cohort, truth, ["recovered"])["truth_recovered"]
        tr = t.astype("boolean").fillna(False).to_numpy(bool)
    rows = []
    for name, f in defs.items():
        flag = pd.Series(f).astype("boolean").fillna(False).to_numpy(bool) & sud
        row: dict[str, Any] = {"definition": name, "sud_persons": int(sud.sum()),
                               "recovered": int(flag.sum()),
                               "percent": round(100 * flag.sum() / max(sud.sum(), 1), 1)}
        if tr is not None:
            t_s, f_s = tr[sud], flag[sud]
            tp = int((t_s & f_s).sum())
            row.update({"truly_recovered": tp,
                        "sensitivity": tp / max(int(t_s.sum()), 1),
                        "specificity": int((~t_s & ~f_s).sum()) / max(int((~t_s).sum()), 1),
                        "ppv": tp / int(f_s.sum()) if f_s.any() else np.nan})
        rows.append(row)
    numbers = pd.DataFrame(rows)
    if not suppress:
        return numbers
    counts = [c for c in ("sud_persons", "recovered", "truly_recovered") if c in numbers]
    shown = privacy.suppress(numbers, counts, threshold=threshold,
                             percent_columns={"percent": "recovered"})
    for c in ("sensitivity", "specificity", "ppv"):
        if c in shown:
            shown[c] = numbers[c].round(3)
    return shown


def add_recovery_time(cohort: pd.DataFrame, flag: pd.Series, *, years: float = 5.0
                      ) -> pd.DataFrame:
    """Time origin of recovery: the date the definition is met, and the time after it.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build`.
    flag : pandas.Series
        Recovered flag (e.g. from :func:`recovery_flag` with the same ``years``).
    years : float, default 5.0
        The years of the definition: recovery is *established* ``years`` after the last
        substance-use contact, the first moment anyone could know it.

    Returns
    -------
    pandas.DataFrame
        A copy of ``cohort`` with, for flagged persons (NaN otherwise):
        ``age_recovery_established``, ``recovery_year`` (calendar year it was
        established), ``years_after_recovery`` (death minus that date: the time at risk
        after recovery) and ``years_since_last_sud`` (death minus the last contact, which
        includes ``years`` of immortal time).
    """
    _require(cohort, ["years_sud_free_before_death", "age_at_death", "death_date"])
    f = pd.Series(flag, index=cohort.index).astype("boolean").fillna(False).to_numpy(bool)
    free = cohort["years_sud_free_before_death"].to_numpy(float)
    after = np.where(f, free - years, np.nan)
    out = cohort.copy()
    out["years_since_last_sud"] = np.where(f, free, np.nan)
    out["years_after_recovery"] = after
    out["age_recovery_established"] = cohort["age_at_death"].to_numpy(float) - after
    death = pd.to_datetime(cohort["death_date"])
    est = death - pd.to_timedelta(np.nan_to_num(after) * _YEAR, unit="D")
    out["recovery_year"] = np.where(f, est.dt.year.to_numpy(float), np.nan)
    return out


def recovery_table_one(cohort: pd.DataFrame, flag: pd.Series,
                       columns: Sequence[str] | None = None, *,
                       labels: tuple[str, str] = ("drug-free", "not drug-free"),
                       **kwargs: Any) -> TableOneResult:
    """Table 1 of persons with a substance-use diagnosis, recovered vs not.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build`.
    flag : pandas.Series
        Recovered flag aligned with ``cohort``.
    columns : sequence of str, optional
        Variables; default those of :data:`DEFAULT_TABLE_ONE_COLUMNS` present in the cohort.
    labels : (str, str)
        Group labels for flagged and not flagged persons.
    **kwargs
        Passed to :func:`harkit.compare.table_one` (counts are suppressed by default).

    Returns
    -------
    TableOneResult
        With a note that characteristics measured at death include the immortal time of the
        definition.
    """
    sud = _has_sud(cohort).to_numpy(bool)
    f = pd.Series(flag, index=cohort.index).astype("boolean").fillna(False).to_numpy(bool)
    cols = list(columns) if columns is not None else \
        [c for c in DEFAULT_TABLE_ONE_COLUMNS if c in cohort.columns]
    d = cohort.loc[sud, cols].copy()
    for c in d.columns:  # drop unobserved categories (e.g. sud_group 'none')
        if isinstance(d[c].dtype, pd.CategoricalDtype):
            d[c] = d[c].cat.remove_unused_categories()
    d["recovery"] = pd.Categorical(np.where(f[sud], labels[0], labels[1]),
                                   categories=list(labels))
    kwargs.setdefault("nonnormal", True)
    res = compare.table_one(d, groupby="recovery", columns=cols, **kwargs)
    res.notes.append(
        "Recovered persons lived, by definition, years without substance-use contact "
        "before death: their ages at death and years from first diagnosis include that "
        "immortal time, and their causes of death come later in life.")
    return res


def substance_death_mor(cohort: pd.DataFrame,
                        flags: pd.DataFrame | pd.Series | Mapping[str, Any], *,
                        causes: Sequence[str] = SUBSTANCE_CAUSES,
                        cause_col: str = "underlying_cause_group",
                        strata: Sequence[str] = ("age_group", "main_substance"),
                        age_bins: Sequence[float] = (0, 50, 70, np.inf),
                        threshold: int | None = None,
                        suppress: bool = True) -> pd.DataFrame:
    """Mortality odds ratio of a substance-induced death, recovered vs not, per definition.

    The outcome is dying of any of ``causes`` rather than of any other cause; the
    Mantel-Haenszel MOR is stratified by ``strata`` (default: age at death below 50, 50-69,
    70+, and main substance, because the cause mix depends on both), among persons with a
    substance-use diagnosis. A MOR compares the mix of causes, not rates.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build` (or with a truth cause column).
    flags : pandas.DataFrame, pandas.Series or mapping
        Recovered flags, one per definition.
    causes : sequence of str
        Values of ``cause_col`` counted as a substance-induced death.
    cause_col : str
        Cause-of-death column.
    strata : sequence of str
        Strata for :func:`harkit.survival.mortality_odds_ratio` (``age_group`` is derived
        from ``age_bins``).
    age_bins : sequence of float
        Age-group edges.
    threshold : int, optional
        Smallest count shown; default the policy in force.
    suppress : bool, default True
        Show the four counts through the disclosure-control policy (secondary
        suppression), leave out the crude MOR of a definition with a hidden count (with
        the margins it gives the count back), and round the estimates for display;
        ``False`` returns the unrounded numbers (not for publication).

    Returns
    -------
    pandas.DataFrame
        One row per definition: ``definition``, ``crude_mor``, ``mor`` (Mantel-Haenszel),
        ``ci_low``, ``ci_high``, ``p_value``, ``strata`` and the counts ``recovered_cause``,
        ``recovered_other``, ``not_recovered_cause``, ``not_recovered_other``.
    """
    _require(cohort, [cause_col, "age_at_death"])
    sud = _has_sud(cohort).to_numpy(bool)
    base = cohort.loc[sud].copy()
    base["_cause"] = np.where(base[cause_col].astype(object).isin(list(causes)),
                              "substance", "other")
    base.loc[base[cause_col].isna(), "_cause"] = None
    for s in strata:
        if s in base and isinstance(base[s].dtype, pd.CategoricalDtype):
            base[s] = base[s].astype(object)
    rows = []
    for name, f in _flags(cohort, flags).items():
        fl = pd.Series(f).astype("boolean").fillna(False).to_numpy(bool)[sud]
        d = base.assign(_rec=np.where(fl, "yes", "no"))
        row: dict[str, Any] = {"definition": name}
        try:
            with quiet():
                m = survival.mortality_odds_ratio(
                    d, "_cause", ["substance"], group_col="_rec", reference="no",
                    strata=tuple(strata), age_bins=list(age_bins), method="mh",
                    suppress=False)
            t = m.table.set_index("method")
        except ValueError as err:  # nobody flagged, or a zero cell: no MOR
            warnings.warn(f"definition {name!r}: {err}", stacklevel=2)
            t = pd.DataFrame()
        if "mantel-haenszel" in t.index:
            r = t.loc["mantel-haenszel"]
            row.update({"crude_mor": float(t.loc["crude", "mor"]), "mor": float(r["mor"]),
                        "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"]),
                        "p_value": float(r["p_value"]), "strata": int(r["strata"]),
                        "recovered_cause": int(r["a"]), "recovered_other": int(r["b"]),
                        "not_recovered_cause": int(r["c"]), "not_recovered_other": int(r["d"])})
        rows.append(row)
    numbers = pd.DataFrame(rows)
    if not suppress:
        return numbers
    counts = ["recovered_cause", "recovered_other", "not_recovered_cause",
              "not_recovered_other"]
    shown = numbers.copy()
    if set(counts) <= set(numbers.columns):
        for c in counts:
            shown[c] = shown[c].astype("Int64")
        ok = shown[counts].notna().all(axis=1)
        part = privacy.suppress(shown.loc[ok, counts].astype("int64"), counts,
                                threshold=threshold, secondary=True)
        shown[counts] = shown[counts].astype(object)
        shown.loc[ok, counts] = part.to_numpy()
        hidden = np.zeros(len(shown), bool)
        for c in counts:
            hidden |= dc.hidden_cells(shown[c], numbers[c])
        shown.loc[hidden, "crude_mor"] = np.nan
    for c in ("crude_mor", "mor", "ci_low", "ci_high"):
        if c in shown:
            shown[c] = shown[c].round(2)
    if "p_value" in shown:
        shown["p_value"] = shown["p_value"].map(_fmt_p)
    return shown


def _fmt_p(p: Any) -> Any:
    if pd.isna(p):
        return p
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def planted_substance_death_or(truth: Any) -> float:
    """Odds ratio of an alcohol or overdose death, recovered vs not, in the generator.

    The synthetic register's cause model multiplies the cause-specific hazards of its
    ``alcohol`` and ``overdose`` cause groups by a constant factor after recovery (before
    the shares are renormalised), so the odds of "alcohol or overdose" against any other
    cause change by that factor for every person, whatever their substance group, age or
    conditions. The factor is read from the truth, not from the generator.

    Parameters
    ----------
    truth : harkit.synth.Truth
        The register's truth (``truth.prevalences["recovery_cause_odds_ratio"]``).

    Returns
    -------
    float
        The planted odds ratio.

    Raises
    ------
    KeyError
        If the truth does not carry the factor.
    """
    return float(truth.prevalences["recovery_cause_odds_ratio"])


def definition_curve(cohort: pd.DataFrame, years: Sequence[float] = tuple(range(1, 21)), *,
                     truth: Any = None, threshold: int | None = None
                     ) -> pd.DataFrame:
    """Share recovered (and, on synthetic data, sensitivity and PPV) by years of silence.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build`.
    years : sequence of float
        Years without substance-use contact before death (contact-based proxy, no text).
    truth : harkit.synth.Truth, optional
        Adds ``sensitivity`` and ``ppv`` against the truth.
    threshold : int, optional
        Smallest count shown (default the policy in force): a point is left out when its
        count of recovered persons, the rest, or its difference from the previous point
        shown lies between 1 and ``threshold - 1`` (the percentages would give it back).

    Returns
    -------
    pandas.DataFrame
        One row per value of ``years``: ``years``, ``percent`` and the truth columns; no
        counts.
    """
    defs = {f"{y:g}": recovery_flag(cohort, years=y) for y in years}
    num = definition_table(cohort, defs, truth=truth, suppress=False)
    num = num[_curve_points(num["recovered"].to_numpy(), num["sud_persons"].to_numpy(),
                            dc.threshold_for(threshold))]
    out = pd.DataFrame({"years": num["definition"].astype(float), "percent": num["percent"]})
    for c in ("sensitivity", "ppv"):
        if c in num:
            out[c] = num[c].astype(float).round(3)
    return out.reset_index(drop=True)


def naive_hazard_ratio(cohort: pd.DataFrame,
                       flags: pd.DataFrame | pd.Series | Mapping[str, Any], *,
                       adjust: str = "C(sex, Treatment('female')) + C(sud_group, "
                                     "Treatment('alcohol'))") -> pd.DataFrame:
    """Gompertz-window hazard ratio of the recovered, as a fixed covariate (biased).

    Fits :func:`harkit.survival.gompertz_window` on persons with a substance-use diagnosis
    with ``adjust + recovered``. Because recovery is defined by years of survival without
    substance-use contact, the flag depends on the outcome (immortal time): the estimate
    shows how large that bias is, not an effect of recovery.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build` (``age_at_death``, ``entry_age``, ``exit_age``).
    flags : pandas.DataFrame, pandas.Series or mapping
        Recovered flags, one per definition.
    adjust : str
        Right-hand side of the adjustment terms (patsy).

    Returns
    -------
    pandas.DataFrame
        One row per definition (sandwich standard errors, ``robust=True``):
        ``definition``, ``log_hr``, ``se``, ``hazard_ratio``,
        ``hr_lower``, ``hr_upper``.
    """
    sud = _has_sud(cohort).to_numpy(bool)
    base = cohort.loc[sud].copy()
    for c in base.columns:
        if isinstance(base[c].dtype, pd.CategoricalDtype):
            base[c] = base[c].astype(object)
    rows = []
    for name, f in _flags(cohort, flags).items():
        d = base.assign(recovered=pd.Series(f).astype("boolean").fillna(False)
                        .to_numpy(bool)[sud].astype(int))
        g = survival.gompertz_window(d, f"{adjust} + recovered", robust=True)
        r = g.table.set_index("term").loc["recovered"]
        rows.append({"definition": name, "log_hr": float(r["coef"]), "se": float(r["se"]),
                     "hazard_ratio": float(r["hazard_ratio"]),
                     "hr_lower": float(r["hr_lower"]), "hr_upper": float(r["hr_upper"])})
    return pd.DataFrame(rows)


def remaining_life_after_recovery(cohort: pd.DataFrame, flag: pd.Series, *,
                                  years: float = 5.0, by: str | Sequence[str] | None = None,
                                  bootstrap: int = 200, seed: int | None = 1,
                                  progress: bool = False,
                                  suppress: bool = True) -> RemainingLifeResult:
    """Remaining life from the date recovery is established, against the population.

    The time origin is the date the definition is met (last substance-use contact +
    ``years``; :func:`add_recovery_time`). The time from there to death is right truncated
    by the end of the archive window (someone recovered in 2010 is seen only if they died
    by 2015), so :func:`harkit.survival.remaining_life_from_diagnosis` is used with that
    origin: a truncation-aware mean next to the naive one and the Norwegian population's
    remaining life expectancy at the same age, sex and year.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build`.
    flag : pandas.Series
        Recovered flag built with the same ``years``.
    years : float, default 5.0
        Years of the definition.
    by : str or sequence of str, optional
        Grouping columns (e.g. ``"sud_group"``).
    bootstrap : int, default 200
        Bootstrap replicates for the CIs.
    seed : int, optional
        Bootstrap seed.
    progress : bool, default False
        Progress bar.
    suppress : bool, default True
        Counts through the disclosure-control policy, as
        :func:`harkit.survival.remaining_life_from_diagnosis` (the naive mean of a hidden
        group is left out with its other figures).

    Returns
    -------
    RemainingLifeResult
        As :func:`harkit.survival.remaining_life_from_diagnosis`, with a note on the time
        origin; ``table["naive_from_last_contact"]`` is the plain mean time from the last
        substance-use contact, which adds ``years`` of immortal time.
    """
    d = add_recovery_time(cohort, flag, years=years)
    d = d[d["years_after_recovery"].notna()].copy()
    if by is not None:
        for c in [by] if isinstance(by, str) else by:
            if isinstance(d[c].dtype, pd.CategoricalDtype):
                d[c] = d[c].cat.remove_unused_categories()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = survival.remaining_life_from_diagnosis(
            d, start_age="age_recovery_established", start_year="recovery_year",
            by=by, bootstrap=bootstrap, seed=seed, progress=progress, suppress=suppress)
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    naive = (d.groupby(keys, observed=True)["years_since_last_sud"].mean().reset_index()
             if keys else pd.DataFrame({"years_since_last_sud": [d["years_since_last_sud"]
                                                                    .mean()]}))
    naive = naive.rename(columns={"years_since_last_sud": "naive_from_last_contact"})
    hidden = res.table["observed_mean"].isna().to_numpy() if suppress else None
    res.table = (res.table.merge(naive, on=keys, how="left") if keys else
                 res.table.assign(naive_from_last_contact=float(
                     naive["naive_from_last_contact"].iloc[0])))
    if hidden is not None:  # a hidden group's figures are all left out
        res.table.loc[hidden, "naive_from_last_contact"] = np.nan
    res.notes.insert(0, (
        f"Time origin: the date recovery is established ({years:g} years after the last "
        "substance-use contact). Counting from the last contact would add those years of "
        "immortal time (naive_from_last_contact)."))
    return res


def _curve_points(k: np.ndarray, n: np.ndarray, thr: int) -> np.ndarray:
    """Points of a percentage curve that show no small count, alone or by difference."""
    keep = np.zeros(len(k), bool)
    last = None
    for i, (ki, ni) in enumerate(zip(k, n)):
        steps = [ki, ni - ki] + ([abs(ki - last)] if last is not None else [])
        if all(v == 0 or v >= thr for v in steps):
            keep[i], last = True, ki
    return keep
