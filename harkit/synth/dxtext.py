"""Realistic variation of diagnosis texts (clinician phrasings, style, OCR noise).

The code table gives each diagnosis an ICD title or, for uncoded rows, one of a few fixed
wordings. This layer rewrites a share of those texts the way clinicians and scanned records
write them, deterministically under the generator's random stream:

* a clinician phrasing from ``data/diagnosis_text_variants.csv`` (abbreviations such as
  ``alkoholavh.``, ``DT``, ``i.v. stoffmisbruk``; Latin in early decades). A phrasing is
  keyed by (concept, substance, sud_level) and replaces only a text whose code-table row
  has the same key, so ``truth.diagnoses`` stays exact. Phrasings that do not name one
  substance are keyed to the polydrug concept only;
* capitalisation (as written, capitalised, lower, upper) and a trailing ``.`` or ``,``;
* a qualifier prefix (``kronisk``, ``langvarig``, ``tidl.``; ``data/diagnosis_text_modifiers.csv``)
  on substance-use dependence/harmful-use texts. Uncertain or negated qualifiers (``?``,
  ``obs.``) are never generated: a diagnosis text states a diagnosis;
* a somatic co-diagnosis appended to a substance-use text (``Alkoholisme. Pneumoni``);
  never a liver or pancreas term on an alcohol text (that would be an alcohol-related
  somatic diagnosis the truth does not record);
* OCR noise (the inline confusions of :mod:`harkit.synth.documents`: rn/m, l/1, ø->o/ö,
  æ->ae, å->aa, split words) on a share of all texts that falls with time.

Strings are only built once per distinct combination, so the layer stays vectorised.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harkit.synth import codes
from harkit.synth._util import categorical
from harkit.synth.documents import INLINE_NOISE_OPS, noise_text

#: Share of uncoded diagnoses given a clinician phrasing instead of the table wording.
VARIANT_SHARE_UNCODED = 0.7
#: Share of coded diagnoses whose text is a clinician phrasing instead of the ICD title.
PHRASING_SHARE_CODED = 0.35
#: Share of eligible substance-use texts with a qualifier prefix / a somatic co-diagnosis.
PREFIX_SHARE = 0.1
SOMATIC_SHARE = 0.05
#: Substance-use levels a qualifier such as ``kronisk`` or ``tidl.`` may precede.
PREFIX_LEVELS = ("dependence", "harmful_use", "unspecified")
#: Capitalisation styles and their probabilities (styled texts only).
CASE_STYLES = ("capitalise", "as_written", "lower", "upper")
CASE_PROBS = (0.55, 0.2, 0.18, 0.07)
#: Trailing punctuation and its probabilities (styled texts only).
ENDINGS = ("", ".", ",")
ENDING_PROBS = (0.68, 0.28, 0.04)
#: Separators between a substance-use text and an appended somatic diagnosis.
SEPARATORS = (". ", ", ", " + ", "; ")
SEPARATOR_PROBS = (0.45, 0.3, 0.1, 0.15)
#: Probability that a diagnosis text carries OCR noise, by period (first year, probability).
OCR_NOISE = ((0, 0.3), (1970, 0.15), (1990, 0.05), (2000, 0.01))
#: Probability of each inline noise operation on a noisy text.
NOISE_OP_PROB = 0.35


def _keys(frame: pd.DataFrame, substance: str, level: str) -> pd.Series:
    return frame["concept"] + "|" + frame[substance] + "|" + frame[level]


def _by_period(years: np.ndarray, table: tuple) -> np.ndarray:
    vals = np.array([v for _, v in table], dtype=float)
    starts = np.array([s for s, _ in table])
    return vals[np.searchsorted(starts, years, side="right") - 1]


def _expanded_variants(var_key: np.ndarray, vt: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Variant rows valid in each 5-year bucket and their keys (``key * 100 + bucket``)."""
    yf, yt = vt["year_from"].to_numpy(), vt["year_to"].to_numpy()
    rows, keys = [], []
    for b in range(25):
        mid = 1900 + 5 * b + 2
        ok = np.flatnonzero((yf <= mid) & (yt >= mid))
        rows.append(ok)
        keys.append(var_key[ok] * 100 + b)
    return np.concatenate(rows), np.concatenate(keys)


def _draw(rng: np.random.Generator, probs: tuple[float, ...], n: int) -> np.ndarray:
    return categorical(rng, np.tile(np.asarray(probs, dtype=float), (n, 1)))


def _choice(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(weights), n, p=weights / weights.sum())


def _build(core: str, case: int, ending: int, prefix: str, somatic: str, sep: int,
           mask: int, ops: tuple[int, ...]) -> str:
    """Assemble one text from its parts (see :func:`vary_texts`)."""
    text = core
    low = core.lower()
    if prefix and not any(w in low for w in (prefix.rstrip(".").lower(), "kron", "chron")):
        head = core[0].lower() if core[1:2].islower() else core[0]  # keep "DT", "LAR"
        text = f"{prefix} {head}{core[1:]}"
    if somatic:
        text = text.rstrip(".") + SEPARATORS[sep] + (
            somatic if SEPARATORS[sep] != ", " else somatic[0].lower() + somatic[1:])
    style = CASE_STYLES[case]
    if style == "capitalise":
        text = text[0].upper() + text[1:]
    elif style == "lower":
        text = text.lower()
    elif style == "upper":
        text = text.upper()
    end = ENDINGS[ending]
    if end and not text.endswith("."):
        text += end
    return noise_text(text, ops, mask) if mask else text


