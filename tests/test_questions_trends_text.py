"""Unit tests of harkit.questions.disease_trends and harkit.questions.text_vs_codes."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import harkit as hk
from harkit.questions import disease_trends as dt
from harkit.questions import text_vs_codes as tc

# --------------------------------------------------------------------------- disease_trends


def _dx(rows):
    d = pd.DataFrame(rows, columns=["code", "code_system", "diagnosis_text", "date"])
    d.insert(0, "diagnosis_id", [f"D{i:04d}" for i in range(len(d))])
    d.insert(1, "person_id", [f"P{i % 3:04d}" for i in range(len(d))])
    d["date"] = pd.to_datetime(d["date"])
    return d


def test_sud_diagnoses_groups_revisions_and_years():
    dx = _dx([
        ("322.1", "ICD-7", "", "1955-05-01"),     # alcohol
        ("323", "ICD-7", "", "1968-12-31"),       # no drug named: polydrug
        ("304.0", "ICD-8", "", "1969-01-01"),     # opioids
        ("304.4", "ICD-8", "", "1986-06-01"),     # cocaine -> stimulants
        ("305.0", "ICD-9", "", "1987-01-01"),     # alcohol
        ("F17.2", "ICD-10", "", "2000-01-01"),    # tobacco: not a substance-use diagnosis
        ("F18.2", "ICD-10", "", "2005-01-01"),    # solvents -> other drugs
        ("I21", "ICD-10", "", "2005-01-01"),      # not substance use
        (None, "none", "Drukkenskap", "1999-03-01"),  # uncoded text, mapped by the rules
        ("F10.2", "ICD-10", "", "1949-12-31"),    # before the window
    ])
    sud = dt.sud_diagnoses(dx)
    assert sud.attrs["source"] == "register"
    got = dict(zip(sud["diagnosis_id"], zip(sud["group"].astype(str), sud["revision"].astype(str),
                                            sud["drug"].astype(str), sud["coded"])))
    assert got == {
        "D0000": ("alcohol", "ICD-7", "alcohol", True),
        "D0001": ("polydrug", "ICD-7", "drugs", True),
        "D0002": ("opioids", "ICD-8", "drugs", True),
        "D0003": ("stimulants", "ICD-8", "drugs", True),
        "D0004": ("alcohol", "ICD-9", "alcohol", True),
        "D0006": ("other drugs", "ICD-10", "drugs", True),
        "D0008": ("alcohol", "ICD-10", "alcohol", False),
    }
    assert list(sud["group"].cat.categories) == list(dt.GROUP_ORDER)
    # the ICD-9 start moves the revision of 1986
    late = dt.sud_diagnoses(dx, icd9_hospital_start=1986)
    assert late.set_index("diagnosis_id").loc["D0003", "revision"] == "ICD-9"
    # truth replaces the harmonised substance
    truth = pd.DataFrame({"diagnosis_id": dx["diagnosis_id"],
                          "substance": [None, "opioids", "opioids", "cocaine", "alcohol",
                                        None, "solvents", None, "alcohol", "alcohol"]})
    true = dt.sud_diagnoses(dx, truth=truth, years=(1950, 2004))
    assert true.attrs["source"] == "truth"
    assert dict(zip(true["diagnosis_id"], true["group"].astype(str))) == {
        "D0001": "opioids", "D0002": "opioids", "D0003": "stimulants", "D0004": "alcohol",
        "D0008": "alcohol"}
    with pytest.raises(ValueError, match="diagnosis_id"):
        dt.sud_diagnoses(dx, truth=truth.drop(columns="diagnosis_id"))


def _sud_frame(years, per_year, code_system="ICD-10"):
    rows = []
    for y, groups in zip(years, per_year, strict=True):
        for g, k in groups.items():
            rows += [{"year": y, "group": g, "code_system": code_system}] * k
    d = pd.DataFrame(rows)
    d["group"] = pd.Categorical(d["group"], categories=list(dt.GROUP_ORDER))
    d["drug"] = pd.Categorical(np.where(d["group"] == "alcohol", "alcohol", "drugs"),
                               categories=["alcohol", "drugs"])
    d["date"] = pd.to_datetime(d["year"].astype(str) + "-07-01")
    return d


def test_how_recorded_counts_share_and_suppression():
    d = pd.concat([_sud_frame([1955], [{"alcohol": 30}], "ICD-7"),
                   _sud_frame([1956], [{"alcohol": 30}], "none"),
                   _sud_frame([1975], [{"alcohol": 40}], "ICD-8"),
                   _sud_frame([1976], [{"alcohol": 3}], "none"),
                   _sud_frame([1985], [{"alcohol": 40}], "ICD-8"),
                   _sud_frame([1986], [{"alcohol": 8}], "none")], ignore_index=True)
    raw = dt.how_recorded(d, suppress=False).set_index("period")
    assert raw.loc["1950-1959", "ICD-7"] == 30 and raw.loc["1950-1959", "none"] == 30
    assert raw.loc["1950-1959", "text_percent"] == 50.0
    assert raw.loc["1970-1979", "text_percent"] == round(300 / 43, 1)
    shown = dt.how_recorded(d).set_index("period")
    assert shown.loc["1970-1979", "none"] == "*"          # 3 is hidden
    assert shown.loc["1980-1989", "none"] == "*"          # and its complement in the column
    assert (shown.loc["1970-1979", ["ICD-8", "total"]] == "*").any()  # and in the row
    assert pd.isna(shown.loc["1970-1979", "text_percent"])  # percents of hidden cells too
    assert pd.isna(shown.loc["1980-1989", "text_percent"])
    assert shown.loc["1950-1959", "text_percent"] == 50.0


def test_yearly_share_fills_missing_years():
    d = _sud_frame([2000, 2002], [{"alcohol": 3, "opioids": 1}, {"opioids": 2}])
    s = dt.yearly_share(d, "opioids")
    assert s["year"].tolist() == [2000, 2001, 2002]
    assert s["n"].tolist() == [1, 0, 2] and s["total"].tolist() == [4, 0, 2]
    assert s["proportion"].iloc[0] == 0.25 and np.isnan(s["proportion"].iloc[1])
    assert dt.yearly_share(d, "drugs", column="drug")["n"].tolist() == [1, 0, 2]
    with pytest.raises(ValueError):
        dt.yearly_share(d, "opioids", column="nope")


def test_revision_shifts_find_a_planted_jump_only_where_planted():
    rng = np.random.default_rng(2024)
    years = np.arange(1955, 2015)
    logit = -3 + 0.04 * (years - 1955) + np.log(2.0) * (years >= 1987)
    p = 1 / (1 + np.exp(-logit))
    per_year = []
    for pi in p:
        k = int(rng.binomial(800, pi))
        per_year.append({"opioids": k, "alcohol": 800 - k})
    d = _sud_frame(years, per_year)
    res = dt.revision_shifts(d, ["opioids"], trend="linear", scale=None)
    t = res.table.set_index("year")
    assert list(t.index) == [1969, 1987, 1999]
    assert t.loc[1987, "lower"] < 2.0 < t.loc[1987, "upper"]
    assert t.loc[1987, "p_value"] < 1e-6
    for y in (1969, 1999):
        assert t.loc[y, "lower"] < 1 < t.loc[y, "upper"], y
    se = (np.log(t["upper"]) - np.log(t["lower"])) / (2 * 1.959964)
    np.testing.assert_allclose(t["se_log"], se, rtol=1e-6)
    assert set(res.extra["fits"]) == {"opioids"}
    # the default categories need diagnoses before 1969 and from 1999
    assert dt.revision_shifts(d).table["category"].unique().tolist() == ["alcohol", "opioids"]


def test_binomial_x2_scale_is_pearson_over_df():
    # regression test: statsmodels' scale="X2" ignores the trials of a two-column binomial
    # response; revision_breaks must give quasi-binomial standard errors
    import statsmodels.api as sm

    rng = np.random.default_rng(5)
    years = np.arange(1960, 2011)
    total = rng.integers(150, 250, len(years))
    p = 1 / (1 + np.exp(-(-1 + 0.02 * (years - 1960))))
    n = rng.binomial(total, np.clip(p * rng.gamma(20, 1 / 20, len(years)), 0, 1))
    df = pd.DataFrame({"year": years, "n": n, "total": total})
    res = hk.trends.revision_breaks(df, time="year", count="n", total="total",
                                    family="binomial", scale="X2")
    x = res.model.model.exog
    ref = sm.GLM(n / total, x, family=sm.families.Binomial(), var_weights=total).fit(scale="X2")
    np.testing.assert_allclose(res.model.bse, ref.bse, rtol=1e-6)
    plain = hk.trends.revision_breaks(df, time="year", count="n", total="total",
                                      family="binomial")
    ratio = res.model.bse / plain.model.bse
    np.testing.assert_allclose(ratio, np.sqrt(plain.model.pearson_chi2 / plain.model.df_resid),
                               rtol=1e-6)


def test_compare_shifts_ratio_and_z():
    reg = pd.DataFrame({"category": ["a", "a"], "changeover": ["x", "y"], "year": [1969, 1987],
                        "odds_ratio": [4.0, 1.0], "lower": [2.0, 0.5], "upper": [8.0, 2.0],
                        "p_value": [0.0, 1.0], "se_log": [0.5, 0.3]})
    tru = reg.assign(odds_ratio=[1.0, 1.0])
    m = dt.compare_shifts(reg, tru)
    assert m["ratio"].tolist() == [4.0, 1.0]
    np.testing.assert_allclose(m["z"], [np.log(4) / 0.5, 0.0])


def test_hide_small_points_blanks_small_counts_only():
    series = pd.DataFrame({"year": [2000, 2001, 2002, 2003], "n": [0, 3, 10, 48],
                           "total": [20, 20, 20, 50]})
    res = hk.trends.joinpoint(series.assign(n=series["n"] + 1), time="year", count="n",
                              total="total", max_joinpoints=0, suppress=False)
    out = dt.hide_small_points(res, series)
    obs = out.extra["fitted"].set_index("time")["observed"]
    # 2001: 3 is small; 2003: 50 - 48 = 2 is small; 2000 (zero) and 2002 stay
    assert obs.isna().tolist() == [False, True, False, True]
    assert out.extra["hidden_points"] == 2
    assert not res.extra["fitted"]["observed"].isna().any()  # the input is untouched
    # the library does the same by default (one rule): 1+1=2 and 3+1=4 small, 50-49=1 too
    shown = hk.trends.joinpoint(series.assign(n=series["n"] + 1), time="year", count="n",
                                total="total", max_joinpoints=0)
    assert shown.extra["fitted"]["observed"].isna().tolist() == [True, True, False, True]


def test_standardised_share_by_hand():
    rows = []
    # period A: band 15 (1 of 10 with the event), band 60 (6 of 30); B: 5 of 10, 3 of 10
    for period, band_counts in (("A", ((20, 1, 10), (65, 6, 30))),
                                ("B", ((20, 5, 10), (65, 3, 10)))):
        for age, events, total in band_counts:
            rows += [{"p": period, "age": age, "e": i < events} for i in range(total)]
    d = pd.DataFrame(rows)
    res = dt.standardised_share(d, "e", by="p", age="age", bands=(15, 60), suppress=False)
    w = {15.0: 20 / 60, 60.0: 40 / 60}  # internal standard: all persons pooled
    assert res.extra["standard"].to_dict() == pytest.approx(w)
    t = res.table.set_index("p")
    assert t.loc["A", "standardised"] == pytest.approx(100 * (w[15] * 0.1 + w[60] * 0.2))
    assert t.loc["B", "standardised"] == pytest.approx(100 * (w[15] * 0.5 + w[60] * 0.3))
    assert t.loc["A", "crude"] == pytest.approx(100 * 7 / 40)
    assert (t["lower"] <= t["standardised"]).all() and (t["standardised"] <= t["upper"]).all()
    shown = dt.standardised_share(d, "e", by="p", age="age", bands=(15, 60)).table.set_index("p")
    assert shown.loc["A", "events"] == 7 or shown.loc["A", "events"] == "7"
    # a custom standard, and persons below the first band are left out with a warning
    with pytest.warns(UserWarning, match="below age 15"):
        d2 = pd.concat([d, pd.DataFrame({"p": ["A"], "age": [10], "e": [True]})])
        t2 = dt.standardised_share(d2, "e", by="p", age="age", bands=(15, 60), suppress=False,
                                   standard={15: 1, 60: 1}).table.set_index("p")
    assert t2.loc["A", "standardised"] == pytest.approx(100 * 0.15)


def test_standardised_share_hides_small_counts():
    rows = [{"p": "A", "age": 30, "e": i < 3} for i in range(50)]
    rows += [{"p": "B", "age": 30, "e": i < 20} for i in range(50)]
    t = dt.standardised_share(pd.DataFrame(rows), "e", by="p", age="age").table.set_index("p")
    assert str(t.loc["A", "events"]) in ("<5", "*")
    assert t.loc[["A"], ["crude", "standardised", "lower", "upper"]].isna().all(axis=None)


def test_planted_drug_share():
    spec = {"start": 1940, "full": 1965, "early": 0.03, "full_share": 0.92}
    got = dt.planted_drug_share([1900, 1939, 1940, 1952.5, 1965, 1990], spec)
    np.testing.assert_allclose(got, [0.03, 0.03, 0.03, 0.03 + 0.5 * 0.89, 0.92, 0.92])


def test_cohort_drug_share_pools_and_suppresses():
    rows = ([("other_sud", 1950)] * 30 + [("alcohol", 1951)] * 20 + [("alcohol", 1930)] * 50
            + [("other_sud", 1931)] * 2 + [("other_sud", 1970)] * 8 + [("other_sud", 1990)] * 7
            + [("none", 1950)] * 100 + [("alcohol", 1890)] * 9)
    co = pd.DataFrame(rows, columns=["sud_group", "birth_year"])
    spec = {"start": 1940, "full": 1965, "early": 0.03, "full_share": 0.92}
    t = dt.cohort_drug_share(co, width=10, first=1900, last=1960, planted=spec,
                             suppress=False).set_index("birth_cohort")
    assert t.index.tolist() == ["<1900", "1930-1939", "1950-1959", "1960+"]
    assert t.loc["1950-1959", "persons"] == 50 and t.loc["1950-1959", "drug_persons"] == 30
    assert t.loc["1960+", "persons"] == 15 and t.loc["1960+", "share"] == 1.0
    expected = (30 * dt.planted_drug_share(1950, spec) + 20 * dt.planted_drug_share(1951, spec))
    assert t.loc["1950-1959", "planted"] == pytest.approx(float(expected) / 50)
    shown = dt.cohort_drug_share(co, width=10, first=1900, last=1960).set_index("birth_cohort")
    assert str(shown.loc["1930-1939", "drug_persons"]) in ("<5", "*")
    assert np.isnan(shown.loc["1930-1939", "share"])
    # a given column replaces sud_group for who counts as a drug person
    alt = dt.cohort_drug_share(co, width=10, first=1900, last=1960, suppress=False,
                               drug=pd.Series(False, index=co.index))
    assert (alt["drug_persons"] == 0).all()


def test_register_vs_truth_counts():
    reg = _sud_frame([1960], [{"polydrug": 20, "alcohol": 30}])
    tru = _sud_frame([1960], [{"opioids": 15, "polydrug": 5, "alcohol": 30}])
    t = dt.register_vs_truth(reg, tru, suppress=False)
    assert t.loc["polydrug", "register"] == 20 and t.loc["polydrug", "truth"] == 5
    assert t.loc["polydrug", "ratio"] == 4.0 and t.loc["opioids", "register"] == 0
    assert "cannabis" not in t.index
    assert dt.register_vs_truth(reg, tru, years=(1970, None), suppress=False).empty


# --------------------------------------------------------------------------- text_vs_codes


@pytest.mark.parametrize("text", [
    "Innlagt 12.03.1957 for drukkenskap", "innl. 12/3-57", "dato 1957-03-12",
    "født 1. mars 1920", "Kontroll 3. okt. 1961", "sett i mars 1958", "12.3.57",
    "fnr 01021912345", "fnr 010219 12345"])
def test_mask_dates_masks_dates(text):
    masked = tc.mask_dates(text)
    assert "[dato]" in masked
    assert not any(ch.isdigit() for ch in masked.replace("[dato]", "").split("fnr")[-1])


@pytest.mark.parametrize("text", [
    "Tilbakeholdt etter sosialtjenesteloven § 6-2.", "Blodtrykk 120/80.", "Drikker 3 ganger",
    "Alkoholmisbruk gjennom 20 aar.", "Innlagt 1957.", "Marsjerte hjem."])
def test_mask_dates_leaves_other_text(text):
    assert tc.mask_dates(text) == text


def _docs(texts, persons=None):
    return pd.DataFrame({"document_id": [f"DOK{i}" for i in range(len(texts))],
                         "person_id": persons or [f"P{i}" for i in range(len(texts))],
                         "text": texts})


def test_example_contexts_flags():
    t = tc.example_contexts(["Ingen tegn til abstinens.", "Far drakk.",
                             "Tidligere alkoholmisbruk."])
    got = {(r.matched, r.concept): (r.negated, r.family, r.historical, r.counts)
           for r in t.itertuples()}
    assert got[("abstinens", "withdrawal")] == (True, False, False, False)
    assert got[("drakk", "alcohol")] == (False, True, False, False)
    assert got[("alkoholmisbruk", "alcohol")] == (False, False, True, True)


def test_masked_kwic_hides_injected_dates_of_birth():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex = hk.datasets.load_synthetic(600, seed=4, sud_fraction=0.5, documents=0.9)
    docs = ex.documents.merge(ex.persons[["person_id", "birth_date"]], on="person_id")
    docs = docs[ex.persons.set_index("person_id").loc[docs["person_id"],
                                                      "birth_date_precision"].eq("day").to_numpy()]
    docs["text"] = ("Født " + docs["birth_date"].dt.strftime("%d.%m.%Y") + ". "
                    + docs["text"].astype(str))
    hits = hk.text.search(docs, "@alcohol")
    assert len(hits) > 20
    raw = hk.text.kwic(hits, width=60, suppress=False)
    assert len(hk.privacy.check_no_identifiers(raw, extract=ex)) > 0  # the check can fail
    # the library function itself is safe by default: no ids, dates masked
    safe = hk.text.kwic(hits, width=60)
    assert "document_id" not in safe and safe.attrs["masked"] > 0
    assert hk.privacy.check_no_identifiers(safe, extract=ex).empty
    view = tc.masked_kwic(hits, n=None, width=60)
    assert len(view) == len(hits) and view.attrs["masked"] > 0
    assert "document_id" not in view and "person_id" not in view
    assert hk.privacy.check_no_identifiers(view, extract=ex).empty
    assert "document_id" in tc.masked_kwic(hits, n=3, document_id=True)


def test_query_counts_and_suppression():
    docs = _docs(["Alkoholisme."] * 6 + ["Ikke alkoholmisbruk."] * 2,
                 persons=["A", "A", "B", "C", "D", "E", "F", "G"])
    raw = tc.query_counts(docs, {"any": "@alcohol", "neg": "@alcohol:negated"}, suppress=False)
    assert raw[["documents", "persons"]].values.tolist() == [[8, 7], [2, 2]]
    shown = tc.query_counts(docs, ["@alcohol", "@alcohol:negated"])
    assert shown["label"].tolist() == ["@alcohol", "@alcohol:negated"]
    assert shown.loc[1, "documents"] == "<5"


def test_text_and_coded_flags():
    docs = _docs(["Alkoholisme. Ikke heroin.", "Bruker kokain.", "Far drakk.", "Ingenting."],
                 persons=["A", "A", "B", "C"])
    t = tc.text_flags(docs)
    assert list(t.columns) == list(tc.SUBSTANCE_CONCEPTS)
    assert sorted(t.index) == ["A", "B", "C"]
    assert t.loc["A", "alcohol"] and t.loc["A", "stimulants"] and not t.loc["A", "opioids"]
    assert not t.loc["B"].any() and not t.loc["C"].any()
    t0 = tc.text_flags(docs, context=False)
    assert t0.loc["A", "opioids"] and t0.loc["B", "alcohol"]
    cohort = pd.DataFrame({"person_id": ["A", "B", "X"], "uses_alcohol": [True, False, True],
                           "uses_cocaine": [False, True, False],
                           "uses_stimulants": [False, False, False]})
    c = tc.coded_flags(cohort, index=pd.Index(["A", "B", "C"], name="person_id"))
    assert c.loc["B", "stimulants"] and c.loc["A", "alcohol"] and not c.loc["C"].any()
    assert not c["opioids"].any()  # no uses_opioids column: all False
    truth = pd.DataFrame({"person_id": ["A", "C"], "uses_alcohol": [True, False]})
    f = tc.truth_flags(truth, ["alcohol"], index=pd.Index(["A", "B", "C"]))
    assert f["alcohol"].tolist() == [True, False, False]


def test_truth_flags_main_and_co_use():
    truth = pd.DataFrame({"person_id": ["A", "B", "C"],
                          "group": ["alcohol", "opioids", "none"],
                          "uses_alcohol": [True, True, False],
                          "uses_opioids": [False, True, False]})
    kw = {"concepts": ["alcohol", "opioids"]}
    uses = tc.truth_flags(truth, **kw)
    main = tc.truth_flags(truth, which="main", **kw)
    co = tc.truth_flags(truth, which="co_use", **kw)
    assert main.loc["A"].tolist() == [True, False] and main.loc["B"].tolist() == [False, True]
    assert co.loc["B"].tolist() == [True, False] and not co.loc["A"].any()
    assert not (main | co).loc["C"].any()
    # main and co-use split the substances used, without overlap
    assert ((main | co) == uses).all().all() and not (main & co).any().any()
    with pytest.raises(ValueError):
        tc.truth_flags(truth, which="other")


def test_agreement_by_hand():
    idx = pd.Index(range(20), name="person_id")
    text = pd.DataFrame({"x": [True] * 8 + [False] * 12}, index=idx)
    codes = pd.DataFrame({"x": [True] * 6 + [False] * 2 + [True] * 2 + [False] * 10},
                         index=idx)
    a = tc.agreement(text, codes, suppress=False).iloc[0]
    assert (a["both"], a["text_only"], a["codes_only"], a["neither"]) == (6, 2, 2, 10)
    po, pe = 16 / 20, 0.4 * 0.4 + 0.6 * 0.6
    assert a["agreement"] == 80.0
    assert a["kappa"] == pytest.approx(round((po - pe) / (1 - pe), 3))
    with pytest.warns(hk.privacy.DisclosureWarning):  # one concept: no other row to hide
        shown = tc.agreement(text, codes).iloc[0]
    assert shown["text_only"] in ("*", "<5") and np.isnan(shown["kappa"])


def test_against_truth_by_hand_and_suppression():
    idx = pd.Index(range(30), name="document_id")
    truth = pd.DataFrame({"a": [True] * 20 + [False] * 10, "b": [False] * 30}, index=idx)
    pred = pd.DataFrame({"a": [True] * 18 + [False] * 2 + [True] * 6 + [False] * 4,
                         "b": [False] * 30}, index=idx)
    t = tc.against_truth(pred, truth, suppress=False).set_index("concept")
    assert (t.loc["a", "tp"], t.loc["a", "fp"], t.loc["a", "fn"]) == (18, 6, 2)
    assert t.loc["a", "precision"] == pytest.approx(18 / 24)
    assert t.loc["a", "recall"] == pytest.approx(0.9)
    assert np.isnan(t.loc["b", "precision"]) and np.isnan(t.loc["b", "recall"])
    assert t.loc["all", "tp"] == 18 and t.loc["all", "fp"] == 6
    shown = tc.against_truth(pred, truth).set_index("concept")
    assert shown.loc["a", "fn"] == "*" and np.isnan(shown.loc["a", "recall"])
    # true = tp + fn used to give fn = 20 - 18 = 2 back: tp is hidden too (and so the
    # precision that rests on it)
    assert shown.loc["a", "tp"] == "*" and np.isnan(shown.loc["a", "precision"])
    assert shown.loc["all", "fn"] == "*" and shown.loc["all", "tp"] == "*"
    # rows missing from the prediction count as not flagged
    t2 = tc.against_truth(pred.iloc[:10], truth, suppress=False).set_index("concept")
    assert t2.loc["a", "fn"] == 10


def test_document_truth_and_context_flags():
    labels = pd.DataFrame({"document_id": ["D1", "D1", "D2"],
                           "concept": ["alcohol", "withdrawal", "alcohol"],
                           "affirmed": [True, False, False], "negated": [False, True, True],
                           "historical": False, "uncertain": False, "family": False})
    docs = _docs(["x", "y", "z"])
    docs["document_id"] = ["D1", "D2", "D3"]
    t = tc.document_truth(labels, docs, ["alcohol", "withdrawal"])
    assert t.to_dict("index") == {"D1": {"alcohol": True, "withdrawal": False},
                                  "D2": {"alcohol": False, "withdrawal": False},
                                  "D3": {"alcohol": False, "withdrawal": False}}
    n = tc.document_truth(labels, docs, ["alcohol", "withdrawal"], column="negated")
    assert n.loc["D1", "withdrawal"] and n.loc["D2", "alcohol"]
    docs2 = _docs(["Ingen tegn til abstinens. Alkoholisme.", "Far drakk."])
    hits = hk.text.search(docs2, "@alcohol OR @withdrawal")
    neg = tc.context_flags(hits, docs2, ["alcohol", "withdrawal"], flag="negated")
    assert neg.loc["DOK0", "withdrawal"] and not neg.loc["DOK0", "alcohol"]
    fam = tc.context_flags(hits, docs2, ["alcohol"], flag="family")
    assert fam["alcohol"].tolist() == [False, True]
    with pytest.raises(ValueError):
        tc.context_flags(hits, docs2, flag="affirmed")


def test_lexicon_summary_and_ocr_audit():
    s = tc.lexicon_summary()
    forms = [c for c in ("modern", "historical", "latin", "ocr") if c in s]
    assert (s["terms"] == s[forms].sum(axis=1)).all()
    assert s.loc["alcohol", "icd_categories"] == "alcohol"
    assert (s["unsourced"] <= s["terms"]).all()
    docs = _docs(["Alkobolisme."] * 6 + ["Heroiu."] * 2 + ["Alkoholisme."])
    lex, audit = tc.ocr_audit(docs)
    got = dict(zip(audit["neighbour"], audit["count"]))
    assert got["alkobol*"] == "6" and got["heroiu*"] == "<5"
    s2 = tc.lexicon_summary(lex)
    assert s2.loc["alcohol", "ocr"] >= 1
    hits = hk.text.search(docs, "@alcohol", lexicon=lex)
    assert hits["document_id"].nunique() == 7
    assert hk.text.search(docs, "@alcohol")["document_id"].nunique() == 1
    _, raw = tc.ocr_audit(docs, suppress=False)
    assert dict(zip(raw["neighbour"], raw["count"]))["heroiu*"] == 2
