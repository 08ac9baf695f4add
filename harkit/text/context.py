"""ConText-style context of concept hits: negated, historical, uncertain, family.

The rules are data (``context_rules.csv`` next to this module; sources per row, ``U`` where
unsourced). Each rule has a ``literal`` (written in plain Norwegian, folded like the record
text), a ``category`` (``negated``, ``historical``, ``uncertain``, ``family``; ``all`` for
terminators), a ``direction`` and a ``window`` in words:

* ``forward``: the trigger applies to a hit that starts at most ``window`` words after it;
* ``backward``: to a hit that ends at most ``window`` words before it;
* ``bidirectional``: either;
* ``terminate``: ends the scope of the triggers of its category (``men``, ``unntatt``,
  ``.``, ``;``; ``nå`` ends only ``historical``), so in "ingen abstinens, men
  alkoholmisbruk" the misuse is not negated;
* ``pseudo``: matched only so that a shorter trigger inside it does not fire
  (``ikke bare``, ``ingen endring``).

Rules are matched on word units of the normalised text, longest literal first, left to
right. A comma does not end a scope ("ingen abstinens, kramper eller delir"). An optional
``not_original`` column lists original spellings (``|``-separated) that do not trigger
although they fold to the literal: ``får``/``faar`` fold to ``far`` (father).

OCR: the folding of :func:`harkit.text.normalise.normalise` covers the confusions that
affect triggers in the synthetic register (``1``/``l``, ``ø``/``o``, ``å``/``aa``,
``rn``/``m``); nynorsk ``ikkje`` and Dano-Norwegian ``icke``/``ej`` are rules. OCR
misreadings such as ``ikkc`` or a trigger split by a blank are not recognised: guessing
them would negate ordinary words.
"""

from __future__ import annotations

import csv
import io
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import accumulate
from pathlib import Path

import numpy as np
import pandas as pd

from harkit.text.normalise import Normalised, fold, normalise

__all__ = ["CATEGORIES", "ContextRules", "context_batch", "context_of", "read_rules"]

#: Context categories reported per hit.
CATEGORIES: tuple[str, ...] = ("negated", "historical", "uncertain", "family")
DIRECTIONS: tuple[str, ...] = ("forward", "backward", "bidirectional", "terminate", "pseudo")
RULE_COLUMNS: tuple[str, ...] = ("literal", "category", "direction", "window", "source")
_UNIT = re.compile(r"\w+|[^\w\s]")
# Sentence ends that always close a scope, whatever rule consumed them.
_HARD_ENDS = frozenset("?!;")


@dataclass(frozen=True)
class _Rule:
    literal: str
    category: str
    direction: str
    window: int
    not_original: frozenset[str]


@dataclass(frozen=True)
class ContextRules:
    """A compiled rule table (use :func:`read_rules`).

    Attributes
    ----------
    table : pandas.DataFrame
        The rules as read.
    """

    table: pd.DataFrame
    by_first: dict[str, list[tuple[tuple[str, ...], list[_Rule]]]]
    max_window: int


def _compile(table: pd.DataFrame) -> ContextRules:
    missing = [c for c in ("literal", "category", "direction", "window") if c not in table]
    if missing:
        raise ValueError(f"context rules lack column(s) {missing}")
    grouped: dict[tuple[str, ...], list[_Rule]] = {}
    for n, row in enumerate(table.itertuples(index=False), start=1):
        cat, dirn = str(row.category).strip(), str(row.direction).strip()
        if dirn not in DIRECTIONS:
            raise ValueError(f"context rule {n} ({row.literal!r}): direction {dirn!r} "
                             f"is not one of {DIRECTIONS}")
        if cat not in CATEGORIES and not (dirn == "terminate" and cat == "all"):
            raise ValueError(f"context rule {n} ({row.literal!r}): category {cat!r} is not "
                             f"one of {CATEGORIES}" + (" or 'all'" if dirn == "terminate"
                                                       else ""))
        try:
            window = int(row.window)
        except (TypeError, ValueError):
            raise ValueError(f"context rule {n} ({row.literal!r}): window {row.window!r} "
                             "is not an integer") from None
        units = tuple(_UNIT.findall(fold(str(row.literal))))
        if not units:
            raise ValueError(f"context rule {n}: literal {row.literal!r} is empty after folding")
        raw = getattr(row, "not_original", "")
        raw = "" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else str(raw)
        skip = frozenset(s.strip().lower() for s in raw.split("|") if s.strip())
        grouped.setdefault(units, []).append(_Rule(" ".join(units), cat, dirn, window, skip))
    by_first: dict[str, list] = {}
    for units, rules in grouped.items():
        by_first.setdefault(units[0], []).append((units, rules))
    for lst in by_first.values():
        lst.sort(key=lambda x: -len(x[0]))
    return ContextRules(table, by_first, max(int(table["window"].max()), 0))


def read_rules(path: str | Path | pd.DataFrame | None = None) -> ContextRules:
    """Read and compile a context rule table (the bundled Norwegian one by default).

    Parameters
    ----------
    path : str, Path or pandas.DataFrame, optional
        A CSV with columns ``literal, category, direction, window`` (``source`` and
        ``not_original`` optional; lines starting with ``#`` are comments), or a
        DataFrame with those columns.

    Returns
    -------
    ContextRules

    Raises
    ------
    ValueError
        An unknown category or direction, a non-integer window or an empty literal,
        naming the row.
    """
    if path is None:
        return _default_rules()
    if isinstance(path, pd.DataFrame):
        return _compile(path)
    return _compile(_read_csv(Path(path).read_text(encoding="utf-8")))


