"""Trend and comparison functions warn when their years span a cause-group definition change."""

import warnings

import numpy as np
import pandas as pd
import pytest

import harkit as hk
from harkit.icd import DefinitionChangeWarning


def _deaths(first: int, last: int, groups: list[str], seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 4000
    year = rng.integers(first, last + 1, n)
    return pd.DataFrame({
        "death_year": year,
        "death_date": pd.to_datetime({"year": year, "month": 6, "day": 1}),
        "underlying_cause_group": rng.choice(groups, n),
        "sud_group": rng.choice(["none", "alcohol", "other"], n),
        "sex": rng.choice(["female", "male"], n),
        "age_at_death": rng.uniform(30, 90, n),
    })


def _messages(record) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, DefinitionChangeWarning)]


def test_over_time_warns_for_cause_groups_across_a_change_and_notes_it():
    d = _deaths(1980, 2000, ["drug_induced", "cancer", "other"])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = hk.trends.over_time(d, "death_date", by="underlying_cause_group",
                                  setting="death", suppress=False)
    msgs = _messages(rec)
    assert len(msgs) == 1 and "drug_induced at 1986" in msgs[0] and "cancer" not in msgs[0]
    assert any("drug_induced changes at 1986" in n for n in res.notes)


def test_over_time_is_quiet_inside_one_definition_and_for_other_groupings():
    inside = _deaths(1987, 1995, ["drug_induced", "alcohol_induced", "other"])
    across = _deaths(1980, 2000, ["drug_induced", "other"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DefinitionChangeWarning)
        hk.trends.over_time(inside, "death_date", by="underlying_cause_group",
                            setting="death", suppress=False)
        # substance groups are not cause groups, whatever the years
        hk.trends.over_time(across, "death_date", by="sud_group", setting="death",
                            suppress=False)


def test_series_functions_warn_for_the_group_they_count():
    years = np.arange(1975, 2011)
    rng = np.random.default_rng(3)
    series = pd.DataFrame({"year": years, "n": rng.poisson(40, years.size),
                           "total": 4000})
    with pytest.warns(DefinitionChangeWarning, match="alcohol_induced at 1986, 1996"):
        res = hk.trends.revision_breaks(series, count="n", total="total", family="binomial",
                                        setting="death", cause_group="alcohol_induced",
                                        suppress=False)
    assert any("alcohol_induced" in n for n in res.notes)
    with pytest.warns(DefinitionChangeWarning, match="suicide at 1986"):
        hk.trends.joinpoint(series, time="year", count="n", total="total",
                            setting="death", cause_group="suicide", max_joinpoints=1,
                            suppress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DefinitionChangeWarning)
        hk.trends.revision_breaks(series, count="n", total="total", family="binomial",
                                  setting="death", cause_group="cancer", suppress=False)


@pytest.mark.parametrize("fn", ["pmr", "mor"])
def test_cause_comparisons_warn_on_their_cause_column(fn):
    d = _deaths(1990, 2005, ["accident", "cancer", "other"], seed=5)
    call = (lambda df: hk.survival.proportional_mortality(df, suppress=False)) if fn == "pmr" \
        else (lambda df: hk.survival.mortality_odds_ratio(df, causes=["accident"],
                                                          suppress=False))
    with pytest.warns(DefinitionChangeWarning, match="accident at 1996"):
        res = call(d)
    assert any("accident changes at 1996" in n for n in res.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DefinitionChangeWarning)
        call(d[d["death_year"] >= 1996])
