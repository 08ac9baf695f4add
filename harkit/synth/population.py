"""Whole lives and the archive window: where truncation comes from.

Lives are simulated in vectorised batches by :mod:`.lifecourse` (population hazard of the
Norwegian tables by sex, calendar year and age; onset of the disorder, recovery and organ
disease as time-varying changes of the hazard; causes as competing risks). Only lives
whose death falls in the window are kept -- and, in the substance-use population, only
lives whose disorder began before death -- so the decedents-only truncation arises by
itself.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from harkit.synth._util import year_of, year_start
from harkit.synth.lifecourse import simulate_lives
from harkit.synth.params import Params


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
        The life arrays of :func:`harkit.synth.lifecourse.simulate_lives` for the kept
        lives, in the order they were simulated, plus ``entry_age`` (the onset age of a
        person with the disorder: from then on the person belongs to the population;
        0 for comparison persons).
    lives : pandas.DataFrame
        Per birth decade: ``lives_simulated`` (lives of the population up to and including
        the last kept life: in the substance-use population only lives whose disorder
        began, before death or before the end of the window), ``kept`` and
        ``lives_per_kept``.
    """
    lo, hi = year_start(np.array([window[0]]))[0], year_start(np.array([window[1] + 1]))[0]
    parts: list[dict[str, np.ndarray]] = []
    sim_cohorts: list[np.ndarray] = []
    n_kept, rate = 0, 0.3
    while n_keep > 0 and n_kept < n_keep:
        need = n_keep - n_kept
        m = int(min(max(need / rate * 1.1, 1024), 2_000_000))
        life = simulate_lives(rng, m, population, params, stop_year=window[1] + 1)
        died = ~np.isnat(life["death"])
        keep = died & (life["death"] >= lo) & (life["death"] < hi)
        counted = np.ones(m, bool)
        if population == "sud":
            # a life that died (or left the window) before its onset never had the disorder
            counted = np.where(died, life["has_disorder"],
                               life["onset_age"] < window[1] + 1 - year_of(life["birth"]))
            keep &= life["has_disorder"]
        n_new = int(keep.sum())
        rate = max(n_new / m, 1e-3)
        if n_kept + n_new > n_keep:
            # stop at the life that completes the sample; later lives were never needed
            last = np.flatnonzero(keep)[n_keep - n_kept - 1]
            keep[last + 1:] = False
            m_used = last + 1
        else:
            m_used = m
        sim_cohorts.append(year_of(life["birth"][:m_used][counted[:m_used]]))
        parts.append({k: v[keep] for k, v in life.items()})
        n_kept += int(keep.sum())
        if tick is not None:
            tick(int(keep.sum()))
    if parts:
        kept = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    else:
        empty = simulate_lives(rng, 0, population, params)
        kept = {k: v[:0] for k, v in empty.items()}
    kept["entry_age"] = np.where(kept["group"] > 0, kept["onset_age"], 0.0)
    sim = np.concatenate(sim_cohorts) if sim_cohorts else np.zeros(0, dtype=np.int64)
    decade_sim = pd.Series(sim // 10 * 10).value_counts()
    decade_kept = pd.Series(year_of(kept["birth"]) // 10 * 10).value_counts()
    lives = pd.DataFrame({"lives_simulated": decade_sim, "kept": decade_kept}).fillna(0)
    lives = lives.astype("int64").rename_axis("birth_decade").reset_index()
    lives.insert(0, "population", population)
    lives["lives_per_kept"] = lives["lives_simulated"] / lives["kept"].where(lives["kept"] > 0)
    return kept, lives.sort_values("birth_decade").reset_index(drop=True)
