"""Exceptions raised by harkit.

Every exception that concerns input data says where the problem is: the file, the
table, the 1-based line as an editor shows it, and the column, whichever are known.
"""

from __future__ import annotations


class HarkitError(Exception):
    """Base class of every harkit exception."""


class ExtractError(HarkitError):
    """A register extract cannot be read or fails validation.

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    source_file : str, optional
        The file concerned.
    table : str, optional
        The canonical table concerned (``persons``, ``diagnoses`` ...).
    line : int, optional
        The 1-based line in the file, counting the header as line 1.
    column : str, optional
        The column concerned, as named in the file.
    """

    def __init__(
        self,
        message: str,
        *,
        source_file: str | None = None,
        table: str | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.source_file = source_file
        self.table = table
        self.line = line
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.source_file is not None:
            where.append(f"file {self.source_file!r}")
        if self.table is not None:
            where.append(f"table {self.table!r}")
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class SchemaError(ExtractError):
    """A table lacks required columns or cannot be mapped to the canonical model."""


class CodeError(HarkitError):
    """A diagnosis code or code system cannot be interpreted."""
