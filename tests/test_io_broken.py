"""The deliberately broken deliveries in data_fixtures/broken: exact rejects and counts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from harkit import io, schema
from harkit.errors import SchemaError

BROKEN = Path(__file__).resolve().parents[1] / "data_fixtures" / "broken"
NA = None


def read(name: str, **kw):
    return io.read_extract(BROKEN / name, **kw)


def rejects(ex) -> list[tuple]:
    """Rejects as plain tuples (table, file, line, column, reason, value), NA as None."""
    r = ex.rejects.astype(object).where(ex.rejects.notna(), None)
    return [tuple(row) for row in r.itertuples(index=False)]


def counts(ex) -> list[list]:
    # Without the decoding column (added with it; tests of decoding check it directly).
    cols = ["table", "source_file", "rows_read", "rows_kept", "rows_rejected"]
    return ex.row_counts[cols].astype(object).values.tolist()


def check_schema(ex) -> None:
    for name in schema.TABLE_ORDER:
        schema.validate_table(name, ex.tables[name])
    rc = ex.row_counts
    assert (rc["rows_read"] == rc["rows_kept"] + rc["rows_rejected"]).all()


def test_missing_required_column():
    with pytest.warns(UserWarning, match="missing required column"):
        ex = read("missing_column")
    reason = ("missing required column(s) sex (kjonn); "
              "columns found: lopenr, fodselsdato, dodsdato")
    assert rejects(ex) == [
        ("persons", "pasient.csv", 2, NA, reason, NA),
        ("persons", "pasient.csv", 3, NA, reason, NA),
    ]
    assert counts(ex) == [["persons", "pasient.csv", 2, 0, 2]]
    assert len(ex.persons) == 0
    check_schema(ex)


def test_missing_required_column_strict():
    with pytest.raises(SchemaError, match=r"file 'pasient.csv', table 'persons': missing "
                                          r"required column\(s\) sex \(kjonn\)"):
        read("missing_column", strict=True)


def test_unparseable_dates():
    ex = read("unparseable_date.csv")
    f = "unparseable_date.csv"
    assert rejects(ex) == [
        ("persons", f, 3, "fodselsdato", "unparseable date: unrecognised format", "99/9-99"),
        ("persons", f, 4, "dodsdato", "unparseable date: unrecognised format", "XXXXXX"),
        ("persons", f, 5, "fodselsdato",
         "unparseable date: ambiguous 6 digits (yyyymm or ddmmyy)", "999999"),
    ]
    assert counts(ex) == [["persons", f, 4, 1, 3]]
    assert ex.persons["person_id"].tolist() == ["001"]
    check_schema(ex)


def test_impossible_dates():
    ex = read("impossible_dates")
    assert rejects(ex) == [
        ("diagnoses", "diagnose.csv", 3, "diagnosedato", "diagnosis date after death", "9999"),
        ("diagnoses", "diagnose.csv", 3, "lopenr",
         "person differs from the person of its episode", "999"),
        ("diagnoses", "diagnose.csv", 5, "diagnosedato", "diagnosis date before birth", "9999"),
        ("episodes", "opphold.csv", 3, "utdato", "discharge before admission", "99.99.9999"),
        ("episodes", "opphold.csv", 4, "inndato", "admission after death", "99.9999"),
        ("episodes", "opphold.csv", 6, "inndato", "admission after death", "9999"),
        ("episodes", "opphold.csv", 7, "inndato", "admission before birth", "9999"),
        ("episodes", "opphold.csv", 8, "utdato", "discharge after death", "99.9999"),
        ("persons", "pasient.csv", 3, "dodsdato", "death before birth", "99.99.9999"),
        ("persons", "pasient.csv", 4, "fodselsdato",
         "impossible date: no such day in that month", "99.99.9999"),
        ("persons", "pasient.csv", 5, "dodsdato", "impossible date: month above 12", "99.9999"),
    ]
    # A row failing two rules (line 3 of diagnose.csv) counts once.
    assert counts(ex) == [["diagnoses", "diagnose.csv", 4, 2, 2],
                          ["episodes", "opphold.csv", 7, 2, 5],
                          ["persons", "pasient.csv", 5, 2, 3]]
    # A year-only death (1957) does not reject an admission in September 1957,
    # nor an admission in the death year 1979/1980.
    assert ex.episodes["episode_id"].tolist() == ["E1", "E4"]
    assert ex.diagnoses["diagnosis_id"].tolist() == ["D1", "D3"]
    check_schema(ex)


def test_unknown_sex_code():
    ex = read("unknown_sex.csv")
    f = "unknown_sex.csv"
    assert rejects(ex) == [
        ("persons", f, 3, "kjonn", "unknown sex code", "9"),
        ("persons", f, 5, "kjonn", "unknown sex code", "X"),
        ("persons", f, 6, "kjonn", "missing required value", NA),
    ]
    assert counts(ex) == [["persons", f, 6, 3, 3]]
    assert ex.persons["sex"].tolist() == ["male", "male", "female"]
    check_schema(ex)


def test_duplicate_ids():
    ex = read("duplicate_ids")
    assert rejects(ex) == [
        ("diagnoses", "diagnose.csv", 4, "diagnose_id",
         "duplicate diagnosis_id: first on line 2", "X9"),
        ("persons", "pasient.csv", 4, "lopenr", "duplicate person_id: first on line 2", "999"),
    ]
    assert counts(ex) == [["diagnoses", "diagnose.csv", 3, 2, 1],
                          ["persons", "pasient.csv", 4, 3, 1]]
    # The first row with a key is kept.
    assert ex.persons.loc[0, "death_date"] == pd.Timestamp("1957-07-01")
    check_schema(ex)


def test_orphan_diagnosis():
    ex = read("orphan_diagnosis")
    assert rejects(ex) == [
        ("diagnoses", "diagnose.csv", 3, "lopenr", "orphan: no such person in persons", "999"),
        ("diagnoses", "diagnose.csv", 4, "opphold_id", "orphan: no such episode in episodes",
         "X9"),
    ]
    assert counts(ex) == [["diagnoses", "diagnose.csv", 3, 1, 2],
                          ["episodes", "opphold.csv", 1, 1, 0],
                          ["persons", "pasient.csv", 2, 2, 0]]
    check_schema(ex)


def test_bad_code_system():
    ex = read("bad_code_system")
    reason = "code system not ICD-6 to ICD-10 or uncoded"
    assert rejects(ex) == [
        ("diagnoses", "diagnose.csv", 3, "kodeverk", reason, "XXX-99"),
        ("diagnoses", "diagnose.csv", 4, "kodeverk", reason, "XXX"),
    ]
    assert counts(ex) == [["diagnoses", "diagnose.csv", 7, 5, 2],
                          ["persons", "pasient.csv", 2, 2, 0]]
    dx = ex.diagnoses
    systems = dx["code_system"].astype(object).where(dx["code_system"].notna(), None)
    # blank system + blank code -> none; blank system + code -> left for harkit.icd
    assert dict(zip(dx["diagnosis_id"], systems)) == {
        "D1": "ICD-7", "D4": "ICD-10", "D5": "none", "D6": None, "D7": "none"}
    check_schema(ex)


def test_empty_files():
    ex = read("empty")
    assert rejects(ex) == [
        ("treatments", "behandling.csv", NA, NA, "empty file", NA),
        ("persons", "pasient.csv", NA, NA, "empty file", NA),
    ]
    # File-level rejects count no rows.
    assert counts(ex) == [["treatments", "behandling.csv", 0, 0, 0],
                          ["persons", "pasient.csv", 0, 0, 0]]
    check_schema(ex)


def test_latin1_letters_survive():
    ex = read("latin1")
    assert rejects(ex) == []
    assert ex.persons["municipality"].tolist() == ["Tromsø", "Ålesund", "Bærum"]
    assert ex.diagnoses["diagnosis_text"].tolist() == [
        "Drikkfeldig, søvnløs, ærgjerrig på Åsgårdstrand"]
    # The file really is latin-1: ø is the single byte F8 (three in the header, one in Tromsø).
    assert (BROKEN / "latin1" / "pasient.csv").read_bytes().count(b"\xf8") == 4
    check_schema(ex)


def test_bom_file():
    assert (BROKEN / "bom" / "pasient.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    ex = read("bom")
    assert rejects(ex) == []
    assert ex.persons["person_id"].tolist() == ["001", "002"]
    assert list(ex.persons.columns) == schema.TABLES["persons"].column_names
    assert counts(ex) == [["persons", "pasient.csv", 2, 2, 0]]


def test_comma_delimited_with_decimal_comma():
    ex = read("comma_decimal")
    f = "arkivserie.csv"
    assert rejects(ex) == [
        ("institutions", f, 3, "fagomrade_kode", "not a whole number", "999,9"),
        ("institutions", f, 4, "rusavdeling", "not a yes/no value", "XXXXXXX"),
    ]
    assert counts(ex) == [["institutions", f, 3, 1, 2]]
    i = ex.institutions
    assert i[["name", "specialty_code"]].astype(object).values.tolist() == [["Blå Kors Eina", 360]]
    check_schema(ex)


def test_multiline_quoted_text_keeps_line_numbers():
    ex = read("multiline")
    assert rejects(ex) == [
        ("documents", "dokument.csv", 8, "dokumentdato",
         "impossible date: no such day in that month", "99.99.9999"),
        ("documents", "dokument.csv", 9, "lopenr", "orphan: no such person in persons", "999"),
    ]
    assert ex.documents["text"].tolist() == ["Innlagt.\nDrikker; mye.\n\nUtskrevet.",
                                             'Linje "en"\nlinje to']
    assert counts(ex) == [["documents", "dokument.csv", 4, 2, 2],
                          ["persons", "pasient.csv", 2, 2, 0]]
    check_schema(ex)


def test_wrong_number_of_fields():
    ex = read("wrong_field_count.csv")
    f = "wrong_field_count.csv"
    assert rejects(ex) == [
        ("persons", f, 3, NA, "wrong number of fields: 5 fields where the header has 4", NA),
    ]
    # A short row is padded with blanks (spreadsheets drop trailing empty fields).
    assert ex.persons["person_id"].tolist() == ["001", "003"]
    assert counts(ex) == [["persons", f, 3, 2, 1]]
    check_schema(ex)


def test_every_broken_case_accounts_for_every_row():
    import warnings

    for path in sorted(BROKEN.iterdir()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ex = io.read_extract(path)
        rc = ex.row_counts
        assert (rc["rows_read"] == rc["rows_kept"] + rc["rows_rejected"]).all(), path
        kept = rc.groupby("table")["rows_kept"].sum()
        for table in ("persons", "episodes", "institutions", "documents"):
            if table in kept:
                assert kept[table] == len(ex.tables[table]), (path, table)
        counted = ex.rejects.dropna(subset=["line"]).groupby(
            ["table", "source_file"])["line"].nunique()
        for (t, f), n in counted.items():
            row = rc[(rc["table"] == t) & (rc["source_file"] == f)]
            assert int(row["rows_rejected"].iloc[0]) == n, (path, t, f)
