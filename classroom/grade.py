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
import os
from dataclasses import dataclass
from pathlib import Path
from time import monotonic

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_code_cell

from .depends import cells_needed_by_exercises, names_bound_and_read
from .guard import changes, guard_source, read_fingerprint
from .release import BEGIN_HIDDEN_TESTS, ClearSolutions, grade_id, nbgrader_flag
from .report import ExerciseResult, Report
from .sandbox import Limits, Sandbox, SandboxUnavailable, kernel_manager, why_unavailable
from .words import _, notebook_language, speaking
from .workspace import DATA_ENV_VAR, workspace

TIMEOUT_ENAME = "TimeoutError"
SKIP_TAG = "skip-execution"  # nbclient's tag for cells it must not run
GUARD_KEY = "classroom_guard"  # cell metadata of the guard cells the grader inserts
# Extra address space a kernel may take beyond what it holds at start, so a runaway solution meets
# MemoryError in its own cell instead of the machine's OOM killer.
DEFAULT_MEMORY_LIMIT_GIB = 4


def _read(path, argument):
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{argument} must be an existing .ipynb file, got {str(path)!r}")
    return nbformat.read(path, as_version=4)


def solution_sources(submission):
    """``{grade_id: [source, …]}``: the solution cells of ``submission``, in order."""
    answers = {}
    for cell in submission.cells:
        if nbgrader_flag(cell, "solution"):
            answers.setdefault(grade_id(cell), []).append(cell.source)
    return answers


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


def _guard_cell(exercise, watch):
    """A guard cell (see classroom.guard) on behalf of check ``exercise``."""
    source, nonce = guard_source(watch)
    return new_code_cell(source, metadata={GUARD_KEY: {"nonce": nonce, "exercise": exercise}})


def _memory_limit_cell(gib):
    """A first cell capping the kernel's address space at its current size plus ``gib`` GiB."""
    source = (
        "def _cap():\n"
        "    try:  # Linux; elsewhere (no resource module or /proc) there is no cap\n"
        "        import resource\n"
        "        with open('/proc/self/statm') as statm:\n"
        "            size = int(statm.read().split()[0]) * resource.getpagesize()\n"
        f"        cap = size + int({gib!r} * 2**30)\n"
        "        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
        "    except (ImportError, OSError, ValueError):\n"
        "        pass\n"
        "_cap()\n"
        "del _cap"
    )
    return new_code_cell(source, metadata={GUARD_KEY: {"setup": True}})


def with_guards(nb, watch, memory_limit_gib):
    """A copy of ``nb`` with guard cells around its student code, and the memory cap.

    A guard goes before each solution cell and before and after each check cell; the cap goes
    before the first exercise, once the lesson has imported what it needs. ``watch``:
    ``{check grade_id: user-namespace names to fingerprint}``.
    """
    guarded = nbformat.from_dict(nb)
    owners = check_owners(nb)
    cells = []
    for index, cell in enumerate(nb.cells):
        owner = owners.get(index)
        if index == min(owners, default=None):
            cells.append(_memory_limit_cell(memory_limit_gib))
        if owner is not None:
            cells.append(_guard_cell(owner, watch.get(owner, set())))
        cells.append(guarded.cells[index])
        if is_check_cell(cell):
            cells.append(_guard_cell(owner, watch.get(owner, set())))
    guarded.cells = cells
    return guarded


class _OutOfTime(Exception):
    """The notebook's time limit passed before the next cell could start."""


class GradingClient(NotebookClient):
    """An nbclient NotebookClient that records each cell's reply and keeps to two time limits.

    ``deadline`` (a ``time.monotonic()`` value) bounds the whole run; ``cell_timeout`` (seconds)
    bounds each cell that holds student code. A cell that passes its limit is interrupted and counts
    as a TimeoutError. ``current_index`` is the cell running (or last run), to blame a dead kernel.
    """

    def __init__(self, nb, deadline, cell_timeout, sandbox=None, **kwargs):
        super().__init__(
            nb,
            km=kernel_manager(sandbox),
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={
                "ename": TIMEOUT_ENAME,
                "evalue": _("the cell ran past its time limit"),
                "traceback": [],
            },
            on_cell_executed=self._record_reply,
            **kwargs,
        )
        self.deadline = deadline
        self.cell_timeout = cell_timeout
        self.replies = {}  # cell index → execute_reply content
        self.current_index = None

    def _record_reply(self, cell, cell_index, execute_reply):
        self.replies[cell_index] = execute_reply["content"]

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        remaining = self.deadline - monotonic()
        if remaining <= 0:
            raise _OutOfTime
        self.current_index = cell_index
        limit = min(remaining, self.cell_timeout) if holds_student_code(cell) else remaining
        self.timeout = max(1, math.ceil(limit))
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)


