"""Splitting delimited text into records, independently of any CSV parser.

Everything here works on the bytes with numpy, so it stays fast on large files: the
positions of line feeds, quotes and delimiters are found once, and records, fields and
line numbers follow from them. The parser (pandas today) then only reads records this
module has vouched for, and :mod:`harkit.io.text` checks that it returns exactly those.

Quotes follow the rules of the common CSV readers: a quote opens a quoted field only at
the start of a field; inside it, ``""`` is a quote and a quote followed by a separator or
a line end closes it. A quote inside an unquoted field is an ordinary character.
Quoting goes wrong in three ways, and each makes the record *damaged*:

* a closing quote followed by something other than a separator or line end;
* a quote that opens and never closes (it is then taken as an ordinary character, so the
  rest of the file is split normally);
* a quoted field spanning lines that does not look like text: the record has the wrong
  number of fields, a line inside the quotes has as many separators as a record, or every
  line of the record has exactly a record's separators (whole records were swallowed).

The physical lines of a damaged record are split again one by one, each with its own
quotes (or, when those are themselves unbalanced, without quoting). No line is ever
swallowed into another record's field.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harkit.io._bytescan import (
    count_parts,
    lines_and_fields,
    lines_separators_quotes,
    locate,
    positions_between,
    separators_between,
    strip_cr,
)

LF, CR, QUOTE, NUL = 10, 13, 34, 0
_I64 = np.int64


@dataclass
class Units:
    """The records of a file (or, in damaged stretches, its physical lines).

    Attributes
    ----------
    start, end : numpy.ndarray
        Byte range of each unit (``end`` excludes the line break).
    line, last_line : numpy.ndarray
        First and last physical line (1-based).
    quoted : numpy.ndarray
        Whether the unit is read with quoting (False: quote characters are text).
    span : numpy.ndarray
        -1, or the first line of the damaged record this line was split from.
    fields : numpy.ndarray
        Number of fields.
    blank : numpy.ndarray
        Empty, or separators only: not a row.
    separators : numpy.ndarray or None
        Sorted positions of every delimiter that separates two fields; None where they
        are not kept (then every ``delim`` byte of ``source`` separates, except those at
        ``enclosed``).
    n_lines : int
        Physical lines in the file.
    ends_with_newline : bool
        Whether the last line has a line break.
    """

    start: np.ndarray
    end: np.ndarray
    line: np.ndarray
    last_line: np.ndarray
    quoted: np.ndarray
    span: np.ndarray
    fields: np.ndarray
    blank: np.ndarray
    separators: np.ndarray | None
    n_lines: int
    ends_with_newline: bool
    #: The file's bytes and separator, where ``separators`` is None: every separator
    #: byte separates but those in ``enclosed`` (sorted positions: inside quotes), and
    #: positions are found when asked for.
    source: np.ndarray | None = None
    delim: int = 0
    enclosed: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.start)

    def field_of(self, unit: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """0-based field of byte ``pos`` inside unit ``unit``."""
        s = self.separators
        if s is None:
            out = separators_between(self.source, self.delim, self.start[unit], pos)
            e = self.enclosed
            if e is not None and len(e):
                out -= np.searchsorted(e, pos) - np.searchsorted(e, self.start[unit])
            return out
        return np.searchsorted(s, pos) - np.searchsorted(s, self.start[unit])

    def separators_in(self, lo: int, hi: int) -> np.ndarray:
        """Positions of the separators in bytes ``lo`` to ``hi``."""
        s = self.separators
        if s is None:
            out = np.flatnonzero(self.source[lo:hi] == self.delim).astype(_I64) + lo
            e = self.enclosed
            if e is not None and len(e):
                out = out[~np.isin(out, e)]
            return out
        return s[(s >= lo) & (s < hi)]

    def take(self, keep: np.ndarray) -> Units:
        """The units where ``keep`` is true (separators are kept whole; all of them
        kept: these units, not a copy; an unbroken run of them: views, not copies)."""
        if keep.dtype == bool and len(keep) == len(self.start):
            n = int(np.count_nonzero(keep))
            first = int(np.argmax(keep)) if n else 0
            if n == len(keep):
                return self
            if n and keep[first:first + n].all():
                # One unbroken run (the records after the header, typically): views.
                keep = slice(first, first + n)
        return Units(self.start[keep], self.end[keep], self.line[keep], self.last_line[keep],
                     self.quoted[keep], self.span[keep], self.fields[keep], self.blank[keep],
                     self.separators, self.n_lines, self.ends_with_newline, self.source,
                     self.delim, self.enclosed)


@dataclass
class _Quotes:
    """Where each quote stands: what is before and after it."""

    pos: np.ndarray
    field_start: np.ndarray  # preceded by a separator, a line feed or the file start
    after_quote: np.ndarray  # immediately preceded by another quote
    bad_close: np.ndarray  # followed by something other than a separator, line end, quote


def _quote_context(b: np.ndarray, delim: int, q: np.ndarray | None = None) -> _Quotes:
    if q is None:
        q = np.flatnonzero(b == QUOTE).astype(_I64, copy=False)
    n = len(b)
    if not len(q):
        empty = np.zeros(0, dtype=bool)
        return _Quotes(q, empty, empty, empty)
    prev = b[np.maximum(q - 1, 0)]
    field_start = (q == 0) | (prev == delim) | (prev == LF)
    after_quote = np.zeros(len(q), dtype=bool)
    after_quote[1:] = q[1:] == q[:-1] + 1
    eof = q + 1 >= n
    nb = b[np.minimum(q + 1, n - 1)]
    nb2 = b[np.minimum(q + 2, n - 1)]
    ends = (nb == delim) | (nb == LF) | ((nb == CR) & ((q + 2 >= n) | (nb2 == LF)))
    bad_close = ~eof & ~ends & (nb != QUOTE)
    return _Quotes(q, field_start, after_quote, bad_close)


def classify_quotes(b: np.ndarray, delim: int, qc: _Quotes | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Which quotes open or close a quoted field, and where quoting went wrong.

    Runs of well-formed quoting are checked at once (quote *k* of a run opens when *k* is
    even and closes when odd); only the quotes that break the rule are stepped through.

    Parameters
    ----------
    b : numpy.ndarray
        The bytes (UTF-8).
    delim : int
        The separator byte.
    qc : _Quotes, optional
        The quotes, if already located.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Sorted positions where the quoted state changes (an escaped ``""`` counts as a
        close and an open), and positions of damage (misplaced closing quotes, and
        quotes that never close).
    """
    qc = qc if qc is not None else _quote_context(b, delim)
    q, nq = qc.pos, len(qc.pos)
    if not nq:
        return q, q
    bad_open = ~(qc.field_start | qc.after_quote)
    odd = (np.arange(nq) % 2).astype(bool)
    # Violations for a run starting at an even (resp. odd) index.
    viol = (np.flatnonzero(np.where(~odd, bad_open, qc.bad_close)),
            np.flatnonzero(np.where(odd, bad_open, qc.bad_close)))
    changes: list[np.ndarray] = []
    damage: list[int] = []
    i = 0
    while i < nq:
        if not qc.field_start[i]:
            i += 1  # a quote inside an unquoted field is text
            continue
        cands = viol[i % 2]
        k = int(np.searchsorted(cands, i + 1))
        j = int(cands[k]) if k < len(cands) else nq
        if j == nq:
            if (nq - i) % 2:
                u = _opening_of_unterminated(q, i, nq)
                changes.append(q[i:u])
                damage.append(int(q[u]))
            else:
                changes.append(q[i:nq])
            break
        if (j - i) % 2 == 0:  # should open, but stands inside a field: text
            changes.append(q[i:j])
        else:  # closes, but the field goes on: the data are damaged here
            changes.append(q[i:j + 1])
            damage.append(int(q[j]))
        i = j + 1
    out = np.concatenate(changes) if changes else np.zeros(0, dtype=_I64)
    return out, np.asarray(damage, dtype=_I64)


