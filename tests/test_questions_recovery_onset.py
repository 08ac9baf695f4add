"""Unit tests of harkit.questions.recovery and harkit.questions.onset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import harkit as hk
from harkit.questions import onset, recovery

# --------------------------------------------------------------------------- small frames

def _toy() -> pd.DataFrame:
    """Eight persons: six with a substance-use diagnosis, two without."""
    return pd.DataFrame({
        "person_id": [f"P{i:04d}" for i in range(8)],
        "sud_group": ["alcohol", "alcohol", "other_sud", "other_sud", "alcohol", "alcohol",
                      "none", "none"],
        "years_sud_free_before_death": [6.0, 6.0, 2.0, 12.0, 4.0, np.nan, np.nan, np.nan],
        "n_other_contacts_after_sud": [1, 0, 3, 2, 1, 0, 0, 0],
        "recovery_text": pd.array([True, False, True, False, False, False, pd.NA, pd.NA],
                                  dtype="boolean"),
        "age_at_death": [60.0, 55.0, 40.0, 70.0, 50.0, 45.0, 80.0, 75.0],
        "death_date": pd.to_datetime(["2000-07-01"] * 8),
        "age_first_sud": [20.0, 30.0, 24.9, 25.0, 50.0, 18.0, np.nan, np.nan],
        "main_substance": ["alcohol", "alcohol", "cocaine", "solvents", "alcohol", "alcohol",
                           None, None],
    })


def test_recovery_flag_modes_and_na_without_sud():
    df = _toy()
    f = recovery.recovery_flag(df, years=5)
    assert f.dtype == "boolean"
    assert f.isna().tolist() == [False] * 6 + [True] * 2
    assert f.iloc[:6].tolist() == [True, False, False, True, False, False]
    assert recovery.recovery_flag(df, years=5, require_contact=False).iloc[:6].tolist() == \
        [True, True, False, True, False, False]
    assert recovery.recovery_flag(df, years=10).iloc[:6].tolist() == \
        [False, False, False, True, False, False]
    assert recovery.recovery_flag(df, text="or").iloc[:6].tolist() == \
        [True, False, True, True, False, False]
    assert recovery.recovery_flag(df, text="and").iloc[:6].tolist() == \
        [True, False, False, False, False, False]
    assert recovery.recovery_flag(df, text="only").iloc[:6].tolist() == \
        [True, False, True, False, False, False]


def test_recovery_flag_rejects_bad_arguments():
    df = _toy()
    with pytest.raises(ValueError, match="text must be"):
        recovery.recovery_flag(df, text="maybe")
    with pytest.raises(ValueError, match="years"):
        recovery.recovery_flag(df, years=-1)
    with pytest.raises(KeyError, match="recovery_text"):
        recovery.recovery_flag(df.drop(columns="recovery_text"), text="or")


def test_recovery_definitions_add_text_only_when_texts_exist():
    df = _toy()
    assert list(recovery.recovery_definitions(df)) == [
        "3 years", "5 years", "10 years", "5 years or text", "5 years and text", "text only"]
    assert list(recovery.recovery_definitions(df.drop(columns="recovery_text"),
                                              years=(2, 7.5))) == ["2 years", "7.5 years"]


def test_attach_truth_aligns_by_person_id():
    df = _toy()
    truth = pd.DataFrame({"person_id": df["person_id"][::-1].to_numpy(),
                          "recovered": [False] * 7 + [True]})  # P0000 is recovered
    out = recovery.attach_truth(df, truth, ["recovered"])
    assert out["truth_recovered"].tolist() == [True] + [False] * 7
    assert "truth_recovered" not in df


def test_definition_table_counts_truth_and_suppression():
    df = pd.concat([_toy()] * 5, ignore_index=True)  # 30 SUD persons
    df["person_id"] = [f"Q{i:04d}" for i in range(len(df))]
    truth = pd.DataFrame({"person_id": df["person_id"],
                          "recovered": np.tile([True, False, False, True, True, False,
                                                False, False], 5)})
    t = recovery.definition_table(df, {"5 years": recovery.recovery_flag(df)}, truth=truth,
                                  suppress=False).iloc[0]
    assert (t["sud_persons"], t["recovered"]) == (30, 10)
    assert t["percent"] == pytest.approx(33.3)
    # truly recovered: rows 0, 3, 4 of each copy (15); flagged: rows 0, 3 (10), both true
    assert t["sensitivity"] == pytest.approx(10 / 15)
    assert t["ppv"] == 1.0
    assert t["specificity"] == 1.0
    shown = recovery.definition_table(_toy(), {"10 years": recovery.recovery_flag(_toy(),
                                                                                  years=10)})
    assert shown.loc[0, "recovered"] == "<5"
    assert pd.isna(shown.loc[0, "percent"]) or shown.loc[0, "percent"] == "<5"


def test_add_recovery_time_counts_from_the_date_recovery_is_established():
    df = _toy()
    out = recovery.add_recovery_time(df, recovery.recovery_flag(df, years=5), years=5)
    assert out["years_after_recovery"].iloc[[0, 3]].tolist() == [1.0, 7.0]
    assert out["years_after_recovery"].iloc[[1, 2, 6]].isna().all()
    np.testing.assert_allclose(out["years_since_last_sud"].iloc[[0, 3]]
                               - out["years_after_recovery"].iloc[[0, 3]], 5.0)
    np.testing.assert_allclose(out["age_recovery_established"].iloc[[0, 3]], [59.0, 63.0])
    assert out["recovery_year"].iloc[[0, 3]].tolist() == [1999.0, 1993.0]


def test_planted_substance_death_or_is_read_from_the_cause_model(small):
    from harkit.synth.lifecourse import cause_shares
    from harkit.synth.params import CAUSE_GROUPS

    _, truth = small
    planted = recovery.planted_substance_death_or(truth)
    assert 0 < planted < 1
    # the generator's cause shares give that odds ratio for any exposed person, whatever
    # the group, age, year or other states
    cols = [CAUSE_GROUPS.index("alcohol"), CAUSE_GROUPS.index("overdose")]
    for group, age, organ, psy in ((1, 45.0, True, False), (2, 30.0, False, True),
                                   (6, 60.0, False, False)):
        p = [cause_shares(np.array([age]), np.array([1990.0]), np.array([group]),
                          np.array([True]), np.array([rec]), np.array([organ]),
                          np.array([psy]), np.array([False]))[0, cols].sum()
             for rec in (True, False)]
        assert (p[0] / (1 - p[0])) / (p[1] / (1 - p[1])) == pytest.approx(planted)


def _mor_frame() -> pd.DataFrame:
    """Two age strata, each a 2x2 table with odds ratio 0.5 (recovered vs not).

    Cells per stratum: recovered & substance death (a), recovered & other death (b), not
    recovered & substance death (c), not recovered & other death (d).
    """
    rows = []
    for age, cells in ((40.0, (10, 40, 40, 80)), (75.0, (5, 20, 30, 60))):
        for n, rec, cause in zip(cells, (True, True, False, False),
                                 ("drug_induced", "cancer", "alcohol_induced", "cancer")):
            rows += [{"sud_group": "alcohol", "age_at_death": age, "rec": rec,
                      "underlying_cause_group": cause, "main_substance": "alcohol"}] * n
    return pd.DataFrame(rows)


def test_substance_death_mor_equals_the_stratum_odds_ratio():
    df = _mor_frame()
    # stratum 1: (10*80)/(40*40) = 0.5; stratum 2: (5*60)/(20*30) = 0.5
    out = recovery.substance_death_mor(df, {"def": df["rec"]}, suppress=False).iloc[0]
    assert out["mor"] == pytest.approx(0.5)
    assert out["strata"] == 2
    assert (out["recovered_cause"], out["not_recovered_cause"]) == (15, 70)
    shown = recovery.substance_death_mor(df, {"def": df["rec"]})
    assert shown.loc[0, "mor"] == 0.5
    assert isinstance(shown.loc[0, "p_value"], str)


@pytest.fixture(scope="module")
def small():
    ex = hk.datasets.load_synthetic(3000, seed=3, sud_fraction=0.5)
    cohort = hk.cohort.build(ex, sud_entry_age=15)
    return cohort, ex.truth


def test_recovery_table_one_groups_persons_with_a_diagnosis(small):
    cohort, _ = small
    flag = recovery.recovery_flag(cohort)
    res = recovery.recovery_table_one(cohort, flag, ["sex", "age_at_death"], suppress=False)
    n = res.table.set_index("variable").loc["n"]
    assert int(str(n["drug-free"]).replace(",", "")) == int(flag.sum())
    assert int(str(n["Overall"]).replace(",", "")) == int(flag.notna().sum())
    assert any("immortal time" in note for note in res.notes)


def test_definition_curve_falls_with_the_years_and_shows_no_counts(small):
    cohort, truth = small
    c = recovery.definition_curve(cohort, years=(1, 3, 5, 10), truth=truth)
    assert list(c.columns) == ["years", "percent", "sensitivity", "ppv"]
    assert c["percent"].is_monotonic_decreasing
    assert c["ppv"].iloc[-1] > c["ppv"].iloc[0]


def test_naive_hazard_ratio_and_remaining_life_after_recovery(small):
    cohort, _ = small
    defs = recovery.recovery_definitions(cohort, years=(5, 10), text=False)
    hr = recovery.naive_hazard_ratio(cohort, defs)
    assert hr["definition"].tolist() == ["5 years", "10 years"]
    assert (hr["hr_lower"] < hr["hazard_ratio"]).all()
    assert np.allclose(np.exp(hr["log_hr"]), hr["hazard_ratio"])
    res = recovery.remaining_life_after_recovery(cohort, defs["5 years"], bootstrap=0,
                                                 suppress=False)
    row = res.table.iloc[0]
    assert row["n"] == int(defs["5 years"].sum())
    assert row["naive_from_last_contact"] - row["naive_mean"] == pytest.approx(5.0)
    assert res.notes[0].startswith("Time origin")


# --------------------------------------------------------------------------- onset

def test_young_flag_and_substance_group():
    df = _toy()
    y = onset.young_flag(df)
    assert y.iloc[:6].tolist() == [True, False, True, False, False, True]
    assert y.iloc[6:].isna().all()
    assert onset.young_flag(df, cut=20).iloc[:6].tolist() == [False] * 5 + [True]
    assert onset.substance_group(df).tolist()[:4] == ["alcohol", "alcohol", "stimulants",
                                                      "polydrug"]
    assert onset.substance_group(df).iloc[6] is None


def test_hierarchy_substance_picks_the_highest_ranked_diagnosis():
    df = pd.DataFrame({"uses_alcohol": [True, True, False, True],
                       "uses_sedatives": [False, True, False, True],
                       "uses_opioids": [False, False, False, True],
                       "uses_khat": [False, False, True, False]})
    got = onset.hierarchy_substance(df)
    assert got.tolist() == ["alcohol", "sedatives", "khat", "opioids"]
    assert onset.hierarchy_substance(df.assign(uses_khat=False)).tolist()[2] is None
    assert onset.hierarchy_substance(df, ["alcohol", "opioids"]).tolist() == \
        ["alcohol", "alcohol", "khat", "alcohol"]
    with pytest.raises(KeyError):
        onset.hierarchy_substance(pd.DataFrame({"x": [1]}))


def test_hierarchy_substance_equals_the_cohort_hierarchy_rule():
    ex = hk.datasets.load_synthetic(3000, seed=3, documents=False)
    cohort = hk.cohort.build(ex, sud_entry_age=15, main_substance="hierarchy")
    got = onset.hierarchy_substance(cohort)
    want = cohort["main_substance"].astype(object).where(cohort["main_substance"].notna(), None)
    assert (got.fillna("-") == want.fillna("-")).all()


def test_onset_share_numbers_truth_and_suppression():
    df = pd.concat([_toy()] * 10, ignore_index=True)
    df["person_id"] = [f"Q{i:04d}" for i in range(len(df))]
    truth = pd.DataFrame({"person_id": df["person_id"],
                          "onset_age": np.tile([19, 20, 22, 30, 40, 17, np.nan, np.nan], 10)})
    s = onset.onset_share(df, truth=truth, suppress=False).set_index("main_substance")
    assert s.loc["alcohol", "persons"] == 40 and s.loc["alcohol", "young"] == 20
    assert s.loc["alcohol", "percent"] == 50.0
    assert s.loc["alcohol", "truth_percent"] == 75.0  # rows 0, 1, 5 of 0, 1, 4, 5
    assert s.loc["alcohol", "ppv"] == 1.0
    assert s.loc["alcohol", "sensitivity"] == pytest.approx(2 / 3)
    assert s.loc["Total", "persons"] == 60
    assert "planted_percent" not in s.columns  # a frame plants no young-onset probability
    toy_truth = truth.iloc[:8].assign(person_id=_toy()["person_id"].to_numpy())
    shown = onset.onset_share(_toy(), truth=toy_truth).set_index("main_substance")
    # one marker with secondary suppression (the Total row used to give a "<5" back)
    assert shown.loc["cocaine", "young"] == "*"
    assert pd.isna(shown.loc["cocaine", "truth_percent"])


def test_cause_mor_by_onset_uses_the_given_flag():
    df = _mor_frame().assign(age_first_sud=30.0)
    with pytest.warns(UserWarning, match="zero cell"):
        out = onset.cause_mor_by_onset(df, ["drug_induced"], young=df["rec"],
                                       adjust=("age_group",), suppress=False).iloc[0]
    # drug_induced vs every other cause: only the "recovered" rows have drug deaths
    assert out["young_deaths"] == 15 and out["late_deaths"] == 0
    assert np.isnan(out["mor"])  # a zero cell: not estimated
    df["underlying_cause_group"] = df["underlying_cause_group"].replace(
        {"alcohol_induced": "drug_induced"})
    out = onset.cause_mor_by_onset(df, ["drug_induced"], young=df["rec"],
                                   adjust=("age_group",), suppress=False).iloc[0]
    assert out["mor"] == pytest.approx(0.5)
    assert out["crude_mor"] == pytest.approx((15 * 140) / (60 * 70))


def test_charlson_by_onset_crude_rate_ratio_is_the_ratio_of_means():
    df = _toy().iloc[:6].assign(charlson_score=[1, 3, 0, 2, 2, 1])
    r = onset.charlson_by_onset(df).set_index("model")
    young = [1, 0, 1]  # rows 0, 2, 5
    late = [3, 2, 2]
    assert r.loc["crude", "rate_ratio"] == pytest.approx(np.mean(young) / np.mean(late))


def test_onset_table_one_and_hazard_ratio(small):
    cohort, truth = small
    res = onset.onset_table_one(cohort, columns=["sex", "main_substance"])
    assert {"young", "late"} <= set(res.table.columns)
    ct = recovery.attach_truth(cohort, truth)
    hr = onset.onset_hazard_ratio(cohort, truth_young=ct["truth_young_onset"])
    assert hr["model"].tolist() == ["first diagnosis before 25", "landmark at 25",
                                    "truth: young onset"]
    persons = hr["persons"].str.replace(",", "").astype(int)
    assert persons.iloc[1] < persons.iloc[0] == persons.iloc[2]
