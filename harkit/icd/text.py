"""Rule-based harmonisation of uncoded Norwegian diagnosis texts.

:func:`text_rules` maps short diagnosis texts (``diagnosetekst`` without a usable code) to
the harmonised categories of the ``substance``, ``sud_level`` and ``alcohol_somatic`` code
lists, using the lexicon in ``harkit/codelists/text_lexicon.csv`` (sources in
``TEXT_LEXICON.md``). Texts are folded first (case, æ/ø/å, historical and Latin spelling,
common OCR confusions), so one lexicon entry covers ``Morphinismus``, ``morfinisme`` and
``rnorfinisrne``. Each list is one precompiled regular expression, run once per unique
text.

Context is kept simple and documented: a negation trigger (``ikke``, ``ingen``, ``uten``,
``neg.``, ``ej``, ``icke``, ``avkreftet`` ...) in the same clause lowers the confidence to
0.1, a family trigger (``far``, ``mor``, ``familie`` ...) to 0.2 of the entry's, and an
uncertainty trigger (``mistanke om``, ``obs.``, ``mulig``, ``?`` ...) halves it; the
categories are still reported, so callers must filter on ``confidence``. History
(``tidligere``) keeps full confidence: a past disorder is still a diagnosis.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

#: Lists produced by the rules, in output column order.
LISTS: tuple[str, ...] = ("substance", "sud_level", "alcohol_somatic")
#: Output columns of :func:`text_rules`.
COLUMNS: tuple[str, ...] = LISTS + ("term", "confidence", "context")
#: Lexicon columns (``role`` and ``requires`` may be blank).
LEXICON_COLUMNS: tuple[str, ...] = ("pattern", "list", "category", "kind", "confidence",
                                    "role", "requires", "note", "source")
KINDS: tuple[str, ...] = ("word", "prefix", "infix", "regex")
#: When several SUD levels match, the first in this order wins (most specific first).
LEVEL_PRIORITY: tuple[str, ...] = (
    "withdrawal_delirium", "psychosis", "amnesic", "residual", "withdrawal", "intoxication",
    "dependence", "harmful_use", "other", "unspecified",
)
#: Confidence multiplier per context.
CONTEXT_FACTOR = {"affirmed": 1.0, "historical": 1.0, "uncertain": 0.5, "family": 0.2,
                  "negated": 0.1}

# Context triggers, written on folded text (see fold_text).
_NEG_PRE = (r"\b(ikke|ikje|ingen|ingi|uten|neg\.?|ej|ike|aldri|fri for|mangel pa"
            r"|ingen holdepunkt\w* for|ikke tegn til|uten tegn til)\b")
_NEG_POST = (r"\b(avkreftet|utelukket|negativ|negative|ikke pavist|ikke bekreftet"
             r"|foreligger ikke|benektet|avvist)\b")
_UNCERTAIN = (r"(\bmistanke\b|\bmistenkt|\bsusp\b\.?|\bsuspekt|\bobs\b\.?|\bobservasjon for"
              r"|\bmulig|\bsansynlig|\bkan ikke utelukes|\bdd\b|\?)")
_FAMILY = r"\b(far|mor|bror|soster|foreldre|familie\w*|arvelig\w*|slekt\w*)\b"
_HISTORY = r"\b(tidligere|tidl\b\.?|anamnestisk)"
# Clause terminators limit a trigger's scope.
_CLAUSE = re.compile(r"[;,:]|(?<!obs)(?<!susp)(?<!tidl)(?<!neg)(?<!ca)\.\s|\bmen\b|\bog\b")


def fold_text(text: str) -> str:
    """Fold a text to the canonical form the lexicon is matched against.

    Lower case; ``æ`` -> ``ae``, ``ø``/``ö`` -> ``o``, ``å``/``aa`` -> ``a`` and other
    accents stripped; historical and Latin spelling ``ch`` -> ``k``, ``ph`` -> ``f``,
    ``th`` -> ``t``, ``c`` -> ``k``, ``qu`` -> ``kv``, ``x`` -> ``ks``; OCR confusions
    ``rn`` -> ``m`` and ``1``/``0`` next to a letter -> ``l``/``o``; line-end hyphens
    removed; doubled letters collapsed (``Korsakoff`` = ``Korsakof``); blanks squeezed.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
    """
    s = text.lower().replace("æ", "ae").replace("ø", "o")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = re.sub(r"-\s*\n\s*", "", s)
    for a, b in (("ch", "k"), ("ph", "f"), ("th", "t"), ("qu", "kv"), ("c", "k"),
                 ("x", "ks"), ("rn", "m")):
        s = s.replace(a, b)
    s = re.sub(r"(?<=[a-z])1|1(?=[a-z])", "l", s)
    s = re.sub(r"(?<=[a-z])0|0(?=[a-z])", "o", s)
    s = re.sub(r"([a-z])\1+", r"\1", s)
    return re.sub(r"\s+", " ", s).strip()


@dataclass(frozen=True)
class _Entry:
    pattern: str
    list: str
    category: str
    confidence: float
    role: str
    requires: str


@dataclass(frozen=True)
class _Compiled:
    regex: dict[str, re.Pattern]
    entries: dict[str, dict[str, _Entry]]
    literals: dict[str, dict[tuple[str, str], _Entry]]


def _trie_regex(words: list[str], word_end: bool) -> str:
    """One regex for many literals, sharing prefixes (longest alternative first)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict) -> str:
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            alts.append(r"\b" if word_end else "")
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(trie)


