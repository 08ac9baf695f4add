"""Vectorised normalisation of many record texts at once.

:func:`fold_batch` produces, for a list of texts, exactly what :func:`normalise` produces
for each of them (the same folded text, the same word pieces and the same map back to the
original), but with numpy operations over the whole batch instead of a Python loop over
words. That is what lets the search engine scan tens of MB of text per second per core.

It works on texts whose characters are all in Latin-1 (Norwegian record text is; OCR output
rarely leaves it). :func:`split_latin1` sorts a batch into texts it can fold and texts the
caller must give to :func:`normalise` one by one.

The folding is the one documented in :mod:`harkit.text.normalise`, applied in the same
order: line-end hyphens joined; lower case, ``æ`` -> ``ae``, ``ø`` -> ``o`` and accents
stripped; ``ch``/``ph``/``th``/``qu``/``c``/``x``/``rn``; ``1`` then ``0`` next to a
letter; doubled letters collapsed; whitespace runs to one blank, none at either end of a
text. Each rule looks only at neighbouring characters, so it can be applied to all words
of the batch at once; words never touch (a non-word character always separates them).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from harkit.text.normalise import Normalised

__all__ = ["FoldedBatch", "fold_batch", "split_latin1"]

_W_RX = re.compile(r"\w")
_S_RX = re.compile(r"[\s\x00-\x1f\x7f]")
# The same line-end hyphen the word pieces of normalise() join across.
# (no look-behind: a literal first character lets the regex engine skip ahead fast)
_BREAK = re.compile(r"-[ \t]*\r?\n\s*(?=\w)")
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
_AZ = np.zeros(256, dtype=bool)
_AZ[ord("a"):ord("z") + 1] = True
_T_WORD = _WORD.astype(np.uint8).tobytes()
_T_SPACE = _SPACE.astype(np.uint8).tobytes()
_T_FIRST = _FIRST.tobytes()
_T_WIDE = (_WIDTH == 2).astype(np.uint8).tobytes()
_T_AZ = _AZ.astype(np.uint8).tobytes()
_T_FIRST_BLANK = np.where(_SPACE, 32, _FIRST).astype(np.uint8).tobytes()
_T_UNSUPPORTED = _UNSUPPORTED.astype(np.uint8).tobytes()
_T_CONTROL = np.isin(np.arange(256), [*range(0, 9), *range(14, 32), 127]).astype(
    np.uint8).tobytes()


def _b(ch: str) -> int:
    return ord(ch)


_SPECIAL = re.compile("[^\x00-\xff]|[" + "".join(
    chr(c) for c in np.flatnonzero(_UNSUPPORTED)) + "]")
#: Stand-ins inside Latin-1 for characters beyond it: a word character and an other one
#: that no folding rule touches.
_WORD_STAND_IN, _OTHER_STAND_IN = "þ", "¦"


@lru_cache(maxsize=4096)
def _stand_in(ch: str) -> tuple[str, str] | None:
    """How a character outside Latin-1 (or µ ¼ ½ ¾) is folded one to one.

    Returns ``(stand-in, folded character)``: the Latin-1 character to fold in its place
    and the character :func:`~harkit.text.normalise.normalise` puts in the folded text
    (None where they are the same). None when the character does not fold to exactly one
    character of its own class (ligatures, combining marks, fractions): texts with those
    are folded one by one.
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


def _specials(joined: str) -> list[tuple[int, str]]:
    """Positions and characters of the characters beyond Latin-1 and of µ ¼ ½ ¾."""
    try:
        codes = np.frombuffer(joined.encode("latin-1"), dtype=np.uint8)
    except UnicodeEncodeError:
        wide = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        at = np.flatnonzero((wide > 255) | _UNSUPPORTED[np.minimum(wide, 255)])
    else:
        at = np.flatnonzero(_lut(codes, _T_UNSUPPORTED, bool))
    return [(i, joined[i]) for i in at.tolist()]


def split_latin1(texts: list[str]) -> tuple[list[int], list[int]]:
    """Positions of the texts :func:`fold_batch` can fold, and of the others.

    Texts outside Latin-1 can be folded when each such character folds to one character
    of its own class (typographic dashes and quotes, most letters of other alphabets);
    ligatures, combining marks and fractions need :func:`normalise`.

    Parameters
    ----------
    texts : list of str

    Returns
    -------
    ok, other : list of int
    """
    joined = _SEP.join(texts)
    if not _SPECIAL.search(joined):
        return list(range(len(texts))), []
    ok, other = [], []
    for i, t in enumerate(texts):
        bad = any(_stand_in(c) is None for c in set(_SPECIAL.findall(t)))
        (other if bad else ok).append(i)
    return ok, other


