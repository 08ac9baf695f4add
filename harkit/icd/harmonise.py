"""Harmonise diagnoses and causes of death across ICD-7, 8, 9, 10 and uncoded text.

:func:`harmonise` adds harmonised columns (substance, SUD level, alcohol-related somatic
condition, drug poisoning, chapter, cause group) to a canonical ``diagnoses`` or
``causes_of_death`` table. It always keys on the pair (code system, code): the same string
means different things in different revisions (ICD-7 ``304`` is a senile psychosis, ICD-8
``304`` drug dependence).

The work is done once per distinct (code system, code) pair and per distinct text, then
spread back to the rows with integer indexing, so millions of rows cost little more than
the few thousand distinct codes they hold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from harkit.schema import CODE_SYSTEM_CATEGORIES, VALUE_ALIASES

__all__ = ["harmonise", "CATEGORY_COLUMNS", "TEXT_COLUMNS", "MIN_TEXT_CONFIDENCE"]

#: Code-list columns added by :func:`harmonise`, in output order.
CATEGORY_COLUMNS: tuple[str, ...] = (
    "substance", "sud_level", "alcohol_somatic", "drug_poisoning", "chapter", "cause_group",
)
#: Columns filled from diagnosis text when the code maps to nothing.
TEXT_COLUMNS: tuple[str, ...] = ("substance", "sud_level", "alcohol_somatic")
#: Default smallest text-rule confidence accepted (drops negated and family mentions).
MIN_TEXT_CONFIDENCE = 0.3
MAPPED_BY_CATEGORIES: tuple[str, ...] = ("code", "text-rule", "text-model")

CodeListsArg = pd.DataFrame | str | PathLike | Sequence[Any] | None


# --------------------------------------------------------------------------- helpers


def _load_lists(codelists: CodeListsArg) -> pd.DataFrame:
    """Shipped code lists plus user CSVs (paths) or an already loaded table."""
    if isinstance(codelists, pd.DataFrame):
        return codelists
    from harkit.icd.codelists import codelists as load

    if codelists is None:
        return load()
    if isinstance(codelists, str | PathLike):
        codelists = [codelists]
    return load(extra=list(codelists))


def _resolve_setting(table: pd.DataFrame, setting: str | None) -> str:
    """``"death"`` for a causes-of-death table (has ``cause_type``), else ``"hospital"``."""
    if setting is None:
        return "death" if "cause_type" in table.columns else "hospital"
    if setting not in ("hospital", "death"):
        raise ValueError(f"setting must be 'hospital' or 'death', got {setting!r}")
    return setting


_SYSTEMS = list(CODE_SYSTEM_CATEGORIES)
_SYSTEM_ALIASES = {k.replace(" ", ""): v for k, v in VALUE_ALIASES["code_system"].items()}
_SPACES = re.compile(r"\s+")


def _system_index(values: pd.Series | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Index into the fixed code-system categories per row (-1 missing, -2 unknown)."""
    if values is None:
        return np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=bool)
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = [str(c) for c in values.cat.categories]
        codes = values.cat.codes.to_numpy().astype(np.int64)
    else:
        codes, cats = pd.factorize(values.astype("object"), use_na_sentinel=True)
        codes = codes.astype(np.int64)
        cats = [str(c) for c in cats]
    lut = np.empty(len(cats) + 1, dtype=np.int64)
    lut[-1] = -1  # the NA code -1 indexes the last slot
    for i, c in enumerate(cats):
        folded = _SPACES.sub("", c.strip().lower())
        if c in _SYSTEMS:
            lut[i] = _SYSTEMS.index(c)
        elif folded in _SYSTEM_ALIASES:
            lut[i] = _SYSTEMS.index(_SYSTEM_ALIASES[folded])
        elif folded in ("", "nan", "na", "<na>"):
            lut[i] = -1
        else:
            lut[i] = -2
    out = lut[codes]
    unknown = out == -2
    out[unknown] = -1
    return out, unknown


def _object_values(values: pd.Series) -> np.ndarray:
    """The values as an object ndarray, without a copy where pandas allows it.

    Factorising the object array behind a ``string[python]`` column is about twice as fast
    as factorising the Series (which goes through the extension-array path).
    """
    return np.asarray(values.array if isinstance(values.dtype, pd.StringDtype) else values,
                      dtype=object)


def _as_dates(values: pd.Series) -> np.ndarray:
    if values.dtype.kind == "M" and getattr(values.dtype, "tz", None) is None:
        return values.to_numpy(dtype="datetime64[ns]")
    return pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[ns]")


