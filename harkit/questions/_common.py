"""Shared by the question modules."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from harkit.privacy import DisclosureWarning


@contextmanager
def quiet() -> Iterator[None]:
    """Silence the warnings of a library call, except disclosure warnings.

    The question modules report model caveats in their own notes; a warning that a table
    could not be protected must still reach the reader.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("default", DisclosureWarning)
        yield
