"""OCR neighbours of lexicon terms, found in the corpus's own vocabulary.

Folding (:func:`harkit.text.normalise.normalise`) already removes the common OCR
confusions (``rn``/``m``, ``1``/``l``, ``ø``/``o`` ...). Other misreadings
(``alkoholisnie``, ``heroiu``, ``morfinismc``) are missed by the exact matching of the
engine. Rather than a fuzzy regular expression over every page, the lexicon is expanded
with the words of the corpus that lie within a small edit distance of a term, and the
engine keeps matching exactly::

    vocab = corpus_vocabulary(docs["text"])          # folded word -> count
    table = ocr_neighbours(load_lexicon(), vocab)    # audit table, one row per neighbour
    lexicon = with_neighbours(load_lexicon(), table) # terms of form "ocr"
    hits = search(docs, "@alcohol", lexicon=lexicon)

or in one step ``lexicon, table = expand_lexicon(load_lexicon(), docs["text"])``.

The distance is Levenshtein's (one substitution, insertion or deletion each counts 1) between
folded forms, computed with :mod:`rapidfuzz`. Review the table before using the expanded
lexicon on real records: a neighbour may be a real word.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
import pandas as pd
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist

from harkit.text.batch import fold_batch
from harkit.text.context import read_rules
from harkit.text.lexicon import Lexicon, Term, load_lexicon
from harkit.text.normalise import fold

__all__ = ["MAX_DISTANCE", "NEIGHBOUR_COLUMNS", "corpus_vocabulary", "expand_lexicon",
           "ocr_neighbours", "with_neighbours"]

#: Columns of the table returned by :func:`ocr_neighbours`.
NEIGHBOUR_COLUMNS = ["concept", "term", "variant", "neighbour", "distance", "count"]
#: Largest edit distance accepted; beyond it short words drown in neighbours.
MAX_DISTANCE = 3
_WORD = re.compile(r"\w+")
# cdist output is len(queries) x len(choices); bound it (int8 cells).
_CHUNK = 250_000


# --------------------------------------------------------------------------- vocabulary

def _check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        rng = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {rng}, got {value}")
    return value


def _frame_texts(frame: pd.DataFrame) -> Iterable:
    if "text" not in frame.columns:
        raise KeyError(f"a DataFrame of texts needs a 'text' column; it has "
                       f"{list(frame.columns)}")
    return frame["text"]


def _iter_texts(texts) -> Iterator:
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be an iterable of str (a list, a pandas Series, a "
                        "DataFrame with a 'text' column or chunks of one), not a single "
                        f"{type(texts).__name__}")
    if isinstance(texts, pd.DataFrame):
        yield from _frame_texts(texts)
        return
    try:
        it = iter(texts)
    except TypeError:
        raise TypeError(f"texts must be an iterable of str, got {type(texts).__name__}"
                        ) from None
    for t in it:
        if isinstance(t, pd.DataFrame):  # chunks, e.g. read_csv(..., chunksize=...)
            yield from _frame_texts(t)
        else:
            yield t


def corpus_vocabulary(texts, *, min_count: int = 1) -> pd.Series:
    """Count the folded words of a corpus.

    Texts are folded as :func:`harkit.text.normalise.normalise` folds them (in batches,
    :func:`harkit.text.batch.fold_batch`), so the words are exactly what the engine's
    automaton sees. Values that are not ``str`` (missing values,
    numbers, bytes) are skipped and counted in ``attrs["skipped"]``.

    Parameters
    ----------
    texts : iterable of str, pandas.Series or pandas.DataFrame
        Record texts; a DataFrame (or an iterable of DataFrame chunks) is read from its
        ``text`` column.
    min_count : int, default 1
        Keep words seen at least this many times.

    Returns
    -------
    pandas.Series
        Named ``count`` (int64), index ``word``; sorted by count (descending), then word.
        ``attrs["texts"]`` and ``attrs["skipped"]`` count the texts read and skipped.

    Raises
    ------
    TypeError
        ``texts`` is a single string or not iterable.
    KeyError
        A DataFrame has no ``text`` column.
    ValueError
        ``min_count`` is not an integer >= 1.
    """
    min_count = _check_int("min_count", min_count, 1)
    counts: Counter[str] = Counter()
    n_texts = skipped = 0
    batch: list[str] = []

    def flush() -> None:
        counts.update(_WORD.findall(fold_batch(batch, pieces=False).text))
        batch.clear()

    for t in _iter_texts(texts):
        if not isinstance(t, str):
            skipped += 1
            continue
        n_texts += 1
        batch.append(t)
        if len(batch) >= 2_000:
            flush()
    if batch:
        flush()
    frame = pd.DataFrame({"word": pd.Series(list(counts.keys()), dtype=object),
                          "count": pd.Series(list(counts.values()), dtype="int64")})
    frame = frame[frame["count"] >= min_count]
    frame = frame.sort_values(["count", "word"], ascending=[False, True], kind="mergesort")
    out = pd.Series(frame["count"].to_numpy(), index=pd.Index(frame["word"].to_numpy(),
                                                               dtype=object, name="word"),
                    name="count", dtype="int64")
    out.attrs["texts"] = n_texts
    out.attrs["skipped"] = skipped
    return out


def _vocabulary(vocabulary, min_count: int) -> pd.DataFrame:
    """``word``/``count`` frame from a Series, Mapping or iterable of words."""
    if isinstance(vocabulary, pd.DataFrame):
        missing = {"word", "count"} - set(vocabulary.columns)
        if missing:
            raise KeyError(f"a vocabulary DataFrame needs columns 'word' and 'count'; "
                           f"missing {sorted(missing)}")
        words, counts = vocabulary["word"], vocabulary["count"]
    elif isinstance(vocabulary, pd.Series) and not pd.api.types.is_numeric_dtype(
            vocabulary.dtype):
        c = Counter(vocabulary)
        words, counts = list(c.keys()), list(c.values())
    elif isinstance(vocabulary, pd.Series):
        words, counts = vocabulary.index, vocabulary.to_numpy()
    elif isinstance(vocabulary, Mapping):
        words, counts = list(vocabulary.keys()), list(vocabulary.values())
    elif isinstance(vocabulary, (str, bytes)):
        raise TypeError("vocabulary must be a Series (word -> count), a mapping or an "
                        "iterable of words, not a single string")
    else:
        try:
            c = Counter(vocabulary)
        except TypeError:
            raise TypeError("vocabulary must be a Series (word -> count), a mapping or an "
                            f"iterable of words, got {type(vocabulary).__name__}") from None
        words, counts = list(c.keys()), list(c.values())
    words = np.asarray(list(words) if not isinstance(words, (pd.Index, np.ndarray))
                       else words, dtype=object)
    counts = np.asarray(list(counts) if not isinstance(counts, np.ndarray) else counts)
    if len(words) and pd.api.types.infer_dtype(words, skipna=False) != "string":
        bad = next(w for w in words if not isinstance(w, str))
        raise TypeError(f"vocabulary words must be str; got {bad!r}")
    if counts.dtype.kind not in "iu":
        num = pd.to_numeric(pd.Series(counts, dtype=object), errors="coerce").to_numpy(float)
        bad = np.isnan(num) | (num != np.round(num))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"vocabulary counts must be non-negative integers; word "
                             f"{words[i]!r} has {counts[i]!r}")
        counts = num
    counts = counts.astype(np.int64)
    if (counts < 0).any():
        i = int(np.flatnonzero(counts < 0)[0])
        raise ValueError(f"vocabulary counts must be non-negative integers; word "
                         f"{words[i]!r} has {counts[i]}")
    frame = pd.DataFrame({"word": words, "count": counts})
    if not frame["word"].is_unique:
        frame = frame.groupby("word", sort=False)["count"].sum().reset_index()
    return frame[frame["count"] >= min_count].reset_index(drop=True)


# --------------------------------------------------------------------------- neighbours

def _near(queries: list[str], choices: np.ndarray, d: int, score_cutoff: float | None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (query index, choice index, distance) with ``1 <= distance <= d``."""
    qi, ci, dist = [], [], []
    for lo in range(0, len(choices), _CHUNK):
        part = choices[lo:lo + _CHUNK]
        m = cdist(queries, part, scorer=Levenshtein.distance, score_cutoff=d,
                  dtype=np.int8, workers=-1)
        q, c = np.nonzero((m <= d) & (m >= 1))
        qi.append(q)
        ci.append(c + lo)
        dist.append(m[q, c].astype(np.int64))
    q, c, dd = (np.concatenate(x) if x else np.zeros(0, np.int64) for x in (qi, ci, dist))
    if score_cutoff is not None and len(q):
        qlen = np.array([len(x) for x in queries])[q]
        clen = np.array([len(choices[j]) for j in c])
        keep = 1 - dd / np.maximum(qlen, clen) >= score_cutoff
        q, c, dd = q[keep], c[keep], dd[keep]
    return q, c, dd


