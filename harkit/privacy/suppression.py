"""Primary and secondary suppression of small counts, with rounding: :func:`suppress`."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from harkit.privacy._grid import grids
from harkit.privacy._secondary import protect
from harkit.privacy.policies import (
    _RULES,
    DEFAULT_THRESHOLD,
    OPENSAFELY_ROUND_TO,
    OPENSAFELY_THRESHOLD,
    DisclosureWarning,
    get_policy,
    round_counts,
)


def suppress(
    table: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    threshold: int | None = None,
    marker: str | None = None,
    rule: str | None = None,
    round_to: int | None = None,
    rows: str | None = None,
    cols: str | None = None,
    by: str | Sequence[str] | None = None,
    secondary: bool | None = None,
    total: Any = "Total",
    percent_columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Hide small counts (primary suppression) and the cells that would reveal them.

    Parameters
    ----------
    table : pandas.DataFrame
        A table of counts. Either *long* (one count column, with ``rows`` and ``cols`` naming
        the two key columns of a cross-table) or *wide* (the count columns are the columns of
        a cross-table, each row of ``table`` one of its rows), or any plain table of counts.
    columns : sequence of str, optional
        The count columns. Default: every integer column (but ``rows``, ``cols``, ``by``).
    threshold : int, optional
        Smallest count shown; counts ``0 < n < threshold`` are suppressed (primary
        suppression). Default: the policy in force (:func:`get_policy`; 5 unless changed),
        or 8 when ``rule="opensafely"`` is passed (counts <= 7 hidden). A zero is never a
        primary cell: it discloses nothing.
    marker : str, optional
        Text shown in place of a suppressed count. Default ``"<{threshold}"`` with primary
        suppression only, and ``"*"`` when secondary suppression is applied (a complementary
        cell is not small, and a different marker would point at the small one, so all hidden
        cells share one marker).
    rule : {"threshold", "opensafely"}, optional
        ``"opensafely"``: counts <= 7 are suppressed and every other count is shown rounded
        to the nearest 5 (``round_to``), following the OpenSAFELY output-checking rule.
        Default: the policy in force.
    round_to : int, optional
        Round shown counts to the nearest multiple of this, halves to the even multiple
        (default: the policy's, or 5 when ``rule="opensafely"`` is passed). Suppression
        decisions use the exact counts.
    rows, cols : str, optional
        For a long table: the key columns whose values are the rows and the columns of the
        cross-table. Giving both turns on secondary suppression. Combinations absent from the
        table are published zeros.
    by : str or sequence of str, optional
        For a long table: further key columns; each stratum is its own cross-table.
    secondary : bool, optional
        Apply secondary suppression. Default: on when ``rows`` and ``cols`` are given, off
        otherwise (a plain table such as ``icd.overview`` output is not additive). Pass
        ``True`` for a wide cross-table.
    total : scalar, default "Total"
        Label of margins given in the table: in a long table, a ``rows``/``cols`` value; in a
        wide table, a count column (row totals) and a row whose index label, or whose value
        in any non-count column, equals it (column totals). Margin cells take part in
        secondary suppression like any other cell, but are chosen as complements last.
    percent_columns : mapping of str to str, optional
        ``{"pct": "n"}``: the percentage column ``pct`` is hidden wherever its count ``n``
        is (primary or secondary).

    Returns
    -------
    pandas.DataFrame
        A copy in which the count columns (and percentage columns) are text: the count, or
        the marker. ``attrs["suppressed_cells"]`` holds the number of primary cells,
        ``attrs["secondary_cells"]`` the number of complementary cells hidden,
        ``attrs["suppression_threshold"]``, ``attrs["suppression_round_to"]`` and
        ``attrs["suppression_rule"]`` the policy used, and ``attrs["unprotected_cells"]``
        the cells named in a :class:`DisclosureWarning` (empty if none).

    Raises
    ------
    ValueError
        If a named column is missing or holds negative or non-integer counts, the rule is
        unknown, or a long table has more than one count for a cell.

    Warns
    -----
    DisclosureWarning
        If a primary cell cannot be protected by hiding more cells (e.g. a single-column
        table whose totals are public, or a line whose other cells are all zeros or small):
        the warning names the cells (never their values). Merge categories or do not
        publish the table.

    Notes
    -----
    **Protection rule.** Secondary suppression hides complementary cells until, for every
    primary cell, the interval ``[lo, hi]`` of values it can take given everything
    published has ``hi - lo >= threshold``. "Everything published" is: the shown cells
    (exact, or anywhere in their rounding interval, and at least ``threshold`` when not
    zero), the margins (a line without a total in the table is assumed to have a public
    total, as it usually has in another table), every row and column adding up to its
    total, and every hidden cell being at least 1 (at least 0 in a table where a zero had
    to be hidden, see below). Such an interval holds ``threshold + 1`` or more whole
    numbers, so it never pins a cell to one value nor shows that it lies in
    1..threshold-1. ``lo`` and ``hi`` are those of :func:`harkit.privacy.audit` (linear
    programming); for one cross-table the LP bounds are the whole-number bounds (its
    relations are totally unimodular), so the LP is not more lenient than an integer
    attack.

    **Algorithm.** With exact counts, the cheap line rule runs first: a row or column with
    exactly one hidden cell gets its smallest non-zero interior cell hidden (then its
    smallest margin, and a zero only if the line has nothing else). Then the audit runs;
    for each primary cell still unprotected, the cheapest cell that limits its interval (a
    non-zero reduced cost in the LP: small interior cells first, then margins; never a
    zero) is hidden, and the audit runs again. A primary cell that no shown cell limits
    cannot be protected by hiding more (LP duality) and is named in a
    :class:`DisclosureWarning`. Cost: at most two LPs per primary cell and two per
    complement, each over the hidden cells around it (a 30x12 table takes well under a
    second; see ``benchmarks/bench_privacy.py``).

    Percentages are hidden with their counts, but not recomputed after rounding: with a
    known denominator a percentage can reveal the exact count behind a rounded one.

    Examples
    --------
    >>> t = pd.DataFrame({"a": [3, 10, 13], "b": [20, 30, 50]}, index=["x", "y", "Total"])
    >>> suppress(t, secondary=True)["a"].tolist()
    ['*', '*', '13']
    """
    threshold, rule, round_to = _settings(threshold, rule, round_to)
    if (rows is None) != (cols is None):
        raise ValueError("give both rows= and cols= (the two keys of a long cross-table)")
    if secondary is None:
        secondary = rows is not None
    if columns is None:
        columns = default_columns(table, rows, cols, by)
    columns = list(columns)
    percent_columns = dict(percent_columns or {})
    _check_columns(table, columns, percent_columns, rows, cols)
    values = count_array(table, columns)
    primary = (values > 0) & (values < threshold)
    hidden = primary.copy()
    exposed: list[str] = []
    if secondary and columns and len(table):
        exposed = _secondary(table, columns, values, hidden, primary, rows=rows, cols=cols,
                             by=by, total=total, threshold=threshold, round_to=round_to)
    if marker is None:
        marker = "*" if secondary else f"<{threshold}"
    out = _render(table, columns, values, hidden, round_to, marker, percent_columns)
    out.attrs.update({
        "suppressed_cells": int(primary.sum()),
        "secondary_cells": int((hidden & ~primary).sum()),
        "suppression_threshold": threshold, "suppression_round_to": round_to,
        "suppression_rule": rule, "unprotected_cells": exposed})
    return out


