"""Attack published tables: the interval each hidden count can take given what is shown.

:func:`audit` checks one table (wide, or long with strata) against its true counts;
:func:`attack_tables` attacks several published tables at once, through the relations
between their cells (shared margins), without the true counts.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from harkit.privacy._grid import Grid, grids
from harkit.privacy._lp import GridSystem, LinearSystem, grid_system
from harkit.privacy.policies import get_policy
from harkit.privacy.suppression import count_array, default_columns, suppress

_LESS_THAN = re.compile(r"^<\s*(\d+)$")
_AUDIT_COLUMNS = ["row", "col", "cell", "primary", "hidden", "value", "lo", "hi", "width",
                  "protected"]


def audit(
    table: pd.DataFrame,
    published: pd.DataFrame | None = None,
    columns: Sequence[str] | None = None,
    *,
    threshold: int | None = None,
    round_to: int | None = None,
    rows: str | None = None,
    cols: str | None = None,
    by: str | Sequence[str] | None = None,
    total: Any = "Total",
) -> pd.DataFrame:
    """The interval each hidden count can take, given everything the table publishes.

    For every hidden cell (and every small count left visible), two linear programs (scipy's
    HiGHS) find the least and greatest value it can take under: the shown counts, the
    margins (hidden ones too), every row and column adding up to its total, and the
    bounds an attacker who knows the rule has (see Notes).

    Parameters
    ----------
    table : pandas.DataFrame
        The true counts, in any form :func:`suppress` takes: wide (with or without margins),
        or long with ``rows``/``cols`` (and ``by`` strata).
    published : pandas.DataFrame, optional
        What is published: the output of :func:`suppress` on ``table`` (same shape), or any
        table in which hidden counts are text that is not a number (``"*"``, ``"<5"``) and
        shown counts are numbers (possibly rounded). Default: ``suppress(table, ...,
        secondary=True)`` with the arguments given here.
    columns : sequence of str, optional
        The count columns. Default: every integer column of ``table`` (but the keys).
    threshold : int, optional
        Default: ``published.attrs["suppression_threshold"]``, else the policy in force.
    round_to : int, optional
        Shown counts are rounded to this (0: exact). Default:
        ``published.attrs["suppression_round_to"]``, else the policy in force.
    rows, cols, by, total
        As for :func:`suppress`.

    Returns
    -------
    pandas.DataFrame
        One row per hidden cell, plus any small count shown: ``stratum`` (long tables with
        ``by``), ``row``, ``col``, ``cell`` (a readable name), ``primary`` (a count
        1..threshold-1), ``hidden``, ``value`` (the true count), ``lo`` and ``hi`` (the
        interval, whole numbers; ``hi`` may be ``inf``), ``width`` (``hi - lo``) and
        ``protected``: for a primary cell, hidden with ``width >= threshold``; always True
        for a complementary cell (it is not small; only its use as a cover matters).
        ``attrs``: ``threshold``, ``round_to``, ``protected`` (every primary cell is) and
        ``notes`` (the assumptions made, in words).

    Raises
    ------
    ValueError
        If ``published`` does not have the shape of ``table`` or is not consistent with its
        counts.

    Notes
    -----
    What the attacker is assumed to know:

    - a shown count exactly, or with rounding that the true count ``x`` rounds to the
      shown ``c``: ``c - round_to/2 <= x <= c + round_to/2``, where a count exactly halfway
      belongs to the even multiple only (for ``round_to=5`` there is no such count: a shown
      10 is 8..12); and that a shown non-zero count is at least ``threshold``;
    - a hidden count is at least 1 (harkit hides a zero only where a row or column has
      nothing else to hide; in a table or stratum where a zero is hidden, 0 is used) and,
      with a marker ``"<5"``, at most 4;
    - every row and column adds up to its total. A line whose total is not in the table
      is assumed to have a public total (it usually is published in another table; this is
      the cautious choice). A line adding to less than its total (e.g. a missing category
      not shown) gives ``<=``; one adding to more is not additive and gives nothing.

    For one cross-table (and strata of one) these relations are totally unimodular, so the
    LP bounds are the whole-number bounds an integer attacker would find: the LP is exact,
    not an approximation. The cells of different strata are not related.

    Examples
    --------
    >>> g = pd.DataFrame({"a": [3, 10, 13], "b": [20, 30, 50]}, index=["x", "y", "Total"])
    >>> res = audit(g)  # x/a = 3 is hidden with x/b, y/a and y/b
    >>> res.loc[0, "cell"], int(res.loc[0, "lo"]), int(res.loc[0, "hi"])
    ("row 'x', column 'a'", 1, 12)
    """
    if published is None:
        published = suppress(table, columns, threshold=threshold, round_to=round_to,
                             rows=rows, cols=cols, by=by, total=total, secondary=True)
    if published.shape != table.shape:
        raise ValueError(f"published has shape {published.shape}, table {table.shape}")
    threshold, round_to = _published_policy(published, threshold, round_to)
    if columns is None:
        columns = default_columns(table, rows, cols, by)
    columns = list(columns)
    values = count_array(table, columns)
    hidden, shown, most = parse_published(published, columns)
    known = _knowledge(values, hidden, threshold)
    frames, notes = [], [known["note"]]
    for grid in grids(table, columns, values, rows=rows, cols=cols, by=by, total=total):
        frame, grid_notes = _audit_grid(grid, hidden, shown, most, threshold, round_to, known)
        if len(frame):
            frames.append(frame)
        notes += grid_notes
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["stratum", *_AUDIT_COLUMNS])
    if by is None and "stratum" in out:
        out = out.drop(columns="stratum")
    out.attrs.update({"threshold": threshold, "round_to": round_to,
                      "protected": bool(out["protected"].all()),
                      "notes": list(dict.fromkeys(notes))})
    return out


def _published_policy(published: pd.DataFrame, threshold: int | None,
                      round_to: int | None) -> tuple[int, int | None]:
    """Threshold and rounding: given, else those the publication records, else the policy."""
    pol = get_policy()
    if threshold is None:
        threshold = published.attrs.get("suppression_threshold", pol.threshold)
    if round_to is None:
        round_to = published.attrs.get("suppression_round_to", pol.round_to)
    return int(threshold), int(round_to) if round_to else None


def parse_published(published: pd.DataFrame, columns: Sequence[str]
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hidden cells, shown values and the most a hidden cell can be, from published text.

    Parameters
    ----------
    published : pandas.DataFrame
    columns : sequence of str

    Returns
    -------
    hidden : numpy.ndarray
        (n_rows, n_columns) booleans: text that is not a number (a marker).
    shown : numpy.ndarray
        Shown values (NaN where hidden or empty).
    most : numpy.ndarray
        Greatest value of a hidden cell: ``N - 1`` for a marker ``"<N"``, else ``inf``.
    """
    n, k = len(published), len(columns)
    hidden = np.zeros((n, k), bool)
    shown = np.full((n, k), np.nan)
    most = np.full((n, k), np.inf)
    for j, col in enumerate(columns):
        for i, v in enumerate(published[col].to_numpy()):
            if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "":
                continue
            text = str(v).strip().replace(",", "")
            try:
                shown[i, j] = float(text)
            except ValueError:
                hidden[i, j] = True
                m = _LESS_THAN.match(text)
                most[i, j] = int(m.group(1)) - 1 if m else np.inf
    return hidden, shown, most


