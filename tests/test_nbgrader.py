"""The real nbgrader, both ways: it accepts our notebooks and agrees with our grader.

A session fixture installs nbgrader (pinned) in a virtual environment of its own under
``build/``, so the learners' JupyterLab never gets nbgrader's extensions. That environment sees
the project's packages (a ``.pth`` file names the project's site-packages), so pip adds only what
nbgrader needs beyond them (nbgrader, notebook, alembic, mako, rapidfuzz: 8 s here, against 57 s
for all of them from a fresh CI machine); its ``python3`` kernel is pointed at this project's
Python, which has torch and the lesson code. Then, in a course folder:

* ``nbgrader generate_assignment`` accepts every instructor notebook;
* the student version ``classroom release`` writes passes ``nbgrader validate``'s structure checks
  (cell checksums and ``cell_type`` metadata), run with nbgrader's own Validator without executing;
* ``nbgrader autograde`` gives the same per-exercise scores as ``classroom grade`` for a full, an
  empty and a half-solved submission of the notebooks in AUTOGRADED. The others are left out to
  keep ``make test`` within its time budget (a full autograde of 05 trains LeNet for minutes per
  submission); ``CLASSROOM_NBGRADER_ALL=1`` compares all six (see the README).
"""

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path
from time import monotonic

import nbformat
import pytest

from classroom.grade import grade
from classroom.release import grade_id, release, student_version
from support.assignments import solution_cells, with_solutions, wrong_answer
from support.lessons import NOTEBOOK_NAMES

pytestmark = pytest.mark.nbgrader

REPO = Path(__file__).resolve().parents[1]
NBGRADER_VERSION = "0.9.6"
VENV = REPO / "build" / f"nbgrader-{NBGRADER_VERSION}-venv"
AUTOGRADED = NOTEBOOK_NAMES if os.environ.get("CLASSROOM_NBGRADER_ALL") else ["02_edge_detection"]
SUBMISSIONS = ("full", "empty", "half")


def _venv_python():
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


@pytest.fixture(scope="session")
def nbgrader_python():
    """The Python of a venv holding nbgrader, created once (pip's cache makes a rebuild quick)."""
    marker = VENV / "installed"
    if not marker.is_file():
        start = monotonic()
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        _see_project_packages()
        subprocess.run(
            [str(_venv_python()), "-m", "pip", "install", "-q", f"nbgrader=={NBGRADER_VERSION}"],
            check=True,
        )
        marker.write_text(f"created in {monotonic() - start:.0f} s\n")
    _use_project_kernel()
    return _venv_python()