def _settings(threshold: int | None, rule: str | None, round_to: int | None
              ) -> tuple[int, str, int | None]:
    """Threshold, rule and rounding: given, else from the rule, else the policy in force."""
    pol = get_policy()
    if rule is None:
        rule = pol.rule
        threshold = pol.threshold if threshold is None else threshold
        round_to = pol.round_to if round_to is None else round_to
    if rule not in _RULES:
        raise ValueError(f"rule must be one of {_RULES}, got {rule!r}")
    if threshold is None:
        threshold = OPENSAFELY_THRESHOLD if rule == "opensafely" else DEFAULT_THRESHOLD
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, got {threshold}")
    if round_to is None and rule == "opensafely":
        round_to = OPENSAFELY_ROUND_TO
    if round_to is not None and round_to < 1:
        raise ValueError(f"round_to must be at least 1, got {round_to}")
    return threshold, rule, round_to


def _check_columns(table: pd.DataFrame, columns: list[str], percent_columns: dict,
                   rows: str | None, cols: str | None) -> None:
    for col in [*columns, *percent_columns, *(k for k in (rows, cols) if k is not None)]:
        if col not in table.columns:
            raise ValueError(
                f"column {col!r} not in table; columns are {list(table.columns)}")
    for pct, count in percent_columns.items():
        if count not in columns:
            raise ValueError(f"percent column {pct!r} refers to {count!r}, not a count column")


