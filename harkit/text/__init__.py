"""Concept search in record text: lexicon, query language, normalisation and context.

Concepts as data (:func:`load_lexicon`), the query language (:func:`parse`,
:func:`evaluate_query`), record-text normalisation with offsets back to the original
(:func:`normalise`), ConText-style context (:func:`context_of`, rules as data:
:func:`read_rules`) and the search itself::

    hits = hk.text.search(ex.documents, "@alcohol AND NOT @family")
    hk.text.flags(hits, ex.documents, level="person")
    hk.text.kwic(hits, n=20)          # no ids, dates masked as [dato]

Record texts are folded in batches (:func:`fold_batch`), the terms found in the same
pass; only windows around candidate matches are judged for context.
``search(..., processes=2)`` spreads the chunks over worker processes and
:func:`search_dask` runs the same search on a Dask DataFrame. :func:`expand_lexicon` adds
OCR misreadings of the terms found in a corpus.

To measure a search: :func:`evaluate` scores hits against annotations (:func:`read_brat`,
:func:`read_spans`); :func:`validation_sample`, :func:`export_sample`, :func:`read_labels`
and :func:`validation_summary` are a hand-validation round (PPV and sensitivity with
intervals).
"""

from harkit.text.batch import FoldedBatch, fold_batch
from harkit.text.context import CATEGORIES, ContextRules, context_batch, context_of, read_rules
from harkit.text.engine import (
    HIT_COLUMNS,
    Matcher,
    compile_query,
    flags,
    kwic,
    search,
    search_chunk,
)
from harkit.text.explain import co_mentions, sentence_ids, triggers
from harkit.text.fuzzy import corpus_vocabulary, expand_lexicon, ocr_neighbours, with_neighbours
from harkit.text.lexicon import Lexicon, LexiconError, load_lexicon
from harkit.text.mask import DATE_MASK, DATE_PATTERN, mask_dates
from harkit.text.normalise import Normalised, fold, normalise, tokens
from harkit.text.parallel import collect_dask, run_chunks, search_dask
from harkit.text.query import (
    Hit,
    QuerySyntaxError,
    UnknownConceptError,
    parse,
)
from harkit.text.query import evaluate as evaluate_query
from harkit.text.validate import (
    evaluate,
    export_sample,
    read_brat,
    read_labels,
    read_spans,
    validation_sample,
    validation_summary,
)

__all__ = [
    "CATEGORIES",
    "DATE_MASK",
    "DATE_PATTERN",
    "FoldedBatch",
    "collect_dask",
    "corpus_vocabulary",
    "expand_lexicon",
    "fold_batch",
    "ocr_neighbours",
    "run_chunks",
    "search_dask",
    "with_neighbours",
    "HIT_COLUMNS",
    "Matcher",
    "compile_query",
    "flags",
    "kwic",
    "search",
    "search_chunk",
    "ContextRules",
    "Hit",
    "Lexicon",
    "LexiconError",
    "Normalised",
    "QuerySyntaxError",
    "UnknownConceptError",
    "context_batch",
    "context_of",
    "evaluate",
    "evaluate_query",
    "co_mentions",
    "sentence_ids",
    "triggers",
    "export_sample",
    "read_brat",
    "read_labels",
    "read_spans",
    "validation_sample",
    "validation_summary",
    "fold",
    "load_lexicon",
    "mask_dates",
    "normalise",
    "parse",
    "read_rules",
    "tokens",
]
