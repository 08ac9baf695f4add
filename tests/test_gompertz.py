"""Tests of the window-conditional Gompertz MLE against scipy/statsmodels and a planted model."""

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from _gompertz_register import gompertz_register
from scipy import integrate, optimize, stats
from statsmodels.base.model import GenericLikelihoodModel

from harkit.survival.gompertz import (
    GompertzWindowResult,
    _negloglik,
    _negloglik_makeham,
    gompertz_life_expectancy,
    gompertz_window,
)

matplotlib.use("Agg")

FULL = ("male + group_alcohol + group_opioids + group_cannabis + group_sedatives"
        " + group_stimulants + group_polydrug + young_onset + comorbidity")
SUBSTANCES = ["group_alcohol", "group_opioids", "group_cannabis", "group_sedatives",
              "group_stimulants", "group_polydrug"]


def _cohort(n, seed):
    return gompertz_register(n, seed)


@pytest.fixture(scope="module")
def small():
    return _cohort(4000, 3)


@pytest.fixture(scope="module")
def large():
    return _cohort(20000, 11)


# --- the likelihood and life expectancy against independent computations -------------

def _quad_loglik(log_b, g, beta, a, lo, hi, xrow):
    """log f(a) - log P(lo <= A <= hi) by numerical integration of the hazard."""
    lam = np.exp(log_b + xrow @ beta)

    def haz(t):
        return lam * np.exp(g * t)

    def dens(t):
        return haz(t) * np.exp(-integrate.quad(haz, 0, t)[0])

    # no mass beyond age 150 at these parameters
    window = integrate.quad(dens, lo, min(hi, 150.0), limit=200)[0]
    return np.log(dens(a)) - np.log(window)


