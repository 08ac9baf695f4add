"""The concept-search query language: parse to a small AST, evaluate on a document's hits.

Grammar (operators upper case; precedence ``NOT`` > ``AND`` > ``OR``)::

    query   := or
    or      := and ("OR" and)*
    and     := not ("AND" not)*
    not     := "NOT" not | primary
    primary := "(" or ")" | "NEAR/" n "(" leaf "," leaf ")" | leaf
    leaf    := ("@" concept | '"' phrase '"' | "/" regex "/" | word) (":" ["!"] context)*

A word or phrase may hold ``*`` (any word characters: ``alkohol*``). Context filters
``:affirmed`` (no context flag), ``:negated``, ``:historical``, ``:uncertain``,
``:family``, ``:hypothetical`` require the flag on the hit; ``:!negated`` etc. exclude
it; several filters must all hold. A leaf without filters matches any hit.
``NEAR/n(a, b)`` holds when a hit of ``a`` and a hit of ``b`` are at most ``n`` words
apart (adjacent words: 1), in either order.
``/pattern/`` is a Python regular expression run on the original text, case ignored.
See ``docs/concept-search.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any

from harkit.errors import HarkitError
from harkit.icd.text import fold_text
from harkit.text.lexicon import Lexicon, load_lexicon

#: Context flags of a hit.
CONTEXTS: tuple[str, ...] = ("negated", "historical", "uncertain", "family", "hypothetical")
#: Values allowed after ``:`` in a query (``affirmed`` = no flag set).
FILTERS: tuple[str, ...] = ("affirmed",) + CONTEXTS


class QuerySyntaxError(HarkitError, ValueError):
    """A query does not parse; ``position`` is the offending character's index."""

    def __init__(self, message: str, query: str, position: int) -> None:
        self.query = query
        self.position = position
        self.reason = message
        super().__init__(f"{message} at position {position}\n  {query}\n  {' ' * position}^")


class UnknownConceptError(HarkitError, KeyError):
    """A query names a concept that is not in the lexicon."""

    def __init__(self, name: str, known: Iterable[str], position: int | None = None) -> None:
        self.name = name
        self.known = sorted(known)
        self.position = position
        where = "" if position is None else f" at position {position}"
        super().__init__(f"unknown concept @{name}{where}; known concepts: "
                         f"{', '.join('@' + k for k in self.known)}")

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Hit:
    """One match in a document, as the engine reports it.

    Attributes
    ----------
    term : str
        The matched text (any case or spelling; compared after
        :func:`harkit.icd.text.fold_text`).
    position : int
        Index of the first matched word in the document.
    concept : str or None
        Concept the match belongs to, or None for a literal query term.
    length : int
        Number of words matched (a phrase is longer than 1).
    negated, historical, uncertain, family, hypothetical : bool
        Context flags.
    sentence : int
        Index of the sentence the match starts in (``NEAR`` pairs hits of one sentence).
    """

    term: str
    position: int
    concept: str | None = None
    length: int = 1
    negated: bool = False
    historical: bool = False
    uncertain: bool = False
    family: bool = False
    hypothetical: bool = False
    sentence: int = 0

    @property
    def end(self) -> int:
        """Index of the last matched word."""
        return self.position + max(self.length, 1) - 1


_HIT_FIELDS = frozenset(f.name for f in fields(Hit))


def as_hits(hits: Any) -> list[Hit]:
    """Hits from :class:`Hit` objects, mappings, or a DataFrame with the Hit columns."""
    if hasattr(hits, "to_dict") and hasattr(hits, "columns"):
        hits = hits.to_dict("records")
    out = []
    for h in hits:
        if isinstance(h, Hit):
            out.append(h)
        elif isinstance(h, Mapping):
            d = {k: v for k, v in h.items() if k in _HIT_FIELDS}
            if isinstance(d.get("concept"), float):  # NaN from a DataFrame
                d["concept"] = None
            out.append(Hit(**d))
        else:
            raise TypeError(f"a hit must be a Hit or a mapping, got {type(h).__name__}")
    return out


