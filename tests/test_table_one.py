"""Table 1: SMDs against hand-computed formulas and the tableone package, p-values
against scipy, suppression, category order and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from harkit.compare.table_one import smd_categorical, smd_continuous, table_one


def _row(res, variable, level=""):
    t = res.table
    return t[(t["variable"] == variable) & (t["level"] == level)].iloc[0]


@pytest.fixture
def data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 300
    sex = rng.choice(["women", "men"], n)
    return pd.DataFrame({
        "sex": sex,
        "age": rng.normal(60, 10, n) + np.where(sex == "women", 3, 0),
        "los": rng.exponential(5, n),
        "sud": rng.choice(["alcohol", "other_sud", "none"], n, p=[0.5, 0.3, 0.2]),
        "period": rng.choice(["ICD-8", "ICD-9", "ICD-10", "ICD-7"], n),
    })


# ---------------------------------------------------------------- SMD formulas by hand
def test_smd_continuous_hand_computed():
    # m1 = 2.5, s1^2 = 5/3; m2 = 5, s2^2 = 20/3 -> 2.5 / sqrt(25/6)
    assert smd_continuous(np.array([1, 2, 3, 4]), np.array([2, 4, 6, 8])) == pytest.approx(
        2.5 / np.sqrt(25 / 6))


def test_smd_binary_hand_computed():
    # p1 = 0.5, p2 = 0.2: 0.3 / sqrt((0.25 + 0.16) / 2)
    assert smd_categorical([0.5, 0.5], [0.8, 0.2]) == pytest.approx(0.3 / np.sqrt(0.205))
    df = pd.DataFrame({"g": ["a"] * 10 + ["b"] * 10,
                       "y": ["yes"] * 5 + ["no"] * 5 + ["yes"] * 2 + ["no"] * 8})
    res = table_one(df, "g", suppress=False)
    assert float(_row(res, "y", "no")["SMD"]) == pytest.approx(0.3 / np.sqrt(0.205), abs=1e-3)


def test_smd_multinomial_yang_dalton():
    p1, p2 = np.array([0.2, 0.3, 0.5]), np.array([0.4, 0.4, 0.2])
    # hand-built S from the paper's definition, categories 2..K
    t, c = p1[1:], p2[1:]
    s = np.array([[(t[0] * (1 - t[0]) + c[0] * (1 - c[0])) / 2, -(t[0] * t[1] + c[0] * c[1]) / 2],
                  [-(t[0] * t[1] + c[0] * c[1]) / 2, (t[1] * (1 - t[1]) + c[1] * (1 - c[1])) / 2]])
    expected = np.sqrt((t - c) @ np.linalg.inv(s) @ (t - c))
    assert smd_categorical(p1, p2) == pytest.approx(expected)
    # the Mahalanobis form does not depend on which category is left out
    assert smd_categorical(p1[::-1], p2[::-1]) == pytest.approx(expected)
    # by hand: d = (-0.1, 0.3), S = [[.225, -.115], [-.115, .205]], det = .0329,
    # d' S^-1 d = (.205*.01 - 2*.115*.03 + .225*.09) / .0329 = .0154 / .0329
    assert expected == pytest.approx(np.sqrt(0.0154 / 0.0329))


def test_smd_max_pairwise_for_three_groups():
    df = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 4 + ["c"] * 4,
                       "x": [1, 2, 3, 4, 2, 4, 6, 8, 1, 2, 3, 5.0]})
    res = table_one(df, "g", suppress=False)
    pairs = res.extra["smd"]
    assert len(pairs) == 3
    v = df.groupby("g")["x"].apply(np.array)
    expected = max(smd_continuous(v[i], v[j]) for i, j in [("a", "b"), ("a", "c"), ("b", "c")])
    assert float(_row(res, "x")["SMD"]) == pytest.approx(expected, abs=1e-3)


# ---------------------------------------------------------------- the tableone package
def test_agrees_with_tableone_package(data):
    tableone = pytest.importorskip("tableone")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = tableone.TableOne(data, columns=["age", "los", "sud"], categorical=["sud"],
                                groupby="sex", nonnormal=["los"], pval=True, smd=True)
    res = table_one(data, "sex", ["age", "los", "sud"], nonnormal=["los"], pvalues=True,
                    suppress=False)
    rt = ref.tableone
    rt.columns = rt.columns.droplevel(0)
    smd_col = [c for c in rt.columns if str(c).startswith("SMD")][0]
    # tableone reports a signed continuous SMD; harkit the absolute value
    assert float(_row(res, "age")["SMD"]) == pytest.approx(
        abs(float(rt.loc[("age, mean (SD)", ""), smd_col])), abs=1e-3)
    assert float(_row(res, "sud", "alcohol")["SMD"]) == pytest.approx(
        float(rt.loc[("sud, n (%)", "alcohol"), smd_col]), abs=1e-3)
    for grp in ["Overall", "men", "women"]:
        assert _row(res, "age")[grp] == rt.loc[("age, mean (SD)", ""), grp]
        assert _row(res, "sud", "none")[grp] == rt.loc[("sud, n (%)", "none"), grp]
        # tableone writes [Q1,Q3] without the space
        assert _row(res, "los")[grp].replace(", ", ",") == rt.loc[
            ("los, median [Q1,Q3]", ""), grp]
    for var, key in [("age", ("age, mean (SD)", "")), ("los", ("los, median [Q1,Q3]", "")),
                     ("sud", ("sud, n (%)", "alcohol"))]:
        lvl = "alcohol" if var == "sud" else ""
        assert _row(res, var, lvl)["p-value"] == rt.loc[key, "P-Value"]


# ---------------------------------------------------------------- p-values vs scipy
def test_pvalues_against_scipy(data):
    res = table_one(data, "sex", ["age", "los", "sud"], nonnormal=["los"], pvalues=True,
                    suppress=False)
    w, m = data[data.sex == "women"], data[data.sex == "men"]
    nums = {}
    # recompute from the numbers behind the rendered p-values
    nums["age"] = stats.ttest_ind(w.age, m.age, equal_var=False).pvalue
    nums["los"] = stats.kruskal(m.los, w.los).pvalue
    nums["sud"] = stats.chi2_contingency(pd.crosstab(data.sex, data.sud).to_numpy()).pvalue
    for var, lvl in [("age", ""), ("los", ""), ("sud", "alcohol")]:
        assert float(_row(res, var, lvl)["p-value"]) == pytest.approx(nums[var], abs=5e-4)
    assert _row(res, "age")["test"] == "Welch t-test"
    assert _row(res, "los")["test"] == "Kruskal-Wallis"


def test_anova_and_fisher():
    df = pd.DataFrame({"g": ["a"] * 6 + ["b"] * 6 + ["c"] * 6,
                       "x": [1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 7, 9, 2, 2, 3, 3, 4, 4.0]})
    res = table_one(df, "g", nonnormal=False, pvalues=True, suppress=False)
    ref = stats.f_oneway(df.x[:6], df.x[6:12], df.x[12:]).pvalue
    assert _row(res, "x")["test"] == "One-way ANOVA"
    assert float(_row(res, "x")["p-value"]) == pytest.approx(ref, abs=5e-4)
    df2 = pd.DataFrame({"g": ["a"] * 8 + ["b"] * 8, "y": ["y"] * 7 + ["n"] + ["y"] * 2 + ["n"] * 6})
    res2 = table_one(df2, "g", pvalues=True, suppress=False)
    row = _row(res2, "y", "n")
    assert row["test"] == "Fisher's exact"
    assert float(row["p-value"]) == pytest.approx(
        stats.fisher_exact([[1, 7], [6, 2]])[1], abs=5e-4)


# ---------------------------------------------------------------- display rules
def test_suppression_hides_counts_and_percentages():
    df = pd.DataFrame({"g": ["a"] * 20 + ["b"] * 20,
                       "y": ["common"] * 18 + ["rare"] * 2 + ["common"] * 20})
    res = table_one(df, "g")
    rare = _row(res, "y", "rare")
    assert rare["a"] in ("<5", "*") and "(" not in rare["a"]  # percentage goes too
    assert rare["b"] == "0 (0.0)"  # zero discloses nothing
    assert _row(res, "y", "common")["b"] == "20 (100.0)"
    # secondary: 18 = 20 - 2 would reveal the hidden 2 from the published n of group a
    assert "18" not in _row(res, "y", "common")["a"]
    assert "38" not in _row(res, "y", "common")["Overall"]
    shown = table_one(df, "g", suppress=False)
    assert _row(shown, "y", "rare")["a"] == "2 (10.0)"
    # continuous summaries of fewer than threshold values are hidden too
    tiny = pd.DataFrame({"g": ["a"] * 3 + ["b"] * 10, "x": np.arange(13.0)})
    assert _row(table_one(tiny, "g"), "x")["a"].startswith("<5")
    assert _row(table_one(tiny, "g"), "n")["a"] in ("<5", "*")


def test_missing_row_and_denominator():
    df = pd.DataFrame({"g": ["A"] * 10 + ["B"] * 10,
                       "c": ["x"] * 4 + ["y"] * 4 + [None] * 2 + ["x"] * 7 + ["y"] * 3})
    res = table_one(df, "g", suppress=False)
    assert _row(res, "c", "x")["A"] == "4 (50.0)"  # 4 of 8 non-missing
    assert _row(res, "c", "Missing")["A"] == "2"
    assert "non-missing" in res.notes[0]
    assert "Missing" not in table_one(df, "g", missing="ignore").table["level"].tolist()


def test_category_order(data):
    data = data.assign(period=pd.Categorical(data.period,
                                             ["ICD-7", "ICD-8", "ICD-9", "ICD-10"]))
    res = table_one(data, "sex", ["period"])
    assert res.table.loc[res.table.variable == "period", "level"].tolist() == [
        "ICD-7", "ICD-8", "ICD-9", "ICD-10"]
    res = table_one(data, "sex", ["sud"], order={"sud": ["none", "other_sud", "alcohol"],
                                                 "sex": ["women", "men"]})
    assert res.table.loc[res.table.variable == "sud", "level"].tolist() == [
        "none", "other_sud", "alcohol"]
    assert list(res.table.columns[3:5]) == ["Overall", "women"]


def test_skewness_rule(data):
    res = table_one(data, "sex", ["age", "los"])
    assert _row(res, "age")["statistic"] == "mean (SD)"
    assert _row(res, "los")["statistic"] == "median [Q1, Q3]"
    assert ">" in _row(res, "los")["remark"]
    assert abs(stats.skew(data.los, bias=False)) > 1 > abs(stats.skew(data.age, bias=False))


def test_exports(data, tmp_path):
    res = table_one(data, "sex", ["age", "sud"])
    assert "<table" in res.to_html() and "non-missing" in res.to_html()
    assert "\\begin{tabular}" in res.to_latex()
    pytest.importorskip("openpyxl")
    path = tmp_path / "t1.xlsx"
    res.to_excel(path)
    back = pd.read_excel(path, sheet_name="Table 1")
    assert back.shape[0] == len(res.table)
    assert "<table" in res._repr_html_()


# ---------------------------------------------------------------- bad input
def test_bad_input_warns_and_returns_table():
    df = pd.DataFrame({"g": pd.Categorical(["a"] * 6 + ["b"] * 6, ["a", "b", "c"]),
                       "single": ["x"] * 12,
                       "allna": [np.nan] * 12,
                       "sep": ["y"] * 6 + ["n"] * 6,
                       "z": [1.0] * 6 + [2.0] * 6})
    with pytest.warns(UserWarning) as rec:
        res = table_one(df, "g", pvalues=True)
    msgs = " ".join(str(w.message) for w in rec)
    assert "empty groups" in msgs and "single category" in msgs and "missing for everyone" in msgs
    assert list(res.table.columns[3:7]) == ["Overall", "a", "b", "c"]
    assert _row(res, "n")["c"] == "0"
    # perfect separation: infinite SMD, still a p-value, no crash
    assert _row(res, "sep", "n")["SMD"] == "inf"
    assert float(_row(res, "sep", "n")["p-value"]) == pytest.approx(
        2 / 924, abs=5e-4)  # Fisher (expected counts 3): 2 / C(12, 6)
    assert _row(res, "sep", "n")["test"] == "Fisher's exact"
    assert _row(res, "z")["SMD"] == "inf"
    assert _row(res, "z")["test"].startswith("not tested")
    assert _row(res, "single", "x")["remark"] == "single category"
    assert _row(res, "allna", "Missing")["Overall"] == "12"
    assert _row(res, "allna")["a"] == "-"  # numeric, all missing: no summary
    with pytest.warns(UserWarning) as rec:
        cat_na = table_one(df.assign(k=pd.Series([None] * 6 + ["u"] * 6, dtype=object)),
                           "g", ["k"], suppress=False)
    assert "single category" in " ".join(str(w.message) for w in rec)
    assert _row(cat_na, "k", "u")["a"] == "0"  # no non-missing values: no percentage


def test_single_group_and_no_groupby(data):
    with pytest.warns(UserWarning, match="fewer than two groups"):
        res = table_one(data.assign(sex="women"), "sex", ["age"], pvalues=True)
    assert "SMD" not in res.table.columns and "p-value" not in res.table.columns
    res = table_one(data, columns=["age", "sud"])
    assert _row(res, "n")["Overall"] == "300"


def test_unknown_column_and_missing_option(data):
    with pytest.raises(ValueError, match="not in data"):
        table_one(data, "sex", ["nope"])
    with pytest.raises(ValueError, match="missing must be"):
        table_one(data, "sex", missing="drop")


def test_small_missing_count_cannot_be_worked_out():
    # Group b has 2 missing values: shown level counts with percentages would give its
    # non-missing denominator, and the group size minus that (or minus the level counts)
    # the missing count.
    df = pd.DataFrame({
        "group": ["a"] * 40 + ["b"] * 40,
        "smoker": (["yes"] * 15 + ["no"] * 25) + (["yes"] * 18 + ["no"] * 20 + [None] * 2),
    })
    for mode in ("report", "ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = table_one(df, groupby="group", columns=["smoker"], missing=mode,
                            overall=False, smd=False)
        t = res.table.set_index(["variable", "level"])
        cells_b = [t.loc[("smoker", lv), "b"] for lv in ("no", "yes")]
        assert all("(" not in c for c in cells_b)  # no percentages in column b
        shown = [int(c.replace(",", "")) for c in cells_b if c.replace(",", "").isdigit()]
        assert len(shown) < 2  # a level is hidden too, so 40 - sum(levels) reveals nothing
        if mode == "report":
            assert not t.loc[("smoker", "Missing"), "b"].isdigit()
        else:
            assert ("smoker", "Missing") not in t.index
        # Column a has no missing values: its shown cells keep their percentages (a cell
        # may be hidden to protect the row, whose total is published with the table).
        cells_a = [t.loc[("smoker", lv), "a"] for lv in ("no", "yes")]
        assert all("(" in c or c == "*" for c in cells_a)
        assert any("(" in c for c in cells_a)
