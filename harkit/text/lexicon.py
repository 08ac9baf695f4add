"""Concepts as data: the record-text search lexicon.

A concept is one TOML file (or one ``[concepts.<name>]`` table in a file with several)::

    name = "alcohol"
    description = "Alcohol use, misuse and dependence"
    icd_categories = ["alcohol"]          # category names in codelists/substance.csv
    terms = [
      { term = "alkohol*", form = "modern", source = "https://..." },
      { term = "delirium tremens", form = "latin", source = "[U]" },
    ]
    regexes = [ { pattern = '\\bLAR\\b', ignore_case = false, source = "[U]" } ]

``term`` is a word or a phrase in lower case; a trailing ``*`` makes it a prefix
(``alkohol*`` also finds ``alkoholisme``). ``form`` is ``modern``, ``historical``,
``latin`` or ``ocr`` (an OCR misreading found in a corpus, see
:mod:`harkit.text.fuzzy`). ``source`` is required; ``[U]`` marks unsourced domain knowledge.
``exact = true`` matches a term only in its own spellings (diacritics kept; ``å``/``aa``
and ``ø``/``ö`` allowed), not in everything that folds to it: ``far`` (father) is not
``får`` (gets), ``speed`` is not ``sped`` (frail). Single words of up to three letters are
exact unless ``exact = false``. ``requires = [...]`` / ``unless = [...]`` name context
words of which one must / none may stand in the hit's sentence (``speed`` needs a word of
drug use, ``drakk`` must not be ``drakk kaffe``), ``exclude = [...]`` words the hit's own
word must not be (``alkoholfri*`` for ``alkohol*``); see :class:`TermFilter`.
:func:`load_lexicon` reads the shipped files and the user's; a user concept with the
name of a shipped one replaces it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from harkit.errors import HarkitError
from harkit.icd.text import fold_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Term forms; ``ocr`` marks corpus-derived OCR neighbours (:mod:`harkit.text.fuzzy`).
FORMS: tuple[str, ...] = ("modern", "historical", "latin", "ocr")
#: Historical/orthographic spelling pairs; each is applied in both directions.
SPELLING_PAIRS: tuple[tuple[str, str], ...] = (
    ("aa", "å"), ("ph", "f"), ("c", "k"), ("th", "t"), ("æ", "e"), ("ø", "o"), ("ø", "ö"),
)
#: Upper bound on variants per term (the pairs combine multiplicatively).
MAX_VARIANTS = 64

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_TERM = re.compile(r"^[\w][\w .§'-]*\*?$")


class LexiconError(HarkitError, ValueError):
    """A lexicon file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Term:
    """One lexicon term: ``text`` (lower case, optional trailing ``*``), form, source."""

    text: str
    form: str = "modern"
    source: str = "[U]"
    #: Match only the spellings of :attr:`spellings` in the original text (``far`` is
    #: not ``får``, ``speed`` not ``sped``), not everything that folds to the term.
    exact: bool = False
    #: Context words (``*`` for a prefix) of which one must occur in the hit's sentence
    #: for the hit to count (``speed`` needs ``rus*``, ``amfetamin*`` ...).
    requires: tuple[str, ...] = ()
    #: Context words of which none may occur in the hit's sentence (``drakk kaffe``).
    unless: tuple[str, ...] = ()
    #: Words (``*`` for a prefix) the hit's own word must not be (``alkoholfri*`` for
    #: ``alkohol*``).
    exclude: tuple[str, ...] = ()

    @property
    def filter(self) -> TermFilter | None:
        """The compiled ``requires``/``unless``/``exclude`` checks (None without any)."""
        if not (self.requires or self.unless or self.exclude):
            return None
        return _term_filter(self.requires, self.unless, self.exclude)

    @property
    def spellings(self) -> frozenset[str]:
        """Lower-case original spellings an exact term accepts: the term, and its
        ``å``/``aa`` and ``ø``/``ö`` forms (never one without its diacritics)."""
        out = {self.text}
        for a, b in (("å", "aa"), ("ø", "ö"), ("æ", "ä")):
            out |= {w.replace(a, b) for w in out}
        return frozenset(out)

    @property
    def is_prefix(self) -> bool:
        """True when the term ends in ``*`` (matches any word continuing it)."""
        return self.text.endswith("*")

    @property
    def is_phrase(self) -> bool:
        """True when the term has more than one word."""
        return " " in self.text


