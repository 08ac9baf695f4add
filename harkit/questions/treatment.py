"""Treatment questions: who was treated, women vs men, and how treatment changed over time.

Two of the register brochure's questions are answered here from the episode level, the
level at which a treatment is given:

* *Did women and men with the same diagnosis get different treatment?*
  (:func:`sex_differences`): per treatment, among the episodes where it could be given (its
  *setting*, :data:`TREATMENT_SETTINGS`) and from the year it is first recorded, the odds
  ratio women vs men crude, Mantel-Haenszel stratified by the episode's diagnosis, from an
  adjusted logistic regression and by inverse probability weighting with balance
  diagnostics.
* *How has treatment changed over time?* (:func:`treatment_shares`): the share of
  substance-use episodes with each treatment per period, and the share within each
  treatment's setting, with small counts suppressed; :func:`treatment_eras` gives the
  years each treatment is recorded, and :func:`standardised_shares` standardises the
  shares to a fixed diagnosis (or sex) mix.

Everything starts from :func:`episode_table`: one row per episode with the person's sex,
age at admission, the harmonised substance of the episode's main diagnosis, the setting and
a flag per treatment recorded on the episode::

    from harkit.questions import treatment
    eps = treatment.episode_table(ex)
    treatment.sex_differences(eps).table        # OR women vs men per treatment and method
    treatment.treatment_shares(eps).plot()      # shares over time, ICD revisions shaded
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from harkit import _disclosure as dc
from harkit import icd
from harkit.compare import compare_proportions, iptw, regress, standardise, stratified
from harkit.questions._common import quiet
from harkit.results import Result
from harkit.trends import over_time
from harkit.trends.periods import TrendResult

__all__ = ["METHODS", "SPELL_TREATMENTS", "TREATMENT_SETTINGS", "SexDifferenceResult",
           "TreatmentSetting",
           "eligible", "episode_table", "sex_differences", "standardised_shares",
           "treatment_eras", "treatment_shares"]

_YEAR = 365.25


@dataclass(frozen=True)
class TreatmentSetting:
    """The episodes on which a treatment can be given.

    Parameters
    ----------
    description : str
        The setting in words (shown in tables).
    rule : callable
        Function of the episode table (:func:`episode_table`) returning a boolean mask.
    """

    description: str
    rule: Callable[[pd.DataFrame], pd.Series]


def _sud(e: pd.DataFrame) -> pd.Series:
    return e["sud_episode"].astype(bool)


def _inpatient(e: pd.DataFrame) -> pd.Series:
    return (e["episode_type"] == "inpatient").fillna(False).astype(bool)


def _addiction(e: pd.DataFrame) -> pd.Series:
    return e["addiction_department"].fillna(False).astype(bool)


def _diagnosis(e: pd.DataFrame, substance: str) -> pd.Series:
    return (e["diagnosis"] == substance).fillna(False).astype(bool)


def _treated(e: pd.DataFrame, treatment: str) -> pd.Series:
    col = f"tx_{treatment}"
    return e[col].astype(bool) if col in e else pd.Series(False, index=e.index)


#: Setting of each treatment type of the data model: the episodes on which it can be given.
#: The rules read the register tables only (episode type, addiction department, institution
#: type, the main diagnosis), so they run unchanged on a real delivery. A treatment type
#: not listed here is looked for on all substance-use episodes. Pass ``settings=`` to the
#: functions below to override.
TREATMENT_SETTINGS: dict[str, TreatmentSetting] = {
    "institutional_stay": TreatmentSetting(
        "inpatient episode at an addiction institution",
        lambda e: _inpatient(e) & _addiction(e)),
    "detoxification": TreatmentSetting(
        "inpatient substance-use episode", lambda e: _sud(e) & _inpatient(e)),
    "disulfiram": TreatmentSetting(
        "substance-use episode, main diagnosis alcohol",
        lambda e: _sud(e) & _diagnosis(e, "alcohol")),
    "methadone": TreatmentSetting(
        "substance-use episode at an addiction institution, main diagnosis opioids",
        lambda e: _sud(e) & _addiction(e) & _diagnosis(e, "opioids")),
    "buprenorphine": TreatmentSetting(
        "as methadone, when methadone was not given on the episode",
        lambda e: _sud(e) & _addiction(e) & _diagnosis(e, "opioids")
        & ~_treated(e, "methadone")),
    "outpatient_counselling": TreatmentSetting(
        "outpatient substance-use episode",
        lambda e: _sud(e) & (e["episode_type"] == "outpatient").fillna(False).astype(bool)),
    "coercive_admission": TreatmentSetting(
        "inpatient substance-use episode", lambda e: _sud(e) & _inpatient(e)),
    "psychiatric_care": TreatmentSetting(
        "episode at a psychiatric institution",
        lambda e: (e["institution_type"] == "psychiatric").fillna(False).astype(bool)),
}

#: Methods of :func:`sex_differences`, in table order.
METHODS: tuple[str, ...] = ("crude", "Mantel-Haenszel", "adjusted", "IPTW")

_DEFAULT_SETTING = TreatmentSetting("substance-use episode", _sud)


# --------------------------------------------------------------------------- episode table


def _table(extract: Any, name: str) -> pd.DataFrame | None:
    if isinstance(extract, Mapping):
        return extract.get(name)
    return getattr(extract, name, None)


def episode_table(
    extract: Any,
    *,
    cohort: pd.DataFrame | None = None,
    codelists: Any = None,
    exclude_substances: Sequence[str] = ("tobacco",),
) -> pd.DataFrame:
    """One row per episode with sex, age, diagnosis, setting and the treatments given.

    Parameters
    ----------
    extract : Extract or mapping of DataFrames
        Needs ``persons``, ``episodes``, ``diagnoses`` (with ``rank`` and ``episode_id``)
        and ``treatments``; ``institutions`` gives the setting (type, addiction
        department).
    cohort : pandas.DataFrame, optional
        :func:`harkit.cohort.build` output; adds the person's ``main_substance`` and
        ``sud_group``. Built here when None.
    codelists : optional
        Passed to :func:`harkit.icd.harmonise` (and to the cohort when it is built here).
    exclude_substances : sequence of str, default ("tobacco",)
        Harmonised substances that do not make a substance-use diagnosis.

    Returns
    -------
    pandas.DataFrame
        One row per episode, in the order of ``episodes``: ``episode_id``, ``person_id``,
        ``sex``, ``female`` (0/1), ``age`` (years at admission), ``admission_year``,
        ``period`` (decade of admission, e.g. ``"1970"``), ``episode_type``,
        ``institution_type``, ``addiction_department``, ``diagnosis`` (harmonised
        substance of the episode's main diagnosis, ``"other"`` for a main diagnosis that is
        not substance use, ``"none"`` for an episode without a main diagnosis),
        ``diagnosis_group`` (``alcohol``, ``drugs`` or ``other``),
        ``sud_episode`` (main diagnosis substance use, or an addiction department),
        ``main_substance`` and ``sud_group`` (the person's, from the cohort), and
        ``tx_<treatment_type>`` (bool) for every treatment type of the data.

    Notes
    -----
    The diagnosis is the *main* diagnosis of the episode (the reason for the contact), so
    a co-use noted as a secondary diagnosis, or substance use noted on a somatic contact,
    does not make a substance-use episode. Uncoded main diagnoses count when the Norwegian
    text rules map them (:func:`harkit.icd.harmonise`).
    """
    persons, episodes = _table(extract, "persons"), _table(extract, "episodes")
    diagnoses, treatments = _table(extract, "diagnoses"), _table(extract, "treatments")
    for name, df in (("persons", persons), ("episodes", episodes), ("diagnoses", diagnoses),
                     ("treatments", treatments)):
        if df is None:
            raise ValueError(f"episode_table needs the {name} table")
    if cohort is None:
        from harkit.cohort import build

        cohort = build(extract, codelists=codelists, exclude_substances=exclude_substances)

    ep = episodes[["episode_id", "person_id", "institution_id", "admission_date",
                   "episode_type"]
                  + (["archive_series_id"] if "archive_series_id" in episodes else [])].copy()
    inst = _table(extract, "institutions")
    if inst is not None and len(inst):
        keys = ["institution_id"] + (["archive_series_id"] if "archive_series_id" in ep
                                     and "archive_series_id" in inst else [])
        info = inst[keys + ["institution_type", "addiction_department"]].drop_duplicates(keys)
        ep = ep.merge(info, on=keys, how="left")
    else:
        ep["institution_type"] = pd.NA
        ep["addiction_department"] = pd.NA

    # substance of the main diagnosis
    dx = diagnoses[diagnoses["rank"].astype("string") == "main"] if "rank" in diagnoses \
        else diagnoses.iloc[0:0]
    if len(dx) == 0:
        warnings.warn("episode_table: no main diagnoses; every episode gets diagnosis 'none'",
                      stacklevel=2)
    h = icd.harmonise(dx, codelists=codelists) if len(dx) else dx.assign(substance=pd.NA)
    sub = h["substance"].astype("string")
    sub = sub.where(~sub.isin(list(exclude_substances)))
    main_dx = (pd.DataFrame({"episode_id": h["episode_id"].to_numpy(),
                             "diagnosis": sub.fillna("other").to_numpy()})
               .drop_duplicates("episode_id"))
    ep = ep.merge(main_dx, on="episode_id", how="left")
    ep["diagnosis"] = ep["diagnosis"].fillna("none")

    p = persons[["person_id", "sex", "birth_date"]]
    ep = ep.merge(p, on="person_id", how="left")
    coh = cohort[["person_id", "main_substance", "sud_group"]]
    ep = ep.merge(coh, on="person_id", how="left")

    adm = pd.to_datetime(ep["admission_date"])
    year = adm.dt.year
    addiction = ep["addiction_department"].astype("boolean").fillna(False).astype(bool)
    out = pd.DataFrame({
        "episode_id": ep["episode_id"].to_numpy(),
        "person_id": ep["person_id"].to_numpy(),
        "sex": ep["sex"].to_numpy(),
        "female": (ep["sex"].astype("string") == "female").fillna(False).astype(int)
        .to_numpy(),
        "age": ((adm - pd.to_datetime(ep["birth_date"])).dt.days / _YEAR).to_numpy(),
        "admission_year": year.astype("Int64").to_numpy(),
        "period": (year // 10 * 10).astype("Int64").astype("string").to_numpy(),
        "episode_type": ep["episode_type"].astype("string").to_numpy(),
        "institution_type": ep["institution_type"].astype("string").to_numpy(),
        "addiction_department": addiction.to_numpy(),
        "diagnosis": ep["diagnosis"].to_numpy(),
        "diagnosis_group": np.select(
            [ep["diagnosis"].eq("alcohol"), ep["diagnosis"].isin(["other", "none"])],
            ["alcohol", "other"], "drugs"),
        "sud_episode": (~ep["diagnosis"].isin(["other", "none"]) | addiction).to_numpy(),
        "main_substance": ep["main_substance"].astype("string").to_numpy(),
        "sud_group": ep["sud_group"].astype("string").to_numpy(),
    })
    out["sex"] = out["sex"].astype("category")
    types = treatments["treatment_type"]
    names = (list(types.cat.categories) if isinstance(types.dtype, pd.CategoricalDtype)
             else sorted(types.dropna().astype(str).unique()))
    names = [n for n in names if (types == n).any()]
    for name in names:
        got = treatments.loc[types == name, "episode_id"]
        out[f"tx_{name}"] = out["episode_id"].isin(got).to_numpy()
    return out


#: Treatments recorded as a spell of the person's life (one row per spell, on the contact
#: where it began) rather than as care given on an episode: left out of the episode-level
#: comparisons by default (an odds ratio per episode is not what they measure); still in
#: :func:`treatment_eras`.
SPELL_TREATMENTS: tuple[str, ...] = ("opioid_maintenance",)


def _treatments_of(episodes: pd.DataFrame, spells: bool = True) -> list[str]:
    return [c[3:] for c in episodes.columns if c.startswith("tx_")
            and (spells or c[3:] not in SPELL_TREATMENTS)]


def _setting(treatment: str, settings: Mapping[str, TreatmentSetting] | None
             ) -> TreatmentSetting:
    table = TREATMENT_SETTINGS if settings is None else {**TREATMENT_SETTINGS, **settings}
    return table.get(treatment, _DEFAULT_SETTING)


def eligible(
    episodes: pd.DataFrame,
    treatment: str,
    *,
    available_from: int | None = None,
    settings: Mapping[str, TreatmentSetting] | None = None,
) -> pd.DataFrame:
    """The episodes in a treatment's setting and era, with a ``treated`` column.

    Parameters
    ----------
    episodes : pandas.DataFrame
        :func:`episode_table` output.
    treatment : str
        A treatment type (a ``tx_<treatment>`` column of ``episodes``).
    available_from : int, optional
        First admission year kept. Default: the first year the treatment is recorded on an
        episode of its setting (before it, nobody could have received it, and those
        episodes would only dilute the comparison).
    settings : mapping of str to TreatmentSetting, optional
        Overrides of :data:`TREATMENT_SETTINGS`.

    Returns
    -------
    pandas.DataFrame
        The rows of ``episodes`` in the setting from ``available_from``, with ``treated``
        (0/1); ``attrs["available_from"]`` and ``attrs["setting"]`` say what was used.

    Raises
    ------
    ValueError
        If ``episodes`` has no ``tx_<treatment>`` column.
    """
    col = f"tx_{treatment}"
    if col not in episodes:
        raise ValueError(f"no treatment {treatment!r} in the episode table; "
                         f"treatments are {_treatments_of(episodes)}")
    setting = _setting(treatment, settings)
    mask = setting.rule(episodes).to_numpy(bool)
    d = episodes.loc[mask].copy()
    if available_from is None:
        years = d.loc[d[col], "admission_year"].dropna()
        available_from = int(years.min()) if len(years) else None
    if available_from is not None:
        d = d[(d["admission_year"] >= available_from).fillna(False).to_numpy(bool)]
    d["treated"] = d[col].astype(int)
    d.attrs.update(available_from=available_from, setting=setting.description)
    return d


def treatment_eras(
    episodes: pd.DataFrame,
    treatments: Sequence[str] | None = None,
    *,
    settings: Mapping[str, TreatmentSetting] | None = None,
    suppress: bool = True,
) -> pd.DataFrame:
    """When each treatment is recorded, and how often, in its setting.

    Parameters
    ----------
    episodes : pandas.DataFrame
        :func:`episode_table` output.
    treatments : sequence of str, optional
        Default: every treatment of the table.
    settings : mapping of str to TreatmentSetting, optional
        Overrides of :data:`TREATMENT_SETTINGS`.
    suppress : bool, default True
        Show the counts through the disclosure-control policy (:mod:`harkit.privacy`);
        ``treated`` and ``share`` are hidden too where the untreated rest would be.

    Returns
    -------
    pandas.DataFrame
        One row per treatment: ``treatment``, ``setting``, ``first_year`` and
        ``last_year`` recorded (admission years; blank where fewer than 5 episodes carry
        the treatment), ``episodes`` in the setting from the first year, ``treated``, and
        ``share`` (treated / episodes). With ``suppress`` the first and last years are
        given only when at least five episodes carry the treatment, so that a single
        early record is not pinned to a year.
    """
    rows = []
    for t in treatments or _treatments_of(episodes):
        d = eligible(episodes, t, settings=settings)
        yrs = d.loc[d["treated"] == 1, "admission_year"].dropna()
        rows.append({"treatment": t, "setting": d.attrs["setting"],
                     "first_year": int(yrs.min()) if len(yrs) else pd.NA,
                     "last_year": int(yrs.max()) if len(yrs) else pd.NA,
                     "episodes": int(len(d)), "treated": int(d["treated"].sum())})
    out = pd.DataFrame(rows, columns=["treatment", "setting", "first_year", "last_year",
                                      "episodes", "treated"])
    out["share"] = (out["treated"] / out["episodes"].where(out["episodes"] > 0)).round(3)
    for c in ("first_year", "last_year"):
        out[c] = out[c].astype("Int64")
    if suppress:
        few = out["treated"] < dc.threshold_for(None)
        out.loc[few, ["first_year", "last_year"]] = pd.NA
        out = _shown_treated(out, "treated", "episodes", ["share"])
    return out


def _shown_treated(out: pd.DataFrame, count: str, total: str, derived: list[str],
                   percent: str | None = None) -> pd.DataFrame:
    """Counts through the policy; a treated count is hidden (with its derived values) also
    where the untreated rest ``total - count`` would be, as the shown total gives it."""
    shown = dc.suppress_table(out, [total, count], derived={count: derived},
                              percent_columns={percent: count} if percent else None)
    rest = dc.plotted_counts((out[total] - out[count]).to_numpy(float))
    hide = np.isnan(rest) & ~dc.hidden_cells(shown[count], out[count])
    shown.loc[hide, count] = "*"
    shown.loc[hide, derived] = np.nan
    if percent:
        shown.loc[hide, percent] = "*"
    return shown


# --------------------------------------------------------------------------- women vs men


class SexDifferenceResult(Result):
    """Result of :func:`sex_differences`.

    ``table``: one row per treatment and method (:data:`METHODS`) with the odds ratio women
    vs men (``estimate``, ``lower``, ``upper``, ``p_value``). ``extra["counts"]`` the
    episodes and treated per sex (suppressed), ``extra["balance"]`` the IPTW balance
    (SMD before and after weighting) per treatment and ``extra["balance_summary"]`` its
    largest values, ``extra["iptw"]`` the IPTW results, ``extra["tests"]`` the
    Breslow-Day homogeneity test and model warnings per treatment, ``extra["eligible"]``
    the analysed episodes per treatment (row-level, not for display).
    """

    def plot(self, ax: Any = None, truth: Mapping[str, float] | None = None) -> Any:
        """Forest plot of the odds ratios women vs men, per treatment and method.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        truth : mapping of str to float, optional
            Known odds ratios per treatment (e.g. a synthetic register's planted ones),
            drawn as red crosses.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from harkit.plot import forest

        t = self.table.reset_index(drop=True)
        ax = forest(t, "estimate", "lower", "upper", ["treatment", "method"], ax=ax,
                    xlabel="odds ratio women vs men (95% CI)")
        if truth:
            drawn = t[np.isfinite(pd.to_numeric(t["estimate"], errors="coerce"))
                      & (t["estimate"] > 0)].iloc[::-1].reset_index(drop=True)
            ys = [i for i, tr in enumerate(drawn["treatment"]) if tr in truth]
            xs = [truth[drawn.loc[i, "treatment"]] for i in ys]
            ax.scatter(xs, ys, marker="x", color="red", zorder=3, label="planted")
            # above the axes: inside, the legend covers the last rows' intervals
            ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False,
                      fontsize=8, borderaxespad=0.2)
        return ax


def _covariates(d: pd.DataFrame, candidates: Sequence[str]) -> list[str]:
    """Covariates with at least two values among the analysed episodes."""
    return [c for c in candidates if c in d and d[c].nunique(dropna=True) > 1]


def _formula_term(d: pd.DataFrame, c: str) -> str:
    return c if pd.api.types.is_numeric_dtype(d[c]) and not pd.api.types.is_bool_dtype(
        d[c]) else f"C({c})"


def _or_row(table: pd.DataFrame, label: str) -> dict[str, float]:
    r = table[(table["measure"] == "odds ratio") & (table["comparison"] == label)]
    if not len(r):
        return {"estimate": np.nan, "lower": np.nan, "upper": np.nan, "p_value": np.nan}
    r = r.iloc[0]
    return {k: float(r[k]) for k in ("estimate", "lower", "upper", "p_value")}


def _nan_row() -> dict[str, float]:
    return {"estimate": np.nan, "lower": np.nan, "upper": np.nan, "p_value": np.nan}


def _one_treatment(d: pd.DataFrame, strata: str, covariates: Sequence[str],
                   cluster: str | None) -> tuple[list[dict[str, Any]], Any, dict[str, Any]]:
    """The four estimates for one treatment, its IPTW result and its test/warning info."""
    info: dict[str, Any] = {"breslow_day_p": np.nan, "strata": 0, "warnings": ""}
    if d["female"].nunique() < 2 or d["treated"].nunique() < 2:
        info["warnings"] = "a single sex or a constant outcome: nothing to compare"
        return [{"method": m, **_nan_row()} for m in METHODS], None, info
    rows: list[dict[str, Any]] = []
    balance = None
    d = d.assign(sex_=np.where(d["female"] == 1, "female", "male"))
    for c in covariates:  # categories make patsy fast and keep level order stable
        if c in d and not pd.api.types.is_numeric_dtype(d[c]):
            d[c] = d[c].astype("category")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        crude = compare_proportions(d, "sex_", "treated", reference="male", suppress=False)
        rows.append({"method": "crude", **_or_row(crude.table, "female vs male")})
        try:
            mh = stratified(d, "sex_", "treated", strata, reference="male", suppress=False)
            rows.append({"method": "Mantel-Haenszel",
                         **_or_row(mh.table, "female vs male | Mantel-Haenszel")})
            bd = mh.extra["tests"].iloc[1]
            info.update(breslow_day_p=float(bd["p_value"]), strata=int(bd["df"]) + 1)
        except ValueError as err:
            warnings.warn(f"Mantel-Haenszel: {err}", stacklevel=1)
            rows.append({"method": "Mantel-Haenszel", **_nan_row()})
        covs = _covariates(d, covariates)
        formula = "treated ~ female" + "".join(f" + {_formula_term(d, c)}" for c in covs)
        reg = regress(formula, d, cluster=cluster, suppress=False)
        r = reg.table[reg.table["term"] == "female"]
        est = ({k: float(r.iloc[0][k]) for k in ("estimate", "lower", "upper", "p_value")}
               if len(r) else _nan_row())
        if np.isfinite(est["lower"]) and est["upper"] / est["lower"] < 1.001:
            warnings.warn("adjusted: degenerate confidence interval (separation in a "
                          "covariate); estimate left out", stacklevel=1)
            est = _nan_row()
        rows.append({"method": "adjusted", **est})
        try:
            # kept in extra["iptw"]: its outcome table shows counts through the policy
            w = iptw(d, "female", covs, outcome="treated", cluster=cluster)
            r = w.table[w.table["measure"] == "OR"].iloc[0]
            rows.append({"method": "IPTW", **{k: float(r[k]) for k in
                                              ("estimate", "lower", "upper", "p_value")}})
            balance = w
        except (ValueError, np.linalg.LinAlgError) as err:
            warnings.warn(f"IPTW: {err}", stacklevel=1)
            rows.append({"method": "IPTW", **_nan_row()})
    msgs = dict.fromkeys(str(w.message) for w in caught
                         if not issubclass(w.category, (DeprecationWarning, FutureWarning)))
    info["warnings"] = "; ".join(msgs)
    return rows, balance, info


def _balance_summary(bal: pd.DataFrame) -> pd.DataFrame:
    """Largest absolute SMD per treatment, before and after weighting."""
    cols = ["treatment", "covariates", "max_abs_smd_before", "worst_before",
            "max_abs_smd_after", "worst_after"]
    rows = []
    for t, g in bal.groupby("treatment", sort=False):
        b, a = g["smd_before"].abs(), g["smd_after"].abs()
        rows.append({"treatment": t, "covariates": len(g),
                     "max_abs_smd_before": float(b.max()),
                     "worst_before": g.loc[b.idxmax(), "covariate"],
                     "max_abs_smd_after": float(a.max()),
                     "worst_after": g.loc[a.idxmax(), "covariate"]})
    return pd.DataFrame(rows, columns=cols)


def sex_differences(
    episodes: pd.DataFrame,
    treatments: Sequence[str] | None = None,
    *,
    strata: str = "diagnosis",
    covariates: Sequence[str] = ("diagnosis", "age", "period", "episode_type",
                                 "institution_type"),
    available_from: Mapping[str, int] | None = None,
    settings: Mapping[str, TreatmentSetting] | None = None,
    cluster: str | None = "person_id",
    suppress: bool = True,
) -> SexDifferenceResult:
    """Odds ratios of each treatment, women vs men, among the episodes where it is given.

    For each treatment the analysed episodes are those of its setting
    (:data:`TREATMENT_SETTINGS`) from the year it is first recorded
    (:func:`eligible`). Four estimates of the odds ratio women vs men:

    * ``crude``: the 2x2 table (:func:`harkit.compare.compare_proportions`);
    * ``Mantel-Haenszel``: pooled over the strata of ``strata``, by default the episode's
      main diagnosis ("women and men with the same diagnosis";
      :func:`harkit.compare.stratified`);
    * ``adjusted``: logistic regression of treatment on ``female`` and the covariates that
      vary among the analysed episodes (:func:`harkit.compare.regress`);
    * ``IPTW``: sex weighted to balance the same covariates, weighted logistic OR
      (:func:`harkit.compare.iptw`), with the balance table.

    Parameters
    ----------
    episodes : pandas.DataFrame
        :func:`episode_table` output.
    treatments : sequence of str, optional
        Default: every treatment of the table but the spells (:data:`SPELL_TREATMENTS`).
    strata : str, default "diagnosis"
        Stratifying column of the Mantel-Haenszel estimate.
    covariates : sequence of str
        Adjustment set of the regression and the propensity model (columns with a single
        value among a treatment's episodes are left out). Numeric columns enter linearly,
        others as categories.
    available_from : mapping of str to int, optional
        First admission year per treatment; default the first year recorded.
    settings : mapping of str to TreatmentSetting, optional
        Overrides of :data:`TREATMENT_SETTINGS`.
    cluster : str or None, default "person_id"
        Clusters for robust standard errors of the regression and IPTW estimates (a person
        has several episodes). The crude and Mantel-Haenszel intervals treat episodes as
        independent.
    suppress : bool, default True
        Pass the counts table through :func:`harkit.privacy.suppress`, and leave out the
        estimates (and balance) of a treatment whose 2x2 table of sex by treated has a
        cell below the threshold: with the episodes per sex shown, an odds ratio would
        give that cell back.

    Returns
    -------
    SexDifferenceResult
        ``table`` with ``treatment``, ``method``, ``estimate``, ``lower``, ``upper``,
        ``p_value``; ``extra["counts"]`` (episodes and treated per sex, percentages),
        ``extra["balance"]`` (SMD per covariate level before and after weighting),
        ``extra["balance_summary"]`` (largest absolute SMD per treatment),
        ``extra["tests"]`` (Breslow-Day p, number of strata, model warnings),
        ``extra["iptw"]`` (the :class:`harkit.compare.IPTWResult` per treatment, for its
        Love plot), ``extra["eligible"]`` (the analysed episodes per treatment; row-level,
        not for display).
    """
    available_from = dict(available_from or {})
    threshold = dc.threshold_for(None)
    rows, counts, balances, tests, analysed, small = [], [], [], [], {}, []
    weighted: dict[str, Any] = {}
    for t in treatments or _treatments_of(episodes, spells=False):
        d = eligible(episodes, t, available_from=available_from.get(t), settings=settings)
        analysed[t] = d
        # small dense fits: one BLAS thread is faster than many competing ones
        with threadpool_limits(1, user_api="blas"):
            r, bal, info = _one_treatment(d, strata, covariates, cluster)
        rows += [{"treatment": t, **x} for x in r]
        tests.append({"treatment": t, **info})
        f, m = d["female"] == 1, d["female"] == 0
        cells = [int(d["treated"][f].sum()), int((1 - d["treated"][f]).sum()),
                 int(d["treated"][m].sum()), int((1 - d["treated"][m]).sum())]
        if suppress and any(0 < c < threshold for c in cells):
            # an odds ratio and the shown margins would give the hidden cell back
            for x in rows[-len(METHODS):]:
                x.update(_nan_row())
            small.append(t)
            bal = None
        if bal is not None:
            weighted[t] = bal
            balances.append(bal.balance[["covariate", "smd_before", "smd_after"]]
                            .assign(treatment=t))
        counts.append({"treatment": t, "setting": d.attrs["setting"],
                       "from_year": d.attrs["available_from"],
                       "episodes_women": int(f.sum()), "treated_women": cells[0],
                       "episodes_men": int(m.sum()), "treated_men": cells[2]})
    table = pd.DataFrame(rows, columns=["treatment", "method", "estimate", "lower", "upper",
                                        "p_value"])
    c = pd.DataFrame(counts)
    if len(c):
        c["from_year"] = c["from_year"].astype("Int64")
        with np.errstate(invalid="ignore", divide="ignore"):
            c["pct_women"] = (100 * c["treated_women"] / c["episodes_women"]).round(1)
            c["pct_men"] = (100 * c["treated_men"] / c["episodes_men"]).round(1)
        if suppress:
            c = _shown_treated(c, "treated_women", "episodes_women", [], "pct_women")
            c = _shown_treated(c, "treated_men", "episodes_men", [], "pct_men")
    bal = (pd.concat(balances, ignore_index=True)[["treatment", "covariate", "smd_before",
                                                    "smd_after"]]
           if balances else pd.DataFrame(columns=["treatment", "covariate", "smd_before",
                                                   "smd_after"]))
    summary = _balance_summary(bal)
    notes = [
        "Odds ratios women vs men among the episodes of each treatment's setting, from the "
        "first year the treatment is recorded.",
        f"Mantel-Haenszel stratified by {strata}; adjusted and IPTW estimates use the "
        "covariates that vary within the setting, with person-clustered robust SEs.",
        "Decedents-only register: everyone analysed died in the archive window, so the "
        "episodes are those of people who died; sex differences in survival change who is "
        "seen in each period, which the period and age terms only partly absorb.",
    ]
    if small:
        notes.append(f"Estimates not shown for {', '.join(small)}: a cell of women or men "
                     f"treated or not treated is below {threshold} (with the shown margins "
                     "an odds ratio would reveal it).")
    return SexDifferenceResult(table=table, method="Treatment by sex (women vs men)",
                               notes=notes,
                               extra={"counts": c, "balance": bal,
                                      "balance_summary": summary, "iptw": weighted,
                                      "tests": pd.DataFrame(tests), "eligible": analysed})


# --------------------------------------------------------------------------- over time


def treatment_shares(
    episodes: pd.DataFrame,
    treatments: Sequence[str] | None = None,
    *,
    within: str = "sud",
    unit: str = "5y",
    settings: Mapping[str, TreatmentSetting] | None = None,
    suppress: bool = True,
) -> TrendResult:
    """Share of episodes with each treatment per period (:func:`harkit.trends.over_time`).

    Parameters
    ----------
    episodes : pandas.DataFrame
        :func:`episode_table` output.
    treatments : sequence of str, optional
        Default: every treatment of the table but the spells (:data:`SPELL_TREATMENTS`).
    within : {"sud", "setting"}, default "sud"
        Denominator: all substance-use episodes of the period (``"sud"``; what share of
        the care given to substance users each treatment was), or the episodes of the
        treatment's own setting (``"setting"``, :data:`TREATMENT_SETTINGS`, all years; the
        probability of the treatment where it could be given, free of changes in the mix
        of diagnoses and episode types).
    unit : {"year", "5y"}, default "5y"
        Period length.
    settings : mapping of str to TreatmentSetting, optional
        Overrides of :data:`TREATMENT_SETTINGS`.
    suppress : bool, default True
        Suppress small counts (and the proportions of hidden cells) in
        :func:`harkit.trends.over_time`.

    Returns
    -------
    TrendResult
        ``table``, sorted by treatment (in the order given) and period: ``period``,
        ``period_start``, ``treatment``, ``n``
        (episodes with the treatment), ``total`` (episodes in the denominator),
        ``proportion`` with Wilson limits. Periods where the denominator has no episode
        are absent. ``plot()`` draws one line per treatment with the hospital ICD revision
        periods shaded (the substance-use episodes are found through the diagnosis codes,
        so a changeover can move the denominator).

    Raises
    ------
    ValueError
        For an unknown ``within``.
    """
    if within not in ("sud", "setting"):
        raise ValueError(f"within must be 'sud' or 'setting', not {within!r}")
    names = list(treatments or _treatments_of(episodes, spells=False))
    parts, notes = [], []
    for t in names:
        if within == "sud":
            d = episodes[episodes["sud_episode"].astype(bool)]
        else:
            d = episodes[_setting(t, settings).rule(episodes).to_numpy(bool)]
        d = d[["admission_year", f"tx_{t}"]].rename(columns={f"tx_{t}": "treated"})
        d = d.assign(treated=pd.Categorical(d["treated"].astype(bool),
                                            categories=[False, True]))
        with quiet():
            res = over_time(d, "admission_year", by="treated", unit=unit, suppress=suppress)
        notes = res.notes
        tab = res.table[res.table["treated"] == True].drop(columns="treated")  # noqa: E712
        parts.append(tab.assign(treatment=t))
    cols = ["period", "period_start", "treatment", "n", "total", "proportion",
            "proportion_lower", "proportion_upper"]
    table = (pd.concat(parts, ignore_index=True)[cols] if parts
             else pd.DataFrame(columns=cols))
    table["treatment"] = pd.Categorical(table["treatment"], categories=names)
    table = table.sort_values(["treatment", "period_start"], kind="stable").reset_index(
        drop=True)
    what = ("all substance-use episodes" if within == "sud"
            else "the episodes of each treatment's setting")
    notes = [f"Share of {what} with the treatment, per period.", *notes]
    return TrendResult(table=table, method=f"Treatment shares per {unit}", notes=notes,
                       extra={"by": "treatment", "setting": "hospital",
                              "width": 5 if unit == "5y" else 1,
                              "icd9_hospital_start": 1987, "within": within})


def standardised_shares(
    episodes: pd.DataFrame,
    treatment: str,
    *,
    by: str = "diagnosis",
    within: str = "sud",
    unit: str = "5y",
    standard: Mapping[Any, float] | None = None,
    settings: Mapping[str, TreatmentSetting] | None = None,
    suppress: bool = True,
) -> pd.DataFrame:
    """Share of episodes with a treatment per period, directly standardised to a fixed mix.

    A crude share per period mixes the change in practice with the change in who is
    treated (more drug diagnoses, more outpatient care, more women). Direct standardisation
    weights the stratum-specific shares of every period by one standard mix of ``by``
    (:func:`harkit.compare.standardise`, Fay-Feuer intervals).

    Parameters
    ----------
    episodes : pandas.DataFrame
        :func:`episode_table` output.
    treatment : str
        A treatment of the table.
    by : str, default "diagnosis"
        Standardising variable (a column with a few categories, e.g. ``diagnosis``,
        ``sex``, ``episode_type``).
    within : {"sud", "setting"}, default "sud"
        Denominator episodes, as in :func:`treatment_shares`.
    unit : {"year", "5y"}, default "5y"
        Period length.
    standard : mapping, optional
        Weight of each category of ``by``. Default: the mix of all periods pooled.
        Categories without a weight are left out.
    settings : mapping of str to TreatmentSetting, optional
        Overrides of :data:`TREATMENT_SETTINGS`.
    suppress : bool, default True
        Suppress small counts (the crude share of a suppressed count is blanked).

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period``, ``period_start``, ``treated``, ``episodes``,
        ``crude`` and ``standardised`` share (percent; blank where the treated count is
        suppressed) with ``lower``, ``upper`` and
        ``complete`` (True when every category of the standard has episodes in the
        period; otherwise the weights are renormalised over the categories present and the
        period is not comparable with the others).
    """
    col = f"tx_{treatment}"
    if col not in episodes:
        raise ValueError(f"no treatment {treatment!r} in the episode table")
    if within == "sud":
        d = episodes[episodes["sud_episode"].astype(bool)]
    elif within == "setting":
        d = episodes[_setting(treatment, settings).rule(episodes).to_numpy(bool)]
    else:
        raise ValueError(f"within must be 'sud' or 'setting', not {within!r}")
    width = 5 if unit == "5y" else 1
    d = d[d["admission_year"].notna() & d[by].notna()]
    start = (d["admission_year"].astype(int) // width * width).to_numpy()
    levels = sorted(d[by].astype(str).unique())
    if standard is None:
        mix = d[by].astype(str).value_counts()
        standard = {lv: float(mix[lv]) for lv in levels}
    levels = [lv for lv in levels if lv in standard]
    code = {lv: i for i, lv in enumerate(levels)}
    g = pd.DataFrame({"period_start": start, "stratum": d[by].astype(str).map(code),
                      "treated": d[col].astype(int).to_numpy(), "episodes": 1})
    g = g.dropna(subset=["stratum"])
    g = g.groupby(["period_start", "stratum"], as_index=False)[["treated", "episodes"]].sum()
    weights = {code[lv]: float(standard[lv]) for lv in levels}
    with quiet():
        res = standardise(g, rate_or_events="treated", denominator="episodes",
                          age="stratum", by="period_start",
                          standard=weights, kind="proportion", per=100, suppress=False)
    t = res.table
    out = pd.DataFrame({
        "period": [str(s) if width == 1 else f"{s}-{s + width - 1}"
                   for s in t["period_start"]],
        "period_start": t["period_start"].astype(int).to_numpy(),
        "treated": t["events"].astype(int).to_numpy(),
        "episodes": t["denominator"].astype(int).to_numpy(),
        "crude": t["crude_rate"].to_numpy(),
        "standardised": t["std_rate"].to_numpy(),
        "lower": t["lower"].to_numpy(),
        "upper": t["upper"].to_numpy(),
        "complete": (t["bands_used"] == len(levels)).to_numpy(),
    })
    if suppress:
        out = _shown_treated(out, "treated", "episodes",
                             ["crude", "standardised", "lower", "upper"])
    out.attrs["standard"] = dict(zip(levels, [standard[lv] for lv in levels], strict=True))
    return out
