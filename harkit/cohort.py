"""The person-level analysis table: one row per person, analysis-ready.

:func:`build` turns an extract (persons, episodes, diagnoses, causes of death,
treatments, institutions, documents) into the cohort table that the statistics modules
take: sex, dates and ages, birth cohort and death period, the archive window of each
person as left/right truncation ages, substance-use history (flags, main substance,
first/last diagnosis, onset group), contacts and stays, treatment exposures, the
Charlson index, the underlying cause group and a recovery (drug-free) proxy.

Everything is vectorised over integer person indices (no per-person Python), so a
full-size register of 1.3 M persons and 6 M diagnoses builds in seconds plus the time
of :func:`harkit.icd.harmonise`. See ``docs/cohort.md`` for every column.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from harkit import icd
from harkit.errors import SchemaError

__all__ = ["DEFAULT_HIERARCHY", "ENTRY_CHOICES", "RECOVERY_TEXT_PATTERN", "build",
           "exposure_intervals"]

#: Exposure-timing choices of :func:`build` (``entry``); see ``docs/cohort.md``.
ENTRY_CHOICES: tuple[str, ...] = ("window", "first_diagnosis", "landmark")

#: Main-substance hierarchy, highest first: a person's main substance is the first of
#: these they have a diagnosis of (``main_substance="hierarchy"``), and ties are broken
#: by it (``main_substance="main_diagnosis"``). Cocaine ranks with the stimulants.
DEFAULT_HIERARCHY: tuple[str, ...] = (
    "opioids", "cocaine", "stimulants", "sedatives", "cannabis", "hallucinogens",
    "solvents", "polydrug", "alcohol",
)

#: Sobriety / remission words in record texts (Norwegian, case-insensitive), used for
#: ``recovery_text``. A match preceded by "ikke" within a few words is not counted.
RECOVERY_TEXT_PATTERN = r"\b(?:rusfri|rusfrihet|edru|avholdende|i remisjon)\b"

_YEAR = 365.25
_NEGATION = r"\bikke\b\W+(?:\w+\W+){0,2}$"


def _years(a: Any, b: Any) -> np.ndarray:
    """Float years (365.25 days) from dates ``a`` to dates ``b`` (NaN where missing)."""
    a, b = (_dt64(x) for x in (a, b))
    delta = (b - a).astype("timedelta64[s]")
    out = delta.astype(np.float64) / (86400 * _YEAR)
    out[np.isnat(delta)] = np.nan
    return out


def _dt64(x: Any) -> np.ndarray:
    if isinstance(x, pd.Timestamp):
        return np.datetime64(x.to_datetime64(), "s")
    arr = np.asarray(x)
    if arr.dtype.kind != "M":
        arr = pd.to_datetime(pd.Series(x)).to_numpy()
    return arr.astype("datetime64[s]")


def _table(extract: Any, name: str) -> pd.DataFrame | None:
    tab = extract.get(name) if isinstance(extract, Mapping) else getattr(extract, name, None)
    if tab is None or not isinstance(tab, pd.DataFrame):
        return None
    return tab


def _require(df: pd.DataFrame, name: str, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SchemaError(f"missing column(s) {missing}", table=name, column=missing[0])


def _window_dates(window: Any, extract: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    if window is None:
        truth = getattr(extract, "truth", None)
        window = getattr(truth, "death_window", None) or (1950, 2015)
    if len(window) != 2:
        raise ValueError(f"window must be (first, last), got {window!r}")
    lo, hi = window
    start = pd.Timestamp(year=int(lo), month=1, day=1) if _is_year(lo) else pd.Timestamp(lo)
    end = pd.Timestamp(year=int(hi), month=12, day=31) if _is_year(hi) else pd.Timestamp(hi)
    if pd.isna(start) or pd.isna(end) or end < start:
        raise ValueError(f"window end {end} is before its start {start}")
    return start, end


def _is_year(x: Any) -> bool:
    if isinstance(x, str):
        return x.strip().isdigit() and len(x.strip()) == 4
    return isinstance(x, (int, np.integer)) or (isinstance(x, float) and float(x).is_integer())


def _decade_label(years: pd.Series) -> pd.Categorical:
    y = years.to_numpy(dtype=float, na_value=np.nan)
    dec = np.floor(y / 10) * 10
    ok = ~np.isnan(dec)
    uniq = np.unique(dec[ok]).astype(int)
    codes = np.full(len(y), -1, dtype=np.int64)
    codes[ok] = np.searchsorted(uniq, dec[ok])
    cats = [f"{d}-{d + 9}" for d in uniq]
    return pd.Categorical.from_codes(codes, categories=cats, ordered=True)


def _person_index(ids: pd.Index, values: pd.Series, table: str) -> np.ndarray:
    """Position of each row's person in the persons table; rows of unknown persons -1."""
    pos = ids.get_indexer(values.astype(object))
    unknown = int((pos < 0).sum())
    if unknown:
        warnings.warn(f"{unknown} row(s) of {table} name a person_id not in persons; "
                      "they are ignored", stacklevel=3)
    return pos


