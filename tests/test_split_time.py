"""Lexis splitting against R's survival::survSplit and by hand; the APC model."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harkit.survival import split_time

REF = Path(__file__).parent / "r_reference"
AGE = [20, 40, 50, 60, 70, 80]
YEAR = [1950, 1960, 1970, 1980, 1990, 2000, 2010]
TSD = [0, 1, 5, 10]


def _sample() -> pd.DataFrame:
    d = pd.read_csv(REF / "harkit_sample.csv")
    return d.assign(entry_year=d["birth_year"] + d["entry_age"],
                    tsd_entry=d["entry_age"] - d["age_first_sud"])


def _split(d: pd.DataFrame) -> pd.DataFrame:
    return split_time(d, {"age": AGE, "year": YEAR, "tsd": TSD}, entry="entry_age",
                      exit="exit_age", event="event", time_scale="age",
                      scales={"year": "entry_year", "tsd": "tsd_entry"})


def test_split_matches_survsplit_on_three_time_scales():
    d = _sample()
    got = _split(d)
    ref = pd.read_csv(REF / "split_survsplit.csv")
    assert len(got) == len(ref)
    np.testing.assert_array_equal(got["person_id"], ref["person_id"])
    np.testing.assert_allclose(got["entry_age"], ref["tstart"], atol=1e-9)
    np.testing.assert_allclose(got["exit_age"], ref["tstop"], atol=1e-9)
    np.testing.assert_array_equal(got["event"], ref["event"])


def test_split_keeps_all_follow_up_and_bands_are_right():
    d = _sample()
    got = _split(d)
    tot = got.groupby("person_id")["risk_time"].sum()
    np.testing.assert_allclose(tot.to_numpy(), (d["exit_age"] - d["entry_age"]).to_numpy(),
                               atol=1e-9)
    assert got.groupby("person_id")["event"].sum().equals(d.set_index("person_id")["event"])
    # every piece lies in one band of every scale: start and end (minus a hair) agree
    for scale, b in (("age", AGE), ("year", YEAR), ("tsd", TSD)):
        end_val = got[scale] + got["risk_time"] - 1e-9
        pos = np.searchsorted(b, end_val, side="right") - 1
        end_band = np.where(pos >= 0, np.asarray(b, float)[np.maximum(pos, 0)], -np.inf)
        ok = got[scale].notna()
        np.testing.assert_array_equal(got.loc[ok, f"{scale}_band"], end_band[ok])
    # calendar year at each piece start is birth year + age
    np.testing.assert_allclose(got["year"], got["birth_year"] + got["age"], atol=1e-9)
    assert got.loc[d["age_first_sud"].isna().reindex(got["row"]).to_numpy(),
                   "tsd_band"].isna().all()


def test_split_by_hand_and_errors():
    d = pd.DataFrame({"a0": [10.0, 30.0, 5.0], "a1": [35.0, 31.0, 5.0], "ev": [1, 0, 1],
                      "y0": [1960.0, 1990.0, 2000.0]})
    got = split_time(d, {"age": [20, 30], "year": [1980]}, entry="a0", exit="a1",
                     event="ev", time_scale="age", scales={"year": "y0"})
    # person 0: 10-20 | 20-30 (reaches 1980 at age 30 too) | 30-35; person 1: 30-31;
    # person 2: zero-length, kept as one piece
    assert got["a0"].tolist() == [10, 20, 30, 30, 5]
    assert got["a1"].tolist() == [20, 30, 35, 31, 5]
    assert got["ev"].tolist() == [0, 0, 1, 0, 1]
    assert got["age_band"].tolist() == [-np.inf, 20, 30, 30, -np.inf]
    assert got["year_band"].tolist() == [-np.inf, -np.inf, 1980, 1980, 1980]
    with pytest.raises(ValueError, match="unknown time scale"):
        split_time(d, {"period": [1]}, entry="a0", exit="a1", event="ev")
    with pytest.raises(ValueError, match="'a0' > 'a1'"):
        split_time(d.assign(a0=[40.0, 30, 5]), {"a1": [20]}, entry="a0", exit="a1",
                   event="ev")


def _apc_truth(seed: int = 1):
    ages = np.arange(20, 80, 5.0)
    periods = np.arange(1950, 2010, 5.0)
    f = -9 + 0.08 * (ages - 20)
    g_raw = 0.3 * np.sin((periods - 1950) / 12)
    # the truth in the model's parametrisation: period effects with mean 0 and slope 0
    basis = np.column_stack([np.ones(periods.size), periods - periods.mean()])
    g = g_raw - basis @ np.linalg.lstsq(basis, g_raw, rcond=None)[0]
    grid = pd.DataFrame([(a, p) for a in ages for p in periods], columns=["age", "period"])
    coh = grid["period"] - grid["age"]
    h = 0.01 * (coh - 1930) + 0.2 * np.cos((coh - 1870) / 20)
    logr = (f[np.searchsorted(ages, grid["age"])] + g[np.searchsorted(periods, grid["period"])]
            + h)
    pt = np.full(len(grid), 5e7)
    rng = np.random.default_rng(seed)
    grid["d"] = rng.poisson(pt * np.exp(logr))
    grid["pt"] = pt
    return grid, ages, periods, f, g, coh, h


def test_apc_recovers_planted_effects_in_its_parametrisation():
    from harkit.survival import age_period_cohort

    grid, ages, periods, f, g, coh, h = _apc_truth()
    res = age_period_cohort(grid, age="age", period="period", events="d", person_time="pt")
    t = res.table
    per = t[t["component"] == "period"].set_index("value")["estimate"]
    np.testing.assert_allclose(np.log(per.loc[periods].to_numpy()), g, atol=0.01)
    c_lv = np.sort(coh.unique())
    c_ref = c_lv[len(c_lv) // 2]
    h_by = pd.Series(np.asarray(h), index=coh).groupby(level=0).first()
    cc = t[t["component"] == "cohort"].set_index("value")["estimate"]
    np.testing.assert_allclose(np.log(cc.loc[c_lv].to_numpy()),
                               (h_by - h_by.loc[c_ref]).loc[c_lv].to_numpy(), atol=0.02)
    age_r = t[t["component"] == "age"].set_index("value")["estimate"]
    np.testing.assert_allclose(np.log(age_r.loc[ages].to_numpy()), f + h_by.loc[c_ref],
                               atol=0.02)
    assert res.extra["drift"]["ci_lower"] < res.extra["drift"]["ci_upper"]


@pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")
@pytest.mark.filterwarnings("ignore:Maximum Likelihood optimization")
@pytest.mark.filterwarnings("ignore:age_period_cohort. levels with no events")
def test_apc_deviance_does_not_depend_on_the_identification():
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    from harkit.survival import age_period_cohort

    grid, *_ = _apc_truth(seed=2)
    grid["d"] = np.random.default_rng(0).poisson(grid["d"] / 1e4)  # small counts
    res = age_period_cohort(grid, age="age", period="period", events="d", person_time="pt")
    # the rank-deficient dummy model of all three factors (Newton: IRLS stalls here)
    full = smf.glm("d ~ C(age) + C(period) + C(cohort)",
                   grid.assign(cohort=grid["period"] - grid["age"]),
                   family=sm.families.Poisson(),
                   offset=np.log(grid["pt"])).fit(method="newton", maxiter=200)
    dev = res.extra["deviance"].set_index("model")  # (statsmodels warns: rank-deficient)
    assert dev.loc["age + period + cohort", "deviance"] == pytest.approx(full.deviance,
                                                                        rel=1e-8)
    assert dev.loc["age + period + cohort", "df_resid"] == full.df_resid


def test_apc_on_split_pieces():
    from harkit.survival import age_period_cohort

    d = _sample()
    pieces = split_time(d, {"age": list(range(0, 100, 10)), "year": list(range(1870, 2020, 10))},
                        entry="entry_age", exit="exit_age", event="event", time_scale="age",
                        scales={"year": "entry_year"})
    pieces = pieces[np.isfinite(pieces["age_band"]) & np.isfinite(pieces["year_band"])]
    with pytest.warns(UserWarning, match="no events"):  # 300 persons: sparse corners
        res = age_period_cohort(pieces, age="age_band", period="year_band", events="event",
                                person_time="risk_time")
    mid = pieces[(pieces["age_band"] >= 30) & (pieces["age_band"] < 90)
                 & (pieces["year_band"] >= 1950) & (pieces["year_band"] < 2010)]
    mid = mid.assign(age_band=mid["age_band"] // 20 * 20, year_band=mid["year_band"] // 20 * 20,
                     event=(mid["exit_age"] == mid["row"].map(d["exit_age"])).astype(int))
    with warnings.catch_warnings():  # every death counts: no empty band is left
        warnings.simplefilter("error")
        res = age_period_cohort(mid, age="age_band", period="year_band", events="event",
                                person_time="risk_time")
    assert np.isfinite(res.table["estimate"]).all()
    assert res.table.loc[res.table["component"] == "period", "value"].is_monotonic_increasing
    with pytest.raises(KeyError, match="nope"):
        age_period_cohort(pieces, age="nope", period="year_band", events="event",
                          person_time="risk_time")
