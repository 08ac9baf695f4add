"""Partial dates: parsing, formatting, period bounds, declared precision."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
import pytest

from harkit import dates

T = pd.Timestamp

CASES = [
    # value, expected date, precision
    ("1957", T("1957-07-01"), "year"),
    ("03.1957", T("1957-03-15"), "month"),
    ("3.1957", T("1957-03-15"), "month"),
    ("1957-03", T("1957-03-15"), "month"),
    ("15.03.1957", T("1957-03-15"), "day"),
    ("5.3.1957", T("1957-03-05"), "day"),
    ("1957-03-15", T("1957-03-15"), "day"),
    ("1957-03-15 00:00:00", T("1957-03-15"), "day"),
    ("19570315", T("1957-03-15"), "day"),
    ("195703", T("1957-03-15"), "month"),
    ("00.00.1957", T("1957-07-01"), "year"),
    ("00.03.1957", T("1957-03-15"), "month"),
    ("1957-00-00", T("1957-07-01"), "year"),
    ("1957-03-00", T("1957-03-15"), "month"),
    ("19570000", T("1957-07-01"), "year"),
    ("19570300", T("1957-03-15"), "month"),
    ("1957.0", T("1957-07-01"), "year"),
    (" 15.03.1957 ", T("1957-03-15"), "day"),
    ("29.02.1960", T("1960-02-29"), "day"),
    ("", pd.NaT, "missing"),
    ("   ", pd.NaT, "missing"),
    ("NA", pd.NaT, "missing"),
]


@pytest.mark.parametrize(("value", "date", "precision"), CASES)
def test_accepted_forms(value, date, precision):
    out = dates.parse_partial_dates(pd.Series([value]))
    got = out.iloc[0]
    assert got["precision"] == precision
    assert (pd.isna(got["date"]) and pd.isna(date)) or got["date"] == date
    assert pd.isna(got["error"])


@pytest.mark.parametrize(("value", "reason"), [
    ("31.02.1957", "impossible date: no such day in that month"),
    ("29.02.1957", "impossible date: no such day in that month"),
    ("13.1957", "impossible date: month above 12"),
    ("1957-13-01", "impossible date: month above 12"),
    ("1749", "impossible date: year outside 1750-2100"),
    ("2101-01-01", "impossible date: year outside 1750-2100"),
    ("15.00.1957", "impossible date: day given without a month"),
    ("200112", "unparseable date: ambiguous 6 digits"),
    ("190112", "unparseable date: ambiguous 6 digits"),
    ("ukjent", "unparseable date: unrecognised format"),
    ("15/3-57", "unparseable date: unrecognised format"),
    ("1957.5", "unparseable date: unrecognised format"),
])
def test_rejected_forms_have_reason_no_date(value, reason):
    out = dates.parse_partial_dates(pd.Series([value]))
    assert out["error"].iloc[0].startswith(reason)
    assert pd.isna(out["date"].iloc[0])
    assert out["precision"].iloc[0] == "missing"


def test_reason_never_repeats_the_value():
    out = dates.parse_partial_dates(pd.Series(["31.02.1957", "13.1957", "1749"]))
    for reason in out["error"]:
        assert "1957" not in reason and "31" not in reason and "1749" not in reason


def test_six_digit_rule_reads_unambiguous_yyyymm():
    # 195703 cannot be ddmmyy (month 57); 185012 cannot (month 50).
    out = dates.parse_partial_dates(pd.Series(["195703", "185012", "201003"]))
    assert list(out["date"][:2]) == [T("1957-03-15"), T("1850-12-15")]
    assert pd.isna(out["date"].iloc[2])  # 20.10.03 is a valid ddmmyy


def test_numbers_and_datetimes():
    s = pd.Series([1957.0, 19570315, np.nan, T("1960-02-29"), dt.date(1961, 1, 2),
                   1957.5, True], dtype=object)
    out = dates.parse_partial_dates(s)
    assert list(out["precision"]) == ["year", "day", "missing", "day", "day", "missing",
                                      "missing"]
    assert list(out["date"][:2]) == [T("1957-07-01"), T("1957-03-15")]
    assert out["date"].iloc[4] == T("1961-01-02")
    assert out["error"].notna().tolist() == [False, False, False, False, False, True, True]


def test_float_column_from_stata():
    out = dates.parse_partial_dates(pd.Series([1957.0, np.nan, 1980.0]))
    assert list(out["precision"]) == ["year", "missing", "year"]
    assert out["date"].iloc[2] == T("1980-07-01")


def test_datetime64_column_is_day_precision_and_range_checked():
    s = pd.Series(pd.to_datetime(["1957-03-15", None, "1700-01-01"]))
    out = dates.parse_partial_dates(s)
    assert list(out["precision"]) == ["day", "missing", "missing"]
    assert out["error"].iloc[2] == "impossible date: year outside 1750-2100"


def test_timezone_aware_datetimes_are_naive_days():
    s = pd.Series(pd.to_datetime(["1957-03-15"]).tz_localize("Europe/Oslo"))
    out = dates.parse_partial_dates(s)
    assert out["date"].iloc[0] == T("1957-03-15")


def test_output_shape_dtypes_and_index():
    s = pd.Series(["1957", "x"], index=[10, 20])
    out = dates.parse_partial_dates(s)
    assert list(out.columns) == ["date", "precision", "error"]
    assert list(out.index) == [10, 20]
    assert out["date"].dtype == "datetime64[ns]"
    assert list(out["precision"].cat.categories) == ["day", "month", "year", "missing"]
    assert out["error"].dtype == "string"


def test_empty_series():
    out = dates.parse_partial_dates(pd.Series([], dtype=object))
    assert len(out) == 0 and list(out.columns) == ["date", "precision", "error"]


def test_format_both_styles():
    d = pd.Series(pd.to_datetime(["1957-03-15", "1957-03-15", "1957-07-01", None, "1802-01-09"]))
    p = pd.Series(["day", "month", "year", "missing", "day"])
    assert list(dates.format_partial_dates(d, p)) == [
        "15.03.1957", "03.1957", "1957", "", "09.01.1802"]
    assert list(dates.format_partial_dates(d, p, style="iso")) == [
        "1957-03-15", "1957-03", "1957", "", "1802-01-09"]
    with pytest.raises(ValueError, match="style"):
        dates.format_partial_dates(d, p, style="us")


@pytest.mark.parametrize("style", ["norwegian", "iso"])
def test_parse_format_round_trip(style):
    # harkit's dates are datetime64[ns] (pandas 3 parses text to microseconds)
    d = pd.Series(pd.to_datetime(["1957-03-15", "1957-03-15", "1957-07-01", None,
                                  "2000-02-29", "1750-01-01"])).astype("datetime64[ns]")
    p = pd.Series(pd.Categorical(["day", "month", "year", "missing", "day", "day"],
                                 categories=["day", "month", "year", "missing"]))
    back = dates.parse_partial_dates(dates.format_partial_dates(d, p, style=style))
    pd.testing.assert_series_equal(back["date"], d, check_names=False)
    pd.testing.assert_series_equal(back["precision"], p, check_names=False)


def test_period_bounds():
    d = pd.Series(pd.to_datetime(["1957-03-15", "1957-02-15", "1957-07-01", None]))
    p = pd.Series(["day", "month", "year", "missing"])
    lo, hi = dates.period_bounds(d, p)
    assert list(lo[:3]) == [T("1957-03-15"), T("1957-02-01"), T("1957-01-01")]
    assert list(hi[:3]) == [T("1957-03-15"), T("1957-02-28"), T("1957-12-31")]
    assert pd.isna(lo.iloc[3]) and pd.isna(hi.iloc[3])


def test_coarsen_only_makes_dates_coarser():
    d = pd.Series(pd.to_datetime(["1957-03-20", "1957-03-20", "1957-07-01", "1957-03-20"]))
    p = pd.Series(["day", "day", "year", "day"])
    declared = pd.Series(["year", "month", "day", None])
    d2, p2 = dates.coarsen(d, p, declared)
    assert list(p2) == ["year", "month", "year", "day"]
    assert list(d2) == [T("1957-07-01"), T("1957-03-15"), T("1957-07-01"), T("1957-03-20")]


@pytest.mark.slow
def test_millions_of_repeated_dates_are_fast():
    rng = np.random.default_rng(0)
    pool = dates.format_partial_dates(
        pd.Series(pd.date_range("1900-01-01", periods=20_000, freq="D")),
        pd.Series(["day"] * 20_000))
    s = pd.Series(pool.to_numpy()[rng.integers(0, 20_000, 2_000_000)])
    t0 = time.perf_counter()
    out = dates.parse_partial_dates(s)
    elapsed = time.perf_counter() - t0
    assert (out["precision"] == "day").all()
    assert elapsed < 20, elapsed


def _reference_day(y: int, m: int, d: int):
    """Independent check with the standard library: the day, or None if impossible."""
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def test_fixed_width_forms_on_arrays_agree_with_the_calendar():
    # Every day-month pair (including impossible ones) over leap and century years, in
    # the fixed-width forms parsed on arrays; the standard library's calendar decides.
    years = [1749, 1750, 1800, 1900, 1957, 2000, 2024, 2100, 2101]
    rows = []
    for y in years:
        for m in range(0, 14):
            for d in range(0, 33):
                for text in (f"{d:02d}.{m:02d}.{y}", f"{y}-{m:02d}-{d:02d}"):
                    rows.append((text, y, m, d))
            rows.append((f"{m:02d}.{y}", y, m, -1))
        rows.append((str(y), y, -1, -1))
    got = dates.parse_partial_dates(pd.Series([r[0] for r in rows], dtype=object))
    for (text, y, m, d), date, prec, err in zip(rows, got["date"], got["precision"],
                                                 got["error"]):
        in_range = 1750 <= y <= 2100
        if m == -1:  # yyyy
            want = (T(f"{y}-07-01"), "year") if in_range else (pd.NaT, "missing")
        elif d == -1:  # mm.yyyy
            ok = in_range and 1 <= m <= 12
            want = (T(f"{y}-{m:02d}-15"), "month") if ok else \
                (T(f"{y}-07-01"), "year") if in_range and m == 0 else (pd.NaT, "missing")
        elif m == 0 and d == 0:
            want = (T(f"{y}-07-01"), "year") if in_range else (pd.NaT, "missing")
        elif d == 0:
            want = (T(f"{y}-{m:02d}-15"), "month") if in_range and m <= 12 else \
                (pd.NaT, "missing")
        else:
            day = _reference_day(y, m, d) if in_range else None
            want = (T(day), "day") if day is not None else (pd.NaT, "missing")
        assert (date if not pd.isna(date) else pd.NaT, prec) == want, text
        assert pd.isna(err) == (want[1] != "missing"), text


def test_array_parse_gives_the_per_value_answer_on_damaged_text():
    # Random text of the fixed widths, with separators and digits in wrong places:
    # the array parse must give exactly what the per-value parser gives, reasons too.
    rng = np.random.default_rng(7)
    alphabet = np.array(list("0123456789./- x"))
    values = ["".join(rng.choice(alphabet, size=w, p=[0.07] * 10 + [0.06] * 4 + [0.06]))
              for w in rng.choice([4, 7, 10], size=5_000)]
    values += ["\u0661\u0669\u0665\u0667", " 1957", "1957 ", "NA", "", None]
    got = dates.parse_partial_dates(pd.Series(values, dtype=object))
    for v, date, prec, err in zip(values, got["date"], got["precision"], got["error"]):
        y, m, d, p, e = dates._parse_one(v)
        assert dates.schema.PRECISION_CATEGORIES[p] == prec, v
        assert (None if pd.isna(err) else err) == e, v
        if p != dates._MISSING:
            assert date == T(int(y), int(m), int(d)), v
