"""Disclosure control for counts shown in tables and reports.

- :class:`Policy`, :func:`get_policy`, :func:`set_policy`, :func:`policy` and
  :func:`format_count`: one policy (threshold, rounding, rule) that every shown count in
  harkit follows (module :mod:`harkit.privacy.policies`).
- :func:`suppress`: primary suppression of small counts, optional rounding, secondary
  (complementary) suppression checked by the audit, and percentages hidden with their
  counts (:mod:`harkit.privacy.suppression`).
- :func:`audit` and :func:`attack_tables`: the interval each hidden count can take given
  what is published, within one table or across tables that share cells
  (:mod:`harkit.privacy.auditing`).
- :func:`check_no_identifiers` / :func:`assert_no_identifiers`: search a table, a string of
  HTML, a notebook or a rendered HTML report for person ids and exact dates of birth or
  death (:mod:`harkit.privacy.identifiers`).

See the user guide page "Disclosure control" for the protection rule and what it does not
cover.
"""

from harkit.privacy.auditing import attack_tables, audit
from harkit.privacy.identifiers import assert_no_identifiers, check_no_identifiers
from harkit.privacy.policies import (
    DEFAULT_POLICY,
    DEFAULT_THRESHOLD,
    MIN_ID_LENGTH,
    OPENSAFELY_ROUND_TO,
    OPENSAFELY_THRESHOLD,
    REPORT_POLICY,
    DisclosureWarning,
    Policy,
    format_count,
    get_policy,
    policy,
    round_counts,
    rounding_range,
    set_policy,
)
from harkit.privacy.suppression import suppress

__all__ = [
    "DEFAULT_POLICY", "DEFAULT_THRESHOLD", "MIN_ID_LENGTH", "OPENSAFELY_ROUND_TO",
    "OPENSAFELY_THRESHOLD", "REPORT_POLICY", "DisclosureWarning", "Policy", "assert_no_identifiers",
    "attack_tables", "audit", "check_no_identifiers", "format_count", "get_policy", "policy",
    "round_counts", "rounding_range", "set_policy", "suppress",
]
