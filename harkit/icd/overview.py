"""Where harmonisation is thin, and the diagnosis overview table of the brochure.

:func:`coverage` and :func:`unmapped_codes` show a researcher which revisions and decades
the code lists and text rules cover poorly; :func:`overview` is the
``Diagnosetekst | Count | diagnosekode`` table of the Helsearkivregisteret brochure.
All counts are shown through the disclosure-control policy of :mod:`harkit.privacy` by
default (threshold and rounding of the policy in force).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harkit import _disclosure as dc
from harkit.privacy import suppress

__all__ = ["coverage", "unmapped_codes", "overview"]

_SUBSTANCE_COLUMNS = ("substance", "sud_level", "alcohol_somatic", "drug_poisoning")


def _require(harmonised: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in harmonised.columns]
    if missing:
        raise ValueError(f"columns {missing} missing: pass the output of harkit.icd.harmonise")


def _decade(harmonised: pd.DataFrame) -> pd.Series:
    for col in ("date", "death_date"):
        if col in harmonised.columns:
            year = pd.to_datetime(harmonised[col], errors="coerce").dt.year
            return (year // 10 * 10).astype("Int64")
    return pd.Series(pd.NA, index=harmonised.index, dtype="Int64")


def coverage(harmonised: pd.DataFrame, *, suppressed: bool = True,
             threshold: int | None = None) -> pd.DataFrame:
    """Share of rows mapped, by code system and decade.

    Parameters
    ----------
    harmonised : pandas.DataFrame
        Output of :func:`harkit.icd.harmonise`.
    suppressed : bool, default True
        Show the counts through the disclosure-control policy: small counts hidden, and
        within a row the cells that would give one back (``rows`` = ``mapped`` +
        unmapped, ``mapped`` = ``by_code`` + ``by_text``), including the unmapped count
        the row implies; a share is NA where its count or the row count is hidden.
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    pandas.DataFrame
        One row per (``code_system``, ``decade``) with ``rows``, ``mapped`` (any
        category, by code or text), ``by_code``, ``by_text`` (rule or model) and the shares
        ``share_mapped``, ``share_code``, ``share_text``. The decade is taken from ``date``
        (diagnoses) or ``death_date`` (causes of death harmonised with ``death_dates``);
        NA where there is none. When suppressed, counts are text.
    """
    _require(harmonised, ("code_system", "mapped_by"))
    mb = harmonised["mapped_by"].astype(object)
    frame = pd.DataFrame({
        "code_system": harmonised["code_system"].astype(object).fillna("missing"),
        "decade": _decade(harmonised),
        "rows": 1,
        "mapped": mb.notna().astype(np.int64),
        "by_code": (mb == "code").astype(np.int64),
        "by_text": mb.isin(["text-rule", "text-model"]).astype(np.int64),
    })
    out = frame.groupby(["code_system", "decade"], dropna=False, sort=True).sum().reset_index()
    for col, share in (("mapped", "share_mapped"), ("by_code", "share_code"),
                       ("by_text", "share_text")):
        out[share] = out[col] / out["rows"]
    return _shown_coverage(out, threshold) if suppressed else out


_COVERAGE = ("rows", "mapped", "by_code", "by_text")
_SHARES = {"mapped": "share_mapped", "by_code": "share_code", "by_text": "share_text"}


def _shown_coverage(out: pd.DataFrame, threshold: int | None) -> pd.DataFrame:
    """Coverage counts through the policy, each row audited for counts that its sums
    give back (cells: rows, mapped, by_code, by_text, and the unmapped rest, never shown)."""
    thr = dc.threshold_for(threshold)
    counts = out[list(_COVERAGE)].to_numpy(np.int64)
    hidden = np.zeros(counts.shape, bool)
    # rows = mapped + unmapped; mapped = by_code + by_text
    equations = [[1, -2, -5], [2, -3, -4]]
    for i, (r, m, c, t) in enumerate(counts):
        values = np.array([r, m, c, t, r - m], float)
        small = (values > 0) & (values < thr)
        mask, _ = dc.protect(values, small | np.array([0, 0, 0, 0, 1], bool), equations,
                             targets=small, rank=np.array([2, 1, 0, 0, 9]),
                             threshold=threshold)
        hidden[i] = mask[:4]
    shown = suppress(out, list(_COVERAGE), threshold=threshold)
    primary = (counts > 0) & (counts < thr)
    marker = "*" if (hidden & ~primary).any() else f"<{thr}"
    for j, col in enumerate(_COVERAGE):
        shown[col] = shown[col].astype(object)
        shown.loc[hidden[:, j], col] = marker
        if col in _SHARES:
            shown.loc[hidden[:, j] | hidden[:, 0], _SHARES[col]] = np.nan
    shown.attrs["secondary_cells"] = int((hidden & ~primary).sum())
    return shown


def unmapped_codes(harmonised: pd.DataFrame, *, suppressed: bool = True,
                   threshold: int | None = None, truncations: bool = True,
                   lists: pd.DataFrame | None = None) -> pd.DataFrame:
    """Codes that no code list (nor text rule) mapped, and codes met only by truncation.

    Parameters
    ----------
    harmonised : pandas.DataFrame
        Output of :func:`harkit.icd.harmonise`.
    suppressed : bool, default True
        Show ``count`` through the disclosure-control policy (no totals are shown with
        it, so primary suppression protects it).
    threshold : int, optional
        Smallest count shown; default the policy in force.
    truncations : bool, default True
        Also report codes shorter than the patterns of a list (see
        :func:`harkit.icd.codelists.truncation_status`): ``ambiguous`` ones, which that list
        leaves without a category although patterns under them exist, and ``truncated``
        ones, which it maps by the safe-truncation rule. Such a code may be mapped by other
        lists (a chapter), so it is listed whatever ``mapped_by`` says.
    lists : pandas.DataFrame, optional
        Code lists to check truncations against (default the shipped lists).

    Returns
    -------
    pandas.DataFrame
        One row per (``code_system``, ``code_norm``, ``code_flag``, ``status``) with the
        commonest delivered form ``code``, ``count``, ``status`` (``unmapped``,
        ``ambiguous`` or ``truncated``) and ``detail`` (per list, the candidate categories
        of an ambiguous code or the category a truncation gave), sorted by status, then
        count. Uncoded rows with an unmapped text appear with an empty code.
    """
    _require(harmonised, ("code_system", "code_norm", "code_flag", "mapped_by"))
    raw = harmonised["code"].astype(object) if "code" in harmonised.columns else pd.Series(
        None, index=harmonised.index, dtype=object)
    frame = pd.DataFrame({
        "code_system": harmonised["code_system"].astype(object),
        "code_norm": harmonised["code_norm"].astype(object),
        "code_flag": harmonised["code_flag"].astype(object),
        "code": raw,
        "status": np.where(harmonised["mapped_by"].isna().to_numpy(), "unmapped", None),
        "detail": None,
    })
    parts = [frame[frame["status"].notna()]]
    if truncations:
        parts.append(_truncated_rows(frame, lists))
    frame = pd.concat(parts, ignore_index=True)
    keys = ["code_system", "code_norm", "code_flag", "status"]
    by_form = (frame.assign(detail=frame["detail"].fillna(""))
               .groupby(keys + ["detail", "code"], dropna=False).size().rename("n")
               .reset_index())
    # one row per key: its total count and its commonest delivered form
    by_form["count"] = by_form.groupby(keys, dropna=False)["n"].transform("sum")
    out = (by_form.sort_values("n", ascending=False, kind="stable")
           .drop_duplicates(keys)[keys[:3] + ["code", "count", "status", "detail"]])
    order = out["status"].map({"unmapped": 0, "ambiguous": 1, "truncated": 2})
    out = (out.assign(_o=order)
           .sort_values(["_o", "count", "code_system", "code_norm"],
                        ascending=[True, False, True, True], kind="stable",
                        na_position="last")
           .drop(columns="_o").reset_index(drop=True))
    out["count"] = out["count"].astype(np.int64)
    return suppress(out, ["count"], threshold=threshold) if suppressed else out


def _truncated_rows(frame: pd.DataFrame, lists: pd.DataFrame | None) -> pd.DataFrame:
    """Rows of ``frame`` whose code some list meets only by truncation, with the detail."""
    from harkit.icd.codelists import codelists, truncation_status

    lists = codelists() if lists is None else lists
    coded = frame[frame["code_norm"].notna() & frame["code_system"].notna()]
    pairs = coded[["code_system", "code_norm"]].drop_duplicates().reset_index(drop=True)
    if pairs.empty:
        return frame.iloc[:0]
    details: dict[str, list[str]] = {}
    status: dict[tuple, str] = {}
    for name in sorted(lists["list"].unique()):
        st = truncation_status(pairs["code_norm"], pairs["code_system"], lists, name)
        for i in np.flatnonzero(st["status"].isin(["ambiguous", "truncated"]).to_numpy()):
            key = (pairs.at[i, "code_system"], pairs.at[i, "code_norm"])
            kind = str(st["status"].iat[i])
            what = st["candidates"].iat[i] if kind == "ambiguous" else st["category"].iat[i]
            # ambiguous anywhere outranks a safe truncation elsewhere
            if status.get(key) != "ambiguous":
                status[key] = kind
            details.setdefault(key, []).append(f"{name}: {kind} ({what})")
    if not status:
        return frame.iloc[:0]
    key = pd.MultiIndex.from_frame(coded[["code_system", "code_norm"]])
    found = pd.MultiIndex.from_tuples(list(status), names=["code_system", "code_norm"])
    hit = coded[key.isin(found)].copy()
    k = list(zip(hit["code_system"], hit["code_norm"]))
    hit["status"] = [status[x] for x in k]
    hit["detail"] = ["; ".join(details[x]) for x in k]
    return hit


def overview(
    harmonised: pd.DataFrame,
    *,
    substance_related: bool = False,
    threshold: int | None = None,
    by_code_system: bool = True,
    suppressed: bool = True,
) -> pd.DataFrame:
    """The diagnosis overview: ``Diagnosetekst | Count | diagnosekode``.

    Parameters
    ----------
    harmonised : pandas.DataFrame
        Output of :func:`harkit.icd.harmonise` (diagnoses or causes of death).
    substance_related : bool, default False
        Keep only rows with a substance, SUD level, alcohol-related somatic condition or
        drug poisoning category.
    threshold : int, optional
        Smallest count shown (smaller counts are replaced by ``"<threshold"``); default the
        policy in force.
    by_code_system : bool, default True
        Count (text, code) per code system and add the ``kodeverk`` column.
    suppressed : bool, default True
        Show ``Count`` through the disclosure-control policy (:mod:`harkit.privacy`). The
        table shows no totals, so no hidden count follows from the others by subtraction
        and primary suppression protects it.

    Returns
    -------
    pandas.DataFrame
        One row per distinct (text, code[, code system]) sorted by count (largest first):
        ``Diagnosetekst``, ``Count``, ``diagnosekode`` (the normalised code, or the
        delivered code where it could not be normalised), ``kodeverk``, and the harmonised
        ``substance``, ``sud_level`` and ``mapped_by`` of that row.
    """
    _require(harmonised, ("code_norm", "substance", "mapped_by"))
    dx = harmonised
    if substance_related:
        mask = np.zeros(len(dx), dtype=bool)
        for col in _SUBSTANCE_COLUMNS:
            if col in dx.columns:
                mask |= dx[col].notna().to_numpy()
        dx = dx[mask]
    text_col = next((c for c in ("diagnosis_text", "cause_text") if c in dx.columns), None)
    text = dx[text_col].astype(object) if text_col else pd.Series(None, index=dx.index,
                                                                    dtype=object)
    code = dx["code_norm"].astype(object)
    if "code" in dx.columns:
        code = code.where(code.notna(), dx["code"].astype(object))
    frame = pd.DataFrame({
        "Diagnosetekst": text, "diagnosekode": code,
        "kodeverk": dx["code_system"].astype(object) if "code_system" in dx else None,
        "substance": dx["substance"].astype(object),
        "sud_level": dx["sud_level"].astype(object) if "sud_level" in dx else None,
        "mapped_by": dx["mapped_by"].astype(object),
    })
    keys = ["Diagnosetekst", "diagnosekode"] + (["kodeverk"] if by_code_system else [])
    grouped = frame.groupby(keys, dropna=False, sort=False)
    out = grouped.size().rename("Count").to_frame()
    # the category of the commonest row of the group (they agree unless text-mapped)
    out = out.join(grouped[["substance", "sud_level", "mapped_by"]].first()).reset_index()
    out = out.sort_values(["Count", "Diagnosetekst"], ascending=[False, True],
                          kind="stable", na_position="last").reset_index(drop=True)
    out["Count"] = out["Count"].astype(np.int64)
    cols = ["Diagnosetekst", "Count", "diagnosekode"] + (
        ["kodeverk"] if by_code_system else []) + ["substance", "sud_level", "mapped_by"]
    out = out[cols]
    return suppress(out, ["Count"], threshold=threshold) if suppressed else out
