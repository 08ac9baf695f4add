"""Andersen life-years lost against R (survfit Aalen-Johansen areas) and by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from harkit.lifetables import life_table, norway_life_table
from harkit.survival import andersen_life_years_lost, population_life_years_lost

REF = Path(__file__).parent / "r_reference"


def _sample() -> pd.DataFrame:
    d = pd.read_csv(REF / "harkit_sample.csv")
    return d.assign(cause=np.where(d["event"] == 1, "top", "other"))


@pytest.mark.parametrize("a0,a1", [(30, 80), (20, 60), (50, 95)])
def test_lyl_matches_r_aalen_johansen_areas(a0, a1):
    ref = pd.read_csv(REF / "lyl_reference.csv")
    ref = ref[(ref["a0"] == a0) & (ref["a1"] == a1)]
    d = _sample()
    res = andersen_life_years_lost(d, "exit_age", "cause", entry="entry_age",
                                   age_range=(a0, a1), n_boot=0, suppress=False)
    got = res.table.set_index("component")["lyl"]
    r = ref[ref["group"] == "all"].set_index("component")["lyl"]
    for comp in ("all causes", "other", "top"):
        assert got[comp] == pytest.approx(r[comp], rel=1e-10, abs=1e-10)
    assert got["other"] + got["top"] == pytest.approx(got["all causes"], rel=1e-12)
    by = andersen_life_years_lost(d, "exit_age", "cause", entry="entry_age", by="sex",
                                  age_range=(a0, a1), n_boot=0, suppress=False).table
    for g in ("female", "male"):
        r = ref[ref["group"] == g].set_index("component")["lyl"]
        t = by[by["group"] == g].set_index("component")["lyl"]
        np.testing.assert_allclose(t[["all causes", "other", "top"]].to_numpy(),
                                   r[["all causes", "other", "top"]].to_numpy(), rtol=1e-10)


def test_lyl_by_hand_without_competing_causes():
    # five people from age 0, deaths at 2, 4, 6 and censorings at 5, 8; range 0..7
    d = pd.DataFrame({"t": [2.0, 4, 5, 6, 8], "e": [1, 1, 0, 1, 0]})
    res = andersen_life_years_lost(d, "t", "e", age_range=(0, 7), n_boot=0, suppress=False)
    # S = 1 on [0,2), 4/5 on [2,4), 3/5 on [4,6), 3/5 * 1/2 on [6,7)
    area_s = 2 * 1 + 2 * 0.8 + 2 * 0.6 + 1 * 0.3
    assert res.table.iloc[0]["lyl"] == pytest.approx(7 - area_s, rel=1e-14)


def test_population_lyl_by_quadrature_and_excess_with_bootstrap():
    lt = life_table(np.linspace(0.001, 0.3, 111), sex="male")
    a0, a1 = 30.5, 79.25
    tab = lt.table
    ages, lx, px = (tab[c].to_numpy(float) for c in ("age", "lx", "px"))

    def surv(t: float) -> float:
        j = int(np.floor(t))
        return lx[j] * px[j] ** (t - ages[j])

    area, _ = integrate.quad(surv, a0, a1, points=list(range(31, 80)), limit=200,
                             epsabs=1e-12)
    want = (a1 - a0) - area / surv(a0)
    assert population_life_years_lost(lt, a0, a1) == pytest.approx(want, rel=1e-9)
    # against the Norwegian tables, with the group's sex
    d = _sample()
    nor = norway_life_table(sex=("female", "male"), years=[1990])
    res = andersen_life_years_lost(d, "exit_age", "cause", entry="entry_age", by="sex",
                                   age_range=(30, 80), life_table=nor,
                                   population={"year": 1990, "sex": "group"}, n_boot=50,
                                   seed=3, progress=False, suppress=False)
    t = res.table.set_index(["group", "component"])
    for g in ("female", "male"):
        pop = population_life_years_lost(nor, 30, 80, year=1990, sex=g)
        assert t.loc[(g, "population"), "lyl"] == pytest.approx(pop)
        assert t.loc[(g, "excess"), "lyl"] == pytest.approx(
            t.loc[(g, "all causes"), "lyl"] - pop)
        lo, hi = t.loc[(g, "all causes"), ["ci_lower", "ci_upper"]]
        assert lo < t.loc[(g, "all causes"), "lyl"] < hi
    # women in 1990 lose fewer years between 30 and 80 than men
    assert t.loc[("female", "population"), "lyl"] < t.loc[("male", "population"), "lyl"]
    with pytest.raises(ValueError, match="a0 < a1"):
        andersen_life_years_lost(d, "exit_age", "cause", age_range=(80, 30))
