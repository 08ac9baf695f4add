"""The ``harkit`` command: validate a delivery, generate a synthetic one, render reports."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import traceback
import warnings
from collections.abc import Sequence
from typing import Any

import pandas as pd

#: Exit codes of ``harkit validate``.
EXIT_CLEAN, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2


def _validate(args: argparse.Namespace) -> int:
    from harkit import privacy

    # --no-suppress shows exact counts (for the data steward inside the secure area).
    block = privacy.policy(threshold=1, round_to=None) if args.no_suppress else \
        contextlib.nullcontext()
    with block:
        try:
            extract, caught = _read_for_validate(args)
        except Exception as err:  # noqa: BLE001 - every failure to read is exit 2
            return _unreadable(args, err)
        report = validate_report(extract, [str(w.message) for w in caught])
        if args.no_suppress:
            report["policy"] = "exact counts (--no-suppress)"
        code = report["exit_code"]
        if args.json:
            report["path"] = str(args.path)
            print(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            _print_validation(extract, report, args.max_rejects)
    return code


def _read_for_validate(args: argparse.Namespace) -> tuple[Any, list]:
    from harkit.io import read_extract

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        extract = read_extract(args.path, strict=False,
                               progress=not (args.quiet or args.json))
    return extract, list(caught)


def _unreadable(args: argparse.Namespace, err: Exception) -> int:
    from harkit.errors import HarkitError

    if args.debug:
        traceback.print_exc()
    # Messages of harkit's own errors never hold values; others might, so only the type.
    message = str(err) if isinstance(err, HarkitError) else \
        f"unexpected {type(err).__name__} while reading"
    if args.json:
        print(json.dumps({"path": str(args.path), "exit_code": EXIT_UNREADABLE,
                          "status": "unreadable", "error": message}, ensure_ascii=False,
                         indent=2))
    else:
        print(f"harkit validate: cannot read {args.path}\n  {message}", file=sys.stderr)
        if not args.debug:
            print("  (run with --debug to see the traceback)", file=sys.stderr)
    return EXIT_UNREADABLE


def _count(n: int) -> int | str:
    """A count under the disclosure policy: an int, or text such as ``<5`` when hidden."""
    from harkit.privacy import format_count

    text = format_count(int(n))
    return text if text.startswith("<") else int(text.replace(",", ""))


def _file_counts(read: int, kept: int, rejected: int) -> tuple[Any, Any, Any]:
    """Counts of one file; when kept or rejected is hidden, so is the other (read - it)."""
    shown = _count(read), _count(kept), _count(rejected)
    if isinstance(shown[1], str) or isinstance(shown[2], str):
        return shown[0], HIDDEN, HIDDEN
    return shown


#: Shown for a count hidden because it would reveal a small one by subtraction.
HIDDEN = "*"


def validate_report(extract: Any, warned: list[str]) -> dict[str, Any]:
    """What ``harkit validate --json`` prints: counts, rejects by reason, files, notes.

    Parameters
    ----------
    extract : harkit.Extract
        The delivery as read.
    warned : list of str
        Warnings issued while reading.

    Returns
    -------
    dict
        JSON-ready; counts are integers, or text (``"<5"``) where the disclosure policy
        in force hides them. No value from the delivery appears in it.
    """
    from harkit import privacy

    rc, rej, notes = extract.row_counts, extract.rejects, extract.notes
    by_reason = rej.assign(table=rej["table"].fillna("unknown")).groupby(
        ["table", "source_file", "reason"], dropna=False).size()
    ident = (notes["note"] == _identity_note()).fillna(False).to_numpy(dtype=bool)
    by_note = notes.loc[~ident].groupby(["source_file", "note"], dropna=False, sort=False)
    status = "rows rejected" if len(rej) else "notes" if len(notes) or \
        len(extract.skipped_files) else "clean"
    return {
        "exit_code": EXIT_CLEAN if status == "clean" else EXIT_FINDINGS,
        "status": status,
        "policy": privacy.get_policy().describe(),
        "tables": _table_counts(extract),
        "files": [dict(zip(("table", "source_file", "decoding", "rows_read", "rows_kept",
                            "rows_rejected"), (r.table, r.source_file, r.decoding,
                                               *_file_counts(r.rows_read, r.rows_kept,
                                                             r.rows_rejected))))
                  for r in rc.astype(object).itertuples(index=False)],
        "rows_rejected": _count(int(rc["rows_rejected"].sum())),
        "rejects_by_reason": [{"table": t, "source_file": f, "reason": r, "rows": _count(n)}
                              for (t, f, r), n in by_reason.items()],
        "skipped_files": extract.skipped_files.astype(object).to_dict("records"),
        "identity_columns": [{"source_file": f, "column": c} for f, c in
                             zip(notes.loc[ident, "source_file"], notes.loc[ident, "column"])],
        "notes": [{"source_file": f, "note": n,
                   "lines": _count(g["line"].notna().sum()) if g["line"].notna().any()
                   else None} for (f, n), g in by_note],
        "warnings": warned,
    }


def _table_counts(extract: Any) -> dict[str, Any]:
    """Rows kept per table; hidden where a file's kept count is (it would give it away)."""
    rc = extract.row_counts
    out: dict[str, Any] = {}
    for name, df in extract.tables.items():
        files = rc[rc["table"] == name]
        hidden = any(_file_counts(*map(int, r))[1] == HIDDEN for r in
                     files[["rows_read", "rows_kept", "rows_rejected"]].to_numpy())
        out[name] = HIDDEN if hidden else _count(len(df))
    return out


