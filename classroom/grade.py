"""Grade a submitted notebook against the instructor notebook it was released from.

The pipeline, one module per step: read the submission and put its solution cells into the
instructor notebook (classroom.submission); run it, hidden tests left out, in a fresh kernel in a
workspace and sandbox of its own (classroom.workspace, classroom.sandbox, classroom.execute) and
read the kernel's results of the visible checks (classroom.verdicts); then judge every check,
hidden tests included, in this process, calling the student's functions in that kernel
(classroom.judge, classroom.channel); report (classroom.report). When the kernel dies or hangs in
an exercise, that exercise fails and a fresh kernel goes on with the others.
"""

import math
import os
from pathlib import Path
from time import monotonic

import nbformat
from nbformat.v4 import new_code_cell

from .channel import StudentKernel
from .depends import cells_needed_by_exercises
from .execute import OUTPUT_LIMIT_BYTES, SKIP_TAG, run
from .exercises import GRADER_KEY, check_owners, exercises, is_check_cell
from .judge import Judge, rule_notes
from .release import BEGIN_HIDDEN_TESTS
from .report import ExerciseResult, Report
from .sandbox import (
    DEFAULT_MEMORY_LIMIT_GIB,
    Limits,
    Sandbox,
    SandboxUnavailable,
    why_unavailable,
)
from .submission import assemble, duplicated_solutions, malformed_cells, read_submission
from .verdicts import death_result, exercise_results
from .words import _, notebook_language, speaking
from .workspace import DATA_ENV_VAR, workspace

__all__ = ["DEFAULT_MEMORY_LIMIT_GIB", "assemble", "check_notebook", "grade"]


def _check_file(path, argument):
    if not Path(path).is_file():
        raise ValueError(f"{argument} must be an existing .ipynb file, got {str(path)!r}")


def _read(path, argument):
    _check_file(path, argument)
    return nbformat.read(path, as_version=4)


def _skip(cell):
    cell.metadata.setdefault("tags", []).append(SKIP_TAG)


def kernel_notebook(nb, memory_limit_gib):
    """What the student's kernel runs: ``nb`` without its hidden tests, and a setup cell
    (classroom.kernel_side.setup: the memory cap, the streams' flushing) before the first
    exercise, once the lesson has imported what it needs."""
    kernel_nb = nbformat.from_dict(nb)
    model = exercises(nb)
    for exercise in model:
        kernel_nb.cells[exercise.check].source = exercise.visible
    if model:
        first = min(min(exercise.solutions, default=exercise.check) for exercise in model)
        setup = (
            "import classroom.kernel_side as _grading\n"
            f"_grading.setup({memory_limit_gib!r})\n"
            "del _grading"
        )
        kernel_nb.cells.insert(first, new_code_cell(setup, metadata={GRADER_KEY: {"setup": True}}))
    return kernel_nb


def _attempt(nb, settled, fast):
    """The notebook to run next: ``nb`` with skip tags on what need not (or must not) run again.

    ``settled``: ``{check grade_id: ExerciseResult}`` of exercises already graded. Their checks are
    skipped, and so are the solutions of those not passed (a solution that killed the kernel would
    kill it again). ``fast`` also skips lesson cells no exercise reads.
    """
    attempt = nbformat.from_dict(nb)
    owners = check_owners(nb)
    needed = cells_needed_by_exercises(nb) if fast else None
    for index, cell in enumerate(attempt.cells):
        if cell.cell_type != "code" or GRADER_KEY in cell.metadata:
            continue
        owner = owners.get(index)
        result = settled.get(owner)
        if owner is None and needed is not None and index not in needed:
            _skip(cell)
        elif result is not None and (is_check_cell(cell) or result.status != "passed"):
            _skip(cell)
    return attempt


