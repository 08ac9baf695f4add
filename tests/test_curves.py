"""Kaplan-Meier, Cox and Aalen-Johansen with delayed entry, against independent references."""

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from lifelines import AalenJohansenFitter, CoxPHFitter, KaplanMeierFitter
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import CumIncidenceRight, SurvfuncRight

from harkit.survival._coxfit import CoxFit
from harkit.survival.curves import at_risk_table, cox, cumulative_incidence, kaplan_meier

matplotlib.use("Agg")

LOG_HR = 0.5


def _left_truncated(n=1500, seed=1):
    """Gompertz ages at death from entry (delayed entry), censoring, two causes."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n)
    entry = rng.uniform(20, 70, n)
    b, g = 1e-4, 0.09
    lam = b * np.exp(LOG_HR * x)
    h_entry = lam / g * np.expm1(g * entry)
    t = np.log1p(g * (h_entry - np.log(rng.uniform(size=n))) / lam) / g
    c = entry + rng.uniform(0, 40, n)
    ev = (t <= c).astype(int)
    return pd.DataFrame({
        "age": np.minimum(t, c), "died": ev, "entry": entry, "x": x,
        "sex": pd.Categorical(np.where(x == 1, "male", "female")),
        "cause": np.where(ev == 1, rng.integers(1, 3, n), 0),
    })


# the hand example with delayed entry: (entry, exit, cause)
HAND = pd.DataFrame({"entry": [0, 0, 1, 2, 3], "exit": [2, 3, 4, 5, 6],
                     "cause": [1, 0, 2, 1, 0]}).astype({"entry": float, "exit": float})
HAND["died"] = (HAND["cause"] > 0).astype(int)


def _product_limit(entry, exit_, event):
    """Independent KM with delayed entry: loop over event times, risk set entry < t <= exit."""
    times = np.unique(exit_[event == 1])
    s, out = 1.0, []
    for t in times:
        n = np.sum((entry < t) & (exit_ >= t))
        d = np.sum((exit_ == t) & (event == 1))
        s *= 1 - d / n
        out.append(s)
    return times, np.array(out)


# ----------------------------------------------------------------------------- Kaplan-Meier


def test_km_matches_lifelines_numpy_and_statsmodels():
    df = _left_truncated()
    res = kaplan_meier(df, "age", "died", entry="entry", by="sex", suppress=False,
                       conf_type="log-log")  # lifelines' interval
    for g in ["female", "male"]:
        s = df[df["sex"] == g]
        tab = res.table[(res.table["group"] == g)].iloc[1:].set_index("time")
        kmf = KaplanMeierFitter().fit(s["age"], s["died"], entry=s["entry"])
        ref = kmf.survival_function_.iloc[:, 0].reindex(tab.index, method="ffill")
        np.testing.assert_allclose(tab["survival"], ref, rtol=0, atol=1e-14)
        ci = kmf.confidence_interval_.reindex(tab.index, method="ffill")
        pos = (tab["survival"] > 0).to_numpy()  # at 0 the interval is undefined (NaN), as R
        assert tab.loc[~pos, "ci_lower"].isna().all()
        np.testing.assert_allclose(tab.loc[pos, "ci_lower"], ci.iloc[pos, 0], atol=1e-14)
        np.testing.assert_array_equal(res.model[g].survival_function_.to_numpy(),
                                      kmf.survival_function_.to_numpy())
        # independent product limit
        t, sv = _product_limit(s["entry"].to_numpy(), s["age"].to_numpy(),
                               s["died"].to_numpy())
        np.testing.assert_allclose(tab.loc[t, "survival"], sv, rtol=1e-12)
        # statsmodels SurvfuncRight with entry: survival and numbers at risk
        sm = SurvfuncRight(s["age"].to_numpy(), s["died"].to_numpy(),
                           entry=s["entry"].to_numpy())
        np.testing.assert_allclose(tab.loc[sm.surv_times, "survival"], sm.surv_prob,
                                   rtol=1e-12)
        np.testing.assert_array_equal(tab.loc[sm.surv_times, "at_risk"].astype(int),
                                      sm.n_risk.astype(int))
        np.testing.assert_array_equal(tab.loc[sm.surv_times, "events"], sm.n_events)
        # CI: statsmodels' Greenwood SE on the log(-log) scale
        sv, se = sm.surv_prob, sm.surv_prob_se
        ok = (sv > 0) & (sv < 1)
        z = 1.959963984540054
        se_t = se[ok] / (sv[ok] * np.abs(np.log(sv[ok])))
        lo = np.exp(-np.exp(np.log(-np.log(sv[ok])) + z * se_t))
        np.testing.assert_allclose(tab.loc[sm.surv_times[ok], "ci_lower"], lo, atol=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_km_with_entry_recovers_truth_and_naive_is_biased(seed):
    df = _left_truncated(seed=seed)
    with_entry = kaplan_meier(df, "age", "died", entry="entry", by="sex", suppress=False).table
    naive = kaplan_meier(df, "age", "died", by="sex", suppress=False).table
    for sex, x in (("female", 0), ("male", 1)):
        true = np.exp(-1e-4 * np.exp(LOG_HR * x) / 0.09 * np.expm1(0.09 * 65))
        row = with_entry[(with_entry["group"] == sex) & (with_entry["time"] <= 65)].iloc[-1]
        assert row["ci_lower"] < true < row["ci_upper"]
        # counting people at risk before they entered overstates survival
        row = naive[(naive["group"] == sex) & (naive["time"] <= 65)].iloc[-1]
        assert row["ci_lower"] > true + 0.05


def test_km_hand_example_with_delayed_entry():
    res = kaplan_meier(HAND, "exit", "died", entry="entry", suppress=False)
    tab = res.table.set_index("time")
    # n = 3 at t=2 (the person entering at 2 is not yet at risk), 3 at t=4, 2 at t=5
    np.testing.assert_allclose(tab.loc[[2.0, 4.0, 5.0], "survival"], [2 / 3, 4 / 9, 2 / 9])
    assert tab.loc[[2.0, 4.0, 5.0], "at_risk"].tolist() == [3, 3, 2]
    assert any("only 3 at risk at the first event (2)" in n for n in res.notes)


def test_at_risk_table_hand_example():
    ar = at_risk_table(HAND, "exit", "cause", entry="entry", times=[1, 2, 3, 4, 5, 6],
                       suppress=False)
    assert ar["at_risk"].tolist() == [2, 3, 3, 3, 2, 1]
    assert ar["entered"].tolist() == [2, 3, 4, 5, 5, 5]
    assert ar["events"].tolist() == [0, 1, 1, 2, 3, 3]
    assert ar["censored"].tolist() == [0, 0, 1, 1, 1, 2]
    # ignoring entry would overstate the early risk set
    naive = at_risk_table(HAND, "exit", "cause", times=[1, 2], suppress=False)
    assert naive["at_risk"].tolist() == [5, 5]


def test_km_plot_draws_at_risk_numbers_from_table():
    df = _left_truncated(n=400)
    res = kaplan_meier(df, "age", "died", entry="entry", by="sex", at_risk_times=[20, 40, 60])
    ax = res.plot()
    drawn = [t.get_text() for t in ax.texts if t.get_gid() == "at_risk"]
    assert drawn == [str(n) for n in res.extra["at_risk"]["at_risk"]]
    assert len(ax.lines) == 2
    matplotlib.pyplot.close("all")


# ----------------------------------------------------------------------------- Cox


def test_cox_matches_lifelines_and_statsmodels_phreg():
    df = _left_truncated()
    res = cox(df, ["x"], "age", "died", entry="entry")
    ref = CoxPHFitter().fit(df[["x", "age", "died", "entry"]], "age", "died",
                            entry_col="entry")
    # lifelines stops its Newton-Raphson earlier than R and harkit
    assert res.table["coef"].iloc[0] == pytest.approx(ref.params_["x"], abs=1e-6)
    sm = PHReg(df["age"].to_numpy(), df[["x"]].to_numpy(float), status=df["died"].to_numpy(),
               entry=df["entry"].to_numpy(), ties="efron").fit()
    assert res.table["coef"].iloc[0] == pytest.approx(sm.params[0], abs=1e-5)
    assert res.table["se"].iloc[0] == pytest.approx(sm.bse[0], rel=1e-4)
    # formula interface gives the same fit
    res_f = cox(df, "sex", "age", "died", entry="entry")
    assert res_f.table["coef"].iloc[0] == pytest.approx(res.table["coef"].iloc[0], abs=1e-12)
    # planted log-HR inside the CI
    row = res.table.iloc[0]
    assert row["ci_lower"] < np.exp(LOG_HR) < row["ci_upper"]
    assert isinstance(res.model, CoxFit)
    ax = res.plot()
    assert ax.get_xscale() == "log"
    matplotlib.pyplot.close("all")


def test_cox_errors():
    df = _left_truncated(n=200)
    with pytest.raises(ValueError, match="no events"):
        cox(df.assign(died=0), ["x"], "age", "died", entry="entry")
    with pytest.raises(ValueError, match="tied"):
        cox(df.assign(age=50.0, entry=0.0), ["x"], "age", "died", entry="entry")
    with pytest.raises(ValueError, match="missing"):
        cox(df.assign(x=np.where(np.arange(200) == 3, np.nan, df["x"])), ["x"], "age",
            "died")


# ----------------------------------------------------------------------------- Aalen-Johansen


def _cif(res, cause, t, group="all"):
    tab = res.table[(res.table["group"] == group) & (res.table["cause"] == cause)]
    return tab.set_index("time")["cif"].reindex(np.atleast_1d(t), method="ffill").to_numpy()


def test_aj_issue_example():
    df = pd.DataFrame({"t": np.arange(1, 7.0), "e": [0, 1, 1, 2, 2, 0]})
    res = cumulative_incidence(df, "t", "e", suppress=False)
    np.testing.assert_allclose(_cif(res, 1, [2, 3, 6]), [0.2, 0.4, 0.4], atol=1e-15)
    np.testing.assert_allclose(_cif(res, 2, [4, 5, 6]), [0.2, 0.4, 0.4], atol=1e-15)


def test_aj_tied_times_by_hand_and_statsmodels():
    df = pd.DataFrame({"t": [1, 1, 1, 2, 2, 3.0], "e": [1, 2, 0, 1, 1, 0]})
    res = cumulative_incidence(df, "t", "e", suppress=False)
    # t=1: n=6, one of each cause together; t=2: n=3, two cause-1 deaths
    np.testing.assert_allclose(_cif(res, 1, [1, 2]), [1 / 6, 1 / 6 + 4 / 6 * 2 / 3])
    np.testing.assert_allclose(_cif(res, 2, [1, 2]), [1 / 6, 1 / 6])
    assert res.table.loc[res.table["time"] == 2, "survival_all"].iloc[0] == pytest.approx(2 / 9)
    # all times tied, everybody dies: multinomial proportions with binomial SEs
    res = cumulative_incidence(pd.DataFrame({"t": [50.0] * 4, "e": list("abaa")}), "t", "e",
                               suppress=False)
    last = res.table[res.table["time"] == 50].set_index("cause")
    np.testing.assert_allclose(last.loc[["a", "b"], "cif"], [0.75, 0.25])
    np.testing.assert_allclose(last.loc[["a", "b"], "se"], [np.sqrt(0.75 * 0.25 / 4)] * 2)
    assert res.table[["cif", "se", "ci_lower", "ci_upper"]].notna().all().all()
    # larger tied data against statsmodels (right censoring only)
    rng = np.random.default_rng(3)
    t = rng.integers(1, 15, 600).astype(float)
    e = rng.integers(0, 3, 600)
    res = cumulative_incidence(pd.DataFrame({"t": t, "e": e}), "t", "e", suppress=False)
    sm = CumIncidenceRight(t, e)
    for k in (1, 2):
        np.testing.assert_allclose(_cif(res, k, sm.times), sm.cinc[k - 1], rtol=1e-12)


def test_aj_delayed_entry_hand_example():
    res = cumulative_incidence(HAND, "exit", "cause", entry="entry", suppress=False)
    np.testing.assert_allclose(_cif(res, 1, [2, 4, 5]), [1 / 3, 1 / 3, 5 / 9])
    np.testing.assert_allclose(_cif(res, 2, [2, 4, 5]), [0, 2 / 9, 2 / 9])
    body = res.table[(res.table["cause"] == 1) & res.table["at_risk"].notna()]
    assert body["at_risk"].tolist() == [3, 3, 2]


def test_aj_single_cause_is_one_minus_km_with_entry_and_ties():
    df = _left_truncated(n=800)
    df["age"] = df["age"].round(0)  # many ties
    df = df[df["age"] > df["entry"]]
    res = cumulative_incidence(df, "age", "died", entry="entry", suppress=False)
    kmf = KaplanMeierFitter().fit(df["age"], df["died"], entry=df["entry"])
    tab = res.table[res.table["at_risk"].notna()].set_index("time")
    km = kmf.survival_function_.iloc[:, 0].reindex(tab.index, method="ffill")
    np.testing.assert_allclose(tab["cif"], 1 - km, atol=1e-12)


def test_aj_matches_lifelines_without_ties():
    df = _left_truncated(n=600)
    res = cumulative_incidence(df, "age", "cause", entry="entry", suppress=False,
                               conf_type="log-log")  # lifelines' interval
    for k in (1, 2):
        aj = AalenJohansenFitter(calculate_variance=True).fit(
            df["age"], df["cause"], event_of_interest=k, entry=df["entry"])
        tab = res.table[(res.table["cause"] == k) & res.table["at_risk"].notna()]
        tab = tab.set_index("time")
        ref = aj.cumulative_density_.iloc[:, 0].reindex(tab.index, method="ffill")
        np.testing.assert_allclose(tab["cif"], ref, atol=1e-12)
        var = aj.variance_.reindex(tab.index, method="ffill")
        # lifelines gives NaN where everybody at risk dies (0 * inf); we give the limit
        assert np.isfinite(tab["se"]).all() and var.isna().sum() <= 2
        ok = (tab["cif"] > 0) & var.notna().to_numpy()
        np.testing.assert_allclose(tab.loc[ok, "se"] ** 2, var[ok], rtol=1e-8)
        ci = aj.confidence_interval_.reindex(tab.index, method="ffill")
        # same log(-log) interval; lifelines 0.30 labels its two bounds the other way round
        lo, hi = np.minimum(ci.iloc[:, 0], ci.iloc[:, 1]), np.maximum(ci.iloc[:, 0], ci.iloc[:, 1])
        np.testing.assert_allclose(tab.loc[ok, "ci_lower"], lo[ok], rtol=1e-8)
        np.testing.assert_allclose(tab.loc[ok, "ci_upper"], hi[ok], rtol=1e-8)
        assert (tab["ci_lower"] <= tab["cif"]).all() and (tab["cif"] <= tab["ci_upper"]).all()


def test_aj_recovers_truth_with_entry_and_naive_is_biased():
    # causes 1 and 2 are drawn 50/50, so F_k(t) = (1 - S(t) / S(t0)) / 2 given survival to t0
    def surv(t):
        return np.exp(-1e-4 / 0.09 * np.expm1(0.09 * t))

    covered, est, naive = 0, [], []
    for seed in range(1, 9):
        df = _left_truncated(seed=seed)
        df = df[df["x"] == 0]
        true = 0.5 * (1 - surv(65) / surv(df["entry"].min()))
        res = cumulative_incidence(df, "age", "cause", entry="entry", suppress=False)
        res_naive = cumulative_incidence(df, "age", "cause", suppress=False)
        for k in (1, 2):
            row = res.table[(res.table["cause"] == k) & (res.table["time"] <= 65)].iloc[-1]
            covered += row["ci_lower"] < true < row["ci_upper"]
            est.append(row["cif"])
            naive.append(_cif(res_naive, k, 65)[0])
    assert covered >= 14  # of 16 nominal-95% intervals
    assert np.mean(est) == pytest.approx(true, abs=0.01)
    assert np.mean(naive) < true - 0.05


def test_aj_by_group_and_plot():
    df = _left_truncated(n=500)
    res = cumulative_incidence(df, "age", "cause", entry="entry", by="sex", causes=[1],
                               at_risk_times=[30, 60])
    assert set(res.table["group"]) == {"female", "male"}
    assert set(res.table["cause"]) == {1}
    ax = res.plot()
    drawn = [t.get_text() for t in ax.texts if t.get_gid() == "at_risk"]
    assert drawn == [str(n) for n in res.extra["at_risk"]["at_risk"]]
    matplotlib.pyplot.close("all")


def test_aj_on_synthetic_register_string_causes():
    from harkit import synth

    p = synth.generate(2000, seed=5, sud_fraction=0.5, documents=False,
                       progress=False).truth.persons
    start = pd.Timestamp("1950-01-01")
    p = p.assign(window_entry=np.maximum(
        p["entry_age"], (start - p["birth_date"]).dt.days / 365.25))
    res = cumulative_incidence(p, "age_at_death", "cause_group", entry="window_entry",
                               by="sex", censor_value="none", suppress=False)
    assert any("decedents-only" in n for n in res.notes)
    for sex in ("female", "male"):
        tab = res.table[res.table["group"] == sex]
        last = tab.groupby("cause")["cif"].last()
        # everybody died: the cause-specific CIFs end summing to one
        assert last.sum() == pytest.approx(1.0, abs=1e-12)
        s = p[p["sex"] == sex]
        kmf = KaplanMeierFitter().fit(s["age_at_death"], np.ones(len(s)),
                                      entry=s["window_entry"])
        t = tab["time"].max() - 5
        total = sum(_cif(res, k, t, group=sex)[0] for k in last.index)
        sv = kmf.survival_function_.iloc[:, 0].reindex([t], method="ffill").iloc[0]
        assert total == pytest.approx(1 - sv, abs=1e-12)


# ----------------------------------------------------------------------------- bad input


def test_bad_input():
    with pytest.raises(ValueError, match="no rows"):
        kaplan_meier(HAND.iloc[:0], "exit", "died")
    with pytest.raises(ValueError, match="missing"):
        kaplan_meier(HAND.assign(exit=[2, np.nan, 4, 5, 6]), "exit", "died")
    with pytest.raises(ValueError, match="entry"):
        kaplan_meier(HAND.assign(entry=[0, 0, 9, 2, 3.0]), "exit", "died", entry="entry")
    with pytest.raises(KeyError):
        kaplan_meier(HAND, "nope", "died")
    with pytest.raises(ValueError, match="0/1"):
        kaplan_meier(HAND, "exit", "cause")
    with pytest.raises(ValueError, match="no events"):
        cumulative_incidence(HAND.assign(cause=0), "exit", "cause")
    with pytest.raises(TypeError, match="formula"):
        cox(HAND.assign(s=["a", "b", "a", "b", "a"]), ["s"], "exit", "died")
    with pytest.raises(ValueError, match="never occur"):
        cumulative_incidence(HAND, "exit", "cause", causes=[7])


def test_warnings_empty_group_gap_and_zero_length():
    df = HAND.assign(g=pd.Categorical(["a"] * 5, categories=["a", "b"]))
    with pytest.warns(UserWarning, match="no rows"):
        res = kaplan_meier(df, "exit", "died", entry="entry", by="g", suppress=False)
    assert set(res.table["group"]) == {"a"} and res.table["survival"].notna().all()
    gap = pd.DataFrame({"entry": [0, 0, 10.0], "exit": [1, 2, 12.0], "died": [1, 1, 1]})
    with pytest.warns(UserWarning, match="nobody is at risk between 2 and 10"):
        cumulative_incidence(gap, "exit", "died", entry="entry")
    with pytest.warns(UserWarning, match="never at risk"):
        kaplan_meier(HAND.assign(entry=[0, 0, 4, 2, 3.0]), "exit", "died", entry="entry")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kaplan_meier(HAND, "exit", "died", entry="entry")


def test_at_risk_counts_under_the_plot_hide_small_numbers():
    import matplotlib

    matplotlib.use("Agg")
    df = pd.DataFrame({"age": [50.0, 60.0, 70.0, 80.0, 85.0, 90.0, 95.0],
                       "event": [1, 1, 1, 1, 1, 1, 1]})
    res = kaplan_meier(df, "age", "event", at_risk_times=[40, 88])
    ax = res.plot()
    drawn = [t.get_text() for t in ax.texts if t.get_gid() == "at_risk"]
    # the extra table used to hold the exact counts (a leak): now it is what the plot shows
    assert res.extra["at_risk"]["at_risk"].tolist() == ["7", "*"]
    assert drawn == ["7", "*"]
    exact = kaplan_meier(df, "age", "event", at_risk_times=[40, 88], suppress=False)
    assert exact.extra["at_risk"]["at_risk"].tolist() == [7, 2]
    ax = exact.plot()
    assert [t.get_text() for t in ax.texts if t.get_gid() == "at_risk"] == ["7", "2"]


def test_cox_warns_of_an_infinite_coefficient_and_keeps_the_others_as_lifelines():
    # only the exposed have events: the likelihood rises without bound in x (R warns
    # "coefficient may be infinite"); the other covariate must still be estimated
    rng = np.random.default_rng(1)
    n = 300
    x = rng.integers(0, 2, n)
    z = rng.normal(size=n)
    t = np.where(x == 1, rng.exponential(np.exp(-0.5 * z)), 5 + rng.uniform(0, 1, n))
    df = pd.DataFrame({"t": t, "e": (x == 1).astype(int), "x": x, "z": z})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = cox(df, ["x", "z"], "t", "e", suppress=False)
    messages = [str(w.message) for w in caught]
    assert any("converged before x" in m for m in messages), messages
    assert not any("overflow" in m for m in messages), messages
    ref = CoxPHFitter().fit(df[df["x"] == 1][["t", "e", "z"]], "t", "e")
    got = res.table.set_index("covariate").loc["z", "coef"]
    assert got == pytest.approx(ref.params_["z"], abs=1e-6)


def test_cox_with_large_covariate_values_does_not_overflow():
    # calendar year as a covariate: eta = beta * 2000 would overflow exp() unshifted
    rng = np.random.default_rng(2)
    n = 400
    year = rng.integers(1950, 2016, n).astype(float)
    t = rng.exponential(np.exp(-0.02 * (year - 1980)))
    df = pd.DataFrame({"t": t, "e": 1, "year": year, "year_c": year - 1980})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = cox(df, ["year"], "t", "e", suppress=False).table
        b = cox(df, ["year_c"], "t", "e", suppress=False).table
    assert a["coef"].iloc[0] == pytest.approx(b["coef"].iloc[0], rel=1e-9)
    assert a["se"].iloc[0] == pytest.approx(b["se"].iloc[0], rel=1e-7)