@dataclass
class _Run:
    """What one kernel's run of a notebook left: replies by cell index, and how it ended."""

    replies: dict
    stopped: str  # "" when every cell ran
    died_at: int = None  # the cell index the kernel died in, if it did


def run(nb, cwd, timeout, cell_timeout, env=None, sandbox=None):
    """Execute ``nb`` in place in folder ``cwd`` with environment ``env``; returns a _Run.

    The kernel runs in ``sandbox`` (classroom.sandbox.Sandbox) unless it is None. Cells tagged
    ``skip-execution`` are skipped.
    """
    client = GradingClient(
        nb,
        deadline=monotonic() + timeout,
        cell_timeout=cell_timeout,
        sandbox=sandbox,
        skip_cells_with_tag=SKIP_TAG,
        resources={"metadata": {"path": str(cwd)}},
        shutdown_kernel="immediate",
    )
    try:
        client.execute(**({"env": env} if env is not None else {}))
    except _OutOfTime:
        stopped = _("the notebook time limit of {timeout:g} s passed").format(timeout=timeout)
        return _Run(client.replies, stopped)
    except DeadKernelError:
        return _Run(client.replies, _("the kernel died"), client.current_index)
    return _Run(client.replies, "")


def _skip(cell):
    cell.metadata.setdefault("tags", []).append(SKIP_TAG)


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
        if cell.cell_type != "code" or GUARD_KEY in cell.metadata:
            continue
        owner = owners.get(index)
        result = settled.get(owner)
        if owner is None and needed is not None and index not in needed:
            _skip(cell)
        elif result is not None and (is_check_cell(cell) or result.status != "passed"):
            _skip(cell)
    return attempt


def _guard_findings(nb, replies):
    """``[(check grade_id, changes)]`` for each stretch of student code that changed something.

    Walks the guard cells in order; student code (a solution or check cell that ran) between two
    guards must leave the fingerprint unchanged, lesson code may change it.
    """
    owners, findings = check_owners(nb), []
    before, student_ran, solution_ran = None, False, False
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get(GUARD_KEY, {})
        if "nonce" not in meta:
            if index in replies and index in owners:
                student_ran = True
                solution_ran |= nbgrader_flag(cell, "solution")
            continue
        if index not in replies:
            continue
        after = read_fingerprint(cell.outputs, meta["nonce"])
        if after is None:
            silent = _(
                "the guard cell printed no fingerprint: cell execution or sys.stdout was replaced"
            )
            findings.append((meta["exercise"], [silent]))
        elif before is not None and student_ran:
            changed = changes(before, after, user_too=solution_ran)
            if changed:
                findings.append((meta["exercise"], changed))
        before = after if after is not None else before
        student_ran = solution_ran = False
    return findings


def exercise_results(nb, replies, stopped):
    """``{check grade_id: ExerciseResult}`` for the check cells of ``nb`` that ran.

    Built from the kernel's ``replies`` (keyed by cell index) and the guard cells' fingerprints:
    from the first exercise whose student code changed what checks rely on, every check that ran
    counts as tampered, since the kernel can no longer be trusted.
    """
    checks = [(index, cell) for index, cell in enumerate(nb.cells) if is_check_cell(cell)]
    order = [grade_id(cell) for _, cell in checks]
    findings = _guard_findings(nb, replies)
    first = min(findings, key=lambda finding: order.index(finding[0])) if findings else None
    results = {}
    for index, cell in checks:
        reply = replies.get(index)
        if reply is None:
            continue
        name, max_points = grade_id(cell), cell.metadata.nbgrader.get("points", 0)
        if first is not None and order.index(name) >= order.index(first[0]):
            message = _tampering_message(name, first)
            results[name] = ExerciseResult(name, 0, max_points, "tampered", message, first[1])
        elif reply.get("status") == "ok":
            results[name] = ExerciseResult(name, max_points, max_points, "passed", "")
        else:
            message = _error_message(reply) + _solution_error(nb, replies, name)
            results[name] = ExerciseResult(name, 0, max_points, "failed", message)
    return results