def _read_csv(text: str) -> pd.DataFrame:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    return pd.DataFrame(rows).fillna("")


@lru_cache(maxsize=1)
def _default_rules() -> ContextRules:
    text = resources.files("harkit.text").joinpath("context_rules.csv").read_text("utf-8")
    return _compile(_read_csv(text))


def _coerce_rules(rules) -> ContextRules:
    return rules if isinstance(rules, ContextRules) else read_rules(rules)


def _events(norm: Normalised, rules: ContextRules):
    """Units of the text and the rule events found in them."""
    text = norm.text
    spans = [m.span() for m in _UNIT.finditer(text)]
    units = [text[a:b] for a, b in spans]
    is_word = [u[0].isalnum() or u[0] == "_" for u in units]
    events: list[tuple[int, int, _Rule]] = []
    by_first = rules.by_first
    free = 0  # units before this one are part of a matched literal
    # only units that can start a literal need a look (same result as stepping through all)
    for i in [j for j, u in enumerate(units) if u in by_first]:
        if i < free:
            continue
        for lit, rs in by_first[units[i]]:
            k = len(lit)
            if tuple(units[i:i + k]) == lit:
                orig = ""
                if any(r.not_original for r in rs):
                    a, b = norm.original_span(spans[i][0], spans[i + k - 1][1])
                    orig = norm.original[a:b].lower()
                for r in rs:
                    if orig not in r.not_original:
                        events.append((i, i + k, r))
                free = i + k
                break
    return spans, units, is_word, events


def context_batch(normalised: Normalised | str, starts, ends,
                  rules: ContextRules | str | Path | pd.DataFrame | None = None
                  ) -> dict[str, np.ndarray]:
    """Context of many hits in one document, scanning the triggers once.

    Parameters
    ----------
    normalised : Normalised or str
        The document (a ``str`` is normalised first).
    starts, ends : array-like of int
        Hit spans in ``normalised.text``.
    rules : ContextRules, path or DataFrame, optional
        Default: the bundled Norwegian rules.

    Returns
    -------
    dict of str to numpy.ndarray of bool
        One array per category of :data:`CATEGORIES`, aligned with the hits.
    """
    norm = normalised if isinstance(normalised, Normalised) else normalise(normalised)
    rules = _coerce_rules(rules)
    starts = np.asarray(starts, dtype=np.int64).ravel()
    ends = np.asarray(ends, dtype=np.int64).ravel()
    if len(starts) != len(ends):
        raise ValueError("starts and ends differ in length")
    out = {c: np.zeros(len(starts), dtype=bool) for c in CATEGORIES}
    if not len(starts) or not norm.text:
        return out
    spans, units, is_word, events = _events(norm, rules)
    if not spans:
        return out
    n = len(units)
    # plain lists: windows are short, so numpy's per-call cost would dominate
    words_before = list(accumulate(is_word, initial=0))  # words in units[:i]
    hard = [u in _HARD_ENDS for u in units]
    term = {}
    for c in CATEGORIES:
        t = list(hard)
        for a, b, r in events:
            if r.direction == "terminate" and r.category in (c, "all"):
                t[a:b] = [True] * (b - a)
        term[c] = list(accumulate(t, initial=0))
    triggers = [(a, b, r) for a, b, r in events
                if r.direction in ("forward", "backward", "bidirectional")]
    trig_starts = [a for a, _, _ in triggers]
    unit_starts = [s for s, _ in spans]
    unit_ends = [e for _, e in spans]
    reach = 2 * rules.max_window + 8
    for h, (hs, he) in enumerate(zip(starts.tolist(), ends.tolist())):
        first = bisect_right(unit_ends, hs)        # first unit ending after hs
        last = bisect_left(unit_starts, he) - 1    # last unit starting before he
        if first >= n or last < first:
            continue
        lo = bisect_left(trig_starts, first - reach)
        hi = bisect_right(trig_starts, last + reach)
        for a, b, r in triggers[lo:hi]:
            c = r.category
            if out[c][h]:
                continue
            if b <= first and r.direction in ("forward", "bidirectional"):
                ok = (words_before[first] - words_before[b] <= r.window
                      and term[c][first] == term[c][b])
            elif a > last and r.direction in ("backward", "bidirectional"):
                ok = (words_before[a] - words_before[last + 1] <= r.window
                      and term[c][a] == term[c][last + 1])
            else:
                ok = False  # trigger overlaps the hit or points away from it
            if ok:
                out[c][h] = True
    return out


def context_of(normalised: Normalised | str, hit_start: int, hit_end: int,
               rules: ContextRules | str | Path | pd.DataFrame | None = None
               ) -> dict[str, bool]:
    """Context of one hit.

    Parameters
    ----------
    normalised : Normalised or str
        The document (a ``str`` is normalised first; the span then refers to the
        normalised text).
    hit_start, hit_end : int
        Span of the hit in ``normalised.text``.
    rules : ContextRules, path or DataFrame, optional
        Default: the bundled Norwegian rules.

    Returns
    -------
    dict of str to bool
        ``negated``, ``historical``, ``uncertain``, ``family``.

    Examples
    --------
    >>> n = normalise("Ingen abstinens, men alkoholmisbruk.")
    >>> i = n.text.index("abstinens")
    >>> context_of(n, i, i + 9)["negated"]
    True
    >>> i = n.text.index("alkoholmisbruk")
    >>> context_of(n, i, i + 14)["negated"]
    False
    """
    res = context_batch(normalised, [hit_start], [hit_end], rules)
    return {c: bool(v[0]) for c, v in res.items()}
