"""Fast paths of the reader's later stages held equal to their general paths."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from harkit import dates, read_extract
from harkit.io._arrowscan import key_order, sorted_positions, strictly_increasing
from harkit.io.rejects import mask_values
from harkit.io.values import _may_need_trim, _may_need_trim_compute, delivered_values

#: Text with blanks of every kind at either end: ASCII controls, NBSP, ideographic space,
#: and non-blank multi-byte characters (which the check counts as possible blanks too).
_EDGE = st.sampled_from(["", " ", "\t", "\n", "\x00", "\x1f", "\u00a0", "\u3000", "\u2003",
                         "é", "ø", "\ufeff", "a", "0", "!"])
_VALUE = st.one_of(st.none(), st.text(max_size=6),
                   st.builds(lambda a, m, b: a + m + b, _EDGE, st.text("abc019 .", max_size=4),
                             _EDGE))


@given(st.lists(_VALUE, max_size=25), st.sampled_from([pa.string(), pa.large_string()]),
       st.integers(0, 5), st.integers(0, 5), st.integers(1, 4))
@settings(max_examples=400, deadline=None)
def test_edge_scan_equals_the_compute_check(values, typ, lo, hi, n_chunks):
    arr = pa.array(values, type=typ)
    sliced = arr.slice(min(lo, len(arr)), max(len(arr) - lo - hi, 0))  # an offset view
    step = max(len(arr) // n_chunks, 1)
    chunked = pa.chunked_array([arr.slice(i, step) for i in range(0, len(arr), step)],
                               type=typ)
    for a in (arr, sliced, chunked):
        assert _may_need_trim(a) == _may_need_trim_compute(a)


_KEY = st.text(st.sampled_from("ab0Zæ\u3000 é"), max_size=4)


def _chunked(arr: pa.Array, n_chunks: int) -> pa.ChunkedArray:
    step = max(len(arr) // n_chunks, 1)
    return pa.chunked_array([arr.slice(i, step) for i in range(0, len(arr), step)],
                            type=arr.type)


def _order_key(order: str):
    """Python's sort key for an order of :func:`strictly_increasing`."""
    if order == "bytes":
        return lambda k: k.encode("utf-8")
    return lambda k: (len(k.encode("utf-8")), k.encode("utf-8"))


#: Keys as a delivery numbers its rows: padded, or whole numbers without leading zeros.
_NUMBERED = st.lists(st.integers(0, 10**6), max_size=12).map(
    lambda xs: [str(x) for x in xs])


@given(st.one_of(st.lists(_KEY, max_size=12), _NUMBERED),
       st.sampled_from([pa.string(), pa.large_string()]), st.sampled_from(["bytes", "length"]),
       st.integers(1, 4))
@settings(max_examples=400, deadline=None)
def test_strictly_increasing_is_the_order_without_ties(keys, typ, order, n_chunks):
    sort_key = _order_key(order)
    expected = all(sort_key(a) < sort_key(b) for a, b in zip(keys, keys[1:]))
    assert strictly_increasing(pa.array(keys, type=typ), order) == expected
    assert strictly_increasing(_chunked(pa.array(keys, type=typ), n_chunks), order) == expected
    assert not strictly_increasing(pa.array(keys + [None], type=typ), order)


def test_numbers_without_leading_zeros_are_in_length_order():
    numbers = pa.array([str(n) for n in range(1, 1200)])
    assert key_order(numbers) == "length"
    assert key_order(pa.array([f"P{n:07d}" for n in range(1, 1200)])) == "bytes"
    assert key_order(pa.array(["1", "3", "2"])) is None
    assert key_order(pa.array(["1", "1"])) is None  # a tie is not increasing


@given(st.sets(_KEY, max_size=15), st.lists(st.one_of(st.none(), _KEY), max_size=40),
       st.booleans(), st.sampled_from([pa.string(), pa.large_string()]),
       st.integers(1, 4), st.integers(0, 3), st.sampled_from(["bytes", "length"]))
