"""Orchestration: :func:`generate` builds the seven canonical tables and the truth."""

from __future__ import annotations

import numbers
from dataclasses import replace

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from harkit import schema
from harkit.extract import Extract
from harkit.synth import codes
from harkit.synth._util import NAT, add_years, make_ids, mid_month, mid_year, year_of
from harkit.synth.care import EPISODE_TYPES, make_diagnoses, make_episodes
from harkit.synth.deaths import make_causes
from harkit.synth.documents import make_documents
from harkit.synth.lifecourse import RECOVERY_CAUSE_OR, death_cause_shares
from harkit.synth.params import (
    CAUSE_GROUPS,
    CONDITIONS,
    COVARIATES,
    DEFAULTS,
    GROUPS,
    ORGANS,
    SUBSTANCES,
    Params,
    Truth,
)
from harkit.synth.persons import comorbidity_score, draw_conditions, draw_flags
from harkit.synth.population import simulate_kept
from harkit.synth.treatments import TREATMENTS, make_treatments

#: Default share of SUD persons: a few percent, as in a full-size register.
DEFAULT_SUD_FRACTION = 0.02
PRECISION = np.array(["day", "month", "year"], dtype=object)
#: Share of birth dates known to the year only, by birth cohort (first year, share).
BIRTH_YEAR_ONLY = ((0, 0.30), (1900, 0.15), (1930, 0.05), (1960, 0.01))
BIRTH_MONTH_ONLY = 0.02
DEATH_MONTH_ONLY = ((0, 0.05), (1970, 0.02))
MUNICIPALITIES = np.array([f"syn-{i:03d}" for i in range(1, 61)], dtype=object)


def _period(years: np.ndarray, table: tuple) -> np.ndarray:
    starts = np.array([s for s, _ in table])
    return np.array([v for _, v in table])[np.searchsorted(starts, years, side="right") - 1]


def _ns(d: np.ndarray) -> np.ndarray:
    return np.asarray(d, dtype="datetime64[D]").astype("datetime64[ns]")


def _check_args(n_persons: int, sud_fraction: float, death_window: tuple[int, int],
                icd9_hospital_start: int, documents: bool | float) -> None:
    if not isinstance(n_persons, numbers.Integral) or n_persons < 0:
        raise ValueError(f"n_persons must be a non-negative integer, got {n_persons!r}")
    if not 0.0 <= float(sud_fraction) <= 1.0:
        raise ValueError(f"sud_fraction must be in [0, 1], got {sud_fraction!r}")
    lo, hi = death_window
    if not (1900 <= lo <= hi <= 2030):
        raise ValueError(f"death_window must be (first, last) years within 1900-2030, "
                         f"got {death_window!r}")
    if not 1970 <= icd9_hospital_start <= 1998:
        raise ValueError(f"icd9_hospital_start must be in 1970-1998, got {icd9_hospital_start}")
    if not isinstance(documents, bool) and not 0.0 <= float(documents) <= 1.0:
        raise ValueError(f"documents must be a bool or a share in [0, 1], got {documents!r}")


