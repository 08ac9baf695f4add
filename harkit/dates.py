"""Partial dates: parse, format and bound the dates of historical records.

Historical records often give only a year, or a year and a month. harkit keeps the best
date it has and says how precise it is, in a companion ``*_precision`` column
(``day``, ``month``, ``year`` or ``missing``). A partial date is stored at the middle of
its period (:data:`harkit.schema.PARTIAL_DATE_CONVENTION`): a year at 1 July, a month at
the 15th. Precision is never invented: ``1957`` stays a year.

Accepted text forms
-------------------
======================  ==========  ===================================================
form                    precision   notes
======================  ==========  ===================================================
``1957``                year        also ``1957.0`` (a Stata or spreadsheet float)
``03.1957``, ``3.1957`` month       ``/`` or ``-`` also accepted as separator
``1957-03``             month
``15.03.1957``          day         ``/`` or ``-`` also accepted; ``00`` day or month
                                    means unknown (``00.03.1957``, ``00.00.1957``)
``1957-03-15``          day         a trailing time (``1957-03-15 00:00:00``) is ignored;
                                    ``1957-03-00`` and ``1957-00-00`` are partial
``19570315``            day         Swedish style ``19570300`` and ``19570000`` partial
``195703``              month       only when it cannot also be read as ``ddmmyy``
                                    (``200112`` could be 2001-12 or 20.01.2012, so it
                                    is an error); two-digit years are never guessed
blank, NA, whitespace   missing
======================  ==========  ===================================================

Datetime values (``Timestamp``, ``datetime``, ``date``, ``datetime64`` columns) are day
precision. Integer-valued numbers are read as their digits (``1957`` -> year,
``19570315`` -> day).

A value that cannot be read, or names an impossible day (``31.02.1957``, month 13, a
year outside :data:`YEAR_RANGE`, a day given without its month) gets a readable reason
in ``error`` (the reason never repeats the value itself, so it is safe to report),
a missing date and precision ``missing``; the loader turns it into a reject.
"""

from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd

from harkit import schema

#: Plausible years (inclusive). The register's earliest patient was born 1777.
YEAR_RANGE = (1750, 2100)

_PRECISION_DTYPE = pd.CategoricalDtype(schema.PRECISION_CATEGORIES, ordered=False)
_PREC_CODE = {p: i for i, p in enumerate(schema.PRECISION_CATEGORIES)}
_DAY, _MONTH, _YEAR, _MISSING = (_PREC_CODE[p] for p in ("day", "month", "year", "missing"))

_SEP = r"[./-]"
# Each pattern -> (order of groups: y, m, d). Tried in order; the first that matches wins.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(\d{4})"), "y"),
    (re.compile(r"(\d{4})\.0+"), "y"),
    (re.compile(r"(\d{8})\.0+"), "ymd8"),
    (re.compile(r"(\d{6})\.0+"), "ym6"),
    (re.compile(r"(\d{1,2})" + _SEP + r"(\d{4})"), "my"),
    (re.compile(r"(\d{4})[-/](\d{1,2})"), "ym"),
    (re.compile(r"(\d{1,2})" + _SEP + r"(\d{1,2})" + _SEP + r"(\d{4})"), "dmy"),
    (re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"),
     "ymd"),
    (re.compile(r"(\d{8})"), "ymd8"),
    (re.compile(r"(\d{6})"), "ym6"),
]

_NS_PER_DAY = 86_400 * 10**9
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _is_leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _valid_day(y: int, m: int, d: int) -> bool:
    if not 1 <= m <= 12 or d < 1:
        return False
    last = 29 if (m == 2 and _is_leap(y)) else int(_DAYS_IN_MONTH[m - 1])
    return d <= last


