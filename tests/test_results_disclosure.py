"""Every result shows counts only through the disclosure-control policy, by default.

Each test builds a small table with groups of 1-4 persons and searches what the result
shows (``table``, ``_repr_html_()``, notes, the tables in ``extra`` and the texts of its
figure) for a count of 1-4, directly or by subtraction from the totals shown beside it;
and checks that ``suppress=False`` still gives the exact numbers of the reference
implementation.
"""

from __future__ import annotations

import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from statsmodels.stats.contingency_tables import StratifiedTable

import harkit as hk
from harkit.compare import compare_proportions, stratified, table_one
from harkit.survival import (
    at_risk_table,
    cumulative_incidence,
    kaplan_meier,
    mortality_odds_ratio,
    proportional_mortality,
)

matplotlib.use("Agg")
SMALL = {1, 2, 3, 4}


@pytest.fixture(autouse=True)
def _quiet_and_close():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
    matplotlib.pyplot.close("all")


def _ints(values) -> list[int]:
    """The whole numbers shown in count cells (text such as "1,234"); markers skipped."""
    out = []
    for v in values:
        text = str(v).replace(",", "").strip()
        if re.fullmatch(r"\d+(\.0)?", text):
            out.append(int(float(text)))
    return out


def _figure_texts(ax) -> list[str]:
    """Texts written on the figure (at-risk rows, labels, annotations; not axis ticks)."""
    fig = ax.figure
    return [t.get_text() for a in fig.axes for t in a.texts] + \
        [t.get_text() for a in fig.axes for t in a.get_yticklabels()
         if not re.fullmatch(r"[\d.−-]+", t.get_text())]


# ----------------------------------------------------------------------------- survival


def _small_survival() -> pd.DataFrame:
    """Group a: 3 persons; group b: 30 persons; exact ages with decimals."""
    rng = np.random.default_rng(3)
    ages = np.round(rng.uniform(40, 90, 33), 4)
    return pd.DataFrame({"age": ages, "died": rng.integers(0, 2, 33) | (ages > 80),
                         "entry": np.round(ages - rng.uniform(5, 30, 33), 4),
                         "g": ["a"] * 3 + ["b"] * 30,
                         "cause": np.where(rng.random(33) < 0.5, "x", "y")})


def test_kaplan_meier_shows_no_small_counts_nor_exact_event_times():
    df = _small_survival()
    res = kaplan_meier(df, "age", "died", entry="entry", by="g")
    times = {f"{t:g}" for t in df["age"]} | {f"{t:.4f}" for t in df["age"]}
    shown = res.table.astype(str).to_numpy().ravel().tolist()
    assert not times & set(shown)  # no exact age at death in the table
    for col in ("at_risk", "events_interval", "censored_interval"):
        assert not SMALL & set(_ints(res.table[col])), col
        assert not SMALL & set(_ints(res.extra["at_risk"][col])), col
    # differences of shown at-risk numbers within a group give no small count either
    for _, g in res.table.groupby("group"):
        n = [v for v in _ints(g["at_risk"])]
        assert not SMALL & {abs(a - b) for a, b in zip(n, n[1:])}
    text = " ".join(res.notes) + res._repr_html_()
    assert not any(t in text for t in times)
    assert not re.search(r"only [1-4] at risk", text)
    ax = res.plot()
    assert not SMALL & set(_ints(_figure_texts(ax)))
    # the estimate is shown where enough were at risk
    assert res.table["survival"].notna().any()


def test_kaplan_meier_exact_with_suppress_false_matches_lifelines():
    df = _small_survival()
    res = kaplan_meier(df, "age", "died", entry="entry", by="g", suppress=False)
    for g, s in df.groupby("g"):
        tab = res.table[res.table["group"] == g].iloc[1:].set_index("time")
        ref = KaplanMeierFitter().fit(s["age"], s["died"], entry=s["entry"])
        sf = ref.survival_function_.iloc[:, 0].reindex(tab.index, method="ffill")
        np.testing.assert_allclose(tab["survival"], sf, atol=1e-7)
    assert any(re.search(r"only [1-4] at risk", n) for n in res.notes)


