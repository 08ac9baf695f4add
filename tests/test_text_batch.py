"""harkit.text.batch folds like harkit.text.normalise, and the windowed engine finds what
the whole-document path finds."""

from __future__ import annotations

import random
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harkit.text import batch as batch_module
from harkit.text.batch import fold_batch
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


# --- the compiled kernel against the numpy passes it replaced ----------------------------

def _numpy_fold(texts: list[str]) -> dict:
    """The numpy passes fold_batch ran before its compiled kernel, as the per-character
    reference: folded codes, the deletions and insertions each step made (``steps``, which
    :func:`_back` and :func:`_forward` replay) and the word spans. Two guards of that code
    are left out: it expanded ``x`` and ``æ`` only when the batch had one in Latin-1, which
    missed a stand-in ``x`` (``ｘ`` folds to ``ks``, as normalise says)."""
    b = batch_module
    word, space, first, second, width = b._WORD, b._SPACE, b._FIRST, b._SECOND, b._WIDTH
    az = np.zeros(256, dtype=bool)
    az[ord("a"):ord("z") + 1] = True
    joined = "\n".join(texts)
    specials = b._specials(joined)
    a = np.frombuffer(joined.encode("latin-1", errors="replace"), dtype=np.uint8).copy()
    if specials:
        a[[p for p, _ in specials]] = [ord(b._stand_in(c)[0]) for _, c in specials]
    n = len(a)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    orig_doc_start = np.concatenate([[0], np.cumsum(lengths + 1)])[:-1]
    sep_pos = orig_doc_start[1:] - 1
    steps: list = []

    def compress(keep, arr, gone=None):
        gone = np.flatnonzero(~keep) if gone is None else gone
        if len(gone):
            steps.append(("del", gone - np.arange(len(gone))))
            return arr[keep]
        return arr

    def expand(out, after, values):
        if not len(after):
            return out
        new_pos = after + 1 + np.arange(len(after))
        steps.append(("ins", new_pos))
        old = np.ones(len(out) + len(after), dtype=bool)
        old[new_pos] = False
        res = np.empty(len(old), dtype=out.dtype)
        res[old] = out
        res[new_pos] = values
        return res

    def runs(mask):
        start, end = mask.copy(), mask.copy()
        start[1:] &= ~mask[:-1]
        end[:-1] &= ~mask[1:]
        return np.flatnonzero(start), np.flatnonzero(end) + 1

    ws = space[a]
    broken = np.zeros(n, dtype=bool)
    for m in re.finditer(r"-[ \t]*\r?\n\s*(?=\w)", joined):
        s0, s1 = m.span()
        if s0 > 0 and word[a[s0 - 1]] and not ((sep_pos >= s0) & (sep_pos < s1)).any():
            broken[s0:s1] = True
    ws &= ~broken
    keep = ~ws
    keep[0:1] |= ws[0:1]
    keep[1:] |= ws[1:] & ~ws[:-1]
    keep &= ~broken
    for p in [-1, *sep_pos.tolist(), n]:
        lo, hi = p, p + 1
        while lo > 0 and ws[lo - 1]:
            lo -= 1
        while hi < n and ws[hi]:
            hi += 1
        keep[max(lo, 0):hi] = False
    keep[sep_pos] = True
    gone = np.flatnonzero(~keep)
    x = compress(keep, a, gone)
    sep_x = sep_pos - np.searchsorted(gone, sep_pos)
    out = np.where(space, 32, first).astype(np.uint8)[x]
    out[sep_x] = 10
    wide = np.flatnonzero(width[x] == 2)
    out = expand(out, wide, second[x[wide]])
    c = ord
    h = np.flatnonzero(out == c("h"))
    h = h[h > 0]
    h = h[np.isin(out[h - 1], [c("c"), c("p"), c("t")])]
    out[h[out[h - 1] == c("p")] - 1] = c("f")
    r = np.flatnonzero((out[:-1] == c("r")) & (out[1:] == c("n")))
    out[r] = c("m")
    q = np.flatnonzero(out[:-1] == c("q"))
    q = q[out[q + 1] == c("u")]
    out[q], out[q + 1] = c("k"), c("v")
    out[out == c("c")] = c("k")
    drop = np.union1d(h, r + 1)
    if len(drop):
        keep = np.ones(len(out), dtype=bool)
        keep[drop] = False
        out = compress(keep, out, drop)
    wide = np.flatnonzero(out == c("x"))
    out[wide] = c("k")
    out = expand(out, wide, np.uint8(c("s")))
    for digit, letter in (("1", "l"), ("0", "o")):
        where = np.flatnonzero(out == c(digit))
        near = az[out[np.maximum(where - 1, 0)]] & (where > 0)
        near |= az[out[np.minimum(where + 1, len(out) - 1)]] & (where + 1 < len(out))
        out[where[near]] = c(letter)
    twin = np.flatnonzero(out[1:] == out[:-1]) + 1
    twin = twin[az[out[twin]]]
    if len(twin):
        keep = np.ones(len(out), dtype=bool)
        keep[twin] = False
        out = compress(keep, out, twin)
    w_start, w_end = runs(word[out])
    o_start, o_end = runs(word[a] | broken)
    return {"codes": out, "steps": steps, "word_start": w_start, "word_end": w_end,
            "orig_word_start": o_start, "orig_word_end": o_end, "n": n}


