"""Changes over time across ICD revision breaks.

Three helpers:

* :func:`over_time` counts records per period (and group), with proportions and, given a
  denominator, rates; its plot shades the ICD revision periods.
* :func:`revision_breaks` fits a Poisson or binomial GLM with a time trend plus a level
  shift at each revision changeover: a shift far from 1 is a coding artefact candidate.
* :func:`joinpoint` fits segmented log-linear regression with the number of joinpoints
  chosen by BIC, and reports APC per segment and the AAPC.

Everyone in the Health Archive Register has died, so there is no population at risk: the
trend helpers model cause or diagnosis *proportions* (counts over all deaths or records in
the period), not mean age at death, which the archive's death-year window distorts.
"""

from harkit.trends._common import DECEDENTS_NOTE, draw_revision_bands
from harkit.trends.breaks import RevisionBreakResult, revision_breaks
from harkit.trends.joinpoints import JoinpointResult, joinpoint
from harkit.trends.periods import TrendResult, over_time

__all__ = ["TrendResult", "RevisionBreakResult", "JoinpointResult", "over_time",
           "revision_breaks", "joinpoint", "draw_revision_bands", "DECEDENTS_NOTE"]
