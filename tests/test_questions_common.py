"""The question modules silence library warnings, never disclosure warnings."""

import warnings

import pandas as pd
import pytest

from harkit.privacy import DisclosureWarning, suppress
from harkit.questions._common import quiet


def test_quiet_keeps_disclosure_warnings_only():
    with pytest.warns(DisclosureWarning), quiet():
        warnings.warn("model did not converge", UserWarning, stacklevel=2)
        warnings.warn("cannot protect this table", DisclosureWarning, stacklevel=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with quiet():
            warnings.warn("model did not converge", UserWarning, stacklevel=2)
    assert caught == []


def test_a_real_disclosure_warning_passes_through():
    # a one-row cross-table cannot be protected by secondary suppression
    with warnings.catch_warnings(record=True) as direct:
        warnings.simplefilter("always")
        suppress(pd.DataFrame({"a": [3], "b": [10]}), secondary=True)
    expected = [w.category for w in direct if issubclass(w.category, DisclosureWarning)]
    assert expected
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with quiet():
            suppress(pd.DataFrame({"a": [3], "b": [10]}), secondary=True)
    assert [w.category for w in caught] == expected
