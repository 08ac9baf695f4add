"""Property tests: the date parser, encoding detection and column mapping never lose a row."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from harkit import dates, io, schema
from harkit.io.header import looks_headerless
from harkit.io.text import HEADERLESS, _first_line, detect_delimiter

NORWEGIAN = "abcdefghijklmnopqrstuvwxyzæøåABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅéüö0123456789 .,-'"
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]


# --- dates ----------------------------------------------------------------------------

@given(st.lists(st.one_of(
    st.text(max_size=20),
    st.from_regex(r"\A[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{2,4}\Z"),
    st.from_regex(r"\A[0-9]{4,8}\Z"),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10**12, max_value=10**12),
    st.none(),
), max_size=30))
@settings(max_examples=300, deadline=None)
def test_date_parser_never_crashes_and_classifies_every_row(values):
    s = pd.Series(values, dtype=object)
    out = dates.parse_partial_dates(s)
    assert len(out) == len(s)
    has_date = out["date"].notna().to_numpy()
    missing = (out["precision"] == "missing").to_numpy()
    has_error = out["error"].notna().to_numpy()
    # Every row is exactly one of: a date (with precision), missing, or an error.
    assert (has_date == ~missing).all()
    assert not (has_error & has_date).any()
    ok = out["date"].dropna()
    assert ((ok.dt.year >= dates.YEAR_RANGE[0]) & (ok.dt.year <= dates.YEAR_RANGE[1])).all()


@st.composite
def conventional_dates(draw):
    n = draw(st.integers(min_value=0, max_value=20))
    days = draw(st.lists(st.integers(min_value=0, max_value=124_000), min_size=n, max_size=n))
    precs = draw(st.lists(st.sampled_from(schema.PRECISION_CATEGORIES), min_size=n,
                          max_size=n))
    base = np.datetime64("1760-01-01")
    d = pd.Series((base + np.array(days, dtype="timedelta64[D]")).astype("datetime64[ns]"),
                  dtype="datetime64[ns]")
    p = pd.Series(pd.Categorical(precs, categories=schema.PRECISION_CATEGORIES))
    # Put each partial date where the convention says it lives.
    d2, p2 = dates.coarsen(d, pd.Series(["day"] * n), p)
    return d2, p2


@given(conventional_dates(), st.sampled_from(["norwegian", "iso"]))
@settings(max_examples=200, deadline=None)
def test_format_parse_round_trip(dp, style):
    d, p = dp
    back = dates.parse_partial_dates(dates.format_partial_dates(d, p, style=style))
    pd.testing.assert_series_equal(back["date"], d, check_names=False)
    pd.testing.assert_series_equal(back["precision"], p, check_names=False)
    assert back["error"].isna().all()


# --- encodings ------------------------------------------------------------------------

@given(st.text(alphabet=NORWEGIAN, min_size=1, max_size=200), st.sampled_from(ENCODINGS))
@settings(max_examples=300, deadline=None)
def test_encoding_detection_decodes_back(text, encoding):
    data = text.encode(encoding)
    detected = io.detect_encoding(data)
    decoded = data.decode(detected)
    if detected == "utf-16":
        decoded = decoded.lstrip("\ufeff")
    assert decoded == text


@given(st.lists(st.text(alphabet=NORWEGIAN.replace(",", ""), min_size=1, max_size=30)
                .filter(lambda s: s.strip() == s and s), min_size=1, max_size=5),
       st.sampled_from(ENCODINGS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_norwegian_text_survives_a_read(names, encoding):
    lines = ["lopenr;kjonn;fodselsdato;dodsdato;kommune"]
    lines += [f"{i:03d};1;1920;1957;{name}" for i, name in enumerate(names)]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "pasient.csv"
        path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
        ex = io.read_extract(path)
    assert ex.persons["municipality"].tolist() == names


# --- names and row accounting -----------------------------------------------------------

KNOWN = sorted({n for a in schema.ALIASES.values() for n in a} | {
    c for t in schema.TABLES.values() for c in t.column_names})
header = st.one_of(st.sampled_from(KNOWN), st.sampled_from([k.upper() for k in KNOWN]),
                   st.text(min_size=0, max_size=12))
cell = st.one_of(st.sampled_from(["", "1", "2", "K", "001", "1957", "15.03.1957", "31.02.1957",
                                  "ICD-10", "H", "F10.2", "ja", "æøå", "x;y", '"q"', "a\nb"]),
                 st.text(max_size=8))


@given(st.lists(header, min_size=1, max_size=6),
       st.lists(st.lists(cell, min_size=6, max_size=6), min_size=0, max_size=8),
       st.sampled_from(["data.csv", "pasient.csv", "diagnose_1.csv", "opphold.csv",
                        "dodsarsak.csv", "arkivserie.txt", "dokument.csv"]),
       st.sampled_from([";", ",", "\t"]))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_arbitrary_headers_every_row_kept_or_rejected(names, rows, file_name, sep):
    # A header of empty names only is a line of separators: a blank line by the reader's
    # rule (docs/data-model.md, section 2: "Lines that are empty or hold only separators
    # are not rows"), so the next line would be the header.
    assume(any(n != "" for n in names))
    frame = pd.DataFrame([r[: len(names)] for r in rows], columns=range(len(names)))
    # The first cell is never blank, so every written row is a row (not a blank line).
    if len(frame):
        frame[0] = "r" + frame[0].astype(str)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / file_name
        # CRLF rows make the writer quote any CR or LF inside a value.
        text = frame.to_csv(sep=sep, index=False, header=names, lineterminator="\r\n")
        # A header holding as many of another separator (tabs in names) is ambiguous: the
        # reader then splits by the documented tie rule, not by what this test wrote.
        assume(detect_delimiter(_first_line(text.encode("utf-8"))) == sep)
        path.write_text(text, encoding="utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ex = io.read_extract(path)
    rc = ex.row_counts
    assert (rc["rows_read"] == rc["rows_kept"] + rc["rows_rejected"]).all()
    assert (rc[["rows_read", "rows_kept", "rows_rejected"]] >= 0).all().all()
    # A first line that looks like data is not taken for a header (it was, silently, before
    # the reader checked): then it is a row too, and every row is rejected.
    first = [str(v) for v in frame.iloc[0]] if len(frame) else None
    headerless = looks_headerless([str(n) for n in names], first)
    if headerless:
        assert rc["rows_read"].iloc[0] == len(rows) + 1
        assert (ex.rejects["reason"] == HEADERLESS).all()
    elif len(rows):
        # Every written row is read exactly once, for the file's main table.
        assert rc["rows_read"].iloc[0] == len(rows)
    else:
        assert ex.rejects["reason"].tolist() == ["empty file"]
    # A rejected row always says why; rejects never carry raw digits or letters.
    assert ex.rejects["reason"].notna().all()
    vals = ex.rejects["value"].dropna()
    assert not vals.str.contains(r"[0-8]|[^\W\d_X]", regex=True).any()
    for name in schema.TABLE_ORDER:
        schema.validate_table(name, ex.tables[name])


# --- the record splitter's path for text without quotes ---------------------------------

@given(st.lists(st.text(alphabet=";,\n\r\tab æ\x00", max_size=12), max_size=12),
       st.sampled_from([";", ",", "\t"]))
@settings(max_examples=300, deadline=None)
def test_unquoted_split_equals_the_general_path(lines, delim):
    # A file without quotes skips the quote analysis and keeps no separator position;
    # its units, and the field of any byte, must equal the general path's.
    from harkit.io import records

    buf = "\n".join(lines).encode("utf-8")
    b = np.frombuffer(buf, dtype=np.uint8)
    _same_units(records._split_unquoted(b, ord(delim)), records._split_quoted(b, ord(delim)))


def _same_units(fast, general) -> None:
    for name in ("start", "end", "line", "last_line", "quoted", "span", "fields", "blank"):
        assert getattr(fast, name).tolist() == getattr(general, name).tolist(), name
    assert (fast.n_lines, fast.ends_with_newline) == (general.n_lines, general.ends_with_newline)
    for u in range(len(fast)):
        pos = np.arange(fast.start[u], fast.end[u] + 1)
        unit = np.full(len(pos), u)
        assert fast.field_of(unit, pos).tolist() == general.field_of(unit, pos).tolist()
        lo, hi = int(fast.start[u]), int(fast.end[u])
        assert fast.separators_in(lo, hi).tolist() == general.separators_in(lo, hi).tolist()


# Pieces of quoted CSV, sound and damaged: quoted fields with separators, line breaks and
# doubled quotes; stray, unclosed and misplaced quotes; blank lines and carriage returns.
_PIECES = st.sampled_from(['"', '""', '"a;b"', '"x\ny"', '"p""q"', ";", "\n", "\r\n", "a",
                           " ", '"\n', 'b"c', "\t", ",", "æ", '";"', '"\r'])


@given(st.lists(_PIECES, max_size=40), st.sampled_from([";", ",", "\t"]))
@example(['h1;h2\n"x\n;', '"a;b"', "\n"], ";")  # a split line whose own quotes enclose a ;
@settings(max_examples=1000, deadline=None)
def test_compact_split_equals_the_general_path(pieces, delim):
    # Text with quotes is split keeping only the positions of separators inside quotes;
    # its units, and the field of any byte, must equal the general path's, which keeps
    # the position of every separator.
    from harkit.io import records

    b = np.frombuffer("".join(pieces).encode("utf-8"), dtype=np.uint8)
    _same_units(records._split_compact(b, ord(delim)), records._split_quoted(b, ord(delim)))


@given(st.lists(st.lists(st.sampled_from(["a", "b;c", 'd"e', "f\ng", "", "h\r\ni", '""']),
                         min_size=1, max_size=5), max_size=12),
       st.sampled_from([";", ","]), st.integers(0, 3))
@settings(max_examples=300, deadline=None)
def test_compact_split_equals_the_general_path_on_records(rows, delim, drop):
    # Mostly sound files (as the csv module writes them), some records short of fields,
    # some with a byte cut from the end.
    import csv as pycsv
    import io as pyio

    from harkit.io import records

    out = pyio.StringIO()
    pycsv.writer(out, delimiter=delim, lineterminator="\n").writerows(rows)
    text = out.getvalue()
    b = np.frombuffer(text[:len(text) - drop].encode("utf-8"), dtype=np.uint8)
    _same_units(records._split_compact(b, ord(delim)), records._split_quoted(b, ord(delim)))


def _raw_as_lists(raw) -> tuple:
    return (raw.frame.astype(object).values.tolist(), raw.frame.columns.tolist(),
            raw.lines.tolist(), raw.bad_lines, raw.notes, raw.bad_spans)


@given(st.lists(_PIECES, max_size=40), st.sampled_from(["", "\ufeff"]))
@example(["x;y;z\n", '"1;2";"3"', ";\n"], "\ufeff")
@example(["x;y;z\n", '"1;2";"3"', ";\n"], "")
@settings(max_examples=300, deadline=None)
def test_records_read_from_the_file_equal_those_read_in_memory(pieces, mark):
    # Records that run to the end of the file are parsed from the file, and the text in
    # memory let go first: the rows, lines, rejects and notes must be those read from
    # memory (with or without a byte-order mark before the text).
    from harkit.io import text as text_mod

    data = (mark + "lopenr;kjonn;kommune\n" + "".join(pieces)).encode("utf-8")
    served, again = [], []
    real, real_text = text_mod._TextFile.parse_arrow, text_mod._OnDisk.text

    def spy(self, units, payload, quoted):
        out = real(self, units, payload, quoted)
        served.append((payload.src is None, out is not None))
        return out

    def spy_text(self):
        again.append(True)
        return real_text(self)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.csv"
        path.write_bytes(data)
        text_mod._TextFile.parse_arrow, text_mod._OnDisk.text = spy, spy_text
        try:
            on_disk = text_mod.read_text(path)
            read_disk = list(served)
            real_on_disk = text_mod._OnDisk
            text_mod._OnDisk = lambda *args: None
            try:
                in_memory = text_mod.read_text(path)
            finally:
                text_mod._OnDisk = real_on_disk
        finally:
            text_mod._TextFile.parse_arrow, text_mod._OnDisk.text = real, real_text
    assert _raw_as_lists(on_disk) == _raw_as_lists(in_memory)
    if data.endswith(b"\n") and len(on_disk.frame) and not on_disk.bad_lines and \
            not on_disk.notes and b"\r" not in data:
        # A sound file ending in a line break is parsed from disk, and that parse kept.
        assert read_disk == [(True, True)] and not again


@given(st.lists(st.one_of(st.integers(0, 0x7F), st.integers(0x80, 0xBF), st.integers(0xC0, 0xFF)),
                max_size=12))
@settings(max_examples=500, deadline=None)
def test_utf8_validation_agrees_with_pythons_codec(values):
    # Arrow's vectorised check stands in for decoding the whole file: it must call
    # valid exactly what Python's UTF-8 codec decodes (overlong forms, surrogates, code
    # points past U+10FFFF and cut sequences are all invalid).
    from harkit.io.encoding import _is_utf8

    data = bytes(values)
    try:
        data.decode("utf-8")
        expected = True
    except UnicodeDecodeError:
        expected = False
    assert _is_utf8(data) is expected
    assert _is_utf8(b"x" * 100 + data) is expected  # not only at the start


@given(st.binary(max_size=60).map(lambda raw: bytes(b"\n;\"a"[x % 4] for x in raw)),
       st.integers(1, 5))
@settings(max_examples=500, deadline=None)
def test_byte_passes_in_parts_equal_numpy(raw, threads):
    # Large files are scanned in parts, one per thread, a line running across parts:
    # line feeds, quotes and the separators on each line must be numpy's, whatever the
    # number of parts (here parts of a few bytes each).
    from harkit.io import _bytescan

    b = np.frombuffer(raw, dtype=np.uint8)
    saved = _bytescan.THREADS, _bytescan.PART_BYTES
    _bytescan.THREADS, _bytescan.PART_BYTES = threads, 1
    try:
        parts = _bytescan.count_parts(b, ord(";"))
        lf, per_line, quote = _bytescan.lines_separators_quotes(b, ord(";"))
        lf2, fields = _bytescan.lines_and_fields(b, ord(";"))
    finally:
        _bytescan.THREADS, _bytescan.PART_BYTES = saved
    want_lf = np.flatnonzero(b == 10)
    line_of = np.searchsorted(want_lf, np.flatnonzero(b == ord(";")))
    want_per_line = np.bincount(line_of, minlength=len(want_lf) + 1)
    assert len(parts) == max(1, min(threads, len(b)))
    assert parts[:, 2:].sum(axis=0).tolist() == [len(want_lf), int((b == ord(";")).sum()),
                                                 int((b == 34).sum())]
    assert lf.tolist() == lf2.tolist() == want_lf.tolist()
    assert per_line.tolist() == want_per_line.tolist() == (fields - 1).tolist()
    assert quote.tolist() == np.flatnonzero(b == 34).tolist()
