"""``read_extract``: a delivery folder or file in, a validated :class:`Extract` out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa

from harkit import schema
from harkit.errors import ExtractError
from harkit.extract import (
    NOTE_COLUMNS,
    SKIPPED_COLUMNS,
    Extract,
    empty_notes,
    empty_rejects,
    empty_row_counts,
    empty_skipped_files,
    read_truth,
)
from harkit.io.files import read_parts
from harkit.io.folder import SUFFIXES, list_delivery
from harkit.io.identity import drop_identity_columns
from harkit.io.mapping import Part, build_parts
from harkit.io.raw import RawFile, UnreadableFile
from harkit.io.rejects import finish_rejects, safe_name
from harkit.io.validate import validate_parts

#: How many reject lines a strict-mode error message lists.
STRICT_EXAMPLES = 10


def _targets(path: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to read, and folder entries not read with the reason."""
    if path.is_dir():
        return list_delivery(path)
    if path.is_file():
        return [path], []
    if path.exists():
        raise ExtractError("not a regular file or folder", source_file=path.name)
    raise ExtractError(f"no such file or folder: {path}")


def _conform(df: pd.DataFrame, empty: pd.DataFrame) -> pd.DataFrame:
    for c in empty.columns:
        if c not in df:
            df[c] = pd.NA
    return df[list(empty.columns)].astype(empty.dtypes.to_dict())


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
    kept = {}
    for name, empty in (("rejects", empty_rejects()), ("row_counts", empty_row_counts()),
                        ("skipped_files", empty_skipped_files()), ("notes", empty_notes())):
        f = path / f"_{name}.parquet"
        kept[name] = _conform(pd.read_parquet(f), empty) if f.exists() else empty
    return Extract(tables, source=meta.get("source"), truth=read_truth(path), **kept)


def _read_files(files: list[Path], skipped: list[tuple[str, str]], strict: bool,
                progress: bool) -> Iterator[RawFile]:
    """Read every file, one at a time; one that cannot be read joins ``skipped``.

    Files are yielded as they are read, so only one file's raw text is held at a time
    (its rows are converted before the next file is read).
    """
    iterator = files
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(files, desc="reading extract", unit="file")
    n = 0
    for f in iterator:
        try:
            raws = read_parts(f)
        except UnreadableFile as err:
            if strict or len(files) == 1:
                raise ExtractError(f"cannot read the file: {err.reason}",
                                   source_file=f.name) from err
            skipped.append((f.name, err.reason))
            continue
        n += len(raws)
        while raws:
            yield raws.pop(0)
    if not n:
        raise _nothing_readable(files[0].parent, skipped)


def _nothing_readable(folder: Path, skipped: list[tuple[str, str]]) -> ExtractError:
    listed = "; ".join(f"{f}: {r}" for f, r in skipped)
    return ExtractError(f"no readable files in {folder} (harkit reads {sorted(SUFFIXES)})"
                        + (f"; {listed}" if listed else ""))


def _notes_frame(raw: RawFile, table: str | None) -> pd.DataFrame:
    if not raw.notes:
        return empty_notes()
    df = pd.DataFrame([(table, raw.name, ln, safe_name(col), text)
                       for ln, col, text in raw.notes], columns=NOTE_COLUMNS)
    return df.astype(empty_notes().dtypes.to_dict())


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
        ``.sas7bdat``/``.xpt``, Excel ``.xlsx``), a single such file, or a folder written
        by :meth:`harkit.Extract.to_parquet` (recognised by its ``_harkit.json``).
    strict : bool, default False
        Raise instead of rejecting: :class:`harkit.errors.SchemaError` for a file that
        lacks required columns, cannot be identified or has no usable header,
        :class:`harkit.errors.ExtractError` for a file that cannot be read, and with a
        summary when any row is rejected.
    progress : bool, default False
        Show a progress bar over the files.

    Returns
    -------
    Extract
        Canonical tables (each passes :func:`harkit.schema.validate_table`), the rejects
        (one row per failing row and rule, values masked), ``row_counts`` with
        ``rows_read == rows_kept + rows_rejected`` and the decoding of every file,
        ``notes`` on kept content and ``skipped_files``.

    Raises
    ------
    harkit.errors.ExtractError
        If the path holds nothing readable (naming each file and why), or (``strict``)
        any file cannot be read or any row is rejected.

    Warns
    -----
    UserWarning
        When a whole file is rejected (missing columns, no header ...).
    harkit.io.IdentifierWarning
        When a column holding national identity numbers is dropped.

    Notes
    -----
    Files are recognised by name (``pasient.csv``, ``diagnose_2020.csv``) or else by
    their columns; column names and codes are matched case-insensitively through the
    Norwegian aliases in :mod:`harkit.schema`. Text files are split into records from
    their bytes, independently of the parser, and the two are reconciled, so no line is
    lost without a reject. See ``docs/data-model.md`` (section 5: damaged deliveries).

    Examples
    --------
    >>> ex = read_extract("delivery/")          # doctest: +SKIP
    >>> ex.rejects.groupby("reason").size()     # doctest: +SKIP
    """
    p = Path(path)
    if p.is_dir() and (p / "_harkit.json").exists():
        return _read_canonical(p)
    files, skipped = _targets(p)
    if not files:
        raise _nothing_readable(p, skipped)
    parts: list[Part] = []
    notes: list[pd.DataFrame] = []
    base = 0
    for raw in _read_files(files, skipped, strict, progress):
        drop_identity_columns(raw)
        new = build_parts(raw, base, strict=strict)
        base += raw.rows_read
        parts += new
        notes.append(_notes_frame(raw, new[0].table))
        del raw  # its text columns are converted: free them before the next file
        # Arrow's allocator keeps freed memory for reuse; hand it back between files so
        # that the peak is that of the largest file, not the sum of all.
        pa.default_memory_pool().release_unused()
    delivered = {q.table for q in parts if q.table is not None}
    tables, reject_parts, row_counts = validate_parts(parts, delivered)
    rejects = finish_rejects(reject_parts)
    if strict and len(rejects):
        raise ExtractError(_strict_message(rejects), source_file=str(p))
    skipped_files = pd.DataFrame(sorted(skipped), columns=SKIPPED_COLUMNS).astype("string") \
        if skipped else empty_skipped_files()
    note_parts = [n for n in notes if len(n)]
    all_notes = pd.concat(note_parts, ignore_index=True) if note_parts else empty_notes()
    return Extract(tables, rejects, row_counts, source=str(p), skipped_files=skipped_files,
                   notes=all_notes)
