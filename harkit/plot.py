"""Figures shared by harkit's results objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def axes(ax: Any = None, figsize: tuple[float, float] | None = None) -> Any:
    """The axes to draw on: ``ax`` itself, or those of a new figure of ``figsize``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Axes given by the caller; returned unchanged.
    figsize : tuple of float, optional
        Size in inches of the new figure when ``ax`` is None (matplotlib's default if None).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def _plain_log_formatter(label_only_base: bool) -> Any:
    from matplotlib.ticker import LogFormatterSciNotation

    class PlainLogFormatter(LogFormatterSciNotation):
        """Label the ticks matplotlib would label, as plain numbers (0.2, not 2x10^-1)."""

        def __call__(self, x: float, pos: int | None = None) -> str:
            return f"{x:,.6g}" if super().__call__(x, pos) else ""

    return PlainLogFormatter(labelOnlyBase=label_only_base)


def log_axis(ax: Any, which: str = "x") -> Any:
    """Put an axis on a log scale labelled with plain numbers.

    matplotlib labels the ticks between decades in scientific notation (``2x10^-1``),
    which is hard to read for ratios and collides on a narrow axis; here the same ticks
    read ``0.2``, ``0.5``, ``1``, ``2``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    which : {"x", "y"}, default "x"

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.
    """
    if which not in {"x", "y"}:
        raise ValueError(f"which must be 'x' or 'y', not {which!r}")
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    axis.set_major_formatter(_plain_log_formatter(True))
    axis.set_minor_formatter(_plain_log_formatter(False))
    return ax


def _shade_groups(ax: Any, first: Sequence[object]) -> None:
    """Shade every other run of rows that share their first label (e.g. a treatment)."""
    runs = np.flatnonzero(np.r_[True, np.asarray(first[1:]) != np.asarray(first[:-1])])
    if len(runs) < 2 or len(runs) == len(first):
        return
    ends = np.r_[runs[1:], len(first)]
    for k, (a, b) in enumerate(zip(runs, ends)):
        if k % 2:
            ax.axhspan(a - 0.5, b - 0.5, color="0.93", zorder=0, lw=0)


def forest(
    table: pd.DataFrame,
    estimate: str,
    lower: str,
    upper: str,
    labels: str | Sequence[str],
    *,
    ax: Any = None,
    xlabel: str = "",
    null: float = 1.0,
    log: bool = True,
) -> Any:
    """Forest plot: one row per estimate with its confidence interval.

    Rows are drawn top to bottom in table order. Rows whose estimate is not finite (or not
    positive on a log axis) are left out rather than drawn at a wrong place. With several
    label columns, every other run of rows sharing the first label is shaded, so that
    the groups (e.g. the methods of one treatment) read as blocks.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per estimate.
    estimate, lower, upper : str
        Columns of the estimate and its interval bounds.
    labels : str or sequence of str
        Column(s) naming each row; several are joined with " / ".
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure sized to the rows when None.
    xlabel : str
        Label of the x axis.
    null : float, default 1.0
        Value of no effect, drawn as a dashed line.
    log : bool, default True
        Log-scaled x axis (ratios), labelled with plain numbers (:func:`log_axis`).

    Returns
    -------
    matplotlib.axes.Axes
    """
    cols = [labels] if isinstance(labels, str) else list(labels)
    est = pd.to_numeric(table[estimate], errors="coerce").to_numpy(float)
    keep = np.isfinite(est) & ((est > 0) if log else True)
    t = table.loc[keep].iloc[::-1]  # drawn bottom up, so the first row ends on top
    ax = axes(ax, (6, 1.2 + 0.4 * len(t)))
    y = np.arange(len(t))
    e = t[estimate].to_numpy(float)
    lo = t[lower].to_numpy(float)
    hi = t[upper].to_numpy(float)
    ax.errorbar(e, y, xerr=np.vstack([e - lo, hi - e]), fmt="o", color="black",
                ecolor="grey", capsize=3)
    ax.axvline(null, color="grey", lw=1, ls="--")
    if log:
        log_axis(ax, "x")
    ax.set_yticks(y)
    ax.set_yticklabels([" / ".join(str(v) for v in row) for row in t[cols].itertuples(
        index=False)])
    if len(cols) > 1 and len(t):
        _shade_groups(ax, t[cols[0]].astype(object).tolist())
        ax.set_ylim(-0.5, len(t) - 0.5)
    ax.set_xlabel(xlabel)
    return ax
