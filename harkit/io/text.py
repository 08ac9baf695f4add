"""Reading one delimited text file: decode, split into records, parse, reconcile.

The record splitter (:mod:`harkit.io.records`) decides what the records are, from the
bytes alone. Records that cannot be kept as they are (wrong number of fields, NUL bytes,
undecodable bytes, over-long fields) become rejected rows with file, line and column.
The parser reads only the records that passed, and must return exactly one row for each
(and the line breaks each holds); where it does not, every record is split again by the
reference splitter, so a parser quirk can never lose or merge a row.

Where the records to parse run to the end of a UTF-8 file (the common case), the parser
reads them from the file itself, after the copy in memory is let go: the text and its
table are then never held at once. A file changed meanwhile (its size or modification
time) is not read at all.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from harkit.io.encoding import Decoding, decide_encoding, to_utf8
from harkit.io.header import looks_headerless, settle_names
from harkit.io.raw import Finding, RawFile, UnreadableFile
from harkit.io.records import CR, LF, Units, split_fields, split_units

#: Longest field kept, in bytes (UTF-8); a longer one rejects its row.
MAX_FIELD_BYTES = 1 << 20
#: Share of rows with more fields than the header above which the header, not the rows,
#: is taken to be wrong (a missing name), and the whole file is rejected.
MISSING_NAME_SHARE = 0.5
#: Share of control or undecodable bytes at the start of a file above which it is taken to
#: be binary, not text (it is then not read at all).
BINARY_SHARE = 0.1
_SAMPLE = 1 << 16
_DELIMITERS = (";", "\t", ",", "|")
HEADERLESS = ("no header row: line 1 looks like data (no name is a known column, and the "
              "values look like identifiers, dates or codes)")
REPEATED_HEADER = "the header line repeated here (were files joined with their headers?)"
RAW_NOTE = "misplaced quote: line read without quoting (quote characters kept as text)"
CUT_NOTE = "the file ends without a line break: its last line may be cut short"
CHANGED = "the file changed while it was read"


def detect_delimiter(header: str) -> str:
    """Pick the field separator from a header line.

    The most frequent of ``;``, tab, ``,`` and ``|`` outside double quotes wins; ties go
    to that order (semicolon first, the Norwegian convention). A header without any
    of them is a one-column file and gets ``;``.

    Parameters
    ----------
    header : str
        The first line of the file.

    Returns
    -------
    str
        The separator.
    """
    outside = "".join(header.split('"')[::2])
    counts = [(outside.count(d), -i, d) for i, d in enumerate(_DELIMITERS)]
    best = max(counts)
    return best[2] if best[0] > 0 else ";"


def _first_line(buf: bytes) -> str:
    """The first non-blank line, continued while a quoted name spans lines."""
    lines, pos = [], 0
    while len(lines) < 64:  # never split the whole file: it may be gigabytes
        nxt = buf.find(b"\n", pos)
        lines.append(buf[pos:] if nxt < 0 else buf[pos:nxt])
        if nxt < 0:
            break
        pos = nxt + 1
    for i, line in enumerate(lines):
        if line.strip(b"\r"):
            out = line
            for more in lines[i + 1:]:
                if out.count(b'"') % 2 == 0:
                    break
                out += b"\n" + more
            return out.decode("utf-8", errors="replace")
    return ""


def read_text(path: Path) -> RawFile:
    """Read a delimited text file, accounting for every record.

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    RawFile
        Rows that can be read, rows rejected on read (``bad_lines``) and notes.
    """
    seen = path.stat()
    data = path.read_bytes()
    decoding, bad = decide_encoding(data)
    buf, bad = to_utf8(data, decoding, bad)
    # Where the text is the file's own bytes (UTF-8, a byte-order mark aside), the parser
    # can read them from the file, and the copy in memory be let go first.
    on_disk = None
    if decoding.codec in ("utf-8", "utf-8-sig"):
        on_disk = _OnDisk(path, len(data) - len(buf), seen.st_size, seen.st_mtime_ns)
    if _looks_binary(buf, bad):
        raise UnreadableFile("not a delimited text file: it holds binary data (a different "
                             "format with a text extension?)")
    if b"\n" not in buf and b"\r" in buf:
        buf = buf.replace(b"\r", b"\n")  # line breaks of old Macs
        on_disk = None
    delim = detect_delimiter(_first_line(buf))
    text = _TextFile(path.name, buf, delim, decoding, bad, on_disk)
    del data, buf  # the reader holds the only reference: it may let the bytes go
    return text.read()


class _OnDisk(NamedTuple):
    """Where a file's text lies on disk, as it was when read."""

    path: Path
    offset: int  # bytes before the text (a byte-order mark)
    size: int
    mtime_ns: int

    def unchanged(self) -> bool:
        now = self.path.stat()
        return (now.st_size, now.st_mtime_ns) == (self.size, self.mtime_ns)

    def text(self) -> bytes:
        """The text again (the file must not have changed since it was first read)."""
        data = self.path.read_bytes()
        if not self.unchanged() or len(data) != self.size:
            raise UnreadableFile(CHANGED)
        return data[self.offset:]


