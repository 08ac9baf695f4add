"""ConText-style context of concept hits: negated, historical, uncertain, family.

The rules are data (``context_rules.csv`` next to this module; sources per row, ``U`` where
unsourced). Each rule has a ``literal`` (written in plain Norwegian, folded like the record
text), a ``category`` (``negated``, ``historical``, ``uncertain``, ``family``,
``hypothetical``; ``all`` for terminators), a ``direction`` and a ``window`` in words:

* ``forward``: the trigger applies to a hit that starts at most ``window`` words after it;
* ``backward``: to a hit that ends at most ``window`` words before it;
* ``bidirectional``: either;
* ``terminate``: ends the scope of the triggers of its category (``men``, ``unntatt``,
  ``.``, ``;``; ``nå`` ends only ``historical``), so in "ingen abstinens, men
  alkoholmisbruk" the misuse is not negated;
* ``pseudo``: matched only so that a shorter trigger inside it does not fire
  (``ikke bare``, ``ingen endring``);
* ``section``: a header line (``Hereditet:``, ``Tidligere sykdommer:``) whose category
  every hit after it carries, up to the next header line of the table (category ``all``:
  a header that carries none, ``Anamnese:``); see :meth:`ContextRules.sections_at`.

The ``hypothetical`` category marks what might happen rather than what did ("ved
eventuell abstinens", "dersom", "ved behov").

Rules are matched on word units of the normalised text, longest literal first, left to
right. A scope ends at its clause's end: a comma ends it unless a list follows ("ingen
abstinens, kramper eller delir", ``clause`` and ``conjunction`` rules); a comma or
conjunction followed by a finite verb, or a subject and a finite verb, starts a new clause
("ingen feber og har hoste"; ``verb`` and ``subject`` rules, see :func:`clause_starts`).
An optional
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import accumulate
from pathlib import Path

import numpy as np
import pandas as pd

from harkit.text.batch import fold_batch
from harkit.text.normalise import Normalised, fold, normalise

__all__ = ["CATEGORIES", "ContextRules", "clause_starts", "context_batch", "context_of",
           "read_rules"]

#: Context categories reported per hit.
CATEGORIES: tuple[str, ...] = ("negated", "historical", "uncertain", "family", "hypothetical")
DIRECTIONS: tuple[str, ...] = ("forward", "backward", "bidirectional", "terminate", "pseudo",
                                "clause", "conjunction", "prefix", "suffix", "section",
                                "verb", "subject")
RULE_COLUMNS: tuple[str, ...] = ("literal", "category", "direction", "window", "source")
_UNIT = re.compile(r"\w+|[^\w\s]")
# Sentence ends that always close a scope, whatever rule consumed them.
_HARD_ENDS = frozenset("?!;")


# a header line: up to 60 characters without a colon, then a colon, at the text's start or
# after a line break
_HEADER = re.compile(r"[ \t]*([^\n:]{1,60}?)[ \t]*:")


def _header_lines(text: str):
    """The header lines of ``text``, in order: tried only at the start of lines with a
    colon (a colon is rarer than a line break; the pattern ends at the first one)."""
    starts: dict[int, None] = {}
    at = text.find(":")
    while at >= 0:
        starts[text.rfind("\n", 0, at) + 1] = None
        at = text.find(":", at + 1)
    for start in starts:
        m = _HEADER.match(text, start)
        if m is not None:
            yield m


_HEADER_KEYS: dict[str, str] = {}


def _fold_headers(bodies: list[str]) -> list[str]:
    """The folded words of each header line, joined by blanks (``Tidl. sykd.`` ->
    ``tidl . sykd .``): the new ones folded together in one batch, all remembered."""
    distinct = list(dict.fromkeys(bodies))
    if len(_HEADER_KEYS) + len(distinct) > 100_000:  # bounded memory
        _HEADER_KEYS.clear()
    new = [b for b in distinct if b not in _HEADER_KEYS]
    if new:
        folded = fold_batch(new, pieces=False).text.split("\n")
        _HEADER_KEYS.update((b, " ".join(_UNIT.findall(f))) for b, f in zip(new, folded))
    return [_HEADER_KEYS[b] for b in bodies]


@dataclass(frozen=True)
class _Rule:
    literal: str
    category: str
    direction: str
    window: int
    not_original: frozenset[str]


@dataclass(frozen=True)
class _Affix:
    """A prefix or suffix that negates (or otherwise qualifies) the word it is part of."""

    affix: str
    category: str
    kind: str  # prefix or suffix
    window: int
    stem: re.Pattern


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
    affixes: tuple[_Affix, ...] = ()
    clause_window: int = 0
    literal_words: frozenset[str] = frozenset()
    #: Section headers, folded (``hereditet``), to the category their section carries
    #: (``all``: a header that carries none and only ends the section before it).
    sections: Mapping[str, str] = field(default_factory=dict)
    #: Finite verbs and subject pronouns, folded: a comma or conjunction followed by a
    #: verb, or by a subject and a verb, starts a new clause (see :func:`clause_starts`).
    verbs: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()

    def sections_at(self, original: str | list[str], positions, doc_start=None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The section each position of an original text lies in.

        A section header is a line that starts (after blanks) with a ``section`` rule's
        literal, in any spelling that folds to it, followed by ``:``; its section runs
        from the colon to the next header line of the table (or the text's end).

        Parameters
        ----------
        original : str or list of str
            Original text (several documents joined by ``"\\n"`` when ``doc_start`` is
            given); or, with ``doc_start``, the documents themselves (not joined).
        positions : array-like of int
            Positions in ``original`` (in the documents joined by ``"\\n"``).
        doc_start : array-like of int, optional
            Start of each document in ``original`` (a section never crosses into the
            next document).

        Returns
        -------
        category : numpy.ndarray of int
            Index into :data:`CATEGORIES` of each position's section, -1 for none.
        header_start, header_end : numpy.ndarray of int
            The span of the header word(s) in ``original`` (-1 for none).
        """
        pos = np.asarray(positions, dtype=np.int64).ravel()
        none = np.full(len(pos), -1, dtype=np.int64)
        if not self.sections or not len(pos):
            return none, none.copy(), none.copy()
        if doc_start is None:
            docs = [(0, original)]
        else:  # only the documents of the positions are looked at
            ds = np.asarray(doc_start, dtype=np.int64)
            d = np.unique(np.searchsorted(ds, pos, side="right") - 1).tolist()
            if isinstance(original, str):
                de = np.append(ds[1:] - 1, len(original))
                docs = [(int(ds[k]), original[ds[k]:de[k]]) for k in d]
            else:
                docs = [(int(ds[k]), original[k]) for k in d]
        lines = [(lo + m.end(), lo + m.start(1), lo + m.end(1), m.group(1))
                 for lo, text in docs for m in _header_lines(text)]
        keys = _fold_headers([body for *_, body in lines])
        at, cat, hs, he = [], [], [], []
        for (end, start1, end1, _), key in zip(lines, keys):
            c = self.sections.get(key)
            if c is not None:
                at.append(end)
                cat.append(CATEGORIES.index(c) if c in CATEGORIES else -1)
                hs.append(start1)
                he.append(end1)
        if not at:
            return none, none.copy(), none.copy()
        k = np.searchsorted(np.array(at, dtype=np.int64), pos, side="right") - 1
        ok = k >= 0
        if doc_start is not None:
            ds = np.asarray(doc_start, dtype=np.int64)
            hdoc = np.searchsorted(ds, np.array(hs, dtype=np.int64), side="right") - 1
            ok &= hdoc[np.maximum(k, 0)] == np.searchsorted(ds, pos, side="right") - 1
        k = np.where(ok, k, 0)
        cat_a = np.where(ok, np.array(cat, dtype=np.int64)[k], -1)
        ok &= cat_a >= 0
        return (cat_a, np.where(ok, np.array(hs, dtype=np.int64)[k], -1),
                np.where(ok, np.array(he, dtype=np.int64)[k], -1))

    def affixed(self, words: list[str]) -> list[_Affix | None]:
        """The affix rule each (folded) word matches, if any (the first rule wins)."""
        if not self.affixes or not words:
            return [None] * len(words)
        rules = list(zip(self.affixes, _affix_patterns(self.affixes)))
        found: dict[str, _Affix | None] = {}
        for w in set(words):  # each distinct word once
            for rule, rx in rules:
                # (the affix test first: it rules out nearly every word, and fast)
                has = w.startswith(rule.affix) if rule.kind == "prefix" else \
                    w.endswith(rule.affix)
                if has and rx.fullmatch(w) is not None:
                    found[w] = rule
                    break
        return [found.get(w) for w in words]


