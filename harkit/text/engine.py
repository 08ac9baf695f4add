"""The concept-search engine: :func:`search`, :func:`flags` and :func:`kwic`.

All folded term variants of the query's concepts and the query's own words and phrases go
into one Aho-Corasick automaton run over the normalised text (:func:`normalise`); a match
counts only at word boundaries, and a prefix term (``alkohol*``) extends to the end of the
word. Lexicon regexes run on the original text. Context flags come from
:func:`context_batch`. Offsets in the result refer to the original text.

:func:`search_chunk` is a pure function of a pandas DataFrame and a :class:`Matcher`,
so the same search can run per partition (e.g. Dask ``map_partitions``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

import ahocorasick
import numpy as np
import pandas as pd

from harkit.text.context import context_batch
from harkit.text.lexicon import Lexicon, load_lexicon
from harkit.text.normalise import Normalised, fold, normalise
from harkit.text.query import Concept as ConceptLeaf
from harkit.text.query import Hit, Node, Term, _eval, _pattern, parse

__all__ = ["HIT_COLUMNS", "Matcher", "compile_query", "flags", "kwic", "search",
           "search_chunk"]

HIT_COLUMNS = ["document_id", "person_id", "concept", "term", "matched", "start", "end",
               "negated", "historical", "uncertain", "family", "snippet"]
_FLAGS = ("negated", "historical", "uncertain", "family")
#: Documents longer than this many characters are skipped (reason ``too_long``).
MAX_CHARS = 2_000_000
#: Share of control/replacement characters above which a text is ``binary``.
MAX_GARBAGE = 0.10
_GARBAGE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffd]")


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


@dataclass
class Matcher:
    """A compiled query: the parsed AST, one automaton, regexes and mid-word wildcards."""

    query: str
    node: Node
    automaton: ahocorasick.Automaton | None
    regexes: list[tuple[str, str, re.Pattern]] = field(default_factory=list)
    wildcards: list[tuple[str, re.Pattern]] = field(default_factory=list)


def compile_query(query: str, lexicon: Lexicon | None = None) -> Matcher:
    """Parse ``query`` and build its matcher (raises the parser's errors before any work).

    Parameters
    ----------
    query : str
    lexicon : Lexicon, optional
        Default: the shipped lexicon.

    Returns
    -------
    Matcher
    """
    lexicon = lexicon if lexicon is not None else load_lexicon()
    node = parse(query, lexicon)
    # folded key -> {(concept or None, term label, is_prefix)}
    patterns: dict[str, set[tuple[str | None, str, bool]]] = {}
    regexes: list[tuple[str, str, re.Pattern]] = []
    wildcards: list[tuple[str, re.Pattern]] = []

    def add(text: str, concept: str | None, label: str) -> None:
        prefix = text.endswith("*")
        key = fold(text.rstrip("*"))
        if key:
            patterns.setdefault(key, set()).add((concept, label, prefix))

    for leaf in node.leaves():
        if isinstance(leaf, ConceptLeaf):
            c = lexicon[leaf.name]
            for variant, term in lexicon.variants(leaf.name).items():
                add(variant, c.name, term.text)
            for rx in c.regexes:
                regexes.append((c.name, rx.pattern, rx.compile()))
        elif isinstance(leaf, Term):
            if "*" in leaf.text.rstrip("*"):
                p = _pattern(leaf.text)
                wildcards.append((leaf.text, re.compile(rf"(?<!\w)(?:{p.pattern})(?!\w)")))
            else:
                add(leaf.text, None, leaf.text)
    auto = None
    if patterns:
        auto = ahocorasick.Automaton()
        for key, vals in patterns.items():
            auto.add_word(key, (len(key), tuple(sorted(vals, key=str))))
        auto.make_automaton()
    return Matcher(query, node, auto, regexes, wildcards)


def _skip_reason(text) -> str | None:
    if text is None or (not isinstance(text, (str, bytes)) and pd.isna(text)):
        return "missing"
    if not isinstance(text, str):
        return "not_text"
    if len(text) > MAX_CHARS:
        return "too_long"
    if text and len(_GARBAGE.findall(text)) > MAX_GARBAGE * len(text):
        return "binary"
    return None


def _spans(norm: Normalised, m: Matcher):
    """Raw matches: (concept, label, norm_start, norm_end) in the normalised text."""
    text = norm.text
    n = len(text)
    out: set[tuple[str | None, str, int, int]] = set()
    if m.automaton is not None and text:
        for end_idx, (length, vals) in m.automaton.iter(text):
            s, e = end_idx - length + 1, end_idx + 1
            if s > 0 and _is_word_char(text[s - 1]):
                continue
            whole = e == n or not _is_word_char(text[e])
            ext = e
            while ext < n and _is_word_char(text[ext]):
                ext += 1
            for concept, label, prefix in vals:
                if prefix:
                    out.add((concept, label, s, ext))
                elif whole:
                    out.add((concept, label, s, e))
    for label, rx in m.wildcards:
        for mm in rx.finditer(text):
            out.add((None, label, mm.start(), mm.end()))
    if m.regexes and text:
        for concept, pattern, rx in m.regexes:
            for mm in rx.finditer(norm.original):
                a, b = mm.span()
                if a == b:
                    continue
                i = int(np.searchsorted(norm.piece_orig_end, a, side="right"))
                j = int(np.searchsorted(norm.piece_orig_start, b, side="left")) - 1
                if i > j or i >= len(norm.piece_start):
                    continue
                s = int(norm.piece_start[i])
                e = int(norm.piece_start[j + 1]) if j + 1 < len(norm.piece_start) else n
                out.add((concept, pattern, s, e))
    # one hit per (concept, span): keep the first label in a stable order
    best: dict[tuple[str | None, int, int], str] = {}
    for concept, label, s, e in sorted(out, key=lambda t: (t[2], t[3], str(t[0]), t[1])):
        best.setdefault((concept, s, e), label)
    return [(c, lab, s, e) for (c, s, e), lab in best.items()]


def search_chunk(chunk: pd.DataFrame, matcher: Matcher, *, context: bool = True,
                 width: int = 40) -> tuple[pd.DataFrame, list[tuple[object, str]]]:
    """Search one chunk of documents (a pure function of ``chunk`` and ``matcher``).

    Parameters
    ----------
    chunk : pandas.DataFrame
        Columns ``document_id``, ``text`` and optionally ``person_id``.
    matcher : Matcher
        From :func:`compile_query`.
    context : bool
        Compute context flags (else all False).
    width : int
        Characters of original text each side of a hit in ``snippet``.

    Returns
    -------
    hits : pandas.DataFrame
        Columns :data:`HIT_COLUMNS`, only documents that satisfy the query and only hits
        of the query's leaves.
    skipped : list of (document_id, reason)
    """
    rows: list[tuple] = []
    skipped: list[tuple[object, str]] = []
    leaves = list(matcher.node.leaves())
    pids = chunk["person_id"] if "person_id" in chunk.columns else pd.Series(
        pd.NA, index=chunk.index)
    for doc_id, pid, text in zip(chunk["document_id"], pids, chunk["text"]):
        reason = _skip_reason(text)
        if reason is not None:
            skipped.append((doc_id, reason))
            continue
        try:
            norm = normalise(text)
            raw = _spans(norm, matcher)
            if not raw and not _eval(matcher.node, []):
                continue
            starts = [s for _, _, s, _ in raw]
            ends = [e for _, _, _, e in raw]
            ctx = (context_batch(norm, starts, ends) if context and raw
                   else {c: np.zeros(len(raw), dtype=bool) for c in _FLAGS})
            wstarts = [a for a, _ in norm.words]
            hits = []
            for k, (concept, _, s, e) in enumerate(raw):
                w0 = max(bisect_right(wstarts, s) - 1, 0)
                w1 = max(bisect_right(wstarts, max(e - 1, s)) - 1, w0)
                hits.append(Hit(norm.text[s:e], w0, concept, w1 - w0 + 1,
                                *(bool(ctx[c][k]) for c in _FLAGS)))
            if not _eval(matcher.node, hits):
                continue
            o_s, o_e = norm.original_spans(starts, ends)
        except Exception as exc:  # never crash halfway through a corpus
            skipped.append((doc_id, f"error: {type(exc).__name__}"))
            continue
        for k, ((concept, label, _, _), h) in enumerate(zip(raw, hits)):
            if not any(leaf.matches(h) for leaf in leaves):
                continue
            a, b = int(o_s[k]), int(o_e[k])
            snip = " ".join(text[max(a - width, 0):b + width].split())
            rows.append((doc_id, pid, concept, label, text[a:b], a, b, h.negated,
                         h.historical, h.uncertain, h.family, snip))
    out = pd.DataFrame(rows, columns=HIT_COLUMNS)
    for c in _FLAGS:
        out[c] = out[c].astype(bool)
    out[["start", "end"]] = out[["start", "end"]].astype("int64")
    return out, skipped


def search(documents: pd.DataFrame, query: str, *, lexicon: Lexicon | None = None,
           context: bool = True, chunksize: int = 10_000, progress: bool = False
           ) -> pd.DataFrame:
    """Find the documents that satisfy a query and the hits that make them do so.

    Parameters
    ----------
    documents : pandas.DataFrame
        Columns ``document_id``, ``text``, optionally ``person_id``.
    query : str
        E.g. ``@alcohol AND NOT @family`` or ``NEAR/5(heroin, overdose)``
        (see :func:`harkit.text.parse`).
    lexicon : Lexicon, optional
        Default: the shipped lexicon.
    context : bool, default True
        Flag hits negated/historical/uncertain/family; False leaves every flag False.
    chunksize : int
        Documents per chunk.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`HIT_COLUMNS`; ``start``/``end`` are offsets into the original text.
        ``attrs["skipped"]`` counts skipped documents by reason (``missing``,
        ``not_text``, ``too_long``, ``binary``, ``error: ...``) and
        ``attrs["skipped_documents"]`` lists ``(document_id, reason)``.

    Raises
    ------
    QuerySyntaxError, UnknownConceptError
        Before any document is read.
    """
    matcher = compile_query(query, lexicon)
    missing = {"document_id", "text"} - set(documents.columns)
    if missing:
        raise KeyError(f"documents lack column(s) {sorted(missing)}")
    if chunksize < 1:
        raise ValueError("chunksize must be at least 1")
    starts = range(0, len(documents), chunksize)
    if progress:
        from tqdm.auto import tqdm
        starts = tqdm(starts, total=len(starts), desc="search", unit="chunk")
    parts, skipped = [], []
    for i in starts:
        hits, sk = search_chunk(documents.iloc[i:i + chunksize], matcher, context=context)
        parts.append(hits)
        skipped.extend(sk)
    out = (pd.concat(parts, ignore_index=True) if parts
           else pd.DataFrame(columns=HIT_COLUMNS))
    out.attrs["skipped"] = dict(Counter(r for _, r in skipped))
    out.attrs["skipped_documents"] = skipped
    out.attrs["query"] = query
    return out


def flags(hits: pd.DataFrame, documents: pd.DataFrame | None = None,
          level: str = "document", concepts=None) -> pd.DataFrame:
    """One row per document or person, a boolean column per concept (affirmed mention).

    A hit is affirmed when it is not negated, family or uncertain (historical counts).

    Parameters
    ----------
    hits : pandas.DataFrame
        From :func:`search`.
    documents : pandas.DataFrame, optional
        Adds rows (all False) for documents or persons without hits.
    level : {"document", "person"}
    concepts : list of str, optional
        Columns to report; default the concepts in ``hits``.

    Returns
    -------
    pandas.DataFrame
        Index ``document_id`` or ``person_id``.
    """
    if level not in ("document", "person"):
        raise ValueError(f"level must be 'document' or 'person', got {level!r}")
    key = "document_id" if level == "document" else "person_id"
    h = hits[hits["concept"].notna()]
    aff = h[~(h["negated"] | h["family"] | h["uncertain"])]
    cols = list(concepts) if concepts is not None else sorted(h["concept"].unique())
    if len(aff):
        out = pd.crosstab(aff[key], aff["concept"]).gt(0)
    else:
        out = pd.DataFrame(index=pd.Index([], name=key))
    out = out.reindex(columns=cols, fill_value=False)
    index = out.index.union(h[key].dropna().unique())
    if documents is not None:
        index = index.union(documents[key].dropna().unique())
    out = out.reindex(index, fill_value=False).astype(bool)
    out.index.name = key
    out.columns.name = None
    return out


def kwic(hits: pd.DataFrame, width: int = 40) -> pd.DataFrame:
    """Key word in context: ``document_id, concept, left, match, right`` and the flags.

    Built from each hit's ``snippet`` (no person ids).

    Parameters
    ----------
    hits : pandas.DataFrame
        From :func:`search`.
    width : int
        Characters shown on each side (at most the snippet's).

    Returns
    -------
    pandas.DataFrame
    """
    rows = []
    for snip, matched in zip(hits["snippet"], hits["matched"]):
        m = " ".join(str(matched).split())
        i = snip.find(m)
        if i < 0:
            rows.append(("", m, ""))
            continue
        left, right = snip[:i], snip[i + len(m):]
        rows.append((left[-width:] if width else "", m, right[:width] if width else ""))
    out = pd.DataFrame(rows, columns=["left", "match", "right"], index=hits.index)
    out.insert(0, "concept", hits["concept"])
    out.insert(0, "document_id", hits["document_id"])
    for c in _FLAGS:
        out[c] = hits[c]
    return out.reset_index(drop=True)