class _TextFile:
    """The steps of reading one text file, sharing its bytes and records."""

    def __init__(self, name: str, buf: bytes, delim: str, decoding: Decoding,
                 bad: np.ndarray, on_disk: _OnDisk | None = None) -> None:
        self.name, self.buf, self.delim, self.decoding = name, buf, delim, decoding
        self.bad = bad
        self.on_disk = on_disk
        self.units: Units | None = split_units(buf, delim)
        self.ends_with_newline = self.units.ends_with_newline
        # End of the text before any carriage returns it ends with.
        self.text_end = len(buf)
        while self.text_end and buf[self.text_end - 1] == CR:
            self.text_end -= 1
        self.notes: list[Finding] = []
        if decoding.guessed:
            self.notes.append((None, None, f"read as {decoding.label}: {decoding.evidence}"))

    def fields(self, units: Units, i: int) -> list[str]:
        raw = self.buf[units.start[i]:units.end[i]]
        try:
            return split_fields(raw, bool(units.quoted[i]), self.delim)
        except UnicodeDecodeError:
            return raw.decode("utf-8", errors="replace").split(self.delim)

    def check_header(self, h: int) -> None:
        """Notes when the header line is misquoted or holds NUL or undecodable bytes."""
        if not self.units.quoted[h]:
            self.notes.append((int(self.units.line[h]), None, RAW_NOTE))
        lo, hi = self.units.start[h], self.units.end[h]
        nul = self.buf.find(b"\x00", lo, hi) >= 0
        if nul or ((self.bad >= lo) & (self.bad < hi)).any():
            self.notes.append((int(self.units.line[h]), None, "the header line holds NUL or "
                               "undecodable bytes: column names may be wrong"))

    def raw_file(self, frame: pd.DataFrame, lines: np.ndarray, bad: list[Finding],
                 problem: str | None = None) -> RawFile:
        return RawFile(self.name, frame, np.asarray(lines, dtype="int64"), True,
                       self.decoding.codec, self.delim, bad, self.notes, problem)

    def read(self) -> RawFile:
        u = self.units
        nonblank = np.flatnonzero(~u.blank)
        if not len(nonblank):
            return self.raw_file(pd.DataFrame(), np.zeros(0), [])
        h = int(nonblank[0])
        names = self.fields(u, h)
        self.check_header(h)
        body = np.zeros(len(u), dtype=bool)
        body[nonblank[1:]] = True
        del nonblank
        data = u.take(body)
        del body
        nxt = self.fields(data, 0) if len(data) else None
        if looks_headerless(names, nxt):
            return self.reject_all(u.take(~u.blank), HEADERLESS,
                                   [f"column_{i + 1}" for i in range(len(names))])
        # From here on the records are in ``data``: the file's own list is let go.
        del u
        self.units = None
        self.ncols = len(names)
        reason, column = self.problems(data, names)
        too_many = (data.fields > self.ncols).mean() if len(data) else 0.0
        if too_many > MISSING_NAME_SHARE:
            return self.reject_all(data, f"the header has {self.ncols} names but "
                                         f"{too_many:.0%} of rows have more fields: a column "
                                         "name is missing from the header", names)
        # Separator positions (one per field: the largest array here) serve only the
        # checks above; let them go before the parser needs its memory.
        if data.separators is not None:
            data.separators = np.zeros(0, dtype=np.int64)
        data.source = data.enclosed = None  # nor are the bytes needed by the units
        ok = np.equal(reason, None)
        # Only the rejected units' reasons are kept (not two object arrays of a pointer
        # per unit while the parser runs).
        rejected = np.flatnonzero(~ok)
        reason, column = reason[rejected], column[rejected]
        frame = self.parse(data.take(ok))
        again = self.repeated_header(frame, names)
        if again.any():  # files joined with their headers: those lines are not rows
            more = np.flatnonzero(ok)[again]
            ok[more] = False
            order = np.argsort(np.concatenate([rejected, more]), kind="stable")
            rejected = np.concatenate([rejected, more])[order]
            reason = np.concatenate([reason, np.full(len(more), REPEATED_HEADER, dtype=object)]
                                    )[order]
            column = np.concatenate([column, np.full(len(more), None, dtype=object)])[order]
            frame = frame.loc[~again].reset_index(drop=True)
        kept = data.take(ok)
        self.note_rows(kept, names)
        frame, lines, dup_bad, dup_notes = settle_names(frame, names, kept.line)
        self.notes += dup_notes
        bad = [(int(ln), c, r) for ln, c, r in zip(data.line[rejected], column, reason)]
        out = self.raw_file(frame, lines, sorted(bad + dup_bad, key=lambda b: b[0] or 0))
        out.bad_spans = _spans(data.take(~ok))
        return out

    @staticmethod
    def repeated_header(frame: pd.DataFrame, names: list[str]) -> np.ndarray:
        """Rows that repeat the header line (its names, blanks and a mark aside)."""
        if not len(frame):
            return np.zeros(0, dtype=bool)
        clean = [n.strip().lstrip("\ufeff").strip() for n in names]
        first = frame[0]
        cand = np.flatnonzero(first.isin({names[0], clean[0], "\ufeff" + clean[0]}).to_numpy())
        out = np.zeros(len(frame), dtype=bool)
        for i in cand:
            row = [str(v).strip().lstrip("\ufeff").strip() for v in frame.iloc[i]]
            out[i] = row == clean
        return out

    def reject_all(self, units: Units, reason: str, names: list[str]) -> RawFile:
        bad = [(int(ln), None, reason) for ln in units.line]
        out = self.raw_file(pd.DataFrame(columns=names), np.zeros(0), bad, reason)
        out.bad_spans = _spans(units)
        return out

    # --- what cannot be kept ------------------------------------------------------------

    def problems(self, data: Units, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Reason (or None) and column of every data unit that must be rejected."""
        n = len(data)
        reason = np.full(n, None, dtype=object)
        column = np.full(n, None, dtype=object)

        def mark(pos: np.ndarray, text: str) -> None:
            if not n or not len(pos):
                return
            idx = np.searchsorted(data.start, pos, side="right") - 1
            inside = (idx >= 0) & (pos < data.end[np.maximum(idx, 0)])
            idx, pos = idx[inside], pos[inside]
            idx, first = np.unique(idx, return_index=True)
            f = data.field_of(idx, pos[first])
            todo = np.equal(reason[idx], None)
            reason[idx[todo]] = text
            column[idx[todo]] = [names[k] if k < len(names) else None for k in f[todo]]

        mark(self.bad, f"bytes that are not valid {self.decoding.label}")
        if b"\x00" in self.buf:
            nul = np.flatnonzero(np.frombuffer(self.buf, dtype=np.uint8) == 0)
            mark(nul, "NUL byte: the value is damaged")
        self.mark_field_counts(data, reason)
        self.mark_long(data, names, reason, column)
        return reason, column

    def mark_field_counts(self, data: Units, reason: np.ndarray) -> None:
        wrong = (data.fields > self.ncols) | ((data.span >= 0) & (data.fields < self.ncols))
        if self.at_cut_end(data) and data.fields[-1] < self.ncols and pd.isna(reason[-1]):
            reason[-1] = (f"the file ends in the middle of this line: {data.fields[-1]} "
                          f"fields where the header has {self.ncols}")
        for i in np.flatnonzero(wrong & pd.isna(reason)):
            text = f"wrong number of fields: {data.fields[i]} fields where the header has " \
                   f"{self.ncols}"
            if data.span[i] >= 0:
                text += (f" (line split on its own: the quotes of the record starting on "
                         f"line {data.span[i]} are misplaced)")
            reason[i] = text

    def mark_long(self, data: Units, names: list[str], reason: np.ndarray,
                  column: np.ndarray) -> None:
        for i in np.flatnonzero(data.end - data.start > MAX_FIELD_BYTES):
            lo, hi = data.start[i], data.end[i]
            bounds = np.concatenate([[lo - 1], data.separators_in(lo, hi), [hi]])
            lengths = np.diff(bounds) - 1
            k = int(np.argmax(lengths))
            if lengths[k] > MAX_FIELD_BYTES and pd.isna(reason[i]):
                reason[i] = f"field longer than {MAX_FIELD_BYTES:,} bytes"
                column[i] = names[k] if k < len(names) else None

    def at_cut_end(self, units: Units) -> bool:
        """Whether the last of ``units`` is the file's last line, with no line break."""
        return bool(len(units)) and not self.ends_with_newline and \
            units.end[-1] >= self.text_end

    # --- notes on what is kept ----------------------------------------------------------

    def note_rows(self, kept: Units, names: list[str]) -> None:
        for i in np.flatnonzero((kept.span >= 0) & ~kept.quoted):
            self.notes.append((int(kept.line[i]), None, RAW_NOTE))
        for i in np.flatnonzero(kept.fields < self.ncols):
            k = int(kept.fields[i])
            missing = [n for n in names[k:] if n.strip()]
            if missing:
                self.notes.append((int(kept.line[i]), missing[0],
                                   f"{k} fields where the header has {self.ncols}: the "
                                   f"last {self.ncols - k} read as blank"))
        if self.at_cut_end(kept):
            self.notes.append((int(kept.line[-1]), None, CUT_NOTE))

    # --- parsing --------------------------------------------------------------------------

    def parse(self, units: Units) -> pd.DataFrame:
        """Rows of the given units, columns 0..ncols-1, in unit order."""
        if not len(units):
            return pd.DataFrame({i: pd.Series([], dtype=object) for i in range(self.ncols)})
        if units.quoted.all() or not units.quoted.any():
            return self.parse_group(units, bool(units.quoted[0]), last=True)
        parts = []
        for quoted in (True, False):
            sel = units.quoted == quoted
            df = self.parse_group(units.take(sel), quoted, last=not quoted)
            df.index = np.flatnonzero(sel)
            parts.append(df)
        return pd.concat(parts).sort_index().reset_index(drop=True)

    def parse_group(self, units: Units, quoted: bool, last: bool = False) -> pd.DataFrame:
        """Rows of the units, read with or without quoting (``last``: no later group
        needs the file's bytes)."""
        payload = _gather(self.buf, units.start, units.end)
        if last and self.on_disk is not None and payload.src is self.buf \
                and payload.hi == len(self.buf):
            # The records run to the end of the file: the parser reads them there, and
            # the text in memory (as large as the file) is let go before it does.
            payload = payload.on_disk(self.on_disk)
            self.buf = None
        df = self.parse_arrow(units, payload, quoted)
        if payload.src is None and not self.on_disk.unchanged():
            raise UnreadableFile(CHANGED)
        if df is not None and self.agrees(df, units, payload):
            return df
        if payload.src is None:  # the parser's result is not taken: read the text again
            self.buf = self.on_disk.text()
            payload = _Stretch(self.buf, payload.lo, payload.hi)
        try:
            df = pd.read_csv(
                io.BytesIO(payload.view()), sep=self.delim, header=None, names=range(self.ncols),
                dtype=object, keep_default_na=False, na_filter=False, skip_blank_lines=False,
                index_col=False, engine="c", quotechar='"', lineterminator="\n",
                quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE, encoding="utf-8")
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError):
            df = None
        if df is None or not self.agrees(df, units, payload):
            df = self.split_each(units, quoted)
        return df

    def parse_arrow(self, units: Units, payload: _Stretch, quoted: bool
                    ) -> pd.DataFrame | None:
        """The units parsed by pyarrow (multi-threaded), or None where it cannot serve.

        Used only where it reads exactly what the record splitter saw: every unit has the
        header's number of fields, and no carriage return or byte-order mark could make
        pyarrow split or trim differently. Its result is still checked by :meth:`agrees`.
        """
        if not len(units) or (units.fields != self.ncols).any() or payload.holds(b"\r") \
                or payload.starts_with(_BOM):
            return None
        names = [str(i) for i in range(self.ncols)]
        # Line breaks inside quoted values make pyarrow find its block boundaries one
        # byte at a time (several times slower); tell it only where a record spans lines.
        spans_lines = quoted and bool((units.last_line > units.line).any())
        source = payload.arrow_input()
        try:
            table = pacsv.read_csv(
                source,
                read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 22),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delim, quote_char='"' if quoted else False,
                    double_quote=True, escape_char=False, newlines_in_values=spans_lines,
                    ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.large_string()), strings_can_be_null=False,
                    quoted_strings_can_be_null=False, check_utf8=True))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        finally:
            if isinstance(source, pa.NativeFile):
                source.close()
        # The text stays in Arrow's buffers (Arrow-backed ``string``, never missing): the
        # later steps check and convert it there, or once per distinct value.
        return pd.DataFrame({i: arrow_strings(table.column(i)) for i in range(self.ncols)})

    def agrees(self, df: pd.DataFrame, units: Units, payload: _Stretch) -> bool:
        """Whether the parser returned one row per record, with the record's line breaks."""
        if len(df) != len(units) or df.shape[1] != self.ncols:
            return False
        if not (units.last_line > units.line).any() or not payload.holds(b'"'):
            return True  # no quoted line breaks: a merged or split row changes the count
        breaks = np.zeros(len(df), dtype=np.int64)
        for c in df.columns:
            arr = pa.array(df[c], from_pandas=True) if isinstance(df[c].dtype, pd.StringDtype) \
                else pa.array(df[c].to_numpy(dtype=object), type=pa.string(), from_pandas=True)
            breaks += pc.count_substring(arr, "\n").fill_null(0).to_numpy(zero_copy_only=False)
        return bool((breaks == units.last_line - units.line).all())

    def split_each(self, units: Units, quoted: bool) -> pd.DataFrame:
        rows = []
        for s, e in zip(units.start, units.end):
            f = split_fields(self.buf[s:e], quoted, self.delim)
            rows.append(f + [""] * (self.ncols - len(f)))
        return pd.DataFrame(rows, columns=range(self.ncols), dtype=object)




