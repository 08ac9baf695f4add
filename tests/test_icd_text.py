"""Rule-based mapping of uncoded diagnosis texts (harkit.icd.text)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from harkit.icd.text import (
    COLUMNS,
    LEVEL_PRIORITY,
    fold_text,
    read_lexicon,
    text_rules,
)

SUBSTANCES = {"alcohol", "opioids", "cannabis", "sedatives", "cocaine", "stimulants",
              "hallucinogens", "solvents", "polydrug", "tobacco"}
SOMATIC = {"liver", "pancreas", "heart", "nerves", "brain", "stomach", "poisoning", "fetal",
           "other"}

# text -> (substance, sud_level, alcohol_somatic); None = NA
CASES = {
    # modern, historical, Latin
    "Alkoholisme": ("alcohol", "dependence", None),
    "Alcoholismus chronicus": ("alcohol", "dependence", None),
    "Kronisk alkoholisme": ("alcohol", "dependence", None),
    "Potatorium": ("alcohol", "dependence", None),
    "Drukkenskap": ("alcohol", "harmful_use", None),
    "Alkoholmisbruk": ("alcohol", "harmful_use", None),
    "Spritmisbruk": ("alcohol", "harmful_use", None),
    "Etylisme": ("alcohol", "dependence", None),
    "Alkoholforgiftning": ("alcohol", "intoxication", None),
    "Delirium tremens": ("alcohol", "withdrawal_delirium", None),
    "Delir. tremens": ("alcohol", "withdrawal_delirium", None),
    "Alkoholabstinens": ("alcohol", "withdrawal", None),
    # abbreviated delirium tremens and bare withdrawal words (fallback: alcohol)
    "DT": ("alcohol", "withdrawal_delirium", None),
    "Del. tremens": ("alcohol", "withdrawal_delirium", None),
    "Delirium trem.": ("alcohol", "withdrawal_delirium", None),
    "Abstinensreaksjon": ("alcohol", "withdrawal", None),
    "Abstinenstilstand": ("alcohol", "withdrawal", None),
    "Opioidabstinens": ("opioids", "withdrawal", None),
    "Benzodiazepinabstinens": ("sedatives", "withdrawal", None),
    "Narkomani med abstinens": ("polydrug", "withdrawal", None),
    "Delvis tremor": (None, None, None),
    "Korsakoffs psykose": ("alcohol", "psychosis", None),
    "Korsakov": ("alcohol", "amnesic", None),
    "Psychosis alcoholica": ("alcohol", "psychosis", None),
    "Morfinisme": ("opioids", "dependence", None),
    "Morphinismus": ("opioids", "dependence", None),
    "Opiomani": ("opioids", "dependence", None),
    "Heroinmisbruk": ("opioids", "harmful_use", None),
    "Metadonavhengighet": ("opioids", "dependence", None),
    "Hasjmisbruk": ("cannabis", "harmful_use", None),
    "Cannabisavhengighet": ("cannabis", "dependence", None),
    "Benzodiazepinmisbruk": ("sedatives", "harmful_use", None),
    "Misbruk av Valium og Rohypnol": ("sedatives", "harmful_use", None),
    "Barbituratmisbruk": ("sedatives", "harmful_use", None),
    "Kokainmisbruk": ("cocaine", "harmful_use", None),
    "Amfetaminmisbruk": ("stimulants", "harmful_use", None),
    "LSD-rus": ("hallucinogens", "unspecified", None),
    "Sniffing": ("solvents", "unspecified", None),
    "Løsemiddelmisbruk": ("solvents", "harmful_use", None),
    "Blandingsmisbruk": ("polydrug", "harmful_use", None),
    "Heroin- og amfetaminmisbruk": ("polydrug", "harmful_use", None),
    "Narkomani: Cannabis sativa": ("cannabis", "dependence", None),
    "Tobakksavhengighet": ("tobacco", "dependence", None),
    # alcohol-related somatic disease: organ + alcohol, no use disorder
    "Alkoholisk levercirrhose": (None, None, "liver"),
    "Levercirrhose, alkoholisk": (None, None, "liver"),
    "Cirrhosis hepatis alcoholica": (None, None, "liver"),
    "Alkoholisk pankreatitt": (None, None, "pancreas"),
    "Alkoholisk kardiomyopati": (None, None, "heart"),
    "Polyneuropathia alcoholica": (None, None, "nerves"),
    "Alkoholgastritt": (None, None, "stomach"),
    "Metanolforgiftning": (None, None, "poisoning"),
    "Alkoholisme. Levercirrhose": ("alcohol", "dependence", "liver"),
    # a medicine without a use-disorder word is treatment
    "Smertebehandling med morfin": (None, None, None),
    "Metadonbehandling": (None, None, None),
    "Morfinist": ("opioids", "dependence", None),
    "Sovemiddelforgiftning": ("sedatives", "intoxication", None),
    # not substance related
    "Leverkreft": (None, None, None),
    "Pankreatitt, akutt": (None, None, None),
    "Delirium": (None, None, None),
    "Psykose": (None, None, None),
    "Rusfri": (None, None, None),
    "Abstinent": (None, None, None),
    "Cirrhosis hepatis": (None, None, None),
    "Lårhalsbrudd": (None, None, None),
    "Pneumoni, uspesifisert": (None, None, None),
    "Diabetes mellitus, insulinavhengig": (None, None, None),
    "Fyllingsdefekt i ventrikkel": (None, None, None),
}


def _tuple(row: pd.Series) -> tuple:
    return tuple(None if pd.isna(row[c]) else row[c]
                 for c in ("substance", "sud_level", "alcohol_somatic"))


def test_cases():
    texts = pd.Series(list(CASES))
    out = text_rules(texts)
    got = {t: _tuple(out.iloc[i]) for i, t in enumerate(texts)}
    wrong = {t: (got[t], exp) for t, exp in CASES.items() if got[t] != exp}
    assert not wrong


def test_output_shape_index_and_dtypes():
    s = pd.Series(["Alkoholisme", None, "Lårhalsbrudd", "Alkoholisme"], index=[10, 3, 7, 1])
    out = text_rules(s)
    assert list(out.columns) == list(COLUMNS)
    assert list(out.index) == [10, 3, 7, 1]
    assert out.loc[10, "substance"] == "alcohol" and out.loc[1, "substance"] == "alcohol"
    assert out.loc[[3, 7]].drop(columns="confidence").isna().all().all()
    assert np.isnan(out.loc[3, "confidence"])
    assert out.loc[10, "confidence"] == pytest.approx(0.97)
    assert "alkoholism" in out.loc[10, "term"]
    assert str(out["substance"].dtype) == "string"
    assert text_rules(pd.Series([], dtype=object)).shape == (0, len(COLUMNS))


def test_ocr_and_spelling_variants():
    variants = ["rnorfinisrne", "MORFINISME", "Morphinisme", "a1koho1isme", "alkoho-\nlisme",
                "Alkohollisme", "Korsakof", "Delirium  tremens"]
    out = text_rules(pd.Series(variants))
    assert out["substance"].tolist() == ["opioids"] * 3 + ["alcohol"] * 5
    assert fold_text("Æ Ø Å ö paa") == "ae o a o pa"
    assert fold_text("Phenemal Chronicus") == "fenemal kronikus"


def test_negation_uncertainty_family_history():
    texts = pd.Series(["Alkoholisme", "ikke alkoholisme", "Alkoholisme avkreftet",
                       "Mistanke om alkoholmisbruk", "Obs. narkomani", "Far alkoholiker",
                       "Tidligere alkoholmisbruk", "Ingen holdepunkter for heroinmisbruk",
                       "Alkoholisme, ikke narkomani"])
    out = text_rules(texts)
    assert out["context"].tolist() == ["affirmed", "negated", "negated", "uncertain",
                                       "uncertain", "family", "historical", "negated",
                                       "affirmed"]
    conf = out["confidence"].to_numpy()
    assert conf[0] == pytest.approx(0.97)
    assert conf[1] == pytest.approx(0.097) and conf[2] == pytest.approx(0.097)
    assert conf[3] == pytest.approx(0.475)
    assert conf[5] == pytest.approx(0.19)
    assert conf[6] == pytest.approx(0.95)
    assert (conf[[1, 2, 3, 4, 5, 7]] < 0.6).all()
    # the categories are kept for audit; the negated drug does not join the alcohol
    assert out.loc[1, "substance"] == "alcohol"
    assert out.loc[8, "substance"] == "alcohol"


def test_generic_drug_words_are_weak():
    out = text_rules(pd.Series(["Narkomani", "Stoffmisbruk", "Narkomani (heroin)"]))
    assert out["substance"].tolist() == ["polydrug", "polydrug", "opioids"]
    assert (out["confidence"].iloc[:2] < 0.6).all() and out["confidence"].iloc[2] >= 0.9


def test_lexicon_is_valid_and_covers_the_lists():
    lex = read_lexicon()
    assert len(lex) >= 150
    assert set(lex.loc[lex["list"] == "substance", "category"]) == SUBSTANCES
    assert set(lex.loc[lex["list"] == "sud_level", "category"]) <= set(LEVEL_PRIORITY)
    assert set(lex.loc[lex["list"] == "alcohol_somatic", "category"]) == SOMATIC
    assert (lex["source"] != "").all()


def test_user_lexicon(tmp_path):
    lex = read_lexicon()
    extra = pd.DataFrame([{"pattern": "dramkar", "list": "substance", "category": "alcohol",
                           "kind": "prefix", "confidence": 0.9, "role": "", "requires": "",
                           "note": "", "source": "test"}])
    path = tmp_path / "lex.csv"
    pd.concat([lex, extra]).to_csv(path, index=False)
    out = text_rules(pd.Series(["Dramkar"]), lexicon=path)
    assert out["substance"].iloc[0] == "alcohol"
    assert text_rules(pd.Series(["Dramkar"]))["substance"].isna().all()
    bad = extra.assign(list="nope")
    with pytest.raises(ValueError, match="list must be one of"):
        text_rules(pd.Series(["x"]), lexicon=bad.pipe(lambda d: _write(d, tmp_path)))


def _write(df: pd.DataFrame, tmp_path) -> str:
    p = tmp_path / "bad.csv"
    df.to_csv(p, index=False)
    return str(p)


def test_speed_one_million_rows():
    rng = np.random.default_rng(0)
    base = ["Alkoholisme", "Heroinmisbruk", "Lårhalsbrudd", "Pneumoni, uspesifisert",
            "Alkoholisk levercirrhose", "Hjertesvikt"]
    uniq = [f"{b} {i}" for i in range(2_000) for b in base]  # 12,000 distinct texts
    texts = pd.Series(rng.choice(uniq, 1_000_000))
    t0 = time.perf_counter()
    out = text_rules(texts)
    elapsed = time.perf_counter() - t0
    assert out["substance"].notna().sum() == pytest.approx(333_333, rel=0.01)
    assert elapsed < 10.0