def _identity_note() -> str:
    from harkit.extract import IDENTITY_NOTE

    return IDENTITY_NOTE


def _print_validation(extract: Any, report: dict[str, Any], max_rejects: int) -> None:
    from harkit.privacy import format_count

    def counted(df: pd.DataFrame) -> pd.DataFrame:
        out = df.astype(object)
        cols = ["rows_read", "rows_kept", "rows_rejected"]
        out[cols] = [[format_count(v) if isinstance(v, int) else v for v in
                      _file_counts(*map(int, row))] for row in df[cols].to_numpy()]
        return out

    with pd.option_context("display.max_rows", 200, "display.width", 160,
                           "display.max_colwidth", 100):
        print(extract.summary().to_string(index=False))
        print()
        print(counted(extract.row_counts).to_string(index=False))
        for title, df in (("skipped files", extract.skipped_files),
                          ("notes", extract.notes)):
            if len(df) and max_rejects:
                print(f"\n{title}:")
                print(df.head(max_rejects).to_string(index=False))
        if len(extract.rejects) and max_rejects:
            print(f"\nrejects (first {min(max_rejects, len(extract.rejects))}):")
            print(extract.rejects.head(max_rejects).to_string(index=False))
    for w in report["warnings"]:
        print(f"warning: {w}")
    print(f"\nresult: {report['status']} (exit {report['exit_code']}); "
          f"{report['policy']}")


def _synth(args: argparse.Namespace) -> int:
    from harkit import synth
    from harkit.io import write_extract

    kwargs = {"seed": args.seed, "progress": not args.quiet}
    if args.sud_fraction is not None:
        kwargs["sud_fraction"] = args.sud_fraction
    extract = synth.generate(args.persons, **kwargs)
    out = write_extract(extract, args.out, format=args.format, layout=args.layout)
    print(f"wrote {extract!r} to {out}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from harkit.report import render

    written = render(args.notebooks or None, args.out, extract_path=args.extract,
                     include_code=args.show_code, progress=not args.quiet)
    print(f"wrote {len(written)} files to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``harkit`` command.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="harkit", description="Tools for Helsearkivregisteret extracts.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "validate", parents=[common],
        help="read a delivery and report on it; exit 0 clean, 1 rows rejected or notes "
             "(skipped files, decoding, dropped columns), 2 the delivery cannot be read")
    p.add_argument("path", help="a delivery folder or file")
    p.add_argument("--max-rejects", type=int, default=50,
                   help="rejects and notes to list (0: counts only)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (counts, rejects by reason, files, notes)")
    p.add_argument("--no-suppress", action="store_true",
                   help="show exact counts (default: small counts hidden under the "
                        "disclosure policy)")
    p.add_argument("--debug", action="store_true",
                   help="show the traceback when the delivery cannot be read")
    p.set_defaults(func=_validate)

    p = sub.add_parser("synth", parents=[common], help="generate a synthetic register delivery")
    p.add_argument("--persons", type=int, required=True, help="persons to keep")
    p.add_argument("--seed", type=int, required=True, help="random seed")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    p.add_argument("--layout", choices=["norwegian", "canonical"], default="norwegian")
    p.add_argument("--sud-fraction", type=float, default=None,
                   help="share of persons with a substance-use diagnosis")
    p.set_defaults(func=_synth)

    p = sub.add_parser("report", parents=[common],
                       help="execute the notebooks and render HTML reports")
    p.add_argument("--out", default="reports", help="output folder")
    p.add_argument("--extract", default=None, help="delivery to analyse (default: fixture)")
    p.add_argument("--show-code", action="store_true",
                   help="include the code cells (hidden by default: reports are for readers)")
    p.add_argument("notebooks", nargs="*", help="notebooks (default: all)")
    p.set_defaults(func=_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``harkit`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status.
    """
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
