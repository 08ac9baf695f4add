"""Cross-tables (grids) read from the table forms that suppress and audit accept.

A wide table is one grid; a long table (``rows=``, ``cols=``, ``by=``) is one grid per
stratum. Each grid cell remembers where it came from (row position and count column of the
table), so that a mask computed on the grid can be written back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


@dataclasses.dataclass
class Grid:
    """One cross-table: counts, margins and where each cell lives in the source table.

    Attributes
    ----------
    values : numpy.ndarray
        (R, C) true counts; NaN where there is no cell.
    margin_rows, margin_cols : numpy.ndarray
        (R,) and (C,) booleans: rows and columns that hold totals.
    fixed : numpy.ndarray
        (R, C) cells that are no cell of the table but a published zero (combinations absent
        from a long table): part of the lines, never hidden.
    src_row, src_col : numpy.ndarray
        (R, C) row position and count-column position in the source table (-1: none).
    row_labels, col_labels : list
        Labels of the grid's rows and columns.
    stratum : object
        The ``by=`` key of a long table's stratum, else None.
    """

    values: np.ndarray
    margin_rows: np.ndarray
    margin_cols: np.ndarray
    fixed: np.ndarray
    src_row: np.ndarray
    src_col: np.ndarray
    row_labels: list
    col_labels: list
    stratum: Any = None
    names: tuple[str, str] | None = None

    @property
    def margin(self) -> np.ndarray:
        """(R, C) booleans: cells in a margin row or column."""
        return self.margin_rows[:, None] | self.margin_cols[None, :]

    @property
    def exists(self) -> np.ndarray:
        """(R, C) booleans: cells that are part of the table (including fixed zeros)."""
        return ~np.isnan(self.values)

    def label(self, i: int, j: int) -> str:
        """A readable name for cell (i, j), as used in warnings and audits."""
        prefix = "" if self.stratum is None else f"stratum {self.stratum!r}, "
        # numpy scalars print as np.int64(1975) under numpy 2: show the plain value
        r, c = (x.item() if isinstance(x, np.generic) else x
                for x in (self.row_labels[i], self.col_labels[j]))
        if self.names is None:
            return f"{prefix}row {r!r}, column {c!r}"
        return f"{prefix}{self.names[0]}={r!r}, {self.names[1]}={c!r}"

    def gather(self, table_array: np.ndarray, fill: Any = False) -> np.ndarray:
        """The (R, C) grid view of an (n_rows, n_count_columns) array of the table."""
        out = np.full(self.values.shape, fill, dtype=table_array.dtype)
        ok = self.src_row >= 0
        out[ok] = table_array[self.src_row[ok], self.src_col[ok]]
        return out

    def scatter(self, grid_array: np.ndarray, table_array: np.ndarray) -> None:
        """Write an (R, C) grid array back into the table array, in place."""
        ok = self.src_row >= 0
        table_array[self.src_row[ok], self.src_col[ok]] = grid_array[ok]


def is_total(value: Any, total: Any) -> bool:
    """Whether a label equals the ``total`` label (safely, for any label type)."""
    try:
        return total is not None and bool(value == total)
    except (TypeError, ValueError):
        return False


def grids(table: pd.DataFrame, columns: list[str], values: np.ndarray, *,
          rows: str | None = None, cols: str | None = None,
          by: str | Sequence[str] | None = None, total: Any = "Total") -> list[Grid]:
    """The cross-tables of ``table``: one for a wide table, one per stratum for a long one.

    Parameters
    ----------
    table : pandas.DataFrame
    columns : list of str
        The count columns.
    values : numpy.ndarray
        (len(table), len(columns)) counts as floats.
    rows, cols, by, total
        As for :func:`harkit.privacy.suppress`.

    Returns
    -------
    list of Grid
    """
    if rows is None:
        return [_wide(table, columns, values, total)]
    return _long(table, columns, values, rows, cols, by, total)


def _wide(table: pd.DataFrame, columns: list[str], values: np.ndarray, total: Any) -> Grid:
    label_cols = [c for c in table.columns if c not in columns]
    total_row = np.array([
        is_total(idx, total) or any(is_total(table.iloc[i][c], total) for c in label_cols)
        for i, idx in enumerate(table.index)], dtype=bool)
    n, k = values.shape
    return Grid(
        values=values.copy(), margin_rows=total_row,
        margin_cols=np.array([is_total(c, total) for c in columns], dtype=bool),
        fixed=np.zeros((n, k), bool),
        src_row=np.repeat(np.arange(n)[:, None], k, axis=1),
        src_col=np.repeat(np.arange(k)[None, :], n, axis=0),
        row_labels=list(table.index), col_labels=list(columns))


def _long(table: pd.DataFrame, columns: list[str], values: np.ndarray, rows: str, cols: str,
          by: str | Sequence[str] | None, total: Any) -> list[Grid]:
    if len(columns) != 1:
        raise ValueError(
            f"a long table (rows=, cols=) needs exactly one count column, got {columns}")
    by = [] if by is None else [by] if isinstance(by, str) else list(by)
    keys = [*by, rows, cols]
    if table.duplicated(keys).any():
        raise ValueError(
            f"several rows share the same {keys}; name the other key columns with by=")
    strata = (table.groupby(by, sort=False, dropna=False).indices if by
              else {None: np.arange(len(table))})
    r_all, c_all = table[rows].to_numpy(), table[cols].to_numpy()
    out = []
    for stratum, pos in strata.items():
        r_vals, c_vals = pd.unique(r_all[pos]), pd.unique(c_all[pos])
        r_ix = {v: i for i, v in enumerate(r_vals)}
        c_ix = {v: j for j, v in enumerate(c_vals)}
        shape = (len(r_vals), len(c_vals))
        src_row = np.full(shape, -1)
        for p in pos:
            src_row[r_ix[r_all[p]], c_ix[c_all[p]]] = p
        fixed = src_row < 0
        grid_values = np.where(fixed, 0.0, values[np.maximum(src_row, 0), 0])
        # A present cell with a missing count is no cell; an absent one is a published zero.
        out.append(Grid(
            values=grid_values,
            margin_rows=np.array([is_total(v, total) for v in r_vals], dtype=bool),
            margin_cols=np.array([is_total(v, total) for v in c_vals], dtype=bool),
            fixed=fixed, src_row=src_row, src_col=np.where(fixed, -1, 0),
            row_labels=list(r_vals), col_labels=list(c_vals), stratum=stratum,
            names=(rows, cols)))
    return out