@dataclass
class FoldedBatch:
    """Folded texts of a batch, joined by ``"\\n"``, with their map to the originals.

    Attributes
    ----------
    text : str
        The folded texts joined by ``"\\n"`` (which folding never produces).
    texts : list of str
        The original texts.
    doc_start : numpy.ndarray
        Start of each folded text in :attr:`text` (one more entry: ``len(text) + 1``).
    orig_doc_start : numpy.ndarray
        Start of each original text in the originals joined by ``"\\n"``.
    steps : list
        The deletions and insertions folding made, to map positions back.
    joined : str
        The original texts joined by ``"\\n"``.
    codes : numpy.ndarray
        :attr:`text` as Latin-1 codes, with stand-ins for characters beyond Latin-1.
    scan_text : str
        The same as a Latin-1 string (stand-ins in place): what the automaton scans, at
        one byte per character (no lexicon term contains a stand-in).
    control_counts : numpy.ndarray
        Control characters (other than tab, line and page breaks) in each text.
    piece_start, piece_orig_start, piece_orig_end : numpy.ndarray or None
        Pieces as in :class:`~harkit.text.normalise.Normalised` (a folded word, or one
        other character), in batch coordinates; separators are not pieces. Only with
        ``fold_batch(..., pieces=True)``.
    word_start, word_end : numpy.ndarray or None
        Span of every folded word in :attr:`text` (with the pieces, or after
        :meth:`words`).
    """

    text: str
    texts: list[str]
    doc_start: np.ndarray
    orig_doc_start: np.ndarray
    steps: list = field(default_factory=list, repr=False)
    piece_start: np.ndarray | None = field(default=None, repr=False)
    piece_orig_start: np.ndarray | None = field(default=None, repr=False)
    piece_orig_end: np.ndarray | None = field(default=None, repr=False)
    word_start: np.ndarray | None = field(default=None, repr=False)
    word_end: np.ndarray | None = field(default=None, repr=False)
    control_counts: np.ndarray | None = field(default=None, repr=False)
    joined: str = field(default="", repr=False)
    codes: np.ndarray | None = field(default=None, repr=False)
    scan_text: str = field(default="", repr=False)

    def original_positions(self, positions) -> np.ndarray:
        """Positions in the originals joined by ``"\\n"`` of folded positions.

        A folded character made from several original ones (``ch`` -> ``k``) maps to the
        first of them.
        """
        return _back(positions, self.steps)

    def folded_positions(self, positions) -> np.ndarray:
        """Folded positions of positions in the originals joined by ``"\\n"``.

        An original character that folding dropped maps to the next folded one.
        """
        return _forward(positions, self.steps)

    def words(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and end of every folded word (computed once)."""
        if self.word_start is None:
            self.word_start, self.word_end = _runs(_lut(self.codes, _T_WORD, bool))
        return self.word_start, self.word_end

    def doc_of(self, positions) -> np.ndarray:
        """Index of the text each folded position falls in."""
        return np.searchsorted(self.doc_start, np.asarray(positions), side="right") - 1

    def normalised(self, i: int, lo: int | None = None, hi: int | None = None
                   ) -> tuple[Normalised, int]:
        """Text ``i`` (or its folded span ``[lo, hi)``, batch coordinates) as a Normalised.

        Returns the object and the batch offset of its ``text[0]``; its piece spans refer
        to the original text ``i``. ``words`` are those inside the span.
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


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of the runs of True in a boolean array."""
    first = mask.copy()
    first[1:] &= ~mask[:-1]
    last = mask.copy()
    last[:-1] &= ~mask[1:]
    return np.flatnonzero(first), np.flatnonzero(last) + 1


def _lut(codes: np.ndarray, table: bytes, dtype=np.uint8) -> np.ndarray:
    """``table[codes]`` through bytes.translate (much faster than numpy fancy indexing)."""
    return np.frombuffer(codes.tobytes().translate(table), dtype=dtype)


def _compress(keep: np.ndarray, steps: list, *arrays: np.ndarray,
              gone: np.ndarray | None = None) -> list[np.ndarray]:
    """Drop the positions where ``keep`` is False, recording them for :func:`_back`."""
    gone = np.flatnonzero(~keep) if gone is None else gone
    if len(gone):
        steps.append(("del", gone - np.arange(len(gone))))
        return [arr[keep] for arr in arrays]
    return list(arrays)


def _expand(out: np.ndarray, after: np.ndarray, values, steps: list) -> np.ndarray:
    """Insert ``values`` after the positions ``after``, recording them for :func:`_back`."""
    if not len(after):
        return out
    new_pos = after + 1 + np.arange(len(after))
    steps.append(("ins", new_pos))
    old = np.ones(len(out) + len(after), dtype=bool)
    old[new_pos] = False
    res = np.empty(len(old), dtype=out.dtype)
    res[old] = out
    res[new_pos] = values
    return res


def _back(positions: np.ndarray, steps: list) -> np.ndarray:
    """Map positions of the folded text back to the joined originals."""
    q = np.asarray(positions, dtype=np.int64)
    for kind, arr in reversed(steps):
        if kind == "del":
            q = q + np.searchsorted(arr, q, side="right")
        else:
            q = q - np.searchsorted(arr, q, side="right")
    return q


def _forward(positions: np.ndarray, steps: list) -> np.ndarray:
    """Map positions of the joined originals to the folded text (inverse of :func:`_back`)."""
    q = np.asarray(positions, dtype=np.int64)
    for kind, arr in steps:
        if kind == "del":
            gone = arr + np.arange(len(arr))
            q = q - np.searchsorted(gone, q, side="left")
        else:
            source = arr - 1 - np.arange(len(arr))
            q = q + np.searchsorted(source, q, side="left")
    return q


def fold_batch(texts: list[str], *, pieces: bool = True) -> FoldedBatch:
    """Fold many texts as :func:`~harkit.text.normalise.normalise` folds each.

    Parameters
    ----------
    texts : list of str
        Texts whose characters are all Latin-1 and none of ``µ ¼ ½ ¾`` (see
        :func:`split_latin1`).
    pieces : bool, default True
        Also build the piece arrays (the exact map of every folded word back to its
        original word). Without them the result still maps any folded position back
        (:meth:`FoldedBatch.original_positions`), at a fraction of the cost.

    Returns
    -------
    FoldedBatch

    Raises
    ------
    UnicodeEncodeError
        A text has a character outside Latin-1.
    ValueError
        A text has a character whose folding leaves Latin-1.
    """
    joined = _SEP.join(texts)
    specials = _specials(joined)
    folded_as: list[tuple[int, str]] = []  # (position, folded character) of stand-ins
    if not specials:
        a = np.frombuffer(joined.encode("latin-1"), dtype=np.uint8)
    else:
        how = {c: _stand_in(c) for c in {c for _, c in specials}}
        bad = [c for c, h in how.items() if h is None]
        if bad:
            raise ValueError(f"a text has a character ({bad[0]!r}) that fold_batch cannot "
                             "fold one to one (use split_latin1)")
        # one byte per character either way, so positions stay put
        a = np.frombuffer(joined.encode("latin-1", errors="replace"), dtype=np.uint8).copy()
        a[[p for p, _ in specials]] = [ord(how[c][0]) for _, c in specials]
        folded_as = [(p, how[c][1]) for p, c in specials if how[c][1]]
    n = len(a)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    orig_doc_start = np.concatenate([[0], np.cumsum(lengths + 1)])[:-1]
    sep_pos = orig_doc_start[1:] - 1
    steps: list = []

    # 1. line-end hyphens inside a text are dropped; they join the word around them
    ws = _lut(a, _T_SPACE, bool)  # the separators are blanks too
    broken = None
    if "-" in joined:
        spans = np.array([m.span() for m in _BREAK.finditer(joined)], dtype=np.int64)
        if len(spans):
            inside = (np.searchsorted(sep_pos, spans[:, 0])
                      == np.searchsorted(sep_pos, spans[:, 1]))
            inside &= spans[:, 0] > 0
            inside &= _WORD[a[np.maximum(spans[:, 0] - 1, 0)]]
            s0, s1 = spans[inside, 0], spans[inside, 1]
            if len(s0):
                lens = s1 - s0
                offs = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
                broken = np.zeros(n, dtype=bool)
                broken[np.repeat(s0, lens) + offs] = True
                ws = ws & ~broken
    # whitespace: one blank per run (its first character), none at either end of a text
    keep = ~ws
    keep[0:1] |= ws[0:1]
    keep[1:] |= ws[1:] & ~ws[:-1]
    if broken is not None:
        keep &= ~broken
    for p in [-1, *sep_pos.tolist(), n]:
        lo = p
        while lo > 0 and ws[lo - 1]:
            lo -= 1
        hi = p + 1
        while hi < n and ws[hi]:
            hi += 1
        keep[max(lo, 0):hi] = False
    keep[sep_pos] = True
    gone = np.flatnonzero(~keep)
    (x,) = _compress(keep, steps, a, gone=gone)
    sep_x = sep_pos - np.searchsorted(gone, sep_pos)

    # 2. characters: lower case, æ -> ae, accents stripped (words), blanks to " ";
    # others lowered
    out = _lut(x, _T_FIRST_BLANK).copy()
    out[sep_x] = ord(_SEP)
    if "æ" in joined or "Æ" in joined:
        wide = np.flatnonzero(_lut(x, _T_WIDE, bool))
        out = _expand(out, wide, _SECOND[x[wide]], steps)

    # 3. ch -> k, ph -> f, th -> t, qu -> kv, c -> k, x -> ks, rn -> m (one pass: the
    # rules never overlap, see the module docstring)
    m = len(out)
    h = np.flatnonzero(out == _b("h"))
    h = h[h > 0]
    before = out[h - 1]
    h = h[(before == _b("c")) | (before == _b("p")) | (before == _b("t"))]
    out[h[out[h - 1] == _b("p")] - 1] = _b("f")
    r = np.flatnonzero((out[:-1] == _b("r")) & (out[1:] == _b("n")))
    out[r] = _b("m")
    q = np.flatnonzero(out == _b("q"))
    q = q[(q + 1 < m) & (out[np.minimum(q + 1, m - 1)] == _b("u"))]
    out[q] = _b("k")
    out[q + 1] = _b("v")
    out[out == _b("c")] = _b("k")
    drop = np.union1d(h, r + 1)
    if len(drop):
        keep = np.ones(len(out), dtype=bool)
        keep[drop] = False
        (out,) = _compress(keep, steps, out, gone=drop)
    if "x" in joined or "X" in joined:
        wide = np.flatnonzero(out == _b("x"))
        out[wide] = _b("k")
        out = _expand(out, wide, np.uint8(_b("s")), steps)

    # 4-5. 1 then 0 next to a letter -> l, o
    for digit, letter in (("1", "l"), ("0", "o")):
        where = np.flatnonzero(out == _b(digit))
        if len(where):
            az = _AZ[out[np.maximum(where - 1, 0)]] & (where > 0)
            az |= _AZ[out[np.minimum(where + 1, len(out) - 1)]] & (where + 1 < len(out))
            out[where[az]] = _b(letter)

    # 6. doubled letters collapsed
    twin = np.flatnonzero(out[1:] == out[:-1]) + 1
    twin = twin[_AZ[out[twin]]]
    if len(twin):
        keep = np.ones(len(out), dtype=bool)
        keep[twin] = False
        (out,) = _compress(keep, steps, out, gone=twin)

    text = scan_text = out.tobytes().decode("latin-1")
    if folded_as:
        at = _forward(np.array([p for p, _ in folded_as], dtype=np.int64), steps).tolist()
        parts, last = [], 0
        for q, (_, f) in zip(at, folded_as):
            parts += [text[last:q], f]
            last = q + 1
        text = "".join(parts) + text[last:]
    doc_start = np.concatenate([[0], np.flatnonzero(out == ord(_SEP)) + 1, [len(out) + 1]])
    controls = np.flatnonzero(_lut(a, _T_CONTROL, bool))
    if specials and "\ufffd" in joined:  # replacement characters count as garbage too
        junk = np.array([p for p, c in specials if c == "\ufffd"], dtype=np.int64)
        controls = np.union1d(controls, junk)
    bounds = np.append(orig_doc_start, n + 1)
    counts = np.diff(np.searchsorted(controls, bounds))
    batch = FoldedBatch(text=text, texts=list(texts), doc_start=doc_start,
                        orig_doc_start=orig_doc_start, steps=steps, control_counts=counts,
                        joined=joined, codes=out, scan_text=scan_text)
    if not pieces:
        return batch

    # pieces: each folded word maps to its whole original word, other characters to
    # themselves, a blank to its whole run
    idx = _back(np.arange(len(out)), steps)
    word = _lut(out, _T_WORD, bool)
    w_start, w_end = _runs(word)
    orig_word = _lut(a, _T_WORD, bool)
    if broken is not None:
        orig_word = orig_word | broken
    o_start, o_end = _runs(orig_word)
    if len(w_start) != len(o_start):  # pragma: no cover - a broken invariant
        raise RuntimeError("fold_batch: folded and original words do not pair up")
    first = word.copy()
    first[1:] &= ~word[:-1]
    p_start = np.flatnonzero(first | (~word & (out != ord(_SEP))))
    p_orig_end = np.empty(len(p_start), dtype=np.int64)
    is_word_piece = word[p_start]
    p_orig_end[is_word_piece] = o_end
    s_pos = p_start[~is_word_piece]
    nxt_orig = idx[np.minimum(s_pos + 1, len(idx) - 1)]
    nxt_orig[s_pos + 1 >= len(idx)] = n
    p_orig_end[~is_word_piece] = np.where(out[s_pos] == 32, nxt_orig, idx[s_pos] + 1)
    batch.piece_start, batch.piece_orig_start = p_start, idx[p_start]
    batch.piece_orig_end, batch.word_start, batch.word_end = p_orig_end, w_start, w_end
    return batch
