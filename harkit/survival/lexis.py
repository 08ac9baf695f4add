"""Lexis-style splitting of follow-up on several time scales, and an age-period-cohort model.

Follow-up from ``entry`` to ``exit`` on the analysis time scale (say age) is cut wherever
any time scale crosses one of its breaks: age itself, calendar time, time since diagnosis.
All time scales advance together, so a scale is given by its value at entry (as in Epi's
``Lexis``) and its value at analysis time *t* is ``value_at_entry + (t - entry)``. The pieces
are start/stop rows for Cox models with time-varying covariates
(:func:`harkit.survival.cox` with ``entry`` and ``exit`` the piece limits) and, summed by
band, events and person-time for Poisson models (:func:`age_period_cohort`).

The pieces are the same as R's ``survival::survSplit`` applied on each scale's clock in turn
(tests/r_reference/split_reference.R).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["split_time"]


def _numeric(df: pd.DataFrame, col: str, *, allow_missing: bool = False) -> np.ndarray:
    if col not in df.columns:
        raise KeyError(f"split_time: column {col!r} not in df")
    vals = pd.to_numeric(df[col], errors="coerce")
    bad = vals.isna() & df[col].notna()
    if bad.any():
        raise ValueError(f"split_time: column {col!r} has {int(bad.sum())} non-numeric "
                         f"value(s) (first at row {df.index[bad.to_numpy()][0]!r})")
    if not allow_missing and vals.isna().any():
        raise ValueError(f"split_time: column {col!r} has {int(vals.isna().sum())} missing "
                         f"value(s) (first at row {df.index[vals.isna().to_numpy()][0]!r})")
    return vals.to_numpy(float)


def split_time(df: pd.DataFrame, breaks: Mapping[str, Sequence[float]], *, entry: str,
               exit: str, event: str, scales: Mapping[str, str] | None = None,
               time_scale: str | None = None) -> pd.DataFrame:
    """Split each row's follow-up at the breaks of several time scales (Lexis diagram).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per person (or per interval); every column is carried to the pieces.
    breaks : mapping of str to sequence of float
        Cut points by time scale name: the analysis scale (named ``time_scale``) and any
        scale of ``scales``. Bands are closed on the left: a piece lies in band ``[b_k,
        b_{k+1})`` of a scale when the scale's value at the piece's start does.
    entry, exit : str
        Columns of entry and exit time on the analysis scale (e.g. ages).
    event : str
        Column of the event indicator; the event stays on the last piece of each row, the
        other pieces get 0.
    scales : mapping of str to str, optional
        Other time scales: name -> column of the scale's value at ``entry`` (for calendar
        time, the calendar year at entry; for time since diagnosis, ``entry_age -
        age_at_diagnosis``). A missing value leaves that row unsplit on that scale.
    time_scale : str, optional
        Name of the analysis scale in ``breaks`` and in the output; default ``exit``'s name.

    Returns
    -------
    pandas.DataFrame
        One row per piece with the columns of ``df`` (``entry``, ``exit``, ``event`` now
        the piece's), ``risk_time`` (``exit - entry``), for each scale its value at the
        piece's start (column named after the scale) and ``<scale>_band``, the lower break
        of its band (``-inf`` below the first break, NaN where the scale is missing), and
        ``row`` (the index label of the row it came from). No follow-up is lost: the
        pieces of a row sum to its follow-up.

    Raises
    ------
    KeyError
        A column is missing.
    ValueError
        Non-numeric or missing times, entry after exit, a break given for an unknown scale.

    Examples
    --------
    >>> cohort = cohort.assign(entry_year=cohort["birth_year"] + cohort["entry_age"],
    ...                        tsd_entry=cohort["entry_age"] - cohort["age_first_sud"])
    >>> pieces = split_time(cohort, {"age": [40, 60, 80], "year": [1970, 1990],
    ...                              "tsd": [0, 1, 5]}, entry="entry_age",
    ...                     exit="age_at_death", event="dead", time_scale="age",
    ...                     scales={"year": "entry_year", "tsd": "tsd_entry"})
    """
    scales = dict(scales or {})
    name = time_scale or exit
    unknown = [k for k in breaks if k != name and k not in scales]
    if unknown:
        raise ValueError(f"split_time: breaks given for unknown time scale(s) {unknown}; "
                         f"known: {[name, *scales]}")
    if name in scales:
        raise ValueError(f"split_time: {name!r} is the analysis scale and cannot be in scales")
    en, ex = _numeric(df, entry), _numeric(df, exit)
    ev = df[event]
    if ev.isna().any():
        raise ValueError(f"split_time: column {event!r} has {int(ev.isna().sum())} missing "
                         "value(s)")
    bad = en > ex
    if bad.any():
        raise ValueError(f"split_time: {int(bad.sum())} row(s) have {entry!r} > {exit!r} "
                         f"(first at row {df.index[bad][0]!r})")
    at_entry = {k: _numeric(df, c, allow_missing=True) for k, c in scales.items()}
    at_entry[name] = en
    n = len(df)
    rows = [np.arange(n), np.arange(n)]
    points = [en, ex]
    for k, b in breaks.items():
        b = np.unique(np.asarray(b, float))
        # the analysis time at which scale k reaches each break
        cut = en[:, None] + (b[None, :] - at_entry[k][:, None])
        inside = (cut > en[:, None]) & (cut < ex[:, None])
        r, j = np.nonzero(inside)
        rows.append(r)
        points.append(cut[r, j])
    r = np.concatenate(rows)
    t = np.concatenate(points)
    order = np.lexsort((t, r))
    r, t = r[order], t[order]
    keep = np.ones(r.size, bool)
    keep[1:] = (r[1:] != r[:-1]) | (t[1:] != t[:-1])  # cuts that coincide count once
    r, t = r[keep], t[keep]
    last = np.ones(r.size, bool)
    last[:-1] = r[1:] != r[:-1]
    # pieces: each point that is not a row's last, with the next point as its end
    lo_idx = np.flatnonzero(~last)
    owner, p_start, p_end = r[lo_idx], t[lo_idx], t[lo_idx + 1]
    # a row with entry == exit has no follow-up; it stays as one zero-length piece
    zero_rows = np.flatnonzero(en == ex)
    owner = np.concatenate([owner, zero_rows])
    p_start = np.concatenate([p_start, en[zero_rows]])
    p_end = np.concatenate([p_end, ex[zero_rows]])
    order = np.lexsort((p_start, owner))
    owner, p_start, p_end = owner[order], p_start[order], p_end[order]
    out = df.iloc[owner].copy()
    out.insert(0, "row", df.index.to_numpy()[owner])
    out.index = pd.RangeIndex(len(out))
    out[entry] = p_start
    out[exit] = p_end
    final = p_end == ex[owner]
    evv = ev.to_numpy()[owner]
    out[event] = np.where(final, evv, np.zeros(1, dtype=evv.dtype))
    out["risk_time"] = p_end - p_start
    for k in [name, *scales]:
        val = at_entry[k][owner] + (p_start - en[owner])
        out[k] = val
        if k in breaks:
            b = np.unique(np.asarray(breaks[k], float))
            # the band from the piece's midpoint: its start may miss a break by rounding
            mid = at_entry[k][owner] + ((p_start + p_end) / 2 - en[owner])
            pos = np.searchsorted(b, mid, side="right") - 1
            band = np.where(pos >= 0, b[np.maximum(pos, 0)], -np.inf)
            out[f"{k}_band"] = np.where(np.isnan(val), np.nan, band)
    return out
