"""Whole lives, ages at death and the archive window: where truncation comes from.

Lives are simulated in vectorised batches: birth date, sex, substance group, young onset
and comorbidity are drawn first (they may depend on birth cohort and group, never on age at
death); then age at death is drawn exactly from the Gompertz proportional-hazards model

    h(a | x) = b exp(g a) exp(beta' x)

by inverse transform. Only lives whose death falls in the window are kept, so the
decedents-only truncation arises by itself.

SUD lives are conditioned on surviving to :data:`SUD_ENTRY_AGE` (nobody has a substance-use
disorder as a child): their age at death is drawn from the same Gompertz hazard left
truncated at that age, so a window-conditional likelihood must use
``max(window start - birth, entry_age)`` as the lower bound (``entry_age`` is in the truth).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from harkit.synth._util import add_years, day, year_of, year_start
from harkit.synth.params import COVARIATES, DRUG_GROUPS, GROUPS, Params

#: Age from which SUD lives are followed (their age at death is drawn given survival to it).
SUD_ENTRY_AGE = 15.0


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


def draw_covariates(rng: np.random.Generator, m: int, population: str,
                    params: Params) -> dict[str, np.ndarray]:
    """Draw birth dates and covariates for ``m`` lives of one population.

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
        ``birth``, ``group`` (index into :data:`GROUPS`), ``male``, ``young_onset``,
        ``comorbidity`` and the linear predictor ``lp``.
    """
    birth = _birth_dates(rng, m, params)
    cohort = year_of(birth)
    group = _groups(rng, population, cohort, params)
    male_p = np.array([params.male_share[g] for g in GROUPS])[group]
    male = rng.random(m) < male_p
    young_p = np.array([0.0] + [params.young_onset_prob[g] for g in GROUPS[1:]])[group]
    young = rng.random(m) < young_p
    lam = np.array([params.comorbidity_mean[g] for g in GROUPS])[group]
    comorb = np.minimum(rng.poisson(lam), params.comorbidity_max)
    x = {
        "male": male.astype(float),
        **{f"group_{g}": (group == i).astype(float) for i, g in enumerate(GROUPS) if i},
        "young_onset": young.astype(float),
        "comorbidity": comorb.astype(float),
    }
    lp = sum(params.beta[c] * x[c] for c in COVARIATES)
    return {"birth": birth, "group": group, "male": male, "young_onset": young,
            "comorbidity": comorb.astype(np.int64), "lp": np.asarray(lp, dtype=float)}


def gompertz_age(rng: np.random.Generator, lp: np.ndarray, b: float, g: float,
                 entry_age: np.ndarray | float = 0.0) -> np.ndarray:
    """Draw ages at death exactly from a Gompertz PH model by inverse transform.

    With cumulative hazard ``H(a) = (b e^lp / g)(e^{g a} - 1)``, survival to ``a`` given
    survival to ``entry_age`` is ``exp(-(H(a) - H(entry_age)))``; solving for ``a`` with an
    exponential variate ``E`` gives ``a = log(e^{g entry} + g E / (b e^lp)) / g``.

    Parameters
    ----------
    rng : numpy.random.Generator
    lp : numpy.ndarray
        Linear predictor per life.
    b, g : float
        Gompertz baseline parameters.
    entry_age : float or numpy.ndarray
        Age the life is known to have survived to.

    Returns
    -------
    numpy.ndarray
        Age at death in years.
    """
    e = rng.standard_exponential(len(lp))
    return np.log(np.exp(g * np.asarray(entry_age)) + g * e / (b * np.exp(lp))) / g


def simulate_kept(rng: np.random.Generator, n_keep: int, population: str, params: Params,
                  window: tuple[int, int],
                  tick: Callable[[int], None] | None = None,
                  ) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """Simulate lives in batches until exactly ``n_keep`` died inside the window.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_keep : int
        Persons to keep.
    population : {"sud", "comparison"}
    params : Params
    window : tuple of int
        First and last death year kept.
    tick : callable, optional
        Called with the number of lives kept in each batch (progress).

    Returns
    -------
    kept : dict of numpy.ndarray
        Covariates plus ``death``, ``age`` and ``entry_age`` of the kept lives, in the
        order they were simulated.
    lives : pandas.DataFrame
        Per birth decade: ``lives_simulated`` (up to and including the last kept life),
        ``kept`` and ``lives_per_kept``.
    """
    entry = SUD_ENTRY_AGE if population == "sud" else 0.0
    lo, hi = year_start(np.array([window[0]]))[0], year_start(np.array([window[1] + 1]))[0]
    parts: list[dict[str, np.ndarray]] = []
    sim_cohorts: list[np.ndarray] = []
    n_kept, rate = 0, 0.4
    while n_keep > 0 and n_kept < n_keep:
        need = n_keep - n_kept
        m = int(min(max(need / rate * 1.1, 1024), 4_000_000))
        cov = draw_covariates(rng, m, population, params)
        age = gompertz_age(rng, cov["lp"], params.gompertz_b, params.gompertz_g, entry)
        death = add_years(cov["birth"], age)
        keep = (death >= lo) & (death < hi)
        n_new = int(keep.sum())
        rate = max(n_new / m, 1e-3)
        if n_kept + n_new > n_keep:
            # stop at the life that completes the sample; later lives were never needed
            last = np.flatnonzero(keep)[n_keep - n_kept - 1]
            keep[last + 1:] = False
            m_used = last + 1
        else:
            m_used = m
        sim_cohorts.append(year_of(cov["birth"][:m_used]))
        part = {k: v[keep] for k, v in cov.items()}
        part["age"], part["death"] = age[keep], death[keep]
        parts.append(part)
        n_kept += int(keep.sum())
        if tick is not None:
            tick(int(keep.sum()))
    if parts:
        kept = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    else:
        kept = draw_covariates(rng, 0, population, params)
        kept["age"] = np.zeros(0)
        kept["death"] = np.zeros(0, dtype="datetime64[D]")
    kept["entry_age"] = np.full(len(kept["age"]), entry)
    sim = np.concatenate(sim_cohorts) if sim_cohorts else np.zeros(0, dtype=np.int64)
    decade_sim = pd.Series(sim // 10 * 10).value_counts()
    decade_kept = pd.Series(year_of(kept["birth"]) // 10 * 10).value_counts()
    lives = pd.DataFrame({"lives_simulated": decade_sim, "kept": decade_kept}).fillna(0)
    lives = lives.astype("int64").rename_axis("birth_decade").reset_index()
    lives.insert(0, "population", population)
    lives["lives_per_kept"] = lives["lives_simulated"] / lives["kept"].where(lives["kept"] > 0)
    return kept, lives.sort_values("birth_decade").reset_index(drop=True)
