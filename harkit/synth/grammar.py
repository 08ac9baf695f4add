"""Record-text sentences from a small grammar: terms x context frames, labels by construction.

The hand-written sentences of ``data/document_sentences.csv`` say each thing one way. The
grammar here adds the variation a reader of real records meets: historical and Latin
vocabulary (*potus*, *potatorium*, *aethylismus*, *abusus spirituosorum*, *drukkenskap*,
*delirium tremens*), Nynorsk (*ikkje teikn til*, *tidlegare*, *truleg*, *hjå far*,
*drykkjeskap*), abbreviations (*C2-abusus*, *pga.*, *tidl.*, *susp.*, *DT*, *neg.*),
and context words before **and after** the term (*Rusmisbruk benektes*, *Cannabis: nei*,
*Alkoholmisbruk negeres*, *Heroinmisbruk, sannsynligvis*, *Alkoholisme hos far*), plus
sentences that affirm one substance and deny another (*Kjent alkoholmisbruk, men
hasjmisbruk benektes*).

Each sentence is a term (a misuse noun such as *alkoholmisbruk* or a substance noun such
as *hasj*) put into a frame of one context (``affirmed``, ``negated``, ``uncertain``,
``historical``, ``family``). The term knows its concept and the frame its context, so the
label of every generated sentence is exact. A sentence is valid in the years where both
its term and its frame were in use. Vocabulary: ``/work/shared/reference/text.md`` §1-2
(Norwegian NegEx triggers incl. post-triggers and Nynorsk *ikkje*; the starter
substance lexicon with Latin and historical terms); the Latin, Nynorsk and abbreviated
forms not listed there are the project's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

#: Year span of the record texts.
FIRST, LAST = 1900, 2015


@dataclass(frozen=True)
class Term:
    """A way to name a concept: ``kind`` ``m`` (misuse/disorder noun) or ``s`` (substance)."""

    text: str
    concept: str
    kind: str
    year_from: int = FIRST
    year_to: int = LAST


@dataclass(frozen=True)
class Frame:
    """A sentence frame of one context; ``{t}`` is the term, ``{T}`` the term capitalised."""

    template: str
    context: str
    kinds: str
    year_from: int = FIRST
    year_to: int = LAST


T = Term
TERMS: tuple[Term, ...] = (
    # alcohol: modern, historical, Latin, Nynorsk, abbreviations
    T("alkoholmisbruk", "alcohol", "m", 1940), T("alkoholisme", "alcohol", "m"),
    T("drukkenskap", "alcohol", "m", 1900, 1969), T("drykkjeskap", "alcohol", "m", 1900, 1969),
    T("alcoholismus chronicus", "alcohol", "m", 1900, 1969),
    T("aethylismus", "alcohol", "m", 1900, 1979), T("etylisme", "alcohol", "m", 1950),
    T("potus", "alcohol", "m"), T("potatorium", "alcohol", "m", 1900, 1969),
    T("abusus spirituosorum", "alcohol", "m", 1900, 1979),
    T("spritmisbruk", "alcohol", "m", 1900, 1979), T("C2-abusus", "alcohol", "m", 1960),
    T("overforbruk av alkohol", "alcohol", "m", 1970),
    T("alkohol", "alcohol", "s"), T("spirituosa", "alcohol", "s", 1900, 1969),
    T("C2", "alcohol", "s", 1960),
    # opioids
    T("heroinmisbruk", "opioids", "m", 1970), T("opiatmisbruk", "opioids", "m", 1975),
    T("morfinisme", "opioids", "m", 1900, 1979), T("morphinismus", "opioids", "m", 1900, 1959),
    T("opiomani", "opioids", "m", 1900, 1969), T("opioidavhengighet", "opioids", "m", 1990),
    T("i.v. heroinbruk", "opioids", "m", 1970), T("misbruk av morfin", "opioids", "m", 1900, 1979),
    T("heroin", "opioids", "s", 1970), T("opiater", "opioids", "s", 1970),
    T("morfin", "opioids", "s"),
    # cannabis
    T("hasjmisbruk", "cannabis", "m", 1965), T("cannabismisbruk", "cannabis", "m", 1975),
    T("hasj", "cannabis", "s", 1965), T("cannabis", "cannabis", "s", 1970),
    T("marihuana", "cannabis", "s", 1965),
    # sedatives
    T("benzodiazepinmisbruk", "sedatives", "m", 1970),
    T("sovemiddelmisbruk", "sedatives", "m", 1920), T("benzo-misbruk", "sedatives", "m", 1985),
    T("tablettmisbruk", "sedatives", "m", 1950),
    T("abusus medicamentorum", "sedatives", "m", 1900, 1969),
    T("benzodiazepiner", "sedatives", "s", 1970), T("sovemidler", "sedatives", "s", 1920),
    T("Valium", "sedatives", "s", 1965),
    # stimulants
    T("amfetaminmisbruk", "stimulants", "m", 1960),
    T("misbruk av sentralstimulerende midler", "stimulants", "m", 1970),
    T("amfetamin", "stimulants", "s", 1960),
    # polydrug
    T("blandingsmisbruk", "polydrug", "m", 1965), T("polytoksikomani", "polydrug", "m", 1970),
    # withdrawal (its own frames below)
    T("abstinens", "withdrawal", "w"), T("abstinenssymptomer", "withdrawal", "w", 1950),
    T("delirium tremens", "withdrawal", "w"), T("DT", "withdrawal", "w", 1950),
)

F = Frame
FRAMES: tuple[Frame, ...] = (
    # affirmed
    F("{T}.", "affirmed", "m"), F("Kjent {t} gjennom mange år.", "affirmed", "m", 1940),
    F("Innlagt pga. {t}.", "affirmed", "m", 1950),
    F("Innlagd på grunn av {t}.", "affirmed", "m", 1930),
    F("Har hatt {t} sidan ungdomen.", "affirmed", "m", 1930),
    F("Diagn.: {t}.", "affirmed", "m"),
    # negated, trigger before the term
    F("Ikke holdepunkter for {t}.", "negated", "m", 1940),
    F("Ikkje teikn til {t}.", "negated", "m"),
    F("Benekter {t}.", "negated", "ms", 1950),
    F("Har aldri brukt {t}.", "negated", "s", 1950),
    # negated, trigger after the term
    F("{T} benektes.", "negated", "ms"), F("{T} negeres.", "negated", "m", 1950),
    F("{T}: nei.", "negated", "s", 1950), F("{T}: neg.", "negated", "s", 1960),
    F("{T} ikke påvist.", "negated", "m", 1950), F("{T} vert nekta.", "negated", "m"),
    F("{T}: ikke kjent.", "negated", "m", 1950),
    # uncertain, before and after
    F("Mulig {t}.", "uncertain", "m"), F("Truleg {t}.", "uncertain", "m"),
    F("Susp. {t}.", "uncertain", "m", 1960),
    F("{T}, sannsynligvis.", "uncertain", "m", 1940), F("{T} mulig.", "uncertain", "m"),
    F("{T}?", "uncertain", "m"), F("{T} kan ikke utelukkes.", "uncertain", "m", 1950),
    F("{T}, truleg.", "uncertain", "m"),
    # historical, before and after
    F("Tidlegare {t}.", "historical", "m"), F("Tidl. {t}.", "historical", "m", 1950),
    F("{T} i yngre år.", "historical", "m"), F("{T} for mange år siden.", "historical", "m"),
    F("{T} i ungdomen.", "historical", "m"),
    # family, before and after
    F("Faren hadde {t}.", "family", "m"), F("Mor: {t}.", "family", "m", 1950),
    F("{T} hos far.", "family", "m"), F("{T} i familien.", "family", "m", 1940),
    F("{T} hjå far.", "family", "m"), F("{T} i slekta.", "family", "m"),
    # withdrawal
    F("{T} tredje døgn.", "affirmed", "w"), F("Utviklet {t} etter innleggelsen.", "affirmed", "w"),
    F("{T}: nei.", "negated", "w", 1950), F("{T} ikke observert.", "negated", "w", 1950),
    F("Ikkje teikn til {t}.", "negated", "w"),
    F("{T}, sannsynligvis.", "uncertain", "w", 1940), F("{T}?", "uncertain", "w"),
    F("{T} ved tidligere innleggelser.", "historical", "w", 1940),
)

#: Affirmed openings per substance group for sentences that affirm one substance and deny
#: another (``co_mention_<group>`` pools): (text, concept, first year).
AFFIRMED_OPENINGS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "alcohol": (("Drikker daglig", "alcohol", 1900), ("Kjent alkoholmisbruk", "alcohol", 1940),
                ("Potus", "alcohol", 1900)),
    "opioids": (("Injiserer heroin", "opioids", 1970),
                ("Kjent heroinmisbruk", "opioids", 1970), ("Morfinisme", "opioids", 1900)),
    "cannabis": (("Røyker hasj daglig", "cannabis", 1965),),
    "sedatives": (("Bruker benzodiazepiner daglig", "sedatives", 1970),
                  ("Misbruk av sovemidler", "sedatives", 1920)),
    "stimulants": (("Bruker amfetamin", "stimulants", 1960),),
    "polydrug": (("Kjent blandingsmisbruk", "polydrug", 1965),),
}
#: Closings that deny a second substance: ``{t}`` a misuse noun, ``{s}`` a substance noun.
DENIED_CLOSINGS: tuple[tuple[str, str, int], ...] = (
    (", men {t} benektes.", "m", 1900), ("; {t}: nei.", "s", 1950),
    (", men ikke holdepunkter for {t}.", "m", 1940), (", men ikkje {t}.", "m", 1900),
)
#: The substance denied after each group's opening.
DENIED_FOR: dict[str, tuple[str, ...]] = {
    "alcohol": ("cannabis", "opioids"), "opioids": ("alcohol",), "cannabis": ("alcohol",),
    "sedatives": ("opioids",), "stimulants": ("alcohol",), "polydrug": ("alcohol",),
}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pool(concept: str, context: str) -> str:
    """The document pool a sentence of this concept and context belongs to."""
    if concept == "withdrawal":
        return "withdrawal"
    if context == "affirmed":
        return f"primary_{concept}"
    if context == "negated":
        return "negation_alcohol" if concept == "alcohol" else "negation_drugs"
    if context == "historical":
        return "historical_alcohol" if concept == "alcohol" else "historical_drugs"
    return context  # uncertain, family


@cache
def grammar_sentences() -> pd.DataFrame:
    """Every sentence the grammar generates, in the layout of the sentence table.

    Returns
    -------
    pandas.DataFrame
        Columns ``pool``, ``text``, ``labels`` (``concept:context``, ``;``-separated),
        ``year_from``, ``year_to``, ``weight`` (1 each; :func:`harkit.synth.documents`
        scales the grammar's share of each pool) and ``frame`` (the frame template, or
        ``co_mention``).
    """
    rows = []
    for term in TERMS:
        for fr in FRAMES:
            if term.kind not in fr.kinds or (term.kind == "w") != ("w" in fr.kinds):
                continue
            lo, hi = max(term.year_from, fr.year_from), min(term.year_to, fr.year_to)
            if lo > hi:
                continue
            text = fr.template.format(t=term.text, T=_cap(term.text))
            rows.append((_pool(term.concept, fr.context), text,
                         f"{term.concept}:{fr.context}", lo, hi, 1.0, fr.template))
    for group, openings in AFFIRMED_OPENINGS.items():
        for opening, concept, first in openings:
            for closing, kind, c_first in DENIED_CLOSINGS:
                for other in DENIED_FOR[group]:
                    for term in TERMS:
                        if term.concept != other or term.kind != kind:
                            continue
                        lo = max(first, c_first, term.year_from)
                        hi = term.year_to
                        if lo > hi:
                            continue
                        text = opening + closing.format(t=term.text)
                        rows.append((f"co_mention_{group}", text,
                                     f"{concept}:affirmed;{other}:negated", lo, hi, 1.0,
                                     "co_mention"))
    return pd.DataFrame(rows, columns=["pool", "text", "labels", "year_from", "year_to",
                                       "weight", "frame"])
