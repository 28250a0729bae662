"""Grade a submitted notebook against the instructor notebook it was released from.

The notebook that runs is the instructor notebook with each solution cell's source taken from the
submission (matched by nbgrader ``grade_id``). Every other cell, above all every check cell with its
hidden tests, comes from the instructor, so editing or deleting a check cell in the submission
changes nothing. A check cell (nbgrader ``grade: true``) earns its points when it runs without an
error, as in nbgrader's autograder.

Execution uses nbclient in a fresh kernel of the current Python. Errors do not stop the run, so one
broken exercise fails only its own check. Cells that hold student code get their own time limit and
are interrupted when they pass it; the whole notebook has a time limit too, after which the cells
left are not run.
"""

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from time import monotonic

import ipykernel.kernelspec
import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from .depends import cells_needed_by_exercises
from .release import BEGIN_HIDDEN_TESTS, ClearSolutions, grade_id, nbgrader_flag

TIMEOUT_ENAME = "TimeoutError"
SKIP_TAG = "skip-execution"  # nbclient's tag for cells it must not run


@dataclass
class ExerciseResult:
    """The outcome of one check cell: ``status`` is "passed", "failed" or "not run"."""

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

    @property
    def score(self):
        return sum(result.points for result in self.exercises)

    @property
    def max_score(self):
        return sum(result.max_points for result in self.exercises)

    def to_dict(self):
        """A JSON-ready dict of the report, totals included."""
        return {**asdict(self), "score": self.score, "max_score": self.max_score}


def _read(path, argument):
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{argument} must be an existing .ipynb file, got {str(path)!r}")
    return nbformat.read(path, as_version=4)


def assemble(submission, instructor):
    """The notebook to run: ``instructor`` with the solution cells of ``submission`` put in.

    Both are nbformat NotebookNodes. A solution cell missing from the submission gets the release
    stub, so its exercise fails. Returns ``(notebook, missing_grade_ids)``; the inputs are left
    unchanged.
    """
    answers = {
        grade_id(cell): cell.source for cell in submission.cells if nbgrader_flag(cell, "solution")
    }
    graded = nbformat.from_dict(instructor)
    stub = ClearSolutions()
    missing = []
    for index, cell in enumerate(graded.cells):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if not nbgrader_flag(cell, "solution"):
            continue
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
        else:
            missing.append(grade_id(cell))
            stub.preprocess_cell(cell, {}, index)
    return graded, missing


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


class _CurrentPythonSpecs(KernelSpecManager):
    """Every kernel name maps to ipykernel in the Python running the grader.

    This is what nbval's --nbval-current-env does.
    """

    def get_kernel_spec(self, kernel_name):
        return self.kernel_spec_class(
            resource_dir=ipykernel.kernelspec.RESOURCES, **ipykernel.kernelspec.get_kernel_dict()
        )


class _OutOfTime(Exception):
    """The notebook's time limit passed before the next cell could start."""


class GradingClient(NotebookClient):
    """An nbclient NotebookClient that records each cell's reply and keeps to two time limits.

    ``deadline`` (a ``time.monotonic()`` value) bounds the whole run; ``cell_timeout`` (seconds)
    bounds each cell that holds student code. A cell that passes its limit is interrupted and counts
    as a TimeoutError.
    """

    def __init__(self, nb, deadline, cell_timeout, **kwargs):
        super().__init__(
            nb,
            km=AsyncKernelManager(kernel_spec_manager=_CurrentPythonSpecs(), kernel_name="python3"),
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={
                "ename": TIMEOUT_ENAME,
                "evalue": "the cell ran past its time limit",
                "traceback": [],
            },
            on_cell_executed=self._record_reply,
            **kwargs,
        )
        self.deadline = deadline
        self.cell_timeout = cell_timeout
        self.replies = {}  # cell index → execute_reply content

    def _record_reply(self, cell, cell_index, execute_reply):
        self.replies[cell_index] = execute_reply["content"]

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        remaining = self.deadline - monotonic()
        if remaining <= 0:
            raise _OutOfTime
        limit = min(remaining, self.cell_timeout) if holds_student_code(cell) else remaining
        self.timeout = max(1, math.ceil(limit))
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)


