"""Disclosure control for counts shown in tables and reports.

Two tools live here:

- :func:`suppress`: primary suppression of small counts (the rule every rendered count in
  harkit passes through by default), optional OpenSAFELY-style rounding, secondary
  (complementary) suppression so that a hidden count cannot be recovered from row and column
  totals, and percentages hidden with their counts.
- :func:`check_no_identifiers` / :func:`assert_no_identifiers`: search a table, a string of
  HTML, a notebook or a rendered HTML report for person ids and exact dates of birth or death.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Smallest count shown. Counts 1-4 are suppressed, following the common practice of
#: Norwegian health registries for published tables.
DEFAULT_THRESHOLD = 5

#: OpenSAFELY-style rule: counts of 7 or fewer are suppressed, all others rounded to 5.
OPENSAFELY_THRESHOLD = 8
OPENSAFELY_ROUND_TO = 5

#: Shortest person id (in characters) that :func:`check_no_identifiers` looks for. Shorter
#: ids ("12") are indistinguishable from counts and years in rendered tables.
MIN_ID_LENGTH = 4

_RULES = ("threshold", "opensafely")


class DisclosureWarning(UserWarning):
    """A table could not be fully protected, or an identifier check was incomplete."""


# --------------------------------------------------------------------------- policy


@dataclasses.dataclass(frozen=True)
class Policy:
    """The disclosure-control settings every shown count in harkit follows.

    Parameters
    ----------
    threshold : int, default 5
        Smallest count shown: counts ``0 < n < threshold`` are hidden (primary suppression).
    round_to : int, optional
        Show every count rounded to the nearest multiple of this (suppression decisions
        still use the exact counts). None: exact counts are shown.
    rule : {"threshold", "opensafely"}, default "threshold"
        Name of the rule, shown in notes and in ``attrs`` of suppressed tables.
    """

    threshold: int = 5
    round_to: int | None = None
    rule: str = "threshold"

    def __post_init__(self) -> None:
        if self.rule not in _RULES:
            raise ValueError(f"rule must be one of {_RULES}, got {self.rule!r}")
        if self.threshold < 1:
            raise ValueError(f"threshold must be at least 1, got {self.threshold}")
        if self.round_to is not None and self.round_to < 1:
            raise ValueError(f"round_to must be at least 1, got {self.round_to}")

    def describe(self) -> str:
        """One sentence for notes and report footers.

        Returns
        -------
        str
        """
        text = f"counts 1-{self.threshold - 1} are hidden"
        if self.round_to:
            text += f" and every other count is rounded to the nearest {self.round_to}"
        return text


#: harkit's default: counts 1-4 hidden, the rest exact (single tables, with audited
#: secondary suppression where a table has margins).
DEFAULT_POLICY = Policy()
#: The OpenSAFELY output rule: counts <= 7 hidden, all others rounded to the nearest 5.
#: Rendered reports use it, so that no count can be worked out across tables.
REPORT_POLICY = Policy(threshold=OPENSAFELY_THRESHOLD, round_to=OPENSAFELY_ROUND_TO,
                       rule="opensafely")

_current: list[Policy] = [DEFAULT_POLICY]


def get_policy() -> Policy:
    """The policy in force.

    Returns
    -------
    Policy
    """
    return _current[-1]


def set_policy(policy: Policy | str | None = None, **changes: Any) -> Policy:
    """Set the policy every harkit result uses from now on.

    Parameters
    ----------
    policy : Policy or {"default", "report"}, optional
        The new policy; None starts from the one in force.
    **changes
        Fields of :class:`Policy` to change (``threshold=``, ``round_to=``, ``rule=``).

    Returns
    -------
    Policy
        The policy that was in force before.

    Examples
    --------
    >>> old = set_policy("report")
    >>> get_policy().round_to
    5
    >>> _ = set_policy(old)
    """
    old = _current[-1]
    _current[-1] = _resolve(policy, changes)
    return old


@contextlib.contextmanager
def policy(policy: Policy | str | None = None, **changes: Any) -> Iterator[Policy]:
    """Use a policy inside a ``with`` block only.

    Parameters
    ----------
    policy : Policy or {"default", "report"}, optional
        As for :func:`set_policy`.
    **changes
        Fields of :class:`Policy` to change.

    Yields
    ------
    Policy
        The policy in force inside the block.
    """
    _current.append(_resolve(policy, changes))
    try:
        yield _current[-1]
    finally:
        _current.pop()


def _resolve(policy: Policy | str | None, changes: Mapping[str, Any]) -> Policy:
    if policy is None:
        base = _current[-1]
    elif isinstance(policy, Policy):
        base = policy
    elif policy in ("default", "report"):
        base = DEFAULT_POLICY if policy == "default" else REPORT_POLICY
    else:
        raise ValueError(f"policy must be a Policy, 'default' or 'report', got {policy!r}")
    return dataclasses.replace(base, **changes) if changes else base


def format_count(n: float | int | None, *, policy: Policy | None = None) -> str:
    """A single count as text under the policy, for notes, titles and labels.

    Parameters
    ----------
    n : int or float
        The exact count (NaN or None gives ``""``).
    policy : Policy, optional
        Default: the policy in force.

    Returns
    -------
    str
        ``"<5"`` for a hidden count, else the count (rounded under the policy), with
        thousands separators.

    Examples
    --------
    >>> format_count(3), format_count(1234), format_count(0)
    ('<5', '1,234', '0')
    """
    pol = policy or get_policy()
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return ""
    if 0 < n < pol.threshold:
        return f"<{pol.threshold}"
    shown = n if not pol.round_to else round(n / pol.round_to) * pol.round_to
    return f"{int(shown):,}"


# --------------------------------------------------------------------------- suppression


def suppress(
    table: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    threshold: int | None = None,
    marker: str | None = None,
    rule: str | None = None,
    round_to: int | None = None,
    rows: str | None = None,
    cols: str | None = None,
    by: str | Sequence[str] | None = None,
    secondary: bool | None = None,
    total: Any = "Total",
    percent_columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Hide small counts (primary suppression) and the cells that would reveal them.

    Parameters
    ----------
    table : pandas.DataFrame
        A table of counts. Either *long* (one count column, with ``rows`` and ``cols`` naming
        the two key columns of a cross-table) or *wide* (the count columns are the columns of
        a cross-table, each row of ``table`` one of its rows), or any plain table of counts.
    columns : sequence of str, optional
        The count columns. Default: every integer column.
    threshold : int, optional
        Smallest count shown; counts ``0 < n < threshold`` are suppressed (primary
        suppression). Default: the policy in force (:func:`get_policy`; 5 unless changed),
        or 8 when ``rule="opensafely"`` is passed (counts <= 7 hidden). A zero is never a
        primary cell: it discloses nothing.
    marker : str, optional
        Text shown in place of a suppressed count. Default ``"<{threshold}"`` with primary
        suppression only, and ``"*"`` when secondary suppression is applied (a complementary
        cell is not small, and a different marker would point at the small one, so all hidden
        cells share one marker).
    rule : {"threshold", "opensafely"}, optional
        ``"opensafely"``: counts <= 7 are suppressed and every other count is shown rounded
        to the nearest 5 (``round_to``), following the OpenSAFELY output-checking rule.
        Default: the policy in force.
    round_to : int, optional
        Round shown counts to the nearest multiple of this (default: the policy's, or 5
        when ``rule="opensafely"`` is passed). Suppression decisions use the exact counts.
    rows, cols : str, optional
        For a long table: the key columns whose values are the rows and the columns of the
        cross-table. Giving both turns on secondary suppression. Combinations absent from the
        table are published zeros.
    by : str or sequence of str, optional
        For a long table: further key columns; each stratum is its own cross-table.
    secondary : bool, optional
        Apply secondary suppression. Default: on when ``rows`` and ``cols`` are given, off
        otherwise (a plain table such as ``icd.overview`` output is not additive). Pass
        ``True`` for a wide cross-table.
    total : scalar, default "Total"
        Label of margins given in the table: in a long table, a ``rows``/``cols`` value; in a
        wide table, a count column (row totals) and a row whose index label, or whose value
        in any non-count column, equals it (column totals). Margin cells take part in
        secondary suppression like any other cell, but are chosen as complements last.
    percent_columns : mapping of str to str, optional
        ``{"pct": "n"}``: the percentage column ``pct`` is hidden wherever its count ``n``
        is (primary or secondary).

    Returns
    -------
    pandas.DataFrame
        A copy in which the count columns (and percentage columns) are text: the count, or
        the marker. ``attrs["suppressed_cells"]`` holds the number of primary cells,
        ``attrs["secondary_cells"]`` the number of complementary cells hidden,
        ``attrs["suppression_threshold"]`` the threshold and ``attrs["suppression_rule"]``
        the rule.

    Raises
    ------
    ValueError
        If a named column is missing or holds negative or non-integer counts, the rule is
        unknown, or a long table has more than one count for a cell.

    Warns
    -----
    DisclosureWarning
        If a row or column with one hidden cell has no other cell that could be hidden
        (e.g. a single-column table whose totals are public): the hidden count can then be
        recovered, and the warning says where.

    Notes
    -----
    Secondary suppression assumes every row and column total of the cross-table is public
    (it usually is, in another table, even when it is not in this one). A row or column with
    exactly one hidden cell would reveal it by subtraction, so in each such line the
    smallest other cell is hidden too (preferring non-zero interior cells, then zeros, then
    margins), repeated until no line has exactly one hidden cell. This defeats recovery by
    row/column subtraction; it does not guarantee wide intervals (no linear programming).

    Percentages are hidden with their counts, but not recomputed after rounding: with a
    known denominator a percentage can reveal the exact count behind a rounded one.

    Examples
    --------
    >>> t = pd.DataFrame({"a": [3, 10, 13], "b": [20, 30, 50]}, index=["x", "y", "Total"])
    >>> suppress(t, secondary=True)["a"].tolist()
    ['*', '*', '13']
    """
    pol = get_policy()
    if rule is None:
        rule = pol.rule
        threshold = pol.threshold if threshold is None else threshold
        round_to = pol.round_to if round_to is None else round_to
    if rule not in _RULES:
        raise ValueError(f"rule must be one of {_RULES}, got {rule!r}")
    if threshold is None:
        threshold = OPENSAFELY_THRESHOLD if rule == "opensafely" else DEFAULT_THRESHOLD
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, got {threshold}")
    if round_to is None and rule == "opensafely":
        round_to = OPENSAFELY_ROUND_TO
    if round_to is not None and round_to < 1:
        raise ValueError(f"round_to must be at least 1, got {round_to}")
    if (rows is None) != (cols is None):
        raise ValueError("give both rows= and cols= (the two keys of a long cross-table)")
    long_form = rows is not None
    if secondary is None:
        secondary = long_form
    if columns is None:
        columns = [c for c in table.columns if pd.api.types.is_integer_dtype(table[c])]
    columns = list(columns)
    percent_columns = dict(percent_columns or {})
    for col in [*columns, *percent_columns, *(k for k in (rows, cols) if k is not None)]:
        if col not in table.columns:
            raise ValueError(
                f"column {col!r} not in table; columns are {list(table.columns)}")
    for pct, count in percent_columns.items():
        if count not in columns:
            raise ValueError(f"percent column {pct!r} refers to {count!r}, not a count column")

    values = {}
    for col in columns:
        v = pd.to_numeric(table[col], errors="raise").astype(float)
        if (v.dropna() < 0).any() or (v.dropna() % 1 != 0).any():
            raise ValueError(f"column {col!r} must hold non-negative whole counts")
        values[col] = v.to_numpy()
    n_rows = len(table)
    primary = {c: (values[c] > 0) & (values[c] < threshold) for c in columns}
    hidden = {c: primary[c].copy() for c in columns}

    if secondary and columns and n_rows:
        if long_form:
            _secondary_long(table, columns, values, hidden, rows, cols, by, total)
        else:
            _secondary_wide(table, columns, values, hidden, total)
    if marker is None:
        marker = "*" if secondary else f"<{threshold}"

    out = table.copy()
    n_primary = n_secondary = 0
    for col in columns:
        v, h = values[col], hidden[col]
        shown = v if round_to is None else np.round(v / round_to) * round_to
        text = pd.Series(
            ["" if np.isnan(x) else f"{int(x):,}" for x in shown], index=table.index,
            dtype=object)
        text[h] = marker
        out[col] = text
        n_primary += int(primary[col].sum())
        n_secondary += int((h & ~primary[col]).sum())
    for pct, count in percent_columns.items():
        text = table[pct].map(_format_percent).astype(object)
        text[hidden[count]] = marker
        out[pct] = text
    out.attrs["suppressed_cells"] = n_primary
    out.attrs["secondary_cells"] = n_secondary
    out.attrs["suppression_threshold"] = threshold
    out.attrs["suppression_rule"] = rule
    return out


