"""Tests for harkit.text.normalise: folding, hyphenation, offsets, robustness, speed."""

from __future__ import annotations

import random
import time
import unicodedata

import numpy as np
import pytest

from harkit.text.normalise import Normalised, fold, normalise, tokens


def words_of(s: str) -> list[str]:
    n = normalise(s)
    return [n.text[a:b] for a, b in tokens(n)]


def test_lower_case_and_blank_runs():
    n = normalise("  Innlagt\t\tfor\n\n  ALKOHOLISME.  ")
    assert n.text == "inlagt for alkoholisme."


@pytest.mark.parametrize("modern, old", [
    ("på", "paa"), ("år", "aar"), ("måneder", "maaneder"), ("søster", "söster"),
    ("løsemidler", "losemidler"), ("ærlig", "aerlig"), ("morfinisme", "Morphinisme"),
    ("alkoholisme", "Alcoholisme"), ("kronisk", "chronisk"), ("alkohol", "a1kohol"),
    ("morfin", "rnorfin"), ("Ørje", "Orje"),
])
def test_historical_and_ocr_spellings_meet(modern, old):
    assert normalise(modern).text == normalise(old).text


def test_folding_canonical_form_is_documented_one():
    # å and aa both fold to a; æ to ae; ø/ö to o
    assert normalise("Blå Kors paa Lade, ærlig, søster").text == "bla kors pa lade, aerlig, soster"


def test_decomposed_and_composed_unicode_agree():
    composed = "Søster på kursted"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert normalise(decomposed).text == normalise(composed).text
    assert normalise("\ufb01nne").text == "fine"  # ligature fi (NFKC), doubled n collapsed


def test_hyphen_at_line_end_is_joined():
    n = normalise("Innlagt for alko-\nholisme og drukken-  \r\n  skap.")
    assert words_of("Innlagt for alko-\nholisme") == ["inlagt", "for", "alkoholisme"]
    assert "drukenskap." in n.text
    # a hyphen inside a line is not a line-end break
    assert normalise("alkohol- og stoffmisbruk").text == "alkohol- og stofmisbruk"


def test_offsets_map_back_to_original_words():
    orig = "Pasienten har alko-\nholisme, paa Blaa Kors."
    n = normalise(orig)
    i = n.text.index("alkoholisme")
    a, b = n.original_span(i, i + len("alkoholisme"))
    assert orig[a:b] == "alko-\nholisme"
    i = n.text.index("bla kors")
    a, b = n.original_span(i, i + len("bla kors"))
    assert orig[a:b] == "Blaa Kors"
    # a span inside a folded word maps to the whole original word
    a, b = n.original_span(i + 1, i + 2)
    assert orig[a:b] == "Blaa"
    assert n.snippet(i, i + 8, width=5) == "paa Blaa Kors."


def test_vectorised_offsets_agree_with_scalar():
    orig = "Ingen tegn til abstinens.\n  Tidl. alko-\nholmisbruk; mor drakk sterkt i aarevis."
    n = normalise(orig)
    rng = np.random.default_rng(3)
    s = rng.integers(0, len(n.text), 200)
    e = s + rng.integers(0, 12, 200)
    vs, ve = n.original_spans(s, e)
    for a, b, x, y in zip(s, e, vs, ve):
        assert n.original_span(int(a), int(b)) == (x, y)


def test_every_position_maps_inside_original_monotonically():
    orig = "Far  drakk.\x00\x07 Søster: ok?? alko-\nholisme ﬁnne ÅRSAK"
    n = normalise(orig)
    prev = 0
    for i in range(len(n.text)):
        a, b = n.original_span(i, i + 1)
        assert 0 <= a <= b <= len(orig)
        assert a >= prev
        prev = a


def test_tokens_are_word_spans():
    n = normalise("Obs. alkoholmisbruk? Neg.")
    assert [n.text[a:b] for a, b in tokens(n)] == ["obs", "alkoholmisbruk", "neg"]
    assert tokens(normalise("")) == []


@pytest.mark.parametrize("bad", ["", " \n\t ", "\x00\x01\xff\ufffd", "????", "-\n-\n",
                                 "\ud800 lone surrogate", "a" * 100_000])
def test_never_raises_on_odd_strings(bad):
    n = normalise(bad)
    assert isinstance(n, Normalised)
    assert len(n.piece_start) == len(n.piece_orig_start)
    n.original_span(0, len(n.text))


def test_non_str_input_is_converted():
    assert normalise(None).text == ""
    assert normalise(b"Alkohol \xff").text == "alkohol \ufffd"
    assert normalise(12).text == "12"


def test_binary_garbage_does_not_raise():
    rnd = random.Random(7)
    for _ in range(20):
        s = "".join(chr(rnd.randrange(0, 0x3000)) for _ in range(500))
        n = normalise(s)
        for a, b in tokens(n):
            assert 0 <= a < b <= len(n.text)


def test_fold_matches_normalised_text():
    text = normalise("Mistanke om alkoholmisbruk.").text
    assert fold("ALKOHOLMISBRUK") in text
    assert fold("mistanke om") == "mistanke om"


def test_one_megabyte_in_well_under_a_second():
    line = ("Pasienten har drukket sterkt i mange aar. Ingen tegn til abstinens; "
            "ikke holdepunkter for alko-\nholmisbruk. Søster på kursted.\n")
    text = line * (1_000_000 // len(line) + 1)
    normalise(text[:10_000])  # warm the word cache as a long document does
    t0 = time.perf_counter()
    n = normalise(text)
    elapsed = time.perf_counter() - t0
    assert len(text) >= 1_000_000
    assert n.text.count("alkoholmisbruk") == text.count("alko-\nholmisbruk")
    assert elapsed < 1.0, elapsed


@pytest.mark.parametrize("sentence", [
    "Innlagt paa grund af drukkenskap.", "Alcoholismus chronicus.",
    "Ingen tegn til abstinens; ikke holdepunkter for alkoholmisbruk.",
    "Tar Valium og Rohypnol langt utover forskrivning.", "Morphinisme. Far drakk.",
    "Tid1igere rnorfinisme, nå rusfri?", "Kjent alkoholmisbruk gjennom mange år.",
])
def test_same_folding_as_diagnosis_texts(sentence):
    # concept terms folded with harkit.icd.text.fold_text must meet the record text
    from harkit.icd.text import fold_text

    assert normalise(sentence).text == fold_text(sentence)
