"""The student's kernel's results: each visible check cell's, from the kernel's replies.

A visible check (nbgrader ``grade: true``, its hidden tests removed) passes in the kernel when it
runs without an error, as in nbgrader's autograder. This only ever fails an exercise: whether it
passes is the judge's to say (classroom.judge), since the student's code can make anything in
its own kernel seem to pass.
"""

from .exercises import exercises
from .report import ExerciseResult
from .words import _


def exercise_results(nb, replies):
    """``{check grade_id: ExerciseResult}`` for the check cells of ``nb`` that ran, from the
    kernel's ``replies`` (keyed by cell index)."""
    results = {}
    for exercise in exercises(nb):
        reply = replies.get(exercise.check)
        if reply is None:
            continue
        name, max_points = exercise.grade_id, exercise.points
        if reply.get("status") == "ok":
            results[name] = ExerciseResult(name, max_points, max_points, "passed", "")
        else:
            message = _error_message(reply) + _solution_error(nb, replies, name)
            results[name] = ExerciseResult(name, 0, max_points, "failed", message)
    return results


def _solution_error(nb, replies, check_name):
    """`` (the solution cell raised …)`` when the solution of ``check_name`` failed, else ""."""
    exercise = next(e for e in exercises(nb) if e.grade_id == check_name)
    for index in exercise.solutions:
        reply = replies.get(index) or {}
        if reply.get("status") == "error":
            return _(" (the solution cell raised {error})").format(error=_error_message(reply))
    return ""


def _error_message(reply):
    """``ename: evalue`` of an error reply (its first line, shortened by classroom.execute)."""
    ename, evalue = reply.get("ename", "Error"), reply.get("evalue", "")
    return f"{ename}: {evalue}" if evalue else ename


def death_result(nb, died_at, hung=False):
    """The failed result of the exercise whose cell was running when the kernel died (or, with
    ``hung``, ignored an interrupt and was shut down), or None."""
    owner = next((e for e in exercises(nb) if died_at in (*e.solutions, e.check)), None)
    if owner is None:
        return None
    if hung:
        message = _(
            "the cell ran past its time limit and ignored the interrupt; the kernel was restarted"
        )
    else:
        message = _("the kernel died (exit, os._exit, a signal or out of memory); it was restarted")
    return ExerciseResult(owner.grade_id, 0, owner.points, "failed", message)
