"""Whole lives in continuous time: population hazard, onset, time-varying exposure, causes.

Every life is simulated from birth. Its hazard at age ``a`` in calendar year ``y`` is

    h(a) = m(sex, y, a) * exp(eta(a))

where ``m`` is the Norwegian central death rate of that sex, year and single year of age
(Human Mortality Database, bundled with :mod:`harkit.lifetables`; years after 2023 use
2023, so calendar-period decline and birth-cohort differences come from the real tables,
and so does the young-adult accident hump) and ``eta(a)`` is the sum of the log hazard
ratios of the states the life is in at ``a``: its substance group from onset of the
disorder, recovery from its date, alcohol-related organ disease from its onset,
psychiatric comorbidity from substance-use onset, HIV infection and endocarditis of
injecting users from their diagnosis, and opioid maintenance treatment while in it. The
hazard is piecewise constant on one-year age steps and between change points, and the
age at death is drawn exactly by accumulating it against a unit exponential.

Causes of death are competing risks: the cause-specific hazard of cause ``k`` is
``h(a) * pi_k(a, state)``, so the cause of a death is drawn from the shares
``pi_k`` at the moment of death (:func:`cause_shares`), never after the fact.

A life of the substance-use population has a disorder only if its onset comes before its
death; lives that die first are not persons with the disorder and are not counted.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from harkit.synth._util import add_years, categorical, day, year_of
from harkit.synth.params import (
    CAUSE_GROUPS,
    DRUG_GROUPS,
    GROUPS,
    HIV_FROM_YEAR,
    ORGANS,
    Params,
)

#: Calendar years of the bundled HMD rates used as the population hazard.
RATE_YEARS: tuple[int, int] = (1846, 2023)
#: Oldest single year of age in the rates (the open interval 110+).
MAX_AGE = 110
#: Age at which every life still alive is closed (the hazard at 110+ makes this rare).
END_AGE = 125

#: Background cause shares of the population hazard by age (rows: anchor ages; columns:
#: CAUSE_GROUPS), interpolated linearly in age. Assumed shapes of Norwegian cause-of-death
#: statistics: external causes dominate young adults, cancer at 50-70, circulatory disease
#: after 75, perinatal and other causes in infancy.
_SHARE_AGES = np.array([0.0, 15.0, 30.0, 45.0, 60.0, 75.0, 90.0, 110.0])
_SHARES = np.array([
    # alc   od     sui    acc    viol   canc   cardio resp   liver  other
    [0.000, 0.000, 0.000, 0.100, 0.010, 0.050, 0.020, 0.100, 0.000, 0.720],
    [0.002, 0.003, 0.080, 0.400, 0.030, 0.100, 0.050, 0.030, 0.002, 0.303],
    [0.010, 0.010, 0.150, 0.250, 0.030, 0.150, 0.100, 0.030, 0.010, 0.260],
    [0.020, 0.005, 0.080, 0.100, 0.010, 0.300, 0.250, 0.030, 0.025, 0.180],
    [0.015, 0.002, 0.030, 0.040, 0.004, 0.350, 0.350, 0.050, 0.020, 0.139],
    [0.006, 0.001, 0.012, 0.025, 0.002, 0.280, 0.420, 0.080, 0.010, 0.164],
    [0.002, 0.000, 0.006, 0.030, 0.001, 0.150, 0.450, 0.120, 0.005, 0.236],
    [0.001, 0.000, 0.004, 0.030, 0.001, 0.100, 0.450, 0.130, 0.005, 0.279],
])
#: Multipliers of the cause shares while a person is in a substance group (rows follow
#: GROUPS[1:]); the shares are renormalised, so these steer the cause mix of the excess.
_GROUP_RR = np.array([
    # alc  od     sui  acc  viol cancer cardio resp liver other
    [40.0, 3.0, 3.0, 2.5, 3.0, 0.8, 0.9, 1.0, 6.0, 0.8],    # alcohol
    [5.0, 300.0, 3.0, 2.0, 4.0, 0.5, 0.5, 1.0, 2.0, 0.7],   # opioids
    [3.0, 40.0, 2.0, 2.5, 3.0, 0.8, 0.8, 1.0, 1.0, 0.8],    # cannabis
    [5.0, 100.0, 3.0, 2.0, 1.5, 0.8, 0.8, 1.2, 1.0, 0.9],   # sedatives
    [3.0, 200.0, 2.5, 2.0, 4.0, 0.6, 1.2, 1.0, 1.5, 0.8],   # stimulants
    [5.0, 300.0, 3.0, 2.0, 4.0, 0.5, 0.5, 1.0, 2.0, 0.7],   # polydrug
])
_C = {c: i for i, c in enumerate(CAUSE_GROUPS)}
#: Recovery multiplies the shares of alcohol and overdose deaths by this factor (before
#: renormalising), so the odds of an alcohol-or-overdose death against any other cause
#: are this factor times lower after recovery, for every person and age.
RECOVERY_CAUSE_OR = 0.3


@cache
def population_rates() -> np.ndarray:
    """Norwegian central death rates as an array ``[sex, year, age]`` (read-only).

    Returns
    -------
    numpy.ndarray
        Shape ``(2, 178, 111)``: sex 0 female, 1 male; years 1846-2023; ages 0-110. HMD's
        missing rates (no exposure at the oldest ages in early years) are filled with the
        nearest younger age's rate.
    """
    from harkit.lifetables import load_norway

    mx = load_norway("mx", sex=["female", "male"])
    wide = mx.pivot_table(index=["sex", "year"], columns="age", values="mx",
                          observed=True, dropna=False)
    arr = wide.to_numpy(dtype=float).reshape(2, RATE_YEARS[1] - RATE_YEARS[0] + 1,
                                              MAX_AGE + 1)
    # forward-fill along age (the oldest ages of early years have no exposure)
    idx = np.where(np.isfinite(arr), np.arange(arr.shape[2]), 0)
    np.maximum.accumulate(idx, axis=2, out=idx)
    arr = np.take_along_axis(arr, idx, axis=2)
    arr = np.where(np.isfinite(arr) & (arr > 0), arr, 1e-5)
    arr.setflags(write=False)
    return arr


def overdose_period_factor(year: np.ndarray) -> np.ndarray:
    """Relative weight of overdose deaths by calendar year (rare before the 1960s)."""
    return np.interp(year, [1950.0, 1965.0, 1990.0, 2020.0], [0.15, 0.2, 1.0, 1.0])


def cause_shares(age: np.ndarray, year: np.ndarray, group: np.ndarray, exposed: np.ndarray,
                 recovered: np.ndarray, organ: np.ndarray, psychiatric: np.ndarray,
                 hcv: np.ndarray, *, organ_type: np.ndarray | None = None,
                 hiv: np.ndarray | None = None, endocarditis: np.ndarray | None = None,
                 maintenance: np.ndarray | None = None,
                 params: Params | None = None) -> np.ndarray:
    """Share of the hazard due to each cause (columns :data:`CAUSE_GROUPS`) at a moment.

    Parameters
    ----------
    age, year : numpy.ndarray
        Age (years) and calendar year at the moment.
    group : numpy.ndarray
        Substance group index (:data:`GROUPS`; 0 is ``none``).
    exposed, recovered, organ, psychiatric, hcv : numpy.ndarray
        Boolean states at the moment: after onset of the disorder, after recovery, after
        onset of alcohol-related organ disease, with psychiatric comorbidity (counts
        only once exposed) and with chronic hepatitis C.
    organ_type : numpy.ndarray, optional
        Index into :data:`ORGANS` of the organ disease (default liver); each organ raises
        its own cause (:attr:`Params.organ_cause_rr`).
    hiv, endocarditis, maintenance : numpy.ndarray, optional
        Boolean states: HIV diagnosed, endocarditis diagnosed, in opioid maintenance
        treatment (default all False).
    params : Params, optional
        Parameters of those effects (default :data:`~harkit.synth.params.DEFAULTS`).

    Returns
    -------
    numpy.ndarray
        Shape ``(n, len(CAUSE_GROUPS))``, rows summing to one; the cause-specific hazards
        are these shares times the all-cause hazard.
    """
    from harkit.synth.params import DEFAULTS

    params = DEFAULTS if params is None else params
    n = len(age)
    p = np.empty((n, len(CAUSE_GROUPS)))
    for k in range(len(CAUSE_GROUPS)):
        p[:, k] = np.interp(age, _SHARE_AGES, _SHARES[:, k])
    ex = exposed & (group > 0)
    rr = np.ones_like(p)
    rr[ex] = _GROUP_RR[group[ex] - 1]
    rr[:, _C["overdose"]] *= np.where(ex, overdose_period_factor(year), 1.0)
    rec = ex & recovered
    rr[rec, _C["alcohol"]] *= RECOVERY_CAUSE_OR
    rr[rec, _C["overdose"]] *= RECOVERY_CAUSE_OR
    otype = np.zeros(n, dtype=np.int64) if organ_type is None else organ_type
    for i, o in enumerate(ORGANS):
        cause, mult = params.organ_cause_rr[o]
        rr[organ & (otype == i), _C[cause]] *= mult
    rr[organ, _C["alcohol"]] *= 2.0
    rr[ex & psychiatric, _C["suicide"]] *= 2.0
    rr[hcv, _C["liver"]] *= 2.0
    if hiv is not None:
        rr[hiv, _C["other"]] *= params.hiv_cause_rr
    if endocarditis is not None:
        rr[endocarditis, _C["cardiovascular"]] *= params.endocarditis_cause_rr
    if maintenance is not None:
        rr[maintenance, _C["overdose"]] *= params.maintenance_overdose_rr
    p *= rr
    return p / p.sum(axis=1, keepdims=True)


def _birth_dates(rng: np.random.Generator, m: int, params: Params) -> np.ndarray:
    first, last = params.birth_years
    k = params.birth_slope
    u = rng.random(m)
    # inverse CDF of the density 1 + k x on [0, 1]
    x = u if k == 0 else (-1 + np.sqrt(1 + 2 * k * u * (1 + k / 2))) / k
    lo = day(f"{first}-01-01")
    span = int((day(f"{last + 1}-01-01") - lo).astype(np.int64))
    return lo + np.minimum(np.floor(x * span).astype(np.int64), span - 1)


def _drug_share(params: Params, cohort: np.ndarray) -> np.ndarray:
    a, b = params.drug_cohort_start, params.drug_cohort_full
    t = np.clip((cohort - a) / (b - a), 0, 1)
    share = params.drug_share_early + t * (params.drug_share_full - params.drug_share_early)
    return np.where(cohort < a, params.drug_share_early, share)


def _groups(rng: np.random.Generator, population: str, cohort: np.ndarray,
            params: Params) -> np.ndarray:
    m = len(cohort)
    if population == "comparison":
        return np.zeros(m, dtype=np.int8)
    drug = rng.random(m) < _drug_share(params, cohort)
    modern = np.array([params.drug_mix[g] for g in DRUG_GROUPS])
    early = np.array([params.drug_mix_early[g] for g in DRUG_GROUPS])
    early_cohort = cohort < params.drug_cohort_start
    probs = np.where(early_cohort[:, None], early[None, :], modern[None, :])
    cum = np.cumsum(probs, axis=1)
    u = rng.random(m)[:, None] * cum[:, -1:]
    which = np.minimum((cum <= u).sum(axis=1), len(DRUG_GROUPS) - 1)
    group = np.where(drug, which + 2, 1)  # 1 = alcohol, 2.. = drug groups
    return group.astype(np.int8)


def _per_group(mapping, group: np.ndarray, none: float = np.nan) -> np.ndarray:
    return np.array([none] + [float(mapping[g]) for g in GROUPS[1:]])[group]


def draw_life_states(rng: np.random.Generator, m: int, population: str,
                     params: Params) -> dict[str, np.ndarray]:
    """Draw what a life brings to birth and the ages its states would change at.

    Parameters
    ----------
    rng : numpy.random.Generator
    m : int
        Lives to draw.
    population : {"sud", "comparison"}
    params : Params

    Returns
    -------
    dict of numpy.ndarray
        ``birth`` (date), ``group`` (index into :data:`GROUPS`), ``male``; the latent
        ages ``onset_age``, ``recovery_age``, ``organ_age``, ``hiv_age``,
        ``endocarditis_age``, ``maintenance_start`` and ``maintenance_end`` (inf when
        never), the organ index ``organ_type`` (into :data:`ORGANS`), and the flags
        ``psychiatric``, ``injecting``, ``hcv``. A latent age only happens if the life is
        still going on then.
    """
    birth = _birth_dates(rng, m, params)
    cohort = year_of(birth)
    group = _groups(rng, population, cohort, params)
    male = rng.random(m) < np.array([params.male_share[g] for g in GROUPS])[group]
    sud = group > 0
    gi = np.maximum(group.astype(np.int64), 1)
    shift = _per_group(params.onset_shift, gi)
    shape = _per_group(params.onset_shape, gi)
    scale = _per_group(params.onset_scale, gi)
    onset = np.where(sud, shift + rng.gamma(shape, scale), np.inf)
    rec = onset + rng.exponential(1.0, m) / _per_group(params.recovery_rate, gi)
    organ = onset + rng.exponential(1.0, m) / _per_group(params.organ_rate, gi)
    organ_split = np.array([params.organ_split[o] for o in ORGANS])
    organ_type = categorical(rng, np.tile(organ_split, (m, 1)))
    psy_p = np.array([[np.nan, np.nan]] + [list(params.psychiatric_prob[g])
                                           for g in GROUPS[1:]])[gi, (~male).astype(int)]
    psychiatric = sud & (rng.random(m) < psy_p)
    injecting = (sud & (cohort >= params.injecting_from)
                 & (rng.random(m) < _per_group(params.injecting_prob, gi)))
    hcv = injecting & (rng.random(m) < params.hcv_prob)
    birth_year = birth.astype(np.int64) / 365.2425 + 1970.0
    # HIV diagnosed some years into injecting use, never before HIV testing existed
    hiv = injecting & (rng.random(m) < params.hiv_prob)
    hiv_age = np.maximum(onset + rng.exponential(params.hiv_delay, m),
                         HIV_FROM_YEAR - birth_year)
    endocarditis = injecting & (rng.random(m) < params.endocarditis_prob)
    endo_age = onset + rng.exponential(params.endocarditis_delay, m)
    # opioid maintenance treatment (LAR): one spell, entered from its start year by a
    # share of opioid users not yet recovered; women with the planted odds ratio
    opioid = group == GROUPS.index("opioids")
    lo = np.maximum(onset, params.methadone_start_year - birth_year)
    start = lo + rng.exponential(params.maintenance_entry_delay, m)
    odds = (params.maintenance_prob_male / (1 - params.maintenance_prob_male)
            * np.where(male, 1.0, params.treatment_or_female["methadone"]))
    enters = opioid & (rng.random(m) < odds / (1 + odds)) & (start < rec)
    stop = start + rng.exponential(params.maintenance_duration, m)
    inf = np.inf
    return {"birth": birth, "group": group, "male": male,
            "onset_age": onset, "recovery_age": np.where(sud, rec, inf),
            "organ_age": np.where(sud, organ, inf), "organ_type": organ_type,
            "psychiatric": psychiatric, "injecting": injecting, "hcv": hcv,
            "hiv_age": np.where(hiv, hiv_age, inf),
            "endocarditis_age": np.where(endocarditis, endo_age, inf),
            "maintenance_start": np.where(enters, start, inf),
            "maintenance_end": np.where(enters, stop, inf)}


def _change_points(s: dict[str, np.ndarray], params: Params) -> tuple[np.ndarray, np.ndarray]:
    """Sorted change ages (n x k) and the log-HR added at each.

    Columns where no life has a finite change age are dropped (the comparison
    population has none), so the yearly loop of :func:`simulate_deaths` only carries
    the change points that occur.
    """
    group = s["group"].astype(np.int64)
    n = len(group)
    lhr = params.log_hr
    g_lhr = np.array([0.0] + [lhr[f"group_{g}"] for g in GROUPS[1:]])[group]
    d_onset = g_lhr + lhr["psychiatric"] * s["psychiatric"]
    treat = lhr["maintenance_treatment"]
    ages = np.stack([s["onset_age"], s["recovery_age"], s["organ_age"], s["hiv_age"],
                     s["endocarditis_age"], s["maintenance_start"], s["maintenance_end"]],
                    axis=1)
    deltas = np.stack([d_onset] + [np.full(n, v) for v in (
        lhr["recovered"], lhr["organ_disease"], lhr["hiv"], lhr["endocarditis"],
        treat, -treat)], axis=1)
    order = np.argsort(ages, axis=1, kind="stable")
    ages = np.take_along_axis(ages, order, axis=1)
    deltas = np.take_along_axis(deltas, order, axis=1)
    k = int(np.isfinite(ages).any(axis=0).sum())  # finite ages sort first
    return ages[:, :k], deltas[:, :k]


def simulate_deaths(rng: np.random.Generator, s: dict[str, np.ndarray], params: Params,
                    stop_year: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw the exact age at death of each life under its time-varying hazard.

    Parameters
    ----------
    rng : numpy.random.Generator
    s : dict of numpy.ndarray
        Output of :func:`draw_life_states`.
    params : Params
    stop_year : int, optional
        Stop following a life once its calendar time passes 1 January of this year
        (its age at death is then NaN): a register that ends then never sees it.

    Returns
    -------
    age : numpy.ndarray
        Age at death in years (NaN for lives stopped at ``stop_year``).
    log_hr : numpy.ndarray
        The log hazard ratio in force at death (NaN where stopped).
    """
    rates = population_rates()
    n = len(s["birth"])
    cps, dls = _change_points(s, params)
    k = cps.shape[1]
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(dls, axis=1)], axis=1)
    birth_year = (s["birth"].astype(np.int64) / 365.2425) + 1970.0
    sex = s["male"].astype(np.int64)
    target = rng.standard_exponential(n)
    acc = np.zeros(n)
    age = np.full(n, np.nan)
    lhr = np.full(n, np.nan)
    alive = np.arange(n)
    y0 = RATE_YEARS[0]
    for a in range(END_AGE):
        if len(alive) == 0:
            break
        if stop_year is not None:
            alive = alive[birth_year[alive] + a < stop_year]
            if len(alive) == 0:
                break
        yr = np.clip(np.floor(birth_year[alive] + a + 0.5).astype(np.int64), y0,
                     RATE_YEARS[1])
        mx = rates[sex[alive], yr - y0, min(a, MAX_AGE)]
        edges = np.clip(cps[alive], a, a + 1.0)
        lo = np.concatenate([np.full((len(alive), 1), float(a)), edges], axis=1)
        hi = np.concatenate([edges, np.full((len(alive), 1), a + 1.0)], axis=1)
        rate = mx[:, None] * np.exp(cum[alive])
        seg = rate * (hi - lo)
        seg_cum = np.cumsum(seg, axis=1)
        need = target[alive] - acc[alive]
        dies = seg_cum[:, -1] >= need
        if dies.any():
            d = np.flatnonzero(dies)
            j = (seg_cum[d] < need[d, None]).sum(axis=1)
            j = np.minimum(j, k)
            before = np.where(j > 0, seg_cum[d, np.maximum(j - 1, 0)], 0.0)
            r = rate[d, j]
            t = lo[d, j] + (need[d] - before) / r
            who = alive[d]
            age[who] = np.minimum(t, a + 1.0)
            lhr[who] = cum[who, j]
        acc[alive] += seg_cum[:, -1]
        alive = alive[~dies]
    if len(alive):  # still alive at END_AGE: close the life there
        age[alive] = float(END_AGE)
        lhr[alive] = cum[alive, -1]
    return age, lhr


