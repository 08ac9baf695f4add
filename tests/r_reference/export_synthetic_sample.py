"""Write harkit_sample.csv: a small sample of the bundled synthetic register for the R scripts.

Run from the repository root: python tests/r_reference/export_synthetic_sample.py
Columns: person_id, sex, birth_year (decimal calendar year of birth), entry_age,
exit_age (age at death), age_first_sud (age at the first substance-use diagnosis; empty when
none), event (1 when the underlying cause of death is in the most frequent cause group).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

import harkit as hk

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    cohort = hk.cohort.build(hk.datasets.load_fixture())
c = cohort[cohort["entry_age"].notna() & cohort["age_at_death"].notna()
           & (cohort["age_at_death"] > cohort["entry_age"])]
c = c.sample(n=min(300, len(c)), random_state=20261207).sort_values("person_id")
birth = c["birth_date"]
top = c["underlying_cause_group"].value_counts().index[0]
out = c[["person_id", "sex"]].assign(
    person_id=np.arange(1, len(c) + 1),
    birth_year=(birth.dt.year + (birth.dt.day_of_year - 1) / 365.25).round(4),
    entry_age=c["entry_age"].round(4), exit_age=c["age_at_death"].round(4),
    age_first_sud=c["age_first_sud"].round(4),
    event=(c["underlying_cause_group"] == top).astype(int))
out.to_csv(Path(__file__).parent / "harkit_sample.csv", index=False)
