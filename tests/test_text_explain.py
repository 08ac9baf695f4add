"""Tests for harkit.text.explain: triggers behind flags, co-mentions in one sentence."""

from __future__ import annotations

import pandas as pd

from harkit.text import co_mentions, kwic, search, sentence_ids, triggers

DOCS = pd.DataFrame({
    "document_id": ["a", "b"], "person_id": [1, 2],
    "text": ["Ingen tegn til abstinens. Drikker alkohol og tar Sobril. Far drakk. "
             "Heroinfritt siden mai.",
             "Alkohol. Neste dag Valium; ikke alkohol med Vival."],
})


def test_triggers_name_the_rule_and_its_place():
    h = search(DOCS, "@alcohol OR @withdrawal OR @sedatives OR @opioids")
    t = triggers(h, DOCS)
    got = dict(zip(h["matched"], t["trigger"]))
    assert got["abstinens"] == "negated: Ingen tegn til"
    assert got["drakk"] == "family: Far"
    # (alkoholfritt is no hit at all: an exclusion of the term alkohol*)
    assert got["Heroinfritt"] == "negated: Heroinfritt (-frit)"
    assert got["Sobril"] == ""
    text = DOCS.text[0]
    row = t[h["matched"] == "drakk"].iloc[0]
    assert text[row.trigger_start:row.trigger_end] == "Far"
    assert (t.loc[h.negated | h.family, "trigger"] != "").all()


def test_sentence_ids():
    text = "Ett. To? Tre; fire\n\nfem. 3.5 mg"
    pos = [text.index(w) for w in ("Ett", "To", "Tre", "fire", "fem", "3.5", "mg")]
    assert sentence_ids(text, pos).tolist() == [0, 1, 2, 3, 4, 5, 5]


def test_co_mentions_in_one_sentence_only():
    h = search(DOCS, "@alcohol AND @sedatives")
    got = co_mentions(h, DOCS, "alcohol", "sedatives")
    # a: alkohol and Sobril share a sentence; b: Alkohol/Valium are in two sentences,
    # and the alcohol next to Vival is negated
    assert got[["document_id", "left", "right"]].values.tolist() == [
        ["a", "alkohol", "Sobril"]]
    assert got.sentence_text.iloc[0] == "Drikker alkohol og tar Sobril."
    everything = co_mentions(h, DOCS, "alcohol", "sedatives", affirmed=False)
    assert ["b", "alkohol", "Vival"] in everything[["document_id", "left", "right"]
                                                   ].values.tolist()


def test_kwic_shows_the_trigger_masked():
    docs = pd.DataFrame({"document_id": ["a"], "person_id": [1],
                         "text": ["Innlagt 31.02.1957. Ingen tegn til abstinens."]})
    h = search(docs, "@withdrawal")
    view = kwic(h, documents=docs)
    assert view["trigger"].tolist() == ["negated: Ingen tegn til"]
    assert "1957" not in " ".join(view["left"])
    assert "person_id" not in view and "document_id" not in view
