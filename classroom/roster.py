"""A class's scores for an LMS: the gradebook keyed by the LMS's student ids, as Canvas imports it.

The roster (``grade … --roster ROSTER.csv``) maps each submission folder to the LMS's student: a
UTF-8 CSV file with a header row, a ``folder`` column (the student's submission folder, the
``student`` column of gradebook.csv) and at least one of Canvas's student columns ``ID`` (the
Canvas user id), ``SIS User ID`` or ``SIS Login ID``; ``Student`` (the name) and ``Section`` are
copied when present, other columns ignored. So the gradebook Canvas exports, with a ``folder``
column added, is a roster, and so is a two-column ``folder,SIS Login ID`` file. A row with neither
folder nor id (the export's "Points Possible" row) is skipped.

``write_canvas_gradebook`` writes Canvas's gradebook import format: the columns Student, ID, SIS
User ID, SIS Login ID, Section and one assignment column (its title, or "Title (id)" for an
existing Canvas assignment), a "Points Possible" row, then one row per roster student in roster
order: a student on the roster without a submission gets an empty score (Canvas leaves it
unchanged), a graded student missing from the roster gets no row; ``roster_problems`` names both.
"""

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from .files import write_whole
from .words import ngettext

FOLDER = "folder"
CANVAS_STUDENT_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
IDENTIFIERS = ("ID", "SIS User ID", "SIS Login ID")  # what Canvas finds a student by
# Canvas's export starts the points row's first cell with spaces; its import looks for the words.
POINTS_POSSIBLE = "    Points Possible"


@dataclass
class RosterMatch:
    """A roster against a class's reports.

    ``rows``: ``[(roster entry, report dict or None)]`` in roster order; ``without_submission``:
    the roster entries no report belongs to; ``not_on_roster``: the graded students (folder
    names) the roster lacks. A roster entry is a dict of ``folder`` and CANVAS_STUDENT_COLUMNS.
    """

    rows: list = field(default_factory=list)
    without_submission: list = field(default_factory=list)
    not_on_roster: list = field(default_factory=list)


def read_roster(path):
    """The roster entries of the CSV file ``path`` (see the module's docstring), in file order.

    Raises ValueError for a file without the ``folder`` column or any id column, a row with a
    folder but no id and no name, or a folder or id listed twice.
    """
    if not isinstance(path, (str, Path)):
        raise TypeError(f"roster must be a path, got {type(path).__name__}")
    with open(path, newline="", encoding="utf-8-sig") as handle:  # -sig: Excel's byte-order mark
        rows = list(csv.reader(handle))
    if not rows:
        raise ValueError(f"roster {str(path)!r} is empty; expected a header row with {FOLDER!r}")
    columns = _column_positions(rows[0], path)
    entries = []
    for line, row in enumerate(rows[1:], start=2):
        entry = {name: _cell(row, at) for name, at in columns.items()}
        if entry[FOLDER] or any(entry[name] for name in IDENTIFIERS):
            entries.append(_checked_entry(entry, path, line))
    _refuse_repeats(entries, path)
    return entries


def _column_positions(header, path):
    """``{column: index or None}`` for FOLDER and CANVAS_STUDENT_COLUMNS, matched ignoring case."""
    names = [name.strip().casefold() for name in header]
    wanted = (FOLDER, *CANVAS_STUDENT_COLUMNS)
    positions = {name: names.index(name.casefold()) if name.casefold() in names else None
                 for name in wanted}  # fmt: skip
    if positions[FOLDER] is None or all(positions[name] is None for name in IDENTIFIERS):
        raise ValueError(
            f"roster {str(path)!r} has the columns {header}; expected {FOLDER!r} and at least one "
            f"of {list(IDENTIFIERS)}"
        )
    return positions


def _cell(row, at):
    return row[at].strip() if at is not None and at < len(row) else ""