def _back(positions, steps):
    q = np.asarray(positions, dtype=np.int64)
    for kind, arr in reversed(steps):
        q = q + np.searchsorted(arr, q, side="right") * (1 if kind == "del" else -1)
    return q


def _forward(positions, steps):
    q = np.asarray(positions, dtype=np.int64)
    for kind, arr in steps:
        if kind == "del":
            q = q - np.searchsorted(arr + np.arange(len(arr)), q, side="left")
        else:
            q = q + np.searchsorted(arr - 1 - np.arange(len(arr)), q, side="left")
    return q


def _same_as_numpy(batch: list[str]) -> None:
    ref = _numpy_fold(batch)
    fb = fold_batch(batch, pieces=False)
    np.testing.assert_array_equal(fb.codes, ref["codes"])
    m, n = len(fb.codes), ref["n"]
    np.testing.assert_array_equal(fb.src, _back(np.arange(m + 1), ref["steps"]))
    assert fb.src[m] == n == len(fb.joined)
    for key in ("word_start", "word_end", "orig_word_start", "orig_word_end"):
        np.testing.assert_array_equal(getattr(fb, key), ref[key], err_msg=key)
    q = np.arange(-3, n + 4)
    np.testing.assert_array_equal(fb.folded_positions(q), _forward(q, ref["steps"]))
    p = np.arange(-3, m + 4)
    np.testing.assert_array_equal(fb.original_positions(p), _back(p, ref["steps"]))
    assert fb.words() == (fb.word_start, fb.word_end)


@settings(max_examples=400, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6))
def test_kernel_equals_numpy_passes(batch):
    _same_as_numpy(batch)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES + ["–", "“", "ā", "Ω", "Ж", "\u2028", "\u3000",
                                                   "\ufffd", "ᴬ", "ǽ", "µ", "-\u3000\n"]),
                         max_size=25).map("".join), min_size=1, max_size=5))
def test_kernel_equals_numpy_passes_beyond_latin1(batch):
    _same_as_numpy(batch)


def test_kernel_equals_numpy_passes_on_pages():
    from harkit.synth.pages import iter_record_pages
    chunk = next(iter_record_pages(3, seed=1, pages_per_chunk=300, mention_share=0.2))
    pages = chunk.text.tolist()
    # µ is folded by the kernel itself; ¼ ½ ¾ cannot be folded
    pages = [t.replace("¼", "1/4").replace("½", "1/2").replace("¾", "3/4") for t in pages]
    _same_as_numpy(pages)
    _same_as_numpy(["Alko-\nholisme", "", " x ", "Æble-\r\n  \x1cpai", "a1b0 l1l o0o a10 01a"])


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6))
def test_words_and_src_against_normalise(batch):
    fb = fold_batch(batch, pieces=False)
    joined = "\n".join(batch)
    assert len(fb.src) == len(fb.codes) + 1 and fb.src[-1] == len(joined)
    assert (np.diff(fb.src) >= 0).all()
    assert fb.text[0:0] == "" and all(fb.text[p] == "\n" for p in fb.doc_start[1:-1] - 1)
    # separators map to separators, every folded position to its text
    np.testing.assert_array_equal(fb.src[fb.doc_start[1:-1] - 1], fb.orig_doc_start[1:] - 1)
    k = 0
    for d, t in enumerate(batch):
        ref = normalise(t)
        base, f0 = int(fb.orig_doc_start[d]), int(fb.doc_start[d])
        is_word = np.isin(ref.piece_start, [s for s, _ in ref.words])
        nw = len(ref.words)
        sl = slice(k, k + nw)
        np.testing.assert_array_equal(fb.word_start[sl] - f0, [s for s, _ in ref.words])
        np.testing.assert_array_equal(fb.word_end[sl] - f0, [e for _, e in ref.words])
        np.testing.assert_array_equal(fb.orig_word_start[sl] - base,
                                      ref.piece_orig_start[is_word])
        np.testing.assert_array_equal(fb.orig_word_end[sl] - base, ref.piece_orig_end[is_word])
        # a folded word starts where its original word starts
        np.testing.assert_array_equal(fb.src[fb.word_start[sl]], fb.orig_word_start[sl])
        # other pieces: a character maps to itself, a blank to the start of its run
        others = ref.piece_start[~is_word] + f0
        np.testing.assert_array_equal(fb.src[others], ref.piece_orig_start[~is_word] + base)
        k += nw
    assert k == len(fb.word_start) == len(fb.orig_word_end)


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6))
def test_folded_positions_inverts_original_positions(batch):
    fb = fold_batch(batch, pieces=False)
    m, n = len(fb.codes), len(fb.joined)
    p = np.arange(m + 1)
    back = fb.folded_positions(fb.original_positions(p))
    # the second of two characters from one original (æ -> ae, x -> ks) goes to the first
    second = np.zeros(m + 1, dtype=bool)
    second[1:m] = fb.src[1:m] == fb.src[:m - 1]
    np.testing.assert_array_equal(back[~second], p[~second])
    np.testing.assert_array_equal(back[second], p[second] - 1)
    # any original position: the first folded character from it or after it
    q = np.arange(n + 1)
    f = fb.folded_positions(q)
    assert ((f == m) | (fb.src[np.minimum(f, m)] >= q)).all()
    assert ((f == 0) | (fb.src[np.maximum(f - 1, 0)] < q)).all()


