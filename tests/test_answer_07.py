"""Notebook 07 (how treatment changed over time) recomputed on the bundled fixture and
checked against the generator's treatment eras and probabilities.

The generator (``harkit/synth/treatments.py``) gives each treatment on the episodes of its
setting with a fixed probability from the start of its era: detoxification 0.35 from 1950,
disulfiram 0.25 from ``params.disulfiram_start_year`` (1950), outpatient counselling 0.6 from
1960, coercive admission 0.15 before 1970 and 0.03 after, psychiatric care 0.5, methadone
(``treatment_baseline``/``treatment_odds_ratios``, by sex) from ``methadone_start_year``
(1998), buprenorphine 0.3 from ``buprenorphine_start_year`` (2002) where methadone was not
given, institution stays by sex. Only the eras and the sex effects are in ``truth.params``;
the other probabilities are constants of that module and are repeated here.

Tolerance: per five-year period the treated count is compared with the sum of the planted
probabilities of the period's episodes, z = (n - E) / sqrt(sum p(1-p)); |z| < 4 for every one
of the 100 periods x treatments with a planted probability (family-wise false-alarm rate
under 1 %). Before an era starts the count must be exactly 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import harkit as hk
from harkit.questions import treatment

FIRST_YEAR = {"detoxification": 1950, "outpatient_counselling": 1960}
CONSTANT_P = {"detoxification": 0.35, "disulfiram": 0.25, "outpatient_counselling": 0.6,
              "psychiatric_care": 0.5, "buprenorphine": 0.3}


def _logistic(p_male: float, odds_ratio: float, female: np.ndarray) -> np.ndarray:
    odds = p_male / (1 - p_male) * np.where(female == 1, odds_ratio, 1.0)
    return odds / (1 + odds)


def planted_probability(d: pd.DataFrame, name: str, truth) -> np.ndarray:
    """The generator's probability of ``name`` for each episode of its setting."""
    year = d["admission_year"].to_numpy(float)
    female = d["female"].to_numpy()
    par = truth.params
    start = {"disulfiram": par.disulfiram_start_year, "methadone": par.methadone_start_year,
             "buprenorphine": par.buprenorphine_start_year, **FIRST_YEAR}.get(name, -np.inf)
    if name in truth.treatment_odds_ratios:
        p = _logistic(truth.treatment_baseline[name], truth.treatment_odds_ratios[name],
                      female)
    elif name == "coercive_admission":
        p = np.where(year < 1970, 0.15, 0.03)
    else:
        p = np.full(len(d), CONSTANT_P[name])
    return np.where(year >= start, p, 0.0)


@pytest.fixture(scope="module")
def data():
    ex = hk.datasets.load_fixture()
    return treatment.episode_table(ex), hk.datasets.fixture_truth()


def test_eras_start_in_the_planted_years(data):
    episodes, truth = data
    eras = treatment.treatment_eras(episodes, suppress=False).set_index("treatment")
    par = truth.params
    planted = {"disulfiram": par.disulfiram_start_year, "methadone": par.methadone_start_year,
               "buprenorphine": par.buprenorphine_start_year, **FIRST_YEAR}
    for name, year in planted.items():
        first = eras.loc[name, "first_year"]
        assert first >= year, name                # never recorded before its era
        # in the planted year itself it is seen unless the episodes of that year make a
        # miss likely: P(none treated) = prod(1 - p) over the year's eligible episodes
        d = treatment.eligible(episodes, name, available_from=-10_000)
        in_year = (d["admission_year"] == year).to_numpy()
        p_none = np.prod(1 - planted_probability(d, name, truth)[in_year])
        if p_none < 1e-3:
            assert first == year, name
        else:
            assert first <= year + 3, (name, first, p_none)