def _per_person_min(pos: np.ndarray, vals: np.ndarray, n: int) -> np.ndarray:
    """Minimum of int64 values per person (NaT/int64-min where none)."""
    out = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, pos, vals)
    return out


def _per_person_max(pos: np.ndarray, vals: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(out, pos, vals)
    return out


def _to_dates(ns: np.ndarray, empty: int) -> pd.Series:
    ns = ns.copy()
    ns[ns == empty] = np.iinfo(np.int64).min  # NaT
    return pd.Series(ns.view("datetime64[ns]"))


def build(
    extract: Any,
    *,
    window: tuple[Any, Any] | None = None,
    onset_cut: float = 25.0,
    recovery_years: float = 5.0,
    substance_hierarchy: Sequence[str] | None = None,
    codelists: Any = None,
    progress: bool = False,
    main_substance: str = "main_diagnosis",
    exclude_substances: Sequence[str] = ("tobacco",),
    sud_entry_age: float | None = None,
    entry: str = "window",
    landmark_age: float | None = None,
) -> pd.DataFrame:
    """Build the cohort table: one row per person of ``extract.persons``.

    Parameters
    ----------
    extract : Extract or mapping of DataFrames
        Needs ``persons`` (``person_id``, ``sex``, ``birth_date``, ``death_date``) and
        ``diagnoses`` (``person_id``, ``code``, ``code_system``, ``date``, optionally
        ``diagnosis_text``, ``rank``, ``episode_id``). Used when present: ``episodes``
        (contacts and stays), ``institutions`` (addiction departments),
        ``causes_of_death``, ``treatments`` and ``documents`` (sobriety texts).
    window : (first, last), optional
        The archive window of death dates: years (``(1950, 2015)`` means 1 January 1950
        to 31 December 2015) or dates. Default: ``extract.truth.death_window`` when the
        extract has one, else (1950, 2015).
    onset_cut : float, default 25.0
        Age at first substance-use diagnosis below which onset is ``young``.
    recovery_years : float, default 5.0
        Recovery proxy: at least this many years without a substance-use contact before
        death, with another contact after the last substance-use contact.
    substance_hierarchy : sequence of str, optional
        Substances from highest to lowest rank (default :data:`DEFAULT_HIERARCHY`).
        Substances not listed rank below all listed ones.
    codelists : DataFrame, path or list of paths, optional
        Passed to :func:`harkit.icd.harmonise` and :func:`harkit.icd.charlson`.
    progress : bool, default False
        Show a tqdm progress bar over the steps.
    main_substance : {"main_diagnosis", "hierarchy"}, default "main_diagnosis"
        ``"main_diagnosis"`` (the one default grouping of the notebooks): the substance
        most often recorded on the person's substance-use diagnoses of rank ``main`` (all
        ranks if they have none), ties broken by the hierarchy; a single stray co-use code
        does not move an alcohol patient into ``other_sud``. ``"hierarchy"``: the
        highest-ranked substance ever diagnosed, however rarely ("ever a drug
        diagnosis").
    exclude_substances : sequence of str, default ("tobacco",)
        Harmonised substances that do not make a substance-use diagnosis.
    sud_entry_age : float, optional
        If given, ``entry_age`` of persons with a substance-use diagnosis is at least
        this age (the age from which they could have been in a substance-use cohort), but
        never above their age at death.
    entry : {"window", "first_diagnosis", "landmark"}, default "window"
        When a person's follow-up starts (``entry_age``), i.e. which question a survival
        analysis of the table answers:

        * ``"window"``: at the window start (or birth, or ``sud_entry_age``). The group
          (from diagnoses made later) is then treated as known from entry: comparing
          groups this way credits the diagnosed with the time before their diagnosis
          (immortal time) and is biased; use it only with a group known from entry, or
          through :func:`exposure_intervals` (exposure from first diagnosis).
        * ``"first_diagnosis"``: persons with a substance-use diagnosis enter at their
          first one (if after the window start): "from diagnosis on, how does mortality
          differ between groups of diagnosed persons?"
        * ``"landmark"``: everyone enters at ``landmark_age`` (if after the window start)
          and is grouped by what was diagnosed before it (``sud_before_landmark``):
          "among persons alive at that age, how does mortality differ by earlier
          diagnosis?" Persons who died before it get ``at_risk`` False.

        ``at_risk`` (bool) marks the persons who belong in the analysis: all for
        ``"window"`` and ``"first_diagnosis"``; for ``"landmark"`` those who died after
        the landmark age.
    landmark_age : float, optional
        Required with ``entry="landmark"``.

    Returns
    -------
    pandas.DataFrame
        One row per person, in the order of ``persons``; the columns are listed in
        ``docs/cohort.md``. Key ones: ``person_id``, ``sex``, ``birth_date``,
        ``death_date``, ``age_at_death``, ``birth_year``, ``death_year``,
        ``birth_cohort``, ``death_period``, ``window_start``, ``window_end``,
        ``entry_age``, ``exit_age``, ``in_window``, ``sud_group``, ``main_substance``,
        ``uses_<substance>``, ``first_sud_date``, ``age_first_sud``, ``onset_group``,
        ``n_episodes``, ``n_stays``, ``tx_<treatment>``, ``cci_<condition>``,
        ``charlson_score``, ``underlying_cause_group``, ``recovered_proxy``.

    Raises
    ------
    harkit.errors.SchemaError
        If ``persons`` or ``diagnoses`` is missing or lacks a required column,
        ``persons`` is empty, ``person_id`` is duplicated or a death precedes its birth.
    ValueError
        For a bad ``window`` or ``main_substance``.

    Warns
    -----
    UserWarning
        For persons without a birth or death date (their ages are NaN), deaths outside
        the window (``in_window`` False) and rows naming unknown persons.

    Notes
    -----
    Ages are float years of 365.25 days. ``entry_age`` = max(0, age at window start)
    and ``exit_age`` = age at the end of the window's last day: a person is in the
    register only if they died between these ages (double truncation). Persons whose
    birth date is partial (``birth_date_precision`` year or month) have ages accurate
    to that precision only.

    Examples
    --------
    >>> from harkit import synth, cohort
    >>> ex = synth.generate(2000, seed=1, sud_fraction=0.5, progress=False)
    >>> c = cohort.build(ex)
    >>> c.groupby("sud_group", observed=True)["age_at_death"].mean()  # doctest: +SKIP
    """
    from tqdm.auto import tqdm

    if entry not in ENTRY_CHOICES:
        raise ValueError(f"entry must be one of {ENTRY_CHOICES}, got {entry!r}")
    if entry == "landmark" and landmark_age is None:
        raise ValueError("entry='landmark' needs landmark_age")
    if main_substance not in ("main_diagnosis", "hierarchy"):
        raise ValueError("main_substance must be 'main_diagnosis' or 'hierarchy', "
                         f"got {main_substance!r}")
    if recovery_years < 0:
        raise ValueError("recovery_years must be >= 0")
    hierarchy = list(substance_hierarchy or DEFAULT_HIERARCHY)
    bar = tqdm(total=7, desc="cohort", disable=not progress)

    persons = _table(extract, "persons")
    if persons is None:
        raise SchemaError("the extract has no persons table", table="persons")
    _require(persons, "persons", ["person_id", "sex", "birth_date", "death_date"])
    diagnoses = _table(extract, "diagnoses")
    if diagnoses is None:
        raise SchemaError("the extract has no diagnoses table", table="diagnoses")
    _require(diagnoses, "diagnoses", ["person_id", "code"])
    ids = pd.Index(persons["person_id"].astype(object))
    if ids.has_duplicates:
        dup = ids[ids.duplicated()][0]
        raise SchemaError(f"person_id {dup!r} appears more than once", table="persons",
                          column="person_id")
    n = len(persons)
    if n == 0:
        raise SchemaError("the persons table is empty: no cohort to build", table="persons")

    # ---- persons, dates, window ------------------------------------------------------
    out = pd.DataFrame({"person_id": persons["person_id"].to_numpy()})
    sex = persons["sex"].reset_index(drop=True)
    if not isinstance(sex.dtype, pd.CategoricalDtype):
        sex = sex.astype(pd.CategoricalDtype(["male", "female"]))
    out["sex"] = sex
    birth = pd.to_datetime(persons["birth_date"]).reset_index(drop=True)
    death = pd.to_datetime(persons["death_date"]).reset_index(drop=True)
    out["birth_date"] = birth
    if "birth_date_precision" in persons:
        out["birth_date_precision"] = persons["birth_date_precision"].reset_index(drop=True)
    out["death_date"] = death
    if "death_date_precision" in persons:
        out["death_date_precision"] = persons["death_date_precision"].reset_index(drop=True)
    missing = int((birth.isna() | death.isna()).sum())
    if missing:
        warnings.warn(f"{missing} person(s) lack a birth or death date: their ages are NaN",
                      stacklevel=2)
    out["age_at_death"] = _years(birth, death)
    if (out["age_at_death"] < 0).any():
        bad = out.loc[out["age_at_death"] < 0, "person_id"].iloc[0]
        raise SchemaError(f"death before birth (person {bad!r})", table="persons",
                          column="death_date")
    out["birth_year"] = birth.dt.year.astype("Int64")
    out["death_year"] = death.dt.year.astype("Int64")
    out["birth_cohort"] = _decade_label(out["birth_year"])
    out["death_period"] = _decade_label(out["death_year"])
    w_start, w_end = _window_dates(window, extract)
    out["window_start"] = np.full(n, w_start.to_datetime64(), dtype="datetime64[ns]")
    out["window_end"] = np.full(n, w_end.to_datetime64(), dtype="datetime64[ns]")
    out["entry_age"] = np.maximum(_years(birth, w_start), 0.0)
    out["exit_age"] = _years(birth, w_end + pd.Timedelta(days=1))
    in_window = (death >= w_start) & (death <= w_end)
    out["in_window"] = pd.array(np.where(death.isna(), pd.NA, in_window), dtype="boolean")
    outside = int((~in_window & death.notna()).sum())
    if outside:
        warnings.warn(f"{outside} person(s) died outside the window {w_start.date()} to "
                      f"{w_end.date()} (in_window is False); truncation-aware estimators "
                      "should drop them or use a wider window", stacklevel=2)
    bar.update()

    # ---- diagnoses: substance-use history ----------------------------------------------
    dx = icd.harmonise(diagnoses, codelists=codelists)
    dpos = _person_index(ids, dx["person_id"], "diagnoses")
    sub = dx["substance"].astype(object)
    is_sud = sub.notna().to_numpy() & ~sub.isin(list(exclude_substances)).to_numpy()
    is_sud &= dpos >= 0
    ddate = (pd.to_datetime(dx["date"]) if "date" in dx
             else pd.Series(pd.NaT, index=dx.index))
    s_pos = dpos[is_sud]
    s_sub = sub.to_numpy()[is_sud]
    substances = [s for s in hierarchy if s in set(s_sub)] + sorted(
        set(s_sub) - set(hierarchy))
    all_subs = list(dict.fromkeys(list(hierarchy) + substances))
    rank = {s: i for i, s in enumerate(all_subs)}
    s_code = np.array([rank[s] for s in s_sub], dtype=np.int64) if len(s_sub) else \
        np.zeros(0, dtype=np.int64)
    flags = np.zeros((n, len(all_subs)), dtype=bool)
    flags[s_pos, s_code] = True
    for j, s in enumerate(all_subs):
        out[f"uses_{s}"] = flags[:, j]
    out["n_substances"] = flags.sum(axis=1)
    has_sud = flags.any(axis=1)

    # main substance
    if main_substance == "hierarchy":
        main_code = np.where(has_sud, flags.argmax(axis=1), -1)
    else:
        is_main = np.zeros(len(s_pos), dtype=bool)
        if "rank" in dx:
            is_main = (dx["rank"].astype(object) == "main").to_numpy()[is_sud]
        counts = np.zeros((n, len(all_subs)), dtype=np.int64)
        np.add.at(counts, (s_pos[is_main], s_code[is_main]), 1)
        none_main = counts.sum(axis=1) == 0
        if none_main.any():
            counts_all = np.zeros((n, len(all_subs)), dtype=np.int64)
            np.add.at(counts_all, (s_pos, s_code), 1)
            counts[none_main] = counts_all[none_main]
        # most frequent; argmax takes the first maximum = highest in the hierarchy
        main_code = np.where(has_sud, counts.argmax(axis=1), -1)
    out["main_substance"] = pd.Categorical.from_codes(main_code, categories=all_subs)
    sud_group = np.where(~has_sud, "none",
                         np.where(main_code == rank["alcohol"], "alcohol", "other_sud")) \
        if "alcohol" in rank else np.where(has_sud, "other_sud", "none")
    out["sud_group"] = pd.Categorical(sud_group, categories=["alcohol", "other_sud", "none"])

    dns = ddate.to_numpy().astype("datetime64[ns]").view(np.int64)[is_sud]
    ok = dns != np.iinfo(np.int64).min
    big, small = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    out["first_sud_date"] = _to_dates(_per_person_min(s_pos[ok], dns[ok], n), big)
    out["last_sud_date"] = _to_dates(_per_person_max(s_pos[ok], dns[ok], n), small)
    out["age_first_sud"] = _years(birth, out["first_sud_date"])
    out["age_last_sud"] = _years(birth, out["last_sud_date"])
    out["years_first_sud_to_death"] = _years(out["first_sud_date"], death)
    out["n_sud_diagnoses"] = np.bincount(s_pos, minlength=n)
    onset = np.where(out["age_first_sud"].isna(), None,
                     np.where(out["age_first_sud"] < onset_cut, "young", "late"))
    out["onset_group"] = pd.Categorical(onset, categories=["young", "late"])
    if sud_entry_age is not None:
        # never after death: a substance-use diagnosis recorded before that age (a child
        # sniffing solvents, a partial birth date) keeps its person at risk until death
        out.loc[has_sud, "entry_age"] = np.minimum(
            np.maximum(out.loc[has_sud, "entry_age"], float(sud_entry_age)),
            out.loc[has_sud, "age_at_death"])
    _apply_entry(out, entry, landmark_age, has_sud)
    bar.update()

    # ---- episodes: contacts, stays, substance-use contacts ------------------------------
    episodes = _table(extract, "episodes")
    sud_ep_ids = set()
    if "episode_id" in dx:
        sud_ep_ids = set(dx.loc[is_sud, "episode_id"].dropna().astype(object))
    if episodes is not None and len(episodes):
        _require(episodes, "episodes", ["episode_id", "person_id", "admission_date"])
        epos = _person_index(ids, episodes["person_id"], "episodes")
        keep = epos >= 0
        # copy: ORed in place below; pandas 3 hands out read-only views (copy-on-write)
        ep_sud = episodes["episode_id"].astype(object).isin(sud_ep_ids).to_numpy(copy=True)
        inst = _table(extract, "institutions")
        if inst is not None and "addiction_department" in inst:
            key = "archive_series_id" if ("archive_series_id" in inst
                                          and "archive_series_id" in episodes) \
                else "institution_id"
            addict = set(inst.loc[inst["addiction_department"].fillna(False).astype(bool),
                                  key].astype(object))
            ep_sud |= episodes[key].astype(object).isin(addict).to_numpy()
        stay = np.zeros(len(episodes), dtype=bool)
        if "episode_type" in episodes:
            stay = (episodes["episode_type"].astype(object) == "inpatient").to_numpy()
        adm = pd.to_datetime(episodes["admission_date"]).to_numpy().astype(
            "datetime64[ns]").view(np.int64)
        p = epos[keep]
        out["n_episodes"] = np.bincount(p, minlength=n)
        out["n_stays"] = np.bincount(p, weights=stay[keep], minlength=n).astype(np.int64)
        out["n_sud_episodes"] = np.bincount(p, weights=ep_sud[keep], minlength=n).astype(
            np.int64)
        out["n_sud_stays"] = np.bincount(p, weights=(ep_sud & stay)[keep],
                                         minlength=n).astype(np.int64)
        adm_ok = keep & (adm != small)
        m = adm_ok & ep_sud
        last_sud_contact = _per_person_max(epos[m], adm[m], n)
        out["last_sud_contact_date"] = _to_dates(last_sud_contact, small)
        # other (non-substance-use) contacts after the last substance-use contact
        o = adm_ok & ~ep_sud
        after = adm[o] > last_sud_contact[epos[o]]
        out["n_other_contacts_after_sud"] = np.bincount(epos[o][after], minlength=n)
    else:
        out["last_sud_contact_date"] = out["last_sud_date"]
        out["n_other_contacts_after_sud"] = 0
    bar.update()

    # ---- recovery proxy -------------------------------------------------------------------
    last_contact = out["last_sud_contact_date"].fillna(out["last_sud_date"])
    last_contact = last_contact.where(
        out["last_sud_date"].isna() | (out["last_sud_date"] <= last_contact),
        out["last_sud_date"])
    out["years_sud_free_before_death"] = _years(last_contact, death)
    rec = ((out["years_sud_free_before_death"] >= recovery_years)
           & (out["n_other_contacts_after_sud"] > 0)).to_numpy()
    out["recovered_proxy"] = pd.array(np.where(has_sud, rec, pd.NA), dtype="boolean")
    documents = _table(extract, "documents")
    if documents is not None and {"person_id", "text"} <= set(documents.columns):
        out["recovery_text"] = pd.array(
            np.where(has_sud, _recovery_text(documents, ids, last_contact, n), pd.NA),
            dtype="boolean")
    bar.update()

    # ---- treatments -----------------------------------------------------------------------
    treatments = _table(extract, "treatments")
    if treatments is not None and {"person_id", "treatment_type"} <= set(treatments.columns):
        tpos = _person_index(ids, treatments["person_id"], "treatments")
        ttype = treatments["treatment_type"]
        types = (list(ttype.cat.categories) if isinstance(ttype.dtype, pd.CategoricalDtype)
                 else sorted(ttype.dropna().astype(str).unique()))
        tcode = pd.Categorical(ttype.astype(object), categories=types).codes
        k = (tpos >= 0) & (tcode >= 0)
        tx = np.zeros((n, len(types)), dtype=bool)
        tx[tpos[k], tcode[k]] = True
        for j, t in enumerate(types):
            out[f"tx_{t}"] = tx[:, j]
    bar.update()

    # ---- Charlson -------------------------------------------------------------------------
    cci = icd.charlson(dx, persons=persons, codelists=codelists)
    cci = cci.set_index("person_id").reindex(ids)
    for c in cci.columns:
        if c == "charlson_score":
            continue
        out[f"cci_{c}"] = cci[c].fillna(False).astype(bool).to_numpy()
    out["charlson_score"] = cci["charlson_score"].fillna(0).astype(np.int64).to_numpy()
    bar.update()

    # ---- underlying cause of death --------------------------------------------------------
    causes = _table(extract, "causes_of_death")
    cause_code = np.full(n, None, dtype=object)
    cause_grp = np.full(n, None, dtype=object)
    if causes is not None and len(causes):
        _require(causes, "causes_of_death", ["person_id", "code"])
        dd = pd.Series(death.to_numpy(), index=ids)
        # the cohort is an intermediate table: analyses over death years warn themselves
        cod = icd.harmonise(causes, codelists=codelists, setting="death",
                            death_dates=dd[~dd.index.duplicated()], warn_definitions=False)
        if "cause_type" in cod:
            cod = cod[cod["cause_type"].astype(object) == "underlying"]
        cpos = _person_index(ids, cod["person_id"], "causes_of_death")
        several = pd.Series(cpos[cpos >= 0]).duplicated().sum()
        if several:
            warnings.warn(f"{several} person(s) have more than one underlying cause; the "
                          "first is used", stacklevel=2)
        first = (cpos >= 0) & ~pd.Series(cpos).duplicated().to_numpy()
        cause_code[cpos[first]] = cod["code_norm"].astype(object).to_numpy()[first]
        cause_grp[cpos[first]] = cod["cause_group"].astype(object).to_numpy()[first]
    out["underlying_cause_code"] = pd.array(cause_code, dtype="string")
    cats = ["alcohol_induced", "drug_induced", "suicide", "accident", "violence", "cancer",
            "cardiovascular", "respiratory", "liver", "other"]
    extra = sorted({c for c in cause_grp if c is not None and c not in cats})
    out["underlying_cause_group"] = pd.Categorical(cause_grp, categories=cats + extra)
    bar.update()
    bar.close()
    return out


def _apply_entry(out: pd.DataFrame, entry: str, landmark_age: float | None,
                 has_sud: np.ndarray) -> None:
    """Set ``entry_age``, ``entry`` and ``at_risk`` for the exposure-timing choice."""
    out["at_risk"] = True
    if entry == "first_diagnosis":
        first = out["age_first_sud"].to_numpy(float)
        later = has_sud & np.isfinite(first)
        # never after death (a diagnosis dated on the death day, a partial birth date)
        out.loc[later, "entry_age"] = np.minimum(
            np.maximum(out.loc[later, "entry_age"].to_numpy(float), first[later]),
            out.loc[later, "age_at_death"].to_numpy(float))
    elif entry == "landmark":
        lm = float(landmark_age)
        out["entry_age"] = np.maximum(out["entry_age"].to_numpy(float), lm)
        out["at_risk"] = (out["age_at_death"] > out["entry_age"]).to_numpy()
        before = out["age_first_sud"].to_numpy(float) <= lm
        out["sud_before_landmark"] = np.where(before, out["sud_group"].astype(object),
                                              "none")
        out["sud_before_landmark"] = pd.Categorical(
            out["sud_before_landmark"], categories=["alcohol", "other_sud", "none"])
    out["entry"] = entry


def exposure_intervals(cohort: pd.DataFrame, *, exposure_age: str = "age_first_sud",
                       entry: str = "entry_age", exit: str = "age_at_death",
                       keep: Sequence[str] = ("sex", "sud_group", "main_substance",
                                              "birth_year")) -> pd.DataFrame:
    """Start/stop rows with an exposure that begins at an age (time-varying exposure).

    Each person contributes an unexposed row from ``entry`` to the exposure age (or to
    death, if never exposed) and an exposed row from the exposure age to death, with the
    death as the event on the last row. This is the table for a Cox model with a
    time-varying exposure (``lifelines.CoxTimeVaryingFitter``) or a Poisson model of
    split person-time: it answers "how does the hazard change from the first
    substance-use diagnosis on?", without immortal time.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`build` (with ``entry="window"``, so that time before the diagnosis is
        in the table as unexposed time).
    exposure_age : str, default "age_first_sud"
        Column of the age at which the exposure starts (NaN: never exposed).
    entry, exit : str
        Columns of the entry age and the age at death.
    keep : sequence of str
        Person columns copied onto every row (those present).

    Returns
    -------
    pandas.DataFrame
        ``person_id``, ``start``, ``stop``, ``exposed`` (0/1), ``event`` (1 on the row
        ending in death) and the ``keep`` columns. Persons whose exposure starts at or
        before entry have an exposed row only; rows of zero length are dropped (a
        diagnosis dated on the death day gives no exposed time).

    Raises
    ------
    KeyError
        If a named column is missing.
    """
    for c in (exposure_age, entry, exit, "person_id"):
        if c not in cohort:
            raise KeyError(f"exposure_intervals: the cohort has no column {c!r}")
    start = cohort[entry].to_numpy(float)
    stop = cohort[exit].to_numpy(float)
    ex_age = cohort[exposure_age].to_numpy(float)
    cut = np.where(np.isfinite(ex_age), np.clip(ex_age, start, stop), stop)
    cols = ["person_id"] + [c for c in keep if c in cohort]
    base = cohort[cols].reset_index(drop=True)
    before = base.assign(start=start, stop=cut, exposed=0,
                         event=(np.isnan(ex_age) | (cut >= stop)).astype(int))
    after = base.assign(start=cut, stop=stop, exposed=1, event=1)
    rows = pd.concat([before, after], keys=[0, 1], names=["part", "row"])
    rows = rows[(rows["stop"] > rows["start"])]
    # the event belongs to the last row of each person
    last = ~rows.reset_index()["row"].duplicated(keep="last").to_numpy()
    rows["event"] = np.where(last, 1, 0)
    rows = rows.reset_index().sort_values(["row", "part"]).drop(columns=["row", "part"])
    return rows.reset_index(drop=True)[["person_id", "start", "stop", "exposed", "event",
                                        *cols[1:]]]


def _recovery_text(documents: pd.DataFrame, ids: pd.Index, last_contact: pd.Series,
                   n: int) -> np.ndarray:
    """Whether a person has a non-negated sobriety text dated after their last SUD contact."""
    text = documents["text"].astype("string").fillna("").str.lower()
    hit = text.str.contains(RECOVERY_TEXT_PATTERN, regex=True).to_numpy(dtype=bool)
    rows = np.flatnonzero(hit)
    found = np.zeros(n, dtype=bool)
    if not len(rows):
        return found
    sel = text.iloc[rows]
    # drop mentions negated by a preceding "ikke" (e.g. "ikke rusfri")
    pat = re.compile(RECOVERY_TEXT_PATTERN)
    neg = re.compile(_NEGATION)
    ok = np.array([any(not neg.search(t[:m.start()]) for m in pat.finditer(t)) for t in sel])
    pos = ids.get_indexer(documents["person_id"].astype(object).iloc[rows])
    keep = ok & (pos >= 0)
    if "date" in documents:
        d = pd.to_datetime(documents["date"]).iloc[rows].to_numpy()
        lc = last_contact.to_numpy()[np.maximum(pos, 0)]
        keep &= pd.isna(lc) | pd.isna(d) | (d >= lc)
    found[pos[keep]] = True
    return found
