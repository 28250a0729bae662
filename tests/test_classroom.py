"""The classroom loop: release student versions, grade submissions (README.md, "For instructors").

Part one uses small notebooks built here to pin down the release rules (nbgrader's semantics) and
the grader's safety (a changed check cell, a dying kernel). Part two runs the real lessons 01–06:
every student version hides the solutions and hidden tests, and the grader gives full marks to the
instructor version, zero to the untouched stubs and exactly the solved exercise's points to a
submission with one exercise solved and one wrong.

Grading runs with ``fast=True`` (only the lesson cells the exercises read), so lessons 05 and 06 do
not train LeNet for each submission; nbval executes every notebook in full elsewhere. The
hanging-submission test runs notebook 01 in full.
"""

import io
import json
import tokenize
from time import monotonic

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from classroom.depends import cells_needed_by_exercises, names_bound_and_read
from classroom.execute import OUTPUT_LIMIT_BYTES, GradingClient
from classroom.grade import assemble, grade
from classroom.release import (
    BEGIN_HIDDEN_TESTS,
    BEGIN_SOLUTION,
    END_HIDDEN_TESTS,
    END_SOLUTION,
    grade_id,
    marked_regions,
    nbgrader_checksum,
    nbgrader_flag,
    release,
    student_version,
)
from support.assignments import (
    EDITIONS,
    all_strings,
    check_cell,
    check_cells,
    instructor_path,
    nbgrader_metadata,
    read,
    run_cli,
    solution_cell,
    solution_cells,
    with_solutions,
    write,
)
from support.lessons import NOTEBOOK_NAMES

pytestmark = pytest.mark.grading


# --------------------------------------------------------------------------------------------------
# Helpers: build notebooks and submissions
# --------------------------------------------------------------------------------------------------


def fixture_notebook():
    """A two-exercise instructor notebook: ex1 inside a function, ex2 at top level."""
    nb = new_notebook()
    nb.cells = [
        new_code_cell("import math\nOFFSET = 10"),
        new_code_cell(
            "import time\ntime.sleep(2)  # stands in for training: no exercise reads it\nslow = 1"
        ),
        new_markdown_cell("## Exercises"),
        solution_cell(
            "ex1",
            "def shifted(x):\n    ### BEGIN SOLUTION\n    return x + OFFSET\n    ### END SOLUTION",
        ),
        check_cell(
            "ex1-check",
            "assert shifted(1) == 11, 'shifted(1) should be 11'\nprint('Exercise 1: all visible "
            "checks passed')\n### BEGIN HIDDEN TESTS\nassert shifted(-4) == 6\n"
            "### END HIDDEN TESTS",
        ),
        solution_cell("ex2", "### BEGIN SOLUTION\nroot = math.sqrt(2)\n### END SOLUTION"),
        check_cell(
            "ex2-check",
            "assert abs(root ** 2 - 2) < 1e-9\n### BEGIN HIDDEN TESTS\nassert root > 0\n"
            "### END HIDDEN TESTS",
            points=2,
        ),
    ]
    return nb


