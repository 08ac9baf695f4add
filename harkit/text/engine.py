"""The concept-search engine: :func:`search`, :func:`flags` and :func:`kwic`.

All folded term variants of the query's concepts and the query's own words and phrases go
into one Aho-Corasick automaton run over the normalised text (:func:`normalise`); a match
counts only at word boundaries, and a prefix term (``alkohol*``) extends to the end of the
word. Lexicon regexes run on the original text. Context flags come from
:func:`context_batch`. Offsets in the result refer to the original text.

That is the reference, one document at a time (:func:`_reference_chunk`), kept for the tests
only. :func:`search_chunk`, the one path a search takes, does the same over a whole chunk
at once, with compiled kernels (:mod:`harkit.text._chunk`), for every text; the tests hold
the two to the same result.

:func:`search_chunk` is a pure function of a pandas DataFrame and a :class:`Matcher`,
so the same search can run per partition (e.g. Dask ``map_partitions``).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import ahocorasick
import numpy as np
import pandas as pd

from harkit.text._chunk import RuleTables, default_tables, rule_tables, search_folded
from harkit.text._compiled import Dfa, build_dfa
from harkit.text.batch import fold_batch
from harkit.text.context import ContextRules, _default_rules, context_batch, read_rules
from harkit.text.lexicon import Lexicon, TermFilter, load_lexicon
from harkit.text.mask import mask_dates
from harkit.text.normalise import Normalised, fold, normalise
from harkit.text.query import Concept as ConceptLeaf
from harkit.text.query import Hit, Node, Term, _eval, _pattern, parse
from harkit.text.query import Regex as RegexLeaf

__all__ = ["HIT_COLUMNS", "Matcher", "compile_query", "flags", "kwic", "search",
           "search_chunk"]

HIT_COLUMNS = ["document_id", "person_id", "concept", "term", "matched", "start", "end",
               "negated", "historical", "uncertain", "family", "hypothetical", "snippet"]
_FLAGS = ("negated", "historical", "uncertain", "family", "hypothetical")
#: Documents longer than this many characters are skipped (reason ``too_long``).
MAX_CHARS = 2_000_000
#: Share of control/replacement characters above which a text is ``binary``.
MAX_GARBAGE = 0.10
# UTF-8 æ ø å é (and capitals) read as Latin-1 or cp1252: the file needs re-reading
_MOJIBAKE = re.compile("Ã[\x85\x86\x98\xa5\xa6\xa9\xb8…†˜]")
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
    #: Per regex, a literal every match contains (None if unknown): texts without it
    #: are not scanned with that regex.
    regex_literals: list[str | None] = field(default_factory=list)
    #: The automaton's keys compiled for the chunk path (None without keys).
    dfa: Dfa | None = None
    #: Entries of key ``k``: ``entry_*[key_entry_start[k]:key_entry_start[k + 1]]``.
    key_entry_start: np.ndarray | None = None
    #: Per entry: concept code, label code, whether the key is a prefix (``alkohol*``).
    entry_concept: np.ndarray | None = None
    entry_label: np.ndarray | None = None
    entry_prefix: np.ndarray | None = None
    #: Concepts by code (None: a query word), in the order of ``str(concept)``.
    concepts: list[str | None] = field(default_factory=list)
    #: Term labels and regex patterns by code, in sorted order.
    labels: list[str] = field(default_factory=list)
    #: ``(concept, label)`` of exact terms: the lower-case original spellings they accept.
    exact: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    #: Per entry: the accepted spellings of an exact term, else None.
    entry_exact: list[frozenset[str] | None] = field(default_factory=list)
    #: ``(concept, label)`` of terms with context words or exclusions: their checks.
    filters: dict[tuple[str, str], TermFilter] = field(default_factory=dict)
    #: Per entry: the term's checks, else None.
    entry_filter: list[TermFilter | None] = field(default_factory=list)
    #: The context rules (default: the shipped table) and their kernel tables.
    rules: ContextRules | None = None
    tables: RuleTables | None = None


def compile_query(query: str, lexicon: Lexicon | None = None,
                  rules: ContextRules | str | Path | pd.DataFrame | None = None) -> Matcher:
    """Parse ``query`` and build its matcher (raises the parser's errors before any work).

    Parameters
    ----------
    query : str
    lexicon : Lexicon, optional
        Default: the shipped lexicon.
    rules : ContextRules, path or DataFrame, optional
        Context rules (:func:`harkit.text.read_rules`); default: the shipped table.

    Returns
    -------
    Matcher
        With the shipped lexicon and rules, the same object for the same query (compiled
        once).

    Raises
    ------
    ValueError
        A context rule literal holds a character beyond Latin-1 (the compiled scan reads
        one byte per character of folded text).
    """
    if lexicon is None and rules is None:
        return _compile_shipped(query)
    return _compile(query, lexicon if lexicon is not None else load_lexicon(), rules)


@lru_cache(maxsize=64)
def _compile_shipped(query: str) -> Matcher:
    return _compile(query, load_lexicon())


def _compile(query: str, lexicon: Lexicon, rules=None) -> Matcher:
    node = parse(query, lexicon)
    if rules is None:
        rules, tables = _default_rules(), default_tables()
    else:
        rules = read_rules(rules) if not isinstance(rules, ContextRules) else rules
        tables = rule_tables(rules)
    if tables is None:
        raise ValueError("a context rule literal holds a character beyond Latin-1; "
                         "write it as it is folded (see harkit.text.normalise)")
    # folded key -> {(concept or None, term label, is_prefix)}
    patterns: dict[str, set[tuple[str | None, str, bool]]] = {}
    regexes: list[tuple[str, str, re.Pattern]] = []
    wildcards: list[tuple[str, re.Pattern]] = []
    exact: dict[tuple[str, str], frozenset[str]] = {}
    filters: dict[tuple[str, str], TermFilter] = {}

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
                if term.exact:
                    exact[(c.name, term.text)] = term.spellings
                if term.filter is not None:
                    filters[(c.name, term.text)] = term.filter
            for rx in c.regexes:
                regexes.append((c.name, rx.pattern, rx.compile()))
        elif isinstance(leaf, RegexLeaf):
            # a query's own expression: on the original text, as lexicon regexes
            regexes.append((leaf.name, leaf.name, leaf.compile()))
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
    literals = [_required_literal(rx) for _, _, rx in regexes]
    concepts = sorted({c for vals in patterns.values() for c, _, _ in vals}
                      | {c for c, _, _ in regexes} | {None}, key=str)
    labels = sorted({lab for vals in patterns.values() for _, lab, _ in vals}
                    | {p for _, p, _ in regexes} | {lab for lab, _ in wildcards})
    c_code = {c: i for i, c in enumerate(concepts)}
    l_code = {lab: i for i, lab in enumerate(labels)}
    # the chunk path scans one byte per character: keys beyond Latin-1 cannot occur there
    keys = [k for k in patterns if not _SPECIAL_KEY.search(k)]
    entries = [sorted(patterns[k], key=str) for k in keys]
    starts = np.zeros(len(keys) + 1, dtype=np.int64)
    starts[1:] = np.cumsum([len(e) for e in entries])
    flat = [v for e in entries for v in e]
    return Matcher(
        query, node, auto, regexes, wildcards, literals,
        dfa=build_dfa([k.encode("latin-1") for k in keys]) if keys else None,
        key_entry_start=starts,
        entry_concept=np.array([c_code[c] for c, _, _ in flat], dtype=np.int64),
        entry_label=np.array([l_code[lab] for _, lab, _ in flat], dtype=np.int64),
        entry_prefix=np.array([p for _, _, p in flat], dtype=bool),
        concepts=concepts, labels=labels, exact=exact,
        entry_exact=[exact.get((c, lab)) for c, lab, _ in flat], filters=filters,
        entry_filter=[filters.get((c, lab)) for c, lab, _ in flat], rules=rules, tables=tables)


_SENTENCE_END = re.compile(r"[.!?;](?= |$)")

# characters a folded key may hold that the one-byte scan text cannot
_SPECIAL_KEY = re.compile("[^\x00-\xff]|[\xfe\xa6]")


def _required_literal(rx: re.Pattern) -> str | None:
    r"""The literal of a case-sensitive ``\bLITERAL\b``-style pattern, else None."""
    if rx.flags & re.IGNORECASE:
        return None
    core = rx.pattern
    for b in (r"\b", r"(?<!\w)", r"(?!\w)"):
        core = core.removeprefix(b).removesuffix(b)
    return core if core and re.fullmatch(r"[\w ]+", core) else None


def _skip_reason(text, scan: bool = True) -> str | None:
    """Why a document cannot be searched (None if it can); ``scan`` looks for garbage."""
    if text is None or (not isinstance(text, (str, bytes)) and pd.isna(text)):
        return "missing"
    if not isinstance(text, str):
        return "not_text"
    if len(text) > MAX_CHARS:
        return "too_long"
    if "Ã" in text and _MOJIBAKE.search(text):
        return "mojibake"
    if scan and text and len(_GARBAGE.findall(text)) > MAX_GARBAGE * len(text):
        return "binary"
    return None


def _spans(norm: Normalised, m: Matcher):
    """Raw matches: (concept, label, norm_start, norm_end, own_affix) in the normalised
    text; ``own_affix``: no key covers the whole hit (a prefix term ran on into the word,
    so an affix there, ``rus*`` in ``rusfri``, may negate it)."""
    text = norm.text
    n = len(text)
    out: set[tuple[str | None, str, int, int]] = set()
    exact: set[tuple[str | None, int, int]] = set()  # a key covers the whole hit
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
                check = m.filters.get((concept, label))
                if check is not None and (prefix or whole) and not check.accepts(
                        text, s, ext if prefix else e):
                    continue  # the term's context words or exclusions rule it out
                if prefix:
                    out.add((concept, label, s, ext))
                    if ext == e:
                        exact.add((concept, s, e))
                elif whole:
                    allowed = m.exact.get((concept, label))
                    if allowed is not None:
                        a, b = norm.original_span(s, e)
                        if norm.original[a:b].lower() not in allowed:
                            continue  # an exact term in another spelling (får for far)
                    out.add((concept, label, s, e))
                    exact.add((concept, s, e))
    for label, rx in m.wildcards:
        for mm in rx.finditer(text):
            out.add((None, label, mm.start(), mm.end()))
            exact.add((None, mm.start(), mm.end()))
    if m.regexes and text:
        found = _regex_spans(norm, m)
        out.update(found)
        exact.update((c, s, e) for c, _, s, e in found)
    # one hit per (concept, span): keep the first label in a stable order
    best: dict[tuple[str | None, int, int], str] = {}
    for concept, label, s, e in sorted(out, key=lambda t: (t[2], t[3], str(t[0]), t[1])):
        best.setdefault((concept, s, e), label)
    return [(c, lab, s, e, (c, s, e) not in exact) for (c, s, e), lab in best.items()]


def _regex_spans(norm: Normalised, m: Matcher) -> list[tuple[str, str, int, int]]:
    """Matches of the lexicon regexes (run on the original text) as normalised spans."""
    n = len(norm.text)
    out = []
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
            out.append((concept, pattern, s, e))
    return out


def _hits_of(norm: Normalised, matcher: Matcher, context: bool):
    """Raw spans of a normalised text and their :class:`Hit` records (in span order)."""
    raw = _spans(norm, matcher)
    if not raw:
        return [], []
    starts = [r[2] for r in raw]
    ends = [r[3] for r in raw]
    ctx = (context_batch(norm, starts, ends, matcher.rules,
                         own_affix=[r[4] for r in raw]) if context
           else {c: np.zeros(len(raw), dtype=bool) for c in _FLAGS})
    wstarts = [a for a, _ in norm.words]
    # a sentence ends at . ! ? ; before a blank or the text's end (NEAR stays inside one)
    ends = [m.start() for m in _SENTENCE_END.finditer(norm.text)]
    hits = []
    for k, (concept, _, s, e, _) in enumerate(raw):
        w0 = max(bisect_right(wstarts, s) - 1, 0)
        w1 = max(bisect_right(wstarts, max(e - 1, s)) - 1, w0)
        hits.append(Hit(norm.text[s:e], w0, concept, w1 - w0 + 1,
                        *(bool(ctx[c][k]) for c in _FLAGS), sentence=bisect_left(ends, s)))
    return raw, hits


def _rows(doc_id, pid, text, leaves, pieces, width):
    """Output rows of one document from (raw span, hit, original start, end) pieces."""
    rows = []
    for (concept, label, *_), h, a, b in pieces:
        if not any(leaf.matches(h) for leaf in leaves):
            continue
        snip = " ".join(text[max(a - width, 0):b + width].split())
        rows.append((doc_id, pid, concept, label, text[a:b], a, b, h.negated,
                     h.historical, h.uncertain, h.family, h.hypothetical, snip))
    return rows


def _search_whole(doc_id, pid, text, matcher, leaves, context, width):
    """The reference path: normalise the whole document, then match and decide."""
    norm = normalise(text)
    raw, hits = _hits_of(norm, matcher, context)
    if not _eval(matcher.node, hits):
        return []
    o_s, o_e = norm.original_spans([r[2] for r in raw], [r[3] for r in raw])
    return _rows(doc_id, pid, text, leaves,
                 zip(raw, hits, o_s.tolist(), o_e.tolist()), width)


def search_chunk(chunk: pd.DataFrame, matcher: Matcher, *, context: bool = True,
                 width: int = 40) -> tuple[pd.DataFrame, list[tuple[object, str]]]:
    """Search one chunk of documents (a pure function of ``chunk`` and ``matcher``).

    The chunk's texts are folded together (:func:`harkit.text.batch.fold_batch`), the
    compiled automaton of the query's terms walked in the same pass; context is judged for
    all hits of the chunk at once in windows of rule units around them, the query
    evaluated per document on arrays and the rows built column by column
    (:mod:`harkit.text._chunk`). That gives the same hits as normalising every whole
    document, for every text (characters beyond Latin-1 are folded in the batch:
    :func:`harkit.text.batch.fold_batch`).

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
    ids = chunk["document_id"].tolist()
    pids = (chunk["person_id"].tolist() if "person_id" in chunk.columns
            else [None] * len(chunk))
    texts = chunk["text"].tolist()
    skipped: dict[int, str] = {}
    todo = []
    for k, t in enumerate(texts):
        reason = _skip_reason(t, scan=False)
        if reason is None:
            todo.append(k)
        else:
            skipped[k] = reason
    if context and matcher.tables is None:  # pragma: no cover - compile_query refuses
        raise ValueError("context rules the chunk path cannot compile")
    parts = []
    # a few MB of text at a time: the folded arrays then stay small enough to be reused
    # from memory already mapped, which is markedly faster than ever larger ones
    for batch in _batches(todo, texts, BATCH_CHARS):
        parts += [hits for hits in _search_batch(batch, texts, ids, pids, matcher, context,
                                                 width, skipped) if len(hits)]
    out = _frame_columns(pd.concat(parts, ignore_index=True)) if parts else _frame([])
    return out, [(ids[k], skipped[k]) for k in sorted(skipped)]


#: Characters of text folded and searched together inside :func:`search_chunk`.
BATCH_CHARS = 8_000_000


def _batches(todo: list[int], texts: list, limit: int) -> Iterable[list[int]]:
    """Consecutive runs of ``todo`` of at most ``limit`` characters (at least one text)."""
    batch: list[int] = []
    size = 0
    for k in todo:
        n = len(texts[k]) + 1
        if batch and size + n > limit:
            yield batch
            batch, size = [], 0
        batch.append(k)
        size += n
    if batch:
        yield batch


def _search_batch(todo: list[int], texts: list, ids: list, pids: list, matcher: Matcher,
                  context: bool, width: int, skipped: dict[int, str]
                  ) -> Iterable[pd.DataFrame]:
    """The hits of the chunk path in texts ``todo`` (chunk rows, in order). Texts with
    too much garbage are added to ``skipped``.

    There is no other path. Should the batch fail (a bug, or a text no test foresaw), it
    is halved and each half searched again by the same path, down to the one text at
    fault, which is skipped as ``error: <type>``: a corpus is never given up halfway.
    """
    batch = [texts[k] for k in todo]
    try:
        fb = fold_batch(batch, pieces=False, dfa=matcher.dfa)
        garbage = fb.control_counts > MAX_GARBAGE * np.fromiter(
            map(len, batch), dtype=np.int64, count=len(batch))
        hits, rows_of = search_folded(fb, batch, [ids[k] for k in todo],
                                      [pids[k] for k in todo], matcher, context, width,
                                      matcher.tables if context else None)
    except Exception as exc:  # never crash halfway: find the text at fault
        if len(todo) == 1:
            skipped[todo[0]] = f"error: {type(exc).__name__}"
            return
        half = len(todo) // 2
        yield from _search_batch(todo[:half], texts, ids, pids, matcher, context, width,
                                 skipped)
        yield from _search_batch(todo[half:], texts, ids, pids, matcher, context, width,
                                 skipped)
        return
    for i in np.flatnonzero(garbage).tolist():
        skipped[todo[i]] = "binary"
    if garbage.any() and len(hits):
        hits = hits[~garbage[rows_of]].reset_index(drop=True)
    yield hits


def _frame_columns(out: pd.DataFrame) -> pd.DataFrame:
    """The dtypes :func:`_frame` gives."""
    for c in _FLAGS:
        out[c] = out[c].astype(bool)
    out[["start", "end"]] = out[["start", "end"]].astype("int64")
    return out


def _frame(rows: list[tuple]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=HIT_COLUMNS)
    for c in _FLAGS:
        out[c] = out[c].astype(bool)
    out[["start", "end"]] = out[["start", "end"]].astype("int64")
    return out


def _reference_chunk(chunk: pd.DataFrame, matcher: Matcher, *, context: bool = True,
                     width: int = 40) -> tuple[pd.DataFrame, list[tuple[object, str]]]:
    """:func:`search_chunk` normalising every whole document (the slow, plain path)."""
    leaves = list(matcher.node.leaves())
    pids = (chunk["person_id"].tolist() if "person_id" in chunk.columns
            else [None] * len(chunk))
    rows, skipped = [], []
    for doc_id, pid, text in zip(chunk["document_id"], pids, chunk["text"]):
        reason = _skip_reason(text)
        if reason is not None:
            skipped.append((doc_id, reason))
            continue
        try:
            rows.extend(_search_whole(doc_id, pid, text, matcher, leaves, context, width))
        except Exception as exc:  # never crash halfway through a corpus
            skipped.append((doc_id, f"error: {type(exc).__name__}"))
    return _frame(rows), skipped


def search(documents: pd.DataFrame | Iterable[pd.DataFrame], query: str, *,
           lexicon: Lexicon | None = None, context: bool = True, chunksize: int = 10_000,
           processes: int | None = 1, progress: bool = False, width: int = 40,
           rules: ContextRules | str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """Find the documents that satisfy a query and the hits that make them do so.

    Parameters
    ----------
    documents : pandas.DataFrame or iterable of DataFrames
        Columns ``document_id``, ``text``, optionally ``person_id``. An iterable of
        chunks (``pd.read_csv(..., chunksize=)``, a generator) streams a corpus larger
        than memory.
    query : str
        E.g. ``@alcohol AND NOT @family`` or ``NEAR/5(heroin, overdose)``
        (see :func:`harkit.text.parse`).
    lexicon : Lexicon, optional
        Default: the shipped lexicon.
    context : bool, default True
        Flag hits negated/historical/uncertain/family; False leaves every flag False.
    chunksize : int
        Documents per chunk (the unit of work and of memory).
    processes : int or None, default 1
        Worker processes; ``None`` or 0 uses every core. Scripts that use more than one
        need the ``if __name__ == "__main__":`` guard.
    progress : bool
        Show a tqdm progress bar.
    width : int
        Characters of original text on each side of a hit in ``snippet``.
    rules : ContextRules, path or DataFrame, optional
        A context rule table (:func:`harkit.text.read_rules`: a CSV path, a DataFrame or
        compiled rules); default: the shipped Norwegian table.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`HIT_COLUMNS`; ``start``/``end`` are offsets into the original text.
        ``attrs["skipped"]`` counts skipped documents by reason (``missing``,
        ``not_text`` (e.g. bytes), ``too_long`` (over :data:`MAX_CHARS`), ``binary``
        (over :data:`MAX_GARBAGE` control or replacement characters), ``mojibake`` (UTF-8
        text decoded as Latin-1: re-read the file as UTF-8), ``error: ...``) and
        ``attrs["skipped_documents"]`` lists ``(document_id, reason)``.

    Raises
    ------
    QuerySyntaxError, UnknownConceptError
        Before any document is read.
    """
    from harkit.text.parallel import run_chunks

    matcher = compile_query(query, lexicon, rules)
    if isinstance(documents, pd.DataFrame):
        missing = {"document_id", "text"} - set(documents.columns)
        if missing:
            raise KeyError(f"documents lack column(s) {sorted(missing)}")
    parts, skipped = run_chunks(documents, matcher, chunksize=chunksize, processes=processes,
                                context=context, width=width, progress=progress)
    parts = [p for p in parts if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else _frame([])
    out.attrs["skipped"] = dict(Counter(r for _, r in skipped))
    out.attrs["skipped_documents"] = skipped
    out.attrs["query"] = query
    return out


def flags(hits: pd.DataFrame, documents: pd.DataFrame | None = None,
          level: str = "document", concepts=None, *, historical: bool = True
          ) -> pd.DataFrame:
    """One row per document or person, a boolean column per concept (affirmed mention).

    A hit is affirmed when it is not negated, family or uncertain; a historical mention
    ("tidligere alkoholmisbruk") still says the patient used the substance, so it counts
    unless ``historical=False``. (In a query, ``@alcohol:affirmed`` means no context flag
    at all, historical ones excluded; ``@alcohol:!negated:!uncertain:!family`` is the
    query form of this function's default.)

    Parameters
    ----------
    hits : pandas.DataFrame
        From :func:`search`.
    documents : pandas.DataFrame, optional
        Adds rows (all False) for documents or persons without hits.
    level : {"document", "person"}
    concepts : list of str, optional
        Columns to report; default the concepts in ``hits``.
    historical : bool, default True
        Count historical mentions as affirmed.

    Returns
    -------
    pandas.DataFrame
        Index ``document_id`` or ``person_id``.
    """
    if level not in ("document", "person"):
        raise ValueError(f"level must be 'document' or 'person', got {level!r}")
    key = "document_id" if level == "document" else "person_id"
    h = hits[hits["concept"].notna()]
    not_affirmed = h["negated"] | h["family"] | h["uncertain"]
    if "hypothetical" in h:  # (hit tables made before the category existed lack it)
        not_affirmed |= h["hypothetical"]
    if not historical:
        not_affirmed |= h["historical"]
    aff = h[~not_affirmed]
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


def kwic(hits: pd.DataFrame, width: int = 40, *, n: int | None = None, sort: bool = False,
         suppress: bool = True, document_id: bool = False,
         documents: pd.DataFrame | None = None, rules=None) -> pd.DataFrame:
    """Key word in context: ``concept, left, match, right`` and the context flags.

    Built from each hit's ``snippet``: never a person id. Under disclosure control (the
    default) every date and date-like number in the text is masked as ``[dato]``
    (:func:`harkit.text.mask_dates`: dates of birth and death, national identity numbers)
    and document ids are left out.

    Parameters
    ----------
    hits : pandas.DataFrame
        From :func:`search`.
    width : int
        Characters shown on each side (at most the snippet's).
    n : int, optional
        Rows shown (the first ``n``, after sorting); all when None.
    sort : bool, default False
        Sort by document and position first, so the view does not depend on search order.
    suppress : bool, default True
        Mask dates and leave out document ids. ``False`` shows the snippet text as it is,
        with ``document_id`` (inside the secure environment only).
    document_id : bool, default False
        Keep ``document_id`` even under ``suppress`` (to look a hit up inside the secure
        environment; not for publication).
    documents : pandas.DataFrame, optional
        The documents searched: adds a ``trigger`` column, the rule behind each flag
        (:func:`harkit.text.triggers`; masked like the text).
    rules : optional
        The context rules of the search (default: the shipped ones), with ``documents``.

    Returns
    -------
    pandas.DataFrame
        ``concept``, ``left``, ``match``, ``right``, the flags and ``trigger`` when asked
        (``document_id`` first when kept); ``attrs["masked"]`` counts the text cells in
        which something was masked.
    """
    h = hits.sort_values(["document_id", "start", "end"], kind="stable") if sort else hits
    if n is not None:
        h = h.head(n)
    rows = []
    for snip, matched in zip(h["snippet"], h["matched"]):
        m = " ".join(str(matched).split())
        i = snip.find(m)
        if i < 0:
            rows.append(("", m, ""))
            continue
        left, right = snip[:i], snip[i + len(m):]
        rows.append((left[-width:] if width else "", m, right[:width] if width else ""))
    out = pd.DataFrame(rows, columns=["left", "match", "right"], index=h.index)
    out.insert(0, "concept", h["concept"])
    if document_id or not suppress:
        out.insert(0, "document_id", h["document_id"])
    for c in _FLAGS:
        if c in h:
            out[c] = h[c]
    text_cols = ["left", "match", "right"]
    if documents is not None:
        from harkit.text.explain import triggers

        out["trigger"] = triggers(h, documents, rules)["trigger"]
        text_cols.append("trigger")
    masked = 0
    if suppress:
        for c in text_cols:
            new = out[c].astype(str).map(mask_dates)
            masked += int((new != out[c].astype(str)).sum())
            out[c] = new
    out = out.reset_index(drop=True)
    out.attrs["masked"] = masked
    return out
