"""Grading a class on a dask.distributed cluster (``grade --scheduler``, docs/instructors.md): a
real scheduler and two workers, the ``dask`` command-line programs on 127.0.0.1, give the same
gradebook, reports and feedback pages as grading on this machine."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from distributed import Client

from classroom.feedback import FEEDBACK_FOLDER
from support.assignments import (
    instructor_path,
    read,
    run_cli,
    solution_cells,
    with_solutions,
    write,
)

pytestmark = [pytest.mark.grading, pytest.mark.slow]

DASK = Path(sys.executable).with_name("dask")  # the environment's own command-line program
LESSON = "02_edge_detection"
START_TIMEOUT_S = 60


def _start(command, log):
    """A process of its own session (so it and its children stop together), logging to ``log``."""
    with open(log, "wb") as handle:
        return subprocess.Popen(
            [str(part) for part in command],
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _stop(process):
    """Stop ``process`` and whatever it started (a worker's nanny starts the worker)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _address(scheduler_file, scheduler, log):
    """The scheduler's address, once it has written its scheduler file."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and scheduler.poll() is None:
        try:
            return json.loads(scheduler_file.read_text())["address"]
        except (OSError, ValueError, KeyError):  # not written yet, or half written
            time.sleep(0.1)
    raise AssertionError(f"the scheduler gave no address:\n{log.read_text()[-2000:]}")


@contextmanager
def cluster(folder):
    """Yield the address of a scheduler with two one-thread workers starting, every process
    stopped afterwards, even when the test fails."""
    folder.mkdir()
    processes = []
    try:
        processes.append(
            _start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                    "--scheduler-file", folder / "scheduler.json"], folder / "scheduler.log")
        )  # fmt: skip
        address = _address(folder / "scheduler.json", processes[0], folder / "scheduler.log")
        for n in range(2):
            processes.append(
                _start([DASK, "worker", address, "--nthreads", "1", "--no-dashboard",
                        "--host", "127.0.0.1", "--local-directory", folder / f"worker-{n}"],
                       folder / f"worker-{n}.log")
            )  # fmt: skip
        yield address
    finally:
        for process in reversed(processes):
            _stop(process)


def _class(student_dir, folder):
    """A class of two: one student solved every exercise, one answered nothing."""
    instructor = read(instructor_path(LESSON))
    student = read(student_dir / f"{LESSON}.ipynb")
    every = {cell.metadata.nbgrader["grade_id"] for cell in solution_cells(instructor)}
    submissions = {"solved": with_solutions(student, instructor, every), "unanswered": student}
    for name, nb in submissions.items():
        (folder / name).mkdir(parents=True)
        write(nb, folder / name / f"{LESSON}.ipynb")
    return folder


def _graded(out):
    """``(gradebook rows, {student: JSON report}, {page name: feedback page})`` of a class graded
    into ``out``."""
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        gradebook = list(csv.reader(handle))
    reports = {path.stem: json.loads(path.read_text()) for path in out.glob("*.json")}
    pages = {path.name: path.read_text() for path in (out / FEEDBACK_FOLDER).glob("*.html")}
    return gradebook, reports, pages


def _finished_gradings(address):
    """How many grading tasks the scheduler saw finish."""

    def count(dask_scheduler):
        prefix = dask_scheduler.task_prefixes.get("grade_shipped")
        return 0 if prefix is None else prefix.state_counts.get("memory", 0)

    with Client(address, timeout=START_TIMEOUT_S) as client:
        return client.run_on_scheduler(count)


def test_a_class_graded_on_a_cluster_gets_the_same_gradebook_and_reports(student_dirs, tmp_path):
    students = _class(student_dirs["en"], tmp_path / "class")
    grading = ["grade", students, "--instructor", instructor_path(LESSON), "--fast"]
    with cluster(tmp_path / "cluster") as address:
        here = run_cli(*grading, "--jobs", "2", "--out", tmp_path / "here")  # while workers start
        with Client(address, timeout=START_TIMEOUT_S) as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT_S)
        there = run_cli(*grading, "--scheduler", address, "--out", tmp_path / "there")
        finished = _finished_gradings(address)
    assert here.returncode == there.returncode == 1, there.stderr[-2000:]
    assert finished == 2  # each submission a task on the cluster, not graded here
    gradebook, reports, pages = _graded(tmp_path / "here")
    totals = {row[0]: (row[-3], row[-2]) for row in gradebook[1:]}  # total and max per student
    assert totals["solved"][0] == totals["solved"][1] != totals["unanswered"][0] == "0", gradebook
    assert len(reports) == len(pages) == 2
    # Nothing differs, not even the paths: the reports name the submissions as given here.
    assert _graded(tmp_path / "there") == (gradebook, reports, pages)
