"""The exercises' check machinery: ``helpers.without`` and failed checks shown in one line."""

import re

import nbformat
import pytest
import torch
from nbclient import NotebookClient

import helpers
from convlab.checks import CheckFailed

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_without_refuses_the_named_functions_inside_the_block_only():
    X, K = torch.arange(9.0).reshape(3, 3), torch.ones(2, 2)
    with helpers.without("helpers.corr2d", "torch.nn.functional.unfold"):
        with pytest.raises(CheckFailed, match="without helpers.corr2d"):
            helpers.corr2d(X, K)
        with pytest.raises(CheckFailed, match="without torch.nn.functional.unfold"):
            torch.nn.functional.unfold(X[None, None], 2)
        assert torch.equal(helpers.torch_corr2d(X, K), torch.tensor([[8.0, 12], [20, 24]]))
    assert torch.equal(helpers.corr2d(X, K), torch.tensor([[8.0, 12], [20, 24]]))


def test_without_restores_the_functions_when_the_block_fails():
    original = helpers.corr2d
    with pytest.raises(ZeroDivisionError):
        with helpers.without("helpers.corr2d"):
            1 / 0
    assert helpers.corr2d is original


@pytest.mark.parametrize(
    "names, error, message",
    [
        ((), ValueError, "at least one function name, got none"),
        ((3,), TypeError, "must be a str like 'helpers.corr2d', got int"),
        (("corr2d",), ValueError, "must be dotted like 'helpers.corr2d', got 'corr2d'"),
        (("helpers.REPO_ROOT",), ValueError, "'helpers.REPO_ROOT' is not a function"),
        (("nowhere.at_all",), ValueError, "'nowhere.at_all' names no importable module"),
    ],
)
def test_without_rejects_what_it_cannot_refuse(names, error, message):
    with pytest.raises(error, match=re.escape(message)):
        with helpers.without(*names):
            pass


def run_cells(*sources):
    """Run code cells in a fresh kernel; return each cell's error output (or None)."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(notebook, timeout=120, allow_errors=True).execute()
    errors = []
    for cell in notebook.cells:
        found = [o for o in cell.outputs if o.output_type == "error"]
        errors.append(found[0] if found else None)
    return errors


@pytest.mark.slow
def test_a_failed_check_reads_as_one_line_and_other_errors_keep_their_traceback():
    setup, check, inner, refused, other = run_cells(
        "import helpers, torch",
        'Y = [1, 2]\nassert type(Y) is torch.Tensor, "got a list: return a torch.Tensor"',
        'def solution():\n    assert False, "inside the learner\'s function"\n\nsolution()',
        'with helpers.without("helpers.corr2d"):\n'
        "    helpers.corr2d(torch.ones(2, 2), torch.ones(1, 1))",
        "1 / 0",
    )
    assert setup is None
    for error, message in [
        (check, "got a list: return a torch.Tensor"),
        (refused, "this exercise must be solved without helpers.corr2d: do it by hand"),
    ]:
        assert error.ename in ("AssertionError", "CheckFailed")
        lines = ANSI.sub("", "\n".join(error.traceback)).splitlines()
        assert [line for line in lines if line.strip()] == [f"{error.ename}: {message}"]
    assert inner.ename == "AssertionError"
    assert "solution()" in ANSI.sub("", "".join(inner.traceback))  # the learner's line, kept
    assert other.ename == "ZeroDivisionError" and len(other.traceback) > 1
