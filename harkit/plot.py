"""Figures shared by harkit's results objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


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
    positive on a log axis) are left out rather than drawn at a wrong place.

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
        Log-scaled x axis (ratios).

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    cols = [labels] if isinstance(labels, str) else list(labels)
    est = pd.to_numeric(table[estimate], errors="coerce").to_numpy(float)
    keep = np.isfinite(est) & ((est > 0) if log else True)
    t = table.loc[keep].iloc[::-1]  # drawn bottom up, so the first row ends on top
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 1.2 + 0.4 * len(t)))
    y = np.arange(len(t))
    e = t[estimate].to_numpy(float)
    lo = t[lower].to_numpy(float)
    hi = t[upper].to_numpy(float)
    ax.errorbar(e, y, xerr=np.vstack([e - lo, hi - e]), fmt="o", color="black",
                ecolor="grey", capsize=3)
    ax.axvline(null, color="grey", lw=1, ls="--")
    if log:
        ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels([" / ".join(str(v) for v in row) for row in t[cols].itertuples(
        index=False)])
    ax.set_xlabel(xlabel)
    return ax
