"""Grade a whole class: many submissions, in parallel, into one gradebook.

``--jobs N`` grades with N long-lived grading workers (classroom.worker): processes that import
the grader once and grade one submission after another, each in a fresh sandboxed kernel, so a
submission that hangs, crashes its kernel or even its worker costs only its own row (the worker is
replaced). ``--scheduler ADDRESS`` grades each submission as a task on the workers of a
dask.distributed cluster instead (classroom.cluster), in a ``python -m classroom grade … --json``
process of its own (``grade_one``).
"""

import csv
import glob
import io
import json
import subprocess
import sys
from pathlib import Path

import nbformat

from .exercises import exercises
from .files import write_whole
from .words import _, status_word
from .worker import grade_with_workers

GLOB_CHARACTERS = set("*?[")
# Seconds a grading process (or a worker, for one submission) may take beyond the notebook's own
# time limit (its start, kernel starts and restarts).
PROCESS_MARGIN_S = 120


def find_submissions(sources, instructor_name):
    """``[(student, path)]`` for the submissions named by ``sources``, sorted by student.

    Each source is a notebook, a glob pattern, or a folder of student folders: in a folder every
    notebook named like the instructor's (``instructor_name``) counts, and the student is the
    subfolder it lies in. Otherwise the student is the notebook's folder name when the notebook has
    the instructor's name, else its file stem. Raises ValueError for a source that names nothing.
    """
    found = {}
    for source in sources:
        if not isinstance(source, (str, Path)):
            raise TypeError(f"sources must hold paths, got {type(source).__name__}")
        for student, path in _expand(str(source), instructor_name):
            if student in found and found[student] != path:
                student = str(path)  # two "alice" folders: keep both, named by path
            found[student] = path
    return sorted(found.items())


def _expand(source, instructor_name):
    """The ``(student, path)`` pairs one source names."""
    path = Path(source)
    if path.is_dir():
        notebooks = sorted(path.rglob(instructor_name))
        if not notebooks:
            raise ValueError(
                f"submissions folder {source!r} holds no {instructor_name!r} in any subfolder"
            )
        return [(_student_in(path, notebook), notebook) for notebook in notebooks]
    if GLOB_CHARACTERS & set(source):
        matches = sorted(Path(p) for p in glob.glob(source, recursive=True))
        if not matches:
            raise ValueError(f"submission pattern {source!r} matches no file")
        return [(_student_of(match, instructor_name), match) for match in matches]
    if not path.is_file():
        raise ValueError(f"submission must be a notebook, a folder or a glob, got {source!r}")
    return [(_student_of(path, instructor_name), path)]


def _student_in(folder, notebook):
    """The student a notebook under a class folder belongs to: its first subfolder's name."""
    parts = notebook.relative_to(folder).parts
    return parts[0] if len(parts) > 1 else notebook.stem


def _student_of(path, instructor_name):
    return path.parent.name if path.name == instructor_name else path.stem


def grade_one(path, instructor, options, timeout, checks=()):
    """The JSON report of one submission, graded in a process of its own.

    ``options``: extra ``classroom grade`` arguments; ``checks``: ``[(check grade_id, points)]``
    of the instructor notebook. A process that fails or outlives ``timeout`` seconds gives a report
    whose every exercise is "not run", with the reason in ``stopped``.
    """
    command = [sys.executable, "-m", "classroom", "grade", str(path), "--instructor"]
    command += [str(instructor), "--json", *options]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        reason = _("the grading process ran past {timeout:g} s and was stopped").format(
            timeout=timeout
        )
        return not_graded(path, checks, reason)
    try:
        report = json.loads(done.stdout)
    except ValueError:  # no report at all, or invalid bytes where one was expected
        report = None
    if not isinstance(report, dict) or not isinstance(report.get("exercises"), list):
        error = done.stderr.decode("utf-8", "replace").strip()[-300:]
        reason = _("the grading process failed: {error}").format(error=error)
        return not_graded(path, checks, reason)
    return report


