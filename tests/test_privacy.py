import pandas as pd
import pytest

from harkit import privacy


def test_small_counts_are_hidden_and_zero_kept():
    table = pd.DataFrame({"group": list("abcde"), "n": [0, 1, 4, 5, 1234]})
    out = privacy.suppress(table)
    assert out["n"].tolist() == ["0", "<5", "<5", "5", "1,234"]
    assert out.attrs["suppressed_cells"] == 2
    assert out["group"].tolist() == list("abcde")
    # The input is untouched.
    assert table["n"].tolist() == [0, 1, 4, 5, 1234]


def test_threshold_and_marker_are_configurable():
    table = pd.DataFrame({"n": [7, 8], "m": [3, 10]})
    out = privacy.suppress(table, ["n", "m"], threshold=8, marker="*")
    assert out["n"].tolist() == ["*", "8"]
    assert out["m"].tolist() == ["*", "10"]
    assert out.attrs["suppressed_cells"] == 2


def test_bad_counts_raise():
    with pytest.raises(ValueError, match="non-negative"):
        privacy.suppress(pd.DataFrame({"n": [-1, 3]}))
    with pytest.raises(ValueError, match="not in table"):
        privacy.suppress(pd.DataFrame({"n": [1]}), ["m"])
