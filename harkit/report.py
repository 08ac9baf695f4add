"""Execute the curated notebooks and render them as HTML reports.

The notebooks ship inside the package (``harkit/notebooks/``), so an installed harkit
renders them without a checkout. Each notebook has a cell tagged ``parameters``; the
values given here are assigned in a cell inserted after it (papermill's convention), so
the same notebook runs on the bundled fixture or, inside a secure research environment,
on a real extract::

    harkit report --out reports                       # the bundled fixture
    harkit report --extract /secure/delivery --out /secure/reports

The notebooks are never modified: they are executed in memory and converted from there.
The kernel is this Python interpreter (no installed kernelspec is needed or consulted),
reached over local IPC sockets rather than TCP where the platform has them. Reports are
for readers: code is hidden unless asked for, and nbval's ``# NBVAL_*`` markers are
dropped.
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

#: Lines that only steer the notebook tests (nbval), never shown in a report.
_NBVAL_MARKER = re.compile(r"^[ \t]*#[ \t]*NBVAL_\w+[ \t]*$\n?", re.MULTILINE)


def notebooks_dir() -> Path:
    """Return the folder of the curated notebooks (``harkit/notebooks/``, package data).

    Returns
    -------
    pathlib.Path
    """
    return Path(__file__).resolve().parent / "notebooks"


def _require_report_extra() -> None:
    """Say how to get what rendering needs, instead of a bare ModuleNotFoundError."""
    missing = [m for m in ("nbformat", "nbclient", "nbconvert", "ipykernel")
               if importlib.util.find_spec(m) is None]
    if missing:
        raise ModuleNotFoundError(
            f"rendering reports needs {', '.join(missing)}: install harkit with its report "
            "extra, `pip install \"harkit[report]\"` (offline: add --no-index --find-links "
            "<wheelhouse>)")


def _kernel_manager_class(ipc_dir: str | None) -> type:
    """A kernel manager that starts ipykernel with this interpreter, over IPC.

    Why: the ``python3`` kernelspec found on disk may belong to another Python (a user's
    Jupyter, a system install) without harkit, while the notebooks must run where harkit
    is installed. And a local kernel needs no TCP ports: ipykernel (7+) warns for every
    kernel started over TCP without CurveZMQ encryption, whereas IPC sockets live in a
    private folder (``ipc_dir``, absolute: the kernel runs in the notebook's folder).
    ``ipc_dir=None`` (Windows, which has no IPC transport) keeps TCP.
    """
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class _ThisInterpreter(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"Python {sys.version_info.major}.{sys.version_info.minor}",
                language="python", name=kernel_name)

    class _LocalKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("kernel_spec_manager", _ThisInterpreter())
            if ipc_dir is not None:
                kwargs.setdefault("transport", "ipc")
                kwargs.setdefault("ip", os.path.join(ipc_dir, "kernel"))
            super().__init__(**kwargs)

    return _LocalKernelManager


def _execute(nb: Any, cwd: Path, timeout: int) -> None:
    """Execute a notebook node in place in a fresh kernel of this interpreter."""
    from nbclient import NotebookClient

    # mkdtemp makes the folder readable by this user only; short path (socket names are
    # limited to about 100 characters)
    ipc_dir = None if os.name == "nt" else tempfile.mkdtemp(prefix="harkit-kernel-")
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       kernel_manager_class=_kernel_manager_class(ipc_dir),
                       resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        if ipc_dir is not None:
            shutil.rmtree(ipc_dir, ignore_errors=True)


def inject_parameters(nb: Any, parameters: Mapping[str, Any]) -> Any:
    """Assign parameters in a cell inserted after the cell tagged ``parameters``.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook, changed in place.
    parameters : mapping of str to object
        Names and values; each value is written as its ``repr``.

    Returns
    -------
    nbformat.NotebookNode
        ``nb``; the new cell is tagged ``injected-parameters`` and comes first when no
        cell is tagged ``parameters``.
    """
    import nbformat

    if not parameters:
        return nb
    source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    at = next((i + 1 for i, c in enumerate(nb.cells)
               if "parameters" in c.get("metadata", {}).get("tags", [])), 0)
    nb.cells.insert(at, cell)
    return nb


def for_readers(nb: Any) -> Any:
    """Drop what only the notebook tests need: nbval's ``# NBVAL_*`` marker lines.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook, changed in place.

    Returns
    -------
    nbformat.NotebookNode
        ``nb``.
    """
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = _NBVAL_MARKER.sub("", cell.source).strip("\n")
    return nb


def render(
    notebooks: Sequence[str | Path] | None = None,
    out_dir: str | Path = "reports",
    *,
    extract_path: str | Path | None = None,
    include_code: bool = False,
    progress: bool = True,
    timeout: int = 1800,
    check: bool = True,
) -> list[Path]:
    """Execute notebooks and write one HTML report each, plus an index page.

    Parameters
    ----------
    notebooks : sequence of path, optional
        Notebooks to render; default every ``*.ipynb`` in :func:`notebooks_dir`.
    out_dir : str or pathlib.Path, default "reports"
        Folder for the HTML files (created if needed).
    extract_path : str or pathlib.Path, optional
        A delivery to analyse, passed to each notebook's ``extract_path`` parameter;
        None analyses the bundled fixture.
    include_code : bool, default False
        Show the code cells (and their prompts) in the report; by default a report shows
        narrative and results only.
    progress : bool, default True
        Show a progress bar over the notebooks.
    timeout : int, default 1800
        Seconds a single cell may run.
    check : bool, default True
        Search every report for person ids and exact dates of birth or death of the
        extract (:func:`harkit.privacy.check_no_identifiers`) and raise if any is found.

    Returns
    -------
    list of pathlib.Path
        The HTML files written, the index last.

    Raises
    ------
    ModuleNotFoundError
        harkit was installed without its ``report`` extra.
    harkit.errors.HarkitError
        ``check`` found an identifier in a report (the reports stay on disk, named in the
        message, for inspection inside the secure environment).
    """
    _require_report_extra()
    import nbformat
    from nbconvert import HTMLExporter

    paths = sorted(notebooks_dir().glob("*.ipynb")) if notebooks is None else [
        Path(p) for p in notebooks]
    if not paths:
        raise FileNotFoundError(f"no notebooks to render in {notebooks_dir()}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    parameters = {"extract_path": None if extract_path is None else str(extract_path)}
    exporter = HTMLExporter(exclude_input=not include_code,
                            exclude_input_prompt=not include_code,
                            exclude_output_prompt=not include_code)
    written: list[Path] = []
    for path in tqdm(paths, desc="rendering notebooks", disable=not progress):
        nb = inject_parameters(nbformat.read(str(path), as_version=4), parameters)
        _execute(nb, path.parent, timeout)
        body, _ = exporter.from_notebook_node(for_readers(nb))
        target = out / f"{path.stem}.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
    index = out / "index.html"
    index.write_text(_index_html(list(zip(paths, written))), encoding="utf-8")
    written.append(index)
    if check:
        _check_reports(written, extract_path)
    return written


def notebook_title(path: str | Path) -> tuple[str, str]:
    """Title (first heading) and first paragraph of a notebook's first markdown cell.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    tuple of str
        ``(title, lead)``, the lead as plain text (Markdown marks removed); the file stem
        and ``""`` when the notebook has no heading.
    """
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = [ln.strip() for ln in cell.source.splitlines()]
        title = next((ln.lstrip("#").strip() for ln in lines if ln.startswith("#")), "")
        body = [ln for ln in lines if ln and not ln.startswith("#")]
        # plain text for the index: no quote marker, emphasis or code marks
        lead = re.sub(r"[*_`]", "", body[0].lstrip("> ")) if body else ""
        return title or Path(path).stem, lead
    return Path(path).stem, ""


def _policy_text() -> str:
    """What the disclosure-control policy in force does, for the report index."""
    from harkit.privacy import get_policy

    return get_policy().describe()


def _index_html(pairs: list[tuple[Path, Path]]) -> str:
    items = []
    for source, report in pairs:
        title, lead = notebook_title(source)
        items.append(f'<li><a href="{html.escape(report.name)}">{html.escape(title)}</a>'
                     f"<br><small>{html.escape(lead)}</small></li>")
    return ("<!doctype html><html><head><meta charset='utf-8'><title>harkit reports</title>"
            "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto}"
            "li{margin:0.8em 0}</style></head><body><h1>harkit reports</h1>"
            "<p>Each report answers one research question on the extract it was run on. "
            f"Counts are shown after disclosure control: {html.escape(_policy_text())}.</p>"
            f"<ul>{''.join(items)}</ul></body></html>")


def _check_reports(paths: list[Path], extract_path: str | Path | None) -> None:
    from harkit.datasets import load_fixture
    from harkit.errors import HarkitError
    from harkit.io import read_extract
    from harkit.privacy import check_no_identifiers

    extract = load_fixture() if extract_path is None else read_extract(extract_path)
    bad = []
    for path in paths:
        found = check_no_identifiers(path, extract=extract)
        if len(found):
            bad.append(f"{path.name}: {len(found)} finding(s), first at {found['where'].iloc[0]}"
                       f" ({found['kind'].iloc[0]})")
    if bad:
        raise HarkitError("person identifiers or exact dates in reports: " + "; ".join(bad))


def refresh_notebooks(notebooks: Sequence[str | Path] | None = None, *,
                      timeout: int = 1800, progress: bool = True) -> list[Path]:
    """Re-execute the curated notebooks in place on the bundled fixture.

    The outputs are what nbval compares against; execution timestamps are dropped so a
    re-run changes only what really changed, and each notebook's jupytext ``.py`` pair
    (the reviewable source) is brought in sync.

    Parameters
    ----------
    notebooks : sequence of path, optional
        Default every ``*.ipynb`` in :func:`notebooks_dir`.
    timeout : int, default 1800
        Seconds a single cell may run.
    progress : bool, default True
        Show a progress bar.

    Returns
    -------
    list of pathlib.Path
        The notebooks refreshed.
    """
    import nbformat

    paths = sorted(notebooks_dir().glob("*.ipynb")) if notebooks is None else [
        Path(p) for p in notebooks]
    for path in tqdm(paths, desc="executing notebooks", disable=not progress):
        nb = nbformat.read(str(path), as_version=4)
        _execute(nb, path.parent, timeout)
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
        nbformat.write(nb, str(path))
        pair = path.with_suffix(".py")
        if pair.exists():
            import jupytext

            jupytext.write(nb, str(pair), fmt="py:percent")
    return paths


def _main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m harkit.report")
    parser.add_argument("--refresh-notebooks", action="store_true",
                        help="re-execute the curated notebooks in place")
    parser.add_argument("notebooks", nargs="*", help="notebooks (default: all)")
    args = parser.parse_args(argv)
    if args.refresh_notebooks:
        refresh_notebooks(args.notebooks or None)
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(_main())
