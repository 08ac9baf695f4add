"""Code tables per ICD revision (data in ``data/*.csv``), revision periods and code formats.

The CSV files hold one row per (concept, revision, code) with a Norwegian text, a weight and
the source of the code. Rows with revision ``none`` are uncoded diagnosis texts, valid for
the years ``year_from``-``year_to`` (historical wording in early decades). Codes are stored
in canonical dotted form and rendered in one of the formats seen in real deliveries.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

REVISIONS: tuple[str, ...] = ("ICD-7", "ICD-8", "ICD-9", "ICD-10")

#: Cause-of-death coding by death year in Norway (FHI/SSB, icd.md §1).
DEATH_REVISIONS: dict[str, tuple[int, int]] = {
    "ICD-7": (1900, 1968), "ICD-8": (1969, 1985), "ICD-9": (1986, 1995), "ICD-10": (1996, 2100),
}

#: Code formats per revision: name -> probability. ``dot`` is canonical (``303.9``),
#: ``comma`` a comma decimal (``303,9``), ``nodot`` drops the dot (``3039``, ``F102``),
#: ``five_dot``/``five_nodot`` the 5-digit Norwegian hospital ICD-8 (``303.90``, ``30309``),
#: ``messy`` lower case with a trailing blank (``f10.2`` and a blank).
FORMATS: tuple[str, ...] = ("dot", "comma", "nodot", "five_dot", "five_nodot", "messy")
FORMAT_PROBS: dict[str, dict[str, float]] = {
    "ICD-7": {"dot": 0.6, "comma": 0.3, "nodot": 0.1},
    "ICD-8": {"dot": 0.4, "comma": 0.25, "five_dot": 0.15, "five_nodot": 0.2},
    "ICD-9": {"dot": 0.75, "nodot": 0.25},
    "ICD-10": {"dot": 0.7, "nodot": 0.27, "messy": 0.03},
}


def hospital_revisions(icd9_start: int = 1987) -> dict[str, tuple[int, int]]:
    """Return the hospital coding periods (first and last year per revision).

    Parameters
    ----------
    icd9_start : int, default 1987
        First year of ICD-9 in hospitals (the ICD-8 to ICD-9 switch is not documented;
        1986/87 is the usual quote, icd.md §1).

    Returns
    -------
    dict
        Revision -> (first year, last year); ICD-10 from 1999 (TIDSSKR-1999).
    """
    return {"ICD-7": (1900, 1968), "ICD-8": (1969, icd9_start - 1),
            "ICD-9": (icd9_start, 1998), "ICD-10": (1999, 2100)}


def revision_index(years: np.ndarray, periods: dict[str, tuple[int, int]]) -> np.ndarray:
    """Index into :data:`REVISIONS` of the revision in force in each year."""
    idx = np.zeros(len(years), dtype=np.int64)
    for i, rev in enumerate(REVISIONS):
        lo, hi = periods[rev]
        idx[(years >= lo) & (years <= hi)] = i
    return idx


def _read(name: str) -> pd.DataFrame:
    with resources.files("harkit.synth.data").joinpath(name).open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@cache
def diagnosis_table() -> pd.DataFrame:
    """The diagnosis code table (``data/diagnosis_codes.csv``), with numeric columns parsed."""
    df = _read("diagnosis_codes.csv")
    df["weight"] = df["weight"].astype(float)
    for c in ("year_from", "year_to"):
        df[c] = pd.to_numeric(df[c].replace("", np.nan)).fillna(-1).astype(int)
    return df


@cache
def cause_table() -> pd.DataFrame:
    """The cause-of-death code table (``data/cause_codes.csv``)."""
    df = _read("cause_codes.csv")
    df["weight"] = df["weight"].astype(float)
    return df


@cache
def contributing_table() -> pd.DataFrame:
    """Contributing-cause codes (ICD-10) by key (``data/contributing_codes.csv``)."""
    return _read("contributing_codes.csv").set_index("key")


@cache
def institution_table() -> pd.DataFrame:
    """Institutions and archive series (``data/institutions.csv``), all names synthetic."""
    df = _read("institutions.csv")
    df["addiction_department"] = df["addiction_department"] == "true"
    df["specialty_code"] = pd.to_numeric(df["specialty_code"].replace("", np.nan))
    for c in ("year_from", "year_to"):
        df[c] = df[c].astype(int)
    df["weight"] = df["weight"].astype(float)
    return df


@cache
def sentence_table() -> pd.DataFrame:
    """Record-text sentences with their concept labels (``data/document_sentences.csv``)."""
    df = _read("document_sentences.csv")
    for c in ("year_from", "year_to"):
        df[c] = df[c].astype(int)
    df["weight"] = df["weight"].astype(float)
    return df


def render(code: str, fmt: str) -> str:
    """Render a canonical dotted code in one delivery format.

    Parameters
    ----------
    code : str
        Canonical code, e.g. ``303.9`` or ``F10.2``.
    fmt : str
        One of :data:`FORMATS`.

    Returns
    -------
    str
    """
    head, _, tail = code.partition(".")
    if fmt == "comma":
        return f"{head},{tail}" if tail else head
    if fmt == "nodot":
        return head + tail
    if fmt in ("five_dot", "five_nodot"):
        if not tail:
            return code
        five = tail + ("0" if fmt == "five_dot" else "9") if len(tail) == 1 else tail
        return f"{head}.{five}" if fmt == "five_dot" else head + five
    if fmt == "messy":
        return code.lower() + " "
    return code


def sample_rows(rng: np.random.Generator, keys: np.ndarray, row_keys: np.ndarray,
                weights: np.ndarray) -> np.ndarray:
    """For each requested key, draw one table row having that key (weighted).

    Parameters
    ----------
    rng : numpy.random.Generator
    keys : numpy.ndarray
        Requested keys (integers), one per item.
    row_keys : numpy.ndarray
        Key of every table row.
    weights : numpy.ndarray
        Weight of every table row.

    Returns
    -------
    numpy.ndarray
        Row index per item, -1 where no row has the key.
    """
    out = np.full(len(keys), -1, dtype=np.int64)
    if len(keys) == 0:
        return out
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    uniq, first = np.unique(sk, return_index=True)
    bounds = np.r_[first, len(sk)]
    u = rng.random(len(keys))
    for j, k in enumerate(uniq):
        rows = np.flatnonzero(row_keys == k)
        if len(rows) == 0:
            continue
        items = order[bounds[j]:bounds[j + 1]]
        cum = np.cumsum(weights[rows])
        pick = np.searchsorted(cum, u[items] * cum[-1], side="right")
        out[items] = rows[np.minimum(pick, len(rows) - 1)]
    return out


def format_matrix(codes: np.ndarray) -> np.ndarray:
    """All renderings of each canonical code: object array (n codes, len(FORMATS))."""
    out = np.empty((len(codes), len(FORMATS)), dtype=object)
    for i, c in enumerate(codes):
        for j, f in enumerate(FORMATS):
            out[i, j] = render(c, f) if c else None
    return out


def draw_formats(rng: np.random.Generator, rev_idx: np.ndarray) -> np.ndarray:
    """Draw a format index (into :data:`FORMATS`) per item from its revision's mix."""
    probs = np.zeros((len(REVISIONS), len(FORMATS)))
    for i, rev in enumerate(REVISIONS):
        for f, p in FORMAT_PROBS[rev].items():
            probs[i, FORMATS.index(f)] = p
    cum = np.cumsum(probs, axis=1)[rev_idx]
    u = rng.random(len(rev_idx))[:, None]
    return np.minimum((cum <= u).sum(axis=1), len(FORMATS) - 1)


@cache
def variant_table() -> pd.DataFrame:
    """Clinician phrasings of diagnoses (``data/diagnosis_text_variants.csv``).

    One row per phrasing, keyed by ``concept``, ``substance`` and ``sud_level`` (empty for
    non-substance concepts): a phrasing only replaces a text whose code-table row has the
    same key, so the true categories never change.
    """
    df = _read("diagnosis_text_variants.csv")
    df["weight"] = df["weight"].astype(float)
    for c in ("year_from", "year_to"):
        df[c] = df[c].astype(int)
    return df


@cache
def modifier_table() -> pd.DataFrame:
    """Qualifier prefixes and somatic co-diagnoses (``data/diagnosis_text_modifiers.csv``)."""
    df = _read("diagnosis_text_modifiers.csv")
    df["weight"] = df["weight"].astype(float)
    return df