def test_cumulative_incidence_and_at_risk_table_show_no_small_counts():
    df = _small_survival()
    df["event"] = np.where(df["died"] == 1, df["cause"], "censored")
    res = cumulative_incidence(df, "age", "event", entry="entry", by="g",
                               censor_value="censored")
    for col in ("at_risk", "events_interval"):
        assert not SMALL & set(_ints(res.table[col]))
    times = {f"{t:g}" for t in df["age"]}
    assert not times & set(res.table["time"].astype(str))
    assert not any(t in " ".join(res.notes) for t in times)
    ax = res.plot()
    assert not SMALL & set(_ints(_figure_texts(ax)))
    ar = at_risk_table(df, "age", "event", entry="entry", by="g", censor_value="censored")
    for col in ("at_risk", "events_interval", "censored_interval"):
        assert not SMALL & set(_ints(ar[col]))
    exact = at_risk_table(df, "age", "event", entry="entry", by="g",
                          censor_value="censored", suppress=False)
    assert exact["at_risk"].dtype.kind == "i"


# ----------------------------------------------------------------------------- PMR, MOR


def _deaths() -> pd.DataFrame:
    rows = []
    for grp, counts in (("ref", {"x": 40, "y": 30, "z": 30}),
                        ("exp", {"x": 20, "y": 2, "z": 14})):
        for cause, n in counts.items():
            rows += [(grp, "s1" if k % 2 else "s2", cause) for k in range(n)]
    return pd.DataFrame(rows, columns=["grp", "stratum", "cause"])


def test_pmr_hides_small_observed_counts_and_what_gives_them_back():
    df = _deaths()
    res = proportional_mortality(df, "cause", group_col="grp", reference="ref",
                                 strata=("stratum",))
    t = res.table.set_index("cause")
    assert not SMALL & set(_ints(t["observed"]))
    assert np.isnan(t.loc["y", "pmr"]) and np.isnan(t.loc["y", "ci_low"])
    # deaths minus the shown causes must not give the hidden 2 back
    shown = _ints(t["observed"])
    deaths = _ints(t["deaths"].iloc[:1])
    assert not (deaths and len(shown) == len(t) - 1), "one hidden cell beside its total"
    html = res._repr_html_()
    assert "<td>2</td>" not in html and "<td>2.0</td>" not in html
    ax = res.plot()
    assert not SMALL & set(_ints(_figure_texts(ax)))
    exact = proportional_mortality(df, "cause", group_col="grp", reference="ref",
                                   strata=("stratum",), suppress=False).table
    assert exact.set_index("cause").loc["y", "observed"] == 2


def test_mor_hides_small_cells_and_the_crude_estimate_that_gives_them_back():
    df = _deaths()
    res = mortality_odds_ratio(df, "cause", ["y"], group_col="grp", reference="ref",
                               strata=("stratum",), method="mh")
    t = res.table.set_index("method")
    for c in "abcd":
        assert not SMALL & set(_ints(t[c]))
    assert np.isnan(t.loc["crude", "mor"])
    exact = mortality_odds_ratio(df, "cause", ["y"], group_col="grp", reference="ref",
                                 strata=("stratum",), method="mh", suppress=False).table
    row = exact.set_index("method").loc["mantel-haenszel"]
    cube = []
    for s in ("s1", "s2"):
        d = df[df["stratum"] == s]
        cube.append([[((d.grp == g) & (d.cause == "y")).sum(),
                      ((d.grp == g) & (d.cause != "y")).sum()] for g in ("exp", "ref")])
    st = StratifiedTable(np.dstack([np.array(c, float) for c in cube]))
    assert row["mor"] == pytest.approx(st.oddsratio_pooled, rel=1e-10)


# ----------------------------------------------------------------------------- compare


def _two_by_two() -> pd.DataFrame:
    rows = []
    for s, (a, b, c, d) in (("s1", (3, 17, 8, 12)), ("s2", (6, 14, 9, 11))):
        rows += [("exp", 1, s)] * a + [("exp", 0, s)] * b + [("ref", 1, s)] * c \
            + [("ref", 0, s)] * d
    return pd.DataFrame(rows, columns=["x", "y", "s"])


