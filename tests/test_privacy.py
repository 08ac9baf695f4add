import pandas as pd
import pytest

from harkit import privacy
from harkit.report import notebooks_dir


def test_small_counts_are_hidden_and_zero_kept():
    table = pd.DataFrame({"group": list("abcde"), "n": [0, 1, 4, 5, 1234]})
    out = privacy.suppress(table)
    assert out["n"].tolist() == ["0", "<5", "<5", "5", "1,234"]
    assert out.attrs["suppressed_cells"] == 2
    assert out["group"].tolist() == list("abcde")
    # The input is untouched.
    assert table["n"].tolist() == [0, 1, 4, 5, 1234]


def test_threshold_and_marker_are_configurable():
    table = pd.DataFrame({"n": [7, 8], "m": [3, 10]})
    out = privacy.suppress(table, ["n", "m"], threshold=8, marker="*")
    assert out["n"].tolist() == ["*", "8"]
    assert out["m"].tolist() == ["*", "10"]
    assert out.attrs["suppressed_cells"] == 2


def test_bad_counts_raise():
    with pytest.raises(ValueError, match="non-negative"):
        privacy.suppress(pd.DataFrame({"n": [-1, 3]}))
    with pytest.raises(ValueError, match="not in table"):
        privacy.suppress(pd.DataFrame({"n": [1]}), ["m"])


# --------------------------------------------------------------------------- extensions

WIDE = pd.DataFrame(
    {"a": [3, 8, 6, 17], "b": [10, 9, 15, 34], "c": [12, 20, 30, 62],
     "Total": [25, 37, 51, 113]},
    index=["x", "y", "z", "Total"])


def test_secondary_suppression_wide_hand_example():
    # By hand: x.a=3 is primary. Row x -> hide x.b (10, smallest other); column a -> z.a (6);
    # column b -> y.b (9); then row y has only y.b -> y.a (8); row z has only z.a -> z.b (15).
    out = privacy.suppress(WIDE, secondary=True)
    assert out["a"].tolist() == ["*", "*", "*", "17"]
    assert out["b"].tolist() == ["*", "*", "*", "34"]
    assert out["c"].tolist() == ["12", "20", "30", "62"]
    assert out["Total"].tolist() == ["25", "37", "51", "113"]
    assert out.attrs["suppressed_cells"] == 1
    assert out.attrs["secondary_cells"] == 5


def test_secondary_suppression_long_matches_wide_and_strata():
    long = WIDE.rename_axis("row").reset_index().melt(
        id_vars="row", var_name="col", value_name="n")
    out = privacy.suppress(long, ["n"], rows="row", cols="col")
    hidden = set(map(tuple, out.loc[out["n"] == "*", ["row", "col"]].to_numpy()))
    assert hidden == {(r, c) for r in "xyz" for c in "ab"}
    assert out.attrs["secondary_cells"] == 5
    # Two strata: the second has no small cell, so nothing is hidden there.
    other = long.assign(n=long["n"] + 100)
    both = pd.concat([long.assign(s=1), other.assign(s=2)], ignore_index=True)
    res = privacy.suppress(both, ["n"], rows="row", cols="col", by="s")
    assert (res.loc[res["s"] == 1, "n"] == "*").sum() == 6
    assert (res.loc[res["s"] == 2, "n"] == "*").sum() == 0


def test_secondary_prefers_nonzero_interior_cells():
    t = pd.DataFrame({"a": [2, 40], "b": [0, 50], "c": [9, 60]})
    out = privacy.suppress(t, secondary=True)
    # Row 0: the complement is 9 (non-zero) rather than 0; columns a and c then need row 1.
    assert out.loc[0].tolist() == ["*", "0", "*"]
    assert out.loc[1].tolist() == ["*", "50", "*"]


def test_secondary_without_margins_in_table_assumes_public_totals():
    t = pd.DataFrame({"a": [1, 10], "b": [20, 30]})
    out = privacy.suppress(t, secondary=True)
    assert (out == "*").sum().sum() == 4
    # Without secondary suppression only the small cell goes (old behaviour, old marker).
    assert privacy.suppress(t).loc[0, "a"] == "<5"


def test_unprotectable_table_warns_and_still_returns():
    t = pd.DataFrame({"n": [3, 10]})
    with pytest.warns(privacy.DisclosureWarning, match="could not protect"):
        out = privacy.suppress(t, secondary=True)
    assert out["n"].tolist() == ["*", "*"]


def test_opensafely_rule_rounds_and_hides_up_to_seven():
    t = pd.DataFrame({"n": [0, 3, 7, 8, 12, 13, 1234]})
    out = privacy.suppress(t, rule="opensafely")
    assert out["n"].tolist() == ["0", "<8", "<8", "10", "10", "15", "1,235"]
    assert out.attrs["suppressed_cells"] == 2
    assert out.attrs["suppression_threshold"] == 8
    with pytest.raises(ValueError, match="rule"):
        privacy.suppress(t, rule="sdc")


