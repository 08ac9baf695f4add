"""Concept search in record text: lexicon, query language, normalisation and context.

Concepts as data (:func:`load_lexicon`), the query language (:func:`parse`,
:func:`evaluate`), record-text normalisation with offsets back to the original
(:func:`normalise`), ConText-style context (:func:`context_of`) and the search itself::

    hits = hk.text.search(ex.documents, "@alcohol AND NOT @family")
    hk.text.flags(hits, ex.documents, level="person")
    hk.text.kwic(hits.head(20))

Still to come: fuzzy OCR neighbours, ``processes=``, ``search_dask`` and the throughput
benchmark.
"""

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
from harkit.text.lexicon import Lexicon, LexiconError, load_lexicon
from harkit.text.normalise import Normalised, fold, normalise, tokens
from harkit.text.query import (
    Hit,
    QuerySyntaxError,
    UnknownConceptError,
    evaluate,
    parse,
)

__all__ = [
    "CATEGORIES",
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
    "fold",
    "load_lexicon",
    "normalise",
    "parse",
    "read_rules",
    "tokens",
]
