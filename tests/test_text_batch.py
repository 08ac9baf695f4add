"""harkit.text.batch folds like harkit.text.normalise, and the windowed engine finds what
the whole-document path finds."""

from __future__ import annotations

import random
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harkit.text.batch import fold_batch, split_latin1
from harkit.text.engine import _reference_chunk, compile_query, search_chunk
from harkit.text.lexicon import load_lexicon
from harkit.text.normalise import normalise

# characters every folding rule and piece boundary looks at
PIECES = list("abcdefhkmnoprstuvxz") + list("chptqurnx10") * 2 + list("ÆØÅæøåöéßÐ_²ª") + [
    " ", "  ", "\n", "\t", "\r\n", "-", "-\n", "- \n ", ".", ",", "?", "\xa0", "\x85",
    "\x1f", "\x00", "Aa", "CH", "Ph", "rn", "Th", "QU", "1l", "0o", "kk"]
texts = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)


def _same(text: str, got) -> None:
    ref = normalise(text)
    assert got.text == ref.text
    np.testing.assert_array_equal(got.piece_start, ref.piece_start)
    np.testing.assert_array_equal(got.piece_orig_start, ref.piece_orig_start)
    np.testing.assert_array_equal(got.piece_orig_end, ref.piece_orig_end)
    assert got.words == ref.words


@settings(max_examples=400, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6))
def test_fold_batch_equals_normalise(batch):
    fb = fold_batch(batch)
    assert fb.text.split("\n") == [normalise(t).text for t in batch]
    for i, t in enumerate(batch):
        got, _ = fb.normalised(i)
        _same(t, got)


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6))
def test_positions_map_both_ways(batch):
    fb = fold_batch(batch)
    quick = fold_batch(batch, pieces=False)
    assert quick.text == fb.text and quick.piece_start is None
    n = len(fb.text)
    if not n:
        return
    pos = np.arange(n)
    orig = quick.original_positions(pos)
    joined = "\n".join(batch)
    # monotone (æ -> ae and x -> ks give two folded characters one original)
    assert (np.diff(orig) >= 0).all() and orig.min() >= 0 and orig.max() < len(joined)
    # a folded word starts where its original word starts
    ws, _ = quick.words()
    np.testing.assert_array_equal(ws, fb.word_start)
    pieces = fb.piece_start[np.isin(fb.piece_start, ws)]
    np.testing.assert_array_equal(orig[pieces],
                                  fb.piece_orig_start[np.isin(fb.piece_start, ws)])
    np.testing.assert_array_equal(quick.folded_positions(orig[ws]), ws)


def test_known_folds_and_controls():
    fb = fold_batch(["Alko-\nholisme  paa Blaa Kors", "", "  Morphinisme\x00\x01 ", "xæ"])
    # control characters count as blanks, as in normalise
    assert fb.text == "alkoholisme pa bla kors\n\nmorfinisme\nksae"
    assert fb.control_counts.tolist() == [0, 0, 2, 0]
    assert fb.doc_of([0, 23, 24, 25, 35]).tolist() == [0, 0, 1, 2, 2]


# --- the windowed engine against the whole-document path ------------------------------

@pytest.fixture(scope="module")
def corpora():
    from harkit.synth import generate
    docs = generate(1500, seed=4, sud_fraction=0.5, progress=False).documents
    docs = docs[["document_id", "person_id", "text"]]
    rng = random.Random(4)
    neutral = ["Pasienten", "er", "våken", "og", "orientert.", "Blodtrykk", "130/80.", "Hb",
               "13,4", "g/dl.", "Kontroll", "om", "tre", "måneder.", "Røntgen", "thorax:",
               "normale", "forhold.", "–", "µg", "“sitat”"]
    pages = []
    for i in range(150):
        words = [rng.choice(neutral) for _ in range(rng.randint(50, 400))]
        for s in rng.sample(docs.text.tolist(), rng.randint(0, 6)):
            words.insert(rng.randrange(len(words) + 1), s)
        text = " ".join(words)
        if i % 7 == 0:
            text = text.replace("Ingen", "ﬁngen")  # a ligature: the whole-document path
        pages.append(text)
    pages = pd.DataFrame({"document_id": [f"P{i}" for i in range(150)],
                          "person_id": range(150), "text": pages})
    bad = pd.DataFrame({"document_id": ["B1", "B2", "B3"], "person_id": [1, 2, 3],
                        "text": [None, "\x00\x01\x02\x03 alkoholisme", b"alkoholisme"]})
    return {"documents": docs, "pages": pd.concat([pages, bad], ignore_index=True)}


@pytest.mark.parametrize("query", [
    "@alcohol OR @opioids OR @sedatives OR @withdrawal OR @treatment OR @family",
    "@alcohol:affirmed AND NOT @family",
    "NEAR/4(@alcohol, @withdrawal)",
    'alko*isme OR "delirium tremens" OR @treatment:negated',
    "NOT @cannabis",
])
@pytest.mark.parametrize("corpus", ["documents", "pages"])
@pytest.mark.parametrize("context", [True, False])
def test_windowed_search_equals_whole_documents(corpora, query, corpus, context):
    docs = corpora[corpus]
    m = compile_query(query)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the batched path must not give up
        fast, fast_skipped = search_chunk(docs, m, context=context)
    ref, ref_skipped = _reference_chunk(docs, m, context=context)
    pd.testing.assert_frame_equal(fast, ref)
    assert fast_skipped == ref_skipped
    if corpus == "pages" and query.startswith("@alcohol OR") and context:
        assert len(fast) > 100 and fast.document_id.str.startswith("P").all()
        assert [r for _, r in fast_skipped] == ["missing", "binary", "not_text"]


def test_full_lexicon_on_pages(corpora):
    query = " OR ".join("@" + c for c in load_lexicon().names)
    m = compile_query(query)
    fast, _ = search_chunk(corpora["pages"], m)
    ref, _ = _reference_chunk(corpora["pages"], m)
    pd.testing.assert_frame_equal(fast, ref)


WIDE = PIECES + ["–", "—", "“", "”", "’", "…", "•", "µ", "ā", "Ω", "ω", "Ж", "\u2028",
                 "\u3000", "\u200b", "\ufffd", "ᴬ", "ǽ", "№", "€"]
wide_texts = st.lists(st.sampled_from(WIDE), max_size=25).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(wide_texts, min_size=1, max_size=5))
def test_characters_beyond_latin1_fold_one_to_one(batch):
    ok, other = split_latin1(batch)
    assert other == []
    fb = fold_batch(batch)
    for i, t in enumerate(batch):
        got, _ = fb.normalised(i)
        _same(t, got)


def test_what_cannot_be_folded_one_to_one():
    batch = ["ﬁnne", "e\u0301", "½ l", "alkohol – “sprit”"]
    assert split_latin1(batch) == ([3], [0, 1, 2])
    with pytest.raises(ValueError, match="one to one"):
        fold_batch(batch)
    fb = fold_batch(["\ufffd\ufffd ok", "ok"])
    assert fb.control_counts.tolist() == [2, 0]
