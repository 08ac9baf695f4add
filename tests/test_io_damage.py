"""A battery of damaged deliveries, one test per kind of damage.

Each builds its damaged files from the bundled fixture, reads them, and checks: no row
lost without a reject, no value changed without a note, no crash (only harkit errors that
name the file), no raw value in any message, and the exit code of ``harkit validate``.
"""

from __future__ import annotations

import os
import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _damage import (
    N_PERSONS,
    accounted,
    check_extract,
    check_raw,
    fixture_csv,
    identity_number,
    read,
    small_delivery,
    validate,
)

from harkit import io, privacy
from harkit.datasets import fixture_dir
from harkit.errors import ExtractError, SchemaError
from harkit.io import IdentifierWarning
from harkit.io.text import HEADERLESS, MAX_FIELD_BYTES, RAW_NOTE


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    return small_delivery(tmp_path / "delivery")


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"\n".join(lines))


def checked(folder: Path, **kw):
    ex, warned = read(folder, **kw)
    for f in folder.glob("*.csv"):
        if f.is_file():
            check_raw(f)
    check_extract(ex, folder, warned)
    return ex, warned


def rej(ex, source_file: str = "pasient.csv") -> pd.DataFrame:
    """Rejects of one file (a rejected person also makes its diagnoses orphans)."""
    return ex.rejects[ex.rejects["source_file"] == source_file]


def rows(ex, source_file: str) -> pd.Series:
    rc = accounted(ex)
    return rc.set_index("source_file").loc[source_file]


def test_clean_small_delivery_is_clean(delivery, capsys):
    ex, warned = checked(delivery)
    assert len(ex.rejects) == len(ex.notes) == len(ex.skipped_files) == 0 and not warned
    assert len(ex.persons) == N_PERSONS
    assert ex.row_counts["decoding"].tolist() == ["utf-8", "utf-8"]
    assert validate(delivery, capsys=capsys)[0] == 0


# --- encodings ------------------------------------------------------------------------------

@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_utf16_without_byte_order_mark_reads_every_row(delivery, codec, capsys):
    p = delivery / "pasient.csv"
    p.write_bytes(p.read_text(encoding="utf-8").encode(codec))
    ex, _ = checked(delivery)
    assert len(ex.persons) == N_PERSONS and rows(ex, "pasient.csv")["decoding"] == codec
    assert ex.notes["note"].str.contains("no byte-order mark").any()
    assert validate(delivery, capsys=capsys)[0] == 1  # a decoding note


def test_one_bad_byte_keeps_utf8_and_rejects_its_row(delivery, capsys):
    p = delivery / "pasient.csv"
    lines = lines_of(p)
    lines[3] = lines[3].replace(b"syn-", "Tromsø-".encode())  # valid UTF-8 letters elsewhere
    lines[7] = lines[7].replace(b"syn-", b"Troms\xf8-")  # one Latin-1 byte
    write_lines(p, lines)
    ex, _ = checked(delivery)
    assert rej(ex)[["line", "column", "reason"]].values.tolist() == [
        [8, "kommune", "bytes that are not valid UTF-8"]]
    assert rows(ex, "pasient.csv")["decoding"] == "utf-8"
    assert ex.persons["municipality"].str.startswith("Tromsø").sum() == 1  # not re-decoded
    assert len(ex.persons) == N_PERSONS - 1
    assert validate(delivery, capsys=capsys)[0] == 1


def test_genuine_cp1252_file_is_read_as_such(delivery, capsys):
    p = delivery / "pasient.csv"
    text = p.read_text(encoding="utf-8").replace("syn-0", "Bærum Ø")
    p.write_bytes(text.encode("cp1252"))
    ex, _ = checked(delivery)
    assert rows(ex, "pasient.csv")["decoding"] == "cp1252"
    assert ex.persons["municipality"].str.contains("Bærum Ø").all()
    assert ex.notes["note"].str.contains("Windows-1252").any()
    assert validate(delivery, capsys=capsys)[0] == 1