@settings(max_examples=400, deadline=None)
def test_sorted_key_search_equals_arrow_hash_lookup(keys, values, in_order, typ, n_chunks,
                                                   lo, order):
    sort_key = _order_key(order)
    ordered = sorted(keys, key=sort_key)
    if in_order:  # rows in key order, as deliveries usually come
        values = sorted([v for v in values if v is not None],
                        key=sort_key) + [v for v in values if v is None]
    k = pa.array(ordered, type=pa.large_string())
    k_view = pa.array(["zz"] * lo + ordered, type=pa.large_string()).slice(lo)
    v = pa.array(values, type=typ)
    expected = pc.fill_null(pc.index_in(v.cast(k.type), value_set=k, skip_nulls=True),
                            -1).to_numpy().astype(np.int64)
    assert strictly_increasing(k, order)
    for vals in (v, _chunked(v, n_chunks), v.slice(min(lo, len(v)))):
        exp = expected[len(v) - len(vals):]
        np.testing.assert_array_equal(sorted_positions(vals, k, order), exp)
        np.testing.assert_array_equal(sorted_positions(vals, k_view, order), exp)


_NS_DAY = 86_400 * 10**9


@given(st.lists(st.one_of(
    st.none(),
    st.integers(-(2**63) + 1, 2**63 - 1),  # anywhere a datetime64[ns] reaches
    st.builds(lambda d, t: d * _NS_DAY + t, st.integers(-80_000, 50_000),  # 1750-2100
              st.sampled_from([0, 1, _NS_DAY - 1, 3_600 * 10**9])),
    st.builds(lambda d, t: int(np.datetime64(d, "D").astype(np.int64)) * _NS_DAY + t,
              st.sampled_from(["1749-12-31", "1750-01-01", "2100-12-31", "2101-01-01"]),
              st.sampled_from([0, _NS_DAY - 1, -1])),  # the ends of the year range
), max_size=30))
@settings(max_examples=300, deadline=None)
def test_datetime_dates_parse_as_each_value_does(values):
    ns = np.array([np.iinfo(np.int64).min if v is None else v for v in values],
                  dtype=np.int64).view("datetime64[ns]")  # the minimum is NaT
    s = pd.Series(ns, index=pd.RangeIndex(3, 3 + len(ns)))
    fast = dates.parse_partial_dates(s)
    # The general path: each value on its own, as Timestamps among objects.
    general = dates.parse_partial_dates(s.astype(object))
    pd.testing.assert_frame_equal(fast, general)


