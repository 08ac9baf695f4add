"""Sphinx configuration of the harkit documentation (built with warnings as errors)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))

project = "harkit"
author = "the harkit developers"
copyright = "2026, the harkit developers"  # noqa: A001 - Sphinx's name

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "codelist_pages",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "generated/notebooks/*.py"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
# the notebooks are shown with the outputs they were committed with (run on the fixture)
nb_execution_mode = "off"
nb_output_stderr = "remove"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # dataclass fields are documented by autodoc already
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False, "ignore-module-all": True}
autosummary_generate = True
html_theme = "furo"
html_title = "harkit"
suppress_warnings = ["myst.header"]


def _copy_notebooks(app) -> None:
    """Copy the curated notebooks into the source tree (Sphinx reads only below docs/)."""
    target = DOCS / "generated" / "notebooks"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for nb in sorted((ROOT / "harkit" / "notebooks").glob("*.ipynb")):
        shutil.copy2(nb, target / nb.name)


def setup(app) -> None:
    app.connect("builder-inited", _copy_notebooks)