class Node:
    """Base of the query AST."""

    def terms(self) -> frozenset[str]:
        """Every literal the engine must find: ``@concept``, words and phrases."""
        return frozenset(x.key for x in self.leaves())

    def leaves(self) -> frozenset[Leaf]:
        """The leaf nodes (concepts, terms and phrases) of the query."""
        raise NotImplementedError

    def concepts(self) -> frozenset[str]:
        """Names of the concepts the query uses."""
        return frozenset(x.name for x in self.leaves() if isinstance(x, Concept))


@dataclass(frozen=True)
class Leaf(Node):
    """A concept, word or phrase with optional context filters."""

    require: frozenset[str] = field(default=frozenset(), kw_only=True)
    exclude: frozenset[str] = field(default=frozenset(), kw_only=True)

    @property
    def key(self) -> str:
        """The literal as listed by :meth:`Node.terms`."""
        raise NotImplementedError

    def leaves(self) -> frozenset[Leaf]:
        return frozenset({self})

    def _context_ok(self, hit: Hit) -> bool:
        flags = {c for c in CONTEXTS if getattr(hit, c)}
        if not flags:
            flags = {"affirmed"}
        return self.require <= flags and not (self.exclude & flags)

    def matches(self, hit: Hit) -> bool:
        """True when ``hit`` is an occurrence of this leaf passing its filters."""
        return self._literal_ok(hit) and self._context_ok(hit)

    def _literal_ok(self, hit: Hit) -> bool:
        raise NotImplementedError

    def _filters(self) -> str:
        return "".join([f":{c}" for c in sorted(self.require)]
                       + [f":!{c}" for c in sorted(self.exclude)])


@cache
def _pattern(text: str) -> re.Pattern:
    # fold with a placeholder for "*" so blanks next to it survive fold_text's strip
    parts = fold_text(text.replace("*", "\x00")).split("\x00")
    return re.compile(r"\w*".join(map(re.escape, parts)))


@dataclass(frozen=True)
class Concept(Leaf):
    """``@name``: any hit the engine assigned to this concept."""

    name: str

    @property
    def key(self) -> str:
        return "@" + self.name

    def _literal_ok(self, hit: Hit) -> bool:
        return hit.concept == self.name

    def __str__(self) -> str:
        return self.key + self._filters()


@dataclass(frozen=True)
class Regex(Leaf):
    """``/pattern/``: a Python regular expression, run on the original text ignoring case.

    Its hits belong to no lexicon concept: the engine reports them under the concept
    ``/pattern/`` (the leaf's :attr:`name`), so two expressions never share a hit.
    """

    pattern: str

    @property
    def name(self) -> str:
        """The expression as written, between slashes."""
        return "/" + self.pattern.replace("/", "\\/") + "/"

    @property
    def key(self) -> str:
        return self.name

    def compile(self) -> re.Pattern:
        """The compiled expression (case ignored; ``(?-i:...)`` turns that off)."""
        return re.compile(self.pattern, re.IGNORECASE)

    def _literal_ok(self, hit: Hit) -> bool:
        return hit.concept == self.name

    def __str__(self) -> str:
        return self.name + self._filters()


@dataclass(frozen=True)
class Term(Leaf):
    """A single word, lower case; ``*`` matches any word characters."""

    text: str

    @property
    def key(self) -> str:
        return self.text

    def _literal_ok(self, hit: Hit) -> bool:
        return _pattern(self.text).fullmatch(fold_text(hit.term)) is not None

    def __str__(self) -> str:
        return self.text + self._filters()


@dataclass(frozen=True)
class Phrase(Term):
    """A quoted phrase of words in sequence (may hold ``*``)."""

    def __str__(self) -> str:
        return f'"{self.text}"' + self._filters()