def test_stratified_counts_in_extra_go_through_the_policy():
    df = _two_by_two()
    res = stratified(df, "x", "y", "s", reference="ref")
    counts = res.extra["counts"]
    for c in "abcd":
        assert not SMALL & set(_ints(counts[c]))
    own = res.table[res.table["comparison"].str.endswith("| s1")]
    assert own["estimate"].isna().all()  # its odds ratio gives the 3 back
    exact = stratified(df, "x", "y", "s", reference="ref", suppress=False)
    assert exact.extra["counts"]["a"].tolist() == [3, 6]
    ref = StratifiedTable([np.array([[3, 17], [8, 12]], float),
                           np.array([[6, 14], [9, 11]], float)])
    mh = exact.table[exact.table["comparison"].str.endswith("Mantel-Haenszel")]
    assert mh["estimate"].iloc[0] == pytest.approx(ref.oddsratio_pooled)


def test_compare_proportions_counts_and_estimates():
    df = _two_by_two()
    res = compare_proportions(df, "x", "y", reference="ref")
    assert not SMALL & set(_ints(res.extra["counts"].drop(columns="comparison")
                                 .to_numpy().ravel()))
    small = pd.concat([df, pd.DataFrame({"x": ["new"] * 3, "y": [1, 0, 0], "s": "s1"})])
    res = compare_proportions(small, "x", "y", reference="ref")
    rows = res.table[res.table["comparison"] == "new vs ref"]
    assert rows["estimate"].isna().all()


def _linear_leaks(known: dict, hidden: list, equations: list) -> list:
    """Hidden cells fixed by the equations (independent check: least squares rank)."""
    if not hidden:
        return []
    idx = {k: i for i, k in enumerate(hidden)}
    a = np.zeros((len(equations), len(hidden)))
    for r, (total, parts) in enumerate(equations):
        for k, sign in [(total, 1.0)] + [(p, -1.0) for p in parts]:
            if k in idx:
                a[r, idx[k]] += sign
    rank = np.linalg.matrix_rank(a)
    leaks = []
    for k, i in idx.items():
        e = np.zeros((1, len(hidden)))
        e[0, i] = 1
        if np.linalg.matrix_rank(np.vstack([a, e])) == rank:
            leaks.append(k)
    return leaks


def test_table_one_group_of_two_cannot_be_worked_out_by_subtraction():
    df = pd.DataFrame({"g": ["a"] * 20 + ["b"] * 20 + ["c"] * 2,
                       "sex": ["m"] * 12 + ["f"] * 8 + ["m"] * 9 + ["f"] * 11 + ["m", "f"]})
    res = table_one(df, groupby="g", columns=["sex"])
    t = res.table.set_index(["variable", "level"])
    cols = ["Overall", "a", "b", "c"]
    cells = {(v, lv, c): t.loc[(v, lv), c] for v, lv in t.index for c in cols}
    known = {k: _ints([str(v).split(" (")[0]])[0] for k, v in cells.items()
             if _ints([str(v).split(" (")[0]])}
    hidden = [k for k in cells if k not in known]
    assert ("n", "", "c") in hidden
    eqs = [((v, lv, "Overall"), [(v, lv, c) for c in cols[1:]]) for v, lv in t.index]
    eqs += [(("n", "", c), [("sex", lv, c) for lv in ("f", "m")]) for c in cols]
    # a shown percentage gives its column's denominator (= n, nothing is missing)
    for c in cols:
        for lv in ("f", "m"):
            m = re.fullmatch(r"([\d,]+) \(([\d.]+)\)", str(cells[("sex", lv, c)]))
            if m and float(m.group(2)) > 0:
                known[("n", "", c)] = round(int(m.group(1).replace(",", "")) * 100
                                            / float(m.group(2)))
    hidden = [k for k in cells if k not in known]
    eqs = [(tot, parts) for tot, parts in eqs]
    small = [k for k in hidden if k[2] == "c" or k == ("n", "", "c")]
    assert not set(_linear_leaks(known, hidden, eqs)) & set(small)
    # the same with every shown number: nothing of 1-4 on display
    assert not SMALL & set(_ints(str(v).split(" (")[0] for v in cells.values()))
    exact = table_one(df, groupby="g", columns=["sex"], suppress=False).table
    assert exact.set_index(["variable", "level"]).loc[("n", ""), "c"] == "2"


