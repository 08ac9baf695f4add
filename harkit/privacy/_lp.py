"""Linear relations between published cells, and the interval each hidden cell can take.

An attacker who sees a published table knows linear relations between its cells (a row of
a cross-table adds up to its total) and bounds on each cell (a shown count is exact, or
within the rounding; a hidden count is at least 1). The smallest and largest value a cell
can take under these is found with two linear programs (scipy's HiGHS).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from harkit.privacy._grid import Grid
from harkit.privacy.policies import rounding_range

#: Reduced costs smaller than this are zero (HiGHS works in double precision).
_TOL = 1e-7


@dataclasses.dataclass
class _Problem:
    """The part of a system that bears on one cell: free cells connected to it."""

    cols: np.ndarray          # cells kept (free, in the cell's component)
    k: int                    # position of the cell among ``cols``
    a: np.ndarray             # relations kept, over ``cols`` (equalities first)
    b: np.ndarray             # their constants, with fixed cells moved over
    n_eq: int
    rows: np.ndarray          # positions of the relations kept in the full system


@dataclasses.dataclass
class LinearSystem:
    """Linear relations ``A_eq x = b_eq`` and ``A_ub x <= b_ub`` over ``n`` cells."""

    n: int
    eq: list[tuple[dict[int, float], float]] = dataclasses.field(default_factory=list)
    ub: list[tuple[dict[int, float], float]] = dataclasses.field(default_factory=list)
    _cache: tuple | None = None

    def add(self, coefs: dict[int, float], rhs: float, sense: str = "==") -> None:
        """Add ``sum(coef * x[k]) == rhs`` (or ``<= rhs``)."""
        (self.eq if sense == "==" else self.ub).append((coefs, float(rhs)))
        self._cache = None

    def extend(self, other: LinearSystem, offset: int) -> None:
        """Add the relations of ``other``, its cell ``k`` being cell ``offset + k`` here."""
        for rows, mine in ((other.eq, self.eq), (other.ub, self.ub)):
            mine += [({offset + k: v for k, v in coefs.items()}, rhs) for coefs, rhs in rows]
        self._cache = None

    def _matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """All relations as one dense matrix (equalities first) and their constants."""
        if self._cache is None:
            rows = self.eq + self.ub
            a = np.zeros((len(rows), self.n))
            for r, (coefs, _) in enumerate(rows):
                a[r, list(coefs)] = list(coefs.values())
            self._cache = (a, np.array([rhs for _, rhs in rows], dtype=float))
        return self._cache

    def _problem(self, k: int, lo: np.ndarray, hi: np.ndarray) -> _Problem:
        """Drop fixed cells (moving them to the constants) and unconnected relations.

        Only the free cells linked to ``k`` through relations can change its bounds, so
        the LP shrinks from every cell of the table to the hidden ones around ``k``.
        """
        a, b = self._matrix()
        fixed = lo == hi
        b = b - a[:, fixed] @ lo[fixed]
        touch = (a != 0) & ~fixed[None, :]
        cols = np.zeros(self.n, bool)
        cols[k] = True
        rows = np.zeros(a.shape[0], bool)
        while True:  # grow the component of k: relations on its cells, cells in them
            new_rows = touch[:, cols].any(axis=1)
            new_cols = touch[new_rows].any(axis=0) | cols
            if new_cols.sum() == cols.sum() and new_rows.sum() == rows.sum():
                break
            rows, cols = new_rows, new_cols
        keep, r_ix = np.flatnonzero(cols), np.flatnonzero(rows)
        return _Problem(keep, int(np.searchsorted(keep, k)), a[np.ix_(r_ix, keep)], b[r_ix],
                        int((r_ix < len(self.eq)).sum()), r_ix)

    def interval(self, k: int, lo: np.ndarray, hi: np.ndarray, *, integer: bool = False
                 ) -> tuple[float, float, np.ndarray]:
        """Smallest and largest value of cell ``k`` under the relations and bounds.

        Parameters
        ----------
        k : int
            The cell.
        lo, hi : numpy.ndarray
            Bounds of every cell (``hi`` may be ``inf``).
        integer : bool, default False
            Solve over whole numbers (``scipy.optimize.milp``) instead of the LP relaxation.

        Returns
        -------
        lo_k, hi_k : float
            The interval, rounded inwards to whole numbers (``hi_k`` is ``inf`` if unbounded).
        limiting : numpy.ndarray
            Booleans: cells whose bounds limit the interval (non-zero reduced cost in either
            LP). Relaxing the bounds of other cells cannot widen it (LP duality: the same dual
            solution stays feasible and keeps its value). All False with ``integer=True``.
        """
        limiting = np.zeros(self.n, bool)
        if lo[k] == hi[k]:
            return float(lo[k]), float(hi[k]), limiting
        prob = self._problem(k, lo, hi)
        if integer:
            return (*_milp_interval(prob, lo, hi), limiting)
        out = []
        for sign in (1.0, -1.0):
            res = _solve(prob, sign, lo, hi)
            if res is None:
                out.append(np.inf)
                continue
            out.append(sign * res.fun)
            limiting |= self._limiting(prob, res)
        return _whole(out[0], out[1]) + (limiting,)

    def _limiting(self, prob: _Problem, res: object) -> np.ndarray:
        """Cells with a non-zero reduced cost: free ones from HiGHS, fixed ones from duals."""
        a, _ = self._matrix()
        y = np.zeros(a.shape[0])
        y[prob.rows[:prob.n_eq]] = res.eqlin.marginals
        if len(prob.rows) > prob.n_eq:
            y[prob.rows[prob.n_eq:]] = res.ineqlin.marginals
        out = np.abs(a.T @ y) > _TOL  # reduced cost of a fixed cell (its objective is 0)
        free = (np.abs(res.lower.marginals) > _TOL) | (np.abs(res.upper.marginals) > _TOL)
        out[prob.cols] = free
        return out


def _solve(prob: _Problem, sign: float, lo: np.ndarray, hi: np.ndarray) -> object | None:
    """Minimise ``sign * x_k`` with HiGHS; None if unbounded."""
    from scipy.optimize import linprog

    c = np.zeros(len(prob.cols))
    c[prob.k] = sign
    n_eq = prob.n_eq
    res = linprog(c, A_ub=prob.a[n_eq:] if len(prob.b) > n_eq else None,
                  b_ub=prob.b[n_eq:] if len(prob.b) > n_eq else None,
                  A_eq=prob.a[:n_eq] if n_eq else None, b_eq=prob.b[:n_eq] if n_eq else None,
                  bounds=np.column_stack([lo[prob.cols], hi[prob.cols]]), method="highs")
    if res.status == 3:
        return None
    if res.status != 0:
        raise RuntimeError(f"the counts do not satisfy the relations: {res.message}")
    return res


def _whole(lo: float, hi: float) -> tuple[float, float]:
    # Counts are whole numbers: round the interval inwards (with a tolerance for HiGHS).
    lo = float(np.ceil(lo - 1e-6)) + 0.0  # no -0.0
    return lo, (float(np.floor(hi + 1e-6)) if np.isfinite(hi) else np.inf)


def _milp_interval(prob: _Problem, lo: np.ndarray, hi: np.ndarray) -> tuple[float, float]:
    from scipy.optimize import Bounds, LinearConstraint, milp

    n_eq, m = prob.n_eq, len(prob.cols)
    cons = []
    if n_eq:
        cons.append(LinearConstraint(prob.a[:n_eq], prob.b[:n_eq], prob.b[:n_eq]))
    if len(prob.b) > n_eq:
        cons.append(LinearConstraint(prob.a[n_eq:], -np.inf, prob.b[n_eq:]))
    out = []
    for sign in (1.0, -1.0):
        c = np.zeros(m)
        c[prob.k] = sign
        res = milp(c, constraints=cons, integrality=np.ones(m),
                   bounds=Bounds(lo[prob.cols], hi[prob.cols]))
        if res.status == 0:
            out.append(sign * res.fun)
        elif sign < 0 and res.status in (3, 4):  # unbounded above (HiGHS may say "other")
            out.append(np.inf)
        else:
            raise RuntimeError(f"no whole-number solution: {res.message}")
    return _whole(out[0], out[1])


# --------------------------------------------------------------------------- grids


@dataclasses.dataclass
class GridSystem:
    """The cells of one grid as variables of a :class:`LinearSystem`, with its relations.

    Attributes
    ----------
    grid : Grid
    cells : numpy.ndarray
        (n, 2) grid positions of the variables (every cell of the grid).
    index : numpy.ndarray
        (R, C) variable of each grid position (-1: no cell).
    system : LinearSystem
    notes : list of str
        Assumptions made: public sums where a table has no margin, lines that do not add
        up to their total.
    """

    grid: Grid
    cells: np.ndarray
    index: np.ndarray
    system: LinearSystem
    notes: list[str]

    def bounds(self, hidden: np.ndarray, shown: np.ndarray, *, threshold: int,
               round_to: int | None, hidden_min: float = 1.0,
               hidden_max: np.ndarray | None = None, shown_rule: bool = True
               ) -> tuple[np.ndarray, np.ndarray]:
        """Bounds of every variable as an attacker who knows the rule sees them.

        Parameters
        ----------
        hidden : numpy.ndarray
            (R, C) booleans: hidden cells.
        shown : numpy.ndarray
            (R, C) published values of the shown cells (rounded if ``round_to``).
        threshold, round_to : int
            The policy of the publication.
        hidden_min : float, default 1
            Least value of a hidden cell: 1 when zeros are never hidden (harkit's rule).
        hidden_max : numpy.ndarray, optional
            (R, C) greatest value of each hidden cell (a ``"<5"`` marker says 4).
        shown_rule : bool, default True
            A shown non-zero count is at least ``threshold`` (it would be hidden otherwise).

        Returns
        -------
        lo, hi : numpy.ndarray
            Per variable.
        """
        lo, hi = attacker_bounds(shown, hidden, threshold=threshold, round_to=round_to,
                                 rounded=~self.grid.fixed, hidden_min=hidden_min,
                                 hidden_max=hidden_max, shown_rule=shown_rule)
        i, j = self.cells[:, 0], self.cells[:, 1]
        return lo[i, j], hi[i, j]


def attacker_bounds(shown: np.ndarray, hidden: np.ndarray, *, threshold: int,
                    round_to: int | None, rounded: np.ndarray | None = None,
                    hidden_min: float = 1.0, hidden_max: np.ndarray | None = None,
                    shown_rule: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of cells as an attacker who knows the publication rule sees them.

    A shown cell is exact, or any count that rounds to what is shown; a hidden cell is
    ``hidden_min`` or more. Shared by grids (:meth:`GridSystem.bounds`) and by the linked
    result tables of :mod:`harkit._disclosure`.

    Parameters
    ----------
    shown : numpy.ndarray
        Published values of the shown cells (rounded if ``round_to``); any shape.
    hidden : numpy.ndarray
        Booleans, same shape: hidden cells.
    threshold, round_to : int
        The policy of the publication.
    rounded : numpy.ndarray, optional
        Booleans: shown cells that were rounded (default all).
    hidden_min : float, default 1
        Least value of a hidden cell.
    hidden_max : numpy.ndarray, optional
        Greatest value of each hidden cell.
    shown_rule : bool, default True
        A shown non-zero count is at least ``threshold`` (it would be hidden otherwise).

    Returns
    -------
    lo, hi : numpy.ndarray
        Same shape as ``shown``.
    """
    lo, hi = shown.astype(float), shown.astype(float)
    if round_to:
        rounded = np.ones(shown.shape, bool) if rounded is None else rounded
        r_lo, r_hi = rounding_range(shown, round_to)
        lo = np.where(rounded, np.maximum(r_lo, 0), lo)
        hi = np.where(rounded, r_hi, hi)
        if shown_rule:
            lo = np.where(rounded & (shown > 0), np.maximum(lo, threshold), lo)
            hi = np.where(rounded & (shown == 0) & (hi < threshold), 0.0, hi)
    lo[hidden] = hidden_min
    hi[hidden] = np.inf if hidden_max is None else hidden_max[hidden]
    return lo, hi


def grid_system(grid: Grid, *, truth: bool = True) -> GridSystem:
    """The relations an attacker knows between the cells of ``grid``.

    Parameters
    ----------
    grid : Grid
    truth : bool, default True
        ``grid.values`` are the true counts: a line without a margin in the table gets its
        true sum as a public constant, and each line is checked against its total (a line
        adding to less has an unpublished remainder: ``<=``; to more: not additive, left
        out). False (published values only): lines without margins give no relation and
        every line with a margin is taken as adding up.

    Returns
    -------
    GridSystem
    """
    exists = grid.exists
    cells = np.argwhere(exists)
    index = np.full(grid.values.shape, -1)
    index[exists] = np.arange(len(cells))
    system = LinearSystem(len(cells))
    notes: list[str] = []
    for axis, name in ((0, "row"), (1, "column")):
        _line_relations(grid, index, system, axis, name, truth, notes)
    return GridSystem(grid, cells, index, system, list(dict.fromkeys(notes)))


def _line_relations(grid: Grid, index: np.ndarray, system: LinearSystem, axis: int,
                    name: str, truth: bool, notes: list[str]) -> None:
    """Relations of every row (axis 0) or column (axis 1) of the grid."""
    values = grid.values if axis == 0 else grid.values.T
    ix = index if axis == 0 else index.T
    across = grid.margin_cols if axis == 0 else grid.margin_rows
    labels = grid.row_labels if axis == 0 else grid.col_labels
    for line in range(values.shape[0]):
        inner = [k for k in ix[line, ~across] if k >= 0]
        totals = [k for k in ix[line, across] if k >= 0]
        if not inner:
            continue
        true_sum = np.nansum(values[line, ~across])
        if not totals:
            if truth:  # no total in the table: assumed public (published elsewhere)
                system.add(dict.fromkeys(inner, 1.0), true_sum)
                notes.append(f"{name} sums not in the table are assumed public")
            continue
        for k, total in zip(totals, values[line, across][ix[line, across] >= 0]):
            coefs = {**dict.fromkeys(inner, 1.0), k: -1.0}
            if not truth or true_sum == total:
                system.add(coefs, 0.0)
            elif true_sum < total:
                system.add(coefs, 0.0, "<=")
                notes.append(f"{name} {labels[line]!r} adds to less than its total "
                             "(an unpublished remainder)")
            else:
                notes.append(f"{name} {labels[line]!r} adds to more than its total "
                             "(not additive): no relation used")
