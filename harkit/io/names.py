"""Which table a file holds and which canonical column each of its columns is."""

from __future__ import annotations

import re

from harkit import schema

_WIDE_MAIN = re.compile(r"(" + "|".join(schema.WIDE_DIAGNOSIS_MAIN) + r")(\d*)")
_WIDE_SECONDARY = re.compile(r"(" + "|".join(schema.WIDE_DIAGNOSIS_SECONDARY) + r")(\d+)")
_WIDE_UNDERLYING = {"underliggende_kode", "ulorsak", "underliggende"}
_WIDE_CONTRIBUTING = re.compile(r"(medvirkende|morsak)_?(\d+)")


def table_from_stem(stem: str) -> str | None:
    """Canonical table named by a file stem, or None.

    ``diagnose``, ``Diagnose_2020`` and ``diagnoser2`` all name ``diagnoses``: an alias
    of :data:`harkit.schema.TABLE_FILE_ALIASES`, optionally followed by ``_`` or digits
    and anything after them. The longest matching alias wins.

    Parameters
    ----------
    stem : str
        File name without suffix.

    Returns
    -------
    str or None
    """
    folded = schema.fold_name(stem)
    best: tuple[int, str] | None = None
    for alias, table in schema.TABLE_FILE_ALIASES.items():
        prefix = folded.startswith(alias) and len(folded) > len(alias) and (
            folded[len(alias)] == "_" or folded[len(alias)].isdigit())
        if (folded == alias or prefix) and (best is None or len(alias) > best[0]):
            best = (len(alias), table)
    return best[1] if best else None


def canonical_name(table: str, column: str) -> str | None:
    """Canonical column a delivered column name maps to in ``table``, or None.

    Parameters
    ----------
    table : str
        Canonical table.
    column : str
        Column name as delivered (any case, with or without æøå).

    Returns
    -------
    str or None
    """
    folded = schema.fold_name(column)
    if folded in schema.TABLES[table].column_names:
        return folded
    return schema.ALIASES[table].get(folded)


def wide_dx_columns(columns: list[str]) -> list[tuple[str, str, str]]:
    """Wide diagnosis columns of an episodes file (``hdiag``, ``bdiag1``, ``tilst2`` ...).

    Parameters
    ----------
    columns : list of str
        Column names as delivered.

    Returns
    -------
    list of (str, str, str)
        ``(name in file, folded name, rank)`` in file order; rank is ``main`` for
        ``hdiag``/``hdia``/``hoveddiagnose`` (and their ``1``) and ``tilst1``.
    """
    out = []
    for c in columns:
        f = schema.fold_name(c)
        m = _WIDE_MAIN.fullmatch(f)
        if m:
            out.append((c, f, "main" if m.group(2) in ("", "1") else "secondary"))
            continue
        m = _WIDE_SECONDARY.fullmatch(f)
        if m:
            rank = "main" if (m.group(1) == "tilst" and m.group(2) == "1") else "secondary"
            out.append((c, f, rank))
    return out


def wide_cause_columns(columns: list[str]) -> list[tuple[str, int]]:
    """Wide cause-of-death columns (``underliggende_kode``/``ulorsak``, ``medvirkende1..n``).

    Parameters
    ----------
    columns : list of str
        Column names as delivered.

    Returns
    -------
    list of (str, int)
        ``(name in file, line)``: line 0 for the underlying cause, k for contributing k.
    """
    out = []
    for c in columns:
        f = schema.fold_name(c)
        if f in _WIDE_UNDERLYING:
            out.append((c, 0))
        else:
            m = _WIDE_CONTRIBUTING.fullmatch(f)
            if m:
                out.append((c, int(m.group(2))))
    return out


def mapped_columns(table: str, columns: list[str]) -> set[str]:
    """Canonical columns of ``table`` that the delivered ``columns`` provide.

    Parameters
    ----------
    table : str
        Canonical table.
    columns : list of str
        Column names as delivered.

    Returns
    -------
    set of str
    """
    return {n for c in columns if (n := canonical_name(table, c)) is not None}


def identify_table(stem: str, columns: list[str]) -> str | None:
    """Decide which canonical table a file holds.

    The file name decides when it names a table (see :func:`table_from_stem`) and at
    least one column belongs to that table; otherwise the table whose aliases match most
    columns wins, preferring tables whose required columns are all present.

    Parameters
    ----------
    stem : str
        File name without suffix.
    columns : list of str
        Column names as delivered.

    Returns
    -------
    str or None
        None when no column matches any table.
    """
    by_stem = table_from_stem(stem)
    wide_dx = bool(wide_dx_columns(columns))
    wide_cod = bool(wide_cause_columns(columns))

    def complete(t: str) -> bool:
        have = mapped_columns(t, columns)
        need = set(required_columns(t, columns))
        return need <= have

    if by_stem is not None and (not columns or mapped_columns(by_stem, columns)):
        return by_stem
    scores = []
    for i, t in enumerate(schema.TABLE_ORDER):
        hits = len(mapped_columns(t, columns))
        if t in ("episodes", "diagnoses") and wide_dx:
            hits += 2
        if t == "causes_of_death" and wide_cod:
            hits += 2
        scores.append((complete(t) and hits > 0, hits, -i, t))
    best = max(scores)
    if best[1] > 0:
        return best[3]
    return by_stem


def required_columns(table: str, columns: list[str]) -> list[str]:
    """Required canonical columns of ``table``, allowing for what a wide layout derives.

    Parameters
    ----------
    table : str
        Canonical table.
    columns : list of str
        Column names as delivered.

    Returns
    -------
    list of str
    """
    need = list(schema.TABLES[table].required)
    if table == "diagnoses" and wide_dx_columns(columns):
        need = ["person_id"]
    if table == "causes_of_death" and wide_cause_columns(columns):
        need = [c for c in need if c != "code"]
    return need


