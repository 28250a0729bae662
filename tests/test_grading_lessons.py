"""Each lesson of each edition, released and graded with one exercise solved and one wrong: the
solved one scores exactly its points whatever the submission does to the checks. Apart from
tests/test_classroom.py so that the workers of `make test` can share these gradings; graded in this
process (the command line's own tests are in tests/test_classroom.py), which has imported torch
for the judge already."""

import pytest

from classroom.grade import grade
from support.assignments import (
    EDITIONS,
    check_cells,
    instructor_path,
    read,
    solution_cells,
    with_solutions,
    write,
    wrong_answer,
)
from support.lessons import NOTEBOOK_NAMES

pytestmark = pytest.mark.grading


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_one_solved_one_wrong_scores_exactly_the_solved_exercise(
    name, edition, student_dirs, tmp_path
):
    instructor = read(instructor_path(name, edition))
    student = read(student_dirs[edition] / f"{name}.ipynb")
    submission = with_solutions(student, instructor, {"ex1"})
    answers = solution_cells(submission)
    answers[1].source = wrong_answer(answers[1].source)
    for check in check_cells(submission):  # tampering with the checks must not help
        check.source = "print('all checks passed')"
    path = write(submission, tmp_path / f"{name}.ipynb")
    report = grade(path, instructor_path(name, edition), fast=True)
    first_points = check_cells(instructor)[0].metadata.nbgrader["points"]
    assert report.score == first_points < report.max_score, report.exercises
    assert [r.status for r in report.exercises] == ["passed"] + ["failed"] * (
        len(report.exercises) - 1
    )
