"""Compiled passes over the buffers of Arrow text arrays (numba).

Arrow text is an offsets buffer into one data buffer: a question about the first and last
byte of every value is one pass over those buffers, without the sliced copies that
Arrow's compute functions would build for it.
"""

from __future__ import annotations

import numba
import numpy as np
import pyarrow as pa

_TEXT_TYPES = (pa.string(), pa.large_string(), pa.binary(), pa.large_binary())


@numba.njit(cache=True, nogil=True)
def _any_edge_blank(offsets: np.ndarray, data: np.ndarray, validity: np.ndarray,
                    has_validity: bool, start: int, n: int) -> bool:
    for i in range(n):
        j = start + i
        if has_validity and not (validity[j >> 3] >> (j & 7)) & 1:
            continue  # a missing value: its bytes (if any) are not a value
        a = offsets[j]
        b = offsets[j + 1]
        if b > a:
            first = data[a]
            last = data[b - 1]
            if first <= 32 or first >= 128 or last <= 32 or last >= 128:
                return True
    return False


def _buffers(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    validity, offsets, data = chunk.buffers()[:3]
    off_type = np.int64 if chunk.type in (pa.large_string(), pa.large_binary()) else np.int32
    # All read-only, as Arrow's buffers are: one compiled signature per offset width.
    off = np.frombuffer(offsets if offsets is not None else np.zeros(1, off_type).tobytes(),
                        dtype=off_type)
    dat = np.frombuffer(data if data is not None else b"", dtype=np.uint8)
    has_validity = validity is not None and chunk.null_count > 0
    val = np.frombuffer(validity if has_validity else b"", dtype=np.uint8)
    for a in (off, dat, val):
        a.setflags(write=False)
    return off, dat, val, has_validity


def is_plain_text(arr: pa.Array | pa.ChunkedArray) -> bool:
    """Whether ``arr`` is Arrow text whose buffers :func:`any_edge_blank` reads."""
    return arr.type in _TEXT_TYPES


def any_edge_blank(arr: pa.Array | pa.ChunkedArray) -> bool:
    """Whether any non-missing value starts or ends with a byte that may be part of a
    blank: an ASCII control or space (``<= 0x20``) or a byte of a multi-byte UTF-8
    character (``>= 0x80``).

    Parameters
    ----------
    arr : pyarrow.Array or pyarrow.ChunkedArray
        ``string``, ``large_string``, ``binary`` or ``large_binary``.

    Returns
    -------
    bool
    """
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    for chunk in chunks:
        if not len(chunk):
            continue
        off, dat, val, has_validity = _buffers(chunk)
        if _any_edge_blank(off, dat, val, has_validity, chunk.offset, len(chunk)):
            return True
    return False


@numba.njit(cache=True, nogil=True, inline="always")
def _compare(a_dat: np.ndarray, a0: int, a1: int, b_dat: np.ndarray, b0: int, b1: int,
             by_length: bool) -> int:
    """-1, 0 or 1 as bytes ``a_dat[a0:a1]`` sort before, equal or after ``b_dat[b0:b1]``
    (byte order, as Arrow compares text; ``by_length``: shorter first, then byte order,
    the order of whole numbers written without leading zeros)."""
    na = a1 - a0
    nb = b1 - b0
    if by_length and na != nb:
        return -1 if na < nb else 1
    for k in range(min(na, nb)):
        x = a_dat[a0 + k]
        y = b_dat[b0 + k]
        if x != y:
            return -1 if x < y else 1
    if na == nb:
        return 0
    return -1 if na < nb else 1


@numba.njit(cache=True, nogil=True, inline="always")
def _equal(a_dat: np.ndarray, a0: int, a1: int, b_dat: np.ndarray, b0: int, b1: int) -> bool:
    if a1 - a0 != b1 - b0:
        return False
    for k in range(a1 - a0):  # noqa: SIM110 - a loop numba compiles (no generator)
        if a_dat[a0 + k] != b_dat[b0 + k]:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _strictly_increasing(off: np.ndarray, dat: np.ndarray, start: int, n: int,
                         by_length: bool) -> bool:
    for i in range(start + 1, start + n):
        if _compare(dat, off[i - 1], off[i], dat, off[i], off[i + 1], by_length) >= 0:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _sorted_positions(k_off: np.ndarray, k_dat: np.ndarray, k_start: int, n_keys: int,
                      v_off: np.ndarray, v_dat: np.ndarray, v_valid: np.ndarray,
                      has_validity: bool, v_start: int, n: int, by_length: bool,
                      out: np.ndarray) -> None:
    # ``lb``: where the previous value would go among the keys. Values in key order (as
    # rows usually come) are found one or two steps on from there; others by a search
    # widening from there, then halving.
    lb = 0
    prev = -1  # the previous value present (its row), to reuse its answer
    for i in range(n):
        j = v_start + i
        if has_validity and not (v_valid[j >> 3] >> (j & 7)) & 1:
            out[i] = -1
            continue
        a = v_off[j]
        b = v_off[j + 1]
        if prev >= 0 and _equal(v_dat, v_off[v_start + prev], v_off[v_start + prev + 1],
                                v_dat, a, b):
            out[i] = out[prev]  # the same value again (rows of one parent in a run)
            prev = i
            continue
        prev = i
        # The key at ``lb`` or the one after it (the next parent, for rows in key order):
        # keys are distinct, so an equal key is the one.
        if lb < n_keys and _equal(k_dat, k_off[k_start + lb], k_off[k_start + lb + 1],
                                  v_dat, a, b):
            out[i] = lb
            continue
        if lb + 1 < n_keys and _equal(k_dat, k_off[k_start + lb + 1],
                                      k_off[k_start + lb + 2], v_dat, a, b):
            lb += 1
            out[i] = lb
            continue
        if lb > 0 and _compare(k_dat, k_off[k_start + lb - 1], k_off[k_start + lb],
                               v_dat, a, b, by_length) >= 0:
            lo = 0  # not after the key before ``lb``: it goes at or before it
            hi = lb - 1
        else:
            lo = lb
            hi = lb
            step = 1
            while hi < n_keys and _compare(k_dat, k_off[k_start + hi],
                                           k_off[k_start + hi + 1], v_dat, a, b, by_length) < 0:
                lo = hi + 1
                hi += step
                step *= 2
            if hi > n_keys:
                hi = n_keys
        while lo < hi:  # first key not before the value
            mid = (lo + hi) >> 1
            if _compare(k_dat, k_off[k_start + mid], k_off[k_start + mid + 1], v_dat, a,
                        b, by_length) < 0:
                lo = mid + 1
            else:
                hi = mid
        lb = lo
        found = lb < n_keys and _compare(k_dat, k_off[k_start + lb],
                                         k_off[k_start + lb + 1], v_dat, a, b, by_length) == 0
        out[i] = lb if found else -1


#: Orders keys may be sorted in: byte order (``P0000002`` before ``P0000010``), and
#: shorter first, then byte order (``2`` before ``10``: numbers without leading zeros).
ORDERS = ("bytes", "length")


def strictly_increasing(keys: pa.Array | pa.ChunkedArray, order: str = "bytes") -> bool:
    """Whether text values, none missing, are in strictly increasing order (so also
    distinct).

    Parameters
    ----------
    keys : pyarrow.Array or pyarrow.ChunkedArray
        Text (:func:`is_plain_text`).
    order : {"bytes", "length"}
        Byte order, or shorter values first and byte order among values of one length
        (the order of whole numbers written without leading zeros).

    Returns
    -------
    bool
        False when any value is missing.
    """
    if order not in ORDERS:
        raise ValueError(f"order {order!r} is not one of {ORDERS}")
    if keys.null_count:
        return False
    by_length = order == "length"
    last = None  # the previous chunk's last value (chunks are checked where they lie)
    for chunk in keys.chunks if isinstance(keys, pa.ChunkedArray) else [keys]:
        if not len(chunk):
            continue
        first = chunk[0].as_buffer().to_pybytes()
        if last is not None and _sort_key(first, by_length) <= _sort_key(last, by_length):
            return False
        off, dat, _, _ = _buffers(chunk)
        if len(chunk) > 1 and not _strictly_increasing(off, dat, chunk.offset, len(chunk),
                                                       by_length):
            return False
        last = chunk[len(chunk) - 1].as_buffer().to_pybytes()
    return True


def _sort_key(value: bytes, by_length: bool) -> tuple[int, bytes]:
    return (len(value) if by_length else 0, value)


def key_order(keys: pa.Array | pa.ChunkedArray) -> str | None:
    """The order (:data:`ORDERS`) text keys are strictly increasing in, if any.

    Parameters
    ----------
    keys : pyarrow.Array or pyarrow.ChunkedArray
        Text (:func:`is_plain_text`).

    Returns
    -------
    str or None
        ``"bytes"`` or ``"length"``; None when the keys are in neither order or any is
        missing.
    """
    return next((o for o in ORDERS if strictly_increasing(keys, o)), None)


def sorted_positions(values: pa.Array | pa.ChunkedArray, keys: pa.Array,
                     order: str = "bytes") -> np.ndarray:
    """Position of each value among ``keys``, -1 where absent or missing: what
    ``pyarrow.compute.index_in(values, keys, skip_nulls=True)`` gives, for keys in
    strictly increasing order (:func:`strictly_increasing`), found by search instead
    of a hash table of the keys.

    Parameters
    ----------
    values : pyarrow.Array or pyarrow.ChunkedArray
        Text (:func:`is_plain_text`).
    keys : pyarrow.Array
        Text in strictly increasing ``order``, none missing.
    order : {"bytes", "length"}
        The keys' order (:func:`strictly_increasing`).

    Returns
    -------
    numpy.ndarray
        ``int32`` (as ``index_in`` gives), one per value.
    """
    if order not in ORDERS:
        raise ValueError(f"order {order!r} is not one of {ORDERS}")
    if len(keys) > np.iinfo(np.int32).max:
        raise ValueError("more keys than int32 positions reach")
    out = np.empty(len(values), dtype=np.int32)
    k_off, k_dat, _, _ = _buffers(keys)
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    at = 0
    for chunk in chunks:
        if len(chunk):
            off, dat, val, has_validity = _buffers(chunk)
            _sorted_positions(k_off, k_dat, keys.offset, len(keys), off, dat, val,
                              has_validity, chunk.offset, len(chunk), order == "length",
                              out[at:at + len(chunk)])
        at += len(chunk)
    return out
