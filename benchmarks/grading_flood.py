"""The grader's memory while a submission floods its output: peak RSS of one grading process.

    .venv/bin/python benchmarks/grading_flood.py --megabytes 200

Grades, in this process and its sandbox, a two-exercise notebook whose first answer prints
``--megabytes`` MB to stdout before answering right, then prints the process's peak resident set
size, the seconds it took and what the report says. Run it with ``--megabytes 0`` for the
grader's size without a flood.
"""

import argparse
import resource
import sys
import tempfile
from pathlib import Path
from time import perf_counter

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classroom.grade import grade  # noqa: E402
from classroom.release import student_version  # noqa: E402

ANSWER = "def total(X):\n    ### BEGIN SOLUTION\n    return X.sum()\n    ### END SOLUTION"
CHECK = """assert total(torch.ones(2, 3)).item() == 6
### BEGIN HIDDEN TESTS
assert total(torch.ones(4, 5)).item() == 20
### END HIDDEN TESTS"""
FLOOD = "import sys\n\nfor _ in range({megabytes}):\n    sys.stdout.write('x' * 10**6)\n"


def exercise(name, source, points=None):
    nbgrader = {"grade": points is not None, "grade_id": name, "locked": points is not None,
                "schema_version": 3, "solution": points is None, "task": False}  # fmt: skip
    if points is not None:
        nbgrader["points"] = points
    return new_code_cell(source, metadata={"nbgrader": nbgrader})


def notebooks(megabytes):
    """``(instructor, submission)``: two exercises; the submission floods in the first."""
    instructor = new_notebook()
    instructor.cells = [new_code_cell("import torch")]
    for number in (1, 2):
        instructor.cells += [
            exercise(f"ex{number}", ANSWER),
            exercise(f"ex{number}-check", CHECK, 1),
        ]
    submission = student_version(instructor)
    solutions = [c for c in submission.cells if c.metadata.get("nbgrader", {}).get("solution")]
    plain = ANSWER.replace("    ### BEGIN SOLUTION\n", "").replace("\n    ### END SOLUTION", "")
    solutions[0].source = FLOOD.format(megabytes=megabytes) + plain
    solutions[1].source = plain
    return instructor, submission


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200, help="MB printed (default 200)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / name for name in ("instructor.ipynb", "submission.ipynb")]
        for nb, path in zip(notebooks(args.megabytes), paths):
            nbformat.write(nb, path)
        start = perf_counter()
        report = grade(paths[1], paths[0], timeout=600, cell_timeout=120)
        seconds = perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    statuses = ", ".join(f"{r.grade_id} {r.status}" for r in report.exercises)
    print(f"{args.megabytes} MB printed: grader peak RSS {peak_mib:.0f} MiB, {seconds:.1f} s")
    print(f"report: {statuses}; notes: {getattr(report, 'notes', [])}")


if __name__ == "__main__":
    main()