def _format_percent(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (float, np.floating)):
        return f"{v:.1f}"
    return str(v)


def _is_total(value: Any, total: Any) -> bool:
    try:
        return total is not None and bool(value == total)
    except (TypeError, ValueError):
        return False


def _secondary_wide(table: pd.DataFrame, columns: list[str], values: dict, hidden: dict,
                    total: Any) -> None:
    """Secondary suppression on a wide cross-table, in place on ``hidden``."""
    label_cols = [c for c in table.columns if c not in columns]
    total_row = np.array([
        _is_total(idx, total) or any(_is_total(table.iloc[i][c], total) for c in label_cols)
        for i, idx in enumerate(table.index)])
    grid = np.column_stack([values[c] for c in columns])
    mask = np.column_stack([hidden[c] for c in columns])
    margin = np.zeros_like(mask)
    margin[total_row, :] = True
    for j, c in enumerate(columns):
        if _is_total(c, total):
            margin[:, j] = True
    labels = [[f"row {table.index[i]!r}, column {c!r}" for c in columns]
              for i in range(len(table))]
    _fixed_point(grid, mask, margin, labels)
    for j, c in enumerate(columns):
        hidden[c] = mask[:, j]


def _secondary_long(table: pd.DataFrame, columns: list[str], values: dict, hidden: dict,
                    rows: str, cols: str, by: str | Sequence[str] | None, total: Any) -> None:
    """Secondary suppression on a long table with ``rows``/``cols`` keys, in place."""
    if len(columns) != 1:
        raise ValueError(
            f"a long table (rows=, cols=) needs exactly one count column, got {columns}")
    col = columns[0]
    by = [] if by is None else [by] if isinstance(by, str) else list(by)
    keys = [*by, rows, cols]
    if table.duplicated(keys).any():
        raise ValueError(
            f"several rows share the same {keys}; name the other key columns with by=")
    strata = (table.groupby(by, sort=False, dropna=False).indices if by
              else {None: np.arange(len(table))})
    mask_all = hidden[col]
    for stratum, pos in strata.items():
        r_vals = pd.unique(table[rows].to_numpy()[pos])
        c_vals = pd.unique(table[cols].to_numpy()[pos])
        r_ix = {v: i for i, v in enumerate(r_vals)}
        c_ix = {v: j for j, v in enumerate(c_vals)}
        grid = np.full((len(r_vals), len(c_vals)), np.nan)
        mask = np.zeros(grid.shape, bool)
        where = np.full(grid.shape, -1)
        for p in pos:
            i, j = r_ix[table[rows].iloc[p]], c_ix[table[cols].iloc[p]]
            grid[i, j], mask[i, j], where[i, j] = values[col][p], mask_all[p], p
        # Absent combinations are published zeros: part of the line, never hideable.
        absent = where < 0
        grid[absent & np.isnan(grid)] = 0.0
        margin = np.zeros(grid.shape, bool)
        margin[[_is_total(v, total) for v in r_vals], :] = True
        margin[:, [_is_total(v, total) for v in c_vals]] = True
        prefix = "" if stratum is None else f"stratum {stratum!r}, "
        labels = [[f"{prefix}{rows}={r!r}, {cols}={c!r}" for c in c_vals] for r in r_vals]
        _fixed_point(grid, mask, margin, labels, fixed=absent)
        for i, j in zip(*np.nonzero(mask & ~absent)):
            mask_all[where[i, j]] = True