def death_cause_shares(s: dict[str, np.ndarray], age: np.ndarray | None = None,
                       params: Params | None = None) -> np.ndarray:
    """Cause shares (:func:`cause_shares`) of each life at its death age.

    Parameters
    ----------
    s : dict of numpy.ndarray
        Life arrays (:func:`draw_life_states`, with ``age`` unless given).
    age : numpy.ndarray, optional
        Age at death (default ``s["age"]``).
    params : Params, optional
        The model (default :data:`~harkit.synth.params.DEFAULTS`).

    Returns
    -------
    numpy.ndarray
        Shape ``(n, len(CAUSE_GROUPS))``.
    """
    age = s["age"] if age is None else age
    year = (s["birth"].astype(np.int64) / 365.2425) + 1970.0 + age
    in_treatment = (s["maintenance_start"] <= age) & (age < s["maintenance_end"])
    return cause_shares(
        age, year, s["group"].astype(np.int64), s["onset_age"] <= age,
        s["recovery_age"] <= age, (s["organ_age"] <= age) & (s["group"] > 0),
        s["psychiatric"], s["hcv"], organ_type=s["organ_type"],
        hiv=s["hiv_age"] <= age, endocarditis=s["endocarditis_age"] <= age,
        maintenance=in_treatment, params=params)


