"""Verdicts: each check cell's result, from the kernel's replies and the guard cells' fingerprints.

A check cell (nbgrader ``grade: true``) earns its points when it runs without an error, as in
nbgrader's autograder, unless student code changed what checks rely on (classroom.guard).
"""

from .exercises import GUARD_KEY, check_owners, is_check_cell
from .guard import changes, read_fingerprint
from .release import grade_id, nbgrader_flag
from .report import ExerciseResult, printable
from .words import _


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
            changed = [printable(change, 200) for change in changes(before, after, solution_ran)]
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
    """``ename: evalue`` of an error reply (its first line, shortened by classroom.execute)."""
    ename, evalue = reply.get("ename", "Error"), reply.get("evalue", "")
    return f"{ename}: {evalue}" if evalue else ename


def death_result(nb, died_at, hung=False):
    """The failed result of the exercise whose cell was running when the kernel died (or, with
    ``hung``, ignored an interrupt and was shut down), or None."""
    cell = nb.cells[died_at]
    owner = check_owners(nb).get(died_at) or cell.metadata.get(GUARD_KEY, {}).get("exercise")
    if owner is None:
        return None
    check = next(c for c in nb.cells if is_check_cell(c) and grade_id(c) == owner)
    if hung:
        message = _(
            "the cell ran past its time limit and ignored the interrupt; the kernel was restarted"
        )
    else:
        message = _("the kernel died (exit, os._exit, a signal or out of memory); it was restarted")
    return ExerciseResult(owner, 0, check.metadata.nbgrader.get("points", 0), "failed", message)