def _fixed_point(grid: np.ndarray, mask: np.ndarray, margin: np.ndarray,
                 labels: list[list[str]], fixed: np.ndarray | None = None) -> None:
    """Hide complements until no row or column has exactly one hidden cell (in place).

    ``grid`` holds the counts (NaN: no cell), ``mask`` the hidden cells, ``margin`` the
    margin cells (chosen last) and ``fixed`` cells that cannot be hidden.
    """
    blocked = np.isnan(grid) if fixed is None else (np.isnan(grid) | fixed)
    n_r, n_c = grid.shape
    lines = [[(i, j) for j in range(n_c)] for i in range(n_r)]
    lines += [[(i, j) for i in range(n_r)] for j in range(n_c)]
    exposed: list[str] = []
    changed = True
    while changed:
        changed = False
        for line in lines:
            cells = [ij for ij in line if not np.isnan(grid[ij])]
            if sum(mask[ij] for ij in cells) != 1:
                continue
            candidates = [ij for ij in cells if not mask[ij] and not blocked[ij]]
            if not candidates:
                lone = next(ij for ij in cells if mask[ij])
                label = labels[lone[0]][lone[1]]
                if label not in exposed:
                    exposed.append(label)
                continue
            best = min(candidates, key=lambda ij: (margin[ij], grid[ij] == 0, grid[ij], ij))
            mask[best] = True
            changed = True
    # A line may have been fixed later by a complement chosen for another line.
    still = [labels[i][j] for line in lines
             for (i, j) in line if mask[i, j]
             and sum(mask[ij] for ij in line if not np.isnan(grid[ij])) == 1]
    if still:
        warnings.warn(
            "secondary suppression could not protect "
            + "; ".join(dict.fromkeys(still))
            + ": its row or column has no other cell to hide, so it can be recovered from "
            "the totals. Merge categories or do not publish this table.",
            DisclosureWarning, stacklevel=4)


