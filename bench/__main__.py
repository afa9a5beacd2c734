"""``python -m bench [--quick] [--only SECTION ...] [--output FILE]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import Sizes
from .report import load_result, render, save_result, summary_lines
from .suite import SECTIONS, run_suite

RESULTS = Path(__file__).with_name("RESULTS.md")
SAVED = Path(__file__).with_name(".out") / "results.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, a smoke run for CI; writes RESULTS.md only with --output"
    )
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), help="run only these sections")
    parser.add_argument("--output", type=Path, help=f"where to write the results (default: {RESULTS} for a full run)")
    parser.add_argument("--raise", dest="raise_errors", action="store_true", help="stop at the first crash")
    parser.add_argument(
        "--render",
        action="store_true",
        help=f"only rewrite RESULTS.md from the last full run's figures ({SAVED}), e.g. after editing bench/NOTES.md",
    )
    args = parser.parse_args(argv)

    if args.render:
        from .fleet import keep_block

        result, command, measured = load_result(SAVED)
        target = args.output or RESULTS
        previous = target.read_text(encoding="utf-8") if target.exists() else ""
        target.write_text(keep_block(render(result, command, measured), previous), encoding="utf-8")
        print(f"wrote {args.output or RESULTS}")
        return 0
    sizes = Sizes.quick() if args.quick else Sizes.full()
    result = run_suite(
        sizes,
        args.only,
        raise_errors=args.raise_errors,
        progress=lambda line: print(f"[bench] {line}", file=sys.stderr, flush=True),
    )
    for line in summary_lines(result):
        print(line)
    output = args.output or (None if args.quick or args.only else RESULTS)
    if output is not None:
        command = (
            "python -m bench" + (" --quick" if args.quick else "") + (f" --only {' '.join(args.only)}" if args.only else "")
        )
        text = render(result, command)
        if output.exists():  # the Celery section is measured by python -m bench.fleet: keep it
            from .fleet import keep_block

            text = keep_block(text, output.read_text(encoding="utf-8"))
        output.write_text(text, encoding="utf-8")
        if output == RESULTS:
            save_result(SAVED, result, command)
        print(f"wrote {output}")
    return 1 if result.errors else 0  # a crash is a failure; a missed timing target never is


if __name__ == "__main__":
    sys.exit(main())
