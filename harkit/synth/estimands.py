"""Population estimands of the synthetic register, by simulating the untruncated population.

The register keeps only deaths inside its window; the questions asked of it are about
everyone with the disorder. :func:`population_estimands` simulates whole lives of the same
model (same :class:`~harkit.synth.params.Params`, its own seed) without any window, and
computes from them what an analysis should recover -- so an estimate from the register can
be compared with the population value, and a method's bias measured.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harkit.synth._util import year_of
from harkit.synth.lifecourse import simulate_lives
from harkit.synth.params import CAUSE_GROUPS, COVARIATES, GROUPS, Params

#: Columns of the estimands table.
COLUMNS = ("estimand", "sex", "group", "cause", "value", "n", "how")
_DRUGS = "other_substances"


def _rows_by(frame: pd.DataFrame, value: str, name: str, how: str,
             agg: str = "mean") -> list[dict]:
    rows = []
    for sex in ("all", "female", "male"):
        sub = frame if sex == "all" else frame[frame["sex"] == sex]
        for group, g in (list(sub.groupby("group")) + [(_DRUGS, sub[sub["drug"]]),
                                                        ("all", sub)]):
            if len(g) == 0:
                continue
            rows.append({"estimand": name, "sex": sex, "group": group, "cause": "",
                         "value": float(g[value].agg(agg)), "n": len(g), "how": how})
    return rows


def _person_years(frame: pd.DataFrame) -> pd.DataFrame:
    """Deaths and person-years from onset to death, split by single year of age.

    Returns one row per person-year piece: ``key`` (sex x 5-year age x 5-year period
    stratum), ``drug``, ``py``, ``death`` and ``year`` (calendar year at mid-piece).
    """
    start, end = frame["onset_age"].to_numpy(), frame["age"].to_numpy()
    first = np.floor(start).astype(np.int64)
    k = np.floor(end).astype(np.int64) - first + 1
    idx = np.repeat(np.arange(len(frame)), k)
    a0 = np.repeat(first, k) + (np.arange(len(idx)) - np.repeat(np.cumsum(k) - k, k))
    lo = np.maximum(a0, start[idx])
    hi = np.minimum(a0 + 1.0, end[idx])
    year = frame["birth_year"].to_numpy()[idx] + a0 + 0.5
    male = (frame["sex"].to_numpy() == "male")[idx].astype(np.int64)
    key = (male * 100 + a0 // 5) * 1000 + np.floor(year / 5).astype(np.int64)
    return pd.DataFrame({"key": key, "drug": frame["drug"].to_numpy()[idx],
                         "py": np.maximum(hi - lo, 0.0),
                         "death": (end[idx] < a0 + 1.0).astype(float), "year": year})


def _drug_vs_alcohol_hr(pieces: pd.DataFrame, window: tuple[int, int] | None
                        ) -> tuple[float, int]:
    """Rate ratio other substances vs alcohol from onset, within sex x age x period strata.

    The Mantel-Haenszel rate ratio over strata of sex, 5-year age and 5-year calendar
    period (Rothman, Greenland & Lash, Modern Epidemiology, ch. 15): the stratified
    person-time analogue of a Cox model on the age scale with delayed entry at onset,
    stratified by sex and period.
    """
    if window is not None:
        pieces = pieces[(pieces["year"] >= window[0]) & (pieces["year"] < window[1] + 1)]
    keys, inv = np.unique(pieces["key"].to_numpy(), return_inverse=True)
    drug = pieces["drug"].to_numpy()
    sums = {}
    for name in ("py", "death"):
        v = pieces[name].to_numpy()
        sums[name] = [np.bincount(inv[sel], weights=v[sel], minlength=len(keys))
                      for sel in (drug, ~drug)]
    (t1, t0), (d1, d0) = sums["py"], sums["death"]
    ok = (t1 > 0) & (t0 > 0)
    t = t1 + t0
    num = (d1 * t0 / np.where(ok, t, 1.0))[ok].sum()
    den = (d0 * t1 / np.where(ok, t, 1.0))[ok].sum()
    return float(num / den), int((d1 + d0)[ok].sum())


def _maintenance_rate_ratio(life: dict[str, np.ndarray], params: Params
                            ) -> tuple[float, int]:
    """Death-rate ratio in vs out of opioid maintenance treatment (Mantel-Haenszel).

    Opioid users with the disorder, person-time from the later of onset and the start of
    maintenance treatment (``params.methadone_start_year``) until death or recovery,
    split by single year of age; strata sex x 5-year age. Returns the ratio and the
    deaths behind it.
    """
    sel = (life["group"] == GROUPS.index("opioids")) & life["has_disorder"]
    if not sel.any():
        return float("nan"), 0
    birth = life["birth"][sel].astype(np.int64) / 365.2425 + 1970.0
    start = np.maximum(life["onset_age"][sel], params.methadone_start_year - birth)
    end = np.minimum(life["age"][sel], life["recovery_age"][sel])
    died = life["age"][sel] <= life["recovery_age"][sel]
    t0, t1 = life["maintenance_start"][sel], life["maintenance_end"][sel]
    male = life["male"][sel].astype(np.int64)
    a0 = int(np.floor(np.nanmin(np.where(start < end, start, np.inf), initial=0.0)))
    a1 = int(np.ceil(np.nanmax(np.where(start < end, end, 0.0), initial=0.0)))
    n_strata = 2 * (a1 // 5 + 1)
    sums = np.zeros((4, n_strata))  # py in, py out, deaths in, deaths out
    for a in range(a0, a1 + 1):
        lo, hi = np.maximum(start, a), np.minimum(end, a + 1.0)
        span = np.maximum(hi - lo, 0.0)
        inside = np.maximum(np.minimum(hi, t1) - np.maximum(lo, t0), 0.0)
        dies = died & (end >= a) & (end < a + 1) & (span > 0)
        d_in = dies & (end >= t0) & (end < t1)
        k = male * (n_strata // 2) + a // 5
        for row, w in enumerate((inside, span - inside, d_in, dies & ~d_in)):
            sums[row] += np.bincount(k, weights=w.astype(float), minlength=n_strata)
    py_in, py_out, d_in, d_out = sums
    ok = (py_in > 0) & (py_out > 0)
    t = np.where(ok, py_in + py_out, 1.0)
    den = (d_out * py_in / t)[ok].sum()
    rr = (d_in * py_out / t)[ok].sum() / den if den > 0 else float("nan")
    return float(rr), int((d_in + d_out)[ok].sum())


def _life_years_lost(frame: pd.DataFrame) -> np.ndarray:
    """Remaining period life expectancy at onset (Norwegian tables) minus years lived."""
    from harkit.lifetables import norway_life_table

    year = np.clip(np.floor(frame["birth_year"] + frame["onset_age"]).astype(int),
                   1846, 2023).to_numpy()
    lt = norway_life_table(years=sorted(set(year.tolist())))
    e = lt.remaining(frame["onset_age"].to_numpy(), year=year, sex=frame["sex"].to_numpy())
    return e - (frame["age"] - frame["onset_age"]).to_numpy()


def population_estimands(params: Params, *, seed: int, death_window: tuple[int, int],
                         n_lives: int = 150_000) -> pd.DataFrame:
    """Compute the population estimands of the model by simulating it without a window.

    ``n_lives`` lives of the substance-use population are simulated from birth with
    ``numpy.random.default_rng((seed, 13))`` (the seed of the register, its own stream);
    those whose disorder began before death are the population of persons with the
    disorder, of every simulated birth cohort.

    Parameters
    ----------
    params : Params
        The model of the register.
    seed : int
        The register's seed (``truth.estimand_seed``).
    death_window : tuple of int
        The register's death window (for the window-restricted rows).
    n_lives : int, default 150,000
        Lives simulated (Monte Carlo error of a mean age is about 0.1 years per group).

    Returns
    -------
    pandas.DataFrame
        Columns ``estimand``, ``sex`` (``all``/``female``/``male``), ``group`` (substance
        group, ``other_substances`` for all drug groups, ``all`` for every person with
        the disorder), ``cause``,
        ``value``, ``n`` (persons or deaths behind it) and ``how``. Estimands:

        * ``mean_age_at_death``: mean age at death of all persons with the disorder.
        * ``mean_age_at_death_in_window``: the same among those who died inside the death
          window -- what a plain mean over the register's decedents estimates; its
          difference from ``mean_age_at_death`` is the truncation bias of that mean.
        * ``mean_onset_age``: mean onset age of persons with the disorder.
        * ``cumulative_incidence``: lifetime probability of dying of each cause
          (competing risks) from onset, per group (``sex`` ``all``).
        * ``hazard_ratio_other_vs_alcohol``: Mantel-Haenszel rate ratio of other
          substances vs alcohol with exposure from onset, within sex x 5-year age x
          5-year calendar-period strata, over all person-time (``group`` ``all``) and
          over person-time inside the death window (``group`` ``window``). Not
          conditional on recovery, organ disease or psychiatric comorbidity, so it
          differs from the planted ``exp(beta[group_*])`` ratio.
        * ``rate_ratio_in_maintenance``: Mantel-Haenszel death-rate ratio of opioid users
          in vs out of opioid maintenance treatment (before recovery, from onset and the
          start of maintenance treatment, strata sex x 5-year age); entry depends on
          nothing else that changes the hazard, so it is close to
          ``exp(log_hr["maintenance_treatment"])``.
        * ``log_hazard_ratio``: the planted log hazard ratio of each time-varying state
          (``cause`` holds the covariate; exact by construction).
        * ``life_years_lost``: mean of remaining period life expectancy at onset
          (Norwegian HMD table of the onset year and sex) minus years lived after onset.
    """
    rng = np.random.default_rng((int(seed), 13))
    life = simulate_lives(rng, n_lives, "sud", params)
    has = life["has_disorder"]
    frame = pd.DataFrame({
        "sex": np.where(life["male"][has], "male", "female"),
        "group": np.array(GROUPS, dtype=object)[life["group"][has]],
        "age": life["age"][has], "onset_age": life["onset_age"][has],
        "birth_year": (life["birth"][has].astype(np.int64) / 365.2425) + 1970.0,
        "death_year": year_of(life["death"][has]),
        "cause": np.array(CAUSE_GROUPS, dtype=object)[life["cause_group"][has]],
    })
    frame["drug"] = frame["group"] != "alcohol"
    lo, hi = death_window
    in_window = frame[(frame["death_year"] >= lo) & (frame["death_year"] <= hi)]
    rows = _rows_by(frame, "age", "mean_age_at_death",
                    "mean age at death of all simulated persons with the disorder "
                    "(untruncated population)")
    rows += _rows_by(in_window, "age", "mean_age_at_death_in_window",
                     f"mean age at death of those who died in {lo}-{hi}")
    rows += _rows_by(frame, "onset_age", "mean_onset_age",
                     "mean onset age of all simulated persons with the disorder")
    frame["lyl"] = _life_years_lost(frame)
    rows += _rows_by(frame, "lyl", "life_years_lost",
                     "mean of e(onset age; Norwegian period table of onset year, sex) "
                     "minus years lived after onset")
    for group, g in list(frame.groupby("group")) + [(_DRUGS, frame[frame["drug"]])]:
        share = g["cause"].value_counts(normalize=True)
        for cause in CAUSE_GROUPS:
            rows.append({"estimand": "cumulative_incidence", "sex": "all", "group": group,
                         "cause": cause, "value": float(share.get(cause, 0.0)), "n": len(g),
                         "how": "lifetime share of deaths from the cause (competing risks)"})
    pieces = _person_years(frame)
    for label, win in (("all", None), ("window", death_window)):
        hr, d = _drug_vs_alcohol_hr(pieces, win)
        rows.append({"estimand": "hazard_ratio_other_vs_alcohol", "sex": "all",
                     "group": label, "cause": "", "value": hr, "n": d,
                     "how": "Mantel-Haenszel rate ratio from onset, strata sex x 5-y age"
                            " x 5-y period"
                            + ("" if win is None else f", person-time in {lo}-{hi}")})
    rr, d = _maintenance_rate_ratio(life, params)
    rows.append({"estimand": "rate_ratio_in_maintenance", "sex": "all", "group": "opioids",
                 "cause": "", "value": rr, "n": d,
                 "how": "Mantel-Haenszel death-rate ratio in vs out of opioid maintenance "
                        "treatment, opioid users from onset and "
                        f"{params.methadone_start_year} until death or recovery, strata "
                        "sex x 5-y age"})
    for c in COVARIATES:
        rows.append({"estimand": "log_hazard_ratio", "sex": "all", "group": "all",
                     "cause": c, "value": float(params.log_hr[c]), "n": 0,
                     "how": "planted (multiplies the population hazard while in the state)"})
    return pd.DataFrame(rows, columns=list(COLUMNS))
