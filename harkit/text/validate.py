"""Measure a concept search against annotations, and validate it by hand.

Two ways to learn how well a query works on one's own records:

* **Against annotated text** (:func:`evaluate`): spans marked by annotators, read from BRAT
  standoff files (:func:`read_brat`) or JSON (:func:`read_spans`), compared with the hits
  of :func:`harkit.text.search`, per concept: precision, recall and F1, at the level of
  spans (a hit and an annotation of one concept in one document that overlap) or of
  documents.
* **By hand** (:func:`validation_sample`, :func:`export_sample`, :func:`read_labels`,
  :func:`validation_summary`): draw a stratified random sample of hits (by concept and
  context) and of documents without a hit, write it to CSV or Excel for annotators, read
  the labels back and estimate per concept the positive predictive value (PPV) of a hit,
  the share of non-hit documents that mention the concept after all (false omission rate)
  and from them the sensitivity, each with a 95 % interval.

Counts in the tables go through disclosure control by default (``suppress=False`` for
the raw numbers): precision, recall and the other shares are hidden with their counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from harkit._disclosure import suppress_table
from harkit.text.context import CATEGORIES as _FLAGS

__all__ = ["evaluate", "export_sample", "read_brat", "read_labels", "read_spans",
           "validation_sample", "validation_summary"]

SPAN_COLUMNS = ("document_id", "concept", "start", "end", "negated")
LABELS = ("yes", "no")


def _spans_frame(rows: list[dict], where: str) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=list(SPAN_COLUMNS))
    if out[["document_id", "concept", "start", "end"]].isna().any().any():
        bad = int(np.flatnonzero(out[["document_id", "concept", "start", "end"]]
                                 .isna().any(axis=1).to_numpy())[0])
        raise ValueError(f"{where}: annotation {bad} lacks document_id, concept, start "
                         "or end")
    out["start"] = out["start"].astype("int64")
    out["end"] = out["end"].astype("int64")
    out["negated"] = [bool(v) if pd.notna(v) else False for v in out["negated"]]
    bad = np.flatnonzero((out["end"] < out["start"]).to_numpy())
    if len(bad):
        raise ValueError(f"{where}: annotation {int(bad[0])} ends before it starts")
    return out


def read_brat(path: str | Path, *, negation_attributes: Iterable[str] = (
        "Negated", "Negation", "negated", "negation")) -> pd.DataFrame:
    """Read BRAT standoff annotations (``.ann`` files) as spans.

    Parameters
    ----------
    path : str or Path
        One ``.ann`` file or a directory of them; the document id is the file name
        without ``.ann``.
    negation_attributes : iterable of str
        Attribute names (``A`` lines) that mark an entity as negated.

    Returns
    -------
    pandas.DataFrame
        Columns ``document_id, concept, start, end, negated``; ``concept`` is the entity
        type; a discontinuous entity spans from its first start to its last end.

    Raises
    ------
    ValueError
        A malformed ``T`` line (naming file and line).
    """
    path = Path(path)
    files = sorted(path.glob("*.ann")) if path.is_dir() else [path]
    neg_names = set(negation_attributes)
    rows: list[dict] = []
    for f in files:
        ents: dict[str, dict] = {}
        negated: set[str] = set()
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
            if line.startswith("T"):
                try:
                    tid, info, _ = line.split("\t", 2)
                    kind, spans = info.split(" ", 1)
                    pos = [int(x) for part in spans.split(";") for x in part.split()]
                except ValueError:
                    raise ValueError(f"{f}: line {n} is not a BRAT text-bound "
                                     f"annotation: {line!r}") from None
                ents[tid] = {"document_id": f.stem, "concept": kind, "start": min(pos),
                             "end": max(pos), "negated": False}
            elif line.startswith("A"):
                parts = line.split("\t")[1].split() if "\t" in line else []
                if len(parts) >= 2 and parts[0] in neg_names and \
                        (len(parts) == 2 or parts[2].lower() not in ("false", "no")):
                    negated.add(parts[1])
        for tid, e in ents.items():
            e["negated"] = tid in negated
            rows.append(e)
    return _spans_frame(rows, str(path))


def read_spans(spans: str | Path | Iterable[Mapping]) -> pd.DataFrame:
    """Read annotations given as JSON spans.

    Parameters
    ----------
    spans : str, Path or iterable of dict
        A JSON file holding a list of objects, or such a list:
        ``{"document_id": ..., "concept": ..., "start": ..., "end": ...,
        "negated": false}`` (``negated`` optional; offsets into the original text).

    Returns
    -------
    pandas.DataFrame
        Columns ``document_id, concept, start, end, negated``.
    """
    where = "spans"
    if isinstance(spans, (str, Path)):
        where = str(spans)
        spans = json.loads(Path(spans).read_text(encoding="utf-8"))
    return _spans_frame([dict(s) for s in spans], where)


def _interval(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wilson 95 % interval of k successes in n (NaN where n is 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    lo, hi = np.full(len(k), np.nan), np.full(len(k), np.nan)
    ok = n > 0
    if ok.any():
        lo[ok], hi[ok] = proportion_confint(k[ok], n[ok], alpha=0.05, method="wilson")
    return lo, hi


def evaluate(hits: pd.DataFrame, annotations: pd.DataFrame, *, level: str = "span",
             affirmed: bool = True, suppress: bool = True) -> pd.DataFrame:
    """Precision, recall and F1 of search hits against annotations, per concept.

    Parameters
    ----------
    hits : pandas.DataFrame
        From :func:`harkit.text.search` (``document_id, concept, start, end`` and the
        context flags).
    annotations : pandas.DataFrame
        From :func:`read_brat` or :func:`read_spans` (concept names as the lexicon's).
    level : {"span", "document"}
        ``span``: a hit is correct when it overlaps an annotation of its concept in its
        document, and an annotation is found when a hit overlaps it. ``document``: a
        document is predicted for a concept when it has a hit, and true when it has an
        annotation.
    affirmed : bool, default True
        Count only affirmed mentions: hits flagged ``negated``, ``uncertain``, ``hypothetical`` or
        ``family`` are no prediction and annotations marked ``negated`` no truth. False
        takes every hit and every annotation.
    suppress : bool, default True
        Disclosure control of the counts (shares hidden with them).

    Returns
    -------
    pandas.DataFrame
        One row per concept: ``tp, fp, fn, precision, precision_low, precision_high,
        recall, recall_low, recall_high, f1`` (Wilson 95 % intervals). For spans, ``tp``
        counts correct hits (precision) and ``found`` found annotations (recall).
    """
    if level not in ("span", "document"):
        raise ValueError(f"level must be 'span' or 'document', got {level!r}")
    missing = {"document_id", "concept", "start", "end"} - set(hits.columns)
    if missing:
        raise KeyError(f"hits lack column(s) {sorted(missing)}")
    h = hits
    a = annotations
    if affirmed:
        keep = ~hits[[c for c in ("negated", "uncertain", "family", "hypothetical")
                      if c in hits]].any(axis=1)
        h = hits[keep]
        a = annotations[~annotations["negated"].astype(bool)]
    rows = []
    for concept in sorted(set(h["concept"].dropna()) | set(a["concept"])):
        hc = h[h["concept"] == concept]
        ac = a[a["concept"] == concept]
        if level == "document":
            pred, true = set(hc["document_id"]), set(ac["document_id"])
            tp, fp, fn = len(pred & true), len(pred - true), len(true - pred)
            found, n_true = tp, len(true)
        else:
            m = hc.reset_index(drop=True).merge(ac.reset_index(drop=True).reset_index(),
                                                on="document_id", suffixes=("", "_a"),
                                                how="inner")
            m = m[(m["start"] < m["end_a"]) & (m["start_a"] < m["end"])]
            hit_ok = hc.reset_index(drop=True).index.isin(
                hc.reset_index(drop=True).reset_index().merge(
                    m[["document_id", "start", "end"]].drop_duplicates(),
                    on=["document_id", "start", "end"])["index"])
            tp = int(hit_ok.sum())
            fp = len(hc) - tp
            found = int(m["index"].nunique())
            n_true = len(ac)
            fn = n_true - found
        rows.append({"concept": concept, "tp": tp, "fp": fp, "fn": fn, "found": found,
                     "n_true": n_true})
    out = pd.DataFrame(rows, columns=["concept", "tp", "fp", "fn", "found", "n_true"])
    n_pred = out["tp"] + out["fp"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["precision"] = np.where(n_pred > 0, out["tp"] / n_pred, np.nan)
        out["recall"] = np.where(out["n_true"] > 0, out["found"] / out["n_true"], np.nan)
        out["f1"] = 2 * out["precision"] * out["recall"] / (out["precision"] + out["recall"])
    out["precision_low"], out["precision_high"] = _interval(out["tp"], n_pred)
    out["recall_low"], out["recall_high"] = _interval(out["found"], out["n_true"])
    out = out[["concept", "tp", "fp", "fn", "found", "n_true", "precision", "precision_low",
               "precision_high", "recall", "recall_low", "recall_high", "f1"]]
    if suppress and len(out):
        share = ["precision", "precision_low", "precision_high", "f1"]
        out = suppress_table(out, ["tp", "fp", "fn", "found", "n_true"], derived={
            "tp": share, "fp": share, "found": ["recall", "recall_low", "recall_high", "f1"],
            "fn": ["recall", "recall_low", "recall_high", "f1"]})
    return out


def validation_sample(hits: pd.DataFrame, documents: pd.DataFrame, *,
                      n_hits: int = 20, n_non_hits: int = 20, concepts=None,
                      seed: int = 0, excerpt: int = 400) -> pd.DataFrame:
    """A stratified random sample of hits and of documents without a hit, to label.

    Parameters
    ----------
    hits : pandas.DataFrame
        From :func:`harkit.text.search`.
    documents : pandas.DataFrame
        The documents searched (``document_id, text``).
    n_hits : int
        Hits drawn per stratum: concept x context (``affirmed`` or the first flag set).
    n_non_hits : int
        Documents drawn per concept among those with no hit of it.
    concepts : list of str, optional
        Default: the concepts in ``hits``.
    seed : int
    excerpt : int
        Characters of text shown for a document without a hit (its start).

    Returns
    -------
    pandas.DataFrame
        ``item, kind ("hit"/"non_hit"), concept, stratum, document_id, matched, trigger,
        text, weight, label``: ``text`` is the hit's snippet or the document's start;
        ``weight`` the stratum's size over the number drawn from it; ``label`` empty, for
        the annotator (``yes``: the item mentions the concept, affirmed, about the
        patient; ``no``: it does not).
    """
    if "document_id" not in documents or "text" not in documents:
        raise KeyError("documents need the columns document_id and text")
    rng = np.random.default_rng(seed)
    concepts = sorted(set(hits["concept"].dropna())) if concepts is None else list(concepts)
    flag_cols = [c for c in _FLAGS if c in hits]
    stratum = np.full(len(hits), "affirmed", dtype=object)
    if flag_cols:
        flags = hits[flag_cols].to_numpy(bool)
        first = np.array(flag_cols, dtype=object)[flags.argmax(axis=1)]
        stratum = np.where(flags.any(axis=1), first, stratum)
    parts = []
    for concept in concepts:
        sel = np.flatnonzero((hits["concept"] == concept).to_numpy())
        for s in sorted(set(stratum[sel])):
            idx = sel[stratum[sel] == s]
            take = rng.choice(idx, size=min(n_hits, len(idx)), replace=False)
            part = hits.iloc[np.sort(take)]
            parts.append(pd.DataFrame({
                "kind": "hit", "concept": concept, "stratum": s,
                "document_id": part["document_id"].to_numpy(),
                "matched": part["matched"].to_numpy(),
                "trigger": part["trigger"].to_numpy() if "trigger" in part else "",
                "text": part["snippet"].to_numpy(),
                "weight": len(idx) / len(take)}))
        with_hit = set(hits.loc[hits["concept"] == concept, "document_id"])
        pool = np.flatnonzero(~documents["document_id"].isin(with_hit).to_numpy())
        if len(pool) and n_non_hits:
            take = np.sort(rng.choice(pool, size=min(n_non_hits, len(pool)), replace=False))
            docs = documents.iloc[take]
            parts.append(pd.DataFrame({
                "kind": "non_hit", "concept": concept, "stratum": "no hit",
                "document_id": docs["document_id"].to_numpy(), "matched": "", "trigger": "",
                "text": [str(t)[:excerpt] for t in docs["text"]],
                "weight": len(pool) / len(take)}))
    cols = ["kind", "concept", "stratum", "document_id", "matched", "trigger", "text",
            "weight"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    out.insert(0, "item", np.arange(len(out)))
    out["label"] = ""
    return out


def export_sample(sample: pd.DataFrame, path: str | Path) -> Path:
    """Write a validation sample for annotators (``.csv``, or ``.xlsx`` for Excel).

    Parameters
    ----------
    sample : pandas.DataFrame
        From :func:`validation_sample`.
    path : str or Path

    Returns
    -------
    Path
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        sample.to_excel(path, index=False)
    elif path.suffix.lower() == ".csv":
        sample.to_csv(path, index=False)
    else:
        raise ValueError(f"{path}: write .csv or .xlsx")
    return path


def read_labels(path: str | Path) -> pd.DataFrame:
    """Read a labelled validation sample back (``label``: ``yes`` or ``no``).

    Parameters
    ----------
    path : str or Path
        The file :func:`export_sample` wrote, labelled.

    Returns
    -------
    pandas.DataFrame
        The sample with ``label`` lower-cased.

    Raises
    ------
    ValueError
        A row's label is neither ``yes`` nor ``no``, or is empty (naming file and item).
    """
    path = Path(path)
    df = pd.read_excel(path) if path.suffix.lower() == ".xlsx" else pd.read_csv(path)
    need = {"item", "kind", "concept", "stratum", "weight", "label"} - set(df.columns)
    if need:
        raise KeyError(f"{path}: lacks column(s) {sorted(need)}")
    labels = df["label"].astype("string").str.strip().str.lower()
    bad = ~labels.isin(LABELS).fillna(False)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{path}: item {df['item'].iloc[i]} has label "
                         f"{df['label'].iloc[i]!r}; write yes or no")
    df["label"] = labels.astype(object)
    return df


