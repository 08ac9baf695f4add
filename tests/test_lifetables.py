"""Tests of harkit.lifetables: bundled HMD Norway data and period life tables."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from harkit import lifetables as lt

matplotlib.use("Agg")

# Statistics Norway, e0 (women, men); see /work/shared/reference/methods.md section 6
SSB_E0 = {2008: (83.0, 78.3), 2013: (83.6, 79.7), 2018: (84.5, 81.0), 2023: (84.6, 81.4)}


def test_load_norway_values_match_hmd_text():
    mx = lt.load_norway("mx")
    assert list(mx.columns) == ["year", "age", "sex", "mx"]
    assert mx["year"].min() == 1846 and mx["year"].max() == 2023
    assert mx["age"].max() == 110
    # first data lines of HMD Mx_1x1.txt and Deaths_1x1.txt (1846, age 0 and 1)
    row = mx[(mx.year == 1846) & (mx.age == 0)].set_index("sex")["mx"]
    assert row["female"] == pytest.approx(0.109496)
    assert row["male"] == pytest.approx(0.130214)
    assert row["total"] == pytest.approx(0.120036)
    de = lt.load_norway("deaths", years=1846, sex="male")
    assert de.loc[de.age == 0, "deaths"].item() == pytest.approx(2496.5)
    pop = lt.load_norway("population", years=[1846], sex="female")
    assert pop.loc[pop.age == 1, "population"].item() == pytest.approx(16132.0)
    assert "Human Mortality Database" in mx.attrs["citation"]
    # HMD '.' is kept as missing: 2023 women aged 109 had no exposure
    m23 = lt.load_norway("mx", years=2023, sex="female")
    assert np.isnan(m23.loc[m23.age == 109, "mx"].item())


@pytest.mark.parametrize("bad", [{"kind": "qx"}, {"years": 1700}, {"sex": "other"}])
def test_load_norway_rejects_bad_arguments(bad):
    with pytest.raises(ValueError):
        lt.load_norway(**({"kind": "mx"} | bad))


@pytest.mark.parametrize("year", sorted(SSB_E0))
def test_e0_matches_statistics_norway(year):
    e0 = lt.norway_life_table(year).e0().set_index("sex")["e0"]
    women, men = SSB_E0[year]
    assert abs(e0["female"] - women) <= 0.05
    assert abs(e0["male"] - men) <= 0.05


def test_e0_coale_demeny_also_matches_ssb():
    e0 = lt.norway_life_table([2013, 2023], a0="coale-demeny").e0()
    for _, r in e0.iterrows():
        ref = SSB_E0[r.year][0 if r.sex == "female" else 1]
        assert abs(r.e0 - ref) <= 0.05


def test_constant_hazard_gives_exact_life_expectancy():
    # m = 0.1, a = 0.5: p = 0.95/1.05 and L = l/1.05, so e(x) = 10 at every age, exactly
    res = lt.life_table(np.full(111, 0.1), ax=np.full(111, 0.5))
    np.testing.assert_allclose(res.table["ex"], 10.0, rtol=1e-12)
    np.testing.assert_allclose(res.table["qx"].iloc[:-1], 0.1 / 1.05)


def test_life_table_identities_and_series_input():
    mx = lt.load_norway("mx", years=1990, sex="male").set_index("age")["mx"]
    res = lt.life_table(mx.ffill(), sex="male", radix=1.0)
    t = res.table
    assert t["dx"].sum() == pytest.approx(1.0)
    assert t["Tx"].iloc[0] / t["lx"].iloc[0] == pytest.approx(t["ex"].iloc[0])
    ok = t["lx"] > 0
    np.testing.assert_allclose(t.loc[ok, "ex"], (t["Tx"] / t["lx"])[ok], rtol=1e-10)
    assert t["qx"].iloc[-1] == 1.0
    # a0 = Andreev-Kingkade male rule for m0 < 0.023
    assert t["ax"].iloc[0] == pytest.approx(0.14929 - 1.99545 * mx.iloc[0])


def test_a0_rules_follow_published_formulas():
    assert lt.a0_rule(0.05, "female", "coale-demeny") == pytest.approx(0.053 + 2.8 * 0.05)
    assert lt.a0_rule(0.2, "male", "coale-demeny") == pytest.approx(0.330)
    assert lt.a0_rule(0.05, "male") == pytest.approx(0.02832 + 3.26201 * 0.05)
    assert lt.a0_rule(0.1, "female") == pytest.approx(0.31411)
    with pytest.raises(ValueError):
        lt.a0_rule(0.01, "female", "keyfitz")


def test_remaining_interpolates_between_ages():
    res = lt.norway_life_table(2013)
    t = res.table[(res.table.sex == "female")].set_index("age")["ex"]
    got = res.remaining([30.0, 30.25, 200.0], year=2013, sex="female")
    assert got[0] == pytest.approx(t[30])
    assert got[1] == pytest.approx(0.75 * t[30] + 0.25 * t[31])
    assert got[2] == pytest.approx(t[110])
    with pytest.raises(ValueError, match="no life table"):
        res.remaining([30.0], year=1999, sex="female")
    with pytest.raises(ValueError):
        res.remaining([np.nan], year=2013, sex="female")


def test_missing_rates_are_filled_and_flagged_or_raise():
    rates = np.r_[np.full(10, 0.01), np.nan, np.nan]
    res = lt.life_table(rates)
    assert res.table["mx_filled"].sum() == 2
    assert res.table["mx"].iloc[-1] == pytest.approx(0.01)
    assert any("filled" in n for n in res.notes)
    with pytest.raises(ValueError, match="missing"):
        lt.life_table(rates, missing="raise")


@pytest.mark.parametrize("rates", [[], [0.1, -0.1, 0.2], [np.nan, 0.1], [0.1, 0.0]])
def test_bad_rates_raise(rates):
    kw = {"missing": "raise"} if rates == [0.1, 0.0] else {}
    with pytest.raises(ValueError):
        lt.life_table(np.asarray(rates, dtype=float), **kw)


def test_non_consecutive_ages_raise():
    with pytest.raises(ValueError, match="consecutive"):
        lt.life_table(pd.Series([0.01, 0.02, 0.5], index=[0, 1, 5]))


def test_plot_and_html():
    res = lt.norway_life_table(2013)
    ax = res.plot()
    assert len(ax.lines) == 2
    assert "HMD" in res._repr_html_()
    matplotlib.pyplot.close("all")
