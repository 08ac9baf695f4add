"""Rendering the curated notebooks into HTML reports, and what the reports may show."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from harkit import privacy
from harkit.datasets import load_fixture
from harkit.errors import HarkitError
from harkit.report import notebook_title, notebooks_dir, refresh_notebooks, render

NOTEBOOKS = sorted(notebooks_dir().glob("*.ipynb"))
# column names that hold counts of persons, deaths, episodes ... in the notebooks' tables
COUNT_COLUMN = re.compile(r"^(n|N|count|Count|deaths|persons|patients|episodes|documents"
                          r"|n_\w+|\w+_n|N \(.*\)|n \(.*\))$")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    return render(out_dir=out, progress=False)  # raises if a report shows an identifier


def test_every_notebook_is_rendered_with_an_index(reports):
    assert [p.stem for p in reports[:-1]] == [p.stem for p in NOTEBOOKS]
    index = reports[-1].read_text(encoding="utf-8")
    for nb in NOTEBOOKS:
        title, _ = notebook_title(nb)
        assert f'href="{nb.stem}.html"' in index and title.split("·")[-1].strip() in index
    assert "*" not in index and "&gt;" not in index  # leads are plain text
    assert len(NOTEBOOKS) >= 10, "notebooks 00-09"


def test_reports_show_no_identifiers(reports):
    fixture = load_fixture()
    for page in reports:
        assert privacy.check_no_identifiers(page, extract=fixture).empty, page.name


def _count_cells(page: Path):
    try:
        tables = pd.read_html(StringIO(page.read_text(encoding="utf-8")))
    except ValueError:  # no tables
        return
    for k, table in enumerate(tables):
        for col in table.columns:
            name = " ".join(map(str, col)) if isinstance(col, tuple) else str(col)
            if COUNT_COLUMN.match(name.strip()):
                for value in table[col]:
                    yield k, name, value


def test_reports_show_no_small_counts(reports):
    shown = 0
    for page in reports[:-1]:
        for k, name, value in _count_cells(page):
            text = str(value).strip()
            if re.fullmatch(r"\d+", text):
                shown += 1
                assert not 1 <= int(text) <= 4, f"{page.name} table {k} column {name!r}: {text}"
    assert shown > 50  # the check looked at real count columns


# integer columns of the reports that count things other than persons or events
NOT_A_COUNT = re.compile(r"(^Unnamed|strata|covariates|joinpoints|YLL|year|age|period|level"
                         r"|rank|code|kode|decade|distance)", re.IGNORECASE)


def _integer_cells(page: Path):
    """Every whole number shown in a table of the page, outside index and non-count columns."""
    try:
        tables = pd.read_html(StringIO(page.read_text(encoding="utf-8")))
    except ValueError:
        return
    for k, table in enumerate(tables):
        for col in table.columns:
            name = " ".join(map(str, col)) if isinstance(col, tuple) else str(col)
            if NOT_A_COUNT.search(name):
                continue
            for value in table[col].tolist():
                text = str(value).strip().replace(",", "")
                if re.fullmatch(r"\d+", text) and not 1900 <= int(text) <= 2030:
                    yield k, name, int(text)


def test_reports_round_every_count_so_no_subtraction_across_tables_recovers_one(reports):
    # The report policy rounds every shown count to 5 (counts <= 7 hidden): a difference of
    # two shown counts, in one table or across tables, is then a multiple of 5 whose true
    # value is uncertain by up to 4 either way, so no count 1-4 follows by subtraction.
    policy = privacy.REPORT_POLICY
    seen = 0
    for page in reports[:-1]:
        for k, name, value in _integer_cells(page):
            seen += 1
            assert value % policy.round_to == 0, f"{page.name} table {k} {name!r}: {value}"
    assert seen > 200  # the check looked at the reports' counts


def test_reports_resist_an_integer_attack_on_each_table(reports):
    # Per table: margins and visible cells as an integer program (privacy.attack_tables);
    # no hidden count may come out exactly as 1..threshold-1.
    attacked = 0
    for page in reports[:-1]:
        try:
            tables = pd.read_html(StringIO(page.read_text(encoding="utf-8")))
        except ValueError:
            continue
        for k, table in enumerate(tables):
            table = table.set_index(table.columns[0])
            table.columns = [" ".join(map(str, c)) if isinstance(c, tuple) else str(c)
                             for c in table.columns]
            marked = table.astype(str).isin(["*", f"<{privacy.REPORT_POLICY.threshold}"])
            if not marked.to_numpy().any():
                continue
            try:
                found = privacy.attack_tables({f"{page.stem}:{k}": table.astype(str)},
                                              threshold=privacy.REPORT_POLICY.threshold,
                                              round_to=privacy.REPORT_POLICY.round_to)
            except ValueError:  # not a table of counts that add up
                continue
            attacked += 1
            assert not found.attrs["disclosed"], (page.name, k, found.attrs["disclosed"])
    assert attacked > 5


def test_a_report_with_an_identifier_is_refused(tmp_path):
    pid = load_fixture().persons["person_id"].iloc[0]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Leak"),
                nbformat.v4.new_code_cell("extract_path = None", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(f"print({pid!r})")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = tmp_path / "leak.ipynb"
    nbformat.write(nb, str(path))
    with pytest.raises(HarkitError, match="leak.html"):
        render([path], out_dir=tmp_path / "out", progress=False)
    assert (tmp_path / "out" / "leak.html").exists()  # kept for inspection


def test_refresh_notebooks_executes_in_place_and_syncs_the_pair(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Small"), nbformat.v4.new_code_cell("6 * 7")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = tmp_path / "small.ipynb"
    nbformat.write(nb, str(path))
    (tmp_path / "small.py").write_text("# stale\n")
    refresh_notebooks([path], progress=False)
    done = json.loads(path.read_text())
    code = done["cells"][1]
    assert "".join(code["outputs"][0]["data"]["text/plain"]) == "42"
    assert "execution" not in code["metadata"]
    assert "6 * 7" in (tmp_path / "small.py").read_text()


def _small_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Small\n\nA lead."),
                nbformat.v4.new_code_cell("extract_path = None", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nimport sys\n"
                                          "unique_marker = 6 * 7\n"
                                          "print(sys.executable, extract_path)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(path))
    return path


def test_reports_hide_code_by_default_and_run_in_this_interpreter(tmp_path, capfd):
    import sys

    nb = _small_notebook(tmp_path / "small.ipynb")
    page = render([nb], out_dir=tmp_path / "out", extract_path="/some/delivery",
                  progress=False, check=False)[0].read_text(encoding="utf-8")
    assert "unique_marker" not in page and 'class="highlight' not in page  # no code
    assert "NBVAL" not in page
    # the kernel is this interpreter (not whatever "python3" kernelspec is installed),
    # and it got the parameter
    assert f"{sys.executable} /some/delivery" in page
    # a local IPC kernel: no warning about unencrypted TCP from ipykernel
    assert "without encryption" not in capfd.readouterr().err


def test_show_code_keeps_code_without_nbval_markers(tmp_path):
    nb = _small_notebook(tmp_path / "small.ipynb")
    page = render([nb], out_dir=tmp_path / "out", include_code=True, progress=False,
                  check=False)[0].read_text(encoding="utf-8")
    assert "unique_marker" in page and "NBVAL" not in page


def test_parameters_go_after_the_parameters_cell():
    from harkit.report import inject_parameters

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# T"),
                nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("x")]
    inject_parameters(nb, {"x": 2, "path": "/a b"})
    assert nb.cells[2].source == "x = 2\npath = '/a b'"
    assert nb.cells[2].metadata["tags"] == ["injected-parameters"]
    untagged = nbformat.v4.new_notebook()
    untagged.cells = [nbformat.v4.new_code_cell("y")]
    assert inject_parameters(untagged, {"y": 1}).cells[0].source == "y = 1"


def test_notebooks_are_package_data():
    # one source of truth: the notebooks live inside the package, so a wheel carries them
    import harkit

    assert notebooks_dir() == Path(harkit.__file__).parent / "notebooks"
    assert len(NOTEBOOKS) >= 10


def test_missing_report_extra_says_how_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "nbclient" else real(name, *a))
    with pytest.raises(ModuleNotFoundError, match=r"harkit\[report\]"):
        render(progress=False)
