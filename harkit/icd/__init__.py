"""ICD harmonisation across ICD-7, 8, 9, 10 and uncoded diagnosis text.

Always keyed on (code system, code): the same number means different things in
different revisions.

Typical use::

    import harkit as hk
    dx = hk.icd.harmonise(ex.diagnoses)          # adds substance, sud_level, chapter ...
    hk.icd.overview(dx, substance_related=True)  # Diagnosetekst | Count | diagnosekode
    cci = hk.icd.charlson(ex.diagnoses, persons=ex.persons)
"""

from __future__ import annotations

from typing import Any

from harkit.icd.causes import (
    DefinitionChangeWarning,
    cause_group_definitions,
    check_cause_column,
    check_definitions,
    definition_changes,
    level_shifts,
)
from harkit.icd.charlson import charlson
from harkit.icd.codelists import (
    charlson_weights,
    codelists,
    match,
    truncation_status,
    verification_summary,
)
from harkit.icd.comorbidity import codable, comorbidity, prevalence_ranking
from harkit.icd.harmonise import harmonise
from harkit.icd.infer import REVISION_PERIODS, infer_code_system, revision_in_force
from harkit.icd.normalise import normalise
from harkit.icd.overview import coverage, overview, unmapped_codes
from harkit.icd.text import fold_text, read_lexicon, text_rules

__all__ = [
    "DefinitionChangeWarning",
    "REVISION_PERIODS",
    "TextClassifier",
    "cause_group_definitions",
    "charlson",
    "charlson_weights",
    "codelists",
    "check_cause_column",
    "check_definitions",
    "codable",
    "comorbidity",
    "coverage",
    "definition_changes",
    "evaluate",
    "fold_text",
    "harmonise",
    "infer_code_system",
    "level_shifts",
    "match",
    "normalise",
    "overview",
    "prevalence_ranking",
    "read_lexicon",
    "revision_in_force",
    "rules_then_model",
    "text_rules",
    "truncation_status",
    "unmapped_codes",
    "verification_summary",
]

_LAZY = {"TextClassifier", "rules_then_model", "evaluate"}


def __getattr__(name: str) -> Any:
    # The classifier imports scikit-learn; load it only when asked for.
    if name in _LAZY:
        from harkit.icd import classifier

        return getattr(classifier, name)
    raise AttributeError(f"module 'harkit.icd' has no attribute {name!r}")
