"""Diagnosis text variants of the synthetic register (:mod:`harkit.synth.dxtext`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harkit import synth
from harkit.synth import codes, dxtext


def _key(frame: pd.DataFrame, sub: str, lvl: str) -> pd.Series:
    return frame["concept"] + "|" + frame[sub] + "|" + frame[lvl]


@pytest.fixture(scope="module")
def gen():
    return synth.generate(3000, seed=5, sud_fraction=0.5, progress=False, return_truth=True)


def test_variant_table_is_keyed_to_code_table_categories():
    table, vt = codes.diagnosis_table(), codes.variant_table()
    assert set(_key(vt, "substance", "sud_level")) <= set(
        _key(table, "category_substance", "category_sud_level"))
    assert not vt["text"].duplicated().any()
    assert (vt["source"] != "").all() and (codes.modifier_table()["source"] != "").all()
    # no uncertain or negated wording in diagnosis texts
    words = pd.concat([vt["text"], codes.modifier_table()["text"]]).str.lower()
    assert not words.str.contains(r"\?|\bobs\b|\bikke\b|\bingen\b|mistanke|\bsusp").any()


def test_chosen_variant_keeps_the_true_categories():
    table, vt = codes.diagnosis_table(), codes.variant_table()
    rows = np.tile(np.arange(len(table)), 200)
    years = np.random.default_rng(0).integers(1930, 2016, len(rows))
    coded = (table["revision"] != "none").to_numpy()[rows]
    text, variant = dxtext.vary_texts(np.random.default_rng(1), rows, coded, years)
    used = variant >= 0
    assert used.mean() > 0.2 and len(text) == len(rows)
    row_key = _key(table, "category_substance", "category_sud_level").to_numpy()[rows[used]]
    var_key = _key(vt, "substance", "sud_level").to_numpy()[variant[used]]
    assert (row_key == var_key).all()
    ok = ((vt["year_from"].to_numpy()[variant[used]] <= years[used] + 5)
          & (vt["year_to"].to_numpy()[variant[used]] >= years[used] - 5))
    assert ok.all()  # phrasings belong to their era (5-year buckets)


def test_texts_are_varied_and_deterministic(gen):
    ex, truth = gen
    d = ex.diagnoses.merge(truth.diagnoses, on="diagnosis_id")
    unc = d[~d["coded"] & (d["kind"] == "sud")]["diagnosis_text"]
    assert unc.nunique() > 150  # was ~30 fixed wordings
    coded_sud = d[d["coded"] & (d["kind"] == "sud")]["diagnosis_text"]
    titles = set(codes.diagnosis_table()["text"])
    assert 0.45 < coded_sud.isin(titles).mean() < 0.85  # ICD titles and phrasings mixed
    text = d["diagnosis_text"]
    assert text.str.contains("1").any()  # OCR l->1
    assert text.str.match(r"(?i)(kronisk|langvarig|tidl\.|tidligere|mangeårig) ").any()
    assert text.str.contains(r"[a-zæøå.] ?[.,;+] [A-Za-zÆØÅæøå]", regex=True).any()
    again = synth.generate(3000, seed=5, sud_fraction=0.5, progress=False)
    pd.testing.assert_series_equal(ex.diagnoses["diagnosis_text"],
                                   again.diagnoses["diagnosis_text"])


def test_variants_can_be_switched_off():
    ex = synth.generate(400, seed=3, sud_fraction=0.5, text_variants=False, progress=False)
    assert ex.diagnoses["diagnosis_text"].isin(set(codes.diagnosis_table()["text"])).all()
    assert ex.truth.params.diagnosis_text_variants is False
