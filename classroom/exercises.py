"""The exercises of a notebook as nbgrader marks them: check cells, the cells each one owns, the
student code among them, and what each check reads from the cells before it.

A solution cell (nbgrader ``solution: true``) belongs to the first check cell (``grade: true``)
after it; an exercise is named by its check cell's ``grade_id``.
"""

from .release import grade_id, nbgrader_flag

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


def check_owners(nb):
    """``{cell_index: check grade_id}`` for every solution and check cell of ``nb``.

    A solution cell belongs to the first check cell after it.
    """
    owners, pending = {}, []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and nbgrader_flag(cell, "solution"):
            pending.append(index)
        elif is_check_cell(cell):
            owners.update({i: grade_id(cell) for i in [*pending, index]})
            pending = []
    return owners
