"""The ICD-7 safe-truncation rule on both code forms (Swedish 5-digit and bare Norwegian).

The data are built by hand: a register delivering the Swedish form (``260,09``) and one
delivering the bare Norwegian form (``260``, ``722.0``) for the same conditions.
"""

from __future__ import annotations

import pandas as pd
import pytest

import harkit as hk
from harkit.icd.codelists import codelists, match, truncation_status


@pytest.fixture(scope="module")
def lists() -> pd.DataFrame:
    return codelists()


def _status(lists, codes, system="ICD-7", name="charlson_ludvigsson"):
    return truncation_status(pd.Series(codes), system, lists, name)


def test_full_swedish_form_matches_exactly(lists):
    st = _status(lists, ["260.09", "722.00", "722.01", "260.21", "357.00"])
    assert st["status"].tolist() == ["exact"] * 5
    assert st["category"].tolist() == [
        "diabetes_without_chronic_complication", "rheumatic_disease", "rheumatic_disease",
        "diabetes_with_chronic_complication", "hemiplegia"]


def test_subcategory_with_one_condition_below_is_a_safe_truncation(lists):
    # 722.0: the list names 722,00 and 722,01, both rheumatic disease
    # 260.0: the list names 260,09 only (diabetes without complication)
    st = _status(lists, ["722.0", "260.0", "357.0"])
    assert st["status"].tolist() == ["truncated"] * 3
    assert st["category"].tolist() == ["rheumatic_disease",
                                       "diabetes_without_chronic_complication", "hemiplegia"]


def test_category_with_conditions_that_differ_below_is_ambiguous(lists):
    st = _status(lists, ["260", "420", "722"])
    assert st["status"].tolist() == ["ambiguous"] * 3
    assert st["category"].isna().all()
    # 260: both kinds of diabetes are under it
    assert set(st["candidates"].iat[0].split("|")) >= {
        "diabetes_with_chronic_complication", "diabetes_without_chronic_complication"}
    # 420: only 420.1 is named, so the other subcategories of 420 are unknown
    assert "(codes not in the list)" in st["candidates"].iat[1]
    # match gives them no category (never a guess), and truncation=False changes nothing
    # for full codes
    m = match(pd.Series(["260", "722.0", "260.09"]), "ICD-7", lists, "charlson_ludvigsson")
    assert m.isna().tolist() == [True, False, False]
    off = match(pd.Series(["722.0", "260.09"]), "ICD-7", lists, "charlson_ludvigsson",
                truncation=False)
    assert off.isna().tolist() == [True, False]


def test_one_condition_of_a_mixed_code_is_not_safe_in_a_sublist(lists):
    # the rule is decided against the whole list: diabetes_without's own rows alone would
    # say 260 is all diabetes_without
    sub = lists[(lists["list"] == "charlson_ludvigsson")
                & (lists["category"] == "diabetes_without_chronic_complication")]
    assert _status(sub, ["260"])["status"].iat[0] == "ambiguous"  # 3 characters: never safe
    dx = pd.DataFrame({"person_id": ["a"], "code": ["260"], "code_system": ["ICD-7"]})
    cci = hk.icd.charlson(dx)
    assert not cci.filter(like="diabetes").any(axis=None)
    assert cci["charlson_score"].iat[0] == 0


def _register(form: str) -> pd.DataFrame:
    """Three persons with rheumatoid arthritis, diabetes, and a code the list splits."""
    codes = {"swedish": ["722,00", "260,09", "260,21"],
             "norwegian": ["722.0", "260.0", "260"]}[form]
    return pd.DataFrame({"person_id": ["p1", "p2", "p3"], "code": codes,
                         "code_system": ["ICD-7"] * 3,
                         "date": pd.to_datetime(["1960-05-01"] * 3)})


def test_charlson_on_both_forms():
    sw = hk.icd.charlson(_register("swedish")).set_index("person_id")
    no = hk.icd.charlson(_register("norwegian")).set_index("person_id")
    # the safe truncations give the same flags as the full codes
    for col in ("rheumatic_disease", "diabetes_without_chronic_complication"):
        assert sw[col].tolist() == no[col].tolist()
    assert sw.loc["p1", "charlson_score"] == no.loc["p1", "charlson_score"] == 1
    assert sw.loc["p2", "charlson_score"] == no.loc["p2", "charlson_score"] == 1
    # bare 260 cannot say which diabetes: no flag (Swedish 260,21 is with complication)
    assert sw.loc["p3", "diabetes_with_chronic_complication"]
    assert not no.loc["p3"].drop("charlson_score").any()


def test_unmapped_codes_reports_ambiguous_and_truncated():
    h = hk.icd.harmonise(_register("norwegian"))
    un = hk.icd.unmapped_codes(h, suppressed=False).set_index("code_norm")
    assert un.loc["260", "status"] == "ambiguous"
    assert "charlson_ludvigsson: ambiguous" in un.loc["260", "detail"]
    assert un.loc["722.0", "status"] == "truncated"
    assert "rheumatic_disease" in un.loc["722.0", "detail"]
    assert un.loc["260", "count"] == 1
    # the Swedish form has nothing to report
    h_sw = hk.icd.harmonise(_register("swedish"))
    assert hk.icd.unmapped_codes(h_sw, suppressed=False).empty
    # without the truncation report only unmapped rows remain (the chapter maps all three)
    assert hk.icd.unmapped_codes(h, suppressed=False, truncations=False).empty
