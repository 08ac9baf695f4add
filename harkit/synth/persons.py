"""Person-level attributes of the kept persons: substance co-use and recorded conditions.

The life course itself (onset, recovery, organ disease, psychiatric comorbidity, death and
its cause) comes from :mod:`.lifecourse`; what is drawn here is what the records show
besides: which other substances a person used, and which Charlson-type conditions were
diagnosed (more likely with age, by substance group, and for the disease that killed).
"""

from __future__ import annotations

import numpy as np

from harkit.synth._util import year_of
from harkit.synth.params import (
    CAUSE_GROUPS,
    CONDITION_WEIGHTS,
    CONDITIONS,
    GROUPS,
    ORGANS,
    SUBSTANCES,
    Params,
)

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


def draw_conditions(rng: np.random.Generator, people: dict[str, np.ndarray],
                    params: Params) -> np.ndarray:
    """Charlson-type conditions recorded for a person (n x len(CONDITIONS)).

    The probability of each condition rises with age at death (``(age / 70) ** 2``,
    bounded), differs by substance group (:attr:`Params.condition_group_rr`: COPD and
    ulcer among alcohol users, for example) and is raised by the cause of death the
    condition leads to (malignancy for a cancer death, heart disease for a
    cardiovascular death, COPD for a respiratory death). Chronic hepatitis C of injecting
    users and alcoholic liver disease are mild liver disease, alcoholic cardiomyopathy is
    heart failure, and diagnosed HIV infection is AIDS/HIV (and only it).
    """
    age, group = people["age"], people["group"].astype(np.int64)
    n = len(age)
    cause = people["cause_group"]
    ci = {c: i for i, c in enumerate(CAUSE_GROUPS)}
    p = np.tile(np.array([params.condition_prob[c] for c in CONDITIONS]), (n, 1))
    p *= np.clip((age / 70.0) ** 2, 0.02, 1.6)[:, None]
    for gi, g in enumerate(GROUPS[1:], start=1):
        for c, rr in params.condition_group_rr.get(g, {}).items():
            p[group == gi, CONDITIONS.index(c)] *= rr
    by_cause = {"cancer": ("malignancy", 8.0), "cardiovascular": ("mi", 3.0),
                "respiratory": ("copd", 4.0), "liver": ("mild_liver", 10.0)}
    for cause_name, (c, rr) in by_cause.items():
        p[cause == ci[cause_name], CONDITIONS.index(c)] *= rr
    p[cause == ci["cardiovascular"], CONDITIONS.index("chf")] *= 2.0
    cond = rng.random((n, len(CONDITIONS))) < np.minimum(p, 0.95)
    liver = people["hcv"] | people["organ"][:, ORGANS.index("liver")]
    cond[liver, CONDITIONS.index("mild_liver")] = True
    # alcoholic cardiomyopathy is on the Charlson heart-failure lists (I42.6, 425.5)
    cond[people["organ"][:, ORGANS.index("heart")], CONDITIONS.index("chf")] = True
    cond[:, CONDITIONS.index("aids")] = people["hiv"]
    return cond


def comorbidity_score(cond: np.ndarray) -> np.ndarray:
    """Charlson score of a condition matrix (weights of :data:`CONDITION_WEIGHTS`)."""
    w = np.array([CONDITION_WEIGHTS[c] for c in CONDITIONS])
    return (cond * w).sum(axis=1).astype(np.int64)
