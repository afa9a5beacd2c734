"""``python -m bench [--quick] [--only SECTION ...] [--output FILE]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import Sizes
from .report import render, summary_lines
from .suite import SECTIONS, run_suite

RESULTS = Path(__file__).with_name("RESULTS.md")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, a smoke run for CI; writes RESULTS.md only with --output")
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), help="run only these sections")
    parser.add_argument("--output", type=Path, help=f"where to write the results (default: {RESULTS} for a full run)")
    parser.add_argument("--raise", dest="raise_errors", action="store_true", help="stop at the first crash")
    args = parser.parse_args(argv)

    sizes = Sizes.quick() if args.quick else Sizes.full()
    result = run_suite(sizes, args.only, raise_errors=args.raise_errors,
                       progress=lambda line: print(f"[bench] {line}", file=sys.stderr, flush=True))
    for line in summary_lines(result):
        print(line)
    output = args.output or (None if args.quick or args.only else RESULTS)
    if output is not None:
        command = "python -m bench" + (" --quick" if args.quick else "") + (
            f" --only {' '.join(args.only)}" if args.only else "")
        output.write_text(render(result, command), encoding="utf-8")
        print(f"wrote {output}")
    return 1 if result.errors else 0  # a crash is a failure; a missed timing target never is


if __name__ == "__main__":
    sys.exit(main())
