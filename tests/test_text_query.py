"""Query language: parse trees, precedence, error positions, evaluation."""

from __future__ import annotations

import pandas as pd
import pytest

from harkit.text.lexicon import load_lexicon
from harkit.text.query import (
    And,
    Concept,
    Hit,
    Near,
    Not,
    Or,
    Phrase,
    QuerySyntaxError,
    Term,
    UnknownConceptError,
    evaluate,
    parse,
)


def con(name, req=(), exc=()):
    return Concept(name=name, require=frozenset(req), exclude=frozenset(exc))


def trm(text, req=(), exc=()):
    return Term(text=text, require=frozenset(req), exclude=frozenset(exc))


def phr(text):
    return Phrase(text=text)


# --- parse trees ----------------------------------------------------------------------

@pytest.mark.parametrize("query, tree", [
    ("@alcohol", con("alcohol")),
    ("heroin", trm("heroin")),
    ("Heroin", trm("heroin")),
    ("alkohol*", trm("alkohol*")),
    ('"delirium  Tremens"', phr("delirium tremens")),
    ('"delirium trem*"', phr("delirium trem*")),
    ("@alcohol AND @withdrawal", And((con("alcohol"), con("withdrawal")))),
    ("a AND b AND c", And((trm("a"), trm("b"), trm("c")))),
    ("a OR b OR c", Or((trm("a"), trm("b"), trm("c")))),
    ("NOT @family", Not(con("family"))),
    ("NOT NOT a", Not(Not(trm("a")))),
    ('@alcohol AND (@withdrawal OR "delirium tremens") AND NOT @family',
     And((con("alcohol"), Or((con("withdrawal"), phr("delirium tremens"))), Not(con("family"))))),
    ("NEAR/5(heroin, overdose)", Near(trm("heroin"), trm("overdose"), 5)),
    ('NEAR/2(@opioids:!negated, "død av")',
     Near(con("opioids", exc=["negated"]), phr("død av"), 2)),
    ("@alcohol:affirmed", con("alcohol", req=["affirmed"])),
    ("@alcohol:negated", con("alcohol", req=["negated"])),
    ("@alcohol:!negated:!family", con("alcohol", exc=["negated", "family"])),
    ("@alcohol:historical:uncertain", con("alcohol", req=["historical", "uncertain"])),
    ("heroin:!negated", trm("heroin", exc=["negated"])),
    ("((a))", trm("a")),
    ("tvangsinnlagt OR løsgjengerloven", Or((trm("tvangsinnlagt"), trm("løsgjengerloven")))),
    ("and OR not", Or((trm("and"), trm("not")))),  # lower case words are terms
])
def test_parse_trees(query, tree):
    assert parse(query) == tree


@pytest.mark.parametrize("query, tree", [
    ("a OR b AND c", Or((trm("a"), And((trm("b"), trm("c")))))),
    ("a AND b OR c", Or((And((trm("a"), trm("b"))), trm("c")))),
    ("NOT a AND b", And((Not(trm("a")), trm("b")))),
    ("NOT a OR b", Or((Not(trm("a")), trm("b")))),
    ("a AND NOT b OR NOT c AND d",
     Or((And((trm("a"), Not(trm("b")))), And((Not(trm("c")), trm("d")))))),
    ("(a OR b) AND c", And((Or((trm("a"), trm("b"))), trm("c")))),
    ("NOT (a OR b)", Not(Or((trm("a"), trm("b"))))),
])
def test_precedence_not_and_or(query, tree):
    assert parse(query) == tree


def test_str_round_trips():
    q = '@alcohol:!family AND (NEAR/3(heroin, "død av") OR NOT kokain*:negated)'
    node = parse(q)
    assert parse(str(node)) == node


def test_terms_lists_every_literal():
    node = parse('@alcohol AND (@withdrawal OR "delirium tremens") AND NOT @family '
                 'OR NEAR/5(heroin, overdos*)')
    assert node.terms() == {"@alcohol", "@withdrawal", "@family", "delirium tremens",
                            "heroin", "overdos*"}
    assert node.concepts() == {"alcohol", "withdrawal", "family"}


