"""harkit: epidemiology for the Norwegian Health Archive Register (Helsearkivregisteret).

The public API::

    import harkit as hk
    ex = hk.datasets.load_fixture()       # or hk.read_extract("/path/to/delivery")
    ex.summary()
"""

from harkit import (
    cohort,
    compare,
    datasets,
    errors,
    icd,
    lifetables,
    plot,
    privacy,
    report,
    schema,
    survival,
    synth,
    text,
    trends,
)
from harkit.extract import Extract
from harkit.io import read_extract, write_extract

__version__ = "0.1.0"

__all__ = [
    "Extract",
    "cohort",
    "compare",
    "datasets",
    "errors",
    "icd",
    "lifetables",
    "plot",
    "privacy",
    "report",
    "read_extract",
    "schema",
    "survival",
    "synth",
    "text",
    "trends",
    "write_extract",
]
