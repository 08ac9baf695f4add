"""Term context words, query regular expressions, the hypothetical category and section
headers: real Norwegian record sentences, and the chunk path equal to the per-document
reference path on each."""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

from harkit.text import read_rules, search
from harkit.text.context import _default_rules
from harkit.text.engine import _reference_chunk, compile_query, search_chunk
from harkit.text.explain import triggers
from harkit.text.lexicon import LexiconError, load_lexicon
from harkit.text.query import QuerySyntaxError, Regex, parse


def _docs(texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"document_id": [f"D{i}" for i in range(len(texts))],
                         "person_id": list(range(len(texts))), "text": texts})


def both(texts: list[str], query: str, **kw) -> pd.DataFrame:
    """Hits of the chunk path, checked equal to the reference path."""
    docs = _docs(texts)
    m = compile_query(query, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the chunk path must not give up
        fast, fast_skipped = search_chunk(docs, m)
    ref, ref_skipped = _reference_chunk(docs, m)
    pd.testing.assert_frame_equal(fast, ref)
    assert fast_skipped == ref_skipped == []
    return fast


def found(texts: list[str], query: str, **kw) -> list[tuple[str, str]]:
    h = both(texts, query, **kw)
    return list(zip(h["document_id"], h["matched"]))


# --- 1. ambiguous terms need a context word in their sentence ----------------------------

def test_speed_counts_only_beside_drug_use():
    texts = ["Pasienten trener speed og utholdenhet tre ganger i uken.",
             "Innlagt etter inntak av speed og alkohol i helgen.",
             "Har injisert speed siden 1998. Trener daglig.",
             "Speed. Rusmisbruk benektes.",            # the context word is in another sentence
             "Kjent misbruk av amfetamin (speed) og hasj.",
             "Sped og avmagret eldre kvinne."]
    assert found(texts, "@stimulants") == [
        ("D1", "speed"), ("D2", "speed"), ("D4", "amfetamin"), ("D4", "speed")]


def test_pills_count_as_sedatives_only_beside_misuse():
    texts = ["Tar piller mot høyt blodtrykk.",
             "Blandingsmisbruk av alkohol og piller.",
             "Piller. Alkohol benektes.",                 # the context word is in another sentence
             "Kjent pillemisbruk gjennom mange år."]
    assert found(texts, "@sedatives") == [("D1", "piller"), ("D3", "pillemisbruk")]


def test_glue_counts_only_beside_sniffing():
    texts = ["Laget figurer av lim og papp på dagsenteret.",
             "Har sniffet lim siden 14-årsalderen.",
             "Lim og løsemidler ble inhalert i ungdommen.",
             "Brukte lim på sårkanten. Sniffing benektes."]
    hits = found(texts, "@solvents")
    assert ("D0", "lim") not in hits and ("D3", "lim") not in hits
    assert ("D1", "lim") in hits and ("D2", "Lim") in hits
    assert ("D3", "Sniffing") in hits    # the unambiguous term itself still counts


def test_drinking_is_not_coffee_or_water():
    texts = ["Drakk to kopper kaffe til frokost.",
             "Drakk en halv flaske brennevin før innleggelsen.",
             "Drikker daglig te og vann, spiser lite.",
             "Drikker daglig, mest øl og vin.",
             "Han drakk melk. Senere drakk han mye sprit."]
    # coffee, tea, water and milk are not alcohol; the brandy, wine and spirits are
    assert found(texts, "@alcohol") == [
        ("D1", "Drakk"), ("D1", "brennevin"), ("D3", "Drikker daglig"), ("D3", "vin"),
        ("D4", "drakk"), ("D4", "sprit")]
    assert both(texts, "@alcohol").start.tolist()[-2] == texts[4].index("drakk han")


def test_postoperative_delirium_is_not_withdrawal():
    texts = ["Postoperativt delir etter hofteoperasjon, roet seg på Haldol.",
             "Utviklet delir under alkoholabstinens, behandlet med Sobril.",
             "Delirium etter narkose.",
             "Innlagt med delirium tremens.",
             "Tidligere delir ved avrusning."]
    assert found(texts, "@withdrawal") == [
        ("D1", "delir"), ("D3", "delirium"), ("D3", "delirium tremens"), ("D4", "delir")]


def test_excluded_words_are_no_hits():
    texts = ["Drikker kun alkoholfritt øl.", "Alkoholfri i tre år.",
             "Alkoholisme med alkoholfrie perioder.", "Alkoholforbruk: 2 enheter per uke."]
    assert found(texts, "@alcohol") == [("D2", "Alkoholisme"), ("D3", "Alkoholforbruk")]


def test_context_words_are_lexicon_data(tmp_path):
    (tmp_path / "x.toml").write_text(
        'name = "gaming"\nterms = [\n'
        '  { term = "spill*", source = "[U]", requires = ["avhengig*", "penger"],'
        ' unless = ["fotball"], exclude = ["spillerom"] },\n]\n', encoding="utf-8")
    lex = load_lexicon(tmp_path, shipped=False)
    term = lex["gaming"].terms[0]
    assert term.requires == ("avhengig*", "penger") and term.exclude == ("spillerom",)
    texts = ["Spilleavhengig, har tapt mye penger.", "Spiller fotball, avhengig av laget.",
             "Leker på spillerommet. Avhengig av hjelp.", "Spill. Avhengig."]
    assert found(texts, "@gaming", lexicon=lex) == [("D0", "Spilleavhengig")]
    (tmp_path / "x.toml").write_text(
        'name = "gaming"\nterms = [ { term = "spill*", source = "[U]", requires = "avh" } ]\n',
        encoding="utf-8")
    with pytest.raises(LexiconError, match=r"terms\[0\]: key 'requires' must be a list"):
        load_lexicon(tmp_path, shipped=False)


# --- 2. regular expressions in queries -----------------------------------------------

def test_regex_queries_on_the_original_text():
    texts = ["Promille 2,4 ved innleggelse. Alkoholisme.",
             "Promille ikke målt. Ingen alkoholmisbruk.",
             "Bruker Paralgin forte 2x3 daglig og Sobril 10 mg x 3.",
             "Alkoholiker. Ingen Paralgin forte."]
    assert found(texts, r"/promille \d+,\d/") == [("D0", "Promille 2,4")]
    h = both(texts, r"/promille \d/ AND @alcohol:!negated")
    assert set(h["document_id"]) == {"D0"}
    assert h.set_index("concept").loc[r"/promille \d/", "matched"] == "Promille 2"
    # combined with NEAR and NOT; case ignored unless the pattern turns it off
    assert [d for d, _ in found(texts, r"NEAR/2(/\d+ ?x ?\d+/, @opioids)")] == ["D2", "D2"]
    assert set(both(texts, r"@opioids AND NOT /(?-i:Ingen)/")["document_id"]) == {"D2"}
    assert set(both(texts, r"@opioids AND NOT /(?-i:ingen)/")["document_id"]) == {"D2", "D3"}
    assert found(texts, r"/ALKOHOL(ISME|IKER)/:!negated") == [
        ("D0", "Alkoholisme"), ("D3", "Alkoholiker")]


def test_regex_query_errors():
    with pytest.raises(QuerySyntaxError, match=r"invalid regular expression /alko\(isme/: "
                                               r"missing \)") as e:
        parse("@alcohol OR /alko(isme/")
    assert e.value.position > len("@alcohol OR /")
    with pytest.raises(QuerySyntaxError, match="not closed"):
        parse("/alko")
    with pytest.raises(QuerySyntaxError, match="matches the empty text"):
        parse("/(alko)?/")
    node = parse(r"/a\/b/:!negated OR x")
    leaf = next(x for x in node.leaves() if isinstance(x, Regex))
    assert leaf.pattern == "a/b" and str(node) == r"(/a\/b/:!negated OR x)"


# --- 3. hypothetical ----------------------------------------------------------------

def test_hypothetical_mentions():
    texts = ["Ved eventuell abstinens gis Sobril 10 mg.",
             "Dersom han fortsetter å drikke kan han utvikle delirium tremens.",
             "Informert om risiko for abstinenskramper.",
             "Innlagt med abstinens etter langvarig alkoholmisbruk.",
             "Hvis abstinenssymptomer oppstår, kontakt lege. Abstinens i dag.",
             "Sobril ved behov."]
    h = both(texts, "@withdrawal OR @sedatives")
    flag = {(d, m): v for d, m, v in zip(h["document_id"], h["matched"], h["hypothetical"])}
    assert flag[("D0", "abstinens")] and flag[("D1", "delirium tremens")]
    assert flag[("D2", "abstinenskramper")] and flag[("D4", "abstinenssymptomer")]
    assert flag[("D5", "Sobril")]
    assert not flag[("D3", "abstinens")] and not flag[("D4", "Abstinens")]
    assert not h[["negated", "family", "historical"]].any().any()
    assert list(both(texts, "@withdrawal:!hypothetical")["document_id"]) == ["D3", "D4"]


def test_hypothetical_rules_are_data():
    table = _default_rules().table
    hyp = table[table["category"] == "hypothetical"]
    assert {"dersom", "hvis", "ved behov", "kan utvikle", "ved eventuell"} <= set(hyp.literal)
    own = read_rules(pd.DataFrame({"literal": ["i verste fall"], "category": ["hypothetical"],
                                   "direction": ["forward"], "window": [5]}))
    h = both(["I verste fall abstinens.", "Dersom abstinens."], "@withdrawal", rules=own)
    assert h["hypothetical"].tolist() == [True, False]


# --- 4. sections ----------------------------------------------------------------------

RECORD = ("Innlagt 12.03.1987 med kramper.\n"
          "Hereditet: Far var alkoholiker.\n"
          "Mor brukte mye Valium. Bror døde av overdose etter heroin.\n"
          "Tidligere sykdommer:\n"
          "Hepatitt C. Alkoholmisbruk i mange år.\n"
          "Status presens: Lukter alkohol, tremor.\n"
          "Vurdering: Sobril mot abstinens.")


def test_section_headers_set_context_up_to_the_next_header():
    h = both([RECORD], "@alcohol OR @sedatives OR @opioids OR @withdrawal")
    got = {m: (f, hi) for m, f, hi in zip(h["matched"], h["family"], h["historical"])}
    assert got["alkoholiker"] == (True, False)
    assert got["Valium"] == (True, False) and got["heroin"] == (True, False)
    assert got["Alkoholmisbruk"] == (False, True)
    assert got["alkohol"] == (False, False) and got["Sobril"] == (False, False)
    assert got["abstinens"] == (False, False)
    why = triggers(h, _docs([RECORD]))["trigger"]
    assert why[h["matched"] == "Valium"].tolist() == ["family: Hereditet"]
    assert why[h["matched"] == "Alkoholmisbruk"].tolist() == ["historical: Tidligere sykdommer"]


def test_headers_only_at_a_line_start_and_within_a_document():
    texts = ["Kjent alkoholiker. Familieanamnese: ingen kjente.\nHeroin siste uke.",
             "  FAMILIEANAMNESE : Søster med alkoholisme.",
             "Heroin daglig.",                      # the header above is another document
             "Slekt:\nOnkel drakk tett.\n\nAnamnese:\nHeroinmisbruk."]
    h = both(texts, "@alcohol OR @opioids")
    got = {(d, m): f for d, m, f in zip(h["document_id"], h["matched"], h["family"])}
    assert got == {("D0", "alkoholiker"): False, ("D0", "Heroin"): False,
                   ("D1", "alkoholisme"): True, ("D2", "Heroin"): False,
                   ("D3", "drakk"): True, ("D3", "Heroinmisbruk"): False}


def test_section_rules_are_data():
    table = _default_rules().table
    sec = table[table["direction"] == "section"]
    assert dict(zip(sec.literal, sec.category))["hereditet"] == "family"
    own = read_rules(pd.DataFrame({
        "literal": ["Psykiatrisk forhistorie", "Nå"], "category": ["historical", "all"],
        "direction": ["section", "section"], "window": [0, 0]}))
    text = "Psykiatrisk forhistorie: Heroin fra 1975.\nNå: Heroin igjen."
    assert both([text], "@opioids", rules=own)["historical"].tolist() == [True, False]
    with pytest.raises(ValueError, match=re.escape("context rule 1: section header ':'")):
        read_rules(pd.DataFrame({"literal": [":"], "category": ["family"],
                                 "direction": ["section"], "window": [0]}))


def test_search_shows_the_new_column():
    h = search(_docs(["Ved behov Sobril."]), "@sedatives")
    assert "hypothetical" in h.columns and h["hypothetical"].tolist() == [True]


def test_ocr_neighbours_keep_the_context_words():
    from harkit.text.fuzzy import with_neighbours

    lex = load_lexicon()
    nb = pd.DataFrame({"concept": ["withdrawal"], "term": ["delirium"],
                       "neighbour": ["delinum"], "distance": [1]})
    expanded = with_neighbours(lex, nb)
    texts = ["Postoperativt delinum etter hofteoperasjon.", "Delinum under alkoholabstinens."]
    assert found(texts, "@withdrawal", lexicon=expanded) == [("D1", "Delinum")]
    frame = expanded.to_frame().set_index("term")
    assert frame.loc["delinum", "unless"] == frame.loc["delirium", "unless"] != ""


def test_anamnese_heading_is_neutral():
    # "Anamnese:" heads the account of the present illness: no past, no family context
    texts = ["Anamnese: alkoholmisbruk i mange år.", "Anamnese:\nDrikker daglig."]
    h = both(texts, "@alcohol")
    assert len(h) == 2
    assert not h["historical"].any() and not h["family"].any() and not h["negated"].any()


# --- 5. abbreviations, headers and Latin / Nynorsk terms --------------------------------

def test_abbreviation_full_stops_do_not_end_the_scope():
    # the full stop of i.v., pga., f.eks. is no sentence end; a real one still is
    texts = ["Ikke holdepunkter for i.v. heroinbruk.",
             "Ikkje teikn til misbruk, f.eks. hasj eller heroin.",
             "Ikke innlagt. Heroin i dag.",
             "Benekter i.v. bruk. Heroin siste uke."]
    h = both(texts, "@opioids OR @cannabis")
    got = dict(zip(zip(h["document_id"], h["matched"]), h["negated"]))
    assert got == {("D0", "heroinbruk"): True, ("D1", "hasj"): True, ("D1", "heroin"): True,
                   ("D2", "Heroin"): False, ("D3", "Heroin"): False}


def test_diagnosis_abbreviation_heads_a_neutral_section():
    # "Diagn.:" ends the family section before it, as "Diagnose:" does
    text = "Hereditet: Far drakk.\nDiagn.: Alkoholisme.\nDiag.: Drukkenskap."
    h = both([text], "@alcohol")
    assert dict(zip(h["matched"], h["family"])) == {"drakk": True, "Alkoholisme": False,
                                                     "Drukkenskap": False}


def test_latin_nynorsk_and_clinical_terms():
    texts = ["Diagn.: abusus spirituosorum.", "Drykkjeskap hjå far.",
             "Kjent C2-abusus.", "Fraktur av C2 etter fall.", "MR: prolaps C2-C3.",
             "Tablettmisbruk i mange år.", "Abusus medicamentorum.", "Benzo-misbruk.",
             "Polytoksikomani.", "K2 røykt i helgen."]
    h = both(texts, "@alcohol OR @sedatives OR @polydrug")
    got = set(zip(h["document_id"], h["concept"]))
    assert got == {("D0", "alcohol"), ("D1", "alcohol"), ("D2", "alcohol"),
                   ("D5", "sedatives"), ("D6", "sedatives"), ("D7", "sedatives"),
                   ("D8", "polydrug")}
    assert h.loc[h["document_id"] == "D1", "family"].all()


def test_trailing_qualifier_needs_the_sentence_end():
    # "X, sannsynligvis." qualifies X; in "X, sannsynligvis også Y" it qualifies Y only
    texts = ["Heroinmisbruk, sannsynligvis.", "Alkoholmisbruk, sannsynligvis også heroin."]
    h = both(texts, "@opioids OR @alcohol")
    assert dict(zip(h["matched"], h["uncertain"])) == {
        "Heroinmisbruk": True, "Alkoholmisbruk": False, "heroin": True}


# --- 5. the clause model: scopes of word cues --------------------------------------------

CLAUSES = [
    # a long list or object stays in the scope of a word cue (up to 15 words) ...
    ("Pasienten har ikke hatt kramper, hallusinasjoner, skjelvinger, svette eller andre "
     "tegn på abstinens.", "abstinens", True),
    ("Han har ikke fått noen behandling på den lokale poliklinikken for sitt alkoholmisbruk.",
     "alkoholmisbruk", True),
    ("Han drikker ikke alkohol, og bruker heller ikke heroin.", "heroin", True),
    ("Det ble ikke påvist sprøytemerker eller andre tegn på bruk av heroin.", "heroin", True),
    ("Det er ingen holdepunkter i journalen for at han tidligere har brukt heroin.", "heroin",
     True),
    ("Pasienten benekter all bruk av alkohol, cannabis, amfetamin, kokain eller heroin de "
     "siste årene.", "heroin", True),
    ("Har verken drukket alkohol eller brukt hasj, amfetamin, kokain, ecstasy eller heroin "
     "siste året.", "heroin", True),
    # ... a conjunction before a list item does not end it ...
    ("Han drikker ikke vin og heroin.", "heroin", True),
    ("Pasienten hadde ikke feber, kramper eller abstinens.", "abstinens", True),
    ("Urinprøve negativ for amfetamin, benzodiazepiner, samt heroin.", "heroin", True),
    # ... a new clause does: conjunction + finite verb, + subject and finite verb
    ("Han drikker ikke vin og har brukt heroin daglig siste måned.", "heroin", False),
    ("Ingen kramper i dag og han er preget av abstinens.", "abstinens", False),
    ("Hun benekter smerter, vil ha morfin.", "morfin", False),
    ("Ingen abstinens, har drukket vin og øl i dag.", "vin", False),  # a clause, no list
    # a comma right before og/eller joins clauses, never list items
    ("Pasienten hadde ikke feber, og alkoholabstinensen ble behandlet med Sobril.",
     "alkoholabstinensen", False),
    # subordinators of time and cause
    ("Han har ikke drukket siden delirium tremens i 2019.", "delirium tremens", False),
    ("Han har ikke drukket alkohol eller brukt heroin siden 2019.", "heroin", True),
    ("Antabus ble ikke gitt da han hadde alkoholisk leversvikt.", "alkoholisk", False),
    ("Fikk ikke metadon ettersom han fortsatt brukte heroin.", "heroin", False),
    # "uten at" negates the whole clause it opens (bare "uten", a preposition, reaches 4)
    ("Møtte til samtale uten at han var påvirket av alkohol.", "alkohol", True),
    ("Avrusning gjennomført uten at det oppstod kramper, men han fikk delirium tremens.",
     "delirium tremens", False),
    ("Møtte til samtale uten legen, var påvirket av alkohol.", "alkohol", False),
]


@pytest.mark.parametrize("text, word, negated", CLAUSES)
def test_word_cue_scope_runs_to_the_clause_end(text, word, negated):
    h = both([text], " OR ".join("@" + c for c in load_lexicon().names))
    hit = h[h["matched"].str.lower().str.startswith(word.lower())]
    assert len(hit) == 1, h[["matched", "negated"]]
    assert bool(hit["negated"].iloc[0]) is negated


def test_negativ_of_valence_and_yes_no_options_negate_nothing():
    query = " OR ".join("@" + c for c in load_lexicon().names)
    h = both(["Alkoholbruken har hatt negative konsekvenser for leveren og heroin.",
              "Urinprøve negativ for heroin.",
              "Heroin ja / nei, antall doser per dag.",
              "Heroin: nei."], query)
    got = dict(zip(h["document_id"] + " " + h["matched"].str.lower(), h["negated"]))
    assert not got["D0 heroin"]
    assert got["D1 heroin"] and got["D3 heroin"]
    assert not got["D2 heroin"]


def test_clause_start_words_are_data():
    table = _default_rules().table
    assert {"har", "er", "var", "kan", "hadde"} <= set(table[table.direction == "verb"].literal)
    assert {"han", "hun", "det"} <= set(table[table.direction == "subject"].literal)
    text = "Han drikker ikke vin og bruker heroin daglig."
    query = "@opioids"
    assert bool(both([text], query)["negated"].iloc[0])  # "bruker" is no verb rule
    # (the concatenated table repeats index labels, as a user's may)
    own = pd.concat([table, pd.DataFrame([{"literal": "bruker", "category": "all",
                                           "direction": "verb", "window": 0}])])
    assert not bool(both([text], query, rules=read_rules(own))["negated"].iloc[0])
    with pytest.raises(ValueError, match="rule 2: verb 'har vært' is not one word"):
        read_rules(pd.DataFrame({"literal": ["ikke", "har vært"],
                                 "category": ["negated", "all"],
                                 "direction": ["forward", "verb"], "window": [7, 0]}))