def _opening_of_unterminated(q: np.ndarray, i: int, nq: int) -> int:
    # Step back over escaped quotes ("") to the quote that opened the field.
    u = nq - 1
    while u - 2 >= i and q[u - 1] == q[u] - 1:
        u -= 2
    return u


def _in_quotes(changes: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Which of the sorted positions ``pos`` lie inside quotes."""
    if not len(changes) or not len(pos):
        return np.zeros(len(pos), dtype=bool)
    # Mark the stretch of ``pos`` inside each quoted interval: linear in len(pos).
    opens, closes = changes[0::2], changes[1::2]
    lo = np.searchsorted(pos, opens, side="right")
    hi = np.searchsorted(pos, closes)
    if len(closes) < len(opens):
        hi = np.append(hi, len(pos))
    some = hi > lo  # intervals holding any position; their bounds are then distinct
    mark = np.zeros(len(pos) + 1, dtype=np.int8)
    mark[lo[some]] = 1
    mark[hi[some]] -= 1
    return np.cumsum(mark[:-1], dtype=np.int8) > 0


def _strip_cr(b: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """``end`` less one where the range ends with a carriage return (in place)."""
    return strip_cr(b, start, end)


def _line_ranges(b: np.ndarray, nl: np.ndarray, lines0: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Byte range of 0-based physical lines (without their line break)."""
    start = np.zeros(len(lines0), dtype=_I64)
    end = np.full(len(lines0), len(b), dtype=_I64)
    if len(nl):
        after = lines0 > 0
        start[after] = nl[lines0[after] - 1] + 1
        inside = lines0 < len(nl)
        end[inside] = nl[lines0[inside]]
    return start, _strip_cr(b, start, end)


def _count_in(sorted_pos: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    return np.searchsorted(sorted_pos, end) - np.searchsorted(sorted_pos, start)


@dataclass
class _Scan:
    """The located bytes of a file: line feeds, separators, quote changes, damage."""

    b: np.ndarray
    delim: int
    nl: np.ndarray
    delims: np.ndarray
    quotes: _Quotes
    changes: np.ndarray
    damage: np.ndarray

    def __post_init__(self) -> None:
        self.nl_quoted = _in_quotes(self.changes, self.nl)
        self.delims_quoted = _in_quotes(self.changes, self.delims)
        self.separating = self.delims[~self.delims_quoted] if self.delims_quoted.any() \
            else self.delims

    def quoted_delims(self) -> np.ndarray:
        """Positions of the separator bytes inside quotes."""
        return self.delims[self.delims_quoted]

    def fields(self, end: np.ndarray, line: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Fields of each record (records ending at ``end``, from the file start on)."""
        # Records touch (only a line break between them): count separators once, by the ends.
        return np.diff(np.searchsorted(self.separating, end), prepend=0) + 1

    def delims_on(self, lines0: np.ndarray) -> np.ndarray:
        """Separator bytes on each of the 0-based physical lines (quoted or not)."""
        return _count_in(self.delims, *_line_ranges(self.b, self.nl, lines0))

    def delims_within(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Separator bytes in the ranges [lo, hi), and the range of each."""
        di, owner = _within(self.delims, lo, hi)
        return self.delims[di], owner

    def kept_separators(self, start: np.ndarray, good: np.ndarray, local: np.ndarray,
                        local_sep: np.ndarray) -> dict:
        """Units' separator fields: the ``good`` records' separators, and of the separator
        bytes ``local`` on split lines those where ``local_sep``."""
        seps = self.separating
        if not good.all():
            seps = seps[good[np.searchsorted(start, seps, side="right") - 1]]
        if len(local):
            seps = np.sort(np.concatenate([seps, local[local_sep]]))
        return {"separators": seps}


@dataclass
class _CompactScan:
    """The located bytes of a file, without the position of every separator.

    What :class:`_Scan` finds by the separators' positions follows here from the
    separators counted on each line and the positions of the few inside quotes, so that
    the largest array of the general path is never made. :func:`_split_quoted` is the
    reference it is held to.
    """

    b: np.ndarray
    delim: int
    nl: np.ndarray
    per_line: np.ndarray  # separator bytes on each line, the text after the last LF too
    quotes: _Quotes
    changes: np.ndarray
    damage: np.ndarray

    def __post_init__(self) -> None:
        self.nl_quoted = _in_quotes(self.changes, self.nl)
        # Quoted stretches lie strictly between an opening and a closing quote.
        opens, closes = self.changes[0::2], self.changes[1::2]
        if len(closes) < len(opens):
            closes = np.append(closes, len(self.b))
        self.enclosed = positions_between(self.b, self.delim, opens + 1, closes)[0]

    def quoted_delims(self) -> np.ndarray:
        return self.enclosed

    def fields(self, end: np.ndarray, line: np.ndarray, last: np.ndarray) -> np.ndarray:
        # Separator bytes on the record's lines, less those inside its quotes.
        if self.nl_quoted.any():
            before = np.concatenate([[0], np.cumsum(self.per_line)])
            out = before[last] - before[line - 1] + 1
        else:  # every record is one line, the i-th record the i-th line
            out = self.per_line[:len(line)] + 1
        # Each enclosed separator lies inside a record: the first one ending after it.
        np.subtract.at(out, np.searchsorted(end, self.enclosed), 1)
        return out

    def delims_on(self, lines0: np.ndarray) -> np.ndarray:
        return self.per_line[lines0]

    def delims_within(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return positions_between(self.b, self.delim, lo, hi)

    def kept_separators(self, start: np.ndarray, good: np.ndarray, local: np.ndarray,
                        local_sep: np.ndarray) -> dict:
        # Every separator byte of the units separates but those enclosed by quotes: the
        # quoted ones of the good records, and those of split lines not ``local_sep``.
        enclosed = self.enclosed
        if not good.all():
            enclosed = enclosed[good[np.searchsorted(start, enclosed, side="right") - 1]]
        if len(local):
            enclosed = np.sort(np.concatenate([enclosed, local[~local_sep]]))
        return {"separators": None, "source": self.b, "delim": self.delim,
                "enclosed": enclosed}


#: Either way of locating the bytes (the steps below ask only what both can tell).
_Located = _Scan | _CompactScan


def _records(s: _Located) -> tuple[np.ndarray, ...]:
    """Records split at line feeds outside quotes: byte ranges and first and last lines."""
    n = len(s.b)
    # Index in ``nl`` of each record's line feed (every one, where none is quoted).
    at = np.flatnonzero(~s.nl_quoted) if s.nl_quoted.any() else None
    term = s.nl if at is None else s.nl[at]
    k = len(term)
    # Each array is written once, in place (no temporary copies of file-sized arrays).
    start, end = np.empty(k + 1, dtype=_I64), np.empty(k + 1, dtype=_I64)
    line, last = np.empty(k + 1, dtype=_I64), np.empty(k + 1, dtype=_I64)
    start[0], end[k], line[0], last[k] = 0, n, 1, len(s.nl) + 1
    np.add(term, 1, out=start[1:])
    end[:k] = term
    del term
    if at is None:
        line[1:] = np.arange(2, k + 2, dtype=_I64)
        last[:k] = np.arange(1, k + 1, dtype=_I64)
    else:
        np.add(at, 2, out=line[1:])
        np.add(at, 1, out=last[:k])
    if start[-1] >= n:  # nothing after the last line feed
        start, end, line, last = start[:-1], end[:-1], line[:-1], last[:-1]
    return start, _strip_cr(s.b, start, end), line, last


def _suspicious(s: _Located, start: np.ndarray, end: np.ndarray, ncols: int) -> np.ndarray:
    """Records whose quoted text holds a line with a record's worth of separators."""
    dq = s.quoted_delims()
    out = np.zeros(len(start), dtype=bool)
    if not len(dq):
        return out
    line_of = np.searchsorted(s.nl, dq)  # 0-based line of each quoted separator
    per_line = np.bincount(line_of, minlength=len(s.nl) + 1)
    # Lines that begin inside quotes: those after a quoted line feed.
    qnl = np.flatnonzero(s.nl_quoted)
    cont = qnl + 1
    hit = cont[per_line[cont] >= max(ncols - 1, 2)]
    if len(hit):
        rec = np.searchsorted(start, s.nl[hit - 1], side="right") - 1
        out[rec] = True
    return out


def _within(pos: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices into sorted ``pos`` of those inside the ranges [lo, hi), and their range."""
    a = np.searchsorted(pos, lo)
    cnt = np.searchsorted(pos, hi) - a
    owner = np.repeat(np.arange(len(lo)), cnt)
    offset = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    return np.repeat(a, cnt) + offset, owner


def _lines_like_records(s: _Located, line: np.ndarray, last: np.ndarray, multi: np.ndarray,
                        ncols: int) -> np.ndarray:
    """Multi-line records every line of which has exactly a record's separators."""
    out = np.zeros(len(line), dtype=bool)
    idx = np.flatnonzero(multi)
    if ncols < 3 or not len(idx):
        return out
    n = last[idx] - line[idx] + 1
    lines0 = np.repeat(line[idx] - 1, n) + np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    per_line = s.delims_on(lines0)
    first = np.cumsum(n) - n
    out[idx] = (np.minimum.reduceat(per_line, first) == ncols - 1) & \
        (np.maximum.reduceat(per_line, first) == ncols - 1)
    return out


def _local_lines(s: _Located, lines0: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                            np.ndarray]:
    """Split physical lines on their own: (start, end, quoted, the separator bytes on
    them, which of those separate, and the line of each)."""
    ls, le = _line_ranges(s.b, s.nl, lines0)
    qc = s.quotes
    q = qc.pos
    first = np.searchsorted(q, ls)
    count = np.searchsorted(q, le) - first
    quoted = count % 2 == 0
    qi, li = _within(q, ls, le)
    if len(qi):
        k = qi - first[li]
        opener = k % 2 == 0
        ok_open = qc.field_start[qi] | ((k > 0) & qc.after_quote[qi])
        bad = np.where(opener, ~ok_open, qc.bad_close[qi])
        quoted[np.unique(li[bad])] = False
    d, d_line = s.delims_within(ls, le)
    local = np.searchsorted(q, d) - first[d_line]
    sep = ~quoted[d_line] | (local % 2 == 0)
    return ls, le, quoted, d, sep, d_line


def split_units(buf: bytes, delim: str) -> Units:
    """Split delimited text into units (records; physical lines where damaged).

    Parameters
    ----------
    buf : bytes
        UTF-8 text (no byte-order mark).
    delim : str
        The one-character separator.

    Returns
    -------
    Units
        Every non-empty record or line, in file order; the first non-blank one is the
        header.
    """
    b = np.frombuffer(buf, dtype=np.uint8)
    d = ord(delim)
    parts = count_parts(b, d)
    if not parts[:, 4].any():  # no quote
        return _narrow(_split_unquoted(b, d, parts), len(b))
    return _narrow(_split_compact(b, d, parts), len(b))


def _narrow(units: Units, n_bytes: int) -> Units:
    """The units' positions, lines and counts as ``int32`` where the text allows (under
    2 GiB): half the memory while the parser runs."""
    if n_bytes < np.iinfo(np.int32).max:
        for name in ("start", "end", "line", "last_line", "span", "fields"):
            setattr(units, name, getattr(units, name).astype(np.int32))
    return units


def _quotes_read(b: np.ndarray, d: int, quotes: np.ndarray
                 ) -> tuple[_Quotes, np.ndarray, np.ndarray]:
    none = np.zeros(0, dtype=_I64)
    qc = _quote_context(b, d, quotes) if len(quotes) else _Quotes(none, *[none.astype(bool)] * 3)
    changes, damage = classify_quotes(b, d, qc) if len(qc.pos) else (none, none)
    return qc, changes, damage


def _split_quoted(b: np.ndarray, d: int, counts: tuple[int, int, int] | None = None
                  ) -> Units:
    """:func:`split_units` for any text (the general path, quotes read, the position of
    every separator kept: the reference for :func:`_split_compact`)."""
    nl, delims, quotes = locate(b, d, counts)
    return _split_scanned(_Scan(b, d, nl, delims, *_quotes_read(b, d, quotes)))


def _split_compact(b: np.ndarray, d: int, parts: np.ndarray | None = None) -> Units:
    """:func:`split_units` for any text, keeping separator positions only where quotes
    enclose them (equal to :func:`_split_quoted`, in less memory and time)."""
    nl, per_line, quotes = lines_separators_quotes(b, d, parts)
    return _split_scanned(_CompactScan(b, d, nl, per_line, *_quotes_read(b, d, quotes)))


def _split_scanned(s: _Located) -> Units:
    """Records, fields and damage from the located bytes."""
    start, end, line, last = _records(s)
    fields = s.fields(end, line, last)
    damage = s.damage
    blank = (end - start) == fields - 1  # separators only (a blank record has no quotes)
    damaged = np.zeros(len(start), dtype=bool)
    if len(damage):
        damaged[np.searchsorted(start, damage, side="right") - 1] = True
    multi = last > line
    ncols = _header_fields(s, start, end, line, last, fields, blank, damaged)
    damaged |= multi & (fields != ncols)
    damaged |= multi & _suspicious(s, start, end, ncols)
    damaged |= _lines_like_records(s, line, last, multi, ncols)
    units = _assemble(s, start, end, line, last, fields, blank, damaged)
    units.n_lines, units.ends_with_newline = _line_totals(s.b, s.nl)
    return units


def _split_unquoted(b: np.ndarray, d: int, parts: np.ndarray | None = None) -> Units:
    """:func:`split_units` for text without quotes: every line is a record, and every
    separator byte separates (no position of one is kept)."""
    nl, per_line = lines_and_fields(b, d, parts)
    none = np.zeros(0, dtype=_I64)
    s = _Scan(b, d, nl, none, _Quotes(none, *[none.astype(bool)] * 3), none, none)
    start, end, line, last = _records(s)
    fields = per_line[line - 1]
    blank = (end - start) == fields - 1
    return Units(start, end, line, last, np.ones(len(start), dtype=bool),
                 np.full(len(start), -1, dtype=_I64), fields, blank, None,
                 *_line_totals(b, nl), source=b, delim=d)


def _line_totals(b: np.ndarray, nl: np.ndarray) -> tuple[int, bool]:
    """Physical lines of the text (a last line without a line break counts), and whether
    it ends with a line break."""
    ends_with_newline = len(b) == 0 or b[-1] == LF
    return len(nl) + int(not ends_with_newline), ends_with_newline


def _header_fields(s: _Located, start: np.ndarray, end: np.ndarray, line: np.ndarray,
                   last: np.ndarray, fields: np.ndarray, blank: np.ndarray,
                   damaged: np.ndarray) -> int:
    """Fields of the header (marked damaged, and split by line, unless it is sound).

    A header may span lines (a quoted name with a line break) only if it has as many
    fields as the row after it and passes the same checks as a multi-line record.
    """
    nonblank = np.flatnonzero(~blank)
    if not len(nonblank):
        return 0
    h = nonblank[0]
    if not damaged[h] and last[h] > line[h]:
        n = int(fields[h])
        one = np.zeros(len(start), dtype=bool)
        one[h] = True
        damaged[h] = (len(nonblank) > 1 and fields[nonblank[1]] != n) or bool(
            _suspicious(s, start, end, n)[h] or _lines_like_records(s, line, last, one, n)[h])
    if damaged[h]:
        _, _, _, _, sep, _ = _local_lines(s, np.array([line[h] - 1], dtype=_I64))
        return int(sep.sum() + 1)
    return int(fields[h])


def _assemble(s: _Located, start: np.ndarray, end: np.ndarray, line: np.ndarray,
              last: np.ndarray, fields: np.ndarray, blank: np.ndarray, damaged: np.ndarray
              ) -> Units:
    """Whole records where sound; the lines of damaged records split one by one."""
    good = ~damaged
    if not damaged.any():
        none = np.zeros(0, dtype=_I64)
        return Units(start, end, line, last, np.ones(len(start), dtype=bool),
                     np.full(len(start), -1, dtype=_I64), fields, blank, n_lines=0,
                     ends_with_newline=True,
                     **s.kept_separators(start, good, none, none.astype(bool)))
    bad = np.flatnonzero(damaged)
    lines0 = np.concatenate([np.arange(line[r] - 1, last[r], dtype=_I64) for r in bad])
    spans = np.concatenate([np.full(last[r] - line[r] + 1, line[r], dtype=_I64) for r in bad])
    ls, le, lquoted, ld, lsep, ld_line = _local_lines(s, lines0)
    lfields = np.bincount(ld_line[lsep], minlength=len(ls)) + 1
    lblank = (le - ls) == s.delims_on(lines0)
    cat = np.concatenate
    order = np.argsort(cat([start[good], ls]), kind="stable")
    return Units(
        start=cat([start[good], ls])[order], end=cat([end[good], le])[order],
        line=cat([line[good], lines0 + 1])[order], last_line=cat([last[good], lines0 + 1])[order],
        quoted=cat([np.ones(good.sum(), dtype=bool), lquoted])[order],
        span=cat([np.full(good.sum(), -1, dtype=_I64), spans])[order],
        fields=cat([fields[good], lfields])[order], blank=cat([blank[good], lblank])[order],
        n_lines=0, ends_with_newline=True, **s.kept_separators(start, good, ld, lsep))


def split_fields(raw: bytes, quoted: bool, delim: str) -> list[str]:
    """Split one unit into its fields (the reference for a single record).

    Parameters
    ----------
    raw : bytes
        The unit's bytes (UTF-8, no line break at the end).
    quoted : bool
        Read quotes (False: quote characters are text).
    delim : str
        The separator.

    Returns
    -------
    list of str
    """
    text = raw.decode("utf-8")
    if not quoted:
        return text.split(delim)
    out, field, i, n = [], [], 0, len(text)
    at_start, in_q = True, False
    while i < n:
        c = text[i]
        if in_q:
            if c == '"' and i + 1 < n and text[i + 1] == '"':
                field.append('"')
                i += 1
            elif c == '"':
                in_q = False
            else:
                field.append(c)
        elif c == delim:
            out.append("".join(field))
            field, at_start = [], True
            i += 1
            continue
        elif c == '"' and at_start:
            in_q = True
        else:
            field.append(c)
        at_start = False
        i += 1
    out.append("".join(field))
    return out