def generate(n_persons: int, *, seed: int | np.random.Generator,
             sud_fraction: float = DEFAULT_SUD_FRACTION,
             death_window: tuple[int, int] = (1950, 2015), icd9_hospital_start: int = 1987,
             documents: bool | float = True, text_variants: bool = True,
             progress: bool = True,
             return_truth: bool = False) -> Extract | tuple[Extract, Truth]:
    """Generate a synthetic Helsearkivregisteret extract with known ground truth.

    Whole lives are simulated from birth (cohorts 1870-1995) under the Norwegian
    population hazard of their sex, calendar year and age, changed from the onset of a
    substance-use disorder, recovery and organ disease (:mod:`harkit.synth.lifecourse`),
    with causes of death as competing risks. Persons whose death falls inside
    ``death_window`` (and, in the substance-use population, whose disorder began before
    death) are kept until exactly ``n_persons`` are kept, so the register's truncation
    arises by itself. Their care histories, coded diagnoses, treatments, causes of death
    and record texts follow.

    Parameters
    ----------
    n_persons : int
        Persons to keep (all dead inside the window).
    seed : int or numpy.random.Generator
        Seed, or a Generator used for every random step (no global state).
    sud_fraction : float, default 0.02
        Share of kept persons from the substance-use (SUD) population; the rest are
        comparison (general hospital) patients. The bundled fixture uses 0.5.
    death_window : tuple of int, default (1950, 2015)
        First and last death year of the archive (inclusive).
    icd9_hospital_start : int, default 1987
        First year hospitals coded in ICD-9 (ICD-8 runs from 1969 to the year before).
    documents : bool or float, default True
        Record texts: True gives them to 30 % of SUD persons and 1 % of comparison
        persons; a float sets the SUD share (the comparison share scales with it);
        False gives none.
    text_variants : bool, default True
        Vary the diagnosis texts (clinician phrasings, abbreviations, qualifiers, somatic
        co-diagnoses, capitalisation, OCR noise; :mod:`harkit.synth.dxtext`). False keeps
        the code-table texts only (ICD titles and ~30 fixed uncoded wordings).
    progress : bool, default True
        Show a tqdm progress bar.
    return_truth : bool, default False
        Also return the :class:`~harkit.synth.params.Truth` (always on ``extract.truth``).

    Returns
    -------
    Extract or (Extract, Truth)
        Seven canonical tables, each passed through :func:`harkit.schema.conform`;
        ``source="synthetic"``.

    Examples
    --------
    >>> from harkit import synth
    >>> ex = synth.generate(2_000, seed=1, sud_fraction=0.5, progress=False)
    >>> len(ex.persons)
    2000
    """
    _check_args(n_persons, sud_fraction, death_window, icd9_hospital_start, documents)
    params = DEFAULTS if text_variants else replace(DEFAULTS, diagnosis_text_variants=False)
    if isinstance(seed, np.random.Generator):
        rng, seed_value = seed, None
    else:
        rng, seed_value = np.random.default_rng(seed), int(seed)
    n_sud = int(round(n_persons * float(sud_fraction)))
    n_comp = n_persons - n_sud
    share_docs = (params.documents_share_sud if documents is True
                  else 0.0 if documents is False else float(documents))

    bar = tqdm(total=n_persons + 6, desc="harkit.synth", unit="step", disable=not progress)
    try:
        bar.set_postfix_str("lives")
        kept_s, lives_s = simulate_kept(rng, n_sud, "sud", params, death_window, bar.update)
        kept_c, lives_c = simulate_kept(rng, n_comp, "comparison", params, death_window,
                                        bar.update)
        people = _people(rng, kept_s, kept_c, params)
        lives = pd.concat([lives_s, lives_c], ignore_index=True)
        bar.set_postfix_str("episodes")
        ep = make_episodes(rng, people, params)
        bar.update()
        bar.set_postfix_str("diagnoses")
        dx = make_diagnoses(rng, people, ep, params, icd9_hospital_start)
        _recorded_hiv(people, ep, dx)
        bar.update()
        bar.set_postfix_str("treatments")
        tr = make_treatments(rng, people, ep, params)
        bar.update()
        bar.set_postfix_str("causes of death")
        cod = make_causes(rng, people)
        bar.update()
        bar.set_postfix_str("documents")
        docs = make_documents(rng, people, ep, params, share_docs) if share_docs > 0 else None
        bar.update()
        bar.set_postfix_str("tables")
        tables, ids = _tables(rng, people, ep, dx, tr, cod, docs)
        bar.update()
    finally:
        bar.close()

    # the untruncated population behind truth.estimands: the same seed, its own stream
    estimand_seed = (seed_value if seed_value is not None
                     else int(rng.integers(0, 2**62)))
    truth = _truth(seed_value, n_persons, n_sud, n_comp, sud_fraction, death_window,
                   icd9_hospital_start, params, lives, people, ids, docs, dx, cod,
                   estimand_seed)
    extract = Extract(tables=tables, source="synthetic", truth=truth)
    return (extract, truth) if return_truth else extract


