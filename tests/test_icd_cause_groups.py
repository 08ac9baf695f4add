"""Revision-consistent cause-of-death groups: no artificial steps, and warnings where they change.

The data are built here: each year's deaths are drawn from one set of underlying conditions
with a smooth trend and no step, and each condition is written with the codes of the revision
in force that year (ICD-8 1969-1985, ICD-9 1986-1995, ICD-10 from 1996), following the
Norwegian coding change of 2003 (overdoses of known users coded F1x.0 before, X/Y after).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import harkit as hk
from harkit.icd.causes import DefinitionChangeWarning, check_definitions, definition_changes
from harkit.icd.codelists import codelists
from harkit.trends import revision_breaks

#: condition -> (drug death?, ICD-8 code, ICD-9 code, ICD-10 code before 2003, from 2003)
CONDITIONS = {
    "opioid_dependence": (True, "304.0", "304.0", "F11.2", "F11.2"),
    "opioid_overdose": (True, "E850", "E850.0", "F11.0", "X42"),
    "sedative_overdose": (True, "E851", "E851", "F13.0", "X41"),
    "mixed_overdose": (True, "E858", "E858.9", "F19.0", "X44"),
    "drug_self_poisoning": (True, "E950", "E950.3", "X61", "X61"),
    "undetermined_drug_poisoning": (True, "E980", "E980.2", "Y12", "Y12"),
    "myocardial_infarction": (False, "410", "410.9", "I21.9", "I21.9"),
    "hanging": (False, "E953", "E953.0", "X70", "X70"),
    "lung_cancer": (False, "162", "162.9", "C34.9", "C34.9"),
    "alcohol_dependence": (False, "303", "303.9", "F10.2", "F10.2"),
    "road_accident": (False, "E810", "E812.0", "V89.2", "V89.2"),
}
YEARS = np.arange(1969, 2016)
STEPS = (1986, 1987, 1996, 2003)


def _revision(year: int) -> str:
    return "ICD-8" if year < 1986 else "ICD-9" if year < 1996 else "ICD-10"


def _code(cond: str, year: int) -> str:
    _, c8, c9, c10, c10_2003 = CONDITIONS[cond]
    rev = _revision(year)
    return c8 if rev == "ICD-8" else c9 if rev == "ICD-9" else (c10 if year < 2003 else c10_2003)


@pytest.fixture(scope="module")
def deaths() -> pd.DataFrame:
    rng = np.random.default_rng(2003)
    names = list(CONDITIONS)
    drug = np.array([CONDITIONS[c][0] for c in names])
    rows = []
    for year in YEARS:
        # drug share rises smoothly (logit-linear), no step anywhere
        p_drug = 1 / (1 + np.exp(-(-3.2 + 0.035 * (year - 1969))))
        w = np.where(drug, p_drug / drug.sum(), (1 - p_drug) / (~drug).sum())
        counts = rng.multinomial(3000, w)
        for cond, k in zip(names, counts, strict=True):
            rows.append(pd.DataFrame({"cond": cond, "year": year, "n": k}, index=[0]))
    agg = pd.concat(rows, ignore_index=True)
    agg = agg.loc[agg.index.repeat(agg["n"])].reset_index(drop=True)
    agg["code"] = [_code(c, y) for c, y in zip(agg["cond"], agg["year"], strict=True)]
    agg["code_system"] = [_revision(y) for y in agg["year"]]
    agg["person_id"] = np.arange(len(agg))
    agg["cause_type"] = "underlying"
    agg["death_date"] = pd.to_datetime(agg["year"].astype(str) + "-07-01")
    agg["is_drug"] = agg["cond"].map({c: v[0] for c, v in CONDITIONS.items()})
    return agg.drop(columns="n")


def _harmonise(deaths: pd.DataFrame, lists: pd.DataFrame | None = None) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DefinitionChangeWarning)
        return hk.icd.harmonise(deaths, setting="death", text=False, codelists=lists)


def _by_year(h: pd.DataFrame) -> pd.DataFrame:
    got = (h["cause_group"].astype(object) == "drug_induced")
    return pd.DataFrame({"year": h["year"], "n": got.astype(int), "truth": h["is_drug"],
                         "total": 1}).groupby("year").sum().reset_index()


def _step_pvalues(t: pd.DataFrame) -> dict[int, float]:
    """Binomial GLM: logit share = a + b * year + sum g_k [year >= k]; p-value per step."""
    x = pd.DataFrame({"trend": t["year"] - 1969.0})
    for k in STEPS:
        x[f"s{k}"] = (t["year"] >= k).astype(float)
    fit = sm.GLM(np.column_stack([t["n"], t["total"] - t["n"]]), sm.add_constant(x),
                 family=sm.families.Binomial()).fit()
    return {k: float(fit.pvalues[f"s{k}"]) for k in STEPS}, fit


def _selection_b_lists() -> pd.DataFrame:
    """The lists as they were: EMCDDA Selection B F codes, no ICD-8 poisoning bridge."""
    lists = codelists()
    cg = lists["list"] == "cause_group"
    drop = cg & (lists["category"] == "drug_induced") & (
        ((lists["code_system"] == "ICD-10") & lists["pattern"].isin(["F11-F16", "F18-F19"]))
        | ((lists["code_system"] == "ICD-8") & lists["pattern"].isin(["E950", "E980"])))
    template = lists[drop].iloc[0]
    add = pd.DataFrame([template.to_dict() | {"code_system": "ICD-10", "pattern": p}
                        for p in ("F11-F12", "F14-F16", "F19")])
    return pd.concat([lists[~drop], add], ignore_index=True)


def test_drug_death_share_has_no_artificial_step(deaths):
    t = _by_year(_harmonise(deaths))
    # every drug death is found in every year, and nothing else: the share is the truth
    assert (t["n"] == t["truth"]).all()
    pvals, fit = _step_pvalues(t)
    assert min(pvals.values()) > 0.01, pvals
    for k in STEPS:
        assert abs(fit.params[f"s{k}"]) < 0.15  # odds ratio within 0.86-1.16
    # the revision-break test of harkit.trends agrees at the death-setting changeovers
    res = revision_breaks(t.rename(columns={"n": "n"}), count="n", total="total",
                          family="binomial", setting="death", suppress=False)
    shifts = res.table[res.table["term"].astype(str).str.contains("shift")]
    assert len(shifts) >= 2 and (shifts["p_value"] > 0.01).all(), res.table


def test_level_shifts_equals_the_direct_glm(deaths):
    t = _by_year(_harmonise(deaths, _selection_b_lists()))
    pvals, fit = _step_pvalues(t)
    # level_shifts with the same years is the same model
    res = hk.icd.level_shifts(t, STEPS).set_index("year")
    for k in STEPS:
        assert res.loc[k, "p_value"] == pytest.approx(pvals[k], rel=1e-8)
        assert res.loc[k, "odds_ratio"] == pytest.approx(np.exp(fit.params[f"s{k}"]), rel=1e-8)
    assert res.loc[2003, "ci_low"] > 1
    with pytest.raises(ValueError, match="both sides"):
        hk.icd.level_shifts(t, [1969])


def test_old_definition_has_the_steps(deaths):
    """The test can fail: with Selection B and no ICD-8 bridge the coding shows."""
    t = _by_year(_harmonise(deaths, _selection_b_lists()))
    pvals, fit = _step_pvalues(t)
    assert pvals[1986] < 1e-4 and fit.params["s1986"] > 0.3  # self-poisoning moves in
    assert pvals[2003] < 1e-4 and fit.params["s2003"] > 0.1  # F13.0 -> X41
    assert (t["n"] != t["truth"]).any()


def test_harmonise_warns_naming_groups_and_years(deaths):
    with pytest.warns(DefinitionChangeWarning) as rec:
        hk.icd.harmonise(deaths, setting="death", text=False)
    msg = str(rec[0].message)
    assert "1969-2015" in msg
    assert "drug_induced at 1986" in msg and "alcohol_induced at 1986, 1996" in msg
    # the 2003 change is absorbed by the definition: it is listed, but as coding only
    assert "2003" not in msg
    coding = definition_changes(groups=["drug_induced"], kind="coding")
    assert coding["year"].tolist() == [2003]


def test_no_warning_inside_one_definition(deaths):
    late = deaths[deaths["year"] >= 1997]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DefinitionChangeWarning)
        h = hk.icd.harmonise(late, setting="death", text=False)
    assert (h["cause_group"].astype(object) == "drug_induced").sum() == late["is_drug"].sum()


def test_check_definitions_for_trend_tables():
    with pytest.warns(DefinitionChangeWarning, match=r"suicide at 1969, 1986"):
        spanned = check_definitions(range(1960, 1990), ["suicide", "cancer"])
    assert set(spanned["group"]) == {"suicide"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DefinitionChangeWarning)
        assert check_definitions(range(1960, 2016), ["cancer"]).empty
    # hospital setting: the ICD-9 changeover moves to 1987
    hosp = definition_changes(1980, 1990, groups=["drug_induced"], setting="hospital")
    assert hosp["year"].tolist() == [1987]


def test_comparability_ratios_are_cited():
    ch = definition_changes()
    with_ratio = ch[ch["comparability_ratio"].notna()]
    assert set(with_ratio["group"]) == {"accident", "violence"}
    assert with_ratio.set_index("group").loc["accident", "comparability_ratio"] == 1.0305
    assert with_ratio["ratio_source"].str.contains("NVSR|NCHS").all()
    defs = hk.icd.cause_group_definitions()
    lists = codelists()
    assert set(defs["group"]) == set(lists.loc[lists["list"] == "cause_group", "category"])