def test_cp1252_file_with_typographic_punctuation(delivery):
    p = delivery / "pasient.csv"
    text = p.read_text(encoding="utf-8").replace("syn-0", "«Nord» – “Sør” ø ")
    p.write_bytes(text.encode("cp1252"))
    ex, _ = checked(delivery)
    assert rows(ex, "pasient.csv")["decoding"] == "cp1252"
    assert ex.persons["municipality"].str.contains("«Nord» – “Sør” ø", regex=False).all()


def test_files_joined_with_their_headers(delivery):
    p = delivery / "pasient.csv"
    lines = lines_of(p)
    write_lines(p, lines[:16] + [b"\xef\xbb\xbf" + lines[0]] + lines[16:])
    ex, _ = checked(delivery)
    assert rej(ex)[["line", "reason"]].values.tolist() == [
        [17, "the header line repeated here (were files joined with their headers?)"]]
    assert len(ex.persons) == N_PERSONS


# --- quotes, separators, lines --------------------------------------------------------------

def test_stray_quote_at_a_field_start_swallows_nothing(delivery, capsys):
    p = delivery / "pasient.csv"
    lines = lines_of(p)
    lines[10] = lines[10].replace(b";syn-", b';"syn-')  # opens, never closes
    write_lines(p, lines)
    ex, _ = checked(delivery)
    assert len(ex.persons) == N_PERSONS and rows(ex, "pasient.csv")["rows_read"] == N_PERSONS
    assert ex.notes[["line", "note"]].values.tolist() == [[11, RAW_NOTE]]
    assert validate(delivery, capsys=capsys)[0] == 1


def test_two_stray_quotes_lose_only_their_own_lines(delivery):
    p = delivery / "pasient.csv"
    lines = lines_of(p)
    lines[5] = lines[5].replace(b";1;", b';"1;', 1).replace(b";2;", b';"2;', 1)
    lines[20] = lines[20].replace(b";syn-", b';syn"-')  # closes inside a field
    write_lines(p, lines)
    ex, _ = checked(delivery)
    assert rows(ex, "pasient.csv")["rows_read"] == N_PERSONS
    # Only the two lines holding the quotes can be wrong; the 14 lines between are read.
    assert set(rej(ex)["line"]) | set(ex.notes["line"].dropna()) <= {6, 21}
    assert len(ex.persons) >= N_PERSONS - 2


def test_quote_inside_a_value_is_text(delivery, capsys):
    p = delivery / "diagnose.csv"
    raw = p.read_bytes()
    assert b"uspesifisert" in raw  # a word of the ICD-10 titles the generator writes
    p.write_bytes(raw.replace(b"uspesifisert", b'uspesi"fisert', 1))
    ex, _ = checked(delivery)
    assert ex.diagnoses["diagnosis_text"].str.contains('uspesi"fisert').any()
    assert validate(delivery, capsys=capsys)[0] == 0


def test_swallowed_records_between_well_formed_quotes_are_read(delivery):
    p = delivery / "pasient.csv"
    lines = lines_of(p)
    lines[5] = lines[5].replace(b";syn-", b';"syn-')
    lines[6] = lines[6] + b'"'  # a closing quote that looks right: lines 6-7 one record
    write_lines(p, lines)
    ex, _ = checked(delivery)
    assert rows(ex, "pasient.csv")["rows_read"] == N_PERSONS


def test_legitimate_multiline_text_is_one_row(delivery):
    text = ('dokument_id;lopenr;dokumentdato;tekst\nDOK1;P0000001;1980;"Innlagt.\n'
            'Drikker; mye.\n\nUtskrevet."\nDOK2;P0000001;1980;kort\n')
    (delivery / "dokument.csv").write_text(text, encoding="utf-8")
    ex, _ = checked(delivery)
    assert ex.documents["text"].tolist() == ["Innlagt.\nDrikker; mye.\n\nUtskrevet.", "kort"]