def _people(rng: np.random.Generator, kept_s: dict, kept_c: dict,
            params: Params) -> dict[str, np.ndarray]:
    """Merge both populations, shuffle (ids must not reveal the group), add attributes."""
    people = {k: np.concatenate([kept_s[k], kept_c[k]]) for k in kept_s}
    people["sud"] = np.r_[np.ones(len(kept_s["age"]), bool), np.zeros(len(kept_c["age"]), bool)]
    perm = rng.permutation(len(people["sud"]))
    people = {k: v[perm] for k, v in people.items()}
    sud, age = people["sud"], people["age"]
    people["onset_age"] = np.where(sud, people["onset_age"], np.nan)
    people["young_onset"] = sud & (people["onset_age"] < params.young_onset_age)
    people["recovered"] = sud & (people["recovery_age"] < age)
    people["recovery_date"] = np.where(
        people["recovered"], add_years(people["birth"], np.where(people["recovered"],
                                                                   people["recovery_age"], 0)),
        NAT)
    # dated states of injecting users and maintenance treatment, as far as lived
    people["hiv"] = people["hiv_age"] < age
    people["endocarditis"] = people["endocarditis_age"] < age
    people["maintenance"] = people["maintenance_start"] < age
    people["maintenance_start_date"] = np.where(
        people["maintenance"], add_years(people["birth"], np.where(
            people["maintenance"], people["maintenance_start"], 0)), NAT)
    ended = people["maintenance"] & (people["maintenance_end"] < age)
    people["maintenance_end_date"] = np.where(
        ended, add_years(people["birth"], np.where(ended, people["maintenance_end"], 0)),
        np.where(people["maintenance"], people["death"], NAT))
    had_organ = sud & (people["organ_age"] < age)
    people["organ"] = np.stack([had_organ & (people["organ_type"] == i)
                                for i in range(len(ORGANS))], axis=1)
    people["flags"] = draw_flags(rng, people["group"], people["birth"])
    people["conditions"] = draw_conditions(rng, people, params)
    people["comorbidity"] = comorbidity_score(people["conditions"])
    return people


def _recorded_hiv(people: dict, ep: dict, dx: dict) -> None:
    """Count AIDS/HIV in the Charlson truth only where an HIV diagnosis was recorded.

    HIV is only written on a contact after its diagnosis (never before 1984); a person
    diagnosed without a later contact has no record of it.
    """
    from harkit.synth.care import concept_index

    recorded = np.zeros(len(people["birth"]), dtype=bool)
    recorded[ep["person"][dx["episode"][dx["concept"] == concept_index()["aids"]]]] = True
    people["conditions"][:, CONDITIONS.index("aids")] &= recorded
    people["comorbidity"] = comorbidity_score(people["conditions"])


def _partial_person_dates(rng: np.random.Generator, people: dict, first_event: np.ndarray,
                          last_event: np.ndarray) -> tuple[np.ndarray, ...]:
    """Stored birth and death dates with precision, never contradicting recorded events."""
    birth, death = people["birth"], people["death"]
    n = len(birth)
    d_prec = np.where(rng.random(n) < _period(year_of(death), DEATH_MONTH_ONLY), 1, 0)
    d_store = np.where(d_prec == 1, mid_month(death), death)
    bad = (d_prec == 1) & ((d_store < last_event) | (d_store < birth))
    d_prec[bad], d_store[bad] = 0, death[bad]
    u = rng.random(n)
    p_year = _period(year_of(birth), BIRTH_YEAR_ONLY)
    b_prec = np.where(u < p_year, 2, np.where(u < p_year + BIRTH_MONTH_ONLY, 1, 0))
    b_store = np.where(b_prec == 2, mid_year(birth), np.where(b_prec == 1, mid_month(birth),
                                                                birth))
    upper = np.minimum(np.where(np.isnat(first_event), death, first_event),
                       np.minimum(d_store, death))
    bad = b_store > upper
    b_prec[bad], b_store[bad] = 0, birth[bad]
    return b_store, b_prec, d_store, d_prec