def test_percentages_hidden_with_their_counts():
    t = pd.DataFrame({"group": ["a", "b", "c"], "n": [3, 40, 57],
                      "pct": [3.0, 40.0, 57.0]})
    out = privacy.suppress(t, percent_columns={"pct": "n"})
    assert out["n"].tolist() == ["<5", "40", "57"]
    assert out["pct"].tolist() == ["<5", "40.0", "57.0"]
    long = pd.DataFrame({"sex": ["f", "f", "m", "m"], "sud": ["alc", "other"] * 2,
                         "n": [2, 30, 25, 41], "pct": [6.3, 93.7, 37.9, 62.1]})
    res = privacy.suppress(long, ["n"], rows="sex", cols="sud", percent_columns={"pct": "n"})
    # f/alc primary; complements f/other (row), m/alc (column), then m/other.
    assert res["n"].tolist() == ["*"] * 4
    assert res["pct"].tolist() == ["*"] * 4
    with pytest.raises(ValueError, match="percent column"):
        privacy.suppress(t, ["n"], percent_columns={"pct": "group"})


def test_long_table_errors():
    long = pd.DataFrame({"r": ["a", "a"], "c": ["x", "x"], "n": [1, 2]})
    with pytest.raises(ValueError, match="by="):
        privacy.suppress(long, ["n"], rows="r", cols="c")
    with pytest.raises(ValueError, match="both rows"):
        privacy.suppress(long, ["n"], rows="r")


# --------------------------------------------------------------------------- identifiers

PERSONS = pd.DataFrame({
    "person_id": ["P0000001", "P0000002", "P0000003", "12"],
    "birth_date": pd.to_datetime(["1911-09-01", "1944-07-11", "1936-01-25", "1920-01-01"]),
    "birth_date_precision": ["day", "day", "year", "day"],
    "death_date": pd.to_datetime(["1987-10-04", "1985-10-28", "1981-05-07", "1990-02-02"]),
})


def test_check_no_identifiers_in_dataframe():
    df = pd.DataFrame({"who": ["P0000002", "P00000021", "x"], "n": [12, 5, 7],
                       "when": pd.to_datetime(["2000-01-01", "1987-10-04", None])})
    found = privacy.check_no_identifiers(df, extract=PERSONS)
    assert found["kind"].tolist() == ["person_id", "date"]
    assert found["where"].tolist() == ["column 'who', row 0", "column 'when', row 1"]
    assert found["value"].tolist() == ["P0*****2", "1987-**-**"]
    # "12" (shorter than MIN_ID_LENGTH) is not looked for; a year-precision birth date is
    # not exact, so 1936-01-25 is not looked for either.
    df2 = pd.DataFrame({"n": [12], "d": ["1936-01-25"]})
    assert privacy.check_no_identifiers(df2, extract=PERSONS).empty


def test_check_no_identifiers_in_html_string_and_date_formats():
    html = ("<table><tr><td>P0000003</td><td>04.10.1987</td></tr>"
            "<tr><td>P00000031</td><td>1985/10/28</td><td>19851028</td></tr></table>")
    found = privacy.check_no_identifiers(html, extract=PERSONS)
    assert sorted(found["kind"]) == ["date", "date", "person_id"]
    assert privacy.check_no_identifiers(
        "<p>P0000003</p>", ids=["P0000003"])["kind"].tolist() == ["person_id"]
    with pytest.raises(ValueError, match="give ids"):
        privacy.check_no_identifiers("<p/>")


def test_check_no_identifiers_in_notebook_and_html_file(tmp_path):
    nb = {"cells": [
        {"cell_type": "code", "source": "persons.head()", "outputs": [
            {"output_type": "execute_result", "data": {
                "text/plain": "  person_id\n0  P0000001\n", "text/html": "<td>P0000001</td>",
                "image/png": "iVBORw0KGgoP0000001"}}]},
        {"cell_type": "code", "source": "print(x)", "outputs": [
            {"output_type": "stream", "name": "stdout", "text": ["died 1985-10-28\n"]}]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "report.ipynb"
    path.write_text(__import__("json").dumps(nb))
    found = privacy.check_no_identifiers(path, extract=PERSONS)
    assert found["where"].tolist() == ["cell 0 output 0 (text/plain)",
                                       "cell 0 output 0 (text/html)",
                                       "cell 1 output 0 (stream)"]
    with pytest.raises(AssertionError, match="3 identifier") as err:
        privacy.assert_no_identifiers(str(path), extract=PERSONS)
    assert "P0000001" not in str(err.value)
    page = tmp_path / "report.html"
    page.write_text("<html>\n<td>count 12</td>\n<td>P0000002</td>\n</html>")
    found = privacy.check_no_identifiers(page, extract=PERSONS)
    assert found["where"].tolist() == ["report.html line 3"]


@pytest.fixture(scope="module")
def fixture():
    from harkit import datasets

    return datasets.load_fixture()


def test_overview_notebook_has_no_identifiers(fixture):
    notebook = notebooks_dir() / "00_overview.ipynb"
    privacy.assert_no_identifiers(notebook, extract=fixture)


def test_numeric_ids_matched_as_whole_tokens():
    text = "n = 12345; 123456 rows; id 12345."
    found = privacy.check_no_identifiers(text, ids=pd.Series([12345, 99]))
    assert len(found) == 2
