"""Norwegian national identity numbers in a delivery: find the columns, drop them.

A *fødselsnummer* has 11 digits: the birth date ``ddmmyy``, three individual digits and
two check digits (modulus 11). A D-number adds 4 to the first digit (day + 40); an
H-number adds 4 to the third (month + 40). Pseudonymised registers must not carry them.

A column is taken to hold identity numbers when at least :data:`IDENTITY_SHARE` of its
non-empty values are valid numbers (a date part that can be a day and month, both check
digits right). A random 11-digit code passes these checks about once in 800, so a
column of other codes is not dropped by chance.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from harkit.extract import IDENTITY_NOTE
from harkit.io.raw import RawFile
from harkit.io.rejects import safe_name
from harkit.io.values import distinct_text
from harkit.privacy import DisclosureWarning

#: Share of a column's non-empty values that must be valid identity numbers.
IDENTITY_SHARE = 0.5
_W1 = np.array([3, 7, 6, 1, 8, 9, 4, 5, 2])
_W2 = np.array([5, 4, 3, 2, 7, 6, 5, 4, 3, 2])
_PATTERN = r"^[0-9]{6}[ -]?[0-9]{5}$"
_SHORT = 40  # longer values are not looked at (after trimming, a number has 11-12)


class IdentifierWarning(DisclosureWarning):
    """A delivery holds direct identifiers (national identity numbers); they were dropped."""


def valid_identity_numbers(values: pd.Series | pa.Array) -> np.ndarray:
    """Which values are valid Norwegian national identity numbers (or D-/H-numbers).

    Parameters
    ----------
    values : pandas.Series, pyarrow.Array or pyarrow.ChunkedArray
        Text, without surrounding blanks; ``ddmmyy nnnnn`` and ``ddmmyy-nnnnn`` are
        accepted as well as 11 digits.

    Returns
    -------
    numpy.ndarray
        Boolean, one per value.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    arr = values if isinstance(values, pa.Array) else \
        pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    length = pc.utf8_length(arr)
    cand = pc.fill_null(pc.and_(pc.greater_equal(length, 11), pc.less_equal(length, 12)),
                        False)
    out = np.zeros(len(arr), dtype=bool)
    idx = np.flatnonzero(cand.to_numpy(zero_copy_only=False))
    if not len(idx):
        return out
    sub = pc.take(arr, pa.array(idx))
    match = pc.fill_null(pc.match_substring_regex(sub, _PATTERN), False)
    idx = idx[match.to_numpy(zero_copy_only=False)]
    if not len(idx):
        return out
    text = "".join(v.replace(" ", "").replace("-", "") for v in pc.take(arr, pa.array(idx))
                   .to_pylist())
    d = (np.frombuffer(text.encode("ascii"), dtype=np.uint8) - 48).astype(np.int64)
    out[idx] = _checks(d.reshape(-1, 11))
    return out


def _checks(d: np.ndarray) -> np.ndarray:
    day = d[:, 0] * 10 + d[:, 1]
    month = d[:, 2] * 10 + d[:, 3]
    day = np.where(day > 40, day - 40, day)  # D-number
    month = np.where(month > 40, month - 40, month)  # H-number
    k1 = (11 - (d[:, :9] @ _W1) % 11) % 11
    k2 = (11 - (d[:, :10] @ _W2) % 11) % 11
    return (day >= 1) & (day <= 31) & (month >= 1) & (month <= 12) & (k1 == d[:, 9]) & \
        (k2 == d[:, 10])


def _as_arrow(s: pd.Series, is_text: bool
              ) -> tuple[pa.Array | pa.ChunkedArray, np.ndarray | None]:
    """Values as Arrow text (null for missing), and how many rows each stands for.

    Text columns are handed over as they are (one value per row, no weights); other
    columns as their distinct values written as text, with the count of each.
    """
    if isinstance(s.dtype, (pd.StringDtype, pd.ArrowDtype)):
        # Already Arrow-backed or typed text; pandas 3's ``str`` hands its chunks over,
        # used as they are (Arrow's kernels take chunked arrays: joining them would copy
        # the column).
        arr = pa.array(s, from_pandas=True)
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            return arr, None
    if is_text and pd.api.types.is_object_dtype(s.dtype):
        return pa.array(s.to_numpy(dtype=object), type=pa.string(), from_pandas=True), None
    codes, uniques = distinct_text(s, is_text)
    if pd.api.types.is_numeric_dtype(s.dtype):
        # A number loses the leading zero of a day 01-09.
        uniques = np.array([v.zfill(11) if len(v) == 10 else v for v in uniques],
                           dtype=object)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    return pa.array(uniques, type=pa.string(), from_pandas=True), counts


