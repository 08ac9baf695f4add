"""Tests for harkit.icd.overview: coverage, unmapped codes and the overview table."""

from __future__ import annotations

import pandas as pd
import pytest

from harkit import datasets
from harkit.icd.harmonise import harmonise
from harkit.icd.overview import coverage, overview, unmapped_codes


def _dx() -> pd.DataFrame:
    rows = (
        [("F10.2", "ICD-10", "Alkoholavhengighet", "2001-03-01")] * 7
        + [("F102", "ICD-10", "Alkoholavhengighet", "2002-03-01")] * 2
        + [("304.0", "ICD-8", "Narkomani: opium", "1975-01-01")] * 3
        + [("I10", "ICD-10", "Hypertensjon", "2003-01-01")] * 6
        + [("ZZ9", "ICD-10", "Rot", "2004-01-01")] * 5
        + [(None, "none", "Alcoholismus chronicus", "1930-01-01")] * 4
        + [(None, "none", "Lårhalsbrudd", "1931-01-01")] * 2
    )
    code, system, text, date = zip(*rows, strict=True)
    return pd.DataFrame({"person_id": [f"P{i}" for i in range(len(rows))],
                         "code": list(code), "code_system": list(system),
                         "diagnosis_text": list(text), "date": pd.to_datetime(list(date))})


@pytest.fixture(scope="module")
def harmonised() -> pd.DataFrame:
    return harmonise(_dx())


def test_overview_counts_sorted_and_suppressed(harmonised):
    raw = overview(harmonised, suppressed=False)
    assert list(raw.columns[:4]) == ["Diagnosetekst", "Count", "diagnosekode", "kodeverk"]
    assert raw["Count"].tolist() == sorted(raw["Count"], reverse=True)
    # F10.2 and F102 are the same code once normalised: 7 + 2 rows
    top = raw.iloc[0]
    assert (top["Diagnosetekst"], top["Count"], top["diagnosekode"]) == (
        "Alkoholavhengighet", 9, "F10.2")
    assert top["substance"] == "alcohol"
    assert raw["Count"].sum() == len(harmonised)
    shown = overview(harmonised)
    assert shown.attrs["suppressed_cells"] == (raw["Count"] < 5).sum()
    assert set(shown.loc[raw["Count"] < 5, "Count"]) == {"<5"}
    assert shown.loc[0, "Count"] == "9"


def test_overview_substance_related(harmonised):
    sub = overview(harmonised, substance_related=True, suppressed=False)
    assert set(sub["Diagnosetekst"]) == {"Alkoholavhengighet", "Narkomani: opium",
                                         "Alcoholismus chronicus"}
    assert sub.loc[sub["Diagnosetekst"] == "Alcoholismus chronicus", "mapped_by"].iloc[0] \
        == "text-rule"
    flat = overview(harmonised, by_code_system=False, threshold=3)
    assert "kodeverk" not in flat.columns
    assert flat.attrs["suppression_threshold"] == 3


def test_coverage_shares(harmonised):
    cov = coverage(harmonised, suppressed=False).set_index(["code_system", "decade"])
    icd10 = cov.loc[("ICD-10", 2000)]
    # 9 F10 + 6 I10 mapped by code (chapter counts), 5 garbage rows not mapped
    assert icd10["rows"] == 20 and icd10["by_code"] == 15
    assert icd10["share_mapped"] == pytest.approx(15 / 20)
    uncoded = cov.loc[("none", 1930)]
    assert uncoded["rows"] == 6 and uncoded["by_text"] == 4
    assert uncoded["share_text"] == pytest.approx(4 / 6)
    shown = coverage(harmonised)
    small = shown.set_index(["code_system", "decade"]).loc[("ICD-8", 1970)]
    assert small["rows"] == "<5" and pd.isna(small["share_mapped"])


def test_unmapped_codes(harmonised):
    un = unmapped_codes(harmonised, suppressed=False)
    assert un["count"].sum() == 5 + 2
    first = un.iloc[0]
    assert first["code"] == "ZZ9" and first["count"] == 5
    shown = unmapped_codes(harmonised)
    assert "<5" in set(shown["count"])


def test_fixture_end_to_end():
    ex = datasets.load_fixture()
    dx = harmonise(ex.diagnoses)
    assert len(dx) == len(ex.diagnoses) and dx.index.equals(ex.diagnoses.index)
    cov = coverage(dx, suppressed=False)
    assert cov["rows"].sum() == len(dx)
    # coded rows of the fixture come from the shipped-list revisions: nearly all map
    coded = cov[cov["code_system"].isin(["ICD-7", "ICD-8", "ICD-9", "ICD-10"])]
    assert coded["by_code"].sum() / coded["rows"].sum() > 0.95
    ov = overview(dx, substance_related=True)
    assert len(ov) > 10 and ov.attrs["suppressed_cells"] >= 0
    cod = harmonise(ex.causes_of_death)
    assert cod["cause_group"].notna().mean() > 0.9
