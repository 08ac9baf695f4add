"""Converting delivered values into canonical ones, collecting rejects as it goes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from harkit import dates, schema
from harkit.io._arrowscan import any_edge_blank, is_plain_text
from harkit.io.names import canonical_name
from harkit.io.raw import RawFile
from harkit.io.rejects import make_rejects

MASK = "__mask_"  # prefix: delivered text of a date column, masked in later rejects

#: Folded names of year-only columns: they fill a date only where the full date is blank.
YEAR_COLUMNS = {"fodselsaar", "fodselsar", "faar", "birth_year", "dodsaar", "dodsar",
                "death_year"}
#: Free-text columns: only the empty string is missing (whitespace is text).
FREE_TEXT = {"diagnosis_text", "text", "cause_text", "name", "series_name", "department",
             "document_type", "municipality"}
#: Declared precision codes (folded) -> canonical precision.
PRECISION_VALUES = {
    "day": "day", "dag": "day", "d": "day",
    "month": "month", "maaned": "month", "maned": "month", "mnd": "month", "m": "month",
    "year": "year", "aar": "year", "ar": "year", "y": "year",
    "missing": "missing", "mangler": "missing", "ukjent": "missing",
}
#: Yes/no codes accepted for boolean columns (lower case).
BOOL_VALUES = {
    "1": True, "ja": True, "j": True, "true": True, "t": True, "yes": True, "y": True,
    "sann": True,
    "0": False, "nei": False, "n": False, "false": False, "f": False, "no": False,
    "usann": False,
}
_UNKNOWN = "\x01unknown"  # sentinel for values outside a coding (not a valid value)
_CATEGORY_LABEL = {
    "sex": "sex", "code_system": "code system", "rank": "diagnosis rank",
    "cause_type": "cause type", "episode_type": "episode type",
    "treatment_type": "treatment type", "institution_type": "institution type",
}


def _map_unique(s: pd.Series, func) -> np.ndarray:
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    for i, u in enumerate(uniques):
        mapped[i] = func(u)
    mapped[len(uniques)] = func(None)
    return mapped[np.where(codes < 0, len(uniques), codes)]


def _one_text(v: object) -> str:
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return v.decode("latin-1")
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return ""
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(v).isoformat()
    return str(v)


def to_text(s: pd.Series, is_text: bool) -> pd.Series:
    """Values as ``str`` with ``""`` for missing (text files already are).

    Parameters
    ----------
    s : pandas.Series
        A delivered column.
    is_text : bool
        Whether it came from a text file (no conversion needed).

    Returns
    -------
    pandas.Series
        ``str`` values: object dtype, or the text file's own (Arrow-backed) column.
    """
    if is_text:
        return s
    if s.dtype == object or isinstance(s.dtype, pd.CategoricalDtype):
        return pd.Series(_map_unique(s.astype(object), _one_text), index=s.index,
                         dtype=object, copy=False)
    if isinstance(s.dtype, pd.StringDtype):
        return pd.Series(s.to_numpy(dtype=object, na_value=""), index=s.index, dtype=object)
    # Typed columns (numbers, datetimes, strings, booleans) are factorized as they are:
    # no Python object per row, only per distinct value.
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    if s.dtype == "datetime64[ns]" and not (np.asarray(uniques).view("int64")
                                            % 1_000_000_000).any():
        # Whole seconds: numpy writes them as Timestamp.isoformat does, all at once.
        mapped[:len(uniques)] = np.datetime_as_string(np.asarray(uniques), unit="s")
    else:
        for i, u in enumerate(uniques):
            mapped[i] = _one_text(u)
    mapped[len(uniques)] = ""
    return pd.Series(mapped[np.where(codes < 0, len(uniques), codes)], index=s.index,
                     dtype=object, copy=False)


def distinct_text(s: pd.Series, is_text: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each value's code and the distinct values as text: the values :func:`to_text`
    gives, with a Python string per distinct value only.

    Parameters
    ----------
    s : pandas.Series
        A delivered column.
    is_text : bool
        Whether it came from a text file.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Codes (``int64``, ``-1`` for a missing value, whose text is ``""``) and the
        distinct values (object array of ``str``).
    """
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = np.asarray(s.cat.codes, dtype=np.int64)
        uniques = np.array([_one_text(v) for v in dtype.categories], dtype=object)
        return codes, uniques
    if isinstance(dtype, pd.StringDtype) or (is_text and pd.api.types.is_object_dtype(dtype)):
        # Arrow-backed text is factorized by Arrow's hashing of the bytes.
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if dtype == "datetime64[ns]":
        return np.asarray(codes, dtype=np.int64), _datetime_text(np.asarray(uniques))
    text = np.array([_one_text(u) for u in uniques], dtype=object)
    return np.asarray(codes, dtype=np.int64), text


