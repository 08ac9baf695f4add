"""What reading one delivered file yields, before any mapping."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: A reject or a note found while reading: its line, its column and the reason.
Finding = tuple[int | None, str | None, str]


class UnreadableFile(Exception):  # noqa: N818 - internal signal, turned into skipped_files
    """A file that cannot be read at all; ``reason`` says why, without any value from it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class RawFile:
    """The content of one file (or one worksheet) before any mapping.

    Attributes
    ----------
    name : str
        File name (no folder), as it appears in rejects; ``book.xlsx[Sheet]`` for a
        worksheet of a workbook with several.
    frame : pandas.DataFrame
        The rows read; for text files every value is a ``str`` (never NA), held in
        Arrow-backed ``string`` columns (object columns where a fallback parser served).
    lines : numpy.ndarray
        1-based line on which each row starts (header is line 1; Excel row numbers).
    is_text : bool
        Whether the file was delimited text.
    encoding, delimiter : str or None
        What was detected (text files only).
    bad_lines : list of (int or None, str or None, str)
        Rows that were read but cannot be kept: line, column, reason.
    notes : list of (int or None, str or None, str)
        What the reader had to decide about kept content: line, column, note.
    file_problem : str or None
        Set when the whole file is rejected (all its rows are in ``bad_lines``).
    stem : str or None
        Name used to recognise the table (default: the file stem).
    decoding : str or None
        How text was decoded, for ``row_counts`` (a codec, or the binary format).
    bad_spans : dict of int to int
        For rejected rows that span lines (quoted line breaks): first line -> last line.
    """

    name: str
    frame: pd.DataFrame
    lines: np.ndarray
    is_text: bool
    encoding: str | None = None
    delimiter: str | None = None
    bad_lines: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    file_problem: str | None = None
    stem: str | None = None
    decoding: str | None = None
    bad_spans: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.stem is None:
            self.stem = Path(self.name).stem
        if self.decoding is None:
            self.decoding = self.encoding

    @property
    def rows_read(self) -> int:
        """Rows this file accounts for: kept candidates plus rows rejected on read."""
        return len(self.frame) + len(self.bad_lines)
