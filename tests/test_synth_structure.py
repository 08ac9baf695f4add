"""The planted structure of the synthetic register is visible in the generated tables.

Alcohol-related cardiomyopathy and polyneuropathy, HIV and endocarditis of injecting
users, opioid maintenance treatment that lowers the hazard while in it, and record text
from the grammar (context words before and after the term, Latin, Nynorsk and
abbreviated vocabulary): each checked in what the generator delivers, not in its
parameters.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from harkit import synth
from harkit.synth.grammar import grammar_sentences
from harkit.synth.lifecourse import simulate_lives
from harkit.synth.params import DEFAULTS, GROUPS, HIV_FROM_YEAR


@pytest.fixture(scope="module")
def ex():
    return synth.generate(20_000, seed=11, sud_fraction=0.5, progress=False)


def _codes(ex) -> pd.DataFrame:
    dx = ex.diagnoses
    code = dx["code"].astype("string").str.strip().str.upper().str.replace(
        r"[.,]", "", regex=True)
    tp = ex.truth.persons.set_index("person_id")
    return dx.assign(norm=code, system=dx["code_system"].astype("string"),
                     group=tp.loc[dx["person_id"], "group"].to_numpy(),
                     injecting=tp.loc[dx["person_id"], "injecting"].to_numpy())


def _has(d: pd.DataFrame, pairs: set[tuple[str, str]]) -> pd.Series:
    return pd.Series([(s, c) in pairs for s, c in zip(d["system"], d["norm"])], index=d.index)


def test_cardiomyopathy_and_polyneuropathy_codes_follow_alcohol(ex):
    d = _codes(ex)
    tp = ex.truth.persons
    # ICD-9 425.5, 357.5 and ICD-10 I42.6, G62.1 (icd.md §3, CDC ARDI / WHO)
    organ = _has(d, {("ICD-9", "4255"), ("ICD-9", "3575"), ("ICD-10", "I426"),
                     ("ICD-10", "G621")})
    with_code = set(d.loc[organ, "person_id"])
    assert len(with_code) > 30
    assert not tp.loc[tp["group"] == "none", "person_id"].isin(with_code).any()
    # persons who died when hospitals coded in ICD-9/10 (earlier it is text only)
    late = tp[tp["death_date"].dt.year >= 1995]
    has = late["person_id"].isin(with_code)
    alcohol = has[late["group"] == "alcohol"].mean()
    drug = has[late["group"].isin(GROUPS[2:])].mean()
    assert alcohol > 2 * drug
    # and they are coded only for persons the truth gives that organ disease
    who = tp.set_index("person_id").loc[list(with_code)]
    assert (who["organ_heart"] | who["organ_nerves"]).all()


def test_hiv_and_endocarditis_codes_only_among_injecting_users(ex):
    d = _codes(ex)
    hiv = _has(d, {("ICD-8", "07983"), ("ICD-9", "042"), ("ICD-10", "B24"),
                   ("ICD-10", "Z21")})
    endo = _has(d, {("ICD-7", "430"), ("ICD-8", "4210"), ("ICD-9", "4210"),
                    ("ICD-10", "I330")})
    assert hiv.sum() > 5 and endo.sum() > 5
    assert d.loc[hiv | endo, "injecting"].all()
    # HIV is never recorded before it could be diagnosed, coded or as text
    concept = ex.truth.diagnoses["concept"].to_numpy()
    hiv_any = hiv.to_numpy() | (concept == "aids")
    assert (d.loc[hiv_any, "date"].dt.year >= HIV_FROM_YEAR).all()
    assert (d.loc[hiv_any, "date"] >= pd.Timestamp(f"{HIV_FROM_YEAR}-01-01")).all()
    # and only after the person's HIV diagnosis date
    tp = ex.truth.persons.set_index("person_id")
    assert (d.loc[hiv_any, "date"].to_numpy()
            >= tp.loc[d.loc[hiv_any, "person_id"], "hiv_date"].to_numpy()).all()


def test_maintenance_treatment_rows_match_the_life_course(ex):
    tr = ex.treatments[ex.treatments["treatment_type"] == "opioid_maintenance"]
    tp = ex.truth.persons.set_index("person_id")
    assert len(tr) == tp["maintenance_treatment"].sum() > 20
    who = tp.loc[tr["person_id"]]
    assert (who["group"] == "opioids").all()
    assert (tr["start_date"].dt.year >= DEFAULTS.methadone_start_year).all()
    assert (tr["start_date"].to_numpy() == who["maintenance_start"].to_numpy()).all()
    assert (tr["end_date"].to_numpy() == who["maintenance_end"].to_numpy()).all()
    assert (tr["end_date"] <= who["death_date"].to_numpy()).all()


def test_maintenance_treatment_lowers_the_death_rate_while_in_it():
    """Mantel-Haenszel death-rate ratio in vs out of treatment in an untruncated simulation.

    Opioid users from 1998, before recovery, within sex x 5-year age strata: the ratio
    should be the planted exp(log_hr["maintenance_treatment"]) = 11.3 / 36.1 (Sordo et al.
    2017), since entry does not depend on anything else that changes the hazard.
    """
    life = simulate_lives(np.random.default_rng(5), 400_000, "sud", DEFAULTS)
    sel = (life["group"] == GROUPS.index("opioids")) & life["has_disorder"]
    birth = life["birth"][sel].astype(np.int64) / 365.2425 + 1970.0
    start = np.maximum(life["onset_age"][sel], DEFAULTS.methadone_start_year - birth)
    end = np.minimum(life["age"][sel], life["recovery_age"][sel])
    died = life["age"][sel] <= life["recovery_age"][sel]
    t_in0, t_in1 = life["maintenance_start"][sel], life["maintenance_end"][sel]
    male = life["male"][sel]
    # split each life's follow-up into single years of age, in and out of treatment
    rows = []
    for a in range(10, 100):
        lo, hi = np.maximum(start, a), np.minimum(end, a + 1.0)
        span = np.maximum(hi - lo, 0.0)
        inside = np.maximum(np.minimum(hi, t_in1) - np.maximum(lo, t_in0), 0.0)
        dies_here = died & (end >= a) & (end < a + 1) & (span > 0)
        d_in = dies_here & (end >= t_in0) & (end < t_in1)
        rows.append(pd.DataFrame({"stratum": male * 100 + a // 5, "py_in": inside,
                                  "py_out": span - inside, "d_in": d_in,
                                  "d_out": dies_here & ~d_in}))
    s = pd.concat(rows).groupby("stratum").sum()
    t = s["py_in"] + s["py_out"]
    ok = (s["py_in"] > 0) & (s["py_out"] > 0)
    s, t = s[ok], t[ok]
    rr = (s["d_in"] * s["py_out"] / t).sum() / (s["d_out"] * s["py_in"] / t).sum()
    assert s["d_in"].sum() > 200
    assert abs(np.log(rr) - DEFAULTS.log_hr["maintenance_treatment"]) < 0.2
    # the planted value is in the truth, as an estimand row too
    assert np.isclose(DEFAULTS.log_hr["maintenance_treatment"], np.log(11.3 / 36.1),
                      atol=0.01)


# An oracle written independently of the grammar's own frame/term tables: the cue word
# says the context, the word stem the concept.
_CUES = (
    ("negated", r"benekt|negeres|nekta|: nei|: neg|ikke påvist|ikke kjent|ikke hold"
                r"|ikkje|aldri|ikke observert"),
    ("uncertain", r"mulig|truleg|susp\.|sannsynligvis|\?|utelukkes"),
    ("family", r"\b(?:far|mor|faren|familien|slekta)\b"),
    ("historical", r"tidl|yngre år|år siden|\bi ungdomen|tidligere innleggelser"),
)
_STEMS = (
    ("withdrawal", r"abstinens|delirium|\bdt\b"),
    ("alcohol", r"alkohol|alcohol|potus|potator|drukk|drykk|aethyl|etyl|spirit|sprit|c2|drikker"),
    ("opioids", r"heroin|opi|morf|morph"),
    ("cannabis", r"hasj|cannabis|marihuana"),
    ("sedatives", r"benzo|sovemid|tablett|medicamentorum|valium"),
    ("stimulants", r"amfetamin|sentralstim"),
    ("polydrug", r"blandings|polytoks"),
)


def _oracle(part: str) -> tuple[str, str]:
    low = part.lower()
    concept = next(c for c, pat in _STEMS if re.search(pat, low))
    context = next((c for c, pat in _CUES if re.search(pat, low)), "affirmed")
    return concept, context


def test_every_grammar_sentence_has_exact_labels():
    g = grammar_sentences()
    assert len(g) > 500
    for text, labels in zip(g["text"], g["labels"]):
        parts = re.split(r", men |; ", text)
        want = sorted(f"{c}:{x}" for c, x in map(_oracle, parts))
        assert sorted(labels.split(";")) == want, text


def test_new_text_forms_occur_with_their_labels(ex):
    texts = ex.truth.document_texts.set_index("document_id")["clean_text"]
    labels = ex.truth.document_labels.set_index(["document_id", "concept"])
    g = grammar_sentences()
    forms = {
        "context after the term": r"\b(?:benektes|negeres)\.|: nei\.|, sannsynligvis\.",
        "latin or historical": r"\b(?:[Pp]otus|[Pp]otatorium|[Aa]ethylismus|spirituos"
                               r"|[Dd]rukkenskap|[Mm]orphinismus)",
        "nynorsk": r"\b(?:[Ii]kkje|[Tt]idlegare|[Tt]ruleg|hjå|slekta|[Dd]rykkjeskap)\b",
        "abbreviation": r"C2|pga\.|[Tt]idl\.|[Ss]usp\.|\bDT\b|: neg\.",
        "co-mention": r", men .*(?:benektes|holdepunkter|ikkje)|; \w+: nei",
    }
    checked = 0
    for name, pat in forms.items():
        rows = g[g["text"].str.contains(pat)]
        assert len(rows), name
        hits = 0
        for text, lab in zip(rows["text"], rows["labels"]):
            docs = texts.index[texts.str.contains(text, regex=False)]
            for doc in docs[:3]:
                for item in lab.split(";"):
                    concept, context = item.split(":")
                    row = labels.loc[(doc, concept)]
                    assert bool(row[context]), (doc, text, item)
                    if context == "historical":
                        assert bool(row["affirmed"])
                hits += 1
        assert hits > 0, name  # the form occurs in the generated documents
        checked += hits
    assert checked > 20


def test_code_table_rows_are_complete():
    # every row has every column (a short row would shift its categories into the wrong
    # column), and the categories are those of the shipped lists
    from harkit.synth import codes

    raw = codes.diagnosis_table()
    assert not raw.isna().any().any()
    assert set(raw["code_form"]) <= {"", "swedish", "norwegian", "norwegian_bare",
                                     "outside_list"}
    from pathlib import Path

    import harkit

    lists = Path(harkit.__file__).parent / "codelists"
    somatic = pd.read_csv(lists / "alcohol_somatic.csv")["category"]
    assert set(raw["category_alcohol_somatic"]) - {""} <= set(somatic)
