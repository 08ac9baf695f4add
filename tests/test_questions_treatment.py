"""Unit tests of harkit.questions.treatment: episode table, settings, sex differences,
shares over time and standardisation, against hand computations."""

from __future__ import annotations

import warnings

import matplotlib
import pandas as pd
import pytest

import harkit as hk
from harkit.questions import treatment

matplotlib.use("Agg")

ALL = treatment.TreatmentSetting("every episode", lambda e: pd.Series(True, index=e.index))


# ------------------------------------------------------------------ a handmade extract


def _extract() -> dict[str, pd.DataFrame]:
    d = pd.to_datetime
    persons = pd.DataFrame({
        "person_id": ["P1", "P2", "P3"],
        "sex": pd.Categorical(["male", "female", "female"]),
        "birth_date": d(["1920-01-01", "1930-06-01", "1950-01-01"]),
        "death_date": d(["1980-01-01", "1990-01-01", "2010-01-01"]),
    })
    institutions = pd.DataFrame({
        "institution_id": ["R01", "G01", "P01"],
        "archive_series_id": ["S01", "H01", "Q01"],
        "institution_type": ["substance_use", "general_hospital", "psychiatric"],
        "addiction_department": pd.array([True, False, False], dtype="boolean"),
    })
    episodes = pd.DataFrame({
        "episode_id": ["E1", "E2", "E3", "E4", "E5"],
        "person_id": ["P1", "P2", "P3", "P3", "P1"],
        "institution_id": ["R01", "G01", "G01", "R01", "R01"],
        "archive_series_id": ["S01", "H01", "H01", "S01", "S01"],
        "admission_date": d(["1960-03-01", "1975-05-01", "2001-01-10", "2003-02-01",
                             "1970-01-01"]),
        "episode_type": ["inpatient", "inpatient", "outpatient", "inpatient", "outpatient"],
    })
    diagnoses = pd.DataFrame({
        "diagnosis_id": ["D1", "D2", "D3", "D4", "D5", "D6"],
        "episode_id": ["E1", "E2", "E3", "E3", "E4", "E1"],
        "person_id": ["P1", "P2", "P3", "P3", "P3", "P1"],
        "code": ["322.1", "303.9", "I21", "F10.2", "F11.2", "I21"],
        "code_system": ["ICD-7", "ICD-8", "ICD-10", "ICD-10", "ICD-10", "ICD-10"],
        "diagnosis_text": [""] * 6,
        "rank": ["main", "main", "main", "secondary", "main", "secondary"],
        "date": d(["1960-03-01", "1975-05-01", "2001-01-10", "2001-01-10", "2003-02-01",
                   "1960-03-01"]),
    })
    treatments = pd.DataFrame({
        "treatment_id": ["T1", "T2", "T3", "T4"],
        "episode_id": ["E1", "E2", "E4", "E1"],
        "person_id": ["P1", "P2", "P3", "P1"],
        "treatment_type": pd.Categorical(["institutional_stay", "disulfiram", "methadone",
                                          "detoxification"]),
    })
    return {"persons": persons, "institutions": institutions, "episodes": episodes,
            "diagnoses": diagnoses, "treatments": treatments}


def _cohort() -> pd.DataFrame:
    return pd.DataFrame({"person_id": ["P1", "P2", "P3"],
                         "main_substance": ["alcohol", "alcohol", "opioids"],
                         "sud_group": ["alcohol", "alcohol", "other_sud"]})


