"""Command line: ``python -m classroom release …``, ``learner`` and ``grade …``.

Exit status of ``grade`` (for a class: over all its submissions): 0 full marks, 1 graded below
full marks (an unreadable submission too: it is graded "not run"), 2 bad arguments, a missing
submission or an unreadable instructor notebook. ``learner --check`` exits with 1 when the
committed learner edition is not what a fresh build writes. ``similarity`` exits with 0 when it
flags no pair of students, 1 when it flags one, 2 for bad arguments.
"""

from . import startup  # noqa: F401  (first: see its docstring)

# isort: split
import argparse
import json
import os
import sys
from pathlib import Path

import nbformat

from . import forkserver
from .batch import GLOB_CHARACTERS, file_stem, find_submissions, grade_many
from .copying import THRESHOLD, similarity_command
from .feedback import FEEDBACK_FOLDER, write_feedback, write_feedback_pages
from .learner import REPO, learner_edition_differences, write_learner_edition
from .release import release
from .report import format_report
from .roster import match_roster, read_roster, roster_problems, write_canvas_gradebook
from .sandbox import DEFAULT_MEMORY_LIMIT_GIB, SandboxUnavailable, why_unavailable
from .words import _, ngettext, notebook_language, speaking

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

    learner_command = commands.add_parser(
        "learner",
        help="write the learner edition (learner/en/, learner/zh/) from the instructor notebooks",
    )
    learner_command.add_argument(
        "--check",
        action="store_true",
        help="write nothing; list the learner notebooks a fresh build would change (exit 1)",
    )

    grade_command = commands.add_parser(
        "grade",
        help="grade a submission with the instructor's hidden tests",
        epilog=(
            "exit status: 0 full marks, 1 below full marks, 2 bad arguments, a missing submission "
            "or an unreadable instructor notebook"
        ),
    )
    grade_command.add_argument(
        "submissions",
        nargs="+",
        metavar="SUBMISSION",
        help="a student's notebook; several, a glob ('submitted/*/02_*.ipynb') or a folder of "
        "student folders grade a class into --out",
    )
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
    grade_command.add_argument(
        "--memory-limit",
        type=float,
        default=DEFAULT_MEMORY_LIMIT_GIB,
        help="GiB of memory the kernel may take beyond its start (default 4); past it, "
        "the cell meets MemoryError",
    )
    grade_command.add_argument(
        "--unsandboxed",
        action="store_true",
        help="run the kernel without the OS sandbox (bubblewrap): only for work you trust",
    )
    grade_command.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="submissions graded at once, one kernel each (default 1)",
    )
    grade_command.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on the dask.distributed cluster of this scheduler (e.g. tcp://10.0.0.5:8786), "
        "one task per submission, instead of --jobs processes here; each worker needs this "
        "repository, its environment and bubblewrap (docs/instructors.md)",
    )
    grade_command.add_argument(
        "--out",
        help="folder for a class's gradebook.csv and one JSON report per student "
        "(default graded/ when grading several submissions), and a feedback page per student "
        "in its feedback/",
    )
    grade_command.add_argument(
        "--feedback",
        metavar="PAGE",
        help="also write the student's feedback page (HTML) to PAGE (one submission only)",
    )
    grade_command.add_argument(
        "--roster",
        help="CSV mapping each submission folder to the LMS student ('folder' column and Canvas's "
        "ID, SIS User ID or SIS Login ID): also write canvas_gradebook.csv into --out",
    )
    grade_command.add_argument(
        "--lms-assignment",
        metavar="TITLE",
        help="the LMS assignment's column title, e.g. 'Edge detection (4567)' for an existing "
        "Canvas assignment (default: the notebook's name)",
    )
    _add_similarity(commands)
    return parser


def _add_similarity(commands):
    similarity = commands.add_parser(
        "similarity",
        help="list the pairs of students whose answers to an exercise are too alike",
        epilog="exit status: 0 nothing flagged, 1 a pair flagged, 2 bad arguments or an "
        "unreadable instructor notebook",
    )
    similarity.add_argument(
        "submissions", nargs="+", metavar="SUBMISSION", help="notebooks, globs or a folder of "
        "student folders, as for grade",
    )  # fmt: skip
    similarity.add_argument(
        "--instructor", required=True, help="the instructor notebook they were released from"
    )
    similarity.add_argument(
        "--threshold",
        type=float,
        default=THRESHOLD,
        help=f"score in (0, 1] from which a pair is flagged (default {THRESHOLD})",
    )
    similarity.add_argument(
        "--json", action="store_true", help='print {"flagged": [...]} instead of a report'
    )


