"""Deciding the encoding of a delivered text file, with the evidence for the decision.

Every text file is turned into UTF-8 bytes before it is split into records, so that the
record splitter and the parser see one encoding. A file is never re-decoded as a whole
because a few bytes do not fit: a UTF-8 file with stray bytes stays UTF-8 and the rows
holding those bytes are rejected (see :mod:`harkit.io.text`).
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

#: Encodings recognised without a byte-order mark (UTF-16/32 are told by their NULs).
ENCODINGS = ("utf-8", "cp1252", "latin-1")
#: Bytes 0x80-0x9F that Windows-1252 leaves undefined (Latin-1 reads them as controls).
_CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
#: Share of high bytes that must decode to letters or punctuation (not to control
#: characters) before a file without any valid multibyte UTF-8 sequence is read as
#: Windows-1252 or Latin-1.
SINGLE_BYTE_LETTER_SHARE = 0.5
#: Bytes looked at to recognise UTF-16/32 without a byte-order mark.
_SAMPLE = 1 << 16
_LABELS = {
    "utf-8": "UTF-8", "utf-8-sig": "UTF-8 with byte-order mark",
    "utf-16": "UTF-16 with byte-order mark", "utf-32": "UTF-32 with byte-order mark",
    "utf-16-le": "UTF-16 little-endian", "utf-16-be": "UTF-16 big-endian",
    "utf-32-le": "UTF-32 little-endian", "utf-32-be": "UTF-32 big-endian",
    "cp1252": "Windows-1252", "latin-1": "Latin-1",
}


@dataclass(frozen=True)
class Decoding:
    """How a text file is decoded, and why.

    Attributes
    ----------
    codec : str
        Python codec: ``utf-8``, ``utf-8-sig``, ``utf-16``, ``utf-32`` (with byte-order
        mark), ``utf-16-le``/``-be``, ``utf-32-le``/``-be`` (without), ``cp1252`` or
        ``latin-1``.
    evidence : str
        One sentence: what in the bytes decided it (never a value from the file).
    guessed : bool
        True when nothing in the file states its encoding (no byte-order mark) and it is
        not valid UTF-8, so the decision is a reasoned guess worth a note.
    """

    codec: str
    evidence: str
    guessed: bool = False

    @property
    def label(self) -> str:
        """Readable name of the encoding."""
        return _LABELS.get(self.codec, self.codec)


def _bom(data: bytes) -> Decoding | None:
    # UTF-32 first: its little-endian mark starts with the UTF-16 one.
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return Decoding("utf-32", "byte-order mark")
    if data.startswith(codecs.BOM_UTF8):
        return Decoding("utf-8-sig", "byte-order mark")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Decoding("utf-16", "byte-order mark")
    return None


def _nul_pattern(data: bytes) -> Decoding | None:
    """UTF-16/32 without a byte-order mark: text below U+0100 puts NULs in fixed slots."""
    n = min(len(data), _SAMPLE) // 4 * 4
    if n < 4 or b"\x00" not in data[:n]:
        return None
    b = np.frombuffer(data, dtype=np.uint8, count=n)
    zero4 = (b.reshape(-1, 4) == 0).mean(axis=0)
    zero2 = (b.reshape(-1, 2) == 0).mean(axis=0)
    found = None
    if zero4[2] > 0.95 and zero4[3] > 0.95 and zero4[0] < 0.05:
        found = "utf-32-le"
    elif zero4[0] > 0.95 and zero4[1] > 0.95 and zero4[3] < 0.05:
        found = "utf-32-be"
    elif zero2[1] > 0.5 and zero2[0] < 0.05:
        found = "utf-16-le"
    elif zero2[0] > 0.5 and zero2[1] < 0.05:
        found = "utf-16-be"
    if found is None:
        return None
    unit = 4 if found.startswith("utf-32") else 2
    try:
        data[: n // unit * unit].decode(found)
    except UnicodeDecodeError as err:
        if err.start < n - 4:  # a character cut at the end of the sample is fine
            return None
    return Decoding(found, f"no byte-order mark; NUL bytes in the pattern of {_LABELS[found]}",
                    guessed=True)


def _is_utf8(data: bytes) -> bool:
    """Whether the bytes are valid UTF-8 (as Python's codec decides), checked by Arrow's
    vectorised validation of the bytes where they lie (several times faster)."""
    if data.isascii():
        return True
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    one = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        one.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def utf8_check(b: np.ndarray) -> tuple[int, np.ndarray]:
    """Find the bytes that are not part of a valid UTF-8 sequence.

    Parameters
    ----------
    b : numpy.ndarray
        The bytes (``uint8``).

    Returns
    -------
    (int, numpy.ndarray)
        The number of valid multibyte sequences, and the sorted positions of invalid bytes.
    """
    high = np.flatnonzero(b >= 0x80)
    if not len(high):
        return 0, high
    pad = np.concatenate([b, np.zeros(3, dtype=np.uint8)])
    v = pad[high]
    length = np.select([(v >= 0xC2) & (v <= 0xDF), (v >= 0xE0) & (v <= 0xEF),
                        (v >= 0xF0) & (v <= 0xF4)], [2, 3, 4], 0)
    c1, c2, c3 = pad[high + 1], pad[high + 2], pad[high + 3]

    def cont(x: np.ndarray) -> np.ndarray:
        return (x >= 0x80) & (x <= 0xBF)

    # The second byte is narrower after E0, ED, F0 and F4 (no overlongs, no surrogates).
    lo = np.select([v == 0xE0, v == 0xF0], [0xA0, 0x90], 0x80)
    hi = np.select([v == 0xED, v == 0xF4], [0x9F, 0x8F], 0xBF)
    ok = (length >= 2) & (c1 >= lo) & (c1 <= hi)
    ok &= (length < 3) | cont(c2)
    ok &= (length < 4) | cont(c3)
    ok &= high + length <= len(b)
    starts = high[ok]
    lens = length[ok]
    covered = np.zeros(len(b) + 4, dtype=bool)
    for k in range(4):
        covered[starts[lens > k] + k] = True
    return int(ok.sum()), high[~covered[high]]


def _is_text_char(ch: str) -> bool:
    # Letters (æ, ø, å, é ...), and the punctuation and signs of typed text (« » – ’ ° ½).
    return unicodedata.category(ch)[0] in "LPSN" or ch == "\xa0"


def _single_byte(data: bytes, b: np.ndarray) -> Decoding | None:
    """Windows-1252 or Latin-1, if the high bytes are mostly text characters in it."""
    high = np.unique(b[b >= 0x80])
    codec = "latin-1" if np.isin(high, _CP1252_UNDEFINED).any() else "cp1252"
    counts = np.bincount(b[b >= 0x80], minlength=256)
    text = sum(int(counts[h]) for h in high if _is_text_char(bytes([int(h)]).decode(codec)))
    total = int(counts.sum())
    if text < SINGLE_BYTE_LETTER_SHARE * total:
        return None
    return Decoding(codec, f"not UTF-8 (no valid multibyte sequence); {text} of {total} "
                           f"bytes above 0x7F are letters or punctuation in "
                           f"{_LABELS[codec]}", guessed=True)


def decide_encoding(data: bytes) -> tuple[Decoding, np.ndarray]:
    """Decide how to decode a delivered text file, with the evidence.

    In order: a byte-order mark decides; else a NUL pattern reveals UTF-16/32; else
    valid UTF-8 is UTF-8; else a file without a single valid multibyte UTF-8 sequence
    whose high bytes are mostly letters or punctuation (at least
    :data:`SINGLE_BYTE_LETTER_SHARE`) is
    Windows-1252 (Latin-1 when it holds bytes Windows-1252 leaves undefined); anything
    else is UTF-8 with invalid bytes.

    Parameters
    ----------
    data : bytes
        The file content.

    Returns
    -------
    (Decoding, numpy.ndarray)
        The decision, and the positions in ``data`` of bytes that are not valid UTF-8
        (empty unless the file is UTF-8 with invalid bytes).
    """
    none = np.zeros(0, dtype=np.int64)
    found = _bom(data) or _nul_pattern(data)
    if found is not None:
        return found, none
    if _is_utf8(data):
        return Decoding("utf-8", "ASCII only" if data.isascii() else "valid UTF-8"), none
    b = np.frombuffer(data, dtype=np.uint8)
    valid, bad = utf8_check(b)
    if valid == 0:
        single = _single_byte(data, b)
        if single is not None:
            return single, none
    return Decoding("utf-8", f"UTF-8 ({valid} valid multibyte sequences) with {len(bad)} "
                             "bytes that are not UTF-8: rows holding them are rejected",
                    guessed=True), bad.astype(np.int64)


def detect_encoding(data: bytes) -> str:
    """Detect the encoding of a delivered text file.

    Parameters
    ----------
    data : bytes
        The file content.

    Returns
    -------
    str
        A Python codec name (see :class:`Decoding`); :func:`decide_encoding` also gives
        the evidence and the invalid bytes.
    """
    return decide_encoding(data)[0].codec


def to_utf8(data: bytes, decoding: Decoding, bad: np.ndarray) -> tuple[bytes, np.ndarray]:
    """The file as UTF-8 bytes, and the positions there of bytes that could not be decoded.

    Parameters
    ----------
    data : bytes
        The file content.
    decoding : Decoding
        From :func:`decide_encoding`.
    bad : numpy.ndarray
        Invalid byte positions from :func:`decide_encoding` (UTF-8 files).

    Returns
    -------
    (bytes, numpy.ndarray)
        UTF-8 content without a byte-order mark; sorted positions of undecodable input.
    """
    codec = decoding.codec
    if codec == "utf-8":
        return data, bad
    if codec == "utf-8-sig":
        body = data[len(codecs.BOM_UTF8):]
        return body, utf8_check(np.frombuffer(body, dtype=np.uint8))[1].astype(np.int64)
    text = data.decode(codec, errors="replace")  # utf-16/utf-32 consume their mark
    out = text.encode("utf-8")
    if "\ufffd" not in text:
        return out, np.zeros(0, dtype=np.int64)
    # A replacement character marks input that could not be decoded (a cut or a lone
    # surrogate): its rows are rejected like invalid UTF-8 bytes.
    b = np.frombuffer(out, dtype=np.uint8)
    cand = np.flatnonzero(b[:-2] == 0xEF) if len(b) > 2 else np.zeros(0, dtype=np.int64)
    hit = cand[(b[cand + 1] == 0xBF) & (b[cand + 2] == 0xBD)]
    return out, hit.astype(np.int64)
