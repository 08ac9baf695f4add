"""Notebook 01 (alcohol vs other substance-use disorders): the answer recomputed on the
bundled fixture with the notebook's calls and compared with the generator's truth.

The register and the truth describe the same 8,000 persons, so most differences are not
sampling error but measurement: a person whose only substance-use record is an unmapped
text is in the wrong group (23 of the 4,000 true SUD persons here, under 1 %), ages
differ by at most a day, and conditions written only as text are missing from the
Charlson score. The tolerances below follow from that; where a planted parameter is the
comparison, the tolerance is in standard errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import harkit as hk
from harkit.questions import substance_groups as sg

# share of misclassified persons allowed (measured: 23 of 4,000 SUD persons, 0.6 %)
MISCLASSIFIED = 0.01
#: the notebook's grouping rule: the substance of most main diagnoses (see
#: test_hierarchy_rule_moves_alcohol_patients_with_drug_co_use for why not the hierarchy)
MAIN_SUBSTANCE = "main_diagnosis"


@pytest.fixture(scope="module")
def data():
    ex = hk.datasets.load_fixture()
    cohort = hk.cohort.build(ex, sud_entry_age=15, main_substance=MAIN_SUBSTANCE)
    truth = hk.datasets.fixture_truth()
    return cohort, sg.planted_cohort(truth), truth


def _numbers(res):
    n = res.extra["numbers"]
    return n.set_index(["variable", "level", "column"])


def test_groups_match_the_true_groups(data):
    cohort, planted, _ = data
    reg = cohort.set_index("person_id")["sud_group"].astype(str)
    true = planted.set_index("person_id")["sud_group"].astype(str)
    for g in ("alcohol", "other_sud"):
        flagged = reg[reg == g].index
        # precision: persons put in the group really belong to it
        assert (true[flagged] == g).mean() >= 1 - MISCLASSIFIED
        # sensitivity: the true group is found
        assert (reg[true[true == g].index] == g).mean() >= 1 - MISCLASSIFIED


def test_hierarchy_rule_moves_alcohol_patients_with_drug_co_use(data):
    # the default rule of hk.cohort.build is not the notebook's: with the main-diagnosis
    # rule these persons stay with alcohol (test_groups_match_the_true_groups)
    _, _, truth = data
    ex = hk.datasets.load_fixture()
    hier = hk.cohort.build(ex, sud_entry_age=15, main_substance="hierarchy").set_index(
        "person_id")["sud_group"]
    p = truth.persons.set_index("person_id")
    alc = p[p["group"] == "alcohol"]
    drugs = [f"uses_{s}" for s in ("opioids", "cannabis", "sedatives", "stimulants",
                                   "solvents", "polydrug")]
    co_use = alc[drugs].any(axis=1)
    # planted co-use of alcohol patients (CO_USE): sedatives 0.15, cannabis 0.05 (born
    # 1935 or later): the share of alcohol patients with a drug flag within 3 SE
    born = pd.to_datetime(alc["birth_date"]).dt.year.to_numpy()
    expected = 1 - 0.85 * (1 - 0.05 * (born >= 1935))
    assert abs(co_use.sum() - expected.sum()) <= 3 * np.sqrt(
        (expected * (1 - expected)).sum())
    # "any drug outranks alcohol": the hierarchy puts alcohol patients with a recorded
    # co-use code in other SUD (445 of 3,123 here, 14 %), and only those
    moved = hier[alc.index] == "other_sud"
    assert moved.mean() > 0.10
    assert co_use[moved].all()
    # it finds most co-users (a co-use code is written on 40 % of secondary diagnoses of
    # substance-use contacts, so some co-users never get one): 445 of 516 here
    assert moved[co_use].mean() > 0.75


def test_table_one_agrees_with_the_truth(data):
    cohort, planted, _ = data
    reg, tru = sg.table_one(cohort, suppress=False), sg.table_one(planted, suppress=False)
    a, b = _numbers(reg), _numbers(tru)
    for col in ("Alcohol", "Other SUD"):
        # % men: at most 1 % of persons moved between groups -> at most 1 percentage point
        key = ("Sex", "male", col)
        assert abs(a.loc[key, "percent"] - b.loc[key, "percent"]) <= 100 * MISCLASSIFIED
        # mean age at death: 1 % misclassified persons shift a mean by < 1 % of the range
        key = ("Age at death, years", "", col)
        assert abs(a.loc[key, "mean"] - b.loc[key, "mean"]) <= 0.5
        # drug- and alcohol-induced deaths: the same cause codes, the same persons
        for cause in ("drug_induced", "alcohol_induced"):
            key = ("Underlying cause of death", cause, col)
            assert abs(a.loc[key, "percent"] - b.loc[key, "percent"]) <= 100 * MISCLASSIFIED
    smd_a = reg.extra["smd"].set_index("variable")["smd"]
    smd_b = tru.extra["smd"].set_index("variable")["smd"]
    for var in ("Sex", "Age at death, years", "Birth cohort", "Underlying cause of death"):
        assert abs(smd_a[var] - smd_b[var]) <= 0.05
    # the headline: other-SUD patients die far younger (SMD > 1) and are not more often men
    assert smd_a["Age at death, years"] > 1 and smd_a["Sex"] < 0.1


def test_comorbidity_is_understated_never_invented(data):
    cohort, planted, truth = data
    reg = sg.profile(cohort, suppress=False)
    tru = sg.profile(planted, suppress=False)
    # codes never add a condition: the recorded score is at most the planted one
    assert (reg.loc[["alcohol", "other_sud"], "mean_charlson"]
            <= tru.loc[["alcohol", "other_sud"], "mean_charlson"] + 1e-9).all()
    # and the ordering of the true means (alcohol users die older, with organ disease and
    # more conditions of age) is kept
    assert tru.loc["alcohol", "mean_charlson"] > tru.loc["other_sud", "mean_charlson"]
    assert reg.loc["alcohol", "mean_charlson"] > reg.loc["other_sud", "mean_charlson"]


def test_first_diagnosis_comes_after_onset(data):
    cohort, planted, _ = data
    reg = sg.profile(cohort, suppress=False)
    tru = sg.profile(planted, suppress=False)
    # the first recorded diagnosis is an upper bound on the true onset
    for g in ("alcohol", "other_sud"):
        assert reg.loc[g, "mean_age_first_sud"] > tru.loc[g, "mean_age_first_sud"]
    assert reg.loc["alcohol", "mean_age_first_sud"] > reg.loc["other_sud", "mean_age_first_sud"]


def test_hazard_ratio_against_true_data_and_planted_effects(data):
    cohort, planted, truth = data
    reg = sg.mortality_contrast(cohort).table.set_index("term")
    tru = sg.mortality_contrast(planted).table.set_index("term")
    se = reg.loc["other_sud", "se"]
    # same persons, same model, but the true data follow each person from onset
    # (truth entry_age) while the register's cohort follows everyone from 15 with the group
    # from later diagnoses: immortal time inflates the register's contrast
    assert reg.loc["other_sud", "coef"] > tru.loc["other_sud", "coef"] + se
    # the Gompertz window model with entry at 15 and the group from later diagnoses is
    # not the true model: it overstates the population rate ratio from onset
    # (truth.estimands). On one register the excess is about one standard error; its size
    # over 100 registers is in the coverage study (docs/synthetic-register.md)
    true_hr = truth.estimand("hazard_ratio_other_vs_alcohol", group="window")
    assert reg.loc["other_sud", "coef"] > np.log(true_hr)


def test_causes_and_treatments_follow_the_planted_rules(data):
    cohort, _, _ = data
    pmr = sg.causes_of_death(cohort).table.set_index("cause")
    # drug-induced deaths dominate the other-SUD cause mix at the same age, sex, decade
    assert pmr.loc["drug_induced", "ci_low"] > 5
    assert pmr.loc["alcohol_induced", "ci_high"] < 0.5
    res = _numbers(sg.table_one(cohort, suppress=False))
    # disulfiram is planted for alcohol-group contacts only, methadone and buprenorphine
    # for opioid-group contacts only: up to the misclassified 1 %, never the other group
    assert res.loc[("Treatment: disulfiram", "yes", "Other SUD"), "percent"] <= 100 * MISCLASSIFIED
    for tx in ("methadone", "buprenorphine"):
        assert res.loc[(f"Treatment: {tx}", "yes", "Alcohol"), "percent"] <= 100 * MISCLASSIFIED
