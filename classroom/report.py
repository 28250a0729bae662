"""What grading one submission gives: a result per check cell, the totals, the text table.

The JSON form (``Report.to_dict``) is for programs: its keys and status codes are English in every
edition, its messages in the edition's language. The text form (``format_report``) is for people:
all of it in the edition's language (``classroom.words``).
"""

import unicodedata
from dataclasses import asdict, dataclass, field

from .words import _, ngettext, speaking, status_word


@dataclass
class ExerciseResult:
    """The outcome of one check cell.

    ``status`` is "passed", "failed" or "not run".
    """

    grade_id: str
    points: float
    max_points: float
    status: str
    message: str


@dataclass
class Report:
    """The grade of one submission: per-check results and the totals."""

    submission: str
    instructor: str
    exercises: list
    missing_solutions: list
    stopped: str  # why the run stopped early ("" when every cell ran)
    duplicate_solutions: list = field(default_factory=list)
    kernel_restarts: int = 0
    language: str = "en"  # the edition's: the language of the messages and the text report
    notes: list = field(default_factory=list)  # for the instructor: cells ignored, output cut

    @property
    def score(self):
        return sum(result.points for result in self.exercises)

    @property
    def max_score(self):
        return sum(result.max_points for result in self.exercises)

    def to_dict(self):
        """A JSON-ready dict of the report, totals included."""
        return {**asdict(self), "score": self.score, "max_score": self.max_score}


def printable(text, limit=300):
    """``text`` (from a kernel or a submission) safe to print and store: at most ``limit``
    characters, and a lone surrogate or other unencodable character replaced by "?"."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.encode("utf-8", "replace").decode("utf-8")


def display_width(text):
    """Columns ``text`` takes in a terminal: two for each wide (Chinese) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _padded(text, width):
    return text + " " * (width - display_width(text))


def format_report(report):
    """The report as a plain-text table in its edition's language: one row per check cell, then
    the total."""
    with speaking(report.language):
        return "\n".join(line.rstrip() for line in _report_lines(report))


def _report_lines(report):
    rows = [
        (r.grade_id, f"{r.points:g}/{r.max_points:g}", status_word(r.status), r.message)
        for r in report.exercises
    ]
    header = (_("exercise"), _("points"), _("result"), _("details"))
    widths = [max(display_width(row[i]) for row in [header, *rows]) for i in range(3)]
    yield _("Grading {submission} against {instructor}").format(
        submission=report.submission, instructor=report.instructor
    )
    for row in [header, *rows]:
        yield "  ".join(_padded(value, width) for value, width in zip(row, widths)) + "  " + row[3]
    yield _("Total: {score}/{max_score}").format(
        score=f"{report.score:g}", max_score=f"{report.max_score:g}"
    )
    if report.missing_solutions:
        missing = report.missing_solutions
        yield ngettext(
            "Solution cell missing from the submission: {grade_ids}",
            "Solution cells missing from the submission: {grade_ids}",
            len(missing),
        ).format(grade_ids=", ".join(missing))
    if report.stopped:
        yield _("Stopped early: {reason}").format(reason=report.stopped)
    yield from report.notes
