"""Notebook 05 (who became drug-free?) recomputed on a synthetic register and checked
against the generator's truth.

40,000 persons, half with a substance-use disorder (about 20,000 SUD persons, 2,500 truly
recovered): large enough that the planted odds ratio is estimated to about +-6 % on the
log scale. Tolerances are 3 standard errors of the estimate, or margins of many standard
errors where the test is about the direction of a bias.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import harkit as hk
from harkit.questions import recovery

N, SEED = 40_000, 11


@pytest.fixture(scope="module")
def data():
    ex = hk.datasets.load_synthetic(N, seed=SEED, sud_fraction=0.5)
    cohort = hk.cohort.build(ex, sud_entry_age=15, recovery_years=5)
    cohort = cohort[cohort["in_window"].fillna(False).astype(bool)]
    return cohort, ex.truth, recovery.recovery_definitions(cohort)


def test_truth_recovery_follows_the_planted_hazard(data):
    # the generator makes recovery happen at a constant rate per year since onset (by
    # group), before death: the share recovered rises with the years lived since onset
    cohort, truth, _ = data
    p = truth.persons
    p = p[p["population"] == "sud"]
    years = p["age_at_death"] - p["onset_age"]
    assert (p.loc[p["recovered"], "recovery_date"] <= p.loc[p["recovered"], "death_date"]).all()
    share = p["recovered"].groupby(pd.cut(years, [0, 5, 15, 30, 100])).mean()
    assert share.is_monotonic_increasing
    assert share.iloc[-1] > 2 * share.iloc[0]


def test_definitions_against_the_truth(data):
    cohort, truth, defs = data
    t = recovery.definition_table(cohort, defs, truth=truth, suppress=False)
    t = t.set_index("definition")
    truly = recovery.attach_truth(cohort, truth)
    true_share = truly.loc[truly["sud_group"] != "none", "truth_recovered"].mean()
    # every person truly recovered at least 5 years before death (in the records' era) has
    # >= 5 years without SUD contact and a contact after: the sensitivity is at least
    # their share of the truly recovered
    sud = truly[(truly["sud_group"] != "none") & truly["truth_recovered"].astype(bool)]
    tp = truth.persons.set_index("person_id").loc[sud["person_id"]]
    gap = (tp["death_date"] - tp["recovery_date"]).dt.days / 365.25
    long_ago = ((gap >= 5.0 + 1 / 12) & (tp["recovery_date"] >= "1931-01-01")).mean()
    assert long_ago < 1  # recovery can also come shortly before death
    assert t.loc["5 years", "sensitivity"] >= long_ago - 0.01
    # the silence overcounts: gaps in care look like recovery
    assert t.loc["5 years", "percent"] / 100 > true_share
    # a longer silence is more specific, and a sobriety text is almost never wrong
    assert t.loc["3 years", "ppv"] < t.loc["5 years", "ppv"] < t.loc["10 years", "ppv"]
    assert t.loc["5 years and text", "ppv"] > t.loc["5 years", "ppv"]
    assert t.loc["10 years", "sensitivity"] < 0.9


def test_cause_of_death_mor_recovers_the_planted_odds_ratio(data):
    cohort, truth, defs = data
    planted = recovery.planted_substance_death_or(truth)
    assert planted == pytest.approx(0.3)
    ct = recovery.attach_truth(cohort, truth)
    m = recovery.substance_death_mor(ct, {"truth": ct["truth_recovered"]},
                                     cause_col="truth_cause_group",
                                     causes=["alcohol", "overdose"], suppress=False).iloc[0]
    se = (np.log(m["ci_high"]) - np.log(m["ci_low"])) / (2 * 1.959964)
    assert abs(np.log(m["mor"]) - np.log(planted)) < 3 * se
    # the register's definitions are diluted by false positives, more so the shorter the
    # silence, but still show fewer substance deaths among the recovered
    reg = recovery.substance_death_mor(cohort, defs, suppress=False).set_index("definition")
    for name in ("3 years", "5 years", "10 years"):
        assert planted < reg.loc[name, "mor"] and reg.loc[name, "ci_high"] < 1
    assert reg.loc["3 years", "mor"] > reg.loc["10 years", "mor"]


def test_naive_survival_comparison_shows_immortal_time_bias(data):
    cohort, truth, defs = data
    # recovery lowers the hazard from its date on (planted log HR); as a fixed flag it
    # also selects those who lived long enough to recover, so the benefit is overstated
    beta = truth.beta["recovered"]
    ct = recovery.attach_truth(cohort, truth)
    flags = {"5 years": defs["5 years"], "truth": ct["truth_recovered"]}
    hr = recovery.naive_hazard_ratio(cohort, flags).set_index("definition")
    assert hr.loc["5 years", "hr_upper"] < 1
    assert hr.loc["truth", "log_hr"] < beta  # even the true flag, as a fixed covariate


def test_remaining_life_counts_from_the_date_recovery_is_established(data):
    cohort, _, defs = data
    res = recovery.remaining_life_after_recovery(cohort, defs["5 years"], by="sud_group",
                                                 bootstrap=0)
    t = res.table
    np.testing.assert_allclose(t["naive_from_last_contact"] - t["naive_mean"], 5.0, atol=1e-9)
    # right truncation by the window end shortens the naive mean
    assert (t["observed_mean"] >= t["naive_mean"]).all()
    assert (t["years_lost"] > 0).all()
