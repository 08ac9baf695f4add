"""A register simulated from exactly a Gompertz proportional-hazards model (test helper).

The synthetic register of :mod:`harkit.synth` runs its lives under the Norwegian life
tables, so it is not a Gompertz model. Tests of estimators that assume one (the
window-conditional Gompertz MLE, the truncation-aware NPMLE against a known survival
curve) check them here on data from their own model, with the old generator's parameters.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

#: The planted Gompertz PH model of the estimator's own tests. The synthetic register no
#: longer follows a Gompertz model (its lives run under the Norwegian life tables), so the
#: estimator is checked here on a register simulated from exactly the model it fits.
_B, _G = 2.5e-5, 0.1
_BETA = {"male": 0.35, "group_alcohol": 1.2, "group_opioids": 2.25, "group_cannabis": 1.7,
         "group_sedatives": 1.8, "group_stimulants": 2.1, "group_polydrug": 2.25,
         "young_onset": 0.3, "comorbidity": 0.15}
#: Drug groups among SUD lives: 3 % of cohorts born before 1940, rising linearly to 92 % of
#: cohorts from 1965 (so drug users come from late cohorts, as in the register).
_DRUG_MIX = {"opioids": 0.32, "cannabis": 0.13, "sedatives": 0.13, "stimulants": 0.15,
             "polydrug": 0.27}


def gompertz_register(n, seed, window=(1950, 2015), sud_share=0.5):
    """Persons dying in the window under h(a|x) = b exp(g a) exp(beta'x).

    ``round(n * sud_share)`` persons come from the substance-use population, the rest from
    the comparison population (each kept until it has its count).

    Ages at death are drawn exactly by inverse transform (SUD lives given survival to 15),
    and only deaths inside the window are kept, so the sample is doubly truncated as the
    window-conditional likelihood assumes.
    """
    rng = np.random.default_rng(seed)
    parts, kept = [], {"sud": 0, "comparison": 0}
    n_sud = int(round(n * sud_share))
    need = {"sud": n_sud, "comparison": n - n_sud}
    while any(kept[k] < need[k] for k in kept):
        m = 4 * n
        sud = rng.random(m) < sud_share
        by = 1870 + 126 * (-1 + np.sqrt(1 + 3 * rng.random(m)))  # density rising 1 to 2
        drug_share = np.interp(by, [1940, 1965], [0.03, 0.92])
        drugs = np.array(list(_DRUG_MIX))
        drug = rng.choice(drugs, m, p=list(_DRUG_MIX.values()))
        group = np.where(sud, np.where(rng.random(m) < drug_share, drug, "alcohol"), "none")
        x = {"male": (rng.random(m) < np.where(sud, 0.72, 0.49)).astype(float)}
        for g in ["alcohol", *drugs]:
            x[f"group_{g}"] = (group == g).astype(float)
        x["young_onset"] = (sud & (rng.random(m) < 0.4)).astype(float)
        x["comorbidity"] = np.minimum(rng.poisson(np.where(sud, 1.0, 0.9)), 8).astype(float)
        lp = sum(_BETA[k] * v for k, v in x.items())
        entry = np.where(sud, 15.0, 0.0)
        e = rng.standard_exponential(m)
        age = np.log(np.exp(_G * entry) + _G * e / (_B * np.exp(lp))) / _G
        death = by + age
        keep = (death >= window[0]) & (death < window[1] + 1)
        df = pd.DataFrame({**x, "age_at_death": age, "entry_age": entry,
                           "birth_year": by, "group": group,
                           "population": np.where(sud, "sud", "comparison")})[keep]
        parts.append(df)
        for pop in kept:
            kept[pop] += int((df["population"] == pop).sum())
    tp = pd.concat(parts, ignore_index=True)
    tp = pd.concat([tp[tp["population"] == k].iloc[:need[k]] for k in need]).sort_index()
    tp = tp.reset_index(drop=True)
    tp["sex"] = np.where(tp["male"] == 1, "male", "female")
    tp["birth_date"] = pd.to_datetime("1870-01-01") + pd.to_timedelta(
        (tp["birth_year"] - 1870) * 365.25, unit="D")
    tp["entry"] = np.maximum(tp["entry_age"], (window[0] - tp["birth_year"]).clip(lower=0))
    tp["exit"] = window[1] + 1 - tp["birth_year"]
    truth = SimpleNamespace(beta=dict(_BETA), gompertz_b=_B, gompertz_g=_G,
                            death_window=window, persons=tp)
    return tp, truth


