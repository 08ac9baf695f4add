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

    Returns
    -------
    list of pathlib.Path
        The HTML files written, the index last.
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
    links = "".join(
        f'<li><a href="{html.escape(p.name)}">{html.escape(p.stem)}</a></li>' for p in written)
    index = out / "index.html"
    index.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>harkit reports</title>"
        f"</head><body><h1>harkit reports</h1><ul>{links}</ul></body></html>",
        encoding="utf-8",
    )
    written.append(index)
    return written
