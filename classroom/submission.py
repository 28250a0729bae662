"""A submission as the grader takes it: read defensively, its solution cells put into the instructor
notebook.

A submission is whatever file a student handed in, so nothing in it is trusted to be a notebook:
a file too large, JSON that does not parse, a number where a cell's source should be or a list as a
``grade_id`` gives that student a result that says so, never an error that stops a class. Only
the solution cells are taken (matched by nbgrader ``grade_id``); every other cell, above all every
check cell with its hidden tests, comes from the instructor notebook.
"""

from pathlib import Path

import nbformat

from .release import ClearSolutions, grade_id, nbgrader_flag
from .report import printable
from .words import _

# Larger than any lesson saved with its outputs; a bigger file is not read at all.
MAX_SUBMISSION_BYTES = 64 * 2**20


def read_submission(path):
    """``(notebook, "")`` for the submission at ``path``, or ``(None, why it cannot be read)``."""
    size = Path(path).stat().st_size
    if size > MAX_SUBMISSION_BYTES:
        return None, _("the submission is {size} MiB, more than the {limit} MiB allowed").format(
            size=size // 2**20, limit=MAX_SUBMISSION_BYTES // 2**20
        )
    try:
        return nbformat.read(path, as_version=4), ""
    # Whatever a crafted file makes the reader raise (bad JSON or UTF-8, deep nesting, a list
    # where a dict should be), it is that student's result, not the class run's end.
    except Exception as error:  # noqa: BLE001
        reason = printable(f"{type(error).__name__}: {error}", 200)
        return None, _("the submission is not a notebook the grader can read ({error})").format(
            error=reason
        )


def _solution_or_problem(cell, index):
    """``(grade_id, source)`` of a well-formed solution cell, a note on a malformed one, or None
    for a cell that is not a solution cell."""
    if not isinstance(cell, dict) or not isinstance(cell.get("metadata"), dict):
        return None
    nbgrader = cell["metadata"].get("nbgrader")
    if not isinstance(nbgrader, dict) or not nbgrader.get("solution"):
        return None
    name, source = nbgrader.get("grade_id"), cell.get("source")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        source = "".join(source)
    if not isinstance(name, str):
        return _("cell {index} ignored: its grade_id is of type {kind}, not text").format(
            index=index, kind=type(name).__name__
        )
    if not isinstance(source, str):
        return _(
            "cell {index} ({grade_id}) ignored: its source is of type {kind}, not text"
        ).format(index=index, grade_id=printable(name, 60), kind=type(source).__name__)
    return name, source


def solution_sources(submission):
    """``{grade_id: [source, …]}``: the well-formed solution cells of ``submission``, in order."""
    answers = {}
    for index, cell in enumerate(_cells(submission)):
        found = _solution_or_problem(cell, index)
        if isinstance(found, tuple):
            answers.setdefault(found[0], []).append(found[1])
    return answers


def malformed_cells(submission):
    """A note for each solution cell of ``submission`` that the grader had to ignore."""
    notes = (_solution_or_problem(cell, index) for index, cell in enumerate(_cells(submission)))
    return [note for note in notes if isinstance(note, str)]


def _cells(submission):
    cells = submission.get("cells")
    return cells if isinstance(cells, list) else []


def duplicated_solutions(submission):
    """The grade_ids that label more than one solution cell of ``submission``, sorted."""
    return sorted(
        name for name, sources in solution_sources(submission).items() if len(sources) > 1
    )


def assemble(submission, instructor):
    """The notebook to run: ``instructor`` with the solution cells of ``submission`` put in.

    Both are nbformat NotebookNodes. A solution cell missing from the submission, or present twice
    (which of them the student meant is unknowable), gets the release stub, so its exercise fails.
    Returns ``(notebook, missing_grade_ids)``; the inputs are left unchanged.
    """
    answers = solution_sources(submission)
    graded = nbformat.from_dict(instructor)
    stub = ClearSolutions()
    missing = []
    for index, cell in enumerate(graded.cells):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if not nbgrader_flag(cell, "solution"):
            continue
        sources = answers.get(grade_id(cell), [])
        if len(sources) == 1:
            cell.source = sources[0]
        else:
            if not sources:
                missing.append(grade_id(cell))
            stub.preprocess_cell(cell, {}, index)
    return graded, missing
