"""Elixhauser and substance-use comorbidity, and the prevalence ranking.

Elixhauser is checked person by person against comorbidipy 0.5.0 (an independent
implementation of Quan's coding and the van Walraven weights), whose output on a committed
input is in tests/reference/ beside the script that made it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import harkit as hk
from harkit.icd.comorbidity import codable, comorbidity, prevalence_ranking

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def reference() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = pd.read_csv(REF / "elixhauser_input.csv", dtype=str)
    ref = pd.read_csv(REF / "elixhauser_comorbidipy.csv", dtype={"id": str})
    return data, ref


def test_elixhauser_agrees_with_comorbidipy_person_by_person(reference):
    data, ref = reference
    dx = pd.DataFrame({"person_id": data["id"], "code": data["code"],
                       "code_system": data["icd"].map({"icd10": "ICD-10", "icd9": "ICD-9"})})
    got = comorbidity(dx, scheme="elixhauser").set_index("person_id")
    ref = ref.set_index("id")
    assert set(got.index) == set(ref.index) and len(ref) == 500
    got = got.loc[ref.index]
    conditions = [c for c in ref.columns if c != "comorbidity_score"]
    assert len(conditions) == 31
    for c in conditions:
        diff = got[c].to_numpy() != ref[c].astype(bool).to_numpy()
        assert not diff.any(), (c, list(ref.index[diff][:5]))
    # comorbidipy floors every score at 0 (its code says for the UK SHMI weights only);
    # van Walraven scores may be negative (-19 to 89), and harkit keeps them
    score = got["elixhauser_score"].to_numpy()
    assert (np.maximum(score, 0) == ref["comorbidity_score"].to_numpy()).all()
    assert (score < 0).sum() == 40
    # the input exercises the scheme: most conditions occur, scores vary
    assert (ref[conditions].sum() > 0).sum() >= 28
    assert ref["comorbidity_score"].nunique() > 15


def test_a_code_in_two_conditions_counts_for_both():
    # Quan: I11.0 is heart failure and complicated hypertension; I42.6 heart failure and
    # alcohol abuse (comorbidipy keeps only one, so these are kept out of its input)
    dx = pd.DataFrame({"person_id": ["a", "b"], "code": ["I11.0", "I42.6"],
                       "code_system": "ICD-10"})
    got = comorbidity(dx).set_index("person_id")
    assert got.loc["a", "chf"] and got.loc["a", "hypc"]
    assert got.loc["b", "chf"] and got.loc["b", "alcohol"]
    assert got.loc["a", "elixhauser_score"] == 7  # chf 7 + hypc 0 (van Walraven)


def test_hierarchy_only_in_the_score():
    dx = pd.DataFrame({"person_id": ["a", "a"], "code": ["C18.0", "C78.7"],
                       "code_system": "ICD-10"})
    got = comorbidity(dx).iloc[0]
    assert got["solidtum"] and got["metacanc"]  # both flagged
    assert got["elixhauser_score"] == 12  # metastatic 12; solid tumour 4 not added


def test_index_and_lookback_window():
    dx = pd.DataFrame({
        "person_id": ["a", "a", "a"], "code": ["F20.0", "B18.2", "A15.0"],
        "code_system": "ICD-10",
        "date": pd.to_datetime(["2000-01-01", "2008-06-01", "2012-01-01"])})
    idx = {"a": pd.Timestamp("2010-01-01")}
    all_before = comorbidity(dx, scheme="substance_use", index=idx).iloc[0]
    assert all_before["psychotic"] and all_before["hepatitis_c"]
    assert not all_before["tuberculosis"]
    five = comorbidity(dx, scheme="substance_use", index=idx, lookback=5).iloc[0]
    assert not five["psychotic"] and five["hepatitis_c"]
    assert five["substance_use_score"] == five["n_conditions"] == 1


def test_substance_use_conditions_across_revisions():
    # one condition written in each revision's codes gives the same flag
    cases = {
        "psychotic": [("ICD-10", "F20.0"), ("ICD-9", "295.3"), ("ICD-8", "295.3"),
                      ("ICD-7", "300.0")],
        "tuberculosis": [("ICD-10", "A15.0"), ("ICD-9", "011.9"), ("ICD-8", "011.0"),
                         ("ICD-7", "001")],
        "alcohol_liver": [("ICD-10", "K70.3"), ("ICD-9", "571.2"), ("ICD-8", "571.09"),
                          ("ICD-7", "581.1")],
        "poisoning": [("ICD-10", "T40.1"), ("ICD-9", "965.0"), ("ICD-8", "N965.0"),
                      ("ICD-7", "N960")],
    }
    rows = [(f"{cond}{i}", code, system) for cond, cs in cases.items()
            for i, (system, code) in enumerate(cs)]
    dx = pd.DataFrame(rows, columns=["person_id", "code", "code_system"])
    got = comorbidity(dx, scheme="substance_use").set_index("person_id")
    for cond, cs in cases.items():
        for i in range(len(cs)):
            row = got.loc[f"{cond}{i}"]
            assert row[cond], (cond, cs[i])
            assert row["n_conditions"] == 1, (cond, cs[i])
    tab = codable("substance_use").set_index("condition")
    # hepatitis C and HIV cannot be coded before ICD-9 (identified 1989 and 1983)
    assert tab.loc["hepatitis_c", "ICD-8"] == "" and tab.loc["hiv", "ICD-7"] == ""
    assert tab.loc["tuberculosis", "ICD-10"] == "verified"
    el = codable("elixhauser").set_index("condition")
    assert (el["ICD-10"] != "").all() and (el["ICD-9"] != "").all()
    # ICD-7/8: only a translation of harkit's (no published one exists), partial at best
    assert set(el["ICD-8"]) <= {"", "partial"} and set(el["ICD-7"]) <= {"", "partial"}
    assert el.loc["chf", "ICD-8"] == "partial" and el.loc["depre", "ICD-8"] == ""


def test_elixhauser_icd7_icd8_translation():
    dx = pd.DataFrame({"person_id": ["a", "b", "c", "d"],
                       "code": ["722.0", "260.0", "571.09", "303.9"],
                       "code_system": ["ICD-7", "ICD-7", "ICD-8", "ICD-8"]})
    got = comorbidity(dx).set_index("person_id")
    assert got.loc["a", "rheumd"] and got.loc["a", "n_conditions"] == 1  # safe truncation
    assert got.loc["b", "diabunc"] and got.loc["b", "n_conditions"] == 1
    assert got.loc["c", "ld"]
    assert got.loc["d", "alcohol"] and got.loc["d", "n_conditions"] == 1


def _ranking_data(seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Persons in two groups with different age mixes; prevalences depend on age only."""
    rng = np.random.default_rng(seed)
    n = 4000
    group = rng.choice(["alcohol", "opioids"], n)
    sex = rng.choice(["female", "male"], n)
    # opioid users are mostly young, alcohol users mostly old (both span 20-79): crude
    # prevalences differ, standardised ones do not
    young = rng.random(n) < np.where(group == "opioids", 0.8, 0.2)
    age = np.where(young, rng.uniform(20, 50, n), rng.uniform(50, 80, n))
    p_a = np.where(age < 50, 0.30, 0.10)  # condition a: commoner when young
    p_b = np.full(n, 0.2)
    flags = pd.DataFrame({"person_id": np.arange(n), "a": rng.random(n) < p_a,
                          "b": rng.random(n) < p_b})
    cov = pd.DataFrame({"person_id": np.arange(n), "age": age, "sex": sex, "group": group})
    return flags, cov, {"n": n}


