"""Tests of harkit.icd.infer: changeover years in both settings, syntax, and their combination."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harkit.icd.infer import (
    REVISION_PERIODS,
    infer_code_system,
    revision_in_force,
    revision_periods,
    syntax_candidates,
)
from harkit.schema import CODE_SYSTEM_CATEGORIES

HOSPITAL = [
    ("1950-06-01", "ICD-7"), ("1968-12-31", "ICD-7"), ("1969-01-01", "ICD-8"),
    ("1986-12-31", "ICD-8"), ("1987-01-01", "ICD-9"), ("1998-12-31", "ICD-9"),
    ("1999-01-01", "ICD-10"), ("2015-05-05", "ICD-10"),
]
DEATH = [
    ("1950-12-31", None), ("1951-01-01", "ICD-7"), ("1968-12-31", "ICD-7"),
    ("1969-01-01", "ICD-8"), ("1985-12-31", "ICD-8"), ("1986-01-01", "ICD-9"),
    ("1995-12-31", "ICD-9"), ("1996-01-01", "ICD-10"),
]


@pytest.mark.parametrize(("setting", "cases"), [("hospital", HOSPITAL), ("death", DEATH)])
def test_changeover_boundaries(setting, cases):
    dates = pd.Series(pd.to_datetime([d for d, _ in cases]), index=range(100, 100 + len(cases)))
    got = revision_in_force(dates, setting)
    assert got.index.equals(dates.index)
    assert list(got.cat.categories) == CODE_SYSTEM_CATEGORIES
    assert [None if pd.isna(v) else v for v in got] == [r for _, r in cases]


def test_icd9_hospital_start_parameter():
    years = [1985, 1986, 1987, 1988]
    assert revision_in_force(years, icd9_hospital_start=1986).tolist() == [
        "ICD-8", "ICD-9", "ICD-9", "ICD-9"]
    assert revision_in_force(years, icd9_hospital_start=1988).tolist() == [
        "ICD-8", "ICD-8", "ICD-8", "ICD-9"]
    assert revision_periods("hospital", 1986)["ICD-8"] == (1969, 1985)
    # death coding ignores the hospital parameter
    assert revision_in_force([1986], "death", icd9_hospital_start=1990).tolist() == ["ICD-9"]
    with pytest.raises(ValueError):
        revision_periods("hospital", 1960)
    with pytest.raises(ValueError):
        revision_periods("outpatient")


def test_revision_periods_constant_matches_function():
    assert revision_periods("death") == REVISION_PERIODS["death"]
    assert revision_periods("hospital", 1987) == REVISION_PERIODS["hospital"]


def test_years_strings_and_missing_dates():
    got = revision_in_force(pd.Series([1968.0, None, 1999]))
    assert got.iloc[0] == "ICD-7" and pd.isna(got.iloc[1]) and got.iloc[2] == "ICD-10"
    got = revision_in_force(["1975-03-01", "not a date", None])
    assert got.iloc[0] == "ICD-8" and got.iloc[1:].isna().all()


@pytest.mark.parametrize(
    ("code", "year", "setting", "system", "by"),
    [
        ("F10.2", 2001, "hospital", "ICD-10", "syntax+date"),
        ("F10.2", 1980, "hospital", "ICD-10", "syntax"),
        ("F102", None, "hospital", "ICD-10", "syntax"),
        ("303,9", 1975, "hospital", "ICD-8", "date"),
        ("303.9", 1986, "hospital", "ICD-8", "date"),
        ("303.9", 1986, "death", "ICD-9", "date"),
        ("303.9", 1960, "hospital", "ICD-7", "date"),
        ("303.9", 1997, "death", "ICD-9", "syntax+date"),
        ("303.9", 2005, "hospital", "ICD-9", "syntax+date"),
        ("303.9", None, "hospital", None, None),
        ("303X", 1990, "hospital", "ICD-9", "syntax+date"),
        ("303X", 1975, "hospital", "ICD-9", "syntax"),
        ("E860", 1990, "hospital", "ICD-9", "syntax+date"),
        ("E860", 2003, "hospital", "ICD-10", "syntax+date"),
        ("E860.0", 2003, "hospital", "ICD-9", "syntax+date"),
        ("E86.0", 1990, "hospital", "ICD-10", "syntax"),
        ("V43.4", 1990, "hospital", "ICD-9", "syntax+date"),
        ("V43.4", 2010, "hospital", "ICD-10", "syntax+date"),
        ("N820", 1965, "hospital", "ICD-7", "syntax+date"),
        ("N820", 2010, "hospital", "ICD-10", "syntax+date"),
        ("X42", 1995, "death", "ICD-10", "syntax"),
        ("", 1990, "hospital", "none", "syntax"),
        (None, None, "hospital", "none", "syntax"),
        ("rubbish", 1990, "hospital", None, None),
    ],
)
def test_infer_cases(code, year, setting, system, by):
    out = infer_code_system([code], [year], setting=setting)
    got_system, got_by = out["code_system"].iloc[0], out["inferred_by"].iloc[0]
    assert (None if pd.isna(got_system) else got_system) == system
    assert (None if pd.isna(got_by) else got_by) == by


def test_infer_frame_contract():
    idx = pd.Index(["a", "b", "c"])
    out = infer_code_system(pd.Series(["F10.2", "303.9", "3039"], index=idx),
                            pd.Series(pd.to_datetime(["2001-01-01", "1986-06-01", "1990-01-01"]),
                                      index=idx), icd9_hospital_start=1986)
    assert out.index.equals(idx)
    assert list(out.columns) == ["code_system", "inferred_by"]
    assert list(out["code_system"].cat.categories) == CODE_SYSTEM_CATEGORIES
    assert str(out["inferred_by"].dtype) == "string"
    assert out["code_system"].tolist() == ["ICD-10", "ICD-9", "ICD-9"]


def test_infer_numeric_input_and_bulk_property():
    out = infer_code_system(pd.Series([410, 303.9, None], dtype=object), [1975, 1990, 1990])
    assert out["code_system"].tolist()[:2] == ["ICD-8", "ICD-9"]
    assert out["code_system"].iloc[2] == "none"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.text(max_size=8), st.none()),
                          st.one_of(st.integers(1900, 2030), st.none())), max_size=20),
       st.sampled_from(["hospital", "death"]))
def test_property_infer_never_raises(pairs, setting):
    codes = pd.Series([c for c, _ in pairs], dtype=object)
    years = pd.Series([y for _, y in pairs], dtype="float64")
    out = infer_code_system(codes, years, setting=setting)
    assert len(out) == len(codes)
    decided = out["code_system"].notna()
    assert (out["inferred_by"].notna() == decided).all()


def test_infer_length_mismatch():
    with pytest.raises(ValueError):
        infer_code_system(["303"], [1990, 1991])


def test_syntax_candidates_masks():
    assert syntax_candidates("303.9") == 0b0111
    assert syntax_candidates("303X") == 0b0100
    assert syntax_candidates("F10.2") == 0b1000
    assert syntax_candidates("V43.4") == 0b1100
    assert syntax_candidates("") == -1
    assert syntax_candidates("???") == 0
