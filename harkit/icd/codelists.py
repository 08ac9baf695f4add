"""Code lists as data: load the shipped CSV lists, add user lists, match codes against them.

A list is a CSV in ``harkit/codelists/`` with the columns ``list, category, code_system,
pattern, description, source``; one row per pattern. A pattern is a code prefix in
canonical dotted form (``F10``, ``F10.2``, ``303``, ``E850``) or an inclusive range of two
bounds of the same form (``F10-F19``, ``E850-E858``, ``K70.0-K70.3``). Matching compares
codes without their dot. Per code, the most specific matching pattern of the list wins:
the longest one, and among patterns of the same length the narrowest (a single prefix before
a range, a short range before a wide one); on a full tie the row read last wins, so user rows
beat shipped rows. The category ``exclude`` punches a hole: the code gets no category.
The ``source`` ends with a confidence tag: ``[V]`` verified, ``[P]`` partly verified,
``[U]`` unverified. ICD-6 codes are matched against the ICD-7 rows.

Safe truncation: a code shorter than the patterns of a list (a bare Norwegian ICD-7 ``260`` or
``722.0`` against the Swedish 5-digit ``260,09`` and ``722,00``) that no pattern prefixes is
given a category only when every code under it maps to the same condition. Without a
machine-readable ICD-7 or ICD-8 table that is decided from the list: the code must be an
ICD-7 (or ICD-6) or ICD-8 subcategory (4 characters or more), every pattern under it exactly
one character longer (a national subdivision of that subcategory) and all of one category.
ICD-9 and ICD-10 codes are never truncated: longer patterns there are clinical-modification
digits that change the meaning (ICD-9-CM 402.01 is with heart failure, 402.00 without).
Otherwise (``260``: the patterns under it are diabetes with and without complication;
``420``: the list names ``420.1`` but not the other subcategories of 420) the code gets no
category and
:func:`truncation_status` calls it ``ambiguous``; :func:`harkit.icd.unmapped_codes` reports
both kinds, so no code is dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from harkit.errors import CodeError
from harkit.icd.normalise import canonical_system

__all__ = ["LIST_COLUMNS", "VERIFICATION", "SHIPPED_LISTS", "list_names", "codelists", "match",
           "expand_pattern", "charlson_weights", "verification_summary", "truncation_status"]

LIST_COLUMNS: list[str] = ["list", "category", "code_system", "pattern", "description", "source"]

#: Confidence tag at the end of ``source`` -> value of the ``verification`` column.
VERIFICATION: dict[str, str] = {"[V]": "verified", "[P]": "partial", "[U]": "unverified"}

_SYSTEMS = ("ICD-6", "ICD-7", "ICD-8", "ICD-9", "ICD-10")
_BOUND = re.compile(r"[A-Z]?[0-9]{2,3}(?:\.[0-9A-Z]{1,2})?", re.ASCII)
_PREFIX = re.compile(r"[A-Z]?[0-9]{1,3}(?:\.[0-9A-Z]{1,2})?|[A-Z]", re.ASCII)
_MAX_EXPANSION = 200_000
_WEIGHTS_FILE = "charlson_weights.csv"
#: Revisions whose longer codes are national subdivisions of one WHO subcategory (the
#: Swedish and Danish fifth digits of ICD-7 and ICD-8).
_NATIONAL_DIGITS = frozenset({"ICD-7", "ICD-8"})

#: The code lists shipped in ``harkit/codelists/`` (other CSVs there are not code lists).
SHIPPED_LISTS: tuple[str, ...] = (
    "substance", "sud_level", "alcohol_somatic", "drug_poisoning", "cause_group", "chapter",
    "charlson_ludvigsson", "charlson_quan", "elixhauser_quan", "substance_comorbidity",
)


def _package_files() -> list[str]:
    return [f"{name}.csv" for name in SHIPPED_LISTS]


def list_names() -> list[str]:
    """Return the names of the shipped code lists.

    Returns
    -------
    list of str
        :data:`SHIPPED_LISTS`: file stems in ``harkit/codelists/``.
    """
    return list(SHIPPED_LISTS)


def _fail(message: str, file: str, line: int | None = None, column: str | None = None) -> None:
    where = [f"file {file!r}"]
    if line is not None:
        where.append(f"line {line}")
    if column is not None:
        where.append(f"column {column!r}")
    err = CodeError(f"{', '.join(where)}: {message}")
    err.source_file, err.line, err.column = file, line, column
    raise err


def expand_pattern(pattern: str) -> tuple[list[str], int]:
    """Expand a pattern into the dotless prefixes it stands for.

    Parameters
    ----------
    pattern : str
        A prefix (``F10.2``) or an inclusive range (``F10-F19``, ``E850-E858``).

    Returns
    -------
    tuple of (list of str, int)
        The dotless prefixes (all of the bound length for a range) and their number.

    Raises
    ------
    ValueError
        If the pattern is not of either form, or a range's bounds differ in form or order.
    """
    p = pattern.strip().upper()
    if "-" not in p:
        if not _PREFIX.fullmatch(p):
            raise ValueError(f"{pattern!r} is not a code prefix in dotted form")
        return [p.replace(".", "")], 1
    lo, sep, hi = p.partition("-")
    if not (_BOUND.fullmatch(lo) and _BOUND.fullmatch(hi)):
        raise ValueError(f"range {pattern!r}: each bound must be a code in dotted form")
    lo_d, hi_d = lo.replace(".", ""), hi.replace(".", "")
    if len(lo_d) != len(hi_d) or lo.find(".") != hi.find(".") or lo_d > hi_d:
        raise ValueError(f"range {pattern!r}: bounds must have the same form and be in order")
    lead_alpha = lo_d[0].isalpha()
    if lead_alpha != hi_d[0].isalpha() or not (lo_d[1:] + hi_d[1:]).isdigit() or (
            not lead_alpha and not (lo_d + hi_d).isdigit()):
        raise ValueError(f"range {pattern!r}: bounds must be digits after an optional letter")
    if lead_alpha:
        width = len(lo_d) - 1
        top = 10 ** width - 1
        out: list[str] = []
        for letter_code in range(ord(lo_d[0]), ord(hi_d[0]) + 1):
            letter = chr(letter_code)
            start = int(lo_d[1:]) if letter == lo_d[0] else 0
            stop = int(hi_d[1:]) if letter == hi_d[0] else top
            out.extend(f"{letter}{i:0{width}d}" for i in range(start, stop + 1))
    else:
        width = len(lo_d)
        out = [f"{i:0{width}d}" for i in range(int(lo_d), int(hi_d) + 1)]
    if len(out) > _MAX_EXPANSION:
        raise ValueError(f"range {pattern!r} covers too many codes")
    return out, len(out)


def _validate(df: pd.DataFrame, file: str) -> pd.DataFrame:
    missing = [c for c in LIST_COLUMNS if c not in df.columns]
    if missing:
        _fail(f"missing column(s) {missing}; a code list needs {LIST_COLUMNS}", file, 1)
    df = df[LIST_COLUMNS].copy()
    for col in LIST_COLUMNS:
        df[col] = df[col].astype(str).str.strip()
    systems = []
    for i, row in enumerate(df.itertuples(index=False)):
        line = i + 2
        for col in ("list", "category", "pattern", "source"):
            if getattr(row, col) == "":
                _fail("empty value", file, line, col)
        system = canonical_system(row.code_system)
        if system not in _SYSTEMS:
            _fail(f"code system {row.code_system!r} is not one of {list(_SYSTEMS)}",
                  file, line, "code_system")
        systems.append(system)
        try:
            expand_pattern(row.pattern)
        except ValueError as exc:
            _fail(str(exc), file, line, "pattern")
        if row.source[-3:] not in VERIFICATION:
            _fail("source must end with a confidence tag [V], [P] or [U]", file, line, "source")
    df["code_system"] = systems
    df["pattern"] = df["pattern"].str.upper()
    df["verification"] = df["source"].str[-3:].map(VERIFICATION)
    return df


def _read_csv(path: str | PathLike[str], label: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        _fail(f"cannot be read as a UTF-8 CSV ({exc})", label)
    raise AssertionError  # unreachable


@cache
def _shipped() -> pd.DataFrame:
    root = resources.files("harkit.codelists")
    frames = []
    for name in _package_files():
        with resources.as_file(root.joinpath(name)) as path:
            frames.append(_validate(_read_csv(path, name), name))
    return pd.concat(frames, ignore_index=True)


def codelists(*, verified_only: bool = False,
              extra: str | PathLike[str] | Iterable[str | PathLike[str]] | None = None
              ) -> pd.DataFrame:
    """Return all code lists stacked, optionally with user lists added.

    Parameters
    ----------
    verified_only : bool, default False
        Keep only rows whose source is tagged ``[V]``.
    extra : path or iterable of paths, optional
        User CSV files with the columns of :data:`LIST_COLUMNS`. Their rows replace shipped
        rows with the same (list, code_system, pattern) and add new ones; they are read
        after the shipped rows, so they win ties in :func:`match`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LIST_COLUMNS` plus ``verification`` (``verified``, ``partial``,
        ``unverified``), one row per pattern.

    Raises
    ------
    harkit.errors.CodeError
        If a user CSV is malformed; the message names the file, line and column.
    """
    df = _shipped()
    if extra is not None:
        paths = [extra] if isinstance(extra, (str, PathLike)) else list(extra)
        user = [_validate(_read_csv(p, str(p)), str(p)) for p in paths]
        if user:
            u = pd.concat(user, ignore_index=True)
            u = u.drop_duplicates(["list", "code_system", "pattern"], keep="last")
            key = ["list", "code_system", "pattern"]
            shipped_keys = pd.MultiIndex.from_frame(df[key])
            user_keys = pd.MultiIndex.from_frame(u[key])
            df = pd.concat([df[~shipped_keys.isin(user_keys)], u], ignore_index=True)
    if verified_only:
        df = df[df["verification"] == "verified"]
    return df.reset_index(drop=True).copy()


def verification_summary(lists: pd.DataFrame | None = None) -> pd.DataFrame:
    """Count the rows of each list and revision by verification status, with the reasons.

    Parameters
    ----------
    lists : pandas.DataFrame, optional
        Output of :func:`codelists`; default all shipped lists.

    Returns
    -------
    pandas.DataFrame
        One row per (list, code_system) with columns ``verified``, ``partial``,
        ``unverified``, ``total``, ``share_verified`` and ``unverified_reason``: the distinct
        reasons stated in the sources of the unverified rows (the text after
        ``unverified:``), joined by ``"; "``, empty when every row is verified or partial.
    """
    lists = codelists() if lists is None else lists
    out = (lists.groupby(["list", "code_system", "verification"]).size()
           .unstack("verification", fill_value=0)
           .reindex(columns=list(VERIFICATION.values()), fill_value=0))
    out["total"] = out.sum(axis=1)
    out["share_verified"] = out["verified"] / out["total"]
    unv = lists[lists["verification"] == "unverified"]
    reason = (unv["source"].str.extract(r"unverified:\s*(.*?)\s*\[U\]$", expand=False)
              .fillna("no reason stated"))
    reasons = (reason.groupby([unv["list"], unv["code_system"]])
               .agg(lambda r: "; ".join(dict.fromkeys(r))))
    out["unverified_reason"] = reasons.reindex(out.index).fillna("").to_numpy()
    out.columns.name = None
    return out.reset_index()


@cache
def _charlson_weights() -> pd.DataFrame:
    with resources.as_file(resources.files("harkit.codelists").joinpath(_WEIGHTS_FILE)) as p:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    df["weight"] = df["weight"].astype(int)
    return df


def charlson_weights() -> pd.DataFrame:
    """Return the Charlson weights and hierarchy notes per scheme.

    Returns
    -------
    pandas.DataFrame
        Columns ``scheme`` (list name), ``condition``, ``weight``, ``hierarchy_note``, ``source``.
    """
    return _charlson_weights().copy()


def _lookup_table(lists: pd.DataFrame, list_name: str
                  ) -> tuple[dict[tuple[str, str], tuple], dict[tuple[str, str], frozenset]]:
    """(system, prefix) -> (width, category) for matching, and (system, shorter code) ->
    the categories of the patterns under it, for the truncation rule."""
    rows = lists[lists["list"] == list_name]
    if rows.empty:
        known = sorted(lists["list"].unique())
        raise CodeError(f"no code list named {list_name!r}; known lists: {known}")
    table: dict[tuple[str, str], tuple] = {}
    for system, pattern, category in zip(rows["code_system"], rows["pattern"],
                                         rows["category"]):
        system = canonical_system(system)
        prefixes, width = expand_pattern(pattern)
        for prefix in prefixes:
            k = (system, prefix)
            old = table.get(k)
            if old is None or width <= old[0]:
                table[k] = (width, category)
    under: dict[tuple[str, str], set] = {}
    for (system, prefix), (_, category) in table.items():
        # a category code has 3 characters; shorter stubs are not codes a register holds
        for k in range(3, len(prefix)):
            under.setdefault((system, prefix[:k]), set()).add((category, len(prefix) - k))
    return table, {k: frozenset(v) for k, v in under.items()}


def _resolve(code: str, system: str, table: dict, under: dict,
             truncation: bool) -> tuple[str | None, str | None, str | None]:
    """(category, status, categories under a short code) of one code."""
    for k in range(len(code), 0, -1):
        hit = table.get((system, code[:k]))
        if hit is not None:
            return (None if hit[1] == "exclude" else hit[1]), "exact", None
    below = under.get((system, code)) if truncation else None
    if not below:
        return None, None, None
    cats = sorted({c if c != "exclude" else "(none)" for c, _ in below})
    # only a national subdivision (one more character under a subcategory) may be dropped:
    # a shorter code has WHO subdivisions the list may not name. ICD-9 and ICD-10 patterns
    # longer than the WHO code are clinical-modification digits that change the meaning
    # (ICD-9-CM 402.00 without, 402.01 with heart failure): never dropped there.
    national = (system in _NATIONAL_DIGITS and len(code) >= 4
                and all(extra == 1 for _, extra in below))
    if len(cats) == 1 and national:
        return (None if cats[0] == "(none)" else cats[0]), "truncated", None
    if not national:
        cats.append("(codes not in the list)")
    return None, "ambiguous", "|".join(cats)


def _as_series(x: pd.Series | Sequence[Any] | str | None, n: int, index: pd.Index
               ) -> pd.Series:
    if x is not None and not isinstance(x, (str, pd.Series)) and np.ndim(x) == 1:
        x = pd.Series(list(x), index=index, dtype=object)
    if isinstance(x, pd.Series):
        if len(x) != n:
            raise ValueError("code_norm and code_system must have the same length")
        return x
    return pd.Series([x] * n, index=index, dtype=object)


def _unique_pairs(code_norm: pd.Series, code_system: pd.Series | Sequence[Any] | str
                  ) -> tuple[np.ndarray, list[tuple[str | None, str | None]]]:
    n = len(code_norm)
    systems = _as_series(code_system, n, code_norm.index)
    c_idx, c_uniq = pd.factorize(code_norm, use_na_sentinel=True)
    s_idx, s_uniq = pd.factorize(systems, use_na_sentinel=True)
    s_names = [canonical_system(v) for v in s_uniq] + [None]
    s_names = ["ICD-7" if v == "ICD-6" else v for v in s_names]
    c_vals = [None if pd.isna(v) else str(v).upper().replace(".", "") for v in c_uniq] + [None]
    c_idx = np.where(c_idx < 0, len(c_vals) - 1, c_idx).astype(np.int64)
    s_idx = np.where(s_idx < 0, len(s_names) - 1, s_idx).astype(np.int64)
    inverse, pairs = pd.factorize(c_idx * len(s_names) + s_idx)
    keys = [divmod(key, len(s_names)) for key in pairs.tolist()]
    return inverse, [(c_vals[ci], s_names[si]) for ci, si in keys]


def match(code_norm: pd.Series, code_system: pd.Series | Sequence[Any] | str,
          lists: pd.DataFrame, list_name: str, *, truncation: bool = True) -> pd.Series:
    """Give each code its category in one code list.

    Parameters
    ----------
    code_norm : pandas.Series
        Normalised codes (``code_norm`` from :func:`harkit.icd.normalise.normalise`).
    code_system : pandas.Series, sequence or str
        Revision of each code, aligned by position (or one value for all); NA gives NA.
    lists : pandas.DataFrame
        Code lists as returned by :func:`codelists`.
    list_name : str
        The list to match against, e.g. ``"substance"``.
    truncation : bool, default True
        Apply the safe-truncation rule to codes shorter than the list's patterns (see the
        module notes); ``False`` matches by prefix only.

    Returns
    -------
    pandas.Series
        ``string`` dtype, index of ``code_norm``, named ``list_name``: the category of the
        most specific matching pattern, NA when none matches, it is ``exclude`` or the code
        is an ambiguous truncation.

    Examples
    --------
    >>> lists = codelists()
    >>> match(pd.Series(["304.0", "304.0", "F10.2"]), pd.Series(["ICD-7", "ICD-8", "ICD-10"]),
    ...       lists, "substance").tolist()
    [<NA>, 'opioids', 'alcohol']
    """
    table, under = _lookup_table(lists, list_name)
    inverse, pairs = _unique_pairs(code_norm, code_system)
    result = np.empty(len(pairs), dtype=object)
    for j, (code, system) in enumerate(pairs):
        result[j] = None
        if code is not None and system is not None:
            result[j] = _resolve(code, system, table, under, truncation)[0]
    out = pd.array(result, dtype="string").take(inverse)
    return pd.Series(out, index=code_norm.index, name=list_name)


def truncation_status(code_norm: pd.Series, code_system: pd.Series | Sequence[Any] | str,
                      lists: pd.DataFrame, list_name: str) -> pd.DataFrame:
    """How each code meets one list: by a prefix, by a safe truncation, or ambiguously.

    Parameters
    ----------
    code_norm : pandas.Series
        Normalised codes.
    code_system : pandas.Series, sequence or str
        Revision of each code (or one value for all).
    lists : pandas.DataFrame
        Code lists as returned by :func:`codelists`.
    list_name : str
        The list.

    Returns
    -------
    pandas.DataFrame
        Index of ``code_norm``; ``category`` (as :func:`match`), ``status`` (``exact``: a
        pattern is a prefix of the code; ``truncated``: the code is shorter than the
        patterns and all patterns under it share one category; ``ambiguous``: the patterns
        under it have different categories, so the code gets none; NA: nothing in the list
        under or over the code) and ``candidates`` (the categories under an ambiguous code,
        joined by ``|``).

    Examples
    --------
    >>> lists = codelists()
    >>> truncation_status(pd.Series(["260", "722.0"]), "ICD-7", lists,
    ...                   "charlson_ludvigsson")["status"].tolist()
    ['ambiguous', 'truncated']
    """
    table, under = _lookup_table(lists, list_name)
    inverse, pairs = _unique_pairs(code_norm, code_system)
    res = [(None, None, None) if code is None or system is None
           else _resolve(code, system, table, under, True) for code, system in pairs]
    cols = list(zip(*res)) if res else [(), (), ()]
    out = pd.DataFrame({name: pd.array(list(col), dtype="string").take(inverse)
                        for name, col in zip(("category", "status", "candidates"), cols)},
                       index=code_norm.index)
    return out