def not_graded(path, checks, reason):
    """The report of a submission whose grading process (or worker) gave none."""
    exercises = [
        {"grade_id": name, "points": 0, "max_points": points, "status": "not run",
         "message": reason}
        for name, points in checks
    ]  # fmt: skip
    max_score = sum(points for _, points in checks) or None
    return {"submission": str(path), "exercises": exercises, "score": 0,
            "max_score": max_score, "stopped": reason}  # fmt: skip


def instructor_checks(instructor_path):
    """``[(check grade_id, points)]`` of the instructor notebook, in order."""
    nb = nbformat.read(instructor_path, as_version=4)
    return [(exercise.grade_id, exercise.points) for exercise in exercises(nb)]


def grade_many(submissions, instructor, out_dir, jobs=1, options=(), timeout=1800, scheduler=None):
    """Grade ``[(student, path)]`` against ``instructor``, ``jobs`` at a time.

    With ``scheduler``, the address of a dask.distributed scheduler (``tcp://host:8786``), each
    submission is a task on that cluster's workers instead, ``jobs`` unused. Writes
    ``<out_dir>/<student>.json`` per student and ``<out_dir>/gradebook.csv``; returns
    ``{student: report_dict}``.
    """
    if not isinstance(jobs, int) or isinstance(jobs, bool):
        raise TypeError(f"jobs must be an int, got {type(jobs).__name__}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if scheduler is not None and not isinstance(scheduler, str):
        raise TypeError(f"scheduler must be an address string, got {type(scheduler).__name__}")
    if scheduler is not None and not scheduler.strip():
        raise ValueError(f"scheduler must be an address such as tcp://host:8786, got {scheduler!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    limit = timeout + PROCESS_MARGIN_S
    checks = instructor_checks(instructor)
    if scheduler is None:
        reports = _grade_here(submissions, instructor, jobs, list(options), limit, checks)
    else:
        from .cluster import grade_on_cluster  # imports dask: only when a cluster is asked for

        reports = grade_on_cluster(scheduler, submissions, instructor, list(options), limit, checks)
    for student, report in reports.items():
        write_whole(out_dir / f"{file_stem(student)}.json", json.dumps(report, indent=2))
    write_whole(out_dir / "gradebook.csv", gradebook_text(reports), newline="")
    return reports


def _grade_here(submissions, instructor, jobs, options, limit, checks):
    """``{student: report}`` for ``[(student, path)]``, graded here by ``jobs`` workers."""
    return grade_with_workers(
        submissions, instructor, jobs, options, limit,
        lambda path, reason: not_graded(path, checks, reason),
    )  # fmt: skip


def file_stem(student):
    """A student name usable as a file name."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in student)


def gradebook_text(reports):
    """The CSV text of the gradebook: one row per student with points per exercise, total,
    maximum, and any exercise not run or stop.

    The column names are English for the programs that read them; the notes are in the language
    being spoken (classroom.words.speaking), for the instructor.
    """
    exercises = []
    for report in reports.values():
        exercises += [e["grade_id"] for e in report["exercises"] if e["grade_id"] not in exercises]
    handle = io.StringIO(newline="")
    writer = csv.writer(handle)
    writer.writerow(["student", *exercises, "total", "max", "notes"])
    for student, report in sorted(reports.items()):
        points = {e["grade_id"]: e for e in report["exercises"]}
        notes = [f"{e['grade_id']} {status_word(e['status'])}" for e in report["exercises"]
                 if e["status"] in ("not run",)]  # fmt: skip
        if report.get("stopped"):
            notes.append(report["stopped"])
        writer.writerow(
            [student, *(f"{points[g]['points']:g}" if g in points else "" for g in exercises),
             f"{report['score']:g}", report["max_score"] or "", "; ".join(notes)]
        )  # fmt: skip
    return handle.getvalue()
