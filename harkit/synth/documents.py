"""Record texts with known concept labels, and OCR noise on top.

A document is 1-5 sentences drawn from ``data/document_sentences.csv`` and from the
sentences of a grammar (:mod:`harkit.synth.grammar`: historical, Latin, Nynorsk and
abbreviated vocabulary, context words before and after the term, one substance affirmed
and another denied in one sentence). Each sentence row carries its labels
(``concept:context``; contexts ``affirmed``, ``negated``, ``historical``, ``uncertain``,
``family``) and the years its wording belongs to (``paa``, ``alcoholisme``
and ``morphinisme`` in early decades). The first sentence of a SUD person's note names
their substance; after a recovery it speaks of sobriety instead (``rusfri``, ``edru``,
``avholdende``). Labels are therefore true by construction, and texts hold no identifiers.

OCR noise (rn/m, l/1, ø->o/ö, æ->ae, å->aa, split words, hyphenation at line ends) is
applied to a share of documents that falls with time (typed and born-digital records are
cleaner); the clean text is kept in the truth.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd

from harkit.synth import codes
from harkit.synth._util import offsets, pick_per_owner, year_of
from harkit.synth.grammar import grammar_sentences
from harkit.synth.params import GROUPS, SUBSTANCES, Params

CONTEXTS = ("affirmed", "negated", "historical", "uncertain", "family")
CONCEPTS = ("alcohol", "opioids", "cannabis", "sedatives", "stimulants", "solvents",
            "polydrug", "withdrawal", "abstinence", "treatment", "legal")
DOCUMENT_TYPES = np.array(["journalnotat", "innkomstjournal", "epikrise"], dtype=object)
#: Probability that a document carries OCR noise, by period (first year, probability).
OCR_NOISE = ((0, 0.6), (1970, 0.4), (1990, 0.2), (2000, 0.05))
#: OCR and orthography confusions: (pattern, replacement, is_regex).
NOISE_OPS = (
    ("rn", "m", False), ("m", "rn", False), ("l", "1", False), ("ø", "o", False),
    ("ø", "ö", False), ("æ", "ae", False), ("å", "aa", False),
    (r"(\w{3})(\w{4,})", r"\1 \2", True), (r"(\w{4})(\w{4,})", "\\1-\n\\2", True),
    (". ", ".\n", False),
)
#: The :data:`NOISE_OPS` that fit a one-line field such as a diagnosis text (no line breaks).
INLINE_NOISE_OPS: tuple[int, ...] = tuple(
    i for i, (_, repl, _) in enumerate(NOISE_OPS) if "\n" not in repl)


def noise_text(text: str, ops: tuple[int, ...], mask: int) -> str:
    """Apply a chosen subset of the OCR confusions to one text.

    Each selected operation replaces its first occurrence only, in the order of
    :data:`NOISE_OPS` (the same as the vectorised noise of :func:`make_documents`).

    Parameters
    ----------
    text : str
    ops : tuple of int
        Indices into :data:`NOISE_OPS` that may be applied.
    mask : int
        Bit ``j`` set: apply ``NOISE_OPS[ops[j]]``.

    Returns
    -------
    str
    """
    for j, i in enumerate(ops):
        if mask >> j & 1:
            pat, repl, regex = NOISE_OPS[i]
            text = re.sub(pat, repl, text, count=1) if regex else text.replace(pat, repl, 1)
    return text


#: Pool mix of the sentences after the first, for SUD persons and comparison persons.
SUD_SLOTS = {"withdrawal": 0.12, "treatment": 0.14, "treatment_any": 0.1, "legal": 0.06,
             "family": 0.08, "uncertain": 0.04, "historical": 0.06, "negation": 0.05,
             "sobriety_unrecovered": 0.05, "co_mention": 0.04, "filler": 0.35}
#: Share of each pool's weight that goes to the sentences of the grammar
#: (:mod:`harkit.synth.grammar`) where the pool also has hand-written sentences.
GRAMMAR_SHARE = 0.4
#: Share of first sentences of alcohol users who co-use sedatives (and of sedative users
#: who co-use alcohol) that name both substances, affirmed, in one sentence.
CO_MENTION_SHARE = 0.5
COMPARISON_SLOTS = {"filler": 0.75, "negation_alcohol": 0.08, "negation_drugs": 0.04,
                    "family": 0.06, "uncertain": 0.04, "withdrawal": 0.03}


@cache
def document_sentences() -> pd.DataFrame:
    """The sentences record texts are drawn from: the hand-written table and the grammar.

    The grammar's sentences of a pool share :data:`GRAMMAR_SHARE` of its weight with the
    hand-written ones (all of it where the pool only has grammar sentences).

    Returns
    -------
    pandas.DataFrame
        ``pool``, ``text``, ``labels``, ``year_from``, ``year_to``, ``weight`` and
        ``source`` (``table`` or ``grammar``).
    """
    st = codes.sentence_table().assign(source="table")
    gr = grammar_sentences().drop(columns="frame").assign(source="grammar")
    hand = st.groupby("pool")["weight"].sum()
    n_gram = gr.groupby("pool")["weight"].transform("size")
    scale = gr["pool"].map(hand * GRAMMAR_SHARE / (1 - GRAMMAR_SHARE)).fillna(1.0)
    gr["weight"] = scale.where(gr["pool"].isin(hand.index), 1.0) / np.where(
        gr["pool"].isin(hand.index), n_gram, 1)
    return pd.concat([st, gr], ignore_index=True)


def _pool_ids() -> dict[str, int]:
    pools = list(dict.fromkeys(document_sentences()["pool"]))
    return {p: i for i, p in enumerate(pools)}


def sentence_labels(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long table of sentence labels: ``sentence`` (row), ``concept``, ``context``.

    Parameters
    ----------
    table : pandas.DataFrame, optional
        A sentence table (default: the hand-written ``data/document_sentences.csv``;
        record texts use :func:`document_sentences`).
    """
    st = codes.sentence_table() if table is None else table
    rows = []
    for i, lab in enumerate(st["labels"]):
        for item in filter(None, lab.split(";")):
            concept, context = item.split(":")
            rows.append((i, concept, context))
    return pd.DataFrame(rows, columns=["sentence", "concept", "context"])