def test_prevalence_ranking_standardises_and_matches_a_direct_computation():
    flags, cov, _ = _ranking_data()
    res = prevalence_ranking(flags, cov, by="group", suppress=False)
    assert list(res.columns[:2]) == ["group", "condition"]
    # independent direct standardisation with pandas, same standard (all persons)
    d = flags.merge(cov, on="person_id")
    d["band"] = (d["age"] // 10 * 10).astype(int)
    std = d.groupby(["band", "sex"]).size() / len(d)
    for (g, c), row in res.set_index(["group", "condition"]).iterrows():
        sub = d[d["group"] == g]
        p = sub.groupby(["band", "sex"])[c].mean()
        w = std.reindex(p.index)
        assert row["standardised"] == pytest.approx(float((w / w.sum() * p).sum()), rel=1e-12)
        assert row["crude"] == pytest.approx(sub[c].mean())
        assert row["ci_low"] < row["standardised"] < row["ci_high"]
    # crude prevalence of 'a' differs by group (age mix), the standardised ones much less
    a = res[res["condition"] == "a"].set_index("group")
    crude_gap = abs(a.loc["opioids", "crude"] - a.loc["alcohol", "crude"])
    std_gap = abs(a.loc["opioids", "standardised"] - a.loc["alcohol", "standardised"])
    assert crude_gap > 0.08 and std_gap < 0.03
    # ranks within group
    assert set(res.groupby("group")["rank"].apply(tuple)) <= {(1, 2), (1, 1)}


def test_prevalence_ranking_by_sex_standardises_by_age_within_sex():
    flags, cov, _ = _ranking_data()
    res = prevalence_ranking(flags, cov, by=["group", "sex"], suppress=False)
    assert len(res) == 2 * 2 * 2
    d = flags.merge(cov, on="person_id")
    d["band"] = (d["age"] // 10 * 10).astype(int)
    std = d.groupby(["band", "sex"]).size() / len(d)
    row = res.set_index(["group", "sex", "condition"]).loc[("opioids", "male", "a")]
    sub = d[(d["group"] == "opioids") & (d["sex"] == "male")]
    p = sub.groupby(["band", "sex"])["a"].mean()
    w = std.reindex(p.index)
    assert row["standardised"] == pytest.approx(float((w / w.sum() * p).sum()), rel=1e-12)


def test_prevalence_ranking_ci_coverage():
    """The interval covers the true standardised prevalence about 95% of the time."""
    hits = 0
    reps = 200
    for s in range(reps):
        flags, cov, _ = _ranking_data(100 + s)
        res = prevalence_ranking(flags[["person_id", "b"]], cov, suppress=False).iloc[0]
        hits += res["ci_low"] <= 0.2 <= res["ci_high"]
    assert 0.90 <= hits / reps <= 0.99


def test_prevalence_ranking_is_suppressed_by_default():
    flags, cov, _ = _ranking_data()
    small = flags.head(40).copy()
    small["rare"] = False
    small.loc[small.index[:2], "rare"] = True
    shown = prevalence_ranking(small, cov, conditions=["rare", "b"])
    row = shown.set_index("condition").loc["rare"]
    assert isinstance(row["n"], str) and np.isnan(row["standardised"])


def test_public_api():
    assert hk.icd.comorbidity is comorbidity
    assert hk.icd.prevalence_ranking is prevalence_ranking


def test_prevalence_ranking_under_the_report_policy():
    """Rounded counts with thousands separators keep their estimates; crude from shown counts."""
    flags, cov, _ = _ranking_data()
    with hk.privacy.policy("report"):
        shown = prevalence_ranking(flags, cov, by="group")
    raw = prevalence_ranking(flags, cov, by="group", suppress=False)
    assert shown["standardised"].notna().all()
    assert (shown["standardised"] == raw["standardised"]).all()
    n = shown["n"].astype(str).str.replace(",", "").astype(int)
    persons = shown["persons"].astype(str).str.replace(",", "").astype(int)
    assert (n % 5 == 0).all() and (persons % 5 == 0).all()
    assert np.allclose(shown["crude"], n / persons)