def test_episode_table_by_hand():
    e = treatment.episode_table(_extract(), cohort=_cohort()).set_index("episode_id")
    assert list(e.index) == ["E1", "E2", "E3", "E4", "E5"]
    # main diagnosis only: E3's secondary F10.2 does not make it a substance-use episode
    assert e["diagnosis"].to_dict() == {"E1": "alcohol", "E2": "alcohol", "E3": "other",
                                        "E4": "opioids", "E5": "none"}
    assert e["diagnosis_group"].to_dict() == {"E1": "alcohol", "E2": "alcohol",
                                              "E3": "other", "E4": "drugs", "E5": "other"}
    # E5 has no diagnosis but is at an addiction department
    assert e["sud_episode"].to_dict() == {"E1": True, "E2": True, "E3": False, "E4": True,
                                          "E5": True}
    assert e["female"].tolist() == [0, 1, 1, 1, 0]
    assert e["period"].tolist() == ["1960", "1970", "2000", "2000", "1970"]
    assert e.loc["E2", "age"] == pytest.approx((pd.Timestamp("1975-05-01")
                                                - pd.Timestamp("1930-06-01")).days / 365.25)
    assert e["addiction_department"].tolist() == [True, False, False, True, True]
    assert e["tx_institutional_stay"].tolist() == [True, False, False, False, False]
    assert e["tx_detoxification"].tolist() == [True, False, False, False, False]
    assert e["tx_methadone"].tolist() == [False, False, False, True, False]
    assert e["main_substance"].tolist() == ["alcohol", "alcohol", "opioids", "opioids",
                                            "alcohol"]
    # settings read from the table
    s = treatment.TREATMENT_SETTINGS
    assert s["institutional_stay"].rule(e).tolist() == [True, False, False, True, False]
    assert s["disulfiram"].rule(e).tolist() == [True, True, False, False, False]
    assert s["methadone"].rule(e).tolist() == [False, False, False, True, False]
    assert s["buprenorphine"].rule(e).tolist() == [False] * 5  # methadone was given
    assert s["outpatient_counselling"].rule(e).tolist() == [False, False, False, False, True]


def test_episode_table_needs_the_tables():
    x = _extract()
    del x["treatments"]
    with pytest.raises(ValueError, match="treatments"):
        treatment.episode_table(x, cohort=_cohort())


# ------------------------------------------------------------------ a small synthetic register


@pytest.fixture(scope="module")
def synthetic():
    ex = hk.datasets.load_synthetic(1_500, seed=4, sud_fraction=0.5, documents=False)
    return ex, treatment.episode_table(ex)


def test_episode_table_on_a_synthetic_register(synthetic):
    ex, e = synthetic
    assert e["episode_id"].tolist() == ex.episodes["episode_id"].tolist()
    for name, g in ex.treatments.groupby("treatment_type", observed=True):
        assert set(e.loc[e[f"tx_{name}"], "episode_id"]) == set(g["episode_id"])
    # treatments lie in their setting: exactly where the setting needs no diagnosis text
    for name, setting in treatment.TREATMENT_SETTINGS.items():
        if f"tx_{name}" not in e:
            continue
        outside = e.loc[~setting.rule(e).to_numpy(bool), f"tx_{name}"].sum()
        if name in ("institutional_stay", "psychiatric_care", "methadone", "buprenorphine"):
            assert outside == 0, name
        else:  # an unmapped uncoded main diagnosis can drop an episode out of its setting
            assert outside <= 0.05 * e[f"tx_{name}"].sum(), name


def test_eligible_defaults_to_the_first_recorded_year(synthetic):
    _, e = synthetic
    d = treatment.eligible(e, "methadone")
    first = int(e.loc[e["tx_methadone"], "admission_year"].min())
    assert d.attrs["available_from"] == first
    assert d["admission_year"].min() >= first
    assert d["treated"].sum() == e["tx_methadone"].sum()
    d2 = treatment.eligible(e, "methadone", available_from=1990)
    assert len(d2) > len(d) and d2["admission_year"].min() >= 1990
    with pytest.raises(ValueError, match="no treatment"):
        treatment.eligible(e, "acupuncture")


def test_treatment_eras_suppresses_rare_treatments(synthetic):
    _, e = synthetic
    raw = treatment.treatment_eras(e, suppress=False).set_index("treatment")
    shown = treatment.treatment_eras(e).set_index("treatment")
    for name, row in raw.iterrows():
        if 0 < row["treated"] < 5:
            assert pd.isna(shown.loc[name, "first_year"])
            assert shown.loc[name, "treated"] == "<5"
            assert pd.isna(shown.loc[name, "share"])
        elif row["treated"] >= 5:
            assert shown.loc[name, "first_year"] == row["first_year"]
    assert raw.loc["methadone", "first_year"] >= 1998


# ------------------------------------------------------------------ sex differences by hand