@dataclass(frozen=True)
class Near(Node):
    """``NEAR/distance(left, right)``: two leaves at most ``distance`` words apart, in one
    sentence; ``NEAR/distance/doc(left, right)`` (``across``): in any sentences."""

    left: Leaf
    right: Leaf
    distance: int
    across: bool = False

    def leaves(self) -> frozenset[Leaf]:
        return frozenset({self.left, self.right})

    def __str__(self) -> str:
        return (f"NEAR/{self.distance}{'/doc' if self.across else ''}"
                f"({self.left}, {self.right})")


@dataclass(frozen=True)
class And(Node):
    """All items hold."""

    items: tuple[Node, ...]

    def leaves(self) -> frozenset[Leaf]:
        return frozenset().union(*(i.leaves() for i in self.items))

    def __str__(self) -> str:
        return "(" + " AND ".join(map(str, self.items)) + ")"


@dataclass(frozen=True)
class Or(Node):
    """At least one item holds."""

    items: tuple[Node, ...]

    def leaves(self) -> frozenset[Leaf]:
        return frozenset().union(*(i.leaves() for i in self.items))

    def __str__(self) -> str:
        return "(" + " OR ".join(map(str, self.items)) + ")"


@dataclass(frozen=True)
class Not(Node):
    """The item does not hold."""

    item: Node

    def leaves(self) -> frozenset[Leaf]:
        return self.item.leaves()

    def __str__(self) -> str:
        return f"NOT {self.item}"


