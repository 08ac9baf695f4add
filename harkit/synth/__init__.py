"""The synthetic register: whole lives, a death window, and the ground truth.

``generate(n_persons, seed=...)`` simulates lives from 1870-1995 birth cohorts with a
Gompertz proportional-hazards model, keeps the persons who died inside the archive window
(so the truncation of a decedents-only register arises by itself), and writes their care
histories, coded diagnoses, treatments, causes of death and record texts as the seven
canonical tables. ``extract.truth`` (:class:`Truth`) holds every planted parameter and the
per-person and per-document truth. :func:`record_pages` writes long record pages of
ordinary clinical prose with a share of labelled substance-use sentences, for testing and
benchmarking concept search at realistic density. See ``docs/synthetic-register.md``.
"""

from harkit.synth.generate import DEFAULT_SUD_FRACTION, generate
from harkit.synth.pages import iter_record_pages, record_pages
from harkit.synth.params import COVARIATES, DEFAULTS, GROUPS, Params, Truth

__all__ = ["generate", "record_pages", "iter_record_pages", "Truth", "Params", "DEFAULTS",
           "COVARIATES", "GROUPS", "DEFAULT_SUD_FRACTION"]