def default_columns(table: pd.DataFrame, rows: str | None = None, cols: str | None = None,
                    by: str | Sequence[str] | None = None) -> list[str]:
    """Every integer column that is not a key of a long table."""
    keys = {rows, cols, *([by] if isinstance(by, str) else (by or []))}
    return [c for c in table.columns
            if c not in keys and pd.api.types.is_integer_dtype(table[c])]


def count_array(table: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The count columns as an (n_rows, n_columns) float array (NaN: no count).

    Raises
    ------
    ValueError
        If a column holds negative or non-whole counts.
    """
    out = np.empty((len(table), len(columns)))
    for k, col in enumerate(columns):
        v = pd.to_numeric(table[col], errors="raise").astype(float)
        if (v.dropna() < 0).any() or (v.dropna() % 1 != 0).any():
            raise ValueError(f"column {col!r} must hold non-negative whole counts")
        out[:, k] = v.to_numpy()
    return out


def _secondary(table: pd.DataFrame, columns: list[str], values: np.ndarray,
               hidden: np.ndarray, primary: np.ndarray, *, rows: str | None,
               cols: str | None, by: Any, total: Any, threshold: int,
               round_to: int | None) -> list[str]:
    """Secondary suppression of every grid of the table, in place on ``hidden``."""
    exposed = []
    for grid in grids(table, columns, values, rows=rows, cols=cols, by=by, total=total):
        mask = grid.gather(hidden)
        failed = protect(grid, mask, grid.gather(primary), threshold=threshold,
                         round_to=round_to)
        grid.scatter(mask, hidden)
        exposed += [grid.label(i, j) for i, j in failed]
    if exposed:
        warnings.warn(
            "secondary suppression could not protect " + "; ".join(exposed)
            + ": hiding more cells does not stop it being narrowed down from the rest of "
            "the table and its totals. Merge categories or do not publish this table.",
            DisclosureWarning, stacklevel=3)
    return exposed


def _render(table: pd.DataFrame, columns: list[str], values: np.ndarray, hidden: np.ndarray,
            round_to: int | None, marker: str, percent_columns: dict) -> pd.DataFrame:
    """The published copy: counts (rounded) as text, hidden cells as the marker."""
    out = table.copy()
    shown = round_counts(values, round_to)
    for k, col in enumerate(columns):
        text = pd.Series(["" if np.isnan(x) else f"{int(x):,}" for x in shown[:, k]],
                         index=table.index, dtype=object)
        text[hidden[:, k]] = marker
        out[col] = text
    for pct, count in percent_columns.items():
        text = table[pct].map(_format_percent).astype(object)
        text[hidden[:, columns.index(count)]] = marker
        out[pct] = text
    return out


def _format_percent(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (float, np.floating)):
        return f"{v:.1f}"
    return str(v)