_SENTENCE_STOPS = (". ", "! ", "? ", "; ")


def _words_pattern(words: tuple[str, ...]) -> str:
    """Alternation of folded words or phrases; a trailing ``*`` runs to the word's end."""
    from harkit.text.normalise import fold  # (normalise imports nothing from here)

    alts = sorted({re.escape(fold(w.rstrip("*"))) + (r"\w*" if w.endswith("*") else "")
                   for w in words}, key=lambda a: (-len(a), a))
    return "|".join(alts)


@dataclass(frozen=True)
class TermFilter:
    """Checks a term's hit must pass: context words in its sentence, excluded words.

    All checks run on the folded text (:func:`harkit.text.normalise.normalise`), so the
    words are written as in the lexicon and match every spelling that folds like them. A
    sentence ends at ``.``, ``!``, ``?`` or ``;`` before a blank or the text's end, as for
    ``NEAR``; the hit's own words are not context.
    """

    requires: re.Pattern | None
    unless: re.Pattern | None
    exclude: re.Pattern | None

    def accepts(self, text: str, start: int, end: int, lo: int = 0,
                hi: int | None = None) -> bool:
        """Whether the hit ``text[start:end]`` counts.

        Parameters
        ----------
        text : str
            Folded text holding the hit.
        start, end : int
            The hit's span in ``text`` (a prefix term's hit runs to its word's end).
        lo, hi : int
            The bounds of the hit's document in ``text`` (default: all of it).

        Returns
        -------
        bool
        """
        hi = len(text) if hi is None else hi
        if self.exclude is not None and self.exclude.fullmatch(text, start, end):
            return False
        if self.requires is None and self.unless is None:
            return True
        a = max([text.rfind(p, lo, start) for p in _SENTENCE_STOPS] + [lo - 1]) + 1
        ends = [j for j in (text.find(p, end, hi) for p in _SENTENCE_STOPS) if j >= 0]
        b = min(ends) if ends else hi
        around = text[a:start] + " " + text[end:b]
        if self.requires is not None and not self.requires.search(around):
            return False
        return self.unless is None or not self.unless.search(around)


@lru_cache(maxsize=1024)
def _term_filter(requires: tuple[str, ...], unless: tuple[str, ...],
                 exclude: tuple[str, ...]) -> TermFilter:
    def words(ws):
        return re.compile(rf"(?<!\w)(?:{_words_pattern(ws)})(?!\w)") if ws else None

    return TermFilter(words(requires), words(unless),
                      re.compile(rf"(?:{_words_pattern(exclude)})") if exclude else None)


@dataclass(frozen=True)
class Regex:
    """An optional regular expression of a concept, run on the original text."""

    pattern: str
    ignore_case: bool = True
    source: str = "[U]"

    def compile(self) -> re.Pattern:
        """Compiled pattern with the concept's case flag."""
        return re.compile(self.pattern, re.IGNORECASE if self.ignore_case else 0)


@dataclass(frozen=True)
class Concept:
    """A named concept: terms, regexes and links to ICD categories."""

    name: str
    description: str
    terms: tuple[Term, ...]
    regexes: tuple[Regex, ...] = ()
    icd_categories: tuple[str, ...] = ()
    path: str = ""


def spelling_variants(text: str, max_variants: int = MAX_VARIANTS) -> list[str]:
    """Spelling variants of a lower-case term (``aa``/``å``, ``ph``/``f``, ``c``/``k`` ...).

    Each pair in :data:`SPELLING_PAIRS` is applied to all occurrences at once, in both
    directions, and combined with the variants found so far.

    Parameters
    ----------
    text : str
        A lower-case term or phrase (a trailing ``*`` is kept).
    max_variants : int
        Stop adding variants beyond this many.

    Returns
    -------
    list of str
        The term first, then its variants in a stable order.
    """
    out = [text]
    seen = {text}
    for a, b in SPELLING_PAIRS:
        for v in list(out):
            for x, y in ((a, b), (b, a)):
                w = v.replace(x, y)
                if w not in seen and len(out) < max_variants:
                    seen.add(w)
                    out.append(w)
    return out