def code_without_text(source):
    """The tokens of ``source`` with the text of its string literals and comments left out."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    text = (tokenize.STRING, tokenize.COMMENT)
    return [(token.type, "" if token.type in text else token.string) for token in tokens]


def region_lines(nb, begin, end):
    """(lines inside begin…end regions, lines outside them), stripped.

    Over all code cells of ``nb``.
    """
    inside, outside = set(), set()
    for cell in nb.cells:
        lines = cell.source.split("\n")
        regions = marked_regions(cell.source, begin, end)
        for i, line in enumerate(lines):
            (inside if any(a < i < b for a, b in regions) else outside).add(line.strip())
    return inside - {""}, outside


# --------------------------------------------------------------------------------------------------
# Part one: the rules, on a small notebook
# --------------------------------------------------------------------------------------------------


def test_release_stubs_solutions_at_their_indentation_and_drops_hidden_tests():
    student = student_version(fixture_notebook())
    by_id = {grade_id(cell): cell.source for cell in student.cells if grade_id(cell)}
    assert by_id["ex1"] == "def shifted(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert by_id["ex2"] == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert (
        by_id["ex1-check"] == "assert shifted(1) == 11, 'shifted(1) should be 11'\n"
        "print('Exercise 1: all visible checks passed')"
    )
    assert by_id["ex2-check"] == "assert abs(root ** 2 - 2) < 1e-9"


def test_release_keeps_nbgrader_metadata_and_locks_checks():
    instructor = fixture_notebook()
    student = student_version(instructor)
    for before, after in zip(instructor.cells, student.cells):
        added = {"checksum", "cell_type"} if "nbgrader" in before.metadata else set()
        kept = {k: v for k, v in after.metadata.get("nbgrader", {}).items() if k not in added}
        assert kept == before.metadata.get("nbgrader", {})
        if added:  # as nbgrader's generate_assignment writes them, for nbgrader validate
            assert after.metadata.nbgrader["checksum"] == nbgrader_checksum(after)
            assert after.metadata.nbgrader["cell_type"] == after.cell_type
    checks = check_cells(student)
    assert all(
        cell.metadata["editable"] is False and cell.metadata["deletable"] is False
        for cell in checks
    )
    assert all("editable" not in cell.metadata for cell in solution_cells(student)), (
        "students must edit solutions"
    )


def test_markdown_solution_cell_without_markers_gets_the_text_stub():
    nb = new_notebook(
        cells=[new_markdown_cell("The answer is 42.", metadata=nbgrader_metadata("q1", True))]
    )
    assert student_version(nb).cells[0].source == "YOUR ANSWER HERE"


@pytest.mark.parametrize(
    "cells,message",
    [
        ([new_code_cell(f"{BEGIN_SOLUTION}\nx = 1\n{END_SOLUTION}")], "lacks"),
        ([check_cell("c", f"{BEGIN_HIDDEN_TESTS}\nassert True")], "never closed"),
        ([solution_cell("s", f"{BEGIN_SOLUTION}\n{BEGIN_SOLUTION}\n{END_SOLUTION}")], "nested"),
        ([solution_cell("s", f"x = 1\n{END_SOLUTION}")], "has no"),
        ([new_code_cell(f"{BEGIN_HIDDEN_TESTS}\nassert True\n{END_HIDDEN_TESTS}")], "lacks"),
        ([solution_cell("s", "x = 1"), solution_cell("s", "y = 1")], "used twice"),
        (
            [
                new_code_cell(
                    "assert True",
                    metadata={
                        "nbgrader": {
                            "grade": True,
                            "grade_id": "c",
                            "locked": True,
                            "schema_version": 3,
                            "solution": False,
                        }
                    },
                )
            ],
            "without numeric points",
        ),
    ],
    ids=[
        "solution-outside-solution-cell",
        "unclosed",
        "nested",
        "end-without-begin",
        "hidden-outside-grade-cell",
        "duplicate-grade-id",
        "grade-cell-without-points",
    ],
)
def test_release_rejects_what_nbgrader_rejects(cells, message):
    with pytest.raises(ValueError, match=message):
        student_version(new_notebook(cells=[nbformat.from_dict(cell) for cell in cells]))


def test_release_refuses_to_overwrite_the_instructor_notebooks(tmp_path):
    write(fixture_notebook(), tmp_path / "a.ipynb")
    with pytest.raises(ValueError, match="target_dir must differ"):
        release(tmp_path, tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no .ipynb"):
        release(tmp_path / "empty", tmp_path / "out")
    with pytest.raises(ValueError, match="must be a folder"):
        release(tmp_path / "a.ipynb", tmp_path / "out")


def test_assemble_takes_only_solutions_from_the_submission():
    instructor = fixture_notebook()
    submission = student_version(instructor)
    submission.cells[4].source = "print('all checks passed')"  # a tampered check cell is ignored
    submission.cells = [
        cell for cell in submission.cells if grade_id(cell) != "ex2"
    ]  # a deleted answer
    submission.cells[3].source = "def shifted(x):\n    return x + 10"
    graded, missing = assemble(submission, instructor)
    assert missing == ["ex2"]
    assert graded.cells[3].source == "def shifted(x):\n    return x + 10"
    assert graded.cells[4].source == instructor.cells[4].source, (
        "the instructor's check with hidden tests"
    )
    assert graded.cells[5].source == "# YOUR CODE HERE\nraise NotImplementedError()"


def test_fast_grading_skips_cells_no_exercise_reads():
    nb = fixture_notebook()
    nb.cells.insert(2, new_code_cell("OFFSET += 0  # changes a name ex1 reads, so it must run"))
    assert sorted(cells_needed_by_exercises(nb)) == [0, 2, 4, 5, 6, 7]


def test_names_a_cell_reads_before_binding_them_follow_python_scoping():
    source = "\n".join(
        [
            "%matplotlib inline",  # magics become Python calls first
            "X = X + 1",  # read before bound: needs an earlier cell
            "def f(a):\n    return a + W",  # a is local; W is read when f runs
            "W = 2",
            "for layer in net:\n    out = layer(Z)",  # the loop variable is bound inside its loop
            "with open(path) as handle:\n    text = handle.read()",
            "if flag:\n    maybe = 1",
            "print(maybe, text, out)",  # bound only on some paths (or in a loop): still read
            "net.weight = None",  # changes net: counts as binding it
        ]
    )
    bound, read = names_bound_and_read(source)
    assert read == {
        "get_ipython",
        "X",
        "W",
        "net",
        "Z",
        "open",
        "path",
        "flag",
        "print",
        "maybe",
        "out",
    }
    assert {"X", "f", "W", "layer", "out", "handle", "text", "maybe", "net"} <= bound
    assert (
        names_bound_and_read("from torch import *") is None
        and names_bound_and_read("def (") is None
    )


def test_a_huge_expression_is_left_unanalysed_not_fatal():
    for source in ("x = " + "-" * 10**6 + "1", "y = " + "1 + " * 10**5 + "1", "z = '\0'"):
        assert names_bound_and_read(source) is None


def test_a_cell_keeps_at_most_the_output_limit_then_a_note():
    client = GradingClient(new_notebook(), deadline=0, cell_timeout=1)
    client.clear_before_next_output = False  # as nbclient sets it when a cell starts
    chunk = {"msg_type": "stream", "header": {"msg_type": "stream"},
             "parent_header": {"msg_id": "m"},
             "content": {"name": "stdout", "text": "x" * 2**16}}  # fmt: skip
    outputs = []
    for _ in range(200):  # 12.5 MiB
        client.output(outputs, chunk, None, 7)
    kept = sum(len(output.get("text", "")) for output in outputs)
    assert OUTPUT_LIMIT_BYTES - 2**16 < kept <= OUTPUT_LIMIT_BYTES + 100 and client.cut == [7]
    assert outputs[-1].name == "stderr" and outputs[-1].text.startswith("[output cut")


def test_grade_cli_scores_a_partly_wrong_submission_and_reports_json(tmp_path):
    instructor = write(fixture_notebook(), tmp_path / "instructor.ipynb")
    submission = student_version(read(instructor))
    submission.cells[3].source = "def shifted(x):\n    return x + 10"
    submission.cells[5].source = "root = 1.5"
    result = run_cli(
        "grade", write(submission, tmp_path / "sub.ipynb"), "--instructor", instructor, "--json"
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert [(r["grade_id"], r["status"], r["points"]) for r in report["exercises"]] == [
        ("ex1-check", "passed", 1),
        ("ex2-check", "failed", 0),
    ]
    assert (report["score"], report["max_score"]) == (1, 3)
    assert report["exercises"][1]["message"].startswith("AssertionError")
    assert run_cli("grade", tmp_path / "missing.ipynb", "--instructor", instructor).returncode == 2


def test_a_chinese_edition_is_graded_in_chinese(tmp_path):
    """A Chinese instructor notebook: the kernel starts in Chinese, the report speaks Chinese."""
    instructor = fixture_notebook()
    instructor.metadata["translation"] = {"language": "zh-CN"}  # as make zh writes it
    instructor.cells[4].source = (
        "from convlab.language import edition_language\nassert edition_language() == 'zh'\n"
        + instructor.cells[4].source
    )
    instructor = write(instructor, tmp_path / "instructor.ipynb")
    submission = with_solutions(student_version(read(instructor)), read(instructor), {"ex1"})
    submission = write(submission, tmp_path / "sub.ipynb")
    text = run_cli("grade", submission, "--instructor", instructor, "--fast")
    assert text.returncode == 1, text.stderr
    assert "总分：1/3" in text.stdout and "通过" in text.stdout and "未通过" in text.stdout, (
        text.stdout
    )
    assert "Total" not in text.stdout and "passed" not in text.stdout


def test_grade_refuses_a_student_version_as_the_instructor_notebook(tmp_path):
    student = write(student_version(fixture_notebook()), tmp_path / "student.ipynb")
    with pytest.raises(ValueError, match="no hidden tests"):
        grade(student, student)


def test_a_submission_that_kills_the_kernel_fails_only_that_exercise(tmp_path):
    instructor = write(fixture_notebook(), tmp_path / "instructor.ipynb")
    submission = with_solutions(student_version(read(instructor)), read(instructor), {"ex2"})
    submission.cells[3].source = "import os\nos._exit(1)"
    report = grade(write(submission, tmp_path / "sub.ipynb"), instructor, fast=True)
    assert [(r.grade_id, r.status) for r in report.exercises] == [
        ("ex1-check", "failed"),
        ("ex2-check", "passed"),
    ], report.exercises
    assert "kernel died" in report.exercises[0].message
    assert report.kernel_restarts == 1 and report.stopped == ""


# --------------------------------------------------------------------------------------------------
# Part two: the real lessons
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def student_dir(student_dirs):
    return student_dirs["en"]


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_exercises_follow_the_nbgrader_conventions(name):
    nb = read(instructor_path(name))
    solutions = [i for i, cell in enumerate(nb.cells) if nbgrader_flag(cell, "solution")]
    assert len(solutions) >= 2, "each lesson has at least two autograded coding exercises"
    for number, index in enumerate(solutions, start=1):
        answer, check = nb.cells[index], nb.cells[index + 1]
        assert grade_id(answer) == f"ex{number}" and grade_id(check) == f"ex{number}-check", (
            f"cell {index}: exercise {number} must be a solution cell ex{number} "
            "followed by its check cell"
        )
        assert marked_regions(answer.source, BEGIN_SOLUTION, END_SOLUTION), (
            f"ex{number} has no solution region"
        )
        assert marked_regions(check.source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS), (
            f"ex{number} has no hidden tests"
        )
        assert check.metadata.nbgrader["points"] > 0 and check.metadata.nbgrader["locked"]
        visible = check.source.split(BEGIN_HIDDEN_TESTS)[0]
        assert "assert" in visible and "print(" in visible, (
            "visible asserts, then a print before the hidden tests"
        )


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_student_version_holds_no_solution_and_no_hidden_test(name, edition, student_dirs):
    student_dir = student_dirs[edition]
    instructor = read(instructor_path(name, edition))
    solution_lines, rest = region_lines(instructor, BEGIN_SOLUTION, END_SOLUTION)
    hidden_lines, rest_of_tests = region_lines(instructor, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)
    # Lines that also appear outside the regions (a blank `return Y`, the lesson's own code)
    # prove nothing.
    secret = (solution_lines - rest) | (hidden_lines - rest_of_tests)
    assert solution_lines - rest and hidden_lines - rest_of_tests, "nothing distinctive to look for"
    student_json = json.loads((student_dir / f"{name}.ipynb").read_text())
    leaks = {
        line.strip() for text in all_strings(student_json) for line in text.split("\n")
    } & secret
    assert not leaks, f"student version leaks: {sorted(leaks)[:5]}"
    assert not any(
        marker in text
        for text in all_strings(student_json)
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS")
    )
    student = read(student_dir / f"{name}.ipynb")
    code = [cell for cell in student.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert all(
        cell.source.count("raise NotImplementedError()") == 1 for cell in solution_cells(student)
    )
    assert [grade_id(cell) for cell in student.cells] == [
        grade_id(cell) for cell in instructor.cells
    ]


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_the_student_version_with_the_solutions_put_back_gets_full_marks(
    name, student_dir, tmp_path
):
    """The released solution cells, filled with the instructor's solutions, pass every check: the
    visible part in the student's kernel, the whole check (hidden tests with fresh inputs) in the
    judge; and no solution is noted for using what its check forbids."""
    student = read(student_dir / f"{name}.ipynb")
    every = {grade_id(c) for c in solution_cells(student)}
    filled = write(
        with_solutions(student, read(instructor_path(name)), every), tmp_path / "s.ipynb"
    )
    report = grade(filled, instructor_path(name), fast=True)
    assert report.score == report.max_score > 0, report.exercises
    assert report.notes == [] and not report.stopped


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_untouched_stubs_fail_every_check(name, student_dir):
    report = grade(student_dir / f"{name}.ipynb", instructor_path(name), fast=True)
    assert report.score == 0 and not report.stopped
    for result in report.exercises:
        assert result.status == "failed" and "TimeoutError" not in result.message, result


@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_chinese_student_version_has_the_english_code_and_chinese_tasks(name, student_dirs):
    """Both editions hand out the same code to fill in and check; only the text differs (the
    Chinese code cells translate their string literals and comments)."""
    english, chinese = (read(student_dirs[e] / f"{name}.ipynb") for e in ("en", "zh"))
    assert [code_without_text(c.source) for c in english.cells if c.cell_type == "code"] == [
        code_without_text(c.source) for c in chinese.cells if c.cell_type == "code"
    ]
    assert [grade_id(c) for c in english.cells] == [grade_id(c) for c in chinese.cells]
    tasks = [c.source for c in chinese.cells if c.cell_type == "markdown" and "练习" in c.source]
    assert tasks, f"{name}: the Chinese student version states its exercises in Chinese"


def test_a_hanging_submission_is_graded_within_the_time_limit(student_dir, tmp_path):
    name = NOTEBOOK_NAMES[0]
    instructor = read(instructor_path(name))
    student = read(student_dir / f"{name}.ipynb")
    submission = with_solutions(
        student, instructor, {grade_id(cell) for cell in solution_cells(student)}
    )
    answer = solution_cells(submission)[0]
    lines = answer.source.split("\n")
    begin = next(i for i, line in enumerate(lines) if BEGIN_SOLUTION in line)
    indent = lines[begin][: lines[begin].index("#")]
    lines[begin + 1 : begin + 1] = [f"{indent}while True:", f"{indent}    pass"]
    answer.source = "\n".join(lines)
    start = monotonic()
    report = grade(
        write(submission, tmp_path / "hang.ipynb"),
        instructor_path(name),
        timeout=300,
        cell_timeout=10,
    )
    assert monotonic() - start < 300
    statuses = [(r.grade_id, r.status) for r in report.exercises]
    assert statuses[0] == ("ex1-check", "failed") and report.exercises[0].message.startswith(
        "TimeoutError"
    )
    assert all(status == "passed" for _, status in statuses[1:]), (
        "one hanging exercise must not cost the others"
    )
