"""Reject rows: masking values and building the rejects table."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from harkit.extract import REJECT_COLUMNS, empty_rejects

#: Internal column: the unit of row accounting a reject belongs to (dropped on output).
UNIT = "__unit"
#: Longest masked value kept in a reject (longer ones are cut and end in ``...``).
MAX_VALUE_CHARS = 40


def _mask_uniques(uniques: object) -> np.ndarray:
    """Masked text of distinct values (object array of ``str``)."""
    text = [str(v) for v in uniques]
    ascii_ = np.fromiter((t.isascii() for t in text), dtype=bool, count=len(text))
    masked = np.empty(len(text), dtype=object)
    if ascii_.any():
        # ASCII values (nearly all) on Arrow arrays: there \d is [0-9] and a letter [A-Za-z].
        arr = pa.array([t for t, a in zip(text, ascii_) if a], type=pa.string())
        arr = pc.replace_substring_regex(arr, "[0-9]", "9")
        arr = pc.replace_substring_regex(arr, "[A-Za-z]", "X")
        long = pc.greater(pc.utf8_length(arr), MAX_VALUE_CHARS)
        arr = pc.if_else(long, pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(arr, 0, MAX_VALUE_CHARS), "...", ""), arr)
        masked[ascii_] = arr.to_numpy(zero_copy_only=False)
    if not ascii_.all():
        u = pd.Series([t for t, a in zip(text, ascii_) if not a], dtype="object")
        other = u.str.replace(r"\d", "9", regex=True).str.replace(r"[^\W\d_]", "X",
                                                                  regex=True)
        long = (other.str.len() > MAX_VALUE_CHARS).to_numpy()
        other[long] = other[long].str.slice(0, MAX_VALUE_CHARS) + "..."
        masked[~ascii_] = other.to_numpy(dtype=object)
    return masked


def mask_values(values: pd.Series) -> pd.Series:
    """Mask values for a reject report: digits become ``9``, letters ``X``.

    Other characters are kept, so the shape of a bad value shows (``31.02.1957`` ->
    ``99.99.9999``) but no identifier, date or name leaks. Masking runs on unique
    values only.

    Parameters
    ----------
    values : pandas.Series
        Raw values (any dtype; missing values stay missing).

    Returns
    -------
    pandas.Series
        ``string`` dtype, same index.
    """
    s = pd.Series(values)
    codes, uniques = pd.factorize(s.astype("object"), use_na_sentinel=True)
    arr = np.append(_mask_uniques(uniques), None)
    return pd.Series(arr[np.where(codes < 0, len(uniques), codes)], index=s.index,
                     dtype="string")


_DIGIT_RUN = re.compile(r"\d{3}")
_WORD_RUN = re.compile(r"[^\W\d_]{4,}")
#: Longer column names are masked in messages (a header name is short; a long one is text).
MAX_NAME_SHOWN = 32


def safe_name(name: object) -> object:
    """A column name fit for a message: masked when it looks like a value.

    A name with three digits in a row (a date or an id fragment), with a digit and no word
    of four letters (``P0000001``, ``01.09.1911``), or longer than :data:`MAX_NAME_SHOWN`
    is masked like a value (damaged headers can hold data); others are shown as they are.

    Parameters
    ----------
    name : object
        A column name (None and NA pass through).

    Returns
    -------
    object
    """
    if not isinstance(name, str):
        return name
    datalike = any(c.isdigit() for c in name) and not _WORD_RUN.search(name)
    if datalike or _DIGIT_RUN.search(name) or len(name) > MAX_NAME_SHOWN:
        return str(mask_values(pd.Series([name], dtype=object)).iloc[0])
    return name


def make_rejects(
    table: str | None,
    source_file: pd.Series | str,
    line: pd.Series | np.ndarray | None,
    column: pd.Series | str | None,
    reason: pd.Series | str,
    value: pd.Series | None,
    unit: pd.Series | np.ndarray | None,
    *,
    masked: bool = False,
) -> pd.DataFrame:
    """Build reject rows (one per failing row and rule).

    Parameters
    ----------
    table : str or None
        Canonical table.
    source_file : str or pandas.Series
        File name(s).
    line : array-like or None
        1-based lines; None for a file-level reject.
    column : str, pandas.Series or None
        Column as named in the file.
    reason : str or pandas.Series
        Readable reason.
    value : pandas.Series or None
        Raw values (masked here unless ``masked``), or None.
    unit : array-like or None
        Row-accounting units (None for file-level rejects, which count no row).
    masked : bool
        Whether ``value`` is already masked.

    Returns
    -------
    pandas.DataFrame
        :data:`harkit.extract.REJECT_COLUMNS` plus the internal unit column.
    """
    n = len(line) if line is not None else 1
    if n == 0:
        out = empty_rejects()
        out[UNIT] = pd.Series([], dtype="Int64")
        return out

    def col(v: object, dtype: str) -> pd.Series:
        if isinstance(v, (pd.Series, np.ndarray, pd.Index)):
            return pd.Series(np.asarray(v, dtype=object), dtype=dtype)
        return pd.Series([v] * n, dtype=dtype)

    if value is None:
        val = pd.Series([pd.NA] * n, dtype="string")
    else:
        val = pd.Series(value).reset_index(drop=True)
        val = val.astype("string") if masked else mask_values(val)
    if isinstance(column, (pd.Series, np.ndarray, pd.Index)):
        column = pd.Series(np.asarray(column, dtype=object)).map(safe_name)
    else:
        column = safe_name(column)
    out = pd.DataFrame({
        "table": col(table, "string"),
        "source_file": col(source_file, "string"),
        "line": col(line if line is not None else pd.NA, "Int64"),
        "column": col(column, "string"),
        "reason": col(reason, "string"),
        "value": val,
        UNIT: col(unit if unit is not None else pd.NA, "Int64"),
    })
    return out


def finish_rejects(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate reject pieces into the public rejects table.

    Parameters
    ----------
    parts : list of pandas.DataFrame
        Pieces from :func:`make_rejects`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`harkit.extract.REJECT_COLUMNS`, sorted by file, line and column
        order of discovery.
    """
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_rejects()
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["source_file", "line"], kind="stable", na_position="first")
    out = out[REJECT_COLUMNS].reset_index(drop=True)
    return out.astype(empty_rejects().dtypes.to_dict())