def _lexicon_keys(lexicon: Lexicon):
    """Folded single-word keys per concept, exact owners of words, reserved words."""
    keys = []           # (concept, term text, key, is_prefix, order, folded term length)
    whole: dict[str, set[str]] = {}
    prefix: dict[str, set[str]] = {}
    reserved: set[str] = set()
    for c in lexicon.names:
        terms = lexicon[c].terms
        order = {t.text: i for i, t in enumerate(terms)}
        # min_length applies to the folded term: an æ variant (delir -> daelir) is longer
        size = {t.text: len(fold(t.text.rstrip("*"))) for t in terms}
        for variant, term in lexicon.variants(c).items():
            is_prefix = variant.endswith("*")
            key = fold(variant.rstrip("*"))
            if _WORD.fullmatch(key):
                (prefix if is_prefix else whole).setdefault(key, set()).add(c)
                keys.append((c, term.text, key, is_prefix, order[term.text], size[term.text]))
            else:
                # words of phrases are not evidence of the concept on their own
                reserved.update(_WORD.findall(key))
    for lit in read_rules().table["literal"].astype(str):
        f = fold(lit)
        reserved.add(f)
        reserved.update(_WORD.findall(f))
    return keys, whole, prefix, reserved


def _owners(word: str, whole: dict[str, set[str]], prefix: dict[str, set[str]]) -> set[str]:
    """Concepts whose lexicon (without neighbours) already matches ``word`` exactly."""
    out = set(whole.get(word, ()))
    for i in range(1, len(word) + 1):
        out |= prefix.get(word[:i], set())
    return out