def _grade_class(args, sources):
    """Grade several submissions into a gradebook; returns the exit status."""
    submissions = find_submissions(sources, Path(args.instructor).name)
    options = ["--timeout", str(args.timeout), "--cell-timeout", str(args.cell_timeout)]
    options += ["--memory-limit", str(args.memory_limit)] + (["--fast"] if args.fast else [])
    options += ["--unsandboxed"] if args.unsandboxed else []
    if args.feedback:
        raise ValueError("--feedback is for one submission; a class's pages go to OUT/feedback/")
    roster = read_roster(args.roster) if args.roster else None  # before grading: fail early
    out = Path(args.out or "graded")
    instructor = nbformat.read(args.instructor, as_version=4)
    language = notebook_language(instructor, args.instructor)
    with speaking(language):
        reports = grade_many(
            submissions, args.instructor, out, args.jobs, options, args.timeout, args.scheduler
        )
        for student, report in reports.items():
            print(f"{student}: {report['score']:g}/{report['max_score']}")
        print(
            ngettext(
                "wrote {gradebook} and {count} JSON report",
                "wrote {gradebook} and {count} JSON reports",
                len(reports),
            ).format(gradebook=out / "gradebook.csv", count=len(reports))
        )
        _write_for_students(args, reports, out, roster, language)
    full = all(report["score"] == report["max_score"] for report in reports.values())
    return EXIT_FULL_MARKS if full else EXIT_NOT_FULL_MARKS


def _write_for_students(args, reports, out, roster, language):
    """A class's feedback pages and, with a roster, its Canvas gradebook; prints what it wrote."""
    names = {student: file_stem(student) for student in reports}
    pages = write_feedback_pages(reports, out / FEEDBACK_FOLDER, names, args.instructor, language)
    print(
        ngettext(
            "wrote {count} feedback page into {folder}",
            "wrote {count} feedback pages into {folder}",
            len(pages),
        ).format(count=len(pages), folder=out / FEEDBACK_FOLDER)
    )
    if roster is None:
        return
    match = match_roster(roster, reports)
    assignment = args.lms_assignment or Path(args.instructor).stem
    gradebook = write_canvas_gradebook(match, out / "canvas_gradebook.csv", assignment)
    print(_("wrote {gradebook} for the LMS").format(gradebook=gradebook))
    for line in roster_problems(match, gradebook):
        print(line)


def _is_class(args):
    """Whether ``grade`` was given a class (several notebooks, a folder or a glob), ``--out`` or
    ``--scheduler``."""
    only = args.submissions[0]
    return (
        len(args.submissions) > 1
        or args.out is not None
        or args.scheduler is not None
        or args.roster is not None
        or Path(only).is_dir()
        or bool(GLOB_CHARACTERS & set(only))
    )


def grade_keywords(args):
    """The keyword arguments of classroom.grade.grade that ``grade``'s parsed ``args`` ask for
    (a class's grading workers, classroom.worker, parse their requests with this parser too)."""
    return {
        "timeout": args.timeout,
        "cell_timeout": args.cell_timeout,
        "fast": args.fast,
        "memory_limit_gib": args.memory_limit,
        "sandboxed": not args.unsandboxed,
    }


def _shown(path):
    """``path`` from the repository root when it lies inside it."""
    try:
        return path.relative_to(REPO).as_posix()
    except ValueError:
        return str(path)


def _learner(check):
    """Build the learner edition (or, with ``check``, list what a build would change)."""
    if check:
        differ = learner_edition_differences()
        for path in differ:
            print(f"out of date: {_shown(path)}")
        print("the learner edition is up to date" if not differ else "run: make learner")
        return 1 if differ else 0
    changed = write_learner_edition()
    for path in changed:
        print(f"{'wrote' if path.is_file() else 'deleted'} {_shown(path)}")
    if not changed:
        print("the learner edition is up to date")
    return 0


def _grade_one(args):
    """The report of the one submission ``args`` name. The grader (which imports torch for the
    judge) is imported here, not above: a class run's own process only hands out the work."""
    if not args.unsandboxed and os.geteuid() == 0:
        forkserver.shared()  # its imports run beside the grader's (classroom.forkserver)
    from .grade import grade

    return grade(args.submissions[0], args.instructor, **grade_keywords(args))


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        if args.command == "release":
            for path in release(args.source, args.target):
                print(f"wrote {path}")
            return 0
        if args.command == "learner":
            return _learner(args.check)
        if args.command == "similarity":
            return similarity_command(args.submissions, args.instructor, args.json, args.threshold)
        # On a cluster the workers grade: classroom.cluster checks their sandboxes instead.
        if not args.unsandboxed and args.scheduler is None and (why := why_unavailable()):
            raise SandboxUnavailable(why)
        if _is_class(args):
            return _grade_class(args, args.submissions)
        report = _grade_one(args)
    except (TypeError, ValueError, OSError, SandboxUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(report.to_dict(), indent=2) if args.json else format_report(report))
    if args.feedback:  # after the report: a page that cannot be written still leaves the grade
        write_feedback(report.to_dict(), args.feedback, instructor=args.instructor)
    return EXIT_FULL_MARKS if report.score == report.max_score else EXIT_NOT_FULL_MARKS


if __name__ == "__main__":
    sys.exit(main())