def _row_dates(table: pd.DataFrame, setting: str,
               death_dates: pd.Series | Mapping | None = None,
               rows: np.ndarray | None = None) -> np.ndarray | None:
    """The date that decides the code system of each row, or None if there is none.

    Diagnoses use their ``date`` column. Causes of death carry no date: the person's death
    date comes from ``death_dates`` (a Series or mapping keyed by ``person_id``) or, failing
    that, a ``death_date`` column. ``rows`` (positions) limits the work to those rows.
    """
    sub = table if rows is None else table.iloc[rows]
    if setting == "hospital" or death_dates is None:
        for col in ("date", "death_date"):
            if col in sub.columns:
                return _as_dates(sub[col])
        return None
    if "person_id" not in sub.columns:
        return None
    if not isinstance(death_dates, pd.Series):
        death_dates = pd.Series(dict(death_dates))
    return _as_dates(sub["person_id"].map(death_dates))


def _code_keys(table: pd.DataFrame, *, setting: str, icd9_hospital_start: int = 1987,
               death_dates: pd.Series | Mapping | None = None) -> dict[str, Any]:
    """Normalised code and code system per row, computed once per distinct pair.

    Parameters
    ----------
    table : pandas.DataFrame
        Diagnoses or causes of death (``code`` and, optionally, ``code_system``).
    setting : {"hospital", "death"}
        Decides the revision periods used to infer a missing code system.
    icd9_hospital_start : int, default 1987
        First year of ICD-9 in hospitals.
    death_dates : Series or mapping, optional
        Death date per ``person_id`` (causes of death only).

    Returns
    -------
    dict
        ``pair`` (row -> distinct pair index), ``pairs`` (DataFrame per distinct pair:
        ``code``, ``code_system``, ``code_norm``, ``code_flag``), ``system`` (row index
        into the code-system categories, -1 missing), ``inferred_by`` (dict: categorical
        ``codes`` per row and ``categories``), ``unknown_system`` and ``none_with_code``
        (bool per row: the given system was replaced by an inferred one).
    """
    from harkit.icd.infer import infer_code_system
    from harkit.icd.normalise import normalise

    n = len(table)
    raw = table["code"] if "code" in table.columns else pd.Series([None] * n, index=table.index)
    code_idx, code_uniques = pd.factorize(_object_values(raw), use_na_sentinel=True)
    code_idx = code_idx.astype(np.int64)
    code_uniques = np.array(code_uniques, dtype=object)  # a copy: written below
    # codes read as numbers (3039, 303.9) are still codes: give normalise their text
    for i, v in enumerate(code_uniques):
        if not isinstance(v, str):
            code_uniques[i] = str(v)
    system, unknown = _system_index(table.get("code_system"), n)
    # a code under the system "none" contradicts itself: infer its revision instead
    none_with_code = (system == _SYSTEMS.index("none")) & (code_idx >= 0)
    system[none_with_code] = -1
    by_codes = np.full(n, -1, dtype=np.int64)
    by_cats: list[str] = []

    todo = np.flatnonzero(system < 0)
    if len(todo):
        dates = _row_dates(table, setting, death_dates, rows=todo)
        # revisions change at year boundaries: infer once per (code, year)
        if dates is not None:
            year = dates.astype("datetime64[Y]").astype("int64")
            year = np.where(np.isnat(dates), -99999, year)
        else:
            year = np.full(len(todo), -99999, dtype=np.int64)
        key = (code_idx[todo] + 1) * 1_000_000 + (year + 500_000)
        kidx, kuniq = pd.factorize(key)
        first = np.zeros(len(kuniq), dtype=np.int64)
        first[kidx[::-1]] = np.arange(len(kidx))[::-1]
        ci = code_idx[todo][first]
        u_codes = pd.Series(np.append(code_uniques, None)[ci], dtype="object")
        yr = year[first]
        u_dates = pd.Series(pd.to_datetime(
            np.where(yr == -99999, np.datetime64("NaT"),
                     (yr.astype("datetime64[Y]") + np.timedelta64(182, "D")).astype(
                         "datetime64[ns]")) if len(yr) else np.array([], "datetime64[ns]")))
        inf = infer_code_system(u_codes, u_dates, setting=setting,
                                icd9_hospital_start=icd9_hospital_start)
        inf_sys, _ = _system_index(inf["code_system"].reset_index(drop=True), len(inf))
        system[todo] = inf_sys[kidx]
        by = pd.Categorical(inf["inferred_by"].astype(object))
        by_cats = [str(c) for c in by.categories]
        by_codes[todo] = by.codes[kidx]

    # dense key (code, system) -> pair number, without hashing millions of rows again
    k = len(_SYSTEMS) + 1
    pair_key = (code_idx + 1) * k + (system + 1)
    present = np.zeros((len(code_uniques) + 1) * k, dtype=bool)
    present[pair_key] = True
    pair_uniq = np.flatnonzero(present)
    lookup = np.cumsum(present, dtype=np.int32) - 1
    pair = lookup[pair_key]
    p_code_idx = pair_uniq // k - 1
    p_system = pair_uniq % k - 1
    # index -1 (missing) picks the trailing None
    p_codes = pd.Series(np.append(code_uniques, None)[p_code_idx], dtype="object")
    p_sys_names = pd.Series(np.array(_SYSTEMS + [None], dtype=object)[p_system],
                            dtype="object")
    p_sys_cat = pd.Series(pd.Categorical(p_sys_names, categories=_SYSTEMS))
    norm = normalise(p_codes, p_sys_cat)
    pairs = pd.DataFrame({
        "code": p_codes, "code_system": p_sys_cat,
        "code_norm": norm["code_norm"].astype("string").reset_index(drop=True),
        "code_flag": norm["code_flag"].astype("string").reset_index(drop=True),
    })
    return {"pair": pair, "pairs": pairs, "system": system,
            "inferred_by": {"codes": by_codes, "categories": by_cats},
            "unknown_system": unknown, "none_with_code": none_with_code}


