"""Normalisation of many record texts at once, by a compiled kernel.

:func:`fold_batch` produces, for a list of texts, exactly what :func:`normalise` produces
for each of them (the same folded text, the same word pieces and the same map back to the
original), in one compiled pass over the whole batch (:mod:`harkit.text._foldjit`) instead
of a Python loop over words. That is what lets the search engine scan hundreds of MB of
text per second per core.

It works on any text: characters beyond Latin-1 that fold to one character of their kind
(dashes, quotes, Greek letters) are read as a Latin-1 stand-in, and the others (ligatures,
fractions ``½``, combining accents) are spelled out first, exactly as :func:`normalise`
spells them out (:func:`harkit.text.normalise.expand`), with a map back to the original
characters. Only the texts that hold such characters are prepared so (the rest are read
as they are), and the kernel maps the positions of each through its own map; every text
then folds in the one compiled pass.

The folding is the one documented in :mod:`harkit.text.normalise`, applied in the same
order: line-end hyphens joined; lower case, ``æ`` -> ``ae``, ``ø`` -> ``o`` and accents
stripped; ``ch``/``ph``/``th``/``qu``/``c``/``x``/``rn``; ``1`` then ``0`` next to a
letter; doubled letters collapsed; whitespace runs to one blank, none at either end of a
text. Each rule looks only at neighbouring characters of one word, and words never touch
(a non-word character always separates them).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from harkit.text import _foldjit
from harkit.text._compiled import Dfa, build_dfa, key_matches
from harkit.text.normalise import Normalised, expand, spelled_out

__all__ = ["FoldedBatch", "fold_batch"]

_NO_KEYS = build_dfa([])  # the automaton of no key: walked by fold_batch without one

_W_RX = re.compile(r"\w")
_S_RX = re.compile(r"[\s\x00-\x1f\x7f]")
_SEP = "\n"


def _tables():
    word = np.zeros(256, dtype=bool)
    space = np.zeros(256, dtype=bool)
    unsupported = np.zeros(256, dtype=bool)
    first = np.arange(256, dtype=np.uint8)
    second = np.zeros(256, dtype=np.uint8)
    width = np.ones(256, dtype=np.int64)
    for c in range(256):
        ch = chr(c)
        if _W_RX.match(ch):
            word[c] = True
            s = ch.lower().replace("æ", "ae").replace("ø", "o")
            s = "".join(x for x in unicodedata.normalize("NFKD", s)
                        if not unicodedata.combining(x))
            if not (1 <= len(s) <= 2 and all(ord(x) < 256 and _W_RX.match(x) for x in s)):
                unsupported[c] = True  # µ, ¼, ½, ¾ fold outside Latin-1
                continue
            first[c] = ord(s[0])
            if len(s) == 2:
                second[c], width[c] = ord(s[1]), 2
        elif _S_RX.match(ch):
            space[c] = True
        else:
            low = ch.lower()
            first[c] = ord(low) if len(low) == 1 and ord(low) < 256 else c
    return word, space, unsupported, first, second, width


_WORD, _SPACE, _UNSUPPORTED, _FIRST, _SECOND, _WIDTH = _tables()
_TABS = _foldjit.build_tables(
    _WORD, _SPACE, _FIRST, _SECOND, _UNSUPPORTED,
    np.array([bool(re.match(r"\s", chr(c))) for c in range(256)]))
_MICRO = "µ"
#: Stand-ins inside Latin-1 for characters beyond it: a word character and an other one
#: that no folding rule touches.
_WORD_STAND_IN, _OTHER_STAND_IN = "þ", "¦"
#: What the kernel reads in place of a whitespace character beyond Latin-1: ``\xa0`` is
#: whitespace for ``\s`` too but, like those characters and unlike a blank, not ``[ \t]``
#: of the line-end hyphen pattern (``alko-\u3000\nholisme`` stays two words).
_KERNEL_BLANK = 0xA0



@lru_cache(maxsize=4096)
def _stand_in(ch: str) -> tuple[str, str] | None:
    """How a character outside Latin-1 (or µ ¼ ½ ¾) is folded one to one.

    Returns ``(stand-in, folded character)``: the Latin-1 character to fold in its place
    and the character :func:`~harkit.text.normalise.normalise` puts in the folded text
    (None where they are the same). None when the character does not fold to exactly one
    character of its own class (ligatures, combining marks, fractions): those are spelled
    out (:func:`~harkit.text.normalise.expand`) before any stand-in is looked for.
    """
    if _S_RX.match(ch):
        return " ", ""
    if _W_RX.match(ch):
        f = ch.lower().replace("æ", "ae").replace("ø", "o")
        f = "".join(x for x in unicodedata.normalize("NFKD", f)
                    if not unicodedata.combining(x))
        if len(f) != 1 or not _W_RX.match(f):
            return None
        c = ord(f)
        if c < 256 and not _UNSUPPORTED[c] and _FIRST[c] == c and _WIDTH[c] == 1:
            return f, ""  # e.g. ā -> a: the folding rules must see the letter
        return _WORD_STAND_IN, f
    if "\u0300" <= ch <= "\u036f":
        return None  # combining marks join the word before them
    f = ch.lower()
    if len(f) != 1 or _W_RX.match(f) or _S_RX.match(f):
        return None
    return _OTHER_STAND_IN, f


if _stand_in(_MICRO) != (chr(_foldjit.MICRO_STAND_IN), "\u03bc"):
    raise AssertionError("fold_batch: the kernel folds µ as its stand-in")


def _specials(joined: str) -> list[tuple[int, str]]:
    """Positions and characters of the characters beyond Latin-1 and of µ ¼ ½ ¾."""
    wide = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    at = np.flatnonzero((wide > 255) | _UNSUPPORTED[np.minimum(wide, 255)])
    return [(i, joined[i]) for i in at.tolist()]


def _cannot_fold(ch: str) -> ValueError:
    return ValueError(f"a text has a character ({ch!r}) that fold_batch cannot fold")


@dataclass
class FoldedBatch:
    """Folded texts of a batch, joined by ``"\\n"``, with their map to the originals.

    Attributes
    ----------
    text : str
        The folded texts joined by ``"\\n"`` (which folding never produces). Made on first
        use (from :attr:`scan_text`).
    scan_text : str
        The same as a Latin-1 string, stand-ins in place of the folded characters beyond
        Latin-1: what the automaton scans, at one byte per character (no lexicon term
        contains a stand-in). Made on first use (from :attr:`codes`).
    codes : numpy.ndarray
        ``uint8``: :attr:`scan_text` as codes.
    texts : list of str
        The original texts.
    joined : str
        The original texts joined by ``"\\n"``. Made on first use (:meth:`original`
        slices the texts without it).
    doc_start : numpy.ndarray
        Start of each folded text in :attr:`text` (one more entry: ``len(text) + 1``).
    orig_doc_start : numpy.ndarray
        Start of each original text in :attr:`joined`.
    src : numpy.ndarray
        ``int32[len(text) + 1]`` (``int64`` for a batch of 2**31 characters or more; half
        the memory traffic of the fold otherwise): position in :attr:`joined` of the
        original character each folded character comes from, then ``len(joined)``;
        non-decreasing. A character folded from several (``ch`` -> ``k``) comes from the
        first of them, both characters of ``æ`` -> ``ae`` from the ``æ``, a blank from the
        first character of its whitespace run, a separator from its separator.
    word_start, word_end : numpy.ndarray
        ``int64``: span in :attr:`text` of every folded word (run of word characters), in
        order.
    orig_word_start, orig_word_end : numpy.ndarray
        ``int64``: for the same words, the span in :attr:`joined` of the original word each
        comes from (line-end hyphen breaks inside it included).
    control_counts : numpy.ndarray
        Control characters (other than tab, line and page breaks) in each text.
    latin1 : bytes
        :attr:`joined` at one byte per character (``?`` for a character beyond Latin-1).
    beyond_latin1 : numpy.ndarray
        ``bool`` per text: it holds a character beyond Latin-1.
    piece_start, piece_orig_start, piece_orig_end : numpy.ndarray or None
        Pieces as in :class:`~harkit.text.normalise.Normalised` (a folded word, or one
        other character), in batch coordinates; separators are not pieces. Only with
        ``fold_batch(..., pieces=True)``.
    found : tuple of numpy.ndarray
        ``(ends, keys)``: every occurrence in :attr:`codes` of a key of the automaton
        given to :func:`fold_batch` (its end, exclusive, and the key's index), in order
        of end (:func:`harkit.text._compiled.key_matches`); empty without one.
    """

    texts: list[str]
    codes: np.ndarray = field(repr=False)
    doc_start: np.ndarray = field(repr=False)
    orig_doc_start: np.ndarray = field(repr=False)
    src: np.ndarray = field(repr=False)
    word_start: np.ndarray = field(repr=False)
    word_end: np.ndarray = field(repr=False)
    orig_word_start: np.ndarray = field(repr=False)
    orig_word_end: np.ndarray = field(repr=False)
    control_counts: np.ndarray = field(repr=False)
    latin1: bytes = field(repr=False)
    beyond_latin1: np.ndarray = field(repr=False)
    piece_start: np.ndarray | None = field(default=None, repr=False)
    piece_orig_start: np.ndarray | None = field(default=None, repr=False)
    piece_orig_end: np.ndarray | None = field(default=None, repr=False)
    # positions in joined and folded characters of the stand-ins that differ from them
    _stand_ins: tuple[np.ndarray, list[str]] | None = field(default=None, repr=False)
    _stand_folded: np.ndarray | None = field(default=None, repr=False)
    _scan_text: str | None = field(default=None, repr=False)
    _text: str | None = field(default=None, repr=False)
    _joined: str | None = field(default=None, repr=False)
    found: tuple[np.ndarray, np.ndarray] = field(default=(), repr=False)

    @property
    def scan_text(self) -> str:
        """:attr:`codes` as a Latin-1 string (made once)."""
        if self._scan_text is None:
            self._scan_text = codecs.latin_1_decode(self.codes)[0]
        return self._scan_text

    @property
    def joined(self) -> str:
        """The original texts joined by ``"\\n"`` (made once)."""
        if self._joined is None:
            self._joined = _SEP.join(self.texts)
        return self._joined

    def original(self, starts: npt.ArrayLike, ends: npt.ArrayLike) -> list[str]:
        """``[joined[a:b] for a, b in zip(starts, ends)]`` for spans that each lie in one
        text, without making :attr:`joined`.

        Parameters
        ----------
        starts, ends : array-like of int
            Spans in :attr:`joined`, each inside one text.

        Returns
        -------
        list of str
        """
        starts = np.asarray(starts, dtype=np.int64)
        ends = np.asarray(ends, dtype=np.int64)
        doc = np.searchsorted(self.orig_doc_start, starts, side="right") - 1
        base = self.orig_doc_start[np.maximum(doc, 0)]
        texts = self.texts
        return [texts[d][a:b] for d, a, b in zip(doc.tolist(), (starts - base).tolist(),
                                                  (ends - base).tolist())]

    @property
    def text(self) -> str:
        """The folded texts joined by ``"\\n"`` (made once)."""
        if self._text is None:
            text = self.scan_text
            if self._stand_ins is not None:
                at, chars = self._stand_in_positions().tolist(), self._stand_ins[1]
                parts, last = [], 0
                for q, f in zip(at, chars):
                    parts += [text[last:q], f]
                    last = q + 1
                text = "".join(parts) + text[last:]
            self._text = text
        return self._text

    def _stand_in_positions(self) -> np.ndarray:
        """Folded positions of the stand-ins that differ from their folded character."""
        if self._stand_folded is None:
            at = self._stand_ins[0] if self._stand_ins is not None else np.zeros(0, int)
            self._stand_folded = _search_src(self.src[:-1], at)
        return self._stand_folded

    def folded(self, lo: int, hi: int) -> str:
        """``text[lo:hi]``, without making all of :attr:`text`.

        Parameters
        ----------
        lo, hi : int
            Folded positions, ``0 <= lo <= hi <= len(text)``.

        Returns
        -------
        str
        """
        if self._text is not None or self._stand_ins is None:
            return (self._text if self._text is not None else self.scan_text)[lo:hi]
        at = self._stand_in_positions()
        i, j = np.searchsorted(at, [lo, hi]).tolist()
        if i == j:
            return self.scan_text[lo:hi]
        parts, last = [], lo
        for q, f in zip(at[i:j].tolist(), self._stand_ins[1][i:j]):
            parts += [self.scan_text[last:q], f]
            last = q + 1
        return "".join(parts) + self.scan_text[last:hi]

    def folded_slices(self, starts: npt.ArrayLike, ends: npt.ArrayLike) -> list[str]:
        """``[text[a:b] for a, b in zip(starts, ends)]``, without making all of
        :attr:`text`.

        Parameters
        ----------
        starts, ends : array-like of int

        Returns
        -------
        list of str
        """
        starts = np.asarray(starts, dtype=np.int64)
        ends = np.asarray(ends, dtype=np.int64)
        scan = self.scan_text
        out = [scan[a:b] for a, b in zip(starts.tolist(), ends.tolist())]
        at = self._stand_in_positions()
        if len(at) and len(starts):  # the slices that hold a stand-in: made again
            i = np.searchsorted(at, starts)
            held = np.flatnonzero((i < len(at)) & (at[np.minimum(i, len(at) - 1)] < ends))
            for k in held.tolist():
                out[k] = self.folded(int(starts[k]), int(ends[k]))
        return out

    def original_positions(self, positions: npt.ArrayLike) -> np.ndarray:
        """Positions in the originals joined by ``"\\n"`` of folded positions.

        A folded character made from several original ones (``ch`` -> ``k``) maps to the
        first of them.

        Parameters
        ----------
        positions : array-like of int
            Folded positions, ``0 <= p <= len(text)`` (outside that, shifted like the
            nearer end).

        Returns
        -------
        numpy.ndarray
            ``src[positions]``.
        """
        q = np.asarray(positions, dtype=np.int64)
        m = len(self.src) - 1
        if q.size and (q.min() < 0 or q.max() > m):
            n = int(self.src[m])
            inside = self.src[np.clip(q, 0, m)]
            return np.where(q < 0, q, np.where(q > m, q - m + n, inside))
        return self.src[q]

    def folded_positions(self, positions: npt.ArrayLike) -> np.ndarray:
        """Folded positions of positions in the originals joined by ``"\\n"``.

        An original character that folding dropped maps to the next folded one; so
        ``folded_positions(original_positions(p)) == p`` unless ``p`` is the second of two
        folded characters made from one original (``æ`` -> ``ae``).

        Parameters
        ----------
        positions : array-like of int
            Positions in :attr:`joined`, ``0 <= q <= len(joined)`` (outside that, shifted
            like the nearer end).

        Returns
        -------
        numpy.ndarray
            The first folded position whose source is at or after each position.
        """
        q = np.asarray(positions, dtype=np.int64)
        m = len(self.src) - 1
        n = int(self.src[m])
        res = _search_src(self.src[:m], np.clip(q, -1, n + 1))
        if q.size and (q.min() < 0 or q.max() > n):
            return np.where(q < 0, q, np.where(q > n, q - n + m, res))
        return res

    def words(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and end of every folded word (:attr:`word_start`, :attr:`word_end`).

        Returns
        -------
        tuple of numpy.ndarray
        """
        return self.word_start, self.word_end

    def doc_of(self, positions: npt.ArrayLike) -> np.ndarray:
        """Index of the text each folded position falls in.

        Parameters
        ----------
        positions : array-like of int

        Returns
        -------
        numpy.ndarray
        """
        return np.searchsorted(self.doc_start, np.asarray(positions), side="right") - 1

    def normalised(self, i: int, lo: int | None = None, hi: int | None = None
                   ) -> tuple[Normalised, int]:
        """Text ``i`` (or its folded span ``[lo, hi)``, batch coordinates) as a Normalised.

        Needs the pieces (``fold_batch(..., pieces=True)``).

        Parameters
        ----------
        i : int
            The text.
        lo, hi : int, optional
            A folded span in batch coordinates (clipped to the text).

        Returns
        -------
        tuple of (Normalised, int)
            The object, its piece spans referring to the original text ``i`` and its
            ``words`` those inside the span; and the batch offset of its ``text[0]``.
        """
        d0, d1 = int(self.doc_start[i]), int(self.doc_start[i + 1]) - 1
        lo = d0 if lo is None else max(lo, d0)
        hi = d1 if hi is None else min(hi, d1)
        a = int(np.searchsorted(self.piece_start, lo, side="left"))
        b = int(np.searchsorted(self.piece_start, hi, side="left"))
        base = int(self.orig_doc_start[i])
        ps = self.piece_start[a:b] - lo
        text = self.text[lo:hi]
        wa = int(np.searchsorted(self.word_start, lo, side="left"))
        wb = int(np.searchsorted(self.word_start, hi, side="left"))
        words = list(zip((self.word_start[wa:wb] - lo).tolist(),
                         (np.minimum(self.word_end[wa:wb], hi) - lo).tolist()))
        return Normalised(text, self.texts[i], ps, self.piece_orig_start[a:b] - base,
                          self.piece_orig_end[a:b] - base, words), lo


def _search_src(src: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``np.searchsorted(src, positions)`` (left) with ``positions`` in the dtype of
    ``src``: else numpy converts all of ``src`` (the whole batch) on every call."""
    return np.searchsorted(src, positions.astype(src.dtype, copy=False), side="left")


def _bounds(texts: list[str]) -> np.ndarray:
    """Start of each text in their join by separators, then the join's length + 1."""
    bounds = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1,
              out=bounds[1:])
    return bounds


# the Latin-1 characters the kernel cannot read as they are: µ (folded beyond Latin-1)
# and ¼ ½ ¾ (spelled out)
_KERNEL_UNREAD = tuple(bytes([c]) for c in np.flatnonzero(_UNSUPPORTED).tolist())


@dataclass
class _Prepared:
    """What the kernel reads of one text that holds characters it cannot read as they
    are, and how to map back (positions relative to the text)."""

    codes: bytes  # one byte per character of the spelled-out text, stand-ins in place
    origin: np.ndarray | None  # expand()'s map, None when nothing was spelled out
    stand_at: list[int]  # original positions of characters folded beyond Latin-1 ...
    stand_as: list[str]  # ... and what they fold to
    junk: int  # replacement characters (they count as garbage)


def _prepare(text: str) -> _Prepared:
    """Spell out (:func:`~harkit.text.normalise.expand`) and stand in one text."""
    expanded, origin = expand(text)
    specials = _specials(expanded)
    codes = bytearray(expanded.encode("latin-1", errors="replace"))
    stand_at, stand_as = [], []
    for p, c in specials:
        how = _stand_in(c)
        if how is None:  # (expand spells out every character that has no stand-in)
            raise _cannot_fold(c)
        codes[p] = _KERNEL_BLANK if how[0] == " " else ord(how[0])
        if how[1]:
            stand_at.append(p if origin is None else int(origin[p]))
            stand_as.append(how[1])
    return _Prepared(bytes(codes), origin, stand_at, stand_as, text.count("\ufffd"))


def _prepare_many(texts: list[str]) -> list[_Prepared]:
    """:func:`_prepare` for many texts: those with a character to spell out one by one
    (rare), the others, which only need stand-ins, all at once."""
    sub = _SEP.join(texts)
    wide = np.frombuffer(sub.encode("utf-32-le"), dtype=np.uint32)
    at = np.flatnonzero((wide > 255) | _UNSUPPORTED[np.minimum(wide, 255)])
    chars = wide[at]
    distinct = np.unique(chars)
    how = [_stand_in(chr(c)) if spelled_out(chr(c)) is None else None
           for c in distinct.tolist()]
    bounds = _bounds(texts)
    doc = np.searchsorted(bounds, at, side="right") - 1
    kind = np.searchsorted(distinct, chars)
    to_spell = np.array([h is None for h in how], dtype=bool)
    out: list[_Prepared | None] = [None] * len(texts)
    for k in np.unique(doc[to_spell[kind]]).tolist():
        out[k] = _prepare(texts[k])
    raw = sub.encode("latin-1", errors="replace")
    codes = np.frombuffer(raw, dtype=np.uint8).copy()
    byte = np.array([0 if h is None else _KERNEL_BLANK if h[0] == " " else ord(h[0])
                     for h in how], dtype=np.uint8)
    codes[at] = byte[kind]
    codes = codes.tobytes()
    folded = np.array([bool(h and h[1]) for h in how], dtype=bool)[kind]
    junk = np.bincount(doc[chars == 0xFFFD], minlength=len(texts)).tolist()
    # per text: its special characters are at[first[k]:first[k + 1]]
    first = np.searchsorted(doc, np.arange(len(texts) + 1)).tolist()
    at_list, kind_list, folded_list = at.tolist(), kind.tolist(), folded.tolist()
    for k in range(len(texts)):
        if out[k] is not None:
            continue
        lo, hi = int(bounds[k]), int(bounds[k + 1]) - 1
        sel = [j for j in range(first[k], first[k + 1]) if folded_list[j]]
        out[k] = _Prepared(codes[lo:hi], None, [at_list[j] - lo for j in sel],
                           [how[kind_list[j]][1] for j in sel], junk[k])
    return out


def fold_batch(texts: list[str], *, pieces: bool = True, dfa: Dfa | None = None
               ) -> FoldedBatch:
    """Fold many texts as :func:`~harkit.text.normalise.normalise` folds each.

    One compiled pass over the batch (:func:`harkit.text._foldjit.fold_kernel`), which
    also finds the keys of ``dfa`` in the folded text. The few
    texts that hold characters the kernel cannot read as they are (beyond Latin-1, ``µ``,
    ``¼ ½ ¾``) are prepared first, each on its own: characters that fold one to one are
    stood in, the others spelled out (``½`` -> ``1/2``); the kernel then maps the
    positions of those texts back through their own map, and only theirs.

    Parameters
    ----------
    texts : list of str
        Any texts.
    pieces : bool, default True
        Also build the piece arrays (the exact map of every folded word back to its
        original word, for :meth:`FoldedBatch.normalised`). Without them the result still
        maps any position both ways and has the word spans, at a lower cost. Either way
        :attr:`FoldedBatch.text` and :attr:`FoldedBatch.scan_text` are made on first use:
        a compiled caller can work on :attr:`FoldedBatch.codes` alone.
    dfa : harkit.text._compiled.Dfa, optional
        An automaton of folded keys (one byte per character), walked over the folded
        texts as the kernel makes them (no second pass over the batch): its matches are
        :attr:`FoldedBatch.found`. None finds nothing.

    Returns
    -------
    FoldedBatch
    """
    texts = list(texts)
    n_docs = len(texts)
    orig_bounds = _bounds(texts)
    beyond = np.zeros(n_docs, dtype=bool)
    parts = []
    for i, t in enumerate(texts):
        try:
            parts.append(t.encode("latin-1"))
        except UnicodeEncodeError:
            parts.append(t.encode("latin-1", errors="replace"))
            beyond[i] = True
    latin1 = b"\n".join(parts)  # each text where it is in the join of the texts
    # the texts the kernel cannot read as they are: beyond Latin-1, or with µ ¼ ½ ¾ (a
    # fast byte search each, over the whole batch)
    at = []
    for c in _KERNEL_UNREAD:
        q = latin1.find(c)
        while q >= 0:
            at.append(q)
            q = latin1.find(c, q + 1)
    todo = np.union1d(np.flatnonzero(beyond),
                      np.searchsorted(orig_bounds, at, side="right") - 1).tolist()
    prepared = dict(zip(todo, _prepare_many([texts[i] for i in todo]))) if todo else {}
    a = np.frombuffer(latin1, dtype=np.uint8)
    if prepared:
        a = a.copy()
        for i, p in prepared.items():
            # stand-ins in place (same length); a text whose characters were spelled out
            # keeps its place (the kernel reads it from a buffer of its own)
            if p.origin is None:
                a[orig_bounds[i]:orig_bounds[i + 1] - 1] = np.frombuffer(p.codes,
                                                                         dtype=np.uint8)
    spelled = [(i, p) for i, p in prepared.items() if p.origin is not None]
    n = len(a)
    spelled_at = np.full((n_docs, 2), -1, dtype=np.int64)
    if spelled:
        sizes = np.array([len(p.codes) + 1 for _, p in spelled], dtype=np.int64)
        spelled_at[[i for i, _ in spelled], 0] = np.cumsum(sizes) - sizes
        spelled_at[[i for i, _ in spelled], 1] = np.cumsum(sizes) - 1
        ext = np.frombuffer(b"\n".join(p.codes for _, p in spelled), dtype=np.uint8)
        origin = np.concatenate([p.origin for _, p in spelled])
    else:
        ext, origin = a, np.zeros(1, dtype=np.int64)
    n_in = n + (len(ext) if spelled else 0)  # characters the kernel reads, at most
    n_out = 2 * n_in + 2
    # room for the worst case (x and æ fold to two): numpy allocates lazily, so only what
    # the kernel writes is ever touched
    out = np.empty(n_out, dtype=np.uint8)
    src = np.empty(n_out, dtype=np.int32 if n_in < 2**31 - 1 else np.int64)
    blank_end = np.empty(n_out if spelled else 1, dtype=np.int64)
    doc_start = np.empty(n_docs + 1, dtype=np.int64)
    counts = np.empty(n_docs, dtype=np.int64)
    spans = np.empty((4, n_in // 2 + 2), dtype=np.int64)  # words need a separator between
    if dfa is None:
        dfa = _NO_KEYS
    f_end = np.empty(n_out, dtype=np.int64)  # (at most one per folded character)
    f_row = np.empty(n_out, dtype=np.int64)
    m, nw, nf = _foldjit.fold_kernel(a, orig_bounds, _TABS, out, src, doc_start, counts,
                                     spans, ext, spelled_at, origin, blank_end, dfa.step,
                                     dfa.byte_class, int(dfa.key_length.max(initial=0)),
                                     f_end, f_row)
    if m < 0:  # pragma: no cover - _prepare spells out ¼ ½ ¾
        raise _cannot_fold(chr(a[nw]))
    out, src = out[:m], src[:m + 1]
    words = [row[:nw] for row in spans]
    if not n_docs:
        doc_start = np.array([0, 1], dtype=np.int64)  # as for one empty text
    stand_ins = None
    for i, p in prepared.items():
        counts[i] += p.junk
    at = [int(orig_bounds[i]) + q for i, p in prepared.items() for q in p.stand_at]
    if at:
        stand_ins = (np.array(at, dtype=np.int64),
                     [f for p in prepared.values() for f in p.stand_as])
    batch = FoldedBatch(texts=texts, codes=out, doc_start=doc_start,
                        orig_doc_start=orig_bounds[:-1], src=src, word_start=words[0],
                        word_end=words[1], orig_word_start=words[2], orig_word_end=words[3],
                        control_counts=counts, latin1=latin1,
                        beyond_latin1=beyond, _stand_ins=stand_ins)
    batch.found = key_matches(dfa, f_end[:nf], f_row[:nf])
    if pieces:
        piece = [np.empty(m, dtype=np.int64) for _ in range(3)]
        npc = _foldjit.pieces_kernel(out, src, *words, *piece, spelled_at[:, 0] >= 0,
                                     blank_end)
        batch.piece_start, batch.piece_orig_start, batch.piece_orig_end = (
            p[:npc] for p in piece)
    return batch
