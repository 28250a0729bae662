"""Long-lived grading workers (classroom.worker): a class graded by workers gets the reports of
one grading per process, and a worker that dies or hangs costs only the submission it was grading.
"""

import json
import os
import signal
import threading
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from classroom.batch import grade_many
from classroom.grade import grade
from classroom.release import student_version
from classroom.worker import Worker, parse_answer
from support.assignments import check_cell, solution_cell

# The lesson cell the check reads, so the judge runs it in the worker too: its write to file
# descriptor 1 must not land among the worker's answers.
LESSON = 'import os\nos.write(1, b"a line that is no answer\\n")\nFACTOR = 2'
SOLUTION = "def double(x):\n    ### BEGIN SOLUTION\n    return FACTOR * x\n    ### END SOLUTION"
CHECK = (
    "assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-3) == -6\n### END HIDDEN TESTS"
)
OPTIONS = ["--timeout", "60", "--cell-timeout", "10"]
KILL_AFTER_S = 0.2  # far less than a grading takes: the worker dies in the middle of it
HUNG_LIMIT_S = 1


def instructor_notebook():
    nb = new_notebook()
    nb.cells = [new_code_cell(LESSON), solution_cell("double", SOLUTION),
                check_cell("double-check", CHECK)]  # fmt: skip
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class of four graded by one worker at a time: "b-killed"'s worker is killed while it
    grades, "c-hung"'s worker stops answering; ``(root, reports, gradebook, worker pids, worker
    folders)``."""
    root = tmp_path_factory.mktemp("workers")
    instructor = root / "source" / "double.ipynb"
    instructor.parent.mkdir()
    nbformat.write(instructor_notebook(), instructor)
    solved = student_version(instructor_notebook())
    solved.cells[1].source = "def double(x):\n    return FACTOR * x"
    students = {"a-solved": solved, "b-killed": solved, "c-hung": solved,
                "d-blank": student_version(instructor_notebook())}  # fmt: skip
    submissions = []
    for student, nb in students.items():
        (root / "class" / student).mkdir(parents=True)
        nbformat.write(nb, root / "class" / student / "double.ipynb")
        submissions.append((student, root / "class" / student / "double.ipynb"))
    pids, folders, original = {}, set(), Worker.grade

    def grade_with_faults(self, request, limit):
        student = Path(request["submission"]).parent.name
        pids[student] = self.process.pid
        folders.add(self.folder)
        if student == "b-killed":
            threading.Timer(KILL_AFTER_S, self.process.kill).start()
        if student == "c-hung":
            os.kill(self.process.pid, signal.SIGSTOP)
            limit = HUNG_LIMIT_S
        return original(self, request, limit)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Worker, "grade", grade_with_faults)
        reports = grade_many(submissions, instructor, root / "graded", 1, OPTIONS, 60)
    gradebook = (root / "graded" / "gradebook.csv").read_text(encoding="utf-8")
    return root, reports, gradebook, pids, folders


@pytest.mark.grading
@pytest.mark.slow
def test_a_killed_worker_costs_only_its_submission(graded):
    _, reports, gradebook, pids, _folders = graded
    killed = reports["b-killed"]
    assert killed["score"] == 0 and killed["max_score"] == 1
    assert [e["status"] for e in killed["exercises"]] == ["not run"]
    assert killed["stopped"] == "the grading process failed: it was ended by signal SIGKILL"
    assert "the grading process failed" in gradebook.splitlines()[2]
    assert pids["c-hung"] != pids["b-killed"]  # a fresh worker went on


@pytest.mark.grading
@pytest.mark.slow
def test_a_hung_worker_is_stopped_at_the_time_limit_and_replaced(graded):
    _, reports, _, pids, _folders = graded
    hung = reports["c-hung"]
    assert hung["stopped"] == f"the grading process ran past {HUNG_LIMIT_S:g} s and was stopped"
    assert [e["status"] for e in hung["exercises"]] == ["not run"]
    assert len({pids["a-solved"], pids["c-hung"], pids["d-blank"]}) == 3
    assert reports["d-blank"]["exercises"][0]["status"] == "failed"


@pytest.mark.grading
@pytest.mark.slow
def test_workers_give_the_reports_of_one_grading_per_submission(graded):
    """The first submission's worker graded two; the last one's was fresh after a hang: both
    reports are what grading each alone gives, though the judge printed to the worker's stdout."""
    root, reports, _, pids, _folders = graded
    assert pids["a-solved"] == pids["b-killed"]
    instructor = root / "source" / "double.ipynb"
    for student, score in (("a-solved", 1), ("d-blank", 0)):
        path = root / "class" / student / "double.ipynb"
        alone = grade(path, instructor, timeout=60, cell_timeout=10).to_dict()
        assert reports[student] == json.loads(json.dumps(alone))
        assert reports[student]["score"] == score


@pytest.mark.grading
@pytest.mark.slow
def test_no_worker_leaves_a_workspace_behind(graded):
    """Not even the killed one, which died in the middle of a grading."""
    *_, folders = graded
    assert len(folders) == 3
    assert not any(Path(folder).exists() for folder in folders)


@pytest.mark.parametrize(
    "line",
    [
        b"\xff\xfe\n",
        b"a line that is no answer\n",
        b'{"report": 1}\n',
        b"[1]\n",
        b'{"report": {"exercises": []}}',
        b'{"error": 3}\n',
    ],  # fmt: skip
)
def test_an_unreadable_answer_is_no_report(line):
    assert parse_answer(line) == ("the grading process failed: its answer was no readable report")


def test_a_report_or_an_error_is_an_answer():
    report = {"report": {"exercises": [], "score": 0}}
    assert parse_answer(json.dumps(report).encode() + b"\n") == report
    assert parse_answer(b'{"error": "error: no file"}\n') == {"error": "error: no file"}