def _entry_regex(pattern: str, kind: str) -> str:
    if kind == "regex":
        return pattern
    p = re.escape(fold_text(pattern))
    return {"word": rf"\b{p}\b", "prefix": rf"\b{p}", "infix": p}[kind]


def read_lexicon(path: str | Path | None = None) -> pd.DataFrame:
    """Read a text lexicon (the bundled one by default) and check its columns.

    Parameters
    ----------
    path : str or Path, optional
        A CSV with the columns of :data:`LEXICON_COLUMNS`; ``role``, ``requires``,
        ``note`` and ``source`` may be blank. Patterns of kind ``word``, ``prefix`` and
        ``infix`` are written naturally (they are folded); ``regex`` patterns must be
        written on folded text (see :func:`fold_text`).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ValueError
        If a column, list, kind or confidence is invalid, or a regex does not compile.
    """
    if path is None:
        ref = resources.files("harkit.codelists").joinpath("text_lexicon.csv")
        with ref.open(encoding="utf-8") as fh:
            lex = pd.read_csv(fh, dtype=str, keep_default_na=False)
    else:
        lex = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("pattern", "list", "category", "kind", "confidence")
               if c not in lex.columns]
    if missing:
        raise ValueError(f"text lexicon {path or 'text_lexicon.csv'}: missing columns {missing}")
    for c in ("role", "requires", "note", "source"):
        if c not in lex.columns:
            lex[c] = ""
    for i, row in lex.iterrows():
        where = f"text lexicon row {i + 2} ({row['pattern']!r})"
        if row["list"] not in LISTS:
            raise ValueError(f"{where}: list must be one of {LISTS}, got {row['list']!r}")
        if row["kind"] not in KINDS:
            raise ValueError(f"{where}: kind must be one of {KINDS}, got {row['kind']!r}")
        try:
            re.compile(_entry_regex(row["pattern"], row["kind"]))
        except re.error as err:
            raise ValueError(f"{where}: bad regex: {err}") from err
    lex["confidence"] = pd.to_numeric(lex["confidence"], errors="raise").astype(float)
    if not lex["confidence"].between(0, 1).all():
        raise ValueError("text lexicon: confidence must lie in [0, 1]")
    return lex[list(LEXICON_COLUMNS)]


def _compile(lex: pd.DataFrame) -> _Compiled:
    # Literal entries go into prefix tries (Python's re has no Aho-Corasick; a trie
    # keeps the alternation cheap); regex entries are tried first, so a specific
    # regex (alkohol + misbruk) beats the bare literal at the same position.
    regex, entries, literals = {}, {}, {}
    for name in LISTS:
        sub = lex[lex["list"] == name]
        parts, table, lit = [], {}, {}
        for j, row in enumerate(sub[sub["kind"] == "regex"].itertuples(index=False)):
            parts.append(f"(?P<e{j}>{row.pattern})")
            table[f"e{j}"] = _Entry(row.pattern, name, row.category, float(row.confidence),
                                    row.role or "disorder", row.requires)
        for kind, lead, end in (("word", r"\b", True), ("prefix", r"\b", False),
                                ("infix", "", False)):
            rows = sub[sub["kind"] == kind]
            for row in rows.itertuples(index=False):
                lit.setdefault((kind, fold_text(row.pattern)), _Entry(
                    row.pattern, name, row.category, float(row.confidence),
                    row.role or "disorder", row.requires))
            folded = sorted({k[1] for k in lit if k[0] == kind})
            if folded:
                parts.append(f"(?P<{kind}>{lead}{_trie_regex(folded, end)})")
        regex[name] = re.compile("|".join(parts) if parts else r"(?!x)x")
        entries[name] = table
        literals[name] = lit
    return _Compiled(regex, entries, literals)


