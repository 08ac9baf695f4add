import matplotlib
import numpy as np
import pandas as pd

from harkit import plot

matplotlib.use("Agg")


def test_forest_draws_finite_rows_in_order_with_labels():
    table = pd.DataFrame({"term": ["a", "b", "c"], "group": ["x", "y", "z"],
                          "hr": [0.5, 2.0, np.nan], "lo": [0.3, 1.5, np.nan],
                          "hi": [0.9, 3.0, np.nan]})
    ax = plot.forest(table, "hr", "lo", "hi", ["term", "group"], xlabel="HR")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["b / y", "a / x"]  # bottom up: the first row on top; NaN row left out
    assert list(ax.get_yticks()) == [0, 1]
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "HR"
