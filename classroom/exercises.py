"""The exercises of a notebook as nbgrader marks them: check cells, the cells each one owns, the
student code among them, and what each check reads from the cells before it.

A solution cell (nbgrader ``solution: true``) belongs to the first check cell (``grade: true``)
after it; an exercise is named by its check cell's ``grade_id``.
"""

from .depends import names_bound_and_read
from .release import grade_id, nbgrader_flag

GUARD_KEY = "classroom_guard"  # cell metadata of the guard cells the grader inserts


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
    """Solution and check cells run the student's code, so they get the per-cell time limit.

    So do guard cells, which are quick unless student code broke the kernel.
    """
    return nbgrader_flag(cell, "solution") or is_check_cell(cell) or GUARD_KEY in cell.metadata


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


def check_watch_names(instructor):
    """``{check grade_id: names}``: what each check reads from earlier cells, besides its answer.

    Those are the lesson's data and modules and the builtins it calls; a solution that rebinds one
    changes what the check tests. The names the instructor's solution binds are the answer itself.
    """
    watched, answer_names = {}, set()
    for cell in instructor.cells:
        names = names_bound_and_read(cell.source) if cell.cell_type == "code" else None
        if nbgrader_flag(cell, "solution") and names is not None:
            answer_names |= names[0]
        elif is_check_cell(cell):
            watched[grade_id(cell)] = (names[1] - answer_names) if names is not None else set()
            answer_names = set()
    return watched
