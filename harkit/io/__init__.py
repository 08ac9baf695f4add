"""Reading and writing register deliveries.

``read_extract`` reads a delivery (CSV/TXT, Parquet, Stata, SAS, Excel; Norwegian or
English names; long or wide layouts), validates every row and accounts for it;
``write_extract`` writes an :class:`~harkit.extract.Extract` back as a delivery.
See ``docs/data-model.md`` for the rules.
"""

from harkit.io.encoding import Decoding, decide_encoding
from harkit.io.files import detect_delimiter, detect_encoding, read_raw
from harkit.io.identity import IdentifierWarning, valid_identity_numbers
from harkit.io.names import canonical_name, identify_table, table_from_stem
from harkit.io.reader import read_extract
from harkit.io.records import split_units
from harkit.io.rejects import mask_values
from harkit.io.writer import write_extract

__all__ = [
    "Decoding",
    "IdentifierWarning",
    "canonical_name",
    "decide_encoding",
    "detect_delimiter",
    "detect_encoding",
    "identify_table",
    "mask_values",
    "read_extract",
    "read_raw",
    "split_units",
    "table_from_stem",
    "valid_identity_numbers",
    "write_extract",
]
