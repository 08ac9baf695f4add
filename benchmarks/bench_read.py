"""Time ``harkit.read_extract`` against pyarrow's own read of the same files.

Usage::

    # write a delivery once (Norwegian CSV and canonical Parquet; not committed)
    .venv/bin/python benchmarks/bench_read.py --write 1300000 benchmarks/data/full
    # the same with identifiers numbered 1, 2, ... 10 (not in byte order)
    .venv/bin/python benchmarks/bench_read.py --plain-ids --write 1300000 benchmarks/data/plain
    # compare, each read in a fresh process of its own (so its peak memory is its own)
    .venv/bin/python benchmarks/bench_read.py --compare benchmarks/data/full
    # or time harkit alone on any delivery
    .venv/bin/python benchmarks/bench_read.py DELIVERY_DIR

``--compare`` reads ``csv/`` and ``parquet/`` under the folder four times, each in a new
process: harkit's ``read_extract``, and pyarrow into pandas (CSV with the dates parsed by
pyarrow's timestamp parsers, ``dd.mm.yyyy``, ``mm.yyyy`` and ``yyyy``; Parquet with
``pyarrow.parquet.read_table(...).to_pandas()``). For each it prints wall time (and CPU
time, steadier on a busy machine; pyarrow's threads add theirs), peak RSS (whole process,
and above the RSS once the libraries are imported) and the in-memory size of the
resulting tables (``memory_usage(deep=True)``), then the ratios: harkit time over pyarrow
time, and harkit peak RSS over the size of harkit's tables. It prints figures; it
asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_GIB = 1024 ** 3
#: Text forms of the Norwegian layout's dates, for pyarrow's own parse.
_DATE_FORMS = ["%d.%m.%Y", "%m.%Y", "%Y"]


def _peak_rss() -> int:
    """Peak resident set size of this process in bytes (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _current_rss() -> int:
    try:
        with open("/proc/self/statm") as fh:
            import os

            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return _peak_rss()


def _frames_bytes(frames: list) -> int:
    return int(sum(df.memory_usage(deep=True).sum() for df in frames))


def _date_columns(path: Path, names: list[str]) -> list[str]:
    from harkit import schema
    from harkit.io.names import canonical_name, table_from_stem

    table = table_from_stem(path.stem)
    if table is None:
        return []
    out = []
    for n in names:
        canon = canonical_name(table, n)
        if canon is not None and schema.TABLES[table].column(canon).kind == "date":
            out.append(n)
    return out


def _pyarrow_csv(folder: Path) -> list:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    frames = []
    for f in sorted(folder.glob("*.csv")):
        header = f.open(encoding="utf-8").readline().rstrip("\n").split(";")
        dates = _date_columns(f, header)
        # Dates parsed, everything else text (type inference per block can fail on a
        # column that turns out mixed further down a large file).
        types = {c: pa.timestamp("s") if c in dates else pa.string() for c in header}
        table = pacsv.read_csv(
            f, parse_options=pacsv.ParseOptions(delimiter=";", newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types=types,
                                                 timestamp_parsers=_DATE_FORMS))
        frames.append(table.to_pandas())
    return frames


def _pyarrow_parquet(folder: Path) -> list:
    import pyarrow.parquet as pq

    return [pq.read_table(f).to_pandas() for f in sorted(folder.glob("*.parquet"))]


def _child(kind: str, path: str) -> dict:
    """One measured read (run in a fresh process)."""
    import pandas as pd  # noqa: F401 - imported before the baseline is taken
    import pyarrow.csv  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    from harkit.io import read_extract

    base = _current_rss()
    t0, c0 = time.perf_counter(), time.process_time()
    if kind == "harkit":
        ex = read_extract(path)
        frames = list(ex.tables.values())
        extra = {"rows": {k: len(v) for k, v in ex.tables.items()}, "rejects": len(ex.rejects)}
    elif kind == "pyarrow-csv":
        frames, extra = _pyarrow_csv(Path(path)), {}
    else:
        frames, extra = _pyarrow_parquet(Path(path)), {}
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"seconds": seconds, "cpu": cpu, "peak": _peak_rss(), "base": base,
            "table_bytes": _frames_bytes(frames), "n_rows": sum(len(f) for f in frames), **extra}


