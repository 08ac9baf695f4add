"""The results object every harkit analysis returns.

In the style of lifelines' fitters and statsmodels' results: a tidy ``table``, a
``plot(ax=None)``, a ``summary()`` with the caveats that go with the method, an HTML view
for notebooks, and the underlying fitted object as ``model`` where one exists.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class Result:
    """Base class of analysis results.

    Subclasses override :meth:`plot` where a figure makes sense.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy result table (one row per estimate).
    method : str
        Short name of the method (e.g. ``"Efron-Petrosian NPMLE"``).
    notes : list of str
        Plain-language caveats shown by :meth:`summary` and in notebooks (for example,
        why a naive comparison is biased in a decedents-only register).
    model : object, optional
        The underlying lifelines/statsmodels/scipy object, when there is one.
    extra : dict
        Further named outputs (e.g. an at-risk table), also DataFrames.
    """

    table: pd.DataFrame
    method: str = ""
    notes: list[str] = field(default_factory=list)
    model: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Print the method and notes, and return the table.

        Returns
        -------
        pandas.DataFrame
            :attr:`table`.
        """
        print(self.method)
        for note in self.notes:
            print(f"Note: {note}")
        return self.table

    def plot(self, ax: Any = None) -> Any:
        """Draw the result.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        NotImplementedError
            For results without a figure.
        """
        raise NotImplementedError(f"{type(self).__name__} has no plot")

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        notes_html = f"<ul>{notes}</ul>" if notes else ""
        return (f"<div><b>{html.escape(self.method or type(self).__name__)}</b>{notes_html}"
                f"{self.table._repr_html_()}</div>")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.method!r}, {len(self.table)} rows)"