def _tables(rng: np.random.Generator, people: dict, ep: dict, dx: dict, tr: dict, cod: dict,
            docs: dict | None) -> tuple[dict[str, pd.DataFrame], dict[str, np.ndarray]]:
    n = len(people["birth"])
    pid = make_ids("P", n, 7)
    inst = codes.institution_table()
    m = len(ep["person"])
    eid = make_ids("E", m, 8)
    e_person = pid[ep["person"]]
    adm = ep["admission_stored"]

    # person-level partial dates must not contradict any recorded event
    first_event = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    last_event = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    order_first = pd.Series(adm).groupby(ep["person"]).min()
    first_event[order_first.index.to_numpy()] = order_first.to_numpy().astype("datetime64[D]")
    ends = np.concatenate([adm, np.where(np.isnat(ep["discharge"]), adm, ep["discharge"]),
                           np.where(np.isnat(tr["end"]), tr["start"], tr["end"])])
    owners = np.concatenate([ep["person"], ep["person"], ep["person"][tr["episode"]]])
    last = pd.Series(ends).groupby(owners).max()
    last_event[last.index.to_numpy()] = last.to_numpy().astype("datetime64[D]")
    b_store, b_prec, d_store, d_prec = _partial_person_dates(rng, people, first_event,
                                                             last_event)

    persons = pd.DataFrame({
        "person_id": pid,
        "sex": np.where(people["male"], "male", "female"),
        "birth_date": _ns(b_store), "birth_date_precision": PRECISION[b_prec],
        "death_date": _ns(d_store), "death_date_precision": PRECISION[d_prec],
        "municipality": MUNICIPALITIES[rng.integers(0, len(MUNICIPALITIES), n)],
    })
    discharge = ep["discharge"]
    episodes = pd.DataFrame({
        "episode_id": eid, "person_id": e_person,
        "institution_id": inst["institution_id"].to_numpy(dtype=object)[ep["institution"]],
        "archive_series_id": inst["archive_series_id"].to_numpy(dtype=object)[
            ep["institution"]],
        "department": ep["department"],
        "admission_date": _ns(adm),
        "admission_date_precision": PRECISION[ep["admission_precision"]],
        "discharge_date": _ns(discharge),
        "discharge_date_precision": np.where(np.isnat(discharge), "missing", "day"),
        "episode_type": np.array(EPISODE_TYPES, dtype=object)[ep["episode_type"]],
    })
    k = len(dx["episode"])
    dx_ids = make_ids("D", k, 9)
    diagnoses = pd.DataFrame({
        "diagnosis_id": dx_ids, "episode_id": eid[dx["episode"]],
        "person_id": e_person[dx["episode"]], "code": dx["code"],
        "code_system": dx["code_system"], "diagnosis_text": dx["text"],
        "rank": np.where(dx["main"], "main", "secondary"),
        "date": _ns(adm[dx["episode"]]),
        "date_precision": PRECISION[ep["admission_precision"][dx["episode"]]],
    })
    causes = pd.DataFrame({
        "person_id": pid[cod["person"]], "code": cod["code"], "code_system": cod["code_system"],
        "cause_type": np.where(cod["line"] == 0, "underlying", "contributing"),
        "line": cod["line"], "cause_text": cod["text"],
    }).sort_values(["person_id", "line"], kind="stable")
    t = len(tr["episode"])
    order = np.lexsort((tr["type"], tr["episode"]))
    tr = {key: v[order] for key, v in tr.items()}
    treatments = pd.DataFrame({
        "treatment_id": make_ids("T", t, 8), "episode_id": eid[tr["episode"]],
        "person_id": e_person[tr["episode"]],
        "treatment_type": np.array(TREATMENTS, dtype=object)[tr["type"]],
        "start_date": _ns(tr["start"]), "start_date_precision": PRECISION[tr["start_precision"]],
        "end_date": _ns(tr["end"]),
        "end_date_precision": np.where(np.isnat(tr["end"]), "missing", "day"),
    })
    ids = {"person_id": pid, "document_id": np.zeros(0, dtype=object),
           "diagnosis_id": dx_ids}
    if docs is not None:
        dd = len(docs["episode"])
        ids["document_id"] = make_ids("DOK", dd, 7)
        documents = pd.DataFrame({
            "document_id": ids["document_id"], "person_id": e_person[docs["episode"]],
            "episode_id": eid[docs["episode"]], "date": _ns(adm[docs["episode"]]),
            "date_precision": PRECISION[ep["admission_precision"][docs["episode"]]],
            "document_type": docs["type"], "text": docs["text"],
        })
    else:
        documents = schema.empty_table("documents")
    institutions = inst[["institution_id", "archive_series_id", "name", "series_name",
                         "institution_type", "addiction_department", "specialty_code"]]
    raw = {"persons": persons, "episodes": episodes, "diagnoses": diagnoses,
           "causes_of_death": causes, "treatments": treatments, "documents": documents,
           "institutions": institutions}
    return {name: schema.conform(name, df) for name, df in raw.items()}, ids


