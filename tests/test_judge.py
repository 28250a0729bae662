"""The judge's own parts that need no kernel: fresh seeds, what a failure says, rule notes."""

import nbformat
import pytest
import torch

from classroom.exercises import exercises
from classroom.grade import _solutions
from classroom.judge import _check_code, _failure, rule_notes
from support.assignments import check_cell, instructor_path, read, solution_cell

HIDDEN = """Y = f(1)
assert Y == 1, "visible: f(1) should be 1"
### BEGIN HIDDEN TESTS
generator = torch.Generator().manual_seed(3)
drawn = torch.rand(2, generator=generator)
unseeded = torch.rand(2)
assert False, "hidden: the message a student must not see"
### END HIDDEN TESTS"""


def _check_code_of(source, secret):
    """The judge's code of a one-cell notebook's check ``source``, and its hidden lines."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [check_cell("ex1-check", source)]
    return _check_code(nb.cells[0], exercises(nb)[0], secret)


def _run(secret):
    namespace = {"f": lambda x: x, "torch": torch}
    code, hidden = _check_code_of(HIDDEN, secret)
    try:
        exec(code, namespace)
    except AssertionError as error:
        return namespace, _failure(error, code.co_filename, hidden)
    raise AssertionError("the hidden assert did not run")


def test_hidden_inputs_are_drawn_from_the_secret_not_from_the_literal_seed():
    first, second, again = _run(11)[0], _run(12)[0], _run(11)[0]
    literal = torch.rand(2, generator=torch.Generator().manual_seed(3))
    assert not torch.equal(first["drawn"], literal)
    assert not torch.equal(first["drawn"], second["drawn"])
    assert not torch.equal(first["unseeded"], second["unseeded"])  # the global generator too
    assert torch.equal(first["drawn"], again["drawn"])


def test_a_failed_hidden_test_says_only_that_one_failed():
    assert _run(5)[1] == "a hidden test failed"


def test_a_failed_visible_check_says_what_the_notebook_says():
    namespace = {"f": lambda x: 2}
    code, hidden = _check_code_of(HIDDEN, 5)
    with pytest.raises(AssertionError) as raised:
        exec(code, namespace)
    assert _failure(raised.value, code.co_filename, hidden) == (
        "AssertionError: visible: f(1) should be 1"
    )


def test_a_solution_that_mentions_what_its_check_forbids_is_noted_for_review():
    instructor = read(instructor_path("01_cross_correlation"))
    solutions = _solutions(instructor)
    assert rule_notes(instructor, solutions) == []
    solutions["ex2-check"] = "def corr2d_im2col(X, K):\n    return F.unfold(X[None, None], K.shape)"
    assert rule_notes(instructor, solutions) == [
        "ex2-check: the solution mentions torch.nn.functional.unfold, which the exercise asks "
        "not to use: review it"
    ]
    solutions["ex2-check"] = "from torch.nn.functional import unfold as u\n\n\ndef f(X):\n    pass"
    assert len(rule_notes(instructor, solutions)) == 1


def test_a_method_is_found_by_its_class_and_a_crafted_cell_gives_no_note():
    instructor = nbformat.v4.new_notebook()
    instructor.cells = [
        solution_cell(
            "ex1", "def step(net):\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION"
        ),
        check_cell("ex1-check", 'with helpers.without("torch.optim.SGD.step"):\n    step(1)'),
    ]
    notes = rule_notes(instructor, {"ex1-check": "def step(net):\n    torch.optim.SGD(net).step()"})
    assert notes and "torch.optim.SGD.step" in notes[0]
    assert rule_notes(instructor, {"ex1-check": "for step in range(3):\n    pass"}) == []
    assert rule_notes(instructor, {"ex1-check": "x = " + "-" * 10**6 + "1"}) == []