def test_likelihood_matches_numerical_integration():
    a = np.array([70.3, 45.1, 88.0, 20.5, 60.0])
    lo = np.array([10.0, 0.0, 50.0, 15.0, 59.0])
    hi = np.array([95.0, 60.0, np.inf, 80.0, 61.0])
    x = np.array([[1.0, 2.0], [0.0, 0.0], [1.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    log_b, g, beta = np.log(3e-5), 0.095, np.array([0.4, 0.2])
    a_ref = 50.0
    theta = np.r_[log_b + g * a_ref, np.log(g), beta]  # internal parametrisation
    for i in range(len(a)):
        ours = -_negloglik(theta, a[i:i + 1], lo[i:i + 1], hi[i:i + 1], x[i:i + 1], a_ref,
                           grad=False)
        ref = _quad_loglik(log_b, g, beta, a[i], lo[i], hi[i], x[i])
        assert ours == pytest.approx(ref, abs=1e-7)
        # and scipy.stats' Gompertz distribution (c = rate / g, scale = 1 / g)
        dist = stats.gompertz(c=np.exp(log_b + x[i] @ beta) / g, scale=1 / g)
        ref2 = dist.logpdf(a[i]) - np.log(dist.cdf(hi[i]) - dist.cdf(lo[i]))
        assert ours == pytest.approx(ref2, abs=1e-8)


def test_analytic_gradient_matches_finite_differences(small):
    tp, _ = small
    sub = tp.iloc[:500]
    x = sub[["male", "comorbidity"]].to_numpy(float)
    args = (sub["age_at_death"].to_numpy(), sub["entry"].to_numpy(), sub["exit"].to_numpy(),
            x, 70.0)
    theta = np.array([np.log(0.02), np.log(0.09), 0.3, 0.1])
    analytic = _negloglik(theta, *args)[1]
    numeric = optimize.approx_fprime(theta, lambda t: _negloglik(t, *args, grad=False),
                                     1e-6)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-2)
    # infinite exit (no right truncation) too
    args_inf = args[:2] + (np.full(len(sub), np.inf),) + args[3:]
    analytic = _negloglik(theta, *args_inf)[1]
    numeric = optimize.approx_fprime(theta, lambda t: _negloglik(t, *args_inf, grad=False),
                                     1e-6)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-2)


def _survival_from(t, at_age, rate, g):
    return np.exp(-rate / g * (np.exp(g * t) - np.exp(g * at_age)))


def test_life_expectancy_matches_quadrature():
    for at_age, rate, g in [(65, 2.5e-5, 0.1), (0, 1e-4, 0.08), (15, 3e-3, 0.12),
                            (90, 1e-2, 0.1)]:
        ref = integrate.quad(_survival_from, at_age, at_age + 150,
                             args=(at_age, rate, g))[0]
        assert gompertz_life_expectancy(at_age, rate, g) == pytest.approx(ref, rel=1e-6)
    with pytest.raises(ValueError):
        gompertz_life_expectancy(65, -1.0, 0.1)


class _ScipyGompertz(GenericLikelihoodModel):
    """Independent reference: scipy.stats.gompertz, statsmodels' numerical Hessian."""

    def loglike(self, params):
        log_b, g, beta = params[0], params[1], params[2:]
        if g <= 0:
            return -np.inf
        dist = stats.gompertz(c=np.exp(log_b + self.exog @ beta) / g, scale=1 / g)
        lo, hi = self.bounds
        return np.sum(dist.logpdf(self.endog)
                      - np.log(dist.sf(lo) - dist.sf(hi)))


@pytest.mark.filterwarnings("ignore:df_:UserWarning")
def test_fit_matches_statsmodels_generic_mle(small):
    tp, _ = small
    sub = tp[tp["population"] == "comparison"].iloc[:800]
    res = gompertz_window(sub, "male + comorbidity", entry="entry", exit="exit")
    ref_model = _ScipyGompertz(sub["age_at_death"].to_numpy(),
                               sub[["male", "comorbidity"]].to_numpy(float))
    ref_model.bounds = (sub["entry"].to_numpy(), sub["exit"].to_numpy())
    ref = ref_model.fit(start_params=np.array([-10.0, 0.09, 0.0, 0.0]), method="nm",
                        maxiter=5000, disp=False)
    ref = ref_model.fit(start_params=ref.params, method="bfgs", maxiter=500, disp=False)
    ours = res.model.params.to_numpy()
    np.testing.assert_allclose(ours, ref.params, rtol=0, atol=2e-4)
    np.testing.assert_allclose(res.model.bse.to_numpy(), ref.bse, rtol=1e-3)
    assert res.model.loglik == pytest.approx(ref.llf, abs=1e-4)


# --- recovery of the generator's truth --------------------------------------------------

def test_recovers_planted_effects(small):
    tp, truth = small
    res = gompertz_window(tp, FULL, entry="entry", exit="exit")
    t = res.table.set_index("term")
    male = t.loc["male"]
    assert male["hr_lower"] < np.exp(truth.beta["male"]) < male["hr_upper"]
    assert abs(male["coef"] - 0.35) < 0.1
    # substance effects jointly: Bonferroni 95% intervals over the six groups
    z = stats.norm.ppf(1 - 0.025 / len(SUBSTANCES))
    for name in SUBSTANCES:
        assert abs(t.loc[name, "coef"] - truth.beta[name]) < z * t.loc[name, "se"], name
    g = res.extra["gompertz"].set_index("parameter").loc["g"]
    assert g["lower"] < truth.gompertz_g < g["upper"]


def _true_e_diff_male(truth, at_age):
    b, g = truth.gompertz_b, truth.gompertz_g
    return (gompertz_life_expectancy(at_age, b * np.exp(truth.beta["male"]), g)
            - gompertz_life_expectancy(at_age, b, g))


def test_ci_coverage_over_replicates(large):
    """20 fits on disjoint subsamples: 95% CIs cover the planted values near 95%."""
    tp, truth = large
    comp = tp[tp["population"] == "comparison"]
    idx = np.random.default_rng(5).permutation(len(comp))[:20 * 500].reshape(20, 500)
    true_e = float(_true_e_diff_male(truth, 65.0))
    cover_hr = cover_e = 0
    for rows in idx:
        t = gompertz_window(comp.iloc[rows], "male + comorbidity", entry="entry",
                            exit="exit").table.set_index("term").loc["male"]
        cover_hr += t["hr_lower"] < np.exp(truth.beta["male"]) < t["hr_upper"]
        cover_e += t["e_diff_lower"] < true_e < t["e_diff_upper"]
    assert cover_hr >= 16
    assert cover_e >= 16


def test_naive_mean_age_difference_is_biased_model_is_not(large):
    """Opioid vs alcohol users: mean ages at death differ ~19 years, e15 only ~10."""
    tp, truth = large
    b, g, beta = truth.gompertz_b, truth.gompertz_g, truth.beta
    true_diff = float(gompertz_life_expectancy(15, b * np.exp(beta["group_opioids"]), g)
                      - gompertz_life_expectancy(15, b * np.exp(beta["group_alcohol"]), g))
    sud = tp[tp["group"].isin(["alcohol", "opioids"])]
    naive = stats.ttest_ind(sud.loc[sud["group"] == "opioids", "age_at_death"],
                            sud.loc[sud["group"] == "alcohol", "age_at_death"])
    ci = naive.confidence_interval()
    assert ci.high < true_diff - 5  # naive exaggerates the gap by years
    profiles = pd.DataFrame({"male": 0, "group": ["alcohol", "opioids"], "young_onset": 0,
                             "comorbidity": 0}, index=["alcohol", "opioids"])
    res = gompertz_window(tp, "male + C(group, Treatment('none')) + young_onset + "
                          "comorbidity", entry="entry", exit="exit", at_age=15,
                          profiles=profiles)
    le = res.extra["life_expectancy"].set_index("profile").loc["opioids"]
    assert le["diff_lower"] < true_diff < le["diff_upper"]
    assert le["diff_upper"] - le["diff_lower"] < 4


# --- outputs --------------------------------------------------------------------------

def test_profiles_simulation_ci_and_outputs(small, capsys):
    tp, truth = small
    comp = tp[tp["population"] == "comparison"]
    prof = pd.DataFrame({"male": [0, 1], "comorbidity": 0}, index=["women", "men"])
    res = gompertz_window(comp, "male + comorbidity", entry="entry", exit="exit",
                          profiles=prof)
    sim = gompertz_window(comp, "male + comorbidity", entry="entry", exit="exit",
                          profiles=prof, ci_method="simulation", n_sim=4000, seed=1)
    assert isinstance(res, GompertzWindowResult)
    le = res.extra["life_expectancy"].set_index("profile")
    male = res.table.set_index("term").loc["male"]
    # the men-vs-women profile difference is the table's e_diff for "male"
    assert le.loc["men", "diff_vs_first"] == pytest.approx(male["e_diff"], rel=1e-10)
    gomp = res.extra["gompertz"].set_index("parameter")["estimate"]
    assert le.loc["women", "e65"] == pytest.approx(gomp["e65"], rel=1e-10)
    assert gomp["modal_age"] == pytest.approx(np.log(gomp["g"] / gomp["b"]) / gomp["g"])
    # simulation and delta intervals agree for a near-normal quantity
    st = sim.table.set_index("term").loc["male"]
    assert st["e_diff"] == male["e_diff"]
    assert st["e_diff_lower"] == pytest.approx(male["e_diff_lower"], abs=0.15)
    assert st["e_diff_upper"] == pytest.approx(male["e_diff_upper"], abs=0.15)
    # same seed, same draws
    sim2 = gompertz_window(comp, "male + comorbidity", entry="entry", exit="exit",
                           ci_method="simulation", n_sim=500, seed=7)
    sim3 = gompertz_window(comp, "male + comorbidity", entry="entry", exit="exit",
                           ci_method="simulation", n_sim=500, seed=7)
    pd.testing.assert_frame_equal(sim2.table, sim3.table)

    ax = res.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["comorbidity", "male"]
    assert ax.get_xscale() == "log"
    out = res.summary()
    assert "biased" in capsys.readouterr().out
    assert out is res.table
    assert "window" in res._repr_html_()


def test_categorical_sex_formula(small):
    tp, _ = small
    comp = tp[tp["population"] == "comparison"].copy()
    comp["sex"] = pd.Categorical(comp["sex"], categories=["female", "male"])
    a = gompertz_window(comp, "sex + comorbidity", entry="entry", exit="exit").table
    b = gompertz_window(comp, "male + comorbidity", entry="entry", exit="exit").table
    assert a["term"].tolist() == ["sex[T.male]", "comorbidity"]
    np.testing.assert_allclose(a["coef"], b["coef"], rtol=1e-6)


def test_uncentred_covariate_is_handled(small):
    """Covariates are standardised internally: a raw birth year does not upset the fit."""
    tp, _ = small
    comp = tp[tp["population"] == "comparison"].assign(
        birth_year=lambda d: d["birth_date"].dt.year)
    a = gompertz_window(comp, "male + birth_year", entry="entry", exit="exit").model
    b = gompertz_window(comp.assign(birth_year=comp["birth_year"] - 1900),
                        "male + birth_year", entry="entry", exit="exit").model
    np.testing.assert_allclose(a.params[["g", "male", "birth_year"]],
                               b.params[["g", "male", "birth_year"]], rtol=1e-5)
    assert a.params["log_b"] == pytest.approx(b.params["log_b"]
                                              - 1900 * b.params["birth_year"], rel=1e-6)
    np.testing.assert_allclose(a.bse[["male", "birth_year"]], b.bse[["male", "birth_year"]],
                               rtol=1e-3)


# --- bad input ------------------------------------------------------------------------

def _tiny(small, n=300):
    tp, _ = small
    return tp[tp["population"] == "comparison"].iloc[:n].copy()


def test_bad_input(small):
    df = _tiny(small)
    kw = {"entry": "entry", "exit": "exit"}
    with pytest.raises(ValueError, match="empty"):
        gompertz_window(df.iloc[:0], "male", **kw)
    with pytest.raises(KeyError, match="nope"):
        gompertz_window(df, "male", entry="nope", exit="exit")
    bad = df.assign(exit=df["age_at_death"] - 1)
    with pytest.raises(ValueError, match="outside"):
        gompertz_window(bad, "male", **kw)
    tied = df.assign(age_at_death=70.0, entry=60.0, exit=80.0)
    with pytest.raises(ValueError, match="all-tied"):
        gompertz_window(tied, "male", **kw)
    with pytest.raises(ValueError, match="empty window"):
        gompertz_window(df.assign(entry=df["age_at_death"], exit=df["age_at_death"]),
                        "male", **kw)
    # a constant covariate is not identified
    with pytest.raises(ValueError, match="constant"):
        gompertz_window(df.assign(k=1.0), "k", **kw)
    # an unused category is dropped with a note; the fit equals the one without it
    two = np.where(df["male"] == 1, "m", "f")
    unused = df.assign(grp=pd.Categorical(two, categories=["f", "m", "x"]))
    res = gompertz_window(unused, "grp", **kw)
    assert any("Unused level(s) ['x']" in n for n in res.notes)
    plain = gompertz_window(df.assign(grp=two), "grp", entry="entry", right_truncation="exit")
    np.testing.assert_allclose(res.table["coef"], plain.table["coef"], rtol=1e-8)
    with pytest.raises(ValueError, match="intercept"):
        gompertz_window(df, "male - 1", **kw)
    with pytest.raises(ValueError, match="collinear"):
        gompertz_window(df.assign(m2=2 * df["male"]), "male + m2", **kw)
    with pytest.raises(ValueError, match="ci_method"):
        gompertz_window(df, "male", ci_method="bootstrap", **kw)
    with pytest.raises(ValueError, match="formula"):
        gompertz_window(df, "no_such_column", **kw)
    with pytest.raises(ValueError, match="negative"):
        gompertz_window(df.assign(entry=-1.0), "male", **kw)


def test_missing_values_warn_and_drop(small):
    df = _tiny(small, 600)
    df.loc[df.index[:5], "age_at_death"] = np.nan
    df.loc[df.index[5:8], "comorbidity"] = np.nan
    with pytest.warns(UserWarning, match="dropped 8 of 600"):
        res = gompertz_window(df, "male + comorbidity", entry="entry", exit="exit")
    assert res.model.nobs == 592
    assert res.table.notna().all().all()
    with pytest.raises(ValueError, match="no person"):
        gompertz_window(df.assign(exit=np.nan), "male", entry="entry", exit="exit")


def _windowed_gompertz(n, seed, young_share=0.0, makeham=0.0, log_hr=0.0):
    """Ages at death from (m + b exp(g a)) exp(log_hr male), seen inside random windows."""
    rng = np.random.default_rng(seed)
    b, g = 5e-5, 0.09
    male = rng.integers(0, 2, n * 6)
    rel = np.exp(log_hr * male)
    a = np.log1p(g * rng.exponential(size=male.size) / (b * rel)) / g
    if makeham:
        a = np.minimum(a, rng.exponential(1 / (makeham * rel)))
    young = rng.random(a.size) < young_share
    a = np.where(young, rng.uniform(20, 40, a.size), a)  # overdoses, accidents
    lo = rng.uniform(15, 60, a.size)
    hi = lo + rng.uniform(25, 50, a.size)
    keep = (a >= lo) & (a <= hi)
    return pd.DataFrame({"age_at_death": a, "entry": lo, "exit": hi,
                         "male": male})[keep].iloc[:n]


def test_fit_diagnostic_agrees_with_npmle_when_gompertz_holds_and_not_otherwise():
    good = gompertz_window(_windowed_gompertz(3000, 1), "male", entry="entry",
                           right_truncation="exit")
    diag = good.fit_diagnostic()
    assert {"age", "npmle_cdf", "model_cdf", "difference"} <= set(diag.columns)
    assert diag.attrs["max_abs_difference"] < 0.04
    assert diag["model_cdf"].is_monotonic_increasing
    young = _windowed_gompertz(3000, 1, young_share=0.25)
    with pytest.raises(ValueError, match="makeham=True"):  # a pure Gompertz cannot fit
        gompertz_window(young, "male", entry="entry", right_truncation="exit")
    bad = gompertz_window(young, "male", entry="entry", right_truncation="exit",
                          makeham=True)
    assert bad.fit_diagnostic().attrs["max_abs_difference"] > 0.06  # still no fit: shown
    ax = bad.plot_fit()
    assert len(ax.get_lines()) == 2
    matplotlib.pyplot.close("all")


def test_makeham_gradient_life_expectancy_and_recovery():
    from scipy import integrate as sint

    from harkit.survival.gompertz import _makeham_life_expectancy, _negloglik_makeham

    rng = np.random.default_rng(0)
    a = rng.uniform(20, 90, 200)
    lo = a - rng.uniform(0, 20, 200)
    hi = np.where(rng.random(200) < 0.3, np.inf, a + rng.uniform(0, 20, 200))
    x = rng.normal(size=(200, 2))
    th = np.array([np.log(0.02), np.log(0.08), 0.2, -0.3, np.log(0.003)])
    num = optimize.approx_fprime(th, lambda t: _negloglik_makeham(t, a, lo, hi, x, 60.0)[0],
                                 1e-6)
    np.testing.assert_allclose(_negloglik_makeham(th, a, lo, hi, x, 60.0)[1], num,
                               rtol=1e-4, atol=1e-3)
    # life expectancy: quadrature against scipy.quad, and the Gompertz closed form at m = 0
    e = _makeham_life_expectancy(50.0, np.array([4e-5]), np.array([0.09]), np.array([0.004]))
    ref = sint.quad(lambda s_: np.exp(-(0.004 * s_ + 4e-5 * np.exp(0.09 * 50) / 0.09
                                        * np.expm1(0.09 * s_))), 0, 200, limit=200)[0]
    assert e[0] == pytest.approx(ref, rel=1e-6)
    e0 = _makeham_life_expectancy(50.0, np.array([4e-5]), np.array([0.09]), np.array([0.0]))
    assert e0[0] == pytest.approx(gompertz_life_expectancy(50.0, 4e-5, 0.09), rel=1e-6)
    # recovery of planted values
    d = _windowed_gompertz(6000, 4, makeham=0.004, log_hr=0.3)
    res = gompertz_window(d, "male", entry="entry", right_truncation="exit", makeham=True)
    gm = res.extra["gompertz"].set_index("parameter")
    assert gm.loc["makeham", "lower"] < 0.004 < gm.loc["makeham", "upper"]
    assert gm.loc["g", "lower"] < 0.09 < gm.loc["g", "upper"]
    row = res.table.iloc[0]
    assert row["hr_lower"] < np.exp(0.3) < row["hr_upper"]
    assert res.fit_diagnostic().attrs["max_abs_difference"] < 0.04
    assert "Makeham" in res.method


def test_birth_cohort_term_and_old_exit_keyword(small):
    tp, _ = small
    df = tp.dropna(subset=["age_at_death"]).copy()
    df = df[(df["age_at_death"] >= df["entry"]) & (df["age_at_death"] <= df["exit"])]
    df["cohort"] = pd.cut(df["birth_date"].dt.year, [1800, 1910, 1940, 2100],
                          labels=["early", "middle", "late"])
    df["male"] = (df["sex"] == "male").astype(int)
    new = gompertz_window(df, "male + C(cohort)", entry="entry", right_truncation="exit")
    old = gompertz_window(df, "male + C(cohort)", entry="entry", exit="exit")
    pd.testing.assert_frame_equal(new.table, old.table)
    assert new.table["term"].str.contains("cohort").sum() == 2
    with pytest.raises(TypeError, match="once"):
        gompertz_window(df, "male", entry="entry", right_truncation="exit", exit="entry")


class _ScipyGompertzObs(_ScipyGompertz):
    """The same reference with per-person log likelihoods, for statsmodels' sandwich."""

    def loglikeobs(self, params):
        log_b, g, beta = params[0], params[1], params[2:]
        dist = stats.gompertz(c=np.exp(log_b + self.exog @ beta) / g, scale=1 / g)
        lo, hi = self.bounds
        return dist.logpdf(self.endog) - np.log(dist.sf(lo) - dist.sf(hi))

    def loglike(self, params):
        return float(np.sum(self.loglikeobs(params)))


@pytest.mark.filterwarnings("ignore:df_:UserWarning")
def test_robust_standard_errors_match_statsmodels_sandwich():
    # mortality that is not Gompertz (a Makeham term and young deaths) so that the sandwich
    # and the model-based errors differ
    data = _windowed_gompertz(1500, 5, young_share=0.08, makeham=2e-3, log_hr=0.4)
    res = gompertz_window(data, "male", entry="entry", exit="exit", robust=True)
    plain = gompertz_window(data, "male", entry="entry", exit="exit")
    np.testing.assert_allclose(res.model.params, plain.model.params)
    ref_model = _ScipyGompertzObs(data["age_at_death"].to_numpy(),
                                  data[["male"]].to_numpy(float))
    ref_model.bounds = (data["entry"].to_numpy(), data["exit"].to_numpy())
    ref = ref_model.fit(start_params=res.model.params.to_numpy(), method="bfgs",
                        maxiter=500, disp=False, cov_type="HC0")
    np.testing.assert_allclose(ref.params, res.model.params.to_numpy(), atol=2e-4)
    np.testing.assert_allclose(res.model.bse.to_numpy(), ref.bse, rtol=2e-3)
    # the misspecification shows: the sandwich error of the hazard ratio differs
    assert abs(res.model.bse["male"] / plain.model.bse["male"] - 1) > 0.05
    male = res.table.set_index("term").loc["male"]
    z = stats.norm.ppf(0.975)
    assert male["hr_upper"] == pytest.approx(
        np.exp(res.model.params["male"] + z * res.model.bse["male"]), rel=1e-9)


def test_robust_errors_agree_with_model_errors_when_gompertz_holds():
    data = _windowed_gompertz(4000, 7, log_hr=0.3)
    rob = gompertz_window(data, "male", entry="entry", exit="exit", robust=True)
    plain = gompertz_window(data, "male", entry="entry", exit="exit")
    np.testing.assert_allclose(rob.model.bse, plain.model.bse, rtol=0.1)


@pytest.mark.parametrize("makeham", [False, True])
def test_per_person_scores_sum_to_the_gradient(makeham):
    data = _windowed_gompertz(500, 9, young_share=0.05, log_hr=0.2)
    a, lo, hi = (data[c].to_numpy(float) for c in ("age_at_death", "entry", "exit"))
    x = data[["male"]].to_numpy(float) - 0.5
    theta = np.array([-3.0, np.log(0.08), 0.2] + ([np.log(1e-3)] if makeham else []))
    fn = _negloglik_makeham if makeham else _negloglik
    _, grad = fn(theta, a, lo, hi, x, 60.0)
    scores = fn(theta, a, lo, hi, x, 60.0, scores=True)
    assert scores.shape == (len(a), theta.size)
    np.testing.assert_allclose(scores.sum(axis=0), -grad, rtol=1e-10, atol=1e-8)


def test_barely_identified_group_warns():
    data = _windowed_gompertz(2000, 11, log_hr=0.3)
    # a group of four persons seen only in windows of one year around their deaths: the
    # window-conditional likelihood holds almost nothing about their hazard level
    data["tiny"] = 0.0
    idx = data.index[:4]
    data.loc[idx, "tiny"] = 1.0
    data.loc[idx, "entry"] = data.loc[idx, "age_at_death"] - 0.5
    data.loc[idx, "exit"] = data.loc[idx, "age_at_death"] + 0.5
    with pytest.warns(RuntimeWarning, match="tiny .*barely identified"):
        gompertz_window(data, "male + tiny", entry="entry", exit="exit")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        gompertz_window(data.drop(columns="tiny"), "male", entry="entry", exit="exit")