def _affix_patterns(affixes: tuple[_Affix, ...]) -> list[re.Pattern]:
    """Per affix rule, a pattern matching whole words (one a line) that carry it."""
    return [_affix_pattern(r.kind, r.affix, r.stem.pattern) for r in affixes]


@lru_cache(maxsize=256)
def _affix_pattern(kind: str, affix: str, stem: str) -> re.Pattern:
    a = re.escape(affix)
    body = f"{a}(?:{stem})" if kind == "prefix" else f"(?:{stem}){a}"
    return re.compile(rf"^(?:{body})$", re.MULTILINE)


def _compile(table: pd.DataFrame) -> ContextRules:
    missing = [c for c in ("literal", "category", "direction", "window") if c not in table]
    if missing:
        raise ValueError(f"context rules lack column(s) {missing}")
    grouped: dict[tuple[str, ...], list[_Rule]] = {}
    affixes: list[_Affix] = []
    sections: dict[str, str] = {}
    verbs: set[str] = set()
    subjects: set[str] = set()
    for n, row in enumerate(table.itertuples(index=False), start=1):
        cat, dirn = str(row.category).strip(), str(row.direction).strip()
        if dirn not in DIRECTIONS:
            raise ValueError(f"context rule {n} ({row.literal!r}): direction {dirn!r} "
                             f"is not one of {DIRECTIONS}")
        any_cat = dirn in ("terminate", "clause", "conjunction", "section", "verb", "subject")
        if cat not in CATEGORIES and not (any_cat and cat == "all"):
            raise ValueError(f"context rule {n} ({row.literal!r}): category {cat!r} is not "
                             f"one of {CATEGORIES}" + (" or 'all'" if any_cat else ""))
        try:
            window = int(row.window)
        except (TypeError, ValueError):
            raise ValueError(f"context rule {n} ({row.literal!r}): window {row.window!r} "
                             "is not an integer") from None
        if dirn == "section":
            key = " ".join(_UNIT.findall(fold(str(row.literal).strip().rstrip(":"))))
            if not key:
                raise ValueError(f"context rule {n}: section header {row.literal!r} is empty")
            if cat not in CATEGORIES and cat != "all":
                raise ValueError(f"context rule {n} ({row.literal!r}): category {cat!r} is "
                                 f"not one of {CATEGORIES} or 'all'")
            sections[key] = cat
            continue
        if dirn in ("prefix", "suffix"):
            affix = fold(str(row.literal).strip("-"))
            raw_stem = getattr(row, "stem", "")
            raw_stem = "" if raw_stem is None or (isinstance(raw_stem, float)
                                                 and np.isnan(raw_stem)) else str(raw_stem)
            try:
                stem = re.compile(raw_stem or r"\w{4,}")
            except re.error as exc:
                raise ValueError(f"context rule {n} ({row.literal!r}): stem {raw_stem!r} "
                                 f"is not a regular expression ({exc})") from None
            if not affix or not affix.isalnum():
                raise ValueError(f"context rule {n}: affix {row.literal!r} is not a word part")
            affixes.append(_Affix(affix, cat, dirn, window, stem))
            continue
        units = tuple(_UNIT.findall(fold(str(row.literal))))
        if not units:
            raise ValueError(f"context rule {n}: literal {row.literal!r} is empty after folding")
        if dirn in ("verb", "subject"):
            if len(units) != 1 or not units[0][0].isalnum():
                raise ValueError(f"context rule {n}: {dirn} {row.literal!r} is not one word")
            (verbs if dirn == "verb" else subjects).add(units[0])
            continue
        raw = getattr(row, "not_original", "")
        raw = "" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else str(raw)
        skip = frozenset(s.strip().lower() for s in raw.split("|") if s.strip())
        grouped.setdefault(units, []).append(_Rule(" ".join(units), cat, dirn, window, skip))
    by_first: dict[str, list] = {}
    for units, rules in grouped.items():
        by_first.setdefault(units[0], []).append((units, rules))
    for lst in by_first.values():
        lst.sort(key=lambda x: -len(x[0]))
    # (arrays: a user's table may repeat index labels)
    all_windows = pd.to_numeric(table["window"]).to_numpy()
    kind = table["direction"].astype(str).str.strip().to_numpy()
    windows = all_windows[~np.isin(kind, ("section", "verb", "subject"))]
    clause = all_windows[kind == "clause"]
    literal_words = frozenset(u for units in grouped for u in units if _UNIT.fullmatch(u)
                              and (u[0].isalnum() or u[0] == "_")) | verbs | subjects
    return ContextRules(table, by_first, max(int(windows.max()) if len(windows) else 0, 0),
                        tuple(affixes), int(clause.max()) if len(clause) else 0,
                        literal_words, sections, frozenset(verbs), frozenset(subjects))


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
    needs: dict[int, bool] = {}  # per rule group: whether any rule checks the original
    # only units that can start a literal need a look (same result as stepping through all)
    for i in [j for j, u in enumerate(units) if u in by_first]:
        if i < free:
            continue
        for lit, rs in by_first[units[i]]:
            k = len(lit)
            if tuple(units[i:i + k]) == lit:
                orig = ""
                special = needs.get(id(rs))
                if special is None:
                    special = needs[id(rs)] = any(r.not_original for r in rs)
                if special:
                    a, b = norm.original_span(spans[i][0], spans[i + k - 1][1])
                    orig = norm.original[a:b].lower()
                for r in rs:
                    if orig not in r.not_original:
                        events.append((i, i + k, r))
                free = i + k
                break
    return spans, units, is_word, events


