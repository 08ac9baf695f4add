"""The header row: names that are missing, repeated, or that are really data."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from harkit import schema
from harkit.io.names import canonical_name, wide_cause_columns, wide_dx_columns
from harkit.io.raw import Finding
from harkit.io.rejects import mask_values, safe_name

#: A name "looks like data" when it has a digit and no run of four letters
#: (``P0000001``, ``01.09.1911``, ``F10.2``, ``1``; not ``bdiag2`` or ``fodselsaar``).
_WORDLIKE = re.compile(r"[^\W\d_]{4,}")
#: Share of names that must look like data (or share the shape of the next row) before a
#: first line with no known column name is taken for data.
HEADERLESS_SHARE = 0.5


def looks_like_data(name: str) -> bool:
    """Whether a header name looks like a value (an id, a date, a code or a number).

    Parameters
    ----------
    name : str

    Returns
    -------
    bool
    """
    return any(c.isdigit() for c in name) and not _WORDLIKE.search(name)


def is_known_name(name: str) -> bool:
    """Whether a name is a column (or wide column) of any canonical table.

    Parameters
    ----------
    name : str

    Returns
    -------
    bool
    """
    if wide_dx_columns([name]) or wide_cause_columns([name]):
        return True
    return any(canonical_name(t, name) is not None for t in schema.TABLE_ORDER)


def _shape(values: list[str]) -> list[str]:
    return mask_values(pd.Series(values, dtype=object)).fillna("").tolist()


def looks_headerless(names: list[str], next_row: list[str] | None) -> bool:
    """Whether a file's first line is data rather than a header.

    True when no name is a known column and at least :data:`HEADERLESS_SHARE` of the
    non-empty names look like data or have the same shape (digits as 9, letters as X) as
    the value below them.

    Parameters
    ----------
    names : list of str
        The first line's fields.
    next_row : list of str, optional
        The second line's fields.

    Returns
    -------
    bool
    """
    filled = [n.strip() for n in names if n.strip()]
    if not filled or any(is_known_name(n) for n in filled):
        return False
    share = sum(looks_like_data(n) for n in filled) / len(filled)
    if next_row is not None and len(next_row) == len(names):
        same = [a == b for a, b, n in zip(_shape(names), _shape(next_row), names) if n.strip()]
        share = max(share, sum(same) / len(filled))
    return share >= HEADERLESS_SHARE


def describe_columns(names: list[str]) -> str:
    """Column names for a message, masked where they look like data or are long text.

    Parameters
    ----------
    names : list of str

    Returns
    -------
    str
        Comma-separated names (see :func:`harkit.io.rejects.safe_name`).
    """
    return ", ".join(str(safe_name(str(n))) for n in names)


def _blank(s: pd.Series) -> np.ndarray:
    obj = s.astype(object)
    return (obj.isna() | (obj.astype(str).str.strip() == "")).to_numpy()


def settle_names(frame: pd.DataFrame, names: list[str], lines: np.ndarray
                 ) -> tuple[pd.DataFrame, np.ndarray, list[Finding], list[Finding]]:
    """Give every column a unique name, and say what that took.

    An unnamed column that holds nothing is dropped; one that holds values is kept as
    ``unnamed_<position>`` with a note. A repeated name keeps its first column; the rows
    where a later copy differs are rejected, and the copy is dropped with a note.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows, columns in file order (any labels), index 0..n-1; its labels may be
        changed in place.
    names : list of str
        Header names, one per column.
    lines : numpy.ndarray
        Line of each row.

    Returns
    -------
    (pandas.DataFrame, numpy.ndarray, list, list)
        The frame with unique names, its lines, rejected rows and notes.
    """
    clean = [str(n).strip() for n in names]
    if all(clean) and len(set(clean)) == len(clean):
        # The common case, nothing to settle: relabel without copying the data.
        frame.columns = clean
        return frame, lines, [], []
    frame = frame.set_axis(range(len(names)), axis=1)
    notes: list[Finding] = []
    keep = np.ones(len(frame), dtype=bool)
    bad: list[Finding] = []
    labels: list[str | None] = []
    first: dict[str, int] = {}
    for i, raw in enumerate(names):
        name = str(raw).strip()
        col = frame[i]
        if not name:
            if _blank(col).all():
                labels.append(None)
                continue
            name = f"unnamed_{i + 1}"
            notes.append((None, name, f"column {i + 1} has no name in the header: kept as "
                                      f"{name!r}"))
        if name in first:
            j = first[name]
            differs = (_text(col) != _text(frame[j])).to_numpy()
            bad += [(int(ln), name, f"duplicate column name: columns {j + 1} and {i + 1} are "
                                    "both named this and differ on this row")
                    for ln in lines[differs & keep]]
            keep &= ~differs
            notes.append((None, name, f"duplicate column name: column {i + 1} repeats column "
                                      f"{j + 1} and is dropped (rows where they differ are "
                                      "rejected)"))
            labels.append(None)
            continue
        first[name] = i
        labels.append(name)
    cols = [i for i, lab in enumerate(labels) if lab is not None]
    out = frame.loc[keep, cols].reset_index(drop=True)
    out.columns = [labels[i] for i in cols]
    return out, lines[keep], bad, notes


def _text(s: pd.Series) -> pd.Series:
    obj = s.astype(object)
    return obj.where(obj.notna(), "").astype(str)
