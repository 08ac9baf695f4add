"""The answer of notebook 09 (concept search) against the generator's truth.

The notebook reports, on the 8,000-person fixture, precision and recall for affirmed
mentions pooled over the labelled concepts, with and without the context rules, the history,
uncertainty and family judgements, and person-level text flags against the codes.
Here the same calls run on the fixture and on an independent synthetic register (20,000
persons, another seed), and the figures are compared with each other, with the document
labels and with person truth, with tolerances from binomial standard errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import harkit as hk
from harkit.questions import text_vs_codes as tc

N, SEED = 20_000, 7


def _document_figures(ex, truth) -> dict:
    docs = ex.documents
    labels = tc.document_truth(truth.document_labels, docs)
    return {"ex": ex, "truth": truth, "docs": docs, "labels": labels,
            "with": tc.text_flags(docs, tc.LABELLED_CONCEPTS, level="document"),
            "without": tc.text_flags(docs, tc.LABELLED_CONCEPTS, level="document",
                                     context=False)}


@pytest.fixture(scope="module")
def fixture_figures():
    """The notebook's own figures: the same calls on the bundled fixture."""
    return _document_figures(hk.datasets.load_fixture(), hk.datasets.fixture_truth())


@pytest.fixture(scope="module")
def reg():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex = hk.datasets.load_synthetic(N, seed=SEED, sud_fraction=0.5)
    return _document_figures(ex, ex.truth)


def _pooled(flags, labels):
    return tc.against_truth(flags, labels, suppress=False).set_index("concept").loc["all"]


def _se(p: float, n: float) -> float:
    return float(np.sqrt(p * (1 - p) / n))


def test_document_precision_recall_replicate(reg, fixture_figures):
    r = _pooled(reg["with"], reg["labels"])
    n_prec, n_rec = r["tp"] + r["fp"], r["tp"] + r["fn"]
    assert n_rec > 3000  # enough labelled mentions for a sharp check
    f = _pooled(fixture_figures["with"], fixture_figures["labels"])
    p0, n0 = f["precision"], f["tp"] + f["fp"]
    # a precision of exactly 1 has no binomial spread: one error in each sample at least
    se = np.hypot(_se(min(p0, 1 - 1 / n0), n0), _se(min(r["precision"], 1 - 1 / n_prec),
                                                       n_prec))
    assert abs(r["precision"] - p0) < 3 * se, (r["precision"], p0, se)
    # recall is compared within OCR strata: pooled recall also depends on the share of
    # OCR-damaged documents, a property of the draw, not of the search
    for value in (False, True):
        got = []
        for figures in (fixture_figures, reg):
            labels, flags = figures["labels"], figures["with"]
            noisy = figures["truth"].document_texts.set_index("document_id")["ocr_noise"]
            idx = labels.index[noisy.reindex(labels.index) == value]
            rs = _pooled(flags.loc[idx], labels.loc[idx])
            got.append((rs["recall"], rs["tp"] + rs["fn"]))
        (p0, n0), (p1, n1) = got
        assert n1 > 2000
        se = np.hypot(_se(p0, n0), _se(p1, n1))
        assert abs(p1 - p0) < 3 * se, (value, p1, p0, se)


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
    # codes find almost every person's main substance; text adds some
    main = tc.score_sources({"codes": coded, "either": text | coded},
                            tc.truth_flags(ex.truth.persons, index=text.index, which="main"),
                            suppress=False).set_index(["source", "concept"])
    assert main.loc[("codes", "all"), "recall"] > 0.98
    assert s.loc[("either", "all"), "tp"] > s.loc[("codes", "all"), "tp"]
    # co-used substances are recorded far less completely: the generator writes them only
    # as occasional secondary diagnoses of substance-use episodes, and its record texts
    # name them only for alcohol with sedatives. Codes find about 60 % of co-use, text
    # less, so recall against all substances used is well
    # below that for the main substance; a property of the records, not of the mapping
    co = tc.score_sources({"text": text, "codes": coded},
                          tc.truth_flags(ex.truth.persons, index=text.index, which="co_use"),
                          suppress=False).set_index(["source", "concept"])
    assert co.loc[("codes", "all"), "true"] > 1000
    assert 0.5 < co.loc[("codes", "all"), "recall"] < 0.7
    # text names co-use only where a sentence names two substances (alcohol with
    # sedatives): it finds less of it than the codes do
    assert co.loc[("text", "all"), "recall"] < co.loc[("codes", "all"), "recall"]
    assert s.loc[("codes", "all"), "recall"] < main.loc[("codes", "all"), "recall"] - 0.05
    # text's person-level false positives are history sentences about other drugs:
    # leaving historical mentions out removes nearly all of them
    assert s.loc[("text", "opioids"), "fp"] > 10
    assert s.loc[("text, no history", "opioids"), "precision"] > 0.97
    # and text and codes agree well for opioids (kappa 0.72 here: the codes also hold
    # co-used opioids that the texts do not name; the fixture's opioid kappa is suppressed)
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
    # the loss is well beyond sampling error of the difference (same documents: paired,
    # so the unpaired SE is conservative)
    n = base["tp"] + base["fp"]
    se = np.hypot(_se(min(base["precision"], 1 - 1 / n), n),
                  _se(wide["precision"], wide["tp"] + wide["fp"]))
    assert base["precision"] - wide["precision"] > 3 * se, (base["precision"],
                                                            wide["precision"], se)
    narrow = _pooled(tc.text_flags(docs, tc.LABELLED_CONCEPTS, level="document",
                                   lexicon=lex1), labels)
    assert narrow["precision"] >= base["precision"] - 0.005