def _truth(seed: int | None, n_persons: int, n_sud: int, n_comp: int, sud_fraction: float,
           window: tuple[int, int], icd9_start: int, params: Params, lives: pd.DataFrame,
           people: dict, ids: dict, docs: dict | None, dx: dict, cod: dict,
           estimand_seed: int) -> Truth:
    n = len(people["birth"])
    population = np.where(people["sud"], "sud", "comparison")
    per = pd.DataFrame({
        "person_id": ids["person_id"], "population": population,
        "sex": np.where(people["male"], "male", "female"),
        "birth_date": _ns(people["birth"]), "death_date": _ns(people["death"]),
        "age_at_death": people["age"], "entry_age": people["entry_age"],
        "group": np.array(GROUPS, dtype=object)[people["group"]],
        "male": people["male"].astype(int),
    })
    for i, g in enumerate(GROUPS[1:], start=1):
        per[f"group_{g}"] = (people["group"] == i).astype(int)
    per["onset_age"] = people["onset_age"]
    per["young_onset"] = people["young_onset"].astype(int)
    for j, s in enumerate(SUBSTANCES):
        per[f"uses_{s}"] = people["flags"][:, j]
    per["recovered"] = people["recovered"]
    per["recovery_date"] = _ns(people["recovery_date"])
    for j, o in enumerate(ORGANS):
        per[f"organ_{o}"] = people["organ"][:, j]
    per["organ_disease_age"] = np.where(people["organ"].any(axis=1), people["organ_age"],
                                        np.nan)
    for flag in ("psychiatric", "injecting", "hcv", "hiv", "endocarditis"):
        per[flag] = people[flag].astype(bool)
    per["hiv_date"] = _ns(np.where(people["hiv"], add_years(
        people["birth"], np.where(people["hiv"], people["hiv_age"], 0)), NAT))
    per["endocarditis_date"] = _ns(np.where(people["endocarditis"], add_years(
        people["birth"], np.where(people["endocarditis"], people["endocarditis_age"], 0)),
        NAT))
    per["maintenance_treatment"] = people["maintenance"]
    per["maintenance_at_death"] = people["maintenance"] & ~(
        people["maintenance_end"] < people["age"])
    per["maintenance_start"] = _ns(people["maintenance_start_date"])
    per["maintenance_end"] = _ns(people["maintenance_end_date"])
    per["comorbidity"] = people["comorbidity"].astype(int)
    for j, c in enumerate(CONDITIONS):
        per[f"cond_{c}"] = people["conditions"][:, j]
    per["cause_group"] = np.array(CAUSE_GROUPS, dtype=object)[people["cause_group"]]
    shares = death_cause_shares(people, params=params)
    for j, c in enumerate(CAUSE_GROUPS):
        per[f"p_{c}"] = shares[:, j]
    per["linear_predictor"] = people["lp"]
    decade = year_of(people["birth"]) // 10 * 10
    lookup = lives.set_index(["population", "birth_decade"])["lives_per_kept"]
    per["lives_simulated"] = lookup.reindex(
        pd.MultiIndex.from_arrays([population, decade])).to_numpy()
    if docs is not None:
        labels = docs["labels"].copy()
        labels.insert(0, "document_id", ids["document_id"][labels.pop("doc").to_numpy()])
        texts = pd.DataFrame({"document_id": ids["document_id"],
                              "clean_text": docs["clean_text"], "ocr_noise": docs["noise"]})
    else:
        labels = pd.DataFrame(columns=["document_id", "concept", "affirmed", "negated",
                                       "historical", "uncertain", "family"])
        texts = pd.DataFrame(columns=["document_id", "clean_text", "ocr_noise"])
    prev = {
        "drug_share_by_cohort": {"start": params.drug_cohort_start,
                                 "full": params.drug_cohort_full,
                                 "early": params.drug_share_early,
                                 "full_share": params.drug_share_full},
        "drug_mix": dict(params.drug_mix), "drug_mix_early": dict(params.drug_mix_early),
        "male_share": dict(params.male_share),
        "onset": {g: {"shift": params.onset_shift[g], "shape": params.onset_shape[g],
                      "scale": params.onset_scale[g]} for g in GROUPS[1:]},
        "recovery_rate": dict(params.recovery_rate), "organ_rate": dict(params.organ_rate),
        "psychiatric_prob": {g: tuple(v) for g, v in params.psychiatric_prob.items()},
        "injecting_prob": dict(params.injecting_prob),
        "organ_split": dict(params.organ_split),
        "hiv_prob": params.hiv_prob, "endocarditis_prob": params.endocarditis_prob,
        "maintenance_prob_male": params.maintenance_prob_male,
        "recovery_cause_odds_ratio": RECOVERY_CAUSE_OR,
    }
    return Truth(
        seed=seed, n_persons=n_persons, n_sud=n_sud, n_comparison=n_comp,
        sud_fraction=float(sud_fraction), death_window=tuple(window),
        hospital_revisions=codes.hospital_revisions(icd9_start),
        death_revisions=dict(codes.DEATH_REVISIONS),
        baseline="Norwegian HMD death rates m(sex, calendar year, age), 1846-2023 "
                 "(later years use 2023)",
        beta={c: float(params.log_hr[c]) for c in COVARIATES},
        treatment_odds_ratios=dict(params.treatment_or_female),
        treatment_baseline=dict(params.treatment_p_male), prevalences=prev,
        params=params, lives=lives,
        persons=per, document_labels=labels, document_texts=texts,
        diagnoses=_diagnosis_truth(ids["diagnosis_id"], dx),
        causes_of_death=_cause_truth(ids["person_id"], cod),
        notes={"lives_simulated": int(lives["lives_simulated"].sum()), "n": n},
        estimand_seed=estimand_seed,
    )