def _check_concepts(lexicon: Lexicon, concepts) -> list[str]:
    if concepts is None:
        return lexicon.names
    if isinstance(concepts, str):
        concepts = [concepts]
    concepts = list(concepts)
    unknown = [c for c in concepts if c not in lexicon]
    if unknown:
        raise KeyError(f"unknown concept(s) {unknown}; known: {', '.join(lexicon.names)}")
    return concepts


def ocr_neighbours(lexicon: Lexicon | None, vocabulary, *, concepts: Iterable[str] | None = None,
                   max_distance: int = 1, min_length: int = 6, min_count: int = 1,
                   score_cutoff: float | None = None) -> pd.DataFrame:
    """Words of a corpus vocabulary within a small edit distance of lexicon terms.

    Every single-word term of a concept, in each of its folded spelling variants
    (:meth:`Lexicon.variants`), is compared with the vocabulary words whose length differs
    by at most ``max_distance``. A prefix term (``alkohol*``) is compared with the words'
    prefixes of lengths ``len(term) - max_distance`` to ``len(term) + max_distance``; the
    closest prefix (then the one nearest the term's length, then the shorter) is reported
    as a prefix neighbour (``alkohcl*``) that matches every word it begins.

    Left out:

    * phrases (and terms with punctuation): the vocabulary holds single words, and one
      damaged word of ``drikker daglig`` is evidence of the concept only next to the
      phrase's other words; their words are also never reported as neighbours;
    * terms and neighbours shorter than ``min_length`` (short words have too many real
      neighbours: ``lim``, ``far``);
    * words the unexpanded lexicon already matches, for any concept (``morfin`` never
      becomes a neighbour of another concept's term);
    * words of context-rule literals (:func:`harkit.text.read_rules`), so no trigger such
      as ``tidligere`` is turned into a concept;
    * words that folding would change (the engine could never match them);
    * ambiguous words: a word goes to the concept with the closest term; a word equally
      close to terms of two concepts is dropped (either choice would be a guess) and
      listed in ``attrs["ties"]``; a prefix neighbour is dropped when a word it begins
      belongs to another concept, is a tie, a phrase word or a context literal.

    Parameters
    ----------
    lexicon : Lexicon or None
        None: the shipped lexicon. All its concepts take part in resolving ties.
    vocabulary : pandas.Series, mapping or iterable of str
        Folded word -> count (:func:`corpus_vocabulary`), a DataFrame with ``word`` and
        ``count``, or words (each occurrence counts 1).
    concepts : iterable of str, optional
        Report neighbours of these concepts only (default: all).
    max_distance : int, default 1
        Largest Levenshtein distance, 0 to :data:`MAX_DISTANCE` (0 finds nothing).
    min_length : int, default 6
        Shortest folded term (without ``*``) and neighbour, at least 3.
    min_count : int, default 1
        Ignore vocabulary words seen fewer times.
    score_cutoff : float, optional
        Also require the normalised similarity ``1 - distance / max(len(a), len(b))`` to
        reach this value (0 to 1), so that long terms tolerate more than short ones.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`NEIGHBOUR_COLUMNS`: ``concept``, ``term`` (lexicon text),
        ``variant`` (the folded variant compared, ``*`` for prefixes), ``neighbour``
        (folded; ``*`` for prefixes), ``distance`` and ``count`` (corpus occurrences the
        neighbour matches). One row per concept and neighbour, for the closest term;
        sorted by concept, term, distance, neighbour. ``attrs["ties"]`` lists the
        dropped ambiguous words.

    Raises
    ------
    ValueError
        ``max_distance``, ``min_length``, ``min_count`` or ``score_cutoff`` out of range.
    KeyError
        An unknown concept name (the message lists the known ones).
    TypeError
        ``vocabulary`` is not one of the accepted types.
    """
    max_distance = _check_int("max_distance", max_distance, 0, MAX_DISTANCE)
    min_length = _check_int("min_length", min_length, 3)
    min_count = _check_int("min_count", min_count, 1)
    if score_cutoff is not None and (isinstance(score_cutoff, bool)
                                     or not isinstance(score_cutoff, Real)
                                     or not 0 <= score_cutoff <= 1):
        raise ValueError(f"score_cutoff must be None or a number from 0 to 1, "
                         f"got {score_cutoff!r}")
    lexicon = lexicon if lexicon is not None else load_lexicon()
    selected = _check_concepts(lexicon, concepts)
    vocab = _vocabulary(vocabulary, min_count)
    empty = pd.DataFrame({c: pd.Series(dtype="int64" if c in ("distance", "count")
                                       else object) for c in NEIGHBOUR_COLUMNS})
    empty.attrs["ties"] = []
    if max_distance == 0 or vocab.empty or not selected:
        return empty

    d = max_distance
    keys, whole_own, prefix_own, reserved = _lexicon_keys(lexicon)
    keys = [k[:5] for k in keys if k[5] >= min_length]
    all_words = vocab["word"].to_numpy(dtype=object)
    lengths = np.fromiter((len(w) for w in all_words), dtype=np.int64, count=len(all_words))
    long_enough = lengths >= min_length
    words, wlen = all_words[long_enough], lengths[long_enough]
    count_of = vocab["count"].to_numpy(dtype=np.int64)[long_enough]

    # hits: (key, is_prefix, word index into `words`, neighbour text, distance, tiebreak)
    hits: list[pd.DataFrame] = []
    whole_keys = sorted({k[2] for k in keys if not k[3]})
    for n in sorted({len(k) for k in whole_keys}):
        queries = [k for k in whole_keys if len(k) == n]
        sel = np.flatnonzero((wlen >= n - d) & (wlen <= n + d))
        q, c, dist = _near(queries, words[sel], d, score_cutoff)
        if len(q):
            w = sel[c]
            hits.append(pd.DataFrame({"key": np.asarray(queries, dtype=object)[q],
                                      "is_prefix": False, "word": w,
                                      "neighbour": words[w], "distance": dist, "gap": 0,
                                      "plen": wlen[w]}))
    members: dict[str, np.ndarray] = {}  # prefix neighbour -> the words it begins
    prefix_keys = sorted({k[2] for k in keys if k[3]})
    plens = sorted({ln for k in prefix_keys for ln in range(len(k) - d, len(k) + d + 1)
                    if ln >= min_length})
    for ln in plens:
        queries = [k for k in prefix_keys if abs(len(k) - ln) <= d]
        sel = np.flatnonzero(wlen >= ln)
        if not queries or not len(sel):
            continue
        prefixes = [w[:ln] for w in words[sel].tolist()]
        uniques = np.asarray(list(dict.fromkeys(prefixes)), dtype=object)
        q, u, dist = _near(queries, uniques, d, score_cutoff)
        if not len(q):
            continue
        # expand each matching prefix to the words it begins
        begun: dict[str, list[int]] = {p: [] for p in uniques[u]}
        for i, p in zip(sel.tolist(), prefixes):
            if p in begun:
                begun[p].append(i)
        for p, idx in begun.items():
            members.setdefault(p, np.asarray(idx, dtype=np.int64))
        rep = np.array([len(begun[p]) for p in uniques[u]], dtype=np.int64)
        idx = np.concatenate([members[p] for p in uniques[u]])
        qk = np.asarray(queries, dtype=object)[np.repeat(q, rep)]
        hits.append(pd.DataFrame({"key": qk, "is_prefix": True, "word": idx,
                                  "neighbour": np.repeat(uniques[u], rep) + "*",
                                  "distance": np.repeat(dist, rep),
                                  "gap": np.abs(np.fromiter(map(len, qk), np.int64,
                                                            count=len(qk)) - ln),
                                  "plen": ln}))
    if not hits:
        return empty
    h = pd.concat(hits, ignore_index=True)
    # per (key, word) keep the closest prefix length (exact prefixes, distance 0, are gone)
    h = (h.sort_values(["key", "is_prefix", "word", "distance", "gap", "plen"],
                       kind="mergesort")
         .drop_duplicates(["key", "is_prefix", "word"]))

    # status of each candidate word
    cand = pd.unique(h["word"])
    cwords = words[cand]
    fixed = np.fromiter((fold(w) == w for w in cwords), bool, count=len(cwords))
    owned = [_owners(w, whole_own, prefix_own) for w in cwords]
    blocked = {int(i) for i, f, o, w in zip(cand, fixed, owned, cwords)
               if not f or o or w in reserved}
    owners = {int(i): o for i, o in zip(cand, owned)}
    fixed_of = dict(zip(cand.tolist(), fixed.tolist()))

    keyframe = pd.DataFrame(keys, columns=["concept", "term", "key", "is_prefix", "order"])
    keyframe = keyframe.drop_duplicates(["concept", "key", "is_prefix"])
    rows = h[~h["word"].isin(blocked)].merge(keyframe, on=["key", "is_prefix"])
    best = rows.groupby(["word", "concept"], sort=False)["distance"].min().reset_index()
    top = best.groupby("word")["distance"].transform("min")
    best = best[best["distance"] == top]
    n_top = best.groupby("word")["concept"].transform("size")
    tie_words = set(best.loc[n_top > 1, "word"].astype(int))
    winner = dict(zip(best.loc[n_top == 1, "word"].astype(int), best.loc[n_top == 1, "concept"]))
    rows = rows[rows["word"].map(winner).eq(rows["concept"])]
    rows = rows[rows["distance"] == rows["word"].map(dict(zip(best["word"], best["distance"])))]

    # one row per (concept, neighbour): the closest term, then lexicon order
    rows = (rows.sort_values(["concept", "neighbour", "distance", "order", "key"],
                             kind="mergesort")
            .drop_duplicates(["concept", "neighbour"]))
    out_counts, keep = [], []
    for concept, nb, is_prefix, w in zip(rows["concept"], rows["neighbour"], rows["is_prefix"],
                                         rows["word"]):
        if not is_prefix:
            out_counts.append(int(count_of[w]))
            keep.append(True)
            continue
        ok, total = True, 0
        for i in members[nb[:-1]].tolist():
            if not fixed_of[i]:
                continue  # never in normalised text
            total += int(count_of[i])
            if (words[i] in reserved or i in tie_words or owners[i] - {concept}
                    or winner.get(i, concept) != concept):
                ok = False
                break
        keep.append(ok)
        out_counts.append(total)
    rows = rows.assign(count=np.asarray(out_counts, dtype=np.int64))[np.asarray(keep, bool)]
    rows = rows[rows["concept"].isin(selected)]
    out = pd.DataFrame({
        "concept": rows["concept"].to_numpy(dtype=object),
        "term": rows["term"].to_numpy(dtype=object),
        "variant": (rows["key"] + np.where(rows["is_prefix"], "*", "")).to_numpy(dtype=object),
        "neighbour": rows["neighbour"].to_numpy(dtype=object),
        "distance": rows["distance"].to_numpy(dtype=np.int64),
        "count": rows["count"].to_numpy(dtype=np.int64),
    })
    out = out.sort_values(["concept", "term", "distance", "neighbour"], kind="mergesort")
    out = out.reset_index(drop=True)
    out.attrs["ties"] = sorted(str(words[i]) for i in tie_words)
    return out


