"""Normalise record text once, keeping a map back to the original characters.

:func:`normalise` folds a record text to the canonical form that concept terms and context
triggers are matched against, and keeps for every normalised character the span of the
original text it came from, so hits can be shown as snippets of the original page.

Folding (one canonical form, so modern, historical and OCR spellings meet):

* each word is folded with :func:`harkit.icd.text.fold_text`, the folding used for
  diagnosis texts: lower case, Unicode compatibility forms (NFKD) with accents stripped,
  ``æ`` -> ``ae``, ``ø``/``ö`` -> ``o``, ``å``/``aa`` -> ``a``, ``ch`` -> ``k``,
  ``ph`` -> ``f``, ``th`` -> ``t``, ``c`` -> ``k``, ``qu`` -> ``kv``, ``x`` -> ``ks``,
  OCR ``rn`` -> ``m`` and ``1``/``0`` next to a letter -> ``l``/``o``, doubled letters
  collapsed. So ``Paa``/``på`` -> ``pa``, ``ikke`` -> ``ike``, ``Morphinisme`` ->
  ``morfinisme``, ``a1kohol`` -> ``alkohol``. Fold terms with :func:`fold` (the same
  function) before matching them against :attr:`Normalised.text`;
* a word broken by a hyphen at a line end is joined (``alko-\\nholisme`` ->
  ``alkoholisme``); a hyphen followed by a line break always joins, also in the rare
  ``alkohol-\\nog stoffmisbruk``;
* runs of whitespace and control characters become one space; other punctuation is kept
  (context rules need ``.``, ``;``, ``?``), lower-cased one to one;
* first of all, characters that do not fold to one character of their own kind are
  spelled out (:func:`expand`): fractions ``½`` -> ``1/2``, ligatures ``ﬁ`` -> ``fi``,
  combining accents dropped (``e`` + U+0301 -> ``e``). Every spelled-out character maps
  back to the one original character, so offsets stay exact; the batch folding does the
  same, so every text takes the one fast path.

Offsets are per word: every character of a folded word maps to the whole original word
(folding may change its length), every other character to itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from harkit.icd.text import fold_text

__all__ = ["Normalised", "expand", "fold", "normalise", "tokens"]

# A word: letters/digits (and combining marks of decomposed input), possibly broken by a
# hyphen at a line end.
_WORD = r"(?:\w|[\u0300-\u036f])+"
_PIECE = re.compile(rf"(?P<w>{_WORD}(?:-[ \t]*\r?\n\s*{_WORD})*)|(?P<s>[\s\x00-\x1f\x7f]+)|.",
                    re.DOTALL)
_HYPHEN_BREAK = re.compile(r"-[ \t]*\r?\n\s*")


_SLASHES = {"\u2044": "/", "\u2215": "/"}  # fraction and division slash


@lru_cache(maxsize=4096)
def spelled_out(ch: str) -> str | None:
    """What :func:`expand` writes for one character (None: the character stays).

    A character stays when it folds to one character of its own kind (a letter to a
    letter, a mark to a mark: ``–``, ``“``, ``ā``, ``α``). Otherwise (ligatures,
    fractions, combining accents, ``¼ ½ ¾``) it is spelled out in Latin-1 through its
    Unicode compatibility decomposition, accents dropped: ``½`` -> ``1/2``,
    ``ﬁ`` -> ``fi``, ``㎎`` -> ``mg``.
    """
    o = ord(ch)
    if 0x300 <= o <= 0x36F:
        return ""  # a combining accent: folding drops it anyway
    if (o < 256 and ch not in "¼½¾") or re.match(r"\s", ch):
        return None
    word = re.match(r"\w", ch) is not None
    if word:
        low = ch.lower().replace("æ", "ae").replace("ø", "o")
        low = "".join(x for x in unicodedata.normalize("NFKD", low)
                      if not unicodedata.combining(x))
    else:
        low = ch.lower()
    if (len(low) == 1 and (re.match(r"\w", low) is not None) == word
            and not re.match(r"\s", low) and ch not in "¼½¾"):
        return None  # one to one: the batch folding stands it in
    f = unicodedata.normalize("NFKD", ch)
    f = "".join(_SLASHES.get(x, x) for x in f if not unicodedata.combining(x))
    return "".join(x for x in f if ord(x) < 256 and x not in "¼½¾µ")


def expand(text: str) -> tuple[str, np.ndarray | None]:
    """Spell out the characters that do not fold one to one (see :func:`spelled_out`).

    Parameters
    ----------
    text : str

    Returns
    -------
    expanded : str
    origin : numpy.ndarray or None
        ``int64[len(expanded) + 1]``: the position in ``text`` each character of
        ``expanded`` comes from, then ``len(text)``; None when nothing was spelled out
        (``expanded is text``).
    """
    if text.isascii():
        return text, None
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        wide = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        codes = np.unique(wide[(wide > 255) | ((wide >= 0xBC) & (wide <= 0xBE))])
        distinct = [chr(c) for c in codes.tolist()]
    else:
        distinct = [c for c in "¼½¾" if c in text]
    # most characters beyond Latin-1 (dashes, quotes) stay: only the others are looked for
    todo = {c: sub for c in distinct if (sub := spelled_out(c)) is not None}
    if not todo:
        return text, None
    rx = re.compile("[" + "".join(re.escape(c) for c in todo) + "]")
    found = [(m.start(), todo[m.group()]) for m in rx.finditer(text)]
    parts: list[str] = []
    last = 0
    for pos, sub in found:
        parts += [text[last:pos], sub]
        last = pos + 1
    parts.append(text[last:])
    expanded = "".join(parts)
    # origin steps by one per character, but stays put inside a spelled-out run and
    # jumps over a character spelled out as nothing
    step = np.ones(len(expanded) + 1, dtype=np.int64)
    step[0] = 0
    shift = 0  # expanded minus original position so far
    for pos, sub in found:
        q = pos + shift
        if sub:
            step[q + 1:q + len(sub)] = 0
        if not sub:
            step[q] += 1  # the next character: one further on
        shift += len(sub) - 1
    origin = np.cumsum(step)
    origin[-1] = len(text)
    return expanded, origin


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> str:
    return fold_text(_HYPHEN_BREAK.sub("", word))


def fold(text: str) -> str:
    """Fold a term or phrase exactly as :func:`normalise` folds record text.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        ``normalise(text).text`` without leading and trailing blanks.
    """
    return normalise(text).text.strip()


@dataclass(frozen=True)
class Normalised:
    """A normalised text with its map back to the original.

    Attributes
    ----------
    text : str
        The normalised text.
    original : str
        The text as given.
    piece_start, piece_orig_start, piece_orig_end : numpy.ndarray
        For each piece (a folded word, or one other character): its start in
        :attr:`text` and its span in :attr:`original`; pieces cover :attr:`text`.
    words : list of tuple of int
        ``(start, end)`` of each word in :attr:`text`.
    """

    text: str
    original: str
    piece_start: np.ndarray = field(repr=False)
    piece_orig_start: np.ndarray = field(repr=False)
    piece_orig_end: np.ndarray = field(repr=False)
    words: list[tuple[int, int]] = field(repr=False)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of :attr:`text` to the span of :attr:`original` it came from.

        Parameters
        ----------
        start, end : int
            ``0 <= start <= end <= len(text)``; clipped otherwise.

        Returns
        -------
        tuple of int
            The original span covering every piece the normalised span touches.
        """
        if not self.text:
            return 0, 0
        n = len(self.text)
        start, end = min(max(start, 0), n), min(max(end, 0), n)
        i = int(np.searchsorted(self.piece_start, start, side="right")) - 1
        j = int(np.searchsorted(self.piece_start, max(end - 1, start), side="right")) - 1
        return int(self.piece_orig_start[i]), int(max(self.piece_orig_end[j],
                                                      self.piece_orig_start[i]))

    def original_spans(self, starts, ends) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised :meth:`original_span` for many spans.

        Parameters
        ----------
        starts, ends : array-like of int

        Returns
        -------
        tuple of numpy.ndarray
        """
        s = np.clip(np.asarray(starts, dtype=np.int64), 0, len(self.text))
        e = np.clip(np.asarray(ends, dtype=np.int64), 0, len(self.text))
        if not self.text:
            return np.zeros_like(s), np.zeros_like(e)
        i = np.searchsorted(self.piece_start, s, side="right") - 1
        j = np.searchsorted(self.piece_start, np.maximum(e - 1, s), side="right") - 1
        i, j = np.clip(i, 0, None), np.clip(j, 0, None)
        os_ = self.piece_orig_start[i]
        return os_, np.maximum(self.piece_orig_end[j], os_)

    def snippet(self, start: int, end: int, width: int = 40) -> str:
        """The original text around a normalised span, on one line.

        Parameters
        ----------
        start, end : int
            Span in :attr:`text`.
        width : int, default 40
            Original characters shown on each side.

        Returns
        -------
        str
        """
        a, b = self.original_span(start, end)
        s = self.original[max(a - width, 0):b + width]
        return " ".join(s.split())


def normalise(text: str) -> Normalised:
    """Normalise a record text (see the module docstring for the folding).

    Never raises on a ``str``; anything else is converted with ``str()`` (``None`` and
    ``bytes`` are decoded leniently).

    Parameters
    ----------
    text : str

    Returns
    -------
    Normalised

    Examples
    --------
    >>> n = normalise("Alko-\\nholisme   paa  Ørje")
    >>> n.text
    'alkoholisme pa orje'
    >>> n.original[slice(*n.original_span(0, 11))]
    'Alko-\\nholisme'
    """
    if text is None:
        text = ""
    elif isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    elif not isinstance(text, str):
        text = str(text)
    original = text
    text, origin = expand(text)
    out: list[str] = []
    p_start: list[int] = []
    o_start: list[int] = []
    o_end: list[int] = []
    words: list[tuple[int, int]] = []
    pos = 0
    for m in _PIECE.finditer(text):
        a, b = m.span()
        kind = m.lastgroup
        if kind == "w":
            piece = _fold_word(m.group())
            if not piece:
                continue
            words.append((pos, pos + len(piece)))
        elif kind == "s":
            if not out or out[-1] == " ":
                continue  # no leading blank, no blank runs
            piece = " "
        else:
            piece = m.group().lower()
        out.append(piece)
        p_start.append(pos)
        o_start.append(a)
        o_end.append(b)
        pos += len(piece)
    if out and out[-1] == " ":
        out.pop()
        p_start.pop()
        o_start.pop()
        o_end.pop()
    o_s = np.asarray(o_start, dtype=np.int64)
    o_e = np.asarray(o_end, dtype=np.int64)
    if origin is not None and len(o_s):  # back to the characters before spelling out
        o_s, o_e = origin[o_s], np.where(o_e > o_s, origin[np.maximum(o_e - 1, 0)] + 1,
                                         origin[o_s])
    return Normalised("".join(out), original, np.asarray(p_start, dtype=np.int64),
                      o_s, o_e, words)


def tokens(normalised: Normalised) -> list[tuple[int, int]]:
    """Word spans of a normalised text.

    Parameters
    ----------
    normalised : Normalised

    Returns
    -------
    list of tuple of int
        ``(start, end)`` in ``normalised.text`` of each word, in order.
    """
    return list(normalised.words)
