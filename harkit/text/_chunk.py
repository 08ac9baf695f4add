"""The chunk path of :func:`harkit.text.engine.search_chunk`: every step over a whole chunk.

The chunk's texts are folded together (:func:`harkit.text.batch.fold_batch`); then, over the
folded chunk at once:

1. the query's keys, found by its automaton as the texts were folded
   (``fold_batch(..., dfa=matcher.dfa)``), are kept at word boundaries (a prefix key
   runs to the end of its word); lexicon regexes run on the original texts that hold
   their literal, query wildcards on the folded text;
2. one hit is kept per concept and span, as :func:`harkit.text.engine._spans` keeps it;
3. context: the rule units and literals of the whole chunk are found once and every hit is
   judged by :func:`harkit.text._compiled.context_flags`, triggers and terminators taken
   only from the hit's own document;
4. the query is evaluated for each document with hits, leaf by leaf on arrays;
5. the rows are built column by column, offsets mapped back to the original texts.

The result is exactly that of normalising each document on its own
(:func:`harkit.text.engine._reference_chunk`); the tests compare the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from harkit.icd.text import fold_text
from harkit.text._compiled import (
    context_flags,
    find_events,
    one_line,
    original_to_folded,
    window_units,
)
from harkit.text.batch import _WORD, FoldedBatch
from harkit.text.context import CATEGORIES, ContextRules, _default_rules, clause_ends
from harkit.text.query import And, Leaf, Near, Node, Not, Or, Term, _pattern

_DIRECTIONS = {"forward": 0, "backward": 1, "bidirectional": 2, "terminate": 3, "pseudo": 4,
               "clause": 5, "conjunction": 6}
_SPACE_CODES = np.zeros(256, dtype=bool)
_SPACE_CODES[[ord(" "), ord("\n")]] = True  # the only blanks folded text holds
_SENTENCE_STOP = np.zeros(256, dtype=bool)
_SENTENCE_STOP[[ord(c) for c in ".!?;"]] = True
_HARD = np.zeros(256, dtype=bool)
_HARD[[ord(c) for c in "?!;"]] = True


@dataclass(frozen=True)
class RuleTables:
    """A :class:`~harkit.text.context.ContextRules` table as arrays for the kernels."""

    trie: np.ndarray
    trie_class: np.ndarray
    trie_id: np.ndarray
    char_id: np.ndarray
    first_start: np.ndarray
    first_group: np.ndarray
    group_units: np.ndarray
    group_len: np.ndarray
    group_rule_start: np.ndarray
    rule_category: np.ndarray
    rule_direction: np.ndarray
    rule_window: np.ndarray
    rule_not_original: list[frozenset[str]]
    #: per unit id: a finite verb, a subject (the clause starts of ``rules``)
    verb_id: np.ndarray
    subject_id: np.ndarray
    reach: int
    longest: int
    rules: ContextRules


def rule_tables(rules: ContextRules) -> RuleTables | None:
    """Compile rules for the kernels (None if a literal holds a character beyond Latin-1)."""
    words: dict[str, int] = {}
    chars: dict[str, int] = {}
    groups = [(units, rs) for lst in rules.by_first.values() for units, rs in lst]
    for units, _ in groups:
        for u in units:
            if any(ord(ch) > 255 or ch in "þ¦" for ch in u):
                return None
            table = words if _WORD[ord(u[0])] else chars
            table.setdefault(u, len(words) + len(chars) + 1)
    for u in rules.verbs | rules.subjects:
        if any(ord(ch) > 255 or ch in "þ¦" for ch in u):
            return None
        words.setdefault(u, len(words) + len(chars) + 1)
    n_ids = len(words) + len(chars) + 1
    # the trie runs over classes of the bytes rule words hold (a small, cache-resident table)
    trie_class = np.zeros(256, dtype=np.int64)
    for k, b in enumerate(sorted({b for w in words for b in w.encode("latin-1")}), start=1):
        trie_class[b] = k
    width = int(trie_class.max()) + 1
    trie_rows: list[np.ndarray] = [np.full(width, -1, dtype=np.int16)]
    trie_id = [0]
    for w, i in words.items():
        s = 0
        for b in w.encode("latin-1"):
            c = trie_class[b]
            if trie_rows[s][c] < 0:
                trie_rows[s][c] = len(trie_rows)
                trie_rows.append(np.full(width, -1, dtype=np.int16))
                trie_id.append(0)
            s = int(trie_rows[s][c])
        trie_id[s] = i
    for row in trie_rows:
        row[0] = -1  # a byte in no rule word ends every walk
    char_id = np.zeros(256, dtype=np.int32)
    for ch, i in chars.items():
        char_id[ord(ch)] = i
    ids = {**words, **chars}
    verb_id = np.zeros(n_ids + 1, dtype=bool)
    verb_id[[words[u] for u in rules.verbs]] = True
    subject_id = np.zeros(n_ids + 1, dtype=bool)
    subject_id[[words[u] for u in rules.subjects]] = True
    max_len = max((len(u) for u, _ in groups), default=1)
    group_units = np.zeros((len(groups), max_len), dtype=np.int32)
    group_len = np.zeros(len(groups), dtype=np.int64)
    by_first: dict[int, list[int]] = {}
    rule_rows = []
    group_rule_start = np.zeros(len(groups) + 1, dtype=np.int64)
    for g, (units, rs) in enumerate(groups):
        group_units[g, :len(units)] = [ids[u] for u in units]
        group_len[g] = len(units)
        by_first.setdefault(ids[units[0]], []).append(g)  # already longest first
        rule_rows += rs
        group_rule_start[g + 1] = len(rule_rows)
    first_start = np.zeros(n_ids + 1, dtype=np.int64)
    first_group = []
    for u in range(n_ids):
        first_group += by_first.get(u, [])
        first_start[u + 1] = len(first_group)
    return RuleTables(
        trie=np.vstack(trie_rows), trie_class=trie_class,
        trie_id=np.array(trie_id, dtype=np.int32), char_id=char_id,
        first_start=first_start, first_group=np.array(first_group, dtype=np.int64),
        group_units=group_units, group_len=group_len, group_rule_start=group_rule_start,
        rule_category=np.array([CATEGORIES.index(r.category) if r.category in CATEGORIES
                                else -1 for r in rule_rows], dtype=np.int64),
        rule_direction=np.array([_DIRECTIONS[r.direction] for r in rule_rows], dtype=np.int64),
        rule_window=np.array([r.window for r in rule_rows], dtype=np.int64),
        rule_not_original=[r.not_original for r in rule_rows],
        verb_id=verb_id, subject_id=subject_id,
        reach=2 * (rules.max_window + rules.clause_window) + 8, longest=max_len, rules=rules)


@lru_cache(maxsize=1)
def default_tables() -> RuleTables | None:
    """The bundled rules compiled for the kernels."""
    return rule_tables(_default_rules())


def _original_spans(fb: FoldedBatch, starts: np.ndarray, ends: np.ndarray,
                    words: tuple[np.ndarray, np.ndarray] | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Original spans (joined coordinates) covering every piece a folded span touches.

    A folded word maps to its whole original word, a blank to its whole run, any other
    character to itself (the pieces of :func:`harkit.text.normalise.normalise`).
    ``words``: the index of the word at or before ``starts`` and ``max(ends - 1, starts)``,
    if known.
    """
    codes, src = fb.codes, fb.src
    word_start = fb.word_start
    last = np.maximum(ends - 1, starts)
    if words is None:
        words = (np.searchsorted(word_start, starts, side="right") - 1,
                 np.searchsorted(word_start, last, side="right") - 1)

    def piece(p: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = np.clip(w, 0, None)
        inside = _WORD[codes[p]]
        lo = np.where(inside, fb.orig_word_start[w] if len(word_start) else 0, src[p])
        other_end = np.where(codes[p] == 32, src[p + 1], src[p] + 1)
        hi = np.where(inside, fb.orig_word_end[w] if len(word_start) else 0, other_end)
        return lo, hi

    os_, _ = piece(starts, words[0])
    _, oe = piece(last, words[1])
    return os_, np.maximum(oe, os_)


def _raw_hits(fb: FoldedBatch, matcher, texts: list[str]):
    """Spans ``(start, end, concept code, label code, own_affix)`` of the query's keys, one
    per concept and span, sorted as :func:`harkit.text.engine._spans` sorts them
    (``own_affix``: no key covers the whole hit, as there)."""
    codes = fb.codes
    n = len(codes)
    parts = []
    if matcher.dfa is not None and n:
        ends, keys = fb.found  # folded with the matcher's automaton
        starts = ends - matcher.dfa.key_length[keys]
        ok = (starts == 0) | ~_WORD[codes[np.maximum(starts - 1, 0)]]
        starts, ends, keys = starts[ok], ends[ok], keys[ok]
        inside = np.zeros(len(ends), dtype=bool)
        inside[ends < n] = _WORD[codes[ends[ends < n]]]
        w = np.searchsorted(fb.word_start, ends, side="right") - 1
        ext = np.where(inside, fb.word_end[np.clip(w, 0, None)] if len(fb.word_start) else 0,
                       ends)
        lo, hi = matcher.key_entry_start[keys], matcher.key_entry_start[keys + 1]
        count = hi - lo
        which = np.repeat(np.arange(len(keys)), count)
        entry = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + \
            np.repeat(lo, count)
        prefix = matcher.entry_prefix[entry]
        keep = prefix | ~inside[which]
        which, entry, prefix = which[keep], entry[keep], prefix[keep]
        if any(x is not None for x in matcher.entry_exact):
            # exact terms (far, not får): the original spelling decides
            is_exact = np.array([x is not None for x in matcher.entry_exact],
                                dtype=bool)[entry]
            at = np.flatnonzero(is_exact)
            if len(at):
                os_, oe = _original_spans(fb, starts[which[at]], ends[which[at]])
                ok_exact = np.array([t.lower() in matcher.entry_exact[k] for t, k
                                     in zip(fb.original(os_, oe), entry[at].tolist())],
                                    dtype=bool)
                keep = np.ones(len(entry), dtype=bool)
                keep[at] = ok_exact
                which, entry, prefix = which[keep], entry[keep], prefix[keep]
        if any(x is not None for x in matcher.entry_filter):
            # terms with context words (speed, drakk) or exclusions (alkoholfri)
            at = np.flatnonzero(np.array([x is not None for x in matcher.entry_filter],
                                         dtype=bool)[entry])
            if len(at):
                s_at = starts[which[at]]
                e_at = np.where(prefix[at], ext[which[at]], ends[which[at]])
                d = np.searchsorted(fb.doc_start, s_at, side="right") - 1
                lo_d = fb.doc_start[d]
                bounds = np.append(fb.doc_start[1:] - 1, len(fb.codes))
                # each document's folded text, made once
                docs = dict(zip(np.unique(d).tolist(), fb.folded_slices(
                    fb.doc_start[np.unique(d)], bounds[np.unique(d)])))
                ok = np.array([matcher.entry_filter[k].accepts(docs[j], a, b)
                               for a, b, k, j in zip((s_at - lo_d).tolist(),
                                                     (e_at - lo_d).tolist(),
                                                     entry[at].tolist(), d.tolist())],
                              dtype=bool)
                keep = np.ones(len(entry), dtype=bool)
                keep[at] = ok
                which, entry, prefix = which[keep], entry[keep], prefix[keep]
        hit_end = np.where(prefix, ext[which], ends[which])
        parts.append((starts[which], hit_end,
                      matcher.entry_concept[entry], matcher.entry_label[entry],
                      hit_end == ends[which]))
    if matcher.wildcards:
        code = {lab: i for i, lab in enumerate(matcher.labels)}
        none = matcher.concepts.index(None)
        found = [(m.start(), m.end(), none, code[label], 1)
                 for label, rx in matcher.wildcards for m in rx.finditer(fb.text)]
        if found:
            parts.append(tuple(np.array(x, dtype=np.int64) for x in zip(*found)))
    if matcher.regexes:
        found = _regex_hits(fb, matcher, texts)
        if found is not None:
            parts.append((*found, np.ones(len(found[0]), dtype=np.int64)))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty, np.zeros(0, dtype=bool)
    s, e, c, lab, exact = (np.concatenate([np.asarray(p[i], dtype=np.int64) for p in parts])
                           for i in range(5))
    order = np.lexsort((lab, c, e, s))
    s, e, c, lab, exact = s[order], e[order], c[order], lab[order], exact[order]
    first = np.ones(len(s), dtype=bool)
    first[1:] = (s[1:] != s[:-1]) | (e[1:] != e[:-1]) | (c[1:] != c[:-1])
    # a hit some key covers whole: its own affix is part of the term (rusfri)
    group = np.cumsum(first) - 1
    covered = np.bincount(group, weights=exact, minlength=int(first.sum())) > 0
    return s[first], e[first], c[first], lab[first], ~covered


def _literal_matches(fb: FoldedBatch, regexes: list, literals: list[str]
                     ) -> list[list[tuple[int, int]]]:
    """What ``rx.finditer(fb.joined)`` finds for each regex, when every match of the regex
    starts with its literal: the literals' occurrences (a literal search each, on the
    texts at one byte per character), each tried with the regex, far faster than each
    regex's own scan. (A literal never holds a line break, so a match never runs from one
    text into the next: it is tried on its own text.)"""
    found = []
    for lit in literals:
        try:
            hay, needle = fb.latin1, lit.encode("latin-1")
        except UnicodeEncodeError:  # a literal beyond Latin-1: on the texts themselves
            hay, needle = fb.joined, lit
        if any(needle[:k] == needle[-k:] for k in range(1, len(needle))):
            # it may overlap itself (every start is wanted): one search after another
            at = []
            pos = hay.find(needle)
            while pos >= 0:
                at.append(pos)
                pos = hay.find(needle, pos + 1)
        else:  # no two occurrences overlap: the regex engine's literal search is faster
            at = [m.start() for m in re.finditer(re.escape(needle), hay)]
        found.append(at)
    out = []
    texts = fb.texts
    for rx, starts in zip(regexes, found):
        docs = np.searchsorted(fb.orig_doc_start, starts, side="right") - 1
        bases = fb.orig_doc_start[docs].tolist()
        spans = []
        done = 0
        for pos, d, base in zip(starts, docs.tolist(), bases):
            if pos < done:
                continue  # inside the previous match: finditer goes on after it
            m = rx.match(texts[d], pos - base)
            if m is not None and m.end() > m.start():
                spans.append((base + m.start(), base + m.end()))
                done = base + m.end()
        out.append(spans)
    return out


def _regex_hits(fb: FoldedBatch, matcher, texts: list[str]):
    """Lexicon regex matches (on the original texts) as folded spans of whole pieces."""
    code = {lab: i for i, lab in enumerate(matcher.labels)}
    c_code = {c: i for i, c in enumerate(matcher.concepts)}
    literals = matcher.regex_literals or [None] * len(matcher.regexes)
    found = []
    with_literal = [k for k, lit in enumerate(literals) if lit is not None]
    if with_literal:
        # a literal between word boundaries never spans two texts: scan them joined
        spans = _literal_matches(fb, [matcher.regexes[k][2] for k in with_literal],
                                 [literals[k] for k in with_literal])
        for k, these in zip(with_literal, spans):
            concept, pattern, _ = matcher.regexes[k]
            found += [(a, b, c_code[concept], code[pattern]) for a, b in these]
    for (concept, pattern, rx), literal in zip(matcher.regexes, literals, strict=True):
        if literal is not None:
            continue
        for d, t in enumerate(texts):
            base = int(fb.orig_doc_start[d])
            found += [(base + m.start(), base + m.end(), c_code[concept], code[pattern])
                      for m in rx.finditer(t) if m.end() > m.start()]
    if not found:
        return None
    a, b, c, lab = (np.array(x, dtype=np.int64) for x in zip(*found))
    docs = np.searchsorted(fb.orig_doc_start, a, side="right") - 1
    s, e = original_to_folded(
        fb.codes, fb.src, _WORD, (fb.word_start, fb.word_end, fb.orig_word_start,
                                  fb.orig_word_end),
        fb.doc_start[docs], fb.doc_start[docs + 1] - 1, a, b)
    ok = s >= 0
    return s[ok], e[ok], c[ok], lab[ok]


def _context(fb: FoldedBatch, tables: RuleTables, starts, ends, docs,
             own_affix: np.ndarray) -> np.ndarray:
    """``bool[len(CATEGORIES), n_hits]``: the context flags of every hit."""
    codes = fb.codes
    # only windows around the hits are split into units; their number stands for the text
    u_start, u_end, uid, u_word, u_doc, w_lo, _ = window_units(
        codes, _WORD, _SPACE_CODES, tables.trie, tables.trie_class, tables.trie_id,
        tables.char_id, ord("\n"),
        starts, ends, tables.reach + 2, tables.reach + tables.longest + 2)
    docs = np.searchsorted(w_lo, starts, side="right") - 1
    ev_a, ev_b, ev_g = find_events(uid, u_doc, tables.first_start, tables.first_group,
                                   tables.group_units, tables.group_len)
    lo, hi = tables.group_rule_start[ev_g], tables.group_rule_start[ev_g + 1]
    count = hi - lo
    ev = np.repeat(np.arange(len(ev_a)), count)
    rule = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + \
        np.repeat(lo, count)
    keep = np.ones(len(rule), dtype=bool)
    # a few rules (far) do not fire for some original spellings (får): look those up
    special = [i for i, s in enumerate(tables.rule_not_original) if s]
    if special:
        is_special = np.zeros(len(tables.rule_not_original), dtype=bool)
        is_special[special] = True
        at = np.flatnonzero(is_special[rule])
        os_, oe = _original_spans(fb, u_start[ev_a[ev[at]]], u_end[ev_b[ev[at]] - 1])
        for k, t in zip(at.tolist(), fb.original(os_, oe)):
            if t.lower() in tables.rule_not_original[rule[k]]:
                keep[k] = False
    ev, rule = ev[keep], rule[keep]
    direction = tables.rule_direction[rule]
    category = tables.rule_category[rule]
    trig = direction <= 2
    term = direction == 3
    u_hard = ~u_word & _HARD[codes[u_start]]
    t_a, t_b, t_cat = ev_a[ev[term]], ev_b[ev[term]], category[term]
    # commas that end a clause (not a list) end every scope
    sep = direction == 5
    if sep.any():
        stops = np.union1d(np.flatnonzero(u_hard), t_a[t_cat < 0])
        words_before = np.concatenate([[0], np.cumsum(u_word)])
        conj = direction == 6
        order = np.argsort(ev_a[ev[conj]], kind="stable")
        cut = clause_ends(ev_a[ev[sep]], tables.rule_window[rule[sep]],
                          ev_a[ev[conj]][order], stops, words_before, u_doc,
                          tables.rule_window[rule[conj]][order])
        t_a, t_b = np.concatenate([t_a, cut]), np.concatenate([t_b, cut + 1])
        t_cat = np.concatenate([t_cat, np.full(len(cut), -1, dtype=np.int64)])
    if tables.rules.verbs:
        # a comma or conjunction followed by a verb, or a subject and a verb, starts a new
        # clause (clause_starts)
        at = ev_a[ev[(direction == 5) | (direction == 6)]]
        n_u = len(uid)

        def unit_is(ids: np.ndarray, k: int) -> np.ndarray:
            nxt = np.minimum(at + k, n_u - 1)
            return (at + k < n_u) & ids[uid[nxt]] & (u_doc[nxt] == u_doc[at])

        cut = at[unit_is(tables.verb_id, 1) |
                 (unit_is(tables.subject_id, 1) & unit_is(tables.verb_id, 2))]
        t_a, t_b = np.concatenate([t_a, cut]), np.concatenate([t_b, cut + 1])
        t_cat = np.concatenate([t_cat, np.full(len(cut), -1, dtype=np.int64)])
    tr = (ev_a[ev[trig]], ev_b[ev[trig]], category[trig], direction[trig],
          tables.rule_window[rule[trig]])
    # affixed words (ubehandlet, rusfri): the word itself, and a forward trigger
    rules = tables.rules
    own = None
    if rules.affixes:
        # words of rule literals (usannsynlig) are judged by their rule alone; only words
        # that start (end) with a prefix (suffix) go on to the rules' stem patterns
        cand = np.flatnonzero(u_word & (uid == 0))
        c_start, c_end = u_start[cand], u_end[cand]
        last = len(codes) - 1
        tests = {}  # (kind, affix): rules that share one test it once
        for r in rules.affixes:
            affix = r.affix
            if any(ord(ch) > 255 or ch in "þ¦" for ch in affix):
                # (a character the scan text holds as a stand-in: its first or last
                # letter only, a superset of the words the rule can match)
                affix = affix[:1] if r.kind == "prefix" else affix[-1:]
                if ord(affix) > 255:  # pragma: no cover - then never in the scan text
                    continue
            tests[r.kind, affix] = None
        length = c_end - c_start
        chars: dict[int, np.ndarray] = {}  # character j of each word (from its end if < 0)

        def char(j: int) -> np.ndarray:
            if j not in chars:
                chars[j] = codes[np.clip(c_start + j if j >= 0 else c_end + j, 0, last)]
            return chars[j]

        has = np.zeros(len(cand), dtype=bool)
        for kind, affix in tests:
            ok = length >= len(affix)
            for j, ch in enumerate(affix):
                ok &= char(j if kind == "prefix" else j - len(affix)) == ord(ch)
            has |= ok
        cand = cand[has]
        found = rules.affixed(fb.folded_slices(u_start[cand], u_end[cand]))
        at = [k for k, r in enumerate(found) if r is not None]
        if at:
            pos = cand[at]
            cat = np.array([CATEGORIES.index(found[k].category) for k in at], dtype=np.int64)
            win = np.array([found[k].window for k in at], dtype=np.int64)
            tr = tuple(np.concatenate([x, y]) for x, y in zip(
                tr, (pos, pos + 1, cat, np.zeros(len(at), dtype=np.int64), win)))
            order = np.argsort(tr[0], kind="mergesort")
            tr = tuple(x[order] for x in tr)
            own = (pos, cat)
    flags = context_flags(
        (u_start, u_end, u_word, u_hard, u_doc), tr, (t_a, t_b, t_cat),
        (starts, ends, docs), tables.reach, len(CATEGORIES))
    if own is not None:
        first = np.searchsorted(u_end, starts, side="right")
        last = np.searchsorted(u_start, ends, side="left") - 1
        ok = (first < len(u_start)) & (last >= first)
        for c in np.unique(own[1]).tolist():
            is_own = np.zeros(len(u_start), dtype=bool)
            is_own[own[0][own[1] == c]] = True
            mark = np.zeros(len(u_start) + 1, dtype=np.int64)
            mark[1:] = np.cumsum(is_own)
            lo, hi = np.clip(first, 0, len(u_start)), np.clip(last + 1, 0, len(u_start))
            flags[c] |= ok & own_affix & (mark[np.maximum(hi, lo)] > mark[lo])
    if rules.sections:
        # a section header (Hereditet:) sets its category up to the next header line
        os_, _ = _original_spans(fb, starts, ends)
        cat, _, _ = rules.sections_at(fb.texts, os_, fb.orig_doc_start)
        at = np.flatnonzero(cat >= 0)
        flags[cat[at], at] = True
    return flags


def _snippets(fb: FoldedBatch, lo: np.ndarray, hi: np.ndarray) -> list[str]:
    """The original text of each span on one line (runs of blanks to one, none at the ends)."""
    codes = np.frombuffer(fb.latin1, dtype=np.uint8)
    if fb.beyond_latin1.any():
        # the snippets of texts with characters beyond Latin-1 (few): those one by one
        docs = np.searchsorted(fb.orig_doc_start, lo, side="right") - 1
        plain = ~fb.beyond_latin1[docs]
        out = [""] * len(lo)
        for k, text in zip(np.flatnonzero(plain).tolist(),
                           one_line(codes, lo[plain], hi[plain])):
            out[k] = text
        other = np.flatnonzero(~plain)
        for k, text in zip(other.tolist(), fb.original(lo[other], hi[other])):
            out[k] = " ".join(text.split())
        return out
    return one_line(codes, lo, hi)


def _leaf_mask(leaf: Leaf, matcher, concept, label_text, flags) -> np.ndarray:
    """Which hits ``leaf.matches``."""
    if isinstance(leaf, Term):
        rx = _pattern(leaf.text)
        cache: dict[str, bool] = {}
        ok = np.fromiter((cache[t] if t in cache else cache.setdefault(
            t, rx.fullmatch(fold_text(t)) is not None) for t in label_text), dtype=bool,
            count=len(label_text))
    else:
        code = matcher.concepts.index(leaf.name) if leaf.name in matcher.concepts else -1
        ok = concept == code
    any_flag = flags.any(axis=0)
    for c in leaf.require:
        ok &= ~any_flag if c == "affirmed" else flags[CATEGORIES.index(c)]
    for c in leaf.exclude:
        ok &= any_flag if c == "affirmed" else ~flags[CATEGORIES.index(c)]
    return ok


def _truth(node: Node, masks: dict, inv: np.ndarray, n_docs: int, w0, w1,
           sent=None) -> np.ndarray:
    """Whether each document with hits satisfies ``node`` (``inv``: document of each hit)."""
    if isinstance(node, Leaf):
        return np.bincount(inv[masks[node]], minlength=n_docs) > 0
    if isinstance(node, And):
        out = np.ones(n_docs, dtype=bool)
        for item in node.items:
            out &= _truth(item, masks, inv, n_docs, w0, w1, sent)
        return out
    if isinstance(node, Or):
        out = np.zeros(n_docs, dtype=bool)
        for item in node.items:
            out |= _truth(item, masks, inv, n_docs, w0, w1, sent)
        return out
    if isinstance(node, Not):
        return ~_truth(node.item, masks, inv, n_docs, w0, w1, sent)
    if isinstance(node, Near):
        out = np.zeros(n_docs, dtype=bool)
        left, right = masks[node.left], masks[node.right]
        both = (np.bincount(inv[left], minlength=n_docs) > 0) & \
            (np.bincount(inv[right], minlength=n_docs) > 0)
        for d in np.flatnonzero(both).tolist():
            here = inv == d
            a = np.flatnonzero(here & left)
            b = np.flatnonzero(here & right)
            gap = np.maximum(np.maximum(w0[b][None, :] - w1[a][:, None],
                                        w0[a][:, None] - w1[b][None, :]), 0)
            ok = gap <= node.distance
            if not node.across:  # one sentence
                ok &= sent[a][:, None] == sent[b][None, :]
            out[d] = bool(ok.any())
        return out
    raise TypeError(f"not a query node: {node!r}")


def _has_sentence_near(node: Node) -> bool:
    """Whether the query holds a ``NEAR`` that stays inside one sentence."""
    if isinstance(node, Near):
        return not node.across
    if isinstance(node, (And, Or)):
        return any(_has_sentence_near(item) for item in node.items)
    return isinstance(node, Not) and _has_sentence_near(node.item)


def _sentences(codes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sentence of each position: the sentence ends (``. ! ? ;`` before a blank, a text's
    end or the end) before it."""
    stop = np.flatnonzero(_SENTENCE_STOP[codes])
    nxt = np.append(codes, np.uint8(32))[stop + 1]
    stop = stop[(nxt == 32) | (nxt == 10)]
    return np.searchsorted(stop, starts, side="left")


def _take(values: list, at: np.ndarray) -> list:
    """``[values[i] for i in at]``, through an object array (faster for many rows)."""
    return np.fromiter(values, dtype=object, count=len(values))[at].tolist()


def search_folded(fb: FoldedBatch, texts: list[str], ids: list, pids: list, matcher,
                  context: bool, width: int, tables: RuleTables | None
                  ) -> tuple[pd.DataFrame, np.ndarray]:
    """Hits of the query in a folded chunk.

    Parameters
    ----------
    fb : FoldedBatch
        ``fold_batch(texts, pieces=False, dfa=matcher.dfa)``.
    texts, ids, pids : list
        The texts and their document and person ids.
    matcher : harkit.text.engine.Matcher
    context : bool
        Judge context (else every flag is False).
    width : int
        Snippet width.
    tables : RuleTables
        From :func:`default_tables` (needed when ``context``).

    Returns
    -------
    hits : pandas.DataFrame
        The hit columns, documents in order.
    docs : numpy.ndarray
        Index into ``texts`` of each row.
    """
    from harkit.text.engine import HIT_COLUMNS

    s, e, c, lab, own_affix = _raw_hits(fb, matcher, texts)
    if not len(s):
        return pd.DataFrame(columns=HIT_COLUMNS), np.zeros(0, dtype=np.int64)
    docs = np.searchsorted(fb.doc_start, s, side="right") - 1
    if context:
        flags = _context(fb, tables, s, e, docs, own_affix)
    else:
        flags = np.zeros((len(CATEGORIES), len(s)), dtype=bool)
    # word index of each hit's first and last word (NEAR), never before its document
    w_start = fb.word_start
    at_s = np.searchsorted(w_start, s, side="right") - 1
    at_e = np.searchsorted(w_start, np.maximum(e - 1, s), side="right") - 1
    first_word = np.searchsorted(w_start, fb.doc_start, side="left")[docs]
    w0 = np.maximum(at_s, first_word)
    w1 = np.maximum(at_e, w0)
    leaves = list(matcher.node.leaves())
    needs_text = any(isinstance(leaf, Term) for leaf in leaves)
    folded = fb.folded_slices(s, e) if needs_text else []
    masks = {leaf: _leaf_mask(leaf, matcher, c, folded, flags) for leaf in leaves}
    doc_ids, inv = np.unique(docs, return_inverse=True)
    sent = _sentences(fb.codes, s) if _has_sentence_near(matcher.node) else None
    ok = _truth(matcher.node, masks, inv, len(doc_ids), w0, w1, sent)[inv]
    any_leaf = np.zeros(len(s), dtype=bool)
    for m in masks.values():
        any_leaf |= m
    keep = ok & any_leaf
    s, e, c, lab, docs, flags = s[keep], e[keep], c[keep], lab[keep], docs[keep], flags[:, keep]
    os_, oe = _original_spans(fb, s, e, (at_s[keep], at_e[keep]))
    base = fb.orig_doc_start[docs]
    doc_end = base + np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))[docs]
    lo = np.maximum(os_ - width, base)
    hi = np.minimum(oe + width, doc_end)
    concepts = np.array(matcher.concepts, dtype=object)
    labels = np.array(matcher.labels, dtype=object)
    columns = {
        "document_id": _take(ids, docs),
        "person_id": _take(pids, docs),
        "concept": concepts[c],
        "term": labels[lab],
        "matched": fb.original(os_, oe),
        "start": os_ - base,
        "end": oe - base,
        **{cat: flags[i] for i, cat in enumerate(CATEGORIES)},
        "snippet": _snippets(fb, lo, hi),
    }
    out = pd.DataFrame(columns, copy=False)
    return out, docs