def _run(kind: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(path)],
                         capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{kind} read of {path} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _line(label: str, r: dict) -> str:
    return (f"  {label:<26} {r['seconds']:6.1f} s (CPU {r['cpu']:6.1f} s)   "
            f"peak RSS {r['peak'] / _GIB:5.2f} GiB "
            f"(+{(r['peak'] - r['base']) / _GIB:4.2f} above imports)   "
            f"tables {r['table_bytes'] / _GIB:5.2f} GiB   {r['n_rows']:,} rows")


def compare(folder: Path) -> dict:
    """Read ``folder/csv`` and ``folder/parquet`` with harkit and with pyarrow; print.

    Parameters
    ----------
    folder : pathlib.Path
        Holds ``csv/`` (Norwegian layout) and ``parquet/`` deliveries of one register.

    Returns
    -------
    dict
        The measurements, by format and reader.
    """
    results: dict = {}
    for fmt, base_kind in (("csv", "pyarrow-csv"), ("parquet", "pyarrow-parquet")):
        sub = folder / fmt
        if not sub.is_dir():
            continue
        print(f"{fmt.upper()} delivery {sub}", flush=True)
        h = _run("harkit", sub)
        print(_line("harkit read_extract", h), flush=True)
        p = _run(base_kind, sub)
        print(_line(f"{base_kind} -> pandas", p))
        results[fmt] = {"harkit": h, "pyarrow": p}
        print(f"  time ratio harkit / pyarrow           : {h['seconds'] / p['seconds']:5.2f} "
              f"(CPU time: {h['cpu'] / p['cpu']:4.2f})")
        print(f"  memory ratio peak RSS / harkit tables : {h['peak'] / h['table_bytes']:5.2f} "
              f"(above imports: {(h['peak'] - h['base']) / h['table_bytes']:4.2f}); "
              f"pyarrow's own: {p['peak'] / p['table_bytes']:4.2f}")
        print(f"  rejects {h['rejects']:,}")
    return results


def write(n: int, out: Path, seed: int = 2024, plain_ids: bool = False) -> None:
    """Generate a register of ``n`` persons; write it as Norwegian CSV and as Parquet.

    Parameters
    ----------
    n : int
        Persons.
    out : pathlib.Path
        Folder; ``csv/`` and ``parquet/`` are written inside it.
    seed : int
        Generator seed.
    plain_ids : bool
        Write identifiers as whole numbers without letters or leading zeros (``1``, ``2``,
        ... ``10``, as a register may number its rows) instead of the generator's
        ``P0000001``: such keys are not in byte order.
    """
    from harkit import schema, synth
    from harkit.io import write_extract

    t0 = time.perf_counter()
    ex = synth.generate(n, seed=seed)
    print(f"generate({n:,}) : {time.perf_counter() - t0:.1f} s")
    if plain_ids:
        for name, spec in schema.TABLES.items():
            df = getattr(ex, name, None)
            for col in spec.columns:
                if df is not None and col.kind == "id" and col.name in df:
                    # row numbers only (P0000001), not institution codes (G36, GA9)
                    df[col.name] = df[col.name].str.replace(r"^[A-Za-z](?=\d{6,}$)0*(?=\d)",
                                                            "", regex=True)
    write_extract(ex, out / "csv", format="csv", layout="norwegian")
    write_extract(ex, out / "parquet", format="parquet", layout="canonical")
    print(f"written to {out} in {time.perf_counter() - t0:.1f} s")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code (0).
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", help="delivery folder or file (harkit alone)")
    ap.add_argument("--compare", metavar="DIR", help="folder with csv/ and parquet/")
    ap.add_argument("--write", nargs=2, metavar=("N", "DIR"), help="generate N persons")
    ap.add_argument("--plain-ids", action="store_true",
                    help="with --write: identifiers as 1, 2, ... 10 (not in byte order)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_child(*args.child)))
        return 0
    if args.write:
        write(int(args.write[0]), Path(args.write[1]), plain_ids=args.plain_ids)
    if args.compare:
        compare(Path(args.compare))
    if args.path:
        r = _run("harkit", Path(args.path))
        print(_line("read_extract", r))
        for name, n in r["rows"].items():
            print(f"  {name:<16} {n:>12,} rows")
        print(f"  rejects {r['rejects']:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
