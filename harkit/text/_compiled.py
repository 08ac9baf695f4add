"""Compiled kernels of the concept-search engine (numba).

Three steps of :func:`harkit.text.engine.search_chunk` run here over a whole chunk of
folded text at once, so their cost does not grow with the number of hits in Python:

* :class:`Dfa`: Aho-Corasick as a full transition table over byte classes, stepped by the
  fold kernel on every folded character as it makes it (:mod:`harkit.text._foldjit`), and
  :func:`key_matches`: every term that ends at every position (what ``pyahocorasick``
  reports);
* :func:`unit_ids`: the units of the context rules (``\\w+`` or one other character) with
  the id of the rule word each one spells, and :func:`find_events`: the rule literals found
  on them, longest first, left to right, never across two documents;
* :func:`context_flags`: the ConText decision of
  :func:`harkit.text.context.context_batch` for every hit of the chunk.

Each kernel is the same algorithm as its plain-Python counterpart, which the tests compare
it with document by document.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numba
import numpy as np

__all__ = ["Dfa", "build_dfa", "context_flags", "find_events", "key_matches", "unit_ids"]


@dataclass(frozen=True)
class Dfa:
    """An Aho-Corasick automaton as a dense table over byte classes.

    Attributes
    ----------
    delta : numpy.ndarray
        ``int32[n_states, n_classes]``: next state.
    byte_class : numpy.ndarray
        ``int32[256]``: class of each byte (0 for bytes in no key).
    out_start : numpy.ndarray
        ``int64[n_states + 1]``: outputs of state ``s`` are
        ``out_key[out_start[s]:out_start[s + 1]]``, its own key and those of its suffixes.
    out_key : numpy.ndarray
        ``int32``: key indices.
    key_length : numpy.ndarray
        ``int64[n_keys]``: length of each key in bytes.
    step : numpy.ndarray
        ``int32[n_states * n_classes]``: :attr:`delta` flattened, holding the next state's
        row offset, or its bitwise complement (negative) when that state has outputs: a
        step is one add, one load and one sign test.
    """

    delta: np.ndarray
    byte_class: np.ndarray
    out_start: np.ndarray
    out_key: np.ndarray
    key_length: np.ndarray
    step: np.ndarray


def build_dfa(keys: list[bytes]) -> Dfa:
    """Build the automaton of a list of byte strings.

    Parameters
    ----------
    keys : list of bytes
        Non-empty keys; the index of a key in this list is what :func:`key_matches`
        reports.

    Returns
    -------
    Dfa
    """
    byte_class = np.zeros(256, dtype=np.int32)
    used = sorted({b for k in keys for b in k})
    for i, b in enumerate(used, start=1):
        byte_class[b] = i
    n_classes = len(used) + 1
    goto: list[dict[int, int]] = [{}]
    own: list[list[int]] = [[]]
    for idx, key in enumerate(keys):
        s = 0
        for b in key:
            c = int(byte_class[b])
            nxt = goto[s].get(c)
            if nxt is None:
                nxt = len(goto)
                goto[s][c] = nxt
                goto.append({})
                own.append([])
            s = nxt
        own[s].append(idx)
    n = len(goto)
    if n * n_classes >= 2**31:  # pragma: no cover - millions of keys
        raise ValueError("too many keys for one automaton")
    delta = np.zeros((n, n_classes), dtype=np.int32)
    fail = [0] * n
    outputs: list[list[int]] = [[] for _ in range(n)]
    queue: deque[int] = deque()
    for c, s in goto[0].items():
        delta[0, c] = s
        queue.append(s)
    while queue:  # breadth first: a state's fail state is complete before it is used
        s = queue.popleft()
        outputs[s] = own[s] + outputs[fail[s]]
        delta[s] = delta[fail[s]]
        for c, t in goto[s].items():
            fail[t] = int(delta[fail[s], c]) if s else 0
            delta[s, c] = t
            queue.append(t)
    out_start = np.zeros(n + 1, dtype=np.int64)
    out_start[1:] = np.cumsum([len(o) for o in outputs])
    out_key = np.array([k for o in outputs for k in o], dtype=np.int32)
    key_length = np.array([len(k) for k in keys], dtype=np.int64)
    offset = delta * np.int32(n_classes)
    step = np.where((np.diff(out_start) > 0)[delta], ~offset, offset).ravel()
    return Dfa(delta, byte_class, out_start, out_key, key_length, step)


@numba.njit(cache=True, nogil=True)
def _key_matches(ends, rows, out_start, out_key, n_classes):
    total = 0
    for r in range(len(rows)):
        state = rows[r] // n_classes
        total += out_start[state + 1] - out_start[state]
    at = np.empty(total, dtype=np.int64)
    keys = np.empty(total, dtype=np.int32)
    k = 0
    for r in range(len(rows)):
        state = rows[r] // n_classes
        for j in range(out_start[state], out_start[state + 1]):
            at[k] = ends[r]
            keys[k] = out_key[j]
            k += 1
    return at, keys


def key_matches(dfa: Dfa, ends: np.ndarray, rows: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """The keys found by a walk of the automaton, from its steps into states with outputs.

    Parameters
    ----------
    dfa : Dfa
    ends : numpy.ndarray
        In order, the position after the character of each step of the walk that went to
        a state with outputs.
    rows : numpy.ndarray
        The row offset in :attr:`Dfa.step` of the state each of those steps went to.

    Returns
    -------
    ends, keys : numpy.ndarray
        End (exclusive) and key index of each occurrence, in order of end (what
        ``pyahocorasick`` reports).
    """
    return _key_matches(np.asarray(ends, dtype=np.int64), np.asarray(rows, dtype=np.int64),
                        dfa.out_start, dfa.out_key, dfa.delta.shape[1])


@numba.njit(cache=True, nogil=True)
def _count_units(codes, is_word, is_space):
    k = 0
    in_word = False
    for i in range(len(codes)):
        c = codes[i]
        w = is_word[c]
        if w:
            if not in_word:
                k += 1
        elif not is_space[c]:
            k += 1
        in_word = w
    return k


@numba.njit(cache=True, nogil=True)
def _word_id(codes, lo, hi, trie, trie_class, trie_id):
    s = 0
    for j in range(lo, hi):
        s = trie[s, trie_class[codes[j]]]
        if s < 0:
            return 0
    return trie_id[s]


@numba.njit(cache=True, nogil=True)
def _fill_units(codes, is_word, is_space, trie, trie_class, trie_id, char_id, span_lo,
                span_hi):
    # the units of each span [span_lo[t], span_hi[t]), numbered by their span
    total = 0
    for t in range(len(span_lo)):
        total += _count_units(codes[span_lo[t]:span_hi[t]], is_word, is_space)
    start = np.empty(total, dtype=np.int64)
    end = np.empty(total, dtype=np.int64)
    uid = np.empty(total, dtype=np.int32)
    word = np.empty(total, dtype=np.bool_)
    span = np.empty(total, dtype=np.int32)
    k = 0
    for t in range(len(span_lo)):
        i = span_lo[t]
        while i < span_hi[t]:
            c = codes[i]
            if is_word[c]:
                j = i
                while j < span_hi[t] and is_word[codes[j]]:
                    j += 1
                start[k], end[k], word[k], span[k] = i, j, True, t
                uid[k] = _word_id(codes, i, j, trie, trie_class, trie_id)
                k += 1
                i = j
            elif is_space[c]:
                i += 1
            else:
                start[k], end[k], word[k], span[k] = i, i + 1, False, t
                uid[k] = char_id[c]
                k += 1
                i += 1
    return start, end, uid, word, span


def unit_ids(codes: np.ndarray, is_word: np.ndarray, is_space: np.ndarray,
             trie: np.ndarray, trie_class: np.ndarray, trie_id: np.ndarray,
             char_id: np.ndarray, separator: int):
    """Units (``\\w+`` or one other non-blank character) and the rule word each spells.

    Parameters
    ----------
    codes : numpy.ndarray of uint8
        Folded texts joined by ``separator``.
    is_word, is_space : numpy.ndarray of bool
        Per byte: a word character; a blank (the separator included).
    trie : numpy.ndarray
        ``int16[n_states, n_classes]`` trie of the rule words over character classes
        (-1: no rule word continues so).
    trie_class : numpy.ndarray
        ``int64[256]``: class of each byte in the trie (0: in no rule word, a dead end).
    trie_id : numpy.ndarray
        ``int32[n_states]``: id of the rule word ending at a state (0: none).
    char_id : numpy.ndarray
        ``int32[256]``: id of each one-character rule unit (0: none).
    separator : int
        The byte between two texts.

    Returns
    -------
    start, end, uid, word, doc : numpy.ndarray
        Span of each unit in ``codes``, its rule-word id (0 if none), whether it is a
        word, and the text it is in.
    """
    cuts = np.flatnonzero(codes == separator)
    lo = np.concatenate([[0], cuts + 1]).astype(np.int64)
    hi = np.append(cuts, len(codes)).astype(np.int64)
    return _fill_units(codes, is_word, is_space, trie, trie_class, trie_id, char_id, lo, hi)


@numba.njit(cache=True, nogil=True)
def _events(uid, udoc, first_start, first_group, group_units, group_len):
    n = len(uid)
    ev_a = np.empty(n, dtype=np.int64)
    ev_b = np.empty(n, dtype=np.int64)
    ev_g = np.empty(n, dtype=np.int32)
    k = 0
    free = 0
    for i in range(n):
        u = uid[i]
        if u == 0 or i < free:
            continue
        for t in range(first_start[u], first_start[u + 1]):
            g = first_group[t]
            m = group_len[g]
            if i + m > n or udoc[i + m - 1] != udoc[i]:
                continue
            ok = True
            for q in range(1, m):
                if uid[i + q] != group_units[g, q]:
                    ok = False
                    break
            if ok:
                ev_a[k], ev_b[k], ev_g[k] = i, i + m, g
                k += 1
                free = i + m
                break
    return ev_a[:k], ev_b[:k], ev_g[:k]


def find_events(uid: np.ndarray, udoc: np.ndarray, first_start: np.ndarray,
                first_group: np.ndarray, group_units: np.ndarray, group_len: np.ndarray):
    """Rule literals found on the units: longest first, left to right, within a document.

    Parameters
    ----------
    uid, udoc : numpy.ndarray
        Rule-word id and document of each unit.
    first_start, first_group : numpy.ndarray
        Literals starting with unit id ``u``: ``first_group[first_start[u]:first_start[u+1]]``,
        longest first.
    group_units : numpy.ndarray
        ``int32[n_groups, max_len]``: the unit ids of each literal.
    group_len : numpy.ndarray
        Number of units of each literal.

    Returns
    -------
    a, b, group : numpy.ndarray
        Unit span ``[a, b)`` and literal of each event, in order.
    """
    return _events(uid, udoc, first_start, first_group, group_units, group_len)


@numba.njit(cache=True, nogil=True)
def _flags(ustart, uend, uword, uhard, udoc, tr_a, tr_b, tr_cat, tr_dir, tr_window,
           term_a, term_b, term_cat, hit_s, hit_e, hit_doc, reach, n_cat):
    n = len(ustart)
    # bit c of mark[i]: unit i ends the scope of category c (sentence end or terminator)
    everything = (1 << n_cat) - 1
    mark = np.zeros(n, dtype=np.uint8)
    for i in range(n):
        if uhard[i]:
            mark[i] = everything
    for t in range(len(term_a)):
        bit = everything if term_cat[t] < 0 else (1 << term_cat[t])
        for i in range(term_a[t], term_b[t]):
            mark[i] |= bit
    out = np.zeros((n_cat, len(hit_s)), dtype=np.bool_)
    for h in range(len(hit_s)):
        first = np.searchsorted(uend, hit_s[h], side="right")
        last = np.searchsorted(ustart, hit_e[h], side="left") - 1
        if first >= n or last < first or udoc[first] != hit_doc[h]:
            continue
        lo = np.searchsorted(tr_a, first - reach, side="left")
        hi = np.searchsorted(tr_a, last + reach, side="right")
        for t in range(lo, hi):
            c = tr_cat[t]
            a = tr_a[t]
            if out[c, h] or udoc[a] != hit_doc[h]:
                continue
            b = tr_b[t]
            d = tr_dir[t]  # 0 forward, 1 backward, 2 bidirectional
            if a < first and d != 1:
                # a hit inside a longer trigger ("tegn" of "uten tegn til") is in scope
                gap_lo, gap_hi = min(b, first), first
            elif a > last and d != 0:
                gap_lo, gap_hi = last + 1, a
            else:
                continue  # the trigger overlaps the hit or points away from it
            # words between trigger and hit within the window, no end of scope between
            words = 0
            ok = True
            bit = 1 << c
            for i in range(gap_lo, gap_hi):
                if uword[i]:
                    words += 1
                if mark[i] & bit:
                    ok = False
                    break
            if ok and words <= tr_window[t]:
                out[c, h] = True
    return out


def context_flags(units, triggers, terminators, hits, reach: int, n_cat: int) -> np.ndarray:
    """ConText flags of every hit of a chunk.

    Parameters
    ----------
    units : tuple of numpy.ndarray
        ``(start, end, is_word, is_hard_end, doc)`` per unit.
    triggers : tuple of numpy.ndarray
        ``(a, b, category, direction, window)`` per trigger event (sorted by ``a``);
        direction 0 forward, 1 backward, 2 bidirectional.
    terminators : tuple of numpy.ndarray
        ``(a, b, category)`` per terminator event (category -1: every category).
    hits : tuple of numpy.ndarray
        ``(start, end, doc)`` per hit, in folded coordinates.
    reach : int
        Triggers further than this many units from a hit are not looked at.
    n_cat : int
        Number of categories.

    Returns
    -------
    numpy.ndarray
        ``bool[n_cat, n_hits]``.
    """
    return _flags(*units, *triggers, *terminators, *hits, reach, n_cat)


@numba.njit(cache=True, nogil=True)
def _pieces_of(codes, src, is_word, word_start, word_end, orig_word_start, orig_word_end,
               doc_lo, doc_hi, a, b):
    # piece covering folded position q: (start, end, original start, original end)
    q = max(np.searchsorted(src, a, side="right") - 1, doc_lo)
    s_out = -1
    e_out = -1
    while q < doc_hi:
        if is_word[codes[q]]:
            w = np.searchsorted(word_start, q, side="right") - 1
            p0, p1 = word_start[w], word_end[w]
            o0, o1 = orig_word_start[w], orig_word_end[w]
        else:
            p0, p1 = q, q + 1
            o0 = src[q]
            o1 = src[q + 1] if codes[q] == 32 else src[q] + 1
        if o0 >= b:
            break
        if s_out < 0 and o1 > a:
            s_out = p0
        if s_out >= 0:
            e_out = p1
        q = p1
    return s_out, e_out


@numba.njit(cache=True, nogil=True)
def _original_to_folded(codes, src, is_word, word_start, word_end, orig_word_start,
                        orig_word_end, doc_lo, doc_hi, starts, ends):
    s_out = np.empty(len(starts), dtype=np.int64)
    e_out = np.empty(len(starts), dtype=np.int64)
    for k in range(len(starts)):
        s_out[k], e_out[k] = _pieces_of(codes, src, is_word, word_start, word_end,
                                        orig_word_start, orig_word_end, doc_lo[k], doc_hi[k],
                                        starts[k], ends[k])
    return s_out, e_out


def original_to_folded(codes, src, is_word, words, doc_lo, doc_hi, starts, ends):
    """Folded spans of original spans, by whole pieces.

    The span runs from the first piece (folded word, blank run or other character) that
    ends after the original start to the end of the last piece that starts before the
    original end, as :func:`harkit.text.engine._regex_spans` maps regex matches.

    Parameters
    ----------
    codes, src : numpy.ndarray
        Folded text and the original position of each folded position (one more entry).
    is_word : numpy.ndarray of bool
        Per byte: a word character.
    words : tuple of numpy.ndarray
        ``(word_start, word_end, orig_word_start, orig_word_end)``.
    doc_lo, doc_hi : numpy.ndarray
        Folded span of the text each original span is in.
    starts, ends : numpy.ndarray
        Original spans (joined coordinates).

    Returns
    -------
    start, end : numpy.ndarray
        Folded spans; start -1 where no piece is covered.
    """
    return _original_to_folded(codes, src, is_word, *words, doc_lo, doc_hi,
                               np.asarray(starts, dtype=np.int64),
                               np.asarray(ends, dtype=np.int64))


@numba.njit(cache=True, nogil=True)
def _windows(codes, is_word, is_space, trie, trie_class, trie_id, char_id, separator, hit_s,
             hit_e,
             back, ahead):
    n = len(codes)
    w_lo = np.empty(len(hit_s), dtype=np.int64)
    w_hi = np.empty(len(hit_s), dtype=np.int64)
    for h in range(len(hit_s)):
        # back: `back` units, then on to a unit no rule literal contains (or the text's
        # start), where the left-to-right literal matching is sure to be in step. A hit
        # starting inside the previous hit's window would stop no earlier than that one
        # did (the walk's end moves forward with the hit): the window covers it.
        i = min(hit_s[h], n) - 1
        count = 0
        lo = 0
        if h > 0 and w_lo[h - 1] <= hit_s[h] <= w_hi[h - 1]:
            lo = w_lo[h - 1]
            count = -1
        while count >= 0:
            while i >= 0 and is_space[codes[i]] and codes[i] != separator:
                i -= 1
            if i < 0 or codes[i] == separator:
                lo = i + 1
                break
            j = i
            if is_word[codes[i]]:
                while j > 0 and is_word[codes[j - 1]]:
                    j -= 1
            count += 1
            if count >= back:
                uid = (_word_id(codes, j, i + 1, trie, trie_class, trie_id) if is_word[codes[i]]
                       else char_id[codes[i]])
                if uid == 0:
                    lo = j
                    break
            i = j - 1
        # ahead: `ahead` units (a literal starting in reach must be whole) or the text's end
        i = max(hit_e[h], 0)
        count = 0
        hi = n
        while True:
            while i < n and is_space[codes[i]] and codes[i] != separator:
                i += 1
            if i >= n or codes[i] == separator:
                hi = i
                break
            if is_word[codes[i]]:
                while i < n and is_word[codes[i]]:
                    i += 1
            else:
                i += 1
            count += 1
            if count >= ahead:
                hi = i
                break
        w_lo[h] = lo
        w_hi[h] = hi
    # merge overlapping windows (hits come sorted by start)
    order = np.argsort(w_lo, kind="mergesort")
    m_lo = np.empty(len(hit_s), dtype=np.int64)
    m_hi = np.empty(len(hit_s), dtype=np.int64)
    k = -1
    for t in range(len(order)):
        a, b = w_lo[order[t]], w_hi[order[t]]
        if k >= 0 and a <= m_hi[k]:
            m_hi[k] = max(m_hi[k], b)
        else:
            k += 1
            m_lo[k] = a
            m_hi[k] = b
    m_lo, m_hi = m_lo[:k + 1], m_hi[:k + 1]
    # the units of every window, the window's number as their "document"
    start, end, uid, word, doc = _fill_units(codes, is_word, is_space, trie, trie_class,
                                             trie_id, char_id, m_lo, m_hi)
    return start, end, uid, word, doc, m_lo, m_hi


def window_units(codes: np.ndarray, is_word: np.ndarray, is_space: np.ndarray,
                 trie: np.ndarray, trie_class: np.ndarray, trie_id: np.ndarray,
                 char_id: np.ndarray, separator: int,
                 hit_s: np.ndarray, hit_e: np.ndarray, back: int, ahead: int):
    """The units of windows around hits, enough to judge each hit's context exactly.

    A window reaches ``back`` units before its hit and then on to the first unit that is
    part of no rule literal (there the longest-first, left-to-right matching of the
    literals is in step with a match from the text's start), and ``ahead`` units after it;
    never beyond the hit's text. Overlapping windows are merged.

    Parameters
    ----------
    codes, is_word, is_space, trie, trie_class, trie_id, char_id, separator
        As for :func:`unit_ids`.
    hit_s, hit_e : numpy.ndarray
        Hit spans in ``codes``, sorted by start.
    back, ahead : int
        Units to keep before and after each hit.

    Returns
    -------
    start, end, uid, word, window : numpy.ndarray
        Per unit, as :func:`unit_ids`, with the window's number in place of the text.
    window_start, window_end : numpy.ndarray
        Span of each window in ``codes``.
    """
    return _windows(codes, is_word, is_space, trie, trie_class, trie_id, char_id, separator,
                    np.asarray(hit_s, dtype=np.int64), np.asarray(hit_e, dtype=np.int64),
                    back, ahead)


_SPLIT_SPACE = np.array([chr(c).isspace() for c in range(256)], dtype=np.bool_)


@numba.njit(cache=True, nogil=True)
def _one_line(codes, lo, hi, is_space):
    total = 0
    for k in range(len(lo)):
        total += hi[k] - lo[k]
    buf = np.empty(total, dtype=np.uint8)
    offsets = np.zeros(len(lo) + 1, dtype=np.int64)
    p = 0
    for k in range(len(lo)):
        blank = False
        for i in range(lo[k], hi[k]):
            c = codes[i]
            if is_space[c]:
                blank = p > offsets[k]  # never a blank at the start
            else:
                if blank:
                    buf[p] = 32
                    p += 1
                    blank = False
                buf[p] = c
                p += 1
        offsets[k + 1] = p
    return buf[:p], offsets


def one_line(codes: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[str]:
    """``" ".join(text[lo:hi].split())`` for many spans of a Latin-1 text at once.

    Parameters
    ----------
    codes : numpy.ndarray of uint8
        The text as Latin-1 codes.
    lo, hi : numpy.ndarray
        Spans.

    Returns
    -------
    list of str
    """
    buf, offsets = _one_line(codes, np.asarray(lo, dtype=np.int64),
                             np.asarray(hi, dtype=np.int64), _SPLIT_SPACE)
    text = buf.tobytes().decode("latin-1")
    bounds = offsets.tolist()
    return [text[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


