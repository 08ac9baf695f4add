"""docs/getting-started.md runs as written: its Python snippets execute on the bundled
fixture in order, and its ``harkit`` command lines are valid for the command."""

from __future__ import annotations

import re
import shlex
import warnings
from pathlib import Path

import matplotlib
import pytest

from harkit import cli, datasets
from harkit.privacy import DisclosureWarning

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "getting-started.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(encoding="utf-8"),
                      flags=re.DOTALL | re.MULTILINE)


def test_python_snippets_run_in_order_on_the_fixture(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = _blocks("python")
    assert len(blocks) >= 5
    namespace: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DisclosureWarning)  # the example table is publishable
        for k, block in enumerate(blocks):
            code = compile(block, f"{DOC.name} python block {k + 1}", "exec")
            exec(code, namespace)  # noqa: S102 - the documentation's own snippets
    # the walk went from the extract through the cohort to an estimate and a table
    assert len(namespace["cohort"]) == len(namespace["ex"].persons)
    assert "aware_mean" in namespace["res"].table
    # the page's promise for the table of counts, whatever the data: every count below 5
    # is hidden, and every count shown is the true count
    counts, shown = namespace["counts"], namespace["shown"]
    keys = ["underlying_cause_group", "sud_group"]
    both = counts.merge(shown, on=keys, suffixes=("", "_shown"), validate="one_to_one")
    assert len(both) == len(counts)
    hidden = both["n_shown"].astype(str) == "*"
    assert hidden[both["n"] < 5].all()
    assert (both.loc[~hidden, "n_shown"].astype(int) == both.loc[~hidden, "n"]).all()
    # the primary suppression is backed up: no row or column has exactly one hidden cell
    for key in keys:
        per = hidden.groupby(both[key], observed=True).sum()
        assert not (per == 1).any(), key


def _command_lines() -> list[list[str]]:
    lines = []
    for block in _blocks("bash"):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("harkit "):
                line = re.sub(r'"\$\(.*\)"', str(datasets.fixture_dir()), line)
                lines.append(shlex.split(line)[1:])
    return lines


@pytest.mark.parametrize("argv", _command_lines(), ids=" ".join)
def test_command_lines_parse(argv):
    args = cli.build_parser().parse_args(argv)
    assert callable(args.func)


def test_make_targets_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"^make (\w+)", DOC.read_text(encoding="utf-8"), re.MULTILINE):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
