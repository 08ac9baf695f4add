"""Attack suppressed tables with an attacker written independently of harkit.privacy.audit.

The attacker sees a published table (hidden cells, shown counts, possibly rounded) plus
its totals (given in the table, or public elsewhere when the table has none) and solves,
for each hidden cell, the least and greatest *whole-number* value it can take
(``scipy.optimize.milp``). It knows what harkit's rule implies: a hidden count is at least
1 (harkit hides a zero only as a last resort; then at least 0) and a shown non-zero count
is at least the threshold.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from harkit import privacy
from harkit.privacy._grid import grids
from harkit.privacy._secondary import line_rule
from harkit.privacy.suppression import count_array

# --------------------------------------------------------------------------- the attacker


def _shown_range(c: int, threshold: int, round_to: int | None) -> tuple[int, int]:
    """Whole counts that could be published as ``c`` (brute force over nearby counts)."""
    if not round_to:
        return c, c
    could = [x for x in range(max(0, c - round_to), c + round_to + 1)
             if round(x / round_to) * round_to == c and (x == 0 or x >= threshold)]
    return min(could), max(could)


def attack(full: np.ndarray, hidden: np.ndarray, shown: np.ndarray, threshold: int,
           round_to: int | None, exact: np.ndarray, hidden_min: int = 1
           ) -> dict[tuple[int, int], tuple]:
    """Whole-number bounds of the hidden small cells of a table with margins (last row and
    column). ``full`` (the truth) only picks the cells to attack; ``exact`` marks cells
    known exactly (public totals that are not part of the published table).
    """
    n_r, n_c = full.shape
    idx = np.arange(n_r * n_c).reshape(n_r, n_c)
    rows = []
    for i in range(n_r):   # each row adds up to its total (last column)
        a = np.zeros(n_r * n_c)
        a[idx[i, :-1]] = 1
        a[idx[i, -1]] = -1
        rows.append(a)
    for j in range(n_c):   # each column adds up to its total (last row)
        a = np.zeros(n_r * n_c)
        a[idx[:-1, j]] = 1
        a[idx[-1, j]] = -1
        rows.append(a)
    cons = LinearConstraint(np.array(rows), 0, 0)
    lo, hi = np.zeros(n_r * n_c), np.zeros(n_r * n_c)
    for i in range(n_r):
        for j in range(n_c):
            k = idx[i, j]
            if hidden[i, j]:
                lo[k], hi[k] = hidden_min, np.inf
            elif exact[i, j]:
                lo[k] = hi[k] = shown[i, j]
            else:
                lo[k], hi[k] = _shown_range(int(shown[i, j]), threshold, round_to)
    out = {}
    for i, j in zip(*np.nonzero(hidden & (full > 0) & (full < threshold))):
        c = np.zeros(n_r * n_c)
        c[idx[i, j]] = 1
        least = milp(c, constraints=cons, integrality=np.ones_like(c), bounds=Bounds(lo, hi))
        most = milp(-c, constraints=cons, integrality=np.ones_like(c), bounds=Bounds(lo, hi))
        assert least.status == 0, least.message  # the truth is always a solution
        top = -most.fun if most.status == 0 else np.inf
        out[(i, j)] = (round(least.fun), top if np.isinf(top) else round(top))
    return out


def _with_margins(cells: np.ndarray) -> np.ndarray:
    full = np.zeros((cells.shape[0] + 1, cells.shape[1] + 1), int)
    full[:-1, :-1] = cells
    full[-1, :-1] = cells.sum(0)
    full[:-1, -1] = cells.sum(1)
    full[-1, -1] = cells.sum()
    return full


def _parse(text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    hidden = np.vectorize(lambda s: not s.replace(",", "").isdigit())(text)
    shown = np.where(hidden, "0", text)
    return hidden, np.vectorize(lambda s: int(s.replace(",", "")))(shown)


def leaks(cells: np.ndarray, text: np.ndarray, threshold: int, round_to: int | None,
          margins_in_table: bool) -> set[tuple[int, int]]:
    """Primary cells the attacker pins or narrows below ``threshold`` (interior positions
    for a table without margins; full positions otherwise)."""
    full = _with_margins(cells)
    hidden = np.zeros(full.shape, bool)
    shown = full.copy()
    exact = np.zeros(full.shape, bool)
    if margins_in_table:
        hidden, shown = _parse(text)
    else:  # the totals are not in the table: public, exact
        hidden[:-1, :-1], shown[:-1, :-1] = _parse(text)
        exact[-1, :] = exact[:, -1] = True
    # harkit hides a zero only where a line has nothing else to hide; in such a table the
    # attacker cannot tell which hidden cell is the zero, and assumes hidden >= 0
    least = 0 if (hidden & (full == 0)).any() else 1
    found = set()
    for (i, j), (lo, hi) in attack(full, hidden, shown, threshold, round_to, exact,
                                   least).items():
        if 0 < full[i, j] < threshold and (hi - lo < threshold):
            found.add((i, j))
    # a small count left visible in the table would be a leak too
    small = ~hidden & ~exact & (full > 0) & (full < threshold)
    found |= {(i, j) for i, j in zip(*np.nonzero(small))}
    return found


# --------------------------------------------------------------------------- (a) example

EXAMPLE = pd.DataFrame([[1, 2, 50, 60], [2, 1, 3, 70], [40, 50, 1, 2], [60, 70, 2, 1]],
                       index=["r0", "r1", "r2", "r3"], columns=["c0", "c1", "c2", "c3"])


def _wide(cells: np.ndarray) -> pd.DataFrame:
    t = pd.DataFrame(cells, index=[f"r{i}" for i in range(cells.shape[0])],
                     columns=[f"c{j}" for j in range(cells.shape[1])])
    t["Total"] = t.sum(axis=1)
    t.loc["Total"] = t.sum(axis=0)
    return t


def test_example_from_the_issue_is_protected():
    w = _wide(EXAMPLE.to_numpy())
    # The old line rule leaves r1/c2 = 3 exactly recoverable (c0 + c1 of r0 and r1 add to
    # 6 = row r1 without c3, so r1/c2 = 76 - 70 - 3).
    assert leaks(EXAMPLE.to_numpy(), _old_rule(w, 5), 5, None, True) >= {(1, 2)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = privacy.suppress(w, secondary=True)
    assert leaks(EXAMPLE.to_numpy(), out.to_numpy(), 5, None, True) == set()
    assert privacy.audit(w, out).attrs["protected"]


# --------------------------------------------------------------------------- (b) battery


def _cells(rng: np.random.Generator, threshold: int) -> np.ndarray:
    n_r, n_c = rng.integers(2, 6), rng.integers(2, 6)
    kind = rng.choice(["small", "mixed", "large"])
    p_small = {"small": 0.5, "mixed": 0.25, "large": 0.08}[kind]
    u = rng.random((n_r, n_c))
    big = rng.integers(threshold, 200, (n_r, n_c))
    return np.where(u < p_small, rng.integers(1, threshold, (n_r, n_c)),
                    np.where(u < p_small + 0.12, 0, big))


def _check(cells, out_text, threshold, round_to, margins, warned, labels):
    """No unwarned primary cell leaks, and every warned cell does leak."""
    found = leaks(cells, out_text, threshold, round_to, margins)
    assert {labels[ij] for ij in found} <= set(warned), (cells, out_text, found)
    assert set(warned) <= {labels[ij] for ij in found}


def _suppress(*args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = privacy.suppress(*args, **kwargs)
    assert all(issubclass(w.category, privacy.DisclosureWarning) for w in caught)
    assert bool(caught) == bool(out.attrs["unprotected_cells"])
    return out


def _wide_labels(n_r, n_c):
    idx = [f"r{i}" for i in range(n_r)] + ["Total"]
    cols = [f"c{j}" for j in range(n_c)] + ["Total"]
    return {(i, j): f"row {idx[i]!r}, column {cols[j]!r}"
            for i in range(n_r + 1) for j in range(n_c + 1)}


@pytest.mark.slow
@pytest.mark.parametrize("form", ["wide_margins", "wide_plain", "long", "long_by",
                                  "wide_rounded"])
def test_battery_independent_attacker_recovers_nothing(form):
    rng = np.random.default_rng(["wide_margins", "wide_plain", "long", "long_by",
                                 "wide_rounded"].index(form))
    pol = privacy.REPORT_POLICY if form == "wide_rounded" else privacy.DEFAULT_POLICY
    n_tables = {"wide_margins": 300, "wide_plain": 250, "long": 150, "long_by": 150,
                "wide_rounded": 200}[form]
    with privacy.policy(pol):
        for _ in range(n_tables):
            _one_table(rng, form, pol)


def _one_table(rng, form, pol):
    t, r = pol.threshold, pol.round_to
    strata = [_cells(rng, t)] if form != "long_by" else [_cells(rng, t), _cells(rng, t)]
    cells = strata[0]
    if form in ("wide_margins", "wide_rounded"):
        out = _suppress(_wide(cells), secondary=True)
        labels = _wide_labels(*cells.shape)
        _check(cells, out.to_numpy(), t, r, True, out.attrs["unprotected_cells"], labels)
    elif form == "wide_plain":
        plain = _wide(cells).iloc[:-1, :-1]
        out = _suppress(plain, secondary=True)
        labels = _wide_labels(*cells.shape)
        _check(cells, out.to_numpy(), t, r, False, out.attrs["unprotected_cells"], labels)
    else:
        longs = []
        for s, c in enumerate(strata):
            lg = _wide(c).rename_axis("row").reset_index().melt(
                id_vars="row", var_name="col", value_name="n").assign(s=s)
            # absent combinations are published zeros: drop some zero cells
            drop = (lg["n"] == 0) & (rng.random(len(lg)) < 0.5)
            longs.append(lg[~drop])
        lg = pd.concat(longs, ignore_index=True).sample(frac=1, random_state=1)
        by = "s" if form == "long_by" else None
        out = _suppress(lg, ["n"], rows="row", cols="col", by=by)
        for s, c in enumerate(strata):
            part = out[out["s"] == s]
            text = part.pivot(index="row", columns="col", values="n")
            text = text.reindex(index=[*(f"r{i}" for i in range(c.shape[0])), "Total"],
                                columns=[*(f"c{j}" for j in range(c.shape[1])), "Total"])
            text = text.fillna("0").to_numpy()
            prefix = "" if by is None else f"stratum {s!r}, "
            labels = {(i, j): f"{prefix}row={a!r}, col={b!r}"
                      for (i, j), a, b in _grid_labels(c.shape)}
            warned = [w for w in out.attrs["unprotected_cells"] if w.startswith(prefix)]
            _check(c, text, t, r, True, warned, labels)


def _grid_labels(shape):
    idx = [f"r{i}" for i in range(shape[0])] + ["Total"]
    cols = [f"c{j}" for j in range(shape[1])] + ["Total"]
    return [((i, j), idx[i], cols[j]) for i in range(len(idx)) for j in range(len(cols))]


# --------------------------------------------------------------------------- (c) old rule


def _old_rule(table: pd.DataFrame, threshold: int) -> np.ndarray:
    """The published text under the rule harkit used before the audit (line rule only)."""
    cols = list(table.columns)
    values = count_array(table, cols)
    grid = grids(table, cols, values)[0]
    mask = (values > 0) & (values < threshold)
    line_rule(grid, mask, old=True)
    text = np.vectorize(lambda v: f"{int(v):,}")(values).astype(object)
    text[mask] = "*"
    return text


@pytest.mark.slow
def test_old_line_rule_leaks_in_some_random_tables_and_the_audit_does_not():
    # The same attacker against the rule harkit used before the audit: a test that can
    # fail. The old rule hid zeros as complements, so against it the attacker may only
    # assume a hidden count is >= 0.
    rng = np.random.default_rng(11)
    n, pinned = 300, {"old": 0, "new": 0}
    none = np.zeros((5, 5), bool)
    for _ in range(n):
        cells = np.where(rng.random((4, 4)) < 0.35, rng.integers(1, 5, (4, 4)),
                         rng.integers(5, 150, (4, 4)))
        w, full = _wide(cells), _with_margins(cells)
        for rule, text, least in (("old", _old_rule(w, 5), 0),
                                  ("new", _suppress(w, secondary=True).to_numpy(), 1)):
            hidden, shown = _parse(text)
            bounds = attack(full, hidden, shown, 5, None, none, hidden_min=least)
            pinned[rule] += any(lo == hi for lo, hi in bounds.values())
    assert 0.02 * n <= pinned["old"] <= 0.15 * n, pinned
    assert pinned["new"] == 0


# --------------------------------------------------------------------------- (d) by hand


def test_audit_intervals_by_hand_two_by_two():
    # a + b = 13, a + c = 20, c + d = 37, b + d = 30 (all hidden; margins shown):
    # a = t, b = 13 - t, c = 20 - t, d = 17 + t; every cell >= 1 gives t in [1, 12].
    t = _wide(np.array([[3, 10], [17, 20]]))
    res = privacy.audit(t).set_index("cell")
    assert res.loc["row 'r0', column 'c0'", ["lo", "hi"]].tolist() == [1, 12]
    assert res.loc["row 'r0', column 'c1'", ["lo", "hi"]].tolist() == [1, 12]
    assert res.loc["row 'r1', column 'c0'", ["lo", "hi"]].tolist() == [8, 19]
    assert res.loc["row 'r1', column 'c1'", ["lo", "hi"]].tolist() == [18, 29]
    assert res["protected"].all() and res.attrs["protected"]


def test_audit_pins_a_lone_hidden_cell_and_reads_less_than_markers():
    t = _wide(np.array([[3, 10], [17, 20]]))
    published = privacy.suppress(t)          # primary only: "<5", no complements
    res = privacy.audit(t, published)
    assert res[["value", "lo", "hi", "protected"]].values.tolist() == [[3, 3, 3, False]]
    # a hidden margin: the row total 13 hidden too, so a is only bounded by its column
    text = privacy.suppress(t, secondary=True).astype(object)
    assert privacy.audit(t, text).loc[0, ["lo", "hi"]].tolist() == [1, 12]


def test_audit_with_rounding_by_hand():
    # Under the report policy (hidden <= 7, rounded to 5) only 3 is hidden:
    #   r0 [3, 40 | 43] -> [*, 40 | 45];  r1 [10, 60 | 70];  Total [13, 100 | 113] -> 15, 115.
    # Shown 40 is 38..42, 45 is 43..47, 10 is 8..12, 15 is 13..17 (and so on). Row r0 gives
    # 43-42 .. 47-38 = 1..9 and column a 13-12 .. 17-8 = 1..9; both ends are reached by a
    # table consistent with everything shown (a=9: b0=38, T0=47, a1=8, Ta=17, b1=60, T1=68,
    # G=115; a=1: b0=42, T0=43, a1=12, Ta=13, b1=58, T1=70, G=113). Width 8 >= 8.
    t = pd.DataFrame({"a": [3, 10, 13], "b": [40, 60, 100], "Total": [43, 70, 113]},
                     index=["r0", "r1", "Total"])
    with privacy.policy("report"):
        published = privacy.suppress(t, secondary=True)
        res = privacy.audit(t, published)
    assert published["Total"].tolist() == ["45", "70", "115"]
    assert (published == "*").sum().sum() == 1  # rounding alone protects it
    assert res[["value", "lo", "hi", "width", "protected"]].values.tolist() == [
        [3, 1, 9, 8, True]]
    assert res.attrs["round_to"] == 5
    # a "<8" marker says more: at most 7, so the interval is 1..7, narrower than the rule
    with privacy.policy("report"):
        res = privacy.audit(t, privacy.suppress(t))
    assert res.loc[0, ["lo", "hi", "protected"]].tolist() == [1, 7, False]
    # exact counts with only the primary cell hidden pin it: 43 - 40
    exact = privacy.suppress(t, threshold=8, round_to=None)
    assert privacy.audit(t, exact).loc[0, ["lo", "hi"]].tolist() == [3, 3]


def test_rounding_range_halves_go_to_the_even_multiple():
    lo, hi = privacy.rounding_range(np.array([10.0, 20.0, 30.0]), 10)
    # 5 -> 0 and 15 -> 20 (halves to even), so a shown 10 is 6..14, a shown 20 is 15..25
    assert lo.tolist() == [6, 15, 26] and hi.tolist() == [14, 25, 34]
    lo, hi = privacy.rounding_range(np.array([10.0]), 5)
    assert (lo[0], hi[0]) == (8, 12)


def test_audit_strata_absent_margins_and_non_additive_lines():
    long = pd.DataFrame({"s": [1] * 4 + [2] * 4, "r": list("xxyy") * 2,
                         "c": list("abab") * 2, "n": [3, 10, 17, 20, 30, 40, 50, 60]})
    res = privacy.audit(long, rows="r", cols="c", by="s")
    assert set(res["stratum"]) == {1}  # nothing hidden in stratum 2
    # no margins in the table: the row and column sums are public (13, 37; 20, 30)
    assert any("assumed public" in n for n in res.attrs["notes"])
    got = res.set_index(["row", "col"])[["lo", "hi"]]
    assert got.loc[("x", "a")].tolist() == [1, 12]
    assert got.loc[("y", "a")].tolist() == [8, 19]
    assert got.loc[("y", "b")].tolist() == [18, 29]
    # a row adding to less than its total (a category not shown) gives <=; one adding to
    # more (not additive) gives no relation
    t = pd.DataFrame({"a": [3, 20, 6], "b": [30, 40, 50], "Total": [40, 60, 50]},
                     index=["x", "y", "z"])
    notes = privacy.audit(t).attrs["notes"]
    assert any("'x' adds to less" in n for n in notes)
    assert any("'z' adds to more" in n for n in notes)


def test_published_must_match_table():
    t = _wide(np.array([[3, 10], [17, 20]]))
    text = privacy.suppress(t, secondary=True)
    text.loc["Total", "c1"] = "99"
    with pytest.raises(ValueError, match="not consistent"):
        privacy.audit(t, text)


# --------------------------------------------------------------------------- several tables


def test_attack_tables_finds_a_cell_through_a_shared_margin():
    # Table A (sex x cause) hides f/b and its row total; table B (age x cause) shows the
    # cause totals. Alone A protects f/b; with B's margin the attacker... still cannot
    # pin it, unless a table publishes the hidden row total: C gives deaths by sex.
    a = pd.DataFrame({"a": ["40", "*"], "b": ["*", "*"], "Total": ["*", "*"]},
                     index=["f", "m"])
    a.loc["Total"] = ["90", "60", "150"]
    c = pd.DataFrame({"n": ["43", "107"]}, index=["f", "m"])
    res = privacy.attack_tables({"A": a}, round_to=0, threshold=5)
    assert not res["disclosed"].any()
    rel = [{("A", "f", "Total"): 1, ("C", "f", "n"): -1},
           {("A", "m", "Total"): 1, ("C", "m", "n"): -1}]
    res = privacy.attack_tables({"A": a, "C": c}, rel, round_to=0, threshold=5)
    row = res.set_index(["table", "row", "col"]).loc[("A", "f", "b")]
    assert (row["lo"], row["hi"], row["exact"], row["disclosed"]) == (3, 3, True, True)
    assert ("A", "f", "b") in res.attrs["disclosed"]


def test_attack_tables_links_margins_with_the_same_label():
    # A hides f/b (3), f's total and the b and grand totals: alone, f/b is only >= 1.
    a = pd.DataFrame({"a": ["40", "50", "90"], "b": ["*", "57", "*"],
                      "Total": ["*", "107", "*"]}, index=["f", "m", "Total"])
    # B (age x cause) shows deaths per cause, the same margin: b is 60, so f/b = 60 - 57.
    b = pd.DataFrame({"a": ["60", "30", "90"], "b": ["20", "40", "60"],
                      "Total": ["80", "70", "150"]}, index=["young", "old", "Total"])
    alone = privacy.attack_tables({"A": a}, round_to=0, threshold=5)
    assert not alone["disclosed"].any()
    assert alone.set_index(["row", "col"]).loc[("f", "b"), ["lo", "hi"]].tolist() == [1, np.inf]
    res = privacy.attack_tables({"A": a, "B": b}, round_to=0, threshold=5)
    got = res.set_index(["table", "row", "col"])
    assert got.loc[("A", "f", "b"), ["lo", "hi"]].tolist() == [3, 3]
    assert got.loc[("A", "f", "b"), "disclosed"]
    assert got.loc[("A", "f", "Total"), ["lo", "hi"]].tolist() == [43, 43]
    assert not got.loc[("A", "f", "Total"), "disclosed"]  # 43 is not a small count
    unlinked = privacy.attack_tables({"A": a, "B": b}, round_to=0, threshold=5,
                                     link_margins=False)
    assert not unlinked["disclosed"].any()
    with pytest.raises(ValueError, match="cell"):
        privacy.attack_tables({"A": a}, [{("A", "zz", "b"): 1}], round_to=0)


def test_attack_tables_falls_back_to_hidden_zeros():
    # Row x is [3, 0 | 3]: no line rule can protect the 3 without hiding the 0, and then
    # "every hidden count is at least 1" has no solution: the attack assumes >= 0.
    a = pd.DataFrame({"a": ["*", "40", "43"], "b": ["*", "50", "50"],
                      "Total": ["3", "90", "93"]}, index=["x", "y", "Total"])
    res = privacy.attack_tables({"A": a}, round_to=0, threshold=5)
    assert res.attrs["hidden_min"] == 0
    assert res.attrs["disclosed"] == [("A", "x", "a")]
