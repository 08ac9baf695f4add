"""The compiled chunk path of the search engine equals its plain-Python counterparts."""

from __future__ import annotations

import random
import warnings

import ahocorasick
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harkit.text._compiled import build_dfa
from harkit.text.batch import fold_batch
from harkit.text.context import _default_rules
from harkit.text.engine import _reference_chunk, compile_query, search_chunk

# --- the automaton ----------------------------------------------------------------------

keys = st.lists(st.text(alphabet="abklmrs n", min_size=1, max_size=5), min_size=1,
                max_size=12, unique=True)
# raw text folding touches: c, x, doubles, rn, qu, 1 and 0 by letters (the exact path for
# "1" next to "0"), line-end hyphens, blanks at the ends of a text
raw_texts = st.lists(st.text(alphabet="abcrnqux lm10-\n", max_size=80), min_size=1,
                     max_size=4)


@settings(max_examples=300, deadline=None)
@given(keys, raw_texts)
def test_automaton_in_the_fold_reports_what_pyahocorasick_reports(words, texts):
    # the keys found as the texts are folded are pyahocorasick's on the folded text
    auto = ahocorasick.Automaton()
    for i, w in enumerate(words):
        auto.add_word(w, i)
    auto.make_automaton()
    fb = fold_batch(texts, pieces=False, dfa=build_dfa([w.encode("latin-1") for w in words]))
    folded = fb.text
    expected = sorted((end + 1, i) for end, i in auto.iter(folded)) if folded else []
    ends, found = fb.found
    assert (ends[1:] >= ends[:-1]).all()
    assert sorted(zip(ends.tolist(), found.tolist())) == expected


def test_automaton_in_the_fold_on_refolded_words_and_text_ends():
    # "al10" takes the exact path (the 0 next to a 1 that became l); a blank at a text's
    # end is taken back; a key never runs across two texts
    words = ["lo", "al", "a lo", "lol", "o k", "k"]
    texts = ["xal10 al1o0 al10", "kal10ol  ", "a", "lo k ", "rnqu-\nal10"]
    auto = ahocorasick.Automaton()
    for i, w in enumerate(words):
        auto.add_word(w, i)
    auto.make_automaton()
    fb = fold_batch(texts, pieces=False, dfa=build_dfa([w.encode("latin-1") for w in words]))
    ends, found = fb.found
    expected = sorted((end + 1, i) for end, i in auto.iter(fb.text))
    assert sorted(zip(ends.tolist(), found.tolist())) == expected
    assert len(expected) > 5


# --- context over a whole chunk ---------------------------------------------------------

def _rule_words() -> list[str]:
    table = _default_rules().table
    words = table[~table["direction"].isin(["prefix", "suffix"])]
    return sorted(set(words["literal"].astype(str)))


TRIGGERS = _rule_words()
TERMS = ["alkoholisme", "heroin", "Antabus", "delirium tremens", "abstinens", "hasj",
         "morfinisme", "DT", "LAR", "alkohol-\nmisbruk", "Fylla",
         # affixed words: negated through their own affix (rusfri by rus*) or not
         # (rusfri, a term of sobriety), and negating the words after them
         "rusfri", "alkoholfri", "heroinfritt", "ubehandlet", "uendret", "symptomløs",
         # terms that need (or must not have) a context word in their sentence, and those
         # words; section headers at a line start
         "lim", "sniffet", "delir", "postoperativt", "drakk", "kaffe", "alkoholfritt",
         "amfetamin", "\nHereditet:", "\nTidligere sykdommer:", "\nAnamnese:", "\nStatus:"]
FILLER = ["pasienten", "er", "innlagt", "og", "har", "drukket", "i", "dag", "lege",
          "kontroll", ",", ".", "?", ";", "får", "faar", "Far", "-", "(", ")", "2",
          "uke", "ikke", "ingen", "men", "tidligere", "mor", "Mør", "speed", "sped", "Bror"]
token = st.sampled_from(TRIGGERS + TERMS + FILLER)
document = st.lists(token, max_size=60).map(" ".join)


def _frame(texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"document_id": [f"D{i}" for i in range(len(texts))],
                         "person_id": list(range(len(texts))), "text": texts})


QUERY = ("@alcohol OR @opioids OR @cannabis OR @treatment OR @withdrawal OR @abstinence "
         "OR heroin:negated OR NEAR/3(@alcohol, @treatment) OR @family OR @stimulants "
         "OR @solvents OR /\\bal\\w+sme/ OR @sedatives:hypothetical")