def arrow_strings(col: pa.ChunkedArray | pa.Array) -> pd.Series:
    """Arrow text as an Arrow-backed ``string`` column, without a Python string per row."""
    if isinstance(col, pa.Array):
        col = pa.chunked_array([col])
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = col.cast(pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(col), copy=False)


def _spans(units: Units) -> dict[int, int]:
    multi = units.last_line > units.line
    return {int(a): int(b) for a, b in zip(units.line[multi], units.last_line[multi])}


class _Stretch:
    """Bytes ``src[lo:hi]``: the records handed to a parser, where they lie (in memory,
    or where ``src`` is None, in a file at ``lo + offset``)."""

    def __init__(self, src: bytes | None, lo: int, hi: int,
                 found: dict[bytes, bool] | None = None, disk: _OnDisk | None = None) -> None:
        self.src, self.lo, self.hi = src, lo, hi
        self.found = found if found is not None else {}
        self.disk = disk

    def view(self) -> memoryview:
        return memoryview(self.src)[self.lo:self.hi]

    def holds(self, needle: bytes) -> bool:
        if needle not in self.found:
            self.found[needle] = self.src.find(needle, self.lo, self.hi) >= 0
        return self.found[needle]

    def starts_with(self, prefix: bytes) -> bool:
        key = b"^" + prefix
        if key not in self.found:
            self.found[key] = self.src.startswith(prefix, self.lo, self.hi)
        return self.found[key]

    def on_disk(self, disk: _OnDisk) -> _Stretch:
        """The same stretch, read from the file (what the checks ask is found first)."""
        for needle in _ASKED:
            self.holds(needle)
        self.starts_with(_BOM)
        return _Stretch(None, self.lo, self.hi, self.found, disk)

    def arrow_input(self) -> pa.Buffer | pa.NativeFile:
        if self.src is not None:
            return pa.py_buffer(self.view())
        f = pa.OSFile(str(self.disk.path))
        f.seek(self.disk.offset + self.lo)  # the stretch runs to the file's end
        return f