def _knowledge(values: np.ndarray, hidden: np.ndarray, threshold: int) -> dict:
    """What an attacker can assume about the shown cells of this publication."""
    small_shown = bool((~hidden & (values > 0) & (values < threshold)).any())
    note = ("a shown non-zero count is at least the threshold" if not small_shown
            else "a small count is shown: shown counts are only known to be >= 0")
    return {"shown_rule": not small_shown, "note": note}


def _audit_grid(grid: Grid, hidden: np.ndarray, shown: np.ndarray, most: np.ndarray,
                threshold: int, round_to: int | None, known: dict
                ) -> tuple[pd.DataFrame, list[str]]:
    gs = grid_system(grid)
    h = grid.gather(hidden)
    s = np.where(grid.fixed, 0.0, np.nan_to_num(grid.gather(shown, fill=0.0)))
    v = grid.values
    primary = (v > 0) & (v < threshold)
    # harkit hides a zero only as a last resort; where one is hidden, 0 is possible anywhere
    least = 0.0 if (h & (v == 0)).any() else 1.0
    lo, hi = gs.bounds(h, s, threshold=threshold, round_to=round_to, hidden_min=least,
                       hidden_max=grid.gather(most, np.inf), shown_rule=known["shown_rule"])
    rows = []
    for i, j in zip(*np.nonzero(h | primary)):
        try:
            a, b, _ = gs.system.interval(int(gs.index[i, j]), lo, hi)
        except RuntimeError as err:
            raise ValueError(f"published is not consistent with the counts of table ({err})"
                             ) from None
        rows.append({"stratum": grid.stratum, "row": grid.row_labels[i],
                     "col": grid.col_labels[j], "cell": grid.label(i, j),
                     "primary": bool(primary[i, j]), "hidden": bool(h[i, j]),
                     "value": float(v[i, j]), "lo": a, "hi": b, "width": b - a,
                     "protected": bool(not primary[i, j] or (h[i, j] and b - a >= threshold))})
    prefix = "" if grid.stratum is None else f"stratum {grid.stratum!r}: "
    notes = gs.notes + [f"hidden counts are at least {least:.0f}"
                        + (" (a zero is hidden)" if least == 0 else " (no zero is hidden)")]
    frame = pd.DataFrame(rows, columns=["stratum", *_AUDIT_COLUMNS])
    return frame, [prefix + note for note in notes]