@settings(max_examples=150, deadline=None)
@given(st.lists(document, min_size=1, max_size=8))
def test_chunk_context_equals_each_document_on_its_own(texts):
    m = compile_query(QUERY)
    docs = _frame(texts)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the chunk path must not give up
        fast, fast_skipped = search_chunk(docs, m)
    ref, ref_skipped = _reference_chunk(docs, m)
    pd.testing.assert_frame_equal(fast, ref)
    assert fast_skipped == ref_skipped


@pytest.mark.parametrize("seed", range(3))
def test_dense_triggers_on_long_texts(seed):
    """Long texts packed with rule literals: the windows around hits must find the same
    triggers and terminators as a scan from each text's start."""
    rng = random.Random(seed)
    words = TRIGGERS * 2 + TERMS * 3 + FILLER * 3
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 3000)))
             for _ in range(12)]
    m = compile_query(QUERY)
    docs = _frame(texts)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fast, _ = search_chunk(docs, m)
    ref, _ = _reference_chunk(docs, m)
    assert len(ref) > 500 and ref[["negated", "historical", "uncertain", "family"]].any().all()
    pd.testing.assert_frame_equal(fast, ref)


def test_query_forms_on_the_chunk_path():
    rng = random.Random(7)
    words = TRIGGERS + TERMS * 3 + FILLER * 2
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 400)))
             for _ in range(60)]
    docs = _frame(texts)
    for query in ["@alcohol:affirmed AND NOT @treatment", "alko* OR hero*n",
                  '"delirium tremens":!negated', "NOT @opioids", "@withdrawal:historical",
                  "NEAR/2(@alcohol:negated, @opioids)", "NEAR/4/doc(@alcohol, @opioids)",
                  "@treatment:!affirmed"]:
        m = compile_query(query)
        fast, _ = search_chunk(docs, m)
        ref, _ = _reference_chunk(docs, m)
        pd.testing.assert_frame_equal(fast, ref, obj=query)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(TRIGGERS + FILLER + ["kan ikke utelukkes", "ikke påvist",
                                                     "ingen tegn til"]), max_size=80),
       st.integers(1, 3), st.data())
def test_windows_start_where_literal_matching_is_in_step(tokens, back, data):
    """Events found in a window equal the events a scan from the text's start finds there,
    however close to a hit the window's start is asked to be."""
    import numpy as np

    from harkit.text._chunk import _SPACE_CODES, default_tables
    from harkit.text._compiled import find_events, unit_ids, window_units
    from harkit.text.batch import _WORD, fold_batch

    fb = fold_batch([" ".join(tokens)], pieces=False)
    codes = fb.codes
    t = default_tables()
    args = (codes, _WORD, _SPACE_CODES, t.trie, t.trie_class, t.trie_id, t.char_id,
            ord("\n"))
    tables = (t.first_start, t.first_group, t.group_units, t.group_len)
    u_start, u_end, uid, _, u_doc = unit_ids(*args)
    if not len(u_start):
        return
    whole = set(zip(*(x.tolist() for x in find_events(uid, u_doc, *tables))))
    k = data.draw(st.integers(0, len(u_start) - 1))
    w_start, _, w_uid, _, w_doc, lo, hi = window_units(
        *args, u_start[k:k + 1], u_end[k:k + 1], back, 4)
    a, b, g = find_events(w_uid, w_doc, *tables)
    first = int(np.searchsorted(u_start, w_start[0]))  # window unit 0 in the whole text
    in_window = {(i - first, j - first, gg) for i, j, gg in whole
                 if i >= first and j <= first + len(w_start)}
    # where the window cuts the text short, literals at its end may differ
    cut = len(w_start) - t.longest if hi[0] < len(codes) else len(w_start)
    found = set(zip(a.tolist(), b.tolist(), g.tolist()))
    assert {e for e in found if e[0] < cut} == {e for e in in_window if e[0] < cut}


@pytest.mark.parametrize("pattern", [r"\bLAR\b", r"\bA A\b", r"\bAA\b", r"\bD D D\b",
                                     r"\bØ\b"])
def test_literal_matches_are_the_regex_matches(pattern):
    """The literals' occurrences tried with the regex give what the regex finds on the
    joined texts, for literals that may overlap themselves (A A twice in AA A A) too."""
    import re

    from harkit.text._chunk import _literal_matches
    from harkit.text.engine import _required_literal

    texts = ["LAR A A A AA AAA D D D D LAR Ø", "xLAR A A A AA", "D D D D D D", "Ø ØØ Ø—Ø",
             "AA A A", "DD D D D"]
    rx = re.compile(pattern)
    literal = _required_literal(rx)
    assert literal is not None
    fb = fold_batch(texts, pieces=False)
    expected = [m.span() for m in rx.finditer(fb.joined)]
    assert _literal_matches(fb, [rx], [literal]) == [expected]
    assert len(expected) >= 2
