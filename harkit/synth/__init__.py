"""The synthetic register: whole lives, a death window, and the ground truth.

``generate(n_persons, seed=...)`` simulates lives from 1870-1995 birth cohorts in calendar
time under the Norwegian population hazard (HMD tables by sex, year and age), with the onset
of a substance-use disorder, recovery and organ disease changing the hazard from when they
happen and causes of death as competing risks (:mod:`harkit.synth.lifecourse`); it keeps
the persons who died inside the archive window (so the truncation of a decedents-only
register arises by itself), and writes their care histories, coded diagnoses, treatments,
causes of death and record texts as the seven canonical tables. ``extract.truth``
(:class:`Truth`) holds every planted parameter, the per-person and per-document truth, and
the population estimands of the untruncated population (``truth.estimands``,
:func:`population_estimands`). :func:`record_pages` writes long record pages of
ordinary clinical prose with a share of labelled substance-use sentences, for testing and
benchmarking concept search at realistic density. See ``docs/synthetic-register.md``.
"""

from harkit.synth.estimands import population_estimands
from harkit.synth.generate import DEFAULT_SUD_FRACTION, generate
from harkit.synth.pages import iter_record_pages, record_pages
from harkit.synth.params import COVARIATES, DEFAULTS, GROUPS, Params, Truth

__all__ = ["generate", "record_pages", "iter_record_pages", "Truth", "Params", "DEFAULTS",
           "COVARIATES", "GROUPS", "DEFAULT_SUD_FRACTION", "population_estimands"]