def _tampering_message(name, first):
    """What a tampered check's result says: what changed, and in which exercise if another."""
    found_in, changed = first
    what = "; ".join(changed[:5])
    if name == found_in:
        return _("student code changed: {changes}").format(changes=what)
    return _("student code changed while grading {exercise}: {changes}").format(
        exercise=found_in, changes=what
    )


def _solution_error(nb, replies, check_name):
    """`` (the solution cell raised …)`` when the solution of ``check_name`` failed, else ""."""
    owners = check_owners(nb)
    for index, cell in enumerate(nb.cells):
        reply = replies.get(index) or {}
        if owners.get(index) == check_name and nbgrader_flag(cell, "solution"):
            if reply.get("status") == "error":
                return _(" (the solution cell raised {error})").format(error=_error_message(reply))
    return ""


def _error_message(reply):
    ename, evalue = reply.get("ename", "Error"), reply.get("evalue", "")
    first_line = evalue.strip().splitlines()[0] if evalue.strip() else ""
    return f"{ename}: {first_line}" if first_line else ename


def _death_result(nb, died_at):
    """The failed result of the exercise whose cell was running when the kernel died, or None."""
    cell = nb.cells[died_at]
    owner = check_owners(nb).get(died_at) or cell.metadata.get(GUARD_KEY, {}).get("exercise")
    if owner is None:
        return None
    check = next(c for c in nb.cells if is_check_cell(c) and grade_id(c) == owner)
    message = _("the kernel died (exit, os._exit, a signal or out of memory); it was restarted")
    return ExerciseResult(owner, 0, check.metadata.nbgrader.get("points", 0), "failed", message)


def check_notebook(
    nb,
    cwd,
    timeout=1800,
    cell_timeout=120,
    fast=False,
    env=None,
    watch=None,
    memory_limit_gib=DEFAULT_MEMORY_LIMIT_GIB,
    sandbox=None,
):
    """Grade the assembled notebook ``nb``; returns ``(exercise_results, why_stopped, restarts)``.

    ``nb`` runs with guard cells (see classroom.guard) in folder ``cwd``, its kernel in ``sandbox``
    unless it is None. When the kernel dies in an
    exercise, that exercise fails and a fresh kernel reruns what the later ones need (lesson cells
    and passed solutions) and goes on. ``watch``: ``{check grade_id: names}`` from
    ``check_watch_names`` (by default those of ``nb`` itself).
    """
    guarded = with_guards(nb, check_watch_names(nb) if watch is None else watch, memory_limit_gib)
    deadline = monotonic() + timeout
    settled, restarts = {}, 0
    while True:
        attempt = _attempt(guarded, settled, fast)
        left = max(deadline - monotonic(), 1e-3)
        outcome = run(attempt, cwd, left, cell_timeout, env, sandbox)
        for name, result in exercise_results(attempt, outcome.replies, outcome.stopped).items():
            settled.setdefault(name, result)
        death = _death_result(attempt, outcome.died_at) if outcome.died_at is not None else None
        if death is None or death.grade_id in settled:
            break
        settled[death.grade_id] = death
        restarts += 1
    stopped = outcome.stopped if death is None else ""
    results = []
    for cell in guarded.cells:
        if is_check_cell(cell):
            points = cell.metadata.nbgrader.get("points", 0)
            not_run = ExerciseResult(grade_id(cell), 0, points, "not run", stopped or _("not run"))
            results.append(settled.get(grade_id(cell), not_run))
    return results, stopped, restarts


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
    submission = _read(submission_path, "submission_path")
    instructor = _read(instructor_path, "instructor_path")
    _check_instructor(instructor, instructor_path)
    language = notebook_language(instructor, instructor_path)
    nb, missing = assemble(submission, instructor)
    duplicates = duplicated_solutions(submission)
    with speaking(language), workspace(language, sandboxed) as (cwd, env):
        sandbox = _sandbox(cwd.parent, env, timeout) if sandboxed else None
        results, stopped, restarts = check_notebook(
            nb, cwd, timeout, cell_timeout, fast, env, check_watch_names(instructor),
            memory_limit_gib, sandbox,
        )  # fmt: skip
        for result in results:
            solution = result.grade_id.removesuffix("-check")
            if solution in duplicates and result.status != "tampered":
                result.message = _(
                    "the submission has several solution cells with grade_id {grade_id!r}: "
                    "keep exactly one"
                ).format(grade_id=solution)
    report = Report(str(submission_path), str(instructor_path), results, missing, stopped)
    report.duplicate_solutions, report.kernel_restarts = duplicates, restarts
    report.language = language
    return report
