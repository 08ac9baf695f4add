"""Reading the raw files of a delivery: one entry point for every format.

Everything here returns the file's content untouched (text files as text), with the
1-based line on which each row starts, so that later steps can name it in a reject.
"""

from __future__ import annotations

from pathlib import Path

from harkit.errors import ExtractError
from harkit.io.binary import read_binary, read_xlsx
from harkit.io.encoding import ENCODINGS, detect_encoding
from harkit.io.folder import BINARY_SUFFIXES, SUFFIXES, TEXT_SUFFIXES
from harkit.io.raw import RawFile, UnreadableFile
from harkit.io.text import detect_delimiter, read_text

__all__ = ["BINARY_SUFFIXES", "ENCODINGS", "SUFFIXES", "TEXT_SUFFIXES", "RawFile",
           "detect_delimiter", "detect_encoding", "read_parts", "read_raw"]


def read_parts(path: Path) -> list[RawFile]:
    """Read one delivered file: one raw file, or one per worksheet of a workbook.

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    list of RawFile

    Raises
    ------
    UnreadableFile
        If the file cannot be read (corrupt, or not readable).
    ValueError
        If the suffix is not one harkit reads.
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"{path.name}: harkit reads {sorted(SUFFIXES)}, not {suffix!r}")
    if path.exists() and not path.is_file():
        # Opening a FIFO would wait for a writer forever.
        raise UnreadableFile("not a regular file")
    try:
        if suffix in TEXT_SUFFIXES:
            return [read_text(path)]
        if suffix == ".xlsx":
            return read_xlsx(path)
        return [read_binary(path)]
    except PermissionError as err:
        raise UnreadableFile("unreadable: permission denied") from err
    except IsADirectoryError as err:
        raise UnreadableFile("not a regular file (a folder)") from err
    except OSError as err:
        raise UnreadableFile(f"unreadable ({type(err).__name__})") from err


def read_raw(path: str | Path) -> RawFile:
    """Read one delivered file without interpreting it.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv``/``.txt``/``.tsv``, ``.parquet``, Stata ``.dta``, SAS
        ``.sas7bdat``/``.xpt`` or Excel ``.xlsx`` file (its first worksheet with data).

    Returns
    -------
    RawFile
        Rows, the line each row starts on, rows rejected on read and notes. Binary formats
        have no lines; their rows are numbered as the same table would be in a CSV file
        with a header (the first row is line 2). Worksheet rows keep Excel's numbers.

    Raises
    ------
    ValueError
        If the suffix is not one harkit reads.
    harkit.errors.ExtractError
        If the file cannot be read (names the file).
    """
    p = Path(path)
    try:
        return read_parts(p)[0]
    except UnreadableFile as err:
        raise ExtractError(f"cannot read the file: {err.reason}", source_file=p.name) from err
