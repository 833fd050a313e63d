"""`python -m benchmarks [suite ...] [--seeds 3] [--quick] [--readme]`: run suites, print tables.

Threads: `OMP_NUM_THREADS` when set, else all cores up to 8 (`gan_course.runtime.set_threads`);
the issue's times are for 2 cores. `GAN_COURSE_FAST=1` means `--quick`.
"""

from __future__ import annotations

import argparse
import sys

from gan_course import runtime

from . import SUITES, SuiteUnavailable, load, readme


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="gan-course benchmarks: tables, not tests."
    )
    parser.add_argument(
        "suites", nargs="*", metavar="suite", help=f"of {', '.join(SUITES)} (default: all)"
    )
    parser.add_argument("--seeds", type=int, default=3, help="seeds per row (default 3)")
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes: runs every line in seconds, means nothing"
    )
    parser.add_argument(
        "--readme", action="store_true", help="also write the tables into benchmarks/README.md"
    )
    args = parser.parse_args(argv)
    unknown = [s for s in args.suites if s not in SUITES]
    if unknown:
        parser.error(f"unknown suite(s) {unknown}; choose from {', '.join(SUITES)}")
    args.quick = args.quick or runtime.is_fast()
    if args.readme and args.quick:
        parser.error("--readme keeps the real tables: not with --quick or GAN_COURSE_FAST=1")
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    return args


def main(argv=None) -> int:
    """Run the suites asked for, print their tables, and list the targets missed at the end."""
    args = parse_args(argv)
    runtime.set_threads()
    missed = []
    for name in args.suites or SUITES:
        try:
            suite = load(name)
        except SuiteUnavailable as why:
            print(f"### {name}\n\nskipped: {why}\n", flush=True)
            continue
        report = suite.run(seeds=args.seeds, quick=args.quick)
        print(report.markdown(), flush=True)
        if args.readme:
            readme.write_section(name, report.markdown())
        missed += [f"{name}: {target}" for target in report.missed]
    print("\n".join(["Targets missed:", *missed]) if missed else "No target missed.")
    return 0  # a benchmark reports; missing a target is news, not a crash


if __name__ == "__main__":
    sys.exit(main())