def test_shares_within_the_setting_match_the_planted_probabilities(data):
    episodes, truth = data
    res = treatment.treatment_shares(episodes, within="setting", suppress=False)
    checked = 0
    for name in treatment.TREATMENT_SETTINGS:
        d = episodes[treatment.TREATMENT_SETTINGS[name].rule(episodes).to_numpy(bool)]
        d = d.assign(p=planted_probability(d, name, truth),
                     period_start=d["admission_year"].astype(int) // 5 * 5)
        per = d.groupby("period_start").agg(
            n=(f"tx_{name}", "sum"), total=(f"tx_{name}", "size"), e=("p", "sum"),
            v=("p", lambda p: float(np.sum(p * (1 - p)))))
        got = res.table[res.table["treatment"] == name].set_index("period_start")
        # the library's counts are the episodes' counts
        assert (got.loc[per.index, "n"].astype(int) == per["n"]).all()
        assert (got.loc[per.index, "total"].astype(int) == per["total"]).all()
        before = per["e"] == 0
        assert (per.loc[before, "n"] == 0).all(), name
        z = (per.loc[~before, "n"] - per.loc[~before, "e"]) / np.sqrt(per.loc[~before, "v"])
        assert (z.abs() < 4).all(), (name, z.round(1).to_dict())
        checked += int((~before).sum())
    assert checked >= 90  # periods x treatments with a planted probability


def test_crude_shares_fall_with_the_case_mix_not_the_practice(data):
    # institution stays and disulfiram fall as a share of all substance-use episodes (more
    # outpatient care, more drug diagnoses) while the within-setting share stays planted
    episodes, _ = data
    crude = treatment.treatment_shares(episodes, ["institutional_stay", "disulfiram"],
                                       suppress=False).table
    c = crude.pivot(index="period_start", columns="treatment", values="proportion")
    early, late = c.loc[1950:1969].mean(), c.loc[2000:2014].mean()
    assert late["institutional_stay"] < 0.6 * early["institutional_stay"]
    assert late["disulfiram"] < 0.6 * early["disulfiram"]


def test_standardised_disulfiram_share_is_flat(data):
    episodes, truth = data
    sud = episodes[episodes["sud_episode"]]
    pooled = sud["diagnosis_group"].value_counts()
    w = {g: float(pooled[g]) for g in ("alcohol", "drugs")}
    std = treatment.standardised_shares(episodes, "disulfiram", by="diagnosis_group",
                                        standard=w, suppress=False)
    expected = 100 * 0.25 * w["alcohol"] / (w["alcohol"] + w["drugs"])
    s = std[(std["period_start"] >= truth.params.disulfiram_start_year)
            & (std["period_start"] <= 2010) & std["complete"]]
    assert len(s) == 13
    se = (s["upper"] - s["lower"]) / (2 * 1.96)
    assert ((s["standardised"] - expected).abs() < 3 * se).all()
    # while the crude share halves
    assert s["crude"].iloc[-3:].mean() < 0.6 * s["crude"].iloc[:4].mean()


def test_revision_breaks(data):
    episodes, _ = data
    yearly = treatment.treatment_shares(episodes, ["disulfiram", "coercive_admission"],
                                        within="setting", unit="year", suppress=False).table
    dis = yearly[(yearly["treatment"] == "disulfiram")
                 & yearly["period_start"].between(1950, 2014)]
    rb = hk.trends.revision_breaks(dis, time="period_start", count="n", total="total",
                                   family="binomial", setting="hospital").table
    shifts = rb[rb["term"].str.startswith("shift")]
    assert len(shifts) == 3
    assert (shifts["p_value"] > 0.001).all()  # no shift was planted
    co = yearly[(yearly["treatment"] == "coercive_admission")
                & yearly["period_start"].between(1930, 2014)]
    rb = hk.trends.revision_breaks(co, time="period_start", count="n", total="total",
                                   family="binomial", setting="hospital").table
    icd8 = rb[rb["term"] == "shift ICD-7 -> ICD-8"].iloc[0]
    # the planted drop of 1970 (odds ratio 0.175) lands on the ICD-8 changeover of 1969:
    # a level shift at a changeover is confounded with a real change in the same years
    assert icd8["p_value"] < 0.001 and icd8["upper"] < 0.5
