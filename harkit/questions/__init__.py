"""Question-level recipes: the analyses behind the curated notebooks.

Each module answers one research question of the register's brochure by combining the
lower-level parts of harkit (cohort, compare, survival, trends, icd, text), so a notebook
is narrative plus a few calls, and the answer is tested against the synthetic register's
ground truth. Import a module directly, e.g. ``from harkit.questions import recovery``.
"""
