"""Observed vs expected remaining life from diagnosis (right truncation)."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from harkit import cohort as hk_cohort
from harkit import synth
from harkit.lifetables import norway_life_table
from harkit.survival.yll import RemainingLifeResult, remaining_life_from_diagnosis

matplotlib.use("Agg")


def _frame(start, death, exit_, sex="female", year=2000, group=None):
    n = len(start)
    d = pd.DataFrame({"age_first_sud": start, "age_at_death": death, "exit_age": exit_,
                      "sex": np.broadcast_to(np.asarray(sex, dtype=object), (n,)),
                      "first_sud_date": np.broadcast_to(year, (n,))})
    if group is not None:
        d["g"] = group
    return d


def test_hand_example_lynden_bell_mean():
    # t = 1, 2, 3 with v = 3, 2.5, 5. Reverse-time risk sets #{t_i <= z <= v_i}: 1, 2, 2,
    # hazards 1, 1/2, 1/2, so F(1) = 1/4, F(2) = 1/2, F(3) = 1: masses 1/4, 1/4, 1/2 and
    # mean 0.25 + 0.5 + 1.5 = 2.25 (naive 2.0).
    d = _frame([40.0, 40.0, 40.0], [41.0, 42.0, 43.0], [43.0, 42.5, 45.0], year=2000)
    res = remaining_life_from_diagnosis(d, entry=None, bootstrap=0, progress=False,
                                       suppress=False)
    row = res.table.iloc[0]
    assert row["observed_mean"] == pytest.approx(2.25, abs=1e-12)
    assert row["naive_mean"] == pytest.approx(2.0, abs=1e-12)
    assert row["algorithm"] == "Lynden-Bell (right truncation)"
    # expected: female e(40) in 2000 straight from the life table rows
    lt = norway_life_table(2000, "female").table
    e40 = float(lt.loc[lt["age"] == 40, "ex"].iloc[0])
    assert row["expected_mean"] == pytest.approx(e40, abs=1e-10)
    assert row["years_lost"] == pytest.approx(e40 - 2.25, abs=1e-10)
    assert np.isnan(row["observed_ci_low"])


def test_matches_reverse_time_kaplan_meier_and_life_table():
    rng = np.random.default_rng(3)
    n = 6000
    start = rng.integers(20, 60, n).astype(float)      # integer ages: exact table rows
    year = rng.integers(1960, 2010, n)
    sex = np.where(rng.random(n) < 0.6, "male", "female")
    t = rng.gamma(2.0, 8.0, n)
    v = rng.uniform(5, 45, n)
    keep = t <= v
    d = _frame(start[keep] + 0, start[keep] + t[keep], start[keep] + v[keep],
               sex=sex[keep], year=year[keep])
    d = d.iloc[:2000]
    res = remaining_life_from_diagnosis(d, entry=None, bootstrap=0, progress=False,
                                       suppress=False)
    row = res.table.iloc[0]
    # Lagakos et al. (1988): right truncation t <= v is left truncation of c - t at c - v
    tt = (d["age_at_death"] - d["age_first_sud"]).to_numpy()
    vv = (d["exit_age"] - d["age_first_sud"]).to_numpy()
    c = 100.0
    km = KaplanMeierFitter().fit(c - tt, np.ones_like(tt), entry=c - vv)
    z = np.unique(tt)
    big_f = km.survival_function_at_times(c - z - 1e-9).to_numpy()  # F(z) = S*((c - z)-)
    mean_ref = float(np.dot(z, np.diff(np.concatenate(([0.0], big_f)))))
    assert row["observed_mean"] == pytest.approx(mean_ref, abs=1e-8)
    assert row["naive_mean"] == pytest.approx(tt.mean(), abs=1e-10)
    lt = norway_life_table(sex=("female", "male")).table.set_index(["year", "sex", "age"])
    e_ref = np.array([lt.loc[(y, s, a), "ex"] for y, s, a in
                      zip(d["first_sud_date"], d["sex"], d["age_first_sud"])])
    assert row["expected_mean"] == pytest.approx(e_ref.mean(), abs=1e-9)
    # the naive mean is too short under right truncation
    assert row["observed_mean"] > row["naive_mean"] + 0.5


def test_groups_bootstrap_dates_and_plot():
    rng = np.random.default_rng(8)
    n = 600
    start = rng.uniform(20, 50, n)
    t = rng.exponential(10, n)
    v = t + rng.uniform(0, 20, n)
    d = _frame(start, start + t, start + v, sex=np.where(rng.random(n) < .5, "male",
                                                          "female"),
               group=np.where(rng.random(n) < .5, "a", "b"))
    d["first_sud_date"] = pd.to_datetime("1980-06-01") + pd.to_timedelta(
        rng.integers(0, 3000, n), unit="D")
    res = remaining_life_from_diagnosis(d, by="g", entry=None, bootstrap=60, seed=2,
                                        progress=False,
                                       suppress=False)
    assert isinstance(res, RemainingLifeResult)
    tab = res.table
    assert list(tab["g"]) == ["a", "b"] and tab["n"].sum() == n
    assert (tab["observed_ci_low"] <= tab["observed_mean"]).all()
    assert (tab["observed_mean"] <= tab["observed_ci_high"]).all()
    assert np.allclose(tab["years_lost"], tab["expected_mean"] - tab["observed_mean"])
    assert (tab["years_lost_ci_low"] < tab["years_lost_ci_high"]).all()
    assert any("Andersen" in s for s in res.notes)
    assert any("restricted to the support" in s for s in res.notes)
    assert res.plot() is not None


def test_left_truncated_diagnoses_use_efron_petrosian():
    # diagnosed at 10, deaths seen only from 15: t >= 5 as well as t <= v
    d = _frame([10.0, 30.0, 30.0, 40.0], [16.0, 38.0, 41.0, 45.0],
               [50.0, 60.0, 60.0, 70.0])
    d["entry_age"] = 15.0
    res = remaining_life_from_diagnosis(d, bootstrap=0, progress=False,
                                       suppress=False)
    pp = res.extra["per_person"]
    assert pp["u"].iloc[0] == pytest.approx(5.0) and np.isneginf(pp["u"].iloc[1:]).all()
    assert res.table["algorithm"].iloc[0] == "Efron-Petrosian"


def test_bad_input():
    good = _frame([40.0, 41.0, 42.0], [45.0, 50.0, 47.0], [60.0, 61.0, 62.0])
    with pytest.raises(ValueError, match="empty"):
        remaining_life_from_diagnosis(good.iloc[:0], entry=None, progress=False)
    with pytest.raises(ValueError, match="not in the cohort"):
        remaining_life_from_diagnosis(good, progress=False)          # no entry_age column
    none = good.assign(age_first_sud=np.nan)
    with pytest.raises(ValueError, match="no person has a diagnosis"):
        remaining_life_from_diagnosis(none, entry=None, progress=False)
    late = good.assign(exit_age=[44.0, 61.0, 62.0])
    with pytest.raises(ValueError, match="after the window end"):
        remaining_life_from_diagnosis(late, entry=None, bootstrap=0, progress=False)
    before = good.assign(age_at_death=[39.0, 50.0, 47.0])
    with pytest.raises(ValueError, match="before their diagnosis"):
        remaining_life_from_diagnosis(before, entry=None, bootstrap=0, progress=False)
    with pytest.raises(ValueError, match="fewer than 2"):
        remaining_life_from_diagnosis(good.assign(g=["a", "a", "b"]), by="g", entry=None,
                                      bootstrap=0, progress=False)
    with pytest.warns(UserWarning, match="dropped for missing"):
        remaining_life_from_diagnosis(good.assign(age_at_death=[45.0, np.nan, 49.0]),
                                      entry=None, bootstrap=0, progress=False)
    with pytest.warns(UserWarning, match="nearest table year"):
        remaining_life_from_diagnosis(good.assign(first_sud_date=1700), entry=None,
                                      bootstrap=0, progress=False)
    with pytest.warns(UserWarning, match="tied"):
        remaining_life_from_diagnosis(good.assign(age_at_death=[45.0, 46.0, 47.0]),
                                      entry=None, bootstrap=0, progress=False)


def _diagnosed_1950_65(ex, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = hk_cohort.build(ex, **kw)
    c = c[c["in_window"].fillna(False).astype(bool) & c["first_sud_date"].notna()]
    y = c["first_sud_date"].dt.year
    return c[(y >= 1950) & (y <= 1965)]


def test_synthetic_register_truncation_aware_mean_is_closer_to_truth():
    # Persons first diagnosed 1950-65 in an archive closing in 1990 are seen only if they
    # die within 25-40 years of diagnosis. The truth comes from an independent register of
    # the same simulated population with a window open to 2030 (same diagnosis years:
    # 65+ years of follow-up, so nearly every such life is complete), restricted to the
    # support the truncated data identify (t <= max observed t).
    narrow = _diagnosed_1950_65(synth.generate(4000, seed=1, sud_fraction=0.5,
                                               death_window=(1950, 1990), progress=False,
                                               documents=False), sud_entry_age=15)
    wide = _diagnosed_1950_65(synth.generate(12000, seed=101, sud_fraction=0.5,
                                             death_window=(1900, 2030), progress=False,
                                             documents=False))
    res = remaining_life_from_diagnosis(narrow, bootstrap=100, seed=4, progress=False,
                                       suppress=False)
    row = res.table.iloc[0]
    tw = (wide["age_at_death"] - wide["age_first_sud"]).to_numpy()
    truth = tw[tw <= row["max_observed_t"]].mean()
    # seed 1: truth 16.32 (n=885), truncation-aware 16.08, naive 13.87
    assert abs(row["observed_mean"] - truth) < 0.5 * abs(row["naive_mean"] - truth)
    assert row["naive_mean"] < truth - 1.0
    assert row["observed_ci_low"] <= truth <= row["observed_ci_high"]
    assert 25 < row["expected_mean"] < 40 and row["years_lost"] > 10
