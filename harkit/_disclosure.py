"""Small helpers the result builders share to show counts only through the privacy policy.

:mod:`harkit.privacy` owns the rules (:class:`~harkit.privacy.Policy`,
:func:`~harkit.privacy.suppress`, :func:`~harkit.privacy.format_count`); this module only
applies them the same way everywhere: a threshold of None means "the policy in force",
values derived from a hidden count are hidden with it, notes say what the policy did, and
:func:`recoverable` audits a set of linked tables for counts that the sums narrow down, with
the LP audit of :mod:`harkit.privacy` (one rule for "protected" across harkit).
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
    :func:`protect` hides further cells until no small count's feasible range under the
    shown cells and the sums is narrower than the threshold. Every hidden cell then shows ``*``.

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
    mask, _ = protect(values, primary, eqs, targets=primary, rank=total,
                      threshold=threshold)
    if (mask & ~primary).any():
        grid = mask.reshape(len(table), len(cols))
        for j, c in enumerate(cols):
            out[c] = out[c].astype(object)
            out.loc[grid[:, j], c] = "*"
    out.attrs["secondary_cells"] = int((mask & ~primary).sum())
    return out


def _system(n_cells: int, equations: Sequence[Sequence[int]]) -> Any:
    """The equations as a :class:`harkit.privacy._lp.LinearSystem` (each sums to zero)."""
    from harkit.privacy._lp import LinearSystem

    system = LinearSystem(n_cells)
    for eq in equations:
        coefs: dict[int, float] = {}
        for s in eq:
            k = abs(int(s)) - 1
            coefs[k] = coefs.get(k, 0.0) + float(np.sign(s))
        system.add(coefs, 0.0)
    return system


def _bounds(values: np.ndarray, mask: np.ndarray, pol: privacy.Policy
            ) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's bounds as an attacker sees them: a shown count exact or within its
    rounding under ``pol``, a hidden one 0 or more."""
    from harkit.privacy._lp import attacker_bounds

    # Not 1 as in harkit.privacy._secondary: here cells that are never shown (a remainder,
    # a non-missing count) are hidden whatever their value, zeros included.
    shown = np.where(mask, 0.0, privacy.round_counts(values, pol.round_to))
    return attacker_bounds(shown, mask, threshold=pol.threshold, round_to=pol.round_to,
                           hidden_min=0.0)


def recoverable(values: np.ndarray, equations: Sequence[Sequence[int]],
                hidden: np.ndarray, *, threshold: int | None = None) -> np.ndarray:
    """Hidden cells whose feasible range is narrower than the threshold.

    Each equation says that a set of cells sums to zero with signs: a sequence of signed,
    1-based cell numbers (``[3, -1, -2]``: cell 2 = cell 0 + cell 1). An attacker knows the
    equations, every shown cell (exact, or within its rounding under the policy in force)
    and that hidden cells are counts; the smallest and largest value of each hidden cell
    then come from two linear programs (:meth:`harkit.privacy._lp.LinearSystem.interval`),
    the same audit as :func:`harkit.privacy.audit`.

    Parameters
    ----------
    values : numpy.ndarray
        The exact counts, one per cell.
    equations : sequence of sequence of int
    hidden : numpy.ndarray of bool, length ``len(values)``
    threshold : int, optional
        Default: the policy's.

    Returns
    -------
    numpy.ndarray of bool
        True for each hidden cell whose interval is less than ``threshold`` wide.
    """
    values = np.asarray(values, float)
    mask = np.asarray(hidden, bool)
    pol = policy_for(threshold)
    system = _system(len(values), equations)
    lo, hi = _bounds(values, mask, pol)
    out = np.zeros(len(values), bool)
    for k in np.flatnonzero(mask):
        a, b, _ = system.interval(int(k), lo, hi)
        out[k] = b - a < pol.threshold
    return out


def protect(values: np.ndarray, hidden: np.ndarray, equations: Sequence[Sequence[int]], *,
            targets: np.ndarray | None = None, rank: np.ndarray | None = None,
            blocked: np.ndarray | None = None, threshold: int | None = None
            ) -> tuple[np.ndarray, list[int]]:
    """Hide further cells until every target cell's feasible range is ``threshold`` wide.

    The rule and the loop are those of :func:`harkit.privacy.suppress`
    (:func:`harkit.privacy._secondary.widen`): while a target's interval under the
    equations and the shown cells is narrower than the threshold, hide the cheapest shown
    cell whose bound limits it (lowest ``rank``, then non-zero before zero, then smallest).

    Parameters
    ----------
    values : numpy.ndarray
        The exact counts.
    hidden : numpy.ndarray of bool
        Cells hidden so far (not changed; a copy is returned).
    equations : sequence of sequence of int
        As :func:`recoverable`.
    targets : numpy.ndarray of bool, optional
        Cells that must be protected (the small counts); default every hidden cell.
    rank : numpy.ndarray of int, optional
        Preference order of complements (lower is hidden first; e.g. margins last).
    blocked : numpy.ndarray of bool, optional
        Cells that are never hidden.
    threshold : int, optional
        Default: the policy's (whose rounding, if any, the attacker's bounds follow).

    Returns
    -------
    tuple of (numpy.ndarray of bool, list of int)
        The hidden cells, and the targets that could not be protected.
    """
    from harkit.privacy._secondary import widen

    values = np.asarray(values, float)
    n = len(values)
    mask = np.asarray(hidden, bool).copy()
    targets = mask.copy() if targets is None else np.asarray(targets, bool) & mask
    rank = np.zeros(n, int) if rank is None else np.asarray(rank)
    blocked = np.zeros(n, bool) if blocked is None else np.asarray(blocked, bool)
    pol = policy_for(threshold)
    # Lexicographic cost: rank, then zeros last (a zero adds little cover: its cell can
    # only grow), then the smallest count.
    big = float(np.abs(values).max(initial=0.0)) + 1.0
    cost = rank * 3.0 * big + (values == 0) * big + values

    def hide(k: int) -> None:
        mask[k] = True

    stuck = widen(_system(n, equations), np.flatnonzero(targets), threshold=pol.threshold,
                  hidden=lambda: mask, hide=hide, bounds=lambda: _bounds(values, mask, pol),
                  hideable=~blocked, cost=cost)
    return mask, stuck