def draw_causes(rng: np.random.Generator, s: dict[str, np.ndarray],
                age: np.ndarray, params: Params | None = None) -> np.ndarray:
    """Draw the cause of each death from the cause-specific hazards at the death age."""
    return categorical(rng, death_cause_shares(s, age, params))


def simulate_lives(rng: np.random.Generator, m: int, population: str, params: Params,
                   stop_year: int | None = None) -> dict[str, np.ndarray]:
    """Simulate ``m`` whole lives of one population (states, death, cause).

    Parameters
    ----------
    rng : numpy.random.Generator
    m : int
    population : {"sud", "comparison"}
    params : Params
    stop_year : int, optional
        See :func:`simulate_deaths`.

    Returns
    -------
    dict of numpy.ndarray
        :func:`draw_life_states` plus ``age`` (at death; NaN if stopped), ``death``
        (date; NaT if stopped), ``lp`` (log-HR in force at death), ``cause_group`` (index
        into :data:`CAUSE_GROUPS`, -1 if stopped) and ``has_disorder`` (onset before
        death; always False in the comparison population).
    """
    s = draw_life_states(rng, m, population, params)
    age, lhr = simulate_deaths(rng, s, params, stop_year)
    died = np.isfinite(age)
    cause = np.full(m, -1, dtype=np.int64)
    if died.any():
        sub = {k: v[died] for k, v in s.items()}
        cause[died] = draw_causes(rng, sub, age[died], params)
    s["age"], s["lp"], s["cause_group"] = age, lhr, cause
    death = np.full(m, np.datetime64("NaT"), dtype="datetime64[D]")
    death[died] = add_years(s["birth"][died], age[died])
    s["death"] = death
    s["has_disorder"] = (s["group"] > 0) & (s["onset_age"] < np.where(died, age, np.inf))
    return s
