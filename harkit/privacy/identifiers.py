"""Find person ids and exact dates of birth or death in tables, HTML and notebooks."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harkit.privacy.policies import MIN_ID_LENGTH

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