# --------------------------------------------------------------------------- several tables

CellRef = tuple[str, Any, Any]


def attack_tables(
    tables: Mapping[str, pd.DataFrame],
    relations: Sequence[Mapping[CellRef, float] | tuple[Mapping[CellRef, float], float]] = (),
    *,
    columns: Mapping[str, Sequence[str]] | None = None,
    threshold: int | None = None,
    round_to: int | None = None,
    total: Any = "Total",
    link_margins: bool = True,
    integer: bool = True,
) -> pd.DataFrame:
    """Attack several published tables together: what can be learnt of each hidden count.

    Every published cell is a variable; the attacker knows the relations inside each table
    (rows and columns add up to their totals, where the table has totals), the relations
    between tables (shared margins, and any given in ``relations``), and the bounds of
    :func:`audit` (shown counts exact or within their rounding and at least ``threshold``;
    hidden counts at least 1, or 0 if no solution has them all at least 1, and at most
    ``N - 1`` under a ``"<N"`` marker). The least and
    greatest value of each hidden cell is then found by integer programming
    (``scipy.optimize.milp``; linked tables are not totally unimodular, so the LP
    relaxation could miss what a whole-number attack finds).

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Published wide tables (e.g. outputs of :func:`suppress`), by name. Margins are
        recognised as in :func:`suppress` (``total``).
    relations : sequence, optional
        Further relations between published cells: each a mapping ``{(table, row, col):
        coefficient}`` meaning the weighted sum is 0, or a pair ``(mapping, constant)``
        meaning it equals the constant. ``row`` is an index label, ``col`` a column.
    columns : mapping of str to sequence of str, optional
        Count columns per table. Default: every column whose entries are all numbers,
        markers (``"*"``, ``"<N"``) or empty, with at least one number or marker.
    threshold, round_to : int, optional
        The policy the tables were published under (``round_to=0``: exact). Default: a
        table's ``attrs`` (as set by :func:`suppress`), else the policy in force.
    total : scalar, default "Total"
        Label of the margins.
    link_margins : bool, default True
        Margins with the same label on the same axis in different tables are the same count
        (e.g. the ``Total`` row of ``sex x cause`` and of ``age x cause`` both give deaths
        per cause), and so are the grand totals. Turn off when labels collide across
        different variables, and give ``relations`` instead.
    integer : bool, default True
        Whole-number bounds (MILP); False uses the faster LP relaxation (never narrower).

    Returns
    -------
    pandas.DataFrame
        One row per hidden cell: ``table``, ``row``, ``col``, ``lo``, ``hi``, ``width``,
        ``exact`` (``lo == hi``), ``disclosed`` (a small count recovered exactly: ``lo ==
        hi`` in 1..threshold-1) and ``narrowed`` (the cell may be small, ``lo <
        threshold``, and the attack narrows it below the protection rule, ``hi - lo <
        threshold``, where its marker alone allowed more). ``attrs["disclosed"]`` and
        ``attrs["narrowed"]`` list those cells as ``(table, row, col)``;
        ``attrs["hidden_min"]`` is the least value assumed for a hidden count.

    Raises
    ------
    ValueError
        If the relations contradict the published values (the tables do not share those
        margins) or name an unknown cell.
    """
    parts = [_part(name, pub, columns, total, threshold, round_to)
             for name, pub in tables.items()]
    system = _joint_system(parts, link_margins, relations)
    lo = np.concatenate([p.lo for p in parts])
    hi = np.concatenate([p.hi for p in parts])
    try:
        out = _attack_cells(parts, system, lo, hi, integer)
    except RuntimeError:
        # harkit hides a zero only as a last resort; if one is, "at least 1" is wrong
        lo = np.where(np.concatenate([p.hidden_vars for p in parts]), 0.0, lo)
        try:
            out = _attack_cells(parts, system, lo, hi, integer)
        except RuntimeError as err:
            raise ValueError(
                f"the relations contradict the published values ({err}); do labels of "
                "different variables collide? Use link_margins=False and relations="
            ) from None
    out.attrs["hidden_min"] = int(lo[np.concatenate([p.hidden_vars for p in parts])].min(
        initial=1))
    for flag in ("disclosed", "narrowed"):
        out.attrs[flag] = [tuple(r) for r in
                           out.loc[out[flag], ["table", "row", "col"]].to_numpy()]
    return out


