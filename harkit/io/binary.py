"""Reading binary deliveries: Parquet, Stata, SAS and Excel workbooks.

A file the library cannot open, or that breaks while being read, raises
:class:`~harkit.io.raw.UnreadableFile` with a reason that quotes nothing from the file;
the delivery's other files are still read. Where the format records its own row count
(Parquet, Stata, SAS), the rows returned are checked against it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from harkit.io.header import looks_headerless, settle_names
from harkit.io.names import table_from_stem
from harkit.io.raw import Finding, RawFile, UnreadableFile

_FORMAT = {".parquet": "parquet", ".pq": "parquet", ".dta": "stata", ".sas7bdat": "sas7bdat",
           ".xpt": "xport"}
_LABEL = {"parquet": "Parquet", "stata": "Stata", "sas7bdat": "SAS", "xport": "SAS transport",
          "xlsx": "Excel workbook"}


def _guard(fmt: str, read: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    # Readers of damaged binary files raise whatever their parsers hit (ValueError,
    # struct.error, ReadstatError, ArrowInvalid ...): any of them means "cannot read".
    try:
        return read()
    except MemoryError:
        raise
    except PermissionError as err:
        raise UnreadableFile("unreadable: permission denied") from err
    except Exception as err:  # noqa: BLE001 - see above
        raise UnreadableFile(f"corrupt or not a valid {_LABEL[fmt]} file "
                             f"({type(err).__name__})") from err


def _declared_rows(path: Path, fmt: str) -> int | None:
    """Rows the file says it holds (None when the format does not say)."""
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        import pyreadstat

        readers = {"stata": pyreadstat.read_dta, "sas7bdat": pyreadstat.read_sas7bdat,
                   "xport": pyreadstat.read_xport}
        _, meta = readers[fmt](str(path), metadataonly=True)
        n = meta.number_rows
        return int(n) if n is not None and n >= 0 else None
    except Exception:  # noqa: BLE001 - the full read below reports a broken file
        return None


def _read_frame(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        # Text stays in Arrow arrays (as pandas 3 keeps it): checked there without a
        # Python string per row, and a fraction of the memory under pandas 2.
        text = pd.StringDtype("pyarrow")
        return pq.read_table(path).to_pandas(
            types_mapper={pa.string(): text, pa.large_string(): text}.get)
    if fmt == "stata":
        return pd.read_stata(path, convert_categoricals=True)
    if fmt == "sas7bdat":
        return pd.read_sas(path, format="sas7bdat", encoding="infer")
    try:
        # Bytes, decoded below (UTF-8 where valid, else Latin-1), on pandas 2 and 3 alike.
        return _decode_bytes(pd.read_sas(path, format="xport", encoding=None))
    except ValueError:
        # pandas reads transport version 5 only; pyreadstat also reads version 8.
        import pyreadstat

        return pyreadstat.read_xport(str(path))[0]


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


def read_binary(path: Path) -> RawFile:
    """Read a Parquet, Stata or SAS file.

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    RawFile
        Rows numbered as in a CSV file with a header (the first row is line 2); rows the
        file declares but did not return are rejected without a line.

    Raises
    ------
    UnreadableFile
        If the file cannot be read.
    """
    fmt = _FORMAT[path.suffix.lower()]
    frame = _guard(fmt, lambda: _read_frame(path, fmt)).reset_index(drop=True)
    lines = np.arange(2, len(frame) + 2, dtype="int64")
    frame, lines, bad, notes = settle_names(frame, [str(c) for c in frame.columns], lines)
    declared = _declared_rows(path, fmt)
    if declared is not None and declared > len(frame) + len(bad):
        missing = declared - len(frame) - len(bad)
        bad += [(None, None, f"the file declares {declared} rows but only "
                             f"{declared - missing} could be read")] * missing
    return RawFile(path.name, frame, lines, False, bad_lines=bad, notes=notes, decoding=fmt)


def _cell_text(v: object) -> str:
    return "" if v is None else str(v)


def _sheet(path: Path, title: str, rows: list[tuple[int, tuple]], several: bool) -> RawFile:
    """One worksheet as a raw file: its first non-empty row is the header."""
    width = max(len(r) for _, r in rows)
    grid = [list(r) + [None] * (width - len(r)) for _, r in rows]
    numbers = np.array([i for i, _ in rows], dtype="int64")
    name = f"{path.name}[{title}]" if several else path.name
    stem = title if table_from_stem(title) is not None else path.stem
    names = [_cell_text(v).strip() for v in grid[0]]
    nxt = [_cell_text(v) for v in grid[1]] if len(grid) > 1 else None
    if looks_headerless(names, nxt):
        from harkit.io.text import HEADERLESS

        bad: list[Finding] = [(int(n), None, HEADERLESS.replace("line 1", f"row {numbers[0]}"))
                              for n in numbers]
        return RawFile(name, pd.DataFrame(columns=[f"column_{i + 1}" for i in range(width)]),
                       np.zeros(0, dtype="int64"), False, bad_lines=bad,
                       file_problem=bad[0][2], stem=stem, decoding="xlsx")
    frame = pd.DataFrame(grid[1:], columns=range(width), dtype=object)
    frame, lines, bad, notes = settle_names(frame, names, numbers[1:])
    return RawFile(name, frame, lines, False, bad_lines=bad, notes=notes, stem=stem,
                   decoding="xlsx")


def read_xlsx(path: Path) -> list[RawFile]:
    """Read every non-empty worksheet of an Excel workbook.

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    list of RawFile
        One per worksheet with data (named ``book.xlsx[Sheet]`` when there are several),
        rows numbered as Excel numbers them; cached formula results are read, not formulas.

    Raises
    ------
    UnreadableFile
        If the workbook cannot be read.
    """
    def load() -> list[tuple[str, list[tuple[int, tuple]]]]:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheets = []
            for ws in wb.worksheets:
                ws.reset_dimensions()  # some writers record a wrong sheet size
                rows = [(i, tuple(r)) for i, r in enumerate(ws.iter_rows(values_only=True), 1)
                        if any(_cell_text(v).strip() for v in r)]
                if rows:
                    sheets.append((ws.title, rows))
            return sheets
        finally:
            wb.close()

    sheets = _guard("xlsx", load)
    if not sheets:
        return [RawFile(path.name, pd.DataFrame(), np.zeros(0, dtype="int64"), False,
                        decoding="xlsx")]
    return [_sheet(path, title, rows, len(sheets) > 1) for title, rows in sheets]
