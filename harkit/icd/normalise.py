"""Normalise raw diagnosis codes of any ICD revision to one canonical form.

Archive extracts write the same code in many ways: ``303,9``, ``303.9``, ``3039``, the
5-digit Norwegian hospital ICD-8 ``30309`` or ``303.90``, ``F10.2``, ``F102``, ``f10.2 ``,
Swedish ICD-9 with a letter for the 4th digit (``303X``), with a dagger or asterisk mark.
:func:`normalise` maps each to the form the WHO prints (upper case, dot after the 3-character
category: ``F10.2``, ``303.9``, ``303.09``, ``V43.4``; ICD-7/8/9 external-cause and
nature-of-injury codes with the dot after 4 characters: ``E860.0``, ``N820``) and says
what was wrong when something was.

Flags (``code_flag``), NA when the code is fine:

``empty``
    nothing but blanks or marks.
``invalid format``
    not readable as a code of any revision; ``code_norm`` is NA.
``invalid for ICD-10``
    a numeric code where the code system says ICD-10 (kept in its numeric reading).
``letter code in a numeric revision``
    a letter-first code other than E/N/Y (ICD-7/8) or E/V (ICD-9) where the system says
    ICD-6/7/8/9 (kept in its ICD-10 reading).
``letter suffix outside ICD-9``
    a Swedish letter suffix (``303X``) where the system is not ICD-9; ``code_norm`` is NA.
``Swedish extension letter``
    a Swedish ICD-9 suffix letter that stands for no digit (``079J``): kept as ``079.J``.
``ambiguous revision``
    no system given and the code reads differently in ICD-10 (``E860`` is ICD-9 E860 or
    ICD-10 E86.0; the older reading is kept). Give the system, or infer it from dates
    with :func:`harkit.icd.infer.infer_code_system`.
``leading zero added``
    a dotted numeric code with fewer than 3 digits before the dot (``70.9`` -> ``070.9``).
``unknown code system``
    the code system value is not one of ICD-6 ... ICD-10 or none; the code is read by syntax.
``read as a number``
    the code arrived as a float (a spreadsheet or Stata column): ``410.0`` and ``410`` can no
    longer be told apart, so check the delivery.

The code system ``none`` (uncoded) counts as unknown: a code given with it is read by syntax.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["normalise", "normalise_one", "canonical_system", "SWEDISH_ICD9_LETTERS", "FLAGS"]

#: Swedish ICD-9: letter in place of the 4th digit (comorbidities.icd10, translator.icd9.R).
SWEDISH_ICD9_LETTERS: dict[str, str] = {
    "A": "0", "B": "1", "C": "2", "D": "3", "E": "4", "F": "5", "G": "6", "H": "7",
    "W": "8", "X": "9",
}

#: Every flag :func:`normalise` can set.
FLAGS: tuple[str, ...] = (
    "empty", "invalid format", "invalid for ICD-10", "letter code in a numeric revision",
    "letter suffix outside ICD-9", "Swedish extension letter", "ambiguous revision",
    "leading zero added", "unknown code system", "read as a number",
)

_DAGGER = ("\u2020", "+")
_ASTERISK = ("*",)
_JUNK = " \t\r\n\u00a0\"'`;:,."
_WS = re.compile(r"\s+")
_NUM = re.compile(r"([0-9]{1,3})(?:\.([0-9]{0,2}))?")
_NUM_NODOT = re.compile(r"[0-9]{3,5}")
_SWEDISH = re.compile(r"([0-9]{3})\.?([A-Z])")
_LETTER = re.compile(r"([A-Z])([0-9]{2,5}|[0-9]{2,3}[A-Z])")
_LETTER_DOT = re.compile(r"([A-Z])([0-9]{2,3})\.([0-9A-Z]{0,2})")
_TAIL10 = re.compile(r"([0-9][0-9A-Z]?)?")
_DIGITS = re.compile(r"[0-9]*")

_NUMERIC_SYSTEMS = ("ICD-6", "ICD-7", "ICD-8", "ICD-9")


def canonical_system(value: Any) -> str | None:
    """Return the canonical name of a code-system value, or None when it is unknown.

    Parameters
    ----------
    value : Any
        ``"ICD-8"``, ``"icd8"``, ``"ICD 10"``, ``8``, ``"none"``, NA ...

    Returns
    -------
    str or None
        One of ``ICD-6`` ... ``ICD-10``, ``"none"`` for the explicit no-code system,
        ``"?"`` for a value that names no known system, None for NA or blank.
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    s = str(value).strip().upper().replace(" ", "").replace("-", "").replace("_", "")
    if s == "":
        return None
    if s in ("NONE", "INGEN", "UKODET", "UNCODED"):
        return "none"
    s = s.removeprefix("ICD")
    if s.endswith(".0"):
        s = s[:-2]
    if s in ("6", "7", "8", "9", "10"):
        return f"ICD-{s}"
    return "?"


