"""Notebook 02 (women and men with SUD: age at death and causes): the answer vs the truth.

The notebook's key calls (main substance from the main diagnoses, see
:func:`sd.sud_cohort`) are repeated on the bundled fixture (as shown in the notebook)
and, for sharper checks, on a larger synthetic register of 30,000 persons with a
substance-use disorder, and compared with what the generator planted:

* the mean age at death by sex: the register's plain mean estimates the mean among those
  who died in the window, not among all persons with the disorder (``truth.estimands``);
  the generator plants no sex hazard ratio (women and men live under the Norwegian life
  tables of their own sex);
* proportional mortality of women against men: the generator draws causes of death
  without any sex term, and :func:`sd.planted_cause_pmr` gives the PMR its cause model
  implies for these persons (``truth.persons.cause_group`` are the realised causes).

Tolerances are in standard errors. For a PMR, the exact Poisson CI counts only the
women's deaths; the men's cause mix is estimated too, so the standard error of
log(PMR) is taken as sqrt(1/O_women + 1/O_men) for the cause (the delta-method variance
of a ratio of two independent proportions, ignoring the small negative covariance
terms). With ten causes, max |z| < 3.3 has a false-alarm probability of about 1 % under
the planted model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import harkit as hk
from harkit.questions import sex_and_death as sd

Z = 3.3
# the causes whose code-list group is the generator's group without re-labelling (see
# docs/synthetic-register.md "Per-cause truth"): alcoholic cirrhosis moves liver deaths to
# alcohol_induced, X62 suicides and F13.0 overdoses change group, the others do not
CLEAN_CAUSES = ["accident", "violence", "cancer", "cardiovascular", "respiratory"]


@pytest.fixture(scope="module")
def fixture_answer():
    sud = sd.sud_cohort(hk.datasets.load_fixture())
    return sud, sd.sex_gompertz(sud, at_age=50), hk.datasets.fixture_truth()


@pytest.fixture(scope="module")
def big():
    ex = hk.datasets.load_synthetic(30_000, seed=2, sud_fraction=1.0)
    return ex.truth, sd.sud_cohort(ex)


def _male(res) -> pd.Series:
    return res.table.set_index("term").loc[sd.SEX_TERM]


def test_fixture_naive_mean_is_the_window_estimand_not_the_population_one(fixture_answer):
    # the register's mean age at death of women and men with the disorder estimates the
    # mean among those who died in the window (truth.estimands, simulated without
    # truncation), not the mean among all persons with the disorder
    sud, _, truth = fixture_answer
    for sex in ("female", "male"):
        a = sud.loc[sud["sex"] == sex, "age_at_death"]
        se = a.std(ddof=1) / np.sqrt(len(a))
        window = truth.estimand("mean_age_at_death_in_window", sex=sex, group="all")
        population = truth.estimand("mean_age_at_death", sex=sex, group="all")
        assert abs(a.mean() - window) < Z * se + 0.5, sex  # + Monte Carlo of the truth
        assert abs(a.mean() - population) > Z * se, sex
    # women die older than men in the population truth too
    assert truth.estimand("mean_age_at_death", sex="female", group="all") > \
        truth.estimand("mean_age_at_death", sex="male", group="all")


def test_fixture_hierarchy_main_substance_moves_co_users(fixture_answer):
    sud, _, _ = fixture_answer
    hier = sd.sud_cohort(hk.datasets.load_fixture(), main_substance="hierarchy")
    assert (hier["substance"].to_numpy() != sud["substance"].to_numpy()).mean() > 0.05


def test_fixture_naive_vs_aware(fixture_answer):
    sud, _, _ = fixture_answer
    aad = hk.survival.age_at_death(sud, by="sex", bootstrap=0, progress=False)
    t = aad.table.set_index("sex")
    # women die older than men, naively and corrected; the window pulls both naive means
    # down (late cohorts are seen only when they die young)
    assert (t.loc["female", ["naive_mean", "aware_mean"]].to_numpy()
            > t.loc["male", ["naive_mean", "aware_mean"]].to_numpy()).all()
    assert (t["naive_minus_aware_mean"] < 0).all()


def _z(est: pd.DataFrame, planted: pd.Series, sud: pd.DataFrame, cause_col: str
       ) -> pd.Series:
    men = sud.loc[sud["sex"] == "male", cause_col].value_counts()
    t = est.set_index("cause")
    se = np.sqrt(1 / t["observed"] + 1 / men.reindex(t.index))
    return (np.log(t["pmr"]) - np.log(planted.reindex(t.index))) / se


def test_planted_cause_mix_has_no_sex_effect(big):
    truth, _ = big
    pl = sd.planted_cause_pmr(truth)
    # the cause model has no sex term: only the sexes' different ages, drug mix and
    # conditions inside the strata move the planted PMR away from 1
    assert pl["planted_pmr"].between(0.85, 1.15).all()


def test_pmr_of_generator_causes_matches_planted(big):
    truth, sud = big
    cg = truth.persons.set_index("person_id")["cause_group"]
    c = sud.assign(generator_cause=sud["person_id"].astype(str).map(cg).to_numpy())
    assert c["generator_cause"].notna().all()
    est = sd.pmr_by_sex(c, cause="generator_cause", suppress=False).table
    planted = sd.planted_cause_pmr(truth).set_index("cause")["planted_pmr"]
    z = _z(est, planted, c, "generator_cause")
    assert len(z) == 10 and z.abs().max() < Z, z.round(2).to_dict()


def test_pmr_of_harmonised_causes_matches_planted(big):
    truth, sud = big
    est = sd.pmr_by_sex(sud, suppress=False).table
    planted = sd.planted_cause_pmr(truth).set_index("cause")["planted_pmr"]
    z = _z(est[est["cause"].isin(CLEAN_CAUSES)], planted, sud, "underlying_cause_group")
    assert len(z) == len(CLEAN_CAUSES) and z.abs().max() < Z, z.round(2).to_dict()
    # the Mantel-Haenszel MOR (whose CI counts both sexes' sampling error) agrees too;
    # with planted PMRs within 0.9-1.1 and shares below 25 %, odds ratio and ratio of
    # proportions differ by under 1 %
    mor = sd.mor_by_sex(sud, CLEAN_CAUSES).table
    mh = mor[mor["method"] == "mantel-haenszel"]
    se = (np.log(mh["ci_high"]) - np.log(mh["ci_low"])) / (2 * 1.96)
    assert (np.abs(np.log(mh["mor"]) - np.log(planted.reindex(mh["cause"]).to_numpy()))
            < Z * se).all()
