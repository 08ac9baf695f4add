"""Property tests: a small delivery damaged at random still keeps both promises.

Each example mutates the bytes of ``pasient.csv`` or ``diagnose.csv`` (byte flips,
inserted quotes, NULs, separators and line breaks, deleted bytes, truncation, another
encoding) and checks:

* accounting: every physical line is the header, blank, part of a kept row or rejected,
  and ``rows_read == rows_kept + rows_rejected`` (helpers in ``_damage.py``);
* content: every kept row equals its source line(s) as the ``csv`` module splits them
  under the decoding harkit reports, unless a note names the line;
* no crash other than a :class:`harkit.errors.ExtractError` naming the file, and no
  identifier or exact date of the source in any message.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from _damage import check_extract, check_raw, small_delivery
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harkit import io
from harkit.errors import ExtractError

INTERESTING = [b'"', b";", b",", b"\n", b"\r", b"\r\n", b"\x00", b"\xe6", b"\xf8", b"\xc3",
               b"\xff", b'""', b"\t", b"\xef\xbb\xbf"]
at = st.floats(min_value=0, max_value=1, allow_nan=False)
flip = st.tuples(st.just("flip"), at, st.one_of(st.sampled_from(INTERESTING),
                                                 st.binary(min_size=1, max_size=1)))
insert = st.tuples(st.just("insert"), at, st.sampled_from(INTERESTING))
delete = st.tuples(st.just("delete"), at, st.integers(min_value=1, max_value=12))
truncate = st.tuples(st.just("truncate"), at, st.none())
encode = st.tuples(st.just("encode"), st.none(),
                   st.sampled_from(["utf-16-le", "utf-16-be", "utf-16", "utf-8-sig",
                                    "cp1252", "utf-32-le"]))
mutation = st.one_of(flip, insert, delete, truncate, encode)


def mutate(data: bytes, kind: str, where: float | None, what) -> bytes:
    pos = int((where or 0) * max(len(data) - 1, 0))
    if kind == "flip":
        return data[:pos] + what + data[pos + 1:]
    if kind == "insert":
        return data[:pos] + what + data[pos:]
    if kind == "delete":
        return data[:pos] + data[pos + what:]
    if kind == "truncate":
        return data[:pos]
    return data.decode("utf-8", errors="replace").encode(what, errors="replace")


@given(st.sampled_from(["pasient.csv", "diagnose.csv"]),
       st.lists(mutation, min_size=1, max_size=4))
@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_damaged_delivery_keeps_accounting_and_content(name, mutations):
    with tempfile.TemporaryDirectory() as d:
        folder = small_delivery(Path(d) / "delivery")
        path = folder / name
        data = path.read_bytes()
        for kind, where, what in mutations:
            data = mutate(data, kind, where, what)
        path.write_bytes(data)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                ex = io.read_extract(folder)
            except ExtractError as err:
                assert err.source_file is not None or "no readable" in str(err)
                return
        raws = {f.name: check_raw(f) for f in folder.glob("*.csv")}
        check_extract(ex, folder, [str(w.message) for w in caught], raws)