def vary_texts(rng: np.random.Generator, table_row: np.ndarray, coded: np.ndarray,
               year: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rewrite diagnosis texts with clinician phrasings, style variation and OCR noise.

    Parameters
    ----------
    rng : numpy.random.Generator
    table_row : numpy.ndarray
        Row of the diagnosis code table behind each diagnosis (its text is the default
        and its ``concept``/``category_substance``/``category_sud_level`` the key).
    coded : numpy.ndarray of bool
        Whether the diagnosis carries a code (coded rows keep the ICD title more often).
    year : numpy.ndarray
        Year of the contact (phrasings by era; OCR noise falls with time).

    Returns
    -------
    text : numpy.ndarray
        Object array of texts.
    variant : numpy.ndarray
        Row of the variant table used per diagnosis, -1 where the table text was kept.
    """
    table = codes.diagnosis_table()
    vt = codes.variant_table()
    mods = codes.modifier_table()
    n = len(table_row)
    coded = np.asarray(coded, dtype=bool)
    row_keys = _keys(table, "category_substance", "category_sud_level")
    var_keys = _keys(vt, "substance", "sud_level")
    key_ids, _ = pd.factorize(pd.concat([row_keys, var_keys], ignore_index=True))
    row_key, var_key = key_ids[:len(table)], key_ids[len(table):]

    # clinician phrasing for a share of the diagnoses, where the era has one
    use = rng.random(n) < np.where(coded, PHRASING_SHARE_CODED, VARIANT_SHARE_UNCODED)
    items = np.flatnonzero(use)
    exp_rows, exp_keys = _expanded_variants(var_key, vt)
    bucket = np.clip((year[items] - 1900) // 5, 0, 24)
    pick = codes.sample_rows(rng, row_key[table_row[items]] * 100 + bucket, exp_keys,
                             vt["weight"].to_numpy()[exp_rows])
    variant = np.full(n, -1, dtype=np.int64)
    variant[items] = np.where(pick >= 0, exp_rows[np.maximum(pick, 0)], -1)

    # style: the phrasings and every uncoded text (ICD titles stay as printed)
    styled = (variant >= 0) | ~coded
    s_idx = np.flatnonzero(styled)
    case = np.full(n, CASE_STYLES.index("as_written"), dtype=np.int64)
    case[s_idx] = _draw(rng, CASE_PROBS, len(s_idx))
    ending = np.zeros(n, dtype=np.int64)
    ending[s_idx] = _draw(rng, ENDING_PROBS, len(s_idx))

    sud = (table["kind"].to_numpy() == "sud")[table_row]
    level = table["category_sud_level"].to_numpy(dtype=object)[table_row]
    alcohol = (table["category_substance"].to_numpy(dtype=object) == "alcohol")[table_row]
    prefix = np.full(n, -1, dtype=np.int64)
    pre_rows = np.flatnonzero(mods["role"].to_numpy() == "prefix")
    p_idx = np.flatnonzero(styled & sud & np.isin(level, PREFIX_LEVELS)
                           & (rng.random(n) < PREFIX_SHARE))
    prefix[p_idx] = pre_rows[_choice(rng, mods["weight"].to_numpy()[pre_rows], len(p_idx))]

    somatic = np.full(n, -1, dtype=np.int64)
    sep = np.zeros(n, dtype=np.int64)
    role, applies = mods["role"].to_numpy(), mods["applies_to"].to_numpy()
    m_idx = np.flatnonzero(styled & sud & (rng.random(n) < SOMATIC_SHARE))
    for pool_alcohol in (True, False):
        sel = m_idx[alcohol[m_idx] == pool_alcohol]
        ok = (role == "somatic") & ((applies == "any") | ((applies == "drugs")
                                                          & (not pool_alcohol)))
        rows = np.flatnonzero(ok)
        somatic[sel] = rows[_choice(rng, mods["weight"].to_numpy()[rows], len(sel))]
        sep[sel] = _draw(rng, SEPARATOR_PROBS, len(sel))

    # OCR noise: a bit mask of the inline operations per noisy text
    ops = INLINE_NOISE_OPS
    noisy = np.flatnonzero(rng.random(n) < _by_period(year, OCR_NOISE))
    bits = rng.random((len(noisy), len(ops))) < NOISE_OP_PROB
    mask = np.zeros(n, dtype=np.int64)
    mask[noisy] = bits @ (1 << np.arange(len(ops), dtype=np.int64))

    # build each distinct combination once
    n_var = len(vt)
    core = np.where(variant >= 0, variant, n_var + table_row)
    packed = (((((core * 4 + case) * 4 + ending) * 32 + prefix + 1) * 32 + somatic + 1)
              * 4 + sep) * (1 << len(ops)) + mask
    codes_, uniq_keys = pd.factorize(packed)
    cores = np.concatenate([vt["text"].to_numpy(dtype=object),
                            table["text"].to_numpy(dtype=object)])
    mod_text = mods["text"].to_numpy(dtype=object)
    built = np.empty(len(uniq_keys), dtype=object)
    for u, k in enumerate(np.asarray(uniq_keys).tolist()):
        k, msk = divmod(k, 1 << len(ops))
        k, sp = divmod(k, 4)
        k, so = divmod(k, 32)
        k, pr = divmod(k, 32)
        k, en = divmod(k, 4)
        co, ca = divmod(k, 4)
        built[u] = _build(cores[co], ca, en, mod_text[pr - 1] if pr else "",
                          mod_text[so - 1] if so else "", sp, msk, ops)
    return built[codes_], variant