def test_nul_byte_rejects_the_row_and_never_cuts_a_value(delivery):
    p = delivery / "pasient.csv"
    lines = lines_of(p)
    lines[4] = lines[4].replace(b"P0000004", b"P000\x000004")
    write_lines(p, lines)
    ex, _ = checked(delivery)
    assert rej(ex)[["line", "column"]].values.tolist() == [[5, "lopenr"]]
    assert not ex.persons["person_id"].isin(["P000", "P0000004"]).any()


def test_field_longer_than_the_csv_module_limit(delivery):
    text = "dokument_id;lopenr;dokumentdato;tekst\n"
    text += "DOK1;P0000001;;" + "lang tekst " * 20_000 + "\n"  # 220 kB: kept
    text += "DOK2;P0000002;;" + "x" * (MAX_FIELD_BYTES + 1) + "\n"  # rejected
    text += "DOK3;P0000003;;kort\n"
    (delivery / "dokument.csv").write_text(text, encoding="utf-8")
    ex, _ = checked(delivery)
    assert ex.documents["document_id"].tolist() == ["DOK1", "DOK3"]
    assert rej(ex, "dokument.csv")[["line", "column"]].values.tolist() == [[3, "tekst"]]


def test_truncated_file_rejects_its_cut_line(delivery):
    p = delivery / "pasient.csv"
    p.write_bytes(p.read_bytes()[:-25])
    ex, _ = checked(delivery)
    assert rej(ex)["reason"].str.startswith("the file ends in the middle").any()
    assert rows(ex, "pasient.csv")["rows_read"] == N_PERSONS


def test_old_mac_line_breaks(delivery):
    p = delivery / "pasient.csv"
    p.write_bytes(p.read_bytes().replace(b"\n", b"\r"))
    ex, _ = checked(delivery)
    assert len(ex.persons) == N_PERSONS


# --- header ---------------------------------------------------------------------------------

def test_duplicate_header_name(delivery, capsys):
    p = delivery / "pasient.csv"
    lines = lines_of(p)
    lines = [ln + (b";kommune" if i == 0 else b";" + ln.split(b";")[4] if ln else b"")
             for i, ln in enumerate(lines)]
    lines[9] = lines[9][: lines[9].rfind(b";")] + b";annen"
    write_lines(p, lines)
    ex, _ = checked(delivery)
    assert rej(ex)[["line", "column"]].values.tolist() == [[10, "kommune"]]
    assert rej(ex)["reason"].iloc[0].startswith("duplicate column name")
    assert ex.notes["note"].str.startswith("duplicate column name").any()
    assert "kommune.1" not in ex.persons.columns
    assert validate(delivery, capsys=capsys)[0] == 1


def test_header_missing_its_last_name(delivery):
    p = delivery / "pasient.csv"
    lines = lines_of(p)
    lines[0] = lines[0][: lines[0].rfind(b";")]
    write_lines(p, lines)
    ex, warned = checked(delivery)
    assert rows(ex, "pasient.csv")[["rows_read", "rows_kept"]].tolist() == [N_PERSONS, 0]
    assert rej(ex)["reason"].str.contains("a column name is missing").all()
    assert any("a column name is missing" in w for w in warned)
    with pytest.raises(SchemaError, match="pasient.csv"):
        io.read_extract(delivery, strict=True)


def test_extra_field_on_the_first_data_row(delivery):
    p = delivery / "pasient.csv"
    lines = lines_of(p)
    lines[1] += b";ekstra"
    write_lines(p, lines)
    ex, _ = checked(delivery)
    assert rej(ex)[["line", "reason"]].values.tolist() == [
        [2, "wrong number of fields: 6 fields where the header has 5"]]
    # Every other row keeps all five fields (nothing shifted or dropped).
    assert ex.persons["municipality"].str.startswith("syn-").all()


