"""Disclosure control of Table 1 as one linked set of counts.

Every count of a Table 1 is tied to others: each row's ``Overall`` is the sum of its groups;
each categorical variable's levels add up to its non-missing denominator (which the
percentages reveal), and that plus the missing count is the group size in the ``n`` row;
a continuous variable's non-missing count plus its missing count is the group size too.
Suppressing each block on its own leaves small counts that these links give back
(``n`` of a group of 2 as the overall n minus the others). :class:`CellGrid` collects every
count and every link, seeds the hidden cells with :func:`harkit.privacy.suppress`
(secondary suppression of each variable's block with its margins), then hides further
cells until every small count's feasible range under what is shown is at least the
threshold wide (:func:`harkit._disclosure.protect`, the LP audit of :mod:`harkit.privacy`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from harkit import _disclosure as dc
from harkit import privacy

# Complements are chosen in this order: level counts, a column's percentages (the
# denominator they reveal), the Overall column, group sizes, the overall n.
RANK_LEVEL, RANK_DENOM, RANK_OVERALL, RANK_N, RANK_TOTAL = 0, 1, 2, 3, 4


@dataclass
class _Cell:
    value: int
    row: dict[str, Any] | None = None  # the display row, None for a cell never shown
    column: str = ""
    denom: int | None = None  # the denominator cell of a level's percentage


@dataclass
class CellGrid:
    """The counts of one Table 1 and the sums that tie them together.

    Parameters
    ----------
    columns : sequence of str
        The table's count columns (``Overall`` first when present).
    overall : str or None
        Name of the overall column, when there is one.
    threshold : int, optional
        Smallest count shown; default the policy in force.
    decimals : int
        Decimals of percentages.
    """

    columns: Sequence[str]
    overall: str | None
    threshold: int | None = None
    decimals: int = 1
    cells: list[_Cell] = field(default_factory=list)
    rank: list[int] = field(default_factory=list)
    never_shown: list[bool] = field(default_factory=list)
    equations: list[list[int]] = field(default_factory=list)
    blocks: list[tuple[list[dict[int, int]], dict[int, int]]] = field(default_factory=list)
    n_cells: dict[str, int] = field(default_factory=dict)
    #: Columns hidden whole (a group smaller than the threshold, and Overall with it).
    hidden_columns: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ building
    def add(self, value: int, row: dict[str, Any] | None = None, column: str = "",
            rank: int = RANK_LEVEL, *, never_shown: bool = False,
            denom: int | None = None) -> int:
        """Register one count; returns its cell number."""
        self.cells.append(_Cell(int(value), row, column, denom))
        overall = column == self.overall and rank < RANK_OVERALL
        self.rank.append(RANK_OVERALL if overall else rank)
        self.never_shown.append(never_shown)
        return len(self.cells) - 1

    def equal(self, total: int, parts: Sequence[int]) -> None:
        """Say that cell ``total`` is the sum of cells ``parts``."""
        if parts:
            self.equations.append([total + 1, *[-(p + 1) for p in parts]])

    def row_sum(self, by_column: dict[str, int]) -> None:
        """The overall cell of a row is the sum of its group cells."""
        if self.overall is None or self.overall not in by_column:
            return
        groups = [i for c, i in by_column.items() if c != self.overall]
        if groups:
            self.equal(by_column[self.overall], groups)

    def n_row(self, row: dict[str, Any], counts: dict[str, int]) -> None:
        """The group sizes."""
        self.n_cells = {c: self.add(counts[c], row, c, RANK_TOTAL if c == self.overall
                                    else RANK_N) for c in self.columns}
        self.row_sum(self.n_cells)

    def categorical(self, rows: Sequence[dict[str, Any]], counts: Sequence[Sequence[int]],
                    missing_row: dict[str, Any] | None, missing: dict[str, int]) -> None:
        """A categorical variable: level rows (with percentages) and its missing count.

        ``missing_row`` is the shown Missing row, or None (then a non-zero missing count is
        a cell that is never shown).
        """
        denom = {c: self.add(sum(int(r[j]) for r in counts), None, c, RANK_DENOM)
                 for j, c in enumerate(self.columns)}
        level_cells = []
        for r, vals in zip(rows, counts):
            cells = {c: self.add(v, r, c, denom=denom[c]) for c, v in zip(self.columns, vals)}
            self.row_sum(cells)
            level_cells.append(cells)
        self.row_sum(denom)
        for c in self.columns:
            self.equal(denom[c], [cells[c] for cells in level_cells])
        miss = self._missing(missing_row, missing)
        for c in self.columns:
            self.equal(self.n_cells[c], [denom[c]] + ([miss[c]] if miss else []))
        margin = {c: self.n_cells[c] for c in self.columns} if (
            missing_row is not None or not miss) else denom
        block = level_cells + ([miss] if missing_row is not None else [])
        self.blocks.append((block, margin))

    def continuous(self, values_n: dict[str, int], missing_row: dict[str, Any] | None,
                   missing: dict[str, int]) -> None:
        """A continuous variable: its non-missing counts (never shown) and missing count."""
        known = {c: self.add(values_n[c], None, c, never_shown=True) for c in self.columns}
        self.row_sum(known)
        miss = self._missing(missing_row, missing)
        for c in self.columns:
            self.equal(self.n_cells[c], [known[c]] + ([miss[c]] if miss else []))

    def _missing(self, row: dict[str, Any] | None, missing: dict[str, int]) -> dict[str, int]:
        if row is None and not any(missing.values()):
            return {}  # no Missing row and nothing missing: the level counts add up to n
        cells = {c: self.add(missing[c], row, c, never_shown=row is None)
                 for c in self.columns}
        self.row_sum(cells)
        return cells

    # ------------------------------------------------------------------ suppressing
    def hidden(self) -> tuple[np.ndarray, np.ndarray]:
        """Which cells are hidden, and which of those are small (primary) counts."""
        thr = dc.threshold_for(self.threshold)
        values = np.array([c.value for c in self.cells], float)
        primary = (values > 0) & (values < thr)
        mask = primary | np.array(self.never_shown, bool)
        mask |= self._tiny_groups(primary)
        mask |= self._seed()
        is_denom = np.array([c.row is None and not ns
                             for c, ns in zip(self.cells, self.never_shown)], bool)
        mask |= is_denom & ~self._revealed_denominators(mask)
        mask, stuck = dc.protect(values, mask, self.equations, targets=primary,
                                 rank=np.array(self.rank), threshold=self.threshold)
        if stuck:
            warnings.warn(f"Table 1: {len(stuck)} small count(s) could not be protected from "
                          "subtraction; merge categories or groups before publishing",
                          privacy.DisclosureWarning, stacklevel=4)
        return mask, primary

    def _seed(self) -> np.ndarray:
        """Secondary suppression of each block with its margins, by the privacy module."""
        mask = np.zeros(len(self.cells), bool)
        columns = [c for c in self.columns if c not in self.hidden_columns]
        for block, margin in self.blocks if len(columns) else []:
            ids = [[cells[c] for c in columns] for cells in block]
            ids.append([margin[c] for c in columns])
            grid = pd.DataFrame([[self.cells[i].value for i in r] for r in ids],
                                columns=columns, dtype="int64")
            total = self.overall or "_total"
            grid.index = [f"row{i}" for i in range(len(block))] + [total]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", privacy.DisclosureWarning)
                out = privacy.suppress(grid, columns, threshold=self.threshold,
                                       secondary=True, total=total)
            for r, row_ids in enumerate(ids):
                for j, c in enumerate(columns):
                    if dc.hidden_cells(out[c].iloc[[r]], grid[c].iloc[[r]])[0]:
                        mask[row_ids[j]] = True
        return mask

    def _tiny_groups(self, primary: np.ndarray) -> np.ndarray:
        """A group smaller than the threshold: hide its column, and the Overall column
        (the overall minus the other groups would give it back)."""
        tiny = [c for c in self.columns if c != self.overall and primary[self.n_cells[c]]]
        cols = set(tiny) | ({self.overall} if tiny and self.overall else set())
        self.hidden_columns = [c for c in self.columns if c in cols]
        return np.array([c.column in cols for c in self.cells], bool)

    def _revealed_denominators(self, mask: np.ndarray) -> np.ndarray:
        """Denominators shown through a percentage of a shown non-zero level count."""
        out = np.zeros(len(self.cells), bool)
        for i, c in enumerate(self.cells):
            if c.denom is not None and not mask[i] and c.value > 0:
                out[c.denom] = True
        return out

    # ------------------------------------------------------------------ text
    def write(self) -> int:
        """Write every count into its display row; returns the number of hidden cells."""
        mask, primary = self.hidden()
        marker = "*" if (mask & ~primary & ~np.array(self.never_shown)).any() else (
            f"<{dc.threshold_for(self.threshold)}")
        pol = dc.policy_for(self.threshold)
        for i, c in enumerate(self.cells):
            if c.row is None:
                continue
            if mask[i]:
                c.row[c.column] = marker
                continue
            text = dc.count_text(c.value, self.threshold)
            if c.denom is not None and not mask[c.denom] and self.cells[c.denom].value:
                text += f" ({self._percent(c.value, self.cells[c.denom].value, pol)})"
            c.row[c.column] = text
        return int(sum(1 for i, c in enumerate(self.cells) if mask[i] and c.row is not None))

    def _percent(self, n: int, d: int, pol: privacy.Policy) -> str:
        # under rounding, percentages of the rounded numbers, so they reveal no exact count
        if pol.round_to:
            n = round(n / pol.round_to) * pol.round_to
            d = round(d / pol.round_to) * pol.round_to
        return "NaN" if not d else f"{100 * n / d:.{self.decimals}f}"
