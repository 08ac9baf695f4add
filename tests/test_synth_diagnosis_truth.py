"""Per-diagnosis truth of the synthetic register (``Truth.diagnoses``)."""

from __future__ import annotations

import pandas as pd
import pytest

from harkit import synth
from harkit.synth import codes

SUBSTANCES = {"alcohol", "opioids", "cannabis", "sedatives", "cocaine", "stimulants",
              "hallucinogens", "solvents", "polydrug", "tobacco"}
LEVELS = {"intoxication", "harmful_use", "dependence", "withdrawal", "withdrawal_delirium",
          "psychosis", "amnesic", "residual", "other", "unspecified"}


@pytest.fixture(scope="module")
def gen():
    return synth.generate(3000, seed=5, sud_fraction=0.5, progress=False, return_truth=True)


def test_one_row_per_diagnosis_in_order(gen):
    ex, truth = gen
    d = truth.diagnoses
    assert list(d.columns) == ["diagnosis_id", "concept", "kind", "substance", "sud_level",
                               "alcohol_somatic", "coded", "code_form"]
    assert len(d) == len(ex.diagnoses)
    assert (d["diagnosis_id"].to_numpy() == ex.diagnoses["diagnosis_id"].to_numpy()).all()
    assert ((~d["coded"]).to_numpy() == ex.diagnoses["code"].isna().to_numpy()).all()
    assert (ex.diagnoses.loc[~d["coded"].to_numpy(), "code_system"] == "none").all()


def test_categories_follow_the_code_table(gen):
    ex, truth = gen
    d = truth.diagnoses
    table = codes.diagnosis_table()
    # every (concept, text) pair whose text is a code-table text exists in the table, so the
    # row really produced it (other texts are clinician phrasings keyed to the same
    # categories, checked in test_synth_dxtext.py)
    pairs = set(zip(table["concept"], table["text"]))
    text = ex.diagnoses["diagnosis_text"]
    plain = text.isin(set(table["text"])).to_numpy()
    assert set(zip(d.loc[plain, "concept"], text[plain])) <= pairs
    assert 0.3 < plain.mean() < 0.95
    sud = d["kind"] == "sud"
    assert d.loc[sud, "substance"].notna().all() and d.loc[sud, "sud_level"].notna().all()
    assert d.loc[~sud, ["substance", "sud_level"]].isna().all().all()
    assert set(d["substance"].dropna()) <= SUBSTANCES
    assert set(d["sud_level"].dropna()) <= LEVELS
    # only the organ-disease concepts are alcohol-somatic, and only where the code says so
    organ = d["kind"] == "organ"
    assert d.loc[~organ, "alcohol_somatic"].isna().all()
    assert set(d.loc[organ, "alcohol_somatic"].dropna()) <= {"liver", "pancreas", "heart",
                                                             "nerves"}
    assert (d.loc[d["concept"] == "alcohol_liver", "alcohol_somatic"] == "liver").all()
    # concept -> substance, except the cocaine codes of the stimulants concept
    expected = {"alcohol_dependence": "alcohol", "alcohol_withdrawal": "alcohol",
                "opioids": "opioids", "cannabis": "cannabis", "sedatives": "sedatives",
                "polydrug": "polydrug", "solvents": "solvents"}
    for concept, sub in expected.items():
        assert set(d.loc[d["concept"] == concept, "substance"]) == {sub}
    stim = d[d["concept"] == "stimulants"]
    assert set(stim["substance"]) == {"stimulants", "cocaine"}
    coke = ex.diagnoses.loc[stim.index[stim["substance"] == "cocaine"], "code"].dropna()
    assert coke.str.upper().str.replace(",", ".").str.match(r"F14|304\.?[24]").all()


def test_specific_rows_and_counts(gen):
    ex, truth = gen
    d = truth.diagnoses.assign(text=ex.diagnoses["diagnosis_text"], code=ex.diagnoses["code"])
    dt = d[d["text"] == "Delirium tremens"]
    assert len(dt) > 0 and (dt["sud_level"] == "withdrawal_delirium").all()
    f102 = d[d["code"].fillna("").str.upper().str.strip().isin(["F10.2", "F102"])]
    assert len(f102) > 0 and (f102["sud_level"] == "dependence").all()
    # bookkeeping: uncoded rows are exactly those delivered without a code, and every
    # substance-use row (and only those) has a true substance
    assert int((~d["coded"]).sum()) == int(ex.diagnoses["code"].isna().sum())
    assert (d["substance"].notna() == (d["kind"] == "sud")).all()


def test_generation_unchanged_by_the_truth():
    # the truth only records what was drawn: two runs are identical
    a = synth.generate(300, seed=3, progress=False)
    b = synth.generate(300, seed=3, progress=False)
    pd.testing.assert_frame_equal(a.diagnoses, b.diagnoses)
    pd.testing.assert_frame_equal(a.truth.diagnoses, b.truth.diagnoses)
