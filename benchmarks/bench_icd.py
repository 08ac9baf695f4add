"""Time ICD harmonisation and the Charlson index on a full-size synthetic register.

Usage::

    .venv/bin/python benchmarks/bench_icd.py [n_persons] [--seed S] [--sample K]

Generates the register in memory, then times :func:`harkit.icd.harmonise` on all
diagnoses, a plain per-row Python loop doing the same code mapping on a sample
(extrapolated to all rows), :func:`harkit.icd.charlson.charlson` for all persons and, if
installed, ``comorbidipy`` on the ICD-10 rows. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

# run from a checkout without installing: make the repository importable
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harkit import synth  # noqa: E402
from harkit.icd.charlson import charlson  # noqa: E402
from harkit.icd.codelists import codelists, expand_pattern  # noqa: E402
from harkit.icd.harmonise import CATEGORY_COLUMNS, harmonise  # noqa: E402
from harkit.icd.normalise import normalise_one  # noqa: E402

LOOP_LISTS = tuple(c for c in CATEGORY_COLUMNS if c != "cause_group")


def _tables(lists: pd.DataFrame) -> dict[str, dict[tuple[str, str], tuple[int, str]]]:
    """Per list: (system, dotless prefix) -> (range width, category), as a row loop would."""
    out: dict[str, dict[tuple[str, str], tuple[int, str]]] = {}
    for name in LOOP_LISTS:
        table: dict[tuple[str, str], tuple[int, str]] = {}
        rows = lists[lists["list"] == name]
        for system, pattern, cat in zip(rows["code_system"], rows["pattern"], rows["category"],
                                        strict=True):
            prefixes, width = expand_pattern(pattern)
            for p in prefixes:
                old = table.get((system, p))
                if old is None or width <= old[0]:
                    table[(system, p)] = (width, cat)
        out[name] = table
    return out


def row_loop(dx: pd.DataFrame, tables: dict, icd9_start: int = 1987) -> pd.DataFrame:
    """The same code mapping, one row at a time in plain Python (the baseline)."""
    def revision(year: int) -> str:
        if year < 1969:
            return "ICD-7"
        if year < icd9_start:
            return "ICD-8"
        return "ICD-9" if year < 1999 else "ICD-10"

    out = {name: [] for name in LOOP_LISTS}
    for code, system, date in zip(dx["code"], dx["code_system"], dx["date"], strict=True):
        if pd.isna(system):
            system = revision(date.year) if not pd.isna(date) else None
        norm, _, _ = normalise_one(code if isinstance(code, str) else None, system)
        key = None if norm is None else norm.replace(".", "")
        for name in LOOP_LISTS:
            cat = None
            if key is not None and system not in (None, "none"):
                table = tables[name]
                for k in range(len(key), 0, -1):
                    hit = table.get((system, key[:k]))
                    if hit is not None:
                        cat = None if hit[1] == "exclude" else hit[1]
                        break
            out[name].append(cat)
    return pd.DataFrame(out, index=dx.index)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status (0).
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n_persons", nargs="?", type=int, default=1_300_000)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--sample", type=int, default=100_000,
                    help="rows timed with the per-row loop")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    ex = synth.generate(args.n_persons, seed=args.seed, progress=False)
    dx = ex.diagnoses
    print(f"generate({args.n_persons:,}): {time.perf_counter() - t0:.1f} s, "
          f"{len(dx):,} diagnoses, {len(ex.persons):,} persons")
    print("code systems:", dx["code_system"].value_counts(dropna=False).to_dict())

    lists = codelists()  # loaded once, outside the timings
    harmonise(dx.head(1000), codelists=lists)  # warm-up: imports, lexicon compilation
    t = time.perf_counter()
    h_code = harmonise(dx, codelists=lists, text=False)
    t_hc = time.perf_counter() - t
    print(f"harmonise (codes only):     {t_hc:.2f} s  {len(dx) / t_hc:,.0f} rows/s")
    t = time.perf_counter()
    h = harmonise(dx, codelists=lists)
    t_h = time.perf_counter() - t
    print(f"harmonise (text rules on):  {t_h:.2f} s  {len(dx) / t_h:,.0f} rows/s")
    print("mapped_by:", h["mapped_by"].value_counts(dropna=False).to_dict())

    rng = np.random.default_rng(0)
    k = min(args.sample, len(dx))
    sample = dx.iloc[np.sort(rng.choice(len(dx), k, replace=False))]
    tables = _tables(lists)
    sample = sample.assign(code_system=sample["code_system"].astype(object),
                           code=sample["code"].astype(object))
    t = time.perf_counter()
    loop = row_loop(sample, tables)
    t_l = time.perf_counter() - t
    per_row = t_l / k
    print(f"per-row loop on {k:,} rows:  {t_l:.2f} s  ({1 / per_row:,.0f} rows/s); "
          f"extrapolated to {len(dx):,} rows: {per_row * len(dx):.1f} s")
    print(f"speed-up of harmonise (codes only) over the loop: {per_row * len(dx) / t_hc:.0f}x")
    agree = {name: float((loop[name].fillna("-").to_numpy()
                          == h_code.loc[sample.index, name].astype(object).fillna("-")
                          .to_numpy()).mean()) for name in LOOP_LISTS}
    print("loop vs harmonise agreement on the sample:", agree)

    t = time.perf_counter()
    ch = charlson(h, persons=ex.persons["person_id"])
    t_c = time.perf_counter() - t
    print(f"charlson (Ludvigsson, harmonised input, {len(ch):,} persons): {t_c:.2f} s; "
          f"mean score {ch['charlson_score'].mean():.3f}")
    t = time.perf_counter()
    ch_raw = charlson(dx, persons=ex.persons["person_id"])
    print(f"charlson (Ludvigsson, raw diagnoses): {time.perf_counter() - t:.2f} s; "
          f"same scores as from harmonised: "
          f"{bool((ch_raw['charlson_score'] == ch['charlson_score']).all())}")
    truth = ex.truth.persons.set_index("person_id")["comorbidity"]
    same = (ch.set_index("person_id")["charlson_score"] == truth.reindex(ch["person_id"])
            .to_numpy())
    print(f"score equals the planted score for {same.mean():.1%} of persons "
          "(the rest have a condition written only as uncoded text or an unlisted ICD-7 code)")

    icd10 = h[h["code_system"] == "ICD-10"]
    t = time.perf_counter()
    q = charlson(icd10, weights="quan")
    t_q = time.perf_counter() - t
    print(f"charlson (Quan) on {len(icd10):,} ICD-10 rows, {len(q):,} persons: {t_q:.2f} s")
    try:
        import pandas.core.common as pcc

        # comorbidipy 0.5 imports a warning class pandas 2 moved to pandas.errors
        if not hasattr(pcc, "SettingWithCopyWarning"):
            pcc.SettingWithCopyWarning = pd.errors.SettingWithCopyWarning
        import comorbidipy
    except ImportError:
        print("comorbidipy not installed: skipped")
        return 0
    frame = pd.DataFrame({"id": icd10["person_id"].astype(object).to_numpy(),
                          "code": icd10["code_norm"].astype(object).str.replace(".", "",
                                                                                regex=False)})
    frame = frame.dropna()
    t = time.perf_counter()
    cb = comorbidipy.comorbidity(frame, id="id", code="code", age=None, score="charlson",
                                 icd="icd10", variant="quan", weighting="charlson")
    t_cb = time.perf_counter() - t
    merged = q.set_index("person_id")["charlson_score"].reindex(cb["id"]).to_numpy()
    agree = float((merged == cb["comorbidity_score"].to_numpy()).mean())
    print(f"comorbidipy (Quan, ICD-10) on the same rows: {t_cb:.2f} s "
          f"({t_cb / t_q:.1f}x harkit's time); scores agree for {agree:.1%} of "
          f"{len(cb):,} persons with a listed code")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
