"""Tests for harkit.icd.harmonise: revision traps, bad input, synthetic truth, text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harkit import synth
from harkit.icd.harmonise import CATEGORY_COLUMNS, harmonise
from harkit.icd.text import fold_text, text_rules

LIST_CSV = """list,category,code_system,pattern,description,source
substance,alcohol,ICD-10,F10,alcohol,test [V]
substance,opioids,ICD-10,F11,opioids,test [V]
substance,opioids,ICD-8,304.0,opium,test [V]
substance,polydrug,ICD-8,304,drug dependence,test [V]
substance,alcohol,ICD-7,322,alcoholism,test [V]
sud_level,dependence,ICD-10,F10.2,dependence,test [V]
chapter,mental,ICD-10,F00-F99,mental,test [V]
chapter,mental,ICD-7,300-326,mental,test [V]
chapter,digestive,ICD-7,530-587,digestive,test [V]
chapter,genitourinary,ICD-9,580-629,genitourinary,test [V]
cause_group,alcohol,ICD-10,F10,alcohol,test [V]
"""


def _dx(rows: list[tuple], index=None) -> pd.DataFrame:
    code, system, text, date = zip(*rows, strict=True)
    return pd.DataFrame({
        "person_id": [f"P{i}" for i in range(len(rows))],
        "code": pd.array(code, dtype="string"),
        "code_system": pd.Categorical(system, categories=["ICD-6", "ICD-7", "ICD-8", "ICD-9",
                                                          "ICD-10", "none"]),
        "diagnosis_text": pd.array(text, dtype="string"),
        "date": pd.to_datetime(list(date)),
    }, index=index)


#: (code system, code) -> list where the shipped list and the generator's truth disagree
#: (none at present; add a reason next to any entry).
KNOWN_DISAGREEMENTS: dict[tuple[str, str], str] = {}


@pytest.fixture()
def user_lists(tmp_path):
    path = tmp_path / "my_lists.csv"
    path.write_text(LIST_CSV, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small_register():
    return synth.generate(3000, seed=11, sud_fraction=0.5, progress=False)


def test_revision_traps_shipped_lists():
    dx = _dx([
        ("304", "ICD-7", "Psychosis senilis", "1960-05-01"),      # ICD-7 304: senile psychosis
        ("304.0", "ICD-8", "Narkomani: opium", "1975-05-01"),      # ICD-8 304.0: opioids
        ("30409", "ICD-8", "Narkomani: opium", "1975-05-01"),      # 5-digit hospital ICD-8
        ("304,0", "ICD-9", "Stoffavhengighet, morfintype", "1990-01-01"),
        ("581", "ICD-7", "Cirrhosis hepatis", "1960-01-01"),       # ICD-7 581: liver
        ("581", "ICD-9", "Nefrotisk syndrom", "1990-01-01"),       # ICD-9 581: kidney
        ("322.1", "ICD-7", "Alcoholismus chronicus", "1955-01-01"),
        ("322", "ICD-9", "Meningitt", "1990-01-01"),               # ICD-9 322: meningitis
    ])
    h = harmonise(dx, text=False)
    sub = h["substance"].astype(object).tolist()
    assert pd.isna(sub[0])
    assert sub[1] == sub[2] == sub[3] == "opioids"
    assert h["code_norm"].astype(object).tolist()[:3] == ["304", "304.0", "304.09"]
    assert h["chapter"].iloc[0] == "mental"
    assert h["chapter"].iloc[4] == "digestive"
    assert h["chapter"].iloc[5] == "genitourinary"
    assert sub[6] == "alcohol" and pd.isna(sub[7])
    assert (h["mapped_by"] == "code").all()
    assert (h["confidence"] == 1.0).all()


def test_user_code_list_and_keying_on_pair(user_lists):
    lists = pd.read_csv(user_lists, dtype=str)
    dx = _dx([
        ("F10.2", "ICD-10", None, "2001-01-01"),
        ("f102 ", "ICD-10", None, "2001-01-01"),
        ("304", "ICD-7", None, "1960-01-01"),
        ("304.0", "ICD-8", None, "1975-01-01"),
        ("304.5", "ICD-8", None, "1975-01-01"),
        ("581", "ICD-7", None, "1960-01-01"),
        ("581", "ICD-9", None, "1990-01-01"),
    ])
    for arg in ([user_lists], lists):
        h = harmonise(dx, codelists=arg, text=False)
        sub = h["substance"].astype(object)
        assert sub.iloc[0] == sub.iloc[1] == "alcohol"
        assert h["sud_level"].iloc[0] == "dependence"
        assert pd.isna(sub.iloc[2])
        assert sub.iloc[3] == "opioids"          # longest pattern wins
        assert h["chapter"].iloc[5] == "digestive"
        assert h["chapter"].iloc[6] == "genitourinary"
        assert h["cause_group"].isna().all()     # hospital diagnoses have no cause group
    h = harmonise(dx, codelists=lists, text=False)
    assert sub.iloc[4] == "polydrug"
    assert h.loc[0, "code_norm"] == "F10.2" and h.loc[1, "code_norm"] == "F10.2"


def test_index_order_and_columns_preserved():
    dx = _dx([
        ("F10.2", "ICD-10", "a", "2001-01-01"),
        ("303.9", "ICD-8", "b", "1975-01-01"),
        ("F11.2", "ICD-10", "c", "2005-01-01"),
    ], index=pd.Index([30, 10, 20], name="row"))
    h = harmonise(dx)
    assert h.index.equals(dx.index)
    assert list(h.columns[:len(dx.columns)]) == list(dx.columns)
    for col in CATEGORY_COLUMNS + ("code_norm", "code_flag", "code_system_inferred_by",
                                   "mapped_by", "confidence"):
        assert col in h.columns
    assert h.loc[10, "substance"] == "alcohol" and h.loc[20, "substance"] == "opioids"
    # the input is not modified
    assert "substance" not in dx.columns


def test_garbage_rows_flagged_not_raised():
    dx = _dx([
        ("", "ICD-10", None, "2001-01-01"),
        ("   ", None, None, "2001-01-01"),
        ("??!", "ICD-9", None, "1990-01-01"),
        (None, None, None, None),
        ("F10.2", None, None, None),            # no system, no date: syntax says ICD-10
        ("303.9", None, None, "1975-06-01"),    # no system: the date says ICD-8
        ("F10.2", "ICD-8", None, "1975-01-01"),  # letter code under a numeric revision
        ("303,9", "ICD-8", None, "1975-01-01"),
    ])
    dx["code_system"] = dx["code_system"].astype(object)
    dx.loc[1, "code_system"] = "ICD-11"         # unknown code system
    h = harmonise(dx)
    assert len(h) == len(dx)
    flags = h["code_flag"].astype(object)
    assert flags.iloc[0] == "empty" and pd.isna(h["code_norm"].iloc[0])
    assert "unknown code system" in flags.iloc[1]
    assert flags.iloc[2] == "invalid format" and pd.isna(h["substance"].iloc[2])
    assert h["mapped_by"].iloc[:4].isna().all()
    assert h["code_system"].iloc[4] == "ICD-10"
    assert not pd.isna(h["code_system_inferred_by"].iloc[4])
    assert h["code_system"].iloc[5] == "ICD-8" and h["substance"].iloc[5] == "alcohol"
    assert flags.iloc[6] == "letter code in a numeric revision"
    assert h["code_norm"].iloc[7] == "303.9"
    assert pd.isna(h["code_system_inferred_by"].iloc[7])


def test_empty_table():
    dx = _dx([("F10.2", "ICD-10", None, "2001-01-01")]).iloc[:0]
    h = harmonise(dx)
    assert len(h) == 0 and "substance" in h.columns


def test_causes_of_death_setting_and_death_dates():
    cod = pd.DataFrame({
        "person_id": ["A", "B", "C"],
        "code": ["F10.2", "3039", "3039"],
        "code_system": pd.Categorical([None, None, "ICD-9"]),
        "cause_type": ["underlying"] * 3,
        "line": [0, 0, 0],
    })
    # syntax alone: F10.2 is ICD-10; 3039 cannot be placed without a date
    h = harmonise(cod)
    assert h["code_system"].iloc[0] == "ICD-10"
    assert h["substance"].iloc[2] == "alcohol"
    h = harmonise(cod, death_dates={"A": "2001-05-01", "B": "1975-02-01"})
    assert h["code_system"].iloc[1] == "ICD-8"
    assert h["substance"].iloc[1] == "alcohol"
    assert h["death_date"].iloc[1] == pd.Timestamp("1975-02-01")
    assert "cause_group" in h.columns


def test_text_rules_for_uncoded_rows():
    dx = _dx([
        (None, "none", "Alcoholismus chronicus", "1930-01-01"),
        (None, "none", "Ikke alkoholmisbruk", "1930-01-01"),   # negated: not mapped
        (None, "none", "Lårhalsbrudd", "1930-01-01"),
        ("F11.2", "ICD-10", "Alkoholisme", "2001-01-01"),       # the code wins
    ])
    h = harmonise(dx)
    assert h["substance"].iloc[0] == "alcohol"
    assert h["mapped_by"].iloc[0] == "text-rule"
    assert 0 < h["confidence"].iloc[0] < 1.0 or h["confidence"].iloc[0] == 1.0
    assert pd.isna(h["substance"].iloc[1]) and pd.isna(h["mapped_by"].iloc[1])
    assert pd.isna(h["mapped_by"].iloc[2])
    assert h["substance"].iloc[3] == "opioids" and h["mapped_by"].iloc[3] == "code"
    off = harmonise(dx, text=False)
    assert pd.isna(off["substance"].iloc[0])


def test_text_model_fills_what_rules_leave():
    class Stub:
        def predict(self, texts):
            cat = ["cannabis" if "hasj" in t.lower() else None for t in texts]
            return pd.DataFrame({"category": cat,
                                 "probability": [0.8 if c else np.nan for c in cat]})

    dx = _dx([
        (None, "none", "Misbruker hasj daglig xq", "1990-01-01"),
        (None, "none", "Lårhalsbrudd", "1990-01-01"),
    ])
    h = harmonise(dx, text=False, model=Stub())
    assert h["substance"].iloc[0] == "cannabis" and h["mapped_by"].iloc[0] == "text-model"
    assert h["confidence"].iloc[0] == pytest.approx(0.8)
    assert pd.isna(h["mapped_by"].iloc[1])


def test_synthetic_register_true_categories_for_coded_rows(small_register):
    ex = small_register
    h = harmonise(ex.diagnoses, text=False)
    truth = ex.truth.diagnoses.set_index("diagnosis_id").loc[h["diagnosis_id"]]
    coded = truth["coded"].to_numpy()
    # Unspecific drug codes name no substance: ICD-7 323 "other drug addiction", ICD-8
    # 304.8x and ICD-9 304.6 "other" (which the generator uses for solvents). The generator
    # keeps the concept's substance there; the code can only say polydrug.
    system = h["code_system"].astype(object)
    norm = h["code_norm"].astype(object).fillna("")
    unspecific = (((system == "ICD-7") & (norm == "323"))
                  | ((system == "ICD-8") & norm.str.startswith("304.8"))
                  | ((system == "ICD-9") & (norm == "304.6"))).to_numpy()
    sel = coded & ~unspecific
    assert sel.sum() > 10_000
    for col in ("substance", "sud_level", "alcohol_somatic"):
        got = h[col].astype(object).fillna("-").to_numpy()[sel]
        want = truth[col].astype(object).fillna("-").to_numpy()[sel]
        same = got == want
        for (sys_, code), c in KNOWN_DISAGREEMENTS.items():
            if c == col:
                same |= ((system == sys_) & (norm == code)).to_numpy()[sel]
        bad = pd.DataFrame({"code": h["code"].to_numpy()[sel][~same],
                            "system": h["code_system"].to_numpy()[sel][~same],
                            "got": got[~same], "want": want[~same]}).drop_duplicates()
        assert same.all(), f"{col}: {len(bad)} mismatching codes\n{bad.head(20)}"
    assert (h["substance"].to_numpy()[coded & unspecific] == "polydrug").all()
    assert (h["code_system"].notna()).all()


def test_duplicate_index_and_plain_strings():
    dx = pd.DataFrame({"code": ["F10.2", "304.0", "garbage", "F11.2"],
                       "code_system": ["ICD-10", "icd8", "ICD-9", "10"],
                       "date": ["2001-01-01", "1975-01-01", "1990-01-01", "2001-01-01"]},
                      index=[1, 1, 2, 2])
    h = harmonise(dx)
    assert h.index.equals(dx.index)
    assert h["substance"].astype(object).tolist()[:2] == ["alcohol", "opioids"]
    assert h["code_system"].astype(object).tolist() == ["ICD-10", "ICD-8", "ICD-9", "ICD-10"]
    assert h["substance"].iloc[3] == "opioids"


def test_code_under_system_none_is_inferred_and_flagged():
    dx = _dx([("F10.2", "none", "x", "2001-01-01"), (None, "none", "y", "2001-01-01")])
    h = harmonise(dx, text=False)
    assert h["code_system"].astype(object).tolist() == ["ICD-10", "none"]
    assert h["code_flag"].iloc[0] == "code under code system none"
    assert h["substance"].iloc[0] == "alcohol"


def test_numeric_codes_are_read_as_text():
    dx = pd.DataFrame({"code": [3039, 30409], "code_system": ["ICD-8", "ICD-8"]})
    h = harmonise(dx, text=False)
    assert h["code_norm"].astype(object).tolist() == ["303.9", "304.09"]
    assert h["substance"].astype(object).tolist() == ["alcohol", "opioids"]


def test_fitted_text_classifier_on_uncoded_rows(small_register):
    """A classifier trained on the coded rows maps uncoded texts close to the truth."""
    classifier = pytest.importorskip("harkit.icd.classifier")
    ex = small_register
    h = harmonise(ex.diagnoses, text=False)
    coded = h[h["mapped_by"] == "code"]
    clf = classifier.TextClassifier().fit(coded["diagnosis_text"],
                                          coded["substance"].astype(object), cv=None)
    hm = harmonise(ex.diagnoses, text=False, model=clf)
    by_model = (hm["mapped_by"] == "text-model").to_numpy()
    truth = ex.truth.diagnoses.set_index("diagnosis_id").loc[hm["diagnosis_id"]]
    assert by_model.sum() > 300
    assert not truth["coded"].to_numpy()[by_model].any()
    got = hm["substance"].astype(object).to_numpy()[by_model]
    want = truth["substance"].astype(object).fillna("-").to_numpy()[by_model]
    # "Narkomani" is written for opioid and polydrug users alike: not all can agree
    assert (got == want).mean() > 0.9
    assert hm["confidence"].to_numpy()[by_model].min() >= 0.6
    # with the rules on, the rules come first
    both = harmonise(ex.diagnoses, model=clf)
    assert (both["mapped_by"] == "text-rule").sum() > (both["mapped_by"] == "text-model").sum()


def test_text_rules_recover_truth_for_uncoded_rows():
    """Uncoded rows mapped by the text rules agree with the generator's truth.

    On the generator's fixed uncoded wordings (``text_variants=False``; the varied texts
    are checked in the next test). Known ambiguity: "Narkomani" is written for opioid and
    polydrug users (the rules say polydrug) and "Abstinensreaksjon" names no substance;
    nothing else may differ.
    """
    ex = synth.generate(3000, seed=11, sud_fraction=0.5, text_variants=False,
                        progress=False)
    h = harmonise(ex.diagnoses)
    truth = ex.truth.diagnoses.set_index("diagnosis_id").loc[h["diagnosis_id"]]
    uncoded = ~truth["coded"].to_numpy()
    by_text = (h["mapped_by"] == "text-rule").to_numpy()
    assert by_text.sum() > 500 and not (by_text & ~uncoded).any()
    text = h["diagnosis_text"].astype(object).to_numpy()[uncoded]
    ambiguous = np.isin(text, ["Narkomani", "Abstinensreaksjon"])
    for col in ("substance", "sud_level", "alcohol_somatic"):
        got = h[col].astype(object).fillna("-").to_numpy()[uncoded]
        want = truth[col].astype(object).fillna("-").to_numpy()[uncoded]
        assert ((got == want) | ambiguous).all(), col
    got = h["substance"].astype(object).fillna("-").to_numpy()[uncoded]
    want = truth["substance"].astype(object).fillna("-").to_numpy()[uncoded]
    assert (got == want).mean() > 0.98


def test_text_rules_on_varied_uncoded_texts(small_register):
    """On the varied texts (clinician phrasings, OCR noise) the rules miss some, never lie.

    Seed 11, 3000 persons: substance agrees on 94.8 % of uncoded rows and sud_level on
    92.4 % (95.5 % and 93 % before the generator drew co-use); the misses are wordings
    outside the lexicon ("DT", "delirium trem.", "barbituratmisbr.", "drikkfeldighet",
    OCR-split words) left without a category, and sud_level "unspecified" for
    "alkoholiker"/"alkoholabusus". A wrong substance only comes from the known ambiguous
    "Narkomani" (also OCR "narkornani") and "rus- og medikamentmisbruk" (polydrug in the
    truth).
    """
    ex = small_register
    h = harmonise(ex.diagnoses)
    truth = ex.truth.diagnoses.set_index("diagnosis_id").loc[h["diagnosis_id"]]
    uncoded = ~truth["coded"].to_numpy()
    text = h["diagnosis_text"].astype(object).to_numpy()[uncoded]
    got = h["substance"].astype(object).fillna("-").to_numpy()[uncoded]
    want = truth["substance"].astype(object).fillna("-").to_numpy()[uncoded]
    assert 0.9 < (got == want).mean() < 0.99
    wrong = (got != want) & (got != "-")
    # folded as the rules see it: OCR "narkornani" is "narkomani"; or a word split by OCR
    # ("Car diomyopathia alcoholica": the organ missed, the bare alcohol word read alone)
    # that the rules read right once the blanks are removed
    folded = pd.Series(text[wrong], dtype=object).map(fold_text).str.replace(r"\W", "",
                                                                              regex=True)
    unsplit = text_rules(pd.Series(text[wrong], dtype=object).str.replace(r"\s", "",
                                                                           regex=True))
    unsplit_right = unsplit["substance"].astype(object).fillna("-").to_numpy() == want[wrong]
    assert (folded.str.contains("narkomani|rusogmedikament").to_numpy() | unsplit_right).all()
    g = h["sud_level"].astype(object).fillna("-").to_numpy()[uncoded]
    w = truth["sud_level"].astype(object).fillna("-").to_numpy()[uncoded]
    assert (g == w).mean() > 0.9
    # organ categories: never a wrong organ; missed only rarely (OCR-split organ words)
    g = h["alcohol_somatic"].astype(object).fillna("-").to_numpy()[uncoded]
    w = truth["alcohol_somatic"].astype(object).fillna("-").to_numpy()[uncoded]
    assert not ((g != w) & (g != "-")).any()
    assert (g == w).mean() > 0.995
