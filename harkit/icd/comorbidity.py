"""Comorbidity per person (Elixhauser, substance-use comorbidity) and a ranking of conditions.

Two schemes are shipped as code lists beside the Charlson lists:

* ``elixhauser``: the 31 Elixhauser conditions in Quan et al.'s (2005) ICD-10 and ICD-9-CM
  coding (``elixhauser_quan.csv``), scored with the van Walraven (2009) weights
  (``comorbidity_weights.csv``). No published ICD-7 or ICD-8 translation exists; the list
  carries one of its own, tagged ``[P]``, for the conditions the Swedish ICD-7/8 Charlson list
  (Ludvigsson 2021) and harkit's substance list name (heart failure, vascular, pulmonary,
  diabetes, renal, liver, ulcer, cancers, rheumatic disease, alcohol and drug abuse); the
  other conditions (depression, psychoses, hypothyroidism ...) have no ICD-7/8 codes there
  (see :func:`codable`).
* ``substance_use``: conditions that answer "what else do people with substance use disorders
  have": alcohol-related organ disease, psychiatric disorders by group, hepatitis C, HIV,
  endocarditis, tuberculosis, injuries and poisonings (``substance_comorbidity.csv``), for
  every revision that can code them. Its score is the number of conditions.

:func:`comorbidity` returns flags and a score per person, like :func:`harkit.icd.charlson`;
:func:`prevalence_ranking` ranks the conditions by prevalence among persons, directly
standardised by age and sex, with confidence limits, by group (substance, sex, era).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from harkit.icd.charlson import _match_conditions, _pairs, _window, person_flags
from harkit.icd.harmonise import CodeListsArg, _load_lists

__all__ = ["COMORBIDITY_SCHEMES", "comorbidity", "comorbidity_weights", "codable",
           "prevalence_ranking"]

#: scheme -> (code list, weights scheme or None for a count of conditions)
COMORBIDITY_SCHEMES: dict[str, tuple[str, str | None]] = {
    "elixhauser": ("elixhauser_quan", "elixhauser_quan"),
    "substance_use": ("substance_comorbidity", None),
}

#: Elixhauser hierarchy for the score: the lesser condition does not count with the greater.
_HIERARCHY: tuple[tuple[str, str], ...] = (("hypunc", "hypc"), ("diabunc", "diabc"),
                                           ("solidtum", "metacanc"))


@cache
def _weights() -> pd.DataFrame:
    root = resources.files("harkit.codelists")
    with resources.as_file(root.joinpath("comorbidity_weights.csv")) as p:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    df["weight"] = df["weight"].astype(float)
    return df


def comorbidity_weights(scheme: str = "elixhauser") -> pd.Series:
    """Weights of a comorbidity scheme.

    Parameters
    ----------
    scheme : {"elixhauser"}
        Scheme name.

    Returns
    -------
    pandas.Series
        Weight per condition (van Walraven et al. 2009 for Elixhauser).
    """
    name = COMORBIDITY_SCHEMES.get(scheme, (None, scheme))[1]
    table = _weights()
    sel = table[table["scheme"] == name]
    if sel.empty:
        raise ValueError(f"no weights for scheme {scheme!r}")
    return sel.set_index("condition")["weight"]


def _scheme(scheme: str) -> tuple[str, str | None]:
    if scheme not in COMORBIDITY_SCHEMES:
        raise ValueError(f"scheme must be one of {sorted(COMORBIDITY_SCHEMES)}, not {scheme!r}"
                         " (the Charlson index is harkit.icd.charlson)")
    return COMORBIDITY_SCHEMES[scheme]


def codable(scheme: str = "substance_use", codelists: CodeListsArg = None) -> pd.DataFrame:
    """Which revisions can code each condition of a scheme, and how well verified.

    Parameters
    ----------
    scheme : {"elixhauser", "substance_use"}
        The scheme.
    codelists : DataFrame, path or list of paths, optional
        Code lists (default the shipped ones).

    Returns
    -------
    pandas.DataFrame
        One row per condition, one column per revision (``ICD-7`` ... ``ICD-10``) holding
        the weakest verification of its rows there (``verified``, ``partial``,
        ``unverified``) or ``""`` where the revision has no code for it: a prevalence from
        such a revision is not comparable.
    """
    list_name, _ = _scheme(scheme)
    lists = _load_lists(codelists)
    rows = lists[(lists["list"] == list_name) & (lists["category"] != "exclude")]
    rank = {"verified": 0, "partial": 1, "unverified": 2}
    worst = (rows.assign(r=rows["verification"].map(rank))
             .groupby(["category", "code_system"])["r"].max()
             .map({v: k for k, v in rank.items()}).unstack("code_system"))
    cols = [c for c in ("ICD-7", "ICD-8", "ICD-9", "ICD-10")]
    return worst.reindex(columns=cols).fillna("").rename_axis(None, axis=1).reset_index(
        names="condition")


def comorbidity(
    diagnoses: pd.DataFrame,
    *,
    scheme: str = "elixhauser",
    index: str | pd.Series | Mapping | None = None,
    lookback: float | None = None,
    persons: Any = None,
    codelists: CodeListsArg = None,
    weights: Mapping[str, float] | None = None,
    icd9_hospital_start: int = 1987,
) -> pd.DataFrame:
    """Comorbidity flags and score per person.

    Parameters
    ----------
    diagnoses : pandas.DataFrame
        Diagnoses with ``person_id``, ``code`` and ``code_system`` (a missing code system
        is inferred from ``date``), or the output of :func:`harkit.icd.harmonise`.
    scheme : {"elixhauser", "substance_use"}, default "elixhauser"
        The conditions (see the module notes).
    index : str, Series or mapping, optional
        Index date: a column of ``diagnoses`` or a date per ``person_id``. Only diagnoses
        dated on or before it count (rows without a date then do not count).
    lookback : float, optional
        With ``index``, count only diagnoses in ``[index - lookback, index]`` (years,
        rounded to whole months).
    persons : DataFrame, Series or array, optional
        All persons to report; persons without a qualifying diagnosis get all flags False.
        Default: the persons in ``diagnoses``.
    codelists : DataFrame, path or list of paths, optional
        Code lists (default the shipped ones).
    weights : mapping, optional
        Condition -> weight, replacing the scheme's weights.
    icd9_hospital_start : int, default 1987
        First year of ICD-9 in hospitals, for inferring a missing code system.

    Returns
    -------
    pandas.DataFrame
        One row per person: ``person_id``, one boolean column per condition (each matched
        on its own, so a code in two conditions sets both; short codes follow the
        safe-truncation rule), ``n_conditions`` and ``<scheme>_score``: the van Walraven
        weighted sum for Elixhauser (uncomplicated hypertension and diabetes and solid
        tumour do not count with their complicated or metastatic form; the flags keep
        both), the number of conditions for ``substance_use``.

    Notes
    -----
    Only coded diagnoses count. The ICD-7 and ICD-8 Elixhauser codes are harkit's own
    translation (``[P]``): none has been published.
    """
    list_name, weight_scheme = _scheme(scheme)
    lists = _load_lists(codelists)
    lists = lists[lists["list"] == list_name]
    if lists.empty:
        raise ValueError(f"no code list {list_name!r}")
    if weights is not None:
        w = pd.Series(dict(weights), dtype=float)
    elif weight_scheme is not None:
        w = comorbidity_weights(scheme)
    else:
        w = None
    found = sorted(set(lists["category"]) - {"exclude"})
    conditions = ([c for c in w.index if c in found] + [c for c in found if c not in w.index]
                  if w is not None else found)

    pair, pairs = _pairs(diagnoses, icd9_hospital_start)
    hit = _match_conditions(pairs, lists, list_name, conditions)
    keep = _window(diagnoses, index, lookback)
    ids, flags = person_flags(diagnoses, persons, pair, hit, keep)

    out = pd.DataFrame(flags, columns=conditions)
    scored = out.copy()
    for lesser, greater in _HIERARCHY:
        if lesser in scored and greater in scored:
            scored[lesser] &= ~scored[greater]
    out.insert(0, "person_id", ids.to_numpy())
    out["n_conditions"] = flags.sum(axis=1).astype(np.int64)
    if w is None:
        out[f"{scheme}_score"] = out["n_conditions"]
    else:
        ww = w.reindex(conditions).fillna(0.0).to_numpy()
        out[f"{scheme}_score"] = np.rint(scored.to_numpy(dtype=float) @ ww).astype(np.int64)
    return out


def _age_band(age: pd.Series, width: int) -> pd.Series:
    lo = (np.floor(pd.to_numeric(age, errors="coerce") / width) * width)
    return lo.map(lambda v: np.nan if pd.isna(v) else f"{int(v)}-{int(v) + width - 1}")


def prevalence_ranking(
    flags: pd.DataFrame,
    covariates: pd.DataFrame,
    *,
    conditions: Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    age: str = "age",
    sex: str = "sex",
    age_width: int = 10,
    standard: pd.Series | None = None,
    alpha: float = 0.05,
    suppress: bool = True,
    threshold: int | None = None,
) -> pd.DataFrame:
    """Conditions ranked by prevalence, directly standardised by age and sex, with CIs.

    Parameters
    ----------
    flags : pandas.DataFrame
        Output of :func:`comorbidity` (or :func:`harkit.icd.charlson`): ``person_id`` and
        one boolean column per condition.
    covariates : pandas.DataFrame
        ``person_id``, the ``age`` (years, e.g. at the index date or at death) and ``sex``
        columns, and the ``by`` columns (e.g. ``main_substance``, ``era``).
    conditions : sequence of str, optional
        Conditions to rank; default every boolean column of ``flags``.
    by : str or sequence of str, optional
        Groups ranked separately (prevalences comparable across them: one standard).
    age, sex : str
        Age and sex columns of ``covariates``.
    age_width : int, default 10
        Width of the age bands.
    standard : Series, optional
        Standard population: weight per (age band, sex) stratum, indexed by a MultiIndex
        of band label and sex. Default: the age-sex distribution of all persons given,
        so every group is standardised to the same population.
    alpha : float, default 0.05
        1 - confidence level.
    suppress : bool, default True
        Show ``n`` (persons with the condition) and ``persons`` through the
        disclosure-control policy; the prevalences of a hidden count are blanked.
    threshold : int, optional
        Smallest count shown; default the policy in force.

    Returns
    -------
    pandas.DataFrame
        One row per (group, condition): ``persons``, ``n``, ``crude`` prevalence,
        ``standardised`` prevalence with ``ci_low``/``ci_high``, and ``rank`` (1 = most
        prevalent by the standardised prevalence) within the group, sorted by group and
        rank.

    Notes
    -----
    Direct standardisation: ``sum_s w_s p_s`` over age-sex strata ``s`` with standard
    weights ``w_s`` (summing to 1) and stratum prevalences ``p_s``. The confidence interval
    is the normal one on the log-odds of the standardised prevalence with variance
    ``sum_s w_s^2 p_s (1 - p_s) / n_s`` (delta method), which keeps the limits inside
    (0, 1). Strata of the standard that a group lacks are left out and the weights
    renormalised over the strata it has.
    """
    from harkit.privacy import suppress as _suppress

    by_cols = [] if by is None else [by] if isinstance(by, str) else list(by)
    if conditions is None:
        conditions = [c for c in flags.columns if flags[c].dtype == bool]
    missing = [c for c in ["person_id", age, sex, *by_cols] if c not in covariates.columns]
    if missing:
        raise ValueError(f"covariates lack column(s) {missing}")
    keep = list(dict.fromkeys(["person_id", age, sex, *by_cols]))  # sex may be a group too
    df = flags[["person_id", *conditions]].merge(covariates[keep], on="person_id", how="inner")
    df["_band"] = _age_band(df[age], age_width)
    df = df.dropna(subset=["_band", sex])
    strata = ["_band", sex]
    if standard is None:
        standard = df.groupby(strata, observed=True).size()
    standard = standard / standard.sum()
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    groups = df.groupby(by_cols, observed=True, sort=True) if by_cols else [((), df)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        cell = g.groupby(strata, observed=True)[list(conditions)].agg(["sum", "count"])
        for c in conditions:
            k = cell[(c, "sum")].astype(float)
            m = cell[(c, "count")].astype(float)
            w = standard.reindex(k.index).fillna(0.0)
            w = w / w.sum() if w.sum() > 0 else w
            p = (k / m).to_numpy()
            est = float((w.to_numpy() * p).sum())
            var = float((w.to_numpy() ** 2 * p * (1 - p) / m.to_numpy()).sum())
            if 0 < est < 1 and var > 0:
                se = np.sqrt(var) / (est * (1 - est))
                lo, hi = (1 / (1 + np.exp(-(np.log(est / (1 - est)) + s * z * se)))
                          for s in (-1, 1))
            else:
                lo = hi = np.nan
            rows.append(dict(zip(by_cols, key, strict=True)) | {
                "condition": c, "persons": len(g), "n": int(g[c].sum()),
                "crude": float(g[c].mean()), "standardised": est,
                "ci_low": lo, "ci_high": hi})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["rank"] = (out.groupby(by_cols, sort=False)["standardised"] if by_cols
                   else out["standardised"]).rank(ascending=False, method="min").astype(int)
    out = out.sort_values([*by_cols, "rank", "condition"], kind="stable").reset_index(drop=True)
    if not suppress:
        return out
    shown = _suppress(out, ["n", "persons"], threshold=threshold)
    n_shown, p_shown = _as_number(shown["n"]), _as_number(shown["persons"])
    hidden = (n_shown.isna() | p_shown.isna()).to_numpy()
    for col in ("crude", "standardised", "ci_low", "ci_high"):
        shown[col] = shown[col].astype(float).mask(hidden)
    # the crude share from the counts as shown, so that it gives back no rounded-away count
    shown["crude"] = (n_shown / p_shown).where(~hidden).astype(float)
    return shown


def _as_number(values: pd.Series) -> pd.Series:
    """Counts as shown (numbers, or text with thousands separators) as floats; NaN if hidden."""
    text = values.astype(object).map(lambda v: str(v).replace(",", "").replace("\u202f", ""))
    return pd.to_numeric(text, errors="coerce")