# --- errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("query, position, fragment", [
    ("", 0, "empty query"),
    ("@alcohol AND", 12, "unexpected end"),
    ("@alcohol AND OR b", 13, "OR needs an operand"),
    ("(a OR b", 7, "'(' at position 0 is never closed"),
    ("a ) b", 2, "unbalanced ')'"),
    ("a b", 2, "expected AND, OR"),
    ("()", 1, "empty parentheses"),
    ('a AND "delirium', 6, "unclosed quote"),
    ('""', 0, "empty phrase"),
    ("NEAR(a, b)", 0, "NEAR needs a distance"),
    ("NEAR/0(a, b)", 5, "at least 1"),
    ("NEAR/3 a, b", 7, "'(' after NEAR/n"),
    ("NEAR/3(a b)", 9, "','"),
    ("NEAR/3(a, b, c)", 11, "exactly two"),
    ("NEAR/3(a, (b))", 10, "NEAR operands"),
    ("NEAR/3(a, NOT b)", 10, "NEAR operands"),
    ("@alcohol:negert", 9, "unknown context filter 'negert'"),
    ("@alcohol:!rusfri", 10, "unknown context filter"),
    (":negated", 0, "must follow"),
    ("@ AND a", 1, "concept name after '@'"),
    ("a AND @alcohol:negated:!negated", 22, "both required and excluded"),
    ("@alcohol:affirmed:negated", 17, "cannot be combined"),
    ("a AND b)", 7, "unbalanced ')'"),
])
def test_syntax_error_positions(query, position, fragment):
    with pytest.raises(QuerySyntaxError) as e:
        parse(query)
    assert e.value.position == position
    assert fragment in str(e.value)
    # the message shows the query and a caret under the offending character
    lines = str(e.value).splitlines()
    assert lines[1] == "  " + query
    assert lines[2] == "  " + " " * position + "^"


def test_unknown_concept_names_it_and_the_known_ones():
    with pytest.raises(UnknownConceptError) as e:
        parse("@alcohol AND @alkohol")
    assert e.value.name == "alkohol"
    assert e.value.position == 13
    assert "@alkohol" in str(e.value) and "@opioids" in str(e.value)
    assert "alcohol" in e.value.known


def test_user_lexicon_concepts_are_queryable(tmp_path):
    (tmp_path / "tobacco.toml").write_text(
        'name = "tobacco"\nterms = [{ term = "snus", source = "[U]" }]\n', encoding="utf-8")
    lex = load_lexicon(tmp_path)
    assert parse("@tobacco", lex) == con("tobacco")
    with pytest.raises(UnknownConceptError):
        parse("@tobacco")  # not in the shipped lexicon


def test_query_must_be_str():
    with pytest.raises(TypeError):
        parse(None)


# --- evaluation -----------------------------------------------------------------------

def hit(term, pos, concept=None, length=1, **flags):
    return Hit(term=term, position=pos, concept=concept, length=length, **flags)


# "Alkoholisme. Ingen tegn til delirium tremens. Far drakk."
DOC = [
    hit("Alkoholisme", 0, "alcohol"),
    hit("delirium tremens", 4, "withdrawal", length=2, negated=True),
    hit("Far", 6, "family"),
    hit("drakk", 7, "alcohol", family=True),
]


@pytest.mark.parametrize("query, expected", [
    ("@alcohol", True),
    ("@opioids", False),
    ("@alcohol AND @withdrawal", True),
    ("@alcohol AND @withdrawal:!negated", False),
    ("@withdrawal:negated", True),
    ("@withdrawal:affirmed", False),
    ("@alcohol:affirmed", True),
    ("@alcohol:family", True),
    ("@alcohol AND NOT @family", False),
    ("@alcohol OR @opioids", True),
    ("@opioids OR @cannabis", False),
    ("NOT @opioids", True),
    ("@opioids OR @alcohol AND @family", True),
    ("(@opioids OR @alcohol) AND NOT @family", False),
    ('"delirium tremens"', True),
    ('"delirium tremens":!negated', False),
    ('"delirium trem*"', True),
    ('"delir* tremens"', True),
    ('"delir*tremens"', False),
    ("alkohol*", True),
    ("alcohol*", True),   # folded: c -> k
    ("alkoholisme", True),
    ("alkohol", False),   # no wildcard: whole word only
    ("tremens", False),   # a word does not match inside a phrase hit
    ("drakk:family AND far", True),
])
def test_evaluate_truth_table(query, expected):
    assert evaluate(parse(query), DOC) is expected


