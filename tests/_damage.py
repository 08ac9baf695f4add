"""Helpers for the damaged-delivery tests: a small delivery, and the two invariants.

*Accounting*: every physical line of a delivered text file is the header, a blank line,
part of a kept row, or a rejected line; ``rows_read == rows_kept + rows_rejected``.
*Content*: every kept row equals its source line(s) split by the Python ``csv`` module
(the reference, independent of harkit's splitter) under the decoding harkit reports, or
a note names the line.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from harkit import cli
from harkit import io as hio
from harkit.datasets import fixture_dir
from harkit.errors import ExtractError
from harkit.extract import Extract
from harkit.io.raw import RawFile
from harkit.io.text import HEADERLESS

# The reference reader must read the long fields harkit keeps.
csv.field_size_limit(1 << 30)
N_PERSONS = 30


@functools.cache
def fixture_csv(name: str) -> bytes:
    """The bundled fixture's table as the CSV file a delivery would hold (``;``, UTF-8).

    The fixture ships as Parquet in the Norwegian layout, every value text as delivered.
    """
    frame = pd.read_parquet(fixture_dir() / Path(name).with_suffix(".parquet"))
    return frame.to_csv(sep=";", index=False, lineterminator="\n").encode("utf-8")


def fixture_lines(name: str) -> list[bytes]:
    return fixture_csv(name).split(b"\n")


def small_delivery(folder: Path) -> Path:
    """``pasient.csv`` (30 persons) and ``diagnose.csv`` (their first 60 diagnoses)."""
    folder.mkdir(parents=True, exist_ok=True)
    persons = fixture_lines("pasient.csv")[: N_PERSONS + 1]
    ids = {ln.split(b";")[0] for ln in persons[1:]}
    dx = fixture_lines("diagnose.csv")
    rows = [ln for ln in dx[1:] if ln and ln.split(b";")[2] in ids][:60]
    (folder / "pasient.csv").write_bytes(b"\n".join(persons) + b"\n")
    (folder / "diagnose.csv").write_bytes(b"\n".join([dx[0], *rows]) + b"\n")
    return folder


def source_ids(folder: Path) -> set[str]:
    """Person ids and exact dates of the undamaged small delivery (never to be shown)."""
    persons = fixture_lines("pasient.csv")[1: N_PERSONS + 1]
    out = set()
    for ln in persons:
        f = ln.decode().split(";")
        out |= {f[0], *(d for d in f[2:4] if re.fullmatch(r"\d\d\.\d\d\.\d{4}", d))}
    return out


def read(folder: Path, **kw) -> tuple[Extract, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ex = hio.read_extract(folder, **kw)
    return ex, [str(w.message) for w in caught]


def validate(folder: Path, *flags: str, capsys=None) -> tuple[int, str]:
    code = cli.main(["validate", str(folder), "--quiet", *flags])
    out = ""
    if capsys is not None:
        got = capsys.readouterr()
        out = got.out + got.err
    return code, out


def identity_number(rng: np.random.Generator, d_number: bool = False) -> str:
    """A valid Norwegian national identity number (or D-number)."""
    while True:
        day = int(rng.integers(1, 29)) + (40 if d_number else 0)
        base = f"{day:02d}{int(rng.integers(1, 13)):02d}{int(rng.integers(0, 100)):02d}" \
               f"{int(rng.integers(0, 1000)):03d}"
        d = [int(c) for c in base]
        k1 = (11 - sum(a * b for a, b in zip(d, [3, 7, 6, 1, 8, 9, 4, 5, 2])) % 11) % 11
        if k1 == 10:
            continue
        d.append(k1)
        k2 = (11 - sum(a * b for a, b in zip(d, [5, 4, 3, 2, 7, 6, 5, 4, 3, 2])) % 11) % 11
        if k2 != 10:
            return "".join(map(str, d)) + str(k2)


# --- the invariants -----------------------------------------------------------------------

def physical_lines(data: bytes, codec: str) -> dict[int, str]:
    """1-based physical lines of a text file under ``codec`` (without the line feed)."""
    text = data.decode(codec, errors="replace")  # the codecs with a mark consume it
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return {i + 1: ln for i, ln in enumerate(lines)}


def _cr(text: str) -> str:
    # A CR before the line feed belongs to the line break, not to the record.
    return text[:-1] if text.endswith("\r") else text


def reference_fields(text: str, delim: str, quoted: bool) -> list[str]:
    """Fields of one record: the csv module's split (a lone CR is text, as documented)."""
    if not quoted:
        return text.split(delim)
    hidden = text.replace("\r", "\ue000")  # the csv module would end a record at a CR
    rows = list(csv.reader(io.StringIO(hidden, newline=""), delimiter=delim, strict=False))
    return [f.replace("\ue000", "\r") for f in rows[0]] if len(rows) == 1 else []


