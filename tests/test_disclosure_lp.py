"""harkit._disclosure protects linked result tables with the privacy package's LP rule.

An independent integer attacker (``scipy.optimize.milp``, written here) reads what a
``table_one`` and a ``suppress_linked`` output show, with the sums that tie their cells,
and bounds every hidden cell; no small count may have a range narrower than the threshold.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import null_space
from scipy.optimize import Bounds, LinearConstraint, milp

from harkit import _disclosure as dc
from harkit import privacy
from harkit.compare import table_one

BIG = 10**6  # hidden counts: 0 or more (milp wants finite bounds)


def _attack(lo: np.ndarray, hi: np.ndarray, rows: list[dict[int, float]],
            cells: list[int]) -> dict[int, tuple[float, float]]:
    """Least and greatest whole value of each cell in ``cells`` with ``sum(row) == 0``."""
    a = np.zeros((len(rows), len(lo)))
    for r, coefs in enumerate(rows):
        for k, v in coefs.items():
            a[r, k] += v
    cons = [LinearConstraint(a, 0, 0)] if rows else []
    out = {}
    for k in cells:
        ends = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(lo))
            c[k] = sign
            res = milp(c, constraints=cons, integrality=np.ones(len(lo)),
                       bounds=Bounds(lo, hi))
            assert res.status == 0, res.message
            ends.append(sign * res.fun)
        out[k] = (ends[0], ends[1])
    return out


def _narrow(found: dict[int, tuple[float, float]], truth: np.ndarray,
            threshold: int) -> list[int]:
    """Small true counts whose attacked range is narrower than the threshold."""
    return [k for k, (a, b) in found.items()
            if 0 < truth[k] < threshold and b - a < threshold]


# --------------------------------------------------------------------------- table_one


def _cohort() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 70
    return pd.DataFrame({
        "g": rng.choice(["A", "B", "C"], n, p=[.5, .35, .15]),
        "stage": rng.choice(["I", "II", "III", "IV"], n, p=[.45, .4, .1, .05]),
        "smoker": rng.choice(["yes", "no", None], n, p=[.3, .64, .06]),
    })


def _parse(text: str) -> tuple[int | None, float | None]:
    """``"14 (48.3)"`` -> (14, 48.3); ``"21"`` -> (21, None); ``"*"``, ``"<5"`` -> hidden."""
    m = re.fullmatch(r"([\d,]+)(?: \(([\d.]+)\))?", text.strip())
    if not m:
        return None, None
    return int(m.group(1).replace(",", "")), (float(m.group(2)) if m.group(2) else None)


def _attack_table_one(shown: pd.DataFrame, truth: pd.DataFrame, columns: list[str],
                      threshold: int) -> list[tuple]:
    """Variables: every count cell and each (variable, column) denominator. Relations:
    Overall = sum of the groups; levels add to the denominator; denominator + Missing = n.
    Shown counts are exact; a shown percentage bounds its denominator."""
    lo: list[float] = []
    hi: list[float] = []
    true: list[float] = []
    label: list[tuple] = []

    def var(low: float, high: float, value: float, name: tuple) -> int:
        lo.append(low)
        hi.append(high)
        true.append(value)
        label.append(name)
        return len(lo) - 1

    cell: dict[tuple, int] = {}
    pct: dict[tuple, tuple[int, float]] = {}
    for i, row in shown.iterrows():
        for c in columns:
            n, p = _parse(str(row[c]))
            value = _parse(str(truth.loc[i, c]))[0]
            cell[i, c] = var(n if n is not None else 0, n if n is not None else BIG, value,
                             (row["variable"], row["level"], c))
            if p is not None and n:
                pct[i, c] = (n, p)
    rows: list[dict[int, float]] = []
    overall, groups = columns[0], columns[1:]
    for i in shown.index:
        rows.append({cell[i, overall]: 1.0, **{cell[i, g]: -1.0 for g in groups}})
    n_row = shown.index[shown["variable"] == "n"][0]
    for v in shown["variable"].unique():
        if v == "n":
            continue
        block = shown.index[shown["variable"] == v]
        levels = [i for i in block if shown.loc[i, "level"] != "Missing"]
        miss = [i for i in block if shown.loc[i, "level"] == "Missing"]
        den = {}
        for c in columns:
            d_lo, d_hi = 0.0, float(BIG)
            for i in levels:  # 100 n / d rounds to p: d within a band
                if (i, c) in pct:
                    n, p = pct[i, c]
                    d_lo = max(d_lo, np.ceil(100 * n / (p + 0.05) - 1e-9))
                    if p > 0.05:
                        d_hi = min(d_hi, np.floor(100 * n / (p - 0.05) + 1e-9))
            den[c] = var(d_lo, d_hi, sum(true[cell[i, c]] for i in levels), (v, "den", c))
            rows.append({den[c]: 1.0, **{cell[i, c]: -1.0 for i in levels}})
            rows.append({cell[n_row, c]: 1.0, den[c]: -1.0,
                         **{cell[i, c]: -1.0 for i in miss}})
        rows.append({den[overall]: 1.0, **{den[g]: -1.0 for g in groups}})
    lo_a, hi_a, truth_a = np.array(lo), np.array(hi), np.array(true)
    hidden = [k for k in range(len(lo)) if lo_a[k] != hi_a[k]]
    found = _attack(lo_a, hi_a, rows, hidden)
    return [(label[k], found[k]) for k in _narrow(found, truth_a, threshold)]


def test_table_one_resists_an_integer_attack():
    df = _cohort()
    cols = ["Overall", "A", "B", "C"]
    shown = table_one(df, "g", ["stage", "smoker"]).table
    truth = table_one(df, "g", ["stage", "smoker"], suppress=False).table
    assert (shown[cols] == "*").to_numpy().any()  # the attack has something to work on
    assert _attack_table_one(shown, truth, cols, 5) == []


# --------------------------------------------------------------------------- suppress_linked

# One row of cells a, b, c, e and three published sums: t1 = a + b + e, t2 = b + c,
# t3 = a + c. Small: a = 2, c = 4, e = 4.
LINKED = pd.DataFrame({"a": [2], "b": [14], "c": [4], "e": [4],
                       "t1": [20], "t2": [18], "t3": [6]})
SUMS = [((0, "t1"), [(0, "a"), (0, "b"), (0, "e")]),
        ((0, "t2"), [(0, "b"), (0, "c")]),
        ((0, "t3"), [(0, "a"), (0, "c")])]
COLS = list(LINKED.columns)
EQS = [[COLS.index(t[1]) + 1, *[-(COLS.index(p[1]) + 1) for p in parts]] for t, parts in SUMS]


def _attack_linked(hidden: np.ndarray) -> dict[int, tuple[float, float]]:
    values = LINKED.iloc[0].to_numpy(float)
    lo = np.where(hidden, 0.0, values)
    hi = np.where(hidden, float(BIG), values)
    rows = [{abs(s) - 1: float(np.sign(s)) for s in eq} for eq in EQS]
    return _attack(lo, hi, rows, list(np.flatnonzero(hidden)))


def _old_rule_recoverable(hidden: np.ndarray) -> np.ndarray:
    """The rule harkit._disclosure used before: exact recovery through the null space."""
    cols = np.flatnonzero(hidden)
    a = np.array([[sum(np.sign(s) for s in eq if abs(s) - 1 == k) for k in cols]
                  for eq in EQS], float)
    free = null_space(a)
    out = np.zeros(len(hidden), bool)
    out[cols[np.linalg.norm(free, axis=1) < 1e-9]] = True
    return out


def test_null_space_rule_lets_a_narrow_interval_through():
    # What the old protect published: a, c, e (small) and b (complement of c) hidden.
    # No hidden cell is exactly recoverable, yet e = 8 - 2a >= 0 gives a in [0, 4].
    old = np.array([True, True, True, True, False, False, False])
    assert not _old_rule_recoverable(old).any()
    assert _attack_linked(old)[0] == (0, 4)
    values = LINKED.iloc[0].to_numpy(float)
    with privacy.policy(threshold=5):
        assert dc.recoverable(values, EQS, old)[0]  # the LP rule catches it


def test_suppress_linked_resists_an_integer_attack():
    with privacy.policy(threshold=5):
        out = dc.suppress_linked(LINKED, COLS, SUMS)
    hidden = out.iloc[0].astype(str).isin(["*", "<5"]).to_numpy()
    assert hidden[:4].all() and hidden[4:].any()  # a sum had to go too
    found = _attack_linked(hidden)
    assert _narrow(found, LINKED.iloc[0].to_numpy(float), 5) == []


@pytest.mark.parametrize("round_to", [None, 5])
def test_protect_follows_the_policy_in_force(round_to):
    # Under rounding the attacker sees t1..t3 only to within 2: protect still passes the
    # LP audit of the same bounds.
    values = LINKED.iloc[0].to_numpy(float)
    start = np.array([True, False, True, True, False, False, False])
    with privacy.policy(threshold=5, round_to=round_to):
        mask, stuck = dc.protect(values, start, EQS, targets=start)
        assert not stuck
        assert not dc.recoverable(values, EQS, mask)[start].any()
