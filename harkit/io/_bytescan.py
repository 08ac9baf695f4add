"""Compiled location of line feeds, separators and quotes in a file's bytes (numba).

One pass counts each kind and a second writes their positions, instead of a comparison
over the whole file and a search of its result for each kind. Large files are counted
and written in parts, one per thread (the compiled loops release the interpreter lock).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

_LF, _CR, _QUOTE = 10, 13, 34
#: Threads for the passes over a large file, and the smallest part worth a thread.
THREADS = 2
PART_BYTES = 1 << 24


@numba.njit(cache=True, nogil=True)
def _count(b: np.ndarray, delim: int) -> tuple[int, int, int]:
    # Without branches, so that the compiler can vectorise the loop.
    n_lf = n_delim = n_quote = 0
    for x in b:
        n_lf += x == _LF
        n_delim += x == delim
        n_quote += x == _QUOTE
    return n_lf, n_delim, n_quote


@numba.njit(cache=True, nogil=True)
def _fill(b: np.ndarray, delim: int, lf: np.ndarray, sep: np.ndarray,
          quote: np.ndarray) -> None:
    # Every position is written to each output and kept only where it matches (no
    # branch to mispredict); each output has one spare slot at its end for that.
    i_lf = i_delim = i_quote = 0
    for i in range(len(b)):
        x = b[i]
        lf[i_lf] = i
        i_lf += x == _LF
        sep[i_delim] = i
        i_delim += x == delim
        quote[i_quote] = i
        i_quote += x == _QUOTE


def locate(b: np.ndarray, delim: int, counts: tuple[int, int, int] | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted positions of every line feed, ``delim`` byte and double quote in ``b``.

    Parameters
    ----------
    b : numpy.ndarray
        The bytes (``uint8``).
    delim : int
        The separator byte (neither a line feed nor a quote).
    counts : tuple of int, optional
        Line feeds, separators and quotes in ``b``, when :func:`count` has told them.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Line feeds, separators and quotes, each as ``int64`` positions.
    """
    if delim in (_LF, _QUOTE):
        raise ValueError(f"the separator cannot be byte {delim}")
    n_lf, n_delim, n_quote = counts if counts is not None else _count(b, delim)
    lf = np.empty(n_lf + 1, dtype=np.int64)
    sep = np.empty(n_delim + 1, dtype=np.int64)
    quote = np.empty(n_quote + 1, dtype=np.int64)
    _fill(b, delim, lf, sep, quote)
    return lf[:n_lf], sep[:n_delim], quote[:n_quote]


@numba.njit(cache=True, nogil=True)
def _count_between(b: np.ndarray, delim: int, lo: np.ndarray, hi: np.ndarray,
                   out: np.ndarray) -> None:
    for k in range(len(lo)):
        n = 0
        for i in range(lo[k], hi[k]):
            n += b[i] == delim
        out[k] = n


@numba.njit(cache=True, nogil=True)
def _fill_lines_quotes(b: np.ndarray, lo: int, hi: int, delim: int, lf: np.ndarray,
                       per_line: np.ndarray, quote: np.ndarray, line: int, i_quote: int
                       ) -> int:
    # Bytes lo..hi, whose first line feed is number ``line`` and first quote ``i_quote``.
    # The separators before the part's first line feed are counted from the part start,
    # and those after its last returned: the caller adds them across parts.
    n = 0
    for i in range(lo, hi):
        x = b[i]
        if x == _LF:
            lf[line] = i
            per_line[line] = n
            line += 1
            n = 0
        elif x == delim:
            n += 1
        elif x == _QUOTE:
            quote[i_quote] = i
            i_quote += 1
    return n


@numba.njit(cache=True, nogil=True)
def _fill_between(b: np.ndarray, byte: int, lo: np.ndarray, hi: np.ndarray,
                  pos: np.ndarray, owner: np.ndarray) -> int:
    # With ``pos`` and ``owner`` of length 0 it only counts.
    k = 0
    room = len(pos)
    for r in range(len(lo)):
        for i in range(lo[r], hi[r]):
            if b[i] == byte:
                if room:
                    pos[k] = i
                    owner[k] = r
                k += 1
    return k


