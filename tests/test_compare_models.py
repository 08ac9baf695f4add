"""Tests of harkit.compare.models against statsmodels, hand formulas and the synthetic truth."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from harkit.compare.models import (
    ESP2013,
    ModelWarning,
    episode_treatment_table,
    iptw,
    regress,
    standardise,
)

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def logit_data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 3000
    sex = rng.choice(["male", "female"], n)
    age = rng.uniform(20, 80, n)
    dx = rng.choice(["alcohol", "opioids", "other"], n, p=[0.5, 0.3, 0.2])
    lin = -0.5 + np.log(0.6) * (sex == "female") + 0.02 * (age - 50) + 0.4 * (dx == "opioids")
    y = rng.random(n) < 1 / (1 + np.exp(-lin))
    return pd.DataFrame({"treated": y.astype(int), "sex": sex, "age": age, "dx": dx})


# --------------------------------------------------------------------------- regress


def test_regress_logistic_matches_statsmodels(logit_data):
    f = "treated ~ C(sex, Treatment('male')) + age + C(dx)"
    res = regress(f, logit_data, suppress=False)
    ref = smf.glm(f, logit_data, family=sm.families.Binomial()).fit(cov_type="HC0")
    t = res.table.set_index("term")
    np.testing.assert_allclose(t["estimate"], np.exp(ref.params), rtol=1e-8)
    np.testing.assert_allclose(t["lower"], np.exp(ref.conf_int()[0]), rtol=1e-8)
    np.testing.assert_allclose(t["p_value"], ref.pvalues, rtol=1e-6)
    assert (t["measure"] == "OR").all()
    # indicator counts against a crosstab
    fem = logit_data["sex"] == "female"
    row = t.loc["C(sex, Treatment('male'))[T.female]"]
    assert row["n"] == fem.sum() and row["events"] == logit_data.loc[fem, "treated"].sum()
    assert np.isnan(t.loc["age", "n"])
    # planted OR 0.6 inside the CI (n=3000)
    assert row["lower"] < 0.6 < row["upper"]


def test_regress_suppresses_small_cells(logit_data):
    d = logit_data.copy()
    d.loc[d.index[:3], "dx"] = "rare"
    res = regress("treated ~ C(dx)", d)
    row = res.table.set_index("term").loc["C(dx)[T.rare]"]
    assert row["n"] == "<5"
    assert regress("treated ~ C(dx)", d, suppress=False).table["n"].iloc[3] == 3


def test_regress_poisson_exposure_matches_hand_rate_ratio():
    # two groups: 30 events / 1000 py and 90 events / 1500 py -> RR = (90/1500)/(30/1000) = 2
    d = pd.DataFrame({"deaths": [30, 90], "py": [1000.0, 1500.0], "grp": ["a", "b"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelWarning)
        res = regress("deaths ~ C(grp)", d, family="poisson", exposure="py", robust=False,
                      suppress=False)
    row = res.table.set_index("term").loc["C(grp)[T.b]"]
    assert row["estimate"] == pytest.approx(2.0)
    se = np.sqrt(1 / 30 + 1 / 90)  # Wald SE of a log rate ratio
    assert row["lower"] == pytest.approx(2.0 * np.exp(-stats.norm.ppf(0.975) * se))
    assert res.table.set_index("term").loc["Intercept", "estimate"] == pytest.approx(0.03)


def test_regress_negbin_recovers_planted_irr():
    rng = np.random.default_rng(5)
    n = 4000
    x = rng.integers(0, 2, n)
    py = rng.uniform(1, 5, n)
    mu = py * 0.5 * np.where(x == 1, 1.5, 1.0)
    y = rng.negative_binomial(2, 2 / (2 + mu))  # dispersion alpha = 0.5
    d = pd.DataFrame({"y": y, "x": x, "py": py})
    res = regress("y ~ x", d, family="negbin", exposure="py")
    row = res.table.set_index("term").loc["x"]
    assert row["measure"] == "IRR" and row["lower"] < 1.5 < row["upper"]
    assert res.extra["alpha"] == pytest.approx(0.5, abs=0.1)


def test_regress_perfect_separation_warns_and_returns_table():
    d = pd.DataFrame({"y": [0] * 20 + [1] * 20, "x": [0] * 20 + [1] * 20,
                      "z": np.tile([0.0, 1.0], 20)})
    with pytest.warns(ModelWarning, match="separation"):
        res = regress("y ~ x + z", d)
    t = res.table.set_index("term")
    assert t.loc["x", "flag"] == "separation" and np.isnan(t.loc["x", "estimate"])
    assert np.isfinite(t.loc["z", "estimate"]) and t.loc["z", "estimate"] == pytest.approx(
        1.0, abs=1e-6)


def test_regress_bad_input_warns(logit_data):
    d = logit_data.copy()
    d["dx"] = pd.Categorical(d["dx"], categories=["alcohol", "opioids", "other", "empty"])
    d["one"] = "only"
    d["gone"] = np.nan
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = regress("treated ~ C(dx) + C(one) + gone + age", d)
    msgs = " ".join(str(x.message) for x in w if issubclass(x.category, ModelWarning))
    assert "gone" in msgs
    assert not any("empty" in term for term in res.table["term"])
    assert "age" in set(res.table["term"])
    d["treated"] = 1
    with pytest.warns(ModelWarning, match="constant"):
        res = regress("treated ~ age", d)
    assert res.table["estimate"].isna().all() and res.model is None


def test_regress_rejects_unknown_family(logit_data):
    with pytest.raises(ValueError, match="family"):
        regress("treated ~ age", logit_data, family="gamma")


def test_regress_plot(logit_data):
    res = regress("treated ~ C(sex) + age + C(dx)", logit_data)
    ax = res.plot()
    assert len(ax.get_yticks()) == len(res.table) - 1  # intercept left out
    assert ax.get_xscale() == "log"


# --------------------------------------------------------------------------- standardise


def _fay_feuer_chi2(dsr, var, wm, conf=0.95):
    """Fay & Feuer (1997) in its original chi-square form, for comparison."""
    a = 1 - conf
    lo = var / (2 * dsr) * stats.chi2.ppf(a / 2, 2 * dsr**2 / var)
    hi = (var + wm**2) / (2 * (dsr + wm)) * stats.chi2.ppf(
        1 - a / 2, 2 * (dsr + wm) ** 2 / (var + wm**2))
    return lo, hi


def test_esp2013_weights():
    assert ESP2013.sum() == 100_000 and len(ESP2013) == 19
    assert ESP2013.loc[0] == 5000 and ESP2013.loc[90] == 1000 and ESP2013.loc[45] == 7000


def test_standardise_hand_computed_esp_example():
    # rate 1 per 1000 below 50 and 10 per 1000 from 50: ESP weight below 50 is 61,000,
    # so DSR = (61000 * 0.001 + 39000 * 0.01) / 100000 = 451 per 100,000.
    bands = np.arange(0, 95, 5)
    pop = np.full(19, 10_000.0)
    deaths = np.where(bands < 50, 10, 100)
    d = pd.DataFrame({"age": bands, "deaths": deaths, "py": pop})
    res = standardise(d, rate_or_events="deaths", denominator="py", age="age",
                      suppress=False)
    row = res.table.iloc[0]
    assert row["std_rate"] == pytest.approx(451.0)
    assert row["crude_rate"] == pytest.approx(deaths.sum() / pop.sum() * 1e5)
    w = ESP2013.to_numpy() / 1e5
    var = np.sum(w**2 * deaths / pop**2)
    lo, hi = _fay_feuer_chi2(0.00451, var, np.max(w / pop))
    assert row["lower"] == pytest.approx(lo * 1e5, rel=1e-8)
    assert row["upper"] == pytest.approx(hi * 1e5, rel=1e-8)
    assert 420 < row["lower"] < 451 < row["upper"] < 485


def test_standardise_custom_standard_single_ages_and_groups():
    # single-year ages summed into bands 0 (0-49) and 50 (50+), weights 60/40:
    # men 10/1000 and 30/500 -> 0.6*0.01 + 0.4*0.06 = 0.03; women all rates 0.02 -> 0.02
    d = pd.DataFrame({
        "sex": ["m", "m", "m", "m", "f", "f"],
        "age": [10, 40, 55, 80, 20, 70],
        "n": [4, 6, 10, 20, 20, 40],
        "pop": [400, 600, 200, 300, 1000, 2000],
    })
    res = standardise(d, rate_or_events="n", denominator="pop", age="age", by="sex",
                      standard={0: 60, 50: 40}, kind="proportion", per=100, suppress=False)
    t = res.table.set_index("sex")
    assert t.loc["m", "std_rate"] == pytest.approx(3.0)
    assert t.loc["f", "std_rate"] == pytest.approx(2.0)
    var = 0.36 * 10 / 1000**2 + 0.16 * 30 / 500**2
    lo, hi = _fay_feuer_chi2(0.03, var, max(0.6 / 1000, 0.4 / 500))
    assert t.loc["m", "lower"] == pytest.approx(lo * 100)
    assert t.loc["m", "upper"] == pytest.approx(hi * 100)


def test_standardise_labels_missing_bands_and_suppression():
    d = pd.DataFrame({"age": ["0-4", "5-9", "90+"], "deaths": [2, 0, 50],
                      "py": [1000.0, 1000.0, 1000.0]})
    with pytest.warns(ModelWarning, match="renormalised"):
        res = standardise(d, rate_or_events="deaths", denominator="py", age="age")
    w = np.array([5000, 5500, 1000]) / 11500
    assert res.table["std_rate"].iloc[0] == pytest.approx(
        np.sum(w * np.array([2, 0, 50]) / 1000) * 1e5)
    assert res.table["events"].iloc[0] == "52"
    small = standardise(d.iloc[:2], rate_or_events="deaths", denominator="py", age="age",
                        standard={0: 1, 5: 1})
    assert small.table["events"].iloc[0] == "<5" and np.isnan(small.table["crude_rate"].iloc[0])
    # zero events: lower bound 0, finite upper
    z = standardise(d.iloc[1:2], rate_or_events="deaths", denominator="py", age="age",
                    standard={5: 1})
    assert z.table["lower"].iloc[0] == 0 and np.isfinite(z.table["upper"].iloc[0])


# --------------------------------------------------------------------------- iptw


@pytest.fixture(scope="module")
def confounded() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 4000
    age = rng.normal(50, 10, n)
    grp = rng.choice(["a", "b", "c"], n)
    t = rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 0.08 * (age - 50) + 0.8 * (grp == "b"))))
    y = rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.5 * t + 0.05 * (age - 50))))
    return pd.DataFrame({"t": t.astype(int), "age": age, "grp": grp, "y": y.astype(int),
                         "pid": np.arange(n) // 2})


def test_iptw_balance_matches_formulas(confounded):
    res = iptw(confounded, "t", ["age", "grp"])
    b = res.balance.set_index("covariate")
    t = confounded["t"] == 1
    a1, a0 = confounded.loc[t, "age"], confounded.loc[~t, "age"]
    sd = np.sqrt((a1.var(ddof=0) + a0.var(ddof=0)) / 2)
    assert b.loc["age", "smd_before"] == pytest.approx((a1.mean() - a0.mean()) / sd)
    p1 = (confounded.loc[t, "grp"] == "b").mean()
    p0 = (confounded.loc[~t, "grp"] == "b").mean()
    assert b.loc["grp: b", "smd_before"] == pytest.approx(
        (p1 - p0) / np.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2))
    w = res.weights
    wm1 = np.average(a1, weights=w[t])
    wm0 = np.average(a0, weights=w[~t])
    assert b.loc["age", "smd_after"] == pytest.approx((wm1 - wm0) / sd)
    assert abs(b.loc["age", "smd_before"]) > 0.5 and (b["smd_after"].abs() < 0.05).all()
    # stabilised weights: 1/e times P(T=1) for the treated
    e = res.extra["propensity"]
    assert w[t].to_numpy() == pytest.approx(t.mean() / e[t].to_numpy())
    ax = res.plot()
    assert len(ax.get_yticks()) == len(b)


def test_iptw_outcome_contrast_against_hand_formulas(confounded):
    res = iptw(confounded, "t", ["age", "grp"], outcome="y", suppress=False)
    unstab = iptw(confounded, "t", ["age", "grp"], outcome="y", stabilised=False)
    t = confounded["t"].to_numpy() == 1
    y = confounded["y"].to_numpy()
    w = res.weights.to_numpy()
    p1, p0 = np.average(y[t], weights=w[t]), np.average(y[~t], weights=w[~t])
    tab = res.table.set_index("measure")
    assert tab.loc["RD", "estimate"] == pytest.approx(p1 - p0)
    assert tab.loc["OR", "estimate"] == pytest.approx(p1 / (1 - p1) / (p0 / (1 - p0)))
    assert unstab.table.set_index("measure").loc["OR", "estimate"] == pytest.approx(
        tab.loc["OR", "estimate"])
    # HC0 sandwich of a weighted logit with one binary regressor = delta method on p1, p0
    def var_p(yy, ww, p):
        return np.sum(ww**2 * (yy - p) ** 2) / ww.sum() ** 2
    se = np.sqrt(var_p(y[t], w[t], p1) / (p1 * (1 - p1)) ** 2
                 + var_p(y[~t], w[~t], p0) / (p0 * (1 - p0)) ** 2)
    assert res.extra["outcome_log_or_se"] == pytest.approx(se, rel=1e-6)
    assert tab.loc["RD", "n_treated"] == t.sum()
    # clustered SEs run and differ from HC0
    cl = iptw(confounded, "t", ["age", "grp"], outcome="y", cluster="pid")
    assert cl.extra["outcome_log_or_se"] != pytest.approx(se, rel=1e-6)


def test_iptw_trim_and_bad_input(confounded):
    with pytest.warns(ModelWarning, match="truncated"):
        res = iptw(confounded, "t", ["age", "grp"], trim=0.05)
    w = res.weights
    assert w.max() == pytest.approx(np.quantile(w, 0.95), rel=0.05)
    d = confounded.copy()
    d["gone"] = np.nan
    d["sep"] = d["t"]
    with pytest.warns(ModelWarning):
        res = iptw(d, "t", ["age", "gone", "sep"])
    assert "gone" not in set(res.balance["covariate"])
    with pytest.raises(ValueError, match="single group"):
        iptw(d.assign(t=1), "t", ["age"])


# --------------------------------------------------------------------------- recovery


@pytest.fixture(scope="module")
def episodes():
    from harkit.synth import generate

    ex = generate(10_000, seed=3, progress=False, sud_fraction=0.5)
    return ex, episode_treatment_table(ex, "institutional_stay")


def test_episode_table_matches_eligibility(episodes):
    ex, t = episodes
    got = ex.treatments[ex.treatments["treatment_type"] == "institutional_stay"]
    # every institutional stay sits on an eligible episode, and each is counted once
    assert got["episode_id"].isin(t["episode_id"]).all()
    assert t["treated"].sum() == got["episode_id"].nunique()
    assert t["treated"].mean() == pytest.approx(
        ex.truth.treatment_baseline["institutional_stay"], abs=0.05)


def test_planted_sex_difference_recovered(episodes):
    ex, t = episodes
    truth = ex.truth.treatment_odds_ratios["institutional_stay"]
    # Planted: logit p = logit(p_male) + log(OR) * female per eligible episode, nothing
    # else, so conditional and marginal ORs coincide and both estimators target `truth`.
    reg = regress("treated ~ female + age + C(period)", t, cluster="person_id")
    row = reg.table.set_index("term").loc["female"]
    assert row["lower"] < truth < row["upper"]
    assert row["upper"] < 0.8  # and the interval is informative
    ip = iptw(t, "female", ["age", "period"], outcome="treated", cluster="person_id")
    orow = ip.table.set_index("measure").loc["OR"]
    assert orow["lower"] < truth < orow["upper"] and orow["upper"] < 0.8
    assert (ip.balance["smd_after"].abs() < 0.1).all()