def _table(cells: dict[str, tuple[int, int, int, int]]) -> pd.DataFrame:
    """Episodes with (women, women treated, men, men treated) per diagnosis."""
    rows = []
    for dx, (nw, tw, nm, tm) in cells.items():
        for female, n, t in ((1, nw, tw), (0, nm, tm)):
            rows += [{"female": female, "diagnosis": dx, "tx_test": i < t} for i in range(n)]
    d = pd.DataFrame(rows)
    d["person_id"] = [f"P{i:05d}" for i in range(len(d))]
    d["admission_year"] = 2000
    d["sud_episode"] = True
    return d


CELLS = {"alcohol": (100, 30, 200, 90), "opioids": (50, 10, 100, 30)}


def test_sex_differences_by_hand():
    d = _table(CELLS)
    res = treatment.sex_differences(d, ["test"], settings={"test": ALL},
                                    covariates=("diagnosis",))
    t = res.table.set_index("method")["estimate"]
    # crude: women 40/150, men 120/300
    assert t["crude"] == pytest.approx((40 / 110) / (120 / 180))
    # Mantel-Haenszel: sum(a d / n) / sum(b c / n)
    mh = (30 * 110 / 300 + 10 * 70 / 150) / (70 * 90 / 300 + 40 * 30 / 150)
    assert t["Mantel-Haenszel"] == pytest.approx(mh)
    assert t["adjusted"] == pytest.approx(mh, rel=0.02)
    # women and men have the same diagnosis mix: weights are constant, IPTW = crude
    assert t["IPTW"] == pytest.approx(t["crude"], rel=1e-6)
    bal = res.extra["balance"]
    assert bal["smd_before"].abs().max() < 1e-9
    counts = res.extra["counts"].iloc[0]
    assert counts["episodes_women"] == "150" and counts["treated_men"] == "120"
    assert counts["pct_women"] == "26.7"
    assert res.extra["tests"].iloc[0]["strata"] == 2
    assert list(res.table["method"]) == list(treatment.METHODS)


def test_sex_differences_confounded_by_diagnosis():
    # women mostly alcohol (rarely treated), men mostly opioids; OR 1 within each diagnosis
    d = _table({"alcohol": (200, 20, 50, 5), "opioids": (50, 25, 200, 100)})
    res = treatment.sex_differences(d, ["test"], settings={"test": ALL},
                                    covariates=("diagnosis",))
    t = res.table.set_index("method")["estimate"]
    assert t["crude"] < 0.4
    assert t["Mantel-Haenszel"] == pytest.approx(1.0)
    assert t["adjusted"] == pytest.approx(1.0, abs=1e-6)
    assert t["IPTW"] == pytest.approx(1.0, abs=1e-6)
    bs = res.extra["balance_summary"].iloc[0]
    assert bs["max_abs_smd_before"] > 1 and bs["max_abs_smd_after"] < 1e-6


