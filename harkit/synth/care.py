"""Care histories: episodes (contacts and stays) and the diagnoses recorded on them.

Every date lies between the person's birth (and 1 January of ``care_start_year``) and
death. SUD persons have substance-use contacts from their onset to death, or to their
recovery date for the recovered; other (general) contacts continue to death. Diagnoses
are coded in the revision in force at the contact date, in a realistic format, or left
uncoded with a Norwegian text (more often in early decades).
"""

from __future__ import annotations

import numpy as np

from harkit.synth import codes, dxtext
from harkit.synth._util import (
    NAT,
    add_years,
    categorical,
    day,
    mid_month,
    mid_year,
    offsets,
    uniform_dates,
    year_of,
)
from harkit.synth.params import CONDITIONS, GROUPS, HIV_FROM_YEAR, ORGANS, SUBSTANCES, Params

#: Key spacing for (person, day) sort keys: days since 1970 lie within +-_KEY/2.
_KEY = 1 << 20

#: Concept recorded for each substance flag.
SUBSTANCE_CONCEPT = {
    "alcohol": "alcohol_dependence", "opioids": "opioids", "cannabis": "cannabis",
    "sedatives": "sedatives", "stimulants": "stimulants", "solvents": "solvents",
    "polydrug": "polydrug",
}
#: Concept recorded for each alcohol-related organ disease.
ORGAN_CONCEPT = {"liver": "alcohol_liver", "pancreas": "alcohol_pancreatitis",
                 "heart": "alcohol_cardiomyopathy", "nerves": "alcohol_polyneuropathy"}
#: General (non-Charlson) diagnoses and their relative frequency as a main diagnosis.
GENERAL_POOL = {
    "hypertension": 2.0, "angina": 1.5, "pneumonia": 2.0, "influenza": 0.5,
    "hip_fracture": 1.0, "head_injury": 0.7, "appendicitis": 0.6, "hernia": 0.8,
    "gallstones": 0.8, "cataract": 0.8, "depression": 0.6,
}

#: Share of uncoded hospital diagnoses by period (first year of each period).
UNCODED_BY_YEAR = ((0, 0.55), (1950, 0.30), (1970, 0.10), (1987, 0.05), (1999, 0.02))
#: Share of coded diagnoses delivered without a code system (to be inferred later).
MISSING_SYSTEM_SHARE = 0.01
#: Episode type mix (inpatient, day, outpatient, unknown) by period.
EPISODE_TYPES = ("inpatient", "day", "outpatient", "unknown")
EPISODE_MIX = ((0, (0.85, 0.03, 0.10, 0.02)), (1970, (0.65, 0.07, 0.26, 0.02)),
               (1999, (0.45, 0.10, 0.44, 0.01)))
#: Share of partially dated admissions (month, year precision) by period.
PARTIAL_ADMISSION = ((0, (0.10, 0.05)), (1960, (0.03, 0.01)), (1980, (0.0, 0.0)))

DEPARTMENTS = {
    "substance_use": ("Døgnavdeling", "Avrusningsenhet", "Kursavdeling"),
    "substance_use_outpatient": ("Poliklinikk",),
    "general_hospital": ("Medisinsk avdeling", "Kirurgisk avdeling", "Nevrologisk avdeling",
                         "Lungeavdeling"),
    "general_hospital_outpatient": ("Poliklinikk",),
    "psychiatric": ("Psykiatrisk avdeling", "Akuttpsykiatrisk avdeling"),
    "psychiatric_outpatient": ("DPS poliklinikk",),
}


def _by_period(years: np.ndarray, table: tuple) -> np.ndarray:
    """Row of a (first year, values) table for each year, as an array of values."""
    vals = np.array([v for _, v in table], dtype=float)
    starts = np.array([s for s, _ in table])
    return vals[np.searchsorted(starts, years, side="right") - 1]


def concept_index() -> dict[str, int]:
    """Index of every concept of the diagnosis table."""
    names = list(dict.fromkeys(codes.diagnosis_table()["concept"]))
    return {c: i for i, c in enumerate(names)}


