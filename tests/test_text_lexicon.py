"""Concept lexicon: shipped files, user files, overrides, variants, errors."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from harkit.icd.text import fold_text
from harkit.synth.codes import sentence_table
from harkit.synth.documents import CONCEPTS, sentence_labels
from harkit.text.lexicon import (
    LexiconError,
    load_lexicon,
    spelling_variants,
)

SHIPPED = {"alcohol", "opioids", "cannabis", "sedatives", "stimulants", "solvents",
           "polydrug", "withdrawal", "abstinence", "treatment", "legal", "family"}


def test_shipped_concepts_and_generator_labels_agree():
    lex = load_lexicon()
    assert set(lex.names) == SHIPPED
    # every concept the synthetic generator labels exists under the same name
    assert set(sentence_labels()["concept"]) <= SHIPPED
    assert set(CONCEPTS) <= SHIPPED


def test_every_shipped_term_has_a_source_and_valid_icd_links():
    frame = load_lexicon().to_frame()
    assert (frame["source"].str.strip() != "").all()
    cats = set(pd.read_csv("harkit/codelists/substance.csv")["category"])
    for c in load_lexicon().concepts.values():
        assert set(c.icd_categories) <= cats
    assert load_lexicon()["stimulants"].icd_categories == ("stimulants", "cocaine")


def _matches(lex, concept, text):
    """Whether a folded lexicon term of ``concept`` occurs in ``text`` (test helper)."""
    words = fold_text(text)
    for key in lex.folded(concept):
        pat = re.escape(key.rstrip("*")) + (r"\w*" if key.endswith("*") else "")
        if re.search(rf"\b{pat}\b", words):
            return True
    c = lex[concept]
    return any(r.compile().search(text) for r in c.regexes)


@pytest.mark.parametrize("concept, text", [
    ("alcohol", "Innlagt paa grund af drukkenskap."),
    ("alcohol", "Alcoholismus chronicus."),
    ("alcohol", "Faderen var dranker."),
    ("alcohol", "Potatorium i mange aar."),
    ("opioids", "Morphinisme."),
    ("opioids", "Injiserer heroin daglig."),
    ("cannabis", "Røyker hasj daglig."),
    ("sedatives", "Tar Valium og Rohypnol langt utover forskrivning."),
    ("stimulants", "Bruker kokain og amfetamin."),
    ("solvents", "Sniffing av løsemidler i ungdommen."),
    ("polydrug", "Langvarig blandingsmisbruk av piller og hasj."),
    ("withdrawal", "Delirium tremens tredje døgn."),
    ("withdrawal", "Innlagt med DT."),
    ("abstinence", "Lever nå avholdende."),
    ("abstinence", "Har vært rusfri i to år."),
    ("treatment", "Startet med Antabus."),
    ("treatment", "Henvist til LAR."),
    ("treatment", "Overført til kurssted."),
    ("treatment", "Innlagt på Blaa Kors."),
    ("legal", "Innlagt etter vedtak i edruskapsnemnda."),
    ("legal", "Dømt etter løsgjengerloven."),
    ("family", "Mor hadde alkoholproblemer."),
])
def test_shipped_lexicon_finds_record_sentences(concept, text):
    assert _matches(load_lexicon(), concept, text)


@pytest.mark.parametrize("concept, text", [
    ("treatment", "Han lar seg ikke behandle."),   # the verb "lar", not LAR
    ("withdrawal", "Mottatt dt. 3. mai."),          # DT is upper case only
    ("alcohol", "Pasienten er mager og blek."),
    ("opioids", "Startet med Antabus."),
])
def test_shipped_lexicon_does_not_fire_on(concept, text):
    assert not _matches(load_lexicon(), concept, text)


def test_generator_primary_sentences_are_covered():
    st = sentence_table()
    lab = sentence_labels()
    lex = load_lexicon()
    missing = [(c, st.loc[i, "text"]) for i, c in zip(lab["sentence"], lab["concept"])
               if not _matches(lex, c, st.loc[i, "text"])]
    # generic treatment wording is not in the lexicon; generic "narkotika" is @polydrug
    # while the generator labels it opioids, cannabis and stimulants (negated)
    allowed = {"Poliklinisk samtale hver uke.", "Ikke motivert for behandling.",
               "Ikke holdepunkter for misbruk av narkotika."}
    assert {t for _, t in missing} <= allowed, missing


@pytest.mark.parametrize("term, expected", [
    ("morfin", {"morphin"}),
    ("alkohol", {"alcohol"}),
    ("paa", {"på"}),
    ("blå kors", {"blaa kors"}),
    ("etylisme", {"ethylisme"}),
    ("løsemidler", {"losemidler", "lösemidler"}),
    ("kodein", {"codein"}),
])
def test_spelling_variants(term, expected):
    v = spelling_variants(term)
    assert v[0] == term
    assert expected <= set(v)
    assert len(v) == len(set(v))


def test_spelling_variants_are_bounded():
    assert len(spelling_variants("ææøøaaphthck sekstheten", max_variants=10)) == 10


def test_lexicon_variants_map_to_their_term():
    lex = load_lexicon()
    v = lex.variants("opioids")
    assert v["morphinisme"].text == "morfinisme"
    assert v["morphin*"].text == "morfin*"
    # variants fold to one form, except e/æ (fold_text maps æ to "ae")
    forms = {fold_text(k) for k, t in v.items() if t.text == "morfinisme" and "æ" not in k}
    assert forms == {"morfinisme"}
    assert "morfinismæ" in v
    with pytest.raises(KeyError, match="unknown concept 'heroin'"):
        lex.variants("heroin")


USER = '''
name = "alcohol"
description = "Alcohol, project definition"
icd_categories = ["alcohol"]
terms = [ { term = "brennevin*", form = "modern", source = "project protocol" } ]
'''
MULTI = '''
[concepts.tobacco]
description = "Tobacco"
icd_categories = ["tobacco"]
terms = [ { term = "snus", source = "[U]" }, { term = "sigarett*", source = "[U]" } ]

[concepts.gambling]
terms = [ { term = "spilleavhengig*", source = "[U]" } ]
'''


def test_user_files_override_and_add(tmp_path):
    (tmp_path / "a_alcohol.toml").write_text(USER, encoding="utf-8")
    (tmp_path / "b_more.toml").write_text(MULTI, encoding="utf-8")
    lex = load_lexicon(tmp_path)
    assert set(lex.names) == SHIPPED | {"tobacco", "gambling"}
    assert [t.text for t in lex["alcohol"].terms] == ["brennevin*"]
    assert lex["alcohol"].path.endswith("a_alcohol.toml")
    assert lex["tobacco"].icd_categories == ("tobacco",)
    assert load_lexicon()["alcohol"].terms[0].text == "alkohol*"  # shipped unchanged
    only = load_lexicon([tmp_path / "b_more.toml"], shipped=False)
    assert only.names == ["gambling", "tobacco"]


@pytest.mark.parametrize("text, fragment", [
    ("name = 'x'\nterms = [", "not valid TOML"),
    ("terms = [{ term = 'a', source = '[U]' }]", "missing key 'name'"),
    ("name = 'Alcohol'\nterms = []", "key 'name' must be lower-case"),
    ("name = 'x'", "missing key 'terms'"),
    ("name = 'x'\nterms = 'a'", "key 'terms' must be list"),
    ("name = 'x'\nterms = []", "key 'terms' is empty"),
    ("name = 'x'\nterms = ['a']", "terms[0] must be a table"),
    ("name = 'x'\nterms = [{ term = 'a' }]", "terms[0]: missing key 'source'"),
    ("name = 'x'\nterms = [{ term = 'a', source = ' ' }]", "key 'source' is empty"),
    ("name = 'x'\nterms = [{ term = 'Heroin', source = '[U]' }]", "must be lower case"),
    ("name = 'x'\nterms = [{ term = 'a', source = '[U]' }, { term = '*a', source = '[U]' }]",
     "terms[1]: key 'term'"),
    ("name = 'x'\nterms = [{ term = 'a', form = 'old', source = '[U]' }]", "key 'form'"),
    ("name = 'x'\nterms = []\nregexes = [{ pattern = '(', source = '[U]' }]",
     "regexes[0]: key 'pattern' is not a valid regex"),
    ("name = 'x'\nicd_categories = ['alkohol']\nterms = [{ term = 'a', source = '[U]' }]",
     "unknown categories ['alkohol']"),
    ("name = 'x'\nsynonyms = []\nterms = [{ term = 'a', source = '[U]' }]",
     "unknown key(s) ['synonyms']"),
    ("[concepts.x]\nname = 'y'\nterms = [{ term = 'a', source = '[U]' }]",
     "differs from the table name"),
])
def test_malformed_files_name_file_and_key(tmp_path, text, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LexiconError) as e:
        load_lexicon(path)
    assert str(path) in str(e.value)
    assert fragment in str(e.value)


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(LexiconError, match="no such lexicon file"):
        load_lexicon(tmp_path / "nope.toml")
