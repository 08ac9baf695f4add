"""Reading the raw files of a delivery: formats, encodings, delimiters, line numbers.

Everything here returns the file's content untouched (text files as text), with the
1-based line on which each row starts, so that later steps can name it in a reject.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: File suffixes read as delimited text.
TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".tab", ".dat"}
#: Every suffix harkit reads.
SUFFIXES = TEXT_SUFFIXES | {".parquet", ".pq", ".dta", ".sas7bdat", ".xpt"}

#: Encodings tried in order when a file has no byte-order mark.
ENCODINGS = ("utf-8", "cp1252", "latin-1")
_DELIMITERS = (";", "\t", ",", "|")


@dataclass
class RawFile:
    """The content of one file before any mapping.

    Attributes
    ----------
    name : str
        File name (no folder), as it appears in rejects.
    frame : pandas.DataFrame
        The rows; for text files every value is a ``str`` (never NA).
    lines : numpy.ndarray
        1-based line on which each row starts (header is line 1).
    is_text : bool
        Whether the file was delimited text.
    encoding, delimiter : str or None
        What was detected (text files only).
    bad_lines : list of (int, str)
        Rows that could not be split into the header's number of fields.
    """

    name: str
    frame: pd.DataFrame
    lines: np.ndarray
    is_text: bool
    encoding: str | None = None
    delimiter: str | None = None
    bad_lines: list[tuple[int, str]] = field(default_factory=list)


def detect_encoding(data: bytes) -> str:
    """Detect the encoding of a delivered text file.

    A byte-order mark decides (UTF-8 with BOM, UTF-16); otherwise the first of
    UTF-8, cp1252 and latin-1 that decodes the whole file. Latin-1 text with Norwegian
    letters is never valid UTF-8, so the order is safe.

    Parameters
    ----------
    data : bytes
        The file content.

    Returns
    -------
    str
        A Python codec name: ``utf-8-sig``, ``utf-16``, ``utf-8``, ``cp1252`` or ``latin-1``.
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for enc in ENCODINGS[:-1]:
        try:
            data.decode(enc)
        except UnicodeDecodeError:
            continue
        return enc
    return "latin-1"


def detect_delimiter(header: str) -> str:
    """Pick the field separator from a header line.

    The most frequent of ``;``, tab, ``,`` and ``|`` outside double quotes wins; ties go
    to that order (semicolon first, the Norwegian convention). A header without any
    of them is a one-column file and gets ``;``.

    Parameters
    ----------
    header : str
        The first line of the file.

    Returns
    -------
    str
        The separator.
    """
    outside = "".join(header.split('"')[::2])
    counts = [(outside.count(d), -i, d) for i, d in enumerate(_DELIMITERS)]
    best = max(counts)
    return best[2] if best[0] > 0 else ";"


def _first_line(text: str) -> str:
    # The header ends at the first newline outside quotes.
    in_quote = False
    for i, ch in enumerate(text):
        if ch == '"':
            in_quote = not in_quote
        elif ch in "\r\n" and not in_quote:
            return text[:i]
    return text


def _read_text(path: Path) -> RawFile:
    data = path.read_bytes()
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    if encoding == "utf-16":
        text = text.lstrip("\ufeff")
    header = _first_line(text)
    sep = detect_delimiter(header)
    if not text.strip():
        return RawFile(path.name, pd.DataFrame(), np.zeros(0, dtype="int64"), True,
                       encoding, sep)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False,
            skip_blank_lines=False, index_col=False, engine="c", quotechar='"',
        )
        bad: list[tuple[int, str]] = []
        if '"' in text:
            lines = _record_lines(frame, header)
        else:  # without quotes no field can span lines
            lines = np.arange(2, len(frame) + 2, dtype="int64")
    except pd.errors.ParserError:
        frame, lines, bad = _read_text_slow(text, sep)
    # Blank lines hold no data: they are not rows (the line numbers already skip them).
    if len(frame.columns) and len(frame):
        blank = (frame.iloc[:, 0] == "").to_numpy(copy=True)  # written below (CoW)
        if blank.any():
            blank[blank] = (frame.loc[blank] == "").all(axis=1).to_numpy()
        if blank.any():
            frame = frame.loc[~blank].reset_index(drop=True)
            lines = lines[~blank]
    return RawFile(path.name, frame, lines, True, encoding, sep, bad)


