"""nbgrader-style cells and submissions, built in code for the classroom and nbgrader tests, and
the released lessons they grade."""

import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from classroom.release import grade_id, nbgrader_flag

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO / "notebooks"
EDITIONS = {"en": NOTEBOOK_DIR, "zh": NOTEBOOK_DIR / "zh"}  # the Chinese edition: same exercises


def read(path):
    return nbformat.read(path, as_version=4)


def write(nb, path):
    nbformat.write(nb, path)
    return path


def run_cli(*args):
    """``python -m classroom ARGS`` from the repository root; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "classroom", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )


def instructor_path(name, edition="en"):
    return EDITIONS[edition] / f"{name}.ipynb"


def nbgrader_metadata(name, solution, points=None):
    """Cell metadata as nbgrader's create-assignment toolbar writes it.

    For a solution cell or a check cell.
    """
    fields = {
        "grade": points is not None,
        "grade_id": name,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        fields["points"] = points
    return {"nbgrader": fields}


def solution_cell(name, source):
    return new_code_cell(source, metadata=nbgrader_metadata(name, solution=True))


def check_cell(name, source, points=1):
    return new_code_cell(source, metadata=nbgrader_metadata(name, solution=False, points=points))


def solution_cells(nb):
    return [cell for cell in nb.cells if nbgrader_flag(cell, "solution")]


def check_cells(nb):
    return [
        cell
        for cell in nb.cells
        if nbgrader_flag(cell, "grade") and not nbgrader_flag(cell, "solution")
    ]


def with_solutions(student, instructor, grade_ids):
    """A copy of ``student`` with the instructor's source put back into some solution cells.

    Those named in grade_ids.
    """
    answers = {grade_id(cell): cell.source for cell in solution_cells(instructor)}
    filled = nbformat.from_dict(student)
    for cell in solution_cells(filled):
        if grade_id(cell) in grade_ids:
            cell.source = answers[grade_id(cell)]
    return filled


def wrong_answer(stub_source):
    """A stub that runs without NotImplementedError but answers nothing.

    Its ``raise`` becomes ``return None`` or ``pass``.
    """
    lines = stub_source.split("\n")
    for i, line in enumerate(lines):
        if line.strip() == "raise NotImplementedError()":
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = indent + ("return None" if indent else "pass")
    return "\n".join(lines)


def all_strings(value):
    """Every string anywhere in a JSON document: sources, outputs, metadata."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from all_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from all_strings(item)