def test_headerless_file_leaks_nothing(delivery, capsys):
    p = delivery / "pasient.csv"
    write_lines(p, lines_of(p)[1:])
    ex, warned = checked(delivery)
    assert rows(ex, "pasient.csv")[["rows_read", "rows_rejected"]].tolist() == [N_PERSONS] * 2
    assert (rej(ex)["reason"] == HEADERLESS).all() and 1 in set(rej(ex)["line"])
    code, out = validate(delivery, capsys=capsys)
    assert code == 1 and "P00000" not in out and "01.09.1911" not in out
    code, out = validate(delivery, "--json", capsys=capsys)
    assert code == 1 and "P00000" not in out


# --- files of the folder --------------------------------------------------------------------

def test_xlsx_is_read_with_excel_row_numbers(delivery, capsys):
    p = delivery / "pasient.csv"
    df = pd.read_csv(p, sep=";", dtype=str, keep_default_na=False)
    df.loc[3, "kjonn"] = "9"
    p.unlink()
    with pd.ExcelWriter(delivery / "pasient.xlsx") as xw:
        df.to_excel(xw, sheet_name="Ark1", index=False)
    ex, _ = checked(delivery)
    assert rows(ex, "pasient.xlsx")[["rows_read", "decoding"]].tolist() == [N_PERSONS, "xlsx"]
    assert rej(ex, "pasient.xlsx")[["line", "column"]].values.tolist() == [[5, "kjonn"]]
    assert validate(delivery, capsys=capsys)[0] == 1


def test_workbook_with_a_sheet_per_table(delivery):
    with pd.ExcelWriter(delivery / "uttrekk.xlsx") as xw:
        for name in ("pasient", "diagnose"):
            pd.read_csv(delivery / f"{name}.csv", sep=";", dtype=str,
                        keep_default_na=False).to_excel(xw, sheet_name=name, index=False)
            (delivery / f"{name}.csv").unlink()
    ex, _ = checked(delivery)
    assert set(ex.row_counts["source_file"]) == {"uttrekk.xlsx[pasient]",
                                                 "uttrekk.xlsx[diagnose]"}
    assert len(ex.persons) == N_PERSONS and len(ex.diagnoses) > 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_links_fifos_folders_and_strangers_are_listed(delivery, capsys):
    os.symlink(delivery / "missing.csv", delivery / "dangling.csv")
    os.symlink(delivery / "pasient.csv", delivery / "lenke.csv")
    os.mkfifo(delivery / "ror.csv")
    (delivery / "gammel").mkdir()
    (delivery / "les_meg.md").write_text("hei", encoding="utf-8")
    (delivery / "~$pasient.xlsx").write_bytes(b"lock")
    ex, _ = checked(delivery)
    reasons = dict(zip(ex.skipped_files["file"], ex.skipped_files["reason"]))
    assert reasons["dangling.csv"] == "dangling symbolic link"
    assert reasons["lenke.csv"].startswith("symbolic link")
    assert reasons["ror.csv"] == "not a regular file (a FIFO)"
    assert reasons["gammel"].startswith("folder")
    assert reasons["les_meg.md"].startswith("unknown extension")
    assert reasons["~$pasient.xlsx"] == "hidden or temporary file"
    assert len(ex.persons) == N_PERSONS
    assert validate(delivery, capsys=capsys)[0] == 1


@pytest.mark.parametrize("name", ["pasient.xpt", "pasient.parquet", "pasient.dta",
                                  "pasient.sas7bdat", "pasient.xlsx", "pasient.csv"])