def make_episodes(rng: np.random.Generator, people: dict[str, np.ndarray],
                  params: Params) -> dict[str, np.ndarray]:
    """Simulate the episodes of all persons (sorted by person, then admission).

    Parameters
    ----------
    rng : numpy.random.Generator
    people : dict of numpy.ndarray
        Person arrays: ``birth``, ``death``, ``sud``, ``onset_age``, ``recovered``,
        ``recovery_date``, ``maintenance`` and ``maintenance_start_date``
        (``datetime64[D]`` where dates).
    params : Params

    Returns
    -------
    dict of numpy.ndarray
        ``person`` (index), ``sud_contact`` (bool), ``admission`` (exact),
        ``discharge``, ``institution`` (row of the institution table), ``episode_type``,
        ``department``, ``admission_stored``, ``admission_precision`` and
        ``maintenance_entry`` (the contact on which opioid maintenance treatment began).
    """
    birth, death, sud = people["birth"], people["death"], people["sud"]
    n = len(birth)
    floor = day(f"{params.care_start_year}-01-01")
    care_start = np.maximum(birth, floor)

    # substance-use contacts: onset (or care start) to recovery or death
    sud_idx = np.flatnonzero(sud)
    s_lo = np.maximum(add_years(birth[sud_idx], people["onset_age"][sud_idx]), floor)
    s_hi = np.where(people["recovered"][sud_idx], people["recovery_date"][sud_idx],
                    death[sud_idx])
    s_hi = np.maximum(s_hi, s_lo)
    n_s = 1 + rng.poisson(params.episodes_sud, len(sud_idx))
    own_s = np.repeat(sud_idx, n_s)
    adm_s = uniform_dates(rng, np.repeat(s_lo, n_s), np.repeat(s_hi, n_s))

    # general contacts: concentrated in the last years of life
    n_g = np.where(sud, rng.poisson(params.episodes_sud_general, n),
                   1 + rng.poisson(params.episodes_comparison_extra, n))
    own_g = np.repeat(np.arange(n), n_g)
    back = np.floor(rng.exponential(3.0, len(own_g)) * 365.25).astype(np.int64)
    adm_g = np.maximum(death[own_g] - back, care_start[own_g])
    # the recovered keep seeing doctors after their substance-use contacts stop
    rec = np.flatnonzero(people["recovered"])
    adm_r = uniform_dates(rng, np.minimum(people["recovery_date"][rec] + 30, death[rec]),
                          death[rec])

    # entry into opioid maintenance treatment: an outpatient contact at an addiction
    # institution on the day the spell starts (the treatment row hangs on it)
    omt = np.flatnonzero(people["maintenance"])
    adm_m = people["maintenance_start_date"][omt]

    person = np.concatenate([own_s, own_g, rec, omt])
    adm = np.concatenate([adm_s, adm_g, adm_r, adm_m])
    kind = np.concatenate([np.ones(len(own_s), bool), np.zeros(len(own_g) + len(rec), bool),
                           np.ones(len(omt), bool)])
    marker = np.r_[np.zeros(len(person) - len(omt), bool), np.ones(len(omt), bool)]
    order = np.lexsort((adm, person))
    person, adm, kind, marker = person[order], adm[order], kind[order], marker[order]
    m = len(person)
    year = year_of(adm)

    # institution: substance-use contacts mostly at addiction institutions open that year
    inst = codes.institution_table()
    itype = inst["institution_type"].to_numpy()
    w = inst["weight"].to_numpy()
    sud_rows = np.flatnonzero(itype == "substance_use")
    gen_rows = np.flatnonzero(itype == "general_hospital")
    psy_rows = np.flatnonzero(itype == "psychiatric")
    place = categorical(rng, np.tile([0.6, 0.25, 0.15], (m, 1)))  # sud / general / psych
    place = np.where(kind, place, np.where(rng.random(m) < 0.03, 2, 1))
    place[marker] = 0
    y_from = inst["year_from"].to_numpy()[sud_rows]
    y_to = inst["year_to"].to_numpy()[sud_rows]
    wanted = np.flatnonzero(place == 0)
    open_ = (year[wanted, None] >= y_from) & (year[wanted, None] <= y_to)
    has_open = open_.any(axis=1)
    probs = open_ * w[sud_rows]
    probs[~has_open] = 1.0
    pick_sud = sud_rows[categorical(rng, probs)]
    institution = np.empty(m, dtype=np.int64)
    institution[wanted] = np.where(has_open, pick_sud, -1)
    place[wanted[~has_open]] = 1
    gen = np.flatnonzero((place == 1) | ((place == 0) & (institution == -1)))
    institution[gen] = gen_rows[rng.choice(len(gen_rows), len(gen),
                                           p=w[gen_rows] / w[gen_rows].sum())]
    psy = np.flatnonzero(place == 2)
    institution[psy] = psy_rows[rng.integers(0, len(psy_rows), len(psy))]

    # episode type by era; an outpatient series only has outpatient contacts
    ep_type = categorical(rng, _by_period(year, EPISODE_MIX))
    outpatient_series = inst["series_name"].str.contains("Poliklinikk").to_numpy()
    ep_type[outpatient_series[institution] | marker] = 2
    addiction = inst["addiction_department"].to_numpy()[institution]
    los_mean = np.where(addiction, np.where(year < 1980, 75.0, 25.0), 8.0)
    los = np.floor(rng.gamma(2.0, los_mean / 2.0)).astype(np.int64)
    death_e = death[person]
    discharge = np.where(ep_type == 0, np.minimum(adm + los, death_e), adm)
    discharge = np.where(ep_type == 3, NAT, discharge)

    # department name from the institution type and level of care
    department = np.empty(m, dtype=object)
    for t in ("substance_use", "general_hospital", "psychiatric"):
        for outp in (False, True):
            sel = np.flatnonzero((itype[institution] == t) & ((ep_type == 2) == outp))
            names = np.array(DEPARTMENTS[t + ("_outpatient" if outp else "")], dtype=object)
            department[sel] = names[rng.integers(0, len(names), len(sel))]

    # partial admission dates in early decades, only where the stored date stays sane
    p_part = _by_period(year, PARTIAL_ADMISSION)
    u = rng.random(m)
    prec = np.where(u < p_part[:, 1], 2, np.where(u < p_part[:, 0] + p_part[:, 1], 1, 0))
    stored = np.where(prec == 2, mid_year(adm), np.where(prec == 1, mid_month(adm), adm))
    upper = np.where(np.isnat(discharge), death_e, np.minimum(discharge, death_e))
    bad = (stored < birth[person]) | (stored > upper)
    prec[bad] = 0
    stored[bad] = adm[bad]
    return {"person": person, "sud_contact": kind, "admission": adm, "discharge": discharge,
            "institution": institution, "episode_type": ep_type, "department": department,
            "admission_stored": stored, "admission_precision": prec,
            "maintenance_entry": marker}