def _attack_cells(parts: list[_Part], system: LinearSystem, lo: np.ndarray,
                  hi: np.ndarray, integer: bool) -> pd.DataFrame:
    """Bounds of every hidden cell of every table under the joint system."""
    rows = []
    for p in parts:
        for i, j in zip(*np.nonzero(p.hidden)):
            k = p.offset + int(p.gs.index[i, j])
            a, b, _ = system.interval(k, lo, hi, integer=integer)
            small_possible = a < p.threshold
            rows.append({"table": p.name, "row": p.gs.grid.row_labels[i],
                         "col": p.gs.grid.col_labels[j], "lo": a, "hi": b, "width": b - a,
                         "exact": a == b,
                         # below the rule, and narrower than its marker alone says
                         "narrowed": bool(small_possible and b - a < p.threshold
                                          and b - a < hi[k] - lo[k]),
                         "disclosed": bool(small_possible and a == b and a >= 1)})
    return pd.DataFrame(rows, columns=["table", "row", "col", "lo", "hi", "width", "exact",
                                       "narrowed", "disclosed"])


@dataclasses.dataclass
class _Part:
    """One published table as a block of variables of the joint system."""

    name: str
    gs: GridSystem
    threshold: int
    hidden: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    offset: int = 0

    @property
    def hidden_vars(self) -> np.ndarray:
        """Per variable of this table: hidden or not."""
        return self.hidden[self.gs.cells[:, 0], self.gs.cells[:, 1]]


