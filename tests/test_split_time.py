"""Lexis splitting against R's survival::survSplit and by hand; the APC model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harkit.survival import split_time

REF = Path(__file__).parent / "r_reference"
AGE = [20, 40, 50, 60, 70, 80]
YEAR = [1950, 1960, 1970, 1980, 1990, 2000, 2010]
TSD = [0, 1, 5, 10]


def _sample() -> pd.DataFrame:
    d = pd.read_csv(REF / "harkit_sample.csv")
    return d.assign(entry_year=d["birth_year"] + d["entry_age"],
                    tsd_entry=d["entry_age"] - d["age_first_sud"])


def _split(d: pd.DataFrame) -> pd.DataFrame:
    return split_time(d, {"age": AGE, "year": YEAR, "tsd": TSD}, entry="entry_age",
                      exit="exit_age", event="event", time_scale="age",
                      scales={"year": "entry_year", "tsd": "tsd_entry"})


def test_split_matches_survsplit_on_three_time_scales():
    d = _sample()
    got = _split(d)
    ref = pd.read_csv(REF / "split_survsplit.csv")
    assert len(got) == len(ref)
    np.testing.assert_array_equal(got["person_id"], ref["person_id"])
    np.testing.assert_allclose(got["entry_age"], ref["tstart"], atol=1e-9)
    np.testing.assert_allclose(got["exit_age"], ref["tstop"], atol=1e-9)
    np.testing.assert_array_equal(got["event"], ref["event"])


def test_split_keeps_all_follow_up_and_bands_are_right():
    d = _sample()
    got = _split(d)
    tot = got.groupby("person_id")["risk_time"].sum()
    np.testing.assert_allclose(tot.to_numpy(), (d["exit_age"] - d["entry_age"]).to_numpy(),
                               atol=1e-9)
    assert got.groupby("person_id")["event"].sum().equals(d.set_index("person_id")["event"])
    # every piece lies in one band of every scale: start and end (minus a hair) agree
    for scale, b in (("age", AGE), ("year", YEAR), ("tsd", TSD)):
        end_val = got[scale] + got["risk_time"] - 1e-9
        pos = np.searchsorted(b, end_val, side="right") - 1
        end_band = np.where(pos >= 0, np.asarray(b, float)[np.maximum(pos, 0)], -np.inf)
        ok = got[scale].notna()
        np.testing.assert_array_equal(got.loc[ok, f"{scale}_band"], end_band[ok])
    # calendar year at each piece start is birth year + age
    np.testing.assert_allclose(got["year"], got["birth_year"] + got["age"], atol=1e-9)
    assert got.loc[d["age_first_sud"].isna().reindex(got["row"]).to_numpy(),
                   "tsd_band"].isna().all()


def test_split_by_hand_and_errors():
    d = pd.DataFrame({"a0": [10.0, 30.0, 5.0], "a1": [35.0, 31.0, 5.0], "ev": [1, 0, 1],
                      "y0": [1960.0, 1990.0, 2000.0]})
    got = split_time(d, {"age": [20, 30], "year": [1980]}, entry="a0", exit="a1",
                     event="ev", time_scale="age", scales={"year": "y0"})
    # person 0: 10-20 | 20-30 (reaches 1980 at age 30 too) | 30-35; person 1: 30-31;
    # person 2: zero-length, kept as one piece
    assert got["a0"].tolist() == [10, 20, 30, 30, 5]
    assert got["a1"].tolist() == [20, 30, 35, 31, 5]
    assert got["ev"].tolist() == [0, 0, 1, 0, 1]
    assert got["age_band"].tolist() == [-np.inf, 20, 30, 30, -np.inf]
    assert got["year_band"].tolist() == [-np.inf, -np.inf, 1980, 1980, 1980]
    with pytest.raises(ValueError, match="unknown time scale"):
        split_time(d, {"period": [1]}, entry="a0", exit="a1", event="ev")
    with pytest.raises(ValueError, match="'a0' > 'a1'"):
        split_time(d.assign(a0=[40.0, 30, 5]), {"a1": [20]}, entry="a0", exit="a1",
                   event="ev")