def test_datetime_delivery_rejects_show_the_delivered_timestamps(tmp_path):
    """Datetime columns keep their values, not their text, for later rejects: the text
    a reject shows is still that of each delivered value (``Timestamp.isoformat``)."""
    ts = pd.Timestamp
    persons = pd.DataFrame({
        "person_id": ["P1", "P2", "P3", "P4"],
        "sex": ["1", "2", "1", "2"],
        "birth_date": [ts("1920-03-04"), ts("1960-05-05"), ts("1700-01-01"),
                       ts("1930-01-01")],
        "death_date": [ts("1990-01-01"), ts("1950-01-01 12:34:56"), ts("1980-01-01"), pd.NaT],
    })
    episodes = pd.DataFrame({
        "episode_id": ["E1", "E2"],
        "person_id": ["P1", "P4"],
        "admission_date": [ts("2000-01-01 00:00:00.5"), ts("1950-02-02")],
    })
    persons.to_parquet(tmp_path / "persons.parquet")
    episodes.to_parquet(tmp_path / "episodes.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex = read_extract(tmp_path)
    rej = ex.rejects.set_index("reason")["value"]

    def shown(text: str) -> str:
        return str(mask_values(pd.Series([text])).iloc[0])

    assert rej["death before birth"] == shown("1950-01-01T12:34:56")
    assert rej["impossible date: year outside 1750-2100"] == shown("1700-01-01T00:00:00")
    assert rej["admission after death"] == shown(ts("2000-01-01 00:00:00.5").isoformat())
    assert len(ex.rejects) == 3
    assert set(ex.tables["persons"]["person_id"]) == {"P1", "P4"}
    # A datetime is its day, and of day precision.
    p4 = ex.tables["persons"].set_index("person_id").loc["P4"]
    assert p4["birth_date"] == ts("1930-01-01") and p4["birth_date_precision"] == "day"


def test_delivered_values_write_datetimes_among_text():
    s = pd.Series(["03.1957", pd.Timestamp("1957-03-15"), pd.NaT, ""], dtype=object)
    assert delivered_values(s).tolist() == ["03.1957", "1957-03-15T00:00:00", "", ""]
    d = pd.Series(pd.to_datetime(["1957-03-15 01:02:03", None]))
    assert delivered_values(d).tolist() == ["1957-03-15T01:02:03", ""]


def _person_mismatch_delivery(folder):
    pd.DataFrame({"person_id": ["P1", "P2", "P3", "P2"], "sex": ["1", "2", "1", "2"],
                  "birth_date": ["1920"] * 4, "death_date": ["2000"] * 4}).to_csv(
        folder / "persons.csv", index=False)
    pd.DataFrame({"episode_id": ["E1", "E2", "E3", "E4", "E5"],
                  "person_id": ["P1", "P2", "P9", "P3", "P2"],
                  "admission_date": ["1990"] * 5}).to_csv(folder / "episodes.csv", index=False)
    rows = [("D1", "E1", "P1"), ("D2", "E1", "P2"), ("D3", "E3", "P9"), ("D4", "E3", "P8"),
            ("D5", "E2", "P7"), ("D6", "E9", "P1"), ("D7", "E4", ""), ("D8", "", "P3"),
            ("D9", "E5", "P2"), ("D10", "E4", "P3"), ("D11", "E2", "P3")]
    pd.DataFrame(rows, columns=["diagnosis_id", "episode_id", "person_id"]).assign(
        code="I21", date="1990").to_csv(folder / "diagnoses.csv", index=False)


def test_episode_person_by_position_equals_the_text_comparison(tmp_path, monkeypatch):
    """Persons compared as rows of persons (a duplicate person key, unknown persons,
    missing ones, unknown episodes) give the rejects the text comparison gives."""
    from harkit.io import validate

    _person_mismatch_delivery(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = read_extract(tmp_path).rejects
        monkeypatch.setattr(validate, "_person_positions", lambda *a: None)
        general = read_extract(tmp_path).rejects
    pd.testing.assert_frame_equal(fast, general)
    differs = fast[fast["reason"] == "person differs from the person of its episode"]
    # D2 (both known), D4 (both unknown), D5 (own unknown), D11 (both known).
    assert sorted(differs["line"].tolist()) == [3, 5, 6, 12]


#: Three valid numbers (a D-number, one written with a space) and one with a wrong check digit.
_VALID_NUMBERS = ["02042887385", "66014982125", "230434 27849", "02042887384"]


@given(st.lists(st.one_of(
    st.none(),
    st.sampled_from(_VALID_NUMBERS),
    st.builds(lambda a, v, b: a + v + b, st.sampled_from(["", " ", "\t", " " * 35]),
              st.sampled_from(_VALID_NUMBERS), st.sampled_from(["", " ", "  \t"])),
    st.text("0123456789 -ab\t", max_size=14),
), max_size=25), st.booleans())
@settings(max_examples=300, deadline=None)
def test_identity_counts_equal_a_count_value_by_value(values, weighted):
    from harkit.io.identity import _column_counts, valid_identity_numbers

    weights = np.arange(1, len(values) + 1, dtype=np.int64) if weighted else None
    w = weights if weighted else np.ones(len(values), dtype=np.int64)
    # Value by value: a valid number once trimmed (values over 40 characters are not
    # looked at), and the non-empty values of the column when any number is found.
    is_number = [v is not None and len(v) <= 40 and
                 bool(valid_identity_numbers(pd.Series([v.strip()]))[0]) for v in values]
    valid = int(sum(wi for wi, n in zip(w, is_number) if n))
    filled = int(sum(wi for wi, v in zip(w, values)
                     if v is not None and (len(v) > 40 or v.strip()))) if valid else 0
    for arr in (pa.array(values, type=pa.large_string()),
                _chunked(pa.array(values, type=pa.string()), 3)):
        assert _column_counts(arr, weights) == (filled, valid)


@given(st.lists(st.one_of(
    st.none(), st.just(""),
    st.from_regex(r"\A[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}\Z"),
    st.from_regex(r"\A[0-9]{2}\.[0-9]{4}\Z"), st.from_regex(r"\A[0-9]{4}\Z"),
    st.text("0123456789.-/ x", max_size=11),
), max_size=30), st.booleans())
@settings(max_examples=300, deadline=None)
def test_dates_parsed_once_per_distinct_value_equal_a_parse_of_every_row(values, arrow):
    from harkit.io.values import _parse_distinct, distinct_text

    s = pd.Series(values, dtype="string[pyarrow]" if arrow else object,
                  index=pd.RangeIndex(5, 5 + len(values)))
    by_distinct = _parse_distinct(*distinct_text(s, True), s.index)
    pd.testing.assert_frame_equal(by_distinct, dates.parse_partial_dates(s))