def clause_ends(sep_pos, sep_window, conj_pos, end_pos, words_before, doc=None,
                conj_window=None) -> np.ndarray:
    """Which clause separators (commas) end the scope of every trigger.

    A separator ends the scopes unless it separates items of a list: a conjunction rule
    (``og``, ``eller``) follows it within its ``window`` words, before the next sentence
    end or terminator, and not right after it ("ingen abstinens, kramper eller delir";
    but "ikke edru ved samtalen, lukter alkohol" and "ikke kvalm, og spiser godt" end at
    the comma).

    Parameters
    ----------
    sep_pos, sep_window : array-like of int
        Unit index and window (in words) of each separator.
    conj_pos, end_pos : array-like of int
        Unit indices of conjunctions and of sentence ends/terminators, sorted.
    words_before : array-like of int
        Words in the units before each unit (length: units + 1).
    doc : array-like of int, optional
        Text of each unit (a list never continues into another text).
    conj_window : array-like of int, optional
        Window of each conjunction rule: 0 (``og``, ``eller``) where a separator right
        before it joins clauses, 1 or more (``samt``, often written ", samt") where it
        may still end a list. Default: 0 for every conjunction.

    Returns
    -------
    numpy.ndarray
        Unit indices of the separators that end scopes.
    """
    sep_pos = np.asarray(sep_pos, dtype=np.int64)
    if not len(sep_pos):
        return sep_pos
    conj_pos = np.asarray(conj_pos, dtype=np.int64)
    end_pos = np.asarray(end_pos, dtype=np.int64)
    wb = np.asarray(words_before, dtype=np.int64)
    k = np.searchsorted(conj_pos, sep_pos, side="right")
    has = k < len(conj_pos)
    c = np.where(has, conj_pos[np.minimum(k, max(len(conj_pos) - 1, 0))] if len(conj_pos)
                 else 0, 0)
    j = np.searchsorted(end_pos, sep_pos, side="right")
    e = np.where(j < len(end_pos), end_pos[np.minimum(j, max(len(end_pos) - 1, 0))]
                 if len(end_pos) else 0, np.iinfo(np.int64).max)
    # a conjunction right after the separator joins clauses: Norwegian writes no comma
    # before the og/eller of a list ("ingen feber, hoste og diaré"), but does before a
    # new clause ("..., og lar inkontinensen styre hverdagen")
    cw = (np.zeros(len(conj_pos), dtype=np.int64) if conj_window is None
          else np.asarray(conj_window, dtype=np.int64))
    after = (c == sep_pos + 1) & (cw[np.minimum(k, max(len(conj_pos) - 1, 0))] <= 0
                                  if len(conj_pos) else True)
    is_list = has & (c < e) & ~after & (wb[c] - wb[sep_pos + 1] <= np.asarray(sep_window))
    if doc is not None and len(conj_pos):
        doc = np.asarray(doc)
        is_list &= doc[c] == doc[sep_pos]
    return sep_pos[~is_list]


