"""The answer of notebook 09 (concept search) against the generator's truth.

The notebook reports, on the 8,000-person fixture (2,120 documents), precision 0.990 and
recall 0.950 for affirmed mentions pooled over the labelled concepts, 0.817 precision
without the context rules, near-perfect history, uncertainty and family judgements,
and person-level text flags that lose precision only through history sentences the
generator writes about drugs the person did not use. Here the same calls run on an
independent synthetic register (20,000 persons, another seed) and the figures are
compared with the document labels and person truth, with tolerances from binomial
standard errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import harkit as hk
from harkit.questions import text_vs_codes as tc

N, SEED = 20_000, 7
#: The notebook's fixture figures (pooled over concepts) and their document counts.
FIXTURE = {"precision": (0.990, 2783 + 27), "recall": (0.950, 2930)}


@pytest.fixture(scope="module")
def reg():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex = hk.datasets.load_synthetic(N, seed=SEED, sud_fraction=0.5)
    docs = ex.documents
    labels = tc.document_truth(ex.truth.document_labels, docs)
    return {"ex": ex, "docs": docs, "labels": labels,
            "with": tc.text_flags(docs, tc.LABELLED_CONCEPTS, level="document"),
            "without": tc.text_flags(docs, tc.LABELLED_CONCEPTS, level="document",
                                     context=False)}


def _pooled(flags, labels):
    return tc.against_truth(flags, labels, suppress=False).set_index("concept").loc["all"]


def _se(p: float, n: float) -> float:
    return float(np.sqrt(p * (1 - p) / n))


def test_document_precision_recall_replicate(reg):
    r = _pooled(reg["with"], reg["labels"])
    n_prec, n_rec = r["tp"] + r["fp"], r["tp"] + r["fn"]
    assert n_rec > 3000  # enough labelled mentions for a sharp check
    for name, n_test in (("precision", n_prec), ("recall", n_rec)):
        p0, n0 = FIXTURE[name]
        se = np.hypot(_se(p0, n0), _se(r[name], n_test))
        assert abs(r[name] - p0) < 3 * se, (name, r[name], p0, se)


def test_context_rules_carry_precision(reg):
    a = _pooled(reg["with"], reg["labels"])
    b = _pooled(reg["without"], reg["labels"])
    # without context about a fifth of the flagged documents are negated, suspected or
    # family mentions: the drop is tens of standard errors, recall barely moves
    drop = a["precision"] - b["precision"]
    se = np.hypot(_se(a["precision"], a["tp"] + a["fp"]), _se(b["precision"], b["tp"] + b["fp"]))
    assert drop > 0.1 and drop > 10 * se
    assert abs(a["recall"] - b["recall"]) < 0.02


def test_context_judgements_against_labels(reg):
    docs, truth = reg["docs"], reg["ex"].truth
    hits = hk.text.search(docs, " OR ".join(f"@{c}" for c in tc.LABELLED_CONCEPTS))
    scores = {}
    for flag in ("negated", "historical", "uncertain", "family"):
        t = tc.against_truth(tc.context_flags(hits, docs, flag=flag),
                             tc.document_truth(truth.document_labels, docs, column=flag),
                             suppress=False).set_index("concept")
        scores[flag] = t
    for flag in ("historical", "uncertain", "family"):
        assert scores[flag].loc["all", "precision"] > 0.97, flag
        assert scores[flag].loc["all", "recall"] > 0.95, flag
    # negation of concepts the lexicon names is found; the negated labels the notebook
    # explains as missed (treatment words outside the lexicon, "narkotika" labelled as
    # named drugs) keep the pooled negation recall well below 1
    neg = scores["negated"]
    for c in ("alcohol", "withdrawal", "legal"):
        assert neg.loc[c, "recall"] > 0.95 and neg.loc[c, "precision"] > 0.95, c
    assert neg.loc["treatment", "recall"] < 0.1
    assert neg.loc["all", "recall"] < 0.8


def test_person_level_text_codes_and_truth(reg):
    ex, docs = reg["ex"], reg["docs"]
    text = tc.text_flags(docs)
    coded = tc.coded_flags(hk.cohort.build(ex), index=text.index)
    used = tc.truth_flags(ex.truth.persons, index=text.index)
    s = tc.score_sources({"text": text, "codes": coded, "either": text | coded,
                          "text, no history": tc.text_flags(docs, historical=False)},
                         used, suppress=False).set_index(["source", "concept"])
    # codes find almost every true user among persons with text; text adds some
    assert s.loc[("codes", "all"), "recall"] > 0.95
    assert s.loc[("either", "all"), "tp"] > s.loc[("codes", "all"), "tp"]
    # text's person-level false positives are history sentences about other drugs:
    # leaving historical mentions out removes nearly all of them
    assert s.loc[("text", "opioids"), "fp"] > 10
    assert s.loc[("text, no history", "opioids"), "precision"] > 0.97
    # and text and codes agree well for opioids (kappa as in the notebook, 0.82)
    agree = tc.agreement(text, coded, suppress=False).set_index("concept")
    assert agree.loc["opioids", "kappa"] > 0.7


def test_unreviewed_ocr_neighbours_cost_precision(reg):
    docs, labels = reg["docs"], reg["labels"]
    base = _pooled(reg["with"], labels)
    lex1, audit1 = tc.ocr_audit(docs)
    lex2, audit2 = tc.ocr_audit(docs, max_distance=2, min_length=5)
    assert len(audit2) > len(audit1)
    wide = _pooled(tc.text_flags(docs, tc.LABELLED_CONCEPTS, level="document", lexicon=lex2),
                   labels)
    assert base["precision"] - wide["precision"] > 0.05
    narrow = _pooled(tc.text_flags(docs, tc.LABELLED_CONCEPTS, level="document",
                                   lexicon=lex1), labels)
    assert narrow["precision"] >= base["precision"] - 0.005