@cache
def _default_compiled() -> _Compiled:
    return _compile(read_lexicon())


_RE = {k: re.compile(v) for k, v in (("neg_pre", _NEG_PRE), ("neg_post", _NEG_POST),
                                     ("uncertain", _UNCERTAIN), ("family", _FAMILY),
                                     ("history", _HISTORY))}


def _context(folded: str, start: int, end: int) -> str:
    """Context of the hit at ``[start, end)``: its clause is searched for triggers."""
    lo = max((m.end() for m in _CLAUSE.finditer(folded, 0, start)), default=0)
    nxt = _CLAUSE.search(folded, end)
    hi = nxt.start() if nxt else len(folded)
    before, after = folded[lo:start], folded[end:hi]
    if _RE["neg_pre"].search(before) or _RE["neg_post"].search(after):
        return "negated"
    if _RE["family"].search(before):
        return "family"
    if _RE["uncertain"].search(folded[lo:hi]):
        return "uncertain"
    if _RE["history"].search(before):
        return "historical"
    return "affirmed"


def _hits(comp: _Compiled, folded: str) -> dict[str, list[tuple[_Entry, str]]]:
    out: dict[str, list[tuple[_Entry, str]]] = {}
    for name in LISTS:
        found = []
        for m in comp.regex[name].finditer(folded):
            g = m.lastgroup
            entry = (comp.entries[name][g] if g not in ("word", "prefix", "infix")
                     else comp.literals[name][(g, m.group(g))])
            found.append((entry, _context(folded, m.start(), m.end())))
        out[name] = found
    return out


def _prefer_affirmed(hits: list[tuple[_Entry, str]]) -> list[tuple[_Entry, str]]:
    good = [h for h in hits if h[1] in ("affirmed", "historical")]
    return good or hits


def _map_one(comp: _Compiled, text: str) -> tuple:
    folded = fold_text(text)
    hits = _hits(comp, folded)
    sub_hits = _prefer_affirmed(hits["substance"])
    substances = {e.category for e, _ in sub_hits}
    lv_all = [(e, c) for e, c in _prefer_affirmed(hits["sud_level"])
              if e.requires != "substance" or substances]
    # a medicine named without a use-disorder word is treatment, not a disorder
    if not lv_all:
        sub_hits = [(e, c) for e, c in sub_hits if e.role != "medicine"]

    # organ terms count only next to alcohol (any alcohol word, also "alkoholisk")
    som = [(e, c) for e, c in _prefer_affirmed(hits["alcohol_somatic"])
           if e.requires != "alcohol" or "alcohol" in substances]
    # a bare alcohol word names the cause of an organ disease, not a use disorder
    used = [(e, c) for e, c in sub_hits if not (som and e.role == "cause")]
    # a fallback word (abstinens, DT) names alcohol only when nothing else is named:
    # opioidabstinens is opioids, narkomani med abstinens stays generic
    specific = [(e, c) for e, c in used if e.role not in ("generic", "fallback")]
    generic = [(e, c) for e, c in used if e.role == "generic"]
    used = specific or generic or used
    cats = {e.category for e, _ in used}
    if len(cats) > 1 and "tobacco" in cats:
        cats.discard("tobacco")
        used = [(e, c) for e, c in used if e.category != "tobacco"]
    substance, conf, terms, contexts = pd.NA, 0.0, [], []
    if len(cats) == 1:
        substance = cats.pop()
        conf = max(e.confidence for e, _ in used)
    elif len(cats) > 1:
        substance = "polydrug"  # several substances named: mixed use (F19)
        conf = 0.8
    for e, c in used:
        terms.append(f"substance:{e.pattern}")
        contexts.append(c)

    somatic = pd.NA
    if som:
        e, c = max(som, key=lambda h: h[0].confidence)
        somatic = e.category
        conf = max(conf, e.confidence)
        terms.append(f"alcohol_somatic:{e.pattern}")
        contexts.append(c)

    level = pd.NA
    lv = lv_all
    if not pd.isna(somatic) and pd.isna(substance):
        lv = []  # an organ disease of alcohol, not a use disorder
    if lv:
        order = {k: i for i, k in enumerate(LEVEL_PRIORITY)}
        e, c = min(lv, key=lambda h: (order.get(h[0].category, 99), -h[0].confidence))
        level = e.category
        terms.append(f"sud_level:{e.pattern}")
        contexts.append(c)
        if pd.isna(substance) and pd.isna(somatic):
            conf = e.confidence
    elif not pd.isna(substance) and substance != "tobacco":
        level = "unspecified"
    if not terms:
        return (pd.NA,) * 4 + (np.nan, pd.NA)
    # the weakest context among the hits used decides
    ctx = max(contexts, key=lambda c: (1 - CONTEXT_FACTOR[c], c != "affirmed"))
    return (substance, level, somatic, "; ".join(terms), conf * CONTEXT_FACTOR[ctx], ctx)