def test_stand_in_x_folds_like_normalise():
    # the numpy passes left a stand-in x (from a character beyond Latin-1) unexpanded
    batch = ["ｘ", "aｘh", "ˣ-\nray", "µg ½"[:2]]
    fb = fold_batch(batch)
    assert fb.text.split("\n") == [normalise(t).text for t in batch] == ["ks", "aksh",
                                                                          "ksray", "μg"]
    for i, t in enumerate(batch):
        got, _ = fb.normalised(i)
        _same(t, got)
    # µ (Latin-1, folded beyond it) is read as its stand-in þ, and put back in the text
    batch = ["5 µg", "þµ Þ", "µµ-\nµ", "ok"]
    fb = fold_batch(batch)
    assert fb.scan_text == "5 þg\nþþ þ\nþþþ\nok"
    assert fb.text.split("\n") == [normalise(t).text for t in batch]
    for i, t in enumerate(batch):
        _same(t, fb.normalised(i)[0])
    # fractions are spelled out (½ -> 1/2), in the batch as in normalise
    batch = ["ok", "a ¾ b", "¼", "a10½", "a1-\n0¼"]
    fb = fold_batch(batch)
    assert fb.text.split("\n") == [normalise(t).text for t in batch]
    assert fb.text.split("\n")[1] == "a 3/4 b"
    for i, t in enumerate(batch):
        _same(t, fb.normalised(i)[0])


def test_empty_batches():
    # (as the numpy passes gave them: no text at all looks like one empty text)
    for batch, doc_start, src in (([], [0, 1], [0]), ([""], [0, 1], [0]),
                                  (["", " \t"], [0, 1, 2], [0, 3])):
        for pieces in (False, True):
            fb = fold_batch(batch, pieces=pieces)
            assert fb.text == fb.scan_text == "\n" * (len(batch) - 1)
            assert fb.doc_start.tolist() == doc_start and fb.src.tolist() == src
            assert len(fb.word_start) == len(fb.orig_word_end) == 0
            assert fb.control_counts.tolist() == [0] * len(batch)
            assert fb.folded_positions([0, len(fb.joined)]).tolist() == [0, len(fb.text)]


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
                 "\u3000", "\u200b", "\ufffd", "ᴬ", "ǽ", "№", "€",
                 # spelled out: ligatures, fractions, combining accents, compatibility forms
                 "ﬁ", "ﬀ", "½", "¼", "¾", "\u0301", "\u0308", "㎎", "Ǆ", "\u2044", "⅓"]
wide_texts = st.lists(st.sampled_from(WIDE), max_size=25).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(wide_texts, min_size=1, max_size=5))
def test_characters_beyond_latin1_fold_one_to_one(batch):
    fb = fold_batch(batch)
    for i, t in enumerate(batch):
        got, _ = fb.normalised(i)
        _same(t, got)


def test_every_text_folds_in_the_batch():
    # ligatures, combining accents and fractions once sent a text to normalise() alone
    batch = ["ﬁnne", "e\u0301", "½ l", "alkohol – “sprit”", "3½ tablett Paralgin forte"]
    fb = fold_batch(batch)
    assert fb.text.split("\n") == ["fine", "e", "1/2 l", "alkohol – “sprit”",
                                   "31/2 tablet paralgin forte"]
    for i, t in enumerate(batch):
        _same(t, fb.normalised(i)[0])
    fb = fold_batch(["\ufffd\ufffd ok", "ok"])
    assert fb.control_counts.tolist() == [2, 0]
    # texts prepared for different reasons (µ, beyond Latin-1, ½) keep their order
    batch = ["5 µg", "\u200b – ", "½ ﬁ", "ok", "µ"]
    fb = fold_batch(batch)
    assert fb.text.split("\n") == [normalise(t).text for t in batch]
    for i, t in enumerate(batch):
        _same(t, fb.normalised(i)[0])


