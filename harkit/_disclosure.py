"""Small helpers the result builders share to show counts only through the privacy policy.

:mod:`harkit.privacy` owns the rules (:class:`~harkit.privacy.Policy`,
:func:`~harkit.privacy.suppress`, :func:`~harkit.privacy.format_count`); this module only
applies them the same way everywhere: a threshold of None means "the policy in force",
values derived from a hidden count are hidden with it, notes say what the policy did, and
:func:`recoverable` audits a set of linked tables for counts that subtraction would give away.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from harkit import privacy

__all__ = ["count_text", "hidden_cells", "plotted_counts", "plotted_ratio", "policy_for",
           "policy_note", "protect", "recoverable", "shown_number", "suppress_linked",
           "suppress_table",
           "threshold_for"]


def threshold_for(threshold: int | None) -> int:
    """The threshold to apply: ``threshold``, or the policy's when None.

    Parameters
    ----------
    threshold : int or None

    Returns
    -------
    int
    """
    return privacy.get_policy().threshold if threshold is None else int(threshold)


def policy_for(threshold: int | None = None) -> privacy.Policy:
    """The policy in force, with ``threshold`` put in when given.

    Parameters
    ----------
    threshold : int or None

    Returns
    -------
    harkit.privacy.Policy
    """
    pol = privacy.get_policy()
    if threshold is None or threshold == pol.threshold:
        return pol
    return dataclasses.replace(pol, threshold=int(threshold))


def count_text(n: Any, threshold: int | None = None) -> str:
    """One count as text under the policy (``"<5"``, ``"1,235"``), for notes and labels.

    Parameters
    ----------
    n : int or float
    threshold : int, optional
        Default: the policy's.

    Returns
    -------
    str
    """
    return privacy.format_count(n, policy=policy_for(threshold))


def policy_note(threshold: int | None = None, *, secondary: bool = False,
                extra: str = "") -> str:
    """The note a suppressed result carries: what the policy did, and how to opt out.

    Parameters
    ----------
    threshold : int, optional
        Default: the policy's.
    secondary : bool, default False
        Say that further cells were hidden (``*``) so that none can be worked out.
    extra : str
        A sentence on what else was hidden (derived estimates, exact event times).

    Returns
    -------
    str
    """
    text = f"Disclosure control: {policy_for(threshold).describe()}"
    if secondary:
        text += "; cells marked * are hidden so that no small count can be worked out " \
                "from totals"
    text += "."
    if extra:
        text += f" {extra}"
    return text + " (suppress=False shows the exact numbers; not for publication.)"


def hidden_cells(shown: pd.Series, raw: pd.Series) -> np.ndarray:
    """Cells of a suppressed count column that show a marker instead of a number.

    Parameters
    ----------
    shown : pandas.Series
        The column after :func:`harkit.privacy.suppress` (text).
    raw : pandas.Series
        The same column before.

    Returns
    -------
    numpy.ndarray of bool
    """
    num = pd.to_numeric(shown.astype(str).str.replace(",", "", regex=False), errors="coerce")
    return (num.isna() & pd.Series(raw).notna().to_numpy()).to_numpy()


def shown_number(shown: pd.Series) -> pd.Series:
    """The numbers of a suppressed count column (NaN where hidden), for plotting.

    Parameters
    ----------
    shown : pandas.Series

    Returns
    -------
    pandas.Series of float
    """
    return pd.to_numeric(shown.astype(str).str.replace(",", "", regex=False), errors="coerce")


def plotted_counts(values: Any, threshold: int | None = None) -> np.ndarray:
    """Counts as numbers for a figure or a numeric column: NaN where the policy hides
    them, rounded where it rounds.

    Parameters
    ----------
    values : array_like
    threshold : int, optional
        Default: the policy's.

    Returns
    -------
    numpy.ndarray of float
    """
    pol = policy_for(threshold)
    v = np.asarray(values, float)
    out = v if not pol.round_to else np.round(v / pol.round_to) * pol.round_to
    return np.where((v > 0) & (v < pol.threshold), np.nan, out)


def plotted_ratio(num: Any, den: Any, threshold: int | None = None, *,
                  complement: bool = False) -> np.ndarray:
    """``num / den`` for a figure or a numeric column: NaN where ``num`` is hidden, and of
    the rounded counts under a rounding policy (an exact ratio would give them back).

    Parameters
    ----------
    num, den : array_like
        Counts.
    threshold : int, optional
        Default: the policy's.
    complement : bool, default False
        ``den`` is a number of trials: NaN also where ``den - num`` would be hidden.

    Returns
    -------
    numpy.ndarray of float
    """
    n = plotted_counts(num, threshold)
    if complement:
        rest = np.asarray(den, float) - np.asarray(num, float)
        n = np.where(np.isnan(plotted_counts(rest, threshold)), np.nan, n)
    pol = policy_for(threshold)
    d = np.asarray(den, float)
    if pol.round_to:
        d = np.round(d / pol.round_to) * pol.round_to
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, n / d, np.nan)


def suppress_table(table: pd.DataFrame, columns: Sequence[str], *,
                   threshold: int | None = None,
                   derived: Mapping[str, Sequence[str]] | None = None,
                   **kwargs: Any) -> pd.DataFrame:
    """:func:`harkit.privacy.suppress` with derived values hidden along with their counts.

    Parameters
    ----------
    table : pandas.DataFrame
        Counts as integers (floats with whole values are accepted).
    columns : sequence of str
        The count columns.
    threshold : int, optional
        Default: the policy's.
    derived : mapping of str to sequence of str, optional
        ``{"observed": ["pmr", "ci_low"]}``: these columns become NaN where the count
        ``observed`` is hidden (primary or secondary): they would give it away.
    **kwargs
        Passed to :func:`harkit.privacy.suppress` (``secondary=``, ``total=``, ...).

    Returns
    -------
    pandas.DataFrame
        The suppressed table; ``attrs`` as :func:`harkit.privacy.suppress` sets them, plus
        ``attrs["hidden_rows"]``, the number of rows with a hidden count.
    """
    work = table.copy()
    for c in columns:
        if not pd.api.types.is_integer_dtype(work[c]):
            work[c] = pd.to_numeric(work[c]).round().astype("int64")
    out = privacy.suppress(work, list(columns), threshold=threshold, **kwargs)
    any_hidden = np.zeros(len(table), bool)
    for c in columns:
        h = hidden_cells(out[c], table[c])
        any_hidden |= h
        for d in (derived or {}).get(c, ()):
            out[d] = out[d].astype(float) if pd.api.types.is_numeric_dtype(out[d]) else out[d]
            out.loc[h, d] = np.nan
    out.attrs["hidden_rows"] = int(any_hidden.sum())
    return out


def suppress_linked(table: pd.DataFrame, columns: Sequence[str],
                    sums: Sequence[tuple[tuple[int, str], Sequence[tuple[int, str]]]], *,
                    threshold: int | None = None) -> pd.DataFrame:
    """:func:`harkit.privacy.suppress` of a table whose cells are tied by known sums.

    Primary suppression and the text of the counts come from the privacy module; then
    :func:`protect` hides further cells until no small count follows from the shown
    cells and the sums. Every hidden cell then shows ``*``.

    Parameters
    ----------
    table : pandas.DataFrame
    columns : sequence of str
        The count columns.
    sums : sequence of ((row, column), [(row, column), ...])
        Each total cell (row position, column name) and the cells that add up to it.
    threshold : int, optional
        Default: the policy's.

    Returns
    -------
    pandas.DataFrame
        The suppressed table, ``attrs`` as :func:`harkit.privacy.suppress` sets them, with
        ``attrs["secondary_cells"]`` counting the complements hidden here.
    """
    cols = list(columns)
    out = privacy.suppress(table, cols, threshold=threshold)

    def cell(i: int, c: str) -> int:
        return i * len(cols) + cols.index(c)

    values = table[cols].to_numpy(float).ravel()
    primary = np.concatenate([hidden_cells(out[c], table[c]) for c in cols]).reshape(
        len(cols), -1).T.ravel()
    eqs = [[cell(*t) + 1, *[-(cell(*p) + 1) for p in parts]] for t, parts in sums]
    total = np.zeros(len(values), int)
    for t, _ in sums:
        total[cell(*t)] = 1  # totals are hidden last
    mask, _ = protect(values, primary, eqs, targets=primary, rank=total)
    if (mask & ~primary).any():
        grid = mask.reshape(len(table), len(cols))
        for j, c in enumerate(cols):
            out[c] = out[c].astype(object)
            out.loc[grid[:, j], c] = "*"
    out.attrs["secondary_cells"] = int((mask & ~primary).sum())
    return out


def recoverable(n_cells: int, equations: Sequence[Sequence[int]],
                hidden: np.ndarray) -> np.ndarray:
    """Hidden cells whose exact value follows from the shown cells and the equations.

    Each equation says that a set of cells sums to zero with signs: a sequence of signed,
    1-based cell numbers (``[3, -1, -2]``: cell 2 = cell 0 + cell 1). A hidden cell can be
    worked out when every solution of the equations in the hidden cells gives it the same
    value, i.e. when the null space of the equations restricted to the hidden cells is
    zero in its coordinate (linear algebra only; bounds and intervals are not checked).

    Parameters
    ----------
    n_cells : int
    equations : sequence of sequence of int
    hidden : numpy.ndarray of bool, length ``n_cells``

    Returns
    -------
    numpy.ndarray of bool
        True for each hidden cell that can be worked out exactly.
    """
    from scipy.linalg import null_space

    out = np.zeros(n_cells, bool)
    cols = np.flatnonzero(hidden)
    if not len(cols):
        return out
    pos = {int(c): k for k, c in enumerate(cols)}
    rows = []
    for eq in equations:
        row = np.zeros(len(cols))
        for s in eq:
            k = pos.get(abs(int(s)) - 1)
            if k is not None:
                row[k] += np.sign(s)
        if np.any(row):
            rows.append(row)
    if not rows:
        return out
    free = null_space(np.vstack(rows))
    pinned = np.linalg.norm(free, axis=1) < 1e-9 if free.size else np.ones(len(cols), bool)
    out[cols[pinned]] = True
    return out


def protect(values: np.ndarray, hidden: np.ndarray, equations: Sequence[Sequence[int]], *,
            targets: np.ndarray | None = None, rank: np.ndarray | None = None,
            blocked: np.ndarray | None = None) -> tuple[np.ndarray, list[int]]:
    """Hide further cells until no target cell can be worked out from the equations.

    Greedy: for a recoverable target, look at the shown cells of the equations that reach
    it through hidden cells, and hide the one of lowest ``rank``, then smallest non-zero
    value; repeat.

    Parameters
    ----------
    values : numpy.ndarray
        The exact counts.
    hidden : numpy.ndarray of bool
        Cells hidden so far (not changed; a copy is returned).
    equations : sequence of sequence of int
        As :func:`recoverable`.
    targets : numpy.ndarray of bool, optional
        Cells that must not be recoverable (the small counts); default every hidden cell.
    rank : numpy.ndarray of int, optional
        Preference order of complements (lower is hidden first; e.g. margins last).
    blocked : numpy.ndarray of bool, optional
        Cells that are never hidden.

    Returns
    -------
    tuple of (numpy.ndarray of bool, list of int)
        The hidden cells, and the targets that could not be protected.
    """
    values = np.asarray(values, float)
    n = len(values)
    mask = np.asarray(hidden, bool).copy()
    targets = mask.copy() if targets is None else np.asarray(targets, bool) & mask
    rank = np.zeros(n, int) if rank is None else np.asarray(rank)
    blocked = np.zeros(n, bool) if blocked is None else np.asarray(blocked, bool)
    eqs_of: dict[int, list[set[int]]] = {}
    for eq in equations:
        cells = {abs(int(s)) - 1 for s in eq}
        for c in cells:
            eqs_of.setdefault(c, []).append(cells)
    stuck: list[int] = []
    while True:
        rec = recoverable(n, equations, mask) & targets
        rec[stuck] = False
        if not rec.any():
            return mask, stuck
        c = int(np.flatnonzero(rec)[0])
        cand = [k for k in _reachable(c, eqs_of, mask) if not mask[k] and not blocked[k]]
        if not cand:
            stuck.append(c)
            continue
        mask[_best_complement(c, cand, values, mask, equations, rank, eqs_of, blocked)] = True


def _best_complement(target: int, cand: list[int], values: np.ndarray, mask: np.ndarray,
                     equations: Sequence[Sequence[int]], rank: np.ndarray,
                     eqs_of: Mapping[int, list[set[int]]], blocked: np.ndarray,
                     width: int = 8) -> list[int]:
    """The cheapest one or two cells whose hiding protects ``target``.

    A cell costs ``2 ** rank`` (a margin costs more than several interior cells); ties go
    to small non-zero values. Pairs are searched among the ``width`` best candidates. When
    nothing protects the target in two steps, the best-ranked candidate is hidden and the
    search goes on from there.
    """
    def key(k: int) -> tuple:
        return rank[k], values[k] == 0, values[k], k

    def protects(cells: list[int]) -> bool:
        trial = mask.copy()
        trial[cells] = True
        return not recoverable(len(values), equations, trial)[target]

    order = sorted(cand, key=key)
    best: tuple[float, list[int]] | None = None
    for k in order:
        if protects([k]):
            best = (2.0 ** rank[k], [k])
            break
    for k in order[:width]:
        trial = mask.copy()
        trial[k] = True
        more = sorted((j for j in _reachable(target, eqs_of, trial)
                       if not trial[j] and not blocked[j]), key=key)[:width]
        for j in more:
            cost = 2.0 ** rank[k] + 2.0 ** rank[j]
            if (best is None or cost < best[0]) and protects([k, j]):
                best = (cost, [k, j])
                break
    return best[1] if best else [order[0]]


def _reachable(start: int, eqs_of: Mapping[int, list[set[int]]],
               mask: np.ndarray) -> set[int]:
    """Cells of the equations reachable from ``start`` through hidden cells."""
    seen, todo, out = {start}, [start], set()
    while todo:
        c = todo.pop()
        for eq in eqs_of.get(c, ()):
            for k in eq:
                out.add(k)
                if mask[k] and k not in seen:
                    seen.add(k)
                    todo.append(k)
    return out