def run(nb, cwd, timeout, cell_timeout, fast=False):
    """Execute ``nb`` in place in folder ``cwd``; returns ``(replies_by_cell_index, why_stopped)``.

    ``why_stopped`` is "" when every cell ran. ``fast`` skips the lesson cells no exercise needs
    (see classroom.depends).
    """
    if fast:
        needed = cells_needed_by_exercises(nb)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and index not in needed:
                cell.metadata.setdefault("tags", []).append(SKIP_TAG)
    client = GradingClient(
        nb,
        deadline=monotonic() + timeout,
        cell_timeout=cell_timeout,
        skip_cells_with_tag=SKIP_TAG,
        resources={"metadata": {"path": str(cwd)}},
        shutdown_kernel="immediate",
    )
    try:
        client.execute()
    except _OutOfTime:
        return client.replies, f"the notebook time limit of {timeout:g} s passed"
    except DeadKernelError:
        return client.replies, "the kernel died"
    return client.replies, ""


def check_notebook(nb, cwd, timeout=1800, cell_timeout=120, fast=False):
    """Execute ``nb`` in place (see ``run``); return ``(exercise_results, why_stopped)``.

    The exercise results are those of its check cells.
    """
    replies, stopped = run(nb, cwd, timeout, cell_timeout, fast)
    return exercise_results(nb, replies, stopped), stopped


def _error_message(reply):
    ename, evalue = reply.get("ename", "Error"), reply.get("evalue", "")
    first_line = evalue.strip().splitlines()[0] if evalue.strip() else ""
    return f"{ename}: {first_line}" if first_line else ename


def exercise_results(nb, replies, stopped):
    """One ExerciseResult per check cell of the executed ``nb``.

    Built from the kernel's ``replies``, keyed by cell index.
    """
    results = []
    for index, cell in enumerate(nb.cells):
        if not is_check_cell(cell):
            continue
        max_points = cell.metadata.nbgrader.get("points", 0)
        reply = replies.get(index)
        if reply is None:
            status, message = "not run", stopped or "not run"
        elif reply.get("status") == "ok":
            status, message = "passed", ""
        else:
            status, message = "failed", _error_message(reply)
        results.append(
            ExerciseResult(
                grade_id(cell), max_points if status == "passed" else 0, max_points, status, message
            )
        )
    return results


def grade(submission_path, instructor_path, timeout=1800, cell_timeout=120, fast=False):
    """Grade the notebook at ``submission_path`` with the hidden tests of ``instructor_path``.

    Returns a Report. ``timeout``: seconds for the whole notebook; ``cell_timeout``: seconds for
    each solution or check cell; ``fast``: run only the lesson cells the exercises need. The kernel
    runs in the instructor notebook's folder, as the lesson does.
    """
    for name, value in (("timeout", timeout), ("cell_timeout", cell_timeout)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    submission = _read(submission_path, "submission_path")
    instructor = _read(instructor_path, "instructor_path")
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
    nb, missing = assemble(submission, instructor)
    results, stopped = check_notebook(
        nb, Path(instructor_path).resolve().parent, timeout, cell_timeout, fast
    )
    return Report(str(submission_path), str(instructor_path), results, missing, stopped)


def format_report(report):
    """The report as a plain-text table: one row per check cell, then the total."""
    rows = [
        (r.grade_id, f"{r.points:g}/{r.max_points:g}", r.status, r.message)
        for r in report.exercises
    ]
    header = ("exercise", "points", "result", "details")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(3)]
    lines = [f"Grading {report.submission} against {report.instructor}"]
    for row in [header, *rows]:
        lines.append(
            "  ".join(str(value).ljust(width) for value, width in zip(row, widths)) + "  " + row[3]
        )
    lines.append(f"Total: {report.score:g}/{report.max_score:g}")
    if report.missing_solutions:
        lines.append(
            f"Solution cells missing from the submission: {', '.join(report.missing_solutions)}"
        )
    if report.stopped:
        lines.append(f"Stopped early: {report.stopped}")
    return "\n".join(line.rstrip() for line in lines)