@settings(max_examples=200, deadline=None)
@given(st.lists(wide_texts, min_size=1, max_size=5), st.lists(st.integers(0, 200),
                                                              min_size=2, max_size=20))
def test_folded_slices_equal_text(batch, cuts):
    fb = fold_batch(batch, pieces=False)
    n = len(fb.codes)
    spans = [(min(a, b) % (n + 1), max(a, b) % (n + 1)) for a, b in zip(cuts, cuts[1:])]
    spans = [(a, b) if a <= b else (b, a) for a, b in spans]
    got = fb.folded_slices([a for a, _ in spans], [b for _, b in spans])
    assert got == [fb.folded(a, b) for a, b in spans]
    assert got == [fb.text[a:b] for a, b in spans]  # (text made last: folded() without it)


# --- one path: no text is searched on its own -------------------------------------------

MIXED = ["Pasienten har alkoholisme og tar Paralgin forte.",
         "Ingen abstinens – men “sprit” daglig, ½ flaske vodka.",
         "ﬁkk heroin i.v.; nekter alkoholmisbruk",
         "Kafe\u0301 og 5 µg morfin – tidligere misbruk av hasj",
         "Far drikker mye alkohol. ¼ l sprit — ikke abstinens.",
         "Greek: αβγ, ligatur ﬀ, Ω — ingen opiater",
         "alko-\nholisme, diazepam 10 mg x 3",
         "Ren latin-1: pårørende, øl og vin, ingen røyk"]


@pytest.fixture
def mixed():
    rng = random.Random(7)
    texts = [rng.choice(MIXED) + " " + rng.choice(MIXED) for _ in range(120)]
    return pd.DataFrame({"document_id": range(len(texts)), "person_id": range(len(texts)),
                         "text": texts})


def _no_per_document_path(monkeypatch):
    """Make the per-document reference path fail if a search takes it, and count the
    batch folds."""
    from harkit.text import engine

    def refuse(*args, **kwargs):
        raise AssertionError("a text was searched on its own")

    monkeypatch.setattr(engine, "_search_whole", refuse)
    monkeypatch.setattr(engine, "normalise", refuse)
    calls = []
    real = engine.fold_batch

    def counted(texts, **kwargs):
        calls.append(len(texts))
        return real(texts, **kwargs)

    monkeypatch.setattr(engine, "fold_batch", counted)
    return calls


@pytest.mark.parametrize("context", [True, False])
def test_mixed_batch_takes_one_path(mixed, monkeypatch, context):
    query = " OR ".join("@" + c for c in load_lexicon().names)
    m = compile_query(query)
    ref, _ = _reference_chunk(mixed, m, context=context)
    assert len(ref) > 100 and ref.negated.any() == context
    calls = _no_per_document_path(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast, skipped = search_chunk(mixed, m, context=context)
    assert calls == [len(mixed)] and skipped == []  # one fold for the whole chunk
    pd.testing.assert_frame_equal(fast, ref)
    # and each document searched alone gives its part of the batch's result
    alone = pd.concat([search_chunk(mixed.iloc[[i]], m, context=context)[0]
                       for i in range(len(mixed))], ignore_index=True)
    pd.testing.assert_frame_equal(alone, fast)


def test_only_texts_with_characters_to_spell_out_are_spelled_out(mixed, monkeypatch):
    from harkit.text import batch as b
    from harkit.text.normalise import expand

    seen = []
    monkeypatch.setattr(b, "expand", lambda t: seen.append(t) or expand(t))
    texts = mixed.text.tolist()
    fb = fold_batch(texts, pieces=False)
    to_spell = [t for t in texts if any(c in t for c in "½¼ﬁﬀ\u0301")]
    assert 0 < len(to_spell) < len(texts) and seen == to_spell
    assert fb.text.split("\n") == [normalise(t).text for t in texts]


def test_a_failing_text_is_skipped_alone(mixed, monkeypatch):
    from harkit.text import _chunk, engine

    m = compile_query("@alcohol OR @opioids")
    ref, _ = _reference_chunk(mixed, m)
    bad = mixed.text[37]
    real = _chunk.search_folded

    def fails_on_one(fb, texts, *args):
        if bad in texts:
            raise RuntimeError("planted")
        return real(fb, texts, *args)

    monkeypatch.setattr(engine, "search_folded", fails_on_one)
    got, skipped = search_chunk(mixed, m)
    at_fault = mixed.document_id[mixed.text == bad].tolist()
    assert skipped == [(d, "error: RuntimeError") for d in at_fault]
    pd.testing.assert_frame_equal(
        got, ref[~ref.document_id.isin(at_fault)].reset_index(drop=True))
