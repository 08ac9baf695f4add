"""Helpers shared by the trend functions: revision bands, input checks, the decedents note."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from harkit import _disclosure as dc
from harkit.icd.infer import revision_periods

DECEDENTS_NOTE = ("Decedents-only register: there is no population at risk, so trends are of "
                  "cause or diagnosis proportions (or rates per user-supplied denominator), "
                  "not of mean age at death, which the archive's death-year window distorts.")

_UNITS = {"year": 1, "5y": 5}


def draw_revision_bands(ax: Any, setting: str = "hospital", icd9_hospital_start: int = 1987,
                        xlim: tuple[float, float] | None = None) -> Any:
    """Shade the ICD revision periods on a time axis.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes with calendar years on the x axis.
    setting : {"hospital", "death"}
        Which changeover years apply (:func:`harkit.icd.infer.revision_periods`).
    icd9_hospital_start : int, default 1987
        First year of ICD-9 in hospitals.
    xlim : tuple of float, optional
        Range to shade; default the current x limits.

    Returns
    -------
    matplotlib.axes.Axes
    """
    lo_x, hi_x = ax.get_xlim() if xlim is None else xlim
    periods = revision_periods(setting, icd9_hospital_start)
    for i, (rev, (lo, hi)) in enumerate(periods.items()):
        a = lo_x if lo is None else max(lo - 0.5, lo_x)
        b = hi_x if hi is None else min(hi + 0.5, hi_x)
        if a >= b:
            continue
        ax.axvspan(a, b, color="grey", alpha=0.08 if i % 2 else 0.18, lw=0, zorder=0)
        ax.text((a + b) / 2, 0.98, rev, transform=ax.get_xaxis_transform(), ha="center",
                va="top", fontsize=8, color="dimgrey")
    ax.set_xlim(lo_x, hi_x)
    return ax


def _numeric(d: pd.DataFrame, name: str) -> pd.DataFrame:
    # suppressed display tables hold text ("1,234", "<5", "*"); hidden cells become NaN
    out = d.copy()
    for c in out.columns:
        if not pd.api.types.is_numeric_dtype(out[c].dtype):
            text = out[c].astype("string").str.replace(",", "", regex=False)
            out[c] = pd.to_numeric(text, errors="coerce")
            if out[c].isna().any() and (text.str.startswith("<") | text.eq("*")).any():
                warnings.warn(f"{name}: column {c!r} holds suppressed counts; pass the "
                              "unsuppressed table (suppress=False) for modelling", stacklevel=3)
    return out


def _check_counts(d: pd.DataFrame, count: str, trials: str | None) -> None:
    if (d[count] < 0).any():
        raise ValueError(f"column {count!r} holds negative counts")
    if trials is not None and (d[count] > d[trials]).any():
        raise ValueError(f"column {count!r} exceeds the number of trials {trials!r}")


def _to_year(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return np.floor(pd.to_numeric(s, errors="coerce"))
    return pd.to_datetime(s, errors="coerce").dt.year.astype("float64")


def _shown_observed(d: pd.DataFrame, count: str, total: str | None,
                    threshold: int | None) -> np.ndarray:
    """The observed series of a fitted trend as the disclosure-control policy shows it:
    counts (or counts over ``total``) NaN where hidden and rounded where it rounds. A
    ``total`` of whole numbers never below the count is a number of trials (all deaths of
    the year), so a small remainder ``total - count`` is hidden too."""
    if total:
        y, tot = d[count].to_numpy(float), d[total].to_numpy(float)
        trials = bool(np.all(tot >= y) and np.all(tot % 1 == 0))
        return dc.plotted_ratio(y, tot, threshold, complement=trials)
    return dc.plotted_counts(d[count].to_numpy(float), threshold)
