"""Reading hits: the trigger behind each context flag, and co-mentions in one sentence.

* :func:`triggers`: for hits of :func:`harkit.text.search`, the context rule that set each
  flag (``negated: ingen tegn til``) and where it stands in the original text, for
  reading hits and checking the rules (each document is judged again on its own, so use it
  on the hits one reads, not on a whole corpus).
* :func:`co_mentions`: pairs of hits of two concepts in the same sentence of a document
  ("alcohol and a sedative in one sentence").
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from harkit.text.context import CATEGORIES, context_batch, read_rules
from harkit.text.normalise import normalise

__all__ = ["co_mentions", "sentence_ids", "triggers"]

# a sentence ends at . ! ? ; before a blank or the text's end, or at an empty line
_SENTENCE_END = re.compile(r"[.!?;](?=\s|$)|\n[ \t]*\n")


def sentence_ids(text: str, positions) -> np.ndarray:
    """Index of the sentence each position of ``text`` falls in.

    Parameters
    ----------
    text : str
    positions : array-like of int
        Offsets into ``text``.

    Returns
    -------
    numpy.ndarray
        Sentence numbers from 0 (a sentence ends after ``.``, ``!``, ``?`` or ``;`` that
        a blank or the end follows, or at an empty line).
    """
    ends = [m.end() for m in _SENTENCE_END.finditer(str(text))]
    return np.searchsorted(np.asarray(ends, dtype=np.int64),
                           np.asarray(positions, dtype=np.int64), side="right")


def _documents_by_id(documents: pd.DataFrame) -> dict:
    if "document_id" not in documents or "text" not in documents:
        raise KeyError("documents need the columns document_id and text")
    return dict(zip(documents["document_id"], documents["text"]))


def triggers(hits: pd.DataFrame, documents: pd.DataFrame, rules=None) -> pd.DataFrame:
    """The trigger behind each context flag of each hit.

    Parameters
    ----------
    hits : pandas.DataFrame
        From :func:`harkit.text.search` (run with the same ``rules``).
    documents : pandas.DataFrame
        The documents searched (``document_id, text``).
    rules : ContextRules, path or DataFrame, optional
        Default: the shipped rules.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``hits``: ``trigger``, the trigger as written in the original text
        (``"negated: Ingen tegn til"``; an affixed word with its affix,
        ``"negated: alkoholfritt (-frit)"``; several joined by ``"; "``, empty where no
        flag is set), ``trigger_start`` and ``trigger_end``
        (original offsets of the first trigger, -1 where none).
    """
    rules = read_rules(rules) if not hasattr(rules, "by_first") else rules
    texts = _documents_by_id(documents)
    out = pd.DataFrame({"trigger": "", "trigger_start": -1, "trigger_end": -1},
                       index=hits.index)
    flagged = hits[list(CATEGORIES)].to_numpy(bool).any(axis=1)
    for doc, rows in hits[flagged].groupby("document_id", sort=False):
        text = texts.get(doc)
        if text is None:
            raise KeyError(f"hits refer to document {doc!r}, which documents lack")
        norm = normalise(text)
        # the hits' original offsets to the normalised text (pieces cover it)
        s = np.searchsorted(norm.piece_orig_end, rows["start"].to_numpy(), side="right")
        e = np.searchsorted(norm.piece_orig_start, rows["end"].to_numpy(), side="left")
        starts = norm.piece_start[np.minimum(s, len(norm.piece_start) - 1)]
        ends = np.append(norm.piece_start, len(norm.text))[np.maximum(e, s + 1)]
        why: list = []
        context_batch(norm, starts, ends, rules, why=why)
        for (idx, row), found in zip(rows.iterrows(), why):
            parts, first = [], None
            for c in CATEGORIES:
                if row[c] and c in found:
                    lit, a, b = found[c]
                    span = norm.original_span(a, b)
                    shown = " ".join(text[span[0]:span[1]].split())
                    # an affix rule: the word and the affix (alkoholfritt, -frit)
                    parts.append(f"{c}: {shown}" + (f" ({lit})" if "-" in lit else ""))
                    first = first or span
            out.at[idx, "trigger"] = "; ".join(parts)
            if first is not None:
                out.at[idx, "trigger_start"], out.at[idx, "trigger_end"] = first
    return out


def co_mentions(hits: pd.DataFrame, documents: pd.DataFrame, left: str, right: str, *,
                affirmed: bool = True) -> pd.DataFrame:
    """Pairs of hits of two concepts in one sentence of a document.

    Parameters
    ----------
    hits : pandas.DataFrame
        From :func:`harkit.text.search` (a query holding both concepts, e.g.
        ``"@alcohol AND @sedatives"``).
    documents : pandas.DataFrame
        The documents searched (``document_id, text``).
    left, right : str
        Concept names.
    affirmed : bool, default True
        Only hits that are not negated, uncertain, hypothetical or about family.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``document_id, person_id, sentence`` (its number in the
        document), ``left, right`` (the matched words), ``left_start, right_start`` and
        ``sentence_text`` (the sentence of the original text, on one line).
    """
    texts = _documents_by_id(documents)
    h = hits
    if affirmed:
        h = hits[~hits[[c for c in ("negated", "uncertain", "family", "hypothetical")
                        if c in hits]].any(axis=1)]
    h = h[h["concept"].isin([left, right])]
    rows = []
    for doc, g in h.groupby("document_id", sort=False):
        text = str(texts.get(doc, ""))
        sent = sentence_ids(text, g["start"].to_numpy())
        ends = [0] + [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]
        g = g.assign(sentence=sent)
        a = g[g["concept"] == left]
        b = g[g["concept"] == right]
        pairs = a.merge(b, on="sentence", suffixes=("_l", "_r"))
        for r in pairs.itertuples(index=False):
            rows.append({"document_id": doc, "person_id": r.person_id_l, "sentence": r.sentence,
                         "left": r.matched_l, "right": r.matched_r,
                         "left_start": r.start_l, "right_start": r.start_r,
                         "sentence_text": " ".join(
                             text[ends[r.sentence]:ends[r.sentence + 1]].split())})
    cols = ["document_id", "person_id", "sentence", "left", "right", "left_start",
            "right_start", "sentence_text"]
    return pd.DataFrame(rows, columns=cols)
