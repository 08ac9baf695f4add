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
#: ``rows_read == rows_kept + rows_rejected``.
ROW_COUNT_COLUMNS = ["table", "source_file", "rows_read", "rows_kept", "rows_rejected"]


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
    return pd.DataFrame({c: pd.Series([], dtype="string" if i < 2 else "Int64")
                         for i, c in enumerate(ROW_COUNT_COLUMNS)})


def read_truth(directory: str | Path) -> Any:
    """Read the ground truth stored by :meth:`Extract.to_parquet`, if there is one.

    Parameters
    ----------
    directory : str or pathlib.Path
        A folder written by :meth:`Extract.to_parquet`.

    Returns
    -------
    harkit.synth.Truth or None
        None when the folder holds no ``_truth/`` (every real delivery).
    """
    folder = Path(directory) / "_truth"
    if not folder.is_dir():
        return None
    from harkit.synth.params import Truth

    return Truth.read_parquet(folder)


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
        """Summarise the extract: counts, year ranges, code systems, uncoded share, rejects.

        Returns
        -------
        pandas.DataFrame
            Long table with columns ``section``, ``item``, ``value`` (values as text),
            safe to show: it holds aggregates only, no identifiers.
        """
        rows: list[tuple[str, str, str]] = []
        for name in schema.TABLE_ORDER:
            rows.append(("rows", name, f"{len(self.tables[name]):,}"))
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
            for system, n in dx["code_system"].value_counts(dropna=False).items():
                if n == 0:
                    continue
                label = "missing" if pd.isna(system) else str(system)
                rows.append(("code systems (diagnoses)", label, f"{n:,}"))
            uncoded = dx["code"].isna() | (dx["code_system"] == "none")
            rows.append(("uncoded", "diagnoses without a code", f"{uncoded.mean():.1%}"))
        cod = self.causes_of_death
        if len(cod):
            for system, n in cod["code_system"].value_counts(dropna=False).items():
                if n == 0:
                    continue
                label = "missing" if pd.isna(system) else str(system)
                rows.append(("code systems (causes of death)", label, f"{n:,}"))
        if len(self.rejects):
            for reason, n in self.rejects.groupby(["table", "reason"]).size().items():
                rows.append(("rejects", f"{reason[0]}: {reason[1]}", f"{n:,}"))
        else:
            rows.append(("rejects", "all rows", "0"))
        return pd.DataFrame(rows, columns=["section", "item", "value"])

    def to_parquet(self, directory: str | Path) -> Path:
        """Write every table, the rejects and the row accounting as Parquet files.

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
        self.rejects.to_parquet(out / "_rejects.parquet", index=False)
        self.row_counts.to_parquet(out / "_row_counts.parquet", index=False)
        if self.truth is not None:  # a synthetic register keeps its ground truth
            self.truth.to_parquet(out / "_truth")
        (out / "_harkit.json").write_text(
            json.dumps({"format": "harkit-canonical", "version": 1, "source": self.source}),
            encoding="utf-8",
        )
        return out

    def _repr_html_(self) -> str:
        counts = "".join(
            f"<tr><td>{html.escape(n)}</td><td style='text-align:right'>"
            f"{len(self.tables[n]):,}</td></tr>"
            for n in schema.TABLE_ORDER
        )
        rejected = len(self.rejects)
        return (
            f"<div><b>harkit Extract</b> ({html.escape(str(self.source or 'in memory'))})"
            f"<table><tr><th>table</th><th>rows</th></tr>{counts}</table>"
            f"<p>{rejected:,} rejected row failures; see <code>.rejects</code> and "
            f"<code>.summary()</code>.</p></div>"
        )

    def __repr__(self) -> str:
        counts = ", ".join(f"{n}={len(self.tables[n]):,}" for n in schema.TABLE_ORDER)
        return f"Extract({counts}, rejects={len(self.rejects):,}, source={self.source!r})"