def _classify(y: int, m: int, d: int) -> tuple[int, int, int, int, str | None]:
    """Turn year/month/day (0 = unknown) into (y, m, d, precision code, error)."""
    lo, hi = YEAR_RANGE
    if not lo <= y <= hi:
        return 0, 0, 0, _MISSING, f"impossible date: year outside {lo}-{hi}"
    if m == 0:
        if d != 0:
            return 0, 0, 0, _MISSING, "impossible date: day given without a month"
        return y, 7, 1, _YEAR, None
    if m > 12:
        return 0, 0, 0, _MISSING, "impossible date: month above 12"
    if d == 0:
        return y, m, 15, _MONTH, None
    if not _valid_day(y, m, d):
        return 0, 0, 0, _MISSING, "impossible date: no such day in that month"
    return y, m, d, _DAY, None


def _parse_text(text: str) -> tuple[int, int, int, int, str | None]:
    s = text.strip()
    if not s or s.lower() in {"na", "nan", "nat", "none", "null", "."}:
        return 0, 0, 0, _MISSING, None
    for pattern, kind in _PATTERNS:
        mt = pattern.fullmatch(s)
        if mt is None:
            continue
        g = mt.groups()
        if kind == "y":
            return _classify(int(g[0]), 0, 0)
        if kind == "my":
            return _classify(int(g[1]), int(g[0]), 0)
        if kind == "ym":
            return _classify(int(g[0]), int(g[1]), 0)
        if kind == "dmy":
            return _classify(int(g[2]), int(g[1]), int(g[0]))
        if kind == "ymd":
            return _classify(int(g[0]), int(g[1]), int(g[2]))
        if kind == "ymd8":
            v = g[0]
            return _classify(int(v[:4]), int(v[4:6]), int(v[6:]))
        # ym6: yyyymm, unless it also reads as a valid ddmmyy date.
        v = g[0]
        dd, mm = int(v[:2]), int(v[2:4])
        if 1 <= mm <= 12 and 1 <= dd <= 31 and _valid_day(2000 + int(v[4:]), mm, dd):
            return 0, 0, 0, _MISSING, "unparseable date: ambiguous 6 digits (yyyymm or ddmmyy)"
        return _classify(int(v[:4]), int(v[4:]), 0)
    return 0, 0, 0, _MISSING, "unparseable date: unrecognised format"


def _parse_one(value: object) -> tuple[int, int, int, int, str | None]:
    """Parse one (unique) value of any type; never raises."""
    try:
        if value is None or value is pd.NA or value is pd.NaT:
            return 0, 0, 0, _MISSING, None
        if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date, np.datetime64)):
            ts = pd.Timestamp(value)
            if pd.isna(ts):
                return 0, 0, 0, _MISSING, None
            return _classify(ts.year, ts.month, ts.day)
        if isinstance(value, (bool, np.bool_)):
            return 0, 0, 0, _MISSING, "unparseable date: unrecognised format"
        if isinstance(value, (int, np.integer)):
            return _parse_text(str(int(value)))
        if isinstance(value, (float, np.floating)):
            if np.isnan(value):
                return 0, 0, 0, _MISSING, None
            if not np.isfinite(value) or value != int(value):
                return 0, 0, 0, _MISSING, "unparseable date: unrecognised format"
            return _parse_text(str(int(value)))
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        return _parse_text(str(value))
    except Exception:  # noqa: BLE001 - the parser must never raise on data
        return 0, 0, 0, _MISSING, "unparseable date: unrecognised format"