# --------------------------------------------------------------------------- identifiers

_DATE_PATTERNS = (
    (re.compile(r"(?<![\w/.-])(\d{4})-(\d{2})-(\d{2})(?![\w/-]|\.\d)"), (1, 2, 3)),
    (re.compile(r"(?<![\w/.-])(\d{4})/(\d{2})/(\d{2})(?![\w/-]|\.\d)"), (1, 2, 3)),
    (re.compile(r"(?<![\w/.-])(\d{2})\.(\d{2})\.(\d{4})(?![\w/-]|\.\d)"), (3, 2, 1)),
    (re.compile(r"(?<![\w/.-])(\d{2})/(\d{2})/(\d{4})(?![\w/-]|\.\d)"), (3, 2, 1)),
)
_TOKEN = re.compile(r"[\w.\-]+")
_FINDING_COLUMNS = ["where", "kind", "value"]


def _mask(text: str) -> str:
    if len(text) <= 4:
        return "*" * len(text)
    return text[:2] + "*" * (len(text) - 3) + text[-1]


def _collect(extract: Any, ids: Any, dates: Any,
             min_id_length: int) -> tuple[set[str], set[str]]:
    """The id strings and ISO date strings to look for."""
    persons = None
    if extract is not None:
        persons = extract if isinstance(extract, pd.DataFrame) else extract.persons
    if ids is None and persons is not None and "person_id" in persons:
        ids = persons["person_id"]
    if dates is None and persons is not None:
        parts = []
        for col in ("birth_date", "death_date"):
            if col not in persons:
                continue
            d = pd.to_datetime(persons[col], errors="coerce")
            prec = persons.get(f"{col}_precision")
            if prec is not None:  # only day-precision dates are exact
                d = d[prec.astype(object).eq("day").to_numpy()]
            parts.append(d)
        dates = pd.concat(parts) if parts else None
    if ids is None and dates is None:
        raise ValueError("give ids=, dates= or extract= (an Extract or its persons table)")
    id_set: set[str] = set()
    if ids is not None:
        for v in pd.Series(ids).dropna():
            s = str(int(v)) if isinstance(v, (int, np.integer)) else str(v).strip()
            if len(s) >= min_id_length:
                id_set.add(s)
    date_set: set[str] = set()
    if dates is not None:
        d = pd.to_datetime(pd.Series(dates), errors="coerce").dropna()
        date_set = set(d.dt.strftime("%Y-%m-%d"))
    return id_set, date_set


