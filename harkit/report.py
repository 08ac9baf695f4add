"""Execute the curated notebooks and render them as HTML reports.

Each notebook has a ``parameters`` cell (papermill), so the same notebook runs on the
bundled fixture or, inside a secure research environment, on a real extract::

    harkit report --out reports                       # the bundled fixture
    harkit report --extract /secure/delivery --out /secure/reports

The committed notebooks are never modified: they are executed into a temporary
folder and converted from there.
"""

from __future__ import annotations

import html
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tqdm.auto import tqdm


def notebooks_dir() -> Path:
    """Return the folder of the curated notebooks (``notebooks/`` next to the package).

    Returns
    -------
    pathlib.Path
    """
    return Path(__file__).resolve().parents[1] / "notebooks"


def render(
    notebooks: Sequence[str | Path] | None = None,
    out_dir: str | Path = "reports",
    *,
    extract_path: str | Path | None = None,
    include_code: bool = True,
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
    include_code : bool, default True
        Keep the code cells in the report (False shows narrative and results only).
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
    harkit.errors.HarkitError
        ``check`` found an identifier in a report (the reports stay on disk, named in the
        message, for inspection inside the secure environment).
    """
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    paths = sorted(notebooks_dir().glob("*.ipynb")) if notebooks is None else [
        Path(p) for p in notebooks]
    if not paths:
        raise FileNotFoundError(f"no notebooks to render in {notebooks_dir()}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    parameters = {"extract_path": None if extract_path is None else str(extract_path)}
    exporter = HTMLExporter(exclude_input=not include_code)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in tqdm(paths, desc="rendering notebooks", disable=not progress):
            executed = Path(tmp) / path.name
            papermill.execute_notebook(
                str(path), str(executed), parameters=parameters, cwd=str(path.parent),
                progress_bar=False, execution_timeout=timeout, kernel_name="python3",
            )
            body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
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
    from nbclient import NotebookClient

    paths = sorted(notebooks_dir().glob("*.ipynb")) if notebooks is None else [
        Path(p) for p in notebooks]
    for path in tqdm(paths, desc="executing notebooks", disable=not progress):
        nb = nbformat.read(str(path), as_version=4)
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
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