def _checked_entry(entry, path, line):
    if entry[FOLDER] and not any(entry[name] for name in ("Student", *IDENTIFIERS)):
        raise ValueError(
            f"roster {str(path)!r} line {line}: folder {entry[FOLDER]!r} has no student id; "
            f"expected a value in one of {list(IDENTIFIERS)}"
        )
    return entry


def _refuse_repeats(entries, path):
    """ValueError when two entries share a folder or an id (one LMS student, two scores)."""
    for column in (FOLDER, *IDENTIFIERS):
        seen = set()
        for entry in entries:
            if entry[column] and entry[column] in seen:
                raise ValueError(
                    f"roster {str(path)!r} lists {column} {entry[column]!r} twice; "
                    "expected each once"
                )
            seen.add(entry[column])


def match_roster(roster, reports):
    """The RosterMatch of ``roster`` (``read_roster``'s entries) and ``reports`` {student: report
    dict}, students being submission folder names."""
    if not isinstance(reports, dict):
        raise TypeError(
            f"reports must be a dict of student to report, got {type(reports).__name__}"
        )
    listed = {entry[FOLDER] for entry in roster if entry[FOLDER]}
    rows = [(entry, reports.get(entry[FOLDER]) if entry[FOLDER] else None) for entry in roster]
    return RosterMatch(
        rows=rows,
        without_submission=[entry for entry, report in rows if report is None],
        not_on_roster=sorted(student for student in reports if student not in listed),
    )


def canvas_gradebook_text(match, assignment):
    """The CSV text Canvas imports: CANVAS_STUDENT_COLUMNS and ``assignment``'s score column."""
    if not isinstance(assignment, str):
        raise TypeError(f"assignment must be a str, got {type(assignment).__name__}")
    if not assignment.strip() or "\n" in assignment or "\r" in assignment:
        raise ValueError(f"assignment must be a one-line column title, got {assignment!r}")
    maxima = [report["max_score"] for _, report in match.rows if report and report.get("max_score")]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")  # RFC 4180, as Canvas's own export
    writer.writerow([*CANVAS_STUDENT_COLUMNS, assignment])
    writer.writerow([POINTS_POSSIBLE, "", "", "", "", f"{max(maxima):g}" if maxima else ""])
    for entry, report in match.rows:
        student = [entry["Student"] or entry[FOLDER], *(entry[name] for name in IDENTIFIERS)]
        score = "" if report is None else f"{report['score']:g}"
        writer.writerow([*student, entry["Section"], score])
    return text.getvalue()


def write_canvas_gradebook(match, path, assignment):
    """Write ``canvas_gradebook_text(match, assignment)`` to ``path`` (UTF-8); returns the path."""
    return write_whole(path, canvas_gradebook_text(match, assignment), newline="")


def roster_problems(match, gradebook):
    """Lines for the instructor (in the language being spoken) naming the roster's students
    without a submission and the graded students not on the roster; [] when they agree."""
    lines = []
    if match.without_submission:
        names = [_named(entry) for entry in match.without_submission]
        lines.append(
            ngettext(
                "{count} student on the roster has no submission (empty score in {gradebook}): "
                "{students}",
                "{count} students on the roster have no submission (empty scores in {gradebook}): "
                "{students}",
                len(names),
            ).format(count=len(names), gradebook=gradebook, students=", ".join(names))
        )
    if match.not_on_roster:
        count = len(match.not_on_roster)
        lines.append(
            ngettext(
                "{count} graded student is not on the roster (not in {gradebook}): {students}",
                "{count} graded students are not on the roster (not in {gradebook}): {students}",
                count,
            ).format(count=count, gradebook=gradebook, students=", ".join(match.not_on_roster))
        )
    return lines


def _named(entry):
    """A roster entry as the instructor knows it: name, else folder, else its first id."""
    return entry["Student"] or entry[FOLDER] or next(entry[n] for n in IDENTIFIERS if entry[n])