#: First bytes a valid number can start with, before trimming: a digit, or the first byte
#: of a blank (ASCII controls and space; U+0085 and U+00A0 start with C2, U+1680 and
#: U+180E with E1, U+2000-U+205F with E2, U+3000 with E3; EF for U+FEFF, to be safe).
_FIRST_BYTES = pa.array([bytes([b]) for b in [*range(0x21), *range(0x30, 0x3A),
                                              0xC2, 0xE1, 0xE2, 0xE3, 0xEF]],
                        type=pa.large_binary())


def _column_counts(arr: pa.Array | pa.ChunkedArray, weights: np.ndarray | None = None
                   ) -> tuple[int, int]:
    """(non-empty values, valid identity numbers) of one column; (0, 0) without any
    valid number (then the non-empty values do not matter and are not counted).

    ``weights``: how many rows each value stands for (default one each).
    """
    # A number has 11 ASCII digits: a column of shorter values (codes, dates, most
    # identifiers) is told apart from the lengths in its offsets alone.
    if not len(arr) or not pc.any(pc.fill_null(pc.greater_equal(pc.binary_length(arr), 11),
                                               False)).as_py():
        return 0, 0
    # Only a value starting with a digit or a blank can be a number once trimmed: free
    # text (which starts with a letter) is passed over on its first byte.
    first = pc.binary_slice(arr.cast(pa.large_binary()), 0, 1)
    maybe = pc.fill_null(pc.is_in(first, value_set=_FIRST_BYTES), False)
    maybe_np = maybe.to_numpy(zero_copy_only=False)
    if not maybe_np.any():
        return 0, 0
    cand = pc.filter(arr, maybe)
    # Only short values can be numbers: trim those alone (a text column may be huge).
    short = pc.less_equal(pc.fill_null(pc.utf8_length(cand), 0), _SHORT)
    short_np = short.to_numpy(zero_copy_only=False)
    is_number = valid_identity_numbers(pc.utf8_trim_whitespace(pc.filter(cand, short)))
    valid = int(is_number.sum()) if weights is None else \
        int(weights[maybe_np][short_np][is_number].sum())
    if not valid:
        return 0, 0
    # Numbers found (rare): count the non-empty values of the whole column.
    length = pc.fill_null(pc.utf8_length(arr), 0)
    short_all_a = pc.less_equal(length, _SHORT)
    short_all = short_all_a.to_numpy(zero_copy_only=False)
    trimmed = pc.utf8_trim_whitespace(pc.filter(arr, short_all_a))
    nonblank = pc.fill_null(pc.greater(pc.utf8_length(trimmed), 0), False).to_numpy(
        zero_copy_only=False)
    w = np.ones(len(arr), dtype=np.int64) if weights is None else weights
    w_short = w[short_all]
    filled = int(w.sum() - w_short.sum()) + int(w_short[nonblank].sum())
    return filled, valid


def identity_columns(raw: RawFile) -> list[str]:
    """Columns of a raw file that hold national identity numbers.

    Parameters
    ----------
    raw : RawFile

    Returns
    -------
    list of str
    """
    found = []
    for col in raw.frame.columns:
        dtype = raw.frame[col].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_bool_dtype(dtype) \
                or pd.api.types.is_timedelta64_dtype(dtype):
            continue  # as text these are never 11 digits: nothing to look at
        filled, valid = _column_counts(*_as_arrow(raw.frame[col], raw.is_text))
        if valid and valid >= IDENTITY_SHARE * filled:
            found.append(str(col))
    return found


def drop_identity_columns(raw: RawFile) -> list[str]:
    """Drop identity-number columns from a raw file, with a warning and a note each.

    Parameters
    ----------
    raw : RawFile
        Changed in place.

    Returns
    -------
    list of str
        The columns dropped.
    """
    cols = identity_columns(raw)
    for col in cols:
        warnings.warn(f"{raw.name}: column {safe_name(col)!r} holds Norwegian national "
                      "identity numbers (fødselsnummer or D-numbers); the column is dropped",
                      IdentifierWarning, stacklevel=3)
        raw.notes.append((None, col, IDENTITY_NOTE))
    if cols:
        raw.frame = raw.frame.drop(columns=cols)
    return cols
