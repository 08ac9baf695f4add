"""Person-level attributes drawn after death: onset age, co-use, conditions, recovery.

These are drawn for the kept persons only. None of them feeds back into age at death:
the hazard depends only on the covariates drawn before it (:mod:`.population`).
"""

from __future__ import annotations

import numpy as np

from harkit.synth._util import add_years, day, uniform_dates, year_of, years_between
from harkit.synth.params import CONDITIONS, GROUPS, SUBSTANCES, Params
from harkit.synth.population import SUD_ENTRY_AGE

#: Probability of co-using each substance (columns SUBSTANCES) given the main group.
CO_USE = {
    "alcohol": {"sedatives": 0.15, "cannabis": 0.05},
    "opioids": {"alcohol": 0.4, "cannabis": 0.4, "sedatives": 0.35, "stimulants": 0.2},
    "cannabis": {"alcohol": 0.4, "stimulants": 0.2, "sedatives": 0.1},
    "sedatives": {"alcohol": 0.4, "opioids": 0.15},
    "stimulants": {"alcohol": 0.35, "cannabis": 0.5, "sedatives": 0.25, "opioids": 0.15},
    "polydrug": {"opioids": 0.7, "sedatives": 0.6, "cannabis": 0.6, "stimulants": 0.5,
                 "alcohol": 0.4},
}


def draw_onset(rng: np.random.Generator, young: np.ndarray, age: np.ndarray,
               params: Params) -> tuple[np.ndarray, np.ndarray]:
    """Draw the age at onset of substance use, before death.

    Onset is uniform on the group range (young: 15-25, late: 25-60) cut at the age at
    death. A late-onset person who died before 25 cannot have a late onset: their onset is
    drawn uniformly between 15 and death and flagged ``clipped``; the ``young_onset``
    covariate keeps its drawn value so the hazard model stays exact.

    Parameters
    ----------
    rng : numpy.random.Generator
    young : numpy.ndarray
        Young-onset flag per SUD person.
    age : numpy.ndarray
        Age at death (at least the SUD entry age).
    params : Params

    Returns
    -------
    onset, clipped : numpy.ndarray
    """
    lo = np.where(young, max(params.onset_range_young[0], SUD_ENTRY_AGE),
                  params.onset_range_late[0])
    hi = np.where(young, params.onset_range_young[1], params.onset_range_late[1])
    hi = np.minimum(hi, age - 0.05)
    clipped = hi <= lo
    lo = np.where(clipped, SUD_ENTRY_AGE, lo)
    onset = lo + rng.random(len(age)) * np.maximum(hi - lo, 0)
    return onset, clipped


def draw_flags(rng: np.random.Generator, group: np.ndarray, birth: np.ndarray) -> np.ndarray:
    """Substance flags (n x len(SUBSTANCES)): the main group plus co-use by group."""
    n = len(group)
    flags = np.zeros((n, len(SUBSTANCES)), dtype=bool)
    cohort = year_of(birth)
    for gi, g in enumerate(GROUPS):
        if gi == 0:
            continue
        sel = group == gi
        flags[sel, SUBSTANCES.index(g)] = True
        for sub, p in CO_USE[g].items():
            modern = sub not in ("alcohol", "sedatives", "opioids")
            # "not modern": ~ on a Python bool is -1/-2, which turned the mask into row indices
            ok = sel & (rng.random(n) < p) & ((not modern) | (cohort >= 1935))
            flags[ok, SUBSTANCES.index(sub)] = True
    drug = group >= 2
    solvents = drug & (cohort >= 1945) & (cohort <= 1985) & (rng.random(n) < 0.05)
    flags[solvents, SUBSTANCES.index("solvents")] = True
    return flags


def draw_conditions(rng: np.random.Generator, score: np.ndarray,
                    params: Params) -> np.ndarray:
    """Comorbid conditions whose Charlson weights sum exactly to the planted score.

    Malignancy (weight 2) is included with probability ``params.malignancy_prob`` when the
    score is at least 2; the rest of the score is made of distinct weight-1 conditions.
    """
    n = len(score)
    cond = np.zeros((n, len(CONDITIONS)), dtype=bool)
    mal = (score >= 2) & (rng.random(n) < params.malignancy_prob)
    cond[:, CONDITIONS.index("malignancy")] = mal
    k = score - 2 * mal
    ones = [i for i, c in enumerate(CONDITIONS) if c != "malignancy"]
    rank = np.argsort(np.argsort(rng.random((n, len(ones))), axis=1), axis=1)
    cond[:, ones] = rank < k[:, None]
    return cond


def draw_recovery(rng: np.random.Generator, sud: np.ndarray, birth: np.ndarray,
                  death: np.ndarray, onset: np.ndarray, params: Params
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Recovered (drug-free) SUD persons and their recovery dates.

    Eligible: at least ``recovery_min_years`` + 2 years between the start of substance-use
    care and death. The date is uniform between one year after that start and
    ``recovery_min_years`` before death.
    """
    n = len(sud)
    floor = day(f"{params.care_start_year}-01-01")
    start = np.maximum(add_years(birth, np.nan_to_num(onset)), floor)
    latest = add_years(death, -params.recovery_min_years)
    eligible = sud & (years_between(start, latest) >= 2.0)
    recovered = eligible & (rng.random(n) < params.recovery_prob)
    date = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    idx = np.flatnonzero(recovered)
    date[idx] = uniform_dates(rng, add_years(start[idx], 1.0), latest[idx])
    return recovered, date