def _scan_text(text: str, where: str, id_set: set[str], date_set: set[str]) -> list[dict]:
    found = []
    if id_set:
        for m in _TOKEN.finditer(text):
            tok = m.group(0)
            for cand in {tok, tok.strip(".-")} | set(re.findall(r"\w+", tok)):
                if cand in id_set:
                    found.append({"where": where, "kind": "person_id", "value": _mask(cand)})
                    break
    if date_set:
        for pattern, (y, mo, d) in _DATE_PATTERNS:
            for m in pattern.finditer(text):
                iso = f"{m.group(y)}-{m.group(mo)}-{m.group(d)}"
                if iso in date_set:
                    found.append({"where": where, "kind": "date",
                                  "value": f"{m.group(y)}-**-**"})
    return found


def _scan_frame(df: pd.DataFrame, id_set: set[str], date_set: set[str]) -> list[dict]:
    found: list[dict] = []
    frames = [("index", df.index.to_series(index=range(len(df))))]
    frames += [(f"column {c!r}", df[c].reset_index(drop=True)) for c in df.columns]
    for name, s in frames:
        if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(s):
            iso = s.dt.strftime("%Y-%m-%d")
            for i in np.nonzero(iso.isin(date_set).to_numpy())[0]:
                found.append({"where": f"{name}, row {df.index[i]!r}", "kind": "date",
                              "value": f"{iso.iloc[i][:4]}-**-**"})
            continue
        for i, v in enumerate(s.to_numpy()):
            if v is None or (isinstance(v, float) and np.isnan(v)):
                continue
            if isinstance(v, (pd.Timestamp, np.datetime64)):
                iso_v = pd.Timestamp(v).strftime("%Y-%m-%d")
                if iso_v in date_set:
                    found.append({"where": f"{name}, row {df.index[i]!r}", "kind": "date",
                                  "value": f"{iso_v[:4]}-**-**"})
                continue
            text = str(int(v)) if isinstance(v, (int, np.integer)) else str(v)
            found += _scan_text(text, f"{name}, row {df.index[i]!r}", id_set, date_set)
    return found


