"""Tests of harkit.trends against hand computations, statsmodels and planted truths."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

import harkit as hk
from harkit import trends
from harkit.privacy import DisclosureWarning

matplotlib.use("Agg")

YEARS = np.arange(1960, 2011)


def _poisson_series(seed: int, shift: float = 1.0, at: int = 1987, base: float = 200.0
                    ) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mu = base * np.exp(0.01 * (YEARS - 1985)) * np.where(at <= YEARS, shift, 1.0)
    return pd.DataFrame({"year": YEARS, "n": rng.poisson(mu)})


# ---------------------------------------------------------------- over_time


def _records() -> pd.DataFrame:
    years = [1970] * 6 + [1971] * 10 + [1976] * 4
    groups = ["a"] * 5 + ["b"] + ["a"] * 3 + ["b"] * 7 + ["a"] * 4
    return pd.DataFrame({"death_year": years, "g": groups})


def test_over_time_counts_and_proportions_by_hand():
    res = trends.over_time(_records(), "death_year", by="g", suppress=False)
    t = res.table.set_index(["period_start", "g"])
    assert t.loc[(1970, "a"), "n"] == 5 and t.loc[(1970, "b"), "n"] == 1
    assert t.loc[(1971, "b"), "n"] == 7 and t.loc[(1971, "b"), "total"] == 10
    assert t.loc[(1976, "b"), "n"] == 0  # empty group shown as zero
    assert t.loc[(1971, "b"), "proportion"] == pytest.approx(0.7)
    # Wilson interval by its formula
    n, p, z = 10, 0.7, stats.norm.ppf(0.975)
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert t.loc[(1971, "b"), "proportion_lower"] == pytest.approx(centre - half)
    assert t.loc[(1971, "b"), "proportion_upper"] == pytest.approx(centre + half)
    assert any("proportions" in note for note in res.notes)


def test_over_time_five_year_periods_and_exact_poisson_rates():
    res = trends.over_time(_records(), "death_year", unit="5y", suppress=False,
                           denominator={y: 100.0 for y in range(1970, 1980)})
    t = res.table.set_index("period")
    assert list(t.index) == ["1970-1974", "1975-1979"]
    assert t.loc["1970-1974", "n"] == 16 and t.loc["1970-1974", "denominator"] == 500
    assert t.loc["1970-1974", "rate"] == pytest.approx(16 / 500)
    assert t.loc["1970-1974", "rate_lower"] == pytest.approx(stats.chi2.ppf(0.025, 32) / 2 / 500)
    assert t.loc["1970-1974", "rate_upper"] == pytest.approx(stats.chi2.ppf(0.975, 34) / 2 / 500)
    assert "proportion" not in t  # without groups a period is all of itself


def test_over_time_suppresses_counts_and_derived_values():
    res = trends.over_time(_records(), "death_year", by="g")
    t = res.table.set_index(["period_start", "g"])
    # one marker for every hidden cell (privacy.suppress with secondary suppression): a
    # "<5" beside a "*" would point at the small one
    assert t.loc[(1970, "b"), "n"] == "*"
    assert np.isnan(t.loc[(1970, "b"), "proportion"])
    assert np.isnan(t.loc[(1970, "b"), "proportion_upper"])
    # 1970: a = 5 is hidden too, else b = 6 - 5 would be recoverable from the total
    assert t.loc[(1970, "a"), "n"] == "*"
    assert np.isnan(t.loc[(1970, "a"), "proportion"])
    assert t.loc[(1971, "a"), "n"] == "*" and t.loc[(1971, "b"), "n"] == "*"
    assert res.table.attrs["complementary_cells"] >= 2
    assert t.loc[(1976, "a"), "total"] == "*"  # period total of 4 is hidden too
    assert np.isnan(t.loc[(1976, "a"), "proportion"])
    # no period has a single hidden count left beside a shown total
    for _, g in res.table.groupby("period_start"):
        shown = pd.to_numeric(g["n"], errors="coerce")
        hidden = shown.isna()
        assert hidden.sum() != 1 or g["total"].iloc[0] == "*"


def test_over_time_dates_missing_values_and_single_category_warn():
    df = pd.DataFrame({"d": pd.to_datetime(["1980-03-01", "1980-07-01", None, "1999-01-01"]),
                       "g": ["x", "x", "x", "x"]})
    with pytest.warns(UserWarning) as rec:
        res = trends.over_time(df, "d", by="g", suppress=False)
    msgs = " ".join(str(w.message) for w in rec)
    assert "1 rows without" in msgs and "single category" in msgs
    assert res.table["n"].tolist() == [2, 1]
    assert res.table["proportion"].tolist() == [1.0, 1.0]


def test_over_time_plot_draws_revision_bands():
    import matplotlib.pyplot as plt

    df = pd.DataFrame({"year": np.repeat(np.arange(1960, 2005), 15),
                       "g": np.tile(["a", "b", "a"], 225)})
    ax = trends.over_time(df, "year", by="g").plot()
    assert ax.get_xlim() == (1959.5, 2004.5)
    labels = {t.get_text() for t in ax.texts}
    assert labels == {"ICD-7", "ICD-8", "ICD-9", "ICD-10"}
    assert len(ax.patches) == 4
    assert len(ax.lines) == 2
    assert ax.lines[0].get_ydata() == pytest.approx(np.full(45, 2 / 3))
    # fully suppressed series still get their bands over the data range
    ax = trends.over_time(df.iloc[::5], "year", by="g").plot()
    assert len(ax.patches) == 4 and ax.get_xlim() == (1959.5, 2004.5)
    plt.close("all")


# ---------------------------------------------------------------- revision_breaks


def test_revision_breaks_finds_planted_shift_and_matches_statsmodels():
    df = _poisson_series(3, shift=1.3, at=1987)
    res = trends.revision_breaks(df)
    t = res.table.set_index("term")
    s = t.loc["shift ICD-8 -> ICD-9"]
    assert s["changeover_year"] == 1987
    assert s["lower"] < 1.3 < s["upper"] and s["p_value"] < 0.001
    for other in ("shift ICD-7 -> ICD-8", "shift ICD-9 -> ICD-10"):
        assert t.loc[other, "lower"] < 1.0 < t.loc[other, "upper"]
    # the same model written as a formula in statsmodels
    d = df.assign(tc=df.year - 1985, s8=(df.year >= 1969) * 1.0, s9=(df.year >= 1987) * 1.0,
                  s10=(df.year >= 1999) * 1.0)
    ref = smf.glm("n ~ tc + s8 + s9 + s10", d, family=sm.families.Poisson()).fit()
    assert s["estimate"] == pytest.approx(np.exp(ref.params["s9"]), rel=1e-6)
    assert s["upper"] == pytest.approx(np.exp(ref.conf_int().loc["s9", 1]), rel=1e-6)
    assert res.extra["lr_test"]["p_value"].iloc[0] < 0.001
    trend = res.table[res.table.term == "annual trend"].set_index("model")["estimate"]
    assert trend["with shifts"] == pytest.approx(np.exp(ref.params["tc"]), rel=1e-6)
    assert trend["without shifts"] > trend["with shifts"]  # the jump inflates a naive trend


def test_revision_breaks_does_not_invent_shifts():
    covered = np.zeros(3)
    seeds = range(150)
    for seed in seeds:
        t = trends.revision_breaks(_poisson_series(seed)).table.iloc[:3]
        covered += ((t["lower"] < 1) & (t["upper"] > 1)).to_numpy()
    rate = covered / len(seeds)
    assert np.all(rate > 0.90) and np.all(rate < 0.995), rate


def test_revision_breaks_binomial_proportion_with_death_changeovers():
    rng = np.random.default_rng(11)
    total = rng.integers(800, 1200, len(YEARS))
    logit = -2.0 + 0.01 * (YEARS - 1985) + np.log(1.5) * (YEARS >= 1996)
    n = rng.binomial(total, 1 / (1 + np.exp(-logit)))
    df = pd.DataFrame({"year": YEARS, "sud": n, "deaths": total})
    res = trends.revision_breaks(df, count="sud", total="deaths", family="binomial",
                                 setting="death")
    t = res.table.set_index("term")
    assert t.loc["shift ICD-9 -> ICD-10", "changeover_year"] == 1996
    assert t.loc["shift ICD-9 -> ICD-10", "lower"] < 1.5 < t.loc["shift ICD-9 -> ICD-10", "upper"]
    assert t.loc["shift ICD-8 -> ICD-9", "changeover_year"] == 1986
    assert t.loc["shift ICD-8 -> ICD-9", "lower"] < 1 < t.loc["shift ICD-8 -> ICD-9", "upper"]
    ax = res.plot()
    assert len(ax.lines) >= 3
    import matplotlib.pyplot as plt

    plt.close("all")


def test_revision_breaks_spline_trend_and_offset():
    df = _poisson_series(5, shift=0.7, at=1999).assign(pop=1000.0)
    res = trends.revision_breaks(df, total="pop", trend=4)
    s = res.table.set_index("term").loc["shift ICD-9 -> ICD-10"]
    assert s["lower"] < 0.7 < s["upper"] and s["upper"] < 1
    assert "annual trend" not in set(res.table.term)


def test_revision_breaks_bad_input_warns_and_returns_table():
    inside = pd.DataFrame({"year": np.arange(1970, 1980), "n": np.arange(10) + 5})
    with pytest.warns(UserWarning, match="no revision changeover"):
        res = trends.revision_breaks(inside)
    assert list(res.table.term) == ["annual trend", "annual trend"]
    zeros = pd.DataFrame({"year": YEARS, "n": 0})
    with pytest.warns(UserWarning, match="no variation"):
        res = trends.revision_breaks(zeros)
    assert len(res.table) == 3 and res.table["estimate"].isna().all()
    with pytest.raises(ValueError, match="total"):
        trends.revision_breaks(inside, family="binomial")
    with pytest.raises(ValueError, match="exceeds"):
        trends.revision_breaks(inside.assign(t=3), total="t", family="binomial")
    with pytest.raises(ValueError, match="negative"):
        trends.revision_breaks(inside.assign(n=-1))
    assert len(res.plot().patches) == 4  # unfitted model: bands only
    # a proportion of 0 after 1999 only: separation, still a table
    sep = pd.DataFrame({"year": YEARS, "n": np.where(YEARS >= 1999, 0, 30), "tot": 100})
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = trends.revision_breaks(sep, total="tot", family="binomial")
    assert any("unstable" in str(w.message) for w in rec)
    assert len(res.table) == 5


# ---------------------------------------------------------------- joinpoint

JP_YEARS = np.arange(1970, 2011)
TRUE_SLOPES = (0.03, -0.02)


def _joinpoint_series(seed: int, base: float = 1000.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = JP_YEARS - 1990
    mu = base * np.exp(np.where(x < 0, TRUE_SLOPES[0] * x, TRUE_SLOPES[1] * x))
    return pd.DataFrame({"year": JP_YEARS, "n": rng.poisson(mu)})


def test_joinpoint_recovers_planted_joinpoint_and_apcs():
    res = trends.joinpoint(_joinpoint_series(0), time="year", count="n", max_joinpoints=2)
    assert len(res.extra["joinpoints"]) == 1
    assert abs(res.extra["joinpoints"][0] - 1990) <= 1
    hits, exact = 0, 0
    for seed in range(16):
        jp = trends.joinpoint(_joinpoint_series(seed), time="year", count="n",
                              max_joinpoints=2).extra["joinpoints"]
        hits += any(abs(j - 1990) <= 1 for j in jp)
        exact += len(jp) == 1
    assert hits == 16, hits
    # BIC over a grid of locations adds a spurious joinpoint now and then (3 of 16 here)
    assert exact >= 12, exact


def test_joinpoint_apc_intervals_cover_the_planted_slopes():
    true = 100 * np.expm1(np.array(TRUE_SLOPES))
    covered = {"location": np.zeros(2), "conditional": np.zeros(2)}
    seeds = range(40)
    for seed in seeds:
        for ci, cov in covered.items():
            seg = trends.joinpoint(_joinpoint_series(seed), time="year", count="n",
                                   max_joinpoints=1, ci=ci).table.iloc[:2]
            cov += ((seg["lower"] < true) & (true < seg["upper"])).to_numpy()
    rate = {ci: cov / len(seeds) for ci, cov in covered.items()}
    # location-aware intervals are near nominal (0.91-0.94 over 80 seeds); conditional
    # ones ignore where the joinpoint is and under-cover (about 0.82)
    assert np.all(rate["location"] >= 0.85), rate
    assert np.all(rate["conditional"] < rate["location"]), rate


def test_joinpoint_chooses_zero_without_joinpoints():
    chosen = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        df = pd.DataFrame({"year": JP_YEARS,
                           "n": rng.poisson(300 * np.exp(0.02 * (JP_YEARS - 1990)))})
        chosen.append(len(trends.joinpoint(df, time="year", count="n",
                                           max_joinpoints=2).extra["joinpoints"]))
    assert sum(k == 0 for k in chosen) >= 17, chosen


def test_joinpoint_aapc_and_conditional_fit_match_statsmodels():
    df = _joinpoint_series(0)
    res = trends.joinpoint(df, time="year", count="n", max_joinpoints=1, ci="conditional")
    jp = res.extra["joinpoints"][0]
    d = df.assign(t=df.year - 1970, h=np.maximum(df.year - jp, 0))
    ref = smf.glm("n ~ t + h", d, family=sm.families.Poisson()).fit()
    sel = res.extra["selection"].set_index("joinpoints")
    assert sel.loc[1, "loglik"] == pytest.approx(ref.llf, rel=1e-9)
    assert sel.loc[1, "bic"] == pytest.approx(-2 * ref.llf + 4 * np.log(41), rel=1e-9)
    b1, b2 = ref.params["t"], ref.params["t"] + ref.params["h"]
    seg = res.table.iloc[:2]
    assert seg["apc"].to_numpy() == pytest.approx(100 * np.expm1([b1, b2]), rel=1e-6)
    w1, w2 = jp - 1970, 2010 - jp
    c = np.array([0, 1.0, w2 / (w1 + w2)])
    aapc = res.table.iloc[-1]
    assert aapc["segment"] == "AAPC"
    assert aapc["apc"] == pytest.approx(100 * np.expm1((w1 * b1 + w2 * b2) / (w1 + w2)))
    se = np.sqrt(c @ ref.cov_params().to_numpy() @ c)
    assert aapc["se"] == pytest.approx(se, rel=1e-6)
    assert aapc["upper"] == pytest.approx(100 * np.expm1(c @ ref.params.to_numpy() + 1.959964 * se),
                                          rel=1e-5)


def test_joinpoint_on_log_rates_matches_ols_and_zero_joinpoints_aapc_equals_apc():
    rng = np.random.default_rng(4)
    x = JP_YEARS - 1985
    rate = np.exp(-5 + np.where(x < 0, 0.04 * x, -0.03 * x) + rng.normal(0, 0.02, len(x)))
    df = pd.DataFrame({"year": JP_YEARS, "r": rate})
    res = trends.joinpoint(df, time="year", rate="r", max_joinpoints=2, ci="conditional")
    assert res.extra["joinpoints"] == [1985]
    d = df.assign(t=df.year - 1970, h=np.maximum(df.year - 1985, 0), ly=np.log(df.r))
    ref = smf.ols("ly ~ t + h", d).fit()
    assert res.table["slope"].iloc[1] == pytest.approx(ref.params["t"] + ref.params["h"])
    lo = ref.conf_int().loc["t", 0]
    assert res.table["lower"].iloc[0] == pytest.approx(100 * np.expm1(lo))
    flat = df.assign(r=np.exp(-5 + 0.01 * (JP_YEARS - 1970) + rng.normal(0, 0.02, len(x))))
    res0 = trends.joinpoint(flat, time="year", rate="r", max_joinpoints=2)
    assert res0.extra["joinpoints"] == []
    assert res0.table["apc"].iloc[0] == pytest.approx(res0.table["apc"].iloc[1])
    import matplotlib.pyplot as plt

    res.plot()
    plt.close("all")


def test_joinpoint_segments_respect_min_segment_and_bad_input():
    df = _joinpoint_series(2).iloc[:12]
    res = trends.joinpoint(df, time="year", count="n", max_joinpoints=3, min_segment=5)
    sel = res.extra["selection"]
    assert sel["joinpoints"].max() <= 2  # 12 years hold at most 2 joinpoints of 5-year segments
    for locs in sel["locations"]:
        edges = [1970, *locs, 1981]
        assert all(b - a >= 4 for a, b in zip(edges, edges[1:], strict=False))
    with pytest.raises(ValueError, match="exactly one"):
        trends.joinpoint(df, time="year", count="n", rate="n")
    with pytest.raises(ValueError, match="permutation test .* not offered"):
        trends.joinpoint(df, time="year", count="n", criterion="permutation")
    with pytest.raises(ValueError, match="dispersion"):
        trends.joinpoint(df, time="year", count="n", dispersion="negbin")


def test_joinpoint_quasi_poisson_matches_statsmodels_x2_scale():
    rng = np.random.default_rng(5)
    years = np.arange(1970, 2000)
    mu = 200 * np.exp(0.03 * (years - 1970))
    n = rng.negative_binomial(5, 5 / (5 + mu))  # variance mu + mu^2 / 5: overdispersed
    df = pd.DataFrame({"year": years, "n": n})
    pois = trends.joinpoint(df, time="year", count="n", max_joinpoints=0)
    quasi = trends.joinpoint(df, time="year", count="n", max_joinpoints=0,
                             dispersion="quasi")
    ref = sm.GLM(n, sm.add_constant(years - 1970.0), family=sm.families.Poisson()).fit(
        scale="X2")
    assert quasi.extra["dispersion"] == pytest.approx(ref.scale, rel=1e-10)
    assert quasi.extra["dispersion"] > 3
    b, se = ref.params[1], ref.bse[1]
    z = stats.norm.ppf(0.975)
    row = quasi.table.iloc[0]
    assert row["lower"] == pytest.approx(100 * (np.exp(b - z * se) - 1), rel=1e-6)
    assert row["upper"] == pytest.approx(100 * (np.exp(b + z * se) - 1), rel=1e-6)
    assert (pois.table.iloc[0]["upper"] - pois.table.iloc[0]["lower"]
            < row["upper"] - row["lower"])
    with pytest.raises(ValueError, match="one row per"):
        trends.joinpoint(pd.concat([df, df]), time="year", count="n")


def test_pipeline_from_over_time_and_suppressed_tables_warn():
    rng = np.random.default_rng(8)
    years = np.repeat(YEARS, rng.poisson(300, len(YEARS)))
    sud = rng.random(len(years)) < np.where(years >= 1987, 0.3, 0.2)
    df = pd.DataFrame({"death_year": years, "sud": np.where(sud, "yes", "no")})
    raw = trends.over_time(df, "death_year", by="sud", suppress=False).table
    yes = raw[raw.sud == "yes"]
    res = trends.revision_breaks(yes, time="period_start", count="n", total="total",
                                 family="binomial")
    s = res.table.set_index("term").loc["shift ICD-8 -> ICD-9"]
    true_or = (0.3 / 0.7) / (0.2 / 0.8)
    assert s["lower"] < true_or < s["upper"]
    shown = yes.assign(n=yes["n"].astype(str).where(yes["n"] >= 5, "<5"))
    shown.loc[shown.index[0], "n"] = "<5"
    with pytest.warns(UserWarning) as rec:
        trends.revision_breaks(shown, time="period_start", count="n", total="total",
                               family="binomial")
    msgs = " ".join(str(w.message) for w in rec)
    assert "suppressed counts" in msgs and "1 rows with missing" in msgs


def test_over_time_on_synthetic_register_persons():
    from harkit import synth

    persons = synth.generate(600, seed=2, progress=False).persons
    res = trends.over_time(persons, "death_date", by="sex", unit="5y", setting="death",
                           suppress=False)
    t = res.table
    assert t["n"].sum() == persons["death_date"].notna().sum()
    per = t.groupby("period_start")["proportion"].sum()
    assert per.to_numpy() == pytest.approx(1.0)
    years = pd.to_datetime(persons["death_date"]).dt.year
    assert t["period_start"].min() == (years.min() // 5) * 5


def test_over_time_names_an_unprotectable_group_by_its_name():
    # one diagnosis of a rare group in each of three periods: its column total (which the
    # audit assumes known) pins every cell, and the warning must say which group it is
    rng = np.random.default_rng(11)
    years = np.concatenate([rng.integers(1970, 2000, 3000), [1972, 1983, 1996]])
    group = np.concatenate([rng.choice(["alcohol", "opioids"], 3000), ["solvents"] * 3])
    d = pd.DataFrame({"year": years, "group": group})
    with pytest.warns(DisclosureWarning, match=r"period=1970, group='solvents'"):
        hk.trends.over_time(d, "year", by="group", unit="5y")