# --------------------------------------------------------------------------- expansion

def with_neighbours(lexicon: Lexicon, neighbours: pd.DataFrame) -> Lexicon:
    """A copy of ``lexicon`` whose concepts also carry the OCR neighbours as terms.

    Each row becomes ``Term(neighbour, form="ocr", source="corpus neighbour of '<term>'
    (edit distance <d>)")``; prefix neighbours keep their ``*``. Neighbours already among a
    concept's terms are not added twice. ``lexicon`` is not changed.

    Parameters
    ----------
    lexicon : Lexicon
    neighbours : pandas.DataFrame
        From :func:`ocr_neighbours` (columns ``concept``, ``term``, ``neighbour``,
        ``distance``); review and filter it first if needed.

    Returns
    -------
    Lexicon

    Raises
    ------
    KeyError
        A column is missing or a concept is not in ``lexicon``.
    ValueError
        A neighbour is not a lower-case word with an optional trailing ``*``.
    """
    missing = {"concept", "term", "neighbour", "distance"} - set(neighbours.columns)
    if missing:
        raise KeyError(f"neighbours lack column(s) {sorted(missing)}")
    unknown = sorted(set(neighbours["concept"]) - set(lexicon.names))
    if unknown:
        raise KeyError(f"unknown concept(s) {unknown}; known: {', '.join(lexicon.names)}")
    added: dict[str, list[Term]] = {}
    for n, (concept, term, nb, dist) in enumerate(zip(
            neighbours["concept"], neighbours["term"], neighbours["neighbour"],
            neighbours["distance"])):
        if not isinstance(nb, str) or nb != nb.lower() or not re.fullmatch(r"\w+\*?", nb):
            raise ValueError(f"neighbours row {n}: neighbour must be a lower-case word with "
                             f"an optional trailing '*', got {nb!r}")
        # a misreading of an ambiguous term needs the same context words (delir, speed)
        of = next((t for t in lexicon[concept].terms if t.text == term), None)
        added.setdefault(concept, []).append(Term(
            nb, form="ocr", source=f"corpus neighbour of '{term}' (edit distance {int(dist)})",
            requires=of.requires if of else (), unless=of.unless if of else (),
            exclude=of.exclude if of else ()))
    concepts = dict(lexicon.concepts)
    for name, new in added.items():
        c = concepts[name]
        seen = {t.text for t in c.terms}
        extra = []
        for t in new:
            if t.text not in seen:
                seen.add(t.text)
                extra.append(t)
        concepts[name] = replace(c, terms=c.terms + tuple(extra))
    return Lexicon(concepts)


def expand_lexicon(lexicon: Lexicon | None, texts, **kw) -> tuple[Lexicon, pd.DataFrame]:
    """Vocabulary, neighbours and expansion in one step.

    Parameters
    ----------
    lexicon : Lexicon or None
        None: the shipped lexicon.
    texts : iterable of str, pandas.Series or pandas.DataFrame
        As for :func:`corpus_vocabulary`.
    **kw
        Passed to :func:`ocr_neighbours` (``concepts``, ``max_distance``, ``min_length``,
        ``min_count``, ``score_cutoff``).

    Returns
    -------
    lexicon : Lexicon
        The expanded copy (:func:`with_neighbours`).
    neighbours : pandas.DataFrame
        The audit table of :func:`ocr_neighbours`.
    """
    lexicon = lexicon if lexicon is not None else load_lexicon()
    table = ocr_neighbours(lexicon, corpus_vocabulary(texts), **kw)
    return with_neighbours(lexicon, table), table
