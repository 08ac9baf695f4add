"""Tests for harkit.text.engine: search, flags, kwic."""

import numpy as np
import pandas as pd
import pytest

from harkit.text.engine import flags, kwic, search
from harkit.text.query import UnknownConceptError

DOCS = pd.DataFrame({
    "document_id": ["d1", "d2", "d3", "d4", "d5", "d6", "d7"],
    "person_id": ["p1", "p1", "p2", "p3", "p4", "p5", "p6"],
    "text": [
        "Pas. har alkoho1isme og drikker daglig.",
        "Ingen tegn til alkoholmisbruk.",
        "Far var dranker. Pasienten selv avholdende.",
        "Tidligere Drukkenskap, nu Morphinisme.",
        "Alko-\nholisme med delirium tremens i 1931.",
        "Heroin. Senere overdose etter mange aar med misbruk av heroin og overdose.",
        "Ingen funn.",
    ],
})


@pytest.fixture(scope="module")
def alcohol_hits():
    return search(DOCS, "@alcohol")


def test_affirmed_ocr_and_offsets(alcohol_hits):
    h = alcohol_hits
    assert set(h.document_id) == {"d1", "d2", "d3", "d4", "d5"}
    texts = DOCS.set_index("document_id").text
    for r in h.itertuples():
        assert texts[r.document_id][r.start:r.end] == r.matched
    d1 = h[h.document_id == "d1"]
    assert "alkoho1isme" in set(d1.matched)
    assert not d1[["negated", "family", "uncertain"]].any().any()
    assert "Alko-\nholisme" in set(h[h.document_id == "d5"].matched)


def test_context_flags(alcohol_hits):
    h = alcohol_hits.set_index("document_id")
    assert h.loc["d2", "negated"]
    assert h.loc["d3", "family"]
    d4 = alcohol_hits[alcohol_hits.document_id == "d4"]
    assert d4.matched.tolist() == ["Drukkenskap"] and d4.historical.all()
    f = flags(alcohol_hits, DOCS)
    assert f["alcohol"].to_dict() == {"d1": True, "d2": False, "d3": False, "d4": True,
                                      "d5": True, "d6": False, "d7": False}
    assert f.index.name == "document_id"
    assert not flags(alcohol_hits, DOCS, historical=False).loc["d4", "alcohol"]
    # the query form of flags()'s default agrees with it document by document
    q = search(DOCS, "@alcohol:!negated:!uncertain:!family")
    assert set(q.document_id) == set(f.index[f["alcohol"]])
    p = flags(alcohol_hits, DOCS, level="person")
    assert p.loc["p1", "alcohol"] and not p.loc["p2", "alcohol"] and len(p) == 6


def test_context_off_flags_nothing():
    h = search(DOCS, "@alcohol", context=False)
    assert not h[["negated", "historical", "uncertain", "family"]].any().any()
    assert flags(h)["alcohol"].sum() == 5


def test_historical_spelling_prefix_and_phrase():
    h = search(DOCS, "@opioids")
    assert "Morphinisme" in set(h.matched)
    h = search(DOCS, '"delirium tremens"')
    assert h.matched.tolist() == ["delirium tremens"] and h.concept.isna().all()
    h = search(DOCS, "alkohol*")
    assert set(h.document_id) == {"d1", "d2", "d5"}
    h = search(DOCS, "alko*isme")  # a wildcard inside a word
    assert set(h.matched) == {"alkoho1isme", "Alko-\nholisme"}


def test_query_filtering_and_leaves():
    h = search(DOCS, "@alcohol AND NOT @family")
    assert "d3" not in set(h.document_id)
    # the query's ":affirmed" means no context flag at all (d4 is historical)
    h = search(DOCS, "@alcohol:affirmed")
    assert set(h.document_id) == {"d1", "d5"}
    assert (h.concept == "alcohol").all()
    h = search(DOCS, "@alcohol AND @abstinence")
    assert set(h.document_id) == {"d3"}
    assert set(h.concept) == {"alcohol", "abstinence"}


def test_near():
    h = search(DOCS, "NEAR/2(heroin, overdose)")
    assert set(h.document_id) == {"d6"}
    assert not len(search(DOCS, "NEAR/1(drikker, alkoholisme)"))
    assert set(search(DOCS, "NEAR/2(drikker, alkoholisme)").document_id) == {"d1"}