def _datetime_text(uniques: np.ndarray) -> np.ndarray:
    """``datetime64[ns]`` values as :func:`_one_text` writes them (object array)."""
    if not (uniques.view("int64") % 1_000_000_000).any():
        # Whole seconds: numpy writes them as Timestamp.isoformat does, all at once.
        return np.asarray(np.datetime_as_string(uniques, unit="s"), dtype=object)
    return np.array([_one_text(u) for u in uniques], dtype=object)


def delivered_values(s: pd.Series) -> pd.Series:
    """Delivered values of a date column as the text a reject shows.

    A ``datetime64[ns]`` column is kept as its values until a row is rejected; here they
    are written as :func:`to_text` writes them (so too datetimes among text, where
    tables from several files were joined). Text passes as it is.

    Parameters
    ----------
    s : pandas.Series
        Values of the rejected rows (text, categories of text, or datetimes).

    Returns
    -------
    pandas.Series
    """
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return to_text(s, False)
    if s.dtype == object:
        return s.map(lambda v: _one_text(v) if isinstance(v, (pd.Timestamp, np.datetime64))
                     or v is pd.NaT else v)
    return s


def _spread(per_value: np.ndarray, codes: np.ndarray, missing: object) -> np.ndarray:
    """Per-distinct-value results spread back to the rows (``missing`` for code -1)."""
    full = np.empty(len(per_value) + 1, dtype=per_value.dtype)
    full[:-1] = per_value
    full[-1] = missing
    return full[codes]


def _parse_distinct(codes: np.ndarray, uniques: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """:func:`harkit.dates.parse_partial_dates` of a column given as codes into its
    distinct values (text, or ``datetime64[ns]``; code -1: missing): each value parsed
    once, the rows taken."""
    if uniques.dtype == "datetime64[ns]":
        with_missing = pd.Series(np.append(uniques, np.datetime64("NaT", "ns")))
    else:
        with_missing = pd.Series(np.append(uniques, None), dtype=object)
    per_value = dates.parse_partial_dates(with_missing)
    take = np.where(codes < 0, len(uniques), codes)
    # Each column taken as an array (a frame's take would copy and re-index it twice).
    prec = per_value["precision"]
    return pd.DataFrame({
        "date": pd.Series(per_value["date"].to_numpy()[take], index=index,
                          dtype="datetime64[ns]", copy=False),
        "precision": pd.Series(pd.Categorical.from_codes(
            np.asarray(prec.cat.codes)[take], dtype=prec.dtype), index=index),
        "error": pd.Series(per_value["error"].array.take(take), index=index),
    }, index=index, copy=False)


def _arrow_backed(s: pd.Series) -> pa.Array | None:
    """The column's Arrow text when it already is Arrow-backed (else None)."""
    dtype = s.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" or \
            isinstance(dtype, pd.ArrowDtype) and (pa.types.is_string(dtype.pyarrow_dtype) or
                                                  pa.types.is_large_string(dtype.pyarrow_dtype)):
        arr = pa.array(s.array)
        # The chunks are used as they are (Arrow's kernels take chunked arrays): no copy.
        if isinstance(arr, pa.ChunkedArray) and arr.num_chunks == 1:
            return arr.chunk(0)
        return arr
    return None


