"""The life course of the synthetic register: planted structure visible in the data.

Each test reads the generated tables (or the per-person truth) and checks a property the
model plants against an independent reference: the Norwegian HMD tables, the ICD code
lists, or a planted parameter recovered by a standard estimator (statsmodels).
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import harkit as hk
from harkit import synth
from harkit.lifetables import load_norway
from harkit.synth.lifecourse import simulate_lives
from harkit.synth.params import DEFAULTS, GROUPS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ex():
    return synth.generate(12_000, seed=11, sud_fraction=0.5, progress=False)


def test_onset_before_death_and_by_substance(ex):
    p = ex.truth.persons
    sud = p[p["population"] == "sud"]
    assert (sud["onset_age"] < sud["age_at_death"]).all()
    assert p.loc[p["population"] == "comparison", "onset_age"].isna().all()
    # alcohol onset in the 40s, other substances in the 20s (planted shifted gammas)
    onset = sud.groupby("group")["onset_age"].mean()
    assert 35 < onset["alcohol"] < 50
    for g in ("opioids", "polydrug", "stimulants", "cannabis"):
        assert 17 < onset[g] < 30, g
    # every diagnosed person's first substance-use contact is not before onset
    first = ex.diagnoses.merge(ex.truth.diagnoses[["diagnosis_id", "kind"]])
    first = first[first["kind"] == "sud"].groupby("person_id")["date"].min()
    t = sud.set_index("person_id")
    birth = t.loc[first.index, "birth_date"].to_numpy()
    age_first = (first.to_numpy() - birth) / np.timedelta64(1, "D") / 365.25
    # stored dates may be rounded to the month or year (partial dates)
    onset = t.loc[first.index, "onset_age"].to_numpy()
    assert (age_first >= onset - 1.0).mean() > 0.98


def test_calendar_decline_follows_norwegian_tables(ex):
    # comparison persons live under the population hazard: their age at death rises over
    # the window like the Norwegian period life tables' modal age does
    p = ex.truth.persons
    c = p[(p["population"] == "comparison") & (p["age_at_death"] >= 30)]
    year = c["death_date"].dt.year
    early = c.loc[year < 1975, "age_at_death"].median()
    late = c.loc[year >= 2000, "age_at_death"].median()
    assert late - early > 3.0
    # independent reference: the HMD death rate at 70 fell over the same period
    mx = load_norway("mx", years=[1960, 2010], sex="total")
    at70 = mx[mx["age"] == 70].set_index("year")["mx"]
    assert at70[2010] < 0.7 * at70[1960]


def test_population_hazard_recovered_by_poisson():
    # lives without a disorder die at the HMD rates: the observed death rate at ages 60-79
    # in 1990-2009 divided by the HMD rate of each cell is close to 1
    rng = np.random.default_rng(5)
    life = simulate_lives(rng, 150_000, "comparison", DEFAULTS)
    birth_year = life["birth"].astype("datetime64[Y]").astype(int) + 1970
    rows = []
    for a in range(60, 80):
        year = birth_year + a
        at_risk = (life["age"] >= a) & (year >= 1990) & (year < 2010)
        died = at_risk & (life["age"] < a + 1)
        py = np.clip(life["age"][at_risk] - a, 0, 1).sum()
        rows.append((a, died.sum(), py))
    obs = pd.DataFrame(rows, columns=["age", "deaths", "py"])
    mx = load_norway("mx", years=range(1990, 2010), sex=["female", "male"])
    ref = mx[(mx["age"] >= 60) & (mx["age"] < 80)].groupby("age")["mx"].mean()
    ratio = obs["deaths"].sum() / (obs["py"] * ref.reindex(obs["age"]).to_numpy()).sum()
    assert 0.85 < ratio < 1.15


def test_time_varying_exposure_hazard_ratio_recovered():
    # Poisson regression on person-time split at onset recovers the planted log-HR of the
    # alcohol group (people without organ disease, psychiatric comorbidity or recovery)
    rng = np.random.default_rng(9)
    params = DEFAULTS
    life = simulate_lives(rng, 120_000, "sud", params)
    alc = (life["group"] == GROUPS.index("alcohol")) & ~life["psychiatric"]
    age, onset = life["age"][alc], life["onset_age"][alc]
    rec, organ = life["recovery_age"][alc], life["organ_age"][alc]
    by = life["birth"][alc].astype("datetime64[Y]").astype(int) + 1970
    stop = np.minimum.reduce([age, rec, organ])  # censor at the other state changes
    rows = []
    for a in range(45, 70):
        for exposed in (False, True):
            lo = np.where(exposed, np.maximum(a, onset), a)
            hi = np.where(exposed, np.minimum(a + 1, stop), np.minimum(a + 1, onset))
            hi = np.minimum(hi, age)
            py = np.clip(hi - lo, 0, None)
            d = (py > 0) & (age < a + 1) & (age >= lo) & (age == hi)
            d &= (age <= stop) if exposed else (age < onset)
            for period in range(1950, 2020, 10):
                sel = (by + a >= period) & (by + a < period + 10)
                rows.append((a, period, int(exposed), d[sel].sum(), py[sel].sum()))
    t = pd.DataFrame(rows, columns=["age", "period", "exposed", "deaths", "py"])
    t = t[t["py"] > 0]
    x = pd.get_dummies(t[["age", "period"]].astype(str), drop_first=True, dtype=float)
    x["exposed"] = t["exposed"].astype(float)
    x = sm.add_constant(x)
    fit = sm.GLM(t["deaths"], x, family=sm.families.Poisson(),
                 offset=np.log(t["py"])).fit()
    beta = params.log_hr["group_alcohol"]
    lo, hi = fit.conf_int().loc["exposed"]
    # sex is not in the model: a small bias from the sex mix is allowed
    assert lo - 0.15 < beta < hi + 0.15
    assert abs(fit.params["exposed"] - beta) < 0.2


def test_organ_disease_by_substance_in_the_diagnoses(ex):
    # alcohol-related organ disease codes (checked against harkit's own alcohol_somatic
    # code list after harmonisation) are far more common among alcohol users
    dx = hk.icd.harmonise(ex.diagnoses)
    somatic = dx[dx["alcohol_somatic"].notna()]["person_id"].unique()
    p = ex.truth.persons.set_index("person_id")
    has = p.index.isin(somatic)
    share = pd.Series(has, index=p.index).groupby(p["group"]).mean()
    assert share["alcohol"] > 0.10
    assert share["alcohol"] > 2 * share[["opioids", "polydrug"]].mean()
    assert share["none"] < 0.01


def test_causes_follow_substance(ex):
    p = ex.truth.persons
    mix = pd.crosstab(p["group"], p["cause_group"], normalize="index")
    assert mix.loc["opioids", "overdose"] > 0.25
    assert mix.loc["alcohol", "alcohol"] + mix.loc["alcohol", "liver"] > 0.25
    assert mix.loc["none", "overdose"] < 0.01
    # the cause shares kept in the truth are the probabilities each cause was drawn from
    shares = p[[f"p_{c}" for c in synth.params.CAUSE_GROUPS]].to_numpy()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    drawn = shares[np.arange(len(p)), [synth.params.CAUSE_GROUPS.index(c)
                                       for c in p["cause_group"]]]
    assert (drawn > 0).all()


def test_text_co_mentions_and_sobriety_of_the_unrecovered(ex):
    lab = ex.truth.document_labels
    texts = ex.truth.document_texts.set_index("document_id")["clean_text"]
    docs = ex.documents.set_index("document_id")
    # an affirmed alcohol + sedative co-mention in one sentence occurs, in the text too
    alc = set(lab.loc[(lab["concept"] == "alcohol") & lab["affirmed"], "document_id"])
    sed = set(lab.loc[(lab["concept"] == "sedatives") & lab["affirmed"], "document_id"])
    both = sorted(alc & sed)
    assert len(both) > 20
    sentences = texts.loc[both].str.split(r"(?<=\.) ", regex=True)
    pattern = r"(?i)(?:alkohol|sprit|drikker).*(?:benzodiazepin|valium|sovemid|piller)"
    assert sentences.apply(lambda ss: any(pd.Series(ss).str.contains(pattern))).mean() > 0.9
    # sobriety written of persons who were not (yet) recovered: text measures of recovery
    # cannot have a PPV of 1 by construction
    sober = lab[(lab["concept"] == "abstinence") & lab["affirmed"]]
    owner = docs.loc[sober["document_id"], "person_id"].to_numpy()
    date = docs.loc[sober["document_id"], "date"].to_numpy()
    tp = ex.truth.persons.set_index("person_id").loc[owner]
    not_yet = ~tp["recovered"].to_numpy() | (date < tp["recovery_date"].to_numpy())
    assert not_yet.sum() > 10
    assert (~not_yet).sum() > 10


def test_estimands_show_truncation_bias(ex):
    e = ex.truth.estimands
    assert set(e["estimand"]) >= {"mean_age_at_death", "mean_age_at_death_in_window",
                                  "cumulative_incidence", "hazard_ratio_other_vs_alcohol",
                                  "life_years_lost", "log_hazard_ratio"}
    # cumulative incidences of all causes sum to one per group
    ci = e[e["estimand"] == "cumulative_incidence"].groupby("group")["value"].sum()
    np.testing.assert_allclose(ci.to_numpy(), 1.0)
    # the register's decedents (what a plain mean sees) differ from the population value
    pop = ex.truth.estimand("mean_age_at_death", sex="all", group="opioids")
    win = ex.truth.estimand("mean_age_at_death_in_window", sex="all", group="opioids")
    kept = ex.truth.persons.query("group == 'opioids'")["age_at_death"].mean()
    assert abs(kept - win) < 2.5  # the register's mean estimates the window mean
    assert abs(pop - win) > 1.0   # ... which is not the population mean
    assert ex.truth.estimand("log_hazard_ratio", cause="recovered") == \
        DEFAULTS.log_hr["recovered"]


def test_estimands_deterministic_under_seed():
    a = synth.generate(500, seed=4, sud_fraction=0.5, progress=False, documents=False)
    b = synth.generate(500, seed=4, sud_fraction=0.5, progress=False, documents=False)
    pd.testing.assert_frame_equal(a.truth.persons, b.truth.persons)
    assert a.truth.estimand_seed == b.truth.estimand_seed == 4


def test_load_synthetic_defaults_match_fixture():
    from harkit import datasets

    ex = datasets.load_synthetic(400, seed=2, documents=False)
    assert ex.truth.sud_fraction == datasets.FIXTURE_SUD_FRACTION


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "harkit" / "questions").glob("*.py"))
                         + [ROOT / "harkit" / "extract.py", ROOT / "harkit" / "cohort.py"],
                         ids=lambda p: p.name)
def test_analysis_library_does_not_import_the_generator(path):
    bad = {m for m in _imports(path) if m == "harkit.synth" or m.startswith("harkit.synth.")}
    assert not bad, f"{path.name} imports the generator: {sorted(bad)}"
