"""Unit tests of harkit.questions.sex_and_death (the recipes of notebook 02)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import harkit as hk
from harkit.questions import sex_and_death as sd
from harkit.results import Result
from harkit.survival import AgeAtDeathResult, MORResult, PMRResult, YLLResult


@pytest.fixture(scope="module")
def register():
    ex = hk.datasets.load_synthetic(3000, seed=5, sud_fraction=0.5)
    return ex, sd.sud_cohort(ex)


# ----------------------------------------------------------------------------- cohort


def test_sud_cohort_keeps_sud_deaths_in_window(register):
    ex, sud = register
    assert len(sud) > 1000
    assert (sud["sud_group"] != "none").all()
    assert sud["in_window"].astype(bool).all()
    # entry = max(age at window start, 15): nobody enters before 15, and every death is
    # inside its own window
    assert (sud["entry_age"] >= 15).all()
    assert ((sud["age_at_death"] >= sud["entry_age"])
            & (sud["age_at_death"] <= sud["exit_age"])).all()
    assert list(sud["sex"].cat.categories) == ["female", "male"]
    assert set(sud["substance"]) <= {"alcohol", "opioids", "stimulants", "sedatives",
                                     "cannabis", "polydrug", "other_drugs"}
    cocaine = sud["main_substance"].astype(object) == "cocaine"
    assert (sud.loc[cocaine, "substance"] == "stimulants").all()
    assert list(sud["birth_cohort_wide"].cat.categories) == [
        "before 1900", "1900-1919", "1920-1939", "1940-1959", "1960 or later"]
    born = sud["birth_year"]
    assert (sud.loc[born < 1900, "birth_cohort_wide"] == "before 1900").all()
    assert (sud.loc[born >= 1960, "birth_cohort_wide"] == "1960 or later").all()
    full = sd.sud_cohort(ex, include_comparison=True)
    assert len(full) == len(ex.persons)
    assert (full.loc[full["sud_group"] == "none", "substance"] == "none").all()


def test_sud_cohort_keeps_early_deaths_inside_their_window():
    # a person with a substance-use diagnosis recorded as dying just before 15 (a partial
    # birth date, day rounding, a child sniffing solvents): their entry must not pass
    # their death, in cohort.build itself and in sud_cohort. Made here by moving the
    # recorded birth of some diagnosed persons to 14.5 years before their death.
    ex = hk.datasets.load_synthetic(3000, seed=2, sud_fraction=1.0, documents=False)
    first = hk.cohort.build(ex)
    ids = first.loc[first["sud_group"] != "none", "person_id"].head(5)
    persons = ex.persons.copy()
    sel = persons["person_id"].isin(ids)
    persons.loc[sel, "birth_date"] = persons.loc[sel, "death_date"] - pd.Timedelta(
        days=int(14.5 * 365.25))
    ex = hk.Extract(tables={**ex.tables, "persons": persons}, source="test")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # diagnoses before birth are not the point here
        raw = hk.cohort.build(ex, sud_entry_age=15)
    capped = (raw["age_at_death"] < 15) & (raw["sud_group"] != "none")
    assert capped.any() and (raw["age_at_death"] >= raw["entry_age"]).all()
    assert (raw.loc[capped, "entry_age"] == raw.loc[capped, "age_at_death"]).all()
    sud = sd.sud_cohort(ex)
    assert (sud["age_at_death"] >= sud["entry_age"]).all()
    early = sud["age_at_death"] < 15
    assert early.any() and (sud.loc[early, "entry_age"] == sud.loc[early, "age_at_death"]).all()


def test_sud_cohort_main_substance_is_the_persons_own_disorder(register):
    # the generator records a person's own substance as the main diagnosis of every
    # substance-use contact and co-used substances as secondary diagnoses; the
    # hierarchy (any drug outranks alcohol) moved about 15 % of persons, e.g. alcohol
    # use disorder with sedative co-use, into another group
    ex, sud = register
    own = ex.truth.persons.set_index("person_id")["group"].map(
        lambda s: sd.SUBSTANCE_MAP.get(s, s))
    own = sud["person_id"].astype(str).map(own).to_numpy()
    assert (sud["substance"].to_numpy() == own).mean() > 0.97          # 0.99
    assert ((sud["sud_group"] == "alcohol").to_numpy() == (own == "alcohol")).mean() > 0.99
    hier = sd.sud_cohort(ex, main_substance="hierarchy")
    assert len(hier) == len(sud)
    assert (hier["substance"].to_numpy() == own).mean() < 0.9           # 0.85
    with pytest.raises(ValueError, match="main_substance"):
        sd.sud_cohort(ex, main_substance="most_severe")


def test_sud_cohort_merges_rare_substances(register):
    ex, _ = register
    merged = sd.sud_cohort(ex, min_substance_n=10**6)
    assert set(merged["substance"]) == {"alcohol", "other_drugs"}


def test_sud_cohort_without_sud_persons_raises():
    ex = hk.datasets.load_synthetic(300, seed=2, sud_fraction=0.0)
    with pytest.raises(ValueError, match="no person with a substance-use diagnosis"):
        sd.sud_cohort(ex)


# ----------------------------------------------------------------------------- display


def test_age_at_death_table_hides_small_groups_and_extremes():
    table = pd.DataFrame({
        "sex": ["female", "male"], "n": [3, 40],
        "naive_mean": [50.0, 60.0], "naive_mean_lower": [40.0, 58.0],
        "naive_mean_upper": [60.0, 62.0], "aware_mean": [51.0, 61.0],
        "naive_median": [50.0, 60.0], "naive_median_lower": [np.nan, 58.0],
        "naive_median_upper": [np.nan, 62.0], "aware_median": [51.0, 61.0],
        "naive_minus_aware_mean": [-1.0, -1.0], "support_min": [20.123, 18.5],
        "support_max": [80.456, 90.0], "connected": [True, True]})
    res = AgeAtDeathResult(table=table, by=["sex"])
    out = sd.age_at_death_table(res)
    assert out.loc[0, "persons"] == "<5"
    assert (out.loc[0, ["naive mean", "aware mean", "naive median"]] == "").all()
    assert out.loc[1, "naive mean"] == "60.0 (58.0 to 62.0)"
    assert out.loc[1, "aware mean"] == "61.0"          # no bootstrap: no CI
    text = out.to_string()
    assert "20.1" not in text and "80.5" not in text   # single persons' ages left out


def test_hazard_table_labels_and_sex_effect(register):
    _, sud = register
    res = sd.sex_gompertz(sud, at_age=50)
    assert res.extra["formula"].startswith("C(sex, Treatment('female'))")
    shown = sd.hazard_table(res)
    assert shown.loc[0, "term"] == "male (vs female)"
    # the outcome-derived Charlson score is not adjusted for unless asked
    assert "Charlson score (per point)" not in set(shown["term"])
    asked = sd.hazard_table(sd.sex_gompertz(sud, adjust=("substance", "charlson_score")))
    assert "Charlson score (per point)" in set(asked["term"])
    assert any(t.startswith("substance: ") and t.endswith("(vs alcohol)")
               for t in shown["term"])
    # the men's profile difference is the sex row's e_diff (reference profile = women)
    le = res.extra["life_expectancy"].set_index("profile")
    male = res.table.set_index("term").loc[sd.SEX_TERM]
    assert le.loc["men", "diff_vs_first"] == pytest.approx(male["e_diff"], rel=1e-6)
    assert le.loc["women", "diff_vs_first"] == pytest.approx(0.0, abs=1e-9)


def test_sex_gompertz_drops_constant_covariates(register):
    _, sud = register
    alcohol = sud[sud["substance"] == "alcohol"]
    res = sd.sex_gompertz(alcohol, adjust=("substance", "charlson_score"))
    assert "substance" not in res.extra["formula"]
    with pytest.raises(KeyError):
        sd.sex_gompertz(sud, adjust=("no_such_column",))
    by = sd.sex_gompertz_by(sud, by="sud_group")
    assert by["group"].tolist()[0] == "all"
    assert by["persons"].iloc[1:].sum() == by["persons"].iloc[0] == len(sud)
    assert (by["hr_lower"] < by["hazard_ratio"]).all()


def test_causes_by_sex_suppresses_and_hides_shares():
    df = pd.DataFrame({
        "sex": ["female"] * 22 + ["male"] * 40,
        "cause": ["a"] * 2 + ["b"] * 10 + ["c"] * 10 + ["a"] * 10 + ["b"] * 15 + ["c"] * 15})
    out = sd.causes_by_sex(df, cause="cause")
    assert out.loc["a", ("female", "deaths")] == "*"
    assert out.loc["a", ("female", "%")] == "*"
    # secondary suppression: the female column total is public, so a second cell hides
    assert (out[("female", "deaths")] == "*").sum() >= 2
    assert out.loc["b", ("male", "deaths")] != "*" or out.loc["c", ("male", "deaths")] != "*"
    assert "2" not in out[("female", "deaths")].tolist()


def test_pmr_table_hides_pmr_with_its_count():
    t = pd.DataFrame({"group": ["female", "female"], "cause": ["x", "y"],
                      "observed": [3, 40], "expected": [2.0, 41.0],
                      "pmr": [1.5, 40 / 41], "ci_low": [0.3, 0.7], "ci_high": [4.4, 1.3],
                      "p_value": [0.6, 0.9], "deaths": [43, 43]})
    out = sd.pmr_table(PMRResult(table=t))
    assert out.loc[0, "observed"] == "<5"
    assert (out.loc[0, ["expected", "PMR (95% CI)", "p"]] == "").all()
    assert out.loc[1, "PMR (95% CI)"] == "0.98 (0.70 to 1.30)"


def test_mor_table_keeps_mantel_haenszel_rows_only():
    t = pd.DataFrame({"group": ["female"] * 2, "cause": ["x"] * 2,
                      "method": ["crude", "mantel-haenszel"], "mor": [2.0, 1.5],
                      "ci_low": [1.0, 0.8], "ci_high": [4.0, 2.8], "p_value": [0.04, 0.2],
                      "a": [3, 3], "b": [10, 10], "c": [5, 5], "d": [20, 20],
                      "strata": [1, 7]})
    out = sd.mor_table(MORResult(table=t))
    assert len(out) == 1 and out.loc[0, "MOR (95% CI)"] == "1.50 (0.80 to 2.80)"
    assert "a" not in out.columns


def test_yll_table_hides_figures_of_small_groups():
    t = pd.DataFrame({"sex": ["female", "male"], "n": [2, 50],
                      "total_yll": [60.0, 1000.0], "total_ci_low": [0.0, 900.0],
                      "total_ci_high": [120.0, 1100.0], "mean_yll": [30.0, 20.0],
                      "mean_ci_low": [10.0, 18.0], "mean_ci_high": [50.0, 22.0],
                      "mean_age_at_death": [45.0, 55.0]})
    out = sd.yll_table(YLLResult(table=t))
    assert out.loc[0, "deaths"] == "<5"
    assert (out.loc[0, ["mean YLL (95% CI)", "total YLL", "mean age at death"]] == "").all()
    assert out.loc[1, "mean YLL (95% CI)"] == "20.0 (18.0 to 22.0)"


# ----------------------------------------------------------------------------- wrappers


def test_life_years_lost_groups_by_sex_itself(register):
    # regression: by="sex" selected the sex column twice and failed
    _, sud = register
    res = hk.survival.life_years_lost(sud, by="sex", progress=False, suppress=False)
    assert set(res.table["sex"]) == {"female", "male"}
    assert res.table["n"].sum() == len(sud)
    by_year = hk.survival.life_years_lost(sud, by="death_year", progress=False,
                                          suppress=False)
    assert by_year.table["n"].sum() == len(sud)


def test_wrappers_keep_warnings_in_notes(register):
    _, sud = register
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pmr = sd.pmr_by_sex(sud)
        mor = sd.mor_by_sex(sud, causes=["alcohol_induced", "drug_induced"])
        yll = sd.yll_by_sex(sud, cause="underlying_cause_group")
    assert set(pmr.table["group"]) == {"female"}
    assert set(mor.table["method"]) == {"crude", "mantel-haenszel"}
    assert isinstance(yll, Result) and "share_of_group_yll" in yll.table
    assert all(isinstance(n, str) for n in pmr.notes)


# ----------------------------------------------------------------------------- truth


def test_planted_cause_pmr_is_one_against_itself(register):
    ex, _ = register
    same = sd.planted_cause_pmr(ex.truth, exposed="female", reference="female")
    np.testing.assert_allclose(same["planted_pmr"], 1.0, rtol=1e-12)
    pl = sd.planted_cause_pmr(ex.truth)
    assert len(pl) == 10 and np.isfinite(pl["planted_pmr"]).all()
    assert pl["expected_observed"].sum() == pytest.approx(pl["expected"].sum(), rel=1e-9)
    with pytest.raises(ValueError, match="unknown stratum"):
        sd.planted_cause_pmr(ex.truth, strata=("municipality",))


def test_truth_comparisons_have_the_planted_values(register):
    ex, sud = register
    tc = sd.truth_cause_pmr(sud, ex.truth)
    assert set(tc["cause"]) <= {"alcohol", "overdose", "suicide", "accident", "violence",
                                "cancer", "cardiovascular", "respiratory", "liver", "other"}
    assert tc["planted PMR"].str.len().gt(0).all()
