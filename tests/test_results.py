import pandas as pd
import pytest

from harkit.results import Result


def test_result_summary_html_and_missing_plot(capsys):
    res = Result(pd.DataFrame({"estimate": [1.5]}), method="test method",
                 notes=["biased if naive"])
    table = res.summary()
    printed = capsys.readouterr().out
    assert "test method" in printed and "biased if naive" in printed
    assert table["estimate"].tolist() == [1.5]
    assert "<li>biased if naive</li>" in res._repr_html_()
    with pytest.raises(NotImplementedError):
        res.plot()
