"""The tables of one register delivery, with the rows that were rejected on read."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from harkit import schema

#: Columns of the rejects table. ``value`` is masked: digits become 9 and letters X,
#: so the shape of a bad value shows but no identifier or date leaks into a report.
REJECT_COLUMNS = ["table", "source_file", "line", "column", "reason", "value"]

#: Columns of the row-accounting table: for every table and source file,
#: ``rows_read == rows_kept + rows_rejected``; ``decoding`` says how the file was decoded
#: (a codec such as ``utf-8`` or ``cp1252`` for text, the format for binary files).
ROW_COUNT_COLUMNS = ["table", "source_file", "rows_read", "rows_kept", "rows_rejected",
                     "decoding"]

#: Columns of ``skipped_files``: every entry of a delivery folder that was not read.
SKIPPED_COLUMNS = ["file", "reason"]

#: Columns of ``notes``: what the reader decided about content it kept (a file read as
#: Windows-1252, a line read without quoting, a dropped identity-number column ...).
#: ``line`` and ``column`` are empty for notes about a whole file.
NOTE_COLUMNS = ["table", "source_file", "line", "column", "note"]


def empty_rejects() -> pd.DataFrame:
    """Return an empty rejects table.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`REJECT_COLUMNS`.
    """
    return pd.DataFrame({
        "table": pd.Series([], dtype="string"),
        "source_file": pd.Series([], dtype="string"),
        "line": pd.Series([], dtype="Int64"),
        "column": pd.Series([], dtype="string"),
        "reason": pd.Series([], dtype="string"),
        "value": pd.Series([], dtype="string"),
    })


def empty_row_counts() -> pd.DataFrame:
    """Return an empty row-accounting table.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ROW_COUNT_COLUMNS`.
    """
    return pd.DataFrame({c: pd.Series([], dtype="Int64" if c.startswith("rows") else "string")
                         for c in ROW_COUNT_COLUMNS})


def empty_skipped_files() -> pd.DataFrame:
    """Return an empty skipped-files table.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SKIPPED_COLUMNS`.
    """
    return pd.DataFrame({c: pd.Series([], dtype="string") for c in SKIPPED_COLUMNS})


def empty_notes() -> pd.DataFrame:
    """Return an empty notes table.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`NOTE_COLUMNS`.
    """
    return pd.DataFrame({c: pd.Series([], dtype="Int64" if c == "line" else "string")
                         for c in NOTE_COLUMNS})


def read_truth(directory: str | Path) -> Any:
    """Read the ground truth stored by :meth:`Extract.to_parquet`, if there is one.

    Only a synthetic register has a truth; reading it is the job of
    :func:`harkit.datasets.read_truth`, which this calls only when the folder holds a
    ``_truth/`` (so the analysis library itself knows nothing of the generator).

    Parameters
    ----------
    directory : str or pathlib.Path
        A folder written by :meth:`Extract.to_parquet`.

    Returns
    -------
    object or None
        The truth (:class:`harkit.synth.Truth`), or None when the folder holds no
        ``_truth/`` (every real delivery).
    """
    if not (Path(directory) / "_truth").is_dir():
        return None
    from harkit import datasets

    return datasets.read_truth(directory)


@dataclass
class Extract:
    """The canonical tables of one delivery, its rejects and its row accounting.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Canonical tables by name (see :data:`harkit.schema.TABLES`); missing tables
        are added empty.
    rejects : pandas.DataFrame, optional
        Rows that failed validation, one row per failure (:data:`REJECT_COLUMNS`).
    row_counts : pandas.DataFrame, optional
        Rows read, kept and rejected per table and file (:data:`ROW_COUNT_COLUMNS`).
    source : str, optional
        Where the extract came from (a path, or ``synthetic``).
    truth : object, optional
        Ground truth of a synthetic register (:class:`harkit.synth.Truth`), else None.
    skipped_files : pandas.DataFrame, optional
        Entries of the delivery folder that were not read, with the reason
        (:data:`SKIPPED_COLUMNS`).
    notes : pandas.DataFrame, optional
        What the reader decided about content it kept (:data:`NOTE_COLUMNS`).

    Attributes
    ----------
    persons, episodes, diagnoses, causes_of_death, treatments, documents, institutions
        The canonical tables.
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rejects: pd.DataFrame = field(default_factory=empty_rejects)
    row_counts: pd.DataFrame = field(default_factory=empty_row_counts)
    source: str | None = None
    truth: Any = None
    skipped_files: pd.DataFrame = field(default_factory=empty_skipped_files)
    notes: pd.DataFrame = field(default_factory=empty_notes)

    def __post_init__(self) -> None:
        unknown = set(self.tables) - set(schema.TABLES)
        if unknown:
            raise ValueError(f"unknown tables {sorted(unknown)}; expected {schema.TABLE_ORDER}")
        for name in schema.TABLE_ORDER:
            if name not in self.tables or self.tables[name] is None:
                self.tables[name] = schema.empty_table(name)

    # Table accessors keep notebook code short: ``ex.persons``.
    @property
    def persons(self) -> pd.DataFrame:
        """One row per person."""
        return self.tables["persons"]

    @property
    def episodes(self) -> pd.DataFrame:
        """One row per contact or stay."""
        return self.tables["episodes"]

    @property
    def diagnoses(self) -> pd.DataFrame:
        """One row per diagnosis."""
        return self.tables["diagnoses"]

    @property
    def causes_of_death(self) -> pd.DataFrame:
        """One row per cause on a death certificate."""
        return self.tables["causes_of_death"]

    @property
    def treatments(self) -> pd.DataFrame:
        """One row per treatment."""
        return self.tables["treatments"]

    @property
    def documents(self) -> pd.DataFrame:
        """One row per page or note of record text."""
        return self.tables["documents"]

    @property
    def institutions(self) -> pd.DataFrame:
        """One row per institution and archive series."""
        return self.tables["institutions"]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def validate(self) -> Extract:
        """Check every table against its pandera schema.

        Returns
        -------
        Extract
            ``self``.

        Raises
        ------
        pandera.errors.SchemaErrors
            If a table does not conform.
        """
        for name, df in self.tables.items():
            schema.validate_table(name, df)
        return self

    def summary(self) -> pd.DataFrame:
        """Summarise the extract: counts, year ranges, code systems, reading, rejects.

        Returns
        -------
        pandas.DataFrame
            Long table with columns ``section``, ``item``, ``value`` (values as text),
            safe to show: it holds aggregates only, no identifiers. Counts of rejects and
            notes pass through :func:`harkit.privacy.format_count` (small counts hidden
            under the policy in force).
        """
        rows = self._summary_tables() + self._summary_reading() + self._summary_rejects()
        return pd.DataFrame(rows, columns=["section", "item", "value"])

    def _summary_tables(self) -> list[tuple[str, str, str]]:
        from harkit.privacy import format_count

        rows: list[tuple[str, str, str]] = []
        for name in schema.TABLE_ORDER:
            rows.append(("rows", name, format_count(len(self.tables[name]))))
        dated = [
            ("persons", "birth_date"), ("persons", "death_date"),
            ("episodes", "admission_date"), ("diagnoses", "date"),
            ("treatments", "start_date"), ("documents", "date"),
        ]
        for table, col in dated:
            s = self.tables[table][col]
            if s.notna().any():
                # Years only: the exact first and last dates belong to single persons.
                rows.append(("year range", f"{table}.{col}", f"{s.min():%Y} to {s.max():%Y}"))
                prec = self.tables[table][f"{col}_precision"].value_counts(normalize=True)
                share = ", ".join(f"{k} {v:.1%}" for k, v in prec.items() if v > 0)
                rows.append(("date precision", f"{table}.{col}", share))
        dx = self.diagnoses
        if len(dx):
            rows += _systems("code systems (diagnoses)", dx)
            uncoded = dx["code"].isna() | (dx["code_system"] == "none")
            rows.append(("uncoded", "diagnoses without a code", f"{uncoded.mean():.1%}"))
        if len(self.causes_of_death):
            rows += _systems("code systems (causes of death)", self.causes_of_death)
        return rows

    def _summary_reading(self) -> list[tuple[str, str, str]]:
        """How each file was decoded, files not read, dropped columns and other notes."""
        from harkit.privacy import format_count

        rows: list[tuple[str, str, str]] = []
        rc = self.row_counts
        if "decoding" in rc:
            files = rc.dropna(subset=["decoding"]).drop_duplicates("source_file")
            rows += [("decoding", str(f), str(d))
                     for f, d in zip(files["source_file"], files["decoding"])]
        rows += [("skipped files", str(f), str(r))
                 for f, r in zip(self.skipped_files["file"], self.skipped_files["reason"])]
        notes = self.notes
        ident = (notes["note"] == IDENTITY_NOTE).fillna(False).to_numpy(dtype=bool)
        rows += [("identity numbers", f"{f}: {c}", "column dropped")
                 for f, c in zip(notes.loc[ident, "source_file"], notes.loc[ident, "column"])]
        rest = notes.loc[~ident]
        whole = rest["line"].isna().to_numpy()
        rows += [("notes", f"{f}: {n}", "whole file")
                 for f, n in zip(rest.loc[whole, "source_file"], rest.loc[whole, "note"])]
        by = rest.loc[~whole].groupby(["source_file", "note"], dropna=False, sort=False).size()
        rows += [("notes", f"{f}: {n}", f"{format_count(k)} lines") for (f, n), k in by.items()]
        return rows

    def _summary_rejects(self) -> list[tuple[str, str, str]]:
        from harkit.privacy import format_count

        if not len(self.rejects):
            return [("rejects", "all rows", "0")]
        table = self.rejects["table"].astype(object).where(self.rejects["table"].notna(),
                                                           "unknown")
        by = self.rejects.groupby([table, self.rejects["reason"]], dropna=False).size()
        return [("rejects", f"{t}: {r}", format_count(int(n))) for (t, r), n in by.items()]

    def to_parquet(self, directory: str | Path) -> Path:
        """Write every table, the rejects, the row accounting, skipped files and notes.

        ``harkit.read_extract(directory)`` reads the result back identically, with the
        ground truth of a synthetic register (in ``_truth/``, see :func:`read_truth`).

        Parameters
        ----------
        directory : str or pathlib.Path
            Target folder (created if needed).

        Returns
        -------
        pathlib.Path
            The folder written.
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        for name, df in self.tables.items():
            df.to_parquet(out / f"{name}.parquet", index=False)
        for name, df in self.bookkeeping().items():
            df.to_parquet(out / f"_{name}.parquet", index=False)
        if self.truth is not None:  # a synthetic register keeps its ground truth
            self.truth.to_parquet(out / "_truth")
        (out / "_harkit.json").write_text(
            json.dumps({"format": "harkit-canonical", "version": 2, "source": self.source}),
            encoding="utf-8",
        )
        return out

    def bookkeeping(self) -> dict[str, pd.DataFrame]:
        """The tables that account for the delivery, by name.

        Returns
        -------
        dict of str to pandas.DataFrame
            ``rejects``, ``row_counts``, ``skipped_files`` and ``notes``.
        """
        return {"rejects": self.rejects, "row_counts": self.row_counts,
                "skipped_files": self.skipped_files, "notes": self.notes}

    def _repr_html_(self) -> str:
        from harkit.privacy import format_count

        # row counts too follow the policy: a report that rounds must round them as well
        counts = "".join(
            f"<tr><td>{html.escape(n)}</td><td style='text-align:right'>"
            f"{format_count(len(self.tables[n]))}</td></tr>"
            for n in schema.TABLE_ORDER
        )

        rejected = format_count(len(self.rejects))  # small counts hidden, as in summary()
        return (
            f"<div><b>harkit Extract</b> ({html.escape(str(self.source or 'in memory'))})"
            f"<table><tr><th>table</th><th>rows</th></tr>{counts}</table>"
            f"<p>{html.escape(rejected)} rejected row failures; see <code>.rejects</code> and "
            f"<code>.summary()</code>.</p></div>"
        )

    def __repr__(self) -> str:
        from harkit.privacy import format_count

        counts = ", ".join(f"{n}={format_count(len(self.tables[n]))}"
                           for n in schema.TABLE_ORDER)

        return (f"Extract({counts}, rejects={format_count(len(self.rejects))}, "
                f"source={self.source!r})")


def _systems(section: str, df: pd.DataFrame) -> list[tuple[str, str, str]]:
    from harkit.privacy import format_count

    rows = []
    for system, n in df["code_system"].value_counts(dropna=False).items():
        if n:
            rows.append((section, "missing" if pd.isna(system) else str(system), format_count(n)))
    return rows


#: The note recorded for a column dropped because it holds national identity numbers.
IDENTITY_NOTE = "national identity numbers: column dropped"
