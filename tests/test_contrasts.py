"""Contrasts against hand-computed examples, statsmodels and scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable, Table2x2
from statsmodels.stats.rates import test_poisson_2indep as poisson_test

from harkit.compare.contrasts import compare_proportions, compare_rates, stratified


def _persons(a: int, b: int, c: int, d: int, **extra) -> pd.DataFrame:
    """a exposed events, b exposed non-events, c and d for the reference group."""
    x = ["exp"] * (a + b) + ["ref"] * (c + d)
    y = [1] * a + [0] * b + [1] * c + [0] * d
    return pd.DataFrame({"x": x, "y": y, **extra})


def _get(res, measure, comparison=None):
    t = res.table
    t = t[t.measure == measure]
    if comparison is not None:
        t = t[t.comparison == comparison]
    return t.iloc[0]


def test_proportions_wald_hand_computed():
    res = compare_proportions(_persons(20, 80, 10, 90), "x", "y", reference="ref")
    rr, rd, orr = (_get(res, m) for m in ("risk ratio", "risk difference", "odds ratio"))
    # RR 2, se = sqrt(1/20 - 1/100 + 1/10 - 1/100) = sqrt(.13)
    z = stats.norm.ppf(0.975)
    assert rr.estimate == pytest.approx(2.0)
    assert (rr.lower, rr.upper) == pytest.approx(2 * np.exp(np.array([-z, z]) * np.sqrt(.13)))
    # OR 2.25, se = sqrt(1/20 + 1/80 + 1/10 + 1/90)
    se = np.sqrt(1 / 20 + 1 / 80 + 1 / 10 + 1 / 90)
    assert orr.estimate == pytest.approx(2.25)
    assert (orr.lower, orr.upper) == pytest.approx(2.25 * np.exp(np.array([-z, z]) * se))
    # RD 0.1, se = sqrt(.2*.8/100 + .1*.9/100) = 0.05
    assert (rd.estimate, rd.lower, rd.upper) == pytest.approx((0.1, 0.1 - z * .05,
                                                               0.1 + z * .05))
    assert set(res.table.method) == {"Wald (log scale)", "Wald"}
    t2 = Table2x2(np.array([[20, 80], [10, 90]]))
    assert rr.p_value == pytest.approx(t2.riskratio_pvalue())
    assert orr.p_value == pytest.approx(t2.oddsratio_pvalue())


def test_proportions_small_cells_exact():
    res = compare_proportions(_persons(3, 7, 1, 12), "x", "y", reference="ref", suppress=False)
    orr = _get(res, "odds ratio")
    ref = stats.contingency.odds_ratio([[3, 7], [1, 12]], kind="conditional")
    ci = ref.confidence_interval(0.95)
    assert (orr.estimate, orr.lower, orr.upper) == pytest.approx((ref.statistic, ci.low,
                                                                  ci.high))
    assert orr.p_value == pytest.approx(stats.fisher_exact([[3, 7], [1, 12]])[1])
    assert "Fisher" in orr.method and "exact" in orr.method
    rr = _get(res, "risk ratio")
    assert rr.estimate == pytest.approx((3 / 10) / (1 / 13))
    assert rr.lower < rr.estimate < rr.upper


def test_proportions_zero_cell_and_several_levels():
    df = pd.concat([_persons(0, 10, 5, 20), _persons(8, 12, 0, 0).replace({"x": {"exp": "b"}})])
    res = compare_proportions(df, "x", "y", reference="ref", suppress=False)
    assert set(res.table.comparison) == {"exp vs ref", "b vs ref"}
    zero = _get(res, "odds ratio", "exp vs ref")
    assert zero.estimate == 0 and zero.lower == 0 and np.isfinite(zero.upper)
    assert np.isfinite(_get(res, "risk ratio", "exp vs ref").upper)
    assert res.extra["counts"].set_index("comparison").loc["b vs ref", "exposed_events"] == 8


def test_proportions_bad_input():
    with pytest.raises(ValueError, match="boolean or 0/1"):
        compare_proportions(pd.DataFrame({"x": ["a", "b"], "y": ["p", "q"]}), "x", "y")
    with pytest.warns(UserWarning, match="single level"):
        res = compare_proportions(_persons(3, 3, 0, 0), "x", "y")
    assert res.table.empty
    res = compare_proportions(pd.DataFrame({"x": ["a", "b", "a"], "y": ["p", "q", "q"]}),
                              "x", "y", event="q", suppress=False)
    assert _get(res, "risk difference").estimate == pytest.approx(0.5)


def test_rates_wald_hand_computed():
    df = pd.DataFrame({"x": ["exp", "exp", "ref"], "e": [10, 20, 15],
                       "t": [400.0, 600.0, 1000.0]})
    res = compare_rates(df, "x", "e", "t", reference="ref", per=1000)
    z = stats.norm.ppf(0.975)
    rr, rd = _get(res, "rate ratio"), _get(res, "rate difference")
    assert (rr.estimate, rr.lower, rr.upper) == pytest.approx(
        (2.0, *(2 * np.exp(np.array([-z, z]) * np.sqrt(1 / 30 + 1 / 15)))))
    se = np.sqrt(30 / 1000**2 + 15 / 1000**2) * 1000
    assert (rd.estimate, rd.lower, rd.upper) == pytest.approx((15, 15 - z * se, 15 + z * se))


def test_rates_exact_small_counts():
    df = pd.DataFrame({"x": ["exp", "ref"], "e": [4, 1], "t": [100.0, 300.0]})
    res = compare_rates(df, "x", "e", "t", reference="ref", suppress=False)
    rr = _get(res, "rate ratio")
    assert rr.estimate == pytest.approx(12.0)
    assert "exact" in rr.method
    assert rr.p_value == pytest.approx(
        poisson_test(4, 100, 1, 300, method="exact-cond").pvalue, rel=1e-6)
    # the exact bounds solve the one-sided binomial tail equations (N = 5 events)
    pi = lambda r: r * 100 / (r * 100 + 300)  # noqa: E731
    assert stats.binom.sf(3, 5, pi(rr.lower)) == pytest.approx(0.025, abs=1e-6)
    assert stats.binom.cdf(4, 5, pi(rr.upper)) == pytest.approx(0.025, abs=1e-6)


def _strata_data() -> pd.DataFrame:
    cells = {"s1": (30, 70, 15, 85), "s2": (12, 38, 20, 130), "s3": (40, 60, 25, 75)}
    return pd.concat([_persons(*v, s=k) for k, v in cells.items()], ignore_index=True), cells


def test_stratified_against_statsmodels():
    df, cells = _strata_data()
    res = stratified(df, "x", "y", "s", reference="ref")
    st = StratifiedTable([np.array(v).reshape(2, 2) for v in cells.values()])
    mh = _get(res, "odds ratio", "exp vs ref | Mantel-Haenszel")
    assert mh.estimate == pytest.approx(st.oddsratio_pooled)
    assert (mh.lower, mh.upper) == pytest.approx(st.oddsratio_pooled_confint())
    assert mh.p_value == pytest.approx(st.test_null_odds().pvalue)
    assert _get(res, "risk ratio").estimate == pytest.approx(st.riskratio_pooled)
    bd = res.extra["tests"].set_index("test").filter(like="Breslow", axis=0).iloc[0]
    assert bd.p_value == pytest.approx(st.test_equal_odds().pvalue)
    assert bd.df == 2
    s1 = _get(res, "odds ratio", "exp vs ref | s1")
    assert s1.estimate == pytest.approx((30 * 85) / (70 * 15))


def test_mh_risk_ratio_ci_reduces_to_wald():
    # two identical strata: MH RR is the stratum RR and the Greenland-Robins interval
    # equals the Wald interval of the pooled (doubled) table
    df = pd.concat([_persons(20, 80, 10, 90, s="a"), _persons(20, 80, 10, 90, s="b")])
    rr = _get(stratified(df, "x", "y", "s", reference="ref"), "risk ratio")
    ref = Table2x2(np.array([[40, 160], [20, 180]]))
    assert rr.estimate == pytest.approx(2.0)
    assert (rr.lower, rr.upper) == pytest.approx(ref.riskratio_confint())


def test_breslow_day_detects_heterogeneity():
    het = pd.concat([_persons(40, 60, 10, 90, s="a"), _persons(10, 90, 30, 70, s="b")])
    hom = pd.concat([_persons(20, 80, 10, 90, s="a"), _persons(40, 60, 25, 75, s="b")])
    p = {k: stratified(d, "x", "y", "s", reference="ref").extra["tests"].p_value.iloc[1]
         for k, d in {"het": het, "hom": hom}.items()}
    assert p["het"] < 1e-6 and p["hom"] > 0.2


def test_breslow_day_when_pooled_or_is_one():
    # symmetric strata: OR_MH = 1, where statsmodels divides by zero; Breslow-Day then
    # equals the sum of the strata's Pearson chi-squares
    df = pd.concat([_persons(40, 60, 10, 90, s="a"), _persons(10, 90, 40, 60, s="b")])
    res = stratified(df, "x", "y", "s", reference="ref")
    bd = res.extra["tests"].iloc[1]
    expected = sum(stats.chi2_contingency(t, correction=False).statistic
                   for t in ([[40, 60], [10, 90]], [[10, 90], [40, 60]]))
    assert _get(res, "odds ratio", "exp vs ref | Mantel-Haenszel").estimate == pytest.approx(1)
    assert bd.statistic == pytest.approx(expected)
    assert bd.p_value == pytest.approx(stats.chi2.sf(expected, 1))


def test_stratified_bad_input():
    df, _ = _strata_data()
    extra = _persons(0, 0, 3, 4, s="s4")  # no exposed persons
    with pytest.warns(UserWarning, match="uninformative strata"):
        res = stratified(pd.concat([df, extra]), "x", "y", "s", reference="ref")
    assert "s4" in res.notes[0]
    with pytest.raises(ValueError, match="two-level"):
        stratified(pd.concat([df, df.assign(x="third")]), "x", "y", "s")
    with pytest.raises(ValueError, match="no stratum"), pytest.warns(UserWarning):
        stratified(_persons(0, 5, 0, 5, s="a"), "x", "y", "s", reference="ref")


def test_plot_draws_ratios():
    import matplotlib
    matplotlib.use("Agg")
    ax = compare_proportions(_persons(20, 80, 10, 90), "x", "y", reference="ref").plot()
    assert len(ax.get_yticks()) == 2  # risk ratio and odds ratio, not the difference


@pytest.fixture(scope="module")
def stay_episodes() -> tuple[pd.DataFrame, object]:
    """Eligible episodes for the planted institutional-stay effect: inpatient episodes at
    an addiction institution (the unit and eligibility of harkit/synth/treatments.py)."""
    from harkit.synth import generate

    ex, truth = generate(3000, seed=5, sud_fraction=0.5, documents=False, progress=False,
                         return_truth=True)
    addiction = (ex.institutions.drop_duplicates("institution_id")
                 .set_index("institution_id")["addiction_department"])
    ep = ex.episodes
    ep = ep[(ep.episode_type == "inpatient")
            & ep.institution_id.map(addiction).astype(bool)]
    given = ex.treatments.loc[ex.treatments.treatment_type == "institutional_stay",
                              "episode_id"]
    ep = ep.assign(stay=ep.episode_id.isin(set(given)),
                   sex=ep.person_id.map(ex.persons.set_index("person_id")["sex"]),
                   decade=(ep.admission_date.dt.year // 20 * 20).astype("Int64"))
    return ep, truth


#: Two-sided level of the intervals checked against the planted values: 3 standard errors.
#: One fixed register is one draw; a 95 % interval misses the truth on 1 seed in 20 by
#: design. Coverage study (seeds 0-24, this fixture's size and eligibility): the 95 % Wald
#: interval of the odds ratio covered the planted 0.60 in 24 of 25 registers, geometric
#: mean estimate 0.606 (+-0.04): unbiased, and seed 5 is the one miss (0.78, 0.63-0.98,
#: 2.4 SE from 0.60). The 3-SE check keeps a false-alarm rate of 0.3 % per comparison and
#: still fails a biased eligibility (all substance-use episodes: OR about 0.8, many SE).
ALPHA_CHECK = 0.0027


def test_recovers_planted_treatment_odds_ratio(stay_episodes):
    ep, truth = stay_episodes
    or_f = truth.treatment_odds_ratios["institutional_stay"]
    p_m = truth.treatment_baseline["institutional_stay"]
    odds_f = or_f * p_m / (1 - p_m)
    p_f = odds_f / (1 + odds_f)
    res = compare_proportions(ep, "sex", "stay", reference="male", alpha=ALPHA_CHECK)
    for measure, planted in [("odds ratio", or_f), ("risk ratio", p_f / p_m),
                             ("risk difference", p_f - p_m)]:
        row = _get(res, measure)
        assert row.lower < planted < row.upper, (measure, row.estimate, planted)
    # the effect does not vary by period: MH OR covers it, Breslow-Day does not reject
    st = stratified(ep, "sex", "stay", "decade", reference="male", alpha=ALPHA_CHECK)
    mh = _get(st, "odds ratio", "female vs male | Mantel-Haenszel")
    assert mh.lower < or_f < mh.upper
    assert st.extra["tests"].p_value.iloc[1] > 0.01
