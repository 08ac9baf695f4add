"""Which ICD revision a code belongs to, from its syntax and its date.

Norwegian changeovers (reference ``icd.md`` section 1):

* hospitals and specialist care: ICD-7 to 1968, ICD-8 from 1 January 1969 (SSB handbook 24),
  ICD-9 from an undocumented year usually quoted as 1986/87 (``icd9_hospital_start``, default
  1987) to 1998, ICD-10 from 1 January 1999 (Tidsskriftet 1999);
* causes of death (Cause of Death Registry): ICD-6/7 1951-1968, ICD-8 1969-1985,
  ICD-9 1986-1995, ICD-10 from 1996 (FHI, SSB table 08881).

ICD-6 and ICD-7 are reported together as ``ICD-7``: their codes are read the same way here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from harkit.icd.normalise import _strip, normalise_one
from harkit.schema import CODE_SYSTEM_CATEGORIES

__all__ = ["REVISION_PERIODS", "SETTINGS", "revision_periods", "revision_in_force",
           "infer_code_system", "syntax_candidates"]

SETTINGS: tuple[str, ...] = ("hospital", "death")

#: First and last year of each revision per setting (None = open); hospital with ICD-9 from 1987.
REVISION_PERIODS: dict[str, dict[str, tuple[int | None, int | None]]] = {
    "hospital": {"ICD-7": (None, 1968), "ICD-8": (1969, 1986), "ICD-9": (1987, 1998),
                 "ICD-10": (1999, None)},
    "death": {"ICD-7": (1951, 1968), "ICD-8": (1969, 1985), "ICD-9": (1986, 1995),
              "ICD-10": (1996, None)},
}

_REVS: tuple[str, ...] = ("ICD-7", "ICD-8", "ICD-9", "ICD-10")
_NUMERIC = 0b0111
_EMPTY = -1


def revision_periods(setting: str = "hospital",
                     icd9_hospital_start: int = 1987) -> dict[str, tuple[int | None, int | None]]:
    """Return the years each revision was in force in a setting.

    Parameters
    ----------
    setting : {"hospital", "death"}
        Hospital and specialist-care diagnoses, or causes of death.
    icd9_hospital_start : int, default 1987
        First year of ICD-9 in hospitals (ignored for ``death``).

    Returns
    -------
    dict
        Revision -> (first year, last year), None where open.

    Raises
    ------
    ValueError
        For an unknown setting or an ICD-9 start outside 1970-1998.
    """
    if setting not in SETTINGS:
        raise ValueError(f"setting must be one of {SETTINGS}, not {setting!r}")
    periods = dict(REVISION_PERIODS[setting])
    if setting == "hospital":
        if not 1970 <= int(icd9_hospital_start) <= 1998:
            raise ValueError("icd9_hospital_start must lie between 1970 and 1998")
        start = int(icd9_hospital_start)
        periods["ICD-8"] = (1969, start - 1)
        periods["ICD-9"] = (start, 1998)
    return periods


def _years(dates: pd.Series | Sequence[Any]) -> tuple[np.ndarray, pd.Index | None]:
    s = dates if isinstance(dates, pd.Series) else pd.Series(list(dates))
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        years = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
    else:
        years = pd.to_datetime(s, errors="coerce").dt.year.astype("float64").to_numpy()
    return np.floor(years), s.index


def _revision_index(years: np.ndarray, periods: dict[str, tuple[int | None, int | None]]
                    ) -> np.ndarray:
    idx = np.full(len(years), -1, dtype=np.int64)
    for i, rev in enumerate(_REVS):
        lo, hi = periods[rev]
        ok = ~np.isnan(years)
        if lo is not None:
            ok &= years >= lo
        if hi is not None:
            ok &= years <= hi
        idx[ok] = i
    return idx


def _categorical(values: np.ndarray, index: pd.Index) -> pd.Series:
    cat = pd.Categorical(values, categories=CODE_SYSTEM_CATEGORIES)
    return pd.Series(cat, index=index)


def revision_in_force(dates: pd.Series | Sequence[Any], setting: str = "hospital",
                      icd9_hospital_start: int = 1987) -> pd.Series:
    """Return the ICD revision in force at each date.

    Parameters
    ----------
    dates : pandas.Series or sequence
        Dates (datetime-like or strings) or years (numbers). NA stays NA.
    setting : {"hospital", "death"}, default "hospital"
        Which changeover years apply (see :data:`REVISION_PERIODS`).
    icd9_hospital_start : int, default 1987
        First year of ICD-9 in hospitals.

    Returns
    -------
    pandas.Series
        Categorical with :data:`harkit.schema.CODE_SYSTEM_CATEGORIES`; NA where the date is
        missing or (causes of death) before 1951. Same index as ``dates`` if it is a Series.
    """
    years, index = _years(dates)
    idx = _revision_index(years, revision_periods(setting, icd9_hospital_start))
    names = np.array(list(_REVS) + [None], dtype=object)
    return _categorical(names[idx], index)


def syntax_candidates(raw: Any) -> int:
    """Return the revisions a raw code can belong to, judged by its form alone.

    Parameters
    ----------
    raw : Any
        One raw code.

    Returns
    -------
    int
        Bit mask over (ICD-7, ICD-8, ICD-9, ICD-10) (bit 0 = ICD-7); ``-1`` for an empty
        code, ``0`` for a string that is no code of any revision.
    """
    norm, flag, _ = normalise_one(raw, None)
    if flag == "empty":
        return _EMPTY
    if norm is None:
        return 0
    stripped, _ = _strip(str(raw))
    first = norm[0]
    if first.isdigit():
        if stripped[-1:].isalpha():
            return 0b0100  # Swedish letter suffix: ICD-9 only
        return _NUMERIC
    supplementary = len(norm.split(".")[0]) == 4
    if supplementary:
        olds = 0b0111 if first == "E" else 0b0011
        if flag == "ambiguous revision":
            return olds | 0b1000
        return olds
    if first == "V":
        return 0b1100
    if first == "Y":
        return 0b1011
    return 0b1000


def _decide(mask: int, rev: int) -> tuple[str | None, str | None]:
    """Code system and method for one (candidate mask, revision-in-force) pair."""
    if mask == _EMPTY:
        return "none", "syntax"
    if mask == 0:
        return None, None
    cands = [i for i in range(4) if mask >> i & 1]
    if len(cands) == 1:
        return _REVS[cands[0]], ("syntax+date" if rev == cands[0] else "syntax")
    if rev < 0:
        return None, None
    if rev in cands:
        return _REVS[rev], ("date" if mask == _NUMERIC else "syntax+date")
    nearest = min(cands, key=lambda c: (abs(c - rev), -c))
    return _REVS[nearest], "syntax+date"


def infer_code_system(codes: pd.Series | Sequence[Any], dates: pd.Series | Sequence[Any], *,
                      setting: str = "hospital", icd9_hospital_start: int = 1987
                      ) -> pd.DataFrame:
    """Infer the ICD revision of each code from its syntax and its date.

    Syntax first: a letter-first code other than E, N, V or Y is ICD-10, a Swedish letter
    suffix (``303X``) is ICD-9, an empty code is ``none``. A numeric code fits ICD-7, 8 or 9
    and the revision in force at the date decides. Letter codes that exist in several
    revisions (``V43.4`` in ICD-9 and ICD-10, dotless ``E860`` as ICD-9 E860 or ICD-10
    E86.0) are narrowed by syntax and decided by the date. When the revision in force is not
    among the candidates (a numeric code dated 2005), the candidate nearest in time is taken.

    Parameters
    ----------
    codes : pandas.Series or sequence
        Raw codes as delivered.
    dates : pandas.Series or sequence
        Date (or year) of each code, aligned by position; NA allowed.
    setting : {"hospital", "death"}, default "hospital"
        Hospital diagnoses or causes of death (different changeover years).
    icd9_hospital_start : int, default 1987
        First year of ICD-9 in hospitals.

    Returns
    -------
    pandas.DataFrame
        Index of ``codes``; ``code_system`` (categorical with
        :data:`harkit.schema.CODE_SYSTEM_CATEGORIES`, NA when undecidable) and
        ``inferred_by`` (``string``: ``syntax``, ``date``, ``syntax+date`` or NA).

    Examples
    --------
    >>> infer_code_system(["F10.2", "303,9", "303.9", ""], [2001, 1975, 1990, 1980])
      code_system  inferred_by
    0      ICD-10  syntax+date
    1       ICD-8         date
    2       ICD-9         date
    3        none       syntax
    """
    s = codes if isinstance(codes, pd.Series) else pd.Series(list(codes), dtype=object)
    years, _ = _years(dates)
    if len(years) != len(s):
        raise ValueError("codes and dates must have the same length")
    rev = _revision_index(years, revision_periods(setting, icd9_hospital_start))

    code_idx, uniq = pd.factorize(s, use_na_sentinel=True)
    masks = np.array([syntax_candidates(u) for u in uniq] + [_EMPTY], dtype=np.int64)
    row_mask = masks[np.where(code_idx < 0, len(masks) - 1, code_idx)]

    key = (row_mask + 1) * 8 + (rev + 1)
    inverse, pairs = pd.factorize(key)
    systems = np.empty(len(pairs), dtype=object)
    methods = np.empty(len(pairs), dtype=object)
    for j, k in enumerate(pairs.tolist()):
        systems[j], methods[j] = _decide(k // 8 - 1, k % 8 - 1)
    out = pd.DataFrame(index=s.index)
    out["code_system"] = pd.Categorical(systems[inverse], categories=CODE_SYSTEM_CATEGORIES)
    out["inferred_by"] = pd.array(methods, dtype="string").take(inverse)
    return out
