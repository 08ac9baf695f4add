"""Treatments given on episodes, by era, with a planted sex difference.

Eligibility and probabilities (per episode):

* ``institutional_stay``: inpatient episode at an addiction institution; logistic with
  ``logit p = logit(p_male) + log(OR_female) * female`` (OR planted in the truth).
* ``methadone``: substance-use episode of an opioid-group person at an addiction
  institution from ``methadone_start_year`` (1998); same logistic form.
* ``buprenorphine``: as methadone, from 2002, when methadone was not given (p 0.3).
* ``disulfiram``: substance-use episode of an alcohol-group person from 1950 (p 0.25).
* ``detoxification``: inpatient substance-use episode, from 1950 (p 0.35).
* ``outpatient_counselling``: outpatient substance-use episode from 1960 (p 0.6).
* ``coercive_admission``: inpatient substance-use episode (p 0.15 before 1970, 0.03 after).
* ``psychiatric_care``: episode at a psychiatric institution (p 0.5).
* ``opioid_maintenance``: the spell of opioid maintenance treatment (LAR) of the life
  course (:mod:`.lifecourse`), one row from its start to its end (or death), on the
  contact at which it began. While in it the hazard is lowered by the planted
  ``log_hr["maintenance_treatment"]``.
"""

from __future__ import annotations

import numpy as np

from harkit.synth import codes
from harkit.synth._util import year_of
from harkit.synth.params import GROUPS, Params

TREATMENTS = ("institutional_stay", "detoxification", "disulfiram", "methadone",
              "buprenorphine", "outpatient_counselling", "psychiatric_care",
              "coercive_admission", "opioid_maintenance")
#: The treatments drawn per episode (all but the life-course maintenance spell).
EPISODE_TREATMENTS = TREATMENTS[:-1]


def _logistic_p(p_male: float, odds_ratio: float, female: np.ndarray) -> np.ndarray:
    logit = np.log(p_male / (1 - p_male)) + np.log(odds_ratio) * female
    return 1 / (1 + np.exp(-logit))


def make_treatments(rng: np.random.Generator, people: dict[str, np.ndarray],
                    ep: dict[str, np.ndarray], params: Params) -> dict[str, np.ndarray]:
    """Simulate treatments on episodes.

    Parameters
    ----------
    rng : numpy.random.Generator
    people : dict of numpy.ndarray
        Person arrays (``male``, ``group``, ``death``, ``maintenance_end_date``).
    ep : dict of numpy.ndarray
        Episodes from :func:`harkit.synth.care.make_episodes`.
    params : Params

    Returns
    -------
    dict of numpy.ndarray
        ``episode`` (index), ``type`` (index into :data:`TREATMENTS`), ``start``,
        ``start_precision`` (0 day, 1 month, 2 year), ``end`` (exact, NaT if unknown).
    """
    inst = codes.institution_table()
    person = ep["person"]
    m = len(person)
    female = (~people["male"][person]).astype(float)
    group = np.array(GROUPS, dtype=object)[people["group"][person]]
    year = year_of(ep["admission"])
    addiction = inst["addiction_department"].to_numpy()[ep["institution"]]
    psych = (inst["institution_type"].to_numpy() == "psychiatric")[ep["institution"]]
    sud = ep["sud_contact"]
    inpatient = ep["episode_type"] == 0
    outpatient = ep["episode_type"] == 2
    u = rng.random((m, len(EPISODE_TREATMENTS)))
    orr, pm = params.treatment_or_female, params.treatment_p_male

    given = np.zeros((m, len(EPISODE_TREATMENTS)), dtype=bool)
    given[:, 0] = inpatient & addiction & (
        u[:, 0] < _logistic_p(pm["institutional_stay"], orr["institutional_stay"], female))
    given[:, 1] = sud & inpatient & (year >= 1950) & (u[:, 1] < 0.35)
    given[:, 2] = sud & (group == "alcohol") & (year >= params.disulfiram_start_year) & (
        u[:, 2] < 0.25)
    methadone_ok = sud & addiction & (group == "opioids")
    given[:, 3] = methadone_ok & (year >= params.methadone_start_year) & (
        u[:, 3] < _logistic_p(pm["methadone"], orr["methadone"], female))
    given[:, 4] = methadone_ok & (year >= params.buprenorphine_start_year) & ~given[:, 3] & (
        u[:, 4] < 0.3)
    given[:, 5] = sud & outpatient & (year >= 1960) & (u[:, 5] < 0.6)
    given[:, 6] = psych & (u[:, 6] < 0.5)
    given[:, 7] = sud & inpatient & (u[:, 7] < np.where(year < 1970, 0.15, 0.03))

    e_idx, t_idx = np.nonzero(given)
    start = ep["admission_stored"][e_idx]
    start_prec = ep["admission_precision"][e_idx]
    death = people["death"][person[e_idx]]
    k = len(e_idx)
    length = np.select(
        [t_idx == 2, np.isin(t_idx, (3, 4)), t_idx == 5],
        [rng.integers(90, 366, k), rng.integers(365, 3650, k), rng.integers(0, 181, k)],
        default=0)
    end = np.where(np.isin(t_idx, (2, 3, 4, 5)), start + length, ep["discharge"][e_idx])
    end = np.minimum(end, death)
    end = np.where(np.isnat(end), end, np.maximum(end, start))
    # the maintenance spells of the life course, one row each
    spell = np.flatnonzero(ep["maintenance_entry"])
    owner = person[spell]
    return {"episode": np.concatenate([e_idx, spell]),
            "type": np.concatenate([t_idx, np.full(len(spell), len(TREATMENTS) - 1)]),
            "start": np.concatenate([start, ep["admission_stored"][spell]]),
            "start_precision": np.concatenate([start_prec,
                                               ep["admission_precision"][spell]]),
            "end": np.concatenate([end, people["maintenance_end_date"][owner]])}
