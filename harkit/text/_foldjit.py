"""Compiled folding kernel of :func:`harkit.text.batch.fold_batch` (numba).

:func:`fold_kernel` makes one pass over the Latin-1 codes of a batch (texts joined by
``"\\n"``) and produces the folded codes, the source position of every folded character
and the word spans, folded and original; :func:`pieces_kernel` then makes the pieces from
those when they are asked for. The pass does what the numpy passes of ``fold_batch`` did,
in the same order, as a stream of tokens (one per original character, line-end hyphens
skipped), each emitted once the next one is known:

* every rule looks only at the characters of one word (``ch``, ``rn``, ``qu``, ``1``/``0``
  and doubled letters only involve word characters, and a non-word character, which none
  of these rules changes, always separates two words), and words stay words;
* ``æ`` -> ``ae`` and ``x`` -> ``ks`` are one token each, whose two characters are emitted
  together: neither ``k``/``s`` nor ``a``/``e`` is a character ``ch``...``rn`` look at, so
  the rules fire exactly where they fired next to ``x``;
* ``ch``/``ph``/``th``/``qu``/``c``/``rn`` and the ``1`` rule are one lookup in
  :func:`rule_table`, by the token and the classes of the tokens before and after it: the
  numpy steps found every ``h``, ``n``, ``q``, ``r`` and ``1`` on the characters before the
  step, and a letter a-z stays one (a dropped ``h`` or ``n`` always follows one);
* the ``0`` rule ran after the ``1`` rule, so a ``0`` next to a ``1`` that became ``l``
  also changes: that case (rare) folds the word again by the exact, pass-by-pass path
  (:func:`_refold_word`), as does nothing else;
* doubled letters and whitespace runs: a character is dropped when it equals the last one
  emitted and is a-z or the blank (every character between two whitespace runs is kept, so
  this is "one blank per run"); the last one emitted counts as a blank at the start of a
  text (no leading blank), and a blank left at its end is taken back;
* the automaton of the query's terms (:class:`harkit.text._compiled.Dfa`) steps on every
  folded character as it is kept, so the terms are found in the same pass (its steps
  into a state with outputs are noted); a text starts at its root, a word folded again
  (above) is walked again from its start, and a blank taken back at a text's end takes
  its steps back;
* a hyphen after a word character stops the hot loop (:func:`_run`), which goes on after
  the line break when the hyphen is a line-end one (:func:`_hyphen_break`, the pattern of
  :mod:`harkit.text.normalise`, never across a separator), or folds the hyphen otherwise;
  so does ``¼ ½ ¾``, which ends the fold (they fold beyond Latin-1). ``µ`` is read as its
  stand-in ``þ`` (:func:`harkit.text.batch.fold_batch` puts ``μ`` in the text).

Every position and span the kernel records is where the numpy steps put it: a folded
character comes from the first original one of its group (``ch`` -> ``k`` from the ``c``,
both of ``æ`` -> ``ae`` from the ``æ``, a blank from the first of its run), and a word's
original span runs from its first character to the character after its last one.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["MICRO_STAND_IN", "build_tables", "fold_kernel", "pieces_kernel", "rule_table"]

_BLANK, _TAB, _CR, _LF, _HYPHEN = 32, 9, 13, 10, 45
_A, _Z = ord("a"), ord("z")
_ZERO, _ONE = ord("0"), ord("1")
_AE = 0xE6  # the token of æ and Æ (no other character folds to it)
_MICRO, MICRO_STAND_IN = 0xB5, 0xFE  # µ folds beyond Latin-1: read as its stand-in þ

# tabs[0:256], per byte: its token | it is a word character << 8 | Python \s << 9
_B_WORD, _B_PYSPACE = 1 << 8, 1 << 9
# tabs[256:512], per token: its class as the one after | class as the one before << 3 |
# word << 6 | special (a hyphen, or ¼ ½ ¾) << 7 | second character << 8
_QT, _T_WORD, _T_SPECIAL = 256, 1 << 6, 1 << 7
# tabs[512:], the rule table: at token << 6 | class before << 3 | class after, the folded
# character (0: dropped; | _NO_COLLAPSE: never dropped as a double; _REFOLD: fold the word
# by the exact path)
_RT, _NO_COLLAPSE, _REFOLD = 512, 1 << 8, 0x3FF
# token classes as a neighbour, before (after): 0 other, 1 c/p/t (h), 2 r (n), 3 q (u),
# 4 another letter a-z, 5 the digit 0
_N_CLS = 6


def rule_table() -> np.ndarray:
    """The folded character of every token between every two neighbour classes.

    Returns
    -------
    numpy.ndarray
        ``uint16[256 * 64]``; see the module docstring.
    """
    rule = np.zeros(256 * 64, dtype=np.uint16)
    for v in range(1, 256):  # token 0 is nothing: dropped
        ch = chr(v)
        for before in range(_N_CLS):
            for after in range(_N_CLS):
                at = v << 6 | before << 3 | after
                if (ch == "h" and before == 1) or (ch == "n" and before == 2):
                    continue  # ch -> k, th -> t, ph -> f, rn -> m: dropped
                out = {"x": "k", chr(_AE): "a", "c": "k"}.get(ch, ch)
                if ch == "u" and before == 3:
                    out = "v"
                elif (ch, after) in (("p", 1), ("r", 2), ("q", 3)):
                    out = {"p": "f", "r": "m", "q": "k"}[ch]
                elif ch in "01" and (1 <= before <= 4 or 1 <= after <= 4):
                    out = "l" if ch == "1" else "o"
                    if ch == "1" and _N_CLS - 1 in (before, after):
                        rule[at] = _REFOLD  # the 0 next to it becomes o too
                        continue
                value = ord(out)
                rule[at] = value if _A <= value <= _Z or value == _BLANK else (
                    value | _NO_COLLAPSE)
    return rule


def build_tables(word: np.ndarray, space: np.ndarray, first: np.ndarray,
                 second: np.ndarray, unsupported: np.ndarray, pyspace: np.ndarray
                 ) -> np.ndarray:
    """The tables of :func:`fold_kernel` as one array.

    Parameters
    ----------
    word, space, unsupported, pyspace : numpy.ndarray
        ``bool[256]``: word characters, whitespace (control characters included), the
        characters folding beyond Latin-1 (``µ ¼ ½ ¾``) and Python's ``\\s``.
    first, second : numpy.ndarray
        ``uint8[256]``: folded character, and the second one (0 for none; only ``æ`` and
        ``Æ`` have one).

    Returns
    -------
    numpy.ndarray
        ``uint16[512 + 256 * 64]``.
    """
    if set(np.flatnonzero(second > 0).tolist()) != {0xC6, 0xE6} or (
            set(np.flatnonzero(unsupported).tolist()) != {_MICRO, 0xBC, 0xBD, 0xBE}):
        raise AssertionError("fold_batch: unexpected character tables")
    token = np.where(space, _BLANK, first).astype(np.uint16)
    token[[ord("x"), ord("X")]] = ord("x")
    token[second > 0] = _AE
    token[_MICRO] = MICRO_STAND_IN  # its stand-in; fold_batch puts μ in the text
    per_byte = token | (word.astype(np.uint16) << 8) | (pyspace.astype(np.uint16) << 9)
    props = np.zeros(256, dtype=np.uint16)
    props[word] |= _T_WORD
    az = np.arange(_A, _Z + 1)
    for cls, before, after in ((4, az, az), (1, "cpt", "h"), (2, "r", "n"), (3, "q", "u"),
                               (5, "0", "0")):
        before = [ord(c) for c in before] if isinstance(before, str) else before
        after = [ord(c) for c in after] if isinstance(after, str) else after
        props[before] = (props[before] & ~np.uint16(7 << 3)) | (cls << 3)
        props[after] = (props[after] & ~np.uint16(7)) | cls
    # x is k then s, æ is a then e: letters a-z on both sides
    for t, two in ((ord("x"), ord("s")), (_AE, ord("e"))):
        props[t] = _T_WORD | 4 << 3 | 4 | two << 8
    props[_HYPHEN] |= _T_SPECIAL
    bad = np.flatnonzero(unsupported & (np.arange(256) != _MICRO))
    props[token[bad]] |= _T_SPECIAL
    if word[_HYPHEN] or props[0] or (token[bad] != bad).any():
        raise AssertionError("fold_batch: unexpected character tables")
    return np.concatenate([per_byte, props, rule_table()])


@numba.njit(cache=True, nogil=True)
def _digit_rule(out: np.ndarray, w0: int, w1: int, digit: int, letter: int) -> None:
    """``digit`` -> ``letter`` where a neighbour in ``out[w0:w1]`` is a-z (all at once)."""
    before = 0  # the neighbour before, as it was before this pass
    for j in range(w0, w1):
        ch = out[j]
        if ch == digit:
            after = out[j + 1] if j + 1 < w1 else 0
            if _A <= before <= _Z or _A <= after <= _Z:
                out[j] = letter
        before = ch


@numba.njit(cache=True, nogil=True)
def _refold_word(a: np.ndarray, i0: int, i1: int, out: np.ndarray, src: np.ndarray,
                 w0: int, tabs: np.ndarray) -> int:
    """Fold the word ``a[i0:i1]`` into ``out[w0:]`` pass after pass, as numpy did.

    Its non-word characters are the line-end hyphens it was joined across. Returns the end
    of the folded word.
    """
    o = w0
    for i in range(i0, i1):  # the characters, æ and x as two
        p = tabs[a[i]]
        if p & _B_WORD:
            v = p & 0xFF
            second = tabs[_QT + v] >> 8
            out[o] = tabs[_RT + (v << 6)] & 0xFF if second else v
            src[o] = i
            o += 1
            if second:
                out[o] = second
                src[o] = i
                o += 1
    m = w0
    before = 0
    for j in range(w0, o):  # ch ... rn, on the characters before the step
        v = out[j]
        after = out[j + 1] if j + 1 < o else 0
        if v in (_ONE, _ZERO):
            s = v  # the digits have their own passes below
        else:  # the 0 class only matters to digits
            s = tabs[_RT + (v << 6 | (tabs[_QT + before] & 0o70) | (tabs[_QT + after] & 7))]
        before = v
        if s:
            out[m] = s & 0xFF
            src[m] = src[j]
            m += 1
    o = m
    _digit_rule(out, w0, o, _ONE, ord("l"))
    _digit_rule(out, w0, o, _ZERO, ord("o"))
    m = w0 + 1
    for j in range(w0 + 1, o):  # doubled a-z
        ch = out[j]
        if ch == out[m - 1] and _A <= ch <= _Z:
            continue
        out[m] = ch
        src[m] = src[j]
        m += 1
    return m


@numba.njit(cache=True, nogil=True)
def _hyphen_break(a: np.ndarray, i: int, hi: int, tabs: np.ndarray) -> int:
    """Where the word goes on after the hyphen ``a[i]``, or -1 when it is no line-end one.

    The pattern is ``-[ \\t]*\\r?\\n\\s*`` then a word character, all before ``hi`` (never
    across a separator); the hyphen follows a word character (the caller's test).
    """
    j = i + 1
    while j < hi and (a[j] == _BLANK or a[j] == _TAB):
        j += 1
    if j < hi and a[j] == _CR:
        j += 1
    if j < hi and a[j] == _LF:
        j += 1
        while j < hi and tabs[a[j]] & _B_PYSPACE:
            j += 1
        if j < hi and tabs[a[j]] & _B_WORD:
            return j
    return -1


@numba.njit(cache=True, nogil=True)
def _word_end(a: np.ndarray, i: int, hi: int, tabs: np.ndarray) -> int:
    """End of the original word that goes on at ``a[i]`` (line-end hyphens inside)."""
    while i < hi:
        p = tabs[a[i]]
        if p & _B_WORD and not tabs[_QT + (p & 0xFF)] & _T_SPECIAL:  # ¼ ½ ¾: left for _run
            i += 1
        elif a[i] == _HYPHEN:
            j = _hyphen_break(a, i, hi, tabs)
            if j < 0:
                break
            i = j
        else:
            break
    return i


@numba.njit(cache=True, nogil=True, inline="always")
def _step(step: np.ndarray, byte_class: np.ndarray, ch: int, ds: int, end: int,
          f_end: np.ndarray, f_row: np.ndarray, nf: int) -> tuple[int, int]:
    """The automaton's step from state ``ds`` (a row offset) on the folded character
    ``ch``, which ends at ``end``: the new state, and ``nf`` plus one if it has outputs
    (then noted as ``f_end[nf]``, ``f_row[nf]``)."""
    t = step[np.uint64(ds + byte_class[ch])]
    if t >= 0:
        return t, nf
    f_end[np.uint64(nf)] = end
    f_row[np.uint64(nf)] = ~t
    return ~t, nf + 1


@numba.njit(cache=True, nogil=True)
def _run(a: np.ndarray, tabs: np.ndarray, out: np.ndarray, src: np.ndarray,
         wpos: np.ndarray, wsrc: np.ndarray, cap: int, i: int, hi: int, skip: int, o: int,
         ne: int, ridx: int, qc: int, wp: int, sc: int, last: int,
         step: np.ndarray, byte_class: np.ndarray, f_end: np.ndarray, f_row: np.ndarray,
         ds: int, nf: int):
    """The hot loop over ``a[i:hi]``, then two steps that emit the pending token and end
    its word.

    Stops at a special character (status 1, at ``i``, unless ``i == skip``), at a word
    for the exact path (2), or at the end (0). Returns the status and the stream state.
    """
    while i < hi + 2:
        if i < hi:
            vn = tabs[np.uint64(a[np.uint64(i)])] & 0xFF
            qn = tabs[np.uint64(_QT + vn)]
            if qn & _T_SPECIAL:  # noqa: SIM102 - one test on the way of every character
                if i != skip:
                    return 1, i, o, ne, ridx, qc, wp, sc, last, ds, nf
        else:
            vn = 0  # nothing
            qn = 0
        # emit the pending token (qc, from a[sc]), now that the next one is known
        wc = qc & _T_WORD
        # word starts and ends alternate (ne counts them): the next one is written to row
        # 0 (a start) or 1 (an end) of wpos (folded position) and wsrc (source)
        at = np.uint64((ne & 1) * cap + (ne >> 1))
        wpos[at] = o
        wsrc[at] = sc
        ne += (wc ^ wp) >> 6
        sw = tabs[np.uint64(ridx | (qn & 7))]
        if sw == _REFOLD:
            return 2, i, o, ne, ridx, qc, wp, sc, last, ds, nf
        # last is the last character kept, and also the last one not dropped by a rule:
        # so keep does not wait for the previous keep
        keep = (sw != 0) & (sw != last)
        out[np.uint64(o)] = sw
        src[np.uint64(o)] = sc
        o += keep
        if keep:
            ds, nf = _step(step, byte_class, sw & 0xFF, ds, o, f_end, f_row, nf)
        last = sw & 0xFF if sw else last
        second = qc >> 8
        if second:  # x, æ
            out[np.uint64(o)] = second
            src[np.uint64(o)] = sc
            o += 1
            last = second
            ds, nf = _step(step, byte_class, second, ds, o, f_end, f_row, nf)
        ridx = _RT + (vn << 6 | (qc & 0o70))
        wp = wc
        qc = qn
        sc = i
        i += 1
    return 0, i, o, ne, ridx, qc, wp, sc, last, ds, nf


@numba.njit(cache=True, nogil=True)
def _fold_text(a: np.ndarray, lo: int, hi: int, tabs: np.ndarray, out: np.ndarray,
               src: np.ndarray, wpos: np.ndarray, wsrc: np.ndarray, cap: int, o: int, ne: int,
               step: np.ndarray, byte_class: np.ndarray, f_end: np.ndarray,
               f_row: np.ndarray, nf: int, longest: int):
    """Fold the text ``a[lo:hi]`` into ``out[o:]``, walking the automaton from its root.

    Returns the new ``o`` and ``ne``, the position of a character that cannot be folded
    (-1: none; the text is then not folded completely) and the new ``nf``.
    """
    # the stream: the pending token (its properties qc, its source sc, the start of its
    # rule row ridx) and whether the one before it is a word character (wp)
    # (int64 from the start: literal constants would give _run a version of their own)
    ridx, qc, wp, sc = np.int64(_RT), np.int64(0), np.int64(0), lo
    last = np.int64(_BLANK)  # no blank at the start of a text
    i = lo
    skip = np.int64(-1)
    o0 = o
    ds = np.int64(0)
    while True:
        status, i, o, ne, ridx, qc, wp, sc, last, ds, nf = _run(
            a, tabs, out, src, wpos, wsrc, cap, i, hi, skip, o, ne, ridx, qc, wp, sc, last,
            step, byte_class, f_end, f_row, ds, nf)
        if status == 0:
            return o, ne, -1, nf
        if status == 1:
            if a[i] != _HYPHEN:
                return o, ne, i, nf  # ¼ ½ ¾
            j = _hyphen_break(a, i, hi, tabs) if qc & _T_WORD else -1
            if j >= 0:
                i = j  # a line-end hyphen: the word goes on
            else:
                skip = i
        else:  # the word of the pending token, by the exact path
            w = (ne - 1) >> 1  # its start is the last event
            end = _word_end(a, sc, hi, tabs)
            w0 = wpos[w]
            o = _refold_word(a, wsrc[w], end, out, src, w0, tabs)
            # the automaton again from the word's start, in the state the root reaches
            # over the `longest` characters before it (the state it was in there)
            while nf > 0 and f_end[nf - 1] > w0:
                nf -= 1
            ds = 0
            for q in range(max(o0, w0 - longest), o):
                ds, nf2 = _step(step, byte_class, out[q], ds, q + 1, f_end, f_row, nf)
                nf = nf2 if q >= w0 else nf
            # go on after the word: nothing pending, a word before it
            ridx, qc, wp, sc, last = _RT, 0, _T_WORD, end, out[o - 1]
            i = end


@numba.njit(cache=True, nogil=True)
def _controls(a: np.ndarray, lo: int, hi: int) -> int:
    """Control characters (but tab, line and page breaks) in ``a[lo:hi]``."""
    count = 0
    for i in range(lo, hi):
        b = a[np.uint64(i)]  # (an unsigned index has no wraparound test: twice as fast)
        count += (b < 9) | ((b >= 14) & (b < 32)) | (b == 127)
    return count


@numba.njit(cache=True, nogil=True)
def fold_kernel(a: np.ndarray, doc_bounds: np.ndarray, tabs: np.ndarray, out: np.ndarray,
                src: np.ndarray, doc_start: np.ndarray, controls: np.ndarray,
                words: np.ndarray, spelled: np.ndarray, spelled_at: np.ndarray,
                origin: np.ndarray, blank_end: np.ndarray, step: np.ndarray,
                byte_class: np.ndarray, longest: int, f_end: np.ndarray, f_row: np.ndarray
                ) -> tuple[int, int, int]:
    """Fold the joined Latin-1 codes ``a`` of a batch into the arrays given.

    The caller allocates the results: numpy's large allocations use huge pages, which
    makes the first write to them several times cheaper than in an array numba allocates.

    Parameters
    ----------
    a : numpy.ndarray
        ``uint8``: the texts joined by ``"\\n"``, one code per character, with stand-ins
        for the characters beyond Latin-1 (a whitespace stand-in must be ``\\xa0``,
        which, like the characters it stands for, is neither a blank nor a tab of the
        line-end hyphen pattern); ``µ`` is folded as its stand-in ``þ``. A text whose
        characters were spelled out is read from ``spelled`` instead.
    doc_bounds : numpy.ndarray
        ``int64[n_texts + 1]``: start of each text in ``a``, then ``len(a) + 1``.
    tabs : numpy.ndarray
        :func:`build_tables`.
    out, src : numpy.ndarray
        ``uint8[2 * len(a) + 2]``, ``int32`` or ``int64[2 * len(a) + 2]``: the folded
        codes and the position in ``a`` (the original texts joined) each comes from, then
        ``len(a)``.
    doc_start, controls : numpy.ndarray
        ``int64[n_texts + 1]``, ``int64[n_texts]``: start of each folded text (then the
        folded length + 1) and the control characters of each text.
    words : numpy.ndarray
        ``int64[4, len(a) // 2 + 2]``: start and end of each folded word, then start and
        end of its original word (rows ``word_start``, ``word_end``, ``orig_word_start``,
        ``orig_word_end`` of :class:`~harkit.text.batch.FoldedBatch`).
    spelled, spelled_at, origin : numpy.ndarray
        The texts whose characters were spelled out
        (:func:`harkit.text.normalise.expand`, ``½`` -> ``1/2``): ``spelled`` holds their
        codes, text ``d`` at ``spelled[spelled_at[d, 0]:spelled_at[d, 1]]`` (``-1, -1``
        for the other texts); ``origin``, aligned with ``spelled``, the position in its
        original text of each of those characters (then the text's length).
    blank_end : numpy.ndarray
        ``int64[2 * len(a) + 2]``: written only for the blanks of spelled-out texts: the
        end, in ``a``, of the whitespace run each comes from (:func:`pieces_kernel`).
    step, byte_class : numpy.ndarray
        :attr:`~harkit.text._compiled.Dfa.step` and
        :attr:`~harkit.text._compiled.Dfa.byte_class` of the automaton to walk.
    longest : int
        Length of its longest key.
    f_end, f_row : numpy.ndarray
        ``int64[2 * len(a) + 2]``: per step of the automaton into a state with outputs,
        in order, the folded position after the character and the state's row offset
        (:func:`harkit.text._compiled.key_matches`).

    Returns
    -------
    tuple of int
        Used lengths of ``out`` (``src`` has one more), of the rows of ``words`` and of
        ``f_end``; or -1 and the position of a character that cannot be folded
        (``¼ ½ ¾``).
    """
    n = len(a)
    o = 0
    ne = 0
    nf = 0
    cap = words.shape[1]
    wpos = words[:2].reshape(-1)
    wsrc = words[2:].reshape(-1)
    n_docs = len(doc_bounds) - 1
    for d in range(n_docs):
        lo = doc_bounds[d]
        hi = doc_bounds[d + 1] - 1  # the separator after the text (len(a) for the last)
        doc_start[d] = o
        doc_o = o
        ne0 = ne
        text, t_lo, t_hi = a, lo, hi
        spelled_out = spelled_at[d, 0] >= 0
        if spelled_out:
            text, t_lo, t_hi = spelled, spelled_at[d, 0], spelled_at[d, 1]
        o, ne, bad, nf = _fold_text(text, t_lo, t_hi, tabs, out, src, wpos, wsrc, cap, o,
                                    ne, step, byte_class, f_end, f_row, nf, longest)
        if bad >= 0:
            return -1, bad, 0
        if o > doc_o and out[o - 1] == _BLANK:
            o -= 1  # trailing whitespace
            while nf > 0 and f_end[nf - 1] > o:  # (no key ends in a blank)
                nf -= 1
        controls[d] = _controls(text, t_lo, t_hi)
        if spelled_out:
            _to_original(out, src, wpos, wsrc, cap, doc_o, o, ne0, ne, t_hi, lo, origin,
                         blank_end)
        if d + 1 < n_docs:
            out[o] = _LF
            src[o] = hi
            o += 1
    doc_start[n_docs] = o + 1
    src[o] = n
    return o, ne >> 1, nf


@numba.njit(cache=True, nogil=True)
def _to_original(out: np.ndarray, src: np.ndarray, wpos: np.ndarray, wsrc: np.ndarray,
                 cap: int, o0: int, o1: int, e0: int, e1: int, t_hi: int, lo: int,
                 origin: np.ndarray, blank_end: np.ndarray) -> None:
    """Positions in ``spelled`` of one folded text (``out[o0:o1]``, word events
    ``e0:e1``) as positions in ``a``, the text starting at ``lo``.

    A start maps to the original character its character was spelled out from, an end to
    one past the original character of the last character before it, as
    :func:`harkit.text.normalise.normalise` maps its pieces.
    """
    u = np.uint64
    for j in range(o0, o1):
        s = src[u(j)]
        if out[u(j)] == _BLANK:  # its run ends where the next folded character starts
            nxt = src[u(j + 1)] if j + 1 < o1 else t_hi
            blank_end[u(j)] = lo + origin[u(nxt - 1)] + 1
        src[u(j)] = lo + origin[u(s)]
    for k in range(e0, e1, 2):  # a start, then its end
        at_s = u(k >> 1)
        at_e = u(cap + (k >> 1))
        s = wsrc[at_s]
        e = wsrc[at_e]
        wsrc[at_s] = lo + origin[u(s)]
        wsrc[at_e] = lo + (origin[u(e - 1)] + 1 if e > s else origin[u(s)])


@numba.njit(cache=True, nogil=True)
def pieces_kernel(out: np.ndarray, src: np.ndarray, w_start: np.ndarray,
                  w_end: np.ndarray, ow_start: np.ndarray, ow_end: np.ndarray,
                  p_start: np.ndarray, p_os: np.ndarray, p_oe: np.ndarray,
                  mapped: np.ndarray, blank_end: np.ndarray) -> int:
    """The pieces of a folded batch: each word, and each other character but separators.

    A word maps to its original word, a blank to its whole whitespace run (up to the
    source of the next folded character), another character to itself.

    Parameters
    ----------
    out, src : numpy.ndarray
        Folded codes and their sources (one more), as :func:`fold_kernel` made them.
    w_start, w_end, ow_start, ow_end : numpy.ndarray
        The word spans of :func:`fold_kernel`.
    p_start, p_os, p_oe : numpy.ndarray
        ``int64[len(out)]``, filled: start of each piece, and its original span.
    mapped, blank_end : numpy.ndarray
        ``bool[n_texts]``: the texts whose characters were spelled out, and for their
        blanks the end of the run (:func:`fold_kernel`).

    Returns
    -------
    int
        The number of pieces.
    """
    m = len(out)
    k = 0
    p = 0
    npc = 0
    nw = len(w_start)
    d = 0  # the text at p
    u = np.uint64  # unsigned indices: no wraparound tests
    while p < m:
        if k < nw and p == w_start[u(k)]:
            p_start[u(npc)] = p
            p_os[u(npc)] = ow_start[u(k)]
            p_oe[u(npc)] = ow_end[u(k)]
            p = w_end[u(k)]
            k += 1
            npc += 1
            continue
        ch = out[u(p)]
        if ch != _LF:
            s = src[u(p)]
            p_start[u(npc)] = p
            p_os[u(npc)] = s
            if ch != _BLANK:
                p_oe[u(npc)] = s + 1
            elif mapped[u(d)]:
                p_oe[u(npc)] = blank_end[u(p)]
            else:
                p_oe[u(npc)] = src[u(p + 1)]
            npc += 1
        else:
            d += 1
        p += 1
    return npc