def _judged(judge, attempt, settled):
    """The ``then`` of a kernel's run (classroom.execute.run): the kernel's own results of the
    visible checks, and the judge's verdicts on those that passed there."""

    def then(km, replies):
        results = exercise_results(attempt, replies)
        wanted = {name for name, result in results.items()
                  if result.status == "passed" and name not in settled}  # fmt: skip
        kernel = StudentKernel(km)
        try:
            verdicts, lost = judge.judge(kernel, wanted)
        finally:
            kernel.close()
        return results, verdicts, lost

    return then


def check_notebook(
    nb,
    cwd,
    timeout=1800,
    cell_timeout=120,
    fast=False,
    env=None,
    memory_limit_gib=DEFAULT_MEMORY_LIMIT_GIB,
    sandbox=None,
    instructor=None,
    language="en",
):
    """Grade the assembled notebook ``nb`` against ``instructor`` (by default ``nb`` itself).

    ``language``: the edition's. Returns ``(exercise_results, why_stopped, restarts, notes)``;
    ``notes`` name the exercises whose output was cut. The student's kernel runs ``nb`` without
    hidden tests in folder ``cwd``, in ``sandbox`` unless it is None; then the judge
    (classroom.judge) runs each check whose visible part passed there, hidden tests included,
    calling the student's functions in that kernel. An exercise passes when both pass. When the
    kernel dies or hangs in an exercise, that exercise fails and a fresh kernel reruns what the
    later ones need (lesson cells and passed solutions) and goes on.
    """
    judge = Judge(nb if instructor is None else instructor, cell_timeout, language)
    kernel_nb = kernel_notebook(nb, memory_limit_gib)
    deadline = monotonic() + timeout
    settled, restarts, notes = {}, 0, []
    while True:
        attempt = _attempt(kernel_nb, settled, fast)
        left = max(deadline - monotonic(), 1e-3)
        then = _judged(judge, attempt, settled)
        outcome = run(attempt, cwd, left, cell_timeout, env, sandbox, then)
        results, verdicts, lost = outcome.then or (
            exercise_results(attempt, outcome.replies),
            {},
            None,
        )
        for name, result in results.items():
            if name in verdicts and verdicts[name] is not None:
                result = ExerciseResult(name, 0, result.max_points, "failed", verdicts[name])
            if result.status != "passed" or name in verdicts:
                settled.setdefault(name, result)
        notes += [note for note in _cut_notes(attempt, outcome.cut) if note not in notes]
        death = _death(attempt, outcome, lost)
        if death is None or death.grade_id in settled:
            break
        settled[death.grade_id] = death
        restarts += 1
    stopped = outcome.stopped if death is None else ""
    final = []
    for exercise in judge.exercises:
        name, points = exercise.grade_id, exercise.points
        final.append(
            settled.get(name, ExerciseResult(name, 0, points, "not run", stopped or _("not run")))
        )
    return final, stopped, restarts, notes


def _death(attempt, outcome, lost):
    """The failed result of the exercise the kernel died or hung in, in its run or while being
    judged; None when it did not (or died in lesson code)."""
    if outcome.died_at is not None:
        return death_result(attempt, outcome.died_at, outcome.hung)
    if lost is not None and lost[0] is not None:
        check = next(e.check for e in exercises(attempt) if e.grade_id == lost[0])
        return death_result(attempt, check, lost[1])
    return None


def _cut_notes(nb, cut):
    """A note for each cell of ``nb`` (indices ``cut``) whose output the grader cut."""
    owners, notes = check_owners(nb), []
    for index in cut:
        owner = owners.get(index)
        limit = OUTPUT_LIMIT_BYTES // 2**20
        if owner is None:
            notes.append(_("a lesson cell printed more than {limit} MiB; the rest was cut").format(
                limit=limit))  # fmt: skip
        else:
            notes.append(_("{exercise}: a cell printed more than {limit} MiB; the rest was cut")
                         .format(exercise=owner, limit=limit))  # fmt: skip
    return notes


