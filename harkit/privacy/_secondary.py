"""Secondary (complementary) suppression of one grid: the line rule, then the audit loop.

Protection rule (see :func:`harkit.privacy.suppress`): every primary cell's interval
``[lo, hi]`` under the published table must have ``hi - lo >= threshold``.

Cost: the line rule is linear in the cells per pass. The audit loop solves two LPs per
primary cell, and two more per complement it adds, so a table with ``p`` primary cells and
``m`` cells needs at most ``2 (p + m)`` LPs of ``m`` variables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from harkit.privacy._grid import Grid
from harkit.privacy._lp import GridSystem, LinearSystem, grid_system
from harkit.privacy.policies import round_counts


def hideable(grid: Grid) -> np.ndarray:
    """Cells the audit loop may choose as complements: the non-zero counts of the table.

    A zero adds little cover (its cell can only be 0 or more) and, as long as no zero is
    hidden, the attacker knows every hidden cell is at least 1 (the audit assumes so).
    """
    return grid.exists & ~grid.fixed & (np.nan_to_num(grid.values) > 0)


def hidden_min(grid: Grid, mask: np.ndarray) -> float:
    """Least value of a hidden cell an attacker can assume: 0 once a zero is hidden."""
    return 0.0 if (mask & grid.exists & (np.nan_to_num(grid.values) == 0)).any() else 1.0


def line_rule(grid: Grid, mask: np.ndarray, *, old: bool = False) -> None:
    """Hide complements until no row or column has exactly one hidden cell (in place).

    The cheapest complement of a line is its smallest non-zero interior cell, then its
    smallest margin; a zero only as a last resort, when the line has nothing else to hide
    (a zero then is all that stops subtraction; the audit assumes hidden counts >= 0 for
    such a table). ``old=True`` is the rule harkit used before the audit (zeros before
    margins), kept to measure what the audit adds.
    """
    ok = grid.exists & ~grid.fixed
    margin = grid.margin
    zero = np.nan_to_num(grid.values) == 0
    n_r, n_c = grid.values.shape
    lines = [[(i, j) for j in range(n_c) if ok[i, j] or mask[i, j]] for i in range(n_r)]
    lines += [[(i, j) for i in range(n_r) if ok[i, j] or mask[i, j]] for j in range(n_c)]

    def cost(ij: tuple[int, int]) -> tuple:
        order = (margin[ij], zero[ij]) if old else (zero[ij], margin[ij])
        return (*order, grid.values[ij], ij)

    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(mask[ij] for ij in line) != 1:
                continue
            candidates = [ij for ij in line if not mask[ij] and ok[ij]]
            if candidates:
                mask[min(candidates, key=cost)] = True
                changed = True


def protect(grid: Grid, mask: np.ndarray, primary: np.ndarray, *, threshold: int,
            round_to: int | None) -> list[tuple[int, int]]:
    """Hide complements until every primary cell passes the audit (``mask`` in place).

    Parameters
    ----------
    grid : Grid
    mask : numpy.ndarray
        (R, C) hidden cells; the primary cells must be hidden already.
    primary : numpy.ndarray
        (R, C) primary cells.
    threshold, round_to : int
        The policy. With exact counts, :func:`line_rule` runs first and after each new
        complement; with rounding it does not (a line with one hidden cell among rounded
        counts is not necessarily disclosed: the audit decides).

    Returns
    -------
    list of (int, int)
        Primary cells that cannot be protected by hiding more cells.
    """
    use_lines = not round_to
    if use_lines:
        line_rule(grid, mask)
    gs = grid_system(grid)
    shown = np.where(grid.fixed, 0.0, round_counts(grid.values, round_to))
    i, j = gs.cells[:, 0], gs.cells[:, 1]

    def hide(k: int) -> None:
        mask[i[k], j[k]] = True
        if use_lines:
            line_rule(grid, mask)

    def bounds() -> tuple[np.ndarray, np.ndarray]:
        return gs.bounds(mask, shown, threshold=threshold, round_to=round_to,
                         hidden_min=hidden_min(grid, mask))

    failed = widen(gs.system, gs.index[primary & grid.exists], threshold=threshold,
                   hidden=lambda: mask[i, j], hide=hide, bounds=bounds,
                   hideable=hideable(grid)[i, j], cost=_costs(grid, gs),
                   certified=lambda k: cycle_width(grid, mask, (i[k], j[k]),
                                                   hidden_min(grid, mask)) >= threshold)
    return [tuple(gs.cells[k]) for k in failed]


def widen(system: LinearSystem, primary: Iterable[int], *, threshold: int,
          hidden: Callable[[], np.ndarray], hide: Callable[[int], None],
          bounds: Callable[[], tuple[np.ndarray, np.ndarray]], hideable: np.ndarray,
          cost: np.ndarray, certified: Callable[[int], bool] | None = None) -> list[int]:
    """Hide complements until every primary cell's interval is ``threshold`` wide.

    The one protection rule of harkit: a primary (small) cell is protected when the
    smallest and largest value it can take under ``system`` and the attacker's bounds are
    at least ``threshold`` apart (so no value 1..threshold-1 is pinned). Used for grids by
    :func:`protect` and for linked result tables by :func:`harkit._disclosure.protect`.

    Parameters
    ----------
    system : LinearSystem
        The relations an attacker knows between the cells (variables).
    primary : iterable of int
        Variables that must be protected.
    threshold : int
        Least width of a protected interval.
    hidden : callable
        ``hidden()`` gives the current hidden variables (booleans).
    hide : callable
        ``hide(k)`` hides variable ``k`` (and whatever else the caller's rules then hide).
    bounds : callable
        ``bounds()`` gives ``(lo, hi)`` of every variable as the attacker sees the table
        now.
    hideable : numpy.ndarray
        Booleans: variables that may be chosen as complements.
    cost : numpy.ndarray
        Complements of least cost are hidden first.
    certified : callable, optional
        ``certified(k)``: a cheap proof that ``k`` is protected (skips its LPs).

    Returns
    -------
    list of int
        Primary variables that cannot be protected by hiding more cells.
    """
    failed = []
    # Hiding only widens intervals, so a cell once protected stays protected: each primary
    # cell is audited until it passes, and each failed audit hides one more cell.
    for k in primary:
        k = int(k)
        while True:
            if certified is not None and certified(k):
                break  # a certificate without LP
            lo, hi = bounds()
            a, b, limiting = system.interval(k, lo, hi)
            if b - a >= threshold:
                break
            cand = np.flatnonzero(limiting & hideable & ~hidden())
            if not len(cand):  # no cell whose hiding could widen it (LP duality)
                failed.append(k)
                break
            hide(int(cand[np.argmin(cost[cand])]))
    return failed


def cycle_width(grid: Grid, mask: np.ndarray, cell: tuple[int, int],
                least: float = 1.0) -> float:
    """A lower bound on the width of a hidden cell's interval, without LP.

    Take a rectangle of hidden cells with the cell at one corner. Adding ``d`` at two
    opposite corners and taking it from the other two keeps every interior row and column
    sum; with margins the change at a margin cell has the opposite sign (a row total
    moves with its row). Every shown cell stays as it is, so the true table can be moved
    up (and down) by the largest ``d`` that keeps each decreasing corner at least
    ``least`` (1, or 0 once a zero is hidden), and
    the interval is at least as wide as the best move up plus the best move down.
    """
    i, j = cell
    v = np.nan_to_num(grid.values)
    hid = mask & grid.exists
    ok = hid & hid[i, :][None, :] & hid[:, j][:, None]
    ok[i, :] = False
    ok[:, j] = False
    if not hid[i, j] or not ok.any():
        return 0.0
    sign = np.where(grid.margin_rows, -1, 1)[:, None] * np.where(grid.margin_cols, -1, 1)
    sign = sign * sign[i, j]
    room = v - least
    corners = [(room[i, :][None, :], -sign[i, :][None, :]),   # same row
               (room[:, j][:, None], -sign[:, j][:, None]),   # same column
               (room, sign)]                                  # opposite corner
    width = 0.0
    for direction in (1, -1):  # up: the corners whose change is negative limit d
        limit = np.full(v.shape, np.inf) if direction == 1 else np.full(v.shape, room[i, j])
        for r, s in corners:
            limit = np.minimum(limit, np.where(s * direction < 0, r, np.inf))
        width += float(limit[ok].max())
    return width


def _costs(grid: Grid, gs: GridSystem) -> np.ndarray:
    """Order in which complements are taken: interior cells by size, then margins."""
    i, j = gs.cells[:, 0], gs.cells[:, 1]
    big = np.nanmax(grid.values) + 1 if grid.values.size else 1.0
    return np.nan_to_num(grid.values[i, j]) + grid.margin[i, j] * big
