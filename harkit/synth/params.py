"""Planted parameters of the synthetic register, and the :class:`Truth` it returns.

Every number the generator uses lives here, in :class:`Params`, so that the truth can
report it and a reader can see the whole model in one place. Calibration targets (from
``/work/shared/reference/register.md`` §5) are noted next to the numbers they steer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

#: Substance groups of the SUD population (the hazard contrast is against ``none``).
GROUPS: tuple[str, ...] = (
    "none", "alcohol", "opioids", "cannabis", "sedatives", "stimulants", "polydrug",
)
#: Drug groups (every group except ``none`` and ``alcohol``).
DRUG_GROUPS: tuple[str, ...] = GROUPS[2:]
#: Substances that can be flagged on a person (the main group plus co-use).
SUBSTANCES: tuple[str, ...] = (
    "alcohol", "opioids", "cannabis", "sedatives", "stimulants", "solvents", "polydrug",
)
#: Charlson-type comorbid conditions (``aids`` is HIV infection of injecting users).
CONDITIONS: tuple[str, ...] = (
    "mi", "chf", "pvd", "cvd", "dementia", "copd", "rheumatic", "ulcer", "mild_liver",
    "diabetes", "malignancy", "aids",
)
#: Charlson weights (Charlson et al. 1987): malignancy 2, AIDS/HIV 6, the others 1.
CONDITION_WEIGHTS: MappingProxyType = MappingProxyType(
    {c: {"malignancy": 2, "aids": 6}.get(c, 1) for c in CONDITIONS})
#: Cause-of-death groups.
CAUSE_GROUPS: tuple[str, ...] = (
    "alcohol", "overdose", "suicide", "accident", "violence", "cancer", "cardiovascular",
    "respiratory", "liver", "other",
)
#: Time-varying states of a life that multiply the population hazard (log-HR keys of
#: :attr:`Params.log_hr` besides the substance groups).
STATES: tuple[str, ...] = ("recovered", "organ_disease", "psychiatric", "hiv",
                            "endocarditis", "maintenance_treatment")
#: Names of the covariates whose planted log hazard ratios :attr:`Truth.beta` reports:
#: the substance group (from onset), recovery (from its date), alcohol-related organ
#: disease (from its onset), psychiatric comorbidity (from substance-use onset), HIV
#: infection and endocarditis of injecting users (from diagnosis) and opioid maintenance
#: treatment (while in it).
COVARIATES: tuple[str, ...] = (
    "group_alcohol", "group_opioids", "group_cannabis", "group_sedatives",
    "group_stimulants", "group_polydrug", "recovered", "organ_disease", "psychiatric",
    "hiv", "endocarditis", "maintenance_treatment",
)
#: Alcohol-related organ diseases (recorded as ``alcohol_liver``, ``alcohol_pancreatitis``,
#: ``alcohol_cardiomyopathy`` and ``alcohol_polyneuropathy`` diagnoses; liver disease is
#: also Charlson mild liver disease, cardiomyopathy Charlson heart failure).
ORGANS: tuple[str, ...] = ("liver", "pancreas", "heart", "nerves")
#: First calendar year in which HIV infection is diagnosed (HTLV-III antibody testing in
#: Norway from 1985; the first Norwegian AIDS case was reported in 1983).
HIV_FROM_YEAR: int = 1984


def _ro(d: dict) -> MappingProxyType:
    return MappingProxyType(dict(d))


def _by_group(**kw: object) -> MappingProxyType:
    return _ro(kw)


@dataclass(frozen=True)
class Params:
    """All planted parameters of the generator (defaults are the documented model).

    The model is a life course in continuous time (see ``docs/synthetic-register.md``):
    each life is born into a cohort, lives under the Norwegian population hazard of its
    sex, calendar year and age (Human Mortality Database, bundled in
    :mod:`harkit.lifetables`), and -- in the substance-use population -- starts its
    disorder at an onset age drawn from the distribution of its substance. From onset the
    hazard is multiplied by ``exp(log_hr[group])``; recovery, alcohol-related organ disease
    and psychiatric comorbidity change it further from the time they happen. Causes of
    death follow from cause-specific hazards (shares of the hazard at the moment of death).

    Attributes
    ----------
    log_hr : mapping
        Log hazard ratios against the population hazard: ``group_<substance>`` from onset,
        ``recovered`` from the recovery date, ``organ_disease`` from its onset,
        ``psychiatric`` from substance-use onset for persons with psychiatric
        comorbidity, ``hiv`` and ``endocarditis`` from diagnosis,
        ``maintenance_treatment`` while in opioid maintenance treatment:
        ``log(11.3 / 36.1) = -1.16``, the all-cause mortality rate in against out of
        methadone treatment in the meta-analysis of Sordo et al. 2017 (BMJ 357:j1550).
        Other values assumed: Plana-Ripoll et al. 2019 (Lancet 394:1827) report a
        mortality rate ratio of 3.91 for substance-use disorders in Denmark
        (``/work/shared/reference/methods.md``); opioid and polydrug users are set near 10,
        alcohol near 3.
    onset_shift, onset_shape, onset_scale : mapping
        Onset age of the disorder per substance group: ``shift + Gamma(shape, scale)``
        (alcohol mean about 41, opioids/stimulants/polydrug about 23, cannabis 20,
        sedatives 33; assumed, in line with the later first alcohol contacts in
        Nordic treatment registers).
    recovery_rate : mapping
        Constant hazard of lasting recovery per year since onset, by group.
    organ_rate : mapping
        Hazard per year since onset of alcohol-related organ disease, by group.
    organ_split : mapping
        Share of organ disease that is liver disease, chronic pancreatitis, alcoholic
        cardiomyopathy (``heart``) or alcoholic polyneuropathy (``nerves``); assumed,
        with liver disease the commonest as in Nordic alcohol-related hospital and death
        statistics (see ``docs/synthetic-register.md``).
    organ_cause_rr : mapping
        Multiplier of one cause share from the onset of each organ disease: liver disease
        raises liver deaths, pancreatitis alcohol-induced deaths, cardiomyopathy
        cardiovascular deaths, polyneuropathy accidents (falls). Assumed.
    psychiatric_prob : mapping
        Probability of psychiatric comorbidity by group, for men and women.
    injecting_prob : mapping
        Probability of injecting use by group (cohorts born from ``injecting_from``).
    hcv_prob, hiv_prob, endocarditis_prob : float
        Among injecting users: chronic hepatitis C (recorded as Charlson mild liver
        disease), HIV (diagnosed from :data:`HIV_FROM_YEAR` only; Charlson AIDS/HIV) and
        endocarditis.
    hiv_delay, endocarditis_delay : float
        Mean years from onset of injecting use to HIV diagnosis (never before
        :data:`HIV_FROM_YEAR`) and to endocarditis (exponential).
    hiv_cause_rr, endocarditis_cause_rr : float
        Multipliers of the ``other`` (HIV) and ``cardiovascular`` (endocarditis) cause
        shares from diagnosis.
    maintenance_prob_male : float
        Probability that a man of the opioid group who has not recovered by the start of
        opioid maintenance treatment (``methadone_start_year``, LAR from 1998) enters it;
        women have the odds ratio ``treatment_or_female["methadone"]``.
    maintenance_entry_delay, maintenance_duration : float
        Mean years from the later of onset and 1998 to entry, and mean years in
        treatment (exponential; one spell per person).
    maintenance_overdose_rr : float
        Multiplier of the overdose cause share while in treatment (the overdose rate
        falls more than all-cause mortality; Sordo et al. 2017).
    birth_years : tuple of int
        Birth cohorts simulated (inclusive).
    birth_slope : float
        Birth-year density rises linearly: ``1 + birth_slope * (year - first) / span``.
    drug_cohort_start, drug_cohort_full : int
        Drug groups grow linearly in the SUD population from cohort ``drug_cohort_start``
        to ``drug_cohort_full``; earlier cohorts only have the small historical share.
    drug_share_early, drug_share_full : float
        Share of SUD lives in a drug group before ``drug_cohort_start`` (morphinism and
        sedatives) and from ``drug_cohort_full``.
    drug_mix, drug_mix_early : mapping
        Split of drug lives among drug groups (modern and early cohorts).
    male_share : mapping
        Probability of male sex per group (alcohol about 3:1).
    young_onset_age : float
        Onset before this age is ``young_onset`` in the truth.
    condition_prob : mapping
        Base probability of each Charlson-type condition being recorded for a person
        dying at 70 (scaled by age at death and raised by the cause of death).
    condition_group_rr : mapping
        Relative probability of a condition by group (e.g. COPD among smokers).
    treatment_or_female : mapping
        Planted odds ratios, women vs men, for a treatment given an eligible episode.
    treatment_p_male : mapping
        Probability of the treatment for men on an eligible episode.
    documents_share_sud, documents_share_comparison : float
        Share of SUD and comparison persons with record text when ``documents=True``.
    diagnosis_text_variants : bool
        Rewrite diagnosis texts with clinician phrasings, style variation and OCR noise
        (:mod:`harkit.synth.dxtext`); ``False`` keeps the code-table texts.
    """

    log_hr: MappingProxyType = field(default_factory=lambda: _ro({
        "group_alcohol": 1.1,
        "group_opioids": 2.3,
        "group_cannabis": 1.0,
        "group_sedatives": 1.3,
        "group_stimulants": 1.8,
        "group_polydrug": 2.3,
        "recovered": -0.7,
        "organ_disease": 0.9,
        "psychiatric": 0.3,
        "hiv": 1.0,
        "endocarditis": 0.7,
        "maintenance_treatment": -1.16,
    }))
    onset_shift: MappingProxyType = field(default_factory=lambda: _by_group(
        alcohol=15.0, opioids=14.0, cannabis=13.0, sedatives=15.0, stimulants=14.0,
        polydrug=14.0))
    onset_shape: MappingProxyType = field(default_factory=lambda: _by_group(
        alcohol=4.0, opioids=3.0, cannabis=3.0, sedatives=3.0, stimulants=3.0,
        polydrug=3.0))
    onset_scale: MappingProxyType = field(default_factory=lambda: _by_group(
        alcohol=6.5, opioids=3.0, cannabis=2.3, sedatives=6.0, stimulants=3.0,
        polydrug=3.0))
    recovery_rate: MappingProxyType = field(default_factory=lambda: _by_group(
        alcohol=0.02, opioids=0.025, cannabis=0.04, sedatives=0.025, stimulants=0.03,
        polydrug=0.02))
    organ_rate: MappingProxyType = field(default_factory=lambda: _by_group(
        alcohol=0.018, opioids=0.002, cannabis=0.001, sedatives=0.004, stimulants=0.002,
        polydrug=0.003))
    organ_split: MappingProxyType = field(default_factory=lambda: _ro(
        {"liver": 0.55, "pancreas": 0.2, "heart": 0.1, "nerves": 0.15}))
    organ_cause_rr: MappingProxyType = field(default_factory=lambda: _ro({
        "liver": ("liver", 8.0), "pancreas": ("alcohol", 2.0),
        "heart": ("cardiovascular", 4.0), "nerves": ("accident", 1.5)}))
    psychiatric_prob: MappingProxyType = field(default_factory=lambda: _ro({
        "alcohol": (0.25, 0.40), "opioids": (0.35, 0.50), "cannabis": (0.40, 0.50),
        "sedatives": (0.40, 0.55), "stimulants": (0.35, 0.45), "polydrug": (0.45, 0.55),
    }))
    injecting_prob: MappingProxyType = field(default_factory=lambda: _by_group(
        alcohol=0.0, opioids=0.7, cannabis=0.0, sedatives=0.05, stimulants=0.4,
        polydrug=0.6))
    injecting_from: int = 1940
    hcv_prob: float = 0.6
    hiv_prob: float = 0.02
    endocarditis_prob: float = 0.04
    hiv_delay: float = 4.0
    endocarditis_delay: float = 8.0
    hiv_cause_rr: float = 10.0
    endocarditis_cause_rr: float = 4.0
    maintenance_prob_male: float = 0.5
    maintenance_entry_delay: float = 3.0
    maintenance_duration: float = 6.0
    maintenance_overdose_rr: float = 0.7
    birth_years: tuple[int, int] = (1870, 1995)
    birth_slope: float = 1.0
    drug_cohort_start: int = 1940
    drug_cohort_full: int = 1965
    drug_share_early: float = 0.03
    drug_share_full: float = 0.92
    drug_mix: MappingProxyType = field(default_factory=lambda: _ro({
        "opioids": 0.32, "cannabis": 0.13, "sedatives": 0.13, "stimulants": 0.15,
        "polydrug": 0.27,
    }))
    drug_mix_early: MappingProxyType = field(default_factory=lambda: _ro({
        "opioids": 0.5, "cannabis": 0.0, "sedatives": 0.5, "stimulants": 0.0,
        "polydrug": 0.0,
    }))
    male_share: MappingProxyType = field(default_factory=lambda: _ro({
        "none": 0.49, "alcohol": 0.76, "opioids": 0.72, "cannabis": 0.8, "sedatives": 0.45,
        "stimulants": 0.7, "polydrug": 0.72,
    }))
    young_onset_age: float = 25.0
    condition_prob: MappingProxyType = field(default_factory=lambda: _ro({
        "mi": 0.08, "chf": 0.07, "pvd": 0.03, "cvd": 0.07, "dementia": 0.05, "copd": 0.07,
        "rheumatic": 0.02, "ulcer": 0.03, "mild_liver": 0.01, "diabetes": 0.07,
        "malignancy": 0.10, "aids": 0.0,
    }))
    condition_group_rr: MappingProxyType = field(default_factory=lambda: _ro({
        "alcohol": {"ulcer": 2.5, "copd": 2.0, "chf": 1.3, "dementia": 1.5, "mild_liver": 3.0},
        "opioids": {"copd": 1.5, "mild_liver": 2.0},
        "cannabis": {"copd": 1.5},
        "sedatives": {"dementia": 1.3},
        "stimulants": {"mi": 1.5, "cvd": 1.5},
        "polydrug": {"copd": 1.5, "mild_liver": 2.0},
    }))
    care_start_year: int = 1930
    episodes_comparison_extra: float = 0.28
    episodes_sud: float = 2.2
    episodes_sud_general: float = 0.8
    secondary_per_episode: float = 1.9
    treatment_or_female: MappingProxyType = field(default_factory=lambda: _ro({
        "institutional_stay": 0.6, "methadone": 0.75,
    }))
    treatment_p_male: MappingProxyType = field(default_factory=lambda: _ro({
        "institutional_stay": 0.7, "methadone": 0.5,
    }))
    methadone_start_year: int = 1998
    buprenorphine_start_year: int = 2002
    disulfiram_start_year: int = 1950
    documents_share_sud: float = 0.3
    documents_share_comparison: float = 0.01
    diagnosis_text_variants: bool = True

    def __post_init__(self) -> None:
        # Mappings given as plain dicts (e.g. ``Params(log_hr={...})``, or on unpickling)
        # are made read-only like the defaults.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dict):
                object.__setattr__(self, f.name, _ro(value))

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        # MappingProxyType cannot be pickled: pickle the mappings as dicts and let
        # __post_init__ make them read-only again.
        return _params_from_dict, (self.to_dict(),)

    def to_dict(self) -> dict[str, Any]:
        """Return the parameters as a plain dict (mappings as dicts), e.g. to store them.

        Returns
        -------
        dict
            ``Params(**p.to_dict()) == p``.
        """
        return {f.name: (_plain(v) if isinstance(v, MappingProxyType) else v)
                for f in fields(self) for v in [getattr(self, f.name)]}


def _plain(value: Any) -> Any:
    if isinstance(value, (dict, MappingProxyType)):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _params_from_dict(values: dict[str, Any]) -> Params:
    return Params(**values)


#: The default parameters.
DEFAULTS = Params()


@dataclass
class Truth:
    """Ground truth of a synthetic register: what was planted and what each row really is.

    Attributes
    ----------
    seed : int or None
        The integer seed, or None when a ``numpy.random.Generator`` was passed.
    n_persons, n_sud, n_comparison : int
        Persons kept, of them in the SUD and the comparison population.
    sud_fraction : float
        Requested share of SUD persons among those kept.
    death_window : tuple of int
        First and last death year kept (inclusive); every kept death lies inside.
    hospital_revisions : dict
        ICD revision -> (first year, last year) used to code hospital diagnoses by their date.
    death_revisions : dict
        ICD revision -> (first year, last year) used to code causes of death by death year.
    baseline : str
        The population hazard every life starts from (Norwegian HMD rates by sex,
        calendar year and single year of age).
    beta : dict
        Planted log hazard ratios of the time-varying states (:data:`COVARIATES`) against
        the population hazard: ``h(a) = m(sex, year, a) exp(sum of beta over the states the
        life is in at a)``. ``group_<substance>`` applies from the onset of the disorder,
        ``recovered`` from the recovery date, ``organ_disease`` from its onset,
        ``psychiatric`` from substance-use onset, ``hiv`` and ``endocarditis`` from their
        diagnosis, ``maintenance_treatment`` while in opioid maintenance treatment. A
        contrast of two groups at the same age, year, sex and states is
        ``exp(beta[g1] - beta[g2])``.
    treatment_odds_ratios : dict
        Planted odds ratios, women vs men, per treatment on an eligible episode
        (``institutional_stay``: inpatient episode at an addiction institution;
        ``methadone``: episode of an opioid-group person at an addiction institution
        from 1998).
    treatment_baseline : dict
        Probability of each of those treatments for men on an eligible episode.
    prevalences : dict
        Group mix by cohort, sex shares, onset-age distributions, recovery and organ
        disease rates, psychiatric and injecting shares (copied from :class:`Params`).
    params : Params
        The full parameter set.
    lives : pandas.DataFrame
        Lives simulated per kept person: one row per population (``sud``/``comparison``)
        and birth decade with ``lives_simulated``, ``kept`` and ``lives_per_kept``.
    persons : pandas.DataFrame
        One row per kept person: ``person_id``, ``population``, ``sex``, exact
        ``birth_date`` and ``death_date``, ``age_at_death`` (years), ``entry_age`` (the age
        from which the person belongs to the population: onset age for persons with the
        disorder, 0 otherwise), ``group`` (main substance group or ``none``), the
        indicators ``male`` and ``group_<substance>``, ``onset_age`` (NaN for comparison
        persons; always before death), ``young_onset`` (onset before
        :attr:`Params.young_onset_age`), substance flags ``uses_<substance>``,
        ``recovered`` and ``recovery_date`` (recovery before death), ``organ_<organ>``
        and ``organ_disease_age`` (alcohol-related organ disease before death),
        ``psychiatric``, ``injecting``, ``hcv``, ``hiv`` and ``hiv_date``,
        ``endocarditis`` and ``endocarditis_date`` (diagnosed before death),
        ``maintenance_treatment`` with ``maintenance_start`` and ``maintenance_end`` (the
        opioid maintenance spell; its end is the death date if still in it) and
        ``maintenance_at_death``,
        ``comorbidity`` (Charlson score) with one ``cond_<condition>`` flag per
        condition, ``cause_group`` of the underlying cause of death (drawn from the
        cause-specific hazards at death), ``linear_predictor`` (log hazard ratio in force
        at death) and ``lives_simulated`` (for the person's population and birth decade).
    document_labels : pandas.DataFrame
        One row per document and concept mentioned: ``document_id``, ``concept`` and the
        booleans ``affirmed`` (asserted for the patient, now or earlier), ``negated``,
        ``historical``, ``uncertain``, ``family``.
    document_texts : pandas.DataFrame
        ``document_id``, ``clean_text`` (before OCR noise) and ``ocr_noise`` (bool).
    diagnoses : pandas.DataFrame
        One row per generated diagnosis, in the order of ``extract.diagnoses``:
        ``diagnosis_id``; ``concept`` and ``kind`` (``sud``, ``charlson``, ``general``) of
        the code-table row (``data/diagnosis_codes.csv``) that gave its code and text; the
        true harmonised categories ``substance``, ``sud_level`` and ``alcohol_somatic``
        (string, NA where not applicable), read from that row's ``category_*`` columns;
        and ``coded`` (bool: a code was delivered; False for uncoded texts). The
        substance is the concept's, except that cocaine codes of the ``stimulants``
        concept (F14, ICD-9 304.2, ICD-8 304.4) are ``cocaine``; an unspecific code (ICD-7
        323) keeps the concept's true substance. The organ-disease concepts
        (``alcohol_liver``, ``alcohol_pancreatitis``, kind ``organ``) carry their
        ``alcohol_somatic`` category where the code means one (ICD-9 577.1 and ICD-7 587
        do not). ``code_form`` records which ICD-7 form was written where the two
        differ (string, NA elsewhere): ``swedish`` (the Swedish Charlson list's code,
        ``722.00``, ``260.09``, ``420.1``, delivered e.g. as ``722,00``), ``norwegian``
        (the 4-digit Norwegian form, ``722.0``, ``260.0``: a safe truncation that maps to
        the same condition) or ``norwegian_bare`` (the 3-digit category, ``722``, ``260``,
        ``420``: ambiguous, no Charlson condition, listed by
        :func:`harkit.icd.unmapped_codes`); ``outside_list`` marks a Charlson code the
        Swedish list does not hold (HIV before ICD-10: ICD-8 079.83, ICD-9 042; that list
        has only the Swedish ICD-9 extensions 079J/279K), so it gives no condition there.
    causes_of_death : pandas.DataFrame
        One row per cause-of-death row, in the order of ``extract.causes_of_death``:
        ``person_id``, ``cause_type`` (``underlying``/``contributing``), ``line``, ``code``
        (as generated, with or without its dot); ``group``, the generator's cause group of
        the death (:data:`CAUSE_GROUPS`: ``alcohol``, ``overdose``, ``suicide`` ...; the
        same on every line of a certificate, equal to ``persons.cause_group``); and
        ``cause_group``, the category the code *means* under the shipped
        ``harkit/codelists/cause_group.csv`` (``alcohol_induced``, ``drug_induced``,
        ``suicide``, ``accident``, ``violence``, ``cancer``, ``cardiovascular``,
        ``respiratory``, ``liver``, ``other``), read by hand into the
        ``category_cause_group`` column of ``data/cause_codes.csv`` and
        ``data/contributing_codes.csv``. The two differ by design: alcoholic cirrhosis
        (``liver``) is ``alcohol_induced``; intentional drug poisoning X62 (``suicide``)
        is ``drug_induced``, and so are ICD-8 E950 (the poisoning-by-intent bridge) and
        ICD-9 E950.0-E950.5 (the generator never writes a bare ICD-9 E950); a pre-2003
        sedative overdose F13.0 is ``drug_induced`` like the other F1x.0 codes;
        contributing T-codes are ``other`` and I10 ``cardiovascular``.
    notes : dict
        Counts worth knowing (e.g. lives simulated in total).
    estimand_seed : int
        Seed of the untruncated population simulation behind :attr:`estimands`.

    Notes
    -----
    :attr:`estimands` (computed on first use, then kept) holds the population estimands
    the analyses aim at, computed by simulating the untruncated population of the same
    model with ``estimand_seed`` -- see :func:`harkit.synth.estimands.population_estimands`.
    """

    seed: int | None
    n_persons: int
    n_sud: int
    n_comparison: int
    sud_fraction: float
    death_window: tuple[int, int]
    hospital_revisions: dict[str, tuple[int, int]]
    death_revisions: dict[str, tuple[int, int]]
    baseline: str
    beta: dict[str, float]
    treatment_odds_ratios: dict[str, float]
    treatment_baseline: dict[str, float]
    prevalences: dict[str, object]
    params: Params
    lives: pd.DataFrame
    persons: pd.DataFrame
    document_labels: pd.DataFrame
    document_texts: pd.DataFrame
    diagnoses: pd.DataFrame
    causes_of_death: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: dict[str, object] = field(default_factory=dict)
    estimand_seed: int = 0
    estimands_table: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def estimands(self) -> pd.DataFrame:
        """Population estimands of this register's model (simulated once, then kept).

        Returns
        -------
        pandas.DataFrame
            See :func:`harkit.synth.estimands.population_estimands`.
        """
        if self.estimands_table is None:
            from harkit.synth.estimands import population_estimands

            self.estimands_table = population_estimands(
                self.params, seed=self.estimand_seed, death_window=self.death_window)
        return self.estimands_table

    def estimand(self, name: str, **where: object) -> float:
        """Return one value of :attr:`estimands`.

        Parameters
        ----------
        name : str
            The ``estimand`` column value (e.g. ``"mean_age_at_death"``).
        **where
            Equality filters on other columns (``sex="male"``, ``group="alcohol"``).

        Returns
        -------
        float

        Raises
        ------
        KeyError
            If no row or more than one row matches.
        """
        t = self.estimands
        sel = t["estimand"] == name
        for k, v in where.items():
            sel &= t[k] == v
        if sel.sum() != 1:
            raise KeyError(f"{int(sel.sum())} estimand rows match {name!r} {where}")
        return float(t.loc[sel, "value"].iloc[0])

    def summary(self) -> pd.DataFrame:
        """Return the planted scalar parameters as a tidy table.

        Returns
        -------
        pandas.DataFrame
            Columns ``parameter`` and ``value``.
        """
        rows: list[tuple[str, object]] = [
            ("seed", self.seed), ("n_persons", self.n_persons), ("n_sud", self.n_sud),
            ("n_comparison", self.n_comparison), ("sud_fraction", self.sud_fraction),
            ("death_window", self.death_window), ("baseline", self.baseline),
        ]
        rows += [(f"beta[{k}]", v) for k, v in self.beta.items()]
        rows += [(f"OR_female[{k}]", v) for k, v in self.treatment_odds_ratios.items()]
        rows += [(f"hospital_revision[{k}]", v) for k, v in self.hospital_revisions.items()]
        rows += [(f"death_revision[{k}]", v) for k, v in self.death_revisions.items()]
        return pd.DataFrame(rows, columns=["parameter", "value"])

    def to_parquet(self, directory: str | Path) -> Path:
        """Write the truth to a folder: its tables as Parquet, the rest as JSON.

        :meth:`harkit.Extract.to_parquet` calls this for a synthetic extract, so that
        ``read_extract`` gives the truth back with the tables.

        Parameters
        ----------
        directory : str or pathlib.Path
            Target folder (created if needed).

        Returns
        -------
        pathlib.Path
            The folder written; :meth:`read_parquet` reads it back equal.
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        rest: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, pd.DataFrame):
                value.to_parquet(out / f"{f.name}.parquet")  # keeps a non-default index
            else:
                rest[f.name] = _to_json(value)
        (out / "truth.json").write_text(json.dumps(rest, indent=1), encoding="utf-8")
        return out

    @classmethod
    def read_parquet(cls, directory: str | Path) -> Truth:
        """Read a truth written by :meth:`to_parquet`.

        Parameters
        ----------
        directory : str or pathlib.Path

        Returns
        -------
        Truth
        """
        src = Path(directory)
        rest = json.loads((src / "truth.json").read_text(encoding="utf-8"))
        values = {name: _from_json(v) for name, v in rest.items()}
        for f in fields(cls):
            if f.name not in values:
                values[f.name] = pd.read_parquet(src / f"{f.name}.parquet")
        return cls(**values)

    def __repr__(self) -> str:
        return (f"Truth(n_persons={self.n_persons:,}, n_sud={self.n_sud:,}, "
                f"death_window={self.death_window}, seed={self.seed!r})")


# JSON with tags for what JSON lacks, so that a stored truth reads back equal: tuples stay
# tuples, dict keys keep their type, Params come back as Params. (Not pickle: reading a
# folder must never run code from it.)
def _to_json(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Params):
        return {"params": _to_json(value.to_dict())}
    if isinstance(value, (dict, MappingProxyType)):
        return {"dict": [[_to_json(k), _to_json(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"tuple": [_to_json(v) for v in value]}
    if isinstance(value, list):
        return {"list": [_to_json(v) for v in value]}
    raise TypeError(f"cannot store a {type(value).__name__} in a truth file")


def _from_json(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    ((tag, inner),) = value.items()
    if tag == "params":
        return Params(**_from_json(inner))
    if tag == "dict":
        return {_from_json(k): _from_json(v) for k, v in inner}
    if tag == "tuple":
        return tuple(_from_json(v) for v in inner)
    if tag == "list":
        return [_from_json(v) for v in inner]
    raise ValueError(f"unknown tag {tag!r} in a truth file")