def _match_pairs(pairs: pd.DataFrame, lists: pd.DataFrame, list_name: str) -> pd.Series:
    from harkit.icd.codelists import match

    if not (lists["list"] == list_name).any():
        return pd.Series(pd.NA, index=pairs.index, dtype="object")
    return match(pairs["code_norm"], pairs["code_system"], lists, list_name).reset_index(
        drop=True)


class _CatBuilder:
    """A categorical column built from integer codes, extendable with new categories."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.codes: np.ndarray | None = None  # allocated on first use
        self.cats: list[str] = []
        self._pos: dict[str, int] = {}

    def index_of(self, values: Sequence[Any]) -> np.ndarray:
        out = np.full(len(values), -1, dtype=np.int64)
        for i, v in enumerate(values):
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                continue
            v = str(v)
            if v not in self._pos:
                self._pos[v] = len(self.cats)
                self.cats.append(v)
            out[i] = self._pos[v]
        return out

    def ensure(self) -> np.ndarray:
        if self.codes is None:
            self.codes = np.full(self.n, -1, dtype=np.int16)
        return self.codes

    def set_from_pairs(self, pair_codes: np.ndarray, pair: np.ndarray) -> None:
        # int16 codes: a list has far fewer than 32k categories, and takes are cheaper
        self.codes = pair_codes.astype(np.int16)[pair]

    def build(self) -> pd.Categorical:
        dtype = pd.CategoricalDtype(pd.Index(self.cats, dtype=object))
        return pd.Categorical.from_codes(self.ensure(), dtype=dtype, validate=False)


def _import_text_rules():
    try:
        from harkit.icd.text import text_rules
    except ImportError:  # C's module not there yet: text mapping is skipped
        return None
    return text_rules


def _text_column(table: pd.DataFrame) -> str | None:
    for col in ("diagnosis_text", "cause_text", "text"):
        if col in table.columns:
            return col
    return None


# --------------------------------------------------------------------------- public API


def harmonise(
    diagnoses: pd.DataFrame,
    *,
    codelists: CodeListsArg = None,
    setting: str | None = None,
    text: bool = True,
    model: Any = None,
    icd9_hospital_start: int = 1987,
    death_dates: pd.Series | Mapping | None = None,
    min_confidence: float = MIN_TEXT_CONFIDENCE,
    warn_definitions: bool = True,
) -> pd.DataFrame:
    """Add harmonised categories to a diagnoses or causes-of-death table.

    Parameters
    ----------
    diagnoses : pandas.DataFrame
        A canonical ``diagnoses`` table (``code``, ``code_system``, ``diagnosis_text``,
        ``date``) or ``causes_of_death`` table (``code``, ``code_system``, ``cause_type``,
        ``cause_text``). Only ``code`` is strictly needed.
    codelists : DataFrame, path or list of paths, optional
        Code lists to use. A DataFrame (as from :func:`harkit.icd.codelists.codelists`) is
        used as is; paths to user CSV files are added to the shipped lists (see
        ``codelists(extra=...)``). Default: the shipped lists.
    setting : {"hospital", "death"}, optional
        Which revision periods apply when a code system must be inferred. Default:
        ``"death"`` when the table has a ``cause_type`` column, else ``"hospital"``.
    text : bool, default True
        Map uncoded rows (and rows whose code maps to nothing) from their diagnosis text
        with the rule set :func:`harkit.icd.text.text_rules`, when that module is present.
    model : fitted TextClassifier, optional
        A fitted :class:`harkit.icd.classifier.TextClassifier`; rows that neither the code
        nor the text rules map are given its predicted ``substance`` (it may abstain).
    icd9_hospital_start : int, default 1987
        First year of ICD-9 in hospitals, used when inferring a missing code system.
    death_dates : Series or mapping, optional
        Causes of death only: death date per ``person_id``, used to infer a missing code
        system from the revision in force at death (and added as ``death_date``). Without
        it, a missing code system is inferred from the code's syntax alone.
    min_confidence : float, default 0.3
        Smallest text-rule confidence accepted. The rules report negated (x0.1), family
        (x0.2) and uncertain (x0.5) mentions with lowered confidence; below this they map
        nothing.
    warn_definitions : bool, default True
        Causes of death: warn when their years span a change in the definition of a cause
        group they contain (see Warns). ``False`` for intermediate tables (the cohort), whose
        analyses check for themselves.

    Returns
    -------
    pandas.DataFrame
        A copy of ``diagnoses`` with the same index and row order, and added columns:

        - ``code_norm`` (canonical dotted code, NA if invalid or empty), ``code_flag``
          (why a code was not usable, or NA);
        - ``code_system`` (given, or inferred where missing or unknown) and
          ``code_system_inferred_by`` (how it was inferred; NA where given);
        - ``substance``, ``sud_level``, ``alcohol_somatic``, ``drug_poisoning``,
          ``chapter``, ``cause_group`` (categoricals; ``cause_group`` is NA for hospital
          diagnoses);
        - ``mapped_by`` (``code`` when the code matched any list, ``text-rule``,
          ``text-model``, or NA) and ``confidence`` (1.0 for code, the rule's or model's
          confidence otherwise).

    Warns
    -----
    harkit.icd.causes.DefinitionChangeWarning
        Causes of death whose years (``death_date`` or ``date``; else the revisions present)
        span a change in the definition of a cause group they contain, naming the groups
        and years (see :func:`harkit.icd.causes.definition_changes`).

    Notes
    -----
    Codes are looked up as (code system, normalised code) pairs, never by the code alone.
    Bad input never raises: unknown code systems, and codes given under the system
    ``none``, are treated as missing and inferred (flagged ``unknown code system`` or
    ``code under code system none`` in ``code_flag``); garbage or empty codes get the flag
    that :func:`harkit.icd.normalise.normalise` gives and no category.

    Examples
    --------
    >>> import harkit as hk
    >>> ex = hk.datasets.load_fixture()
    >>> dx = hk.icd.harmonise(ex.diagnoses)
    >>> dx.groupby("substance", observed=True).size()  # doctest: +SKIP
    """
    df = diagnoses.copy()
    n = len(df)
    setting = _resolve_setting(df, setting)
    lists = _load_lists(codelists)
    keys = _code_keys(df, setting=setting, icd9_hospital_start=icd9_hospital_start,
                     death_dates=death_dates)
    pair, pairs = keys["pair"], keys["pairs"]

    # code-derived categories, once per distinct pair
    builders = {c: _CatBuilder(n) for c in CATEGORY_COLUMNS}
    any_code = np.zeros(len(pairs), dtype=bool)
    for col in CATEGORY_COLUMNS:
        if col == "cause_group" and setting != "death":
            continue
        values = _match_pairs(pairs, lists, col)
        ucodes = builders[col].index_of(values.astype(object).tolist())
        any_code |= ucodes >= 0
        builders[col].set_from_pairs(ucodes, pair)

    mapped = _CatBuilder(n)
    mapped.index_of(list(MAPPED_BY_CATEGORIES))
    mapped.set_from_pairs(np.where(any_code, 0, -1), pair)
    confidence = np.where(mapped.codes == 0, 1.0, np.nan)

    text_col = _text_column(df)
    if (text or model is not None) and text_col is not None and n:
        _map_text(df[text_col], builders, mapped, confidence, text=text, model=model,
                  min_confidence=min_confidence)

    flags = _CatBuilder(n)
    u_flag = flags.index_of(pairs["code_flag"].astype(object).tolist())
    flags.set_from_pairs(u_flag, pair)
    for mask, note in ((keys["unknown_system"], "unknown code system"),
                       (keys["none_with_code"], "code under code system none")):
        rows = np.flatnonzero(mask)
        if len(rows):
            # the given system was replaced by an inferred one: say so next to any code flag
            old = [flags.cats[c] if c >= 0 else None for c in flags.codes[rows]]
            flags.codes[rows] = flags.index_of([note if f is None else f"{f}; {note}"
                                                for f in old])

    df["code_system"] = pd.Categorical.from_codes(keys["system"], categories=_SYSTEMS)
    by = keys["inferred_by"]
    df["code_system_inferred_by"] = pd.Categorical.from_codes(
        by["codes"], categories=pd.Index(by["categories"], dtype=object))
    norm_cat = pd.Categorical(pairs["code_norm"].astype(object))
    df["code_norm"] = pd.Categorical.from_codes(norm_cat.codes[pair],
                                                categories=norm_cat.categories)
    df["code_flag"] = flags.build()
    for col in CATEGORY_COLUMNS:
        df[col] = builders[col].build()
    df["mapped_by"] = mapped.build()
    df["confidence"] = confidence
    if setting == "death" and death_dates is not None:
        df["death_date"] = _row_dates(df, setting, death_dates)
    if setting == "death" and n and warn_definitions:
        _warn_definition_changes(df)
    return df


def _warn_definition_changes(df: pd.DataFrame) -> None:
    """Warn when the causes of death span a change in the definition of a group they use."""
    from harkit.icd.causes import check_definitions, revision_years, years_of

    groups = df["cause_group"].dropna().astype(str).unique().tolist()
    years = years_of(df)
    if years is None or years.isna().all():
        # no dates: the revisions present bound the years
        years = pd.Series(revision_years(df["code_system"].dropna().astype(str)), dtype=float)
    check_definitions(years, groups, setting="death", stacklevel=4)


def _map_text(texts: pd.Series, builders: dict[str, _CatBuilder], mapped: _CatBuilder,
              confidence: np.ndarray, *, text: bool, model: Any,
              min_confidence: float) -> None:
    """Fill substance/sud_level from text for rows the code left unmapped (in place)."""
    rows = np.flatnonzero(mapped.codes < 0)
    if not len(rows):
        return
    tidx, tuniq = pd.factorize(_object_values(texts)[rows], use_na_sentinel=True)
    rows, tidx = rows[tidx >= 0], tidx[tidx >= 0]
    if not len(rows):
        return
    tuniq = pd.Series(np.asarray(tuniq, dtype=object))
    stripped = tuniq.str.strip().str.len().fillna(0).to_numpy() > 0
    done = np.zeros(len(tuniq), dtype=bool)
    rules = _import_text_rules() if text else None
    if rules is not None:
        res = rules(tuniq).reset_index(drop=True)
        hit = np.zeros(len(tuniq), dtype=bool)
        for col in TEXT_COLUMNS:
            if col in res.columns:
                hit |= res[col].notna().to_numpy()
        conf = pd.to_numeric(res.get("confidence", pd.Series(np.nan, index=res.index)),
                             errors="coerce").to_numpy(dtype=float)
        hit &= stripped & (np.nan_to_num(conf, nan=0.0) >= min_confidence)
        for col in TEXT_COLUMNS:
            if col in res.columns:
                u = builders[col].index_of(res[col].astype(object).where(hit, None).tolist())
                codes = builders[col].ensure()
                codes[rows] = np.where(u[tidx] >= 0, u[tidx], codes[rows])
        sel = hit[tidx]
        mapped.codes[rows[sel]] = 1
        confidence[rows[sel]] = conf[tidx[sel]]
        done |= hit
    if model is not None:
        left = np.flatnonzero(~done & stripped)
        if len(left):
            pred = model.predict(tuniq.iloc[left].reset_index(drop=True))
            cat = pred["category"].astype(object).to_numpy()
            prob = pd.to_numeric(pred["probability"], errors="coerce").to_numpy(dtype=float)
            ok = ~pd.isna(cat)
            u_cat = np.full(len(tuniq), -1, dtype=np.int64)
            u_cat[left[ok]] = builders["substance"].index_of(list(cat[ok]))
            u_prob = np.full(len(tuniq), np.nan)
            u_prob[left[ok]] = prob[ok]
            sel = u_cat[tidx] >= 0
            builders["substance"].ensure()[rows[sel]] = u_cat[tidx[sel]]
            mapped.codes[rows[sel]] = 2
            confidence[rows[sel]] = u_prob[tidx[sel]]