def make_diagnoses(rng: np.random.Generator, people: dict[str, np.ndarray],
                   ep: dict[str, np.ndarray], params: Params,
                   icd9_start: int) -> dict[str, np.ndarray]:
    """Simulate the diagnoses recorded on the episodes, coded by date.

    Parameters
    ----------
    rng : numpy.random.Generator
    people : dict of numpy.ndarray
        Person arrays, including ``group``, ``flags`` (n x len(SUBSTANCES)) and
        ``conditions`` (n x len(CONDITIONS)).
    ep : dict of numpy.ndarray
        Output of :func:`make_episodes`.
    params : Params
    icd9_start : int
        First year of ICD-9 in hospitals.

    Returns
    -------
    dict of numpy.ndarray
        ``episode`` (index), ``concept`` (index), ``main`` (bool), ``code`` (str or None),
        ``code_system`` (str or None), ``text``, ``row`` (the row of the diagnosis code
        table that gave the code; it carries the true categories) and ``text_variant``
        (row of the clinician-phrasing table behind the text, -1 for the table text; see
        :mod:`harkit.synth.dxtext`).
    """
    cidx = concept_index()
    n_people = len(people["birth"])
    person_e = ep["person"]
    m = len(person_e)
    group_e = people["group"][person_e]
    flags = people["flags"]
    cond = people["conditions"]
    sud_e = ep["sud_contact"]

    gen_names = list(GENERAL_POOL)
    gen_ids = np.array([cidx[c] for c in gen_names])
    gen_w = np.array([GENERAL_POOL[c] for c in gen_names])
    cond_ids = np.array([cidx[c] for c in CONDITIONS])
    sub_ids = np.array([cidx[SUBSTANCE_CONCEPT[s]] for s in SUBSTANCES])
    group_main = np.array([-1] + [cidx[SUBSTANCE_CONCEPT[g]] for g in GROUPS[1:]])

    def general(k: int) -> np.ndarray:
        return gen_ids[rng.choice(len(gen_ids), k, p=gen_w / gen_w.sum())]

    # main diagnosis
    main = general(m)
    main_sud = group_main[group_e]
    withdrawal = (group_e == 1) & (rng.random(m) < 0.2)
    main_sud = np.where(withdrawal, cidx["alcohol_withdrawal"], main_sud)
    main = np.where(sud_e, main_sud, main)
    # a condition as the main diagnosis of a general contact; HIV only once diagnosed
    cond_w = cond[person_e].astype(float)
    hiv_day = np.maximum(
        add_years(people["birth"], np.where(people["hiv"], people["hiv_age"], 0)),
        day(f"{HIV_FROM_YEAR}-01-01"))
    cond_w[ep["admission"] < hiv_day[person_e], CONDITIONS.index("aids")] = 0.0
    has_cond = cond_w.sum(axis=1) > 0
    use_cond = (~sud_e) & has_cond & (rng.random(m) < 0.35)
    if use_cond.any():
        which = categorical(rng, cond_w[use_cond])
        main[use_cond] = cond_ids[which]

    # secondary diagnoses
    n_sec = rng.poisson(params.secondary_per_episode, m)
    sec_ep = np.repeat(np.arange(m), n_sec)
    sec = general(len(sec_ep))
    co = sud_e[sec_ep] & (rng.random(len(sec_ep)) < 0.4)
    if co.any():
        p = person_e[sec_ep[co]]
        w = flags[p].astype(float)
        main_sub = np.array([-1] + [SUBSTANCES.index(g) for g in GROUPS[1:]])[
            people["group"][p]]
        w[np.arange(len(p)), main_sub] = 0.0
        ok = w.sum(axis=1) > 0
        w[~ok, 0] = 1.0
        pick = sub_ids[categorical(rng, w)]
        sec[np.flatnonzero(co)[ok]] = pick[ok]
    # substance use noted on general contacts before the SUD period ends
    still = people["sud"][person_e] & ~sud_e
    still &= ~(people["recovered"][person_e]
               & (ep["admission"] >= people["recovery_date"][person_e]))
    noted = np.flatnonzero(still & (rng.random(m) < 0.3))

    # each planted comorbid condition appears at least once, on a random episode; so do
    # alcohol-related organ disease, psychiatric comorbidity (recorded as depression) and
    # endocarditis. Dated states (organ disease, HIV, endocarditis) only on an episode
    # from their date on, HIV never before it was diagnosed anywhere.
    extra = np.concatenate([people["organ"], people["psychiatric"][:, None],
                            people["endocarditis"][:, None]], axis=1)
    extra_ids = np.array([cidx[ORGAN_CONCEPT[o]] for o in ORGANS]
                         + [cidx["depression"], cidx["endocarditis"]])
    flags_all = np.concatenate([cond, extra], axis=1)
    no_date = np.full(n_people, np.iinfo(np.int64).min)
    organ_day = add_years(people["birth"], np.where(np.isfinite(people["organ_age"]),
                                                    people["organ_age"], 0)).astype(np.int64)
    hiv_day = hiv_day.astype(np.int64)
    endo_day = add_years(people["birth"], np.where(people["endocarditis"],
                                                   people["endocarditis_age"], 0)
                         ).astype(np.int64)
    not_before = np.tile(no_date[:, None], (1, flags_all.shape[1]))
    not_before[:, CONDITIONS.index("aids")] = hiv_day
    for j in range(len(ORGANS)):
        not_before[:, len(CONDITIONS) + j] = organ_day
    not_before[:, -1] = endo_day
    pc, cc = np.nonzero(flags_all)
    ep_first, ep_count = offsets(person_e, n_people)
    # first episode of the person on or after the date (episodes sorted by person, date)
    adm_day = ep["admission"].astype(np.int64)
    ep_key = person_e * _KEY + (adm_day + _KEY // 2)
    lo_day = np.maximum(not_before[pc, cc], -(_KEY // 2))
    lo = np.searchsorted(ep_key, pc * _KEY + (lo_day + _KEY // 2), side="left")
    lo = np.maximum(lo, ep_first[pc])
    avail = ep_first[pc] + ep_count[pc] - lo
    ok = avail > 0
    pc, cc, lo, avail = pc[ok], cc[ok], lo[ok], avail[ok]
    cond_ep = lo + np.floor(rng.random(len(pc)) * avail).astype(np.int64)
    all_ids = np.concatenate([cond_ids, extra_ids])

    episode = np.concatenate([np.arange(m), sec_ep, noted, cond_ep])
    concept = np.concatenate([main, sec, group_main[group_e[noted]], all_ids[cc]])
    is_main = np.concatenate([np.ones(m, bool), np.zeros(len(episode) - m, bool)])
    order = np.lexsort((~is_main, episode))
    episode, concept, is_main = episode[order], concept[order], is_main[order]

    year = year_of(ep["admission"][episode])
    code, system, text, row = code_diagnoses(rng, concept, year, icd9_start)
    variant = np.full(len(row), -1, dtype=np.int64)
    if params.diagnosis_text_variants:
        text, variant = dxtext.vary_texts(rng, row, np.array([c is not None for c in code], bool),
                                          year)
    return {"episode": episode, "concept": concept, "main": is_main, "code": code,
            "code_system": system, "text": text, "row": row, "text_variant": variant}


def code_diagnoses(rng: np.random.Generator, concept: np.ndarray, year: np.ndarray,
                   icd9_start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Code each diagnosis in the revision in force in its year, or leave it uncoded.

    Parameters
    ----------
    rng : numpy.random.Generator
    concept : numpy.ndarray
        Concept index per diagnosis (see :func:`concept_index`).
    year : numpy.ndarray
        Year of the contact.
    icd9_start : int
        First year of ICD-9 in hospitals.

    Returns
    -------
    code, code_system, text : numpy.ndarray
        Object arrays (None where missing).
    row : numpy.ndarray
        Row of the diagnosis table that produced each code and text (records what was
        drawn; no extra random draw).
    """
    table = codes.diagnosis_table()
    cidx = concept_index()
    row_concept = table["concept"].map(cidx).to_numpy()
    rev = table["revision"].to_numpy()
    weights = table["weight"].to_numpy()
    n = len(concept)
    rev_idx = codes.revision_index(year, codes.hospital_revisions(icd9_start))
    uncoded = rng.random(n) < _by_period(year, tuple((s, (p,)) for s, p in UNCODED_BY_YEAR))[:, 0]

    # coded: key = concept * 10 + revision
    coded_rows = np.flatnonzero(rev != "none")
    row_key = np.full(len(table), -1, dtype=np.int64)
    rev_num = {r: i for i, r in enumerate(codes.REVISIONS)}
    row_key[coded_rows] = row_concept[coded_rows] * 10 + np.array(
        [rev_num[r] for r in rev[coded_rows]])
    row = codes.sample_rows(rng, concept * 10 + rev_idx, row_key, weights)
    # a concept without a code in the revision of the day is written as text only
    no_code = row < 0
    uncoded |= no_code

    # uncoded: rows valid in the diagnosis's 5-year bucket (expanded per bucket)
    none_rows = np.flatnonzero(rev == "none")
    yf, yt = table["year_from"].to_numpy(), table["year_to"].to_numpy()
    exp_rows, exp_keys = [], []
    for b in range(0, 25):
        mid = 1900 + 5 * b + 2
        ok = none_rows[(yf[none_rows] <= mid) & (yt[none_rows] >= mid)]
        exp_rows.append(ok)
        exp_keys.append(row_concept[ok] * 100 + b)
    exp_rows_a, exp_keys_a = np.concatenate(exp_rows), np.concatenate(exp_keys)
    bucket = np.clip((year - 1900) // 5, 0, 24)
    u_items = np.flatnonzero(uncoded)
    pick = codes.sample_rows(rng, concept[u_items] * 100 + bucket[u_items], exp_keys_a,
                             weights[exp_rows_a])
    u_row = np.where(pick >= 0, exp_rows_a[np.maximum(pick, 0)], -1)
    # no code and no wording of the era: any wording of the concept
    late = np.flatnonzero((pick < 0) & no_code[u_items])
    if len(late):
        any_pick = codes.sample_rows(rng, concept[u_items[late]], row_concept[none_rows],
                                     weights[none_rows])
        u_row[late] = np.where(any_pick >= 0, none_rows[np.maximum(any_pick, 0)], -1)
    found = u_row >= 0
    if (~found & no_code[u_items]).any():
        raise ValueError("a diagnosis concept has neither a code nor a text for its year")
    uncoded[u_items[~found]] = False  # no uncoded wording for the era: keep it coded

    fmt = codes.draw_formats(rng, rev_idx)
    formatted = codes.format_matrix(table["code"].to_numpy())
    texts = table["text"].to_numpy(dtype=object)
    code = formatted[np.maximum(row, 0), fmt].astype(object)
    system = np.array(codes.REVISIONS, dtype=object)[rev_idx]
    text = texts[np.maximum(row, 0)]
    ui = u_items[found]
    code[ui] = None
    system[ui] = "none"
    text[ui] = texts[u_row[found]]
    table_row = np.maximum(row, 0)
    table_row[ui] = u_row[found]
    missing_sys = (~uncoded) & (rng.random(n) < MISSING_SYSTEM_SHARE)
    system[missing_sys] = None
    return code, system, text, table_row