def _strip(raw: str) -> tuple[str, str | None]:
    """Upper-case, drop blanks and junk, take off a dagger/asterisk mark."""
    s = _WS.sub("", raw).upper().replace(",", ".")
    mark = None
    changed = True
    while changed and s:
        changed = False
        s2 = s.strip(_JUNK)
        if s2 != s:
            s, changed = s2, True
        for chars, name in ((_DAGGER, "dagger"), (_ASTERISK, "asterisk")):
            for ch in chars:
                if s.endswith(ch) or s.startswith(ch):
                    s = s[1:] if s.startswith(ch) else s[:-1]
                    mark, changed = name, True
    return s, mark


def _dot(head: str, tail: str) -> str:
    return f"{head}.{tail}" if tail else head


def _tail_ok(tail: str) -> bool:
    return len(tail) <= 2 and _DIGITS.fullmatch(tail) is not None


def _icd10_reading(letter: str, digits: str) -> str | None:
    head, tail = digits[:2], digits[2:]
    if len(head) != 2 or not _TAIL10.fullmatch(tail):
        return None
    return _dot(letter + head, tail)


def normalise_one(raw: Any, system: str | None = None) -> tuple[str | None, str | None, str | None]:
    """Normalise one raw code.

    Parameters
    ----------
    raw : Any
        The code as delivered. Integers and floats are read as text (floats with a flag);
        anything else that is not a string counts as empty.
    system : str, optional
        Canonical code system (see :func:`canonical_system`); None or ``"none"`` = unknown.

    Returns
    -------
    tuple of (str or None, str or None, str or None)
        ``(code_norm, code_flag, mark)``.
    """
    num_flag = None
    if isinstance(raw, (bool, np.bool_)):
        return None, "invalid format", None
    if isinstance(raw, (int, np.integer)):
        raw = str(raw)
    elif isinstance(raw, (float, np.floating)) and np.isfinite(raw):
        raw, num_flag = repr(float(raw)).removesuffix(".0"), "read as a number"
    if not isinstance(raw, str):
        return None, "empty", None
    s, mark = _strip(raw)
    if s == "":
        return None, "empty", mark
    sys_flag = "unknown code system" if system == "?" else num_flag
    if system in ("?", "none"):
        system = None

    # numeric: 303, 303.9, 303.09, 3039, 30309, 70.9
    m = _NUM.fullmatch(s)
    if m and "." in s:
        head, tail = m.group(1), m.group(2) or ""
        flag = None
        if len(head) < 3:
            head, flag = head.zfill(3), "leading zero added"
        return _numeric_result(_dot(head, tail), system, flag or sys_flag, mark)
    if _NUM_NODOT.fullmatch(s):
        return _numeric_result(_dot(s[:3], s[3:]), system, sys_flag, mark)

    # Swedish ICD-9 letter suffix: 303X, 571C, 079J
    m = _SWEDISH.fullmatch(s)
    if m:
        if system is not None and system != "ICD-9":
            return None, "letter suffix outside ICD-9", mark
        head, letter = m.groups()
        if letter in SWEDISH_ICD9_LETTERS:
            return f"{head}.{SWEDISH_ICD9_LETTERS[letter]}", sys_flag, mark
        return f"{head}.{letter}", "Swedish extension letter", mark

    # letter first, dotted: F10.2, E860.0, V43.4, N820.1
    m = _LETTER_DOT.fullmatch(s)
    if m:
        letter, head, tail = m.groups()
        if len(head) == 3:
            if not _tail_ok(tail) or letter not in "ENY":
                return None, "invalid format", mark
            if system == "ICD-10":
                return _dot(letter + head, tail), "invalid for ICD-10", mark
            return _supplementary_result(letter + head, tail, system, sys_flag, mark)
        if not _TAIL10.fullmatch(tail):
            return None, "invalid format", mark
        return _letter10_result(letter, _dot(letter + head, tail), system, sys_flag, mark)

    # letter first, dotless: F102, X42, E860, E8600, V434
    m = _LETTER.fullmatch(s)
    if m:
        letter, digits = m.groups()
        supp_possible = (letter in "EN" and len(digits) >= 3 and digits[0] in "89"
                         and _DIGITS.fullmatch(digits[:3]) is not None and _tail_ok(digits[3:]))
        as10 = _icd10_reading(letter, digits)
        if system == "ICD-10":
            if as10 is None:
                return None, "invalid format", mark
            return as10, None, mark
        if supp_possible and (system is not None or len(digits) > 3 or as10 is None):
            return _supplementary_result(letter + digits[:3], digits[3:], system, sys_flag, mark)
        if supp_possible:
            flag = sys_flag or "ambiguous revision"
            return _dot(letter + digits[:3], digits[3:]), flag, mark
        if as10 is None:
            return None, "invalid format", mark
        return _letter10_result(letter, as10, system, sys_flag, mark)
    return None, "invalid format", mark


