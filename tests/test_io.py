"""Reading and writing deliveries: formats, encodings, names, layouts, round trips."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from harkit import io, schema
from harkit.errors import ExtractError, SchemaError
from harkit.extract import Extract

T = pd.Timestamp
ROW_COUNTS = ["table", "source_file", "rows_read", "rows_kept", "rows_rejected"]
PERSONS = "lopenr;kjonn;fodselsdato;dodsdato;kommune\n001;1;15.03.1920;1957;Tromsø\n" \
          "002;2;1921;03.1980;Ålesund\n"


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def counts(ex: Extract) -> list[list]:
    """Row accounting without the decoding column (checked where it matters)."""
    return ex.row_counts[ROW_COUNTS].values.tolist()


def accounted(ex: Extract) -> None:
    rc = ex.row_counts
    assert (rc["rows_read"] == rc["rows_kept"] + rc["rows_rejected"]).all()


# --- formats, encodings, delimiters -------------------------------------------------

@pytest.mark.parametrize("sep", [";", ",", "\t", "|"])
def test_delimiters_detected(tmp_path, sep):
    text = PERSONS.replace(";", sep)
    ex = io.read_extract(write(tmp_path, "pasient.csv", text))
    assert list(ex.persons["person_id"]) == ["001", "002"]
    assert list(ex.persons["municipality"]) == ["Tromsø", "Ålesund"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])
def test_encodings_keep_norwegian_letters(tmp_path, encoding):
    text = "lopenr;kjønn;fødselsdato;dødsdato;kommune\n001;1;1920;1957;Tromsø\n" \
           "002;2;1921;1980;ÆØÅ æøå Bærum\n"
    ex = io.read_extract(write(tmp_path, "pasient.csv", text, encoding))
    assert list(ex.persons["municipality"]) == ["Tromsø", "ÆØÅ æøå Bærum"]
    assert list(ex.persons["sex"]) == ["male", "female"]


@pytest.mark.parametrize(("data", "expected"), [
    ("æøå".encode(), "utf-8"),
    (b"\xef\xbb\xbf" + "æøå".encode(), "utf-8-sig"),
    ("æøå".encode("latin-1"), "cp1252"),
    ("æøå".encode("utf-16"), "utf-16"),
    (b"\x81\xe6", "latin-1"),  # 0x81 is undefined in cp1252
    (b"plain", "utf-8"),
])
def test_detect_encoding(data, expected):
    assert io.detect_encoding(data) == expected


@pytest.mark.parametrize(("header", "sep"), [
    ("a;b;c", ";"), ("a,b,c", ","), ("a\tb\tc", "\t"), ("a|b", "|"), ("abc", ";"),
    ('"x,y";z', ";"), ("a;b,c", ";"),
])
def test_detect_delimiter(header, sep):
    assert io.detect_delimiter(header) == sep


def test_leading_zeros_and_blank_lines_survive(tmp_path):
    text = "lopenr;kjonn;fodselsdato;dodsdato\n\n007;1;1920;1957\n\n0008;2;1921;1980\n"
    ex = io.read_extract(write(tmp_path, "pasient.csv", text))
    assert list(ex.persons["person_id"]) == ["007", "0008"]
    assert ex.row_counts["rows_read"].tolist() == [2]


@pytest.mark.parametrize("pad", [" ", "\t", "\u00a0", "\u3000", "\x1c"])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_ids_trimmed_of_blanks_at_either_end(tmp_path, pad, fmt):
    # Trimming is skipped when no value can start or end with a blank: a blank of any
    # kind (ASCII, no-break, ideographic, a separator control) at either end must still
    # be seen.
    ids = [f"{pad}001", f"002{pad}", "003"]
    if fmt == "csv":
        rows = "".join(f"{i};1;1920;1957\n" for i in ids)
        path = write(tmp_path, "pasient.csv", "lopenr;kjonn;fodselsdato;dodsdato\n" + rows)
    else:
        path = tmp_path / "pasient.parquet"
        pd.DataFrame({"lopenr": ids, "kjonn": [1, 1, 1], "fodselsdato": ["1920"] * 3,
                      "dodsdato": ["1957"] * 3}).to_parquet(path)
    ex = io.read_extract(path)
    assert list(ex.persons["person_id"]) == ["001", "002", "003"]


def test_crlf_line_endings(tmp_path):
    text = PERSONS.replace("\n", "\r\n")
    ex = io.read_extract(write(tmp_path, "pasient.csv", text))
    assert list(ex.persons["municipality"]) == ["Tromsø", "Ålesund"]


def test_parquet_file(tmp_path):
    df = pd.DataFrame({"LOPENR": ["001", "002"], "Kjonn": [1, 2],
                       "fodselsaar": [1920.0, np.nan], "dodsdato": ["1957", "03.1980"]})
    path = tmp_path / "pasient.parquet"
    df.to_parquet(path)
    ex = io.read_extract(path)
    assert list(ex.persons["sex"]) == ["male", "female"]
    assert list(ex.persons["birth_date_precision"]) == ["year", "missing"]
    assert ex.persons["birth_date"].iloc[0] == T("1920-07-01")


def test_stata_round_trip(tmp_path):
    df = pd.DataFrame({
        "lopenr": ["001", "002", "003"],
        "kjonn": [1, 2, 1],
        "fodselsaar": [1920.0, 1921.0, np.nan],
        "dodsdato": pd.to_datetime(["1957-03-15", "1980-01-02", "1990-12-31"]),
        "kommune": ["Tromsø", "Ålesund", None],
    })
    path = tmp_path / "pasient.dta"
    df.to_stata(path, write_index=False, version=118)
    ex = io.read_extract(path)
    p = ex.persons
    assert list(p["person_id"]) == ["001", "002", "003"]
    assert list(p["sex"]) == ["male", "female", "male"]
    assert list(p["birth_date_precision"]) == ["year", "year", "missing"]
    assert list(p["death_date"]) == list(df["dodsdato"])
    assert list(p["death_date_precision"]) == ["day"] * 3
    assert p["municipality"].tolist()[:2] == ["Tromsø", "Ålesund"]
    assert len(ex.rejects) == 0


def test_stata_numeric_ids_lose_no_digits(tmp_path):
    df = pd.DataFrame({"lopenr": [1001.0, 1002.0], "kjonn": [1.0, 2.0],
                       "fodselsaar": [1920, 1921], "dodsaar": [1957, 1980]})
    path = tmp_path / "pasient.dta"
    df.to_stata(path, write_index=False)
    ex = io.read_extract(path)
    assert list(ex.persons["person_id"]) == ["1001", "1002"]
    assert list(ex.persons["death_date"]) == [T("1957-07-01"), T("1980-07-01")]


@pytest.mark.parametrize("version", [5, 8])
def test_sas_xport(tmp_path, version):
    # Version 5 allows names of 8 characters only: FODT and DOD are aliases too.
    birth, death = ("FODT", "DOD") if version == 5 else ("FODSELSDATO", "DODSDATO")
    df = pd.DataFrame({"LOPENR": ["001", "002"], "KJONN": [1.0, 2.0],
                       birth: ["15.03.1920", "1921"], death: ["1957", "1980"]})
    path = tmp_path / "pasient.xpt"
    pyreadstat.write_xport(df, str(path), file_format_version=version)
    ex = io.read_extract(path)
    assert list(ex.persons["person_id"]) == ["001", "002"]
    assert list(ex.persons["sex"]) == ["male", "female"]
    assert list(ex.persons["birth_date"]) == [T("1920-03-15"), T("1921-07-01")]
    assert ex.row_counts["rows_read"].tolist() == [2]


def test_unreadable_file_names_the_file(tmp_path):
    (tmp_path / "pasient.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(ExtractError, match="file 'pasient.parquet': cannot read the file"):
        io.read_extract(tmp_path)


def test_missing_columns_in_wide_file_warn_once(tmp_path):
    write(tmp_path, "opphold.csv", "opphold_id;inndato;hdiag\nE1;1950;F10\n")
    with pytest.warns(UserWarning) as record:
        ex = io.read_extract(tmp_path)
    assert len(record) == 1
    assert counts(ex) == [["episodes", "opphold.csv", 1, 0, 1],
                                             ["diagnoses", "opphold.csv", 1, 0, 1]]


def test_unsupported_and_missing_paths(tmp_path):
    with pytest.raises(ExtractError, match="no such file"):
        io.read_extract(tmp_path / "nothing")
    write(tmp_path / "d", "notes.md", "hei")
    with pytest.raises(ExtractError, match="no readable files"):
        io.read_extract(tmp_path / "d")


# --- names and values -----------------------------------------------------------------

def test_column_aliases_any_case_and_letters(tmp_path):
    text = "LØPENR;Kjønn;FØDSELSDATO;DødsDato;Bostedskommune\n001;Mann;1920;1957;Oslo\n" \
           "002;KVINNE;1921;1980;Bergen\n"
    ex = io.read_extract(write(tmp_path, "Pasient.CSV", text))
    assert list(ex.persons.columns[:7]) == schema.TABLES["persons"].column_names
    assert list(ex.persons["sex"]) == ["male", "female"]
    assert list(ex.persons["municipality"]) == ["Oslo", "Bergen"]


def test_canonical_english_names_accepted(tmp_path):
    text = "person_id,sex,birth_date,death_date\nP1,female,1920-03-15,1957\n"
    ex = io.read_extract(write(tmp_path, "persons.csv", text))
    assert ex.persons["birth_date"].iloc[0] == T("1920-03-15")
    assert ex.persons["sex"].iloc[0] == "female"


def test_birth_year_fills_missing_birth_date(tmp_path):
    text = "lopenr;kjonn;fodselsdato;fodselsaar;dodsdato\n001;1;15.03.1920;1920;1957\n" \
           "002;2;;1921;1980\n003;1;;;1990\n"
    ex = io.read_extract(write(tmp_path, "pasient.csv", text))
    p = ex.persons
    assert list(p["birth_date_precision"]) == ["day", "year", "missing"]
    assert p["birth_date"].iloc[1] == T("1921-07-01")
    assert "fodselsaar" not in p.columns


def test_bad_birth_year_rejected_on_its_own_column(tmp_path):
    text = "lopenr;kjonn;fodselsdato;fodselsaar;dodsdato\n001;1;;19x0;1957\n"
    ex = io.read_extract(write(tmp_path, "pasient.csv", text))
    r = ex.rejects
    assert r[["line", "column", "value"]].values.tolist() == [[2, "fodselsaar", "99X9"]]


def test_declared_precision_column(tmp_path):
    text = "lopenr;kjonn;fodselsdato;dodsdato;dodsdato_presisjon\n" \
           "001;1;1920;15.03.1957;aar\n002;2;1921;15.03.1980;maaned\n003;1;1922;1990;dag\n" \
           "004;1;1922;1990;tja\n"
    ex = io.read_extract(write(tmp_path, "pasient.csv", text))
    p = ex.persons
    assert list(p["death_date"]) == [T("1957-07-01"), T("1980-03-15"), T("1990-07-01")]
    assert list(p["death_date_precision"]) == ["year", "month", "year"]
    r = ex.rejects
    assert r[["line", "column", "reason"]].values.tolist() == [
        [5, "dodsdato_presisjon", "unknown date precision code"]]


def test_extra_columns_kept_after_canonical(tmp_path):
    text = "lopenr;fylke;kjonn;fodselsdato;dodsdato;Antall_sider\n001;Troms;1;1920;1957;012\n"
    ex = io.read_extract(write(tmp_path, "pasient.csv", text))
    cols = list(ex.persons.columns)
    assert cols == schema.TABLES["persons"].column_names + ["fylke", "Antall_sider"]
    assert ex.persons["Antall_sider"].iloc[0] == "012"


def test_value_aliases(tmp_path):
    text = ("diagnose_id;lopenr;diagnosekode;kodeverk;diagnosetype\n"
            "D1;1;303;Icd7;h\nD2;1;F10.2;ICD 10;B\nD3;1;303.0;icd-9;HOVEDDIAGNOSE\n"
            "D4;1;291;8;\nD5;1;;;\nD6;1;303;;\nD7;1;;UKODET;b\nD8;1;303;ICD-6/7;1\n")
    ex = io.read_extract(write(tmp_path, "diagnose.csv", text))
    dx = ex.diagnoses
    assert dx["code_system"].astype(object).where(dx["code_system"].notna(), None).tolist() == [
        "ICD-7", "ICD-10", "ICD-9", "ICD-8", "none", None, "none", "ICD-7"]
    assert dx["rank"].astype(object).where(dx["rank"].notna(), None).tolist() == [
        "main", "secondary", "main", None, None, None, "secondary", "main"]
    assert dx["code"].isna().tolist() == [False] * 4 + [True, False, True, False]


def test_codes_kept_as_delivered(tmp_path):
    # Normalising codes is harkit.icd's job; the reader keeps them exactly.
    text = "diagnose_id;lopenr;diagnosekode;diagnosetekst\nD1;1;h25.9 ;  Grå stær\nD2;1;303,1;\n" \
           "D3;1;  ;x\n"
    dx = io.read_extract(write(tmp_path, "diagnose.csv", text)).diagnoses
    assert dx["code"].tolist()[:2] == ["h25.9 ", "303,1"]
    assert pd.isna(dx["code"].iloc[2])
    assert dx["diagnosis_text"].tolist()[0] == "  Grå stær"
    assert dx["code_system"].astype(object).tolist()[2] == "none"


def test_institutions_types_and_bools(tmp_path):
    text = ("arkivskaper;arkivserie;institusjon_navn;sektor;rusavdeling;fagomrade_kode\n"
            "A1;S1;Blå Kors;TSB;J;360\nA1;S2;Blå Kors;rus;nei;\nA2;S1;Ullevål;Somatikk;true;230\n"
            "A3;S1;Gaustad;psykiatri;;\n")
    ex = io.read_extract(write(tmp_path, "arkivserie.csv", text))
    i = ex.institutions
    assert list(i["institution_type"]) == ["substance_use", "substance_use",
                                           "general_hospital", "psychiatric"]
    assert i["addiction_department"].tolist()[:3] == [True, False, True]
    assert pd.isna(i["addiction_department"].iloc[3])
    assert i["specialty_code"].tolist()[0] == 360 and pd.isna(i["specialty_code"].iloc[1])


def test_table_from_stem():
    assert io.table_from_stem("diagnose_2020") == "diagnoses"
    assert io.table_from_stem("Diagnoser2019") == "diagnoses"
    assert io.table_from_stem("dodsarsak_medvirkende") == "causes_of_death"
    assert io.table_from_stem("PASIENT") == "persons"
    assert io.table_from_stem("diagnosekoder") is None
    assert io.table_from_stem("data") is None


def test_table_identified_by_columns(tmp_path):
    text = "LNR;diagnosekode;kodeverk;diagnosetekst\n1;F10.2;ICD-10;Alkoholavhengighet\n"
    ex = io.read_extract(write(tmp_path, "uttrekk_a.csv", text))
    assert ex.diagnoses["code"].tolist() == ["F10.2"]
    assert ex.diagnoses["diagnosis_id"].tolist() == ["uttrekk_a:2"]  # derived from the line
    assert ex.row_counts["table"].tolist() == ["diagnoses"]


def test_unidentifiable_file_rows_rejected(tmp_path):
    write(tmp_path, "x.csv", "foo;bar\n1;2\n3;4\n")
    with pytest.warns(UserWarning, match="cannot tell which table"):
        ex = io.read_extract(tmp_path / "x.csv")
    assert ex.rejects["line"].tolist() == [2, 3]
    assert ex.rejects["reason"].iloc[0] == ("cannot tell which table this file holds; "
                                            "columns found: foo, bar")
    assert counts(ex) == [["unknown", "x.csv", 2, 0, 2]]
    with pytest.raises(SchemaError, match="cannot tell which table"):
        io.read_extract(tmp_path / "x.csv", strict=True)


def test_several_files_of_one_table(tmp_path):
    write(tmp_path, "pasient.csv", PERSONS)
    write(tmp_path, "diagnose_2019.csv", "diagnose_id;lopenr;diagnosekode\nD1;001;303\n")
    write(tmp_path, "diagnose_2020.csv", "diagnose_id;lopenr;diagnosekode\nD2;002;F10\n"
          "D1;002;F11\n")
    ex = io.read_extract(tmp_path)
    assert ex.diagnoses["diagnosis_id"].tolist() == ["D1", "D2"]
    r = ex.rejects
    assert r[["source_file", "line", "column", "reason"]].values.tolist() == [
        ["diagnose_2020.csv", 3, "diagnose_id",
         "duplicate diagnosis_id: first on line 2 of diagnose_2019.csv"]]
    assert counts(ex) == [
        ["diagnoses", "diagnose_2019.csv", 1, 1, 0],
        ["diagnoses", "diagnose_2020.csv", 2, 1, 1],
        ["persons", "pasient.csv", 2, 2, 0],
    ]


def test_long_causes_without_type_use_line_numbers(tmp_path):
    write(tmp_path, "pasient.csv", PERSONS)
    write(tmp_path, "dodsarsak.csv", "lopenr;underliggende_kode;icd_revisjon\n001;303;ICD-7\n")
    write(tmp_path, "dodsarsak_medvirkende.csv", "lopenr;rekkefolge;kode\n001;1;571\n001;2;K70\n")
    ex = io.read_extract(tmp_path)
    c = ex.causes_of_death
    assert c[["code", "cause_type", "line"]].astype(object).values.tolist() == [
        ["303", "underlying", 0], ["571", "contributing", 1], ["K70", "contributing", 2]]
    assert c["code_system"].astype(object).tolist()[0] == "ICD-7"
    assert pd.isna(c["code_system"].iloc[1])


def test_long_causes_with_type_only_get_numbered(tmp_path):
    write(tmp_path, "pasient.csv", PERSONS)
    write(tmp_path, "dodsarsak.csv", "lopenr;kode;arsakstype\n001;303;U\n001;571;M\n"
          "001;K70;medvirkende\n002;F10;underliggende\n")
    c = io.read_extract(tmp_path).causes_of_death
    assert c["line"].tolist() == [0, 1, 2, 0]


# --- wide layouts ---------------------------------------------------------------------

def test_wide_episodes_npr_style(tmp_path):
    write(tmp_path, "pasient.csv", PERSONS)
    write(tmp_path, "opphold.csv",
          "opphold_id;lopenr;inndato;utdato;Hdiag;hdiag2;bdiag1;bdiag2;avdeling\n"
          "E1;001;03.1950;20.03.1950;F10.2;;K70;F17;Rus\n"
          "E2;002;1960;;303;291;;;\n"
          "E3;002;1961;;;;;;\n")
    ex = io.read_extract(tmp_path)
    assert ex.episodes["episode_id"].tolist() == ["E1", "E2", "E3"]
    assert "hdiag" not in ex.episodes.columns and "avdeling" not in ex.episodes.columns
    dx = ex.diagnoses
    assert dx["diagnosis_id"].tolist() == ["E1:hdiag", "E1:bdiag1", "E1:bdiag2", "E2:hdiag",
                                           "E2:hdiag2"]
    assert dx["rank"].tolist() == ["main", "secondary", "secondary", "main", "secondary"]
    assert dx["code"].tolist() == ["F10.2", "K70", "F17", "303", "291"]
    assert dx["person_id"].tolist() == ["001"] * 3 + ["002"] * 2
    assert dx["date"].tolist() == [T("1950-03-15")] * 3 + [T("1960-07-01")] * 2
    assert dx["date_precision"].tolist() == ["month"] * 3 + ["year"] * 2
    assert dx["code_system"].isna().all()  # left for harkit.icd to infer
    assert counts(ex) == [
        ["episodes", "opphold.csv", 3, 3, 0], ["diagnoses", "opphold.csv", 3, 3, 0],
        ["persons", "pasient.csv", 2, 2, 0]]


def test_wide_tilstand_and_swedish_names(tmp_path):
    write(tmp_path, "pasient.csv", PERSONS)
    write(tmp_path, "kontakter.csv",
          "LopNr;kontakt_id;INDATUM;tilst1;tilst2;tilst3\n001;K1;19500315;F10;;F11\n")
    write(tmp_path, "slutenvard.csv",
          "LNR;recnum;d_inddto;HDIA;DIA1;DIA2;BDIA1\n002;R9;1970-01-02;F10.2;K70;;F17\n")
    ex = io.read_extract(tmp_path)
    dx = ex.diagnoses
    assert dx["diagnosis_id"].tolist() == [
        "K1:tilst1", "K1:tilst3", "R9:hdia", "R9:dia1", "R9:bdia1"]
    assert dx["rank"].tolist() == ["main", "secondary", "main", "secondary", "secondary"]
    assert dx["code"].tolist() == ["F10", "F11", "F10.2", "K70", "F17"]
    assert set(ex.episodes["episode_id"]) == {"K1", "R9"}


def test_wide_episode_rejected_takes_its_diagnoses(tmp_path):
    write(tmp_path, "pasient.csv", PERSONS)
    write(tmp_path, "opphold.csv", "opphold_id;lopenr;inndato;hdiag;bdiag1\n"
          "E1;001;1958;F10;F11\nE2;001;1956;F12;\n")
    ex = io.read_extract(tmp_path)
    assert ex.diagnoses["diagnosis_id"].tolist() == ["E2:hdiag"]
    r = ex.rejects
    assert r[["table", "line", "column", "reason"]].values.tolist() == [
        ["episodes", 2, "inndato", "admission after death"],
        ["diagnoses", 2, "opphold_id", "orphan: its episode was rejected"],
        ["diagnoses", 2, "opphold_id", "orphan: its episode was rejected"],
        ["diagnoses", 2, "inndato", "diagnosis date after death"],
        ["diagnoses", 2, "inndato", "diagnosis date after death"],
    ]
    # Two long rows from one source row: the source row counts once.
    rc = ex.row_counts.set_index("table")
    assert rc.loc["diagnoses", ["rows_read", "rows_kept", "rows_rejected"]].tolist() == [2, 1, 1]


def test_wide_diagnoses_file_without_episode_dates(tmp_path):
    write(tmp_path, "diagnose.csv", "lopenr;opphold_id;hdiag;bdiag1\n001;E1;F10;F11\n")
    ex = io.read_extract(tmp_path)
    assert len(ex.episodes) == 0
    assert ex.diagnoses["diagnosis_id"].tolist() == ["E1:hdiag", "E1:bdiag1"]
    assert ex.diagnoses["date_precision"].tolist() == ["missing", "missing"]
    assert counts(ex) == [["diagnoses", "diagnose.csv", 1, 1, 0]]


def test_wide_causes_norwegian(tmp_path):
    write(tmp_path, "pasient.csv", PERSONS)
    write(tmp_path, "dodsarsak.csv",
          "lopenr;dodsdato;underliggende_kode;medvirkende1;medvirkende2;medvirkende3;"
          "icd_revisjon\n001;1957;303;571;;K70;ICD-7\n002;03.1980;F10.2;;;;ICD-10\n"
          "003;1990;X42;;;;ICD-10\n")
    ex = io.read_extract(tmp_path)
    c = ex.causes_of_death
    assert c[["person_id", "code", "cause_type", "line"]].astype(object).values.tolist() == [
        ["001", "303", "underlying", 0], ["001", "571", "contributing", 1],
        ["001", "K70", "contributing", 3], ["002", "F10.2", "underlying", 0]]
    assert c["code_system"].astype(object).tolist() == ["ICD-7"] * 3 + ["ICD-10"]
    assert c["dodsdato"].tolist() == ["1957"] * 3 + ["03.1980"]  # extra column kept
    r = ex.rejects
    assert r[["line", "column", "reason", "value"]].values.tolist() == [
        [4, "lopenr", "orphan: no such person in persons", "999"]]
    assert counts(ex)[0] == ["causes_of_death", "dodsarsak.csv", 3, 2, 1]


def test_wide_causes_swedish(tmp_path):
    write(tmp_path, "dodsorsak.csv", "LopNr;ULORSAK;MORSAK1;MORSAK2\n1;I219;E119;\n2;;;\n")
    ex = io.read_extract(tmp_path / "dodsorsak.csv")
    c = ex.causes_of_death
    assert c[["person_id", "code", "line"]].astype(object).values.tolist() == [
        ["1", "I219", 0], ["1", "E119", 1]]
    # A certificate row without causes is read and kept; it has no long rows.
    assert counts(ex) == [["causes_of_death", "dodsorsak.csv", 2, 2, 0]]


# --- strict mode ----------------------------------------------------------------------

def test_strict_missing_column_raises_schema_error(tmp_path):
    write(tmp_path, "pasient.csv", "lopenr;fodselsdato\n1;1920\n")
    with pytest.raises(SchemaError) as err:
        io.read_extract(tmp_path, strict=True)
    msg = str(err.value)
    assert "pasient.csv" in msg and "persons" in msg
    assert "missing required column(s) sex (kjonn), death_date (dodsdato)" in msg
    assert "columns found: lopenr, fodselsdato" in msg
    assert err.value.source_file == "pasient.csv" and err.value.table == "persons"


def test_strict_rejects_raise_extract_error_with_summary(tmp_path):
    write(tmp_path, "pasient.csv", "lopenr;kjonn;fodselsdato;dodsdato\n1;1;1920;1957\n"
          "2;7;1921;1980\n3;1;31.02.1921;1980\n4;9;1922;1990\n")
    with pytest.raises(ExtractError) as err:
        io.read_extract(tmp_path, strict=True)
    msg = str(err.value)
    assert "3 rejected row failure(s)" in msg
    assert "persons: unknown sex code: 2" in msg
    assert "persons: impossible date: no such day in that month: 1" in msg
    assert "pasient.csv line 3 column 'kjonn': unknown sex code" in msg
    assert "pasient.csv line 4 column 'fodselsdato'" in msg
    assert not isinstance(err.value, SchemaError)


def test_strict_clean_extract_returns(tmp_path):
    write(tmp_path, "pasient.csv", PERSONS)
    ex = io.read_extract(tmp_path, strict=True, progress=True)
    assert len(ex.persons) == 2 and len(ex.rejects) == 0


# --- round trips ----------------------------------------------------------------------

def _ts(*values):
    return pd.to_datetime(list(values))


def small_extract() -> Extract:
    """A hand-made extract using every table, partial dates, NA and awkward text."""
    persons = pd.DataFrame({
        "person_id": ["001", "002", "A3"], "sex": ["male", "female", "male"],
        "birth_date": _ts("1920-03-15", "1921-07-01", "1930-02-15"),
        "birth_date_precision": ["day", "year", "month"],
        "death_date": _ts("1957-07-01", "1980-03-15", None),
        "death_date_precision": ["year", "month", "missing"],
        "municipality": ["Tromsø", pd.NA, "Ålesund"]})
    episodes = pd.DataFrame({
        "episode_id": ["E1", "E2"], "person_id": ["001", "002"],
        "institution_id": ["I1", pd.NA], "archive_series_id": ["S1", pd.NA],
        "department": ["Avd; rus, \"B\"", pd.NA],
        "admission_date": _ts("1957-03-15", "1970-01-02"),
        "admission_date_precision": ["month", "day"],
        "discharge_date": _ts("1957-03-20", None),
        "discharge_date_precision": ["day", "missing"],
        "episode_type": ["inpatient", "unknown"]})
    diagnoses = pd.DataFrame({
        "diagnosis_id": ["D1", "D2", "D3"], "episode_id": ["E1", "E1", pd.NA],
        "person_id": ["001", "001", "002"], "code": ["303", "571", pd.NA],
        "code_system": ["ICD-7", None, "none"],
        "diagnosis_text": ["Alkoholisme, kronisk", "Levercirrhose", 'Drikker "mye"\nny linje'],
        "rank": ["main", "secondary", None],
        "date": _ts("1957-03-15", "1957-03-15", None),
        "date_precision": ["month", "month", "missing"]})
    causes = pd.DataFrame({
        "person_id": ["001", "001"], "code": ["303", "571"], "code_system": ["ICD-7", "ICD-7"],
        "cause_type": ["underlying", "contributing"], "line": [0, 1],
        "cause_text": [pd.NA, "skrumplever"]})
    treatments = pd.DataFrame({
        "treatment_id": ["T1"], "episode_id": ["E1"], "person_id": ["001"],
        "treatment_type": ["disulfiram"], "start_date": _ts("1957-03-16"),
        "start_date_precision": ["day"], "end_date": _ts("1957-07-01"),
        "end_date_precision": ["year"]})
    documents = pd.DataFrame({
        "document_id": ["K1"], "person_id": ["001"], "episode_id": ["E1"],
        "date": _ts("1957-03-15"), "date_precision": ["day"], "document_type": ["epikrise"],
        "text": ['Pas. innlagt;\r\n"fyll", æøå ÆØÅ\n\n  slutt  ']})
    institutions = pd.DataFrame({
        "institution_id": ["I1", "I1"], "archive_series_id": ["S1", "S2"],
        "name": ["Blå Kors", "Blå Kors"], "series_name": [pd.NA, "B"],
        "institution_type": ["substance_use", "other"], "addiction_department": [True, pd.NA],
        "specialty_code": [360, pd.NA]})
    raw = {"persons": persons, "episodes": episodes, "diagnoses": diagnoses,
           "causes_of_death": causes, "treatments": treatments, "documents": documents,
           "institutions": institutions}
    ex = Extract({n: schema.conform(n, d) for n, d in raw.items()})
    return ex.validate()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("layout", ["norwegian", "canonical"])
def test_write_read_round_trip(tmp_path, fmt, layout):
    ex = small_extract()
    out = io.write_extract(ex, tmp_path / "delivery", format=fmt, layout=layout)
    back = io.read_extract(out)
    assert len(back.rejects) == 0
    for name in schema.TABLE_ORDER:
        pd.testing.assert_frame_equal(back.tables[name], ex.tables[name])
    accounted(back)


def test_norwegian_csv_layout_on_disk(tmp_path):
    out = io.write_extract(small_extract(), tmp_path, format="csv", layout="norwegian")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["arkivserie.csv", "behandling.csv", "diagnose.csv", "dodsarsak.csv",
                     "dokument.csv", "opphold.csv", "pasient.csv"]
    lines = (out / "pasient.csv").read_text(encoding="utf-8").splitlines()
    assert lines == ["lopenr;kjonn;fodselsdato;dodsdato;kommune", "001;1;15.03.1920;1957;Tromsø",
                     "002;2;1921;03.1980;", "A3;1;02.1930;;Ålesund"]
    dx = (out / "diagnose.csv").read_text(encoding="utf-8").splitlines()
    assert dx[0] == "diagnose_id;opphold_id;lopenr;diagnosekode;kodeverk;diagnosetekst;" \
                    "diagnosetype;diagnosedato"
    assert dx[1] == "D1;E1;001;303;ICD-7;Alkoholisme, kronisk;H;03.1957"


def test_canonical_csv_layout_on_disk(tmp_path):
    out = io.write_extract(small_extract(), tmp_path, format="csv", layout="canonical")
    lines = (out / "persons.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "person_id,sex,birth_date,death_date,municipality"
    assert lines[3] == "A3,male,1930-02,,Ålesund"


def test_canonical_parquet_has_datetimes_and_precision(tmp_path):
    out = io.write_extract(small_extract(), tmp_path, format="parquet", layout="canonical")
    df = pd.read_parquet(out / "persons.parquet")
    assert df["birth_date"].dtype == "datetime64[ns]"
    assert df["birth_date_precision"].tolist() == ["day", "year", "month"]


def test_write_extract_arguments_checked(tmp_path):
    with pytest.raises(ValueError, match="format"):
        io.write_extract(small_extract(), tmp_path, format="xlsx")
    with pytest.raises(ValueError, match="layout"):
        io.write_extract(small_extract(), tmp_path, layout="swedish")


def test_to_parquet_folder_reads_back_identically(tmp_path):
    write(tmp_path / "d", "pasient.csv", PERSONS + "003;7;1922;1990;Oslo\n")
    ex = io.read_extract(tmp_path / "d")
    assert len(ex.rejects) == 1
    ex.to_parquet(tmp_path / "pq")
    back = io.read_extract(tmp_path / "pq")
    for name in schema.TABLE_ORDER:
        pd.testing.assert_frame_equal(back.tables[name], ex.tables[name])
    pd.testing.assert_frame_equal(back.rejects, ex.rejects)
    pd.testing.assert_frame_equal(back.row_counts, ex.row_counts)
    assert back.source == ex.source


def test_every_table_passes_its_schema(tmp_path):
    out = io.write_extract(small_extract(), tmp_path, format="csv", layout="norwegian")
    ex = io.read_extract(out)
    for name in schema.TABLE_ORDER:
        schema.validate_table(name, ex.tables[name])


def test_mask_values():
    s = pd.Series(["31.02.1957", "Åse Ødegård", "F10.2", None, "x" * 50])
    m = io.mask_values(s)
    assert m.tolist()[:3] == ["99.99.9999", "XXX XXXXXXX", "X99.9"]
    assert pd.isna(m.iloc[3])
    assert m.iloc[4] == "X" * 40 + "..."


def test_mask_values_ascii_and_unicode_paths_agree_with_the_rule():
    # ASCII values are masked on Arrow arrays, others with Python's Unicode classes; both
    # must follow the one rule (a digit -> 9, a letter -> X, cut at 40 with "...").
    import re

    rng = np.random.default_rng(3)
    alphabet = list("abzABZ0159_.-;: \t'\"\u00e6\u00f8\u00c5\u0661\u00b2\u00bd\u00e9")
    values = ["".join(rng.choice(alphabet, size=rng.integers(0, 60))) for _ in range(3000)]
    values += ["x" * 39, "x" * 40, "x" * 41, "9" * 45, 12, 3.5, None]

    def rule(v: object) -> object:
        if v is None:
            return None
        t = re.sub(r"[^\W\d_]", "X", re.sub(r"\d", "9", str(v)))
        return t[:40] + "..." if len(t) > 40 else t

    got = io.mask_values(pd.Series(values, dtype=object))
    assert [None if pd.isna(g) else g for g in got] == [rule(v) for v in values]


def test_no_warnings_on_clean_read(tmp_path):
    write(tmp_path, "pasient.csv", PERSONS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        io.read_extract(tmp_path)


def test_several_failures_one_row_and_cascade(tmp_path):
    write(tmp_path, "pasient.csv", "lopenr;kjonn;fodselsdato;dodsdato\n001;1;1920;1957\n"
          "002;7;31.02.1930;1980\n003;2;1950;1940\n")
    write(tmp_path, "opphold.csv", "opphold_id;lopenr;inndato\nE1;001;1950\nE3;003;1945\n")
    write(tmp_path, "diagnose.csv", "diagnose_id;opphold_id;lopenr;diagnosekode\n"
          "D1;E1;001;303\nD3;E3;003;F10\n")
    ex = io.read_extract(tmp_path)
    r = ex.rejects
    assert r[["table", "line", "column", "reason"]].values.tolist() == [
        ["diagnoses", 3, "lopenr", "orphan: its person was rejected"],
        ["diagnoses", 3, "opphold_id", "orphan: its episode was rejected"],
        ["episodes", 3, "lopenr", "orphan: its person was rejected"],
        ["persons", 3, "kjonn", "unknown sex code"],
        ["persons", 3, "fodselsdato", "impossible date: no such day in that month"],
        ["persons", 4, "dodsdato", "death before birth"],
    ]
    # Line 3 of pasient.csv fails twice but is one rejected row.
    assert counts(ex) == [
        ["diagnoses", "diagnose.csv", 2, 1, 1], ["episodes", "opphold.csv", 2, 1, 1],
        ["persons", "pasient.csv", 3, 1, 2]]
    assert ex.diagnoses["diagnosis_id"].tolist() == ["D1"]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_text_parse_matches_the_csv_module(tmp_path, monkeypatch, newline):
    # Sound records (quoted separators, doubled quotes, quoted line breaks, blanks) are
    # parsed by pyarrow; a carriage return inside a record sends them to the reference
    # path. Both must give what Python's csv module reads, row for row, with the line
    # each row starts on.
    import csv as pycsv

    from harkit.io import text as text_mod

    rows = [["lopenr", "kjonn", "kommune"], ["P1", "1", 'Ås "sentrum"'],
            ["P2", "2", "a;b"], ["P3", "", "linje1" + newline + "linje2"], ["P4", "1", ""],
            ["P5", "2", "Bø"]]
    path = tmp_path / "pasient.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        pycsv.writer(fh, delimiter=";", lineterminator=newline).writerows(rows)
    served = []
    real = text_mod._TextFile.parse_arrow

    def spy(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        served.append(out is not None)
        return out

    monkeypatch.setattr(text_mod._TextFile, "parse_arrow", spy)
    raw = io.read_raw(path)
    with path.open(encoding="utf-8", newline="") as fh:
        want = list(pycsv.reader(fh, delimiter=";"))[1:]
    assert raw.frame.astype(object).values.tolist() == want
    assert raw.lines.tolist() == [2, 3, 4, 6, 7]
    assert served == [newline == "\n"]


def test_arrow_backed_text_converts_like_python_strings():
    # Parquet text under pandas 3 is converted on the Arrow arrays; the values kept and
    # the rejects (line, column, reason) are those of the Python-string path.
    from harkit.io.raw import RawFile
    from harkit.io.values import column_mapping, convert

    values = {"lopenr": [" 003 ", "", None, "004", "   ", "005"],
              "kjonn": ["1", "2", "1", "x", "2", None],
              "kommune": ["Tromsø", "  ", "", None, " Bodø", "Oslo "]}
    out = {}
    for dtype in ("object", "string[pyarrow]"):
        frame = pd.DataFrame(values, dtype=dtype)
        raw = RawFile("pasient.parquet", frame, np.arange(2, 8), is_text=False)
        mapping, extras = column_mapping("persons", list(frame.columns), set())
        data, rejects = convert("persons", raw, np.arange(6), mapping, extras)
        rej = pd.concat(rejects, ignore_index=True)[["line", "column", "reason"]]
        out[dtype] = (data, rej)
        ids = data["person_id"].astype(object).where(data["person_id"].notna(), None)
        assert ids.tolist() == ["003", None, None, "004", None, "005"]
        town = data["municipality"].astype(object).where(data["municipality"].notna(), None)
        assert town.tolist() == ["Tromsø", "  ", None, None, " Bodø", "Oslo "]
        assert sorted(map(tuple, rej.values.tolist())) == [
            (3, "lopenr", "missing required value"), (4, "lopenr", "missing required value"),
            (5, "kjonn", "unknown sex code"), (6, "lopenr", "missing required value"),
            (7, "kjonn", "missing required value")]
    for col in ("person_id", "municipality", "sex"):
        assert out["object"][0][col].astype(object).fillna("<NA>").tolist() == \
            out["string[pyarrow]"][0][col].astype(object).fillna("<NA>").tolist()


def test_cross_table_rules_on_columns_in_several_chunks(tmp_path):
    # Parquet row groups arrive as several Arrow chunks per column; the key, parent and
    # episode-person rules work on the chunks as they are and must see across them.
    persons = pd.DataFrame({"lopenr": [f"P{i}" for i in range(6)], "kjonn": [1, 2] * 3,
                            "fodselsdato": ["1920"] * 6, "dodsdato": ["1990"] * 6})
    episodes = pd.DataFrame({
        "opphold_id": ["E0", "E1", "E2", "E1", "E4", "E5"],  # E1 twice, in two groups
        "lopenr": ["P0", "P1", "P2", "P3", "P9", "P5"],  # P9 names no person
        "inndato": ["1980"] * 6})
    diagnoses = pd.DataFrame({
        "diagnose_id": [f"D{i}" for i in range(6)],
        "opphold_id": ["E0", "E2", "E5", "E5", "E0", "E7"],  # E7 names no episode
        "lopenr": ["P0", "P2", "P5", "P4", "P0", "P0"],  # D3: P4, not E5's person P5
        "diagnosekode": ["F10.2"] * 6, "kodeverk": ["ICD-10"] * 6})
    for name, df in (("pasient", persons), ("opphold", episodes), ("diagnose", diagnoses)):
        df.to_parquet(tmp_path / f"{name}.parquet", row_group_size=2)
    import pyarrow.parquet as pq

    assert pq.ParquetFile(tmp_path / "diagnose.parquet").num_row_groups == 3
    ex = io.read_extract(tmp_path)
    r = ex.rejects.sort_values(["table", "line"])
    assert r[["table", "line", "reason"]].values.tolist() == [
        ["diagnoses", 5, "person differs from the person of its episode"],
        ["diagnoses", 7, "orphan: no such episode in episodes"],
        ["episodes", 5, "duplicate episode_id: first on line 3"],
        ["episodes", 6, "orphan: no such person in persons"]]
    assert list(ex.episodes["episode_id"]) == ["E0", "E1", "E2", "E5"]
    assert list(ex.diagnoses["diagnosis_id"]) == ["D0", "D1", "D2", "D4"]
    accounted(ex)


def test_child_tables_name_only_settled_parents():
    # The child tables' rules run side by side: that is sound only while each names
    # nothing but tables checked before them, and no table names a child.
    from harkit.io.validate import CHILD_TABLES, PARENT_TABLES

    assert set(PARENT_TABLES) | set(CHILD_TABLES) == set(schema.TABLE_ORDER)
    for name in schema.TABLE_ORDER:
        parents = set(schema.TABLES[name].parents.values())
        assert not parents & set(CHILD_TABLES), name
        if name in PARENT_TABLES:
            assert parents <= set(PARENT_TABLES[:PARENT_TABLES.index(name)]), name


def test_text_changed_on_disk_while_parsed_is_not_read(tmp_path, monkeypatch):
    # The parser reads sound records from the file after the copy in memory is let go;
    # were the file changed meanwhile, its rows would not be those the splitter accounted
    # for, so the file is not read at all: here a value is overwritten in place (same
    # size, same number of rows; the file's modification time tells).
    import os

    from harkit.io import text as text_mod
    from harkit.io.raw import UnreadableFile

    path = tmp_path / "pasient.csv"
    path.write_bytes(b"lopenr;kjonn;kommune\nP1;1;Oslo\nP2;2;Bergen\n")
    assert text_mod.read_text(path).frame["lopenr"].tolist() == ["P1", "P2"]
    real = text_mod._TextFile.parse_arrow

    def change_first(self, *args):
        before = path.stat().st_mtime_ns
        with path.open("r+b") as fh:
            fh.seek(len("lopenr;kjonn;kommune\nP1;1;"))
            fh.write(b"Olso")
        os.utime(path, ns=(before + 10**9, before + 10**9))
        return real(self, *args)

    monkeypatch.setattr(text_mod._TextFile, "parse_arrow", change_first)
    with pytest.raises(UnreadableFile, match="changed while it was read"):
        text_mod.read_text(path)


def test_line_split_from_a_damaged_record_reads_its_own_quotes(tmp_path):
    # The quote opened on line 2 is closed on line 3 by a quote followed by a letter: the
    # record is damaged and its lines are split one by one, each with its own quotes.
    # Line 3 then holds a quoted value with a separator inside it, which does not
    # separate: two fields, kept; line 2 alone has too few fields and is rejected.
    from harkit.io import text as text_mod

    path = tmp_path / "pasient.csv"
    path.write_bytes(b'lopenr;kommune\n"x\n;"a;b"\n')
    raw = text_mod.read_text(path)
    assert raw.frame.astype(object).values.tolist() == [["", "a;b"]]
    assert raw.lines.tolist() == [3]
    assert [(ln, reason.split(":")[0]) for ln, _, reason in raw.bad_lines] == [
        (2, "wrong number of fields")]