def _blank(arr: pa.Array | pa.ChunkedArray, trim: bool) -> pa.Array | pa.ChunkedArray:
    """Missing or empty values (also blanks only, when ``trim``), without a trimmed copy."""
    empty = pc.equal(pc.binary_length(arr), 0)
    if trim:
        empty = pc.or_(empty, pc.utf8_is_space(arr))
    return pc.fill_null(empty, True)


_SPACE, _HIGH = pa.scalar(b" ", pa.large_binary()), pa.scalar(b"\x80", pa.large_binary())


def _may_need_trim(arr: pa.Array | pa.ChunkedArray) -> bool:
    """Whether any value may start or end with a blank (conservatively: a control byte,
    a space or a byte of a multi-byte character at either end); when none can, trimming
    would only copy the column."""
    if is_plain_text(arr):
        # One compiled pass over the offsets and bytes (no sliced copies).
        return any_edge_blank(arr)
    return _may_need_trim_compute(arr)


def _may_need_trim_compute(arr: pa.Array | pa.ChunkedArray) -> bool:
    """:func:`_may_need_trim` by Arrow's compute functions (any text type)."""
    raw = arr.cast(pa.large_binary())
    for edge in (pc.binary_slice(raw, 0, 1), pc.binary_slice(raw, -1)):
        odd = pc.or_(pc.and_(pc.less_equal(edge, _SPACE), pc.greater(pc.binary_length(edge), 0)),
                     pc.greater_equal(edge, _HIGH))
        if pc.any(odd).as_py():
            return True
    return False


def _null_where(arr: pa.Array | pa.ChunkedArray, blank: pa.Array | pa.ChunkedArray,
                any_blank: bool) -> pa.Array | pa.ChunkedArray:
    """``arr`` with nulls where ``blank`` (the array itself when nothing is blank)."""
    return pc.if_else(blank, pa.scalar(None, arr.type), arr) if any_blank else arr


def _string_series(arr: pa.Array, index: pd.Index) -> pd.Series:
    """Arrow text as a pandas ``string`` column, without a Python string per row where
    ``string`` is Arrow-backed (pandas 3)."""
    dtype = pd.StringDtype()
    if dtype.storage == "pyarrow":
        return pd.Series(pd.arrays.ArrowStringArray(arr.cast(pa.large_string())),
                         index=index, copy=False)
    return pd.Series(arr.to_pandas(), index=index, dtype=dtype)