def _numeric_result(code: str, system: str | None, flag: str | None,
                    mark: str | None) -> tuple[str | None, str | None, str | None]:
    if system == "ICD-10":
        return code, "invalid for ICD-10", mark
    return code, flag, mark


def _supplementary_result(head: str, tail: str, system: str | None, flag: str | None,
                          mark: str | None) -> tuple[str | None, str | None, str | None]:
    code = _dot(head, tail)
    letter = head[0]
    if system == "ICD-10":
        as10 = _icd10_reading(letter, head[1:] + tail)
        return (as10, None, mark) if as10 else (None, "invalid format", mark)
    if system == "ICD-9" and letter != "E":
        return code, "letter code in a numeric revision", mark
    return code, flag, mark


def _letter10_result(letter: str, code: str, system: str | None, flag: str | None,
                     mark: str | None) -> tuple[str | None, str | None, str | None]:
    if system in _NUMERIC_SYSTEMS:
        allowed = "V" if system == "ICD-9" else "Y"
        if letter not in allowed:
            return code, "letter code in a numeric revision", mark
    return code, flag, mark


def _as_series(codes: pd.Series | Sequence[Any]) -> pd.Series:
    if isinstance(codes, pd.Series):
        return codes
    return pd.Series(list(codes) if not isinstance(codes, np.ndarray) else codes, dtype=object)


def normalise(codes: pd.Series | Sequence[Any],
              code_system: str | pd.Series | Sequence[Any] | None = None) -> pd.DataFrame:
    """Normalise raw diagnosis codes to canonical WHO dotted form.

    Each distinct (code, code system) pair is normalised once and the result mapped back,
    so millions of rows take about a second. No row is dropped and nothing raises.

    Parameters
    ----------
    codes : pandas.Series or sequence
        Raw codes as delivered (``"303,9"``, ``"F102"``, ``" f10.2 "``, ``"E8600"`` ...).
        Numbers are read as text; NA and other non-strings count as empty.
    code_system : str or pandas.Series, optional
        The revision of the codes: None (unknown: read by syntax), one value for all
        (``"ICD-8"``), or a Series or sequence aligned with ``codes`` by position (NA allowed).

    Returns
    -------
    pandas.DataFrame
        With the index of ``codes`` and columns ``code_norm`` (canonical code, NA when empty
        or unreadable), ``code_flag`` (NA or a short reason, see the module notes) and
        ``mark`` (``dagger``, ``asterisk`` or NA), all of dtype ``string``.

    Examples
    --------
    >>> normalise(["303,9", "30309", "F102", "303X"], ["ICD-8", "ICD-8", None, "ICD-9"])
      code_norm code_flag  mark
    0     303.9      <NA>  <NA>
    1    303.09      <NA>  <NA>
    2     F10.2      <NA>  <NA>
    3     303.9      <NA>  <NA>
    """
    s = _as_series(codes)
    n = len(s)
    code_idx, code_uniq = pd.factorize(s, use_na_sentinel=True)
    if code_system is not None and not isinstance(code_system, (str, pd.Series)) and (
            np.ndim(code_system) == 1):
        code_system = pd.Series(list(code_system), dtype=object)
    if isinstance(code_system, pd.Series):
        if len(code_system) != n:
            raise ValueError("code_system must have the same length as codes")
        sys_idx, sys_uniq = pd.factorize(code_system, use_na_sentinel=True)
        sys_names = [canonical_system(v) for v in sys_uniq] + [None]
    else:
        sys_idx = np.zeros(n, dtype=np.int64)
        sys_names = [canonical_system(code_system), None]
    sys_idx = np.where(sys_idx < 0, len(sys_names) - 1, sys_idx)
    code_vals = list(code_uniq) + [None]
    code_idx = np.where(code_idx < 0, len(code_vals) - 1, code_idx)

    key = code_idx.astype(np.int64) * len(sys_names) + sys_idx
    inverse, pair = pd.factorize(key)
    norm = np.empty(len(pair), dtype=object)
    flag = np.empty(len(pair), dtype=object)
    mark = np.empty(len(pair), dtype=object)
    for j, k in enumerate(pair.tolist()):
        c, y = divmod(k, len(sys_names))
        norm[j], flag[j], mark[j] = normalise_one(code_vals[c], sys_names[y])
    out = {}
    for name, arr in (("code_norm", norm), ("code_flag", flag), ("mark", mark)):
        out[name] = pd.array(arr, dtype="string").take(inverse)
    return pd.DataFrame(out, index=s.index)