def test_unknown_concept_raises_before_work():
    class Boom(pd.DataFrame):
        @property
        def iloc(self):  # pragma: no cover - must not be reached
            raise AssertionError("documents read before the query was checked")
    with pytest.raises(UnknownConceptError):
        search(Boom(DOCS), "@alcohol AND @nosuchconcept")


def test_bad_documents_skipped_and_counted(monkeypatch):
    import harkit.text.engine as eng
    monkeypatch.setattr(eng, "MAX_CHARS", 1000)
    bad = pd.DataFrame({
        "document_id": range(11), "person_id": range(11),
        "text": [None, np.nan, 42, b"alkoholisme", "alkoholisme " * 200,
                 "\x00\x01\x02" * 50 + "alkoholisme", "alkoholisme",
                 "alkoholmisbruk på grunn av søsteren".encode().decode("cp1252"),
                 "\ufffd" * 20 + " alkoholisme", "",
                 "alkoholmisbruk på grunn av søsteren".encode().decode("latin-1")],
    })
    h = search(bad, "@alcohol", chunksize=3)
    assert h.document_id.tolist() == [6]
    assert h.attrs["skipped"] == {"missing": 2, "not_text": 2, "too_long": 1, "binary": 2,
                                  "mojibake": 2}
    assert [d for d, _ in h.attrs["skipped_documents"]] == [0, 1, 2, 3, 4, 5, 7, 8, 10]


def test_empty_input_and_no_hits():
    h = search(DOCS.iloc[:0], "@alcohol")
    assert list(h.columns)[:3] == ["document_id", "person_id", "concept"] and not len(h)
    assert not len(search(DOCS, "@solvents"))
    assert flags(search(DOCS, "@solvents"), DOCS, concepts=["solvents"])["solvents"].sum() == 0


def test_kwic(alcohol_hits):
    k = kwic(alcohol_hits, width=10)
    # by default no person or document ids (document ids used to be shown: a leak)
    assert "person_id" not in k.columns and "document_id" not in k.columns
    k = kwic(alcohol_hits, width=10, document_id=True)
    row = k[k.document_id == "d1"].iloc[0]
    assert row.match == "alkoho1isme" and row.left == "Pas. har " and row.right.startswith(" og")


def test_regex_on_original_text(tmp_path):
    from harkit.text import load_lexicon
    (tmp_path / "lar.toml").write_text(
        'name = "lar"\nterms = []\n'
        'regexes = [ { pattern = "\\\\bLAR\\\\b", ignore_case = false, source = "[U]" } ]\n')
    lex = load_lexicon(tmp_path, shipped=False)
    d = pd.DataFrame({"document_id": [1, 2], "text": ["Startet i LAR 2005.", "lar ikke"]})
    h = search(d, "@lar", lexicon=lex)
    assert h.matched.tolist() == ["LAR"] and (h.start == 10).all()
    # the literal prefilter skips texts without "LAR"; without it every text is scanned
    from dataclasses import replace

    from harkit.text.engine import compile_query, search_chunk
    m = compile_query("@lar", lex)
    assert m.regex_literals == ["LAR"]
    bare, _ = search_chunk(d, replace(m, regex_literals=[]))
    pd.testing.assert_frame_equal(bare, search_chunk(d, m)[0])
    assert bare.matched.tolist() == ["LAR"]


# --- against the generator's truth ----------------------------------------------------

@pytest.fixture(scope="module")
def synth():
    from harkit.synth import generate
    g = generate(3000, seed=1, sud_fraction=0.5, progress=False)
    return g.documents, g.truth.document_labels


def _scores(docs, labels, context):
    from harkit.text import load_lexicon
    concepts = sorted(set(labels.concept) & set(load_lexicon().names))
    h = search(docs, " OR ".join("@" + c for c in concepts), context=context)
    f = flags(h, docs, concepts=concepts)
    out = {}
    for c in concepts:
        truth = set(labels[(labels.concept == c) & labels.affirmed].document_id)
        pred = set(f.index[f[c]])
        tp = len(truth & pred)
        out[c] = (tp / max(len(pred), 1), tp / max(len(truth), 1))
    pred_all = {(d, c) for c in concepts for d in f.index[f[c]]}
    truth_all = set(map(tuple, labels[labels.affirmed & labels.concept.isin(concepts)]
                        [["document_id", "concept"]].values))
    tp = len(pred_all & truth_all)
    out["_micro"] = (tp / len(pred_all), tp / len(truth_all))
    return out


