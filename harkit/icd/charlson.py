"""Charlson comorbidity index per person, across ICD-7 to ICD-10.

Two schemes are shipped as code lists: ``ludvigsson`` (the Swedish adaptation, Ludvigsson
et al. 2021, with ICD-7, ICD-8, ICD-9 and ICD-10 codes) and ``quan`` (Quan et al. 2005 coding
for ICD-9 and ICD-10). Weights come from ``harkit/codelists/charlson_weights.csv``. Matching
is done once per distinct (code system, code) pair and spread to rows, so a full register is
scored in seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from harkit.icd.harmonise import (
    CodeListsArg,
    _code_keys,
    _load_lists,
    _object_values,
    _resolve_setting,
)

__all__ = ["charlson", "scheme_weights", "apply_hierarchy", "SCHEMES"]

SCHEMES: tuple[str, ...] = ("ludvigsson", "quan")

#: Roles used by the hierarchy rules, found among a scheme's condition names by pattern.
_ROLES: dict[str, str] = {
    "mild_liver": r"^(mild_liver|liver_mild)",
    "severe_liver": r"^(moderate_severe_liver|moderate_or_severe_liver|severe_liver)",
    "liver_special": r"^(liver_special|ascites)$",
    "malignancy": r"^(malignancy|any_malignancy|cancer)$",
    "metastatic": r"^metasta",
    "diabetes": r"^diabetes(_without|_no_|_uncomplicated|$)",
    "diabetes_comp": r"^diabetes_(with_|complicated)",
}


def scheme_weights(scheme: str = "ludvigsson") -> pd.Series:
    """Weights of one Charlson scheme.

    Parameters
    ----------
    scheme : {"ludvigsson", "quan"}
        Scheme name as in ``charlson_weights.csv``.

    Returns
    -------
    pandas.Series
        Weight per condition (index: condition name).
    """
    from harkit.icd.codelists import charlson_weights as all_weights

    table = all_weights()
    names = table["scheme"].str.lower().str.removeprefix("charlson_")
    sel = table[names == scheme.lower().removeprefix("charlson_")]
    if sel.empty:
        raise ValueError(f"no weights for Charlson scheme {scheme!r}; schemes are "
                         f"{sorted(table['scheme'].unique())}")
    return sel.set_index("condition")["weight"].astype(float)


def _roles(conditions: list[str]) -> dict[str, str]:
    out = {}
    for role, pat in _ROLES.items():
        hits = [c for c in conditions if re.match(pat, c.lower())]
        if hits:
            out[role] = hits[0]
    return out


def apply_hierarchy(flags: pd.DataFrame) -> pd.DataFrame:
    """Apply the Charlson hierarchy rules to person-level condition flags.

    Mild liver disease together with "liver special" (ascites, Ludvigsson) counts as
    moderate/severe liver disease; mild liver disease is not counted when moderate/severe
    liver disease is; malignancy is not counted with metastatic cancer; diabetes without
    complications is not counted with diabetes with complications. "Liver special" is a
    helper flag that carries no weight and is dropped.

    Parameters
    ----------
    flags : pandas.DataFrame
        One boolean column per condition.

    Returns
    -------
    pandas.DataFrame
        A copy with the rules applied.
    """
    out = flags.copy()
    r = _roles(list(out.columns))
    if "liver_special" in r:
        special = out.pop(r["liver_special"])
        if "mild_liver" in r and "severe_liver" in r:
            out[r["severe_liver"]] |= out[r["mild_liver"]] & special
    for lesser, greater in (("mild_liver", "severe_liver"), ("malignancy", "metastatic"),
                            ("diabetes", "diabetes_comp")):
        if lesser in r and greater in r:
            out[r[lesser]] &= ~out[r[greater]]
    return out


def _person_ids(persons: Any) -> pd.Index | None:
    if persons is None:
        return None
    if isinstance(persons, pd.DataFrame):
        persons = persons["person_id"]
    return pd.Index(pd.unique(pd.Series(persons).astype(object).to_numpy()))


def _window(diagnoses: pd.DataFrame, index_date: Any, lookback_years: float | None
            ) -> np.ndarray | None:
    """Rows inside [index - lookback, index], or None for no restriction."""
    if index_date is None:
        if lookback_years is not None:
            raise ValueError("lookback_years needs index_date")
        return None
    if "date" not in diagnoses.columns:
        raise ValueError("a time window needs a 'date' column in diagnoses")
    if isinstance(index_date, str):
        idx = pd.to_datetime(diagnoses[index_date], errors="coerce")
    else:
        if isinstance(index_date, Mapping):
            index_date = pd.Series(index_date)
        idx = pd.to_datetime(diagnoses["person_id"].map(index_date), errors="coerce")
    date = pd.to_datetime(diagnoses["date"], errors="coerce").to_numpy()
    idx = idx.to_numpy()
    keep = date <= idx
    if lookback_years is not None:
        keep &= date >= _minus_months(idx, int(round(lookback_years * 12)))
    return keep


def _minus_months(dates: np.ndarray, months: int) -> np.ndarray:
    """Calendar subtraction (2005-01-01 minus 5 years is 2000-01-01; 29 Feb -> 28 Feb)."""
    d = pd.DatetimeIndex(dates)
    total = d.year.to_numpy(dtype=float) * 12 + d.month.to_numpy(dtype=float) - 1 - months
    ok = ~np.isnan(total)
    out = np.full(len(d), np.datetime64("NaT"), dtype="datetime64[ns]")
    if ok.any():
        t = total[ok].astype(np.int64)
        first = (t - 1970 * 12).astype("datetime64[M]")
        month_len = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]"))
        day = np.minimum(d.day.to_numpy()[ok] - 1, month_len.astype(np.int64) - 1)
        tod = (d[ok] - d[ok].normalize()).to_numpy()
        start = first.astype("datetime64[D]") + day.astype("timedelta64[D]")
        out[ok] = start.astype("datetime64[ns]") + tod
    return out


def person_flags(diagnoses: pd.DataFrame, persons: Any, pair: np.ndarray, hit: np.ndarray,
                 keep: np.ndarray | None) -> tuple[pd.Index, np.ndarray]:
    """Per-person condition flags from per-diagnosis matches (shared by the indices).

    Parameters
    ----------
    diagnoses : pandas.DataFrame
        The diagnoses, with ``person_id``.
    persons : Series, DataFrame, Index or sequence, optional
        Persons to report (see :func:`charlson`); None: the persons in ``diagnoses``,
        sorted.
    pair : numpy.ndarray
        Per diagnosis row, its (code, code system) pair number (from ``_pairs``).
    hit : numpy.ndarray
        (pairs, conditions) booleans: the pair matches the condition.
    keep : numpy.ndarray, optional
        Per diagnosis row, inside the look-back window.

    Returns
    -------
    ids : pandas.Index
        The persons, one per output row.
    flags : numpy.ndarray
        (persons, conditions) booleans.
    """
    pid_codes, pid_uniq = pd.factorize(_object_values(diagnoses["person_id"]))
    wanted = _person_ids(persons)
    ids = pd.Index(pid_uniq) if wanted is None else wanted
    if wanted is None:
        ids = ids[np.argsort(ids.astype(str).to_numpy(), kind="stable")]
    pos = ids.get_indexer(pd.Index(pid_uniq))  # person code -> output row (-1: not wanted)
    row_pos = pos[pid_codes] if len(pid_codes) else np.array([], dtype=np.int64)
    valid = row_pos >= 0
    if keep is not None:
        valid &= keep
    flags = np.zeros((len(ids), hit.shape[1]), dtype=bool)
    rows_pair = pair[valid]
    rows_pos = row_pos[valid]
    for j in range(hit.shape[1]):
        flags[rows_pos[hit[rows_pair, j]], j] = True
    return ids, flags


def charlson(
    diagnoses: pd.DataFrame,
    *,
    index_date: str | pd.Series | Mapping | None = None,
    lookback_years: float | None = None,
    weights: str | Mapping[str, float] = "ludvigsson",
    persons: Any = None,
    codelists: CodeListsArg = None,
    scheme: str | None = None,
    icd9_hospital_start: int = 1987,
) -> pd.DataFrame:
    """Charlson comorbidity flags and score per person.

    Parameters
    ----------
    diagnoses : pandas.DataFrame
        Diagnoses with ``person_id``, ``code`` and ``code_system`` (a missing code system is
        inferred from ``date``), or the output of :func:`harkit.icd.harmonise` (its
        ``code_norm`` and ``code_system`` are used as they are).
    index_date : str, Series or mapping, optional
        The index date: a column of ``diagnoses`` (one date per row, e.g. joined from the
        cohort) or a date per ``person_id``. Only diagnoses dated on or before it count;
        rows without a date then do not count.
    lookback_years : float, optional
        With ``index_date``, count only diagnoses in ``[index - lookback, index]``
        (calendar years; fractions are rounded to whole months).
    weights : {"ludvigsson", "quan"} or mapping, default "ludvigsson"
        The scheme: its code lists (``charlson_<scheme>``) and weights. A mapping
        condition -> weight overrides the weights of the scheme chosen by ``scheme``.
    persons : DataFrame, Series or array, optional
        All persons to report (a persons table or its ``person_id``); persons without a
        qualifying diagnosis get all flags False and score 0. Default: the persons in
        ``diagnoses``.
    codelists : DataFrame, path or list of paths, optional
        Code lists (see :func:`harkit.icd.harmonise`). Default: the shipped lists.
    scheme : str, optional
        Code-list scheme when ``weights`` is a mapping (default ``"ludvigsson"``).
    icd9_hospital_start : int, default 1987
        First year of ICD-9 in hospitals, for inferring a missing code system.

    Returns
    -------
    pandas.DataFrame
        One row per person: ``person_id``, one boolean column per condition (after the
        hierarchy rules, so the score is the weighted sum of the columns) and
        ``charlson_score`` (int).

    Notes
    -----
    A code may count towards more than one condition (each condition is matched on its
    own). Only coded diagnoses count: conditions written only as free text are not seen.
    """
    if isinstance(weights, str):
        scheme = weights.lower().removeprefix("charlson_")
        w = scheme_weights(scheme)
    else:
        scheme = (scheme or "ludvigsson").lower().removeprefix("charlson_")
        w = pd.Series(dict(weights), dtype=float)
    list_name = f"charlson_{scheme}"
    lists = _load_lists(codelists)
    lists = lists[lists["list"] == list_name]
    if lists.empty:
        raise ValueError(f"no code list {list_name!r}")
    found = set(lists["category"]) - {"exclude"}
    # the weights table's order, then any condition it lacks (weight 0)
    conditions = [c for c in w.index if c in found] + sorted(found - set(w.index))

    pair, pairs = _pairs(diagnoses, icd9_hospital_start)
    hit = _match_conditions(pairs, lists, list_name, conditions)  # pairs x conditions

    keep = _window(diagnoses, index_date, lookback_years)
    ids, flags = person_flags(diagnoses, persons, pair, hit, keep)

    out = pd.DataFrame(flags, columns=conditions)
    out = apply_hierarchy(out)
    ww = w.reindex(out.columns).fillna(0.0).to_numpy()
    score = out.to_numpy(dtype=float) @ ww
    out.insert(0, "person_id", ids.to_numpy())
    out["charlson_score"] = np.rint(score).astype(np.int64)
    return out


def _pairs(diagnoses: pd.DataFrame, icd9_hospital_start: int) -> tuple[np.ndarray, pd.DataFrame]:
    """Row -> distinct (code_system, code_norm) pair, reusing harmonised columns if there."""
    if {"code_norm", "code_system"} <= set(diagnoses.columns):
        sys_cat = pd.Categorical(diagnoses["code_system"])
        norm_cat = pd.Categorical(diagnoses["code_norm"])
        key = (norm_cat.codes.astype(np.int64) + 1) * (len(sys_cat.categories) + 1) + (
            sys_cat.codes.astype(np.int64) + 1)
        pair, uniq = pd.factorize(key)
        k = len(sys_cat.categories) + 1
        ni, si = uniq // k - 1, uniq % k - 1
        # index -1 (missing) picks the trailing None
        norm = pd.Series(np.append(np.asarray(norm_cat.categories, dtype=object), None)[ni],
                         dtype="object")
        systems = pd.Series(pd.Categorical(
            np.append(np.asarray(sys_cat.categories, dtype=object), None)[si],
            categories=sys_cat.categories))
        return pair.astype(np.int64), pd.DataFrame({"code_norm": norm, "code_system": systems})
    setting = _resolve_setting(diagnoses, None)
    keys = _code_keys(diagnoses, setting=setting, icd9_hospital_start=icd9_hospital_start)
    return keys["pair"], keys["pairs"]


def _match_conditions(pairs: pd.DataFrame, lists: pd.DataFrame, list_name: str,
                      conditions: list[str]) -> np.ndarray:
    """Boolean matrix (distinct pairs x conditions); each condition matched on its own."""
    from harkit.icd.codelists import match, truncation_status

    hit = np.zeros((len(pairs), len(conditions)), dtype=bool)
    if not len(pairs):
        return hit
    excl = lists[lists["category"] == "exclude"]
    for j, cond in enumerate(conditions):
        sub = pd.concat([lists[lists["category"] == cond], excl], ignore_index=True)
        res = match(pairs["code_norm"], pairs["code_system"], sub, list_name, truncation=False)
        hit[:, j] = (res.astype(object) == cond).to_numpy()
    # a short code is truncated safely only as judged against the whole list: one
    # condition's rows alone would hide the other conditions under it (bare ICD-7 260)
    whole = truncation_status(pairs["code_norm"], pairs["code_system"], lists, list_name)
    safe = (whole["status"] == "truncated").fillna(False).to_numpy(dtype=bool)
    cat = whole["category"].fillna("").astype(object).to_numpy()
    for j, cond in enumerate(conditions):
        hit[safe & (cat == cond), j] = True
    return hit
    excl = lists[lists["category"] == "exclude"]
    for j, cond in enumerate(conditions):
        sub = pd.concat([lists[lists["category"] == cond], excl], ignore_index=True)
        res = match(pairs["code_norm"], pairs["code_system"], sub, list_name)
        hit[:, j] = (res.astype(object) == cond).to_numpy()
    # a short code is safe to truncate only against the whole list: one condition's rows
    # alone would hide the other conditions under it (bare ICD-7 260: both diabetes kinds)
    whole = truncation_status(pairs["code_norm"], pairs["code_system"], lists, list_name)
    hit[(whole["status"] == "ambiguous").fillna(False).to_numpy(dtype=bool)] = False
    return hit