def test_empty_document_only_satisfies_negations():
    assert evaluate(parse("@alcohol"), []) is False
    assert evaluate(parse("NOT @alcohol"), []) is True


@pytest.mark.parametrize("pos_b, distance, expected", [
    (1, 1, True),    # adjacent words are 1 apart
    (5, 5, True),    # "heroin a b c d overdose": 5 words apart
    (6, 5, False),
    (0, 1, True),    # same position
])
def test_near_distance(pos_b, distance, expected):
    hits = [hit("heroin", 0), hit("overdose", pos_b)]
    assert evaluate(parse(f"NEAR/{distance}(heroin, overdose)"), hits) is expected
    # order does not matter
    assert evaluate(parse(f"NEAR/{distance}(overdose, heroin)"), hits) is expected


def test_near_measures_from_the_end_of_a_phrase():
    # "død av heroin": phrase at 0-1, heroin at 2 -> 1 word apart
    hits = [hit("død av", 0, length=2), hit("heroin", 2, "opioids")]
    assert evaluate(parse('NEAR/1("død av", @opioids)'), hits)
    hits = [hit("heroin", 0, "opioids"), hit("død av", 3, length=2)]
    assert evaluate(parse('NEAR/3(@opioids, "død av")'), hits)
    assert not evaluate(parse('NEAR/2(@opioids, "død av")'), hits)


def test_near_uses_any_pair_and_context_filters():
    hits = [hit("heroin", 0, "opioids", negated=True), hit("overdose", 2),
            hit("heroin", 20, "opioids"), hit("overdose", 40)]
    assert evaluate(parse("NEAR/2(@opioids, overdose)"), hits)
    assert not evaluate(parse("NEAR/2(@opioids:!negated, overdose)"), hits)
    assert evaluate(parse("NEAR/20(@opioids:!negated, overdose)"), hits)


def test_affirmed_means_no_context_flag():
    hits = [hit("alkoholmisbruk", 1, "alcohol", historical=True)]
    assert not evaluate(parse("@alcohol:affirmed"), hits)
    assert evaluate(parse("@alcohol:historical"), hits)
    assert evaluate(parse("@alcohol:!negated"), hits)
    assert not evaluate(parse("@alcohol:!affirmed:!historical"), hits)


def test_hits_as_mappings_and_dataframe():
    rows = [{"term": "heroin", "position": 3, "concept": "opioids", "negated": True,
             "document_id": 7, "start": 10}]
    assert evaluate(parse("@opioids:negated"), rows)
    frame = pd.DataFrame([{"term": "morphin", "position": 0, "concept": None},
                          {"term": "Alcoholisme", "position": 1, "concept": "alcohol"}])
    assert evaluate(parse("morfin AND @alcohol:affirmed"), frame)
    assert not evaluate(parse("@opioids"), frame)
    with pytest.raises(TypeError):
        evaluate(parse("a"), ["a"])


@pytest.mark.parametrize("query, message", [
    ("/alko(.*/", "invalid regular expression"),
    ("@alcohol AND /her(o|ø)in", "not closed with '/'"),
    ("alko+hol", "write a regular expression between slashes"),
    ("§", "would match nothing"),
    ("@alcohol OR --", "would match nothing"),
])
def test_query_text_that_would_match_nothing_is_an_error(query, message):
    with pytest.raises(QuerySyntaxError, match=message):
        parse(query)


def test_near_stays_in_one_sentence_unless_doc():
    hits = [Hit("heroin", 3, sentence=0), Hit("overdose", 5, sentence=1)]
    assert not evaluate(parse("NEAR/3(heroin, overdose)"), hits)
    assert evaluate(parse("NEAR/3/doc(heroin, overdose)"), hits)
    node = parse("NEAR/3/doc(heroin, @opioids:!negated)")
    assert str(node) == "NEAR/3/doc(heroin, @opioids:!negated)"
    assert parse(str(node)) == node


def test_near_in_search_respects_sentences():
    from harkit.text import search
    docs = pd.DataFrame({"document_id": ["a", "b"], "person_id": [1, 2],
                         "text": ["Drikker alkohol. Antabus gitt.", "Alkohol og Antabus."]})
    assert set(search(docs, "NEAR/3(@alcohol, @treatment)").document_id) == {"b"}
    assert set(search(docs, "NEAR/3/doc(@alcohol, @treatment)").document_id) == {"a", "b"}
