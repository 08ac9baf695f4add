"""Question-level recipes: the analyses behind the curated notebooks.

Each module answers one research question of the register's brochure by combining the
lower-level parts of harkit (cohort, compare, survival, trends, icd, text), so a notebook
is narrative plus a few calls, and the answer is tested against the synthetic register's
ground truth (``tests/test_answer_NN.py``). Import a module directly, e.g.
``from harkit.questions import recovery``.

=====================  =================================================================
module                 notebook
=====================  =================================================================
``substance_groups``   01 · alcohol patients vs patients with other substance-use disorders
``sex_and_death``      02 · women and men: age at death and causes of death
``treatment``          03 · treatment of women and men; 07 · treatment over time
``comorbidity``        04 · comorbidity, standardised against the comparison group
``recovery``           05 · who became drug-free
``disease_trends``     06 · the disease picture over time
``onset``              08 · substance use that starts young
``text_vs_codes``      09 · finding records with concept search
=====================  =================================================================
"""
