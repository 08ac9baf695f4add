"""Reading and writing register deliveries.

``read_extract`` reads a delivery (CSV/TXT, Parquet, Stata, SAS; Norwegian or English
names; long or wide layouts), validates every row and accounts for it;
``write_extract`` writes an :class:`~harkit.extract.Extract` back as a delivery.
See ``docs/data-model.md`` for the rules.
"""

from harkit.io.files import detect_delimiter, detect_encoding, read_raw
from harkit.io.names import canonical_name, identify_table, table_from_stem
from harkit.io.reader import read_extract
from harkit.io.rejects import mask_values
from harkit.io.writer import write_extract

__all__ = [
    "canonical_name",
    "detect_delimiter",
    "detect_encoding",
    "identify_table",
    "mask_values",
    "read_extract",
    "read_raw",
    "table_from_stem",
    "write_extract",
]
