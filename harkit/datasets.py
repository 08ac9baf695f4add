"""The registers that come with harkit: the bundled fixture and generated ones.

``load_fixture()`` reads the small synthetic delivery shipped inside the package
(``harkit/data/fixture/``: the register's Norwegian layout -- file stems, column names,
codes and ``dd.mm.yyyy`` text dates -- stored as Parquet to keep the wheel small) through
:func:`harkit.read_extract`, exactly as a real delivery would be read.
``load_synthetic(n, seed)`` generates a register in memory.

Rebuild the fixture (deterministic) with ``make fixture`` or
``python -m harkit.datasets --rebuild-fixture``; ``python -m harkit.datasets --path``
prints where it is (e.g. to try ``harkit validate`` on it).
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from harkit.extract import Extract

#: Seed and shape of the bundled fixture (about 4,000 persons with a substance-use
#: diagnosis and 4,000 comparison persons).
FIXTURE_SEED = 20261126
FIXTURE_PERSONS = 8000
FIXTURE_SUD_FRACTION = 0.5


def fixture_dir() -> Path:
    """Return the folder of the bundled synthetic delivery.

    The environment variable ``HARKIT_FIXTURE_DIR`` overrides the default, which is
    ``data/fixture`` inside the installed package (so an installed wheel has it too).

    Returns
    -------
    pathlib.Path
    """
    override = os.environ.get("HARKIT_FIXTURE_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "data" / "fixture"


def load_fixture(*, strict: bool = False) -> Extract:
    """Read the bundled synthetic delivery.

    Parameters
    ----------
    strict : bool, default False
        Passed to :func:`harkit.read_extract`.

    Returns
    -------
    Extract
        Its ``truth`` is None (the files carry no ground truth); regenerate with
        :func:`fixture_truth` when a test needs it.

    Raises
    ------
    FileNotFoundError
        If the fixture folder is missing.
    """
    from harkit.io import read_extract

    path = fixture_dir()
    if not path.is_dir():
        raise FileNotFoundError(
            f"bundled fixture not found at {path}; rebuild it with "
            "`python -m harkit.datasets --rebuild-fixture`"
        )
    return read_extract(path, strict=strict)


def fixture_truth():
    """Regenerate the fixture in memory and return its ground truth.

    Returns
    -------
    harkit.synth.Truth
        The planted parameters and per-person and per-document truth of the fixture.
    """
    return generate_fixture().truth


def generate_fixture() -> Extract:
    """Generate the fixture register in memory (same seed and shape as the files).

    Returns
    -------
    Extract
    """
    from harkit import synth

    return synth.generate(
        FIXTURE_PERSONS, seed=FIXTURE_SEED, sud_fraction=FIXTURE_SUD_FRACTION, progress=False
    )


def read_truth(directory: str | Path):
    """Read the ground truth of a synthetic register written by ``Extract.to_parquet``.

    Parameters
    ----------
    directory : str or pathlib.Path
        A folder written by :meth:`harkit.Extract.to_parquet` (the truth is in its
        ``_truth/`` subfolder).

    Returns
    -------
    harkit.synth.Truth or None
        None when the folder holds no ``_truth/``.
    """
    folder = Path(directory) / "_truth"
    if not folder.is_dir():
        return None
    from harkit.synth.params import Truth

    return Truth.read_parquet(folder)


def write_truth(truth, directory: str | Path) -> Path:
    """Write a synthetic register's truth beside its tables (``directory/_truth``).

    Parameters
    ----------
    truth : harkit.synth.Truth
    directory : str or pathlib.Path
        The extract's folder.

    Returns
    -------
    pathlib.Path
        The ``_truth`` folder written; :func:`read_truth` reads it back equal.
    """
    return truth.to_parquet(Path(directory) / "_truth")


def load_synthetic(n_persons: int = 10_000, seed: int = 1, *,
                   sud_fraction: float = FIXTURE_SUD_FRACTION, **kwargs) -> Extract:
    """Generate a synthetic register in memory.

    Parameters
    ----------
    n_persons : int, default 10,000
        Persons kept (all died inside the archive window).
    seed : int, default 1
        Seed of the generator.
    sud_fraction : float, default 0.5
        Share of persons with a substance-use disorder, as in the bundled fixture (a
        full-size register has a few percent: pass e.g. 0.02).
    **kwargs
        Passed to :func:`harkit.synth.generate` (e.g. ``death_window``).

    Returns
    -------
    Extract
        With ``truth`` set.
    """
    from harkit import synth

    kwargs.setdefault("progress", False)
    return synth.generate(n_persons, seed=seed, sud_fraction=sud_fraction, **kwargs)


def rebuild_fixture(target: Path | None = None) -> Path:
    """Regenerate the bundled delivery files from the generator.

    The files are the Norwegian delivery layout as Parquet (what
    ``harkit synth --format parquet --layout norwegian`` writes): one file per table,
    Norwegian names and codes, partial dates as text. Parquet rather than CSV only
    for size; :func:`load_fixture` still reads them through :func:`harkit.read_extract`.

    Parameters
    ----------
    target : pathlib.Path, optional
        Folder to write; default :func:`fixture_dir`. Its contents are replaced.

    Returns
    -------
    pathlib.Path
        The folder written.
    """
    from harkit.io import write_extract

    target = fixture_dir() if target is None else Path(target)
    if target.exists():
        shutil.rmtree(target)
    write_extract(generate_fixture(), target, format="parquet", layout="norwegian")
    return target


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harkit.datasets")
    parser.add_argument("--rebuild-fixture", action="store_true",
                        help="regenerate the bundled fixture from the generator")
    parser.add_argument("--path", action="store_true",
                        help="print the folder of the bundled fixture")
    args = parser.parse_args(argv)
    if args.rebuild_fixture:
        print(f"fixture written to {rebuild_fixture()}")
    elif args.path:
        print(fixture_dir())
    else:
        parser.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
