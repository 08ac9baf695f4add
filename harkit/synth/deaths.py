"""Causes of death: the life course's cause of each death, coded by death year.

Death certificates are coded in the revision in force in the death year (ICD-7 to 1968,
ICD-8 1969-1985, ICD-9 1986-1995, ICD-10 from 1996). Contributing causes are recorded from
1996. The 2003 rule is applied: before 2003 an overdose of a known drug user is coded
F1x.0 as the underlying cause; from 2003 it is coded X41/X42/X44 with the substance in a
contributing T-code and the dependence (F1x.2) as a contributing cause.
"""

from __future__ import annotations

import numpy as np

from harkit.synth import codes
from harkit.synth._util import year_of
from harkit.synth.params import CAUSE_GROUPS, GROUPS

_T_KEY = {"opioids": "T_opioids", "polydrug": "T_polydrug", "stimulants": "T_stimulants",
          "sedatives": "T_sedatives", "cannabis": "T_cannabis"}


def _undot(codes_: np.ndarray) -> np.ndarray:
    """Codes without their dot (the death register often writes ``F100``)."""
    if len(codes_) == 0:
        return codes_.astype(object)
    return np.char.replace(codes_.astype(str), ".", "").astype(object)


def make_causes(rng: np.random.Generator, people: dict[str, np.ndarray]
                ) -> dict[str, np.ndarray]:
    """Code the underlying cause of each death, and draw and code contributing causes.

    The cause group of each death comes from the life course (competing cause-specific
    hazards at the moment of death, :func:`harkit.synth.lifecourse.cause_shares`); here it
    is only written as a code of the revision in force.

    Parameters
    ----------
    rng : numpy.random.Generator
    people : dict of numpy.ndarray
        Person arrays: ``group``, ``death`` and ``cause_group``.

    Returns
    -------
    dict of numpy.ndarray
        ``cause_group`` per person, and long arrays ``person``, ``line`` (0 underlying),
        ``code``, ``code_system``, ``text`` for the certificate rows, and
        ``category_cause_group`` per row: what its code means under the shipped
        ``cause_group`` list, read from the ``category_cause_group`` column of
        ``data/cause_codes.csv`` or ``data/contributing_codes.csv``.
    """
    group = people["group"]
    n = len(group)
    cg = people["cause_group"].astype(np.int64)
    year = year_of(people["death"])
    rev_idx = codes.revision_index(year, codes.DEATH_REVISIONS)

    table = codes.cause_table()
    t_group = table["cause_group"].map({c: i for i, c in enumerate(CAUSE_GROUPS)}).to_numpy()
    t_rev = table["revision"].map({r: i for i, r in enumerate(codes.REVISIONS)}).to_numpy()
    t_period = table["period"].map({"all": 0, "pre2003": 1, "from2003": 2}).to_numpy()
    t_sub = table["substance"].map(
        {g: i for i, g in enumerate(GROUPS)} | {"any": len(GROUPS)}).to_numpy()
    # substance-specific rows win over "any" rows when they exist for the group
    specific = {(g, r, s) for g, r, s in zip(t_group, t_rev, t_sub) if s < len(GROUPS)}
    person_sub = group.astype(np.int64)
    has_specific = np.zeros(n, dtype=bool)
    for g, r, s in specific:
        has_specific |= (cg == g) & (rev_idx == r) & (person_sub == s)
    sub_key = np.where(has_specific, person_sub, len(GROUPS))
    period = np.where(rev_idx == 3, np.where(year < 2003, 1, 2), 0)
    # rows valid for all periods match any person period: expand them
    keys_rows = t_group * 1000 + t_rev * 100 + t_sub
    row_keys = np.concatenate([keys_rows * 10 + t_period] +
                              [keys_rows[t_period == 0] * 10 + p for p in (1, 2)])
    row_index = np.concatenate([np.arange(len(table))] +
                               [np.flatnonzero(t_period == 0)] * 2)
    person_key = (cg * 1000 + rev_idx * 100 + sub_key) * 10 + period
    pick = codes.sample_rows(rng, person_key, row_keys,
                             table["weight"].to_numpy()[row_index])
    # a drug-group overdose without a specific row for the substance falls back to "any"
    missing = pick < 0
    if missing.any():
        alt = (cg * 1000 + rev_idx * 100 + len(GROUPS)) * 10 + period
        pick[missing] = codes.sample_rows(rng, alt[missing], row_keys,
                                          table["weight"].to_numpy()[row_index])
    if (pick < 0).any():
        raise RuntimeError(f"cause_codes.csv lacks rows for keys {np.unique(person_key[pick < 0])}")
    row = row_index[pick]
    code_u = table["code"].to_numpy(dtype=object)[row]
    undotted = (rev_idx == 3) & (rng.random(n) < 0.5)
    code_u = np.where(undotted, _undot(code_u), code_u)
    text_u = table["text"].to_numpy(dtype=object)[row]
    cat_u = table["category_cause_group"].to_numpy(dtype=object)[row]

    # contributing causes from 1996 (ICD-10 certificates)
    contrib = codes.contributing_table()
    c_person, c_code, c_text, c_cat = [], [], [], []
    icd10 = rev_idx == 3
    od = icd10 & (cg == CAUSE_GROUPS.index("overdose"))
    gname = np.array(GROUPS, dtype=object)[group]
    for sub, key in _T_KEY.items():
        sel = np.flatnonzero(od & (gname == sub))
        if sub == "opioids":
            methadone = (year[sel] >= 1998) & (rng.random(len(sel)) < 0.35)
            for k, s in (("T_methadone", sel[methadone]), (key, sel[~methadone])):
                c_person.append(s)
                c_code.append(np.full(len(s), contrib.loc[k, "code"], dtype=object))
                c_text.append(np.full(len(s), contrib.loc[k, "text"], dtype=object))
                c_cat.append(np.full(len(s), contrib.loc[k, "category_cause_group"],
                                     dtype=object))
        else:
            c_person.append(sel)
            c_code.append(np.full(len(sel), contrib.loc[key, "code"], dtype=object))
            c_text.append(np.full(len(sel), contrib.loc[key, "text"], dtype=object))
            c_cat.append(np.full(len(sel), contrib.loc[key, "category_cause_group"],
                                 dtype=object))
    dep_p = np.where(od & (year >= 2003), 0.8, 0.4)
    dep = icd10 & (group > 0) & (rng.random(n) < dep_p)
    dep &= ~(od & (year < 2003))  # the underlying F1x.0 already names the substance
    dep &= cg != CAUSE_GROUPS.index("alcohol")
    for i, g in enumerate(GROUPS[1:], start=1):
        sel = np.flatnonzero(dep & (group == i))
        c_person.append(sel)
        c_code.append(np.full(len(sel), contrib.loc[f"F_{g}", "code"], dtype=object))
        c_text.append(np.full(len(sel), contrib.loc[f"F_{g}", "text"], dtype=object))
        c_cat.append(np.full(len(sel), contrib.loc[f"F_{g}", "category_cause_group"],
                             dtype=object))
    liver = np.flatnonzero(icd10 & (cg == CAUSE_GROUPS.index("alcohol"))
                           & (rng.random(n) < 0.3))
    c_person.append(liver)
    c_code.append(np.full(len(liver), contrib.loc["liver_alcohol", "code"], dtype=object))
    c_text.append(np.full(len(liver), contrib.loc["liver_alcohol", "text"], dtype=object))
    c_cat.append(np.full(len(liver), contrib.loc["liver_alcohol", "category_cause_group"],
                         dtype=object))
    htn = np.flatnonzero(icd10 & (rng.random(n) < 0.15))
    c_person.append(htn)
    c_code.append(np.full(len(htn), contrib.loc["hypertension", "code"], dtype=object))
    c_text.append(np.full(len(htn), contrib.loc["hypertension", "text"], dtype=object))
    c_cat.append(np.full(len(htn), contrib.loc["hypertension", "category_cause_group"],
                         dtype=object))

    cp = np.concatenate(c_person)
    order = np.argsort(cp, kind="stable")
    cp = cp[order]
    c_code_a = np.concatenate(c_code)[order]
    undot_c = undotted[cp]
    c_code_a = np.where(undot_c, _undot(c_code_a), c_code_a)
    c_text_a = np.concatenate(c_text)[order]
    c_cat_a = np.concatenate(c_cat)[order]
    # line numbers 1.. within each person
    start = np.r_[True, cp[1:] != cp[:-1]] if len(cp) else np.zeros(0, bool)
    first = np.maximum.accumulate(np.where(start, np.arange(len(cp)), 0)) if len(cp) else cp
    line_c = np.arange(len(cp)) - first + 1

    rev_names = np.array(codes.REVISIONS, dtype=object)
    return {
        "cause_group": cg,
        "person": np.concatenate([np.arange(n), cp]),
        "line": np.concatenate([np.zeros(n, dtype=np.int64), line_c]),
        "code": np.concatenate([code_u.astype(object), c_code_a.astype(object)]),
        "code_system": np.concatenate([rev_names[rev_idx], np.full(len(cp), "ICD-10",
                                                                   dtype=object)]),
        "text": np.concatenate([text_u, c_text_a]),
        "category_cause_group": np.concatenate([cat_u.astype(object),
                                                c_cat_a.astype(object)]),
    }
