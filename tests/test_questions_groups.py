"""harkit.questions.substance_groups and harkit.questions.comorbidity: hand-computed
standardised prevalences and ratios, suppression, substance-specific flags, the truth
layout and the group recipes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import harkit as hk
from harkit.questions import comorbidity as cm
from harkit.questions import substance_groups as sg


def _persons(spec: list[tuple[str, str, float, int, int]]) -> pd.DataFrame:
    """Rows (group, sex, age, persons, cases) -> one row per person with flag ``cond``."""
    rows = []
    for group, sex, age, n, cases in spec:
        for i in range(n):
            rows.append({"sud_group": group, "sex": sex, "age_at_death": age,
                         "cond": i < cases})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def small():
    ex = hk.datasets.load_synthetic(1500, seed=3, sud_fraction=0.5, documents=False)
    return ex, hk.cohort.build(ex, sud_entry_age=15)


# --------------------------------------------------------------- standardised prevalence
def test_standardised_prevalence_hand_computed():
    df = _persons([
        ("a", "female", 30, 10, 2), ("a", "male", 60, 30, 9),
        ("ref", "female", 30, 20, 2), ("ref", "female", 60, 40, 8),
        ("ref", "male", 30, 10, 1), ("ref", "male", 60, 50, 20),
    ])
    res = cm.standardised_prevalence(df, ["cond"], reference="ref", bands=(0, 50),
                                     suppress=False)
    row = res.extra["numbers"].iloc[0]
    # weights: a's persons per stratum, 10 (female <50) and 30 (male 50+) -> 0.25, 0.75
    p_ref = 0.25 * 2 / 20 + 0.75 * 20 / 50
    var_ref = 0.25**2 * 2 / 20**2 + 0.75**2 * 20 / 50**2
    assert row["prevalence"] == pytest.approx(100 * 11 / 40)
    assert row["ref_prevalence"] == pytest.approx(100 * p_ref)
    ratio = (11 / 40) / p_ref
    se = np.sqrt(1 / 11 + var_ref / p_ref**2)
    z = stats.norm.ppf(0.975)
    assert row["ratio"] == pytest.approx(ratio)
    assert row["ratio_lower"] == pytest.approx(ratio * np.exp(-z * se))
    assert row["ratio_upper"] == pytest.approx(ratio * np.exp(z * se))
    # standardised to itself, the index group's interval is the exact Poisson interval
    assert row["lower"] == pytest.approx(100 * stats.chi2.ppf(0.025, 22) / 2 / 40)
    assert row["upper"] == pytest.approx(100 * stats.chi2.ppf(0.975, 24) / 2 / 40)
    assert row["ref_cases"] == 31 and row["ref_persons"] == 120
    assert row["strata_missing"] == 0


def test_equal_stratum_prevalences_give_ratio_one():
    # same prevalence in each age-sex stratum, very different age structures
    df = _persons([
        ("a", "female", 30, 10, 1), ("a", "male", 70, 20, 8),
        ("ref", "female", 30, 30, 3), ("ref", "male", 70, 50, 20),
        ("ref", "male", 30, 40, 0), ("ref", "female", 70, 60, 30),
    ])
    res = cm.standardised_prevalence(df, ["cond"], reference="ref", bands=(0, 50),
                                     suppress=False)
    row = res.extra["numbers"].iloc[0]
    assert row["ratio"] == pytest.approx(1.0)
    crude_ref = (3 + 20 + 0 + 30) / 180
    assert row["ref_prevalence"] != pytest.approx(100 * crude_ref)


def test_sex_none_standardises_for_age_only():
    df = _persons([
        ("a", "female", 30, 10, 1), ("a", "male", 30, 10, 3),
        ("ref", "female", 30, 10, 2), ("ref", "male", 30, 30, 3),
    ])
    res = cm.standardised_prevalence(df, ["cond"], reference="ref", sex=None,
                                     bands=(0, 50), suppress=False)
    row = res.extra["numbers"].iloc[0]
    assert row["ref_prevalence"] == pytest.approx(100 * 5 / 40)
    assert row["ratio"] == pytest.approx((4 / 20) / (5 / 40))


def test_counts_are_events_per_100_persons_and_bad_counts_raise():
    df = _persons([("a", "male", 30, 10, 0), ("ref", "male", 30, 10, 0)])
    df["n"] = [2] * 10 + [1] * 10
    row = cm.standardised_prevalence(df, ["n"], reference="ref", suppress=False
                                     ).extra["numbers"].iloc[0]
    assert row["prevalence"] == pytest.approx(200) and row["ratio"] == pytest.approx(2.0)
    df.loc[0, "n"] = -1
    with pytest.raises(ValueError, match="non-negative"):
        cm.standardised_prevalence(df, ["n"], reference="ref")


def test_missing_reference_strata_are_noted():
    df = _persons([("a", "male", 30, 10, 2), ("a", "male", 70, 10, 2),
                   ("ref", "male", 70, 10, 5)])
    res = cm.standardised_prevalence(df, ["cond"], reference="ref", bands=(0, 50),
                                     suppress=False)
    assert res.extra["numbers"]["strata_missing"].iloc[0] == 1
    assert any("renormalised" in n for n in res.notes)
    # the reference prevalence then rests on the stratum it has
    assert res.extra["numbers"]["ref_prevalence"].iloc[0] == pytest.approx(50.0)


def test_bad_input():
    df = _persons([("a", "male", 30, 10, 2), ("ref", "male", 30, 10, 2)])
    with pytest.raises(KeyError):
        cm.standardised_prevalence(df, ["nope"], reference="ref")
    with pytest.raises(ValueError, match="reference"):
        cm.standardised_prevalence(df, ["cond"], reference="other")
    with pytest.raises(ValueError, match="index group"):
        cm.standardised_prevalence(df, ["cond"], reference="ref", index_groups=["b"])


def test_small_counts_and_their_estimates_are_hidden():
    df = _persons([("a", "male", 30, 40, 20), ("b", "male", 30, 40, 3),
                   ("ref", "male", 30, 100, 30)])
    # without a pooled group: primary suppression only
    res = cm.standardised_prevalence(df, ["cond"], reference="ref",
                                     index_groups=["a", "b"])
    t = res.table.set_index("index_group")
    assert t.loc["b", "cases"] == "<5" and t.loc["a", "cases"] == "20"
    assert np.isnan(t.loc["b", "prevalence"]) and np.isnan(t.loc["b", "ratio"])
    assert t.loc["a", "ratio"] == pytest.approx((20 / 40) / (30 / 100))
    # with a pooled group, b's count could be recovered as pooled - a: a is hidden too
    res = cm.standardised_prevalence(df, ["cond"], reference="ref",
                                     index_groups={"all": ["a", "b"], "a": ["a"],
                                                   "b": ["b"]})
    t = res.table.set_index("index_group")
    assert t.loc["b", "cases"] == "*" and t.loc["a", "cases"] == "*"
    assert np.isnan(t.loc["a", "prevalence"]) and np.isnan(t.loc["a", "ratio"])
    assert t.loc["all", "cases"] == "23"
    # a reference resting on fewer than 5 cases shows no standardised prevalence
    df = _persons([("a", "male", 30, 40, 20), ("ref", "male", 30, 100, 3)])
    t = cm.standardised_prevalence(df, ["cond"], reference="ref").table
    assert t["ref_cases"].iloc[0] == "<5"
    assert np.isnan(t["ref_prevalence"].iloc[0]) and np.isnan(t["ratio"].iloc[0])


def test_default_groups_order_and_display():
    df = _persons([("a", "male", 30, 40, 20), ("b", "female", 60, 40, 10),
                   ("ref", "male", 30, 100, 30), ("ref", "female", 60, 100, 10)])
    df["cond2"] = np.arange(len(df)) % 2 == 0
    res = cm.standardised_prevalence(df, ["cond", "cond2"], reference="ref",
                                     reference_label="comparison")
    assert list(dict.fromkeys(res.table["index_group"])) == ["all_sud", "a", "b"]
    # most common first, by the first index group
    # the exact numbers are in extra only when asked for (suppress=False)
    assert "numbers" not in res.extra
    first = cm.standardised_prevalence(df, ["cond", "cond2"], reference="ref",
                                       suppress=False).extra["numbers"]
    first = first.query("index_group == 'all_sud'")
    assert first["prevalence"].is_monotonic_decreasing
    wide = res.wide()
    assert wide.columns.get_level_values(0).unique().tolist() == ["all_sud", "a", "b"]
    assert "comparison %" in wide["a"].columns
    m = res.matrix()
    assert m.columns.tolist() == ["all_sud", "comparison | all_sud", "a", "comparison | a",
                                  "b", "comparison | b"]
    assert res.heatmap() is not None and res.plot() is not None


# --------------------------------------------------------------- substance-specific flags
def test_substance_specific_flags_from_codes_and_text():
    dx = pd.DataFrame({
        "person_id": ["p1", "p1", "p2", "p3", "p4", "p5"],
        "code": ["K70.3", "K85.2", "571.2", "T40.1", None, "581"],
        "code_system": ["ICD-10", "ICD-10", "ICD-9", "ICD-10", "none", "ICD-7"],
        "diagnosis_text": ["", "", "", "", "Alkoholisk levercirrhose", "Cirrhosis hepatis"],
        "date": pd.to_datetime(["2005-01-01", "2006-01-01", "1990-01-01", "2010-01-01",
                                "1945-01-01", "1955-01-01"]),
    })
    flags = cm.substance_specific_flags(dx, ["p1", "p2", "p3", "p4", "p5", "p6"]
                                        ).set_index("person_id")
    assert flags.loc["p1", "alcohol_somatic_liver"] and flags.loc["p1",
                                                                  "alcohol_somatic_pancreas"]
    assert flags.loc["p2", "alcohol_somatic_liver"]  # ICD-9 571.2 alcoholic cirrhosis
    assert flags.loc["p3", "drug_poisoning_opioids"]
    assert flags.loc["p4", "alcohol_somatic_liver"]  # uncoded text with an alcohol term
    assert not flags.loc["p5"].any()  # ICD-7 581 without alcoholism is not alcoholic
    assert not flags.loc["p6"].any()  # no diagnoses at all
    assert flags.sum().sum() == 5
    # every category of the lists is a column, seen or not
    assert {"alcohol_somatic_fetal", "drug_poisoning_cannabis"} <= set(flags.columns)


def test_comorbidity_table_and_labels(small):
    ex, cohort = small
    table = cm.comorbidity_table(cohort, ex.diagnoses)
    assert len(table) == len(cohort)
    assert table["person_id"].tolist() == cohort["person_id"].tolist()
    cols = cm.condition_columns(table)
    assert cols[0].startswith("cci_") and "alcohol_somatic_liver" in cols
    assert cm.condition_label("cci_chronic_obstructive_pulmonary_disease") == "COPD"
    assert cm.condition_label("alcohol_somatic_liver") == "Liver (alcohol-related)"
    assert cm.condition_label("drug_poisoning_other_drugs") == "Other drugs (drug poisoning)"


# --------------------------------------------------------------- substance groups
def _cohort() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 400
    group = np.where(np.arange(n) < 200, "alcohol", np.where(np.arange(n) < 300,
                                                              "other_sud", "none"))
    return pd.DataFrame({
        "person_id": [f"X{i:05d}" for i in range(n)],
        "sud_group": pd.Categorical(group, categories=["alcohol", "other_sud", "none"]),
        "sex": pd.Categorical(np.where(np.arange(n) % 4 == 0, "female", "male"),
                              categories=["male", "female"]),
        "birth_year": np.where(group == "alcohol", 1925, 1960) + rng.integers(0, 10, n),
        "age_at_death": np.where(group == "alcohol", 60.0, 40.0) + rng.normal(0, 5, n),
        "age_first_sud": np.where(group == "none", np.nan, 30.0),
        "charlson_score": np.arange(n) % 5,
        "underlying_cause_group": np.where(group == "other_sud", "drug_induced",
                                           "alcohol_induced"),
        "tx_methadone": group == "other_sud",
        "tx_other": np.zeros(n, bool),
    })


def test_sud_patients_groups_and_derived_columns():
    p = sg.sud_patients(_cohort())
    assert len(p) == 300
    assert p["sud_group"].cat.categories.tolist() == ["alcohol", "other_sud"]
    assert set(p.loc[p["sud_group"] == "alcohol", "birth_cohort_20"]) <= {
        "1910-1929", "1930-1949"}
    assert p["charlson_group"].cat.categories.tolist() == ["0", "1", "2", "3+"]
    assert (p.loc[p["charlson_score"] >= 3, "charlson_group"] == "3+").all()


def test_table_one_labels_and_smd():
    res = sg.table_one(_cohort())
    t = res.table
    assert {"Alcohol", "Other SUD", "SMD"} <= set(t.columns)
    assert "Treatment: methadone" in set(t["variable"])
    assert "Treatment: other" not in set(t["variable"])  # nobody treated
    smd = res.extra["smd"].set_index("variable")["smd"]
    assert smd["Sex"] == pytest.approx(0.0, abs=1e-12)  # same share of women by design
    assert smd["Age at death, years"] > 2


def test_profile_numbers_and_suppression():
    c = _cohort()
    prof = sg.profile(c, suppress=False)
    assert prof.loc["alcohol", "persons"] == 200
    assert prof.loc["other_sud", "men_pct"] == pytest.approx(75.0)
    assert prof.loc["other_sud", "drug_induced_pct"] == pytest.approx(100.0)
    assert prof.loc["alcohol", "mean_age_first_sud"] == pytest.approx(30.0)
    small = c[(c["sud_group"] != "other_sud") | (np.arange(len(c)) < 203)]
    shown = sg.profile(small)
    assert shown.loc["other_sud", "persons"] == "<5"
    assert shown.loc["other_sud"].drop("persons").isna().all()


def test_causes_of_death_suppresses_small_counts():
    counts = {"alcohol": {"alcohol_induced": 160, "cancer": 120, "cardiovascular": 100,
                          "suicide": 20},
              "other_sud": {"alcohol_induced": 40, "cancer": 20, "cardiovascular": 37,
                            "suicide": 3}}
    rows = []
    for g, by_cause in counts.items():
        for cause, n in by_cause.items():
            for k in range(n):
                rows.append({"sud_group": g, "underlying_cause_group": cause,
                             "age_at_death": 40 + (k % 30), "death_year": 1990,
                             "sex": "male"})
    res = sg.causes_of_death(pd.DataFrame(rows))
    t = res.table.set_index("cause")
    assert t.index.tolist() == ["alcohol_induced", "suicide", "cancer", "cardiovascular"]
    assert t.loc["suicide", "observed"] == "*" and np.isnan(t.loc["suicide", "pmr"])
    # deaths (100) minus the other causes (40 + 20 + 37) used to give the 3 back: a second
    # cause (the smallest, cancer) is hidden with it, PMR and all
    assert t.loc["cancer", "observed"] == "*" and np.isnan(t.loc["cancer", "pmr"])
    assert t.loc["alcohol_induced", "observed"] == "40"
    assert t.loc["alcohol_induced", "pmr"] == pytest.approx(40 / (100 * 160 / 400), rel=0.05)


def test_planted_cohort_layout(small):
    ex, _ = small
    truth = ex.truth
    pc = sg.planted_cohort(truth)
    p = truth.persons
    assert pc["person_id"].tolist() == p["person_id"].tolist()
    assert (pc["entry_age"] <= pc["age_at_death"]).all()
    assert (pc["age_at_death"] <= pc["exit_age"]).all()
    sud = p["population"].astype(str).to_numpy() != "comparison"
    # substance-use lives enter at onset (or at the window start): onsets before 15 are
    # planted too (shift 13-15 years plus a gamma draw), so no fixed floor holds
    assert (pc.loc[sud, "entry_age"] >= p.loc[sud, "onset_age"]).all()
    expected = np.where(p["group"] == "none", "none",
                        np.where(p["group"] == "alcohol", "alcohol", "other_sud"))
    assert (pc["sud_group"].astype(str).to_numpy() == expected).all()
    for planted, condition in sg.PLANTED_TO_CHARLSON.items():
        assert (pc[f"cci_{condition}"].to_numpy() == p[f"cond_{planted}"].to_numpy()).all()
    assert pc["underlying_cause_group"].notna().all()
    assert (pc["charlson_score"].to_numpy() == p["comorbidity"].to_numpy()).all()


def test_group_recipes_run(small):
    _, cohort = small
    aad = sg.age_at_death(cohort, bootstrap=0)
    assert aad.table["sud_group"].astype(str).tolist() == ["alcohol", "other_sud"]
    hr = sg.mortality_contrast(cohort)
    assert hr.table["term"].tolist() == ["male", "other_sud"]
    assert hr.table.loc[1, "hazard_ratio"] > 1
