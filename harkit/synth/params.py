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
#: Charlson-type comorbid conditions: weight 1 each, malignancy weight 2 (Charlson 1987).
CONDITIONS: tuple[str, ...] = (
    "mi", "chf", "pvd", "cvd", "dementia", "copd", "rheumatic", "ulcer", "mild_liver",
    "diabetes", "malignancy",
)
CONDITION_WEIGHTS: MappingProxyType = MappingProxyType(
    {c: (2 if c == "malignancy" else 1) for c in CONDITIONS})
#: Cause-of-death groups.
CAUSE_GROUPS: tuple[str, ...] = (
    "alcohol", "overdose", "suicide", "accident", "violence", "cancer", "cardiovascular",
    "respiratory", "liver", "other",
)
#: Names of the covariates in the Gompertz linear predictor, in order.
COVARIATES: tuple[str, ...] = (
    "male", "group_alcohol", "group_opioids", "group_cannabis", "group_sedatives",
    "group_stimulants", "group_polydrug", "young_onset", "comorbidity",
)


def _ro(d: dict) -> MappingProxyType:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class Params:
    """All planted parameters of the generator (defaults are the documented model).

    Attributes
    ----------
    gompertz_b, gompertz_g : float
        Baseline Gompertz hazard ``b * exp(g * age)`` (age in years) for a woman in the
        comparison group with no comorbidity: modal age at death ``ln(g/b)/g`` = 82.9 years,
        so men (log-HR 0.35) have a mode near 79.4 -- roughly Norwegian mortality.
    beta : mapping
        Log hazard ratios by covariate (:data:`COVARIATES`). Chosen so that alcohol deaths
        average in the early 60s and opioid/polydrug deaths in the 40s after truncation.
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
    young_onset_prob : mapping
        Probability of onset before ``young_onset_age`` per SUD group.
    comorbidity_mean : mapping
        Poisson mean of the Charlson-type score per group (capped at ``comorbidity_max``).
    malignancy_prob : float
        Probability that a score of 2 or more includes malignancy (weight 2).
    recovery_prob, recovery_min_years : float
        Share of eligible SUD persons who become drug-free, and the minimum years between
        recovery and death (their SUD contacts stop at the recovery date).
    treatment_or_female : mapping
        Planted odds ratios, women vs men, for a treatment given an eligible episode.
    treatment_p_male : mapping
        Probability of the treatment for men on an eligible episode.
    documents_share_sud, documents_share_comparison : float
        Share of SUD and comparison persons with record text when ``documents=True``.
    diagnosis_text_variants : bool
        Rewrite diagnosis texts with clinician phrasings, style variation and OCR noise
        (:mod:`harkit.synth.dxtext`); ``False`` keeps the code-table texts (ICD titles and
        the fixed uncoded wordings) and draws no extra random numbers.
    """

    gompertz_b: float = 2.5e-5
    gompertz_g: float = 0.1
    beta: MappingProxyType = field(default_factory=lambda: _ro({
        "male": 0.35,
        "group_alcohol": 1.2,
        "group_opioids": 2.25,
        "group_cannabis": 1.7,
        "group_sedatives": 1.8,
        "group_stimulants": 2.1,
        "group_polydrug": 2.25,
        "young_onset": 0.3,
        "comorbidity": 0.15,
    }))
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
    young_onset_prob: MappingProxyType = field(default_factory=lambda: _ro({
        "alcohol": 0.15, "opioids": 0.65, "cannabis": 0.8, "sedatives": 0.3,
        "stimulants": 0.6, "polydrug": 0.7,
    }))
    onset_range_young: tuple[float, float] = (14.0, 25.0)
    onset_range_late: tuple[float, float] = (25.0, 60.0)
    comorbidity_mean: MappingProxyType = field(default_factory=lambda: _ro({
        "none": 0.9, "alcohol": 1.3, "opioids": 0.5, "cannabis": 0.4, "sedatives": 0.9,
        "stimulants": 0.5, "polydrug": 0.6,
    }))
    comorbidity_max: int = 8
    malignancy_prob: float = 0.3
    recovery_prob: float = 0.15
    recovery_min_years: float = 5.0
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
        # Mappings given as plain dicts (e.g. ``Params(beta={...})``, or on unpickling)
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
        return {f.name: (dict(v) if isinstance(v, MappingProxyType) else v)
                for f in fields(self) for v in [getattr(self, f.name)]}

    def linear_predictor(self, covariates: pd.DataFrame) -> np.ndarray:
        """Return ``beta' x`` for a frame holding the :data:`COVARIATES` columns.

        Parameters
        ----------
        covariates : pandas.DataFrame
            Columns named as in :data:`COVARIATES`.

        Returns
        -------
        numpy.ndarray
            One value per row.
        """
        x = covariates[list(COVARIATES)].to_numpy(dtype=float)
        return x @ np.array([self.beta[c] for c in COVARIATES])


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
    gompertz_b, gompertz_g : float
        Baseline Gompertz hazard ``h(a) = b * exp(g a)`` (age ``a`` in years).
    beta : dict
        Planted log hazard ratios by covariate name (see :data:`COVARIATES`):
        ``h(a | x) = b exp(g a) exp(beta' x)``. Age at death is sampled exactly by
        inverse transform, covariates independent of age at death given birth cohort,
        so a Gompertz MLE conditional on the death window recovers ``beta``.
    treatment_odds_ratios : dict
        Planted odds ratios, women vs men, per treatment on an eligible episode
        (``institutional_stay``: inpatient episode at an addiction institution;
        ``methadone``: episode of an opioid-group person at an addiction institution
        from 1998).
    treatment_baseline : dict
        Probability of each of those treatments for men on an eligible episode.
    prevalences : dict
        Group mix by cohort, sex shares, young-onset shares, comorbidity means,
        recovery share (copied from :class:`Params`).
    recovery_min_years : float
        Minimum years between the recovery date and death.
    params : Params
        The full parameter set.
    lives : pandas.DataFrame
        Lives simulated per kept person: one row per population (``sud``/``comparison``)
        and birth decade with ``lives_simulated``, ``kept`` and ``lives_per_kept``.
    persons : pandas.DataFrame
        One row per kept person: ``person_id``, ``population``, ``sex``, exact
        ``birth_date`` and ``death_date``, ``age_at_death`` (years), ``group``
        (main substance group or ``none``), covariates (:data:`COVARIATES`), substance
        flags ``uses_<substance>``, ``onset_age`` (NaN for comparison persons),
        ``onset_clipped`` (onset had to be drawn below its group range because death came
        first), ``comorbidity`` with one ``cond_<condition>`` flag per condition,
        ``recovered``, ``recovery_date``, ``cause_group`` of the underlying cause of death,
        ``linear_predictor`` and ``lives_simulated`` (for the person's population and
        birth decade).
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
        323) keeps the concept's true substance. No generated concept is alcohol-somatic,
        so ``alcohol_somatic`` is NA throughout.
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
        is ``drug_induced``; a pre-2003 sedative overdose F13.0 is ``other`` (F13 is not
        in EMCDDA Selection B); contributing T-codes are ``other`` and I10
        ``cardiovascular``.
    notes : dict
        Counts worth knowing (e.g. clipped onsets, lives simulated in total).
    """

    seed: int | None
    n_persons: int
    n_sud: int
    n_comparison: int
    sud_fraction: float
    death_window: tuple[int, int]
    hospital_revisions: dict[str, tuple[int, int]]
    death_revisions: dict[str, tuple[int, int]]
    gompertz_b: float
    gompertz_g: float
    beta: dict[str, float]
    treatment_odds_ratios: dict[str, float]
    treatment_baseline: dict[str, float]
    prevalences: dict[str, object]
    recovery_min_years: float
    params: Params
    lives: pd.DataFrame
    persons: pd.DataFrame
    document_labels: pd.DataFrame
    document_texts: pd.DataFrame
    diagnoses: pd.DataFrame
    causes_of_death: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: dict[str, object] = field(default_factory=dict)

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
            ("death_window", self.death_window), ("gompertz_b", self.gompertz_b),
            ("gompertz_g", self.gompertz_g),
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
