"""Comparative statistics: Table 1, contrasts, stratified analysis, regression, IPTW.

Every table meant for display goes through :func:`harkit.privacy.suppress` by default
(``suppress=False`` opts out)::

    hk.compare.table_one(cohort, groupby="sud_group")
    hk.compare.stratified(episodes, "female", "treated", "period")
    hk.compare.regress("treated ~ female + age + C(period)", episodes)
    hk.compare.iptw(episodes, "female", ["age", "period"], outcome="treated")
"""

from harkit.compare.contrasts import (
    ContrastResult,
    compare_proportions,
    compare_rates,
    stratified,
)
from harkit.compare.models import (
    ESP2013,
    IPTWResult,
    ModelWarning,
    RegressionResult,
    StandardisedResult,
    episode_treatment_table,
    iptw,
    regress,
    standardise,
)
from harkit.compare.table_one import (
    TableOneResult,
    smd_categorical,
    smd_continuous,
    table_one,
)

__all__ = [
    "ESP2013",
    "ContrastResult",
    "IPTWResult",
    "ModelWarning",
    "RegressionResult",
    "StandardisedResult",
    "TableOneResult",
    "compare_proportions",
    "compare_rates",
    "episode_treatment_table",
    "iptw",
    "regress",
    "smd_categorical",
    "smd_continuous",
    "standardise",
    "stratified",
    "table_one",
]
