"""Which comorbidities are most common among substance-use patients?

The recipe behind the notebook ``04_comorbidity``. Conditions are flags per person, ever
recorded in the specialist-care history before death:

* the Charlson conditions of the Swedish adaptation (Ludvigsson et al. 2021;
  ``harkit/codelists/charlson_ludvigsson.csv``), the ``cci_<condition>`` columns of
  :func:`harkit.cohort.build` (coded diagnoses only);
* substance-specific somatic conditions from the harmonised diagnoses
  (:func:`harkit.icd.harmonise`, codes and uncoded texts): the categories of
  ``alcohol_somatic`` (alcoholic liver disease, pancreatitis, cardiomyopathy,
  polyneuropathy ...) and ``drug_poisoning`` (non-fatal drug poisonings), as
  ``alcohol_somatic_<category>`` and ``drug_poisoning_<category>`` columns
  (:func:`substance_specific_flags`).

Patients and comparison persons die at very different ages, so prevalences are compared
after age and sex standardisation (:func:`standardised_prevalence`): the comparison
group is standardised, with :func:`harkit.compare.standardise`, to the age (at death) and
sex distribution of each patient group. The ratio of the patients' prevalence to that
standardised prevalence is the standardised prevalence ratio (observed over expected
cases, as an SMR).

Example::

    from harkit.questions import comorbidity as cm

    cohort = hk.cohort.build(ex, main_substance="main_diagnosis")
    df = cm.comorbidity_table(cohort, ex.diagnoses)
    res = cm.standardised_prevalence(df)
    res.table, res.plot(), res.heatmap()
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from harkit import _disclosure as dc
from harkit import compare, privacy
from harkit.icd import codelists as _codelists
from harkit.icd import harmonise
from harkit.plot import axes as _axes
from harkit.plot import forest
from harkit.results import Result

__all__ = [
    "CHARLSON_LABELS",
    "DEFAULT_BANDS",
    "SUBSTANCE_SPECIFIC_LISTS",
    "PrevalenceResult",
    "comorbidity_table",
    "condition_columns",
    "condition_label",
    "standardised_prevalence",
    "substance_specific_flags",
]

#: Lower edges of the age-at-death bands used for standardisation (the last is open).
DEFAULT_BANDS: tuple[float, ...] = (0, 30, 40, 50, 60, 70, 80)

#: Code lists whose categories are substance-specific somatic conditions.
SUBSTANCE_SPECIFIC_LISTS: tuple[str, ...] = ("alcohol_somatic", "drug_poisoning")

#: Display names of the Charlson conditions (Ludvigsson 2021 condition names).
CHARLSON_LABELS: dict[str, str] = {
    "myocardial_infarction": "Myocardial infarction",
    "congestive_heart_failure": "Congestive heart failure",
    "peripheral_vascular_disease": "Peripheral vascular disease",
    "cerebrovascular_disease": "Cerebrovascular disease",
    "chronic_obstructive_pulmonary_disease": "COPD",
    "chronic_other_pulmonary_disease": "Other chronic pulmonary disease",
    "rheumatic_disease": "Rheumatic disease",
    "dementia": "Dementia",
    "hemiplegia": "Hemiplegia or paraplegia",
    "diabetes_without_chronic_complication": "Diabetes without complications",
    "diabetes_with_chronic_complication": "Diabetes with complications",
    "renal_disease": "Renal disease",
    "mild_liver_disease": "Mild liver disease",
    "moderate_severe_liver_disease": "Moderate or severe liver disease",
    "peptic_ulcer_disease": "Peptic ulcer disease",
    "malignancy": "Malignancy",
    "metastatic_cancer": "Metastatic cancer",
    "aids": "HIV/AIDS",
}

_LIST_LABELS = {"alcohol_somatic": "alcohol-related", "drug_poisoning": "drug poisoning"}
_STRATUM = 1000  # sex code * _STRATUM + lower age of the band = one stratum key


def condition_label(column: str) -> str:
    """Display name of a condition column (``cci_dementia`` -> ``Dementia``).

    Parameters
    ----------
    column : str
        ``cci_<condition>`` or ``<list>_<category>`` of :data:`SUBSTANCE_SPECIFIC_LISTS`.

    Returns
    -------
    str
    """
    if column.startswith("cci_"):
        name = column[4:]
        return CHARLSON_LABELS.get(name, name.replace("_", " ").capitalize())
    for lst, label in _LIST_LABELS.items():
        if column.startswith(lst + "_"):
            return f"{column[len(lst) + 1:].replace('_', ' ').capitalize()} ({label})"
    return column.replace("_", " ")


def condition_columns(df: pd.DataFrame) -> list[str]:
    """The condition columns of a table: ``cci_*``, then the substance-specific ones.

    Parameters
    ----------
    df : pandas.DataFrame

    Returns
    -------
    list of str
    """
    cci = [c for c in df.columns if c.startswith("cci_")]
    other = [c for c in df.columns
             if any(c.startswith(lst + "_") for lst in SUBSTANCE_SPECIFIC_LISTS)]
    return cci + other


def substance_specific_flags(
    diagnoses: pd.DataFrame,
    persons: pd.Series | pd.DataFrame | Sequence[Any],
    *,
    lists: Sequence[str] = SUBSTANCE_SPECIFIC_LISTS,
    codelists: Any = None,
) -> pd.DataFrame:
    """Per person, whether a diagnosis of each category of the given lists was recorded.

    Parameters
    ----------
    diagnoses : pandas.DataFrame
        A diagnoses table, raw or already harmonised (then its list columns are used as
        they are; otherwise :func:`harkit.icd.harmonise` maps codes of every revision and
        uncoded texts).
    persons : Series, DataFrame or sequence
        The persons to report, in order (a persons/cohort table or its ``person_id``).
    lists : sequence of str, default ``SUBSTANCE_SPECIFIC_LISTS``
        Code lists (columns added by ``harmonise``) whose categories become flags.
    codelists : optional
        Passed to :func:`harkit.icd.harmonise`; also where the categories are read from.

    Returns
    -------
    pandas.DataFrame
        ``person_id`` and one boolean column ``<list>_<category>`` per category of each
        list (every category of the list, also those never seen, in the list's order).
    """
    if isinstance(persons, pd.DataFrame):
        ids = pd.Index(persons["person_id"])
    else:
        ids = pd.Index(pd.Series(persons))
    dx = diagnoses
    if any(lst not in dx.columns for lst in lists):
        dx = harmonise(dx, codelists=codelists)
    table = codelists if isinstance(codelists, pd.DataFrame) else _codelists(extra=codelists)
    out = pd.DataFrame({"person_id": ids.to_numpy()})
    pos = ids.get_indexer(pd.Index(dx["person_id"]))
    for lst in lists:
        cats = table.loc[table["list"] == lst, "category"]
        cats = list(dict.fromkeys(c for c in cats if c != "exclude"))
        values = dx[lst].astype("string")
        for cat in cats:
            hit = (values == cat).fillna(False).to_numpy() & (pos >= 0)
            flag = np.zeros(len(ids), dtype=bool)
            flag[pos[hit]] = True
            out[f"{lst}_{cat}"] = flag
    return out


def comorbidity_table(
    cohort: pd.DataFrame,
    diagnoses: pd.DataFrame | None = None,
    *,
    lists: Sequence[str] = SUBSTANCE_SPECIFIC_LISTS,
    codelists: Any = None,
) -> pd.DataFrame:
    """One row per person: group, sex, age at death and every condition flag.

    Parameters
    ----------
    cohort : pandas.DataFrame
        The cohort table of :func:`harkit.cohort.build` (its ``cci_*`` columns are the
        Charlson conditions).
    diagnoses : pandas.DataFrame, optional
        Diagnoses (raw or harmonised) for the substance-specific flags; without them only
        the Charlson conditions are given.
    lists : sequence of str
        Substance-specific code lists (see :func:`substance_specific_flags`).
    codelists : optional
        Passed to :func:`substance_specific_flags`.

    Returns
    -------
    pandas.DataFrame
        ``person_id``, ``sud_group``, ``sex``, ``age_at_death``, the ``cci_*`` columns
        and, with ``diagnoses``, the ``<list>_<category>`` columns.
    """
    keep = ["person_id", "sud_group", "sex", "age_at_death"]
    cci = [c for c in cohort.columns if c.startswith("cci_")]
    out = cohort[keep + cci].reset_index(drop=True).copy()
    for c in cci:
        out[c] = out[c].fillna(False).astype(bool)
    if diagnoses is not None:
        flags = substance_specific_flags(diagnoses, out["person_id"], lists=lists,
                                         codelists=codelists)
        out = pd.concat([out, flags.drop(columns="person_id")], axis=1)
    return out


class PrevalenceResult(Result):
    """Result of :func:`standardised_prevalence`.

    ``table`` (suppressed, for display) has one row per index group and condition:
    ``index_group``, ``condition``, ``label``, ``persons``, ``cases``, ``prevalence``
    (%, crude = standardised to the group itself) with ``lower``/``upper``,
    ``ref_persons``, ``ref_cases`` (the whole reference group), ``ref_prevalence`` (%,
    the reference group standardised to the index group's age and sex) with
    ``ref_lower``/``ref_upper``, ``ratio`` (standardised prevalence ratio) with
    ``ratio_lower``/``ratio_upper``, and ``strata_missing`` (the index group's age-sex
    strata without reference persons; their weight is spread over the others).
    ``extra["numbers"]`` holds the same unsuppressed and numeric, only when built with
    ``suppress=False``.
    """

    def plot(self, ax: Any = None, *, index_groups: Sequence[str] | None = None) -> Any:
        """Forest plot of the standardised prevalence ratios.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
        index_groups : sequence of str, optional
            Index groups to draw (default all).

        Returns
        -------
        matplotlib.axes.Axes
        """
        t = self.table
        if index_groups is not None:
            t = t[t["index_group"].isin(list(index_groups))]
        from matplotlib import ticker

        t = t[pd.to_numeric(t["ratio"], errors="coerce") > 0]
        ax = forest(t, "ratio", "ratio_lower", "ratio_upper", ["label", "index_group"],
                    ax=ax, xlabel="Standardised prevalence ratio vs "
                    f"{self.extra['reference']} (95% CI)")
        ax.xaxis.set_major_locator(ticker.LogLocator(base=2))
        ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        return ax

    def wide(self, *, decimals: int = 1) -> pd.DataFrame:
        """The display table with one row per condition and a column block per group.

        Parameters
        ----------
        decimals : int, default 1
            Decimals of the prevalences (ratios get two).

        Returns
        -------
        pandas.DataFrame
            Index the condition labels; columns ``(index group, measure)`` with measures
            ``cases``, ``%``, ``<reference> %`` (standardised to the group) and
            ``ratio (95% CI)``. Suppressed values are blank.
        """
        t = self.table
        ref = self.extra["reference"]
        blocks = {}
        for g in dict.fromkeys(t["index_group"]):
            tg = t[t["index_group"] == g].set_index("label")
            ratio = [
                "" if not np.isfinite(r) else f"{r:.2f} ({lo:.2f}-{hi:.2f})"
                if np.isfinite(lo) else f"{r:.2f}"
                for r, lo, hi in zip(*(pd.to_numeric(tg[c], errors="coerce").to_numpy(float)
                                       for c in ("ratio", "ratio_lower", "ratio_upper")))]
            blocks[str(g)] = pd.DataFrame({
                "cases": tg["cases"],
                "%": _fmt(tg["prevalence"], decimals),
                f"{ref} %": _fmt(tg["ref_prevalence"], decimals),
                "ratio (95% CI)": ratio,
            }, index=tg.index)
        out = pd.concat(blocks, axis=1)
        out.index.name = "condition"
        return out

    def matrix(self) -> pd.DataFrame:
        """Prevalences (%) as conditions x columns, for a heat map.

        For each index group two columns: the group's prevalence and the reference group's
        prevalence standardised to it (``"<reference> | <group>"``). Suppressed cells are
        NaN.

        Returns
        -------
        pandas.DataFrame
            Index the condition labels, in the order of ``table``.
        """
        t = self.table
        ref = self.extra["reference"]
        cols = {}
        for g in dict.fromkeys(t["index_group"]):
            tg = t[t["index_group"] == g].set_index("label")
            cols[str(g)] = pd.to_numeric(tg["prevalence"], errors="coerce")
            cols[f"{ref} | {g}"] = pd.to_numeric(tg["ref_prevalence"], errors="coerce")
        return pd.DataFrame(cols)

    def heatmap(self, ax: Any = None, *, decimals: int = 1) -> Any:
        """Heat map of :meth:`matrix`, each cell annotated with its prevalence (%).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
        decimals : int, default 1

        Returns
        -------
        matplotlib.axes.Axes
        """
        m = self.matrix()
        ax = _axes(ax, (1.4 * m.shape[1] + 3, 0.32 * m.shape[0] + 1.5))
        values = m.to_numpy(float)
        im = ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap="Reds",
                       vmin=0, vmax=max(np.nanmax(values), 1e-9) if np.isfinite(
                           values).any() else 1)
        ax.set_facecolor("0.9")
        ax.set_xticks(range(m.shape[1]), m.columns, rotation=30, ha="right")
        ax.set_yticks(range(m.shape[0]), m.index)
        top = np.nanmax(values) if np.isfinite(values).any() else 1.0
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                v = values[i, j]
                text = "-" if np.isnan(v) else f"{v:.{decimals}f}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if np.isfinite(v) and v > 0.6 * top else "black")
        ax.figure.colorbar(im, ax=ax, label="prevalence, %")
        return ax


def _fmt(values: pd.Series, decimals: int) -> list[str]:
    v = pd.to_numeric(values, errors="coerce").to_numpy(float)
    return ["" if np.isnan(x) else f"{x:.{decimals}f}" for x in v]


def _groups_arg(values: pd.Series, reference: Any,
                index_groups: Mapping[str, Sequence[Any]] | Sequence[Any] | None
                ) -> dict[str, list[Any]]:
    if index_groups is None:
        seen = values.dropna().unique().tolist()
        if isinstance(values.dtype, pd.CategoricalDtype):
            order = [c for c in values.cat.categories if c in seen]
        else:
            order = sorted(seen, key=str)
        others = [g for g in order if g != reference]
        out = {str(g): [g] for g in others}
        if len(others) > 1:
            out = {"all_sud": others, **out}
        return out
    if isinstance(index_groups, Mapping):
        return {str(k): list(v) for k, v in index_groups.items()}
    return {str(g): [g] for g in index_groups}


def _event_matrix(df: pd.DataFrame, conditions: Sequence[str]) -> np.ndarray:
    """Persons x conditions: 0/1 for boolean flags, the count for integer columns."""
    cols = []
    for c in conditions:
        s = df[c]
        if pd.api.types.is_bool_dtype(s) or s.dtype == object:
            v = s.fillna(False).to_numpy(bool).astype(np.int64)
        else:
            v = pd.to_numeric(s, errors="raise").fillna(0).to_numpy(float)
            if (v < 0).any() or (v % 1 != 0).any():
                raise ValueError(f"condition column {c!r} must be boolean or hold "
                                 "non-negative whole counts")
            v = v.astype(np.int64)
        cols.append(v)
    return np.column_stack(cols) if cols else np.zeros((len(df), 0), np.int64)


def _strata(age: np.ndarray, sex: np.ndarray | None, bands: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(bands, age, side="right") - 1
    key = bands[np.clip(pos, 0, None)]
    if sex is not None:
        key = key + _STRATUM * sex
    return np.where(pos >= 0, key, np.nan)


def standardised_prevalence(
    df: pd.DataFrame,
    conditions: Sequence[str] | None = None,
    *,
    group: str = "sud_group",
    reference: Any = "none",
    index_groups: Mapping[str, Sequence[Any]] | Sequence[Any] | None = None,
    age: str = "age_at_death",
    sex: str | None = "sex",
    bands: Sequence[float] = DEFAULT_BANDS,
    labels: Mapping[str, str] | None = None,
    reference_label: str | None = None,
    conf_level: float = 0.95,
    suppress: bool = True,
    threshold: int | None = None,
) -> PrevalenceResult:
    """Prevalences in patient groups against an age-sex standardised comparison group.

    For each index group G the weights are G's own numbers of persons per stratum (age
    band at death x sex). :func:`harkit.compare.standardise` then gives G's prevalence
    (standardised to itself, i.e. crude) and the reference group's prevalence
    standardised to G's age and sex: the prevalence the reference persons would show if
    they had died at the ages of G's persons. Both come with Fay-Feuer gamma intervals.
    Their ratio is the standardised prevalence ratio (observed / expected cases; an SMR
    for prevalences), with a log-normal interval from ``var(log ratio) = 1/D +
    var(DSR_ref)/DSR_ref**2`` (``D`` the cases in G, ``var(DSR_ref) = sum_i
    (w_i/W)**2 d_i/n_i**2``, Poisson, as in ``standardise``). Ratios of different index
    groups have different standards and are not comparable with each other.

    Age and sex strata are passed to ``standardise`` as one stratum key (``1000 x sex
    code + lower age of the band``) with the index group's counts as a custom standard.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per person with ``group``, ``age``, ``sex`` and condition columns
        (e.g. :func:`comorbidity_table`): boolean flags, or non-negative whole counts
        (e.g. the number of conditions; the "prevalence" is then events per 100
        persons and the ratio a standardised rate ratio).
    conditions : sequence of str, optional
        Condition columns; default :func:`condition_columns`.
    group : str, default "sud_group"
        Group column.
    reference : scalar, default "none"
        The reference (comparison) group.
    index_groups : mapping or sequence, optional
        Index groups: a sequence of group values, or a mapping label -> group values
        (pooled). Default: every other group, preceded by ``all_sud`` (all of them
        pooled) when there are several.
    age : str, default "age_at_death"
        Age in years.
    sex : str or None, default "sex"
        Sex column; None standardises for age only.
    bands : sequence of float, default ``DEFAULT_BANDS``
        Lower edges of the age bands (the last band is open). Persons below the first are
        left out.
    labels : mapping, optional
        Display names of condition columns (default :func:`condition_label`).
    reference_label : str, optional
        Display name of the reference group (default ``str(reference)``).
    conf_level : float, default 0.95
    suppress : bool, default True
        Suppress the counts of ``table`` (:func:`harkit.privacy.suppress`; with a pooled
        index group the groups form a cross-table with it as total, so a hidden count
        cannot be recovered by subtraction) and blank every estimate resting on 1 to
        ``threshold - 1`` cases (the index group's for its prevalence and the ratio, the
        reference group's in the strata used for the standardised prevalence and the
        ratio).
    threshold : int, optional
        Smallest count shown; default the policy in force. A count whose complement
        (persons without the condition) would be hidden is hidden too.

    Returns
    -------
    PrevalenceResult
        Rows sorted by index group, then by prevalence in the first index group
        (descending; ties by condition name), so the most common conditions come first.

    Raises
    ------
    KeyError
        A named column is missing.
    ValueError
        No persons in the reference group or in an index group.
    """
    if conditions is None:
        conditions = condition_columns(df)
    conditions = list(conditions)
    needed = [group, age, *conditions] + ([sex] if sex else [])
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in the table: {missing}")
    groups = _groups_arg(df[group], reference, index_groups)
    bands_arr = np.asarray(sorted(bands), dtype=float)
    notes: list[str] = []

    age_v = pd.to_numeric(df[age], errors="coerce").to_numpy(float)
    sex_v = None
    ok = ~np.isnan(age_v) & df[group].notna().to_numpy()
    if sex:
        sex_s = df[sex].astype("string")
        sex_levels = sorted(sex_s.dropna().unique())
        sex_v = np.asarray(pd.Categorical(sex_s, categories=sex_levels).codes, dtype=float)
        ok &= sex_v >= 0
    key = _strata(age_v, sex_v, bands_arr)
    ok &= ~np.isnan(key)
    if (~ok).any():
        notes.append(f"{int((~ok).sum())} persons without group, age or sex, or younger "
                     f"than {bands_arr[0]:g}, are left out.")
    grp = df[group].to_numpy(object)
    flags = _event_matrix(df, conditions)
    is_ref = ok & (grp == reference)
    if not is_ref.any():
        raise ValueError(f"no persons in the reference group {reference!r}")

    def strata_counts(mask: np.ndarray) -> pd.DataFrame:
        c = pd.DataFrame(flags[mask], columns=conditions)
        c["_persons"] = 1
        c["_key"] = key[mask]
        return c.groupby("_key").sum()

    ref_counts = strata_counts(is_ref)
    z = stats.norm.ppf(0.5 + conf_level / 2)
    rows = []
    for label, members in groups.items():
        is_g = ok & pd.Series(grp).isin(members).to_numpy()
        if not is_g.any():
            raise ValueError(f"no persons in index group {label!r}")
        g_counts = strata_counts(is_g)
        weights = g_counts["_persons"].astype(float)
        weights.index = weights.index.astype(float)
        r = ref_counts.reindex(weights.index, fill_value=0)
        long = []
        for who, counts in (("index", g_counts), ("reference", r)):
            m = counts[conditions].reset_index().melt(id_vars="_key", var_name="condition",
                                                      value_name="cases")
            m["persons"] = m["_key"].map(counts["_persons"]).to_numpy()
            m["who"] = who
            long.append(m)
        long = pd.concat(long, ignore_index=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", compare.ModelWarning)
            std = compare.standardise(long, rate_or_events="cases", denominator="persons",
                                      age="_key", by=["condition", "who"], standard=weights,
                                      kind="proportion", per=100, conf_level=conf_level,
                                      suppress=False).table
        std = std.set_index(["condition", "who"])
        used = r["_persons"] > 0
        wn = weights[used] / weights[used].sum()
        missing_strata = int((~used).sum())
        for cond in conditions:
            d_g = int(g_counts[cond].sum())
            n_g = int(g_counts["_persons"].sum())
            d_r_used = r.loc[used, cond].to_numpy(float)
            n_r_used = r.loc[used, "_persons"].to_numpy(float)
            p_r = float(np.sum(wn.to_numpy() * d_r_used / n_r_used)) if used.any() else np.nan
            var_r = float(np.sum(wn.to_numpy() ** 2 * d_r_used / n_r_used ** 2)) \
                if used.any() else np.nan
            p_g = d_g / n_g
            ratio = p_g / p_r if p_r > 0 else np.nan
            if d_g > 0 and p_r > 0:
                se = np.sqrt(1.0 / d_g + var_r / p_r ** 2)
                lo, hi = ratio * np.exp(-z * se), ratio * np.exp(z * se)
            else:
                lo = hi = np.nan
            si, sr = std.loc[(cond, "index")], std.loc[(cond, "reference")]
            rows.append({
                "index_group": label, "condition": cond,
                "label": (labels or {}).get(cond, condition_label(cond)),
                "persons": n_g, "cases": d_g, "prevalence": float(si["std_rate"]),
                "lower": float(si["lower"]), "upper": float(si["upper"]),
                "ref_persons": int(is_ref.sum()),
                "ref_cases": int(flags[is_ref, conditions.index(cond)].sum()),
                "ref_cases_used": int(d_r_used.sum()),
                "ref_prevalence": float(sr["std_rate"]), "ref_lower": float(sr["lower"]),
                "ref_upper": float(sr["upper"]), "ratio": ratio, "ratio_lower": lo,
                "ratio_upper": hi, "strata_missing": missing_strata,
            })
        if missing_strata:
            notes.append(f"{label}: {missing_strata} of {len(weights)} age-sex strata have "
                         "no reference persons; the standard is renormalised over the "
                         "others.")
    numbers = pd.DataFrame(rows)
    first = numbers[numbers["index_group"] == next(iter(groups))]
    order = first.sort_values(["prevalence", "condition"], ascending=[False, True],
                              kind="stable")["condition"].tolist()
    numbers["_order"] = numbers["condition"].map({c: i for i, c in enumerate(order)})
    numbers["_g"] = numbers["index_group"].map({g: i for i, g in enumerate(groups)})
    numbers = numbers.sort_values(["_g", "_order"]).drop(columns=["_g", "_order"])
    numbers = numbers.reset_index(drop=True)

    table = numbers.drop(columns="ref_cases_used")
    if suppress:
        table = _suppress(numbers, groups, dc.threshold_for(threshold))
        notes.append(dc.policy_note(threshold, secondary=True, extra=(
            "Estimates that rest on a hidden count are left out.")))
    ref_name = str(reference) if reference_label is None else reference_label
    notes[:0] = [
        "Prevalence: ever recorded in the specialist-care history before death. The "
        f"{ref_name} group is standardised to the age at death and sex of each index "
        "group (direct standardisation, Fay-Feuer intervals); the ratio is observed over "
        "expected cases (standardised prevalence ratio).",
        "Decedents only: prevalences are among persons who died in the archive window, "
        "compared at equal age at death. Groups with more contacts have more occasions "
        "for a condition to be recorded.",
    ]
    return PrevalenceResult(table=table, method="age-sex standardised prevalence",
                            notes=notes,
                            extra={"reference": ref_name, "index_groups": groups,
                                   "bands": bands_arr,
                                   **({} if suppress else {"numbers": numbers})})


def _complements(t: pd.DataFrame, hidden: np.ndarray,
                 groups: Mapping[str, Sequence[Any]]) -> np.ndarray:
    """Complementary cells for pooled index groups, so no hidden count is a difference.

    For each pooled group and condition, the pooled count is the sum of the counts of the
    index groups it pools; while exactly one of these cells is hidden, the smallest other
    part (non-zero first) is hidden too, or the pooled count when no part is left.
    """
    hidden = hidden.copy()
    cases = t["cases"].to_numpy(float)
    label = t["index_group"].to_numpy(object)
    for total, members in groups.items():
        if len(members) < 2:
            continue
        parts = [g for g, v in groups.items() if g != total and set(v) <= set(members)]
        if not parts:
            continue
        for pos in t.groupby("condition", sort=False).indices.values():
            cells = [p for p in pos if label[p] in (*parts, total)]
            while sum(hidden[p] for p in cells) == 1:
                free = [p for p in cells if not hidden[p] and label[p] != total]
                if not free:
                    free = [p for p in cells if not hidden[p]]
                if not free:
                    break
                hidden[min(free, key=lambda p: (cases[p] == 0, cases[p]))] = True
    return hidden


def _suppress(numbers: pd.DataFrame, groups: Mapping[str, Sequence[Any]],
              threshold: int) -> pd.DataFrame:
    t = numbers.copy()
    rest = t["persons"] - t["cases"]  # persons without the condition: a count too
    small = (((t["cases"] > 0) & (t["cases"] < threshold))
             | ((rest > 0) & (rest < threshold))).to_numpy()
    small_ref = ((t["ref_cases_used"] > 0) & (t["ref_cases_used"] < threshold)).to_numpy()
    hidden = _complements(t, small, groups)
    t.loc[hidden, ["prevalence", "lower", "upper"]] = np.nan
    t.loc[hidden | small_ref, ["ratio", "ratio_lower", "ratio_upper"]] = np.nan
    t.loc[small_ref, ["ref_prevalence", "ref_lower", "ref_upper"]] = np.nan
    t = t.drop(columns="ref_cases_used")
    pooled = any(len(v) > 1 for v in groups.values()) and len(groups) > 1
    # one marker for primary and complementary cells, so a complement does not point
    # at the small count it protects
    out = privacy.suppress(t, ["cases", "persons", "ref_persons", "ref_cases"],
                           threshold=threshold, marker="*" if pooled else None)
    out.loc[hidden, "cases"] = "*" if pooled else f"<{threshold}"
    out.attrs["secondary_cells"] = int((hidden & ~small).sum())
    return out
