"""Tests of the truncation-aware NPMLE (harkit.survival.truncation)."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from _gompertz_register import gompertz_register
from lifelines import KaplanMeierFitter
from scipy import stats
from scipy.integrate import trapezoid  # np.trapezoid needs numpy 2

from harkit.survival.age_at_death import AgeAtDeathResult, age_at_death
from harkit.survival.truncation import (
    EfronPetrosianResult,
    TruncationWarning,
    efron_petrosian,
)

matplotlib.use("Agg")

# Efron & Petrosian (1999) toy data, as printed in double.truncation's NPMLE.Rd;
# F from R DTDA::efron.petrosian (shared/reference/README.md).
EP_X = [0.75, 1.25, 1.50, 1.05, 2.40, 2.50, 2.25]
EP_U = [0.4, 0.8, 0.0, 0.3, 1.1, 2.3, 1.3]
EP_V = [2.0, 1.8, 2.3, 1.4, 3.0, 3.4, 2.6]
EP_F_DTDA = [0.13713, 0.22766, 0.30869, 0.40349, 0.63521, 0.81760, 1.0]


def shen_slow(x, u, v, tol=1e-13, max_iter=200_000):
    """Plain Shen (2010) alternating iteration on the full n x n matrix J (one mass per
    observation, no ties handling, no acceleration). Returns unique x and F there."""
    x, u, v = (np.asarray(a, dtype=float) for a in (x, u, v))
    n = len(x)
    jmat = np.zeros((n, n))
    for i in range(n):
        for m in range(n):
            jmat[i, m] = 1.0 if u[i] <= x[m] <= v[i] else 0.0
    f = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        big_f = jmat @ f                      # P(window of i)
        k = (1.0 / big_f) / np.sum(1.0 / big_f)
        big_k = jmat.T @ k                    # P(x_m observable)
        f_new = (1.0 / big_k) / np.sum(1.0 / big_k)
        if np.max(np.abs(f_new - f)) < tol:
            f = f_new
            break
        f = f_new
    else:
        raise RuntimeError("shen_slow did not converge")
    z = np.unique(x)
    return z, np.array([f[x <= t].sum() for t in z])


def _random_dt(rng, n, decimals=None, int_windows=False):
    """Doubly truncated gamma data with wide, overlapping windows; rounding makes ties in x
    and (with int_windows) values on the window bounds."""
    out_x, out_u, out_v = [], [], []
    while len(out_x) < n:
        x = rng.gamma(3.0, 1.0)
        if decimals is not None:
            x = round(x, decimals)
        u = rng.uniform(-1, 4)
        v = u + rng.uniform(3, 8)
        if int_windows:
            u, v = float(round(u)), float(round(v))
        if u <= x <= v:
            out_x.append(x)
            out_u.append(u)
            out_v.append(v)
    return np.array(out_x), np.array(out_u), np.array(out_v)


# ---------------------------------------------------------------- reference values

def test_reproduces_dtda_seven_point_example():
    res = efron_petrosian(EP_X, EP_U, EP_V, progress=False, suppress=False)
    assert isinstance(res, EfronPetrosianResult)
    np.testing.assert_allclose(res.table["x"], sorted(EP_X))
    np.testing.assert_allclose(res.table["cdf"], EP_F_DTDA, atol=1e-5)
    np.testing.assert_allclose(res.table["survival"], 1 - np.array(EP_F_DTDA), atol=1e-5)
    assert res.extra["algorithm"] == "Efron-Petrosian"
    assert res.extra["n_components"] == 1
    # log-likelihood sum log f_i - log F_i, methods.md section 1.3: -8.6276
    z, f = res.table["x"].to_numpy(), res.table["mass"].to_numpy()
    fx = f[np.searchsorted(z, EP_X)]
    big_f = np.array([f[(z >= a) & (z <= b)].sum() for a, b in zip(EP_U, EP_V)])
    assert np.sum(np.log(fx) - np.log(big_f)) == pytest.approx(-8.6276, abs=1e-3)


def test_seven_point_example_against_slow_shen():
    z, big_f = shen_slow(EP_X, EP_U, EP_V)
    res = efron_petrosian(EP_X, EP_U, EP_V, progress=False, suppress=False)
    np.testing.assert_allclose(res.table["cdf"], big_f, atol=1e-8)


@pytest.mark.parametrize("seed,decimals,int_windows",
                         [(1, None, False), (2, 1, False), (3, 0, False), (4, 0, True)])
def test_agrees_with_slow_shen_on_random_data(seed, decimals, int_windows):
    x, u, v = _random_dt(np.random.default_rng(seed), 80, decimals, int_windows)
    z, big_f = shen_slow(x, u, v)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncationWarning)
        res = efron_petrosian(x, u, v, progress=False, suppress=False)
    np.testing.assert_allclose(res.table["x"], z)
    np.testing.assert_allclose(res.table["cdf"], big_f, atol=1e-7)
    assert res.table["n"].sum() == len(x)
    if decimals is not None:       # ties really present
        assert res.table["n"].max() > 1
    if int_windows:                # some x sit exactly on a window bound (closed windows)
        assert np.isin(x, np.concatenate([u, v])).any()


def test_lynden_bell_left_truncation_matches_lifelines_km_with_entry():
    rng = np.random.default_rng(4)
    u = rng.uniform(0, 3, 4000)
    x = rng.weibull(1.5, 4000) * 3
    keep = x >= u
    x, u = x[keep][:1500], u[keep][:1500]
    res = efron_petrosian(x, u, np.inf, progress=False, suppress=False)
    assert res.extra["algorithm"] == "Lynden-Bell (left truncation)"
    km = KaplanMeierFitter().fit(x, np.ones_like(x), entry=u)
    s_ref = km.survival_function_at_times(res.table["x"]).to_numpy()
    np.testing.assert_allclose(res.table["survival"], s_ref, atol=1e-10)


def test_lynden_bell_right_truncation_matches_reverse_time_km():
    # Lagakos et al. (1988): right truncation x <= v is left truncation of c - x
    rng = np.random.default_rng(5)
    x = rng.gamma(2.0, 1.0, 5000)
    v = rng.uniform(1, 8, 5000)
    keep = x <= v
    x, v = x[keep][:1500], v[keep][:1500]
    res = efron_petrosian(x, -np.inf, v, progress=False, suppress=False)
    assert res.extra["algorithm"] == "Lynden-Bell (right truncation)"
    c = 20.0
    km = KaplanMeierFitter().fit(c - x, np.ones_like(x), entry=c - v)
    # F(x) = P(X <= x) = P(T* >= c - x) = S*((c - x)-)
    t_star = c - res.table["x"].to_numpy()
    s_minus = km.survival_function_at_times(t_star - 1e-9).to_numpy()
    np.testing.assert_allclose(res.table["cdf"], s_minus, atol=1e-10)


def test_closed_form_equals_iteration_when_one_side_is_far():
    rng = np.random.default_rng(6)
    x, u, _ = _random_dt(rng, 300)
    closed = efron_petrosian(x, u, np.inf, progress=False, suppress=False)
    iterated = efron_petrosian(x, u, 1e6, progress=False, suppress=False)
    assert iterated.extra["algorithm"] == "Efron-Petrosian"
    np.testing.assert_allclose(closed.table["cdf"], iterated.table["cdf"], atol=1e-7)


def test_no_truncation_gives_ecdf():
    x = np.array([3.0, 1.0, 2.0, 2.0, 5.0])
    res = efron_petrosian(x, -np.inf, np.inf, progress=False, suppress=False)
    np.testing.assert_allclose(res.table["cdf"], [0.2, 0.6, 0.8, 1.0])


# ---------------------------------------------------------------- existence, bad input

def test_warns_when_a_window_contains_only_its_own_point():
    x = [1.0, 2.0, 3.0, 4.0, 2.5]
    u = [0.0, 0.5, 0.5, 2.0, 2.4]
    v = [4.5, 4.5, 4.5, 5.0, 2.6]      # the last window holds only x = 2.5
    with pytest.warns(TruncationWarning, match="not strongly connected"):
        res = efron_petrosian(x, u, v, progress=False, suppress=False, max_iter=2000)
    assert res.extra["n_components"] > 1
    assert any("not strongly connected" in n for n in res.notes)


def test_warns_when_data_split_into_unbridged_groups():
    x = [1.0, 1.2, 1.4, 5.0, 5.2, 5.4]
    u = [0.5, 0.5, 0.5, 4.5, 4.5, 4.5]
    v = [2.0, 2.0, 2.0, 6.0, 6.0, 6.0]
    with pytest.warns(TruncationWarning, match="2 components"):
        efron_petrosian(x, u, v, progress=False, suppress=False, max_iter=200)


def test_connected_example_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        efron_petrosian(EP_X, EP_U, EP_V, progress=False, suppress=False)


def test_all_tied_warns_and_gives_point_mass():
    with pytest.warns(TruncationWarning, match="tied"):
        res = efron_petrosian([2.0, 2.0, 2.0], [1.0, 0.0, 1.5], [3.0, 4.0, 2.5],
                              progress=False, suppress=False)
    assert res.table["cdf"].tolist() == [1.0]
    assert res.mean() == 2.0


@pytest.mark.parametrize("x,u,v,match", [
    ([], [], [], "empty"),
    ([1.0, np.nan], [0.0, 0.0], [2.0, 2.0], "missing"),
    ([1.0, 2.0], [0.0, np.nan], [2.0, 3.0], "missing"),
    ([1.0, 3.0], [0.0, 0.0], [2.0, 2.0], "outside"),
])
def test_bad_input_raises(x, u, v, match):
    with pytest.raises(ValueError, match=match):
        efron_petrosian(x, u, v, progress=False, suppress=False)


# ---------------------------------------------------------------- bootstrap, result API

def test_bootstrap_band_reproducible_and_sane():
    x, u, v = _random_dt(np.random.default_rng(7), 200)
    a = efron_petrosian(x, u, v, bootstrap=60, seed=11, progress=False, suppress=False)
    b = efron_petrosian(x, u, v, bootstrap=60, seed=11, progress=False, suppress=False)
    pd.testing.assert_frame_equal(a.table, b.table)
    t = a.table
    assert {"cdf_lower", "cdf_upper", "survival_lower", "survival_upper"} <= set(t.columns)
    assert (t["cdf_lower"] <= t["cdf"] + 1e-12).all() and (t["cdf"] <= t["cdf_upper"] + 1e-12).all()
    inner = t.iloc[10:-10]            # band has width away from the ends
    assert (inner["cdf_upper"] - inner["cdf_lower"] > 0.01).all()
    np.testing.assert_allclose(t["survival_lower"], 1 - t["cdf_upper"])
    assert len(a.extra["bootstrap"]) == 60


def test_result_api():
    res = efron_petrosian(EP_X, EP_U, EP_V, progress=False, suppress=False)
    assert "Efron-Petrosian" in res._repr_html_()
    assert res.summary() is res.table
    ax = res.plot(survival=True)
    assert ax.get_ylabel() == "S(x)"
    assert res.quantile(0.5) == 2.25          # first x with F >= 0.5
    assert res.cdf([0.0, 1.05, 9.0]).tolist() == pytest.approx([0.0, 0.22766, 1.0], abs=1e-5)
    with pytest.raises(ValueError):
        res.quantile(0.0)


# ---------------------------------------------------------------- synthetic register

def _true_survival(age, male_share, b=2.5e-5, g=0.1, beta_male=0.35, beta_com=0.15,
                   lam=0.9, cap=8):
    """Population survival of comparison lives: the planted Gompertz PH model mixed over sex
    and the Poisson(lam) comorbidity score capped at cap (tests/_gompertz_register.py)."""
    k = np.arange(cap + 1)
    pk = stats.poisson.pmf(k, lam)
    pk[-1] += stats.poisson.sf(cap, lam)
    a = np.asarray(age, dtype=float)[..., None, None]
    lp = beta_male * np.array([0.0, 1.0])[:, None] + beta_com * k[None, :]
    w = np.array([1 - male_share, male_share])[:, None] * pk[None, :]
    return (w * np.exp(-b * np.exp(lp) / g * (np.exp(g * a) - 1))).sum(axis=(-1, -2))


def _true_mean(male_share):
    a = np.linspace(0, 130, 26001)
    return float(trapezoid(_true_survival(a, male_share), a))


@pytest.fixture(scope="module")
def comparison_cohort():
    # comparison lives of a register drawn from exactly the Gompertz model above (the
    # synthetic register of harkit.synth runs under the Norwegian tables instead)
    p, t = gompertz_register(3000, seed=1, sud_share=0.0)
    assert (p["entry_age"] == 0).all()
    assert (t.gompertz_b, t.gompertz_g) == (2.5e-5, 0.1)
    assert t.beta["male"] == 0.35 and t.beta["comorbidity"] == 0.15
    return pd.DataFrame({
        "sex": p["sex"].astype(str),
        "age_at_death": p["age_at_death"],
        "entry_age": p["entry"],
        "exit_age": p["exit"],
    })


def test_recovers_true_distribution_where_naive_is_biased(comparison_cohort):
    c = comparison_cohort
    x = c["age_at_death"].to_numpy()
    res = efron_petrosian(x, c["entry_age"], c["exit_age"], progress=False, suppress=False)
    grid = np.arange(20.0, 101.0, 5.0)
    f_true = 1 - _true_survival(grid, 0.49)
    f_aware = res.cdf(grid)
    f_naive = (x[:, None] <= grid).mean(axis=0)
    # Kolmogorov-type distance on the grid: aware within sampling error (n = 3000) ...
    assert np.max(np.abs(f_aware - f_true)) < 0.03
    # ... the naive ECDF is not (outside the band the aware one keeps): too many young
    # deaths from late-born cohorts
    assert np.max(np.abs(f_naive - f_true)) > 0.03
    assert (f_naive - f_true)[grid == 80.0][0] > 0.03
    assert abs(res.mean() - _true_mean(0.49)) < 0.6
    assert _true_mean(0.49) - x.mean() > 1.0


def test_age_at_death_by_sex_recovers_truth(comparison_cohort):
    res = age_at_death(comparison_cohort, by="sex", bootstrap=100, seed=3, progress=False,
                       suppress=False)
    assert isinstance(res, AgeAtDeathResult)
    t = res.table.set_index("sex")
    assert set(t.index) == {"female", "male"}
    for sex, male_share in (("female", 0.0), ("male", 1.0)):
        row, truth = t.loc[sex], _true_mean(male_share)
        assert row["aware_mean_lower"] <= truth <= row["aware_mean_upper"]
        assert not row["naive_mean_lower"] <= truth <= row["naive_mean_upper"]
        assert row["naive_mean"] < truth - 0.8        # naive biased downwards
        a = comparison_cohort.loc[comparison_cohort["sex"] == sex, "age_at_death"]
        assert row["n"] == len(a)
        assert row["naive_mean"] == pytest.approx(a.mean())
        assert row["naive_median"] == pytest.approx(a.median())
        lo, hi = stats.t.interval(0.95, len(a) - 1, loc=a.mean(), scale=stats.sem(a))
        assert (row["naive_mean_lower"], row["naive_mean_upper"]) == pytest.approx((lo, hi))
        assert row["connected"]
    # the true female-male gap in mean age at death
    gap_true = _true_mean(0.0) - _true_mean(1.0)
    gap_aware = t.loc["female", "aware_mean"] - t.loc["male", "aware_mean"]
    assert abs(gap_aware - gap_true) < 1.5
    assert any("naive" in n for n in res.notes)
    assert res.plot() is not None and res.plot(stat="median") is not None


def test_age_at_death_bad_input(comparison_cohort):
    c = comparison_cohort.head(200).copy()
    with pytest.raises(KeyError, match="exit_age"):
        age_at_death(c.drop(columns="exit_age"), bootstrap=0, progress=False)
    with pytest.raises(ValueError, match="empty"):
        age_at_death(c.iloc[:0], bootstrap=0, progress=False)
    c.loc[c.index[:3], "age_at_death"] = np.nan
    with pytest.warns(UserWarning, match="3 of 200 rows"):
        res = age_at_death(c, bootstrap=0, progress=False, suppress=False)
    assert res.table["n"].iloc[0] == 197
    c = c.dropna()
    c["sex"] = pd.Categorical(c["sex"], categories=["female", "male", "unknown"])
    with pytest.warns(UserWarning, match="fewer than 10"):
        res = age_at_death(c, by="sex", bootstrap=0, progress=False)
    assert "unknown" not in set(res.table["sex"])
    assert not res.table.isna().any().any()
    with pytest.raises(ValueError, match="no group"), pytest.warns(UserWarning, match="left out"):
        age_at_death(c.head(20), by="sex", min_n=50, bootstrap=0, progress=False)
    bad = comparison_cohort.head(50).copy()
    bad.loc[bad.index[0], "entry_age"] = bad["age_at_death"].iloc[0] + 1
    with pytest.raises(ValueError, match="outside"):
        age_at_death(bad, bootstrap=0, progress=False)


@pytest.mark.parametrize("seed", range(6))
def test_component_count_matches_dense_graph(seed):
    # reference: scipy's SCC on the explicit graph z_j -> z_k (z_k in a window of an
    # observation at z_j), against the segment-tree construction in the module
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(0, 10, 40), 1)
    u = x - rng.exponential(0.6, 40)
    v = x + rng.exponential(0.6, 40)
    z = np.unique(x)
    adj = np.zeros((z.size, z.size))
    for xi, ui, vi in zip(x, u, v):
        adj[np.searchsorted(z, xi), (z >= ui) & (z <= vi)] = 1
    n_ref = connected_components(adj, directed=True, connection="strong")[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncationWarning)
        res = efron_petrosian(x, u, v, progress=False, suppress=False, max_iter=50)
    assert res.extra["n_components"] == n_ref


def test_age_at_death_by_two_columns(comparison_cohort):
    c = comparison_cohort.assign(
        born_after_1940=(comparison_cohort["exit_age"] < 2016 - 1940).map(
            {True: "born after 1940", False: "born 1940 or before"}))
    res = age_at_death(c, by=["sex", "born_after_1940"], bootstrap=0, progress=False,
                       suppress=False)
    t = res.table
    assert len(t) == 4 and t["n"].sum() == len(c)
    assert list(t.columns[:3]) == ["sex", "born_after_1940", "n"]
    # late-born cohorts are seen only if they died young: the naive mean is far lower there
    late = t[t["born_after_1940"] == "born after 1940"]
    early = t[t["born_after_1940"] == "born 1940 or before"]
    assert (late["naive_mean"].to_numpy() < early["naive_mean"].to_numpy() - 10).all()
    assert set(res.extra["fits"]) == set(zip(t["sex"], t["born_after_1940"]))


def test_dataframe_form_equals_array_form():
    rng = np.random.default_rng(11)
    x = rng.uniform(20, 80, 300)
    df = pd.DataFrame({"age": x, "lo": x - rng.uniform(0, 30, 300),
                       "hi": x + rng.uniform(0, 30, 300)})
    arr = efron_petrosian(df["age"], df["lo"], df["hi"], suppress=False)
    frame = efron_petrosian(df, exit="age", entry="lo", right_truncation="hi", suppress=False)
    pd.testing.assert_frame_equal(arr.table, frame.table)
    left = efron_petrosian(df, exit="age", entry="lo", suppress=False)
    ref = efron_petrosian(df["age"], df["lo"], np.inf, suppress=False)
    pd.testing.assert_frame_equal(left.table, ref.table)
    with pytest.raises(TypeError, match="exit="):
        efron_petrosian(df)
    with pytest.raises(KeyError, match="nope"):
        efron_petrosian(df, exit="nope")
