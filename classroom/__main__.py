"""Command line: ``python -m classroom release …`` and ``python -m classroom grade …``.

Exit status of ``grade``: 0 full marks, 1 graded below full marks, 2 bad arguments or unreadable
notebooks.
"""

import argparse
import json
import sys

from .grade import format_report, grade
from .release import release

EXIT_FULL_MARKS, EXIT_NOT_FULL_MARKS, EXIT_USAGE = 0, 1, 2


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m classroom", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    release_command = commands.add_parser(
        "release", help="write student versions of every notebook in a folder"
    )
    release_command.add_argument("source", help="folder of instructor notebooks, e.g. notebooks/")
    release_command.add_argument(
        "target", help="folder for the student notebooks, e.g. build/student/"
    )

    grade_command = commands.add_parser(
        "grade",
        help="grade a submission with the instructor's hidden tests",
        epilog=(
            "exit status: 0 full marks, 1 below full marks, 2 bad arguments or unreadable notebooks"
        ),
    )
    grade_command.add_argument("submission", help="the student's notebook")
    grade_command.add_argument(
        "--instructor", required=True, help="the instructor notebook it was released from"
    )
    grade_command.add_argument(
        "--timeout",
        type=float,
        default=1800,
        help="seconds for the whole notebook (default 1800); cells left after it do not run",
    )
    grade_command.add_argument(
        "--cell-timeout",
        type=float,
        default=120,
        help="seconds for each solution or check cell before it is interrupted (default 120)",
    )
    grade_command.add_argument(
        "--fast",
        action="store_true",
        help="run only the lesson cells the exercises read from (skips e.g. training)",
    )
    grade_command.add_argument(
        "--json", action="store_true", help="print the report as JSON instead of a table"
    )
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        if args.command == "release":
            for path in release(args.source, args.target):
                print(f"wrote {path}")
            return 0
        report = grade(
            args.submission,
            args.instructor,
            timeout=args.timeout,
            cell_timeout=args.cell_timeout,
            fast=args.fast,
        )
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(report.to_dict(), indent=2) if args.json else format_report(report))
    return EXIT_FULL_MARKS if report.score == report.max_score else EXIT_NOT_FULL_MARKS


if __name__ == "__main__":
    sys.exit(main())
