import pandas as pd
import pytest

from harkit import privacy, schema
from harkit.extract import Extract


def small_extract():
    persons = schema.conform("persons", pd.DataFrame({
        "person_id": ["1", "2", "3"],
        "sex": ["male", "female", "male"],
        "birth_date": pd.to_datetime(["1920-07-01", "1931-03-15", "1940-05-02"]),
        "birth_date_precision": ["year", "month", "day"],
        "death_date": pd.to_datetime(["1980-01-02", "1990-07-01", "2001-05-02"]),
        "death_date_precision": ["day", "year", "day"],
    }))
    diagnoses = schema.conform("diagnoses", pd.DataFrame({
        "diagnosis_id": ["d1", "d2", "d3", "d4"],
        "person_id": ["1", "1", "2", "3"],
        "code": ["303,9", None, "F10.2", "571"],
        "code_system": ["ICD-8", "none", "ICD-10", None],
        "diagnosis_text": ["alkoholisme", "drukkenskap", "alkoholavhengighet", None],
    }))
    return Extract({"persons": persons, "diagnoses": diagnoses}, source="test")


def test_missing_tables_are_added_empty():
    ex = small_extract()
    assert set(ex.tables) == set(schema.TABLE_ORDER)
    assert len(ex.episodes) == 0
    assert list(ex.episodes.columns) == schema.TABLES["episodes"].column_names
    ex.validate()


def test_unknown_table_is_refused():
    with pytest.raises(ValueError, match="unknown tables"):
        Extract({"patients": pd.DataFrame()})


def test_summary_reports_counts_ranges_systems_and_uncoded():
    summary = small_extract().summary()
    lookup = {(s, i): v for s, i, v in summary.itertuples(index=False)}
    # row and code-system counts follow the disclosure policy: 3 persons are "<5"
    assert lookup[("rows", "persons")] == "<5"
    assert lookup[("code systems (diagnoses)", "ICD-8")] == "<5"
    with privacy.policy(threshold=1):
        exact = small_extract().summary()
    lookup = {(s, i): v for s, i, v in exact.itertuples(index=False)}
    assert lookup[("rows", "persons")] == "3"
    assert lookup[("rows", "diagnoses")] == "4"
    # Years only: exact extreme dates would identify single persons.
    assert lookup[("year range", "persons.death_date")] == "1980 to 2001"
    assert "1980-01-02" not in summary.to_string()
    assert lookup[("date precision", "persons.birth_date")] == "day 33.3%, month 33.3%, year 33.3%"
    assert lookup[("code systems (diagnoses)", "ICD-8")] == "1"
    assert lookup[("code systems (diagnoses)", "missing")] == "1"
    assert lookup[("uncoded", "diagnoses without a code")] == "25.0%"
    assert lookup[("rejects", "all rows")] == "0"


def test_summary_holds_no_identifiers():
    summary = small_extract().summary()
    text = summary.to_string()
    assert "d1" not in text and "d4" not in text
    assert "alkoholisme" not in text


def test_html_repr_lists_tables():
    html = small_extract()._repr_html_()
    assert "persons" in html and "<table>" in html
