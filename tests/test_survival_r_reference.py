"""harkit's survival estimators against R (survival 3.x) on data harkit does not generate.

The reference values come from the R scripts in tests/r_reference/, committed beside the
CSV files they write (inputs and outputs); CI has no R and reads the CSV files.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harkit.survival import cox, kaplan_meier

REF = Path(__file__).parent / "r_reference"


def _channing() -> pd.DataFrame:
    return pd.read_csv(REF / "channing.csv")


def _km_ref(dataset: str, conf: str) -> pd.DataFrame:
    ref = pd.read_csv(REF / "km_survfit.csv")
    return ref[(ref["dataset"] == dataset) & (ref["conf_type"] == conf)]


def _compare_km(res_table: pd.DataFrame, ref: pd.DataFrame) -> None:
    for g, r in ref.groupby("group"):
        tab = res_table[res_table["group"].astype(str) == str(g)].iloc[1:].set_index("time")
        got = tab.loc[r["time"].to_numpy(float)]
        np.testing.assert_array_equal(got["at_risk"].to_numpy(int), r["n_risk"].to_numpy())
        np.testing.assert_array_equal(got["events"].to_numpy(int), r["n_event"].to_numpy())
        for mine, theirs in (("survival", "surv"), ("se", "std_err"), ("ci_lower", "lower"),
                             ("ci_upper", "upper")):
            np.testing.assert_allclose(got[mine].to_numpy(float), r[theirs].to_numpy(float),
                                       rtol=1e-10, atol=1e-12, equal_nan=True,
                                       err_msg=f"{g} {mine}")


@pytest.mark.parametrize("conf", ["log", "log-log", "plain"])
def test_km_channing_by_sex_matches_survfit_including_the_drop_to_zero(conf):
    ch = _channing()
    # boot::channing has one row with entry after exit: harkit names it, R drops it
    with pytest.raises(ValueError, match="1 row"):
        kaplan_meier(ch, "exit", "cens", entry="entry", by="sex")
    ch = ch[ch["exit"] > ch["entry"]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # lifelines' refusal must not leak
        warnings.filterwarnings("ignore", "group 'Male': nobody is at risk", UserWarning)
        res = kaplan_meier(ch, "exit", "cens", entry="entry", by="sex", conf_type=conf,
                           suppress=False)
    ref = _km_ref("channing", conf)
    assert set(ref["group"]) == {"Female", "Male"}  # the women's curve is kept
    _compare_km(res.table, ref)
    men = res.table[res.table["group"] == "Male"]
    # the only man at risk at 781 months dies: the curve is 0 from there, SE undefined
    assert men.loc[men["time"] >= 781, "survival"].eq(0).all()
    assert men.loc[men["time"] >= 781, "se"].isna().all()
    assert any("drops to 0" in n for n in res.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        shown = kaplan_meier(ch, "exit", "cens", entry="entry", by="sex", conf_type=conf,
                             at_risk_times=[900, 1000, 1100])
    assert list(pd.unique(shown.table["group"])) == ["Female", "Male"]


@pytest.mark.parametrize("conf", ["log", "log-log", "plain"])
def test_km_matches_survfit_on_men_from_68_and_on_lung(conf):
    ch = _channing()
    men = ch[(ch["sex"] == "Male") & (ch["exit"] > 816) & (ch["exit"] > ch["entry"])].assign(
        start=lambda d: np.maximum(d["entry"], 816))
    res = kaplan_meier(men, "exit", "cens", entry="start", conf_type=conf, suppress=False)
    _compare_km(res.table, _km_ref("channing_men_816", conf))
    lung = pd.read_csv(REF / "lung.csv").assign(dead=lambda d: (d["status"] == 2).astype(int))
    res = kaplan_meier(lung, "time", "dead", by="sex", conf_type=conf, suppress=False)
    _compare_km(res.table, _km_ref("lung", conf))


def test_km_greenwood_variance_column_and_old_keyword():
    lung = pd.read_csv(REF / "lung.csv").assign(dead=lambda d: (d["status"] == 2).astype(int))
    res = kaplan_meier(lung, exit="time", event="dead", suppress=False)
    np.testing.assert_allclose(res.table["var_greenwood"], res.table["se"] ** 2)
    old = kaplan_meier(lung, duration="time", event="dead", suppress=False)
    pd.testing.assert_frame_equal(old.table, res.table)
    with pytest.raises(ValueError, match="conf_type"):
        kaplan_meier(lung, "time", "dead", conf_type="arcsin")


def _cox_inputs(model: str):
    if model.startswith("lung"):
        return pd.read_csv(REF / "lung_cc.csv"), "time", None
    return pd.read_csv(REF / "heart.csv"), "stop", "start"


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("model", ["lung", "lung_strata_sex", "lung_cluster_inst",
                                   "heart_startstop", "heart_startstop_cluster_id"])
def test_cox_matches_coxph(model, ties):
    ref = pd.read_csv(REF / "cox_coxph.csv")
    ref = ref[(ref["model"] == model) & (ref["ties"] == ties)]
    data, exit_col, entry = _cox_inputs(model)
    covs = [t.replace("transplant1", "transplant") for t in ref["term"]]
    strata = "sex" if "strata" in model else None
    cluster = "inst" if "inst" in model else "id" if "cluster_id" in model else None
    res = cox(data, covs, exit_col, "event", entry=entry, strata=strata, cluster=cluster,
              ties=ties, suppress=False)
    tab = res.table
    np.testing.assert_allclose(tab["coef"], ref["coef"], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(tab["se"], ref["se"], rtol=1e-7)
    if cluster:
        np.testing.assert_allclose(tab["robust_se"], ref["robust_se"], rtol=1e-7)
    else:
        assert "robust_se" not in tab
    np.testing.assert_allclose(tab["p"], ref["p"], rtol=1e-6)
    fit = res.extra["fit"]
    assert fit["loglik"] == pytest.approx(ref["loglik"].iloc[0], abs=1e-8)
    assert fit["loglik_null"] == pytest.approx(ref["loglik_null"].iloc[0], abs=1e-8)
    assert fit["lr_stat"] == pytest.approx(ref["lr_stat"].iloc[0], abs=1e-7)
    assert fit["lr_p"] == pytest.approx(ref["lr_p"].iloc[0], rel=1e-6)


def test_cox_formula_drops_unused_levels_and_rejects_bad_ties():
    lung = pd.read_csv(REF / "lung_cc.csv")
    lung["ecog"] = pd.Categorical(lung["ph.ecog"].astype(int).astype(str),
                                  categories=["0", "1", "2", "3", "4"])
    lung["sexc"] = lung["sex"].map({1: "m", 2: "f"})
    res = cox(lung, "age + ecog", "time", "event", suppress=False)
    assert any("Unused level" in n and "'4'" in n for n in res.notes)
    assert not res.table["covariate"].str.contains("4").any()
    # same fit as the 0/1 indicators by hand
    ind = lung.assign(e1=(lung["ecog"] == "1").astype(float),
                      e2=(lung["ecog"] == "2").astype(float),
                      e3=(lung["ecog"] == "3").astype(float))
    hand = cox(ind, ["age", "e1", "e2", "e3"], "time", "event", suppress=False)
    np.testing.assert_allclose(res.table["coef"], hand.table["coef"], rtol=1e-10)
    with pytest.raises(ValueError, match="ties"):
        cox(lung, ["age"], "time", "event", ties="exact")


def test_cox_start_stop_matches_lifelines_time_varying_fitter():
    from lifelines import CoxTimeVaryingFitter

    heart = pd.read_csv(REF / "heart.csv")
    covs = ["age", "year", "surgery", "transplant"]
    res = cox(heart, covs, "stop", "event", entry="start", cluster="id", suppress=False)
    ctv = CoxTimeVaryingFitter().fit(heart[["id", "start", "stop", "event", *covs]],
                                     id_col="id", event_col="event", start_col="start",
                                     stop_col="stop")
    np.testing.assert_allclose(res.table["coef"], ctv.params_[covs], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res.table["se"], ctv.standard_errors_[covs], rtol=1e-4)