def clause_starts(pos, next1, next2, verbs, subjects) -> np.ndarray:
    """Which commas and conjunctions start a new clause, ending every scope.

    A separator starts a clause when a finite verb follows it ("ingen feber, og hadde
    ikke hoste"; "..., vil"), or a subject and a finite verb ("ikke kvalm og hun har
    spist"): the list after "ingen feber, hoste eller diaré" goes on, a new clause does
    not.

    Parameters
    ----------
    pos : array-like of int
        Unit index of each comma and conjunction.
    next1, next2 : sequence of str or None
        The unit one and two after each (None past the text's end).
    verbs, subjects : frozenset of str
        Finite verbs and subject pronouns (folded).

    Returns
    -------
    numpy.ndarray
        Unit indices of the separators that start a clause.
    """
    pos = np.asarray(pos, dtype=np.int64)
    keep = [a in verbs or (a in subjects and b in verbs) for a, b in zip(next1, next2)]
    return pos[np.asarray(keep, dtype=bool)] if len(pos) else pos


def context_batch(normalised: Normalised | str, starts, ends,
                  rules: ContextRules | str | Path | pd.DataFrame | None = None,
                  own_affix=None, why: list | None = None) -> dict[str, np.ndarray]:
    """Context of many hits in one document, scanning the triggers once.

    Parameters
    ----------
    normalised : Normalised or str
        The document (a ``str`` is normalised first).
    starts, ends : array-like of int
        Hit spans in ``normalised.text``.
    rules : ContextRules, path or DataFrame, optional
        Default: the bundled Norwegian rules.
    own_affix : array-like of bool, optional
        Whether an affix rule may flag a hit through an affix of the hit's own word
        (``rusfri`` found by ``rus*``). False where the matched term itself holds the
        affix (the term ``rusfri`` of sobriety). Default: True for every hit.
    why : list, optional
        If given, filled with one dict per hit: category -> ``(literal, start, end)``,
        the trigger that set the flag and its span in ``normalised.text`` (an affix
        rule's literal is the affix, its span the word).

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
    own_ok = (np.ones(len(starts), dtype=bool) if own_affix is None
              else np.asarray(own_affix, dtype=bool).ravel())
    if len(own_ok) != len(starts):
        raise ValueError("own_affix and starts differ in length")
    out = {c: np.zeros(len(starts), dtype=bool) for c in CATEGORIES}
    if why is not None:
        why[:] = [{} for _ in range(len(starts))]
    if not len(starts) or not norm.text:
        return out
    if rules.sections:
        # a section header (Hereditet:) sets its category up to the next header
        pos, _ = norm.original_spans(starts, ends)
        cat, hs, he = rules.sections_at(norm.original, pos)
        for h in np.flatnonzero(cat >= 0).tolist():
            c = CATEGORIES[cat[h]]
            out[c][h] = True
            if why is not None:
                a = int(np.searchsorted(norm.piece_orig_end, hs[h], side="right"))
                b = int(np.searchsorted(norm.piece_orig_start, he[h], side="left"))
                why[h][c] = (c + " section", int(norm.piece_start[a]),
                             int(norm.piece_start[b]) if b < len(norm.piece_start)
                             else len(norm.text))
    spans, units, is_word, events = _events(norm, rules)
    if not spans:
        return out
    n = len(units)
    # plain lists: windows are short, so numpy's per-call cost would dominate
    words_before = list(accumulate(is_word, initial=0))  # words in units[:i]
    hard = [u in _HARD_ENDS for u in units]
    # commas that end a clause (not a list) end every scope
    stops = sorted({i for i, h in enumerate(hard) if h} | {
        a for a, _, r in events if r.direction == "terminate" and r.category == "all"})
    seps = [(a, r.window) for a, _, r in events if r.direction == "clause"]
    conj = [(a, r.window) for a, _, r in events if r.direction == "conjunction"]
    for i in clause_ends([a for a, _ in seps], [w for _, w in seps], [a for a, _ in conj],
                         stops, words_before, conj_window=[w for _, w in conj]).tolist():
        hard[i] = True
    if rules.verbs:
        # a comma or conjunction that starts a new clause ends every scope, list or not
        at = [a for a, _ in seps] + [a for a, _, r in events if r.direction == "conjunction"]
        for i in clause_starts(at, [units[a + 1] if a + 1 < n else None for a in at],
                               [units[a + 2] if a + 2 < n else None for a in at],
                               rules.verbs, rules.subjects).tolist():
            hard[i] = True
    # terminators of every category, then those of one category (nå: historical) on top;
    # categories without their own share the running count
    ends_all = list(hard)
    own_ends: dict[str, list[tuple[int, int]]] = {}
    for a, b, r in events:
        if r.direction == "terminate":
            if r.category == "all":
                ends_all[a:b] = [True] * (b - a)
            else:
                own_ends.setdefault(r.category, []).append((a, b))
    shared = list(accumulate(ends_all, initial=0))
    term = {}
    for c in CATEGORIES:
        if c not in own_ends:
            term[c] = shared
            continue
        t = list(ends_all)
        for a, b in own_ends[c]:
            t[a:b] = [True] * (b - a)
        term[c] = list(accumulate(t, initial=0))
    # affixed words (ubehandlet, rusfri): the word itself, and a forward trigger
    # (a word of a rule literal, such as usannsynlig, is judged by its rule alone)
    word_at = [i for i in range(n) if is_word[i] and units[i] not in rules.literal_words]
    own = {}
    own_rule = {}
    for i, r in zip(word_at, rules.affixed([units[i] for i in word_at])):
        if r is not None:
            own[i] = r.category
            own_rule[i] = ("-" + r.affix) if r.kind == "suffix" else (r.affix + "-")
            events.append((i, i + 1, _Rule(own_rule[i], r.category, "forward", r.window,
                                           frozenset())))
    events.sort(key=lambda x: x[0])
    triggers = [(a, b, r) for a, b, r in events
                if r.direction in ("forward", "backward", "bidirectional")]
    trig_starts = [a for a, _, _ in triggers]
    unit_starts = [s for s, _ in spans]
    unit_ends = [e for _, e in spans]
    reach = 2 * (rules.max_window + rules.clause_window) + 8
    for h, (hs, he) in enumerate(zip(starts.tolist(), ends.tolist())):
        first = bisect_right(unit_ends, hs)        # first unit ending after hs
        last = bisect_left(unit_starts, he) - 1    # last unit starting before he
        if first >= n or last < first:
            continue
        for i in range(first, last + 1) if own_ok[h] else ():
            if i in own:
                out[own[i]][h] = True
                if why is not None:
                    why[h].setdefault(own[i], (own_rule[i], *spans[i]))
        lo = bisect_left(trig_starts, first - reach)
        hi = bisect_right(trig_starts, last + reach)
        for a, b, r in triggers[lo:hi]:
            c = r.category
            if out[c][h]:
                continue
            if a < first and r.direction in ("forward", "bidirectional"):
                # (a hit inside a longer trigger, "tegn" of "uten tegn til", is in scope)
                g = min(b, first)
                ok = (words_before[first] - words_before[g] <= r.window
                      and term[c][first] == term[c][g])
            elif a > last and r.direction in ("backward", "bidirectional"):
                ok = (words_before[a] - words_before[last + 1] <= r.window
                      and term[c][a] == term[c][last + 1])
            else:
                ok = False  # trigger overlaps the hit or points away from it
            if ok:
                out[c][h] = True
                if why is not None:
                    why[h][c] = (r.literal, spans[a][0], spans[b - 1][1])
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