def test_precision_recall_on_generator(synth):
    docs, labels = synth
    with_ctx = _scores(docs, labels, True)
    without = _scores(docs, labels, False)
    print("\nconcept      P(ctx) R(ctx) P(noctx) R(noctx)")
    for c in with_ctx:
        print(f"{c:12s} {with_ctx[c][0]:.3f}  {with_ctx[c][1]:.3f}  "
              f"{without[c][0]:.3f}    {without[c][1]:.3f}")
    p, r = with_ctx["_micro"]
    assert p >= 0.95 and r >= 0.90
    assert p > without["_micro"][0] + 0.05
    # per concept, honestly reached on this seed (cannabis: polydrug sentences
    # "blandingsmisbruk av piller og hasj" are labelled polydrug only; treatment:
    # "poliklinisk samtale" is not a lexicon term; polydrug: 39 of 44 documents, the
    # 5 misses are words split by OCR, "Bla ndingsrnisbruk", "Sto ffmisbruk", which the
    # engine does not join - 1 of 46 before the generator drew co-use)
    split_trigger_fp = []
    for c, (pc, rc) in with_ctx.items():
        if c not in ("cannabis", "_micro") and pc < 0.95:
            split_trigger_fp.append(c)
        if c not in ("treatment", "polydrug", "cannabis", "withdrawal", "_micro"):
            assert rc >= 0.90, c
        assert pc >= without[c][0], c
    # withdrawal: a bare "delirium" counts only beside a word of alcohol or withdrawal in
    # its sentence (it is postoperative or febrile delirium too), so the generator's
    # "delirium paa anden dag" is missed; every missed document is such a case or an
    # OCR-split "Del iriurn"
    assert with_ctx["withdrawal"][1] >= 0.85
    truth_w = set(labels[(labels.concept == "withdrawal") & labels.affirmed].document_id)
    missed_w = docs[docs.document_id.isin(truth_w - set(search(docs, "@withdrawal")
                                                        .document_id))]
    assert missed_w.text.str.contains(r"(?i)\bdel ?ir", regex=True).all()
    # a concept below 0.95 precision (stimulants, 8 documents on this seed) owes it to
    # negation triggers split by OCR ("Ben ekter amfetamin"): joining the word again
    # (one blank removed) takes every false positive away
    assert set(split_trigger_fp) <= {"stimulants"}
    for concept in split_trigger_fp:
        truth = set(labels[(labels.concept == concept) & labels.affirmed].document_id)
        fp_docs = docs[docs.document_id.isin(set(flags(search(docs, f"@{concept}"), docs,
                                                           concepts=[concept])
                                                     .query(concept).index) - truth)]
        assert 0 < len(fp_docs) <= 2, concept
        for d, t in zip(fp_docs.document_id, fp_docs.text):
            variants = pd.DataFrame({"document_id": [f"{d}#{i}" for i, ch in enumerate(t)
                                                     if ch == " "],
                                     "text": [t[:i] + t[i + 1:] for i, ch in enumerate(t)
                                              if ch == " "]})
            counted = flags(search(variants, f"@{concept}"), variants, concepts=[concept])
            assert (~counted.reindex(variants.document_id, fill_value=False)[concept]).any()
    # polydrug and cannabis (14 documents on this seed: "can nabisrnisbruk", "has jmisbruk"):
    # the misses are words split by OCR, each found once one blank is removed (the word
    # joined again)
    for concept in ("polydrug", "cannabis"):
        assert with_ctx[concept][1] >= 0.85, concept
        truth = set(labels[(labels.concept == concept) & labels.affirmed].document_id)
        missed = docs[docs.document_id.isin(truth - set(search(docs, f"@{concept}")
                                                        .document_id))]
        assert len(missed) <= 0.15 * len(truth), concept
        joined = pd.DataFrame([(d, t[:i] + t[i + 1:]) for d, t in zip(missed.document_id,
                                                                        missed.text)
                               for i, ch in enumerate(t) if ch == " "],
                              columns=["document_id", "text"])
        assert set(search(joined, f"@{concept}").document_id) == set(missed.document_id), \
            concept