def strip(s: pd.Series) -> pd.Series:
    """Strip surrounding blanks from text values; a no-op pass when none have any.

    Parameters
    ----------
    s : pandas.Series
        Object dtype of ``str``.

    Returns
    -------
    pandas.Series
    """
    if not len(s):
        return s
    arr = pa.array(s.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    trimmed = pc.utf8_trim_whitespace(arr)
    if pc.all(pc.equal(arr, trimmed)).as_py() is not False:
        return s  # the common case: nothing to strip, no new Python strings
    return pd.Series(trimmed.to_numpy(zero_copy_only=False), index=s.index, dtype=object,
                     copy=False)


def _lookup_table(column: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in schema.VALUE_ALIASES.get(column, {}).items():
        out[k.lower()] = v
        out[schema.fold_name(k)] = v
    for c in schema.CATEGORIES[column]:
        out[c.lower()] = c
        out[schema.fold_name(c)] = c
    return out


def _lookup(table: dict, value: str | None) -> object:
    if value is None:
        return None
    v = value.strip()
    if not v:
        return None
    hit = table.get(v.lower())
    if hit is None:
        hit = table.get(schema.fold_name(v), _UNKNOWN)
    return hit


class Converter:
    """Converts the columns of one file into canonical values, collecting rejects.

    Each method takes a delivered column and returns canonical values (same index);
    values it cannot convert are set missing and reported in ``rejects``.

    Parameters
    ----------
    table : str
        Canonical table.
    raw : RawFile
        The file.
    units : numpy.ndarray
        Row-accounting unit of each row.
    """

    def __init__(self, table: str, raw: RawFile, units: np.ndarray) -> None:
        self.table = table
        self.raw = raw
        self.units = units
        self.lines = raw.lines
        self.rejects: list[pd.DataFrame] = []

    def reject(self, mask: np.ndarray, column: str, reason: str | np.ndarray,
               values: pd.Series | Callable[[np.ndarray], pd.Series] | None) -> None:
        """Reject the rows where ``mask``; ``values``: the delivered values (or a function
        giving those of the rows it is given)."""
        if not mask.any():
            return
        r = reason[mask] if isinstance(reason, np.ndarray) else reason
        v = None if values is None else \
            (values(mask) if callable(values) else values[mask]).reset_index(drop=True)
        self.rejects.append(make_rejects(self.table, self.raw.name, self.lines[mask], column,
                                         r, v, self.units[mask]))

    def text(self, raw_col: str) -> pd.Series:
        return to_text(self.raw.frame[raw_col], self.raw.is_text)

    def _arrow_text(self, raw_col: str) -> pa.Array | None:
        """The column as Arrow text when that needs no conversion of values: Arrow-backed
        already (Parquet under pandas 3), or the ``str`` values of a text file."""
        s = self.raw.frame[raw_col]
        arr = _arrow_backed(s)
        if arr is None and self.raw.is_text and s.dtype == object:
            arr = pa.array(s.to_numpy(), type=pa.string(), from_pandas=True)
        return arr

    def ids(self, raw_col: str, canon: str) -> pd.Series:
        arr = self._arrow_text(raw_col)
        if arr is not None:
            # Trimmed and checked on the Arrow array (one pass from Python strings at
            # most), and handed on as Arrow-backed ``string`` where pandas has it.
            if _may_need_trim(arr):
                arr = pc.utf8_trim_whitespace(arr)
            blank_a = _blank(arr, trim=False)
            blank = blank_a.to_numpy(zero_copy_only=False)
            out = _string_series(_null_where(arr, blank_a, bool(blank.any())),
                                 self.raw.frame.index)
        else:
            s = strip(self.text(raw_col))
            blank = (s == "").to_numpy()
            out = s.where(~blank, None)
        col = schema.TABLES[self.table].column(canon)
        if not col.nullable:
            self.reject(blank, raw_col, "missing required value", None)
        return out

    def string(self, raw_col: str, canon: str) -> pd.Series:
        arr = self._arrow_text(raw_col)
        if arr is not None:
            blank_a = _blank(arr, trim=canon not in FREE_TEXT)
            return _string_series(_null_where(arr, blank_a, bool(pc.any(blank_a).as_py())),
                                  self.raw.frame.index)
        t = self.text(raw_col)
        # Values are kept as delivered (codes too: "h25.9 " is harkit.icd's to normalise);
        # only a blank value becomes missing.
        blank = (t == "") if canon in FREE_TEXT else (strip(t) == "")
        return t.where(~blank.to_numpy(), None)

    def distinct(self, raw_col: str) -> tuple[np.ndarray, np.ndarray]:
        return distinct_text(self.raw.frame[raw_col], self.raw.is_text)

    def category(self, raw_col: str, canon: str, code: pd.Series | None = None) -> pd.Series:
        codes, uniques = self.distinct(raw_col)
        table = _lookup_table(canon)
        col = schema.TABLES[self.table].column(canon)
        dtype = schema.dtype_of(col)
        where = {c: k for k, c in enumerate(dtype.categories)}
        # Each distinct value looked up once: its category's code, -1 when blank, -2
        # when outside the coding; the rows get codes, never a string each.
        looked = [_lookup(table, v) for v in uniques]
        outside = [v for v in looked if isinstance(v, str) and v != _UNKNOWN
                   and v not in where]
        if outside:
            raise ValueError(f"column {canon!r}: values outside the categories: {outside[:5]}")
        per_value = np.array([-1 if v is None else -2 if v == _UNKNOWN else where[v]
                              for v in looked] + [-1], dtype=np.int16)
        mapped = per_value[codes]  # code -1 (missing) picks the appended blank
        unknown = mapped == -2
        blank = mapped == -1
        label = _CATEGORY_LABEL[canon]
        if canon == "code_system":
            self.reject(unknown, raw_col, "code system not ICD-6 to ICD-10 or uncoded",
                        self.text(raw_col) if unknown.any() else None)
            if code is not None:
                # Blank system with a blank code is an uncoded entry; with a code, the
                # system is left to be inferred (harkit.icd).
                mapped[blank & code.isna().to_numpy()] = where["none"]
        else:
            self.reject(unknown, raw_col, f"unknown {label} code",
                        self.text(raw_col) if unknown.any() else None)
        mapped[unknown] = -1
        if not col.nullable:
            self.reject(blank, raw_col, "missing required value", None)
        return pd.Series(pd.Categorical.from_codes(mapped, dtype=dtype),
                         index=self.raw.frame.index)

    def integer(self, raw_col: str, canon: str) -> pd.Series:
        # Each distinct value is read once (comma as decimal mark; "3.0" is whole).
        codes, uniques = self.distinct(raw_col)
        u = pd.Series(uniques, dtype=object).str.strip()
        blank_u = (u == "").to_numpy(dtype=bool)
        num = pd.to_numeric(u.str.replace(",", ".", regex=False).where(~blank_u, None),
                            errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        with np.errstate(invalid="ignore"):
            whole_u = ~np.isnan(num) & (num == np.floor(num)) & (np.abs(num) < 2**62)
        blank = _spread(blank_u, codes, True)
        whole = _spread(whole_u, codes, False)
        bad = ~blank & ~whole
        self.reject(bad, raw_col, "not a whole number",
                    self.text(raw_col) if bad.any() else None)
        values = _spread(np.where(whole_u, num, 0).astype("int64"), codes, 0)
        out = pd.Series(pd.arrays.IntegerArray(values, ~whole), index=self.raw.frame.index)
        if not schema.TABLES[self.table].column(canon).nullable:
            self.reject(blank, raw_col, "missing required value", None)
        return out

    def boolean(self, raw_col: str) -> pd.Series:
        codes, uniques = self.distinct(raw_col)
        per_value = np.array([None if not v.strip() else
                              BOOL_VALUES.get(v.strip().lower(), _UNKNOWN) for v in uniques]
                             + [None], dtype=object)
        mapped = per_value[codes]
        unknown = mapped == _UNKNOWN
        self.reject(unknown, raw_col, "not a yes/no value",
                    self.text(raw_col) if unknown.any() else None)
        mapped[unknown] = None
        return pd.Series(mapped, index=self.raw.frame.index, dtype="boolean")

    def date(self, raw_cols: list[str], canon: str,
             declared_col: str | None) -> tuple[pd.Series, pd.Series, pd.Series]:
        """Parse a date from one or more columns (full date first, year columns fill)."""
        order = sorted(raw_cols, key=lambda c: schema.fold_name(c) in YEAR_COLUMNS)
        first = order[0]
        frame = self.raw.frame
        src = frame[first]
        first_distinct = None
        if isinstance(src.dtype, pd.StringDtype) or (self.raw.is_text and
                                                     pd.api.types.is_object_dtype(src.dtype)):
            # Text: factorized once, for the parse and for the delivered text alike.
            first_distinct = self.distinct(first)
            parsed = _parse_distinct(*first_distinct, frame.index)
        elif src.dtype == "datetime64[ns]":
            # Datetimes are parsed on arrays (no text): see _delivered for their text.
            parsed = dates.parse_partial_dates(src)
        else:
            parsed = dates.parse_partial_dates(src)
        used = np.zeros(len(frame), dtype=np.int64)  # which of ``order`` each row came from
        for k, other in enumerate(order[1:], 1):
            fill = (parsed["precision"] == "missing").to_numpy() & parsed["error"].isna() \
                .to_numpy()
            if not fill.any():
                break
            p2 = dates.parse_partial_dates(frame[other])
            parsed.loc[fill, "date"] = p2.loc[fill, "date"]
            parsed.loc[fill, "precision"] = p2.loc[fill, "precision"]
            parsed.loc[fill, "error"] = p2.loc[fill, "error"]
            used[fill] = k
        # The delivered text, kept for rejects of later rules and masked only there (a
        # date's text is nearly unique per row: masking all of it would cost a regex per
        # row); held as categories, with a string per distinct value only.
        mask = self._delivered(order, used, first_distinct)
        err = parsed["error"]
        bad = err.notna().to_numpy()
        if bad.any():
            for k in np.unique(used[bad]):
                m = bad & (used == k)
                self.reject(m, order[k], err.to_numpy(dtype=object),
                            lambda rows: delivered_values(mask[rows]))
        d, p = parsed["date"], parsed["precision"]
        if declared_col is not None:
            codes, uniques = self.distinct(declared_col)
            per_value = np.array([None if not v.strip() else
                                  PRECISION_VALUES.get(schema.fold_name(v), _UNKNOWN)
                                  for v in uniques] + [None], dtype=object)
            # Worked out per distinct value, then taken by the rows' codes (code -1,
            # missing, picks the appended None): no Python object per row.
            unknown = np.array([v == _UNKNOWN for v in per_value], dtype=bool)[codes]
            self.reject(unknown, declared_col, "unknown date precision code",
                        self.text(declared_col) if unknown.any() else None)
            # Declared precision as codes of the canonical categories (-1: none declared).
            prec = {c: i for i, c in enumerate(schema.PRECISION_CATEGORIES)}
            code_of = np.array([prec.get(v, -1) if isinstance(v, str) else -1
                                for v in per_value], dtype=np.int8)
            declared = pd.Categorical.from_codes(code_of[codes],
                                                 categories=schema.PRECISION_CATEGORIES)
            d, p = dates.coarsen(d, p, pd.Series(declared, index=d.index))
        return d, p, mask

    def _delivered(self, order: list[str], used: np.ndarray,
                   first_distinct: tuple[np.ndarray, np.ndarray] | None) -> pd.Series:
        """The delivered text of a date (``""`` where missing), as categories; or, for a
        ``datetime64[ns]`` column not filled from another, its values as they are, whose
        text :func:`delivered_values` writes for the rows rejected only (a text per row
        would cost more than all the rules)."""
        frame = self.raw.frame
        if first_distinct is None and not used.any() and \
                frame[order[0]].dtype == "datetime64[ns]":
            return frame[order[0]]
        codes, uniques = first_distinct if first_distinct is not None else \
            self.distinct(order[0])
        if used.any():
            # Some rows were filled from a year column: join the texts row by row.
            text = _spread(uniques, codes, "")
            for k in np.unique(used[used > 0]):
                m = used == k
                c2, u2 = self.distinct(order[k])
                text[m] = _spread(u2, c2, "")[m]
            codes, uniques = pd.factorize(text)
            uniques = np.asarray(uniques, dtype=object)
        elif len(set(uniques)) < len(uniques):
            # Values of one text (1 and "1") made one category, missing read as "".
            codes, uniques = pd.factorize(_spread(uniques, codes, ""))
            uniques = np.asarray(uniques, dtype=object)
        elif (codes < 0).any():
            # A missing value reads as "" (a category of its own unless delivered too).
            blank = np.flatnonzero(uniques == "")
            if not len(blank):
                uniques = np.append(uniques, np.array([""], dtype=object))
            codes = np.where(codes < 0, blank[0] if len(blank) else len(uniques) - 1, codes)
        cat = pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object))
        return pd.Series(cat, index=frame.index)


def convert(table: str, raw: RawFile, units: np.ndarray, mapping: dict[str, list[str]],
            extras: list[str]) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Convert the mapped columns of a file into canonical values.

    Parameters
    ----------
    table : str
        Canonical table.
    raw : RawFile
        The file.
    units : numpy.ndarray
        Row-accounting unit of each row.
    mapping : dict
        Canonical column -> delivered column(s) (several only for dates: full date, then
        year columns).
    extras : list of str
        Delivered columns kept as they are.

    Returns
    -------
    (pandas.DataFrame, list of pandas.DataFrame)
        Canonical values (plus masked date text for later rejects), and rejects.
    """
    conv = Converter(table, raw, units)
    spec = schema.TABLES[table]
    out: dict[str, pd.Series] = {}
    code = None
    if "code" in mapping:
        code = conv.string(mapping["code"][0], "code")
    for c in spec.columns:
        if c.name.endswith("_precision") or c.name not in mapping:
            continue
        raw_col = mapping[c.name][0]
        if c.kind == "id":
            out[c.name] = conv.ids(raw_col, c.name)
        elif c.kind == "string":
            out[c.name] = code if c.name == "code" else conv.string(raw_col, c.name)
        elif c.kind == "category":
            out[c.name] = conv.category(raw_col, c.name, code if c.name == "code_system"
                                        else None)
        elif c.kind == "int":
            out[c.name] = conv.integer(raw_col, c.name)
        elif c.kind == "bool":
            out[c.name] = conv.boolean(raw_col)
        elif c.kind == "date":
            declared = mapping.get(f"{c.name}_precision", [None])[0]
            d, p, m = conv.date(mapping[c.name], c.name, declared)
            out[c.name], out[f"{c.name}_precision"], out[MASK + c.name] = d, p, m
    if "code_system" not in mapping and "code_system" in spec.column_names and code is not None:
        # No code-system column: uncoded where there is no code, else to be inferred.
        out["code_system"] = pd.Series(np.where(code.isna(), "none", None), dtype=object)
    # The columns are new (or the file's own, never changed in place): taken as they
    # are, not copied into blocks of one dtype each.
    data = pd.DataFrame(out, index=raw.frame.index, copy=False)
    for e in extras:
        s = raw.frame[e]
        if raw.is_text:
            s = s.astype("string")
            s[(raw.frame[e] == "").to_numpy()] = pd.NA
        data[e] = s
    return data, conv.rejects


def column_mapping(table: str, columns: list[str], skip: set[str]
                   ) -> tuple[dict[str, list[str]], list[str]]:
    """Map delivered column names to canonical ones.

    Parameters
    ----------
    table : str
        Canonical table.
    columns : list of str
        Column names as delivered.
    skip : set of str
        Delivered columns handled elsewhere (wide layouts).

    Returns
    -------
    (dict, list)
        Canonical column -> delivered columns (a date may have several: the full date
        and a year column), and the extra columns kept as they are (including a second
        column for something already mapped).
    """
    mapping: dict[str, list[str]] = {}
    extras: list[str] = []
    for c in columns:
        if c in skip:
            continue
        canon = canonical_name(table, c)
        if canon is None:
            extras.append(c)
        elif canon in mapping and schema.TABLES[table].column(canon).kind != "date":
            extras.append(c)  # a second column for the same thing: kept as it is
        else:
            mapping.setdefault(canon, []).append(c)
    return mapping, extras


