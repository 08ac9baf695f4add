"""Survival and mortality methods valid for a decedents-only register.

Everyone in Helsearkivregisteret has died, and only deaths inside the archive window are
seen: age at death is doubly truncated and naive comparisons are biased. This package holds
the truncation-aware estimators and the curve and regression estimators with delayed entry::

    hk.survival.age_at_death(cohort, by="sex")            # naive next to truncation-aware
    hk.survival.efron_petrosian(cohort, exit="age_at_death", entry="entry_age",
                                right_truncation="exit_age", bootstrap=200)
    hk.survival.gompertz_window(cohort, "sex + sud_group", makeham=True)
    hk.survival.kaplan_meier(df, exit="age_at_death", event="dead", entry="entry_age", by="sex")
    hk.survival.cox(pieces, "sex + after_dx", exit="age", event="dead", entry="age_start",
                    cluster="person_id", ties="breslow")

Times are named alike everywhere (entry, exit, event, right_truncation; the time scale is
what the columns hold): see docs/survival.md.
"""

from harkit.survival.age_at_death import AgeAtDeathResult, age_at_death
from harkit.survival.apc import APCResult, age_period_cohort
from harkit.survival.curves import (
    CoxResult,
    CumulativeIncidenceResult,
    KaplanMeierResult,
    at_risk_table,
    cox,
    cumulative_incidence,
    kaplan_meier,
)
from harkit.survival.gompertz import (
    GompertzFit,
    GompertzWindowResult,
    gompertz_life_expectancy,
    gompertz_window,
)
from harkit.survival.lexis import split_time
from harkit.survival.lyl import (
    AndersenLYLResult,
    andersen_life_years_lost,
    population_life_years_lost,
)
from harkit.survival.mortality import (
    MORResult,
    PMRResult,
    mortality_odds_ratio,
    poisson_exact_ci,
    proportional_mortality,
)
from harkit.survival.truncation import EfronPetrosianResult, TruncationWarning, efron_petrosian
from harkit.survival.yll import (
    RemainingLifeResult,
    YLLResult,
    life_years_lost,
    remaining_life_at_death,
    remaining_life_from_diagnosis,
)

__all__ = [
    "APCResult",
    "AgeAtDeathResult",
    "AndersenLYLResult",
    "CoxResult",
    "CumulativeIncidenceResult",
    "EfronPetrosianResult",
    "GompertzFit",
    "GompertzWindowResult",
    "KaplanMeierResult",
    "MORResult",
    "PMRResult",
    "RemainingLifeResult",
    "TruncationWarning",
    "YLLResult",
    "age_at_death",
    "age_period_cohort",
    "andersen_life_years_lost",
    "at_risk_table",
    "cox",
    "cumulative_incidence",
    "efron_petrosian",
    "gompertz_life_expectancy",
    "gompertz_window",
    "kaplan_meier",
    "life_years_lost",
    "mortality_odds_ratio",
    "poisson_exact_ci",
    "population_life_years_lost",
    "proportional_mortality",
    "remaining_life_at_death",
    "remaining_life_from_diagnosis",
    "split_time",
]
