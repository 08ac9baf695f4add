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


def _labels(ax, which="x"):
    ax.figure.canvas.draw()
    axis = ax.xaxis if which == "x" else ax.yaxis
    ticks = axis.get_ticklabels() + axis.get_ticklabels(minor=True)
    return [t.get_text() for t in ticks if t.get_text()]


def test_log_axis_labels_are_plain_numbers():
    import matplotlib.pyplot as plt

    for lo, hi in [(0.25, 1.3), (0.55, 0.75), (0.02, 40.0)]:
        _, ax = plt.subplots()
        ax.plot([lo, hi], [0, 1])
        plot.log_axis(ax, "x")
        labels = _labels(ax)
        assert labels, (lo, hi)
        assert not any("10^" in s or "times" in s or "$" in s for s in labels), labels
        assert all(float(s.replace(",", "")) > 0 for s in labels)
        plt.close(ax.figure)


def test_forest_shades_groups_and_labels_the_log_axis_plainly():
    table = pd.DataFrame({"treatment": ["a", "a", "b", "b", "c"],
                          "method": ["crude", "adjusted"] * 2 + ["crude"],
                          "or": [0.6, 0.65, 1.0, 1.1, 0.9], "lo": [0.5, 0.5, 0.8, 0.9, 0.7],
                          "hi": [0.7, 0.8, 1.2, 1.3, 1.2]})
    ax = plot.forest(table, "or", "lo", "hi", ["treatment", "method"])
    assert len(ax.patches) == 1  # one shaded band: the middle group ("b")
    assert "0.6" in _labels(ax) or "0.5" in _labels(ax)


def test_axes_reuses_given_axes_or_makes_a_figure_of_the_size_asked():
    import matplotlib.pyplot as plt

    from harkit.plot import axes

    new = axes(None, (3.0, 2.0))
    assert tuple(new.figure.get_size_inches()) == (3.0, 2.0)
    assert axes(new) is new
    plt.close("all")