def _part(name: str, pub: pd.DataFrame, columns: Mapping[str, Sequence[str]] | None,
          total: Any, threshold: int | None, round_to: int | None) -> _Part:
    cols = list(columns[name]) if columns and name in columns else _count_columns(pub)
    hidden, shown, most = parse_published(pub, cols)
    # hidden cells are cells of unknown value: 0 is a placeholder, never used
    grid = grids(pub, cols, np.where(hidden, 0.0, shown), total=total)[0]
    gs = grid_system(grid, truth=False)
    thr, rnd = _published_policy(pub, threshold, round_to)
    h = grid.gather(hidden)
    lo, hi = gs.bounds(h, np.nan_to_num(grid.values), threshold=thr, round_to=rnd,
                       hidden_max=grid.gather(most, np.inf))
    return _Part(name, gs, thr, h, lo, hi)


def _count_columns(pub: pd.DataFrame) -> list[str]:
    """Columns whose entries are all numbers, markers or empty (at least one not empty)."""
    out = []
    for col in pub.columns:
        text = [str(v).strip().replace(",", "") for v in pub[col].to_numpy()
                if not (v is None or (isinstance(v, float) and np.isnan(v)))]
        text = [t for t in text if t]
        if text and all(t == "*" or _LESS_THAN.match(t) or _is_number(t) for t in text):
            out.append(col)
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _joint_system(parts: list[_Part], link_margins: bool,
                  relations: Sequence) -> LinearSystem:
    """One system over the cells of every table, with the relations between tables."""
    offset = 0
    for p in parts:
        p.offset = offset
        offset += p.gs.system.n
    system = LinearSystem(offset)
    for p in parts:
        system.extend(p.gs.system, p.offset)
    if link_margins:
        _link_margins(parts, system)
    where = {p.name: p for p in parts}
    for rel in relations:
        coefs, rhs = (rel, 0.0) if isinstance(rel, Mapping) else rel
        system.add({_variable(where, ref): float(c) for ref, c in coefs.items()}, rhs)
    return system


def _variable(where: dict[str, _Part], ref: CellRef) -> int:
    name, row, col = ref
    if name not in where:
        raise ValueError(f"relation names table {name!r}; tables are {list(where)}")
    p = where[name]
    try:
        i, j = p.gs.grid.row_labels.index(row), p.gs.grid.col_labels.index(col)
    except ValueError:
        raise ValueError(f"relation names cell {ref!r}, not a count of that table") from None
    if p.gs.index[i, j] < 0:
        raise ValueError(f"relation names cell {ref!r}, which is empty")
    return p.offset + int(p.gs.index[i, j])


def _link_margins(parts: list[_Part], system: LinearSystem) -> None:
    """Equate margin cells with the same label on the same axis across tables."""
    seen: dict[tuple, int] = {}
    for p in parts:
        for key, k in _margin_cells(p.gs.grid, p.gs.index):
            if key in seen:
                system.add({seen[key]: 1.0, p.offset + k: -1.0}, 0.0)
            else:
                seen[key] = p.offset + k


def _margin_cells(grid: Grid, index: np.ndarray) -> list[tuple[tuple, int]]:
    """(axis, label) and variable of each margin cell of a grid (the first total line)."""
    out = []
    t_rows, t_cols = np.flatnonzero(grid.margin_rows), np.flatnonzero(grid.margin_cols)
    if len(t_rows):
        t = t_rows[0]
        out += [(("column margin", grid.col_labels[j]), int(index[t, j]))
                for j in np.flatnonzero(~grid.margin_cols) if index[t, j] >= 0]
    if len(t_cols):
        t = t_cols[0]
        out += [(("row margin", grid.row_labels[i]), int(index[i, t]))
                for i in np.flatnonzero(~grid.margin_rows) if index[i, t] >= 0]
    if len(t_rows) and len(t_cols) and index[t_rows[0], t_cols[0]] >= 0:
        out.append((("grand total",), int(index[t_rows[0], t_cols[0]])))
    return out