def _resolve_pool(name: str, group: np.ndarray) -> np.ndarray:
    """Pool name per item for group-dependent slot names (object array)."""
    g = np.array(GROUPS, dtype=object)[group]
    alcohol = g == "alcohol"
    if name == "treatment":
        return np.where(alcohol, "treatment_alcohol",
                        np.where(g == "opioids", "treatment_opioids", "treatment_any"))
    if name == "historical":
        return np.where(alcohol, "historical_alcohol", "historical_drugs")
    if name == "negation":
        return np.where(alcohol, "negation_drugs", "negation_alcohol")
    if name == "co_mention":
        return np.array([f"co_mention_{x}" for x in g], dtype=object)
    return np.full(len(group), name, dtype=object)


def make_documents(rng: np.random.Generator, people: dict[str, np.ndarray],
                   ep: dict[str, np.ndarray], params: Params, share_sud: float,
                   ) -> dict[str, object]:
    """Write record texts for a share of persons, with labels.

    Parameters
    ----------
    rng : numpy.random.Generator
    people : dict of numpy.ndarray
        Person arrays (``sud``, ``group``, ``recovered``, ``recovery_date``).
    ep : dict of numpy.ndarray
        Episodes (``person``, ``admission``, ``admission_stored``, ``admission_precision``).
    params : Params
    share_sud : float
        Share of SUD persons with documents; comparison persons get
        ``params.documents_share_comparison`` scaled by the same factor.

    Returns
    -------
    dict
        ``episode`` (index), ``type``, ``text``, ``clean_text``, ``noise`` (arrays, one per
        document, sorted by person and date) and ``labels`` (DataFrame with a ``doc``
        index column, ``concept`` and the context flags).
    """
    n = len(people["sud"])
    share_c = params.documents_share_comparison * share_sud / params.documents_share_sud
    p_doc = np.where(people["sud"], share_sud, min(share_c, 1.0))
    documented = np.flatnonzero(rng.random(n) < p_doc)
    n_docs = np.where(people["sud"][documented], 1 + rng.poisson(0.8, len(documented)), 1)
    owner = np.repeat(documented, n_docs)
    ep_first, ep_count = offsets(ep["person"], n)
    episode = np.sort(pick_per_owner(rng, ep_first, ep_count, owner))
    owner = ep["person"][episode]
    d = len(episode)
    year = year_of(ep["admission"][episode])
    group = people["group"][owner]
    sud = people["sud"][owner]

    pools = _pool_ids()
    k = 1 + rng.binomial(4, 0.45, d)
    slot_doc = np.repeat(np.arange(d), k)
    slot_no = np.arange(len(slot_doc)) - np.repeat(np.cumsum(k) - k, k)
    s_group, s_sud = group[slot_doc], sud[slot_doc]
    pool = np.empty(len(slot_doc), dtype=object)
    names = list(SUD_SLOTS)
    w = np.array(list(SUD_SLOTS.values()))
    pool_sud = np.array(names, dtype=object)[rng.choice(len(names), len(slot_doc),
                                                        p=w / w.sum())]
    names_c = list(COMPARISON_SLOTS)
    w_c = np.array(list(COMPARISON_SLOTS.values()))
    pool_c = np.array(names_c, dtype=object)[rng.choice(len(names_c), len(slot_doc),
                                                        p=w_c / w_c.sum())]
    pool[:] = np.where(s_sud, pool_sud, pool_c)
    for name in ("treatment", "historical", "negation", "co_mention"):
        sel = pool == name
        pool[sel] = _resolve_pool(name, s_group[sel])
    first = (slot_no == 0) & s_sud
    primary = np.array(["filler"] + [f"primary_{g}" for g in GROUPS[1:]], dtype=object)
    pool[first] = np.where(rng.random(first.sum()) < 0.9, primary[s_group[first]], "filler")
    after_recovery = people["recovered"][owner] & (
        ep["admission"][episode] >= people["recovery_date"][owner])
    # co-use of alcohol and sedatives named in one sentence
    flags = people["flags"][owner][slot_doc]
    g_name = np.array(GROUPS, dtype=object)[s_group]
    both = ((g_name == "alcohol") & flags[:, SUBSTANCES.index("sedatives")]) | (
        (g_name == "sedatives") & flags[:, SUBSTANCES.index("alcohol")])
    co = first & both & (rng.random(len(slot_doc)) < CO_MENTION_SHARE)
    pool[co] = "co_use_alcohol_sedatives"
    pool[first & after_recovery[slot_doc]] = "recovery"
    # sobriety of the moment (sober on admission, a wish, a relapse) only before recovery
    pool[(pool == "sobriety_unrecovered") & after_recovery[slot_doc]] = "filler"

    # sentence rows valid in the document's 5-year bucket, filler as fallback
    st = document_sentences()
    sp = st["pool"].map(pools).to_numpy()
    yf, yt = st["year_from"].to_numpy(), st["year_to"].to_numpy()
    rows_exp, keys_exp = [], []
    for b in range(25):
        mid = 1900 + 5 * b + 2
        ok = np.flatnonzero((yf <= mid) & (yt >= mid))
        rows_exp.append(ok)
        keys_exp.append(sp[ok] * 100 + b)
    rows_a, keys_a = np.concatenate(rows_exp), np.concatenate(keys_exp)
    bucket = np.clip((year[slot_doc] - 1900) // 5, 0, 24)
    pool_num = np.array([pools[p] for p in pool])
    weights = st["weight"].to_numpy()[rows_a]
    pick = codes.sample_rows(rng, pool_num * 100 + bucket, keys_a, weights)
    miss = pick < 0
    pick[miss] = codes.sample_rows(rng, pools["filler"] * 100 + bucket[miss], keys_a, weights)
    sentence = rows_a[pick]

    # assemble texts slot by slot (vectorised over documents)
    texts = st["text"].to_numpy(dtype=object)
    clean = np.full(d, "", dtype=object)
    for j in range(5):
        sel = slot_no == j
        docs = slot_doc[sel]
        add = texts[sentence[sel]]
        clean[docs] = add if j == 0 else clean[docs] + " " + add

    noisy = rng.random(d) < np.array([p for _, p in OCR_NOISE])[
        np.searchsorted([s for s, _ in OCR_NOISE], year, side="right") - 1]
    text = pd.Series(clean.copy(), dtype=object)  # copy: clean must stay clean
    for pat, repl, regex in NOISE_OPS:
        sel = noisy & (rng.random(d) < 0.35)
        if sel.any():
            text[sel] = text[sel].str.replace(pat, repl, n=1, regex=regex)
    text = text.to_numpy(dtype=object)
    noisy = noisy & (text != clean)

    lab = sentence_labels(st)
    slots = pd.DataFrame({"doc": slot_doc, "sentence": sentence})
    long = slots.merge(lab, on="sentence")
    for c in CONTEXTS:
        long[c] = long["context"] == c
    long["affirmed"] = long["affirmed"] | long["historical"]
    labels = (long.groupby(["doc", "concept"], sort=True)[list(CONTEXTS)].any()
              .reset_index())
    dtype = DOCUMENT_TYPES[rng.integers(0, len(DOCUMENT_TYPES), d)]
    return {"episode": episode, "type": dtype, "text": text, "clean_text": clean,
            "noise": noisy, "labels": labels}
