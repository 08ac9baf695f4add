"""From a raw file to canonical parts: plain (long) files and wide layouts.

A file becomes one or more :class:`Part` objects (a wide episodes file gives an
episodes part and a diagnoses part). Values that cannot be converted become rejects
here; rules across rows and tables are applied later in :mod:`harkit.io.validate`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from harkit import schema
from harkit.errors import SchemaError
from harkit.io.header import describe_columns
from harkit.io.names import (
    identify_table,
    mapped_columns,
    required_columns,
    table_from_stem,
    wide_cause_columns,
    wide_dx_columns,
)
from harkit.io.raw import RawFile
from harkit.io.rejects import UNIT, make_rejects
from harkit.io.values import MASK, Converter, column_mapping, convert, strip, to_text

LINE = "__line"
PART = "__part"

__all__ = ["LINE", "MASK", "PART", "Part", "build_parts"]


@dataclass
class Part:
    """Canonical rows of one table that came from one file.

    Attributes
    ----------
    table : str or None
        Canonical table (None when the file could not be identified).
    source_file : str
        File name.
    data : pandas.DataFrame
        Canonical columns, extra columns, and internal ``__unit``/``__line``/``__mask_*``.
    raw_names : dict
        Canonical column -> column name in the file (for rejects).
    rows_read : int
        Rows of accounting in this file for this table.
    rejects : list of pandas.DataFrame
        Rejects found while converting.
    decoding : str or None
        How the file was decoded (for ``row_counts``).
    """

    table: str | None
    source_file: str
    data: pd.DataFrame
    raw_names: dict[str, str]
    rows_read: int
    rejects: list[pd.DataFrame] = field(default_factory=list)
    decoding: str | None = None


def _empty_data() -> pd.DataFrame:
    return pd.DataFrame({UNIT: pd.Series([], dtype="int64")})


def _whole_file_rejected(table: str | None, raw: RawFile, units: np.ndarray, reason: str,
                         strict: bool, *, warn: bool = True) -> Part:
    if strict:
        raise SchemaError(reason, source_file=raw.name, table=table)
    if warn:
        warnings.warn(f"{raw.name}: {reason}; all {raw.rows_read} rows rejected",
                      stacklevel=4)
    rej = make_rejects(table, raw.name, raw.lines, None, reason, None, units)
    return Part(table, raw.name, _empty_data(), {}, len(raw.frame), [rej])


def _finish(data: pd.DataFrame, raw: RawFile, units: np.ndarray, index: np.ndarray | None = None
            ) -> pd.DataFrame:
    lines = raw.lines if index is None else raw.lines[index]
    u = units if index is None else units[index]
    data = data.reset_index(drop=True)
    data[UNIT] = _row_numbers(u)
    data[LINE] = _row_numbers(lines)
    return data


def _row_numbers(values: np.ndarray) -> np.ndarray:
    """Units or line numbers as ``int32`` where they fit (nearly always: half the memory
    of ``int64`` on every row until the rules are done), else ``int64``."""
    a = np.asarray(values, dtype="int64")
    i32 = np.iinfo(np.int32)
    small = not len(a) or (a.min() >= i32.min and a.max() <= i32.max)
    return a.astype("int32") if small else a


def _read_rejects(table: str | None, raw: RawFile, units: np.ndarray) -> list[pd.DataFrame]:
    """Rejects for the rows the reader could not keep (one accounting unit each)."""
    if not raw.bad_lines:
        return []
    lines = pd.Series([b[0] for b in raw.bad_lines], dtype="Int64")
    columns = pd.Series([b[1] for b in raw.bad_lines], dtype=object)
    reasons = pd.Series([b[2] for b in raw.bad_lines], dtype=object)
    return [make_rejects(table, raw.name, lines, columns, reasons, None, units)]


def build_parts(raw: RawFile, unit_base: int, *, strict: bool = False) -> list[Part]:
    """Turn one raw file into canonical parts.

    Parameters
    ----------
    raw : RawFile
        The file as read.
    unit_base : int
        First row-accounting unit number for this file (units are unique per read).
    strict : bool
        Raise :class:`harkit.errors.SchemaError` instead of rejecting a whole file.

    Returns
    -------
    list of Part
    """
    columns = [str(c) for c in raw.frame.columns]
    raw.frame.columns = columns
    n = len(raw.frame)
    units = np.arange(unit_base, unit_base + n, dtype="int64")
    bad_units = np.arange(unit_base + n, unit_base + raw.rows_read, dtype="int64")
    stem = raw.stem or Path(raw.name).stem
    table = identify_table(stem, columns) if columns and raw.file_problem is None \
        else table_from_stem(stem)
    bad_rej = _read_rejects(table, raw, bad_units)
    nbad = len(raw.bad_lines)
    if raw.file_problem is not None:
        if strict:
            raise SchemaError(raw.file_problem, source_file=raw.name, table=table)
        warnings.warn(f"{raw.name}: {raw.file_problem}; all {nbad} rows rejected",
                      stacklevel=3)
        return [Part(table, raw.name, _empty_data(), {}, nbad, bad_rej, raw.decoding)]
    if n == 0 and nbad == 0:
        rej = make_rejects(table, raw.name, None, None, "empty file", None, None)
        return [Part(table, raw.name, _empty_data(), {}, 0, [rej], raw.decoding)]
    if table is None:
        reason = ("cannot tell which table this file holds; columns found: "
                  + describe_columns(columns))
        part = _whole_file_rejected(None, raw, units, reason, strict)
        parts = [part]
    else:
        parts = _parts_of(table, raw, units, columns, strict)
    parts[0].rows_read += nbad
    parts[0].rejects += bad_rej
    for p in parts:
        p.decoding = raw.decoding
    return parts


def _parts_of(table: str, raw: RawFile, units: np.ndarray, columns: list[str],
              strict: bool) -> list[Part]:
    wide_dx = wide_dx_columns(columns) if table in ("episodes", "diagnoses") else []
    wide_cod = wide_cause_columns(columns) if table == "causes_of_death" else []
    if wide_cod:
        mapped = mapped_columns("causes_of_death", [c for c in columns
                                             if c not in {w[0] for w in wide_cod}])
        if {"cause_type", "line"} & mapped:
            wide_cod = []  # a long file that happens to use an underlying-cause name
    if table == "diagnoses" and wide_dx and "code" in mapped_columns("diagnoses", columns):
        wide_dx = []
    if wide_dx:
        return _wide_episodes(table, raw, units, wide_dx, strict)
    if wide_cod:
        return _wide_causes(raw, units, wide_cod, strict)
    return [_long(table, raw, units, strict)]


def _check_required(table: str, mapping: dict, raw: RawFile, units: np.ndarray, strict: bool,
                    need: list[str] | None = None) -> Part | None:
    need = need if need is not None else required_columns(table, list(raw.frame.columns))
    missing = [c for c in need if c not in mapping]
    if not missing:
        return None
    norwegian = schema.NORWEGIAN_LAYOUT[table][1]
    named = [f"{c} ({norwegian[c]})" if c in norwegian else c for c in missing]
    reason = (f"missing required column(s) {', '.join(named)}; columns found: "
              + describe_columns(list(raw.frame.columns)))
    return _whole_file_rejected(table, raw, units, reason, strict)


def _long(table: str, raw: RawFile, units: np.ndarray, strict: bool) -> Part:
    mapping, extras = column_mapping(table, list(raw.frame.columns), set())
    failed = _check_required(table, mapping, raw, units, strict)
    if failed is not None:
        return failed
    data, rejects = convert(table, raw, units, mapping, extras)
    stem = raw.stem or Path(raw.name).stem
    for id_col in ("diagnosis_id", "treatment_id"):
        if id_col in schema.TABLES[table].column_names and id_col not in mapping:
            # No id delivered: derive one that points back to the source line (the line
            # numbers are written as text only here: millions of strings otherwise).
            lines = pd.Series(raw.lines).astype(str)
            data[id_col] = (stem + ":" + lines).to_numpy(dtype=object)
    if table == "causes_of_death":
        data = _infer_cause_lines(data, mapping)
    names = {k: v[0] for k, v in mapping.items()}
    return Part(table, raw.name, _finish(data, raw, units), names, len(raw.frame), rejects)


def _infer_cause_lines(data: pd.DataFrame, mapping: dict) -> pd.DataFrame:
    has_type, has_line = "cause_type" in mapping, "line" in mapping
    if not has_type and has_line:
        # Line 0 is the underlying cause by the register's numbering.
        data["cause_type"] = np.where(data["line"].fillna(-1).to_numpy() == 0,
                                      "underlying", "contributing")
        data.loc[data["line"].isna().to_numpy(), "cause_type"] = None
    elif has_type and not has_line:
        ct = data["cause_type"]
        line = ct.eq("contributing").astype("int64")
        order = data.assign(_c=ct.eq("contributing")).groupby(
            [data["person_id"].fillna(""), ct.astype(object).fillna("")], sort=False
        ).cumcount() + 1
        data["line"] = pd.Series(np.where(line == 1, order, 0), dtype="Int64")
    elif not has_type and not has_line:
        data["cause_type"] = "underlying"
        data["line"] = pd.Series(0, index=data.index, dtype="Int64")
    return data


def _wide_episodes(table: str, raw: RawFile, units: np.ndarray,
                   wide: list[tuple[str, str, str]], strict: bool) -> list[Part]:
    wide_names = {w[0] for w in wide}
    columns = [c for c in raw.frame.columns if c not in wide_names]
    mapping, extras = column_mapping("episodes", columns, set())
    stem = raw.stem or Path(raw.name).stem
    make_episodes = table == "episodes" or "admission_date" in mapping
    parts: list[Part] = []
    if make_episodes:
        failed = _check_required("episodes", mapping, raw, units, strict,
                                 schema.TABLES["episodes"].required)
        if failed is not None:
            dx_fail = _whole_file_rejected("diagnoses", raw, units, failed.rejects[0]
                                           ["reason"].iloc[0], strict, warn=False)
            return [failed, dx_fail]
        data, rejects = convert("episodes", raw, units, mapping, extras)
        names = {k: v[0] for k, v in mapping.items()}
        parts.append(Part("episodes", raw.name, _finish(data, raw, units), names,
                          len(raw.frame), rejects))
        ep = data
    else:
        failed = _check_required("diagnoses", mapping, raw, units, strict, ["person_id"])
        if failed is not None:
            return [failed]
        ep, rejects = convert("episodes", raw, units,
                               {k: v for k, v in mapping.items()
                                if k in ("episode_id", "person_id", "admission_date")}, [])
        for r in rejects:
            r["table"] = "diagnoses"
        parts.append(Part("diagnoses", raw.name, pd.DataFrame(), {}, len(raw.frame), rejects))
    pieces = []
    lines_txt = pd.Series(raw.lines).astype(str).to_numpy(dtype=object)
    for order, (col, folded, rank) in enumerate(wide):
        code = to_text(raw.frame[col], raw.is_text)
        keep = (strip(code) != "").to_numpy()
        if not keep.any():
            continue
        idx = np.flatnonzero(keep)
        if "episode_id" in ep and ep["episode_id"].notna().any():
            eid = ep["episode_id"].to_numpy(dtype=object)[idx]
            did = np.where(pd.isna(eid), stem + ":" + lines_txt[idx], eid) + ":" + folded
        else:
            did = stem + ":" + lines_txt[idx] + ":" + folded
        piece = pd.DataFrame({
            "diagnosis_id": did,
            "episode_id": ep["episode_id"].to_numpy(dtype=object)[idx] if "episode_id" in ep
            else None,
            "person_id": ep["person_id"].to_numpy(dtype=object)[idx],
            "code": code.to_numpy(dtype=object)[idx],
            "code_system": None,
            "rank": rank,
            "__src": idx,
            "__order": order,
        })
        if "admission_date" in ep:
            piece["date"] = ep["admission_date"].to_numpy()[idx]
            piece["date_precision"] = ep["admission_date_precision"].to_numpy()[idx]
            piece[MASK + "date"] = ep[MASK + "admission_date"].to_numpy()[idx]
        pieces.append(piece)
    if pieces:
        dx = pd.concat(pieces, ignore_index=True)
        dx = dx.iloc[np.lexsort((dx["__order"].to_numpy(), dx["__src"].to_numpy()))]
        src = dx["__src"].to_numpy()
        dx = _finish(dx.drop(columns=["__src", "__order"]), raw, units, src)
    else:
        dx = pd.DataFrame({UNIT: pd.Series([], dtype="int64")})
    names = {"person_id": mapping.get("person_id", ["?"])[0],
             "episode_id": mapping.get("episode_id", ["?"])[0],
             "date": mapping.get("admission_date", ["?"])[0],
             "code": ", ".join(w[0] for w in wide)}
    if make_episodes:
        parts.append(Part("diagnoses", raw.name, dx, names, len(raw.frame), []))
    else:
        parts[0].data, parts[0].raw_names = dx, names
    return parts


def _wide_causes(raw: RawFile, units: np.ndarray, wide: list[tuple[str, int]],
                 strict: bool) -> list[Part]:
    wide_names = {w[0] for w in wide}
    columns = [c for c in raw.frame.columns if c not in wide_names]
    mapping, extras = column_mapping("causes_of_death", columns, set())
    failed = _check_required("causes_of_death", mapping, raw, units, strict, ["person_id"])
    if failed is not None:
        return [failed]
    base_map = {k: v for k, v in mapping.items() if k not in ("code_system", "code")}
    base, rejects = convert("causes_of_death", raw, units, base_map, extras)
    system_col = mapping.get("code_system", [None])[0]
    pieces = []
    for col, line in wide:
        code = to_text(raw.frame[col], raw.is_text)
        keep = (strip(code) != "").to_numpy()
        if not keep.any():
            continue
        idx = np.flatnonzero(keep)
        piece = base.iloc[idx].reset_index(drop=True)
        piece["code"] = code.to_numpy(dtype=object)[idx]
        piece["cause_type"] = "underlying" if line == 0 else "contributing"
        piece["line"] = line
        piece["__src"] = idx
        pieces.append(piece)
    conv = Converter("causes_of_death", raw, units)
    if system_col is not None:
        # One code system per certificate row, shared by its causes.
        systems = conv.category(system_col, "code_system", None)
        rejects += conv.rejects
    else:
        systems = pd.Series([None] * len(raw.frame), dtype=object)
    if pieces:
        cod = pd.concat(pieces, ignore_index=True)
        cod = cod.iloc[np.lexsort((cod["line"].to_numpy(), cod["__src"].to_numpy()))]
        src = cod["__src"].to_numpy()
        cod["code_system"] = systems.to_numpy(dtype=object)[src]
        cod["line"] = cod["line"].astype("Int64")
        cod = _finish(cod.drop(columns=["__src"]), raw, units, src)
    else:
        cod = pd.DataFrame({UNIT: pd.Series([], dtype="int64")})
    names = {k: v[0] for k, v in mapping.items()}
    names["code"] = ", ".join(w[0] for w in wide)
    names["line"] = names["cause_type"] = names["code"]
    return [Part("causes_of_death", raw.name, cod, names, len(raw.frame), rejects)]
