"""Long synthetic record pages: ordinary clinical prose with a small share of labelled mentions.

A real scanned record page holds ~2-3 KB of text, most of it ordinary clinical prose
(findings, lab values, doses, dates, plans) and only now and then a sentence about
substances. :func:`record_pages` writes such pages: sentence by sentence, a labelled
sentence from ``data/document_sentences.csv`` (valid for the page's year) with probability
``mention_share``, else a prose sentence built from templates over a vocabulary of several
hundred Norwegian clinical words, numbers with units and dates. Pages are wrapped into
lines of 60-80 characters, with occasional line-end hyphenation (``abdo-\\nmen``).

OCR noise depends on the era. Labelled sentences get the confusions of
:data:`harkit.synth.documents.NOISE_OPS` as in the register generator; prose words get
character-level misreadings (``e``->``c``, ``m``->``rn``, ``l``->``1``, ``o``->``0``,
dropped and doubled letters ...) at 3 % of words before 1970, 1.5 % before 1990 and
rarely after, so the vocabulary has a long tail. No prose word or misreading of one folds to
a term of the shipped concept lexicon (family words included), so every concept hit in a
page comes from a labelled sentence, and the labels are exact: a page's labels are the
union of its labelled sentences' labels, built as ``generate(...).truth.document_labels``.

:func:`iter_record_pages` streams chunks of pages (chunk ``k`` is seeded by
``(seed, k)``) until a given number of MB (10**6 bytes of UTF-8 text) is produced.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache

import numpy as np
import pandas as pd

from harkit.synth import codes
from harkit.synth.documents import CONTEXTS, NOISE_OPS, OCR_NOISE, noise_text, sentence_labels

__all__ = ["LABEL_COLUMNS", "PAGE_COLUMNS", "PROSE_NOISE", "iter_record_pages",
           "prose_vocabulary", "record_pages"]

PAGE_COLUMNS: tuple[str, ...] = ("document_id", "person_id", "year", "text")
LABEL_COLUMNS: tuple[str, ...] = ("document_id", "concept") + CONTEXTS
#: Share of prose words with an OCR misreading, by period (first year, share).
PROSE_NOISE = ((0, 0.03), (1970, 0.015), (1990, 0.003), (2000, 0.001))
#: Share of line breaks that split the next word with a hyphen (words of 8+ letters).
HYPHENATION = 0.25
#: Mean pages per person (a person's pages are consecutive documents).
PAGES_PER_PERSON = 25
#: Pages generated per internal batch (bounds the temporary arrays).
_BATCH = 2_000
_FIRST_YEAR = 1850  # first year of the date tables
_LAST_YEAR = 2030

# ---------------------------------------------------------------------------------------
# Vocabulary. Words are lower case unless they are abbreviations; a sentence start is
# capitalised by the generator. No word may fold to a lexicon term (see _clash).
# ---------------------------------------------------------------------------------------
_WORDS: dict[str, tuple[str, ...]] = {
    "SUBJ": ("pasienten", "pas.", "pt.", "han", "hun", "mannen", "kvinnen",
             "pasientinnen", "den syke"),
    "COMPLAINT": ("klager over", "angir", "beskriver", "forteller om", "har hatt",
                  "har merket", "plages av", "har tiltagende", "har kjent", "merker",
                  "nevner", "har fått", "kjenner", "har stadig", "har lett", "har sterke",
                  "har periodevis", "har vedvarende", "har intermitterende"),
    "SYMPTOM": ("smerter", "hodepine", "kvalme", "oppkast", "feber", "hoste", "tungpust",
                "dyspné", "svimmelhet", "diaré", "forstoppelse", "tretthet", "vekttap",
                "nattesvette", "hjertebank", "brystsmerter", "ødemer", "kløe", "utslett",
                "magesmerter", "ryggsmerter", "leddsmerter", "nummenhet", "prikking",
                "halsbrann", "dysuri", "hematuri", "melena", "heshet", "frysninger",
                "appetittløshet", "slapphet", "besvimelser", "øresus", "synsforstyrrelser",
                "dobbeltsyn", "sure oppstøt", "svelgvansker", "tyngdefølelse", "stikninger",
                "hevelse", "neseblødning", "blodig oppspytt", "piping i brystet",
                "hjertesmerter", "urinlekkasje", "muskelsmerter", "nakkesmerter",
                "hoftesmerter", "knesmerter", "skuldersmerter", "verk i leddene",
                "tungpustethet", "sjenerende hoste", "ekspektorat", "brennende smerter",
                "stivhet", "kramper i leggene", "vannlatingsplager", "hyppig vannlating",
                "oppblåsthet", "raping", "luftplager", "ørepine", "sår hals", "snue",
                "tannverk", "eksem", "sårdannelse", "verkende føtter", "kalde føtter",
                "synkope", "anfall av svimmelhet", "søvnvansker", "uro", "angst",
                "nedstemthet", "konsentrasjonsvansker", "glemsomhet", "tiltaksløshet"),
    "TIME": ("i to dager", "i tre dager", "i en uke", "i flere uker", "i to måneder",
             "siden mandag", "siden i går", "siden jul", "siden påske", "de siste dagene",
             "om natten", "om morgenen", "etter måltider", "ved anstrengelse", "i hvile",
             "i perioder", "hele dagen", "etter fallet", "siden forrige kontroll",
             "det siste halve året", "gjennom vinteren", "i forbindelse med arbeid",
             "i over et år", "siden sommeren", "de siste ukene", "ved gange",
             "ved liggende stilling", "etter kaldt vær", "i lengre tid", "av og til"),
    "ANAT": ("abdomen", "buken", "thorax", "lungene", "hjertet", "leveren", "milten",
             "nyrelosjene", "halsen", "nakken", "ryggen", "huden", "tungen", "svelget",
             "pupillene", "lymfeknutene", "skjoldkjertelen", "ekstremitetene", "leggene",
             "føttene", "hendene", "leddene", "columna", "caput", "collum", "slimhinnene",
             "tennene", "ørene", "øynene", "prostata", "rectum", "pulsen", "reflekser",
             "hofteleddet", "kneleddet", "ankelen", "skulderen", "albuen", "håndleddet",
             "underlivet", "bekkenet", "brystkassen", "mammae", "genitalia", "operasjonssåret",
             "arret", "tonsillene", "trommehinnene", "neglene", "hodebunnen"),
    "FINDING": ("normal", "normale", "uøm", "øm", "bløt og uøm", "rolig", "regelmessig",
                "uregelmessig", "svekket", "nedsatt", "lett forstørret", "ikke palpabel",
                "hoven", "rødlig", "blek", "varm og tørr", "kald", "gulfarget", "ikterisk",
                "cyanotisk", "stiv", "fritt bevegelig", "symmetrisk", "upåfallende",
                "uten anmerkning", "litt øm", "noe hoven", "øm ved palpasjon",
                "tydelig forstørret", "lett nedsatt", "innen normalområdet", "fuktig",
                "tørr", "belagt", "injisert", "lett injisert", "indurert", "fast",
                "elastisk", "palpabel", "smertefri", "ubesværet", "anspent", "oppblåst",
                "velhelet", "rent", "sekresjonsfritt", "klart", "speilende",
                "noe redusert"),
    "FINDING_NOUN": ("fremmedlyder", "bilyder", "ødemer", "ømhet", "oppfylninger",
                     "utslett", "sår", "hevelse", "patologi", "anmerkning", "sikre funn",
                     "resistens", "defans", "dempning", "nakkestivhet", "lymfeknuter",
                     "tegn til infeksjon", "rubor", "sekresjon", "kneppelyder", "gnidningslyd",
                     "pittingødem", "varicer", "flebitt", "hudforandringer"),
    "PLACE": ("medisinsk avdeling", "kirurgisk avdeling", "poliklinikken", "sykehjemmet",
              "lokalsykehuset", "fastlegen", "distriktslegen", "legevakten",
              "hjemmesykepleien", "øyeavdelingen", "nevrologisk avdeling",
              "røntgenavdelingen", "sentralsykehuset", "tannlegen", "fysioterapeut",
              "trygdekontoret", "ortopedisk avdeling", "hudavdelingen",
              "revmatologisk poliklinikk", "gynekologisk avdeling", "intensivavdelingen",
              "rehabiliteringsavdelingen", "kommunelegen", "bedriftslegen",
              "helsestasjonen", "aldershjemmet", "regionsykehuset", "lungeavdelingen"),
    "PASTV": ("innlagt", "utskrevet", "henvist", "overflyttet", "undersøkt", "behandlet",
              "observert", "vurdert", "operert", "mobilisert", "sendt", "fulgt opp",
              "kontrollert", "innkalt", "sett", "konferert", "tilsett", "hospitalisert",
              "rekvirert", "overført", "skrevet ut", "sendt hjem"),
    "PROC": ("røntgen thorax", "EKG", "ultralyd abdomen", "gastroskopi", "koloskopi",
             "spirometri", "CT caput", "blodprøver", "urinprøve", "biopsi",
             "ekkokardiografi", "bronkoskopi", "audiometri", "røntgen columna",
             "skjelettrøntgen", "EEG", "lumbalpunksjon", "cystoskopi", "mammografi",
             "arbeids-EKG", "røntgen bekken", "ultralyd hals", "CT abdomen",
             "røntgen kne", "blodkultur", "dyrkning fra urin", "sternalpunksjon"),
    "RESULT": ("normale forhold", "ingen patologi", "lett forstørret hjerte",
               "fortetning basalt", "ingen sikre funn", "små forandringer",
               "væske i pleura", "gallestein", "degenerative forandringer",
               "ulcus i bulbus", "lett stuvning", "sinusrytme", "atrieflimmer",
               "venstre grenblokk", "nyrestein", "ingen fraktur", "forkalkninger",
               "normal hjertestørrelse", "emfysem", "kompresjonsfraktur", "hiatushernie",
               "divertikler", "polypp i sigmoideum", "gammelt infarkt", "normal sinusrytme",
               "forstørret milt", "fettlever", "cyste i venstre nyre", "fri luft",
               "ingen tegn til blødning"),
    "MED": ("paracet", "penicillin", "digitoxin", "furosemid", "lasix", "insulin",
            "prednisolon", "marevan", "albyl", "metformin", "ampicillin", "kinidin",
            "nitroglyserin", "aminofyllin", "jerntabletter", "tiamin", "kaliumklorid",
            "ventoline", "atenolol", "simvastatin", "omeprazol", "ibux", "voltaren",
            "amoxicillin", "doxycyklin", "tetracyklin", "selexid", "hydroklortiazid",
            "levaxin", "allopurinol", "metoprolol", "enalapril", "spironolakton",
            "streptomycin", "isoniazid", "digoksin", "folsyre", "vitamin B12",
            "kalsium", "magnesium", "erytromycin", "trimetoprim", "klorpromazin",
            "haloperidol", "litium", "amitriptylin", "warfarin", "heparin"),
    "DIAG": ("pneumoni", "hjertesvikt", "diabetes mellitus", "hypertensjon",
             "angina pectoris", "ulcus ventriculi", "gastritt", "anemi", "bronkitt", "kols",
             "astma", "lårhalsbrudd", "cystitt", "pyelonefritt", "hjerteinfarkt",
             "apopleksi", "tuberkulose", "artrose", "ischias", "influensa", "erysipelas",
             "dehydrering", "hypotyreose", "nyresvikt", "kolecystitt", "appendisitt",
             "lungeemboli", "dyp venetrombose", "cancer coli", "pleuritt", "perikarditt",
             "epilepsi", "migrene", "depresjon", "psoriasis", "gikt", "struma",
             "prostatahyperplasi", "hemoroider", "lyskebrokk", "katarakt", "glaukom",
             "osteoporose", "revmatoid artritt", "polio", "difteri", "meslinger",
             "skarlagensfeber", "kikhoste", "pernisiøs anemi"),
    "STATE": ("er våken og klar", "er afebril", "er i god form", "sitter oppe",
              "går rundt på posten", "spiser godt", "sover godt", "er noe urolig",
              "er smertefri", "er blek og slapp", "er sengeliggende",
              "er orientert for tid og sted", "har god matlyst", "er i bedring",
              "er subfebril", "tåler kosten", "trenger hjelp til stell",
              "er fornøyd med oppholdet", "ønsker å reise hjem", "er oppegående",
              "er tungpusten i hvile", "er i redusert allmenntilstand", "virker trett",
              "er samarbeidsvillig", "er adekvat i kontakt", "er kvalm og uvel",
              "klarer seg selv", "går med stokk", "bruker rullator", "er sterkt redusert"),
    "BETTER": ("avtagende", "tiltagende", "uendret", "i bedring", "forverret", "borte",
               "vekslende", "noe bedre", "mindre uttalt", "som før", "betydelig bedre"),
    "ACTIVITY": ("måltider", "arbeid", "trappegang", "fall", "løfting", "lengre gange",
                 "sykling", "kulde", "hoste", "lang tids sengeleie", "vaksinasjon",
                 "operasjonen", "forkjølelse", "tungt arbeid", "et fall på isen"),
    "DOCTOR": ("overlegen", "assistentlegen", "turnuslegen", "avdelingslegen",
               "reservelegen", "sykepleier", "fysioterapeut", "kirurg", "indremedisiner",
               "nevrolog", "øyelege", "hudlege", "vakthavende lege"),
    "PLANV": ("planlegges", "tas", "bestilles", "avtales", "rekvireres", "gjøres",
              "anbefales", "utføres", "gjentas", "ønskes"),
    "NUMWORD": ("to", "tre", "fire", "fem", "seks", "åtte", "ti", "fjorten"),
    "MONTH": ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august",
              "september", "oktober", "november", "desember"),
}
#: Lab tests: name, lowest and highest value, decimals, unit.
_LABS: tuple[tuple[str, float, float, int, str], ...] = (
    ("Hb", 8.0, 17.5, 1, "g/dl"), ("SR", 1, 90, 0, "mm"), ("CRP", 1, 250, 0, "mg/l"),
    ("leukocytter", 2.5, 25.0, 1, "10^9/l"), ("trombocytter", 80, 500, 0, "10^9/l"),
    ("natrium", 125, 148, 0, "mmol/l"), ("kalium", 2.8, 5.9, 1, "mmol/l"),
    ("kreatinin", 45, 450, 0, "µmol/l"), ("glukose", 3.5, 22.0, 1, "mmol/l"),
    ("ALAT", 8, 350, 0, "U/l"), ("ASAT", 8, 350, 0, "U/l"), ("GT", 8, 900, 0, "U/l"),
    ("bilirubin", 4, 150, 0, "µmol/l"), ("albumin", 22, 50, 0, "g/l"),
    ("urinstoff", 2.0, 30.0, 1, "mmol/l"), ("kolesterol", 3.0, 9.5, 1, "mmol/l"),
    ("blodsukker", 3.5, 20.0, 1, "mmol/l"), ("serumjern", 4, 35, 0, "µmol/l"),
    ("kalsium", 1.9, 2.9, 2, "mmol/l"), ("hematokrit", 28, 52, 0, "%"),
)
#: Number categories: name -> (lowest, highest, step, decimals).
_NUMBERS: dict[str, tuple[float, float, float, int]] = {
    "FREQ": (1, 4, 1, 0), "PULSE": (40, 140, 1, 0), "TEMP": (35.5, 40.5, 0.1, 1),
    "WEIGHT": (38, 125, 1, 0), "HEIGHT": (148, 198, 1, 0), "DAYS": (1, 21, 1, 0),
}
_DOSES = ("0,5", "1", "2", "2,5", "5", "10", "12,5", "20", "25", "40", "50", "75", "100",
          "200", "250", "400", "500", "1000")
#: Sentence templates and their weights. ``{X}`` is a word of category X (or ``{LAB}`` a
#: lab test with value and unit, ``{DATE}`` a date in or just before the page's year,
#: ``{PASTYEAR}`` an earlier year); other words are literal. A trailing ``.`` or ``,``
#: belongs to the slot.
_TEMPLATES: tuple[tuple[str, float], ...] = (
    ("{ANAT} {FINDING}.", 3), ("{ANAT} er {FINDING}.", 3),
    ("{ANAT} {FINDING}, {ANAT} {FINDING}.", 2),
    ("{SUBJ} {COMPLAINT} {SYMPTOM} {TIME}.", 4),
    ("{SUBJ} {COMPLAINT} {SYMPTOM} og {SYMPTOM}.", 2),
    ("{LAB}, {LAB}, {LAB}.", 2), ("{LAB} og {LAB}.", 1), ("Blodprøver: {LAB}, {LAB}.", 1),
    ("Innlagt {DATE} med {SYMPTOM} og {SYMPTOM}.", 1),
    ("{MED} {DOSE} mg x {FREQ}.", 2), ("Blodtrykk {BP}, puls {PULSE}.", 2),
    ("Temperatur {TEMP} om kvelden.", 1), ("{PROC} {DATE} viser {RESULT}.", 2),
    ("Ingen {SYMPTOM}.", 1), ("{SUBJ} {PASTV} til {PLACE} {DATE}.", 2),
    ("Kontroll i {MONTH}.", 1), ("Kontroll om {NUMWORD} uker.", 1),
    ("{SUBJ} {STATE}.", 3), ("{ANAT} uten {FINDING_NOUN}.", 2),
    ("Startet {MED} {DOSE} mg {DATE}.", 1), ("Seponert {MED} pga. {SYMPTOM}.", 1),
    ("Diagnose: {DIAG}.", 1), ("{SUBJ} {PASTV} {DATE} i god allmenntilstand.", 1),
    ("Telefon fra {PLACE} {DATE}.", 1), ("Tidligere {DIAG} i {PASTYEAR}.", 1),
    ("{SUBJ} {COMPLAINT} {SYMPTOM} etter {ACTIVITY}.", 1),
    ("Vekt {WEIGHT} kg, høyde {HEIGHT} cm.", 1), ("Undersøkt av {DOCTOR} {DATE}.", 1),
    ("{SUBJ} {PASTV} {DATE}.", 1), ("Det {PLANV} {PROC}.", 2), ("{SYMPTOM} {BETTER}.", 2),
    ("Behandlet med {MED} i {DAYS} dager.", 1), ("{MED} økes til {DOSE} mg.", 1),
    ("Ny kontroll hos {PLACE} i {MONTH}.", 1), ("Kl. {CLOCK} {SUBJ} {STATE}.", 1),
)
# Forms of a surface: as is, with a full stop, with a comma; then the same capitalised.
_FORMS = 6
_PLAIN, _DOT, _COMMA, _CAP, _CAPDOT, _CAPCOMMA = range(_FORMS)
_SEPS = np.array([" ", "\n"], dtype=object)
_ALL_OPS = tuple(range(len(NOISE_OPS)))


def _misreadings(word: str) -> set[str]:
    """All single OCR misreadings of a word (substitutions, dropped and doubled letters)."""
    subs = {"e": "c", "m": "rn", "l": "1", "o": "0", "i": "l", "n": "u", "h": "b",
            "ø": "o", "å": "a", "u": "n"}
    out = set()
    for i, ch in enumerate(word):
        if not ch.isalpha():
            continue
        if ch in subs:
            out.add(word[:i] + subs[ch] + word[i + 1:])
        out.add(word[:i] + word[i + 1:])
        out.add(word[:i] + ch + word[i:])
    if "rn" in word:
        out.add(word.replace("rn", "m", 1))
    out.discard(word)
    return {w for w in out if len(w) >= 2 and "  " not in w and w.strip() == w}


@cache
def _lexicon_index() -> tuple[frozenset[str], tuple[str, ...], tuple[re.Pattern, ...]]:
    """Folded whole-word terms (incl. the key word of each phrase), prefixes and regexes."""
    from harkit.icd.text import fold_text
    from harkit.text.lexicon import load_lexicon

    lex = load_lexicon()
    whole: set[str] = set()
    prefixes: set[str] = set()
    regexes: list[re.Pattern] = []
    for name in lex.names:
        for variant in lex.variants(name):
            key = fold_text(variant.rstrip("*"))
            if " " in key:
                # a phrase cannot match without its longest word: keep that word out
                whole.add(max(key.split(), key=len))
            elif variant.endswith("*"):
                prefixes.add(key)
            else:
                whole.add(key)
        regexes.extend(rx.compile() for rx in lex[name].regexes)
    return frozenset(whole), tuple(sorted(prefixes)), tuple(regexes)


def _clash(surface: str) -> bool:
    """True if any word of ``surface`` folds to a lexicon term (or a regex matches)."""
    whole, prefixes, regexes = _lexicon_index()
    for piece in re.findall(r"\w+", surface):
        f = _fold_piece(piece)
        if f in whole or f.startswith(prefixes):
            return True
    return any(rx.search(surface) for rx in regexes)


@cache
def _fold_piece(piece: str) -> str:
    from harkit.icd.text import fold_text

    return fold_text(piece)


def _num(v: float, dec: int) -> str:
    return f"{v:.{dec}f}".replace(".", ",")


@dataclass(frozen=True)
class _Tables:
    """Surfaces (words and their misreadings, numbers, dates) in every form, and templates."""

    forms: np.ndarray  # object: surface * _FORMS + form
    lengths: np.ndarray  # characters per form id
    hyph: np.ndarray  # form id may be split at a line end
    surf0: np.ndarray  # first surface (the clean one) of each word
    nvar: np.ndarray  # misreadings of each word (surfaces surf0+1 .. surf0+nvar)
    cats: dict[str, np.ndarray]  # category -> word ids
    lab_name: np.ndarray
    lab_unit: np.ndarray
    lab_val0: np.ndarray  # first word id of each lab test's values (contiguous)
    lab_nval: np.ndarray
    date0: int  # word id of 1 January _FIRST_YEAR; 365 days per year
    year0: int  # word id of the year _FIRST_YEAR written as a number
    templates: tuple[tuple[tuple[str, str, int], ...], ...]  # (kind, category, form)
    weights: np.ndarray
    vocab: dict[str, int]  # clean prose word -> word id
    rejected: tuple[str, ...]  # vocabulary words that fold to a lexicon term (left out)
    rows: np.ndarray  # labelled rows of the sentence table
    row_cum: np.ndarray  # (year, row) cumulative weight of the rows valid in that year
    row_years: tuple[int, int]
    mean_labelled: float  # mean labelled sentence length + 1 separator
    mean_prose: float = 0.0  # mean prose sentence length + 1 separator


def _parse_template(t: str) -> tuple[tuple[str, str, int], ...]:
    items = t.split(" ")
    out = []
    for i, item in enumerate(items):
        punct = item[-1] if item[-1] in ".," else ""
        body = item[:-1] if punct else item
        form = {"": _PLAIN, ".": _DOT, ",": _COMMA}[punct] + (_CAP if i == 0 else 0)
        if body.startswith("{"):
            cat = body[1:-1]
            kind = cat.lower() if cat in ("LAB", "DATE", "PASTYEAR") else "cat"
            out.append((kind, cat, form))
        else:
            out.append(("cat", "=" + body.lower(), form))
    return tuple(out)


class _Builder:
    """Collects words: each word is a clean surface followed by its misreadings."""

    def __init__(self) -> None:
        self.surfaces: list[str] = []
        self.surface_of: dict[str, int] = {}
        self.surf0: list[int] = []
        self.nvar: list[int] = []
        self.vocab: dict[str, int] = {}
        self.rejected: list[str] = []

    def word(self, text: str) -> int | None:
        """A prose word with its misreadings; None if it folds to a lexicon term."""
        if text in self.vocab:
            return self.vocab[text]
        if _clash(text):
            self.rejected.append(text)
            return None
        variants = sorted(v for v in _misreadings(text) if not _clash(v)) if len(
            text) >= 3 else []
        self.vocab[text] = len(self.surf0)
        self.surf0.append(len(self.surfaces))
        self.nvar.append(len(variants))
        self.surfaces.append(text)
        self.surfaces.extend(variants)
        return self.vocab[text]

    def number(self, text: str) -> int:
        """A word without misreadings (numbers, units, dates); a new id on every call."""
        if text not in self.surface_of:
            self.surface_of[text] = len(self.surfaces)
            self.surfaces.append(text)
        self.surf0.append(self.surface_of[text])
        self.nvar.append(0)
        return len(self.surf0) - 1


@cache
def _tables() -> _Tables:
    b = _Builder()
    cats: dict[str, np.ndarray] = {}
    for cat, words in _WORDS.items():
        cats[cat] = np.array([i for w in words if (i := b.word(w)) is not None])
    templates = tuple(_parse_template(t) for t, _ in _TEMPLATES)
    for tpl in templates:
        for _, cat, _ in tpl:
            if cat.startswith("="):
                i = b.word(cat[1:])
                if i is None:
                    raise ValueError(f"template word {cat[1:]!r} folds to a lexicon term")
                cats[cat] = np.array([i])
    for cat, (lo, hi, step, dec) in _NUMBERS.items():
        n = int(round((hi - lo) / step)) + 1
        cats[cat] = np.array([b.number(_num(lo + k * step, dec)) for k in range(n)])
    cats["DOSE"] = np.array([b.number(d) for d in _DOSES])
    cats["CLOCK"] = np.array([b.number(f"{h:02d}.{m:02d}") for h in range(24)
                              for m in range(60)])
    cats["BP"] = np.array([b.number(f"{s}/{d}") for s in range(90, 205, 5)
                           for d in range(50, 125, 5) if d < s - 20])
    lab_name, lab_unit, lab_val0, lab_nval = [], [], [], []
    for name, lo, hi, dec, unit in _LABS:
        lab_name.append(b.word(name))
        lab_unit.append(b.number(unit))
        n = int(round((hi - lo) * 10 ** dec)) + 1
        ids = [b.number(_num(lo + k / 10 ** dec, dec)) for k in range(n)]
        lab_val0.append(ids[0])
        lab_nval.append(n)
    days = np.arange(f"{_FIRST_YEAR}-01-01", f"{_LAST_YEAR + 1}-01-01", dtype="datetime64[D]")
    day_of_year = (days - days.astype("datetime64[Y]").astype("datetime64[D]")).astype(int)
    iso = np.datetime_as_string(days[day_of_year < 365])
    date0 = b.number(f"{iso[0][8:10]}.{iso[0][5:7]}.{iso[0][:4]}")
    for s in iso[1:]:
        b.number(f"{s[8:10]}.{s[5:7]}.{s[:4]}")
    year0 = b.number(str(_FIRST_YEAR))
    for y in range(_FIRST_YEAR + 1, _LAST_YEAR + 1):
        b.number(str(y))

    plain = np.array(b.surfaces, dtype=object)
    cap = np.array([s[:1].upper() + s[1:] for s in b.surfaces], dtype=object)
    forms = np.stack([plain, plain + ".", plain + ",", cap, cap + ".", cap + ","],
                     axis=1).ravel()
    slen = np.fromiter(map(len, b.surfaces), dtype=np.int64, count=len(b.surfaces))
    lengths = (slen[:, None] + np.array([0, 1, 1, 0, 1, 1])[None, :]).ravel()
    hyph = np.repeat([len(s) >= 8 and s.isalpha() for s in b.surfaces], _FORMS)
    weights = np.array([w for _, w in _TEMPLATES], dtype=float)
    tab = _Tables(forms, lengths, hyph, np.asarray(b.surf0, dtype=np.int64),
                  np.asarray(b.nvar, dtype=np.int64), cats,
                  np.asarray(lab_name), np.asarray(lab_unit), np.asarray(lab_val0),
                  np.asarray(lab_nval), date0, year0, templates, weights / weights.sum(),
                  dict(b.vocab), tuple(b.rejected), *_labelled_rows())
    # mean prose sentence length, from a fixed sample
    rng = np.random.default_rng(12345)
    n = 20_000
    tpl = rng.choice(len(templates), n, p=tab.weights)
    total = 0.0
    for t in range(len(templates)):
        idx = np.flatnonzero(tpl == t)
        total += _clean_lengths(tab, t, _pick(rng, tab, t, np.full(len(idx), 1980))).sum()
    return replace(tab, mean_prose=total / n + 1)


def _labelled_rows() -> tuple[np.ndarray, np.ndarray, tuple[int, int], float]:
    st = codes.sentence_table()
    rows = np.flatnonzero(st["labels"].to_numpy() != "")
    yf = st["year_from"].to_numpy()[rows]
    yt = st["year_to"].to_numpy()[rows]
    w = st["weight"].to_numpy()[rows]
    lo, hi = int(yf.min()), int(yt.max())
    years = np.arange(lo, hi + 1)
    valid = (yf[None, :] <= years[:, None]) & (yt[None, :] >= years[:, None])
    if not valid.any(axis=1).all():
        raise ValueError("the sentence table has years without a labelled sentence")
    cum = np.cumsum(valid * w[None, :], axis=1)
    lens = st["text"].str.len().to_numpy()[rows] + 1
    mean_l = float((valid * w * lens).sum() / (valid * w).sum())
    return rows, cum, (lo, hi), mean_l


def _pick(rng: np.random.Generator, tab: _Tables, t: int, years: np.ndarray) -> np.ndarray:
    """Word ids (n, tokens) for ``len(years)`` sentences of template ``t``."""
    n = len(years)
    cols = []
    for kind, cat, _ in tab.templates[t]:
        if kind == "cat":
            ids = tab.cats[cat]
            cols.append(ids[(rng.random(n) * len(ids)).astype(np.int64)])
        elif kind == "lab":
            lab = (rng.random(n) * len(tab.lab_name)).astype(np.int64)
            val = tab.lab_val0[lab] + (rng.random(n) * tab.lab_nval[lab]).astype(np.int64)
            cols += [tab.lab_name[lab], val, tab.lab_unit[lab]]
        elif kind == "date":
            y = years - (rng.random(n) < 0.2)
            cols.append(tab.date0 + (y - _FIRST_YEAR) * 365
                        + (rng.random(n) * 365).astype(np.int64))
        else:  # pastyear
            y = years - 1 - (rng.random(n) * 30).astype(np.int64)
            cols.append(tab.year0 + np.maximum(y, _FIRST_YEAR) - _FIRST_YEAR)
    return np.stack(cols, axis=1) if cols else np.zeros((n, 0), dtype=np.int64)


def _token_forms(tab: _Tables, t: int) -> np.ndarray:
    out = []
    for kind, _, form in tab.templates[t]:
        if kind == "lab":
            out += [form - form % _CAP, _PLAIN, form % _CAP]
        else:
            out.append(form)
    return np.asarray(out, dtype=np.int64)


def _clean_lengths(tab: _Tables, t: int, wid: np.ndarray) -> np.ndarray:
    f = _token_forms(tab, t)
    return tab.lengths[tab.surf0[wid] * _FORMS + f[None, :]].sum(axis=1) + wid.shape[1] - 1


def _rate(table: tuple[tuple[int, float], ...], years: np.ndarray) -> np.ndarray:
    starts = np.array([s for s, _ in table])
    return np.array([p for _, p in table])[np.searchsorted(starts, years, side="right") - 1]


@cache
def _sentence_texts() -> tuple[str, ...]:
    return tuple(codes.sentence_table()["text"])


@lru_cache(maxsize=100_000)
def _labelled_tokens(row: int, mask: int) -> tuple[list[str], list[int], list[bool]]:
    """Words of a labelled sentence after the noise of ``mask``, lengths, hyphenable."""
    text = _sentence_texts()[row]
    if mask:
        text = noise_text(text, _ALL_OPS, mask)
    toks = text.split(" ")
    return (toks, [len(w) for w in toks],
            [len(w.rstrip(".,")) >= 8 and w.rstrip(".,").isalpha() for w in toks])


def _batch(rng: np.random.Generator, tab: _Tables, years: np.ndarray, targets: np.ndarray,
           share: float, ocr_noise: bool) -> tuple[list[str], np.ndarray, np.ndarray, int]:
    """Texts of one batch of pages; also (page, sentence row) of labelled sentences."""
    b = len(years)
    e_p, e_l = tab.mean_prose, tab.mean_labelled
    # Pages are cut on prose lengths alone, so whether a sentence is labelled does not
    # depend on where the page ends; the target is scaled for the labelled share instead.
    goal = targets * e_p / (e_p * (1 - share) + e_l * share)
    n_cand = int(math.ceil(goal.max() / e_p * 1.35)) + 12
    tpl = rng.choice(len(tab.templates), size=b * n_cand, p=tab.weights)
    cand_year = np.repeat(years, n_cand)
    cand_len = np.zeros(b * n_cand, dtype=np.int64)
    picks: list[tuple[np.ndarray, np.ndarray]] = []
    for t in range(len(tab.templates)):
        idx = np.flatnonzero(tpl == t)
        wid = _pick(rng, tab, t, cand_year[idx])
        cand_len[idx] = _clean_lengths(tab, t, wid) + 1
        picks.append((idx, wid))
    cum = cand_len.reshape(b, n_cand).cumsum(axis=1)
    keep = ((cum - cand_len.reshape(b, n_cand)) < goal[:, None]).ravel()
    labelled = (rng.random(b * n_cand) < share) & keep

    # labelled sentences: a row valid in the page's year, noise as in documents.py
    lab_idx = np.flatnonzero(labelled)
    ly = np.clip(cand_year[lab_idx], *tab.row_years) - tab.row_years[0]
    cw = tab.row_cum[ly]
    lab_rows = tab.rows[np.minimum((cw <= (rng.random(len(lab_idx)) * cw[:, -1])[:, None])
                                   .sum(axis=1), len(tab.rows) - 1)]
    masks = np.zeros(len(lab_idx), dtype=np.int64)
    if ocr_noise:
        noisy = rng.random(len(lab_idx)) < _rate(OCR_NOISE, cand_year[lab_idx])
        bits = rng.random((len(lab_idx), len(NOISE_OPS))) < 0.35
        masks = np.where(noisy, (bits * (1 << np.arange(len(NOISE_OPS)))).sum(axis=1), 0)
    lab_tok = [_labelled_tokens(int(r), int(m)) for r, m in zip(lab_rows, masks)]

    ntok = np.zeros(b * n_cand, dtype=np.int64)
    for idx, wid in picks:
        ntok[idx] = wid.shape[1]
    ntok[lab_idx] = [len(x[0]) for x in lab_tok]
    ntok[~keep] = 0
    first = np.cumsum(ntok) - ntok
    n = int(ntok.sum())
    ids = np.zeros(n, dtype=np.int64)
    prose = keep & ~labelled
    p_noise = _rate(PROSE_NOISE, years) if ocr_noise else np.zeros(b)
    for t, (idx, wid) in enumerate(picks):
        sel = prose[idx]
        if not sel.any():
            continue
        w = wid[sel]
        pos = first[idx[sel]][:, None] + np.arange(w.shape[1])
        nv = tab.nvar[w]
        hit = (rng.random(w.shape) < p_noise[idx[sel] // n_cand][:, None]) & (nv > 0)
        surf = tab.surf0[w] + np.where(hit, 1 + (rng.random(w.shape) * nv).astype(np.int64), 0)
        ids[pos] = surf * _FORMS + _token_forms(tab, t)[None, :]
    tokens = tab.forms[ids]
    lengths = tab.lengths[ids]
    hyph = tab.hyph[ids]
    if lab_tok:
        k = ntok[lab_idx]
        pos = np.repeat(first[lab_idx] - np.cumsum(k) + k, k) + np.arange(k.sum())
        flat = np.empty(len(pos), dtype=object)
        flat[:] = [w for x in lab_tok for w in x[0]]
        tokens[pos] = flat
        lengths[pos] = [v for x in lab_tok for v in x[1]]
        hyph[pos] = [v for x in lab_tok for v in x[2]]

    # line breaks: a token starts a new line when its end passes the next multiple of
    # the page's line width (60-80 characters)
    page_ntok = ntok.reshape(b, n_cand).sum(axis=1)
    page_first = np.cumsum(page_ntok) - page_ntok
    page_of = np.repeat(np.arange(b), page_ntok)
    end = np.cumsum(lengths + 1) - 1
    base = np.r_[0, end][page_first][page_of]
    width = rng.integers(60, 81, b)[page_of]
    band = (end - base) // width
    brk = np.r_[False, band[1:] > band[:-1]]
    brk[page_first[page_ntok > 0]] = False
    # no line break after a suspended compound ("Alkohol- og ..."): "-\n" would read as a
    # line-end hyphenation and join the words
    suspended = np.fromiter((t.endswith("-") for t in tokens), bool, n)
    brk[1:] &= ~suspended[:-1]
    split = np.flatnonzero(brk & hyph & (rng.random(n) < HYPHENATION))
    u = rng.random(len(split))
    for i, x in zip(split, u):
        tok = tokens[i]
        core = len(tok.rstrip(".,"))
        k = 2 + int(x * (core - 3))
        tokens[i] = tok[:k] + "-\n" + tok[k:]
    brk[split] = False
    inter = np.empty(2 * n, dtype=object)
    inter[0::2] = _SEPS[brk.astype(np.int64)]
    inter[1::2] = tokens
    texts = ["".join(inter[2 * a + 1:2 * (a + c)].tolist())
             for a, c in zip(page_first.tolist(), page_ntok.tolist())]
    return texts, lab_idx // n_cand, lab_rows, int(keep.sum())


def _check_args(n_pages, page_chars, mention_share, year_range, start_id) -> tuple[int, int]:
    if not isinstance(n_pages, (int, np.integer)) or n_pages < 0:
        raise ValueError(f"n_pages must be a non-negative integer, got {n_pages!r}")
    if not isinstance(page_chars, (int, np.integer)) or page_chars < 200:
        raise ValueError(f"page_chars must be an integer of at least 200, got {page_chars!r}")
    if not (isinstance(mention_share, (int, float)) and 0 <= mention_share <= 1):
        raise ValueError(f"mention_share must be in [0, 1], got {mention_share!r}")
    if not isinstance(start_id, (int, np.integer)) or start_id < 0:
        raise ValueError(f"start_id must be a non-negative integer, got {start_id!r}")
    try:
        lo, hi = (int(y) for y in year_range)
    except (TypeError, ValueError):
        raise ValueError(f"year_range must be two years (first, last), got {year_range!r}"
                         ) from None
    ylo, yhi = _tables().row_years
    if not ylo <= lo <= hi <= yhi:
        raise ValueError(f"year_range must lie within {ylo}-{yhi} (the years of the "
                         f"labelled sentences) with first <= last, got {year_range!r}")
    return lo, hi


def record_pages(n_pages: int, *, seed: int | Sequence[int] | None = 0,
                 page_chars: int = 2500, mention_share: float = 0.05,
                 year_range: tuple[int, int] = (1950, 2015), start_id: int = 0,
                 ocr_noise: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write long record pages of clinical prose with a share of labelled sentences.

    Parameters
    ----------
    n_pages : int
        Pages to write.
    seed : int or sequence of int, optional
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same pages.
    page_chars : int, default 2500
        Target page length in characters (pages come within about 10 % of it).
    mention_share : float, default 0.05
        Probability that a sentence is a labelled sentence (from
        ``data/document_sentences.csv``) rather than prose.
    year_range : tuple of int, default (1950, 2015)
        First and last year of the pages (within the years of the labelled sentences).
    start_id : int, default 0
        Pages are numbered ``PG`` + 7 digits from ``start_id + 1``; persons ``PP`` + 7
        digits from ``start_id + 1``.
    ocr_noise : bool, default True
        Apply era-dependent OCR noise; False writes clean text (line breaks and line-end
        hyphenation are kept).

    Returns
    -------
    pages : pandas.DataFrame
        ``document_id``, ``person_id``, ``year``, ``text``; ``attrs`` hold
        ``n_sentences`` and ``n_labelled`` (sentences written and labelled ones).
    labels : pandas.DataFrame
        One row per page and concept mentioned: ``document_id``, ``concept`` and the
        booleans ``affirmed`` (asserted now or earlier; historical counts), ``negated``,
        ``historical``, ``uncertain``, ``family`` -- the layout of
        ``generate(...).truth.document_labels``.

    Raises
    ------
    ValueError
        An argument is out of range (the message names it).
    """
    lo, hi = _check_args(n_pages, page_chars, mention_share, year_range, start_id)
    tab = _tables()
    rng = np.random.default_rng(seed)
    n = int(n_pages)
    # persons: runs of consecutive pages, each person's pages over a few years
    n_per = 1 + rng.geometric(1 / PAGES_PER_PERSON, n)
    owner = np.repeat(np.arange(len(n_per)), n_per)[:n]
    rank = np.arange(n) - np.r_[0, np.cumsum(n_per)][owner]
    first_year = rng.integers(lo, hi + 1, len(n_per))
    span = rng.integers(0, 11, len(n_per))
    years = np.minimum(first_year[owner] + rank * span[owner] // n_per[owner], hi)
    targets = page_chars * rng.uniform(0.93, 1.07, n) - tab.mean_prose / 2
    texts: list[str] = []
    lab_page, lab_row = [], []
    n_sent = 0
    for a in range(0, n, _BATCH):
        t, lp, lr, ns = _batch(rng, tab, years[a:a + _BATCH], targets[a:a + _BATCH],
                               float(mention_share), ocr_noise)
        texts.extend(t)
        lab_page.append(lp + a)
        lab_row.append(lr)
        n_sent += ns
    width = max(7, len(str(start_id + n)))
    doc_ids = np.array([f"PG{start_id + i + 1:0{width}d}" for i in range(n)], dtype=object)
    n_owners = int(owner[-1]) + 1 if n else 0
    pers = np.array([f"PP{start_id + i + 1:0{width}d}" for i in range(n_owners)],
                    dtype=object)
    pages = pd.DataFrame({"document_id": doc_ids, "person_id": pers[owner],
                          "year": years.astype(np.int64), "text": texts})
    lp = np.concatenate(lab_page) if lab_page else np.zeros(0, dtype=np.int64)
    lr = np.concatenate(lab_row) if lab_row else np.zeros(0, dtype=np.int64)
    pages.attrs["n_sentences"] = n_sent
    pages.attrs["n_labelled"] = len(lp)
    long = pd.DataFrame({"doc": lp, "sentence": lr}).merge(sentence_labels(), on="sentence")
    for c in CONTEXTS:
        long[c] = long["context"] == c
    long["affirmed"] = long["affirmed"] | long["historical"]
    labels = (long.groupby(["doc", "concept"], sort=True)[list(CONTEXTS)].any()
              .reset_index())
    labels.insert(0, "document_id", doc_ids[labels.pop("doc").to_numpy()])
    return pages, labels


def iter_record_pages(total_mb: float, *, seed: int = 0, pages_per_chunk: int = 20_000,
                      with_labels: bool = False, **kw) -> Iterator[pd.DataFrame]:
    """Stream record pages chunk by chunk until ``total_mb`` MB of text is produced.

    Chunk ``k`` is ``record_pages(pages_per_chunk, seed=(seed, k),
    start_id=k * pages_per_chunk, **kw)``, so any chunk can be rebuilt alone; the last
    chunk is cut at the page that reaches ``total_mb``.

    Parameters
    ----------
    total_mb : float
        Megabytes (10**6 bytes) of UTF-8 text to produce.
    seed : int, default 0
    pages_per_chunk : int, default 20000
    with_labels : bool, default False
        Yield ``(pages, labels)`` instead of pages.
    **kw
        Passed to :func:`record_pages` (``page_chars``, ``mention_share``,
        ``year_range``, ``ocr_noise``).

    Yields
    ------
    pandas.DataFrame, or tuple of pandas.DataFrame
        Pages as from :func:`record_pages` (and their labels).
    """
    if not isinstance(total_mb, (int, float)) or not total_mb > 0:
        raise ValueError(f"total_mb must be a positive number, got {total_mb!r}")
    if not isinstance(pages_per_chunk, (int, np.integer)) or pages_per_chunk < 1:
        raise ValueError(f"pages_per_chunk must be a positive integer, got {pages_per_chunk!r}")
    if "start_id" in kw:
        raise ValueError("start_id is set per chunk; do not pass it")
    goal = total_mb * 1e6
    done = 0.0
    k = 0
    while done < goal:
        pages, labels = record_pages(pages_per_chunk, seed=(seed, k),
                                     start_id=k * pages_per_chunk, **kw)
        nbytes = np.cumsum([len(t.encode("utf-8")) for t in pages["text"]])
        if done + nbytes[-1] >= goal:
            cut = int(np.searchsorted(nbytes, goal - done)) + 1
            attrs = pages.attrs
            pages = pages.iloc[:cut]
            pages.attrs = attrs
            labels = labels[labels["document_id"].isin(pages["document_id"])]
            labels = labels.reset_index(drop=True)
            nbytes = nbytes[:cut]
        done += float(nbytes[-1])
        yield (pages, labels) if with_labels else pages
        k += 1


def prose_vocabulary() -> pd.DataFrame:
    """The prose vocabulary: one row per word with its number of OCR misreadings.

    Returns
    -------
    pandas.DataFrame
        ``word`` and ``misreadings`` (variants prose may use; variants that would fold to
        a lexicon term are left out). ``attrs["rejected"]`` lists words of the built-in
        vocabulary left out because they fold to a lexicon term.
    """
    tab = _tables()
    out = pd.DataFrame({"word": list(tab.vocab),
                        "misreadings": tab.nvar[list(tab.vocab.values())]})
    out.attrs["rejected"] = list(tab.rejected)
    return out