def test_corrupt_binary_file_is_skipped_and_the_rest_read(delivery, name, capsys):
    if name == "pasient.csv":  # binary content under a text name
        data = bytes(np.random.default_rng(3).integers(0, 256, 4000, dtype=np.uint8))
    else:
        data = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!" + b"\x00\x17" * 300
    (delivery / "pasient.csv").unlink()
    (delivery / name).write_bytes(data)
    ex, _ = checked(delivery)
    assert ex.skipped_files["file"].tolist() == [name]
    assert ex.skipped_files["reason"].str.contains("corrupt|binary").all()
    assert len(ex.diagnoses) + len(ex.rejects) > 0
    assert validate(delivery, capsys=capsys)[0] == 1
    with pytest.raises(ExtractError, match=name.replace(".", r"\.")):
        io.read_extract(delivery, strict=True)


def test_truncated_parquet_is_corrupt(delivery):
    df = pd.read_csv(delivery / "pasient.csv", sep=";", dtype=str)
    df.to_parquet(delivery / "pasient.parquet")
    (delivery / "pasient.csv").unlink()
    data = (delivery / "pasient.parquet").read_bytes()
    (delivery / "pasient.parquet").write_bytes(data[: len(data) // 2])
    ex, _ = checked(delivery)
    assert ex.skipped_files["file"].tolist() == ["pasient.parquet"]


# --- identity numbers -----------------------------------------------------------------------

def test_identity_number_column_is_dropped(delivery, capsys):
    rng = np.random.default_rng(7)
    p = delivery / "pasient.csv"
    numbers = [identity_number(rng, d_number=i % 5 == 0) for i in range(N_PERSONS)]
    codes = ["".join(map(str, rng.integers(0, 10, 11))) for _ in range(N_PERSONS)]
    lines = lines_of(p)
    lines = [ln + (b";fnr;kode" if i == 0 else f";{numbers[i - 1]};{codes[i - 1]}".encode())
             if ln else ln for i, ln in enumerate(lines)]
    write_lines(p, lines)
    with pytest.warns(IdentifierWarning, match=r"pasient\.csv: column 'fnr'"):
        ex = io.read_extract(delivery)
    assert "fnr" not in ex.persons.columns and "kode" in ex.persons.columns
    summary = ex.summary()
    assert summary[summary["section"] == "identity numbers"]["item"].tolist() == [
        "pasient.csv: fnr"]
    code, out = validate(delivery, capsys=capsys)
    assert code == 1 and not any(n in out for n in numbers)
    assert isinstance(IdentifierWarning("x"), privacy.DisclosureWarning)


def test_identity_numbers_validated_by_check_digits():
    rng = np.random.default_rng(1)
    good = [identity_number(rng) for _ in range(50)] + [identity_number(rng, True)]
    ok = io.valid_identity_numbers(pd.Series(good + ["01019012345", "abc", "", None],
                                             dtype=object))
    assert ok[: len(good)].all() and not ok[len(good):].any()
    random = pd.Series(["".join(map(str, rng.integers(0, 10, 11))) for _ in range(20_000)])
    assert io.valid_identity_numbers(random).mean() < 0.005


# --- the extract's bookkeeping --------------------------------------------------------------

def test_skipped_files_and_notes_survive_parquet_and_pickle(delivery, tmp_path):
    (delivery / "les_meg.md").write_text("hei", encoding="utf-8")
    p = delivery / "pasient.csv"
    p.write_bytes(p.read_text(encoding="utf-8").encode("utf-16-le"))
    ex, _ = read(delivery)
    back = io.read_extract(ex.to_parquet(tmp_path / "pq"))
    for name, df in ex.bookkeeping().items():
        pd.testing.assert_frame_equal(back.bookkeeping()[name], df, obj=name)
    again = pickle.loads(pickle.dumps(ex))
    pd.testing.assert_frame_equal(again.skipped_files, ex.skipped_files)
    assert len(back.skipped_files) == 1 and len(back.notes) == 1


def test_summary_hides_small_reject_counts(delivery):
    (delivery / "diagnose.csv").unlink()  # no orphans: one reject only
    p = delivery / "pasient.csv"
    lines = lines_of(p)
    lines[2] = lines[2].replace(b";1;", b";7;")
    write_lines(p, lines)
    ex, _ = read(delivery)
    s = ex.summary()
    assert s.loc[s["section"] == "rejects", "value"].tolist() == ["<5"]
    with privacy.policy(threshold=1):
        s = ex.summary()
    assert s.loc[s["section"] == "rejects", "value"].tolist() == ["1"]


# --- harkit validate ------------------------------------------------------------------------

def test_validate_exit_codes_and_messages(delivery, tmp_path, capsys):
    assert validate(delivery, capsys=capsys)[0] == 0
    (delivery / "les_meg.md").write_text("hei", encoding="utf-8")
    assert validate(delivery, capsys=capsys)[0] == 1  # a skipped file is a note
    code, out = validate(tmp_path / "nowhere", capsys=capsys)
    assert code == 2 and "Traceback" not in out and "no such file" in out
    code, out = validate(tmp_path / "nowhere", "--debug", capsys=capsys)
    assert code == 2 and "Traceback" in out
    only = tmp_path / "only"
    only.mkdir()
    (only / "pasient.parquet").write_bytes(b"not parquet")
    code, out = validate(only, "--json", capsys=capsys)
    assert code == 2 and '"status": "unreadable"' in out


def test_validate_json_report(delivery, capsys):
    import json

    (delivery / "diagnose.csv").unlink()  # no orphans: one reject only
    p = delivery / "pasient.csv"
    lines = lines_of(p)
    lines[2] = lines[2].replace(b";1;", b";7;")
    write_lines(p, lines)
    code, out = validate(delivery, "--json", capsys=capsys)
    report = json.loads(out)
    assert code == report["exit_code"] == 1 and report["status"] == "rows rejected"
    assert report["rejects_by_reason"] == [{"table": "persons", "source_file": "pasient.csv",
                                            "reason": "unknown sex code", "rows": "<5"}]
    files = {f["source_file"]: f for f in report["files"]}
    assert files["pasient.csv"]["rows_rejected"] == files["pasient.csv"]["rows_kept"] == "*"
    assert report["tables"]["persons"] == "*"
    code, out = validate(delivery, "--json", "--no-suppress", capsys=capsys)
    assert json.loads(out)["rejects_by_reason"][0]["rows"] == 1


def test_every_broken_fixture_reads_without_losing_lines():
    broken = Path(__file__).resolve().parents[1] / "data_fixtures" / "broken"
    for case in sorted(broken.iterdir()):
        files = [case] if case.is_file() else sorted(case.iterdir())
        for f in files:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                check_raw(f)


def test_bundled_fixture_passes_the_invariants(tmp_path):
    for f in sorted(fixture_dir().glob("*.parquet")):
        csv_file = tmp_path / f"{f.stem}.csv"
        csv_file.write_bytes(fixture_csv(csv_file.name))
        raw = check_raw(csv_file)
        assert not raw.bad_lines and not raw.notes


@pytest.mark.parametrize("dtype", ["string[pyarrow]", "object"])
def test_identity_numbers_found_in_arrow_backed_text(dtype):
    # Parquet text is Arrow-backed under pandas 3 (handed over in chunks); it must be
    # looked at like Python strings.
    from harkit.io.identity import drop_identity_columns
    from harkit.io.raw import RawFile

    rng = np.random.default_rng(11)
    numbers = [identity_number(rng, d_number=i % 4 == 0) for i in range(40)]
    frame = pd.DataFrame({"lopenr": [f"{i:04d}" for i in range(40)], "fnr": numbers},
                         dtype=dtype)
    raw = RawFile("pasient.parquet", frame, np.arange(2, 42), is_text=False)
    with pytest.warns(IdentifierWarning, match=r"pasient\.parquet: column 'fnr'"):
        assert drop_identity_columns(raw) == ["fnr"]
    assert list(raw.frame.columns) == ["lopenr"]
