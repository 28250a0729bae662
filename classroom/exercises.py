"""The exercises of a notebook as nbgrader marks them, built once (``exercises``) and used by
grading, judging, class runs and reports: each one's check cell, solution cells, points, visible
and hidden parts, and the lesson cells it reads.

A solution cell (nbgrader ``solution: true``) belongs to the first check cell (``grade: true``)
after it; an exercise is named by its check cell's ``grade_id``.
"""

from dataclasses import dataclass

from .depends import cells_needed_by
from .release import (
    BEGIN_HIDDEN_TESTS,
    END_HIDDEN_TESTS,
    grade_id,
    marked_regions,
    nbgrader_flag,
    replace_regions,
)

GRADER_KEY = "classroom_grader"  # cell metadata of the setup cell the grader inserts


def is_check_cell(cell):
    """True for an autograded check cell.

    That is nbgrader ``grade: true`` on a cell that is not itself an answer.
    """
    return (
        cell.cell_type == "code"
        and nbgrader_flag(cell, "grade")
        and not nbgrader_flag(cell, "solution")
    )


def holds_student_code(cell):
    """Solution and check cells run the student's code, so they get the per-cell time limit."""
    return nbgrader_flag(cell, "solution") or is_check_cell(cell)


@dataclass(frozen=True)
class Exercise:
    """One autograded exercise of a notebook.

    ``check``: the index of its check cell, whose ``grade_id`` names it; ``solutions``: the
    indices of its solution cells; ``points``: what the check is worth; ``visible``: the check's
    source without its hidden tests (what students get, and what their kernel runs);
    ``hidden_regions``: ``(begin, end)`` line indices (0-based) of the check source's hidden-test
    regions, marker lines included; ``needs``: the indices of the lesson cells it reads from,
    directly or through other lesson cells.
    """

    grade_id: str
    check: int
    solutions: tuple
    points: float
    visible: str
    hidden_regions: tuple
    needs: frozenset

    @property
    def hidden_lines(self):
        """The 1-based line numbers of the check's hidden tests, marker lines included."""
        return {line + 1 for begin, end in self.hidden_regions for line in range(begin, end + 1)}


def exercises(nb):
    """The Exercises of ``nb``, in order. Raises ValueError for a malformed hidden-test region."""
    found, pending = [], []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and nbgrader_flag(cell, "solution"):
            pending.append(index)
        elif is_check_cell(cell):
            regions = marked_regions(cell.source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)
            visible = replace_regions(cell.source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)[0]
            own = {*pending, index}
            lesson = {i for i in cells_needed_by(nb, own) if i not in own}
            points = cell.metadata.nbgrader.get("points", 0)
            found.append(
                Exercise(grade_id(cell), index, tuple(pending), points, visible,
                         tuple(regions), frozenset(lesson))
            )  # fmt: skip
            pending = []
    return found


def check_owners(nb):
    """``{cell_index: check grade_id}`` for every solution and check cell of ``nb``."""
    return {
        index: exercise.grade_id
        for exercise in exercises(nb)
        for index in (*exercise.solutions, exercise.check)
    }
