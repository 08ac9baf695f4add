"""Disclosure control for counts shown in tables and reports.

This module holds primary suppression of small counts, the rule every rendered
count in harkit passes through by default. A count of 1 to ``threshold - 1`` is
hidden (a zero is not: an empty cell discloses nothing about a person).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

#: Smallest count shown. Counts 1-4 are suppressed, following the common practice of
#: Norwegian health registries for published tables.
DEFAULT_THRESHOLD = 5


def suppress(
    table: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    marker: str | None = None,
) -> pd.DataFrame:
    """Hide small counts (primary suppression).

    Parameters
    ----------
    table : pandas.DataFrame
        A table of counts (one or more integer count columns).
    columns : sequence of str, optional
        The count columns. Default: every integer column.
    threshold : int, default 5
        Smallest count shown; counts ``0 < n < threshold`` are suppressed.
    marker : str, optional
        Text shown in place of a suppressed count; default ``"<{threshold}"``.

    Returns
    -------
    pandas.DataFrame
        A copy in which the count columns are text: the count, or the marker.
        ``result.attrs["suppressed_cells"]`` holds the number of cells hidden.

    Raises
    ------
    ValueError
        If a named column is missing or holds negative or non-integer counts.
    """
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, got {threshold}")
    marker = f"<{threshold}" if marker is None else marker
    if columns is None:
        columns = [c for c in table.columns if pd.api.types.is_integer_dtype(table[c])]
    out = table.copy()
    hidden = 0
    for col in columns:
        if col not in table.columns:
            raise ValueError(
                f"count column {col!r} not in table; columns are {list(table.columns)}")
        values = pd.to_numeric(table[col], errors="raise")
        if (values.dropna() < 0).any() or (values.dropna() % 1 != 0).any():
            raise ValueError(f"column {col!r} must hold non-negative whole counts")
        small = (values > 0) & (values < threshold)
        hidden += int(small.sum())
        text = values.map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
        out[col] = text.where(~small, marker)
    out.attrs["suppressed_cells"] = hidden
    out.attrs["suppression_threshold"] = threshold
    return out
