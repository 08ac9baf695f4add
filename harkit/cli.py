"""The ``harkit`` command: validate a delivery, generate a synthetic one, render reports."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import pandas as pd


def _validate(args: argparse.Namespace) -> int:
    from harkit.io import read_extract

    extract = read_extract(args.path, strict=False, progress=not args.quiet)
    with pd.option_context("display.max_rows", 200, "display.width", 160,
                           "display.max_colwidth", 80):
        print(extract.summary().to_string(index=False))
        print()
        print(extract.row_counts.to_string(index=False))
        if len(extract.rejects):
            print()
            print(f"{len(extract.rejects):,} rejects:")
            print(extract.rejects.head(args.max_rejects).to_string(index=False))
            if len(extract.rejects) > args.max_rejects:
                print(f"... {len(extract.rejects) - args.max_rejects:,} more")
    return 1 if len(extract.rejects) else 0


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
        help="read a delivery, print its summary and rejects; exit 1 when any row is rejected")
    p.add_argument("path", help="a delivery folder or file")
    p.add_argument("--max-rejects", type=int, default=50, help="rejects to print")
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
