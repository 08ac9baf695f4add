"""Small vectorised helpers shared by the generator modules (dates, ids, sampling)."""

from __future__ import annotations

import numpy as np

DAY = np.timedelta64(1, "D")
NAT = np.datetime64("NaT", "D")


def day(text: str) -> np.datetime64:
    """Return a ``datetime64[D]`` scalar for an ISO date string."""
    return np.datetime64(text, "D")


def year_of(d: np.ndarray) -> np.ndarray:
    """Calendar year of ``datetime64[D]`` values (NaT gives a large negative number)."""
    return d.astype("datetime64[Y]").astype(np.int64) + 1970


def year_start(years: np.ndarray) -> np.ndarray:
    """1 January of each year as ``datetime64[D]``."""
    return (np.asarray(years, dtype=np.int64) - 1970).astype("datetime64[Y]").astype(
        "datetime64[D]")


def mid_year(d: np.ndarray) -> np.ndarray:
    """1 July of the year of each date (the stored value of a year-precision date)."""
    return (d.astype("datetime64[Y]").astype("datetime64[M]") + 6).astype("datetime64[D]")


def mid_month(d: np.ndarray) -> np.ndarray:
    """The 15th of the month of each date (the stored value of a month-precision date)."""
    return d.astype("datetime64[M]").astype("datetime64[D]") + 14


def add_years(d: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Add float years (365.25 days each, floored to whole days) to dates."""
    return d + np.floor(np.asarray(years) * 365.25).astype(np.int64)


def years_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Float years from ``a`` to ``b``."""
    return (b - a).astype(np.int64) / 365.25


def uniform_dates(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Draw a date uniformly in ``[lo, hi]`` (inclusive, whole days) per element."""
    span = (hi - lo).astype(np.int64)
    span = np.maximum(span, 0)
    return lo + np.floor(rng.random(len(lo)) * (span + 1)).astype(np.int64)


def categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Draw one category per row of a probability matrix (rows need not be normalised).

    Parameters
    ----------
    rng : numpy.random.Generator
    probs : numpy.ndarray
        Shape (n, k), non-negative, each row with a positive sum.

    Returns
    -------
    numpy.ndarray
        Column index per row.
    """
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    idx = (cum <= u[:, None]).sum(axis=1)
    return np.minimum(idx, probs.shape[1] - 1)


def choice_weighted(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """Draw ``n`` indices with the given (unnormalised) weights."""
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def make_ids(prefix: str, n: int, width: int | None = None) -> np.ndarray:
    """Build ``n`` zero-padded identifiers such as ``P0000001`` (object array).

    Parameters
    ----------
    prefix : str
        Leading letters.
    n : int
        How many.
    width : int, optional
        Digits (default: enough for ``n``, at least 6).

    Returns
    -------
    numpy.ndarray
        Object array of str.
    """
    w = width or max(6, len(str(n)))
    fmt = f"{prefix}{{:0{w}d}}"
    return np.array([fmt.format(i) for i in range(1, n + 1)], dtype=object)


def owner_rank(owner: np.ndarray) -> np.ndarray:
    """Rank of each item within its owner, for items sorted by owner (0, 1, 2, ...)."""
    n = len(owner)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.r_[True, owner[1:] != owner[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    return np.arange(n) - first


def offsets(owner: np.ndarray, n_owners: int) -> tuple[np.ndarray, np.ndarray]:
    """First index and count of each owner's items in an owner-sorted array."""
    counts = np.bincount(owner, minlength=n_owners)
    first = np.r_[0, np.cumsum(counts)[:-1]]
    return first, counts


def pick_per_owner(rng: np.random.Generator, owner_first: np.ndarray,
                   owner_count: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """For each requested owner, the index of one of its items, uniformly."""
    c = owner_count[owners]
    return owner_first[owners] + np.floor(rng.random(len(owners)) * c).astype(np.int64)
