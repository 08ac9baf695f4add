"""Compiled location of line feeds, separators and quotes in a file's bytes (numba).

One pass counts each kind and a second writes their positions, instead of a comparison
over the whole file and a search of its result for each kind.
"""

from __future__ import annotations

import numba
import numpy as np

_LF, _QUOTE = 10, 34


@numba.njit(cache=True, nogil=True)
def _count(b: np.ndarray, delim: int) -> tuple[int, int, int]:
    n_lf = n_delim = n_quote = 0
    for x in b:
        if x == _LF:
            n_lf += 1
        elif x == delim:
            n_delim += 1
        elif x == _QUOTE:
            n_quote += 1
    return n_lf, n_delim, n_quote


@numba.njit(cache=True, nogil=True)
def _fill(b: np.ndarray, delim: int, lf: np.ndarray, sep: np.ndarray,
          quote: np.ndarray) -> None:
    i_lf = i_delim = i_quote = 0
    for i in range(len(b)):
        x = b[i]
        if x == _LF:
            lf[i_lf] = i
            i_lf += 1
        elif x == delim:
            sep[i_delim] = i
            i_delim += 1
        elif x == _QUOTE:
            quote[i_quote] = i
            i_quote += 1


def locate(b: np.ndarray, delim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted positions of every line feed, ``delim`` byte and double quote in ``b``.

    Parameters
    ----------
    b : numpy.ndarray
        The bytes (``uint8``).
    delim : int
        The separator byte (neither a line feed nor a quote).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Line feeds, separators and quotes, each as ``int64`` positions.
    """
    if delim in (_LF, _QUOTE):
        raise ValueError(f"the separator cannot be byte {delim}")
    n_lf, n_delim, n_quote = _count(b, delim)
    lf = np.empty(n_lf, dtype=np.int64)
    sep = np.empty(n_delim, dtype=np.int64)
    quote = np.empty(n_quote, dtype=np.int64)
    _fill(b, delim, lf, sep, quote)
    return lf, sep, quote
