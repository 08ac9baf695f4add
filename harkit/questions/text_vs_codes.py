"""Finding records with concept search (notebook ``09_concept_search``).

Queries over record text (:func:`harkit.text.search`), read in context without
identifiers, turned into person-level flags and set against the coded substance-use
diagnoses, and scored against a synthetic register's per-document labels::

    counts = text_vs_codes.query_counts(ex.documents, {"any alcohol": "@alcohol"})
    text = text_vs_codes.text_flags(ex.documents)                 # one row per person
    codes = text_vs_codes.coded_flags(hk.cohort.build(ex), index=text.index)
    text_vs_codes.agreement(text, codes)                          # suppressed 2x2 counts

Every count these functions return for display goes through
:func:`harkit.privacy.suppress` unless ``suppress=False``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from harkit import _disclosure as dc
from harkit.privacy import suppress as _suppress
from harkit.text.mask import DATE_PATTERN, mask_dates

__all__ = ["DATE_PATTERN", "LABELLED_CONCEPTS", "SUBSTANCE_CONCEPTS", "against_truth",
           "agreement", "coded_flags", "context_flags", "document_truth", "example_contexts",
           "lexicon_summary", "mask_dates", "masked_kwic", "ocr_audit", "query_counts",
           "score_sources", "text_flags", "truth_flags"]

#: Lexicon concepts that name a substance, with a coded counterpart in ``uses_<substance>``.
SUBSTANCE_CONCEPTS: tuple[str, ...] = ("alcohol", "opioids", "cannabis", "sedatives",
                                       "stimulants", "solvents", "polydrug")
#: Concepts the synthetic register labels per document (``truth.document_labels``).
LABELLED_CONCEPTS: tuple[str, ...] = SUBSTANCE_CONCEPTS + ("withdrawal", "abstinence",
                                                           "treatment", "legal")

def lexicon_summary(lexicon: Any = None) -> pd.DataFrame:
    """Terms per concept of a lexicon, by form, with the share still unsourced.

    Parameters
    ----------
    lexicon : harkit.text.Lexicon, optional
        Default: the shipped lexicon (``harkit/text/lexicon/*.toml``).

    Returns
    -------
    pandas.DataFrame
        One row per concept: ``terms``, one column per form (``modern``, ``historical``,
        ``latin``, ``ocr``), ``regexes``, ``unsourced`` (terms whose source is ``[U]``)
        and ``icd_categories`` (the ``codelists/substance.csv`` categories it stands for).
    """
    from harkit.text import load_lexicon

    lex = lexicon if lexicon is not None else load_lexicon()
    f = lex.to_frame()
    forms = [c for c in ("modern", "historical", "latin", "ocr") if c in set(f["form"])]
    tab = pd.crosstab(f["concept"], f["form"]).reindex(columns=forms, fill_value=0)
    tab.columns.name = None
    tab.insert(0, "terms", tab.sum(axis=1))
    tab["regexes"] = [len(lex[c].regexes) for c in tab.index]
    tab["unsourced"] = f.assign(u=f["source"].str.strip().eq("[U]")).groupby("concept")["u"].sum()
    tab["icd_categories"] = f.groupby("concept")["icd_categories"].first().replace("", "-")
    return tab


def query_counts(documents: pd.DataFrame, queries: Mapping[str, str] | Sequence[str], *,
                 lexicon: Any = None, context: bool = True, suppress: bool = True
                 ) -> pd.DataFrame:
    """Documents and persons found by each query.

    Parameters
    ----------
    documents : pandas.DataFrame
        ``document_id``, ``person_id``, ``text`` (the ``documents`` table of an extract).
    queries : mapping of label to query, or sequence of queries
        Queries in the language of :func:`harkit.text.parse`.
    lexicon : harkit.text.Lexicon, optional
    context : bool, default True
        Judge negation, history, uncertainty and family (:func:`harkit.text.search`).
    suppress : bool, default True
        Pass ``documents`` and ``persons`` through :func:`harkit.privacy.suppress`.

    Returns
    -------
    pandas.DataFrame
        ``label``, ``query``, ``documents`` and ``persons`` found, in the order given.
    """
    from harkit.text import search

    items = list(queries.items()) if isinstance(queries, Mapping) else [(q, q) for q in queries]
    rows = []
    for label, q in items:
        hits = search(documents, q, lexicon=lexicon, context=context)
        rows.append({"label": label, "query": q,
                     "documents": int(hits["document_id"].nunique()),
                     "persons": int(hits["person_id"].nunique())})
    out = pd.DataFrame(rows, columns=["label", "query", "documents", "persons"])
    if suppress:
        out = _suppress(out, ["documents", "persons"])
    return out


def example_contexts(sentences: Sequence[str], query: str | None = None, *,
                     lexicon: Any = None) -> pd.DataFrame:
    """How the context rules judge each concept mention in example sentences.

    Parameters
    ----------
    sentences : sequence of str
        Example texts (written for the purpose; not record text).
    query : str, optional
        Default: any mention of any lexicon concept.
    lexicon : harkit.text.Lexicon, optional

    Returns
    -------
    pandas.DataFrame
        One row per hit: ``sentence``, ``matched``, ``concept``, the flags ``negated``,
        ``historical``, ``uncertain``, ``family`` and ``counts`` (whether
        :func:`harkit.text.flags` counts it as an affirmed mention).
    """
    from harkit.text import load_lexicon, search

    lex = lexicon if lexicon is not None else load_lexicon()
    q = query if query is not None else " OR ".join(f"@{c}" for c in lex.names)
    docs = pd.DataFrame({"document_id": range(len(sentences)), "text": list(sentences)})
    hits = search(docs, q, lexicon=lex)
    hits = hits.sort_values(["document_id", "start", "concept"], kind="stable")
    out = pd.DataFrame({
        "sentence": [sentences[i] for i in hits["document_id"]],
        "matched": hits["matched"].to_numpy(),
        "concept": hits["concept"].to_numpy(),
    })
    for c in ("negated", "historical", "uncertain", "family"):
        out[c] = hits[c].to_numpy()
    out["counts"] = ~(out["negated"] | out["uncertain"] | out["family"])
    return out.reset_index(drop=True)


def masked_kwic(hits: pd.DataFrame, *, n: int | None = 20, width: int = 40,
                sort: bool = True, document_id: bool = False) -> pd.DataFrame:
    """Key word in context for this question's notebook: :func:`harkit.text.kwic`, sorted.

    The masking (dates as ``[dato]``, no person or document ids) is the library's own
    default; this only sets the notebook's defaults (20 rows, sorted by document and
    position).

    Parameters
    ----------
    hits : pandas.DataFrame
        From :func:`harkit.text.search`.
    n : int or None, default 20
        Rows shown; None for all.
    width : int, default 40
        Characters on each side of the match.
    sort : bool, default True
        Sort by document and position.
    document_id : bool, default False
        Keep the ``document_id`` column (to look a hit up inside the secure environment).

    Returns
    -------
    pandas.DataFrame
        As :func:`harkit.text.kwic`.
    """
    from harkit.text import kwic

    return kwic(hits, width, n=n, sort=sort, document_id=document_id)


def _concept_query(concepts: Sequence[str]) -> str:
    return " OR ".join(f"@{c}" for c in concepts)


def text_flags(documents: pd.DataFrame, concepts: Sequence[str] = SUBSTANCE_CONCEPTS, *,
               level: str = "person", lexicon: Any = None, context: bool = True,
               historical: bool = True) -> pd.DataFrame:
    """Affirmed mentions of each concept, per person (or document), from record text.

    Parameters
    ----------
    documents : pandas.DataFrame
        ``document_id``, ``person_id``, ``text``.
    concepts : sequence of str, default :data:`SUBSTANCE_CONCEPTS`
        Concepts of the lexicon (those missing from it are skipped).
    level : {"person", "document"}
    lexicon : harkit.text.Lexicon, optional
    context : bool, default True
        False ignores negation, history, uncertainty and family (every mention counts):
        the baseline that shows what the context rules are worth.
    historical : bool, default True
        Count "tidligere alkoholmisbruk" as a mention (:func:`harkit.text.flags`).

    Returns
    -------
    pandas.DataFrame
        Boolean, one column per concept, one row per person (or document) with at least
        one document, whether or not it has a hit.
    """
    from harkit.text import flags, load_lexicon, search

    lex = lexicon if lexicon is not None else load_lexicon()
    cs = [c for c in concepts if c in lex.names]
    hits = search(documents, _concept_query(cs), lexicon=lex, context=context)
    return flags(hits, documents, level=level, concepts=cs, historical=historical)


def coded_flags(cohort: pd.DataFrame, concepts: Sequence[str] = SUBSTANCE_CONCEPTS, *,
                index: pd.Index | None = None) -> pd.DataFrame:
    """Coded substance-use diagnoses per person, as columns named like the text concepts.

    ``uses_<substance>`` of :func:`harkit.cohort.build` (any diagnosis, any revision,
    uncoded texts mapped by the text rules); cocaine counts as ``stimulants``, as in the
    lexicon.

    Parameters
    ----------
    cohort : pandas.DataFrame
        From :func:`harkit.cohort.build`.
    concepts : sequence of str, default :data:`SUBSTANCE_CONCEPTS`
    index : pandas.Index, optional
        Person ids to return (e.g. the persons with record text); default all.

    Returns
    -------
    pandas.DataFrame
        Boolean, index ``person_id``.
    """
    c = cohort.set_index("person_id")
    out = {}
    for name in concepts:
        cols = [f"uses_{name}"] + (["uses_cocaine"] if name == "stimulants" else [])
        cols = [x for x in cols if x in c]
        out[name] = (c[cols].astype("boolean").fillna(False).astype(bool).any(axis=1) if cols
                     else pd.Series(False, index=c.index))
    df = pd.DataFrame(out)
    if index is not None:
        df = df.reindex(index, fill_value=False)
    df.index.name = "person_id"
    return df.astype(bool)


def truth_flags(persons: pd.DataFrame, concepts: Sequence[str] = SUBSTANCE_CONCEPTS, *,
                index: pd.Index | None = None, which: str = "uses") -> pd.DataFrame:
    """The substances a synthetic person truly used (``truth.persons.uses_<substance>``).

    Parameters
    ----------
    persons : pandas.DataFrame
        ``truth.persons`` of a synthetic register.
    concepts : sequence of str, default :data:`SUBSTANCE_CONCEPTS`
    index : pandas.Index, optional
        Person ids to return.
    which : {"uses", "main", "co_use"}, default "uses"
        ``"uses"``: every substance used; ``"main"``: the person's main substance only
        (``truth.persons.group``); ``"co_use"``: the substances used besides the main one.
        Registers record co-use less completely than the main substance, so scores
        against the two differ.

    Returns
    -------
    pandas.DataFrame
        Boolean, index ``person_id``.
    """
    if which not in ("uses", "main", "co_use"):
        raise ValueError(f"which must be 'uses', 'main' or 'co_use', got {which!r}")
    p = persons.set_index("person_id")
    df = pd.DataFrame({c: (p[f"uses_{c}"].astype(bool) if f"uses_{c}" in p
                           else pd.Series(False, index=p.index)) for c in concepts})
    if which != "uses":
        main = pd.DataFrame({c: (p["group"].astype("object") == c).to_numpy()
                             for c in concepts}, index=p.index)
        df = df & main if which == "main" else df & ~main
    if index is not None:
        df = df.reindex(index, fill_value=False)
    df.index.name = "person_id"
    return df


def document_truth(labels: pd.DataFrame, documents: pd.DataFrame | pd.Index,
                   concepts: Sequence[str] = LABELLED_CONCEPTS, *,
                   column: str = "affirmed") -> pd.DataFrame:
    """Per-document truth of a synthetic register as one boolean column per concept.

    Parameters
    ----------
    labels : pandas.DataFrame
        ``truth.document_labels``: ``document_id``, ``concept`` and boolean columns.
    documents : pandas.DataFrame or pandas.Index
        The documents to cover (a table with ``document_id`` or the ids); documents
        without a label row are all False.
    concepts : sequence of str, default :data:`LABELLED_CONCEPTS`
    column : str, default "affirmed"
        Which label: ``affirmed`` (asserted for the patient, now or earlier), or
        ``negated``, ``historical``, ``uncertain``, ``family``.

    Returns
    -------
    pandas.DataFrame
        Boolean, index ``document_id``.
    """
    ids = documents["document_id"] if isinstance(documents, pd.DataFrame) else documents
    idx = pd.Index(pd.unique(np.asarray(ids)), name="document_id")
    lab = labels[labels[column].astype(bool) & labels["document_id"].isin(idx)]
    tab = pd.crosstab(lab["document_id"], lab["concept"]).gt(0)
    tab = tab.reindex(index=idx, columns=list(concepts), fill_value=False).astype(bool)
    tab.columns.name = None
    return tab


def context_flags(hits: pd.DataFrame, documents: pd.DataFrame,
                  concepts: Sequence[str] = LABELLED_CONCEPTS, *, flag: str = "negated"
                  ) -> pd.DataFrame:
    """Per document and concept: does any hit carry a context flag?

    The counterpart of :func:`harkit.text.flags` for the context judgements themselves,
    to score them against labels such as ``truth.document_labels["negated"]``.

    Parameters
    ----------
    hits : pandas.DataFrame
        From :func:`harkit.text.search` (with ``context=True``).
    documents : pandas.DataFrame
        Every document searched (rows for documents without hits are all False).
    concepts : sequence of str, default :data:`LABELLED_CONCEPTS`
    flag : {"negated", "historical", "uncertain", "family"}

    Returns
    -------
    pandas.DataFrame
        Boolean, index ``document_id``.
    """
    if flag not in ("negated", "historical", "uncertain", "family"):
        raise ValueError(f"unknown flag {flag!r}")
    h = hits[hits["concept"].notna() & hits[flag].astype(bool)]
    tab = pd.crosstab(h["document_id"], h["concept"]).gt(0)
    idx = pd.Index(pd.unique(np.asarray(documents["document_id"])), name="document_id")
    tab = tab.reindex(index=idx, columns=list(concepts), fill_value=False).astype(bool)
    tab.columns.name = None
    return tab


def _hide_where(t: pd.DataFrame, shown: pd.DataFrame, cols: Sequence[str],
                derived: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    def hidden(c: str) -> np.ndarray:
        text = shown[c].astype("string").str.replace(",", "", regex=False)
        return (pd.to_numeric(text, errors="coerce").isna() & t[c].notna()).to_numpy()

    h = {c: hidden(c) for c in cols}
    for target, sources in derived.items():
        mask = np.zeros(len(t), dtype=bool)
        for s in sources:
            mask |= h[s]
        shown.loc[mask, target] = np.nan
    return shown


def agreement(text: pd.DataFrame, coded: pd.DataFrame, *, suppress: bool = True
              ) -> pd.DataFrame:
    """Agreement of text flags and coded diagnoses, per concept, over the same persons.

    Parameters
    ----------
    text, coded : pandas.DataFrame
        Boolean flags with the same index (persons) and concept columns, e.g.
        :func:`text_flags` and :func:`coded_flags` (only shared columns are compared).
    suppress : bool, default True
        The four cells of each concept's 2x2 table through :func:`harkit.privacy.suppress`
        with secondary suppression (the persons compared are a known total); the
        agreement and kappa of a concept with a hidden cell are blanked.

    Returns
    -------
    pandas.DataFrame
        One row per concept: ``both``, ``text_only``, ``codes_only``, ``neither``,
        ``agreement`` (percent of persons on which they agree) and Cohen's ``kappa``.
    """
    cols = [c for c in text.columns if c in coded.columns]
    coded = coded.reindex(text.index, fill_value=False).astype(bool)
    rows = []
    for c in cols:
        a, b = text[c].astype(bool).to_numpy(), coded[c].to_numpy()
        n = len(a)
        both, t_only = int((a & b).sum()), int((a & ~b).sum())
        c_only, neither = int((~a & b).sum()), int((~a & ~b).sum())
        po = (both + neither) / n if n else np.nan
        pe = ((a.mean() * b.mean()) + ((1 - a.mean()) * (1 - b.mean()))) if n else np.nan
        kappa = (po - pe) / (1 - pe) if n and pe < 1 else np.nan
        rows.append({"concept": c, "both": both, "text_only": t_only, "codes_only": c_only,
                     "neither": neither, "agreement": round(100 * po, 1),
                     "kappa": round(kappa, 3) if np.isfinite(kappa) else np.nan})
    t = pd.DataFrame(rows, columns=["concept", "both", "text_only", "codes_only", "neither",
                                    "agreement", "kappa"])
    if suppress and len(t):
        cells = ["both", "text_only", "codes_only", "neither"]
        shown = _suppress(t, cells, secondary=True)
        t = _hide_where(t, shown, cells, {"agreement": cells, "kappa": cells})
    return t


def against_truth(predicted: pd.DataFrame, truth: pd.DataFrame, *, suppress: bool = True,
                  alpha: float = 0.05) -> pd.DataFrame:
    """Precision and recall of boolean flags against the truth, per concept and overall.

    Parameters
    ----------
    predicted, truth : pandas.DataFrame
        Boolean, same index (documents or persons), concept columns; only shared
        columns are scored, rows missing from ``predicted`` count as False.
    suppress : bool, default True
        ``true``, ``tp``, ``fp``, ``fn`` through the disclosure-control policy, with the
        cells that would give a hidden one back (``true = tp + fn``; the ``all`` row is
        the sum of the concepts) hidden too; precision (recall) is blanked where ``tp``
        or ``fp`` (``fn``) is hidden.
    alpha : float, default 0.05
        For the Wilson intervals.

    Returns
    -------
    pandas.DataFrame
        One row per concept and a final ``all`` row (pooled over concepts, i.e.
        micro-averaged): ``true`` (positives in the truth), ``tp``, ``fp``, ``fn``,
        ``precision`` with ``precision_lower``/``precision_upper``, ``recall`` with its
        limits, and ``f1``.
    """
    from statsmodels.stats.proportion import proportion_confint

    cols = [c for c in truth.columns if c in predicted.columns]
    pred = predicted.reindex(truth.index, fill_value=False).astype(bool)
    rows = []
    for c in [*cols, "all"]:
        if c == "all":
            p, t = pred[cols].to_numpy().ravel(), truth[cols].astype(bool).to_numpy().ravel()
        else:
            p, t = pred[c].to_numpy(), truth[c].astype(bool).to_numpy()
        tp, fp, fn = int((p & t).sum()), int((p & ~t).sum()), int((~p & t).sum())
        rows.append({"concept": c, "true": tp + fn, "tp": tp, "fp": fp, "fn": fn})
    out = pd.DataFrame(rows)
    for name, den in (("precision", out["tp"] + out["fp"]), ("recall", out["tp"] + out["fn"])):
        ok = den > 0
        est = np.where(ok, out["tp"] / den.clip(lower=1), np.nan)
        lo, hi = proportion_confint(out["tp"], den.clip(lower=1), alpha=alpha, method="wilson")
        out[name] = est
        out[f"{name}_lower"] = np.where(ok, lo, np.nan)
        out[f"{name}_upper"] = np.where(ok, hi, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["f1"] = 2 * out["precision"] * out["recall"] / (out["precision"] + out["recall"])
    if suppress:
        cells = ["true", "tp", "fp", "fn"]
        # true = tp + fn in every row, and the "all" row is the sum of the concepts: a
        # hidden count must not follow from either
        last = len(out) - 1
        sums = [((i, "true"), [(i, "tp"), (i, "fn")]) for i in range(len(out))]
        sums += [((last, c), [(i, c) for i in range(last)]) for c in cells] if last > 0 \
            else []
        shown = dc.suppress_linked(out, cells, sums)
        prec = ["precision", "precision_lower", "precision_upper"]
        rec = ["recall", "recall_lower", "recall_upper"]
        derived = {c: ["tp", "fp"] for c in prec}
        derived.update({c: ["tp", "fn", "true"] for c in rec})
        derived["f1"] = ["tp", "fp", "fn"]
        out = _hide_where(out, shown, cells, derived)
    return out


def score_sources(sources: Mapping[str, pd.DataFrame], truth: pd.DataFrame, *,
                  suppress: bool = True, concepts: Sequence[str] | None = None
                  ) -> pd.DataFrame:
    """:func:`against_truth` for several sets of flags, stacked with a ``source`` column.

    Parameters
    ----------
    sources : mapping of str to pandas.DataFrame
        E.g. ``{"text": ..., "codes": ..., "text or codes": ...}``.
    truth : pandas.DataFrame
    suppress : bool, default True
    concepts : sequence of str, optional
        Concepts to keep (and the order); the pooled ``all`` row always stays.

    Returns
    -------
    pandas.DataFrame
    """
    parts = []
    for name, flags_ in sources.items():
        t = against_truth(flags_, truth[concepts] if concepts else truth, suppress=suppress)
        t.insert(0, "source", name)
        parts.append(t)
    return pd.concat(parts, ignore_index=True)


def ocr_audit(documents: pd.DataFrame, lexicon: Any = None, *, suppress: bool = True,
              **kw: Any) -> tuple[Any, pd.DataFrame]:
    """OCR neighbours of the lexicon in a corpus, and the lexicon expanded with them.

    :func:`harkit.text.expand_lexicon` on the documents' text: words of the corpus within
    a small edit distance of a lexicon term that folding does not already match.

    Parameters
    ----------
    documents : pandas.DataFrame
        With a ``text`` column.
    lexicon : harkit.text.Lexicon, optional
    suppress : bool, default True
        The ``count`` column (occurrences of each neighbour in the corpus) through
        :func:`harkit.privacy.suppress`.
    **kw
        Passed to :func:`harkit.text.ocr_neighbours` (``max_distance``, ``min_length`` ...).

    Returns
    -------
    lexicon : harkit.text.Lexicon
        The expanded lexicon (review the table before using it).
    audit : pandas.DataFrame
        One row per neighbour: ``concept``, ``term``, ``variant``, ``neighbour``,
        ``distance``, ``count``; ``attrs["ties"]`` lists dropped ambiguous words.
    """
    from harkit.text import expand_lexicon

    lex, table = expand_lexicon(lexicon, documents["text"], **kw)
    ties = table.attrs.get("ties", [])
    table = table.sort_values(["concept", "term", "neighbour"], kind="stable")
    table = table.reset_index(drop=True)
    if suppress and len(table):
        table = _suppress(table, ["count"])
    table.attrs["ties"] = ties
    return lex, table