def _record_lines(frame: pd.DataFrame, header: str) -> np.ndarray:
    """First physical line of every record, counting newlines inside quoted fields."""
    n = len(frame)
    start = 2 + header.count("\n")
    spans = np.ones(n, dtype="int64")
    for col in frame.columns:
        s = frame[col]
        has_nl = s.str.contains("\n", regex=False)
        if has_nl.any():
            spans += s.str.count("\n").to_numpy(dtype="int64")
    return start + np.concatenate([[0], np.cumsum(spans)[:-1]]) if n else spans


def _read_text_slow(text: str, sep: str) -> tuple[pd.DataFrame, np.ndarray, list]:
    """Read a file whose rows have the wrong number of fields, keeping line numbers."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"')
    header = next(reader)
    rows, lines, bad = [], [], []
    prev_end = reader.line_num
    for rec in reader:
        first = prev_end + 1
        prev_end = reader.line_num
        if not rec or all(v == "" for v in rec):
            continue
        if len(rec) == len(header):
            rows.append(rec)
            lines.append(first)
        elif len(rec) < len(header):
            rows.append(rec + [""] * (len(header) - len(rec)))
            lines.append(first)
        else:
            bad.append((first, f"{len(rec)} fields where the header has {len(header)}"))
    frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(
        columns=header, dtype=object)
    return frame, np.asarray(lines, dtype="int64"), bad


def _decode_bytes(frame: pd.DataFrame) -> pd.DataFrame:
    # SAS transport files give text columns as bytes.
    for col in frame.columns:
        s = frame[col]
        if s.dtype == object and s.map(lambda v: isinstance(v, bytes)).any():
            def dec(v: object) -> object:
                if not isinstance(v, bytes):
                    return v
                try:
                    return v.decode("utf-8")
                except UnicodeDecodeError:
                    return v.decode("latin-1")
            frame[col] = s.map(dec)
    return frame


def read_raw(path: str | Path) -> RawFile:
    """Read one delivered file without interpreting it.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv``/``.txt``/``.tsv``, ``.parquet``, Stata ``.dta`` or SAS
        ``.sas7bdat``/``.xpt`` file.

    Returns
    -------
    RawFile
        Rows, and the line each row starts on. Binary formats have no lines; their rows
        are numbered as the same table would be in a CSV file with a header (the first
        row is line 2).

    Raises
    ------
    ValueError
        If the suffix is not one harkit reads.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return _read_text(p)
    if suffix in {".parquet", ".pq"}:
        frame = pd.read_parquet(p)
    elif suffix == ".dta":
        frame = pd.read_stata(p, convert_categoricals=True)
    elif suffix == ".sas7bdat":
        frame = pd.read_sas(p, format="sas7bdat", encoding="infer")
    elif suffix == ".xpt":
        try:
            # bytes, decoded below (explicit: pandas 3 deprecates the default)
            frame = _decode_bytes(pd.read_sas(p, format="xport", encoding=None))
        except ValueError:
            # pandas reads transport version 5 only; pyreadstat also reads version 8.
            import pyreadstat

            frame, _ = pyreadstat.read_xport(str(p))
    else:
        raise ValueError(f"{p.name}: harkit reads {sorted(SUFFIXES)}, not {suffix!r}")
    frame = frame.reset_index(drop=True)
    return RawFile(p.name, frame, np.arange(2, len(frame) + 2, dtype="int64"), False)