# ----------------------------------------------------------------------------- trends, icd


def test_over_time_hidden_counts_do_not_follow_from_period_totals():
    df = pd.DataFrame({"year": [1970] * 12 + [1971] * 9,
                       "g": ["a"] * 10 + ["b"] * 2 + ["a"] * 6 + ["b"] * 3})
    res = hk.trends.over_time(df, "year", by="g")
    for _, p in res.table.groupby("period_start"):
        hidden = pd.to_numeric(p["n"], errors="coerce").isna().sum()
        total_shown = bool(_ints(p["total"].iloc[:1]))
        assert hidden != 1 or not total_shown
        assert not SMALL & set(_ints(p["n"]))
    assert res.table["proportion"].isna().sum() >= 2
    ax = res.plot()
    assert not SMALL & set(_ints(_figure_texts(ax)))


def test_icd_overview_threshold_comes_from_the_policy():
    dx = pd.DataFrame({"code": ["F10.2"] * 3 + ["I10"] * 9, "code_system": "ICD-10",
                       "diagnosis_text": ["Alkohol"] * 3 + ["Hypertensjon"] * 9,
                       "date": pd.Timestamp("2001-01-01")})
    h = hk.icd.harmonise(dx)
    assert set(hk.icd.overview(h)["Count"]) == {"<5", "9"}
    with hk.privacy.policy(threshold=3):
        assert set(hk.icd.overview(h)["Count"]) == {"3", "9"}
    cov = hk.icd.coverage(h)
    assert not SMALL & set(_ints(cov[["rows", "mapped", "by_code", "by_text"]]
                                 .to_numpy().ravel()))


def test_kwic_shows_no_ids_and_no_dates_unless_asked():
    docs = pd.DataFrame({"document_id": ["DOK0001"], "person_id": ["P0001"],
                         "text": ["Innlagt 12.03.1957 for alkoholmisbruk, fnr 01021912345."]})
    hits = hk.text.search(docs, "@alcohol")
    k = hk.text.kwic(hits, width=60)
    text = k.to_string()
    assert "DOK0001" not in text and "P0001" not in text
    assert "1957" not in text and "01021912345" not in text and "[dato]" in text
    raw = hk.text.kwic(hits, width=60, suppress=False)
    assert "DOK0001" in raw.to_string() and "12.03.1957" in raw.to_string()


# ----------------------------------------------------------------------------- the policy


def test_report_policy_changes_what_every_result_shows():
    df = _deaths()
    surv = _small_survival()
    with hk.privacy.policy("report"):
        pmr = proportional_mortality(df, "cause", group_col="grp", reference="ref",
                                     strata=("stratum",)).table
        km = kaplan_meier(surv, "age", "died", entry="entry", by="g").table
        t1 = table_one(df, groupby="grp", columns=["cause"]).table
        ot = hk.trends.over_time(pd.DataFrame({"year": [1970] * 23 + [1971] * 6}),
                                 "year").table
        st = stratified(_two_by_two(), "x", "y", "s", reference="ref").extra["counts"]
    shown = (_ints(pmr["observed"]) + _ints(km["at_risk"]) + _ints(ot["n"])
             + _ints(st[list("abcd")].to_numpy().ravel())
             + _ints(str(v).split(" (")[0] for v in t1[["Overall", "exp", "ref"]]
                     .to_numpy().ravel()))
    assert shown and all(v % 5 == 0 for v in shown)  # rounded to 5
    assert set(ot["n"]) == {"25", "<8"}  # 23 rounded to 25; 6 <= 7 hidden
    assert not set(range(1, 8)) & set(shown)
    note = hk.privacy.get_policy().describe()
    assert "1-4" in note  # the default is back after the block
