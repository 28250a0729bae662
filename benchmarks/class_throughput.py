"""How fast a class is graded: submissions per minute for lesson 02, and the judge's share.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/class_throughput.py --students 12 --jobs 2

Writes a class of released lesson-02 notebooks (every other one solved with the instructor's
solutions, the rest unanswered, as a class hands in), grades it with the class command
(``classroom grade CLASS --instructor … --fast --jobs N``, sandboxed) ``--runs`` times, and
prints the median and the spread of submissions per minute. Then grades one solved submission in
this process and prints how long the judge (classroom.judge) took of it: the cost of judging the
hidden tests outside the student's kernel. Last, one grading worker (classroom.worker) grades a
solved submission ``--worker-gradings`` times, and its resident memory and open files after each
grading are printed: they must not grow from one submission to the next.
"""

import argparse
import statistics
import subprocess
import sys
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


def grade_class(folder, out, jobs):
    """Seconds the class command takes to grade ``folder``."""
    command = [sys.executable, "-m", "classroom", "grade", str(folder), "--instructor",
               str(INSTRUCTOR), "--fast", "--jobs", str(jobs), "--out", str(out)]  # fmt: skip
    start = perf_counter()
    subprocess.run(command, cwd=REPO, check=False, capture_output=True)
    return perf_counter() - start


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
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        solved = write_class(Path(folder) / "class", args.students)
        rates = []
        for run in range(args.runs):
            seconds = grade_class(Path(folder) / "class", Path(folder) / f"out{run}", args.jobs)
            rates.append(args.students / seconds * 60)
            print(f"run {run + 1}: {args.students} submissions in {seconds:.1f} s")
        print(
            f"lesson 02, --fast --jobs {args.jobs}: median {statistics.median(rates):.1f} "
            f"submissions per minute (min {min(rates):.1f}, max {max(rates):.1f})"
        )
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