def text_rules(texts: pd.Series, *, lexicon: str | Path | pd.DataFrame | None = None,
               ) -> pd.DataFrame:
    """Map diagnosis texts to harmonised categories with the Norwegian text lexicon.

    Parameters
    ----------
    texts : pandas.Series
        Diagnosis texts (``diagnosis_text``); missing values give an all-NA row.
    lexicon : str, Path or DataFrame, optional
        A user lexicon (see :func:`read_lexicon`) replacing the bundled one; concatenate
        with ``read_lexicon()`` to extend it instead.

    Returns
    -------
    pandas.DataFrame
        Index aligned with ``texts``; columns ``substance``, ``sud_level``,
        ``alcohol_somatic`` (string categories of the code lists, NA where nothing
        matched), ``term`` (the lexicon entries used, as ``list:pattern`` joined by
        ``"; "``), ``confidence`` (float in [0, 1], NaN where nothing matched) and
        ``context`` (``affirmed``, ``historical``, ``uncertain``, ``family`` or
        ``negated``; the weakest among the hits used).

    Notes
    -----
    Substance: the specific substances named (generic words such as ``narkomani`` only
    when no substance is named, fallback words such as ``abstinens`` only when neither a
    substance nor a generic word is named; tobacco dropped next to another substance); two or more
    give ``polydrug`` with confidence 0.8. A bare alcohol word (``alkoholisk``) next to an
    organ term (``levercirrhose``) gives ``alcohol_somatic`` and no substance, as the
    codes K70/K85.2 do. Organ terms need alcohol in the same text. SUD level: the most
    specific level named (:data:`LEVEL_PRIORITY`), ``unspecified`` when a substance
    (other than tobacco) is named without one. Confidence is the largest entry
    confidence used times the context factor (:data:`CONTEXT_FACTOR`).

    Examples
    --------
    >>> import pandas as pd
    >>> from harkit.icd.text import text_rules
    >>> text_rules(pd.Series(["Alcoholismus chronicus", "Lårhalsbrudd"]))[
    ...     ["substance", "sud_level"]].iloc[0].tolist()
    ['alcohol', 'dependence']
    """
    if isinstance(lexicon, pd.DataFrame):
        comp = _compile(lexicon)
    elif lexicon is not None:
        comp = _compile(read_lexicon(lexicon))
    else:
        comp = _default_compiled()
    s = pd.Series(texts)
    valid = s.notna()
    codes, uniq = pd.factorize(s[valid].astype(str))
    rows = [_map_one(comp, t) for t in uniq]
    out = pd.DataFrame(index=s.index)
    table = pd.DataFrame(rows, columns=list(LISTS) + ["term", "confidence", "context"]) \
        if rows else pd.DataFrame(columns=list(LISTS) + ["term", "confidence", "context"])
    for col in COLUMNS:
        vals = np.full(len(s), pd.NA, dtype=object)
        if len(codes):
            vals[valid.to_numpy()] = table[col].to_numpy(dtype=object)[codes]
        if col == "confidence":
            out[col] = pd.to_numeric(pd.Series(vals, index=s.index), errors="coerce")
        else:
            out[col] = pd.Series(vals, index=s.index, dtype="string")
    return out