_BOM = b"\xef\xbb\xbf"
#: What the parser's checks ask of the records' bytes.
_ASKED = (b"\r", b'"')


def _gather(buf: bytes, start: np.ndarray, end: np.ndarray) -> _Stretch:
    """The units' bytes, each followed by a line feed (line breaks become ``\\n``).

    Consecutive records with line-feed endings (the common case) are a stretch of
    ``buf`` itself, not a copy: the parser reads them where they lie.
    """
    if not len(start):
        return _Stretch(b"", 0, 0)
    b = np.frombuffer(buf, dtype=np.uint8)
    n = len(b)
    if (start[1:] == end[:-1] + 1).all() and (b[end[:-1]] == LF).all():
        if end[-1] < n and b[end[-1]] == LF:
            return _Stretch(buf, int(start[0]), int(end[-1]) + 1)
        out = buf[start[0]:end[-1]] + b"\n"
        return _Stretch(out, 0, len(out))
    mark = np.zeros(n + 1, dtype=np.int8)
    mark[start] += 1
    mark[end] -= 1
    keep = np.cumsum(mark[:-1], dtype=np.int8).astype(bool)
    term = end[end < n]
    keep[term] = True
    src = b
    if (b[term] != LF).any():
        src = b.copy()
        src[term] = LF
    out = src[keep].tobytes()
    out = out if end[-1] < n else out + b"\n"
    return _Stretch(out, 0, len(out))


def _looks_binary(buf: bytes, bad: np.ndarray) -> bool:
    """Whether the start of a file is binary: many control or undecodable bytes."""
    sample = np.frombuffer(buf[:_SAMPLE], dtype=np.uint8)
    if not len(sample):
        return False
    control = (sample < 32) & ~np.isin(sample, (9, 10, 12, 13))
    odd = int(control.sum()) + int((bad < len(sample)).sum())
    return odd >= 32 and odd > BINARY_SHARE * len(sample)  # a few stray bytes are damage


