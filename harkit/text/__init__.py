"""Concept search in record text: lexicon, query language, normalisation and context.

Built so far: concepts as data (:func:`load_lexicon`), the query language (:func:`parse`,
:func:`evaluate`), record-text normalisation with offsets back to the original
(:func:`normalise`) and ConText-style context (:func:`context_of`). The matching engine
(`search`, `flags`, `kwic`) is the next step.
"""

from harkit.text.context import CATEGORIES, ContextRules, context_batch, context_of, read_rules
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