# --- tokenizer -------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<lp>\()
  | (?P<rp>\))
  | (?P<comma>,)
  | (?P<near>NEAR(?:/(?P<dist>\d+)(?P<doc>/doc)?)?)(?![\w*])
  | (?P<op>AND|OR|NOT)(?![\w*])
  | (?P<concept>@(?P<cname>[A-Za-z0-9_]*))
  | (?P<phrase>"(?P<ptext>[^"]*)(?P<pclose>"?))
  | (?P<filter>:(?P<fneg>!?)(?P<fname>[A-Za-z]*))
  | (?P<regex>/(?P<rtext>(?:[^/\\]|\\.)*)(?P<rclose>/?))
  | (?P<word>[^\s()",:@]+)
""", re.VERBOSE)
_WORD = re.compile(r"^[\w*.§'/-]+$")


@dataclass(frozen=True)
class _Tok:
    kind: str
    value: Any
    pos: int


def _tokenize(q: str) -> list[_Tok]:
    toks, i = [], 0
    while i < len(q):
        m = _TOKEN.match(q, i)
        if m is None or m.end() == i:  # pragma: no cover - the word rule matches the rest
            raise QuerySyntaxError("unexpected character", q, i)
        kind = m.lastgroup if m.lastgroup in ("ws", "lp", "rp", "comma", "op", "word") else None
        if m.group("near") is not None:
            if m.group("dist") is None:
                raise QuerySyntaxError("NEAR needs a distance, e.g. NEAR/5(a, b)", q, i)
            d = int(m.group("dist"))
            if d < 1:
                raise QuerySyntaxError("NEAR distance must be at least 1", q, i + 5)
            toks.append(_Tok("near", (d, m.group("doc") is not None), i))
        elif m.group("concept") is not None:
            if not m.group("cname"):
                raise QuerySyntaxError("expected a concept name after '@'", q, i + 1)
            toks.append(_Tok("concept", m.group("cname").lower(), i))
        elif m.group("phrase") is not None:
            if not m.group("pclose"):
                raise QuerySyntaxError("unclosed quote", q, i)
            words = m.group("ptext").lower().split()
            if not words:
                raise QuerySyntaxError("empty phrase", q, i)
            bad = next((w for w in words if not _WORD.match(w)), None)
            if bad is not None:
                raise QuerySyntaxError(f"invalid character in phrase word {bad!r}", q, i)
            toks.append(_Tok("phrase", " ".join(words), i))
        elif m.group("filter") is not None:
            name = m.group("fname").lower()
            if name not in FILTERS:
                raise QuerySyntaxError(f"unknown context filter {name!r}; use one of "
                                       f"{', '.join(FILTERS)} (or !name to exclude)",
                                       q, i + 1 + len(m.group("fneg")))
            toks.append(_Tok("filter", (bool(m.group("fneg")), name), i))
        elif m.group("regex") is not None:
            if not m.group("rclose"):
                raise QuerySyntaxError("a regular expression is not closed with '/'", q, i)
            text = m.group("rtext").replace("\\/", "/")
            if not text:
                raise QuerySyntaxError("empty regular expression", q, i)
            try:
                rx = re.compile(text, re.IGNORECASE)
            except re.error as exc:
                at = i + 1 + (exc.pos or 0)
                raise QuerySyntaxError(f"invalid regular expression /{text}/: {exc.msg}",
                                       q, at) from None
            if rx.fullmatch(""):
                raise QuerySyntaxError(f"regular expression /{text}/ matches the empty "
                                       "text, so it would find nothing", q, i)
            toks.append(_Tok("regex", text, i))
        elif kind == "word":
            w = m.group("word")
            if not _WORD.match(w) or w.strip("*") == "":
                hint = (" (write a regular expression between slashes, /.../; * stands for "
                        "any letters)" if set(w) & set("[]{}()|\\^$+?") else "")
                raise QuerySyntaxError(f"invalid word {w!r}{hint}", q, i)
            if not any(ch.isalnum() for ch in w):
                raise QuerySyntaxError(f"word {w!r} has no letter or digit and would match "
                                       "nothing", q, i)
            toks.append(_Tok("word", w.lower(), i))
        elif kind == "op":
            toks.append(_Tok(m.group("op"), None, i))
        elif kind != "ws":
            toks.append(_Tok(kind, None, i))
        i = m.end()
    toks.append(_Tok("end", None, len(q)))
    return toks


# --- parser ----------------------------------------------------------------------------

class _Parser:
    def __init__(self, query: str, lexicon: Lexicon) -> None:
        self.q = query
        self.lex = lexicon
        self.toks = _tokenize(query)
        self.i = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def error(self, msg: str, tok: _Tok | None = None):
        raise QuerySyntaxError(msg, self.q, (tok or self.tok).pos)

    def eat(self, kind: str, what: str) -> _Tok:
        if self.tok.kind != kind:
            self.error(f"expected {what}")
        t = self.tok
        self.i += 1
        return t

    def parse(self) -> Node:
        if self.tok.kind == "end":
            self.error("empty query")
        node = self.or_()
        if self.tok.kind == "rp":
            self.error("unbalanced ')'")
        if self.tok.kind != "end":
            self.error("expected AND, OR or the end of the query")
        return node

    def or_(self) -> Node:
        items = [self.and_()]
        while self.tok.kind == "OR":
            self.i += 1
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self) -> Node:
        items = [self.not_()]
        while self.tok.kind == "AND":
            self.i += 1
            items.append(self.not_())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_(self) -> Node:
        if self.tok.kind == "NOT":
            self.i += 1
            return Not(self.not_())
        return self.primary()

    def primary(self) -> Node:
        t = self.tok
        if t.kind == "lp":
            self.i += 1
            if self.tok.kind == "rp":
                self.error("empty parentheses")
            node = self.or_()
            if self.tok.kind != "rp":
                self.error(f"'(' at position {t.pos} is never closed" if self.tok.kind == "end"
                           else "expected AND, OR or ')'")
            self.i += 1
            return node
        if t.kind == "near":
            self.i += 1
            self.eat("lp", "'(' after NEAR/n")
            left = self.leaf()
            self.eat("comma", "',' between the two NEAR operands")
            right = self.leaf()
            if self.tok.kind == "comma":
                self.error("NEAR takes exactly two operands")
            self.eat("rp", "')' to close NEAR")
            return Near(left, right, t.value[0], t.value[1])
        return self.leaf()

    def leaf(self) -> Leaf:
        t = self.tok
        if t.kind == "concept":
            if t.value not in self.lex:
                raise UnknownConceptError(t.value, self.lex.names, t.pos)
            make = lambda **kw: Concept(name=t.value, **kw)  # noqa: E731
        elif t.kind == "phrase":
            make = lambda **kw: Phrase(text=t.value, **kw)  # noqa: E731
        elif t.kind == "word":
            make = lambda **kw: Term(text=t.value, **kw)  # noqa: E731
        elif t.kind == "regex":
            make = lambda **kw: Regex(pattern=t.value, **kw)  # noqa: E731
        elif t.kind == "end":
            self.error("unexpected end of query: expected a concept, word or phrase")
        elif t.kind in ("AND", "OR"):
            self.error(f"{t.kind} needs an operand on each side")
        elif t.kind == "NOT" or t.kind == "lp" or t.kind == "near":
            self.error("NEAR operands must be a concept, word or phrase")
        elif t.kind == "filter":
            self.error("a context filter must follow a concept, word or phrase")
        else:
            self.error("expected a concept, word or phrase")
        self.i += 1
        req, exc = set(), set()
        while self.tok.kind == "filter":
            neg, name = self.tok.value
            (exc if neg else req).add(name)
            self.i += 1
        if req & exc:
            self.error(f"context {sorted(req & exc)[0]!r} both required and excluded",
                       self.toks[self.i - 1])
        if "affirmed" in req and len(req) > 1:
            self.error("':affirmed' means no context flag and cannot be combined with "
                       "another required context", self.toks[self.i - 1])
        return make(require=frozenset(req), exclude=frozenset(exc))


def parse(query: str, lexicon: Lexicon | None = None) -> Node:
    """Parse a concept-search query into an AST.

    Parameters
    ----------
    query : str
        E.g. ``@alcohol:affirmed AND (@withdrawal OR "delirium tremens") AND NOT @family``.
    lexicon : Lexicon, optional
        Concepts that ``@name`` may refer to; default the shipped lexicon.

    Returns
    -------
    Node
        ``Concept``, ``Term``, ``Phrase``, ``Near``, ``And``, ``Or`` or ``Not``.

    Raises
    ------
    QuerySyntaxError
        The query does not parse; the message shows the query with a caret under the
        offending character.
    UnknownConceptError
        ``@name`` is not in the lexicon; the message lists the known concepts.
    """
    if not isinstance(query, str):
        raise TypeError(f"query must be str, got {type(query).__name__}")
    return _Parser(query, lexicon if lexicon is not None else load_lexicon()).parse()


def _near(node: Near, hits: list[Hit]) -> bool:
    a = [h for h in hits if node.left.matches(h)]
    if not a:
        return False
    b = [h for h in hits if node.right.matches(h)]
    return any(max(y.position - x.end, x.position - y.end, 0) <= node.distance
               and (node.across or x.sentence == y.sentence)
               for x in a for y in b)


def _eval(node: Node, hits: list[Hit]) -> bool:
    if isinstance(node, Leaf):
        return any(node.matches(h) for h in hits)
    if isinstance(node, And):
        return all(_eval(i, hits) for i in node.items)
    if isinstance(node, Or):
        return any(_eval(i, hits) for i in node.items)
    if isinstance(node, Not):
        return not _eval(node.item, hits)
    if isinstance(node, Near):
        return _near(node, hits)
    raise TypeError(f"not a query node: {node!r}")


def evaluate(node: Node, hits_for_document: Any) -> bool:
    """Whether a document with these hits satisfies the query.

    Parameters
    ----------
    node : Node
        A parsed query (:func:`parse`).
    hits_for_document : iterable of Hit or mappings, or DataFrame
        All hits of one document (fields as in :class:`Hit`).

    Returns
    -------
    bool
    """
    return _eval(node, as_hits(hits_for_document))
