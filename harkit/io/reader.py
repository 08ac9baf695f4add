"""``read_extract``: a delivery folder or file in, a validated :class:`Extract` out."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from harkit import schema
from harkit.errors import ExtractError
from harkit.extract import Extract, empty_rejects, empty_row_counts, read_truth
from harkit.io.files import SUFFIXES, read_raw
from harkit.io.mapping import Part, build_parts
from harkit.io.rejects import finish_rejects
from harkit.io.validate import validate_parts

#: How many reject lines a strict-mode error message lists.
STRICT_EXAMPLES = 10


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ExtractError(f"no such file or folder: {path}")
    files = sorted(p for p in path.iterdir()
                   if p.is_file() and p.suffix.lower() in SUFFIXES
                   and not p.name.startswith((".", "~$")))
    if not files:
        raise ExtractError(f"no readable files in {path} (harkit reads {sorted(SUFFIXES)})")
    return files


def _read_canonical(path: Path) -> Extract:
    """Read a folder written by :meth:`Extract.to_parquet`."""
    meta = json.loads((path / "_harkit.json").read_text(encoding="utf-8"))
    tables = {}
    for name in schema.TABLE_ORDER:
        f = path / f"{name}.parquet"
        df = pd.read_parquet(f) if f.exists() else schema.empty_table(name)
        df = schema.conform(name, df)
        schema.validate_table(name, df)
        tables[name] = df
    rej = path / "_rejects.parquet"
    cnt = path / "_row_counts.parquet"
    rejects = pd.read_parquet(rej) if rej.exists() else empty_rejects()
    rejects = rejects.astype(empty_rejects().dtypes.to_dict())
    counts = pd.read_parquet(cnt) if cnt.exists() else empty_row_counts()
    counts = counts.astype(empty_row_counts().dtypes.to_dict())
    return Extract(tables, rejects, counts, source=meta.get("source"), truth=read_truth(path))


def _strict_message(rejects: pd.DataFrame) -> str:
    by = rejects.groupby(["table", "reason"], dropna=False).size()
    lines = [f"{len(rejects):,} rejected row failure(s):"]
    lines += [f"  {t}: {r}: {n:,}" for (t, r), n in by.items()]
    lines.append("first rejects:")
    for row in rejects.head(STRICT_EXAMPLES).itertuples(index=False):
        where = f"{row.source_file}" + (f" line {row.line}" if not pd.isna(row.line) else "")
        col = "" if pd.isna(row.column) else f" column {row.column!r}"
        lines.append(f"  {where}{col}: {row.reason}")
    return "\n".join(lines)


def read_extract(path: str | Path, *, strict: bool = False, progress: bool = False) -> Extract:
    """Read a register delivery: validate it, normalise it, account for every row.

    Parameters
    ----------
    path : str or pathlib.Path
        A folder with one file per table (CSV/TXT, Parquet, Stata ``.dta``, SAS
        ``.sas7bdat``/``.xpt``), a single such file, or a folder written by
        :meth:`harkit.Extract.to_parquet` (recognised by its ``_harkit.json``).
    strict : bool, default False
        Raise instead of rejecting: :class:`harkit.errors.SchemaError` for a file that
        lacks required columns or cannot be identified, :class:`harkit.errors.ExtractError`
        with a summary when any row is rejected.
    progress : bool, default False
        Show a progress bar over the files.

    Returns
    -------
    Extract
        Canonical tables (each passes :func:`harkit.schema.validate_table`), the rejects
        (one row per failing row and rule, values masked) and ``row_counts`` with
        ``rows_read == rows_kept + rows_rejected`` for every table and file.

    Raises
    ------
    harkit.errors.ExtractError
        If the path holds nothing readable, or (``strict``) any row is rejected.

    Notes
    -----
    Files are recognised by name (``pasient.csv``, ``diagnose_2020.csv``) or else by
    their columns; column names and codes are matched case-insensitively through the
    Norwegian aliases in :mod:`harkit.schema`. See ``docs/data-model.md``.

    Examples
    --------
    >>> ex = read_extract("delivery/")          # doctest: +SKIP
    >>> ex.rejects.groupby("reason").size()     # doctest: +SKIP
    """
    p = Path(path)
    if p.is_dir() and (p / "_harkit.json").exists():
        return _read_canonical(p)
    files = _files(p)
    iterator = files
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(files, desc="reading extract", unit="file")
    parts: list[Part] = []
    delivered: set[str] = set()
    base = 0
    for f in iterator:
        try:
            raw = read_raw(f)
        except (ValueError, OSError, UnicodeError, pd.errors.ParserError) as err:
            raise ExtractError(f"cannot read the file: {err}", source_file=f.name) from err
        new = build_parts(raw, base, strict=strict)
        base += len(raw.frame) + len(raw.bad_lines)
        parts += new
        delivered |= {q.table for q in new if q.table is not None}
    tables, reject_parts, row_counts = validate_parts(parts, delivered)
    rejects = finish_rejects(reject_parts)
    if strict and len(rejects):
        raise ExtractError(_strict_message(rejects), source_file=str(p))
    return Extract(tables, rejects, row_counts, source=str(p))