@dataclass
class Lexicon:
    """A set of concepts by name; see :func:`load_lexicon`."""

    concepts: dict[str, Concept] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.concepts

    def __getitem__(self, name: str) -> Concept:
        try:
            return self.concepts[name]
        except KeyError:
            raise KeyError(f"unknown concept {name!r}; known: {', '.join(self.names)}") from None

    def __len__(self) -> int:
        return len(self.concepts)

    @property
    def names(self) -> list[str]:
        """Concept names, sorted."""
        return sorted(self.concepts)

    def variants(self, concept: str) -> dict[str, Term]:
        """All spelling variants of a concept's terms, mapped to the term they come from.

        Variants are lower case (a trailing ``*`` marks a prefix); the engine puts the
        variants of every concept into one automaton. Text folded with
        :func:`harkit.icd.text.fold_text` maps all variants of a term to one form.

        Parameters
        ----------
        concept : str
            Concept name.

        Returns
        -------
        dict of str to Term
        """
        out: dict[str, Term] = {}
        for term in self[concept].terms:
            for v in spelling_variants(term.text):
                out.setdefault(v, term)
        return out

    def folded(self, concept: str) -> dict[str, Term]:
        """Terms folded with :func:`fold_text` (prefix ``*`` kept), mapped to their term."""
        out: dict[str, Term] = {}
        for term in self[concept].terms:
            key = fold_text(term.text.rstrip("*")) + ("*" if term.is_prefix else "")
            out.setdefault(key, term)
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per term: concept, term, form, source, icd_categories, and the
        ``requires``, ``unless`` and ``exclude`` words (``;``-separated)."""
        rows = [(c.name, t.text, t.form, t.source, ";".join(c.icd_categories),
                 ";".join(t.requires), ";".join(t.unless), ";".join(t.exclude))
                for c in self.concepts.values() for t in c.terms]
        return pd.DataFrame(rows, columns=["concept", "term", "form", "source",
                                           "icd_categories", "requires", "unless", "exclude"])


@cache
def _icd_categories() -> frozenset[str]:
    path = resources.files("harkit.codelists").joinpath("substance.csv")
    with resources.as_file(path) as p:
        return frozenset(pd.read_csv(p, usecols=["category"])["category"])


def _req(d: Mapping, key: str, kind: type, where: str):
    if key not in d:
        raise LexiconError(f"{where}: missing key {key!r}")
    if not isinstance(d[key], kind):
        raise LexiconError(f"{where}: key {key!r} must be {kind.__name__}, "
                           f"got {type(d[key]).__name__}")
    return d[key]


def _concept(d: Mapping, where: str, path: str) -> Concept:
    name = _req(d, "name", str, where)
    if not _NAME.match(name):
        raise LexiconError(f"{where}: key 'name' must be lower-case letters, digits, _; "
                           f"got {name!r}")
    where = f"{where} (concept {name!r})"
    known = {"name", "description", "terms", "regexes", "icd_categories"}
    extra = set(d) - known
    if extra:
        raise LexiconError(f"{where}: unknown key(s) {sorted(extra)}; allowed {sorted(known)}")
    desc = d.get("description", "")
    if not isinstance(desc, str):
        raise LexiconError(f"{where}: key 'description' must be str")
    raw = _req(d, "terms", list, where)
    if not raw and not d.get("regexes"):
        raise LexiconError(f"{where}: key 'terms' is empty and there are no regexes")
    terms = []
    for i, t in enumerate(raw):
        w = f"{where}: terms[{i}]"
        if not isinstance(t, Mapping):
            raise LexiconError(f"{w} must be a table like {{ term = ..., source = ... }}")
        text = _req(t, "term", str, w).strip()
        if text != text.lower() or not _TERM.match(text):
            raise LexiconError(f"{w}: key 'term' must be lower case, words with an optional "
                               f"trailing '*'; got {text!r}")
        form = t.get("form", "modern")
        if form not in FORMS:
            raise LexiconError(f"{w}: key 'form' must be one of {FORMS}; got {form!r}")
        source = _req(t, "source", str, w)
        if not source.strip():
            raise LexiconError(f"{w}: key 'source' is empty (write '[U]' if unsourced)")
        # words of up to 3 letters are matched exactly by default: folding would make
        # far of får, mor of mør
        short = not text.endswith("*") and " " not in text and len(text) <= 3
        exact = t.get("exact", short)
        if not isinstance(exact, bool):
            raise LexiconError(f"{w}: key 'exact' must be true or false")
        if exact and text.endswith("*"):
            raise LexiconError(f"{w}: a prefix term ({text!r}) cannot be exact")
        extra_words = {}
        for key in ("requires", "unless", "exclude"):
            ws = t.get(key, [])
            if not isinstance(ws, list) or not all(
                    isinstance(x, str) and x.strip() and _TERM.match(x.strip().lower())
                    for x in ws):
                raise LexiconError(f"{w}: key {key!r} must be a list of words or phrases "
                                   f"(lower case, optional trailing '*'); got {ws!r}")
            extra_words[key] = tuple(" ".join(x.lower().split()) for x in ws)
        unknown = set(t) - {"term", "form", "source", "exact", "requires", "unless",
                            "exclude"}
        if unknown:
            raise LexiconError(f"{w}: unknown key(s) {sorted(unknown)}")
        terms.append(Term(" ".join(text.split()), form, source, exact, **extra_words))
    regexes = []
    for i, r in enumerate(d.get("regexes", [])):
        w = f"{where}: regexes[{i}]"
        if not isinstance(r, Mapping):
            raise LexiconError(f"{w} must be a table like {{ pattern = ..., source = ... }}")
        rx = Regex(_req(r, "pattern", str, w), bool(r.get("ignore_case", True)),
                   _req(r, "source", str, w))
        try:
            rx.compile()
        except re.error as e:
            raise LexiconError(f"{w}: key 'pattern' is not a valid regex: {e}") from None
        regexes.append(rx)
    icd = d.get("icd_categories", [])
    if not isinstance(icd, list) or not all(isinstance(x, str) for x in icd):
        raise LexiconError(f"{where}: key 'icd_categories' must be a list of str")
    bad = sorted(set(icd) - _icd_categories())
    if bad:
        raise LexiconError(f"{where}: key 'icd_categories' has unknown categories {bad}; "
                           f"known: {sorted(_icd_categories())}")
    return Concept(name, desc, tuple(terms), tuple(regexes), tuple(icd), path)


def _read(path: Path) -> list[Concept]:
    where = str(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise LexiconError(f"{where}: not valid TOML: {e}") from None
    if "concepts" in data:
        tables = _req(data, "concepts", dict, where)
        out = []
        for key, d in tables.items():
            if not isinstance(d, Mapping):
                raise LexiconError(f"{where}: concepts.{key} must be a table")
            d = {"name": key, **d}
            if d["name"] != key:
                raise LexiconError(f"{where}: concepts.{key}: key 'name' differs from "
                                   f"the table name")
            out.append(_concept(d, f"{where}: concepts.{key}", where))
        return out
    return [_concept(data, where, where)]


def _files(paths: Iterable[str | Path]) -> list[Path]:
    out = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(p.glob("*.toml")))
        elif p.is_file():
            out.append(p)
        else:
            raise LexiconError(f"{p}: no such lexicon file or directory")
    return out


@cache
def _shipped() -> tuple[Concept, ...]:
    base = resources.files("harkit.text").joinpath("lexicon")
    with resources.as_file(base) as p:
        return tuple(c for f in _files([p]) for c in _read(f))


def load_lexicon(paths: str | Path | Iterable[str | Path] | None = None, *,
                 shipped: bool = True) -> Lexicon:
    """Load the shipped substance-use lexicon and the user's concept files.

    Parameters
    ----------
    paths : path, or iterable of paths, optional
        User TOML files or directories of ``*.toml`` files, read in order. A user concept
        with the name of an earlier one replaces it; new names are added.
    shipped : bool
        Start from the shipped concepts (default); False loads only ``paths``.

    Returns
    -------
    Lexicon

    Raises
    ------
    LexiconError
        A file is not valid TOML or a key is missing or malformed (the message names the
        file and the key), or two concepts in one file share a name.
    """
    concepts: dict[str, Concept] = {}
    if shipped:
        concepts.update((c.name, c) for c in _shipped())
    if isinstance(paths, (str, Path)):
        paths = [paths]
    for f in _files(paths or []):
        names: set[str] = set()
        for c in _read(f):
            if c.name in names:
                raise LexiconError(f"{f}: concept {c.name!r} defined twice")
            names.add(c.name)
            concepts[c.name] = c
    return Lexicon(concepts)
