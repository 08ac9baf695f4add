"""``write_extract``: write an :class:`Extract` as a delivery that reads back the same."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from harkit import schema
from harkit.dates import format_partial_dates
from harkit.extract import Extract

_BOOL_TEXT = {True: "ja", False: "nei"}


def _delivery_table(name: str, df: pd.DataFrame, layout: str, fmt: str) -> tuple[str, pd.DataFrame]:
    spec = schema.TABLES[name]
    if layout == "norwegian":
        stem, names = schema.NORWEGIAN_LAYOUT[name]
    else:
        stem, names = name, {}
    text_dates = fmt == "csv" or layout == "norwegian"
    style = "norwegian" if layout == "norwegian" else "iso"
    out: dict[str, pd.Series] = {}
    for c in spec.columns:
        if c.name.endswith("_precision"):
            if not text_dates:
                out[c.name] = df[c.name].astype(object).astype("string")
            continue
        s = df[c.name]
        if c.kind == "date":
            s = format_partial_dates(s, df[f"{c.name}_precision"], style=style) if text_dates \
                else s
        elif c.kind == "category":
            codes = schema.NORWEGIAN_VALUES.get(c.name, {}) if layout == "norwegian" else {}
            s = s.astype(object).map(lambda v, codes=codes: codes.get(v, v) if isinstance(v, str)
                                     else None)
            s = s.astype("string")
        elif c.kind == "bool" and layout == "norwegian":
            s = s.astype(object).map(lambda v: _BOOL_TEXT.get(v) if not pd.isna(v) else None)
            s = s.astype("string")
        out[names.get(c.name, c.name)] = s
    for extra in df.columns:
        if extra not in spec.column_names:
            out[extra] = df[extra]
    return stem, pd.DataFrame(out)


def write_extract(
    extract: Extract,
    out_dir: str | Path,
    *,
    format: str = "csv",  # noqa: A002 - the documented keyword
    layout: str = "norwegian",
) -> Path:
    """Write an extract as a delivery folder, one file per non-empty table.

    Parameters
    ----------
    extract : Extract
        The tables to write (rejects and row counts are not part of a delivery).
    out_dir : str or pathlib.Path
        Folder to write (created if needed).
    format : {"csv", "parquet"}
        File format.
    layout : {"norwegian", "canonical"}
        ``norwegian``: file stems, column names and codes of
        :data:`harkit.schema.NORWEGIAN_LAYOUT` / :data:`~harkit.schema.NORWEGIAN_VALUES`,
        ``;``-separated UTF-8 CSV, dates as ``dd.mm.yyyy`` / ``mm.yyyy`` / ``yyyy`` text
        whose form carries the precision. ``canonical``: canonical names, ``,``-separated
        CSV with ISO partial dates; as Parquet, dates are datetimes with their
        ``*_precision`` columns.

    Returns
    -------
    pathlib.Path
        The folder written.

    Notes
    -----
    ``read_extract(write_extract(ex, d))`` gives back tables equal to ``ex``'s for every
    format and layout, for tables ``read_extract`` could have produced (for example, text
    is never the empty string: a missing value is NA).
    """
    if format not in {"csv", "parquet"}:
        raise ValueError(f"format must be 'csv' or 'parquet', not {format!r}")
    if layout not in {"norwegian", "canonical"}:
        raise ValueError(f"layout must be 'norwegian' or 'canonical', not {layout!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in schema.TABLE_ORDER:
        df = extract.tables[name]
        if not len(df):
            continue
        stem, table = _delivery_table(name, df, layout, format)
        if format == "csv":
            sep = ";" if layout == "norwegian" else ","
            table.to_csv(out / f"{stem}.csv", sep=sep, index=False, encoding="utf-8",
                         lineterminator="\n")
        else:
            table.to_parquet(out / f"{stem}.parquet", index=False)
    return out