def _notebook_texts(nb: dict) -> list[tuple[str, str]]:
    texts = []
    for k, cell in enumerate(nb.get("cells", [])):
        for m, output in enumerate(cell.get("outputs", [])):
            where = f"cell {k} output {m}"
            if "text" in output:
                t = output["text"]
                texts.append((f"{where} (stream)", "".join(t) if isinstance(t, list) else t))
            for mime, data in output.get("data", {}).items():
                if mime.startswith("text/") or mime.endswith("json"):
                    t = data if isinstance(data, str) else (
                        "".join(data) if isinstance(data, list) else json.dumps(data))
                    texts.append((f"{where} ({mime})", t))
            if "traceback" in output:
                texts.append((f"{where} (traceback)", "\n".join(output["traceback"])))
    return texts


def check_no_identifiers(
    obj: pd.DataFrame | str | Path,
    *,
    ids: Sequence[Any] | pd.Series | None = None,
    dates: Sequence[Any] | pd.Series | None = None,
    extract: Any = None,
    min_id_length: int = MIN_ID_LENGTH,
) -> pd.DataFrame:
    """Find person ids and exact dates of birth or death in a table, HTML or notebook.

    Parameters
    ----------
    obj : pandas.DataFrame, str or pathlib.Path
        What to search: a DataFrame (every cell and the index), a path to a notebook
        (``.ipynb``: the text, HTML and JSON outputs of every cell, not images and not the
        code) or a rendered ``.html``/``.htm``/``.txt`` file, or a string of HTML or text.
    ids : sequence or pandas.Series, optional
        Person ids to look for. Matched as whole tokens (``P0001`` is not found inside
        ``P00012``); ids shorter than ``min_id_length`` characters are skipped.
    dates : sequence or pandas.Series, optional
        Exact dates to look for, matched as ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``DD.MM.YYYY``
        and ``DD/MM/YYYY`` in text, and by value in datetime columns.
    extract : harkit.Extract or pandas.DataFrame, optional
        An Extract, or its persons table: supplies ``person_id`` as ``ids`` and the
        day-precision ``birth_date`` and ``death_date`` as ``dates`` where those are not given
        (month- or year-precision dates are not exact and are not searched).
    min_id_length : int, default 4
        Shortest id searched for. Short numeric ids ("12") collide with counts and years;
        registers with such ids need a longer, prefixed id before this check means much.

    Returns
    -------
    pandas.DataFrame
        One row per finding: ``where`` (column and row, notebook cell and output, or line),
        ``kind`` (``"person_id"`` or ``"date"``) and ``value`` (masked: an id keeps its first
        two and last character, a date only its year). Empty when nothing is found.

    Raises
    ------
    ValueError
        If none of ``ids``, ``dates`` and ``extract`` is given.
    TypeError
        If ``obj`` is not a DataFrame, a string or a path.
    """
    id_set, date_set = _collect(extract, ids, dates, min_id_length)
    if isinstance(obj, pd.DataFrame):
        found = _scan_frame(obj, id_set, date_set)
    elif isinstance(obj, (str, Path)):
        path = Path(obj) if isinstance(obj, Path) or (
            len(obj) < 4096 and "\n" not in obj and "<" not in obj) else None
        if path is not None and path.suffix.lower() in (".ipynb", ".html", ".htm", ".txt"):
            if not path.is_file():
                raise FileNotFoundError(f"no such file: {path}")
            raw = path.read_text(encoding="utf-8")
            if path.suffix.lower() == ".ipynb":
                texts = _notebook_texts(json.loads(raw))
            else:
                texts = [(f"{path.name} line {n}", line)
                         for n, line in enumerate(raw.splitlines(), start=1)]
        else:
            texts = [(f"line {n}", line) for n, line in enumerate(str(obj).splitlines(), 1)]
        found = [f for where, t in texts for f in _scan_text(t, where, id_set, date_set)]
    else:
        raise TypeError(f"cannot search a {type(obj).__name__}; give a DataFrame, HTML or a path")
    return pd.DataFrame(found, columns=_FINDING_COLUMNS)


def assert_no_identifiers(obj: pd.DataFrame | str | Path, **kwargs: Any) -> None:
    """Raise if :func:`check_no_identifiers` finds any person id or exact date.

    Parameters
    ----------
    obj : pandas.DataFrame, str or pathlib.Path
        What to search; see :func:`check_no_identifiers`.
    **kwargs
        ``ids``, ``dates``, ``extract``, ``min_id_length``, passed on.

    Raises
    ------
    AssertionError
        Listing where each identifier was found (values masked).
    """
    found = check_no_identifiers(obj, **kwargs)
    if len(found):
        lines = [f"  {r.where}: {r.kind} {r.value}" for r in found.head(20).itertuples()]
        more = f"\n  ... and {len(found) - 20} more" if len(found) > 20 else ""
        raise AssertionError(
            f"{len(found)} identifier(s) found:\n" + "\n".join(lines) + more)
