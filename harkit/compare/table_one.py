"""The publication Table 1: characteristics of a cohort, overall and by group.

Counts and percentages for categorical variables, mean (SD) or median [Q1, Q3] for
continuous ones, standardized mean differences (SMD) and optional p-values, with small
cells suppressed through :func:`harkit.privacy.suppress` unless switched off.
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

from harkit import privacy
from harkit.results import Result

#: A continuous variable is summarised by median [Q1, Q3] when the absolute sample
#: skewness of its non-missing values (all groups together) exceeds this.
SKEW_THRESHOLD = 1.0

OVERALL = "Overall"


@dataclass(repr=False)
class TableOneResult(Result):
    """Result of :func:`table_one`.

    ``table`` is the display table (text cells, one row per variable level);
    ``extra["numbers"]`` holds the unrounded numbers behind it (long format: one row per
    variable, level and column), and ``extra["smd"]`` the SMD per variable and group pair.
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


def _suppressed(counts: pd.DataFrame, threshold: int,
                totals: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Text of each count after :func:`harkit.privacy.suppress`, or None where shown as is.

    With ``totals`` (the group sizes, published in the ``n`` row) the block is suppressed
    as a cross-table with its margins (``Overall`` column, totals row), so that a hidden
    cell cannot be recovered by subtraction; this needs secondary suppression in
    :mod:`harkit.privacy` and falls back to primary suppression without it.
    """
    plain = counts.apply(lambda col: col.map(lambda v: f"{int(v):,}"))
    shown = None
    if totals is not None and len(counts.columns) > 1:
        grid = counts.copy()
        grid.index = [f"row{i}" for i in range(len(grid))]
        grid.loc[OVERALL] = [int(totals[c]) for c in counts.columns]
        try:
            out = privacy.suppress(grid, columns=list(grid.columns), threshold=threshold,
                                   secondary=True, total=OVERALL)
            shown = out.iloc[:-1].set_axis(counts.index)
        except TypeError:  # privacy.suppress without secondary suppression
            shown = None
    if shown is None:
        shown = privacy.suppress(counts, columns=list(counts.columns), threshold=threshold)
    # object, not pandas 3's "str" dtype, which would turn the None below into NaN
    shown = shown[list(counts.columns)].astype(str).astype(object)
    return shown.where(shown != plain, None)


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
    threshold: int = privacy.DEFAULT_THRESHOLD,
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
        Pass every count through :func:`harkit.privacy.suppress`: the levels of each
        categorical variable as a cross-table with its margins (``Overall`` column and the
        non-missing group totals, which the percentages reveal), so complementary cells
        are hidden too (marker ``*``); a hidden count hides its percentage; continuous
        summaries of fewer than ``threshold`` values are hidden. ``False`` shows
        everything (not for publication).
    threshold : int, default 5
        Suppression threshold.
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

    data = df
    groups: list[Any] = []
    if groupby is not None:
        n_na = int(df[groupby].isna().sum())
        if n_na:
            warnings.warn(f"{n_na} rows with missing {groupby!r} dropped", stacklevel=2)
            notes.append(f"{n_na} rows with missing {groupby} are left out.")
            data = df[df[groupby].notna()]
        groups = _levels(df[groupby], order.get(groupby))
        sizes = data[groupby].value_counts()
        empty = [g for g in groups if sizes.get(g, 0) == 0]
        if empty:
            warnings.warn(f"empty groups in {groupby!r}: {empty}", stacklevel=2)
            notes.append(f"Groups without persons: {', '.join(map(str, empty))}.")
        if len(groups) < 2:
            warnings.warn(f"{groupby!r} has fewer than two groups; no SMD or p-values",
                          stacklevel=2)
    col_names = ([OVERALL] if overall or groupby is None else []) + [str(g) for g in groups]
    masks = {}
    if overall or groupby is None:
        masks[OVERALL] = np.ones(len(data), bool)
    for g in groups:
        masks[str(g)] = (data[groupby] == g).to_numpy()
    group_keys = [str(g) for g in groups]
    two_plus = len(groups) >= 2

    cat_set = set(categorical or [])
    cont_set = set(continuous or [])
    rows: list[dict[str, Any]] = []
    numbers: list[dict[str, Any]] = []
    smd_rows: list[dict[str, Any]] = []

    def add_block(block: list[dict[str, Any]], counts: pd.DataFrame | None,
                  totals: Mapping[str, int] | None = None, *,
                  emit: bool = True) -> list[dict[str, Any]]:
        shown = (_suppressed(counts, threshold, totals) if suppress and counts is not None
                 else None)
        for i, r in enumerate(block):
            for c in col_names:
                if shown is not None and shown.iloc[i][c] is not None:
                    r[c] = shown.iloc[i][c]  # the marker; its percentage goes with it
            if emit:
                rows.append(r)
        return block

    add_block.threshold = threshold if suppress else None
    add_block.emit = rows.append

    # n row
    n_counts = pd.DataFrame({c: [int(m.sum())] for c, m in masks.items()})[col_names]
    add_block([{"variable": "n", "level": "", "statistic": "",
                **{c: f"{int(n_counts[c].iloc[0]):,}" for c in col_names},
                "SMD": "", "p-value": "", "test": "", "remark": ""}], n_counts)
    for c in col_names:
        numbers.append({"variable": "n", "level": "", "column": c,
                        "n": int(n_counts[c].iloc[0])})

    for var in columns:
        s = data[var]
        is_cat = var in cat_set or (var not in cont_set and _is_categorical(s))
        if s.notna().sum() == 0:
            warnings.warn(f"{var!r} is missing for everyone", stacklevel=2)
            notes.append(f"{var} is missing for everyone.")
        if is_cat:
            _categorical_block(var, s, masks, col_names, group_keys, two_plus, order, missing,
                               pvalues, smd, decimals, add_block, numbers, smd_rows, notes)
        else:
            _continuous_block(var, pd.to_numeric(s, errors="coerce"), masks, col_names,
                              group_keys, two_plus, nonnormal, missing, pvalues, smd,
                              suppress, threshold, decimals, add_block, numbers, smd_rows)

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
    if suppress:
        notes.append(f"Counts below {threshold} (and their percentages) are suppressed, with "
                     f"complementary cells (*) so they cannot be recovered from totals; "
                     f"continuous summaries of fewer than {threshold} values are hidden.")
    return TableOneResult(table=table, method="Table 1", notes=notes,
                          extra={"numbers": pd.DataFrame(numbers),
                                 "smd": pd.DataFrame(smd_rows,
                                                     columns=["variable", "group1",
                                                              "group2", "smd"])})


def _max_smd(var: str, values: dict[str, Any], keys: list[str], fn: Any,
             smd_rows: list[dict[str, Any]]) -> float:
    best = float("nan")
    for g1, g2 in combinations(keys, 2):
        v = fn(values[g1], values[g2])
        smd_rows.append({"variable": var, "group1": g1, "group2": g2, "smd": v})
        if np.isfinite(v) or v == float("inf"):
            best = v if not np.isfinite(best) or v > best else best
    return best


def _categorical_block(var, s, masks, col_names, group_keys, two_plus, order, missing,
                       pvalues, smd, decimals, add_block, numbers, smd_rows, notes) -> None:
    levels = _levels(s, order.get(var))
    if len(levels) == 1:
        warnings.warn(f"{var!r} has a single category", stacklevel=3)
    na = s.isna().to_numpy()
    vals = s.to_numpy(dtype=object)
    counts = {c: [int(((vals == lv) & m & ~na).sum()) for lv in levels] for c, m in masks.items()}
    nmiss = {c: int((na & m).sum()) for c, m in masks.items()}
    denom = {c: sum(v) for c, v in counts.items()}
    props = {c: np.array(v, float) / denom[c] if denom[c] else np.full(len(v), np.nan)
             for c, v in counts.items()}
    smd_val = (_max_smd(var, props, [g for g in group_keys if denom[g] > 0],
                        smd_categorical, smd_rows) if smd and two_plus else float("nan"))
    p, test = (float("nan"), "")
    if pvalues and two_plus:
        p, test = _cat_test(np.array([counts[g] for g in group_keys]))
    block, count_rows = [], []
    for i, lv in enumerate(levels):
        r = {"variable": var, "level": str(lv), "statistic": "n (%)",
             "SMD": "", "p-value": "", "test": "", "remark": ""}
        for c in col_names:
            n = counts[c][i]
            pct = 100 * props[c][i]
            r[c] = f"{n:,} ({_fmt(pct, decimals)})" if denom[c] else f"{n:,}"
            numbers.append({"variable": var, "level": str(lv), "column": c, "n": n,
                            "denominator": denom[c], "percent": pct})
        count_rows.append([counts[c][i] for c in col_names])
        block.append(r)
    if sum(nmiss.values()) > 0:
        r = {"variable": var, "level": "Missing", "statistic": "n",
             "SMD": "", "p-value": "", "test": "", "remark": ""}
        for c in col_names:
            r[c] = f"{nmiss[c]:,}"
            numbers.append({"variable": var, "level": "Missing", "column": c,
                            "n": nmiss[c]})
        count_rows.append([nmiss[c] for c in col_names])
        block.append(r)
    if levels or len(block):
        block[0]["SMD"] = _fmt(smd_val, 3) if smd and two_plus else ""
        block[0]["p-value"] = _fmt_p(p)
        block[0]["test"] = test
        if len(levels) == 1:
            block[0]["remark"] = "single category"
        n_lv = len(levels)
        threshold = getattr(add_block, "threshold", None)
        small_missing = [c for c in col_names
                         if threshold is not None and 0 < nmiss[c] < threshold]
        if not small_missing:
            # Levels against the non-missing denominators (derivable from the percentages);
            # the missing row on its own.
            add_block(block[:n_lv], pd.DataFrame(count_rows[:n_lv], columns=col_names), denom)
            if missing == "report" and len(block) > n_lv:
                add_block(block[n_lv:], pd.DataFrame(count_rows[n_lv:], columns=col_names))
            return
        # A small missing count would follow from the group size minus the non-missing
        # denominator (shown by any count with its percentage) or minus the level counts:
        # hide the percentages in those columns and protect levels and missing together
        # against the group sizes.
        for r in block[:n_lv]:
            for c in small_missing:
                r[c] = r[c].split(" (")[0]
        notes.append(f"{var}: percentages not shown where a small number of missing values "
                     "could otherwise be worked out.")
        group_n = {c: denom[c] + nmiss[c] for c in col_names}
        rows_all = count_rows if len(count_rows) > n_lv else count_rows + [
            [nmiss[c] for c in col_names]]
        shown_block = block if len(block) > n_lv else block + [{}]
        kept = add_block(shown_block, pd.DataFrame(rows_all, columns=col_names), group_n,
                         emit=False)
        for r in kept[:n_lv] + (kept[n_lv:] if missing == "report" else []):
            add_block.emit(r)


def _fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _continuous_block(var, s, masks, col_names, group_keys, two_plus, nonnormal, missing,
                      pvalues, smd, suppress, threshold, decimals, add_block, numbers,
                      smd_rows) -> None:
    x = s.to_numpy(float)
    ok = np.isfinite(x)
    remark = ""
    if nonnormal is None:
        skew = float(stats.skew(x[ok], bias=False)) if ok.sum() > 2 and np.ptp(x[ok]) > 0 \
            else 0.0
        nn = abs(skew) > SKEW_THRESHOLD
        remark = f"|skewness| {abs(skew):.2f} {'>' if nn else '<='} {SKEW_THRESHOLD:g}"
    elif isinstance(nonnormal, bool):
        nn = nonnormal
    else:
        nn = var in set(nonnormal)
    vals = {c: x[m & ok] for c, m in masks.items()}
    r = {"variable": var, "level": "",
         "statistic": "median [Q1, Q3]" if nn else "mean (SD)",
         "SMD": "", "p-value": "", "test": "", "remark": remark}
    for c in col_names:
        v = vals[c]
        mean = float(v.mean()) if len(v) else float("nan")
        sd = float(v.std(ddof=1)) if len(v) > 1 else float("nan")
        q1, med, q3 = (np.percentile(v, [25, 50, 75]) if len(v) else [float("nan")] * 3)
        numbers.append({"variable": var, "level": "", "column": c, "n": len(v),
                        "mean": mean, "sd": sd, "median": med, "q1": q1, "q3": q3})
        if len(v) == 0:
            r[c] = "-"
        elif suppress and 0 < len(v) < threshold:
            r[c] = f"<{threshold} values"
        elif nn:
            r[c] = f"{_fmt(med, decimals)} [{_fmt(q1, decimals)}, {_fmt(q3, decimals)}]"
        else:
            r[c] = f"{_fmt(mean, decimals)} ({_fmt(sd, decimals)})"
    if smd and two_plus:
        r["SMD"] = _fmt(_max_smd(var, vals, [g for g in group_keys if len(vals[g])],
                                 smd_continuous, smd_rows), 3)
    if pvalues and two_plus:
        p, r["test"] = _cont_test([vals[g] for g in group_keys], nn)
        r["p-value"] = _fmt_p(p)
    block = [r]
    nmiss = {c: int((~ok & m).sum()) for c, m in masks.items()}
    if missing == "report" and sum(nmiss.values()) > 0:
        mr = {"variable": var, "level": "Missing", "statistic": "n",
              "SMD": "", "p-value": "", "test": "", "remark": "",
              **{c: f"{nmiss[c]:,}" for c in col_names}}
        for c in col_names:
            numbers.append({"variable": var, "level": "Missing", "column": c,
                            "n": nmiss[c]})
        block.append(mr)
        add_block(block[:1], None)
        add_block(block[1:], pd.DataFrame([[nmiss[c] for c in col_names]],
                                          columns=col_names))
    else:
        add_block(block, None)
