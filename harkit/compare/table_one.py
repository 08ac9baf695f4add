"""The publication Table 1: characteristics of a cohort, overall and by group.

Counts and percentages for categorical variables, mean (SD) or median [Q1, Q3] for
continuous ones, standardized mean differences (SMD) and optional p-values, with small
counts shown through the disclosure-control policy of :mod:`harkit.privacy` (the whole
table as one set of linked counts, see :mod:`harkit.compare._table_one_cells`) unless
switched off.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from harkit import _disclosure as dc
from harkit.compare._table_one_cells import CellGrid
from harkit.results import Result

#: A continuous variable is summarised by median [Q1, Q3] when the absolute sample
#: skewness of its non-missing values (all groups together) exceeds this.
SKEW_THRESHOLD = 1.0

OVERALL = "Overall"


@dataclass(repr=False)
class TableOneResult(Result):
    """Result of :func:`table_one`.

    ``table`` is the display table (text cells, one row per variable level);
    ``extra["smd"]`` holds the SMD per variable and group pair, and, only when built with
    ``suppress=False``, ``extra["numbers"]`` the exact numbers behind the table (long
    format: one row per variable, level and column).
    """

    def _display(self) -> pd.DataFrame:
        return self.table.set_index(["variable", "level"])

    def to_html(self, **kwargs: Any) -> str:
        """Render the table (and its notes) as HTML.

        Parameters
        ----------
        **kwargs
            Passed to :meth:`pandas.DataFrame.to_html`.

        Returns
        -------
        str
        """
        notes = "".join(f"<li>{_esc(n)}</li>" for n in self.notes)
        return self._display().to_html(**kwargs) + (f"<ul>{notes}</ul>" if notes else "")

    def to_latex(self, **kwargs: Any) -> str:
        """Render the table as LaTeX (notes as a trailing comment block).

        Parameters
        ----------
        **kwargs
            Passed to :meth:`pandas.DataFrame.to_latex`.

        Returns
        -------
        str
        """
        tex = self._display().to_latex(**kwargs)
        return tex + "".join(f"% Note: {n}\n" for n in self.notes)

    def to_excel(self, path: Any, sheet_name: str = "Table 1") -> None:
        """Write the table and its notes to an Excel workbook (needs ``openpyxl``).

        Parameters
        ----------
        path : str or path-like
            Target ``.xlsx`` file.
        sheet_name : str, default "Table 1"
            Sheet of the table; notes go to a sheet ``"Notes"``.
        """
        with pd.ExcelWriter(path) as writer:
            self._display().to_excel(writer, sheet_name=sheet_name)
            pd.DataFrame({"note": self.notes}).to_excel(writer, sheet_name="Notes",
                                                        index=False)


def _esc(text: str) -> str:
    import html
    return html.escape(text)


# ---------------------------------------------------------------- SMD formulas
def smd_continuous(x1: np.ndarray, x2: np.ndarray) -> float:
    """Absolute SMD of a continuous variable, ``|m1 - m2| / sqrt((s1**2 + s2**2) / 2)``.

    Parameters
    ----------
    x1, x2 : numpy.ndarray
        Non-missing values of the two groups (sample SDs, ``ddof=1``).

    Returns
    -------
    float
        NaN when a group has fewer than two values; 0 when both SDs are 0 and the means
        agree, inf when they differ.
    """
    x1, x2 = np.asarray(x1, float), np.asarray(x2, float)
    if len(x1) < 2 or len(x2) < 2:
        return float("nan")
    diff = x1.mean() - x2.mean()
    pooled = np.sqrt((x1.var(ddof=1) + x2.var(ddof=1)) / 2)
    if pooled == 0:
        return 0.0 if diff == 0 else float("inf")
    return float(abs(diff) / pooled)


def smd_categorical(p1: np.ndarray, p2: np.ndarray) -> float:
    """SMD of a categorical variable (Yang & Dalton 2012).

    With ``T`` and ``C`` the proportions of categories 2..K in the two groups,
    ``SMD = sqrt((T - C)' S^-1 (T - C))`` where ``S[k, k] = (T_k (1 - T_k) + C_k (1 - C_k)) / 2``
    and ``S[k, l] = -(T_k T_l + C_k C_l) / 2``. For two categories this is
    ``|p1 - p2| / sqrt((p1 (1 - p1) + p2 (1 - p2)) / 2)``.

    Parameters
    ----------
    p1, p2 : numpy.ndarray
        Proportions of all K categories in each group (each summing to 1).

    Returns
    -------
    float
        Categories with zero variance in both groups are dropped; if such a category
        differs between groups the SMD is inf. NaN when a group is empty.
    """
    p1, p2 = np.asarray(p1, float), np.asarray(p2, float)
    if not (np.isfinite(p1).all() and np.isfinite(p2).all()) or p1.sum() == 0 or p2.sum() == 0:
        return float("nan")
    t, c = p1[1:], p2[1:]
    var = (t * (1 - t) + c * (1 - c)) / 2
    keep = var > 1e-15
    if np.any(np.abs(t - c)[~keep] > 1e-12):
        return float("inf")
    t, c = t[keep], c[keep]
    if len(t) == 0:
        return 0.0
    s = -(np.outer(t, t) + np.outer(c, c)) / 2
    np.fill_diagonal(s, (t * (1 - t) + c * (1 - c)) / 2)
    d = t - c
    val = float(d @ np.linalg.pinv(s) @ d)
    return float(np.sqrt(max(val, 0.0)))


# ---------------------------------------------------------------- helpers
def _levels(s: pd.Series, order: Sequence[Any] | None) -> list[Any]:
    present = list(pd.unique(s.dropna()))
    if order is not None:
        extra = [v for v in present if v not in list(order)]
        return list(order) + sorted(extra, key=str)
    if isinstance(s.dtype, pd.CategoricalDtype):
        return list(s.cat.categories)
    try:
        return sorted(present)
    except TypeError:
        return sorted(present, key=str)


def _is_categorical(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)


def _fmt(v: float, decimals: int) -> str:
    if v == np.inf:
        return "inf"
    return "NaN" if not np.isfinite(v) else f"{v:.{decimals}f}"


def _cat_test(tab: np.ndarray) -> tuple[float, str]:
    tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return float("nan"), "not tested (fewer than 2 groups or categories with data)"
    expected = stats.contingency.expected_freq(tab)
    if tab.shape == (2, 2) and (expected < 5).any():
        return float(stats.fisher_exact(tab)[1]), "Fisher's exact"
    res = stats.chi2_contingency(tab)
    name = "Chi-squared (Yates)" if tab.shape == (2, 2) else "Chi-squared"
    if (expected < 5).any():
        name += "; expected count < 5, approximate"
    return float(res.pvalue), name


def _cont_test(groups: list[np.ndarray], nonnormal: bool) -> tuple[float, str]:
    groups = [g for g in groups if len(g) > 0]
    if len(groups) < 2 or any(len(g) < 2 for g in groups):
        return float("nan"), "not tested (a group has fewer than 2 values)"
    if np.ptp(np.concatenate(groups)) == 0:
        return float("nan"), "not tested (constant variable)"
    if all(np.ptp(g) == 0 for g in groups):
        return float("nan"), "not tested (no variation within groups)"
    if nonnormal:
        return float(stats.kruskal(*groups).pvalue), "Kruskal-Wallis"
    if len(groups) == 2:
        return float(stats.ttest_ind(*groups, equal_var=False).pvalue), "Welch t-test"
    return float(stats.f_oneway(*groups).pvalue), "One-way ANOVA"


# ---------------------------------------------------------------- main
def table_one(
    df: pd.DataFrame,
    groupby: str | None = None,
    columns: Sequence[str] | None = None,
    *,
    categorical: Sequence[str] | None = None,
    continuous: Sequence[str] | None = None,
    nonnormal: Sequence[str] | bool | None = None,
    pvalues: bool = False,
    overall: bool = True,
    smd: bool = True,
    missing: str = "report",
    order: Mapping[str, Sequence[Any]] | None = None,
    suppress: bool = True,
    threshold: int | None = None,
    decimals: int = 1,
) -> TableOneResult:
    """Table 1: characteristics of a cohort, overall and by group.

    Categorical variables are shown as ``n (%)`` with percentages of the **non-missing**
    values in the column's group; missing values get their own ``Missing`` row (count
    only) when there are any. Continuous variables are shown as ``mean (SD)``, or as
    ``median [Q1, Q3]`` when listed in ``nonnormal`` or, with ``nonnormal=None``, when the
    absolute sample skewness of the non-missing values exceeds ``SKEW_THRESHOLD`` (1.0);
    the ``statistic`` and ``remark`` columns say which and why.

    Standardized mean differences (absolute values):

    * continuous: ``|m1 - m2| / sqrt((s1**2 + s2**2) / 2)`` (sample SDs), computed on
      mean and SD also for variables shown as medians;
    * categorical (Yang & Dalton 2012): ``sqrt((T - C)' S^-1 (T - C))`` with ``T``, ``C``
      the proportions of categories 2..K among non-missing values and
      ``S[k,k] = (T_k(1-T_k) + C_k(1-C_k))/2``, ``S[k,l] = -(T_k T_l + C_k C_l)/2``;
    * with more than two groups, the largest SMD over all pairs of non-empty groups.

    P-values (``pvalues=True``): chi-squared test (Yates-corrected for 2x2 tables) for
    categorical variables, Fisher's exact test for a 2x2 table with an expected count
    below 5; Welch's t-test (2 groups) or one-way ANOVA (more) for normal continuous
    variables, Kruskal-Wallis for non-normal ones. The ``test`` column names the test.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per person (e.g. from :func:`harkit.cohort.build`).
    groupby : str, optional
        Column defining the groups. Rows with a missing group are dropped with a warning.
    columns : sequence of str, optional
        Variables to describe; default every column except ``groupby``.
    categorical, continuous : sequence of str, optional
        Force the type of a variable. Otherwise numeric (non-boolean) columns are
        continuous and all others categorical.
    nonnormal : sequence of str or bool, optional
        Continuous variables shown as median [Q1, Q3]; ``True`` for all, ``False`` for
        none, ``None`` (default) for the skewness rule.
    pvalues : bool, default False
        Add ``p-value`` and ``test`` columns.
    overall : bool, default True
        Add an ``Overall`` column.
    smd : bool, default True
        Add an ``SMD`` column (needs ``groupby``).
    missing : {"report", "ignore"}, default "report"
        Show ``Missing`` rows, or leave them out (percentages stay of non-missing).
    order : mapping, optional
        Category order per variable (also for ``groupby``); default the categorical
        dtype's order, else sorted.
    suppress : bool, default True
        Show every count through the disclosure-control policy (:mod:`harkit.privacy`),
        the whole table as one set of linked counts: each categorical variable's block is
        a cross-table with its margins (the ``Overall`` column and the group sizes of the
        ``n`` row, or the non-missing denominators the percentages reveal), secondary
        suppression hides complementary cells (marker ``*``) and an audit of every sum in
        the table hides more until no small count can be worked out by subtraction; a
        hidden count hides its percentage, a hidden denominator a column's percentages; a
        group smaller than the threshold hides its column and the ``Overall`` column;
        continuous summaries of fewer than ``threshold`` values are hidden. ``False``
        shows everything (not for publication).
    threshold : int, optional
        Smallest count shown; default the policy in force.
    decimals : int, default 1
        Decimals of percentages and summaries.

    Returns
    -------
    TableOneResult
        ``table`` with columns ``variable``, ``level``, ``statistic``, one column per
        group (and ``Overall``), ``SMD``, ``p-value``, ``test``, ``remark``.

    Raises
    ------
    ValueError
        If a named column is missing or ``missing`` is not recognised.
    """
    if missing not in ("report", "ignore"):
        raise ValueError(f"missing must be 'report' or 'ignore', got {missing!r}")
    order = dict(order or {})
    notes: list[str] = []
    needed = list(columns or []) + ([groupby] if groupby else [])
    absent = [c for c in needed if c not in df.columns]
    if absent:
        raise ValueError(f"columns not in data: {absent}; columns are {list(df.columns)}")
    if columns is None:
        columns = [c for c in df.columns if c != groupby]
    columns = list(columns)

    thr = dc.threshold_for(threshold)
    data, groups = df, []
    if groupby is not None:
        data, groups = _groups(df, groupby, order, notes, suppress, threshold)
    col_names = ([OVERALL] if overall or groupby is None else []) + [str(g) for g in groups]
    masks = {}
    if overall or groupby is None:
        masks[OVERALL] = np.ones(len(data), bool)
    for g in groups:
        masks[str(g)] = (data[groupby] == g).to_numpy()
    # under disclosure control, a group smaller than the threshold takes no part in SMDs
    # and tests: they would describe its few persons
    group_keys = [str(g) for g in groups
                  if not suppress or not 0 < masks[str(g)].sum() < thr]
    two_plus = len(groups) >= 2

    cat_set = set(categorical or [])
    cont_set = set(continuous or [])
    rows: list[dict[str, Any]] = []
    numbers: list[dict[str, Any]] = []
    smd_rows: list[dict[str, Any]] = []
    grid = CellGrid(col_names, OVERALL if OVERALL in col_names and len(col_names) > 1
                    else None, threshold, decimals)
    ctx = _Context(masks, col_names, group_keys, two_plus, order, missing, pvalues, smd,
                   decimals, thr if suppress else None, rows, numbers, smd_rows, notes, grid)

    n_counts = {c: int(m.sum()) for c, m in masks.items()}
    n_row = {"variable": "n", "level": "", "statistic": "",
             **{c: f"{n_counts[c]:,}" for c in col_names},
             "SMD": "", "p-value": "", "test": "", "remark": ""}
    rows.append(n_row)
    grid.n_row(n_row, n_counts)
    for c in col_names:
        numbers.append({"variable": "n", "level": "", "column": c, "n": n_counts[c]})

    for var in columns:
        s = data[var]
        is_cat = var in cat_set or (var not in cont_set and _is_categorical(s))
        if s.notna().sum() == 0:
            warnings.warn(f"{var!r} is missing for everyone", stacklevel=2)
            notes.append(f"{var} is missing for everyone.")
        if is_cat:
            _categorical_block(var, s, ctx)
        else:
            _continuous_block(var, pd.to_numeric(s, errors="coerce"), nonnormal, ctx)
    hidden = grid.write() if suppress else 0
    for r in rows if suppress else []:
        if r["statistic"] in ("mean (SD)", "median [Q1, Q3]"):
            r.update({c: "*" for c in grid.hidden_columns if r[c][:1] not in ("<", "-")})

    table = pd.DataFrame(rows)
    keep = ["variable", "level", "statistic", *col_names]
    if smd and two_plus:
        keep.append("SMD")
    if pvalues and two_plus:
        keep += ["p-value", "test"]
    keep.append("remark")
    table = table[keep]
    notes.insert(0, "Categorical: n (%) with percentages of non-missing values; "
                    + ("missing values shown as their own row (count only)."
                       if missing == "report" else "missing values not shown."))
    if smd and two_plus:
        notes.append("SMD: absolute standardized mean difference (Yang & Dalton 2012 for "
                     "categorical variables)" + ("; largest over all pairs of groups."
                                                 if len(groups) > 2 else "."))
    extra: dict[str, Any] = {"smd": pd.DataFrame(smd_rows, columns=["variable", "group1",
                                                                   "group2", "smd"])}
    if suppress:
        notes.append(dc.policy_note(threshold, secondary=True, extra=(
            f"A hidden count hides its percentage; continuous summaries of fewer than {thr} "
            "values are hidden.")))
        table.attrs["hidden_cells"] = hidden
    else:
        extra["numbers"] = pd.DataFrame(numbers)
    return TableOneResult(table=table, method="Table 1", notes=notes, extra=extra)


def _groups(df: pd.DataFrame, groupby: str, order: Mapping[str, Sequence[Any]],
            notes: list[str], suppress: bool, threshold: int | None
            ) -> tuple[pd.DataFrame, list[Any]]:
    """Rows with a group, and the groups in order (warnings for missing and empty)."""
    data = df
    n_na = int(df[groupby].isna().sum())
    if n_na:
        shown = dc.count_text(n_na, threshold) if suppress else str(n_na)
        warnings.warn(f"{shown} rows with missing {groupby!r} dropped", stacklevel=3)
        notes.append(f"{shown} rows with missing {groupby} are left out.")
        data = df[df[groupby].notna()]
    groups = _levels(df[groupby], order.get(groupby))
    sizes = data[groupby].value_counts()
    empty = [g for g in groups if sizes.get(g, 0) == 0]
    if empty:
        warnings.warn(f"empty groups in {groupby!r}: {empty}", stacklevel=3)
        notes.append(f"Groups without persons: {', '.join(map(str, empty))}.")
    if len(groups) < 2:
        warnings.warn(f"{groupby!r} has fewer than two groups; no SMD or p-values",
                      stacklevel=3)
    return data, groups


@dataclass
class _Context:
    """What every variable block of :func:`table_one` needs."""

    masks: dict[str, np.ndarray]
    col_names: list[str]
    group_keys: list[str]
    two_plus: bool
    order: Mapping[str, Sequence[Any]]
    missing: str
    pvalues: bool
    smd: bool
    decimals: int
    threshold: int | None  # None: no suppression
    rows: list[dict[str, Any]]
    numbers: list[dict[str, Any]]
    smd_rows: list[dict[str, Any]]
    notes: list[str]
    grid: CellGrid


def _max_smd(var: str, values: dict[str, Any], keys: list[str], fn: Any,
             smd_rows: list[dict[str, Any]]) -> float:
    best = float("nan")
    for g1, g2 in combinations(keys, 2):
        v = fn(values[g1], values[g2])
        smd_rows.append({"variable": var, "group1": g1, "group2": g2, "smd": v})
        if np.isfinite(v) or v == float("inf"):
            best = v if not np.isfinite(best) or v > best else best
    return best


def _categorical_block(var: str, s: pd.Series, ctx: _Context) -> None:
    """Level rows ``n (%)`` and a Missing row of one categorical variable."""
    levels = _levels(s, ctx.order.get(var))
    if len(levels) == 1:
        warnings.warn(f"{var!r} has a single category", stacklevel=3)
    na = s.isna().to_numpy()
    vals = s.to_numpy(dtype=object)
    counts = {c: [int(((vals == lv) & m & ~na).sum()) for lv in levels]
              for c, m in ctx.masks.items()}
    nmiss = {c: int((na & m).sum()) for c, m in ctx.masks.items()}
    denom = {c: sum(v) for c, v in counts.items()}
    props = {c: np.array(v, float) / denom[c] if denom[c] else np.full(len(v), np.nan)
             for c, v in counts.items()}
    smd_val = (_max_smd(var, props, [g for g in ctx.group_keys if denom[g] > 0],
                        smd_categorical, ctx.smd_rows) if ctx.smd and ctx.two_plus
               else float("nan"))
    p, test = (float("nan"), "")
    if ctx.pvalues and ctx.two_plus:
        p, test = _cat_test(np.array([counts[g] for g in ctx.group_keys]))
    block = []
    for i, lv in enumerate(levels):
        r = _empty_row(var, str(lv), "n (%)")
        for c in ctx.col_names:
            n, pct = counts[c][i], 100 * props[c][i]
            r[c] = f"{n:,} ({_fmt(pct, ctx.decimals)})" if denom[c] else f"{n:,}"
            ctx.numbers.append({"variable": var, "level": str(lv), "column": c, "n": n,
                                "denominator": denom[c], "percent": pct})
        block.append(r)
    missing_row = None
    if ctx.missing == "report" and sum(nmiss.values()) > 0:
        missing_row = _empty_row(var, "Missing", "n")
        for c in ctx.col_names:
            missing_row[c] = f"{nmiss[c]:,}"
            ctx.numbers.append({"variable": var, "level": "Missing", "column": c,
                                "n": nmiss[c]})
    if block or missing_row:
        first = block[0] if block else missing_row
        first["SMD"] = _fmt(smd_val, 3) if ctx.smd and ctx.two_plus else ""
        first["p-value"], first["test"] = _fmt_p(p), test
        if len(levels) == 1:
            first["remark"] = "single category"
    ctx.rows.extend(block + ([missing_row] if missing_row else []))
    ctx.grid.categorical(block, [[counts[c][i] for c in ctx.col_names]
                                 for i in range(len(levels))], missing_row, nmiss)


def _empty_row(var: str, level: str, statistic: str) -> dict[str, Any]:
    return {"variable": var, "level": level, "statistic": statistic,
            "SMD": "", "p-value": "", "test": "", "remark": ""}


def _fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _continuous_block(var: str, s: pd.Series, nonnormal: Sequence[str] | bool | None,
                      ctx: _Context) -> None:
    """One summary row (mean (SD) or median [Q1, Q3]) and a Missing row."""
    x = s.to_numpy(float)
    ok = np.isfinite(x)
    nn, remark = _nonnormal(var, x[ok], nonnormal)
    vals = {c: x[m & ok] for c, m in ctx.masks.items()}
    r = _empty_row(var, "", "median [Q1, Q3]" if nn else "mean (SD)")
    r["remark"] = remark
    for c in ctx.col_names:
        r[c] = _summary(var, c, vals[c], nn, ctx)
    if ctx.smd and ctx.two_plus:
        r["SMD"] = _fmt(_max_smd(var, vals, [g for g in ctx.group_keys if len(vals[g])],
                                 smd_continuous, ctx.smd_rows), 3)
    if ctx.pvalues and ctx.two_plus:
        p, r["test"] = _cont_test([vals[g] for g in ctx.group_keys], nn)
        r["p-value"] = _fmt_p(p)
    ctx.rows.append(r)
    nmiss = {c: int((~ok & m).sum()) for c, m in ctx.masks.items()}
    missing_row = None
    if ctx.missing == "report" and sum(nmiss.values()) > 0:
        missing_row = {**_empty_row(var, "Missing", "n"),
                       **{c: f"{nmiss[c]:,}" for c in ctx.col_names}}
        for c in ctx.col_names:
            ctx.numbers.append({"variable": var, "level": "Missing", "column": c,
                                "n": nmiss[c]})
        ctx.rows.append(missing_row)
    ctx.grid.continuous({c: len(vals[c]) for c in ctx.col_names}, missing_row, nmiss)


def _nonnormal(var: str, x: np.ndarray, nonnormal: Sequence[str] | bool | None
               ) -> tuple[bool, str]:
    """Whether to show median [Q1, Q3], and the remark saying why."""
    if nonnormal is None:
        skew = float(stats.skew(x, bias=False)) if x.size > 2 and np.ptp(x) > 0 else 0.0
        nn = abs(skew) > SKEW_THRESHOLD
        return nn, f"|skewness| {abs(skew):.2f} {'>' if nn else '<='} {SKEW_THRESHOLD:g}"
    if isinstance(nonnormal, bool):
        return nonnormal, ""
    return var in set(nonnormal), ""


def _summary(var: str, column: str, v: np.ndarray, nn: bool, ctx: _Context) -> str:
    """The text of one continuous summary (hidden for fewer than ``threshold`` values)."""
    mean = float(v.mean()) if len(v) else float("nan")
    sd = float(v.std(ddof=1)) if len(v) > 1 else float("nan")
    q1, med, q3 = (np.percentile(v, [25, 50, 75]) if len(v) else [float("nan")] * 3)
    ctx.numbers.append({"variable": var, "level": "", "column": column, "n": len(v),
                        "mean": mean, "sd": sd, "median": med, "q1": q1, "q3": q3})
    d = ctx.decimals
    if len(v) == 0:
        return "-"
    if ctx.threshold is not None and len(v) < ctx.threshold:
        return f"<{ctx.threshold} values"
    if nn:
        return f"{_fmt(med, d)} [{_fmt(q1, d)}, {_fmt(q3, d)}]"
    return f"{_fmt(mean, d)} ({_fmt(sd, d)})"