#: Per-diagnosis truth columns taken from the code table (``category_<list>``).
TRUE_CATEGORIES: tuple[str, ...] = ("substance", "sud_level", "alcohol_somatic")


def _diagnosis_truth(diagnosis_id: np.ndarray, dx: dict) -> pd.DataFrame:
    """One row per diagnosis: concept, kind, true categories (from its code-table row), coded."""
    table = codes.diagnosis_table()
    row = dx["row"]
    out = pd.DataFrame({
        "diagnosis_id": diagnosis_id,
        "concept": table["concept"].to_numpy(dtype=object)[row],
        "kind": table["kind"].to_numpy(dtype=object)[row],
    })
    for name in TRUE_CATEGORIES:
        col = table[f"category_{name}"].to_numpy(dtype=object)[row]
        out[name] = pd.Series(col, dtype="string").replace("", pd.NA)
    out["coded"] = np.array([c is not None for c in dx["code"]], dtype=bool)
    # which ICD-7 form (Swedish 5-digit list code or Norwegian 3-4 digit) was written
    form = pd.Series(table["code_form"].to_numpy(dtype=object)[row], dtype="string")
    out["code_form"] = form.replace("", pd.NA).where(out["coded"].to_numpy())
    return out


def _cause_truth(pid: np.ndarray, cod: dict) -> pd.DataFrame:
    """One row per cause-of-death row, in the order of ``extract.causes_of_death``.

    ``group`` is the generator's cause group of the death (:data:`CAUSE_GROUPS`, the same
    on every line of a certificate); ``cause_group`` is what the row's code means under the
    shipped ``cause_group`` list, from the code table's ``category_cause_group`` column.
    """
    out = pd.DataFrame({
        "person_id": pid[cod["person"]],
        "cause_type": np.where(cod["line"] == 0, "underlying", "contributing"),
        "line": cod["line"],
        "code": pd.array(cod["code"], dtype="string"),
        "group": np.array(CAUSE_GROUPS, dtype=object)[cod["cause_group"][cod["person"]]],
        "cause_group": pd.array(cod["category_cause_group"], dtype="string"),
    })
    # the same stable sort as the causes_of_death table in _tables
    return out.sort_values(["person_id", "line"], kind="stable").reset_index(drop=True)
