"""Exposure timing in the cohort table: entry choices and time-varying exposure rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxTimeVaryingFitter

import harkit as hk
from harkit.cohort import exposure_intervals


@pytest.fixture(scope="module")
def ex():
    return hk.datasets.load_synthetic(3000, seed=21, documents=False)


def test_entry_choices(ex):
    win = hk.cohort.build(ex)
    first = hk.cohort.build(ex, entry="first_diagnosis")
    lm = hk.cohort.build(ex, entry="landmark", landmark_age=40)
    assert (win["entry"] == "window").all() and win["at_risk"].all()
    sud = first["age_first_sud"].notna()
    # diagnosed persons enter at their first diagnosis unless the window starts later
    expect = np.minimum(np.maximum(win.loc[sud, "entry_age"], first.loc[sud, "age_first_sud"]),
                        first.loc[sud, "age_at_death"])
    np.testing.assert_allclose(first.loc[sud, "entry_age"], expect)
    np.testing.assert_allclose(first.loc[~sud, "entry_age"], win.loc[~sud, "entry_age"])
    assert (lm["entry_age"] >= 40).all()
    assert (lm["at_risk"] == (lm["age_at_death"] > lm["entry_age"])).all()
    early = lm["age_first_sud"] <= 40
    assert (lm.loc[~early, "sud_before_landmark"] == "none").all()
    assert (lm.loc[early, "sud_before_landmark"].astype(str)
            == lm.loc[early, "sud_group"].astype(str)).all()
    with pytest.raises(ValueError, match="landmark_age"):
        hk.cohort.build(ex, entry="landmark")
    with pytest.raises(ValueError, match="entry"):
        hk.cohort.build(ex, entry="birth")


def test_exposure_intervals_rows():
    c = pd.DataFrame({"person_id": ["a", "b", "c", "d"],
                      "entry_age": [10.0, 10.0, 30.0, 10.0],
                      "age_at_death": [50.0, 60.0, 70.0, 40.0],
                      "age_first_sud": [30.0, np.nan, 20.0, 40.0],
                      "sex": ["male", "female", "male", "female"]})
    r = exposure_intervals(c)
    want = pd.DataFrame({"person_id": ["a", "a", "b", "c", "d"],
                         "start": [10.0, 30.0, 10.0, 30.0, 10.0],
                         "stop": [30.0, 50.0, 60.0, 70.0, 40.0],
                         "exposed": [0, 1, 0, 1, 0], "event": [0, 1, 1, 1, 1],
                         "sex": ["male", "male", "female", "male", "female"]})
    pd.testing.assert_frame_equal(r, want, check_dtype=False)


@pytest.mark.filterwarnings("ignore::lifelines.exceptions.ConvergenceWarning")
def test_time_varying_hr_recovered_by_lifelines():
    # exponential hazard 0.02, times 3 from an exposure age: lifelines on the rows recovers
    # the planted hazard ratio (reference: the planted value)
    rng = np.random.default_rng(3)
    n = 6000
    onset = np.where(rng.random(n) < 0.5, rng.uniform(0, 30, n), np.nan)
    base, hr = 0.02, 3.0
    e = rng.standard_exponential(n)
    t_pre = e / base
    t = np.where(np.isnan(onset) | (t_pre < np.nan_to_num(onset, nan=np.inf)), t_pre,
                 np.nan_to_num(onset) + (e - base * np.nan_to_num(onset)) / (base * hr))
    c = pd.DataFrame({"person_id": np.arange(n), "entry_age": 0.0, "age_at_death": t,
                      "age_first_sud": onset})
    rows = exposure_intervals(c, keep=())
    fit = CoxTimeVaryingFitter().fit(rows, id_col="person_id", start_col="start",
                                     stop_col="stop", event_col="event")
    lo, hi = np.exp(fit.confidence_intervals_.loc["exposed"])
    assert lo < hr < hi
