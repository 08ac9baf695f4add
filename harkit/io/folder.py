"""Which files of a delivery folder are read, and why each of the others is not."""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: File suffixes read as delimited text.
TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".tab", ".dat"}
#: Binary formats harkit reads.
BINARY_SUFFIXES = {".parquet", ".pq", ".dta", ".sas7bdat", ".xpt", ".xlsx"}
#: Every suffix harkit reads.
SUFFIXES = TEXT_SUFFIXES | BINARY_SUFFIXES

_TEMP_PREFIXES = (".", "~$", "~")
_TEMP_SUFFIXES = ("~", ".tmp", ".temp", ".bak", ".swp", ".part", ".crdownload")
_KNOWN_OTHER = {
    ".xls": "old Excel format (.xls): save it as .xlsx or CSV",
    ".xlsm": "Excel workbook with macros (.xlsm): save it as .xlsx or CSV",
    ".zip": "compressed file: unpack it into the delivery folder",
    ".gz": "compressed file: unpack it into the delivery folder",
    ".7z": "compressed file: unpack it into the delivery folder",
}


def skip_reason(path: Path) -> str | None:
    """Why a folder entry is not read (None if it is read).

    Parameters
    ----------
    path : pathlib.Path
        An entry of a delivery folder.

    Returns
    -------
    str or None
        ``hidden or temporary file``, ``symbolic link ...``, ``dangling symbolic link``,
        ``folder ...``, ``not a regular file ...``, ``unknown extension ...``,
        ``unreadable ...``; or None.
    """
    name = path.name
    if name.startswith(_TEMP_PREFIXES) or name.lower().endswith(_TEMP_SUFFIXES):
        return "hidden or temporary file"
    try:
        mode = os.lstat(path).st_mode
    except OSError as err:
        return f"cannot be examined ({type(err).__name__})"
    if stat.S_ISLNK(mode):
        if not path.exists():
            return "dangling symbolic link"
        return "symbolic link: not followed (copy the file itself into the delivery)"
    if stat.S_ISDIR(mode):
        return "folder: only files directly in the delivery folder are read"
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) \
            else "a device"
        return f"not a regular file ({kind})"
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        return _KNOWN_OTHER.get(suffix, f"unknown extension {suffix or '(none)'!r}: harkit "
                                        f"reads {', '.join(sorted(SUFFIXES))}")
    if not os.access(path, os.R_OK):
        return "unreadable: permission denied"
    return None


def list_delivery(folder: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """The files of a delivery folder to read, and the others with the reason.

    Parameters
    ----------
    folder : pathlib.Path

    Returns
    -------
    (list of pathlib.Path, list of (str, str))
        Files to read, in name order; ``(file name, reason)`` for every other entry.
    """
    read, skipped = [], []
    for p in sorted(folder.iterdir(), key=lambda q: q.name):
        reason = skip_reason(p)
        if reason is None:
            read.append(p)
        else:
            skipped.append((p.name, reason))
    return read, skipped
