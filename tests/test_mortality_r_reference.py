"""PMR and MOR against R (base R stats) on a small table of counts written by R."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harkit.survival import mortality_odds_ratio, proportional_mortality

REF = Path(__file__).parent / "r_reference"


def _deaths() -> pd.DataFrame:
    c = pd.read_csv(REF / "mortality_counts.csv")
    return c.loc[c.index.repeat(c["n"])].drop(columns="n").reset_index(drop=True)


def _ref(what: str, cause: str) -> float:
    r = pd.read_csv(REF / "mortality_r.csv")
    return float(r.loc[(r["what"] == what) & (r["cause"] == cause), "value"].iloc[0])


def test_mor_p_values_are_not_rounded_to_zero():
    d = _deaths()
    res = mortality_odds_ratio(d, "cause", ["common"], group_col="group",
                               reference="reference", strata=("stratum",), method="mh",
                               suppress=False).table.set_index("method")
    assert res.loc["crude", "p_value"] == pytest.approx(_ref("mor_crude_p", "common"),
                                                        rel=1e-6)
    assert res.loc["mantel-haenszel", "p_value"] == pytest.approx(
        _ref("mor_mh_p", "common"), rel=1e-6)
    assert 0 < res["p_value"].min() < 1e-200


@pytest.mark.parametrize("cause", ["rare", "common", "other"])
def test_pmr_delta_interval_matches_r(cause):
    d = _deaths()
    res = proportional_mortality(d, "cause", group_col="group", reference="reference",
                                 strata=("stratum",), ci_method="delta", suppress=False)
    row = res.table.set_index("cause").loc[cause]
    assert row["pmr"] == pytest.approx(_ref("pmr", cause), rel=1e-12)
    assert row["ci_low"] == pytest.approx(_ref("pmr_delta_low", cause), rel=1e-10)
    assert row["ci_high"] == pytest.approx(_ref("pmr_delta_high", cause), rel=1e-10)
    assert row["p_value"] == pytest.approx(_ref("pmr_delta_p", cause), rel=1e-8)
    exact = proportional_mortality(d, "cause", group_col="group", reference="reference",
                                   strata=("stratum",), suppress=False)
    e_row = exact.table.set_index("cause").loc[cause]
    assert e_row["p_value"] == pytest.approx(_ref("pmr_exact_p", cause), rel=1e-8)
    # the reference's own sampling error adds to the Poisson variance of O
    assert row["se_log_pmr"] > np.sqrt(1 / row["observed"])
    assert "_R" not in res.extra["reference_proportions"].columns


def test_pmr_delta_covers_under_a_small_reference_group():
    """Coverage under known truth (PMR = 1): a rare cause, a small internal reference."""
    rng = np.random.default_rng(7)
    shares = np.array([0.03, 0.97])
    cover = {"exact": 0, "delta": 0}
    n_sim = 150
    for _ in range(n_sim):
        ref = rng.multinomial(150, shares)
        exp_ = rng.multinomial(2000, shares)
        d = pd.DataFrame({"group": ["e"] * 2000 + ["r"] * 150,
                          "cause": ["rare"] * exp_[0] + ["x"] * exp_[1]
                          + ["rare"] * ref[0] + ["x"] * ref[1], "s": "all"})
        for how in cover:
            with warnings.catch_warnings():  # E = 0 when the reference has no rare death
                warnings.simplefilter("ignore")
                t = proportional_mortality(d, "cause", group_col="group", reference="r",
                                           strata=("s",), causes=["rare"], ci_method=how,
                                           suppress=False).table.iloc[0]
            cover[how] += bool(t["ci_low"] <= 1 <= t["ci_high"])
    assert cover["delta"] / n_sim > 0.88
    assert cover["exact"] / n_sim < 0.75  # the fixed-expected interval is anti-conservative