def validation_summary(labelled: pd.DataFrame, *, n_boot: int = 2000, seed: int = 0,
                       suppress: bool = True) -> pd.DataFrame:
    """PPV, false omission rate and sensitivity per concept from a labelled sample.

    Parameters
    ----------
    labelled : pandas.DataFrame
        From :func:`read_labels`.
    n_boot : int
        Draws for the sensitivity interval.
    seed : int
    suppress : bool, default True
        Disclosure control of the counts (shares hidden with them).

    Returns
    -------
    pandas.DataFrame
        One row per concept: ``hits_labelled, hits_yes, ppv`` (weighted over strata when
        several) with a Wilson 95 % interval (on the labelled hits), ``non_hits_labelled,
        non_hits_yes, false_omission`` with its interval, ``sensitivity`` = estimated
        true hits / (true hits + missed documents), its 95 % interval from a parametric
        bootstrap (Jeffreys Beta draws per stratum).

    Notes
    -----
    Estimated true hits: per hit stratum, its size (weight x labelled) times its share
    of ``yes``; missed: the non-hit documents (weight x labelled) times their share of
    ``yes``. Hits count mentions, non-hits documents, so sensitivity is that of finding
    a mention; with one hit per document, that of finding a document.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for concept, g in labelled.groupby("concept", sort=True):
        yes = g["label"] == "yes"
        hits = g[g["kind"] == "hit"]
        non = g[g["kind"] == "non_hit"]
        true_hits = np.zeros(n_boot)
        est_true = 0.0
        n_hits_total = 0.0
        for _, s in hits.groupby("stratum"):
            n, k = len(s), int(yes[s.index].sum())
            size = float(s["weight"].iloc[0]) * n
            n_hits_total += size
            est_true += size * k / n
            true_hits += size * rng.beta(k + 0.5, n - k + 0.5, n_boot)
        n_non, k_non = len(non), int(yes[non.index].sum())
        size_non = float(non["weight"].iloc[0]) * n_non if n_non else 0.0
        missed_est = size_non * k_non / n_non if n_non else 0.0
        missed = size_non * rng.beta(k_non + 0.5, n_non - k_non + 0.5, n_boot) if n_non \
            else np.zeros(n_boot)
        with np.errstate(divide="ignore", invalid="ignore"):
            sens = est_true / (est_true + missed_est) if est_true + missed_est else np.nan
            draws = true_hits / (true_hits + missed)
        k_hits = int(yes[hits.index].sum())
        rows.append({
            "concept": concept, "hits_labelled": len(hits), "hits_yes": k_hits,
            "ppv": est_true / n_hits_total if n_hits_total else np.nan,
            "non_hits_labelled": n_non, "non_hits_yes": k_non,
            "false_omission": k_non / n_non if n_non else np.nan,
            "sensitivity": sens,
            "sensitivity_low": float(np.nanpercentile(draws, 2.5)) if len(hits) else np.nan,
            "sensitivity_high": float(np.nanpercentile(draws, 97.5)) if len(hits) else np.nan,
        })
    out = pd.DataFrame(rows)
    if not len(out):
        return out
    out["ppv_low"], out["ppv_high"] = _interval(out["hits_yes"], out["hits_labelled"])
    out["false_omission_low"], out["false_omission_high"] = _interval(
        out["non_hits_yes"], out["non_hits_labelled"])
    out = out[["concept", "hits_labelled", "hits_yes", "ppv", "ppv_low", "ppv_high",
               "non_hits_labelled", "non_hits_yes", "false_omission", "false_omission_low",
               "false_omission_high", "sensitivity", "sensitivity_low", "sensitivity_high"]]
    if suppress:
        out = suppress_table(out, ["hits_labelled", "hits_yes", "non_hits_labelled",
                                   "non_hits_yes"], derived={
            "hits_yes": ["ppv", "ppv_low", "ppv_high", "sensitivity", "sensitivity_low",
                         "sensitivity_high"],
            "non_hits_yes": ["false_omission", "false_omission_low", "false_omission_high",
                             "sensitivity", "sensitivity_low", "sensitivity_high"]})
    return out