def test_small_cells_hide_the_estimates():
    d = _table({"alcohol": (100, 3, 200, 90)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = treatment.sex_differences(d, ["test"], settings={"test": ALL},
                                        covariates=("diagnosis",))
        raw = treatment.sex_differences(d, ["test"], settings={"test": ALL},
                                        covariates=("diagnosis",), suppress=False)
    assert res.table["estimate"].isna().all()
    assert res.extra["counts"].iloc[0]["treated_women"] == "<5"
    assert res.extra["balance"].empty and "test" not in res.extra["iptw"]
    assert any("not shown" in n for n in res.notes)
    assert raw.table["estimate"].notna().all()


def test_a_single_sex_gives_missing_estimates():
    d = _table({"alcohol": (0, 0, 100, 40)})
    res = treatment.sex_differences(d, ["test"], settings={"test": ALL},
                                    covariates=("diagnosis",))
    assert res.table["estimate"].isna().all()
    assert "single sex" in res.extra["tests"].iloc[0]["warnings"]


def test_forest_plot_with_truth(synthetic):
    _, e = synthetic
    res = treatment.sex_differences(e, ["institutional_stay", "detoxification"])
    ax = res.plot(truth={"institutional_stay": 0.6, "detoxification": 1.0})
    assert len(ax.get_yticklabels()) == 8
    import matplotlib.pyplot as plt

    plt.close("all")


# ------------------------------------------------------------------ over time


def _timeline() -> pd.DataFrame:
    rows = []
    # 1950-1954: 40 alcohol episodes (10 treated), 60 drug episodes (0 treated)
    # 1955-1959: 80 alcohol (20 treated), 20 drugs (0); 1960-1964: 30 alcohol (2 treated)
    for start, grp, n, t in ((1950, "alcohol", 40, 10), (1950, "drugs", 60, 0),
                             (1955, "alcohol", 80, 20), (1955, "drugs", 20, 0),
                             (1960, "alcohol", 30, 2)):
        rows += [{"admission_year": start + i % 5, "diagnosis_group": grp,
                  "diagnosis": grp, "tx_test": i < t, "sud_episode": True}
                 for i in range(n)]
    return pd.DataFrame(rows)


def test_treatment_shares_by_hand():
    d = _timeline()
    raw = treatment.treatment_shares(d, ["test"], suppress=False).table.set_index(
        "period_start")
    assert raw.loc[1950, "proportion"] == pytest.approx(0.10)
    assert raw.loc[1955, "proportion"] == pytest.approx(0.20)
    assert raw.loc[1960, "total"] == 30
    shown = treatment.treatment_shares(d, ["test"]).table.set_index("period_start")
    # over_time hides with secondary suppression: one marker for every hidden cell
    assert shown.loc[1960, "n"] == "*" and pd.isna(shown.loc[1960, "proportion"])
    settings = {"test": treatment.TreatmentSetting(
        "alcohol", lambda e: e["diagnosis"] == "alcohol")}
    within = treatment.treatment_shares(d, ["test"], within="setting", settings=settings,
                                        suppress=False).table.set_index("period_start")
    assert within.loc[1950, "proportion"] == pytest.approx(0.25)
    assert within.loc[1950, "total"] == 40
    with pytest.raises(ValueError, match="within"):
        treatment.treatment_shares(d, ["test"], within="everything")
    ax = treatment.treatment_shares(d, ["test"]).plot()
    assert ax.get_legend() is not None
    import matplotlib.pyplot as plt

    plt.close("all")


def test_standardised_shares_by_hand():
    d = _timeline()
    s = treatment.standardised_shares(d, "test", by="diagnosis_group",
                                      standard={"alcohol": 1, "drugs": 1}, suppress=False)
    s = s.set_index("period_start")
    # equal weights: (share among alcohol + share among drugs) / 2
    assert s.loc[1950, "standardised"] == pytest.approx(100 * (0.25 + 0) / 2)
    assert s.loc[1955, "standardised"] == pytest.approx(100 * (0.25 + 0) / 2)
    assert s.loc[1950, "crude"] == pytest.approx(10.0)
    assert s.loc[1955, "crude"] == pytest.approx(20.0)
    assert s.loc[1950, "complete"] and not s.loc[1960, "complete"]
    assert s.loc[1950, "lower"] < s.loc[1950, "standardised"] < s.loc[1950, "upper"]
    shown = treatment.standardised_shares(d, "test", by="diagnosis_group",
                                          standard={"alcohol": 1, "drugs": 1})
    row = shown.set_index("period_start").loc[1960]
    assert row["treated"] == "<5" and pd.isna(row["standardised"])
    # default standard: the pooled mix
    pooled = treatment.standardised_shares(d, "test", by="diagnosis_group", suppress=False)
    assert pooled.attrs["standard"] == {"alcohol": 150.0, "drugs": 80.0}


def test_maintenance_spells_stay_out_of_episode_comparisons(synthetic):
    _, episodes = synthetic
    assert "tx_opioid_maintenance" in episodes
    assert episodes["tx_opioid_maintenance"].sum() > 0
    eras = treatment.treatment_eras(episodes, suppress=False)
    assert "opioid_maintenance" in set(eras["treatment"])
    shares = treatment.treatment_shares(episodes, suppress=False).table
    assert "opioid_maintenance" not in set(shares["treatment"])
    asked = treatment.treatment_shares(episodes, ["opioid_maintenance"], suppress=False)
    assert set(asked.table["treatment"]) == {"opioid_maintenance"}