def test_chunk_function_is_picklable_and_pure():
    import pickle

    from harkit.text.engine import compile_query, search_chunk
    m = pickle.loads(pickle.dumps(compile_query("@alcohol")))
    chunk = DOCS.drop(columns="person_id")
    before = chunk.copy()
    hits, skipped = search_chunk(chunk, m)
    pd.testing.assert_frame_equal(chunk, before)
    assert skipped == [] and set(hits.document_id) == {"d1", "d2", "d3", "d4", "d5"}
    assert hits.person_id.isna().all()


# --- exact short terms ------------------------------------------------------------------

def _docs(*texts):
    return pd.DataFrame({"document_id": [f"d{i}" for i in range(len(texts))],
                         "person_id": list(range(len(texts))), "text": list(texts)})


def test_exact_terms_keep_their_diacritics():
    d = _docs("Pasienten får Antabus og drikker daglig.", "Far drakk mye.",
              "Faar hjelp hjemme.", "Sped og tynn.", "Bruker speed daglig, i tillegg til hasj.")
    fam = search(d, "@family")
    assert fam.matched.tolist() == ["Far"]  # not får, not faar
    assert search(d, "@stimulants").matched.tolist() == ["speed"]  # not sped
    # the documented query keeps the Antabus patient
    assert "d0" in set(search(d, "@alcohol AND NOT @family").document_id)


def test_exact_term_spellings():
    from harkit.text.lexicon import Term
    assert Term("søster", exact=True).spellings == {"søster", "söster"}
    assert Term("får", exact=True).spellings == {"får", "faar"}


def test_exact_is_validated(tmp_path):
    from harkit.text import load_lexicon
    from harkit.text.lexicon import LexiconError
    f = tmp_path / "x.toml"
    f.write_text('name = "x"\nterms = [ { term = "abc*", source = "[U]", exact = true } ]\n',
                 encoding="utf-8")
    with pytest.raises(LexiconError, match="exact"):
        load_lexicon(f)
    f.write_text('name = "x"\nterms = [ { term = "far", source = "[U]", exact = false } ]\n',
                 encoding="utf-8")
    lex = load_lexicon(f, shipped=False)
    assert not lex["x"].terms[0].exact
    assert len(search(_docs("Pasienten får hjelp."), "@x", lexicon=lex)) == 1


# --- a user rule table --------------------------------------------------------------------

def test_search_takes_a_user_rule_table(tmp_path):
    from harkit.text import read_rules
    from harkit.text.engine import _reference_chunk, compile_query, search_chunk
    d = _docs("Pasienten nekter alkoholmisbruk.", "Ingen alkoholmisbruk.",
              "Alkoholmisbruk: bestrides.")
    shipped = search(d, "@alcohol")
    assert shipped.set_index("document_id").negated.to_dict() == {
        "d0": True, "d1": True, "d2": False}
    table = read_rules().table
    table = table[table["literal"] != "nekter"]
    extra = pd.DataFrame([{"literal": "bestrides", "category": "negated",
                           "direction": "backward", "window": 3, "source": "U"}])
    mine = pd.concat([table, extra], ignore_index=True)
    f = tmp_path / "rules.csv"
    mine.to_csv(f, index=False)
    for rules in (mine, str(f), read_rules(f)):
        got = search(d, "@alcohol", rules=rules).set_index("document_id").negated.to_dict()
        assert got == {"d0": False, "d1": True, "d2": True}
    m = compile_query("@alcohol", rules=mine)
    pd.testing.assert_frame_equal(search_chunk(d, m)[0], _reference_chunk(d, m)[0])


def test_user_rule_table_errors_name_the_row():
    bad = pd.DataFrame([{"literal": "nekter", "category": "negert", "direction": "forward",
                         "window": 3}])
    with pytest.raises(ValueError, match="rule 1 .*negert"):
        search(_docs("Nekter alkohol."), "@alcohol", rules=bad)