def _classify_many(y: np.ndarray, m: np.ndarray, d: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_classify` on arrays: the same rules, in the same order."""
    lo, hi = YEAR_RANGE
    n = len(y)
    err = np.full(n, None, dtype=object)
    prec = np.full(n, _DAY, dtype="int8")
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    last = np.where((m == 2) & leap, 29, _DAYS_IN_MONTH[np.clip(m, 1, 12) - 1])
    rules = [
        (~((y >= lo) & (y <= hi)), f"impossible date: year outside {lo}-{hi}"),
        ((m == 0) & (d != 0), "impossible date: day given without a month"),
        (m > 12, "impossible date: month above 12"),
        ((m != 0) & (d != 0) & (d > last), "impossible date: no such day in that month"),
    ]
    decided = np.zeros(n, dtype=bool)
    for hit, text in rules:
        hit = hit & ~decided
        err[hit] = text
        decided |= hit
    prec[decided] = _MISSING
    year = ~decided & (m == 0)
    month = ~decided & (m != 0) & (d == 0)
    prec[year], prec[month] = _YEAR, _MONTH
    ok = ~decided
    yy = np.where(ok, y, 0)
    mm = np.where(year, 7, np.where(ok, m, 0))
    dd = np.where(year, 1, np.where(month, 15, np.where(ok, d, 0)))
    return yy, mm, dd, prec, err


#: Fixed-width text forms read without a regular expression: length -> (positions of
#: separators, allowed separators, slices of year, month, day). Everything else goes
#: through :func:`_parse_text`, which gives the same answer for these forms.
_FIXED_FORMS = {
    4: ((), b"", slice(0, 4), None, None),  # yyyy
    7: ((2,), b"./-", slice(3, 7), slice(0, 2), None),  # mm.yyyy
    10: ((2, 5), b"./-", slice(6, 10), slice(3, 5), slice(0, 2)),  # dd.mm.yyyy
}
_ISO_DAY = ((4, 7), b"-/.", slice(0, 4), slice(5, 7), slice(8, 10))  # yyyy-mm-dd


def _digits(b: np.ndarray, sl: slice | None) -> np.ndarray:
    if sl is None:
        return np.zeros(len(b), dtype="int64")
    out = np.zeros(len(b), dtype="int64")
    for k in range(sl.start, sl.stop):
        out = out * 10 + (b[:, k].astype("int64") - 48)
    return out


def _parse_fixed(uniques: list) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Parse the common fixed-width forms at once; (which uniques, their parse)."""
    idx_all, parts = [], []
    # One pass over the values: the width of each ASCII text, -1 for anything else.
    widths = np.fromiter((len(u) if type(u) is str and u.isascii() else -1 for u in uniques),
                         dtype="int64", count=len(uniques))
    for width in (4, 7, 10):
        idx = np.flatnonzero(widths == width)
        if not len(idx):
            continue
        b = np.frombuffer("".join(uniques[i] for i in idx).encode("ascii"),
                          dtype=np.uint8).reshape(-1, width)
        isdig = (b >= 48) & (b <= 57)
        forms = [_FIXED_FORMS[width]] + ([_ISO_DAY] if width == 10 else [])
        for seps, allowed, ys, ms, ds in forms:
            ok = np.ones(len(b), dtype=bool)
            for k in range(width):
                ok &= np.isin(b[:, k], np.frombuffer(allowed, dtype=np.uint8)) \
                    if k in seps else isdig[:, k]
            if ok.any():
                sub = b[ok]
                idx_all.append(idx[ok])
                parts.append(_classify_many(_digits(sub, ys), _digits(sub, ms),
                                            _digits(sub, ds)))
    if not idx_all:
        return np.zeros(0, dtype="int64"), ()
    return np.concatenate(idx_all), tuple(np.concatenate(c) for c in zip(*parts))


def _assemble(y: np.ndarray, m: np.ndarray, d: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Vectorised y/m/d -> datetime64[ns]; NaT where not ok."""
    yy = np.where(ok, y, 1970).astype("int64")
    mm = np.where(ok, m, 1).astype("int64")
    dd = np.where(ok, d, 1).astype("int64")
    out = (yy - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (mm - 1)
    out = out.astype("datetime64[D]") + (dd - 1)
    out = out.astype("datetime64[ns]")
    out[~ok] = np.datetime64("NaT")
    return out


def parse_partial_dates(values: pd.Series) -> pd.DataFrame:
    """Parse dates that may be partial (year only, or year and month).

    Unique values are parsed once and mapped back, so a column of millions of
    repeated dates is fast. Never raises on data: what cannot be read gets a reason.

    Parameters
    ----------
    values : pandas.Series
        Text, numbers (``1957.0``, ``19570315``) or datetimes, in any mix.

    Returns
    -------
    pandas.DataFrame
        Same index as ``values``, columns ``date`` (``datetime64[ns]``, a partial date at
        the middle of its period), ``precision`` (categorical ``day``/``month``/``year``/
        ``missing``) and ``error`` (``string``: NA, or why the value was not a date).

    Examples
    --------
    >>> parse_partial_dates(pd.Series(["15.03.1957", "03.1957", "1957", "", "31.02.1957"]))
    ... # doctest: +SKIP
    """
    index = values.index
    n = len(values)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        v = values
        if getattr(v.dt, "tz", None) is not None:
            v = v.dt.tz_localize(None)
        return _parse_datetimes(v.astype("datetime64[ns]").to_numpy(), index)
    else:
        # Text (object or Arrow-backed ``string``) is factorized as it is: a Python
        # string per distinct value only; other extension types go through objects.
        obj = values if isinstance(values.dtype, pd.StringDtype) or \
            values.dtype == object else values.astype("object")
        try:
            codes, uniques = pd.factorize(obj, use_na_sentinel=True)
        except TypeError:  # unhashable values: parse them as text
            codes, uniques = pd.factorize(obj.map(repr), use_na_sentinel=True)
        uniques = list(uniques)
    k = len(uniques)
    # Slot k holds "missing" for NA input (factorize code -1).
    y = np.zeros(k + 1, dtype="int64")
    m = np.zeros(k + 1, dtype="int64")
    d = np.zeros(k + 1, dtype="int64")
    p = np.full(k + 1, _MISSING, dtype="int8")
    err = np.empty(k + 1, dtype=object)
    err[:] = None
    # The delivered forms (dd.mm.yyyy, mm.yyyy, yyyy, yyyy-mm-dd) on arrays; the rest
    # one distinct value at a time.
    fast, got = _parse_fixed(uniques)
    if len(fast):
        y[fast], m[fast], d[fast], p[fast], err[fast] = got
    slow = np.ones(k, dtype=bool)
    slow[fast] = False
    for i in np.flatnonzero(slow):
        y[i], m[i], d[i], p[i], err[i] = _parse_one(uniques[i])
    return _parsed_frame(y, m, d, p, err, codes, index, n)


def _parse_datetimes(v: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """:func:`parse_partial_dates` of ``datetime64[ns]`` values, row by row on arrays
    (no text, no distinct values): each is its day, or missing, or an error when its
    year is outside :data:`YEAR_RANGE` (what :func:`_parse_one` says of each)."""
    lo, hi = YEAR_RANGE
    ns = v.view("int64")
    # Inside the year range exactly when from the first instant of its first year to
    # before the first of the year after (no calendar arithmetic per value); NaT, the
    # least int64, is never inside.
    ok = (ns >= np.datetime64(f"{lo}-01-01", "ns").astype("int64")) & \
        (ns < np.datetime64(f"{hi + 1}-01-01", "ns").astype("int64"))
    outside = ~ok & ~np.isnat(v)
    # The day each falls on: nanoseconds floored to whole days (before 1970 too).
    date = np.where(ok, ns - ns % _NS_PER_DAY, np.iinfo(np.int64).min).view("datetime64[ns]")
    prec = np.where(ok, _DAY, _MISSING).astype("int8")
    reasons = pd.array([None, f"impossible date: year outside {lo}-{hi}"], dtype="string")
    return pd.DataFrame(
        {
            "date": pd.Series(date, index=index, dtype="datetime64[ns]", copy=False),
            "precision": pd.Series(
                pd.Categorical.from_codes(prec, dtype=_PRECISION_DTYPE), index=index),
            "error": pd.Series(reasons.take(outside.astype(np.intp)), index=index),
        },
        index=index,
    )


def _parsed_frame(y: np.ndarray, m: np.ndarray, d: np.ndarray, p: np.ndarray,
                  err: np.ndarray, codes: np.ndarray, index: pd.Index, n: int) -> pd.DataFrame:
    """The parse of each distinct value (slot k: missing) spread back to the rows."""
    k = len(y) - 1
    ok = p != _MISSING
    udates = _assemble(y, m, d, ok)
    idx = np.where(codes < 0, k, codes)
    out = pd.DataFrame(
        {
            "date": pd.Series(udates[idx], index=index, dtype="datetime64[ns]", copy=False),
            "precision": pd.Series(
                pd.Categorical.from_codes(p[idx], dtype=_PRECISION_DTYPE), index=index),
            # The distinct reasons as ``string``, taken per row (no string object made
            # per row).
            "error": pd.Series(pd.array(err, dtype="string").take(idx), index=index),
        },
        index=index,
    )
    assert len(out) == n
    return out


def _as_datetime_ns(dates: object) -> pd.Series:
    """Dates as a ``datetime64[ns]`` Series; no conversion pass when they already are."""
    s = pd.Series(dates)
    if s.dtype == "datetime64[ns]":
        return s
    if pd.api.types.is_datetime64_dtype(s.dtype):  # another unit: a plain cast
        return s.astype("datetime64[ns]")
    return pd.to_datetime(s).astype("datetime64[ns]")


def _precision_codes(precision: pd.Series | pd.Categorical) -> np.ndarray:
    dtype = getattr(precision, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype) and \
            list(dtype.categories) == list(schema.PRECISION_CATEGORIES):
        # Already coded the canonical way: take the codes, no pass over the values.
        codes = np.asarray(pd.Categorical(precision).codes, dtype="int8").copy()
        codes[codes < 0] = _MISSING
        return codes
    cat = pd.Categorical(np.asarray(precision, dtype=object),
                         categories=schema.PRECISION_CATEGORIES)
    codes = cat.codes.astype("int8")
    codes[codes < 0] = _MISSING
    return codes


def format_partial_dates(
    dates: pd.Series, precision: pd.Series, style: str = "norwegian"
) -> pd.Series:
    """Write dates as text whose form carries their precision.

    Parameters
    ----------
    dates : pandas.Series
        ``datetime64`` dates.
    precision : pandas.Series
        Precision of each date (``day``, ``month``, ``year``, ``missing``).
    style : {"norwegian", "iso"}
        ``norwegian``: ``dd.mm.yyyy``, ``mm.yyyy``, ``yyyy``; ``iso``: ``yyyy-mm-dd``,
        ``yyyy-mm``, ``yyyy``. Missing dates become the empty string.

    Returns
    -------
    pandas.Series
        Object dtype strings, same index as ``dates``.

    Notes
    -----
    ``parse_partial_dates(format_partial_dates(d, p))`` gives back ``d`` and ``p``
    exactly when ``d`` follows the mid-period convention.
    """
    if style not in {"norwegian", "iso"}:
        raise ValueError(f"style must be 'norwegian' or 'iso', not {style!r}")
    dt = _as_datetime_ns(dates)
    pc = _precision_codes(precision)
    pc = np.where(dt.isna().to_numpy(), _MISSING, pc)
    # Format each distinct (date, precision) pair once.
    dcodes, udates = pd.factorize(np.where(pc == _MISSING, 0, dt.to_numpy().view("int64")))
    codes, ukeys = pd.factorize(dcodes.astype("int64") * 4 + pc)
    up = (ukeys % 4).astype("int8")
    udt = pd.DatetimeIndex(np.asarray(udates, dtype="int64")[ukeys // 4].astype(
        "datetime64[ns]"))
    yyyy = pd.Index(udt.year).astype(str).str.zfill(4)
    mm = pd.Index(udt.month).astype(str).str.zfill(2)
    dd = pd.Index(udt.day).astype(str).str.zfill(2)
    if style == "norwegian":
        day, month = dd + "." + mm + "." + yyyy, mm + "." + yyyy
    else:
        day, month = yyyy + "-" + mm + "-" + dd, yyyy + "-" + mm
    text = np.select([up == _DAY, up == _MONTH, up == _YEAR],
                     [np.asarray(day), np.asarray(month), np.asarray(yyyy)], default="")
    return pd.Series(np.asarray(text, dtype=object)[codes], index=pd.Series(dates).index,
                     dtype=object, copy=False)


def period_bounds(dates: pd.Series, precision: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Earliest and latest possible day of each (partial) date.

    Parameters
    ----------
    dates : pandas.Series
        ``datetime64`` dates stored by the mid-period convention.
    precision : pandas.Series
        Their precision.

    Returns
    -------
    (pandas.Series, pandas.Series)
        ``datetime64[ns]`` lower and upper bounds, same index; NaT where missing.
        A day is its own bound; ``03.1957`` spans 1957-03-01..1957-03-31; ``1957``
        spans 1957-01-01..1957-12-31.
    """
    dt = _as_datetime_ns(dates)
    v = dt.to_numpy()
    pc = _precision_codes(precision)
    nat = np.datetime64("NaT", "ns")
    lo = np.where(pc == _DAY, v, nat)
    hi = lo.copy()
    # Calendar arithmetic only on the coarse dates (usually few): it is slow per element.
    for code, unit in ((_MONTH, "M"), (_YEAR, "Y")):
        rows = np.flatnonzero(pc == code)
        if not len(rows):
            continue
        start = v[rows].astype(f"datetime64[{unit}]")
        lo[rows] = start.astype("datetime64[ns]")
        hi[rows] = ((start + 1).astype("datetime64[D]") - 1).astype("datetime64[ns]")
    missing = dt.isna().to_numpy()
    lo[missing] = nat
    hi[missing] = nat
    # The arrays are new: handed over, not copied (pandas 3 copies an array by default).
    return (pd.Series(lo, index=dt.index, dtype="datetime64[ns]", copy=False),
            pd.Series(hi, index=dt.index, dtype="datetime64[ns]", copy=False))


def coarsen(
    dates: pd.Series, precision: pd.Series, declared: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Apply a declared precision that is coarser than the parsed one.

    A delivery may carry a precision column (``dodsdato_presisjon``). When it says
    ``year`` for ``15.03.1957``, the date becomes year precision, moved to the middle
    of its period. A declared precision finer than the text is ignored (precision is
    never invented).

    Parameters
    ----------
    dates, precision : pandas.Series
        Parsed dates and their precision.
    declared : pandas.Series
        Declared precision (canonical names; NA means no declaration).

    Returns
    -------
    (pandas.Series, pandas.Series)
        Dates and precision.
    """
    pc = _precision_codes(precision)
    dc = _precision_codes(declared.fillna("day") if hasattr(declared, "fillna") else declared)
    new = np.maximum(pc, dc).astype("int8")  # day < month < year < missing
    v = _as_datetime_ns(dates).to_numpy()
    nat = np.datetime64("NaT", "ns")
    out = np.where(new == _DAY, v, nat)
    # Calendar arithmetic only on the month and year dates (usually few).
    rows = np.flatnonzero(new == _MONTH)
    if len(rows):
        out[rows] = (v[rows].astype("datetime64[M]").astype("datetime64[D]") + 14).astype(
            "datetime64[ns]")
    rows = np.flatnonzero(new == _YEAR)
    if len(rows):
        out[rows] = (v[rows].astype("datetime64[Y]").astype("datetime64[M]") + 6).astype(
            "datetime64[D]").astype("datetime64[ns]")
    idx = pd.Series(dates).index
    return (pd.Series(out, index=idx, dtype="datetime64[ns]", copy=False),
            pd.Series(pd.Categorical.from_codes(new, dtype=_PRECISION_DTYPE), index=idx))
