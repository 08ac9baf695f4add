"""Dates and date-like numbers in record text, and masking them for display.

Real record text holds dates, and a date of birth or death next to a concept hit identifies
the patient; a Norwegian national identity number (*fødselsnummer*, 11 digits) begins with
the date of birth. :func:`mask_dates` replaces every such string by ``[dato]``, which is
coarser than a year; :func:`harkit.text.kwic` applies it to everything it shows.
"""

from __future__ import annotations

import re

__all__ = ["DATE_MASK", "DATE_PATTERN", "mask_dates"]

_MONTHS = (r"jan(?:uar)?|feb(?:ruar)?|mar(?:s)?|apr(?:il)?|mai|jun[i]?|jul[i]?|aug(?:ust)?|"
           r"sep(?:t(?:ember)?)?|okt(?:ober)?|nov(?:ember)?|des(?:ember)?")
#: Dates and date-like numbers in record text, as in the examples that follow; 11-digit
#: numbers too (a Norwegian national identity number, *fødselsnummer*, begins with the date
#: of birth). Examples: ``12.03.1957``, ``12/3-57``, ``1957-03-12``, ``12 mars 1957`` (also
#: with a period after the day), ``mars 1957``.
DATE_PATTERN = re.compile(
    r"\b\d{11}\b"
    r"|\b\d{6}[ -]?\d{5}\b"
    r"|\b\d{4}[-./]\d{1,2}[-./]\d{1,2}\b"
    r"|\b\d{1,2}\s?[-./]\s?\d{1,2}\s?[-./]\s?(?:\d{4}|\d{2})\b"
    r"|\b\d{1,2}\.?\s*(?:" + _MONTHS + r")\.?\s*(?:\d{4}|\d{2})?\b"
    r"|\b(?:" + _MONTHS + r")\.?\s+\d{4}\b",
    flags=re.IGNORECASE,
)
#: What a masked date reads as.
DATE_MASK = "[dato]"


def mask_dates(text: str) -> str:
    """Replace dates and date-like numbers in a text by ``[dato]`` (:data:`DATE_PATTERN`).

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Examples
    --------
    >>> mask_dates("Innlagt 31.02.1957 for drukkenskap")
    'Innlagt [dato] for drukkenskap'
    """
    return DATE_PATTERN.sub(DATE_MASK, text)
