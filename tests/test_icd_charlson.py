"""Tests for harkit.icd.charlson: hierarchies, windows, synthetic truth, comorbidipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harkit import synth
from harkit.icd.charlson import apply_hierarchy, charlson, scheme_weights
from harkit.icd.harmonise import harmonise

#: The generator's condition names -> the Ludvigsson condition names.
GENERATOR_TO_LUDVIGSSON = {
    "mi": "myocardial_infarction", "chf": "congestive_heart_failure",
    "pvd": "peripheral_vascular_disease", "cvd": "cerebrovascular_disease",
    "dementia": "dementia", "copd": "chronic_obstructive_pulmonary_disease",
    "rheumatic": "rheumatic_disease", "ulcer": "peptic_ulcer_disease",
    "mild_liver": "mild_liver_disease", "diabetes": "diabetes_without_chronic_complication",
    "malignancy": "malignancy", "aids": "aids",
}

def _dx(rows: list[tuple]) -> pd.DataFrame:
    pid, code, system, date = zip(*rows, strict=True)
    return pd.DataFrame({"person_id": list(pid), "code": list(code),
                         "code_system": list(system), "date": pd.to_datetime(list(date))})


def test_weights_table():
    w = scheme_weights("ludvigsson")
    assert w["metastatic_cancer"] == 6 and w["moderate_severe_liver_disease"] == 3
    assert w["malignancy"] == 2 and w["myocardial_infarction"] == 1
    assert scheme_weights("quan")["aids"] == 6
    with pytest.raises(ValueError):
        scheme_weights("nonesuch")


def test_hierarchies_ludvigsson():
    dx = _dx([
        ("A", "K70.3", "ICD-10", "2000-01-01"),   # mild liver
        ("A", "R18", "ICD-10", "2001-01-01"),     # + ascites -> moderate/severe (3)
        ("B", "C34.9", "ICD-10", "2000-01-01"),   # malignancy ...
        ("B", "C78.0", "ICD-10", "2001-01-01"),   # ... with metastasis: 6 only
        ("C", "E11.9", "ICD-10", "2000-01-01"),   # diabetes without ...
        ("C", "E11.2", "ICD-10", "2001-01-01"),   # ... and with complication: 2 only
        ("D", "K70.3", "ICD-10", "2000-01-01"),   # mild liver alone: 1
        ("D", "I21.9", "ICD-10", "2000-01-01"),   # + MI: 2
        ("E", "R18", "ICD-10", "2000-01-01"),     # ascites alone counts nothing
    ])
    res = charlson(dx).set_index("person_id")
    assert res["charlson_score"].to_dict() == {"A": 3, "B": 6, "C": 2, "D": 2, "E": 0}
    assert res.loc["A", "moderate_severe_liver_disease"]
    assert not res.loc["A", "mild_liver_disease"]
    assert not res.loc["B", "malignancy"] and res.loc["B", "metastatic_cancer"]
    assert not res.loc["C", "diabetes_without_chronic_complication"]
    assert "liver_special" not in res.columns
    bools = res.drop(columns="charlson_score")
    assert all(pd.api.types.is_bool_dtype(bools[c]) for c in bools)


def test_apply_hierarchy_generic():
    flags = pd.DataFrame({"mild_liver_disease": [True, True],
                          "moderate_severe_liver_disease": [False, True],
                          "liver_special": [True, False]})
    out = apply_hierarchy(flags)
    assert out["moderate_severe_liver_disease"].tolist() == [True, True]
    assert out["mild_liver_disease"].tolist() == [False, False]


def test_revision_traps():
    dx = _dx([
        ("A", "581", "ICD-7", "1960-01-01"),    # ICD-7 581: cirrhosis -> mild liver
        ("B", "581", "ICD-9", "1990-01-01"),    # ICD-9 581: nephrotic syndrome
        ("C", "304", "ICD-7", "1960-01-01"),    # ICD-7 304: senile psychosis -> dementia
        ("D", "304.0", "ICD-8", "1975-01-01"),  # ICD-8 304.0: opioid dependence
        ("E", "581", None, "1962-03-01"),       # no system: the date says ICD-7
    ])
    res = charlson(dx).set_index("person_id")
    assert res.loc["A", "mild_liver_disease"] and res.loc["A", "charlson_score"] == 1
    assert not res.loc["B", "mild_liver_disease"]
    assert res.loc["C", "dementia"] and res.loc["D", "charlson_score"] == 0
    assert res.loc["E", "mild_liver_disease"]


def test_persons_and_zero_rows():
    dx = _dx([("A", "I21.9", "ICD-10", "2000-01-01")])
    res = charlson(dx, persons=pd.Series(["Z", "A", "Y"]))
    assert res["person_id"].tolist() == ["Z", "A", "Y"]
    assert res["charlson_score"].tolist() == [0, 1, 0]
    persons = pd.DataFrame({"person_id": ["A", "Q"]})
    assert len(charlson(dx, persons=persons)) == 2
    assert len(charlson(dx.iloc[:0], persons=persons)) == 2


def test_index_date_and_lookback():
    dx = _dx([
        ("A", "I21.9", "ICD-10", "2000-01-01"),   # exactly 5 years before: counted
        ("A", "I50.9", "ICD-10", "1999-12-31"),   # 5 years and a day: not counted
        ("A", "C34.9", "ICD-10", "2006-01-01"),   # after the index date: not counted
        ("B", "I21.9", "ICD-10", "2004-06-01"),
    ])
    index = pd.Series(pd.to_datetime(["2005-01-01", "2004-01-01"]), index=["A", "B"])
    res = charlson(dx, index_date=index, lookback_years=5).set_index("person_id")
    assert res.loc["A", "charlson_score"] == 1 and res.loc["A", "myocardial_infarction"]
    assert res.loc["B", "charlson_score"] == 0
    no_window = charlson(dx).set_index("person_id")
    assert no_window.loc["A", "charlson_score"] == 4
    dx["index"] = dx["person_id"].map(index)
    by_column = charlson(dx, index_date="index", lookback_years=5).set_index("person_id")
    assert by_column["charlson_score"].to_dict() == {"A": 1, "B": 0}
    with pytest.raises(ValueError):
        charlson(dx, lookback_years=5)


def test_harmonised_input_gives_same_result():
    dx = _dx([("A", "I219", "ICD-10", "2000-01-01"), ("B", "4101", None, "1980-01-01"),
              ("B", "xx", "ICD-9", "1990-01-01")])
    raw = charlson(dx)
    harm = charlson(harmonise(dx, text=False))
    pd.testing.assert_frame_equal(raw, harm)
    assert raw["charlson_score"].tolist() == [1, 1]


@pytest.fixture(scope="module")
def register():
    return synth.generate(4000, seed=7, sud_fraction=0.5, progress=False)


def test_synthetic_register_planted_score(register):
    """Planted conditions are recovered from the coded diagnoses, person by person.

    The generator writes ICD-7 Charlson codes in the Swedish list form (``722.00``,
    ``260.09``, ``420.1``), the 4-digit Norwegian form (``722.0``, ``260.0``: a safe
    truncation, same condition) or the bare 3-digit Norwegian form (``722``, ``260``,
    ``420``: ambiguous, no condition), and records which in ``truth.diagnoses.code_form``.
    So for every person whose planted conditions all appear among their mappable coded
    diagnoses the computed score equals the planted score exactly.

    The exceptions: a planted condition that the generator recorded only as uncoded text
    (``truth.diagnoses.coded`` False on all its rows; up to 55 % of diagnoses before 1950)
    or only as a bare ICD-7 category (``code_form == "norwegian_bare"``) is invisible to a
    code-based index (``harmonise(text=False)``). For those persons the score is below the
    planted score, never above. Every planted condition has at least one diagnosis row.
    """
    ex = register
    truth = ex.truth.persons.set_index("person_id")
    dx = harmonise(ex.diagnoses, text=False)
    res = charlson(dx, persons=truth.index).set_index("person_id")
    assert res.index.equals(truth.index)

    td = ex.truth.diagnoses.set_index("diagnosis_id").loc[ex.diagnoses["diagnosis_id"]]
    rows = pd.DataFrame({"person_id": ex.diagnoses["person_id"].to_numpy(),
                         "concept": td["concept"].to_numpy(),
                         "coded": (td["coded"] & ~td["code_form"].isin(
                                   ["norwegian_bare", "outside_list"]).fillna(False))
                                   .to_numpy(dtype=bool)})

    def _has(frame: pd.DataFrame) -> pd.DataFrame:
        return (frame.groupby(["person_id", "concept"]).size().unstack(fill_value=0)
                .reindex(index=truth.index, fill_value=0) > 0)

    seen, recorded = _has(rows[rows["coded"]]), _has(rows)
    none = np.zeros(len(truth), bool)
    w = scheme_weights("ludvigsson")
    expected = np.zeros(len(truth), dtype=np.int64)
    all_visible = np.ones(len(truth), dtype=bool)
    # alcoholic liver disease codes (K70.3, ICD-9 571.2, ICD-8 571, ICD-7 581.1) are mild
    # liver disease in the Swedish list too, and the generator plants mild liver disease
    # for every person with alcoholic liver disease
    # alcoholic cardiomyopathy codes (I42.6, ICD-9 425.5) are heart failure in the list,
    # and the generator plants heart failure for every person with it
    also = {"mild_liver": ["alcohol_liver"], "chf": ["alcohol_cardiomyopathy"]}
    for gen, cond in GENERATOR_TO_LUDVIGSSON.items():
        planted = truth[f"cond_{gen}"].to_numpy(dtype=bool)
        visible = seen[gen].to_numpy() if gen in seen else none.copy()
        for extra in also.get(gen, []):
            if extra in seen:
                visible = visible | seen[extra].to_numpy()
        assert (recorded[gen].to_numpy() | ~planted).all(), gen  # never unrecorded
        # every planted, coded condition is found, and nothing else
        assert (res[cond].to_numpy() == (planted & visible)).all(), gen
        expected += (planted & visible) * int(w[cond])
        all_visible &= visible | ~planted
    assert (res["charlson_score"].to_numpy() == expected).all()
    score, planted_score = res["charlson_score"].to_numpy(), truth["comorbidity"].to_numpy()
    # exact for every person whose planted conditions are all coded ...
    assert (score[all_visible] == planted_score[all_visible]).all()
    # ... and below the planted score for every other person (a text-only condition)
    assert (score[~all_visible] < planted_score[~all_visible]).all()
    assert all_visible.mean() > 0.85
    assert (truth["comorbidity"] > 0).sum() > 500
    # the other conditions are never planted and never found
    others = [c for c in res.columns if c not in GENERATOR_TO_LUDVIGSSON.values()
              and c != "charlson_score"]
    assert not res[others].to_numpy().any()


def test_generator_charlson_codes_are_in_the_list():
    """Every code-table row of a Charlson concept maps to its Ludvigsson condition.

    Bare 3-digit ICD-7 categories (``code_form`` ``norwegian_bare``) are left out here: they
    are ambiguous by design (see ``test_icd7_code_forms_in_generated_data``); so are the
    HIV codes before ICD-10 (``outside_list``: ICD-8 079.83, ICD-9 042), which the Swedish
    list does not hold.
    """
    from harkit.icd.codelists import codelists, match
    from harkit.synth import codes

    table = codes.diagnosis_table()
    table = table[(table["kind"] == "charlson") & (table["revision"] != "none")
                  & ~table["code_form"].isin(["norwegian_bare", "outside_list"])]
    got = match(table["code"].reset_index(drop=True), table["revision"].reset_index(drop=True),
                codelists(), "charlson_ludvigsson")
    want = table["concept"].map(GENERATOR_TO_LUDVIGSSON).to_numpy()
    assert (got.to_numpy(dtype=object) == want).all(), table.loc[
        got.to_numpy(dtype=object) != want, ["revision", "code"]]


def test_icd7_code_forms_in_generated_data(register):
    """Both ICD-7 forms occur in generated data and map as the safe-truncation rule says.

    Swedish list codes (``722,00``, ``260,09``, ``420,1``) and 4-digit Norwegian codes
    (``722.0``, ``260.0``) give their Charlson condition; bare Norwegian categories
    (``722``, ``260``, ``420``) give none and are reported as ambiguous by
    ``unmapped_codes``, never silently dropped.
    """
    from harkit.icd.overview import unmapped_codes

    ex = register
    h = harmonise(ex.diagnoses, text=False)
    td = ex.truth.diagnoses.set_index("diagnosis_id").loc[ex.diagnoses["diagnosis_id"]]
    form = td["code_form"].to_numpy(dtype=object)
    icd7 = (h["code_system"].astype("string") == "ICD-7").fillna(False).to_numpy()
    norm = h["code_norm"].astype("string").fillna("").to_numpy(dtype=object)
    res = charlson(h.assign(person_id=h["diagnosis_id"])).set_index("person_id")
    expected = {  # canonical code -> condition (None: ambiguous, no condition)
        "722.00": "rheumatic_disease", "722.0": "rheumatic_disease", "722": None,
        "260.09": "diabetes_without_chronic_complication",
        "260.0": "diabetes_without_chronic_complication", "260": None,
        "420.1": "myocardial_infarction", "420": None,
    }
    want_form = {"722.00": "swedish", "260.09": "swedish", "420.1": "swedish",
                 "722.0": "norwegian", "260.0": "norwegian",
                 "722": "norwegian_bare", "260": "norwegian_bare", "420": "norwegian_bare"}
    for code, cond in expected.items():
        rows = icd7 & (norm == code)
        assert rows.sum() >= 3, code  # every form occurs in the generated data
        assert (form[rows] == want_form[code]).all(), code
        flags = res.loc[h.loc[rows, "diagnosis_id"]].drop(columns="charlson_score")
        if cond is None:
            assert not flags.to_numpy().any(), code
        else:
            assert flags[cond].all() and flags.drop(columns=cond).sum(axis=1).eq(0).all(), code
    # both delivery forms of the Swedish code: comma decimal and dotted
    delivered = set(h.loc[icd7 & (norm == "722.00"), "code"].astype(str))
    assert {"722,00", "722.00"} <= delivered
    un = unmapped_codes(h, suppressed=False)
    amb = un[(un["code_system"] == "ICD-7") & (un["status"] == "ambiguous")]
    assert {"722", "260", "420"} <= set(amb["code_norm"].astype(str))
    trunc = un[(un["code_system"] == "ICD-7") & (un["status"] == "truncated")]
    assert {"722.0", "260.0"} <= set(trunc["code_norm"].astype(str))


def test_icd7_hemiplegia_both_forms():
    """Hemiplegia (not planted by the generator): ``357,00`` and ``357.0`` both map."""
    dx = pd.DataFrame({"person_id": ["A", "B", "C"],
                       "code": pd.array(["357,00", "357.0", "357"], dtype="string"),
                       "code_system": "ICD-7"})
    res = charlson(harmonise(dx, text=False)).set_index("person_id")
    assert res["hemiplegia"].tolist() == [True, True, False]


def _comorbidipy():
    pytest.importorskip("comorbidipy.mapping")  # fails on pandas 2 without the shim below


def _import_comorbidipy():
    import pandas.core.common as pcc

    # comorbidipy 0.5 imports a warning class pandas 2 moved to pandas.errors and
    # pandas 3 removed (copy-on-write has no chained-assignment warning)
    if not hasattr(pcc, "SettingWithCopyWarning"):
        pcc.SettingWithCopyWarning = getattr(pd.errors, "SettingWithCopyWarning", Warning)
    return pytest.importorskip("comorbidipy")


#: comorbidipy's Quan condition keys -> harkit's.
COMORBIDIPY_TO_HARKIT = {
    "ami": "myocardial_infarction", "chf": "congestive_heart_failure",
    "pvd": "peripheral_vascular_disease", "cevd": "cerebrovascular_disease",
    "dementia": "dementia", "copd": "chronic_pulmonary_disease",
    "rheumd": "rheumatic_disease", "pud": "peptic_ulcer_disease",
    "mld": "mild_liver_disease", "diab": "diabetes_without_chronic_complication",
    "diabwc": "diabetes_with_chronic_complication", "hp": "hemiplegia",
    "rend": "renal_disease", "canc": "malignancy", "msld": "moderate_severe_liver_disease",
    "metacanc": "metastatic_cancer", "aids": "aids",
}


def test_quan_icd10_agrees_with_comorbidipy():
    """Quan ICD-10 Charlson agrees with comorbidipy person by person.

    The sample is every comorbidipy prefix, with children (``+0``, ``+9``, ``+09``) and
    codes from outside the lists, drawn at random for 3,000 persons. Weights: Charlson
    1987 (comorbidipy ``weighting="charlson"``) with its hierarchies (``assign0``).
    No deliberate difference on ICD-10: the two lists coincide.
    """
    cb = _import_comorbidipy()
    from comorbidipy.mapping import mapping

    prefixes = sorted({p for v in mapping["charlson_icd10_quan"].values() for p in v})
    pool = set(prefixes)
    for p in prefixes:
        pool |= ({p + "0", p + "9"} if len(p) == 3 else {p + "9"})
    pool |= {"A09", "F10.2", "I10", "J18.9", "K35.8", "S72.0", "Z72.0", "K76.1", "N04",
             "E11", "C44.9", "C79", "I25.1", "B23.0"}
    pool = sorted(pool)
    rng = np.random.default_rng(3)
    n_rows = 30_000
    pid = rng.integers(0, 3000, n_rows)
    codes = np.array(pool, dtype=object)[rng.integers(0, len(pool), n_rows)]
    nodot = np.array([c.replace(".", "") for c in codes], dtype=object)
    ours = charlson(pd.DataFrame({"person_id": pid, "code": codes, "code_system": "ICD-10"}),
                    weights="quan").set_index("person_id")
    theirs = cb.comorbidity(pd.DataFrame({"id": pid, "code": nodot}), id="id", code="code",
                            age=None, score="charlson", icd="icd10", variant="quan",
                            weighting="charlson", assign0=True).set_index("id")
    theirs = theirs.reindex(ours.index, fill_value=0)
    assert (ours["charlson_score"].to_numpy() == theirs["comorbidity_score"].to_numpy()).all()
    from comorbidipy.assignzero import assignzero

    flags = assignzero(theirs[list(COMORBIDIPY_TO_HARKIT)].copy(), "charlson_icd10_quan")
    for key, cond in COMORBIDIPY_TO_HARKIT.items():
        assert (ours[cond].to_numpy() == (flags[key].to_numpy() > 0)).all(), cond
    assert ours["charlson_score"].mean() > 2