@numba.njit(cache=True, nogil=True)
def _strip_cr(b: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
    for k in range(len(end)):
        if end[k] > start[k] and b[end[k] - 1] == _CR:
            end[k] -= 1


def strip_cr(b: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """``end`` (``int64``, changed in place) less one where ``b[start:end]`` ends with a
    carriage return."""
    end = np.asarray(end, dtype=np.int64)
    _strip_cr(b, np.asarray(start, dtype=np.int64), end)
    return end


def _in_parts(job, parts: list) -> list:
    if len(parts) == 1:
        return [job(parts[0])]
    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        return list(pool.map(job, parts))


def count_parts(b: np.ndarray, delim: int) -> np.ndarray:
    """Line feeds, ``delim`` bytes and double quotes in each part of ``b``.

    Returns
    -------
    numpy.ndarray
        One row per part (one per thread; a small file is one part): first and last
        byte (exclusive), line feeds, separators, quotes.
    """
    k = max(1, min(THREADS, len(b) // PART_BYTES))
    bounds = np.linspace(0, len(b), k + 1).astype(np.int64)
    parts = [(int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:])]
    counts = _in_parts(lambda p: _count(b[p[0]:p[1]], delim), parts)
    return np.array([[lo, hi, *c] for (lo, hi), c in zip(parts, counts)], dtype=np.int64)


def count(b: np.ndarray, delim: int) -> tuple[int, int, int]:
    """Line feeds, ``delim`` bytes and double quotes in ``b`` (one compiled pass)."""
    n_lf, n_delim, n_quote = count_parts(b, delim)[:, 2:].sum(axis=0)
    return int(n_lf), int(n_delim), int(n_quote)


def _lines(b: np.ndarray, delim: int, parts: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Line feeds, separators on each line, quotes: each part written by a thread."""
    n_lf, n_quote = int(parts[:, 2].sum()), int(parts[:, 4].sum())
    lf = np.empty(n_lf, dtype=np.int64)
    per_line = np.empty(n_lf + 1, dtype=np.int64)
    quote = np.empty(n_quote, dtype=np.int64)
    first_lf = np.cumsum(parts[:, 2]) - parts[:, 2]
    first_quote = np.cumsum(parts[:, 4]) - parts[:, 4]
    rows = list(range(len(parts)))
    tails = _in_parts(lambda r: _fill_lines_quotes(
        b, int(parts[r, 0]), int(parts[r, 1]), delim, lf, per_line, quote,
        int(first_lf[r]), int(first_quote[r])), rows)
    # A line running across parts: its separators in the earlier parts join its count.
    carry = 0
    for r in rows:
        if parts[r, 2]:
            per_line[first_lf[r]] += carry
            carry = tails[r]
        else:
            carry += tails[r]
    per_line[n_lf] = carry
    return lf, per_line, quote


def lines_and_fields(b: np.ndarray, delim: int, parts: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Line feeds of text without quotes, and the fields of each line (one pass each).

    Without quotes every ``delim`` byte separates two fields, so a line's fields are its
    separators plus one, and no separator position needs to be kept.

    Parameters
    ----------
    b : numpy.ndarray
        The bytes (``uint8``), holding no double quote.
    delim : int
        The separator byte.
    parts : numpy.ndarray, optional
        :func:`count_parts` of ``b``, when already counted.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Positions of the line feeds (``int64``), and the fields of each line, the text
        after the last line feed included (``len(line feeds) + 1`` values).
    """
    lf, fields, _ = _lines(b, delim, count_parts(b, delim) if parts is None else parts)
    fields += 1
    return lf, fields


def separators_between(b: np.ndarray, delim: int, lo: np.ndarray, hi: np.ndarray
                       ) -> np.ndarray:
    """How many ``delim`` bytes lie in each range ``b[lo:hi]``."""
    out = np.empty(len(lo), dtype=np.int64)
    _count_between(b, delim, np.asarray(lo, dtype=np.int64), np.asarray(hi, dtype=np.int64),
                   out)
    return out


def lines_separators_quotes(b: np.ndarray, delim: int, parts: np.ndarray | None = None
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Line feeds, the ``delim`` bytes on each line, and the double quotes (one pass).

    No separator position is kept (in most files they are the most frequent byte looked
    for): the few that quotes enclose are found afterwards with :func:`positions_between`.

    Parameters
    ----------
    b : numpy.ndarray
        The bytes (``uint8``).
    delim : int
        The separator byte (neither a line feed nor a quote).
    parts : numpy.ndarray, optional
        :func:`count_parts` of ``b``, when already counted.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Positions of the line feeds (``int64``); the ``delim`` bytes on each line, the
        text after the last line feed included (``len(line feeds) + 1`` values); positions
        of the quotes (``int64``).
    """
    if delim in (_LF, _QUOTE):
        raise ValueError(f"the separator cannot be byte {delim}")
    return _lines(b, delim, count_parts(b, delim) if parts is None else parts)


def positions_between(b: np.ndarray, byte: int, lo: np.ndarray, hi: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``byte`` in the ranges ``b[lo:hi]``, and the range each lies in.

    Parameters
    ----------
    b : numpy.ndarray
        The bytes (``uint8``).
    byte : int
        The byte looked for.
    lo, hi : numpy.ndarray
        Ranges, in order and not overlapping (then the positions come out sorted).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Positions (``int64``), and for each the index of its range.
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    n = _fill_between(b, byte, lo, hi, none, none)
    pos, owner = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    if n:
        _fill_between(b, byte, lo, hi, pos, owner)
    return pos, owner
