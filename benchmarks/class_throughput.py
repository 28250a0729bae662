"""How fast a class is graded: submissions per minute for lesson 02, and the judge's share.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/class_throughput.py --students 12 --jobs 2 \
        --baseline 95ad5c3

Writes a class of released lesson-02 notebooks (every other one solved with the instructor's
solutions, the rest unanswered, as a class hands in), grades it with the class command
(``classroom grade CLASS --instructor … --fast --jobs N``, sandboxed) ``--runs`` times, and
prints the median and the spread of submissions per minute. With ``--baseline REV``, the grader
as committed at REV (``git archive``, run from a temporary copy with the same environment and
data) grades the same class in turns with this one, and the ratio of the medians is printed;
both also grade one solved submission alone (``classroom grade SUBMISSION --fast``). Then
grades one solved submission in this process (after a first grading, which starts the kernel fork
server) and prints how long the judge (classroom.judge) took of it: the cost of judging the
hidden tests outside the student's kernel. Last, one grading worker (classroom.worker) grades a
solved submission ``--worker-gradings`` times, and its resident memory and open files after each
grading are printed: they must not grow from one submission to the next.
"""

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import nbformat  # noqa: E402
import psutil  # noqa: E402

from classroom import judge  # noqa: E402
from classroom.grade import grade  # noqa: E402
from classroom.release import student_version  # noqa: E402
from classroom.worker import Worker  # noqa: E402
from support.assignments import solution_cells, with_solutions  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
INSTRUCTOR = REPO / "notebooks" / "02_edge_detection.ipynb"


def write_class(folder, students):
    """``students`` submissions in ``folder/<student>/``: even ones solved, odd ones not."""
    instructor = nbformat.read(INSTRUCTOR, as_version=4)
    blank = student_version(instructor)
    solved = with_solutions(blank, instructor, {c.metadata.nbgrader["grade_id"]
                                                for c in solution_cells(blank)})  # fmt: skip
    for number in range(students):
        (folder / f"student{number:03d}").mkdir(parents=True)
        nb = solved if number % 2 == 0 else blank
        nbformat.write(nb, folder / f"student{number:03d}" / INSTRUCTOR.name)
    return folder / "student000" / INSTRUCTOR.name


def grade_class(folder, out, jobs, code=REPO):
    """Seconds the class command of the grader in folder ``code`` takes to grade ``folder``."""
    command = [sys.executable, "-m", "classroom", "grade", str(folder), "--instructor",
               str(INSTRUCTOR), "--fast", "--jobs", str(jobs), "--out", str(out)]  # fmt: skip
    env = {**os.environ, "FASHION_MNIST_ROOT": str(REPO / "data")}  # the copy has no data folder
    start = perf_counter()
    done = subprocess.run(command, cwd=code, check=False, capture_output=True, env=env)
    seconds = perf_counter() - start
    if done.returncode not in (0, 1):
        raise RuntimeError(f"the class command failed: {done.stderr.decode()[-2000:]}")
    return seconds


def grade_one_seconds(submission, code=REPO):
    """Seconds ``classroom grade SUBMISSION --fast`` of the grader in folder ``code`` takes."""
    command = [sys.executable, "-m", "classroom", "grade", str(submission), "--instructor",
               str(INSTRUCTOR), "--fast"]  # fmt: skip
    env = {**os.environ, "FASHION_MNIST_ROOT": str(REPO / "data")}
    start = perf_counter()
    done = subprocess.run(command, cwd=code, check=False, capture_output=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"the grade command failed: {done.stderr.decode()[-2000:]}")
    return perf_counter() - start


def checked_out(revision, folder):
    """The repository's files at ``revision`` (``git archive``), written into ``folder``."""
    archive = subprocess.run(["git", "archive", revision], cwd=REPO, check=True,
                             capture_output=True).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def rates_of(graders, folder, students, jobs, runs):
    """``{name: [submissions per minute]}``, the graders (``{name: code folder}``) in turns."""
    rates = {name: [] for name in graders}
    for run in range(runs):
        for name, code in graders.items():
            seconds = grade_class(folder / "class", folder / f"out-{name}-{run}", jobs, code)
            rates[name].append(students / seconds * 60)
            print(f"run {run + 1}, {name}: {students} submissions in {seconds:.1f} s")
    return rates


def judge_seconds(submission):
    """Seconds the judge takes of one grading of ``submission`` in this process."""
    spent = []
    judging = judge.Judge.judge

    def timed(self, kernel, wanted):
        start = perf_counter()
        try:
            return judging(self, kernel, wanted)
        finally:
            spent.append(perf_counter() - start)

    grade(submission, INSTRUCTOR, fast=True)  # the first starts this process's fork server
    judge.Judge.judge = timed
    try:
        start = perf_counter()
        report = grade(submission, INSTRUCTOR, fast=True)
        total = perf_counter() - start
    finally:
        judge.Judge.judge = judging
    return sum(spent), total, report.score


def worker_footprint(submission, gradings):
    """``[(resident MiB, open files)]`` of one grading worker after each of ``gradings``
    gradings of ``submission`` (``--fast``, sandboxed)."""
    worker = Worker()
    request = {"submission": str(submission), "instructor": str(INSTRUCTOR), "options": ["--fast"]}
    footprint = []
    try:
        for _ in range(gradings):
            worker.grade(request, 600)
            process = psutil.Process(worker.process.pid)
            footprint.append((process.memory_info().rss / 2**20, process.num_fds()))
    finally:
        worker.close()
    return footprint


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=12, help="submissions (default 12)")
    parser.add_argument("--jobs", type=int, default=2, help="gradings at once (default 2)")
    parser.add_argument("--runs", type=int, default=3, help="gradings of the class (default 3)")
    parser.add_argument(
        "--worker-gradings", type=int, default=10, help="gradings by one worker (default 10)"
    )
    parser.add_argument("--baseline", help="a git revision whose grader takes turns with this one")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        solved = write_class(folder / "class", args.students)
        graders = {"this": REPO}
        if args.baseline:
            graders[args.baseline] = checked_out(args.baseline, folder / "baseline")
        rates = rates_of(graders, folder, args.students, args.jobs, args.runs)
        for name, values in rates.items():
            print(
                f"lesson 02, --fast --jobs {args.jobs}, {name}: median "
                f"{statistics.median(values):.1f} submissions per minute "
                f"(min {min(values):.1f}, max {max(values):.1f})"
            )
        if args.baseline:
            ratio = statistics.median(rates["this"]) / statistics.median(rates[args.baseline])
            print(f"this / {args.baseline}: {ratio:.2f} times as many per minute")
        for name, code in graders.items():  # one submission, as an instructor grades it
            seconds = [grade_one_seconds(solved, code) for _ in range(args.runs)]
            print(f"grade one solved submission, {name}: median {statistics.median(seconds):.2f} s"
                  f" (min {min(seconds):.2f}, max {max(seconds):.2f})")  # fmt: skip
        judged, total, score = judge_seconds(solved)
        print(
            f"one solved submission ({score:g} points): {total:.2f} s, "
            f"of which the judge {judged:.2f} s"
        )
        footprint = worker_footprint(solved, args.worker_gradings)
        print(f"one worker, {len(footprint)} gradings: resident MiB and open files after each:")
        print(", ".join(f"{mib:.0f}/{files}" for mib, files in footprint))


if __name__ == "__main__":
    main()