def _check_positive(name, value):
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number of seconds, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def _check_instructor(instructor, instructor_path):
    if not any(is_check_cell(cell) for cell in instructor.cells):
        raise ValueError(
            f"instructor_path {str(instructor_path)!r} has no check cells (nbgrader grade: true)"
        )
    if not any(BEGIN_HIDDEN_TESTS in cell.source for cell in instructor.cells):
        # A student version passed by mistake would grade with the visible checks only.
        raise ValueError(
            f"instructor_path {str(instructor_path)!r} has no hidden tests: "
            "is it a student version?"
        )


def _sandbox(root, env, timeout):
    """The sandbox of a kernel in workspace ``root``: the data it reads, CPU time for the run."""
    data = [env[DATA_ENV_VAR]] if DATA_ENV_VAR in env else []
    # CPU seconds every core could spend in the time limit: it stops only what the limit misses.
    cpu_seconds = math.ceil(timeout) * (os.cpu_count() or 1) + 60
    return Sandbox(root, tuple(data), Limits(cpu_seconds=cpu_seconds))


def grade(
    submission_path,
    instructor_path,
    timeout=1800,
    cell_timeout=120,
    fast=False,
    memory_limit_gib=DEFAULT_MEMORY_LIMIT_GIB,
    sandboxed=True,
):
    """Grade the notebook at ``submission_path`` with the hidden tests of ``instructor_path``.

    Returns a Report. ``timeout``: seconds for the whole notebook; ``cell_timeout``: seconds for
    each solution or check cell; ``fast``: run only the lesson cells the exercises need;
    ``memory_limit_gib``: extra address space the kernel may take. The kernel runs in a fresh
    working folder (classroom.workspace) that holds no instructor notebook, inside an OS sandbox
    (classroom.sandbox) unless ``sandboxed`` is False; SandboxUnavailable says why there is none.
    """
    if sandboxed and (why := why_unavailable()):
        raise SandboxUnavailable(why)
    _check_positive("timeout", timeout)
    _check_positive("cell_timeout", cell_timeout)
    _check_positive("memory_limit_gib", memory_limit_gib)
    _check_file(submission_path, "submission_path")
    instructor = _read(instructor_path, "instructor_path")
    _check_instructor(instructor, instructor_path)
    language = notebook_language(instructor, instructor_path)
    with speaking(language):
        submission, unreadable = read_submission(submission_path)
    if submission is None:
        return _unread_report(submission_path, instructor_path, instructor, unreadable, language)
    nb, missing = assemble(submission, instructor)
    duplicates = duplicated_solutions(submission)
    with speaking(language), workspace(language, sandboxed) as (cwd, env):
        notes = malformed_cells(submission) + rule_notes(instructor, _solutions(nb))
        sandbox = _sandbox(cwd.parent, env, timeout) if sandboxed else None
        results, stopped, restarts, cut = check_notebook(
            nb, cwd, timeout, cell_timeout, fast, env, memory_limit_gib, sandbox, instructor,
            language,
        )  # fmt: skip
        for result in results:
            solution = result.grade_id.removesuffix("-check")
            if solution in duplicates:
                result.message = _(
                    "the submission has several solution cells with grade_id {grade_id!r}: "
                    "keep exactly one"
                ).format(grade_id=solution)
    report = Report(str(submission_path), str(instructor_path), results, missing, stopped)
    report.duplicate_solutions, report.kernel_restarts = duplicates, restarts
    report.language, report.notes = language, notes + cut
    return report


def _solutions(nb):
    """``{check grade_id: source}`` of the solution cells of the assembled notebook ``nb``."""
    return {
        exercise.grade_id: "\n\n".join(nb.cells[index].source for index in exercise.solutions)
        for exercise in exercises(nb)
    }


def _unread_report(submission_path, instructor_path, instructor, reason, language):
    """The report of a submission that is no readable notebook: every exercise "not run"."""
    results = [
        ExerciseResult(exercise.grade_id, 0, exercise.points, "not run", reason)
        for exercise in exercises(instructor)
    ]
    report = Report(str(submission_path), str(instructor_path), results, [], reason)
    report.language = language
    return report
