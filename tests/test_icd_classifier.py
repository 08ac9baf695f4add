"""TextClassifier and its evaluation on the synthetic register (harkit.icd.classifier)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harkit import synth
from harkit.icd.classifier import (
    NONE_LABEL,
    TextClassifier,
    evaluate,
    rules_then_model,
)
from harkit.icd.text import fold_text, text_rules

THRESHOLD = 0.6


@pytest.fixture(scope="module")
def register():
    ex, truth = synth.generate(8000, seed=7, sud_fraction=0.5, progress=False,
                               return_truth=True)
    dx = ex.diagnoses.merge(truth.diagnoses, on="diagnosis_id")
    return dx[dx["diagnosis_text"].notna()]


@pytest.fixture(scope="module")
def fitted(register):
    train = register[register["coded"]]
    return TextClassifier(threshold=THRESHOLD).fit(train["diagnosis_text"],
                                                   train["substance"], cv=5, seed=0)


@pytest.fixture(scope="module")
def uncoded(register):
    test = register[~register["coded"]]
    return test["diagnosis_text"].reset_index(drop=True), test["substance"].reset_index(
        drop=True)


def _toy():
    texts = pd.Series(["Alkoholisme", "Alkoholmisbruk", "Drukkenskap", "Heroinmisbruk",
                       "Morfinisme", "Opiatavhengighet", "Pneumoni", "Lungebetennelse",
                       "Hjertesvikt"] * 4)
    labels = pd.Series(["alcohol"] * 3 + ["opioids"] * 3 + [None] * 3)
    return texts, pd.concat([labels] * 4, ignore_index=True)


def test_fit_predict_score_toy():
    texts, labels = _toy()
    clf = TextClassifier(threshold=0.5).fit(texts, labels, cv=2, seed=0)
    assert set(clf.classes_) == {"alcohol", "opioids", NONE_LABEL}
    assert clf.n_train_ == 36 and clf.n_distinct_ == 9
    pred = clf.predict(pd.Series(["alkoholisme", "HEROIN-misbruk", "lungebetennelse", None],
                                 index=[5, 6, 7, 8]))
    assert list(pred.index) == [5, 6, 7, 8]
    assert list(pred.columns) == ["category", "probability", "abstained"]
    assert pred["category"].iloc[:2].tolist() == ["alcohol", "opioids"]
    assert pd.isna(pred["category"].iloc[2]) and not pred["abstained"].iloc[2]
    assert pd.isna(pred["category"].iloc[3]) and np.isnan(pred["probability"].iloc[3])
    s = clf.score(texts, labels)
    assert s["macro_f1"] == pytest.approx(1.0) and s["abstention"] == 0.0
    assert s["accuracy"] == pytest.approx(1.0) and s["n"] == 36
    rep = clf.cv_report_
    assert list(rep.columns) == ["precision", "recall", "f1", "support"]
    assert rep.loc["macro avg", "support"] == 24  # rows of the two real categories


def test_threshold_abstains():
    texts, labels = _toy()
    clf = TextClassifier(threshold=0.99).fit(texts, labels, cv=None)
    pred = clf.predict(pd.Series(["Alkohol og heroin"]))
    assert bool(pred["abstained"].iloc[0]) and pd.isna(pred["category"].iloc[0])
    assert clf.cv_report_ is None
    with pytest.raises(ValueError, match="threshold"):
        TextClassifier(threshold=1.5)
    with pytest.raises(ValueError, match="two classes"):
        TextClassifier().fit(pd.Series(["a", "b"]), pd.Series(["x", "x"]))


def test_deterministic_under_seed(register):
    sample = register[register["coded"]].sample(3000, random_state=1)
    a = TextClassifier().fit(sample["diagnosis_text"], sample["substance"], cv=3, seed=4)
    b = TextClassifier().fit(sample["diagnosis_text"], sample["substance"], cv=3, seed=4)
    pd.testing.assert_frame_equal(a.cv_report_, b.cv_report_)
    texts = pd.Series(["Morfinisme", "Hasjmisbruk", "Sniffing", "Drukkenskap"])
    pd.testing.assert_frame_equal(a.predict_proba(texts), b.predict_proba(texts))


def test_evaluate():
    res = evaluate(pd.Series(["a", "b", None, "a"]), pd.Series(["a", "b", None, "b"]),
                   pd.Series([False, False, False, True]))
    assert res == {"macro_f1": 1.0, "accuracy": 1.0, "abstention": 0.25, "n": 4}
    res = evaluate(pd.Series(["a", None]), pd.Series(["a", "b"]))
    assert res["macro_f1"] == pytest.approx(0.5) and res["accuracy"] == 0.5


def test_cv_report_on_coded_rows(fitted):
    rep = fitted.cv_report_
    # held-out wordings: alcohol and stimulant texts generalise, solvents poorly. With the
    # generator's clinician phrasings (harkit.synth.dxtext) coded rows hold ~1,100 distinct
    # texts instead of ~120 ICD titles, so held-out wordings share words with seen ones
    # (n=8000, seed=7: solvents F1 0.51, macro 0.90; was 0.00 and 0.73 with titles only).
    assert rep.loc["alcohol", "f1"] > 0.99
    assert rep.loc["stimulants", "f1"] > 0.95
    assert rep.loc["solvents", "f1"] < 0.7
    assert 0.8 < rep.loc["macro avg", "f1"] < 0.95


def test_synthetic_uncoded_rows(fitted, uncoded):
    """Fit on coded rows, evaluate on uncoded rows against truth.diagnoses.

    Figures (n=8000, seed=7; 3,102 of 11,992 uncoded rows are SUD), with the generator's
    varied diagnosis texts (clinician phrasings, abbreviations, qualifiers, OCR noise;
    harkit.synth.dxtext): rules alone macro-F1 0.88 (0.2 % abstention), 0.92 without the
    abbreviated wordings ("barbituratmisbr.", "blandingsmisbr.", which the lexicon lacks,
    and "Delirium trem.", "DT", which it reads since it has abbreviated delirium tremens),
    model alone 0.94, rules-then-model 0.96. Co-used substances
    are recorded as secondary diagnoses (sedatives for 15-60 % of the groups), so
    "barbituratmisbr." is common and pulls the rules' sedatives recall down to 0.69 (before
    the generator drew co-use, when it was rare: rules 0.91, model 0.97, both 0.97).
    Before the variants (~30 fixed uncoded wordings the lexicon was written from) the
    figures were 0.999 / 0.81 / 0.95. The model figure is optimistic: coded and uncoded
    rows draw their phrasings from the same variant table.
    """
    texts, truth = uncoded
    rules = text_rules(texts)
    low = rules["substance"].notna() & (rules["confidence"] < THRESHOLD)
    r = evaluate(rules["substance"].where(~low), truth, low)
    abbrev = texts.str.contains(r"misbr\.|trem\.|^\s*dt\.?\s*$", case=False, regex=True)
    r_known = evaluate(rules["substance"].where(~low)[~abbrev], truth[~abbrev], low[~abbrev])
    assert r_known["macro_f1"] >= 0.90 and r_known["abstention"] < 0.10
    # the misbr. abbreviations are a lexicon gap: they only cost recall
    assert 0.85 < r["macro_f1"] < r_known["macro_f1"] and r["abstention"] < 0.10
    rg = rules["substance"].where(~low).astype(object).fillna("-").to_numpy()[abbrev]
    rw = truth.astype(object).fillna("-").to_numpy()[abbrev]
    assert ((rg == rw) | (rg == "-")).all() and (rg == "-").mean() > 0.2
    # abbreviated delirium tremens (DT, delirium trem.) is read since the lexicon has it
    dt = texts.str.contains(r"trem\.|^\s*dt\.?\s*$", case=False, regex=True).to_numpy()[abbrev]
    # (some are held below the threshold by an uncertain or negated context)
    assert dt.sum() > 10 and (rg[dt] == rw[dt]).mean() > 0.8, (rg[dt] == rw[dt]).mean()
    m = fitted.score(texts, truth)
    assert 0.85 < m["macro_f1"] < 0.995 and m["abstention"] < 0.10
    both = rules_then_model(texts, fitted, rules=rules)
    ab = both["source"].isna() & both["category"].isna() & low
    c = evaluate(both["category"], truth, ab)
    print(f"\nrules {r}\nrules, lexicon wordings {r_known}\nmodel {m}\nrules_then_model {c}")
    assert c["macro_f1"] >= 0.90 and c["abstention"] < 0.10
    assert c["macro_f1"] > m["macro_f1"]
    # what is left (about 1.6 %): wordings neither the lexicon nor the model knows
    # (drikkfeldighet, Abstinensreaksjon, OCR-split words, barbituratmisbr.) and generic
    # "Narkomani" (truly opioids or polydrug); a wrong substance otherwise only for an
    # OCR-split word ("HAS JRØYKER" read as tobacco) that the rules get right unsplit
    got = both["category"].astype(object).fillna("-").to_numpy()
    want = truth.astype(object).fillna("-").to_numpy()
    missed = got != want
    assert missed.mean() < 0.03
    wrong = missed & (got != "-")
    generic = texts[wrong].map(fold_text).str.replace(r"\W", "", regex=True).str.contains(
        "narkomani|rusogmedikament")
    unsplit = text_rules(texts[wrong].str.replace(r"\s", "", regex=True))["substance"]
    assert (generic.to_numpy()
            | (unsplit.astype(object).fillna("-").to_numpy() == want[wrong])).all()


def test_rules_then_model_refuses_negated(fitted):
    out = rules_then_model(pd.Series(["ikke alkoholisme", "Alkoholisme", "Lårhalsbrudd",
                                      "Narkomani"]), fitted)
    assert pd.isna(out["category"].iloc[0]) and pd.isna(out["source"].iloc[0])
    assert out["category"].iloc[1] == "alcohol" and out["source"].iloc[1] == "rules"
    assert pd.isna(out["category"].iloc[2]) and out["source"].iloc[2] == "model"
    assert out["source"].iloc[3] == "model"  # weak rule hit handed to the model
    rules_only = rules_then_model(pd.Series(["Narkomani", "Hasjmisbruk"]))
    assert pd.isna(rules_only["category"].iloc[0])
    assert rules_only["category"].iloc[1] == "cannabis"