def check_raw(path: Path) -> RawFile | None:
    """Both invariants for one text file, at the reader's level. None if not readable."""
    try:
        raw = hio.read_raw(path)
    except ExtractError:
        return None
    lines = physical_lines(path.read_bytes(), raw.encoding)
    delim = raw.delimiter
    data_lines = {n for n, t in lines.items() if _cr(t).strip(delim) != ""}
    noted = {ln for ln, _, _ in raw.notes if ln is not None}
    covered = {ln for ln, _, _ in raw.bad_lines if ln is not None}
    for a, b in raw.bad_spans.items():  # rejected records with quoted line breaks
        covered |= set(range(a, b + 1))
    first = min(data_lines, default=0)
    kept = _kept_positions(reference_fields(_cr(lines.get(first, "")), delim,
                                            first not in noted), raw)
    for line, values in zip(raw.lines, raw.frame.astype(object).itertuples(index=False)):
        values = ["" if v is None else str(v) for v in values]
        span = int(line) + sum(v.count("\n") for v in values)
        covered |= set(range(int(line), span + 1))
        if int(line) in noted:
            continue
        source = _cr("\n".join(lines[n] for n in range(int(line), span + 1)))
        ref = reference_fields(source, delim, quoted=True)
        ref = ref + [""] * (max(kept, default=-1) + 1 - len(ref))
        assert values == [ref[i] for i in kept], (path.name, int(line))
    start = min(covered, default=max(data_lines, default=0) + 1)
    header = {n for n in data_lines if n < start}
    if raw.file_problem == HEADERLESS:
        assert not header, "a headerless file has no header line"
    elif _cr(lines.get(first, "")).count('"') % 2 == 0:
        assert len(header) <= 1, (path.name, sorted(header)[:10])
    missing = data_lines - covered - header
    assert not missing, (path.name, sorted(missing)[:10])
    return raw


def _kept_positions(header: list[str], raw: RawFile) -> list[int]:
    """Positions of the header's fields that are columns of the raw frame."""
    columns, seen, out = set(raw.frame.columns), set(), []
    for i, name in enumerate(header):
        name = name.strip()
        if (not name and f"unnamed_{i + 1}" in columns) or (name and name not in seen
                                                             and name in columns):
            out.append(i)
        seen.add(name)
    return out


def check_extract(ex: Extract, folder: Path, messages: list[str],
                  raws: dict[str, RawFile | None] | None = None) -> None:
    """Extract-level accounting, and no raw value from the delivery in any message.

    ``raws`` (file name -> what :func:`check_raw` returned) saves reading files again.
    """
    rc = ex.row_counts
    assert (rc["rows_read"] == rc["rows_kept"] + rc["rows_rejected"]).all()
    for f in folder.iterdir():
        if f.suffix == ".csv" and f.is_file() and f.name not in set(ex.skipped_files["file"]):
            raw = raws[f.name] if raws and f.name in raws else hio.read_raw(f)
            got = rc.loc[rc["source_file"] == f.name, "rows_read"]
            assert int(got.iloc[0]) == raw.rows_read, f.name
    texts = [*messages, ex.summary().to_string(), ex.notes.to_string(),
             ex.skipped_files.to_string(),
             ex.rejects.drop(columns=["value"]).to_string()]
    values = ex.rejects["value"].dropna()
    assert not values.str.contains(r"[0-8]|[^\W\d_X]", regex=True).any()
    secret = source_ids(folder)
    for t in texts:
        leaked = [s for s in secret if s in t]
        assert not leaked, leaked[:3]


def accounted(ex: Extract) -> pd.DataFrame:
    rc = ex.row_counts
    assert (rc["rows_read"] == rc["rows_kept"] + rc["rows_rejected"]).all()
    return rc