def _see_project_packages():
    """A ``.pth`` file in the venv that puts the project's site-packages after the venv's own."""
    venv_packages = subprocess.run(
        [str(_venv_python()), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    Path(venv_packages, "project-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")


def _use_project_kernel():
    """Point the venv's ``python3`` kernel at the project's Python, lesson code on its path."""
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (project)",
        "language": "python",
        "env": {"PYTHONPATH": str(REPO)},
    }
    folder = VENV / "share" / "jupyter" / "kernels" / "python3"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kernel.json").write_text(json.dumps(spec))


def nbgrader(python, course, *args):
    """Run ``nbgrader ARGS`` in folder ``course``; fails the test with nbgrader's output."""
    # nbgrader runs the ``alembic`` command of its own environment to set up its database.
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(python).parent), os.environ["PATH"]])}
    done = subprocess.run(
        [str(python), "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, f"nbgrader {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


ASSIGNMENT = "lessons"  # one assignment holding all six notebooks: one generate_assignment


@pytest.fixture(scope="session")
def course(nbgrader_python, tmp_path_factory):
    """A course folder with every instructor notebook in ``source/lessons/``, generated.

    nbgrader creates the assignment and, when autograding, the students in its database itself.
    """
    root = tmp_path_factory.mktemp("course")
    config = f"""\
        c = get_config()
        c.CourseDirectory.course_id = "convolutions-to-lenet"
        c.CourseDirectory.root = {str(root)!r}
        c.Execute.timeout = 600
    """
    (root / "nbgrader_config.py").write_text(textwrap.dedent(config))
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    for name in NOTEBOOK_NAMES:
        nb = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", 4)
        nbformat.write(nb, root / "source" / ASSIGNMENT / f"{name}.ipynb")
    nbgrader(nbgrader_python, root, "generate_assignment", ASSIGNMENT, "--force")
    return root


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_nbgrader_generate_assignment_accepts_the_instructor_notebook(name, course):
    released = nbformat.read(course / "release" / ASSIGNMENT / f"{name}.ipynb", 4)
    stubs = [cell.source for cell in solution_cells(released)]
    assert stubs and all("raise NotImplementedError()" in source for source in stubs)


VALIDATE_STRUCTURE = """
import json, sys
import nbformat
from nbgrader.validator import Validator

validator = Validator()
found = {}
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    found[path] = {
        "checksummed": sum("checksum" in c.metadata.get("nbgrader", {}) for c in nb.cells),
        "changed": len(validator._get_changed_cells(nb)),
        "type_changed": len(validator._get_type_changed_cells(nb)),
    }
print(json.dumps(found))
"""


def assert_nbgrader_validates_structure(nbgrader_python, paths):
    """nbgrader's validator finds the check cells checksummed and unchanged in each notebook."""
    done = subprocess.run(
        [str(nbgrader_python), "-c", VALIDATE_STRUCTURE, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    for path, found in json.loads(done.stdout).items():
        assert found["checksummed"] >= 4 and found["changed"] == found["type_changed"] == 0, path


def test_classroom_release_passes_nbgrader_validate_structure_checks(nbgrader_python, tmp_path):
    assert_nbgrader_validates_structure(nbgrader_python, release(REPO / "notebooks", tmp_path))


def submission(name, kind):
    """A submission of lesson ``name``: "full", "empty" (the stubs) or "half" (ex1 solved only)."""
    instructor = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", 4)
    student = student_version(instructor)
    if kind == "empty":
        return student
    solved = {"ex1"} if kind == "half" else {grade_id(c) for c in solution_cells(student)}
    filled = with_solutions(student, instructor, solved)
    for cell in solution_cells(filled)[1:] if kind == "half" else []:
        cell.source = wrong_answer(cell.source)
    return filled


READ_SCORES = """
import json, sys
from nbgrader.api import Gradebook

assignment, notebook, students = sys.argv[1], sys.argv[2], sys.argv[3:]
with Gradebook("sqlite:///gradebook.db") as gradebook:
    cells = gradebook.find_notebook(notebook, assignment).grade_cells
    print(json.dumps({
        student: {
            cell.name: gradebook.find_grade(cell.name, notebook, assignment, student).score
            for cell in cells
        }
        for student in students
    }))
"""


@pytest.mark.parametrize("name", AUTOGRADED)
def test_nbgrader_autograde_agrees_with_classroom_grade(name, course, nbgrader_python, tmp_path):
    ours = {}
    for kind in SUBMISSIONS:
        folder = course / "submitted" / kind / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(submission(name, kind), folder / f"{name}.ipynb")
        report = grade(folder / f"{name}.ipynb", REPO / "notebooks" / f"{name}.ipynb", fast=True)
        ours[kind] = {result.grade_id: result.points for result in report.exercises}
    nbgrader(nbgrader_python, course, "autograde", ASSIGNMENT, f"--notebook={name}", "--force")
    done = subprocess.run(
        [str(nbgrader_python), "-c", READ_SCORES, ASSIGNMENT, name, *SUBMISSIONS],
        cwd=course,
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = json.loads(done.stdout)
    assert theirs == ours
    assert sum(ours["full"].values()) > 0 and sum(ours["empty"].values()) == 0
    assert 0 < sum(ours["half"].values()) < sum(ours["full"].values())
